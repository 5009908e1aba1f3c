/*
 * check_ap.c — the AP exchange: every verification rule with its exact
 * error, the replay cache seen through AP-REQs (same process, another
 * process, after a restart), and the AP-REP time check.
 */
#include <sys/wait.h>

#include "ap_fixture.h"

static uint8_t req[KRB_AP_REQ_MAX];
static size_t reqlen;
static struct krb_ap_client cst;

/* An AP-REQ from cr made at the current fixture time. */
static void make_req(const struct krb_creds *cr, const uint8_t *cb, size_t cblen)
{
    struct krb_ap_req_opts o;

    memset(&o, 0, sizeof o);
    o.ap_options = KRB_AP_OPT_MUTUAL_REQUIRED;
    o.want_subkey = 1;
    if (cb != NULL) {
        o.has_cb = 1;
        o.cb = cb;
        o.cb_len = cblen;
    }
    ck_assert_int_eq(krb_ap_req_make(fx_c, cr, &o, &cst, req, sizeof req, &reqlen), KRB_OK);
}

static krb_err verify(const char *service, struct krb_ap_result *res)
{
    struct krb_ap_verify_opts o;

    memset(&o, 0, sizeof o);
    o.service = service;
    return krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, reqlen, res);
}

START_TEST(test_ok)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    char client[KRB_NAME_MAX + 1];

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    ck_assert_str_eq(res.client, FX_CLIENT);
    ck_assert_str_eq(res.server, FX_SERVICE);
    ck_assert_uint_eq(res.ap_options, KRB_AP_OPT_MUTUAL_REQUIRED);
    ck_assert_int_eq(res.auth.ctime, fx_now);
    ck_assert_int_eq(res.auth.has_subkey, 1);
    ck_assert_mem_eq(res.auth.subkey.k, cst.subkey.k, KRB_KEY_BYTES);
    ck_assert_uint_eq(res.auth.seq, cst.seq);
    ck_assert_mem_eq(res.session.k, cr.session.k, KRB_KEY_BYTES);
    ck_assert_uint_eq(res.authz_len, 3);
    ck_assert_mem_eq(res.authz, "adm", 3);
    ck_assert_int_eq(res.endtime, cr.endtime);
    krb_ap_result_wipe(&res);

    /* The public one-way call, short service name. */
    fx_now += 1;
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(krb_ap_verify(fx_c, fx_kt, fx_rc, "http/web1", req, reqlen, client), KRB_OK);
    ck_assert_str_eq(client, FX_CLIENT);
}
END_TEST

START_TEST(test_any_service_in_keytab)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(NULL, &res), KRB_OK);
    ck_assert_str_eq(res.server, FX_SERVICE);
}
END_TEST

START_TEST(test_tampered_ticket)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    /* AP-REQ: header 4, options 4, ticket length 2, ticket; flip a byte
     * of the ticket's ciphertext. */
    req[4 + 4 + 2 + cr.ticket_len - 5] ^= 1;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_MODIFIED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "does not open with the keytab key"));
}
END_TEST

START_TEST(test_tampered_authenticator)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    req[reqlen - 1] ^= 0x80;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_MODIFIED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "authenticator"));
    /* The options are bound too (AD of the authenticator). */
    make_req(&cr, NULL, 0);
    req[7] = 0;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_wrong_service)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_OTHER, 1, fx_now, fx_now + 3600 * FX_SEC);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_WRONG_PRINC);
    ck_assert_str_eq(krb_context_error(fx_c), "ticket is for http/web2@EXAMPLE.ORG, this service is "
                                              "http/web1@EXAMPLE.ORG");
    /* Without an expected name the keytab decides: no key at all. */
    ck_assert_int_eq(verify(NULL, &res), KRB_ERR_KT_NOTFOUND);
}
END_TEST

START_TEST(test_wrong_kvno)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 3, fx_now, fx_now + 3600 * FX_SEC);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_BADKEYVER);
    ck_assert_str_eq(krb_context_error(fx_c),
                     "keytab has no key version 3 for http/web1@EXAMPLE.ORG (has 1, 2): run tkadmin ktadd");
    /* An older version still in the keytab works. */
    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 1, fx_now, fx_now + 3600 * FX_SEC);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
}
END_TEST

