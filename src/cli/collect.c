/*
 * collect.c - `medsentry collect`: read the events that sensors send to a
 * Redis stream (outputs.redis, src/output/redis.c) into one store.
 *
 *   medsentry collect --redis HOST:PORT|SOCKET --key KEY -l DIR [--group G] [--consumer NAME] ...
 *
 * Collectors share a stream through a consumer group: Redis hands each entry
 * to one of them (XREADGROUP ... >), and it stays in that consumer's pending
 * list until acknowledged.  A collector acknowledges (XACK) only after the
 * rows of a batch are committed, so a collector that dies loses nothing:
 * its pending entries are taken over by another one (XAUTOCLAIM, once they
 * have been idle --min-idle ms) or read again by itself on restart (its own
 * pending list is read first).  An entry can thus be delivered twice (a
 * crash between COMMIT and XACK, or a claim of a slow collector's batch); the
 * store records every entry it stored (sqlite_ingest.c), so each is stored
 * once.
 */
#include "cli/collect.h"

#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "output/redis.h"
#include "output/sqlite_ingest.h"

#ifndef MEDSENTRY_VERSION
#define MEDSENTRY_VERSION "unknown"
#endif

static volatile sig_atomic_t collect_stop;

static void on_stop(int sig)
{
    (void)sig;
    collect_stop = 1;
}

struct collector {
    const char *server, *key, *group, *password;
    char consumer[256];
    char host[256];
    int port;
    bool unix_socket;
    long count, block_ms, min_idle_ms;
    bool once;
    long idle_exit_s; /* 0 = never */
    redisContext *ctx;
    struct store_ingest *ig;
    uint64_t entries, stored, duplicates, ignored, invalid, batches;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: medsentry collect --redis HOST:PORT|SOCKET --key KEY (-l DIR | --db FILE) [options]\n"
                "  Reads the events sensors send with outputs.redis (mode xadd) into DIR/medsentry.db, the store\n"
                "  'medsentry alerts' and 'medsentry assets' read; several collectors may share one stream.\n"
                "  --group G         consumer group (default medsentry); created if missing\n"
                "  --consumer NAME   this collector's name in the group (default HOSTNAME-PID)\n"
                "  --count N         entries per batch, one transaction each (default 500)\n"
                "  --block MS        how long one read waits for new entries (default 1000)\n"
                "  --min-idle MS     take over entries another consumer left pending this long (default 60000)\n"
                "  --password P      AUTH before anything else\n"
                "  --once            exit when the stream has nothing more to give\n"
                "  --idle-exit S     exit after S seconds without an entry\n"
                "  -q                no summary on stderr\n"
                "Stops cleanly on SIGINT/SIGTERM (the batch in hand is committed and acknowledged).\n"
                "Exit 0 on success, 1 when Redis or the store fails, 2 for bad arguments.\n");
}

static redisReply *command(struct collector *c, int argc, const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc && i < 16; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(c->ctx, argc, argv, lens);
    if (!r)
        log_error("collect: %s: %s: %s", c->server, argv[0], c->ctx->errstr);
    return r;
}

static int connect_redis(struct collector *c)
{
    struct timeval tv = {.tv_sec = 2};
    c->ctx = c->unix_socket ? redisConnectUnixWithTimeout(c->host, tv) : redisConnectWithTimeout(c->host, c->port, tv);
    if (!c->ctx || c->ctx->err) {
        log_error("collect: cannot connect to %s: %s", c->server, c->ctx ? c->ctx->errstr : "out of memory");
        return -1;
    }
    /* A read blocks for --block ms on the server: wait that long plus a margin for the reply. */
    long ms = c->block_ms + 5000;
    struct timeval rt = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    redisSetTimeout(c->ctx, rt);
    if (c->password) {
        const char *argv[] = {"AUTH", c->password};
        redisReply *r = command(c, 2, argv);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r && !ok)
            log_error("collect: %s: AUTH: %s", c->server, r->str);
        if (r)
            freeReplyObject(r);
        if (!ok)
            return -1;
    }
    const char *argv[] = {"XGROUP", "CREATE", c->key, c->group, "0", "MKSTREAM"};
    redisReply *r = command(c, 6, argv);
    if (!r)
        return -1;
    bool ok = r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0;
    if (!ok)
        log_error("collect: %s: XGROUP CREATE %s %s: %s", c->server, c->key, c->group, r->str);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

/* Store a batch of entries ([id, [field, value, ...] or nil]...) in one transaction, then acknowledge them all.
 * 0, or -1 when the store or Redis failed (nothing is acknowledged). */
