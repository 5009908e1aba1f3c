/*
 * tkbench — load generator and micro-benchmarks for Tessera, in the spirit
 * of redis-benchmark. See docs/PERFORMANCE.md.
 *
 *   tkbench as   [opts] -u principal     AS exchanges (pre-authenticated)
 *   tkbench tgs  [opts] -u principal -s service
 *   tkbench ap   [opts]                  in-process AP-REQ make + verify
 *   tkbench wrap [opts]                  in-process wrap/unwrap throughput
 *
 * Network modes talk to the first KDC of the default realm over UDP, one
 * connected socket per thread. The client's Argon2id cost is paid once per
 * thread (the key is derived from the first PREAUTH_REQUIRED hint), so the
 * figures measure the KDC. Every reply is fully verified (nonce, request
 * hash, decryption) exactly as the library does.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>

#include "ap.h"
#include "codec.h"
#include "config.h"
#include "context.h"
#include "crypto.h"
#include "krb.h"
#include "name.h"
#include "rcache.h"
#include "sec_context.h"

#define HIST_US 200000 /* latency histogram: 1 µs buckets up to 200 ms */
#define BENCH_WINDOW_MAX 64 /* requests in flight per thread */

struct opts {
    const char *mode;
    const char *config;
    const char *client;
    const char *service;
    char password[256];
    int threads;
    int window;
    uint32_t nservices; /* -S: service names from a pattern */
    double seconds;
    uint64_t requests;
    long kdc_pid;
};

struct worker {
    pthread_t tid;
    const struct opts *o;
    krb_context *ctx;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint64_t ok, errors, timeouts;
    uint32_t *hist; /* HIST_US + 1 buckets, the last one is overflow */
    char err[256];
};

static volatile int stop_flag;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: tkbench as|tgs|ap|wrap [-c config] [-t threads] [-w window] [-d seconds] [-n requests]\n"
                    "               [-u client] [-s service] [-P kdc-pid] [--password-stdin]\n"
                    "  as   AS exchanges with pre-authentication against the realm's first KDC\n"
                    "  tgs  TGS exchanges for -s service with a TGT obtained once per thread\n"
                    "  ap   in-process AP-REQ creation + verification (with/without replay cache, AP-REP)\n"
                    "  wrap in-process wrap/unwrap throughput for 64 B, 1 KiB and 64 KiB messages\n"
                    "  -w n: requests in flight per thread (as, tgs; default 1), one UDP socket each\n"
                    "  -S n: tgs for n services: the run of '#' in -s becomes a random index below n\n"
                    "        (e.g. -s 'user#######@BENCH.TEST' -S 100000)\n"
                    "  -P pid: report the KDC's CPU microseconds per request from /proc\n");
    exit(2);
}

