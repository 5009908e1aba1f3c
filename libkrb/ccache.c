/*
 * ccache.c — the credential cache: one binary file per user holding the
 * default principal and its tickets with their session keys.
 *
 * File layout (all through buf.h):
 *   header "TK" 1 KRB_MSG_CCACHE
 *   name   default principal (vec8)
 *   u16    entry count (<= KRB_CC_MAX_ENTRIES)
 *   entry  client name, server name, session key (u16 suite + 32 bytes),
 *          authtime, starttime, endtime, renew_till (u64 each), flags (u32),
 *          kvno (u32), suite (u16), ticket (vec16, 1..KRB_TICKET_MAX)
 *
 * The decoder is strict: every entry's client is the default principal, no
 * server appears twice, the ticket decodes and its clear part agrees with
 * the entry, no unknown flag, no trailing byte.
 *
 * The file is mode 0600, never read or written through a symlink, replaced
 * atomically (temp file, fsync, rename) and overwritten before removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "context.h"
#include "creds.h"
#include "crypto.h"
#include "error.h"
#include "name.h"
#include "fileutil.h"

#define KNOWN_TKT_FLAGS \
    (KRB_TKT_FLAG_FORWARDABLE | KRB_TKT_FLAG_RENEWABLE | KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH)

struct krb_ccache {
    char *path; /* "" for an in-memory cache (krb_cc_parse) */
    char principal[KRB_NAME_MAX + 1];
    struct krb_creds *creds;
    size_t n, cap;
};

void krb_creds_wipe(struct krb_creds *cr)
{
    if (cr != NULL) {
        krb_wipe(cr, sizeof *cr);
    }
}

void krb_fmt_time(krb_time t, char *buf, size_t cap)
{
    time_t s = (time_t)(t / 1000000);
    struct tm tm;

    if (gmtime_r(&s, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        snprintf(buf, cap, "%lld", (long long)(t / 1000000));
    }
}

static void cc_clear(krb_ccache *cc)
{
    if (cc->creds != NULL) {
        krb_wipe(cc->creds, cc->cap * sizeof *cc->creds);
        free(cc->creds);
    }
    cc->creds = NULL;
    cc->n = 0;
    cc->cap = 0;
}

void krb_cc_free(krb_ccache *cc)
{
    if (cc == NULL) {
        return;
    }
    cc_clear(cc);
    free(cc->path);
    krb_wipe(cc, sizeof *cc);
    free(cc);
}

/* Make room for one more entry; the old array is wiped before it is freed. */
static krb_err cc_grow(krb_ccache *cc)
{
    struct krb_creds *nc;
    size_t ncap;

    if (cc->n < cc->cap) {
        return KRB_OK;
    }
    if (cc->n >= KRB_CC_MAX_ENTRIES) {
        return KRB_ERR_TOO_BIG;
    }
    ncap = cc->cap == 0 ? 4 : cc->cap * 2;
    if (ncap > KRB_CC_MAX_ENTRIES) {
        ncap = KRB_CC_MAX_ENTRIES;
    }
    nc = calloc(ncap, sizeof *nc);
    if (nc == NULL) {
        return KRB_ERR_NOMEM;
    }
    if (cc->creds != NULL) {
        memcpy(nc, cc->creds, cc->n * sizeof *nc);
        krb_wipe(cc->creds, cc->cap * sizeof *cc->creds);
        free(cc->creds);
    }
    cc->creds = nc;
    cc->cap = ncap;
    return KRB_OK;
}

static krb_ccache *cc_new(const char *path)
{
    krb_ccache *cc = calloc(1, sizeof *cc);

    if (cc == NULL) {
        return NULL;
    }
    cc->path = strdup(path);
    if (cc->path == NULL) {
        free(cc);
        return NULL;
    }
    return cc;
}

static ssize_t find_server(const krb_ccache *cc, const char *server)
{
    for (size_t i = 0; i < cc->n; i++) {
        if (strcmp(cc->creds[i].server, server) == 0) {
            return (ssize_t)i;
        }
    }
    return -1;
}

/* ---------------- encoding ---------------- */

static void rd_entry(struct krb_rd *r, const char *principal, struct krb_creds *cr)
{
    struct krb_ticket t;
    size_t tlen = 0;
    const uint8_t *tk;

    krb_rd_name(r, cr->client);
    krb_rd_name(r, cr->server);
    krb_rd_key(r, &cr->session);
    cr->authtime = krb_rd_time(r);
    cr->starttime = krb_rd_time(r);
    cr->endtime = krb_rd_time(r);
    cr->renew_till = krb_rd_time(r);
    cr->flags = krb_rd_u32(r);
    cr->kvno = krb_rd_u32(r);
    cr->suite = krb_rd_u16(r);
    tk = krb_rd_vec16(r, 1, KRB_TICKET_MAX, &tlen);
    if (r->err != KRB_OK) {
        return;
    }
    if (strcmp(cr->client, principal) != 0 || (cr->flags & ~KNOWN_TKT_FLAGS) != 0 ||
        cr->endtime < cr->starttime) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return;
    }
    if (krb_ticket_decode(tk, tlen, &t) != KRB_OK || strcmp(t.server, cr->server) != 0 || t.kvno != cr->kvno ||
        t.suite != cr->suite) {
        krb_rd_fail(r, KRB_ERR_MALFORMED);
        return;
    }
    memcpy(cr->ticket, tk, tlen);
    cr->ticket_len = (uint16_t)tlen;
}

