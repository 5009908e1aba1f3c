/*
 * tkserver — a sample Tessera service: copy this pattern.
 *
 *   tkserver -p port -s service [-k keytab] [-1]
 *
 * Listens on 127.0.0.1:port. Every token travels in a frame: a 4-byte
 * big-endian length, then the bytes. Per connection:
 *   1. read the client's AP-REQ, krb_sec_accept it, send back the AP-REP
 *      (when the client asked for mutual authentication);
 *   2. print "authenticated <client>";
 *   3. for every wrap token: unwrap, print the message, echo it wrapped.
 * The security context does no I/O: this file owns the socket, the library
 * owns the tokens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "krb.h"

#define FRAME_MAX (1u << 20)

/* Read or write exactly n bytes; 0 on success, -1 on error or EOF. */
static int io_full(int fd, void *p, size_t n, int writing)
{
    uint8_t *b = p;

    while (n > 0) {
        ssize_t r = writing ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Receive one frame into a malloc'ed buffer (caller frees). 1 = clean EOF. */
static int recv_frame(int fd, uint8_t **buf, size_t *len)
{
    uint8_t h[4];
    ssize_t r;
    uint32_t n;

    *buf = NULL;
    *len = 0;
    do {
        r = read(fd, h, 1);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        return 1;
    }
    if (r < 0 || io_full(fd, h + 1, 3, 0) != 0) {
        return -1;
    }
    n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n == 0 || n > FRAME_MAX || (*buf = malloc(n)) == NULL) {
        return -1;
    }
    if (io_full(fd, *buf, n, 0) != 0) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    *len = n;
    return 0;
}

static int send_frame(int fd, const uint8_t *p, size_t n)
{
    uint8_t h[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

    return io_full(fd, h, 4, 1) == 0 && io_full(fd, (void *)(uintptr_t)p, n, 1) == 0 ? 0 : -1;
}

/* One client connection, start to end. */
static void serve(krb_context *c, krb_keytab *kt, krb_rcache *rc, const char *service, int fd)
{
    krb_sec_context *sc = NULL;
    krb_buf out = { NULL, 0 }, msg = { NULL, 0 };
    uint8_t *in = NULL;
    size_t inlen;
    krb_err err;

    /* 1. Authentication: one AP-REQ in, at most one AP-REP out. */
    if (recv_frame(fd, &in, &inlen) != 0) {
        app_warnx("connection closed before authentication");
        goto out;
    }
    if ((err = krb_sec_new_acceptor(c, kt, rc, service, &sc)) != KRB_OK ||
        (err = krb_sec_accept(c, sc, in, inlen, &out)) != KRB_OK) {
        /* The detail is for our log; the client just sees the door close. */
        app_warnx("authentication failed: %s (%s)", krb_context_error(c), krb_err_name(err));
        goto out;
    }
    if (out.len > 0 && send_frame(fd, out.data, out.len) != 0) {
        goto out;
    }
    krb_buf_free(&out);
    printf("authenticated %s\n", krb_sec_peer_name(sc));
    fflush(stdout);

    /* 2. Protected messages: unwrap, print, echo back wrapped. */
    for (;;) {
        int conf = 0;
        free(in);
        if (recv_frame(fd, &in, &inlen) != 0) {
            break;
        }
        if ((err = krb_sec_unwrap(c, sc, in, inlen, &msg, &conf)) != KRB_OK) {
            app_warnx("message refused: %s (%s)", krb_context_error(c), krb_err_name(err));
            break;
        }
        printf("message from %s (%s): %.*s\n", krb_sec_peer_name(sc), conf ? "sealed" : "integrity only",
               (int)msg.len, (const char *)msg.data);
        fflush(stdout);
        err = krb_sec_wrap(c, sc, conf, msg.data, msg.len, &out);
        krb_buf_free(&msg);
        if (err != KRB_OK || send_frame(fd, out.data, out.len) != 0) {
            break;
        }
        krb_buf_free(&out);
    }
out:
    free(in);
    krb_buf_free(&out);
    krb_buf_free(&msg);
    krb_sec_free(sc);
    close(fd);
}

static void usage(void)
{
    fprintf(stderr, "usage: %s -p port -s service [-k keytab] [-1]\n", app_name());
    exit(2);
}

int main(int argc, char **argv)
{
    krb_context *c = NULL;
    krb_keytab *kt = NULL;
    krb_rcache *rc = NULL;
    const char *ktname = NULL, *service = NULL;
    int port = 0, once = 0, opt, lfd = -1, one = 1, status = 1;
    struct sockaddr_in sa;
    krb_err err;

    app_init(argv[0]);
    while ((opt = getopt(argc, argv, "p:k:s:1")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'k':
            ktname = optarg;
            break;
        case 's':
            service = optarg;
            break;
        case '1':
            once = 1;
            break;
        default:
            usage();
        }
    }
    if (port <= 0 || port > 65535 || service == NULL || optind != argc) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    if ((c = app_context()) == NULL) {
        goto out;
    }
    /* The keytab holds our key; the replay cache is shared by every process
     * of this service. Both are opened once and shared by all connections. */
    if ((err = krb_kt_open(c, ktname, &kt)) != KRB_OK || (err = krb_rc_open(c, service, &rc)) != KRB_OK) {
        app_krb_error(c, err);
        goto out;
    }

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 16) != 0) {
        app_warnx("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
        goto out;
    }
    printf("listening on 127.0.0.1:%d as %s\n", port, service);
    fflush(stdout);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            app_warnx("accept: %s", strerror(errno));
            goto out;
        }
        serve(c, kt, rc, service, fd);
        if (once) {
            break;
        }
    }
    status = 0;
out:
    if (lfd >= 0) {
        close(lfd);
    }
    krb_rc_free(rc);
    krb_kt_free(kt);
    krb_context_free(c);
    return status;
}
