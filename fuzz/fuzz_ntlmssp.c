/* fuzz_ntlmssp.c - libFuzzer harness for NTLMSSP parsing, the SPNEGO scan and UTF-16 conversion. */
#include <stdint.h>
#include <string.h>

#include "app/smb/ntlmssp.h"
#include "app/smb/utf16.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntlmssp_info info;
    size_t left;
    const uint8_t *p = ntlmssp_find(data, size, &left);
    if (p)
        ntlmssp_parse(p, left, &info);
    ntlmssp_parse(data, size, &info);
    (void)gss_is_kerberos(data, size);
    char out[64];
    utf16le_to_utf8(data, size, out, sizeof(out), NULL);
    utf16le_to_utf8(data, size, out, 1, NULL);
    return 0;
}
