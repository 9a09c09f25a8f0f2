/*
 * rules.h - indicator lists: the *.txt files of detect.rules-dir, loaded at start.
 *
 * Line format (docs/DETECTIONS.md, "Indicator lists"):
 *
 *     # comment                       blank lines and lines starting with '#' are ignored
 *     <type> <value>                  one indicator; the value is the rest of the line, trailing blanks cut
 *
 * Types: domain, url (host/path, no scheme), ip+path (address/path), ip, sha256 (64 hex digits),
 * filename (a base name), service (a Windows service or display name), service-path (a fragment of a
 * service binary path), ae-title (1 to 16 characters).  Every value is checked; a bad line is an error
 * "rules/x.txt:12: ..." and the sensor does not start.  Matching is one hash lookup per value
 * (case-insensitive for everything but sha256, which is lower-cased on load), except service-path,
 * which is a substring search over the (few) fragments.  The list name reported with a hit is the file
 * name without ".txt".
 */
#ifndef MEDSENTRY_DETECT_RULES_H
#define MEDSENTRY_DETECT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ioc_type {
    IOC_DOMAIN = 0,
    IOC_URL,
    IOC_IP_PATH,
    IOC_IP,
    IOC_SHA256,
    IOC_FILENAME,
    IOC_SERVICE,
    IOC_SERVICE_PATH,
    IOC_AE_TITLE,
    IOC__COUNT
};

const char *ioc_type_name(enum ioc_type t);

struct ioc_entry {
    uint64_t h;
    char *value; /* normalised */
    uint16_t list;
};

struct detect_rules {
    uint64_t seed;
    uint32_t cap[IOC__COUNT]; /* slots, a power of two (open addressing) */
    uint32_t n[IOC__COUNT];
    struct ioc_entry *slots[IOC__COUNT];
    uint32_t n_lists;
    char lists[64][64]; /* list names */
    uint64_t total;
};

/* Loads every *.txt in dir (sorted by name).  dir "" loads nothing.  0, or -1 with err naming file and line. */
int rules_load_dir(struct detect_rules *r, const char *dir, char *err, size_t errlen);
/* One file (tests, and rules_load_dir). */
int rules_load_file(struct detect_rules *r, const char *path, char *err, size_t errlen);
/* One line of a file; 0 = indicator or nothing, -1 with err (without file:line). */
int rules_parse_line(struct detect_rules *r, uint16_t list, char *line, char *err, size_t errlen);
void rules_free(struct detect_rules *r);

/* The entry matching value (normalised the same way), or NULL. */
const struct ioc_entry *rules_match(const struct detect_rules *r, enum ioc_type t, const char *value);
/* service-path: the first fragment contained in path (case-insensitive), or NULL. */
const struct ioc_entry *rules_match_path(const struct detect_rules *r, const char *path);
const char *rules_list_name(const struct detect_rules *r, uint16_t list);

#endif
