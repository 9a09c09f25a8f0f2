/*
 * eve_hl7.c - the `hl7` EVE object (docs/EVE.md, section hl7).
 *
 * One event per HL7 v2 message.  Everything written comes from MSH and MSA
 * (the parser keeps nothing else, src/app/hl7/hl7.h): no patient data, so
 * --log-phi changes nothing here.  Field values are written as sent, escape
 * sequences included; those cut at HL7_FIELD_MAX bytes are named in
 * `truncated_fields`.
 */
#include "app/hl7/hl7.h"
#include "output/eve_hl7.h"

static const char *const field_names[HL7_F__COUNT] = {
    [HL7_F_ENCODING] = "encoding_characters",
    [HL7_F_SENDING_APP] = "sending_application",
    [HL7_F_SENDING_FAC] = "sending_facility",
    [HL7_F_RECEIVING_APP] = "receiving_application",
    [HL7_F_RECEIVING_FAC] = "receiving_facility",
    [HL7_F_MESSAGE_TYPE] = "message_type",
    [HL7_F_CONTROL_ID] = "control_id",
    [HL7_F_PROCESSING_ID] = "processing_id",
    [HL7_F_VERSION] = "version",
    [HL7_F_ACK_CODE] = "ack_code",
    [HL7_F_ACKED_ID] = "acked_control_id",
};

static void text(struct jw *w, const struct hl7_message *m, enum hl7_field_id id)
{
    jw_strn(w, field_names[id], m->f[id].s, m->f[id].len);
}

/* Component idx of a field under key, when not empty. */
static void component(struct jw *w, const char *key, const struct hl7_text *t, char sep, unsigned idx)
{
    const char *p;
    size_t n = hl7_component(t, sep, idx, &p);
    if (n)
        jw_strn(w, key, p, n);
}

void eve_hl7_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct hl7_event *he = ev->body;
    if (!he || !he->msg)
        return;
    const struct hl7_message *m = he->msg;
    const struct hl7_text *type = &m->f[HL7_F_MESSAGE_TYPE];
    text(w, m, HL7_F_MESSAGE_TYPE);
    component(w, "message_code", type, m->component_sep, 0);
    component(w, "trigger_event", type, m->component_sep, 1);
    component(w, "message_structure", type, m->component_sep, 2);
    text(w, m, HL7_F_CONTROL_ID);
    text(w, m, HL7_F_SENDING_APP);
    text(w, m, HL7_F_SENDING_FAC);
    text(w, m, HL7_F_RECEIVING_APP);
    text(w, m, HL7_F_RECEIVING_FAC);
    text(w, m, HL7_F_PROCESSING_ID);
    text(w, m, HL7_F_VERSION);
    text(w, m, HL7_F_ENCODING);
    if (m->has_msa) {
        text(w, m, HL7_F_ACK_CODE);
        text(w, m, HL7_F_ACKED_ID);
        if (m->paired) {
            jw_strn(w, "acked_message_type", m->acked_type.s, m->acked_type.len);
            jw_u64(w, "ack_delay_us", m->ack_delay_us);
        }
    }
    jw_open_arr(w, "segments");
    for (unsigned i = 0; i < m->n_segment_ids; i++)
        jw_str(w, NULL, m->segment_ids[i]);
    jw_close_arr(w);
    jw_u64(w, "segment_count", m->segment_count);
    if (m->invalid_segments)
        jw_u64(w, "invalid_segments", m->invalid_segments);
    jw_u64(w, "bytes", m->bytes);
    jw_bool(w, "complete", m->complete);
    if (m->too_large)
        jw_bool(w, "too_large", true);
    bool any = false;
    for (unsigned i = 0; i < HL7_F__COUNT; i++)
        any |= m->f[i].truncated;
    if (any || m->acked_type.truncated) {
        jw_open_arr(w, "truncated_fields");
        for (unsigned i = 0; i < HL7_F__COUNT; i++)
            if (m->f[i].truncated)
                jw_str(w, NULL, field_names[i]);
        if (m->acked_type.truncated)
            jw_str(w, NULL, "acked_message_type");
        jw_close_arr(w);
    }
}
