/* eve_tls.h - body writer of the `tls` EVE event (eve_tls.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_TLS_H
#define MEDSENTRY_OUTPUT_EVE_TLS_H

#include "output/eve.h"

void eve_tls_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

#endif
