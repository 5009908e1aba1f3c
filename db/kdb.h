/*
 * kdb.h — the principal store on LMDB (the one public header of db/).
 *
 * One LMDB environment (a directory) with three named databases:
 * "principals" (key: canonical name), "policies" (key: policy name) and
 * "meta" (schema version, realm, master-key check value). Keys inside a
 * principal record are sealed under the master key (usage KRB_USAGE_DB_KEY)
 * with the principal name and kvno as associated data. The master key comes
 * from a stash file (mode 0600, refused if group/world accessible).
 *
 * LMDB types and codes never leave db/: every function returns krb_err with
 * a detail on the context that names the remedy.
 */
#ifndef TESSERA_KDB_H
#define TESSERA_KDB_H

#include <stdint.h>
#include <stdio.h>

#include "crypto.h"
#include "krb.h"

struct kdb;

#define KDB_SCHEMA_VERSION 1
#define KDB_MAX_KEYS 8         /* kvnos kept per principal (oldest dropped first) */
#define KDB_POLICY_NAME_MAX 63

/* Principal flags */
#define KDB_F_REQUIRES_PREAUTH 0x0001u
#define KDB_F_DISALLOW_SVR 0x0002u        /* no service tickets for this principal */
#define KDB_F_DISALLOW_TGT_BASED 0x0004u  /* no TGS requests by this client */
#define KDB_F_LOCKED 0x0008u              /* administratively locked / disabled */
#define KDB_F_DISALLOW_RENEWABLE 0x0010u

/* Open flags */
#define KDB_RDONLY 0x0
#define KDB_RDWR 0x1

/* One key version as stored: sealed, with how it was derived. */
struct kdb_key {
    uint32_t kvno;
    uint16_t suite;
    uint8_t has_salt;             /* 1: derived from a password (salt/ops/memkib valid) */
    uint8_t salt[KRB_SALT_BYTES];
    uint32_t ops, memkib;
    uint8_t sealed[KRB_KEY_BYTES + KRB_SEAL_OVERHEAD_MAX];
    uint16_t sealed_len;
};

struct kdb_principal {
    char name[KRB_NAME_MAX + 1];
    uint32_t flags;       /* KDB_F_* */
    krb_time max_life;    /* 0: realm default */
    krb_time max_renew;   /* 0: realm default */
    krb_time expire;      /* principal expiry, 0: never */
    krb_time pw_expire;   /* password expiry, 0: never */
    uint32_t fail_count;  /* consecutive pre-auth failures */
    krb_time last_failed, last_success, mod_time;
    char policy[KDB_POLICY_NAME_MAX + 1]; /* "" for none */
    uint8_t nkeys;        /* keys[0] is the newest kvno */
    struct kdb_key keys[KDB_MAX_KEYS];
};

struct kdb_policy {
    char name[KDB_POLICY_NAME_MAX + 1];
    uint32_t min_length;       /* password length */
    uint32_t min_classes;      /* character classes (lower, upper, digit, other) */
    uint32_t history;          /* old kvnos kept on password change (1..KDB_MAX_KEYS) */
    uint32_t max_failures;     /* pre-auth failures before lockout, 0: never */
    krb_time lockout_duration; /* 0: until an admin unlocks */
    krb_time failure_window;   /* failures older than this are forgotten, 0: never */
};

/*
 * Create a new realm database at dir (created, must not hold a database):
 * a fresh master key written to stash (0600, atomically), the meta records.
 * map_size 0 means the default (1 GiB). Errors: KRB_ERR_EXISTS, KRB_ERR_IO,
 * KRB_ERR_DB_FULL...
 */
KRB_WUR krb_err kdb_create(krb_context *c, const char *dir, const char *stash, const char *realm, uint64_t map_size,
                           struct kdb **out);
/* Open an existing database. Errors: KRB_ERR_MKEY (stash missing/wrong),
 * KRB_ERR_PERMISSION (stash group/world accessible), KRB_ERR_DB_VERSION. */
KRB_WUR krb_err kdb_open(krb_context *c, const char *dir, const char *stash, int flags, uint64_t map_size,
                         struct kdb **out);
void kdb_close(struct kdb *db);
const char *kdb_realm(const struct kdb *db);

/* Principals. kdb_get: KRB_ERR_UNKNOWN_PRINCIPAL when absent. kdb_put with
 * create=1 fails with KRB_ERR_EXISTS if present; create=0 replaces. */
KRB_WUR krb_err kdb_get(krb_context *c, struct kdb *db, const char *name, struct kdb_principal *out);
KRB_WUR krb_err kdb_put(krb_context *c, struct kdb *db, const struct kdb_principal *p, int create);
KRB_WUR krb_err kdb_delete(krb_context *c, struct kdb *db, const char *name);
/* Call fn for every principal whose name matches glob (fnmatch; NULL: all),
 * in name order, inside one read transaction. fn returning non-zero stops. */
KRB_WUR krb_err kdb_iterate(krb_context *c, struct kdb *db, const char *glob,
                            int (*fn)(const struct kdb_principal *p, void *arg), void *arg);

/* Unseal the key of kvno (0: newest) into out (a stack key, caller wipes).
 * *kvno_out gets the kvno used. Errors: KRB_ERR_BADKEYVER, KRB_ERR_MODIFIED. */
