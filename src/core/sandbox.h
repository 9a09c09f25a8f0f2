/*
 * sandbox.h - what the sensor gives up once it is initialised (docs/HARDENING.md).
 *
 * The order in main.c: open the capture, the outputs, the PHI key and the rules as whoever started the sensor
 * (root, usually, for the capture); then
 *   1. sandbox_drop():    setgroups, setgid, setuid to the run-as user (-u/-g, run-as.user/.group), verified: the
 *                         real, effective and saved ids are the user's, setuid(0) fails, no capability is left
 *                         (permitted, effective, ambient);
 *   2. sandbox_seccomp(): PR_SET_NO_NEW_PRIVS, then a seccomp-bpf allow-list of the system calls the packet loop
 *                         and the end of the run need (src/core/sandbox.c lists them and why).  Any other call is
 *                         not executed: the kernel raises SIGSYS, whose handler writes
 *                         "medsentry: error: seccomp: forbidden system call N (name)" to stderr and ends the
 *                         process with status 159 (128 + SIGSYS, what a shell reports for a process SIGSYS
 *                         killed).  If the handler itself cannot run, the kernel's default action for SIGSYS
 *                         kills the process all the same: the forbidden call never happens.
 */
#ifndef MEDSENTRY_CORE_SANDBOX_H
#define MEDSENTRY_CORE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_EXIT_SECCOMP 159

struct sandbox_cfg {
    char run_as_user[64];  /* run-as.user: drop to this user after opening everything ("" = stay); -u wins */
    char run_as_group[64]; /* run-as.group: and this group ("" = the user's primary group); -g wins */
    bool seccomp;          /* sandbox.seccomp: the system call allow-list after initialisation; --no-seccomp */
};
struct config_module;
extern const struct config_module sandbox_config_module;

/* What the filter allows beyond the packet loop and the file outputs: decided from the configuration. */
struct sandbox_needs {
    bool network; /* outputs.redis.enabled: the Redis output's sender thread connects and reconnects after
                   * start-up (TCP or a Unix socket): socket(SOCK_STREAM), connect, send/recv, poll; no other
                   * thread (sandbox_confine) */
};

struct sandbox_ids {
    bool drop; /* false: stay who we are (no -u) */
    uid_t uid;
    gid_t gid;
    char user[64], group[64];
};

/* Resolve user (a name or a number) and group (NULL: the user's primary group) before anything is opened.
 * 0, or -1 with one sentence in err (unknown user or group; -u without root). */
int sandbox_lookup(const char *user, const char *group, struct sandbox_ids *ids, char *err, size_t errlen);

/* Become ids->uid/gid for good and check it.  0, or -1 with one sentence in err. */
int sandbox_drop(const struct sandbox_ids *ids, char *err, size_t errlen);

/* PR_SET_NO_NEW_PRIVS; with seccomp also the system call filter.  0, or -1 with one sentence in err. */
int sandbox_seccomp(bool seccomp, const struct sandbox_needs *needs, char *err, size_t errlen);

/* With outputs.redis, after its sender thread is started (engine_start_outputs): a second filter on the calling
 * thread, and so on every thread it starts later, that traps the network calls (socket, connect, send, receive,
 * ppoll): only the Redis sender thread, started before, keeps them.  No-op without seccomp or without Redis.
 * 0, or -1 with one sentence in err. */
int sandbox_confine(bool seccomp, const struct sandbox_needs *needs, char *err, size_t errlen);

/* Test hook (tests/integration/test_sandbox.sh): with MEDSENTRY_TEST_FORBIDDEN_SYSCALL=1 in the environment, make
 * one system call the filter forbids (socket(AF_INET, SOCK_DGRAM): the sensor never sends), as an exploited
 * parser would; with =2 socket(AF_INET, SOCK_STREAM), which only the Redis sender thread may make.  Harmless
 * without the filter: the socket is closed at once. */
void sandbox_test_hook(void);

#endif
