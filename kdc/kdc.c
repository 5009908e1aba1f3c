/* kdc.c — server state: configuration snapshot, krbtgt key cache, reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "error.h"
#include "kdc.h"
#include "name.h"
#include "recorder.h"

/* Cache every key of krbtgt/REALM (newest first) in sodium_malloc memory. */
static krb_err load_tgt(krb_context *c, struct kdb *db, struct kdc_conf *conf)
{
    struct kdb_principal p;
    struct krb_key tmp;
    uint32_t kvno;
    krb_err rc;

    memset(&tmp, 0, sizeof tmp);
    rc = kdb_get(c, db, conf->tgs_name, &p);
    if (rc != KRB_OK) {
        char d[KRB_ERRDETAIL_MAX];
        snprintf(d, sizeof d, "%s", krb_context_error(c));
        rc = krb_set_error(c, rc, "cannot read %s from the database: %s (run `tkadmin init` first)", conf->tgs_name, d);
        goto out;
    }
    if (p.nkeys == 0) {
        rc = krb_set_error(c, KRB_ERR_BADKEYVER, "%s has no key (run `tkadmin cpw --randkey %s`)", conf->tgs_name,
                           conf->tgs_name);
        goto out;
    }
    for (size_t i = 0; i < p.nkeys && i < KDB_MAX_KEYS; i++) {
        struct krb_key *sk;
        if ((rc = kdb_key_get(c, db, &p, p.keys[i].kvno, &tmp, &kvno)) != KRB_OK) {
            goto out;
        }
        sk = krb_key_secure_new();
        if (sk == NULL) {
            rc = krb_set_error(c, KRB_ERR_NOMEM, "cannot allocate protected memory for the krbtgt key");
            goto out;
        }
        *sk = tmp;
        sodium_mprotect_readonly(sk);
        conf->tgt[conf->ntgt].kvno = kvno;
        conf->tgt[conf->ntgt].key = sk;
        conf->ntgt++;
        krb_key_wipe(&tmp);
    }
    conf->tgt_max_life = p.max_life;
    conf->tgt_max_renew = p.max_renew;
    conf->tgt_flags = p.flags;
    rc = KRB_OK;
out:
    krb_key_wipe(&tmp);
    sodium_memzero(&p, sizeof p);
    return rc;
}

/* The decoy of kdc_conf (kdc.h): "d@REALM" with a random key sealed under
 * the master key like any stored key, and its encoded record. */
static void make_decoy(krb_context *c, struct kdb *db, struct kdc_conf *conf)
{
    memset(&conf->decoy, 0, sizeof conf->decoy);
    conf->decoy_len = 0;
    if (snprintf(conf->decoy.name, sizeof conf->decoy.name, "d@%s", conf->realm) > KRB_NAME_MAX) {
        conf->decoy.name[0] = '\0';
        return;
    }
    conf->decoy.flags = KDB_F_REQUIRES_PREAUTH;
    if (kdb_key_add(c, db, &conf->decoy, NULL, 0) != KRB_OK ||
        kdb_record_encode(&conf->decoy, conf->decoy_rec, sizeof conf->decoy_rec, &conf->decoy_len) != KRB_OK) {
        conf->decoy_len = 0;
    }
}

/* Build a snapshot from cfg; the database must already be open (or db
 * NULL: the caller opens it with the parsed paths, then calls finish). */
static krb_err conf_finish(krb_context *c, struct kdb *db, struct kdc_conf *conf)
{
    const char *dbrealm = kdb_realm(db);
    krb_err rc;

    if (conf->realm[0] == '\0') {
        snprintf(conf->realm, sizeof conf->realm, "%s", dbrealm);
    } else if (strcmp(conf->realm, dbrealm) != 0) {
        return krb_set_error(c, KRB_ERR_WRONG_REALM, "configuration says realm %s but database %s holds realm %s",
                             conf->realm, conf->database, dbrealm);
    }
    if ((rc = krb_name_tgs(conf->tgs_name, conf->realm)) != KRB_OK) {
        return krb_set_error(c, rc, "bad realm name %s", conf->realm);
    }
    kdb_pwhash_params(db, &conf->pw_ops, &conf->pw_memkib);
    make_decoy(c, db, conf);
    return load_tgt(c, db, conf);
}

