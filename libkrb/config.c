/* config.c — tessera.conf parser; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "context.h"
#include "error.h"

struct entry {
    char *section;
    char *key;
    char *value;
    unsigned line;
};

struct krb_config {
    char *fname;
    struct entry *e;
    size_t n;
};

/* Known keys per section; "realm *" matches any realm section. */
static const struct {
    const char *section;
    const char *key;
} known[] = {
    { "libdefaults", "default_realm" },   { "libdefaults", "clock_skew" },
    { "libdefaults", "kdc_timeout" },     { "libdefaults", "kdc_retries" },
    { "libdefaults", "ccache" },          { "libdefaults", "keytab" },
    { "libdefaults", "rcache_dir" },      { "libdefaults", "ticket_lifetime" },
    { "libdefaults", "renew_lifetime" },  { "libdefaults", "udp_preference_limit" },
    { "realm *", "kdc" },                 { "kdc", "realm" },
    { "kdc", "listen" },                  { "kdc", "database" },
    { "kdc", "stash" },                   { "kdc", "workers" },
    { "kdc", "max_life" },                { "kdc", "max_renewable_life" },
    { "kdc", "hide_unknown_principals" }, { "kdc", "log" },
    { "kdc", "pidfile" },                 { "kdc", "map_size" },
    { "kdc", "pwhash_ops" },              { "kdc", "pwhash_mem" },
    { "kdc", "tcp_idle_timeout" },        { "kdc", "max_tcp_connections" },
    { "kdc", "last_success_interval" },   { "kdc", "replay_cache_size" },
    { "kdc", "steer_by_cpu" },
};

static int key_known(const char *section, const char *key)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *s = known[i].section;
        int sect_ok = strcmp(s, section) == 0 || (strcmp(s, "realm *") == 0 && strncmp(section, "realm ", 6) == 0);
        if (sect_ok && strcmp(known[i].key, key) == 0) {
            return 1;
        }
    }
    return 0;
}

static int section_known(const char *section)
{
    return strcmp(section, "libdefaults") == 0 || strcmp(section, "kdc") == 0 ||
           (strncmp(section, "realm ", 6) == 0 && section[6] != '\0');
}

void krb_config_free(struct krb_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->e[i].section);
        free(cfg->e[i].key);
        free(cfg->e[i].value);
    }
    free(cfg->e);
    free(cfg->fname);
    free(cfg);
}

krb_err krb_config_empty(struct krb_config **out)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) {
        return KRB_ERR_NOMEM;
    }
    (*out)->fname = strdup("(built-in defaults)");
    if ((*out)->fname == NULL) {
        free(*out);
        *out = NULL;
        return KRB_ERR_NOMEM;
    }
    return KRB_OK;
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) {
        *--end = '\0';
    }
    return s;
}

static krb_err add_entry(struct krb_config *cfg, const char *section, const char *key, const char *value,
                         unsigned line)
{
    struct entry *e = realloc(cfg->e, (cfg->n + 1) * sizeof *e);
    if (e == NULL) {
        return KRB_ERR_NOMEM;
    }
    cfg->e = e;
    e = &cfg->e[cfg->n];
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    cfg->n++; /* counted even on failure so krb_config_free releases it */
    if (e->section == NULL || e->key == NULL || e->value == NULL) {
        return KRB_ERR_NOMEM;
    }
    return KRB_OK;
}

krb_err krb_config_parse(struct krb_context *c, const char *text, size_t len, const char *fname,
                         struct krb_config **out)
{
    struct krb_config *cfg = NULL;
    char section[KRB_CONFIG_MAX_LINE] = "";
    char line[KRB_CONFIG_MAX_LINE + 1];
    unsigned lineno = 0;
    size_t pos = 0;
    krb_err rc;

