/*
 * tkapreq — make or check a one-way AP-REQ from the shell (for scripts and
 * tests).
 *
 *   tkapreq get service
 *       prints a base64 AP-REQ for service made from the ticket cache
 *   tkapreq verify [-k keytab] [-s service]
 *       reads a base64 AP-REQ on stdin, verifies it with the keytab and
 *       the service's replay cache, prints the client's name
 *
 * Exit status 0 on success, 1 on an authentication or Kerberos error
 * ("tkapreq: <detail> (KRB_ERR_NAME)" on stderr), 2 on a usage error.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "krb.h"

#define B64_MAX 16384

static int fail(krb_context *c, krb_err err)
{
    fprintf(stderr, "%s: %s (%s)\n", app_name(), c != NULL ? krb_context_error(c) : krb_err_message(err),
            krb_err_name(err));
    return 1;
}

static int cmd_get(krb_context *c, const char *service)
{
    krb_ccache *cc = NULL;
    krb_sec_context *sc = NULL;
    krb_buf tok = { NULL, 0 };
    char b64[B64_MAX];
    int status = 1;
    krb_err err;

    /* Flags 0: no mutual authentication, so one token is the whole exchange. */
    if ((err = krb_cc_open(c, NULL, &cc)) != KRB_OK || (err = krb_sec_new_initiator(c, cc, service, 0, &sc)) != KRB_OK ||
        (err = krb_sec_init(c, sc, NULL, 0, &tok)) != KRB_OK) {
        status = fail(c, err);
        goto out;
    }
    if (sodium_base64_ENCODED_LEN(tok.len, sodium_base64_VARIANT_ORIGINAL) > sizeof b64) {
        app_warnx("token too large");
        goto out;
    }
    sodium_bin2base64(b64, sizeof b64, tok.data, tok.len, sodium_base64_VARIANT_ORIGINAL);
    printf("%s\n", b64);
    status = 0;
out:
    krb_buf_free(&tok);
    krb_sec_free(sc);
    krb_cc_free(cc);
    return status;
}

static int cmd_verify(krb_context *c, const char *ktname, const char *service)
{
    krb_keytab *kt = NULL;
    krb_rcache *rc = NULL;
    krb_kt_info first;
    char b64[B64_MAX], client[KRB_NAME_MAX + 1];
    uint8_t req[B64_MAX];
    size_t n = 0, reqlen = 0;
    int status = 1;
    krb_err err;

    n = fread(b64, 1, sizeof b64 - 1, stdin);
    b64[n] = '\0';
    if (sodium_base642bin(req, sizeof req, b64, n, " \t\r\n", &reqlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        app_warnx("standard input is not base64");
        return 1;
    }
    if ((err = krb_kt_open(c, ktname, &kt)) != KRB_OK) {
        status = fail(c, err);
        goto out;
    }
    /* The replay cache is per service: without -s, the keytab's first
     * principal names it. */
    if (service == NULL && krb_kt_get_info(kt, 0, &first) != KRB_OK) {
        app_warnx("keytab %s is empty: run tkadmin ktadd", krb_kt_path(kt));
        goto out;
    }
    if ((err = krb_rc_open(c, service != NULL ? service : first.principal, &rc)) != KRB_OK ||
        (err = krb_ap_verify(c, kt, rc, service, req, reqlen, client)) != KRB_OK) {
        status = fail(c, err);
        goto out;
    }
    printf("%s\n", client);
    status = 0;
out:
    krb_rc_free(rc);
    krb_kt_free(kt);
    return status;
}

static void usage(void)
{
    fprintf(stderr, "usage: %s get service\n       %s verify [-k keytab] [-s service]\n", app_name(), app_name());
    exit(2);
}

int main(int argc, char **argv)
{
    krb_context *c;
    const char *ktname = NULL, *service = NULL;
    int opt, status;

    app_init(argv[0]);
    if (argc < 2) {
        usage();
    }
    if (strcmp(argv[1], "get") == 0) {
        if (argc != 3) {
            usage();
        }
        if ((c = app_context()) == NULL) {
            return 1;
        }
        status = cmd_get(c, argv[2]);
    } else if (strcmp(argv[1], "verify") == 0) {
        optind = 2;
        while ((opt = getopt(argc, argv, "k:s:")) != -1) {
            if (opt == 'k') {
                ktname = optarg;
            } else if (opt == 's') {
                service = optarg;
            } else {
                usage();
            }
        }
        if (optind != argc) {
            usage();
        }
        if ((c = app_context()) == NULL) {
            return 1;
        }
        status = cmd_verify(c, ktname, service);
    } else {
        usage();
        return 2;
    }
    krb_context_free(c);
    return status;
}
