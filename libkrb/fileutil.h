/* fileutil.h — small file helpers shared by the modules that write secret
 * files atomically (keytab, master-key stash). */
#ifndef TESSERA_FILEUTIL_H
#define TESSERA_FILEUTIL_H

/* fsync the directory holding path, so that a rename or link into it
 * survives a crash. Best effort: errors are ignored. */
void krb_fsync_parent(const char *path);

#endif
