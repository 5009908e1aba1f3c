/* error.h — error codes (the list lives in include/krb.h) and the
 * per-context detail buffer. */
#ifndef TESSERA_ERROR_H
#define TESSERA_ERROR_H

#include "krb.h"

#define KRB_ERRDETAIL_MAX 256

struct krb_context;

/*
 * Record a detail for code e on context c (printf-style; NULL fmt clears it)
 * and return e, so a failing path reads: return krb_set_error(c, e, "...").
 * c may be NULL (then nothing is recorded).
 */
krb_err krb_set_error(struct krb_context *c, krb_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
