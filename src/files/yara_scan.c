/*
 * yara_scan.c - file content scanning with libyara (see yara_scan.h).
 *
 * libyara keeps a process-wide state (yr_initialize / yr_finalize, counted);
 * each scanner holds one reference.  The compiled rules are read-only while
 * scanning, so one rule set can serve several workers.
 */
#include "files/yara_scan.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#include "core/log.h"
#include "detect/detect.h"

struct yara_scanner {
    YR_RULES *rules;
    uint32_t timeout_s;
    uint32_t n_rules, n_files;
};

bool yara_rules_dir(const char *cfg_dir, char *out, size_t cap, bool *is_auto)
{
    *is_auto = strcmp(cfg_dir, "auto") == 0;
    out[0] = '\0';
    if (!*is_auto) {
        snprintf(out, cap, "%s", cfg_dir);
        return out[0] != '\0';
    }
    char base[512];
    struct stat st;
    if (!detect_find_rules_dir(base, sizeof(base)))
        return false;
    int w = snprintf(out, cap, "%s/yara", base);
    if (w < 0 || (size_t)w >= cap || stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        out[0] = '\0';
        return false;
    }
    return true;
}

/* The first error libyara reports while compiling: "<file>:<line>: <message>". */
struct compile_err {
    char *err;
    size_t errlen;
    bool have;
};

static void on_compile_msg(int level, const char *file, int line, const YR_RULE *rule, const char *msg, void *user)
{
    (void)rule;
    struct compile_err *ce = user;
    if (level == YARA_ERROR_LEVEL_WARNING) {
        log_warn("%s:%d: %s", file ? file : "?", line, msg);
        return;
    }
    if (!ce->have)
        snprintf(ce->err, ce->errlen, "%s:%d: %s", file ? file : "?", line, msg);
    ce->have = true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yar(const char *name)
{
    size_t l = strlen(name);
    return name[0] != '.' && l > 4 && strcmp(name + l - 4, ".yar") == 0;
}

#define YARA_MAX_FILES 256

/* Adds every *.yar of dir, in name order, to c.  0, or -1 with err. */
static int add_dir(YR_COMPILER *c, struct compile_err *ce, const char *dir, uint32_t *n_files)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(ce->err, ce->errlen, "files.yara-rules-dir: %s: %s", dir, strerror(errno));
        return -1;
    }
    char *names[YARA_MAX_FILES];
    size_t n = 0;
    int rc = 0;
    for (struct dirent *de; (de = readdir(dp)) != NULL;) {
        if (!is_yar(de->d_name))
            continue;
        if (n == YARA_MAX_FILES || !(names[n] = strdup(de->d_name))) {
            snprintf(ce->err, ce->errlen, "files.yara-rules-dir: %s: more than %d rule files", dir, YARA_MAX_FILES);
            rc = -1;
            break;
        }
        n++;
    }
    closedir(dp);
    if (rc == 0)
        qsort(names, n, sizeof(names[0]), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        FILE *fp = NULL;
        if (rc == 0) {
            int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            if (w < 0 || (size_t)w >= sizeof(path) || !(fp = fopen(path, "r"))) {
                snprintf(ce->err, ce->errlen, "%s/%s: cannot be read", dir, names[i]);
                rc = -1;
            }
        }
        if (fp) {
            /* the namespace is the file name: rules of different files may share an identifier */
            if (yr_compiler_add_file(c, fp, names[i], path) != 0 || ce->have) {
                if (!ce->have)
                    snprintf(ce->err, ce->errlen, "%s: does not compile", path);
                rc = -1;
            }
            fclose(fp);
            (*n_files)++;
        }
        free(names[i]);
    }
    return rc;
}

struct yara_scanner *yara_scanner_new(const char *dir, uint32_t timeout_s, char *err, size_t errlen)
{
    if (yr_initialize() != ERROR_SUCCESS) {
        snprintf(err, errlen, "libyara cannot be initialised");
        return NULL;
    }
    struct yara_scanner *s = calloc(1, sizeof(*s));
    YR_COMPILER *c = NULL;
    if (!s || yr_compiler_create(&c) != ERROR_SUCCESS) {
        snprintf(err, errlen, "out of memory (libyara compiler)");
        free(s);
        yr_finalize();
        return NULL;
    }
    struct compile_err ce = {.err = err, .errlen = errlen};
    yr_compiler_set_callback(c, on_compile_msg, &ce);
    int rc = add_dir(c, &ce, dir, &s->n_files);
    if (rc == 0 && yr_compiler_get_rules(c, &s->rules) != ERROR_SUCCESS) {
        snprintf(err, errlen, "%s: libyara could not build the rule set", dir);
        rc = -1;
    }
    yr_compiler_destroy(c);
    if (rc < 0) {
        free(s);
        yr_finalize();
        return NULL;
    }
    YR_RULES_STATS st;
    if (yr_rules_get_stats(s->rules, &st) == ERROR_SUCCESS)
        s->n_rules = st.num_rules;
    s->timeout_s = timeout_s ? timeout_s : 1;
    return s;
}