static void wr_entry(struct krb_wr *w, const struct krb_creds *cr)
{
    krb_wr_name(w, cr->client);
    krb_wr_name(w, cr->server);
    krb_wr_key(w, &cr->session);
    krb_wr_u64(w, (uint64_t)cr->authtime);
    krb_wr_u64(w, (uint64_t)cr->starttime);
    krb_wr_u64(w, (uint64_t)cr->endtime);
    krb_wr_u64(w, (uint64_t)cr->renew_till);
    krb_wr_u32(w, cr->flags);
    krb_wr_u32(w, cr->kvno);
    krb_wr_u16(w, cr->suite);
    krb_wr_vec16(w, cr->ticket, cr->ticket_len);
}

krb_err krb_cc_parse(krb_context *c, const uint8_t *p, size_t n, krb_ccache **out)
{
    struct krb_rd r;
    krb_ccache *cc = NULL;
    size_t count;
    krb_err rc;

    *out = NULL;
    if (n > KRB_CC_FILE_MAX) {
        return krb_set_error(c, KRB_ERR_TOO_BIG, "credential cache is larger than %zu bytes", KRB_CC_FILE_MAX);
    }
    cc = cc_new("");
    if (cc == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, NULL);
    }
    krb_rd_init(&r, p, n);
    krb_rd_header(&r, KRB_MSG_CCACHE);
    krb_rd_name(&r, cc->principal);
    count = krb_rd_u16(&r);
    if (r.err == KRB_OK && count > KRB_CC_MAX_ENTRIES) {
        krb_rd_fail(&r, KRB_ERR_TOO_BIG);
    }
    /* Each entry takes at least this many bytes: no allocation beyond what
     * the input justifies. */
    if (r.err == KRB_OK && count > r.left / (2 * 2 + 2 + KRB_KEY_BYTES + 4 * 8 + 10 + 3)) {
        krb_rd_fail(&r, KRB_ERR_MALFORMED);
    }
    for (size_t i = 0; i < count && r.err == KRB_OK; i++) {
        if ((rc = cc_grow(cc)) != KRB_OK) {
            krb_rd_fail(&r, rc);
            break;
        }
        rd_entry(&r, cc->principal, &cc->creds[cc->n]);
        if (r.err != KRB_OK) {
            break;
        }
        if (find_server(cc, cc->creds[cc->n].server) >= 0) {
            krb_rd_fail(&r, KRB_ERR_MALFORMED); /* duplicate server */
            break;
        }
        cc->n++;
    }
    rc = krb_rd_end(&r);
    if (rc != KRB_OK) {
        krb_cc_free(cc);
        return krb_set_error(c, rc, "credential cache is corrupt (%s)", krb_err_message(rc));
    }
    *out = cc;
    return KRB_OK;
}

