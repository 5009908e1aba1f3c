/* check_ccache.c — credential cache: round trips, atomic replace, file
 * modes, symlinks, a table of corrupt images with exact errors, destroy. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "codec.h"
#include "creds.h"
#include "crypto.h"
#include "krb.h"

#define ALICE "alice@EXAMPLE.ORG"
#define TGS "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG"
#define T0 ((krb_time)1767225600 * 1000000) /* 2026-01-01 */

static char dir[PATH_MAX];
static char ccpath[PATH_MAX];
static krb_context *ctx;

static void setup(void)
{
    char conf[PATH_MAX];
    FILE *f;

    snprintf(dir, sizeof dir, "/tmp/check_ccache.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/tessera.conf", dir);
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[libdefaults]\ndefault_realm = EXAMPLE.ORG\n", f);
    fclose(f);
    ck_assert_int_eq(krb_context_new(conf, &ctx), KRB_OK);
    snprintf(ccpath, sizeof ccpath, "%s/cc", dir);
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];

    krb_context_free(ctx);
    ctx = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Credentials for server with a real ticket sealed under a throwaway key. */
static void make_creds(struct krb_creds *cr, const char *client, const char *server, uint32_t kvno, krb_time end)
{
    struct krb_key skey;
    struct krb_ticket_part part;
    struct krb_wr w;

    memset(cr, 0, sizeof *cr);
    memset(&part, 0, sizeof part);
    ck_assert_int_eq(krb_key_random(&skey, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    ck_assert_int_eq(krb_key_random(&part.session, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    snprintf(part.client, sizeof part.client, "%s", client);
    part.authtime = part.starttime = T0;
    part.endtime = end;
    part.flags = KRB_TKT_FLAG_INITIAL;
    krb_wr_init(&w, cr->ticket, sizeof cr->ticket);
    krb_ticket_encode(&w, server, kvno, &skey, &part);
    ck_assert_int_eq(w.err, KRB_OK);
    cr->ticket_len = (uint16_t)w.len;
    snprintf(cr->client, sizeof cr->client, "%s", client);
    snprintf(cr->server, sizeof cr->server, "%s", server);
    cr->session = part.session;
    cr->authtime = cr->starttime = T0;
    cr->endtime = end;
    cr->renew_till = end + 1000000;
    cr->flags = KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_RENEWABLE;
    cr->kvno = kvno;
    cr->suite = KRB_SUITE_XCHACHA20POLY1305;
    krb_key_wipe(&skey);
    krb_wipe(&part, sizeof part);
}

static krb_ccache *fill_cache(struct krb_creds cr[3])
{
    krb_ccache *cc;

    make_creds(&cr[0], ALICE, TGS, 1, T0 + 36000000000LL);
    make_creds(&cr[1], ALICE, "http/web1@EXAMPLE.ORG", 3, T0 + 7200000000LL);
    make_creds(&cr[2], ALICE, "host/db\\/x@EXAMPLE.ORG", 7, T0 + 60000000LL);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_int_eq(krb_cc_initialize(ctx, cc, ALICE), KRB_OK);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(krb_cc_store(ctx, cc, &cr[i]), KRB_OK);
    }
    return cc;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat st;
    uint8_t *b;
    FILE *f = fopen(path, "rb");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fstat(fileno(f), &st), 0);
    b = malloc((size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(b);
    *n = fread(b, 1, (size_t)st.st_size, f);
    ck_assert_uint_eq(*n, (size_t)st.st_size);
    fclose(f);
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

START_TEST(test_missing_is_empty)
{
    krb_ccache *cc;
    krb_cred_info info;

    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_str_eq(krb_cc_principal(cc), "");
    ck_assert_uint_eq(krb_cc_count(cc), 0);
    ck_assert_str_eq(krb_cc_path(cc), ccpath);
    ck_assert_int_eq(krb_cc_get_info(cc, 0, &info), KRB_ERR_INVALID_ARG);
    krb_cc_free(cc);
    krb_cc_free(NULL);
}
END_TEST

START_TEST(test_roundtrip)
{
    struct krb_creds cr[3], got;
    krb_cred_info info;
    krb_ccache *cc = fill_cache(cr);

    krb_cc_free(cc);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_str_eq(krb_cc_principal(cc), ALICE);
    ck_assert_uint_eq(krb_cc_count(cc), 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(krb_cc_get_info(cc, i, &info), KRB_OK);
        ck_assert_str_eq(info.client, ALICE);
        ck_assert_str_eq(info.server, cr[i].server);
        ck_assert(info.endtime == cr[i].endtime);
        ck_assert(info.renew_till == cr[i].renew_till);
        ck_assert_uint_eq(info.kvno, cr[i].kvno);
        ck_assert_uint_eq(info.flags, cr[i].flags);
        ck_assert_int_eq(krb_cc_find(ctx, cc, cr[i].server, &got), KRB_OK);
        ck_assert(memcmp(&got.session, &cr[i].session, sizeof got.session) == 0);
        ck_assert_uint_eq(got.ticket_len, cr[i].ticket_len);
        ck_assert(memcmp(got.ticket, cr[i].ticket, got.ticket_len) == 0);
    }
    ck_assert_int_eq(krb_cc_find(ctx, cc, "nosuch@EXAMPLE.ORG", &got), KRB_ERR_NO_CREDS);

    /* Replace one entry: same count, new value. */
    cr[1].endtime += 5000000;
    ck_assert_int_eq(krb_cc_store(ctx, cc, &cr[1]), KRB_OK);
    krb_cc_free(cc);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(cc), 3);
    ck_assert_int_eq(krb_cc_find(ctx, cc, cr[1].server, &got), KRB_OK);
    ck_assert(got.endtime == cr[1].endtime);

    /* Re-initialising drops everything. */
    ck_assert_int_eq(krb_cc_initialize(ctx, cc, "bob@EXAMPLE.ORG"), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(cc), 0);
    ck_assert_int_eq(krb_cc_store(ctx, cc, &cr[0]), KRB_ERR_INVALID_ARG); /* alice's creds, bob's cache */
    krb_cc_free(cc);
    krb_creds_wipe(&got);
    for (int i = 0; i < 3; i++) {
        krb_creds_wipe(&cr[i]);
    }
}
END_TEST

START_TEST(test_file_prefix_and_env)
{
    struct krb_creds cr[3];
    char spec[PATH_MAX + 8];
    krb_ccache *cc = fill_cache(cr);

    krb_cc_free(cc);
    snprintf(spec, sizeof spec, "FILE:%s", ccpath);
    ck_assert_int_eq(krb_cc_open(ctx, spec, &cc), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(cc), 3);
    ck_assert_str_eq(krb_cc_path(cc), ccpath);
    krb_cc_free(cc);
    ck_assert_int_eq(setenv("TESSERA_CCNAME", ccpath, 1), 0);
    ck_assert_int_eq(krb_cc_open(ctx, NULL, &cc), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(cc), 3);
    krb_cc_free(cc);
    ck_assert_int_eq(unsetenv("TESSERA_CCNAME"), 0);
}
END_TEST

START_TEST(test_mode_and_atomic_replace)
{
    struct krb_creds cr[3];
    struct stat st1, st2;
    krb_ccache *cc = fill_cache(cr);
    char cmd[PATH_MAX + 64];

    ck_assert_int_eq(lstat(ccpath, &st1), 0);
    ck_assert(S_ISREG(st1.st_mode));
    ck_assert_uint_eq(st1.st_mode & 0777, 0600);
    ck_assert_uint_eq(st1.st_uid, geteuid());
    /* A store writes a new file and renames it over the old one: the old
     * inode (which an open reader may hold) is never modified in place. */
    ck_assert_int_eq(krb_cc_store(ctx, cc, &cr[2]), KRB_OK);
    ck_assert_int_eq(lstat(ccpath, &st2), 0);
    ck_assert(st1.st_ino != st2.st_ino);
    ck_assert_uint_eq(st2.st_mode & 0777, 0600);
    /* No temporary file left behind. */
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", dir);
    ck_assert_int_eq(system(cmd), 0);
    krb_cc_free(cc);
}
END_TEST

START_TEST(test_umask_does_not_matter)
{
    struct krb_creds cr[3];
    struct stat st;
    mode_t old = umask(0);
    krb_ccache *cc = fill_cache(cr);

    umask(old);
    ck_assert_int_eq(stat(ccpath, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    krb_cc_free(cc);
}
END_TEST

START_TEST(test_symlink_refused)
{
    struct krb_creds cr[3];
    char target[PATH_MAX + 8], link[PATH_MAX + 8];
    krb_ccache *cc = fill_cache(cr);
    size_t n1, n2;
    uint8_t *before, *after;

    krb_cc_free(cc);
    snprintf(target, sizeof target, "%s", ccpath);
    snprintf(link, sizeof link, "%s/link", dir);
    ck_assert_int_eq(symlink(target, link), 0);
    ck_assert_int_eq(krb_cc_open(ctx, link, &cc), KRB_ERR_PERMISSION);
    ck_assert_ptr_null(cc);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "symbolic link"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), link));

    /* A dangling symlink is refused too (no creation through it). */
    ck_assert_int_eq(unlink(link), 0);
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    ck_assert_int_eq(symlink(target, link), 0);
    ck_assert_int_eq(krb_cc_open(ctx, link, &cc), KRB_ERR_PERMISSION);
    ck_assert_int_eq(access(target, F_OK), -1);

    /* Saving over a path that became a symlink replaces the link itself,
     * never writes to its target. */
    before = slurp(ccpath, &n1);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_int_eq(unlink(ccpath), 0);
    spit(target, before, n1, 0600);
    ck_assert_int_eq(symlink(target, ccpath), 0);
    ck_assert_int_eq(krb_cc_store(ctx, cc, &cr[0]), KRB_OK);
    after = slurp(target, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(before, after, n1) == 0);
    {
        struct stat st;
        ck_assert_int_eq(lstat(ccpath, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
    }
    free(before);
    free(after);
    krb_cc_free(cc);
}
END_TEST

START_TEST(test_group_readable_refused)
{
    struct krb_creds cr[3];
    krb_ccache *cc = fill_cache(cr);

    krb_cc_free(cc);
    ck_assert_int_eq(chmod(ccpath, 0640), 0);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_ERR_PERMISSION);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "group or others"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "0640"));
    ck_assert_int_eq(chmod(ccpath, 0604), 0);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_ERR_PERMISSION);
    ck_assert_int_eq(chmod(ccpath, 0600), 0);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    krb_cc_free(cc);
}
END_TEST

START_TEST(test_not_regular_refused)
{
    krb_ccache *cc;

    ck_assert_int_eq(krb_cc_open(ctx, dir, &cc), KRB_ERR_PERMISSION); /* a directory (mode 0700) */
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "not a regular file"));
}
END_TEST

