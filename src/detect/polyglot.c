/*
 * polyglot.c - KWAMPIRS.md §7.11: PE/ELF-DICOM polyglots in file transfers,
 * and YARA matches on files (rules/yara).
 *
 * A DICOM Part 10 file begins with a free-form 128-byte preamble and "DICM"
 * at offset 128 (PS3.10 7.1); the preamble can be an executable's header, so
 * one file is both an image and a program (CVE-2019-11687, S14-S16, §5.1).
 * DIMSE C-STORE carries only the data set, not the Part 10 header, so these
 * files show up in file transfers: SMB and HTTP here (§5.1 [INFERENCE]).
 * The built-in check reads the file tracker's first bytes and the PE header
 * it collected at e_lfanew, so it works with or without libyara:
 *  - 9300110: "MZ" at 0, "PE\0\0" at e_lfanew, "DICM" at 128.  Severity 1.
 *  - 9300111: "\x7fELF" or a Mach-O magic at 0 and "DICM" at 128.  Severity 1.
 *  - 9300112: "DICM" at 128 and a preamble that is neither all zero (PS3.10)
 *    nor a TIFF header (whole-slide TIFF/DICOM dual files): §7.11's Low case.
 *    "MZ" without a PE header where e_lfanew points (or the file ended
 *    before it) is reported here at severity 2: an executable stub that is
 *    broken, or cut by a gap.
 * YARA matches (the scan ran when the file closed; src/files/yara_scan.c):
 * a rule whose meta `medsentry_sid` names a signature raises that signature,
 * and when the built-in check raised the same one for this file the match
 * joins it (evidence.yara) instead of raising a second alert; any other rule
 * raises 9300310 with its name, tags and metas (severity from its meta
 * `severity`, else 2).  One alert per signature per file.
 */
#include <string.h>

#include "core/bytes.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "files/files.h"
#include "flow/flow.h"

static bool tiff_header(const uint8_t *p)
{
    return memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0;
}

static bool macho_magic(const uint8_t *p)
{
    uint32_t m = rd_le32(p);
    return m == 0xfeedfaceu || m == 0xcefaedfeu || m == 0xfeedfacfu || m == 0xcffaedfeu;
}

uint32_t detect_polyglot_sid(const uint8_t *head, size_t n, int pe_sig, uint8_t *severity, const char **why)
{
    *severity = 0;
    *why = NULL;
    if (n < 132 || memcmp(head + 128, "DICM", 4) != 0)
        return 0;
    if (head[0] == 'M' && head[1] == 'Z') {
        if (pe_sig == FILES_PE_VALID) {
            *why = "DICOM preamble is a PE header (MZ at 0, PE\\0\\0 at e_lfanew)";
            return SID_POLYGLOT_PE;
        }
        *severity = 2;
        *why = pe_sig == FILES_PE_INVALID ? "DICOM preamble starts MZ but e_lfanew does not point at PE\\0\\0"
                                          : "DICOM preamble starts MZ; the file ended before e_lfanew";
        return SID_DICOM_PREAMBLE;
    }
    if (memcmp(head,
               "\x7f"
               "ELF",
               4) == 0) {
        *why = "DICOM preamble is an ELF header";
        return SID_POLYGLOT_ELF;
    }
    if (macho_magic(head)) {
        *why = "DICOM preamble is a Mach-O header";
        return SID_POLYGLOT_ELF;
    }
    if (tiff_header(head))
        return 0; /* TIFF/DICOM dual-format (whole-slide imaging): legitimate */
    for (size_t i = 0; i < 128; i++)
        if (head[i]) {
            *why = "DICOM preamble is not zero (PS3.10) and not a TIFF header";
            return SID_DICOM_PREAMBLE;
        }
    return 0;
}

static void file_alert(struct alert_event *a, uint32_t sid, const struct event *ev)
{
    const struct fileinfo_event *fi = ev->body;
    alert_init(a, sid, ev);
    str_copy_utf8(a->share, sizeof(a->share), fi->share ? fi->share : "");
    str_copy_utf8(a->filename, sizeof(a->filename), fi->filename ? fi->filename : "");
    if (fi->has_sha256)
        memcpy(a->sha256, fi->sha256, sizeof(a->sha256));
    str_copy_utf8(a->magic, sizeof(a->magic), fi->magic ? fi->magic : "");
    a->file_direction = fi->direction ? "from_server" : "to_server";
    a->count = 1;
}

static void yara_evidence(struct alert_event *a, const struct files_yara_match *m)
{
    str_copy_utf8(a->yara_rule, sizeof(a->yara_rule), m->rule);
    str_copy_utf8(a->yara_tags, sizeof(a->yara_tags), m->tags);
    str_copy_utf8(a->yara_meta, sizeof(a->yara_meta), m->meta);
}

void det_file_content(struct detect_ctx *d, const struct event *ev)
{
    const struct fileinfo_event *fi = ev->body;
    uint8_t sev;
    const char *why;
    uint32_t psid = detect_polyglot_sid(fi->head, fi->head_len, fi->pe_sig, &sev, &why);
    uint32_t raised[FILES_YARA_MAX_MATCHES + 1];
    unsigned n_raised = 0;
    if (psid) {
        struct alert_event a;
        file_alert(&a, psid, ev);
        a.severity = sev;
        str_copy_utf8(a.detail, sizeof(a.detail), why);
        for (uint8_t i = 0; i < fi->n_yara; i++)
            if (fi->yara[i].sid == psid) {
                yara_evidence(&a, &fi->yara[i]); /* the YARA rule of the same check agrees: one alert */
                break;
            }
        detect_alert(d, &a, ev->ts_us);
        raised[n_raised++] = psid;
    }
    for (uint8_t i = 0; i < fi->n_yara; i++) {
        const struct files_yara_match *m = &fi->yara[i];
        uint32_t sid = m->sid && detect_sig_find(m->sid) ? m->sid : SID_YARA;
        bool done = false;
        for (unsigned j = 0; j < n_raised; j++)
            done |= raised[j] == sid && sid != SID_YARA;
        if (done)
            continue;
        struct alert_event a;
        file_alert(&a, sid, ev);
        if (m->severity)
            a.severity = m->severity;
        yara_evidence(&a, m);
        str_copy_utf8(a.detail, sizeof(a.detail), "YARA rule matched the file");
        detect_alert(d, &a, ev->ts_us);
        raised[n_raised++] = sid;
    }
}
