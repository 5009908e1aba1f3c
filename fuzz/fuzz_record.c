/*
 * fuzz_record.c — the principal and policy record decoders of db/.
 * Whatever decodes must re-encode to the same bytes (one encoding per
 * value); nothing may read out of bounds or allocate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdb.h"
#include "kdb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kdb_principal p;
    struct kdb_policy pol;
    uint8_t out[KDB_RECORD_MAX];
    size_t len;

    if (kdb_record_decode(data, size, &p) == KRB_OK) {
        if (kdb_record_encode(&p, out, sizeof out, &len) != KRB_OK || len != size || memcmp(out, data, size) != 0) {
            abort(); /* decoded but not canonical */
        }
    }
    if (kdb_policy_decode(data, size, &pol) == KRB_OK) {
        if (kdb_policy_encode(&pol, out, sizeof out, &len) != KRB_OK || len != size || memcmp(out, data, size) != 0) {
            abort();
        }
    }
    return 0;
}
