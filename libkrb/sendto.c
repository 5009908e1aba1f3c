/*
 * sendto.c — talking to the KDCs of a realm (docs/EXCHANGES.md "Transport").
 *
 * Every `kdc =` address of [realm NAME] is tried in order, for kdc_retries
 * rounds, with kdc_timeout per attempt. UDP first; TCP (4-byte big-endian
 * length prefix) when the request is larger than the UDP limit or the KDC
 * answers ERROR RESPONSE_TOO_BIG. An answer of any kind ends the search;
 * silence, a refused connection or garbage moves on to the next address.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "context.h"
#include "error.h"

#define DEFAULT_TIMEOUT ((krb_time)1000000)
#define DEFAULT_RETRIES 2u
#define MAX_RETRIES 10u
#define MAX_KDCS 32u

enum attempt_result {
    ATTEMPT_OK,       /* an answer is in rep */
    ATTEMPT_NEXT,     /* no answer: try the next address */
    ATTEMPT_TOO_BIG,  /* the KDC wants TCP */
};

static krb_time mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (krb_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds left until deadline (0 when passed). */
static int ms_left(krb_time deadline)
{
    krb_time left = deadline - mono_now();

    if (left <= 0) {
        return 0;
    }
    return (int)((left + 999) / 1000);
}

/* Is this a Tessera KDC answer at all? Garbage is ignored like silence. */
static int plausible_reply(const uint8_t *p, size_t n)
{
    uint8_t type;

    if (krb_msg_peek_type(p, n, &type) != KRB_OK) {
        return 0;
    }
    return type == KRB_MSG_AS_REP || type == KRB_MSG_TGS_REP || type == KRB_MSG_ERROR || type == KRB_MSG_CHPW_REP;
}

/* Same family, address and port (the fields that identify a peer). */
static int same_addr(const struct sockaddr_storage *a, socklen_t alen, const struct sockaddr *b, socklen_t blen)
{
    if (a->ss_family != b->sa_family) {
        return 0;
    }
    if (a->ss_family == AF_INET && alen >= sizeof(struct sockaddr_in) && blen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6 && alen >= sizeof(struct sockaddr_in6) && blen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

static int is_too_big(const uint8_t *p, size_t n)
{
    struct krb_error_msg e;
    uint8_t type;

    if (krb_msg_peek_type(p, n, &type) != KRB_OK || type != KRB_MSG_ERROR) {
        return 0;
    }
    if (krb_error_decode(p, n, &e) != KRB_OK) {
        return 0;
    }
    return e.code == KRB_ERR_RESPONSE_TOO_BIG;
}

static enum attempt_result try_udp(krb_context *c, const struct addrinfo *ai, const char *label, krb_time timeout,
                                   const uint8_t *req, size_t reqlen, uint8_t *rep, size_t cap, size_t *replen)
{
    enum attempt_result res = ATTEMPT_NEXT;
    krb_time deadline = mono_now() + timeout;
    int fd;

    fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        krb_trace(c, "udp %s: socket: %s", label, strerror(errno));
        return ATTEMPT_NEXT;
    }
    /* A connected UDP socket only receives datagrams from that address. */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        krb_trace(c, "udp %s: connect: %s", label, strerror(errno));
        goto out;
    }
    if (send(fd, req, reqlen, 0) != (ssize_t)reqlen) {
        krb_trace(c, "udp %s: send: %s", label, strerror(errno));
        goto out;
    }
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        int ms = ms_left(deadline), pr;
        ssize_t k;

        if (ms == 0) {
            krb_trace(c, "udp %s: timed out", label);
            goto out;
        }
        pr = poll(&pfd, 1, ms);
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        if (pr <= 0) {
            krb_trace(c, "udp %s: timed out", label);
            goto out;
        }
        k = recvfrom(fd, rep, cap, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            krb_trace(c, "udp %s: %s", label, strerror(errno)); /* ECONNREFUSED: nobody there */
            goto out;
        }
        if (!same_addr(&from, fromlen, ai->ai_addr, ai->ai_addrlen)) {
            continue; /* not from the KDC we asked */
        }
        if ((size_t)k > cap || !plausible_reply(rep, (size_t)k)) {
            krb_trace(c, "udp %s: ignoring a %zd-byte datagram that is not a KDC reply", label, k);
            continue;
        }
        *replen = (size_t)k;
        res = is_too_big(rep, *replen) ? ATTEMPT_TOO_BIG : ATTEMPT_OK;
        goto out;
    }
out:
    close(fd);
    return res;
}

