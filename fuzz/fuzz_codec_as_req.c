/*
 * fuzz_codec_as_req.c — krb_as_req_decode + krb_as_req_open_pa with the
 * fixed client key (0x33 x 32, suite 1; fuzz/gen_corpus.c seals the
 * pre-authentication seeds under it). The encoding is canonical: a decoded
 * request encodes back to the same bytes (up to the sealed timestamp).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key client_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[KRB_MSG_MAX];
    struct krb_as_req req;
    struct krb_wr w;
    krb_time ts;

    if (client_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        client_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(client_key.k, 0x33, sizeof client_key.k);
    }
    if (krb_as_req_decode(data, size, &req) != KRB_OK) {
        return 0;
    }
    if (req.body.nsuites == 0 || req.body.nsuites > KRB_SUITE_MAX_LIST) {
        abort();
    }
    (void)krb_suite_pick(req.body.suites, req.body.nsuites, req.body.suites, req.body.nsuites);
    krb_wr_init(&w, again, sizeof again);
    if (req.has_pa) {
        if (krb_as_req_open_pa(&req, &client_key, &ts) == KRB_OK && ts < 0) {
            abort();
        }
        if (req.pa_suite == client_key.suite) {
            krb_as_req_encode(&w, &req.body, &client_key, req.pa_kvno, 0);
            if (w.err != KRB_OK || w.len < req.pa_ad_len || memcmp(again, data, req.pa_ad_len) != 0) {
                abort();
            }
        }
    } else {
        krb_as_req_encode(&w, &req.body, NULL, 0, 0);
        if (w.err != KRB_OK || w.len != size || memcmp(again, data, size) != 0) {
            abort();
        }
    }
    return 0;
}
