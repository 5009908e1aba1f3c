/*
 * tgs.c — the client side of the TGS exchange (docs/EXCHANGES.md "TGS
 * exchange"): service tickets and TGT renewal with the cache's TGT.
 *
 * The body is hashed into an authenticator sealed under the TGT session key
 * (usage TGS_AUTH); the reply is sealed under the same key (usage TGS_REP).
 * The client checks the reply's client, nonce, request hash and server
 * before it stores the ticket.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "codec.h"
#include "context.h"
#include "creds.h"
#include "crypto.h"
#include "error.h"
#include "name.h"

#define TGS_REQ_MAX (KRB_TICKET_MAX + 2048u)

struct tgs_want {
    const char *server; /* canonical */
    uint32_t options;
    krb_time till, rtime;
};

static krb_err tgs_error(krb_context *c, krb_err code, const struct krb_creds *tgt, const char *server,
                         const struct krb_error_msg *e)
{
    switch (code) {
    case KRB_ERR_S_PRINCIPAL_UNKNOWN:
        return krb_set_error(c, code, "service %s not found in Kerberos database", server);
    case KRB_ERR_TKT_EXPIRED:
        return krb_set_error(c, code, "ticket-granting ticket for %s has expired: run tkinit", tgt->client);
    case KRB_ERR_TKT_NYV:
        return krb_set_error(c, code, "ticket-granting ticket for %s is not yet valid: check the clock",
                             tgt->client);
    case KRB_ERR_NOT_RENEWABLE:
        return krb_set_error(c, code, "ticket-granting ticket for %s is not renewable: run tkinit -r",
                             tgt->client);
    case KRB_ERR_SKEW:
        return krb_set_error(c, code, "clock skew too great between this host and the KDC: fix the clock");
    case KRB_ERR_CLIENT_REVOKED:
        return krb_set_error(c, code, "%s is locked out (too many failures or disabled): ask an administrator",
                             tgt->client);
    case KRB_ERR_NAME_EXP:
        return krb_set_error(c, code, "principal %s has expired: ask an administrator", tgt->client);
    case KRB_ERR_C_PRINCIPAL_UNKNOWN:
        return krb_set_error(c, code, "client %s not found in Kerberos database", tgt->client);
    case KRB_ERR_POLICY:
        return krb_set_error(c, code, "KDC policy rejects a ticket for %s to service %s", tgt->client, server);
    case KRB_ERR_ETYPE_NOSUPP:
        return krb_set_error(c, code, "no encryption suite in common with service %s", server);
    case KRB_ERR_BADKEYVER:
    case KRB_ERR_MODIFIED:
    case KRB_ERR_WRONG_PRINC:
        return krb_set_error(c, code, "the KDC rejected the ticket-granting ticket of %s (%s): run tkinit",
                             tgt->client, krb_err_message(code));
    case KRB_ERR_REPEAT:
        return krb_set_error(c, code, "the KDC saw this request for %s as a replay: try again", server);
    default:
        return krb_set_error(c, code, "%s (KDC answer for service %s%s%s)", krb_err_message(code), server,
                             e != NULL && e->text[0] != '\0' ? ": " : "", e != NULL ? e->text : "");
    }
}

krb_err krb_creds_from_rep(krb_context *c, const char *client, const struct krb_kdc_rep *rep,
                           const struct krb_kdc_rep_part *part, struct krb_creds *cr)
{
    struct krb_ticket t;
    krb_err rc;

    memset(cr, 0, sizeof *cr);
    if ((rc = krb_ticket_decode(rep->ticket, rep->ticket_len, &t)) != KRB_OK) {
        return krb_set_error(c, rc, "KDC sent an unreadable ticket for %s (%s)", part->server, krb_err_message(rc));
    }
    if (strcmp(t.server, part->server) != 0) {
        return krb_set_error(c, KRB_ERR_WRONG_PRINC, "KDC sent a ticket for %s in a reply for %s", t.server,
                             part->server);
    }
    if (part->endtime < part->starttime) {
        return krb_set_error(c, KRB_ERR_MALFORMED, "KDC reply for %s ends before it starts", part->server);
    }
    memcpy(cr->client, client, sizeof cr->client);
    memcpy(cr->server, part->server, sizeof cr->server);
    cr->session = part->session;
    cr->authtime = part->authtime;
    cr->starttime = part->starttime;
    cr->endtime = part->endtime;
    cr->renew_till = part->renew_till;
    cr->flags = part->flags &
                (KRB_TKT_FLAG_FORWARDABLE | KRB_TKT_FLAG_RENEWABLE | KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH);
    cr->kvno = t.kvno;
    cr->suite = t.suite;
    cr->ticket_len = (uint16_t)rep->ticket_len;
    memcpy(cr->ticket, rep->ticket, rep->ticket_len);
    return KRB_OK;
}

