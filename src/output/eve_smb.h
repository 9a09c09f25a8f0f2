/* eve_smb.h - body writers of the smb, dcerpc and fileinfo events (eve_smb.c, eve_dcerpc.c, eve_fileinfo.c). */
#ifndef MEDSENTRY_OUTPUT_EVE_SMB_H
#define MEDSENTRY_OUTPUT_EVE_SMB_H

#include "app/smb/ntlmssp.h"
#include "output/eve.h"

void eve_smb_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_dcerpc_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_fileinfo_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
/* The `ntlmssp` object of an AUTHENTICATE (smb and dcerpc events): domain, user, host, version, anonymous. */
void eve_ntlmssp(struct jw *w, const struct ntlmssp_info *n);

#endif
