/*
 * files.c - the file tracker: SHA-256 (OpenSSL EVP), size, first bytes, magic
 * type and completeness of files carried by application protocols.
 */
#include "files/files.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/bytes.h"
#include "core/ofile.h"
#include "core/stats.h"
#include "files/yara_scan.h"

/* what an open track costs against the memcap: the struct plus the digest context */
#define FILE_TRACK_COST (sizeof(struct file_track) + 512)

/* Bytes [off, off + len) held until the bytes before them arrive; cap bytes allocated after the struct. */
struct files_chunk {
    struct files_chunk *next;
    uint64_t off;
    uint32_t len, cap;
    uint8_t data[];
};
#define FILES_CHUNK_COST(cap) (sizeof(struct files_chunk) + (cap))

struct file_track {
    EVP_MD_CTX *md;
    uint64_t next; /* next contiguous offset to hash */
    uint64_t max_off;
    uint32_t chunks;
    bool gaps;
    bool hash_capped;
    FILE *xf;      /* extraction: the temporary file, while the bytes are still wanted */
    bool x_failed; /* extraction given up for this track (gap, size cap, write error) */
    uint64_t x_seq;
    uint64_t expected_size; /* 0 = unknown */
    /* held out-of-order chunks, sorted by offset, not overlapping each other, all past next */
    struct files_chunk *held, *held_tail;
    uint64_t held_bytes; /* their capacity, charged to the memcap */
    uint32_t held_count;
    int direction;
    const char *source;
    uint8_t head[FILES_HEAD_MAX];
    size_t head_len;
    char name[FILES_NAME_MAX];
    char share[256];
    /* PE header: the 6 bytes at e_lfanew ("PE\0\0" + machine), collected as the bytes pass */
    uint64_t pe_off; /* 0 = not an MZ file, or e_lfanew not known yet */
    uint8_t pe_hdr[6];
    uint8_t pe_got;
    /* content scan: the file's bytes while it is complete so far and small enough */
    uint8_t *sbuf;
    size_t slen, scap;               /* scap charged to the memcap */
    enum files_scan_state scan_skip; /* FILES_SCAN_OFF while the copy is kept */
};

#define T struct files_cfg
static const struct config_key files_keys[] = {
    CONFIG_KEY_SECTION("files", "File tracker (files carried by SMB and HTTP): SHA-256, size, magic type, fileinfo "
                                "events."),
    CONFIG_KEY_SIZE(T, memcap, "files.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "16mb",
                    "Memory of open tracks, all flows; a file that does not fit is not tracked "
                    "(stats.files.refused)."),
    CONFIG_KEY_U32(T, max_open, "files.max-open", 1, 1u << 24, "4096",
                   "Tracks open at once (one per file and "
                   "direction)."),
    CONFIG_KEY_SIZE(T, max_hash_bytes, "files.max-hash-bytes", 0, 1ULL << 62, "0",
                    "Bytes hashed per file; a longer file is reported without sha256 (state TRUNCATED). 0 = no "
                    "limit."),
    CONFIG_KEY_SIZE(T, max_ooo_bytes, "files.max-ooo-bytes", 0, 1 * CONFIG_GB, "4mb",
                    "Bytes per file held while they wait for the bytes before them (pipelined SMB2 READ replies "
                    "arrive out of\norder); beyond this, or when files.memcap is full, the file is reported gapped "
                    "(stats.files.ooo_refused)."),
    CONFIG_KEY_SIZE(T, extract_max_size, "files.extract-max-size", 1, 64 * CONFIG_GB, "64mb",
                    "With --extract-files DIR: complete files up to this size are written as DIR/<sha256>."),
    CONFIG_KEY_STR(T, yara_rules_dir, "files.yara-rules-dir", "auto",
                   "YARA rules (*.yar) compiled at start; \"auto\" = the yara/ directory beside the indicator lists\n"
                   "(detect.rules-dir auto: rules/yara of the source tree or the installation); \"\" = no content "
                   "scanning.\nA rule that does not compile is an error naming file and line (exit 2; -T checks "
                   "it)."),
    /* with the doubling copy, the default fits the default files.memcap (16 MiB) */
    CONFIG_KEY_SIZE(T, yara_max_size, "files.yara-max-size", 1 * CONFIG_KB, 1 * CONFIG_GB, "8mb",
                    "Complete files up to this size are scanned once when they close; the tracker keeps a copy of a "
                    "file's\nbytes for it while the file is complete so far, charged to files.memcap (larger files, "
                    "memcap refusals\nand gapped files are not scanned: stats.files.yara.skipped_*).  The copy grows "
                    "by doubling, so a file\nneeds up to twice its size while it is open: raise files.memcap with "
                    "this."),
    CONFIG_KEY_U32(T, yara_timeout, "files.yara-timeout", 1, 3600, "2",
                   "Seconds one scan may take (stats.files.yara.timeouts)."),
};
#undef T

