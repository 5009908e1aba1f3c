/*
 * dump.c — text dump and load of a realm database.
 *
 * Format (tab-separated fields, one entry per line, '\n' line ends):
 *   tessera-dump 1
 *   realm <TAB> EXAMPLE.ORG
 *   mkey-check <TAB> <64 hex: MAC proving which master key sealed the keys>
 *   pwhash <TAB> <ops> <TAB> <memkib>
 *   policy <TAB> name <TAB> min_length <TAB> min_classes <TAB> history
 *          <TAB> max_failures <TAB> lockout_us <TAB> window_us
 *   princ <TAB> name <TAB> flags(hex) <TAB> max_life <TAB> max_renew <TAB>
 *          expire <TAB> pw_expire <TAB> fail_count <TAB> last_failed <TAB>
 *          last_success <TAB> mod_time <TAB> policy|- <TAB> nkeys
 *          {<TAB> kvno:suite:salt_hex|-:ops:memkib:sealed_hex}
 *   end <TAB> <number of policy and princ lines>
 * Times are microseconds since the epoch; keys stay sealed under the master
 * key. Policies come before the principals that name them. The "end" line
 * makes a truncated dump fail to load.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "context.h"
#include "error.h"
#include "kdb_int.h"

#define DUMP_MAGIC "tessera-dump 1"
#define DUMP_LINE_MAX 8192
#define DUMP_MAX_FIELDS (13 + KDB_MAX_KEYS + 1)

void kdb_hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1; /* lower case only: one spelling per value */
}

int kdb_hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
    if (slen % 2 != 0 || slen / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < slen / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = slen / 2;
    return 0;
}

krb_err kdb_dump_header(krb_context *c, struct kdb *db, FILE *out)
{
    uint8_t check[KRB_HASH_BYTES];
    char hex[2 * KRB_HASH_BYTES + 1];
    uint32_t ops, memkib;
    krb_err rc;

    if ((rc = kdb_mkey_check_value(kdb_master_key(db), check)) != KRB_OK) {
        return krb_set_error(c, rc, "cannot compute the master key check value");
    }
    kdb_hex_encode(check, sizeof check, hex);
    kdb_pwhash_params(db, &ops, &memkib);
    if (fprintf(out, "%s\nrealm\t%s\nmkey-check\t%s\npwhash\t%u\t%u\n", DUMP_MAGIC, kdb_realm(db), hex,
                (unsigned)ops, (unsigned)memkib) < 0) {
        return krb_set_error(c, KRB_ERR_IO, "cannot write the dump: %s", strerror(errno));
    }
    return KRB_OK;
}

static krb_err dump_policy(krb_context *c, const struct kdb_policy *p, FILE *out)
{
    if (fprintf(out, "policy\t%s\t%u\t%u\t%u\t%u\t%" PRId64 "\t%" PRId64 "\n", p->name, (unsigned)p->min_length,
                (unsigned)p->min_classes, (unsigned)p->history, (unsigned)p->max_failures, p->lockout_duration,
                p->failure_window) < 0) {
        return krb_set_error(c, KRB_ERR_IO, "cannot write the dump: %s", strerror(errno));
    }
    return KRB_OK;
}

krb_err kdb_dump_principal(krb_context *c, const struct kdb_principal *p, FILE *out)
{
    char sealed[2 * (KRB_KEY_BYTES + KRB_SEAL_OVERHEAD_MAX) + 1];
    char salt[2 * KRB_SALT_BYTES + 1];
    int bad = 0;

    if (p->nkeys > KDB_MAX_KEYS) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "principal %s has too many keys", p->name);
    }
    bad |= fprintf(out,
                   "princ\t%s\t%x\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%u\t%" PRId64 "\t%" PRId64
                   "\t%" PRId64 "\t%s\t%u",
                   p->name, (unsigned)p->flags, p->max_life, p->max_renew, p->expire, p->pw_expire,
                   (unsigned)p->fail_count, p->last_failed, p->last_success, p->mod_time,
                   p->policy[0] != '\0' ? p->policy : "-", (unsigned)p->nkeys) < 0;
    for (unsigned i = 0; i < p->nkeys; i++) {
        const struct kdb_key *k = &p->keys[i];
        size_t sl = k->sealed_len <= sizeof k->sealed ? k->sealed_len : sizeof k->sealed;
        kdb_hex_encode(k->sealed, sl, sealed);
        if (k->has_salt) {
            kdb_hex_encode(k->salt, sizeof k->salt, salt);
        } else {
            snprintf(salt, sizeof salt, "-");
        }
        bad |= fprintf(out, "\t%u:%u:%s:%u:%u:%s", (unsigned)k->kvno, (unsigned)k->suite, salt, (unsigned)k->ops,
                       (unsigned)k->memkib, sealed) < 0;
    }
    bad |= fputc('\n', out) == EOF;
    if (bad) {
        return krb_set_error(c, KRB_ERR_IO, "cannot write the dump: %s", strerror(errno));
    }
    return KRB_OK;
}

