/* ap.c — AP exchange: AP-REQ from credentials, AP-REQ verification for a
 * service, AP-REP both ways. Order of the checks: ap.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ap.h"
#include "context.h"
#include "keytab.h"
#include "rcache.h"

static void fmt_time(char *out, size_t cap, krb_time t)
{
    time_t s = (time_t)(t / 1000000);
    struct tm tm;

    if (gmtime_r(&s, &tm) == NULL || strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        snprintf(out, cap, "%lld", (long long)t);
    }
}

void krb_ap_client_wipe(struct krb_ap_client *st)
{
    krb_wipe(st, sizeof *st);
}

void krb_ap_result_wipe(struct krb_ap_result *r)
{
    krb_wipe(r, sizeof *r);
}

/* ---------------- client ---------------- */

krb_err krb_ap_req_make(krb_context *c, const struct krb_creds *cr, const struct krb_ap_req_opts *o,
                        struct krb_ap_client *st, uint8_t *out, size_t cap, size_t *outlen)
{
    struct krb_authenticator a;
    struct krb_wr w;
    krb_time now = krb_now(c);
    krb_err rc;

    *outlen = 0;
    memset(&a, 0, sizeof a);
    memset(st, 0, sizeof *st);
    if (now > cr->endtime) {
        char when[64];
        fmt_time(when, sizeof when, cr->endtime);
        rc = krb_set_error(c, KRB_ERR_TKT_EXPIRED, "ticket for %s expired %s: run tkinit", cr->server, when);
        goto out;
    }
    snprintf(a.client, sizeof a.client, "%s", cr->client);
    a.ctime = now;
    a.seq = krb_random_u64() >> 1; /* headroom: never wraps within a context */
    if (o->want_subkey) {
        if ((rc = krb_key_random(&a.subkey, cr->session.suite)) != KRB_OK) {
            goto out;
        }
        a.has_subkey = 1;
    }
    if (o->has_cb) {
        krb_hash(a.cksum, o->cb, o->cb_len);
        a.has_cksum = 1;
    }
    if (o->dh_pub != NULL) {
        memcpy(a.dh, o->dh_pub, sizeof a.dh);
        a.has_dh = 1;
    }
    a.ctx_flags = o->ctx_flags;
    krb_wr_init(&w, out, cap);
    krb_ap_req_encode(&w, o->ap_options, cr->ticket, cr->ticket_len, &cr->session, KRB_USAGE_AP_AUTH, &a);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode AP-REQ for %s", cr->server);
        goto out;
    }
    st->ctime = a.ctime;
    st->seq = a.seq;
    st->has_subkey = a.has_subkey;
    st->subkey = a.subkey;
    st->session = cr->session;
    *outlen = w.len;
    rc = KRB_OK;
out:
    krb_wipe(&a, sizeof a);
    return rc;
}

krb_err krb_ap_rep_check(krb_context *c, const struct krb_ap_client *st, const uint8_t *rep, size_t n,
                         struct krb_ap_rep_part *out)
{
    uint8_t want[8], got[8];
    krb_err rc;

    rc = krb_ap_rep_decode_open(rep, n, &st->session, out);
    if (rc != KRB_OK) {
        return krb_set_error(c, rc, "AP-REP does not open with the session key: %s", krb_err_message(rc));
    }
    krb_put_u64(want, (uint64_t)st->ctime);
    krb_put_u64(got, (uint64_t)out->ctime);
    if (!krb_ct_equal(want, got, sizeof want)) {
        krb_wipe(out, sizeof *out);
        return krb_set_error(c, KRB_ERR_MUT_FAIL,
                             "mutual authentication failed: the server did not echo our authenticator time");
    }
    return KRB_OK;
}

/* ---------------- service ---------------- */

