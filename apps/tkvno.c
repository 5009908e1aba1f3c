/* tkvno — obtain service tickets and print the key version of each. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static void usage(void)
{
    fprintf(stderr, "usage: %s [-q] [-c ccache] service...\n", app_name());
}

int main(int argc, char **argv)
{
    const char *ccname = NULL;
    krb_context *c = NULL;
    krb_ccache *cc = NULL;
    int quiet = 0, opt, status = 1, failed = 0;
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
    if (optind >= argc) {
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
    for (int i = optind; i < argc; i++) {
        krb_cred_info info;

        rc = krb_get_service_ticket(c, cc, argv[i], &info);
        if (rc != KRB_OK) {
            app_krb_error(c, rc);
            failed = 1;
            continue;
        }
        if (!quiet) {
            printf("%s: kvno = %lu\n", info.server, (unsigned long)info.kvno);
            (void)fflush(stdout); /* keep the order of results and errors */
        }
    }
    status = failed ? 1 : 0;
out:
    if (fflush(stdout) != 0) {
        status = 1;
    }
    krb_cc_free(cc);
    krb_context_free(c);
    return status;
}
