/*
 * phi.c - keyed-hash pseudonyms for PHI (see phi.h), with OpenSSL libcrypto.
 */
#include "core/phi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static const struct config_key privacy_keys[] = {
    CONFIG_KEY_BOOL(struct privacy_cfg, log_phi, "privacy.log-phi", "no",
                    "Patient data (names, ids, birth dates, accession numbers...) is written as a\nkeyed hash unless "
                    "this is yes (or --log-phi is given)."),
    CONFIG_KEY_STR(struct privacy_cfg, key_file, "privacy.key-file", "medsentry.key",
                   "HMAC key for those hashes; created at first run if missing. Relative to default-log-dir."),
};

const struct config_module privacy_config_module = {
    .name = "privacy",
    .keys = privacy_keys,
    .n = sizeof(privacy_keys) / sizeof(privacy_keys[0]),
    .struct_size = sizeof(struct privacy_cfg),
};

static const char hexdig[] = "0123456789abcdef";

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int key_read(uint8_t key[PHI_KEY_LEN], int fd, const char *path, char *err, size_t errlen)
{
    char text[2 * PHI_KEY_LEN + 8];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n < 0) {
        snprintf(err, errlen, "%s: cannot read the PHI key: %s", path, strerror(errno));
        return -1;
    }
    if (n < 2 * PHI_KEY_LEN) {
        snprintf(err, errlen, "%s: PHI key file must hold %d hex characters", path, 2 * PHI_KEY_LEN);
        return -1;
    }
    for (int i = 0; i < PHI_KEY_LEN; i++) {
        int hi = hexval((unsigned char)text[2 * i]), lo = hexval((unsigned char)text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(err, errlen, "%s: PHI key file holds a character that is not hex", path);
            return -1;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int phi_key_load(uint8_t key[PHI_KEY_LEN], const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        int rc = key_read(key, fd, path, err, errlen);
        close(fd);
        return rc;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot open the PHI key: %s", path, strerror(errno));
        return -1;
    }
    if (RAND_bytes(key, PHI_KEY_LEN) != 1) {
        snprintf(err, errlen, "%s: no random bytes for a new PHI key", path);
        return -1;
    }
    /* Written whole to a temporary file, then linked into place: a process starting at the same time either
     * finds no key or a complete one, never one being written. */
    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create the PHI key: %s", path, strerror(errno));
        return -1;
    }
    char text[2 * PHI_KEY_LEN + 1];
    for (int i = 0; i < PHI_KEY_LEN; i++) {
        text[2 * i] = hexdig[key[i] >> 4];
        text[2 * i + 1] = hexdig[key[i] & 15];
    }
    text[2 * PHI_KEY_LEN] = '\n';
    ssize_t w = write(fd, text, sizeof(text));
    int rc = close(fd);
    if (w != (ssize_t)sizeof(text) || rc != 0) {
        snprintf(err, errlen, "%s: cannot write the PHI key", path);
        unlink(tmp);
        return -1;
    }
    rc = link(tmp, path);
    int link_errno = errno;
    unlink(tmp);
    if (rc != 0 && link_errno == EEXIST) { /* another process created it meanwhile: use theirs */
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            rc = key_read(key, fd, path, err, errlen);
            close(fd);
            return rc;
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot create the PHI key: %s", path, strerror(link_errno));
        return -1;
    }
    return 0;
}

int phi_key_load_in(uint8_t key[PHI_KEY_LEN], const char *logdir, const char *file, char *err, size_t errlen)
{
    char path[1100];
    if (file[0] == '/' || !logdir || !logdir[0])
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/%s", logdir, file);
    return phi_key_load(key, path, err, errlen);
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
