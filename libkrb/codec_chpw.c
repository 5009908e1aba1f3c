/* codec_chpw.c — CHPW_REQ and CHPW_REP, the password-change messages
 * (docs/PROTOCOL.md "Password change"). */
#include <string.h>

#include "codec.h"

#define CHPW_REP_PART_MAX (4 + 2 + KRB_CHPW_TEXT_MAX)

void krb_chpw_req_encode(struct krb_wr *w, const uint8_t *ap_req, size_t ap_req_len, const struct krb_key *subkey,
                         const char *password, size_t pwlen)
{
    if (pwlen == 0 || pwlen > KRB_CHPW_PASSWORD_MAX) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return;
    }
    krb_wr_header(w, KRB_MSG_CHPW_REQ);
    krb_wr_vec16(w, ap_req, ap_req_len);
    krb_wr_sealed(w, subkey, KRB_USAGE_CHPW, (const uint8_t *)password, pwlen);
}

krb_err krb_chpw_req_decode(const uint8_t *p, size_t n, struct krb_chpw_req *out)
{
    struct krb_rd r;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_CHPW_REQ);
    out->ap_req = krb_rd_vec16(&r, KRB_HEADER_BYTES, KRB_MSG_MAX, &out->ap_req_len);
    out->ct = krb_rd_sealed(&r, p, &out->ct_len, &out->ad_len);
    out->msg = p;
    return krb_rd_end(&r);
}

krb_err krb_chpw_req_open(const struct krb_chpw_req *req, const struct krb_key *subkey, char *pw, size_t cap,
                          size_t *pwlen)
{
    uint8_t pt[KRB_CHPW_PASSWORD_MAX + KRB_SEAL_OVERHEAD_MAX];
    size_t ptlen = 0;
    krb_err rc;

    *pwlen = 0;
    if (cap < KRB_CHPW_PASSWORD_MAX + 1) {
        return KRB_ERR_INVALID_ARG;
    }
    if (req->ct_len > KRB_CHPW_PASSWORD_MAX + KRB_SEAL_OVERHEAD_MAX) {
        rc = KRB_ERR_TOO_BIG;
        goto out;
    }
    rc = krb_open(subkey, KRB_USAGE_CHPW, req->msg, req->ad_len, req->ct, req->ct_len, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    if (ptlen == 0 || ptlen > KRB_CHPW_PASSWORD_MAX || memchr(pt, '\0', ptlen) != NULL) {
        rc = KRB_ERR_MALFORMED;
        goto out;
    }
    memcpy(pw, pt, ptlen);
    pw[ptlen] = '\0';
    *pwlen = ptlen;
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        krb_wipe(pw, cap);
    }
    return rc;
}

void krb_chpw_rep_encode(struct krb_wr *w, const struct krb_key *subkey, const struct krb_chpw_rep *rep)
{
    uint8_t pt[CHPW_REP_PART_MAX];
    struct krb_wr pw;
    size_t tlen = strnlen(rep->text, sizeof rep->text);

    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u32(&pw, rep->code);
    if (tlen > KRB_CHPW_TEXT_MAX) {
        krb_wr_fail(&pw, KRB_ERR_TOO_BIG);
    }
    krb_wr_vec16(&pw, rep->text, tlen);
    if (pw.err != KRB_OK) {
        krb_wr_fail(w, pw.err);
    } else {
        krb_wr_header(w, KRB_MSG_CHPW_REP);
        krb_wr_sealed(w, subkey, KRB_USAGE_CHPW_REP, pt, pw.len);
    }
    krb_wipe(pt, sizeof pt);
}

krb_err krb_chpw_rep_decode_open(const uint8_t *p, size_t n, const struct krb_key *subkey, struct krb_chpw_rep *out)
{
    uint8_t pt[CHPW_REP_PART_MAX + KRB_SEAL_OVERHEAD_MAX];
    const uint8_t *ct, *f;
    size_t ct_len = 0, ad_len = 0, ptlen = 0, len = 0;
    struct krb_rd r;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (n > KRB_MSG_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_CHPW_REP);
    ct = krb_rd_sealed(&r, p, &ct_len, &ad_len);
    if ((rc = krb_rd_end(&r)) != KRB_OK) {
        return rc;
    }
    if (ct_len > CHPW_REP_PART_MAX + KRB_SEAL_OVERHEAD_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    rc = krb_open(subkey, KRB_USAGE_CHPW_REP, p, ad_len, ct, ct_len, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    krb_rd_init(&r, pt, ptlen);
    out->code = krb_rd_u32(&r);
    f = krb_rd_vec16(&r, 0, KRB_CHPW_TEXT_MAX, &len);
    if (f != NULL && len > 0) {
        memcpy(out->text, f, len);
    }
    out->text[len <= KRB_CHPW_TEXT_MAX ? len : 0] = '\0';
    rc = krb_rd_end(&r);
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}
