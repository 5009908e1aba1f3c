/*
 * record.c — the stored form of principals and policies.
 *
 * Principal record (all integers big-endian, times u64 microseconds), the
 * value stored under the principal's canonical name:
 *   u8  record version (KDB_RECORD_VERSION, 2)
 *   u32 flags (KDB_F_*; unknown bits rejected)
 *   u8  present: bit i set = field i follows, and is not zero; a field
 *       that is absent is zero. Fields, in this order: 0 max_life,
 *       1 max_renew, 2 expire, 3 pw_expire (u64), 4 fail_count (u32),
 *       5 last_failed, 6 last_success, 7 mod_time (u64)
 *   vec8 policy (0..KDB_POLICY_NAME_MAX, [A-Za-z0-9._-])
 *   u8  nkeys (0..KDB_MAX_KEYS), then per key, newest kvno first:
 *       u32 kvno (>= 1, strictly decreasing), u16 suite,
 *       bool has_salt [, salt[16], u32 ops, u32 memkib],
 *       vec8 sealed key (exactly 32 + seal overhead of the suite)
 * The whole record is at most KDB_RECORD_MAX bytes; trailing bytes are
 * rejected, so there is one encoding per value. The name is the LMDB key
 * and is not repeated in the value, and most of the eight fields are zero
 * for most principals, which is why they are optional: together this
 * makes records over a third smaller, and the KDC maps that many fewer pages. The
 * sealed keys still name their principal (it is their associated data), so
 * a record copied under another name does not open.
 *
 * Version 1 records (written before 2026-11) are still read: after the
 * version byte they repeat the name (vec8; it must equal the key), and
 * the eight fields are always present, in the same order. Any write
 * stores version 2.
 *
 * Policy record: u8 version, vec8 name, u32 min_length, u32 min_classes,
 * u32 history, u32 max_failures, u64 lockout_duration, u64 failure_window.
 */
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "kdb_int.h"
#include "name.h"

int kdb_policy_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > KDB_POLICY_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                 ch == '_' || ch == '-';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

size_t kdb_key_ad(const char *name, uint32_t kvno, uint8_t *ad, size_t cap)
{
    size_t n = strlen(name);

    if (n + 4 > cap) {
        return 0;
    }
    memcpy(ad, name, n);
    krb_put_u32(ad + n, kvno);
    return n + 4;
}

static int time_ok(krb_time t)
{
    return t >= 0;
}

