/*
 * dcerpc_iface.c - interface UUID -> name and operation table (the table is
 * in dcerpc_opnames.c, with the rule its names follow), opnum -> operation
 * name, and the names of PDU types and fault statuses.
 *
 * Cost: dcerpc_iface_lookup runs once per presentation context of a bind or
 * alter-context, never per request (a request reads the table the context
 * stored); it compares the 16 wire bytes with each table UUID's hex text
 * directly, usually rejecting an entry on its first byte.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"

void dcerpc_uuid_format(const struct dcerpc_uuid *u, char out[37])
{
    const uint8_t *b = u->b;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3], b[2], b[1], b[0],
             b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* the table is lower case; anything else never matches */
}

/* True if the wire UUID is the one the table text spells.  The text prints the
 * first three fields big-endian, the wire carries them little-endian (drep
 * 0x10), so text byte i is wire byte wire_of[i]; text byte i starts at
 * character text_at[i] (the dashes skipped). */
static bool uuid_is(const struct dcerpc_uuid *u, const char *text)
{
    static const uint8_t wire_of[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t text_at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    for (size_t i = 0; i < 16; i++) {
        int hi = hex_digit(text[text_at[i]]), lo = hex_digit(text[text_at[i] + 1]);
        if (hi < 0 || lo < 0 || u->b[wire_of[i]] != (uint8_t)(hi << 4 | lo))
            return false;
    }
    return true;
}

const struct dcerpc_iface_info *dcerpc_iface_lookup(const struct dcerpc_uuid *u)
{
    for (size_t i = 0; i < dcerpc_n_ifaces; i++)
        if (uuid_is(u, dcerpc_ifaces[i].uuid))
            return &dcerpc_ifaces[i].info;
    return NULL;
}

const char *dcerpc_opnum_name(const struct dcerpc_iface_info *i, uint16_t opnum)
{
    if (!i || !i->opnames || opnum >= i->n_opnames)
        return NULL;
    return i->opnames[opnum];
}

const char *dcerpc_ptype_name(uint8_t ptype)
{
    static const char *const names[DCERPC_PTYPE__COUNT] = {
        [DCERPC_REQUEST] = "REQUEST",
        [DCERPC_PING] = "PING",
        [DCERPC_RESPONSE] = "RESPONSE",
        [DCERPC_FAULT] = "FAULT",
        [DCERPC_WORKING] = "WORKING",
        [DCERPC_NOCALL] = "NOCALL",
        [DCERPC_REJECT] = "REJECT",
        [DCERPC_ACK] = "ACK",
        [DCERPC_CL_CANCEL] = "CL_CANCEL",
        [DCERPC_FACK] = "FACK",
        [DCERPC_CANCEL_ACK] = "CANCEL_ACK",
        [DCERPC_BIND] = "BIND",
        [DCERPC_BIND_ACK] = "BINDACK",
        [DCERPC_BIND_NAK] = "BINDNAK",
        [DCERPC_ALTER_CONTEXT] = "ALTER_CONTEXT",
        [DCERPC_ALTER_CONTEXT_RESP] = "ALTER_CONTEXT_RESP",
        [DCERPC_AUTH3] = "AUTH3",
        [DCERPC_SHUTDOWN] = "SHUTDOWN",
        [DCERPC_CO_CANCEL] = "CO_CANCEL",
        [DCERPC_ORPHANED] = "ORPHANED",
    };
    return ptype < DCERPC_PTYPE__COUNT ? names[ptype] : "UNKNOWN";
}

/* Wireshark's names (packet-dcerpc.c authn_protocol_vals, tshark's dcerpc.auth_type) of the MS-RPCE 2.2.1.1.7
 * security providers: 9 RPC_C_AUTHN_GSS_NEGOTIATE, 10 RPC_C_AUTHN_WINNT, 14 RPC_C_AUTHN_GSS_SCHANNEL,
 * 16 RPC_C_AUTHN_GSS_KERBEROS, 68 RPC_C_AUTHN_NETLOGON. */
const char *dcerpc_auth_type_name(uint8_t type)
{
    switch (type) {
    case 0: return "None";
    case 1: return "Kerberos 5";
    case 9: return "SPNEGO";
    case 10: return "NTLMSSP";
    case 14: return "SCHANNEL SSP";
    case 16: return "Kerberos SSP";
    case 17: return "Distributed Password Authentication SSP";
    case 18: return "MSN SSP";
    case 21: return "Digest SSP";
    case 68: return "NETLOGON Secure Channel";
    case 100: return "MSMQ SSP";
    default: return NULL;
    }
}

/* MS-RPCE 2.2.1.1.8 RPC_C_AUTHN_LEVEL_DEFAULT ... RPC_C_AUTHN_LEVEL_PKT_PRIVACY, without the prefix */
const char *dcerpc_auth_level_name(uint8_t level)
{
    static const char *const names[] = {"default", "none", "connect", "call", "pkt", "pkt_integrity", "pkt_privacy"};
    return level < sizeof(names) / sizeof(names[0]) ? names[level] : NULL;
}

/*
 * Fault and reject statuses [C706 Appendix E; MS-RPCE 2.2.2.11].  The names
 * are Wireshark's (packet-dcerpc.c reject_status_vals, tshark's
 * dcerpc.cn_status), so that an event and a tshark decode of the same fault
 * agree; Wireshark writes the C706 names without their "s_" in the reject
 * codes (nca_rpc_version_mismatch, nca_op_rng_error).  Two departures: the
 * codes Wireshark leaves unnamed carry C706's name (0x1c000012, 0x1c000013,
 * 0x1c010001, 0x1c010015), and 0x1c000021 is C706's nca_s_fault_user_defined
 * where Wireshark writes "ncs_s_fault_user_defined".  0x1c000011 and
 * 0x1c00001e are unassigned.  Sorted by code.
 */
static const struct {
    uint32_t code;
    const char *name;
} dcerpc_faults[] = {
    {0x00000001, "nca_s_fault_other"},
    {0x00000005, "nca_s_fault_access_denied"},
    {0x000006d8, "nca_s_fault_cant_perform"},
    {0x000006f7, "nca_s_fault_ndr"},
    {0x00000721, "nca_s_fault_sec_pkg_error"},
    {0x1c000001, "nca_s_fault_int_div_by_zero"},
    {0x1c000002, "nca_s_fault_addr_error"},
    {0x1c000003, "nca_s_fault_fp_div_zero"},
    {0x1c000004, "nca_s_fault_fp_underflow"},
    {0x1c000005, "nca_s_fault_fp_overflow"},
    {0x1c000006, "nca_s_fault_invalid_tag"},
    {0x1c000007, "nca_s_fault_invalid_bound"},
    {0x1c000008, "nca_rpc_version_mismatch"},
    {0x1c000009, "nca_unspec_reject"},
    {0x1c00000a, "nca_s_bad_actid"},
    {0x1c00000b, "nca_who_are_you_failed"},
    {0x1c00000c, "nca_manager_not_entered"},
    {0x1c00000d, "nca_s_fault_cancel"},
    {0x1c00000e, "nca_s_fault_ill_inst"},
    {0x1c00000f, "nca_s_fault_fp_error"},
    {0x1c000010, "nca_s_fault_int_overflow"},
    {0x1c000012, "nca_s_fault_unspec"},
    {0x1c000013, "nca_s_fault_remote_comm_failure"},
    {0x1c000014, "nca_s_fault_pipe_empty"},
    {0x1c000015, "nca_s_fault_pipe_closed"},
    {0x1c000016, "nca_s_fault_pipe_order"},
    {0x1c000017, "nca_s_fault_pipe_discipline"},
    {0x1c000018, "nca_s_fault_pipe_comm_error"},
    {0x1c000019, "nca_s_fault_pipe_memory"},
    {0x1c00001a, "nca_s_fault_context_mismatch"},
    {0x1c00001b, "nca_s_fault_remote_no_memory"},
    {0x1c00001c, "nca_invalid_pres_context_id"},
    {0x1c00001d, "nca_unsupported_authn_level"},
    {0x1c00001f, "nca_invalid_checksum"},
    {0x1c000020, "nca_invalid_crc"},
    {0x1c000021, "nca_s_fault_user_defined"},
    {0x1c000022, "nca_s_fault_tx_open_failed"},
    {0x1c000023, "nca_s_fault_codeset_conv_error"},
    {0x1c000024, "nca_s_fault_object_not_found"},
    {0x1c000025, "nca_s_fault_no_client_stub"},
    {0x1c010001, "nca_s_comm_failure"},
    {0x1c010002, "nca_op_rng_error"},
    {0x1c010003, "nca_unk_if"},
    {0x1c010006, "nca_wrong_boot_time"},
    {0x1c010009, "nca_s_you_crashed"},
    {0x1c01000b, "nca_proto_error"},
    {0x1c010013, "nca_out_args_too_big"},
    {0x1c010014, "nca_server_too_busy"},
    {0x1c010015, "nca_s_fault_string_too_long"},
    {0x1c010017, "nca_unsupported_type"},
};

const char *dcerpc_fault_name(uint32_t status)
{
    size_t lo = 0, hi = sizeof(dcerpc_faults) / sizeof(dcerpc_faults[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dcerpc_faults[mid].code == status)
            return dcerpc_faults[mid].name;
        if (dcerpc_faults[mid].code < status)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
