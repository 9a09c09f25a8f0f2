/*
 * eve_smb.c - the `smb` object.  Field names are Suricata's where Suricata has
 * the field (command, status, status_code, dialect, share, named_pipe,
 * share_type, filename, disposition, access, fuid, server_guid, created,
 * accessed, modified, changed, ntlmssp, client_dialects, function, rename),
 * and so are their value formats (GUID strings, DOS error names, FILETIMEs as
 * unix seconds); medsentry's additions are documented in docs/EVE.md.
 */
#include <stdio.h>

#include "app/smb/smb.h"
#include "output/eve_smb.h"

/* Suricata's GUID text: the first three groups little-endian, then bytes 9 8, 11 10 and 15 14 13 12 (not the
 * RFC 4122 order of the last two groups; kept so that values match Suricata's field by field). */
static void guid_str(const uint8_t *g, char out[37])
{
    static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 9, 8, 11, 10, 15, 14, 13, 12};
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[g[order[i]] >> 4];
        out[o++] = hex[g[order[i]] & 15];
    }
    out[o] = '\0';
}

/* FILETIME (100 ns since 1601) to unix seconds; 0 for times before 1970 (an unset time is 0), as Suricata */
static uint64_t filetime_unix(uint64_t ft)
{
    return ft > 116444736000000000ull ? ft / 10000000u - 11644473600ull : 0;
}

static const char *share_type_name(uint8_t t)
{
    switch (t) {
    case SMB_SHARE_DISK: return "FILE";
    case SMB_SHARE_PIPE: return "PIPE";
    case SMB_SHARE_PRINT: return "PRINT";
    default: return NULL;
    }
}

void eve_ntlmssp(struct jw *w, const struct ntlmssp_info *n)
{
    jw_open_obj(w, "ntlmssp");
    jw_str(w, "domain", n->domain);
    jw_str(w, "user", n->user);
    jw_str(w, "host", n->host);
    if (n->has_version) {
        char v[48];
        /* Suricata's format: "10.0 build 10586 rev 15" [MS-NLMP 2.2.2.10] */
        snprintf(v, sizeof(v), "%u.%u build %u rev %u", n->ver_major, n->ver_minor, n->ver_build, n->ver_revision);
        jw_str(w, "version", v);
    }
    if (n->anonymous)
        jw_bool(w, "anonymous", true);
    jw_close_obj(w);
}

