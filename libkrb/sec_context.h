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

/*
 * krb_sec_wrap / krb_sec_unwrap into a caller's buffer, with no
 * allocation: the public calls are these plus one malloc for the result.
 * wrap needs cap >= len + KRB_WRAP_HDR_BYTES + KRB_WRAP_TAG_BYTES; unwrap
 * cap >= toklen - KRB_WRAP_HDR_BYTES - KRB_WRAP_TAG_BYTES (the message may
 * not overlap the token). Too small a buffer is KRB_ERR_INVALID_ARG and
 * leaves the context as it was; every other error, results and checks are
 * the public calls'. On an unwrap failure out is zeroed.
 */
KRB_WUR krb_err krb_sec_wrap_into(krb_context *c, krb_sec_context *sc, int conf, const uint8_t *msg, size_t len,
                                  uint8_t *out, size_t cap, size_t *outlen);
KRB_WUR krb_err krb_sec_unwrap_into(krb_context *c, krb_sec_context *sc, const uint8_t *tok, size_t toklen,
                                    uint8_t *out, size_t cap, size_t *outlen, int *conf);

#endif
