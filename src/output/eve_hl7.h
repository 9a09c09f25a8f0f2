/* eve_hl7.h - body writer of the `hl7` EVE event (eve_hl7.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_HL7_H
#define MEDSENTRY_OUTPUT_EVE_HL7_H

#include "output/eve.h"

void eve_hl7_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

#endif
