/*
 * config.h — tessera.conf: an INI-style file.
 *
 *   # comment
 *   [libdefaults]
 *   default_realm = EXAMPLE.ORG
 *   [realm EXAMPLE.ORG]
 *   kdc = 127.0.0.1:7088        (repeatable; tried in order)
 *   [kdc]
 *   listen = 127.0.0.1:7088
 *
 * Keys are checked against a table of known keys per section, so a typo
 * is an error naming file and line. Values keep their order; a repeated
 * single-valued key takes the last value.
 */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "krb.h"

#define KRB_DEFAULT_PORT 7088
#define KRB_CONFIG_DEFAULT_PATH "/etc/tessera/tessera.conf"
#define KRB_CONFIG_MAX_BYTES (1u << 20)
#define KRB_CONFIG_MAX_LINE 4096
#define KRB_CONFIG_MAX_ENTRIES 4096

struct krb_context;
struct krb_config;

/* Parse text (len bytes) named fname in messages. Errors: KRB_ERR_CONFIG
 * with "fname:line: what" in c's detail. */
KRB_WUR krb_err krb_config_parse(struct krb_context *c, const char *text, size_t len, const char *fname,
                                 struct krb_config **out);
/* Read and parse a file. KRB_ERR_IO if it cannot be read. */
KRB_WUR krb_err krb_config_load(struct krb_context *c, const char *path, struct krb_config **out);
/* An empty configuration (built-in defaults only). */
KRB_WUR krb_err krb_config_empty(struct krb_config **out);
void krb_config_free(struct krb_config *cfg);

/* Last value of section/key, or NULL. */
const char *krb_config_get(const struct krb_config *cfg, const char *section, const char *key);
/* Number of values of section/key, and the i-th in file order. */
size_t krb_config_count(const struct krb_config *cfg, const char *section, const char *key);
const char *krb_config_nth(const struct krb_config *cfg, const char *section, const char *key, size_t i);

/* Typed getters: *out = def when absent. A bad value is KRB_ERR_CONFIG
 * with file and line. Durations accept s, m, h, d suffixes (plain number:
 * seconds) and are returned in microseconds; sizes accept K, M, G. */
KRB_WUR krb_err krb_config_duration(struct krb_context *c, const struct krb_config *cfg, const char *section,
                                    const char *key, krb_time def, krb_time *out);
KRB_WUR krb_err krb_config_uint(struct krb_context *c, const struct krb_config *cfg, const char *section,
                                const char *key, uint64_t def, uint64_t max, uint64_t *out);
KRB_WUR krb_err krb_config_bool(struct krb_context *c, const struct krb_config *cfg, const char *section,
                                const char *key, int def, int *out);

/* Parse "host:port", "[v6]:port" or "host" (port = KRB_DEFAULT_PORT). */
KRB_WUR krb_err krb_parse_hostport(struct krb_context *c, const char *s, char *host, size_t hostcap,
                                   uint16_t *port);
/* Parse a duration string ("10h", "90", "7d") into microseconds. */
KRB_WUR krb_err krb_parse_duration(const char *s, krb_time *out);

#endif
