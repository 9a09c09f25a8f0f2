/*
 * dicom_dataset.c - a bounded walker over DICOM data sets (PS3.5 section 7):
 * the identifiers of C-FIND/C-MOVE/C-GET and the header of C-STORE objects.
 *
 * Data element encodings (PS3.5 7.1):
 *
 *   implicit VR:  tag(4) length(4) value
 *   explicit VR:  tag(4) VR(2) length(2) value                  most VRs
 *                 tag(4) VR(2) 0000 length(4) value             OB OD OF OL OV OW SQ SV UC UN UR UT UV
 *   item / delimiters (any syntax): (FFFE,E000) / (FFFE,E00D) / (FFFE,E0DD) length(4)
 *
 * A tag is group(2) element(2) in the byte order of the transfer syntax
 * (little endian except Explicit VR Big Endian).  A length of 0xFFFFFFFF is
 * "undefined": a sequence or item that ends at its delimiter (PS3.5 7.5).
 *
 * The walker is linear and never recurses: defined-length sequences and items
 * are skipped whole; an undefined-length sequence or item raises a nesting
 * counter that the delimiters lower, and nesting past lim->max_depth ends the
 * walk.  Only top-level (depth 0) attributes are picked.  The walk stops at
 * Pixel Data (7FE0,0010), at the end of the bytes it was given (the byte
 * budget: `truncated`), or at the first element that cannot be parsed
 * (`malformed`).  Deflated data sets are recognised and not walked.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/bytes.h"
#include "core/phi.h"

enum dicom_ts_kind dicom_ts_kind(const char *ts)
{
    if (!ts || !ts[0] || strcmp(ts, "1.2.840.10008.1.2") == 0)
        return DICOM_TS_IMPLICIT_LE;
    if (strcmp(ts, "1.2.840.10008.1.2.1") == 0)
        return DICOM_TS_EXPLICIT_LE;
    if (strcmp(ts, "1.2.840.10008.1.2.2") == 0)
        return DICOM_TS_EXPLICIT_BE;
    if (strcmp(ts, "1.2.840.10008.1.2.1.99") == 0 || strcmp(ts, "1.2.840.10008.1.2.4.95") == 0)
        return DICOM_TS_DEFLATED;
    return DICOM_TS_ENCAPSULATED;
}

/* VRs with a 4-byte length in explicit VR (PS3.5 Table 7.1-1). */
static bool vr_long(uint8_t a, uint8_t b)
{
    static const char *const longs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        if (longs[i][0] == a && longs[i][1] == b)
            return true;
    return false;
}

static bool vr_valid(uint8_t a, uint8_t b)
{
    return a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z';
}

static size_t trimmed_len(const uint8_t *v, size_t n)
{
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == 0))
        n--;
    return n;
}

