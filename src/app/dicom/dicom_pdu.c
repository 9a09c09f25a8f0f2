/*
 * dicom_pdu.c - DICOM upper layer PDUs (PS3.8 section 9.3): the association
 * control PDU bodies, their items and the user information sub-items.
 *
 * Every PDU starts with a 6-byte header (PS3.8 9.3.1):
 *
 *   0        1          2                               6
 *   +--------+----------+-------------------------------+----------
 *   | type   | reserved | length (uint32 big endian)    | body ...
 *   +--------+----------+-------------------------------+----------
 *
 * A-ASSOCIATE-RQ (0x01) and -AC (0x02) bodies (PS3.8 9.3.2, 9.3.3), offsets
 * from the start of the body:
 *
 *   0  protocol version (uint16, bit 0 = version 1)
 *   2  reserved (2)
 *   4  called AE title (16, ISO 646, space padded)
 *  20  calling AE title (16)
 *  36  reserved (32)
 *  68  variable items: type(1) reserved(1) length(uint16 BE) value
 *        0x10 application context name (UID)
 *        0x20 presentation context (RQ): id(1) reserved(3) then sub-items
 *               0x30 abstract syntax (UID), 0x40 transfer syntax (UID) x n
 *        0x21 presentation context (AC): id(1) reserved(1) result(1) reserved(1) then
 *               0x40 transfer syntax (UID)
 *        0x50 user information: sub-items (PS3.8 Annex D, PS3.7 Annex D.3.3)
 *               0x51 maximum length (uint32)          0x52 implementation class UID
 *               0x53 async ops window (uint16 x2)     0x54 SCP/SCU role selection
 *               0x55 implementation version name      0x56 SOP class extended negotiation
 *               0x57 SOP class common ext. negotiation 0x58 user identity (RQ)
 *               0x59 user identity (AC)
 *
 * An item whose length runs past its container is reported and ends the walk of
 * that container; nothing is read outside the PDU body.  The reject, release
 * and abort bodies are fixed 4-byte layouts, decoded in dicom_assoc.c.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/bytes.h"

void dicom_ae_copy(char *dst, const uint8_t *src, size_t n)
{
    size_t a = 0, b = n;
    if (n > DICOM_AE_MAX)
        b = n = DICOM_AE_MAX;
    while (a < b && (src[a] == ' ' || src[a] == 0))
        a++;
    while (b > a && (src[b - 1] == ' ' || src[b - 1] == 0))
        b--;
    memcpy(dst, src + a, b - a);
    dst[b - a] = 0;
}

/* A 16-byte AE title field with a control character, a byte above 0x7E or a backslash between its padding. */
static bool ae_bad_chars(const uint8_t *f)
{
    size_t a = 0, b = 16;
    while (a < b && (f[a] == ' ' || f[a] == 0))
        a++;
    while (b > a && (f[b - 1] == ' ' || f[b - 1] == 0))
        b--;
    for (size_t i = a; i < b; i++)
        if (f[i] < 0x20 || f[i] > 0x7e || f[i] == '\\')
            return true;
    return false;
}

