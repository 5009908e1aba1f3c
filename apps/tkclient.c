/*
 * tkclient — client of the sample service tkserver: copy this pattern.
 *
 *   tkclient -p port [-h 127.0.0.1] [-n] [-c] [--dump-token FILE] service message...
 *
 * Authenticates to service with the ticket cache ($TESSERA_CCNAME or the
 * default), with mutual authentication unless -n, then sends each message
 * wrapped (sealed; -c: integrity only) and prints the server's echo.
 * Tokens are framed like tkserver's: 4-byte big-endian length, bytes.
 * --dump-token FILE writes the first token (the AP-REQ) to FILE, so a test
 * can replay it and watch the server refuse it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

static int recv_frame(int fd, uint8_t **buf, size_t *len)
{
    uint8_t h[4];
    uint32_t n;

    *buf = NULL;
    *len = 0;
    if (io_full(fd, h, 4, 0) != 0) {
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

static int dump_token(const char *path, const krb_buf *t)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(t->data, 1, t->len, f) == t->len;

    if (f != NULL && fclose(f) != 0) {
        ok = 0;
    }
    return ok ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: %s -p port [-h 127.0.0.1] [-n] [-c] [--dump-token FILE] service message...\n",
            app_name());
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = { { "dump-token", required_argument, NULL, 'D' }, { NULL, 0, NULL, 0 } };
    krb_context *c = NULL;
    krb_ccache *cc = NULL;
    krb_sec_context *sc = NULL;
    krb_buf out = { NULL, 0 }, msg = { NULL, 0 };
    uint8_t *in = NULL;
    size_t inlen = 0;
    const char *host = "127.0.0.1", *dump = NULL;
    uint32_t flags = KRB_SEC_MUTUAL | KRB_SEC_REPLAY | KRB_SEC_SEQUENCE | KRB_SEC_CONF;
    int port = 0, conf = 1, opt, fd = -1, status = 1, first = 1;
    struct sockaddr_in sa;
    krb_err err;

    app_init(argv[0]);
    while ((opt = getopt_long(argc, argv, "p:h:nc", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'h':
            host = optarg;
            break;
        case 'n':
            flags &= ~KRB_SEC_MUTUAL;
            break;
        case 'c':
            conf = 0;
            break;
        case 'D':
            dump = optarg;
            break;
        default:
            usage();
        }
    }
    if (port <= 0 || port > 65535 || argc - optind < 1) {
        usage();
    }
    signal(SIGPIPE, SIG_IGN);
    if ((c = app_context()) == NULL) {
        goto out;
    }
    /* Credentials: the service ticket comes from the cache or a TGS
     * exchange, done here, before any token is produced. */
    if ((err = krb_cc_open(c, NULL, &cc)) != KRB_OK ||
        (err = krb_sec_new_initiator(c, cc, argv[optind], flags, &sc)) != KRB_OK) {
        app_krb_error(c, err);
        goto out;
    }

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        app_warnx("%s: not an IPv4 address", host);
        goto out;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        app_warnx("cannot connect to %s:%d: %s", host, port, strerror(errno));
        goto out;
    }

    /* Establishment: send what krb_sec_init gives, feed back what the
     * server answers, until KRB_OK. */
    for (;;) {
        err = krb_sec_init(c, sc, in, inlen, &out);
        free(in);
        in = NULL;
        if (err != KRB_OK && err != KRB_CONTINUE) {
            app_krb_error(c, err);
            goto out;
        }
        if (first && dump != NULL && dump_token(dump, &out) != 0) {
            app_warnx("cannot write %s", dump);
            goto out;
        }
        first = 0;
        if (out.len > 0 && send_frame(fd, out.data, out.len) != 0) {
            app_warnx("connection lost");
            goto out;
        }
        krb_buf_free(&out);
        if (err == KRB_OK) {
            break;
        }
        if (recv_frame(fd, &in, &inlen) != 0) {
            app_warnx("server closed the connection: authentication refused (see the server's log)");
            goto out;
        }
    }
    if (krb_sec_flags(sc) & KRB_SEC_MUTUAL) {
        printf("mutual authentication: server is %s\n", krb_sec_peer_name(sc));
    }

    /* Protected messages. */
    for (int i = optind + 1; i < argc; i++) {
        int got_conf = 0;
        if ((err = krb_sec_wrap(c, sc, conf, (const uint8_t *)argv[i], strlen(argv[i]), &out)) != KRB_OK) {
            app_krb_error(c, err);
            goto out;
        }
        if (send_frame(fd, out.data, out.len) != 0 || recv_frame(fd, &in, &inlen) != 0) {
            app_warnx("connection lost");
            goto out;
        }
        krb_buf_free(&out);
        err = krb_sec_unwrap(c, sc, in, inlen, &msg, &got_conf);
        free(in);
        in = NULL;
        if (err != KRB_OK) {
            app_krb_error(c, err);
            goto out;
        }
        printf("reply: %.*s\n", (int)msg.len, (const char *)msg.data);
        krb_buf_free(&msg);
    }
    status = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    free(in);
    krb_buf_free(&out);
    krb_buf_free(&msg);
    krb_sec_free(sc);
    krb_cc_free(cc);
    krb_context_free(c);
    return status;
}
