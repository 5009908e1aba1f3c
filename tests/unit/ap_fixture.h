/*
 * ap_fixture.h — shared set-up of check_ap.c and check_sec.c: a realm
 * without a KDC. Tickets are sealed directly with krb_ticket_encode under
 * known service keys, which are also written to a temporary keytab; the
 * context clock is a variable the tests move.
 */
#ifndef TESSERA_AP_FIXTURE_H
#define TESSERA_AP_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap.h"
#include "context.h"
#include "creds.h"
#include "keytab.h"
#include "rcache.h"

#define FX_CLIENT "alice@EXAMPLE.ORG"
#define FX_SERVICE "http/web1@EXAMPLE.ORG"
#define FX_OTHER "http/web2@EXAMPLE.ORG"
#define FX_SEC ((krb_time)1000000)
#define FX_T0 ((krb_time)1800000000 * FX_SEC) /* 2027-01-15 */

static krb_time fx_now;
static krb_context *fx_c;
static krb_keytab *fx_kt;
static krb_rcache *fx_rc;
static char fx_dir[64];

static krb_time fx_clock(void *arg)
{
    (void)arg;
    return fx_now;
}

/* Service key kvno n of principal p: deterministic bytes. */
static void fx_key(struct krb_key *k, const char *p, uint32_t kvno)
{
    krb_hash(k->k, p, strlen(p));
    k->k[0] ^= (uint8_t)kvno;
    k->suite = KRB_SUITE_XCHACHA20POLY1305;
}

static void fx_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", fx_dir, name);
}

static void fx_setup(void)
{
    char path[128];
    FILE *f;
    struct krb_key k;

    snprintf(fx_dir, sizeof fx_dir, "/tmp/tessera-ap-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx_dir));
    fx_path(path, sizeof path, "tessera.conf");
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[libdefaults]\ndefault_realm = EXAMPLE.ORG\nclock_skew = 300\n", f);
    fclose(f);
    ck_assert_int_eq(krb_context_new(path, &fx_c), KRB_OK);
    fx_now = FX_T0;
    krb_context_set_clock(fx_c, fx_clock, NULL);

    /* Keytab: http/web1 kvno 1 and 2, saved and reopened from disk. */
    fx_path(path, sizeof path, "service.keytab");
    ck_assert_int_eq(krb_kt_open(fx_c, path, &fx_kt), KRB_OK);
    for (uint32_t v = 1; v <= 2; v++) {
        fx_key(&k, FX_SERVICE, v);
        ck_assert_int_eq(krb_kt_add(fx_c, fx_kt, FX_SERVICE, v, &k), KRB_OK);
    }
    ck_assert_int_eq(krb_kt_save(fx_c, fx_kt), KRB_OK);
    krb_kt_free(fx_kt);
    ck_assert_int_eq(krb_kt_open(fx_c, path, &fx_kt), KRB_OK);
    ck_assert_uint_eq(krb_kt_count(fx_kt), 2);

    fx_path(path, sizeof path, "rcache");
    ck_assert_int_eq(krb_rc_open_file(fx_c, path, 1024, &fx_rc), KRB_OK);
    krb_key_wipe(&k);
}

static void fx_teardown(void)
{
    char cmd[128];

    krb_rc_free(fx_rc);
    krb_kt_free(fx_kt);
    krb_context_free(fx_c);
    fx_rc = NULL;
    fx_kt = NULL;
    fx_c = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/*
 * Credentials as the KDC would issue them: a ticket for server (sealed under
 * its key kvno) naming tkt_client, valid [start, end); cr->client is
 * cr_client (normally the same name).
 */
static void fx_creds_full(struct krb_creds *cr, const char *cr_client, const char *tkt_client, const char *server,
                          uint32_t kvno, krb_time start, krb_time end)
{
    struct krb_ticket_part tp;
    struct krb_key skey;
    struct krb_wr w;

    memset(cr, 0, sizeof *cr);
    memset(&tp, 0, sizeof tp);
    fx_key(&skey, server, kvno);
    ck_assert_int_eq(krb_key_random(&tp.session, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    snprintf(tp.client, sizeof tp.client, "%s", tkt_client);
    tp.flags = KRB_TKT_FLAG_INITIAL;
    tp.authtime = tp.starttime = start;
    tp.endtime = end;
    tp.authz_len = 3;
    memcpy(tp.authz, "adm", 3);
    krb_wr_init(&w, cr->ticket, sizeof cr->ticket);
    krb_ticket_encode(&w, server, kvno, &skey, &tp);
    ck_assert_int_eq(w.err, KRB_OK);
    cr->ticket_len = (uint16_t)w.len;
    snprintf(cr->client, sizeof cr->client, "%s", cr_client);
    snprintf(cr->server, sizeof cr->server, "%s", server);
    cr->session = tp.session;
    cr->authtime = cr->starttime = start;
    cr->endtime = end;
    cr->kvno = kvno;
    cr->suite = skey.suite;
    krb_wipe(&tp, sizeof tp);
    krb_key_wipe(&skey);
}

/* Ordinary credentials: alice for http/web1, kvno 2, valid 10 hours from now. */
static void fx_creds(struct krb_creds *cr)
{
    fx_creds_full(cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, fx_now, fx_now + 36000 * FX_SEC);
}

#endif
