/*
 * app_registry.c - the application-layer parsers medsentry knows, in the
 * order they are probed (port hints first).  One line per parser; each
 * parser's definition lives in its own folder, src/app/<proto>/.
 */
#include "app/app.h"
#include "app/dicom/dicom.h"
#include "app/smb/smb.h"
#include "app/dcerpc/dcerpc.h"
#include "app/dns/dns.h"
#include "app/tls/tls.h"
#include "app/hl7/hl7.h"
#include "app/http/http.h"

const struct app_parser *const app_registry[] = {
    &app_parser_dicom, &smb_parser,     &dcerpc_tcp_parser, &tls_parser, &http_parser,
    &dns_tcp_parser,   &dns_udp_parser, &hl7_parser,        NULL, /* keeps the array non-empty; app_registry_count
                                                                     excludes it */
};

const size_t app_registry_count = sizeof(app_registry) / sizeof(app_registry[0]) - 1;
