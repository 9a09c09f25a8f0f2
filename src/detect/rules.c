/*
 * rules.c - indicator lists (see rules.h): parse, validate, and look up.
 *
 * Each type has its own open-addressing table of (keyed hash, normalised
 * value, list).  Tables are sized to twice the entries and grow by doubling
 * while loading; loading happens once at start, from files the operator
 * controls, so plain malloc is used (no packet data ever allocates here).
 */
#include "detect/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "core/hash.h"

#define RULES_LINE_MAX  1024
#define RULES_MAX_FILES 64
#define RULES_MAX_TOTAL (1u << 20) /* indicators in all lists; the shipped list has ~40 */

static const char *const ioc_names[IOC__COUNT] = {
    [IOC_DOMAIN] = "domain",     [IOC_URL] = "url",
    [IOC_IP_PATH] = "ip+path",   [IOC_IP] = "ip",
    [IOC_SHA256] = "sha256",     [IOC_FILENAME] = "filename",
    [IOC_SERVICE] = "service",   [IOC_SERVICE_PATH] = "service-path",
    [IOC_AE_TITLE] = "ae-title",
};

const char *ioc_type_name(enum ioc_type t)
{
    return (unsigned)t < IOC__COUNT ? ioc_names[t] : "?";
}

/* Lower-case ASCII copy; false if it does not fit. */
static bool lower_copy(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)s[i]);
    dst[n] = '\0';
    return true;
}

static bool valid_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '-' || !memchr(s, '.', n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_'))
            return false;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return false;
    }
    return true;
}

static bool valid_ip(const char *s, size_t n)
{
    char buf[64];
    unsigned char out[16];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1;
}

static bool valid_path(const char *p)
{
    if (*p != '/')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
            return false;
    return true;
}

/* Checks value for type t; on success writes the normalised form to out. */
static int normalise(enum ioc_type t, const char *v, char *out, size_t cap, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (!lower_copy(out, cap, v)) {
        snprintf(err, errlen, "%s value is longer than %zu characters", ioc_names[t], cap - 1);
        return -1;
    }
    if (t != IOC_SERVICE && t != IOC_SERVICE_PATH && t != IOC_AE_TITLE)
        for (size_t i = 0; i < n; i++)
            if (isspace((unsigned char)v[i])) {
                snprintf(err, errlen, "%s value contains a blank", ioc_names[t]);
                return -1;
            }
    switch (t) {
    case IOC_DOMAIN:
        if (out[n - 1] == '.')
            out[--n] = '\0';
        if (!valid_hostname(out, n) || valid_ip(out, n)) {
            snprintf(err, errlen, "'%s' is not a domain name", v);
            return -1;
        }
        return 0;
    case IOC_URL:
    case IOC_IP_PATH: {
        if (strstr(out, "://")) {
            snprintf(err, errlen, "write %s without the scheme: host/path", ioc_names[t]);
            return -1;
        }
        const char *slash = strchr(out, '/');
        if (!slash || !valid_path(slash)) {
            snprintf(err, errlen, "'%s' is not %s/path", v, t == IOC_URL ? "host" : "address");
            return -1;
        }
        size_t hl = (size_t)(slash - out);
        bool ok = t == IOC_URL ? valid_hostname(out, hl) && !valid_ip(out, hl) : valid_ip(out, hl);
        if (!ok) {
            snprintf(err, errlen, "'%.*s' is not %s", (int)hl, v, t == IOC_URL ? "a host name" : "an IP address");
            return -1;
        }
        return 0;
    }
    case IOC_IP:
        if (!valid_ip(out, n)) {
            snprintf(err, errlen, "'%s' is not an IP address", v);
            return -1;
        }
        return 0;
    case IOC_SHA256:
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)out[i])) {
                n = 0;
                break;
            }
        if (n != 64) {
            snprintf(err, errlen, "'%s' is not a SHA-256 (64 hex digits)", v);
            return -1;
        }
        return 0;
    case IOC_FILENAME:
        if (strchr(out, '/') || strchr(out, '\\')) {
            snprintf(err, errlen, "a filename indicator is a base name, without '/' or '\\'");
            return -1;
        }
        return 0;
    case IOC_SERVICE:
    case IOC_SERVICE_PATH:
        if (n > 256) {
            snprintf(err, errlen, "%s value is longer than 256 characters", ioc_names[t]);
            return -1;
        }
        return 0;
    case IOC_AE_TITLE:
        if (n > 16 || strchr(out, '\\')) {
            snprintf(err, errlen, "'%s' is not an AE title (1 to 16 characters, no backslash)", v);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f) {
                snprintf(err, errlen, "AE title '%s' has a control or non-ASCII character", v);
                return -1;
            }
        return 0;
    default: break;
    }
    snprintf(err, errlen, "unknown indicator type");
    return -1;
}