    *out = NULL;
    if (len > KRB_CONFIG_MAX_BYTES) {
        return krb_set_error(c, KRB_ERR_CONFIG, "%s: larger than %u bytes", fname, KRB_CONFIG_MAX_BYTES);
    }
    if ((rc = krb_config_empty(&cfg)) != KRB_OK) {
        return rc;
    }
    free(cfg->fname);
    if ((cfg->fname = strdup(fname)) == NULL) {
        rc = KRB_ERR_NOMEM;
        goto fail;
    }
    while (pos < len) {
        size_t start = pos, n;
        char *s, *eq, *key, *value;

        while (pos < len && text[pos] != '\n') {
            pos++;
        }
        n = pos - start;
        pos++; /* skip '\n' */
        lineno++;
        if (n > KRB_CONFIG_MAX_LINE) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: line longer than %d bytes", fname, lineno,
                               KRB_CONFIG_MAX_LINE);
            goto fail;
        }
        memcpy(line, text + start, n);
        line[n] = '\0';
        if (memchr(text + start, '\0', n) != NULL) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: NUL byte in file", fname, lineno);
            goto fail;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') {
            continue;
        }
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end == NULL || trim(end + 1)[0] != '\0') {
                rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: section header must be '[name]'", fname, lineno);
                goto fail;
            }
            *end = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            if (!section_known(section)) {
                rc = krb_set_error(c, KRB_ERR_CONFIG,
                                   "%s:%u: unknown section [%s] (expected [libdefaults], [kdc] or [realm NAME])",
                                   fname, lineno, section);
                goto fail;
            }
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: expected 'key = value'", fname, lineno);
            goto fail;
        }
        *eq = '\0';
        key = trim(s);
        value = trim(eq + 1);
        if (section[0] == '\0') {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: '%s' appears before any [section]", fname, lineno, key);
            goto fail;
        }
        if (*key == '\0' || *value == '\0') {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: empty key or value", fname, lineno);
            goto fail;
        }
        if (!key_known(section, key)) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: unknown key '%s' in [%s]", fname, lineno, key, section);
            goto fail;
        }
        if (cfg->n >= KRB_CONFIG_MAX_ENTRIES) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: more than %d settings", fname, lineno,
                               KRB_CONFIG_MAX_ENTRIES);
            goto fail;
        }
        if ((rc = add_entry(cfg, section, key, value, lineno)) != KRB_OK) {
            goto fail;
        }
    }
    *out = cfg;
    return KRB_OK;
fail:
    krb_config_free(cfg);
    return rc;
}

krb_err krb_config_load(struct krb_context *c, const char *path, struct krb_config **out)
{
    char *text = NULL;
    struct stat st;
    ssize_t got;
    krb_err rc;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return krb_set_error(c, KRB_ERR_IO, "cannot open config file %s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return krb_set_error(c, KRB_ERR_IO, "config file %s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > KRB_CONFIG_MAX_BYTES) {
        close(fd);
        return krb_set_error(c, KRB_ERR_CONFIG, "%s: larger than %u bytes", path, KRB_CONFIG_MAX_BYTES);
    }
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL) {
        close(fd);
        return KRB_ERR_NOMEM;
    }
    got = read(fd, text, (size_t)st.st_size);
    close(fd);
    if (got != (ssize_t)st.st_size) {
        free(text);
        return krb_set_error(c, KRB_ERR_IO, "cannot read config file %s", path);
    }
    rc = krb_config_parse(c, text, (size_t)got, path, out);
    free(text);
    return rc;
}

static const struct entry *find_last(const struct krb_config *cfg, const char *section, const char *key)
{
    for (size_t i = cfg->n; i-- > 0;) {
        if (strcmp(cfg->e[i].section, section) == 0 && strcmp(cfg->e[i].key, key) == 0) {
            return &cfg->e[i];
        }
    }
    return NULL;
}

const char *krb_config_get(const struct krb_config *cfg, const char *section, const char *key)
{
    const struct entry *e = find_last(cfg, section, key);
    return e != NULL ? e->value : NULL;
}

size_t krb_config_count(const struct krb_config *cfg, const char *section, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->e[i].section, section) == 0 && strcmp(cfg->e[i].key, key) == 0) {
            n++;
        }
    }
    return n;
}

const char *krb_config_nth(const struct krb_config *cfg, const char *section, const char *key, size_t idx)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->e[i].section, section) == 0 && strcmp(cfg->e[i].key, key) == 0) {
            if (idx-- == 0) {
                return cfg->e[i].value;
            }
        }
    }
    return NULL;
}

/* Parse an unsigned decimal with an optional one-letter suffix from units. */
static int parse_scaled(const char *s, const char *units, const uint64_t *mult, uint64_t *out)
{
    uint64_t v = 0, m = 1;
    const char *p = s;

    if (!isdigit((unsigned char)*p)) {
        return -1;
    }
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
        p++;
    }
    if (*p != '\0') {
        const char *u = strchr(units, *p);
        if (u == NULL || p[1] != '\0') {
            return -1;
        }
        m = mult[u - units];
    }
    if (m != 0 && v > UINT64_MAX / m) {
        return -1;
    }
    *out = v * m;
    return 0;
}

