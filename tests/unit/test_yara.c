/*
 * test_yara.c - file content scanning end to end: rule files that do not
 * compile (file and line in the error), the shipped rules, crafted PE/DICOM
 * and ELF/DICOM polyglots through the file tracker (PE header far past the
 * first bytes, fed in small chunks), the YARA match joining the built-in
 * polyglot alert, near misses, the size limit, the memcap and gapped files
 * (skipped and counted), a Kwampirs key pattern, and the scan off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "app/app.h"
#include "core/stats.h"
#include "detect/detect.h"
#include "detect/detect_int.h"
#include "files/files.h"
#include "files/yara_scan.h"
#include "flow/flow.h"

/* ---- rule files ---- */

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_compile_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/medsentry-yara-XXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.yar", dir);
    write_text(path, "rule good { condition: true }\n");
    struct yara_scanner *s = yara_scanner_new(dir, 1, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(yara_scanner_rules(s), 1);
    yara_scanner_free(s);
    snprintf(path, sizeof(path), "%s/b.yar", dir);
    write_text(path, "rule bad\n{\n    condition: no_such_thing\n}\n");
    assert_null(yara_scanner_new(dir, 1, err, sizeof(err)));
    char want[160];
    snprintf(want, sizeof(want), "%s/b.yar:3: ", dir);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("error '%s' does not start with '%s'", err, want);
    /* the same through files.yara-rules-dir (what -T and start-up call) */
    struct files_cfg c;
    files_cfg_defaults(&c);
    snprintf(c.yara_rules_dir, sizeof(c.yara_rules_dir), "%s", dir);
    assert_int_equal(yara_check(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "b.yar:3:"));
    unlink(path);
    snprintf(path, sizeof(path), "%s/a.yar", dir);
    unlink(path);
    /* no rule files: a scanner with no rules; "" = off; a directory that is not there: an error */
    s = yara_scanner_new(dir, 1, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(yara_scanner_rules(s), 0);
    yara_scanner_free(s);
    rmdir(dir);
    assert_null(yara_scanner_new(dir, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "files.yara-rules-dir"));
    assert_int_equal(yara_check(&c, err, sizeof(err)), -1);
    c.yara_rules_dir[0] = '\0';
    assert_int_equal(yara_check(&c, err, sizeof(err)), 0);
}

static void test_shipped_rules(void **state)
{
    (void)state;
    char err[512];
    struct yara_scanner *s = yara_scanner_new("rules/yara", 1, err, sizeof(err));
    if (!s)
        fail_msg("rules/yara: %s", err);
    assert_int_equal(yara_scanner_files(s), 2);
    assert_int_equal(yara_scanner_rules(s), 6); /* 2 polyglot + 4 Kwampirs */
    yara_scanner_free(s);
}

/* ---- the tracker, the scanner and the detectors on one bus ---- */

struct h {
    struct app_layer al;
    struct app_ctx ctx;
    struct flow flow;
    struct event_bus bus;
    struct stats stats;
    struct file_tracker ft;
    struct yara_scanner *ys;
    struct detect_ctx *d;
    /* the last fileinfo */
    int n_files;
    enum files_scan_state scan;
    enum files_pe_sig pe_sig;
    char magic[48];
    uint8_t n_yara;
    char yara[FILES_YARA_MAX_MATCHES][64];
    /* alerts */
    int n_alerts;
    struct alert_event alerts[8];
};

static void on_event(void *user, const struct event *ev)
{
    struct h *h = user;
    if (ev->type == EVENT_FILEINFO) {
        const struct fileinfo_event *fi = ev->body;
        h->n_files++;
        h->scan = fi->scan;
        h->pe_sig = fi->pe_sig;
        snprintf(h->magic, sizeof(h->magic), "%s", fi->magic);
        h->n_yara = fi->n_yara;
        for (uint8_t i = 0; i < fi->n_yara; i++)
            snprintf(h->yara[i], sizeof(h->yara[i]), "%s", fi->yara[i].rule);
    } else if (ev->type == EVENT_ALERT) {
        if (h->n_alerts < 8)
            h->alerts[h->n_alerts] = *(const struct alert_event *)ev->body;
        h->n_alerts++;
    }
}

/* with_yara: the shipped rules; max_size and memcap: the tracker's limits (0 = defaults) */
static struct h *h_new(bool with_yara, uint64_t max_size, uint64_t memcap)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    struct files_cfg fc;
    files_cfg_defaults(&fc);
    if (max_size)
        fc.yara_max_size = max_size;
    if (memcap)
        fc.memcap = memcap;
    files_init(&h->ft, &fc);
    h->ft.stats = &h->stats;
    char err[512];
    if (with_yara) {
        h->ys = yara_scanner_new("rules/yara", 2, err, sizeof(err));
        if (!h->ys)
            fail_msg("rules/yara: %s", err);
        files_set_scanner(&h->ft, h->ys);
    }
    h->al.bus = &h->bus;
    h->al.stats = &h->stats;
    h->ctx.al = &h->al;
    h->ctx.flow = &h->flow;
    uint8_t c[4] = {10, 1, 1, 5}, s[4] = {10, 1, 1, 30};
    ip_addr_set4(&h->flow.client, c);
    ip_addr_set4(&h->flow.server, s);
    h->flow.client_port = 50000;
    h->flow.server_port = 445;
    h->flow.ipproto = 6;
    h->flow.flow_id = 42;
    struct detect_cfg dc;
    detect_cfg_defaults(&dc);
    dc.rules_dir[0] = '\0';
    h->d = detect_new(&dc, &h->bus, err, sizeof(err));
    assert_non_null(h->d);
    assert_int_equal(event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_FILEINFO) | EVENT_MASK(EVENT_ALERT), on_event, h),
                     0);
    return h;
}

