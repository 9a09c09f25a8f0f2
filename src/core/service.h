/*
 * service.h - running as a service: -D/--daemon and --pidfile.
 *
 * -D: the process forks; the parent waits until the child says how its start went and exits with that status
 * (0 once the capture and every output are open and the sandbox is in place; the child's exit status otherwise),
 * so "medsentry -D ... && echo started" tells the truth.  The child starts a new session, points standard input
 * and output at /dev/null and keeps standard error (redirect it to a file; under systemd run in the foreground,
 * contrib/medsentry.service).
 *
 * --pidfile FILE: written once, after the fork, with O_CREAT|O_EXCL|O_NOFOLLOW (core/ofile.h).  A pidfile left by
 * a process that no longer runs (no such pid, or a pid now used by a program that is not medsentry) is stale and
 * replaced; one of a running medsentry stops this start (exit 1).  Removed at exit, if the run-as user may.
 */
#ifndef MEDSENTRY_CORE_SERVICE_H
#define MEDSENTRY_CORE_SERVICE_H

#include <stddef.h>

/* Fork; returns in the child only (0), or -1 with err.  The parent exits with the status the child reports. */
int service_daemonize(char *err, size_t errlen);
/* In the child: report how the start went (0 = running).  Only the first call counts; no-op without -D. */
void service_report(int status);

/* Create path holding our pid; 0, or -1 with err (another medsentry runs, or the file cannot be made). */
int service_pidfile_create(const char *path, char *err, size_t errlen);
/* Remove it at exit (if it still holds our pid). */
void service_pidfile_remove(void);

#endif
