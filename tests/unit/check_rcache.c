/*
 * check_rcache.c — the replay cache file: replays seen in one process, in
 * another process and after reopening; expiry and slot reuse; full table
 * fails closed; threads; file safety (symlink, mode, owner, damaged file).
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context.h"
#include "rcache.h"

#define SVC "http/web1@EXAMPLE.ORG"
#define T0 ((krb_time)1800000000 * 1000000)
#define SKEW ((krb_time)300 * 1000000)

static krb_context *c;
static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tessera-rc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tessera.conf", dir);
    fclose(fopen(path, "w"));
    ck_assert_int_eq(krb_context_new(path, &c), KRB_OK);
    snprintf(path, sizeof path, "%s/rc", dir);
}

static void teardown(void)
{
    char cmd[128];

    krb_context_free(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Record ciphertext "ct-<i>" authenticated at time t, checked at now. */
static krb_err put(krb_rcache *rc, unsigned i, krb_time t, krb_time now)
{
    char ct[32];
    int n = snprintf(ct, sizeof ct, "ct-%u", i);

    return krb_rc_check_and_store(c, rc, SVC, (const uint8_t *)ct, (size_t)n, t + SKEW, now);
}

START_TEST(test_replay_and_distinct)
{
    krb_rcache *rc;

    ck_assert_int_eq(krb_rc_open_file(c, path, 64, &rc), KRB_OK);
    ck_assert_int_eq(put(rc, 1, T0, T0), KRB_OK);
    ck_assert_int_eq(put(rc, 1, T0, T0 + 1), KRB_ERR_REPEAT);
    ck_assert_int_eq(put(rc, 2, T0, T0), KRB_OK);
    /* Same ciphertext for another service is another key. */
    ck_assert_int_eq(krb_rc_check_and_store(c, rc, "http/web2@EXAMPLE.ORG", (const uint8_t *)"ct-1", 4, T0 + SKEW, T0),
                     KRB_OK);
    /* Live until ctime + skew inclusive, reusable after. */
    ck_assert_int_eq(put(rc, 1, T0, T0 + SKEW), KRB_ERR_REPEAT);
    ck_assert_int_eq(put(rc, 1, T0, T0 + SKEW + 1), KRB_OK);
    krb_rc_free(rc);
    /* The file is 0600. */
    {
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 0777, 0600);
        ck_assert_int_eq(st.st_size, KRB_RC_HEADER_BYTES + 64 * KRB_RC_ENTRY_BYTES);
    }
}
END_TEST

START_TEST(test_restart)
{
    krb_rcache *rc;

    ck_assert_int_eq(krb_rc_open_file(c, path, 64, &rc), KRB_OK);
    ck_assert_int_eq(put(rc, 7, T0, T0), KRB_OK);
    krb_rc_free(rc);
    /* Reopened with another slot count: the file's count wins. */
    ck_assert_int_eq(krb_rc_open_file(c, path, 4096, &rc), KRB_OK);
    ck_assert_int_eq(put(rc, 7, T0, T0), KRB_ERR_REPEAT);
    krb_rc_free(rc);
}
END_TEST

START_TEST(test_two_processes)
{
    krb_rcache *rc;
    pid_t pid;
    int status;

    ck_assert_int_eq(krb_rc_open_file(c, path, 256, &rc), KRB_OK);
    ck_assert_int_eq(put(rc, 1, T0, T0), KRB_OK);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        krb_rcache *rc2;
        int bad = 0;
        if (krb_rc_open_file(c, path, 0, &rc2) != KRB_OK) {
            _exit(10);
        }
        bad |= put(rc2, 1, T0, T0) != KRB_ERR_REPEAT;      /* parent's entry */
        for (unsigned i = 100; i < 150; i++) {
            bad |= put(rc2, i, T0, T0) != KRB_OK;          /* ours, for the parent */
        }
        _exit(bad);
    }
    /* Concurrently, from the parent. */
    for (unsigned i = 200; i < 250; i++) {
        ck_assert_int_eq(put(rc, i, T0, T0), KRB_OK);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    for (unsigned i = 100; i < 150; i++) {
        ck_assert_int_eq(put(rc, i, T0, T0), KRB_ERR_REPEAT);
    }
    krb_rc_free(rc);
}
END_TEST

static krb_rcache *shared_rc;
static int thread_bad;

static void *worker(void *arg)
{
    unsigned base = (unsigned)(uintptr_t)arg;

    for (unsigned i = 0; i < 200; i++) {
        if (put(shared_rc, base + i, T0, T0) != KRB_OK) {
            __atomic_store_n(&thread_bad, 1, __ATOMIC_SEQ_CST);
        }
    }
    return NULL;
}

