/* fileutil.h — the one way Tessera writes files holding secrets (keytab,
 * credential cache, master-key stash): a 0600 temporary file created next
 * to the target with O_EXCL (so never through a planted link), written in
 * full, fsynced, then renamed or linked into place. */
#ifndef TESSERA_FILEUTIL_H
#define TESSERA_FILEUTIL_H

#include <stddef.h>

#include "krb.h"

struct krb_context;

/* write(2) all n bytes, retrying on EINTR and short writes: 0, or -1 with errno set. */
int krb_write_full(int fd, const void *p, size_t n);

/* fsync the directory holding path, so that a rename or link into it
 * survives a crash. Best effort: errors are ignored. */
void krb_fsync_parent(const char *path);

/*
 * Create "<path>.tmpXXXXXX" (mode 0600, O_EXCL), write data, fsync and
 * close it; its name goes to tmp (tmpcap bytes). The caller renames or
 * links it into place, or unlinks it. what names the file in errors
 * ("keytab"). Errors: KRB_ERR_PERMISSION (EACCES/EPERM), KRB_ERR_IO,
 * KRB_ERR_INVALID_ARG (path too long); on error no temporary file remains.
 */
KRB_WUR krb_err krb_file_write_temp(struct krb_context *c, const char *path, const char *what, const void *data,
                                    size_t len, char *tmp, size_t tmpcap);

/* KRB_OK if path does not exist, or is a regular file or a symbolic link
 * (which a rename replaces without following); otherwise
 * KRB_ERR_INVALID_ARG naming it: a rename would put a regular file in the
 * place of a device, FIFO, socket or directory (think `dump /dev/full`). */
KRB_WUR krb_err krb_file_check_target(struct krb_context *c, const char *path, const char *what);

/* krb_file_check_target, krb_file_write_temp, then rename over path and
 * fsync the directory. */
KRB_WUR krb_err krb_file_replace(struct krb_context *c, const char *path, const char *what, const void *data,
                                 size_t len);

#endif
