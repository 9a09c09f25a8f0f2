/*
 * test_detect.c - the detection engine fed synthetic events: each detector's
 * threshold and window edges, allowlists, state expiry on packet time, the
 * memcap, the per-(signature, source) rate limit, severity overrides, the
 * chain, indicator-list parsing and its errors, and docs/DETECTIONS.md having a
 * section for every signature id in the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "app/dcerpc/dcerpc.h"
#include "app/dicom/dicom.h"
#include "app/dns/dns.h"
#include "app/hl7/hl7.h"
#include "app/http/http.h"
#include "app/smb/smb.h"
#include "core/stats.h"
#include "correlate/dns_name_map.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "detect/detect_int.h"
#include "detect/rules.h"
#include "files/files.h"
#include "flow/flow.h"

#define SEC 1000000ULL

/* ---- harness: an engine on a bus, recording the alerts it publishes ---- */
struct harness {
    struct event_bus bus;
    struct detect_cfg cfg;
    struct detect_ctx *d;
    struct flow flow;
    int n;
    uint32_t sids[64];
    uint8_t sev[64];
    struct alert_event last;
};

static void on_alert(void *user, const struct event *ev)
{
    struct harness *h = user;
    const struct alert_event *a = ev->body;
    if (h->n < 64) {
        h->sids[h->n] = a->sig->sid;
        h->sev[h->n] = a->severity;
    }
    h->n++;
    h->last = *a;
}

static int count_sid(const struct harness *h, uint32_t sid)
{
    int c = 0;
    for (int i = 0; i < h->n && i < 64; i++)
        c += h->sids[i] == sid;
    return c;
}

static void set4(struct ip_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    uint8_t b[4] = {x, y, z, w};
    ip_addr_set4(a, b);
}

static struct harness *harness_new(void (*tune)(struct detect_cfg *))
{
    struct harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    detect_cfg_defaults(&h->cfg);
    h->cfg.rules_dir[0] = '\0';
    if (tune)
        tune(&h->cfg);
    char err[512];
    h->d = detect_new(&h->cfg, &h->bus, err, sizeof(err));
    assert_non_null(h->d);
    assert_int_equal(event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_ALERT), on_alert, h), 0);
    set4(&h->flow.client, 10, 0, 0, 5);
    set4(&h->flow.server, 10, 0, 0, 30);
    h->flow.client_port = 50000;
    h->flow.server_port = 445;
    h->flow.ipproto = 6;
    h->flow.flow_id = 1;
    return h;
}

static void harness_free(struct harness *h)
{
    detect_free(h->d);
    free(h);
}

static void publish(struct harness *h, enum event_type t, uint64_t ts, const void *body)
{
    struct event ev = {.type = t, .ts_us = ts, .flow = &h->flow, .dir = EVENT_DIR_TOSERVER, .body = body};
    event_publish(&h->bus, &ev);
}

static void write_file(struct harness *h, uint64_t ts, const char *share, const char *name, const char *head,
                       const char *sha)
{
    struct fileinfo_event fi = {.filename = name, .share = share, .source = "smb", .direction = 0};
    fi.head = (const uint8_t *)head;
    fi.head_len = strlen(head);
    fi.magic = "PE32 executable (x86)";
    if (sha) {
        fi.has_sha256 = true;
        snprintf(fi.sha256, sizeof(fi.sha256), "%s", sha);
    }
    publish(h, EVENT_FILEINFO, ts, &fi);
}

static void svcctl(struct harness *h, uint64_t ts, uint16_t opnum, const char *name, const char *display,
                   const char *path)
{
    struct dcerpc_svcctl s;
    memset(&s, 0, sizeof(s));
    s.present = true;
    s.opnum = opnum;
    snprintf(s.service_name, sizeof(s.service_name), "%s", name);
    snprintf(s.display_name, sizeof(s.display_name), "%s", display);
    snprintf(s.binary_path, sizeof(s.binary_path), "%s", path);
    struct dcerpc_event e;
    memset(&e, 0, sizeof(e));
    e.ptype = DCERPC_REQUEST;
    e.transport = DCERPC_TRANSPORT_SMB;
    e.pipe = "svcctl";
    e.opnum = opnum;
    e.iface_name = "svcctl";
    e.op_name = opnum == 12 ? "CreateServiceW" : opnum == 19 ? "StartServiceW" : "OpenServiceW";
    e.svcctl = &s;
    publish(h, EVENT_DCERPC, ts, &e);
}

static const char *SHA = "e49f70fdc4ac50a9a640c34040e8a386e91d868e9ca7c3a331c44c065137f5d7";

/* ---- 5: admin share ---- */
static void test_admin_share_exe(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    write_file(h, 1 * SEC, "\\\\PACS\\IMAGES", "a.exe", "MZ\x90", SHA); /* not an admin share */
    write_file(h, 2 * SEC, "\\\\PACS\\ADMIN$", "x.dcm", "DICM", SHA);   /* not an executable */
    write_file(h, 3 * SEC, "\\\\PACS\\CC$", "a.exe", "MZ", SHA);        /* not a drive share */
    assert_int_equal(h->n, 0);
    write_file(h, 4 * SEC, "\\\\PACS\\C$", "WINDOWS\\a.bin", "MZ", SHA); /* magic, not the name, decides */
    write_file(h, 5 * SEC, "\\\\PACS\\admin$", "a",
               "\x7f"
               "ELF",
               NULL);
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 2);
    assert_int_equal(h->last.severity, 1);
    assert_string_equal(h->last.share, "\\\\PACS\\admin$");
    harness_free(h);
    assert_true(detect_is_admin_share("D$"));
    assert_false(detect_is_admin_share("IPC$"));
    assert_false(detect_is_admin_share(NULL));
}

static void allow_admin(struct detect_cfg *c)
{
    snprintf(c->admin_hosts, sizeof(c->admin_hosts), "10.0.0.0/29, 192.168.1.7");
}

static void test_admin_allowlist(void **state)
{
    (void)state;
    struct harness *h = harness_new(allow_admin);
    write_file(h, 1 * SEC, "\\\\PACS\\ADMIN$", "svc.exe", "MZ", SHA);
    svcctl(h, 2 * SEC, 12, "Svc", "Svc", "%SystemRoot%\\svc.exe");
    assert_int_equal(h->n, 0); /* 10.0.0.5 is inside 10.0.0.0/29: SCCM push, no step, no chain */
    assert_int_equal(detect_get_stats(h->d)->allowlisted, 2);
    set4(&h->flow.client, 10, 0, 0, 8); /* just outside the /29 */
    write_file(h, 3 * SEC, "\\\\PACS\\ADMIN$", "svc.exe", "MZ", SHA);
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 1);
    harness_free(h);
}

/* ---- 6, 7 and the chain ---- */
static void test_chain(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    write_file(h, 10 * SEC, "\\\\PACS\\ADMIN$", "system32\\svcupdate.exe", "MZ", SHA);
    h->flow.flow_id = 2;
    svcctl(h, 11 * SEC, 12, "SvcUpdate", "Service Update", "%SystemRoot%\\system32\\svcupdate.exe");
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 1);
    assert_int_equal(count_sid(h, SID_REMOTE_SERVICE), 1);
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    assert_int_equal(h->last.sig->sid, SID_CHAIN); /* after the steps it summarises */
    assert_int_equal(h->last.severity, 1);
    assert_int_equal(h->last.n_steps, 2);
    assert_int_equal(h->last.steps[0].sid, SID_ADMIN_SHARE_EXE);
    assert_int_equal(h->last.steps[0].flow_id, 1);
    assert_int_equal(h->last.steps[1].sid, SID_REMOTE_SERVICE);
    assert_int_equal(h->last.steps[1].flow_id, 2);
    assert_int_equal(h->last.n_flows, 2);
    /* more steps in the same window: no second chain */
    svcctl(h, 12 * SEC, 12, "SvcUpdate2", "x", "y");
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    harness_free(h);
}

static void test_chain_window_edge(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL); /* chain.window 600 s */
    write_file(h, 100 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA);
    svcctl(h, 100 * SEC + 600 * SEC + 1, 12, "S", "S", "p"); /* one microsecond past the window */
    assert_int_equal(count_sid(h, SID_CHAIN), 0);
    harness_free(h);
    h = harness_new(NULL);
    write_file(h, 100 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA);
    svcctl(h, 100 * SEC + 600 * SEC, 12, "S", "S", "p"); /* exactly at the edge: inside */
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    harness_free(h);
}

static void test_start_after_write(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    svcctl(h, 1 * SEC, 19, "Spooler", "", ""); /* a start alone: routine, nothing */
    assert_int_equal(h->n, 0);
    write_file(h, 2 * SEC, "\\\\PACS\\ADMIN$", "PSEXESVC.exe", "MZ", SHA);
    svcctl(h, 3 * SEC, 19, "PSEXESVC", "", "");
    assert_int_equal(count_sid(h, SID_REMOTE_SERVICE), 0);
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    harness_free(h);
}

static void test_service_identity(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    char err[256];
    char l1[] = "service WmiApSrvEx", l2[] = "service WMI Performance Adapter Extension",
         l3[] = "service-path ControlTrace -Embedding -k";
    struct detect_rules *r = &h->d->rules;
    assert_int_equal(rules_parse_line(r, 0, l1, err, sizeof(err)), 0);
    assert_int_equal(rules_parse_line(r, 0, l2, err, sizeof(err)), 0);
    assert_int_equal(rules_parse_line(r, 0, l3, err, sizeof(err)), 0);
    svcctl(h, 1 * SEC, 16, "wmiApSrv", "WMI Performance Adapter", "C:\\Windows\\system32\\wbem\\WmiApSrv.exe");
    assert_int_equal(count_sid(h, SID_SERVICE_IDENTITY), 0); /* the real Windows service */
    svcctl(h, 2 * SEC, 16, "WMIAPSRVEX", "", "");            /* case-insensitive, any svcctl request */
    assert_int_equal(count_sid(h, SID_SERVICE_IDENTITY), 1);
    h->flow.client.b[15]++;
    svcctl(h, 3 * SEC, 16, "Other", "x", "c:\\x.exe controltrace -embedding -k 1");
    assert_int_equal(count_sid(h, SID_SERVICE_IDENTITY), 2);
    assert_string_equal(h->last.indicator_type, "service-path");
    harness_free(h);
}

/* ---- 8: fan-out and auth failures ---- */
static void test_fanout(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL); /* 5 hosts in 600 s */
    for (int i = 0; i < 4; i++) {
        h->flow.server.b[15] = (uint8_t)(40 + i);
        write_file(h, (uint64_t)(1 + i) * SEC, "\\\\H\\ADMIN$", "w.exe", "MZ", SHA);
    }
    h->flow.server.b[15] = 40; /* the same host again does not count */
    write_file(h, 5 * SEC, "\\\\H\\ADMIN$", "w.exe", "MZ", SHA);
    assert_int_equal(count_sid(h, SID_FANOUT), 0);
    h->flow.server.b[15] = 44;
    write_file(h, 6 * SEC, "\\\\H\\ADMIN$", "w.exe", "MZ", SHA);
    assert_int_equal(count_sid(h, SID_FANOUT), 1);
    struct alert_event fan = h->last;
    for (int i = 0; i < h->n && i < 64; i++)
        if (h->sids[i] == SID_FANOUT)
            assert_int_equal(h->sev[i], 1);
    (void)fan;
    harness_free(h);
}

