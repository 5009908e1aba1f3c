/*
 * chpw.h — the password change, client side: internals shared with the
 * KDC's tests (krb_change_password itself is in include/krb.h).
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

/* krb_change_password is public: include/krb.h. */

#endif