/* Encode the cache into a fresh heap buffer (caller wipes and frees). */
static krb_err cc_encode(const krb_ccache *cc, uint8_t **buf, size_t *len)
{
    size_t cap = KRB_HEADER_BYTES + 1 + KRB_NAME_MAX + 2 + cc->n * KRB_CC_ENTRY_MAX;
    struct krb_wr w;

    *buf = NULL;
    *len = 0;
    if (cc->n > KRB_CC_MAX_ENTRIES) {
        return KRB_ERR_TOO_BIG;
    }
    *buf = malloc(cap);
    if (*buf == NULL) {
        return KRB_ERR_NOMEM;
    }
    krb_wr_init(&w, *buf, cap);
    krb_wr_header(&w, KRB_MSG_CCACHE);
    krb_wr_name(&w, cc->principal);
    krb_wr_u16(&w, (uint16_t)cc->n);
    for (size_t i = 0; i < cc->n; i++) {
        wr_entry(&w, &cc->creds[i]);
    }
    if (w.err != KRB_OK) {
        krb_wipe(*buf, cap);
        free(*buf);
        *buf = NULL;
        return w.err;
    }
    *len = w.len;
    return KRB_OK;
}

krb_err krb_cc_serialize(krb_context *c, const krb_ccache *cc, krb_buf *out)
{
    krb_err rc;

    out->data = NULL;
    out->len = 0;
    if (cc->principal[0] == '\0') {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "credential cache is not initialised");
    }
    if ((rc = cc_encode(cc, &out->data, &out->len)) != KRB_OK) {
        return krb_set_error(c, rc, "cannot encode credential cache");
    }
    return KRB_OK;
}

/* ---------------- files ---------------- */

static krb_err default_path(krb_context *c, char *out, size_t cap)
{
    const char *p = getenv("TESSERA_CCNAME");
    const char *xdg;
    int n;

    if (p == NULL || p[0] == '\0') {
        p = krb_config_get(c->cfg, "libdefaults", "ccache");
    }
    if (p != NULL && p[0] != '\0') {
        n = snprintf(out, cap, "%s", p);
    } else if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && xdg[0] == '/') {
        n = snprintf(out, cap, "%s/tessera_cc_%lu", xdg, (unsigned long)geteuid());
    } else {
        n = snprintf(out, cap, "/tmp/tessera_cc_%lu", (unsigned long)geteuid());
    }
    if (n < 0 || (size_t)n >= cap) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "credential cache path too long");
    }
    return KRB_OK;
}

/* Strip an MIT-style "FILE:" prefix. */
static const char *strip_file_prefix(const char *p)
{
    if (strncmp(p, "FILE:", 5) == 0) {
        return p + 5;
    }
    return p;
}

static krb_err check_stat(krb_context *c, const char *path, const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "credential cache %s is not a regular file", path);
    }
    if (st->st_uid != geteuid()) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "credential cache %s is owned by uid %lu, not by you (uid %lu)",
                             path, (unsigned long)st->st_uid, (unsigned long)geteuid());
    }
    if ((st->st_mode & 077) != 0) {
        return krb_set_error(c, KRB_ERR_PERMISSION,
                             "credential cache %s is accessible by group or others (mode %04o): remove it and run "
                             "tkinit again",
                             path, (unsigned)(st->st_mode & 0777));
    }
    return KRB_OK;
}

static krb_err open_error(krb_context *c, const char *path, int err)
{
    if (err == ELOOP) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "credential cache %s is a symbolic link: refusing to follow it",
                             path);
    }
    if (err == EACCES || err == EPERM) {
        return krb_set_error(c, KRB_ERR_PERMISSION, "cannot open credential cache %s: %s", path, strerror(err));
    }
    return krb_set_error(c, KRB_ERR_IO, "cannot open credential cache %s: %s", path, strerror(err));
}

