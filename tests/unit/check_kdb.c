/* check_kdb.c — the principal store: create/open, master key, records,
 * keys, policies, lockout, concurrency, crash safety, dump/load, map full. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "context.h"
#include "kdb.h"
#include "kdb_int.h"

static char tmpdir[256];
static char dbdir[300], stash[300], cfgpath[300];
static krb_context *ctx;

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_kdb.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(dbdir, sizeof dbdir, "%s/db", tmpdir);
    snprintf(stash, sizeof stash, "%s/stash", tmpdir);
    snprintf(cfgpath, sizeof cfgpath, "%s/tessera.conf", tmpdir);
    FILE *f = fopen(cfgpath, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[libdefaults]\ndefault_realm = EXAMPLE.ORG\n", f);
    fclose(f);
    ck_assert_int_eq(krb_context_new(cfgpath, &ctx), KRB_OK);
}

static void teardown(void)
{
    krb_context_free(ctx);
    ctx = NULL;
    rm_rf(tmpdir);
}

static struct kdb *mkdb(void)
{
    struct kdb *db;
    ck_assert_msg(kdb_create(ctx, dbdir, stash, "EXAMPLE.ORG", 0, &db) == KRB_OK, "%s", krb_context_error(ctx));
    ck_assert_int_eq(kdb_set_pwhash_params(ctx, db, 1, 8192), KRB_OK);
    return db;
}

static void mkprinc(struct kdb *db, const char *name, const char *pw)
{
    struct kdb_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.flags = KDB_F_REQUIRES_PREAUTH;
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, pw, 0), KRB_OK);
    ck_assert_msg(kdb_put(ctx, db, &p, 1) == KRB_OK, "%s", krb_context_error(ctx));
}

START_TEST(test_create_open)
{
    struct kdb *db = mkdb();
    struct stat st;
    uint32_t ops, mem;

    ck_assert_str_eq(kdb_realm(db), "EXAMPLE.ORG");
    kdb_close(db);
    ck_assert_int_eq(stat(stash, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_OK);
    kdb_pwhash_params(db, &ops, &mem);
    ck_assert_uint_eq(ops, 1);
    ck_assert_uint_eq(mem, 8192);
    kdb_close(db);
    /* a second create in the same directory is refused */
    ck_assert_int_eq(kdb_create(ctx, dbdir, stash, "EXAMPLE.ORG", 0, &db), KRB_ERR_EXISTS);
    /* read-only open refuses writes */
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDONLY, 0, &db), KRB_OK);
    {
        struct kdb_principal p;
        memset(&p, 0, sizeof p);
        snprintf(p.name, sizeof p.name, "x@EXAMPLE.ORG");
        ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_ERR_PERMISSION);
    }
    kdb_close(db);
    /* no database at all */
    char other[400];
    snprintf(other, sizeof other, "%s/nothing", tmpdir);
    ck_assert_int_eq(mkdir(other, 0700), 0);
    ck_assert_int_eq(kdb_open(ctx, other, stash, KDB_RDWR, 0, &db), KRB_ERR_DB);
    /* bad realm */
    snprintf(other, sizeof other, "%s/db2", tmpdir);
    ck_assert_int_eq(kdb_create(ctx, other, stash, "BAD@REALM", 0, &db), KRB_ERR_BAD_NAME);
}
END_TEST

START_TEST(test_wrong_stash)
{
    struct kdb *db = mkdb();
    char dir2[400], stash2[400];

    kdb_close(db);
    snprintf(dir2, sizeof dir2, "%s/db2", tmpdir);
    snprintf(stash2, sizeof stash2, "%s/stash2", tmpdir);
    ck_assert_int_eq(kdb_create(ctx, dir2, stash2, "EXAMPLE.ORG", 0, &db), KRB_OK);
    kdb_close(db);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash2, KDB_RDWR, 0, &db), KRB_ERR_MKEY);
    ck_assert(strstr(krb_context_error(ctx), "does not match") != NULL);
    snprintf(stash2, sizeof stash2, "%s/missing", tmpdir);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash2, KDB_RDWR, 0, &db), KRB_ERR_MKEY);
    ck_assert(strstr(krb_context_error(ctx), "missing") != NULL);
    /* corrupt stash (wrong size) */
    FILE *f = fopen(stash2, "w");
    ck_assert_ptr_nonnull(f);
    fputs("short", f);
    fclose(f);
    ck_assert_int_eq(chmod(stash2, 0600), 0);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash2, KDB_RDWR, 0, &db), KRB_ERR_MKEY);
    /* a symlinked stash is refused */
    snprintf(dir2, sizeof dir2, "%s/link", tmpdir);
    ck_assert_int_eq(symlink(stash, dir2), 0);
    ck_assert_int_eq(kdb_open(ctx, dbdir, dir2, KDB_RDWR, 0, &db), KRB_ERR_PERMISSION);
}
END_TEST

START_TEST(test_stash_permissions)
{
    struct kdb *db = mkdb();

    kdb_close(db);
    ck_assert_int_eq(chmod(stash, 0640), 0);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_ERR_PERMISSION);
    ck_assert(strstr(krb_context_error(ctx), "chmod 600") != NULL);
    ck_assert_int_eq(chmod(stash, 0604), 0);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_ERR_PERMISSION);
    ck_assert_int_eq(chmod(stash, 0600), 0);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_OK);
    kdb_close(db);
}
END_TEST

static int count_cb(const struct kdb_principal *p, void *arg)
{
    (void)p;
    (*(int *)arg)++;
    return 0;
}

struct names {
    char list[16][KRB_NAME_MAX + 1];
    int n;
};

