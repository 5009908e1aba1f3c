/*
 * krb.h — the one public header of libkrb, the Tessera client and service
 * library.
 *
 * Conventions:
 *  - Every fallible call returns krb_err (KRB_OK on success). On failure the
 *    context holds a one-line detail: krb_context_error().
 *  - Objects are opaque, created by the _new or _open call and released by the _free call
 *    (free of NULL is a no-op). Outputs are the last parameters.
 *  - Times are microseconds since the Unix epoch (krb_time).
 *  - The library never prints and never exits.
 */
#ifndef TESSERA_KRB_H
#define TESSERA_KRB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KRB_WUR __attribute__((warn_unused_result))

/*
 * Error codes. Append only: the numeric values go on the wire (ERROR
 * message) and into logs, so they never change.
 */
#define KRB_ERRORS(X) \
    X(KRB_OK,                      "success") \
    X(KRB_CONTINUE,                "continue needed: send the output token to the peer") \
    X(KRB_ERR_MALFORMED,           "malformed message") \
    X(KRB_ERR_TRAILING,            "trailing bytes after message") \
    X(KRB_ERR_TOO_BIG,             "field or message larger than allowed") \
    X(KRB_ERR_NOMEM,               "out of memory") \
    X(KRB_ERR_INVALID_ARG,         "invalid argument") \
    X(KRB_ERR_BAD_NAME,            "malformed principal name") \
    X(KRB_ERR_CONFIG,              "configuration error") \
    X(KRB_ERR_IO,                  "input/output error") \
    X(KRB_ERR_CRYPTO,              "cryptographic library failure") \
    X(KRB_ERR_MODIFIED,            "integrity check failed: message modified or wrong key") \
    X(KRB_ERR_SKEW,                "clock skew too great") \
    X(KRB_ERR_REPEAT,              "request is a replay") \
    X(KRB_ERR_TKT_EXPIRED,         "ticket expired") \
    X(KRB_ERR_TKT_NYV,             "ticket not yet valid") \
    X(KRB_ERR_BADKEYVER,           "key version not available") \
    X(KRB_ERR_C_PRINCIPAL_UNKNOWN, "client not found in database") \
    X(KRB_ERR_S_PRINCIPAL_UNKNOWN, "server not found in database") \
    X(KRB_ERR_PREAUTH_REQUIRED,    "pre-authentication required") \
    X(KRB_ERR_PREAUTH_FAILED,      "pre-authentication failed: password incorrect") \
    X(KRB_ERR_CLIENT_REVOKED,      "client's credentials have been revoked (locked or disabled)") \
    X(KRB_ERR_KEY_EXPIRED,         "password has expired") \
    X(KRB_ERR_NAME_EXP,            "principal has expired") \
    X(KRB_ERR_POLICY,              "KDC policy rejects request") \
    X(KRB_ERR_BADOPTION,           "KDC cannot accommodate requested option") \
    X(KRB_ERR_ETYPE_NOSUPP,        "no common encryption suite") \
    X(KRB_ERR_BADMATCH,            "ticket and authenticator do not match") \
    X(KRB_ERR_WRONG_PRINC,         "ticket is for another service") \
    X(KRB_ERR_NONCE,               "reply does not match request (nonce)") \
    X(KRB_ERR_REQ_MODIFIED,        "request was modified in transit") \
    X(KRB_ERR_KDC_UNREACHABLE,     "cannot contact any KDC for realm") \
    X(KRB_ERR_RESPONSE_TOO_BIG,    "response too big for UDP, retry with TCP") \
    X(KRB_ERR_BAD_STATE,           "security context in wrong state") \
    X(KRB_ERR_NO_CREDS,            "no credentials found") \
    X(KRB_ERR_KT_NOTFOUND,         "key not found in keytab") \
    X(KRB_ERR_RCACHE,              "replay cache cannot record the request") \
    X(KRB_ERR_MUT_FAIL,            "mutual authentication failed") \
    X(KRB_ERR_SEQ,                 "message out of sequence") \
    X(KRB_ERR_CHANNEL_BINDING,     "channel bindings do not match") \
    X(KRB_ERR_DB,                  "principal database error") \
    X(KRB_ERR_UNKNOWN_PRINCIPAL,   "principal does not exist") \
    X(KRB_ERR_EXISTS,              "entry already exists") \
    X(KRB_ERR_DB_LOCKED,           "database is locked by another writer") \
    X(KRB_ERR_DB_FULL,             "database map full") \
    X(KRB_ERR_MKEY,                "master key missing or wrong") \
    X(KRB_ERR_DB_VERSION,          "database schema version not supported") \
    X(KRB_ERR_PASSWORD_WEAK,       "password rejected by policy") \
    X(KRB_ERR_PERMISSION,          "unsafe file permissions or ownership") \
    X(KRB_ERR_TIMEOUT,             "timed out") \
    X(KRB_ERR_WRONG_REALM,         "wrong realm") \
    X(KRB_ERR_POLICY_UNKNOWN,      "policy does not exist") \
    X(KRB_ERR_INTERNAL,            "internal error") \
    X(KRB_ERR_NOT_RENEWABLE,       "ticket is not renewable") \
    X(KRB_ERR_UNSUPPORTED,         "unsupported protocol version or feature")

