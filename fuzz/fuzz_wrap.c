/*
 * fuzz_wrap.c — krb_sec_unwrap and krb_sec_verify_mic on an established
 * pair of security contexts (a fresh pair per input: a failed context is
 * final by design).
 *
 * Input byte 0: bit 0-1 mode, bit 2 conf, bit 3 FS.
 *   mode 0: the rest is a token for the acceptor's unwrap;
 *   mode 1: the rest is a message: wrap it on the initiator, unwrap on the
 *           acceptor; the result must be the message (abort otherwise);
 *           then the same token again must be KRB_ERR_REPEAT;
 *   mode 2: wrap a fixed message, then apply (offset u16, xor u8) patches
 *           from the rest; a patched token that is accepted must be
 *           byte-identical to the original;
 *   mode 3: the rest is a MIC token for "message".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sec_context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVICE "host/fuzz.example.org@EXAMPLE.ORG"

static krb_context *ctx;
static krb_rcache *rcache;
static struct krb_key server_key;
static struct krb_creds cr;
static krb_time now;

static krb_time fuzz_clock(void *arg)
{
    (void)arg;
    return now;
}

static krb_err keyfn(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    (void)c;
    (void)arg;
    (void)server;
    (void)kvno;
    *key = server_key;
    return KRB_OK;
}

static void init(void)
{
    struct krb_ticket_part tp;
    struct krb_wr w;
    char path[] = "/tmp/fuzz_wrap_rc_XXXXXX";
    int fd;

    if (krb_context_new(NULL, &ctx) != KRB_OK) {
        abort();
    }
    now = (krb_time)1800000000 * 1000000;
    krb_context_set_clock(ctx, fuzz_clock, NULL);
    fd = mkstemp(path);
    if (fd < 0) {
        abort();
    }
    close(fd);
    unlink(path);
    if (krb_rc_open_file(ctx, path, 1024, &rcache) != KRB_OK) {
        abort();
    }
    unlink(path);
    server_key.suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(server_key.k, 0x11, sizeof server_key.k);
    memset(&tp, 0, sizeof tp);
    if (krb_key_random(&tp.session, KRB_SUITE_XCHACHA20POLY1305) != KRB_OK) {
        abort();
    }
    strcpy(tp.client, "alice@EXAMPLE.ORG");
    tp.starttime = 0;
    tp.endtime = INT64_MAX / 2;
    krb_wr_init(&w, cr.ticket, sizeof cr.ticket);
    krb_ticket_encode(&w, SERVICE, 1, &server_key, &tp);
    if (w.err != KRB_OK) {
        abort();
    }
    cr.ticket_len = (uint16_t)w.len;
    strcpy(cr.client, tp.client);
    strcpy(cr.server, SERVICE);
    cr.session = tp.session;
    cr.endtime = tp.endtime;
}

static void establish(uint32_t flags, krb_sec_context **ini, krb_sec_context **acc)
{
    krb_buf t1 = { NULL, 0 }, t2 = { NULL, 0 }, t3 = { NULL, 0 };

    /* Ten minutes later each time: old replay-cache entries expire. */
    now += (krb_time)600 * 1000000;
    if (krb_sec_new_initiator_creds(ctx, &cr, flags, ini) != KRB_OK ||
        krb_sec_new_acceptor_keyfn(ctx, keyfn, NULL, rcache, SERVICE, acc) != KRB_OK ||
        krb_sec_init(ctx, *ini, NULL, 0, &t1) != KRB_CONTINUE ||
        krb_sec_accept(ctx, *acc, t1.data, t1.len, &t2) != KRB_OK ||
        krb_sec_init(ctx, *ini, t2.data, t2.len, &t3) != KRB_OK) {
        abort();
    }
    krb_buf_free(&t1);
    krb_buf_free(&t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    krb_sec_context *ini = NULL, *acc = NULL;
    krb_buf tok = { NULL, 0 }, out = { NULL, 0 };
    uint32_t flags = KRB_SEC_MUTUAL | KRB_SEC_REPLAY | KRB_SEC_SEQUENCE;
    int conf;
    krb_err rc;

    if (!ready) {
        init();
        ready = 1;
    }
    if (size < 1) {
        return 0;
    }
    conf = (data[0] & 4) != 0;
    if (data[0] & 8) {
        flags |= KRB_SEC_FS;
    }
    establish(flags, &ini, &acc);
    switch (data[0] & 3) {
    case 0:
        (void)krb_sec_unwrap(ctx, acc, data + 1, size - 1, &out, NULL);
        break;
    case 1:
        if (krb_sec_wrap(ctx, ini, conf, data + 1, size - 1, &tok) != KRB_OK ||
            krb_sec_unwrap(ctx, acc, tok.data, tok.len, &out, NULL) != KRB_OK || out.len != size - 1 ||
            (out.len > 0 && memcmp(out.data, data + 1, out.len) != 0)) {
            abort();
        }
        krb_buf_free(&out);
        if (krb_sec_unwrap(ctx, acc, tok.data, tok.len, &out, NULL) != KRB_ERR_REPEAT) {
            abort();
        }
        break;
    case 2: {
        uint8_t orig[64];
        if (krb_sec_wrap(ctx, ini, conf, (const uint8_t *)"fuzz message", 12, &tok) != KRB_OK ||
            tok.len > sizeof orig) {
            abort();
        }
        memcpy(orig, tok.data, tok.len);
        for (size_t i = 1; i + 3 <= size; i += 3) {
            size_t off = ((size_t)data[i] << 8 | data[i + 1]) % tok.len;
            tok.data[off] ^= data[i + 2];
        }
        rc = krb_sec_unwrap(ctx, acc, tok.data, tok.len, &out, NULL);
        if (rc == KRB_OK && memcmp(orig, tok.data, tok.len) != 0) {
            abort(); /* a modified token was accepted */
        }
        break;
    }
    default:
        (void)krb_sec_verify_mic(ctx, acc, (const uint8_t *)"message", 7, data + 1, size - 1);
        break;
    }
    krb_buf_free(&tok);
    krb_buf_free(&out);
    krb_sec_free(ini);
    krb_sec_free(acc);
    return 0;
}
