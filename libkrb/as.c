/*
 * as.c — the client side of the AS exchange (docs/EXCHANGES.md "AS
 * exchange"): a TGT from a password or from a keytab key.
 *
 * 1. AS-REQ without pre-authentication; the KDC answers PREAUTH_REQUIRED
 *    with a hint (suite, kvno, salt, Argon2id cost).
 * 2. The client key is derived from the hint (bounded cost) or taken from
 *    the keytab, and the AS-REQ is sent again (fresh nonce) with the
 *    encrypted timestamp.
 * 3. The AS-REP is opened and checked: client, nonce, hash of the exact
 *    request bytes sent, server. The TGT then replaces the cache contents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "codec.h"
#include "config.h"
#include "context.h"
#include "creds.h"
#include "crypto.h"
#include "error.h"
#include "chpw.h"
#include "keytab.h"
#include "name.h"

#define AS_REQ_MAX 2048u

struct as_state {
    krb_context *c;
    char client[KRB_NAME_MAX + 1];
    char server[KRB_NAME_MAX + 1];
    const char *service;  /* NULL: krbtgt/REALM; else a service of the client's realm (no instance@) */
    const char *realm;
    const char *password; /* password login, or */
    krb_keytab *kt;       /* keytab login */
    struct krb_key key;   /* client key (secret) */
    int have_key;
    uint32_t kvno;
    struct krb_pa_hint used; /* hint the key was derived from */
};

/* Word the detail of an ERROR answered to an AS-REQ. */
static krb_err as_error(struct as_state *st, krb_err code, const struct krb_error_msg *e)
{
    krb_context *c = st->c;

    switch (code) {
    case KRB_ERR_PREAUTH_FAILED:
        if (st->kt != NULL) {
            return krb_set_error(c, code, "keytab key for %s was rejected by the KDC: the keytab is out of date",
                                 st->client);
        }
        return krb_set_error(c, code, "password incorrect for %s", st->client);
    case KRB_ERR_C_PRINCIPAL_UNKNOWN:
        return krb_set_error(c, code, "client %s not found in Kerberos database", st->client);
    case KRB_ERR_CLIENT_REVOKED:
        return krb_set_error(c, code, "%s is locked out (too many failures or disabled): ask an administrator",
                             st->client);
    case KRB_ERR_SKEW:
        return krb_set_error(c, code, "clock skew too great between this host and the KDC: fix the clock");
    case KRB_ERR_KEY_EXPIRED:
        return krb_set_error(c, code, "password for %s has expired: ask an administrator to reset it", st->client);
    case KRB_ERR_NAME_EXP:
        return krb_set_error(c, code, "principal %s has expired: ask an administrator", st->client);
    case KRB_ERR_ETYPE_NOSUPP:
        return krb_set_error(c, code, "no encryption suite in common with the KDC for %s", st->client);
    case KRB_ERR_S_PRINCIPAL_UNKNOWN:
        return krb_set_error(c, code, "service %s not found in Kerberos database", st->server);
    case KRB_ERR_WRONG_REALM:
        return krb_set_error(c, code, "the KDC does not serve realm %s", st->realm);
    case KRB_ERR_POLICY:
        return krb_set_error(c, code, "KDC policy rejects an initial ticket for %s", st->client);
    case KRB_ERR_BADOPTION:
        return krb_set_error(c, code, "KDC cannot honour the requested ticket options for %s", st->client);
    default:
        return krb_set_error(c, code, "%s (KDC answer for %s%s%s)", krb_err_message(code), st->client,
                             e != NULL && e->text[0] != '\0' ? ": " : "", e != NULL ? e->text : "");
    }
}

static int hint_equal(const struct krb_pa_hint *a, const struct krb_pa_hint *b)
{
    return a->suite == b->suite && a->kvno == b->kvno && a->ops == b->ops && a->memkib == b->memkib &&
           memcmp(a->salt, b->salt, KRB_SALT_BYTES) == 0;
}