START_TEST(test_wrong_key_same_kvno)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    struct krb_key other;

    /* Keytab replaced behind the ticket's back: same kvno, another key. */
    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    fx_key(&other, "something else", 2);
    ck_assert_int_eq(krb_kt_add(fx_c, fx_kt, FX_SERVICE, 2, &other), KRB_OK);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_expired_and_not_yet_valid)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    krb_time skew = krb_clock_skew(fx_c);

    /* Ended more than the skew ago (the client's clock thinks otherwise). */
    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, fx_now - 7200 * FX_SEC, fx_now - skew - FX_SEC);
    cr.endtime = fx_now + 3600 * FX_SEC;
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_TKT_EXPIRED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "expired 2027-01-15"));
    /* Ended within the skew: still accepted. */
    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, fx_now - 7200 * FX_SEC, fx_now - skew + FX_SEC);
    cr.endtime = fx_now + 3600 * FX_SEC;
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    /* Starts later than now + skew. */
    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, fx_now + skew + FX_SEC, fx_now + 7200 * FX_SEC);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_TKT_NYV);
    /* The client refuses to use credentials it knows are expired. */
    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, fx_now - 7200 * FX_SEC, fx_now - FX_SEC);
    {
        struct krb_ap_req_opts o;
        memset(&o, 0, sizeof o);
        ck_assert_int_eq(krb_ap_req_make(fx_c, &cr, &o, &cst, req, sizeof req, &reqlen), KRB_ERR_TKT_EXPIRED);
    }
}
END_TEST

START_TEST(test_skew_both_ways)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    krb_time skew = krb_clock_skew(fx_c), t0 = fx_now;

    fx_creds_full(&cr, FX_CLIENT, FX_CLIENT, FX_SERVICE, 2, t0 - 3600 * FX_SEC, t0 + 36000 * FX_SEC);
    /* Client clock ahead by skew + 1 µs. */
    fx_now = t0 + skew + 1;
    make_req(&cr, NULL, 0);
    fx_now = t0;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_SKEW);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "ahead of"));
    /* Behind by skew + 1 µs. */
    fx_now = t0 - skew - 1;
    make_req(&cr, NULL, 0);
    fx_now = t0;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_SKEW);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "behind"));
    /* Exactly at the limit, both ways: accepted. */
    fx_now = t0 + skew;
    make_req(&cr, NULL, 0);
    fx_now = t0;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    fx_now = t0 - skew;
    make_req(&cr, NULL, 0);
    fx_now = t0;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
}
END_TEST

START_TEST(test_name_mismatch)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    /* Mallory holds alice's ticket and session key but names herself. */
    fx_creds_full(&cr, "mallory@EXAMPLE.ORG", FX_CLIENT, FX_SERVICE, 2, fx_now, fx_now + 3600 * FX_SEC);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_BADMATCH);
    ck_assert_str_eq(krb_context_error(fx_c),
                     "authenticator names mallory@EXAMPLE.ORG but the ticket was issued to alice@EXAMPLE.ORG");
}
END_TEST

START_TEST(test_channel_bindings)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    struct krb_ap_verify_opts o;

    memset(&o, 0, sizeof o);
    o.service = FX_SERVICE;
    o.has_cb = 1;
    o.cb = (const uint8_t *)"tls-exporter:AAAA";
    o.cb_len = 17;
    fx_creds(&cr);
    make_req(&cr, (const uint8_t *)"tls-exporter:AAAA", 17);
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, reqlen, &res), KRB_OK);
    fx_now += 1;
    make_req(&cr, (const uint8_t *)"tls-exporter:BBBB", 17);
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, reqlen, &res), KRB_ERR_CHANNEL_BINDING);
    fx_now += 1;
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, reqlen, &res), KRB_ERR_CHANNEL_BINDING);
    /* A server without bindings ignores the client's. */
    fx_now += 1;
    make_req(&cr, (const uint8_t *)"tls-exporter:BBBB", 17);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
}
END_TEST

START_TEST(test_replay_same_process)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_REPEAT);
    /* Still a replay just before the skew window closes... */
    fx_now += krb_clock_skew(fx_c);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_REPEAT);
    /* ...and after it, the clock check refuses it. */
    fx_now += 1;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_SKEW);
}
END_TEST

START_TEST(test_replay_only_after_crypto)
{
    struct krb_creds cr;
    struct krb_ap_result res;

    /* A forged copy must not take the slot of the genuine request. */
    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    req[reqlen - 1] ^= 1;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_MODIFIED);
    req[reqlen - 1] ^= 1;
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
}
END_TEST

START_TEST(test_replay_other_process)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    pid_t pid;
    int status;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The child opens the cache file itself, as another worker would. */
        krb_rcache *rc2 = NULL;
        char path[128];
        struct krb_ap_verify_opts o;
        memset(&o, 0, sizeof o);
        fx_path(path, sizeof path, "rcache");
        if (krb_rc_open_file(fx_c, path, 0, &rc2) != KRB_OK) {
            _exit(2);
        }
        _exit(krb_ap_verify_kt(fx_c, fx_kt, rc2, &o, req, reqlen, &res) == KRB_OK ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_REPEAT);
}
END_TEST