static int names_cb(const struct kdb_principal *p, void *arg)
{
    struct names *ns = arg;
    if (ns->n < 16) {
        snprintf(ns->list[ns->n++], KRB_NAME_MAX + 1, "%s", p->name);
    }
    return 0;
}

START_TEST(test_crud_iterate)
{
    struct kdb *db = mkdb();
    struct kdb_principal p;
    struct names ns;
    int n = 0;

    mkprinc(db, "alice@EXAMPLE.ORG", NULL);
    mkprinc(db, "bob@EXAMPLE.ORG", NULL);
    mkprinc(db, "host/web1@EXAMPLE.ORG", NULL);
    mkprinc(db, "host/web2@EXAMPLE.ORG", NULL);
    mkprinc(db, "http/web1@EXAMPLE.ORG", NULL);

    ck_assert_int_eq(kdb_get(ctx, db, "alice@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_str_eq(p.name, "alice@EXAMPLE.ORG");
    ck_assert_uint_eq(p.nkeys, 1);
    ck_assert_uint_eq(p.keys[0].kvno, 1);
    ck_assert_int_eq(kdb_get(ctx, db, "carol@EXAMPLE.ORG", &p), KRB_ERR_UNKNOWN_PRINCIPAL);
    ck_assert_int_eq(kdb_get(ctx, db, "", &p), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(kdb_get(ctx, db, "no-realm", &p), KRB_ERR_BAD_NAME);

    /* create=1 on an existing name; create=0 replaces */
    ck_assert_int_eq(kdb_get(ctx, db, "bob@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_ERR_EXISTS);
    p.max_life = 3600000000;
    ck_assert_int_eq(kdb_put(ctx, db, &p, 0), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, "bob@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert(p.max_life == 3600000000);

    ck_assert_int_eq(kdb_iterate(ctx, db, NULL, count_cb, &n), KRB_OK);
    ck_assert_int_eq(n, 5);
    memset(&ns, 0, sizeof ns);
    ck_assert_int_eq(kdb_iterate(ctx, db, "host/*", names_cb, &ns), KRB_OK);
    ck_assert_int_eq(ns.n, 2);
    ck_assert_str_eq(ns.list[0], "host/web1@EXAMPLE.ORG");
    ck_assert_str_eq(ns.list[1], "host/web2@EXAMPLE.ORG");
    memset(&ns, 0, sizeof ns);
    ck_assert_int_eq(kdb_iterate(ctx, db, "*/web1@*", names_cb, &ns), KRB_OK);
    ck_assert_int_eq(ns.n, 2);
    ck_assert_str_eq(ns.list[0], "host/web1@EXAMPLE.ORG");
    ck_assert_str_eq(ns.list[1], "http/web1@EXAMPLE.ORG");

    ck_assert_int_eq(kdb_delete(ctx, db, "bob@EXAMPLE.ORG"), KRB_OK);
    ck_assert_int_eq(kdb_delete(ctx, db, "bob@EXAMPLE.ORG"), KRB_ERR_UNKNOWN_PRINCIPAL);
    ck_assert_int_eq(kdb_get(ctx, db, "bob@EXAMPLE.ORG", &p), KRB_ERR_UNKNOWN_PRINCIPAL);
    uint64_t np, npol;
    ck_assert_int_eq(kdb_count(ctx, db, &np, &npol), KRB_OK);
    ck_assert_uint_eq(np, 4);
    ck_assert_uint_eq(npol, 0);
    kdb_close(db);
}
END_TEST

START_TEST(test_keys)
{
    struct kdb *db = mkdb();
    struct kdb_principal p;
    struct krb_key k1, k1b, k2, pw;
    uint32_t kvno;

    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "svc/host@EXAMPLE.ORG");
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, "correct horse", 0), KRB_OK);
    ck_assert_uint_eq(p.keys[0].has_salt, 1);
    ck_assert_uint_eq(p.keys[0].ops, 1);
    ck_assert_uint_eq(p.keys[0].memkib, 8192);
    ck_assert_int_eq(kdb_key_get(ctx, db, &p, 0, &k1, &kvno), KRB_OK);
    ck_assert_uint_eq(kvno, 1);
    /* the stored key is the Argon2id key of the password with the salt */
    ck_assert_int_eq(krb_password_key(&pw, KRB_SUITE_XCHACHA20POLY1305, "correct horse", p.keys[0].salt, 1, 8192),
                     KRB_OK);
    ck_assert(memcmp(pw.k, k1.k, KRB_KEY_BYTES) == 0);

    ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 2), KRB_OK);
    ck_assert_uint_eq(p.nkeys, 2);
    ck_assert_uint_eq(p.keys[0].kvno, 2);
    ck_assert_uint_eq(p.keys[0].has_salt, 0);
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, "svc/host@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_int_eq(kdb_key_get(ctx, db, &p, 1, &k1b, &kvno), KRB_OK); /* older kvno still unseals */
    ck_assert_uint_eq(kvno, 1);
    ck_assert(memcmp(k1.k, k1b.k, KRB_KEY_BYTES) == 0);
    ck_assert_int_eq(kdb_key_get(ctx, db, &p, 0, &k2, &kvno), KRB_OK);
    ck_assert_uint_eq(kvno, 2);
    ck_assert(memcmp(k1.k, k2.k, KRB_KEY_BYTES) != 0);
    ck_assert_int_eq(kdb_key_get(ctx, db, &p, 7, &k2, &kvno), KRB_ERR_BADKEYVER);

    /* keep bounds the history; never more than KDB_MAX_KEYS */
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 100), KRB_OK);
    }
    ck_assert_uint_eq(p.nkeys, KDB_MAX_KEYS);
    ck_assert_uint_eq(p.keys[0].kvno, 14);
    ck_assert_uint_eq(p.keys[KDB_MAX_KEYS - 1].kvno, 7);
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 0), KRB_OK);
    ck_assert_uint_eq(p.nkeys, 1);
    ck_assert_uint_eq(p.keys[0].kvno, 15);
    krb_key_wipe(&k1);
    krb_key_wipe(&k1b);
    krb_key_wipe(&k2);
    krb_key_wipe(&pw);
    kdb_close(db);
}
END_TEST

