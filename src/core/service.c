/*
 * service.c - -D/--daemon and --pidfile (see service.h).
 *
 * The report pipe and the pidfile path are process-wide state set once at start-up.
 */
#include "core/service.h"
#include "core/ofile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int report_fd = -1;
static char pidfile_path[1024];
static pid_t pidfile_pid;

int service_daemonize(char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "--daemon: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "--daemon: cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        /* The parent: wait for one byte, the child's start status; EOF without it = the child died. */
        close(p[1]);
        unsigned char st;
        ssize_t n;
        do
            n = read(p[0], &st, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            _exit(st);
        int ws;
        if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
            _exit(WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1);
        _exit(1);
    }
    close(p[0]);
    report_fd = p[1];
    if (setsid() < 0) {
        snprintf(err, errlen, "--daemon: setsid: %s", strerror(errno));
        return -1;
    }
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0 || dup2(nul, STDIN_FILENO) < 0 || dup2(nul, STDOUT_FILENO) < 0) {
        snprintf(err, errlen, "--daemon: /dev/null: %s", strerror(errno));
        return -1;
    }
    if (nul > STDERR_FILENO)
        close(nul);
    return 0;
}

void service_report(int status)
{
    if (report_fd < 0)
        return;
    unsigned char st = (unsigned char)(status & 0xff);
    ssize_t n = write(report_fd, &st, 1);
    (void)n;
    close(report_fd);
    report_fd = -1;
}

/* Does pid run a medsentry?  /proc/PID/comm names the program (a pid recycled by another program is stale). */
static int pid_is_medsentry(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
        return 0;
    char path[64], comm[32] = "";
    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 1; /* alive, cannot tell what it is: assume the worst */
    if (!fgets(comm, sizeof(comm), fp))
        comm[0] = '\0';
    fclose(fp);
    return strncmp(comm, "medsentry", 9) == 0;
}

/* The pid in an existing pidfile (not through a link), 0 if none can be read. */
static pid_t pidfile_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    return v > 0 && v < (1L << 22) && (*end == '\n' || *end == '\0') ? (pid_t)v : 0;
}

int service_pidfile_create(const char *path, char *err, size_t errlen)
{
    /* kept absolute: a daemon removes it at exit from another working directory */
    char cwd[512] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
        snprintf(err, errlen, "--pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    if (snprintf(pidfile_path, sizeof(pidfile_path), "%s%s%s", cwd, cwd[0] ? "/" : "", path) >=
        (int)sizeof(pidfile_path)) {
        snprintf(err, errlen, "--pidfile %s: path too long", path);
        pidfile_path[0] = '\0';
        return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        path = pidfile_path;
        int fd = ofile_create(path, 0644, err, errlen);
        if (fd >= 0) {
            char buf[32];
            int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
            if (write(fd, buf, (size_t)n) != n || close(fd) != 0) {
                snprintf(err, errlen, "%s: cannot write the pidfile", path);
                unlink(path);
                pidfile_path[0] = '\0';
                return -1;
            }
            pidfile_pid = getpid();
            return 0;
        }
        if (errno != EEXIST)
            break;
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: the pidfile is not a regular file (a link?); remove it", path);
            break;
        }
        pid_t old = pidfile_read(path);
        if (old && pid_is_medsentry(old)) {
            snprintf(err, errlen, "%s: medsentry is already running as pid %ld", path, (long)old);
            break;
        }
        /* stale: its process is gone; remove it and try once more (O_EXCL settles a race with another start) */
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "%s: cannot remove the stale pidfile: %s", path, strerror(errno));
            break;
        }
    }
    pidfile_path[0] = '\0';
    return -1;
}

void service_pidfile_remove(void)
{
    if (!pidfile_path[0] || pidfile_pid != getpid())
        return;
    if (unlink(pidfile_path) != 0 && errno != ENOENT)
        fprintf(stderr, "medsentry: warning: %s: cannot remove the pidfile: %s (the next start finds it stale)\n",
                pidfile_path, strerror(errno));
    pidfile_path[0] = '\0';
}
