/*
 * tkpasswd — change your password (the kpasswd of Tessera).
 *
 *   tkpasswd [--password-stdin] [principal]
 *
 * Asks for the old password (an initial ticket for kadmin/changepw is
 * obtained with it; the credential cache is not touched), then twice for
 * the new one, and sends the change to the KDC (docs/EXCHANGES.md
 * "Password change"). With --password-stdin, standard input holds the old
 * password on the first line and the new one on the second.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { OPT_PASSWORD_STDIN = 256 };

static void usage(void)
{
    fprintf(stderr, "usage: %s [--password-stdin] [principal]\n", app_name());
}

/* Default principal: the cache's, else $USER / $LOGNAME. */
static int default_principal(krb_context *c, char *out, size_t cap)
{
    krb_ccache *cc = NULL;
    if (krb_cc_open(c, NULL, &cc) == KRB_OK && krb_cc_principal(cc)[0] != '\0') {
        snprintf(out, cap, "%s", krb_cc_principal(cc));
        krb_cc_free(cc);
        return 0;
    }
    krb_cc_free(cc);
    return app_user_name(out, cap);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int pw_stdin = 0, opt, status = 1;
    krb_context *c = NULL;
    char name[KRB_NAME_MAX + 1], canon[KRB_NAME_MAX + 1], prompt[KRB_NAME_MAX + 32];
    char oldpw[APP_PASSWORD_MAX], newpw[APP_PASSWORD_MAX], again[APP_PASSWORD_MAX];
    krb_err rc;

    app_init(argv[0]);
    argv[0] = (char *)app_name();
    memset(oldpw, 0, sizeof oldpw);
    memset(newpw, 0, sizeof newpw);
    memset(again, 0, sizeof again);
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
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
    if ((c = app_context()) == NULL) {
        goto out;
    }
    if (optind < argc) {
        snprintf(name, sizeof name, "%s", argv[optind]);
    } else if (default_principal(c, name, sizeof name) != 0) {
        goto out;
    }
    if ((rc = krb_name_canon(c, name, canon)) != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    if (pw_stdin) {
        if (app_read_password_stdin(oldpw, sizeof oldpw) != 0 || app_read_password_stdin(newpw, sizeof newpw) != 0) {
            app_warnx("cannot read the old and new passwords from standard input (two lines)");
            goto out;
        }
    } else {
        snprintf(prompt, sizeof prompt, "Password for %s: ", canon);
        if (app_read_password(prompt, oldpw, sizeof oldpw) != 0) {
            app_warnx("cannot read the password from the terminal (use --password-stdin)");
            goto out;
        }
        snprintf(prompt, sizeof prompt, "Enter new password: ");
        if (app_read_password(prompt, newpw, sizeof newpw) != 0) {
            app_warnx("cannot read the new password from the terminal");
            goto out;
        }
        snprintf(prompt, sizeof prompt, "Enter it again: ");
        if (app_read_password(prompt, again, sizeof again) != 0) {
            app_warnx("cannot read the new password from the terminal");
            goto out;
        }
        if (strcmp(newpw, again) != 0) {
            app_warnx("passwords do not match");
            goto out;
        }
    }
    if (newpw[0] == '\0') {
        app_warnx("the new password is empty");
        goto out;
    }
    if (strlen(newpw) > KRB_PASSWORD_MAX) {
        app_warnx("the new password is longer than %u bytes", (unsigned)KRB_PASSWORD_MAX);
        goto out;
    }
    if ((rc = krb_change_password(c, canon, oldpw, newpw)) != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    printf("Password changed.\n");
    status = 0;
out:
    app_wipe(oldpw, sizeof oldpw);
    app_wipe(newpw, sizeof newpw);
    app_wipe(again, sizeof again);
    if (fflush(stdout) != 0) {
        status = 1;
    }
    krb_context_free(c);
    return status;
}