/* Semantic checks shared by encoder and decoder. */
static krb_err principal_check(const struct kdb_principal *p)
{
    size_t nlen = strnlen(p->name, sizeof p->name);

    if (nlen == 0 || nlen > KRB_NAME_MAX || krb_name_check(NULL, p->name, nlen) != KRB_OK) {
        return KRB_ERR_BAD_NAME;
    }
    if ((p->flags & ~KDB_FLAGS_KNOWN) != 0) {
        return KRB_ERR_MALFORMED;
    }
    if (!time_ok(p->max_life) || !time_ok(p->max_renew) || !time_ok(p->expire) || !time_ok(p->pw_expire) ||
        !time_ok(p->last_failed) || !time_ok(p->last_success) || !time_ok(p->mod_time)) {
        return KRB_ERR_MALFORMED;
    }
    if (strnlen(p->policy, sizeof p->policy) > KDB_POLICY_NAME_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    if (p->policy[0] != '\0' && !kdb_policy_name_ok(p->policy)) {
        return KRB_ERR_MALFORMED;
    }
    if (p->nkeys > KDB_MAX_KEYS) {
        return KRB_ERR_TOO_BIG;
    }
    for (unsigned i = 0; i < p->nkeys; i++) {
        const struct kdb_key *k = &p->keys[i];
        size_t ovh = krb_seal_overhead(k->suite);
        if (k->kvno == 0 || (i > 0 && k->kvno >= p->keys[i - 1].kvno)) {
            return KRB_ERR_MALFORMED;
        }
        if (ovh == 0) {
            return KRB_ERR_ETYPE_NOSUPP;
        }
        if (k->sealed_len != KRB_KEY_BYTES + ovh) {
            return KRB_ERR_MALFORMED;
        }
        if (k->has_salt > 1) {
            return KRB_ERR_MALFORMED;
        }
        if (k->has_salt && (k->ops < KRB_PW_OPS_MIN || k->ops > KRB_PW_OPS_MAX || k->memkib < KRB_PW_MEMKIB_MIN ||
                            k->memkib > KRB_PW_MEMKIB_MAX)) {
            return KRB_ERR_MALFORMED;
        }
        if (!k->has_salt && (k->ops != 0 || k->memkib != 0)) {
            return KRB_ERR_MALFORMED;
        }
    }
    return KRB_OK;
}

/* The eight optional fields of a principal record, in encoding order: all
 * u64 times but field 4, the u32 fail_count. */
#define KDB_NFIELDS 8
#define KDB_FAIL_COUNT_FIELD 4

static void principal_fields_put(struct krb_wr *w, const struct kdb_principal *p)
{
    const uint64_t v[KDB_NFIELDS] = {
        (uint64_t)p->max_life,    (uint64_t)p->max_renew,    (uint64_t)p->expire,   (uint64_t)p->pw_expire,
        p->fail_count,            (uint64_t)p->last_failed,  (uint64_t)p->last_success, (uint64_t)p->mod_time,
    };
    uint8_t present = 0;

    for (unsigned i = 0; i < KDB_NFIELDS; i++) {
        present |= (uint8_t)((v[i] != 0 ? 1u : 0u) << i);
    }
    krb_wr_u8(w, present);
    for (unsigned i = 0; i < KDB_NFIELDS; i++) {
        if (v[i] != 0 && i == KDB_FAIL_COUNT_FIELD) {
            krb_wr_u32(w, (uint32_t)v[i]);
        } else if (v[i] != 0) {
            krb_wr_u64(w, v[i]);
        }
    }
}

/* Version 2: a presence byte, then the fields it names, none zero.
 * Version 1: all eight fields, zero or not. */
static void principal_fields_get(struct krb_rd *r, struct kdb_principal *p, int v1)
{
    unsigned present = v1 ? 0xffu : krb_rd_u8(r);
    uint64_t v[KDB_NFIELDS] = { 0 };

    for (unsigned i = 0; i < KDB_NFIELDS; i++) {
        if ((present & (1u << i)) == 0) {
            continue;
        }
        v[i] = i == KDB_FAIL_COUNT_FIELD ? krb_rd_u32(r) : (uint64_t)krb_rd_time(r);
        if (!v1 && v[i] == 0) {
            krb_rd_fail(r, KRB_ERR_MALFORMED); /* present means not zero: one encoding per value */
        }
    }
    p->max_life = (krb_time)v[0];
    p->max_renew = (krb_time)v[1];
    p->expire = (krb_time)v[2];
    p->pw_expire = (krb_time)v[3];
    p->fail_count = (uint32_t)v[4];
    p->last_failed = (krb_time)v[5];
    p->last_success = (krb_time)v[6];
    p->mod_time = (krb_time)v[7];
}

krb_err kdb_record_encode(const struct kdb_principal *p, uint8_t *buf, size_t cap, size_t *len)
{
    struct krb_wr w;
    krb_err rc;

    *len = 0;
    if ((rc = principal_check(p)) != KRB_OK) {
        return rc;
    }
    krb_wr_init(&w, buf, cap < KDB_RECORD_MAX ? cap : KDB_RECORD_MAX);
    krb_wr_u8(&w, KDB_RECORD_VERSION);
    krb_wr_u32(&w, p->flags);
    principal_fields_put(&w, p);
    krb_wr_str8(&w, p->policy);
    krb_wr_u8(&w, p->nkeys);
    for (unsigned i = 0; i < p->nkeys; i++) {
        const struct kdb_key *k = &p->keys[i];
        krb_wr_u32(&w, k->kvno);
        krb_wr_u16(&w, k->suite);
        krb_wr_u8(&w, k->has_salt);
        if (k->has_salt) {
            krb_wr_bytes(&w, k->salt, sizeof k->salt);
            krb_wr_u32(&w, k->ops);
            krb_wr_u32(&w, k->memkib);
        }
        krb_wr_vec8(&w, k->sealed, k->sealed_len);
    }
    if (w.err != KRB_OK) {
        return w.err;
    }
    *len = w.len;
    return KRB_OK;
}

krb_err kdb_record_decode(const void *name, size_t name_len, const uint8_t *in, size_t n, struct kdb_principal *out)
{
    char v1name[KRB_NAME_MAX + 1];
    struct krb_rd r;
    const uint8_t *v;
    size_t vlen;
    uint8_t ver;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (n > KDB_RECORD_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    if (name_len == 0 || name_len > KRB_NAME_MAX || memchr(name, '\0', name_len) != NULL) {
        return KRB_ERR_BAD_NAME;
    }
    krb_rd_init(&r, in, n);
    ver = krb_rd_u8(&r);
    if (r.err == KRB_OK && ver != KDB_RECORD_VERSION && ver != KDB_RECORD_VERSION_V1) {
        return KRB_ERR_DB_VERSION;
    }
    memcpy(out->name, name, name_len);
    out->name[name_len] = '\0'; /* principal_check below validates it */
    if (ver == KDB_RECORD_VERSION_V1) {
        krb_rd_name(&r, v1name);
        if (r.err == KRB_OK && strcmp(v1name, out->name) != 0) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED); /* stored under another name */
        }
    }
    out->flags = krb_rd_u32(&r);
    principal_fields_get(&r, out, ver == KDB_RECORD_VERSION_V1);
    v = krb_rd_vec8(&r, 0, KDB_POLICY_NAME_MAX, &vlen);
    if (v != NULL) {
        memcpy(out->policy, v, vlen);
        out->policy[vlen] = '\0';
        if (memchr(v, '\0', vlen) != NULL) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED);
        }
    }
    out->nkeys = krb_rd_u8(&r);
    if (out->nkeys > KDB_MAX_KEYS) {
        krb_rd_fail(&r, KRB_ERR_TOO_BIG);
    }
    for (unsigned i = 0; r.err == KRB_OK && i < out->nkeys; i++) {
        struct kdb_key *k = &out->keys[i];
        k->kvno = krb_rd_u32(&r);
        k->suite = krb_rd_u16(&r);
        k->has_salt = (uint8_t)krb_rd_bool(&r);
        if (k->has_salt) {
            v = krb_rd_bytes(&r, sizeof k->salt);
            if (v != NULL) {
                memcpy(k->salt, v, sizeof k->salt);
            }
            k->ops = krb_rd_u32(&r);
            k->memkib = krb_rd_u32(&r);
        }
        v = krb_rd_vec8(&r, KRB_KEY_BYTES, KDB_SEALED_KEY_MAX, &vlen);
        if (v != NULL) {
            memcpy(k->sealed, v, vlen);
            k->sealed_len = (uint16_t)vlen;
        }
    }
    if ((rc = krb_rd_end(&r)) == KRB_OK) {
        rc = principal_check(out);
    }
    if (rc != KRB_OK) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}

