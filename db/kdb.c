/*
 * kdb.c — the principal store on LMDB: environment, meta, principals,
 * policies, keys, lockout, backup.
 *
 * Concurrency: the environment is opened with MDB_NOTLS so read
 * transactions are not tied to threads; kdb_get takes a reset read
 * transaction from a small pool (mdb_txn_renew), so concurrent readers in
 * several threads cost one mutex hop and no allocation. Writers are
 * serialised by an in-process mutex and an flock() on "writer.lock" in the
 * database directory, both taken with a timeout so a long writer elsewhere
 * gives KRB_ERR_DB_LOCKED instead of a hang. A map grown by another
 * process (MDB_MAP_RESIZED) is adopted under an exclusive rwlock that every
 * transaction holds shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "buf.h"
#include "context.h"
#include "error.h"
#include "kdb_int.h"
#include "name.h"

#define KDB_DEFAULT_MAP_SIZE ((uint64_t)1 << 30)
#define KDB_POOL_MAX 64
#define KDB_DEFAULT_LOCK_TIMEOUT ((krb_time)3 * 1000000)
#define KDB_RESIZE_RETRIES 4

#define META_VERSION "version"
#define META_REALM "realm"
#define META_MKCHECK "mkey_check"
#define META_PWHASH "pwhash"

struct kdb {
    MDB_env *env;
    MDB_dbi princ, pol, meta;
    struct krb_key *mkey; /* sodium_malloc, read-only */
    char realm[KRB_REALM_MAX + 1];
    char dir[PATH_MAX];
    uint32_t pw_ops, pw_memkib;
    int rdonly;
    int lockfd;
    krb_time lock_timeout;
    pthread_mutex_t wlock;
    pthread_mutex_t pool_lock;
    pthread_rwlock_t resize;
    MDB_txn *pool[KDB_POOL_MAX];
    size_t npool;
};

const struct krb_key *kdb_master_key(const struct kdb *db)
{
    return db->mkey;
}

const char *kdb_realm(const struct kdb *db)
{
    return db->realm;
}

void kdb_pwhash_params(const struct kdb *db, uint32_t *ops, uint32_t *memkib)
{
    *ops = db->pw_ops;
    *memkib = db->pw_memkib;
}

void kdb_set_lock_timeout(struct kdb *db, krb_time timeout)
{
    db->lock_timeout = timeout < 0 ? 0 : timeout;
}

static krb_err map_err(krb_context *c, const struct kdb *db, int rc, const char *what)
{
    switch (rc) {
    case MDB_MAP_FULL:
        return krb_set_error(c, KRB_ERR_DB_FULL, "map full: raise map_size in tessera.conf (database %s, while %s)",
                             db->dir, what);
    case MDB_TXN_FULL:
        return krb_set_error(c, KRB_ERR_DB_FULL, "transaction too large while %s: load the dump in smaller parts",
                             what);
    case MDB_READERS_FULL:
        return krb_set_error(c, KRB_ERR_DB, "too many concurrent readers of %s: restart stale processes", db->dir);
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return krb_set_error(c, KRB_ERR_DB_VERSION, "%s is not a database this build can read (%s)", db->dir,
                             mdb_strerror(rc));
    case MDB_CORRUPTED:
    case MDB_PANIC:
    case MDB_PAGE_NOTFOUND:
        return krb_set_error(c, KRB_ERR_DB, "database %s is corrupt (%s) while %s: restore it from a backup", db->dir,
                             mdb_strerror(rc), what);
    case EACCES:
    case EROFS:
        return krb_set_error(c, KRB_ERR_PERMISSION,
                             "no write access to database %s while %s (opened read-only or wrong owner)", db->dir,
                             what);
    case ENOMEM:
        return krb_set_error(c, KRB_ERR_NOMEM, "out of memory while %s", what);
    case ENOSPC:
    case EDQUOT:
        return krb_set_error(c, KRB_ERR_IO,
                             "disk full (%s) while %s in database %s: nothing was changed; free some space on its "
                             "file system and retry",
                             strerror(rc), what, db->dir);
    case EFBIG:
        return krb_set_error(c, KRB_ERR_IO,
                             "file size limit reached (%s) while %s in database %s: nothing was changed; raise the "
                             "limit (ulimit -f) and retry",
                             strerror(rc), what, db->dir);
    default:
        return krb_set_error(c, KRB_ERR_DB, "database %s: %s while %s", db->dir, mdb_strerror(rc), what);
    }
}

/* Adopt a map size grown by another process. Caller holds no txn. */
static int adopt_resize(struct kdb *db)
{
    int rc;

    pthread_rwlock_wrlock(&db->resize);
    rc = mdb_env_set_mapsize(db->env, 0);
    pthread_rwlock_unlock(&db->resize);
    return rc;
}

/* ---- read transactions ---- */

static krb_err rtxn_begin(krb_context *c, struct kdb *db, MDB_txn **out)
{
    MDB_txn *txn = NULL;
    int rc = 0;

    *out = NULL;
    for (int attempt = 0; attempt < KDB_RESIZE_RETRIES; attempt++) {
        pthread_rwlock_rdlock(&db->resize);
        pthread_mutex_lock(&db->pool_lock);
        txn = db->npool > 0 ? db->pool[--db->npool] : NULL;
        pthread_mutex_unlock(&db->pool_lock);
        if (txn != NULL) {
            rc = mdb_txn_renew(txn);
            if (rc != 0) {
                mdb_txn_abort(txn);
                txn = NULL;
            }
        } else {
            rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
        }
        if (rc == 0) {
            *out = txn;
            return KRB_OK;
        }
        pthread_rwlock_unlock(&db->resize);
        if (rc != MDB_MAP_RESIZED) {
            break;
        }
        if ((rc = adopt_resize(db)) != 0) {
            break;
        }
        rc = MDB_MAP_RESIZED;
    }
    return map_err(c, db, rc, "starting a read transaction");
}

static void rtxn_end(struct kdb *db, MDB_txn *txn)
{
    mdb_txn_reset(txn);
    pthread_mutex_lock(&db->pool_lock);
    if (db->npool < KDB_POOL_MAX) {
        db->pool[db->npool++] = txn;
        txn = NULL;
    }
    pthread_mutex_unlock(&db->pool_lock);
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    pthread_rwlock_unlock(&db->resize);
}