static krb_err read_all(krb_context *c, const char *path, int fd, size_t size, uint8_t *buf)
{
    size_t got = 0;

    while (got < size) {
        ssize_t k = read(fd, buf + got, size - got);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return krb_set_error(c, KRB_ERR_IO, "cannot read credential cache %s: %s", path, strerror(errno));
        }
        if (k == 0) {
            return krb_set_error(c, KRB_ERR_IO, "credential cache %s changed while being read", path);
        }
        got += (size_t)k;
    }
    return KRB_OK;
}

krb_err krb_cc_open(krb_context *c, const char *path, krb_ccache **out)
{
    char def[PATH_MAX];
    const char *p;
    krb_ccache *cc = NULL, *parsed = NULL;
    uint8_t *buf = NULL;
    size_t size = 0;
    struct stat st;
    int fd = -1;
    krb_err rc;

    *out = NULL;
    if (path == NULL) {
        if ((rc = default_path(c, def, sizeof def)) != KRB_OK) {
            return rc;
        }
        path = def;
    }
    p = strip_file_prefix(path);
    if (p[0] == '\0') {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "empty credential cache path");
    }
    cc = cc_new(p);
    if (cc == NULL) {
        return krb_set_error(c, KRB_ERR_NOMEM, NULL);
    }
    fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            *out = cc; /* a missing file is an empty cache */
            cc = NULL;
            rc = KRB_OK;
        } else {
            rc = open_error(c, p, errno);
        }
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot stat credential cache %s: %s", p, strerror(errno));
        goto out;
    }
    if ((rc = check_stat(c, p, &st)) != KRB_OK) {
        goto out;
    }
    if ((uint64_t)st.st_size > KRB_CC_FILE_MAX) {
        rc = krb_set_error(c, KRB_ERR_TOO_BIG, "credential cache %s is too large (%lld bytes)", p,
                           (long long)st.st_size);
        goto out;
    }
    size = (size_t)st.st_size;
    buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        rc = krb_set_error(c, KRB_ERR_NOMEM, NULL);
        goto out;
    }
    if ((rc = read_all(c, p, fd, size, buf)) != KRB_OK) {
        goto out;
    }
    rc = krb_cc_parse(NULL, buf, size, &parsed);
    if (rc != KRB_OK) {
        rc = krb_set_error(c, rc, "credential cache %s is corrupt (%s): run tkdestroy and tkinit", p,
                           krb_err_message(rc));
        goto out;
    }
    free(parsed->path);
    parsed->path = cc->path;
    cc->path = NULL;
    *out = parsed;
    parsed = NULL;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (buf != NULL) {
        krb_wipe(buf, size);
        free(buf);
    }
    krb_cc_free(parsed);
    krb_cc_free(cc);
    return rc;
}

/* Write the cache atomically (temp file next to it, fsync, rename). */
static krb_err cc_save(krb_context *c, const krb_ccache *cc)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    krb_err rc;

    if (cc->path[0] == '\0') {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "in-memory credential cache cannot be saved");
    }
    if ((rc = cc_encode(cc, &buf, &len)) != KRB_OK) {
        rc = krb_set_error(c, rc, "cannot encode credential cache %s", cc->path);
        goto out;
    }
    rc = krb_file_replace(c, cc->path, "credential cache", buf, len);
out:
    if (buf != NULL) {
        krb_wipe(buf, len);
        free(buf);
    }
    return rc;
}

/* ---------------- the API ---------------- */

const char *krb_cc_path(const krb_ccache *cc)
{
    return cc->path;
}

const char *krb_cc_principal(const krb_ccache *cc)
{
    return cc->principal;
}

size_t krb_cc_count(const krb_ccache *cc)
{
    return cc->n;
}