/* Resolve the first KDC address of the default realm. */
static int kdc_address(krb_context *c, struct sockaddr_storage *ss, socklen_t *len)
{
    char sect[KRB_REALM_MAX + 8], host[256], port[8];
    const char *a;
    uint16_t p;
    struct addrinfo hints, *res = NULL;

    snprintf(sect, sizeof sect, "realm %s", krb_default_realm(c));
    a = krb_config_nth(c->cfg, sect, "kdc", 0);
    if (a == NULL) {
        fprintf(stderr, "tkbench: no 'kdc =' line for realm %s in the configuration\n", krb_default_realm(c));
        return -1;
    }
    if (krb_parse_hostport(c, a, host, sizeof host, &p) != KRB_OK) {
        fprintf(stderr, "tkbench: %s\n", krb_context_error(c));
        return -1;
    }
    snprintf(port, sizeof port, "%u", p);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
        fprintf(stderr, "tkbench: cannot resolve KDC address %s (numeric addresses only)\n", a);
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* One UDP round trip; returns the reply length, 0 on timeout, -1 on error. */
static ssize_t roundtrip(int fd, const uint8_t *req, size_t len, uint8_t *rep, size_t cap)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    ssize_t n;

    if (send(fd, req, len, 0) != (ssize_t)len) {
        return -1;
    }
    for (;;) {
        int r = poll(&pfd, 1, 2000);
        if (r == 0) {
            return 0;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        n = recv(fd, rep, cap, 0);
        return n < 0 ? -1 : n;
    }
}
struct session {
    struct krb_key client_key;
    uint32_t client_kvno;
    uint8_t tgt[KRB_TICKET_MAX];
    size_t tgt_len;
    struct krb_key tgt_session;
    char tgs[KRB_NAME_MAX + 1]; /* krbtgt/REALM@REALM of the client */
};

/* One request in flight: its own connected UDP socket, so a reply is
 * matched to its request by the socket it arrives on. */
struct slot {
    int fd;
    int busy;
    double t0;
    uint32_t nonce;
    size_t len;
    uint8_t req[KRB_TICKET_MAX + 2048];
};

/* Decode an ERROR reply into a message for the worker. */
static void note_error(struct worker *w, const uint8_t *rep, size_t n)
{
    struct krb_error_msg e;

    if (krb_error_decode(rep, n, &e) == KRB_OK) {
        snprintf(w->err, sizeof w->err, "KDC error %s (%s)", krb_err_name((krb_err)e.code), e.text);
    } else {
        snprintf(w->err, sizeof w->err, "unparseable reply of %zu bytes", n);
    }
}

/*
 * Build a fresh request into sl: an AS-REQ with PA under s->client_key
 * (with_pa) or without, or a TGS-REQ for the service with a new
 * authenticator. Nonce and authenticator sequence number come from one
 * random draw. Returns 0, or -1 if the request does not encode.
 */
static int build_req(struct worker *w, struct session *s, int is_tgs, int with_pa, struct slot *sl)
{
    struct krb_kdc_req_body body;
    struct krb_authenticator a;
    struct krb_wr wr;
    uint8_t rnd[16];

    krb_random_bytes(rnd, sizeof rnd);
    memset(&body, 0, sizeof body);
    snprintf(body.server, sizeof body.server, "%s", is_tgs ? w->o->service : s->tgs);
    if (is_tgs && w->o->nservices > 0) {
        /* the run of '#' in the pattern becomes a random index, zero-padded */
        char *h = strchr(body.server, '#');
        uint32_t v;
        memcpy(&v, rnd + 12, sizeof v);
        v %= w->o->nservices;
        if (h != NULL) {
            size_t n = strspn(h, "#");
            while (n-- > 0) {
                h[n] = (char)('0' + v % 10);
                v /= 10;
            }
        }
    }
    memcpy(&body.nonce, rnd, sizeof body.nonce);
    body.nsuites = (uint8_t)krb_suite_defaults(body.suites);
    sl->nonce = body.nonce;
    krb_wr_init(&wr, sl->req, sizeof sl->req);
    if (is_tgs) {
        memset(&a, 0, sizeof a);
        snprintf(a.client, sizeof a.client, "%s", w->o->client);
        a.ctime = krb_now(w->ctx);
        memcpy(&a.seq, rnd + 4, sizeof a.seq);
        krb_tgs_req_encode(&wr, &body, s->tgt, s->tgt_len, &s->tgt_session, &a);
    } else {
        snprintf(body.client, sizeof body.client, "%s", w->o->client);
        krb_as_req_encode(&wr, &body, with_pa ? &s->client_key : NULL, s->client_kvno,
                          with_pa ? krb_now(w->ctx) : 0);
    }
    sl->len = wr.len;
    return wr.err == KRB_OK ? 0 : -1;
}

/*
 * Verify a reply to sl's request exactly as the library does: decode,
 * decrypt with the client key (AS) or TGT session key (TGS), nonce and
 * request hash. Returns 1 on a verified reply, 0 otherwise (w->err says
 * why). keep_tgt stores the TGT of an AS-REP in s.
 */
static int check_rep(struct worker *w, struct session *s, int is_tgs, const struct slot *sl, const uint8_t *rep,
                     size_t n, int keep_tgt)
{
    uint8_t type = is_tgs ? KRB_MSG_TGS_REP : KRB_MSG_AS_REP;
    const struct krb_key *key = is_tgs ? &s->tgt_session : &s->client_key;
    struct krb_kdc_rep kr;
    struct krb_kdc_rep_part part;
    uint8_t h[KRB_HASH_BYTES];
    int rc = 0;

    if (krb_kdc_rep_decode(rep, n, type, &kr) != KRB_OK) {
        note_error(w, rep, n);
        return 0;
    }
    if (krb_kdc_rep_open(&kr, key, &part) != KRB_OK) {
        snprintf(w->err, sizeof w->err, "%s does not open with the %s", is_tgs ? "TGS-REP" : "AS-REP",
                 is_tgs ? "TGT session key" : "client key");
        goto out;
    }
    krb_hash(h, sl->req, sl->len);
    if (part.nonce != sl->nonce || !krb_ct_equal(h, part.req_hash, sizeof h)) {
        snprintf(w->err, sizeof w->err, "reply nonce or request hash mismatch");
        goto out;
    }
    if (keep_tgt) {
        memcpy(s->tgt, kr.ticket, kr.ticket_len);
        s->tgt_len = kr.ticket_len;
        s->tgt_session = part.session;
    }
    rc = 1;
out:
    krb_wipe(&part, sizeof part);
    return rc;
}

/* First AS round trip without PA: learn salt and cost, derive the key;
 * then one pre-authenticated AS exchange for the TGT. */
static int login(struct worker *w, struct slot *sl, struct session *s)
{
    uint8_t rep[KRB_MSG_MAX];
    struct krb_error_msg e;
    struct krb_pa_hint hint;
    ssize_t n;

    if (krb_name_tgs(s->tgs, krb_name_realm(w->o->client)) != KRB_OK) {
        snprintf(w->err, sizeof w->err, "bad client name %s", w->o->client);
        return -1;
    }
    if (build_req(w, s, 0, 0, sl) != 0 || (n = roundtrip(sl->fd, sl->req, sl->len, rep, sizeof rep)) <= 0) {
        snprintf(w->err, sizeof w->err, "no answer from the KDC");
        return -1;
    }
    if (krb_error_decode(rep, (size_t)n, &e) != KRB_OK || e.code != KRB_ERR_PREAUTH_REQUIRED ||
        krb_pa_hint_decode(e.edata, e.edata_len, &hint) != KRB_OK) {
        note_error(w, rep, (size_t)n);
        return -1;
    }
    if (krb_password_key(&s->client_key, hint.suite, w->o->password, hint.salt, hint.ops, hint.memkib) != KRB_OK) {
        snprintf(w->err, sizeof w->err, "cannot derive the password key (cost out of bounds?)");
        return -1;
    }
    s->client_kvno = hint.kvno;
    if (build_req(w, s, 0, 1, sl) != 0 || (n = roundtrip(sl->fd, sl->req, sl->len, rep, sizeof rep)) <= 0 ||
        check_rep(w, s, 0, sl, rep, (size_t)n, 1) != 1) {
        if (w->err[0] == '\0') {
            snprintf(w->err, sizeof w->err, "AS exchange failed");
        }
        return -1;
    }
    return 0;
}

static int slot_socket(struct worker *w, struct slot *sl)
{
    if (sl->fd >= 0) {
        close(sl->fd);
    }
    sl->fd = socket(w->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sl->fd < 0 || connect(sl->fd, (struct sockaddr *)&w->addr, w->addrlen) != 0) {
        snprintf(w->err, sizeof w->err, "cannot open a UDP socket to the KDC: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Build and send a new request on sl. 0, or -1 (counted as an error). */
static int slot_send(struct worker *w, struct session *s, int is_tgs, struct slot *sl)
{
    if (build_req(w, s, is_tgs, 1, sl) != 0) {
        snprintf(w->err, sizeof w->err, "request does not encode");
        return -1;
    }
    sl->t0 = mono();
    if (send(sl->fd, sl->req, sl->len, 0) != (ssize_t)sl->len) {
        snprintf(w->err, sizeof w->err, "send: %s", strerror(errno));
        return -1;
    }
    sl->busy = 1;
    return 0;
}

#define BENCH_TIMEOUT 2.0 /* seconds without a reply: a timeout */

/*
 * One thread: o->window requests in flight, each on its own socket. A
 * verified reply is answered at once with a new request until the time
 * (or request count) is up; then the thread waits up to BENCH_TIMEOUT for
 * the replies still due. Buffers are per slot and reused.
 */
static void *net_worker(void *arg)
{
    struct worker *w = arg;
    const struct opts *o = w->o;
    struct session s;
    struct slot *sl = calloc((size_t)o->window, sizeof *sl);
    struct pollfd *pfd = calloc((size_t)o->window, sizeof *pfd);
    uint8_t *rep = malloc(KRB_MSG_MAX);
    int is_tgs = strcmp(o->mode, "tgs") == 0, inflight = 0, sending = 1;
    uint64_t limit = o->requests / (uint64_t)o->threads, sent = 0;
    double end = mono() + o->seconds;

    memset(&s, 0, sizeof s);
    if (sl == NULL || pfd == NULL || rep == NULL) {
        snprintf(w->err, sizeof w->err, "out of memory");
        w->errors++;
        goto out;
    }
    for (int i = 0; i < o->window; i++) {
        sl[i].fd = -1;
    }
    for (int i = 0; i < o->window; i++) {
        if (slot_socket(w, &sl[i]) != 0) {
            w->errors++;
            goto out;
        }
        pfd[i].fd = sl[i].fd;
        pfd[i].events = POLLIN;
    }
    if (login(w, &sl[0], &s) != 0) {
        w->errors++;
        goto out;
    }
    for (;;) {
        double now = mono();
        int r;

        if (sending && (stop_flag || (limit != 0 ? sent >= limit : now >= end))) {
            sending = 0;
        }
        for (int i = 0; i < o->window; i++) {
            if (!sl[i].busy && sending && (limit == 0 || sent < limit)) {
                if (slot_send(w, &s, is_tgs, &sl[i]) != 0) {
                    w->errors++;
                    continue;
                }
                sent++;
                inflight++;
            } else if (sl[i].busy && now - sl[i].t0 > BENCH_TIMEOUT) {
                /* a late reply must not meet the next request: new socket */
                w->timeouts++;
                w->hist[HIST_US]++;
                sl[i].busy = 0;
                inflight--;
                if (slot_socket(w, &sl[i]) != 0) {
                    w->errors++;
                    goto out;
                }
                pfd[i].fd = sl[i].fd;
            }
        }
        if (inflight == 0) {
            if (!sending) {
                break;
            }
            continue;
        }
        r = poll(pfd, (nfds_t)o->window, 100);
        if (r < 0 && errno != EINTR) {
            snprintf(w->err, sizeof w->err, "poll: %s", strerror(errno));
            w->errors++;
            break;
        }
        for (int i = 0; i < o->window && r > 0; i++) {
            ssize_t n;
            uint64_t us;

            if (!(pfd[i].revents & (POLLIN | POLLERR))) {
                continue;
            }
            n = recv(sl[i].fd, rep, KRB_MSG_MAX, MSG_DONTWAIT);
            if (n <= 0 || !sl[i].busy) {
                continue; /* nothing after all, a stray datagram, or an ICMP error (the slot times out) */
            }
            us = (uint64_t)((mono() - sl[i].t0) * 1e6);
            w->hist[us < HIST_US ? us : HIST_US]++;
            if (check_rep(w, &s, is_tgs, &sl[i], rep, (size_t)n, 0) == 1) {
                w->ok++;
            } else {
                w->errors++;
            }
            sl[i].busy = 0;
            inflight--;
        }
    }
out:
    if (sl != NULL) {
        for (int i = 0; i < o->window; i++) {
            if (sl[i].fd >= 0) {
                close(sl[i].fd);
            }
        }
        krb_wipe(sl, (size_t)o->window * sizeof *sl);
    }
    free(sl);
    free(pfd);
    free(rep);
    krb_wipe(&s, sizeof s);
    return NULL;
}
/* user + system CPU of this process, in microseconds. */
static int64_t self_cpu_us(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return -1;
    }
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* utime + stime of a process in microseconds, from /proc/PID/stat. */
static int64_t proc_cpu_us(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (int64_t)((ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static uint64_t percentile(const uint32_t *hist, uint64_t total, double q)
{
    uint64_t want = (uint64_t)((double)total * q), seen = 0;

    for (size_t i = 0; i <= HIST_US; i++) {
        seen += hist[i];
        if (seen > want) {
            return i;
        }
    }
    return HIST_US;
}

static int run_net(struct opts *o, krb_context *ctx)
{
    struct worker *w = calloc((size_t)o->threads, sizeof *w);
    uint32_t *hist = calloc(HIST_US + 1, sizeof *hist);
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint64_t ok = 0, errors = 0, timeouts = 0, total;
    int64_t cpu0 = -1, cpu1 = -1, self0 = self_cpu_us(), self1;
    double t0, t1;
    int rc = 1;

    if (w == NULL || hist == NULL || kdc_address(ctx, &addr, &addrlen) != 0) {
        goto out;
    }
    if (o->kdc_pid > 0) {
        cpu0 = proc_cpu_us(o->kdc_pid);
    }
    t0 = mono();
    for (int i = 0; i < o->threads; i++) {
        w[i].o = o;
        w[i].ctx = ctx;
        w[i].addr = addr;
        w[i].addrlen = addrlen;
        w[i].hist = calloc(HIST_US + 1, sizeof *w[i].hist);
        if (w[i].hist == NULL || pthread_create(&w[i].tid, NULL, net_worker, &w[i]) != 0) {
            fprintf(stderr, "tkbench: cannot start thread %d\n", i);
            stop_flag = 1;
            o->threads = i;
            break;
        }
    }
    for (int i = 0; i < o->threads; i++) {
        pthread_join(w[i].tid, NULL);
    }
    t1 = mono();
    self1 = self_cpu_us();
    if (o->kdc_pid > 0) {
        cpu1 = proc_cpu_us(o->kdc_pid);
    }
    for (int i = 0; i < o->threads; i++) {
        ok += w[i].ok;
        errors += w[i].errors;
        timeouts += w[i].timeouts;
        for (size_t b = 0; b <= HIST_US; b++) {
            hist[b] += w[i].hist[b];
        }
        if (w[i].err[0] != '\0') {
            fprintf(stderr, "tkbench: thread %d: %s\n", i, w[i].err);
        }
    }
    total = ok + errors + timeouts;
    printf("mode=%s threads=%d seconds=%.2f requests=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64
           " timeouts=%" PRIu64 "\n",
           o->mode, o->threads, t1 - t0, total, ok, errors, timeouts);
    printf("throughput: %.0f req/s\n", (double)ok / (t1 - t0));
    if (total > 0) {
        printf("latency: p50=%" PRIu64 "us p99=%" PRIu64 "us p99.9=%" PRIu64 "us\n", percentile(hist, total, 0.50),
               percentile(hist, total, 0.99), percentile(hist, total, 0.999));
    }
    if (self0 >= 0 && self1 >= 0 && total > 0) {
        printf("client cpu: %.2f us/request (all threads, logins included)\n", (double)(self1 - self0) / (double)total);
    }
    if (cpu0 >= 0 && cpu1 >= 0 && total > 0) {
        printf("kdc cpu: %.2f us/request (pid %ld, %" PRId64 " us over %" PRIu64 " requests)\n",
               (double)(cpu1 - cpu0) / (double)total, o->kdc_pid, cpu1 - cpu0, total);
    } else if (o->kdc_pid > 0) {
        printf("kdc cpu: unavailable (cannot read /proc/%ld/stat)\n", o->kdc_pid);
    }
    rc = (errors == 0 && timeouts == 0 && ok > 0) ? 0 : 1;
out:
    if (w != NULL) {
        for (int i = 0; i < o->threads; i++) {
            free(w[i].hist);
        }
    }
    free(w);
    free(hist);
    return rc;
}

/* ---------------- in-process modes: ap and wrap ---------------- */

#define BENCH_CLIENT "bench@BENCH.TEST"
#define BENCH_SERVICE "host/bench.test@BENCH.TEST"
#define AP_BATCH 1024

struct fixture {
    struct krb_key server_key;
    struct krb_creds cr;
};

static krb_err fixture_key(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    const struct fixture *f = arg;

    if (strcmp(server, BENCH_SERVICE) != 0) {
        return krb_set_error(c, KRB_ERR_KT_NOTFOUND, "no key for %s", server);
    }
    if (kvno != 1) {
        return krb_set_error(c, KRB_ERR_BADKEYVER, "no key version %u for %s", kvno, server);
    }
    *key = f->server_key;
    return KRB_OK;
}

/* A service key and a ticket for it, made the way the KDC makes them. */
static int fixture_init(krb_context *c, struct fixture *f, uint16_t suite)
{
    struct krb_ticket_part tp;
    struct krb_wr w;
    krb_time now = krb_now(c);

    memset(f, 0, sizeof *f);
    memset(&tp, 0, sizeof tp);
    if (krb_key_random(&f->server_key, suite) != KRB_OK || krb_key_random(&tp.session, suite) != KRB_OK) {
        return -1;
    }
    snprintf(tp.client, sizeof tp.client, "%s", BENCH_CLIENT);
    tp.authtime = tp.starttime = now;
    tp.endtime = now + (krb_time)10 * 3600 * 1000000;
    krb_wr_init(&w, f->cr.ticket, sizeof f->cr.ticket);
    krb_ticket_encode(&w, BENCH_SERVICE, 1, &f->server_key, &tp);
    if (w.err != KRB_OK) {
        return -1;
    }
    f->cr.ticket_len = (uint16_t)w.len;
    snprintf(f->cr.client, sizeof f->cr.client, "%s", BENCH_CLIENT);
    snprintf(f->cr.server, sizeof f->cr.server, "%s", BENCH_SERVICE);
    f->cr.session = tp.session;
    f->cr.authtime = tp.authtime;
    f->cr.starttime = tp.starttime;
    f->cr.endtime = tp.endtime;
    f->cr.kvno = 1;
    f->cr.suite = suite;
    krb_wipe(&tp, sizeof tp);
    return 0;
}

/* CPU time of the calling thread: the in-process figures do not count
 * time the scheduler gave to other processes on a shared machine. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Make AP_BATCH requests (timed apart), then verify them (timed): with or
 * without the replay cache, with or without building the mutual AP-REP.
 */
static int bench_ap_variant(krb_context *c, struct fixture *f, krb_rcache *rc, int mutual, double seconds,
                            const char *label)
{
    static uint8_t reqs[AP_BATCH][KRB_AP_REQ_MAX];
    static size_t lens[AP_BATCH];
    struct krb_ap_req_opts ro;
    struct krb_ap_verify_opts vo;
    struct krb_ap_client st;
    struct krb_ap_result res;
    struct krb_ap_rep_part rp;
    uint8_t rep[KRB_AP_REP_MAX];
    size_t replen;
    double make_t = 0, verify_t = 0, verify_c = 0, end = mono() + seconds;
    uint64_t n = 0, errors = 0;

    memset(&ro, 0, sizeof ro);
    memset(&vo, 0, sizeof vo);
    ro.ap_options = mutual ? KRB_AP_OPT_MUTUAL_REQUIRED : 0;
    vo.service = BENCH_SERVICE;
    while (mono() < end) {
        double t0 = mono(), t1, c1;
        for (int i = 0; i < AP_BATCH; i++) {
            if (krb_ap_req_make(c, &f->cr, &ro, &st, reqs[i], sizeof reqs[i], &lens[i]) != KRB_OK) {
                errors++;
                lens[i] = 0;
            }
            krb_ap_client_wipe(&st);
        }
        t1 = mono();
        make_t += t1 - t0;
        c1 = thread_cpu();
        for (int i = 0; i < AP_BATCH; i++) {
            if (krb_ap_verify_with(c, fixture_key, f, rc, &vo, reqs[i], lens[i], &res) != KRB_OK) {
                errors++;
                continue;
            }
            if (mutual) {
                memset(&rp, 0, sizeof rp);
                if (krb_ap_rep_make(c, &res, &rp, rep, sizeof rep, &replen) != KRB_OK) {
                    errors++;
                }
            }
            krb_ap_result_wipe(&res);
        }
        verify_t += mono() - t1;
        verify_c += thread_cpu() - c1;
        n += AP_BATCH;
    }
    printf("ap %-28s make %.2f us/req   verify%s %.2f us/req (cpu %.2f us)   (%" PRIu64 " requests, %" PRIu64
           " errors)\n",
           label, make_t * 1e6 / (double)n, mutual ? "+AP-REP" : "", verify_t * 1e6 / (double)n,
           verify_c * 1e6 / (double)n, n, errors);
    if (errors != 0) {
        fprintf(stderr, "tkbench: last error: %s\n", krb_context_error(c));
    }
    return errors == 0 ? 0 : 1;
}

static int bench_ap(krb_context *c, double seconds)
{
    struct fixture f;
    krb_rcache *rc = NULL;
    char path[] = "/tmp/tkbench-rc.XXXXXX";
    int fd, rcode = 1;

    if (fixture_init(c, &f, KRB_SUITE_XCHACHA20POLY1305) != 0) {
        fprintf(stderr, "tkbench: cannot build the test ticket\n");
        return 1;
    }
    fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "tkbench: cannot create a temporary replay cache: %s\n", strerror(errno));
        goto out;
    }
    close(fd);
    unlink(path); /* the replay cache creates it itself, refusing existing odd files */
    /* Sized for the run: every entry lives for the skew window. */
    if (krb_rc_open_file(c, path, 1u << 21, &rc) != KRB_OK) {
        fprintf(stderr, "tkbench: %s\n", krb_context_error(c));
        goto out;
    }
    rcode = bench_ap_variant(c, &f, NULL, 0, seconds / 3, "(no replay cache)");
    rcode |= bench_ap_variant(c, &f, rc, 0, seconds / 3, "(replay cache)");
    rcode |= bench_ap_variant(c, &f, rc, 1, seconds / 3, "(replay cache, mutual)");
out:
    krb_rc_free(rc);
    unlink(path);
    krb_wipe(&f, sizeof f);
    return rcode;
}

/*
 * Push messages initiator -> acceptor for seconds per size, either through
 * the public calls (a malloc'd krb_buf per token and per message) or
 * through the internal no-allocation calls into reused buffers.
 */
static int wrap_sizes(krb_context *c, krb_sec_context *ini, krb_sec_context *acc, const uint8_t *buf,
                      uint8_t *tokbuf, uint8_t *msgbuf, int into, double seconds, const char *label)
{
    static const size_t sizes[] = { 64, 1024, 65536 };
    krb_buf tok = { 0 }, msg = { 0 };

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double t0 = mono(), c0 = thread_cpu(), end = t0 + seconds / 3, dt, dc;
        uint64_t n = 0;
        while (mono() < end) {
            for (int k = 0; k < 64; k++) {
                size_t tl = 0, ml = 0;
                krb_err e;
                if (into) {
                    e = krb_sec_wrap_into(c, ini, 1, buf, sizes[i], tokbuf, sizes[i] + 64, &tl);
                    if (e == KRB_OK) {
                        e = krb_sec_unwrap_into(c, acc, tokbuf, tl, msgbuf, sizes[i], &ml, NULL);
                    }
                } else {
                    e = krb_sec_wrap(c, ini, 1, buf, sizes[i], &tok);
                    if (e == KRB_OK) {
                        e = krb_sec_unwrap(c, acc, tok.data, tok.len, &msg, NULL);
                        ml = msg.len;
                    }
                    krb_buf_free(&tok);
                    krb_buf_free(&msg);
                }
                if (e != KRB_OK || ml != sizes[i]) {
                    fprintf(stderr, "tkbench: wrap/unwrap failed: %s\n", krb_context_error(c));
                    return 1;
                }
                n++;
            }
        }
        dt = mono() - t0;
        dc = thread_cpu() - c0;
        printf("wrap+unwrap %-22s %6zu B: %8.1f MB/s  %.2f us/msg   (cpu: %8.1f MB/s  %.2f us/msg)\n", label,
               sizes[i], (double)n * (double)sizes[i] / dt / 1e6, dt * 1e6 / (double)n,
               (double)n * (double)sizes[i] / dc / 1e6, dc * 1e6 / (double)n);
    }
    return 0;
}

/* A mutual, confidential, sequenced context pair over a ticket of suite. */
static int bench_wrap_suite(krb_context *c, uint16_t suite, const char *sname, double seconds)
{
    struct fixture f;
    krb_sec_context *ini = NULL, *acc = NULL;
    krb_buf t1 = { 0 }, t2 = { 0 }, tok = { 0 };
    krb_rcache *rc = NULL;
    uint8_t *buf = NULL, *tokbuf = NULL, *msgbuf = NULL;
    char path[] = "/tmp/tkbench-rc.XXXXXX", label[64];
    int fd, rcode = 1;
    krb_err e;

    if (fixture_init(c, &f, suite) != 0 || (buf = calloc(1, 65536)) == NULL ||
        (tokbuf = malloc(65536 + 64)) == NULL || (msgbuf = malloc(65536)) == NULL) {
        goto out;
    }
    fd = mkstemp(path);
    if (fd < 0) {
        goto out;
    }
    close(fd);
    unlink(path);
    if (krb_rc_open_file(c, path, 0, &rc) != KRB_OK ||
        krb_sec_new_initiator_creds(c, &f.cr, KRB_SEC_MUTUAL | KRB_SEC_CONF | KRB_SEC_SEQUENCE | KRB_SEC_REPLAY,
                                    &ini) != KRB_OK ||
        krb_sec_new_acceptor_keyfn(c, fixture_key, &f, rc, BENCH_SERVICE, &acc) != KRB_OK) {
        fprintf(stderr, "tkbench: cannot set up contexts: %s\n", krb_context_error(c));
        goto out;
    }
    e = krb_sec_init(c, ini, NULL, 0, &t1);
    if (e == KRB_CONTINUE) {
        e = krb_sec_accept(c, acc, t1.data, t1.len, &t2);
        if (e == KRB_OK) {
            e = krb_sec_init(c, ini, t2.data, t2.len, &tok);
        }
    }
    krb_buf_free(&tok);
    if (e != KRB_OK) {
        fprintf(stderr, "tkbench: cannot establish contexts: %s\n", krb_context_error(c));
        goto out;
    }
    snprintf(label, sizeof label, "%s public", sname);
    rcode = wrap_sizes(c, ini, acc, buf, tokbuf, msgbuf, 0, seconds / 2, label);
    snprintf(label, sizeof label, "%s no-alloc", sname);
    rcode |= wrap_sizes(c, ini, acc, buf, tokbuf, msgbuf, 1, seconds / 2, label);
out:
    krb_buf_free(&t1);
    krb_buf_free(&t2);
    krb_sec_free(ini);
    krb_sec_free(acc);
    krb_rc_free(rc);
    unlink(path);
    free(buf);
    free(tokbuf);
    free(msgbuf);
    krb_wipe(&f, sizeof f);
    return rcode;
}

/* The default suite 1 always (XChaCha20-Poly1305 for tickets; its wrap
 * tokens use ChaCha20-Poly1305 with a counter nonce: docs/PROTOCOL.md);
 * AES-256-GCM where the CPU has it (a ticket gets it only if the client
 * lists it first). */
static int bench_wrap(krb_context *c, double seconds)
{
    int aes = krb_suite_supported(KRB_SUITE_AES256GCM);
    double part = aes ? seconds / 2 : seconds;
    int rc = bench_wrap_suite(c, KRB_SUITE_XCHACHA20POLY1305, "suite1-chacha20poly1305", part);

    if (aes) {
        rc |= bench_wrap_suite(c, KRB_SUITE_AES256GCM, "aes256gcm", part);
    }
    return rc;
}

static void read_password(struct opts *o)
{
    size_t n;

    if (fgets(o->password, sizeof o->password, stdin) == NULL) {
        fprintf(stderr, "tkbench: no password on standard input\n");
        exit(1);
    }
    n = strlen(o->password);
    while (n > 0 && (o->password[n - 1] == '\n' || o->password[n - 1] == '\r')) {
        o->password[--n] = '\0';
    }
}

int main(int argc, char **argv)
{
    struct opts o = { .threads = 2, .window = 1, .seconds = 5 };
    krb_context *ctx = NULL;
    char client[KRB_NAME_MAX + 1], service[KRB_NAME_MAX + 1];
    int pwstdin = 0, rc = 1;

    if (argc < 2) {
        usage();
    }
    o.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--password-stdin") == 0) {
            pwstdin = 1;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "-c") == 0) {
            o.config = v;
        } else if (strcmp(a, "-t") == 0) {
            o.threads = atoi(v);
        } else if (strcmp(a, "-S") == 0) {
            o.nservices = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(a, "-w") == 0) {
            o.window = atoi(v);
        } else if (strcmp(a, "-d") == 0) {
            o.seconds = atof(v);
        } else if (strcmp(a, "-n") == 0) {
            o.requests = strtoull(v, NULL, 10);
        } else if (strcmp(a, "-u") == 0) {
            o.client = v;
        } else if (strcmp(a, "-s") == 0) {
            o.service = v;
        } else if (strcmp(a, "-P") == 0) {
            o.kdc_pid = atol(v);
        } else {
            usage();
        }
    }
    if (o.threads < 1 || o.threads > 256 || o.window < 1 || o.window > BENCH_WINDOW_MAX || o.seconds <= 0) {
        fprintf(stderr, "tkbench: threads must be 1..256, window 1..%d and seconds positive\n", BENCH_WINDOW_MAX);
        return 2;
    }
    if (krb_context_new(o.config, &ctx) != KRB_OK) {
        fprintf(stderr, "tkbench: %s\n", ctx != NULL ? krb_context_error(ctx) : "cannot initialise");
        goto out;
    }
    if (strcmp(o.mode, "ap") == 0) {
        rc = bench_ap(ctx, o.seconds);
        goto out;
    }
    if (strcmp(o.mode, "wrap") == 0) {
        rc = bench_wrap(ctx, o.seconds);
        goto out;
    }
    if (strcmp(o.mode, "as") != 0 && strcmp(o.mode, "tgs") != 0) {
        usage();
    }
    if (o.client == NULL || (strcmp(o.mode, "tgs") == 0 && o.service == NULL)) {
        fprintf(stderr, "tkbench: %s needs -u client%s\n", o.mode, strcmp(o.mode, "tgs") == 0 ? " and -s service" : "");
        rc = 2;
        goto out;
    }
    if (krb_name_canon(ctx, o.client, client) != KRB_OK ||
        (o.service != NULL && o.nservices == 0 && krb_name_canon(ctx, o.service, service) != KRB_OK)) {
        fprintf(stderr, "tkbench: %s\n", krb_context_error(ctx));
        goto out;
    }
    o.client = client;
    if (o.service != NULL && o.nservices > 0) {
        if (strchr(o.service, '#') == NULL || strchr(o.service, '@') == NULL || strlen(o.service) > KRB_NAME_MAX) {
            fprintf(stderr, "tkbench: -S needs -s with a run of '#' and a realm\n");
            rc = 2;
            goto out;
        }
        snprintf(service, sizeof service, "%s", o.service);
    }
    o.service = o.service != NULL ? service : NULL;
    if (pwstdin) {
        read_password(&o);
    } else {
        const char *pw = getenv("TKBENCH_PASSWORD");
        if (pw == NULL) {
            fprintf(stderr, "tkbench: give the password with --password-stdin or TKBENCH_PASSWORD\n");
            rc = 2;
            goto out;
        }
        snprintf(o.password, sizeof o.password, "%s", pw);
    }
    rc = run_net(&o, ctx);
out:
    krb_wipe(o.password, sizeof o.password);
    krb_context_free(ctx);
    return rc;
}
