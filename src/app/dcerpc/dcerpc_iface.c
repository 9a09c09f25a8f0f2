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

const char *dcerpc_fault_name(uint32_t status)
{
    switch (status) {
    case 0x00000005: return "access_denied";
    case 0x000006d8: return "nca_s_fault_cant_perform";
    case 0x1c010002: return "nca_op_rng_error";
    case 0x1c010003: return "nca_unk_if";
    case 0x1c010006: return "nca_wrong_boot_time";
    case 0x1c010009: return "nca_s_you_crashed";
    case 0x1c01000b: return "nca_proto_error";
    case 0x1c010013: return "nca_out_args_too_big";
    case 0x1c010014: return "nca_server_too_busy";
    case 0x1c010017: return "nca_unsupported_type";
    case 0x1c000001: return "nca_s_fault_int_div_by_zero";
    case 0x1c000003: return "nca_s_fault_addr_error";
    case 0x1c00000c: return "nca_s_fault_invalid_tag";
    case 0x1c00000d: return "nca_s_fault_invalid_bound";
    case 0x1c00000f: return "nca_s_fault_cancel";
    case 0x1c000011: return "nca_s_fault_context_mismatch";
    case 0x1c000012: return "nca_s_fault_remote_no_memory";
    case 0x1c000015: return "nca_s_fault_ndr";
    case 0x1c00001a: return "nca_s_fault_unspec";
    case 0x00000721: return "rpc_s_sec_pkg_error";
    case 0x000006f7: return "rpc_x_bad_stub_data";
    default: return NULL;
    }
}
