/*
 * hl7.h - HL7 version 2 over MLLP: what the parser keeps of a message and the
 * `hl7` event that leaves it.
 *
 * HL7 v2 (HL7 v2.5.1 chapter 2, "Control") is a text protocol: a message is a
 * run of segments, each a three-character segment id and fields separated by
 * the field separator, ended by a carriage return.  The first segment, MSH,
 * declares the separators itself: MSH-1 is the field separator (the byte after
 * "MSH"), MSH-2 the encoding characters (component, repetition, escape,
 * subcomponent; v2.7 adds a fifth, the truncation character).  On TCP,
 * messages travel in the Minimal Lower Layer Protocol (HL7 v2.5.1 appendix C.4,
 * "MLLP"): a start block 0x0B, the message, an end block 0x1C 0x0D.
 *
 * HL7 carries patient names, identifiers, addresses, birth dates and reports in
 * clear (PID, NK1, PV1, OBX ...).  The parser reads only MSH (who sends what to
 * whom) and MSA (the acknowledgment) and the ids of the other segments; it never
 * copies a byte of any other segment.  Nothing it emits is PHI, so there is
 * nothing to pseudonymise.
 */
#ifndef MEDSENTRY_APP_HL7_HL7_H
#define MEDSENTRY_APP_HL7_HL7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

/* hl7.* and app-layer.protocols.hl7.*: the key table is in hl7_mllp.c. */
struct hl7_cfg {
    struct app_proto_cfg proto;
    uint64_t max_message; /* hl7.max-message-bytes: longer messages are skipped to the end block */
};
extern const struct config_module hl7_config_module;

/* MLLP framing bytes (v2.5.1 C.4.3). */
#define HL7_SB 0x0b /* start block, <VT> */
#define HL7_EB 0x1c /* end block, <FS> */
#define HL7_CR 0x0d /* carriage return: ends the frame after <FS>, and every segment */

/* Limits. */
#define HL7_MAX_SEGMENT_IDS 64 /* segment ids listed per message; segment_count counts them all */
#define HL7_FIELD_MAX       64 /* bytes kept of each MSH / MSA field (cut, flagged truncated) */
#define HL7_PENDING_MAX     16 /* messages per direction awaiting their acknowledgment */

/* The fields the parser keeps: MSH-2..MSH-12 and MSA-1..2, nothing else. */
enum hl7_field_id {
    HL7_F_ENCODING,      /* MSH-2 encoding characters, "^~\&" (v2.7: "^~\&#") */
    HL7_F_SENDING_APP,   /* MSH-3 sending application (HD) */
    HL7_F_SENDING_FAC,   /* MSH-4 sending facility (HD) */
    HL7_F_RECEIVING_APP, /* MSH-5 receiving application (HD) */
    HL7_F_RECEIVING_FAC, /* MSH-6 receiving facility (HD) */
    HL7_F_MESSAGE_TYPE,  /* MSH-9 message type (MSG): code^trigger event^structure, "ORU^R01^ORU_R01" */
    HL7_F_CONTROL_ID,    /* MSH-10 message control id */
    HL7_F_PROCESSING_ID, /* MSH-11 processing id (PT): P production, T training, D debugging */
    HL7_F_VERSION,       /* MSH-12 version id (VID): "2.5.1" */
    HL7_F_ACK_CODE,      /* MSA-1 acknowledgment code: AA, AE, AR (original), CA, CE, CR (enhanced) */
    HL7_F_ACKED_ID,      /* MSA-2 control id of the message acknowledged */
    HL7_F__COUNT
};

/* Bytes of one field as sent (escape sequences left as they are), at most HL7_FIELD_MAX, NUL-terminated. */
struct hl7_text {
    uint8_t len;
    bool truncated;
    char s[HL7_FIELD_MAX + 1];
};

/* One message as the parser saw it.  A plain value (no pointers): a subscriber may copy it. */
struct hl7_message {
    uint64_t bytes;            /* bytes between the start and the end block */
    uint64_t content_hash;     /* FNV-1a 64 of every message byte the scanner was fed (never written out: a digest
                                * of PHI); tells a resent message from a different one with the same MSH-10 */
    uint32_t segment_count;    /* well-formed segments */
    uint32_t invalid_segments; /* lines whose id is not [A-Z][A-Z0-9]{2} followed by the separator */
    uint8_t n_segment_ids;     /* ids listed, at most HL7_MAX_SEGMENT_IDS */
    char segment_ids[HL7_MAX_SEGMENT_IDS][4];
    char field_sep;     /* MSH-1 */
    char component_sep; /* MSH-2 first character (default '^') */
    bool has_msh, has_msa;
    bool complete;        /* ended by the end block (not cut by a gap, a new start block or the close) */
    bool too_large;       /* longer than hl7.max-message-bytes: segments after the limit were not read */
    bool truncation_char; /* MSH-2 has the v2.7 fifth character */
    struct hl7_text f[HL7_F__COUNT];
    /* an acknowledgment (MSA) paired with the message it acknowledges, sent the other way on this flow */
    bool paired;
    struct hl7_text acked_type; /* MSH-9 of the acknowledged message */
    uint64_t ack_delay_us;      /* from the acknowledged message's end to this one's */
};

/* EVENT_HL7 body: one message, emitted when its end block arrives (or when it is cut). */
struct hl7_event {
    const struct hl7_message *msg;
};

/* Component idx (0-based) of a field, split at sep: pointer and length into t (empty if absent). */
size_t hl7_component(const struct hl7_text *t, char sep, unsigned idx, const char **out);

/* The segment scanner (hl7_segment.c): fed the bytes of one message between the start and end blocks, in any
 * chunks, with segment terminators included; it fills a struct hl7_message.  Malformations are returned as flags
 * for the caller to report. */
enum hl7_seg_issue {
    HL7_ISSUE_NONE = 0,
    HL7_ISSUE_LF = 1u << 0,              /* a segment ended by LF instead of CR */
    HL7_ISSUE_INVALID_SEGMENT = 1u << 1, /* a line that is no segment */
    HL7_ISSUE_INVALID_MSH = 1u << 2,     /* MSH without a usable field separator */
    HL7_ISSUE_ENCODING = 1u << 3,        /* MSH-2 is not 4 or 5 distinct non-alphanumeric characters */
    HL7_ISSUE_MSH_NOT_FIRST = 1u << 4,   /* the first segment is not MSH (nor a batch header, BHS/FHS) */
};

struct hl7_seg_scanner {
    struct hl7_message *m;
    uint32_t pos; /* bytes of the current segment so far (stops counting past 4) */
    char id[4];
    char sep;     /* this segment's field separator */
    bool skip;    /* rest of the line ignored: invalid id, or nothing more to keep */
    uint8_t kind; /* 0 other, 1 the message's first MSH, 2 its first MSA */
    uint16_t field;
    int8_t dst; /* enum hl7_field_id receiving bytes, or -1 */
    bool first_seen;
    unsigned issues; /* enum hl7_seg_issue bits raised so far */
};

void hl7_seg_start(struct hl7_seg_scanner *sc, struct hl7_message *m);
/* Bytes of the message (never a start or end block byte). */
void hl7_seg_bytes(struct hl7_seg_scanner *sc, const uint8_t *p, size_t n);
/* The message ends (end block, or cut): a last segment without its CR is taken as it is. */
void hl7_seg_end(struct hl7_seg_scanner *sc);

/* Exposed for tests and the fuzz harness. */
enum probe_result hl7_probe(const uint8_t *data, size_t len, int dir);

/* The parser, for app_registry.c. */
extern const struct app_parser hl7_parser;

#endif
