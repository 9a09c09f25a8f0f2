/*
 * dicom_dimse.c - DIMSE command sets (PS3.7 section 9.3 and 10.3, Annex E)
 * and the names of command fields and statuses (PS3.7 Annex C).
 *
 * A command set is always Implicit VR Little Endian (PS3.7 6.3.1), group 0000
 * only, elements in ascending tag order:
 *
 *   0         2         4                   8
 *   +---------+---------+-------------------+-------------
 *   | group   | element | value length      | value ...
 *   | LE u16  | LE u16  | LE u32            |
 *   +---------+---------+-------------------+-------------
 *
 * Elements this file reads (PS3.7 Table E.1-1):
 *   (0000,0002) Affected SOP Class UID    (0000,0003) Requested SOP Class UID
 *   (0000,0100) Command Field             (0000,0110) Message ID
 *   (0000,0120) Message ID Being Responded To
 *   (0000,0600) Move Destination          (0000,0700) Priority
 *   (0000,0800) Command Data Set Type (0x0101 = no data set follows)
 *   (0000,0900) Status                    (0000,0902) Error Comment
 *   (0000,1000) Affected SOP Instance UID (0000,1001) Requested SOP Instance UID
 *   (0000,1002) Event Type ID             (0000,1008) Action Type ID
 *   (0000,1020..1023) Remaining / Completed / Failed / Warning sub-operations
 *   (0000,1030) Move Originator AE Title  (0000,1031) Move Originator Message ID
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/bytes.h"

static void copy_text(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == 0))
        n--;
    size_t a = 0;
    while (a < n && v[a] == ' ')
        a++;
    size_t m = n - a;
    if (m > cap - 1)
        m = cap - 1;
    const void *nul = memchr(v + a, 0, m);
    if (nul)
        m = (size_t)((const uint8_t *)nul - (v + a));
    memcpy(dst, v + a, m);
    dst[m] = 0;
}

bool dicom_parse_command(struct dicom_cmd *cmd, const uint8_t *p, size_t len, const char **why)
{
    memset(cmd, 0, sizeof(*cmd));
    *why = NULL;
    struct br b = br_init(p, len);
    while (br_left(&b) > 0) {
        uint16_t group = br_le16(&b);
        uint16_t elem = br_le16(&b);
        uint32_t vlen = br_le32(&b);
        if (b.err) {
            *why = "command set ends inside an element header";
            return false;
        }
        if (group != 0x0000) {
            *why = "element outside group 0000 in a command set";
            return false;
        }
        const uint8_t *v = br_take(&b, vlen);
        if (!v) {
            *why = "command element length runs past the command set";
            return false;
        }
        cmd->n_elements++;
        uint16_t us = vlen >= 2 ? rd_le16(v) : 0;
        bool has_us = vlen >= 2;
        switch (elem) {
        case 0x0002: dicom_uid_copy(cmd->affected_sop_class, v, vlen); break;
        case 0x0003: dicom_uid_copy(cmd->requested_sop_class, v, vlen); break;
        case 0x0100:
            cmd->command_field = us;
            cmd->has_command_field = has_us;
            break;
        case 0x0110:
            cmd->msg_id = us;
            cmd->has_msg_id = has_us;
            break;
        case 0x0120:
            cmd->msg_id_rsp = us;
            cmd->has_msg_id_rsp = has_us;
            break;
        case 0x0600: copy_text(cmd->move_destination, sizeof(cmd->move_destination), v, vlen); break;
        case 0x0700:
            cmd->priority = us;
            cmd->has_priority = has_us;
            break;
        case 0x0800:
            cmd->dataset_type = us;
            cmd->has_dataset_type = has_us;
            break;
        case 0x0900:
            cmd->status = us;
            cmd->has_status = has_us;
            break;
        case 0x0902: copy_text(cmd->error_comment, sizeof(cmd->error_comment), v, vlen); break;
        case 0x1000: dicom_uid_copy(cmd->affected_sop_instance, v, vlen); break;
        case 0x1001: dicom_uid_copy(cmd->requested_sop_instance, v, vlen); break;
        case 0x1002:
            cmd->event_type_id = us;
            cmd->has_event_type_id = has_us;
            break;
        case 0x1008:
            cmd->action_type_id = us;
            cmd->has_action_type_id = has_us;
            break;
        case 0x1020:
            cmd->remaining = us;
            cmd->has_remaining = has_us;
            break;
        case 0x1021:
            cmd->completed = us;
            cmd->has_completed = has_us;
            break;
        case 0x1022:
            cmd->failed = us;
            cmd->has_failed = has_us;
            break;
        case 0x1023:
            cmd->warning = us;
            cmd->has_warning = has_us;
            break;
        case 0x1030: copy_text(cmd->move_originator, sizeof(cmd->move_originator), v, vlen); break;
        case 0x1031:
            cmd->move_orig_msg_id = us;
            cmd->has_move_orig_msg_id = has_us;
            break;
        default: break;
        }
    }
    if (!cmd->has_command_field) {
        *why = "command set without a Command Field (0000,0100)";
        return false;
    }
    return true;
}

/* PS3.7 Table E.1-1, Command Field values. */
static const struct {
    uint16_t field;
    const char *name;
} commands[] = {
    {0x0000, NULL},
    {0x0001, "C-STORE-RQ"},
    {0x8001, "C-STORE-RSP"},
    {0x0010, "C-GET-RQ"},
    {0x8010, "C-GET-RSP"},
    {0x0020, "C-FIND-RQ"},
    {0x8020, "C-FIND-RSP"},
    {0x0021, "C-MOVE-RQ"},
    {0x8021, "C-MOVE-RSP"},
    {0x0030, "C-ECHO-RQ"},
    {0x8030, "C-ECHO-RSP"},
    {0x0100, "N-EVENT-REPORT-RQ"},
    {0x8100, "N-EVENT-REPORT-RSP"},
    {0x0110, "N-GET-RQ"},
    {0x8110, "N-GET-RSP"},
    {0x0120, "N-SET-RQ"},
    {0x8120, "N-SET-RSP"},
    {0x0130, "N-ACTION-RQ"},
    {0x8130, "N-ACTION-RSP"},
    {0x0140, "N-CREATE-RQ"},
    {0x8140, "N-CREATE-RSP"},
    {0x0150, "N-DELETE-RQ"},
    {0x8150, "N-DELETE-RSP"},
    {0x0FFF, "C-CANCEL-RQ"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
_Static_assert(N_COMMANDS <= DICOM_CMD_SLOTS, "command slots");

unsigned dicom_cmd_index(uint16_t command_field)
{
    for (unsigned i = 1; i < N_COMMANDS; i++)
        if (commands[i].field == command_field)
            return i;
    return 0;
}

uint16_t dicom_cmd_from_index(unsigned idx)
{
    return idx < N_COMMANDS ? commands[idx].field : 0;
}

const char *dicom_command_name(uint16_t command_field)
{
    return commands[dicom_cmd_index(command_field)].name;
}

bool dicom_cmd_is_response(uint16_t command_field)
{
    return (command_field & 0x8000) != 0;
}

/* PS3.7 Annex C: status classes. */
enum dicom_status_class dicom_status_class(uint16_t status)
{
    if (status == 0x0000)
        return DICOM_STATUS_SUCCESS;
    if (status == 0xFF00 || status == 0xFF01)
        return DICOM_STATUS_PENDING;
    if (status == 0xFE00)
        return DICOM_STATUS_CANCEL;
    if (status == 0x0001 || status == 0x0107 || status == 0x0116 || (status & 0xF000) == 0xB000)
        return DICOM_STATUS_WARNING;
    return DICOM_STATUS_FAILURE;
}

const char *dicom_status_class_name(enum dicom_status_class c)
{
    switch (c) {
    case DICOM_STATUS_SUCCESS: return "Success";
    case DICOM_STATUS_PENDING: return "Pending";
    case DICOM_STATUS_CANCEL: return "Cancel";
    case DICOM_STATUS_WARNING: return "Warning";
    case DICOM_STATUS_FAILURE: return "Failure";
    default: return "unknown";
    }
}

/* PS3.7 Annex C.1-C.5 and the service-specific tables (C-STORE B.2.3, C-FIND C.4.1.1.4, C-MOVE C.4.2.1.5,
 * C-GET C.4.3.1.4). */
const char *dicom_status_meaning(uint16_t command_field, uint16_t status)
{
    uint16_t svc = command_field & 0x7FFF;
    switch (status) {
    case 0x0000: return "Success";
    case 0xFF00: return svc == 0x0020 ? "Pending: matches are continuing" : "Pending: sub-operations are continuing";
    case 0xFF01: /* C.4.1.1.4: C-FIND only; elsewhere a pending status with no specific meaning */
        return svc == 0x0020 ? "Pending: matches are continuing, optional keys not supported" : "Pending";
    case 0xFE00: return "Cancel: matching/sub-operations terminated due to Cancel request";
    case 0x0001: return "Warning: requested optional attributes are not supported";
    case 0x0107: return "Warning: attribute list error";
    case 0x0116: return "Warning: attribute value out of range";
    case 0xB000:
        return svc == 0x0001 ? "Warning: coercion of data elements"
                             : "Warning: sub-operations complete, one or more failures or warnings";
    case 0xB006: return "Warning: elements discarded";
    case 0xB007: return "Warning: data set does not match SOP class";
    case 0x0105: return "Failure: no such attribute";
    case 0x0106: return "Failure: invalid attribute value";
    case 0x0110: return "Failure: processing failure";
    case 0x0111: return "Failure: duplicate SOP instance";
    case 0x0112: return "Failure: no such SOP instance";
    case 0x0113: return "Failure: no such event type";
    case 0x0114: return "Failure: no such argument";
    case 0x0115: return "Failure: invalid argument value";
    case 0x0117: return "Failure: invalid object instance";
    case 0x0118: return "Failure: no such SOP class";
    case 0x0119: return "Failure: class-instance conflict";
    case 0x0120: return "Failure: missing attribute";
    case 0x0121: return "Failure: missing attribute value";
    case 0x0122: return "Refused: SOP class not supported";
    case 0x0123: return "Failure: no such action";
    case 0x0124: return "Refused: not authorized";
    case 0x0210: return "Failure: duplicate invocation";
    case 0x0211: return "Failure: unrecognized operation";
    case 0x0212: return "Failure: mistyped argument";
    case 0x0213: return "Failure: resource limitation";
    case 0xA700: return "Refused: out of resources";
    case 0xA701: return "Refused: out of resources, unable to calculate number of matches";
    case 0xA702: return "Refused: out of resources, unable to perform sub-operations";
    case 0xA801: return "Refused: move destination unknown";
    case 0xA900: return "Error: data set does not match SOP class";
    case 0xC000: return "Error: cannot understand";
    default: break;
    }
    if ((status & 0xFF00) == 0xA700)
        return "Refused: out of resources";
    if ((status & 0xFF00) == 0xA900)
        return "Error: data set does not match SOP class";
    if ((status & 0xF000) == 0xC000)
        return "Error: cannot understand";
    return NULL;
}

/* PS3.7 Table E.1-1, (0000,0700). */
const char *dicom_priority_name(uint16_t priority)
{
    switch (priority) {
    case 0x0000: return "MEDIUM";
    case 0x0001: return "HIGH";
    case 0x0002: return "LOW";
    default: return "unknown";
    }
}
