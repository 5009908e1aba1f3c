/* check_config.c — tessera.conf parser, typed getters, host:port, and the
 * context's choice of configuration file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "context.h"
#include "krb.h"

static krb_context *ctx;
static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_config_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    /* A context with built-in defaults for the detail buffer. */
    ck_assert_int_eq(setenv("TESSERA_CONFIG", "", 1), 0);
    ctx = NULL;
    if (access(KRB_CONFIG_DEFAULT_PATH, F_OK) != 0) {
        ck_assert_int_eq(krb_context_new(NULL, &ctx), KRB_OK);
    } else {
        char p[128];
        FILE *f;
        snprintf(p, sizeof p, "%s/empty.conf", tmpdir);
        f = fopen(p, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
        ck_assert_int_eq(krb_context_new(p, &ctx), KRB_OK);
        unlink(p);
    }
}

static void teardown(void)
{
    krb_context_free(ctx);
    ctx = NULL;
    unsetenv("TESSERA_CONFIG");
    rmdir(tmpdir);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

static struct krb_config *parse_ok(const char *text)
{
    struct krb_config *cfg = NULL;
    krb_err rc = krb_config_parse(ctx, text, strlen(text), "t.conf", &cfg);

    ck_assert_msg(rc == KRB_OK, "parse failed: %s", krb_context_error(ctx));
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

static const char sample[] = "# a comment\n"
                             "; another comment\n"
                             "\n"
                             "[libdefaults]\n"
                             "  default_realm   =   EXAMPLE.ORG  \n"
                             "clock_skew = 2m\r\n"
                             "ticket_lifetime = 10h\n"
                             "ticket_lifetime = 1d\n"
                             "[realm EXAMPLE.ORG]\n"
                             "kdc = kdc1.example.org\n"
                             "kdc = 127.0.0.1:7089\n"
                             "kdc = [::1]:7090\n"
                             "[ realm OTHER.ORG ]\n"
                             "kdc = other=with=equals\n"
                             "[kdc]\n"
                             "listen = 0.0.0.0:7088\n"
                             "map_size = 64M\n"
                             "workers = 4\n"
                             "hide_unknown_principals = yes\n"
                             "pwhash_ops = 2"; /* no final newline */

START_TEST(test_parse_sample)
{
    struct krb_config *cfg = parse_ok(sample);
    krb_time d;
    uint64_t u;
    int b;

    ck_assert_str_eq(krb_config_get(cfg, "libdefaults", "default_realm"), "EXAMPLE.ORG");
    ck_assert_str_eq(krb_config_get(cfg, "libdefaults", "clock_skew"), "2m");
    /* Last value wins for a single-valued key. */
    ck_assert_str_eq(krb_config_get(cfg, "libdefaults", "ticket_lifetime"), "1d");
    ck_assert_int_eq(krb_config_duration(ctx, cfg, "libdefaults", "ticket_lifetime", 5, &d), KRB_OK);
    ck_assert(d == (krb_time)86400 * 1000000);
    /* Repeated keys keep file order. */
    ck_assert_uint_eq(krb_config_count(cfg, "realm EXAMPLE.ORG", "kdc"), 3);
    ck_assert_str_eq(krb_config_nth(cfg, "realm EXAMPLE.ORG", "kdc", 0), "kdc1.example.org");
    ck_assert_str_eq(krb_config_nth(cfg, "realm EXAMPLE.ORG", "kdc", 1), "127.0.0.1:7089");
    ck_assert_str_eq(krb_config_nth(cfg, "realm EXAMPLE.ORG", "kdc", 2), "[::1]:7090");
    ck_assert_ptr_null(krb_config_nth(cfg, "realm EXAMPLE.ORG", "kdc", 3));
    ck_assert_str_eq(krb_config_get(cfg, "realm EXAMPLE.ORG", "kdc"), "[::1]:7090");
    /* Section names are trimmed; a value may contain '='. */
    ck_assert_str_eq(krb_config_get(cfg, "realm OTHER.ORG", "kdc"), "other=with=equals");
    ck_assert_uint_eq(krb_config_count(cfg, "realm NONE", "kdc"), 0);
    ck_assert_ptr_null(krb_config_get(cfg, "kdc", "database"));
    ck_assert_ptr_null(krb_config_get(cfg, "libdefaults", "listen"));
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "map_size", 1, UINT64_MAX, &u), KRB_OK);
    ck_assert_uint_eq(u, 64u * 1024 * 1024);
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "workers", 1, 64, &u), KRB_OK);
    ck_assert_uint_eq(u, 4);
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "pwhash_ops", 1, 16, &u), KRB_OK);
    ck_assert_uint_eq(u, 2);
    ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "hide_unknown_principals", 0, &b), KRB_OK);
    ck_assert_int_eq(b, 1);
    /* Absent keys take the default. */
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "max_tcp_connections", 77, 1000, &u), KRB_OK);
    ck_assert_uint_eq(u, 77);
    ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "log", 1, &b), KRB_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(krb_config_duration(ctx, cfg, "kdc", "max_life", 42, &d), KRB_OK);
    ck_assert(d == 42);
    krb_config_free(cfg);
    krb_config_free(NULL);
}
END_TEST

