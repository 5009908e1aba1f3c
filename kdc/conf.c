/* conf.c — the [kdc] section of tessera.conf, read in one place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "kdc.h"
#include "name.h"

static krb_err copy_path(krb_context *c, const struct krb_config *cfg, const char *key, const char *def, char *out,
                         size_t cap)
{
    const char *v = krb_config_get(cfg, "kdc", key);

    if (v == NULL) {
        v = def;
    }
    if (v[0] == '\0' || strlen(v) >= cap) {
        return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] %s: path empty or too long", key);
    }
    memcpy(out, v, strlen(v) + 1);
    return KRB_OK;
}

static unsigned ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1) {
        return 1;
    }
    return n > KDC_MAX_WORKERS ? KDC_MAX_WORKERS : (unsigned)n;
}

krb_err kdc_conf_parse(krb_context *c, const struct krb_config *cfg, struct kdc_conf *out)
{
    const char *realm, *log;
    uint64_t v;
    krb_err rc;
    size_t n;

    /* realm: [kdc] realm, else [libdefaults] default_realm, else the
     * database's (filled in by kdc.c when left empty here) */
    realm = krb_config_get(cfg, "kdc", "realm");
    if (realm == NULL) {
        realm = krb_config_get(cfg, "libdefaults", "default_realm");
    }
    out->realm[0] = '\0';
    if (realm != NULL) {
        char probe[KRB_NAME_MAX + 1];
        if (snprintf(probe, sizeof probe, "x@%s", realm) >= (int)sizeof probe ||
            krb_name_check(NULL, probe, strlen(probe)) != KRB_OK) {
            return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] realm '%s' is not a valid realm name", realm);
        }
        snprintf(out->realm, sizeof out->realm, "%s", realm);
    }

    n = krb_config_count(cfg, "kdc", "listen");
    if (n > KDC_MAX_LISTEN) {
        return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] listen: at most %d addresses", KDC_MAX_LISTEN);
    }
    out->nlisten = 0;
    for (size_t i = 0; i < (n == 0 ? 1 : n); i++) {
        const char *a = n == 0 ? KDC_DEFAULT_LISTEN : krb_config_nth(cfg, "kdc", "listen", i);
        struct kdc_listen *l = &out->listen[out->nlisten];
        if ((rc = krb_parse_hostport(c, a, l->host, sizeof l->host, &l->port)) != KRB_OK) {
            return rc;
        }
        if (l->port == 0) {
            return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] listen '%s': port 0 is not allowed", a);
        }
        out->nlisten++;
    }

    if ((rc = copy_path(c, cfg, "database", KDC_DEFAULT_DATABASE, out->database, sizeof out->database)) != KRB_OK ||
        (rc = copy_path(c, cfg, "stash", KDC_DEFAULT_STASH, out->stash, sizeof out->stash)) != KRB_OK) {
        return rc;
    }
    out->pidfile[0] = '\0';
    if (krb_config_get(cfg, "kdc", "pidfile") != NULL &&
        (rc = copy_path(c, cfg, "pidfile", "", out->pidfile, sizeof out->pidfile)) != KRB_OK) {
        return rc;
    }

    if ((rc = krb_config_uint(c, cfg, "kdc", "workers", ncpus(), KDC_MAX_WORKERS, &v)) != KRB_OK) {
        return rc;
    }
    out->workers = v == 0 ? ncpus() : (unsigned)v;
    if ((rc = krb_config_uint(c, cfg, "kdc", "map_size", 0, (uint64_t)1 << 40, &out->map_size)) != KRB_OK) {
        return rc;
    }
    if ((rc = krb_config_uint(c, cfg, "kdc", "max_tcp_connections", KDC_DEFAULT_MAX_TCP, 1u << 20, &v)) !=
        KRB_OK) {
        return rc;
    }
    out->max_tcp = (unsigned)v;
    if ((rc = krb_config_uint(c, cfg, "kdc", "replay_cache_size", KDC_DEFAULT_REPLAY_ENTRIES, (uint64_t)1 << 26,
                              &out->replay_entries)) != KRB_OK) {
        return rc;
    }
    if (out->replay_entries < 1024) {
        out->replay_entries = 1024;
    }
    if ((rc = krb_config_duration(c, cfg, "kdc", "max_life", KDC_DEFAULT_MAX_LIFE, &out->max_life)) != KRB_OK ||
        (rc = krb_config_duration(c, cfg, "kdc", "max_renewable_life", KDC_DEFAULT_MAX_RENEW, &out->max_renew)) !=
            KRB_OK ||
        (rc = krb_config_duration(c, cfg, "kdc", "tcp_idle_timeout", KDC_DEFAULT_TCP_IDLE, &out->tcp_idle)) !=
            KRB_OK ||
        (rc = krb_config_duration(c, cfg, "kdc", "last_success_interval", KDC_DEFAULT_LAST_SUCCESS,
                                  &out->last_success_interval)) != KRB_OK ||
        (rc = krb_config_duration(c, cfg, "libdefaults", "clock_skew", (krb_time)300 * 1000000, &out->skew)) !=
            KRB_OK) {
        return rc;
    }
    if (out->max_life <= 0) {
        return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] max_life must be positive");
    }
    if (out->tcp_idle <= 0) {
        out->tcp_idle = KDC_DEFAULT_TCP_IDLE;
    }
    if ((rc = krb_config_bool(c, cfg, "kdc", "hide_unknown_principals", 1, &out->hide_unknown)) != KRB_OK) {
        return rc;
    }
    if ((rc = krb_config_bool(c, cfg, "kdc", "steer_by_cpu", 1, &out->steer_cpu)) != KRB_OK) {
        return rc;
    }
    log = krb_config_get(cfg, "kdc", "log");
    if (log == NULL || strcmp(log, "stderr") == 0) {
        out->log_syslog = 0;
    } else if (strcmp(log, "syslog") == 0) {
        out->log_syslog = 1;
    } else {
        return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] log = '%s': use stderr or syslog", log);
    }
    return KRB_OK;
}

void kdc_conf_free(struct kdc_conf *conf)
{
    if (conf == NULL) {
        return;
    }
    for (size_t i = 0; i < conf->ntgt; i++) {
        krb_key_secure_free(conf->tgt[i].key);
    }
    sodium_memzero(conf, sizeof *conf);
    free(conf);
}
