/*
 * fuzz_codec_ap_req.c — krb_ap_req_decode (with its nested ticket), then
 * krb_ticket_open with the fixed server key (0x11 x 32) and krb_ap_req_open
 * with the fixed session key (0x22 x 32) for both authenticator usages.
 *
 * An input starting with the magic 'T' is a whole AP-REQ. Otherwise the
 * rest is the plaintext of the authenticator, sealed by the target into an
 * AP-REQ around a fixed valid ticket.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key server_key, session_key;
static uint8_t ticket[KRB_TICKET_MAX];
static size_t ticket_len;

static void init(void)
{
    struct krb_ticket_part part;
    struct krb_wr w;

    if (krb_crypto_init() != KRB_OK) {
        abort();
    }
    server_key.suite = session_key.suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(server_key.k, 0x11, sizeof server_key.k);
    memset(session_key.k, 0x22, sizeof session_key.k);
    memset(&part, 0, sizeof part);
    part.session = session_key;
    strcpy(part.client, "alice@EXAMPLE.ORG");
    krb_wr_init(&w, ticket, sizeof ticket);
    krb_ticket_encode(&w, "host/fuzz.example.org@EXAMPLE.ORG", 1, &server_key, &part);
    if (w.err != KRB_OK) {
        abort();
    }
    ticket_len = w.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[KRB_MSG_MAX];
    static const uint8_t nonce[KRB_NONCE_MAX];
    struct krb_ap_req req;
    struct krb_ticket_part tp;
    struct krb_authenticator a;
    const uint8_t *msg = data;
    size_t len = size;

    if (ticket_len == 0) {
        init();
    }
    if (size > 0 && data[0] != KRB_MAGIC0) {
        struct krb_wr w;
        size_t ad, ctlen;
        if (size - 1 > 4096) {
            return 0;
        }
        krb_wr_init(&w, buf, sizeof buf);
        krb_wr_header(&w, KRB_MSG_AP_REQ);
        krb_wr_u32(&w, KRB_AP_OPT_MUTUAL_REQUIRED);
        krb_wr_vec16(&w, ticket, ticket_len);
        ad = w.len;
        krb_wr_u16(&w, (uint16_t)(size - 1 + krb_seal_overhead(session_key.suite)));
        if (w.err != KRB_OK || krb_seal_with_nonce(&session_key, KRB_USAGE_AP_AUTH, buf, ad, data + 1, size - 1, nonce,
                                                   buf + w.len, sizeof buf - w.len, &ctlen) != KRB_OK) {
            abort();
        }
        msg = buf;
        len = w.len + ctlen;
    }
    if (krb_ap_req_decode(msg, len, &req) != KRB_OK) {
        return 0;
    }
    if (req.ticket.msg != req.ticket_bytes || (req.options & ~KRB_AP_OPT_KNOWN) != 0) {
        abort();
    }
    (void)krb_ticket_open(&req.ticket, &server_key, &tp);
    if (krb_ap_req_open(&req, &session_key, KRB_USAGE_AP_AUTH, &a) == KRB_OK) {
        if (a.client[0] == '\0' || a.ctime < 0 || (a.has_subkey && !krb_suite_supported(a.subkey.suite))) {
            abort();
        }
    }
    (void)krb_ap_req_open(&req, &session_key, KRB_USAGE_TGS_AUTH, &a);
    return 0;
}
