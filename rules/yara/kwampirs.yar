/*
 * Kwampirs (Orangeworm) file patterns: only the bytes KWAMPIRS.md §4.2 and §3 quote.
 *
 * The public rules (S4 craiu/yararules apt_zz_orangeworm.yara: Symantec's rule and four FBI rules
 * from FLASH CP-000118-MW, 14 Jan 2020; S5 Neo23x0 apt_kwampirs.yar MAL_Kwampirs_Apr18, a copy of
 * Symantec's) combine crypto keys with code routines ("2 of").  KWAMPIRS.md gives the keys, or
 * their first bytes, but not the routines' bytes, so each rule below keeps the keys it quotes and
 * requires all of the ones it has where the original asked for 2 of a larger set.  That the key
 * prefixes alone are specific enough is [INFERENCE] (8 to 24 bytes each, high-entropy key
 * material); it is the reason every rule needs two of them.  The FBI KwampirsBase64 rule is not
 * used (S4 comments it out for false positives).
 *
 * Kwampirs inserts a random string into each copy of its payload (§3), so hashes do not carry
 * from host to host; these patterns do.
 */

rule MEDSENTRY_Kwampirs_Dropper_Payload : kwampirs orangeworm
{
    meta:
        description = "Kwampirs dropper or main payload: RSA public key blob and 256-byte XOR key"
        reference = "KWAMPIRS.md §4.2: Symantec Kwampirs / MAL_Kwampirs_Apr18 (S4, S5)"
        inference = "prefixes only; the string-decrypt and init-strings routines are not in the source document"
        spec = "KWAMPIRS.md §4.2, §7 operational notes"
        severity = 1
    strings:
        // PUBLICKEYBLOB, RSA1, 2048-bit, e = 65537, then the first modulus bytes
        $rsa_pub = { 06 02 00 00 00 A4 00 00 52 53 41 31 00 08 00 00 01 00 01 00 CD 74 15 BC }
        // first bytes of the 256-byte XOR key
        $xor_key = { B7 E9 F9 2D F8 3E 18 57 }
    condition:
        all of them
}

rule MEDSENTRY_Kwampirs_Installer : kwampirs orangeworm
{
    meta:
        description = "Kwampirs installer (FBI apt_ZZ_Orangeworm_Kwampirs_Installer): string and resource keys"
        reference = "KWAMPIRS.md §4.2: FBI FLASH CP-000118-MW via S4"
        inference = "the strlenW routine is not in the source document: both keys required"
        spec = "KWAMPIRS.md §4.2"
        severity = 1
    strings:
        $string_key = { 6C 35 E3 31 1B 23 F9 C9 65 EB F3 07 93 33 F2 A3 }
        $resource_key = { 28 99 B6 17 63 33 EE 22 97 97 55 B5 7A C4 E1 A4 }
    condition:
        uint16(0) == 0x5A4D and all of them
}

rule MEDSENTRY_Kwampirs_Implant : kwampirs orangeworm
{
    meta:
        description = "Kwampirs implant (FBI apt_ZZ_Orangeworm_Kwampirs_Implant): 2 of string, beacon and hashfile keys"
        reference = "KWAMPIRS.md §4.2: FBI FLASH CP-000118-MW via S4"
        inference = "beacon and hashfile keys by their first 8 bytes; download key and RSA modulus not quoted"
        spec = "KWAMPIRS.md §4.2"
        severity = 1
    strings:
        $string_key = { 6C 35 E3 31 1B 23 F9 C9 65 EB F3 07 93 33 F2 A3 }
        $beacon_key = { 28 30 A4 3F 6D 28 04 23 }
        $hashfile_key = { FE FE F5 5C 37 54 A1 6C }
    condition:
        uint16(0) == 0x5A4D and 2 of them
}

rule MEDSENTRY_Kwampirs_Shamoon_Strings : kwampirs orangeworm shamoon
{
    meta:
        description = "Kwampirs strings the FBI ties to Shamoon: wide g\\system32\\ and ztvttw, ascii lwizvm"
        reference = "KWAMPIRS.md §3, §4.2: FBI apt_ZZ_Orangeworm_Kwampirs_Shamoon via S4"
        inference = "the memcpy/strlenW/strcmp routines are not in the source document: all three strings required"
        spec = "KWAMPIRS.md §4.2"
        severity = 1
    strings:
        $s1 = "g\\system32\\" wide
        $s2 = "ztvttw" wide
        $s3 = "lwizvm" ascii
    condition:
        uint16(0) == 0x5A4D and all of them
}
