/*
 * eve_asset.c - the `asset` EVE object: one inventory record (docs/EVE.md, section asset).
 */
#include "assets/assets.h"
#include "output/eve_dicom.h"

void eve_asset_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct asset_event *ae = ev->body;
    jw_str(w, "change", ae->change);
    asset_json(w, ae->asset);
}
