/*
 * phi.c - keyed-hash pseudonyms for PHI (see phi.h), with OpenSSL libcrypto.
 */
#include "core/phi.h"
#include "core/str.h"
#include "core/ofile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

static const struct config_key privacy_keys[] = {
    CONFIG_KEY_BOOL(struct privacy_cfg, log_phi, "privacy.log-phi", "no",
                    "Patient data (names, ids, birth dates, accession numbers...) is written as a\nkeyed hash unless "
                    "this is yes (or --log-phi is given)."),
    CONFIG_KEY_STR(
        struct privacy_cfg, key_file, "privacy.key-file", "medsentry.key",
        "HMAC key for those hashes; created at first run if missing (mode 0600). Relative to default-log-dir.\n"
        "It must be a regular file (not a link) of mode 0600 or stricter holding 64 hex characters, or the "
        "sensor\nrefuses to start."),
};

const struct config_module privacy_config_module = {
    .name = "privacy",
    .keys = privacy_keys,
    .n = sizeof(privacy_keys) / sizeof(privacy_keys[0]),
    .struct_size = sizeof(struct privacy_cfg),
};

static const char hexdig[] = "0123456789abcdef";

/* The file holds exactly 64 hex characters and an optional newline: anything else is not a key we wrote, and a
 * key that is silently different would unlink every pseudonym from the earlier ones. */
static int key_read(uint8_t key[PHI_KEY_LEN], int fd, const char *path, char *err, size_t errlen)
{
    char text[2 * PHI_KEY_LEN + 2];
    size_t n = 0;
    for (;;) { /* one read normally; a short read is not an error */
        ssize_t k = read(fd, text + n, sizeof(text) - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "%s: cannot read the PHI key: %s", path, strerror(errno));
            return PHI_KEY_UNREADABLE;
        }
        if (k == 0 || (n += (size_t)k) == sizeof(text))
            break;
    }
    if (!(n == 2 * PHI_KEY_LEN || (n == 2 * PHI_KEY_LEN + 1 && text[2 * PHI_KEY_LEN] == '\n'))) {
        snprintf(err, errlen,
                 "%s: a PHI key file holds exactly %d hex characters and a newline (this one has %s%zu bytes)", path,
                 2 * PHI_KEY_LEN, n == sizeof(text) ? "more than " : "", n == sizeof(text) ? n - 1 : n);
        return PHI_KEY_INVALID;
    }
    for (int i = 0; i < PHI_KEY_LEN; i++) {
        int hi = str_hexval((unsigned char)text[2 * i]), lo = str_hexval((unsigned char)text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(err, errlen, "%s: PHI key file holds a character that is not hex (at byte %d)", path,
                     hi < 0 ? 2 * i + 1 : 2 * i + 2);
            return PHI_KEY_INVALID;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* An existing key file: not through a link, a regular file, readable by its owner only (whoever reads the key can
 * reverse every pseudonym of a guessable value: birth dates, patient ids). */
static int key_open_existing(uint8_t key[PHI_KEY_LEN], const char *path, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = 1;
            return 0;
        }
        if (errno == ELOOP) {
            snprintf(err, errlen, "%s: the PHI key is a symbolic link; refusing it (give the real path)", path);
            return PHI_KEY_INVALID;
        }
        snprintf(err, errlen, "%s: cannot open the PHI key: %s", path, strerror(errno));
        return PHI_KEY_UNREADABLE;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot examine the PHI key: %s", path, strerror(errno));
        rc = PHI_KEY_UNREADABLE;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: the PHI key is %s, not a regular file", path,
                 S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
        rc = PHI_KEY_INVALID;
    } else if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: the PHI key is accessible to group or others (mode %04o); chmod 600 it", path,
                 (unsigned)(st.st_mode & 07777));
        rc = PHI_KEY_INVALID;
    } else {
        rc = key_read(key, fd, path, err, errlen);
    }
    close(fd);
    return rc;
}

