/*
 * config.h - the configuration mechanism: key tables, YAML, --set, checks.
 *
 * The core knows no module.  Each module (a parser, the flow table, an
 * output...) owns its configuration struct and one table of struct
 * config_key rows describing it: the key's dotted path as written in
 * medsentry.yaml, its type, its range, its default (as text, written once,
 * in the table) and a comment, and where the value lands (an offset into the
 * module's struct).  A struct config_module names the table; the program's
 * list of modules is assembled outside the core (src/config_registry.c) as
 * an array of struct config_binding, each pairing a module with the struct
 * that receives its values.
 *
 * Over such a list this file sets the defaults, loads a YAML file with
 * libyaml, applies "--set key=value", runs each module's validate hook and
 * writes the commented YAML that medsentry.yaml is (medsentry --dump-config).
 * An unknown key, a value of the wrong kind or out of range is an error that
 * names the file, the line and the key ("medsentry.yaml:12: flow.memcap: ...").
 */
#ifndef MEDSENTRY_CORE_CONFIG_H
#define MEDSENTRY_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_type {
    CONFIG_SECTION,  /* no value: documents the mapping `name` (its comment is written above it) */
    CONFIG_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
    CONFIG_U32,      /* uint32_t, a whole number */
    CONFIG_U64,      /* uint64_t, a whole number */
    CONFIG_INT,      /* int, a whole number (min..max within INT_MAX) */
    CONFIG_SIZE,     /* uint64_t bytes: 4096, 512kb, 64mb, 1gb (binary units) */
    CONFIG_DURATION, /* uint32_t seconds: 90, 90s, 30m, 2h, 7d */
    CONFIG_STR,      /* char[size], NUL-terminated */
    CONFIG_PORTS,    /* struct config_ports: "80, 8080" (a YAML sequence of ports is accepted too) */
    CONFIG_ENUM,     /* int: the index of the value in choices[] */
};

#define CONFIG_PORTS_MAX 16

/* A list of TCP/UDP ports (1..65535), in the order written, without duplicates. */
struct config_ports {
    uint16_t n;
    uint16_t port[CONFIG_PORTS_MAX];
};

struct config_key {
    const char *name; /* dotted path as written in medsentry.yaml: "flow.timeouts.tcp.new" */
    enum config_type type;
    size_t off;                 /* where the value lands in the module's struct */
    size_t size;                /* size of that member (CONFIG_STR: the buffer, NUL included) */
    uint64_t min, max;          /* numeric range, inclusive (CONFIG_U32, U64, INT, SIZE, DURATION) */
    const char *def;            /* the default, as written in medsentry.yaml ("" for an empty string) */
    const char *comment;        /* written above the key, '\n' between lines; NULL = none */
    const char *const *choices; /* CONFIG_ENUM: NULL-terminated */
};

struct config_module {
    const char *name; /* for messages and the dump's order: "flow", "dicom" */
    const struct config_key *keys;
    size_t n;
    size_t struct_size;
    /* Checks across keys after the file and --set are applied; NULL = none.  0, or -1 with one sentence in err
     * naming the key(s).  */
    int (*validate)(const void *cfg, char *err, size_t errlen);
};

/* A module and the struct that receives its values. */
struct config_binding {
    const struct config_module *module;
    void *cfg;
};

/*
 * Rows of a key table.  T is the module's config struct, f a member of it; the macros check at compile time that
 * the member has the size the type stores.
 */
#define CONFIG_MEMBER_SIZE(T, f)     sizeof(((T *)0)->f)
#define CONFIG_OFF_CHECKED(T, f, sz) (offsetof(T, f) + 0 * sizeof(char[CONFIG_MEMBER_SIZE(T, f) == (sz) ? 1 : -1]))

#define CONFIG_KEY_SECTION(name, comment)                         \
    {                                                             \
        (name), CONFIG_SECTION, 0, 0, 0, 0, NULL, (comment), NULL \
    }
#define CONFIG_KEY_BOOL(T, f, name, def, comment)                                                               \
    {                                                                                                           \
        (name), CONFIG_BOOL, CONFIG_OFF_CHECKED(T, f, sizeof(bool)), sizeof(bool), 0, 1, (def), (comment), NULL \
    }
