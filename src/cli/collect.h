/*
 * collect.h - `medsentry collect`: the central side of the Redis output
 * (collect.c).
 */
#ifndef MEDSENTRY_CLI_COLLECT_H
#define MEDSENTRY_CLI_COLLECT_H

/* argv[0] is "collect".  Returns the exit status: 0, 1 (Redis or the store failed), 2 (bad arguments). */
int collect_main(int argc, char **argv);

#endif