const struct config_module files_config_module = {
    .name = "files",
    .keys = files_keys,
    .n = sizeof(files_keys) / sizeof(files_keys[0]),
    .struct_size = sizeof(struct files_cfg),
};

/* extract_dir is no key (--extract-files): left empty */
void files_cfg_defaults(struct files_cfg *c)
{
    config_module_set_defaults(&files_config_module, c);
}

void files_set_scanner(struct file_tracker *t, const struct yara_scanner *s)
{
    t->scanner = s;
}

const char *files_scan_state_name(enum files_scan_state s)
{
    switch (s) {
    case FILES_SCAN_OFF: return "off";
    case FILES_SCAN_DONE: return "scanned";
    case FILES_SCAN_SKIPPED_SIZE: return "skipped_size";
    case FILES_SCAN_SKIPPED_MEMCAP: return "skipped_memcap";
    case FILES_SCAN_SKIPPED_PARTIAL: return "skipped_partial";
    case FILES_SCAN_ERROR: return "error";
    case FILES_SCAN_TIMEOUT: return "timeout";
    }
    return "unknown";
}

int files_init(struct file_tracker *t, const struct files_cfg *cfg)
{
    memset(t, 0, sizeof(*t));
    if (cfg)
        t->cfg = *cfg;
    else
        files_cfg_defaults(&t->cfg);
    memcap_init(&t->mc, "files", t->cfg.memcap);
    return 0;
}

void files_free(struct file_tracker *t)
{
    (void)t; /* tracks are owned by their producers and closed by them */
}

struct file_tracker *files_tracker_new(const struct files_cfg *cfg, struct stats *stats)
{
    struct file_tracker *t = malloc(sizeof(*t));
    if (t) {
        files_init(t, cfg);
        t->stats = stats;
    }
    return t;
}

void files_tracker_delete(struct file_tracker *t)
{
    if (!t)
        return;
    files_free(t);
    free(t);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t l = src ? strlen(src) : 0;
    if (l >= cap)
        l = cap - 1;
    if (l)
        memcpy(dst, src, l);
    dst[l] = '\0';
}

struct file_track *files_open(struct file_tracker *t, const char *source, const char *name, const char *share,
                              int direction)
{
    if (t->open >= t->cfg.max_open || !memcap_reserve(&t->mc, FILE_TRACK_COST)) {
        if (t->stats)
            t->stats->files_refused++;
        return NULL;
    }
    struct file_track *f = calloc(1, sizeof(*f));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!f || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        free(f);
        EVP_MD_CTX_free(md);
        memcap_release(&t->mc, FILE_TRACK_COST);
        if (t->stats)
            t->stats->files_refused++;
        return NULL;
    }
    f->md = md;
    f->direction = direction;
    f->source = source;
    copy_str(f->name, sizeof(f->name), name);
    copy_str(f->share, sizeof(f->share), share);
    t->open++;
    if (t->stats)
        t->stats->files_opened++;
    return f;
}

/* DIR/.partial-<pid>-<seq>: where a track's bytes go until it is known complete. */
static int x_tmp_path(const struct file_tracker *t, const struct file_track *f, char *out, size_t cap)
{
    int k =
        snprintf(out, cap, "%s/.partial-%ld-%llu", t->cfg.extract_dir, (long)getpid(), (unsigned long long)f->x_seq);
    return k > 0 && (size_t)k < cap ? 0 : -1;
}

static void x_abort(struct file_tracker *t, struct file_track *f)
{
    f->x_failed = true;
    if (!f->xf)
        return;
    fclose(f->xf);
    f->xf = NULL;
    char tmp[600];
    if (x_tmp_path(t, f, tmp, sizeof(tmp)) == 0)
        unlink(tmp);
}

