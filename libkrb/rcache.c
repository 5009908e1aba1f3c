/* rcache.c — file-backed replay cache shared by the threads and processes
 * of one service. Layout and rules: rcache.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "context.h"
#include "crypto.h"
#include "rcache.h"

struct rc_slot {
    uint8_t key[KRB_RC_KEY_BYTES];
    int64_t expiry; /* 0: never used */
};

/* Header bytes 16..63: the process-shared robust mutex that serialises
 * check-and-store across every thread and process of the service. */
#define RC_MUTEX_OFFSET 16u
_Static_assert(RC_MUTEX_OFFSET + sizeof(pthread_mutex_t) <= KRB_RC_HEADER_BYTES, "mutex fits in the header");

/* Byte-range OFD locks on the file (never on its contents):
 * RC_LOCK_OPEN  exclusive while a process opens the file (create, check,
 *               initialise the mutex);
 * RC_LOCK_USER  shared by every open for as long as it stays open. An
 *               opener that can take it exclusively knows nobody else has
 *               the file open, so nobody can hold the mutex: it
 *               initialises the mutex afresh (a mutex left in the file by a
 *               process of an earlier boot is never trusted). */
#define RC_LOCK_OPEN 0
#define RC_LOCK_USER 1

struct krb_rcache {
    pthread_mutex_t *mu; /* in the shared mapping */
    int fd;
    uint32_t slots;
    uint32_t probe;
    size_t map_len;
    uint8_t *map;
    struct rc_slot *tab;
    char path[4096];
};

_Static_assert(sizeof(struct rc_slot) == KRB_RC_ENTRY_BYTES, "slot layout");

/* Lock one byte of the file with an open-file-description lock: excludes
 * other processes and other opens of the same file in this process.
 * wait = 0: fail at once (-1, errno EAGAIN) if someone else holds it. */
static int file_lock(int fd, short type, off_t byte, int wait)
{
    struct flock fl;
    int r;

    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    do {
        r = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
    } while (r != 0 && errno == EINTR);
    return r;
}

/* Called with RC_LOCK_OPEN held and the table mapped: join the users of
 * the file, initialising the shared mutex if we are the only one. */
static krb_err join_users(krb_context *c, krb_rcache *rc)
{
    pthread_mutexattr_t a;
    int e;

    rc->mu = (pthread_mutex_t *)(void *)(rc->map + RC_MUTEX_OFFSET);
    if (file_lock(rc->fd, F_WRLCK, RC_LOCK_USER, 0) == 0) {
        if ((e = pthread_mutexattr_init(&a)) != 0) {
            return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: mutex attributes: %s", rc->path, strerror(e));
        }
        if ((e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) == 0 &&
            (e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0) {
            memset(rc->mu, 0, sizeof *rc->mu);
            e = pthread_mutex_init(rc->mu, &a);
        }
        pthread_mutexattr_destroy(&a);
        if (e != 0) {
            return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: cannot initialise its mutex: %s", rc->path,
                                 strerror(e));
        }
    } else if (errno != EAGAIN && errno != EACCES) {
        return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: lock failed: %s", rc->path, strerror(errno));
    }
    /* Exclusive -> shared, or join the others: never blocks long, since
     * an exclusive holder also holds RC_LOCK_OPEN, which we hold. */
    if (file_lock(rc->fd, F_RDLCK, RC_LOCK_USER, 1) != 0) {
        return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: lock failed: %s", rc->path, strerror(errno));
    }
    return KRB_OK;
}

/* Take the shared mutex; recover it if its holder died (the table is
 * still sound: a slot is claimed by writing its key, then its expiry, and a
 * request whose process died was never accepted). */
static krb_err rc_lock(krb_context *c, krb_rcache *rc)
{
    int e = pthread_mutex_lock(rc->mu);

    if (e == EOWNERDEAD) {
        e = pthread_mutex_consistent(rc->mu);
    }
    if (e != 0) {
        return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: mutex failed: %s", rc->path, strerror(e));
    }
    return KRB_OK;
}

static void header_make(uint8_t h[KRB_RC_HEADER_BYTES], uint32_t slots)
{
    memset(h, 0, KRB_RC_HEADER_BYTES);
    memcpy(h, KRB_RC_MAGIC, 4);
    krb_put_u32(h + 4, KRB_RC_VERSION);
    krb_put_u32(h + 8, slots);
    krb_put_u32(h + 12, KRB_RC_ENTRY_BYTES);
}

/* Called with the file lock held: create the table in an empty (or never
 * initialised) file, or check the header of an existing one. */
