/*
 * name.h — principal names. The canonical text form is the one form used
 * everywhere (wire, store keys, caches, logs):
 *
 *     comp[/comp...]@REALM
 *
 * A component is 1..255 bytes; '/', '@' and '\' inside it are written "\/",
 * "\@", "\\" and no other escape exists, so the text form is canonical. The
 * realm is 1..255 bytes of [A-Za-z0-9.-_]. At most KRB_NAME_MAX_COMPONENTS
 * components, KRB_NAME_MAX bytes in all, no control bytes.
 */
#ifndef TESSERA_NAME_H
#define TESSERA_NAME_H

#include <stddef.h>

#include "krb.h"

#define KRB_NAME_MAX_COMPONENTS 8
#define KRB_REALM_MAX 255

struct krb_context;

/*
 * Check that s[0..len) is a canonical principal name with a realm.
 * Errors: KRB_ERR_BAD_NAME, detail on c (if not NULL) says why.
 */
KRB_WUR krb_err krb_name_check(struct krb_context *c, const char *s, size_t len);

/*
 * Parse s (realm optional; default_realm appended when absent) into the
 * canonical form in out. Errors: KRB_ERR_BAD_NAME.
 */
KRB_WUR krb_err krb_name_parse(struct krb_context *c, const char *s, const char *default_realm,
                               char out[KRB_NAME_MAX + 1]);

/* The realm of a canonical name (pointer into name). */
const char *krb_name_realm(const char *name);
/* Number of components of a canonical name. */
size_t krb_name_ncomp(const char *name);
/* Component i, unescaped, into out (NUL-terminated). KRB_ERR_INVALID_ARG if
 * i is out of range, KRB_ERR_TOO_BIG if cap is too small. */
KRB_WUR krb_err krb_name_component(const char *name, size_t i, char *out, size_t cap);
/* Build a canonical name from unescaped components and a realm. */
KRB_WUR krb_err krb_name_make(char out[KRB_NAME_MAX + 1], const char *const *comps, size_t n, const char *realm);
/* "krbtgt/REALM@REALM" for realm. */
KRB_WUR krb_err krb_name_tgs(char out[KRB_NAME_MAX + 1], const char *realm);
/* 1 if name is krbtgt/R@R for its own realm R. */
int krb_name_is_tgs(const char *name);

#endif
