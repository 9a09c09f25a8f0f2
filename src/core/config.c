/*
 * config.c - key tables applied: defaults, values from text, the YAML reader
 * (libyaml), module checks and the commented YAML writer.
 *
 * A value reaches a module's struct only through set_value(): defaults (the
 * table's text), the file and --set share one code path and one set of
 * checks.  The reader walks libyaml's event stream keeping the path of
 * mapping keys; each scalar is looked up by its dotted path among the keys
 * of every module of the list.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ---- value parsers ------------------------------------------------------------------------- */

/* Leading digits of s as an unsigned number; end points past them.  -1 if s does not start with a digit or the
 * number does not fit. */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

/* "64mb", "1gb", "4096", "512kb" (binary units; case-insensitive). */
static int parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end;
    if (parse_digits(s, &v, &end) < 0)
        return -1;
    while (*end == ' ')
        end++;
    uint64_t mul = 1;
    if (!strcasecmp(end, "kb") || !strcasecmp(end, "k"))
        mul = CONFIG_KB;
    else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m"))
        mul = CONFIG_MB;
    else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g"))
        mul = CONFIG_GB;
    else if (*end && strcasecmp(end, "b"))
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* "90", "90s", "30m", "2h", "7d": seconds. */
static int parse_duration(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end;
    if (parse_digits(s, &v, &end) < 0)
        return -1;
    uint64_t mul = 1;
    if (!strcasecmp(end, "m"))
        mul = 60;
    else if (!strcasecmp(end, "h"))
        mul = 3600;
    else if (!strcasecmp(end, "d"))
        mul = CONFIG_DAY;
    else if (*end && strcasecmp(end, "s"))
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int parse_whole(const char *s, uint64_t *out)
{
    const char *end;
    if (parse_digits(s, out, &end) < 0 || *end)
        return -1;
    return 0;
}

int config_parse_ports(const char *s, struct config_ports *out, char *err, size_t errlen)
{
    struct config_ports p;
    memset(&p, 0, sizeof(p));
    const char *c = s;
    while (*c == ' ' || *c == '\t')
        c++;
    if (*c == '\0') { /* "": no port hints */
        *out = p;
        return 0;
    }
    for (;;) {
        while (*c == ' ' || *c == '\t')
            c++;
        uint64_t v;
        const char *end;
        if (*c == ',' || *c == '\0') {
            snprintf(err, errlen, "an item is empty");
            return -1;
        }
        if (parse_digits(c, &v, &end) < 0) {
            snprintf(err, errlen, "an item is not a number");
            return -1;
        }
        if (v < 1 || v > 65535) {
            snprintf(err, errlen, "port %.20s is out of range (1 to 65535)", c);
            return -1;
        }
        if (config_ports_has(&p, (uint16_t)v)) {
            snprintf(err, errlen, "port %u is listed twice", (unsigned)v);
            return -1;
        }
        if (p.n == CONFIG_PORTS_MAX) {
            snprintf(err, errlen, "more than %d ports", CONFIG_PORTS_MAX);
            return -1;
        }
        p.port[p.n++] = (uint16_t)v;
        c = end;
        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '\0')
            break;
        if (*c != ',') {
            snprintf(err, errlen, "an item is not a number");
            return -1;
        }
        c++;
    }
    *out = p;
    return 0;
}

bool config_ports_has(const struct config_ports *p, uint16_t port)
{
    for (unsigned i = 0; i < p->n && i < CONFIG_PORTS_MAX; i++)
        if (p->port[i] == port)
            return true;
    return false;
}

/* ---- one value ------------------------------------------------------------------------------ */

