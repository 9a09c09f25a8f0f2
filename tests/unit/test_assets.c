/*
 * test_assets.c - the asset inventory fed synthetic `smb` and `dicom` events:
 * OS hints from SMB1 native strings and the NTLMSSP VERSION (and their
 * ranking), workstation names and domains but never user names, dialects and
 * the SMB1 flag, served shares, one `asset` event per new fact (no flood),
 * bounded lists and strings; storage: one client talking to many servers
 * (the records never move), the hash index with 70,000 hosts at the default
 * memcap, eviction of the least recently seen host at a small memcap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "app/dicom/dicom.h"
#include "app/hl7/hl7.h"
#include "app/smb/smb.h"
#include "assets/assets.h"
#include "core/json.h"
#include "core/stats.h"
#include "app/dcerpc/dcerpc.h"
#include "flow/flow.h"

/* ---- harness: an inventory on a bus, counting the asset events it publishes ---- */
struct harness {
    struct event_bus bus;
    struct stats stats;
    struct asset_inventory inv;
    struct flow flow;
    int n_new, n_changed;
    uint64_t ts;
};

static void on_asset(void *user, const struct event *ev)
{
    struct harness *h = user;
    const struct asset_event *ae = ev->body;
    if (strcmp(ae->change, "new") == 0)
        h->n_new++;
    else
        h->n_changed++;
}

static struct harness *harness_new_memcap(uint64_t memcap)
{
    struct harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    struct asset_cfg cfg;
    asset_cfg_defaults(&cfg);
    if (memcap)
        cfg.memcap = memcap;
    char err[256];
    assert_int_equal(asset_inventory_init(&h->inv, &cfg, &h->bus, &h->stats, err, sizeof(err)), 0);
    assert_int_equal(event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_ASSET), on_asset, h), 0);
    static const uint8_t cli[4] = {10, 1, 2, 3}, srv[4] = {10, 1, 2, 200};
    ip_addr_set4(&h->flow.client, cli);
    ip_addr_set4(&h->flow.server, srv);
    h->flow.client_port = 49152;
    h->flow.server_port = 445;
    h->ts = 1700000000000000ull;
    return h;
}

static struct harness *harness_new(void)
{
    return harness_new_memcap(0);
}

static void harness_free(struct harness *h)
{
    asset_inventory_free(&h->inv);
    assert_int_equal(h->inv.mc.used, 0); /* everything the inventory allocated was charged and given back */
    free(h);
}

static void feed(struct harness *h, enum event_type type, const void *body)
{
    struct event ev = {
        .type = type, .ts_us = h->ts += 1000, .flow = &h->flow, .pkt = NULL, .dir = EVENT_DIR_TOCLIENT, .body = body};
    event_publish(&h->bus, &ev);
}

static void feed_smb(struct harness *h, const struct smb_event *se)
{
    feed(h, EVENT_SMB, se);
}

static const struct asset *find(const struct harness *h, const struct ip_addr *ip)
{
    return asset_find(&h->inv, ip);
}

static const struct asset *client(const struct harness *h)
{
    const struct asset *a = find(h, &h->flow.client);
    assert_non_null(a);
    return a;
}

static const struct asset *server(const struct harness *h)
{
    const struct asset *a = find(h, &h->flow.server);
    assert_non_null(a);
    return a;
}

/* The record's JSON members, as the asset event and assets.json write them. */
static char *json_of(const struct asset *a)
{
    struct jw w;
    jw_init(&w);
    jw_open_obj(&w, NULL);
    asset_json(&w, a);
    jw_close_obj(&w);
    char *s = malloc(w.len + 1);
    assert_non_null(s);
    memcpy(s, w.buf, w.len);
    s[w.len] = '\0';
    jw_free(&w);
    return s;
}

static struct smb_event smb1_ev(uint16_t cmd)
{
    struct smb_event se;
    memset(&se, 0, sizeof(se));
    se.version = 1;
    se.command = cmd;
    se.command_name = "SMB1_COMMAND";
    se.has_status = true;
    se.status = SMB_STATUS_SUCCESS;
    se.dialect = "NT LM 0.12";
    return se;
}

static struct smb_event smb2_ev(uint16_t cmd, const char *dialect)
{
    struct smb_event se;
    memset(&se, 0, sizeof(se));
    se.version = 2;
    se.command = cmd;
    se.command_name = "SMB2_COMMAND";
    se.has_status = true;
    se.status = SMB_STATUS_SUCCESS;
    se.dialect = dialect;
    return se;
}

static struct ntlmssp_info ntlm_auth(const char *host, const char *domain, const char *user, uint8_t major,
                                     uint8_t minor, uint16_t build, uint8_t rev)
{
    struct ntlmssp_info nt;
    memset(&nt, 0, sizeof(nt));
    nt.type = NTLMSSP_AUTH;
    snprintf(nt.host, sizeof(nt.host), "%s", host);
    snprintf(nt.domain, sizeof(nt.domain), "%s", domain);
    snprintf(nt.user, sizeof(nt.user), "%s", user);
    nt.has_version = true;
    nt.ver_major = major;
    nt.ver_minor = minor;
    nt.ver_build = build;
    nt.ver_revision = rev;
    return nt;
}

/* ---- the OS hint functions ---- */

static void expect_native(const char *os, const char *lm, const char *want)
{
    char out[ASSET_OS_LEN];
    bool ok = asset_os_from_native(os, lm, out, sizeof(out));
    if (!want) {
        assert_false(ok);
        assert_string_equal(out, "");
    } else {
        assert_true(ok);
        assert_string_equal(out, want);
    }
}

