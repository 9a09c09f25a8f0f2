/*
 * ofile.h - how medsentry creates every file it writes.
 *
 * The log directory may be writable by others (a shared /var/log, a careless
 * mode), and the sensor often starts as root: a symbolic link planted there as
 * "eve.json -> /etc/shadow" must not make it append events to /etc/shadow.  So
 * every output (eve.json, assets.json, the PHI key, extracted files, stream
 * dumps, the pidfile) is opened here, and only here:
 *
 *   - a new file is created with O_CREAT | O_EXCL | O_NOFOLLOW: never through a
 *     link, never over a file that appeared meanwhile; mode 0640 (the PHI key
 *     0600, the pidfile 0644), less what the umask takes away;
 *   - an existing file is reopened only with O_NOFOLLOW, only if it is a regular
 *     file with one link (a hard link to /etc/passwd is refused too), and never
 *     truncated in place: a file written whole (assets.json) is written to a new
 *     temporary name and renamed over the old one, which replaces a link itself
 *     instead of following it;
 *   - files created while the sensor still runs as root are given to the run-as
 *     user (ofile_set_owner), so that the next run and log rotation still work.
 *
 * Errors are one sentence naming the path: "logs/eve.json: is a symbolic link,
 * refusing to write through it".
 */
#ifndef MEDSENTRY_CORE_OFILE_H
#define MEDSENTRY_CORE_OFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define OFILE_MODE     0640 /* logs: owner writes, group (e.g. a SIEM shipper) reads */
#define OFILE_MODE_KEY 0600 /* the PHI key */

/* Owner given to every file created from now on (uid -1: leave it to the creator).  Set once at start, before
 * the first output is opened, when the sensor will drop to another user. */
void ofile_set_owner(uid_t uid, gid_t gid);

/* dir/name, or name alone when it is absolute or dir is NULL or empty.  -1 if it does not fit. */
int ofile_path(char *out, size_t cap, const char *dir, const char *name);

/* Open path for appending: create it (mode) if it does not exist, else reopen the existing regular file.  Returns a
 * descriptor (O_CLOEXEC) or -1 with one sentence in err. */
int ofile_append(const char *path, mode_t mode, char *err, size_t errlen);

/* Create path, which must not exist.  Returns a descriptor or -1 with one sentence in err (EEXIST in errno when the
 * name is taken, by a file or a link). */
int ofile_create(const char *path, mode_t mode, char *err, size_t errlen);

/* The same as stdio streams ("a" / "w"); NULL with err on failure. */
FILE *ofile_fappend(const char *path, mode_t mode, char *err, size_t errlen);
FILE *ofile_fcreate(const char *path, mode_t mode, char *err, size_t errlen);

/* A file written whole and then put in place: ofile_replace_begin creates "<dir>/.<base>.tmp-<pid>"; after
 * writing, ofile_replace_commit closes the stream and renames it to path (or removes it and fails). */
struct ofile_replace {
    FILE *fp;
    char path[1024];
    char tmp[1100];
};
int ofile_replace_begin(struct ofile_replace *r, const char *path, mode_t mode, char *err, size_t errlen);
int ofile_replace_commit(struct ofile_replace *r, char *err, size_t errlen);

#endif
