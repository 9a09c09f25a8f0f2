/*
 * files.h - the file tracker: files carried by SMB and HTTP (later DICOM) with
 * SHA-256, size, first bytes and a magic type, emitted as `fileinfo` events.
 *
 * A producer opens a track for one file and one direction, feeds it data with
 * the file offset each chunk belongs at, and closes it.  Bytes are hashed in
 * offset order.  A chunk that starts past the next expected offset (pipelined
 * SMB2 READ replies answer out of order) is held, as Suricata's file tracker
 * does: a sorted list of non-overlapping held chunks (the bytes seen first
 * win), bounded per file (files.max-ooo-bytes, FILES_MAX_OOO_CHUNKS) and by
 * files.memcap, and hashed as soon as the bytes before it arrive.  Only when
 * a chunk cannot be held, when the producer reports a gap, or when the track
 * closes with a hole is the file "gapped" (its hash is then not reported).
 * A chunk that repeats bytes already seen is trimmed (retransmitted writes).  Memory: each
 * open track is charged to the tracker's memcap and the number of open tracks
 * is capped, so a flood of opens degrades (untracked files, counted) instead
 * of growing.  Hashing can be capped per file (files.max-hash-bytes).
 *
 * Extraction (--extract-files DIR): the contiguous bytes of a track are
 * written to a temporary file in DIR as they arrive; when the track closes
 * complete (no gap, hash not capped, as long as the producer said the file
 * is, at most files.extract-max-size bytes) it becomes DIR/<sha256>, unless
 * a file of that name exists already (it is never rewritten); otherwise the
 * temporary file is removed.  Nothing is buffered in memory for it.
 *
 * Content scanning (libyara, src/files/yara_scan.c): when a scanner is set
 * (files_set_scanner), each track also keeps a copy of its bytes while the
 * file is complete so far (no gap, nothing held out of order is missing) and
 * at most files.yara-max-size long, in a buffer that grows by doubling and is
 * charged to files.memcap.  Past the size, on a memcap refusal or on a gap the
 * copy is dropped and the scan skipped (counted by reason).  At close a
 * complete file is scanned once and its matches ride in the fileinfo event.
 * The PE header (the 6 bytes at e_lfanew, wherever in the file) is picked up
 * as the bytes stream past, so the magic type and the polyglot detector know a
 * real PE from an "MZ" without scanning.
 */
#ifndef MEDSENTRY_FILES_FILES_H
#define MEDSENTRY_FILES_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"

struct app_ctx;

#define FILES_HEAD_MAX       264 /* first bytes kept: DICM at 128 + PE header pointer needs more */
#define FILES_NAME_MAX       512
#define FILES_MAX_OOO_CHUNKS 1024         /* held chunks per file */
#define FILES_OOO_BLOCK      (16u * 1024) /* a held chunk's least capacity: later contiguous bytes fill it */

struct files_cfg {
    uint64_t memcap;           /* bytes of open-track state, all flows of the worker */
    uint32_t max_open;         /* open tracks at once */
    uint64_t max_hash_bytes;   /* per file; 0 = unlimited */
    uint64_t max_ooo_bytes;    /* files.max-ooo-bytes: bytes held out of order per file; 0 = none held */
    uint64_t extract_max_size; /* files.extract-max-size: larger files are not extracted */
    char extract_dir[512];     /* --extract-files DIR; empty = no extraction */
    char yara_rules_dir[512];  /* files.yara-rules-dir: *.yar compiled at start; "auto" = rules/yara; "" = none */
    uint64_t yara_max_size;    /* files.yara-max-size: larger files are not scanned */
    uint32_t yara_timeout;     /* files.yara-timeout: seconds per scan */
};

struct stats;

struct yara_scanner;

struct file_tracker {
    struct files_cfg cfg;
    struct memcap mc;
    uint32_t open;
    struct stats *stats;  /* files_* counters; NULL = not counted */
    uint64_t extract_seq; /* names the temporary files of extraction */

    /* content scanning: NULL = none (files_set_scanner) */
    const struct yara_scanner *scanner;
};

enum file_state { FILE_STATE_OPEN = 0, FILE_STATE_CLOSED, FILE_STATE_TRUNCATED, FILE_STATE_GAPPED };

