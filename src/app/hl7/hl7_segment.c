/*
 * hl7_segment.c - the segments of one HL7 v2 message, read as they stream (see hl7.h).
 *
 * A message (HL7 v2.5.1 2.5, 2.6) is segments, each ended by CR:
 *
 *   MSH|^~\&|SENDAPP|SENDFAC|RCVAPP|RCVFAC|20240115101500||ORU^R01^ORU_R01|MSG00004|P|2.5<CR>
 *   PID|1||PAT0001^^^HOSP^MR||DOE^JANE||19700101|F<CR>            <- never copied
 *   MSA|AA|MSG00003<CR>                                           <- in acknowledgments
 *
 *   MSH-1  the byte after "MSH": the field separator of the whole message
 *   MSH-2  encoding characters: component ^, repetition ~, escape \, subcomponent &, (v2.7) truncation #
 *   MSH-3..6 sending application, sending facility, receiving application, receiving facility (HD)
 *   MSH-9  message type (MSG: code^trigger event^structure), MSH-10 control id, MSH-11 processing id (PT),
 *   MSH-12 version id (VID)
 *   MSA-1  acknowledgment code, MSA-2 control id of the message acknowledged
 *
 * Fields of MSH are numbered from the separator itself (MSH-1), so the text after
 * "MSH|" is MSH-2; in every other segment the text after "XYZ|" is field 1.
 *
 * The scanner never buffers a segment: it follows the line byte by byte, keeps
 * the segment id (validated: [A-Z][A-Z0-9]{2}, then the field separator or the
 * end of the line) and copies the bytes of the wanted MSH and MSA fields, each
 * up to HL7_FIELD_MAX, straight into the message.  Everything else on a line,
 * in particular every field of PID, NK1, OBX, ..., is skipped without being
 * looked at beyond finding where the line ends.  A line that is no segment
 * (a report's text wrapped onto a new line, say) is counted, never listed: its
 * first bytes could be patient data.
 *
 * Segments ending in LF or CR LF are accepted (LF flagged); blank lines are ignored.
 */
#include "app/hl7/hl7.h"

#include <stdlib.h>
#include <string.h>

enum { KIND_OTHER = 0, KIND_MSH = 1, KIND_MSA = 2 };

static bool id_char(uint8_t c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
}

/* A byte that may separate fields or components: printable ASCII, neither letter, digit nor space. */
static bool sep_char(uint8_t c)
{
    return c > 0x20 && c < 0x7f && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
}

static bool id_is(const struct hl7_seg_scanner *sc, const char *id)
{
    return memcmp(sc->id, id, 3) == 0;
}

static bool id_valid(const struct hl7_seg_scanner *sc)
{
    return id_char((uint8_t)sc->id[0], true) && id_char((uint8_t)sc->id[1], false) &&
           id_char((uint8_t)sc->id[2], false);
}

void hl7_seg_start(struct hl7_seg_scanner *sc, struct hl7_message *m)
{
    memset(sc, 0, sizeof(*sc));
    sc->m = m;
    sc->dst = -1;
    m->component_sep = '^';
    m->content_hash = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */
}

/* Where bytes of field number `field` of the current segment go. */
static int8_t field_dst(const struct hl7_seg_scanner *sc, unsigned field)
{
    if (sc->kind == KIND_MSH) {
        switch (field) {
        case 2: return HL7_F_ENCODING;
        case 3: return HL7_F_SENDING_APP;
        case 4: return HL7_F_SENDING_FAC;
        case 5: return HL7_F_RECEIVING_APP;
        case 6: return HL7_F_RECEIVING_FAC;
        case 9: return HL7_F_MESSAGE_TYPE;
        case 10: return HL7_F_CONTROL_ID;
        case 11: return HL7_F_PROCESSING_ID;
        case 12: return HL7_F_VERSION;
        default: return -1;
        }
    }
    if (sc->kind == KIND_MSA) {
        if (field == 1)
            return HL7_F_ACK_CODE;
        if (field == 2)
            return HL7_F_ACKED_ID;
    }
    return -1;
}

/* The last field of the segment the scanner keeps: past it the rest of the line is skipped. */
static unsigned last_field(const struct hl7_seg_scanner *sc)
{
    return sc->kind == KIND_MSH ? 12 : sc->kind == KIND_MSA ? 2 : 0;
}

/* MSH-2 has been read: 4 distinct separator characters, 5 with v2.7's truncation character. */
static void encoding_done(struct hl7_seg_scanner *sc)
{
    struct hl7_message *m = sc->m;
    const struct hl7_text *e = &m->f[HL7_F_ENCODING];
    bool ok = (e->len == 4 || e->len == 5) && !e->truncated;
    for (unsigned i = 0; ok && i < e->len; i++) {
        uint8_t c = (uint8_t)e->s[i];
        ok = sep_char(c) && c != (uint8_t)m->field_sep && !memchr(e->s, c, i);
    }
    if (!ok)
        sc->issues |= HL7_ISSUE_ENCODING;
    if (e->len >= 1 && sep_char((uint8_t)e->s[0]) && e->s[0] != m->field_sep)
        m->component_sep = e->s[0];
    m->truncation_char = ok && e->len == 5;
}