/* ---- write transactions ---- */

static void deadline_after(struct timespec *ts, krb_time us)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(us / 1000000);
    ts->tv_nsec += (long)(us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int before(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec < deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec < deadline->tv_nsec);
}

static krb_err wtxn_begin(krb_context *c, struct kdb *db, MDB_txn **out)
{
    struct timespec deadline;
    int rc = 0;

    *out = NULL;
    if (db->rdonly) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "database %s was opened read-only", db->dir);
    }
    deadline_after(&deadline, db->lock_timeout);
    if (pthread_mutex_timedlock(&db->wlock, &deadline) != 0) {
        return krb_set_error(c, KRB_ERR_DB_LOCKED,
                             "database %s is busy with another write in this process: retry later", db->dir);
    }
    for (;;) {
        if (flock(db->lockfd, LOCK_EX | LOCK_NB) == 0) {
            break;
        }
        if ((errno != EWOULDBLOCK && errno != EINTR) || !before(&deadline)) {
            pthread_mutex_unlock(&db->wlock);
            return krb_set_error(c, KRB_ERR_DB_LOCKED,
                                 "database %s is locked by another writer (tkadmin load or another admin "
                                 "command?): retry when it has finished",
                                 db->dir);
        }
        struct timespec nap = { 0, 5 * 1000 * 1000 };
        nanosleep(&nap, NULL);
    }
    for (int attempt = 0; attempt < KDB_RESIZE_RETRIES; attempt++) {
        pthread_rwlock_rdlock(&db->resize);
        rc = mdb_txn_begin(db->env, NULL, 0, out);
        if (rc == 0) {
            return KRB_OK;
        }
        pthread_rwlock_unlock(&db->resize);
        if (rc != MDB_MAP_RESIZED || adopt_resize(db) != 0) {
            break;
        }
    }
    (void)flock(db->lockfd, LOCK_UN);
    pthread_mutex_unlock(&db->wlock);
    return map_err(c, db, rc, "starting a write transaction");
}

static void wtxn_release(struct kdb *db)
{
    pthread_rwlock_unlock(&db->resize);
    (void)flock(db->lockfd, LOCK_UN);
    pthread_mutex_unlock(&db->wlock);
}

static void wtxn_abort(struct kdb *db, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    wtxn_release(db);
}

static krb_err wtxn_commit(krb_context *c, struct kdb *db, MDB_txn *txn, const char *what)
{
    int rc = mdb_txn_commit(txn);

    wtxn_release(db);
    if (rc != 0) {
        return map_err(c, db, rc, what);
    }
    return KRB_OK;
}

/* ---- open / create / close ---- */

static krb_err db_alloc(krb_context *c, const char *dir, struct kdb **out)
{
    struct kdb *db = calloc(1, sizeof *db);

    *out = NULL;
    if (db == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, "out of memory opening %s", dir);
    }
    if (snprintf(db->dir, sizeof db->dir, "%s", dir) >= (int)sizeof db->dir) {
        free(db);
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "database path %s is too long", dir);
    }
    db->lockfd = -1;
    db->lock_timeout = KDB_DEFAULT_LOCK_TIMEOUT;
    db->pw_ops = KRB_PW_OPS_DEFAULT;
    db->pw_memkib = KRB_PW_MEMKIB_DEFAULT;
    pthread_mutex_init(&db->wlock, NULL);
    pthread_mutex_init(&db->pool_lock, NULL);
    pthread_rwlock_init(&db->resize, NULL);
    *out = db;
    return KRB_OK;
}

void kdb_close(struct kdb *db)
{
    if (db == NULL) {
        return;
    }
    for (size_t i = 0; i < db->npool; i++) {
        mdb_txn_abort(db->pool[i]);
    }
    db->npool = 0;
    if (db->env != NULL) {
        mdb_env_close(db->env);
    }
    if (db->lockfd >= 0) {
        close(db->lockfd);
    }
    krb_key_secure_free(db->mkey);
    pthread_mutex_destroy(&db->wlock);
    pthread_mutex_destroy(&db->pool_lock);
    pthread_rwlock_destroy(&db->resize);
    free(db);
}

static krb_err env_open(krb_context *c, struct kdb *db, uint64_t map_size, int create)
{
    char lockpath[PATH_MAX + 16];
    unsigned flags = MDB_NOTLS;
    int rc;

    if ((rc = mdb_env_create(&db->env)) != 0) {
        db->env = NULL;
        return map_err(c, db, rc, "creating the environment");
    }
    (void)mdb_env_set_maxdbs(db->env, 4);
    if (map_size != 0) {
        if (map_size > (uint64_t)SIZE_MAX) {
            return krb_set_error(c, KRB_ERR_CONFIG, "map_size %llu is too large for this machine",
                                 (unsigned long long)map_size);
        }
        if ((rc = mdb_env_set_mapsize(db->env, (size_t)map_size)) != 0) {
            return map_err(c, db, rc, "setting map_size");
        }
    }
    if (db->rdonly) {
        flags |= MDB_RDONLY;
    }
    rc = mdb_env_open(db->env, db->dir, flags, 0600);
    if (rc != 0) {
        if (rc == ENOENT && !create) {
            return krb_set_error(c, KRB_ERR_DB, "no database in %s (run tkadmin init, or check 'database' in [kdc])",
                                 db->dir);
        }
        return map_err(c, db, rc, "opening the environment");
    }
    if (!db->rdonly) {
        snprintf(lockpath, sizeof lockpath, "%s/writer.lock", db->dir);
        db->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (db->lockfd < 0) {
            return krb_set_error(c, KRB_ERR_IO, "cannot open %s: %s", lockpath, strerror(errno));
        }
    }
    return KRB_OK;
}

static krb_err meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, MDB_val *v)
{
    MDB_val k = { strlen(key), (void *)key };
    return mdb_get(txn, dbi, &k, v) == 0 ? KRB_OK : KRB_ERR_DB;
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *p, size_t n)
{
    MDB_val k = { strlen(key), (void *)key }, v = { n, (void *)p };
    return mdb_put(txn, dbi, &k, &v, 0);
}