static void h_free(struct h *h)
{
    assert_int_equal(h->ft.open, 0);
    assert_int_equal(h->ft.mc.used, 0); /* every scan copy returned */
    detect_free(h->d);
    yara_scanner_free(h->ys);
    free(h);
}

/* Sends p[0, n) as one file in chunks of `chunk` bytes (a gap after gap_at bytes if gap_at). */
static void send_file(struct h *h, const uint8_t *p, size_t n, size_t chunk, size_t gap_at)
{
    struct file_track *f = files_open(&h->ft, "smb", "CT_0001.dcm", "\\\\PACS\\IMAGES", 0);
    assert_non_null(f);
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        if (gap_at && off >= gap_at) {
            files_gap(&h->ft, f);
            break;
        }
        files_data(&h->ft, f, off, p + off, k);
    }
    h->ctx.ts_us += 1000000;
    files_close(&h->ft, f, &h->ctx);
}

static void wr_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr_le32(uint8_t *p, uint32_t v)
{
    wr_le16(p, (uint16_t)v);
    wr_le16(p + 2, (uint16_t)(v >> 16));
}

#define E_LFANEW 0x400 /* far past the tracker's first bytes (FILES_HEAD_MAX) */

/* A DICOM Part 10 file whose preamble is an executable header: kind 'P' PE, 'E' ELF, 'Z' zero preamble,
 * 'B' MZ with e_lfanew pointing at something that is not a PE header. */
static uint8_t *polyglot(char kind, size_t n)
{
    uint8_t *p = calloc(1, n);
    assert_non_null(p);
    if (kind == 'P' || kind == 'B') {
        p[0] = 'M';
        p[1] = 'Z';
        wr_le32(p + 0x3c, E_LFANEW);
        if (kind == 'P') {
            memcpy(p + E_LFANEW, "PE\0\0", 4);
            wr_le16(p + E_LFANEW + 4, 0x014c);
        } else {
            memcpy(p + E_LFANEW, "NOPE", 4);
        }
    } else if (kind == 'E') {
        memcpy(p,
               "\x7f"
               "ELF\x02\x01\x01",
               7);
    }
    memcpy(p + 128, "DICM", 4);
    /* a file meta group after it: (0002,0010) UI transfer syntax, explicit VR LE */
    memcpy(p + 132,
           "\x02\x00\x10\x00UI\x14\x00"
           "1.2.840.10008.1.2.1\0",
           28);
    return p;
}