/* The contiguous bytes [f->next, f->next + n) for extraction. */
static void x_write(struct file_tracker *t, struct file_track *f, const uint8_t *p, size_t n)
{
    if (f->x_failed || !t->cfg.extract_dir[0])
        return;
    if (f->next + n > t->cfg.extract_max_size) {
        x_abort(t, f);
        return;
    }
    if (!f->xf) {
        if (f->next != 0) {
            f->x_failed = true;
            return;
        }
        char tmp[600], e[700];
        f->x_seq = ++t->extract_seq;
        /* a new file (O_EXCL, never through a link: core/ofile.h); DIR is the operator's, but may be shared */
        if (x_tmp_path(t, f, tmp, sizeof(tmp)) < 0 || !(f->xf = ofile_fcreate(tmp, OFILE_MODE, e, sizeof(e)))) {
            f->x_failed = true;
            return;
        }
    }
    if (fwrite(p, 1, n, f->xf) != n)
        x_abort(t, f);
}

/* At close, complete and hashed: DIR/<sha256>, never over an existing file of that name. */
static bool x_finish(struct file_tracker *t, struct file_track *f, const char *sha256)
{
    char tmp[600], dst[600];
    if (!f->xf)
        return false;
    bool ok = fclose(f->xf) == 0;
    f->xf = NULL;
    if (x_tmp_path(t, f, tmp, sizeof(tmp)) < 0)
        return false;
    int k = snprintf(dst, sizeof(dst), "%s/%s", t->cfg.extract_dir, sha256);
    bool stored = false;
    if (ok && k > 0 && (size_t)k < sizeof(dst)) {
        /* link() refuses to replace dst; where the file system has no hard links, rename if absent */
        if (link(tmp, dst) == 0 || errno == EEXIST)
            stored = true;
        else if (access(dst, F_OK) == 0)
            stored = true;
        else if (rename(tmp, dst) == 0)
            return true;
    }
    unlink(tmp);
    return stored;
}

void files_set_size(struct file_track *f, uint64_t size)
{
    if (f)
        f->expected_size = size;
}

/* The scan copy is given up (reason counted at close): its memory goes back at once. */
static void scan_drop(struct file_tracker *t, struct file_track *f, enum files_scan_state why)
{
    if (f->sbuf) {
        free(f->sbuf);
        memcap_release(&t->mc, f->scap);
    }
    f->sbuf = NULL;
    f->slen = f->scap = 0;
    if (f->scan_skip == FILES_SCAN_OFF)
        f->scan_skip = why;
}

/* The bytes [f->next, f->next + n) into the scan copy, growing it by doubling up to files.yara-max-size. */
static void scan_keep(struct file_tracker *t, struct file_track *f, const uint8_t *p, size_t n)
{
    if (!t->scanner || f->scan_skip != FILES_SCAN_OFF)
        return;
    if (f->slen != f->next || n > t->cfg.yara_max_size - f->slen) { /* slen <= max: no overflow */
        scan_drop(t, f, f->slen != f->next ? FILES_SCAN_SKIPPED_PARTIAL : FILES_SCAN_SKIPPED_SIZE);
        return;
    }
    size_t need = f->slen + n;
    if (need > f->scap) {
        size_t cap = f->scap ? f->scap : 64 * 1024;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > t->cfg.yara_max_size)
            cap = (size_t)t->cfg.yara_max_size;
        uint8_t *nb = NULL;
        if (!memcap_reserve(&t->mc, cap - f->scap)) {
            scan_drop(t, f, FILES_SCAN_SKIPPED_MEMCAP);
            return;
        }
        if (!(nb = realloc(f->sbuf, cap))) {
            memcap_release(&t->mc, cap - f->scap);
            scan_drop(t, f, FILES_SCAN_SKIPPED_MEMCAP);
            return;
        }
        f->sbuf = nb;
        f->scap = cap;
    }
    memcpy(f->sbuf + f->slen, p, n);
    f->slen = need;
}

/* The PE header wherever e_lfanew puts it: the part of [pe_off, pe_off + 6) inside [f->next, f->next + n). */
static void pe_collect(struct file_track *f, const uint8_t *p, size_t n)
{
    if (!f->pe_off && f->head_len >= 0x40 && f->head[0] == 'M' && f->head[1] == 'Z') {
        f->pe_off = rd_le32(f->head + 0x3c);
        if (f->pe_off < 0x40) /* inside the DOS header itself: no PE header */
            f->pe_off = UINT64_MAX;
    }
    if (!f->pe_off || f->pe_off == UINT64_MAX || f->pe_got == sizeof(f->pe_hdr))
        return;
    uint64_t want = f->pe_off + f->pe_got; /* the next header byte, never before f->next (bytes come in order) */
    if (want < f->next || want >= f->next + n)
        return;
    size_t k = (size_t)(f->next + n - want);
    if (k > sizeof(f->pe_hdr) - f->pe_got)
        k = sizeof(f->pe_hdr) - f->pe_got;
    memcpy(f->pe_hdr + f->pe_got, p + (want - f->next), k);
    f->pe_got = (uint8_t)(f->pe_got + k);
}