/* Open the named databases and read/check meta against the master key. */
static krb_err load_meta(krb_context *c, struct kdb *db)
{
    uint8_t check[KRB_HASH_BYTES];
    MDB_txn *txn = NULL;
    MDB_val v;
    krb_err rc = KRB_OK;
    int mrc;

    mrc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
    if (mrc != 0) {
        return map_err(c, db, mrc, "reading meta");
    }
    if ((mrc = mdb_dbi_open(txn, "meta", 0, &db->meta)) != 0 ||
        (mrc = mdb_dbi_open(txn, "principals", 0, &db->princ)) != 0 ||
        (mrc = mdb_dbi_open(txn, "policies", 0, &db->pol)) != 0) {
        if (mrc == MDB_NOTFOUND) {
            rc = krb_set_error(c, KRB_ERR_DB, "%s is not a Tessera database (no meta): run tkadmin init", db->dir);
        } else {
            rc = map_err(c, db, mrc, "opening named databases");
        }
        goto out;
    }
    if (meta_get(txn, db->meta, META_VERSION, &v) != KRB_OK || v.mv_size != 4) {
        rc = krb_set_error(c, KRB_ERR_DB, "%s has no schema version: not a Tessera database", db->dir);
        goto out;
    }
    if (krb_get_u32(v.mv_data) != KDB_SCHEMA_VERSION) {
        rc = krb_set_error(c, KRB_ERR_DB_VERSION, "%s has schema version %u, this build reads %u: upgrade tessera",
                           db->dir, (unsigned)krb_get_u32(v.mv_data), (unsigned)KDB_SCHEMA_VERSION);
        goto out;
    }
    if (meta_get(txn, db->meta, META_REALM, &v) != KRB_OK || v.mv_size == 0 || v.mv_size > KRB_REALM_MAX) {
        rc = krb_set_error(c, KRB_ERR_DB, "%s has no realm in meta: restore from backup", db->dir);
        goto out;
    }
    memcpy(db->realm, v.mv_data, v.mv_size);
    db->realm[v.mv_size] = '\0';
    if (meta_get(txn, db->meta, META_PWHASH, &v) == KRB_OK && v.mv_size == 8) {
        db->pw_ops = krb_get_u32(v.mv_data);
        db->pw_memkib = krb_get_u32((const uint8_t *)v.mv_data + 4);
    }
    if (meta_get(txn, db->meta, META_MKCHECK, &v) != KRB_OK || v.mv_size != KRB_HASH_BYTES) {
        rc = krb_set_error(c, KRB_ERR_DB, "%s has no master key check value: restore from backup", db->dir);
        goto out;
    }
    if ((rc = kdb_mkey_check_value(db->mkey, check)) != KRB_OK) {
        krb_set_error(c, rc, "cannot compute the master key check value");
        goto out;
    }
    if (!krb_ct_equal(check, v.mv_data, KRB_HASH_BYTES)) {
        rc = krb_set_error(c, KRB_ERR_MKEY,
                           "the stash file's master key does not match database %s (wrong stash file for this realm?)",
                           db->dir);
        goto out;
    }
    /* Commit (not abort) so the dbi handles opened here stay valid. */
    mrc = mdb_txn_commit(txn);
    txn = NULL;
    if (mrc != 0) {
        rc = map_err(c, db, mrc, "reading meta");
    }
out:
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    return rc;
}

krb_err kdb_open(krb_context *c, const char *dir, const char *stash, int flags, uint64_t map_size, struct kdb **out)
{
    struct kdb *db = NULL;
    krb_err rc;

    *out = NULL;
    if ((rc = db_alloc(c, dir, &db)) != KRB_OK) {
        return rc;
    }
    db->rdonly = (flags & KDB_RDWR) == 0;
    if ((rc = kdb_stash_read(c, stash, &db->mkey)) != KRB_OK) {
        goto out;
    }
    if ((rc = env_open(c, db, map_size, 0)) != KRB_OK) {
        goto out;
    }
    if ((rc = load_meta(c, db)) != KRB_OK) {
        goto out;
    }
    *out = db;
    db = NULL;
out:
    kdb_close(db);
    return rc;
}

krb_err kdb_create(krb_context *c, const char *dir, const char *stash, const char *realm, uint64_t map_size,
                   struct kdb **out)
{
    char probe[KRB_NAME_MAX + 8];
    char datafile[PATH_MAX + 16];
    uint8_t check[KRB_HASH_BYTES], ver[4], pw[8];
    struct kdb *db = NULL;
    struct stat st;
    MDB_txn *txn = NULL;
    krb_err rc;
    int mrc;

    *out = NULL;
    if (snprintf(probe, sizeof probe, "x@%s", realm) >= (int)sizeof probe ||
        krb_name_check(NULL, probe, strlen(probe)) != KRB_OK || strchr(realm, '@') != NULL) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "'%s' is not a valid realm name (use letters, digits, . - _)", realm);
    }
    if ((rc = db_alloc(c, dir, &db)) != KRB_OK) {
        return rc;
    }
    snprintf(db->realm, sizeof db->realm, "%s", realm);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot create database directory %s: %s", dir, strerror(errno));
        goto out;
    }
    snprintf(datafile, sizeof datafile, "%s/data.mdb", dir);
    if (stat(datafile, &st) == 0) {
        rc = krb_set_error(c, KRB_ERR_EXISTS,
                           "a database already exists in %s (remove the directory or choose another one)", dir);
        goto out;
    }
    if (lstat(stash, &st) == 0) {
        rc = kdb_stash_read(c, stash, &db->mkey);
    } else {
        rc = kdb_stash_create(c, stash, &db->mkey);
    }
    if (rc != KRB_OK) {
        goto out;
    }
    if ((rc = env_open(c, db, map_size != 0 ? map_size : KDB_DEFAULT_MAP_SIZE, 1)) != KRB_OK) {
        goto out;
    }
    if ((rc = kdb_mkey_check_value(db->mkey, check)) != KRB_OK) {
        krb_set_error(c, rc, "cannot compute the master key check value");
        goto out;
    }
    krb_put_u32(ver, KDB_SCHEMA_VERSION);
    krb_put_u32(pw, db->pw_ops);
    krb_put_u32(pw + 4, db->pw_memkib);
    if ((mrc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
        rc = map_err(c, db, mrc, "creating the database");
        goto out;
    }
    if ((mrc = mdb_dbi_open(txn, "meta", MDB_CREATE, &db->meta)) != 0 ||
        (mrc = mdb_dbi_open(txn, "principals", MDB_CREATE, &db->princ)) != 0 ||
        (mrc = mdb_dbi_open(txn, "policies", MDB_CREATE, &db->pol)) != 0 ||
        (mrc = meta_put(txn, db->meta, META_VERSION, ver, sizeof ver)) != 0 ||
        (mrc = meta_put(txn, db->meta, META_REALM, realm, strlen(realm))) != 0 ||
        (mrc = meta_put(txn, db->meta, META_PWHASH, pw, sizeof pw)) != 0 ||
        (mrc = meta_put(txn, db->meta, META_MKCHECK, check, sizeof check)) != 0) {
        mdb_txn_abort(txn);
        rc = map_err(c, db, mrc, "creating the database");
        goto out;
    }
    if ((mrc = mdb_txn_commit(txn)) != 0) {
        rc = map_err(c, db, mrc, "creating the database");
        goto out;
    }
    *out = db;
    db = NULL;
out:
    kdb_close(db);
    return rc;
}

