/*
 * dcerpc_iface.c - interface UUIDs and operation names of the RPC interfaces
 * that matter for lateral movement, credential theft, coercion and
 * reconnaissance: interface UUID -> name and operation table, opnum ->
 * operation name.
 *
 * Naming rule.
 *  - Interfaces that medsentry named first (svcctl, lsarpc, samr, srvsvc,
 *    atsvc, ITaskSchedulerService, winreg, epmapper) keep Wireshark's
 *    operation names, because tshark's Info column is their test oracle
 *    (tests/integration/test_smb_tshark.py); the names are Wireshark 4.0's,
 *    opnum for opnum.  Past the last opnum Wireshark names, up to the last
 *    opnum of the specification, they carry the specification's name (svcctl
 *    without the server-side "R" prefix, like its Wireshark names).
 *  - Every other table carries the method names of the specification's IDL
 *    (MS-NRPC NetrServerReqChallenge, MS-DCOM RemRelease), which is what
 *    Suricata's verify suite and Zeek report, with three documented changes:
 *    MS-DRSR drops its "IDL_" prefix (DRSBind, DRSGetNCChanges); mgmt uses
 *    C706 Appendix Q's names without "rpc__mgmt_" (inq_princ_name); dssetup
 *    opnums 1-10, reserved by MS-DSSP 3.2.5 as "not used on the wire", carry
 *    their Windows 2000 server names (DsRolerUpgradeDownlevelServer, the
 *    MS04-011 / Sasser entry point) because that is the traffic that matters.
 *  - Opnums the specification lists as unused keep its placeholder name
 *    (Opnum10NotUsedOnWire): a call on one is itself worth seeing.
 *  - Every table runs to the specification's last opnum; an opnum past it has
 *    no name (dcerpc_opnum_name returns NULL and the EVE event has no
 *    "operation").
 *  - Interface names are the IDL's interface names, except netlogon (IDL
 *    "logon") and spoolss (IDL "winspool"), named after their pipes as every
 *    other tool names them.
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

#define N(a) (uint16_t)(sizeof(a) / sizeof((a)[0]))

/* ---- interfaces named first: Wireshark's operation names (see the naming rule above) ---- */

/* MS-SCMR 3.1.4: service control, used by PsExec and Kwampirs to start their payload.  Opnums 0-43
 * Wireshark's, 44-64 MS-SCMR's without the R prefix */
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
    "Opnum46NotUsedOnWire",
    "NotifyServiceStatusChange",
    "GetNotifyResults",
    "CloseNotifyHandle",
    "ControlServiceExA",
    "ControlServiceExW",
    "Opnum52NotUsedOnWire",
    "Opnum53NotUsedOnWire",
    "Opnum54NotUsedOnWire",
    "Opnum55NotUsedOnWire",
    "QueryServiceConfigEx",
    "Opnum57NotUsedOnWire",
    "Opnum58NotUsedOnWire",
    "Opnum59NotUsedOnWire",
    "CreateWowService",
    "Opnum61NotUsedOnWire",
    "Opnum62NotUsedOnWire",
    "Opnum63NotUsedOnWire",
    "OpenSCManager2",
};