/* The client key for what the KDC says (hint); reused when unchanged. */
static krb_err key_for_hint(struct as_state *st, const struct krb_pa_hint *h)
{
    krb_context *c = st->c;
    krb_err rc;

    if (st->have_key && hint_equal(&st->used, h)) {
        return KRB_OK;
    }
    krb_key_wipe(&st->key);
    st->have_key = 0;
    if (st->kt != NULL) {
        rc = krb_kt_find(c, st->kt, st->client, h->kvno, &st->key, &st->kvno);
        if (rc == KRB_ERR_BADKEYVER) { /* not the kvno the KDC named: try the newest */
            rc = krb_kt_find(c, st->kt, st->client, 0, &st->key, &st->kvno);
        }
        if (rc != KRB_OK) {
            return rc; /* detail set by the keytab */
        }
    } else {
        if (!krb_suite_supported(h->suite)) {
            return krb_set_error(c, KRB_ERR_ETYPE_NOSUPP, "KDC uses encryption suite %u for %s, not supported here",
                                 (unsigned)h->suite, st->client);
        }
        rc = krb_password_key(&st->key, h->suite, st->password, h->salt, h->ops, h->memkib);
        if (rc == KRB_ERR_INVALID_ARG) {
            return krb_set_error(c, KRB_ERR_POLICY,
                                 "KDC asked for a password-hashing cost outside the allowed bounds (ops %lu, "
                                 "memory %lu KiB): refusing",
                                 (unsigned long)h->ops, (unsigned long)h->memkib);
        }
        if (rc != KRB_OK) {
            return krb_set_error(c, rc, "cannot derive the key of %s", st->client);
        }
        st->kvno = h->kvno;
    }
    st->used = *h;
    st->have_key = 1;
    return KRB_OK;
}

static krb_err build_req(struct as_state *st, const krb_init_opts *opts, int with_pa, uint8_t *buf, size_t cap,
                         size_t *len, uint32_t *nonce)
{
    krb_context *c = st->c;
    struct krb_kdc_req_body body;
    krb_time now = krb_now(c), life = 0, rlife = 0;
    struct krb_wr w;
    size_t ns;
    uint16_t suites[KRB_SUITE_MAX_LIST];
    krb_err rc;

    if (opts != NULL) {
        life = opts->lifetime;
        rlife = opts->renew_life;
    }
    if (life == 0 &&
        (rc = krb_config_duration(c, c->cfg, "libdefaults", "ticket_lifetime", 0, &life)) != KRB_OK) {
        return rc;
    }
    if (rlife == 0 &&
        (rc = krb_config_duration(c, c->cfg, "libdefaults", "renew_lifetime", 0, &rlife)) != KRB_OK) {
        return rc;
    }
    if (life < 0 || rlife < 0) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "negative ticket lifetime");
    }
    memset(&body, 0, sizeof body);
    memcpy(body.client, st->client, sizeof body.client);
    memcpy(body.server, st->server, sizeof body.server);
    body.nonce = krb_random_u32();
    body.till = life > 0 ? now + life : 0;
    if (rlife > 0) {
        body.options |= KRB_KDC_OPT_RENEWABLE;
        body.rtime = now + rlife;
    }
    ns = krb_suite_defaults(suites);
    body.nsuites = (uint8_t)ns;
    memcpy(body.suites, suites, ns * sizeof suites[0]);
    krb_wr_init(&w, buf, cap);
    krb_as_req_encode(&w, &body, with_pa ? &st->key : NULL, st->kvno, now);
    if (w.err != KRB_OK) {
        return krb_set_error(c, w.err, "cannot encode the AS request for %s", st->client);
    }
    *len = w.len;
    *nonce = body.nonce;
    return KRB_OK;
}

