/*
 * kdc.h — tessera-kdc internals: the server state, the configuration
 * snapshot, the request handler, the KDC replay cache, logging and the
 * network loop. Only kdc/ (and its tests and fuzz target) include this.
 *
 * Shape (docs/KDC.md): one struct kdc passed down everywhere. The [kdc]
 * configuration and the cached krbtgt keys form an immutable snapshot
 * (struct kdc_conf) that requests borrow with kdc_conf_acquire and that
 * SIGHUP replaces whole (kdc_reload); the old snapshot is freed when its
 * last borrower releases it.
 */
#ifndef TESSERA_KDC_H
#define TESSERA_KDC_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "context.h"
#include "crypto.h"
#include "kdb.h"
#include "krb.h"

#define KDC_MAX_LISTEN 16
#define KDC_MAX_WORKERS 256
#define KDC_HOST_MAX 256
#define KDC_DEFAULT_LISTEN "127.0.0.1:7088"
#define KDC_DEFAULT_DATABASE "/var/lib/tessera/db"
#define KDC_DEFAULT_STASH "/var/lib/tessera/stash"
#define KDC_DEFAULT_MAX_LIFE ((krb_time)10 * 3600 * 1000000)
#define KDC_DEFAULT_MAX_RENEW ((krb_time)7 * 86400 * 1000000)
#define KDC_DEFAULT_TCP_IDLE ((krb_time)10 * 1000000)
#define KDC_DEFAULT_MAX_TCP 1024u
#define KDC_DEFAULT_LAST_SUCCESS ((krb_time)60 * 1000000)
#define KDC_DEFAULT_REPLAY_ENTRIES (1u << 20)

/* Key usage of the fake-salt MAC for unknown principals (a KDC-private
 * number far from the protocol's enum krb_usage). */
#define KDC_USAGE_FAKE_SALT 0x6b64630000000001ull

struct kdc_listen {
    char host[KDC_HOST_MAX];
    uint16_t port;
};

/* One cached krbtgt key (sodium_malloc memory, read-only). */
struct kdc_tgt_key {
    uint32_t kvno;
    struct krb_key *key;
};

/* Immutable configuration snapshot (plus the krbtgt key cache). */
struct kdc_conf {
    atomic_uint refs;
    char realm[KRB_REALM_MAX + 1];
    char tgs_name[KRB_NAME_MAX + 1]; /* krbtgt/REALM@REALM */
    char database[PATH_MAX];
    char stash[PATH_MAX];
    char pidfile[PATH_MAX];
    size_t nlisten;
    struct kdc_listen listen[KDC_MAX_LISTEN];
    unsigned workers;
    uint64_t map_size;
    krb_time max_life, max_renew, skew, tcp_idle, last_success_interval;
    unsigned max_tcp;
    uint64_t replay_entries;
    int hide_unknown;
    int steer_cpu; /* UDP datagrams to the worker of their CPU (net.c) */
    int log_syslog;
    /* A decoy principal with a random key, never stored: an AS-REQ with
     * pre-auth for an unknown name decodes its record and unseals its key
     * as a known name's would be (as.c), so that the two cost the same.
     * decoy_len 0: none (realm name too long for "d@REALM"). */
    struct kdb_principal decoy;
    uint8_t decoy_rec[256];
    size_t decoy_len;
    /* krbtgt/REALM: keys newest first, and its record's limits */
    size_t ntgt;
    struct kdc_tgt_key tgt[KDB_MAX_KEYS];
    krb_time tgt_max_life, tgt_max_renew;
    uint32_t tgt_flags;
    uint32_t pw_ops, pw_memkib; /* realm default Argon2id cost (fake hints) */
};

struct kdc_replay;
struct kdc_recorder;

struct kdc {
    krb_context *ctx; /* base context: clock hook, start-up config; not owned */
    char config_path[PATH_MAX]; /* re-read on reload ("" = reuse ctx's config) */
    struct kdb *db;
    struct kdc_replay *rc;
    struct kdc_recorder *rec; /* pre-auth results, written behind the reply (recorder.h) */
    pthread_mutex_t conf_lock;
    struct kdc_conf *conf; /* current snapshot, guarded by conf_lock */
    atomic_int log_syslog; /* mirrors conf->log_syslog for messages outside requests */
    atomic_int log_quiet;  /* tests: no per-request lines */
    uint16_t have[KRB_SUITE_MAX_LIST];
    size_t nhave;
};

/* What one request did, for the log line (never a key). */
struct kdc_log_entry {
    uint8_t type; /* message type received (0: not a Tessera message) */
    char client[KRB_NAME_MAX + 1];
    char server[KRB_NAME_MAX + 1];
    krb_err result; /* KRB_OK: a ticket was issued */
    char detail[KRB_ERRDETAIL_MAX];
};

/* ---- kdc.c: server state ---- */

/*
 * Read the [kdc] configuration of c (or of config_path when not NULL; it
 * is re-read by kdc_reload), open the principal store, cache the krbtgt
 * keys. Errors carry a detail on c naming the remedy.
 */
KRB_WUR krb_err kdc_new(krb_context *c, const char *config_path, struct kdc **out);
void kdc_free(struct kdc *k);
/* Re-read the configuration and the krbtgt keys; on any error the old
 * snapshot stays and the error is returned (detail on k->ctx is not
 * touched: the message goes to *why). */