START_TEST(test_destroy_wipes)
{
    struct krb_creds cr[3];
    char hard[PATH_MAX + 8];
    krb_ccache *cc = fill_cache(cr);
    uint8_t *b;
    size_t n;

    /* A hard link shows what happened to the file's bytes. */
    snprintf(hard, sizeof hard, "%s/hard", dir);
    ck_assert_int_eq(link(ccpath, hard), 0);
    ck_assert_int_eq(krb_cc_destroy(ctx, cc), KRB_OK);
    ck_assert_int_eq(access(ccpath, F_OK), -1);
    ck_assert_uint_eq(krb_cc_count(cc), 0);
    ck_assert_str_eq(krb_cc_principal(cc), "");
    b = slurp(hard, &n);
    ck_assert_uint_gt(n, 100);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(b[i], 0);
    }
    free(b);
    ck_assert_int_eq(krb_cc_destroy(ctx, cc), KRB_ERR_NO_CREDS);
    krb_cc_free(cc);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_OK);
    ck_assert_int_eq(krb_cc_destroy(ctx, cc), KRB_ERR_NO_CREDS);
    krb_cc_free(cc);
}
END_TEST

START_TEST(test_corrupt_file_detail)
{
    struct krb_creds cr[3];
    krb_ccache *cc = fill_cache(cr);
    uint8_t *b;
    size_t n;

    krb_cc_free(cc);
    b = slurp(ccpath, &n);
    spit(ccpath, b, n - 1, 0600);
    ck_assert_int_eq(krb_cc_open(ctx, ccpath, &cc), KRB_ERR_MALFORMED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "corrupt"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), ccpath));
    free(b);
}
END_TEST

