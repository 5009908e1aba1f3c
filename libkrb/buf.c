/* buf.c — bounds-checked reader and writer; see buf.h. */
#include <string.h>

#include "buf.h"

void krb_rd_init(struct krb_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->left = n;
    r->err = (p == NULL && n != 0) ? KRB_ERR_INVALID_ARG : KRB_OK;
}

void krb_rd_fail(struct krb_rd *r, krb_err e)
{
    if (r->err == KRB_OK) {
        r->err = e;
    }
    r->left = 0;
}

const uint8_t *krb_rd_bytes(struct krb_rd *r, size_t n)
{
    const uint8_t *p;

    if (r->err != KRB_OK) {
        return NULL;
    }
    if (n > r->left) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return NULL;
    }
    p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint8_t krb_rd_u8(struct krb_rd *r)
{
    const uint8_t *p = krb_rd_bytes(r, 1);
    return p != NULL ? p[0] : 0;
}

uint16_t krb_rd_u16(struct krb_rd *r)
{
    const uint8_t *p = krb_rd_bytes(r, 2);
    return p != NULL ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t krb_rd_u32(struct krb_rd *r)
{
    const uint8_t *p = krb_rd_bytes(r, 4);
    return p != NULL ? krb_get_u32(p) : 0;
}

uint64_t krb_rd_u64(struct krb_rd *r)
{
    const uint8_t *p = krb_rd_bytes(r, 8);
    return p != NULL ? krb_get_u64(p) : 0;
}

int krb_rd_bool(struct krb_rd *r)
{
    uint8_t v = krb_rd_u8(r);
    if (v > 1) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return 0;
    }
    return v;
}

static const uint8_t *rd_vec(struct krb_rd *r, size_t n, size_t min, size_t max, size_t *len)
{
    const uint8_t *p;

    *len = 0;
    if (r->err != KRB_OK) {
        return NULL;
    }
    if (n > max) {
        krb_rd_fail(r, KRB_ERR_TOO_BIG);
        return NULL;
    }
    if (n < min) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return NULL;
    }
    p = krb_rd_bytes(r, n);
    if (p != NULL) {
        *len = n;
    }
    return p;
}

const uint8_t *krb_rd_vec8(struct krb_rd *r, size_t min, size_t max, size_t *len)
{
    size_t n = krb_rd_u8(r);
    return rd_vec(r, n, min, max, len);
}

const uint8_t *krb_rd_vec16(struct krb_rd *r, size_t min, size_t max, size_t *len)
{
    size_t n = krb_rd_u16(r);
    return rd_vec(r, n, min, max, len);
}

void krb_rd_sub16(struct krb_rd *r, size_t max, struct krb_rd *sub)
{
    size_t n;
    const uint8_t *p = krb_rd_vec16(r, 0, max, &n);

    krb_rd_init(sub, p, n);
    sub->err = r->err;
}

const uint8_t *krb_rd_rest(struct krb_rd *r, size_t *len)
{
    const uint8_t *p = r->p;

    *len = 0;
    if (r->err != KRB_OK) {
        return NULL;
    }
    *len = r->left;
    r->p += r->left;
    r->left = 0;
    return p;
}

krb_err krb_rd_end(const struct krb_rd *r)
{
    if (r->err != KRB_OK) {
        return r->err;
    }
    return r->left != 0 ? KRB_ERR_TRAILING : KRB_OK;
}

void krb_wr_init(struct krb_wr *w, void *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->len = 0;
    w->err = KRB_OK;
}

void krb_wr_fail(struct krb_wr *w, krb_err e)
{
    if (w->err == KRB_OK) {
        w->err = e;
    }
}

uint8_t *krb_wr_reserve(struct krb_wr *w, size_t n)
{
    uint8_t *p;

    if (w->err != KRB_OK) {
        return NULL;
    }
    if (n > w->cap - w->len) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return NULL;
    }
    p = w->buf + w->len;
    w->len += n;
    return p;
}

void krb_wr_bytes(struct krb_wr *w, const void *src, size_t n)
{
    uint8_t *p = krb_wr_reserve(w, n);
    if (p != NULL && n != 0) {
        memcpy(p, src, n);
    }
}

void krb_wr_u8(struct krb_wr *w, uint8_t v)
{
    krb_wr_bytes(w, &v, 1);
}

void krb_wr_u16(struct krb_wr *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    krb_wr_bytes(w, b, 2);
}

void krb_wr_u32(struct krb_wr *w, uint32_t v)
{
    uint8_t b[4];
    krb_put_u32(b, v);
    krb_wr_bytes(w, b, 4);
}

void krb_wr_u64(struct krb_wr *w, uint64_t v)
{
    uint8_t b[8];
    krb_put_u64(b, v);
    krb_wr_bytes(w, b, 8);
}

void krb_wr_vec8(struct krb_wr *w, const void *p, size_t n)
{
    if (n > 0xff) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return;
    }
    krb_wr_u8(w, (uint8_t)n);
    krb_wr_bytes(w, p, n);
}

void krb_wr_vec16(struct krb_wr *w, const void *p, size_t n)
{
    if (n > 0xffff) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return;
    }
    krb_wr_u16(w, (uint16_t)n);
    krb_wr_bytes(w, p, n);
}

void krb_wr_str8(struct krb_wr *w, const char *s)
{
    krb_wr_vec8(w, s, strlen(s));
}

size_t krb_wr_open16(struct krb_wr *w)
{
    size_t at = w->len;
    krb_wr_u16(w, 0);
    return at;
}

void krb_wr_close16(struct krb_wr *w, size_t at)
{
    size_t n;

    if (w->err != KRB_OK) {
        return;
    }
    n = w->len - at - 2;
    if (n > 0xffff) {
        krb_wr_fail(w, KRB_ERR_TOO_BIG);
        return;
    }
    w->buf[at] = (uint8_t)(n >> 8);
    w->buf[at + 1] = (uint8_t)n;
}

void krb_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void krb_put_u64(uint8_t *p, uint64_t v)
{
    krb_put_u32(p, (uint32_t)(v >> 32));
    krb_put_u32(p + 4, (uint32_t)v);
}

uint32_t krb_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t krb_get_u64(const uint8_t *p)
{
    return ((uint64_t)krb_get_u32(p) << 32) | krb_get_u32(p + 4);
}
