/*
 * check_client.c — the client side against a tiny in-test KDC on 127.0.0.1.
 *
 * A responder thread listens on UDP and TCP loopback ports and answers with
 * replies built by the codec: canned bytes for the transport tests
 * (failover, timeout, TCP fallback), or a miniature KDC for the AS and TGS
 * tests whose replies can be corrupted one field at a time (nonce, request
 * hash, server, client) to check the exact error the client returns.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "codec.h"
#include "context.h"
#include "creds.h"
#include "crypto.h"
#include "krb.h"
#include "name.h"

#define REALM "EXAMPLE.ORG"
#define ALICE "alice@EXAMPLE.ORG"
#define TGS "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG"
#define PASSWORD "correct horse"
#define SEC ((krb_time)1000000)

/* ------------------------------------------------------------------ */
/* The responder                                                        */
/* ------------------------------------------------------------------ */

enum behaviour {
    B_REPLY,   /* answer every request with the handler's reply */
    B_SILENT,  /* read requests, never answer */
    B_GARBAGE, /* answer UDP with bytes that are not a Tessera message */
};

struct responder;
typedef size_t (*handler_fn)(struct responder *r, const uint8_t *req, size_t len, uint8_t *out, size_t cap);

struct responder {
    int udp, tcp;
    uint16_t port;
    enum behaviour how;
    handler_fn handler;
    const uint8_t *canned; /* for canned_handler */
    size_t canned_len;
    volatile int stop;
    int udp_requests, tcp_requests;
    size_t last_req_len;
    pthread_t tid;
};

static size_t canned_handler(struct responder *r, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    (void)req;
    (void)len;
    ck_assert_uint_le(r->canned_len, cap);
    memcpy(out, r->canned, r->canned_len);
    return r->canned_len;
}

static size_t encode_error(uint32_t code, const uint8_t *edata, size_t elen, uint8_t *out, size_t cap)
{
    struct krb_error_msg e;
    struct krb_wr w;

    memset(&e, 0, sizeof e);
    e.code = code;
    e.stime = krb_system_time();
    snprintf(e.realm, sizeof e.realm, "%s", REALM);
    if (elen > 0) {
        memcpy(e.edata, edata, elen);
        e.edata_len = (uint16_t)elen;
    }
    krb_wr_init(&w, out, cap);
    krb_error_encode(&w, &e);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

static void serve_tcp(struct responder *r)
{
    static uint8_t req[KRB_MSG_MAX], rep[KRB_MSG_MAX];
    uint8_t hdr[4];
    int fd = accept(r->tcp, NULL, NULL);
    size_t got = 0, n, m;

    if (fd < 0) {
        return;
    }
    while (got < 4) {
        ssize_t k = recv(fd, hdr + got, 4 - got, 0);
        if (k <= 0) {
            goto out;
        }
        got += (size_t)k;
    }
    n = krb_get_u32(hdr);
    if (n == 0 || n > sizeof req) {
        goto out;
    }
    for (got = 0; got < n;) {
        ssize_t k = recv(fd, req + got, n - got, 0);
        if (k <= 0) {
            goto out;
        }
        got += (size_t)k;
    }
    r->tcp_requests++;
    r->last_req_len = n;
    if (r->how == B_SILENT) {
        goto out;
    }
    m = r->handler(r, req, n, rep, sizeof rep);
    krb_put_u32(hdr, (uint32_t)m);
    if (send(fd, hdr, 4, MSG_NOSIGNAL) != 4 || send(fd, rep, m, MSG_NOSIGNAL) != (ssize_t)m) {
        goto out;
    }
out:
    close(fd);
}

static void serve_udp(struct responder *r)
{
    static uint8_t req[KRB_MSG_MAX], rep[KRB_MSG_MAX];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t k = recvfrom(r->udp, req, sizeof req, 0, (struct sockaddr *)&from, &fl);
    size_t m;

    if (k <= 0) {
        return;
    }
    r->udp_requests++;
    r->last_req_len = (size_t)k;
    if (r->how == B_SILENT) {
        return;
    }
    if (r->how == B_GARBAGE) {
        static const uint8_t junk[] = "HTTP/1.0 400 Bad Request\r\n";
        (void)sendto(r->udp, junk, sizeof junk, 0, (struct sockaddr *)&from, fl);
        return;
    }
    m = r->handler(r, req, (size_t)k, rep, sizeof rep);
    if (m > KRB_UDP_MAX) {
        m = encode_error(KRB_ERR_RESPONSE_TOO_BIG, NULL, 0, rep, sizeof rep);
    }
    (void)sendto(r->udp, rep, m, 0, (struct sockaddr *)&from, fl);
}

static void *responder_main(void *arg)
{
    struct responder *r = arg;

    while (!r->stop) {
        struct pollfd p[2] = { { .fd = r->udp, .events = POLLIN }, { .fd = r->tcp, .events = POLLIN } };
        if (poll(p, 2, 20) <= 0) {
            continue;
        }
        if (p[0].revents & POLLIN) {
            serve_udp(r);
        }
        if (p[1].revents & POLLIN) {
            serve_tcp(r);
        }
    }
    return NULL;
}

static int bind_loopback(int type, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *bound = ntohs(sa.sin_port);
    return fd;
}

static void responder_start(struct responder *r, enum behaviour how, handler_fn h)
{
    memset(r, 0, sizeof r[0]);
    r->how = how;
    r->handler = h;
    /* Same port number for UDP and TCP, as a KDC has. */
    for (int tries = 0; tries < 50; tries++) {
        uint16_t tport;
        r->udp = bind_loopback(SOCK_DGRAM, 0, &r->port);
        ck_assert_int_ge(r->udp, 0);
        r->tcp = bind_loopback(SOCK_STREAM, r->port, &tport);
        if (r->tcp >= 0) {
            break;
        }
        close(r->udp);
    }
    ck_assert_int_ge(r->tcp, 0);
    ck_assert_int_eq(listen(r->tcp, 8), 0);
    ck_assert_int_eq(pthread_create(&r->tid, NULL, responder_main, r), 0);
}

static void responder_stop(struct responder *r)
{
    r->stop = 1;
    pthread_join(r->tid, NULL);
    close(r->udp);
    close(r->tcp);
}

/* A loopback port with nobody listening (UDP answers ECONNREFUSED). */
static uint16_t dead_port(void)
{
    uint16_t p;
    int fd = bind_loopback(SOCK_DGRAM, 0, &p);
    close(fd);
    return p;
}

/* ------------------------------------------------------------------ */
/* Context with a given list of KDC ports                               */
/* ------------------------------------------------------------------ */

static char dir[PATH_MAX];
static char ccpath[PATH_MAX];

static krb_context *make_ctx(const uint16_t *ports, size_t n, int retries)
{
    char conf[PATH_MAX];
    krb_context *c = NULL;
    FILE *f;

    snprintf(conf, sizeof conf, "%s/tessera.conf", dir);
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[libdefaults]\ndefault_realm = %s\nkdc_timeout = 1s\nkdc_retries = %d\n[realm %s]\n", REALM,
            retries, REALM);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "kdc = 127.0.0.1:%u\n", (unsigned)ports[i]);
    }
    fclose(f);
    ck_assert_int_eq(krb_context_new(conf, &c), KRB_OK);
    return c;
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_client.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(ccpath, sizeof ccpath, "%s/cc", dir);
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static krb_time mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (krb_time)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

