/*
 * utf16.h - UTF-16LE (as SMB2, NTLMSSP and NDR carry names) to UTF-8, bounded.
 *
 * Names on the wire are attacker-controlled: odd lengths, unpaired surrogates
 * and embedded NULs all occur.  The conversion never writes past `cap`
 * (including the terminating NUL), replaces every invalid unit with U+FFFD and
 * stops at the first NUL unit (NDR strings include their terminator).
 */
#ifndef MEDSENTRY_APP_SMB_UTF16_H
#define MEDSENTRY_APP_SMB_UTF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Converts n bytes of UTF-16LE at p into out (cap >= 1).  Returns the UTF-8
 * length written (without the NUL); *truncated (if not NULL) is set when out was too small. */
size_t utf16le_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap, bool *truncated);

/* Copies n bytes of an 8-bit (OEM/ASCII) string, stopping at NUL; bytes >= 0x80 pass through
 * (the JSON writer escapes invalid UTF-8).  Returns the length written. */
size_t ascii_copy(const uint8_t *p, size_t n, char *out, size_t cap);

#endif
