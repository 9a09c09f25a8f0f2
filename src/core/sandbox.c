/*
 * sandbox.c - privilege drop and the seccomp-bpf allow-list (see sandbox.h, docs/HARDENING.md).
 *
 * The allow-list is what the running sensor was seen to call after initialisation (strace -f of file and live
 * runs over the whole corpus, with --extract-files and --dump-streams; docs/HARDENING.md has the commands), and
 * nothing else.  Everything that opens a capture, a socket, a library or a configuration file happens before the
 * filter; after it the sensor only reads packets, allocates, writes its outputs and ends.  Notably absent: socket,
 * connect, sendto/sendmsg (the sensor never transmits), execve, fork and clone without CLONE_THREAD (threads, no
 * process), ptrace, mprotect with PROT_EXEC (no memory is made executable), chmod/chown, setuid and friends,
 * rt_sigaction but for glibc's two internal signals (the SIGSYS handler cannot be replaced), prctl, and
 * every call of another architecture (x32, i386 through int 0x80: the filter kills the process).
 *
 * openat is allowed only to create or append to a file (O_WRONLY, never O_RDONLY or O_RDWR) without following a
 * symbolic link (O_NOFOLLOW, see core/ofile.h): after initialisation the sensor reads no file at all, so an
 * exploited parser cannot read one either.  Sanitizer builds (make asan) need more at exit (LeakSanitizer reads
 * /proc/self/maps, stops the world with clone and ptrace); those calls are added only when compiled with
 * -fsanitize=address and are listed apart.
 */
#include "core/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/* ---- configuration ---- */

#define T struct sandbox_cfg
static const struct config_key sandbox_keys[] = {
    CONFIG_KEY_STR(
        T, run_as_user, "run-as.user", "",
        "After opening the capture and the outputs, run as this user (and group; \"\" = the user's primary "
        "group), with no\ncapability.  \"\" = stay who started the sensor.  -u / -g on the command line win.  "
        "docs/HARDENING.md"),
    CONFIG_KEY_STR(T, run_as_group, "run-as.group", "", NULL),
    CONFIG_KEY_BOOL(
        T, seccomp, "sandbox.seccomp", "yes",
        "After start-up, a seccomp allow-list of system calls (no exec, no file read; sockets only for "
        "outputs.redis);\na forbidden call ends the sensor with \"seccomp: forbidden system call N (name)\" "
        "and status 159.  no = off,\nfor debugging only (--no-seccomp does the same)."),
};
#undef T

const struct config_module sandbox_config_module = {
    .name = "sandbox",
    .keys = sandbox_keys,
    .n = sizeof(sandbox_keys) / sizeof(sandbox_keys[0]),
    .struct_size = sizeof(struct sandbox_cfg),
};

/* ---- who we run as ---- */

static int parse_id(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v >= (unsigned long)UINT_MAX)
        return -1;
    *out = v;
    return 0;
}

int sandbox_lookup(const char *user, const char *group, struct sandbox_ids *ids, char *err, size_t errlen)
{
    memset(ids, 0, sizeof(*ids));
    if (!user || !user[0]) {
        if (group && group[0]) {
            snprintf(err, errlen, "-g %s: a group needs a user (-u USER)", group);
            return -1;
        }
        return 0;
    }
    struct passwd *pw = getpwnam(user);
    unsigned long n;
    if (!pw && parse_id(user, &n) == 0)
        pw = getpwuid((uid_t)n);
    if (!pw) {
        snprintf(err, errlen, "-u %s: no such user", user);
        return -1;
    }
    ids->uid = pw->pw_uid;
    ids->gid = pw->pw_gid;
    snprintf(ids->user, sizeof(ids->user), "%s", pw->pw_name);
    if (group && group[0]) {
        struct group *gr = getgrnam(group);
        if (!gr && parse_id(group, &n) == 0)
            gr = getgrgid((gid_t)n);
        if (!gr) {
            snprintf(err, errlen, "-g %s: no such group", group);
            return -1;
        }
        ids->gid = gr->gr_gid;
        snprintf(ids->group, sizeof(ids->group), "%s", gr->gr_name);
    } else {
        struct group *gr = getgrgid(ids->gid);
        snprintf(ids->group, sizeof(ids->group), "%s", gr ? gr->gr_name : "(primary group)");
    }
    if (ids->uid == 0) {
        snprintf(err, errlen, "-u %s: the run-as user must not be root", user);
        return -1;
    }
    if (geteuid() != 0) {
        if (geteuid() == ids->uid && getegid() == ids->gid)
            return 0; /* already that user: nothing to drop */
        snprintf(err, errlen, "-u %s: changing user needs root (running as uid %u)", user, (unsigned)geteuid());
        return -1;
    }
    ids->drop = true;
    return 0;
}