krb_err kdb_set_pwhash_params(krb_context *c, struct kdb *db, uint32_t ops, uint32_t memkib)
{
    uint8_t pw[8];
    MDB_txn *txn;
    krb_err rc;
    int mrc;

    if (ops < KRB_PW_OPS_MIN || ops > KRB_PW_OPS_MAX || memkib < KRB_PW_MEMKIB_MIN || memkib > KRB_PW_MEMKIB_MAX) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG,
                             "Argon2id cost ops=%u mem=%u KiB out of range (ops %u..%u, mem %u..%u KiB)", ops, memkib,
                             KRB_PW_OPS_MIN, KRB_PW_OPS_MAX, KRB_PW_MEMKIB_MIN, KRB_PW_MEMKIB_MAX);
    }
    krb_put_u32(pw, ops);
    krb_put_u32(pw + 4, memkib);
    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((mrc = meta_put(txn, db->meta, META_PWHASH, pw, sizeof pw)) != 0) {
        wtxn_abort(db, txn);
        return map_err(c, db, mrc, "storing the Argon2id cost");
    }
    if ((rc = wtxn_commit(c, db, txn, "storing the Argon2id cost")) != KRB_OK) {
        return rc;
    }
    db->pw_ops = ops;
    db->pw_memkib = memkib;
    return KRB_OK;
}

/* ---- principals ---- */

static krb_err check_name(krb_context *c, const char *name, MDB_val *k)
{
    size_t n = strnlen(name, KRB_NAME_MAX + 1);

    if (n == 0 || n > KRB_NAME_MAX || krb_name_check(NULL, name, n) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "'%.*s' is not a canonical principal name", (int)(n > 64 ? 64 : n),
                             name);
    }
    k->mv_size = n;
    k->mv_data = (void *)name;
    return KRB_OK;
}

static krb_err get_in(krb_context *c, struct kdb *db, MDB_txn *txn, const char *name, struct kdb_principal *out)
{
    MDB_val k, v;
    krb_err rc;
    int mrc;

    if ((rc = check_name(c, name, &k)) != KRB_OK) {
        return rc;
    }
    mrc = mdb_get(txn, db->princ, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        return krb_set_error(c, KRB_ERR_UNKNOWN_PRINCIPAL, "principal %s does not exist", name);
    }
    if (mrc != 0) {
        return map_err(c, db, mrc, "reading a principal");
    }
    if ((rc = kdb_record_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size, out)) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_DB, "record of %s is corrupt (%s): restore it from a dump or backup", name,
                             krb_err_name(rc));
    }
    return KRB_OK;
}

