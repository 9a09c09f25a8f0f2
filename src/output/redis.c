/*
 * redis.c - the Redis output: a bounded ring of event lines and a pipelined
 * sender (see redis.h for the why).
 *
 * Each event is formatted by eve_format, as in eve.json, and its closing
 * brace replaced by the sensor's `,"host":"name"}`, so a consumer that reads
 * many sensors knows whose event it is (Suricata's redis output does the
 * same).  The line is copied into the ring; the sender takes lines from the
 * ring's old end, appends one command per line to the connection's output
 * buffer (XADD key [MAXLEN ~ n] * event <json>, LPUSH key <json> or PUBLISH
 * key <json>), writes them in one go and reads as many replies.  A line is
 * released when its reply has been read (sent, or dropped on an error reply)
 * or when the connection broke before its reply came (dropped: the server may
 * or may not have it, and sending it again could store it twice).
 *
 * hiredis' blocking context is used with a timeout on every socket operation
 * (outputs.redis.timeout): connecting is a non-blocking connect() polled for
 * at most that long, and each read or write waits at most that long, so a
 * server that stops answering costs the packet path one timeout per batch,
 * then nothing until the backoff allows another attempt.  A host name is
 * resolved with getaddrinfo, which has no timeout: give an address.
 */
#include "output/redis.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "core/memcap.h"
#include "core/stats.h"
#include "output/eve.h"

#define REDIS_FLUSH_INTERVAL_US 100000u  /* the sender runs at least this often (wall time) when lines wait */
#define REDIS_BACKOFF_MIN_US    100000u  /* first reconnection delay, doubled after each failure ... */
#define REDIS_BACKOFF_MAX_US    5000000u /* ... up to this */

static const char *const redis_modes[] = {
    [REDIS_XADD] = "xadd", [REDIS_LPUSH] = "lpush", [REDIS_PUBLISH] = "publish", NULL};

static const struct config_key redis_keys[] = {
    CONFIG_KEY_SECTION(
        "outputs.redis",
        "Every event, as eve.json has it plus `host` (sensor-name), sent to Redis so that many sensors meet in one\n"
        "place; `medsentry collect` reads the stream into one store (README, \"Many sensors\"). Commands are "
        "pipelined\n(batch-size per round trip); every connect, send and reply waits at most `timeout` ms, so a slow "
        "or absent\nserver never holds the packets up for long. While the server is away, events wait in a bounded "
        "buffer and the\nconnection is retried (100 ms, doubling up to 5 s); what cannot be sent is counted in "
        "stats.redis.dropped and\neve.json is unaffected."),
    CONFIG_KEY_BOOL(struct redis_cfg, enabled, "outputs.redis.enabled", "no", NULL),
    CONFIG_KEY_STR(struct redis_cfg, server, "outputs.redis.server", "127.0.0.1:6379",
                   "host:port (an address: a name is resolved without a timeout), or the path of a Unix socket"),
    CONFIG_KEY_STR(struct redis_cfg, key, "outputs.redis.key", "medsentry",
                   "the stream (xadd), list (lpush) or channel (publish)"),
    CONFIG_KEY_ENUM(struct redis_cfg, mode, "outputs.redis.mode", redis_modes, "xadd",
                    "xadd: XADD key [MAXLEN ~ maxlen] * event <json>; lpush: LPUSH key <json>; publish: PUBLISH key "
                    "<json>\n(lpush and publish as Suricata's redis output does, for consumers written for it)"),
    CONFIG_KEY_STR(struct redis_cfg, sensor_name, "outputs.redis.sensor-name", "",
                   "`host` of every event; empty = this machine's host name"),
    CONFIG_KEY_U32(struct redis_cfg, maxlen, "outputs.redis.maxlen", 0, 0xffffffffu, "0",
                   "xadd only: trim the stream to about this many entries (MAXLEN ~); 0 = never trim"),
    CONFIG_KEY_STR(struct redis_cfg, password, "outputs.redis.password", "", "AUTH with this password when not empty"),
    CONFIG_KEY_U32(struct redis_cfg, buffer_size, "outputs.redis.buffer-size", 16, 1u << 24, "65536",
                   "events held while the server is slow or away; then new events are dropped (counted)"),
    CONFIG_KEY_SIZE(struct redis_cfg, buffer_memcap, "outputs.redis.buffer-memcap", 64 * CONFIG_KB, 64 * CONFIG_GB,
                    "64mb", "bytes of those events and their ring (stats.memcap.redis)"),
    CONFIG_KEY_U32(struct redis_cfg, batch_size, "outputs.redis.batch-size", 1, 65536, "256",
                   "commands written per round trip, then as many replies read"),
    CONFIG_KEY_U32(struct redis_cfg, timeout_ms, "outputs.redis.timeout", 1, 60000, "100",
                   "connect, send and reply timeout, milliseconds"),
};