/* Permitted, effective and inheritable sets through capget(2) (no libcap): all zero? */
static bool no_capabilities(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof(d));
    if (syscall(SYS_capget, &h, d) != 0)
        return false;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (d[i].permitted || d[i].effective || d[i].inheritable)
            return false;
#ifdef PR_CAP_AMBIENT
    for (int c = 0; c <= 63; c++) {
        int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
        if (r < 0)
            break; /* past the last capability the kernel knows */
        if (r == 1)
            return false;
    }
#endif
    return true;
}

/* A sensor started as an ordinary user with capabilities (systemd's AmbientCapabilities=CAP_NET_RAW
 * CAP_NET_ADMIN, or file capabilities on the binary) needs them only to open the capture: clear them all. */
static int clear_capabilities(char *err, size_t errlen)
{
#ifdef PR_CAP_AMBIENT
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
#endif
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof(d));
    if (syscall(SYS_capset, &h, d) != 0 || !no_capabilities()) {
        snprintf(err, errlen, "cannot give up the capabilities this process was started with: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_drop(const struct sandbox_ids *ids, char *err, size_t errlen)
{
    if (!ids->drop) /* root without -u stays root (docs/HARDENING.md); anyone else keeps no capability */
        return geteuid() == 0 || no_capabilities() ? 0 : clear_capabilities(err, errlen);
    /* Supplementary groups first (only possible as root), then the group, then the user: after setuid the
     * other two could no longer be changed. */
    if (setgroups(1, &ids->gid) != 0 || setresgid(ids->gid, ids->gid, ids->gid) != 0 ||
        setresuid(ids->uid, ids->uid, ids->uid) != 0) {
        snprintf(err, errlen, "cannot become %s:%s: %s", ids->user, ids->group, strerror(errno));
        return -1;
    }
    /* Verify, as a reviewer would: every id is the target, root cannot be regained, no capability is left. */
    uid_t r, e, s;
    gid_t rg, eg, sg, groups[2];
    if (getresuid(&r, &e, &s) != 0 || r != ids->uid || e != ids->uid || s != ids->uid ||
        getresgid(&rg, &eg, &sg) != 0 || rg != ids->gid || eg != ids->gid || sg != ids->gid ||
        getgroups(2, groups) != 1 || groups[0] != ids->gid) {
        snprintf(err, errlen, "privilege drop to %s:%s did not take", ids->user, ids->group);
        return -1;
    }
    if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
        snprintf(err, errlen, "privilege drop to %s:%s: root could be regained", ids->user, ids->group);
        return -1;
    }
    if (!no_capabilities()) {
        snprintf(err, errlen, "privilege drop to %s:%s: capabilities are left", ids->user, ids->group);
        return -1;
    }
#if SANDBOX_SANITIZER
    /* The kernel made us non-dumpable at setuid; LeakSanitizer's exit check ptraces its own process and needs it
     * (sanitizer builds only). */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
    return 0;
}

/* ---- the filter ---- */

/* Names of the native system calls, prepared before the filter is installed (the handler may not allocate). */
#define SANDBOX_NAMES 512
static const char *syscall_names[SANDBOX_NAMES];
static uint32_t native_arch; /* AUDIT_ARCH_* of this build, as in siginfo's si_arch */

static size_t put_str(char *b, size_t n, size_t cap, const char *s)
{
    while (*s && n < cap)
        b[n++] = *s++;
    return n;
}

/* Async-signal-safe: only write(2) and _exit(2), both allowed by the filter. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
    (void)sig;
    (void)uctx;
    char b[160], num[16];
    int nr = si->si_syscall, k = 0;
    unsigned u = nr < 0 ? 0u - (unsigned)nr : (unsigned)nr;
    do {
        num[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u && k < (int)sizeof(num));
    size_t n = put_str(b, 0, sizeof(b), "medsentry: error: seccomp: forbidden system call ");
    if (nr < 0 && n < sizeof(b))
        b[n++] = '-';
    while (k > 0 && n < sizeof(b))
        b[n++] = num[--k];
    const char *name = nr >= 0 && nr < SANDBOX_NAMES ? syscall_names[nr] : NULL;
    if (si->si_arch != native_arch)
        name = "another architecture";
    n = put_str(b, n, sizeof(b), " (");
    n = put_str(b, n, sizeof(b), name ? name : "unknown");
    n = put_str(b, n, sizeof(b), ")\n");
    ssize_t w = write(STDERR_FILENO, b, n);
    (void)w;
    _exit(SANDBOX_EXIT_SECCOMP);
}

/* After initialisation: what the packet loop, the outputs and the end of the run call (glibc, libpcap, OpenSSL,
 * our code).  One line each, with who needs it. */
static const int allowed[] = {
    /* packets in: a file through stdio (read), live through a TPACKET_V3 ring (libpcap's, polled every 100 ms, or
     * capture.method af-packet: each worker polls its own socket's ring, source/afpacket.c; the ring and the
     * sockets were set up before the filter, only munmap and close remain) */
    SCMP_SYS(read),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),      /* glibc's poll() where the kernel has no poll (aarch64); the Redis connect timeout */
    SCMP_SYS(getsockopt), /* the kernel's PACKET_STATISTICS: af-packet workers at each tick, both at the end */
    SCMP_SYS(pread64),    /* the interface's sysfs drop counters, through descriptors opened before the filter */
    SCMP_SYS(setsockopt), /* pcap_close: libpcap takes the ring down */
    /* outputs: eve.json, assets.json (new file, fsync, rename), extracted files (link, unlink), stream dumps,
     * the pidfile's removal; fcntl/newfstatat/geteuid: core/ofile.c's checks */
    SCMP_SYS(write),
    SCMP_SYS(lseek),
    SCMP_SYS(fsync),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fcntl),
    SCMP_SYS(geteuid),
    SCMP_SYS(access),
    SCMP_SYS(rename),
    SCMP_SYS(link),
    SCMP_SYS(unlink),
    /* the same calls on architectures that only have the *at forms (aarch64) */
    SCMP_SYS(renameat),
    SCMP_SYS(linkat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(faccessat),
    /* memory: malloc (brk, mmap for large blocks, mremap for large realloc, madvise/munmap when freeing) */
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    SCMP_SYS(futex), /* stdio and malloc locks at exit */
    /* the clock when the vDSO is not there (live runs read it when the link is quiet) */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    /* signals: SIGINT/SIGTERM stop the loop (handlers installed before the filter); restart_syscall resumes a
     * poll after SIGSTOP/SIGCONT */
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(getpid),
    /* worker and correlator threads (pipeline/threads.c), started at the first packet, under the filter they
     * inherit: glibc's pthread_create (clone with CLONE_THREAD only, below; the stack's guard page, mprotect
     * without PROT_EXEC, below), a new thread's set_robust_list and rseq, the rings' back-off (sched_yield,
     * nanosleep) and a thread's end (exit; munmap/madvise of its stack are above) */
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(gettid),
    SCMP_SYS(exit),
    /* the end */
    SCMP_SYS(exit_group),
};

