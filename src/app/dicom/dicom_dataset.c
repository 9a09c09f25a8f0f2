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
    if (lim->log_phi)
        copy_text(dst, cap, v, n);
    else
        phi_pseudonym(dst, cap, lim->phi_key, lim->phi_key_len, v, n);
}

#define TAG(g, e) ((uint32_t)(g) << 16 | (uint32_t)(e))

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
        break;
    case TAG(0x0010, 0x0020):
        put_phi(info->patient_id, sizeof(info->patient_id), &info->has_patient_id, v, n, lim);
        break;
    case TAG(0x0010, 0x0030):
        put_phi(info->birth_date, sizeof(info->birth_date), &info->has_birth_date, v, n, lim);
        break;
    case TAG(0x0008, 0x0050):
        put_phi(info->accession, sizeof(info->accession), &info->has_accession, v, n, lim);
        break;
    default:
        break;
    }
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
    uint32_t max_depth = lim->max_depth ? lim->max_depth : DICOM_DEFAULT_MAX_DEPTH;
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
        if (depth == 0 && tag >= TAG(0x7FE0, 0x0010))
            return; /* pixel data and what follows it: not needed */
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