/* MS-LSAD 3.1.4 and MS-LSAT 3.1.4: policy, account and SID lookups during reconnaissance.  Opnums 0-81
 * Wireshark's, 82-141 MS-LSAD's */
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
    "lsa_CREDRWRITE",
    "lsa_CREDRREAD",
    "lsa_CREDRENUMERATE",
    "lsa_CREDRWRITEDOMAINCREDENTIALS",
    "lsa_CREDRREADDOMAINCREDENTIALS",
    "lsa_CREDRDELETE",
    "lsa_CREDRGETTARGETINFO",
    "lsa_CREDRPROFILELOADED",
    "lsa_LookupNames3",
    "lsa_CREDRGETSESSIONTYPES",
    "lsa_LSARREGISTERAUDITEVENT",
    "lsa_LSARGENAUDITEVENT",
    "lsa_LSARUNREGISTERAUDITEVENT",
    "lsa_lsaRQueryForestTrustInformation",
    "lsa_LSARSETFORESTTRUSTINFORMATION",
    "lsa_CREDRRENAME",
    "lsa_LookupSids3",
    "lsa_LookupNames4",
    "lsa_LSAROPENPOLICYSCE",
    "lsa_LSARADTREGISTERSECURITYEVENTSOURCE",
    "lsa_LSARADTUNREGISTERSECURITYEVENTSOURCE",
    "lsa_LSARADTREPORTSECURITYEVENT",
    "Opnum82NotUsedOnWire",
    "Opnum83NotUsedOnWire",
    "Opnum84NotUsedOnWire",
    "Opnum85NotUsedOnWire",
    "Opnum86NotUsedOnWire",
    "Opnum87NotUsedOnWire",
    "Opnum88NotUsedOnWire",
    "Opnum89NotUsedOnWire",
    "Opnum90NotUsedOnWire",
    "Opnum91NotUsedOnWire",
    "Opnum92NotUsedOnWire",
    "Opnum93NotUsedOnWire",
    "Opnum94NotUsedOnWire",
    "Opnum95NotUsedOnWire",
    "Opnum96NotUsedOnWire",
    "Opnum97NotUsedOnWire",
    "Opnum98NotUsedOnWire",
    "Opnum99NotUsedOnWire",
    "Opnum100NotUsedOnWire",
    "Opnum101NotUsedOnWire",
    "Opnum102NotUsedOnWire",
    "Opnum103NotUsedOnWire",
    "Opnum104NotUsedOnWire",
    "Opnum105NotUsedOnWire",
    "Opnum106NotUsedOnWire",
    "Opnum107NotUsedOnWire",
    "Opnum108NotUsedOnWire",
    "Opnum109NotUsedOnWire",
    "Opnum110NotUsedOnWire",
    "Opnum111NotUsedOnWire",
    "Opnum112NotUsedOnWire",
    "Opnum113NotUsedOnWire",
    "Opnum114NotUsedOnWire",
    "Opnum115NotUsedOnWire",
    "Opnum116NotUsedOnWire",
    "Opnum117NotUsedOnWire",
    "Opnum118NotUsedOnWire",
    "Opnum119NotUsedOnWire",
    "Opnum120NotUsedOnWire",
    "Opnum121NotUsedOnWire",
    "Opnum122NotUsedOnWire",
    "Opnum123NotUsedOnWire",
    "Opnum124NotUsedOnWire",
    "Opnum125NotUsedOnWire",
    "Opnum126NotUsedOnWire",
    "Opnum127NotUsedOnWire",
    "Opnum128NotUsedOnWire",
    "LsarCreateTrustedDomainEx3",
    "LsarOpenPolicy3",
    "Opnum131NotUsedOnWire",
    "LsarQueryForestTrustInformation2",
    "LsarSetForestTrustInformation2",
    "Opnum134NotUsedOnWire",
    "LsarOpenPolicyWithCreds",
    "LsarOpenSecret2",
    "LsarCreateSecret2",
    "LsarSetSecret2",
    "LsarQuerySecret2",
    "LsarStorePrivateData2",
    "LsarRetrievePrivateData2",
};

/* MS-SAMR 3.1.5: account enumeration.  Opnums 0-67 Wireshark's, 68-77 MS-SAMR's */
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
    "Opnum68NotUsedOnWire",
    "Opnum69NotUsedOnWire",
    "Opnum70NotUsedOnWire",
    "Opnum71NotUsedOnWire",
    "Opnum72NotUsedOnWire",
    "SamrUnicodeChangePasswordUser4",
    "SamrValidateComputerAccountReuseAttempt",
    "Opnum75NotUsedOnWire",
    "Opnum76NotUsedOnWire",
    "SamrAccountIsDelegatedManagedServiceAccount",
};

/* MS-SRVS 3.1.4: share, session and server enumeration.  Opnums 0-53 Wireshark's, 54-57 MS-SRVS's */
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
    "NETRDFSGETVERSION",
    "NETRDFSCREATELOCALPARTITION",
    "NETRDFSDELETELOCALPARTITION",
    "NETRDFSSETLOCALVOLUMESTATE",
    "NETRDFSSETSERVERINFO",
    "NETRDFSCREATEEXITPOINT",
    "NETRDFSDELETEEXITPOINT",
    "NETRDFSMODIFYPREFIX",
    "NETRDFSFIXLOCALVOLUME",
    "NETRDFSMANAGERREPORTSITEINFO",
    "NETRSERVERTRANSPORTDELEX",
    "NetrServerAliasAdd",
    "NetrServerAliasEnum",
    "NetrServerAliasDel",
    "NetrShareDelEx",
};

/* MS-TSCH 3.2.5.2: the old AT service, remote job creation */
static const char *const atsvc_ops[] = {
    "JobAdd",
    "JobDel",
    "JobEnum",
    "JobGetInfo",
};

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

/* C706 Appendix O: endpoint mapper on TCP 135 */
static const char *const epm_ops[] = {
    "Insert", "Delete", "Lookup", "Map", "LookupHandleFree", "InqObject", "MgmtDelete",
};

/* ---- the other interfaces: the specifications' names ---- */

/* MS-NRPC 3.5.4: Netlogon, secure channel setup (Zerologon: NetrServerReqChallenge, NetrServerAuthenticate3,
 * NetrServerPasswordSet2) */
