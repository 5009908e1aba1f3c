/*
 * tkinit — obtain a ticket-granting ticket (the kinit of Tessera).
 *
 *   tkinit [-V] [-l lifetime] [-r renewable_life] [-c ccache] [--password-stdin] [principal]
 *   tkinit -k [-t keytab] [principal]       (default principal: host/<hostname>)
 *   tkinit -R [-c ccache]                   (renew the TGT in the cache)
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

enum { OPT_PASSWORD_STDIN = 256 };

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-V] [-l lifetime] [-r renewable_life] [-c ccache] [--password-stdin] [principal]\n"
            "       %s [-V] [-l lifetime] [-r renewable_life] [-c ccache] -k [-t keytab] [principal]\n"
            "       %s [-V] [-c ccache] -R\n",
            app_name(), app_name(), app_name());
}

/* The principal to authenticate when none is given on the command line. */
static int default_principal(const krb_ccache *cc, int use_keytab, char *out, size_t cap)
{
    if (use_keytab) {
        char host[256];

        if (gethostname(host, sizeof host) != 0) {
            app_warnx("cannot determine the host name: give a principal");
            return -1;
        }
        host[sizeof host - 1] = '\0';
        for (char *p = host; *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        snprintf(out, cap, "host/%s", host);
        return 0;
    }
    if (krb_cc_principal(cc)[0] != '\0') {
        snprintf(out, cap, "%s", krb_cc_principal(cc));
        return 0;
    }
    return app_user_name(out, cap);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *ccname = NULL, *ktname = NULL, *given = NULL;
    int verbose = 0, use_keytab = 0, renew = 0, pw_stdin = 0, opt, status = 1;
    krb_init_opts io;
    krb_context *c = NULL;
    krb_ccache *cc = NULL;
    krb_keytab *kt = NULL;
    char name[KRB_NAME_MAX + 1], canon[KRB_NAME_MAX + 1], prompt[KRB_NAME_MAX + 32];
    char password[APP_PASSWORD_MAX];
    krb_err rc;

    app_init(argv[0]);
    argv[0] = (char *)app_name(); /* getopt's messages say "prog: ..." */
    memset(&io, 0, sizeof io);
    memset(password, 0, sizeof password);
    while ((opt = getopt_long(argc, argv, "Vl:r:c:kt:Rh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'V':
            verbose = 1;
            break;
        case 'l':
            if (app_parse_duration(optarg, &io.lifetime) != 0) {
                app_warnx("bad lifetime '%s' (use e.g. 10h, 90m, 1d)", optarg);
                return 2;
            }
            break;
        case 'r':
            if (app_parse_duration(optarg, &io.renew_life) != 0) {
                app_warnx("bad renewable life '%s' (use e.g. 7d, 12h)", optarg);
                return 2;
            }
            break;
        case 'c':
            ccname = optarg;
            break;
        case 'k':
            use_keytab = 1;
            break;
        case 't':
            ktname = optarg;
            use_keytab = 1;
            break;
        case 'R':
            renew = 1;
            break;
        case OPT_PASSWORD_STDIN:
            pw_stdin = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (argc - optind > 1) {
        usage();
        return 2;
    }
    given = optind < argc ? argv[optind] : NULL;
    if (renew && (use_keytab || pw_stdin || io.lifetime != 0 || io.renew_life != 0)) {
        app_warnx("-R cannot be combined with -k, -t, -l, -r or --password-stdin");
        usage();
        return 2;
    }
    if (use_keytab && pw_stdin) {
        app_warnx("--password-stdin cannot be combined with -k");
        usage();
        return 2;
    }
    if ((c = app_context()) == NULL) {
        goto out;
    }
    if ((rc = krb_cc_open(c, ccname, &cc)) != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    if (verbose) {
        printf("Using %s cache: FILE:%s\n", ccname != NULL ? "specified" : "default", krb_cc_path(cc));
    }
    if (renew) {
        if (given != NULL && krb_name_canon(c, given, canon) == KRB_OK && strcmp(canon, krb_cc_principal(cc)) != 0 &&
            krb_cc_principal(cc)[0] != '\0') {
            app_warnx("the cache holds tickets for %s, not %s", krb_cc_principal(cc), canon);
            goto out;
        }
        if ((rc = krb_renew_tgt(c, cc)) != KRB_OK) {
            app_krb_error(c, rc);
            goto out;
        }
        if (verbose) {
            printf("Using principal: %s\nRenewed the ticket-granting ticket.\n", krb_cc_principal(cc));
        }
        status = 0;
        goto out;
    }
    if (given != NULL) {
        snprintf(name, sizeof name, "%s", given);
    } else if (default_principal(cc, use_keytab, name, sizeof name) != 0) {
        goto out;
    }
    if ((rc = krb_name_canon(c, name, canon)) != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    if (verbose) {
        printf("Using principal: %s\n", canon);
    }
    if (use_keytab) {
        if ((rc = krb_kt_open(c, ktname, &kt)) != KRB_OK) {
            app_krb_error(c, rc);
            goto out;
        }
        if (verbose) {
            printf("Using keytab: FILE:%s\n", krb_kt_path(kt));
        }
        rc = krb_get_init_creds_keytab(c, canon, kt, &io, cc);
    } else {
        if (pw_stdin) {
            if (app_read_password_stdin(password, sizeof password) != 0) {
                app_warnx("cannot read the password from standard input");
                goto out;
            }
        } else {
            snprintf(prompt, sizeof prompt, "Password for %s: ", canon);
            if (app_read_password(prompt, password, sizeof password) != 0) {
                app_warnx("cannot read the password from the terminal (use --password-stdin)");
                goto out;
            }
        }
        rc = krb_get_init_creds_password(c, canon, password, &io, cc);
    }
    if (rc != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    if (verbose) {
        printf("Authenticated to Tessera.\n");
    }
    status = 0;
out:
    app_wipe(password, sizeof password);
    if (fflush(stdout) != 0) {
        status = 1;
    }
    krb_kt_free(kt);
    krb_cc_free(cc);
    krb_context_free(c);
    return status;
}
