/* check_name.c — principal names: parse/unparse, escaping, TGS names and a
 * table of malformed names, each with the exact error and its detail. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "krb.h"
#include "name.h"

static krb_context *ctx;
static char cfg_path[64];

static void setup(void)
{
    static const char conf[] = "[libdefaults]\ndefault_realm = EXAMPLE.ORG\n";
    int fd;

    snprintf(cfg_path, sizeof cfg_path, "/tmp/check_name_XXXXXX");
    fd = mkstemp(cfg_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, conf, sizeof conf - 1), (int)(sizeof conf - 1));
    close(fd);
    ck_assert_int_eq(krb_context_new(cfg_path, &ctx), KRB_OK);
    ck_assert_str_eq(krb_default_realm(ctx), "EXAMPLE.ORG");
}

static void teardown(void)
{
    krb_context_free(ctx);
    ctx = NULL;
    unlink(cfg_path);
}

/* Canonical names: parse leaves them unchanged and check accepts them. */
static const struct {
    const char *name;
    size_t ncomp;
    const char *realm;
    const char *comp0, *comp1;
} good[] = {
    { "alice@EXAMPLE.ORG", 1, "EXAMPLE.ORG", "alice", NULL },
    { "host/web1.example.org@EXAMPLE.ORG", 2, "EXAMPLE.ORG", "host", "web1.example.org" },
    { "a\\/b@R", 1, "R", "a/b", NULL },
    { "a\\@b@R", 1, "R", "a@b", NULL },
    { "a\\\\b@R", 1, "R", "a\\b", NULL },
    { "x\\@/y\\/@R", 2, "R", "x@", "y/" },
    { "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG", 2, "EXAMPLE.ORG", "krbtgt", "EXAMPLE.ORG" },
    { "a b/\xc3\xa9t\xc3\xa9@R-1_2.x", 2, "R-1_2.x", "a b", "\xc3\xa9t\xc3\xa9" },
    { "1/2/3/4/5/6/7/8@R", 8, "R", "1", "2" },
};

START_TEST(test_roundtrip)
{
    char out[KRB_NAME_MAX + 1], comp[KRB_NAME_MAX + 1], again[KRB_NAME_MAX + 1];
    const char *name = good[_i].name;
    const char *comps[KRB_NAME_MAX_COMPONENTS];
    char store[KRB_NAME_MAX_COMPONENTS][KRB_NAME_MAX + 1];
    size_t n;

    ck_assert_int_eq(krb_name_check(ctx, name, strlen(name)), KRB_OK);
    ck_assert_int_eq(krb_name_parse(ctx, name, "OTHER", out), KRB_OK);
    ck_assert_str_eq(out, name);
    ck_assert_int_eq(krb_name_canon(ctx, name, out), KRB_OK);
    ck_assert_str_eq(out, name);
    ck_assert_str_eq(krb_name_realm(name), good[_i].realm);
    n = krb_name_ncomp(name);
    ck_assert_uint_eq(n, good[_i].ncomp);
    ck_assert_int_eq(krb_name_component(name, 0, comp, sizeof comp), KRB_OK);
    ck_assert_str_eq(comp, good[_i].comp0);
    if (good[_i].comp1 != NULL) {
        ck_assert_int_eq(krb_name_component(name, 1, comp, sizeof comp), KRB_OK);
        ck_assert_str_eq(comp, good[_i].comp1);
    }
    ck_assert_int_eq(krb_name_component(name, n, comp, sizeof comp), KRB_ERR_INVALID_ARG);
    /* Unescape every component, then build the name again: same bytes. */
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(krb_name_component(name, i, store[i], sizeof store[i]), KRB_OK);
        comps[i] = store[i];
    }
    ck_assert_int_eq(krb_name_make(again, comps, n, good[_i].realm), KRB_OK);
    ck_assert_str_eq(again, name);
}
END_TEST

