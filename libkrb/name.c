/* name.c — principal name parsing and building; see name.h. */
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "error.h"
#include "name.h"

static int realm_char_ok(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '-' || ch == '_';
}

static int special(unsigned char ch)
{
    return ch == '/' || ch == '@' || ch == '\\';
}

/*
 * Scan the principal part of s[0..len): validates components and escapes.
 * Returns the offset of the unescaped '@' (or len when none) via *at, and
 * the component count via *ncomp.
 */
static krb_err scan(struct krb_context *c, const char *s, size_t len, size_t *at, size_t *ncomp)
{
    size_t i = 0, clen = 0, n = 1;

    if (len == 0) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "empty principal name");
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) {
            return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name contains a control character");
        }
        if (ch == '\\') {
            if (i + 1 >= len || !special((unsigned char)s[i + 1])) {
                return krb_set_error(c, KRB_ERR_BAD_NAME,
                                     "bad escape in principal name: only \\/, \\@ and \\\\ are allowed");
            }
            i++;
            clen++;
            continue;
        }
        if (ch == '@') {
            break;
        }
        if (ch == '/') {
            if (clen == 0) {
                return krb_set_error(c, KRB_ERR_BAD_NAME, "empty component in principal name");
            }
            if (++n > KRB_NAME_MAX_COMPONENTS) {
                return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name has more than %d components",
                                     KRB_NAME_MAX_COMPONENTS);
            }
            clen = 0;
            continue;
        }
        clen++;
    }
    if (clen == 0) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "empty component in principal name");
    }
    *at = i;
    *ncomp = n;
    return KRB_OK;
}

static krb_err check_realm(struct krb_context *c, const char *r, size_t len)
{
    if (len == 0) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "empty realm in principal name");
    }
    if (len > KRB_REALM_MAX) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "realm longer than %d bytes", KRB_REALM_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        if (!realm_char_ok((unsigned char)r[i])) {
            return krb_set_error(c, KRB_ERR_BAD_NAME,
                                 "realm may contain only letters, digits, '.', '-' and '_'");
        }
    }
    return KRB_OK;
}

krb_err krb_name_check(struct krb_context *c, const char *s, size_t len)
{
    size_t at, n;
    krb_err rc;

    if (len > KRB_NAME_MAX) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name longer than %d bytes", KRB_NAME_MAX);
    }
    if (memchr(s, '\0', len) != NULL) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name contains a NUL byte");
    }
    if ((rc = scan(c, s, len, &at, &n)) != KRB_OK) {
        return rc;
    }
    if (at == len) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name has no realm");
    }
    return check_realm(c, s + at + 1, len - at - 1);
}

krb_err krb_name_parse(struct krb_context *c, const char *s, const char *default_realm, char out[KRB_NAME_MAX + 1])
{
    size_t len = strlen(s), at, n;
    krb_err rc;
    int w;

    out[0] = '\0';
    if ((rc = scan(c, s, len, &at, &n)) != KRB_OK) {
        return rc;
    }
    if (at == len) {
        if (default_realm == NULL || default_realm[0] == '\0') {
            return krb_set_error(c, KRB_ERR_BAD_NAME,
                                 "principal '%s' has no realm and no default_realm is configured", s);
        }
        w = snprintf(out, KRB_NAME_MAX + 1, "%s@%s", s, default_realm);
    } else {
        w = snprintf(out, KRB_NAME_MAX + 1, "%s", s);
    }
    if (w < 0 || w > KRB_NAME_MAX) {
        out[0] = '\0';
        return krb_set_error(c, KRB_ERR_BAD_NAME, "principal name longer than %d bytes", KRB_NAME_MAX);
    }
    if ((rc = krb_name_check(c, out, (size_t)w)) != KRB_OK) {
        out[0] = '\0';
    }
    return rc;
}

krb_err krb_name_canon(krb_context *c, const char *in, char out[KRB_NAME_MAX + 1])
{
    return krb_name_parse(c, in, krb_default_realm(c), out);
}

const char *krb_name_realm(const char *name)
{
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '@') {
            return p + 1;
        }
    }
    return "";
}

size_t krb_name_ncomp(const char *name)
{
    size_t n = 1;
    for (const char *p = name; *p != '\0' && *p != '@'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '/') {
            n++;
        }
    }
    return n;
}

krb_err krb_name_component(const char *name, size_t i, char *out, size_t cap)
{
    size_t idx = 0, o = 0;

    if (cap == 0) {
        return KRB_ERR_TOO_BIG;
    }
    for (const char *p = name; *p != '\0' && *p != '@'; p++) {
        char ch = *p;
        if (ch == '/') {
            idx++;
            continue;
        }
        if (ch == '\\' && p[1] != '\0') {
            ch = *++p;
        }
        if (idx == i) {
            if (o + 1 >= cap) {
                out[0] = '\0';
                return KRB_ERR_TOO_BIG;
            }
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    return idx < i ? KRB_ERR_INVALID_ARG : KRB_OK;
}

krb_err krb_name_make(char out[KRB_NAME_MAX + 1], const char *const *comps, size_t n, const char *realm)
{
    size_t o = 0;

    out[0] = '\0';
    if (n == 0 || n > KRB_NAME_MAX_COMPONENTS) {
        return KRB_ERR_BAD_NAME;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            if (o >= KRB_NAME_MAX) {
                goto toolong;
            }
            out[o++] = '/';
        }
        for (const char *p = comps[i]; *p != '\0'; p++) {
            if (o + 2 > KRB_NAME_MAX) {
                goto toolong;
            }
            if (special((unsigned char)*p)) {
                out[o++] = '\\';
            }
            out[o++] = *p;
        }
    }
    if (o + 1 + strlen(realm) > KRB_NAME_MAX) {
        goto toolong;
    }
    out[o++] = '@';
    memcpy(out + o, realm, strlen(realm) + 1);
    if (krb_name_check(NULL, out, strlen(out)) != KRB_OK) {
        out[0] = '\0';
        return KRB_ERR_BAD_NAME;
    }
    return KRB_OK;
toolong:
    out[0] = '\0';
    return KRB_ERR_BAD_NAME;
}

krb_err krb_name_tgs(char out[KRB_NAME_MAX + 1], const char *realm)
{
    const char *comps[2] = { "krbtgt", realm };
    return krb_name_make(out, comps, 2, realm);
}

int krb_name_is_tgs(const char *name)
{
    char tgs[KRB_NAME_MAX + 1];

    if (krb_name_tgs(tgs, krb_name_realm(name)) != KRB_OK) {
        return 0;
    }
    return strcmp(tgs, name) == 0;
}
