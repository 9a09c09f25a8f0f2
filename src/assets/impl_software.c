/*
 * impl_software.c - which DICOM software an A-ASSOCIATE announces.
 *
 * The Implementation Class UID (PS3.7 D.3.3.2) lives under the root of the
 * organisation that built the software; the Implementation Version Name is
 * free text that toolkits fill with a recognisable prefix.  Roots below are
 * the organisations' registered UID roots as the toolkits use them.
 */
#include <string.h>

#include "assets/assets.h"

static const struct {
    const char *root; /* implementation class UID prefix (dot-terminated match) */
    const char *software;
} uid_roots[] = {
    {"1.2.276.0.7230010.3", "DCMTK"},             /* OFFIS e.V. - dcmtk's DIMSE (also Orthanc, which embeds it) */
    {"1.2.826.0.1.3680043.9.3811", "pynetdicom"}, /* pynetdicom's own root */
    {"1.2.826.0.1.3680043.8.498", "pydicom"},     /* pydicom generate_uid() root */
    {"1.2.40.0.13.1", "dcm4che"},                 /* dcm4che.org */
    {"1.3.6.1.4.1.30071.8", "fo-dicom"},          /* fo-dicom */
    {"1.3.6.1.4.1.25403", "ClearCanvas"},
    {"1.2.840.113619", "GE Healthcare"}, /* GE Medical Systems */
    {"1.3.12.2.1107.5", "Siemens Healthineers"},
    {"1.3.46.670589", "Philips"},
    {"1.2.392.200036.9116", "Canon (Toshiba) Medical"},
    {"1.2.392.200036.9125", "Fujifilm"},
    {"1.2.124.113532", "Agfa"},
};

static const struct {
    const char *prefix; /* implementation version name prefix */
    const char *software;
} version_prefixes[] = {
    {"OFFIS_DCMTK", "DCMTK"}, {"PYNETDICOM", "pynetdicom"}, {"dcm4che", "dcm4che"}, {"DCM4CHE", "dcm4che"},
    {"fo-dicom", "fo-dicom"}, {"ORTHANC", "Orthanc"},       {"Orthanc", "Orthanc"},
};

static bool root_match(const char *uid, const char *root)
{
    size_t n = strlen(root);
    return strncmp(uid, root, n) == 0 && (uid[n] == 0 || uid[n] == '.');
}

const char *asset_impl_software(const char *impl_class_uid, const char *impl_version)
{
    if (impl_version && impl_version[0])
        for (size_t i = 0; i < sizeof(version_prefixes) / sizeof(version_prefixes[0]); i++)
            if (strncmp(impl_version, version_prefixes[i].prefix, strlen(version_prefixes[i].prefix)) == 0)
                return version_prefixes[i].software;
    if (impl_class_uid && impl_class_uid[0])
        for (size_t i = 0; i < sizeof(uid_roots) / sizeof(uid_roots[0]); i++)
            if (root_match(impl_class_uid, uid_roots[i].root))
                return uid_roots[i].software;
    return NULL;
}