/* Wait for fd to be ready for events before deadline; 0 on success. */
static int wait_fd(int fd, short events, krb_time deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = events };
        int ms = ms_left(deadline), pr;

        if (ms == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        pr = poll(&pfd, 1, ms);
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        if (pr < 0) {
            return -1;
        }
        if (pr == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        return 0;
    }
}

static int send_all(int fd, const uint8_t *p, size_t n, krb_time deadline)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline) != 0) {
                return -1;
            }
            continue;
        }
        if (k <= 0) {
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, krb_time deadline)
{
    while (n > 0) {
        ssize_t k = recv(fd, p, n, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLIN, deadline) != 0) {
                return -1;
            }
            continue;
        }
        if (k == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (k < 0) {
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static enum attempt_result try_tcp(krb_context *c, const struct addrinfo *ai, const char *label, krb_time timeout,
                                   const uint8_t *req, size_t reqlen, uint8_t *rep, size_t cap, size_t *replen)
{
    krb_time deadline = mono_now() + timeout;
    enum attempt_result res = ATTEMPT_NEXT;
    uint8_t len[4];
    uint32_t n;
    int fd, soerr = 0;
    socklen_t sl = sizeof soerr;

    if (reqlen == 0 || reqlen > KRB_MSG_MAX) {
        return ATTEMPT_NEXT;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        krb_trace(c, "tcp %s: socket: %s", label, strerror(errno));
        return ATTEMPT_NEXT;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            krb_trace(c, "tcp %s: connect: %s", label, strerror(errno));
            goto out;
        }
        if (wait_fd(fd, POLLOUT, deadline) != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
            soerr != 0) {
            krb_trace(c, "tcp %s: connect: %s", label, strerror(soerr != 0 ? soerr : errno));
            goto out;
        }
    }
    krb_put_u32(len, (uint32_t)reqlen);
    if (send_all(fd, len, sizeof len, deadline) != 0 || send_all(fd, req, reqlen, deadline) != 0) {
        krb_trace(c, "tcp %s: send: %s", label, strerror(errno));
        goto out;
    }
    if (recv_all(fd, len, sizeof len, deadline) != 0) {
        krb_trace(c, "tcp %s: receive: %s", label, strerror(errno));
        goto out;
    }
    n = krb_get_u32(len);
    if (n == 0 || n > KRB_MSG_MAX || n > cap) {
        krb_trace(c, "tcp %s: bad reply length %u", label, (unsigned)n);
        goto out;
    }
    if (recv_all(fd, rep, n, deadline) != 0) {
        krb_trace(c, "tcp %s: receive: %s", label, strerror(errno));
        goto out;
    }
    if (!plausible_reply(rep, n)) {
        krb_trace(c, "tcp %s: reply is not a KDC message", label);
        goto out;
    }
    *replen = n;
    res = ATTEMPT_OK;
out:
    close(fd);
    return res;
}

/* Append ", label" to the list of tried addresses (truncated politely). */
static void note_tried(char *tried, size_t cap, const char *label)
{
    size_t used = strlen(tried);

    if (strstr(tried, label) != NULL) {
        return;
    }
    if (used + strlen(label) + 8 >= cap) {
        if (used + 5 < cap && strstr(tried, "...") == NULL) {
            snprintf(tried + used, cap - used, ", ...");
        }
        return;
    }
    snprintf(tried + used, cap - used, "%s%s", used > 0 ? ", " : "", label);
}

krb_err krb_sendto_kdc(krb_context *c, const char *realm, const uint8_t *req, size_t reqlen, uint8_t *rep,
                       size_t cap, size_t *replen)
{
    char section[KRB_REALM_MAX + 8];
    char tried[160] = "";
    krb_time timeout;
    uint64_t retries, udp_limit;
    size_t nkdc;
    krb_err rc;

    *replen = 0;
    if (reqlen == 0 || reqlen > KRB_MSG_MAX) {
        return krb_set_error(c, KRB_ERR_TOO_BIG, "KDC request of %zu bytes is too large", reqlen);
    }
    snprintf(section, sizeof section, "realm %s", realm);
    nkdc = krb_config_count(c->cfg, section, "kdc");
    if (nkdc == 0) {
        return krb_set_error(c, KRB_ERR_CONFIG,
                             "no KDC configured for realm %s: add 'kdc = host:port' to [realm %s] in tessera.conf",
                             realm, realm);
    }
    if (nkdc > MAX_KDCS) {
        nkdc = MAX_KDCS;
    }
    if ((rc = krb_config_duration(c, c->cfg, "libdefaults", "kdc_timeout", DEFAULT_TIMEOUT, &timeout)) != KRB_OK ||
        (rc = krb_config_uint(c, c->cfg, "libdefaults", "kdc_retries", DEFAULT_RETRIES, MAX_RETRIES, &retries)) !=
            KRB_OK ||
        (rc = krb_config_uint(c, c->cfg, "libdefaults", "udp_preference_limit", KRB_UDP_MAX, KRB_MSG_MAX,
                              &udp_limit)) != KRB_OK) {
        return rc;
    }
    if (timeout <= 0) {
        timeout = DEFAULT_TIMEOUT;
    }
    if (retries == 0) {
        retries = 1;
    }
    for (uint64_t round = 0; round < retries; round++) {
        for (size_t i = 0; i < nkdc; i++) {
            const char *spec = krb_config_nth(c->cfg, section, "kdc", i);
            char host[KRB_NAME_MAX + 1], port[8];
            struct addrinfo hints, *res = NULL;
            uint16_t portnum;
            int gai;

            if (krb_parse_hostport(c, spec, host, sizeof host, &portnum) != KRB_OK) {
                return krb_set_error(c, KRB_ERR_CONFIG, "bad kdc address '%s' in [realm %s]", spec, realm);
            }
            note_tried(tried, sizeof tried, spec);
            snprintf(port, sizeof port, "%u", (unsigned)portnum);
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_DGRAM;
            gai = getaddrinfo(host, port, &hints, &res);
            if (gai != 0) {
                krb_trace(c, "kdc %s: cannot resolve: %s", spec, gai_strerror(gai));
                continue;
            }
            for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
                enum attempt_result ar = ATTEMPT_TOO_BIG;

                if (reqlen <= udp_limit) {
                    krb_trace(c, "sending %zu bytes to %s over UDP", reqlen, spec);
                    ar = try_udp(c, ai, spec, timeout, req, reqlen, rep, cap, replen);
                }
                if (ar == ATTEMPT_TOO_BIG) {
                    krb_trace(c, "sending %zu bytes to %s over TCP", reqlen, spec);
                    ar = try_tcp(c, ai, spec, timeout, req, reqlen, rep, cap, replen);
                }
                if (ar == ATTEMPT_OK) {
                    krb_trace(c, "received %zu bytes from %s", *replen, spec);
                    freeaddrinfo(res);
                    return KRB_OK;
                }
            }
            freeaddrinfo(res);
        }
    }
    *replen = 0;
    return krb_set_error(c, KRB_ERR_KDC_UNREACHABLE,
                         "cannot contact any KDC for realm %s (tried %s): is tessera-kdc running?", realm, tried);
}