START_TEST(test_tampered_key)
{
    struct kdb *db = mkdb();
    struct kdb_principal p;
    struct krb_key k;
    uint32_t kvno;

    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "a@EXAMPLE.ORG");
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 0), KRB_OK);
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 1), KRB_OK);
    struct kdb_principal t = p;
    t.keys[0].sealed[30] ^= 1;
    ck_assert_int_eq(kdb_key_get(ctx, db, &t, 0, &k, &kvno), KRB_ERR_MODIFIED);
    /* a sealed key moved to another kvno or another name does not open */
    t = p;
    memcpy(t.keys[1].sealed, p.keys[0].sealed, sizeof t.keys[1].sealed);
    ck_assert_int_eq(kdb_key_get(ctx, db, &t, 1, &k, &kvno), KRB_ERR_MODIFIED);
    t = p;
    snprintf(t.name, sizeof t.name, "b@EXAMPLE.ORG");
    ck_assert_int_eq(kdb_key_get(ctx, db, &t, 0, &k, &kvno), KRB_ERR_MODIFIED);
    ck_assert_int_eq(kdb_key_get(ctx, db, &p, 0, &k, &kvno), KRB_OK);
    krb_key_wipe(&k);
    kdb_close(db);
}
END_TEST

/* A valid record for "a@R": no policy, one random key (88 bytes). */
static size_t base_record(uint8_t *buf, size_t cap)
{
    struct kdb_principal p;
    size_t len;

    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "a@R");
    p.nkeys = 1;
    p.keys[0].kvno = 1;
    p.keys[0].suite = KRB_SUITE_XCHACHA20POLY1305;
    p.keys[0].sealed_len = KRB_KEY_BYTES + 40;
    ck_assert_int_eq(kdb_record_encode(&p, buf, cap, &len), KRB_OK);
    return len;
}

START_TEST(test_record_malformed)
{
    static const struct {
        const char *what;
        int off;      /* byte to change, -1: none */
        uint8_t val;
        int truncate; /* bytes to cut from the end, -1: append one */
        krb_err want;
    } rows[] = {
        { "valid", -1, 0, 0, KRB_OK },
        { "record version 3", 0, 3, 0, KRB_ERR_DB_VERSION },
        { "record version 0", 0, 0, 0, KRB_ERR_DB_VERSION },
        { "trailing byte", -1, 0, -1, KRB_ERR_TRAILING },
        { "truncated key", -1, 0, 1, KRB_ERR_MALFORMED },
        { "truncated header", -1, 0, 85, KRB_ERR_MALFORMED },
        { "unknown flag", 1, 0x80, 0, KRB_ERR_MALFORMED },
        { "present field missing", 5, 0xff, 0, KRB_ERR_MALFORMED },
        { "policy length overruns", 6, 64, 0, KRB_ERR_TOO_BIG },
        { "nkeys 9", 7, 9, 0, KRB_ERR_TOO_BIG },
        { "nkeys 2 (missing key)", 7, 2, 0, KRB_ERR_MALFORMED },
        { "kvno 0", 11, 0, 0, KRB_ERR_MALFORMED },
        { "unknown suite", 13, 9, 0, KRB_ERR_ETYPE_NOSUPP },
        { "has_salt 2", 14, 2, 0, KRB_ERR_MALFORMED },
        { "has_salt 1 without salt", 14, 1, 0, KRB_ERR_MALFORMED },
        { "sealed length short", 15, 71, 1, KRB_ERR_MALFORMED },
        { "sealed length short, byte left", 15, 71, 0, KRB_ERR_TRAILING },
        { "sealed length over max", 15, 73, 0, KRB_ERR_TOO_BIG },
        { "sealed length too small", 15, 16, 0, KRB_ERR_MALFORMED },
    };
    static const struct {
        const char *name;
        krb_err want;
    } names[] = {
        { "", KRB_ERR_BAD_NAME },
        { "a\001@R", KRB_ERR_BAD_NAME },
        { "ax", KRB_ERR_BAD_NAME }, /* no realm */
        { "a@R@S", KRB_ERR_BAD_NAME },
    };
    uint8_t base[KDB_RECORD_MAX], buf[KDB_RECORD_MAX + 8];
    struct kdb_principal p;
    size_t n = base_record(base, sizeof base);

    ck_assert_uint_eq(n, 88);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = n;
        memcpy(buf, base, n);
        if (rows[i].off >= 0) {
            buf[rows[i].off] = rows[i].val;
        }
        if (rows[i].truncate > 0) {
            len -= (size_t)rows[i].truncate;
        } else if (rows[i].truncate < 0) {
            buf[len++] = 0;
        }
        krb_err got = kdb_record_decode("a@R", 3, buf, len, &p);
        ck_assert_msg(got == rows[i].want, "%s: got %s want %s", rows[i].what, krb_err_name(got),
                      krb_err_name(rows[i].want));
    }
    /* the name comes from the key, and is checked like one on the wire */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        krb_err got = kdb_record_decode(names[i].name, strlen(names[i].name), base, n, &p);
        ck_assert_msg(got == names[i].want, "name \"%s\": got %s", names[i].name, krb_err_name(got));
    }
    memset(buf, 'a', sizeof buf);
    ck_assert_int_eq(kdb_record_decode(buf, KRB_NAME_MAX + 1, base, n, &p), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(kdb_record_decode("a@R\0b", 5, base, n, &p), KRB_ERR_BAD_NAME); /* NUL inside the key */
    /* oversize input is refused before parsing */
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, KDB_RECORD_MAX + 1, &p), KRB_ERR_TOO_BIG);
    /* kvnos must be strictly decreasing */
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "a@R");
    p.nkeys = 2;
    for (int i = 0; i < 2; i++) {
        p.keys[i].kvno = 1;
        p.keys[i].suite = KRB_SUITE_XCHACHA20POLY1305;
        p.keys[i].sealed_len = KRB_KEY_BYTES + 40;
    }
    ck_assert_int_eq(kdb_record_encode(&p, buf, sizeof buf, &n), KRB_ERR_MALFORMED);
    /* round trip of a full record */
    p.keys[0].kvno = 2;
    p.keys[0].has_salt = 1;
    p.keys[0].ops = 2;
    p.keys[0].memkib = 65536;
    snprintf(p.policy, sizeof p.policy, "default");
    p.flags = KDB_F_LOCKED | KDB_F_REQUIRES_PREAUTH;
    p.last_success = 12345;
    ck_assert_int_eq(kdb_record_encode(&p, buf, sizeof buf, &n), KRB_OK);
    struct kdb_principal q;
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, n, &q), KRB_OK);
    ck_assert(memcmp(&p, &q, sizeof p) == 0);
}
END_TEST