static krb_err read_config(krb_context *c, const char *path, struct krb_config **owned, const struct krb_config **cfg)
{
    krb_err rc;

    *owned = NULL;
    if (path == NULL || path[0] == '\0') {
        *cfg = c->cfg;
        return KRB_OK;
    }
    if ((rc = krb_config_load(c, path, owned)) != KRB_OK) {
        return rc;
    }
    *cfg = *owned;
    return KRB_OK;
}

krb_err kdc_new(krb_context *c, const char *config_path, struct kdc **out)
{
    struct kdc *k = NULL;
    struct kdc_conf *conf = NULL;
    struct krb_config *owned = NULL;
    const struct krb_config *cfg;
    krb_err rc;

    *out = NULL;
    if ((rc = krb_crypto_init()) != KRB_OK) {
        return krb_set_error(c, rc, "cannot initialise libsodium");
    }
    k = calloc(1, sizeof *k);
    conf = calloc(1, sizeof *conf);
    if (k == NULL || conf == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, "out of memory");
        goto out;
    }
    k->ctx = c;
    if (pthread_mutex_init(&k->conf_lock, NULL) != 0) {
        rc = krb_set_error(c, KRB_ERR_INTERNAL, "cannot create a mutex");
        free(k);
        k = NULL;
        goto out;
    }
    if (config_path != NULL) {
        if (strlen(config_path) >= sizeof k->config_path) {
            rc = krb_set_error(c, KRB_ERR_CONFIG, "configuration path too long");
            goto out;
        }
        snprintf(k->config_path, sizeof k->config_path, "%s", config_path);
    }
    if ((rc = read_config(c, config_path, &owned, &cfg)) != KRB_OK) {
        goto out;
    }
    if ((rc = kdc_conf_parse(c, cfg, conf)) != KRB_OK) {
        goto out;
    }
    rc = kdb_open(c, conf->database, conf->stash, KDB_RDWR, conf->map_size, &k->db);
    if (rc != KRB_OK) {
        char d[KRB_ERRDETAIL_MAX];
        snprintf(d, sizeof d, "%s", krb_context_error(c));
        rc = krb_set_error(c, rc, "cannot open database %s: %s", conf->database, d);
        goto out;
    }
    if ((rc = conf_finish(c, k->db, conf)) != KRB_OK) {
        goto out;
    }
    if ((rc = kdc_replay_new(conf->replay_entries, krb_now(c), &k->rc)) != KRB_OK) {
        rc = krb_set_error(c, rc, "cannot allocate the replay cache (%llu entries)",
                           (unsigned long long)conf->replay_entries);
        goto out;
    }
    if ((rc = kdc_recorder_new(k, &k->rec)) != KRB_OK) {
        goto out;
    }
    k->nhave = krb_suite_defaults(k->have);
    atomic_init(&conf->refs, 1);
    atomic_init(&k->log_syslog, conf->log_syslog);
    atomic_init(&k->log_quiet, 0);
    k->conf = conf;
    conf = NULL;
    *out = k;
    k = NULL;
    rc = KRB_OK;
out:
    krb_config_free(owned);
    kdc_conf_free(conf);
    kdc_free(k);
    return rc;
}

void kdc_free(struct kdc *k)
{
    if (k == NULL) {
        return;
    }
    kdc_recorder_free(k->rec); /* writes what is still queued */
    kdc_conf_release(k->conf);
    kdc_replay_free(k->rc);
    if (k->db != NULL) {
        kdb_close(k->db);
    }
    pthread_mutex_destroy(&k->conf_lock);
    free(k);
}

struct kdc_conf *kdc_conf_acquire(struct kdc *k)
{
    struct kdc_conf *conf;