static const char *const netlogon_ops[] = {
    "NetrLogonUasLogon",
    "NetrLogonUasLogoff",
    "NetrLogonSamLogon",
    "NetrLogonSamLogoff",
    "NetrServerReqChallenge",
    "NetrServerAuthenticate",
    "NetrServerPasswordSet",
    "NetrDatabaseDeltas",
    "NetrDatabaseSync",
    "NetrAccountDeltas",
    "NetrAccountSync",
    "NetrGetDCName",
    "NetrLogonControl",
    "NetrGetAnyDCName",
    "NetrLogonControl2",
    "NetrServerAuthenticate2",
    "NetrDatabaseSync2",
    "NetrDatabaseRedo",
    "NetrLogonControl2Ex",
    "NetrEnumerateTrustedDomains",
    "DsrGetDcName",
    "NetrLogonGetCapabilities",
    "NetrLogonSetServiceBits",
    "NetrLogonGetTrustRid",
    "NetrLogonComputeServerDigest",
    "NetrLogonComputeClientDigest",
    "NetrServerAuthenticate3",
    "DsrGetDcNameEx",
    "DsrGetSiteName",
    "NetrLogonGetDomainInfo",
    "NetrServerPasswordSet2",
    "NetrServerPasswordGet",
    "NetrLogonSendToSam",
    "DsrAddressToSiteNamesW",
    "DsrGetDcNameEx2",
    "NetrLogonGetTimeServiceParentDomain",
    "NetrEnumerateTrustedDomainsEx",
    "DsrAddressToSiteNamesExW",
    "DsrGetDcSiteCoverageW",
    "NetrLogonSamLogonEx",
    "DsrEnumerateDomainTrusts",
    "DsrDeregisterDnsHostRecords",
    "NetrServerTrustPasswordsGet",
    "DsrGetForestTrustInformation",
    "NetrGetForestTrustInformation",
    "NetrLogonSamLogonWithFlags",
    "NetrServerGetTrustInfo",
    "OpnumUnused47",
    "DsrUpdateReadOnlyServerDnsRecords",
    "NetrChainSetClientAttributes",
    "Opnum50NotUsedOnWire",
    "Opnum51NotUsedOnWire",
    "Opnum52NotUsedOnWire",
    "Opnum53NotUsedOnWire",
    "Opnum54NotUsedOnWire",
    "Opnum55NotUsedOnWire",
    "Opnum56NotUsedOnWire",
    "Opnum57NotUsedOnWire",
    "Opnum58NotUsedOnWire",
    "NetrServerAuthenticateKerberos",
};

/* MS-DRSR 4.1: directory replication, DCSync (DRSGetNCChanges) and DCShadow */
static const char *const drsuapi_ops[] = {
    "DRSBind",
    "DRSUnbind",
    "DRSReplicaSync",
    "DRSGetNCChanges",
    "DRSUpdateRefs",
    "DRSReplicaAdd",
    "DRSReplicaDel",
    "DRSReplicaModify",
    "DRSVerifyNames",
    "DRSGetMemberships",
    "DRSInterDomainMove",
    "DRSGetNT4ChangeLog",
    "DRSCrackNames",
    "DRSWriteSPN",
    "DRSRemoveDsServer",
    "DRSRemoveDsDomain",
    "DRSDomainControllerInfo",
    "DRSAddEntry",
    "DRSExecuteKCC",
    "DRSGetReplInfo",
    "DRSAddSidHistory",
    "DRSGetMemberships2",
    "DRSReplicaVerifyObjects",
    "DRSGetObjectExistence",
    "DRSQuerySitesByCost",
    "DRSInitDemotion",
    "DRSReplicaDemotion",
    "DRSFinishDemotion",
    "DRSAddCloneDC",
    "DRSWriteNgcKey",
    "DRSReadNgcKey",
};

/* MS-DRSR 4.2: dsaop, domain rename scripts */
static const char *const dsaop_ops[] = {
    "DSAPrepareScript",
    "DSAExecuteScript",
};

/* MS-DSSP 3.2.5: directory services setup; 1-10 the Windows 2000 names, 11 reserved */
static const char *const dssetup_ops[] = {
    "DsRolerGetPrimaryDomainInformation",
    "DsRolerDnsNameToFlatName",
    "DsRolerDcAsDc",
    "DsRolerDcAsReplica",
    "DsRolerDemoteDc",
    "DsRolerGetDcOperationProgress",
    "DsRolerGetDcOperationResults",
    "DsRolerCancel",
    "DsRolerServerSaveStateForUpgrade",
    "DsRolerUpgradeDownlevelServer",
    "DsRolerAbortDownlevelServerUpgrade",
    "Opnum11NotUsedOnWire",
};

/* C706 Appendix Q / MS-RPCE 2.2.1.3: the remote management interface every RPC server exposes */
static const char *const mgmt_ops[] = {
    "inq_if_ids", "inq_stats", "is_server_listening", "stop_server_listening", "inq_princ_name",
};