START_TEST(test_threads)
{
    pthread_t t[4];

    ck_assert_int_eq(krb_rc_open_file(c, path, 4096, &shared_rc), KRB_OK);
    thread_bad = 0;
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i * 1000)), 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    ck_assert_int_eq(thread_bad, 0);
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned j = 0; j < 200; j++) {
            ck_assert_int_eq(put(shared_rc, i * 1000 + j, T0, T0), KRB_ERR_REPEAT);
        }
    }
    krb_rc_free(shared_rc);
}
END_TEST

START_TEST(test_full_fails_closed)
{
    krb_rcache *rc;

    ck_assert_int_eq(krb_rc_open_file(c, path, KRB_RC_SLOTS_MIN, &rc), KRB_OK);
    for (unsigned i = 0; i < KRB_RC_SLOTS_MIN; i++) {
        ck_assert_int_eq(put(rc, i, T0, T0), KRB_OK);
    }
    ck_assert_int_eq(put(rc, 99, T0, T0), KRB_ERR_RCACHE);
    /* Entries already there are still found as replays. */
    ck_assert_int_eq(put(rc, 0, T0, T0), KRB_ERR_REPEAT);
    /* Once they expire, slots are reused. */
    ck_assert_int_eq(put(rc, 99, T0 + 2 * SKEW, T0 + 2 * SKEW), KRB_OK);
    krb_rc_free(rc);
}
END_TEST

START_TEST(test_file_safety)
{
    krb_rcache *rc = NULL;
    char link[160], other[160];
    int fd;

    /* Symlink. */
    snprintf(link, sizeof link, "%s/link", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(krb_rc_open_file(c, link, 0, &rc), KRB_ERR_PERMISSION);
    ck_assert_ptr_null(rc);
    /* Group-readable file. */
    snprintf(other, sizeof other, "%s/wide", dir);
    fd = open(other, O_CREAT | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0644), 0);
    close(fd);
    ck_assert_int_eq(krb_rc_open_file(c, other, 0, &rc), KRB_ERR_PERMISSION);
    /* Not a replay cache. */
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "this is not a replay cache, not at all; it is some other file...", 64), 64);
    close(fd);
    ck_assert_int_eq(krb_rc_open_file(c, path, 0, &rc), KRB_ERR_RCACHE);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "not a Tessera replay cache"));
    /* A file of an older format: named as such, with what to do. */
    {
        uint8_t v1[KRB_RC_HEADER_BYTES] = { 'T', 'K', 'R', 'C', 0, 0, 0, 1, 0, 0, 4, 0, 0, 0, 0, 24 };
        fd = open(path, O_WRONLY | O_TRUNC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, v1, sizeof v1), (ssize_t)sizeof v1);
        close(fd);
    }
    ck_assert_int_eq(krb_rc_open_file(c, path, 0, &rc), KRB_ERR_RCACHE);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "has format 1, from an older Tessera"));
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "remove the file"));
    /* Directory missing. */
    ck_assert_int_eq(krb_rc_open_file(c, "/nonexistent-dir/rc", 0, &rc), KRB_ERR_RCACHE);
    /* Bad sizes. */
    ck_assert_int_eq(krb_rc_open_file(c, path, 2, &rc), KRB_ERR_INVALID_ARG);
    ck_assert_int_eq(krb_rc_open_file(c, path, KRB_RC_SLOTS_MAX + 1, &rc), KRB_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_default_path)
{
    krb_rcache *rc;
    char want[256];

    setenv("TESSERA_RCACHE_DIR", dir, 1);
    ck_assert_int_eq(krb_rc_open(c, SVC, &rc), KRB_OK);
    snprintf(want, sizeof want, "%s/tessera_rc_%u_http_web1_EXAMPLE.ORG", dir, (unsigned)geteuid());
    ck_assert_str_eq(krb_rc_path(rc), want);
    krb_rc_free(rc);
    ck_assert_int_eq(krb_rc_open(c, "not a name@", &rc), KRB_ERR_BAD_NAME);
    unsetenv("TESSERA_RCACHE_DIR");
    krb_rc_free(NULL);
}
END_TEST

static Suite *rc_suite(void)
{
    Suite *s = suite_create("rcache");
    TCase *tc = tcase_create("rcache");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_replay_and_distinct);
    tcase_add_test(tc, test_restart);
    tcase_add_test(tc, test_two_processes);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_full_fails_closed);
    tcase_add_test(tc, test_file_safety);
    tcase_add_test(tc, test_default_path);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