int phi_key_load(uint8_t key[PHI_KEY_LEN], const char *path, bool create, char *err, size_t errlen)
{
    int missing;
    int rc = key_open_existing(key, path, &missing, err, errlen);
    if (rc < 0 || !missing)
        return rc;
    if (!create)
        return PHI_KEY_ABSENT;
    if (RAND_bytes(key, PHI_KEY_LEN) != 1) {
        snprintf(err, errlen, "%s: no random bytes for a new PHI key", path);
        return PHI_KEY_UNREADABLE;
    }
    /* Written whole to a temporary file (created as any output: O_EXCL, no link followed, given to the run-as
     * user), then linked into place: a process starting at the same time either finds no key or a complete one,
     * never one being written. */
    char tmp[1200];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: path too long", path);
        return PHI_KEY_UNREADABLE;
    }
    unlink(tmp); /* our own leftover from a crashed run with the same pid; a link is removed, not followed */
    int fd = ofile_create(tmp, OFILE_MODE_KEY, err, errlen);
    if (fd < 0)
        return PHI_KEY_UNREADABLE;
    char text[2 * PHI_KEY_LEN + 1];
    for (int i = 0; i < PHI_KEY_LEN; i++) {
        text[2 * i] = hexdig[key[i] >> 4];
        text[2 * i + 1] = hexdig[key[i] & 15];
    }
    text[2 * PHI_KEY_LEN] = '\n';
    ssize_t w = write(fd, text, sizeof(text));
    int frc = fsync(fd);
    int crc = close(fd);
    if (w != (ssize_t)sizeof(text) || frc != 0 || crc != 0) {
        snprintf(err, errlen, "%s: cannot write the PHI key", path);
        unlink(tmp);
        return PHI_KEY_UNREADABLE;
    }
    int lrc = link(tmp, path);
    int link_errno = errno;
    unlink(tmp);
    if (lrc != 0 && link_errno == EEXIST) { /* another process created it meanwhile (or planted a link): check it as
                                              any other */
        rc = key_open_existing(key, path, &missing, err, errlen);
        if (rc < 0 || !missing)
            return rc;
    }
    if (lrc != 0) {
        snprintf(err, errlen, "%s: cannot create the PHI key: %s", path, strerror(link_errno));
        return PHI_KEY_UNREADABLE;
    }
    return 0;
}

/* libcrypto reads its configuration file (openssl.cnf) and loads its provider at the first use: do both now,
 * while files may still be opened, not at the first patient name or file hash under the sandbox. */
static int crypto_warm_up(const uint8_t key[PHI_KEY_LEN], char *err, size_t errlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
        !HMAC(EVP_sha256(), key, PHI_KEY_LEN, (const unsigned char *)"", 0, md, &mdlen) ||
        EVP_Digest("", 0, md, &mdlen, EVP_sha256(), NULL) != 1) {
        snprintf(err, errlen, "cannot set up HMAC-SHA256 and SHA-256 (libcrypto)");
        return PHI_KEY_UNREADABLE;
    }
    return 0;
}

int phi_key_load_in(uint8_t key[PHI_KEY_LEN], const char *logdir, const char *file, bool create, char *err,
                    size_t errlen)
{
    char path[1100];
    if (ofile_path(path, sizeof(path), logdir, file) < 0) {
        snprintf(err, errlen, "%s: path of the PHI key too long", file);
        return PHI_KEY_INVALID;
    }
    int rc = phi_key_load(key, path, create, err, errlen);
    return rc == 0 ? crypto_warm_up(key, err, errlen) : rc;
}

void phi_pseudonym(char *out, size_t outsz, const uint8_t *key, size_t keylen, const void *value, size_t n)
{
    if (outsz < PHI_PSEUDONYM_SIZE) {
        if (outsz > 0)
            out[0] = 0;
        return;
    }
    if (!key || keylen == 0) {
        snprintf(out, outsz, "%sredacted", PHI_PREFIX);
        return;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const unsigned char empty[1] = {0};
    if (!HMAC(EVP_sha256(), key, (int)keylen, n ? value : empty, n, mac, &maclen) || maclen < 16) {
        snprintf(out, outsz, "%sredacted", PHI_PREFIX);
        return;
    }
    memcpy(out, PHI_PREFIX, 4);
    for (int i = 0; i < 16; i++) {
        out[4 + 2 * i] = hexdig[mac[i] >> 4];
        out[4 + 2 * i + 1] = hexdig[mac[i] & 15];
    }
    out[4 + 32] = 0;
}
