/* fuzz_codec_pa_hint.c — krb_pa_hint_decode; a decoded hint encodes back to
 * the same bytes, and its Argon2id parameters are checked against the
 * bounds a client enforces (without running Argon2id). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t again[64];
    struct krb_pa_hint h;
    struct krb_wr w;

    if (krb_pa_hint_decode(data, size, &h) != KRB_OK) {
        return 0;
    }
    krb_wr_init(&w, again, sizeof again);
    krb_pa_hint_encode(&w, &h);
    if (w.err != KRB_OK || w.len != size || memcmp(again, data, size) != 0) {
        abort();
    }
    if (h.ops > KRB_PW_OPS_MAX || h.memkib > KRB_PW_MEMKIB_MAX) {
        struct krb_key k;
        /* Out of bounds: must be refused before any work is done. */
        if (krb_password_key(&k, KRB_SUITE_XCHACHA20POLY1305, "pw", h.salt, h.ops, h.memkib) != KRB_ERR_INVALID_ARG) {
            abort();
        }
    }
    return 0;
}
