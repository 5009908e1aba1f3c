/*
 * chpw.h — the password change, client side (internal; used by tkpasswd).
 * docs/EXCHANGES.md "Password change".
 */
#ifndef TESSERA_CHPW_H
#define TESSERA_CHPW_H

#include "creds.h"
#include "krb.h"

#define KRB_CHPW_SERVICE "kadmin/changepw" /* instance part; the realm is the client's */
#define KRB_CHPW_LIFETIME ((krb_time)5 * 60 * 1000000)

/*
 * AS exchange with a password for service@<client's realm> instead of the
 * TGT; the credentials go to out (no credential cache is touched). Errors
 * as krb_get_init_creds_password.
 */
KRB_WUR krb_err krb_get_init_creds_service(krb_context *c, const char *client, const char *password,
                                           const char *service, const krb_init_opts *opts, struct krb_creds *out);

/*
 * Change the password of client from old_pw to new_pw (1..KRB_CHPW_PASSWORD_MAX
 * bytes): an initial ticket for kadmin/changepw with old_pw, then CHPW_REQ.
 * Returns KRB_OK when the KDC changed the password. Errors: those of the AS
 * exchange (KRB_ERR_PREAUTH_FAILED: old password incorrect), the KDC's
 * answer (KRB_ERR_PASSWORD_WEAK with the policy's reason as the detail,
 * KRB_ERR_POLICY...), KRB_ERR_MODIFIED / MALFORMED for a reply that does not
 * open, KRB_ERR_KDC_UNREACHABLE.
 */
KRB_WUR krb_err krb_change_password(krb_context *c, const char *client, const char *old_pw, const char *new_pw);

#endif
