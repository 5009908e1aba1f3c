/*
 * keytab.c — service keys on disk (format in keytab.h).
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
#include "codec.h"
#include "context.h"
#include "keytab.h"
#include "name.h"
#include "fileutil.h"

struct kt_entry {
    char name[KRB_NAME_MAX + 1];
    uint32_t kvno;
    uint16_t suite;
};

struct krb_keytab {
    char *path;
    struct kt_entry *e; /* names and versions (not secret) */
    struct krb_key *keys; /* sodium_allocarray(cap): keys[i] belongs to e[i] */
    size_t n, cap;
};

static void keys_rw(krb_keytab *kt)
{
    if (kt->keys != NULL) {
        sodium_mprotect_readwrite(kt->keys);
    }
}

static void keys_ro(krb_keytab *kt)
{
    if (kt->keys != NULL) {
        sodium_mprotect_readonly(kt->keys);
    }
}

void krb_kt_free(krb_keytab *kt)
{
    if (kt == NULL) {
        return;
    }
    if (kt->keys != NULL) {
        sodium_mprotect_readwrite(kt->keys);
        sodium_free(kt->keys); /* wipes */
    }
    free(kt->e);
    free(kt->path);
    free(kt);
}

static krb_err kt_new(const char *path, krb_keytab **out)
{
    krb_keytab *kt = calloc(1, sizeof *kt);

    *out = NULL;
    if (kt == NULL) {
        return KRB_ERR_NOMEM;
    }
    kt->path = strdup(path);
    if (kt->path == NULL) {
        free(kt);
        return KRB_ERR_NOMEM;
    }
    *out = kt;
    return KRB_OK;
}

/* Make room for one more entry. Keys are moved into a larger guarded
 * block; the old one is wiped by sodium_free. Leaves keys writable. */
static krb_err kt_reserve(krb_keytab *kt)
{
    struct kt_entry *ne;
    struct krb_key *nk;
    size_t ncap;

    if (kt->n < kt->cap) {
        return KRB_OK;
    }
    if (kt->n >= KRB_KT_MAX_ENTRIES) {
        return KRB_ERR_TOO_BIG;
    }
    ncap = kt->cap == 0 ? 8 : kt->cap * 2;
    if (ncap > KRB_KT_MAX_ENTRIES) {
        ncap = KRB_KT_MAX_ENTRIES;
    }
    ne = realloc(kt->e, ncap * sizeof *ne);
    if (ne == NULL) {
        return KRB_ERR_NOMEM;
    }
    kt->e = ne;
    nk = sodium_allocarray(ncap, sizeof *nk);
    if (nk == NULL) {
        return KRB_ERR_NOMEM;
    }
    if (kt->keys != NULL) {
        memcpy(nk, kt->keys, kt->n * sizeof *nk);
        sodium_mprotect_readwrite(kt->keys);
        sodium_free(kt->keys);
    }
    kt->keys = nk;
    kt->cap = ncap;
    return KRB_OK;
}