static void test_pe_dicom(void **state)
{
    (void)state;
    struct h *h = h_new(true, 0, 0);
    uint8_t *p = polyglot('P', 8192);
    send_file(h, p, 8192, 100, 0); /* the PE header arrives in two chunks, far past the first bytes */
    assert_int_equal(h->n_files, 1);
    assert_int_equal(h->scan, FILES_SCAN_DONE);
    assert_int_equal(h->pe_sig, FILES_PE_VALID);
    assert_string_equal(h->magic, "PE/DICOM polyglot");
    assert_int_equal(h->n_yara, 1);
    assert_string_equal(h->yara[0], "MEDSENTRY_PE_DICOM_Polyglot");
    /* one alert: the built-in check, with the YARA rule that agrees in its evidence */
    assert_int_equal(h->n_alerts, 1);
    assert_int_equal(h->alerts[0].sig->sid, SID_POLYGLOT_PE);
    assert_int_equal(h->alerts[0].severity, 1);
    assert_string_equal(h->alerts[0].yara_rule, "MEDSENTRY_PE_DICOM_Polyglot");
    assert_non_null(strstr(h->alerts[0].yara_tags, "polyglot"));
    assert_non_null(strstr(h->alerts[0].yara_meta, "medsentry_sid=9300110"));
    assert_string_equal(h->alerts[0].filename, "CT_0001.dcm");
    assert_int_equal(h->stats.files_yara_scanned, 1);
    assert_int_equal(h->stats.files_yara_matches, 1);
    free(p);
    h_free(h);
}

static void test_elf_dicom(void **state)
{
    (void)state;
    struct h *h = h_new(true, 0, 0);
    uint8_t *p = polyglot('E', 4096);
    send_file(h, p, 4096, 4096, 0);
    assert_int_equal(h->n_yara, 1);
    assert_string_equal(h->yara[0], "MEDSENTRY_ELF_MachO_DICOM_Polyglot");
    assert_int_equal(h->n_alerts, 1);
    assert_int_equal(h->alerts[0].sig->sid, SID_POLYGLOT_ELF);
    assert_string_equal(h->alerts[0].yara_rule, "MEDSENTRY_ELF_MachO_DICOM_Polyglot");
    free(p);
    h_free(h);
}

static void test_near_misses(void **state)
{
    (void)state;
    struct h *h = h_new(true, 0, 0);
    uint8_t *p = polyglot('Z', 4096); /* an ordinary DICOM file: zero preamble */
    send_file(h, p, 4096, 1000, 0);
    assert_int_equal(h->scan, FILES_SCAN_DONE);
    assert_int_equal(h->n_yara, 0);
    assert_int_equal(h->n_alerts, 0);
    free(p);
    /* MZ in the preamble but no PE header at e_lfanew: the YARA rule does not match; the built-in check
     * reports the odd preamble at severity 2 */
    p = polyglot('B', 4096);
    send_file(h, p, 4096, 1000, 0);
    assert_int_equal(h->pe_sig, FILES_PE_INVALID);
    assert_int_equal(h->n_yara, 0);
    assert_int_equal(h->n_alerts, 1);
    assert_int_equal(h->alerts[0].sig->sid, SID_DICOM_PREAMBLE);
    assert_int_equal(h->alerts[0].severity, 2);
    free(p);
    /* a plain PE (no DICM): a program, not a polyglot */
    p = polyglot('P', 4096);
    memcpy(p + 128, "\0\0\0\0", 4);
    send_file(h, p, 4096, 1000, 0);
    assert_string_equal(h->magic, "PE32 executable (x86)"); /* e_lfanew past the first bytes, still named */
    assert_int_equal(h->n_yara, 0);
    assert_int_equal(h->n_alerts, 1);
    free(p);
    h_free(h);
}

static void test_yara_off(void **state)
{
    (void)state;
    struct h *h = h_new(false, 0, 0);
    uint8_t *p = polyglot('P', 8192);
    send_file(h, p, 8192, 512, 0);
    assert_int_equal(h->scan, FILES_SCAN_OFF);
    assert_int_equal(h->n_alerts, 1); /* detection 11 without YARA */
    assert_int_equal(h->alerts[0].sig->sid, SID_POLYGLOT_PE);
    assert_string_equal(h->alerts[0].yara_rule, "");
    assert_int_equal(h->stats.files_yara_scanned, 0);
    free(p);
    h_free(h);
}