static void test_auth_failures(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL); /* 5 in 300 s */
    struct smb_event e;
    memset(&e, 0, sizeof(e));
    e.version = 2;
    e.command = SMB2_SESSION_SETUP;
    e.has_status = true;
    e.status = 0xc000006d;
    for (int i = 0; i < 4; i++)
        publish(h, EVENT_SMB, (uint64_t)i * 100 * SEC, &e); /* 0, 100, 200, 300 */
    publish(h, EVENT_SMB, 300 * SEC + 1, &e);               /* the first just left the window: 4 inside */
    assert_int_equal(count_sid(h, SID_AUTH_FAIL_BURST), 0);
    publish(h, EVENT_SMB, 300 * SEC + 2, &e);
    assert_int_equal(count_sid(h, SID_AUTH_FAIL_BURST), 1);
    e.status = 0; /* a success never counts */
    for (int i = 0; i < 10; i++)
        publish(h, EVENT_SMB, 403 * SEC, &e);
    assert_int_equal(h->n, 1);
    harness_free(h);
}

/* ---- 9: recon ---- */
static void rpc(struct harness *h, uint64_t ts, const char *iface, uint16_t op)
{
    struct dcerpc_event e;
    memset(&e, 0, sizeof(e));
    e.ptype = DCERPC_REQUEST;
    e.iface_name = iface;
    e.opnum = op;
    publish(h, EVENT_DCERPC, ts, &e);
}

static void test_recon(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    for (int i = 0; i < 20; i++)
        rpc(h, (uint64_t)i * SEC, "lsarpc", 7); /* net rpc does this for every command */
    rpc(h, 30 * SEC, "srvsvc", 21);             /* NetrServerGetInfo: not enumeration */
    assert_int_equal(h->n, 0);
    rpc(h, 31 * SEC, "srvsvc", 15); /* NetrShareEnum */
    assert_int_equal(count_sid(h, SID_RECON_BURST), 1);
    harness_free(h);
}

/* ---- 21: SMB1 ---- */
static void test_smb1(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct smb_event e;
    memset(&e, 0, sizeof(e));
    e.version = 1;
    e.command = 0x72;
    e.has_status = true;
    e.dialect = "SMB 2.???"; /* an SMB1 negotiate answered with SMB2: not SMB1 */
    publish(h, EVENT_SMB, 1 * SEC, &e);
    assert_int_equal(h->n, 0);
    e.dialect = "NT LM 0.12";
    publish(h, EVENT_SMB, 2 * SEC, &e);
    publish(h, EVENT_SMB, 3 * SEC, &e); /* the same pair again: once per interval */
    assert_int_equal(count_sid(h, SID_SMB1), 1);
    assert_int_equal(h->last.severity, 3);
    publish(h, EVENT_SMB, 2 * SEC + 86400 * SEC, &e);
    assert_int_equal(count_sid(h, SID_SMB1), 2);
    harness_free(h);
}

/* ---- DICOM ---- */
static void dicom(struct harness *h, uint64_t ts, enum dicom_event_kind kind, const struct dicom_assoc *a,
                  const struct dicom_op *op, const char *end)
{
    struct dicom_event e = {.kind = kind, .assoc = a, .op = op, .end = end};
    publish(h, EVENT_DICOM, ts, &e);
}

static void allow_ae(struct detect_cfg *c)
{
    snprintf(c->dicom_aes, sizeof(c->dicom_aes), "ECHOSCU@10.0.0.5");
}

static void test_dicom_scanner(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    char err[128], l[] = "ae-title ECHOSCU";
    assert_int_equal(rules_parse_line(&h->d->rules, 0, l, err, sizeof(err)), 0);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    strcpy(a->called_ae, "ANY-SCP");
    strcpy(a->calling_ae, "ECHOSCU");
    strcpy(a->ui_rq.impl_version, "OFFIS_DCMTK_367"); /* real echoscu: only the tool-AE signature */
    dicom(h, 1 * SEC, DICOM_EV_REQUEST, a, NULL, NULL);
    assert_int_equal(count_sid(h, SID_DICOM_TOOL_AE), 1);
    assert_int_equal(count_sid(h, SID_DICOM_NMAP), 0);
    strcpy(a->ui_rq.impl_version, "OFFIS_DCMTK_362"); /* nmap's defaults */
    dicom(h, 2 * SEC, DICOM_EV_REQUEST, a, NULL, NULL);
    assert_int_equal(count_sid(h, SID_DICOM_NMAP), 1);
    harness_free(h);
    /* echoscu from the known workstation: nothing */
    h = harness_new(allow_ae);
    char l2[] = "ae-title ECHOSCU"; /* the parser cuts its line in place */
    assert_int_equal(rules_parse_line(&h->d->rules, 0, l2, err, sizeof(err)), 0);
    strcpy(a->ui_rq.impl_version, "OFFIS_DCMTK_367");
    strcpy(a->called_ae, "PACS");
    dicom(h, 1 * SEC, DICOM_EV_REQUEST, a, NULL, NULL);
    assert_int_equal(h->n, 0);
    free(a);
    harness_free(h);
}

static void test_ae_bruteforce(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL); /* 5 distinct in 300 s */
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->rj_source = 1;
    a->rj_reason = 7;
    for (int i = 0; i < 8; i++) { /* one title repeated: a misconfigured modality */
        strcpy(a->called_ae, "PACS1");
        dicom(h, (uint64_t)i * SEC, DICOM_EV_REJECT, a, NULL, NULL);
    }
    assert_int_equal(count_sid(h, SID_AE_BRUTE), 0);
    assert_int_equal(count_sid(h, SID_AE_REJECTED), 5); /* rate limit: 5 per source per 600 s */
    assert_int_equal(detect_get_stats(h->d)->suppressed, 3);
    for (int i = 0; i < 4; i++) {
        snprintf(a->called_ae, sizeof(a->called_ae), "TRY%d", i);
        dicom(h, (uint64_t)(10 + i) * SEC, DICOM_EV_REJECT, a, NULL, NULL);
    }
    assert_int_equal(count_sid(h, SID_AE_BRUTE), 1);
    assert_int_equal(h->last.n_aes, 5);
    a->rj_reason = 2; /* application context not supported: not a title guess */
    strcpy(a->called_ae, "OTHER");
    int before = h->n;
    dicom(h, 20 * SEC, DICOM_EV_REJECT, a, NULL, NULL);
    assert_int_equal(h->n, before);
    free(a);
    harness_free(h);
}

static void test_cfind_sweep(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL); /* 10 in 300 s */
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_op *op = calloc(1, sizeof(*op));
    assert_non_null(a);
    assert_non_null(op);
    strcpy(a->calling_ae, "RADWS01");
    op->has_rq = true;
    op->rq.command_field = 0x0020;
    strcpy(op->rq_ds.qr_level, "PATIENT");
    op->rq_ds.has_patient_id = true; /* one patient by id, name as a return key: a radiologist's lookup */
    strcpy(op->rq_ds.patient_id, "phi:1234");
    op->rq_ds.has_patient_name = true;
    op->rq_ds.patient_name_wild = true;
    for (int i = 0; i < 20; i++)
        dicom(h, (uint64_t)i * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 0);
    op->rq_ds.has_patient_id = false; /* PatientName=* alone: a sweep */
    for (int i = 0; i < 9; i++)
        dicom(h, (uint64_t)(100 + i) * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 0);
    dicom(h, 109 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_CFIND_SWEEP), 1);
    assert_int_equal(h->last.severity, 2);
    free(op);
    free(a);
    harness_free(h);
}

static void test_query_refused(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->ops_by_cmd[dicom_cmd_index(0x0020)] = 1;
    a->abort_dir = 0; /* the client aborted (echoscu --abort): nothing */
    dicom(h, 1 * SEC, DICOM_EV_SUMMARY, a, NULL, "abort");
    assert_int_equal(h->n, 0);
    a->abort_dir = 1;
    a->ops_by_cmd[dicom_cmd_index(0x8020)] = 1; /* answered, then aborted: nothing */
    dicom(h, 2 * SEC, DICOM_EV_SUMMARY, a, NULL, "abort");
    assert_int_equal(h->n, 0);
    a->ops_by_cmd[dicom_cmd_index(0x8020)] = 0;
    dicom(h, 3 * SEC, DICOM_EV_SUMMARY, a, NULL, "abort");
    assert_int_equal(count_sid(h, SID_QUERY_REFUSED), 1);
    free(a);
    harness_free(h);
}

static void test_cmove(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_op *op = calloc(1, sizeof(*op));
    assert_non_null(a);
    assert_non_null(op);
    strcpy(a->calling_ae, "RADWS01");
    op->has_rq = true;
    op->rq.command_field = 0x0021;
    strcpy(op->rq.move_destination, "RADWS01"); /* to the requester itself */
    op->rq_ts_us = 1 * SEC;
    dicom(h, 2 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 0);
    strcpy(op->rq.move_destination, "EVIL"); /* another AE, sub-association not seen */
    dicom(h, 3 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_CMOVE_THIRD), 1);
    /* the SCP (10.0.0.30) associates to EVIL at 10.9.9.9, then the C-MOVE completes */
    struct flow req = h->flow;
    h->flow.client = req.server;
    set4(&h->flow.server, 10, 9, 9, 9);
    strcpy(a->called_ae, "EVIL");
    dicom(h, 4 * SEC, DICOM_EV_REQUEST, a, NULL, NULL);
    h->flow = req;
    strcpy(a->called_ae, "PACS");
    op->rq_ts_us = 4 * SEC;
    dicom(h, 5 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_CMOVE_FOLLOWED), 1);
    assert_int_equal(h->last.severity, 1);
    assert_int_equal(h->last.n_hosts, 2); /* the PACS and the third host */
    free(op);
    free(a);
    harness_free(h);
}

/* ---- engine: expiry, memcap, rate limit, overrides ---- */
static void test_expiry_on_packet_time(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    write_file(h, 1 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA);
    assert_true(h->d->chain.n == 1 && h->d->fanout.n == 1);
    struct smb_event e;
    memset(&e, 0, sizeof(e)); /* any event moves packet time */
    publish(h, EVENT_SMB, 1 * SEC + 600 * SEC, &e);
    assert_int_equal(h->d->chain.n, 1); /* still inside the timeout */
    publish(h, EVENT_SMB, 1 * SEC + 602 * SEC, &e);
    assert_int_equal(h->d->chain.n, 0);
    assert_int_equal(h->d->fanout.n, 0);
    assert_int_equal(h->d->rate.n, 0);
    harness_free(h);
}

static void small_memcap(struct detect_cfg *c)
{
    c->memcap = 17 * 1024 * sizeof(void *) + 8 * 1024; /* the 17 tables' buckets and a few entries */
}

static void test_memcap(void **state)
{
    (void)state;
    struct harness *h = harness_new(small_memcap);
    const struct memcap *mc = detect_get_memcap(h->d);
    for (int i = 0; i < 200; i++) {
        h->flow.client.b[14] = (uint8_t)(i >> 8);
        h->flow.client.b[15] = (uint8_t)i;
        write_file(h, 1 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA);
    }
    assert_true(mc->used <= mc->cap);
    assert_true(detect_get_stats(h->d)->memcap_hits > 0);
    assert_true(count_sid(h, SID_ADMIN_SHARE_EXE) > 0);
    harness_free(h);
    char err[256];
    struct detect_cfg c;
    detect_cfg_defaults(&c);
    c.rules_dir[0] = '\0';
    c.memcap = 1024;
    assert_null(detect_new(&c, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "detect.memcap"));
}