struct file_track;

enum files_pe_sig {
    FILES_PE_NONE = 0, /* not "MZ", or the file ended before e_lfanew + 6 */
    FILES_PE_VALID,    /* "PE\0\0" at e_lfanew */
    FILES_PE_INVALID,  /* something else there */
};

enum files_scan_state {
    FILES_SCAN_OFF = 0,         /* no scanner, or an empty file */
    FILES_SCAN_DONE,            /* scanned (n_yara matches) */
    FILES_SCAN_SKIPPED_SIZE,    /* longer than files.yara-max-size */
    FILES_SCAN_SKIPPED_MEMCAP,  /* files.memcap refused the copy */
    FILES_SCAN_SKIPPED_PARTIAL, /* gapped or partial: the bytes are not the file */
    FILES_SCAN_ERROR,           /* libyara failed (memory, too many matches) */
    FILES_SCAN_TIMEOUT,         /* files.yara-timeout reached */
};
const char *files_scan_state_name(enum files_scan_state s);

/* One YARA rule that matched, copied out of libyara (bounded). */
#define FILES_YARA_MAX_MATCHES 8
struct files_yara_match {
    char rule[64];    /* identifier */
    char tags[96];    /* space separated */
    char meta[256];   /* "key=value; ..." (string, integer and boolean metas) */
    uint32_t sid;     /* meta medsentry_sid: the signature this rule implements; 0 = the generic YARA one */
    uint8_t severity; /* meta severity 1..3; 0 = not given */
};

/* EVENT_FILEINFO body. */
struct fileinfo_event {
    const char *filename;
    const char *share;   /* SMB share path, or NULL */
    const char *source;  /* "smb", "http", ... */
    int direction;       /* 0 written to server, 1 read from server */
    uint64_t size;       /* contiguous bytes seen from offset 0 */
    uint64_t max_offset; /* highest byte offset + 1 seen, gaps included */
    bool has_sha256;
    char sha256[65];
    const uint8_t *head; /* first bytes */
    size_t head_len;
    const char *magic; /* "PE32 executable (x86-64)", "DICOM Part 10", ... */
    enum file_state state;
    bool gaps;
    uint32_t chunks;
    bool stored; /* extracted to DIR/<sha256> (now or by an earlier copy) */
    /* PE header: the bytes at e_lfanew, when the file starts "MZ" and reaches that far */
    enum files_pe_sig pe_sig;
    uint16_t pe_machine;
    /* content scan (libyara): what happened, and the rules that matched */
    enum files_scan_state scan;
    uint8_t n_yara;
    const struct files_yara_match *yara;
};

/* files.*: the key table (defaults, ranges, comments) is in files.c. */
extern const struct config_module files_config_module;
void files_cfg_defaults(struct files_cfg *c);
int files_init(struct file_tracker *t, const struct files_cfg *cfg);
void files_free(struct file_tracker *t);
/* Heap-allocated tracker (engine set-up; cfg NULL = defaults) counting into stats; NULL on failure. */
struct file_tracker *files_tracker_new(const struct files_cfg *cfg, struct stats *stats);
void files_tracker_delete(struct file_tracker *t);

/* NULL if the tracker is full (counted). */
struct file_track *files_open(struct file_tracker *t, const char *source, const char *name, const char *share,
                              int direction);
void files_data(struct file_tracker *t, struct file_track *f, uint64_t off, const uint8_t *p, size_t n);
void files_gap(struct file_tracker *t, struct file_track *f);
/* The file's full size, when the producer knows it (an SMB read of a file whose size the CREATE gave):
 * a track closed with fewer contiguous bytes is partial and not extracted. */
void files_set_size(struct file_track *f, uint64_t size);
/* Emits the fileinfo event through ctx (if ctx is not NULL) and frees the track. */
void files_close(struct file_tracker *t, struct file_track *f, struct app_ctx *ctx);

/* Content scanning: every complete file up to files.yara-max-size is scanned with s at close (NULL = none). */
void files_set_scanner(struct file_tracker *t, const struct yara_scanner *s);

/* Magic type of a file from its first bytes (always a static string; "data" if nothing matched). */
const char *files_magic(const uint8_t *p, size_t n);

#endif