static void test_os_from_native(void **state)
{
    (void)state;
    /* XP as a server and as a client (its native OS names "Windows 2002") */
    expect_native("Windows 5.1", "Windows 2000 LAN Manager", "Windows XP");
    expect_native("Windows 2002 Service Pack 3 2600", "Windows 2002 5.1", "Windows XP Service Pack 3 2600");
    expect_native("Windows 5.0", "Windows 2000 LAN Manager", "Windows 2000");
    expect_native("Windows 6.1", NULL, "Windows 7 / Server 2008 R2");
    /* descriptive strings as they are */
    expect_native("Windows 7 Professional 7601 Service Pack 1", "Windows 7 Professional 6.1",
                  "Windows 7 Professional 7601 Service Pack 1");
    expect_native("Windows Server 2019 Standard 17763", "Windows Server 2019 Standard 6.3",
                  "Windows Server 2019 Standard 17763");
    expect_native("Mac OS X 10.10", "SMBFS 3.0.0", "Mac OS X 10.10");
    /* Samba: the LAN manager string decides, whatever Windows version the server claims */
    expect_native("Windows 6.1", "Samba 4.17.12-Debian", "Unix (Samba 4.17.12-Debian)");
    expect_native("Unix", "Samba", "Unix (Samba)");
    expect_native("QTS", "Samba 4.4.16", "QTS (Samba 4.4.16)");
    expect_native("Unix", "", "Unix");
    /* not recognised: no hint */
    expect_native("Windows 99.9", "", NULL);
    expect_native("Windows 123.1", "", NULL);
    expect_native("Windows 6.", "", "Windows 6."); /* not a bare version: passed on as the host wrote it */
    expect_native("Windows 8.1 9600", "Windows 8.1 6.3", "Windows 8.1 9600");
    expect_native("nt", "pysmb", NULL);
    expect_native("", "Windows 2000 LAN Manager", NULL);
    expect_native(NULL, NULL, NULL);
    /* a small output buffer is cut, never overrun */
    char small[8];
    assert_true(asset_os_from_native("Windows 5.1", NULL, small, sizeof(small)));
    assert_string_equal(small, "Windows");
}

static void expect_ntlm(uint8_t major, uint8_t minor, uint16_t build, uint8_t rev, const char *want)
{
    char out[ASSET_OS_LEN];
    bool ok = asset_os_from_ntlm(major, minor, build, rev, out, sizeof(out));
    if (!want) {
        assert_false(ok);
        assert_string_equal(out, "");
    } else {
        assert_true(ok);
        assert_string_equal(out, want);
    }
}

static void test_os_from_ntlm(void **state)
{
    (void)state;
    expect_ntlm(6, 1, 7601, 15, "Windows 7 / Server 2008 R2 (build 7601)");
    expect_ntlm(5, 1, 2600, 15, "Windows XP (build 2600)");
    expect_ntlm(6, 0, 6001, 15, "Windows Vista / Server 2008 (build 6001)");
    expect_ntlm(6, 3, 9600, 15, "Windows 8.1 / Server 2012 R2 (build 9600)");
    expect_ntlm(10, 0, 17763, 15, "Windows 10 / Server 2019 (build 17763)");
    expect_ntlm(10, 0, 14393, 15, "Windows 10 / Server 2016 (build 14393)");
    expect_ntlm(10, 0, 20348, 15, "Windows Server 2022 (build 20348)");
    expect_ntlm(10, 0, 19041, 15, "Windows 10 (build 19041)");
    expect_ntlm(10, 0, 22631, 15, "Windows 11 (build 22631)");
    expect_ntlm(10, 0, 26100, 15, "Windows 11 / Server 2025 (build 26100)");
    /* Samba (build 0), Apple (revision 0), unknown versions: no hint */
    expect_ntlm(6, 1, 0, 15, NULL);
    expect_ntlm(6, 1, 7600, 0, NULL);
    expect_ntlm(7, 0, 1234, 15, NULL);
    expect_ntlm(255, 255, 65535, 15, NULL);
}

/* ---- the inventory fed smb events ---- */

