/*
 * net.c — the transport: UDP and TCP on every listen address.
 *
 * One thread per worker. Each worker owns, for every listen address, a UDP
 * socket and a TCP listening socket bound with SO_REUSEPORT (the kernel
 * spreads datagrams and connections over the workers; with steer_by_cpu a
 * datagram goes to the worker of the CPU it arrived on, see
 * steer_by_cpu()), and one epoll set that also holds its TCP connections.
 * Requests are handled synchronously by kdc_handle into per-worker
 * buffers: nothing is allocated per request.
 *
 * TCP: each message is a 4-byte big-endian length (1..65535) then the
 * message; anything else closes the connection. The idle timer starts when
 * a connection is accepted or a reply has been sent, and is not reset by
 * partial input, so a client dribbling one byte a second is closed after
 * tcp_idle_timeout. max_tcp_connections bounds open connections over all
 * workers (extra ones are closed at once).
 *
 * UDP: a reply longer than KRB_UDP_MAX is replaced by an ERROR
 * RESPONSE_TOO_BIG; the client retries over TCP.
 *
 * Stopping: kdc_net_stop sets a flag and signals an eventfd every worker
 * watches; each worker finishes the request in hand, closes its listening
 * sockets, tries for up to a second to flush replies still queued, and
 * exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "kdc.h"

#define KDC_PEER_MAX 64
#define KDC_MAX_SOCKS (2 * KDC_MAX_LISTEN) /* a name may resolve to v4 and v6 */
#define KDC_EVENTS 64
#define KDC_UDP_BATCH 16   /* datagrams per recvmmsg / sendmmsg */
#define KDC_UDP_ROUNDS 4   /* batches per wake-up before serving other sockets */
#define KDC_UDP_IN 4096    /* larger requests belong on TCP */
#define KDC_BACKLOG 256

enum ev_kind { EV_WAKE, EV_UDP, EV_LISTEN, EV_CONN };

struct kdc_ev {
    enum ev_kind kind;
    int fd;
};

struct kdc_conn {
    struct kdc_ev ev; /* first: epoll data points here */
    struct kdc_conn *prev, *next;
    int64_t deadline; /* monotonic ms */
    uint8_t hdr[4];
    size_t hgot;
    uint8_t *buf;
    size_t bcap, need, got;
    uint8_t *out;
    size_t outcap, outlen, outoff;
    int writing;
    char peer[KDC_PEER_MAX];
};

struct kdc_worker {
    struct kdc_net *net;
    pthread_t th;
    int started;
    int ep;
    size_t nudp, ntcp;
    struct kdc_ev udp[KDC_MAX_SOCKS];
    struct kdc_ev tcp[KDC_MAX_SOCKS];
    struct kdc_ev wake;
    struct kdc_conn *head, *tail; /* ordered by deadline */
    uint8_t out[4 + KRB_MSG_MAX];
    struct kdc_logbuf log;
    /* UDP batches */
    uint8_t uin[KDC_UDP_BATCH][KDC_UDP_IN];
    uint8_t uout[KDC_UDP_BATCH][KRB_UDP_MAX];
    struct sockaddr_storage upeer[KDC_UDP_BATCH];
    struct iovec riov[KDC_UDP_BATCH], siov[KDC_UDP_BATCH];
    struct mmsghdr rmsg[KDC_UDP_BATCH], smsg[KDC_UDP_BATCH];
};

struct kdc_net {
    struct kdc *k;
    unsigned nworkers;
    struct kdc_worker *w;
    int wakefd;
    int pin; /* worker i runs on CPU i (steer_by_cpu) */
    atomic_int stop;
    atomic_int nconns;
};