static int process(struct collector *c, const redisReply *entries)
{
    if (!entries || entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
        return 0;
    if (store_ingest_begin(c->ig) < 0) {
        log_error("collect: %s", store_ingest_errmsg(c->ig));
        return -1;
    }
    size_t n = entries->elements;
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = entries->element[i];
        if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue; /* a deleted entry (nil): nothing to store */
        const redisReply *fields = e->element[1];
        const char *json = NULL;
        size_t len = 0;
        for (size_t f = 0; fields && fields->type == REDIS_REPLY_ARRAY && f + 1 < fields->elements; f += 2) {
            const redisReply *k = fields->element[f], *v = fields->element[f + 1];
            if (k->type == REDIS_REPLY_STRING && strcmp(k->str, "event") == 0 && v->type == REDIS_REPLY_STRING) {
                json = v->str;
                len = v->len;
            }
        }
        c->entries++;
        enum store_ingest_rc rc =
            json ? store_ingest_event(c->ig, c->key, e->element[0]->str, json, len) : INGEST_INVALID;
        switch (rc) {
        case INGEST_STORED: c->stored++; break;
        case INGEST_DUPLICATE: c->duplicates++; break;
        case INGEST_IGNORED: c->ignored++; break;
        case INGEST_INVALID: c->invalid++; break;
        case INGEST_FAILED:
            log_error("collect: %s", store_ingest_errmsg(c->ig));
            store_ingest_rollback(c->ig);
            return -1;
        }
    }
    if (store_ingest_commit(c->ig) < 0) {
        log_error("collect: %s", store_ingest_errmsg(c->ig));
        return -1;
    }
    c->batches++;
    /* Committed: now the entries may leave the pending list. */
    const char **argv = calloc(n + 3, sizeof(*argv));
    size_t *lens = calloc(n + 3, sizeof(*lens));
    if (!argv || !lens) {
        free(argv);
        free(lens);
        log_error("collect: out of memory");
        return -1;
    }
    int argc = 0;
    argv[argc++] = "XACK";
    argv[argc++] = c->key;
    argv[argc++] = c->group;
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = entries->element[i];
        if (e && e->type == REDIS_REPLY_ARRAY && e->elements >= 1 && e->element[0]->type == REDIS_REPLY_STRING)
            argv[argc++] = e->element[0]->str;
    }
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = argc > 3 ? redisCommandArgv(c->ctx, argc, argv, lens) : NULL;
    int ret = 0;
    if (argc > 3 && (!r || r->type == REDIS_REPLY_ERROR)) {
        /* Stored but not acknowledged: they will be delivered again and found already stored. */
        log_error("collect: %s: XACK: %s", c->server, r ? r->str : c->ctx->errstr);
        ret = -1;
    }
    if (r)
        freeReplyObject(r);
    free(argv);
    free(lens);
    return ret;
}

/* XREADGROUP from id ("0": this consumer's own pending entries; ">": new ones).  The number of entries read, or
 * -1. */
static long read_group(struct collector *c, const char *id, long block_ms)
{
    char count[24], block[24];
    snprintf(count, sizeof(count), "%ld", c->count);
    snprintf(block, sizeof(block), "%ld", block_ms);
    const char *argv[] = {"XREADGROUP", "GROUP", c->group,  c->consumer, "COUNT", count,
                          "BLOCK",      block,   "STREAMS", c->key,      id};
    redisReply *r = command(c, 11, argv);
    if (!r)
        return -1;
    long n = 0;
    if (r->type == REDIS_REPLY_ERROR) {
        log_error("collect: %s: XREADGROUP: %s", c->server, r->str);
        n = -1;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
        const redisReply *s = r->element[0]; /* [key, entries] */
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2) {
            n = (long)s->element[1]->elements;
            if (process(c, s->element[1]) < 0)
                n = -1;
        }
    }
    freeReplyObject(r);
    return n;
}

/* One pass of XAUTOCLAIM over the entries other consumers left pending for --min-idle ms.  The number taken, or
 * -1. */
