/*
 * client.h — internal calls shared by the client side (ccache.c, sendto.c,
 * as.c, tgs.c) and by the credential-cache fuzz target. Not exported.
 */
#ifndef TESSERA_CLIENT_H
#define TESSERA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "creds.h"
#include "krb.h"

#define KRB_CC_MAX_ENTRIES 1024u
/* One encoded cache entry at most: two names, key, four times, flags, kvno,
 * suite, ticket. */
#define KRB_CC_ENTRY_MAX (2 * (1 + KRB_NAME_MAX) + 2 + KRB_KEY_BYTES + 4 * 8 + 4 + 4 + 2 + 2 + KRB_TICKET_MAX)
#define KRB_CC_FILE_MAX (KRB_HEADER_BYTES + 1 + KRB_NAME_MAX + 2 + (size_t)KRB_CC_MAX_ENTRIES * KRB_CC_ENTRY_MAX)

/*
 * Strictly decode the bytes of a credential-cache file into a new in-memory
 * cache (path "" — never saved). Errors: KRB_ERR_MALFORMED, KRB_ERR_TRAILING,
 * KRB_ERR_TOO_BIG, KRB_ERR_BAD_NAME, KRB_ERR_UNSUPPORTED, KRB_ERR_NOMEM.
 * Detail on c when c is not NULL.
 */
KRB_WUR krb_err krb_cc_parse(krb_context *c, const uint8_t *p, size_t n, krb_ccache **out);

/* Encode an initialised cache into out (release with krb_buf_free, which
 * wipes it). Errors: KRB_ERR_INVALID_ARG (empty cache), KRB_ERR_NOMEM. */
KRB_WUR krb_err krb_cc_serialize(krb_context *c, const krb_ccache *cc, krb_buf *out);

/*
 * Send an encoded KDC request and classify the answer. On KRB_OK *type is
 * KRB_MSG_AS_REP or KRB_MSG_TGS_REP and rep[0..*replen) holds it. When the
 * KDC answered ERROR, the ERROR is decoded into *e and its code is returned
 * and *type is KRB_MSG_ERROR; no detail is set, the caller words one.
 * Transport failures, malformed replies and ERRORs with an unknown code
 * return with *type 0 and the detail set.
 */
KRB_WUR krb_err krb_kdc_call(krb_context *c, const char *realm, const uint8_t *req, size_t reqlen, uint8_t *rep,
                             size_t cap, size_t *replen, uint8_t *type, struct krb_error_msg *e);

/* Fill cr from a verified KDC reply part and the ticket it carried. */
KRB_WUR krb_err krb_creds_from_rep(krb_context *c, const char *client, const struct krb_kdc_rep *rep,
                                   const struct krb_kdc_rep_part *part, struct krb_creds *cr);

/* "2026-03-01 10:00:00 UTC" (for error details). */
void krb_fmt_time(krb_time t, char *buf, size_t cap);

#endif
