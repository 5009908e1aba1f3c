/*
 * rcache.h — the replay cache of a service (internal side).
 *
 * A fixed-size open-addressing table in a file, mapped with mmap and shared
 * by every thread and process of one service:
 *
 *   header (64 bytes): magic "TKRC", u32 version (2), u32 slot count,
 *                      u32 entry size (24) — big-endian; bytes 16..63 hold
 *                      a process-shared robust pthread mutex
 *   slot[i] (24 bytes): 16-byte key, i64 expiry (native order, this host only)
 *
 * key = BLAKE2b-128(u8 len || server name || authenticator ciphertext);
 * expiry = authenticator ctime + clock skew. A slot whose expiry is before now
 * is reused; a never-used slot (expiry 0) ends a probe chain. Probing is
 * linear over at most KRB_RC_PROBE_MAX slots; when every probed slot holds
 * a live entry the cache fails closed (KRB_ERR_RCACHE).
 *
 * Locking: the mutex in the header, shared by every thread and process that
 * has the file open (no system call per check). Each open holds a shared
 * open-file-description lock on byte 1 of the file while it stays open; an
 * opener that can take it exclusively is alone and initialises the mutex
 * (one left in the file by a dead process or an earlier boot is never
 * trusted); opening itself is serialised by an exclusive lock on byte 0.
 * Version 1 files (locked with fcntl per check) are refused, so an old and
 * a new process can never share a table without excluding each other. No fsync: entries survive a process
 * restart (page cache), not a machine crash — after a reboot, tickets are
 * the only defence within the skew window, as with every Kerberos rcache.
 */
#ifndef TESSERA_RCACHE_H
#define TESSERA_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "krb.h"

#define KRB_RC_MAGIC "TKRC"
#define KRB_RC_VERSION 2u
#define KRB_RC_HEADER_BYTES 64u
#define KRB_RC_ENTRY_BYTES 24u
#define KRB_RC_KEY_BYTES 16u
#define KRB_RC_SLOTS_DEFAULT 65536u
#define KRB_RC_SLOTS_MIN 4u
#define KRB_RC_SLOTS_MAX (1u << 24)
#define KRB_RC_PROBE_MAX 128u

/*
 * Record (server, ciphertext) with the given expiry, or report a replay.
 * now is the caller's current time (the context clock). Errors:
 * KRB_ERR_REPEAT (a live entry with the same key exists), KRB_ERR_RCACHE
 * (no free slot in the probe window, or the lock failed) — fail closed.
 */
KRB_WUR krb_err krb_rc_check_and_store(krb_context *c, krb_rcache *rc, const char *server, const uint8_t *ct,
                                       size_t ctlen, krb_time expiry, krb_time now);

#endif
