/*
 * fuzz_keytab.c — the keytab file parser (krb_kt_parse). A keytab that
 * parses must serialise back to the same bytes, and every entry must be
 * found again by name and kvno.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "keytab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static krb_context *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    krb_keytab *kt = NULL;
    krb_buf img = { NULL, 0 };

    if (ctx == NULL && krb_context_new(NULL, &ctx) != KRB_OK) {
        abort();
    }
    if (krb_kt_parse(ctx, data, size, &kt) != KRB_OK) {
        return 0;
    }
    if (krb_kt_serialize(ctx, kt, &img) != KRB_OK || img.len != size || memcmp(img.data, data, size) != 0) {
        abort();
    }
    for (size_t i = 0; i < krb_kt_count(kt); i++) {
        krb_kt_info info;
        struct krb_key k;
        uint32_t kvno;
        if (krb_kt_get_info(kt, i, &info) != KRB_OK ||
            krb_kt_find(ctx, kt, info.principal, info.kvno, &k, &kvno) != KRB_OK || kvno != info.kvno) {
            abort();
        }
        krb_key_wipe(&k);
    }
    krb_buf_free(&img);
    krb_kt_free(kt);
    return 0;
}
