/*
 * as.c — the AS exchange, KDC side (docs/EXCHANGES.md "AS exchange").
 *
 * Order of checks for a request with pre-authentication: client exists,
 * locked, principal expired, password expired, PA kvno exists, timestamp
 * opens (failure counted for lockout), skew, common suite, server is
 * krbtgt/REALM or kadmin/changepw@REALM (a short, non-renewable ticket
 * sealed under that principal's key, also issued when the password has
 * expired, so that it can be changed). Unknown clients are indistinguishable from known ones when
 * hide_unknown_principals is on: same PREAUTH_REQUIRED with a hint whose
 * salt is a MAC of the name under a key derived from the krbtgt key.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chpw.h"
#include "error.h"
#include "kdc.h"
#include "name.h"

static void hint_of_key(const struct kdb_key *kk, struct krb_pa_hint *h)
{
    h->suite = kk->suite;
    h->kvno = kk->kvno;
    if (kk->has_salt) {
        memcpy(h->salt, kk->salt, KRB_SALT_BYTES);
        h->ops = kk->ops;
        h->memkib = kk->memkib;
    } else {
        memset(h->salt, 0, KRB_SALT_BYTES);
        h->ops = 0;
        h->memkib = 0;
    }
}

/* The hint an unknown name gets: stable across calls and restarts. */
static krb_err fake_hint(const struct kdc_req *r, const char *name, struct krb_pa_hint *h)
{
    uint8_t mac[KRB_HASH_BYTES];
    krb_err rc;

    if (r->conf->ntgt == 0) {
        return KRB_ERR_INTERNAL;
    }
    rc = krb_mac(mac, r->conf->tgt[0].key, KDC_USAGE_FAKE_SALT, name, strlen(name));
    if (rc == KRB_OK) {
        h->suite = KRB_SUITE_XCHACHA20POLY1305;
        h->kvno = 1;
        memcpy(h->salt, mac, KRB_SALT_BYTES);
        h->ops = r->conf->pw_ops;
        h->memkib = r->conf->pw_memkib;
    }
    krb_wipe(mac, sizeof mac);
    return rc;
}

static const struct kdb_key *find_kvno(const struct kdb_principal *p, uint32_t kvno)
{
    for (size_t i = 0; i < p->nkeys && i < KDB_MAX_KEYS; i++) {
        if (p->keys[i].kvno == kvno) {
            return &p->keys[i];
        }
    }
    return NULL;
}

static krb_time abs_diff(krb_time a, krb_time b)
{
    return a > b ? a - b : b - a;
}

