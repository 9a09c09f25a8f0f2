/*
 * resync.h - finding the next message header after a gap, for stream parsers.
 *
 * After a gap that swallowed a message boundary, a parser no longer knows where
 * its next header starts.  It hands every following byte to app_resync_scan()
 * with a check function that says, for a candidate position, whether a header
 * that the parser would accept starts there:
 *
 *   APP_RESYNC_YES   a consistent header (and, where the bytes were available,
 *                    the next header at the announced length)
 *   APP_RESYNC_NO    not a header here: the byte is skipped
 *   APP_RESYNC_MORE  cannot tell yet; only allowed while fewer than
 *                    APP_RESYNC_WINDOW bytes are available from the candidate
 *
 * The scan works in place over each chunk.  Only the bytes from the first
 * undecided candidate to the end of a chunk (fewer than APP_RESYNC_WINDOW) are
 * carried to the next one, so memory stays fixed whatever the gap and the
 * garbage after it.  The parser walks each chunk through a struct
 * app_resync_input: when a header is found inside the carried bytes, the input
 * hands those bytes back first (replayed) and the rest of the chunk after them,
 * so the parser only resets its own framing.
 *
 * Every byte passed over is counted (stats.app_layer.gap_skipped_bytes); after
 * `limit` skipped bytes the scan gives up and the parser stops on that
 * direction.  The parser reports the outcome with app_resync_report(): one
 * anomaly per resynchronisation, `gap_resync` (found, with the bytes skipped)
 * or `gap_resync_failed`.
 */
#ifndef MEDSENTRY_APP_RESYNC_H
#define MEDSENTRY_APP_RESYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

/* Bytes a check may need before it must decide: an NBSS + SMB2 header is 68. */
#define APP_RESYNC_WINDOW 72

enum app_resync_verdict { APP_RESYNC_NO = 0, APP_RESYNC_YES, APP_RESYNC_MORE };

/* Is there a header at p[0]?  avail (>= 1) bytes are readable from p. */
typedef enum app_resync_verdict (*app_resync_check_fn)(const void *arg, const uint8_t *p, size_t avail);

struct app_resync {
    bool active;
    uint8_t carry_len;
    uint8_t carry[APP_RESYNC_WINDOW];
    uint64_t skipped;   /* bytes passed over in this resynchronisation */
    uint64_t gap_bytes; /* bytes the gap(s) that started it announced */
    uint32_t gaps;      /* gaps that arrived while searching (one report covers them) */
    uint64_t limit;     /* give up after this many skipped bytes */
};

enum app_resync_result {
    APP_RESYNC_SEARCHING, /* every byte used, nothing found yet */
    APP_RESYNC_FOUND,     /* a header starts at replay[0] (replay_len > 0) or at p[*used] */
    APP_RESYNC_GAVE_UP,   /* more than limit bytes skipped */
};

/* Starts (or, if already searching, extends) a search after a gap of gap_len bytes.  after_gap false: the
 * search follows a malformed header the parser has already reported, and finding the next one is not reported. */
void app_resync_start(struct app_resync *r, bool after_gap, uint64_t gap_len, uint64_t limit);

/*
 * The bytes of one on_data call as a parser takes them: the chunk, except that after a header found in bytes carried
 * from earlier chunks, those bytes come first (from replay) and the rest of the chunk after them.  The parser reads
 * p[0..n), says how much it used with app_resync_input_take(), and loops while app_resync_input_more().
 */
struct app_resync_input {
    const uint8_t *p; /* the bytes to take now */
    size_t n;
    const uint8_t *rest; /* then these: the rest of the chunk, after replayed bytes */
    size_t rest_n;
    uint8_t replay[APP_RESYNC_WINDOW];
};

void app_resync_input_init(struct app_resync_input *in, const uint8_t *p, size_t n);
/* Bytes left?  When the replayed bytes are used up, in->p moves on to the rest of the chunk. */
bool app_resync_input_more(struct app_resync_input *in);
/* The parser used the first `used` (<= in->n) bytes of in->p. */
void app_resync_input_take(struct app_resync_input *in, size_t used);

/*
 * Scans in->p[0..in->n) and takes from `in` the bytes passed over.  lead: the byte every header starts with (memchr
 * jumps to it), or -1.  On FOUND the next bytes of `in` are the header's first: bytes carried from earlier chunks
 * (replayed) or the rest of this one.  On SEARCHING and GAVE_UP every byte of in->p is used.
 */
enum app_resync_result app_resync_scan(struct app_ctx *ctx, struct app_resync *r, struct app_resync_input *in,
                                       app_resync_check_fn check, const void *arg, int lead);

/* One anomaly for the resynchronisation that just ended (found, given up, or, with APP_RESYNC_SEARCHING, the flow
 * ended during the search; `what` names the header in the detail: "SMB", "DCE/RPC", "DICOM"), counted in stats;
 * then the search state is cleared. */
void app_resync_report(struct app_ctx *ctx, struct app_resync *r, int dir, enum app_resync_result how,
                       const char *what);

#endif
