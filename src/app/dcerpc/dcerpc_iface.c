/*
 * dcerpc_iface.c - interface UUIDs and operation names of the RPC interfaces
 * that matter for lateral movement and reconnaissance.  Operation names are
 * Wireshark's (so that they compare with tshark's Info column); UUIDs from the
 * MS-* specifications named next to each entry.
 */
#include <stdio.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"

#define N(a) (uint16_t)(sizeof(a) / sizeof((a)[0]))

/* MS-SCMR 3.1.4: service control, used by PsExec and Kwampirs to start their payload */
static const char *const svcctl_ops[] = {
    "CloseServiceHandle",
    "ControlService",
    "DeleteService",
    "LockServiceDatabase",
    "QueryServiceObjectSecurity",
    "SetServiceObjectSecurity",
    "QueryServiceStatus",
    "SetServiceStatus",
    "UnlockServiceDatabase",
    "NotifyBootConfigStatus",
    "ScSetServiceBitsW",
    "ChangeServiceConfigW",
    "CreateServiceW",
    "EnumDependentServicesW",
    "EnumServicesStatusW",
    "OpenSCManagerW",
    "OpenServiceW",
    "QueryServiceConfigW",
    "QueryServiceLockStatusW",
    "StartServiceW",
    "GetServiceDisplayNameW",
    "GetServiceKeyNameW",
    "ScSetServiceBitsA",
    "ChangeServiceConfigA",
    "CreateServiceA",
    "EnumDependentServicesA",
    "EnumServicesStatusA",
    "OpenSCManagerA",
    "OpenServiceA",
    "QueryServiceConfigA",
    "QueryServiceLockStatusA",
    "StartServiceA",
    "GetServiceDisplayNameA",
    "GetServiceKeyNameA",
    "ScGetCurrentGroupStateW",
    "EnumServiceGroupW",
    "ChangeServiceConfig2A",
    "ChangeServiceConfig2W",
    "QueryServiceConfig2A",
    "QueryServiceConfig2W",
    "QueryServiceStatusEx",
    "EnumServicesStatusExA",
    "EnumServicesStatusExW",
    "ScSendTSMessage",
    "CreateServiceWOW64A",
    "CreateServiceWOW64W",
};

/* MS-LSAD 3.1.4: policy queries during reconnaissance */
static const char *const lsarpc_ops[] = {
    "lsa_Close",
    "lsa_Delete",
    "lsa_EnumPrivs",
    "lsa_QuerySecurity",
    "lsa_SetSecObj",
    "lsa_ChangePassword",
    "lsa_OpenPolicy",
    "lsa_QueryInfoPolicy",
    "lsa_SetInfoPolicy",
    "lsa_ClearAuditLog",
    "lsa_CreateAccount",
    "lsa_EnumAccounts",
    "lsa_CreateTrustedDomain",
    "lsa_EnumTrustDom",
    "lsa_LookupNames",
    "lsa_LookupSids",
    "lsa_CreateSecret",
    "lsa_OpenAccount",
    "lsa_EnumPrivsAccount",
    "lsa_AddPrivilegesToAccount",
    "lsa_RemovePrivilegesFromAccount",
    "lsa_GetQuotasForAccount",
    "lsa_SetQuotasForAccount",
    "lsa_GetSystemAccessAccount",
    "lsa_SetSystemAccessAccount",
    "lsa_OpenTrustedDomain",
    "lsa_QueryTrustedDomainInfo",
    "lsa_SetInformationTrustedDomain",
    "lsa_OpenSecret",
    "lsa_SetSecret",
    "lsa_QuerySecret",
    "lsa_LookupPrivValue",
    "lsa_LookupPrivName",
    "lsa_LookupPrivDisplayName",
    "lsa_DeleteObject",
    "lsa_EnumAccountsWithUserRight",
    "lsa_EnumAccountRights",
    "lsa_AddAccountRights",
    "lsa_RemoveAccountRights",
    "lsa_QueryTrustedDomainInfoBySid",
    "lsa_SetTrustedDomainInfo",
    "lsa_DeleteTrustedDomain",
    "lsa_StorePrivateData",
    "lsa_RetrievePrivateData",
    "lsa_OpenPolicy2",
    "lsa_GetUserName",
    "lsa_QueryInfoPolicy2",
    "lsa_SetInfoPolicy2",
    "lsa_QueryTrustedDomainInfoByName",
    "lsa_SetTrustedDomainInfoByName",
    "lsa_EnumTrustedDomainsEx",
    "lsa_CreateTrustedDomainEx",
    "lsa_CloseTrustedDomainEx",
    "lsa_QueryDomainInformationPolicy",
    "lsa_SetDomainInformationPolicy",
    "lsa_OpenTrustedDomainByName",
    "lsa_TestCall",
    "lsa_LookupSids2",
    "lsa_LookupNames2",
    "lsa_CreateTrustedDomainEx2",
};

