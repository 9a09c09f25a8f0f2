/*
 * main.c - the medsentry command line.
 *
 *   medsentry -r capture.pcap [-l logdir] [-c medsentry.yaml] [BPF filter]
 *   medsentry -i eth0 [...]
 *   medsentry -T [-c medsentry.yaml]
 *   medsentry alerts|assets -l logdir [...]   (the store read back: cli/query.c)
 *   medsentry -i eth0 -u medsentry [-g GROUP] [-D] [--pidfile FILE] [--no-seccomp]
 *
 * Start-up order (docs/HARDENING.md): configuration and rules are checked, the run-as user is looked up, then the
 * capture, the log directory, the PHI key and every output are opened; only then the sensor drops to the run-as
 * user, sets no_new_privs and installs the seccomp filter (core/sandbox.h), and reads its first packet.
 *
 * Exit status: 0 success, 1 runtime failure (unreadable input, cannot write
 * the logs), 2 bad usage or configuration.  Every failure is one line on
 * stderr that names what failed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "cli/collect.h"
#include "cli/query.h"
#include "cli/terminal.h"
#include "config_registry.h"
#include "report/report.h"
#include "detect/detect.h"
#include "files/yara_scan.h"
#include "core/phi.h"
#include "core/log.h"
#include "core/ofile.h"
#include "core/sandbox.h"
#include "core/service.h"
#include "engine.h"
#include "pipeline/threads.h"
#include "source/afpacket.h"
#include "source/source.h"

#ifndef MEDSENTRY_VERSION
#define MEDSENTRY_VERSION "0.0.0"
#endif
#ifndef MEDSENTRY_GIT_REV
#define MEDSENTRY_GIT_REV "unknown"
#endif

/* Set by SIGINT/SIGTERM; the capture loop checks it between packets. */
static volatile sig_atomic_t stop_requested;
static struct source *signal_source;
/* Set by SIGHUP: reopen the output files by name (logrotate). */
static volatile sig_atomic_t reopen_requested;

static void on_hup(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_source && signal_source->ops && signal_source->ops->breakloop)
        signal_source->ops->breakloop(signal_source);
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: medsentry -r FILE [options] [BPF filter]\n"
            "       medsentry -i IFACE [options] [BPF filter]\n"
            "       medsentry -T [-c FILE]\n"
            "       medsentry --dump-config\n"
            "       medsentry alerts -l DIR [--since T] [--severity N] [--host IP] [--json]\n"
            "       medsentry assets -l DIR [--role R] [--json]\n"
            "       medsentry collect --redis HOST:PORT --key KEY -l DIR [--group G] [--consumer NAME] [--once]\n"
            "       medsentry report -l DIR [-o FILE] [--since T]\n"
            "\n"
            "Passive security monitor for medical-imaging networks: reads packets, writes EVE JSON events.\n"
            "\n"
            "  -r FILE            read a pcap or pcapng capture ('-' for standard input)\n"
            "  -i IFACE           capture live from a network interface (Ctrl-C stops and flushes)\n"
            "  -l DIR             log directory for eve.json (default: current directory; created if missing)\n"
            "  -c FILE            configuration file (medsentry.yaml); every key has a default\n"
            "  -T                 check the configuration and exit\n"
            "  --set KEY=VALUE    override one configuration key, e.g. --set flow.memcap=64mb\n"
            "  --dump-config      print every configuration key with its default and comment (medsentry.yaml)\n"
            "  --log-phi          write patient data (PHI) in clear instead of keyed hashes\n"
            "  --dump-streams DIR write each TCP direction's reassembled bytes to DIR (debugging, tests)\n"
            "  --extract-files DIR write each complete file carried by SMB or HTTP to DIR/<sha256> (once; size cap:\n"
            "                     files.extract-max-size)\n"
            "  --threads N        worker threads (default: threading.workers, else the online CPUs); the output is\n"
            "                     the same for every N\n"
            "  -u USER, -g GROUP  after opening the capture and the outputs, run as USER (and GROUP; default: USER's\n"
            "                     group) with no capability (run-as.user, run-as.group)\n"
            "  -D, --daemon       run in the background (the exit status says whether the start succeeded)\n"
            "  --pidfile FILE     write the process id to FILE (refused if a medsentry with that pid runs)\n"
            "  --no-seccomp       do not install the system call filter (debugging; sandbox.seccomp: no)\n"
            "  -v                 more messages on stderr;  -q  errors only\n"
            "  -h, --help         this help\n"
            "  -V, --version      print the version\n"
            "\n"
            "A trailing BPF expression filters packets as in tcpdump, e.g. 'tcp port 104 or port 445'.\n"
            "'medsentry alerts --help' and 'medsentry assets --help' describe the commands that read\n"
            "DIR/medsentry.db, the store every run adds to.\n");
}