static krb_err table_prepare(krb_context *c, krb_rcache *rc, const struct stat *st, uint32_t want_slots)
{
    uint8_t h[KRB_RC_HEADER_BYTES] = { 0 }, zero[4] = { 0 };
    uint32_t slots;
    ssize_t n = 0;
    int r;

    if (st->st_size >= (off_t)KRB_RC_HEADER_BYTES) {
        n = pread(rc->fd, h, sizeof h, 0);
        if (n != (ssize_t)sizeof h) {
            return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: cannot read header: %s", rc->path,
                                 strerror(errno));
        }
    }
    if (n == 0 || memcmp(h, zero, sizeof zero) == 0) {
        /* New file, or a creator died before writing the header. */
        size_t len = KRB_RC_HEADER_BYTES + (size_t)want_slots * KRB_RC_ENTRY_BYTES;
        if (ftruncate(rc->fd, 0) != 0 || (r = posix_fallocate(rc->fd, 0, (off_t)len)) != 0) {
            return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: cannot allocate %zu bytes", rc->path, len);
        }
        header_make(h, want_slots);
        if (pwrite(rc->fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
            return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s: cannot write header: %s", rc->path,
                                 strerror(errno));
        }
        rc->slots = want_slots;
        rc->map_len = len;
        return KRB_OK;
    }
    slots = krb_get_u32(h + 8);
    if (memcmp(h, KRB_RC_MAGIC, 4) == 0 && krb_get_u32(h + 4) < KRB_RC_VERSION) {
        return krb_set_error(c, KRB_ERR_RCACHE,
                             "replay cache %s has format %u, from an older Tessera (this one uses %u): stop the "
                             "service, remove the file and start it again (waiting clock_skew first keeps requests "
                             "seen just before the upgrade from being replayed)",
                             rc->path, (unsigned)krb_get_u32(h + 4), KRB_RC_VERSION);
    }
    if (memcmp(h, KRB_RC_MAGIC, 4) != 0 || krb_get_u32(h + 4) != KRB_RC_VERSION ||
        krb_get_u32(h + 12) != KRB_RC_ENTRY_BYTES || slots < KRB_RC_SLOTS_MIN || slots > KRB_RC_SLOTS_MAX ||
        st->st_size != (off_t)(KRB_RC_HEADER_BYTES + (size_t)slots * KRB_RC_ENTRY_BYTES)) {
        return krb_set_error(c, KRB_ERR_RCACHE, "replay cache %s is not a Tessera replay cache (or is damaged): "
                             "stop the service and remove it", rc->path);
    }
    /* The file decides the size: every process of the service must agree. */
    rc->slots = slots;
    rc->map_len = (size_t)st->st_size;
    return KRB_OK;
}

krb_err krb_rc_open_file(krb_context *c, const char *path, uint32_t slots, krb_rcache **out)
{
    krb_rcache *rc = NULL;
    struct stat st;
    int locked = 0;
    krb_err rc_err;

    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "replay cache path is empty");
    }
    if (slots == 0) {
        slots = KRB_RC_SLOTS_DEFAULT;
    }
    if (slots < KRB_RC_SLOTS_MIN || slots > KRB_RC_SLOTS_MAX) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "replay cache slots %u out of range %u..%u", slots,
                             KRB_RC_SLOTS_MIN, KRB_RC_SLOTS_MAX);
    }
    rc = calloc(1, sizeof *rc);
    if (rc == NULL) {
        return KRB_ERR_NOMEM;
    }
    rc->fd = -1;
    if (strlen(path) >= sizeof rc->path) {
        rc_err = krb_set_error(c, KRB_ERR_INVALID_ARG, "replay cache path too long");
        goto out;
    }
    snprintf(rc->path, sizeof rc->path, "%s", path);
    rc->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (rc->fd < 0) {
        rc_err = krb_set_error(c, errno == ELOOP ? KRB_ERR_PERMISSION : KRB_ERR_RCACHE,
                               "cannot open replay cache %s: %s", path,
                               errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        goto out;
    }
    if (file_lock(rc->fd, F_WRLCK, RC_LOCK_OPEN, 1) != 0) {
        rc_err = krb_set_error(c, KRB_ERR_RCACHE, "cannot lock replay cache %s: %s", path, strerror(errno));
        goto out;
    }
    locked = 1;
    if (fstat(rc->fd, &st) != 0) {
        rc_err = krb_set_error(c, KRB_ERR_RCACHE, "cannot stat replay cache %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        rc_err = krb_set_error(c, KRB_ERR_PERMISSION,
                               "replay cache %s must be a regular file owned by uid %u with mode 0600", path,
                               (unsigned)geteuid());
        goto out;
    }
    if ((rc_err = table_prepare(c, rc, &st, slots)) != KRB_OK) {
        goto out;
    }
    rc->map = mmap(NULL, rc->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, rc->fd, 0);
    if (rc->map == MAP_FAILED) {
        rc->map = NULL;
        rc_err = krb_set_error(c, KRB_ERR_RCACHE, "cannot map replay cache %s: %s", path, strerror(errno));
        goto out;
    }
    rc->tab = (struct rc_slot *)(void *)(rc->map + KRB_RC_HEADER_BYTES);
    rc->probe = rc->slots < KRB_RC_PROBE_MAX ? rc->slots : KRB_RC_PROBE_MAX;
    rc_err = join_users(c, rc);
out:
    if (locked) {
        (void)file_lock(rc->fd, F_UNLCK, RC_LOCK_OPEN, 1);
    }
    if (rc_err != KRB_OK) {
        krb_rc_free(rc);
        return rc_err;
    }
    *out = rc;
    return KRB_OK;
}