/* The segment ids the HL7 v2 standard defines (v2.3 to v2.9, chapter tables and Appendix A), sorted.  Only these
 * and site-defined Z segments are listed in an event: a line of free text that happens to start with three capitals
 * and a separator (a wrapped report line, initials) is counted in segment_count but never written. */
static const char standard_ids[][4] = {
    "ABS", "ACC", "ADD", "ADJ", "AFF", "AIG", "AIL", "AIP", "AIS", "AL1", "APR", "ARQ", "ARV", "AUT", "BHS", "BLC",
    "BLG", "BPO", "BPX", "BTS", "BTX", "BUI", "CDM", "CDO", "CER", "CM0", "CM1", "CM2", "CNS", "CON", "CSP", "CSR",
    "CSS", "CTD", "CTI", "CTR", "DB1", "DEV", "DG1", "DMI", "DON", "DRG", "DSC", "DSP", "DST", "ECD", "ECR", "EDU",
    "EQP", "EQU", "ERR", "EVN", "FAC", "FHS", "FT1", "FTS", "GOL", "GP1", "GP2", "GT1", "IAM", "IAR", "IIM", "ILT",
    "IN1", "IN2", "IN3", "INV", "IPC", "IPR", "ISD", "ITM", "IVC", "IVT", "LAN", "LCC", "LCH", "LDP", "LOC", "LRL",
    "MCP", "MFA", "MFE", "MFI", "MRG", "MSA", "MSH", "NCK", "NDS", "NK1", "NPU", "NSC", "NST", "NTE", "OBR", "OBX",
    "ODS", "ODT", "OM1", "OM2", "OM3", "OM4", "OM5", "OM6", "OM7", "ORC", "ORG", "OVR", "PAC", "PCE", "PCR", "PD1",
    "PDA", "PDC", "PEO", "PES", "PID", "PKG", "PMT", "PR1", "PRA", "PRB", "PRC", "PRD", "PRT", "PSG", "PSH", "PSL",
    "PSS", "PTH", "PV1", "PV2", "PYE", "QAK", "QID", "QPD", "QRD", "QRF", "QRI", "RCP", "RDF", "RDT", "REL", "RF1",
    "RFI", "RGS", "RMI", "ROL", "RQ1", "RQD", "RXA", "RXC", "RXD", "RXE", "RXG", "RXO", "RXR", "RXV", "SAC", "SCD",
    "SCH", "SCP", "SDD", "SFT", "SGH", "SGT", "SHP", "SID", "SLT", "SPM", "STF", "STZ", "TCC", "TCD", "TQ1", "TQ2",
    "TXA", "UAC", "UB1", "UB2", "URD", "URS", "VAR", "VND",
};

static int id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 3);
}

static bool id_listable(const char id[3])
{
    return id[0] == 'Z' ||
           bsearch(id, standard_ids, sizeof(standard_ids) / sizeof(standard_ids[0]), sizeof(standard_ids[0]), id_cmp);
}

static void record_segment(struct hl7_seg_scanner *sc)
{
    struct hl7_message *m = sc->m;
    if (m->segment_count < UINT32_MAX)
        m->segment_count++;
    if (m->n_segment_ids < HL7_MAX_SEGMENT_IDS && id_listable(sc->id)) {
        memcpy(m->segment_ids[m->n_segment_ids], sc->id, 3);
        m->segment_ids[m->n_segment_ids][3] = '\0';
        m->n_segment_ids++;
    }
}

static void invalid_segment(struct hl7_seg_scanner *sc)
{
    if (sc->m->invalid_segments < UINT32_MAX)
        sc->m->invalid_segments++;
    sc->issues |= HL7_ISSUE_INVALID_SEGMENT;
    sc->skip = true;
}

