/*
 * utf16.c - bounded UTF-16LE to UTF-8 conversion for names taken off the wire.
 */
#include "app/smb/utf16.h"

#include "core/bytes.h"

/* Appends the UTF-8 form of code point cp if it fits whole; returns false when it does not. */
static bool put_cp(char *out, size_t cap, size_t *o, uint32_t cp)
{
    uint8_t tmp[4];
    size_t k;
    if (cp < 0x80) {
        tmp[0] = (uint8_t)cp;
        k = 1;
    } else if (cp < 0x800) {
        tmp[0] = (uint8_t)(0xc0 | (cp >> 6));
        tmp[1] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (uint8_t)(0xe0 | (cp >> 12));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        tmp[2] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        tmp[0] = (uint8_t)(0xf0 | (cp >> 18));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        tmp[3] = (uint8_t)(0x80 | (cp & 0x3f));
        k = 4;
    }
    if (*o + k + 1 > cap)
        return false;
    for (size_t i = 0; i < k; i++)
        out[(*o)++] = (char)tmp[i];
    return true;
}

size_t utf16le_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap, bool *truncated)
{
    size_t o = 0;
    bool trunc = false;
    size_t units = n / 2;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = rd_le16(p + 2 * i);
        uint32_t cp;
        if (u == 0)
            break;
        if (u >= 0xd800 && u <= 0xdbff) {
            /* high surrogate: needs a low one next */
            if (i + 1 < units) {
                uint32_t lo = rd_le16(p + 2 * (i + 1));
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                    i++;
                } else {
                    cp = 0xfffd;
                }
            } else {
                cp = 0xfffd;
            }
        } else if (u >= 0xdc00 && u <= 0xdfff) {
            cp = 0xfffd; /* unpaired low surrogate */
        } else {
            cp = u;
        }
        if (!put_cp(out, cap, &o, cp)) {
            trunc = true;
            break;
        }
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
    if (truncated)
        *truncated = trunc;
    return o;
}

size_t ascii_copy(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n && p[i] != 0 && o + 1 < cap; i++)
        out[o++] = (char)p[i];
    out[o] = '\0';
    return o;
}