KRB_WUR krb_err kdb_key_get(krb_context *c, struct kdb *db, const struct kdb_principal *p, uint32_t kvno,
                            struct krb_key *out, uint32_t *kvno_out);
/* Add a new kvno to p (in memory; kdb_put stores it) derived from password
 * with a fresh salt and the realm's Argon2id cost, or random when password
 * is NULL. keep: how many older kvnos to keep (0: drop all older). */
KRB_WUR krb_err kdb_key_add(krb_context *c, struct kdb *db, struct kdb_principal *p, const char *password,
                            uint32_t keep);
/* The stored Argon2id cost for new password keys (set at create from config). */
void kdb_pwhash_params(const struct kdb *db, uint32_t *ops, uint32_t *memkib);
KRB_WUR krb_err kdb_set_pwhash_params(krb_context *c, struct kdb *db, uint32_t ops, uint32_t memkib);

/* Record a pre-authentication result in one short write transaction:
 * failure increments fail_count and sets last_failed; success resets
 * fail_count and sets last_success (written only if fail_count was non-zero
 * or last_success is older than min_interval, so successes do not make the
 * store a bottleneck). A read comes first: an unknown name gets
 * KRB_ERR_UNKNOWN_PRINCIPAL without the writer lock being taken. */
KRB_WUR krb_err kdb_record_auth(krb_context *c, struct kdb *db, const char *name, int success, krb_time now,
                                krb_time min_interval);
/* 1 if p is locked now: KDB_F_LOCKED, or its policy's max_failures reached
 * within lockout_duration. */
int kdb_is_locked(krb_context *c, struct kdb *db, const struct kdb_principal *p, krb_time now);

/* Policies: same conventions as principals (KRB_ERR_POLICY_UNKNOWN). */
KRB_WUR krb_err kdb_policy_get(krb_context *c, struct kdb *db, const char *name, struct kdb_policy *out);
KRB_WUR krb_err kdb_policy_put(krb_context *c, struct kdb *db, const struct kdb_policy *p, int create);
KRB_WUR krb_err kdb_policy_delete(krb_context *c, struct kdb *db, const char *name);
KRB_WUR krb_err kdb_policy_iterate(krb_context *c, struct kdb *db,
                                   int (*fn)(const struct kdb_policy *p, void *arg), void *arg);
/* Check a password against a policy (NULL: no policy). KRB_ERR_PASSWORD_WEAK
 * with a detail saying which rule failed. */
KRB_WUR krb_err kdb_password_check(krb_context *c, const struct kdb_policy *pol, const char *password);

/* Hot backup (LMDB copy with compaction) into an empty directory. */
KRB_WUR krb_err kdb_backup(krb_context *c, struct kdb *db, const char *dir);
/* Dump every policy and principal as versioned text (keys stay sealed);
 * load reads it into db in one transaction (all or nothing). */
KRB_WUR krb_err kdb_dump(krb_context *c, struct kdb *db, FILE *out);
KRB_WUR krb_err kdb_load(krb_context *c, struct kdb *db, FILE *in, const char *fname);

/* Record encoding (exposed for tests and the fuzz target). The record does
 * not hold the name (it is the LMDB key): decode takes it, as stored in the
 * key (name_len bytes, no NUL), and checks it. */
KRB_WUR krb_err kdb_record_encode(const struct kdb_principal *p, uint8_t *buf, size_t cap, size_t *len);
KRB_WUR krb_err kdb_record_decode(const void *name, size_t name_len, const uint8_t *p, size_t n,
                                  struct kdb_principal *out);

/* ---- Additions (kdb.c, dump.c) ---- */

/* How long a writer waits for another writer (process or thread) before
 * failing with KRB_ERR_DB_LOCKED; default 3 s. Set once after open. */
void kdb_set_lock_timeout(struct kdb *db, krb_time timeout);

/* Read-modify-write of one principal in a single write transaction: fn gets
 * the current record (it may call kdb_key_add) and returns KRB_OK to store
 * it or an error to abandon the change. KRB_ERR_UNKNOWN_PRINCIPAL when
 * absent. fn must not start other write transactions. */
KRB_WUR krb_err kdb_update(krb_context *c, struct kdb *db, const char *name,
                           krb_err (*fn)(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg),
                           void *arg);

/* Number of principals and policies (for "is the database empty"). */
KRB_WUR krb_err kdb_count(krb_context *c, struct kdb *db, uint64_t *nprinc, uint64_t *npol);

/* load flags */
#define KDB_LOAD_UPDATE 0x1 /* merge into a non-empty database (replace same-named entries) */
/* kdb_load refuses a database that already holds principals or policies
 * (KRB_ERR_EXISTS); kdb_load_ex with KDB_LOAD_UPDATE merges instead. Errors
 * in the input are KRB_ERR_MALFORMED with "fname:line: what". A dump made
 * under another master key is KRB_ERR_MKEY, another realm KRB_ERR_WRONG_REALM. */
KRB_WUR krb_err kdb_load_ex(krb_context *c, struct kdb *db, FILE *in, const char *fname, unsigned flags);
/* Dump building blocks (used by kdb_dump; exposed for bulk generators):
 * the header lines of db, then one line per principal. */
KRB_WUR krb_err kdb_dump_header(krb_context *c, struct kdb *db, FILE *out);
KRB_WUR krb_err kdb_dump_principal(krb_context *c, const struct kdb_principal *p, FILE *out);

#endif
