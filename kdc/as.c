/*
 * as.c — the AS exchange, KDC side (docs/EXCHANGES.md "AS exchange").
 *
 * Order of checks for a request with pre-authentication: client exists,
 * locked, principal expired, password expired, PA kvno exists, timestamp
 * opens (failure counted for lockout), skew, common suite, server is
 * krbtgt/REALM or kadmin/changepw@REALM (a short, non-renewable ticket
 * sealed under that principal's key, also issued when the password has
 * expired, so that it can be changed).
 *
 * Unknown clients are indistinguishable from known ones when
 * hide_unknown_principals is on:
 * - shape: every PREAUTH_REQUIRED hint says kvno 0 ("the newest key"), the
 *   realm's suite, and for an unknown name, a client without a key or a
 *   random key (a service) a salt that is a MAC of the name under a key
 *   derived from the krbtgt key with the realm's default cost — exactly
 *   what a password principal's hint looks like;
 * - time: pre-auth results are queued for the recorder thread
 *   (recorder.h), never written before the reply; the unknown path decodes
 *   a decoy record, unseals its key and opens the timestamp under it, so
 *   that it costs what a wrong password costs; a full queue refuses every
 *   AS-REQ with pre-auth alike.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chpw.h"
#include "error.h"
#include "kdc.h"
#include "name.h"
#include "recorder.h"

/* The salt a name gets when it has none: stable across calls and restarts,
 * changes with krbtgt's newest key. */
static krb_err fake_salt(const struct kdc_req *r, const char *name, uint8_t salt[KRB_SALT_BYTES])
{
    uint8_t mac[KRB_HASH_BYTES];
    krb_err rc;

    if (r->conf->ntgt == 0) {
        return KRB_ERR_INTERNAL;
    }
    rc = krb_mac(mac, r->conf->tgt[0].key, KDC_USAGE_FAKE_SALT, name, strlen(name));
    if (rc == KRB_OK) {
        memcpy(salt, mac, KRB_SALT_BYTES);
    }
    krb_wipe(mac, sizeof mac);
    return rc;
}

/*
 * The pre-auth hint of name for key kk (NULL: unknown name or no key):
 * kvno as given (0 in PREAUTH_REQUIRED), the key's salt and cost when it
 * was derived from a password, else the fake salt and the realm's cost.
 * The fake salt is computed on every path, so that the time does not tell
 * which case it was.
 */
static krb_err make_hint(const struct kdc_req *r, const char *name, const struct kdb_key *kk, uint32_t kvno,
                         struct krb_pa_hint *h)
{
    krb_err rc;

    h->suite = kk != NULL ? kk->suite : KRB_SUITE_XCHACHA20POLY1305;
    h->kvno = kvno;
    h->ops = r->conf->pw_ops;
    h->memkib = r->conf->pw_memkib;
    if ((rc = fake_salt(r, name, h->salt)) != KRB_OK) {
        return rc;
    }
    if (kk != NULL && kk->has_salt) {
        memcpy(h->salt, kk->salt, KRB_SALT_BYTES);
        h->ops = kk->ops;
        h->memkib = kk->memkib;
    }
    return KRB_OK;
}

/* What an unknown client costs with pre-auth: the work of a wrong password
 * (a key, an AEAD open that fails) without a key to find. */
