/*
 * creds.h — credentials (a ticket with its session key) as held in a
 * credential cache, and the internal calls shared by the client exchanges
 * (as.c, tgs.c), the cache (ccache.c) and the AP side (ap.c, sec_context.c).
 */
#ifndef TESSERA_CREDS_H
#define TESSERA_CREDS_H

#include "codec.h"
#include "krb.h"

struct krb_creds {
    char client[KRB_NAME_MAX + 1];
    char server[KRB_NAME_MAX + 1];
    struct krb_key session; /* secret: wipe with krb_creds_wipe */
    krb_time authtime, starttime, endtime, renew_till;
    uint32_t flags;  /* KRB_TKT_FLAG_* */
    uint32_t kvno;   /* of the server key the ticket is sealed under */
    uint16_t suite;  /* of that server key */
    uint16_t ticket_len;
    uint8_t ticket[KRB_TICKET_MAX];
};

void krb_creds_wipe(struct krb_creds *cr);

/* Re-initialise the cache for principal (drops all tickets) — in memory. */
KRB_WUR krb_err krb_cc_initialize(krb_context *c, krb_ccache *cc, const char *principal);
/* Add or replace (same server) credentials and save the file atomically. */
KRB_WUR krb_err krb_cc_store(krb_context *c, krb_ccache *cc, const struct krb_creds *cr);
/* Copy the credentials for server into out. KRB_ERR_NO_CREDS if absent. */
KRB_WUR krb_err krb_cc_find(krb_context *c, const krb_ccache *cc, const char *server, struct krb_creds *out);

/*
 * Valid credentials for server: from the cache when present and not
 * expired, else via a TGS exchange with the cache's TGT (then stored).
 */
KRB_WUR krb_err krb_get_creds(krb_context *c, krb_ccache *cc, const char *server, struct krb_creds *out);

/*
 * Send req to a KDC of realm and receive its reply into rep (cap bytes):
 * each configured address in order, UDP first, TCP when the KDC answers
 * RESPONSE_TOO_BIG or the request is larger than KRB_UDP_MAX.
 * Errors: KRB_ERR_KDC_UNREACHABLE, KRB_ERR_CONFIG (no KDC for realm).
 */
KRB_WUR krb_err krb_sendto_kdc(krb_context *c, const char *realm, const uint8_t *req, size_t reqlen, uint8_t *rep,
                               size_t cap, size_t *replen);

#endif