krb_err krb_kdc_call(krb_context *c, const char *realm, const uint8_t *req, size_t reqlen, uint8_t *rep,
                     size_t cap, size_t *replen, uint8_t *type, struct krb_error_msg *e)
{
    krb_err rc;

    *type = 0;
    memset(e, 0, sizeof *e);
    if ((rc = krb_sendto_kdc(c, realm, req, reqlen, rep, cap, replen)) != KRB_OK) {
        return rc;
    }
    if ((rc = krb_msg_peek_type(rep, *replen, type)) != KRB_OK) {
        return krb_set_error(c, rc, "malformed reply from the KDC for realm %s", realm);
    }
    if (*type != KRB_MSG_ERROR) {
        return KRB_OK;
    }
    if ((rc = krb_error_decode(rep, *replen, e)) != KRB_OK) {
        *type = 0;
        return krb_set_error(c, rc, "malformed ERROR reply from the KDC for realm %s", realm);
    }
    krb_trace(c, "KDC answered ERROR %s%s%s", krb_err_name((krb_err)e->code), e->text[0] != '\0' ? ": " : "",
              e->text);
    if (e->code == KRB_OK || e->code == KRB_CONTINUE || e->code >= (uint32_t)KRB_ERR_COUNT_) {
        *type = 0;
        return krb_set_error(c, KRB_ERR_MALFORMED, "KDC for realm %s sent an ERROR with unknown code %lu", realm,
                             (unsigned long)e->code);
    }
    krb_set_error(c, (krb_err)e->code, NULL);
    return (krb_err)e->code;
}
