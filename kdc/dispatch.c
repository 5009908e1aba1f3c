/*
 * dispatch.c — one request in, one reply out. Pure bytes: used by the
 * network loop, the unit tests and the fuzz target.
 *
 * Input that is not even a Tessera header gets silence; so do the message
 * types the KDC itself sends (replies, ERROR), so that two daemons can never
 * be made to answer each other forever. Every other failure is a small
 * ERROR with the code, the server time and the realm: no text (the client
 * has the generic message for each code; details go to the KDC log), so an
 * unauthenticated request never gets back much more than it sent.
 */
#include <stdio.h>
#include <string.h>

#include "chpw.h"
#include "kdc.h"

/* The smallest reply buffer kdc_handle accepts: any ERROR fits. */
#define KDC_REP_MIN (KRB_HEADER_BYTES + 4 + 8 + 1 + KRB_REALM_MAX + 2 + 2 + 64)
#define KDC_AMPLIFY_MAX 3u /* an ERROR reply is at most 3x the request, else silence */

krb_time kdc_cap(krb_time a, krb_time b)
{
    return (b > 0 && b < a) ? b : a;
}

/* Codes a client may see; anything else (database, memory...) is INTERNAL. */
static krb_err wire_code(krb_err e)
{
    switch (e) {
    case KRB_ERR_MALFORMED:
    case KRB_ERR_TRAILING:
    case KRB_ERR_TOO_BIG:
    case KRB_ERR_BAD_NAME:
    case KRB_ERR_MODIFIED:
    case KRB_ERR_SKEW:
    case KRB_ERR_REPEAT:
    case KRB_ERR_TKT_EXPIRED:
    case KRB_ERR_TKT_NYV:
    case KRB_ERR_BADKEYVER:
    case KRB_ERR_C_PRINCIPAL_UNKNOWN:
    case KRB_ERR_S_PRINCIPAL_UNKNOWN:
    case KRB_ERR_PREAUTH_REQUIRED:
    case KRB_ERR_PREAUTH_FAILED:
    case KRB_ERR_CLIENT_REVOKED:
    case KRB_ERR_KEY_EXPIRED:
    case KRB_ERR_NAME_EXP:
    case KRB_ERR_POLICY:
    case KRB_ERR_BADOPTION:
    case KRB_ERR_ETYPE_NOSUPP:
    case KRB_ERR_BADMATCH:
    case KRB_ERR_WRONG_PRINC:
    case KRB_ERR_REQ_MODIFIED:
    case KRB_ERR_RESPONSE_TOO_BIG:
    case KRB_ERR_RCACHE:
    case KRB_ERR_WRONG_REALM:
    case KRB_ERR_NOT_RENEWABLE:
    case KRB_ERR_UNSUPPORTED:
        return e;
    default:
        return KRB_ERR_INTERNAL;
    }
}

static size_t error_encode(const char *realm, krb_time now, krb_err code, const struct krb_pa_hint *hint,
                           uint8_t *rep, size_t cap)
{
    struct krb_error_msg e;
    struct krb_wr w;

    e.code = (uint32_t)wire_code(code);
    e.stime = now;
    snprintf(e.realm, sizeof e.realm, "%s", realm);
    e.text[0] = '\0';
    e.edata_len = 0;
    if (hint != NULL) {
        krb_wr_init(&w, e.edata, sizeof e.edata);
        krb_pa_hint_encode(&w, hint);
        if (w.err != KRB_OK) {
            return 0;
        }
        e.edata_len = (uint16_t)w.len;
    }
    krb_wr_init(&w, rep, cap);
    krb_error_encode(&w, &e);
    return w.err == KRB_OK ? w.len : 0;
}

size_t kdc_error_encode(struct kdc *k, krb_err code, uint8_t *rep, size_t cap)
{
    struct kdc_conf *conf = kdc_conf_acquire(k);
    size_t n = error_encode(conf->realm, krb_now(k->ctx), code, NULL, rep, cap);

    kdc_conf_release(conf);
    return n;
}

/* Types the KDC sends itself: never answered (no reflection loops). */
static int is_reply_type(uint8_t type)
{
    return type == KRB_MSG_AS_REP || type == KRB_MSG_TGS_REP || type == KRB_MSG_ERROR || type == KRB_MSG_AP_REP ||
           type == KRB_MSG_CHPW_REP;
}

krb_err kdc_handle(struct kdc *k, const uint8_t *req, size_t len, uint8_t *rep, size_t cap, size_t *replen,
                   struct kdc_log_entry *log)
{
    struct krb_context lc;
    struct kdc_req r;
    uint8_t type = 0;
    krb_err peek, res;

    *replen = 0;
    log->type = 0;
    log->client[0] = '\0';
    log->server[0] = '\0';
    log->detail[0] = '\0';
    log->result = KRB_ERR_MALFORMED;
    if (rep == NULL || cap < KDC_REP_MIN) {
        return KRB_ERR_INVALID_ARG;
    }
    if (req == NULL || len < KRB_HEADER_BYTES || req[0] != KRB_MAGIC0 || req[1] != KRB_MAGIC1) {
        snprintf(log->detail, sizeof log->detail, "not a Tessera message (%zu bytes)", len);
        return KRB_OK;
    }
    peek = krb_msg_peek_type(req, len, &type);
    type = req[3];
    log->type = type;
    if (is_reply_type(type)) {
        snprintf(log->detail, sizeof log->detail, "reply-type message ignored");
        return KRB_OK;
    }

    memset(&r, 0, sizeof r);
    r.k = k;
    r.conf = kdc_conf_acquire(k);
    lc = *k->ctx;
    lc.detail[0] = '\0';
    lc.last_err = KRB_OK;
    lc.skew = r.conf->skew;
    r.c = &lc;
    r.now = krb_now(&lc);
    r.msg = req;
    r.len = len;
    r.rep = rep;
    r.cap = cap;
    r.log = log;

    if (peek != KRB_OK) {
        res = krb_set_error(&lc, peek, "protocol version %u not supported", (unsigned)req[2]);
    } else if (len > KRB_MSG_MAX) {
        res = krb_set_error(&lc, KRB_ERR_TOO_BIG, "request of %zu bytes", len);
    } else if (type == KRB_MSG_AS_REQ) {
        res = kdc_as(&r);
    } else if (type == KRB_MSG_TGS_REQ) {
        res = kdc_tgs(&r);
    } else if (type == KRB_MSG_CHPW_REQ) {
        res = kdc_chpw(&r);
    } else {
        res = krb_set_error(&lc, KRB_ERR_MALFORMED, "message type %u is not a KDC request", (unsigned)type);
    }

    log->result = res;
    if (res == KRB_OK) {
        *replen = r.replen;
    } else {
        if (lc.detail[0] != '\0') {
            snprintf(log->detail, sizeof log->detail, "%s", lc.detail);
        }
        *replen = error_encode(r.conf->realm, r.now, res, r.has_hint ? &r.hint : NULL, rep, cap);
        /* No amplification: an ERROR more than KDC_AMPLIFY_MAX times the
         * request (only possible for requests far shorter than any valid
         * one) is not sent. */
        if (*replen > KDC_AMPLIFY_MAX * len) {
            size_t dl = strlen(log->detail);
            snprintf(log->detail + dl, sizeof log->detail - dl, "%sno reply: %zu-byte ERROR for a %zu-byte request",
                     dl != 0 ? "; " : "", *replen, len);
            *replen = 0;
        }
    }
    kdc_conf_release((struct kdc_conf *)r.conf);
    return KRB_OK;
}