krb_err krb_ap_verify_with(krb_context *c, krb_ap_keyfn keyfn, void *keyarg, krb_rcache *rcache,
                           const struct krb_ap_verify_opts *o, const uint8_t *req, size_t n,
                           struct krb_ap_result *out)
{
    struct krb_ap_req ap;
    struct krb_ticket_part tp;
    struct krb_key skey;
    uint8_t cbh[KRB_HASH_BYTES];
    krb_time now = krb_now(c), skew = krb_clock_skew(c), d;
    char when[64];
    krb_err rc;

    memset(out, 0, sizeof *out);
    memset(&tp, 0, sizeof tp);
    memset(&skey, 0, sizeof skey);
    if ((rc = krb_ap_req_decode(req, n, &ap)) != KRB_OK) {
        rc = krb_set_error(c, rc, "AP-REQ rejected: %s", krb_err_message(rc));
        goto out;
    }
    if (o->service != NULL && strcmp(o->service, ap.ticket.server) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "ticket is for %s, this service is %s", ap.ticket.server,
                           o->service);
        goto out;
    }
    if ((rc = keyfn(c, keyarg, ap.ticket.server, ap.ticket.kvno, &skey)) != KRB_OK) {
        goto out;
    }
    if ((rc = krb_ticket_open(&ap.ticket, &skey, &tp)) != KRB_OK) {
        if (rc == KRB_ERR_BADKEYVER) {
            rc = krb_set_error(c, rc, "ticket for %s kvno %u uses suite %u, the keytab key another",
                               ap.ticket.server, ap.ticket.kvno, ap.ticket.suite);
        } else {
            rc = krb_set_error(c, rc, "ticket for %s (kvno %u) does not open with the keytab key: %s",
                               ap.ticket.server, ap.ticket.kvno, krb_err_message(rc));
        }
        goto out;
    }
    if ((rc = krb_ap_req_open(&ap, &tp.session, KRB_USAGE_AP_AUTH, &out->auth)) != KRB_OK) {
        rc = krb_set_error(c, rc, "authenticator from %s does not open with the ticket's session key: %s",
                           tp.client, krb_err_message(rc));
        goto out;
    }
    if (strcmp(out->auth.client, tp.client) != 0) {
        rc = krb_set_error(c, KRB_ERR_BADMATCH, "authenticator names %s but the ticket was issued to %s",
                           out->auth.client, tp.client);
        goto out;
    }
    if (now < tp.starttime - skew) {
        fmt_time(when, sizeof when, tp.starttime);
        rc = krb_set_error(c, KRB_ERR_TKT_NYV, "ticket of %s for %s is not valid before %s", tp.client,
                           ap.ticket.server, when);
        goto out;
    }
    if (now - skew > tp.endtime) {
        fmt_time(when, sizeof when, tp.endtime);
        rc = krb_set_error(c, KRB_ERR_TKT_EXPIRED, "ticket of %s for %s expired %s", tp.client, ap.ticket.server,
                           when);
        goto out;
    }
    d = out->auth.ctime - now;
    if (d > skew || d < -skew) {
        rc = krb_set_error(c, KRB_ERR_SKEW, "clock skew too great: %s's clock is %lld s %s ours (limit %lld s)",
                           tp.client, (long long)((d < 0 ? -d : d) / 1000000), d < 0 ? "behind" : "ahead of",
                           (long long)(skew / 1000000));
        goto out;
    }
    if (o->has_cb) {
        krb_hash(cbh, o->cb, o->cb_len);
        if (!out->auth.has_cksum || !krb_ct_equal(cbh, out->auth.cksum, sizeof cbh)) {
            rc = krb_set_error(c, KRB_ERR_CHANNEL_BINDING, "channel bindings of %s do not match this channel",
                               tp.client);
            goto out;
        }
    }
    if (rcache != NULL) {
        /* Last: only an authentic, timely request may take a slot. */
        if ((rc = krb_rc_check_and_store(c, rcache, ap.ticket.server, ap.ct, ap.ct_len, out->auth.ctime + skew,
                                         now)) != KRB_OK) {
            goto out;
        }
    }
    snprintf(out->client, sizeof out->client, "%s", tp.client);
    snprintf(out->server, sizeof out->server, "%s", ap.ticket.server);
    out->ap_options = ap.options;
    out->tkt_flags = tp.flags;
    out->authtime = tp.authtime;
    out->starttime = tp.starttime;
    out->endtime = tp.endtime;
    out->authz_len = tp.authz_len;
    memcpy(out->authz, tp.authz, tp.authz_len);
    out->session = tp.session;
    rc = KRB_OK;