START_TEST(test_replay_after_restart)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    char path[128];

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    krb_rc_free(fx_rc);
    fx_path(path, sizeof path, "rcache");
    ck_assert_int_eq(krb_rc_open_file(fx_c, path, 0, &fx_rc), KRB_OK);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_REPEAT);
}
END_TEST

START_TEST(test_rcache_full_fails_closed)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    char path[128];

    krb_rc_free(fx_rc);
    fx_path(path, sizeof path, "small-rcache");
    ck_assert_int_eq(krb_rc_open_file(fx_c, path, KRB_RC_SLOTS_MIN, &fx_rc), KRB_OK);
    fx_creds(&cr);
    for (unsigned i = 0; i < KRB_RC_SLOTS_MIN; i++) {
        fx_now += 1;
        make_req(&cr, NULL, 0);
        ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    }
    fx_now += 1;
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_ERR_RCACHE);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "is full"));
}
END_TEST

START_TEST(test_malformed)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    struct krb_ap_verify_opts o;
    uint8_t big[KRB_AP_REQ_MAX + 1];

    memset(&o, 0, sizeof o);
    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, reqlen - 1, &res), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, req, 3, &res), KRB_ERR_MALFORMED);
    memcpy(big, req, reqlen);
    big[reqlen] = 0;
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, big, reqlen + 1, &res), KRB_ERR_TRAILING);
    big[2] = 2;
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, big, reqlen, &res), KRB_ERR_UNSUPPORTED);
    /* An unknown AP option. */
    memcpy(big, req, reqlen);
    big[6] = 0x80;
    ck_assert_int_eq(krb_ap_verify_kt(fx_c, fx_kt, fx_rc, &o, big, reqlen, &res), KRB_ERR_BADOPTION);
}
END_TEST

START_TEST(test_ap_rep)
{
    struct krb_creds cr;
    struct krb_ap_result res;
    struct krb_ap_rep_part part, got;
    uint8_t rep[KRB_AP_REP_MAX];
    size_t replen;
    struct krb_wr w;
    struct krb_key wrong;

    fx_creds(&cr);
    make_req(&cr, NULL, 0);
    ck_assert_int_eq(verify(FX_SERVICE, &res), KRB_OK);
    memset(&part, 0, sizeof part);
    part.seq = 77;
    ck_assert_int_eq(krb_ap_rep_make(fx_c, &res, &part, rep, sizeof rep, &replen), KRB_OK);
    ck_assert_int_eq(krb_ap_rep_check(fx_c, &cst, rep, replen, &got), KRB_OK);
    ck_assert_uint_eq(got.seq, 77);
    ck_assert_int_eq(got.ctime, cst.ctime);

    /* A reply echoing another time: the server is not genuine. */
    part.ctime = cst.ctime + 1;
    krb_wr_init(&w, rep, sizeof rep);
    krb_ap_rep_encode(&w, &cr.session, &part);
    ck_assert_int_eq(krb_ap_rep_check(fx_c, &cst, rep, w.len, &got), KRB_ERR_MUT_FAIL);
    /* Sealed under another key. */
    ck_assert_int_eq(krb_key_random(&wrong, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    part.ctime = cst.ctime;
    krb_wr_init(&w, rep, sizeof rep);
    krb_ap_rep_encode(&w, &wrong, &part);
    ck_assert_int_eq(krb_ap_rep_check(fx_c, &cst, rep, w.len, &got), KRB_ERR_MODIFIED);
    /* Truncated. */
    ck_assert_int_eq(krb_ap_rep_check(fx_c, &cst, rep, 5, &got), KRB_ERR_MALFORMED);
}
END_TEST

static Suite *ap_suite(void)
{
    Suite *s = suite_create("ap");
    TCase *tc = tcase_create("verify");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, test_ok);
    tcase_add_test(tc, test_any_service_in_keytab);
    tcase_add_test(tc, test_tampered_ticket);
    tcase_add_test(tc, test_tampered_authenticator);
    tcase_add_test(tc, test_wrong_service);
    tcase_add_test(tc, test_wrong_kvno);
    tcase_add_test(tc, test_wrong_key_same_kvno);
    tcase_add_test(tc, test_expired_and_not_yet_valid);
    tcase_add_test(tc, test_skew_both_ways);
    tcase_add_test(tc, test_name_mismatch);
    tcase_add_test(tc, test_channel_bindings);
    tcase_add_test(tc, test_replay_same_process);
    tcase_add_test(tc, test_replay_only_after_crypto);
    tcase_add_test(tc, test_replay_other_process);
    tcase_add_test(tc, test_replay_after_restart);
    tcase_add_test(tc, test_rcache_full_fails_closed);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_ap_rep);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ap_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