/* ---- the table of hostile images ---- */

enum mut {
    M_NONE,
    M_EMPTY,
    M_HEADER_ONLY,
    M_TRUNC_MID,
    M_TRAILING,
    M_BAD_MAGIC,
    M_VERSION,
    M_WRONG_TYPE,
    M_COUNT_HIGH,
    M_COUNT_OVER_LIMIT,
    M_OTHER_CLIENT,
    M_UNKNOWN_FLAG,
    M_DUP_SERVER,
    M_KVNO_MISMATCH,
    M_SERVER_MISMATCH,
    M_BAD_SUITE,
    M_BAD_PRINCIPAL,
    M_EMPTY_PRINCIPAL,
    M_EMPTY_TICKET,
    M_ENDS_BEFORE_START,
    M_BIG_TICKET,
};

static const struct {
    const char *what;
    enum mut m;
    krb_err want;
} rows[] = {
    { "valid image", M_NONE, KRB_OK },
    { "empty file", M_EMPTY, KRB_ERR_MALFORMED },
    { "header only", M_HEADER_ONLY, KRB_ERR_MALFORMED },
    { "truncated inside an entry", M_TRUNC_MID, KRB_ERR_MALFORMED },
    { "trailing byte", M_TRAILING, KRB_ERR_TRAILING },
    { "bad magic", M_BAD_MAGIC, KRB_ERR_MALFORMED },
    { "other protocol version", M_VERSION, KRB_ERR_UNSUPPORTED },
    { "keytab header", M_WRONG_TYPE, KRB_ERR_MALFORMED },
    { "count larger than entries", M_COUNT_HIGH, KRB_ERR_MALFORMED },
    { "count over the limit", M_COUNT_OVER_LIMIT, KRB_ERR_TOO_BIG },
    { "entry for another client", M_OTHER_CLIENT, KRB_ERR_MALFORMED },
    { "unknown ticket flag", M_UNKNOWN_FLAG, KRB_ERR_MALFORMED },
    { "duplicate server", M_DUP_SERVER, KRB_ERR_MALFORMED },
    { "kvno differs from ticket", M_KVNO_MISMATCH, KRB_ERR_MALFORMED },
    { "server differs from ticket", M_SERVER_MISMATCH, KRB_ERR_MALFORMED },
    { "unsupported key suite", M_BAD_SUITE, KRB_ERR_ETYPE_NOSUPP },
    { "malformed principal", M_BAD_PRINCIPAL, KRB_ERR_BAD_NAME },
    { "empty principal", M_EMPTY_PRINCIPAL, KRB_ERR_MALFORMED },
    { "empty ticket", M_EMPTY_TICKET, KRB_ERR_MALFORMED },
    { "ends before it starts", M_ENDS_BEFORE_START, KRB_ERR_MALFORMED },
    { "ticket over the maximum", M_BIG_TICKET, KRB_ERR_TOO_BIG },
};