/* Open and check an AS-REP; on success cr holds the TGT. */
static krb_err verify_rep(struct as_state *st, const uint8_t *rep, size_t replen, const uint8_t *req,
                          size_t reqlen, uint32_t nonce, int sent_pa, struct krb_creds *cr)
{
    krb_context *c = st->c;
    struct krb_kdc_rep r;
    struct krb_kdc_rep_part part;
    uint8_t h[KRB_HASH_BYTES];
    krb_err rc;

    memset(&part, 0, sizeof part);
    if ((rc = krb_kdc_rep_decode(rep, replen, KRB_MSG_AS_REP, &r)) != KRB_OK) {
        rc = krb_set_error(c, rc, "malformed AS reply for %s (%s)", st->client, krb_err_message(rc));
        goto out;
    }
    if (strcmp(r.client, st->client) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "AS reply is for %s, not %s", r.client, st->client);
        goto out;
    }
    if ((rc = key_for_hint(st, &r.hint)) != KRB_OK) {
        goto out;
    }
    rc = krb_kdc_rep_open(&r, &st->key, &part);
    if (rc != KRB_OK) {
        if (!sent_pa && rc == KRB_ERR_MODIFIED) {
            rc = as_error(st, KRB_ERR_PREAUTH_FAILED, NULL); /* only the password can tell */
        } else {
            rc = krb_set_error(c, rc, "AS reply for %s cannot be opened (%s)", st->client, krb_err_message(rc));
        }
        goto out;
    }
    if (part.nonce != nonce) {
        rc = krb_set_error(c, KRB_ERR_NONCE, "AS reply for %s does not match the request (nonce)", st->client);
        goto out;
    }
    krb_hash(h, req, reqlen);
    if (!krb_ct_equal(h, part.req_hash, KRB_HASH_BYTES)) {
        rc = krb_set_error(c, KRB_ERR_REQ_MODIFIED,
                           "AS request for %s was modified in transit (the KDC saw other bytes than were sent)",
                           st->client);
        goto out;
    }
    if (strcmp(part.server, st->server) != 0) {
        rc = krb_set_error(c, KRB_ERR_WRONG_PRINC, "AS reply carries a ticket for %s, not %s", part.server,
                           st->server);
        goto out;
    }
    rc = krb_creds_from_rep(c, st->client, &r, &part, cr);
out:
    krb_wipe(&part, sizeof part);
    return rc;
}

/* The AS exchange; the credentials go to cc (replacing its contents) or,
 * when cc is NULL, to out. */
static krb_err as_exchange(struct as_state *st, const char *client, const krb_init_opts *opts, krb_ccache *cc,
                           struct krb_creds *out)
{
    krb_context *c = st->c;
    uint8_t req[AS_REQ_MAX];
    uint8_t *rep = NULL;
    size_t reqlen = 0, replen = 0;
    struct krb_error_msg e;
    struct krb_pa_hint hint;
    struct krb_creds cr;
    uint32_t nonce = 0;
    uint8_t type;
    krb_err rc;