static long kt_index(const krb_keytab *kt, const char *name, uint32_t kvno)
{
    for (size_t i = 0; i < kt->n; i++) {
        if (kt->e[i].kvno == kvno && strcmp(kt->e[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Append or replace; keys must be writable. */
static krb_err kt_put(krb_keytab *kt, const char *name, uint32_t kvno, uint16_t suite, const uint8_t *key)
{
    long at = kt_index(kt, name, kvno);
    size_t i;
    krb_err rc;

    if (at >= 0) {
        i = (size_t)at;
    } else {
        if ((rc = kt_reserve(kt)) != KRB_OK) {
            return rc;
        }
        i = kt->n++;
    }
    snprintf(kt->e[i].name, sizeof kt->e[i].name, "%s", name);
    kt->e[i].kvno = kvno;
    kt->e[i].suite = suite;
    kt->keys[i].suite = suite;
    memcpy(kt->keys[i].k, key, KRB_KEY_BYTES);
    return KRB_OK;
}

/* Parse an image into an empty kt (keys left writable). */
static krb_err kt_parse_into(krb_keytab *kt, const uint8_t *p, size_t n)
{
    struct krb_rd r;
    char name[KRB_NAME_MAX + 1];
    const uint8_t *key;
    uint16_t count, suite;
    uint32_t kvno;
    krb_err rc;

    if (n > KRB_KT_FILE_MAX) {
        return KRB_ERR_TOO_BIG;
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_KEYTAB);
    count = krb_rd_u16(&r);
    if (r.err == KRB_OK && count > KRB_KT_MAX_ENTRIES) {
        return KRB_ERR_TOO_BIG;
    }
    /* Each entry needs at least 1+1+4+2+32 bytes: reject lying counts early. */
    if (r.err == KRB_OK && (size_t)count * (1 + 1 + 4 + 2 + KRB_KEY_BYTES) > r.left) {
        return KRB_ERR_MALFORMED;
    }
    for (unsigned i = 0; r.err == KRB_OK && i < count; i++) {
        krb_rd_name(&r, name);
        kvno = krb_rd_u32(&r);
        suite = krb_rd_u16(&r);
        key = krb_rd_bytes(&r, KRB_KEY_BYTES);
        if (r.err != KRB_OK) {
            break;
        }
        if (kvno == 0 || krb_seal_overhead(suite) == 0) {
            return KRB_ERR_MALFORMED;
        }
        if (kt_index(kt, name, kvno) >= 0) {
            return KRB_ERR_MALFORMED; /* duplicate entry */
        }
        if ((rc = kt_put(kt, name, kvno, suite, key)) != KRB_OK) {
            return rc;
        }
    }
    return krb_rd_end(&r);
}

krb_err krb_kt_parse(krb_context *c, const uint8_t *p, size_t n, krb_keytab **out)
{
    krb_keytab *kt;
    krb_err rc;

    *out = NULL;
    if ((rc = kt_new("(memory)", &kt)) != KRB_OK) {
        return krb_set_error(c, rc, "out of memory");
    }
    if ((rc = kt_parse_into(kt, p, n)) != KRB_OK) {
        krb_kt_free(kt);
        return krb_set_error(c, rc, "keytab image is corrupt (%s)", krb_err_message(rc));
    }
    keys_ro(kt);
    *out = kt;
    return KRB_OK;
}

static const char *default_path(krb_context *c)
{
    const char *p = getenv("TESSERA_KTNAME");

    if (p != NULL && p[0] != '\0') {
        return p;
    }
    p = krb_config_get(c->cfg, "libdefaults", "keytab");
    if (p != NULL && p[0] != '\0') {
        return p;
    }
    return KRB_KT_DEFAULT_PATH;
}

krb_err krb_kt_open(krb_context *c, const char *path, krb_keytab **out)
{
    krb_keytab *kt = NULL;
    uint8_t *buf = NULL;
    struct stat st;
    size_t got = 0, size = 0;
    krb_err rc = KRB_OK;
    int fd = -1;

    *out = NULL;
    if (path == NULL) {
        path = default_path(c);
    }
    if ((rc = kt_new(path, &kt)) != KRB_OK) {
        return krb_set_error(c, rc, "out of memory");
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            goto done; /* a missing keytab is an empty one */
        }
        if (errno == ELOOP) {
            rc = krb_set_error(c, KRB_ERR_PERMISSION, "keytab %s is a symbolic link: refusing to follow it", path);
        } else if (errno == EACCES) {
            rc = krb_set_error(c, KRB_ERR_PERMISSION, "no permission to read keytab %s (run as its owner)", path);
        } else {
            rc = krb_set_error(c, KRB_ERR_IO, "cannot open keytab %s: %s", path, strerror(errno));
        }
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot stat keytab %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = krb_set_error(c, KRB_ERR_PERMISSION, "keytab %s is not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        rc = krb_set_error(c, KRB_ERR_PERMISSION,
                           "keytab %s is accessible by group or others (mode %03o): run chmod 600 %s", path,
                           (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    if ((uint64_t)st.st_size > KRB_KT_FILE_MAX) {
        rc = krb_set_error(c, KRB_ERR_TOO_BIG, "keytab %s is larger than any valid keytab (%lld bytes)", path,
                           (long long)st.st_size);
        goto out;
    }
    size = (size_t)st.st_size;
    buf = malloc(size + 1);
    if (buf == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, "out of memory reading keytab %s", path);
        goto out;
    }
    while (got <= size) {
        ssize_t r = read(fd, buf + got, size + 1 - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            rc = krb_set_error(c, KRB_ERR_IO, "cannot read keytab %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    if (got > size) {
        rc = krb_set_error(c, KRB_ERR_IO, "keytab %s changed while being read: retry", path);
        goto out;
    }
    if ((rc = kt_parse_into(kt, buf, got)) != KRB_OK) {
        krb_set_error(c, rc, "keytab %s is corrupt (%s): export it again with tkadmin ktadd", path,
                      krb_err_message(rc));
        goto out;
    }
done:
    keys_ro(kt);
    *out = kt;
    kt = NULL;
out:
    if (buf != NULL) {
        sodium_memzero(buf, size + 1);
        free(buf);
    }
    if (fd >= 0) {
        close(fd);
    }
    krb_kt_free(kt);
    return rc;
}

const char *krb_kt_path(const krb_keytab *kt)
{
    return kt != NULL ? kt->path : "";
}

size_t krb_kt_count(const krb_keytab *kt)
{
    return kt != NULL ? kt->n : 0;
}

krb_err krb_kt_get_info(const krb_keytab *kt, size_t i, krb_kt_info *out)
{
    memset(out, 0, sizeof *out);
    if (kt == NULL || i >= kt->n) {
        return KRB_ERR_INVALID_ARG;
    }
    snprintf(out->principal, sizeof out->principal, "%s", kt->e[i].name);
    out->kvno = kt->e[i].kvno;
    out->suite = kt->e[i].suite;
    return KRB_OK;
}

/* List the kvnos of name into buf ("3, 2, 1"). */
static void list_kvnos(const krb_keytab *kt, const char *name, char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < kt->n && used < cap; i++) {
        if (strcmp(kt->e[i].name, name) == 0) {
            int w = snprintf(buf + used, cap - used, "%s%u", used > 0 ? ", " : "", (unsigned)kt->e[i].kvno);
            if (w < 0) {
                break;
            }
            used += (size_t)w;
        }
    }
}

krb_err krb_kt_find(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno, struct krb_key *out,
                    uint32_t *kvno_out)
{
    char name[KRB_NAME_MAX + 1];
    char have[96];
    long best = -1, any = -1;
    krb_err rc;

    memset(out, 0, sizeof *out);
    if (kvno_out != NULL) {
        *kvno_out = 0;
    }
    if (kt == NULL || principal == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "krb_kt_find: missing keytab or principal");
    }
    if ((rc = krb_name_canon(c, principal, name)) != KRB_OK) {
        return rc;
    }
    for (size_t i = 0; i < kt->n; i++) {
        if (strcmp(kt->e[i].name, name) != 0) {
            continue;
        }
        any = (long)i;
        if (kvno != 0 ? kt->e[i].kvno == kvno : (best < 0 || kt->e[i].kvno > kt->e[best].kvno)) {
            best = (long)i;
        }
    }
    if (any < 0) {
        return krb_set_error(c, KRB_ERR_KT_NOTFOUND,
                             "no key for %s in keytab %s (export one with tkadmin ktadd -k %s %s)", name, kt->path,
                             kt->path, name);
    }
    if (best < 0) {
        list_kvnos(kt, name, have, sizeof have);
        return krb_set_error(c, KRB_ERR_BADKEYVER,
                             "keytab %s has kvno %s for %s, not kvno %u (the keytab is out of date: run tkadmin "
                             "ktadd --norandkey)",
                             kt->path, have, name, (unsigned)kvno);
    }
    *out = kt->keys[best];
    if (kvno_out != NULL) {
        *kvno_out = kt->e[best].kvno;
    }
    return KRB_OK;
}

krb_err krb_kt_add(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno, const struct krb_key *key)
{
    char name[KRB_NAME_MAX + 1];
    krb_err rc;

    if (kt == NULL || key == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "krb_kt_add: missing keytab or key");
    }
    if ((rc = krb_name_canon(c, principal, name)) != KRB_OK) {
        return rc;
    }
    if (kvno == 0 || krb_seal_overhead(key->suite) == 0) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "cannot add %s: kvno must be >= 1 and the suite known", name);
    }
    keys_rw(kt);
    rc = kt_put(kt, name, kvno, key->suite, key->k);
    keys_ro(kt);
    if (rc == KRB_ERR_TOO_BIG) {
        return krb_set_error(c, rc, "keytab %s already holds %u entries: remove old ones with tkadmin ktremove",
                             kt->path, KRB_KT_MAX_ENTRIES);
    }
    if (rc != KRB_OK) {
        return krb_set_error(c, rc, "out of memory");
    }
    return KRB_OK;
}

/* Remove the entries for which keep(i) is 0; returns how many. */
static size_t kt_filter(krb_keytab *kt, const char *name, uint32_t kvno, uint32_t below)
{
    size_t j = 0, removed = 0;

    keys_rw(kt);
    for (size_t i = 0; i < kt->n; i++) {
        int match = strcmp(kt->e[i].name, name) == 0 &&
                    (below != 0 ? kt->e[i].kvno < below : (kvno == 0 || kt->e[i].kvno == kvno));
        if (match) {
            removed++;
            continue;
        }
        if (j != i) {
            kt->e[j] = kt->e[i];
            kt->keys[j] = kt->keys[i];
        }
        j++;
    }
    for (size_t i = j; i < kt->n; i++) {
        sodium_memzero(&kt->keys[i], sizeof kt->keys[i]);
        memset(&kt->e[i], 0, sizeof kt->e[i]);
    }
    kt->n = j;
    keys_ro(kt);
    return removed;
}

krb_err krb_kt_remove(krb_context *c, krb_keytab *kt, const char *principal, uint32_t kvno)
{
    char name[KRB_NAME_MAX + 1];
    struct krb_key probe;
    krb_err rc;

    if ((rc = krb_kt_find(c, kt, principal, kvno, &probe, NULL)) != KRB_OK) {
        return rc;
    }
    krb_key_wipe(&probe);
    if ((rc = krb_name_canon(c, principal, name)) != KRB_OK) {
        return rc;
    }
    (void)kt_filter(kt, name, kvno, 0);
    return KRB_OK;
}

krb_err krb_kt_remove_old(krb_context *c, krb_keytab *kt, const char *principal, size_t *removed)
{
    char name[KRB_NAME_MAX + 1];
    struct krb_key probe;
    uint32_t newest;
    size_t n;
    krb_err rc;

    if (removed != NULL) {
        *removed = 0;
    }
    if ((rc = krb_kt_find(c, kt, principal, 0, &probe, &newest)) != KRB_OK) {
        return rc;
    }
    krb_key_wipe(&probe);
    if ((rc = krb_name_canon(c, principal, name)) != KRB_OK) {
        return rc;
    }
    n = kt_filter(kt, name, 0, newest);
    if (removed != NULL) {
        *removed = n;
    }
    return KRB_OK;
}

krb_err krb_kt_serialize(krb_context *c, const krb_keytab *kt, krb_buf *out)
{
    struct krb_wr w;
    size_t cap = 4 + 2 + kt->n * KRB_KT_ENTRY_MAX;

    out->data = NULL;
    out->len = 0;
    out->data = malloc(cap);
    if (out->data == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, "out of memory");
    }
    krb_wr_init(&w, out->data, cap);
    krb_wr_header(&w, KRB_MSG_KEYTAB);
    krb_wr_u16(&w, (uint16_t)kt->n);
    for (size_t i = 0; i < kt->n; i++) {
        krb_wr_name(&w, kt->e[i].name);
        krb_wr_u32(&w, kt->e[i].kvno);
        krb_wr_u16(&w, kt->e[i].suite);
        krb_wr_bytes(&w, kt->keys[i].k, KRB_KEY_BYTES);
    }
    if (w.err != KRB_OK) {
        krb_err e = w.err;
        sodium_memzero(out->data, cap);
        free(out->data);
        out->data = NULL;
        return krb_set_error(c, e, "cannot encode keytab %s", kt->path);
    }
    out->len = w.len;
    return KRB_OK;
}

krb_err krb_kt_save(krb_context *c, krb_keytab *kt)
{
    krb_buf img = { NULL, 0 };
    struct stat st;
    krb_err rc;

    if (kt == NULL) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "krb_kt_save: no keytab");
    }
    if (strcmp(kt->path, "(memory)") == 0) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "an in-memory keytab has no file to save to");
    }
    if (lstat(kt->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "keytab %s is a symbolic link or not a regular file: refusing "
                             "to replace it", kt->path);
    }
    if ((rc = krb_kt_serialize(c, kt, &img)) != KRB_OK) {
        return rc;
    }
    rc = krb_file_replace(c, kt->path, "keytab", img.data, img.len);
    krb_buf_free(&img);
    return rc;
}