static void wr_entry_t(struct krb_wr *w, const struct krb_creds *cr, const char *client, uint32_t flags,
                       uint32_t kvno, uint16_t keysuite, krb_time start, size_t tlen)
{
    struct krb_key k = cr->session;

    k.suite = keysuite;
    krb_wr_name(w, client);
    krb_wr_name(w, cr->server);
    krb_wr_key(w, &k);
    krb_wr_u64(w, (uint64_t)cr->authtime);
    krb_wr_u64(w, (uint64_t)start);
    krb_wr_u64(w, (uint64_t)cr->endtime);
    krb_wr_u64(w, (uint64_t)cr->renew_till);
    krb_wr_u32(w, flags);
    krb_wr_u32(w, kvno);
    krb_wr_u16(w, cr->suite);
    if (tlen > KRB_TICKET_MAX) {
        static uint8_t big[KRB_TICKET_MAX + 1];
        krb_wr_vec16(w, big, sizeof big);
    } else {
        krb_wr_vec16(w, cr->ticket, tlen);
    }
}

START_TEST(test_hostile_table)
{
    static uint8_t img[3 * KRB_CC_ENTRY_MAX + 512];
    struct krb_creds a, b;
    struct krb_wr w;
    krb_ccache *cc = NULL;
    enum mut m = rows[_i].m;
    size_t len;
    krb_err rc;

    make_creds(&a, ALICE, TGS, 1, T0 + 1000000);
    make_creds(&b, ALICE, "http/web1@EXAMPLE.ORG", 2, T0 + 2000000);
    if (m == M_SERVER_MISMATCH) {
        /* b's entry claims to be for a server its ticket is not for. */
        snprintf(b.server, sizeof b.server, "http/web2@EXAMPLE.ORG");
    }
    krb_wr_init(&w, img, sizeof img);
    if (m == M_BAD_MAGIC) {
        krb_wr_u8(&w, 'X');
        krb_wr_u8(&w, 'K');
        krb_wr_u8(&w, 1);
        krb_wr_u8(&w, KRB_MSG_CCACHE);
    } else if (m == M_VERSION) {
        krb_wr_u8(&w, KRB_MAGIC0);
        krb_wr_u8(&w, KRB_MAGIC1);
        krb_wr_u8(&w, 2);
        krb_wr_u8(&w, KRB_MSG_CCACHE);
    } else {
        krb_wr_header(&w, m == M_WRONG_TYPE ? KRB_MSG_KEYTAB : KRB_MSG_CCACHE);
    }
    if (m == M_BAD_PRINCIPAL) {
        krb_wr_str8(&w, "alice@@EXAMPLE.ORG");
    } else if (m == M_EMPTY_PRINCIPAL) {
        krb_wr_u8(&w, 0);
    } else {
        krb_wr_name(&w, ALICE);
    }
    krb_wr_u16(&w, m == M_COUNT_HIGH ? 3 : m == M_COUNT_OVER_LIMIT ? KRB_CC_MAX_ENTRIES + 1 : 2);
    wr_entry_t(&w, &a, ALICE, a.flags, a.kvno, a.session.suite, a.starttime, a.ticket_len);
    if (m == M_DUP_SERVER) {
        wr_entry_t(&w, &a, ALICE, a.flags, a.kvno, a.session.suite, a.starttime, a.ticket_len);
    } else {
        wr_entry_t(&w, &b, m == M_OTHER_CLIENT ? "bob@EXAMPLE.ORG" : ALICE,
                   m == M_UNKNOWN_FLAG ? b.flags | 0x100 : b.flags, m == M_KVNO_MISMATCH ? b.kvno + 1 : b.kvno,
                   m == M_BAD_SUITE ? 99 : b.session.suite,
                   m == M_ENDS_BEFORE_START ? b.endtime + 1 : b.starttime,
                   m == M_EMPTY_TICKET ? 0 : m == M_BIG_TICKET ? KRB_TICKET_MAX + 1 : b.ticket_len);
    }
    if (m == M_TRAILING) {
        krb_wr_u8(&w, 0);
    }
    ck_assert_int_eq(w.err, KRB_OK);
    len = w.len;
    if (m == M_EMPTY) {
        len = 0;
    } else if (m == M_HEADER_ONLY) {
        len = KRB_HEADER_BYTES;
    } else if (m == M_TRUNC_MID) {
        len -= 40;
    }
    rc = krb_cc_parse(ctx, img, len, &cc);
    ck_assert_msg(rc == rows[_i].want, "row '%s': got %s, want %s (%s)", rows[_i].what, krb_err_name(rc),
                  krb_err_name(rows[_i].want), krb_context_error(ctx));
    if (rc == KRB_OK) {
        ck_assert_ptr_nonnull(cc);
        ck_assert_uint_eq(krb_cc_count(cc), 2);
        /* Every strict prefix of a valid image is rejected. */
        for (size_t cut = 0; cut < len; cut++) {
            krb_ccache *p = NULL;
            ck_assert_int_ne(krb_cc_parse(NULL, img, cut, &p), KRB_OK);
            ck_assert_ptr_null(p);
        }
    } else {
        ck_assert_ptr_null(cc);
        ck_assert_ptr_nonnull(strstr(krb_context_error(ctx), "corrupt"));
    }
    krb_cc_free(cc);
    krb_creds_wipe(&a);
    krb_creds_wipe(&b);
}
END_TEST