static void burn_unknown(const struct kdc_req *r, const struct krb_as_req *req)
{
    const struct kdc_conf *conf = r->conf;
    struct kdb_principal p;
    struct krb_key dummy;
    uint8_t mac[KRB_HASH_BYTES];
    krb_time ts;
    krb_err rc;

    memset(&dummy, 0, sizeof dummy);
    if (conf->decoy_len > 0 &&
        kdb_record_decode(conf->decoy.name, strlen(conf->decoy.name), conf->decoy_rec, conf->decoy_len, &p) ==
            KRB_OK &&
        kdb_key_get(r->c, r->k->db, &p, 0, &dummy, NULL) == KRB_OK) {
        /* what a known name costs: its record decoded, its key unsealed */
        rc = krb_as_req_open_pa(req, &dummy, &ts); /* fails: a random key */
        (void)rc;
    } else if (conf->ntgt != 0 &&
               krb_mac(mac, conf->tgt[0].key, KDC_USAGE_FAKE_SALT + 1, req->body.client, strlen(req->body.client)) ==
                   KRB_OK) {
        dummy.suite = KRB_SUITE_XCHACHA20POLY1305;
        memcpy(dummy.k, mac, KRB_KEY_BYTES);
        rc = krb_as_req_open_pa(req, &dummy, &ts); /* fails: the outcome is PREAUTH_FAILED anyway */
        (void)rc;
    }
    krb_wipe(mac, sizeof mac);
    krb_key_wipe(&dummy);
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
    krb_time ts, now = r->now, life, rlife, last_failed;
    uint32_t kvno;
    uint16_t suite;
    int known, renewable, chpw, reserved = 0, attempting = 0, failures;
    struct kdc_rec_view pend;
    krb_err rc;

    memset(&ckey, 0, sizeof ckey);
    memset(&session, 0, sizeof session);
    memset(&svkey, 0, sizeof svkey);
    memset(&tp, 0, offsetof(struct krb_ticket_part, authz));
    memset(&rp, 0, sizeof rp);
    memset(&pend, 0, sizeof pend);
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

    if (req.has_pa) {
        /* Room for the result, taken before the client is looked up: a full
         * queue refuses known and unknown names alike. */
        if (kdc_recorder_reserve(r->k->rec) != KRB_OK) {
            rc = krb_set_error(c, KRB_ERR_INTERNAL,
                               "pre-auth recorder queue full (%u results): the database is not keeping up",
                               KDC_REC_QUEUE);
            goto out;
        }
        reserved = 1;
        attempting = kdc_recorder_begin_attempt(r->k->rec, req.body.client); /* one test per name at a time */
        kdc_recorder_view(r->k->rec, req.body.client, &pend); /* before kdb_get: recorder.h */
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
        /* kvno 0: the newest key, whatever it is (the kvno would tell a
         * changed password from an unknown name) */
        if ((rc = make_hint(r, req.body.client, known && cp.nkeys > 0 ? &cp.keys[0] : NULL, 0, &r->hint)) !=
            KRB_OK) {
            goto out;
        }
        if (!known) {
            krb_set_error(c, KRB_ERR_PREAUTH_REQUIRED, "unknown client (hidden)");
        } else if (cp.nkeys == 0) {
            krb_set_error(c, KRB_ERR_PREAUTH_REQUIRED, "client has no key (hidden)");
        } else {
            krb_set_error(c, KRB_ERR_PREAUTH_REQUIRED, "hint for kvno %u%s", (unsigned)cp.keys[0].kvno,
                          cp.keys[0].has_salt ? "" : " (random key: fake salt)");
        }
        r->has_hint = 1;
        rc = KRB_ERR_PREAUTH_REQUIRED;
        goto out;
    }

    if (!known) {
        if (conf->hide_unknown) {
            burn_unknown(r, &req);
            /* queued like a known name's failure (the same locks and
             * wake-up); the recorder drops it after one read */
            kdc_recorder_failure(r->k->rec, req.body.client, now);
            reserved = 0;
        }
        rc = krb_set_error(c, conf->hide_unknown ? KRB_ERR_PREAUTH_FAILED : KRB_ERR_C_PRINCIPAL_UNKNOWN,
                           "unknown client");
        goto out;
    }
    if (kdc_recorder_is_locked(c, r->k->db, &cp, &pend, now)) {
        rc = krb_set_error(c, KRB_ERR_CLIENT_REVOKED, "client locked (fail_count %u stored + %u queued)",
                           (unsigned)cp.fail_count, (unsigned)pend.nfail);
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
    /* kvno 0 (what the PREAUTH_REQUIRED hint says): the newest key */
    kk = req.pa_kvno == 0 ? (cp.nkeys > 0 ? &cp.keys[0] : NULL) : find_kvno(&cp, req.pa_kvno);
    if (kk == NULL || kk->suite != req.pa_suite) {
        burn_unknown(r, &req); /* as long as a wrong key: no kvno oracle */
        rc = krb_set_error(c, KRB_ERR_PREAUTH_FAILED, "pre-auth with unknown key version %u suite %u",
                           (unsigned)req.pa_kvno, (unsigned)req.pa_suite);
        goto out;
    }
    if ((rc = kdb_key_get(c, r->k->db, &cp, kk->kvno, &ckey, &kvno)) != KRB_OK) {
        goto out;
    }
    rc = krb_as_req_open_pa(&req, &ckey, &ts);
    if (rc != KRB_OK) {
        if (rc == KRB_ERR_MODIFIED) {
            kdc_recorder_failure(r->k->rec, cp.name, now); /* written behind the reply */
            reserved = 0;
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
    /* A success resets the failure count only when its timestamp is newer
     * than the last failure (or as old): a captured AS-REQ replayed within the skew
     * window is still answered (the reply opens only under the client key)
     * but must not wipe the failures of guesses made since. */
    last_failed = cp.last_failed > pend.last_failed ? cp.last_failed : pend.last_failed;
    failures = cp.fail_count != 0 || pend.nfail != 0;
    if ((failures && ts >= last_failed) || (!failures && now - cp.last_success >= conf->last_success_interval)) {
        kdc_recorder_success(r->k->rec, cp.name, now, conf->last_success_interval);
        reserved = 0;
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
    /* the kvno the client named (0 stays 0: the client sees the hint it
     * derived its key from and does not derive it again) */
    if ((rc = make_hint(r, cp.name, kk, req.pa_kvno, &hint)) != KRB_OK) {
        goto out;
    }
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
    if (reserved) {
        kdc_recorder_release(r->k->rec);
    }
    if (attempting) {
        kdc_recorder_end_attempt(r->k->rec, req.body.client);
    }
    krb_key_wipe(&ckey);
    krb_key_wipe(&session);
    krb_key_wipe(&svkey);
    krb_wipe(&tp.session, sizeof tp.session);
    krb_wipe(&rp.session, sizeof rp.session);
    return rc;
}
