/*
 * dcerpc_ndr.c - a bounded NDR (C706 14) reader and the stub decoders for
 * service control [MS-SCMR 3.1.4] and task scheduling [MS-TSCH 3.2.5].
 *
 * NDR as used here: primitives aligned to their size from the start of the
 * stub; a top-level [unique] pointer is a 4-byte referent id (0 = NULL)
 * followed by its pointee in place; a [string] wchar_t* is a conformant
 * varying array: max_count u32, offset u32, actual_count u32, then
 * actual_count UTF-16 units (NUL included).  Every count is checked against
 * the bytes left before it is used; nothing is recursive.
 *
 *   RCreateServiceW (opnum 12), in order:
 *     hSCManager            context handle, 20 bytes
 *     lpServiceName         [string] (ref)
 *     lpDisplayName         [string, unique]
 *     dwDesiredAccess, dwServiceType, dwStartType, dwErrorControl   u32 x 4
 *     lpBinaryPathName      [string] (ref)
 *     lpLoadOrderGroup      [string, unique]
 *     lpdwTagId             [unique] u32
 *     lpDependencies        [unique, size_is(dwDependSize)] bytes; dwDependSize u32
 *     lpServiceStartName    [string, unique]
 *     lpPassword            [unique, size_is(dwPwSize)] bytes -- never copied; dwPwSize u32
 *   RCreateServiceA (24) is the same with 8-bit strings.
 */
#include <stdio.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/dcerpc/ndr.h"
#include "app/smb/utf16.h"
#include "core/bytes.h"

void ndr_align(struct ndr *r, size_t a)
{
    size_t pad = (a - (r->off % a)) % a;
    if (r->n - r->off < pad)
        r->err = true;
    else
        r->off += pad;
}

uint32_t ndr_u32(struct ndr *r)
{
    ndr_align(r, 4);
    if (r->err || r->n - r->off < 4) {
        r->err = true;
        return 0;
    }
    const uint8_t *q = r->p + r->off;
    r->off += 4;
    return r->le ? rd_le32(q) : rd_be32(q);
}

void ndr_skip(struct ndr *r, size_t k)
{
    if (r->err || r->n - r->off < k)
        r->err = true;
    else
        r->off += k;
}

void ndr_string(struct ndr *r, bool wide, char *out, size_t cap, bool *trunc)
{
    out[0] = '\0';
    uint32_t max = ndr_u32(r);
    uint32_t offset = ndr_u32(r);
    uint32_t actual = ndr_u32(r);
    if (r->err)
        return;
    if (actual > max || offset != 0) {
        r->err = true;
        return;
    }
    size_t unit = wide ? 2 : 1;
    if ((size_t)actual > (r->n - r->off) / unit) {
        r->err = true;
        return;
    }
    size_t bytes = (size_t)actual * unit;
    bool t = false;
    if (wide && r->le) {
        utf16le_to_utf8(r->p + r->off, bytes, out, cap, &t);
    } else if (wide) {
        /* big-endian NDR: swap into a bounded scratch, then convert */
        uint8_t tmp[2 * DCERPC_STR_MAX];
        size_t k = bytes < sizeof(tmp) ? bytes : sizeof(tmp);
        for (size_t i = 0; i + 1 < k; i += 2) {
            tmp[i] = r->p[r->off + i + 1];
            tmp[i + 1] = r->p[r->off + i];
        }
        utf16le_to_utf8(tmp, k, out, cap, &t);
        t = t || k < bytes;
    } else {
        ascii_copy(r->p + r->off, bytes, out, cap);
        t = bytes >= cap;
    }
    if (t && trunc)
        *trunc = true;
    r->off += bytes;
}

/* An SC_RPC_HANDLE (NDR context handle, 20 opaque bytes) kept in out. */
static void ndr_handle(struct ndr *r, struct dcerpc_svcctl *out)
{
    if (r->err || r->n - r->off < DCERPC_CTX_HANDLE_LEN) {
        r->err = true;
        return;
    }
    memcpy(out->handle, r->p + r->off, DCERPC_CTX_HANDLE_LEN);
    out->has_handle = true;
    r->off += DCERPC_CTX_HANDLE_LEN;
}