/* A small plausible request/reply pair for the transport tests. */
static const uint8_t small_req[] = { KRB_MAGIC0, KRB_MAGIC1, KRB_PROTO_VERSION, KRB_MSG_AS_REQ, 1, 2, 3 };
static uint8_t canned_rep[3000];

static void set_canned(struct responder *r, size_t len)
{
    memset(canned_rep, 0xa5, sizeof canned_rep);
    canned_rep[0] = KRB_MAGIC0;
    canned_rep[1] = KRB_MAGIC1;
    canned_rep[2] = KRB_PROTO_VERSION;
    canned_rep[3] = KRB_MSG_AS_REP;
    r->canned = canned_rep;
    r->canned_len = len;
}

/* ------------------------------------------------------------------ */
/* Transport                                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_udp_answer)
{
    struct responder r;
    uint8_t rep[KRB_MSG_MAX];
    size_t n;
    krb_context *c;

    responder_start(&r, B_REPLY, canned_handler);
    set_canned(&r, 100);
    c = make_ctx(&r.port, 1, 2);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, 100);
    ck_assert(memcmp(rep, canned_rep, n) == 0);
    ck_assert_int_eq(r.udp_requests, 1);
    ck_assert_int_eq(r.tcp_requests, 0);
    responder_stop(&r);
    krb_context_free(c);
}
END_TEST

START_TEST(test_failover_dead_to_live)
{
    struct responder r;
    uint8_t rep[KRB_MSG_MAX];
    uint16_t ports[2];
    size_t n;
    krb_context *c;
    krb_time t0;

    responder_start(&r, B_REPLY, canned_handler);
    set_canned(&r, 64);
    ports[0] = dead_port();
    ports[1] = r.port;
    c = make_ctx(ports, 2, 2);
    t0 = mono();
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, 64);
    ck_assert_int_eq(r.udp_requests, 1);
    /* A refused port costs no timeout. */
    ck_assert_int_lt(mono() - t0, SEC / 2);
    responder_stop(&r);
    krb_context_free(c);
}
END_TEST