START_TEST(test_empty_inputs)
{
    struct krb_config *cfg = parse_ok("");

    ck_assert_ptr_null(krb_config_get(cfg, "libdefaults", "default_realm"));
    krb_config_free(cfg);
    cfg = parse_ok("\n\n   \n# only comments\n[kdc]\n");
    ck_assert_uint_eq(krb_config_count(cfg, "kdc", "listen"), 0);
    krb_config_free(cfg);
    ck_assert_int_eq(krb_config_empty(&cfg), KRB_OK);
    ck_assert_ptr_null(krb_config_get(cfg, "kdc", "listen"));
    krb_config_free(cfg);
}
END_TEST

/* Durations: string -> microseconds, or KRB_ERR_CONFIG (-1). */
static const struct {
    const char *in;
    int64_t secs;
} durations[] = {
    { "0", 0 },
    { "90", 90 },
    { "90s", 90 },
    { "5m", 300 },
    { "10h", 36000 },
    { "7d", 604800 },
    { "36500d", 3153600000 },
    { "36501d", -1 },
    { "", -1 },
    { "h", -1 },
    { "10x", -1 },
    { "10hh", -1 },
    { "-5", -1 },
    { "+5", -1 },
    { " 5", -1 },
    { "5 s", -1 },
    { "10H", -1 },
    { "1w", -1 },
    { "99999999999999999999", -1 },
    { "18446744073709551615s", -1 },
};

START_TEST(test_durations)
{
    krb_time t = 123;
    krb_err rc = krb_parse_duration(durations[_i].in, &t);

    if (durations[_i].secs < 0) {
        ck_assert_msg(rc == KRB_ERR_CONFIG, "'%s' accepted", durations[_i].in);
    } else {
        ck_assert_msg(rc == KRB_OK, "'%s' rejected", durations[_i].in);
        ck_assert(t == durations[_i].secs * 1000000);
    }
}
END_TEST

START_TEST(test_typed_errors)
{
    static const char text[] = "[kdc]\n"
                               "max_life = 10y\n"
                               "map_size = 10k\n"
                               "workers = 65\n"
                               "hide_unknown_principals = maybe\n"
                               "pwhash_mem = 1G\n";
    struct krb_config *cfg = parse_ok(text);
    krb_time d;
    uint64_t u;
    int b;

    ck_assert_int_eq(krb_config_duration(ctx, cfg, "kdc", "max_life", 7, &d), KRB_ERR_CONFIG);
    ck_assert(d == 7);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:2:"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "bad duration '10y'"));
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "map_size", 1, UINT64_MAX, &u), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:3:"));
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "workers", 1, 64, &u), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:4:"));
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "workers", 1, 65, &u), KRB_OK);
    ck_assert_uint_eq(u, 65);
    ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "hide_unknown_principals", 0, &b), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:5:"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "bad boolean 'maybe'"));
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "pwhash_mem", 0, (uint64_t)1 << 30, &u), KRB_OK);
    ck_assert_uint_eq(u, (uint64_t)1 << 30);
    ck_assert_int_eq(krb_config_uint(ctx, cfg, "kdc", "pwhash_mem", 0, ((uint64_t)1 << 30) - 1, &u), KRB_ERR_CONFIG);
    krb_config_free(cfg);
}
END_TEST