typedef enum {
#define KRB_ERR_ENUM_(name, text) name,
    KRB_ERRORS(KRB_ERR_ENUM_)
#undef KRB_ERR_ENUM_
    KRB_ERR_COUNT_
} krb_err;

/* Stable symbolic name of an error code ("KRB_ERR_SKEW"); "KRB_ERR_UNKNOWN" if out of range. */
const char *krb_err_name(krb_err e);
/* Default one-line English text of an error code. */
const char *krb_err_message(krb_err e);

typedef int64_t krb_time; /* microseconds since the Unix epoch */

/* Library-allocated byte string; release with krb_buf_free (wipes it). */
typedef struct {
    uint8_t *data;
    size_t len;
} krb_buf;

/* Wipe and free the bytes of b (b itself is not freed); NULL is a no-op. */
void krb_buf_free(krb_buf *b);

/* ------------------------------------------------------------------ */
/* Context                                                              */
/* ------------------------------------------------------------------ */

typedef struct krb_context krb_context;

/*
 * Create a context: initialises libsodium and reads the configuration from
 * config_path, or when NULL from $TESSERA_CONFIG, or /etc/tessera/tessera.conf
 * (a missing default file is not an error: built-in defaults apply).
 * Errors: KRB_ERR_CONFIG (detail names file and line), KRB_ERR_IO (a named
 * file cannot be read), KRB_ERR_NOMEM, KRB_ERR_CRYPTO.
 * On a config error *out is still set so that krb_context_error() explains it;
 * the caller frees it.
 */
KRB_WUR krb_err krb_context_new(const char *config_path, krb_context **out);
void krb_context_free(krb_context *c);

/* Detail of the last failure on this context ("ticket for x expired ...");
 * the default message of the code when no detail was recorded. Owned by c. */
const char *krb_context_error(const krb_context *c);

/* Default realm from the configuration ("" if none configured). */
const char *krb_default_realm(const krb_context *c);

/* Current time as the context sees it (the clock hook, or the system clock). */
krb_time krb_now(const krb_context *c);

/* Test hook: replace the clock. fn(arg) returns microseconds. NULL restores. */
void krb_context_set_clock(krb_context *c, krb_time (*fn)(void *arg), void *arg);

/* Allowed clock skew in microseconds (config "clock_skew", default 300 s). */
krb_time krb_clock_skew(const krb_context *c);

/* ------------------------------------------------------------------ */
/* Principal names                                                      */
/* ------------------------------------------------------------------ */

#define KRB_NAME_MAX 255 /* bytes of the canonical text form */

/*
 * Canonicalise a user-typed principal name into out (KRB_NAME_MAX+1 bytes):
 * adds the default realm when none is given, checks escaping ("\/", "\@",
 * "\\"), component count and lengths.
 * Errors: KRB_ERR_BAD_NAME (detail says what is wrong).
 */
KRB_WUR krb_err krb_name_canon(krb_context *c, const char *in, char out[KRB_NAME_MAX + 1]);