static void overrides(struct detect_cfg *c)
{
    snprintf(c->disable, sizeof(c->disable), "9300300");
    snprintf(c->severity, sizeof(c->severity), "9300050=3");
    c->rate_count = 2;
    c->rate_seconds = 60;
}

static void test_overrides_and_rate(void **state)
{
    (void)state;
    struct harness *h = harness_new(overrides);
    for (int i = 0; i < 5; i++)
        write_file(h, (uint64_t)i * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA);
    svcctl(h, 6 * SEC, 12, "S", "S", "p");
    assert_int_equal(count_sid(h, SID_CHAIN), 0); /* disabled */
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 2);
    assert_int_equal(h->sev[0], 3);
    assert_int_equal(detect_get_stats(h->d)->suppressed, 3);
    write_file(h, 60 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ", SHA); /* a new rate window */
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 3);
    harness_free(h);
}

static void test_config_errors(void **state)
{
    (void)state;
    char err[512];
    struct detect_cfg c;
    detect_cfg_defaults(&c);
    c.rules_dir[0] = '\0';
    snprintf(c.imaging_nets, sizeof(c.imaging_nets), "10.0.0.0/33");
    assert_int_equal(detect_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "detect.zones.imaging"));
    c.imaging_nets[0] = '\0';
    snprintf(c.severity, sizeof(c.severity), "9300050=4");
    assert_int_equal(detect_check(&c, err, sizeof(err)), -1);
    c.severity[0] = '\0';
    snprintf(c.disable, sizeof(c.disable), "1234");
    assert_int_equal(detect_check(&c, err, sizeof(err)), -1);
    c.disable[0] = '\0';
    snprintf(c.dicom_aes, sizeof(c.dicom_aes), "RADWS01@not-an-ip");
    assert_int_equal(detect_check(&c, err, sizeof(err)), -1);
    snprintf(c.dicom_aes, sizeof(c.dicom_aes), "RADWS01@10.1.2.3, X@::1");
    assert_int_equal(detect_check(&c, err, sizeof(err)), 0);
}

/* ---- indicator lists ---- */
static void test_rules_lines(void **state)
{
    (void)state;
    struct detect_rules r;
    memset(&r, 0, sizeof(r));
    char err[256];
    const char *good[] = {"# comment",
                          "   ",
                          "domain DswSite.com",
                          "url dswsite.com/login.php",
                          "ip+path 101.11.98.119/groupusers/login.aspx",
                          "ip 65.116.107.24",
                          "ip ::1",
                          "sha256 E49F70FDC4AC50A9A640C34040E8A386E91D868E9CA7C3A331C44C065137F5D7",
                          "filename svcupdate.exe",
                          "service WMI Performance Adapter Extension",
                          "ae-title ANY-SCP",
                          "domain dswsite.com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "%s\n", good[i]);
        assert_int_equal(rules_parse_line(&r, 0, line, err, sizeof(err)), 0);
    }
    assert_int_equal(r.total, 9); /* the duplicate domain counts once */
    assert_non_null(rules_match(&r, IOC_DOMAIN, "DSWSITE.COM"));
    assert_non_null(rules_match(&r, IOC_SHA256, SHA));
    assert_non_null(rules_match(&r, IOC_SERVICE, "wmi performance adapter extension"));
    assert_null(rules_match(&r, IOC_SERVICE, "WMI Performance Adapter"));
    assert_null(rules_match(&r, IOC_DOMAIN, "site.com"));
    const char *bad[] = {"domain",
                         "nosuchtype x",
                         "domain 1.2.3.4",
                         "domain no_dot",
                         "url http://x.com/a",
                         "url x.com",
                         "ip+path x.com/a",
                         "ip 300.1.1.1",
                         "sha256 abcd",
                         "filename a\\b.exe",
                         "ae-title SEVENTEEN_CHARS_XX",
                         "domain a b.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "%s", bad[i]);
        assert_int_equal(rules_parse_line(&r, 0, line, err, sizeof(err)), -1);
    }
    rules_free(&r);
}

static void test_rules_file_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/medsentry-rules-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/x.txt", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# fine\nservice WmiApSrvEx\n\nsha256 123\n", fp);
    fclose(fp);
    struct detect_rules r;
    memset(&r, 0, sizeof(r));
    char err[512];
    assert_int_equal(rules_load_dir(&r, dir, err, sizeof(err)), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s:4: ", path);
    assert_non_null(strstr(err, want)); /* file and line */
    rules_free(&r);
    remove(path);
    rmdir(dir);
    memset(&r, 0, sizeof(r));
    assert_int_equal(rules_load_dir(&r, "/nonexistent-medsentry", err, sizeof(err)), -1);
    rules_free(&r);
}

static void test_shipped_rules(void **state)
{
    (void)state;
    struct detect_rules r;
    memset(&r, 0, sizeof(r));
    char err[512];
    if (rules_load_dir(&r, "rules", err, sizeof(err)) < 0)
        fail_msg("shipped rules/: %s", err);
    assert_true(r.n[IOC_IP_PATH] >= 465); /* S8's 465 IP-based URLs */
    assert_true(r.n[IOC_DOMAIN] > 1000);
    assert_non_null(rules_match(&r, IOC_IP_PATH, "65.116.107.24/login/login.php"));
    assert_non_null(rules_match(&r, IOC_SERVICE, "WmiApSrvEx"));
    assert_non_null(rules_match_path(&r, "%SystemRoot%\\x.exe ControlTrace -Embedding -k netsvcs"));
    assert_non_null(rules_match(&r, IOC_AE_TITLE, "ECHOSCU"));
    rules_free(&r);
}

/* ---- 10: executables to or from imaging hosts ---- */
static void imaging_zone(struct detect_cfg *c)
{
    snprintf(c->imaging_nets, sizeof(c->imaging_nets), "10.0.0.30/32");
    snprintf(c->admin_hosts, sizeof(c->admin_hosts), "10.0.9.9");
}

static void exe_file(struct harness *h, uint64_t ts, const char *share, int direction, const char *head, size_t n,
                     enum files_pe_sig pe)
{
    struct fileinfo_event fi = {.filename = "viewer.exe", .share = share, .source = "smb", .direction = direction};
    fi.head = (const uint8_t *)head;
    fi.head_len = n;
    fi.pe_sig = pe;
    fi.magic = "PE32 executable (x86)";
    publish(h, EVENT_FILEINFO, ts, &fi);
}

static void test_exe_imaging(void **state)
{
    (void)state;
    struct harness *h = harness_new(imaging_zone);                         /* the server 10.0.0.30 is an imaging host */
    exe_file(h, 1 * SEC, "\\\\PACS\\UPDATES", 1, "MZ", 2, FILES_PE_VALID); /* read from the PACS */
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 1);
    assert_int_equal(h->last.severity, 2);
    assert_string_equal(h->last.detail, "executable moved from an imaging host");
    assert_string_equal(h->last.file_direction, "from_server");
    exe_file(h, 2 * SEC, "\\\\PACS\\UPDATES", 0,
             "\x7f"
             "ELF",
             4, FILES_PE_NONE); /* written to it */
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 2);
    assert_string_equal(h->last.detail, "executable moved to an imaging host");
    /* near misses: "MZ" without a PE header, an admin-share write (9300050's), a vendor host */
    exe_file(h, 3 * SEC, "\\\\PACS\\UPDATES", 0, "MZ", 2, FILES_PE_INVALID);
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 2);
    exe_file(h, 4 * SEC, "\\\\PACS\\ADMIN$", 0, "MZ", 2, FILES_PE_VALID);
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 2);
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 1);
    set4(&h->flow.client, 10, 0, 9, 9);
    exe_file(h, 5 * SEC, "\\\\PACS\\UPDATES", 1, "MZ", 2, FILES_PE_VALID);
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 2);
    /* neither endpoint an imaging host */
    set4(&h->flow.client, 10, 0, 0, 5);
    set4(&h->flow.server, 10, 0, 0, 31);
    exe_file(h, 6 * SEC, "\\\\FS\\UPDATES", 1, "MZ", 2, FILES_PE_VALID);
    assert_int_equal(count_sid(h, SID_EXE_IMAGING), 2);
    harness_free(h);
}

/* ---- 11: polyglots from the first bytes (no YARA here) ---- */
static void test_polyglot_builtin(void **state)
{
    (void)state;
    static uint8_t head[FILES_HEAD_MAX];
    uint8_t sev;
    const char *why;
    memset(head, 0, sizeof(head));
    memcpy(head + 128, "DICM", 4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), 0); /* PS3.10: zero preamble */
    assert_int_equal(detect_polyglot_sid(head, 131, FILES_PE_NONE, &sev, &why), 0); /* too short to say */
    memcpy(head, "II*\0", 4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), 0); /* TIFF/DICOM dual file */
    memcpy(head, "ACME", 4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), SID_DICOM_PREAMBLE);
    assert_int_equal(sev, 0);
    memcpy(head, "MZ\0\0", 4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_VALID, &sev, &why), SID_POLYGLOT_PE);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_INVALID, &sev, &why), SID_DICOM_PREAMBLE);
    assert_int_equal(sev, 2);
    memcpy(head,
           "\x7f"
           "ELF",
           4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), SID_POLYGLOT_ELF);
    memcpy(head, "\xcf\xfa\xed\xfe", 4); /* Mach-O 64-bit, little-endian */
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), SID_POLYGLOT_ELF);
    memcpy(head + 128, "DICN", 4);
    assert_int_equal(detect_polyglot_sid(head, 132, FILES_PE_NONE, &sev, &why), 0);

    struct harness *h = harness_new(NULL);
    memcpy(head, "MZ\0\0", 4);
    memcpy(head + 128, "DICM", 4);
    exe_file(h, 1 * SEC, "\\\\PACS\\IMAGES", 0, (const char *)head, 132, FILES_PE_VALID);
    assert_int_equal(h->n, 1);
    assert_int_equal(h->last.sig->sid, SID_POLYGLOT_PE);
    assert_int_equal(h->last.severity, 1);
    assert_string_equal(h->last.yara_rule, ""); /* no scan: the built-in check alone */
    harness_free(h);
}

/* ---- 15: association matrix ---- */
static void learn_100s(struct detect_cfg *c)
{
    c->dicom_learning = 100;
    snprintf(c->dicom_aes, sizeof(c->dicom_aes), "CT1@10.0.0.7, PACS@10.0.0.30");
}

static void assoc_rq_ac(struct harness *h, uint64_t ts, struct dicom_assoc *a)
{
    a->start_us = ts;
    dicom(h, ts, DICOM_EV_REQUEST, a, NULL, NULL);
    dicom(h, ts, DICOM_EV_ACCEPT, a, NULL, NULL);
}

