/*
 * main.c — tessera-kdc: flags, daemonising, pid file, signals.
 *
 * The only globals are the two signal flags; the handlers set them and do
 * nothing else. The main thread sleeps in sigsuspend (the signals are
 * blocked everywhere else, workers included) and acts on the flags:
 * SIGHUP reloads the configuration, SIGTERM/SIGINT stop the workers after
 * their in-flight requests, then the pre-auth recorder once it has written
 * every queued result (no lockout failure is lost), and exit 0.
 *
 * Without -n the daemon forks before opening anything (LMDB must not cross
 * a fork), and the original process waits on a pipe until the daemon has
 * opened the database and its sockets: start-up errors are printed on the
 * terminal and the exit status says whether the KDC is running.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kdc.h"
#include "recorder.h"

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_hup;

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    got_hup = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tessera-kdc [-n] [-c config] [-P pidfile] [-w workers]\n"
            "  -c config   configuration file (default $TESSERA_CONFIG, then %s)\n"
            "  -n          stay in the foreground (default: run as a daemon)\n"
            "  -P pidfile  write the daemon's pid here (overrides [kdc] pidfile)\n"
            "  -w workers  worker threads (overrides [kdc] workers; default: one per CPU)\n"
            "  -h          this help\n"
            "Signals: SIGHUP reloads the configuration, SIGTERM stops after in-flight requests.\n",
            KRB_CONFIG_DEFAULT_PATH);
}

/*
 * Fork twice and detach. Returns in the daemon with *ready_fd set; the
 * original process exits with the status the daemon reports (0 once it
 * writes a byte to ready_fd, 1 if it exits first).
 */
static int daemon_begin(int *ready_fd)
{
    int p[2];
    pid_t pid;
    char b;

    if (pipe(p) != 0) {
        fprintf(stderr, "tessera-kdc: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "tessera-kdc: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        ssize_t m;
        close(p[1]);
        do {
            m = read(p[0], &b, 1);
        } while (m < 0 && errno == EINTR);
        (void)waitpid(pid, NULL, 0);
        _exit(m == 1 ? 0 : 1);
    }
    close(p[0]);
    if (setsid() < 0) {
        _exit(1);
    }
    pid = fork();
    if (pid < 0) {
        _exit(1);
    }
    if (pid > 0) {
        _exit(0); /* the first child; the grandchild holds the pipe */
    }
    umask(027);
    *ready_fd = p[1];
    return 0;
}

/* Tell the waiting parent we are up; detach the standard descriptors.
 * Returns 1 if stderr is kept (a log file), 0 if logging must use syslog. */
static int daemon_ready(int ready_fd, int want_stderr)
{
    int keep_err = 0, fd;
    struct stat st;

    if (want_stderr && fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        keep_err = 1;
    }
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        (void)dup2(fd, STDIN_FILENO);
        (void)dup2(fd, STDOUT_FILENO);
        if (!keep_err) {
            (void)dup2(fd, STDERR_FILENO);
        }
        if (fd > STDERR_FILENO) {
            close(fd);
        }
    }
    if (chdir("/") != 0) {
        /* not fatal */
    }
    if (write(ready_fd, "1", 1) != 1) {
        /* the parent is gone; carry on */
    }
    close(ready_fd);
    return keep_err;
}

/* Refuse to start when the pid file names a live process. */
static int pidfile_check(const char *path)
{
    char buf[32];
    ssize_t m;
    long pid;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        return 0;
    }
    m = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (m <= 0) {
        return 0;
    }
    buf[m] = '\0';
    pid = strtol(buf, NULL, 10);
    if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
        fprintf(stderr, "tessera-kdc: already running as pid %ld (pid file %s)\n", pid, path);
        return -1;
    }
    return 0;
}

/* Write the pid file atomically (temporary file + rename). */
static int pidfile_write(const char *path)
{
    char tmp[PATH_MAX + 32], buf[32];
    int fd, n;

    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "tessera-kdc: pid file path too long\n");
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "tessera-kdc: cannot write pid file %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "tessera-kdc: cannot write pid file %s: %s\n", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "tessera-kdc: cannot write pid file %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void pidfile_remove(const char *path)
{
    char buf[32];
    ssize_t m;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        return;
    }
    m = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (m > 0) {
        buf[m] = '\0';
        if (strtol(buf, NULL, 10) == (long)getpid()) {
            unlink(path);
        }
    }
}

static void harden(void)
{
    struct rlimit rl = { 0, 0 };

    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)setrlimit(RLIMIT_CORE, &rl);
}