START_TEST(test_timeout_then_next)
{
    struct responder quiet, live;
    uint8_t rep[KRB_MSG_MAX];
    uint16_t ports[2];
    size_t n;
    krb_context *c;
    krb_time t0, dt;

    responder_start(&quiet, B_SILENT, canned_handler);
    responder_start(&live, B_REPLY, canned_handler);
    set_canned(&live, 80);
    ports[0] = quiet.port;
    ports[1] = live.port;
    c = make_ctx(ports, 2, 2);
    t0 = mono();
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    dt = mono() - t0;
    ck_assert_int_eq(quiet.udp_requests, 1);
    ck_assert_int_eq(live.udp_requests, 1);
    ck_assert_int_ge(dt, SEC - SEC / 10); /* waited kdc_timeout on the silent one */
    ck_assert_int_lt(dt, 2 * SEC);
    responder_stop(&quiet);
    responder_stop(&live);
    krb_context_free(c);
}
END_TEST

START_TEST(test_garbage_is_silence)
{
    struct responder junk, live;
    uint8_t rep[KRB_MSG_MAX];
    uint16_t ports[2];
    size_t n;
    krb_context *c;

    responder_start(&junk, B_GARBAGE, canned_handler);
    responder_start(&live, B_REPLY, canned_handler);
    set_canned(&live, 50);
    ports[0] = junk.port;
    ports[1] = live.port;
    c = make_ctx(ports, 2, 1);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, 50);
    ck_assert_int_eq(junk.udp_requests, 1);
    ck_assert_int_eq(live.udp_requests, 1);
    responder_stop(&junk);
    responder_stop(&live);
    krb_context_free(c);
}
END_TEST

START_TEST(test_all_unreachable)
{
    struct responder quiet;
    uint8_t rep[KRB_MSG_MAX];
    uint16_t ports[2];
    char want[200];
    size_t n;
    krb_context *c;

    responder_start(&quiet, B_SILENT, canned_handler);
    ports[0] = dead_port();
    ports[1] = quiet.port;
    c = make_ctx(ports, 2, 2);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n),
                     KRB_ERR_KDC_UNREACHABLE);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(quiet.udp_requests, 2); /* two rounds */
    snprintf(want, sizeof want,
             "cannot contact any KDC for realm EXAMPLE.ORG (tried 127.0.0.1:%u, 127.0.0.1:%u): is tessera-kdc "
             "running?",
             (unsigned)ports[0], (unsigned)ports[1]);
    ck_assert_str_eq(krb_context_error(c), want);
    responder_stop(&quiet);
    krb_context_free(c);
}
END_TEST

START_TEST(test_no_kdc_configured)
{
    uint8_t rep[64];
    size_t n;
    krb_context *c = make_ctx(NULL, 0, 1);

    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(krb_context_error(c), "[realm EXAMPLE.ORG]"));
    krb_context_free(c);
}
END_TEST

START_TEST(test_tcp_fallback_on_too_big)
{
    struct responder r;
    uint8_t rep[KRB_MSG_MAX];
    size_t n;
    krb_context *c;

    responder_start(&r, B_REPLY, canned_handler);
    set_canned(&r, 2500); /* over KRB_UDP_MAX: UDP answers RESPONSE_TOO_BIG */
    c = make_ctx(&r.port, 1, 1);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, 2500);
    ck_assert(memcmp(rep, canned_rep, n) == 0);
    ck_assert_int_eq(r.udp_requests, 1);
    ck_assert_int_eq(r.tcp_requests, 1);
    ck_assert_uint_eq(r.last_req_len, sizeof small_req); /* the same request, repeated */
    responder_stop(&r);
    krb_context_free(c);
}
END_TEST

START_TEST(test_big_request_goes_tcp)
{
    static uint8_t big[2000];
    struct responder r;
    uint8_t rep[KRB_MSG_MAX];
    size_t n;
    krb_context *c;

    memcpy(big, small_req, sizeof small_req);
    responder_start(&r, B_REPLY, canned_handler);
    set_canned(&r, 40);
    c = make_ctx(&r.port, 1, 1);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, big, sizeof big, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, 40);
    ck_assert_int_eq(r.udp_requests, 0);
    ck_assert_int_eq(r.tcp_requests, 1);
    ck_assert_uint_eq(r.last_req_len, sizeof big);
    responder_stop(&r);
    krb_context_free(c);
}
END_TEST