/* MS-WKST 3.2.4: workstation service, logged-on users and domain join */
static const char *const wkssvc_ops[] = {
    "NetrWkstaGetInfo",
    "NetrWkstaSetInfo",
    "NetrWkstaUserEnum",
    "Opnum3NotUsedOnWire",
    "Opnum4NotUsedOnWire",
    "NetrWkstaTransportEnum",
    "NetrWkstaTransportAdd",
    "NetrWkstaTransportDel",
    "NetrUseAdd",
    "NetrUseGetInfo",
    "NetrUseDel",
    "NetrUseEnum",
    "Opnum12NotUsedOnWire",
    "NetrWorkstationStatisticsGet",
    "Opnum14NotUsedOnWire",
    "Opnum15NotUsedOnWire",
    "Opnum16NotUsedOnWire",
    "Opnum17NotUsedOnWire",
    "Opnum18NotUsedOnWire",
    "Opnum19NotUsedOnWire",
    "NetrGetJoinInformation",
    "Opnum21NotUsedOnWire",
    "NetrJoinDomain2",
    "NetrUnjoinDomain2",
    "NetrRenameMachineInDomain2",
    "NetrValidateName2",
    "NetrGetJoinableOUs2",
    "NetrAddAlternateComputerName",
    "NetrRemoveAlternateComputerName",
    "NetrSetPrimaryComputerName",
    "NetrEnumerateComputerNames",
    "NetrJoinDomain3",
    "NetrUnjoinDomain3",
    "NetrRenameMachineInDomain3",
    "NetrValidateName3",
    "NetrAddAlternateComputerName2",
    "NetrRemoveAlternateComputerName2",
    "NetrSetPrimaryComputerName2",
};

/* MS-RPRN 3.1.4: print spooler, PrintNightmare (RpcAddPrinterDriverEx) and PrinterBug coercion
 * (RpcRemoteFindFirstPrinterChangeNotificationEx) */
static const char *const spoolss_ops[] = {
    "RpcEnumPrinters",
    "RpcOpenPrinter",
    "RpcSetJob",
    "RpcGetJob",
    "RpcEnumJobs",
    "RpcAddPrinter",
    "RpcDeletePrinter",
    "RpcSetPrinter",
    "RpcGetPrinter",
    "RpcAddPrinterDriver",
    "RpcEnumPrinterDrivers",
    "RpcGetPrinterDriver",
    "RpcGetPrinterDriverDirectory",
    "RpcDeletePrinterDriver",
    "RpcAddPrintProcessor",
    "RpcEnumPrintProcessors",
    "RpcGetPrintProcessorDirectory",
    "RpcStartDocPrinter",
    "RpcStartPagePrinter",
    "RpcWritePrinter",
    "RpcEndPagePrinter",
    "RpcAbortPrinter",
    "RpcReadPrinter",
    "RpcEndDocPrinter",
    "RpcAddJob",
    "RpcScheduleJob",
    "RpcGetPrinterData",
    "RpcSetPrinterData",
    "RpcWaitForPrinterChange",
    "RpcClosePrinter",
    "RpcAddForm",
    "RpcDeleteForm",
    "RpcGetForm",
    "RpcSetForm",
    "RpcEnumForms",
    "RpcEnumPorts",
    "RpcEnumMonitors",
    "Opnum37NotUsedOnWire",
    "Opnum38NotUsedOnWire",
    "RpcDeletePort",
    "RpcCreatePrinterIC",
    "RpcPlayGdiScriptOnPrinterIC",
    "RpcDeletePrinterIC",
    "Opnum43NotUsedOnWire",
    "Opnum44NotUsedOnWire",
    "Opnum45NotUsedOnWire",
    "RpcAddMonitor",
    "RpcDeleteMonitor",
    "RpcDeletePrintProcessor",
    "Opnum49NotUsedOnWire",
    "Opnum50NotUsedOnWire",
    "RpcEnumPrintProcessorDatatypes",
    "RpcResetPrinter",
    "RpcGetPrinterDriver2",
    "Opnum54NotUsedOnWire",
    "Opnum55NotUsedOnWire",
    "RpcFindClosePrinterChangeNotification",
    "Opnum57NotUsedOnWire",
    "RpcReplyOpenPrinter",
    "RpcRouterReplyPrinter",
    "RpcReplyClosePrinter",
    "RpcAddPortEx",
    "RpcRemoteFindFirstPrinterChangeNotification",
    "Opnum63NotUsedOnWire",
    "Opnum64NotUsedOnWire",
    "RpcRemoteFindFirstPrinterChangeNotificationEx",
    "RpcRouterReplyPrinterEx",
    "RpcRouterRefreshPrinterChangeNotification",
    "Opnum68NotUsedOnWire",
    "RpcOpenPrinterEx",
    "RpcAddPrinterEx",
    "RpcSetPort",
    "RpcEnumPrinterData",
    "RpcDeletePrinterData",
    "Opnum74NotUsedOnWire",
    "Opnum75NotUsedOnWire",
    "Opnum76NotUsedOnWire",
    "RpcSetPrinterDataEx",
    "RpcGetPrinterDataEx",
    "RpcEnumPrinterDataEx",
    "RpcEnumPrinterKey",
    "RpcDeletePrinterDataEx",
    "RpcDeletePrinterKey",
    "Opnum83NotUsedOnWire",
    "RpcDeletePrinterDriverEx",
    "RpcAddPerMachineConnection",
    "RpcDeletePerMachineConnection",
    "RpcEnumPerMachineConnections",
    "RpcXcvData",
    "RpcAddPrinterDriverEx",
    "Opnum90NotUsedOnWire",
    "Opnum91NotUsedOnWire",
    "Opnum92NotUsedOnWire",
    "Opnum93NotUsedOnWire",
    "Opnum94NotUsedOnWire",
    "Opnum95NotUsedOnWire",
    "RpcFlushPrinter",
    "RpcSendRecvBidiData",
    "Opnum98NotUsedOnWire",
    "Opnum99NotUsedOnWire",
    "Opnum100NotUsedOnWire",
    "Opnum101NotUsedOnWire",
    "RpcGetCorePrinterDrivers",
    "Opnum103NotUsedOnWire",
    "RpcGetPrinterDriverPackagePath",
    "Opnum105NotUsedOnWire",
    "Opnum106NotUsedOnWire",
    "Opnum107NotUsedOnWire",
    "Opnum108NotUsedOnWire",
    "Opnum109NotUsedOnWire",
    "RpcGetJobNamedPropertyValue",
    "RpcSetJobNamedProperty",
    "RpcDeleteJobNamedProperty",
    "RpcEnumJobNamedProperties",
    "Opnum114NotUsedOnWire",
    "Opnum115NotUsedOnWire",
    "RpcLogJobInfoForBranchOffice",
};

