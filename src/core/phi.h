/*
 * phi.h - pseudonymisation of protected health information (PHI).
 *
 * Patient names, ids, birth dates, accession numbers and the like never leave
 * the sensor in clear by default: they are replaced by a keyed hash,
 * "phi:" + the first 16 bytes of HMAC-SHA256(key, value) in lowercase hex.
 * The same value gives the same pseudonym under one key, so events can be
 * correlated (the same patient id in a query and a store) without the value.
 * The key is 32 random bytes kept as 64 hex characters in a file (config
 * privacy.key-file), created with mode 0600 at first run if absent.
 */
#ifndef MEDSENTRY_CORE_PHI_H
#define MEDSENTRY_CORE_PHI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

#define PHI_KEY_LEN 32
#define PHI_PREFIX  "phi:"
/* "phi:" + 32 hex characters + NUL */
#define PHI_PSEUDONYM_SIZE (4 + 32 + 1)

/* What phi_key_load returns besides 0. */
#define PHI_KEY_UNREADABLE (-1) /* cannot open, read or create it: a runtime failure (exit 1) */
#define PHI_KEY_INVALID    (-2) /* a link, not a regular file, group/world-accessible, not 64 hex digits (exit 2) */
#define PHI_KEY_ABSENT     (-3) /* no such file and create was false (medsentry -T) */

/* Read the key from path (never through a symbolic link; the file must be a regular file of mode 0600 or
 * stricter holding 64 hex characters and an optional newline), or, if the file does not exist and create is true,
 * make one with fresh random bytes (core/ofile.h: O_EXCL, mode 0600).  0 on success; else one of the codes above
 * with one sentence in err. */
int phi_key_load(uint8_t key[PHI_KEY_LEN], const char *path, bool create, char *err, size_t errlen);

/* phi_key_load on file, taken relative to logdir unless it is absolute. */
int phi_key_load_in(uint8_t key[PHI_KEY_LEN], const char *logdir, const char *file, bool create, char *err,
                    size_t errlen);

/* Pseudonym of n bytes of value into out (at least PHI_PSEUDONYM_SIZE bytes).  Without a key
 * (key NULL) writes "phi:redacted". */
void phi_pseudonym(char *out, size_t outsz, const uint8_t *key, size_t keylen, const void *value, size_t n);

/* privacy.*: the table is in phi.c. */
struct privacy_cfg {
    bool log_phi;       /* privacy.log-phi: PHI in clear instead of keyed hashes */
    char key_file[512]; /* privacy.key-file: relative to the log directory unless absolute */
};
extern const struct config_module privacy_config_module;

#endif
