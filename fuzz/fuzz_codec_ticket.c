/*
 * fuzz_codec_ticket.c — krb_ticket_decode + krb_ticket_open.
 *
 * An input starting with the magic 'T' is a whole ticket, opened with the
 * fixed server key (0x11 x 32, suite 1) that fuzz/gen_corpus.c seals its
 * seeds under. Any other first byte means: the rest is the plaintext of the
 * sealed part; the target seals it into a well-formed ticket itself, so the
 * post-decrypt parser sees fuzzed bytes directly. An opened ticket is
 * encoded again and must open to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct krb_key server_key;

static void init(void)
{
    if (server_key.suite == 0) {
        if (krb_crypto_init() != KRB_OK) {
            abort();
        }
        server_key.suite = KRB_SUITE_XCHACHA20POLY1305;
        memset(server_key.k, 0x11, sizeof server_key.k);
    }
}

static void same_part(const struct krb_ticket_part *a, const struct krb_ticket_part *b)
{
    if (a->flags != b->flags || memcmp(&a->session, &b->session, sizeof a->session) != 0 ||
        strcmp(a->client, b->client) != 0 || a->authtime != b->authtime || a->starttime != b->starttime ||
        a->endtime != b->endtime || a->renew_till != b->renew_till || a->authz_len != b->authz_len ||
        memcmp(a->authz, b->authz, a->authz_len) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[KRB_MSG_MAX];
    static const uint8_t nonce[KRB_NONCE_MAX];
    struct krb_ticket t, t2;
    struct krb_ticket_part part, part2;
    const uint8_t *msg = data;
    size_t len = size;
    struct krb_wr w;

    init();
    if (size > 0 && data[0] != KRB_MAGIC0) {
        size_t ad, ctlen;
        krb_wr_init(&w, buf, sizeof buf);
        krb_wr_header(&w, KRB_MSG_TICKET);
        krb_wr_str8(&w, "host/fuzz.example.org@EXAMPLE.ORG");
        krb_wr_u32(&w, 1);
        krb_wr_u16(&w, server_key.suite);
        ad = w.len;
        if (size - 1 + krb_seal_overhead(server_key.suite) > KRB_TICKET_MAX - ad - 2) {
            return 0;
        }
        krb_wr_u16(&w, (uint16_t)(size - 1 + krb_seal_overhead(server_key.suite)));
        if (krb_seal_with_nonce(&server_key, KRB_USAGE_TICKET, buf, ad, data + 1, size - 1, nonce, buf + w.len,
                                sizeof buf - w.len, &ctlen) != KRB_OK) {
            abort();
        }
        msg = buf;
        len = w.len + ctlen;
    }
    if (krb_ticket_decode(msg, len, &t) != KRB_OK) {
        return 0;
    }
    if (krb_ticket_open(&t, &server_key, &part) != KRB_OK) {
        return 0;
    }
    {
        static uint8_t again[KRB_TICKET_MAX];
        krb_wr_init(&w, again, sizeof again);
        krb_ticket_encode(&w, t.server, t.kvno, &server_key, &part);
        if (w.err != KRB_OK || krb_ticket_decode(again, w.len, &t2) != KRB_OK ||
            krb_ticket_open(&t2, &server_key, &part2) != KRB_OK || strcmp(t.server, t2.server) != 0) {
            abort();
        }
        same_part(&part, &part2);
    }
    return 0;
}