/* The optional fields of a version 2 record: present means not zero, and
 * times stay within int64. */
START_TEST(test_record_fields)
{
    struct kdb_principal p, q;
    uint8_t buf[KDB_RECORD_MAX];
    size_t n;

    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "a@R");
    p.mod_time = 0x0102030405060708LL;
    ck_assert_int_eq(kdb_record_encode(&p, buf, sizeof buf, &n), KRB_OK);
    ck_assert_uint_eq(n, 5 + 1 + 8 + 2); /* version, flags, presence byte, mod_time, policy, nkeys */
    ck_assert_uint_eq(buf[5], 0x80);
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, n, &q), KRB_OK);
    ck_assert(memcmp(&p, &q, sizeof p) == 0);
    buf[6] = 0x80; /* mod_time over INT64_MAX */
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, n, &q), KRB_ERR_MALFORMED);
    memset(buf + 6, 0, 8); /* present but zero: a second encoding of "absent" */
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, n, &q), KRB_ERR_MALFORMED);
    /* every field present round-trips */
    p.max_life = 1;
    p.max_renew = 2;
    p.expire = 3;
    p.pw_expire = 4;
    p.fail_count = 5;
    p.last_failed = 6;
    p.last_success = 7;
    ck_assert_int_eq(kdb_record_encode(&p, buf, sizeof buf, &n), KRB_OK);
    ck_assert_uint_eq(n, 5 + 1 + 7 * 8 + 4 + 2);
    ck_assert_int_eq(kdb_record_decode("a@R", 3, buf, n, &q), KRB_OK);
    ck_assert(memcmp(&p, &q, sizeof p) == 0);
}
END_TEST

/* Version 1 records (the name repeated, all eight fields always present)
 * are still read, and written back as version 2. */
START_TEST(test_record_v1)
{
    static const uint8_t name[] = { 3, 'a', '@', 'R' };
    uint8_t v2[KDB_RECORD_MAX], v1[KDB_RECORD_MAX], again[KDB_RECORD_MAX];
    struct kdb_principal p;
    size_t n = base_record(v2, sizeof v2), m = 0, k;

    v1[m++] = 1;
    memcpy(v1 + m, name, sizeof name);
    m += sizeof name;
    memcpy(v1 + m, v2 + 1, 4); /* flags */
    m += 4;
    memset(v1 + m, 0, 44); /* max_life .. pw_expire, fail_count, last_failed */
    v1[m + 4 * 8 + 3] = 3; /* fail_count 3 */
    m += 44;
    for (int i = 0; i < 16; i++) {
        v1[m + i] = (uint8_t)(i == 15 ? 9 : 0); /* last_success 0, mod_time 9 */
    }
    m += 16;
    memcpy(v1 + m, v2 + 6, n - 6); /* policy, keys */
    m += n - 6;
    ck_assert_uint_eq(m, 151); /* the size of this record before version 2 */
    ck_assert_int_eq(kdb_record_decode("a@R", 3, v1, m, &p), KRB_OK);
    ck_assert_str_eq(p.name, "a@R");
    ck_assert_uint_eq(p.fail_count, 3);
    ck_assert_int_eq(p.mod_time, 9);
    ck_assert_int_eq(p.last_success, 0);
    ck_assert_uint_eq(p.nkeys, 1);
    ck_assert_int_eq(kdb_record_encode(&p, again, sizeof again, &k), KRB_OK);
    ck_assert_uint_eq(again[0], 2);
    ck_assert_uint_eq(k, n + 4 + 8); /* fail_count and mod_time now present */
    /* the repeated name must be the key */
    ck_assert_int_eq(kdb_record_decode("b@R", 3, v1, m, &p), KRB_ERR_MALFORMED);
    /* version 1 has no presence byte: a cut field is a short record */
    ck_assert_int_eq(kdb_record_decode("a@R", 3, v1, 40, &p), KRB_ERR_MALFORMED);
    ck_assert_int_eq(kdb_record_decode("a@R", 3, v1, m + 1, &p), KRB_ERR_TRAILING);
}
END_TEST

