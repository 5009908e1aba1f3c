/* context.h — the library context (internal layout). */
#ifndef TESSERA_CONTEXT_H
#define TESSERA_CONTEXT_H

#include "config.h"
#include "error.h"
#include "krb.h"
#include "name.h"

struct krb_context {
    struct krb_config *cfg; /* never NULL after krb_context_new */
    char default_realm[KRB_REALM_MAX + 1];
    krb_time skew;
    krb_time (*clock)(void *arg);
    void *clock_arg;
    int trace; /* TESSERA_TRACE set: krb_trace writes to stderr */
    krb_err last_err;
    char detail[KRB_ERRDETAIL_MAX];
};

/* Write a trace line to stderr when TESSERA_TRACE is set (debugging aid;
 * never called with secrets). */
void krb_trace(const krb_context *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Wall clock in microseconds (ignores the hook). */
krb_time krb_system_time(void);

#endif