static void copy_text(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    n = trimmed_len(v, n);
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

static void put_phi(char *dst, size_t cap, bool *has, const uint8_t *v, size_t n, const struct dicom_limits *lim)
{
    *has = true;
    n = trimmed_len(v, n);
    if (n == 0) {
        dst[0] = 0; /* an empty (universal matching) key hides nothing */
        return;
    }
    if (lim->log_phi) {
        copy_text(dst, cap, v, n);
        return;
    }
    struct dicom_phi_cache *c = lim->phi_cache;
    if (!c || n > DICOM_STR_MAX || cap < PHI_PSEUDONYM_SIZE) {
        phi_pseudonym(dst, cap, lim->phi_key, lim->phi_key_len, v, n);
        return;
    }
    for (unsigned i = 0; i < DICOM_PHI_CACHE; i++)
        if (c->e[i].len == n && memcmp(c->e[i].value, v, n) == 0) {
            memcpy(dst, c->e[i].pseudonym, PHI_PSEUDONYM_SIZE);
            return;
        }
    phi_pseudonym(dst, cap, lim->phi_key, lim->phi_key_len, v, n);
    unsigned slot = c->next++ % DICOM_PHI_CACHE;
    c->e[slot].len = (uint8_t)n;
    memcpy(c->e[slot].value, v, n);
    memcpy(c->e[slot].pseudonym, dst, PHI_PSEUDONYM_SIZE);
    c->e[slot].pseudonym[PHI_PSEUDONYM_SIZE - 1] = 0;
}

#define TAG(g, e) ((uint32_t)(g) << 16 | (uint32_t)(e))

/*
 * PHI beyond patient name, id, birth date and accession number: the identifying attributes of the patient,
 * the people and the place (PS3.15 Table E.1-1, Basic Application Level Confidentiality Profile, "X"/"Z"/"D"
 * actions) that a query identifier or a stored object's header may carry at the top level.  Patient's Sex
 * and Age are not identifying on their own and are not collected at all.  Values go through put_phi: a keyed
 * pseudonym by default, clear only with log-phi.
 */
static const struct {
    uint32_t tag;
    const char *name; /* EVE field */
} phi_attrs[] = {
    {TAG(0x0008, 0x0080), "institution_name"},
    {TAG(0x0008, 0x0081), "institution_address"},
    {TAG(0x0008, 0x0090), "referring_physician_name"},
    {TAG(0x0008, 0x1048), "physicians_of_record"},
    {TAG(0x0008, 0x1050), "performing_physician_name"},
    {TAG(0x0008, 0x1060), "reading_physician_name"},
    {TAG(0x0008, 0x1070), "operators_name"},
    {TAG(0x0010, 0x0032), "patient_birth_time"},
    {TAG(0x0010, 0x1000), "other_patient_ids"},
    {TAG(0x0010, 0x1001), "other_patient_names"},
    {TAG(0x0010, 0x1040), "patient_address"},
    {TAG(0x0010, 0x1060), "patient_mother_birth_name"},
    {TAG(0x0010, 0x2154), "patient_telephone_numbers"},
    {TAG(0x0020, 0x0010), "study_id"},
    {TAG(0x0032, 0x1032), "requesting_physician"},
    {TAG(0x0038, 0x0010), "admission_id"},
    {TAG(0x0040, 0x0006), "scheduled_performing_physician_name"},
};
#define N_PHI_ATTRS (sizeof(phi_attrs) / sizeof(phi_attrs[0]))
_Static_assert(N_PHI_ATTRS <= DICOM_MAX_PHI_EXTRA, "every PHI attribute has a slot");

const char *dicom_phi_attr_name(unsigned attr)
{
    return attr < N_PHI_ATTRS ? phi_attrs[attr].name : NULL;
}

uint32_t dicom_phi_attr_tag(unsigned attr)
{
    return attr < N_PHI_ATTRS ? phi_attrs[attr].tag : 0;
}

/* Index in phi_attrs[] of a tag, or -1: a switch on the groups that hold PHI, then a short scan. */
static int phi_attr_index(uint32_t tag)
{
    switch (tag >> 16) {
    case 0x0008:
    case 0x0010:
    case 0x0020:
    case 0x0032:
    case 0x0038:
    case 0x0040: break;
    default: return -1;
    }
    for (unsigned i = 0; i < N_PHI_ATTRS; i++)
        if (phi_attrs[i].tag == tag)
            return (int)i;
    return -1;
}

static void put_phi_extra(struct dicom_ds_info *info, int attr, const uint8_t *v, size_t n,
                          const struct dicom_limits *lim)
{
    for (unsigned i = 0; i < info->n_phi; i++)
        if (info->phi[i].attr == attr)
            return; /* a repeated attribute: the first one is kept */
    if (info->n_phi >= DICOM_MAX_PHI_EXTRA)
        return; /* never written rather than written in clear */
    struct dicom_phi_value *pv = &info->phi[info->n_phi++];
    bool has;
    pv->attr = (uint8_t)attr;
    put_phi(pv->value, sizeof(pv->value), &has, v, n, lim);
}

/* A matching key that matches many patients (PS3.4 C.2.2.2): empty (universal matching), only padding, or
 * with a wildcard '*' or '?'.  Seen before pseudonymisation, so detection can tell a sweep from a lookup. */
static bool key_is_wild(const uint8_t *v, size_t n)
{
    bool content = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '*' || v[i] == '?')
            return true;
        if (v[i] != ' ' && v[i] != '\0' && v[i] != '^')
            content = true;
    }
    return !content;
}

static void pick(struct dicom_ds_info *info, uint32_t tag, const uint8_t *v, size_t n, const struct dicom_limits *lim)
{
    if (info->n_keys < DICOM_MAX_QUERY_KEYS)
        info->keys[info->n_keys++] = tag;
    switch (tag) {
    case TAG(0x0008, 0x0052): copy_text(info->qr_level, sizeof(info->qr_level), v, n); break;
    case TAG(0x0008, 0x0060): copy_text(info->modality, sizeof(info->modality), v, n); break;
    case TAG(0x0008, 0x0061):
        if (!info->modality[0])
            copy_text(info->modality, sizeof(info->modality), v, n);
        break;
    case TAG(0x0008, 0x0016): dicom_uid_copy(info->sop_class, v, n); break;
    case TAG(0x0008, 0x0018): dicom_uid_copy(info->sop_instance, v, n); break;
    case TAG(0x0020, 0x000D): dicom_uid_copy(info->study_uid, v, n); break;
    case TAG(0x0020, 0x000E): dicom_uid_copy(info->series_uid, v, n); break;
    case TAG(0x0010, 0x0010):
        put_phi(info->patient_name, sizeof(info->patient_name), &info->has_patient_name, v, n, lim);
        info->patient_name_wild = key_is_wild(v, n);
        break;
    case TAG(0x0010, 0x0020):
        put_phi(info->patient_id, sizeof(info->patient_id), &info->has_patient_id, v, n, lim);
        info->patient_id_wild = key_is_wild(v, n);
        break;
    case TAG(0x0010, 0x0030):
        put_phi(info->birth_date, sizeof(info->birth_date), &info->has_birth_date, v, n, lim);
        break;
    case TAG(0x0008, 0x0050): put_phi(info->accession, sizeof(info->accession), &info->has_accession, v, n, lim); break;
    default: {
        int attr = phi_attr_index(tag);
        if (attr >= 0)
            put_phi_extra(info, attr, v, n, lim);
        break;
    }
    }
}