void yara_scanner_free(struct yara_scanner *s)
{
    if (!s)
        return;
    if (s->rules)
        yr_rules_destroy(s->rules);
    free(s);
    yr_finalize();
}

uint32_t yara_scanner_rules(const struct yara_scanner *s)
{
    return s ? s->n_rules : 0;
}

uint32_t yara_scanner_files(const struct yara_scanner *s)
{
    return s ? s->n_files : 0;
}

int yara_check(const struct files_cfg *cfg, char *err, size_t errlen)
{
    char dir[600];
    bool is_auto;
    if (!yara_rules_dir(cfg->yara_rules_dir, dir, sizeof(dir), &is_auto)) {
        if (is_auto)
            log_warn("files.yara-rules-dir: no rules/yara directory beside the indicator lists: no content scanning");
        return 0; /* "" or no shipped rules/yara: scanning off */
    }
    struct yara_scanner *s = yara_scanner_new(dir, cfg->yara_timeout, err, errlen);
    if (!s)
        return -1;
    yara_scanner_free(s);
    return 0;
}

/* ---- scanning ---------------------------------------------------------------------------------- */

struct scan_out {
    struct files_yara_match *m;
    uint8_t max, n;
};

static void append(char *dst, size_t cap, const char *sep, const char *s)
{
    size_t l = strlen(dst);
    if (l + 1 >= cap)
        return;
    snprintf(dst + l, cap - l, "%s%s", l ? sep : "", s);
}

static int on_scan_msg(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
    (void)ctx;
    if (message != CALLBACK_MSG_RULE_MATCHING)
        return CALLBACK_CONTINUE;
    struct scan_out *o = user;
    if (o->n == o->max)
        return CALLBACK_CONTINUE; /* more matches than kept: the first ones are reported */
    const YR_RULE *r = data;
    struct files_yara_match *m = &o->m[o->n++];
    memset(m, 0, sizeof(*m));
    snprintf(m->rule, sizeof(m->rule), "%s", r->identifier);
    const char *tag;
    yr_rule_tags_foreach(r, tag) append(m->tags, sizeof(m->tags), " ", tag);
    const YR_META *meta;
    yr_rule_metas_foreach(r, meta)
    {
        char kv[160];
        if (meta->type == META_TYPE_INTEGER) {
            if (strcmp(meta->identifier, "medsentry_sid") == 0 && meta->integer > 0 && meta->integer <= UINT32_MAX)
                m->sid = (uint32_t)meta->integer;
            else if (strcmp(meta->identifier, "severity") == 0 && meta->integer >= 1 && meta->integer <= 3)
                m->severity = (uint8_t)meta->integer;
            snprintf(kv, sizeof(kv), "%s=%" PRId64, meta->identifier, meta->integer);
        } else if (meta->type == META_TYPE_BOOLEAN) {
            snprintf(kv, sizeof(kv), "%s=%s", meta->identifier, meta->integer ? "true" : "false");
        } else {
            snprintf(kv, sizeof(kv), "%s=%s", meta->identifier, meta->string ? meta->string : "");
        }
        append(m->meta, sizeof(m->meta), "; ", kv);
    }
    return CALLBACK_CONTINUE;
}

enum files_scan_state yara_scan(const struct yara_scanner *s, const uint8_t *p, size_t n, struct files_yara_match *out,
                                uint8_t max, uint8_t *n_out)
{
    struct scan_out o = {.m = out, .max = max};
    *n_out = 0;
    int rc = yr_rules_scan_mem(s->rules, p, n, SCAN_FLAGS_NO_TRYCATCH, on_scan_msg, &o, (int)s->timeout_s);
    *n_out = o.n;
    if (rc == ERROR_SUCCESS)
        return FILES_SCAN_DONE;
    return rc == ERROR_SCAN_TIMEOUT ? FILES_SCAN_TIMEOUT : FILES_SCAN_ERROR;
}