START_TEST(test_policies)
{
    struct kdb *db = mkdb();
    struct kdb_policy pol, got;
    struct kdb_principal p;
    int n = 0;

    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "users");
    pol.min_length = 8;
    pol.min_classes = 3;
    pol.history = 2;
    pol.max_failures = 3;
    pol.lockout_duration = 60 * 1000000LL;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_OK);
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_ERR_EXISTS);
    ck_assert_int_eq(kdb_policy_get(ctx, db, "users", &got), KRB_OK);
    ck_assert(memcmp(&pol, &got, sizeof pol) == 0);
    ck_assert_int_eq(kdb_policy_get(ctx, db, "nobody", &got), KRB_ERR_POLICY_UNKNOWN);
    ck_assert_int_eq(kdb_policy_get(ctx, db, "bad name", &got), KRB_ERR_POLICY_UNKNOWN);
    snprintf(pol.name, sizeof pol.name, "bad name");
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_ERR_INVALID_ARG);
    snprintf(pol.name, sizeof pol.name, "svc");
    pol.min_classes = 5;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_ERR_INVALID_ARG);
    pol.min_classes = 0;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_OK);
    ck_assert_int_eq(kdb_policy_iterate(ctx, db, (int (*)(const struct kdb_policy *, void *))count_cb, &n), KRB_OK);
    ck_assert_int_eq(n, 2);

    /* a principal can only name an existing policy */
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "alice@EXAMPLE.ORG");
    snprintf(p.policy, sizeof p.policy, "nobody");
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_ERR_POLICY_UNKNOWN);
    snprintf(p.policy, sizeof p.policy, "users");
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_OK);
    /* a policy in use cannot be deleted */
    ck_assert_int_eq(kdb_policy_delete(ctx, db, "users"), KRB_ERR_INVALID_ARG);
    ck_assert_int_eq(kdb_policy_delete(ctx, db, "svc"), KRB_OK);
    ck_assert_int_eq(kdb_policy_delete(ctx, db, "svc"), KRB_ERR_POLICY_UNKNOWN);
    kdb_close(db);
}
END_TEST

START_TEST(test_password_check)
{
    static const struct {
        const char *pw;
        krb_err want;
    } rows[] = {
        { "", KRB_ERR_PASSWORD_WEAK },        { "short1A", KRB_ERR_PASSWORD_WEAK },
        { "alllowercase", KRB_ERR_PASSWORD_WEAK }, { "lower123only", KRB_ERR_PASSWORD_WEAK },
        { "Lower123ok", KRB_OK },             { "with space1x", KRB_OK },
        { "\xc3\xa9" "t" "\xc3\xa9\xc3\xa9" "t" "\xc3\xa9" "A1", KRB_OK }, /* 8 code points, 3 classes */
        { "\xc3\xa9" "t" "\xc3\xa9" "A1", KRB_ERR_PASSWORD_WEAK },   /* 5 code points, 10 bytes */
    };
    struct kdb_policy pol;

    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "p");
    pol.min_length = 8;
    pol.min_classes = 3;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        krb_err got = kdb_password_check(ctx, &pol, rows[i].pw);
        ck_assert_msg(got == rows[i].want, "row %zu: %s", i, krb_err_name(got));
    }
    ck_assert_int_eq(kdb_password_check(ctx, NULL, "x"), KRB_OK);
    ck_assert_int_eq(kdb_password_check(ctx, NULL, ""), KRB_ERR_PASSWORD_WEAK);
    ck_assert_int_eq(kdb_password_check(ctx, &pol, "short"), KRB_ERR_PASSWORD_WEAK);
    ck_assert(strstr(krb_context_error(ctx), "at least 8") != NULL);
}
END_TEST

START_TEST(test_lockout)
{
    struct kdb *db = mkdb();
    struct kdb_policy pol;
    struct kdb_principal p;
    const krb_time s = 1000000, t0 = 1700000000LL * s;

    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "lock");
    pol.max_failures = 3;
    pol.lockout_duration = 60 * s;
    pol.failure_window = 600 * s;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_OK);
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "alice@EXAMPLE.ORG");
    snprintf(p.policy, sizeof p.policy, "lock");
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_OK);

    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 0, t0 + i * s, 0), KRB_OK);
    }
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 2);
    ck_assert_int_eq(kdb_is_locked(ctx, db, &p, t0 + 2 * s), 0);
    ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 0, t0 + 2 * s, 0), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 3);
    ck_assert(p.last_failed == t0 + 2 * s);
    ck_assert_int_eq(kdb_is_locked(ctx, db, &p, t0 + 3 * s), 1);
    ck_assert_int_eq(kdb_is_locked(ctx, db, &p, t0 + 61 * s), 1);
    ck_assert_int_eq(kdb_is_locked(ctx, db, &p, t0 + 63 * s), 0);
    /* a failure after the lockout ran out counts afresh */
    ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 0, t0 + 100 * s, 0), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 1);
    /* failures older than the window are forgotten */
    ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 0, t0 + 1000 * s, 0), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 1);
    /* success resets and records last_success */
    ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 1, t0 + 1001 * s, 60 * s), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 0);
    ck_assert(p.last_success == t0 + 1001 * s);
    /* a success within min_interval writes nothing */
    ck_assert_int_eq(kdb_record_auth(ctx, db, p.name, 1, t0 + 1010 * s, 60 * s), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, p.name, &p), KRB_OK);
    ck_assert(p.last_success == t0 + 1001 * s);
    /* the admin lock flag wins */
    p.flags |= KDB_F_LOCKED;
    ck_assert_int_eq(kdb_is_locked(ctx, db, &p, t0), 1);
    ck_assert_int_eq(kdb_record_auth(ctx, db, "nobody@EXAMPLE.ORG", 0, t0, 0), KRB_ERR_UNKNOWN_PRINCIPAL);
    kdb_close(db);
}
END_TEST