/* ------------------------------------------------------------------ */
/* Credential cache, keytab (see libkrb/ccache.c, libkrb/keytab.c)      */
/* ------------------------------------------------------------------ */

typedef struct krb_ccache krb_ccache;
typedef struct krb_keytab krb_keytab;

/* Public, key-free view of a ticket held in a credential cache. */
typedef struct {
    char client[KRB_NAME_MAX + 1];
    char server[KRB_NAME_MAX + 1];
    krb_time authtime, starttime, endtime, renew_till;
    uint32_t flags;   /* KRB_TKT_FLAG_* */
    uint32_t kvno;    /* version of the server key the ticket is sealed under */
    uint16_t suite;
} krb_cred_info;

#define KRB_TKT_FLAG_FORWARDABLE 0x0001u
#define KRB_TKT_FLAG_RENEWABLE   0x0002u
#define KRB_TKT_FLAG_INITIAL     0x0004u
#define KRB_TKT_FLAG_PREAUTH     0x0008u

/* Public view of a keytab entry (never the key). */
typedef struct {
    char principal[KRB_NAME_MAX + 1];
    uint32_t kvno;
    uint16_t suite;
} krb_kt_info;

/*
 * Open the keytab at path; NULL means $TESSERA_KTNAME, then [libdefaults]
 * keytab, then /etc/tessera/tessera.keytab. A missing file opens as an
 * empty keytab. Refuses symlinks and files accessible by group or others
 * (KRB_ERR_PERMISSION); a damaged file is KRB_ERR_MALFORMED (or
 * KRB_ERR_TRAILING, KRB_ERR_TOO_BIG, KRB_ERR_BAD_NAME). Keys are kept in
 * guarded memory and wiped by krb_kt_free. The caller frees *out.
 */
KRB_WUR krb_err krb_kt_open(krb_context *c, const char *path, krb_keytab **out);
void krb_kt_free(krb_keytab *kt);
/* Path the keytab was opened from (owned by kt). */
const char *krb_kt_path(const krb_keytab *kt);
/* Number of entries (one per principal and key version). */
size_t krb_kt_count(const krb_keytab *kt);
/* Entry i (0 <= i < count) without its key; KRB_ERR_INVALID_ARG if out of range. */
KRB_WUR krb_err krb_kt_get_info(const krb_keytab *kt, size_t i, krb_kt_info *out);

/* ------------------------------------------------------------------ */
/* Credential cache and client exchanges (libkrb/ccache.c, as.c, tgs.c) */
/* ------------------------------------------------------------------ */

/*
 * Open the credential cache at path; NULL means $TESSERA_CCNAME, then
 * [libdefaults] ccache, then $XDG_RUNTIME_DIR/tessera_cc_<uid> or
 * /tmp/tessera_cc_<uid>. A missing file opens as an empty cache. Refuses
 * symlinks and files readable by others (KRB_ERR_PERMISSION).
 */
KRB_WUR krb_err krb_cc_open(krb_context *c, const char *path, krb_ccache **out);
void krb_cc_free(krb_ccache *cc);
const char *krb_cc_path(const krb_ccache *cc);
/* Default client principal of the cache ("" when empty). */
const char *krb_cc_principal(const krb_ccache *cc);
size_t krb_cc_count(const krb_ccache *cc);
KRB_WUR krb_err krb_cc_get_info(const krb_ccache *cc, size_t i, krb_cred_info *out);
/* Wipe the file's contents and remove it. KRB_ERR_NO_CREDS if absent. */
KRB_WUR krb_err krb_cc_destroy(krb_context *c, krb_ccache *cc);

typedef struct {
    krb_time lifetime;   /* requested ticket life (0: config/KDC default) */
    krb_time renew_life; /* requested renewable life (0: none) */
} krb_init_opts;

/*
 * AS exchange with a password: obtains a TGT for client (canonical or short
 * name) and replaces the cache contents with it. Errors include
 * KRB_ERR_PREAUTH_FAILED ("password incorrect"), KRB_ERR_C_PRINCIPAL_UNKNOWN,
 * KRB_ERR_CLIENT_REVOKED, KRB_ERR_KDC_UNREACHABLE; detail names the principal.
 */