static void test_limits(void **state)
{
    (void)state;
    /* files.yara-max-size 4 KiB: an 8 KiB polyglot is not scanned (counted), the built-in check still alerts */
    struct h *h = h_new(true, 4096, 0);
    uint8_t *p = polyglot('P', 8192);
    send_file(h, p, 8192, 1000, 0);
    assert_int_equal(h->scan, FILES_SCAN_SKIPPED_SIZE);
    assert_int_equal(h->n_yara, 0);
    assert_int_equal(h->stats.files_yara_skipped_size, 1);
    assert_int_equal(h->n_alerts, 1);
    assert_string_equal(h->alerts[0].yara_rule, "");
    /* exactly the limit: scanned; one byte more: not */
    send_file(h, p, 4096, 1000, 0);
    assert_int_equal(h->scan, FILES_SCAN_DONE);
    assert_int_equal(h->n_yara, 1);
    send_file(h, p, 4097, 1000, 0);
    assert_int_equal(h->scan, FILES_SCAN_SKIPPED_SIZE);
    assert_int_equal(h->stats.files_yara_skipped_size, 2);
    /* a gap: the bytes are not the file's, no scan */
    send_file(h, p, 8192, 1000, 2000);
    assert_int_equal(h->scan, FILES_SCAN_SKIPPED_PARTIAL);
    assert_int_equal(h->stats.files_yara_skipped_partial, 1);
    h_free(h);
    /* the defaults: a file just under files.yara-max-size (8 MiB) fits files.memcap (16 MiB) and is scanned */
    h = h_new(true, 0, 0);
    uint8_t *big = polyglot('P', (8u << 20) - 100);
    send_file(h, big, (8u << 20) - 100, 65536, 0);
    assert_int_equal(h->scan, FILES_SCAN_DONE);
    assert_int_equal(h->n_yara, 1);
    assert_true(h->ft.mc.peak <= h->ft.mc.cap);
    free(big);
    h_free(h);
    /* files.memcap with room for the track but not for the copy */
    h = h_new(true, 0, 16 * 1024);
    send_file(h, p, 8192, 1000, 0);
    assert_int_equal(h->scan, FILES_SCAN_SKIPPED_MEMCAP);
    assert_int_equal(h->stats.files_yara_skipped_memcap, 1);
    assert_true(h->ft.mc.hits > 0);
    free(p);
    h_free(h);
}

static void test_kwampirs_keys(void **state)
{
    (void)state;
    static const uint8_t string_key[16] = {0x6C, 0x35, 0xE3, 0x31, 0x1B, 0x23, 0xF9, 0xC9,
                                           0x65, 0xEB, 0xF3, 0x07, 0x93, 0x33, 0xF2, 0xA3};
    static const uint8_t resource_key[16] = {0x28, 0x99, 0xB6, 0x17, 0x63, 0x33, 0xEE, 0x22,
                                             0x97, 0x97, 0x55, 0xB5, 0x7A, 0xC4, 0xE1, 0xA4};
    struct h *h = h_new(true, 0, 0);
    uint8_t *p = calloc(1, 4096);
    assert_non_null(p);
    p[0] = 'M';
    p[1] = 'Z';
    memcpy(p + 1000, string_key, 16);
    send_file(h, p, 4096, 4096, 0); /* one key of the installer's two: no match */
    assert_int_equal(h->n_yara, 0);
    assert_int_equal(h->n_alerts, 0);
    memcpy(p + 3000, resource_key, 16);
    send_file(h, p, 4096, 4096, 0);
    assert_int_equal(h->n_yara, 1);
    assert_string_equal(h->yara[0], "MEDSENTRY_Kwampirs_Installer");
    assert_int_equal(h->n_alerts, 1);
    assert_int_equal(h->alerts[0].sig->sid, SID_YARA);
    assert_int_equal(h->alerts[0].severity, 1); /* the rule's meta severity */
    assert_non_null(strstr(h->alerts[0].yara_tags, "kwampirs"));
    p[0] = 'X'; /* not an MZ file: the FBI rule asks for one */
    send_file(h, p, 4096, 4096, 0);
    assert_int_equal(h->n_yara, 0);
    free(p);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_errors), cmocka_unit_test(test_shipped_rules), cmocka_unit_test(test_pe_dicom),
        cmocka_unit_test(test_elf_dicom),      cmocka_unit_test(test_near_misses),   cmocka_unit_test(test_yara_off),
        cmocka_unit_test(test_limits),         cmocka_unit_test(test_kwampirs_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
