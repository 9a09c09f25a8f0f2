/* eve_http.h - body writer of the `http` EVE event (eve_http.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_HTTP_H
#define MEDSENTRY_OUTPUT_EVE_HTTP_H

#include "output/eve.h"

void eve_http_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

#endif