static void test_dicom_matrix(void **state)
{
    (void)state;
    struct harness *h = harness_new(learn_100s);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_pctx *pc = calloc(1, sizeof(*pc));
    assert_true(a && pc);
    strcpy(a->calling_ae, "RADWS01");
    strcpy(a->called_ae, "PACS");
    assoc_rq_ac(h, 10 * SEC, a); /* the learning period starts here: until 110 s */
    strcpy(a->calling_ae, "RADWS02");
    a->start_us = 110 * SEC - 1; /* requested during learning, accepted just after: learned */
    dicom(h, 110 * SEC - 1, DICOM_EV_REQUEST, a, NULL, NULL);
    dicom(h, 110 * SEC, DICOM_EV_ACCEPT, a, NULL, NULL);
    strcpy(a->calling_ae, "REJECTED");
    dicom(h, 50 * SEC, DICOM_EV_REQUEST, a, NULL, NULL); /* requested but never accepted: not learned */
    assert_int_equal(h->n, 0);
    /* after learning */
    strcpy(a->calling_ae, "RADWS01");
    assoc_rq_ac(h, 110 * SEC, a);
    strcpy(a->calling_ae, "RADWS02");
    assoc_rq_ac(h, 111 * SEC, a);
    assert_int_equal(h->n, 0);
    strcpy(a->calling_ae, "REJECTED");
    assoc_rq_ac(h, 112 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 1);
    assert_int_equal(h->last.severity, 2);
    assert_string_equal(h->last.calling_ae, "REJECTED");
    assoc_rq_ac(h, 113 * SEC, a); /* once per tuple */
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 1);
    /* a known AE title from a new address */
    strcpy(a->calling_ae, "RADWS01");
    set4(&h->flow.client, 10, 0, 0, 6);
    assoc_rq_ac(h, 114 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 2);
    /* the configured pair: CT1@10.0.0.7 -> PACS@10.0.0.30 */
    set4(&h->flow.client, 10, 0, 0, 7);
    strcpy(a->calling_ae, "CT1");
    assoc_rq_ac(h, 115 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 2);
    strcpy(a->called_ae, "ARCHIVE"); /* CT1 to a title not configured at that server */
    assoc_rq_ac(h, 116 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 3);
    /* a new peer proposing Study Root C-MOVE: severity 1 */
    set4(&h->flow.client, 10, 0, 0, 8);
    strcpy(a->calling_ae, "EVIL");
    pc->proposed = true;
    strcpy(pc->abstract, "1.2.840.10008.5.1.4.1.2.2.2");
    a->pctx = pc;
    a->n_pctx = 1;
    assoc_rq_ac(h, 117 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 4);
    assert_int_equal(h->last.severity, 1);
    /* Study Root C-FIND is not retrieval */
    strcpy(a->calling_ae, "EVIL2");
    strcpy(pc->abstract, "1.2.840.10008.5.1.4.1.2.2.1");
    assoc_rq_ac(h, 118 * SEC, a);
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 5);
    assert_int_equal(h->last.severity, 2);
    free(pc);
    free(a);
    harness_free(h);
}

static void no_learning(struct detect_cfg *c)
{
    c->dicom_learning = 0;
}

static void test_dicom_matrix_no_learning(void **state)
{
    (void)state;
    struct harness *h = harness_new(no_learning);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    strcpy(a->calling_ae, "RADWS01");
    strcpy(a->called_ae, "PACS");
    assoc_rq_ac(h, 1 * SEC, a); /* nothing learned, nothing configured: the first one is new */
    assert_int_equal(count_sid(h, SID_DICOM_NEW_PEER), 1);
    free(a);
    harness_free(h);
}

/* ---- 24: association exhaustion ---- */
static void exhaust_small(struct detect_cfg *c)
{
    c->exhaust_count = 3;
    c->exhaust_window = 60;
    c->exhaust_short = 3;
}

static void test_assoc_exhaustion(void **state)
{
    (void)state;
    struct harness *h = harness_new(exhaust_small);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_op *op = calloc(1, sizeof(*op));
    assert_true(a && op);
    strcpy(a->calling_ae, "X");
    strcpy(a->called_ae, "PACS");
    /* one association that does work and two held idle: below the count */
    h->flow.flow_id = 1;
    assoc_rq_ac(h, 1 * SEC, a);
    dicom(h, 1 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    h->flow.flow_id = 2;
    assoc_rq_ac(h, 2 * SEC, a);
    h->flow.flow_id = 3;
    assoc_rq_ac(h, 3 * SEC, a);
    assert_int_equal(count_sid(h, SID_ASSOC_EXHAUST), 0);
    h->flow.flow_id = 4; /* the third idle one */
    assoc_rq_ac(h, 4 * SEC, a);
    assert_int_equal(count_sid(h, SID_ASSOC_EXHAUST), 1);
    assert_int_equal(h->last.count, 3);
    assert_int_equal(h->last.n_flows, 3);
    h->flow.flow_id = 5; /* once per window */
    assoc_rq_ac(h, 5 * SEC, a);
    assert_int_equal(count_sid(h, SID_ASSOC_EXHAUST), 1);
    /* another server: its own count */
    set4(&h->flow.server, 10, 0, 0, 31);
    h->flow.flow_id = 6;
    assoc_rq_ac(h, 6 * SEC, a);
    assert_int_equal(count_sid(h, SID_ASSOC_EXHAUST), 1);
    harness_free(h);

    /* short associations accepted and released without P-DATA; rejected ones do not count */
    h = harness_new(exhaust_small);
    for (int i = 0; i < 4; i++) {
        h->flow.flow_id = 100 + (uint64_t)i;
        dicom(h, (uint64_t)(1 + i) * SEC, DICOM_EV_REQUEST, a, NULL, NULL);
        dicom(h, (uint64_t)(1 + i) * SEC, DICOM_EV_REJECT, a, NULL, NULL);
        dicom(h, (uint64_t)(1 + i) * SEC, DICOM_EV_SUMMARY, a, NULL, "reject");
    }
    assert_int_equal(count_sid(h, SID_ASSOC_CHURN), 0);
    for (int i = 0; i < 2; i++) {
        h->flow.flow_id = 200 + (uint64_t)i;
        assoc_rq_ac(h, (uint64_t)(10 + i) * SEC, a);
        dicom(h, (uint64_t)(10 + i) * SEC, DICOM_EV_RELEASE, a, NULL, NULL);
        dicom(h, (uint64_t)(10 + i) * SEC, DICOM_EV_SUMMARY, a, NULL, "release");
    }
    /* one with P-DATA (a C-ECHO): does not count */
    h->flow.flow_id = 300;
    assoc_rq_ac(h, 20 * SEC, a);
    a->pdus[0][DICOM_PDU_P_DATA] = 1;
    dicom(h, 20 * SEC, DICOM_EV_SUMMARY, a, NULL, "release");
    a->pdus[0][DICOM_PDU_P_DATA] = 0;
    assert_int_equal(count_sid(h, SID_ASSOC_CHURN), 0);
    /* the third short one, 71 s after the first: outside the 60 s window, so not yet */
    h->flow.flow_id = 400;
    assoc_rq_ac(h, 81 * SEC, a);
    dicom(h, 81 * SEC, DICOM_EV_SUMMARY, a, NULL, "close");
    assert_int_equal(count_sid(h, SID_ASSOC_CHURN), 0);
    for (int i = 0; i < 2; i++) {
        h->flow.flow_id = 500 + (uint64_t)i;
        assoc_rq_ac(h, (uint64_t)(82 + i) * SEC, a);
        dicom(h, (uint64_t)(82 + i) * SEC, DICOM_EV_ABORT, a, NULL, NULL);
    }
    assert_int_equal(count_sid(h, SID_ASSOC_CHURN), 1);
    assert_int_equal(h->last.count, 3);
    free(op);
    free(a);
    harness_free(h);
}

/* Every signature in the code has a section "## <sid> ..." in docs/DETECTIONS.md. */
/* ---- C2 (§7.1-7.4), egress (§7.18, §7.23), beacon, the chain's C2 step ---- */

/* An HTTP transaction: "names" is the request header names in wire order, '|'-separated. */
static void http_req(struct harness *h, uint64_t ts, const char *method, const char *uri, const char *names,
                     const char *host, const char *ua)
{
    static struct http_tx tx;
    memset(&tx, 0, sizeof(tx));
    snprintf(tx.method, sizeof(tx.method), "%s", method);
    snprintf(tx.uri, sizeof(tx.uri), "%s", uri);
    snprintf(tx.host, sizeof(tx.host), "%s", host);
    snprintf(tx.user_agent, sizeof(tx.user_agent), "%s", ua);
    tx.has_request = tx.request_done = true;
    tx.has_host = host[0] != '\0';
    tx.has_user_agent = ua[0] != '\0';
    const char *p = names;
    while (*p) {
        size_t l = strcspn(p, "|");
        memcpy(tx.names + tx.names_len, p, l);
        if (l == 7 && strncmp(p, "Referer", 7) == 0)
            tx.has_referer = true;
        tx.names_len = (uint16_t)(tx.names_len + l + 1);
        tx.n_names++;
        p += l;
        if (*p)
            p++;
    }
    struct http_event e = {.tx = &tx};
    publish(h, EVENT_HTTP, ts, &e);
}

static void dns_query(struct harness *h, uint64_t ts, const char *name)
{
    struct dns_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->has_question = true;
    snprintf(m->qname_text, sizeof(m->qname_text), "%s", name);
    m->qtype = DNS_TYPE_A;
    struct dns_event e = {.kind = DNS_EV_QUERY, .msg = m};
    publish(h, EVENT_DNS, ts, &e);
    free(m);
}

static void add_rule(struct harness *h, const char *line)
{
    char buf[256], err[256];
    snprintf(buf, sizeof(buf), "%s", line);
    assert_int_equal(rules_parse_line(&h->d->rules, 0, buf, err, sizeof(err)), 0);
}

static const char *UA_KW = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)";
static const char *UA_FF = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0";

static void to_http(struct harness *h, uint8_t a, uint8_t b, uint8_t c, uint8_t dd)
{
    set4(&h->flow.server, a, b, c, dd);
    h->flow.server_port = 80;
}

static void test_c2_fingerprint(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    to_http(h, 192, 0, 2, 77);
    const char *kw = "User-Agent|Host|Connection";
    http_req(h, 1 * SEC, "GET", "/new/index.php?q=KTRqZ1NvbWVFbmNyeXB0ZWQ=", kw, "pbn.example", UA_KW);
    assert_int_equal(count_sid(h, SID_C2_HTTP), 1);
    assert_int_equal(h->last.severity, 1);
    assert_string_equal(h->last.header_names, "User-Agent, Host, Connection");
    assert_string_equal(h->last.url, "/new/index.php?q=KTRqZ1NvbWVFbmNyeXB0ZWQ=");
    assert_non_null(strstr(h->last.detail, "vocabulary"));
    /* .asp and .aspx, absolute form; ?q=K without T is the medium variant */
    http_req(h, 2 * SEC, "GET", "http://x.example/a/b.aspx?q=KTAAAABBBBCCCC", kw, "x.example", UA_KW);
    assert_int_equal(count_sid(h, SID_C2_HTTP), 2);
    http_req(h, 3 * SEC, "GET", "/some/long/path.asp?q=KxAAAABBBB==", kw, "x.example", UA_KW);
    assert_int_equal(count_sid(h, SID_C2_HTTP_K), 1);
    assert_int_equal(h->last.severity, 2);
    int before = h->n;
    /* near misses: a site search with ?q=KT... sent by a browser (Host first, Accept, Referer, Cookie) */
    http_req(h, 4 * SEC, "GET", "/search.php?q=KTM2NTQAAAAAAAA=", "Host|User-Agent|Accept|Referer|Cookie",
             "search.hospital.example", UA_FF);
    /* Kwampirs order, but one Accept / Referer / Cookie anywhere */
    http_req(h, 5 * SEC, "GET", "/new/index.php?q=KTAAAABBBBCCCCDDDD", "User-Agent|Host|Accept", "x", UA_KW);
    http_req(h, 6 * SEC, "GET", "/new/index.php?q=KTAAAABBBBCCCCDDDD", "User-Agent|Host|Referer", "x", UA_KW);
    http_req(h, 7 * SEC, "GET", "/new/index.php?q=KTAAAABBBBCCCCDDDD", "User-Agent|Host|Cookie", "x", UA_KW);
    /* Host first; User-Agent not Mozilla; POST; a second parameter; not base64; a .html path; too short */
    http_req(h, 8 * SEC, "GET", "/new/index.php?q=KTAAAABBBBCCCCDDDD", "Host|User-Agent", "x", UA_KW);
    http_req(h, 9 * SEC, "GET", "/new/index.php?q=KTAAAABBBBCCCCDDDD", kw, "x", "curl/8.0");
    http_req(h, 10 * SEC, "POST", "/new/index.php?q=KTAAAABBBBCCCCDDDD", kw, "x", UA_KW);
    http_req(h, 11 * SEC, "GET", "/new/index.php?q=KTAAAABBBB&x=1", kw, "x", UA_KW);
    http_req(h, 12 * SEC, "GET", "/new/index.php?q=KT%41AAABBBBCCCC", kw, "x", UA_KW);
    http_req(h, 13 * SEC, "GET", "/new/index.html?q=KTAAAABBBBCCCCDD", kw, "x", UA_KW);
    http_req(h, 14 * SEC, "GET", "/a.php?q=KTAAAABBBBCC", kw, "x", UA_KW); /* 21 bytes: URI length must be > 21 */
    assert_int_equal(h->n, before);
    http_req(h, 15 * SEC, "GET", "/a.php?q=KTAAAABBBBCCC", kw, "x", UA_KW); /* 22 bytes */
    assert_int_equal(h->n, before + 1);
    harness_free(h);
}