KRB_WUR krb_err krb_get_init_creds_password(krb_context *c, const char *client, const char *password,
                                            const krb_init_opts *opts, krb_ccache *cc);
/* AS exchange with the client's key from a keytab (newest kvno). */
KRB_WUR krb_err krb_get_init_creds_keytab(krb_context *c, const char *client, krb_keytab *kt,
                                          const krb_init_opts *opts, krb_ccache *cc);
/* Renew the cache's TGT (KRB_ERR_NOT_RENEWABLE, KRB_ERR_TKT_EXPIRED). */
KRB_WUR krb_err krb_renew_tgt(krb_context *c, krb_ccache *cc);
/* A service ticket for server from the cache, or through a TGS exchange
 * (stored in the cache). info may be NULL. */
KRB_WUR krb_err krb_get_service_ticket(krb_context *c, krb_ccache *cc, const char *server, krb_cred_info *info);
/*
 * Change the password of client from old_pw to new_pw (1..KRB_PASSWORD_MAX
 * bytes): an
 * initial ticket for kadmin/changepw@<client's realm> with old_pw (no
 * credential cache is touched), then the CHPW exchange. KRB_OK when the
 * KDC changed the password. Errors: those of the AS exchange
 * (KRB_ERR_PREAUTH_FAILED: old password incorrect), the KDC's answer
 * (KRB_ERR_PASSWORD_WEAK with the policy's reason as the detail,
 * KRB_ERR_POLICY...), KRB_ERR_MODIFIED / KRB_ERR_MALFORMED for a reply
 * that does not open, KRB_ERR_KDC_UNREACHABLE.
 */
#define KRB_PASSWORD_MAX 256 /* bytes of a new password */
KRB_WUR krb_err krb_change_password(krb_context *c, const char *client, const char *old_pw, const char *new_pw);

/* ------------------------------------------------------------------ */
/* AP exchange and security contexts (libkrb/ap.c, rcache.c, sec_context.c) */
/* ------------------------------------------------------------------ */

typedef struct krb_rcache krb_rcache;
typedef struct krb_sec_context krb_sec_context;

/* Security-context request flags */
#define KRB_SEC_MUTUAL   0x0001u /* server proves itself (AP-REP) */
#define KRB_SEC_REPLAY   0x0002u /* detect replayed wrap/MIC tokens */
#define KRB_SEC_SEQUENCE 0x0004u /* detect reordered / missing tokens */
#define KRB_SEC_CONF     0x0008u /* confidentiality available in wrap */
#define KRB_SEC_INTEG    0x0010u /* integrity (always on) */
#define KRB_SEC_FS       0x0020u /* forward secrecy: X25519 folded into context keys */

/*
 * Replay cache of a service: a file-backed table shared by all threads and
 * processes of the service, surviving restarts, of bounded size. It fails
 * closed: when it cannot record a request the request is refused.
 *
 * krb_rc_open: the cache of service (canonical or short name) in $TESSERA_RCACHE_DIR,
 * else [libdefaults] rcache_dir, else /var/tmp, named
 * tessera_rc_<uid>_<service>, 65536 slots when created. Errors:
 * KRB_ERR_BAD_NAME, KRB_ERR_PERMISSION (symlink, other owner, mode not 0600),
 * KRB_ERR_RCACHE (cannot create, lock or map; damaged file — detail says
 * which). The caller frees *out with krb_rc_free.
 */
KRB_WUR krb_err krb_rc_open(krb_context *c, const char *service, krb_rcache **out);
/* As krb_rc_open with an explicit file and slot count (0: 65536; 4..2^24).
 * An existing file keeps the slot count it was created with. */
KRB_WUR krb_err krb_rc_open_file(krb_context *c, const char *path, uint32_t slots, krb_rcache **out);
/* Path of the cache file (owned by rc). */
const char *krb_rc_path(const krb_rcache *rc);
void krb_rc_free(krb_rcache *rc);