struct reader_arg {
    struct kdb *db;
    int errors;
    int reads;
    volatile int *stop;
};

static void *reader(void *argp)
{
    struct reader_arg *a = argp;
    krb_context *c;
    struct kdb_principal p;

    if (krb_context_new(cfgpath, &c) != KRB_OK) {
        a->errors++;
        return NULL;
    }
    while (!*a->stop) {
        if (kdb_get(c, a->db, "alice@EXAMPLE.ORG", &p) != KRB_OK || p.nkeys != 1) {
            a->errors++;
        }
        a->reads++;
    }
    krb_context_free(c);
    return NULL;
}

START_TEST(test_concurrent_readers)
{
    struct kdb *db = mkdb();
    pthread_t th[3];
    struct reader_arg args[3];
    volatile int stop = 0;
    char name[64];

    mkprinc(db, "alice@EXAMPLE.ORG", NULL);
    for (int i = 0; i < 3; i++) {
        args[i] = (struct reader_arg){ db, 0, 0, &stop };
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    }
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "user%03d@EXAMPLE.ORG", i);
        mkprinc(db, name, NULL);
        if (i % 20 == 0) {
            ck_assert_int_eq(kdb_record_auth(ctx, db, "alice@EXAMPLE.ORG", 0, i, 0), KRB_OK);
        }
    }
    stop = 1;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(args[i].errors, 0);
        ck_assert_int_gt(args[i].reads, 0);
    }
    kdb_close(db);
}
END_TEST

START_TEST(test_sigkill_during_writes)
{
    struct kdb *db = mkdb();
    int fds[2];
    pid_t pid;
    char name[64];
    int committed = 0, n;

    kdb_close(db);
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        krb_context *c;
        struct kdb *cdb;
        close(fds[0]);
        if (krb_context_new(cfgpath, &c) != KRB_OK || kdb_open(c, dbdir, stash, KDB_RDWR, 0, &cdb) != KRB_OK) {
            _exit(3);
        }
        for (int i = 0;; i++) {
            struct kdb_principal p;
            memset(&p, 0, sizeof p);
            snprintf(p.name, sizeof p.name, "crash%06d@EXAMPLE.ORG", i);
            if (kdb_key_add(c, cdb, &p, NULL, 0) != KRB_OK || kdb_put(c, cdb, &p, 1) != KRB_OK) {
                _exit(4);
            }
            /* report only after the commit returned */
            if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i) {
                _exit(5);
            }
        }
    }
    close(fds[1]);
    while (committed < 300 && read(fds[0], &n, sizeof n) == (ssize_t)sizeof n) {
        committed = n + 1;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n) {
        committed = n + 1;
    }
    close(fds[0]);
    ck_assert_msg(committed >= 300, "child stopped after %d commits", committed);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_OK);
    for (int i = 0; i < committed; i++) {
        struct kdb_principal p;
        struct krb_key k;
        snprintf(name, sizeof name, "crash%06d@EXAMPLE.ORG", i);
        ck_assert_msg(kdb_get(ctx, db, name, &p) == KRB_OK, "%s lost", name);
        ck_assert_int_eq(kdb_key_get(ctx, db, &p, 0, &k, NULL), KRB_OK);
        krb_key_wipe(&k);
    }
    /* and it still takes writes (the killed writer's lock is gone) */
    kdb_set_lock_timeout(db, 2000000);
    mkprinc(db, "after@EXAMPLE.ORG", NULL);
    kdb_close(db);
}
END_TEST

START_TEST(test_writer_locked)
{
    struct kdb *db = mkdb();
    int to_child[2], to_parent[2];
    char byte = 0;
    pid_t pid;

    kdb_close(db);
    ck_assert_int_eq(pipe(to_child), 0);
    ck_assert_int_eq(pipe(to_parent), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        krb_context *c;
        struct kdb *cdb;
        struct kdb_loader *l;
        if (krb_context_new(cfgpath, &c) != KRB_OK || kdb_open(c, dbdir, stash, KDB_RDWR, 0, &cdb) != KRB_OK ||
            kdb_load_begin(c, cdb, KDB_LOAD_UPDATE, &l) != KRB_OK) {
            _exit(3);
        }
        if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &byte, 1) != 1) {
            _exit(4);
        }
        _exit(kdb_load_end(c, l, 0) == KRB_OK ? 0 : 5);
    }
    close(to_parent[1]);
    close(to_child[0]);
    ck_assert_int_eq(read(to_parent[0], &byte, 1), 1);
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 0, &db), KRB_OK);
    kdb_set_lock_timeout(db, 100000);
    struct kdb_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "x@EXAMPLE.ORG");
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_ERR_DB_LOCKED);
    ck_assert(strstr(krb_context_error(ctx), "locked by another writer") != NULL);
    /* readers are not blocked by a writer */
    ck_assert_int_eq(kdb_get(ctx, db, "x@EXAMPLE.ORG", &p), KRB_ERR_UNKNOWN_PRINCIPAL);
    ck_assert_int_eq(write(to_child[1], "x", 1), 1);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(p.name, sizeof p.name, "x@EXAMPLE.ORG");
    ck_assert_int_eq(kdb_put(ctx, db, &p, 1), KRB_OK);
    kdb_close(db);
    close(to_child[1]);
    close(to_parent[0]);
}
END_TEST

