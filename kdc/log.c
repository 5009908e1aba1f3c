/*
 * log.c — one line per request, and the daemon's own messages, to stderr
 * or syslog (facility daemon). A line is written with one write(2) so lines
 * from several workers never interleave. Never a key: entries carry names,
 * codes and the detail strings written by as.c / tgs.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "kdc.h"

#define KDC_LINE_MAX 1200

void kdc_log_open(struct kdc *k, int use_syslog)
{
    atomic_store(&k->log_syslog, use_syslog);
    openlog("tessera-kdc", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void kdc_log_close(struct kdc *k)
{
    (void)k;
    closelog();
}

static int prio_of(enum kdc_log_level lvl)
{
    switch (lvl) {
    case KDC_LOG_ERR:
        return LOG_ERR;
    case KDC_LOG_WARNING:
        return LOG_WARNING;
    case KDC_LOG_NOTICE:
        return LOG_NOTICE;
    default:
        return LOG_INFO;
    }
}

/* "2026-05-01T10:00:00.123456Z". The date and time to the second are
 * formatted once a second per thread (gmtime_r and strftime cost more than
 * the rest of a request line); only the microseconds are added per line. */
static void stamp(char *buf, size_t cap)
{
    static _Thread_local time_t last_sec = (time_t)-1;
    static _Thread_local char last[32];
    static _Thread_local size_t last_len;
    struct timespec ts;
    long us;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        last_len = strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = ts.tv_sec;
    }
    if (cap < last_len + 9) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, last, last_len);
    buf += last_len;
    *buf++ = '.';
    us = ts.tv_nsec / 1000;
    for (int i = 5; i >= 0; i--) {
        buf[i] = (char)('0' + us % 10);
        us /= 10;
    }
    buf[6] = 'Z';
    buf[7] = '\0';
}

static void emit(struct kdc *k, int prio, const char *line, size_t n)
{
    if (atomic_load_explicit(&k->log_syslog, memory_order_relaxed)) {
        syslog(prio, "%s", line);
    } else {
        char buf[KDC_LINE_MAX + 40];
        char ts[40];
        int m;

        stamp(ts, sizeof ts);
        m = snprintf(buf, sizeof buf, "%s %.*s\n", ts, (int)n, line);
        if (m > 0) {
            size_t len = (size_t)m < sizeof buf ? (size_t)m : sizeof buf - 1;
            if (write(STDERR_FILENO, buf, len) < 0) {
                /* nowhere else to report it */
            }
        }
    }
}

void kdc_log_msg(struct kdc *k, enum kdc_log_level lvl, const char *fmt, ...)
{
    char line[KDC_LINE_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    emit(k, prio_of(lvl), line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

const char *kdc_msg_name(uint8_t type, char *buf, size_t cap)
{
    switch (type) {
    case 0:
        return "-";
    case KRB_MSG_AS_REQ:
        return "AS_REQ";
    case KRB_MSG_TGS_REQ:
        return "TGS_REQ";
    case KRB_MSG_AS_REP:
        return "AS_REP";
    case KRB_MSG_TGS_REP:
        return "TGS_REP";
    case KRB_MSG_ERROR:
        return "ERROR";
    case KRB_MSG_AP_REQ:
        return "AP_REQ";
    case KRB_MSG_AP_REP:
        return "AP_REP";
    default:
        snprintf(buf, cap, "TYPE_%u", (unsigned)type);
        return buf;
    }
}

void kdc_log_flush(struct kdc_logbuf *lb)
{
    size_t off = 0;

    while (off < lb->len) {
        ssize_t m = write(STDERR_FILENO, lb->buf + off, lb->len - off);
        if (m <= 0) {
            break; /* nowhere else to report it */
        }
        off += (size_t)m;
    }
    lb->len = 0;
}

void kdc_log_request(struct kdc *k, struct kdc_logbuf *lb, const struct kdc_log_entry *e, const char *peer,
                     const char *transport, long usec)
{
    char line[KDC_LINE_MAX], tb[16], ts[40];
    const char *q = e->detail[0] ? "\"" : "";
    int n;

    if (atomic_load_explicit(&k->log_quiet, memory_order_relaxed)) {
        return;
    }
    if (lb == NULL || atomic_load_explicit(&k->log_syslog, memory_order_relaxed)) {
        n = snprintf(line, sizeof line, "%s %s %s %s %s %s %ldus%s%s%s", peer, transport,
                     kdc_msg_name(e->type, tb, sizeof tb), e->client[0] ? e->client : "-",
                     e->server[0] ? e->server : "-", krb_err_name(e->result), usec, e->detail[0] ? " \"" : "",
                     e->detail, q);
        if (n >= 0) {
            emit(k, LOG_INFO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        }
        return;
    }
    /* Straight into the worker's batch: one formatting pass per line. */
    if (lb->len + KDC_LINE_MAX + sizeof ts + 2 > sizeof lb->buf) {
        kdc_log_flush(lb);
    }
    stamp(ts, sizeof ts);
    n = snprintf(lb->buf + lb->len, KDC_LINE_MAX + sizeof ts + 2, "%s %s %s %s %s %s %s %ldus%s%s%s", ts, peer,
                 transport, kdc_msg_name(e->type, tb, sizeof tb), e->client[0] ? e->client : "-",
                 e->server[0] ? e->server : "-", krb_err_name(e->result), usec, e->detail[0] ? " \"" : "",
                 e->detail, q);
    if (n > 0) {
        size_t room = KDC_LINE_MAX + sizeof ts + 1; /* bytes before the terminating NUL */
        size_t m = (size_t)n < room ? (size_t)n : room - 1;
        lb->buf[lb->len + m] = '\n';
        lb->len += m + 1;
    }
}
