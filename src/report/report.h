/*
 * report.h - `medsentry report`: one self-contained HTML page from the store
 * (src/report/report.c).
 */
#ifndef MEDSENTRY_REPORT_REPORT_H
#define MEDSENTRY_REPORT_REPORT_H

#include <stdbool.h>

bool report_is_command(const char *name);
/* argv[0] is "report".  Returns the exit status: 0, 1 (the store cannot be read or the page written), 2 (usage). */
int report_main(int argc, char **argv);

#endif
