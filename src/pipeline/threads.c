/*
 * threads.c - reader, workers and correlator on threads (see threads.h).
 */
#include "pipeline/threads.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/ring.h"
#include "core/wake.h"
#include "engine.h"
#include "pipeline/merge.h"
#include "pipeline/packet_hash.h"

enum mt_unit { MT_PACKET, MT_TICK };

struct mt_entry {
    uint64_t seq;
    uint64_t now_us; /* the reader's packet time */
    uint64_t ts_us;  /* packet: its timestamp; tick: the first packet's time (uptime of periodic stats) */
    uint32_t caplen, wirelen, off;
    int linktype;
    uint8_t kind; /* enum mt_unit */
};

struct mt_batch {
    uint32_t n, used;
    uint64_t end_seq; /* every unit up to this one was given out in this round */
    bool end;         /* the end of input: worker_finish(end_seq) after the entries */
    uint64_t now_us;  /* the reader's packet time when the round went out */
    struct mt_entry e[MT_BATCH_ENTRIES];
    uint8_t data[MT_BATCH_BYTES];
};

struct mt_worker {
    struct engine *e;
    struct engine_mt *mt;
    struct worker *w;
    unsigned id;
    bool snapshots;       /* periodic stats are on: send the counters with every tick */
    struct ring in;       /* reader -> worker: batches to process */
    struct ring back;     /* worker -> reader: processed batches, to be filled again */
    struct ring out;      /* worker -> correlator: owned events */
    struct mt_batch *cur; /* reader: the batch being filled */
    struct mt_batch *batches[MT_BATCHES];
    pthread_t thread;
    uint64_t live_now_us, live_first_us;                 /* live: the worker's packet time, and its first packet's */
    _Alignas(RING_CACHELINE) _Atomic uint64_t watermark; /* every unit up to it is processed and its events queued */
    struct wake wake; /* the worker sleeps here: a batch for it (reader), room in `out` (correlator) */
    uint64_t pushed;  /* events queued since the correlator was last notified */
    uint64_t cpu_ns;  /* the thread's CPU time when it ended (medsentry -v prints it) */
};

/* A worker's counters at a tick (OWNED_WSTATS); the owned_event comes first, so free() of it frees all. */
struct mt_snapshot {
    struct owned_event oe;
    unsigned worker;
    struct stats stats;
    struct memcap mc[WORKER_MEMCAPS];
    bool has[WORKER_MEMCAPS];
    struct anomaly_ctx anomalies;
};

struct engine_mt {
    unsigned n;
    struct mt_worker *mw;
    pthread_t corr;
    bool started, joined;
    uint32_t round_units;
    uint64_t last_seq;                            /* the last unit put into a batch */
    struct merge merge;                           /* correlator: the workers' queues in key order */
    struct mt_snapshot *snap[ENGINE_MAX_WORKERS]; /* correlator: each worker's latest counters */
    const struct mt_live_ops *live;               /* live: the workers read their own sockets */
    uint64_t live_base_us;                        /* live: the wall clock at the start: unit time 0 */
    _Atomic int live_stop, live_failed, reopen;
    /* correlator: every event of every unit up to this one has been delivered (engine_mt_sync waits on it) */
    _Alignas(RING_CACHELINE) _Atomic uint64_t corr_done;
    struct wake reader_wake; /* the reader sleeps here: a batch given back (workers), corr_done moved (correlator) */
    struct wake corr_wake;   /* the correlator: a watermark moved or a worker's ring is full (workers) */
    /* The correlator, before it sleeps: the unit whose watermark it waits for (the smallest key it holds;
     * UINT64_MAX: none, it waits for events).  A worker notifies it at the end of a batch only if it queued events
     * or its watermark reached this (or sync_need, the reader's wait in engine_mt_sync): the other batch ends would
     * wake it for nothing. */
    _Alignas(RING_CACHELINE) _Atomic uint64_t corr_need;
    _Atomic uint64_t sync_need;
    uint64_t corr_cpu_ns;  /* the correlator's CPU time when it ended */
    uint64_t start_cpu_ns; /* the reader's CPU time at the first unit (set-up before it: configuration, rules) */
};

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waiting (core/wake.h): a brief spin, then a futex sleep until the thread that can end the wait notifies. */
struct ring_op {
    struct ring *r;
    void *p;
};