static char *dump_to_string(struct kdb *db, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(kdb_dump(ctx, db, f) == KRB_OK, "%s", krb_context_error(ctx));
    fclose(f);
    return buf;
}

static krb_err load_string(struct kdb *db, const char *s, unsigned flags)
{
    FILE *f = fmemopen((void *)s, strlen(s), "r");
    krb_err rc;
    ck_assert_ptr_nonnull(f);
    rc = kdb_load_ex(ctx, db, f, "test.dump", flags);
    fclose(f);
    return rc;
}

START_TEST(test_dump_load)
{
    struct kdb *db = mkdb(), *db2;
    struct kdb_policy pol;
    struct kdb_principal p;
    char dir2[400];
    char *d1, *d2;
    size_t l1, l2;

    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "users");
    pol.min_length = 8;
    pol.history = 3;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_OK);
    mkprinc(db, "alice@EXAMPLE.ORG", "password one");
    mkprinc(db, "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG", NULL);
    mkprinc(db, "with space/x@EXAMPLE.ORG", NULL);
    ck_assert_int_eq(kdb_get(ctx, db, "alice@EXAMPLE.ORG", &p), KRB_OK);
    snprintf(p.policy, sizeof p.policy, "users");
    p.expire = 1800000000000000LL;
    p.fail_count = 2;
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 3), KRB_OK);
    ck_assert_int_eq(kdb_put(ctx, db, &p, 0), KRB_OK);
    d1 = dump_to_string(db, &l1);
    ck_assert(strncmp(d1, "tessera-dump 1\n", 15) == 0);

    /* a fresh realm with the same stash takes the dump */
    snprintf(dir2, sizeof dir2, "%s/db2", tmpdir);
    ck_assert_int_eq(kdb_create(ctx, dir2, stash, "EXAMPLE.ORG", 0, &db2), KRB_OK);
    ck_assert_msg(load_string(db2, d1, 0) == KRB_OK, "%s", krb_context_error(ctx));
    d2 = dump_to_string(db2, &l2);
    ck_assert_str_eq(d1, d2);
    ck_assert_int_eq(kdb_get(ctx, db2, "alice@EXAMPLE.ORG", &p), KRB_OK);
    struct krb_key k;
    ck_assert_int_eq(kdb_key_get(ctx, db2, &p, 1, &k, NULL), KRB_OK);
    krb_key_wipe(&k);
    /* not into a non-empty database, unless merging */
    ck_assert_int_eq(load_string(db2, d1, 0), KRB_ERR_EXISTS);
    ck_assert_int_eq(load_string(db2, d1, KDB_LOAD_UPDATE), KRB_OK);
    kdb_close(db2);
    free(d2);

    /* malformed dumps: nothing is loaded, the detail names file:line */
    static const struct {
        const char *from, *to;
        const char *where;
        krb_err want;
    } rows[] = {
        { "tessera-dump 1", "tessera-dump 2", "test.dump:1:", KRB_ERR_MALFORMED },
        { "realm\tEXAMPLE.ORG", "realm\tOTHER.ORG", "test.dump:2:", KRB_ERR_WRONG_REALM },
        { "mkey-check\t", "mkey-check\t00", "test.dump:3:", KRB_ERR_MALFORMED },
        { "pwhash\t1\t8192", "pwhash\t0\t8192", "test.dump:4:", KRB_ERR_MALFORMED },
        { "policy\tusers\t8", "policy\tusers\t08", "test.dump:5:", KRB_ERR_MALFORMED },
        { "princ\talice@EXAMPLE.ORG\t1", "princ\talice@EXAMPLE.ORG\t80000", "test.dump:", KRB_ERR_MALFORMED },
        { "\tusers\t2\t", "\tnopol\t2\t", "names policy nopol", KRB_ERR_MALFORMED },
        { "end\t4", "end\t5", "end line", KRB_ERR_MALFORMED },
        { "end\t4\n", "end\t4\nprinc\n", "after the end", KRB_ERR_MALFORMED },
        { "end\t4\n", "", "without its end", KRB_ERR_MALFORMED },
        { "end\t4\n", "end\t4", "not terminated", KRB_ERR_MALFORMED },
        { "\tusers\t8\t0\t3\t", "\tusers\t8\t0\t3\tx\t", "bad policy", KRB_ERR_MALFORMED },
        { ":1:", ":1:z", "bad key field", KRB_ERR_MALFORMED },
        { "princ\tkrbtgt", "bogus\tkrbtgt", "unknown line type", KRB_ERR_MALFORMED },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *bad = malloc(l1 + 64);
        const char *at = strstr(d1, rows[i].from);
        ck_assert_msg(at != NULL, "row %zu: pattern missing", i);
        size_t pre = (size_t)(at - d1);
        memcpy(bad, d1, pre);
        strcpy(bad + pre, rows[i].to);
        strcat(bad, at + strlen(rows[i].from));
        rm_rf(dir2);
        ck_assert_int_eq(kdb_create(ctx, dir2, stash, "EXAMPLE.ORG", 0, &db2), KRB_OK);
        krb_err got = load_string(db2, bad, 0);
        ck_assert_msg(got == rows[i].want, "row %zu: got %s (%s)", i, krb_err_name(got), krb_context_error(ctx));
        ck_assert_msg(strstr(krb_context_error(ctx), rows[i].where) != NULL, "row %zu: detail '%s'", i,
                      krb_context_error(ctx));
        uint64_t np, npol;
        ck_assert_int_eq(kdb_count(ctx, db2, &np, &npol), KRB_OK);
        ck_assert_uint_eq(np + npol, 0);
        kdb_close(db2);
        free(bad);
    }
    /* a dump made under another master key */
    char stash3[400];
    rm_rf(dir2);
    snprintf(stash3, sizeof stash3, "%s/stash3", tmpdir);
    ck_assert_int_eq(kdb_create(ctx, dir2, stash3, "EXAMPLE.ORG", 0, &db2), KRB_OK);
    ck_assert_int_eq(load_string(db2, d1, 0), KRB_ERR_MKEY);
    kdb_close(db2);
    free(d1);
    kdb_close(db);
}
END_TEST

