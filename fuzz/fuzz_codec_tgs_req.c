/*
 * fuzz_codec_tgs_req.c — krb_tgs_req_decode, then what a KDC does: open the
 * TGT with the fixed krbtgt key (0x11 x 32, suite 1), open the
 * authenticator with the TGT's session key, compare the body hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key tgs_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct krb_tgs_req req;
    struct krb_ticket_part tgt;
    struct krb_authenticator a;
    uint8_t h[KRB_HASH_BYTES];

    if (tgs_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        tgs_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(tgs_key.k, 0x11, sizeof tgs_key.k);
    }
    if (krb_tgs_req_decode(data, size, &req) != KRB_OK) {
        return 0;
    }
    if (req.body.nsuites == 0 || req.body.nsuites > KRB_SUITE_MAX_LIST || req.body.client[0] != '\0' ||
        req.body_bytes < data || req.body_bytes + req.body_len > data + size) {
        abort();
    }
    if (krb_ticket_open(&req.ap.ticket, &tgs_key, &tgt) != KRB_OK) {
        return 0;
    }
    if (krb_ap_req_open(&req.ap, &tgt.session, KRB_USAGE_TGS_AUTH, &a) != KRB_OK) {
        return 0;
    }
    krb_hash(h, req.body_bytes, req.body_len);
    (void)krb_ct_equal(h, a.cksum, sizeof h);
    return 0;
}
