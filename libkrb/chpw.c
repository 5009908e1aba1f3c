/*
 * chpw.c — the password change, client side (docs/EXCHANGES.md "Password
 * change").
 *
 * 1. AS exchange with the old password for kadmin/changepw@REALM: an
 *    INITIAL ticket, kept in memory only (the cache is not touched).
 * 2. CHPW_REQ: an AP-REQ with that ticket and a fresh subkey, and the new
 *    password sealed under the subkey (usage CHPW).
 * 3. The answer is a CHPW_REP sealed under the same subkey (authentic
 *    result code and text) or, for a request the KDC could not
 *    authenticate, a plain ERROR.
 */
#include <stdlib.h>
#include <string.h>

#include "ap.h"
#include "chpw.h"
#include "client.h"
#include "codec.h"
#include "context.h"
#include "error.h"
#include "name.h"

/* Word the detail of an ERROR answered to a CHPW_REQ. */
static krb_err chpw_error(krb_context *c, krb_err code, const char *client)
{
    switch (code) {
    case KRB_ERR_POLICY:
        return krb_set_error(c, code, "KDC policy refuses a password change for %s", client);
    case KRB_ERR_SKEW:
        return krb_set_error(c, code, "clock skew too great between this host and the KDC: fix the clock");
    case KRB_ERR_REPEAT:
        return krb_set_error(c, code, "the KDC saw this password change request before (replay): try again");
    case KRB_ERR_TKT_EXPIRED:
        return krb_set_error(c, code, "the password-change ticket for %s expired: try again", client);
    default:
        return krb_set_error(c, code, "%s (KDC answer to the password change for %s)", krb_err_message(code),
                             client);
    }
}

krb_err krb_change_password(krb_context *c, const char *client, const char *old_pw, const char *new_pw)
{
    char canon[KRB_NAME_MAX + 1];
    struct krb_creds cr;
    struct krb_ap_client st;
    struct krb_ap_req_opts ao;
    struct krb_chpw_rep res;
    struct krb_error_msg e;
    krb_init_opts io;
    uint8_t apreq[KRB_AP_REQ_MAX];
    uint8_t req[KRB_AP_REQ_MAX + 2 + KRB_CHPW_PASSWORD_MAX + KRB_SEAL_OVERHEAD_MAX + 8];
    uint8_t *rep = NULL;
    size_t aplen = 0, replen = 0, pwlen;
    struct krb_wr w;
    uint8_t type = 0;
    krb_err rc;

    memset(&cr, 0, sizeof cr);
    memset(&st, 0, sizeof st);
    memset(&res, 0, sizeof res);
    if (c == NULL || client == NULL || old_pw == NULL || new_pw == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "missing argument to krb_change_password");
    }
    pwlen = strlen(new_pw);
    if (pwlen == 0 || pwlen > KRB_CHPW_PASSWORD_MAX) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "the new password must be 1 to %u bytes",
                             (unsigned)KRB_CHPW_PASSWORD_MAX);
    }
    if ((rc = krb_name_canon(c, client, canon)) != KRB_OK) {
        goto out;
    }
    memset(&io, 0, sizeof io);
    io.lifetime = KRB_CHPW_LIFETIME;
    if ((rc = krb_get_init_creds_service(c, canon, old_pw, KRB_CHPW_SERVICE, &io, &cr)) != KRB_OK) {
        goto out;
    }
    if ((cr.flags & KRB_TKT_FLAG_INITIAL) == 0) {
        rc = krb_set_error(c, KRB_ERR_POLICY, "the KDC issued a non-initial ticket for %s", cr.server);
        goto out;
    }
    memset(&ao, 0, sizeof ao);
    ao.want_subkey = 1;
    if ((rc = krb_ap_req_make(c, &cr, &ao, &st, apreq, sizeof apreq, &aplen)) != KRB_OK) {
        goto out;
    }
    krb_wr_init(&w, req, sizeof req);
    krb_chpw_req_encode(&w, apreq, aplen, &st.subkey, new_pw, pwlen);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, w.err, "cannot encode the password change request for %s", canon);
        goto out;
    }
    rep = malloc(KRB_MSG_MAX);
    if (rep == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, NULL);
        goto out;
    }
    krb_trace(c, "CHPW_REQ for %s", canon);
    rc = krb_kdc_call(c, krb_name_realm(canon), req, w.len, rep, KRB_MSG_MAX, &replen, &type, &e);
    if (rc != KRB_OK) {
        if (type == KRB_MSG_ERROR) {
            rc = chpw_error(c, rc, canon);
        }
        goto out;
    }
    if (type != KRB_MSG_CHPW_REP) {
        rc = krb_set_error(c, KRB_ERR_MALFORMED, "KDC answered a password change with message type %u",
                           (unsigned)type);
        goto out;
    }
    if ((rc = krb_chpw_rep_decode_open(rep, replen, &st.subkey, &res)) != KRB_OK) {
        rc = krb_set_error(c, rc, "the KDC's answer to the password change for %s cannot be opened (%s)", canon,
                           krb_err_message(rc));
        goto out;
    }
    if (res.code == KRB_OK) {
        krb_trace(c, "password of %s changed", canon);
        rc = KRB_OK;
    } else if (res.code >= (uint32_t)KRB_ERR_COUNT_ || res.code == KRB_CONTINUE) {
        rc = krb_set_error(c, KRB_ERR_MALFORMED, "KDC answered the password change with unknown code %lu",
                           (unsigned long)res.code);
    } else if (res.text[0] != '\0') {
        rc = krb_set_error(c, (krb_err)res.code, "%s", res.text);
    } else {
        rc = chpw_error(c, (krb_err)res.code, canon);
    }
out:
    krb_creds_wipe(&cr);
    krb_ap_client_wipe(&st);
    krb_wipe(req, sizeof req);
    if (rep != NULL) {
        krb_wipe(rep, KRB_MSG_MAX);
        free(rep);
    }
    return rc;
}