static int set_value(void *cfg, const struct config_key *k, const char *value, char *err, size_t errlen)
{
    char *base = (char *)cfg + k->off;
    switch (k->type) {
    case CONFIG_SECTION: snprintf(err, errlen, "%s: unknown key", k->name); return -1;
    case CONFIG_BOOL: {
        bool v;
        if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcasecmp(value, "on") || !strcmp(value, "1"))
            v = true;
        else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcasecmp(value, "off") ||
                 !strcmp(value, "0"))
            v = false;
        else {
            snprintf(err, errlen, "%s: '%s' is not a boolean (yes/no)", k->name, value);
            return -1;
        }
        memcpy(base, &v, sizeof(v));
        return 0;
    }
    case CONFIG_U32:
    case CONFIG_U64:
    case CONFIG_INT:
    case CONFIG_SIZE:
    case CONFIG_DURATION: {
        uint64_t v;
        if (k->type == CONFIG_SIZE) {
            if (parse_size(value, &v) < 0) {
                snprintf(err, errlen, "%s: '%s' is not a size (e.g. 4096, 512kb, 64mb, 1gb)", k->name, value);
                return -1;
            }
        } else if (k->type == CONFIG_DURATION) {
            if (parse_duration(value, &v) < 0) {
                snprintf(err, errlen, "%s: '%s' is not a duration (e.g. 90, 90s, 30m, 2h, 7d)", k->name, value);
                return -1;
            }
        } else if (parse_whole(value, &v) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a whole number", k->name, value);
            return -1;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: %s is out of range (%llu to %llu)", k->name, value, (unsigned long long)k->min,
                     (unsigned long long)k->max);
            return -1;
        }
        if (k->type == CONFIG_U32 || k->type == CONFIG_DURATION) {
            uint32_t x = (uint32_t)v; /* max <= UINT32_MAX: checked by test_config over every table */
            memcpy(base, &x, sizeof(x));
        } else if (k->type == CONFIG_INT) {
            int x = (int)v; /* max <= INT_MAX, likewise */
            memcpy(base, &x, sizeof(x));
        } else {
            memcpy(base, &v, sizeof(v));
        }
        return 0;
    }
    case CONFIG_STR:
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s: value is longer than %zu characters", k->name, k->size - 1);
            return -1;
        }
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) { /* a path or name with a newline would forge log lines */
                snprintf(err, errlen, "%s: value contains a control character (byte 0x%02x)", k->name,
                         (unsigned char)*p);
                return -1;
            }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    case CONFIG_PORTS: {
        struct config_ports p;
        char e[128];
        if (config_parse_ports(value, &p, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s: '%s' is not a port list (e.g. \"80, 8080\"): %s", k->name, value, e);
            return -1;
        }
        memcpy(base, &p, sizeof(p));
        return 0;
    }
    case CONFIG_ENUM: {
        for (int i = 0; k->choices && k->choices[i]; i++) {
            if (strcmp(value, k->choices[i]) == 0) {
                memcpy(base, &i, sizeof(i));
                return 0;
            }
        }
        char list[256] = "";
        for (int i = 0; k->choices && k->choices[i]; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", k->choices[i]);
        snprintf(err, errlen, "%s: '%s' is not one of %s", k->name, value, list);
        return -1;
    }
    }
    snprintf(err, errlen, "%s: key of unknown type", k->name);
    return -1;
}

int config_module_defaults(const struct config_module *m, void *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, m->struct_size);
    for (size_t i = 0; i < m->n; i++) {
        const struct config_key *k = &m->keys[i];
        if (k->type == CONFIG_SECTION)
            continue;
        char e[512];
        if (!k->def || set_value(cfg, k, k->def, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s: the default of %s does not parse: %s", m->name, k->name,
                     k->def ? e : "no default");
            return -1;
        }
    }
    return 0;
}

void config_module_set_defaults(const struct config_module *m, void *cfg)
{
    char err[512];
    if (config_module_defaults(m, cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "medsentry: bug: %s\n", err);
        abort();
    }
}

int config_defaults_all(const struct config_binding *b, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (config_module_defaults(b[i].module, b[i].cfg, err, errlen) < 0)
            return -1;
    return 0;
}

