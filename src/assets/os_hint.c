/*
 * os_hint.c - which operating system a host's SMB strings and NTLMSSP VERSION name.
 *
 * Two sources, both sent by the host itself:
 *   - SMB1 SESSION_SETUP_ANDX NativeOS / NativeLanMan [MS-CIFS 2.2.4.53]: free
 *     text.  Windows 2000 and XP acting as servers send their version only
 *     ("Windows 5.1", with "Windows 2000 LAN Manager"); XP as a client sends
 *     its internal product name ("Windows 2002 Service Pack 3 2600"); later
 *     Windows send the edition ("Windows 7 Professional 7601 Service Pack 1",
 *     "Windows Server 2019 Standard 17763").  Samba sends "Unix" / "Samba" as a
 *     client and, as a server, whatever "Windows x.y" it is configured to claim
 *     with its own name in NativeLanMan ("Samba 4.17.12-Debian"), so the LAN
 *     manager string decides.
 *   - the NTLMSSP VERSION structure [MS-NLMP 2.2.2.10]: ProductMajorVersion,
 *     ProductMinorVersion, ProductBuild and NTLMRevisionCurrent.  Windows
 *     fills in its real version with revision 15 (NTLMSSP_REVISION_W2K3);
 *     Samba sends 6.1 build 0 and Apple's SMB client 6.1 build 7600 with
 *     revision 0, so only revision 15 with a non-zero build is taken as
 *     Windows.
 *   - the srvsvc NetrServerGetInfo answer (SERVER_INFO_101/102 [MS-SRVS
 *     2.2.4.41]): platform 500 and version major.minor, with SV_TYPE_SERVER_UNIX
 *     (0x800) in the server type when it is Samba or another Unix server.
 *     Version only, so it ranks below the other two.
 * The major.minor -> product names are Microsoft's version numbers (one
 * number is shared by a client and a server release, so both are named).
 * Anything not recognised gives no hint; the raw strings stay in the record.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "assets/assets.h"
#include "core/str.h"

static const struct {
    uint8_t major, minor;
    const char *name;
} windows_versions[] = {
    {5, 0, "Windows 2000"},
    {5, 1, "Windows XP"},
    {5, 2, "Windows XP x64 / Server 2003"},
    {6, 0, "Windows Vista / Server 2008"},
    {6, 1, "Windows 7 / Server 2008 R2"},
    {6, 2, "Windows 8 / Server 2012"},
    {6, 3, "Windows 8.1 / Server 2012 R2"},
    {10, 0, "Windows 10"}, /* refined by build below */
};

static const char *windows_name(unsigned major, unsigned minor, unsigned build)
{
    if (major == 10 && minor == 0 && build) {
        /* Windows 10, 11 and Server 2016 and later all say 10.0; the build tells them apart. Servicing updates of
         * Windows 10 2004..22H2 all report 19041 in NTLMSSP, so only release builds are named. */
        if (build == 14393)
            return "Windows 10 / Server 2016";
        if (build == 17763)
            return "Windows 10 / Server 2019";
        if (build == 20348)
            return "Windows Server 2022";
        if (build == 26100)
            return "Windows 11 / Server 2025";
        if (build >= 22000)
            return "Windows 11";
        return "Windows 10";
    }
    for (size_t i = 0; i < sizeof(windows_versions) / sizeof(windows_versions[0]); i++)
        if (windows_versions[i].major == major && windows_versions[i].minor == minor)
            return windows_versions[i].name;
    return NULL;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool contains_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

/* "Windows <major>.<minor>" and nothing else: *major, *minor. */
static bool windows_version_only(const char *s, unsigned *major, unsigned *minor)
{
    if (!has_prefix(s, "Windows "))
        return false;
    s += 8;
    unsigned v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        if (!isdigit((unsigned char)*s))
            return false;
        for (int d = 0; isdigit((unsigned char)*s); d++, s++) {
            if (d >= 3)
                return false;
            v[k] = v[k] * 10 + (unsigned)(*s - '0');
        }
        if (k == 0 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *major = v[0];
    *minor = v[1];
    return true;
}

bool asset_os_from_native(const char *native_os, const char *native_lm, char *out, size_t cap)
{
    char buf[2 * ASSET_NATIVE_LEN + ASSET_OS_LEN]; /* cut to cap (at a character boundary) at the end */
    unsigned major, minor;
    const char *name;
    out[0] = '\0';
    if (!native_os || !native_os[0] || cap == 0)
        return false;
    if (native_lm && contains_nocase(native_lm, "samba")) {
        /* Samba: a Unix-like host whatever Windows version it claims in NativeOS */
        const char *base = has_prefix(native_os, "Windows") ? "Unix" : native_os;
        snprintf(buf, sizeof(buf), "%s (%s)", base, native_lm);
    } else if (windows_version_only(native_os, &major, &minor)) {
        if (!(name = windows_name(major, minor, 0)))
            return false;
        snprintf(buf, sizeof(buf), "%s", name);
    } else if (has_prefix(native_os, "Windows 2002")) {
        /* "Windows 2002" is Windows XP's internal product name */
        snprintf(buf, sizeof(buf), "Windows XP%s", native_os + 12);
    } else if (has_prefix(native_os, "Windows ") || has_prefix(native_os, "Mac OS X") ||
               has_prefix(native_os, "macOS") || strcmp(native_os, "Unix") == 0) {
        snprintf(buf, sizeof(buf), "%s", native_os);
    } else {
        return false;
    }
    (void)str_copy_utf8(out, cap, buf);
    return true;
}

bool asset_os_from_ntlm(uint8_t major, uint8_t minor, uint16_t build, uint8_t revision, char *out, size_t cap)
{
    if (cap == 0)
        return false;
    out[0] = '\0';
    if (revision != 15 || build == 0)
        return false;
    const char *name = windows_name(major, minor, build);
    if (!name)
        return false;
    char buf[ASSET_OS_LEN];
    snprintf(buf, sizeof(buf), "%s (build %u)", name, (unsigned)build);
    (void)str_copy_utf8(out, cap, buf);
    return true;
}

#define SRVSVC_PLATFORM_NT  500
#define SV_TYPE_SERVER_UNIX 0x00000800u

bool asset_os_from_srvsvc(uint32_t platform_id, uint32_t major, uint32_t minor, uint32_t server_type, char *out,
                          size_t cap)
{
    if (cap == 0)
        return false;
    out[0] = '\0';
    if (server_type & SV_TYPE_SERVER_UNIX) {
        (void)str_copy_utf8(out, cap, "Unix");
        return true;
    }
    if (platform_id != SRVSVC_PLATFORM_NT || major > 255 || minor > 255)
        return false;
    const char *name = windows_name(major, minor, 0);
    if (!name)
        return false;
    (void)str_copy_utf8(out, cap, name);
    return true;
}
