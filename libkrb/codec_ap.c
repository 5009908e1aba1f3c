/* codec_ap.c — authenticator, AP-REQ, AP-REP. */
#include <string.h>

#include "codec.h"

#define AUTH_MAX (1 + KRB_NAME_MAX + 8 + 1 + 2 + KRB_KEY_BYTES + 8 + 1 + KRB_HASH_BYTES + 1 + 32 + 4)
#define AP_REP_PART_MAX (8 + 1 + 2 + KRB_KEY_BYTES + 8 + 1 + 32)

void krb_ap_req_encode(struct krb_wr *w, uint32_t options, const uint8_t *ticket, size_t ticket_len,
                       const struct krb_key *session, uint64_t usage, const struct krb_authenticator *a)
{
    uint8_t pt[AUTH_MAX];
    struct krb_wr pw;
    size_t start = w->len;
    struct krb_wr aw;

    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_name(&pw, a->client);
    krb_wr_u64(&pw, (uint64_t)a->ctime);
    krb_wr_u8(&pw, a->has_subkey != 0);
    if (a->has_subkey) {
        krb_wr_key(&pw, &a->subkey);
    }
    krb_wr_u64(&pw, a->seq);
    krb_wr_u8(&pw, a->has_cksum != 0);
    if (a->has_cksum) {
        krb_wr_bytes(&pw, a->cksum, KRB_HASH_BYTES);
    }
    krb_wr_u8(&pw, a->has_dh != 0);
    if (a->has_dh) {
        krb_wr_bytes(&pw, a->dh, sizeof a->dh);
    }
    krb_wr_u32(&pw, a->ctx_flags);
    if (pw.err != KRB_OK) {
        krb_wr_fail(w, pw.err);
        goto out;
    }
    if (w->err != KRB_OK) {
        goto out;
    }
    /* An AP-REQ may sit inside a TGS-REQ: its AD starts at its own header. */
    krb_wr_init(&aw, w->buf + start, w->cap - start);
    krb_wr_header(&aw, KRB_MSG_AP_REQ);
    krb_wr_u32(&aw, options);
    krb_wr_vec16(&aw, ticket, ticket_len);
    krb_wr_sealed(&aw, session, usage, pt, pw.len);
    if (aw.err != KRB_OK) {
        krb_wr_fail(w, aw.err);
    } else {
        w->len += aw.len;
    }
out:
    krb_wipe(pt, sizeof pt);
}

krb_err krb_ap_req_decode(const uint8_t *p, size_t n, struct krb_ap_req *out)
{
    struct krb_rd r;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_AP_REQ);
    out->options = krb_rd_u32(&r);
    if (r.err == KRB_OK && (out->options & ~KRB_AP_OPT_KNOWN) != 0) {
        krb_rd_fail(&r, KRB_ERR_BADOPTION);
    }
    out->ticket_bytes = krb_rd_vec16(&r, 1, KRB_TICKET_MAX, &out->ticket_len);
    out->ct = krb_rd_sealed(&r, p, &out->ct_len, &out->ad_len);
    out->msg = p;
    if ((rc = krb_rd_end(&r)) != KRB_OK) {
        return rc;
    }
    return krb_ticket_decode(out->ticket_bytes, out->ticket_len, &out->ticket);
}

krb_err krb_ap_req_open(const struct krb_ap_req *req, const struct krb_key *session, uint64_t usage,
                        struct krb_authenticator *out)
{
    uint8_t pt[AUTH_MAX];
    size_t ptlen;
    struct krb_rd r;
    const uint8_t *f;
    krb_err rc;

    memset(out, 0, sizeof *out);
    rc = krb_open(session, usage, req->msg, req->ad_len, req->ct, req->ct_len, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    krb_rd_init(&r, pt, ptlen);
    krb_rd_name(&r, out->client);
    out->ctime = krb_rd_time(&r);
    out->has_subkey = krb_rd_bool(&r);
    if (out->has_subkey) {
        krb_rd_key(&r, &out->subkey);
    }
    out->seq = krb_rd_u64(&r);
    out->has_cksum = krb_rd_bool(&r);
    if (out->has_cksum && (f = krb_rd_bytes(&r, KRB_HASH_BYTES)) != NULL) {
        memcpy(out->cksum, f, KRB_HASH_BYTES);
    }
    out->has_dh = krb_rd_bool(&r);
    if (out->has_dh && (f = krb_rd_bytes(&r, sizeof out->dh)) != NULL) {
        memcpy(out->dh, f, sizeof out->dh);
    }
    out->ctx_flags = krb_rd_u32(&r);
    rc = krb_rd_end(&r);
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        krb_wipe(out, sizeof *out);
    }
    return rc;
}

void krb_ap_rep_encode(struct krb_wr *w, const struct krb_key *session, const struct krb_ap_rep_part *part)
{
    uint8_t pt[AP_REP_PART_MAX];
    struct krb_wr pw;

    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u64(&pw, (uint64_t)part->ctime);
    krb_wr_u8(&pw, part->has_subkey != 0);
    if (part->has_subkey) {
        krb_wr_key(&pw, &part->subkey);
    }
    krb_wr_u64(&pw, part->seq);
    krb_wr_u8(&pw, part->has_dh != 0);
    if (part->has_dh) {
        krb_wr_bytes(&pw, part->dh, sizeof part->dh);
    }
    if (pw.err != KRB_OK) {
        krb_wr_fail(w, pw.err);
    } else {
        krb_wr_header(w, KRB_MSG_AP_REP);
        krb_wr_sealed(w, session, KRB_USAGE_AP_REP, pt, pw.len);
    }
    krb_wipe(pt, sizeof pt);
}

krb_err krb_ap_rep_decode_open(const uint8_t *p, size_t n, const struct krb_key *session,
                               struct krb_ap_rep_part *out)
{
    uint8_t pt[AP_REP_PART_MAX];
    struct krb_rd r;
    const uint8_t *ct, *f;
    size_t ctlen, adlen, ptlen;
    krb_err rc;

    memset(out, 0, sizeof *out);
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_AP_REP);
    ct = krb_rd_sealed(&r, p, &ctlen, &adlen);
    if ((rc = krb_rd_end(&r)) != KRB_OK) {
        return rc;
    }
    rc = krb_open(session, KRB_USAGE_AP_REP, p, adlen, ct, ctlen, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    krb_rd_init(&r, pt, ptlen);
    out->ctime = krb_rd_time(&r);
    out->has_subkey = krb_rd_bool(&r);
    if (out->has_subkey) {
        krb_rd_key(&r, &out->subkey);
    }
    out->seq = krb_rd_u64(&r);
    out->has_dh = krb_rd_bool(&r);
    if (out->has_dh && (f = krb_rd_bytes(&r, sizeof out->dh)) != NULL) {
        memcpy(out->dh, f, sizeof out->dh);
    }
    rc = krb_rd_end(&r);
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        krb_wipe(out, sizeof *out);
    }
    return rc;
}
