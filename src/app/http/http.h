/*
 * http.h - the HTTP/1.x parser: what it keeps of each transaction and the
 * `http` event that leaves it.
 *
 * Message framing follows RFC 9112 (HTTP/1.1): the start line (3.1 request
 * line, 4 status line), header fields (5, with obs-fold 5.2), and the body
 * length rules of 6.3: HEAD and 1xx/204/304 responses have no body, a 2xx
 * answer to CONNECT turns the connection into a tunnel, Transfer-Encoding
 * with chunked last overrides Content-Length (both present is a request
 * smuggling indicator), then Content-Length, then (responses) the close.
 * Chunked coding: RFC 9112 7.1, trailers 7.1.2.  Requests may be pipelined
 * (9.3.2): requests queue, each response answers the oldest request not yet
 * answered, interim 1xx responses (RFC 9110 15.2) answer nothing, 101 ends
 * HTTP on the connection.
 *
 * Per transaction the parser keeps method, URI (raw, as sent), Host,
 * User-Agent, Referer, request and response Content-Type and Content-Length,
 * status and reason, protocol, body lengths, and the request header names in
 * wire order (never their values: cookies and credentials do not leave the
 * parser).  One event per transaction when its response is complete, or when
 * it is left without one (queue overflow, end of flow).
 */
#ifndef MEDSENTRY_APP_HTTP_HTTP_H
#define MEDSENTRY_APP_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

/* Limits. */
/* http.* and app-layer.protocols.http.*: the key table is in http.c. */
struct http_cfg {
    struct app_proto_cfg proto;
    uint64_t max_header_bytes; /* http.max-header-bytes: start line + header block (1kb..1mb) */
};
extern const struct config_module http_config_module;

#define HTTP_MAX_HEADERS    100          /* header fields per message; more is an anomaly */
#define HTTP_MAX_PENDING    16           /* pipelined requests awaiting a response, per flow */
#define HTTP_CHUNK_LINE_MAX 1024         /* chunk-size line with its extensions */
#define HTTP_RESYNC_MAX     (64u * 1024) /* bytes skipped looking for a start line before giving up */

/* Field sizes kept per transaction (bytes, NUL excluded); longer values are cut at a UTF-8 boundary. */
#define HTTP_METHOD_MAX  31
#define HTTP_URI_MAX     2047
#define HTTP_HOST_MAX    255
#define HTTP_UA_MAX      511
#define HTTP_REFERER_MAX 1023
#define HTTP_CTYPE_MAX   127
#define HTTP_PROTO_MAX   15
#define HTTP_REASON_MAX  63
#define HTTP_NAME_MAX    63   /* one header name */
#define HTTP_NAMES_BYTES 2048 /* all header names of a request, packed */
#define HTTP_NAMES_MAX   HTTP_MAX_HEADERS

/* One request/response exchange: a flat record, copied as is by whoever keeps it. */
struct http_tx {
    char method[HTTP_METHOD_MAX + 1];
    char uri[HTTP_URI_MAX + 1];
    char protocol[HTTP_PROTO_MAX + 1]; /* request's HTTP-version, "HTTP/0.9" for a simple request */
    char host[HTTP_HOST_MAX + 1];
    char user_agent[HTTP_UA_MAX + 1];
    char referer[HTTP_REFERER_MAX + 1];
    char req_content_type[HTTP_CTYPE_MAX + 1];
    char resp_content_type[HTTP_CTYPE_MAX + 1];
    char resp_protocol[HTTP_PROTO_MAX + 1];
    char reason[HTTP_REASON_MAX + 1];
    /* request header names in wire order: n_names NUL-terminated strings packed in names[] */
    char names[HTTP_NAMES_BYTES];
    uint16_t names_len;
    uint8_t n_names;
    bool names_truncated;
    bool has_request, has_response;
    bool request_done, response_done;
    bool has_host, has_user_agent, has_referer;
    bool uri_truncated;
    uint16_t status;
    bool has_req_content_length, has_resp_content_length;
    uint64_t req_content_length, resp_content_length;
    uint64_t request_body_len, response_body_len; /* bytes of body as transferred, de-chunked, not decoded */
    bool req_chunked, resp_chunked;
    bool resp_encoded; /* response Content-Encoding other than identity: its body was hashed as sent */
    bool te_and_cl;    /* both Transfer-Encoding and Content-Length (smuggling indicator) */
    bool gap;          /* bytes of this exchange were lost */
    bool truncated;    /* the flow ended, or the parser gave up, inside one of its messages */
    bool tunnel;       /* CONNECT 2xx or 101: what follows is not HTTP */
    uint32_t interim;  /* 1xx responses before the final one */
};

/* EVENT_HTTP body.  Valid during the event callback; the record may be copied whole. */
struct http_event {
    const struct http_tx *tx;
};

/* Exposed for tests and the fuzz harness. */
enum probe_result http_probe(const uint8_t *data, size_t len, int dir);

/* The parser, for app_registry.c. */
extern const struct app_parser http_parser;

#endif