int64_t kdc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fmt_peer(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char a[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET && cap >= sizeof "255.255.255.255:65535") {
        /* by hand: this runs for every UDP request, inet_ntop + snprintf
         * cost more than the rest of the request line */
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        const uint8_t *ip = (const uint8_t *)&s4->sin_addr;
        char *p = out;
        for (int i = 0; i < 5; i++) {
            unsigned v = i < 4 ? ip[i] : (unsigned)ntohs(s4->sin_port);
            char d[5];
            int n = 0;
            do {
                d[n++] = (char)('0' + v % 10);
                v /= 10;
            } while (v != 0);
            while (n > 0) {
                *p++ = d[--n];
            }
            *p++ = i < 3 ? '.' : (i == 3 ? ':' : '\0');
        }
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
        snprintf(out, cap, "%s:%u", a, (unsigned)ntohs(s4->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
        snprintf(out, cap, "[%s]:%u", a, (unsigned)ntohs(s6->sin6_port));
    } else {
        snprintf(out, cap, "?");
    }
}

/* ---------------- sockets ---------------- */

static krb_err make_socket(krb_context *c, const struct addrinfo *ai, const struct kdc_listen *l, int reuseport,
                           int *out)
{
    int fd, one = 1, type = ai->ai_socktype;
    const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";

    *out = -1;
    fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return krb_set_error(c, KRB_ERR_IO, "cannot create a %s socket for %s:%u: %s", proto, l->host,
                             (unsigned)l->port, strerror(errno));
    }
    if (ai->ai_family == AF_INET6) {
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (type == SOCK_STREAM) {
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        int e = errno;
        close(fd);
        return krb_set_error(c, KRB_ERR_IO, "SO_REUSEPORT: %s", strerror(e));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int e = errno;
        close(fd);
        return krb_set_error(c, KRB_ERR_IO, "cannot listen on %s:%u/%s: %s%s", l->host, (unsigned)l->port, proto,
                             strerror(e),
                             e == EADDRINUSE ? " (is another tessera-kdc or program using that port?)"
                             : e == EACCES   ? " (ports below 1024 need privileges)"
                                             : "");
    }
    if (type == SOCK_STREAM && reuseport && listen(fd, KDC_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return krb_set_error(c, KRB_ERR_IO, "listen on %s:%u/tcp: %s", l->host, (unsigned)l->port, strerror(e));
    }
    *out = fd;
    return KRB_OK;
}

static krb_err resolve(krb_context *c, const struct kdc_listen *l, int socktype, struct addrinfo **res)
{
    struct addrinfo hints;
    char port[8];
    int e;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%u", (unsigned)l->port);
    e = getaddrinfo(l->host, port, &hints, res);
    if (e != 0) {
        return krb_set_error(c, KRB_ERR_CONFIG, "[kdc] listen %s:%u: %s", l->host, (unsigned)l->port,
                             gai_strerror(e));
    }
    return KRB_OK;
}

static void worker_close_sockets(struct kdc_worker *w)
{
    for (size_t i = 0; i < w->nudp; i++) {
        if (w->udp[i].fd >= 0) {
            close(w->udp[i].fd);
            w->udp[i].fd = -1;
        }
    }
    for (size_t i = 0; i < w->ntcp; i++) {
        if (w->tcp[i].fd >= 0) {
            close(w->tcp[i].fd);
            w->tcp[i].fd = -1;
        }
    }
}

static krb_err epoll_add(krb_context *c, int ep, struct kdc_ev *ev, uint32_t events)
{
    struct epoll_event e;

    memset(&e, 0, sizeof e);
    e.events = events;
    e.data.ptr = ev;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ev->fd, &e) != 0) {
        return krb_set_error(c, KRB_ERR_IO, "epoll_ctl: %s", strerror(errno));
    }
    return KRB_OK;
}

/* Bind every address once without SO_REUSEPORT: fails if anything (another
 * tessera-kdc included) already holds the port. */
static krb_err probe(krb_context *c, const struct kdc_conf *conf)
{
    static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
    krb_err rc = KRB_OK;

    for (size_t i = 0; i < conf->nlisten && rc == KRB_OK; i++) {
        for (size_t t = 0; t < 2 && rc == KRB_OK; t++) {
            struct addrinfo *res = NULL;
            if ((rc = resolve(c, &conf->listen[i], types[t], &res)) != KRB_OK) {
                break;
            }
            for (struct addrinfo *ai = res; ai != NULL && rc == KRB_OK; ai = ai->ai_next) {
                int fd;
                if ((rc = make_socket(c, ai, &conf->listen[i], 0, &fd)) == KRB_OK) {
                    close(fd);
                }
            }
            freeaddrinfo(res);
        }
    }
    return rc;
}

static krb_err worker_open(struct kdc_net *n, struct kdc_worker *w, const struct kdc_conf *conf)
{
    krb_context *c = n->k->ctx;
    krb_err rc = KRB_OK;

    w->net = n;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) {
        return krb_set_error(c, KRB_ERR_IO, "epoll_create1: %s", strerror(errno));
    }
    w->wake.kind = EV_WAKE;
    w->wake.fd = n->wakefd;
    if ((rc = epoll_add(c, w->ep, &w->wake, EPOLLIN)) != KRB_OK) {
        return rc;
    }
    for (size_t i = 0; i < conf->nlisten && rc == KRB_OK; i++) {
        struct addrinfo *res = NULL;
        for (int t = 0; t < 2 && rc == KRB_OK; t++) {
            int type = t == 0 ? SOCK_DGRAM : SOCK_STREAM;
            if ((rc = resolve(c, &conf->listen[i], type, &res)) != KRB_OK) {
                break;
            }
            for (struct addrinfo *ai = res; ai != NULL && rc == KRB_OK; ai = ai->ai_next) {
                struct kdc_ev *ev;
                size_t *cnt = type == SOCK_DGRAM ? &w->nudp : &w->ntcp;
                if (*cnt >= KDC_MAX_SOCKS) {
                    rc = krb_set_error(c, KRB_ERR_CONFIG, "too many listen sockets");
                    break;
                }
                ev = type == SOCK_DGRAM ? &w->udp[*cnt] : &w->tcp[*cnt];
                ev->kind = type == SOCK_DGRAM ? EV_UDP : EV_LISTEN;
                if ((rc = make_socket(c, ai, &conf->listen[i], 1, &ev->fd)) != KRB_OK) {
                    break;
                }
                (*cnt)++;
                rc = epoll_add(c, w->ep, ev, EPOLLIN);
            }
            freeaddrinfo(res);
            res = NULL;
        }
    }
    return rc;
}