static const struct config_key *key_find(const struct config_binding *b, size_t n, const char *name, void **cfg)
{
    for (size_t i = 0; i < n; i++) {
        const struct config_module *m = b[i].module;
        for (size_t j = 0; j < m->n; j++) {
            if (m->keys[j].type != CONFIG_SECTION && strcmp(m->keys[j].name, name) == 0) {
                *cfg = b[i].cfg;
                return &m->keys[j];
            }
        }
    }
    return NULL;
}

int config_set_key(const struct config_binding *b, size_t n, const char *key, const char *value, char *err,
                   size_t errlen)
{
    void *cfg;
    const struct config_key *k = key_find(b, n, key, &cfg);
    if (!k) {
        snprintf(err, errlen, "%s: unknown key", key);
        return -1;
    }
    return set_value(cfg, k, value, err, errlen);
}

int config_validate_all(const struct config_binding *b, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (b[i].module->validate && b[i].module->validate(b[i].cfg, err, errlen) < 0)
            return -1;
    return 0;
}

/* ---- the YAML reader ------------------------------------------------------------------------ */

#define CONFIG_MAX_DEPTH 8
#define CONFIG_MAX_BYTES (1u << 20) /* medsentry.yaml with every key is ~30 KB */
#define CONFIG_MAX_KEYS  4096
#define CONFIG_KEY_MAX   128 /* one mapping key; the longest real one is ~50 */

/* Open path for reading the configuration: a regular file (not a directory, not a FIFO that would block) of at
 * most CONFIG_MAX_BYTES. */
static FILE *config_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes; a configuration file is at most %u", path, (long long)st.st_size,
                 CONFIG_MAX_BYTES);
        close(fd);
        return NULL;
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

/* libyaml gives a byte offset, not a line, for encoding errors (bad UTF-8, control characters). */
static size_t line_of_offset(FILE *fp, size_t offset)
{
    size_t line = 1;
    rewind(fp);
    for (size_t i = 0; i < offset; i++) {
        int ch = getc(fp);
        if (ch == EOF)
            break;
        if (ch == '\n')
            line++;
    }
    return line;
}

/* Every key path seen in one file, with its line: a key given twice is an error (YAML says keys are unique;
 * libyaml does not check, and "the last one wins" would hide a mistake). */
struct seen_keys {
    char (*path)[256];
    size_t *line;
    size_t n;
};

/* 0 new, 1 duplicate (its first line in *first), -1 too many keys or a path too long */
static int seen_add(struct seen_keys *sk, const char *full, size_t line, size_t *first)
{
    for (size_t i = 0; i < sk->n; i++)
        if (strcmp(sk->path[i], full) == 0) {
            *first = sk->line[i];
            return 1;
        }
    size_t len = strlen(full);
    if (sk->n == CONFIG_MAX_KEYS || len >= sizeof(sk->path[0]))
        return -1;
    memcpy(sk->path[sk->n], full, len + 1);
    sk->line[sk->n++] = line;
    return 0;
}

struct yaml_walk {
    const struct config_binding *b;
    size_t n;
    const char *path;
    char keys[CONFIG_MAX_DEPTH][CONFIG_KEY_MAX]; /* keys[i]: the mapping key at depth i + 1 */
    bool expect_key[CONFIG_MAX_DEPTH + 1];
    int depth; /* open mappings */
    /* a sequence being read (only a port list may be one): its items joined with ", " */
    bool in_seq;
    size_t seq_line;
    char seq_val[512];
    bool seq_overflow;
    int documents;
    struct seen_keys sk;
};

static void walk_full_key(const struct yaml_walk *w, char *full, size_t len)
{
    full[0] = '\0';
    for (int i = 1; i <= w->depth; i++)
        snprintf(full + strlen(full), len - strlen(full), "%s%s", i > 1 ? "." : "", w->keys[i - 1]);
}

