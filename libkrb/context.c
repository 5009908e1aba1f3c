/* context.c — library context: config, clock, error detail. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "context.h"
#include "crypto.h"

krb_time krb_system_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (krb_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static krb_err load_settings(krb_context *c)
{
    const char *realm = krb_config_get(c->cfg, "libdefaults", "default_realm");
    krb_err rc;

    if (realm != NULL) {
        char probe[KRB_NAME_MAX + 1];
        if (snprintf(probe, sizeof probe, "x@%s", realm) >= (int)sizeof probe ||
            krb_name_check(NULL, probe, strlen(probe)) != KRB_OK) {
            return krb_set_error(c, KRB_ERR_CONFIG, "default_realm '%s' is not a valid realm name", realm);
        }
        snprintf(c->default_realm, sizeof c->default_realm, "%s", realm);
    }
    if ((rc = krb_config_duration(c, c->cfg, "libdefaults", "clock_skew", (krb_time)300 * 1000000, &c->skew)) !=
        KRB_OK) {
        return rc;
    }
    return KRB_OK;
}

krb_err krb_context_new(const char *config_path, krb_context **out)
{
    krb_context *c;
    const char *path = config_path;
    int explicit_path = 1;
    struct stat st;
    krb_err rc;

    *out = NULL;
    if (krb_crypto_init() != KRB_OK) {
        return KRB_ERR_CRYPTO;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        return KRB_ERR_NOMEM;
    }
    c->trace = getenv("TESSERA_TRACE") != NULL;
    c->skew = (krb_time)300 * 1000000;
    *out = c;
    if (path == NULL) {
        path = getenv("TESSERA_CONFIG");
    }
    if (path == NULL || path[0] == '\0') {
        path = KRB_CONFIG_DEFAULT_PATH;
        explicit_path = 0;
    }
    if (!explicit_path && stat(path, &st) != 0 && errno == ENOENT) {
        rc = krb_config_empty(&c->cfg);
    } else {
        rc = krb_config_load(c, path, &c->cfg);
    }
    if (rc != KRB_OK) {
        if (c->cfg == NULL && krb_config_empty(&c->cfg) != KRB_OK) {
            return KRB_ERR_NOMEM;
        }
        return rc;
    }
    return load_settings(c);
}

void krb_context_free(krb_context *c)
{
    if (c == NULL) {
        return;
    }
    krb_config_free(c->cfg);
    free(c);
}

const char *krb_default_realm(const krb_context *c)
{
    return c->default_realm;
}

krb_time krb_now(const krb_context *c)
{
    if (c != NULL && c->clock != NULL) {
        return c->clock(c->clock_arg);
    }
    return krb_system_time();
}

void krb_context_set_clock(krb_context *c, krb_time (*fn)(void *arg), void *arg)
{
    c->clock = fn;
    c->clock_arg = arg;
}

krb_time krb_clock_skew(const krb_context *c)
{
    return c->skew;
}

void krb_trace(const krb_context *c, const char *fmt, ...)
{
    va_list ap;

    if (c == NULL || !c->trace) {
        return;
    }
    va_start(ap, fmt);
    fputs("tessera trace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void krb_buf_free(krb_buf *b)
{
    if (b == NULL || b->data == NULL) {
        return;
    }
    krb_wipe(b->data, b->len);
    free(b->data);
    b->data = NULL;
    b->len = 0;
}
