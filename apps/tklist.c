/*
 * tklist — list the tickets in a credential cache or the keys of a keytab
 * (the klist of Tessera).
 *
 *   tklist [-c ccache] [-f]     tickets, with flags when -f
 *   tklist -s [-c ccache]       silent: exit 0 iff a valid TGT is present
 *   tklist -k [-t keytab]       keytab entries (KVNO Principal)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-c ccache] [-f] [-s]\n"
            "       %s -k [-t keytab]\n",
            app_name(), app_name());
}

static void flag_string(uint32_t flags, char *out)
{
    size_t n = 0;

    if (flags & KRB_TKT_FLAG_FORWARDABLE) {
        out[n++] = 'F';
    }
    if (flags & KRB_TKT_FLAG_RENEWABLE) {
        out[n++] = 'R';
    }
    if (flags & KRB_TKT_FLAG_INITIAL) {
        out[n++] = 'I';
    }
    if (flags & KRB_TKT_FLAG_PREAUTH) {
        out[n++] = 'A';
    }
    out[n] = '\0';
}

/* Is server krbtgt/R@R for the realm of principal? */
static int is_tgt_for(const char *server, const char *principal)
{
    const char *realm = strrchr(principal, '@');
    char want[KRB_NAME_MAX + 1];

    if (realm == NULL) {
        return 0;
    }
    realm++;
    if (snprintf(want, sizeof want, "krbtgt/%s@%s", realm, realm) >= (int)sizeof want) {
        return 0;
    }
    return strcmp(server, want) == 0;
}

static int list_ccache(krb_context *c, const char *ccname, int show_flags, int silent)
{
    krb_ccache *cc = NULL;
    krb_time now = krb_now(c);
    int status = 1;
    krb_err rc;

    if ((rc = krb_cc_open(c, ccname, &cc)) != KRB_OK) {
        if (!silent) {
            app_krb_error(c, rc);
        }
        goto out;
    }
    if (krb_cc_principal(cc)[0] == '\0') {
        if (!silent) {
            app_warnx("No credentials cache found (ticket cache FILE:%s)", krb_cc_path(cc));
        }
        goto out;
    }
    if (silent) {
        for (size_t i = 0; i < krb_cc_count(cc); i++) {
            krb_cred_info info;

            if (krb_cc_get_info(cc, i, &info) == KRB_OK && is_tgt_for(info.server, krb_cc_principal(cc)) &&
                now < info.endtime && now + krb_clock_skew(c) >= info.starttime) {
                status = 0;
            }
        }
        goto out;
    }
    printf("Ticket cache: FILE:%s\n", krb_cc_path(cc));
    printf("Default principal: %s\n\n", krb_cc_principal(cc));
    printf("%-19s  %-19s  %s\n", "Valid starting", "Expires", "Service principal");
    for (size_t i = 0; i < krb_cc_count(cc); i++) {
        krb_cred_info info;
        char start[40], end[40], renew[40], flags[8];

        if ((rc = krb_cc_get_info(cc, i, &info)) != KRB_OK) {
            app_krb_error(NULL, rc);
            goto out;
        }
        app_format_time(info.starttime, start, sizeof start);
        app_format_time(info.endtime, end, sizeof end);
        printf("%-19s  %-19s  %s\n", start, end, info.server);
        flag_string(info.flags, flags);
        if ((info.flags & KRB_TKT_FLAG_RENEWABLE) && info.renew_till != 0) {
            app_format_time(info.renew_till, renew, sizeof renew);
            if (show_flags) {
                printf("\trenew until %s, Flags: %s\n", renew, flags);
            } else {
                printf("\trenew until %s\n", renew);
            }
        } else if (show_flags) {
            printf("\tFlags: %s\n", flags);
        }
    }
    status = 0;
out:
    krb_cc_free(cc);
    return status;
}

static int list_keytab(krb_context *c, const char *ktname)
{
    krb_keytab *kt = NULL;
    struct stat st;
    int status = 1;
    krb_err rc;

    if ((rc = krb_kt_open(c, ktname, &kt)) != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    if (krb_kt_count(kt) == 0 && lstat(krb_kt_path(kt), &st) != 0 && errno == ENOENT) {
        app_warnx("keytab FILE:%s not found", krb_kt_path(kt));
        goto out;
    }
    printf("Keytab name: FILE:%s\n", krb_kt_path(kt));
    printf("KVNO Principal\n");
    printf("---- --------------------------------------------------------------------------\n");
    for (size_t i = 0; i < krb_kt_count(kt); i++) {
        krb_kt_info info;

        if ((rc = krb_kt_get_info(kt, i, &info)) != KRB_OK) {
            app_krb_error(NULL, rc);
            goto out;
        }
        printf("%4lu %s\n", (unsigned long)info.kvno, info.principal);
    }
    status = 0;
out:
    krb_kt_free(kt);
    return status;
}

int main(int argc, char **argv)
{
    const char *ccname = NULL, *ktname = NULL;
    int show_flags = 0, silent = 0, keytab = 0, opt, status = 1;
    krb_context *c = NULL;

    app_init(argv[0]);
    argv[0] = (char *)app_name(); /* getopt's messages say "prog: ..." */
    while ((opt = getopt(argc, argv, "c:fskt:h")) != -1) {
        switch (opt) {
        case 'c':
            ccname = optarg;
            break;
        case 'f':
            show_flags = 1;
            break;
        case 's':
            silent = 1;
            break;
        case 'k':
            keytab = 1;
            break;
        case 't':
            ktname = optarg;
            keytab = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc || (keytab && (ccname != NULL || silent || show_flags))) {
        usage();
        return 2;
    }
    if ((c = app_context()) == NULL) {
        return 1;
    }
    status = keytab ? list_keytab(c, ktname) : list_ccache(c, ccname, show_flags, silent);
    if (fflush(stdout) != 0) {
        status = 1;
    }
    krb_context_free(c);
    return status;
}
