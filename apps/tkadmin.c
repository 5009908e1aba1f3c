/*
 * tkadmin — administer a Tessera realm's local database (the work of
 * kadmin.local and kdb5_util): principals, keys, keytabs, policies,
 * dump/load and backup. See docs/ADMIN.md and tkadmin(8).
 *
 * Exit status: 0 success, 1 failure, 2 usage error. Every failure prints
 * "tkadmin: <what happened> (<what to do>)".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "context.h"
#include "fileutil.h"
#include "kdb.h"
#include "keytab.h"
#include "krb.h"
#include "name.h"

#define PROG "tkadmin"
#define PW_MAX 1024
#define EXIT_USAGE 2
#define DEFAULT_DATABASE "/var/lib/tessera/db"
#define DEFAULT_STASH "/var/lib/tessera/stash"
#define SERVICE_KEEP 2 /* old kvnos kept by randkey/ktadd without a policy */

struct tka {
    krb_context *c;
    struct kdb *db;
    const char *realm_opt; /* -r */
    char realm[KRB_REALM_MAX + 1];
    char dbdir[PATH_MAX];
    char stash[PATH_MAX];
    uint64_t map_size;
    uint32_t pw_ops, pw_memkib;
};

static int errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int errorf(const char *fmt, ...)
{
    va_list ap;

    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* A library failure: its detail already says what happened and what to do. */
static int krb_fail(const struct tka *t, krb_err rc)
{
    return errorf("%s (%s)", krb_context_error(t->c), krb_err_name(rc));
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see tkadmin --help)\n", stderr);
    return EXIT_USAGE;
}

static void usage(FILE *f)
{
    fputs("usage: tkadmin [-c config] [-r realm] command [options] [args]\n"
          "\n"
          "realm:      init | dump [file|-] | load [--update] file | backup dir\n"
          "principals: addprinc [--password-stdin | --randkey] [--policy P] [--no-requires-preauth] [mod options] "
          "name\n"
          "            delprinc [--force] name\n"
          "            modprinc [--locked | --unlocked] [--unlock] [--requires-preauth | --no-requires-preauth]\n"
          "                     [--allow-svr | --disallow-svr] [--maxlife D] [--maxrenewlife D]\n"
          "                     [--expire DATE|never] [--pwexpire DATE|never] [--policy P | --clearpolicy] name\n"
          "            cpw [--password-stdin | --randkey] name | randkey name | getprinc name | listprincs [glob]\n"
          "keytabs:    ktadd [-k keytab] [--norandkey] name... | ktremove [-k keytab] name [kvno|all|old]\n"
          "policies:   addpol | modpol [--minlength N] [--minclasses N] [--history N] [--maxfailure N]\n"
          "                    [--lockoutduration D] [--failurecountinterval D] name\n"
          "            delpol name | getpol name | listpols\n"
          "\n"
          "Durations: 90s, 30m, 10h, 7d. Dates: YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\" (UTC), or never.\n",
          f);
}

/* ------------------------------------------------------------------ */
/* Parsing and formatting                                               */
/* ------------------------------------------------------------------ */

static int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_duration(const char *s, krb_time *out)
{
    return s != NULL && krb_parse_duration(s, out) == KRB_OK ? 0 : -1;
}

/* "never", "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", UTC. */
static int parse_date(const char *s, krb_time *out)
{
    struct tm tm;
    const char *end;
    time_t t;

    if (s == NULL) {
        return -1;
    }
    if (strcmp(s, "never") == 0) {
        *out = 0;
        return 0;
    }
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end == NULL) {
        return -1;
    }
    if (*end != '\0') {
        end = strptime(end, " %H:%M:%S", &tm);
        if (end == NULL || *end != '\0') {
            return -1;
        }
    }
    t = timegm(&tm);
    if (t < 0) {
        return -1;
    }
    *out = (krb_time)t * 1000000;
    return 0;
}

