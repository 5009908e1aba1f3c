/* fuzz_config.c — tessera.conf parser and the typed getters over whatever
 * it accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sections[] = { "libdefaults", "kdc", "realm EXAMPLE.ORG" };
    static const char *const keys[] = {
        "default_realm",           "clock_skew",     "kdc", "listen", "map_size", "workers",
        "hide_unknown_principals", "ticket_lifetime"
    };
    struct krb_config *cfg = NULL;
    char host[256];
    uint16_t port;
    krb_time t;
    uint64_t u;
    int b;

    if (krb_config_parse(NULL, (const char *)data, size, "fuzz.conf", &cfg) != KRB_OK) {
        if (cfg != NULL) {
            abort();
        }
        return 0;
    }
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t n = krb_config_count(cfg, sections[s], keys[k]);
            const char *last = krb_config_get(cfg, sections[s], keys[k]);
            if ((n == 0) != (last == NULL) || (n > 0 && krb_config_nth(cfg, sections[s], keys[k], n - 1) != last)) {
                abort();
            }
            for (size_t i = 0; i < n; i++) {
                (void)krb_parse_hostport(NULL, krb_config_nth(cfg, sections[s], keys[k], i), host, sizeof host, &port);
            }
            (void)krb_config_duration(NULL, cfg, sections[s], keys[k], 0, &t);
            (void)krb_config_uint(NULL, cfg, sections[s], keys[k], 0, UINT64_MAX, &u);
            (void)krb_config_bool(NULL, cfg, sections[s], keys[k], 0, &b);
        }
    }
    krb_config_free(cfg);
    return 0;
}
