/*
 * smb1_policy.c - KWAMPIRS.md §7.21 (policy part): SMB1 spoken on the network.
 *
 * Kwampirs' share copying is "viable for ... older operating systems, such as
 * Windows XP" (§2.1 P1); MEDJACK.2 reached imaging workstations through
 * MS08-067 (§5.2), and WannaCry through SMB1 (§5.6).  A successful SMB1
 * NEGOTIATE (the server answered in SMB1 with an SMB1 dialect) is reported once
 * per client/server pair per detect.smb1.interval, at low severity: it is
 * hygiene, not an attack.  The exploitation markers of §7.21 (MS08-067 path
 * traversal, MS17-010 Trans2 anomalies) are not implemented yet.
 */
#include <string.h>

#include "app/smb/smb.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define SMB1_COMMAND_NEGOTIATE 0x72

struct smb1_entry {
    struct dentry e;
    uint64_t reported_us;
};
_Static_assert(sizeof(struct smb1_entry) <= DETECT_SMB1_ENTRY_SIZE, "smb1 entry too large");

void det_smb1_policy(struct detect_ctx *d, const struct event *ev)
{
    const struct smb_event *e = ev->body;
    if (!ev->flow || e->version != 1 || e->command != SMB1_COMMAND_NEGOTIATE || !e->has_status || e->status != 0 ||
        !e->dialect || strncmp(e->dialect, "SMB 2", 5) == 0)
        return;
    struct dkey k = {.a = ev->flow->client, .b = ev->flow->server};
    struct smb1_entry *s = dtable_get(d, &d->smb1, &k, true);
    if (!s || (s->reported_us && ev->ts_us < s->reported_us + (uint64_t)d->cfg.smb1_interval * 1000000))
        return;
    s->reported_us = ev->ts_us;
    struct alert_event a;
    alert_init(&a, SID_SMB1, ev);
    str_copy_utf8(a.detail, sizeof(a.detail), e->dialect);
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);
}