struct cli {
    const char *read_file, *iface, *logdir, *config_file, *dump_dir, *extract_dir, *threads;
    const char *user, *group, *pidfile;
    bool test_config, log_phi, dump_config, daemon, no_seccomp;
    int verbosity;
    char *bpf;
    const char *sets[64];
    int n_sets;
};

static int parse_args(int argc, char **argv, struct cli *c)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"set", required_argument, NULL, 1},
        {"log-phi", no_argument, NULL, 2},
        {"dump-streams", required_argument, NULL, 3},
        {"extract-files", required_argument, NULL, 4},
        {"dump-config", no_argument, NULL, 5},
        {"threads", required_argument, NULL, 6},
        {"daemon", no_argument, NULL, 'D'},
        {"pidfile", required_argument, NULL, 7},
        {"no-seccomp", no_argument, NULL, 8},
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+r:i:l:c:u:g:DTvqhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'r': c->read_file = optarg; break;
        case 'i': c->iface = optarg; break;
        case 'l': c->logdir = optarg; break;
        case 'c': c->config_file = optarg; break;
        case 'T': c->test_config = true; break;
        case 'u': c->user = optarg; break;
        case 'g': c->group = optarg; break;
        case 'D': c->daemon = true; break;
        case 7: c->pidfile = optarg; break;
        case 8: c->no_seccomp = true; break;
        case 'v': c->verbosity++; break;
        case 'q': c->verbosity = -1; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("medsentry %s (%s)\n", MEDSENTRY_VERSION, MEDSENTRY_GIT_REV); exit(0);
        case 1:
            if (c->n_sets >= (int)(sizeof(c->sets) / sizeof(c->sets[0]))) {
                log_error("too many --set options");
                return -1;
            }
            c->sets[c->n_sets++] = optarg;
            break;
        case 2: c->log_phi = true; break;
        case 3: c->dump_dir = optarg; break;
        case 4: c->extract_dir = optarg; break;
        case 5: c->dump_config = true; break;
        case 6: c->threads = optarg; break;
        case '?':
            if (optopt)
                log_error("option -%c: %s (see --help)", optopt,
                          strchr("rilcug", optopt) ? "needs an argument" : "unknown option");
            else
                log_error("%s: unknown option or missing argument (see --help)", argv[optind - 1]);
            return -1;
        default: return -1;
        }
    }
    /* Everything after the options is the BPF filter, as with tcpdump. */
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (len) {
        c->bpf = calloc(1, len);
        if (!c->bpf)
            return -1;
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                strcat(c->bpf, " ");
            strcat(c->bpf, argv[i]);
        }
    }
    if (!c->test_config && !c->dump_config && !c->read_file && !c->iface) {
        log_error("nothing to read: give -r FILE or -i IFACE (see --help)");
        return -1;
    }
    if (c->read_file && c->iface) {
        log_error("-r and -i cannot be used together");
        return -1;
    }
    return 0;
}

/* Create path and any missing parents (mkdir -p); an existing directory is fine.  Directories created for a
 * sensor that will drop to another user are given to that user (they hold what it writes later: assets.json,
 * extracted files, the store). */
static int ensure_dir(const char *path, const struct sandbox_ids *ids)
{
    char buf[1024];
    struct stat st;
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        log_error("%s: path too long", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (stat(buf, &st) != 0) {
            if (mkdir(buf, 0750) != 0 && errno != EEXIST) {
                log_error("%s: cannot create directory: %s", buf, strerror(errno));
                return -1;
            }
            if (ids->drop && chown(buf, ids->uid, ids->gid) != 0) {
                log_error("%s: cannot give the directory to %s: %s", buf, ids->user, strerror(errno));
                return -1;
            }
        } else if (!S_ISDIR(st.st_mode)) {
            log_error("%s: not a directory", buf);
            return -1;
        }
        if (end)
            return 0;
        *p = '/';
    }
}

