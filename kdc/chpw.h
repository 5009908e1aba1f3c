/*
 * chpw.h — the password-change service of the KDC (kadmin/changepw):
 * CHPW_REQ in, CHPW_REP out (docs/EXCHANGES.md "Password change").
 */
#ifndef TESSERA_KDC_CHPW_H
#define TESSERA_KDC_CHPW_H

#include "kdc.h"

#define KDC_CHPW_PREFIX "kadmin/changepw"           /* @REALM follows */
#define KDC_CHPW_LIFE ((krb_time)5 * 60 * 1000000) /* longest kadmin/changepw ticket */

/* 1 if name is kadmin/changepw@<our realm>: tickets for it come from the
 * AS only (fresh password), never from the TGS. */
int kdc_is_changepw(const struct kdc_conf *conf, const char *name);

/*
 * Handle a CHPW_REQ. Failures before the request is authenticated return
 * the error (dispatch.c sends a plain ERROR); after that the outcome is
 * sealed in a CHPW_REP and KRB_OK is returned (the log entry's detail
 * says what was refused).
 */
KRB_WUR krb_err kdc_chpw(struct kdc_req *r);

#endif
