/*
 * fuzz_ccache.c — the credential-cache decoder (krb_cc_parse).
 *
 * Any accepted image must be canonical: encoding the parsed cache again
 * gives back exactly the input bytes. Every entry's public view is read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    krb_ccache *cc = NULL;
    krb_cred_info info;
    krb_buf again = { NULL, 0 };

    if (!ready) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        ready = 1;
    }
    if (krb_cc_parse(NULL, data, size, &cc) != KRB_OK) {
        if (cc != NULL) {
            abort();
        }
        return 0;
    }
    if (krb_cc_count(cc) > KRB_CC_MAX_ENTRIES || krb_cc_principal(cc)[0] == '\0') {
        abort();
    }
    for (size_t i = 0; i < krb_cc_count(cc); i++) {
        if (krb_cc_get_info(cc, i, &info) != KRB_OK || strcmp(info.client, krb_cc_principal(cc)) != 0) {
            abort();
        }
    }
    if (krb_cc_get_info(cc, krb_cc_count(cc), &info) != KRB_ERR_INVALID_ARG) {
        abort();
    }
    if (krb_cc_serialize(NULL, cc, &again) != KRB_OK || again.len != size || memcmp(again.data, data, size) != 0) {
        abort();
    }
    krb_buf_free(&again);
    krb_cc_free(cc);
    return 0;
}