/* The value at the current path is complete: look the key up and set it. */
static int walk_set(struct yaml_walk *w, size_t line, const char *val, char *err, size_t errlen)
{
    char full[1024];
    walk_full_key(w, full, sizeof(full));
    void *cfg;
    char e[512];
    const struct config_key *k = key_find(w->b, w->n, full, &cfg);
    if (!k) {
        snprintf(err, errlen, "%s:%zu: %s: unknown key", w->path, line, full);
        return -1;
    }
    if (set_value(cfg, k, val, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s:%zu: %s", w->path, line, e);
        return -1;
    }
    return 0;
}

static int walk_event(struct yaml_walk *w, const yaml_event_t *ev, char *err, size_t errlen)
{
    size_t line = ev->start_mark.line + 1;
    char full[1024];
    if (w->in_seq) { /* inside a port list: scalars only */
        if (ev->type == YAML_SCALAR_EVENT) {
            const char *v = (const char *)ev->data.scalar.value;
            if (ev->data.scalar.length != strlen(v)) {
                walk_full_key(w, full, sizeof(full));
                snprintf(err, errlen, "%s:%zu: %s: value holds a NUL byte", w->path, line, full);
                return -1;
            }
            size_t used = strlen(w->seq_val);
            if (used + strlen(v) + 3 > sizeof(w->seq_val))
                w->seq_overflow = true;
            else
                snprintf(w->seq_val + used, sizeof(w->seq_val) - used, "%s%s", used ? ", " : "", v);
            return 0;
        }
        if (ev->type == YAML_SEQUENCE_END_EVENT) {
            w->in_seq = false;
            w->expect_key[w->depth] = true;
            if (w->seq_overflow) {
                walk_full_key(w, full, sizeof(full));
                snprintf(err, errlen, "%s:%zu: %s: the list is too long", w->path, w->seq_line, full);
                return -1;
            }
            return walk_set(w, w->seq_line, w->seq_val, err, errlen);
        }
        walk_full_key(w, full, sizeof(full));
        snprintf(err, errlen, "%s:%zu: %s: a list item must be a single value", w->path, line, full);
        return -1;
    }
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++w->documents > 1) {
            snprintf(err, errlen, "%s:%zu: a second YAML document ('---'); the configuration is one document", w->path,
                     line);
            return -1;
        }
        return 0;
    case YAML_MAPPING_START_EVENT:
        if (w->depth > 0 && w->expect_key[w->depth]) {
            snprintf(err, errlen, "%s:%zu: a mapping cannot be a key", w->path, line);
            return -1;
        }
        if (w->depth >= CONFIG_MAX_DEPTH) {
            snprintf(err, errlen, "%s:%zu: nested too deeply", w->path, line);
            return -1;
        }
        w->depth++;
        w->expect_key[w->depth] = true;
        return 0;
    case YAML_MAPPING_END_EVENT:
        w->depth--;
        if (w->depth > 0)
            w->expect_key[w->depth] = true;
        return 0;
    case YAML_SEQUENCE_START_EVENT: {
        walk_full_key(w, full, sizeof(full));
        void *cfg;
        const struct config_key *k = w->depth > 0 && !w->expect_key[w->depth] ? key_find(w->b, w->n, full, &cfg) : NULL;
        if (!k || k->type != CONFIG_PORTS) {
            snprintf(err, errlen, "%s:%zu: %s: a list is not expected here", w->path, line, full);
            return -1;
        }
        w->in_seq = true;
        w->seq_line = line;
        w->seq_val[0] = '\0';
        w->seq_overflow = false;
        return 0;
    }
    case YAML_SCALAR_EVENT: {
        const char *val = (const char *)ev->data.scalar.value;
        if (w->depth == 0) {
            if (*val) {
                snprintf(err, errlen, "%s:%zu: the file must be a mapping of keys", w->path, line);
                return -1;
            }
            return 0;
        }
        if (w->expect_key[w->depth]) {
            if (strlen(val) >= sizeof(w->keys[0]) || ev->data.scalar.length != strlen(val)) {
                snprintf(err, errlen, "%s:%zu: a key longer than %zu characters (or with a NUL byte)", w->path, line,
                         sizeof(w->keys[0]) - 1);
                return -1;
            }
            for (const char *q = val; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f) { /* it would be printed in the next error message */
                    snprintf(err, errlen, "%s:%zu: a key with a control character", w->path, line);
                    return -1;
                }
            snprintf(w->keys[w->depth - 1], sizeof(w->keys[0]), "%s", val);
            w->expect_key[w->depth] = false;
            walk_full_key(w, full, sizeof(full));
            size_t first = 0;
            int d = seen_add(&w->sk, full, line, &first);
            if (d == 1)
                snprintf(err, errlen, "%s:%zu: %s: duplicate key (first given on line %zu)", w->path, line, full,
                         first);
            else if (d < 0)
                snprintf(err, errlen, "%s:%zu: more than %d keys, or a key path longer than 255 characters", w->path,
                         line, CONFIG_MAX_KEYS);
            return d == 0 ? 0 : -1;
        }
        w->expect_key[w->depth] = true;
        if (ev->data.scalar.length != strlen(val)) {
            walk_full_key(w, full, sizeof(full));
            snprintf(err, errlen, "%s:%zu: %s: value holds a NUL byte", w->path, line, full);
            return -1;
        }
        return walk_set(w, line, val, err, errlen);
    }
    case YAML_ALIAS_EVENT: snprintf(err, errlen, "%s:%zu: YAML aliases are not supported", w->path, line); return -1;
    default: return 0;
    }
}