static long claim(struct collector *c)
{
    char cursor[64] = "0-0", idle[24], count[24];
    snprintf(idle, sizeof(idle), "%ld", c->min_idle_ms);
    snprintf(count, sizeof(count), "%ld", c->count);
    long total = 0;
    do {
        const char *argv[] = {"XAUTOCLAIM", c->key, c->group, c->consumer, idle, cursor, "COUNT", count};
        redisReply *r = command(c, 8, argv);
        if (!r)
            return -1;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING) {
            log_error("collect: %s: XAUTOCLAIM: %s", c->server, r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
            freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        total += (long)r->element[1]->elements;
        int rc = process(c, r->element[1]);
        freeReplyObject(r);
        if (rc < 0)
            return -1;
    } while (strcmp(cursor, "0-0") != 0 && !collect_stop);
    return total;
}

static int run(struct collector *c)
{
    /* First what this consumer itself left pending (a restart after a crash), then claims and new entries. */
    for (long n; (n = read_group(c, "0", 1)) != 0;)
        if (n < 0)
            return -1;
    uint64_t claim_every = c->min_idle_ms < 1000 ? 1000 : c->min_idle_ms > 30000 ? 30000 : (uint64_t)c->min_idle_ms;
    uint64_t next_claim = 0, last_entry = mono_ms();
    while (!collect_stop) {
        long got = 0;
        if (mono_ms() >= next_claim) {
            long n = claim(c);
            if (n < 0)
                return -1;
            got += n;
            next_claim = mono_ms() + claim_every;
        }
        long n = read_group(c, ">", c->once ? 100 : c->block_ms);
        if (n < 0)
            return -1;
        got += n;
        if (got) {
            last_entry = mono_ms();
            continue;
        }
        if (c->once) {
            /* Nothing new: one last claim pass, then done. */
            long m = claim(c);
            if (m < 0)
                return -1;
            if (m == 0)
                break;
        }
        if (c->idle_exit_s && mono_ms() - last_entry >= (uint64_t)c->idle_exit_s * 1000)
            break;
    }
    return 0;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int collect_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"redis", required_argument, NULL, 'R'},    {"key", required_argument, NULL, 'k'},
        {"group", required_argument, NULL, 'g'},    {"consumer", required_argument, NULL, 'C'},
        {"count", required_argument, NULL, 'n'},    {"block", required_argument, NULL, 'b'},
        {"min-idle", required_argument, NULL, 'm'}, {"password", required_argument, NULL, 'p'},
        {"once", no_argument, NULL, 'o'},           {"idle-exit", required_argument, NULL, 'x'},
        {"db", required_argument, NULL, 'd'},       {"log-dir", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    struct collector c = {.group = "medsentry", .count = 500, .block_ms = 1000, .min_idle_ms = 60000};
    const char *logdir = NULL, *db = NULL, *consumer = NULL;
    bool quiet = false;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "l:qh", longopts, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 'R': c.server = optarg; break;
        case 'k': c.key = optarg; break;
        case 'g': c.group = optarg; break;
        case 'C': consumer = optarg; break;
        case 'n': ok = parse_long(optarg, 1, 10000, &c.count); break;
        case 'b': ok = parse_long(optarg, 1, 600000, &c.block_ms); break;
        case 'm': ok = parse_long(optarg, 0, 86400000, &c.min_idle_ms); break;
        case 'p': c.password = optarg; break;
        case 'o': c.once = true; break;
        case 'x': ok = parse_long(optarg, 1, 86400 * 365, &c.idle_exit_s); break;
        case 'd': db = optarg; break;
        case 'l': logdir = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default:
            log_error("collect: %s: unknown option or missing argument (see medsentry collect --help)",
                      argv[optind - 1]);
            return 2;
        }
        if (!ok) {
            log_error("collect: bad value '%s' (see medsentry collect --help)", optarg);
            return 2;
        }
    }
    if (optind < argc || !c.server || !c.key || !c.key[0] || (!logdir && !db)) {
        log_error("collect: needs --redis, --key and -l DIR (or --db FILE) (see medsentry collect --help)");
        return 2;
    }
    char err[1500];
    if (redis_parse_server(c.server, c.host, sizeof(c.host), &c.port, &c.unix_socket, err, sizeof(err)) < 0) {
        log_error("collect: --redis %s", err);
        return 2;
    }
    if (consumer) {
        snprintf(c.consumer, sizeof(c.consumer), "%s", consumer);
    } else {
        char hn[200] = "collector";
        if (gethostname(hn, sizeof(hn)) == 0)
            hn[sizeof(hn) - 1] = '\0';
        snprintf(c.consumer, sizeof(c.consumer), "%s-%ld", hn, (long)getpid());
    }
    char path[1100], source[700];
    if (db) {
        snprintf(path, sizeof(path), "%s", db);
    } else {
        snprintf(path, sizeof(path), "%s/medsentry.db", logdir);
        if (mkdir(logdir, 0750) < 0 && errno != EEXIST) {
            log_error("collect: %s: cannot create the directory: %s", logdir, strerror(errno));
            return 1;
        }
    }
    snprintf(source, sizeof(source), "redis %s %s (collector %s)", c.server, c.key, c.consumer);
    c.ig = store_ingest_open(path, source, MEDSENTRY_VERSION, err, sizeof(err));
    if (!c.ig) {
        log_error("collect: %s", err);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = connect_redis(&c) < 0 || run(&c) < 0 ? 1 : 0;
    if (!quiet)
        fprintf(stderr,
                "medsentry collect: %llu entries in %llu batches: %llu stored, %llu duplicates, %llu not kept, %llu "
                "invalid\n",
                (unsigned long long)c.entries, (unsigned long long)c.batches, (unsigned long long)c.stored,
                (unsigned long long)c.duplicates, (unsigned long long)c.ignored, (unsigned long long)c.invalid);
    if (c.ctx)
        redisFree(c.ctx);
    store_ingest_close(c.ig);
    return rc;
}