static void test_c2_indicators(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    add_rule(h, "domain ikjmain.com");
    add_rule(h, "url ncjjfn.org/group/maindefault/default.aspx");
    add_rule(h, "ip+path 65.116.107.24/login/login.php");
    add_rule(h, "ip 65.116.107.24");
    set4(&h->flow.server, 10, 0, 0, 53);
    h->flow.server_port = 53;
    h->flow.ipproto = 17;
    dns_query(h, 1 * SEC, "ikjmain.com");
    assert_int_equal(count_sid(h, SID_C2_DOMAIN), 1);
    assert_string_equal(h->last.indicator, "ikjmain.com");
    assert_string_equal(h->last.indicator_type, "domain");
    assert_string_equal(h->last.hostname, "ikjmain.com");
    dns_query(h, 2 * SEC, "Update.CDN.IKJMAIN.com."); /* a parent domain, any case, trailing dot */
    assert_int_equal(count_sid(h, SID_C2_DOMAIN), 2);
    int before = h->n;
    dns_query(h, 3 * SEC, "notikjmain.com"); /* a label boundary: not under ikjmain.com */
    dns_query(h, 4 * SEC, "ikjmain.com.evil.example");
    dns_query(h, 5 * SEC, "com");
    assert_int_equal(h->n, before);
    h->flow.ipproto = 6;
    to_http(h, 192, 0, 2, 9);
    http_req(h, 6 * SEC, "GET", "/", "Host|User-Agent|Accept", "www.ikjmain.com:8080", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_DOMAIN), 3);
    /* URL: Host + path, the query ignored */
    http_req(h, 7 * SEC, "GET", "/group/maindefault/default.aspx?x=1", "Host", "NCJJFN.org", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_URL), 1);
    http_req(h, 8 * SEC, "GET", "/group/maindefault/other.aspx", "Host", "ncjjfn.org", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_URL), 1);
    /* IP+path: the server's address (the Host is a name), and IP alone at low confidence */
    to_http(h, 65, 116, 107, 24);
    http_req(h, 9 * SEC, "GET", "/login/login.php", "Host", "cdn.example", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_IP_PATH), 1);
    assert_int_equal(h->last.severity, 1);
    http_req(h, 10 * SEC, "GET", "/favicon.ico", "Host", "cdn.example", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_IP), 1);
    assert_int_equal(h->last.severity, 2);
    assert_string_equal(h->last.sig->confidence, "low");
    harness_free(h);

    /* the IP-alone hit is no chain step: an executable write by this source stays a single step */
    h = harness_new(NULL);
    add_rule(h, "ip 65.116.107.24");
    to_http(h, 65, 116, 107, 24);
    http_req(h, 1 * SEC, "GET", "/favicon.ico", "Host", "cdn.example", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_IP), 1);
    h->flow.server_port = 445;
    write_file(h, 2 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ\x90", SHA);
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 1);
    assert_int_equal(count_sid(h, SID_CHAIN), 0);
    harness_free(h);
}

static void test_c2_generated_name(void **state)
{
    (void)state;
    assert_true(detect_c2_generated_name("pbnyhdsite.info"));
    assert_true(detect_c2_generated_name("dswsite.com"));
    assert_true(detect_c2_generated_name("www.PBNYHDSITE.info."));
    assert_true(detect_c2_generated_name("ncdnkcnfjrsrv.ru"));
    assert_false(detect_c2_generated_name("mainsite.com"));                /* common tokens only: the spec's FP rule */
    assert_false(detect_c2_generated_name("powernewsunity.org"));          /* idem */
    assert_false(detect_c2_generated_name("dswsite.net"));                 /* not one of the list's TLDs */
    assert_true(detect_c2_generated_name("dswgb.com"));                    /* 5 characters, 2 tokens */
    assert_false(detect_c2_generated_name("dsw.com"));                     /* 3 characters, one token */
    assert_false(detect_c2_generated_name("dswdswdswdswdswdsw.com"));      /* 6 tokens */
    assert_false(detect_c2_generated_name("dswsitex.com"));                /* does not split completely */
    assert_true(detect_c2_generated_name("pecdbnpecdbnpecdbnncdn.com"));   /* 22 characters */
    assert_false(detect_c2_generated_name("pecdbnpecdbnpecdbnfjrgb.com")); /* 23 characters, 5 tokens */
    assert_false(detect_c2_generated_name("com"));
    assert_false(detect_c2_generated_name(""));

    struct harness *h = harness_new(NULL);
    set4(&h->flow.server, 10, 0, 0, 53);
    dns_query(h, 1 * SEC, "pbnyhdsite.info");
    assert_int_equal(count_sid(h, SID_C2_NAME), 1);
    assert_int_equal(h->last.severity, 2);
    dns_query(h, 2 * SEC, "mainsite.com");
    assert_int_equal(h->n, 1);
    harness_free(h);
}

static void tune_imaging(struct detect_cfg *c)
{
    snprintf(c->imaging_nets, sizeof(c->imaging_nets), "10.0.0.0/24");
}

static void test_c2_name_from_imaging(void **state)
{
    (void)state;
    struct harness *h = harness_new(tune_imaging);
    set4(&h->flow.server, 10, 0, 0, 53);
    dns_query(h, 1 * SEC, "yhdncjmain.biz");
    assert_int_equal(count_sid(h, SID_C2_NAME), 1);
    assert_int_equal(h->last.severity, 1); /* §7.3: High on imaging VLANs */
    harness_free(h);
}

/* A TCP flow to server:80 that began at ts; answered = the server sent a SYN-ACK. */
static void flow_end(struct harness *h, uint64_t ts, uint8_t a, uint8_t b, uint8_t c, uint8_t dd, bool answered)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.client = h->flow.client;
    set4(&f.server, a, b, c, dd);
    f.client_port = 50000;
    f.server_port = 80;
    f.ipproto = 6;
    f.saw_syn = true;
    f.tcp_flags[0] = TH_SYN;
    f.tcp_flags[1] = answered ? (TH_SYN | TH_ACK) : (TH_RST | TH_ACK);
    f.first_ts_us = f.last_ts_us = ts;
    f.flow_id = 1000 + ts / SEC;
    struct event ev = {.type = EVENT_FLOW, .ts_us = ts, .flow = &f, .dir = EVENT_DIR_NONE, .body = &f};
    event_publish(&h->bus, &ev);
}

static void map_add(struct dns_name_map *m, uint8_t a, uint8_t b, uint8_t c, uint8_t dd, uint64_t ts)
{
    struct ip_addr ip;
    set4(&ip, a, b, c, dd);
    assert_true(dns_name_map_add(m, &ip, "named.example", NULL, 300, ts));
}

static void test_fallback_cycling(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    /* without a name map every address would look raw: off */
    for (uint8_t i = 0; i < 12; i++)
        flow_end(h, (1 + i) * SEC, 45, 0, 0, i, false);
    assert_int_equal(h->n, 0);
    harness_free(h);

    h = harness_new(NULL);
    struct dns_name_map map;
    struct dns_name_map_cfg mcfg = {.size = 64, .memcap = 1 << 20};
    char err[256];
    assert_int_equal(dns_name_map_init(&map, &mcfg, NULL, NULL, err, sizeof(err)), 0);
    detect_set_name_map(h->d, &map);
    map_add(&map, 45, 0, 1, 1, 5 * SEC);   /* looked up before its attempt: named */
    map_add(&map, 45, 0, 1, 2, 500 * SEC); /* looked up only after its attempt: still raw then */
    flow_end(h, 10 * SEC, 45, 0, 1, 1, false);
    flow_end(h, 11 * SEC, 45, 0, 0, 99, true); /* answered: not a failed attempt */
    flow_end(h, 12 * SEC, 10, 9, 9, 9, false); /* internal destination */
    for (uint8_t i = 0; i < 8; i++)
        flow_end(h, (20 + i) * SEC, 45, 0, 0, i, false);
    flow_end(h, 28 * SEC, 45, 0, 0, 7, false); /* the same address again: still 8 distinct */
    assert_int_equal(h->n, 0);
    flow_end(h, 29 * SEC, 45, 0, 1, 2, false); /* 9 */
    assert_int_equal(h->n, 0);
    flow_end(h, 30 * SEC, 45, 0, 0, 8, false); /* 10 distinct raw addresses: the threshold */
    assert_int_equal(count_sid(h, SID_C2_FALLBACK), 1);
    assert_int_equal(h->last.count, 10);
    assert_int_equal(h->last.n_hosts, 10);
    assert_int_equal(h->last.dst.family, 0);
    flow_end(h, 31 * SEC, 45, 0, 0, 9, false); /* once per window */
    assert_int_equal(count_sid(h, SID_C2_FALLBACK), 1);
    harness_free(h);

    /* window edge: the tenth attempt exactly detect.fallback.window after the first counts; a second later the
     * first has left the window */
    for (int late = 0; late < 2; late++) {
        h = harness_new(NULL);
        detect_set_name_map(h->d, &map);
        for (uint8_t i = 0; i < 9; i++)
            flow_end(h, (100 + i) * SEC, 46, 0, 0, i, false);
        flow_end(h, (uint64_t)(100 + 3600 + late) * SEC, 46, 0, 0, 20, false);
        assert_int_equal(count_sid(h, SID_C2_FALLBACK), late ? 0 : 1);
        harness_free(h);
    }
    dns_name_map_free(&map);
}

static void flow_to(struct harness *h, uint64_t ts, uint8_t proto, uint16_t port, uint8_t a, uint8_t b, uint8_t c,
                    uint8_t dd)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.client = h->flow.client;
    set4(&f.server, a, b, c, dd);
    f.client_port = 50000;
    f.server_port = port;
    f.ipproto = proto;
    f.first_ts_us = f.last_ts_us = ts;
    f.flow_id = 77;
    struct event ev = {.type = EVENT_FLOW, .ts_us = ts, .flow = &f, .dir = EVENT_DIR_NONE, .body = &f};
    event_publish(&h->bus, &ev);
}

static void tune_egress(struct detect_cfg *c)
{
    snprintf(c->imaging_nets, sizeof(c->imaging_nets), "10.0.0.0/29");
    snprintf(c->egress_hosts, sizeof(c->egress_hosts), "198.51.100.0/24");
    c->egress_interval = 3600;
}