START_TEST(test_default_realm)
{
    char out[KRB_NAME_MAX + 1];
    char long_name[300];

    ck_assert_int_eq(krb_name_canon(ctx, "alice", out), KRB_OK);
    ck_assert_str_eq(out, "alice@EXAMPLE.ORG");
    ck_assert_int_eq(krb_name_canon(ctx, "host/web1", out), KRB_OK);
    ck_assert_str_eq(out, "host/web1@EXAMPLE.ORG");
    ck_assert_int_eq(krb_name_canon(ctx, "a\\@b", out), KRB_OK);
    ck_assert_str_eq(out, "a\\@b@EXAMPLE.ORG");
    ck_assert_int_eq(krb_name_parse(ctx, "bob", "R", out), KRB_OK);
    ck_assert_str_eq(out, "bob@R");
    ck_assert_int_eq(krb_name_parse(ctx, "bob@S", "R", out), KRB_OK);
    ck_assert_str_eq(out, "bob@S");
    /* No realm anywhere. */
    ck_assert_int_eq(krb_name_parse(ctx, "bob", NULL, out), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "no default_realm"));
    ck_assert_int_eq(krb_name_parse(ctx, "bob", "", out), KRB_ERR_BAD_NAME);
    /* A bad default realm is caught by the final check. */
    ck_assert_int_eq(krb_name_parse(ctx, "bob", "A/B", out), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "realm may contain only"));
    /* Appending the realm makes it too long. */
    memset(long_name, 'x', 250);
    long_name[250] = '\0';
    ck_assert_int_eq(krb_name_canon(ctx, long_name, out), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "longer than 255"));
}
END_TEST