/*
 * One-way AP exchange for a service: verify the AP-REQ req[0..len) with
 * the keys of kt and the replay cache rc, and put the client's name into
 * client. service (canonical or short name) is the principal the ticket
 * must be for; NULL accepts any principal that has a key in kt. Checks, in
 * order: ticket for service (KRB_ERR_WRONG_PRINC), key of the ticket's
 * version in kt (KRB_ERR_KT_NOTFOUND, KRB_ERR_BADKEYVER), ticket and
 * authenticator open (KRB_ERR_MODIFIED), same client in both
 * (KRB_ERR_BADMATCH), ticket times (KRB_ERR_TKT_NYV, KRB_ERR_TKT_EXPIRED),
 * authenticator time within the skew (KRB_ERR_SKEW), not a replay
 * (KRB_ERR_REPEAT, KRB_ERR_RCACHE). Decoding errors: KRB_ERR_MALFORMED,
 * KRB_ERR_TOO_BIG, KRB_ERR_TRAILING, KRB_ERR_UNSUPPORTED, ...
 * No AP-REP is produced: for mutual authentication and message protection
 * use a security context (krb_sec_new_acceptor).
 */
KRB_WUR krb_err krb_ap_verify(krb_context *c, krb_keytab *kt, krb_rcache *rc, const char *service,
                              const uint8_t *req, size_t len, char client[KRB_NAME_MAX + 1]);

/*
 * Security contexts, GSS-API-shaped: the application moves opaque tokens.
 *
 *   initiator: krb_sec_new_initiator; loop { rc = krb_sec_init(in, &out);
 *              send out if out.len > 0; if rc == KRB_OK: done;
 *              if rc != KRB_CONTINUE: fail; receive in }
 *   acceptor:  krb_sec_new_acceptor; receive in; rc = krb_sec_accept(in, &out);
 *              send out if out.len > 0 (the AP-REP for mutual auth)
 *
 * The calls do no I/O. Any error moves the context to a final FAILED state
 * (keys wiped) and every later call returns KRB_ERR_BAD_STATE; so does a
 * call the current state does not allow (e.g. wrap before establishment).
 * Output tokens are library-allocated: release them with krb_buf_free; on
 * error *out is empty. See docs/SERVICE.md.
 */

/*
 * An initiator (client) context for target_service (canonical or short
 * name) with the credentials of cc: a cached service ticket or one obtained
 * now through a TGS exchange (the only I/O, done here). req_flags:
 * KRB_SEC_* (KRB_SEC_FS implies KRB_SEC_MUTUAL). Errors: those of
 * krb_get_service_ticket (KRB_ERR_NO_CREDS, KRB_ERR_TKT_EXPIRED,
 * KRB_ERR_KDC_UNREACHABLE, KRB_ERR_S_PRINCIPAL_UNKNOWN, ...),
 * KRB_ERR_BAD_NAME, KRB_ERR_INVALID_ARG (unknown flag). Free with krb_sec_free.
 */
KRB_WUR krb_err krb_sec_new_initiator(krb_context *c, krb_ccache *cc, const char *target_service, uint32_t req_flags,
                                      krb_sec_context **out);
/*
 * An acceptor (service) context: server keys from kt, replays recorded in
 * rc (both required, borrowed: they must outlive the context and may be
 * shared by many contexts and threads). service: the principal tickets must
 * be for, or NULL for any principal in kt. Errors: KRB_ERR_INVALID_ARG,
 * KRB_ERR_BAD_NAME, KRB_ERR_NOMEM. Free with krb_sec_free.
 */
KRB_WUR krb_err krb_sec_new_acceptor(krb_context *c, krb_keytab *kt, krb_rcache *rc, const char *service,
                                     krb_sec_context **out);
/*
 * Bind the context to an outer channel (e.g. a TLS exporter value); call
 * before the first krb_sec_init / krb_sec_accept. The initiator sends a
 * hash of data; an acceptor that has bindings refuses an AP-REQ without the
 * same hash (KRB_ERR_CHANNEL_BINDING). data is copied.
 * Errors: KRB_ERR_BAD_STATE (too late), KRB_ERR_INVALID_ARG, KRB_ERR_NOMEM.
 */
