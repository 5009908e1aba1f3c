/*
 * fuzz_kdc_request.c — the KDC end to end: every input goes through
 * kdc_handle against a realm made once at start-up (temporary directory,
 * on /dev/shm when available so that lockout writes are cheap) with a
 * fixed clock.
 *
 * Input byte 0 selects the mode:
 *   0: the rest is a whole request message;
 *   1: the rest is a list of (offset u16, xor u8) patches applied to a
 *      valid pre-authenticated AS-REQ made at start-up;
 *   2: the same for a valid TGS-REQ (so mutations reach the checks behind
 *      the ticket and authenticator);
 *   3: the rest is a TGS-REQ body, sent with a valid TGT and authenticator.
 * Every reply must be silence, an ERROR that decodes, or (modes 1-3) an
 * AS-REP / TGS-REP that decodes; an ERROR to an unauthenticated request
 * stays small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "context.h"
#include "kdb.h"
#include "kdc.h"
#include "recorder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REALM "FUZZ.TEST"
#define TGS "krbtgt/FUZZ.TEST@FUZZ.TEST"
#define CLIENT "alice@FUZZ.TEST"
#define SERVICE "host/svc@FUZZ.TEST"
#define NOW ((krb_time)1800000000 * 1000000)

static char dir[128];
static krb_context *ctx;
static struct kdc *kdc;
static uint8_t good_as[1024], good_tgs[4096], tgt[KRB_TICKET_MAX];
static size_t good_as_len, good_tgs_len, tgt_len;
static struct krb_key tgt_session;
static uint8_t rep[KRB_MSG_MAX];

static krb_time fuzz_clock(void *arg)
{
    (void)arg;
    return NOW;
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_kdc_request: %s: %s\n", what, ctx != NULL ? krb_context_error(ctx) : "");
    abort();
}

static void cleanup(void)
{
    char cmd[256];
    kdc_free(kdc);
    krb_context_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        /* nothing to do */
    }
}

static void add(struct kdb *db, const char *name, const char *pw, uint32_t flags)
{
    struct kdb_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.flags = flags;
    if (kdb_key_add(ctx, db, &p, pw, 0) != KRB_OK || kdb_put(ctx, db, &p, 1) != KRB_OK) {
        die("add principal");
    }
}

static void body_init(struct krb_kdc_req_body *b, const char *client, const char *server)
{
    memset(b, 0, sizeof *b);
    snprintf(b->client, sizeof b->client, "%s", client);
    snprintf(b->server, sizeof b->server, "%s", server);
    b->nonce = 42;
    b->options = KRB_KDC_OPT_RENEWABLE;
    b->rtime = NOW + (krb_time)86400 * 1000000;
    b->nsuites = (uint8_t)krb_suite_defaults(b->suites);
}

static void setup(void)
{
    char cfg[256], dbdir[200], stash[200];
    struct kdb *db;
    struct kdb_principal p;
    struct krb_key k;
    struct krb_kdc_req_body b;
    struct krb_kdc_rep r;
    struct krb_kdc_rep_part part;
    struct krb_authenticator a;
    struct kdc_log_entry lg;
    struct krb_wr w;
    struct stat st;
    size_t n = 0;
    uint32_t kvno = 0;
    FILE *f;

    snprintf(dir, sizeof dir, "%s/fuzz_kdc.XXXXXX", stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(dir) == NULL) {
        die("mkdtemp");
    }
    atexit(cleanup);
    snprintf(cfg, sizeof cfg, "%s/tessera.conf", dir);
    snprintf(dbdir, sizeof dbdir, "%s/db", dir);
    snprintf(stash, sizeof stash, "%s/stash", dir);
    f = fopen(cfg, "w");
    if (f == NULL) {
        die("config");
    }
    fprintf(f, "[libdefaults]\ndefault_realm = " REALM "\n[kdc]\ndatabase = %s\nstash = %s\nreplay_cache_size = 65536\n",
            dbdir, stash);
    fclose(f);
    if (krb_context_new(cfg, &ctx) != KRB_OK) {
        die("context");
    }
    krb_context_set_clock(ctx, fuzz_clock, NULL);
    if (kdb_create(ctx, dbdir, stash, REALM, 0, &db) != KRB_OK || kdb_set_pwhash_params(ctx, db, 1, 8) != KRB_OK) {
        die("kdb_create");
    }
    add(db, TGS, NULL, 0);
    add(db, CLIENT, "pw", KDB_F_REQUIRES_PREAUTH);
    add(db, SERVICE, NULL, 0);
    add(db, "nosvc@" REALM, NULL, KDB_F_DISALLOW_SVR);
    kdb_close(db);
    if (kdc_new(ctx, cfg, &kdc) != KRB_OK) {
        die("kdc_new");
    }
    /* As in the daemon: pre-auth results are written by the recorder thread,
     * so its queue never fills up and turns every AS request into INTERNAL. */
    if (kdc_recorder_start(kdc->rec) != KRB_OK) {
        die("kdc_recorder_start");
    }

    /* a valid AS-REQ with PA, and the TGT it earns */
    if (kdb_get(ctx, kdc->db, CLIENT, &p) != KRB_OK || kdb_key_get(ctx, kdc->db, &p, 0, &k, &kvno) != KRB_OK) {
        die("client key");
    }
    body_init(&b, CLIENT, TGS);
    krb_wr_init(&w, good_as, sizeof good_as);
    krb_as_req_encode(&w, &b, &k, kvno, NOW);
    good_as_len = w.len;
    if (kdc_handle(kdc, good_as, good_as_len, rep, sizeof rep, &n, &lg) != KRB_OK || lg.result != KRB_OK ||
        krb_kdc_rep_decode(rep, n, KRB_MSG_AS_REP, &r) != KRB_OK || krb_kdc_rep_open(&r, &k, &part) != KRB_OK) {
        die("AS exchange");
    }
    memcpy(tgt, r.ticket, r.ticket_len);
    tgt_len = r.ticket_len;
    tgt_session = part.session;
    krb_key_wipe(&k);

    /* a valid TGS-REQ (never sent here: the replay cache would keep it) */
    body_init(&b, "", SERVICE);
    b.client[0] = '\0';
    memset(&a, 0, sizeof a);
    snprintf(a.client, sizeof a.client, CLIENT);
    a.ctime = NOW;
    krb_wr_init(&w, good_tgs, sizeof good_tgs);
    krb_tgs_req_encode(&w, &b, tgt, tgt_len, &tgt_session, &a);
    good_tgs_len = w.len;
    if (w.err != KRB_OK) {
        die("TGS-REQ");
    }
}