static void test_imaging_egress(void **state)
{
    (void)state;
    struct harness *h = harness_new(tune_egress);
    flow_to(h, 1 * SEC, 17, 53, 8, 8, 8, 8);
    assert_int_equal(count_sid(h, SID_IMAGING_EGRESS), 1);
    assert_int_equal(h->last.severity, 3);
    flow_to(h, 2 * SEC, 6, 443, 8, 8, 8, 8);      /* the same pair: once per interval */
    flow_to(h, 3 * SEC, 6, 443, 198, 51, 100, 7); /* vendor allowlist */
    flow_to(h, 4 * SEC, 6, 445, 10, 20, 0, 1);    /* internal */
    assert_int_equal(h->n, 1);
    flow_to(h, 5 * SEC, 6, 80, 45, 1, 2, 3); /* raw-IP HTTP: medium */
    assert_int_equal(count_sid(h, SID_IMAGING_EGRESS), 2);
    assert_int_equal(h->last.severity, 2);
    flow_to(h, (1 + 3600 + 2) * SEC, 17, 53, 8, 8, 8, 8); /* the interval passed */
    assert_int_equal(count_sid(h, SID_IMAGING_EGRESS), 3);
    set4(&h->flow.client, 10, 0, 0, 9); /* not an imaging node */
    flow_to(h, (3700 + 3) * SEC, 6, 443, 9, 9, 9, 9);
    assert_int_equal(count_sid(h, SID_IMAGING_EGRESS), 3);
    harness_free(h);

    h = harness_new(NULL); /* no imaging zone configured: never */
    flow_to(h, 1 * SEC, 6, 80, 45, 1, 2, 3);
    assert_int_equal(h->n, 0);
    harness_free(h);
}

static void tune_dicom_ext(struct detect_cfg *c)
{
    snprintf(c->dicom_external, sizeof(c->dicom_external), "203.0.113.5");
}

static void dicom_request(struct harness *h, uint64_t ts)
{
    struct dicom_assoc as;
    memset(&as, 0, sizeof(as));
    snprintf(as.calling_ae, sizeof(as.calling_ae), "RADWS01");
    snprintf(as.called_ae, sizeof(as.called_ae), "CLOUDPACS");
    struct dicom_event e = {.kind = DICOM_EV_REQUEST, .assoc = &as};
    publish(h, EVENT_DICOM, ts, &e);
}

static void test_dicom_perimeter(void **state)
{
    (void)state;
    struct harness *h = harness_new(tune_dicom_ext);
    h->flow.server_port = 104;
    dicom_request(h, 1 * SEC); /* internal to internal */
    assert_int_equal(h->n, 0);
    set4(&h->flow.server, 203, 0, 113, 9);
    dicom_request(h, 2 * SEC);
    assert_int_equal(count_sid(h, SID_DICOM_PERIMETER), 1);
    assert_string_equal(h->last.called_ae, "CLOUDPACS");
    assert_int_equal(h->last.severity, 1);
    dicom_request(h, 3 * SEC);             /* once per pair and interval */
    set4(&h->flow.server, 203, 0, 113, 5); /* allowlisted teleradiology peer */
    dicom_request(h, 4 * SEC);
    assert_int_equal(h->n, 1);
    set4(&h->flow.client, 192, 0, 2, 200); /* inbound from the Internet */
    set4(&h->flow.server, 10, 0, 0, 30);
    dicom_request(h, 5 * SEC);
    assert_int_equal(count_sid(h, SID_DICOM_PERIMETER), 2);
    harness_free(h);
}

static void test_beacon(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    to_http(h, 10, 0, 0, 66);
    const char *n = "Host|User-Agent|Accept|Content-Type|Content-Length";
    /* 5 s +-10 %: the 8th request makes 7 intervals */
    static const int ms[] = {0, 5100, 9800, 15200, 20000, 24700, 30100, 35000, 40000};
    for (int i = 0; i < 7; i++)
        http_req(h, 100 * SEC + (uint64_t)ms[i] * 1000, "POST", "/api/v1/update.php", n, "c2.example", UA_FF);
    assert_int_equal(h->n, 0);
    http_req(h, 100 * SEC + (uint64_t)ms[7] * 1000, "POST", "/api/v1/update.php?s=8", n, "c2.example", UA_FF);
    assert_int_equal(count_sid(h, SID_BEACON), 1);
    assert_int_equal(h->last.count, 8);
    http_req(h, 100 * SEC + (uint64_t)ms[8] * 1000, "POST", "/api/v1/update.php", n, "c2.example", UA_FF);
    assert_int_equal(count_sid(h, SID_BEACON), 1); /* one alert per series */
    /* browsing: irregular gaps; the same page with a Referer at a regular pace; too fast */
    static const int irregular[] = {0, 1000, 8500, 10700, 29700, 33800, 37100, 48100, 49500};
    for (int i = 0; i < 9; i++)
        http_req(h, 1000 * SEC + (uint64_t)irregular[i] * 1000, "GET", "/wiki/page", "Host|User-Agent", "wiki.example",
                 UA_FF);
    for (int i = 0; i < 9; i++)
        http_req(h, 2000 * SEC + (uint64_t)i * 5 * SEC, "GET", "/status", "Host|User-Agent|Referer", "app.example",
                 UA_FF);
    for (int i = 0; i < 9; i++)
        http_req(h, 3000 * SEC + (uint64_t)i * 500000, "GET", "/poll", "Host", "fast.example", UA_FF);
    assert_int_equal(h->n, 1);
    /* one interval outside +-20 % of the median breaks the series */
    for (int i = 0; i < 8; i++)
        http_req(h, 4000 * SEC + (uint64_t)(i < 7 ? i * 10 : 6 * 10 + 13) * SEC, "GET", "/j", "Host", "j.example",
                 UA_FF);
    assert_int_equal(h->n, 1);
    harness_free(h);
}

static void beacon_small_memcap(struct detect_cfg *c)
{
    c->memcap = 512 * 1024; /* a quarter: 512 beacon series of 256 bytes */
}

/* Beacon series are bounded to a quarter of the memcap: the other detectors keep their room. */
static void test_beacon_budget(void **state)
{
    (void)state;
    struct harness *h = harness_new(beacon_small_memcap);
    to_http(h, 10, 0, 0, 80);
    for (int i = 0; i < 2000; i++) {
        char uri[32];
        snprintf(uri, sizeof(uri), "/page/%d", i);
        http_req(h, 1 * SEC + (uint64_t)i * 1000, "GET", uri, "Host", "intranet.example", UA_FF);
    }
    assert_int_equal(h->d->beacon.n, 512);
    assert_true(detect_get_stats(h->d)->memcap_hits >= 2000 - 512);
    h->flow.server_port = 445;
    write_file(h, 10 * SEC, "\\\\PACS\\ADMIN$", "a.exe", "MZ\x90", SHA);
    assert_int_equal(count_sid(h, SID_ADMIN_SHARE_EXE), 1);
    harness_free(h);
}

static void test_chain_c2(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    add_rule(h, "ip+path 65.116.107.24/login/login.php");
    /* 10.0.0.5 copies an executable to 10.0.0.30's ADMIN$ and creates a service there */
    write_file(h, 1 * SEC, "\\\\PACS\\ADMIN$", "svcupdate.exe", "MZ\x90", SHA);
    svcctl(h, 2 * SEC, 12, "SvcUpdate", "", "%SystemRoot%\\svcupdate.exe");
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    /* then the target beacons: the source's chain is reported again, with the C2 step and destination */
    h->flow.client = h->flow.server;
    to_http(h, 65, 116, 107, 24);
    http_req(h, 30 * SEC, "GET", "/login/login.php", "Host", "65.116.107.24", UA_FF);
    assert_int_equal(count_sid(h, SID_C2_IP_PATH), 1);
    assert_int_equal(count_sid(h, SID_CHAIN), 2);
    struct ip_addr src, c2;
    set4(&src, 10, 0, 0, 5);
    set4(&c2, 65, 116, 107, 24);
    assert_true(ip_addr_eq(&h->last.src, &src));
    assert_true(ip_addr_eq(&h->last.dst, &c2));
    assert_int_equal(h->last.n_steps, 3);
    assert_int_equal(h->last.steps[2].sid, SID_C2_IP_PATH);
    assert_non_null(strstr(h->last.steps[2].what, "C2 from 10.0.0.30 to 65.116.107.24"));
    assert_non_null(strstr(h->last.detail, "C2 contact"));
    bool named = false;
    for (uint8_t i = 0; i < h->last.n_hosts; i++)
        named |= ip_addr_eq(&h->last.hosts[i], &c2);
    assert_true(named);
    /* more C2 from the target adds no new kind: no further chain */
    http_req(h, 40 * SEC, "GET", "/login/login.php", "Host", "65.116.107.24", UA_FF);
    assert_int_equal(count_sid(h, SID_CHAIN), 2);
    harness_free(h);

    /* any two kinds from one source: a remote service and C2 contact */
    h = harness_new(NULL);
    add_rule(h, "domain ikjmain.com");
    svcctl(h, 1 * SEC, 12, "SvcUpdate", "", "x.exe");
    set4(&h->flow.server, 10, 0, 0, 53);
    dns_query(h, 2 * SEC, "ikjmain.com");
    assert_int_equal(count_sid(h, SID_CHAIN), 1);
    harness_free(h);

    /* C2 alone, or C2 from the target after the chain window: no chain naming it */
    h = harness_new(NULL);
    add_rule(h, "domain ikjmain.com");
    set4(&h->flow.server, 10, 0, 0, 53);
    dns_query(h, 1 * SEC, "ikjmain.com");
    dns_query(h, 2 * SEC, "ikjmain.com");
    assert_int_equal(count_sid(h, SID_CHAIN), 0);
    set4(&h->flow.client, 10, 0, 0, 6);
    set4(&h->flow.server, 10, 0, 0, 31);
    write_file(h, 10 * SEC, "\\\\WS\\C$", "a.exe", "MZ\x90", SHA);
    set4(&h->flow.client, 10, 0, 0, 31);
    set4(&h->flow.server, 10, 0, 0, 53);
    dns_query(h, (10 + 600 + 1) * SEC, "ikjmain.com");
    assert_int_equal(count_sid(h, SID_CHAIN), 0);
    harness_free(h);
}

static void test_every_signature_documented(void **state)
{
    (void)state;
    FILE *fp = fopen("docs/DETECTIONS.md", "r");
    if (!fp)
        fail_msg("docs/DETECTIONS.md not found (run from the repository root)");
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof(doc) - 1, fp);
    fclose(fp);
    doc[n] = '\0';
    for (size_t i = 0; i < detect_n_sigs; i++) {
        char head[32];
        snprintf(head, sizeof(head), "\n## %u ", detect_sigs[i].sid);
        if (!strstr(doc, head))
            fail_msg("signature %u has no section in docs/DETECTIONS.md", detect_sigs[i].sid);
        assert_true(detect_sigs[i].severity >= 1 && detect_sigs[i].severity <= 3);
        assert_non_null(detect_sigs[i].attack[0]);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(detect_sigs[i].sid, detect_sigs[j].sid);
    }
}

/* ---- 12: polyglot markers inside DIMSE (the walker's facts, then the detector) ---- */

