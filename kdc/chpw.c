/*
 * chpw.c — the password change, KDC side (docs/EXCHANGES.md "Password
 * change").
 *
 * Order of checks: CHPW_REQ decodes; the AP-REQ verifies for
 * kadmin/changepw@REALM with its key from the store (ap.c: server, kvno,
 * ticket, authenticator, client match, times, skew); the authenticator is
 * not a replay (KDC replay cache) and carries a subkey. Until here a
 * failure is a plain ERROR. Then, answered in a CHPW_REP sealed under the
 * subkey: the ticket is INITIAL (POLICY otherwise), the new password opens,
 * passes the client's policy (PASSWORD_WEAK with the policy's reason) and
 * is stored as a new kvno in one write transaction; pw_expire is cleared.
 */
#include <stdio.h>
#include <string.h>

#include "ap.h"
#include "chpw.h"
#include "context.h"
#include "error.h"
#include "name.h"
#include "recorder.h"

int kdc_is_changepw(const struct kdc_conf *conf, const char *name)
{
    static const char prefix[] = KDC_CHPW_PREFIX;
    size_t n = sizeof prefix - 1;

    return strncmp(name, prefix, n) == 0 && name[n] == '@' && strcmp(name + n + 1, conf->realm) == 0;
}

/* krb_ap_keyfn: the key of server at kvno from the principal store. */
static krb_err db_key(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    struct kdc_req *r = arg;
    struct kdb_principal p;
    uint32_t got = 0;
    krb_err rc;

    rc = kdb_get(c, r->k->db, server, &p);
    if (rc == KRB_ERR_UNKNOWN_PRINCIPAL) {
        return krb_set_error(c, KRB_ERR_KT_NOTFOUND, "%s is not in the database", server);
    }
    if (rc != KRB_OK) {
        return rc;
    }
    if (kvno == 0) {
        rc = krb_set_error(c, KRB_ERR_BADKEYVER, "ticket for %s names kvno 0", server);
    } else {
        rc = kdb_key_get(c, r->k->db, &p, kvno, key, &got);
    }
    krb_wipe(&p, sizeof p);
    return rc;
}

struct newpw {
    const char *password;
    uint32_t keep;
    krb_time now;
    uint32_t kvno; /* out */
};

static krb_err newpw_cb(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    struct newpw *n = arg;
    krb_err rc = kdb_key_add(c, db, p, n->password, n->keep);

    if (rc == KRB_OK) {
        n->kvno = p->keys[0].kvno;
        p->pw_expire = 0;
        p->fail_count = 0;
        p->mod_time = n->now;
    }
    return rc;
}

/* The authenticated part: check and store the new password. The outcome
 * is returned; *text gets what the client may read. */
static krb_err change(struct kdc_req *r, const struct krb_chpw_req *req, const struct krb_ap_result *res,
                      char *text, size_t textcap)
{
    krb_context *c = r->c;
    struct kdb_principal p;
    struct kdc_rec_view pend;
    struct kdb_policy pol;
    struct newpw n;
    char pw[KRB_CHPW_PASSWORD_MAX + 1];
    size_t pwlen = 0;
    int have_pol = 0;
    krb_err rc;

    memset(&p, 0, sizeof p);
    text[0] = '\0';
    if ((res->tkt_flags & KRB_TKT_FLAG_INITIAL) == 0) {
        rc = krb_set_error(c, KRB_ERR_POLICY, "password changes need a ticket from a fresh password login");
        snprintf(text, textcap, "%s", c->detail);
        goto out;
    }
    if ((rc = krb_chpw_req_open(req, &res->auth.subkey, pw, sizeof pw, &pwlen)) != KRB_OK) {
        krb_set_error(c, rc, "new password does not open with the subkey");
        goto out;
    }
    kdc_recorder_view(r->k->rec, res->client, &pend); /* before kdb_get: recorder.h */
    if ((rc = kdb_get(c, r->k->db, res->client, &p)) != KRB_OK) {
        krb_set_error(c, rc == KRB_ERR_UNKNOWN_PRINCIPAL ? KRB_ERR_C_PRINCIPAL_UNKNOWN : rc,
                      "client no longer in the database");
        rc = rc == KRB_ERR_UNKNOWN_PRINCIPAL ? KRB_ERR_C_PRINCIPAL_UNKNOWN : rc;
        goto out;
    }
    if (kdc_recorder_is_locked(c, r->k->db, &p, &pend, r->now)) {
        rc = krb_set_error(c, KRB_ERR_CLIENT_REVOKED, "client locked");
        goto out;
    }
    if (p.policy[0] != '\0') {
        rc = kdb_policy_get(c, r->k->db, p.policy, &pol);
        if (rc == KRB_OK) {
            have_pol = 1;
        } else if (rc != KRB_ERR_POLICY_UNKNOWN) {
            goto out;
        }
    }
    if ((rc = kdb_password_check(c, have_pol ? &pol : NULL, pw)) != KRB_OK) {
        snprintf(text, textcap, "%s", c->detail[0] != '\0' ? c->detail : krb_err_message(rc));
        goto out;
    }
    /* Without a policy the old keys go at once (as tkadmin cpw does). */
    n.password = pw;
    n.keep = have_pol ? pol.history : 0;
    n.now = r->now;
    n.kvno = 0;
    if ((rc = kdb_update(c, r->k->db, res->client, newpw_cb, &n)) != KRB_OK) {
        goto out;
    }
    snprintf(text, textcap, "password changed (kvno %u)", (unsigned)n.kvno);
    krb_set_error(c, KRB_OK, "password changed (kvno %u)", (unsigned)n.kvno);
    rc = KRB_OK;
out:
    krb_wipe(pw, sizeof pw);
    krb_wipe(&p, sizeof p);
    return rc;
}