/* MS-PAR 3.1.4: asynchronous print, PrintNightmare over RPC/TCP (RpcAsyncAddPrinterDriver) */
static const char *const IRemoteWinspool_ops[] = {
    "RpcAsyncOpenPrinter",
    "RpcAsyncAddPrinter",
    "RpcAsyncSetJob",
    "RpcAsyncGetJob",
    "RpcAsyncEnumJobs",
    "RpcAsyncAddJob",
    "RpcAsyncScheduleJob",
    "RpcAsyncDeletePrinter",
    "RpcAsyncSetPrinter",
    "RpcAsyncGetPrinter",
    "RpcAsyncStartDocPrinter",
    "RpcAsyncStartPagePrinter",
    "RpcAsyncWritePrinter",
    "RpcAsyncEndPagePrinter",
    "RpcAsyncEndDocPrinter",
    "RpcAsyncAbortPrinter",
    "RpcAsyncGetPrinterData",
    "RpcAsyncGetPrinterDataEx",
    "RpcAsyncSetPrinterData",
    "RpcAsyncSetPrinterDataEx",
    "RpcAsyncClosePrinter",
    "RpcAsyncAddForm",
    "RpcAsyncDeleteForm",
    "RpcAsyncGetForm",
    "RpcAsyncSetForm",
    "RpcAsyncEnumForms",
    "RpcAsyncGetPrinterDriver",
    "RpcAsyncEnumPrinterData",
    "RpcAsyncEnumPrinterDataEx",
    "RpcAsyncEnumPrinterKey",
    "RpcAsyncDeletePrinterData",
    "RpcAsyncDeletePrinterDataEx",
    "RpcAsyncDeletePrinterKey",
    "RpcAsyncXcvData",
    "RpcAsyncSendRecvBidiData",
    "RpcAsyncCreatePrinterIC",
    "RpcAsyncPlayGdiScriptOnPrinterIC",
    "RpcAsyncDeletePrinterIC",
    "RpcAsyncEnumPrinters",
    "RpcAsyncAddPrinterDriver",
    "RpcAsyncEnumPrinterDrivers",
    "RpcAsyncGetPrinterDriverDirectory",
    "RpcAsyncDeletePrinterDriver",
    "RpcAsyncDeletePrinterDriverEx",
    "RpcAsyncAddPrintProcessor",
    "RpcAsyncEnumPrintProcessors",
    "RpcAsyncGetPrintProcessorDirectory",
    "RpcAsyncEnumPorts",
    "RpcAsyncEnumMonitors",
    "RpcAsyncAddPort",
    "RpcAsyncSetPort",
    "RpcAsyncAddMonitor",
    "RpcAsyncDeleteMonitor",
    "RpcAsyncDeletePrintProcessor",
    "RpcAsyncEnumPrintProcessorDatatypes",
    "RpcAsyncAddPerMachineConnection",
    "RpcAsyncDeletePerMachineConnection",
    "RpcAsyncEnumPerMachineConnections",
    "RpcSyncRegisterForRemoteNotifications",
    "RpcSyncUnRegisterForRemoteNotifications",
    "RpcSyncRefreshRemoteNotifications",
    "RpcAsyncGetRemoteNotifications",
    "RpcAsyncInstallPrinterDriverFromPackage",
    "RpcAsyncUploadPrinterDriverPackage",
    "RpcAsyncGetCorePrinterDrivers",
    "RpcAsyncCorePrinterDriverInstalled",
    "RpcAsyncGetPrinterDriverPackagePath",
    "RpcAsyncDeletePrinterDriverPackage",
    "RpcAsyncReadPrinter",
    "RpcAsyncResetPrinter",
    "RpcAsyncGetJobNamedPropertyValue",
    "RpcAsyncSetJobNamedProperty",
    "RpcAsyncDeleteJobNamedProperty",
    "RpcAsyncEnumJobNamedProperties",
    "RpcAsyncLogJobInfoForBranchOffice",
};

