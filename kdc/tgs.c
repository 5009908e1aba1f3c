/*
 * tgs.c — the TGS exchange, KDC side (docs/EXCHANGES.md "TGS exchange").
 *
 * Order of checks: ticket server is our krbtgt (WRONG_PRINC), krbtgt key of
 * the ticket's kvno (BADKEYVER), ticket opens (MODIFIED), authenticator
 * opens (MODIFIED), authenticator client = ticket client (BADMATCH), skew
 * (SKEW), body checksum (REQ_MODIFIED), ticket times (TKT_NYV,
 * TKT_EXPIRED, NOT_RENEWABLE), replay (REPEAT), client record (revoked,
 * expired, DISALLOW_TGT_BASED), server record (unknown, DISALLOW_SVR or
 * locked), common suite (ETYPE_NOSUPP).
 */
#include <stddef.h>
#include <string.h>

#include "chpw.h"
#include "error.h"
#include "kdc.h"
#include "name.h"
#include "recorder.h"

static const struct krb_key *tgt_key(const struct kdc_conf *conf, uint32_t kvno)
{
    for (size_t i = 0; i < conf->ntgt; i++) {
        if (conf->tgt[i].kvno == kvno) {
            return conf->tgt[i].key;
        }
    }
    return NULL;
}

static krb_time abs_diff(krb_time a, krb_time b)
{
    return a > b ? a - b : b - a;
}

