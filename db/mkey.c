/*
 * mkey.c — the master key and its stash file.
 *
 * Stash file (39 bytes): "TSMK", u8 version 1, u16 suite, 32 key bytes.
 * Created mode 0600 through a temporary file in the same directory that is
 * fsynced and then linked into place (never replacing an existing stash);
 * read with O_NOFOLLOW and refused when group/world accessible or owned by
 * another user. The key lives in sodium_malloc memory, made read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "kdb_int.h"
#include "fileutil.h"

#define STASH_MAGIC "TSMK"
#define STASH_VERSION 1
#define STASH_BYTES (4 + 1 + 2 + KRB_KEY_BYTES)

krb_err kdb_mkey_check_value(const struct krb_key *mkey, uint8_t out[KRB_HASH_BYTES])
{
    static const char text[] = KDB_MKEY_CHECK_TEXT;
    return krb_mac(out, mkey, KRB_USAGE_DB_CHECK, text, sizeof text - 1);
}

static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    return (ssize_t)got;
}

krb_err kdb_stash_read(krb_context *c, const char *path, struct krb_key **out)
{
    uint8_t buf[STASH_BYTES + 1];
    struct krb_key *k = NULL;
    struct krb_rd r;
    struct stat st;
    const uint8_t *p;
    ssize_t n;
    krb_err rc = KRB_OK;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return krb_set_error(c, KRB_ERR_MKEY,
                                 "stash file %s is missing (restore it from backup, or check 'stash' in [kdc])", path);
        }
        if (errno == ELOOP) {
            return krb_set_error(c, KRB_ERR_PERMISSION, "stash file %s is a symbolic link (use the real file path)",
                                 path);
        }
        return krb_set_error(c, KRB_ERR_MKEY, "cannot open stash file %s: %s (run as the realm's owner)", path,
                             strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot stat stash file %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = krb_set_error(c, KRB_ERR_PERMISSION, "stash file %s is not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        rc = krb_set_error(c, KRB_ERR_PERMISSION,
                           "stash file %s is accessible by group or others (mode %03o): run chmod 600 %s", path,
                           (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    if (st.st_uid != geteuid()) {
        rc = krb_set_error(c, KRB_ERR_PERMISSION, "stash file %s is owned by uid %u, not by uid %u: chown it", path,
                           (unsigned)st.st_uid, (unsigned)geteuid());
        goto out;
    }
    n = read_full(fd, buf, sizeof buf);
    if (n != STASH_BYTES) {
        rc = krb_set_error(c, KRB_ERR_MKEY, "stash file %s has the wrong size (not a Tessera stash?)", path);
        goto out;
    }
    k = krb_key_secure_new();
    if (k == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, "cannot allocate secure memory for the master key");
        goto out;
    }
    krb_rd_init(&r, buf, (size_t)n);
    p = krb_rd_bytes(&r, 4);
    if (p != NULL && memcmp(p, STASH_MAGIC, 4) != 0) {
        krb_rd_fail(&r, KRB_ERR_MALFORMED);
    }
    if (krb_rd_u8(&r) != STASH_VERSION) {
        krb_rd_fail(&r, KRB_ERR_MALFORMED);
    }
    k->suite = krb_rd_u16(&r);
    p = krb_rd_bytes(&r, KRB_KEY_BYTES);
    if (p != NULL) {
        memcpy(k->k, p, KRB_KEY_BYTES);
    }
    if (krb_rd_end(&r) != KRB_OK || !krb_suite_supported(k->suite)) {
        rc = krb_set_error(c, KRB_ERR_MKEY, "stash file %s is corrupt (restore it from backup)", path);
        goto out;
    }
    sodium_mprotect_readonly(k);
    *out = k;
    k = NULL;
out:
    sodium_memzero(buf, sizeof buf);
    krb_key_secure_free(k);
    close(fd);
    return rc;
}

krb_err kdb_stash_create(krb_context *c, const char *path, struct krb_key **out)
{
    uint8_t buf[STASH_BYTES];
    char tmp[PATH_MAX] = "";
    struct krb_key *k = NULL;
    struct krb_wr w;
    krb_err rc = KRB_OK;

    *out = NULL;
    if (strlen(path) + sizeof ".tmpXXXXXX" > sizeof tmp) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "stash path %s is too long", path);
    }
    k = krb_key_secure_new();
    if (k == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, "cannot allocate secure memory for the master key");
    }
    if ((rc = krb_key_random(k, KRB_SUITE_XCHACHA20POLY1305)) != KRB_OK) {
        krb_set_error(c, rc, "cannot generate the master key");
        goto out;
    }
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_bytes(&w, STASH_MAGIC, 4);
    krb_wr_u8(&w, STASH_VERSION);
    krb_wr_u16(&w, k->suite);
    krb_wr_bytes(&w, k->k, KRB_KEY_BYTES);
    if (w.err != KRB_OK) {
        rc = krb_set_error(c, KRB_ERR_INTERNAL, "stash encoding failed");
        goto out;
    }
    if ((rc = krb_file_write_temp(c, path, "stash file", buf, w.len, tmp, sizeof tmp)) != KRB_OK) {
        goto out;
    }
    /* link() never replaces an existing stash (rename would). */
    if (link(tmp, path) != 0) {
        if (errno == EEXIST) {
            rc = krb_set_error(c, KRB_ERR_EXISTS, "stash file %s already exists", path);
            goto out;
        }
        struct stat st;
        if (lstat(path, &st) == 0) {
            rc = krb_set_error(c, KRB_ERR_EXISTS, "stash file %s already exists", path);
            goto out;
        }
        if (rename(tmp, path) != 0) {
            rc = krb_set_error(c, KRB_ERR_IO, "cannot install stash file %s: %s", path, strerror(errno));
            goto out;
        }
    }
    krb_fsync_parent(path);
    sodium_mprotect_readonly(k);
    *out = k;
    k = NULL;
out:
    sodium_memzero(buf, sizeof buf);
    if (tmp[0] != '\0') {
        (void)unlink(tmp); /* after link(): drops the temporary name; after rename(): ENOENT */
    }
    krb_key_secure_free(k);
    return rc;
}
