/*
 * eve_fileinfo.c - the `fileinfo` object (Suricata's filename, sha256, magic,
 * gaps, state, size) plus direction, share and the first 8 bytes in hex.
 * Only 8 bytes: a file's content may be PHI (DICOM), its signature is not.
 * With content scanning on: `scan` (what happened) and `yara` (the names of
 * the rules that matched).
 */
#include "files/files.h"
#include "output/eve_smb.h"

void eve_fileinfo_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct fileinfo_event *f = ev->body;
    if (!f)
        return;
    static const char *const states[] = {"OPEN", "CLOSED", "TRUNCATED", "GAPPED"};
    jw_str(w, "filename", f->filename ? f->filename : "");
    if (f->share)
        jw_str(w, "share", f->share);
    if (f->source)
        jw_str(w, "source", f->source);
    jw_str(w, "direction", f->direction ? "from_server" : "to_server");
    if (f->has_sha256)
        jw_str(w, "sha256", f->sha256);
    jw_str(w, "magic", f->magic ? f->magic : "data");
    jw_u64(w, "size", f->size);
    if (f->max_offset != f->size)
        jw_u64(w, "max_offset", f->max_offset);
    jw_bool(w, "gaps", f->gaps);
    jw_str(w, "state", (unsigned)f->state < 4 ? states[f->state] : "UNKNOWN");
    jw_bool(w, "stored", f->stored);
    if (f->head_len)
        jw_hexbytes(w, "first_bytes", f->head, f->head_len < 8 ? f->head_len : 8);
    if (f->scan != FILES_SCAN_OFF) {
        jw_str(w, "scan", files_scan_state_name(f->scan));
        if (f->n_yara) {
            jw_open_arr(w, "yara");
            for (uint8_t i = 0; i < f->n_yara; i++)
                jw_str(w, NULL, f->yara[i].rule);
            jw_close_arr(w);
        }
    }
}
