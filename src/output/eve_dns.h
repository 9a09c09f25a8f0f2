/* eve_dns.h - body writer of the `dns` EVE event (eve_dns.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_DNS_H
#define MEDSENTRY_OUTPUT_EVE_DNS_H

#include "output/eve.h"

void eve_dns_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

#endif
