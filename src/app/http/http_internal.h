/*
 * http_internal.h - what the files of the HTTP/1.x parser share (src/app/http/; not for use outside it).
 *
 *   http.c          transactions (the pipelining queue), file hand-off, events, direction, parser callbacks
 *   http_line.c     line framing: LF search, lines split across chunks, overlong lines, dispatch by state
 *   http_message.c  the probe, start lines (request, status) and field lines
 *   http_body.c     body framing (RFC 9112 6.3): Content-Length, chunked, read until close
 *
 * Each direction is a resumable state machine over lines and bodies; any split of the stream into chunks gives
 * the same result:
 *
 *   START ──start line──► HEADERS ──empty line──► BODY_CL      (Content-Length n)
 *     ▲  ╲                                        CHUNK_SIZE ◄─► CHUNK_DATA ─► CHUNK_END
 *     │   ╲ invalid line / gap                        │ size 0
 *     │    ► RESYNC (skip lines until a start line)   ▼
 *     │                                            TRAILERS ──empty line──┐
 *     └───────────────── message complete ◄───────────────────────────────┘
 *   BODY_CLOSE (response read until the connection closes); TUNNEL (CONNECT 2xx, 101); DEAD (gave up).
 *
 * Anomalies go through app_anomaly() (counted there; written once per kind and flow: core/anomaly.h).
 */
#ifndef MEDSENTRY_APP_HTTP_INTERNAL_H
#define MEDSENTRY_APP_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/http/http.h"

enum http_dstate {
    S_START,      /* before a start line (empty lines skipped) */
    S_HEADERS,    /* field lines until the empty line */
    S_BODY_CL,    /* remaining bytes of a Content-Length body */
    S_CHUNK_SIZE, /* a chunk-size line */
    S_CHUNK_DATA, /* remaining bytes of a chunk */
    S_CHUNK_END,  /* the CRLF after chunk data */
    S_TRAILERS,   /* trailer field lines until the empty line */
    S_BODY_CLOSE, /* response body until the connection closes */
    S_RESYNC,     /* skipping lines until the next start line */
    S_TUNNEL,     /* not HTTP any more */
    S_DEAD,       /* gave up on this direction */
};

/* Header fields the parser acts on or keeps. */
enum http_hkind { H_NONE, H_OTHER, H_HOST, H_UA, H_REFERER, H_CTYPE, H_CL, H_TE, H_CE };

#define LINE_BUF_MIN 256u
#define CL_TEXT_MAX  47
#define TE_TEXT_MAX  127
#define CE_TEXT_MAX  63

struct http_dir {
    enum http_dstate st;
    uint8_t *line; /* a line split across chunks */
    uint32_t line_len, line_cap;
    bool line_over;     /* the line outgrew the buffer: the rest is skipped up to its LF */
    struct http_tx *tx; /* the message being parsed (NULL: parsed but not recorded) */
    struct file_track *ft;
    uint64_t remaining; /* body or chunk bytes left */
    uint64_t body_off;  /* body bytes so far (file offset) */
    uint32_t hdr_bytes; /* start line + header block so far */
    uint32_t resync_bytes;
    uint16_t n_headers;
    bool interim;    /* reading the headers of a 1xx response: they belong to no transaction */
    bool is_request; /* the message in progress is a request */
    bool reported_lf, reported_fold, reported_block; /* one anomaly per message and kind */
    /* the field being read (obs-fold continues it) and what framing needs of the header block */
    enum http_hkind cur;
    char *cur_dst; /* kept-string destination of the current field, for folds */
    size_t cur_cap;
    char cl_text[CL_TEXT_MAX + 1];
    uint8_t cl_text_len;
    bool has_cl, cl_invalid, cl_conflict;
    uint64_t cl;
    char te[TE_TEXT_MAX + 1];
    uint8_t te_len;
    bool has_te;
    char ce[CE_TEXT_MAX + 1];
    uint8_t ce_len;
};

