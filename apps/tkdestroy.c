/* tkdestroy — wipe and remove the credential cache. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static void usage(void)
{
    fprintf(stderr, "usage: %s [-q] [-c ccache]\n", app_name());
}

int main(int argc, char **argv)
{
    const char *ccname = NULL;
    krb_context *c = NULL;
    krb_ccache *cc = NULL;
    int quiet = 0, opt, status = 1;
    krb_err rc;

    app_init(argv[0]);
    argv[0] = (char *)app_name(); /* getopt's messages say "prog: ..." */
    while ((opt = getopt(argc, argv, "c:qh")) != -1) {
        switch (opt) {
        case 'c':
            ccname = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc) {
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
    rc = krb_cc_destroy(c, cc);
    if (rc == KRB_ERR_NO_CREDS) {
        if (!quiet) {
            app_warnx("No credentials cache found (ticket cache FILE:%s)", krb_cc_path(cc));
        }
        goto out;
    }
    if (rc != KRB_OK) {
        app_krb_error(c, rc);
        goto out;
    }
    status = 0;
out:
    krb_cc_free(cc);
    krb_context_free(c);
    return status;
}
