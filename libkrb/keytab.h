/*
 * keytab.h — internal keytab API for services, the AS client (keytab
 * login) and tkadmin. The public part (open/free/count/info/path) is in
 * include/krb.h.
 *
 * File format (docs/PROTOCOL.md "Keytab"), through buf.h:
 *   header  "TK" 1 KRB_MSG_KEYTAB      (krb_wr_header)
 *   u16     count (<= KRB_KT_MAX_ENTRIES)
 *   count x { vec8 name (canonical), u32 kvno (>= 1), u16 suite, 32 key bytes }
 * No trailing bytes; no two entries with the same name and kvno. The file
 * is mode 0600, replaced atomically, never read through a symlink nor when
 * group/world accessible. Keys are held in sodium_malloc memory that is
 * read-only except while the keytab is being changed.
 */
#ifndef TESSERA_KEYTAB_H
#define TESSERA_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "krb.h"

#define KRB_KT_MAX_ENTRIES 4096u
#define KRB_KT_DEFAULT_PATH "/etc/tessera/tessera.keytab"
#define KRB_KT_ENTRY_MAX (1 + KRB_NAME_MAX + 4 + 2 + KRB_KEY_BYTES)
#define KRB_KT_FILE_MAX (4 + 2 + (size_t)KRB_KT_MAX_ENTRIES * KRB_KT_ENTRY_MAX)

/*
 * Find the key of principal (canonical, or short: the default realm is
 * added) with kvno, or the highest kvno when kvno is 0. out is a stack key
 * the caller wipes; *kvno_out (may be NULL) gets the version used.
 * Errors: KRB_ERR_KT_NOTFOUND (no entry for the principal),
 * KRB_ERR_BADKEYVER (the principal is there, not that kvno; the detail
 * names the versions present), KRB_ERR_BAD_NAME.
 */
KRB_WUR krb_err krb_kt_find(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno,
                            struct krb_key *out, uint32_t *kvno_out);

/* Add (or replace) the entry principal/kvno in memory; krb_kt_save writes
 * it. Errors: KRB_ERR_BAD_NAME, KRB_ERR_INVALID_ARG (kvno 0, unknown suite),
 * KRB_ERR_TOO_BIG (KRB_KT_MAX_ENTRIES reached), KRB_ERR_NOMEM. */
KRB_WUR krb_err krb_kt_add(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno,
                           const struct krb_key *key);

/* Remove principal's entry kvno, or all its entries when kvno is 0.
 * KRB_ERR_KT_NOTFOUND / KRB_ERR_BADKEYVER when nothing matches. */
KRB_WUR krb_err krb_kt_remove(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno);

/* Remove every entry of principal older than its highest kvno; *removed
 * (may be NULL) gets the count. KRB_ERR_KT_NOTFOUND if it has no entry. */
KRB_WUR krb_err krb_kt_remove_old(krb_context *c, krb_keytab *kt, const char *principal, size_t *removed);

/* Write the keytab to its path: temporary file in the same directory,
 * fsync, rename; mode 0600; refuses to replace a symlink. */
KRB_WUR krb_err krb_kt_save(krb_context *c, krb_keytab *kt);

/* Parse a keytab image (the fuzz target's entry point). *out is a new
 * keytab with path "(memory)". Errors: KRB_ERR_MALFORMED, KRB_ERR_TRAILING,
 * KRB_ERR_TOO_BIG, KRB_ERR_BAD_NAME, KRB_ERR_UNSUPPORTED. */
KRB_WUR krb_err krb_kt_parse(krb_context *c, const uint8_t *p, size_t n, krb_keytab **out);

/* Serialise kt into a malloc'ed buffer (wiped and freed by the caller with
 * krb_buf_free). */
KRB_WUR krb_err krb_kt_serialize(krb_context *c, const krb_keytab *kt, krb_buf *out);

#endif
