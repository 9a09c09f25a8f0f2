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
 * garbage after it.  When a header is found inside the carried bytes, they are
 * handed back (`replay`) for the parser to take before the rest of the chunk.
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
 * Scans p[0..n).  lead: the byte every header starts with (memchr jumps to it), or -1.
 * *used is the number of bytes of p consumed.  On FOUND the
 * parser must take replay[0..*replay_len) (bytes carried from earlier chunks;
 * replay needs APP_RESYNC_WINDOW bytes) and then p[*used..n) as ordinary input.
 */
enum app_resync_result app_resync_scan(struct app_ctx *ctx, struct app_resync *r, const uint8_t *p, size_t n,
                                       app_resync_check_fn check, const void *arg, int lead, uint8_t *replay,
                                       size_t *replay_len, size_t *used);

/* One anomaly for the resynchronisation that just ended (found, given up, or, with APP_RESYNC_SEARCHING, the flow
 * ended during the search; `what` names the header in the detail: "SMB", "DCE/RPC", "DICOM"), counted in stats;
 * then the search state is cleared. */
void app_resync_report(struct app_ctx *ctx, struct app_resync *r, int dir, enum app_resync_result how,
                       const char *what);

#endif