START_TEST(test_bools)
{
    static const char *yes[] = { "true", "yes", "1" };
    static const char *no[] = { "false", "no", "0" };
    static const char *bad[] = { "TRUE", "Yes", "on", "2", "y" };
    char text[128];
    struct krb_config *cfg;
    int b;

    for (size_t i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "[kdc]\nhide_unknown_principals = %s\n", yes[i]);
        cfg = parse_ok(text);
        ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "hide_unknown_principals", 0, &b), KRB_OK);
        ck_assert_int_eq(b, 1);
        krb_config_free(cfg);
        snprintf(text, sizeof text, "[kdc]\nhide_unknown_principals = %s\n", no[i]);
        cfg = parse_ok(text);
        ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "hide_unknown_principals", 1, &b), KRB_OK);
        ck_assert_int_eq(b, 0);
        krb_config_free(cfg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "[kdc]\nhide_unknown_principals = %s\n", bad[i]);
        cfg = parse_ok(text);
        ck_assert_int_eq(krb_config_bool(ctx, cfg, "kdc", "hide_unknown_principals", 1, &b), KRB_ERR_CONFIG);
        ck_assert_int_eq(b, 1);
        krb_config_free(cfg);
    }
}
END_TEST

/* Parse errors: each row -> KRB_ERR_CONFIG with "t.conf:LINE: ..." */
static const struct {
    const char *what;
    const char *text;
    const char *detail;
} bad_files[] = {
    { "unknown key", "[libdefaults]\ndefault_realm = R\ndefualt_realm = R\n",
      "t.conf:3: unknown key 'defualt_realm' in [libdefaults]" },
    { "key of another section", "[libdefaults]\nlisten = 1.2.3.4\n", "t.conf:2: unknown key 'listen'" },
    { "unknown section", "# c\n[libdefault]\n", "t.conf:2: unknown section [libdefault]" },
    { "realm section without name", "[realm ]\nkdc = x\n", "t.conf:1: unknown section" },
    { "kdc key in libdefaults", "[libdefaults]\nkdc = x\n", "t.conf:2: unknown key 'kdc'" },
    { "missing equals", "[kdc]\nlisten 127.0.0.1\n", "t.conf:2: expected 'key = value'" },
    { "key before section", "\ndefault_realm = R\n[libdefaults]\n",
      "t.conf:2: 'default_realm' appears before any [section]" },
    { "empty value", "[kdc]\nlisten =\n", "t.conf:2: empty key or value" },
    { "empty key", "[kdc]\n = x\n", "t.conf:2: empty key or value" },
    { "unterminated section", "[kdc\n", "t.conf:1: section header must be '[name]'" },
    { "junk after section", "[kdc] x\n", "t.conf:1: section header must be '[name]'" },
};

START_TEST(test_bad_files)
{
    struct krb_config *cfg = (struct krb_config *)&cfg;
    krb_err rc = krb_config_parse(ctx, bad_files[_i].text, strlen(bad_files[_i].text), "t.conf", &cfg);

    ck_assert_msg(rc == KRB_ERR_CONFIG, "row '%s': got %s", bad_files[_i].what, krb_err_name(rc));
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strstr(krb_context_error(ctx), bad_files[_i].detail) != NULL, "row '%s': detail '%s'",
                  bad_files[_i].what, krb_context_error(ctx));
}
END_TEST

START_TEST(test_limits)
{
    size_t n = KRB_CONFIG_MAX_LINE + 64;
    char *text = malloc(KRB_CONFIG_MAX_BYTES + 2);
    struct krb_config *cfg;
    const char *prefix = "[kdc]\nlog = ";
    size_t pl = strlen(prefix);

    ck_assert_ptr_nonnull(text);
    /* A line of exactly KRB_CONFIG_MAX_LINE bytes is fine ... */
    memcpy(text, prefix, pl);
    memset(text + pl, 'x', KRB_CONFIG_MAX_LINE - (pl - 6));
    text[6 + KRB_CONFIG_MAX_LINE] = '\n';
    ck_assert_int_eq(krb_config_parse(ctx, text, 7 + KRB_CONFIG_MAX_LINE, "t.conf", &cfg), KRB_OK);
    ck_assert_uint_eq(strlen(krb_config_get(cfg, "kdc", "log")), KRB_CONFIG_MAX_LINE - (pl - 6));
    krb_config_free(cfg);
    /* ... one byte more is not. */
    memset(text + pl, 'x', n);
    text[pl + n] = '\n';
    ck_assert_int_eq(krb_config_parse(ctx, text, pl + n + 1, "t.conf", &cfg), KRB_ERR_CONFIG);
    ck_assert_ptr_null(cfg);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:2: line longer than 4096 bytes"));
    /* NUL byte inside. */
    ck_assert_int_eq(krb_config_parse(ctx, "[kdc]\nlog = a\0b\n", 15, "t.conf", &cfg), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:2: NUL byte"));
    /* Whole file too large. */
    memset(text, '\n', KRB_CONFIG_MAX_BYTES + 1);
    ck_assert_int_eq(krb_config_parse(ctx, text, KRB_CONFIG_MAX_BYTES + 1, "t.conf", &cfg), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf: larger than"));
    ck_assert_int_eq(krb_config_parse(ctx, text, KRB_CONFIG_MAX_BYTES, "t.conf", &cfg), KRB_OK);
    krb_config_free(cfg);
    free(text);
}
END_TEST

START_TEST(test_too_many_entries)
{
    size_t cap = (KRB_CONFIG_MAX_ENTRIES + 2) * 16 + 16, len = 0;
    char *text = malloc(cap);
    struct krb_config *cfg;

    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text, cap, "[realm R]\n");
    for (size_t i = 0; i < KRB_CONFIG_MAX_ENTRIES + 1; i++) {
        len += (size_t)snprintf(text + len, cap - len, "kdc = h%zu\n", i % 10);
    }
    ck_assert_int_eq(krb_config_parse(ctx, text, len, "t.conf", &cfg), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "t.conf:4098: more than 4096 settings"));
    free(text);
}
END_TEST

