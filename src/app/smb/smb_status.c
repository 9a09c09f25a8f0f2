/*
 * smb_status.c - NTSTATUS names [MS-ERREF 2.3.1] for the codes SMB servers
 * actually return, and the SMB2/SMB1 command and dialect names used in events.
 * Names follow MS-ERREF (and Suricata's EVE `smb.status`).
 */
#include "app/smb/smb.h"

#include <stddef.h>
#include <stdio.h>

struct status_name {
    uint32_t code;
    const char *name;
};

/* Sorted by code for bsearch-free linear lookup; the table is small. */
static const struct status_name status_names[] = {
    {0x00000000, "STATUS_SUCCESS"},
    {0x00000103, "STATUS_PENDING"},
    {0x0000010b, "STATUS_NOTIFY_CLEANUP"},
    {0x0000010c, "STATUS_NOTIFY_ENUM_DIR"},
    {0x80000005, "STATUS_BUFFER_OVERFLOW"},
    {0x80000006, "STATUS_NO_MORE_FILES"},
    {0x8000002d, "STATUS_STOPPED_ON_SYMLINK"},
    {0xc0000001, "STATUS_UNSUCCESSFUL"},
    {0xc0000002, "STATUS_NOT_IMPLEMENTED"},
    {0xc0000003, "STATUS_INVALID_INFO_CLASS"},
    {0xc0000004, "STATUS_INFO_LENGTH_MISMATCH"},
    {0xc0000008, "STATUS_INVALID_HANDLE"},
    {0xc000000d, "STATUS_INVALID_PARAMETER"},
    {0xc000000e, "STATUS_NO_SUCH_DEVICE"},
    {0xc000000f, "STATUS_NO_SUCH_FILE"},
    {0xc0000010, "STATUS_INVALID_DEVICE_REQUEST"},
    {0xc0000011, "STATUS_END_OF_FILE"},
    {0xc0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
    {0xc0000022, "STATUS_ACCESS_DENIED"},
    {0xc0000023, "STATUS_BUFFER_TOO_SMALL"},
    {0xc0000033, "STATUS_OBJECT_NAME_INVALID"},
    {0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {0xc0000035, "STATUS_OBJECT_NAME_COLLISION"},
    {0xc000003a, "STATUS_OBJECT_PATH_NOT_FOUND"},
    {0xc0000043, "STATUS_SHARING_VIOLATION"},
    {0xc0000054, "STATUS_FILE_LOCK_CONFLICT"},
    {0xc0000055, "STATUS_LOCK_NOT_GRANTED"},
    {0xc0000056, "STATUS_DELETE_PENDING"},
    {0xc000005f, "STATUS_NO_SUCH_LOGON_SESSION"},
    {0xc0000061, "STATUS_PRIVILEGE_NOT_HELD"},
    {0xc000006a, "STATUS_WRONG_PASSWORD"},
    {0xc000006d, "STATUS_LOGON_FAILURE"},
    {0xc000006e, "STATUS_ACCOUNT_RESTRICTION"},
    {0xc000006f, "STATUS_INVALID_LOGON_HOURS"},
    {0xc0000070, "STATUS_INVALID_WORKSTATION"},
    {0xc0000071, "STATUS_PASSWORD_EXPIRED"},
    {0xc0000072, "STATUS_ACCOUNT_DISABLED"},
    {0xc000007f, "STATUS_DISK_FULL"},
    {0xc00000ac, "STATUS_PIPE_NOT_AVAILABLE"},
    {0xc00000ad, "STATUS_INVALID_PIPE_STATE"},
    {0xc00000ae, "STATUS_PIPE_BUSY"},
    {0xc00000b0, "STATUS_PIPE_DISCONNECTED"},
    {0xc00000b1, "STATUS_PIPE_CLOSING"},
    {0xc00000b5, "STATUS_IO_TIMEOUT"},
    {0xc00000ba, "STATUS_FILE_IS_A_DIRECTORY"},
    {0xc00000bb, "STATUS_NOT_SUPPORTED"},
    {0xc00000c9, "STATUS_NETWORK_NAME_DELETED"},
    {0xc00000cc, "STATUS_BAD_NETWORK_NAME"},
    {0xc00000d0, "STATUS_REQUEST_NOT_ACCEPTED"},
    {0xc0000101, "STATUS_DIRECTORY_NOT_EMPTY"},
    {0xc0000103, "STATUS_NOT_A_DIRECTORY"},
    {0xc0000120, "STATUS_CANCELLED"},
    {0xc0000128, "STATUS_FILE_CLOSED"},
    {0xc000015b, "STATUS_LOGON_TYPE_NOT_GRANTED"},
    {0xc0000184, "STATUS_INVALID_DEVICE_STATE"},
    {0xc0000193, "STATUS_ACCOUNT_EXPIRED"},
    {0xc0000203, "STATUS_USER_SESSION_DELETED"},
    {0xc0000224, "STATUS_PASSWORD_MUST_CHANGE"},
    {0xc0000225, "STATUS_NOT_FOUND"},
    {0xc0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
    {0xc0000257, "STATUS_PATH_NOT_COVERED"},
    {0xc000035c, "STATUS_NETWORK_SESSION_EXPIRED"},
    {0xc0000466, "STATUS_SERVER_UNAVAILABLE"},
    {0xc000a100, "STATUS_HASH_NOT_SUPPORTED"},
};

const char *smb_status_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (status_names[i].code == code)
            return status_names[i].name;
    return NULL;
}

static const char *const smb2_cmd_names[SMB2_CMD__COUNT] = {
    [SMB2_NEGOTIATE] = "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
    [SMB2_SESSION_SETUP] = "SMB2_COMMAND_SESSION_SETUP",
    [SMB2_LOGOFF] = "SMB2_COMMAND_SESSION_LOGOFF",
    [SMB2_TREE_CONNECT] = "SMB2_COMMAND_TREE_CONNECT",
    [SMB2_TREE_DISCONNECT] = "SMB2_COMMAND_TREE_DISCONNECT",
    [SMB2_CREATE] = "SMB2_COMMAND_CREATE",
    [SMB2_CLOSE] = "SMB2_COMMAND_CLOSE",
    [SMB2_FLUSH] = "SMB2_COMMAND_FLUSH",
    [SMB2_READ] = "SMB2_COMMAND_READ",
    [SMB2_WRITE] = "SMB2_COMMAND_WRITE",
    [SMB2_LOCK] = "SMB2_COMMAND_LOCK",
    [SMB2_IOCTL] = "SMB2_COMMAND_IOCTL",
    [SMB2_CANCEL] = "SMB2_COMMAND_CANCEL",
    [SMB2_ECHO] = "SMB2_COMMAND_KEEPALIVE",
    [SMB2_QUERY_DIRECTORY] = "SMB2_COMMAND_FIND",
    [SMB2_CHANGE_NOTIFY] = "SMB2_COMMAND_CHANGE_NOTIFY",
    [SMB2_QUERY_INFO] = "SMB2_COMMAND_GET_INFO",
    [SMB2_SET_INFO] = "SMB2_COMMAND_SET_INFO",
    [SMB2_OPLOCK_BREAK] = "SMB2_COMMAND_OPLOCK_BREAK",
};

const char *smb2_command_name(uint16_t cmd)
{
    return cmd < SMB2_CMD__COUNT && smb2_cmd_names[cmd] ? smb2_cmd_names[cmd] : "SMB2_COMMAND_UNKNOWN";
}

const char *smb1_command_name(uint8_t cmd)
{
    /* MS-CIFS 2.2.2.1 command codes, with Suricata's SMB1_COMMAND_ prefix */
    switch (cmd) {
    case 0x00: return "SMB1_COMMAND_CREATE_DIRECTORY";
    case 0x01: return "SMB1_COMMAND_DELETE_DIRECTORY";
    case 0x02: return "SMB1_COMMAND_OPEN";
    case 0x03: return "SMB1_COMMAND_CREATE";
    case 0x04: return "SMB1_COMMAND_CLOSE";
    case 0x05: return "SMB1_COMMAND_FLUSH";
    case 0x06: return "SMB1_COMMAND_DELETE";
    case 0x07: return "SMB1_COMMAND_RENAME";
    case 0x08: return "SMB1_COMMAND_QUERY_INFORMATION";
    case 0x09: return "SMB1_COMMAND_SET_INFORMATION";
    case 0x0a: return "SMB1_COMMAND_READ";
    case 0x0b: return "SMB1_COMMAND_WRITE";
    case 0x10: return "SMB1_COMMAND_CHECK_DIRECTORY";
    case 0x24: return "SMB1_COMMAND_LOCKING_ANDX";
    case 0x25: return "SMB1_COMMAND_TRANS";
    case 0x26: return "SMB1_COMMAND_TRANS_SECONDARY";
    case 0x2b: return "SMB1_COMMAND_ECHO";
    case 0x2c: return "SMB1_COMMAND_WRITE_AND_CLOSE";
    case 0x2d: return "SMB1_COMMAND_OPEN_ANDX";
    case 0x2e: return "SMB1_COMMAND_READ_ANDX";
    case 0x2f: return "SMB1_COMMAND_WRITE_ANDX";
    case 0x32: return "SMB1_COMMAND_TRANS2";
    case 0x33: return "SMB1_COMMAND_TRANS2_SECONDARY";
    case 0x34: return "SMB1_COMMAND_FIND_CLOSE2";
    case 0x71: return "SMB1_COMMAND_TREE_DISCONNECT";
    case 0x72: return "SMB1_COMMAND_NEGOTIATE_PROTOCOL";
    case 0x73: return "SMB1_COMMAND_SESSION_SETUP_ANDX";
    case 0x74: return "SMB1_COMMAND_LOGOFF_ANDX";
    case 0x75: return "SMB1_COMMAND_TREE_CONNECT_ANDX";
    case 0x80: return "SMB1_COMMAND_QUERY_INFO_DISK";
    case 0xa0: return "SMB1_COMMAND_NT_TRANS";
    case 0xa1: return "SMB1_COMMAND_NT_TRANS_SECONDARY";
    case 0xa2: return "SMB1_COMMAND_NT_CREATE_ANDX";
    case 0xa4: return "SMB1_COMMAND_NT_CANCEL";
    case 0xa5: return "SMB1_COMMAND_NT_RENAME";
    default: return "SMB1_COMMAND_UNKNOWN";
    }
}

/* SMB1 DOS-class errors [MS-CIFS 2.2.2.4]: the few Suricata names, with its fallbacks (the decimal code for
 * ERRDOS and ERRSRV, UNKNOWN_<class>_<code> for the other classes), so that rules written for it still match. */
const char *smb1_dos_error_name(uint8_t err_class, uint16_t code, char *buf, size_t cap)
{
    if (err_class == 0x01) { /* ERRDOS */
        switch (code) {
        case 0: return "DOS_SUCCESS";
        case 1: return "DOS_BAD_FUNC";            /* ERRbadfunc */
        case 2: return "DOS_BAD_FILE";            /* ERRbadfile */
        case 3: return "DOS_BAD_PATH";            /* ERRbadpath */
        case 4: return "DOS_TOO_MANY_OPEN_FILES"; /* ERRnofids */
        case 5: return "DOS_ACCESS_DENIED";       /* ERRnoaccess */
        default: snprintf(buf, cap, "%u", code); return buf;
        }
    }
    if (err_class == 0x02) { /* ERRSRV */
        switch (code) {
        case 1: return "SRV_ERROR";   /* ERRerror */
        case 2: return "SRV_BADPW";   /* ERRbadpw */
        case 3: return "SRV_BADTYPE"; /* ERRbadtype */
        case 4: return "SRV_ACCESS";  /* ERRaccess */
        case 91: return "SRV_BADUID"; /* ERRbaduid: the UID is not a valid session */
        default: snprintf(buf, cap, "%u", code); return buf;
        }
    }
    snprintf(buf, cap, "UNKNOWN_%02x_%04x", err_class, code);
    return buf;
}

/* TRANS2 subcommands [MS-CIFS 2.2.6] */
const char *smb1_trans2_name(uint16_t sub)
{
    static const char *const names[] = {
        [0x00] = "TRANS2_OPEN2",
        [0x01] = "TRANS2_FIND_FIRST2",
        [0x02] = "TRANS2_FIND_NEXT2",
        [0x03] = "TRANS2_QUERY_FS_INFORMATION",
        [0x04] = "TRANS2_SET_FS_INFORMATION",
        [0x05] = "TRANS2_QUERY_PATH_INFORMATION",
        [0x06] = "TRANS2_SET_PATH_INFORMATION",
        [0x07] = "TRANS2_QUERY_FILE_INFORMATION",
        [0x08] = "TRANS2_SET_FILE_INFORMATION",
        [0x09] = "TRANS2_FSCTL",
        [0x0a] = "TRANS2_IOCTL2",
        [0x0b] = "TRANS2_FIND_NOTIFY_FIRST",
        [0x0c] = "TRANS2_FIND_NOTIFY_NEXT",
        [0x0d] = "TRANS2_CREATE_DIRECTORY",
        [0x0e] = "TRANS2_SESSION_SETUP",
        [0x10] = "TRANS2_GET_DFS_REFERRAL",
        [0x11] = "TRANS2_REPORT_DFS_INCONSISTENCY",
    };
    return sub < sizeof(names) / sizeof(names[0]) && names[sub] ? names[sub] : "TRANS2_UNKNOWN";
}

/* NT_TRANSACT subcommands [MS-CIFS 2.2.7, MS-SMB 2.2.7] */
const char *smb1_nt_transact_name(uint16_t sub)
{
    static const char *const names[] = {
        [1] = "NT_TRANSACT_CREATE",        [2] = "NT_TRANSACT_IOCTL",     [3] = "NT_TRANSACT_SET_SECURITY_DESC",
        [4] = "NT_TRANSACT_NOTIFY_CHANGE", [5] = "NT_TRANSACT_RENAME",    [6] = "NT_TRANSACT_QUERY_SECURITY_DESC",
        [7] = "NT_TRANSACT_QUERY_QUOTA",   [8] = "NT_TRANSACT_SET_QUOTA",
    };
    return sub < sizeof(names) / sizeof(names[0]) && names[sub] ? names[sub] : "NT_TRANSACT_UNKNOWN";
}

const char *smb2_dialect_name(uint16_t d)
{
    switch (d) {
    case 0x0202: return "2.02";
    case 0x0210: return "2.10";
    case 0x0222: return "2.22";
    case 0x0224: return "2.24";
    case 0x02ff: return "2.??";
    case 0x0300: return "3.00";
    case 0x0302: return "3.02";
    case 0x0310: return "3.10";
    case 0x0311: return "3.11";
    default: return "unknown";
    }
}

const char *smb2_disposition_name(uint32_t d)
{
    static const char *const names[] = {"FILE_SUPERSEDE", "FILE_OPEN",      "FILE_CREATE",
                                        "FILE_OPEN_IF",   "FILE_OVERWRITE", "FILE_OVERWRITE_IF"};
    return d < 6 ? names[d] : "UNKNOWN";
}

const char *smb_fsctl_name(uint32_t code)
{
    switch (code) {
    case 0x0011c017: return "FSCTL_PIPE_TRANSCEIVE";
    case 0x0011400c: return "FSCTL_PIPE_PEEK";
    case 0x00110018: return "FSCTL_PIPE_WAIT";
    case 0x00060194: return "FSCTL_DFS_GET_REFERRALS";
    case 0x000601b0: return "FSCTL_DFS_GET_REFERRALS_EX";
    case 0x00140204: return "FSCTL_VALIDATE_NEGOTIATE_INFO";
    case 0x001401fc: return "FSCTL_QUERY_NETWORK_INTERFACE_INFO";
    case 0x00144064: return "FSCTL_SRV_ENUMERATE_SNAPSHOTS";
    case 0x00140078: return "FSCTL_SRV_REQUEST_RESUME_KEY";
    case 0x001440f2: return "FSCTL_SRV_COPYCHUNK";
    case 0x001480f2: return "FSCTL_SRV_COPYCHUNK_WRITE";
    case 0x000900a4: return "FSCTL_SET_REPARSE_POINT";
    case 0x000900a8: return "FSCTL_GET_REPARSE_POINT";
    default: return NULL;
    }
}