static bool try_pop(void *user)
{
    struct ring_op *o = user;
    return (o->p = ring_pop(o->r)) != NULL;
}

static bool try_push(void *user)
{
    struct ring_op *o = user;
    return ring_push(o->r, o->p);
}

/* The consumer's pop; it sleeps on w, which the producer notifies after each push. */
static void *wait_pop(struct ring *r, struct wake *w)
{
    struct ring_op o = {.r = r};
    if (!try_pop(&o))
        wake_wait(w, try_pop, &o);
    return o.p;
}

/* The producer's push; it sleeps on w, which the consumer notifies after a pop. */
static void wait_push(struct ring *r, void *p, struct wake *w)
{
    struct ring_op o = {.r = r, .p = p};
    if (!try_push(&o))
        wake_wait(w, try_push, &o);
}

#define CORR_IDLE_MS 100

/* ---- workers -------------------------------------------------------------------------------------------------- */

void engine_mt_emit(void *user, struct owned_event *oe)
{
    struct mt_worker *m = user;
    if (ring_push(&m->out, oe)) {
        m->pushed++;
        return; /* the correlator hears of it with the watermark at the end of the batch */
    }
    wake_notify(&m->mt->corr_wake); /* full: the correlator must take some (it notifies m->wake for each) */
    wait_push(&m->out, oe, &m->wake);
    m->pushed++;
}

static void send_snapshot(struct mt_worker *m, uint64_t seq)
{
    struct mt_snapshot *s = calloc(1, sizeof(*s));
    if (!s)
        return; /* the periodic stats then use the previous snapshot */
    s->oe.kind = OWNED_WSTATS;
    s->oe.decode_kind = -1;
    s->oe.size = sizeof(*s);
    s->oe.key = (struct event_key){.seq = seq, .phase = PHASE_TICK_CORR, .order = m->id};
    s->worker = m->id;
    s->stats = m->w->stats;
    const struct memcap *mc[WORKER_MEMCAPS];
    worker_memcaps(m->w, mc);
    for (int i = 0; i < WORKER_MEMCAPS; i++)
        if (mc[i]) {
            s->mc[i] = *mc[i];
            s->has[i] = true;
        }
    s->anomalies = m->w->anomalies;
    engine_mt_emit(m, &s->oe);
}

static void run_batch(struct mt_worker *m, struct mt_batch *b)
{
    for (uint32_t i = 0; i < b->n; i++) {
        const struct mt_entry *u = &b->e[i];
        if (u->kind == MT_TICK) {
            worker_tick(m->w, u->seq, u->now_us);
            if (m->snapshots)
                send_snapshot(m, u->seq);
            if (m->id == 0) { /* the correlator's tick, after every worker's events of this one */
                struct owned_event *t = owned_tick_new(u->now_us);
                if (t) {
                    t->key = (struct event_key){.seq = u->seq, .phase = PHASE_TICK_CORR, .order = UINT64_MAX};
                    t->aux = u->ts_us;
                    engine_mt_emit(m, t);
                }
            }
            continue;
        }
        struct packet p = {.ts_us = u->ts_us,
                           .caplen = u->caplen,
                           .wirelen = u->wirelen,
                           .linktype = u->linktype,
                           .data = b->data + u->off};
        worker_packet(m->w, u->seq, u->now_us, &p);
    }
}