/* MS-EFSR 3.1.4: encrypting file system, PetitPotam coercion (EfsRpcOpenFileRaw, EfsRpcEncryptFileSrv) */
static const char *const efsrpc_ops[] = {
    "EfsRpcOpenFileRaw",
    "EfsRpcReadFileRaw",
    "EfsRpcWriteFileRaw",
    "EfsRpcCloseRaw",
    "EfsRpcEncryptFileSrv",
    "EfsRpcDecryptFileSrv",
    "EfsRpcQueryUsersOnFile",
    "EfsRpcQueryRecoveryAgents",
    "EfsRpcRemoveUsersFromFile",
    "EfsRpcAddUsersToFile",
    "Opnum10NotUsedOnWire",
    "EfsRpcNotSupported",
    "EfsRpcFileKeyInfo",
    "EfsRpcDuplicateEncryptionInfoFile",
    "Opnum14NotUsedOnWire",
    "EfsRpcAddUsersToFileEx",
    "EfsRpcFileKeyInfoEx",
    "Opnum17NotUsedOnWire",
    "EfsRpcGetEncryptedFileMetadata",
    "EfsRpcSetEncryptedFileMetadata",
    "EfsRpcFlushEfsCache",
    "EfsRpcEncryptFileExSrv",
    "EfsRpcQueryProtectors",
    "Opnum23NotUsedOnWire",
    "Opnum24NotUsedOnWire",
    "Opnum25NotUsedOnWire",
    "Opnum26NotUsedOnWire",
    "Opnum27NotUsedOnWire",
    "Opnum28NotUsedOnWire",
    "Opnum29NotUsedOnWire",
    "Opnum30NotUsedOnWire",
    "Opnum31NotUsedOnWire",
    "Opnum32NotUsedOnWire",
    "Opnum33NotUsedOnWire",
    "Opnum34NotUsedOnWire",
    "Opnum35NotUsedOnWire",
    "Opnum36NotUsedOnWire",
    "Opnum37NotUsedOnWire",
    "Opnum38NotUsedOnWire",
    "Opnum39NotUsedOnWire",
    "Opnum40NotUsedOnWire",
    "Opnum41NotUsedOnWire",
    "Opnum42NotUsedOnWire",
    "Opnum43NotUsedOnWire",
    "Opnum44NotUsedOnWire",
};

/* MS-DFSNM 3.1.4: DFS namespace management, DFSCoerce (NetrDfsAddStdRoot, NetrDfsRemoveStdRoot) */
static const char *const netdfs_ops[] = {
    "NetrDfsManagerGetVersion",
    "NetrDfsAdd",
    "NetrDfsRemove",
    "NetrDfsSetInfo",
    "NetrDfsGetInfo",
    "NetrDfsEnum",
    "NetrDfsMove",
    "Opnum7NotUsedOnWire",
    "Opnum8NotUsedOnWire",
    "Opnum9NotUsedOnWire",
    "NetrDfsAddFtRoot",
    "NetrDfsRemoveFtRoot",
    "NetrDfsAddStdRoot",
    "NetrDfsRemoveStdRoot",
    "NetrDfsManagerInitialize",
    "NetrDfsAddStdRootForced",
    "NetrDfsGetDcAddress",
    "NetrDfsSetDcAddress",
    "NetrDfsFlushFtTable",
    "NetrDfsAdd2",
    "NetrDfsRemove2",
    "NetrDfsEnumEx",
    "NetrDfsSetInfo2",
    "NetrDfsAddRootTarget",
    "NetrDfsRemoveRootTarget",
    "NetrDfsGetSupportedNamespaceVersion",
};

/* MS-FSRVP 3.1.4: file server shadow copies, ShadowCoerce (IsPathSupported, IsPathShadowCopied) */
static const char *const FileServerVssAgent_ops[] = {
    "GetSupportedVersion",
    "SetContext",
    "StartShadowCopySet",
    "AddToShadowCopySet",
    "CommitShadowCopySet",
    "ExposeShadowCopySet",
    "RecoveryCompleteShadowCopySet",
    "AbortShadowCopySet",
    "IsPathSupported",
    "IsPathShadowCopied",
    "GetShareMapping",
    "DeleteShareMapping",
    "PrepareShadowCopySet",
};

/* MS-EVEN 3.1.4: classic event log, log clearing (ElfrClearELFW) */
static const char *const eventlog_ops[] = {
    "ElfrClearELFW",
    "ElfrBackupELFW",
    "ElfrCloseEL",
    "ElfrDeregisterEventSource",
    "ElfrNumberOfRecords",
    "ElfrOldestRecord",
    "ElfrChangeNotify",
    "ElfrOpenELW",
    "ElfrRegisterEventSourceW",
    "ElfrOpenBELW",
    "ElfrReadELW",
    "ElfrReportEventW",
    "ElfrClearELFA",
    "ElfrBackupELFA",
    "ElfrOpenELA",
    "ElfrRegisterEventSourceA",
    "ElfrOpenBELA",
    "ElfrReadELA",
    "ElfrReportEventA",
    "Opnum19NotUsedOnWire",
    "Opnum20NotUsedOnWire",
    "Opnum21NotUsedOnWire",
    "ElfrGetLogInformation",
    "Opnum23NotUsedOnWire",
    "ElfrReportEventAndSourceW",
    "ElfrReportEventExW",
    "ElfrReportEventExA",
};