/* The bytes [f->next, f->next + n): first bytes, hash, extraction. */
static void files_take(struct file_tracker *t, struct file_track *f, const uint8_t *p, size_t n)
{
    if (f->head_len < FILES_HEAD_MAX && f->next == f->head_len) {
        size_t k = FILES_HEAD_MAX - f->head_len < n ? FILES_HEAD_MAX - f->head_len : n;
        memcpy(f->head + f->head_len, p, k);
        f->head_len += k;
    }
    pe_collect(f, p, n);
    scan_keep(t, f, p, n);
    if (!f->gaps && !f->hash_capped) {
        size_t h = n;
        if (t->cfg.max_hash_bytes && f->next + n > t->cfg.max_hash_bytes) {
            h = f->next >= t->cfg.max_hash_bytes ? 0 : (size_t)(t->cfg.max_hash_bytes - f->next);
            f->hash_capped = true;
        }
        if (h) {
            EVP_DigestUpdate(f->md, p, h);
            if (t->stats)
                t->stats->files_bytes_hashed += h;
        }
    }
    if (!f->gaps)
        x_write(t, f, p, n);
    f->next += n;
}

static void files_held_free(struct file_tracker *t, struct file_track *f)
{
    while (f->held) {
        struct files_chunk *c = f->held;
        f->held = c->next;
        memcap_release(&t->mc, FILES_CHUNK_COST(c->cap));
        free(c);
    }
    f->held_tail = NULL;
    f->held_bytes = 0;
    f->held_count = 0;
}

/* Held chunks that the contiguous bytes have reached: their bytes past f->next are taken. */
static void files_drain(struct file_tracker *t, struct file_track *f)
{
    while (f->held && f->held->off <= f->next) {
        struct files_chunk *c = f->held;
        if (c->off + c->len > f->next) {
            size_t skip = (size_t)(f->next - c->off);
            files_take(t, f, c->data + skip, c->len - skip);
        }
        f->held = c->next;
        if (f->held_tail == c)
            f->held_tail = NULL;
        f->held_bytes -= c->cap;
        f->held_count--;
        memcap_release(&t->mc, FILES_CHUNK_COST(c->cap));
        free(c);
    }
}

/* A new held chunk with [off, off + n) in it, linked at *pp; false if a limit says no. */
static bool files_hold_piece(struct file_tracker *t, struct file_track *f, struct files_chunk **pp, uint64_t off,
                             const uint8_t *p, size_t n)
{
    size_t cap = n < FILES_OOO_BLOCK ? FILES_OOO_BLOCK : n;
    if (f->held_bytes + cap > t->cfg.max_ooo_bytes)
        cap = n; /* no room to spare for later bytes: exactly this piece */
    if (n > UINT32_MAX || f->held_count >= FILES_MAX_OOO_CHUNKS || f->held_bytes + cap > t->cfg.max_ooo_bytes)
        return false;
    if (!memcap_reserve(&t->mc, FILES_CHUNK_COST(cap))) {
        if (cap == n || !memcap_reserve(&t->mc, FILES_CHUNK_COST(n)))
            return false;
        cap = n; /* memory is short: no spare room */
    }
    struct files_chunk *c = malloc(FILES_CHUNK_COST(cap));
    if (!c) {
        memcap_release(&t->mc, FILES_CHUNK_COST(cap));
        return false;
    }
    c->off = off;
    c->len = (uint32_t)n;
    c->cap = (uint32_t)cap;
    memcpy(c->data, p, n);
    c->next = *pp;
    *pp = c;
    if (!c->next)
        f->held_tail = c;
    f->held_bytes += cap;
    f->held_count++;
    return true;
}

/* The producer's gap, or a chunk that could not be held: the hash can no longer be the file's. */
static void files_mark_gapped(struct file_tracker *t, struct file_track *f)
{
    f->gaps = true;
    files_held_free(t, f);
    scan_drop(t, f, FILES_SCAN_SKIPPED_PARTIAL);
    if (!f->x_failed)
        x_abort(t, f);
}