static void patch(uint8_t *msg, size_t len, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i += 3) {
        size_t off = ((size_t)p[i] << 8 | p[i + 1]) % len;
        msg[off] ^= p[i + 2];
    }
}

/* mode 3: the input is the body; a fresh authenticator covers it. */
static size_t tgs_with_body(const uint8_t *body, size_t n, uint8_t *out, size_t cap)
{
    struct krb_authenticator a;
    struct krb_wr w;
    size_t at;

    if (n > 2048) {
        return 0;
    }
    memset(&a, 0, sizeof a);
    snprintf(a.client, sizeof a.client, CLIENT);
    a.ctime = NOW;
    a.has_cksum = 1;
    krb_hash(a.cksum, body, n);
    krb_wr_init(&w, out, cap);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, n);
    at = krb_wr_open16(&w);
    krb_ap_req_encode(&w, 0, tgt, tgt_len, &tgt_session, KRB_USAGE_TGS_AUTH, &a);
    krb_wr_close16(&w, at);
    return w.err == KRB_OK ? w.len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[KRB_MSG_MAX + 16];
    struct kdc_log_entry lg;
    size_t len = 0, replen = 0;
    uint8_t type;

    if (kdc == NULL) {
        setup();
    }
    if (size < 1 || size > sizeof msg) {
        return 0;
    }
    switch (data[0]) {
    case 0:
        len = size - 1;
        memcpy(msg, data + 1, len);
        break;
    case 1:
        memcpy(msg, good_as, good_as_len);
        len = good_as_len;
        patch(msg, len, data + 1, size - 1);
        break;
    case 2:
        memcpy(msg, good_tgs, good_tgs_len);
        len = good_tgs_len;
        patch(msg, len, data + 1, size - 1);
        break;
    case 3:
        len = tgs_with_body(data + 1, size - 1, msg, sizeof msg);
        break;
    default:
        return 0;
    }
    if (kdc_handle(kdc, msg, len, rep, sizeof rep, &replen, &lg) != KRB_OK) {
        abort();
    }
    if (replen == 0) {
        return 0;
    }
    if (krb_msg_peek_type(rep, replen, &type) != KRB_OK) {
        abort();
    }
    if (type == KRB_MSG_ERROR) {
        struct krb_error_msg e;
        if (krb_error_decode(rep, replen, &e) != KRB_OK || e.code == KRB_OK || lg.result == KRB_OK) {
            abort();
        }
        if (replen > 128) {
            abort(); /* amplification */
        }
    } else {
        struct krb_kdc_rep r;
        if (lg.result != KRB_OK || (type != KRB_MSG_AS_REP && type != KRB_MSG_TGS_REP) ||
            krb_kdc_rep_decode(rep, replen, type, &r) != KRB_OK) {
            abort();
        }
    }
    return 0;
}
