/* check_keytab.c — keytab files: kvnos, lookups, save/open, permissions,
 * symlinks, and a table of damaged images with exact error codes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "context.h"
#include "keytab.h"

static char tmpdir[256], ktpath[300], cfgpath[300];
static krb_context *ctx;

static void setup(void)
{
    FILE *f;

    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_keytab.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(ktpath, sizeof ktpath, "%s/keytab", tmpdir);
    snprintf(cfgpath, sizeof cfgpath, "%s/tessera.conf", tmpdir);
    f = fopen(cfgpath, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[libdefaults]\ndefault_realm = EXAMPLE.ORG\nkeytab = %s/from-config\n", tmpdir);
    fclose(f);
    unsetenv("TESSERA_KTNAME");
    ck_assert_int_eq(krb_context_new(cfgpath, &ctx), KRB_OK);
}

static void teardown(void)
{
    char cmd[400];

    krb_context_free(ctx);
    ctx = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static struct krb_key mkkey(uint8_t fill)
{
    struct krb_key k;
    k.suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(k.k, fill, sizeof k.k);
    return k;
}

static void add(krb_keytab *kt, const char *name, uint32_t kvno, uint8_t fill)
{
    struct krb_key k = mkkey(fill);
    ck_assert_msg(krb_kt_add(ctx, kt, name, kvno, &k) == KRB_OK, "%s", krb_context_error(ctx));
}

START_TEST(test_kvnos_find)
{
    krb_keytab *kt;
    struct krb_key k;
    uint32_t kvno;

    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK); /* missing: empty */
    ck_assert_uint_eq(krb_kt_count(kt), 0);
    ck_assert_str_eq(krb_kt_path(kt), ktpath);
    add(kt, "http/web1@EXAMPLE.ORG", 1, 0x11);
    add(kt, "http/web1@EXAMPLE.ORG", 3, 0x33);
    add(kt, "http/web1@EXAMPLE.ORG", 2, 0x22);
    add(kt, "host/web1", 5, 0x55); /* short name: default realm added */
    ck_assert_uint_eq(krb_kt_count(kt), 4);

    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1@EXAMPLE.ORG", 0, &k, &kvno), KRB_OK);
    ck_assert_uint_eq(kvno, 3);
    ck_assert_uint_eq(k.k[0], 0x33);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1", 2, &k, &kvno), KRB_OK);
    ck_assert_uint_eq(kvno, 2);
    ck_assert_uint_eq(k.k[31], 0x22);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "host/web1@EXAMPLE.ORG", 0, &k, NULL), KRB_OK);
    ck_assert_uint_eq(k.k[0], 0x55);

    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1@EXAMPLE.ORG", 9, &k, &kvno), KRB_ERR_BADKEYVER);
    ck_assert(strstr(krb_context_error(ctx), "http/web1@EXAMPLE.ORG") != NULL);
    ck_assert(strstr(krb_context_error(ctx), "kvno 9") != NULL);
    ck_assert_uint_eq(kvno, 0);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web2@EXAMPLE.ORG", 0, &k, &kvno), KRB_ERR_KT_NOTFOUND);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web2@EXAMPLE.ORG", 1, &k, &kvno), KRB_ERR_KT_NOTFOUND);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "bad@", 1, &k, &kvno), KRB_ERR_BAD_NAME);

    /* replace in place */
    add(kt, "http/web1@EXAMPLE.ORG", 2, 0x44);
    ck_assert_uint_eq(krb_kt_count(kt), 4);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1@EXAMPLE.ORG", 2, &k, NULL), KRB_OK);
    ck_assert_uint_eq(k.k[0], 0x44);

    /* save and read back */
    ck_assert_msg(krb_kt_save(ctx, kt) == KRB_OK, "%s", krb_context_error(ctx));
    krb_kt_free(kt);
    struct stat st;
    ck_assert_int_eq(stat(ktpath, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    ck_assert_uint_eq(krb_kt_count(kt), 4);
    krb_kt_info info;
    ck_assert_int_eq(krb_kt_get_info(kt, 3, &info), KRB_OK);
    ck_assert_str_eq(info.principal, "host/web1@EXAMPLE.ORG");
    ck_assert_uint_eq(info.kvno, 5);
    ck_assert_uint_eq(info.suite, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(krb_kt_get_info(kt, 4, &info), KRB_ERR_INVALID_ARG);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1@EXAMPLE.ORG", 0, &k, &kvno), KRB_OK);
    ck_assert_uint_eq(kvno, 3);

    /* remove one kvno, the old ones, everything */
    ck_assert_int_eq(krb_kt_remove(ctx, kt, "http/web1@EXAMPLE.ORG", 7), KRB_ERR_BADKEYVER);
    ck_assert_int_eq(krb_kt_remove(ctx, kt, "nobody@EXAMPLE.ORG", 0), KRB_ERR_KT_NOTFOUND);
    ck_assert_int_eq(krb_kt_remove(ctx, kt, "http/web1@EXAMPLE.ORG", 2), KRB_OK);
    ck_assert_uint_eq(krb_kt_count(kt), 3);
    size_t removed;
    ck_assert_int_eq(krb_kt_remove_old(ctx, kt, "http/web1@EXAMPLE.ORG", &removed), KRB_OK);
    ck_assert_uint_eq(removed, 1);
    ck_assert_int_eq(krb_kt_find(ctx, kt, "http/web1@EXAMPLE.ORG", 1, &k, NULL), KRB_ERR_BADKEYVER);
    ck_assert_int_eq(krb_kt_remove(ctx, kt, "http/web1@EXAMPLE.ORG", 0), KRB_OK);
    ck_assert_uint_eq(krb_kt_count(kt), 1);
    ck_assert_int_eq(krb_kt_save(ctx, kt), KRB_OK);
    krb_kt_free(kt);
    krb_key_wipe(&k);
    krb_kt_free(NULL);
}
END_TEST

START_TEST(test_default_path)
{
    krb_keytab *kt;
    char p[400];

    ck_assert_int_eq(krb_kt_open(ctx, NULL, &kt), KRB_OK);
    snprintf(p, sizeof p, "%s/from-config", tmpdir);
    ck_assert_str_eq(krb_kt_path(kt), p);
    krb_kt_free(kt);
    setenv("TESSERA_KTNAME", ktpath, 1);
    ck_assert_int_eq(krb_kt_open(ctx, NULL, &kt), KRB_OK);
    ck_assert_str_eq(krb_kt_path(kt), ktpath);
    krb_kt_free(kt);
    unsetenv("TESSERA_KTNAME");
}
END_TEST

START_TEST(test_permissions_symlink)
{
    krb_keytab *kt;
    char link[400];

    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    add(kt, "a@EXAMPLE.ORG", 1, 1);
    ck_assert_int_eq(krb_kt_save(ctx, kt), KRB_OK);
    krb_kt_free(kt);

    ck_assert_int_eq(chmod(ktpath, 0640), 0);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_ERR_PERMISSION);
    ck_assert(strstr(krb_context_error(ctx), "chmod 600") != NULL);
    ck_assert_int_eq(chmod(ktpath, 0604), 0);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_ERR_PERMISSION);
    ck_assert_int_eq(chmod(ktpath, 0600), 0);

    snprintf(link, sizeof link, "%s/link", tmpdir);
    ck_assert_int_eq(symlink(ktpath, link), 0);
    ck_assert_int_eq(krb_kt_open(ctx, link, &kt), KRB_ERR_PERMISSION);
    ck_assert(strstr(krb_context_error(ctx), "symbolic link") != NULL);
    /* a dangling link is refused as well, not taken for an empty keytab */
    snprintf(link, sizeof link, "%s/link2", tmpdir);
    ck_assert_int_eq(symlink("/nonexistent-target", link), 0);
    ck_assert_int_eq(krb_kt_open(ctx, link, &kt), KRB_ERR_PERMISSION);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    krb_kt_free(kt);
    /* a directory is not a keytab */
    ck_assert_int_eq(krb_kt_open(ctx, tmpdir, &kt), KRB_ERR_PERMISSION);
}
END_TEST