out:
    krb_wipe(&tp, sizeof tp);
    krb_key_wipe(&skey);
    if (rc != KRB_OK) {
        krb_ap_result_wipe(out);
    }
    return rc;
}

krb_err krb_ap_rep_make(krb_context *c, const struct krb_ap_result *res, struct krb_ap_rep_part *part, uint8_t *out,
                        size_t cap, size_t *outlen)
{
    struct krb_wr w;

    *outlen = 0;
    part->ctime = res->auth.ctime;
    krb_wr_init(&w, out, cap);
    krb_ap_rep_encode(&w, &res->session, part);
    if (w.err != KRB_OK) {
        return krb_set_error(c, w.err, "cannot encode AP-REP");
    }
    *outlen = w.len;
    return KRB_OK;
}

krb_err krb_ap_kt_key(krb_context *c, krb_keytab *kt, const char *server, uint32_t kvno, struct krb_key *key)
{
    char have[128];
    size_t used = 0, n = krb_kt_count(kt);
    krb_kt_info info;
    krb_err rc;

    rc = krb_kt_find(c, kt, server, kvno, key, NULL);
    if (rc != KRB_ERR_BADKEYVER) {
        if (rc == KRB_ERR_KT_NOTFOUND) {
            rc = krb_set_error(c, rc, "keytab %s has no key for %s: run tkadmin ktadd", krb_kt_path(kt), server);
        }
        return rc;
    }
    have[0] = '\0';
    for (size_t i = 0; i < n && used + 16 < sizeof have; i++) {
        if (krb_kt_get_info(kt, i, &info) == KRB_OK && strcmp(info.principal, server) == 0) {
            int w = snprintf(have + used, sizeof have - used, "%s%u", used > 0 ? ", " : "", info.kvno);
            if (w > 0) {
                used += (size_t)w;
            }
        }
    }
    return krb_set_error(c, KRB_ERR_BADKEYVER, "keytab has no key version %u for %s (has %s): run tkadmin ktadd",
                         kvno, server, have);
}

static krb_err kt_keyfn(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    return krb_ap_kt_key(c, (krb_keytab *)arg, server, kvno, key);
}

krb_err krb_ap_verify_kt(krb_context *c, krb_keytab *kt, krb_rcache *rc, const struct krb_ap_verify_opts *o,
                         const uint8_t *req, size_t n, struct krb_ap_result *out)
{
    return krb_ap_verify_with(c, kt_keyfn, kt, rc, o, req, n, out);
}

krb_err krb_ap_verify(krb_context *c, krb_keytab *kt, krb_rcache *rc, const char *service, const uint8_t *req,
                      size_t len, char client[KRB_NAME_MAX + 1])
{
    struct krb_ap_verify_opts o;
    struct krb_ap_result res;
    char canon[KRB_NAME_MAX + 1];
    krb_err err;

    client[0] = '\0';
    if (kt == NULL || rc == NULL || req == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "krb_ap_verify needs a keytab, a replay cache and a request");
    }
    memset(&o, 0, sizeof o);
    if (service != NULL) {
        if ((err = krb_name_canon(c, service, canon)) != KRB_OK) {
            return err;
        }
        o.service = canon;
    }
    err = krb_ap_verify_kt(c, kt, rc, &o, req, len, &res);
    if (err == KRB_OK) {
        snprintf(client, KRB_NAME_MAX + 1, "%s", res.client);
    }
    krb_ap_result_wipe(&res);
    return err;
}