START_TEST(test_error_is_an_answer)
{
    struct responder first, second;
    uint8_t rep[KRB_MSG_MAX], err[600];
    uint16_t ports[2];
    size_t n, elen = encode_error(KRB_ERR_POLICY, NULL, 0, err, sizeof err);
    krb_context *c;

    responder_start(&first, B_REPLY, canned_handler);
    first.canned = err;
    first.canned_len = elen;
    responder_start(&second, B_REPLY, canned_handler);
    set_canned(&second, 30);
    ports[0] = first.port;
    ports[1] = second.port;
    c = make_ctx(ports, 2, 1);
    ck_assert_int_eq(krb_sendto_kdc(c, REALM, small_req, sizeof small_req, rep, sizeof rep, &n), KRB_OK);
    ck_assert_uint_eq(n, elen);
    ck_assert_int_eq(second.udp_requests, 0); /* no failover after an answer */
    responder_stop(&first);
    responder_stop(&second);
    krb_context_free(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A miniature KDC                                                      */
/* ------------------------------------------------------------------ */

enum fault {
    F_NONE,
    F_NONCE,       /* reply nonce differs */
    F_REQ_HASH,    /* reply hashes other bytes */
    F_SERVER,      /* sealed part names another server */
    F_CLIENT,      /* reply for another client */
    F_ERR_UNKNOWN, /* C_PRINCIPAL_UNKNOWN / S_PRINCIPAL_UNKNOWN */
    F_ERR_REVOKED,
    F_ERR_SKEW,
    F_NO_PREAUTH,  /* KDC does not require pre-authentication */
    F_HUGE_COST,   /* hint asks for an absurd Argon2id cost */
};

static struct {
    struct krb_key tgt_key;
    struct krb_pa_hint hint;
    enum fault as_fault, tgs_fault;
    uint32_t svc_kvno;
    int as_with_pa, as_without_pa, tgs;
    uint32_t last_options;
} kdc;

static void kdc_reset(void)
{
    memset(&kdc, 0, sizeof kdc);
    ck_assert_int_eq(krb_key_random(&kdc.tgt_key, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    kdc.hint.suite = KRB_SUITE_XCHACHA20POLY1305;
    kdc.hint.kvno = 1;
    krb_random_bytes(kdc.hint.salt, sizeof kdc.hint.salt);
    kdc.hint.ops = KRB_PW_OPS_MIN;
    kdc.hint.memkib = KRB_PW_MEMKIB_MIN;
    kdc.svc_kvno = 5;
}

static size_t kdc_as(const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    struct krb_as_req ar;
    struct krb_key ck, skey;
    struct krb_ticket_part tp;
    struct krb_kdc_rep_part rp;
    uint8_t ticket[KRB_TICKET_MAX], hb[64];
    struct krb_wr w;
    krb_time now = krb_system_time(), ts;
    size_t tlen;

    memset(&tp, 0, sizeof tp);
    memset(&rp, 0, sizeof rp);
    ck_assert_int_eq(krb_as_req_decode(req, len, &ar), KRB_OK);
    ck_assert_str_eq(ar.body.server, TGS);
    if (kdc.as_fault == F_ERR_UNKNOWN) {
        return encode_error(KRB_ERR_C_PRINCIPAL_UNKNOWN, NULL, 0, out, cap);
    }
    if (kdc.as_fault == F_ERR_REVOKED) {
        return encode_error(KRB_ERR_CLIENT_REVOKED, NULL, 0, out, cap);
    }
    if (kdc.as_fault == F_HUGE_COST) {
        struct krb_pa_hint h = kdc.hint;
        h.memkib = KRB_PW_MEMKIB_MAX * 4;
        krb_wr_init(&w, hb, sizeof hb);
        krb_pa_hint_encode(&w, &h);
        return encode_error(KRB_ERR_PREAUTH_REQUIRED, hb, w.len, out, cap);
    }
    ck_assert_int_eq(krb_password_key(&ck, kdc.hint.suite, PASSWORD, kdc.hint.salt, kdc.hint.ops, kdc.hint.memkib),
                     KRB_OK);
    if (!ar.has_pa) {
        kdc.as_without_pa++;
        if (kdc.as_fault != F_NO_PREAUTH) {
            krb_wr_init(&w, hb, sizeof hb);
            krb_pa_hint_encode(&w, &kdc.hint);
            return encode_error(KRB_ERR_PREAUTH_REQUIRED, hb, w.len, out, cap);
        }
    } else {
        kdc.as_with_pa++;
        ck_assert_uint_eq(ar.pa_kvno, kdc.hint.kvno);
        if (krb_as_req_open_pa(&ar, &ck, &ts) != KRB_OK) {
            return encode_error(KRB_ERR_PREAUTH_FAILED, NULL, 0, out, cap);
        }
        if (kdc.as_fault == F_ERR_SKEW) {
            return encode_error(KRB_ERR_SKEW, NULL, 0, out, cap);
        }
    }
    kdc.last_options = ar.body.options;
    ck_assert_int_eq(krb_key_random(&tp.session, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    snprintf(tp.client, sizeof tp.client, "%s", ar.body.client);
    tp.flags = KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH;
    tp.authtime = tp.starttime = now;
    tp.endtime = now + 10 * 3600 * SEC;
    if (ar.body.options & KRB_KDC_OPT_RENEWABLE) {
        tp.flags |= KRB_TKT_FLAG_RENEWABLE;
        tp.renew_till = ar.body.rtime;
    }
    krb_wr_init(&w, ticket, sizeof ticket);
    skey = kdc.tgt_key;
    krb_ticket_encode(&w, TGS, 1, &skey, &tp);
    ck_assert_int_eq(w.err, KRB_OK);
    tlen = w.len;

    rp.session = tp.session;
    rp.nonce = ar.body.nonce + (kdc.as_fault == F_NONCE ? 1 : 0);
    rp.flags = tp.flags;
    rp.authtime = tp.authtime;
    rp.starttime = tp.starttime;
    rp.endtime = tp.endtime;
    rp.renew_till = tp.renew_till;
    snprintf(rp.server, sizeof rp.server, "%s", kdc.as_fault == F_SERVER ? "krbtgt/OTHER.ORG@OTHER.ORG" : TGS);
    krb_hash(rp.req_hash, req, kdc.as_fault == F_REQ_HASH ? len - 1 : len);
    krb_wr_init(&w, out, cap);
    krb_kdc_rep_encode(&w, KRB_MSG_AS_REP, kdc.as_fault == F_CLIENT ? "mallory@EXAMPLE.ORG" : ar.body.client,
                       ticket, tlen, &kdc.hint, &ck, &rp);
    ck_assert_int_eq(w.err, KRB_OK);
    krb_key_wipe(&ck);
    return w.len;
}

static size_t kdc_tgs(const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    struct krb_tgs_req tr;
    struct krb_ticket_part tgt, np;
    struct krb_authenticator a;
    struct krb_key svc;
    struct krb_kdc_rep_part rp;
    uint8_t ticket[KRB_TICKET_MAX], h[KRB_HASH_BYTES];
    struct krb_wr w;
    krb_time now = krb_system_time();
    size_t tlen;
    int renew;

    memset(&np, 0, sizeof np);
    memset(&rp, 0, sizeof rp);
    kdc.tgs++;
    ck_assert_int_eq(krb_tgs_req_decode(req, len, &tr), KRB_OK);
    ck_assert_int_eq(krb_ticket_open(&tr.ap.ticket, &kdc.tgt_key, &tgt), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&tr.ap, &tgt.session, KRB_USAGE_TGS_AUTH, &a), KRB_OK);
    ck_assert_str_eq(a.client, tgt.client);
    ck_assert(a.has_cksum);
    krb_hash(h, tr.body_bytes, tr.body_len);
    ck_assert(memcmp(h, a.cksum, sizeof h) == 0);
    kdc.last_options = tr.body.options;
    renew = (tr.body.options & KRB_KDC_OPT_RENEW) != 0;
    if (kdc.tgs_fault == F_ERR_UNKNOWN || strncmp(tr.body.server, "nosuch/", 7) == 0) {
        return encode_error(KRB_ERR_S_PRINCIPAL_UNKNOWN, NULL, 0, out, cap);
    }
    if (renew && !(tgt.flags & KRB_TKT_FLAG_RENEWABLE)) {
        return encode_error(KRB_ERR_NOT_RENEWABLE, NULL, 0, out, cap);
    }
    ck_assert_int_eq(krb_key_random(&np.session, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    snprintf(np.client, sizeof np.client, "%s", tgt.client);
    np.authtime = tgt.authtime;
    np.starttime = now;
    np.endtime = renew ? tgt.endtime + 60 * SEC : now + 3600 * SEC;
    np.flags = renew ? tgt.flags : 0;
    np.renew_till = renew ? tgt.renew_till : 0;
    krb_wr_init(&w, ticket, sizeof ticket);
    if (renew) {
        krb_ticket_encode(&w, TGS, 1, &kdc.tgt_key, &np);
    } else {
        ck_assert_int_eq(krb_key_random(&svc, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
        krb_ticket_encode(&w, tr.body.server, kdc.svc_kvno, &svc, &np);
    }
    ck_assert_int_eq(w.err, KRB_OK);
    tlen = w.len;
    rp.session = np.session;
    rp.nonce = tr.body.nonce + (kdc.tgs_fault == F_NONCE ? 1 : 0);
    rp.flags = np.flags;
    rp.authtime = np.authtime;
    rp.starttime = np.starttime;
    rp.endtime = np.endtime;
    rp.renew_till = np.renew_till;
    snprintf(rp.server, sizeof rp.server, "%s", kdc.tgs_fault == F_SERVER ? "other/svc@EXAMPLE.ORG" : tr.body.server);
    krb_hash(rp.req_hash, req, kdc.tgs_fault == F_REQ_HASH ? len - 1 : len);
    krb_wr_init(&w, out, cap);
    krb_kdc_rep_encode(&w, KRB_MSG_TGS_REP, tgt.client, ticket, tlen, NULL, a.has_subkey ? &a.subkey : &tgt.session,
                       &rp);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

static size_t kdc_handler(struct responder *r, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
    uint8_t type;

    (void)r;
    ck_assert_int_eq(krb_msg_peek_type(req, len, &type), KRB_OK);
    if (type == KRB_MSG_AS_REQ) {
        return kdc_as(req, len, out, cap);
    }
    ck_assert_uint_eq(type, KRB_MSG_TGS_REQ);
    return kdc_tgs(req, len, out, cap);
}

struct fixture {
    struct responder r;
    krb_context *c;
    krb_ccache *cc;
};

static void fx_start(struct fixture *f)
{
    kdc_reset();
    responder_start(&f->r, B_REPLY, kdc_handler);
    f->c = make_ctx(&f->r.port, 1, 1);
    ck_assert_int_eq(krb_cc_open(f->c, ccpath, &f->cc), KRB_OK);
}

static void fx_stop(struct fixture *f)
{
    responder_stop(&f->r);
    krb_cc_free(f->cc);
    krb_context_free(f->c);
}

/* ------------------------------------------------------------------ */
/* AS exchange                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_as_success)
{
    struct fixture f;
    krb_cred_info info;
    krb_init_opts o = { .lifetime = 3600 * SEC, .renew_life = 7 * 86400 * SEC };
    struct stat st;

    fx_start(&f);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, "alice", PASSWORD, &o, f.cc), KRB_OK);
    ck_assert_int_eq(kdc.as_without_pa, 1);
    ck_assert_int_eq(kdc.as_with_pa, 1);
    ck_assert_uint_eq(kdc.last_options, KRB_KDC_OPT_RENEWABLE);
    ck_assert_str_eq(krb_cc_principal(f.cc), ALICE);
    ck_assert_uint_eq(krb_cc_count(f.cc), 1);
    ck_assert_int_eq(krb_cc_get_info(f.cc, 0, &info), KRB_OK);
    ck_assert_str_eq(info.server, TGS);
    ck_assert_uint_eq(info.flags, KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH | KRB_TKT_FLAG_RENEWABLE);
    ck_assert_uint_eq(info.kvno, 1);
    ck_assert_int_eq(stat(ccpath, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    fx_stop(&f);
}
END_TEST

START_TEST(test_as_without_preauth_required)
{
    struct fixture f;

    fx_start(&f);
    kdc.as_fault = F_NO_PREAUTH;
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, NULL, f.cc), KRB_OK);
    ck_assert_int_eq(kdc.as_without_pa, 1);
    ck_assert_int_eq(kdc.as_with_pa, 0);
    /* Without pre-authentication only the reply shows a wrong password. */
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, "wrong", NULL, f.cc), KRB_ERR_PREAUTH_FAILED);
    ck_assert_str_eq(krb_context_error(f.c), "password incorrect for alice@EXAMPLE.ORG");
    fx_stop(&f);
}
END_TEST

static const struct {
    const char *what;
    enum fault fault;
    const char *password;
    krb_err want;
    const char *detail;
} as_rows[] = {
    { "wrong password", F_NONE, "wrong", KRB_ERR_PREAUTH_FAILED, "password incorrect for alice@EXAMPLE.ORG" },
    { "unknown client", F_ERR_UNKNOWN, PASSWORD, KRB_ERR_C_PRINCIPAL_UNKNOWN,
      "client alice@EXAMPLE.ORG not found in Kerberos database" },
    { "locked out", F_ERR_REVOKED, PASSWORD, KRB_ERR_CLIENT_REVOKED,
      "alice@EXAMPLE.ORG is locked out (too many failures or disabled): ask an administrator" },
    { "clock skew", F_ERR_SKEW, PASSWORD, KRB_ERR_SKEW,
      "clock skew too great between this host and the KDC: fix the clock" },
    { "nonce mismatch", F_NONCE, PASSWORD, KRB_ERR_NONCE,
      "AS reply for alice@EXAMPLE.ORG does not match the request (nonce)" },
    { "request hash mismatch", F_REQ_HASH, PASSWORD, KRB_ERR_REQ_MODIFIED,
      "AS request for alice@EXAMPLE.ORG was modified in transit (the KDC saw other bytes than were sent)" },
    { "wrong server", F_SERVER, PASSWORD, KRB_ERR_WRONG_PRINC,
      "AS reply carries a ticket for krbtgt/OTHER.ORG@OTHER.ORG, not krbtgt/EXAMPLE.ORG@EXAMPLE.ORG" },
    { "wrong client", F_CLIENT, PASSWORD, KRB_ERR_WRONG_PRINC,
      "AS reply is for mallory@EXAMPLE.ORG, not alice@EXAMPLE.ORG" },
    { "absurd cost", F_HUGE_COST, PASSWORD, KRB_ERR_POLICY, NULL },
};

START_TEST(test_as_rejections)
{
    struct fixture f;
    krb_err rc;

    fx_start(&f);
    kdc.as_fault = as_rows[_i].fault;
    rc = krb_get_init_creds_password(f.c, ALICE, as_rows[_i].password, NULL, f.cc);
    ck_assert_msg(rc == as_rows[_i].want, "row '%s': got %s (%s)", as_rows[_i].what, krb_err_name(rc),
                  krb_context_error(f.c));
    if (as_rows[_i].detail != NULL) {
        ck_assert_str_eq(krb_context_error(f.c), as_rows[_i].detail);
    }
    /* Nothing was stored. */
    ck_assert_int_eq(access(ccpath, F_OK), -1);
    fx_stop(&f);
}
END_TEST

START_TEST(test_as_bad_name)
{
    struct fixture f;

    fx_start(&f);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, "a@@b", PASSWORD, NULL, f.cc), KRB_ERR_BAD_NAME);
    ck_assert_int_eq(kdc.as_without_pa, 0);
    fx_stop(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* TGS exchange                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_tgs_service_ticket_and_cache_hit)
{
    struct fixture f;
    krb_cred_info info;

    fx_start(&f);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, NULL, f.cc), KRB_OK);
    ck_assert_int_eq(krb_get_service_ticket(f.c, f.cc, "http/web1", &info), KRB_OK);
    ck_assert_str_eq(info.server, "http/web1@EXAMPLE.ORG");
    ck_assert_str_eq(info.client, ALICE);
    ck_assert_uint_eq(info.kvno, 5);
    ck_assert_int_eq(kdc.tgs, 1);
    ck_assert_uint_eq(krb_cc_count(f.cc), 2);
    /* Second time: from the cache, no request. */
    ck_assert_int_eq(krb_get_service_ticket(f.c, f.cc, "http/web1@EXAMPLE.ORG", NULL), KRB_OK);
    ck_assert_int_eq(kdc.tgs, 1);
    /* The file holds it too. */
    krb_cc_free(f.cc);
    ck_assert_int_eq(krb_cc_open(f.c, ccpath, &f.cc), KRB_OK);
    ck_assert_uint_eq(krb_cc_count(f.cc), 2);
    fx_stop(&f);
}
END_TEST

static const struct {
    const char *what;
    enum fault fault;
    const char *server;
    krb_err want;
    const char *detail;
} tgs_rows[] = {
    { "unknown service", F_NONE, "nosuch/host", KRB_ERR_S_PRINCIPAL_UNKNOWN,
      "service nosuch/host@EXAMPLE.ORG not found in Kerberos database" },
    { "nonce mismatch", F_NONCE, "http/web1", KRB_ERR_NONCE,
      "TGS reply for http/web1@EXAMPLE.ORG does not match the request (nonce)" },
    { "request hash mismatch", F_REQ_HASH, "http/web1", KRB_ERR_REQ_MODIFIED,
      "TGS request for http/web1@EXAMPLE.ORG was modified in transit (the KDC saw other bytes than were sent)" },
    { "wrong server", F_SERVER, "http/web1", KRB_ERR_WRONG_PRINC,
      "TGS reply carries a ticket for other/svc@EXAMPLE.ORG, not http/web1@EXAMPLE.ORG" },
};

START_TEST(test_tgs_rejections)
{
    struct fixture f;
    krb_err rc;

    fx_start(&f);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, NULL, f.cc), KRB_OK);
    kdc.tgs_fault = tgs_rows[_i].fault;
    rc = krb_get_service_ticket(f.c, f.cc, tgs_rows[_i].server, NULL);
    ck_assert_msg(rc == tgs_rows[_i].want, "row '%s': got %s (%s)", tgs_rows[_i].what, krb_err_name(rc),
                  krb_context_error(f.c));
    ck_assert_str_eq(krb_context_error(f.c), tgs_rows[_i].detail);
    ck_assert_uint_eq(krb_cc_count(f.cc), 1); /* only the TGT */
    fx_stop(&f);
}
END_TEST

static krb_time late_clock(void *arg)
{
    return krb_system_time() + *(krb_time *)arg;
}

START_TEST(test_tgs_needs_tgt)
{
    struct fixture f;
    krb_time ahead = 11 * 3600 * SEC;

    fx_start(&f);
    ck_assert_int_eq(krb_get_service_ticket(f.c, f.cc, "http/web1", NULL), KRB_ERR_NO_CREDS);
    ck_assert_ptr_nonnull(strstr(krb_context_error(f.c), "run tkinit"));
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, NULL, f.cc), KRB_OK);
    /* An expired TGT is refused locally, without a request. */
    krb_context_set_clock(f.c, late_clock, &ahead);
    ck_assert_int_eq(krb_get_service_ticket(f.c, f.cc, "http/web1", NULL), KRB_ERR_TKT_EXPIRED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(f.c), "ticket-granting ticket for alice@EXAMPLE.ORG expired"));
    ck_assert_int_eq(kdc.tgs, 0);
    /* Cross-realm is not supported. */
    krb_context_set_clock(f.c, NULL, NULL);
    ck_assert_int_eq(krb_get_service_ticket(f.c, f.cc, "http/web1@OTHER.ORG", NULL), KRB_ERR_WRONG_REALM);
    fx_stop(&f);
}
END_TEST