/* MS-SAMR 3.1.5: account enumeration */
static const char *const samr_ops[] = {
    "Connect",
    "Close",
    "SetSecurity",
    "QuerySecurity",
    "Shutdown",
    "LookupDomain",
    "EnumDomains",
    "OpenDomain",
    "QueryDomainInfo",
    "SetDomainInfo",
    "CreateDomainGroup",
    "EnumDomainGroups",
    "CreateUser",
    "EnumDomainUsers",
    "CreateDomAlias",
    "EnumDomainAliases",
    "GetAliasMembership",
    "LookupNames",
    "LookupRids",
    "OpenGroup",
    "QueryGroupInfo",
    "SetGroupInfo",
    "AddGroupMember",
    "DeleteDomainGroup",
    "DeleteGroupMember",
    "QueryGroupMember",
    "SetMemberAttributesOfGroup",
    "OpenAlias",
    "QueryAliasInfo",
    "SetAliasInfo",
    "DeleteDomAlias",
    "AddAliasMember",
    "DeleteAliasMember",
    "GetMembersInAlias",
    "OpenUser",
    "DeleteUser",
    "QueryUserInfo",
    "SetUserInfo",
    "ChangePasswordUser",
    "GetGroupsForUser",
    "QueryDisplayInfo",
    "GetDisplayEnumerationIndex",
    "TestPrivateFunctionsDomain",
    "TestPrivateFunctionsUser",
    "GetUserPwInfo",
    "RemoveMemberFromForeignDomain",
    "QueryDomainInfo2",
    "QueryUserInfo2",
    "QueryDisplayInfo2",
    "GetDisplayEnumerationIndex2",
    "CreateUser2",
    "QueryDisplayInfo3",
    "AddMultipleMembersToAlias",
    "RemoveMultipleMembersFromAlias",
    "OemChangePasswordUser2",
    "ChangePasswordUser2",
    "GetDomPwInfo",
    "Connect2",
    "SetUserInfo2",
    "SetBootKeyInformation",
    "GetBootKeyInformation",
    "Connect3",
    "Connect4",
    "ChangePasswordUser3",
    "Connect5",
    "RidToSid",
    "SetDsrmPassword",
    "ValidatePassword",
};

/* MS-SRVS 3.1.4: share and server enumeration */
static const char *const srvsvc_ops[] = {
    "NetCharDevEnum",
    "NetCharDevGetInfo",
    "NetCharDevControl",
    "NetCharDevQEnum",
    "NetCharDevQGetInfo",
    "NetCharDevQSetInfo",
    "NetCharDevQPurge",
    "NetCharDevQPurgeSelf",
    "NetConnEnum",
    "NetFileEnum",
    "NetFileGetInfo",
    "NetFileClose",
    "NetSessEnum",
    "NetSessDel",
    "NetShareAdd",
    "NetShareEnumAll",
    "NetShareGetInfo",
    "NetShareSetInfo",
    "NetShareDel",
    "NetShareDelSticky",
    "NetShareCheck",
    "NetSrvGetInfo",
    "NetSrvSetInfo",
    "NetDiskEnum",
    "NetServerStatisticsGet",
    "NetTransportAdd",
    "NetTransportEnum",
    "NetTransportDel",
    "NetRemoteTOD",
    "NetSetServiceBits",
    "NetPathType",
    "NetPathCanonicalize",
    "NetPathCompare",
    "NetNameValidate",
    "NETRPRNAMECANONICALIZE",
    "NetPRNameCompare",
    "NetShareEnum",
    "NetShareDelStart",
    "NetShareDelCommit",
    "NetGetFileSecurity",
    "NetSetFileSecurity",
    "NetServerTransportAddEx",
    "NetServerSetServiceBitsEx",
};

/* MS-TSCH 3.2.5.2: the old AT service, remote job creation */
static const char *const atsvc_ops[] = {"JobAdd", "JobDel", "JobEnum", "JobGetInfo"};