int config_load_file(const struct config_binding *b, size_t n, const char *path, char *err, size_t errlen)
{
    FILE *fp = config_open(path, err, errlen);
    if (!fp)
        return -1;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(fp);
        snprintf(err, errlen, "%s: cannot initialise the YAML parser", path);
        return -1;
    }
    yaml_parser_set_input_file(&parser, fp);

    static const struct yaml_walk zero;
    struct yaml_walk *w = malloc(sizeof(*w));
    if (!w) {
        yaml_parser_delete(&parser);
        fclose(fp);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *w = zero;
    w->sk.path = malloc(CONFIG_MAX_KEYS * sizeof(*w->sk.path));
    w->sk.line = malloc(CONFIG_MAX_KEYS * sizeof(*w->sk.line));
    if (!w->sk.path || !w->sk.line) {
        free(w->sk.path);
        free(w->sk.line);
        free(w);
        yaml_parser_delete(&parser);
        fclose(fp);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    w->b = b;
    w->n = n;
    w->path = path;
    int rc = 0;
    for (bool done = false; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            size_t eline = parser.error == YAML_READER_ERROR ? line_of_offset(fp, parser.problem_offset)
                                                             : parser.problem_mark.line + 1;
            snprintf(err, errlen, "%s:%zu: %s", path, eline, parser.problem ? parser.problem : "YAML syntax error");
            rc = -1;
            break;
        }
        if (ev.type == YAML_STREAM_END_EVENT)
            done = true;
        else
            rc = walk_event(w, &ev, err, errlen);
        yaml_event_delete(&ev);
    }
    free(w->sk.path);
    free(w->sk.line);
    free(w);
    yaml_parser_delete(&parser);
    fclose(fp);
    return rc;
}

/* ---- the YAML writer ------------------------------------------------------------------------ */

struct dump_row {
    const struct config_key *key;
};

/* Does name lie under prefix ("" = everything)?  Sets *rest to the part after "prefix.". */
static bool under_prefix(const char *name, const char *prefix, const char **rest)
{
    size_t pl = strlen(prefix);
    if (pl == 0) {
        *rest = name;
        return true;
    }
    if (strncmp(name, prefix, pl) != 0 || name[pl] != '.')
        return false;
    *rest = name + pl + 1;
    return true;
}