static int run(struct engine *e, struct source *src, const char *name, struct progress *progress)
{
    struct packet pkt;
    int rc = 0;
    for (;;) {
        if (stop_requested)
            break;
        enum source_rc r = source_next(src, &pkt);
        if (reopen_requested) { /* before the packet: its events go to the new file */
            reopen_requested = 0;
            engine_reopen_outputs(e);
        }
        if (r == SOURCE_PACKET) {
            engine_packet(e, &pkt);
            progress_packet(progress, e->pkts_read, e->bytes_read); /* the reader's counts: the workers' are theirs */
            continue;
        }
        if (r == SOURCE_IDLE) {
            /* A quiet live link: packet time would stand still, so let the clock move it (live only;
             * a capture file is driven by its own timestamps alone). */
            if (src->live) {
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                engine_tick(e, (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u);
            }
            continue;
        }
        if (r == SOURCE_END)
            break;
        if (r == SOURCE_TRUNCATED) {
            log_warn("%s: capture is truncated: the last packet is cut off (%s); the %llu complete packets "
                     "before it were analysed",
                     name, src->err, (unsigned long long)e->pkts_read);
            e->capture_truncated = true;
            break;
        }
        if (stop_requested)
            break; /* a read interrupted by SIGINT/SIGTERM is the stop, not a failure */
        log_error("%s: read error after %llu packets: %s", name, (unsigned long long)e->pkts_read, src->err);
        rc = 1;
        break;
    }
    if (src->live) {
        uint64_t r, d, i, f;
        if (src->ops->kernel_stats && src->ops->kernel_stats(src, &r, &d, &i, &f)) {
            e->kernel_packets = r;
            e->kernel_drops = d;
            e->kernel_ifdrops = i;
            e->kernel_freezes = f;
        }
    }
    return rc;
}

static int afp_next_cb(void *user, unsigned worker, struct packet *pkt, int timeout_ms, char *err, size_t errlen)
{
    enum source_rc r = afp_next(user, worker, pkt, timeout_ms, err, errlen);
    return r == SOURCE_PACKET ? 1 : r == SOURCE_IDLE ? 0 : -1;
}

static void afp_stats_cb(void *user, unsigned worker)
{
    afp_read_stats(user, worker);
}

/* AF_PACKET: the workers read their own sockets; this thread waits for a signal (SIGTERM, SIGINT, SIGHUP). */
static int run_afpacket(struct engine *e, struct afp *a)
{
    static struct mt_live_ops ops;
    ops = (struct mt_live_ops){.next = afp_next_cb, .stats = afp_stats_cb, .user = a};
    engine_mt_live_start(e, &ops);
    while (!stop_requested && engine_mt_live_ok(e)) {
        if (reopen_requested) {
            reopen_requested = 0;
            engine_mt_live_reopen(e);
        }
        struct timespec t = {0, 50 * 1000 * 1000};
        nanosleep(&t, NULL); /* a signal ends it early */
    }
    engine_mt_live_stop(e); /* each worker takes what its ring holds, reads its counters and ends its flows */
    e->n_sockets = a->n;
    for (unsigned i = 0; i < a->n; i++) {
        e->sock_packets[i] = a->s[i].k_packets;
        e->sock_drops[i] = a->s[i].k_drops;
        e->sock_freezes[i] = a->s[i].k_freezes;
        e->kernel_packets += a->s[i].k_packets;
        e->kernel_drops += a->s[i].k_drops;
        e->kernel_freezes += a->s[i].k_freezes;
    }
    return engine_mt_live_ok(e) ? 0 : 1;
}

/* What was read and what was written, on stderr at the end of a run. */
static void print_summary(const struct engine *e, const char *name, const struct alert_tally *alerts)
{
    const struct stats *s = &e->stats;
    char line[1024];
    size_t n = 0;
    alert_tally_format(alerts, line, sizeof(line));
    log_info("%s", line);
    log_info("%s: %llu packets, %.2f MB, %llu s of capture time%s", name, (unsigned long long)s->pkts,
             (double)s->bytes / 1e6, (unsigned long long)((e->now_us - e->first_ts_us) / 1000000),
             e->capture_truncated ? " (capture truncated)" : "");
    uint64_t detected = s->app_probe_failed;
    n += (size_t)snprintf(
        line + n, sizeof(line) - n,
        "flows: %llu (tcp %llu, udp %llu, icmp %llu, other %llu); by app_proto:", (unsigned long long)s->flows_total,
        (unsigned long long)s->flows_tcp, (unsigned long long)s->flows_udp, (unsigned long long)s->flows_icmp,
        (unsigned long long)s->flows_other);
    for (int p = APP_DICOM; p < APP__COUNT && p < 16; p++) {
        detected += s->app_flows[p];
        if (s->app_flows[p] && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %llu,", app_proto_name((enum app_proto)p),
                                  (unsigned long long)s->app_flows[p]);
    }
    if (n < sizeof(line))
        snprintf(line + n, sizeof(line) - n, " failed %llu, none %llu", (unsigned long long)s->app_probe_failed,
                 (unsigned long long)(s->flows_total > detected ? s->flows_total - detected : 0));
    log_info("%s", line);
    n = 0;
    n += (size_t)snprintf(line, sizeof(line), "events: %llu written to %s/%s:", (unsigned long long)s->events_written,
                          e->cfg->engine.logdir, e->cfg->engine.eve_filename);
    for (int t = 0; t < EVENT__COUNT && t < 16; t++)
        if (s->events_by_type[t] && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %llu", event_type_name((enum event_type)t),
                                  (unsigned long long)s->events_by_type[t]);
    log_info("%s", line);
    if (s->anomaly_suppressed_repeat || s->anomaly_suppressed_rate)
        log_info("anomaly events: %llu of %llu anomalies written; not written: %llu repeats, %llu over "
                 "anomaly.rate-limit (all counted in stats.anomaly)",
                 (unsigned long long)s->anomaly_events,
                 (unsigned long long)(s->anomaly_decode + s->anomaly_stream + s->app_anomalies),
                 (unsigned long long)s->anomaly_suppressed_repeat, (unsigned long long)s->anomaly_suppressed_rate);
    if (s->decode_events[0] || s->invalid || s->tcp_reassembly_gaps || s->flows_memcap_hits ||
        s->tcp_stream_memcap_hits || s->frag_memcap_hits || s->app_memcap_hits)
        log_info("anomalies: %llu invalid packets, %llu reassembly gaps; memcap hits: flow %llu, stream %llu, "
                 "defrag %llu, app %llu",
                 (unsigned long long)s->invalid, (unsigned long long)s->tcp_reassembly_gaps,
                 (unsigned long long)s->flows_memcap_hits, (unsigned long long)s->tcp_stream_memcap_hits,
                 (unsigned long long)s->frag_memcap_hits, (unsigned long long)s->app_memcap_hits);
}

/* Absolute form of a directory that exists (a daemon leaves the working directory). */
static int absolute_dir(char *buf, size_t cap, const char *path)
{
    char *r = realpath(path, NULL);
    if (!r || strlen(r) >= cap) {
        log_error("%s: %s", path, r ? "path too long" : strerror(errno));
        free(r);
        return -1;
    }
    snprintf(buf, cap, "%s", r);
    free(r);
    return 0;
}

/* After the drop: every directory written into later must be writable by the run-as user, or the end of the run
 * (assets.json, extracted files, the store) would fail after hours of capture. */
static int check_writable(const char *dir, const struct sandbox_ids *ids)
{
    if (dir && access(dir, W_OK | X_OK) != 0) {
        log_error("%s: not writable by %s (the user medsentry runs as): %s; chown or chmod it", dir,
                  ids->drop ? ids->user : "this user", strerror(errno));
        return -1;
    }
    return 0;
}

/* Before anything is created in it: can the run-as user write into dir?  (Mode bits for its uid, else its gid,
 * else others; the user keeps no supplementary group.  access() after the drop is the final word.) */
static int check_writable_before(const char *dir, const struct sandbox_ids *ids)
{
    struct stat st;
    if (!dir || !ids->drop || stat(dir, &st) != 0)
        return 0;
    mode_t need = st.st_uid == ids->uid   ? S_IWUSR | S_IXUSR
                  : st.st_gid == ids->gid ? S_IWGRP | S_IXGRP
                                          : S_IWOTH | S_IXOTH;
    if ((st.st_mode & need) != need) {
        log_error("%s: not writable by %s (the user medsentry runs as); chown or chmod it", dir, ids->user);
        return -1;
    }
    return 0;
}

/* Open everything, give up privileges, run.  Returns the exit status. */
static int start(struct cli *c, struct config *cfg, const struct sandbox_ids *ids)
{
    char err[1024];
    static char dump_dir[1024], extract_dir[1024];
    if (ids->drop)
        ofile_set_owner(ids->uid, ids->gid);
    if (c->pidfile && service_pidfile_create(c->pidfile, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 1;
    }
    struct source src;
    memset(&src, 0, sizeof(src));
    static struct afp afp; /* capture.method af-packet: one socket per worker (source/afpacket.h) */
    bool use_afp = false;
    struct source_opts so = {.bpf = c->bpf, .snaplen = cfg->capture.snaplen, .promisc = cfg->capture.promisc};
    const char *name = c->read_file ? c->read_file : c->iface;
    if (c->iface && cfg->capture.method == CAPTURE_AF_PACKET) {
        int arc = afp_open(&afp, c->iface, cfg->threading.workers, &cfg->capture, c->bpf, err, sizeof(err));
        if (arc == AFP_BAD_FILTER) { /* the filter's fault, not the capture method's: libpcap would refuse it too */
            log_error("%s", err);
            service_pidfile_remove();
            return 1;
        }
        if (arc == 0) {
            use_afp = true;
            src.live = true;
        } else {
            log_warn("capture.method af-packet: %s; capturing with libpcap instead", err);
        }
    }
    int orc = use_afp        ? 0
              : c->read_file ? source_open_file(&src, c->read_file, &so)
                             : source_open_live(&src, c->iface, &so);
    if (orc < 0) {
        log_error("%s", src.err);
        service_pidfile_remove();
        return 1;
    }
    if (ensure_dir(cfg->engine.logdir, ids) < 0 || (c->dump_dir && ensure_dir(c->dump_dir, ids) < 0) ||
        (c->extract_dir && ensure_dir(c->extract_dir, ids) < 0) || check_writable_before(cfg->engine.logdir, ids) < 0 ||
        check_writable_before(c->dump_dir, ids) < 0 || check_writable_before(c->extract_dir, ids) < 0) {
        source_close(&src);
        afp_close(&afp);
        service_pidfile_remove();
        return 1;
    }
    if (c->daemon) { /* the daemon's working directory is /; its paths must not depend on where it started */
        if (absolute_dir(cfg->engine.logdir, sizeof(cfg->engine.logdir), cfg->engine.logdir) < 0 ||
            (c->dump_dir && absolute_dir(dump_dir, sizeof(dump_dir), c->dump_dir) < 0) ||
            (c->extract_dir &&
             absolute_dir(cfg->files.extract_dir, sizeof(cfg->files.extract_dir) - 80, c->extract_dir) < 0)) {
            source_close(&src);
            afp_close(&afp);
            service_pidfile_remove();
            return 1;
        }
        if (c->dump_dir)
            c->dump_dir = dump_dir;
        if (c->extract_dir) {
            snprintf(extract_dir, sizeof(extract_dir), "%s", cfg->files.extract_dir);
            c->extract_dir = extract_dir;
        }
    }
    int krc = phi_key_load_in(cfg->phi_key, cfg->engine.logdir, cfg->privacy.key_file, true, err, sizeof(err));
    if (krc < 0) { /* never a start that would write PHI under a key other than the one asked for */
        log_error("%s", err);
        source_close(&src);
        afp_close(&afp);
        service_pidfile_remove();
        return krc == PHI_KEY_INVALID ? 2 : 1;
    }
    cfg->phi_key_loaded = true;

    static struct engine e;
    if (engine_init(&e, cfg, c->dump_dir, err, sizeof(err)) < 0) {
        log_error("%s", err);
        engine_free(&e);
        source_close(&src);
        afp_close(&afp);
        service_pidfile_remove();
        return 1;
    }

    store_set_source(e.store, name, src.live);
    if (src.live)
        e.capture_method = use_afp ? "af-packet" : "pcap";

    signal_source = &src;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART; /* a blocking read of the capture goes on */
    sigaction(SIGHUP, &sa, NULL);

    static struct alert_tally alerts;
    event_bus_subscribe(&e.bus, EVENT_MASK(EVENT_ALERT), alert_tally_on_event, &alerts);
    struct progress progress;
    progress_init(&progress, &src, c->verbosity < 0);

    /* Initialisation is over: drop to the run-as user, then no new privileges and the system call filter.  (A
     * daemon leaves its working directory only now: the rules were loaded relative to it.) */
    int rc = 0;
    const struct sandbox_needs needs = {.network = cfg->redis.enabled};
    if (c->daemon && chdir("/") != 0) {
        log_error("--daemon: cannot change to /: %s", strerror(errno));
        rc = 1;
    } else if (sandbox_drop(ids, err, sizeof(err)) < 0 ||
               sandbox_seccomp(cfg->sandbox.seccomp, &needs, err, sizeof(err)) < 0) {
        log_error("%s", err);
        rc = 1;
    } else if (check_writable(cfg->engine.logdir, ids) < 0 || check_writable(c->dump_dir, ids) < 0 ||
               check_writable(c->extract_dir, ids) < 0) {
        rc = 1;
    }
    if (rc == 0) {
        /* The Redis sender thread under the filter (a thread started before it would not be), then the network
         * calls taken from every other thread */
        engine_start_outputs(&e);
        if (sandbox_confine(cfg->sandbox.seccomp, &needs, err, sizeof(err)) < 0) {
            log_error("%s", err);
            rc = 1;
        }
    }
    if (rc == 0) {
        service_report(0);
        sandbox_test_hook();
        e.live = src.live;
        if (c->iface)
            log_info("capturing on %s (%s, %u worker%s)%s%s; Ctrl-C to stop", c->iface, e.capture_method, e.n_workers,
                     e.n_workers == 1 ? "" : "s", ids->drop ? " as " : "", ids->drop ? ids->user : "");
        rc = use_afp ? run_afpacket(&e, &afp) : run(&e, &src, name, &progress);
        progress_end(&progress);
        engine_finish(&e);
        print_summary(&e, name, &alerts);
        if (e.stats.events_dropped) {
            log_error("%llu events could not be written to %s/%s", (unsigned long long)e.stats.events_dropped,
                      cfg->engine.logdir, cfg->engine.eve_filename);
            rc = 1;
        }
    }
    signal_source = NULL;
    engine_free(&e);
    source_close(&src);
    afp_close(&afp);
    service_pidfile_remove();
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && query_is_command(argv[1]))
        return query_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "collect") == 0)
        return collect_main(argc - 1, argv + 1);
    if (argc > 1 && report_is_command(argv[1]))
        return report_main(argc - 1, argv + 1);
    struct cli c;
    memset(&c, 0, sizeof(c));
    if (parse_args(argc, argv, &c) < 0)
        return 2;
    log_set_level(c.verbosity < 0 ? LOG_ERROR : c.verbosity > 0 ? LOG_DEBUG : LOG_INFO);

    if (c.dump_config) { /* the defaults, whatever -c and --set say */
        free(c.bpf);
        if (config_dump(stdout) < 0 || fflush(stdout) != 0) {
            log_error("--dump-config: cannot write the configuration: %s", strerror(errno));
            return 1;
        }
        return 0;
    }

    static struct config cfg;
    char err[1024];
    config_defaults(&cfg);
    if (c.config_file && config_load(&cfg, c.config_file, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 2;
    }
    for (int i = 0; i < c.n_sets; i++) {
        char key[256];
        const char *eq = strchr(c.sets[i], '=');
        if (!eq || eq == c.sets[i] || (size_t)(eq - c.sets[i]) >= sizeof(key)) {
            log_error("--set %s: expected KEY=VALUE", c.sets[i]);
            return 2;
        }
        memcpy(key, c.sets[i], (size_t)(eq - c.sets[i]));
        key[eq - c.sets[i]] = '\0';
        if (config_set(&cfg, key, eq + 1, err, sizeof(err)) < 0) {
            log_error("--set %s", err);
            return 2;
        }
    }
    if (config_validate(&cfg, err, sizeof(err)) < 0) {
        if (c.config_file)
            log_error("%s: %s", c.config_file, err);
        else
            log_error("%s", err);
        return 2;
    }
    if (c.logdir)
        snprintf(cfg.engine.logdir, sizeof(cfg.engine.logdir), "%s", c.logdir);
    if (c.threads) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(c.threads, &end, 10);
        if (errno || end == c.threads || *end || n < 1 || n > ENGINE_MAX_WORKERS) {
            log_error("--threads %s: expected a number of worker threads from 1 to %d", c.threads, ENGINE_MAX_WORKERS);
            return 2;
        }
        cfg.threading.workers = (uint32_t)n;
    }
    if (!cfg.threading.workers) { /* threading.workers 0: one worker thread per online CPU */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.threading.workers = ncpu < 1 ? 1 : ncpu > ENGINE_MAX_WORKERS ? ENGINE_MAX_WORKERS : (uint32_t)ncpu;
    }
    if (c.log_phi)
        cfg.privacy.log_phi = true;
    if (c.extract_dir) {
        if (strlen(c.extract_dir) >= sizeof(cfg.files.extract_dir) - 80) {
            log_error("--extract-files %s: path too long", c.extract_dir);
            return 2;
        }
        snprintf(cfg.files.extract_dir, sizeof(cfg.files.extract_dir), "%s", c.extract_dir);
    }
    /* zones, allowlists and indicator lists: a mistake is a configuration error (exit 2), with -T or without */
    if (cfg.detect.enabled && detect_check(&cfg.detect, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 2;
    }
    /* YARA rule files (files.yara-rules-dir): a rule that does not compile is a configuration error too */
    if (yara_check(&cfg.files, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 2;
    }
    /* -u/-g win over run-as.*; both are looked up now, before anything is opened */
    const char *user = c.user ? c.user : cfg.sandbox.run_as_user, *group = c.group ? c.group : cfg.sandbox.run_as_group;
    struct sandbox_ids ids;
    if (sandbox_lookup(user, group, &ids, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 2;
    }
    if (c.no_seccomp)
        cfg.sandbox.seccomp = false;
    /* outputs.redis reconnects after start-up, under the filter: a host name would be looked up then (files under
     * /etc, a DNS query), which the filter forbids; an address or a Unix socket needs no look-up */
    if (cfg.sandbox.seccomp && cfg.redis.enabled) {
        char host[256];
        int port;
        bool unix_socket;
        unsigned char addr[16];
        if (redis_parse_server(cfg.redis.server, host, sizeof(host), &port, &unix_socket, err, sizeof(err)) == 0 &&
            !unix_socket && inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1) {
            log_error("outputs.redis.server: %s: give an IP address or a Unix socket path: a host name would be "
                      "looked up at each reconnect, which the seccomp filter forbids (docs/HARDENING.md)",
                      cfg.redis.server);
            return 2;
        }
    }
    if (c.test_config) {
        /* the PHI key too, if there is one (-T creates nothing) */
        int krc = phi_key_load_in(cfg.phi_key, cfg.engine.logdir, cfg.privacy.key_file, false, err, sizeof(err));
        if (krc < 0 && krc != PHI_KEY_ABSENT) {
            log_error("%s", err);
            return krc == PHI_KEY_INVALID ? 2 : 1;
        }
        printf("medsentry: configuration %s is valid\n", c.config_file ? c.config_file : "(defaults)");
        return 0;
    }
    if (c.daemon && cfg.engine.eve_enabled && strcmp(cfg.engine.eve_filename, "-") == 0) {
        log_error("--daemon: outputs.eve.filename is '-' (standard output), which a daemon does not have");
        return 2;
    }
    if (c.daemon && service_daemonize(err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 1;
    }
    int rc = start(&c, &cfg, &ids);
    service_report(rc < 0 ? 1 : rc);
    free(c.bpf);
    return rc;
}
