/* codec_kdc.c — AS-REQ, TGS-REQ, AS-REP/TGS-REP, ERROR, pre-auth hint. */
#include <string.h>

#include "codec.h"

static void wr_body(struct krb_wr *w, const struct krb_kdc_req_body *b)
{
    krb_wr_name(w, b->server);
    krb_wr_u32(w, b->nonce);
    krb_wr_u32(w, b->options);
    krb_wr_u64(w, (uint64_t)b->till);
    krb_wr_u64(w, (uint64_t)b->rtime);
    if (b->nsuites == 0 || b->nsuites > KRB_SUITE_MAX_LIST) {
        krb_wr_fail(w, KRB_ERR_INVALID_ARG);
        return;
    }
    krb_wr_u8(w, b->nsuites);
    for (size_t i = 0; i < b->nsuites; i++) {
        krb_wr_u16(w, b->suites[i]);
    }
}

static void rd_body(struct krb_rd *r, struct krb_kdc_req_body *b)
{
    krb_rd_name(r, b->server);
    b->nonce = krb_rd_u32(r);
    b->options = krb_rd_u32(r);
    b->till = krb_rd_time(r);
    b->rtime = krb_rd_time(r);
    b->nsuites = krb_rd_u8(r);
    if (r->err == KRB_OK && (b->options & ~KRB_KDC_OPT_KNOWN) != 0) {
        krb_rd_fail(r, KRB_ERR_BADOPTION);
    }
    if (r->err == KRB_OK && (b->nsuites == 0 || b->nsuites > KRB_SUITE_MAX_LIST)) {
        krb_rd_fail(r, b->nsuites == 0 ? KRB_ERR_MALFORMED : KRB_ERR_TOO_BIG);
    }
    for (size_t i = 0; i < b->nsuites && r->err == KRB_OK; i++) {
        b->suites[i] = krb_rd_u16(r);
        for (size_t j = 0; j < i; j++) {
            if (b->suites[j] == b->suites[i]) {
                krb_rd_fail(r, KRB_ERR_MALFORMED); /* duplicate suite */
            }
        }
    }
    if (r->err != KRB_OK) {
        b->nsuites = 0; /* never leave a count larger than suites[] for a caller to trust */
    }
}

void krb_as_req_encode(struct krb_wr *w, const struct krb_kdc_req_body *body, const struct krb_key *client_key,
                       uint32_t client_kvno, krb_time now)
{
    uint8_t ts[8];

    krb_wr_header(w, KRB_MSG_AS_REQ);
    krb_wr_name(w, body->client);
    wr_body(w, body);
    krb_wr_u8(w, client_key != NULL);
    if (client_key != NULL) {
        krb_wr_u16(w, client_key->suite);
        krb_wr_u32(w, client_kvno);
        krb_put_u64(ts, (uint64_t)now);
        krb_wr_sealed(w, client_key, KRB_USAGE_PA_TIMESTAMP, ts, sizeof ts);
    }
}

krb_err krb_as_req_decode(const uint8_t *p, size_t n, struct krb_as_req *out)
{
    struct krb_rd r;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_AS_REQ);
    krb_rd_name(&r, out->body.client);
    rd_body(&r, &out->body);
    out->has_pa = krb_rd_bool(&r);
    if (out->has_pa) {
        out->pa_suite = krb_rd_u16(&r);
        out->pa_kvno = krb_rd_u32(&r);
        out->pa_ct = krb_rd_sealed(&r, p, &out->pa_ct_len, &out->pa_ad_len);
    }
    out->msg = p;
    out->msg_len = n;
    return krb_rd_end(&r);
}

krb_err krb_as_req_open_pa(const struct krb_as_req *req, const struct krb_key *client_key, krb_time *ts)
{
    uint8_t pt[8];
    size_t ptlen;
    krb_err rc;

    *ts = 0;
    if (!req->has_pa) {
        return KRB_ERR_PREAUTH_REQUIRED;
    }
    if (req->pa_ct_len != 8 + krb_seal_overhead(client_key->suite)) {
        return KRB_ERR_MALFORMED;
    }
    rc = krb_open(client_key, KRB_USAGE_PA_TIMESTAMP, req->msg, req->pa_ad_len, req->pa_ct, req->pa_ct_len, pt,
                  sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        return rc;
    }
    if (krb_get_u64(pt) > (uint64_t)INT64_MAX) {
        return KRB_ERR_MALFORMED;
    }
    *ts = (krb_time)krb_get_u64(pt);
    return KRB_OK;
}