struct dump_state {
    krb_context *c;
    FILE *out;
    uint64_t n;
    krb_err rc;
};

static int dump_pol_cb(const struct kdb_policy *p, void *arg)
{
    struct dump_state *st = arg;

    st->rc = dump_policy(st->c, p, st->out);
    st->n++;
    return st->rc != KRB_OK;
}

static int dump_princ_cb(const struct kdb_principal *p, void *arg)
{
    struct dump_state *st = arg;

    st->rc = kdb_dump_principal(st->c, p, st->out);
    st->n++;
    return st->rc != KRB_OK;
}

krb_err kdb_dump(krb_context *c, struct kdb *db, FILE *out)
{
    struct dump_state st = { c, out, 0, KRB_OK };
    krb_err rc;

    if ((rc = kdb_dump_header(c, db, out)) != KRB_OK) {
        return rc;
    }
    /* Policies, then principals, each listed from one read snapshot;
     * neither readers nor writers are blocked meanwhile. */
    if ((rc = kdb_policy_iterate(c, db, dump_pol_cb, &st)) != KRB_OK) {
        return rc;
    }
    if (st.rc != KRB_OK) {
        return st.rc;
    }
    if ((rc = kdb_iterate(c, db, NULL, dump_princ_cb, &st)) != KRB_OK) {
        return rc;
    }
    if (st.rc != KRB_OK) {
        return st.rc;
    }
    if (fprintf(out, "end\t%" PRIu64 "\n", st.n) < 0 || fflush(out) != 0) {
        return krb_set_error(c, KRB_ERR_IO, "cannot write the dump: %s", strerror(errno));
    }
    return KRB_OK;
}

/* ---- load ---- */

/* Strict unsigned decimal: digits only, no sign, no leading zeros. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0' || (s[0] == '0' && s[1] != '\0')) {
        return -1;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Strict lower-case hex as printed by %x: no prefix, no leading zeros. */
static int parse_hex32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    size_t n = strlen(s);

    if (n == 0 || n > 8 || (s[0] == '0' && n > 1)) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0) {
            return -1;
        }
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;

    if (parse_u64(s, UINT32_MAX, &v) != 0) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_time(const char *s, krb_time *out)
{
    uint64_t v;

    if (parse_u64(s, (uint64_t)INT64_MAX, &v) != 0) {
        return -1;
    }
    *out = (krb_time)v;
    return 0;
}