/*
 * Steer each datagram to the worker of the CPU it arrived on: a classic BPF
 * program on the SO_REUSEPORT group returns the socket index CPU % workers
 * (sockets join the group in worker order). When the process may run on
 * exactly CPUs 0..workers-1, worker i is also pinned to CPU i, so the
 * request is handled where its packet was received and no wake-up crosses
 * CPUs. Without it the kernel picks a worker by hashing the client's
 * address, and two busy clients can share one worker while another idles.
 * Best effort: if the program cannot be attached the hash stays.
 */
static void steer_by_cpu(struct kdc_net *n)
{
    struct sock_filter code[] = {
        { BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU) },
        { BPF_ALU | BPF_MOD | BPF_K, 0, 0, n->nworkers },
        { BPF_RET | BPF_A, 0, 0, 0 },
    };
    struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
    cpu_set_t set;
    int attached = 1;

    if (n->nworkers < 2) {
        return;
    }
    for (size_t j = 0; j < n->w[0].nudp; j++) {
        if (setsockopt(n->w[0].udp[j].fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0) {
            kdc_log_msg(n->k, KDC_LOG_WARNING, "steer_by_cpu: cannot attach the program (%s); workers by address hash",
                        strerror(errno));
            attached = 0;
        }
    }
    if (!attached || sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != (int)n->nworkers) {
        return;
    }
    for (unsigned i = 0; i < n->nworkers; i++) {
        if (!CPU_ISSET(i, &set)) {
            return;
        }
    }
    n->pin = 1;
}