static void *worker_main(void *arg)
{
    struct mt_worker *m = arg;
    for (;;) {
        struct mt_batch *b = wait_pop(&m->in, &m->wake);
        run_batch(m, b);
        bool end = b->end;
        if (end)
            worker_finish(m->w, b->end_seq, b->now_us);
        uint64_t wm = end ? UINT64_MAX : b->end_seq;
        b->n = b->used = 0;
        b->end = false;
        /* after every event of the batch was queued: the correlator may now pass them */
        atomic_store_explicit(&m->watermark, wm, memory_order_release);
        struct engine_mt *mt = m->mt;
        /* (the fence in wake_notify orders the watermark store before these loads, as for the ring) */
        atomic_thread_fence(memory_order_seq_cst);
        if (m->pushed || wm >= atomic_load_explicit(&mt->corr_need, memory_order_relaxed) ||
            wm >= atomic_load_explicit(&mt->sync_need, memory_order_relaxed)) {
            m->pushed = 0;
            wake_notify(&mt->corr_wake);
        }
        wait_push(&m->back, b, &m->wake); /* never waits: the ring has room for every batch */
        /* The reader waits for a free batch only when none is left; it is woken when half of them are back (or
         * this was the last), so that it then fills several in a row instead of one per wake-up. */
        if (end || ring_count_producer(&m->back) >= MT_BATCHES / 2)
            wake_notify(&mt->reader_wake);
        if (end) {
            m->cpu_ns = thread_cpu_ns(); /* read by the reader after the join */
            return NULL;
        }
    }
}

/* ---- the correlator: a k-way merge by key ---------------------------------------------------------------------------
 */

static void *correlator_main(void *arg)
{
    struct engine *e = arg;
    struct engine_mt *mt = e->mt;
    for (;;) {
        if (atomic_load_explicit(&mt->reopen, memory_order_relaxed) &&
            atomic_exchange_explicit(&mt->reopen, 0, memory_order_relaxed))
            engine_reopen_eve(e); /* live SIGHUP: events delivered so far are in the old file */
        struct owned_event *oe;
        enum merge_rc rc = merge_next(&mt->merge, &oe);
        if (rc == MERGE_DONE) {
            mt->corr_cpu_ns = thread_cpu_ns();
            return NULL; /* every worker ended and its ring is empty */
        }
        if (rc == MERGE_WAIT) {
            /* Nothing to pass: with the watermarks read first, a second wait means every event of every unit up
             * to the lowest of them is delivered (a worker queues a unit's events before it moves its mark). */
            uint64_t wm = UINT64_MAX;
            for (unsigned i = 0; i < mt->n; i++) {
                uint64_t w = atomic_load_explicit(&mt->mw[i].watermark, memory_order_acquire);
                wm = w < wm ? w : wm;
            }
            rc = merge_next(&mt->merge, &oe);
            if (rc == MERGE_WAIT) {
                if (wm > atomic_load_explicit(&mt->corr_done, memory_order_relaxed)) {
                    atomic_store_explicit(&mt->corr_done, wm, memory_order_release);
                    wake_notify(&mt->reader_wake); /* engine_mt_sync may wait for it */
                }
                /* Sleep until a worker moves its watermark or fills its ring, at most CORR_IDLE_MS. */
                uint64_t need = merge_need(&mt->merge);
                atomic_store_explicit(&mt->corr_need, need, memory_order_relaxed);
                uint32_t t = wake_prepare(&mt->corr_wake); /* (seq_cst: corr_need is visible before the look) */
                rc = merge_next(&mt->merge, &oe);
                if (rc == MERGE_WAIT && merge_need(&mt->merge) == need) {
                    wake_sleep(&mt->corr_wake, t, CORR_IDLE_MS);
                    continue;
                }
                wake_cancel(&mt->corr_wake);
                if (rc == MERGE_WAIT)
                    continue;
            }
            if (rc == MERGE_DONE) {
                mt->corr_cpu_ns = thread_cpu_ns();
                return NULL;
            }
        }
        engine_deliver(e, oe);
    }
}

void engine_mt_keep_snapshot(struct engine *e, struct owned_event *oe)
{
    struct mt_snapshot *s = (struct mt_snapshot *)oe;
    struct engine_mt *mt = e->mt;
    if (!mt || s->worker >= mt->n) {
        free(oe);
        return;
    }
    free(mt->snap[s->worker]);
    mt->snap[s->worker] = s;
}