/* Threads, never processes: clone only with CLONE_THREAD (and the VM, files and signal handlers shared, as
 * pthread_create asks); clone3 hides its flags in memory a filter cannot read, so it fails with ENOSYS and glibc
 * falls back to clone.  mprotect never makes memory executable. */
static int allow_threads(scmp_filter_ctx ctx)
{
    const scmp_datum_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, thread, thread));
    if (rc == 0 && !SANDBOX_SANITIZER) /* the sanitizer list allows clone3 outright */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* glibc's first pthread_create installs the handler of its internal real-time signal (SIGCANCEL 32, SIGSETXID
     * 33, below SIGRTMIN): those two only; the SIGSYS handler still cannot be replaced */
    for (int sig = 32; rc == 0 && !SANDBOX_SANITIZER && sig <= 33; sig++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sig, 0));
    if (rc == 0 && !SANDBOX_SANITIZER) /* and mprotect */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    return rc;
}

#if SANDBOX_SANITIZER
/* AddressSanitizer/LeakSanitizer at exit only (make asan): the leak check reads /proc/self/maps and stops the world
 * with a ptrace'd clone, which lists /proc/self/task (getdents) and ends with exit(2).  That clone runs with every
 * signal blocked, so a call missing here kills it without the SIGSYS message and the leak check waits for it
 * forever: found with SCMP_ACT_LOG as the default action and the kernel log.  Never in a release build. */