/* With the output on, what redis_open() would refuse is a configuration error (-T says so). */
static int redis_cfg_validate(const void *cfg, char *err, size_t errlen)
{
    const struct redis_cfg *c = cfg;
    if (!c->enabled)
        return 0;
    if (!c->key[0]) {
        snprintf(err, errlen, "outputs.redis.key: must not be empty");
        return -1;
    }
    char host[256], perr[300];
    int port;
    bool unix_socket;
    if (redis_parse_server(c->server, host, sizeof(host), &port, &unix_socket, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "outputs.redis.server: %s", perr);
        return -1;
    }
    return 0;
}

const struct config_module redis_config_module = {
    .name = "redis",
    .keys = redis_keys,
    .n = sizeof(redis_keys) / sizeof(redis_keys[0]),
    .struct_size = sizeof(struct redis_cfg),
    .validate = redis_cfg_validate,
};

void redis_cfg_defaults(struct redis_cfg *c)
{
    config_module_set_defaults(&redis_config_module, c);
}

int redis_parse_server(const char *s, char *host, size_t hostlen, int *port, bool *unix_socket, char *err,
                       size_t errlen)
{
    *unix_socket = false;
    *port = 6379;
    if (strchr(s, '/')) {
        if (strlen(s) >= hostlen) {
            snprintf(err, errlen, "%s: Unix socket path too long", s);
            return -1;
        }
        snprintf(host, hostlen, "%s", s);
        *unix_socket = true;
        return 0;
    }
    const char *h = s, *colon;
    size_t hl;
    if (s[0] == '[') { /* [v6]:port */
        const char *close = strchr(s, ']');
        if (!close) {
            snprintf(err, errlen, "%s: missing ']' after an IPv6 address", s);
            return -1;
        }
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] && !colon) {
            snprintf(err, errlen, "%s: want [address]:port", s);
            return -1;
        }
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address: no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (hl == 0 || hl >= hostlen) {
        snprintf(err, errlen, "%s: want host:port or a Unix socket path", s);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535) {
            snprintf(err, errlen, "%s: the port must be 1 to 65535", s);
            return -1;
        }
        *port = (int)p;
    }
    return 0;
}

/* One event line, owned; `size` bytes charged to the ring's memcap. */
struct redis_line {
    char *json;
    size_t len;
};

struct redis_out {
    struct redis_cfg cfg;
    enum redis_mode mode;
    char host[256];
    int port;
    bool unix_socket;
    struct eve_cfg eve;
    struct stats *stats;
    struct jw jw;
    const struct eve_writer *eve_w; /* its line is this event's when eve_w->formatted is the event */
    char host_suffix[300];          /* ,"host":"<sensor name>"} */
    size_t host_suffix_len;
    char maxlen_text[16];
    /* the ring, oldest at head */
    struct redis_line *ring;
    uint32_t cap, head, n;
    struct memcap mc;
    /* the connection */
    redisContext *ctx;
    bool ever_connected;
    bool reported; /* the first failure was said on stderr */
    uint64_t next_connect_us, backoff_us;
    uint64_t last_send_us;
};

const struct memcap *redis_memcap(const struct redis_out *r)
{
    return &r->mc;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Count an error; say the first one on stderr. */
static void redis_error(struct redis_out *r, const char *what, const char *detail)
{
    r->stats->redis_errors++;
    if (r->reported)
        return;
    r->reported = true;
    log_error("outputs.redis: %s %s: %s (eve.json goes on; later errors are only counted in stats.redis.errors)", what,
              r->cfg.server, detail);
}

static void ring_pop(struct redis_out *r, uint32_t n)
{
    for (uint32_t i = 0; i < n && r->n; i++) {
        struct redis_line *l = &r->ring[r->head];
        mc_free(&r->mc, l->json, l->len);
        l->json = NULL;
        l->len = 0;
        r->head = (r->head + 1) % r->cap;
        r->n--;
    }
}

static struct redis_line *ring_at(struct redis_out *r, uint32_t i)
{
    return &r->ring[(r->head + i) % r->cap];
}

static void disconnect(struct redis_out *r, uint64_t now)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    r->backoff_us = r->backoff_us ? r->backoff_us * 2 : REDIS_BACKOFF_MIN_US;
    if (r->backoff_us > REDIS_BACKOFF_MAX_US)
        r->backoff_us = REDIS_BACKOFF_MAX_US;
    r->next_connect_us = now + r->backoff_us;
}