/* Foreign content at the start of a value (its first n bytes, maybe fewer than the value has): a PE (MZ, and
 * PE\0\0 at e_lfanew inside these bytes), an ELF image (\x7fELF, class 1 or 2), or a whole Part 10 file
 * ("DICM" after a 128-byte preamble).  Facts only: what they mean is for detection. */
static void markers(struct dicom_ds_info *info, uint32_t tag, const uint8_t *v, size_t n)
{
    if (!info->exe_marker && n >= 64 && v[0] == 'M' && v[1] == 'Z') {
        uint32_t lfanew = rd_le32(v + 0x3c);
        if (lfanew >= 64 && lfanew <= n - 4 && memcmp(v + lfanew, "PE\0\0", 4) == 0) {
            info->exe_marker = DICOM_MARKER_PE;
            info->exe_marker_tag = tag;
        }
    }
    if (!info->exe_marker && n >= 5 &&
        memcmp(v,
               "\x7f"
               "ELF",
               4) == 0 &&
        (v[4] == 1 || v[4] == 2)) {
        info->exe_marker = DICOM_MARKER_ELF;
        info->exe_marker_tag = tag;
    }
    if (!info->dicm_marker_tag && n >= 132 && memcmp(v + 128, "DICM", 4) == 0)
        info->dicm_marker_tag = tag;
}

void dicom_walk_dataset(struct dicom_ds_info *info, enum dicom_ts_kind ts, const uint8_t *p, size_t len,
                        uint64_t total_len, const struct dicom_limits *lim)
{
    info->total_len = total_len;
    if (ts == DICOM_TS_DEFLATED) {
        info->deflated = true;
        return;
    }
    info->encapsulated = ts == DICOM_TS_ENCAPSULATED;
    bool be = ts == DICOM_TS_EXPLICIT_BE;
    bool explicit_vr = ts != DICOM_TS_IMPLICIT_LE;
    uint32_t max_depth = lim->max_depth;
    bool cut = len < total_len; /* the bytes end before the data set does */
    info->walked = true;
    struct br b = br_init(p, len);
    uint32_t depth = 0;
    while (br_left(&b) > 0) {
        if (br_left(&b) < 8) {
            if (cut)
                info->truncated = true;
            else
                info->malformed = true;
            return;
        }
        uint16_t group = be ? br_be16(&b) : br_le16(&b);
        uint16_t elem = be ? br_be16(&b) : br_le16(&b);
        uint32_t tag = TAG(group, elem);
        uint32_t vlen;
        if (group == 0xFFFE) {
            vlen = be ? br_be32(&b) : br_le32(&b);
            if (elem == 0xE000) {
                if (vlen == 0xFFFFFFFFu) {
                    if (++depth > max_depth) {
                        info->malformed = true; /* nesting deeper than we follow */
                        return;
                    }
                    continue;
                }
            } else if (elem == 0xE00D || elem == 0xE0DD) {
                if (depth > 0)
                    depth--;
                continue;
            }
            /* a defined-length item (or a stray FFFE element): skip it whole */
        } else if (explicit_vr) {
            uint8_t v0 = br_u8(&b), v1 = br_u8(&b);
            if (!vr_valid(v0, v1)) {
                info->malformed = true;
                return;
            }
            if (vr_long(v0, v1)) {
                br_skip(&b, 2);
                if (br_left(&b) < 4) {
                    if (cut)
                        info->truncated = true;
                    else
                        info->malformed = true;
                    return;
                }
                vlen = be ? br_be32(&b) : br_le32(&b);
            } else {
                vlen = be ? br_be16(&b) : br_le16(&b);
            }
        } else {
            vlen = br_le32(&b);
        }
        if (depth == 0 && tag >= TAG(0x7FE0, 0x0010)) {
            if (tag == TAG(0x7FE0, 0x0010) && vlen != 0xFFFFFFFFu)
                markers(info, tag, br_ptr(&b), vlen < br_left(&b) ? vlen : br_left(&b));
            return; /* pixel data and what follows it: not needed */
        }
        if (vlen == 0xFFFFFFFFu) {
            if (++depth > max_depth) {
                info->malformed = true;
                return;
            }
            info->n_elements++;
            if (depth == 1 && info->n_keys < DICOM_MAX_QUERY_KEYS)
                info->keys[info->n_keys++] = tag; /* a sequence key (undefined length) */
            continue;
        }
        markers(info, tag, br_ptr(&b), vlen < br_left(&b) ? vlen : br_left(&b)); /* a cut value: its start */
        const uint8_t *v = br_take(&b, vlen);
        if (!v) {
            if (cut)
                info->truncated = true;
            else
                info->malformed = true;
            return;
        }
        info->n_elements++;
        if (depth == 0)
            pick(info, tag, v, vlen, lim);
    }
}
