/*
 * fuzz_codec_ap_rep.c — krb_ap_rep_decode_open with the fixed session key
 * (0x22 x 32). An input starting with 'T' is a whole AP-REP; otherwise the
 * rest is the plaintext of the sealed part, wrapped by the target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key session_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[KRB_MSG_MAX];
    static const uint8_t nonce[KRB_NONCE_MAX];
    struct krb_ap_rep_part part;
    const uint8_t *msg = data;
    size_t len = size;

    if (session_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        session_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(session_key.k, 0x22, sizeof session_key.k);
    }
    if (size > 0 && data[0] != KRB_MAGIC0) {
        struct krb_wr w;
        size_t ctlen;
        if (size - 1 > 4096) {
            return 0;
        }
        krb_wr_init(&w, buf, sizeof buf);
        krb_wr_header(&w, KRB_MSG_AP_REP);
        krb_wr_u16(&w, (uint16_t)(size - 1 + krb_seal_overhead(session_key.suite)));
        if (krb_seal_with_nonce(&session_key, KRB_USAGE_AP_REP, buf, KRB_HEADER_BYTES, data + 1, size - 1, nonce,
                                buf + w.len, sizeof buf - w.len, &ctlen) != KRB_OK) {
            abort();
        }
        msg = buf;
        len = w.len + ctlen;
    }
    if (krb_ap_rep_decode_open(msg, len, &session_key, &part) == KRB_OK) {
        if (part.ctime < 0 || (part.has_subkey && !krb_suite_supported(part.subkey.suite))) {
            abort();
        }
    }
    return 0;
}
