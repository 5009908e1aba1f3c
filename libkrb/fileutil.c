/* fileutil.c — see fileutil.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileutil.h"

int krb_write_full(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;

    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

void krb_fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else if (slash == path) {
        snprintf(dir, sizeof dir, "/");
    } else {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

krb_err krb_file_write_temp(struct krb_context *c, const char *path, const char *what, const void *data, size_t len,
                            char *tmp, size_t tmpcap)
{
    int fd, n, err = 0;

    n = snprintf(tmp, tmpcap, "%s.tmpXXXXXX", path);
    if (n < 0 || (size_t)n >= tmpcap) {
        tmp[0] = '\0';
        return krb_set_error(c, KRB_ERR_INVALID_ARG, "%s path %s is too long", what, path);
    }
    fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, mode 0600: never follows a planted link */
    if (fd < 0) {
        err = errno;
        tmp[0] = '\0';
        return krb_set_error(c, err == EACCES || err == EPERM ? KRB_ERR_PERMISSION : KRB_ERR_IO,
                             "cannot create a temporary file next to %s %s: %s (check the directory exists and "
                             "is writable)",
                             what, path, strerror(err));
    }
    if (fchmod(fd, 0600) != 0 || krb_write_full(fd, data, len) != 0 || fsync(fd) != 0) {
        err = errno;
    }
    if (close(fd) != 0 && err == 0) {
        err = errno;
    }
    if (err != 0) {
        (void)unlink(tmp);
        tmp[0] = '\0';
        return krb_set_error(c, KRB_ERR_IO, "cannot write %s %s: %s", what, path, strerror(err));
    }
    return KRB_OK;
}

krb_err krb_file_check_target(struct krb_context *c, const char *path, const char *what)
{
    struct stat st;

    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
        return KRB_OK; /* absent (or unreadable: the write will say why) */
    }
    return krb_set_error(c, KRB_ERR_INVALID_ARG,
                         "%s path %s is a %s, not a regular file: give the path of a file to create or replace", what,
                         path,
                         S_ISDIR(st.st_mode)                          ? "directory"
                         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "device"
                         : S_ISFIFO(st.st_mode)                       ? "FIFO"
                                                                      : "socket");
}

krb_err krb_file_replace(struct krb_context *c, const char *path, const char *what, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    krb_err rc;

    if ((rc = krb_file_check_target(c, path, what)) != KRB_OK) {
        return rc;
    }
    if ((rc = krb_file_write_temp(c, path, what, data, len, tmp, sizeof tmp)) != KRB_OK) {
        return rc;
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        (void)unlink(tmp);
        return krb_set_error(c, KRB_ERR_IO, "cannot replace %s %s: %s", what, path, strerror(err));
    }
    krb_fsync_parent(path);
    return KRB_OK;
}
