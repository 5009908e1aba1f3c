/* codec.c — header and field helpers shared by every message; tickets. */
#include <string.h>

#include "codec.h"
#include "name.h"

void krb_wr_header(struct krb_wr *w, uint8_t type)
{
    uint8_t h[KRB_HEADER_BYTES] = { KRB_MAGIC0, KRB_MAGIC1, KRB_PROTO_VERSION, type };
    krb_wr_bytes(w, h, sizeof h);
}

void krb_rd_header(struct krb_rd *r, uint8_t type)
{
    const uint8_t *h = krb_rd_bytes(r, KRB_HEADER_BYTES);

    if (h == NULL) {
        return;
    }
    if (h[0] != KRB_MAGIC0 || h[1] != KRB_MAGIC1) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
    } else if (h[2] != KRB_PROTO_VERSION) {
        krb_rd_fail(r, KRB_ERR_UNSUPPORTED);
    } else if (h[3] != type) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
    }
}

krb_err krb_msg_peek_type(const uint8_t *p, size_t n, uint8_t *type)
{
    *type = 0;
    if (n < KRB_HEADER_BYTES || p[0] != KRB_MAGIC0 || p[1] != KRB_MAGIC1) {
        return KRB_ERR_MALFORMED;
    }
    if (p[2] != KRB_PROTO_VERSION) {
        return KRB_ERR_UNSUPPORTED;
    }
    *type = p[3];
    return KRB_OK;
}

void krb_rd_name(struct krb_rd *r, char out[KRB_NAME_MAX + 1])
{
    size_t n;
    const uint8_t *p = krb_rd_vec8(r, 1, KRB_NAME_MAX, &n);

    out[0] = '\0';
    if (p == NULL) {
        return;
    }
    if (krb_name_check(NULL, (const char *)p, n) != KRB_OK) {
        krb_rd_fail(r, KRB_ERR_BAD_NAME);
        return;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

void krb_wr_name(struct krb_wr *w, const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > KRB_NAME_MAX) {
        krb_wr_fail(w, KRB_ERR_BAD_NAME);
        return;
    }
    krb_wr_vec8(w, name, n);
}

krb_time krb_rd_time(struct krb_rd *r)
{
    uint64_t v = krb_rd_u64(r);

    if (v > (uint64_t)INT64_MAX) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return 0;
    }
    return (krb_time)v;
}

void krb_rd_key(struct krb_rd *r, struct krb_key *k)
{
    const uint8_t *p;

    k->suite = krb_rd_u16(r);
    p = krb_rd_bytes(r, KRB_KEY_BYTES);
    if (p == NULL) {
        krb_key_wipe(k);
        return;
    }
    if (!krb_suite_supported(k->suite)) {
        krb_rd_fail(r, KRB_ERR_ETYPE_NOSUPP);
        krb_key_wipe(k);
        return;
    }
    memcpy(k->k, p, KRB_KEY_BYTES);
}

void krb_wr_key(struct krb_wr *w, const struct krb_key *k)
{
    krb_wr_u16(w, k->suite);
    krb_wr_bytes(w, k->k, KRB_KEY_BYTES);
}

void krb_wr_sealed(struct krb_wr *w, const struct krb_key *k, uint64_t usage, const uint8_t *pt, size_t ptlen)
{
    krb_wr_sealed_nonce(w, k, usage, pt, ptlen, NULL);
}

void krb_wr_sealed_nonce(struct krb_wr *w, const struct krb_key *k, uint64_t usage, const uint8_t *pt, size_t ptlen,
                         const uint8_t *nonce)
{
    size_t ad_len = w->len, over = krb_seal_overhead(k->suite), ctlen;
    uint8_t *out;
    krb_err rc;

    if (w->err != KRB_OK) {
        return;
    }
    if (over == 0) {
        krb_wr_fail(w, KRB_ERR_ETYPE_NOSUPP);
        return;
    }
    if (ptlen + over > 0xffff) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return;
    }
    krb_wr_u16(w, (uint16_t)(ptlen + over));
    out = krb_wr_reserve(w, ptlen + over);
    if (out == NULL) {
        return;
    }
    if (nonce != NULL) {
        rc = krb_seal_with_nonce(k, usage, w->buf, ad_len, pt, ptlen, nonce, out, ptlen + over, &ctlen);
    } else {
        rc = krb_seal(k, usage, w->buf, ad_len, pt, ptlen, out, ptlen + over, &ctlen);
    }
    if (rc != KRB_OK) {
        krb_wr_fail(w, rc);
    }
}