void krb_tgs_req_encode(struct krb_wr *w, const struct krb_kdc_req_body *body, const uint8_t *tgt, size_t tgt_len,
                        const struct krb_key *tgt_session, struct krb_authenticator *a)
{
    size_t at, body_start;

    krb_wr_header(w, KRB_MSG_TGS_REQ);
    at = krb_wr_open16(w);
    body_start = w->len;
    wr_body(w, body);
    krb_wr_close16(w, at);
    if (w->err != KRB_OK) {
        return;
    }
    krb_hash(a->cksum, w->buf + body_start, w->len - body_start);
    a->has_cksum = 1;
    at = krb_wr_open16(w);
    krb_ap_req_encode(w, 0, tgt, tgt_len, tgt_session, KRB_USAGE_TGS_AUTH, a);
    krb_wr_close16(w, at);
}

krb_err krb_tgs_req_decode(const uint8_t *p, size_t n, struct krb_tgs_req *out)
{
    struct krb_rd r, b;
    const uint8_t *ap;
    size_t aplen = 0;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_TGS_REQ);
    krb_rd_sub16(&r, KRB_MSG_MAX, &b);
    out->body_bytes = b.p;
    out->body_len = b.left;
    rd_body(&b, &out->body);
    if ((rc = krb_rd_end(&b)) != KRB_OK) {
        return rc;
    }
    ap = krb_rd_vec16(&r, 1, KRB_MSG_MAX, &aplen);
    if ((rc = krb_rd_end(&r)) != KRB_OK) {
        return rc;
    }
    out->msg = p;
    out->msg_len = n;
    return krb_ap_req_decode(ap, aplen, &out->ap);
}

#define REP_PART_MAX (2 + KRB_KEY_BYTES + 4 + 4 + 4 * 8 + 1 + KRB_NAME_MAX + KRB_HASH_BYTES + 8)

void krb_kdc_rep_encode(struct krb_wr *w, uint8_t type, const char *client, const uint8_t *ticket,
                        size_t ticket_len, const struct krb_pa_hint *hint, const struct krb_key *reply_key,
                        const struct krb_kdc_rep_part *part)
{
    krb_kdc_rep_encode_nonce(w, type, client, ticket, ticket_len, hint, reply_key, part, NULL);
}

void krb_kdc_rep_encode_nonce(struct krb_wr *w, uint8_t type, const char *client, const uint8_t *ticket,
                              size_t ticket_len, const struct krb_pa_hint *hint, const struct krb_key *reply_key,
                              const struct krb_kdc_rep_part *part, const uint8_t *nonce)
{
    uint8_t pt[REP_PART_MAX];
    struct krb_wr pw;

    if (type != KRB_MSG_AS_REP && type != KRB_MSG_TGS_REP) {
        krb_wr_fail(w, KRB_ERR_INVALID_ARG);
        return;
    }
    if (type == KRB_MSG_AS_REP && (hint == NULL || hint->suite != reply_key->suite)) {
        krb_wr_fail(w, KRB_ERR_INVALID_ARG);
        return;
    }
    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_key(&pw, &part->session);
    krb_wr_u32(&pw, part->nonce);
    krb_wr_u32(&pw, part->flags);
    krb_wr_u64(&pw, (uint64_t)part->authtime);
    krb_wr_u64(&pw, (uint64_t)part->starttime);
    krb_wr_u64(&pw, (uint64_t)part->endtime);
    krb_wr_u64(&pw, (uint64_t)part->renew_till);
    krb_wr_name(&pw, part->server);
    krb_wr_bytes(&pw, part->req_hash, KRB_HASH_BYTES);
    krb_wr_u64(&pw, (uint64_t)part->key_expiration);
    if (pw.err != KRB_OK) {
        krb_wr_fail(w, pw.err);
        goto out;
    }
    krb_wr_header(w, type);
    krb_wr_name(w, client);
    krb_wr_vec16(w, ticket, ticket_len);
    if (type == KRB_MSG_AS_REP) {
        krb_pa_hint_encode(w, hint);
    } else {
        krb_wr_u16(w, reply_key->suite);
    }
    krb_wr_sealed_nonce(w, reply_key, type == KRB_MSG_AS_REP ? KRB_USAGE_AS_REP : KRB_USAGE_TGS_REP, pt, pw.len,
                        nonce);
out:
    krb_wipe(pt, sizeof pt);
}

static void rd_hint(struct krb_rd *r, struct krb_pa_hint *h)
{
    const uint8_t *salt;

    h->suite = krb_rd_u16(r);
    h->kvno = krb_rd_u32(r);
    salt = krb_rd_bytes(r, KRB_SALT_BYTES);
    if (salt != NULL) {
        memcpy(h->salt, salt, KRB_SALT_BYTES);
    }
    h->ops = krb_rd_u32(r);
    h->memkib = krb_rd_u32(r);
}

