/*
 * kdb_bulk — benchmark helper for tests/integration/bench_100k.sh and
 * scripts/bench.sh (not a test, not installed):
 *
 *   kdb_bulk gen DBDIR STASH N   a dump of N principals userNNNNNNN@REALM
 *                                with fresh random keys sealed under the
 *                                realm's master key (load with tkadmin load).
 *                                Each key carries a random salt and the
 *                                realm's Argon2id cost, so records are the
 *                                size of password principals' (deriving
 *                                100,000 keys from passwords would take
 *                                minutes; the KDC does not derive them).
 *   kdb_bulk get DBDIR STASH N   1,000,000 kdb_get of random existing names
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "kdb.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int gen(krb_context *c, struct kdb *db, long n)
{
    struct kdb_principal p;

    if (kdb_dump_header(c, db, stdout) != KRB_OK) {
        return 1;
    }
    for (long i = 0; i < n; i++) {
        memset(&p, 0, sizeof p);
        snprintf(p.name, sizeof p.name, "user%07ld@%s", i, kdb_realm(db));
        p.flags = KDB_F_REQUIRES_PREAUTH;
        p.mod_time = 1700000000000000LL;
        if (kdb_key_add(c, db, &p, NULL, 0) != KRB_OK) {
            return 1;
        }
        p.keys[0].has_salt = 1;
        randombytes_buf(p.keys[0].salt, sizeof p.keys[0].salt);
        p.keys[0].ops = 2;
        p.keys[0].memkib = 65536;
        if (kdb_dump_principal(c, &p, stdout) != KRB_OK) {
            return 1;
        }
    }
    printf("end\t%ld\n", n);
    return 0;
}

static int get(krb_context *c, struct kdb *db, long n)
{
    struct kdb_principal p;
    long iters = 1000000, miss = 0;
    char name[KRB_NAME_MAX + 1];
    double t0 = now_s(), dt;

    srand(1);
    for (long i = 0; i < iters; i++) {
        snprintf(name, sizeof name, "user%07ld@%s", (long)(rand() % n), kdb_realm(db));
        if (kdb_get(c, db, name, &p) != KRB_OK) {
            miss++;
        }
    }
    dt = now_s() - t0;
    printf("kdb_get: %ld lookups in %.3f s = %.2f us each (%ld misses)\n", iters, dt, dt * 1e6 / (double)iters, miss);
    return 0;
}

int main(int argc, char **argv)
{
    krb_context *c = NULL;
    struct kdb *db = NULL;
    long n = argc == 5 ? atol(argv[4]) : 0;
    int rc = 1;

    if (argc != 5 || n <= 0 || (strcmp(argv[1], "gen") != 0 && strcmp(argv[1], "get") != 0)) {
        fprintf(stderr, "usage: kdb_bulk gen|get DBDIR STASH N\n");
        return 2;
    }
    if (krb_context_new(NULL, &c) != KRB_OK || kdb_open(c, argv[2], argv[3], KDB_RDONLY, 0, &db) != KRB_OK) {
        goto out;
    }
    rc = strcmp(argv[1], "gen") == 0 ? gen(c, db, n) : get(c, db, n);
out:
    if (rc != 0) {
        fprintf(stderr, "kdb_bulk: %s\n", c != NULL ? krb_context_error(c) : "cannot initialise");
    }
    kdb_close(db);
    krb_context_free(c);
    return rc;
}