/* Keep a service name readable in the file name: [A-Za-z0-9.-] stay,
 * everything else becomes '_'. Two names that map to the same file share
 * a table, which is harmless: the server name is part of every key. */
static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t i;

    for (i = 0; i + 1 < cap && src[i] != '\0'; i++) {
        char ch = src[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                 ch == '-';
        dst[i] = ok ? ch : '_';
    }
    dst[i] = '\0';
}

krb_err krb_rc_open(krb_context *c, const char *service, krb_rcache **out)
{
    char path[4096], safe[KRB_NAME_MAX + 1], canon[KRB_NAME_MAX + 1];
    const char *dir;

    *out = NULL;
    if (service == NULL || krb_name_canon(c, service, canon) != KRB_OK) {
        return krb_set_error(c, KRB_ERR_BAD_NAME, "replay cache: bad service name");
    }
    dir = getenv("TESSERA_RCACHE_DIR");
    if (dir == NULL || dir[0] == '\0') {
        dir = krb_config_get(c->cfg, "libdefaults", "rcache_dir");
    }
    if (dir == NULL || dir[0] == '\0') {
        dir = "/var/tmp";
    }
    sanitize(safe, sizeof safe, canon);
    if (snprintf(path, sizeof path, "%s/tessera_rc_%u_%s", dir, (unsigned)geteuid(), safe) >= (int)sizeof path) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "replay cache directory name too long");
    }
    return krb_rc_open_file(c, path, 0, out);
}

const char *krb_rc_path(const krb_rcache *rc)
{
    return rc->path;
}

void krb_rc_free(krb_rcache *rc)
{
    if (rc == NULL) {
        return;
    }
    if (rc->map != NULL) {
        munmap(rc->map, rc->map_len);
    }
    if (rc->fd >= 0) {
        close(rc->fd); /* drops RC_LOCK_USER */
    }
    free(rc);
}

krb_err krb_rc_check_and_store(krb_context *c, krb_rcache *rc, const char *server, const uint8_t *ct,
                               size_t ctlen, krb_time expiry, krb_time now)
{
    crypto_generichash_state st;
    uint8_t key[KRB_RC_KEY_BYTES], nlen;
    size_t slen = strlen(server);
    uint64_t h;
    struct rc_slot *free_slot = NULL, *s;
    krb_err rc_err;

    nlen = (uint8_t)(slen > 255 ? 255 : slen);
    crypto_generichash_init(&st, NULL, 0, sizeof key);
    crypto_generichash_update(&st, &nlen, 1);
    crypto_generichash_update(&st, (const uint8_t *)server, nlen);
    crypto_generichash_update(&st, ct, ctlen);
    crypto_generichash_final(&st, key, sizeof key);
    memcpy(&h, key, sizeof h);
    if (expiry <= 0) {
        expiry = 1;
    }

    if ((rc_err = rc_lock(c, rc)) != KRB_OK) {
        return rc_err;
    }
    for (uint32_t i = 0; i < rc->probe; i++) {
        s = &rc->tab[(h + i) % rc->slots];
        if (s->expiry == 0) {
            /* Never used: the chain ends here. */
            if (free_slot == NULL) {
                free_slot = s;
            }
            break;
        }
        if (s->expiry < now) {
            if (free_slot == NULL) {
                free_slot = s;
            }
            continue;
        }
        if (sodium_memcmp(s->key, key, sizeof key) == 0) {
            rc_err = krb_set_error(c, KRB_ERR_REPEAT, "authenticator for %s was already used (replay)", server);
            goto unlock;
        }
    }
    if (free_slot == NULL) {
        rc_err = krb_set_error(c, KRB_ERR_RCACHE,
                               "replay cache %s is full (%u slots of live entries): refusing the request; "
                               "recreate it with more slots",
                               rc->path, rc->slots);
        goto unlock;
    }
    memcpy(free_slot->key, key, sizeof key);
    free_slot->expiry = expiry;
    rc_err = KRB_OK;
unlock:
    pthread_mutex_unlock(rc->mu);
    return rc_err;
}