START_TEST(test_save_refuses_symlink)
{
    krb_keytab *kt;
    char target[400];

    snprintf(target, sizeof target, "%s/target", tmpdir);
    ck_assert_int_eq(symlink(target, ktpath), 0);
    /* opening the dangling link fails closed */
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_ERR_PERMISSION);
    ck_assert_int_eq(unlink(ktpath), 0);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    add(kt, "a@EXAMPLE.ORG", 1, 1);
    ck_assert_int_eq(symlink(target, ktpath), 0);
    ck_assert_int_eq(krb_kt_save(ctx, kt), KRB_ERR_PERMISSION);
    ck_assert_int_eq(access(target, F_OK), -1);
    krb_kt_free(kt);
}
END_TEST

/* One entry "a@R", kvno 1, suite 1: 4 + 2 + 1+3 + 4 + 2 + 32 = 48 bytes. */
static size_t image(uint8_t *buf, size_t cap, int entries)
{
    struct krb_wr w;
    uint8_t key[KRB_KEY_BYTES];

    memset(key, 0x5a, sizeof key);
    krb_wr_init(&w, buf, cap);
    krb_wr_header(&w, KRB_MSG_KEYTAB);
    krb_wr_u16(&w, (uint16_t)entries);
    for (int i = 0; i < entries; i++) {
        krb_wr_vec8(&w, "a@R", 3);
        krb_wr_u32(&w, (uint32_t)(i + 1));
        krb_wr_u16(&w, KRB_SUITE_XCHACHA20POLY1305);
        krb_wr_bytes(&w, key, sizeof key);
    }
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

START_TEST(test_corrupt_table)
{
    static const struct {
        const char *what;
        int off;
        uint8_t val;
        int cut; /* bytes removed from the end; -1 appends one */
        krb_err want;
    } rows[] = {
        { "valid", -1, 0, 0, KRB_OK },
        { "bad magic", 0, 'X', 0, KRB_ERR_MALFORMED },
        { "other version", 2, 9, 0, KRB_ERR_UNSUPPORTED },
        { "wrong message type", 3, KRB_MSG_CCACHE, 0, KRB_ERR_MALFORMED },
        { "trailing byte", -1, 0, -1, KRB_ERR_TRAILING },
        { "truncated key", -1, 0, 1, KRB_ERR_MALFORMED },
        { "header only", -1, 0, 44, KRB_ERR_MALFORMED },
        { "truncated header", -1, 0, 46, KRB_ERR_MALFORMED },
        { "empty file", -1, 0, 48, KRB_ERR_MALFORMED },
        { "count too large", 4, 0xff, 0, KRB_ERR_TOO_BIG },
        { "count lies (2)", 5, 2, 0, KRB_ERR_MALFORMED },
        { "count 0 with an entry", 5, 0, 0, KRB_ERR_TRAILING },
        { "empty name", 6, 0, 0, KRB_ERR_MALFORMED },
        { "name overruns", 6, 200, 0, KRB_ERR_MALFORMED },
        { "control byte in name", 7, 0x07, 0, KRB_ERR_BAD_NAME },
        { "name without realm", 8, 'x', 0, KRB_ERR_BAD_NAME },
        { "kvno 0", 13, 0, 0, KRB_ERR_MALFORMED },
        { "unknown suite", 15, 77, 0, KRB_ERR_MALFORMED },
    };
    uint8_t base[64], buf[80];
    size_t n = image(base, sizeof base, 1);
    krb_keytab *kt;

    ck_assert_uint_eq(n, 48);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = n;
        memcpy(buf, base, n);
        if (rows[i].off >= 0) {
            buf[rows[i].off] = rows[i].val;
        }
        if (rows[i].cut > 0) {
            len -= (size_t)rows[i].cut;
        } else if (rows[i].cut < 0) {
            buf[len++] = 0;
        }
        krb_err got = krb_kt_parse(ctx, buf, len, &kt);
        ck_assert_msg(got == rows[i].want, "%s: got %s want %s", rows[i].what, krb_err_name(got),
                      krb_err_name(rows[i].want));
        if (got == KRB_OK) {
            ck_assert_uint_eq(krb_kt_count(kt), 1);
            krb_kt_free(kt);
        } else {
            ck_assert_ptr_null(kt);
        }
    }
    /* duplicate name+kvno */
    uint8_t two[128];
    n = image(two, sizeof two, 2);
    two[6 + 42 + 4 + 3] = 1; /* second entry's kvno (low byte) = 1 */
    ck_assert_int_eq(krb_kt_parse(ctx, two, n, &kt), KRB_ERR_MALFORMED);

    /* a corrupt file reports its path */
    FILE *f = fopen(ktpath, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(base, 1, 20, f);
    fclose(f);
    ck_assert_int_eq(chmod(ktpath, 0600), 0);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_ERR_MALFORMED);
    ck_assert(strstr(krb_context_error(ctx), ktpath) != NULL);
}
END_TEST

START_TEST(test_limit)
{
    krb_keytab *kt;
    struct krb_key k = mkkey(1);
    uint32_t i;

    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    for (i = 1; i <= KRB_KT_MAX_ENTRIES; i++) {
        ck_assert_int_eq(krb_kt_add(ctx, kt, "svc/x@EXAMPLE.ORG", i, &k), KRB_OK);
    }
    ck_assert_int_eq(krb_kt_add(ctx, kt, "svc/x@EXAMPLE.ORG", i, &k), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_kt_save(ctx, kt), KRB_OK);
    krb_kt_free(kt);
    ck_assert_int_eq(krb_kt_open(ctx, ktpath, &kt), KRB_OK);
    ck_assert_uint_eq(krb_kt_count(kt), KRB_KT_MAX_ENTRIES);
    krb_kt_free(kt);
}
END_TEST

static Suite *keytab_suite(void)
{
    Suite *s = suite_create("keytab");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_kvnos_find);
    tcase_add_test(tc, test_default_path);
    tcase_add_test(tc, test_permissions_symlink);
    tcase_add_test(tc, test_save_refuses_symlink);
    tcase_add_test(tc, test_corrupt_table);
    tcase_add_test(tc, test_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(keytab_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
