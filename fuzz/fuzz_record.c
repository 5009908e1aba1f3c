/*
 * fuzz_record.c — the principal and policy record decoders of db/. For
 * principal records the input is u8 L, L bytes of name (the LMDB key),
 * then the record; policy records are the whole input.
 * Whatever decodes must re-encode to the same bytes (one encoding per
 * value); a version 1 principal record re-encodes as version 2, which must
 * decode to the same principal. Nothing may read out of bounds or
 * allocate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdb.h"
#include "kdb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kdb_principal p, q;
    struct kdb_policy pol;
    uint8_t out[KDB_RECORD_MAX];
    size_t len;

    size_t nlen = size > 0 ? data[0] : 0;
    if (size > 0 && nlen < size) {
        const uint8_t *rec = data + 1 + nlen;
        size_t rlen = size - 1 - nlen;
        if (kdb_record_decode(data + 1, nlen, rec, rlen, &p) == KRB_OK) {
            if (kdb_record_encode(&p, out, sizeof out, &len) != KRB_OK) {
                abort(); /* decoded but cannot be written back */
            }
            if (rec[0] == KDB_RECORD_VERSION && (len != rlen || memcmp(out, rec, rlen) != 0)) {
                abort(); /* decoded but not canonical */
            }
            if (kdb_record_decode(data + 1, nlen, out, len, &q) != KRB_OK || memcmp(&p, &q, sizeof p) != 0) {
                abort(); /* the upgrade changed the principal */
            }
        }
    }
    if (kdb_policy_decode(data, size, &pol) == KRB_OK) {
        if (kdb_policy_encode(&pol, out, sizeof out, &len) != KRB_OK || len != size || memcmp(out, data, size) != 0) {
            abort();
        }
    }
    return 0;
}