krb_err krb_kdc_rep_decode(const uint8_t *p, size_t n, uint8_t type, struct krb_kdc_rep *out)
{
    struct krb_rd r;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    if (type != KRB_MSG_AS_REP && type != KRB_MSG_TGS_REP) {
        return KRB_ERR_INVALID_ARG;
    }
    out->type = type;
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, type);
    krb_rd_name(&r, out->client);
    out->ticket = krb_rd_vec16(&r, 1, KRB_TICKET_MAX, &out->ticket_len);
    if (type == KRB_MSG_AS_REP) {
        rd_hint(&r, &out->hint);
    } else {
        out->hint.suite = krb_rd_u16(&r);
    }
    out->ct = krb_rd_sealed(&r, p, &out->ct_len, &out->ad_len);
    out->msg = p;
    return krb_rd_end(&r);
}

krb_err krb_kdc_rep_open(const struct krb_kdc_rep *rep, const struct krb_key *reply_key,
                         struct krb_kdc_rep_part *out)
{
    uint8_t pt[REP_PART_MAX];
    size_t ptlen;
    struct krb_rd r;
    const uint8_t *h;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (reply_key->suite != rep->hint.suite) {
        return KRB_ERR_ETYPE_NOSUPP;
    }
    rc = krb_open(reply_key, rep->type == KRB_MSG_AS_REP ? KRB_USAGE_AS_REP : KRB_USAGE_TGS_REP, rep->msg,
                  rep->ad_len, rep->ct, rep->ct_len, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    krb_rd_init(&r, pt, ptlen);
    krb_rd_key(&r, &out->session);
    out->nonce = krb_rd_u32(&r);
    out->flags = krb_rd_u32(&r);
    out->authtime = krb_rd_time(&r);
    out->starttime = krb_rd_time(&r);
    out->endtime = krb_rd_time(&r);
    out->renew_till = krb_rd_time(&r);
    krb_rd_name(&r, out->server);
    h = krb_rd_bytes(&r, KRB_HASH_BYTES);
    if (h != NULL) {
        memcpy(out->req_hash, h, KRB_HASH_BYTES);
    }
    out->key_expiration = krb_rd_time(&r);
    rc = krb_rd_end(&r);
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        krb_wipe(out, sizeof *out);
    }
    return rc;
}

void krb_error_encode(struct krb_wr *w, const struct krb_error_msg *e)
{
    krb_wr_header(w, KRB_MSG_ERROR);
    krb_wr_u32(w, e->code);
    krb_wr_u64(w, (uint64_t)e->stime);
    krb_wr_vec8(w, e->realm, strlen(e->realm));
    krb_wr_vec16(w, e->text, strnlen(e->text, KRB_ERROR_TEXT_MAX));
    if (e->edata_len > KRB_ERROR_DATA_MAX) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
    }
    krb_wr_vec16(w, e->edata, e->edata_len);
}

krb_err krb_error_decode(const uint8_t *p, size_t n, struct krb_error_msg *out)
{
    struct krb_rd r;
    const uint8_t *f;
    size_t len;

    memset(out, 0, sizeof *out);
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_ERROR);
    out->code = krb_rd_u32(&r);
    out->stime = krb_rd_time(&r);
    f = krb_rd_vec8(&r, 0, KRB_NAME_MAX, &len);
    if (f != NULL) {
        if (memchr(f, '\0', len) != NULL) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED);
        } else {
            memcpy(out->realm, f, len);
        }
    }
    f = krb_rd_vec16(&r, 0, KRB_ERROR_TEXT_MAX, &len);
    if (f != NULL) {
        if (memchr(f, '\0', len) != NULL) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED);
        } else {
            memcpy(out->text, f, len);
        }
    }
    f = krb_rd_vec16(&r, 0, KRB_ERROR_DATA_MAX, &len);
    if (f != NULL) {
        memcpy(out->edata, f, len);
        out->edata_len = (uint16_t)len;
    }
    if (krb_rd_end(&r) != KRB_OK) {
        krb_err rc = krb_rd_end(&r);
        memset(out, 0, sizeof *out);
        return rc;
    }
    return KRB_OK;
}

void krb_pa_hint_encode(struct krb_wr *w, const struct krb_pa_hint *h)
{
    krb_wr_u16(w, h->suite);
    krb_wr_u32(w, h->kvno);
    krb_wr_bytes(w, h->salt, KRB_SALT_BYTES);
    krb_wr_u32(w, h->ops);
    krb_wr_u32(w, h->memkib);
}

krb_err krb_pa_hint_decode(const uint8_t *p, size_t n, struct krb_pa_hint *out)
{
    struct krb_rd r;

    memset(out, 0, sizeof *out);
    krb_rd_init(&r, p, n);
    rd_hint(&r, out);
    return krb_rd_end(&r);
}