krb_err kdc_net_open(struct kdc *k, unsigned workers, struct kdc_net **out)
{
    struct kdc_conf *conf = kdc_conf_acquire(k);
    struct kdc_net *n;
    krb_err rc;

    *out = NULL;
    n = calloc(1, sizeof *n);
    if (n == NULL) {
        kdc_conf_release(conf);
        return krb_set_error(k->ctx, KRB_ERR_NOMEM, "out of memory");
    }
    n->k = k;
    n->wakefd = -1;
    atomic_init(&n->stop, 0);
    atomic_init(&n->nconns, 0);
    n->nworkers = workers != 0 ? workers : conf->workers;
    if (n->nworkers == 0) {
        n->nworkers = 1;
    }
    if (n->nworkers > KDC_MAX_WORKERS) {
        n->nworkers = KDC_MAX_WORKERS;
    }
    if ((rc = probe(k->ctx, conf)) != KRB_OK) {
        goto out;
    }
    n->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    n->w = calloc(n->nworkers, sizeof *n->w);
    if (n->wakefd < 0 || n->w == NULL) {
        rc = krb_set_error(k->ctx, KRB_ERR_NOMEM, "cannot allocate %u workers", n->nworkers);
        goto out;
    }
    for (unsigned i = 0; i < n->nworkers; i++) {
        n->w[i].ep = -1;
    }
    for (unsigned i = 0; i < n->nworkers; i++) {
        if ((rc = worker_open(n, &n->w[i], conf)) != KRB_OK) {
            goto out;
        }
    }
    if (conf->steer_cpu) {
        steer_by_cpu(n);
    }
    *out = n;
    n = NULL;
    rc = KRB_OK;
out:
    kdc_conf_release(conf);
    kdc_net_free(n);
    return rc;
}

unsigned kdc_net_workers(const struct kdc_net *n)
{
    return n->nworkers;
}

/* ---------------- TCP connections ---------------- */

static void list_remove(struct kdc_worker *w, struct kdc_conn *c)
{
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        w->head = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    } else {
        w->tail = c->prev;
    }
    c->prev = c->next = NULL;
}

static void list_append(struct kdc_worker *w, struct kdc_conn *c)
{
    c->prev = w->tail;
    c->next = NULL;
    if (w->tail != NULL) {
        w->tail->next = c;
    } else {
        w->head = c;
    }
    w->tail = c;
}

static void touch(struct kdc_worker *w, struct kdc_conn *c, int64_t idle_ms)
{
    c->deadline = kdc_mono_ms() + idle_ms;
    list_remove(w, c);
    list_append(w, c);
}

static void conn_close(struct kdc_worker *w, struct kdc_conn *c)
{
    list_remove(w, c);
    close(c->ev.fd);
    atomic_fetch_sub(&w->net->nconns, 1);
    if (c->buf != NULL) {
        krb_wipe(c->buf, c->bcap);
    }
    free(c->buf);
    if (c->out != NULL) {
        krb_wipe(c->out, c->outcap);
    }
    free(c->out);
    free(c);
}

static void set_events(struct kdc_worker *w, struct kdc_conn *c, uint32_t events)
{
    struct epoll_event e;

    memset(&e, 0, sizeof e);
    e.events = events;
    e.data.ptr = &c->ev;
    (void)epoll_ctl(w->ep, EPOLL_CTL_MOD, c->ev.fd, &e);
}

static void accept_ready(struct kdc_worker *w, struct kdc_ev *lev, int64_t idle_ms, unsigned max_conns)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        struct kdc_conn *c;
        int fd = accept4(lev->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                kdc_log_msg(w->net->k, KDC_LOG_WARNING, "accept: %s", strerror(errno));
            }
            return;
        }
        if ((unsigned)atomic_fetch_add(&w->net->nconns, 1) >= max_conns) {
            atomic_fetch_sub(&w->net->nconns, 1);
            close(fd);
            continue;
        }
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            atomic_fetch_sub(&w->net->nconns, 1);
            close(fd);
            continue;
        }
        c->ev.kind = EV_CONN;
        c->ev.fd = fd;
        fmt_peer(&ss, c->peer, sizeof c->peer);
        c->deadline = kdc_mono_ms() + idle_ms;
        list_append(w, c);
        if (epoll_add(NULL, w->ep, &c->ev, EPOLLIN | EPOLLRDHUP) != KRB_OK) {
            conn_close(w, c);
        }
    }
}