static const int allowed_sanitizer[] = {
    SCMP_SYS(openat),       SCMP_SYS(open),      SCMP_SYS(clone),      SCMP_SYS(clone3),
    SCMP_SYS(ptrace),       SCMP_SYS(wait4),     SCMP_SYS(prctl),      SCMP_SYS(sched_yield),
    SCMP_SYS(sigaltstack),  SCMP_SYS(getppid),   SCMP_SYS(readlink),   SCMP_SYS(readlinkat),
    SCMP_SYS(rt_sigaction), SCMP_SYS(mprotect),  SCMP_SYS(getdents64), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(kill),         SCMP_SYS(tgkill),    SCMP_SYS(pipe2),      SCMP_SYS(dup2),
    SCMP_SYS(setsid),       SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),  SCMP_SYS(uname),
    SCMP_SYS(gettid),       SCMP_SYS(getdents),  SCMP_SYS(exit),
};
#endif

/* The SQLite store (output/sqlite.c, <logdir>/medsentry.db, opened before the filter): after start-up SQLite
 * reads and writes pages at offsets, syncs, truncates the WAL after a checkpoint, takes POSIX advisory locks
 * (fcntl, allowed above), maps the WAL index (-shm) and may open the -wal/-shm/-journal files of the database
 * read-write, creating them (never following a link: SQLITE_OPEN_NOFOLLOW), and delete them at the end. */
static const int allowed_store[] = {
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate),
};

static int allow_store(scmp_filter_ctx ctx)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(allowed_store) / sizeof(allowed_store[0]); i++)
        if (allowed_store[i] >= 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_store[i], 0);
    /* openat O_RDWR, with or without O_CREAT, never through a link */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_NOFOLLOW, O_RDWR | O_NOFOLLOW));
    return rc;
}

/* outputs.redis (output/redis.c): a connection made, and remade with backoff, after start-up.  Stream sockets
 * only (TCP over IPv4/IPv6 or a Unix socket): a datagram socket, a raw socket or a netlink socket is still
 * refused; connect, send and receive, the connect timeout's poll, the socket options hiredis sets.  Only the Redis
 * sender thread keeps them: sandbox_confine() takes them away from every other thread (net_calls but shutdown,
 * which ends a blocked read from the thread that waits for the final flush). */
static const int net_calls[] = {
    SCMP_SYS(connect),     SCMP_SYS(sendto),      SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),  SCMP_SYS(recvmsg),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(socket),   SCMP_SYS(shutdown), /* ppoll: allowed[] */
};

static int allow_network(scmp_filter_ctx ctx)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(net_calls) / sizeof(net_calls[0]); i++)
        if (net_calls[i] >= 0 && net_calls[i] != SCMP_SYS(socket))
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, net_calls[i], 0);
    /* sandbox_confine adds a filter after this one (seccomp(2), which can only restrict, never widen) */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)SECCOMP_SET_MODE_FILTER, 0));
    static const int domains[] = {AF_INET, AF_INET6, AF_UNIX};
    for (size_t i = 0; rc == 0 && i < sizeof(domains) / sizeof(domains[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)domains[i], 0),
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM));
    return rc;
}

/* glibc's malloc reads /proc/sys/vm/overcommit_memory (once, then cached) the first time the heap of a thread's
 * arena shrinks: with worker threads that happens after start-up, where the filter forbids reading a file.  A
 * short-lived thread frees enough at the top of its arena's heap to shrink it now, before the filter. */