static struct ioc_entry *slot_find(const struct detect_rules *r, enum ioc_type t, uint64_t h, const char *v)
{
    if (!r->cap[t])
        return NULL;
    uint32_t m = r->cap[t] - 1;
    for (uint32_t i = (uint32_t)h & m, probes = 0; probes < r->cap[t]; i = (i + 1) & m, probes++) {
        struct ioc_entry *e = &r->slots[t][i];
        if (!e->value)
            return e;
        if (e->h == h && strcmp(e->value, v) == 0)
            return e;
    }
    return NULL;
}

static int grow(struct detect_rules *r, enum ioc_type t)
{
    uint32_t ncap = r->cap[t] ? r->cap[t] * 2 : 64;
    struct ioc_entry *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    struct ioc_entry *old = r->slots[t];
    uint32_t ocap = r->cap[t];
    r->slots[t] = ns;
    r->cap[t] = ncap;
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i].value)
            *slot_find(r, t, old[i].h, old[i].value) = old[i];
    free(old);
    return 0;
}

static int add(struct detect_rules *r, enum ioc_type t, const char *v, uint16_t list)
{
    if (r->total >= RULES_MAX_TOTAL)
        return -2;
    if ((uint64_t)(r->n[t] + 1) * 2 > r->cap[t] && grow(r, t) < 0)
        return -1;
    uint64_t h = hash_bytes(v, strlen(v), r->seed);
    struct ioc_entry *e = slot_find(r, t, h, v);
    if (!e)
        return -1;
    if (e->value)
        return 0; /* duplicate: the first list keeps it */
    e->value = strdup(v);
    if (!e->value)
        return -1;
    e->h = h;
    e->list = list;
    r->n[t]++;
    r->total++;
    return 0;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF)?  Names from the wire are compared as
 * UTF-8, so an indicator that is not UTF-8 could never match: it is a mistake in the list. */
static bool valid_utf8(const unsigned char *p)
{
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int k = *p >= 0xc2 && *p <= 0xdf ? 1 : *p >= 0xe0 && *p <= 0xef ? 2 : *p >= 0xf0 && *p <= 0xf4 ? 3 : -1;
        if (k < 0)
            return false;
        unsigned cp = *p & (0x3f >> k);
        for (int i = 1; i <= k; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        p += k + 1;
    }
    return true;
}

int rules_parse_line(struct detect_rules *r, uint16_t list, char *line, char *err, size_t errlen)
{
    size_t n = strlen(line);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            snprintf(err, errlen, "control character (byte 0x%02x) at column %zu", c, i + 1);
            return -1;
        }
    }
    if (!valid_utf8((const unsigned char *)line)) {
        snprintf(err, errlen, "not valid UTF-8");
        return -1;
    }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#')
        return 0;
    char *sp = p + strcspn(p, " \t");
    if (!*sp) {
        snprintf(err, errlen, "'%s': expected '<type> <value>'", p);
        return -1;
    }
    *sp++ = '\0';
    while (*sp == ' ' || *sp == '\t')
        sp++;
    enum ioc_type t = IOC__COUNT;
    for (int i = 0; i < IOC__COUNT; i++)
        if (strcmp(p, ioc_names[i]) == 0)
            t = (enum ioc_type)i;
    if (t == IOC__COUNT) {
        snprintf(err, errlen,
                 "unknown indicator type '%s' (domain, url, ip+path, ip, sha256, filename, service, service-path, "
                 "ae-title)",
                 p);
        return -1;
    }
    if (!*sp) {
        snprintf(err, errlen, "%s: the value is missing", p);
        return -1;
    }
    char norm[RULES_LINE_MAX];
    if (normalise(t, sp, norm, sizeof(norm), err, errlen) < 0)
        return -1;
    int arc = add(r, t, norm, list);
    if (arc < 0) {
        if (arc == -2)
            snprintf(err, errlen, "more than %u indicators in all lists", RULES_MAX_TOTAL);
        else
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* The seed only spreads slots; it never shows in output. */
static void rules_seed(struct detect_rules *r)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        s = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32);
    }
    r->seed = hash_mix64(s ^ (uintptr_t)r) | 1;
}