static size_t segment_len(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (size_t)(dot - s) : strlen(s);
}

static void dump_comment(FILE *fp, int indent, const char *comment)
{
    if (!comment)
        return;
    for (const char *c = comment;;) {
        const char *nl = strchr(c, '\n');
        int len = nl ? (int)(nl - c) : (int)strlen(c);
        if (len)
            fprintf(fp, "%*s# %.*s\n", indent, "", len, c);
        else
            fprintf(fp, "%*s#\n", indent, "");
        if (!nl)
            break;
        c = nl + 1;
    }
}

/* A string as a YAML scalar: plain when that reads back the same, double-quoted otherwise. */
static void dump_string(FILE *fp, const char *s, bool force_quotes)
{
    bool quote = force_quotes || *s == '\0' || isspace((unsigned char)*s) || isspace((unsigned char)s[strlen(s) - 1]);
    if (!quote && strchr("!&*-?[]{}|>'\"%@`#,:", *s))
        quote = true;
    if (!quote && (strstr(s, ": ") || strstr(s, " #") || strchr(s, ',') || strchr(s, '"') || strchr(s, '\\')))
        quote = true;
    if (!quote) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', fp);
        fputc(*c, fp);
    }
    fputc('"', fp);
}

static int dump_level(FILE *fp, const struct dump_row *rows, size_t n, const char *prefix, int indent)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const char *rest;
        if (rows[i].key->type == CONFIG_SECTION || !under_prefix(rows[i].key->name, prefix, &rest))
            continue;
        size_t seg = segment_len(rest);
        /* written already (an earlier row under the same child)? */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *r2;
            if (rows[j].key->type != CONFIG_SECTION && under_prefix(rows[j].key->name, prefix, &r2) &&
                segment_len(r2) == seg && strncmp(r2, rest, seg) == 0)
                seen = true;
        }
        if (seen)
            continue;
        if (indent == 0 && !first)
            fputc('\n', fp);
        first = false;
        if (rest[seg] == '\0') { /* a leaf */
            const struct config_key *k = rows[i].key;
            dump_comment(fp, indent, k->comment);
            fprintf(fp, "%*s%s: ", indent, "", rest);
            if (k->type == CONFIG_STR || k->type == CONFIG_PORTS)
                dump_string(fp, k->def, k->type == CONFIG_PORTS);
            else
                fputs(k->def, fp);
            fputc('\n', fp);
            /* the same name as a mapping too is a mistake in the tables */
            for (size_t j = 0; j < n; j++) {
                const char *r2;
                if (j != i && under_prefix(rows[j].key->name, k->name, &r2))
                    return -1;
            }
            continue;
        }
        char child[512];
        snprintf(child, sizeof(child), "%s%s%.*s", prefix, *prefix ? "." : "", (int)seg, rest);
        for (size_t j = 0; j < n; j++)
            if (rows[j].key->type == CONFIG_SECTION && strcmp(rows[j].key->name, child) == 0)
                dump_comment(fp, indent, rows[j].key->comment);
        fprintf(fp, "%*s%.*s:\n", indent, "", (int)seg, rest);
        if (dump_level(fp, rows, n, child, indent + 2) < 0)
            return -1;
    }
    return 0;
}

int config_dump_defaults(FILE *fp, const struct config_module *const *mods, size_t n, const char *header)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += mods[i]->n;
    struct dump_row *rows = calloc(total ? total : 1, sizeof(*rows));
    if (!rows)
        return -1;
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < mods[i]->n; j++)
            rows[r++].key = &mods[i]->keys[j];
    if (header) {
        dump_comment(fp, 0, header);
        fputc('\n', fp);
    }
    int rc = dump_level(fp, rows, total, "", 0);
    free(rows);
    return rc == 0 && !ferror(fp) ? 0 : -1;
}