const uint8_t *krb_rd_sealed(struct krb_rd *r, const uint8_t *msg_start, size_t *ct_len, size_t *ad_len)
{
    *ad_len = r->err == KRB_OK ? (size_t)(r->p - msg_start) : 0;
    return krb_rd_vec16(r, KRB_TAG_BYTES, 0xffff, ct_len);
}

/* ---------------- Tickets ---------------- */

#define TICKET_PART_MAX (4 + 2 + KRB_KEY_BYTES + 1 + KRB_NAME_MAX + 4 * 8 + 2 + KRB_AUTHZ_MAX)

void krb_ticket_encode(struct krb_wr *w, const char *server, uint32_t kvno, const struct krb_key *server_key,
                       const struct krb_ticket_part *part)
{
    krb_ticket_encode_nonce(w, server, kvno, server_key, part, NULL);
}

void krb_ticket_encode_nonce(struct krb_wr *w, const char *server, uint32_t kvno, const struct krb_key *server_key,
                             const struct krb_ticket_part *part, const uint8_t *nonce)
{
    uint8_t pt[TICKET_PART_MAX];
    struct krb_wr pw;
    size_t start = w->len;
    struct krb_wr tw;

    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u32(&pw, part->flags);
    krb_wr_key(&pw, &part->session);
    krb_wr_name(&pw, part->client);
    krb_wr_u64(&pw, (uint64_t)part->authtime);
    krb_wr_u64(&pw, (uint64_t)part->starttime);
    krb_wr_u64(&pw, (uint64_t)part->endtime);
    krb_wr_u64(&pw, (uint64_t)part->renew_till);
    if (part->authz_len > KRB_AUTHZ_MAX) {
        krb_wr_fail(&pw, KRB_ERR_TOO_BIG);
    }
    krb_wr_vec16(&pw, part->authz, part->authz_len);
    if (pw.err != KRB_OK) {
        krb_wr_fail(w, pw.err);
        goto out;
    }
    /* The ticket is its own message: its AD starts at its own header. */
    if (w->err != KRB_OK || w->len > w->cap) {
        goto out;
    }
    krb_wr_init(&tw, w->buf + start, w->cap - start);
    krb_wr_header(&tw, KRB_MSG_TICKET);
    krb_wr_name(&tw, server);
    krb_wr_u32(&tw, kvno);
    krb_wr_u16(&tw, server_key->suite);
    krb_wr_sealed_nonce(&tw, server_key, KRB_USAGE_TICKET, pt, pw.len, nonce);
    if (tw.err != KRB_OK) {
        krb_wr_fail(w, tw.err);
    } else if (tw.len > KRB_TICKET_MAX) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
    } else {
        w->len += tw.len;
    }
out:
    krb_wipe(pt, sizeof pt);
}

krb_err krb_ticket_decode(const uint8_t *p, size_t n, struct krb_ticket *t)
{
    struct krb_rd r;

    memset(t, 0, sizeof *t);
    if (n > KRB_TICKET_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_TICKET);
    krb_rd_name(&r, t->server);
    t->kvno = krb_rd_u32(&r);
    t->suite = krb_rd_u16(&r);
    t->ct = krb_rd_sealed(&r, p, &t->ct_len, &t->ad_len);
    t->msg = p;
    return krb_rd_end(&r);
}

krb_err krb_ticket_open(const struct krb_ticket *t, const struct krb_key *server_key, struct krb_ticket_part *out)
{
    uint8_t pt[KRB_TICKET_MAX];
    size_t ptlen, n;
    struct krb_rd r;
    const uint8_t *az;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (server_key->suite != t->suite) {
        return KRB_ERR_BADKEYVER;
    }
    rc = krb_open(server_key, KRB_USAGE_TICKET, t->msg, t->ad_len, t->ct, t->ct_len, pt, sizeof pt, &ptlen);
    if (rc != KRB_OK) {
        goto out;
    }
    krb_rd_init(&r, pt, ptlen);
    out->flags = krb_rd_u32(&r);
    krb_rd_key(&r, &out->session);
    krb_rd_name(&r, out->client);
    out->authtime = krb_rd_time(&r);
    out->starttime = krb_rd_time(&r);
    out->endtime = krb_rd_time(&r);
    out->renew_till = krb_rd_time(&r);
    az = krb_rd_vec16(&r, 0, KRB_AUTHZ_MAX, &n);
    if (az != NULL && n > 0) {
        memcpy(out->authz, az, n);
    }
    out->authz_len = (uint16_t)n;
    rc = krb_rd_end(&r);
out:
    krb_wipe(pt, sizeof pt);
    if (rc != KRB_OK) {
        krb_wipe(out, sizeof *out);
    }
    return rc;
}