static void *malloc_warm_up_thread(void *arg)
{
    (void)arg;
    /* 64 KiB blocks, below any mmap threshold (128 KiB at least): from the arena's heap; 62.5 MiB of them, above
     * any trim threshold a heap (64 MiB at most) can reach, wherever glibc's dynamic thresholds have moved it.
     * Only each block's header page is touched. */
    enum { N = 1000, SIZE = 64 * 1024 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = malloc(SIZE);
    for (int i = N - 1; i >= 0; i--)
        free(p[i]);
    return NULL;
}

static void malloc_warm_up(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, malloc_warm_up_thread, NULL) == 0)
        pthread_join(t, NULL);
}

int sandbox_seccomp(bool seccomp, const struct sandbox_needs *needs, char *err, size_t errlen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (!seccomp)
        return 0;
    /* glibc reads /etc/localtime (or $TZ) at the first gmtime_r: do it now, while files may still be read */
    tzset();
    malloc_warm_up();
    native_arch = seccomp_arch_native();
    for (int i = 0; i < SANDBOX_NAMES; i++)
        syscall_names[i] = seccomp_syscall_resolve_num_arch(native_arch, i);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) {
        snprintf(err, errlen, "seccomp: cannot install the SIGSYS handler: %s", strerror(errno));
        return -1;
    }
    /* SCMP_ACT_TRAP: the call is not made; SIGSYS reports it (see sandbox.h).  Another architecture's calls kill
     * the process outright. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    int rc = ctx ? 0 : -ENOMEM;
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (allowed[i] >= 0) /* a call this architecture does not have (e.g. no open(2) on arm64) */
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    /* openat: write-only, never through a link (ofile.h); no file is read after initialisation */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_NOFOLLOW, O_WRONLY | O_NOFOLLOW));
    /* abort() (a failed assertion, glibc's heap checks) must still end in SIGABRT and a core, not in a report of
     * a forbidden tgkill: tgkill is allowed to this process with SIGABRT only */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0),
                              SCMP_A2(SCMP_CMP_EQ, SIGABRT, 0));
    rc = rc == 0 ? allow_store(ctx) : rc;
    rc = rc == 0 ? allow_threads(ctx) : rc;
    if (rc == 0 && needs && needs->network)
        rc = allow_network(ctx);
#if SANDBOX_SANITIZER
    for (size_t i = 0; rc == 0 && i < sizeof(allowed_sanitizer) / sizeof(allowed_sanitizer[0]); i++)
        if (allowed_sanitizer[i] >= 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_sanitizer[i], 0);
#endif
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, errlen, "seccomp: cannot install the system call filter: %s (--no-seccomp switches it off)",
                 strerror(-rc));
        return -1;
    }
    return 0;
}

int sandbox_confine(bool seccomp, const struct sandbox_needs *needs, char *err, size_t errlen)
{
    if (!seccomp || !needs || !needs->network)
        return 0; /* without the filter nothing to narrow; without Redis the calls were never allowed */
    /* A second filter, on this thread and the threads it starts from now on (the workers and the correlator start
     * at the first packet): the network calls trap, whatever the first filter allows.  The Redis sender thread,
     * started before, is not under it.  Filters stack: the strictest action wins. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -ENOMEM;
    if (rc == 0) /* no_new_privs is set already: prctl is not allowed any more */
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; rc == 0 && i < sizeof(net_calls) / sizeof(net_calls[0]); i++)
        if (net_calls[i] >= 0 && net_calls[i] != SCMP_SYS(shutdown))
            rc = seccomp_rule_add(ctx, SCMP_ACT_TRAP, net_calls[i], 0);
    if (rc == 0) /* and no further filter from these threads */
        rc = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(seccomp), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, errlen, "seccomp: cannot confine the network calls to the Redis sender: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

void sandbox_test_hook(void)
{
    const char *v = getenv("MEDSENTRY_TEST_FORBIDDEN_SYSCALL");
    if (!v || (strcmp(v, "1") != 0 && strcmp(v, "2") != 0))
        return;
    /* 1: a datagram socket, never allowed; 2: a stream socket, which only the Redis sender thread may open */
    int fd = socket(AF_INET, v[0] == '1' ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd >= 0)
        close(fd);
}