START_TEST(test_map_full)
{
    struct kdb *db;
    struct kdb_principal p;
    char name[64];
    krb_err rc = KRB_OK;
    int i;

    ck_assert_int_eq(kdb_create(ctx, dbdir, stash, "EXAMPLE.ORG", 256 * 1024, &db), KRB_OK);
    for (i = 0; i < 100000; i++) {
        memset(&p, 0, sizeof p);
        snprintf(p.name, sizeof p.name, "user%06d@EXAMPLE.ORG", i);
        ck_assert_int_eq(kdb_key_add(ctx, db, &p, NULL, 0), KRB_OK);
        if ((rc = kdb_put(ctx, db, &p, 1)) != KRB_OK) {
            break;
        }
    }
    ck_assert_int_eq(rc, KRB_ERR_DB_FULL);
    ck_assert_int_gt(i, 10);
    ck_assert(strstr(krb_context_error(ctx), "map full: raise map_size in tessera.conf") != NULL);
    ck_assert_int_eq(kdb_get(ctx, db, "user000003@EXAMPLE.ORG", &p), KRB_OK);
    kdb_close(db);
    /* it reopens with a larger map and takes writes again */
    ck_assert_int_eq(kdb_open(ctx, dbdir, stash, KDB_RDWR, 4 * 1024 * 1024, &db), KRB_OK);
    snprintf(name, sizeof name, "user%06d@EXAMPLE.ORG", i);
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    ck_assert_msg(kdb_put(ctx, db, &p, 1) == KRB_OK, "%s", krb_context_error(ctx));
    ck_assert_int_eq(kdb_get(ctx, db, "user000000@EXAMPLE.ORG", &p), KRB_OK);
    kdb_close(db);
}
END_TEST

START_TEST(test_backup)
{
    struct kdb *db = mkdb(), *db2;
    struct kdb_principal p;
    char dir2[400];

    mkprinc(db, "alice@EXAMPLE.ORG", NULL);
    snprintf(dir2, sizeof dir2, "%s/backup", tmpdir);
    ck_assert_int_eq(kdb_backup(ctx, db, dir2), KRB_OK);
    ck_assert_int_eq(kdb_backup(ctx, db, dir2), KRB_ERR_EXISTS);
    kdb_close(db);
    ck_assert_int_eq(kdb_open(ctx, dir2, stash, KDB_RDONLY, 0, &db2), KRB_OK);
    ck_assert_msg(kdb_get(ctx, db2, "alice@EXAMPLE.ORG", &p) == KRB_OK, "%s", krb_context_error(ctx));
    kdb_close(db2);
}
END_TEST

static krb_err bump(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    (void)arg;
    p->max_life = 42;
    return kdb_key_add(c, db, p, NULL, 1);
}

static krb_err refuse(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    (void)db;
    (void)arg;
    p->max_life = 7;
    return krb_set_error(c, KRB_ERR_POLICY, "no");
}

START_TEST(test_update)
{
    struct kdb *db = mkdb();
    struct kdb_principal p;

    mkprinc(db, "alice@EXAMPLE.ORG", NULL);
    ck_assert_int_eq(kdb_update(ctx, db, "alice@EXAMPLE.ORG", bump, NULL), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, db, "alice@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert(p.max_life == 42);
    ck_assert_uint_eq(p.nkeys, 2);
    ck_assert_int_eq(kdb_update(ctx, db, "alice@EXAMPLE.ORG", refuse, NULL), KRB_ERR_POLICY);
    ck_assert_int_eq(kdb_get(ctx, db, "alice@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert(p.max_life == 42);
    ck_assert_int_eq(kdb_update(ctx, db, "bob@EXAMPLE.ORG", bump, NULL), KRB_ERR_UNKNOWN_PRINCIPAL);
    kdb_close(db);
}
END_TEST

static Suite *kdb_suite(void)
{
    Suite *s = suite_create("kdb");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_create_open);
    tcase_add_test(tc, test_wrong_stash);
    tcase_add_test(tc, test_stash_permissions);
    tcase_add_test(tc, test_crud_iterate);
    tcase_add_test(tc, test_keys);
    tcase_add_test(tc, test_tampered_key);
    tcase_add_test(tc, test_record_malformed);
    tcase_add_test(tc, test_record_fields);
    tcase_add_test(tc, test_record_v1);
    tcase_add_test(tc, test_policies);
    tcase_add_test(tc, test_password_check);
    tcase_add_test(tc, test_lockout);
    tcase_add_test(tc, test_concurrent_readers);
    tcase_add_test(tc, test_sigkill_during_writes);
    tcase_add_test(tc, test_writer_locked);
    tcase_add_test(tc, test_dump_load);
    tcase_add_test(tc, test_map_full);
    tcase_add_test(tc, test_backup);
    tcase_add_test(tc, test_update);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kdb_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
