/* eve_anomaly.c - the `anomaly` object: what was malformed, where (Suricata's type/event/layer). */
#include "output/eve.h"

void eve_anomaly_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct anomaly_event *a = ev->body;
    if (!a)
        return;
    jw_str(w, "type", a->type ? a->type : "decode");
    if (a->layer)
        jw_str(w, "layer", a->layer);
    if (a->event)
        jw_str(w, "event", a->event);
    if (a->detail)
        jw_str(w, "detail", a->detail);
}