    memset(&cr, 0, sizeof cr);
    if ((rc = krb_name_canon(c, client, st->client)) != KRB_OK) {
        goto out;
    }
    st->realm = krb_name_realm(st->client);
    if (st->service != NULL) {
        char full[KRB_NAME_MAX + 2];

        if ((size_t)snprintf(full, sizeof full, "%s@%s", st->service, st->realm) >= sizeof full ||
            (rc = krb_name_canon(c, full, st->server)) != KRB_OK) {
            rc = krb_set_error(c, KRB_ERR_BAD_NAME, "bad service name %s for realm %s", st->service, st->realm);
            goto out;
        }
    } else if ((rc = krb_name_tgs(st->server, st->realm)) != KRB_OK) {
        rc = krb_set_error(c, rc, "bad realm in %s", st->client);
        goto out;
    }
    rep = malloc(KRB_MSG_MAX);
    if (rep == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, NULL);
        goto out;
    }
    for (int with_pa = 0; with_pa <= 1; with_pa++) {
        if ((rc = build_req(st, opts, with_pa, req, sizeof req, &reqlen, &nonce)) != KRB_OK) {
            goto out;
        }
        krb_trace(c, "AS-REQ for %s (%s pre-authentication)", st->client, with_pa ? "with" : "without");
        rc = krb_kdc_call(c, st->realm, req, reqlen, rep, KRB_MSG_MAX, &replen, &type, &e);
        if (rc == KRB_OK && type == KRB_MSG_AS_REP) {
            rc = verify_rep(st, rep, replen, req, reqlen, nonce, with_pa, &cr);
            goto stored;
        }
        if (rc == KRB_OK) {
            rc = krb_set_error(c, KRB_ERR_MALFORMED, "KDC answered an AS request with message type %u",
                               (unsigned)type);
            goto out;
        }
        if (type != KRB_MSG_ERROR) {
            goto out; /* transport failure: detail already set */
        }
        if (rc != KRB_ERR_PREAUTH_REQUIRED || with_pa) {
            rc = as_error(st, rc, &e);
            goto out;
        }
        if ((rc = krb_pa_hint_decode(e.edata, e.edata_len, &hint)) != KRB_OK) {
            rc = krb_set_error(c, rc, "KDC sent a malformed pre-authentication hint for %s", st->client);
            goto out;
        }
        if ((rc = key_for_hint(st, &hint)) != KRB_OK) {
            goto out;
        }
    }
    rc = krb_set_error(c, KRB_ERR_INTERNAL, "AS exchange for %s did not finish", st->client);
    goto out;
stored:
    if (rc != KRB_OK) {
        goto out;
    }
    if (cc == NULL) {
        *out = cr;
        krb_trace(c, "initial ticket for %s obtained for %s", st->server, st->client);
        goto out;
    }
    if ((rc = krb_cc_initialize(c, cc, st->client)) != KRB_OK || (rc = krb_cc_store(c, cc, &cr)) != KRB_OK) {
        goto out;
    }
    krb_trace(c, "TGT for %s stored in %s", st->client, krb_cc_path(cc));
out:
    krb_creds_wipe(&cr);
    krb_wipe(req, sizeof req);
    if (rep != NULL) {
        krb_wipe(rep, KRB_MSG_MAX);
        free(rep);
    }
    return rc;
}

krb_err krb_get_init_creds_password(krb_context *c, const char *client, const char *password,
                                    const krb_init_opts *opts, krb_ccache *cc)
{
    struct as_state st;
    krb_err rc;

    if (c == NULL || client == NULL || password == NULL || cc == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_get_init_creds_password");
    }
    memset(&st, 0, sizeof st);
    st.c = c;
    st.password = password;
    rc = as_exchange(&st, client, opts, cc, NULL);
    krb_wipe(&st, sizeof st);
    return rc;
}

krb_err krb_get_init_creds_service(krb_context *c, const char *client, const char *password, const char *service,
                                   const krb_init_opts *opts, struct krb_creds *out)
{
    struct as_state st;
    krb_err rc;

    if (c == NULL || client == NULL || password == NULL || service == NULL || out == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_get_init_creds_service");
    }
    memset(out, 0, sizeof *out);
    memset(&st, 0, sizeof st);
    st.c = c;
    st.password = password;
    st.service = service;
    rc = as_exchange(&st, client, opts, NULL, out);
    krb_wipe(&st, sizeof st);
    if (rc != KRB_OK) {
        krb_creds_wipe(out);
    }
    return rc;
}

krb_err krb_get_init_creds_keytab(krb_context *c, const char *client, krb_keytab *kt, const krb_init_opts *opts,
                                  krb_ccache *cc)
{
    struct as_state st;
    krb_err rc;

    if (c == NULL || client == NULL || kt == NULL || cc == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_get_init_creds_keytab");
    }
    memset(&st, 0, sizeof st);
    st.c = c;
    st.kt = kt;
    rc = as_exchange(&st, client, opts, cc, NULL);
    krb_wipe(&st, sizeof st);
    return rc;
}