krb_err kdc_as(struct kdc_req *r)
{
    const struct kdc_conf *conf = r->conf;
    krb_context *c = r->c;
    struct krb_as_req req;
    struct kdb_principal cp, sp;
    const struct kdb_key *kk;
    struct krb_key ckey, session, svkey;
    const struct krb_key *tkey;
    const char *sname;
    uint32_t tkvno;
    struct krb_ticket_part tp;
    struct krb_kdc_rep_part rp;
    struct krb_pa_hint hint;
    uint8_t tkt[KRB_TICKET_MAX];
    struct krb_wr w;
    krb_time ts, now = r->now, life, rlife;
    uint32_t kvno;
    uint16_t suite;
    int known, renewable, chpw;
    krb_err rc;

    memset(&ckey, 0, sizeof ckey);
    memset(&session, 0, sizeof session);
    memset(&svkey, 0, sizeof svkey);
    memset(&tp, 0, offsetof(struct krb_ticket_part, authz));
    memset(&rp, 0, sizeof rp);
    cp.nkeys = 0;
    sp.nkeys = 0;

    if ((rc = krb_as_req_decode(r->msg, r->len, &req)) != KRB_OK) {
        krb_set_error(c, rc, "AS-REQ does not decode");
        goto out;
    }
    memcpy(r->log->client, req.body.client, sizeof r->log->client);
    memcpy(r->log->server, req.body.server, sizeof r->log->server);
    chpw = kdc_is_changepw(conf, req.body.server);
    if (strcmp(krb_name_realm(req.body.client), conf->realm) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_REALM, "client of another realm");
        goto out;
    }

    rc = kdb_get(c, r->k->db, req.body.client, &cp);
    if (rc == KRB_ERR_UNKNOWN_PRINCIPAL) {
        known = 0;
    } else if (rc != KRB_OK) {
        goto out;
    } else {
        known = 1;
    }

    if (!req.has_pa) {
        if (!known && !conf->hide_unknown) {
            rc = krb_set_error(c, KRB_ERR_C_PRINCIPAL_UNKNOWN, "unknown client");
            goto out;
        }
        if (!known) {
            if ((rc = fake_hint(r, req.body.client, &r->hint)) != KRB_OK) {
                goto out;
            }
            krb_set_error(c, KRB_ERR_PREAUTH_REQUIRED, "unknown client (hidden)");
        } else if (cp.nkeys == 0) {
            rc = krb_set_error(c, KRB_ERR_PREAUTH_FAILED, "client has no key");
            goto out;
        } else {
            hint_of_key(&cp.keys[0], &r->hint);
            krb_set_error(c, KRB_ERR_PREAUTH_REQUIRED, "hint kvno %u", (unsigned)cp.keys[0].kvno);
        }
        r->has_hint = 1;
        rc = KRB_ERR_PREAUTH_REQUIRED;
        goto out;
    }

    if (!known) {
        rc = krb_set_error(c, conf->hide_unknown ? KRB_ERR_PREAUTH_FAILED : KRB_ERR_C_PRINCIPAL_UNKNOWN,
                           "unknown client");
        goto out;
    }
    if (kdb_is_locked(c, r->k->db, &cp, now)) {
        rc = krb_set_error(c, KRB_ERR_CLIENT_REVOKED, "client locked (fail_count %u)", (unsigned)cp.fail_count);
        goto out;
    }
    if (cp.expire != 0 && now >= cp.expire) {
        rc = krb_set_error(c, KRB_ERR_NAME_EXP, "principal expired");
        goto out;
    }
    if (cp.pw_expire != 0 && now >= cp.pw_expire && !chpw) {
        rc = krb_set_error(c, KRB_ERR_KEY_EXPIRED, "password expired");
        goto out;
    }
    kk = find_kvno(&cp, req.pa_kvno);
    if (kk == NULL || kk->suite != req.pa_suite || req.pa_kvno == 0) {
        rc = krb_set_error(c, KRB_ERR_PREAUTH_FAILED, "pre-auth with unknown key version %u suite %u",
                           (unsigned)req.pa_kvno, (unsigned)req.pa_suite);
        goto out;
    }
    if ((rc = kdb_key_get(c, r->k->db, &cp, kk->kvno, &ckey, &kvno)) != KRB_OK) {
        goto out;
    }
    rc = krb_as_req_open_pa(&req, &ckey, &ts);
    if (rc != KRB_OK) {
        if (rc == KRB_ERR_MODIFIED &&
            kdb_record_auth(c, r->k->db, cp.name, 0, now, 0) != KRB_OK) {
            kdc_log_msg(r->k, KDC_LOG_ERR, "cannot record pre-auth failure of %s: %s", cp.name,
                        krb_context_error(c));
        }
        rc = krb_set_error(c, KRB_ERR_PREAUTH_FAILED, "password incorrect (kvno %u)", (unsigned)kvno);
        goto out;
    }
    if (abs_diff(ts, now) > c->skew) {
        rc = krb_set_error(c, KRB_ERR_SKEW, "client clock off by %lld s", (long long)((ts - now) / 1000000));
        goto out;
    }
    suite = krb_suite_pick(req.body.suites, req.body.nsuites, r->k->have, r->k->nhave);
    if (suite == 0) {
        rc = krb_set_error(c, KRB_ERR_ETYPE_NOSUPP, "no common suite");
        goto out;
    }
    if (chpw) {
        rc = kdb_get(c, r->k->db, req.body.server, &sp);
        if (rc == KRB_ERR_UNKNOWN_PRINCIPAL || (rc == KRB_OK && sp.nkeys == 0)) {
            rc = krb_set_error(c, KRB_ERR_S_PRINCIPAL_UNKNOWN, "%s is not set up: run tkadmin addprinc -randkey",
                               req.body.server);
            goto out;
        }
        if (rc != KRB_OK || (rc = kdb_key_get(c, r->k->db, &sp, 0, &svkey, &tkvno)) != KRB_OK) {
            goto out;
        }
        tkey = &svkey;
        sname = sp.name;
    } else if (strcmp(req.body.server, conf->tgs_name) != 0 || conf->ntgt == 0) {
        rc = krb_set_error(c, KRB_ERR_S_PRINCIPAL_UNKNOWN, "AS-REQ server must be %s", conf->tgs_name);
        goto out;
    } else {
        tkey = conf->tgt[0].key;
        tkvno = conf->tgt[0].kvno;
        sname = conf->tgs_name;
    }
    if (req.body.till != 0 && req.body.till <= now) {
        rc = krb_set_error(c, KRB_ERR_BADOPTION, "requested end time in the past");
        goto out;
    }
    if (cp.fail_count != 0 || now - cp.last_success >= conf->last_success_interval) {
        if (kdb_record_auth(c, r->k->db, cp.name, 1, now, conf->last_success_interval) != KRB_OK) {
            kdc_log_msg(r->k, KDC_LOG_ERR, "cannot record success of %s: %s", cp.name, krb_context_error(c));
        }
    }

    /* lifetimes */
    life = conf->max_life;
    life = kdc_cap(life, cp.max_life);
    life = kdc_cap(life, conf->tgt_max_life);
    if (req.body.till != 0) {
        life = kdc_cap(life, req.body.till - now);
    }
    renewable = (req.body.options & KRB_KDC_OPT_RENEWABLE) != 0 && ((cp.flags | conf->tgt_flags) &
                                                                    KDB_F_DISALLOW_RENEWABLE) == 0;
    rlife = conf->max_renew;
    rlife = kdc_cap(rlife, cp.max_renew);
    rlife = kdc_cap(rlife, conf->tgt_max_renew);
    if (renewable && req.body.rtime != 0) {
        rlife = req.body.rtime > now ? kdc_cap(rlife, req.body.rtime - now) : 0;
    }
    if (rlife <= 0) {
        renewable = 0;
    }
    if (chpw) {
        life = kdc_cap(life, KDC_CHPW_LIFE);
        renewable = 0;
    }

    if ((rc = krb_key_random(&session, suite)) != KRB_OK) {
        goto out;
    }
    tp.flags = KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH | (renewable ? KRB_TKT_FLAG_RENEWABLE : 0);
    tp.session = session;
    memcpy(tp.client, cp.name, sizeof tp.client);
    tp.authtime = now;
    tp.starttime = now;
    tp.endtime = now + life;
    tp.renew_till = renewable ? now + rlife : 0;
    tp.authz_len = 0;
    krb_wr_init(&w, tkt, sizeof tkt);
    krb_ticket_encode(&w, sname, tkvno, tkey, &tp);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode the ticket");
        goto out;
    }

    rp.session = session;
    rp.nonce = req.body.nonce;
    rp.flags = tp.flags;
    rp.authtime = tp.authtime;
    rp.starttime = tp.starttime;
    rp.endtime = tp.endtime;
    rp.renew_till = tp.renew_till;
    snprintf(rp.server, sizeof rp.server, "%s", sname);
    krb_hash(rp.req_hash, r->msg, r->len);
    rp.key_expiration = cp.pw_expire;
    hint_of_key(kk, &hint);
    {
        struct krb_wr rw;
        krb_wr_init(&rw, r->rep, r->cap);
        krb_kdc_rep_encode(&rw, KRB_MSG_AS_REP, cp.name, tkt, w.len, &hint, &ckey, &rp);
        if (rw.err != KRB_OK) {
            rc = krb_set_error(c, rw.err, "cannot encode the AS-REP");
            goto out;
        }
        r->replen = rw.len;
    }
    rc = KRB_OK;
out:
    krb_key_wipe(&ckey);
    krb_key_wipe(&session);
    krb_key_wipe(&svkey);
    krb_wipe(&tp.session, sizeof tp.session);
    krb_wipe(&rp.session, sizeof rp.session);
    return rc;
}
