/* eve_dicom.h - body writers of the `dicom` and `asset` EVE events (eve_dicom.c, eve_asset.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_DICOM_H
#define MEDSENTRY_OUTPUT_EVE_DICOM_H

#include "output/eve.h"

void eve_dicom_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_asset_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

#endif
