/*
 * exe_imaging.c - KWAMPIRS.md §7.10: an executable moved to or from an
 * imaging host.
 *
 * A file over SMB (written or read) or HTTP (request or response body) whose
 * first bytes are a PE ("MZ" with "PE\0\0" at e_lfanew, which the file
 * tracker collects wherever it is) or an ELF header, on a flow whose client
 * or server is in detect.zones.imaging.  Modalities and PACS rarely receive
 * programs outside vendor patches; MEDJACK (§5.2) and Silver Fox's trojanised
 * viewers (§5.6) arrived that way.  Not reported here:
 *  - a flow with an endpoint in detect.allow.admin-hosts (software
 *    distribution, vendor support: §7.10's vendor allowlist), counted as
 *    allowlisted;
 *  - a write to an admin share, which 9300050 reports (its detail says when
 *    the target is an imaging host), unless its source is allowlisted (then
 *    neither is reported);
 *  - a PE/ELF-DICOM polyglot, which 9300110/9300111 report.
 * Change windows (§7.10) are not modelled.  Severity 2.
 */
#include <string.h>

#include "core/str.h"
#include "detect/detect_int.h"
#include "files/files.h"
#include "flow/flow.h"

void det_exe_imaging(struct detect_ctx *d, const struct event *ev)
{
    const struct fileinfo_event *fi = ev->body;
    const struct flow *f = ev->flow;
    if (!f || !d->imaging.n)
        return;
    bool pe = fi->head_len >= 2 && fi->head[0] == 'M' && fi->head[1] == 'Z' && fi->pe_sig == FILES_PE_VALID;
    bool elf = fi->head_len >= 4 && memcmp(fi->head,
                                           "\x7f"
                                           "ELF",
                                           4) == 0;
    if (!pe && !elf)
        return;
    bool cli_img = detect_net_match(&d->imaging, &f->client), srv_img = detect_net_match(&d->imaging, &f->server);
    if (!cli_img && !srv_img)
        return;
    if (fi->head_len >= 132 && memcmp(fi->head + 128, "DICM", 4) == 0)
        return; /* a polyglot: detection 11 */
    if (detect_net_match(&d->admin, &f->client) || detect_net_match(&d->admin, &f->server)) {
        d->stats.allowlisted++;
        return;
    }
    if (fi->direction == 0 && detect_is_admin_share(fi->share))
        return; /* 9300050 */
    struct alert_event a;
    alert_init(&a, SID_EXE_IMAGING, ev);
    str_copy_utf8(a.share, sizeof(a.share), fi->share ? fi->share : "");
    str_copy_utf8(a.filename, sizeof(a.filename), fi->filename ? fi->filename : "");
    if (fi->has_sha256)
        memcpy(a.sha256, fi->sha256, sizeof(a.sha256));
    str_copy_utf8(a.magic, sizeof(a.magic), fi->magic ? fi->magic : "");
    a.file_direction = fi->direction ? "from_server" : "to_server";
    a.count = 1;
    /* where the file went: to the server (a write, an upload) or to the client (a read, a download) */
    bool to_imaging = fi->direction ? cli_img : srv_img;
    str_copy_utf8(a.detail, sizeof(a.detail),
                  to_imaging ? (cli_img && srv_img ? "executable between two imaging hosts"
                                                   : "executable moved to an imaging host")
                             : "executable moved from an imaging host");
    detect_alert(d, &a, ev->ts_us);
}
