/*
 * check_chpw.c — CHPW_REQ / CHPW_REP codec: round trips, a table of
 * malformed requests (each row with its exact error), truncation at every
 * offset, the AD rule (the sealed password is bound to its envelope),
 * malformed sealed contents, and the reply under the wrong key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static struct krb_key sub_key, other_key;
static const uint8_t fake_ap[] = { KRB_MAGIC0, KRB_MAGIC1, KRB_PROTO_VERSION, KRB_MSG_AP_REQ, 1, 2, 3, 4 };

static void fill_key(struct krb_key *k, uint8_t b)
{
    k->suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(k->k, b, sizeof k->k);
}

static void setup(void)
{
    ck_assert_int_eq(krb_crypto_init(), KRB_OK);
    fill_key(&sub_key, 0x44);
    fill_key(&other_key, 0x55);
}

static size_t make_req(uint8_t *buf, size_t cap, const char *pw)
{
    struct krb_wr w;

    krb_wr_init(&w, buf, cap);
    krb_chpw_req_encode(&w, fake_ap, sizeof fake_ap, &sub_key, pw, strlen(pw));
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

/* A request whose sealed part is pt (any bytes), sealed validly. */
static size_t make_req_raw(uint8_t *buf, size_t cap, const uint8_t *pt, size_t ptlen)
{
    struct krb_wr w;

    krb_wr_init(&w, buf, cap);
    krb_wr_header(&w, KRB_MSG_CHPW_REQ);
    krb_wr_vec16(&w, fake_ap, sizeof fake_ap);
    krb_wr_sealed(&w, &sub_key, KRB_USAGE_CHPW, pt, ptlen);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

START_TEST(test_req_roundtrip)
{
    uint8_t buf[1024];
    struct krb_chpw_req req;
    char pw[KRB_CHPW_PASSWORD_MAX + 1];
    size_t n = make_req(buf, sizeof buf, "correct horse battery"), pwlen = 0;

    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_uint_eq(req.ap_req_len, sizeof fake_ap);
    ck_assert_mem_eq(req.ap_req, fake_ap, sizeof fake_ap);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_OK);
    ck_assert_str_eq(pw, "correct horse battery");
    ck_assert_uint_eq(pwlen, strlen("correct horse battery"));
    /* wrong key: MODIFIED, password buffer wiped */
    ck_assert_int_eq(krb_chpw_req_open(&req, &other_key, pw, sizeof pw, &pwlen), KRB_ERR_MODIFIED);
    ck_assert_int_eq(pw[0], 0);
    /* buffer too small for the documented maximum */
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, 10, &pwlen), KRB_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_req_max_password)
{
    uint8_t buf[1024];
    char big[KRB_CHPW_PASSWORD_MAX + 2], pw[KRB_CHPW_PASSWORD_MAX + 1];
    struct krb_chpw_req req;
    struct krb_wr w;
    size_t n, pwlen;

    memset(big, 'x', sizeof big);
    big[KRB_CHPW_PASSWORD_MAX] = '\0';
    n = make_req(buf, sizeof buf, big);
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_OK);
    ck_assert_uint_eq(pwlen, KRB_CHPW_PASSWORD_MAX);
    /* one byte more, and empty: the encoder refuses */
    big[KRB_CHPW_PASSWORD_MAX] = 'x';
    big[KRB_CHPW_PASSWORD_MAX + 1] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_chpw_req_encode(&w, fake_ap, sizeof fake_ap, &sub_key, big, strlen(big));
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
    krb_wr_init(&w, buf, sizeof buf);
    krb_chpw_req_encode(&w, fake_ap, sizeof fake_ap, &sub_key, "", 0);
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
}
END_TEST

/* Malformed clear parts: each row edits a valid request. */
struct req_row {
    const char *what;
    size_t off;    /* byte to set */
    int val;       /* new value (-1: none) */
    int cut;       /* bytes removed from the end */
    int add;       /* bytes appended */
    krb_err want;
};

static const struct req_row req_rows[] = {
    { "bad magic", 0, 0x00, 0, 0, KRB_ERR_MALFORMED },
    { "bad second magic", 1, 0x00, 0, 0, KRB_ERR_MALFORMED },
    { "other version", 2, 2, 0, 0, KRB_ERR_UNSUPPORTED },
    { "wrong type (CHPW_REP)", 3, KRB_MSG_CHPW_REP, 0, 0, KRB_ERR_MALFORMED },
    { "wrong type (AS_REQ)", 3, KRB_MSG_AS_REQ, 0, 0, KRB_ERR_MALFORMED },
    { "AP-REQ length overruns", 4, 0xff, 0, 0, KRB_ERR_MALFORMED },
    { "AP-REQ shorter than a header", 5, 3, 0, 0, KRB_ERR_MALFORMED },
    { "trailing byte", 0, -1, 0, 1, KRB_ERR_TRAILING },
    { "sealed part cut", 0, -1, 1, 0, KRB_ERR_MALFORMED },
    { "only the header", 0, -1, -1, 0, KRB_ERR_MALFORMED },
};

START_TEST(test_req_table)
{
    const struct req_row *row = &req_rows[_i];
    uint8_t buf[1024];
    struct krb_chpw_req req;
    size_t n = make_req(buf, sizeof buf, "new-password");

    if (row->val >= 0) {
        buf[row->off] = (uint8_t)row->val;
    }
    if (row->cut > 0) {
        n -= (size_t)row->cut;
    } else if (row->cut < 0) {
        n = KRB_HEADER_BYTES;
    }
    if (row->add > 0) {
        buf[n++] = 0;
    }
    ck_assert_msg(krb_chpw_req_decode(buf, n, &req) == row->want, "%s", row->what);
}
END_TEST