/* One TGS exchange with tgt for want; on success out holds the new creds. */
static krb_err tgs_exchange(krb_context *c, const struct krb_creds *tgt, const struct tgs_want *want,
                            struct krb_creds *out)
{
    const char *realm = krb_name_realm(tgt->client);
    struct krb_kdc_req_body body;
    struct krb_authenticator a;
    struct krb_kdc_rep r;
    struct krb_kdc_rep_part part;
    struct krb_error_msg e;
    uint8_t req[TGS_REQ_MAX], h[KRB_HASH_BYTES];
    uint8_t *rep = NULL;
    size_t reqlen, replen = 0, ns;
    uint16_t suites[KRB_SUITE_MAX_LIST];
    struct krb_wr w;
    uint8_t type;
    krb_err rc;

    memset(&a, 0, sizeof a);
    memset(&part, 0, sizeof part);
    memset(&body, 0, sizeof body);
    memcpy(body.server, want->server, strlen(want->server) + 1);
    body.nonce = krb_random_u32();
    body.options = want->options;
    body.till = want->till;
    body.rtime = want->rtime;
    ns = krb_suite_defaults(suites);
    body.nsuites = (uint8_t)ns;
    memcpy(body.suites, suites, ns * sizeof suites[0]);
    memcpy(a.client, tgt->client, sizeof a.client);
    a.ctime = krb_now(c);
    a.seq = krb_random_u64();

    krb_wr_init(&w, req, sizeof req);
    krb_tgs_req_encode(&w, &body, tgt->ticket, tgt->ticket_len, &tgt->session, &a);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode the TGS request for %s", want->server);
        goto out;
    }
    reqlen = w.len;
    rep = malloc(KRB_MSG_MAX);
    if (rep == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, NULL);
        goto out;
    }
    krb_trace(c, "TGS-REQ for %s%s", want->server, (want->options & KRB_KDC_OPT_RENEW) ? " (renew)" : "");
    rc = krb_kdc_call(c, realm, req, reqlen, rep, KRB_MSG_MAX, &replen, &type, &e);
    if (rc != KRB_OK) {
        if (type == KRB_MSG_ERROR) {
            rc = tgs_error(c, rc, tgt, want->server, &e);
        }
        goto out;
    }
    if (type != KRB_MSG_TGS_REP) {
        rc = krb_set_error(c, KRB_ERR_MALFORMED, "KDC answered a TGS request with message type %u", (unsigned)type);
        goto out;
    }
    if ((rc = krb_kdc_rep_decode(rep, replen, KRB_MSG_TGS_REP, &r)) != KRB_OK) {
        rc = krb_set_error(c, rc, "malformed TGS reply for %s (%s)", want->server, krb_err_message(rc));
        goto out;
    }
    if (strcmp(r.client, tgt->client) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "TGS reply is for %s, not %s", r.client, tgt->client);
        goto out;
    }
    if ((rc = krb_kdc_rep_open(&r, &tgt->session, &part)) != KRB_OK) {
        rc = krb_set_error(c, rc, "TGS reply for %s cannot be opened (%s)", want->server, krb_err_message(rc));
        goto out;
    }
    if (part.nonce != body.nonce) {
        rc = krb_set_error(c, KRB_ERR_NONCE, "TGS reply for %s does not match the request (nonce)", want->server);
        goto out;
    }
    krb_hash(h, req, reqlen);
    if (!krb_ct_equal(h, part.req_hash, KRB_HASH_BYTES)) {
        rc = krb_set_error(c, KRB_ERR_REQ_MODIFIED,
                           "TGS request for %s was modified in transit (the KDC saw other bytes than were sent)",
                           want->server);
        goto out;
    }
    if (strcmp(part.server, want->server) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "TGS reply carries a ticket for %s, not %s", part.server,
                           want->server);
        goto out;
    }
    rc = krb_creds_from_rep(c, tgt->client, &r, &part, out);
out:
    krb_wipe(&a, sizeof a);
    krb_wipe(&part, sizeof part);
    krb_wipe(req, sizeof req);
    if (rep != NULL) {
        krb_wipe(rep, KRB_MSG_MAX);
        free(rep);
    }
    return rc;
}