/* One connection attempt.  True when connected (and authenticated). */
static bool connect_now(struct redis_out *r, uint64_t now)
{
    struct timeval tv = {.tv_sec = r->cfg.timeout_ms / 1000, .tv_usec = (r->cfg.timeout_ms % 1000) * 1000};
    r->ctx = r->unix_socket ? redisConnectUnixWithTimeout(r->host, tv) : redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        redis_error(r, "cannot connect to", r->ctx ? r->ctx->errstr : "out of memory");
        disconnect(r, now);
        return false;
    }
    if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
        redis_error(r, "cannot set a timeout on the connection to", r->ctx->errstr);
        disconnect(r, now);
        return false;
    }
    if (r->cfg.password[0]) {
        const char *argv[] = {"AUTH", r->cfg.password};
        size_t argvlen[] = {4, strlen(r->cfg.password)};
        redisReply *rep = redisCommandArgv(r->ctx, 2, argv, argvlen);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (!ok)
            redis_error(r, "AUTH refused by", rep ? rep->str : r->ctx->errstr);
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            disconnect(r, now);
            return false;
        }
    }
    if (r->ever_connected)
        r->stats->redis_reconnects++;
    r->ever_connected = true;
    r->backoff_us = 0;
    return true;
}

/* Pipeline up to batch_size of the oldest lines: append the commands, then read a reply for each.  False when the
 * connection broke (the lines whose reply did not come are dropped). */