static void fmt_date(krb_time t, char *buf, size_t cap)
{
    struct tm tm;
    time_t s = (time_t)(t / 1000000);

    if (t == 0) {
        snprintf(buf, cap, "never");
        return;
    }
    if (gmtime_r(&s, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        snprintf(buf, cap, "%" PRId64, t);
    }
}

static void fmt_duration(krb_time us, char *buf, size_t cap)
{
    int64_t s = us / 1000000;

    if (us == 0) {
        snprintf(buf, cap, "realm default");
    } else if (s % 86400 == 0) {
        snprintf(buf, cap, "%" PRId64 "d", s / 86400);
    } else if (s % 3600 == 0) {
        snprintf(buf, cap, "%" PRId64 "h", s / 3600);
    } else if (s % 60 == 0) {
        snprintf(buf, cap, "%" PRId64 "m", s / 60);
    } else {
        snprintf(buf, cap, "%" PRId64 "s", s);
    }
}

static void fmt_duration_or(krb_time us, const char *zero, char *buf, size_t cap)
{
    if (us == 0) {
        snprintf(buf, cap, "%s", zero);
    } else {
        fmt_duration(us, buf, cap);
    }
}

/* Options are written --name; the MIT habit -name is accepted as well. */
static const char *long_opt(const char *arg)
{
    if (strncmp(arg, "--", 2) == 0) {
        return arg + 2;
    }
    if (arg[0] == '-' && arg[1] != '\0' && arg[2] != '\0') {
        return arg + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Passwords                                                            */
/* ------------------------------------------------------------------ */

static int read_line_fd(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    char ch;

    for (;;) {
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            if (n == 0) {
                return -1;
            }
            break;
        }
        if (ch == '\n') {
            break;
        }
        if (n + 1 >= cap) {
            sodium_memzero(buf, cap);
            return -2;
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    return 0;
}

static int prompt_noecho(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int rc;

    fputs(prompt, stderr);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
        return -1;
    }
    rc = read_line_fd(STDIN_FILENO, buf, cap);
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return rc;
}

/* Get a new password for name: one line from stdin with --password-stdin,
 * else asked twice on the terminal. Returns 0 or an exit status. */
static int get_new_password(const char *name, int from_stdin, char *pw, size_t cap)
{
    char again[PW_MAX], prompt[KRB_NAME_MAX + 64];
    int rc = 0;

    if (from_stdin) {
        int r = read_line_fd(STDIN_FILENO, pw, cap);
        if (r == -2) {
            return errorf("password on standard input is longer than %d bytes (choose a shorter one)", PW_MAX - 1);
        }
        if (r != 0) {
            return errorf("no password on standard input (pipe one line, e.g. printf '%%s\\n' \"$pw\" | tkadmin ...)");
        }
        return 0;
    }
    if (!isatty(STDIN_FILENO)) {
        return errorf("standard input is not a terminal: pass --password-stdin to read the password from it, or "
                      "--randkey for a random key");
    }
    snprintf(prompt, sizeof prompt, "Password for %s: ", name);
    if (prompt_noecho(prompt, pw, cap) != 0) {
        return errorf("could not read the password from the terminal (password too long or end of input)");
    }
    if (prompt_noecho("Verify password: ", again, sizeof again) != 0) {
        rc = errorf("could not read the password from the terminal (end of input)");
    } else if (strcmp(pw, again) != 0) {
        rc = errorf("the two passwords differ (try again)");
    }
    sodium_memzero(again, sizeof again);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Configuration and database                                          */
/* ------------------------------------------------------------------ */

/* Argon2id memory: a size with K/M/G suffix, or a plain number of KiB. */
static int parse_pwmem(const char *s, uint32_t *kib)
{
    uint64_t v = 0;
    const char *p = s;

    if (*p < '0' || *p > '9') {
        return -1;
    }
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p++ - '0');
        if (v > (uint64_t)1 << 40) {
            return -1;
        }
    }
    if (*p == 'K' || *p == 'k') {
        p++;
    } else if (*p == 'M' || *p == 'm') {
        v *= 1024;
        p++;
    } else if (*p == 'G' || *p == 'g') {
        v *= 1024 * 1024;
        p++;
    }
    if (*p != '\0' || v < KRB_PW_MEMKIB_MIN || v > KRB_PW_MEMKIB_MAX) {
        return -1;
    }
    *kib = (uint32_t)v;
    return 0;
}

static int load_settings(struct tka *t)
{
    const struct krb_config *cfg = t->c->cfg;
    const char *v;
    uint64_t ops;
    krb_err rc;

    v = krb_config_get(cfg, "kdc", "database");
    snprintf(t->dbdir, sizeof t->dbdir, "%s", v != NULL ? v : DEFAULT_DATABASE);
    v = krb_config_get(cfg, "kdc", "stash");
    snprintf(t->stash, sizeof t->stash, "%s", v != NULL ? v : DEFAULT_STASH);
    if (t->realm_opt != NULL) {
        v = t->realm_opt;
    } else {
        v = krb_config_get(cfg, "kdc", "realm");
        if (v == NULL) {
            v = krb_default_realm(t->c);
        }
    }
    snprintf(t->realm, sizeof t->realm, "%s", v != NULL ? v : "");
    if ((rc = krb_config_uint(t->c, cfg, "kdc", "map_size", 0, (uint64_t)1 << 40, &t->map_size)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    if ((rc = krb_config_uint(t->c, cfg, "kdc", "pwhash_ops", KRB_PW_OPS_DEFAULT, KRB_PW_OPS_MAX, &ops)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    if (ops < KRB_PW_OPS_MIN) {
        return errorf("[kdc] pwhash_ops must be %u..%u", KRB_PW_OPS_MIN, KRB_PW_OPS_MAX);
    }
    t->pw_ops = (uint32_t)ops;
    t->pw_memkib = KRB_PW_MEMKIB_DEFAULT;
    v = krb_config_get(cfg, "kdc", "pwhash_mem");
    if (v != NULL && parse_pwmem(v, &t->pw_memkib) != 0) {
        return errorf("[kdc] pwhash_mem '%s' is not a size between 8K and 1G (e.g. 64M)", v);
    }
    return 0;
}

static int need_realm(const struct tka *t)
{
    if (t->realm[0] == '\0') {
        return usage_error("no realm configured (set realm in [kdc] or default_realm in [libdefaults], or pass "
                           "-r REALM)");
    }
    return 0;
}

static int open_db(struct tka *t, int flags)
{
    krb_err rc = kdb_open(t->c, t->dbdir, t->stash, flags, t->map_size, &t->db);

    if (rc != KRB_OK) {
        return krb_fail(t, rc);
    }
    if (t->realm_opt != NULL && strcmp(t->realm_opt, kdb_realm(t->db)) != 0) {
        return errorf("database %s is realm %s, not %s (check -r or 'database' in [kdc])", t->dbdir, kdb_realm(t->db),
                      t->realm_opt);
    }
    snprintf(t->realm, sizeof t->realm, "%s", kdb_realm(t->db));
    return 0;
}

static int canon(struct tka *t, const char *in, char out[KRB_NAME_MAX + 1])
{
    krb_err rc = krb_name_parse(t->c, in, t->realm, out);

    if (rc != KRB_OK) {
        return errorf("'%s' is not a valid principal name: %s (write name[/instance][@REALM])", in,
                      krb_context_error(t->c));
    }
    return 0;
}

static int princ_error(struct tka *t, krb_err rc, const char *name)
{
    if (rc == KRB_ERR_UNKNOWN_PRINCIPAL) {
        return errorf("principal %s does not exist (see tkadmin listprincs, or create it with addprinc)", name);
    }
    if (rc == KRB_ERR_EXISTS) {
        return errorf("principal %s already exists (use cpw to change its password)", name);
    }
    if (rc == KRB_ERR_POLICY_UNKNOWN) {
        return errorf("%s (see tkadmin listpols)", krb_context_error(t->c));
    }
    return krb_fail(t, rc);
}

/* ------------------------------------------------------------------ */
/* Principal modifications (shared by addprinc and modprinc)           */
/* ------------------------------------------------------------------ */

struct mods {
    uint32_t set_flags, clear_flags;
    int unlock;
    int has_maxlife, has_maxrenew, has_expire, has_pwexpire, has_policy, clear_policy;
    krb_time maxlife, maxrenew, expire, pwexpire;
    char policy[KDB_POLICY_NAME_MAX + 1];
};

/* Consume one modification option at argv[*i]; 1 if consumed, 0 if not
 * a modification option, -1 (after printing) on a bad value. */
static int parse_mod(int argc, char **argv, int *i, struct mods *m)
{
    const char *o = long_opt(argv[*i]);
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;

    if (o == NULL) {
        return 0;
    }
    if (strcmp(o, "locked") == 0) {
        m->set_flags |= KDB_F_LOCKED;
        m->clear_flags &= ~KDB_F_LOCKED;
    } else if (strcmp(o, "unlocked") == 0) {
        m->clear_flags |= KDB_F_LOCKED;
        m->set_flags &= ~KDB_F_LOCKED;
    } else if (strcmp(o, "unlock") == 0) {
        m->unlock = 1;
    } else if (strcmp(o, "requires-preauth") == 0) {
        m->set_flags |= KDB_F_REQUIRES_PREAUTH;
        m->clear_flags &= ~KDB_F_REQUIRES_PREAUTH;
    } else if (strcmp(o, "no-requires-preauth") == 0) {
        m->clear_flags |= KDB_F_REQUIRES_PREAUTH;
        m->set_flags &= ~KDB_F_REQUIRES_PREAUTH;
    } else if (strcmp(o, "allow-svr") == 0) {
        m->clear_flags |= KDB_F_DISALLOW_SVR;
        m->set_flags &= ~KDB_F_DISALLOW_SVR;
    } else if (strcmp(o, "disallow-svr") == 0) {
        m->set_flags |= KDB_F_DISALLOW_SVR;
        m->clear_flags &= ~KDB_F_DISALLOW_SVR;
    } else if (strcmp(o, "clearpolicy") == 0) {
        m->clear_policy = 1;
        m->has_policy = 0;
    } else if (strcmp(o, "maxlife") == 0 || strcmp(o, "maxrenewlife") == 0) {
        krb_time d;
        if (parse_duration(val, &d) != 0) {
            usage_error("--%s needs a duration such as 10h, 7d, 30m or 90s", o);
            return -1;
        }
        if (o[3] == 'l') {
            m->has_maxlife = 1;
            m->maxlife = d;
        } else {
            m->has_maxrenew = 1;
            m->maxrenew = d;
        }
        (*i)++;
    } else if (strcmp(o, "expire") == 0 || strcmp(o, "pwexpire") == 0) {
        krb_time d;
        if (parse_date(val, &d) != 0) {
            usage_error("--%s needs YYYY-MM-DD, \"YYYY-MM-DD HH:MM:SS\" (UTC) or never", o);
            return -1;
        }
        if (o[0] == 'e') {
            m->has_expire = 1;
            m->expire = d;
        } else {
            m->has_pwexpire = 1;
            m->pwexpire = d;
        }
        (*i)++;
    } else if (strcmp(o, "policy") == 0) {
        if (val == NULL || strlen(val) > KDB_POLICY_NAME_MAX) {
            usage_error("--policy needs a policy name");
            return -1;
        }
        snprintf(m->policy, sizeof m->policy, "%s", val);
        m->has_policy = 1;
        m->clear_policy = 0;
        (*i)++;
    } else {
        return 0;
    }
    return 1;
}

static void apply_mods(const struct mods *m, struct kdb_principal *p)
{
    p->flags = (p->flags | m->set_flags) & ~m->clear_flags;
    if (m->unlock) {
        p->fail_count = 0;
    }
    if (m->has_maxlife) {
        p->max_life = m->maxlife;
    }
    if (m->has_maxrenew) {
        p->max_renew = m->maxrenew;
    }
    if (m->has_expire) {
        p->expire = m->expire;
    }
    if (m->has_pwexpire) {
        p->pw_expire = m->pwexpire;
    }
    if (m->has_policy) {
        snprintf(p->policy, sizeof p->policy, "%s", m->policy);
    }
    if (m->clear_policy) {
        p->policy[0] = '\0';
    }
}

/* The policy a principal is subject to: its own, or none. */
static int lookup_policy(struct tka *t, const char *name, struct kdb_policy *pol, int *have)
{
    krb_err rc;

    *have = 0;
    if (name[0] == '\0') {
        return 0;
    }
    rc = kdb_policy_get(t->c, t->db, name, pol);
    if (rc == KRB_ERR_POLICY_UNKNOWN) {
        return errorf("policy %s does not exist (create it with addpol, or see listpols)", name);
    }
    if (rc != KRB_OK) {
        return krb_fail(t, rc);
    }
    *have = 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */
/* ------------------------------------------------------------------ */

static int cmd_init(struct tka *t, int argc, char **argv)
{
    struct kdb_principal p;
    krb_err rc;
    int st;

    (void)argv;
    if (argc != 1) {
        return usage_error("init takes no arguments");
    }
    if ((st = need_realm(t)) != 0) {
        return st;
    }
    rc = kdb_create(t->c, t->dbdir, t->stash, t->realm, t->map_size, &t->db);
    if (rc != KRB_OK) {
        return krb_fail(t, rc);
    }
    if ((rc = kdb_set_pwhash_params(t->c, t->db, t->pw_ops, t->pw_memkib)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    memset(&p, 0, sizeof p);
    if ((rc = krb_name_tgs(p.name, t->realm)) != KRB_OK) {
        return errorf("cannot build the krbtgt name for realm %s", t->realm);
    }
    p.mod_time = krb_now(t->c);
    if ((rc = kdb_key_add(t->c, t->db, &p, NULL, 0)) != KRB_OK || (rc = kdb_put(t->c, t->db, &p, 1)) != KRB_OK) {
        sodium_memzero(&p, sizeof p);
        return krb_fail(t, rc);
    }
    sodium_memzero(&p, sizeof p);
    /* kadmin/changepw: tickets for it only from a password login (the KDC's
     * TGS refuses it), used by tkpasswd. */
    memset(&p, 0, sizeof p);
    if ((size_t)snprintf(p.name, sizeof p.name, "kadmin/changepw@%s", t->realm) >= sizeof p.name) {
        return errorf("realm name %s too long", t->realm);
    }
    p.flags = KDB_F_DISALLOW_SVR;
    p.mod_time = krb_now(t->c);
    if ((rc = kdb_key_add(t->c, t->db, &p, NULL, 0)) != KRB_OK || (rc = kdb_put(t->c, t->db, &p, 1)) != KRB_OK) {
        sodium_memzero(&p, sizeof p);
        return krb_fail(t, rc);
    }
    sodium_memzero(&p, sizeof p);
    printf("Initialized realm %s: database %s, stash %s (keep a copy of the stash somewhere safe)\n", t->realm,
           t->dbdir, t->stash);
    return 0;
}

static int cmd_addprinc(struct tka *t, int argc, char **argv)
{
    struct kdb_principal p;
    struct kdb_policy pol;
    struct mods m;
    char name[KRB_NAME_MAX + 1], pw[PW_MAX];
    const char *arg = NULL;
    int from_stdin = 0, randkey = 0, st = 0, have_pol = 0;
    krb_err rc;

    memset(&m, 0, sizeof m);
    memset(&p, 0, sizeof p);
    pw[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        int r = parse_mod(argc, argv, &i, &m);
        if (r < 0) {
            return EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (o != NULL && strcmp(o, "password-stdin") == 0) {
            from_stdin = 1;
        } else if (o != NULL && strcmp(o, "randkey") == 0) {
            randkey = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("addprinc: unknown option %s", argv[i]);
        } else if (arg != NULL) {
            return usage_error("addprinc takes one principal name");
        } else {
            arg = argv[i];
        }
    }
    if (arg == NULL) {
        return usage_error("addprinc needs a principal name");
    }
    if (from_stdin && randkey) {
        return usage_error("--password-stdin and --randkey exclude each other");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0 || (st = canon(t, arg, name)) != 0) {
        return st;
    }
    if (kdb_get(t->c, t->db, name, &p) == KRB_OK) {
        return errorf("principal %s already exists (use cpw to change its password)", name);
    }
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.flags = KDB_F_REQUIRES_PREAUTH;
    apply_mods(&m, &p);
    if ((st = lookup_policy(t, p.policy, &pol, &have_pol)) != 0) {
        goto out;
    }
    if (!randkey) {
        if ((st = get_new_password(name, from_stdin, pw, sizeof pw)) != 0) {
            goto out;
        }
        if ((rc = kdb_password_check(t->c, have_pol ? &pol : NULL, pw)) != KRB_OK) {
            st = errorf("password for %s rejected: %s", name, krb_context_error(t->c));
            goto out;
        }
    }
    p.mod_time = krb_now(t->c);
    if ((rc = kdb_key_add(t->c, t->db, &p, randkey ? NULL : pw, 0)) != KRB_OK) {
        st = krb_fail(t, rc);
        goto out;
    }
    if ((rc = kdb_put(t->c, t->db, &p, 1)) != KRB_OK) {
        st = princ_error(t, rc, name);
        goto out;
    }
    printf("Principal %s created.\n", name);
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(&p, sizeof p);
    return st;
}

static int cmd_delprinc(struct tka *t, int argc, char **argv)
{
    char name[KRB_NAME_MAX + 1], answer[16];
    const char *arg = NULL;
    int force = 0, st;
    krb_err rc;

    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        if (o != NULL && strcmp(o, "force") == 0) {
            force = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("delprinc: unknown option %s", argv[i]);
        } else if (arg != NULL) {
            return usage_error("delprinc takes one principal name");
        } else {
            arg = argv[i];
        }
    }
    if (arg == NULL) {
        return usage_error("delprinc needs a principal name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0 || (st = canon(t, arg, name)) != 0) {
        return st;
    }
    if (!force) {
        if (!isatty(STDIN_FILENO)) {
            return errorf("not deleting %s without confirmation (standard input is not a terminal: use --force)", name);
        }
        fprintf(stderr, "Delete principal %s? (y/N) ", name);
        fflush(stderr);
        if (read_line_fd(STDIN_FILENO, answer, sizeof answer) != 0 ||
            (strcmp(answer, "y") != 0 && strcmp(answer, "yes") != 0)) {
            return errorf("principal %s not deleted (answer y to confirm)", name);
        }
    }
    if ((rc = kdb_delete(t->c, t->db, name)) != KRB_OK) {
        return princ_error(t, rc, name);
    }
    printf("Principal %s deleted.\n", name);
    return 0;
}

static krb_err mod_cb(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    (void)db;
    apply_mods(arg, p);
    p->mod_time = krb_now(c);
    return KRB_OK;
}

static int cmd_modprinc(struct tka *t, int argc, char **argv)
{
    struct mods m;
    char name[KRB_NAME_MAX + 1];
    const char *arg = NULL;
    int st, any = 0;
    krb_err rc;

    memset(&m, 0, sizeof m);
    for (int i = 1; i < argc; i++) {
        int r = parse_mod(argc, argv, &i, &m);
        if (r < 0) {
            return EXIT_USAGE;
        }
        if (r > 0) {
            any = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("modprinc: unknown option %s", argv[i]);
        } else if (arg != NULL) {
            return usage_error("modprinc takes one principal name");
        } else {
            arg = argv[i];
        }
    }
    if (arg == NULL) {
        return usage_error("modprinc needs a principal name");
    }
    if (!any) {
        return usage_error("modprinc: nothing to change");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0 || (st = canon(t, arg, name)) != 0) {
        return st;
    }
    if ((rc = kdb_update(t->c, t->db, name, mod_cb, &m)) != KRB_OK) {
        return princ_error(t, rc, name);
    }
    printf("Principal %s modified.\n", name);
    return 0;
}

struct rekey {
    const char *password; /* NULL: random key */
    uint32_t keep;
    uint32_t kvno; /* out */
};

static krb_err rekey_cb(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    struct rekey *r = arg;
    krb_err rc = kdb_key_add(c, db, p, r->password, r->keep);

    if (rc == KRB_OK) {
        r->kvno = p->keys[0].kvno;
        p->mod_time = krb_now(c);
        if (r->password != NULL) {
            p->fail_count = 0;
        }
    }
    return rc;
}

/* Old kvnos kept on a key change: the policy's history, else a default. */
static int keep_for(struct tka *t, const char *name, uint32_t def, uint32_t *keep)
{
    struct kdb_principal p;
    struct kdb_policy pol;
    int have = 0, st;
    krb_err rc;

    *keep = def;
    if ((rc = kdb_get(t->c, t->db, name, &p)) != KRB_OK) {
        return princ_error(t, rc, name);
    }
    st = lookup_policy(t, p.policy, &pol, &have);
    sodium_memzero(&p, sizeof p);
    if (st == 0 && have) {
        *keep = pol.history;
    }
    return st;
}

static int change_key(struct tka *t, const char *name, const char *pw, uint32_t keep, uint32_t *kvno)
{
    struct rekey r = { pw, keep, 0 };
    krb_err rc = kdb_update(t->c, t->db, name, rekey_cb, &r);

    if (rc != KRB_OK) {
        return princ_error(t, rc, name);
    }
    *kvno = r.kvno;
    return 0;
}

static int cmd_cpw(struct tka *t, int argc, char **argv)
{
    struct kdb_principal p;
    struct kdb_policy pol;
    char name[KRB_NAME_MAX + 1], pw[PW_MAX];
    const char *arg = NULL;
    int from_stdin = 0, randkey = 0, st, have = 0;
    uint32_t kvno = 0;
    krb_err rc;

    pw[0] = '\0';
    memset(&p, 0, sizeof p);
    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        if (o != NULL && strcmp(o, "password-stdin") == 0) {
            from_stdin = 1;
        } else if (o != NULL && strcmp(o, "randkey") == 0) {
            randkey = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("cpw: unknown option %s", argv[i]);
        } else if (arg != NULL) {
            return usage_error("cpw takes one principal name");
        } else {
            arg = argv[i];
        }
    }
    if (arg == NULL) {
        return usage_error("cpw needs a principal name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0 || (st = canon(t, arg, name)) != 0) {
        return st;
    }
    if ((rc = kdb_get(t->c, t->db, name, &p)) != KRB_OK) {
        return princ_error(t, rc, name);
    }
    if ((st = lookup_policy(t, p.policy, &pol, &have)) != 0) {
        goto out;
    }
    if (!randkey) {
        if ((st = get_new_password(name, from_stdin, pw, sizeof pw)) != 0) {
            goto out;
        }
        if ((rc = kdb_password_check(t->c, have ? &pol : NULL, pw)) != KRB_OK) {
            st = errorf("password for %s rejected: %s", name, krb_context_error(t->c));
            goto out;
        }
    }
    /* Without a policy a password change drops the old keys: an old
     * password must stop working at once. */
    if ((st = change_key(t, name, randkey ? NULL : pw, have ? pol.history : (randkey ? SERVICE_KEEP : 0), &kvno)) !=
        0) {
        goto out;
    }
    printf("Key for %s changed (kvno %u).\n", name, (unsigned)kvno);
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(&p, sizeof p);
    return st;
}

static int cmd_randkey(struct tka *t, int argc, char **argv)
{
    char name[KRB_NAME_MAX + 1];
    uint32_t keep = 0, kvno = 0;
    int st;

    if (argc != 2 || argv[1][0] == '-') {
        return usage_error("usage: randkey name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0 || (st = canon(t, argv[1], name)) != 0 ||
        (st = keep_for(t, name, SERVICE_KEEP, &keep)) != 0 || (st = change_key(t, name, NULL, keep, &kvno)) != 0) {
        return st;
    }
    printf("Key for %s randomized (kvno %u).\n", name, (unsigned)kvno);
    return 0;
}

static void print_flags(uint32_t f)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        { KDB_F_REQUIRES_PREAUTH, "REQUIRES_PREAUTH" },     { KDB_F_DISALLOW_SVR, "DISALLOW_SVR" },
        { KDB_F_DISALLOW_TGT_BASED, "DISALLOW_TGT_BASED" }, { KDB_F_LOCKED, "LOCKED" },
        { KDB_F_DISALLOW_RENEWABLE, "DISALLOW_RENEWABLE" },
    };
    int any = 0;

    fputs("Flags: ", stdout);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (f & names[i].bit) {
            printf("%s%s", any ? " " : "", names[i].name);
            any = 1;
        }
    }
    puts(any ? "" : "(none)");
}

static const char *suite_name(uint16_t s)
{
    switch (s) {
    case KRB_SUITE_XCHACHA20POLY1305:
        return "xchacha20-poly1305";
    case KRB_SUITE_AES256GCM:
        return "aes256-gcm";
    default:
        return "unknown";
    }
}

static int cmd_getprinc(struct tka *t, int argc, char **argv)
{
    struct kdb_principal p;
    char name[KRB_NAME_MAX + 1], b1[64];
    krb_time now;
    krb_err rc;
    int st;

    if (argc != 2 || argv[1][0] == '-') {
        return usage_error("usage: getprinc name");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0 || (st = canon(t, argv[1], name)) != 0) {
        return st;
    }
    if ((rc = kdb_get(t->c, t->db, name, &p)) != KRB_OK) {
        return princ_error(t, rc, name);
    }
    now = krb_now(t->c);
    printf("Principal: %s\n", p.name);
    print_flags(p.flags);
    printf("Policy: %s\n", p.policy[0] != '\0' ? p.policy : "(none)");
    fmt_duration(p.max_life, b1, sizeof b1);
    printf("Maximum ticket life: %s\n", b1);
    fmt_duration(p.max_renew, b1, sizeof b1);
    printf("Maximum renewable life: %s\n", b1);
    fmt_date(p.expire, b1, sizeof b1);
    printf("Expiration date: %s\n", b1);
    fmt_date(p.pw_expire, b1, sizeof b1);
    printf("Password expiration date: %s\n", b1);
    fmt_date(p.mod_time, b1, sizeof b1);
    printf("Last modified: %s\n", b1);
    fmt_date(p.last_success, b1, sizeof b1);
    printf("Last successful authentication: %s\n", b1);
    fmt_date(p.last_failed, b1, sizeof b1);
    printf("Last failed authentication: %s\n", b1);
    printf("Failed password attempts: %u\n", (unsigned)p.fail_count);
    printf("Locked: %s\n", kdb_is_locked(t->c, t->db, &p, now) ? "yes" : "no");
    printf("Number of keys: %u\n", (unsigned)p.nkeys);
    for (unsigned i = 0; i < p.nkeys; i++) {
        const struct kdb_key *k = &p.keys[i];
        if (k->has_salt) {
            printf("Key: kvno %u, suite %u (%s), password (Argon2id ops %u, memory %u KiB)\n", (unsigned)k->kvno,
                   (unsigned)k->suite, suite_name(k->suite), (unsigned)k->ops, (unsigned)k->memkib);
        } else {
            printf("Key: kvno %u, suite %u (%s), random\n", (unsigned)k->kvno, (unsigned)k->suite,
                   suite_name(k->suite));
        }
    }
    sodium_memzero(&p, sizeof p);
    return 0;
}

static int list_cb(const struct kdb_principal *p, void *arg)
{
    (*(unsigned long *)arg)++;
    return puts(p->name) < 0;
}

static int cmd_listprincs(struct tka *t, int argc, char **argv)
{
    char glob[KRB_NAME_MAX + KRB_REALM_MAX + 2] = "";
    unsigned long n = 0;
    krb_err rc;
    int st;

    if (argc > 2) {
        return usage_error("usage: listprincs [glob]");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0) {
        return st;
    }
    if (argc == 2) {
        /* a pattern without a realm matches within the database's realm */
        if (strchr(argv[1], '@') == NULL) {
            snprintf(glob, sizeof glob, "%s@%s", argv[1], t->realm);
        } else {
            snprintf(glob, sizeof glob, "%s", argv[1]);
        }
    }
    if ((rc = kdb_iterate(t->c, t->db, argc == 2 ? glob : NULL, list_cb, &n)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    return 0;
}

static int cmd_ktadd(struct tka *t, int argc, char **argv)
{
    const char *ktpath = NULL;
    krb_keytab *kt = NULL;
    int norandkey = 0, st = 0, nnames = 0, added = 0, changed = 0;
    krb_err rc;

    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        if (strcmp(argv[i], "-k") == 0 || (o != NULL && strcmp(o, "keytab") == 0)) {
            if (i + 1 >= argc) {
                return usage_error("-k needs a keytab path");
            }
            ktpath = argv[++i];
        } else if (o != NULL && strcmp(o, "norandkey") == 0) {
            norandkey = 1;
        } else if (argv[i][0] == '-') {
            return usage_error("ktadd: unknown option %s", argv[i]);
        } else {
            nnames++;
        }
    }
    if (nnames == 0) {
        return usage_error("ktadd needs at least one principal name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0) {
        return st;
    }
    if ((rc = krb_kt_open(t->c, ktpath, &kt)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    for (int i = 1; i < argc && st == 0; i++) {
        char name[KRB_NAME_MAX + 1];
        struct kdb_principal p;
        struct krb_key key;
        uint32_t keep = 0, kvno = 0;

        if (strcmp(argv[i], "-k") == 0 || strcmp(argv[i], "--keytab") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] == '-') {
            continue;
        }
        if ((st = canon(t, argv[i], name)) != 0) {
            break;
        }
        if (!norandkey && ((st = keep_for(t, name, SERVICE_KEEP, &keep)) != 0 ||
                           (st = change_key(t, name, NULL, keep, &kvno)) != 0)) {
            break;
        }
        changed += !norandkey;
        if ((rc = kdb_get(t->c, t->db, name, &p)) != KRB_OK) {
            st = princ_error(t, rc, name);
            break;
        }
        rc = kdb_key_get(t->c, t->db, &p, 0, &key, &kvno);
        sodium_memzero(&p, sizeof p);
        if (rc != KRB_OK) {
            st = krb_fail(t, rc);
            break;
        }
        rc = krb_kt_add(t->c, kt, name, kvno, &key);
        krb_key_wipe(&key);
        if (rc != KRB_OK) {
            st = krb_fail(t, rc);
            break;
        }
        added++;
        printf("Entry for principal %s with kvno %u added to keytab %s.\n", name, (unsigned)kvno, krb_kt_path(kt));
    }
    /* Save what was added even after a later failure: the database already
     * holds the new keys, so the keytab must have them too. */
    if (added > 0 && (rc = krb_kt_save(t->c, kt)) != KRB_OK) {
        st = krb_fail(t, rc);
        if (changed > 0) {
            errorf("the entries above were not written, but the database already holds the new keys: once %s can be "
                   "written, copy them into it with "
                   "`tkadmin ktadd --norandkey -k %s NAME...` (without --norandkey the keys would change again)",
                   krb_kt_path(kt), krb_kt_path(kt));
        }
    }
    krb_kt_free(kt);
    return st;
}

static int cmd_ktremove(struct tka *t, int argc, char **argv)
{
    const char *ktpath = NULL, *arg = NULL, *which = NULL;
    char name[KRB_NAME_MAX + 1];
    krb_keytab *kt = NULL;
    uint32_t kvno = 0;
    size_t removed = 0;
    krb_err rc;
    int st = 0;

    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        if (strcmp(argv[i], "-k") == 0 || (o != NULL && strcmp(o, "keytab") == 0)) {
            if (i + 1 >= argc) {
                return usage_error("-k needs a keytab path");
            }
            ktpath = argv[++i];
        } else if (argv[i][0] == '-') {
            return usage_error("ktremove: unknown option %s", argv[i]);
        } else if (arg == NULL) {
            arg = argv[i];
        } else if (which == NULL) {
            which = argv[i];
        } else {
            return usage_error("usage: ktremove [-k keytab] name [kvno|all|old]");
        }
    }
    if (arg == NULL) {
        return usage_error("usage: ktremove [-k keytab] name [kvno|all|old]");
    }
    if (which != NULL && strcmp(which, "all") != 0 && strcmp(which, "old") != 0 &&
        (parse_uint(which, UINT32_MAX, &kvno) != 0 || kvno == 0)) {
        return usage_error("ktremove: '%s' is not a kvno, all or old", which);
    }
    /* no database needed: the realm only completes short names */
    if ((st = canon(t, arg, name)) != 0) {
        return st;
    }
    if ((rc = krb_kt_open(t->c, ktpath, &kt)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    if (which != NULL && strcmp(which, "old") == 0) {
        rc = krb_kt_remove_old(t->c, kt, name, &removed);
    } else {
        size_t before = krb_kt_count(kt);
        rc = krb_kt_remove(t->c, kt, name, kvno);
        removed = before - krb_kt_count(kt);
    }
    if (rc == KRB_OK) {
        rc = krb_kt_save(t->c, kt);
    }
    if (rc != KRB_OK) {
        st = krb_fail(t, rc);
    } else {
        printf("Removed %zu entr%s for %s from keytab %s.\n", removed, removed == 1 ? "y" : "ies", name,
               krb_kt_path(kt));
    }
    krb_kt_free(kt);
    return st;
}

/* ---- policies ---- */

static int parse_pol_opts(int argc, char **argv, struct kdb_policy *p, const char **name)
{
    *name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint32_t *u = NULL;
        krb_time *d = NULL;
        uint32_t max = UINT32_MAX;

        if (o == NULL) {
            if (*name != NULL) {
                return usage_error("%s takes one policy name", argv[0]);
            }
            *name = argv[i];
            continue;
        }
        if (strcmp(o, "minlength") == 0) {
            u = &p->min_length;
            max = 1024;
        } else if (strcmp(o, "minclasses") == 0) {
            u = &p->min_classes;
            max = 4;
        } else if (strcmp(o, "history") == 0) {
            u = &p->history;
            max = KDB_MAX_KEYS;
        } else if (strcmp(o, "maxfailure") == 0) {
            u = &p->max_failures;
        } else if (strcmp(o, "lockoutduration") == 0) {
            d = &p->lockout_duration;
        } else if (strcmp(o, "failurecountinterval") == 0) {
            d = &p->failure_window;
        } else {
            return usage_error("%s: unknown option %s", argv[0], argv[i]);
        }
        if (u != NULL && parse_uint(val, max, u) != 0) {
            return usage_error("--%s needs a number from 0 to %u", o, (unsigned)max);
        }
        if (d != NULL && parse_duration(val, d) != 0) {
            return usage_error("--%s needs a duration such as 10m, 1h or 0", o);
        }
        i++;
    }
    if (*name == NULL) {
        return usage_error("%s needs a policy name", argv[0]);
    }
    if (strlen(*name) > KDB_POLICY_NAME_MAX) {
        return usage_error("policy name %s is longer than %d characters", *name, KDB_POLICY_NAME_MAX);
    }
    snprintf(p->name, sizeof p->name, "%s", *name);
    return 0;
}

static int cmd_addpol(struct tka *t, int argc, char **argv)
{
    struct kdb_policy p;
    const char *name;
    krb_err rc;
    int st;

    memset(&p, 0, sizeof p);
    p.history = 1;
    if ((st = parse_pol_opts(argc, argv, &p, &name)) != 0 || (st = open_db(t, KDB_RDWR)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_put(t->c, t->db, &p, 1)) != KRB_OK) {
        if (rc == KRB_ERR_EXISTS) {
            return errorf("policy %s already exists (change it with modpol)", name);
        }
        return krb_fail(t, rc);
    }
    printf("Policy %s created.\n", name);
    return 0;
}

static int cmd_modpol(struct tka *t, int argc, char **argv)
{
    struct kdb_policy p;
    const char *name = NULL;
    krb_err rc;
    int st;

    /* the name comes last or first: find it to load the current values */
    for (int i = 1; i < argc; i++) {
        if (long_opt(argv[i]) != NULL) {
            i++;
        } else {
            name = argv[i];
        }
    }
    if (name == NULL) {
        return usage_error("modpol needs a policy name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_get(t->c, t->db, name, &p)) != KRB_OK) {
        if (rc == KRB_ERR_POLICY_UNKNOWN) {
            return errorf("policy %s does not exist (create it with addpol)", name);
        }
        return krb_fail(t, rc);
    }
    if ((st = parse_pol_opts(argc, argv, &p, &name)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_put(t->c, t->db, &p, 0)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    printf("Policy %s modified.\n", name);
    return 0;
}

static int cmd_delpol(struct tka *t, int argc, char **argv)
{
    krb_err rc;
    int st;

    if (argc != 2 || argv[1][0] == '-') {
        return usage_error("usage: delpol name");
    }
    if ((st = open_db(t, KDB_RDWR)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_delete(t->c, t->db, argv[1])) != KRB_OK) {
        if (rc == KRB_ERR_POLICY_UNKNOWN) {
            return errorf("policy %s does not exist (see listpols)", argv[1]);
        }
        return krb_fail(t, rc);
    }
    printf("Policy %s deleted.\n", argv[1]);
    return 0;
}

static int cmd_getpol(struct tka *t, int argc, char **argv)
{
    struct kdb_policy p;
    char b[64];
    krb_err rc;
    int st;

    if (argc != 2 || argv[1][0] == '-') {
        return usage_error("usage: getpol name");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_get(t->c, t->db, argv[1], &p)) != KRB_OK) {
        if (rc == KRB_ERR_POLICY_UNKNOWN) {
            return errorf("policy %s does not exist (see listpols)", argv[1]);
        }
        return krb_fail(t, rc);
    }
    printf("Policy: %s\n", p.name);
    printf("Minimum password length: %u\n", (unsigned)p.min_length);
    printf("Minimum character classes: %u\n", (unsigned)p.min_classes);
    printf("Old keys kept: %u\n", (unsigned)p.history);
    printf("Maximum password failures before lockout: %u%s\n", (unsigned)p.max_failures,
           p.max_failures == 0 ? " (no lockout)" : "");
    fmt_duration_or(p.lockout_duration, "until unlocked by an admin", b, sizeof b);
    printf("Lockout duration: %s\n", b);
    fmt_duration_or(p.failure_window, "forever", b, sizeof b);
    printf("Failure count reset interval: %s\n", b);
    return 0;
}

static int listpol_cb(const struct kdb_policy *p, void *arg)
{
    (void)arg;
    return puts(p->name) < 0;
}

static int cmd_listpols(struct tka *t, int argc, char **argv)
{
    krb_err rc;
    int st;

    (void)argv;
    if (argc != 1) {
        return usage_error("usage: listpols");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0) {
        return st;
    }
    if ((rc = kdb_policy_iterate(t->c, t->db, listpol_cb, NULL)) != KRB_OK) {
        return krb_fail(t, rc);
    }
    return 0;
}

/* ---- dump / load / backup ---- */

static int cmd_dump(struct tka *t, int argc, char **argv)
{
    char tmp[PATH_MAX];
    const char *path = argc == 2 ? argv[1] : "-";
    FILE *f = stdout;
    krb_err rc;
    int st, fd = -1;

    if (argc > 2) {
        return usage_error("usage: dump [file|-]");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0) {
        return st;
    }
    if (strcmp(path, "-") != 0) {
        /* the dump holds sealed keys: 0600, and never half-written */
        if ((rc = krb_file_check_target(t->c, path, "dump")) != KRB_OK) {
            return krb_fail(t, rc);
        }
        if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp) {
            return errorf("dump path %s is too long", path);
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            return errorf("cannot create %s: %s (check the directory exists and is writable)", path, strerror(errno));
        }
    }
    rc = kdb_dump(t->c, t->db, f);
    if (f == stdout) {
        if (rc != KRB_OK) {
            return krb_fail(t, rc);
        }
        return fflush(stdout) == 0 ? 0 : errorf("cannot write the dump to standard output: %s", strerror(errno));
    }
    if (rc == KRB_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
        rc = KRB_ERR_IO;
        krb_set_error(t->c, rc, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (fclose(f) != 0 && rc == KRB_OK) {
        rc = KRB_ERR_IO;
        krb_set_error(t->c, rc, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == KRB_OK && rename(tmp, path) != 0) {
        rc = KRB_ERR_IO;
        krb_set_error(t->c, rc, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    }
    if (rc != KRB_OK) {
        unlink(tmp);
        return krb_fail(t, rc);
    }
    return 0;
}

static int cmd_load(struct tka *t, int argc, char **argv)
{
    char probe[PATH_MAX + 16];
    const char *path = NULL;
    unsigned flags = 0;
    struct stat stb;
    uint64_t np = 0, npol = 0;
    FILE *f;
    krb_err rc;
    int st, created = 0;

    for (int i = 1; i < argc; i++) {
        const char *o = long_opt(argv[i]);
        if (o != NULL && strcmp(o, "update") == 0) {
            flags |= KDB_LOAD_UPDATE;
        } else if (strcmp(argv[i], "-") != 0 && argv[i][0] == '-') {
            return usage_error("load: unknown option %s", argv[i]);
        } else if (path != NULL) {
            return usage_error("usage: load [--update] file");
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        return usage_error("usage: load [--update] file");
    }
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        return errorf("cannot open dump %s: %s", path, strerror(errno));
    }
    snprintf(probe, sizeof probe, "%s/data.mdb", t->dbdir);
    if (stat(probe, &stb) != 0) {
        /* a new realm directory: create it, reusing an existing stash so
         * that the dump's sealed keys open */
        if ((st = need_realm(t)) != 0) {
            goto out;
        }
        if ((rc = kdb_create(t->c, t->dbdir, t->stash, t->realm, t->map_size, &t->db)) != KRB_OK) {
            st = krb_fail(t, rc);
            goto out;
        }
        created = 1;
    } else if ((st = open_db(t, KDB_RDWR)) != 0) {
        goto out;
    }
    /* a long load must not fail because the KDC writes a lockout counter */
    kdb_set_lock_timeout(t->db, (krb_time)30 * 1000000);
    rc = kdb_load_ex(t->c, t->db, f, strcmp(path, "-") == 0 ? "(stdin)" : path, flags);
    if (rc == KRB_ERR_EXISTS) {
        st = errorf("%s", krb_context_error(t->c));
        goto out;
    }
    if (rc != KRB_OK) {
        st = errorf("%s (%s); nothing was loaded%s", krb_context_error(t->c), krb_err_name(rc),
                    created ? ", the new realm directory is empty" : "");
        goto out;
    }
    if (kdb_count(t->c, t->db, &np, &npol) == KRB_OK) {
        printf("Loaded %s into %s: the database now holds %" PRIu64 " principals and %" PRIu64 " policies.\n", path,
               t->dbdir, np, npol);
    }
    st = 0;
out:
    if (f != stdin) {
        fclose(f);
    }
    return st;
}

static int cmd_backup(struct tka *t, int argc, char **argv)
{
    krb_err rc;
    int st;

    if (argc != 2 || argv[1][0] == '-') {
        return usage_error("usage: backup dir");
    }
    if ((st = open_db(t, KDB_RDONLY)) != 0) {
        return st;
    }
    if ((rc = kdb_backup(t->c, t->db, argv[1])) != KRB_OK) {
        return krb_fail(t, rc);
    }
    printf("Backed up %s to %s. The stash %s is not part of the backup: keep a copy of it apart.\n", t->dbdir, argv[1],
           t->stash);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct tka *t, int argc, char **argv);
} commands[] = {
    { "init", cmd_init },         { "addprinc", cmd_addprinc },
    { "delprinc", cmd_delprinc }, { "modprinc", cmd_modprinc },
    { "cpw", cmd_cpw },           { "randkey", cmd_randkey },
    { "getprinc", cmd_getprinc }, { "listprincs", cmd_listprincs },
    { "ktadd", cmd_ktadd },       { "ktremove", cmd_ktremove },
    { "addpol", cmd_addpol },     { "modpol", cmd_modpol },
    { "delpol", cmd_delpol },     { "getpol", cmd_getpol },
    { "listpols", cmd_listpols }, { "dump", cmd_dump },
    { "load", cmd_load },         { "backup", cmd_backup },
};

int main(int argc, char **argv)
{
    struct tka t;
    const char *cfgpath = NULL;
    krb_err rc;
    int i, st;

    memset(&t, 0, sizeof t);
    umask(077);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfgpath = argv[++i];
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            t.realm_opt = argv[++i];
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    rc = krb_context_new(cfgpath, &t.c);
    if (rc != KRB_OK) {
        errorf("%s (fix the configuration file, or pass -c)",
               t.c != NULL ? krb_context_error(t.c) : krb_err_message(rc));
        krb_context_free(t.c);
        return 1;
    }
    st = load_settings(&t);
    if (st == 0) {
        st = -1;
        for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
            if (strcmp(argv[i], commands[k].name) == 0) {
                st = commands[k].fn(&t, argc - i, argv + i);
                break;
            }
        }
        if (st < 0) {
            st = usage_error("unknown command '%s'", argv[i]);
        }
    }
    kdb_close(t.db);
    krb_context_free(t.c);
    return st;
}