krb_err krb_cc_get_info(const krb_ccache *cc, size_t i, krb_cred_info *out)
{
    const struct krb_creds *cr;

    memset(out, 0, sizeof *out);
    if (i >= cc->n) {
        return KRB_ERR_INVALID_ARG;
    }
    cr = &cc->creds[i];
    memcpy(out->client, cr->client, sizeof out->client);
    memcpy(out->server, cr->server, sizeof out->server);
    out->authtime = cr->authtime;
    out->starttime = cr->starttime;
    out->endtime = cr->endtime;
    out->renew_till = cr->renew_till;
    out->flags = cr->flags;
    out->kvno = cr->kvno;
    out->suite = cr->suite;
    return KRB_OK;
}

krb_err krb_cc_initialize(krb_context *c, krb_ccache *cc, const char *principal)
{
    if (krb_name_check(c, principal, strlen(principal)) != KRB_OK) {
        return KRB_ERR_BAD_NAME;
    }
    cc_clear(cc);
    snprintf(cc->principal, sizeof cc->principal, "%s", principal);
    return KRB_OK;
}

krb_err krb_cc_store(krb_context *c, krb_ccache *cc, const struct krb_creds *cr)
{
    ssize_t at;
    krb_err rc;

    if (cc->principal[0] == '\0') {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "credential cache %s is not initialised", cc->path);
    }
    if (strcmp(cr->client, cc->principal) != 0) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "credentials for %s do not belong in the cache of %s",
                             cr->client, cc->principal);
    }
    if (cr->ticket_len == 0 || cr->ticket_len > KRB_TICKET_MAX || (cr->flags & ~KNOWN_TKT_FLAGS) != 0) {
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "invalid credentials for %s", cr->server);
    }
    at = find_server(cc, cr->server);
    if (at < 0) {
        if ((rc = cc_grow(cc)) != KRB_OK) {
            return krb_set_error(c, rc, "credential cache %s is full (%u entries)", cc->path,
                                 KRB_CC_MAX_ENTRIES);
        }
        at = (ssize_t)cc->n++;
    }
    memcpy(&cc->creds[at], cr, sizeof *cr);
    return cc_save(c, cc);
}

krb_err krb_cc_find(krb_context *c, const krb_ccache *cc, const char *server, struct krb_creds *out)
{
    ssize_t at = find_server(cc, server);

    if (at < 0) {
        krb_wipe(out, sizeof *out);
        return krb_set_error(c, KRB_ERR_NO_CREDS, "no credentials for %s in %s", server, cc->path);
    }
    memcpy(out, &cc->creds[at], sizeof *out);
    return KRB_OK;
}

krb_err krb_cc_destroy(krb_context *c, krb_ccache *cc)
{
    uint8_t zero[4096];
    struct stat st;
    int fd = -1;
    off_t left;
    krb_err rc;

    cc_clear(cc);
    cc->principal[0] = '\0';
    if (cc->path[0] == '\0') {
        return KRB_OK;
    }
    fd = open(cc->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            return krb_set_error(c, KRB_ERR_NO_CREDS, "no credentials cache found (%s)", cc->path);
        }
        return open_error(c, cc->path, errno);
    }
    if (fstat(fd, &st) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot stat credential cache %s: %s", cc->path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        rc = check_stat(c, cc->path, &st);
        goto out;
    }
    memset(zero, 0, sizeof zero);
    for (left = st.st_size; left > 0;) {
        size_t k = left > (off_t)sizeof zero ? sizeof zero : (size_t)left;
        if (krb_write_full(fd, zero, k) != 0) {
            rc = krb_set_error(c, KRB_ERR_IO, "cannot overwrite credential cache %s: %s", cc->path,
                               strerror(errno));
            goto out;
        }
        left -= (off_t)k;
    }
    if (fsync(fd) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot sync credential cache %s: %s", cc->path, strerror(errno));
        goto out;
    }
    if (unlink(cc->path) != 0) {
        rc = krb_set_error(c, KRB_ERR_IO, "cannot remove credential cache %s: %s", cc->path, strerror(errno));
        goto out;
    }
    rc = KRB_OK;
out:
    close(fd);
    return rc;
}