/* Bytes [off, off + n), all past f->next: held, the bytes already held winning where they overlap. */
static void files_hold(struct file_tracker *t, struct file_track *f, uint64_t off, const uint8_t *p, size_t n)
{
    struct files_chunk *tail = f->held_tail;
    if (t->stats)
        t->stats->files_ooo_chunks++;
    /* the usual case, a streamed reply segment after segment: the bytes right after the last held ones */
    if (tail && off == tail->off + tail->len && n <= tail->cap - tail->len) {
        memcpy(tail->data + tail->len, p, n);
        tail->len += (uint32_t)n;
        return;
    }
    struct files_chunk **pp = &f->held;
    if (tail && off >= tail->off + tail->len)
        pp = &tail->next; /* past everything held: no walk */
    uint64_t pos = off, end = off + n;
    while (pos < end) {
        while (*pp && (*pp)->off + (*pp)->len <= pos)
            pp = &(*pp)->next;
        struct files_chunk *h = *pp;
        if (h && h->off <= pos) {
            pos = h->off + h->len; /* already held: first bytes win */
            continue;
        }
        uint64_t stop = h && h->off < end ? h->off : end;
        if (!files_hold_piece(t, f, pp, pos, p + (pos - off), (size_t)(stop - pos))) {
            if (t->stats)
                t->stats->files_ooo_refused++;
            files_mark_gapped(t, f);
            return;
        }
        pp = &(*pp)->next;
        pos = stop;
    }
}

void files_data(struct file_tracker *t, struct file_track *f, uint64_t off, const uint8_t *p, size_t n)
{
    if (!f || n == 0)
        return;
    f->chunks++;
    if (off > UINT64_MAX - n) {
        files_mark_gapped(t, f); /* an offset no file reaches */
        return;
    }
    if (off + n > f->max_off)
        f->max_off = off + n;
    if (off > f->next) {
        if (!f->gaps)
            files_hold(t, f, off, p, n);
        return;
    }
    /* in order: up to the first held chunk, then the held chunks reached, then what is left past them */
    while (off + n > f->next) {
        size_t skip = (size_t)(f->next - off); /* all seen already (retransmitted write) */
        p += skip;
        n -= skip;
        off = f->next;
        size_t k = n;
        if (f->held && f->held->off < off + n)
            k = (size_t)(f->held->off - off);
        files_take(t, f, p, k);
        files_drain(t, f);
    }
}

void files_gap(struct file_tracker *t, struct file_track *f)
{
    if (!f)
        return;
    files_mark_gapped(t, f);
}

static const char *pe_machine(uint16_t m);

/* At close: the scan of a complete file (its copy), or why there was none; counted in stats.files.yara. */
static void files_scan(struct file_tracker *t, struct file_track *f, bool complete, struct fileinfo_event *ev,
                       struct files_yara_match *matches)
{
    if (!t->scanner)
        return;
    if (f->scan_skip == FILES_SCAN_OFF && !complete)
        scan_drop(t, f, FILES_SCAN_SKIPPED_PARTIAL);
    ev->scan = f->scan_skip;
    if (ev->scan == FILES_SCAN_OFF && f->slen) {
        ev->scan = yara_scan(t->scanner, f->sbuf, f->slen, matches, FILES_YARA_MAX_MATCHES, &ev->n_yara);
        ev->yara = matches;
    }
    if (!t->stats)
        return;
    switch (ev->scan) {
    case FILES_SCAN_OFF: break;
    case FILES_SCAN_DONE: t->stats->files_yara_scanned++; break;
    case FILES_SCAN_SKIPPED_SIZE: t->stats->files_yara_skipped_size++; break;
    case FILES_SCAN_SKIPPED_MEMCAP: t->stats->files_yara_skipped_memcap++; break;
    case FILES_SCAN_SKIPPED_PARTIAL: t->stats->files_yara_skipped_partial++; break;
    case FILES_SCAN_ERROR: t->stats->files_yara_errors++; break;
    case FILES_SCAN_TIMEOUT: t->stats->files_yara_timeouts++; break;
    }
    t->stats->files_yara_matches += ev->n_yara;
}