#define CONFIG_KEY_U32(T, f, name, lo, hi, def, comment)                                       \
    {                                                                                          \
        (name), CONFIG_U32, CONFIG_OFF_CHECKED(T, f, 4), 4, (lo), (hi), (def), (comment), NULL \
    }
#define CONFIG_KEY_U64(T, f, name, lo, hi, def, comment)                                       \
    {                                                                                          \
        (name), CONFIG_U64, CONFIG_OFF_CHECKED(T, f, 8), 8, (lo), (hi), (def), (comment), NULL \
    }
#define CONFIG_KEY_INT(T, f, name, lo, hi, def, comment)                                                           \
    {                                                                                                              \
        (name), CONFIG_INT, CONFIG_OFF_CHECKED(T, f, sizeof(int)), sizeof(int), (lo), (hi), (def), (comment), NULL \
    }
#define CONFIG_KEY_SIZE(T, f, name, lo, hi, def, comment)                                       \
    {                                                                                           \
        (name), CONFIG_SIZE, CONFIG_OFF_CHECKED(T, f, 8), 8, (lo), (hi), (def), (comment), NULL \
    }
#define CONFIG_KEY_DURATION(T, f, name, lo, hi, def, comment)                                       \
    {                                                                                               \
        (name), CONFIG_DURATION, CONFIG_OFF_CHECKED(T, f, 4), 4, (lo), (hi), (def), (comment), NULL \
    }
#define CONFIG_KEY_STR(T, f, name, def, comment)                                                   \
    {                                                                                              \
        (name), CONFIG_STR, offsetof(T, f), CONFIG_MEMBER_SIZE(T, f), 0, 0, (def), (comment), NULL \
    }
#define CONFIG_KEY_PORTS(T, f, name, def, comment)                                                                   \
    {                                                                                                                \
        (name), CONFIG_PORTS, CONFIG_OFF_CHECKED(T, f, sizeof(struct config_ports)), sizeof(struct config_ports), 0, \
            0, (def), (comment), NULL                                                                                \
    }
#define CONFIG_KEY_ENUM(T, f, name, choices, def, comment)                                                         \
    {                                                                                                              \
        (name), CONFIG_ENUM, CONFIG_OFF_CHECKED(T, f, sizeof(int)), sizeof(int), 0, 0, (def), (comment), (choices) \
    }

#define CONFIG_KB  1024ULL
#define CONFIG_MB  (1024ULL * 1024)
#define CONFIG_GB  (1024ULL * 1024 * 1024)
#define CONFIG_DAY 86400

/* Zero cfg and set every key of one module to its default.  0, or -1 with err when a default does not parse (a
 * mistake in the table; the unit tests set every module's defaults). */
int config_module_defaults(const struct config_module *m, void *cfg, char *err, size_t errlen);
/* The same for a module's own *_cfg_defaults(): a default that does not parse is a bug in the table, reported on
 * stderr before abort() (test_config sets the defaults of every registered module). */
void config_module_set_defaults(const struct config_module *m, void *cfg);
/* The same for every module of a list. */
int config_defaults_all(const struct config_binding *b, size_t n, char *err, size_t errlen);
/* Set one key from text, as "--set key=value" does: "key: unknown key", or the value's error naming the key. */
int config_set_key(const struct config_binding *b, size_t n, const char *key, const char *value, char *err,
                   size_t errlen);
/* Read a YAML file into the modules; on error -1 and one sentence "path:line: key: ..." in err. */
int config_load_file(const struct config_binding *b, size_t n, const char *path, char *err, size_t errlen);
/* Every module's validate hook, in order; the first error wins. */
int config_validate_all(const struct config_binding *b, size_t n, char *err, size_t errlen);
/* Write the commented YAML of every key with its default: header (comment lines, may be NULL) first, then the
 * keys as a tree, each mapping once, its children in the order they first appear in the list. */
int config_dump_defaults(FILE *fp, const struct config_module *const *mods, size_t n, const char *header);

/* The value parsers, for modules' own lists and for tests.  0, or -1 with one sentence in err (without the key). */
int config_parse_ports(const char *s, struct config_ports *out, char *err, size_t errlen);
bool config_ports_has(const struct config_ports *p, uint16_t port);

#endif