/* host:port parsing: row -> host and port, or error (port 0). */
static const struct {
    const char *in;
    const char *host;
    uint16_t port;
} hostports[] = {
    { "kdc.example.org", "kdc.example.org", KRB_DEFAULT_PORT },
    { "127.0.0.1:7089", "127.0.0.1", 7089 },
    { "127.0.0.1:1", "127.0.0.1", 1 },
    { "h:65535", "h", 65535 },
    { "[::1]:7090", "::1", 7090 },
    { "[::1]", "::1", KRB_DEFAULT_PORT },
    { "[fe80::1%eth0]:88", "fe80::1%eth0", 88 },
    { "h:0", NULL, 0 },
    { "h:65536", NULL, 0 },
    { "h:", NULL, 0 },
    { "h:x", NULL, 0 },
    { "h:80k", NULL, 0 },
    { "h:-1", NULL, 0 },
    { ":7088", NULL, 0 },
    { "", NULL, 0 },
    { "::1", NULL, 0 },
    { "::1:7088", NULL, 0 },
    { "[::1", NULL, 0 },
    { "[::1]x", NULL, 0 },
    { "[::1]:", NULL, 0 },
    { "[]:7088", NULL, 0 },
    { "[::1]:99999", NULL, 0 },
};

START_TEST(test_hostport)
{
    char host[64];
    uint16_t port = 0;
    krb_err rc = krb_parse_hostport(ctx, hostports[_i].in, host, sizeof host, &port);

    if (hostports[_i].host == NULL) {
        ck_assert_msg(rc == KRB_ERR_CONFIG, "'%s' accepted", hostports[_i].in);
        ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "address"));
    } else {
        ck_assert_msg(rc == KRB_OK, "'%s' rejected: %s", hostports[_i].in, krb_context_error(ctx));
        ck_assert_str_eq(host, hostports[_i].host);
        ck_assert_uint_eq(port, hostports[_i].port);
    }
}
END_TEST

START_TEST(test_hostport_capacity)
{
    char host[4];
    uint16_t port;

    ck_assert_int_eq(krb_parse_hostport(ctx, "abc:1", host, sizeof host, &port), KRB_OK);
    ck_assert_str_eq(host, "abc");
    ck_assert_int_eq(krb_parse_hostport(ctx, "abcd:1", host, sizeof host, &port), KRB_ERR_CONFIG);
    ck_assert_int_eq(krb_parse_hostport(ctx, "[abcd]:1", host, sizeof host, &port), KRB_ERR_CONFIG);
}
END_TEST