void files_close(struct file_tracker *t, struct file_track *f, struct app_ctx *ctx)
{
    if (!f)
        return;
    if (f->held)
        files_mark_gapped(t, f); /* bytes held that the bytes before them never joined: a hole */
    struct fileinfo_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.filename = f->name;
    ev.share = f->share[0] ? f->share : NULL;
    ev.source = f->source;
    ev.direction = f->direction;
    ev.size = f->next;
    ev.max_offset = f->max_off;
    ev.head = f->head;
    ev.head_len = f->head_len;
    ev.magic = files_magic(f->head, f->head_len);
    ev.gaps = f->gaps;
    ev.chunks = f->chunks;
    ev.state = f->gaps ? FILE_STATE_GAPPED : f->hash_capped ? FILE_STATE_TRUNCATED : FILE_STATE_CLOSED;
    uint8_t dig[32];
    unsigned int dl = 0;
    if (!f->gaps && !f->hash_capped && EVP_DigestFinal_ex(f->md, dig, &dl) == 1 && dl == 32) {
        static const char hexd[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
            ev.sha256[2 * i] = hexd[dig[i] >> 4];
            ev.sha256[2 * i + 1] = hexd[dig[i] & 15];
        }
        ev.sha256[64] = '\0';
        ev.has_sha256 = true;
    }
    /* partial: the producer knew the size and fewer bytes came (a file read only in part) */
    bool complete = ev.has_sha256 && !(f->expected_size && f->next < f->expected_size);
    if (complete && f->xf) {
        ev.stored = x_finish(t, f, ev.sha256);
        if (ev.stored && t->stats)
            t->stats->files_extracted++;
    } else if (f->xf) {
        x_abort(t, f);
    }
    if (f->pe_got == sizeof(f->pe_hdr)) {
        ev.pe_sig = memcmp(f->pe_hdr, "PE\0\0", 4) == 0 ? FILES_PE_VALID : FILES_PE_INVALID;
        ev.pe_machine = rd_le16(f->pe_hdr + 4);
        /* e_lfanew past the first bytes: the head alone could only say "MZ" */
        if (ev.pe_sig == FILES_PE_VALID && strcmp(ev.magic, "MS-DOS executable (MZ)") == 0)
            ev.magic = pe_machine(ev.pe_machine);
    }
    struct files_yara_match matches[FILES_YARA_MAX_MATCHES];
    files_scan(t, f, !f->gaps && !(f->expected_size && f->next < f->expected_size), &ev, matches);
    if (ctx)
        app_emit(ctx, EVENT_FILEINFO, f->direction ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER, &ev);
    scan_drop(t, f, FILES_SCAN_OFF);
    EVP_MD_CTX_free(f->md);
    free(f);
    memcap_release(&t->mc, FILE_TRACK_COST);
    t->open--;
    if (t->stats)
        t->stats->files_closed++;
}

static const char *pe_machine(uint16_t m)
{
    switch (m) {
    case 0x014c: return "PE32 executable (x86)";
    case 0x8664: return "PE32+ executable (x86-64)";
    case 0xaa64: return "PE32+ executable (ARM64)";
    case 0x01c4: return "PE32 executable (ARMv7)";
    default: return "PE executable (other machine)";
    }
}

const char *files_magic(const uint8_t *p, size_t n)
{
    bool dicm = n >= 132 && memcmp(p + 128, "DICM", 4) == 0;
    if (n >= 2 && p[0] == 'M' && p[1] == 'Z') {
        /* e_lfanew at 0x3c points at "PE\0\0" then the machine field */
        if (n >= 0x40) {
            uint32_t pe = rd_le32(p + 0x3c);
            if (pe <= n - 6 && memcmp(p + pe, "PE\0\0", 4) == 0)
                return dicm ? "PE/DICOM polyglot" : pe_machine(rd_le16(p + pe + 4));
        }
        return dicm ? "PE/DICOM polyglot" : "MS-DOS executable (MZ)";
    }
    if (n >= 4 && memcmp(p,
                         "\x7f"
                         "ELF",
                         4) == 0)
        return dicm ? "ELF/DICOM polyglot" : "ELF executable";
    if (dicm)
        return "DICOM Part 10";
    if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
        return "ZIP archive";
    if (n >= 4 && memcmp(p, "%PDF", 4) == 0)
        return "PDF document";
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "PNG image";
    if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
        return "JPEG image";
    if (n >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
        return "OLE2 compound document";
    if (n >= 2 && p[0] == '#' && p[1] == '!')
        return "script (#!)";
    return "data";
}