void engine_mt_stats(struct engine *e, uint64_t ts_us, uint64_t first_ts_us)
{
    struct engine_mt *mt = e->mt;
    static struct anomaly_ctx merged; /* the correlator thread only */
    const struct memcap *per[ENGINE_MAX_WORKERS][WORKER_MEMCAPS];
    uint64_t pkts[ENGINE_MAX_WORKERS];
    struct stats total = e->stats;
    anomaly_ctx_init(&merged, 0, NULL, NULL);
    for (unsigned i = 0; i < mt->n; i++) {
        const struct mt_snapshot *s = mt->snap[i];
        for (int k = 0; k < WORKER_MEMCAPS; k++)
            per[i][k] = s && s->has[k] ? &s->mc[k] : NULL;
        pkts[i] = s ? s->stats.pkts : 0;
        if (!s)
            continue;
        stats_merge(&total, &s->stats);
        anomaly_ctx_merge_tables(&merged, &s->anomalies);
    }
    engine_stats_write(e, &total, (const struct memcap *const(*)[WORKER_MEMCAPS])per, pkts, mt->n, &merged, false,
                       ts_us, first_ts_us);
}

/* ---- the reader
 * ------------------------------------------------------------------------------------------------------ */

static struct mt_batch *take_free(struct engine_mt *mt, struct mt_worker *m)
{
    return wait_pop(&m->back, &mt->reader_wake);
}

/* Every worker gets its batch of the round (empty or not), stamped with the last unit given out. */
static void flush_round(struct engine_mt *mt, uint64_t upto, bool end, uint64_t now_us)
{
    for (unsigned i = 0; i < mt->n; i++) {
        struct mt_worker *m = &mt->mw[i];
        struct mt_batch *b = m->cur;
        b->end_seq = upto;
        b->end = end;
        b->now_us = now_us;
        wait_push(&m->in, b, &mt->reader_wake); /* never waits: the ring has room for every batch */
        wake_notify(&m->wake);
        m->cur = end ? NULL : take_free(mt, m);
    }
    mt->round_units = 0;
}

static void start_threads(struct engine *e, void *(*worker_fn)(void *))
{
    struct engine_mt *mt = e->mt;
    if (mt->started)
        return;
    mt->started = true;
    mt->start_cpu_ns = thread_cpu_ns();
    /* Signals (Ctrl-C) are for the reader's thread: the others never take them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < mt->n; i++)
        if (pthread_create(&mt->mw[i].thread, NULL, worker_fn, &mt->mw[i]) != 0) {
            fprintf(stderr, "medsentry: error: cannot start worker thread %u\n", i);
            exit(1);
        }
    if (pthread_create(&mt->corr, NULL, correlator_main, e) != 0) {
        fprintf(stderr, "medsentry: error: cannot start the correlator thread\n");
        exit(1);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void start(struct engine *e)
{
    start_threads(e, worker_main);
}

void engine_mt_packet(struct engine *e, uint64_t seq, const struct packet *pkt)
{
    struct engine_mt *mt = e->mt;
    start(e);
    struct mt_worker *m = &mt->mw[packet_worker(pkt, mt->n)];
    uint32_t caplen = pkt->caplen < MT_BATCH_BYTES ? pkt->caplen : MT_BATCH_BYTES;
    if (m->cur->n == MT_BATCH_ENTRIES || m->cur->used + caplen > MT_BATCH_BYTES)
        flush_round(mt, mt->last_seq, false, e->now_us);
    struct mt_batch *b = m->cur;
    struct mt_entry *u = &b->e[b->n++];
    *u = (struct mt_entry){.seq = seq,
                           .now_us = e->now_us,
                           .ts_us = pkt->ts_us,
                           .caplen = caplen,
                           .wirelen = pkt->wirelen,
                           .off = b->used,
                           .linktype = pkt->linktype,
                           .kind = MT_PACKET};
    memcpy(b->data + b->used, pkt->data, caplen);
    b->used += caplen;
    mt->last_seq = seq;
    if (++mt->round_units >= MT_ROUND_UNITS)
        flush_round(mt, seq, false, e->now_us);
}

void engine_mt_tick(struct engine *e, uint64_t seq, uint64_t now_us)
{
    struct engine_mt *mt = e->mt;
    start(e);
    for (unsigned i = 0; i < mt->n; i++)
        if (mt->mw[i].cur->n == MT_BATCH_ENTRIES) {
            flush_round(mt, mt->last_seq, false, e->now_us);
            break;
        }
    for (unsigned i = 0; i < mt->n; i++) {
        struct mt_batch *b = mt->mw[i].cur;
        b->e[b->n++] = (struct mt_entry){.seq = seq, .now_us = now_us, .ts_us = e->first_ts_us, .kind = MT_TICK};
    }
    mt->last_seq = seq;
    flush_round(mt, seq, false, e->now_us); /* at once: an idle worker's flows time out on time */
}