krb_err krb_parse_duration(const char *s, krb_time *out)
{
    static const uint64_t mult[] = { 1, 60, 3600, 86400 };
    uint64_t secs;

    if (parse_scaled(s, "smhd", mult, &secs) != 0 || secs > (uint64_t)100 * 365 * 86400) {
        return KRB_ERR_CONFIG;
    }
    *out = (krb_time)secs * 1000000;
    return KRB_OK;
}

krb_err krb_config_duration(struct krb_context *c, const struct krb_config *cfg, const char *section,
                            const char *key, krb_time def, krb_time *out)
{
    const struct entry *e = find_last(cfg, section, key);

    *out = def;
    if (e == NULL) {
        return KRB_OK;
    }
    if (krb_parse_duration(e->value, out) != KRB_OK) {
        *out = def;
        return krb_set_error(c, KRB_ERR_CONFIG,
                             "%s:%u: bad duration '%s' for %s (use a number with s, m, h or d, e.g. 10h)",
                             cfg->fname, e->line, e->value, key);
    }
    return KRB_OK;
}

krb_err krb_config_uint(struct krb_context *c, const struct krb_config *cfg, const char *section, const char *key,
                        uint64_t def, uint64_t max, uint64_t *out)
{
    static const uint64_t mult[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024 };
    const struct entry *e = find_last(cfg, section, key);
    uint64_t v;

    *out = def;
    if (e == NULL) {
        return KRB_OK;
    }
    if (parse_scaled(e->value, "KMG", mult, &v) != 0 || v > max) {
        return krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: bad value '%s' for %s (a number up to %llu, K/M/G allowed)",
                             cfg->fname, e->line, e->value, key, (unsigned long long)max);
    }
    *out = v;
    return KRB_OK;
}

krb_err krb_config_bool(struct krb_context *c, const struct krb_config *cfg, const char *section, const char *key,
                        int def, int *out)
{
    const struct entry *e = find_last(cfg, section, key);

    *out = def;
    if (e == NULL) {
        return KRB_OK;
    }
    if (strcmp(e->value, "true") == 0 || strcmp(e->value, "yes") == 0 || strcmp(e->value, "1") == 0) {
        *out = 1;
    } else if (strcmp(e->value, "false") == 0 || strcmp(e->value, "no") == 0 || strcmp(e->value, "0") == 0) {
        *out = 0;
    } else {
        return krb_set_error(c, KRB_ERR_CONFIG, "%s:%u: bad boolean '%s' for %s (use true or false)", cfg->fname,
                             e->line, e->value, key);
    }
    return KRB_OK;
}

krb_err krb_parse_hostport(struct krb_context *c, const char *s, char *host, size_t hostcap, uint16_t *port)
{
    const char *colon = NULL, *hend;
    uint64_t p = KRB_DEFAULT_PORT;
    static const uint64_t none[] = { 1 };

    if (s[0] == '[') {
        hend = strchr(s, ']');
        if (hend == NULL || (hend[1] != '\0' && hend[1] != ':')) {
            return krb_set_error(c, KRB_ERR_CONFIG, "bad address '%s' (use [v6addr]:port)", s);
        }
        colon = hend[1] == ':' ? hend + 1 : NULL;
        s++;
    } else {
        colon = strrchr(s, ':');
        hend = colon != NULL ? colon : s + strlen(s);
        if (colon != NULL && strchr(s, ':') != colon) {
            return krb_set_error(c, KRB_ERR_CONFIG, "bad address '%s' (write IPv6 as [addr]:port)", s);
        }
    }
    if (hend == s || (size_t)(hend - s) >= hostcap) {
        return krb_set_error(c, KRB_ERR_CONFIG, "bad address '%s': empty or too long host", s);
    }
    if (colon != NULL) {
        if (parse_scaled(colon + 1, "", none, &p) != 0 || p == 0 || p > 65535) {
            return krb_set_error(c, KRB_ERR_CONFIG, "bad port in address '%s' (1-65535)", s);
        }
    }
    memcpy(host, s, (size_t)(hend - s));
    host[hend - s] = '\0';
    *port = (uint16_t)p;
    return KRB_OK;
}
