/* fuzz_codec_error.c — krb_error_decode; a decoded ERROR encodes back to the
 * same bytes (canonical), and its edata is tried as a pre-auth hint. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[KRB_MSG_MAX];
    struct krb_error_msg e;
    struct krb_pa_hint h;
    struct krb_wr w;

    if (krb_error_decode(data, size, &e) != KRB_OK) {
        return 0;
    }
    if (strlen(e.realm) > KRB_NAME_MAX || strlen(e.text) > KRB_ERROR_TEXT_MAX || e.edata_len > KRB_ERROR_DATA_MAX) {
        abort();
    }
    krb_wr_init(&w, again, sizeof again);
    krb_error_encode(&w, &e);
    if (w.err != KRB_OK || w.len != size || memcmp(again, data, size) != 0) {
        abort();
    }
    (void)krb_err_name((krb_err)e.code);
    (void)krb_pa_hint_decode(e.edata, e.edata_len, &h);
    return 0;
}
