/*
 * fuzz_chpw.c — krb_chpw_req_decode and krb_chpw_req_open with the fixed
 * subkey (0x44 x 32). An input starting with 'T' is a whole CHPW_REQ;
 * otherwise the rest is the plaintext of the sealed password, wrapped by
 * the target (behind a minimal AP-REQ), so the post-decrypt checks are
 * reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key sub_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[KRB_MSG_MAX];
    static const uint8_t nonce[KRB_NONCE_MAX];
    static const uint8_t ap[] = { KRB_MAGIC0, KRB_MAGIC1, KRB_PROTO_VERSION, KRB_MSG_AP_REQ };
    char pw[KRB_CHPW_PASSWORD_MAX + 1];
    struct krb_chpw_req req;
    const uint8_t *msg = data;
    size_t len = size, pwlen = 0;

    if (sub_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        sub_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(sub_key.k, 0x44, sizeof sub_key.k);
    }
    if (size > 0 && data[0] != KRB_MAGIC0) {
        struct krb_wr w;
        size_t ad, ctlen;
        if (size - 1 > 4096) {
            return 0;
        }
        krb_wr_init(&w, buf, sizeof buf);
        krb_wr_header(&w, KRB_MSG_CHPW_REQ);
        krb_wr_vec16(&w, ap, sizeof ap);
        ad = w.len;
        krb_wr_u16(&w, (uint16_t)(size - 1 + krb_seal_overhead(sub_key.suite)));
        if (w.err != KRB_OK || krb_seal_with_nonce(&sub_key, KRB_USAGE_CHPW, buf, ad, data + 1, size - 1, nonce,
                                                   buf + w.len, sizeof buf - w.len, &ctlen) != KRB_OK) {
            abort();
        }
        msg = buf;
        len = w.len + ctlen;
    }
    if (krb_chpw_req_decode(msg, len, &req) != KRB_OK) {
        return 0;
    }
    if (req.ap_req_len < KRB_HEADER_BYTES || req.ap_req < msg || req.ap_req + req.ap_req_len > msg + len) {
        abort();
    }
    if (krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen) == KRB_OK) {
        if (pwlen == 0 || pwlen > KRB_CHPW_PASSWORD_MAX || strlen(pw) != pwlen) {
            abort();
        }
    }
    return 0;
}