static size_t split(char *line, char sep, char **f, size_t max)
{
    size_t n = 0;

    f[n++] = line;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == sep) {
            if (n == max) {
                return max + 1;
            }
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

static int parse_key(char *s, struct kdb_key *k)
{
    char *f[7];
    size_t n = split(s, ':', f, 6), len;
    uint32_t suite;

    memset(k, 0, sizeof *k);
    if (n != 6 || parse_u32(f[0], &k->kvno) != 0 || parse_u32(f[1], &suite) != 0 || suite > UINT16_MAX ||
        parse_u32(f[3], &k->ops) != 0 || parse_u32(f[4], &k->memkib) != 0) {
        return -1;
    }
    k->suite = (uint16_t)suite;
    if (strcmp(f[2], "-") != 0) {
        if (kdb_hex_decode(f[2], strlen(f[2]), k->salt, sizeof k->salt, &len) != 0 || len != sizeof k->salt) {
            return -1;
        }
        k->has_salt = 1;
    }
    if (kdb_hex_decode(f[5], strlen(f[5]), k->sealed, sizeof k->sealed, &len) != 0) {
        return -1;
    }
    k->sealed_len = (uint16_t)len;
    return 0;
}

static int parse_principal(char **f, size_t n, struct kdb_principal *p, const char **what)
{
    uint32_t nkeys;

    memset(p, 0, sizeof *p);
    *what = "wrong number of fields in princ line";
    if (n < 13) {
        return -1;
    }
    *what = "bad principal name";
    if (strlen(f[1]) > KRB_NAME_MAX) {
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%s", f[1]);
    *what = "bad flags";
    if (parse_hex32(f[2], &p->flags) != 0) {
        return -1;
    }
    *what = "bad number in princ line";
    if (parse_time(f[3], &p->max_life) != 0 || parse_time(f[4], &p->max_renew) != 0 ||
        parse_time(f[5], &p->expire) != 0 || parse_time(f[6], &p->pw_expire) != 0 ||
        parse_u32(f[7], &p->fail_count) != 0 || parse_time(f[8], &p->last_failed) != 0 ||
        parse_time(f[9], &p->last_success) != 0 || parse_time(f[10], &p->mod_time) != 0) {
        return -1;
    }
    *what = "bad policy name";
    if (strcmp(f[11], "-") != 0) {
        if (!kdb_policy_name_ok(f[11])) {
            return -1;
        }
        snprintf(p->policy, sizeof p->policy, "%s", f[11]);
    }
    *what = "bad key count";
    if (parse_u32(f[12], &nkeys) != 0 || nkeys > KDB_MAX_KEYS || n != 13 + nkeys) {
        return -1;
    }
    p->nkeys = (uint8_t)nkeys;
    *what = "bad key field (kvno:suite:salt:ops:memkib:sealed)";
    for (uint32_t i = 0; i < nkeys; i++) {
        if (parse_key(f[13 + i], &p->keys[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int parse_policy(char **f, size_t n, struct kdb_policy *p)
{
    memset(p, 0, sizeof *p);
    if (n != 8 || !kdb_policy_name_ok(f[1])) {
        return -1;
    }
    snprintf(p->name, sizeof p->name, "%s", f[1]);
    if (parse_u32(f[2], &p->min_length) != 0 || parse_u32(f[3], &p->min_classes) != 0 ||
        parse_u32(f[4], &p->history) != 0 || parse_u32(f[5], &p->max_failures) != 0 ||
        parse_time(f[6], &p->lockout_duration) != 0 || parse_time(f[7], &p->failure_window) != 0) {
        return -1;
    }
    return 0;
}

/* Re-tag the loader's detail with file:line. */
static krb_err at_line(krb_context *c, krb_err rc, const char *fname, unsigned lineno)
{
    char detail[KRB_ERRDETAIL_MAX];

    snprintf(detail, sizeof detail, "%s", krb_context_error(c));
    return krb_set_error(c, rc, "%s:%u: %s", fname, lineno, detail);
}

krb_err kdb_load_ex(krb_context *c, struct kdb *db, FILE *in, const char *fname, unsigned flags)
{
    struct kdb_loader *l = NULL;
    struct kdb_principal p;
    struct kdb_policy pol;
    char *line = NULL, *f[DUMP_MAX_FIELDS + 1];
    size_t cap = 0, n;
    ssize_t len;
    unsigned lineno = 0, state = 0; /* 0 magic, 1 realm, 2 mkey, 3 pwhash, 4 body, 5 after end */
    uint64_t entries = 0, declared;
    krb_err rc = KRB_OK;
    const char *what = NULL;

    memset(&p, 0, sizeof p);
    if ((rc = kdb_load_begin(c, db, flags, &l)) != KRB_OK) {
        return rc;
    }
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (len == 0 || line[len - 1] != '\n') {
            what = "line not terminated (truncated dump?)";
            goto bad;
        }
        line[--len] = '\0';
        if ((size_t)len > DUMP_LINE_MAX) {
            what = "line too long";
            goto bad;
        }
        if (memchr(line, '\0', (size_t)len) != NULL) {
            what = "NUL byte in line";
            goto bad;
        }
        if (state == 0) {
            if (strcmp(line, DUMP_MAGIC) != 0) {
                what = "not a Tessera dump (first line must be \"" DUMP_MAGIC "\")";
                goto bad;
            }
            state = 1;
            continue;
        }
        n = split(line, '\t', f, DUMP_MAX_FIELDS);
        if (n > DUMP_MAX_FIELDS) {
            what = "too many fields";
            goto bad;
        }
        if (state == 5) {
            what = "data after the end line";
            goto bad;
        }
        if (state == 1) {
            if (n != 2 || strcmp(f[0], "realm") != 0) {
                what = "expected \"realm<TAB>NAME\"";
                goto bad;
            }
            if (strcmp(f[1], kdb_realm(db)) != 0) {
                rc = krb_set_error(c, KRB_ERR_WRONG_REALM,
                                   "%s:%u: dump is of realm %s, database is realm %s (load it into a realm of that "
                                   "name)",
                                   fname, lineno, f[1], kdb_realm(db));
                goto out;
            }
            state = 2;
        } else if (state == 2) {
            uint8_t want[KRB_HASH_BYTES], got[KRB_HASH_BYTES];
            size_t glen;
            if (n != 2 || strcmp(f[0], "mkey-check") != 0 ||
                kdb_hex_decode(f[1], strlen(f[1]), got, sizeof got, &glen) != 0 || glen != sizeof got) {
                what = "expected \"mkey-check<TAB>HEX\"";
                goto bad;
            }
            if ((rc = kdb_mkey_check_value(kdb_master_key(db), want)) != KRB_OK) {
                krb_set_error(c, rc, "cannot compute the master key check value");
                goto out;
            }
            if (!krb_ct_equal(want, got, sizeof want)) {
                rc = krb_set_error(c, KRB_ERR_MKEY,
                                   "%s:%u: the dump's keys are sealed under another master key (use the stash file "
                                   "of the dumped realm)",
                                   fname, lineno);
                goto out;
            }
            state = 3;
        } else if (state == 3) {
            uint32_t ops, memkib;
            if (n != 3 || strcmp(f[0], "pwhash") != 0 || parse_u32(f[1], &ops) != 0 ||
                parse_u32(f[2], &memkib) != 0 || ops < KRB_PW_OPS_MIN || ops > KRB_PW_OPS_MAX ||
                memkib < KRB_PW_MEMKIB_MIN || memkib > KRB_PW_MEMKIB_MAX) {
                what = "expected \"pwhash<TAB>OPS<TAB>MEMKIB\" within the Argon2id bounds";
                goto bad;
            }
            if ((flags & KDB_LOAD_UPDATE) == 0 && (rc = kdb_load_pwhash(c, l, ops, memkib)) != KRB_OK) {
                rc = at_line(c, rc, fname, lineno);
                goto out;
            }
            state = 4;
        } else if (strcmp(f[0], "policy") == 0) {
            if (parse_policy(f, n, &pol) != 0) {
                what = "bad policy line";
                goto bad;
            }
            if ((rc = kdb_load_policy(c, l, &pol)) != KRB_OK) {
                rc = at_line(c, rc, fname, lineno);
                goto out;
            }
            entries++;
        } else if (strcmp(f[0], "princ") == 0) {
            if (parse_principal(f, n, &p, &what) != 0) {
                goto bad;
            }
            if ((rc = kdb_load_principal(c, l, &p)) != KRB_OK) {
                rc = at_line(c, rc, fname, lineno);
                goto out;
            }
            entries++;
        } else if (strcmp(f[0], "end") == 0) {
            if (n != 2 || parse_u64(f[1], UINT64_MAX, &declared) != 0 || declared != entries) {
                what = "end line does not match the number of entries (truncated or edited dump?)";
                goto bad;
            }
            state = 5;
        } else {
            what = "unknown line type (expected policy, princ or end)";
            goto bad;
        }
    }
    if (ferror(in)) {
        rc = krb_set_error(c, KRB_ERR_IO, "%s: read error: %s", fname, strerror(errno));
        goto out;
    }
    if (state != 5) {
        rc = krb_set_error(c, KRB_ERR_MALFORMED, "%s:%u: dump ends without its end line (truncated?)", fname,
                           lineno);
        goto out;
    }
    rc = kdb_load_end(c, l, 1);
    l = NULL;
    goto out;
bad:
    rc = krb_set_error(c, KRB_ERR_MALFORMED, "%s:%u: %s", fname, lineno, what);
out:
    if (l != NULL) {
        krb_err ignored = kdb_load_end(c, l, 0); /* abandon: nothing was committed */
        (void)ignored;
    }
    if (line != NULL) {
        sodium_memzero(line, cap);
    }
    free(line);
    sodium_memzero(&p, sizeof p);
    return rc;
}

krb_err kdb_load(krb_context *c, struct kdb *db, FILE *in, const char *fname)
{
    return kdb_load_ex(c, db, in, fname, 0);
}