krb_err kdc_chpw(struct kdc_req *r)
{
    krb_context *c = r->c;
    struct krb_chpw_req req;
    struct krb_ap_req ap;
    struct krb_ap_verify_opts o;
    struct krb_ap_result res;
    struct krb_chpw_rep rep;
    char service[KRB_NAME_MAX + 1];
    uint8_t h[KRB_HASH_BYTES];
    struct krb_wr w;
    krb_err rc, outcome;

    memset(&res, 0, sizeof res);
    memset(&rep, 0, sizeof rep);
    if ((rc = krb_chpw_req_decode(r->msg, r->len, &req)) != KRB_OK) {
        krb_set_error(c, rc, "CHPW_REQ does not decode");
        goto out;
    }
    snprintf(service, sizeof service, "%s@%s", KDC_CHPW_PREFIX, r->conf->realm);
    memcpy(r->log->server, service, sizeof r->log->server);
    memset(&o, 0, sizeof o);
    o.service = service;
    rc = krb_ap_verify_with(c, db_key, r, NULL, &o, req.ap_req, req.ap_req_len, &res);
    if (rc == KRB_ERR_KT_NOTFOUND) {
        rc = KRB_ERR_S_PRINCIPAL_UNKNOWN; /* detail kept */
    }
    if (rc != KRB_OK) {
        goto out;
    }
    memcpy(r->log->client, res.client, sizeof r->log->client);
    if ((rc = krb_ap_req_decode(req.ap_req, req.ap_req_len, &ap)) != KRB_OK) {
        goto out; /* cannot happen: it verified */
    }
    krb_hash(h, ap.ct, ap.ct_len);
    rc = kdc_replay_check(r->k->rc, h, res.auth.ctime + c->skew + 1, r->now);
    if (rc != KRB_OK) {
        krb_set_error(c, rc, rc == KRB_ERR_REPEAT ? "authenticator replayed" : "replay cache full");
        goto out;
    }
    if (!res.auth.has_subkey) {
        rc = krb_set_error(c, KRB_ERR_MALFORMED, "CHPW_REQ authenticator without a subkey");
        goto out;
    }

    outcome = change(r, &req, &res, rep.text, sizeof rep.text);
    rep.code = (uint32_t)outcome;
    if (outcome != KRB_OK && rep.text[0] == '\0') {
        /* store and internal failures: the generic message only */
        snprintf(rep.text, sizeof rep.text, "%s", krb_err_message(outcome));
    }
    if (outcome != KRB_OK) {
        snprintf(r->log->detail, sizeof r->log->detail, "password change refused: %s: %s", krb_err_name(outcome),
                 c->detail);
    } else {
        snprintf(r->log->detail, sizeof r->log->detail, "%s", rep.text);
    }
    krb_wr_init(&w, r->rep, r->cap);
    krb_chpw_rep_encode(&w, &res.auth.subkey, &rep);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode the CHPW_REP");
        goto out;
    }
    r->replen = w.len;
    rc = KRB_OK;
out:
    krb_ap_result_wipe(&res);
    krb_wipe(&rep, sizeof rep);
    return rc;
}