void engine_mt_idle(struct engine *e)
{
    struct engine_mt *mt = e->mt;
    if (mt->started && mt->round_units)
        flush_round(mt, mt->last_seq, false, e->now_us);
}

static bool corr_caught_up(void *user)
{
    struct engine_mt *mt = user;
    return atomic_load_explicit(&mt->corr_done, memory_order_acquire) >= mt->last_seq;
}

void engine_mt_sync(struct engine *e)
{
    struct engine_mt *mt = e->mt;
    if (!mt || !mt->started || mt->joined)
        return;
    atomic_store_explicit(&mt->sync_need, mt->last_seq, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* before the batches go out: their ends see it */
    if (mt->round_units)
        flush_round(mt, mt->last_seq, false, e->now_us);
    wake_notify(&mt->corr_wake); /* the workers may all be done already */
    wake_wait(&mt->reader_wake, corr_caught_up, mt);
    atomic_store_explicit(&mt->sync_need, UINT64_MAX, memory_order_relaxed);
}

static void join_all(struct engine_mt *mt)
{
    for (unsigned i = 0; i < mt->n; i++)
        pthread_join(mt->mw[i].thread, NULL);
    pthread_join(mt->corr, NULL);
    mt->joined = true;
}

void engine_mt_finish(struct engine *e, uint64_t seq)
{
    struct engine_mt *mt = e->mt;
    if (mt->joined)
        return; /* live: engine_mt_live_stop ended and joined them */
    start(e);
    mt->last_seq = seq;
    flush_round(mt, seq, true, e->now_us);
    join_all(mt);
    /* for tuning and the benchmark (bench/README.md): CPU seconds and sleeps of each thread */
    for (unsigned i = 0; i < mt->n; i++)
        log_debug("threads: worker %u: %.3f s CPU, slept %" PRIu64 " times", i, (double)mt->mw[i].cpu_ns / 1e9,
                  mt->mw[i].wake.sleeps);
    log_debug("threads: reader: %.3f s CPU from the first packet (%.3f s set-up before it), slept %" PRIu64
              " times; correlator: %.3f s CPU, slept %" PRIu64 " times",
              (double)(thread_cpu_ns() - mt->start_cpu_ns) / 1e9, (double)mt->start_cpu_ns / 1e9,
              mt->reader_wake.sleeps, (double)mt->corr_cpu_ns / 1e9, mt->corr_wake.sleeps);
}

/* ---- live: workers that read their own sockets (threads.h, "Live capture") ------------------------------------ */

#define LIVE_SLOTS_ALL ((1u << MT_LIVE_SHIFT) - 1)
#define LIVE_TICK_US   1000000u
#define LIVE_END_SEQ   (UINT64_MAX - 1) /* the end of input: after every unit of every worker */

_Static_assert(ENGINE_MAX_WORKERS + 1 <= (1u << MT_LIVE_SHIFT), "a slot for the tick and one per worker");

static uint64_t wall_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void live_tick(struct mt_worker *m, uint64_t tick_t)
{
    struct engine_mt *mt = m->e->mt;
    uint64_t seq = tick_t << MT_LIVE_SHIFT;
    worker_tick(m->w, seq, m->live_now_us);
    if (m->snapshots)
        send_snapshot(m, seq);
    if (m->id == 0) { /* the correlator's tick, after every worker's events of this one */
        struct owned_event *t = owned_tick_new(m->live_now_us);
        if (t) {
            t->key = (struct event_key){.seq = seq, .phase = PHASE_TICK_CORR, .order = UINT64_MAX};
            t->aux = mt->live_base_us; /* periodic stats: uptime from the start of the capture */
            engine_mt_emit(m, t);
        }
    }
    mt->live->stats(mt->live->user, m->id); /* the kernel's 32-bit counters, summed before they can wrap */
}

static void *live_worker_main(void *arg)
{
    struct mt_worker *m = arg;
    struct engine_mt *mt = m->e->mt;
    const struct mt_live_ops *ops = mt->live;
    const uint64_t base = mt->live_base_us;
    uint64_t t_last = 0, next_tick = 0; /* unit time (us since base) of the last unit; of the next tick */
    bool first = true;
    char err[256];
    for (;;) {
        bool stopping = atomic_load_explicit(&mt->live_stop, memory_order_relaxed);
        struct packet pkt;
        int r = ops->next(ops->user, m->id, &pkt, stopping ? 0 : MT_LIVE_POLL_MS, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, "medsentry: error: capture, worker %u: %s\n", m->id, err);
            atomic_store(&mt->live_failed, 1);
            atomic_store(&mt->live_stop, 1);
            break;
        }
        if (r == 0 && stopping)
            break; /* what the ring held is taken */
        uint64_t now = r ? pkt.ts_us : wall_us();
        if (r && !m->live_first_us)
            m->live_first_us = pkt.ts_us;
        if (now > m->live_now_us)
            m->live_now_us = now;
        uint64_t t = now > base ? now - base : 0;
        if (t < t_last + (r ? 1 : 0) && !first)
            t = t_last + (r ? 1 : 0); /* the worker's clock never goes back: its units ascend */
        if (t >= next_tick || first) {
            uint64_t tick_t = t - t % LIVE_TICK_US;
            if (tick_t <= t_last && !first) /* cannot happen: every unit before was before next_tick */
                tick_t = t_last + 1;
            live_tick(m, tick_t);
            next_tick = tick_t + LIVE_TICK_US;
            if (r && t == tick_t)
                t++; /* the packet's unit comes after the tick's */
        }
        first = false;
        if (r)
            worker_packet(m->w, t << MT_LIVE_SHIFT | (1u + m->id), m->live_now_us, &pkt);
        t_last = t;
        /* every event of the unit is queued, and this worker's next unit is later than t */
        atomic_store_explicit(&m->watermark, t << MT_LIVE_SHIFT | LIVE_SLOTS_ALL, memory_order_release);
    }
    ops->stats(ops->user, m->id);
    worker_finish(m->w, LIVE_END_SEQ, m->live_now_us);
    atomic_store_explicit(&m->watermark, UINT64_MAX, memory_order_release);
    return NULL;
}