/* Explicit VR little endian element with a 4-byte length (OB/UN): tag, VR, 00 00, length, value. */
static size_t el_ob(uint8_t *p, uint16_t g, uint16_t e, const char *vr, const uint8_t *v, uint32_t n)
{
    p[0] = (uint8_t)g, p[1] = (uint8_t)(g >> 8), p[2] = (uint8_t)e, p[3] = (uint8_t)(e >> 8);
    p[4] = (uint8_t)vr[0], p[5] = (uint8_t)vr[1], p[6] = p[7] = 0;
    p[8] = (uint8_t)n, p[9] = (uint8_t)(n >> 8), p[10] = (uint8_t)(n >> 16), p[11] = (uint8_t)(n >> 24);
    memcpy(p + 12, v, n);
    return 12 + n;
}

static void walk(struct dicom_ds_info *ds, enum dicom_ts_kind ts, const uint8_t *p, size_t len, uint64_t total)
{
    static struct dicom_limits lim = {.max_pdu = 65536, .dataset_budget = 65536, .max_depth = 4};
    memset(ds, 0, sizeof(*ds));
    dicom_walk_dataset(ds, ts, p, len, total, &lim);
}

static void test_dimse_markers_walker(void **state)
{
    (void)state;
    static uint8_t pe[512], buf[4096];
    memset(pe, 0, sizeof(pe));
    pe[0] = 'M', pe[1] = 'Z', pe[0x3c] = 0x80;
    memcpy(pe + 0x80, "PE\0\0", 4);
    struct dicom_ds_info ds;
    /* an Encapsulated Document (0042,0011) that is a Windows program */
    size_t n = el_ob(buf, 0x0042, 0x0011, "OB", pe, sizeof(pe));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.exe_marker, DICOM_MARKER_PE);
    assert_int_equal(ds.exe_marker_tag, 0x00420011u);
    assert_int_equal(ds.dicm_marker_tag, 0);
    /* MZ whose e_lfanew leads nowhere (no PE header): no marker */
    pe[0x80] = 'X';
    n = el_ob(buf, 0x0042, 0x0011, "OB", pe, sizeof(pe));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.exe_marker, 0);
    /* e_lfanew past the value's end: no marker */
    pe[0x80] = 'P';
    pe[0x3c] = 0xfe, pe[0x3d] = 0x01; /* 510: PE\0\0 would end at 514 > 512 */
    n = el_ob(buf, 0x0009, 0x1010, "UN", pe, sizeof(pe));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.exe_marker, 0);
    /* an ELF image in a private UN element, after a harmless OB one */
    static const uint8_t elf[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    static const uint8_t zeros[8];
    n = el_ob(buf, 0x0009, 0x0010, "OB", zeros, sizeof(zeros));
    n += el_ob(buf + n, 0x0009, 0x1011, "UN", elf, sizeof(elf));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.exe_marker, DICOM_MARKER_ELF);
    assert_int_equal(ds.exe_marker_tag, 0x00091011u);
    /* a whole Part 10 file (preamble, DICM) inside an element */
    static uint8_t p10[200];
    memset(p10, 0, sizeof(p10));
    memcpy(p10 + 128, "DICM", 4);
    n = el_ob(buf, 0x0042, 0x0011, "OB", p10, sizeof(p10));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.dicm_marker_tag, 0x00420011u);
    assert_int_equal(ds.exe_marker, 0);
    /* the value cut by the byte budget: its start is still checked */
    pe[0x3c] = 0x80, pe[0x3d] = 0;
    n = el_ob(buf, 0x0042, 0x0011, "OB", pe, sizeof(pe));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, 12 + 200, n);
    assert_true(ds.truncated);
    assert_int_equal(ds.exe_marker, DICOM_MARKER_PE);
    /* pixel data (defined length) is looked at before the walk stops */
    n = el_ob(buf, 0x7fe0, 0x0010, "OB", pe, sizeof(pe));
    walk(&ds, DICOM_TS_EXPLICIT_LE, buf, n, n);
    assert_int_equal(ds.exe_marker_tag, 0x7fe00010u);
    /* implicit VR (the VR is not on the wire): any element value counts */
    buf[0] = 0x42, buf[1] = 0, buf[2] = 0x11, buf[3] = 0, buf[4] = 0, buf[5] = 2, buf[6] = 0, buf[7] = 0;
    memcpy(buf + 8, pe, sizeof(pe));
    walk(&ds, DICOM_TS_IMPLICIT_LE, buf, 8 + sizeof(pe), 8 + sizeof(pe));
    assert_int_equal(ds.exe_marker, DICOM_MARKER_PE);
}

static void test_dimse_polyglot(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_op *op = calloc(1, sizeof(*op));
    assert_non_null(a);
    assert_non_null(op);
    strcpy(a->calling_ae, "STORESCU");
    strcpy(a->called_ae, "PACS");
    op->has_rq = true;
    op->rq.command_field = 0x0001;                  /* C-STORE-RQ */
    dicom(h, 1 * SEC, DICOM_EV_DIMSE, a, op, NULL); /* an ordinary image */
    assert_int_equal(h->n, 0);
    op->rq_ds.exe_marker = DICOM_MARKER_PE;
    op->rq_ds.exe_marker_tag = 0x00420011u;
    dicom(h, 2 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_DIMSE_EXE), 1);
    assert_int_equal(h->last.severity, 2);
    assert_non_null(strstr(h->last.detail, "(0042,0011)"));
    assert_non_null(strstr(h->last.detail, "C-STORE-RQ"));
    assert_string_equal(h->last.calling_ae, "STORESCU");
    op->rq_ds.dicm_marker_tag = 0x00091010u;
    dicom(h, 3 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_DIMSE_EXE), 2);
    assert_int_equal(count_sid(h, SID_DIMSE_DICM), 1);
    dicom(h, 4 * SEC, DICOM_EV_REQUEST, a, NULL, NULL); /* not an operation */
    assert_int_equal(h->n, 3);
    free(op);
    free(a);
    harness_free(h);
}

/* ---- 19: cleartext PHI across zones ---- */
static void phi_zones(struct detect_cfg *c)
{
    snprintf(c->imaging_nets, sizeof(c->imaging_nets), "10.0.0.30/32");
    snprintf(c->guest_nets, sizeof(c->guest_nets), "192.168.50.0/24");
    c->egress_interval = 3600;
}

static void hl7_msg(struct harness *h, uint64_t ts, struct hl7_message *m)
{
    struct hl7_event e = {.msg = m};
    publish(h, EVENT_HL7, ts, &e);
}

static void hl7_set(struct hl7_text *t, const char *s)
{
    snprintf(t->s, sizeof(t->s), "%s", s);
    t->len = (uint8_t)strlen(t->s);
}

static void test_phi_transit(void **state)
{
    (void)state;
    struct harness *h = harness_new(phi_zones);
    struct dicom_assoc *a = calloc(1, sizeof(*a));
    struct dicom_op *op = calloc(1, sizeof(*op));
    assert_non_null(a);
    assert_non_null(op);
    op->has_rq = true;
    op->rq.command_field = 0x0020; /* C-FIND-RQ, PatientName=* and nothing found: no PHI on the wire */
    op->rq_ds.has_patient_name = true;
    dicom(h, 1 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 0);
    op->n_pending = 3; /* matches came back */
    dicom(h, 2 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_PHI_DICOM), 1);
    assert_int_equal(h->last.severity, 3); /* internal -> imaging */
    assert_non_null(strstr(h->last.detail, "internal zone to the imaging zone"));
    op->rq.command_field = 0x0001; /* a C-STORE with the patient's name: same pair, same interval */
    op->n_pending = 0;
    strcpy(op->rq_ds.patient_name, "phi:abcd");
    dicom(h, 3 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 1);
    dicom(h, 3605 * SEC, DICOM_EV_DIMSE, a, op, NULL); /* the interval has passed (pair entry expired) */
    assert_int_equal(count_sid(h, SID_PHI_DICOM), 2);
    set4(&h->flow.server, 10, 0, 0, 31); /* internal -> internal: one zone, by design */
    dicom(h, 3606 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->n, 2);
    set4(&h->flow.server, 192, 168, 50, 7); /* to the guest network: medium */
    dicom(h, 3607 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(count_sid(h, SID_PHI_DICOM), 3);
    assert_int_equal(h->last.severity, 2);
    set4(&h->flow.server, 198, 51, 100, 1); /* to the Internet: medium */
    dicom(h, 3608 * SEC, DICOM_EV_DIMSE, a, op, NULL);
    assert_int_equal(h->last.severity, 2);
    assert_int_equal(count_sid(h, SID_PHI_DICOM), 4);
    /* HL7: a PID segment across zones; an ACK-like message without PID is nothing */
    struct hl7_message *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->has_msh = true;
    hl7_set(&m->f[HL7_F_MESSAGE_TYPE], "ADT^A01");
    m->n_segment_ids = 2;
    strcpy(m->segment_ids[0], "MSH");
    strcpy(m->segment_ids[1], "EVN");
    hl7_msg(h, 3609 * SEC, m);
    assert_int_equal(count_sid(h, SID_PHI_HL7), 0);
    strcpy(m->segment_ids[1], "PID");
    hl7_msg(h, 3610 * SEC, m);
    assert_int_equal(count_sid(h, SID_PHI_HL7), 1);
    assert_int_equal(h->last.severity, 2);
    /* DICOMweb without Authorization; with it, nothing */
    set4(&h->flow.server, 10, 0, 0, 30);
    h->flow.server_port = 80;
    http_req(h, 3611 * SEC, "GET", "/wado?requestType=WADO&studyUID=1.2.3", "Host|Authorization", "pacs", "curl");
    http_req(h, 3611 * SEC, "GET", "/index.html?q=studies", "Host", "pacs", "curl");
    http_req(h, 3611 * SEC, "GET", "/a?b=/studies/long/query/string", "Host", "pacs", "curl"); /* path "/a" */
    assert_int_equal(count_sid(h, SID_PHI_DICOMWEB), 0);
    http_req(h, 3612 * SEC, "GET", "/wado?requestType=WADO&studyUID=1.2.3", "Host", "pacs", "curl");
    assert_int_equal(count_sid(h, SID_PHI_DICOMWEB), 1);
    assert_int_equal(h->last.severity, 3);
    set4(&h->flow.server, 10, 0, 0, 30);
    set4(&h->flow.client, 192, 168, 50, 9); /* a guest laptop on Orthanc's REST port */
    h->flow.server_port = 8042;
    http_req(h, 3613 * SEC, "GET", "/patients", "Host|User-Agent", "pacs:8042", "curl");
    assert_int_equal(count_sid(h, SID_PHI_DICOMWEB), 2);
    assert_int_equal(h->last.severity, 2);
    free(m);
    free(op);
    free(a);
    harness_free(h);
}

/* ---- 20: HL7 ---- */
static void hl7_tune(struct detect_cfg *c)
{
    c->hl7_learning = 100;
    c->hl7_ctlid_window = 600;
    snprintf(c->hl7_senders, sizeof(c->hl7_senders), "10.0.0.40");
    snprintf(c->hl7_lis, sizeof(c->hl7_lis), "10.0.0.50/32");
}

static void hl7_fill(struct hl7_message *m, const char *app, const char *fac, const char *type, const char *ctl,
                     uint64_t digest)
{
    memset(m, 0, sizeof(*m));
    m->has_msh = m->complete = true;
    m->component_sep = '^';
    hl7_set(&m->f[HL7_F_SENDING_APP], app);
    hl7_set(&m->f[HL7_F_SENDING_FAC], fac);
    hl7_set(&m->f[HL7_F_MESSAGE_TYPE], type);
    hl7_set(&m->f[HL7_F_CONTROL_ID], ctl);
    m->content_hash = digest;
}