START_TEST(test_req_truncated_everywhere)
{
    uint8_t buf[1024];
    struct krb_chpw_req req;
    size_t n = make_req(buf, sizeof buf, "new-password");

    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(krb_chpw_req_decode(buf, i, &req) != KRB_OK, "prefix %zu decodes", i);
    }
    ck_assert_int_eq(krb_chpw_req_decode(buf, KRB_MSG_MAX + 1, &req), KRB_ERR_TOO_BIG);
}
END_TEST

/* The sealed password is bound to the bytes before it (the AD rule). */
START_TEST(test_req_ad_binding)
{
    uint8_t buf[1024];
    struct krb_chpw_req req;
    char pw[KRB_CHPW_PASSWORD_MAX + 1];
    size_t n = make_req(buf, sizeof buf, "new-password"), pwlen;

    buf[KRB_HEADER_BYTES + 2 + 5] ^= 1; /* a byte of the AP-REQ */
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_ERR_MODIFIED);
    buf[KRB_HEADER_BYTES + 2 + 5] ^= 1;
    buf[n - 1] ^= 1; /* the tag */
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_ERR_MODIFIED);
}
END_TEST

/* Sealed validly, but the password inside is not acceptable. */
START_TEST(test_req_bad_plaintext)
{
    uint8_t buf[1024], pt[KRB_CHPW_PASSWORD_MAX + 1] = { 0 };
    struct krb_chpw_req req;
    char pw[KRB_CHPW_PASSWORD_MAX + 1];
    size_t n, pwlen;

    n = make_req_raw(buf, sizeof buf, pt, 0); /* empty */
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_ERR_MALFORMED);
    memcpy(pt, "ab\0cd", 5); /* NUL inside */
    n = make_req_raw(buf, sizeof buf, pt, 5);
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_ERR_MALFORMED);
    memset(pt, 'x', sizeof pt); /* one byte over the maximum */
    n = make_req_raw(buf, sizeof buf, pt, sizeof pt);
    ck_assert_int_eq(krb_chpw_req_decode(buf, n, &req), KRB_OK);
    ck_assert_int_eq(krb_chpw_req_open(&req, &sub_key, pw, sizeof pw, &pwlen), KRB_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_rep_roundtrip)
{
    uint8_t buf[1024];
    struct krb_chpw_rep in, out;
    struct krb_wr w;

    memset(&in, 0, sizeof in);
    in.code = KRB_ERR_PASSWORD_WEAK;
    snprintf(in.text, sizeof in.text, "password too short: policy 'default' requires 12 characters");
    krb_wr_init(&w, buf, sizeof buf);
    krb_chpw_rep_encode(&w, &sub_key, &in);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_OK);
    ck_assert_uint_eq(out.code, KRB_ERR_PASSWORD_WEAK);
    ck_assert_str_eq(out.text, in.text);
    /* wrong key, tampering, trailing bytes, truncation */
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &other_key, &out), KRB_ERR_MODIFIED);
    ck_assert_uint_eq(out.code, 0);
    buf[w.len] = 0;
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len + 1, &sub_key, &out), KRB_ERR_TRAILING);
    for (size_t i = 0; i < w.len; i++) {
        ck_assert_msg(krb_chpw_rep_decode_open(buf, i, &sub_key, &out) != KRB_OK, "prefix %zu opens", i);
    }
    buf[3] = KRB_MSG_CHPW_REQ;
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_ERR_MALFORMED);
    buf[3] = KRB_MSG_CHPW_REP;
    buf[w.len - 1] ^= 1;
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_ERR_MODIFIED);
    /* empty text */
    in.code = KRB_OK;
    in.text[0] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_chpw_rep_encode(&w, &sub_key, &in);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_OK);
    ck_assert_uint_eq(out.code, KRB_OK);
    ck_assert_str_eq(out.text, "");
}
END_TEST

/* A reply sealed under the request's usage does not open as a reply. */
START_TEST(test_rep_usage_separation)
{
    uint8_t buf[1024], pt[8] = { 0, 0, 0, 0, 0, 0 };
    struct krb_chpw_rep out;
    struct krb_wr w;

    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_CHPW_REP);
    krb_wr_sealed(&w, &sub_key, KRB_USAGE_CHPW, pt, 6);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_ERR_MODIFIED);
    /* right usage, but the text length overruns the plaintext */
    pt[4] = 0;
    pt[5] = 9;
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_CHPW_REP);
    krb_wr_sealed(&w, &sub_key, KRB_USAGE_CHPW_REP, pt, 6);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_chpw_rep_decode_open(buf, w.len, &sub_key, &out), KRB_ERR_MALFORMED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chpw");
    TCase *tc = tcase_create("codec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_req_roundtrip);
    tcase_add_test(tc, test_req_max_password);
    tcase_add_loop_test(tc, test_req_table, 0, (int)(sizeof req_rows / sizeof req_rows[0]));
    tcase_add_test(tc, test_req_truncated_everywhere);
    tcase_add_test(tc, test_req_ad_binding);
    tcase_add_test(tc, test_req_bad_plaintext);
    tcase_add_test(tc, test_rep_roundtrip);
    tcase_add_test(tc, test_rep_usage_separation);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