/* Send as much of c->out as the socket takes. -1: error, 0: more to send,
 * 1: done. */
static int flush_out(struct kdc_conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t m = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EINTR) {
                continue;
            }
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        }
        c->outoff += (size_t)m;
    }
    c->outlen = c->outoff = 0;
    return 1;
}

/* One complete frame in c->buf: handle it and start sending the reply.
 * Returns -1 to close, 0 when the reply is queued, 1 when it was sent. */
static int conn_request(struct kdc_worker *w, struct kdc_conn *c)
{
    struct kdc_log_entry log;
    size_t replen = 0;
    int64_t t0 = mono_us();
    ssize_t m;
    size_t total;

    if (kdc_handle(w->net->k, c->buf, c->need, w->out + 4, KRB_MSG_MAX, &replen, &log) != KRB_OK) {
        replen = 0;
    }
    kdc_log_request(w->net->k, &w->log, &log, c->peer, "tcp", (long)(mono_us() - t0));
    if (replen == 0) {
        return -1;
    }
    krb_put_u32(w->out, (uint32_t)replen);
    total = replen + 4;
    do {
        m = send(c->ev.fd, w->out, total, MSG_NOSIGNAL);
    } while (m < 0 && errno == EINTR);
    if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return -1;
    }
    if (m < 0) {
        m = 0;
    }
    if ((size_t)m == total) {
        return 1;
    }
    if (c->outcap < total - (size_t)m) {
        uint8_t *nb = malloc(total);
        if (nb == NULL) {
            return -1;
        }
        if (c->out != NULL) {
            krb_wipe(c->out, c->outcap);
        }
        free(c->out);
        c->out = nb;
        c->outcap = total;
    }
    memcpy(c->out, w->out + m, total - (size_t)m);
    c->outlen = total - (size_t)m;
    c->outoff = 0;
    return 0;
}

static void conn_ready(struct kdc_worker *w, struct kdc_conn *c, uint32_t events, int64_t idle_ms)
{
    if (events & EPOLLERR) {
        conn_close(w, c);
        return;
    }
    if (c->writing) {
        int f = flush_out(c);
        if (f < 0) {
            conn_close(w, c);
            return;
        }
        if (f == 0) {
            return;
        }
        c->writing = 0;
        touch(w, c, idle_ms);
        set_events(w, c, EPOLLIN | EPOLLRDHUP);
    }
    for (;;) {
        ssize_t m;
        if (c->hgot < 4) {
            m = read(c->ev.fd, c->hdr + c->hgot, 4 - c->hgot);
        } else {
            m = read(c->ev.fd, c->buf + c->got, c->need - c->got);
        }
        if (m == 0) {
            conn_close(w, c);
            return;
        }
        if (m < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn_close(w, c);
            }
            return;
        }
        if (c->hgot < 4) {
            c->hgot += (size_t)m;
            if (c->hgot < 4) {
                continue;
            }
            c->need = krb_get_u32(c->hdr);
            c->got = 0;
            if (c->need == 0 || c->need > KRB_MSG_MAX) {
                conn_close(w, c);
                return;
            }
            if (c->bcap < c->need) {
                uint8_t *nb = malloc(c->need);
                if (nb == NULL) {
                    conn_close(w, c);
                    return;
                }
                if (c->buf != NULL) {
                    krb_wipe(c->buf, c->bcap);
                }
                free(c->buf);
                c->buf = nb;
                c->bcap = c->need;
            }
            continue;
        }
        c->got += (size_t)m;
        if (c->got < c->need) {
            continue;
        }
        c->hgot = 0;
        switch (conn_request(w, c)) {
        case -1:
            conn_close(w, c);
            return;
        case 0:
            c->writing = 1;
            set_events(w, c, EPOLLOUT);
            return;
        default:
            touch(w, c, idle_ms);
            break;
        }
    }
}

