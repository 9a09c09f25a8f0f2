/*
 * PE/ELF/Mach-O - DICOM polyglots (CVE-2019-11687; KWAMPIRS.md §5.1, §4.3, §7.11).
 *
 * A DICOM Part 10 file starts with a free-form 128-byte preamble and "DICM" at offset 128; the
 * preamble can hold an executable's header, so one file is both a valid image and a program
 * (S14: CVE-2019-11687 text, d00rt/pedicom, Cylera Labs 2019; S15: ET 2027402-2027404; S16: Snort
 * 50619/50620, which check "MZ" at 0 and "DICM\x02\x00\x00\x00" at 128).
 *
 * medsentry_sid: the signature these rules implement.  medsentry's built-in check (src/detect/
 * polyglot.c) raises the same signatures from the file's first bytes whether or not YARA is on;
 * with YARA on, a match of these rules joins that alert (evidence.yara) instead of raising a
 * second one.  They are also usable with the yara command line on extracted files.
 */

rule MEDSENTRY_PE_DICOM_Polyglot : polyglot dicom pe
{
    meta:
        description = "DICOM Part 10 file whose preamble is a PE header (MZ at 0, PE00 at e_lfanew, DICM at 128)"
        reference = "CVE-2019-11687; KWAMPIRS.md S14-S16; Snort 50619/50620; ET 2027402"
        spec = "KWAMPIRS.md §7.11"
        medsentry_sid = 9300110
        severity = 1
    condition:
        uint16(0) == 0x5A4D and uint32(128) == 0x4D434944 and
        uint32(0x3C) >= 0x40 and uint32(0x3C) <= filesize - 4 and
        uint32(uint32(0x3C)) == 0x00004550
}

rule MEDSENTRY_ELF_MachO_DICOM_Polyglot : polyglot dicom elf macho
{
    meta:
        description = "DICOM Part 10 file whose preamble is an ELF or Mach-O header (DICM at 128)"
        reference = "CVE-2019-11687 (names ELF); KWAMPIRS.md S14; Mach-O per KWAMPIRS.md §7.11"
        spec = "KWAMPIRS.md §7.11"
        medsentry_sid = 9300111
        severity = 1
    condition:
        uint32(128) == 0x4D434944 and
        (uint32(0) == 0x464C457F or                           // \x7fELF
         uint32(0) == 0xFEEDFACE or uint32(0) == 0xCEFAEDFE or // Mach-O 32-bit, either byte order
         uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE)   // Mach-O 64-bit
}