void ndr_unique_string(struct ndr *r, bool wide, char *out, size_t cap, bool *trunc)
{
    out[0] = '\0';
    if (ndr_u32(r) != 0)
        ndr_string(r, wide, out, cap, trunc);
}

/* [unique, size_is(n)] byte array: referent, then max_count and the bytes (skipped). */
void ndr_unique_bytes_skip(struct ndr *r)
{
    if (ndr_u32(r) == 0)
        return;
    uint32_t cnt = ndr_u32(r);
    ndr_skip(r, cnt);
}

int dcerpc_svcctl_decode(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_svcctl *out)
{
    struct ndr r = {stub, n, 0, little_endian, false};
    memset(out, 0, sizeof(*out));
    out->opnum = opnum;
    bool wide = true;
    char scratch[DCERPC_STR_MAX];
    switch (opnum) {
    case 24: /* RCreateServiceA */
        wide = false;
        /* fallthrough */
    case 12: /* RCreateServiceW */
        ndr_handle(&r, out);
        ndr_string(&r, wide, out->service_name, sizeof(out->service_name), &out->truncated);
        ndr_unique_string(&r, wide, out->display_name, sizeof(out->display_name), &out->truncated);
        out->access = ndr_u32(&r);
        out->service_type = ndr_u32(&r);
        out->start_type = ndr_u32(&r);
        out->error_control = ndr_u32(&r);
        out->has_access = out->has_type = out->has_start = out->has_error = !r.err;
        ndr_string(&r, wide, out->binary_path, sizeof(out->binary_path), &out->truncated);
        ndr_unique_string(&r, wide, scratch, sizeof(scratch), NULL); /* lpLoadOrderGroup */
        if (ndr_u32(&r) != 0)                                        /* lpdwTagId */
            (void)ndr_u32(&r);
        ndr_unique_bytes_skip(&r); /* lpDependencies */
        (void)ndr_u32(&r);         /* dwDependSize */
        ndr_unique_string(&r, wide, out->start_name, sizeof(out->start_name), &out->truncated);
        /* lpPassword and dwPwSize follow: deliberately not read */
        break;
    case 27: /* ROpenSCManagerA */
        wide = false;
        /* fallthrough */
    case 15: /* ROpenSCManagerW */
        ndr_unique_string(&r, wide, out->machine, sizeof(out->machine), &out->truncated);
        ndr_unique_string(&r, wide, out->database, sizeof(out->database), &out->truncated);
        out->access = ndr_u32(&r);
        out->has_access = !r.err;
        break;
    case 28: /* ROpenServiceA */
        wide = false;
        /* fallthrough */
    case 16: /* ROpenServiceW */
        ndr_handle(&r, out);
        ndr_string(&r, wide, out->service_name, sizeof(out->service_name), &out->truncated);
        out->access = ndr_u32(&r);
        out->has_access = !r.err;
        break;
    case 19: /* RStartServiceW */
    case 31: /* RStartServiceA */
        ndr_handle(&r, out);
        out->argc = ndr_u32(&r);
        out->has_argc = !r.err;
        break;
    case 1: /* RControlService */
        ndr_handle(&r, out);
        out->control = ndr_u32(&r);
        out->has_control = !r.err;
        break;
    case 0:  /* RCloseServiceHandle */
    case 2:  /* RDeleteService */
    case 4:  /* RQueryServiceObjectSecurity */
    case 5:  /* RSetServiceObjectSecurity */
    case 6:  /* RQueryServiceStatus */
    case 13: /* REnumDependentServicesW */
    case 14: /* REnumServicesStatusW (an SCM handle) */
    case 17: /* RQueryServiceConfigW */
    case 25: /* REnumDependentServicesA */
    case 26: /* REnumServicesStatusA */
    case 29: /* RQueryServiceConfigA */
    case 36: /* RChangeServiceConfig2A */
    case 37: /* RChangeServiceConfig2W */
    case 38: /* RQueryServiceConfig2A */
    case 39: /* RQueryServiceConfig2W */
    case 40: /* RQueryServiceStatusEx */
    case 41: /* REnumServicesStatusExA */
    case 42: /* REnumServicesStatusExW */
        /* operations on a handle whose other arguments do not matter to detection */
        ndr_handle(&r, out);
        break;
    case 23: /* RChangeServiceConfigA */
        wide = false;
        /* fallthrough */
    case 11: /* RChangeServiceConfigW */
        ndr_handle(&r, out);
        out->service_type = ndr_u32(&r);
        out->start_type = ndr_u32(&r);
        out->error_control = ndr_u32(&r);
        out->has_type = out->has_start = out->has_error = !r.err;
        ndr_unique_string(&r, wide, out->binary_path, sizeof(out->binary_path), &out->truncated);
        ndr_unique_string(&r, wide, scratch, sizeof(scratch), NULL);
        if (ndr_u32(&r) != 0)
            (void)ndr_u32(&r);
        ndr_unique_bytes_skip(&r);
        (void)ndr_u32(&r);
        ndr_unique_string(&r, wide, out->start_name, sizeof(out->start_name), &out->truncated);
        ndr_unique_bytes_skip(&r); /* lpPassword: skipped, never copied */
        (void)ndr_u32(&r);
        ndr_unique_string(&r, wide, out->display_name, sizeof(out->display_name), &out->truncated);
        break;
    default: return -1;
    }
    out->present = true;
    if (r.err)
        out->truncated = true;
    return 0;
}