/* The byte after the segment id: the field separator, which MSH (and the batch headers) declare. */
static void segment_head(struct hl7_seg_scanner *sc, uint8_t c)
{
    struct hl7_message *m = sc->m;
    bool header = id_is(sc, "MSH") || id_is(sc, "BHS") || id_is(sc, "FHS");
    if (!sc->first_seen) {
        sc->first_seen = true;
        if (!header)
            sc->issues |= HL7_ISSUE_MSH_NOT_FIRST;
    }
    if (!id_valid(sc)) {
        invalid_segment(sc);
        return;
    }
    if (header) {
        if (!sep_char(c)) {
            if (id_is(sc, "MSH"))
                sc->issues |= HL7_ISSUE_INVALID_MSH;
            invalid_segment(sc);
            return;
        }
        sc->sep = (char)c;
        record_segment(sc);
        if (id_is(sc, "MSH") && !m->has_msh) {
            m->has_msh = true;
            m->field_sep = (char)c;
            sc->kind = KIND_MSH;
            sc->field = 2; /* MSH-1 is the separator itself */
            sc->dst = HL7_F_ENCODING;
        } else {
            sc->skip = true; /* a batch header, or a second MSH (batch): counted, not read */
        }
        return;
    }
    /* before MSH (a frame without it) any separator character will do; after, the declared one */
    if (!sep_char(c) || (m->has_msh && (char)c != m->field_sep)) {
        invalid_segment(sc);
        return;
    }
    sc->sep = (char)c;
    record_segment(sc);
    if (id_is(sc, "MSA") && !m->has_msa) {
        m->has_msa = true;
        sc->kind = KIND_MSA;
        sc->field = 1;
        sc->dst = HL7_F_ACK_CODE;
    } else {
        sc->skip = true; /* PID, OBX, ...: nothing of it is read */
    }
}

static void line_end(struct hl7_seg_scanner *sc)
{
    if (sc->pos > 0 && sc->pos < 3) {
        if (!sc->first_seen) {
            sc->first_seen = true;
            sc->issues |= HL7_ISSUE_MSH_NOT_FIRST;
        }
        invalid_segment(sc);
    } else if (sc->pos == 3) { /* an id alone, no field separator: "EVN" is a segment, "MSH" is not */
        if (!sc->first_seen) {
            sc->first_seen = true;
            if (!id_is(sc, "BHS") && !id_is(sc, "FHS") && !id_is(sc, "MSH"))
                sc->issues |= HL7_ISSUE_MSH_NOT_FIRST;
        }
        if (id_is(sc, "MSH"))
            sc->issues |= HL7_ISSUE_INVALID_MSH;
        if (id_valid(sc) && !id_is(sc, "MSH"))
            record_segment(sc);
        else
            invalid_segment(sc);
    }
    if (sc->kind == KIND_MSH && sc->field == 2)
        encoding_done(sc);
    /* the next line: the message, what was seen of its first line and the issues so far stay */
    sc->pos = 0;
    sc->sep = 0;
    sc->skip = false;
    sc->kind = KIND_OTHER;
    sc->field = 0;
    sc->dst = -1;
}

static void append(struct hl7_text *t, const uint8_t *p, size_t n)
{
    size_t room = HL7_FIELD_MAX - t->len;
    if (n > room) {
        n = room;
        t->truncated = true;
    }
    memcpy(t->s + t->len, p, n);
    t->len = (uint8_t)(t->len + n);
    t->s[t->len] = '\0';
}

void hl7_seg_bytes(struct hl7_seg_scanner *sc, const uint8_t *p, size_t n)
{
    uint64_t h = sc->m->content_hash;
    for (size_t k = 0; k < n; k++)
        h = (h ^ p[k]) * 0x100000001b3ULL; /* FNV-1a 64 prime */
    sc->m->content_hash = h;
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c == '\r' || c == '\n') {
            if (c == '\n')
                sc->issues |= HL7_ISSUE_LF;
            line_end(sc);
            i++;
            continue;
        }
        if (sc->pos < 3) {
            sc->id[sc->pos++] = (char)c;
            i++;
            continue;
        }
        if (sc->pos == 3) {
            sc->pos = 4;
            segment_head(sc, c);
            i++;
            continue;
        }
        if (sc->skip) { /* to the end of the line, unread */
            while (i < n && p[i] != '\r' && p[i] != '\n')
                i++;
            continue;
        }
        /* a run of field bytes, up to the next separator or the end of the line */
        size_t j = i;
        while (j < n && p[j] != (uint8_t)sc->sep && p[j] != '\r' && p[j] != '\n')
            j++;
        if (sc->dst >= 0)
            append(&sc->m->f[sc->dst], p + i, j - i);
        i = j;
        if (i < n && p[i] == (uint8_t)sc->sep) {
            i++;
            if (sc->kind == KIND_MSH && sc->field == 2)
                encoding_done(sc);
            sc->field++;
            sc->dst = field_dst(sc, sc->field);
            if (sc->field > last_field(sc))
                sc->skip = true;
        }
    }
}

void hl7_seg_end(struct hl7_seg_scanner *sc)
{
    if (sc->pos > 0)
        line_end(sc);
}

size_t hl7_component(const struct hl7_text *t, char sep, unsigned idx, const char **out)
{
    const char *p = t->s, *end = t->s + t->len;
    for (unsigned k = 0; k < idx; k++) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (!q) {
            *out = end;
            return 0;
        }
        p = q + 1;
    }
    const char *q = memchr(p, sep, (size_t)(end - p));
    *out = p;
    return (size_t)((q ? q : end) - p);
}
