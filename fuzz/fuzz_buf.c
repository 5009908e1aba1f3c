/* fuzz_buf.c — the wire reader and writer driven by an op program: each
 * input byte picks the next read; every result is checked against the
 * reader's invariants (sticky error, bounds, never growing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ptr(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    if (p != NULL && (p < data || (size_t)(p - data) + n > size)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct krb_rd r, sub;
    struct krb_wr w;
    uint8_t out[64];
    const uint8_t *p;
    size_t n, before;
    int steps = 0;

    krb_rd_init(&r, data, size);
    krb_wr_init(&w, out, sizeof out);
    while (r.left > 0 && steps++ < 256) {
        uint8_t op = krb_rd_u8(&r);
        krb_err was = r.err;
        before = r.left;
        switch (op % 11) {
        case 0:
            krb_wr_u8(&w, krb_rd_u8(&r));
            break;
        case 1:
            krb_wr_u16(&w, krb_rd_u16(&r));
            break;
        case 2:
            krb_wr_u32(&w, krb_rd_u32(&r));
            break;
        case 3:
            krb_wr_u64(&w, krb_rd_u64(&r));
            break;
        case 4:
            krb_wr_u8(&w, (uint8_t)krb_rd_bool(&r));
            break;
        case 5:
            n = op >> 4;
            p = krb_rd_bytes(&r, n);
            check_ptr(p, n, data, size);
            if (p != NULL) {
                krb_wr_bytes(&w, p, n);
            }
            break;
        case 6:
            p = krb_rd_vec8(&r, op >> 6, (size_t)(op >> 3) * 8, &n);
            check_ptr(p, n, data, size);
            if (p != NULL) {
                krb_wr_vec8(&w, p, n);
            }
            break;
        case 7:
            p = krb_rd_vec16(&r, 0, (size_t)op * 64, &n);
            check_ptr(p, n, data, size);
            if (p != NULL) {
                krb_wr_vec16(&w, p, n);
            }
            break;
        case 8:
            krb_rd_sub16(&r, 1024, &sub);
            if (sub.err == KRB_OK) {
                check_ptr(sub.p, sub.left, data, size);
                (void)krb_rd_u32(&sub);
                p = krb_rd_rest(&sub, &n);
                check_ptr(p, n, data, size);
                if (sub.err == KRB_OK && krb_rd_end(&sub) != KRB_OK) {
                    abort();
                }
            } else if (sub.left != 0 || r.err == KRB_OK) {
                abort();
            }
            break;
        case 9: {
            size_t at = krb_wr_open16(&w);
            krb_wr_u8(&w, op);
            krb_wr_close16(&w, at);
            break;
        }
        default:
            p = krb_rd_rest(&r, &n);
            check_ptr(p, n, data, size);
            break;
        }
        /* The reader never grows, and an error sticks and empties it. */
        if (r.left > before || (was != KRB_OK && r.err != was) || (r.err != KRB_OK && r.left != 0)) {
            abort();
        }
        if (w.len > w.cap) {
            abort();
        }
    }
    if (r.err != KRB_OK) {
        if (krb_rd_u32(&r) != 0 || krb_rd_bytes(&r, 0) != NULL || krb_rd_end(&r) != r.err) {
            abort();
        }
    }
    return 0;
}