/* krb_context_new: explicit path, $TESSERA_CONFIG, missing files. */
START_TEST(test_context_env)
{
    char path[128];
    krb_context *c = NULL;

    snprintf(path, sizeof path, "%s/tessera.conf", tmpdir);
    write_file(path, "[libdefaults]\ndefault_realm = ENV.ORG\nclock_skew = 1m\n");
    ck_assert_int_eq(setenv("TESSERA_CONFIG", path, 1), 0);
    ck_assert_int_eq(krb_context_new(NULL, &c), KRB_OK);
    ck_assert_str_eq(krb_default_realm(c), "ENV.ORG");
    ck_assert(krb_clock_skew(c) == (krb_time)60 * 1000000);
    krb_context_free(c);
    /* An explicit path wins over the environment. */
    unlink(path);
    write_file(path, "[libdefaults]\ndefault_realm = FILE.ORG\n");
    ck_assert_int_eq(krb_context_new(path, &c), KRB_OK);
    ck_assert_str_eq(krb_default_realm(c), "FILE.ORG");
    ck_assert(krb_clock_skew(c) == (krb_time)300 * 1000000);
    krb_context_free(c);
    unlink(path);
    /* $TESSERA_CONFIG naming a missing file is an error, not the defaults. */
    c = NULL;
    ck_assert_int_eq(krb_context_new(NULL, &c), KRB_ERR_IO);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), path));
    ck_assert_str_eq(krb_default_realm(c), "");
    krb_context_free(c);
}
END_TEST

START_TEST(test_context_missing_files)
{
    char path[128];
    krb_context *c = NULL;

    snprintf(path, sizeof path, "%s/nope.conf", tmpdir);
    ck_assert_int_eq(krb_context_new(path, &c), KRB_ERR_IO);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "cannot open config file"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), path));
    krb_context_free(c);
    /* A directory is not a config file. */
    c = NULL;
    ck_assert_int_eq(krb_context_new(tmpdir, &c), KRB_ERR_IO);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "not a regular file"));
    krb_context_free(c);
    /* Default path absent: built-in defaults, no error. */
    if (access(KRB_CONFIG_DEFAULT_PATH, F_OK) != 0) {
        unsetenv("TESSERA_CONFIG");
        c = NULL;
        ck_assert_int_eq(krb_context_new(NULL, &c), KRB_OK);
        ck_assert_str_eq(krb_default_realm(c), "");
        ck_assert(krb_clock_skew(c) == (krb_time)300 * 1000000);
        krb_context_free(c);
        ck_assert_int_eq(setenv("TESSERA_CONFIG", "", 1), 0);
        ck_assert_int_eq(krb_context_new(NULL, &c), KRB_OK);
        krb_context_free(c);
    }
    krb_context_free(NULL);
}
END_TEST

START_TEST(test_context_bad_settings)
{
    char path[128];
    krb_context *c = NULL;

    snprintf(path, sizeof path, "%s/bad.conf", tmpdir);
    write_file(path, "[libdefaults]\nclock_skew = soon\n");
    ck_assert_int_eq(krb_context_new(path, &c), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "bad.conf:2: bad duration 'soon'"));
    krb_context_free(c);
    write_file(path, "[libdefaults]\ndefault_realm = A/B\n");
    ck_assert_int_eq(krb_context_new(path, &c), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "default_realm 'A/B' is not a valid realm"));
    krb_context_free(c);
    write_file(path, "[libdefaults]\n\n\nbogus = 1\n");
    ck_assert_int_eq(krb_context_new(path, &c), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "bad.conf:4: unknown key 'bogus'"));
    krb_context_free(c);
    unlink(path);
}
END_TEST

static krb_time fixed_clock(void *arg)
{
    return *(const krb_time *)arg;
}

START_TEST(test_context_clock)
{
    krb_time t = 1234567;
    krb_time before = krb_now(ctx);

    ck_assert(before > (krb_time)1600000000 * 1000000);
    krb_context_set_clock(ctx, fixed_clock, &t);
    ck_assert(krb_now(ctx) == 1234567);
    krb_context_set_clock(ctx, NULL, NULL);
    ck_assert(krb_now(ctx) >= before);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parse_sample);
    tcase_add_test(tc, test_empty_inputs);
    tcase_add_loop_test(tc, test_durations, 0, sizeof durations / sizeof durations[0]);
    tcase_add_test(tc, test_typed_errors);
    tcase_add_test(tc, test_bools);
    tcase_add_loop_test(tc, test_bad_files, 0, sizeof bad_files / sizeof bad_files[0]);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_too_many_entries);
    tcase_add_loop_test(tc, test_hostport, 0, sizeof hostports / sizeof hostports[0]);
    tcase_add_test(tc, test_hostport_capacity);
    tcase_add_test(tc, test_context_env);
    tcase_add_test(tc, test_context_missing_files);
    tcase_add_test(tc, test_context_bad_settings);
    tcase_add_test(tc, test_context_clock);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