/* The cache's TGT, checked for use at now. */
static krb_err get_tgt(krb_context *c, const krb_ccache *cc, struct krb_creds *tgt, int for_renew)
{
    const char *principal = krb_cc_principal(cc);
    char tgs[KRB_NAME_MAX + 1], when[40];
    krb_time now = krb_now(c);
    krb_err rc;

    if (principal[0] == '\0') {
        return krb_set_error(c, KRB_ERR_NO_CREDS, "no credentials cache found (ticket cache FILE:%s): run tkinit",
                             krb_cc_path(cc));
    }
    if ((rc = krb_name_tgs(tgs, krb_name_realm(principal))) != KRB_OK) {
        return krb_set_error(c, rc, "bad realm in %s", principal);
    }
    if (krb_cc_find(c, cc, tgs, tgt) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_NO_CREDS, "no ticket-granting ticket for %s in FILE:%s: run tkinit",
                             principal, krb_cc_path(cc));
    }
    if (for_renew) {
        if ((tgt->flags & KRB_TKT_FLAG_RENEWABLE) == 0) {
            return krb_set_error(c, KRB_ERR_NOT_RENEWABLE,
                                 "ticket-granting ticket for %s is not renewable: run tkinit -r", principal);
        }
        if (now > tgt->renew_till) {
            krb_fmt_time(tgt->renew_till, when, sizeof when);
            return krb_set_error(c, KRB_ERR_TKT_EXPIRED,
                                 "ticket-granting ticket for %s could be renewed until %s only: run tkinit", principal,
                                 when);
        }
        return KRB_OK;
    }
    if (now >= tgt->endtime) {
        krb_fmt_time(tgt->endtime, when, sizeof when);
        return krb_set_error(c, KRB_ERR_TKT_EXPIRED, "ticket-granting ticket for %s expired at %s: run tkinit",
                             principal, when);
    }
    return KRB_OK;
}

krb_err krb_get_creds(krb_context *c, krb_ccache *cc, const char *server, struct krb_creds *out)
{
    const char *principal;
    char sname[KRB_NAME_MAX + 1];
    struct krb_creds tgt;
    struct tgs_want want;
    krb_time now = krb_now(c);
    krb_err rc;

    memset(&tgt, 0, sizeof tgt);
    memset(out, 0, sizeof *out);
    if (c == NULL || cc == NULL || server == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_get_creds");
    }
    principal = krb_cc_principal(cc);
    /* A service name without a realm is in the client's realm. */
    rc = krb_name_parse(c, server, principal[0] != '\0' ? krb_name_realm(principal) : krb_default_realm(c), sname);
    if (rc != KRB_OK) {
        goto out;
    }
    if (krb_cc_find(NULL, cc, sname, out) == KRB_OK && now < out->endtime && now + krb_clock_skew(c) >= out->starttime) {
        krb_trace(c, "ticket for %s found in %s", sname, krb_cc_path(cc));
        rc = KRB_OK;
        goto out;
    }
    krb_creds_wipe(out);
    if ((rc = get_tgt(c, cc, &tgt, 0)) != KRB_OK) {
        goto out;
    }
    if (strcmp(krb_name_realm(sname), krb_name_realm(tgt.client)) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_REALM, "service %s is not in realm %s (cross-realm is not supported)",
                           sname, krb_name_realm(tgt.client));
        goto out;
    }
    memset(&want, 0, sizeof want);
    want.server = sname;
    if ((rc = tgs_exchange(c, &tgt, &want, out)) != KRB_OK) {
        goto out;
    }
    rc = krb_cc_store(c, cc, out);
out:
    if (rc != KRB_OK) {
        krb_creds_wipe(out);
    }
    krb_creds_wipe(&tgt);
    return rc;
}

krb_err krb_get_service_ticket(krb_context *c, krb_ccache *cc, const char *server, krb_cred_info *info)
{
    struct krb_creds cr;
    krb_err rc;

    rc = krb_get_creds(c, cc, server, &cr);
    if (rc == KRB_OK && info != NULL) {
        memset(info, 0, sizeof *info);
        memcpy(info->client, cr.client, sizeof info->client);
        memcpy(info->server, cr.server, sizeof info->server);
        info->authtime = cr.authtime;
        info->starttime = cr.starttime;
        info->endtime = cr.endtime;
        info->renew_till = cr.renew_till;
        info->flags = cr.flags;
        info->kvno = cr.kvno;
        info->suite = cr.suite;
    }
    krb_creds_wipe(&cr);
    return rc;
}

krb_err krb_renew_tgt(krb_context *c, krb_ccache *cc)
{
    struct krb_creds tgt, fresh;
    struct tgs_want want;
    krb_err rc;

    memset(&fresh, 0, sizeof fresh);
    memset(&tgt, 0, sizeof tgt);
    if (c == NULL || cc == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_renew_tgt");
    }
    if ((rc = get_tgt(c, cc, &tgt, 1)) != KRB_OK) {
        goto out;
    }
    memset(&want, 0, sizeof want);
    want.server = tgt.server;
    want.options = KRB_KDC_OPT_RENEW;
    if ((rc = tgs_exchange(c, &tgt, &want, &fresh)) != KRB_OK) {
        goto out;
    }
    rc = krb_cc_store(c, cc, &fresh);
out:
    krb_creds_wipe(&fresh);
    krb_creds_wipe(&tgt);
    return rc;
}