void engine_mt_live_start(struct engine *e, const struct mt_live_ops *ops)
{
    struct engine_mt *mt = e->mt;
    mt->live = ops;
    mt->live_base_us = wall_us();
    start_threads(e, live_worker_main);
}

bool engine_mt_live_ok(struct engine *e)
{
    return !e->mt || !atomic_load(&e->mt->live_failed);
}

void engine_mt_live_reopen(struct engine *e)
{
    if (e->mt)
        atomic_store(&e->mt->reopen, 1);
}

void engine_mt_live_stop(struct engine *e)
{
    struct engine_mt *mt = e->mt;
    if (!mt || !mt->live || mt->joined)
        return;
    atomic_store(&mt->live_stop, 1);
    join_all(mt);
    e->pkts_read = 0;
    for (unsigned i = 0; i < mt->n; i++) {
        const struct mt_worker *m = &mt->mw[i];
        if (m->live_now_us > e->now_us)
            e->now_us = m->live_now_us;
        if (m->live_first_us && (!e->first_ts_us || m->live_first_us < e->first_ts_us))
            e->first_ts_us = m->live_first_us;
        e->pkts_read += m->w->stats.pkts;
        e->bytes_read += m->w->stats.bytes;
    }
}

/* ---- set-up
 * ------------------------------------------------------------------------------------------------------------ */