/* The brief's case: an old Windows XP console talking SMB1 to an XP server. */
static void test_smb1_native_os(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    const char *offered[] = {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"};
    struct smb_event neg = smb1_ev(0x72);
    for (size_t i = 0; i < 3; i++)
        neg.client_dialects[neg.n_client_dialects++] = offered[i];
    feed_smb(h, &neg);
    assert_int_equal(h->n_new, 2);
    assert_int_equal(h->n_changed, 0);

    struct smb_event ss = smb1_ev(0x73);
    ss.status = SMB_STATUS_MORE_PROCESSING;
    ss.req_native_os = "Windows 2002 Service Pack 3 2600";
    ss.req_native_lm = "Windows 2002 5.1";
    ss.resp_native_os = "Windows 5.1";
    ss.resp_native_lm = "Windows 2000 LAN Manager";
    feed_smb(h, &ss);
    assert_int_equal(h->n_changed, 2);

    const struct asset *c = client(h), *s = server(h);
    assert_string_equal(c->smb->os, "Windows XP Service Pack 3 2600");
    assert_int_equal(c->smb->os_source, ASSET_OS_SMB_NATIVE);
    assert_string_equal(s->smb->os, "Windows XP");
    assert_true(c->smb->client && !c->smb->server && c->smb->smb1 && c->smb->smb1_offered);
    assert_true(s->smb->server && !s->smb->client && s->smb->smb1 && !s->smb->smb1_offered);
    assert_int_equal(c->smb->offered.n, 3);
    assert_int_equal(c->smb->dialects.n, 1);
    assert_string_equal(asset_list_str(&c->smb->dialects, 0), "NT LM 0.12");
    assert_string_equal(asset_list_str(&s->smb->native_lm, 0), "Windows 2000 LAN Manager");

    char *js = json_of(c);
    assert_non_null(strstr(js, "\"os\":\"Windows XP Service Pack 3 2600\""));
    assert_non_null(strstr(js, "\"os_source\":\"smb_native_os\""));
    assert_non_null(strstr(js, "\"role\":\"client\""));
    assert_non_null(strstr(js, "\"smb1\":true"));
    assert_non_null(strstr(js, "\"native_os\":[\"Windows 2002 Service Pack 3 2600\"]"));
    free(js);
    js = json_of(s);
    assert_non_null(strstr(js, "\"role\":\"server\""));
    assert_non_null(strstr(js, "\"shares\":[]"));
    free(js);

    /* the same facts again (the final leg repeats the strings): nothing new, no event */
    ss.status = SMB_STATUS_SUCCESS;
    for (int i = 0; i < 100; i++)
        feed_smb(h, &ss);
    feed_smb(h, &neg);
    assert_int_equal(h->n_new, 2);
    assert_int_equal(h->n_changed, 2);
    harness_free(h);
}

static void test_ntlm_identity_no_user(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct ntlmssp_info nt = ntlm_auth("MRI-CONSOLE1", "RADIOLOGY", "tech.jsmith", 6, 1, 7601, 15);
    struct smb_event ss = smb2_ev(SMB2_SESSION_SETUP, "2.10");
    ss.ntlmssp = &nt;
    feed_smb(h, &ss);
    const struct asset *c = client(h), *s = server(h);
    assert_string_equal(c->smb->os, "Windows 7 / Server 2008 R2 (build 7601)");
    assert_int_equal(c->smb->os_source, ASSET_OS_NTLMSSP);
    assert_int_equal(c->smb->hostnames.n, 1);
    assert_string_equal(asset_list_str(&c->smb->hostnames, 0), "MRI-CONSOLE1");
    assert_int_equal(c->smb->domains.n, 1);
    assert_string_equal(asset_list_str(&c->smb->domains, 0), "RADIOLOGY");
    assert_false(c->smb->smb1);
    /* the server learns nothing from the client's AUTHENTICATE */
    assert_string_equal(s->smb->os, "");
    assert_int_equal(s->smb->hostnames.n, 0);

    char *js = json_of(c);
    assert_null(strstr(js, "jsmith")); /* user names never enter the inventory */
    assert_non_null(strstr(js, "\"hostnames\":[\"MRI-CONSOLE1\"]"));
    assert_non_null(strstr(js, "\"ntlm_versions\":[\"6.1 build 7601 rev 15\"]"));
    assert_non_null(strstr(js, "\"os_source\":\"ntlmssp_version\""));
    assert_non_null(strstr(js, "\"domains\":[\"RADIOLOGY\"]"));
    assert_non_null(strstr(js, "\"smb1\":false"));
    free(js);
    js = json_of(s);
    assert_null(strstr(js, "jsmith"));
    free(js);

    /* same name in other case: one name; another user from the same host: no change */
    int changed = h->n_changed;
    nt = ntlm_auth("mri-console1", "radiology", "other.user", 6, 1, 7601, 15);
    feed_smb(h, &ss);
    assert_int_equal(h->n_changed, changed);
    /* a CHALLENGE (server's message) is not the client's identity */
    struct ntlmssp_info ch = ntlm_auth("SRV", "DOM", "", 10, 0, 17763, 15);
    ch.type = NTLMSSP_CHALLENGE;
    ss.ntlmssp = &ch;
    feed_smb(h, &ss);
    assert_int_equal(client(h)->smb->hostnames.n, 1);
    assert_string_equal(client(h)->smb->os, "Windows 7 / Server 2008 R2 (build 7601)");
    harness_free(h);
}

static void test_os_ranking(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    /* Samba client: NTLM 6.1 build 0 gives no hint; its native strings do */
    struct ntlmssp_info nt = ntlm_auth("RADWS01", "RADIOLOGY", "radadmin", 6, 1, 0, 15);
    struct smb_event ss = smb1_ev(0x73);
    ss.ntlmssp = &nt;
    feed_smb(h, &ss);
    assert_string_equal(client(h)->smb->os, "");
    assert_int_equal(client(h)->smb->os_source, ASSET_OS_NONE);

    /* an NTLM hint first, then the native strings outrank it */
    nt = ntlm_auth("RADWS01", "RADIOLOGY", "radadmin", 6, 1, 7601, 15);
    feed_smb(h, &ss);
    assert_string_equal(client(h)->smb->os, "Windows 7 / Server 2008 R2 (build 7601)");
    assert_int_equal(client(h)->smb->ntlm_versions.n, 2);
    ss.ntlmssp = NULL;
    ss.req_native_os = "Windows 7 Professional 7601 Service Pack 1";
    ss.req_native_lm = "Windows 7 Professional 6.1";
    feed_smb(h, &ss);
    assert_string_equal(client(h)->smb->os, "Windows 7 Professional 7601 Service Pack 1");
    assert_int_equal(client(h)->smb->os_source, ASSET_OS_SMB_NATIVE);

    /* a weaker source never replaces it; another native string of the same rank neither (first stays: no flapping
     * between two hosts behind one address), but its raw strings are kept */
    nt = ntlm_auth("RADWS01", "RADIOLOGY", "radadmin", 10, 0, 19041, 15);
    ss.ntlmssp = &nt;
    ss.req_native_os = "Windows 10 Pro 19045";
    ss.req_native_lm = "Windows 10 Pro 6.3";
    feed_smb(h, &ss);
    const struct asset *c = client(h);
    assert_string_equal(c->smb->os, "Windows 7 Professional 7601 Service Pack 1");
    assert_int_equal(c->smb->native_os.n, 2);
    assert_string_equal(asset_list_str(&c->smb->native_os, 1), "Windows 10 Pro 19045");
    assert_int_equal(c->smb->ntlm_versions.n, 3);
    /* the alternation repeated changes nothing more */
    int changed = h->n_changed;
    for (int i = 0; i < 10; i++) {
        ss.req_native_os = i % 2 ? "Windows 10 Pro 19045" : "Windows 7 Professional 7601 Service Pack 1";
        feed_smb(h, &ss);
    }
    assert_int_equal(h->n_changed, changed);
    harness_free(h);
}

/* srvsvc NetrServerGetInfo: Windows by version, Unix by SV_TYPE_SERVER_UNIX; ranked below NTLM and the native
 * strings; the server name and NetrShareEnum's shares go to the server's record. */
static void test_srvsvc_server_info(void **state)
{
    (void)state;
    char out[ASSET_OS_LEN];
    assert_true(asset_os_from_srvsvc(500, 5, 1, 0x00001003, out, sizeof(out)));
    assert_string_equal(out, "Windows XP");
    assert_true(asset_os_from_srvsvc(500, 6, 1, 0x00809a03, out, sizeof(out))); /* Samba claims 6.1 */
    assert_string_equal(out, "Unix");
    assert_false(asset_os_from_srvsvc(400, 6, 1, 0x1003, out, sizeof(out))); /* not NT */
    assert_false(asset_os_from_srvsvc(500, 7, 9, 0x1003, out, sizeof(out))); /* no such Windows */
    assert_false(asset_os_from_srvsvc(500, 0x106, 1, 0x1003, out, sizeof(out)));

    struct harness *h = harness_new();
    static struct dcerpc_srvsvc sv; /* 13 KB: off the stack */
    memset(&sv, 0, sizeof(sv));
    sv.present = true;
    sv.opnum = 21;
    sv.has_server_info = sv.has_version = sv.has_return = true;
    sv.platform_id = 500;
    sv.version_major = 6;
    sv.version_minor = 1;
    sv.server_type = 0x00001003;
    snprintf(sv.server_name, sizeof(sv.server_name), "CT-CONSOLE");
    struct dcerpc_event de;
    memset(&de, 0, sizeof(de));
    de.ptype = DCERPC_REQUEST;
    de.srvsvc = &sv;
    feed(h, EVENT_DCERPC, &de);
    const struct asset *s = server(h);
    assert_string_equal(s->smb->os, "Windows 7 / Server 2008 R2");
    assert_int_equal(s->smb->os_source, ASSET_OS_SRVSVC);
    assert_int_equal(s->smb->hostnames.n, 1);
    assert_string_equal(asset_list_str(&s->smb->hostnames, 0), "CT-CONSOLE");
    char *j = json_of(s);
    assert_non_null(strstr(j, "\"os_source\":\"srvsvc_server_info\""));
    free(j);
    /* a server name that is an address is not a host name */
    snprintf(sv.server_name, sizeof(sv.server_name), "192.168.24.100");
    feed(h, EVENT_DCERPC, &de);
    assert_int_equal(server(h)->smb->hostnames.n, 1);
    snprintf(sv.server_name, sizeof(sv.server_name), "CT-CONSOLE");
    /* the same answer again: no new fact, no event */
    int changed = h->n_changed;
    feed(h, EVENT_DCERPC, &de);
    assert_int_equal(h->n_changed, changed);
    /* a failed call teaches nothing */
    sv.return_code = 5;
    sv.version_major = 5;
    feed(h, EVENT_DCERPC, &de);
    assert_string_equal(server(h)->smb->os, "Windows 7 / Server 2008 R2");
    /* shares listed by NetrShareEnum */
    memset(&sv, 0, sizeof(sv));
    sv.present = sv.has_return = true;
    sv.opnum = 15;
    sv.n_shares = 2;
    snprintf(sv.shares[0].name, sizeof(sv.shares[0].name), "ADMIN$");
    snprintf(sv.shares[1].name, sizeof(sv.shares[1].name), "IMAGES");
    feed(h, EVENT_DCERPC, &de);
    assert_int_equal(server(h)->smb->shares.n, 2);
    harness_free(h);
}

/* An NTLMSSP AUTHENTICATE of a DCE/RPC bind describes the client as an SMB session setup's does (never the user) */
static void test_dcerpc_ntlm_identity(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct ntlmssp_info nt = ntlm_auth("PACS-WS07", "RADIOLOGY", "svc.backup", 10, 0, 17763, 15);
    struct dcerpc_event de;
    memset(&de, 0, sizeof(de));
    de.ptype = DCERPC_BIND;
    de.resp_ptype = DCERPC_BIND_ACK;
    de.has_auth = true;
    de.auth_type = DCERPC_AUTHN_WINNT;
    de.auth_level = DCERPC_AUTHN_LEVEL_PRIVACY;
    de.ntlmssp = &nt;
    feed(h, EVENT_DCERPC, &de);
    const struct asset *c = client(h), *s = server(h);
    assert_non_null(c->smb);
    assert_int_equal(c->smb->hostnames.n, 1);
    assert_string_equal(asset_list_str(&c->smb->hostnames, 0), "PACS-WS07");
    assert_int_equal(c->smb->domains.n, 1);
    assert_int_equal(c->smb->ntlm_versions.n, 1);
    assert_string_equal(c->smb->os, "Windows 10 / Server 2019 (build 17763)");
    assert_null(s->smb); /* a bind teaches nothing of the server */
    char *js = json_of(c);
    assert_null(strstr(js, "svc.backup"));
    free(js);
    /* a bind without an identity, or with the server's CHALLENGE, teaches nothing */
    int changed = h->n_changed;
    de.ntlmssp = NULL;
    feed(h, EVENT_DCERPC, &de);
    struct ntlmssp_info ch = ntlm_auth("OTHER", "DOM", "", 6, 1, 7601, 15);
    ch.type = NTLMSSP_CHALLENGE;
    de.ntlmssp = &ch;
    feed(h, EVENT_DCERPC, &de);
    assert_int_equal(h->n_changed, changed);
    assert_int_equal(client(h)->smb->hostnames.n, 1);
    harness_free(h);
}

static void test_smb2_dialects_shares(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    /* the multi-protocol answer "2.??" is not a dialect */
    struct smb_event neg = smb2_ev(SMB2_NEGOTIATE, "2.??");
    feed_smb(h, &neg);
    assert_int_equal(client(h)->smb->dialects.n, 0);
    const char *offered[] = {"2.02", "2.10", "3.00", "3.02", "3.11"};
    neg = smb2_ev(SMB2_NEGOTIATE, "3.11");
    for (size_t i = 0; i < 5; i++)
        neg.client_dialects[neg.n_client_dialects++] = offered[i];
    feed_smb(h, &neg);
    const struct asset *c = client(h), *s = server(h);
    assert_int_equal(c->smb->offered.n, 5);
    assert_false(c->smb->smb1_offered);
    assert_int_equal(s->smb->offered.n, 0);
    assert_int_equal(s->smb->dialects.n, 1);
    assert_string_equal(asset_list_str(&s->smb->dialects, 0), "3.11");

    /* shares the server served: only successful tree connects, the share name without \\server\ */
    struct smb_event tc = smb2_ev(SMB2_TREE_CONNECT, "3.11");
    tc.share = "\\\\PACS-WS01\\ADMIN$";
    tc.share_type = SMB_SHARE_DISK;
    feed_smb(h, &tc);
    tc.share = "\\\\PACS-WS01\\secret";
    tc.status = 0xc0000022; /* STATUS_ACCESS_DENIED */
    feed_smb(h, &tc);
    tc.share = "\\\\10.1.2.200\\admin$"; /* the same share named by address, other case */
    tc.status = SMB_STATUS_SUCCESS;
    feed_smb(h, &tc);
    tc.share = "IMAGES"; /* no backslash at all */
    feed_smb(h, &tc);
    s = server(h);
    assert_int_equal(s->smb->shares.n, 2);
    assert_string_equal(asset_list_str(&s->smb->shares, 0), "ADMIN$");
    assert_string_equal(asset_list_str(&s->smb->shares, 1), "IMAGES");
    assert_int_equal(client(h)->smb->shares.n, 0);
    char *js = json_of(s);
    assert_non_null(strstr(js, "\"shares\":[\"ADMIN$\",\"IMAGES\"]"));
    assert_non_null(strstr(js, "\"dialects\":[\"3.11\"]"));
    free(js);
    harness_free(h);
}

/* Hostile input: many distinct and overlong strings stay within the lists' bounds, with one event per new fact. */
static void test_bounds(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    char name[NTLMSSP_NAME_MAX], os[300], share[300], dialect[64];
    for (int i = 0; i < 200; i++) {
        struct ntlmssp_info nt = ntlm_auth("", "", "u", (uint8_t)(i % 11), 0, (uint16_t)(i + 1), 15);
        snprintf(name, sizeof(name), "HOST-%03d-%0100d", i, 0);
        snprintf(nt.host, sizeof(nt.host), "%s", name);
        snprintf(nt.domain, sizeof(nt.domain), "DOM%d", i);
        memset(os, 'A' + i % 26, sizeof(os) - 1);
        os[sizeof(os) - 1] = '\0';
        snprintf(share, sizeof(share), "\\\\srv\\share%03d-%0200d", i, 0);
        snprintf(dialect, sizeof(dialect), "DIALECT %d", i);
        struct smb_event se = smb1_ev(0x73);
        se.ntlmssp = &nt;
        se.req_native_os = os;
        se.req_native_lm = os;
        se.resp_native_os = os;
        se.share = share;
        se.dialect = dialect;
        se.client_dialects[0] = dialect;
        se.n_client_dialects = 1;
        feed_smb(h, &se);
        feed_smb(h, &se); /* twice: the cut strings compare equal, nothing is added again */
    }
    const struct asset *c = client(h), *s = server(h);
    assert_int_equal(c->smb->hostnames.n, ASSET_MAX_NAMES);
    assert_int_equal(c->smb->domains.n, ASSET_MAX_NAMES);
    assert_int_equal(c->smb->native_os.n, ASSET_MAX_NATIVE);
    assert_int_equal(c->smb->ntlm_versions.n, ASSET_MAX_NTLM_VERS);
    assert_int_equal(c->smb->dialects.n, ASSET_MAX_DIALECTS);
    assert_int_equal(c->smb->offered.n, ASSET_MAX_DIALECTS);
    assert_int_equal(s->smb->shares.n, ASSET_MAX_SHARES);
    assert_int_equal(strlen(asset_list_str(&c->smb->hostnames, 0)), ASSET_NAME_LEN - 1);
    assert_int_equal(strlen(asset_list_str(&c->smb->native_os, 0)), ASSET_NATIVE_LEN - 1);
    assert_int_equal(strlen(asset_list_str(&s->smb->shares, 0)), ASSET_SHARE_LEN - 1);
    assert_true(strlen(c->smb->os) < ASSET_OS_LEN);
    /* at most one event per fact that fits: the lists filled, then silence */
    assert_int_equal(h->n_new, 2);
    assert_true(h->n_changed <= 2 * ASSET_MAX_SHARES + 2 * ASSET_MAX_DIALECTS + 16);
    /* the raw list is full, but a native string still outranks the NTLMSSP hint: one change, then none */
    assert_int_equal(c->smb->os_source, ASSET_OS_NTLMSSP);
    int changed = h->n_changed;
    struct smb_event se = smb1_ev(0x73);
    se.req_native_os = "Windows 5.1";
    feed_smb(h, &se);
    feed_smb(h, &se);
    assert_int_equal(h->n_changed, changed + 1);
    assert_string_equal(client(h)->smb->os, "Windows XP");
    assert_int_equal(client(h)->smb->native_os.n, ASSET_MAX_NATIVE);
    harness_free(h);
}

/* A string cut at its bound ends on a UTF-8 character boundary. */
static void test_utf8_cut(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    char os[200] = "Windows ";
    while (strlen(os) + 2 < sizeof(os))
        strcat(os, "\xc3\xa9"); /* U+00E9, two bytes each, after an even-length prefix... */
    char odd[200] = "Windows XP ";
    while (strlen(odd) + 2 < sizeof(odd))
        strcat(odd, "\xc3\xa9"); /* ...and after an odd one, so one of them is cut inside a character */
    struct smb_event se = smb1_ev(0x73);
    se.req_native_os = os;
    se.resp_native_os = odd;
    feed_smb(h, &se);
    const char *cut[2] = {asset_list_str(&client(h)->smb->native_os, 0), asset_list_str(&server(h)->smb->native_os, 0)};
    for (int k = 0; k < 2; k++) {
        size_t l = strlen(cut[k]);
        assert_true(l >= ASSET_NATIVE_LEN - 2 && l <= ASSET_NATIVE_LEN - 1);
        assert_true(((unsigned char)cut[k][l - 1] & 0xc0) == 0x80); /* ends with a whole é */
    }
    assert_true(((unsigned char)client(h)->smb->os[strlen(client(h)->smb->os) - 1] & 0xc0) == 0x80);
    harness_free(h);
}

/* One host seen in DICOM and in SMB is one record carrying both. */
static void test_dicom_and_smb_merge(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    h->flow.server_port = 104;
    struct dicom_assoc as;
    memset(&as, 0, sizeof(as));
    snprintf(as.calling_ae, sizeof(as.calling_ae), "MRI_CONSOLE");
    snprintf(as.called_ae, sizeof(as.called_ae), "PACS");
    as.ui_rq.present = true;
    snprintf(as.ui_rq.impl_class_uid, sizeof(as.ui_rq.impl_class_uid), "1.2.276.0.7230010.3.0.3.6.7");
    snprintf(as.ui_rq.impl_version, sizeof(as.ui_rq.impl_version), "OFFIS_DCMTK_367");
    struct dicom_event de = {.kind = DICOM_EV_REQUEST, .assoc = &as, .op = NULL, .end = NULL};
    feed(h, EVENT_DICOM, &de);
    de.kind = DICOM_EV_ACCEPT;
    feed(h, EVENT_DICOM, &de);
    assert_int_equal(h->n_new, 2);
    const struct asset *c = client(h);
    assert_true(c->dicom->scu);
    assert_true(server(h)->dicom->scp);
    assert_string_equal(asset_list_str(&c->dicom->ae_calling, 0), "MRI_CONSOLE");
    assert_string_equal(c->dicom->software, "DCMTK");
    assert_null(c->smb);
    char *js = json_of(c);
    assert_null(strstr(js, "\"smb\""));
    assert_null(strstr(js, "\"os\""));
    free(js);

    /* the console then writes to a share on the same server over SMB1 */
    h->flow.server_port = 445;
    struct smb_event ss = smb1_ev(0x73);
    ss.req_native_os = "Windows 5.1";
    ss.req_native_lm = "Windows 2000 LAN Manager";
    feed_smb(h, &ss);
    assert_int_equal(h->inv.n, 2);
    c = client(h);
    assert_string_equal(c->smb->os, "Windows XP");
    assert_true(c->smb->smb1);
    js = json_of(c);
    assert_non_null(strstr(js, "\"dicom_role\":\"SCU\""));
    assert_non_null(strstr(js, "\"os\":\"Windows XP\""));
    assert_non_null(strstr(js, "\"smb1\":true"));
    free(js);
    harness_free(h);
}

static void set4(struct ip_addr *ip, uint8_t a, uint8_t b, uint32_t i)
{
    uint8_t v[4] = {a, b, (uint8_t)(i >> 8), (uint8_t)i};
    ip_addr_set4(ip, v);
}

static bool peers_have(const struct asset *a, const struct ip_addr *p)
{
    const struct ip_addr *peers = a->dicom->peers.items;
    for (unsigned i = 0; i < a->dicom->peers.n; i++)
        if (ip_addr_eq(&peers[i], p))
            return true;
    return false;
}

/* DICOM association request and accept from the harness flow's client to its server. */
static void feed_association(struct harness *h, const char *calling, const char *called)
{
    struct dicom_assoc as;
    memset(&as, 0, sizeof(as));
    snprintf(as.calling_ae, sizeof(as.calling_ae), "%s", calling);
    snprintf(as.called_ae, sizeof(as.called_ae), "%s", called);
    as.ui_rq.present = as.ui_ac.present = true;
    snprintf(as.ui_rq.impl_class_uid, sizeof(as.ui_rq.impl_class_uid), "1.2.276.0.7230010.3.0.3.6.7");
    snprintf(as.ui_ac.impl_class_uid, sizeof(as.ui_ac.impl_class_uid), "1.2.826.0.1.3680043.9.3811.2.0.2");
    struct dicom_event de = {.kind = DICOM_EV_REQUEST, .assoc = &as, .op = NULL, .end = NULL};
    feed(h, EVENT_DICOM, &de);
    de.kind = DICOM_EV_ACCEPT;
    feed(h, EVENT_DICOM, &de);
}

/* Issue 8: one workstation associating with 40 PACS.  The client's record was kept across the creation of the
 * server's, which could move the array under it (heap-use-after-free under ASan).  All 41 hosts are there, each
 * server knows the client, and the client's peers stop at their bound. */
static void test_one_client_many_servers(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    h->flow.server_port = 104;
    const int n_servers = 40;
    for (int i = 0; i < n_servers; i++) {
        set4(&h->flow.server, 10, 9, (uint32_t)i + 1);
        feed_association(h, "WORKSTATION", "PACS");
    }
    assert_int_equal(h->inv.n, n_servers + 1);
    assert_int_equal(h->n_new, n_servers + 1);
    assert_int_equal(h->stats.assets_hosts, n_servers + 1);
    const struct asset *c = client(h);
    assert_true(c->dicom->scu);
    assert_int_equal(c->dicom->peers.n, ASSET_MAX_PEERS);
    assert_string_equal(asset_list_str(&c->dicom->ae_calling, 0), "WORKSTATION");
    for (int i = 0; i < n_servers; i++) {
        struct ip_addr ip;
        set4(&ip, 10, 9, (uint32_t)i + 1);
        const struct asset *s = find(h, &ip);
        assert_non_null(s);
        assert_true(s->dicom->scp);
        assert_int_equal(s->dicom->peers.n, 1);
        assert_true(peers_have(s, &h->flow.client));
        assert_string_equal(asset_list_str(&s->dicom->ae_called, 0), "PACS");
        if (i < ASSET_MAX_PEERS) /* the first 32 servers are the client's peers, in order */
            assert_true(peers_have(c, &ip));
        else
            assert_false(peers_have(c, &ip));
    }
    /* assets.json lists every host once, in the order they were first seen, the client first */
    char path[] = "/tmp/test_assets_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    assert_int_equal(asset_inventory_write(&h->inv, path, err, sizeof(err)), 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    int records = 0;
    while (fgets(line, sizeof(line), fp))
        if (strncmp(line, "{\"ip\":", 6) == 0) {
            char want[64];
            snprintf(want, sizeof(want), "{\"ip\":\"10.%s", records == 0 ? "1.2.3\"" : "9.0.");
            assert_memory_equal(line, want, strlen(want));
            records++;
        }
    fclose(fp);
    unlink(path);
    assert_int_equal(records, n_servers + 1);
    assert_int_equal(h->stats.assets_evicted, 0);
    harness_free(h);
}

/* 70,000 client/server pairs of SMB tree connects (140,000 hosts) at the default memcap: all held, all found
 * through the index, none evicted, the index grown with them. */
static void test_many_hosts_default_memcap(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct smb_event se = smb2_ev(SMB2_TREE_CONNECT, "3.11");
    const uint32_t pairs = 70000;
    for (uint32_t i = 0; i < pairs; i++) {
        set4(&h->flow.client, 10, (uint8_t)(20 + (i >> 16)), i);
        set4(&h->flow.server, 10, (uint8_t)(40 + (i >> 16)), i);
        feed_smb(h, &se);
    }
    assert_int_equal(h->inv.n, 2 * pairs);
    assert_int_equal(h->n_new, 2 * pairs);
    assert_int_equal(h->stats.assets_evicted, 0);
    assert_int_equal(h->inv.mc.hits, 0);
    assert_true(h->inv.mc.used <= 64ULL << 20); /* assets.memcap's default */
    assert_true(h->inv.mask + 1 >= 2 * pairs);  /* the index doubled as records came */
    for (uint32_t i = 0; i < pairs; i++) {
        struct ip_addr c, s;
        set4(&c, 10, (uint8_t)(20 + (i >> 16)), i);
        set4(&s, 10, (uint8_t)(40 + (i >> 16)), i);
        const struct asset *ca = find(h, &c), *sa = find(h, &s);
        assert_non_null(ca);
        assert_non_null(sa);
        assert_true(ca->smb->client && sa->smb->server);
    }
    struct ip_addr absent;
    set4(&absent, 10, 99, 1);
    assert_null(find(h, &absent));
    harness_free(h);
}

/* At a small memcap a new host evicts the least recently seen one (not the oldest record), counted in stats; an
 * evicted host that comes back is new again; the hosts of the event are never the victims. */
static void test_eviction_lru(void **state)
{
    (void)state;
    struct harness *h = harness_new_memcap(64 << 10);
    h->flow.server_port = 104;
    set4(&h->flow.server, 10, 9, 0); /* one PACS, hosts 10.8.x.y call it */
    uint32_t i = 0;
    while (h->stats.assets_evicted == 0) {
        set4(&h->flow.client, 10, 8, i++);
        feed_association(h, "MODALITY", "PACS");
        assert_true(i < 1000);
    }
    size_t held = h->inv.n;
    assert_true(held > 20);
    assert_true(h->inv.mc.used <= 64 << 10);
    assert_true(h->inv.mc.hits > 0);
    /* the first client (10.8.0.0) was the least recently seen: it went, the PACS (seen every time) stayed */
    struct ip_addr ip;
    set4(&ip, 10, 8, 0);
    assert_null(find(h, &ip));
    assert_non_null(server(h));
    set4(&ip, 10, 8, 1);
    assert_non_null(find(h, &ip));
    /* see 10.8.0.1 again: now 10.8.0.2 is the least recently seen and the next new host evicts it */
    uint64_t evicted = h->stats.assets_evicted;
    set4(&h->flow.client, 10, 8, 1);
    feed_association(h, "MODALITY", "PACS");
    set4(&h->flow.client, 10, 8, i++);
    int before = h->n_new;
    feed_association(h, "MODALITY", "PACS");
    assert_int_equal(h->n_new, before + 1);
    assert_true(h->stats.assets_evicted > evicted);
    set4(&ip, 10, 8, 1);
    assert_non_null(find(h, &ip));
    set4(&ip, 10, 8, 2);
    assert_null(find(h, &ip));
    assert_int_equal(h->stats.assets_hosts, h->inv.n);
    /* 10.8.0.0 comes back: a new record, published as new */
    set4(&h->flow.client, 10, 8, 0);
    before = h->n_new;
    feed_association(h, "MODALITY", "PACS");
    assert_int_equal(h->n_new, before + 1);
    const struct asset *back = client(h);
    assert_int_equal(back->changes, 1); /* new with the request, changed once by the accept (SCU) */
    assert_string_equal(asset_list_str(&back->dicom->ae_calling, 0), "MODALITY");
    /* the PACS's peers still name evicted hosts: they are only addresses */
    assert_int_equal(server(h)->dicom->peers.n, ASSET_MAX_PEERS);
    assert_true(h->inv.n <= held + 1);
    harness_free(h);
}

/* A memcap too small for the index is an error at start, with a sentence. */
static void test_memcap_too_small(void **state)
{
    (void)state;
    struct event_bus bus;
    struct stats stats;
    struct asset_inventory inv;
    memset(&bus, 0, sizeof(bus));
    memset(&stats, 0, sizeof(stats));
    struct asset_cfg cfg = {.memcap = 1024};
    char err[256] = "";
    assert_int_equal(asset_inventory_init(&inv, &cfg, &bus, &stats, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "assets.memcap"));
}

/* Both ends on one address (a capture on loopback): one record, one event per change. */
static void test_same_address(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    h->flow.server = h->flow.client;
    struct smb_event tc = smb2_ev(SMB2_TREE_CONNECT, "3.11");
    tc.share = "\\\\localhost\\IPC$";
    feed_smb(h, &tc);
    assert_int_equal(h->inv.n, 1);
    assert_int_equal(h->n_new, 1);
    assert_int_equal(h->n_changed, 0);
    feed_smb(h, &tc);
    assert_int_equal(h->n_changed, 0);
    struct smb_event ss = smb1_ev(0x73);
    ss.resp_native_os = "Windows 5.1"; /* a change of the server side only */
    feed_smb(h, &ss);
    assert_int_equal(h->n_new, 1);
    assert_int_equal(h->n_changed, 1);
    const struct asset *a = client(h);
    assert_true(a->smb->client && a->smb->server);
    assert_string_equal(a->smb->os, "Windows XP");
    char *js = json_of(a);
    assert_non_null(strstr(js, "\"role\":\"both\""));
    free(js);
    harness_free(h);
}

/* Events without a flow or with another type are ignored. */
static void test_ignored(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    struct smb_event se = smb2_ev(SMB2_NEGOTIATE, "3.11");
    struct event ev = {.type = EVENT_SMB, .ts_us = 1, .flow = NULL, .pkt = NULL, .dir = EVENT_DIR_NONE, .body = &se};
    asset_on_event(&h->inv, &ev);
    ev.type = EVENT_TLS;
    ev.flow = &h->flow;
    asset_on_event(&h->inv, &ev);
    assert_int_equal(h->inv.n, 0);
    assert_int_equal(h->n_new, 0);
    harness_free(h);
}

/* ---- HL7 ---- */

static void hl7_set(struct hl7_text *t, const char *v)
{
    t->len = (uint8_t)strlen(v);
    memcpy(t->s, v, t->len + 1);
}

static void feed_hl7(struct harness *h, enum event_dir dir, const char *snd_app, const char *snd_fac,
                     const char *rcv_app, const char *rcv_fac, const char *type, const char *ack_code)
{
    struct hl7_message m;
    memset(&m, 0, sizeof(m));
    m.has_msh = m.complete = true;
    m.field_sep = '|';
    m.component_sep = '^';
    hl7_set(&m.f[HL7_F_SENDING_APP], snd_app);
    hl7_set(&m.f[HL7_F_SENDING_FAC], snd_fac);
    hl7_set(&m.f[HL7_F_RECEIVING_APP], rcv_app);
    hl7_set(&m.f[HL7_F_RECEIVING_FAC], rcv_fac);
    hl7_set(&m.f[HL7_F_MESSAGE_TYPE], type);
    if (ack_code) {
        m.has_msa = true;
        hl7_set(&m.f[HL7_F_ACK_CODE], ack_code);
    }
    struct hl7_event he = {.msg = &m};
    struct event ev = {.type = EVENT_HL7, .ts_us = h->ts += 1000, .flow = &h->flow, .dir = dir, .body = &he};
    event_publish(&h->bus, &ev);
}

/* The sender of a message learns MSH-3/4 and its message type, the receiver MSH-5/6; an acknowledgment gives names
 * (swapped) but no role and no message type. */
static void test_hl7_roles(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    feed_hl7(h, EVENT_DIR_TOSERVER, "ADT1", "TESTHOSP", "RIS", "RADIOLOGY", "ADT^A01^ADT_A01", NULL);
    assert_int_equal(h->n_new, 2);
    const struct asset *c = client(h), *s = server(h);
    assert_non_null(c->hl7);
    assert_non_null(s->hl7);
    assert_null(c->smb);
    assert_null(c->dicom);
    assert_true(c->hl7->sender && !c->hl7->receiver);
    assert_true(s->hl7->receiver && !s->hl7->sender);
    assert_string_equal(asset_list_str(&c->hl7->applications, 0), "ADT1");
    assert_string_equal(asset_list_str(&c->hl7->facilities, 0), "TESTHOSP");
    assert_string_equal(asset_list_str(&c->hl7->message_types, 0), "ADT^A01");
    assert_string_equal(asset_list_str(&s->hl7->applications, 0), "RIS");
    assert_string_equal(asset_list_str(&s->hl7->facilities, 0), "RADIOLOGY");
    assert_int_equal(s->hl7->message_types.n, 0);

    /* its acknowledgment: names already known, no role, no type: nothing changes */
    feed_hl7(h, EVENT_DIR_TOCLIENT, "RIS", "RADIOLOGY", "ADT1", "TESTHOSP", "ACK^A01^ACK", "AA");
    assert_int_equal(h->n_changed, 0);
    assert_false(s->hl7->sender);
    assert_int_equal(c->hl7->message_types.n, 1);
    /* the same message again changes nothing; a new type does */
    feed_hl7(h, EVENT_DIR_TOSERVER, "ADT1", "TESTHOSP", "RIS", "RADIOLOGY", "ADT^A01^ADT_A01", NULL);
    assert_int_equal(h->n_changed, 0);
    feed_hl7(h, EVENT_DIR_TOSERVER, "ADT1", "TESTHOSP", "RIS", "RADIOLOGY", "ADT^A08", NULL);
    assert_int_equal(h->n_changed, 1);
    /* the server sends a result the other way: now both */
    feed_hl7(h, EVENT_DIR_TOCLIENT, "RIS", "RADIOLOGY", "EMR", "TESTHOSP", "ORU^R01", NULL);
    assert_true(s->hl7->sender && s->hl7->receiver);
    assert_int_equal(c->hl7->applications.n, 2);

    char *js = json_of(s);
    assert_non_null(strstr(js, "\"hl7\":{\"role\":\"both\",\"applications\":[\"RIS\"],"
                               "\"facilities\":[\"RADIOLOGY\"],\"message_types\":[\"ORU^R01\"]}"));
    free(js);
    js = json_of(c);
    assert_non_null(strstr(js, "\"message_types\":[\"ADT^A01\",\"ADT^A08\"]"));
    free(js);
    /* bounded lists */
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "APP%d", i);
        feed_hl7(h, EVENT_DIR_TOSERVER, name, name, "RIS", "RADIOLOGY", name, NULL);
    }
    assert_int_equal(c->hl7->applications.n, ASSET_MAX_HL7_NAMES);
    assert_int_equal(c->hl7->facilities.n, ASSET_MAX_HL7_NAMES);
    assert_int_equal(c->hl7->message_types.n, ASSET_MAX_HL7_TYPES);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_from_native),
        cmocka_unit_test(test_os_from_ntlm),
        cmocka_unit_test(test_smb1_native_os),
        cmocka_unit_test(test_ntlm_identity_no_user),
        cmocka_unit_test(test_os_ranking),
        cmocka_unit_test(test_srvsvc_server_info),
        cmocka_unit_test(test_dcerpc_ntlm_identity),
        cmocka_unit_test(test_smb2_dialects_shares),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_utf8_cut),
        cmocka_unit_test(test_dicom_and_smb_merge),
        cmocka_unit_test(test_one_client_many_servers),
        cmocka_unit_test(test_many_hosts_default_memcap),
        cmocka_unit_test(test_eviction_lru),
        cmocka_unit_test(test_memcap_too_small),
        cmocka_unit_test(test_same_address),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_hl7_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
