/* error.c — names and messages of error codes, per-context detail. */
#include <stdarg.h>
#include <stdio.h>

#include "context.h"
#include "error.h"

static const char *const err_names[] = {
#define KRB_ERR_NAME_(name, text) #name,
    KRB_ERRORS(KRB_ERR_NAME_)
#undef KRB_ERR_NAME_
};

static const char *const err_texts[] = {
#define KRB_ERR_TEXT_(name, text) text,
    KRB_ERRORS(KRB_ERR_TEXT_)
#undef KRB_ERR_TEXT_
};

const char *krb_err_name(krb_err e)
{
    if ((unsigned)e >= (unsigned)KRB_ERR_COUNT_) {
        return "KRB_ERR_UNKNOWN";
    }
    return err_names[e];
}

const char *krb_err_message(krb_err e)
{
    if ((unsigned)e >= (unsigned)KRB_ERR_COUNT_) {
        return "unknown error code";
    }
    return err_texts[e];
}

krb_err krb_set_error(struct krb_context *c, krb_err e, const char *fmt, ...)
{
    if (c == NULL) {
        return e;
    }
    c->last_err = e;
    c->detail[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(c->detail, sizeof c->detail, fmt, ap);
        va_end(ap);
    }
    return e;
}

const char *krb_context_error(const krb_context *c)
{
    if (c == NULL) {
        return "no context";
    }
    if (c->detail[0] != '\0') {
        return c->detail;
    }
    return krb_err_message(c->last_err);
}