/* MS-EVEN6 3.1.4: Windows event log (even6), log clearing (EvtRpcClearLog) */
static const char *const even6_ops[] = {
    "EvtRpcRegisterRemoteSubscription",
    "EvtRpcRemoteSubscriptionNextAsync",
    "EvtRpcRemoteSubscriptionNext",
    "EvtRpcRemoteSubscriptionWaitAsync",
    "EvtRpcRegisterControllableOperation",
    "EvtRpcRegisterLogQuery",
    "EvtRpcClearLog",
    "EvtRpcExportLog",
    "EvtRpcLocalizeExportLog",
    "EvtRpcMessageRender",
    "EvtRpcMessageRenderDefault",
    "EvtRpcQueryNext",
    "EvtRpcQuerySeek",
    "EvtRpcClose",
    "EvtRpcCancel",
    "EvtRpcAssertConfig",
    "EvtRpcRetractConfig",
    "EvtRpcOpenLogHandle",
    "EvtRpcGetLogFileInfo",
    "EvtRpcGetChannelList",
    "EvtRpcGetChannelConfig",
    "EvtRpcPutChannelConfig",
    "EvtRpcGetPublisherList",
    "EvtRpcGetPublisherListForChannel",
    "EvtRpcGetPublisherMetadata",
    "EvtRpcGetPublisherResourceMetadata",
    "EvtRpcGetEventMetadataEnum",
    "EvtRpcGetNextEventMetadata",
    "EvtRpcGetClassicLogDisplayName",
};

/* MS-BKRP 3.1.4: DPAPI domain backup key retrieval */
static const char *const BackupKey_ops[] = {
    "BackuprKey",
};

/* MS-TSCH 3.2.5.3: SASec, task account credentials */
static const char *const sasec_ops[] = {
    "SASetAccountInformation",
    "SASetNSAccountInformation",
    "SAGetNSAccountInformation",
    "SAGetAccountInformation",
};

/* MS-DCOM 3.1.1.5.6: IRemUnknown; opnums 0-2 are IUnknown's (3.1.1.5.8), never sent */
static const char *const IRemUnknown_ops[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemQueryInterface", "RemAddRef", "RemRelease",
};

/* MS-DCOM 3.1.1.5.7: IRemUnknown2 */
static const char *const IRemUnknown2_ops[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemQueryInterface",
    "RemAddRef",           "RemRelease",          "RemQueryInterface2",
};

/* MS-DCOM 3.1.2.5.2.2: IRemoteSCMActivator (Wireshark: ISystemActivator), DCOM object activation */
static const char *const IRemoteSCMActivator_ops[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemoteGetClassObject", "RemoteCreateInstance",
};

/* MS-DCOM 3.1.2.5.2.1: IActivation, the old activation interface */
static const char *const IActivation_ops[] = {
    "RemoteActivation",
};

/* MS-DCOM 3.1.2.5.1: IObjectExporter (IOXIDResolver), OXID resolution and pinging */
static const char *const IObjectExporter_ops[] = {
    "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2", "ServerAlive2",
};

/* MS-WMI 3.1.4.1: IWbemLevel1Login, the first call of remote WMI (wmiexec) */
static const char *const IWbemLevel1Login_ops[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "EstablishPosition",
    "RequestChallenge",    "WBEMLogin",           "NTLMLogin",
};

/* MS-WMI 3.1.4.3: IWbemServices, remote WMI queries and method calls (Win32_Process Create) */
static const char *const IWbemServices_ops[] = {
    "Opnum0NotUsedOnWire",
    "Opnum1NotUsedOnWire",
    "Opnum2NotUsedOnWire",
    "OpenNamespace",
    "CancelAsyncCall",
    "QueryObjectSink",
    "GetObject",
    "GetObjectAsync",
    "PutClass",
    "PutClassAsync",
    "DeleteClass",
    "DeleteClassAsync",
    "CreateClassEnum",
    "CreateClassEnumAsync",
    "PutInstance",
    "PutInstanceAsync",
    "DeleteInstance",
    "DeleteInstanceAsync",
    "CreateInstanceEnum",
    "CreateInstanceEnumAsync",
    "ExecQuery",
    "ExecQueryAsync",
    "ExecNotificationQuery",
    "ExecNotificationQueryAsync",
    "ExecMethod",
    "ExecMethodAsync",
};

struct iface_entry {
    const char *uuid; /* as dcerpc_uuid_format prints it: lower case */
    struct dcerpc_iface_info info;
};