static int list_add(struct detect_rules *r, const char *path, char *err, size_t errlen)
{
    if (r->n_lists >= sizeof(r->lists) / sizeof(r->lists[0])) {
        snprintf(err, errlen, "%s: more than %zu indicator lists", path, sizeof(r->lists) / sizeof(r->lists[0]));
        return -1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".txt") == 0)
        bl -= 4;
    snprintf(r->lists[r->n_lists], sizeof(r->lists[0]), "%.*s", (int)bl, base);
    return (int)r->n_lists++;
}

/* One line into buf (at most RULES_LINE_MAX characters and the newline), never more: an overlong line is
 * detected without allocating for it.  1 line read, 0 end of file, -1 overlong, -2 NUL byte, -3 read error. */
static int read_line(FILE *fp, char *buf, size_t cap)
{
    size_t n = 0;
    int ch;
    while ((ch = getc(fp)) != EOF) {
        if (ch == '\0')
            return -2;
        if (n + 1 >= cap)
            return -1;
        buf[n++] = (char)ch;
        if (ch == '\n')
            break;
    }
    if (ch == EOF && ferror(fp))
        return -3;
    buf[n] = '\0';
    return n ? 1 : 0;
}

int rules_load_file(struct detect_rules *r, const char *path, char *err, size_t errlen)
{
    if (!r->seed)
        rules_seed(r);
    /* O_NONBLOCK: a FIFO named *.txt must not hang the start; only regular files are lists */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    FILE *fp = fdopen(fd, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    int list = list_add(r, path, err, errlen);
    if (list < 0) {
        fclose(fp);
        return -1;
    }
    char line[RULES_LINE_MAX + 2]; /* the characters, the newline, the NUL */
    size_t lineno = 0;
    int rc = 0, got;
    while ((got = read_line(fp, line, sizeof(line))) != 0) {
        lineno++;
        if (got == -1) {
            snprintf(err, errlen, "%s:%zu: line longer than %d characters", path, lineno, RULES_LINE_MAX);
            rc = -1;
            break;
        }
        if (got == -2) {
            snprintf(err, errlen, "%s:%zu: NUL byte in line", path, lineno);
            rc = -1;
            break;
        }
        if (got == -3) {
            snprintf(err, errlen, "%s:%zu: read error: %s", path, lineno, strerror(errno));
            rc = -1;
            break;
        }
        char e[512];
        if (rules_parse_line(r, (uint16_t)list, line, e, sizeof(e)) < 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, e);
            rc = -1;
            break;
        }
    }
    fclose(fp);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rules_load_dir(struct detect_rules *r, const char *dir, char *err, size_t errlen)
{
    if (!dir[0])
        return 0;
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(err, errlen, "%s: cannot open the rules directory: %s", dir, strerror(errno));
        return -1;
    }
    char *names[RULES_MAX_FILES];
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l <= 4 || de->d_name[0] == '.' || strcmp(de->d_name + l - 4, ".txt") != 0)
            continue;
        if (n == RULES_MAX_FILES) {
            snprintf(err, errlen, "%s: more than %d rule files", dir, RULES_MAX_FILES);
            rc = -1;
            break;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        n++;
    }
    closedir(dp);
    qsort(names, n, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            rc = rules_load_file(r, path, err, errlen);
        }
        free(names[i]);
    }
    return rc;
}

void rules_free(struct detect_rules *r)
{
    for (int t = 0; t < IOC__COUNT; t++) {
        for (uint32_t i = 0; i < r->cap[t]; i++)
            free(r->slots[t][i].value);
        free(r->slots[t]);
    }
    memset(r, 0, sizeof(*r));
}

const struct ioc_entry *rules_match(const struct detect_rules *r, enum ioc_type t, const char *value)
{
    if ((unsigned)t >= IOC__COUNT || !r->n[t] || !value || !value[0])
        return NULL;
    char v[RULES_LINE_MAX];
    if (!lower_copy(v, sizeof(v), value))
        return NULL;
    const struct ioc_entry *e = slot_find(r, t, hash_bytes(v, strlen(v), r->seed), v);
    return e && e->value ? e : NULL;
}

const struct ioc_entry *rules_match_path(const struct detect_rules *r, const char *path)
{
    if (!r->n[IOC_SERVICE_PATH] || !path || !path[0])
        return NULL;
    char v[RULES_LINE_MAX];
    if (!lower_copy(v, sizeof(v), path))
        return NULL;
    for (uint32_t i = 0; i < r->cap[IOC_SERVICE_PATH]; i++) {
        const struct ioc_entry *e = &r->slots[IOC_SERVICE_PATH][i];
        if (e->value && strstr(v, e->value))
            return e;
    }
    return NULL;
}

const char *rules_list_name(const struct detect_rules *r, uint16_t list)
{
    return list < r->n_lists ? r->lists[list] : "?";
}