struct http_state {
    struct http_dir d[2];
    struct http_tx *q[HTTP_MAX_PENDING]; /* transactions in request order, oldest at q_head */
    uint8_t q_head, q_len;
    uint8_t req_dir; /* direction that carries requests */
    bool dir_known;
    bool connect_tunnel; /* the tunnel came from CONNECT: its first request bytes may be HTTP again */
    uint8_t tun_buf[16]; /* those first bytes, while the probe cannot tell yet */
    uint8_t tun_len;
    uint32_t max_header_bytes;
};

/* ---- lexical helpers (RFC 9110 5.6) --------------------------------------------------------- */

static inline bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static inline uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static inline bool eq_nocase(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)s[i])
            return false;
    return true;
}

static inline void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ows((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_ows((*p)[*n - 1]))
        (*n)--;
}

/* ---- http.c: transactions and files --------------------------------------------------------- */

/* A new transaction at the tail of the queue; NULL (anomaly) when memory or the queue is exhausted. */
struct http_tx *http_tx_push(struct app_ctx *ctx, struct http_state *st, int dir);
/* The oldest transaction without a response, or NULL. */
struct http_tx *http_tx_unanswered(struct http_state *st);
/* Body bytes (or n lost ones) of the message in progress: counted in its transaction, handed to the file tracker. */
void http_tx_body_data(struct app_ctx *ctx, struct http_dir *d, const uint8_t *p, size_t n);
void http_tx_body_gap(struct app_ctx *ctx, struct http_dir *d, uint64_t n);
/* The message in direction dir is complete (or abandoned): mark it, emit what is complete; dir goes to `next`. */
void http_message_done(struct app_ctx *ctx, struct http_state *st, int dir, enum http_dstate next);
/* Lost framing in direction dir: the message in progress is abandoned, the next start line is looked for. */
void http_resync(struct app_ctx *ctx, struct http_state *st, int dir);
/* The connection stops being HTTP (CONNECT 2xx, 101): both directions stop. */
void http_tunnel(struct app_ctx *ctx, struct http_state *st, int dir);

/* ---- http_line.c: lines --------------------------------------------------------------------- */

/* Is s a state that reads lines (not body bytes)? */
bool http_line_state(enum http_dstate s);
/* Consume line bytes from p: returns the bytes used (up to and including an LF, or all of them). */
size_t http_feed_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n);
/* Forget the part of a line held so far. */
void http_line_reset(struct app_ctx *ctx, struct http_dir *d);

/* ---- http_message.c: start lines and field lines -------------------------------------------- */

/* A line in START or RESYNC: a start line, or (START) an invalid one. */
void http_start_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool overlong);
/* A new message in d: the per-message parse state cleared. */
void http_message_begin(struct http_dir *d, bool request);
/* A field line of the header block (n > 0). */
void http_field_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n);
/* The field being read is complete (the next line is not an obs-fold of it). */
void http_field_end(struct app_ctx *ctx, struct http_dir *d, int dir);

/* ---- http_body.c: body framing -------------------------------------------------------------- */

/* The empty line after the header block: the body length (RFC 9112 6.3), and the state that reads it. */
void http_headers_done(struct app_ctx *ctx, struct http_state *st, int dir);
/* A chunk-size line (RFC 9112 7.1). */
void http_chunk_size_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n,
                          bool overlong);
/* Body bytes in S_BODY_CL, S_CHUNK_DATA or S_BODY_CLOSE: returns the bytes used. */
size_t http_body_feed(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n);
/* A gap of len bytes in S_BODY_CL, S_CHUNK_DATA or S_BODY_CLOSE: true if it lies inside the body (counted, the file
 * marked gapped), false if it runs past the body's end (the caller resynchronises). */
bool http_body_gap(struct app_ctx *ctx, struct http_state *st, int dir, uint64_t len);

#endif
