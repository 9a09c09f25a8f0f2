/*
 * dicom_uid.c - UID names from the DICOM registry (PS3.6 Annex A, Table A-1),
 * and the modality a storage SOP class implies (for the asset inventory).
 *
 * The table is generated data (dicom_uid_table.inc, from
 * data/dicom/uid_registry.tsv by scripts/gen_dicom_uid_table.py), sorted by
 * strcmp() order so that a lookup is a binary search.
 */
#include <string.h>

#include "app/dicom/dicom.h"

static const struct dicom_uid_entry uid_table[] = {
#include "app/dicom/dicom_uid_table.inc"
};
#define N_UIDS (sizeof(uid_table) / sizeof(uid_table[0]))

size_t dicom_uid_table_size(void)
{
    return N_UIDS;
}

const struct dicom_uid_entry *dicom_uid_lookup(const char *uid)
{
    if (!uid || !uid[0])
        return NULL;
    size_t lo = 0, hi = N_UIDS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(uid, uid_table[mid].uid);
        if (c == 0)
            return &uid_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *dicom_uid_name(const char *uid)
{
    const struct dicom_uid_entry *e = dicom_uid_lookup(uid);
    return e ? e->name : NULL;
}

/* Storage SOP class -> modality (PS3.3 C.7.3.1.1.1 defined terms), by registry keyword prefix.
 * Longest prefixes first where one is a prefix of another. */
static const struct {
    const char *prefix;
    const char *modality;
} keyword_modality[] = {
    {"EnhancedCTImageStorage", "CT"},
    {"CTImageStorage", "CT"},
    {"LegacyConvertedEnhancedCTImageStorage", "CT"},
    {"CTPerformedProcedureProtocolStorage", "CT"},
    {"EnhancedMRImageStorage", "MR"},
    {"EnhancedMRColorImageStorage", "MR"},
    {"MRImageStorage", "MR"},
    {"MRSpectroscopyStorage", "MR"},
    {"LegacyConvertedEnhancedMRImageStorage", "MR"},
    {"ComputedRadiographyImageStorage", "CR"},
    {"DigitalXRayImageStorage", "DX"},
    {"DigitalMammographyXRayImageStorage", "MG"},
    {"BreastTomosynthesisImageStorage", "MG"},
    {"BreastProjectionXRayImageStorage", "MG"},
    {"DigitalIntraOralXRayImageStorage", "IO"},
    {"UltrasoundMultiFrameImageStorage", "US"},
    {"UltrasoundImageStorage", "US"},
    {"EnhancedUSVolumeStorage", "US"},
    {"XRayAngiographicImageStorage", "XA"},
    {"EnhancedXAImageStorage", "XA"},
    {"XRay3DAngiographicImageStorage", "XA"},
    {"XRayRadiofluoroscopicImageStorage", "RF"},
    {"EnhancedXRFImageStorage", "RF"},
    {"NuclearMedicineImageStorage", "NM"},
    {"PositronEmissionTomographyImageStorage", "PT"},
    {"EnhancedPETImageStorage", "PT"},
    {"LegacyConvertedEnhancedPETImageStorage", "PT"},
    {"RTImageStorage", "RTIMAGE"},
    {"RTDoseStorage", "RTDOSE"},
    {"RTStructureSetStorage", "RTSTRUCT"},
    {"RTPlanStorage", "RTPLAN"},
    {"RTIonPlanStorage", "RTPLAN"},
    {"SecondaryCaptureImageStorage", "OT"},
    {"MultiFrameGrayscaleByteSecondaryCaptureImageStorage", "OT"},
    {"MultiFrameGrayscaleWordSecondaryCaptureImageStorage", "OT"},
    {"MultiFrameTrueColorSecondaryCaptureImageStorage", "OT"},
    {"MultiFrameSingleBitSecondaryCaptureImageStorage", "OT"},
    {"VLEndoscopicImageStorage", "ES"},
    {"VLPhotographicImageStorage", "XC"},
    {"VLMicroscopicImageStorage", "GM"},
    {"VLWholeSlideMicroscopyImageStorage", "SM"},
    {"OphthalmicPhotography8BitImageStorage", "OP"},
    {"OphthalmicPhotography16BitImageStorage", "OP"},
    {"OphthalmicTomographyImageStorage", "OPT"},
    {"TwelveLeadECGWaveformStorage", "ECG"},
    {"GeneralECGWaveformStorage", "ECG"},
    {"AmbulatoryECGWaveformStorage", "ECG"},
    {"HemodynamicWaveformStorage", "HD"},
    {"CardiacElectrophysiologyWaveformStorage", "EPS"},
    {"EncapsulatedPDFStorage", "DOC"},
};

const char *dicom_sop_class_modality(const char *uid)
{
    const struct dicom_uid_entry *e = dicom_uid_lookup(uid);
    if (!e || !e->keyword)
        return NULL;
    for (size_t i = 0; i < sizeof(keyword_modality) / sizeof(keyword_modality[0]); i++)
        if (strcmp(e->keyword, keyword_modality[i].prefix) == 0)
            return keyword_modality[i].modality;
    return NULL;
}