static krb_err policy_check(const struct kdb_policy *p)
{
    if (strnlen(p->name, sizeof p->name) > KDB_POLICY_NAME_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    if (!kdb_policy_name_ok(p->name)) {
        return KRB_ERR_MALFORMED;
    }
    if (p->min_classes > 4 || p->history > KDB_MAX_KEYS || p->min_length > 1024) {
        return KRB_ERR_MALFORMED;
    }
    if (!time_ok(p->lockout_duration) || !time_ok(p->failure_window)) {
        return KRB_ERR_MALFORMED;
    }
    return KRB_OK;
}

krb_err kdb_policy_encode(const struct kdb_policy *p, uint8_t *buf, size_t cap, size_t *len)
{
    struct krb_wr w;
    krb_err rc;

    *len = 0;
    if ((rc = policy_check(p)) != KRB_OK) {
        return rc;
    }
    krb_wr_init(&w, buf, cap);
    krb_wr_u8(&w, KDB_POLICY_VERSION);
    krb_wr_str8(&w, p->name);
    krb_wr_u32(&w, p->min_length);
    krb_wr_u32(&w, p->min_classes);
    krb_wr_u32(&w, p->history);
    krb_wr_u32(&w, p->max_failures);
    krb_wr_u64(&w, (uint64_t)p->lockout_duration);
    krb_wr_u64(&w, (uint64_t)p->failure_window);
    if (w.err != KRB_OK) {
        return w.err;
    }
    *len = w.len;
    return KRB_OK;
}

krb_err kdb_policy_decode(const uint8_t *in, size_t n, struct kdb_policy *out)
{
    struct krb_rd r;
    const uint8_t *v;
    size_t vlen;
    uint8_t ver;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (n > KDB_POLICY_RECORD_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, in, n);
    ver = krb_rd_u8(&r);
    if (r.err == KRB_OK && ver != KDB_POLICY_VERSION) {
        return KRB_ERR_DB_VERSION;
    }
    v = krb_rd_vec8(&r, 1, KDB_POLICY_NAME_MAX, &vlen);
    if (v != NULL) {
        memcpy(out->name, v, vlen);
        out->name[vlen] = '\0';
        if (memchr(v, '\0', vlen) != NULL) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED);
        }
    }
    out->min_length = krb_rd_u32(&r);
    out->min_classes = krb_rd_u32(&r);
    out->history = krb_rd_u32(&r);
    out->max_failures = krb_rd_u32(&r);
    out->lockout_duration = krb_rd_time(&r);
    out->failure_window = krb_rd_time(&r);
    if ((rc = krb_rd_end(&r)) == KRB_OK) {
        rc = policy_check(out);
    }
    if (rc != KRB_OK) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}