krb_err kdb_get(krb_context *c, struct kdb *db, const char *name, struct kdb_principal *out)
{
    char key[KRB_NAME_MAX + 1];
    MDB_txn *txn;
    krb_err rc;

    /* name may point into *out (kdb_get(c, db, p.name, &p)) */
    snprintf(key, sizeof key, "%s", name);
    memset(out, 0, sizeof *out);
    if ((rc = rtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    rc = get_in(c, db, txn, key, out);
    rtxn_end(db, txn);
    return rc;
}

static krb_err put_in(krb_context *c, struct kdb *db, MDB_txn *txn, const struct kdb_principal *p, int create)
{
    uint8_t rec[KDB_RECORD_MAX];
    MDB_val k, v;
    size_t len;
    krb_err rc;
    int mrc;

    if ((rc = check_name(c, p->name, &k)) != KRB_OK) {
        return rc;
    }
    if ((rc = kdb_record_encode(p, rec, sizeof rec, &len)) != KRB_OK) {
        return krb_set_error(c, rc, "cannot encode the record of %s (%s)", p->name, krb_err_message(rc));
    }
    if (p->policy[0] != '\0') {
        MDB_val pk = { strlen(p->policy), (void *)p->policy }, pv;
        mrc = mdb_get(txn, db->pol, &pk, &pv);
        if (mrc == MDB_NOTFOUND) {
            return krb_set_error(c, KRB_ERR_POLICY_UNKNOWN, "policy %s does not exist (create it with addpol)",
                                 p->policy);
        }
        if (mrc != 0) {
            return map_err(c, db, mrc, "reading a policy");
        }
    }
    v.mv_size = len;
    v.mv_data = rec;
    mrc = mdb_put(txn, db->princ, &k, &v, create ? MDB_NOOVERWRITE : 0);
    if (mrc == MDB_KEYEXIST) {
        return krb_set_error(c, KRB_ERR_EXISTS, "principal %s already exists", p->name);
    }
    if (mrc != 0) {
        return map_err(c, db, mrc, "storing a principal");
    }
    return KRB_OK;
}

krb_err kdb_put(krb_context *c, struct kdb *db, const struct kdb_principal *p, int create)
{
    MDB_txn *txn;
    krb_err rc;

    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((rc = put_in(c, db, txn, p, create)) != KRB_OK) {
        wtxn_abort(db, txn);
        return rc;
    }
    return wtxn_commit(c, db, txn, "storing a principal");
}

krb_err kdb_update(krb_context *c, struct kdb *db, const char *name,
                   krb_err (*fn)(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg), void *arg)
{
    struct kdb_principal p;
    MDB_txn *txn;
    krb_err rc;

    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((rc = get_in(c, db, txn, name, &p)) != KRB_OK || (rc = fn(c, db, &p, arg)) != KRB_OK) {
        wtxn_abort(db, txn);
        goto out;
    }
    if (strcmp(p.name, name) != 0) {
        wtxn_abort(db, txn);
        rc = krb_set_error(c, KRB_ERR_INVALID_ARG, "an update may not rename %s", name);
        goto out;
    }
    if ((rc = put_in(c, db, txn, &p, 0)) != KRB_OK) {
        wtxn_abort(db, txn);
        goto out;
    }
    rc = wtxn_commit(c, db, txn, "updating a principal");
out:
    sodium_memzero(&p, sizeof p);
    return rc;
}

krb_err kdb_delete(krb_context *c, struct kdb *db, const char *name)
{
    MDB_txn *txn;
    MDB_val k;
    krb_err rc;
    int mrc;

    if ((rc = check_name(c, name, &k)) != KRB_OK) {
        return rc;
    }
    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    mrc = mdb_del(txn, db->princ, &k, NULL);
    if (mrc != 0) {
        wtxn_abort(db, txn);
        if (mrc == MDB_NOTFOUND) {
            return krb_set_error(c, KRB_ERR_UNKNOWN_PRINCIPAL, "principal %s does not exist", name);
        }
        return map_err(c, db, mrc, "deleting a principal");
    }
    return wtxn_commit(c, db, txn, "deleting a principal");
}

/* Length of the literal prefix of a glob (up to the first metacharacter). */
static size_t glob_prefix(const char *glob)
{
    size_t n = 0;

    while (glob[n] != '\0' && strchr("*?[\\", glob[n]) == NULL) {
        n++;
    }
    return n;
}

krb_err kdb_iterate(krb_context *c, struct kdb *db, const char *glob,
                    int (*fn)(const struct kdb_principal *p, void *arg), void *arg)
{
    struct kdb_principal p;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t plen = glob != NULL ? glob_prefix(glob) : 0;
    krb_err rc;
    int mrc;

    if ((rc = rtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((mrc = mdb_cursor_open(txn, db->princ, &cur)) != 0) {
        rc = map_err(c, db, mrc, "listing principals");
        goto out;
    }
    k.mv_size = plen;
    k.mv_data = (void *)glob;
    mrc = plen > 0 ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char name[KRB_NAME_MAX + 1];
        if (plen > 0 && (k.mv_size < plen || memcmp(k.mv_data, glob, plen) != 0)) {
            break;
        }
        if (k.mv_size > KRB_NAME_MAX) {
            continue;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        if (glob != NULL && fnmatch(glob, name, 0) != 0) {
            continue;
        }
        if ((rc = kdb_record_decode(k.mv_data, k.mv_size, v.mv_data, v.mv_size, &p)) != KRB_OK) {
            rc = krb_set_error(c, KRB_ERR_DB, "record of %s is corrupt (%s): restore it from a dump or backup", name,
                               krb_err_name(rc));
            goto out;
        }
        if (fn(&p, arg) != 0) {
            break;
        }
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND) {
        rc = map_err(c, db, mrc, "listing principals");
    }
out:
    sodium_memzero(&p, sizeof p);
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    rtxn_end(db, txn);
    return rc;
}

krb_err kdb_count(krb_context *c, struct kdb *db, uint64_t *nprinc, uint64_t *npol)
{
    MDB_txn *txn;
    MDB_stat st;
    krb_err rc;
    int mrc;

    *nprinc = *npol = 0;
    if ((rc = rtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((mrc = mdb_stat(txn, db->princ, &st)) == 0) {
        *nprinc = st.ms_entries;
        if ((mrc = mdb_stat(txn, db->pol, &st)) == 0) {
            *npol = st.ms_entries;
        }
    }
    rtxn_end(db, txn);
    return mrc == 0 ? KRB_OK : map_err(c, db, mrc, "counting entries");
}

/* ---- keys ---- */

krb_err kdb_key_get(krb_context *c, struct kdb *db, const struct kdb_principal *p, uint32_t kvno, struct krb_key *out,
                    uint32_t *kvno_out)
{
    uint8_t ad[KRB_NAME_MAX + 4];
    const struct kdb_key *k = NULL;
    size_t adlen, ptlen;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (kvno_out != NULL) {
        *kvno_out = 0;
    }
    for (unsigned i = 0; i < p->nkeys && i < KDB_MAX_KEYS; i++) {
        if (kvno == 0 || p->keys[i].kvno == kvno) {
            k = &p->keys[i];
            break;
        }
    }
    if (k == NULL) {
        if (p->nkeys == 0) {
            return krb_set_error(c, KRB_ERR_BADKEYVER, "principal %s has no keys (set one with cpw or randkey)",
                                 p->name);
        }
        return krb_set_error(c, KRB_ERR_BADKEYVER, "principal %s has no key version %u (newest is %u)", p->name,
                             (unsigned)kvno, (unsigned)p->keys[0].kvno);
    }
    adlen = kdb_key_ad(p->name, k->kvno, ad, sizeof ad);
    rc = krb_open(db->mkey, KRB_USAGE_DB_KEY, ad, adlen, k->sealed, k->sealed_len, out->k, sizeof out->k, &ptlen);
    if (rc == KRB_OK && ptlen != KRB_KEY_BYTES) {
        rc = KRB_ERR_MODIFIED;
    }
    if (rc != KRB_OK) {
        krb_key_wipe(out);
        return krb_set_error(c, KRB_ERR_MODIFIED,
                             "key %u of %s does not unseal under the master key (record modified or wrong stash)",
                             (unsigned)k->kvno, p->name);
    }
    out->suite = k->suite;
    if (kvno_out != NULL) {
        *kvno_out = k->kvno;
    }
    return KRB_OK;
}

krb_err kdb_key_add(krb_context *c, struct kdb *db, struct kdb_principal *p, const char *password, uint32_t keep)
{
    uint8_t ad[KRB_NAME_MAX + 4];
    struct krb_key key;
    struct kdb_key nk;
    uint32_t kvno = p->nkeys > 0 ? p->keys[0].kvno + 1 : 1;
    size_t adlen, sealed_len;
    unsigned nkeep;
    krb_err rc;

    memset(&key, 0, sizeof key);
    memset(&nk, 0, sizeof nk);
    if (p->nkeys > KDB_MAX_KEYS) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "principal %s has too many keys", p->name);
    }
    if (p->nkeys > 0 && p->keys[0].kvno == UINT32_MAX) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "principal %s has used every key version", p->name);
    }
    nk.kvno = kvno;
    nk.suite = KRB_SUITE_XCHACHA20POLY1305;
    if (password != NULL) {
        nk.has_salt = 1;
        krb_random_bytes(nk.salt, sizeof nk.salt);
        nk.ops = db->pw_ops;
        nk.memkib = db->pw_memkib;
        rc = krb_password_key(&key, nk.suite, password, nk.salt, nk.ops, nk.memkib);
        if (rc != KRB_OK) {
            krb_set_error(c, rc, "cannot derive a key from the password (Argon2id ops=%u mem=%u KiB): %s",
                          (unsigned)nk.ops, (unsigned)nk.memkib, krb_err_message(rc));
            goto out;
        }
    } else if ((rc = krb_key_random(&key, nk.suite)) != KRB_OK) {
        krb_set_error(c, rc, "cannot generate a random key");
        goto out;
    }
    adlen = kdb_key_ad(p->name, kvno, ad, sizeof ad);
    if (adlen == 0) {
        rc = krb_set_error(c, KRB_ERR_BAD_NAME, "principal name too long");
        goto out;
    }
    rc = krb_seal(db->mkey, KRB_USAGE_DB_KEY, ad, adlen, key.k, sizeof key.k, nk.sealed, sizeof nk.sealed, &sealed_len);
    if (rc != KRB_OK) {
        krb_set_error(c, rc, "cannot seal the new key under the master key");
        goto out;
    }
    nk.sealed_len = (uint16_t)sealed_len;
    nkeep = keep > KDB_MAX_KEYS - 1 ? KDB_MAX_KEYS - 1 : keep;
    if (nkeep > p->nkeys) {
        nkeep = p->nkeys;
    }
    memmove(&p->keys[1], &p->keys[0], nkeep * sizeof p->keys[0]);
    memset(&p->keys[nkeep + 1], 0, (KDB_MAX_KEYS - nkeep - 1) * sizeof p->keys[0]);
    p->keys[0] = nk;
    p->nkeys = (uint8_t)(nkeep + 1);
out:
    krb_key_wipe(&key);
    sodium_memzero(&nk, sizeof nk);
    return rc;
}

/* ---- authentication results and lockout ---- */

static int policy_in(struct kdb *db, MDB_txn *txn, const char *name, struct kdb_policy *out)
{
    MDB_val k = { strlen(name), (void *)name }, v;

    if (name[0] == '\0' || mdb_get(txn, db->pol, &k, &v) != 0) {
        return 0;
    }
    return kdb_policy_decode(v.mv_data, v.mv_size, out) == KRB_OK;
}

krb_err kdb_record_auth(krb_context *c, struct kdb *db, const char *name, int success, krb_time now,
                        krb_time min_interval)
{
    struct kdb_principal p;
    struct kdb_policy pol;
    MDB_txn *txn;
    krb_err rc;

    /* A read first, without the writer lock: an unknown name (the KDC
     * queues failures of unknown names too) ends here, and most successes
     * change nothing worth a write. */
    if ((rc = kdb_get(c, db, name, &p)) != KRB_OK) {
        goto out;
    }
    if (success && p.fail_count == 0 && p.last_success <= now && now - p.last_success < min_interval) {
        rc = KRB_OK;
        goto out;
    }
    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        goto out;
    }
    if ((rc = get_in(c, db, txn, name, &p)) != KRB_OK) {
        wtxn_abort(db, txn);
        goto out;
    }
    if (success) {
        p.fail_count = 0;
        p.last_success = now;
    } else {
        if (policy_in(db, txn, p.policy, &pol)) {
            if (pol.failure_window > 0 && p.fail_count > 0 && now - p.last_failed > pol.failure_window) {
                p.fail_count = 0;
            }
            if (pol.max_failures > 0 && p.fail_count >= pol.max_failures && pol.lockout_duration > 0 &&
                now >= p.last_failed + pol.lockout_duration) {
                p.fail_count = 0; /* the lockout ran out: count afresh */
            }
        }
        if (p.fail_count < UINT32_MAX) {
            p.fail_count++;
        }
        p.last_failed = now;
    }
    if ((rc = put_in(c, db, txn, &p, 0)) != KRB_OK) {
        wtxn_abort(db, txn);
        goto out;
    }
    rc = wtxn_commit(c, db, txn, "recording an authentication");
out:
    sodium_memzero(&p, sizeof p);
    return rc;
}

int kdb_is_locked(krb_context *c, struct kdb *db, const struct kdb_principal *p, krb_time now)
{
    struct kdb_policy pol;

    if ((p->flags & KDB_F_LOCKED) != 0) {
        return 1;
    }
    if (p->policy[0] == '\0' || p->fail_count == 0) {
        return 0;
    }
    if (kdb_policy_get(c, db, p->policy, &pol) != KRB_OK) {
        return 0;
    }
    if (pol.max_failures == 0 || p->fail_count < pol.max_failures) {
        return 0;
    }
    if (pol.lockout_duration == 0) {
        return 1;
    }
    return now < p->last_failed + pol.lockout_duration;
}

/* ---- policies ---- */

krb_err kdb_policy_get(krb_context *c, struct kdb *db, const char *pname, struct kdb_policy *out)
{
    char name[KDB_POLICY_NAME_MAX + 2];
    MDB_txn *txn;
    MDB_val k, v;
    krb_err rc = KRB_OK;
    int mrc;

    snprintf(name, sizeof name, "%s", pname); /* pname may point into *out */
    k.mv_size = strlen(name);
    k.mv_data = name;
    memset(out, 0, sizeof *out);
    if (!kdb_policy_name_ok(name)) {
        return krb_set_error(c, KRB_ERR_POLICY_UNKNOWN,
                             "'%.64s' is not a valid policy name (letters, digits, . _ -; at most %d)", name,
                             KDB_POLICY_NAME_MAX);
    }
    if ((rc = rtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    mrc = mdb_get(txn, db->pol, &k, &v);
    if (mrc == MDB_NOTFOUND) {
        rc = krb_set_error(c, KRB_ERR_POLICY_UNKNOWN, "policy %s does not exist", name);
    } else if (mrc != 0) {
        rc = map_err(c, db, mrc, "reading a policy");
    } else if (kdb_policy_decode(v.mv_data, v.mv_size, out) != KRB_OK) {
        rc = krb_set_error(c, KRB_ERR_DB, "record of policy %s is corrupt: restore it from a dump", name);
    }
    rtxn_end(db, txn);
    return rc;
}

krb_err kdb_policy_put(krb_context *c, struct kdb *db, const struct kdb_policy *p, int create)
{
    uint8_t rec[KDB_POLICY_RECORD_MAX];
    MDB_txn *txn;
    MDB_val k, v;
    size_t len;
    krb_err rc;
    int mrc;

    if ((rc = kdb_policy_encode(p, rec, sizeof rec, &len)) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG,
                             "policy %.64s is invalid (name: letters, digits, . _ -; minclasses 0..4; history 0..%d)",
                             p->name, KDB_MAX_KEYS);
    }
    k.mv_size = strlen(p->name);
    k.mv_data = (void *)p->name;
    v.mv_size = len;
    v.mv_data = rec;
    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    mrc = mdb_put(txn, db->pol, &k, &v, create ? MDB_NOOVERWRITE : 0);
    if (mrc != 0) {
        wtxn_abort(db, txn);
        if (mrc == MDB_KEYEXIST) {
            return krb_set_error(c, KRB_ERR_EXISTS, "policy %s already exists", p->name);
        }
        return map_err(c, db, mrc, "storing a policy");
    }
    return wtxn_commit(c, db, txn, "storing a policy");
}

krb_err kdb_policy_delete(krb_context *c, struct kdb *db, const char *name)
{
    struct kdb_principal p;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val k = { strlen(name), (void *)name }, pk, pv;
    krb_err rc = KRB_OK;
    int mrc;

    if (!kdb_policy_name_ok(name)) {
        return krb_set_error(c, KRB_ERR_POLICY_UNKNOWN, "policy %.64s does not exist", name);
    }
    if ((rc = wtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((mrc = mdb_cursor_open(txn, db->princ, &cur)) != 0) {
        rc = map_err(c, db, mrc, "checking policy users");
        goto fail;
    }
    for (mrc = mdb_cursor_get(cur, &pk, &pv, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &pk, &pv, MDB_NEXT)) {
        if (kdb_record_decode(pk.mv_data, pk.mv_size, pv.mv_data, pv.mv_size, &p) == KRB_OK &&
            strcmp(p.policy, name) == 0) {
            rc = krb_set_error(c, KRB_ERR_INVALID_ARG,
                               "policy %s is in use by %s (run modprinc --clearpolicy on its principals first)", name,
                               p.name);
            goto fail;
        }
    }
    mdb_cursor_close(cur);
    cur = NULL;
    mrc = mdb_del(txn, db->pol, &k, NULL);
    if (mrc == MDB_NOTFOUND) {
        rc = krb_set_error(c, KRB_ERR_POLICY_UNKNOWN, "policy %s does not exist", name);
        goto fail;
    }
    if (mrc != 0) {
        rc = map_err(c, db, mrc, "deleting a policy");
        goto fail;
    }
    rc = wtxn_commit(c, db, txn, "deleting a policy");
    goto out;
fail:
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    wtxn_abort(db, txn);
out:
    sodium_memzero(&p, sizeof p);
    return rc;
}

krb_err kdb_policy_iterate(krb_context *c, struct kdb *db, int (*fn)(const struct kdb_policy *p, void *arg), void *arg)
{
    struct kdb_policy p;
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    krb_err rc;
    int mrc;

    if ((rc = rtxn_begin(c, db, &txn)) != KRB_OK) {
        return rc;
    }
    if ((mrc = mdb_cursor_open(txn, db->pol, &cur)) != 0) {
        rc = map_err(c, db, mrc, "listing policies");
        goto out;
    }
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (kdb_policy_decode(v.mv_data, v.mv_size, &p) != KRB_OK) {
            rc = krb_set_error(c, KRB_ERR_DB, "a policy record is corrupt: restore it from a dump");
            goto out;
        }
        if (fn(&p, arg) != 0) {
            break;
        }
    }
    if (mrc != 0 && mrc != MDB_NOTFOUND) {
        rc = map_err(c, db, mrc, "listing policies");
    }
out:
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    rtxn_end(db, txn);
    return rc;
}

krb_err kdb_password_check(krb_context *c, const struct kdb_policy *pol, const char *password)
{
    size_t chars = 0;
    unsigned lower = 0, upper = 0, digit = 0, other = 0, classes;

    if (password == NULL || password[0] == '\0') {
        return krb_set_error(c, KRB_ERR_PASSWORD_WEAK, "empty password: choose a non-empty password");
    }
    for (const unsigned char *s = (const unsigned char *)password; *s != '\0'; s++) {
        if ((*s & 0xc0) != 0x80) {
            chars++; /* count UTF-8 code points, not bytes */
        }
        if (*s >= 'a' && *s <= 'z') {
            lower = 1;
        } else if (*s >= 'A' && *s <= 'Z') {
            upper = 1;
        } else if (*s >= '0' && *s <= '9') {
            digit = 1;
        } else {
            other = 1;
        }
    }
    if (pol == NULL) {
        return KRB_OK;
    }
    if (chars < pol->min_length) {
        return krb_set_error(c, KRB_ERR_PASSWORD_WEAK,
                             "password has %zu characters, policy %s requires at least %u: choose a longer one", chars,
                             pol->name, (unsigned)pol->min_length);
    }
    classes = lower + upper + digit + other;
    if (classes < pol->min_classes) {
        return krb_set_error(c, KRB_ERR_PASSWORD_WEAK,
                             "password uses %u character classes, policy %s requires %u (lower case, upper case, "
                             "digits, others): mix more kinds of characters",
                             classes, pol->name, (unsigned)pol->min_classes);
    }
    return KRB_OK;
}

/* ---- backup ---- */

krb_err kdb_backup(krb_context *c, struct kdb *db, const char *dir)
{
    struct stat st;
    char probe[PATH_MAX + 16];
    int mrc;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return krb_set_error(c, KRB_ERR_IO, "cannot create backup directory %s: %s", dir, strerror(errno));
    }
    snprintf(probe, sizeof probe, "%s/data.mdb", dir);
    if (stat(probe, &st) == 0) {
        return krb_set_error(c, KRB_ERR_EXISTS, "backup directory %s already holds a database: choose an empty one",
                             dir);
    }
    pthread_rwlock_rdlock(&db->resize);
    mrc = mdb_env_copy2(db->env, dir, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&db->resize);
    if (mrc != 0) {
        return map_err(c, db, mrc, "copying the database");
    }
    return KRB_OK;
}

/* ---- bulk load support (dump.c): one write transaction ---- */

struct kdb_loader {
    struct kdb *db;
    MDB_txn *txn;
    int update;
    int set_pw;
    uint32_t pw_ops, pw_memkib;
    int append_ok; /* fresh database and names ascending: MDB_APPEND */
    char last[KRB_NAME_MAX + 1];
};

krb_err kdb_load_begin(krb_context *c, struct kdb *db, unsigned flags, struct kdb_loader **out)
{
    struct kdb_loader *l;
    MDB_stat s1, s2;
    krb_err rc;
    int mrc;

    *out = NULL;
    l = calloc(1, sizeof *l);
    if (l == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, "out of memory");
    }
    l->db = db;
    l->update = (flags & KDB_LOAD_UPDATE) != 0;
    if ((rc = wtxn_begin(c, db, &l->txn)) != KRB_OK) {
        free(l);
        return rc;
    }
    if ((mrc = mdb_stat(l->txn, db->princ, &s1)) != 0 || (mrc = mdb_stat(l->txn, db->pol, &s2)) != 0) {
        wtxn_abort(db, l->txn);
        free(l);
        return map_err(c, db, mrc, "loading");
    }
    if (!l->update && (s1.ms_entries != 0 || s2.ms_entries != 0)) {
        wtxn_abort(db, l->txn);
        free(l);
        return krb_set_error(c, KRB_ERR_EXISTS,
                             "database %s already holds %zu principals and %zu policies: load into a new realm "
                             "directory, or merge with --update",
                             db->dir, s1.ms_entries, s2.ms_entries);
    }
    l->append_ok = s1.ms_entries == 0;
    *out = l;
    return KRB_OK;
}

krb_err kdb_load_pwhash(krb_context *c, struct kdb_loader *l, uint32_t ops, uint32_t memkib)
{
    uint8_t pw[8];
    int mrc;

    krb_put_u32(pw, ops);
    krb_put_u32(pw + 4, memkib);
    if ((mrc = meta_put(l->txn, l->db->meta, META_PWHASH, pw, sizeof pw)) != 0) {
        return map_err(c, l->db, mrc, "loading");
    }
    l->set_pw = 1;
    l->pw_ops = ops;
    l->pw_memkib = memkib;
    return KRB_OK;
}

krb_err kdb_load_policy(krb_context *c, struct kdb_loader *l, const struct kdb_policy *p)
{
    uint8_t rec[KDB_POLICY_RECORD_MAX];
    MDB_val k, v;
    size_t len;
    krb_err rc;
    int mrc;

    if ((rc = kdb_policy_encode(p, rec, sizeof rec, &len)) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_MALFORMED, "invalid policy (%s)", krb_err_message(rc));
    }
    k.mv_size = strlen(p->name);
    k.mv_data = (void *)p->name;
    v.mv_size = len;
    v.mv_data = rec;
    mrc = mdb_put(l->txn, l->db->pol, &k, &v, l->update ? 0 : MDB_NOOVERWRITE);
    if (mrc == MDB_KEYEXIST) {
        return krb_set_error(c, KRB_ERR_MALFORMED, "policy %s appears twice", p->name);
    }
    if (mrc != 0) {
        return map_err(c, l->db, mrc, "loading a policy");
    }
    return KRB_OK;
}