void eve_smb_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct smb_event *s = ev->body;
    if (!s)
        return;
    jw_u64(w, "version", s->version);
    if (s->dialect)
        jw_str(w, "dialect", s->dialect);
    jw_str(w, "command", s->command_name ? s->command_name : "UNKNOWN");
    if (s->has_status && s->dos_error) {
        /* SMB1 ErrorClass (low byte) and ErrorCode (high 16 bits): Suricata's name, code as 0x%04x */
        char name[32], hex[16];
        uint16_t code = (uint16_t)(s->status >> 16);
        jw_str(w, "status", smb1_dos_error_name((uint8_t)s->status, code, name, sizeof(name)));
        snprintf(hex, sizeof(hex), "0x%04x", code);
        jw_str(w, "status_code", hex);
        /* status_code alone does not tell SRV 5 (ERRinvtid) from DOS 5 (ERRnoaccess) [MS-CIFS 2.2.2.4] */
        uint8_t cls = (uint8_t)s->status;
        if (cls == 0x01 || cls == 0x02 || cls == 0x03 || cls == 0xff)
            jw_str(w, "error_class",
                   cls == 0x01   ? "ERRDOS"
                   : cls == 0x02 ? "ERRSRV"
                   : cls == 0x03 ? "ERRHRD"
                                 : "ERRCMD");
        else
            jw_u64(w, "error_class", cls);
    } else if (s->has_status) {
        const char *sn = smb_status_name(s->status);
        char hex[16];
        snprintf(hex, sizeof(hex), "0x%x", s->status);
        jw_str(w, "status", sn ? sn : hex);
        jw_str(w, "status_code", hex);
    }
    jw_u64(w, "msg_id", s->msg_id);
    jw_u64(w, "session_id", s->session_id);
    jw_u64(w, "tree_id", s->tree_id);

    if (s->n_client_dialects) {
        jw_open_arr(w, "client_dialects");
        for (size_t i = 0; i < s->n_client_dialects; i++)
            jw_str(w, NULL, s->client_dialects[i]);
        jw_close_arr(w);
    }
    if (s->has_security_mode) {
        jw_bool(w, "signing_enabled", s->security_mode & 1);
        jw_bool(w, "signing_required", (s->security_mode & 2) != 0);
        jw_hex32(w, "capabilities", s->capabilities);
    }
    if (s->server_guid) {
        char g[37];
        guid_str(s->server_guid, g);
        jw_str(w, "server_guid", g);
    }
    if (s->ntlmssp)
        eve_ntlmssp(w, s->ntlmssp);
    if (s->kerberos)
        jw_bool(w, "kerberos", true);
    if (s->session_flags) {
        jw_bool(w, "session_guest", s->session_flags & 1);
        jw_bool(w, "session_encrypted", (s->session_flags & 4) != 0);
    }
    /* Suricata's layout: smb.request.native_os/native_lm, smb.response.native_os/native_lm */
    if (s->req_native_os || s->req_native_lm) {
        jw_open_obj(w, "request");
        jw_str(w, "native_os", s->req_native_os ? s->req_native_os : "");
        jw_str(w, "native_lm", s->req_native_lm ? s->req_native_lm : "");
        jw_close_obj(w);
    }
    if (s->resp_native_os || s->resp_native_lm) {
        jw_open_obj(w, "response");
        jw_str(w, "native_os", s->resp_native_os ? s->resp_native_os : "");
        jw_str(w, "native_lm", s->resp_native_lm ? s->resp_native_lm : "");
        jw_close_obj(w);
    }
    if (s->share) {
        jw_str(w, "share", s->share);
        if (s->share_type == SMB_SHARE_PIPE && s->command == SMB2_TREE_CONNECT && s->version == 2)
            jw_str(w, "named_pipe", s->share);
    }
    if (share_type_name(s->share_type))
        jw_str(w, "share_type", share_type_name(s->share_type));
    if (s->filename)
        jw_str(w, "filename", s->filename);
    if (s->subcommand)
        jw_str(w, "subcommand", s->subcommand);
    if (s->has_info_level)
        jw_u64(w, "info_level", s->info_level);
    if (s->has_create) {
        jw_str(w, "disposition", smb2_disposition_name(s->disposition));
        if (s->legacy_open) {
            jw_hex32(w, "access_mode", s->access_mode);
            jw_hex32(w, "open_function", s->open_function);
        } else {
            jw_hex32(w, "desired_access", s->desired_access);
            jw_hex32(w, "create_options", s->create_options);
        }
        if (s->has_status && s->status == 0) {
            jw_u64(w, "create_action", s->create_action);
            if (s->has_times) {
                jw_u64(w, "created", filetime_unix(s->created));
                jw_u64(w, "accessed", filetime_unix(s->accessed));
                jw_u64(w, "modified", filetime_unix(s->modified));
                jw_u64(w, "changed", filetime_unix(s->changed));
            }
            jw_u64(w, "size", s->size);
        }
    }
    if (s->filename || s->has_create)
        jw_str(w, "access", s->delete_on_close ? "delete on close" : "normal");
    if (s->fid && s->fid_len == 16) {
        char g[37];
        guid_str(s->fid, g);
        jw_str(w, "fuid", g);
    } else if (s->fid && s->fid_len == 2) {
        char f[5];
        snprintf(f, sizeof(f), "%02x%02x", s->fid[1], s->fid[0]); /* the SMB1 FID as a 16-bit number */
        jw_str(w, "fuid", f);
    } else if (s->fid && s->fid_len) {
        jw_hexbytes(w, "fuid", s->fid, s->fid_len);
    }
    if (s->has_rw) {
        jw_open_obj(w, "io");
        jw_u64(w, "reads", s->reads);
        jw_u64(w, "bytes_read", s->bytes_read);
        jw_u64(w, "writes", s->writes);
        jw_u64(w, "bytes_written", s->bytes_written);
        jw_close_obj(w);
    }
    if (s->has_ioctl) {
        const char *fn = smb_fsctl_name(s->ioctl_code);
        if (fn)
            jw_str(w, "function", fn);
        jw_hex32(w, "ioctl_code", s->ioctl_code);
    }
    if (s->has_set_info) {
        jw_open_obj(w, "set_info");
        jw_u64(w, "type", s->info_type);
        jw_u64(w, "class", s->info_class);
        jw_close_obj(w);
    }
    if (s->rename_to) {
        jw_open_obj(w, "rename");
        if (s->filename)
            jw_str(w, "from", s->filename);
        jw_str(w, "to", s->rename_to);
        jw_close_obj(w);
    }
    if (s->delete_pending)
        jw_bool(w, "delete_pending", true);
    if (s->encrypted || s->compressed) {
        jw_bool(w, "encrypted", s->encrypted);
        jw_bool(w, "compressed", s->compressed);
        jw_u64(w, "transform_records", s->transform_records);
    }
}