START_TEST(test_encoded_image_is_canonical)
{
    struct krb_creds cr[3];
    krb_ccache *cc = fill_cache(cr), *p = NULL;
    uint8_t *b;
    size_t n;

    krb_cc_free(cc);
    b = slurp(ccpath, &n);
    ck_assert_int_eq(krb_cc_parse(ctx, b, n, &p), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(p), 3);
    ck_assert_str_eq(krb_cc_path(p), "");
    /* an in-memory cache is never written anywhere */
    ck_assert_int_eq(krb_cc_store(ctx, p, &cr[0]), KRB_ERR_INVALID_ARG);
    krb_cc_free(p);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ccache");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_missing_is_empty);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_file_prefix_and_env);
    tcase_add_test(tc, test_mode_and_atomic_replace);
    tcase_add_test(tc, test_umask_does_not_matter);
    tcase_add_test(tc, test_symlink_refused);
    tcase_add_test(tc, test_group_readable_refused);
    tcase_add_test(tc, test_not_regular_refused);
    tcase_add_test(tc, test_destroy_wipes);
    tcase_add_test(tc, test_corrupt_file_detail);
    tcase_add_loop_test(tc, test_hostile_table, 0, sizeof rows / sizeof rows[0]);
    tcase_add_test(tc, test_encoded_image_is_canonical);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