    pthread_mutex_lock(&k->conf_lock);
    conf = k->conf;
    atomic_fetch_add_explicit(&conf->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&k->conf_lock);
    return conf;
}

void kdc_conf_release(struct kdc_conf *conf)
{
    if (conf != NULL && atomic_fetch_sub_explicit(&conf->refs, 1, memory_order_acq_rel) == 1) {
        kdc_conf_free(conf);
    }
}

/* Settings that need a restart keep their old values on reload. */
static void keep_restart_settings(struct kdc *k, const struct kdc_conf *old, struct kdc_conf *nc)
{
    int listen_same = old->nlisten == nc->nlisten;

    for (size_t i = 0; listen_same && i < old->nlisten; i++) {
        listen_same = strcmp(old->listen[i].host, nc->listen[i].host) == 0 && old->listen[i].port == nc->listen[i].port;
    }
    if (!listen_same) {
        kdc_log_msg(k, KDC_LOG_WARNING, "reload: listen addresses changed; restart tessera-kdc to apply");
        nc->nlisten = old->nlisten;
        memcpy(nc->listen, old->listen, sizeof nc->listen);
    }
    if (strcmp(old->database, nc->database) != 0 || strcmp(old->stash, nc->stash) != 0 ||
        nc->map_size != old->map_size) {
        kdc_log_msg(k, KDC_LOG_WARNING, "reload: database, stash or map_size changed; restart tessera-kdc to apply");
        memcpy(nc->database, old->database, sizeof nc->database);
        memcpy(nc->stash, old->stash, sizeof nc->stash);
        nc->map_size = old->map_size;
    }
    if (nc->workers != old->workers || nc->replay_entries != old->replay_entries ||
        nc->steer_cpu != old->steer_cpu) {
        kdc_log_msg(k, KDC_LOG_WARNING,
                    "reload: workers, replay_cache_size or steer_by_cpu changed; restart to apply");
        nc->workers = old->workers;
        nc->replay_entries = old->replay_entries;
        nc->steer_cpu = old->steer_cpu;
    }
    memcpy(nc->pidfile, old->pidfile, sizeof nc->pidfile);
}

krb_err kdc_reload(struct kdc *k, char *why, size_t whylen)
{
    struct krb_context lc = *k->ctx; /* own detail buffer */
    struct kdc_conf *old = kdc_conf_acquire(k), *nc = NULL;
    struct krb_config *owned = NULL;
    const struct krb_config *cfg;
    krb_err rc;

    lc.detail[0] = '\0';
    nc = calloc(1, sizeof *nc);
    if (nc == NULL) {
        rc = krb_set_error(&lc, KRB_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_config(&lc, k->config_path, &owned, &cfg)) != KRB_OK ||
        (rc = kdc_conf_parse(&lc, cfg, nc)) != KRB_OK) {
        goto out;
    }
    if (strcmp(nc->realm, old->realm) != 0 && nc->realm[0] != '\0') {
        rc = krb_set_error(&lc, KRB_ERR_CONFIG, "realm changed from %s to %s: restart tessera-kdc instead", old->realm,
                           nc->realm);
        goto out;
    }
    keep_restart_settings(k, old, nc);
    if ((rc = conf_finish(&lc, k->db, nc)) != KRB_OK) {
        goto out;
    }
    atomic_init(&nc->refs, 1);
    pthread_mutex_lock(&k->conf_lock);
    k->conf = nc;
    pthread_mutex_unlock(&k->conf_lock);
    atomic_store(&k->log_syslog, nc->log_syslog);
    nc = NULL;
    kdc_conf_release(old); /* the reference held by k */
    rc = KRB_OK;
out:
    if (rc != KRB_OK && why != NULL) {
        snprintf(why, whylen, "%s", krb_context_error(&lc));
    }
    krb_config_free(owned);
    kdc_conf_free(nc);
    kdc_conf_release(old); /* our borrow */
    return rc;
}