/* MS-TSCH 3.2.5.4: Task Scheduler 2.0, remote task registration */
static const char *const tsch_ops[] = {
    "SchRpcHighestVersion",
    "SchRpcRegisterTask",
    "SchRpcRetrieveTask",
    "SchRpcCreateFolder",
    "SchRpcSetSecurity",
    "SchRpcGetSecurity",
    "SchRpcEnumFolders",
    "SchRpcEnumTasks",
    "SchRpcEnumInstances",
    "SchRpcGetInstanceInfo",
    "SchRpcStopInstance",
    "SchRpcStop",
    "SchRpcRun",
    "SchRpcDelete",
    "SchRpcRename",
    "SchRpcScheduledRuntimes",
    "SchRpcGetLastRunInfo",
    "SchRpcGetTaskInfo",
    "SchRpcGetNumberOfMissedRuns",
    "SchRpcEnableTask",
};

/* MS-RRP 3.1.5: remote registry, persistence and credential theft */
static const char *const winreg_ops[] = {
    "OpenHKCR",
    "OpenHKCU",
    "OpenHKLM",
    "OpenHKPD",
    "OpenHKU",
    "CloseKey",
    "CreateKey",
    "DeleteKey",
    "DeleteValue",
    "EnumKey",
    "EnumValue",
    "FlushKey",
    "GetKeySecurity",
    "LoadKey",
    "NotifyChangeKeyValue",
    "OpenKey",
    "QueryInfoKey",
    "QueryValue",
    "ReplaceKey",
    "RestoreKey",
    "SaveKey",
    "SetKeySecurity",
    "SetValue",
    "UnLoadKey",
    "InitiateSystemShutdown",
    "AbortSystemShutdown",
    "GetVersion",
    "OpenHKCC",
    "OpenHKDD",
    "QueryMultipleValues",
    "InitiateSystemShutdownEx",
    "SaveKeyEx",
    "OpenHKPT",
    "OpenHKPN",
    "QueryMultipleValues2",
    "DeleteKeyEx",
};

/* C706 appendix O / MS-RPCE: endpoint mapper on TCP 135 */
static const char *const epm_ops[] = {"Insert",           "Delete",    "Lookup",    "Map",
                                      "LookupHandleFree", "InqObject", "MgmtDelete"};

struct iface_entry {
    const char *uuid;
    struct dcerpc_iface_info info;
};

static const struct iface_entry ifaces[] = {
    {"367abb81-9844-35f1-ad32-98f038001003", {"svcctl", svcctl_ops, N(svcctl_ops)}},
    {"12345778-1234-abcd-ef00-0123456789ab", {"lsarpc", lsarpc_ops, N(lsarpc_ops)}},
    {"12345778-1234-abcd-ef00-0123456789ac", {"samr", samr_ops, N(samr_ops)}},
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", {"srvsvc", srvsvc_ops, N(srvsvc_ops)}},
    {"1ff70682-0a51-30e8-076d-740be8cee98b", {"atsvc", atsvc_ops, N(atsvc_ops)}},
    {"86d35949-83c9-4044-b424-db363231fd0c", {"ITaskSchedulerService", tsch_ops, N(tsch_ops)}},
    {"338cd001-2244-31f1-aaaa-900038001003", {"winreg", winreg_ops, N(winreg_ops)}},
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", {"epmapper", epm_ops, N(epm_ops)}},
    {"12345678-1234-abcd-ef00-01234567cffb", {"netlogon", NULL, 0}},
    {"6bffd098-a112-3610-9833-46c3f87e345a", {"wkssvc", NULL, 0}},
    {"12345678-1234-abcd-ef00-0123456789ab", {"spoolss", NULL, 0}},
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", {"drsuapi", NULL, 0}},
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", {"dssetup", NULL, 0}},
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", {"eventlog", NULL, 0}},
    {"000001a0-0000-0000-c000-000000000046", {"IRemoteSCMActivator", NULL, 0}},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", {"IOXIDResolver", NULL, 0}},
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", {"IActivation", NULL, 0}},
};

void dcerpc_uuid_format(const struct dcerpc_uuid *u, char out[37])
{
    const uint8_t *b = u->b;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3], b[2], b[1], b[0],
             b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

const struct dcerpc_iface_info *dcerpc_iface_lookup(const struct dcerpc_uuid *u)
{
    char s[37];
    dcerpc_uuid_format(u, s);
    for (size_t i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++)
        if (strcmp(ifaces[i].uuid, s) == 0)
            return &ifaces[i].info;
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