void dicom_uid_copy(char *dst, const uint8_t *src, size_t n)
{
    while (n > 0 && (src[n - 1] == 0 || src[n - 1] == ' '))
        n--;
    if (n > DICOM_UID_MAX)
        n = DICOM_UID_MAX;
    /* A NUL inside would cut the string short silently; keep the bytes before it. */
    const void *nul = memchr(src, 0, n);
    if (nul)
        n = (size_t)((const uint8_t *)nul - src);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    while (n > 0 && (src[n - 1] == 0 || src[n - 1] == ' '))
        n--;
    if (n > cap - 1)
        n = cap - 1;
    const void *nul = memchr(src, 0, n);
    if (nul)
        n = (size_t)((const uint8_t *)nul - src);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void set_anomaly(struct dicom_pdu_result *res, const char *event, const char *detail)
{
    if (!res->anomaly) {
        res->anomaly = event;
        res->detail = detail;
    }
}

#define ASSOC_FIXED_LEN 68

size_t dicom_count_pctx(const uint8_t *body, size_t len)
{
    size_t n = 0;
    if (len < ASSOC_FIXED_LEN)
        return 0;
    struct br b = br_init(body + ASSOC_FIXED_LEN, len - ASSOC_FIXED_LEN);
    while (br_left(&b) >= 4) {
        uint8_t type = br_u8(&b);
        br_skip(&b, 1);
        uint16_t ilen = br_be16(&b);
        if (ilen > br_left(&b))
            break;
        if (type == 0x20 || type == 0x21)
            n++;
        br_skip(&b, ilen);
    }
    return n;
}

struct dicom_pctx *dicom_find_pctx(struct dicom_assoc *a, uint8_t id)
{
    for (uint16_t i = 0; i < a->n_pctx; i++)
        if (a->pctx[i].id == id)
            return &a->pctx[i];
    return NULL;
}

const struct dicom_pctx *dicom_find_pctx_const(const struct dicom_assoc *a, uint8_t id)
{
    for (uint16_t i = 0; i < a->n_pctx; i++)
        if (a->pctx[i].id == id)
            return &a->pctx[i];
    return NULL;
}

static struct dicom_pctx *pctx_slot(struct dicom_assoc *a, uint8_t id)
{
    struct dicom_pctx *p = dicom_find_pctx(a, id);
    if (p)
        return p;
    if (!a->pctx || a->n_pctx >= a->pctx_cap)
        return NULL;
    p = &a->pctx[a->n_pctx++];
    memset(p, 0, sizeof(*p));
    p->id = id;
    return p;
}

/* 0x20: presentation context in an A-ASSOCIATE-RQ (PS3.8 9.3.2.2). */
static void parse_pctx_rq(struct dicom_assoc *a, const uint8_t *v, size_t n, struct dicom_pdu_result *res)
{
    struct br b = br_init(v, n);
    uint8_t id = br_u8(&b);
    br_skip(&b, 3);
    if (b.err) {
        set_anomaly(res, "pctx_too_short", "presentation context item shorter than 4 bytes");
        return;
    }
    if ((id & 1) == 0)
        set_anomaly(res, "pctx_even_id", "presentation context id is even (PS3.8 9.3.2.2: odd 1-255)");
    struct dicom_pctx *p = pctx_slot(a, id);
    if (p)
        p->proposed = true;
    int n_abs = 0;
    while (br_left(&b) >= 4) {
        uint8_t type = br_u8(&b);
        br_skip(&b, 1);
        uint16_t ilen = br_be16(&b);
        if ((type == 0x30 || type == 0x40) && ilen > a->rq_uid_item_max)
            a->rq_uid_item_max = ilen;
        const uint8_t *sv = br_take(&b, ilen);
        if (!sv) {
            set_anomaly(res, "item_overrun", "sub-item length runs past its presentation context item");
            return;
        }
        if (type == 0x30) {
            n_abs++;
            if (p && n_abs == 1)
                dicom_uid_copy(p->abstract, sv, ilen);
        } else if (type == 0x40) {
            if (p) {
                if (p->n_ts < DICOM_MAX_TS_PER_PCTX)
                    dicom_uid_copy(p->ts[p->n_ts++], sv, ilen);
                if (p->n_ts_total < UINT16_MAX)
                    p->n_ts_total++;
            }
        } else {
            set_anomaly(res, "unknown_sub_item", "unknown sub-item type in a presentation context");
        }
    }
    if (br_left(&b) != 0)
        set_anomaly(res, "item_trailing_bytes", "bytes left over at the end of a presentation context item");
    if (n_abs != 1)
        set_anomaly(res, "pctx_abstract_syntax_count", "presentation context without exactly one abstract syntax");
}

/* 0x21: presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
static void parse_pctx_ac(struct dicom_assoc *a, const uint8_t *v, size_t n, struct dicom_pdu_result *res)
{
    struct br b = br_init(v, n);
    uint8_t id = br_u8(&b);
    br_skip(&b, 1);
    uint8_t result = br_u8(&b);
    br_skip(&b, 1);
    if (b.err) {
        set_anomaly(res, "pctx_too_short", "presentation context item shorter than 4 bytes");
        return;
    }
    struct dicom_pctx *p = pctx_slot(a, id);
    if (p) {
        p->answered = true;
        p->result = result;
    }
    while (br_left(&b) >= 4) {
        uint8_t type = br_u8(&b);
        br_skip(&b, 1);
        uint16_t ilen = br_be16(&b);
        const uint8_t *sv = br_take(&b, ilen);
        if (!sv) {
            set_anomaly(res, "item_overrun", "sub-item length runs past its presentation context item");
            return;
        }
        if (type == 0x40) {
            if (p)
                dicom_uid_copy(p->accepted_ts, sv, ilen);
        } else {
            set_anomaly(res, "unknown_sub_item", "unknown sub-item type in a presentation context");
        }
    }
}

/* 0x50: user information (PS3.8 9.3.2.3 and Annex D; PS3.7 Annex D.3.3). */
static void parse_user_info(struct dicom_user_info *ui, const uint8_t *v, size_t n, struct dicom_pdu_result *res)
{
    struct br b = br_init(v, n);
    ui->present = true;
    while (br_left(&b) >= 4) {
        uint8_t type = br_u8(&b);
        br_skip(&b, 1);
        uint16_t ilen = br_be16(&b);
        const uint8_t *sv = br_take(&b, ilen);
        if (!sv) {
            set_anomaly(res, "item_overrun", "user information sub-item length runs past its item");
            return;
        }
        struct br s = br_init(sv, ilen);
        switch (type) {
        case 0x51: /* maximum length received (PS3.8 D.1) */
            ui->max_pdu = br_be32(&s);
            ui->has_max_pdu = !s.err;
            break;
        case 0x52: /* implementation class UID (PS3.7 D.3.3.2.1) */ dicom_uid_copy(ui->impl_class_uid, sv, ilen); break;
        case 0x53: /* asynchronous operations window (PS3.7 D.3.3.3) */
            ui->async_invoked = br_be16(&s);
            ui->async_performed = br_be16(&s);
            ui->has_async = !s.err;
            break;
        case 0x54: { /* SCP/SCU role selection (PS3.7 D.3.3.4) */
            uint16_t ulen = br_be16(&s);
            const uint8_t *uid = br_take(&s, ulen);
            uint8_t scu = br_u8(&s), scp = br_u8(&s);
            if (s.err) {
                set_anomaly(res, "role_selection_malformed", "SCP/SCU role selection sub-item too short");
                break;
            }
            if (ui->n_roles < DICOM_MAX_ROLES) {
                struct dicom_role *r = &ui->roles[ui->n_roles++];
                dicom_uid_copy(r->uid, uid, ulen);
                r->scu = scu;
                r->scp = scp;
            }
            break;
        }
        case 0x55: /* implementation version name (PS3.7 D.3.3.2.3) */
            if (ilen > DICOM_IMPL_VERSION_MAX)
                set_anomaly(res, "impl_version_too_long", "implementation version name longer than 16 bytes");
            copy_str(ui->impl_version, sizeof(ui->impl_version), sv, ilen);
            break;
        case 0x56: { /* SOP class extended negotiation (PS3.7 D.3.3.5) */
            uint16_t ulen = br_be16(&s);
            const uint8_t *uid = br_take(&s, ulen);
            if (s.err) {
                set_anomaly(res, "ext_neg_malformed", "SOP class extended negotiation sub-item too short");
                break;
            }
            if (ui->n_extneg < DICOM_MAX_EXTNEG)
                dicom_uid_copy(ui->extneg[ui->n_extneg++], uid, ulen);
            break;
        }
        case 0x57: /* SOP class common extended negotiation (PS3.7 D.3.3.6) */
            if (ui->n_common_extneg < UINT8_MAX)
                ui->n_common_extneg++;
            break;
        case 0x58: { /* user identity negotiation, RQ (PS3.7 D.3.3.7.1) */
            ui->has_user_identity = true;
            ui->user_identity_type = br_u8(&s);
            ui->user_identity_response_requested = br_u8(&s) != 0;
            uint16_t plen = br_be16(&s);
            const uint8_t *prim = br_take(&s, plen);
            uint16_t slen = br_be16(&s);
            br_skip(&s, slen);
            if (s.err) {
                set_anomaly(res, "user_identity_malformed", "user identity sub-item fields overrun the sub-item");
                break;
            }
            ui->primary_len = plen;
            ui->secondary_len = slen;
            /* The primary field is a user name only for types 1 and 2; Kerberos/SAML/JWT are tokens. */
            if (ui->user_identity_type == 1 || ui->user_identity_type == 2)
                copy_str(ui->username, sizeof(ui->username), prim, plen);
            ui->password_in_clear = ui->user_identity_type == 2 && slen > 0;
            break;
        }
        case 0x59: { /* user identity negotiation, AC (PS3.7 D.3.3.7.2) */
            ui->has_user_identity = true;
            uint16_t rlen = br_be16(&s);
            br_skip(&s, rlen);
            if (s.err)
                set_anomaly(res, "user_identity_malformed", "user identity response overruns the sub-item");
            else
                ui->server_response_len = rlen;
            break;
        }
        default: set_anomaly(res, "unknown_sub_item", "unknown user information sub-item type"); break;
        }
    }
    if (br_left(&b) != 0)
        set_anomaly(res, "item_trailing_bytes", "bytes left over at the end of the user information item");
}

void dicom_parse_assoc(struct dicom_assoc *a, bool is_ac, const uint8_t *body, size_t len, struct dicom_pdu_result *res)
{
    struct br b = br_init(body, len);
    uint16_t version = br_be16(&b);
    br_skip(&b, 2);
    const uint8_t *called = br_take(&b, 16);
    const uint8_t *calling = br_take(&b, 16);
    br_skip(&b, 32);
    if (b.err) {
        set_anomaly(res, "assoc_too_short", "A-ASSOCIATE PDU shorter than its 68-byte fixed part");
        return;
    }
    if ((version & 1) == 0)
        set_anomaly(res, "protocol_version", "protocol version bit 0 not set (PS3.8 9.3.2)");
    if (is_ac) {
        dicom_ae_copy(a->ac_called_ae, called, 16);
        dicom_ae_copy(a->ac_calling_ae, calling, 16);
    } else {
        a->protocol_version = version;
        dicom_ae_copy(a->called_ae, called, 16);
        dicom_ae_copy(a->calling_ae, calling, 16);
        a->rq_ae_bad_chars = ae_bad_chars(called) || ae_bad_chars(calling);
    }
    struct dicom_user_info *ui = is_ac ? &a->ui_ac : &a->ui_rq;
    int n_appctx = 0, n_ui = 0;
    while (br_left(&b) > 0) {
        if (br_left(&b) < 4) {
            set_anomaly(res, "item_truncated", "fewer than 4 bytes left for an item header");
            break;
        }
        uint8_t type = br_u8(&b);
        br_skip(&b, 1);
        uint16_t ilen = br_be16(&b);
        if (!is_ac && type == 0x10 && ilen > a->rq_uid_item_max)
            a->rq_uid_item_max = ilen; /* counted even when the PDU ends before the item does */
        const uint8_t *v = br_take(&b, ilen);
        if (!v) {
            set_anomaly(res, "item_overrun", "item length runs past the end of the PDU");
            break;
        }
        switch (type) {
        case 0x10:
            if (n_appctx++ == 0)
                dicom_uid_copy(is_ac ? a->ac_app_context : a->app_context, v, ilen);
            break;
        case 0x20:
            if (is_ac) {
                set_anomaly(res, "unexpected_item", "RQ presentation context item (0x20) in an A-ASSOCIATE-AC");
                break;
            }
            if (a->n_pctx_rq < UINT16_MAX)
                a->n_pctx_rq++;
            parse_pctx_rq(a, v, ilen, res);
            break;
        case 0x21:
            if (!is_ac) {
                set_anomaly(res, "unexpected_item", "AC presentation context item (0x21) in an A-ASSOCIATE-RQ");
                break;
            }
            if (a->n_pctx_ac < UINT16_MAX)
                a->n_pctx_ac++;
            parse_pctx_ac(a, v, ilen, res);
            break;
        case 0x50:
            if (n_ui++ == 0)
                parse_user_info(ui, v, ilen, res);
            else
                set_anomaly(res, "duplicate_item", "more than one user information item");
            break;
        default: set_anomaly(res, "unknown_item", "unknown item type in an A-ASSOCIATE PDU"); break;
        }
    }
    if (n_appctx != 1)
        set_anomaly(res, "app_context_count", "A-ASSOCIATE PDU without exactly one application context item");
}

/* ---- names ---------------------------------------------------------------------------------- */

const char *dicom_pdu_type_name(uint8_t type)
{
    static const char *const names[] = {
        [DICOM_PDU_ASSOC_RQ] = "A-ASSOCIATE-RQ", [DICOM_PDU_ASSOC_AC] = "A-ASSOCIATE-AC",
        [DICOM_PDU_ASSOC_RJ] = "A-ASSOCIATE-RJ", [DICOM_PDU_P_DATA] = "P-DATA-TF",
        [DICOM_PDU_RELEASE_RQ] = "A-RELEASE-RQ", [DICOM_PDU_RELEASE_RP] = "A-RELEASE-RP",
        [DICOM_PDU_ABORT] = "A-ABORT",
    };
    return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

/* PS3.8 Table 9-18. */
const char *dicom_pctx_result_name(uint8_t result)
{
    switch (result) {
    case 0: return "acceptance";
    case 1: return "user-rejection";
    case 2: return "no-reason (provider rejection)";
    case 3: return "abstract-syntax-not-supported (provider rejection)";
    case 4: return "transfer-syntaxes-not-supported (provider rejection)";
    default: return "unknown";
    }
}

/* PS3.8 Table 9-21. */
const char *dicom_rj_result_name(uint8_t result)
{
    switch (result) {
    case 1: return "rejected-permanent";
    case 2: return "rejected-transient";
    default: return "unknown";
    }
}

const char *dicom_rj_source_name(uint8_t source)
{
    switch (source) {
    case 1: return "DICOM UL service-user";
    case 2: return "DICOM UL service-provider (ACSE related function)";
    case 3: return "DICOM UL service-provider (Presentation related function)";
    default: return "unknown";
    }
}

const char *dicom_rj_reason_name(uint8_t source, uint8_t reason)
{
    if (source == 1) {
        switch (reason) {
        case 1: return "no-reason-given";
        case 2: return "application-context-name-not-supported";
        case 3: return "calling-AE-title-not-recognized";
        case 7: return "called-AE-title-not-recognized";
        default: return "reserved";
        }
    }
    if (source == 2) {
        switch (reason) {
        case 1: return "no-reason-given";
        case 2: return "protocol-version-not-supported";
        default: return "reserved";
        }
    }
    if (source == 3) {
        switch (reason) {
        case 1: return "temporary-congestion";
        case 2: return "local-limit-exceeded";
        default: return "reserved";
        }
    }
    return "unknown";
}

/* PS3.8 Table 9-26. */
const char *dicom_abort_source_name(uint8_t source)
{
    switch (source) {
    case 0: return "DICOM UL service-user";
    case 2: return "DICOM UL service-provider";
    default: return "reserved";
    }
}

const char *dicom_abort_reason_name(uint8_t source, uint8_t reason)
{
    if (source != 2)
        return "not-significant"; /* only meaningful when the provider aborts */
    switch (reason) {
    case 0: return "reason-not-specified";
    case 1: return "unrecognized-PDU";
    case 2: return "unexpected-PDU";
    case 4: return "unrecognized-PDU-parameter";
    case 5: return "unexpected-PDU-parameter";
    case 6: return "invalid-PDU-parameter-value";
    default: return "reserved";
    }
}

/* PS3.7 Table D.3-14. */
const char *dicom_user_identity_type_name(uint8_t type)
{
    switch (type) {
    case 1: return "username";
    case 2: return "username-and-passcode";
    case 3: return "kerberos";
    case 4: return "saml";
    case 5: return "jwt";
    default: return "unknown";
    }
}