int engine_mt_init(struct engine *e, char *err, size_t errlen)
{
    struct engine_mt *mt = calloc(1, sizeof(*mt));
    if (!mt) {
        snprintf(err, errlen, "out of memory for the worker threads");
        return -1;
    }
    e->mt = mt;
    atomic_init(&mt->corr_done, 0);
    wake_init(&mt->reader_wake);
    wake_init(&mt->corr_wake);
    atomic_init(&mt->corr_need, UINT64_MAX);
    atomic_init(&mt->sync_need, UINT64_MAX);
    mt->n = e->n_workers;
    mt->mw = calloc(mt->n, sizeof(*mt->mw));
    if (!mt->mw) {
        snprintf(err, errlen, "out of memory for the worker threads");
        return -1;
    }
    for (unsigned i = 0; i < mt->n; i++) {
        struct mt_worker *m = &mt->mw[i];
        m->e = e;
        m->mt = mt;
        m->w = &e->workers[i];
        wake_init(&m->wake);
        m->id = i;
        m->snapshots = e->cfg->engine.stats_interval_s != 0;
        m->w->emit_user = m;
        atomic_init(&m->watermark, 0);
        if (ring_init(&m->in, MT_BATCHES) < 0 || ring_init(&m->back, MT_BATCHES) < 0 ||
            ring_init(&m->out, MT_OUT_EVENTS) < 0) {
            snprintf(err, errlen, "out of memory for the worker threads' rings");
            return -1;
        }
        for (int k = 0; k < MT_BATCHES; k++) {
            m->batches[k] = malloc(sizeof(struct mt_batch));
            if (!m->batches[k]) {
                snprintf(err, errlen, "out of memory for packet batches (%zu bytes each)", sizeof(struct mt_batch));
                return -1;
            }
            m->batches[k]->n = m->batches[k]->used = 0;
            m->batches[k]->end = false;
            ring_push(&m->back, m->batches[k]);
        }
        m->cur = ring_pop(&m->back);
    }
    struct merge_source src[ENGINE_MAX_WORKERS];
    for (unsigned i = 0; i < mt->n; i++)
        src[i] =
            (struct merge_source){.ring = &mt->mw[i].out, .watermark = &mt->mw[i].watermark, .popped = &mt->mw[i].wake};
    merge_init(&mt->merge, mt->n, src);
    return 0;
}

void engine_mt_free(struct engine *e)
{
    struct engine_mt *mt = e->mt;
    if (!mt)
        return;
    engine_mt_live_stop(e);
    if (mt->started && !mt->joined) {
        mt->last_seq = ++e->seq;
        flush_round(mt, mt->last_seq, true, e->now_us);
        join_all(mt);
    }
    merge_free(&mt->merge);
    for (unsigned i = 0; mt->mw && i < mt->n; i++) {
        struct mt_worker *m = &mt->mw[i];
        free(mt->snap[i]);
        struct owned_event *oe;
        while (m->out.slots && (oe = ring_pop(&m->out)))
            free(oe);
        for (int k = 0; k < MT_BATCHES; k++)
            free(m->batches[k]);
        ring_free(&m->in);
        ring_free(&m->back);
        ring_free(&m->out);
    }
    free(mt->mw);
    free(mt);
    e->mt = NULL;
}