/* UUIDs and interface versions from each specification's section 1.9 or 2.1 (the version in the comment) */
static const struct iface_entry ifaces[] = {
    {"367abb81-9844-35f1-ad32-98f038001003", {"svcctl", svcctl_ops, N(svcctl_ops)}},            /* 2.0 */
    {"12345778-1234-abcd-ef00-0123456789ab", {"lsarpc", lsarpc_ops, N(lsarpc_ops)}},            /* 0.0 */
    {"12345778-1234-abcd-ef00-0123456789ac", {"samr", samr_ops, N(samr_ops)}},                  /* 1.0 */
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", {"srvsvc", srvsvc_ops, N(srvsvc_ops)}},            /* 3.0 */
    {"1ff70682-0a51-30e8-076d-740be8cee98b", {"atsvc", atsvc_ops, N(atsvc_ops)}},               /* 1.0 */
    {"86d35949-83c9-4044-b424-db363231fd0c", {"ITaskSchedulerService", tsch_ops, N(tsch_ops)}}, /* 1.0 */
    {"338cd001-2244-31f1-aaaa-900038001003", {"winreg", winreg_ops, N(winreg_ops)}},            /* 1.0 */
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", {"epmapper", epm_ops, N(epm_ops)}},                /* 3.0 */
    {"12345678-1234-abcd-ef00-01234567cffb", {"netlogon", netlogon_ops, N(netlogon_ops)}},      /* 1.0 */
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", {"drsuapi", drsuapi_ops, N(drsuapi_ops)}},         /* 4.0 */
    {"7c44d7d4-31d5-424c-bd5e-2b3e1f323d22", {"dsaop", dsaop_ops, N(dsaop_ops)}},               /* 1.0 */
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", {"dssetup", dssetup_ops, N(dssetup_ops)}},         /* 0.0 */
    {"afa8bd80-7d8a-11c9-bef4-08002b102989", {"mgmt", mgmt_ops, N(mgmt_ops)}},                  /* 1.0 */
    {"6bffd098-a112-3610-9833-46c3f87e345a", {"wkssvc", wkssvc_ops, N(wkssvc_ops)}},            /* 1.0 */
    {"12345678-1234-abcd-ef00-0123456789ab", {"spoolss", spoolss_ops, N(spoolss_ops)}},         /* 1.0 */
    {"76f03f96-cdfd-44fc-a22c-64950a001209",
     {"IRemoteWinspool", IRemoteWinspool_ops, N(IRemoteWinspool_ops)}}, /* 1.0 */
    /* MS-EFSR 1.9: one interface, two UUIDs: \pipe\lsarpc and \pipe\efsrpc */
    {"c681d488-d850-11d0-8c52-00c04fd90f7e", {"efsrpc", efsrpc_ops, N(efsrpc_ops)}}, /* 1.0 */
    {"df1941c5-fe89-4e79-bf10-463657acf44d", {"efsrpc", efsrpc_ops, N(efsrpc_ops)}}, /* 1.0 */
    {"4fc742e0-4a10-11cf-8273-00aa004ae673", {"netdfs", netdfs_ops, N(netdfs_ops)}}, /* 3.0 */
    {"a8e0653c-2744-4389-a61d-7373df8b2292",
     {"FileServerVssAgent", FileServerVssAgent_ops, N(FileServerVssAgent_ops)}},              /* 1.0 */
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", {"eventlog", eventlog_ops, N(eventlog_ops)}},    /* 0.0 */
    {"f6beaff7-1e19-4fbb-9f8f-b89e2018337c", {"IEventService", even6_ops, N(even6_ops)}},     /* 1.0 */
    {"3dde7c30-165d-11d1-ab8f-00805f14db40", {"BackupKey", BackupKey_ops, N(BackupKey_ops)}}, /* 1.0 */
    {"378e52b0-c0a9-11cf-822d-00aa0051e40f", {"sasec", sasec_ops, N(sasec_ops)}},             /* 1.0 */
    /* MS-DCOM 2.1: every DCOM interface (these and MS-WMI's) is version 0.0 */
    {"00000131-0000-0000-c000-000000000046", {"IRemUnknown", IRemUnknown_ops, N(IRemUnknown_ops)}},
    {"00000143-0000-0000-c000-000000000046", {"IRemUnknown2", IRemUnknown2_ops, N(IRemUnknown2_ops)}},
    {"000001a0-0000-0000-c000-000000000046",
     {"IRemoteSCMActivator", IRemoteSCMActivator_ops, N(IRemoteSCMActivator_ops)}},
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", {"IActivation", IActivation_ops, N(IActivation_ops)}},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", {"IObjectExporter", IObjectExporter_ops, N(IObjectExporter_ops)}},
    {"f309ad18-d86a-11d0-a075-00c04fb68820", {"IWbemLevel1Login", IWbemLevel1Login_ops, N(IWbemLevel1Login_ops)}},
    {"9556dc99-828c-11cf-a37e-00aa003240c7", {"IWbemServices", IWbemServices_ops, N(IWbemServices_ops)}},
};

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
    for (size_t i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++)
        if (uuid_is(u, ifaces[i].uuid))
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