static void expire_conns(struct kdc_worker *w)
{
    int64_t now = kdc_mono_ms();

    while (w->head != NULL && w->head->deadline <= now) {
        conn_close(w, w->head);
    }
}

/* ---------------- UDP ---------------- */

static void udp_ready(struct kdc_worker *w, struct kdc_ev *ev)
{
    for (int round = 0; round < KDC_UDP_ROUNDS; round++) {
        unsigned nsend = 0;
        int n;

        for (unsigned i = 0; i < KDC_UDP_BATCH; i++) {
            struct msghdr *h = &w->rmsg[i].msg_hdr;
            w->riov[i].iov_base = w->uin[i];
            w->riov[i].iov_len = sizeof w->uin[i];
            memset(h, 0, sizeof *h);
            h->msg_name = &w->upeer[i];
            h->msg_namelen = sizeof w->upeer[i];
            h->msg_iov = &w->riov[i];
            h->msg_iovlen = 1;
        }
        do {
            n = recvmmsg(ev->fd, w->rmsg, KDC_UDP_BATCH, MSG_DONTWAIT, NULL);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            const struct msghdr *h = &w->rmsg[i].msg_hdr;
            struct kdc_log_entry log;
            char peer[KDC_PEER_MAX];
            size_t replen = 0, len = w->rmsg[i].msg_len;
            int64_t t0 = mono_us();

            if (h->msg_flags & MSG_TRUNC) {
                /* a request this large belongs on TCP: say so */
                memset(&log, 0, sizeof log);
                log.type = len >= KRB_HEADER_BYTES ? w->uin[i][3] : 0;
                log.result = KRB_ERR_RESPONSE_TOO_BIG;
                snprintf(log.detail, sizeof log.detail, "request over %u bytes on UDP", (unsigned)KDC_UDP_IN);
                replen = 0;
                if (len >= KRB_HEADER_BYTES && w->uin[i][0] == KRB_MAGIC0 && w->uin[i][1] == KRB_MAGIC1) {
                    replen = kdc_error_encode(w->net->k, KRB_ERR_RESPONSE_TOO_BIG, w->out, KRB_MSG_MAX);
                }
            } else if (kdc_handle(w->net->k, w->uin[i], len, w->out, KRB_MSG_MAX, &replen, &log) != KRB_OK) {
                replen = 0;
            }
            if (replen > KRB_UDP_MAX) {
                replen = kdc_error_encode(w->net->k, KRB_ERR_RESPONSE_TOO_BIG, w->out, KRB_MSG_MAX);
                snprintf(log.detail, sizeof log.detail, "%s reply too big for UDP", krb_err_name(log.result));
                log.result = KRB_ERR_RESPONSE_TOO_BIG;
            }
            if (replen > 0 && replen <= KRB_UDP_MAX) {
                struct msghdr *sh = &w->smsg[nsend].msg_hdr;
                memcpy(w->uout[nsend], w->out, replen);
                w->siov[nsend].iov_base = w->uout[nsend];
                w->siov[nsend].iov_len = replen;
                memset(sh, 0, sizeof *sh);
                sh->msg_name = &w->upeer[i];
                sh->msg_namelen = h->msg_namelen;
                sh->msg_iov = &w->siov[nsend];
                sh->msg_iovlen = 1;
                nsend++;
            }
            fmt_peer(&w->upeer[i], peer, sizeof peer);
            kdc_log_request(w->net->k, &w->log, &log, peer, "udp", (long)(mono_us() - t0));
        }
        for (unsigned sent = 0; sent < nsend;) {
            int m = sendmmsg(ev->fd, w->smsg + sent, nsend - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (m < 0 && errno == EINTR) {
                continue;
            }
            if (m <= 0) {
                sent++; /* skip a datagram the kernel refuses (e.g. unreachable peer) */
                continue;
            }
            sent += (unsigned)m;
        }
        if (n < KDC_UDP_BATCH) {
            return;
        }
    }
}

/* ---------------- worker loop ---------------- */

static void drain(struct kdc_worker *w)
{
    struct timeval tv = { 1, 0 };

    worker_close_sockets(w);
    while (w->head != NULL) {
        struct kdc_conn *c = w->head;
        if (c->writing) {
            int fl = fcntl(c->ev.fd, F_GETFL);
            if (fl >= 0) {
                (void)fcntl(c->ev.fd, F_SETFL, fl & ~O_NONBLOCK);
            }
            (void)setsockopt(c->ev.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            (void)flush_out(c);
        }
        conn_close(w, c);
    }
}

static void *worker_main(void *arg)
{
    struct kdc_worker *w = arg;
    struct kdc_net *n = w->net;
    struct epoll_event evs[KDC_EVENTS];

    if (n->pin) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET((int)(w - n->w), &one);
        (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    }

    while (!atomic_load(&n->stop)) {
        struct kdc_conf *conf = kdc_conf_acquire(n->k);
        int64_t idle_ms = conf->tcp_idle / 1000;
        unsigned max_conns = conf->max_tcp;
        int timeout = 1000, nev;

        kdc_conf_release(conf);
        if (w->head != NULL) {
            int64_t d = w->head->deadline - kdc_mono_ms();
            timeout = d < 0 ? 0 : (d < timeout ? (int)d + 1 : timeout);
        }
        nev = epoll_wait(w->ep, evs, KDC_EVENTS, timeout);
        if (nev < 0) {
            if (errno == EINTR) {
                continue;
            }
            kdc_log_msg(n->k, KDC_LOG_ERR, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < nev; i++) {
            struct kdc_ev *ev = evs[i].data.ptr;
            switch (ev->kind) {
            case EV_WAKE:
                break;
            case EV_UDP:
                udp_ready(w, ev);
                break;
            case EV_LISTEN:
                accept_ready(w, ev, idle_ms, max_conns);
                break;
            case EV_CONN:
                conn_ready(w, (struct kdc_conn *)ev, evs[i].events, idle_ms);
                break;
            }
        }
        expire_conns(w);
        if (w->log.len > 0) {
            kdc_log_flush(&w->log);
        }
    }
    drain(w);
    if (w->log.len > 0) {
        kdc_log_flush(&w->log);
    }
    return NULL;
}

krb_err kdc_net_start(struct kdc_net *n)
{
    for (unsigned i = 0; i < n->nworkers; i++) {
        int e = pthread_create(&n->w[i].th, NULL, worker_main, &n->w[i]);
        if (e != 0) {
            kdc_net_stop(n);
            return krb_set_error(n->k->ctx, KRB_ERR_INTERNAL, "cannot start worker thread: %s", strerror(e));
        }
        n->w[i].started = 1;
    }
    return KRB_OK;
}

void kdc_net_stop(struct kdc_net *n)
{
    uint64_t one = 1;

    if (n == NULL) {
        return;
    }
    atomic_store(&n->stop, 1);
    if (n->wakefd >= 0 && write(n->wakefd, &one, sizeof one) < 0) {
        /* the flag alone stops workers within a second */
    }
    for (unsigned i = 0; n->w != NULL && i < n->nworkers; i++) {
        if (n->w[i].started) {
            pthread_join(n->w[i].th, NULL);
            n->w[i].started = 0;
        }
    }
}

void kdc_net_free(struct kdc_net *n)
{
    if (n == NULL) {
        return;
    }
    kdc_net_stop(n);
    if (n->w != NULL) {
        for (unsigned i = 0; i < n->nworkers; i++) {
            struct kdc_worker *w = &n->w[i];
            worker_close_sockets(w);
            while (w->head != NULL) {
                conn_close(w, w->head);
            }
            if (w->ep >= 0) {
                close(w->ep);
            }
        }
        free(n->w);
    }
    if (n->wakefd >= 0) {
        close(n->wakefd);
    }
    free(n);
}
