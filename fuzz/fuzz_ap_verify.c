/*
 * fuzz_ap_verify.c — the whole service-side AP-REQ check
 * (krb_ap_verify_with) against a fixed server key, a fixed clock and a
 * replay cache in a temporary file.
 *
 * Input byte 0 selects the mode:
 *   0: the rest is a whole AP-REQ;
 *   1: the rest is a list of (offset u16, xor u8) patches applied to a
 *      valid AP-REQ made once at start-up, so mutations reach the checks
 *      behind the cryptography (times, names, replay, bindings);
 *   2: as 1, then the result is verified twice (the second must be REPEAT
 *      whenever the first succeeded).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap.h"
#include "context.h"
#include "rcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVICE "host/fuzz.example.org@EXAMPLE.ORG"
#define NOW ((krb_time)1800000000 * 1000000)

static krb_context *ctx;
static krb_rcache *rcache;
static struct krb_key server_key;
static uint8_t good[KRB_AP_REQ_MAX];
static size_t good_len;
static krb_time now;

static krb_time fuzz_clock(void *arg)
{
    (void)arg;
    return now;
}

static krb_err keyfn(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    (void)arg;
    if (strcmp(server, SERVICE) != 0) {
        return krb_set_error(c, KRB_ERR_KT_NOTFOUND, "no key");
    }
    if (kvno != 1) {
        return krb_set_error(c, KRB_ERR_BADKEYVER, "no kvno");
    }
    *key = server_key;
    return KRB_OK;
}

static void init(void)
{
    struct krb_creds cr;
    struct krb_ticket_part tp;
    struct krb_ap_req_opts o;
    struct krb_ap_client st;
    struct krb_wr w;
    char path[] = "/tmp/fuzz_ap_verify_rc_XXXXXX";
    int fd;

    if (krb_context_new(NULL, &ctx) != KRB_OK) {
        abort();
    }
    now = NOW;
    krb_context_set_clock(ctx, fuzz_clock, NULL);
    fd = mkstemp(path);
    if (fd < 0) {
        abort();
    }
    close(fd);
    unlink(path);
    if (krb_rc_open_file(ctx, path, 1u << 16, &rcache) != KRB_OK) {
        abort();
    }
    unlink(path); /* the mapping stays */
    server_key.suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(server_key.k, 0x11, sizeof server_key.k);

    memset(&tp, 0, sizeof tp);
    memset(&cr, 0, sizeof cr);
    tp.session.suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(tp.session.k, 0x22, sizeof tp.session.k);
    strcpy(tp.client, "alice@EXAMPLE.ORG");
    tp.authtime = tp.starttime = NOW - 1000000;
    tp.endtime = NOW + (krb_time)3600 * 1000000;
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
    memset(&o, 0, sizeof o);
    o.ap_options = KRB_AP_OPT_MUTUAL_REQUIRED;
    o.want_subkey = 1;
    if (krb_ap_req_make(ctx, &cr, &o, &st, good, sizeof good, &good_len) != KRB_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static uint8_t req[KRB_AP_REQ_MAX + 64];
    struct krb_ap_verify_opts o;
    struct krb_ap_result res;
    size_t len;
    krb_err rc;

    if (!ready) {
        init();
        ready = 1;
    }
    if (size < 1) {
        return 0;
    }
    /* Each input runs at a later time, so the cache never fills with live
     * entries (the valid request's time stays within the skew: patches may
     * still hit ctime). */
    now += 1;
    memset(&o, 0, sizeof o);
    o.service = (data[0] & 4) ? SERVICE : NULL;
    if ((data[0] & 3) == 0) {
        len = size - 1 < sizeof req ? size - 1 : sizeof req;
        memcpy(req, data + 1, len);
    } else {
        memcpy(req, good, good_len);
        len = good_len;
        for (size_t i = 1; i + 3 <= size; i += 3) {
            size_t off = ((size_t)data[i] << 8 | data[i + 1]) % good_len;
            req[off] ^= data[i + 2];
        }
    }
    rc = krb_ap_verify_with(ctx, keyfn, NULL, rcache, &o, req, len, &res);
    if (rc == KRB_OK) {
        if (strcmp(res.client, "alice@EXAMPLE.ORG") != 0 || strcmp(res.server, SERVICE) != 0) {
            abort(); /* an accepted request must be the genuine one */
        }
        if ((data[0] & 3) == 2 && krb_ap_verify_with(ctx, keyfn, NULL, rcache, &o, req, len, &res) != KRB_ERR_REPEAT) {
            abort();
        }
    }
    krb_ap_result_wipe(&res);
    return 0;
}
