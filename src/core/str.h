/*
 * str.h - bounded copies of strings that are already UTF-8 (decoded names, hints), and hex digits.
 */
#ifndef MEDSENTRY_CORE_STR_H
#define MEDSENTRY_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Copies s into out (cap >= 1 bytes, always NUL-terminated), cut at a UTF-8 character boundary so that no
 * sequence is split.  Returns true if s did not fit. */
static inline bool str_copy_utf8(char *out, size_t cap, const char *s)
{
    size_t l = strlen(s);
    bool cut = l >= cap;
    if (cut) {
        l = cap - 1;
        while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
            l--;
    }
    memcpy(out, s, l);
    out[l] = '\0';
    return cut;
}

/* The value of one hex digit (either case), or -1. */
static inline int str_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