KRB_WUR krb_err krb_sec_set_channel_bindings(krb_sec_context *sc, const void *data, size_t len);
/*
 * Initiator step. First call: in = NULL, inlen = 0; *out receives the
 * AP-REQ; returns KRB_CONTINUE when mutual authentication awaits the
 * acceptor's reply, KRB_OK when the context is established (no mutual).
 * Second call: in = the acceptor's AP-REP; KRB_OK, *out empty. Errors:
 * KRB_ERR_MUT_FAIL (reply does not echo our time), KRB_ERR_MODIFIED /
 * KRB_ERR_MALFORMED (reply does not open), KRB_ERR_TKT_EXPIRED,
 * KRB_ERR_BAD_STATE.
 */
KRB_WUR krb_err krb_sec_init(krb_context *c, krb_sec_context *sc, const uint8_t *in, size_t inlen, krb_buf *out);
/*
 * Acceptor step: in = the initiator's AP-REQ. Returns KRB_OK (established)
 * with *out = the AP-REP to send when the initiator asked for mutual
 * authentication, else empty. Errors: those of krb_ap_verify, plus
 * KRB_ERR_CHANNEL_BINDING and KRB_ERR_BAD_STATE. Details name the client and
 * the reason; they are for the service's log, not for the peer.
 */
KRB_WUR krb_err krb_sec_accept(krb_context *c, krb_sec_context *sc, const uint8_t *in, size_t inlen, krb_buf *out);
/*
 * Protect msg[0..len) for the peer: with conf != 0 encrypted and
 * authenticated, else sent in clear with an integrity tag. *out receives
 * the token (len + 29 bytes). Errors: KRB_ERR_BAD_STATE (not established),
 * KRB_ERR_TOO_BIG (over 16 MiB), KRB_ERR_SEQ (sequence numbers exhausted).
 */
KRB_WUR krb_err krb_sec_wrap(krb_context *c, krb_sec_context *sc, int conf, const uint8_t *msg, size_t len,
                             krb_buf *out);
/*
 * Check and open a token from krb_sec_wrap of the peer. *out receives the
 * message, *conf (may be NULL) whether it was encrypted. Errors:
 * KRB_ERR_MODIFIED (forged, damaged, or sent by this side), KRB_ERR_MALFORMED
 * (truncated, not a wrap token), KRB_ERR_REPEAT (seen before; with
 * KRB_SEC_REPLAY or KRB_SEC_SEQUENCE), KRB_ERR_SEQ (gap or reordering; with
 * KRB_SEC_SEQUENCE), KRB_ERR_BAD_STATE. Any error ends the context.
 */
KRB_WUR krb_err krb_sec_unwrap(krb_context *c, krb_sec_context *sc, const uint8_t *tok, size_t len, krb_buf *out,
                               int *conf);
/* A MIC token (keyed BLAKE2b-256 over a sequence number and msg) for msg,
 * which travels separately. Errors: as krb_sec_wrap. */
KRB_WUR krb_err krb_sec_get_mic(krb_context *c, krb_sec_context *sc, const uint8_t *msg, size_t len, krb_buf *out);
/* Check the peer's MIC token tok for msg (constant-time compare). Errors:
 * as krb_sec_unwrap (KRB_ERR_MODIFIED when msg or tok differ). */
KRB_WUR krb_err krb_sec_verify_mic(krb_context *c, krb_sec_context *sc, const uint8_t *msg, size_t len,
                                   const uint8_t *tok, size_t toklen);
/* The peer: the client's name on an acceptor, the service's on an
 * initiator; "" until established. Owned by sc. */
const char *krb_sec_peer_name(const krb_sec_context *sc);
/* End time of the ticket behind the context (0 until established). The
 * application decides what to do with a context past its expiry. */
krb_time krb_sec_expiry(const krb_sec_context *sc);
/* The context's flags once established (KRB_SEC_*: what the initiator asked
 * for, plus KRB_SEC_MUTUAL when an AP-REP was exchanged); 0 before. */
uint32_t krb_sec_flags(const krb_sec_context *sc);
/* Wipe and free a context; NULL is a no-op. */
void krb_sec_free(krb_sec_context *sc);

#ifdef __cplusplus
}
#endif
#endif