krb_err kdb_load_principal(krb_context *c, struct kdb_loader *l, const struct kdb_principal *p)
{
    uint8_t rec[KDB_RECORD_MAX];
    MDB_val k, v;
    size_t len;
    unsigned fl;
    krb_err rc;
    int mrc;

    if ((rc = kdb_record_encode(p, rec, sizeof rec, &len)) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_MALFORMED, "invalid principal record (%s)", krb_err_message(rc));
    }
    if (p->policy[0] != '\0') {
        MDB_val pk = { strlen(p->policy), (void *)p->policy }, pv;
        if (mdb_get(l->txn, l->db->pol, &pk, &pv) != 0) {
            return krb_set_error(c, KRB_ERR_MALFORMED, "principal %s names policy %s, which is not defined above it",
                                 p->name, p->policy);
        }
    }
    k.mv_size = strlen(p->name);
    k.mv_data = (void *)p->name;
    v.mv_size = len;
    v.mv_data = rec;
    if (l->append_ok && strcmp(p->name, l->last) <= 0) {
        l->append_ok = 0;
    }
    fl = l->append_ok ? MDB_APPEND : (l->update ? 0 : MDB_NOOVERWRITE);
    mrc = mdb_put(l->txn, l->db->princ, &k, &v, fl);
    if (mrc == MDB_KEYEXIST) {
        return krb_set_error(c, KRB_ERR_MALFORMED, "principal %s appears twice", p->name);
    }
    if (mrc != 0) {
        return map_err(c, l->db, mrc, "loading a principal");
    }
    snprintf(l->last, sizeof l->last, "%s", p->name);
    return KRB_OK;
}

krb_err kdb_load_end(krb_context *c, struct kdb_loader *l, int commit)
{
    krb_err rc = KRB_OK;

    if (l == NULL) {
        return KRB_OK;
    }
    if (commit) {
        rc = wtxn_commit(c, l->db, l->txn, "committing the load");
        if (rc == KRB_OK && l->set_pw) {
            l->db->pw_ops = l->pw_ops;
            l->db->pw_memkib = l->pw_memkib;
        }
    } else {
        wtxn_abort(l->db, l->txn);
    }
    free(l);
    return rc;
}
