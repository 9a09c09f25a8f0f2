/*
 * dcerpc_srvsvc.c - the server service [MS-SRVS]: which shares a client
 * enumerated and what the server said it is.  Share enumeration is how
 * lateral-movement tools (and PsExec-style launchers) find ADMIN$ and C$
 * before they copy a payload; NetrServerGetInfo tells the server's OS
 * version and role, which the asset inventory keeps.
 *
 * Decoded requests (MS-SRVS 3.1.4, opnums):
 *   15 NetrShareEnum, 36 NetrShareEnumSticky:
 *        ServerName [string, unique]; InfoStruct {Level u32; union switch u32;
 *        container pointer}; PreferedMaximumLength u32; ResumeHandle [unique]
 *   16 NetrShareGetInfo:  ServerName [string, unique]; NetName [string]; Level u32
 *   21 NetrServerGetInfo: ServerName [string, unique]; Level u32
 * Decoded responses:
 *   15/36: InfoStruct {Level; switch; pointer -> container {EntriesRead u32;
 *        pointer -> conformant array of SHARE_INFO_<level>}}, then TotalEntries,
 *        ResumeHandle and the NET_API_STATUS
 *   16:  switch u32; pointer -> SHARE_INFO_<level>; status
 *   21:  switch u32; pointer -> SERVER_INFO_100/101/102; status
 *
 * NDR places an array's fixed parts first and every embedded pointer's
 * referent after them, element by element and field by field (C706 14.3.12).
 * The layouts below list a structure's fields: 'S' a [string] wchar_t
 * pointer, 'D' a 32-bit value, 'B' a [size_is] byte pointer (the security
 * descriptor).  The first SRVSVC_MAX_SHARES entries are kept; the status is
 * the stub's last four bytes, so nothing after the kept entries is walked.
 */
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/dcerpc/ndr.h"
#include "core/bytes.h"
#include "core/str.h"

#define LAYOUT_MAX 13 /* fields of SERVER_INFO_102, the longest */

/* SHARE_INFO_x_I [MS-SRVS 2.2.4.22-2.2.4.27]; NULL for a level we do not know. */
static const char *share_layout(uint32_t level)
{
    switch (level) {
    case 0: return "S";             /* netname */
    case 1: return "SDS";           /* netname, type, remark */
    case 2: return "SDSDDDSS";      /* + permissions, max_uses, current_uses, path, passwd */
    case 501: return "SDSD";        /* netname, type, remark, flags */
    case 502: return "SDSDDDSSDB";  /* as 2 + reserved, security_descriptor */
    case 503: return "SDSDDDSSSDB"; /* as 2 + servername, reserved, security_descriptor */
    default: return NULL;
    }
}

/* SERVER_INFO_x [MS-SRVS 2.2.4.40-2.2.4.42]. */
static const char *server_layout(uint32_t level)
{
    switch (level) {
    case 100: return "DS";            /* platform_id, name */
    case 101: return "DSDDDS";        /* + version_major, version_minor, type, comment */
    case 102: return "DSDDDSDDDDDDS"; /* + users, disc, hidden, announce, anndelta, licenses, userpath */
    default: return NULL;
    }
}

/*
 * `count` structures of `layout`: fixed parts, then the referents of the
 * first `keep` ones (the rest are not needed).  values[i][f] receives field f
 * of structure i (a D value, or a pointer's referent id); every string read
 * goes to sink->take() with its structure and field index.
 */
struct ndr_sink {
    void (*take)(void *user, uint32_t idx, size_t field, const char *s, bool truncated);
    void *user;
};