static bool send_batch(struct redis_out *r, uint64_t now)
{
    uint32_t n = r->n < r->cfg.batch_size ? r->n : r->cfg.batch_size;
    for (uint32_t i = 0; i < n; i++) {
        const struct redis_line *l = ring_at(r, i);
        const char *argv[7];
        size_t argvlen[7];
        int argc = 0;
#define ARG(s, len) (argv[argc] = (s), argvlen[argc] = (len), argc++)
        switch (r->mode) {
        case REDIS_XADD:
            ARG("XADD", 4);
            ARG(r->cfg.key, strlen(r->cfg.key));
            if (r->cfg.maxlen) {
                ARG("MAXLEN", 6);
                ARG("~", 1);
                ARG(r->maxlen_text, strlen(r->maxlen_text));
            }
            ARG("*", 1);
            ARG("event", 5);
            break;
        case REDIS_LPUSH:
            ARG("LPUSH", 5);
            ARG(r->cfg.key, strlen(r->cfg.key));
            break;
        case REDIS_PUBLISH:
            ARG("PUBLISH", 7);
            ARG(r->cfg.key, strlen(r->cfg.key));
            break;
        }
        ARG(l->json, l->len);
#undef ARG
        if (redisAppendCommandArgv(r->ctx, argc, argv, argvlen) != REDIS_OK) {
            /* Only an allocation can fail here; nothing was sent yet for this line and those after it. */
            redis_error(r, "cannot queue a command for", r->ctx->errstr);
            n = i;
            break;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        redisReply *rep = NULL;
        if (redisGetReply(r->ctx, (void **)&rep) != REDIS_OK) {
            redis_error(r, "lost the connection to", r->ctx->errstr);
            r->stats->redis_dropped += n - i;
            ring_pop(r, n - i);
            disconnect(r, now);
            return false;
        }
        if (rep && rep->type == REDIS_REPLY_ERROR) {
            redis_error(r, "error reply from", rep->str);
            r->stats->redis_dropped++;
        } else {
            r->stats->redis_sent++;
        }
        if (rep)
            freeReplyObject(rep);
        ring_pop(r, 1);
    }
    return true;
}

/* Send what is buffered.  force: try to connect even within the backoff delay (at the end of the run). */
static void send_all(struct redis_out *r, bool force)
{
    uint64_t now = mono_us();
    r->last_send_us = now;
    if (!r->n)
        return;
    if (!r->ctx) {
        if (!force && now < r->next_connect_us)
            return;
        if (!connect_now(r, now))
            return;
    }
    while (r->n && send_batch(r, now))
        ;
}

/* The end: one more attempt, then what is left is lost, and counted. */
static void send_final(struct redis_out *r)
{
    send_all(r, true);
    if (r->n) {
        r->stats->redis_dropped += r->n;
        ring_pop(r, r->n);
    }
}

void redis_flush(struct redis_out *r)
{
    if (r)
        send_final(r);
}

void redis_tick(struct redis_out *r)
{
    if (!r || !r->n)
        return;
    if (mono_us() - r->last_send_us >= REDIS_FLUSH_INTERVAL_US)
        send_all(r, false);
}

void redis_on_event(void *user, const struct event *ev)
{
    struct redis_out *r = user;
    const struct jw *jw = &r->jw;
    if (r->eve_w && r->eve_w->formatted == ev) {
        jw = &r->eve_w->jw; /* the line eve.json just got */
    } else {
        jw_reset(&r->jw);
        eve_format(&r->jw, &r->eve, ev);
    }
    if (jw->err || jw->depth != 0 || jw->len < 2 || jw->buf[jw->len - 1] != '}') {
        r->stats->redis_dropped++;
        return;
    }
    size_t len = jw->len - 1 + r->host_suffix_len;
    struct redis_line *l = r->n < r->cap ? ring_at(r, r->n) : NULL;
    char *json = l ? mc_malloc(&r->mc, len) : NULL;
    if (!json) {
        r->stats->redis_dropped++;
        return;
    }
    memcpy(json, jw->buf, jw->len - 1);
    memcpy(json + jw->len - 1, r->host_suffix, r->host_suffix_len);
    l->json = json;
    l->len = len;
    r->n++;
    if (r->n >= r->cfg.batch_size)
        send_all(r, false);
}

void redis_share_eve(struct redis_out *r, const struct eve_writer *w)
{
    if (r)
        r->eve_w = w;
}

struct redis_out *redis_open(const struct redis_cfg *cfg, const struct eve_cfg *eve, struct stats *stats, char *err,
                             size_t errlen)
{
    enum redis_mode mode;
    switch (cfg->mode) { /* outputs.redis.mode: the key's choices, checked when the configuration is read */
    case REDIS_XADD: mode = REDIS_XADD; break;
    case REDIS_LPUSH: mode = REDIS_LPUSH; break;
    case REDIS_PUBLISH: mode = REDIS_PUBLISH; break;
    default: snprintf(err, errlen, "outputs.redis.mode: %d is not a mode", cfg->mode); return NULL;
    }
    if (!cfg->key[0]) {
        snprintf(err, errlen, "outputs.redis.key: must not be empty");
        return NULL;
    }
    if (cfg->buffer_size == 0 || cfg->batch_size == 0) {
        snprintf(err, errlen, "outputs.redis: buffer-size and batch-size must be at least 1");
        return NULL;
    }
    struct redis_out *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "outputs.redis: out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->mode = mode;
    r->eve = *eve;
    r->stats = stats;
    char perr[300];
    if (redis_parse_server(cfg->server, r->host, sizeof(r->host), &r->port, &r->unix_socket, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "outputs.redis.server: %s", perr);
        free(r);
        return NULL;
    }
    snprintf(r->maxlen_text, sizeof(r->maxlen_text), "%u", cfg->maxlen);

    /* `host` as jw writes it (escaped), after the event's last member. */
    char name[256] = "unknown";
    if (cfg->sensor_name[0])
        snprintf(name, sizeof(name), "%s", cfg->sensor_name);
    else if (gethostname(name, sizeof(name)) == 0)
        name[sizeof(name) - 1] = '\0';
    jw_init(&r->jw);
    jw_open_obj(&r->jw, NULL);
    jw_str(&r->jw, "host", name);
    jw_close_obj(&r->jw);
    if (r->jw.err || r->jw.len >= sizeof(r->host_suffix)) {
        snprintf(err, errlen, "outputs.redis.sensor-name: too long");
        jw_free(&r->jw);
        free(r);
        return NULL;
    }
    r->host_suffix[0] = ',';
    memcpy(r->host_suffix + 1, r->jw.buf + 1, r->jw.len - 1); /* without the opening brace */
    r->host_suffix_len = r->jw.len;

    memcap_init(&r->mc, "redis", cfg->buffer_memcap);
    r->ring = mc_calloc(&r->mc, (size_t)cfg->buffer_size * sizeof(*r->ring));
    if (!r->ring) {
        snprintf(err, errlen,
                 "outputs.redis.buffer-memcap (%llu bytes) cannot hold outputs.redis.buffer-size (%u events)",
                 (unsigned long long)cfg->buffer_memcap, cfg->buffer_size);
        jw_free(&r->jw);
        free(r);
        return NULL;
    }
    r->cap = cfg->buffer_size;
    /* A server that closes the connection would otherwise end the sensor with SIGPIPE on the next write; hiredis
     * reports the error (EPIPE) instead. */
    signal(SIGPIPE, SIG_IGN);
    uint64_t now = mono_us();
    r->last_send_us = now;
    connect_now(r, now);
    return r;
}

void redis_close(struct redis_out *r)
{
    if (!r)
        return;
    send_final(r);
    if (r->ctx)
        redisFree(r->ctx);
    mc_free(&r->mc, r->ring, (size_t)r->cap * sizeof(*r->ring));
    jw_free(&r->jw);
    free(r);
}