bool dcerpc_svcctl_response_handle(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian,
                                   uint8_t handle[DCERPC_CTX_HANDLE_LEN])
{
    struct ndr r = {stub, n, 0, little_endian, false};
    switch (opnum) {
    case 15: /* ROpenSCManagerW: lpScHandle, return */
    case 27: /* ROpenSCManagerA */
    case 16: /* ROpenServiceW: lpServiceHandle, return */
    case 28: /* ROpenServiceA */ break;
    case 12: /* RCreateServiceW: lpdwTagId [in, out, unique], lpServiceHandle, return */
    case 24: /* RCreateServiceA */
        if (ndr_u32(&r) != 0)
            (void)ndr_u32(&r);
        break;
    default: return false;
    }
    if (r.err || n - r.off < DCERPC_CTX_HANDLE_LEN + 4)
        return false;
    memcpy(handle, stub + r.off, DCERPC_CTX_HANDLE_LEN);
    return true;
}

/* Copies the text between <tag> and </tag> of xml into out. */
static void xml_element(const char *xml, const char *tag, char *out, size_t cap)
{
    char open[32], close[32];
    out[0] = '\0';
    int a = snprintf(open, sizeof(open), "<%s>", tag);
    int b = snprintf(close, sizeof(close), "</%s>", tag);
    if (a <= 0 || b <= 0)
        return;
    const char *s = strstr(xml, open);
    if (!s)
        return;
    s += a;
    const char *e = strstr(s, close);
    if (!e)
        return;
    size_t l = (size_t)(e - s);
    if (l >= cap)
        l = cap - 1;
    memcpy(out, s, l);
    out[l] = '\0';
}

int dcerpc_atsvc_decode(bool is_tsch, uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian,
                        struct dcerpc_atsvc *out)
{
    struct ndr r = {stub, n, 0, little_endian, false};
    memset(out, 0, sizeof(*out));
    if (!is_tsch && opnum == 0) {
        /* NetrJobAdd: ServerName [string, unique]; AT_INFO {JobTime u32, DaysOfMonth u32, DaysOfWeek u8,
         * Flags u8, Command [string, unique] (embedded: referent here, string deferred after the struct)} */
        char server[128];
        ndr_unique_string(&r, true, server, sizeof(server), NULL);
        (void)ndr_u32(&r);
        (void)ndr_u32(&r);
        ndr_skip(&r, 2);
        uint32_t ref = ndr_u32(&r);
        if (ref)
            ndr_string(&r, true, out->command, sizeof(out->command), NULL);
        out->present = true;
        return 0;
    }
    if (is_tsch && opnum == 1) {
        /* SchRpcRegisterTask: path [string, unique], xml [string], flags, sddl, logonType, ... */
        ndr_unique_string(&r, true, out->task_path, sizeof(out->task_path), NULL);
        char xml[4096];
        ndr_string(&r, true, xml, sizeof(xml), NULL);
        xml_element(xml, "Command", out->command, sizeof(out->command));
        xml_element(xml, "Arguments", out->arguments, sizeof(out->arguments));
        out->present = true;
        return 0;
    }
    return -1;
}
