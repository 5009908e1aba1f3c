/*
 * ap.h — the AP exchange (internal): a client builds an AP-REQ from
 * credentials and checks the AP-REP; a service verifies the AP-REQ against
 * its keys and its replay cache and builds the AP-REP. Used by
 * sec_context.c; the rules are in docs/SERVICE.md and docs/EXCHANGES.md.
 */
#ifndef TESSERA_AP_H
#define TESSERA_AP_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "creds.h"
#include "krb.h"

#define KRB_AP_REQ_MAX (KRB_HEADER_BYTES + 4 + 2 + KRB_TICKET_MAX + 2 + 512)
#define KRB_AP_REP_MAX 256u
#define KRB_DH_BYTES 32

/* What the client asks for in its AP-REQ. */
struct krb_ap_req_opts {
    uint32_t ap_options;  /* KRB_AP_OPT_* (MUTUAL_REQUIRED) */
    uint32_t ctx_flags;   /* KRB_SEC_*, carried to the acceptor */
    int want_subkey;      /* send a fresh random subkey */
    int has_cb;           /* channel bindings given (cb may be empty) */
    const uint8_t *cb;
    size_t cb_len;
    const uint8_t *dh_pub; /* X25519 public key (32 bytes) or NULL */
};

/* What the client keeps to check the AP-REP (secret: krb_ap_client_wipe). */
struct krb_ap_client {
    krb_time ctime;
    uint64_t seq;
    int has_subkey;
    struct krb_key subkey;
    struct krb_key session;
};

/*
 * Build an AP-REQ from cr into out (cap bytes). ctime = krb_now(c),
 * random initial sequence number, channel-binding hash in cksum.
 * Errors: KRB_ERR_TKT_EXPIRED (credentials already expired),
 * KRB_ERR_TOO_BIG, KRB_ERR_ETYPE_NOSUPP.
 */
KRB_WUR krb_err krb_ap_req_make(krb_context *c, const struct krb_creds *cr, const struct krb_ap_req_opts *o,
                                struct krb_ap_client *st, uint8_t *out, size_t cap, size_t *outlen);

/*
 * Open an AP-REP and check that it echoes our ctime (constant time).
 * Errors: KRB_ERR_MODIFIED / MALFORMED (cannot open), KRB_ERR_MUT_FAIL
 * (time differs). out is wiped on failure.
 */
KRB_WUR krb_err krb_ap_rep_check(krb_context *c, const struct krb_ap_client *st, const uint8_t *rep, size_t n,
                                 struct krb_ap_rep_part *out);
void krb_ap_client_wipe(struct krb_ap_client *st);

/* Key lookup used by the verifier: the key of server at kvno (suite as in
 * the ticket). Must return KRB_ERR_KT_NOTFOUND / KRB_ERR_BADKEYVER with a
 * detail on c. */
typedef krb_err (*krb_ap_keyfn)(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key);

/* What the service expects. */
struct krb_ap_verify_opts {
    const char *service; /* canonical name the ticket must be for, or NULL: any in the keytab */
    int has_cb;          /* check channel bindings */
    const uint8_t *cb;
    size_t cb_len;
};

/* The verified request (secret parts: krb_ap_result_wipe). */
struct krb_ap_result {
    char client[KRB_NAME_MAX + 1];
    char server[KRB_NAME_MAX + 1];
    uint32_t ap_options;
    uint32_t tkt_flags;
    krb_time authtime, starttime, endtime;
    uint16_t authz_len;
    uint8_t authz[KRB_AUTHZ_MAX];
    struct krb_key session;
    struct krb_authenticator auth; /* ctime, subkey, seq, cksum, dh, ctx_flags */
};

/*
 * Verify an AP-REQ. Checks, in order: decode (MALFORMED, TOO_BIG, ...);
 * ticket server = o->service when given (WRONG_PRINC); server key by the
 * ticket's kvno (KT_NOTFOUND, BADKEYVER); ticket opens (MODIFIED);
 * authenticator opens with the session key, usage AP_AUTH (MODIFIED);
 * authenticator client = ticket client (BADMATCH); now < starttime - skew
 * (TKT_NYV); now > endtime + skew (TKT_EXPIRED); |ctime - now| > skew
 * (SKEW); channel bindings when o->has_cb (CHANNEL_BINDING); replay cache
 * (REPEAT, RCACHE) — last, so that only authentic requests take a slot.
 * rc may be NULL only for tools that never accept a session (tests, fuzz).
 */
KRB_WUR krb_err krb_ap_verify_with(krb_context *c, krb_ap_keyfn keyfn, void *keyarg, krb_rcache *rc,
                                   const struct krb_ap_verify_opts *o, const uint8_t *req, size_t n,
                                   struct krb_ap_result *out);
/* Key lookup in a keytab (a krb_ap_keyfn body): KRB_ERR_KT_NOTFOUND when
 * the keytab has no key for server, KRB_ERR_BADKEYVER with the versions it
 * has ("... (has 1, 2): run tkadmin ktadd") when kvno is missing. */
KRB_WUR krb_err krb_ap_kt_key(krb_context *c, krb_keytab *kt, const char *server, uint32_t kvno, struct krb_key *key);
/* krb_ap_verify_with with keys from a keytab (detail on a missing kvno
 * lists the versions the keytab has). */
KRB_WUR krb_err krb_ap_verify_kt(krb_context *c, krb_keytab *kt, krb_rcache *rc, const struct krb_ap_verify_opts *o,
                                 const uint8_t *req, size_t n, struct krb_ap_result *out);

/* Build the AP-REP for a verified request: ctime echoed, part's subkey,
 * seq and dh as given (part->ctime is overwritten). */
KRB_WUR krb_err krb_ap_rep_make(krb_context *c, const struct krb_ap_result *res, struct krb_ap_rep_part *part,
                                uint8_t *out, size_t cap, size_t *outlen);
void krb_ap_result_wipe(struct krb_ap_result *r);

#endif
