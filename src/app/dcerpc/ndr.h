/*
 * ndr.h - a bounded reader of NDR (C706 14) stub data, shared by the stub
 * decoders (dcerpc_ndr.c: svcctl and task scheduling; dcerpc_srvsvc.c).
 *
 * Every read checks the bytes left first; a read past the end sets `err` and
 * returns zero/empty, so a decoder reads straight through and checks `err`
 * once.  Primitives are aligned to their size from the start of the stub.
 */
#ifndef MEDSENTRY_APP_DCERPC_NDR_H
#define MEDSENTRY_APP_DCERPC_NDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ndr {
    const uint8_t *p;
    size_t n, off;
    bool le;  /* drep little-endian */
    bool err; /* a read went past the end or a count was inconsistent */
};

void ndr_align(struct ndr *r, size_t a);
uint32_t ndr_u32(struct ndr *r);
void ndr_skip(struct ndr *r, size_t k);
/* A [string] conformant varying array (max_count, offset, actual_count, units): wide = UTF-16, converted to
 * UTF-8 into out (cap bytes, always NUL-terminated); *trunc set if it did not fit (trunc may be NULL). */
void ndr_string(struct ndr *r, bool wide, char *out, size_t cap, bool *trunc);
/* A [string, unique] pointer at top level: referent id, then the string in place if not NULL. */
void ndr_unique_string(struct ndr *r, bool wide, char *out, size_t cap, bool *trunc);
/* A [unique, size_is(n)] byte array at top level: referent id, then max_count and the bytes, skipped. */
void ndr_unique_bytes_skip(struct ndr *r);

#endif