START_TEST(test_make_escapes)
{
    char out[KRB_NAME_MAX + 1], comp[16];
    const char *c1[] = { "a/b", "c@d", "e\\f" };
    const char *bad_empty[] = { "a", "" };
    const char *bad_ctl[] = { "a\tb" };
    const char *nine[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9" };
    char big[300];
    const char *cbig[] = { big };

    ck_assert_int_eq(krb_name_make(out, c1, 3, "R"), KRB_OK);
    ck_assert_str_eq(out, "a\\/b/c\\@d/e\\\\f@R");
    ck_assert_uint_eq(krb_name_ncomp(out), 3);
    ck_assert_int_eq(krb_name_component(out, 0, comp, sizeof comp), KRB_OK);
    ck_assert_str_eq(comp, "a/b");
    ck_assert_int_eq(krb_name_component(out, 1, comp, sizeof comp), KRB_OK);
    ck_assert_str_eq(comp, "c@d");
    ck_assert_int_eq(krb_name_component(out, 2, comp, sizeof comp), KRB_OK);
    ck_assert_str_eq(comp, "e\\f");
    ck_assert_str_eq(krb_name_realm(out), "R");
    /* Component buffers too small. */
    ck_assert_int_eq(krb_name_component(out, 0, comp, 3), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_name_component(out, 0, comp, 4), KRB_OK);
    ck_assert_int_eq(krb_name_component(out, 0, comp, 0), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_name_component(out, 3, comp, sizeof comp), KRB_ERR_INVALID_ARG);

    ck_assert_int_eq(krb_name_make(out, c1, 0, "R"), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_make(out, nine, 9, "R"), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(krb_name_make(out, nine, 8, "R"), KRB_OK);
    ck_assert_int_eq(krb_name_make(out, bad_empty, 2, "R"), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_make(out, bad_ctl, 1, "R"), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_make(out, c1, 1, ""), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_make(out, c1, 1, "R/S"), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_make(out, c1, 1, "R@S"), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    /* Longest possible: 253 bytes of component + "@R" = 255. */
    memset(big, 'x', 253);
    big[253] = '\0';
    ck_assert_int_eq(krb_name_make(out, cbig, 1, "R"), KRB_OK);
    ck_assert_uint_eq(strlen(out), KRB_NAME_MAX);
    ck_assert_int_eq(krb_name_make(out, cbig, 1, "RR"), KRB_ERR_BAD_NAME);
    /* Escaping counts: 127 slashes escape to 254 bytes, too long with a realm. */
    memset(big, '/', 127);
    big[127] = '\0';
    ck_assert_int_eq(krb_name_make(out, cbig, 1, "R"), KRB_ERR_BAD_NAME);
    big[126] = '\0';
    ck_assert_int_eq(krb_name_make(out, cbig, 1, "R"), KRB_OK);
    ck_assert_uint_eq(strlen(out), 254);
    ck_assert_uint_eq(krb_name_ncomp(out), 1);
}
END_TEST

START_TEST(test_tgs_names)
{
    char out[KRB_NAME_MAX + 1];
    char realm[KRB_NAME_MAX + 1];

    ck_assert_int_eq(krb_name_tgs(out, "EXAMPLE.ORG"), KRB_OK);
    ck_assert_str_eq(out, "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG");
    ck_assert_int_eq(krb_name_is_tgs(out), 1);
    ck_assert_int_eq(krb_name_is_tgs("krbtgt/OTHER.ORG@EXAMPLE.ORG"), 0);
    ck_assert_int_eq(krb_name_is_tgs("krbtgt@EXAMPLE.ORG"), 0);
    ck_assert_int_eq(krb_name_is_tgs("krbtgt/EXAMPLE.ORG/x@EXAMPLE.ORG"), 0);
    ck_assert_int_eq(krb_name_is_tgs("KRBTGT/EXAMPLE.ORG@EXAMPLE.ORG"), 0);
    ck_assert_int_eq(krb_name_is_tgs("alice@EXAMPLE.ORG"), 0);
    ck_assert_int_eq(krb_name_is_tgs(""), 0);
    ck_assert_int_eq(krb_name_tgs(out, ""), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(krb_name_tgs(out, "A/B"), KRB_ERR_BAD_NAME);
    /* krbtgt/R@R must fit in 255 bytes: 7 + 2 * 123 + 1 = 254, realm up to 123 bytes. */
    memset(realm, 'R', 123);
    realm[123] = '\0';
    ck_assert_int_eq(krb_name_tgs(out, realm), KRB_OK);
    ck_assert_uint_eq(strlen(out), 254);
    ck_assert_int_eq(krb_name_is_tgs(out), 1);
    realm[123] = 'R';
    realm[124] = '\0';
    ck_assert_int_eq(krb_name_tgs(out, realm), KRB_ERR_BAD_NAME);
}
END_TEST

/* Malformed names: exact error from krb_name_check (and krb_name_parse) and
 * a substring of the detail it leaves on the context. len 0 = strlen. */
static const struct {
    const char *what;
    const char *in;
    size_t len;
    int parse_too; /* also rejected by krb_name_parse with a default realm */
    const char *detail;
} bad[] = {
    { "empty", "", 0, 1, "empty principal name" },
    { "no principal", "@R", 0, 1, "empty component" },
    { "empty realm", "a@", 0, 1, "empty realm" },
    { "empty middle component", "a//b@R", 0, 1, "empty component" },
    { "empty first component", "/a@R", 0, 1, "empty component" },
    { "empty last component", "a/@R", 0, 1, "empty component" },
    { "bad escape", "a\\x@R", 0, 1, "bad escape" },
    { "escaped letter", "\\a@R", 0, 1, "bad escape" },
    { "trailing backslash", "a\\", 0, 1, "bad escape" },
    { "backslash before NUL", "a\\", 2, 1, "bad escape" },
    { "control char",
      "a\x01"
      "b@R",
      0, 1, "control character" },
    { "tab", "a\tb@R", 0, 1, "control character" },
    { "DEL", "a\x7f@R", 0, 1, "control character" },
    { "newline in realm", "a@R\n", 0, 1, "realm may contain only" },
    { "realm with slash", "a@R/S", 0, 1, "realm may contain only" },
    { "realm with at", "a@R@S", 0, 1, "realm may contain only" },
    { "realm with backslash", "a@R\\/", 0, 1, "realm may contain only" },
    { "realm with space", "a@R S", 0, 1, "realm may contain only" },
    { "realm with high byte", "a@R\xc3\xa9", 0, 1, "realm may contain only" },
    { "nine components", "1/2/3/4/5/6/7/8/9@R", 0, 1, "more than 8 components" },
    { "no realm (check)", "alice", 0, 0, "no realm" },
    { "escaped at only (check)", "a\\@R", 0, 0, "no realm" },
    { "NUL inside", "a\0b@R", 5, 0, "NUL byte" },
    { "NUL at end", "a@R\0", 4, 0, "NUL byte" },
};

START_TEST(test_malformed)
{
    char out[KRB_NAME_MAX + 1];
    size_t len = bad[_i].len != 0 ? bad[_i].len : strlen(bad[_i].in);
    krb_err rc;

    rc = krb_name_check(ctx, bad[_i].in, len);
    ck_assert_msg(rc == KRB_ERR_BAD_NAME, "row '%s': got %s", bad[_i].what, krb_err_name(rc));
    ck_assert_msg(strstr(krb_context_error(ctx), bad[_i].detail) != NULL, "row '%s': detail '%s'", bad[_i].what,
                  krb_context_error(ctx));
    /* Without a context the code is the same and nothing crashes. */
    ck_assert_int_eq(krb_name_check(NULL, bad[_i].in, len), KRB_ERR_BAD_NAME);
    if (bad[_i].parse_too) {
        strcpy(out, "junk");
        rc = krb_name_parse(ctx, bad[_i].in, "R", out);
        ck_assert_msg(rc == KRB_ERR_BAD_NAME, "row '%s': parse got %s", bad[_i].what, krb_err_name(rc));
        ck_assert_str_eq(out, "");
        ck_assert_msg(strstr(krb_context_error(ctx), bad[_i].detail) != NULL, "row '%s': parse detail '%s'",
                      bad[_i].what, krb_context_error(ctx));
    }
}
END_TEST

START_TEST(test_length_limits)
{
    char name[400], out[KRB_NAME_MAX + 1];

    /* 255 bytes: accepted. */
    memset(name, 'a', 253);
    memcpy(name + 253, "@R", 3);
    ck_assert_uint_eq(strlen(name), KRB_NAME_MAX);
    ck_assert_int_eq(krb_name_check(ctx, name, strlen(name)), KRB_OK);
    ck_assert_int_eq(krb_name_parse(ctx, name, NULL, out), KRB_OK);
    ck_assert_str_eq(out, name);
    /* 256 bytes: rejected, by check and by parse. */
    memset(name, 'a', 254);
    memcpy(name + 254, "@R", 3);
    ck_assert_int_eq(krb_name_check(ctx, name, strlen(name)), KRB_ERR_BAD_NAME);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "longer than 255"));
    ck_assert_int_eq(krb_name_parse(ctx, name, NULL, out), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    /* Far over: parse does not overflow out. */
    memset(name, 'b', 390);
    memcpy(name + 390, "@REALM", 7);
    ck_assert_int_eq(krb_name_parse(ctx, name, NULL, out), KRB_ERR_BAD_NAME);
    ck_assert_str_eq(out, "");
    /* The detail is bounded even for a long input. */
    name[390] = '\0';
    ck_assert_int_eq(krb_name_parse(ctx, name, NULL, out), KRB_ERR_BAD_NAME);
    ck_assert_uint_lt(strlen(krb_context_error(ctx)), 256);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("name");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_roundtrip, 0, sizeof good / sizeof good[0]);
    tcase_add_test(tc, test_default_realm);
    tcase_add_test(tc, test_make_escapes);
    tcase_add_test(tc, test_tgs_names);
    tcase_add_loop_test(tc, test_malformed, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_length_limits);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