krb_err kdc_tgs(struct kdc_req *r)
{
    const struct kdc_conf *conf = r->conf;
    krb_context *c = r->c;
    struct krb_tgs_req req;
    struct krb_ticket_part tgt, tp;
    struct krb_authenticator auth;
    struct kdb_principal cp, sp;
    struct kdc_rec_view pend;
    struct krb_key skey, session;
    const struct krb_key *reply_key, *tkey;
    struct krb_kdc_rep_part rp;
    uint8_t h[KRB_HASH_BYTES];
    uint8_t tkt[KRB_TICKET_MAX];
    uint8_t rnd[KRB_KEY_BYTES + 2 * KRB_NONCE_MAX]; /* session key, ticket nonce, reply nonce: one draw */
    struct krb_wr w;
    krb_time now = r->now, skew = c->skew, endtime, renew_till = 0;
    uint32_t skvno;
    uint16_t suite;
    int renew, renewable;
    krb_err rc;

    memset(&tgt, 0, offsetof(struct krb_ticket_part, authz));
    memset(&tp, 0, offsetof(struct krb_ticket_part, authz));
    memset(&auth, 0, sizeof auth);
    memset(&skey, 0, sizeof skey);
    memset(&session, 0, sizeof session);
    memset(&rp, 0, sizeof rp);

    if ((rc = krb_tgs_req_decode(r->msg, r->len, &req)) != KRB_OK) {
        krb_set_error(c, rc, "TGS-REQ does not decode");
        goto out;
    }
    memcpy(r->log->server, req.body.server, sizeof r->log->server);
    renew = (req.body.options & KRB_KDC_OPT_RENEW) != 0;

    if (strcmp(req.ap.ticket.server, conf->tgs_name) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "ticket is for %s, not %s", req.ap.ticket.server,
                           conf->tgs_name);
        goto out;
    }
    tkey = tgt_key(conf, req.ap.ticket.kvno);
    if (tkey == NULL) {
        rc = krb_set_error(c, KRB_ERR_BADKEYVER, "no krbtgt key of kvno %u", (unsigned)req.ap.ticket.kvno);
        goto out;
    }
    if ((rc = krb_ticket_open(&req.ap.ticket, tkey, &tgt)) != KRB_OK) {
        rc = krb_set_error(c, rc == KRB_ERR_BADKEYVER ? KRB_ERR_BADKEYVER : KRB_ERR_MODIFIED,
                           "TGT does not open");
        goto out;
    }
    memcpy(r->log->client, tgt.client, sizeof r->log->client);
    if ((rc = krb_ap_req_open(&req.ap, &tgt.session, KRB_USAGE_TGS_AUTH, &auth)) != KRB_OK) {
        rc = krb_set_error(c, KRB_ERR_MODIFIED, "authenticator does not open with the TGT session key");
        goto out;
    }
    if (strcmp(auth.client, tgt.client) != 0) {
        rc = krb_set_error(c, KRB_ERR_BADMATCH, "authenticator client %s", auth.client);
        goto out;
    }
    if (abs_diff(auth.ctime, now) > skew) {
        rc = krb_set_error(c, KRB_ERR_SKEW, "authenticator time off by %lld s",
                           (long long)((auth.ctime - now) / 1000000));
        goto out;
    }
    krb_hash(h, req.body_bytes, req.body_len);
    if (!auth.has_cksum || !krb_ct_equal(h, auth.cksum, sizeof h)) {
        rc = krb_set_error(c, KRB_ERR_REQ_MODIFIED, "body checksum mismatch");
        goto out;
    }
    if (now < tgt.starttime - skew) {
        rc = krb_set_error(c, KRB_ERR_TKT_NYV, "TGT not yet valid");
        goto out;
    }
    if (renew) {
        if ((tgt.flags & KRB_TKT_FLAG_RENEWABLE) == 0) {
            rc = krb_set_error(c, KRB_ERR_NOT_RENEWABLE, "TGT is not renewable");
            goto out;
        }
        if (now > tgt.renew_till) {
            rc = krb_set_error(c, KRB_ERR_TKT_EXPIRED, "TGT renewable life is over");
            goto out;
        }
        if (strcmp(req.body.server, conf->tgs_name) != 0) {
            rc = krb_set_error(c, KRB_ERR_BADOPTION, "RENEW for a server other than %s", conf->tgs_name);
            goto out;
        }
    } else if (now > tgt.endtime) {
        rc = krb_set_error(c, KRB_ERR_TKT_EXPIRED, "TGT expired");
        goto out;
    }
    krb_hash(h, req.ap.ct, req.ap.ct_len);
    rc = kdc_replay_check(r->k->rc, h, auth.ctime + skew + 1, now);
    if (rc != KRB_OK) {
        krb_set_error(c, rc, rc == KRB_ERR_REPEAT ? "authenticator replayed" : "replay cache full");
        goto out;
    }

    kdc_recorder_view(r->k->rec, tgt.client, &pend); /* before kdb_get: recorder.h */
    rc = kdb_get(c, r->k->db, tgt.client, &cp);
    if (rc == KRB_ERR_UNKNOWN_PRINCIPAL) {
        rc = krb_set_error(c, KRB_ERR_C_PRINCIPAL_UNKNOWN, "client no longer in the database");
        goto out;
    } else if (rc != KRB_OK) {
        goto out;
    }
    if (kdc_recorder_is_locked(c, r->k->db, &cp, &pend, now)) {
        rc = krb_set_error(c, KRB_ERR_CLIENT_REVOKED, "client locked");
        goto out;
    }
    if (cp.expire != 0 && now >= cp.expire) {
        rc = krb_set_error(c, KRB_ERR_NAME_EXP, "client principal expired");
        goto out;
    }
    if (cp.flags & KDB_F_DISALLOW_TGT_BASED) {
        rc = krb_set_error(c, KRB_ERR_POLICY, "client may not use TGS requests");
        goto out;
    }
    if (strcmp(krb_name_realm(req.body.server), conf->realm) != 0) {
        rc = krb_set_error(c, KRB_ERR_S_PRINCIPAL_UNKNOWN, "server of another realm");
        goto out;
    }
    if (kdc_is_changepw(conf, req.body.server)) {
        rc = krb_set_error(c, KRB_ERR_POLICY, "tickets for %s come from the AS only", req.body.server);
        goto out;
    }
    rc = kdb_get(c, r->k->db, req.body.server, &sp);
    if (rc == KRB_ERR_UNKNOWN_PRINCIPAL) {
        rc = krb_set_error(c, KRB_ERR_S_PRINCIPAL_UNKNOWN, "unknown server");
        goto out;
    } else if (rc != KRB_OK) {
        goto out;
    }
    if ((sp.flags & KDB_F_DISALLOW_SVR) || kdb_is_locked(c, r->k->db, &sp, now)) {
        rc = krb_set_error(c, KRB_ERR_POLICY, "server disallowed or locked");
        goto out;
    }
    if (sp.nkeys == 0) {
        rc = krb_set_error(c, KRB_ERR_ETYPE_NOSUPP, "server has no key");
        goto out;
    }
    suite = krb_suite_pick(req.body.suites, req.body.nsuites, &sp.keys[0].suite, 1);
    if (suite == 0) {
        rc = krb_set_error(c, KRB_ERR_ETYPE_NOSUPP, "no suite common to the request and the server key");
        goto out;
    }
    if ((rc = kdb_key_get(c, r->k->db, &sp, 0, &skey, &skvno)) != KRB_OK) {
        goto out;
    }

    /* times and flags */
    if (renew) {
        endtime = now + (tgt.endtime - tgt.starttime);
        endtime = endtime < tgt.renew_till ? endtime : tgt.renew_till;
        renewable = 1;
        renew_till = tgt.renew_till;
        tp.flags = tgt.flags;
    } else {
        if (req.body.till != 0 && req.body.till <= now) {
            rc = krb_set_error(c, KRB_ERR_BADOPTION, "requested end time in the past");
            goto out;
        }
        endtime = req.body.till != 0 ? req.body.till : tgt.endtime;
        endtime = kdc_cap(endtime, tgt.endtime);
        endtime = kdc_cap(endtime, sp.max_life > 0 ? now + sp.max_life : 0);
        endtime = kdc_cap(endtime, now + conf->max_life);
        renewable = (req.body.options & KRB_KDC_OPT_RENEWABLE) && (tgt.flags & KRB_TKT_FLAG_RENEWABLE) &&
                    !(sp.flags & KDB_F_DISALLOW_RENEWABLE);
        if (renewable) {
            renew_till = tgt.renew_till;
            if (req.body.rtime != 0) {
                renew_till = kdc_cap(renew_till, req.body.rtime);
            }
            renew_till = kdc_cap(renew_till, sp.max_renew > 0 ? now + sp.max_renew : 0);
            renew_till = kdc_cap(renew_till, now + conf->max_renew);
            if (renew_till <= now) {
                renewable = 0;
                renew_till = 0;
            }
        }
        tp.flags = (tgt.flags & KRB_TKT_FLAG_PREAUTH) | (renewable ? KRB_TKT_FLAG_RENEWABLE : 0);
    }

    krb_random_bytes(rnd, sizeof rnd);
    session.suite = suite; /* krb_suite_pick returns supported suites only */
    memcpy(session.k, rnd, KRB_KEY_BYTES);
    tp.session = session;
    memcpy(tp.client, tgt.client, sizeof tp.client);
    tp.authtime = tgt.authtime;
    tp.starttime = now;
    tp.endtime = endtime;
    tp.renew_till = renewable ? renew_till : 0;
    tp.authz_len = tgt.authz_len;
    if (tgt.authz_len > 0) {
        memcpy(tp.authz, tgt.authz, tgt.authz_len);
    }
    krb_wr_init(&w, tkt, sizeof tkt);
    krb_ticket_encode_nonce(&w, sp.name, skvno, &skey, &tp, rnd + KRB_KEY_BYTES);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode the ticket");
        goto out;
    }

    reply_key = auth.has_subkey ? &auth.subkey : &tgt.session;
    rp.session = session;
    rp.nonce = req.body.nonce;
    rp.flags = tp.flags;
    rp.authtime = tp.authtime;
    rp.starttime = tp.starttime;
    rp.endtime = tp.endtime;
    rp.renew_till = tp.renew_till;
    memcpy(rp.server, sp.name, sizeof rp.server);
    krb_hash(rp.req_hash, r->msg, r->len);
    rp.key_expiration = cp.pw_expire;
    {
        struct krb_wr rw;
        krb_wr_init(&rw, r->rep, r->cap);
        krb_kdc_rep_encode_nonce(&rw, KRB_MSG_TGS_REP, tgt.client, tkt, w.len, NULL, reply_key, &rp,
                                 rnd + KRB_KEY_BYTES + KRB_NONCE_MAX);
        if (rw.err != KRB_OK) {
            rc = krb_set_error(c, rw.err, "cannot encode the TGS-REP");
            goto out;
        }
        r->replen = rw.len;
    }
    rc = KRB_OK;
out:
    krb_wipe(&tgt, sizeof tgt);
    krb_wipe(&tp.session, sizeof tp.session);
    krb_wipe(&auth, sizeof auth);
    krb_key_wipe(&skey);
    krb_key_wipe(&session);
    krb_wipe(&rp.session, sizeof rp.session);
    krb_wipe(rnd, sizeof rnd);
    return rc;
}
