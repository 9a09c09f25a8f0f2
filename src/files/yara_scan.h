/*
 * yara_scan.h - file content scanning with libyara.
 *
 * Every `*.yar` file of one directory (files.yara-rules-dir) is compiled once
 * at start, in name order, into one rule set; a rule file that does not
 * compile stops the sensor with "<file>:<line>: <libyara's message>" (exit 2,
 * `-T` too).  The file tracker hands each complete file of at most
 * files.yara-max-size bytes to yara_scan() once, when the file closes; the
 * matches (rule name, tags, metas) are copied into the fileinfo event.  A scan
 * is bounded by files.yara-timeout seconds.
 *
 * Two metas mean something to medsentry: `medsentry_sid` (the signature id a
 * rule implements: its match raises that signature, merged with the built-in
 * check of the same id, instead of the generic YARA one) and `severity` (1..3).
 */
#ifndef MEDSENTRY_FILES_YARA_SCAN_H
#define MEDSENTRY_FILES_YARA_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "files/files.h"

struct yara_scanner;

/* The directory files.yara-rules-dir names: "auto" is rules/yara beside the indicator lists
 * (detect_find_rules_dir), "" none.  False (out "") when there is none; *is_auto tells whether
 * the operator left it to "auto" (then a missing directory is not an error). */
bool yara_rules_dir(const char *cfg_dir, char *out, size_t cap, bool *is_auto);

/* Compiles every *.yar of dir.  NULL with err "<file>:<line>: <message>" on a compile error, or a
 * sentence when the directory cannot be read.  A directory without *.yar gives a scanner with no rules. */
struct yara_scanner *yara_scanner_new(const char *dir, uint32_t timeout_s, char *err, size_t errlen);
void yara_scanner_free(struct yara_scanner *s);
uint32_t yara_scanner_rules(const struct yara_scanner *s); /* rules compiled */
uint32_t yara_scanner_files(const struct yara_scanner *s); /* rule files read */

/* -T and start-up: compile what files.yara-rules-dir names and free it.  0, or -1 with err. */
int yara_check(const struct files_cfg *cfg, char *err, size_t errlen);

/* Scans p[0, n): fills out[] (at most max) and *n_out.  Returns FILES_SCAN_DONE, _ERROR or _TIMEOUT. */
enum files_scan_state yara_scan(const struct yara_scanner *s, const uint8_t *p, size_t n, struct files_yara_match *out,
                                uint8_t max, uint8_t *n_out);

#endif
