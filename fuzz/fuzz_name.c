/* fuzz_name.c — principal names: check, parse, and the canonical round trip
 * (components unescaped, built again, must give the same bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[1024], out[KRB_NAME_MAX + 1], again[KRB_NAME_MAX + 1];
    char comps[KRB_NAME_MAX_COMPONENTS][KRB_NAME_MAX + 1];
    const char *cp[KRB_NAME_MAX_COMPONENTS];
    size_t n;
    int checked;

    if (size >= sizeof s) {
        return 0;
    }
    checked = krb_name_check(NULL, (const char *)data, size) == KRB_OK;
    memcpy(s, data, size);
    s[size] = '\0';
    if (krb_name_parse(NULL, s, "FUZZ.REALM", out) != KRB_OK) {
        if (checked) {
            abort(); /* a canonical name must parse */
        }
        return 0;
    }
    if (checked && strcmp(out, s) != 0) {
        abort(); /* parsing a canonical name is the identity */
    }
    if (krb_name_check(NULL, out, strlen(out)) != KRB_OK) {
        abort();
    }
    n = krb_name_ncomp(out);
    if (n == 0 || n > KRB_NAME_MAX_COMPONENTS) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (krb_name_component(out, i, comps[i], sizeof comps[i]) != KRB_OK || comps[i][0] == '\0') {
            abort();
        }
        cp[i] = comps[i];
    }
    if (krb_name_component(out, n, comps[0], sizeof comps[0]) != KRB_ERR_INVALID_ARG) {
        abort();
    }
    if (krb_name_component(out, 0, comps[0], sizeof comps[0]) != KRB_OK) {
        abort();
    }
    if (krb_name_make(again, cp, n, krb_name_realm(out)) != KRB_OK || strcmp(again, out) != 0) {
        abort();
    }
    (void)krb_name_is_tgs(out);
    return 0;
}
