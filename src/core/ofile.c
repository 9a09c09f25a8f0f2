/*
 * ofile.c - creating and reopening output files safely (see ofile.h).
 *
 * The owner is process-wide configuration set once at start-up (like the log level), not packet-path state.
 */
#include "core/ofile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uid_t ofile_uid = (uid_t)-1;
static gid_t ofile_gid = (gid_t)-1;

void ofile_set_owner(uid_t uid, gid_t gid)
{
    ofile_uid = uid;
    ofile_gid = gid;
}

int ofile_path(char *out, size_t cap, const char *dir, const char *name)
{
    int k;
    if (name[0] == '/' || !dir || !dir[0])
        k = snprintf(out, cap, "%s", name);
    else
        k = snprintf(out, cap, "%s/%s", dir, name);
    return k >= 0 && (size_t)k < cap ? 0 : -1;
}

/* A descriptor just opened on path: it must be a regular file with one name.  Clears O_NONBLOCK. */
static int check_regular(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot examine: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: is not a regular file, refusing to write to it", path);
        return -1;
    }
    if (st.st_nlink != 1) {
        snprintf(err, errlen, "%s: has %lu hard links, refusing to write to it", path, (unsigned long)st.st_nlink);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void open_error(const char *path, int e, const char *what, char *err, size_t errlen)
{
    if (e == ELOOP)
        snprintf(err, errlen, "%s: is a symbolic link, refusing to write through it", path);
    else if (e == EEXIST)
        snprintf(err, errlen, "%s: already exists (a file or a symbolic link), refusing to write over it", path);
    else
        snprintf(err, errlen, "%s: cannot %s: %s", path, what, strerror(e));
}

/* Give a file created before the privilege drop to the user medsentry will run as. */
static int give_to_owner(int fd, const char *path, char *err, size_t errlen)
{
    if (ofile_uid == (uid_t)-1 || (geteuid() != 0))
        return 0;
    if (fchown(fd, ofile_uid, ofile_gid) != 0) {
        snprintf(err, errlen, "%s: cannot give it to the run-as user: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ofile_create(const char *path, mode_t mode, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        open_error(path, e, "create", err, errlen);
        errno = e;
        return -1;
    }
    if (give_to_owner(fd, path, err, errlen) < 0) {
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

int ofile_append(const char *path, mode_t mode, char *err, size_t errlen)
{
    /* Twice at most: the file may vanish between the failed create and the reopen (rotation). */
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0) {
            if (give_to_owner(fd, path, err, errlen) < 0) {
                close(fd);
                unlink(path);
                return -1;
            }
            return fd;
        }
        if (errno != EEXIST) {
            open_error(path, errno, "open for writing", err, errlen);
            return -1;
        }
        /* O_NONBLOCK: a FIFO planted under the name must not block the open; check_regular refuses it. */
        fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            if (check_regular(fd, path, err, errlen) < 0) {
                close(fd);
                return -1;
            }
            return fd;
        }
        if (errno != ENOENT && errno != ENXIO) {
            open_error(path, errno, "open for appending", err, errlen);
            return -1;
        }
        if (errno == ENXIO) { /* a FIFO without a reader */
            snprintf(err, errlen, "%s: is not a regular file, refusing to write to it", path);
            return -1;
        }
    }
    snprintf(err, errlen, "%s: keeps appearing and disappearing, giving up", path);
    return -1;
}

static FILE *fd_stream(int fd, const char *how, const char *path, char *err, size_t errlen)
{
    if (fd < 0)
        return NULL;
    FILE *fp = fdopen(fd, how);
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

FILE *ofile_fappend(const char *path, mode_t mode, char *err, size_t errlen)
{
    return fd_stream(ofile_append(path, mode, err, errlen), "a", path, err, errlen);
}

FILE *ofile_fcreate(const char *path, mode_t mode, char *err, size_t errlen)
{
    return fd_stream(ofile_create(path, mode, err, errlen), "w", path, err, errlen);
}

int ofile_replace_begin(struct ofile_replace *r, const char *path, mode_t mode, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    if (snprintf(r->path, sizeof(r->path), "%s", path) >= (int)sizeof(r->path)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    snprintf(r->tmp, sizeof(r->tmp), "%.*s.%s.tmp-%ld", dl, path, path + dl, (long)getpid());
    unlink(r->tmp); /* our own leftover from a crashed run with the same pid; a link is removed, not followed */
    r->fp = ofile_fcreate(r->tmp, mode, err, errlen);
    return r->fp ? 0 : -1;
}

int ofile_replace_commit(struct ofile_replace *r, char *err, size_t errlen)
{
    /* flushed to disk before the rename, so a crash leaves the old file or the new one, never a torn one */
    int ok = r->fp && fflush(r->fp) == 0 && !ferror(r->fp) && fsync(fileno(r->fp)) == 0;
    if (r->fp && fclose(r->fp) != 0)
        ok = 0;
    r->fp = NULL;
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write: %s", r->tmp, strerror(errno ? errno : EIO));
        unlink(r->tmp);
        return -1;
    }
    /* rename() replaces whatever has the name, a symbolic link included, and never follows it */
    if (rename(r->tmp, r->path) != 0) {
        snprintf(err, errlen, "%s: cannot rename %s to it: %s", r->path, r->tmp, strerror(errno));
        unlink(r->tmp);
        return -1;
    }
    return 0;
}
