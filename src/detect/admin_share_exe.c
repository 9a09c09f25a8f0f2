/*
 * admin_share_exe.c - KWAMPIRS.md §7.5: an executable written to an admin share.
 *
 * Kwampirs copies itself to ADMIN$ and C$\WINDOWS (P1, P2; S2, S6); PsExec and
 * its clones upload their service binary the same way.  The file tracker's
 * `fileinfo` event for data written to the server (direction 0) gives the share
 * path, the file name, its first bytes and SHA-256, for SMB1 and SMB2/3 alike.
 * The file is an executable when its first bytes are a PE ("MZ") or ELF
 * ("\x7fELF") header: the magic, not the name, decides.  Sources listed in
 * detect.allow.admin-hosts (software distribution, IT) are not reported.  Each
 * reported write is also a step of the chain (chain.c) and of the fan-out
 * count (propagation_fanout.c).
 */
#include <string.h>

#include "core/str.h"
#include "detect/detect_int.h"
#include "files/files.h"
#include "flow/flow.h"

static bool is_executable(const uint8_t *p, size_t n)
{
    return (n >= 2 && p[0] == 'M' && p[1] == 'Z') || (n >= 4 && memcmp(p,
                                                                       "\x7f"
                                                                       "ELF",
                                                                       4) == 0);
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '\\');
    const char *f = strrchr(path, '/');
    if (f && (!b || f > b))
        b = f;
    return b ? b + 1 : path;
}

void det_admin_share_exe(struct detect_ctx *d, const struct event *ev)
{
    const struct fileinfo_event *fi = ev->body;
    if (!ev->flow || fi->direction != 0 || !detect_is_admin_share(fi->share) || !is_executable(fi->head, fi->head_len))
        return;
    if (detect_net_match(&d->admin, &ev->flow->client)) {
        d->stats.allowlisted++;
        return;
    }
    struct alert_event a;
    alert_init(&a, SID_ADMIN_SHARE_EXE, ev);
    str_copy_utf8(a.share, sizeof(a.share), fi->share);
    str_copy_utf8(a.filename, sizeof(a.filename), fi->filename ? fi->filename : "");
    if (fi->has_sha256)
        memcpy(a.sha256, fi->sha256, sizeof(a.sha256));
    str_copy_utf8(a.magic, sizeof(a.magic), fi->magic ? fi->magic : "");
    a.count = 1;
    if (detect_net_match(&d->imaging, &ev->flow->server))
        str_copy_utf8(a.detail, sizeof(a.detail), "destination is in detect.zones.imaging");
    detect_alert(d, &a, ev->ts_us);
    det_chain_step(d, &a);
    det_fanout_step(d, &a, fi->has_sha256 ? fi->sha256 : base_name(a.filename));
}

/* KWAMPIRS.md §7.2 for files: a file whose SHA-256 or base name is on an indicator list (rules/), in
 * either direction, on any share.  Kwampirs inserts random bytes into every copy (§3), so hashes of its
 * own payload have little value; the lists are for what a team adds from its own incidents. */
void det_file_indicator(struct detect_ctx *d, const struct event *ev)
{
    const struct fileinfo_event *fi = ev->body;
    const struct ioc_entry *hit = NULL;
    uint32_t sid = 0;
    enum ioc_type type = IOC_SHA256;
    if (fi->has_sha256 && (hit = rules_match(&d->rules, IOC_SHA256, fi->sha256)) != NULL)
        sid = SID_FILE_SHA256;
    else if (fi->filename && (hit = rules_match(&d->rules, IOC_FILENAME, base_name(fi->filename))) != NULL) {
        sid = SID_FILE_NAME;
        type = IOC_FILENAME;
    }
    if (!hit)
        return;
    struct alert_event a;
    alert_init(&a, sid, ev);
    str_copy_utf8(a.share, sizeof(a.share), fi->share ? fi->share : "");
    str_copy_utf8(a.filename, sizeof(a.filename), fi->filename ? fi->filename : "");
    if (fi->has_sha256)
        memcpy(a.sha256, fi->sha256, sizeof(a.sha256));
    str_copy_utf8(a.magic, sizeof(a.magic), fi->magic ? fi->magic : "");
    str_copy_utf8(a.indicator, sizeof(a.indicator), hit->value);
    str_copy_utf8(a.indicator_type, sizeof(a.indicator_type), ioc_type_name(type));
    str_copy_utf8(a.indicator_list, sizeof(a.indicator_list), rules_list_name(&d->rules, hit->list));
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);
}