int main(int argc, char **argv)
{
    const char *config = NULL, *pidopt = NULL;
    char cfgpath[PATH_MAX], pidfile[PATH_MAX] = "";
    int foreground = 0, opt, ready_fd = -1, status = 1, use_syslog, pid_written = 0;
    unsigned long workers = 0;
    krb_context *c = NULL;
    struct kdc *k = NULL;
    struct kdc_net *net = NULL;
    struct kdc_conf *conf;
    struct sigaction sa;
    sigset_t block, old;
    krb_err rc;

    harden();
    while ((opt = getopt(argc, argv, "c:nP:w:h")) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'n':
            foreground = 1;
            break;
        case 'P':
            pidopt = optarg;
            break;
        case 'w': {
            char *end;
            errno = 0;
            workers = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || workers == 0 || workers > KDC_MAX_WORKERS) {
                fprintf(stderr, "tessera-kdc: -w wants a number from 1 to %d\n", KDC_MAX_WORKERS);
                return 2;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (config == NULL) {
        config = getenv("TESSERA_CONFIG");
    }
    if (config == NULL || config[0] == '\0') {
        config = KRB_CONFIG_DEFAULT_PATH;
    }
    /* absolute, so that a reload after chdir("/") reads the same file */
    if (realpath(config, cfgpath) == NULL) {
        fprintf(stderr, "tessera-kdc: cannot read configuration %s: %s\n", config, strerror(errno));
        return 1;
    }

    if (!foreground && daemon_begin(&ready_fd) != 0) {
        return 1;
    }

    rc = krb_context_new(cfgpath, &c);
    if (rc != KRB_OK) {
        fprintf(stderr, "tessera-kdc: %s (%s)\n", c != NULL ? krb_context_error(c) : krb_err_message(rc),
                krb_err_name(rc));
        goto out;
    }
    rc = kdc_new(c, cfgpath, &k);
    if (rc != KRB_OK) {
        fprintf(stderr, "tessera-kdc: %s (%s)\n", krb_context_error(c), krb_err_name(rc));
        goto out;
    }
    conf = kdc_conf_acquire(k);
    use_syslog = conf->log_syslog;
    snprintf(pidfile, sizeof pidfile, "%s", pidopt != NULL ? pidopt : conf->pidfile);
    kdc_conf_release(conf);
    if (pidfile[0] != '\0' && pidfile_check(pidfile) != 0) {
        goto out;
    }
    rc = kdc_net_open(k, (unsigned)workers, &net);
    if (rc != KRB_OK) {
        fprintf(stderr, "tessera-kdc: %s\n", krb_context_error(c));
        goto out;
    }
    if (pidfile[0] != '\0') {
        if (pidfile_write(pidfile) != 0) {
            goto out;
        }
        pid_written = 1;
    }

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_term;
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    (void)sigaction(SIGHUP, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    /* the recorder first: workers queue pre-auth results from their first request */
    if (kdc_recorder_start(k->rec) != KRB_OK) {
        fprintf(stderr, "tessera-kdc: %s\n", krb_context_error(c));
        goto out;
    }
    if (kdc_net_start(net) != KRB_OK) {
        fprintf(stderr, "tessera-kdc: %s\n", krb_context_error(c));
        goto out;
    }
    if (!foreground) {
        int kept = daemon_ready(ready_fd, !use_syslog);
        ready_fd = -1;
        use_syslog = use_syslog || !kept;
    }
    kdc_log_open(k, use_syslog);
    conf = kdc_conf_acquire(k);
    kdc_log_msg(k, KDC_LOG_NOTICE, "started: realm %s, %zu listen address(es) from %s:%u, %u workers, pid %ld",
                conf->realm, conf->nlisten, conf->listen[0].host, (unsigned)conf->listen[0].port, kdc_net_workers(net),
                (long)getpid());
    kdc_conf_release(conf);

    sigdelset(&old, SIGTERM);
    sigdelset(&old, SIGINT);
    sigdelset(&old, SIGHUP);
    while (!got_term) {
        sigsuspend(&old);
        if (got_hup) {
            char why[KRB_ERRDETAIL_MAX];
            got_hup = 0;
            if (kdc_reload(k, why, sizeof why) == KRB_OK) {
                kdc_log_msg(k, KDC_LOG_NOTICE, "configuration reloaded from %s", cfgpath);
            } else {
                kdc_log_msg(k, KDC_LOG_ERR, "reload failed, keeping the previous configuration: %s", why);
            }
        }
    }
    kdc_log_msg(k, KDC_LOG_NOTICE, "stopping: finishing in-flight requests");
    kdc_net_stop(net);
    kdc_recorder_stop(k->rec); /* drains the queue */
    kdc_log_msg(k, KDC_LOG_NOTICE, "stopped");
    kdc_log_close(k);
    status = 0;
out:
    if (pid_written) {
        pidfile_remove(pidfile);
    }
    kdc_net_free(net);
    kdc_free(k);
    krb_context_free(c);
    return status;
}
