/*
 * sec_context.h — security contexts (internal side): constructors that take
 * credentials or a key-lookup function directly, for tests, fuzz targets
 * and the keytab/ccache-based public constructors. Token layouts: the
 * "Security-context tokens" section of docs/PROTOCOL.md.
 */
#ifndef TESSERA_SEC_CONTEXT_H
#define TESSERA_SEC_CONTEXT_H

#include "ap.h"
#include "creds.h"
#include "krb.h"

#define KRB_SEC_KNOWN 0x003fu

/* Wrap / MIC token layout. */
#define KRB_WRAP_HDR_BYTES (KRB_HEADER_BYTES + 1 + 8) /* header, flags, seq */
#define KRB_WRAP_TAG_BYTES 16
#define KRB_MIC_TAG_BYTES 32
#define KRB_TOK_FLAG_ACCEPTOR 0x01u /* sender is the acceptor */
#define KRB_TOK_FLAG_SEALED 0x02u   /* payload encrypted (wrap only) */
#define KRB_WRAP_MAX (16u * 1024 * 1024) /* largest wrap payload */

/* An initiator for the given credentials (copied; the caller keeps cr). */
KRB_WUR krb_err krb_sec_new_initiator_creds(krb_context *c, const struct krb_creds *cr, uint32_t req_flags,
                                            krb_sec_context **out);
/* An acceptor whose server keys come from keyfn(keyarg, ...). */
KRB_WUR krb_err krb_sec_new_acceptor_keyfn(krb_context *c, krb_ap_keyfn keyfn, void *keyarg, krb_rcache *rc,
                                           const char *service, krb_sec_context **out);

#endif