KRB_WUR krb_err kdc_reload(struct kdc *k, char *why, size_t whylen);
/* Borrow / return the current snapshot. */
struct kdc_conf *kdc_conf_acquire(struct kdc *k);
void kdc_conf_release(struct kdc_conf *conf);

/* ---- conf.c: parsing the [kdc] section ---- */

/* Parse cfg into out (values only; keys are loaded by kdc.c). */
KRB_WUR krb_err kdc_conf_parse(krb_context *c, const struct krb_config *cfg, struct kdc_conf *out);
void kdc_conf_free(struct kdc_conf *conf);

/* ---- dispatch.c, as.c, tgs.c: the exchanges ---- */

/*
 * Handle one request message: bytes in, reply bytes out (rep, cap >=
 * KRB_MSG_MAX recommended). *replen is 0 when the input is not a Tessera
 * request (silence). Returns KRB_OK whenever rep/replen are valid (also
 * for ERROR replies; the exchange's outcome is log->result);
 * KRB_ERR_INVALID_ARG when cap is too small for any reply.
 */
KRB_WUR krb_err kdc_handle(struct kdc *k, const uint8_t *req, size_t len, uint8_t *rep, size_t cap,
                           size_t *replen, struct kdc_log_entry *log);
/* Encode an ERROR with code (no text, no data) into rep; returns its length
 * (0 if cap is too small). */
size_t kdc_error_encode(struct kdc *k, krb_err code, uint8_t *rep, size_t cap);

/* State of one request, shared by dispatch.c, as.c and tgs.c. */
struct kdc_req {
    struct kdc *k;
    const struct kdc_conf *conf;
    krb_context *c; /* per-request copy of k->ctx: details do not race */
    krb_time now;
    const uint8_t *msg;
    size_t len;
    uint8_t *rep;
    size_t cap;
    size_t replen;
    struct kdc_log_entry *log;
    int has_hint; /* ERROR edata: pre-auth hint */
    struct krb_pa_hint hint;
};

KRB_WUR krb_err kdc_as(struct kdc_req *r);
KRB_WUR krb_err kdc_tgs(struct kdc_req *r);
/* min(a, b) where b <= 0 means "no limit". */
krb_time kdc_cap(krb_time a, krb_time b);

/* ---- replay.c: the KDC's in-memory replay cache for TGS authenticators ---- */

/* entries: total capacity (rounded up to a power of two per shard); now:
 * the current time (entries count seconds from it). */
KRB_WUR krb_err kdc_replay_new(uint64_t entries, krb_time now, struct kdc_replay **out);
void kdc_replay_free(struct kdc_replay *rc);
/*
 * Record hash h (of an authenticator ciphertext) until expires. KRB_OK:
 * first sighting; KRB_ERR_REPEAT: seen and not expired; KRB_ERR_RCACHE:
 * no room (fail closed).
 */
KRB_WUR krb_err kdc_replay_check(struct kdc_replay *rc, const uint8_t h[KRB_HASH_BYTES], krb_time expires,
                                 krb_time now);

/* ---- log.c ---- */

enum kdc_log_level { KDC_LOG_ERR, KDC_LOG_WARNING, KDC_LOG_NOTICE, KDC_LOG_INFO };

/* Open syslog (ident tessera-kdc) when use_syslog. */
void kdc_log_open(struct kdc *k, int use_syslog);
void kdc_log_close(struct kdc *k);
/* A daemon message (start, reload, stop, errors). */
void kdc_log_msg(struct kdc *k, enum kdc_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Per-worker buffer for request lines (stderr mode): lines are written in
 * batches, one write(2) per batch, by kdc_log_flush or when it fills. */
#define KDC_LOGBUF_BYTES 16384
struct kdc_logbuf {
    size_t len;
    char buf[KDC_LOGBUF_BYTES];
};
/* One line per request: time, peer, transport, type, client, server,
 * result, microseconds, detail. lb NULL: written at once. */
void kdc_log_request(struct kdc *k, struct kdc_logbuf *lb, const struct kdc_log_entry *e, const char *peer,
                     const char *transport, long usec);
void kdc_log_flush(struct kdc_logbuf *lb);
/* Name of a message type ("AS_REQ"); "-" for 0, "TYPE_n" otherwise. */
const char *kdc_msg_name(uint8_t type, char *buf, size_t cap);

/* ---- net.c: UDP + TCP workers ---- */

struct kdc_net;

/* Create every socket (so that start-up errors happen before the daemon
 * detaches). workers 0: the configured number. Detail on k->ctx. */
KRB_WUR krb_err kdc_net_open(struct kdc *k, unsigned workers, struct kdc_net **out);
/* Start the worker threads. */
KRB_WUR krb_err kdc_net_start(struct kdc_net *n);
/* Stop accepting, let in-flight requests finish, join the workers. */
void kdc_net_stop(struct kdc_net *n);
void kdc_net_free(struct kdc_net *n);
unsigned kdc_net_workers(const struct kdc_net *n);
/* CLOCK_MONOTONIC in milliseconds (net.c; also the recorder's clock). */
int64_t kdc_mono_ms(void);

#endif