static void test_hl7(void **state)
{
    (void)state;
    struct harness *h = harness_new(hl7_tune);
    struct hl7_message *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    /* learning: 10.0.0.5 ADT|HOSP is learned from t=1 (the first message) to t=101 */
    hl7_fill(m, "ADT", "HOSP", "ADT^A01", "1", 11);
    hl7_msg(h, 1 * SEC, m);
    hl7_fill(m, "ADT", "HOSP", "ADT^A01", "2", 12);
    hl7_msg(h, 100 * SEC, m); /* still inside the learning period (edge: < first + 100 s) */
    hl7_fill(m, "RIS", "HOSP", "ORM^O01", "3", 13);
    hl7_msg(h, 100 * SEC, m); /* learned too */
    assert_int_equal(h->n, 0);
    hl7_fill(m, "ADT", "HOSP", "ADT^A08", "4", 14);
    hl7_msg(h, 101 * SEC, m); /* learned sender after the period */
    assert_int_equal(h->n, 0);
    hl7_fill(m, "EVIL", "HOSP", "ADT^A08", "5", 15);
    hl7_msg(h, 101 * SEC, m); /* a new MSH-3 from a known address */
    assert_int_equal(count_sid(h, SID_HL7_NEW_SENDER), 1);
    assert_int_equal(h->last.severity, 2);
    assert_non_null(strstr(h->last.detail, "EVIL"));
    hl7_fill(m, "EVIL", "HOSP", "ADT^A08", "6", 16);
    hl7_msg(h, 102 * SEC, m); /* reported once, then remembered */
    assert_int_equal(count_sid(h, SID_HL7_NEW_SENDER), 1);
    set4(&h->flow.client, 10, 0, 0, 40); /* the allowlisted interface engine: anything goes */
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "7", 17);
    hl7_msg(h, 103 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_NEW_SENDER), 1);
    assert_int_equal(detect_get_stats(h->d)->allowlisted, 1); /* counted once per sender */
    /* ORU^R01 from the engine (not the LIS): high; from the LIS: nothing; ORU^R30 is not R01 */
    hl7_fill(m, "ENGINE2", "LAB", "ORU^R01^ORU_R01", "8", 18);
    hl7_msg(h, 104 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_ORU_NOT_LIS), 1);
    assert_int_equal(h->last.severity, 1);
    hl7_fill(m, "ENGINE2", "LAB", "ORU^R30", "9", 19);
    hl7_msg(h, 104 * SEC, m);
    set4(&h->flow.client, 10, 0, 0, 50);
    hl7_fill(m, "LIS", "LAB", "ORU^R01", "10", 20);
    hl7_msg(h, 105 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_ORU_NOT_LIS), 1);
    assert_int_equal(count_sid(h, SID_HL7_NEW_SENDER), 2); /* the LIS is not allowlisted and started late */
    /* control id: an identical resend is silent, different content under the same id is high, once */
    hl7_fill(m, "LIS", "LAB", "ORU^R01", "10", 20);
    hl7_msg(h, 106 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 0);
    hl7_fill(m, "LIS", "LAB", "ORU^R01", "10", 21);
    hl7_msg(h, 107 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 1);
    assert_int_equal(h->last.severity, 1);
    hl7_fill(m, "LIS", "LAB", "ORU^R01", "10", 22);
    hl7_msg(h, 108 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 1);
    /* the same id from another application is another control id */
    set4(&h->flow.client, 10, 0, 0, 40);
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "10", 99);
    hl7_msg(h, 109 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 1);
    /* expiry: idle past control-id-window (600 s), the id starts over with the new content */
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "10", 100);
    hl7_msg(h, 710 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 1);
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "10", 101);
    hl7_msg(h, 711 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 2);
    /* acknowledgments and cut messages do not count */
    hl7_fill(m, "ENGINE2", "LAB", "ACK", "10", 102);
    m->has_msa = true;
    hl7_msg(h, 712 * SEC, m);
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "11", 103);
    hl7_msg(h, 712 * SEC, m);
    hl7_fill(m, "ENGINE2", "LAB", "ADT^A01", "11", 104);
    m->complete = false;
    hl7_msg(h, 713 * SEC, m);
    assert_int_equal(count_sid(h, SID_HL7_CTLID_REUSE), 2);
    assert_int_equal(detect_get_stats(h->d)->allowlisted, 1);
    free(m);
    harness_free(h);
}

static void hl7_no_learning_small(struct detect_cfg *c)
{
    c->hl7_learning = 0;
    c->memcap = 17 * 1024 * sizeof(void *) + 8 * 1024;
}

static void test_hl7_memcap(void **state)
{
    (void)state;
    struct harness *h = harness_new(hl7_no_learning_small);
    const struct memcap *mc = detect_get_memcap(h->d);
    struct hl7_message *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    char id[16];
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof(id), "%d", i);
        hl7_fill(m, "ADT", "HOSP", "ADT^A01", id, (uint64_t)i);
        hl7_msg(h, 1 * SEC, m);
    }
    assert_true(mc->used <= mc->cap);
    assert_true(detect_get_stats(h->d)->memcap_hits > 0);
    assert_int_equal(count_sid(h, SID_HL7_NEW_SENDER), 1); /* learning 0: new at once, then remembered */
    free(m);
    harness_free(h);
}

/* ---- 22: PACS exploits ---- */
static void test_dicom_exploit(void **state)
{
    (void)state;
    /* the parser's facts, from an A-ASSOCIATE-RQ body: a 1300-byte application context item, then AE bytes */
    static uint8_t body[68 + 4 + 1300];
    memset(body, 0, sizeof(body));
    body[1] = 1;
    memcpy(body + 4, "ORTHANC         ", 16);
    memcpy(body + 20, "JOXYPOXY!       ", 16);
    body[68] = 0x10;
    body[70] = 1300 >> 8, body[71] = 1300 & 0xff;
    memset(body + 72, 'A', 1300);
    struct dicom_assoc *as = calloc(1, sizeof(*as));
    assert_non_null(as);
    struct dicom_pdu_result res = {0};
    dicom_parse_assoc(as, false, body, sizeof(body), &res);
    assert_int_equal(as->rq_uid_item_max, 1300);
    assert_false(as->rq_ae_bad_chars);
    memset(as, 0, sizeof(*as));
    memcpy(body + 20, "ECHO\x01SCU       ", 16);
    body[70] = 0, body[71] = 17; /* a normal application context length now */
    dicom_parse_assoc(as, false, body, 68 + 4 + 17, &res);
    assert_int_equal(as->rq_uid_item_max, 17);
    assert_true(as->rq_ae_bad_chars);
    memset(as, 0, sizeof(*as));
    memcpy(body + 20, "ECHOSCU\0\0\0\0\0\0\0\0\0", 16); /* NUL padding is padding */
    dicom_parse_assoc(as, false, body, 68 + 4 + 17, &res);
    assert_false(as->rq_ae_bad_chars);
    /* the detector: threshold edge at detect.exploit.uid-item-max (256) */
    struct harness *h = harness_new(NULL);
    h->flow.server_port = 11112;
    as->rq_uid_item_max = 256;
    dicom(h, 1 * SEC, DICOM_EV_REQUEST, as, NULL, NULL);
    assert_int_equal(h->n, 0);
    as->rq_uid_item_max = 257;
    dicom(h, 2 * SEC, DICOM_EV_REQUEST, as, NULL, NULL);
    assert_int_equal(count_sid(h, SID_DICOM_EXPLOIT), 1);
    assert_int_equal(h->last.severity, 1);
    as->rq_uid_item_max = 20;
    as->rq_ae_bad_chars = true;
    dicom(h, 3 * SEC, DICOM_EV_ACCEPT, as, NULL, NULL); /* only requests */
    dicom(h, 3 * SEC, DICOM_EV_REQUEST, as, NULL, NULL);
    assert_int_equal(count_sid(h, SID_DICOM_EXPLOIT), 2);
    free(as);
    harness_free(h);
}

static void test_pacs_traversal(void **state)
{
    (void)state;
    struct harness *h = harness_new(NULL);
    h->flow.server_port = 80;
    const char *hit[] = {
        "/Pacs/nocache.php?path=../../../../etc/passwd",
        "/pacsone/nocache.php?x=1&path=..%2f..%2fwindows%2fwin.ini",
        "/Pacs/nocache.php?path=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/exportFile?UID=..\\..\\..\\Windows\\win.ini",
        "/exportFile?uid=%2e%2e%5c%2e%2e%5cboot.ini",
    };
    const char *miss[] = {
        "/Pacs/nocache.php?path=studies/2024/ct.dcm", /* the normal use */
        "/Pacs/nocache.php?xpath=../../etc/passwd",   /* not the parameter */
        "/search?path=../../etc/passwd",              /* not a PACS endpoint */
        "/exportFile?UID=1.2.840.113619.2.55",
        "/Pacs/nocache.php/../../etc/passwd", /* no query: not these rules */
    };
    for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
        http_req(h, 1 * SEC, "GET", miss[i], "Host", "pacs", "curl");
    assert_int_equal(h->n, 0);
    for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++) {
        http_req(h, 2 * SEC, "GET", hit[i], "Host", "pacs", "curl");
        assert_int_equal(count_sid(h, SID_PACS_TRAVERSAL), (int)i + 1);
    }
    assert_int_equal(h->last.severity, 1);
    assert_non_null(strstr(h->last.detail, "Dicoogle"));
    assert_string_equal(h->last.url, hit[4]);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_share_exe),
        cmocka_unit_test(test_admin_allowlist),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_chain_window_edge),
        cmocka_unit_test(test_start_after_write),
        cmocka_unit_test(test_service_identity),
        cmocka_unit_test(test_fanout),
        cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_recon),
        cmocka_unit_test(test_smb1),
        cmocka_unit_test(test_dicom_scanner),
        cmocka_unit_test(test_ae_bruteforce),
        cmocka_unit_test(test_cfind_sweep),
        cmocka_unit_test(test_query_refused),
        cmocka_unit_test(test_cmove),
        cmocka_unit_test(test_expiry_on_packet_time),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_overrides_and_rate),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_rules_lines),
        cmocka_unit_test(test_rules_file_errors),
        cmocka_unit_test(test_shipped_rules),
        cmocka_unit_test(test_c2_fingerprint),
        cmocka_unit_test(test_c2_indicators),
        cmocka_unit_test(test_c2_generated_name),
        cmocka_unit_test(test_c2_name_from_imaging),
        cmocka_unit_test(test_fallback_cycling),
        cmocka_unit_test(test_imaging_egress),
        cmocka_unit_test(test_dicom_perimeter),
        cmocka_unit_test(test_beacon),
        cmocka_unit_test(test_beacon_budget),
        cmocka_unit_test(test_chain_c2),
        cmocka_unit_test(test_every_signature_documented),
        cmocka_unit_test(test_exe_imaging),
        cmocka_unit_test(test_polyglot_builtin),
        cmocka_unit_test(test_dicom_matrix),
        cmocka_unit_test(test_dicom_matrix_no_learning),
        cmocka_unit_test(test_assoc_exhaustion),
        cmocka_unit_test(test_dimse_markers_walker),
        cmocka_unit_test(test_dimse_polyglot),
        cmocka_unit_test(test_phi_transit),
        cmocka_unit_test(test_hl7),
        cmocka_unit_test(test_hl7_memcap),
        cmocka_unit_test(test_dicom_exploit),
        cmocka_unit_test(test_pacs_traversal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
