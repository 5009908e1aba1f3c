/*
 * fuzz_codec_kdc_rep.c — krb_kdc_rep_decode + krb_kdc_rep_open for AS-REP
 * (fixed client key 0x33 x 32) and TGS-REP (fixed session key 0x22 x 32).
 *
 * An input starting with the magic 'T' is a whole reply (its type byte says
 * which). Otherwise the rest is the plaintext of the sealed part, wrapped by
 * the target into a well-formed AS-REP (first byte odd) or TGS-REP (even).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key client_key, session_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[KRB_MSG_MAX];
    static const uint8_t nonce[KRB_NONCE_MAX];
    static const uint8_t tkt[] = "not parsed by the reply decoder";
    struct krb_kdc_rep rep;
    struct krb_kdc_rep_part part;
    const uint8_t *msg = data;
    size_t len = size;
    uint8_t type;

    if (client_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        client_key.suite = session_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(client_key.k, 0x33, sizeof client_key.k);
        memset(session_key.k, 0x22, sizeof session_key.k);
    }
    if (size < 4) {
        return 0;
    }
    if (data[0] == KRB_MAGIC0) {
        type = data[3] == KRB_MSG_AS_REP ? KRB_MSG_AS_REP : KRB_MSG_TGS_REP;
    } else {
        struct krb_wr w;
        struct krb_pa_hint hint = { KRB_SUITE_XCHACHA20POLY1305, 1, { 0 }, 2, 65536 };
        size_t ad, ctlen;
        type = (data[0] & 1) ? KRB_MSG_AS_REP : KRB_MSG_TGS_REP;
        krb_wr_init(&w, buf, sizeof buf);
        krb_wr_header(&w, type);
        krb_wr_str8(&w, "alice@EXAMPLE.ORG");
        krb_wr_vec16(&w, tkt, sizeof tkt);
        if (type == KRB_MSG_AS_REP) {
            krb_pa_hint_encode(&w, &hint);
        } else {
            krb_wr_u16(&w, session_key.suite);
        }
        ad = w.len;
        krb_wr_u16(&w, (uint16_t)(size - 1 + krb_seal_overhead(KRB_SUITE_XCHACHA20POLY1305)));
        if (w.err != KRB_OK || size - 1 > 4096) {
            return 0;
        }
        if (krb_seal_with_nonce(type == KRB_MSG_AS_REP ? &client_key : &session_key,
                                type == KRB_MSG_AS_REP ? KRB_USAGE_AS_REP : KRB_USAGE_TGS_REP, buf, ad, data + 1,
                                size - 1, nonce, buf + w.len, sizeof buf - w.len, &ctlen) != KRB_OK) {
            abort();
        }
        msg = buf;
        len = w.len + ctlen;
    }
    if (krb_kdc_rep_decode(msg, len, type, &rep) != KRB_OK) {
        return 0;
    }
    if (rep.ticket_len == 0 || rep.ticket_len > KRB_TICKET_MAX) {
        abort();
    }
    if (krb_kdc_rep_open(&rep, type == KRB_MSG_AS_REP ? &client_key : &session_key, &part) == KRB_OK) {
        if (!krb_suite_supported(part.session.suite) || part.server[0] == '\0') {
            abort();
        }
    }
    return 0;
}