static void ndr_structs(struct ndr *r, const char *layout, uint32_t count, uint32_t keep, uint32_t values[][LAYOUT_MAX],
                        const struct ndr_sink *sink)
{
    size_t nf = strlen(layout);
    if (r->err || nf == 0 || nf > LAYOUT_MAX)
        return;
    ndr_align(r, 4);
    if (r->err || (r->n - r->off) / (4 * nf) < count) {
        r->err = true; /* more structures than bytes: a hostile count */
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        for (size_t f = 0; f < nf; f++) {
            uint32_t v = ndr_u32(r);
            if (i < keep)
                values[i][f] = v;
        }
    for (uint32_t i = 0; i < keep && !r->err; i++)
        for (size_t f = 0; f < nf && !r->err; f++) {
            if (layout[f] == 'D' || values[i][f] == 0)
                continue;
            if (layout[f] == 'B') {
                uint32_t len = ndr_u32(r);
                ndr_skip(r, len);
                continue;
            }
            char s[DCERPC_STR_MAX];
            bool t = false;
            ndr_string(r, true, s, sizeof(s), &t);
            if (!r->err)
                sink->take(sink->user, i, f, s, t);
        }
}

static void take_share(void *user, uint32_t idx, size_t field, const char *s, bool truncated)
{
    struct dcerpc_srvsvc *o = user;
    struct dcerpc_srvsvc_share *sh = &o->shares[idx];
    if (field == 0)
        truncated |= str_copy_utf8(sh->name, sizeof(sh->name), s);
    else if (field == 6)
        truncated |= str_copy_utf8(sh->path, sizeof(sh->path), s);
    o->truncated |= truncated;
}

static void take_server(void *user, uint32_t idx, size_t field, const char *s, bool truncated)
{
    struct dcerpc_srvsvc *o = user;
    (void)idx;
    if (field == 1)
        truncated |= str_copy_utf8(o->server_name, sizeof(o->server_name), s);
    else if (field == 5)
        truncated |= str_copy_utf8(o->comment, sizeof(o->comment), s);
    o->truncated |= truncated;
}

/* Shares of a SHARE_INFO_<level> array (or a single one): names, types and paths kept. */
static void srvsvc_shares(struct ndr *r, uint32_t level, uint32_t count, struct dcerpc_srvsvc *out)
{
    const char *layout = share_layout(level);
    if (!layout)
        return;
    uint32_t keep = count < DCERPC_SRVSVC_MAX_SHARES ? count : DCERPC_SRVSVC_MAX_SHARES;
    uint32_t values[DCERPC_SRVSVC_MAX_SHARES][LAYOUT_MAX];
    memset(values, 0, sizeof(values));
    struct ndr_sink sink = {take_share, out};
    ndr_structs(r, layout, count, keep, values, &sink);
    if (r->err)
        return;
    out->n_shares = keep;
    for (uint32_t i = 0; i < keep; i++)
        if (strlen(layout) > 1) {
            out->shares[i].has_type = true;
            out->shares[i].type = values[i][1];
        }
}

int dcerpc_srvsvc_decode(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_srvsvc *out)
{
    struct ndr r = {stub, n, 0, little_endian, false};
    memset(out, 0, sizeof(*out));
    out->opnum = opnum;
    switch (opnum) {
    case 15: /* NetrShareEnum */
    case 36: /* NetrShareEnumSticky */
        ndr_unique_string(&r, true, out->server, sizeof(out->server), &out->truncated);
        out->level = ndr_u32(&r);
        out->has_level = !r.err;
        break;
    case 16: /* NetrShareGetInfo */
        ndr_unique_string(&r, true, out->server, sizeof(out->server), &out->truncated);
        ndr_string(&r, true, out->share, sizeof(out->share), &out->truncated);
        out->level = ndr_u32(&r);
        out->has_level = !r.err;
        break;
    case 21: /* NetrServerGetInfo */
        ndr_unique_string(&r, true, out->server, sizeof(out->server), &out->truncated);
        out->level = ndr_u32(&r);
        out->has_level = !r.err;
        break;
    default: return -1;
    }
    out->present = true;
    if (r.err)
        out->truncated = true;
    return 0;
}

void dcerpc_srvsvc_decode_response(const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_srvsvc *out)
{
    struct ndr r = {stub, n, 0, little_endian, false};
    if (n < 4)
        return;
    out->has_return = true;
    out->return_code = little_endian ? rd_le32(stub + n - 4) : rd_be32(stub + n - 4);
    /* the last four bytes are the status: the structures end before them */
    r.n = n - 4;
    switch (out->opnum) {
    case 15:
    case 36: {
        uint32_t level = ndr_u32(&r);
        (void)ndr_u32(&r); /* the union's switch, = level */
        if (ndr_u32(&r) == 0 || r.err)
            break; /* no container */
        uint32_t entries = ndr_u32(&r);
        uint32_t array_ref = ndr_u32(&r);
        if (r.err)
            break;
        out->has_entries = true;
        out->entries = entries;
        if (array_ref == 0)
            break;
        uint32_t max_count = ndr_u32(&r);
        if (r.err || max_count != entries) {
            r.err = true;
            break;
        }
        srvsvc_shares(&r, level, entries, out);
        break;
    }
    case 16: {
        uint32_t level = ndr_u32(&r);
        if (ndr_u32(&r) == 0 || r.err)
            break;
        srvsvc_shares(&r, level, 1, out);
        break;
    }
    case 21: {
        uint32_t level = ndr_u32(&r);
        if (ndr_u32(&r) == 0 || r.err)
            break;
        const char *layout = server_layout(level);
        if (!layout)
            break;
        uint32_t values[1][LAYOUT_MAX];
        memset(values, 0, sizeof(values));
        struct ndr_sink sink = {take_server, out};
        ndr_structs(&r, layout, 1, 1, values, &sink);
        if (r.err)
            break;
        out->has_server_info = true;
        out->platform_id = values[0][0];
        if (strlen(layout) >= 6) {
            out->has_version = true;
            out->version_major = values[0][2];
            out->version_minor = values[0][3];
            out->server_type = values[0][4];
        }
        break;
    }
    default: break;
    }
    if (r.err)
        out->truncated = true;
}
