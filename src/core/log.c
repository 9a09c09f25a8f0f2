/* log.c - see log.h.  The level is process-wide configuration set once at start-up, not packet-path state. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level log_threshold = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > log_threshold)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "medsentry: %s: ", names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
