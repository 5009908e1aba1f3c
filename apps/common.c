/* common.c — helpers shared by the command-line tools (see common.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"

static const char *prog = "tessera";

void app_init(const char *argv0)
{
    const char *slash;

    if (argv0 == NULL || argv0[0] == '\0') {
        return;
    }
    slash = strrchr(argv0, '/');
    prog = slash != NULL ? slash + 1 : argv0;
}

const char *app_name(void)
{
    return prog;
}

void app_warnx(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void app_krb_error(const krb_context *c, krb_err rc)
{
    app_warnx("%s", c != NULL ? krb_context_error(c) : krb_err_message(rc));
}

void app_wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

/* Read one line from fd into buf; strip the newline. */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    int saw_any = 0;

    if (cap == 0) {
        return -1;
    }
    for (;;) {
        char ch;
        ssize_t k = read(fd, &ch, 1);

        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            goto fail;
        }
        if (k == 0) {
            if (!saw_any) {
                goto fail;
            }
            break;
        }
        saw_any = 1;
        if (ch == '\n') {
            break;
        }
        if (n + 1 >= cap) {
            goto fail; /* too long: refuse rather than truncate */
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    return 0;
fail:
    app_wipe(buf, cap);
    return -1;
}

int app_read_password(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int fd, echo_off = 0, rc;

    fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return -1;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        close(fd);
        return -1;
    }
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
            echo_off = 1;
        }
    }
    rc = read_line(fd, buf, cap);
    if (echo_off) {
        (void)tcsetattr(fd, TCSAFLUSH, &old);
    }
    if (write(fd, "\n", 1) < 0) {
        rc = rc == 0 ? 0 : -1;
    }
    close(fd);
    return rc;
}

int app_read_password_stdin(char *buf, size_t cap)
{
    return read_line(STDIN_FILENO, buf, cap);
}

int app_parse_duration(const char *s, krb_time *out)
{
    krb_time t;

    if (s == NULL || krb_parse_duration(s, &t) != KRB_OK || t <= 0) {
        return -1;
    }
    *out = t;
    return 0;
}

void app_format_time(krb_time t, char *buf, size_t cap)
{
    time_t s = (time_t)(t / 1000000);
    struct tm tm;

    if (localtime_r(&s, &tm) == NULL || strftime(buf, cap, "%m/%d/%Y %H:%M:%S", &tm) == 0) {
        snprintf(buf, cap, "%lld", (long long)(t / 1000000));
    }
}

krb_context *app_context(void)
{
    krb_context *c = NULL;
    krb_err rc = krb_context_new(NULL, &c);

    if (rc != KRB_OK) {
        app_krb_error(c, rc);
        krb_context_free(c);
        return NULL;
    }
    return c;
}

int app_user_name(char *out, size_t cap)
{
    const char *user = getenv("USER");

    if (user == NULL || user[0] == '\0') {
        user = getenv("LOGNAME");
    }
    if (user == NULL || user[0] == '\0') {
        app_warnx("cannot determine your user name: give a principal");
        return -1;
    }
    snprintf(out, cap, "%s", user);
    return 0;
}