START_TEST(test_renew)
{
    struct fixture f;
    krb_init_opts o = { .renew_life = 86400 * SEC };
    krb_cred_info before, after;

    fx_start(&f);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, NULL, f.cc), KRB_OK);
    ck_assert_int_eq(krb_renew_tgt(f.c, f.cc), KRB_ERR_NOT_RENEWABLE);
    ck_assert_int_eq(kdc.tgs, 0);
    ck_assert_int_eq(krb_get_init_creds_password(f.c, ALICE, PASSWORD, &o, f.cc), KRB_OK);
    ck_assert_int_eq(krb_cc_get_info(f.cc, 0, &before), KRB_OK);
    ck_assert_int_eq(krb_renew_tgt(f.c, f.cc), KRB_OK);
    ck_assert_int_eq(kdc.tgs, 1);
    ck_assert_uint_eq(kdc.last_options, KRB_KDC_OPT_RENEW);
    ck_assert_uint_eq(krb_cc_count(f.cc), 1);
    ck_assert_int_eq(krb_cc_get_info(f.cc, 0, &after), KRB_OK);
    ck_assert_str_eq(after.server, TGS);
    ck_assert(after.endtime == before.endtime + 60 * SEC);
    ck_assert(after.renew_till == before.renew_till);
    fx_stop(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client");
    TCase *tt = tcase_create("transport");
    TCase *tx = tcase_create("exchanges");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tt, 30);
    tcase_set_timeout(tx, 30);
    tcase_add_checked_fixture(tt, setup, teardown);
    tcase_add_checked_fixture(tx, setup, teardown);
    tcase_add_test(tt, test_udp_answer);
    tcase_add_test(tt, test_failover_dead_to_live);
    tcase_add_test(tt, test_timeout_then_next);
    tcase_add_test(tt, test_garbage_is_silence);
    tcase_add_test(tt, test_all_unreachable);
    tcase_add_test(tt, test_no_kdc_configured);
    tcase_add_test(tt, test_tcp_fallback_on_too_big);
    tcase_add_test(tt, test_big_request_goes_tcp);
    tcase_add_test(tt, test_error_is_an_answer);
    tcase_add_test(tx, test_as_success);
    tcase_add_test(tx, test_as_without_preauth_required);
    tcase_add_loop_test(tx, test_as_rejections, 0, sizeof as_rows / sizeof as_rows[0]);
    tcase_add_test(tx, test_as_bad_name);
    tcase_add_test(tx, test_tgs_service_ticket_and_cache_hit);
    tcase_add_loop_test(tx, test_tgs_rejections, 0, sizeof tgs_rows / sizeof tgs_rows[0]);
    tcase_add_test(tx, test_tgs_needs_tgt);
    tcase_add_test(tx, test_renew);
    suite_add_tcase(s, tt);
    suite_add_tcase(s, tx);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
