/*
 * check_codec.c — every message in codec.h: round trips, truncation at
 * every offset, trailing bytes, headers, malformed clear fields, malformed
 * sealed parts (sealed validly, so the post-decrypt parser is what fails),
 * tampering and associated-data binding.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define CLIENT "alice@EXAMPLE.ORG"
#define SERVER "host/web1.example.org@EXAMPLE.ORG"
#define TGS "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG"
#define T0 ((krb_time)1700000000 * 1000000)

static struct krb_key server_key, session_key, client_key, sub_key;

static void fill_key(struct krb_key *k, uint8_t b)
{
    k->suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(k->k, b, sizeof k->k);
}

static void setup(void)
{
    ck_assert_int_eq(krb_crypto_init(), KRB_OK);
    fill_key(&server_key, 0x11);
    fill_key(&session_key, 0x22);
    fill_key(&client_key, 0x33);
    fill_key(&sub_key, 0x44);
}

/* ---------------- sample messages ---------------- */

static void sample_ticket_part(struct krb_ticket_part *p)
{
    memset(p, 0, sizeof *p);
    p->flags = KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH;
    p->session = session_key;
    strcpy(p->client, CLIENT);
    p->authtime = T0;
    p->starttime = T0 + 1;
    p->endtime = T0 + (krb_time)36000 * 1000000;
    p->renew_till = 0;
    p->authz_len = 3;
    memcpy(p->authz, "xyz", 3);
}

static size_t make_ticket(uint8_t *buf, size_t cap, const char *server)
{
    struct krb_ticket_part part;
    struct krb_wr w;

    sample_ticket_part(&part);
    krb_wr_init(&w, buf, cap);
    krb_ticket_encode(&w, server, 3, &server_key, &part);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

static void sample_body(struct krb_kdc_req_body *b, int tgs)
{
    memset(b, 0, sizeof *b);
    if (!tgs) {
        strcpy(b->client, CLIENT);
    }
    strcpy(b->server, tgs ? SERVER : TGS);
    b->nonce = 0x01020304;
    b->options = KRB_KDC_OPT_RENEWABLE;
    b->till = T0 + 100;
    b->rtime = T0 + 200;
    b->nsuites = 2;
    b->suites[0] = KRB_SUITE_AES256GCM;
    b->suites[1] = KRB_SUITE_XCHACHA20POLY1305;
}

static void sample_auth(struct krb_authenticator *a, int full)
{
    memset(a, 0, sizeof *a);
    strcpy(a->client, CLIENT);
    a->ctime = T0 + 5;
    a->seq = 0x1122334455667788ull;
    a->ctx_flags = KRB_SEC_MUTUAL | KRB_SEC_CONF;
    if (full) {
        a->has_subkey = 1;
        a->subkey = sub_key;
        a->has_cksum = 1;
        memset(a->cksum, 0xcc, sizeof a->cksum);
        a->has_dh = 1;
        memset(a->dh, 0xdd, sizeof a->dh);
    }
}

static void sample_rep_part(struct krb_kdc_rep_part *p, const char *server)
{
    memset(p, 0, sizeof *p);
    p->session = sub_key;
    p->nonce = 0x01020304;
    p->flags = KRB_TKT_FLAG_RENEWABLE;
    p->authtime = T0;
    p->starttime = T0;
    p->endtime = T0 + 1000;
    p->renew_till = T0 + 2000;
    strcpy(p->server, server);
    memset(p->req_hash, 0x5a, sizeof p->req_hash);
    p->key_expiration = T0 + 3000;
}

static void sample_hint(struct krb_pa_hint *h)
{
    h->suite = KRB_SUITE_XCHACHA20POLY1305;
    h->kvno = 2;
    memcpy(h->salt, "saltsaltsaltsalt", KRB_SALT_BYTES);
    h->ops = 2;
    h->memkib = 65536;
}

static void sample_ap_rep_part(struct krb_ap_rep_part *p)
{
    memset(p, 0, sizeof *p);
    p->ctime = T0 + 5;
    p->has_subkey = 1;
    p->subkey = sub_key;
    p->seq = 99;
    p->has_dh = 1;
    memset(p->dh, 0xee, sizeof p->dh);
}

enum kind {
    K_TICKET,
    K_AS_REQ,
    K_AS_REQ_PA,
    K_TGS_REQ,
    K_AS_REP,
    K_TGS_REP,
    K_AP_REQ,
    K_AP_REP,
    K_ERROR,
    K_PA_HINT,
    K_COUNT
};

static const char *const kind_names[K_COUNT] = { "ticket",  "as_req", "as_req_pa", "tgs_req", "as_rep",
                                                 "tgs_rep", "ap_req", "ap_rep",    "error",   "pa_hint" };

static size_t encode_kind(enum kind k, uint8_t *buf, size_t cap)
{
    uint8_t tkt[KRB_TICKET_MAX];
    size_t tlen = 0;
    struct krb_wr w;
    struct krb_kdc_req_body body;
    struct krb_authenticator a;
    struct krb_kdc_rep_part rp;
    struct krb_pa_hint h;
    struct krb_ap_rep_part app;
    struct krb_error_msg e;

    krb_wr_init(&w, buf, cap);
    switch (k) {
    case K_TICKET:
        return make_ticket(buf, cap, SERVER);
    case K_AS_REQ:
        sample_body(&body, 0);
        krb_as_req_encode(&w, &body, NULL, 0, 0);
        break;
    case K_AS_REQ_PA:
        sample_body(&body, 0);
        krb_as_req_encode(&w, &body, &client_key, 2, T0 + 7);
        break;
    case K_TGS_REQ:
        tlen = make_ticket(tkt, sizeof tkt, TGS);
        sample_body(&body, 1);
        sample_auth(&a, 0);
        krb_tgs_req_encode(&w, &body, tkt, tlen, &session_key, &a);
        break;
    case K_AS_REP:
        tlen = make_ticket(tkt, sizeof tkt, TGS);
        sample_rep_part(&rp, TGS);
        sample_hint(&h);
        krb_kdc_rep_encode(&w, KRB_MSG_AS_REP, CLIENT, tkt, tlen, &h, &client_key, &rp);
        break;
    case K_TGS_REP:
        tlen = make_ticket(tkt, sizeof tkt, SERVER);
        sample_rep_part(&rp, SERVER);
        krb_kdc_rep_encode(&w, KRB_MSG_TGS_REP, CLIENT, tkt, tlen, NULL, &session_key, &rp);
        break;
    case K_AP_REQ:
        tlen = make_ticket(tkt, sizeof tkt, SERVER);
        sample_auth(&a, 1);
        krb_ap_req_encode(&w, KRB_AP_OPT_MUTUAL_REQUIRED, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
        break;
    case K_AP_REP:
        sample_ap_rep_part(&app);
        krb_ap_rep_encode(&w, &session_key, &app);
        break;
    case K_ERROR:
        memset(&e, 0, sizeof e);
        e.code = KRB_ERR_PREAUTH_REQUIRED;
        e.stime = T0;
        strcpy(e.realm, "EXAMPLE.ORG");
        strcpy(e.text, "pre-authentication required");
        {
            struct krb_wr hw;
            sample_hint(&h);
            krb_wr_init(&hw, e.edata, sizeof e.edata);
            krb_pa_hint_encode(&hw, &h);
            ck_assert_int_eq(hw.err, KRB_OK);
            e.edata_len = (uint16_t)hw.len;
        }
        krb_error_encode(&w, &e);
        break;
    case K_PA_HINT:
        sample_hint(&h);
        krb_pa_hint_encode(&w, &h);
        break;
    default:
        ck_abort();
    }
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

/* Decode, and for sealed messages also open with the sample keys. */
static krb_err decode_kind(enum kind k, const uint8_t *p, size_t n)
{
    struct krb_ticket t;
    struct krb_ticket_part tp;
    struct krb_as_req ar;
    struct krb_tgs_req tr;
    struct krb_kdc_rep rep;
    struct krb_kdc_rep_part rp;
    struct krb_ap_req apr;
    struct krb_authenticator a;
    struct krb_ap_rep_part app;
    struct krb_error_msg e;
    struct krb_pa_hint h;
    krb_time ts;
    krb_err rc;

    switch (k) {
    case K_TICKET:
        if ((rc = krb_ticket_decode(p, n, &t)) != KRB_OK) {
            return rc;
        }
        return krb_ticket_open(&t, &server_key, &tp);
    case K_AS_REQ:
    case K_AS_REQ_PA:
        if ((rc = krb_as_req_decode(p, n, &ar)) != KRB_OK) {
            return rc;
        }
        return ar.has_pa ? krb_as_req_open_pa(&ar, &client_key, &ts) : KRB_OK;
    case K_TGS_REQ:
        if ((rc = krb_tgs_req_decode(p, n, &tr)) != KRB_OK) {
            return rc;
        }
        if ((rc = krb_ticket_open(&tr.ap.ticket, &server_key, &tp)) != KRB_OK) {
            return rc;
        }
        if ((rc = krb_ap_req_open(&tr.ap, &tp.session, KRB_USAGE_TGS_AUTH, &a)) != KRB_OK) {
            return rc;
        }
        /* What the KDC does next: the body is bound by the authenticator's hash. */
        {
            uint8_t bh[KRB_HASH_BYTES];
            krb_hash(bh, tr.body_bytes, tr.body_len);
            return a.has_cksum && krb_ct_equal(bh, a.cksum, sizeof bh) ? KRB_OK : KRB_ERR_REQ_MODIFIED;
        }
    case K_AS_REP:
    case K_TGS_REP:
        rc = krb_kdc_rep_decode(p, n, k == K_AS_REP ? KRB_MSG_AS_REP : KRB_MSG_TGS_REP, &rep);
        if (rc != KRB_OK) {
            return rc;
        }
        return krb_kdc_rep_open(&rep, k == K_AS_REP ? &client_key : &session_key, &rp);
    case K_AP_REQ:
        if ((rc = krb_ap_req_decode(p, n, &apr)) != KRB_OK) {
            return rc;
        }
        if ((rc = krb_ticket_open(&apr.ticket, &server_key, &tp)) != KRB_OK) {
            return rc;
        }
        return krb_ap_req_open(&apr, &tp.session, KRB_USAGE_AP_AUTH, &a);
    case K_AP_REP:
        return krb_ap_rep_decode_open(p, n, &session_key, &app);
    case K_ERROR:
        return krb_error_decode(p, n, &e);
    case K_PA_HINT:
        return krb_pa_hint_decode(p, n, &h);
    default:
        ck_abort();
    }
    return KRB_ERR_INTERNAL;
}

/* ---------------- round trips ---------------- */

START_TEST(test_all_kinds_decode)
{
    uint8_t buf[KRB_MSG_MAX];
    size_t n = encode_kind((enum kind)_i, buf, sizeof buf);
    krb_err rc = decode_kind((enum kind)_i, buf, n);

    ck_assert_msg(rc == KRB_OK, "%s: %s", kind_names[_i], krb_err_name(rc));
    ck_assert_uint_le(n, KRB_MSG_MAX);
}
END_TEST

START_TEST(test_ticket_roundtrip)
{
    uint8_t buf[KRB_TICKET_MAX];
    size_t n = make_ticket(buf, sizeof buf, SERVER);
    struct krb_ticket t;
    struct krb_ticket_part want, got;
    uint8_t type;

    sample_ticket_part(&want);
    ck_assert_int_eq(krb_msg_peek_type(buf, n, &type), KRB_OK);
    ck_assert_uint_eq(type, KRB_MSG_TICKET);
    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_OK);
    ck_assert_str_eq(t.server, SERVER);
    ck_assert_uint_eq(t.kvno, 3);
    ck_assert_uint_eq(t.suite, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_ptr_eq(t.msg, buf);
    /* AD = everything before the sealed field's length prefix. */
    ck_assert_uint_eq(t.ad_len, 4 + 1 + strlen(SERVER) + 4 + 2);
    ck_assert_ptr_eq(t.ct, buf + t.ad_len + 2);
    ck_assert_uint_eq(t.ad_len + 2 + t.ct_len, n);
    ck_assert_int_eq(krb_ticket_open(&t, &server_key, &got), KRB_OK);
    ck_assert_uint_eq(got.flags, want.flags);
    ck_assert_uint_eq(got.session.suite, want.session.suite);
    ck_assert(memcmp(got.session.k, want.session.k, KRB_KEY_BYTES) == 0);
    ck_assert_str_eq(got.client, CLIENT);
    ck_assert(got.authtime == want.authtime && got.starttime == want.starttime);
    ck_assert(got.endtime == want.endtime && got.renew_till == want.renew_till);
    ck_assert_uint_eq(got.authz_len, 3);
    ck_assert(memcmp(got.authz, "xyz", 3) == 0);
    /* Wrong key: MODIFIED and the output wiped. */
    ck_assert_int_eq(krb_ticket_open(&t, &client_key, &got), KRB_ERR_MODIFIED);
    ck_assert_str_eq(got.client, "");
    ck_assert_uint_eq(got.session.suite, 0);
    /* Key of another suite than the ticket's: BADKEYVER, no decryption tried. */
    if (krb_suite_supported(KRB_SUITE_AES256GCM)) {
        struct krb_key k2 = server_key;
        k2.suite = KRB_SUITE_AES256GCM;
        ck_assert_int_eq(krb_ticket_open(&t, &k2, &got), KRB_ERR_BADKEYVER);
    }
}
END_TEST

START_TEST(test_ticket_max_authz)
{
    uint8_t buf[KRB_TICKET_MAX];
    struct krb_ticket_part part, got;
    struct krb_ticket t;
    struct krb_wr w;

    sample_ticket_part(&part);
    part.authz_len = KRB_AUTHZ_MAX;
    memset(part.authz, 0xab, KRB_AUTHZ_MAX);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ticket_encode(&w, SERVER, 1, &server_key, &part);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ticket_decode(buf, w.len, &t), KRB_OK);
    ck_assert_int_eq(krb_ticket_open(&t, &server_key, &got), KRB_OK);
    ck_assert_uint_eq(got.authz_len, KRB_AUTHZ_MAX);
    ck_assert(memcmp(got.authz, part.authz, KRB_AUTHZ_MAX) == 0);
    /* One more is refused by the encoder. */
    part.authz_len = KRB_AUTHZ_MAX + 1;
    krb_wr_init(&w, buf, sizeof buf);
    krb_ticket_encode(&w, SERVER, 1, &server_key, &part);
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
    /* So is a writer that is too small, leaving nothing written. */
    part.authz_len = 0;
    krb_wr_init(&w, buf, 40);
    krb_ticket_encode(&w, SERVER, 1, &server_key, &part);
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
    ck_assert_uint_eq(w.len, 0);
    /* An unknown server key suite. */
    {
        struct krb_key bad = server_key;
        bad.suite = 9;
        krb_wr_init(&w, buf, sizeof buf);
        krb_ticket_encode(&w, SERVER, 1, &bad, &part);
        ck_assert_int_eq(w.err, KRB_ERR_ETYPE_NOSUPP);
    }
}
END_TEST

START_TEST(test_as_req_roundtrip)
{
    uint8_t buf[1024];
    size_t n;
    struct krb_as_req r;
    struct krb_kdc_req_body want;
    krb_time ts;
    struct krb_key wrong = client_key;

    sample_body(&want, 0);
    n = encode_kind(K_AS_REQ, buf, sizeof buf);
    ck_assert_int_eq(krb_as_req_decode(buf, n, &r), KRB_OK);
    ck_assert_str_eq(r.body.client, CLIENT);
    ck_assert_str_eq(r.body.server, TGS);
    ck_assert_uint_eq(r.body.nonce, want.nonce);
    ck_assert_uint_eq(r.body.options, want.options);
    ck_assert(r.body.till == want.till && r.body.rtime == want.rtime);
    ck_assert_uint_eq(r.body.nsuites, 2);
    ck_assert_uint_eq(r.body.suites[0], KRB_SUITE_AES256GCM);
    ck_assert_uint_eq(r.body.suites[1], KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(r.has_pa, 0);
    ck_assert_ptr_eq(r.msg, buf);
    ck_assert_uint_eq(r.msg_len, n);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &ts), KRB_ERR_PREAUTH_REQUIRED);

    n = encode_kind(K_AS_REQ_PA, buf, sizeof buf);
    ck_assert_int_eq(krb_as_req_decode(buf, n, &r), KRB_OK);
    ck_assert_int_eq(r.has_pa, 1);
    ck_assert_uint_eq(r.pa_suite, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_uint_eq(r.pa_kvno, 2);
    ck_assert_uint_eq(r.pa_ct_len, 8 + krb_seal_overhead(KRB_SUITE_XCHACHA20POLY1305));
    ck_assert_uint_eq(r.pa_ad_len + 2 + r.pa_ct_len, n);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &ts), KRB_OK);
    ck_assert(ts == T0 + 7);
    /* Wrong password. */
    wrong.k[0] ^= 1;
    ck_assert_int_eq(krb_as_req_open_pa(&r, &wrong, &ts), KRB_ERR_MODIFIED);
    ck_assert(ts == 0);
    /* The timestamp is bound to the request: change the nonce. */
    buf[4 + 1 + strlen(CLIENT) + 1 + strlen(TGS)] ^= 0x01;
    ck_assert_int_eq(krb_as_req_decode(buf, n, &r), KRB_OK);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &ts), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_tgs_req_roundtrip)
{
    uint8_t buf[4096];
    size_t n = encode_kind(K_TGS_REQ, buf, sizeof buf);
    struct krb_tgs_req r;
    struct krb_ticket_part tp;
    struct krb_authenticator a;
    uint8_t h[KRB_HASH_BYTES];
    size_t nonce_at;

    ck_assert_int_eq(krb_tgs_req_decode(buf, n, &r), KRB_OK);
    ck_assert_str_eq(r.body.client, "");
    ck_assert_str_eq(r.body.server, SERVER);
    ck_assert_uint_eq(r.body.nsuites, 2);
    ck_assert_ptr_eq(r.body_bytes, buf + 6);
    ck_assert_uint_eq(r.msg_len, n);
    ck_assert_str_eq(r.ap.ticket.server, TGS);
    ck_assert_uint_eq(r.ap.options, 0);
    ck_assert_int_eq(krb_ticket_open(&r.ap.ticket, &server_key, &tp), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&r.ap, &tp.session, KRB_USAGE_TGS_AUTH, &a), KRB_OK);
    ck_assert_str_eq(a.client, CLIENT);
    ck_assert_int_eq(a.has_cksum, 1);
    krb_hash(h, r.body_bytes, r.body_len);
    ck_assert(memcmp(h, a.cksum, KRB_HASH_BYTES) == 0);
    /* The authenticator of a TGS-REQ does not open as an AP authenticator. */
    ck_assert_int_eq(krb_ap_req_open(&r.ap, &tp.session, KRB_USAGE_AP_AUTH, &a), KRB_ERR_MODIFIED);
    /* Changing the body keeps the authenticator valid but breaks the hash. */
    nonce_at = 6 + 1 + strlen(SERVER);
    buf[nonce_at + 3] ^= 0x80;
    ck_assert_int_eq(krb_tgs_req_decode(buf, n, &r), KRB_OK);
    ck_assert_int_eq(krb_ticket_open(&r.ap.ticket, &server_key, &tp), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&r.ap, &tp.session, KRB_USAGE_TGS_AUTH, &a), KRB_OK);
    krb_hash(h, r.body_bytes, r.body_len);
    ck_assert(memcmp(h, a.cksum, KRB_HASH_BYTES) != 0);
}
END_TEST

/* Field by field: struct krb_pa_hint has padding, which memcmp would read. */
static int hint_eq(const struct krb_pa_hint *a, const struct krb_pa_hint *b)
{
    return a->suite == b->suite && a->kvno == b->kvno && memcmp(a->salt, b->salt, sizeof a->salt) == 0 &&
           a->ops == b->ops && a->memkib == b->memkib;
}

START_TEST(test_kdc_rep_roundtrip)
{
    uint8_t buf[4096], tkt[KRB_TICKET_MAX];
    size_t n, tlen;
    struct krb_kdc_rep rep;
    struct krb_kdc_rep_part want, got;
    struct krb_pa_hint h;
    struct krb_ticket t;

    sample_rep_part(&want, TGS);
    sample_hint(&h);
    tlen = make_ticket(tkt, sizeof tkt, TGS);
    n = encode_kind(K_AS_REP, buf, sizeof buf);
    ck_assert_int_eq(krb_kdc_rep_decode(buf, n, KRB_MSG_AS_REP, &rep), KRB_OK);
    ck_assert_uint_eq(rep.type, KRB_MSG_AS_REP);
    ck_assert_str_eq(rep.client, CLIENT);
    ck_assert_uint_eq(rep.ticket_len, tlen);
    ck_assert_int_eq(krb_ticket_decode(rep.ticket, rep.ticket_len, &t), KRB_OK);
    ck_assert_str_eq(t.server, TGS);
    ck_assert(hint_eq(&rep.hint, &h));
    ck_assert_int_eq(krb_kdc_rep_open(&rep, &client_key, &got), KRB_OK);
    ck_assert(memcmp(&got.session, &want.session, sizeof want.session) == 0);
    ck_assert_uint_eq(got.nonce, want.nonce);
    ck_assert_uint_eq(got.flags, want.flags);
    ck_assert(got.authtime == want.authtime && got.starttime == want.starttime);
    ck_assert(got.endtime == want.endtime && got.renew_till == want.renew_till);
    ck_assert_str_eq(got.server, TGS);
    ck_assert(memcmp(got.req_hash, want.req_hash, KRB_HASH_BYTES) == 0);
    ck_assert(got.key_expiration == want.key_expiration);
    /* Wrong key, wrong reply usage (session key of a TGS-REP). */
    ck_assert_int_eq(krb_kdc_rep_open(&rep, &session_key, &got), KRB_ERR_MODIFIED);
    ck_assert_str_eq(got.server, "");
    /* Decoded as the other reply type: header mismatch. */
    ck_assert_int_eq(krb_kdc_rep_decode(buf, n, KRB_MSG_TGS_REP, &rep), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_kdc_rep_decode(buf, n, KRB_MSG_AP_REP, &rep), KRB_ERR_INVALID_ARG);

    n = encode_kind(K_TGS_REP, buf, sizeof buf);
    ck_assert_int_eq(krb_kdc_rep_decode(buf, n, KRB_MSG_TGS_REP, &rep), KRB_OK);
    ck_assert_uint_eq(rep.hint.suite, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_uint_eq(rep.hint.kvno, 0);
    ck_assert_int_eq(krb_kdc_rep_open(&rep, &session_key, &got), KRB_OK);
    ck_assert_str_eq(got.server, SERVER);
    ck_assert_int_eq(krb_kdc_rep_open(&rep, &client_key, &got), KRB_ERR_MODIFIED);
    if (krb_suite_supported(KRB_SUITE_AES256GCM)) {
        struct krb_key k2 = session_key;
        k2.suite = KRB_SUITE_AES256GCM;
        ck_assert_int_eq(krb_kdc_rep_open(&rep, &k2, &got), KRB_ERR_ETYPE_NOSUPP);
    }
}
END_TEST

START_TEST(test_kdc_rep_encode_errors)
{
    uint8_t buf[4096], tkt[KRB_TICKET_MAX];
    size_t tlen = make_ticket(tkt, sizeof tkt, TGS);
    struct krb_kdc_rep_part rp;
    struct krb_pa_hint h;
    struct krb_wr w;

    sample_rep_part(&rp, TGS);
    sample_hint(&h);
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_AS_REP, CLIENT, tkt, tlen, NULL, &client_key, &rp);
    ck_assert_int_eq(w.err, KRB_ERR_INVALID_ARG);
    h.suite = 2;
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_AS_REP, CLIENT, tkt, tlen, &h, &client_key, &rp);
    ck_assert_int_eq(w.err, KRB_ERR_INVALID_ARG);
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_AP_REP, CLIENT, tkt, tlen, NULL, &client_key, &rp);
    ck_assert_int_eq(w.err, KRB_ERR_INVALID_ARG);
    rp.server[0] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_TGS_REP, CLIENT, tkt, tlen, NULL, &session_key, &rp);
    ck_assert_int_eq(w.err, KRB_ERR_BAD_NAME);
}
END_TEST

START_TEST(test_ap_req_roundtrip)
{
    uint8_t buf[4096];
    size_t n = encode_kind(K_AP_REQ, buf, sizeof buf);
    struct krb_ap_req r;
    struct krb_ticket_part tp;
    struct krb_authenticator want, got;

    sample_auth(&want, 1);
    ck_assert_int_eq(krb_ap_req_decode(buf, n, &r), KRB_OK);
    ck_assert_uint_eq(r.options, KRB_AP_OPT_MUTUAL_REQUIRED);
    ck_assert_ptr_eq(r.ticket_bytes, buf + 4 + 4 + 2);
    ck_assert_ptr_eq(r.ticket.msg, r.ticket_bytes);
    ck_assert_uint_eq(r.ad_len, 4 + 4 + 2 + r.ticket_len);
    ck_assert_int_eq(krb_ticket_open(&r.ticket, &server_key, &tp), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&r, &tp.session, KRB_USAGE_AP_AUTH, &got), KRB_OK);
    ck_assert_str_eq(got.client, CLIENT);
    ck_assert(got.ctime == want.ctime);
    ck_assert_int_eq(got.has_subkey, 1);
    ck_assert(memcmp(&got.subkey, &sub_key, sizeof sub_key) == 0);
    ck_assert(got.seq == want.seq);
    ck_assert_int_eq(got.has_cksum, 1);
    ck_assert(memcmp(got.cksum, want.cksum, KRB_HASH_BYTES) == 0);
    ck_assert_int_eq(got.has_dh, 1);
    ck_assert(memcmp(got.dh, want.dh, sizeof want.dh) == 0);
    ck_assert_uint_eq(got.ctx_flags, want.ctx_flags);
    /* Wrong usage and wrong key. */
    ck_assert_int_eq(krb_ap_req_open(&r, &tp.session, KRB_USAGE_TGS_AUTH, &got), KRB_ERR_MODIFIED);
    ck_assert_str_eq(got.client, "");
    ck_assert_int_eq(krb_ap_req_open(&r, &server_key, KRB_USAGE_AP_AUTH, &got), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_ap_req_minimal_auth)
{
    uint8_t buf[4096], tkt[KRB_TICKET_MAX];
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_authenticator a, got;
    struct krb_ap_req r;
    struct krb_wr w;

    sample_auth(&a, 0);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ap_req_decode(buf, w.len, &r), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&r, &session_key, KRB_USAGE_AP_AUTH, &got), KRB_OK);
    ck_assert_int_eq(got.has_subkey, 0);
    ck_assert_int_eq(got.has_cksum, 0);
    ck_assert_int_eq(got.has_dh, 0);
    ck_assert_uint_eq(got.subkey.suite, 0);
}
END_TEST

START_TEST(test_ap_rep_roundtrip)
{
    uint8_t buf[512];
    size_t n = encode_kind(K_AP_REP, buf, sizeof buf);
    struct krb_ap_rep_part want, got;
    struct krb_wr w;

    sample_ap_rep_part(&want);
    ck_assert_int_eq(krb_ap_rep_decode_open(buf, n, &session_key, &got), KRB_OK);
    ck_assert(got.ctime == want.ctime);
    ck_assert_int_eq(got.has_subkey, 1);
    ck_assert(memcmp(&got.subkey, &sub_key, sizeof sub_key) == 0);
    ck_assert(got.seq == 99);
    ck_assert_int_eq(got.has_dh, 1);
    ck_assert(memcmp(got.dh, want.dh, sizeof want.dh) == 0);
    ck_assert_int_eq(krb_ap_rep_decode_open(buf, n, &server_key, &got), KRB_ERR_MODIFIED);
    ck_assert(got.ctime == 0);
    /* Minimal part. */
    want.has_subkey = 0;
    want.has_dh = 0;
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_rep_encode(&w, &session_key, &want);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_uint_eq(w.len, 4 + 2 + 24 + 16 + 8 + 1 + 8 + 1);
    ck_assert_int_eq(krb_ap_rep_decode_open(buf, w.len, &session_key, &got), KRB_OK);
    ck_assert_int_eq(got.has_subkey, 0);
    ck_assert_int_eq(got.has_dh, 0);
}
END_TEST

START_TEST(test_error_roundtrip)
{
    uint8_t buf[2048];
    size_t n = encode_kind(K_ERROR, buf, sizeof buf);
    struct krb_error_msg e;
    struct krb_pa_hint h, want;
    struct krb_wr w;

    sample_hint(&want);
    ck_assert_int_eq(krb_error_decode(buf, n, &e), KRB_OK);
    ck_assert_uint_eq(e.code, KRB_ERR_PREAUTH_REQUIRED);
    ck_assert(e.stime == T0);
    ck_assert_str_eq(e.realm, "EXAMPLE.ORG");
    ck_assert_str_eq(e.text, "pre-authentication required");
    ck_assert_uint_eq(e.edata_len, 2 + 4 + 16 + 4 + 4);
    ck_assert_int_eq(krb_pa_hint_decode(e.edata, e.edata_len, &h), KRB_OK);
    ck_assert(hint_eq(&h, &want));
    /* Empty realm, text and edata; maximum text and edata. */
    memset(&e, 0, sizeof e);
    e.code = KRB_ERR_RESPONSE_TOO_BIG;
    krb_wr_init(&w, buf, sizeof buf);
    krb_error_encode(&w, &e);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_uint_eq(w.len, 4 + 4 + 8 + 1 + 2 + 2);
    ck_assert_int_eq(krb_error_decode(buf, w.len, &e), KRB_OK);
    ck_assert_uint_eq(e.code, KRB_ERR_RESPONSE_TOO_BIG);
    memset(e.text, 'T', KRB_ERROR_TEXT_MAX);
    e.edata_len = KRB_ERROR_DATA_MAX;
    memset(e.edata, 0xed, KRB_ERROR_DATA_MAX);
    krb_wr_init(&w, buf, sizeof buf);
    krb_error_encode(&w, &e);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_error_decode(buf, w.len, &e), KRB_OK);
    ck_assert_uint_eq(strlen(e.text), KRB_ERROR_TEXT_MAX);
    ck_assert_uint_eq(e.edata_len, KRB_ERROR_DATA_MAX);
    e.edata_len = KRB_ERROR_DATA_MAX + 1;
    krb_wr_init(&w, buf, sizeof buf);
    krb_error_encode(&w, &e);
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_peek_type)
{
    const uint8_t ok[] = { 'T', 'K', 1, 7 }, v2[] = { 'T', 'K', 2, 7 }, bad[] = { 'T', 'X', 1, 7 };
    uint8_t type = 99;

    ck_assert_int_eq(krb_msg_peek_type(ok, 4, &type), KRB_OK);
    ck_assert_uint_eq(type, KRB_MSG_AP_REP);
    ck_assert_int_eq(krb_msg_peek_type(ok, 3, &type), KRB_ERR_MALFORMED);
    ck_assert_uint_eq(type, 0);
    ck_assert_int_eq(krb_msg_peek_type(v2, 4, &type), KRB_ERR_UNSUPPORTED);
    ck_assert_int_eq(krb_msg_peek_type(bad, 4, &type), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_msg_peek_type(NULL, 0, &type), KRB_ERR_MALFORMED);
}
END_TEST

/* ---------------- generic negative tests over every message ---------------- */

/* Every strict prefix fails (and never crashes: ASan runs this too). */
START_TEST(test_truncated_everywhere)
{
    uint8_t buf[KRB_MSG_MAX];
    size_t n = encode_kind((enum kind)_i, buf, sizeof buf);

    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len + 1); /* exact-size heap copy: ASan sees overreads */
        krb_err rc;
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, buf, len);
        rc = decode_kind((enum kind)_i, len == 0 ? NULL : copy, len);
        ck_assert_msg(rc != KRB_OK, "%s truncated to %zu bytes decoded", kind_names[_i], len);
        free(copy);
    }
}
END_TEST

START_TEST(test_trailing_byte)
{
    uint8_t buf[KRB_MSG_MAX];
    size_t n = encode_kind((enum kind)_i, buf, sizeof buf - 1);
    krb_err rc;

    buf[n] = 0;
    rc = decode_kind((enum kind)_i, buf, n + 1);
    ck_assert_msg(rc == KRB_ERR_TRAILING, "%s: got %s", kind_names[_i], krb_err_name(rc));
}
END_TEST

/* Header mutations: byte offset, new value, expected error. */
static const struct {
    const char *what;
    size_t at;
    uint8_t v;
    krb_err want;
} header_rows[] = {
    { "bad magic 0", 0, 'X', KRB_ERR_MALFORMED },   { "bad magic 1", 1, 'k', KRB_ERR_MALFORMED },
    { "version 0", 2, 0, KRB_ERR_UNSUPPORTED },     { "version 2", 2, 2, KRB_ERR_UNSUPPORTED },
    { "version 255", 2, 255, KRB_ERR_UNSUPPORTED }, { "type 0", 3, 0, KRB_ERR_MALFORMED },
    { "type 200", 3, 200, KRB_ERR_MALFORMED },
};

START_TEST(test_header)
{
    size_t kind = (size_t)_i / (sizeof header_rows / sizeof header_rows[0]);
    size_t row = (size_t)_i % (sizeof header_rows / sizeof header_rows[0]);
    uint8_t buf[KRB_MSG_MAX];
    size_t n;
    krb_err rc;

    if (kind == K_PA_HINT) {
        return; /* no header: it travels inside an ERROR */
    }
    n = encode_kind((enum kind)kind, buf, sizeof buf);
    buf[header_rows[row].at] = header_rows[row].v;
    rc = decode_kind((enum kind)kind, buf, n);
    ck_assert_msg(rc == header_rows[row].want, "%s, %s: got %s", kind_names[kind], header_rows[row].what,
                  krb_err_name(rc));
}
END_TEST

/* A message of each kind decoded as each other kind fails. */
START_TEST(test_wrong_type)
{
    uint8_t buf[KRB_MSG_MAX];
    size_t n = encode_kind((enum kind)_i, buf, sizeof buf);

    for (int k = 0; k < K_COUNT; k++) {
        int same = k == _i || (k == K_AS_REQ && _i == K_AS_REQ_PA) || (k == K_AS_REQ_PA && _i == K_AS_REQ);
        if (!same && k != K_PA_HINT) {
            krb_err rc = decode_kind((enum kind)k, buf, n);
            ck_assert_msg(rc != KRB_OK, "%s decoded as %s", kind_names[_i], kind_names[k]);
        }
    }
}
END_TEST

/* Flip each byte in turn: decode or open must fail. After the clear header
 * fields, the failure of a decodable message is exactly KRB_ERR_MODIFIED. */
START_TEST(test_tamper_every_byte)
{
    static const enum kind kinds[] = { K_TICKET, K_AS_REQ_PA, K_AS_REP, K_TGS_REP, K_AP_REQ, K_AP_REP, K_TGS_REQ };
    enum kind k = kinds[_i];
    uint8_t buf[KRB_MSG_MAX];
    size_t n = encode_kind(k, buf, sizeof buf);
    size_t modified = 0;

    for (size_t i = 0; i < n; i++) {
        krb_err rc;
        buf[i] ^= 0x01;
        rc = decode_kind(k, buf, n);
        ck_assert_msg(rc != KRB_OK, "%s: flip at %zu of %zu accepted", kind_names[k], i, n);
        modified += rc == KRB_ERR_MODIFIED;
        buf[i] ^= 0x01;
    }
    ck_assert_int_eq(decode_kind(k, buf, n), KRB_OK);
    /* Every byte of the sealed field's content reports MODIFIED. */
    ck_assert_uint_ge(modified, 40);
}
END_TEST

/* Within the ciphertext of a ticket every flip is exactly MODIFIED, and so
 * is a flip in the clear kvno (covered by the AD). */
START_TEST(test_ticket_tamper_exact)
{
    uint8_t buf[KRB_TICKET_MAX];
    size_t n = make_ticket(buf, sizeof buf, SERVER);
    struct krb_ticket t;
    struct krb_ticket_part tp;
    size_t kvno_at = 4 + 1 + strlen(SERVER);

    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_OK);
    for (size_t i = t.ad_len + 2; i < n; i++) {
        buf[i] ^= 0x40;
        ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_OK);
        ck_assert_int_eq(krb_ticket_open(&t, &server_key, &tp), KRB_ERR_MODIFIED);
        buf[i] ^= 0x40;
    }
    buf[kvno_at + 3] ^= 0x01;
    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_OK);
    ck_assert_uint_eq(t.kvno, 2);
    ck_assert_int_eq(krb_ticket_open(&t, &server_key, &tp), KRB_ERR_MODIFIED);
    buf[kvno_at + 3] ^= 0x01;
    /* The server name is in the AD as well: a valid other name. */
    buf[5] = 'H';
    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_OK);
    ck_assert_str_eq(t.server, "Host/web1.example.org@EXAMPLE.ORG");
    ck_assert_int_eq(krb_ticket_open(&t, &server_key, &tp), KRB_ERR_MODIFIED);
}
END_TEST

/* ---------------- associated-data binding ---------------- */

START_TEST(test_transplant_ticket_ct)
{
    uint8_t a[KRB_TICKET_MAX], b[KRB_TICKET_MAX], c[KRB_TICKET_MAX];
    size_t na = make_ticket(a, sizeof a, SERVER);
    size_t nb = make_ticket(b, sizeof b, "host/web2.example.org@EXAMPLE.ORG");
    struct krb_ticket ta, tb, tc;
    struct krb_ticket_part tp;
    struct krb_ap_rep_part app;
    struct krb_wr w;

    ck_assert_int_eq(krb_ticket_decode(a, na, &ta), KRB_OK);
    ck_assert_int_eq(krb_ticket_decode(b, nb, &tb), KRB_OK);
    /* b's clear part with a's ciphertext, same server key. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_bytes(&w, b, tb.ad_len);
    krb_wr_vec16(&w, ta.ct, ta.ct_len);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ticket_decode(c, w.len, &tc), KRB_OK);
    ck_assert_str_eq(tc.server, "host/web2.example.org@EXAMPLE.ORG");
    ck_assert_int_eq(krb_ticket_open(&tc, &server_key, &tp), KRB_ERR_MODIFIED);
    /* a's ciphertext as an AP-REP under the same key: larger than any
     * AP-REP part, refused before decryption. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REP);
    krb_wr_vec16(&w, ta.ct, ta.ct_len);
    ck_assert_int_eq(krb_ap_rep_decode_open(c, w.len, &server_key, &app), KRB_ERR_TOO_BIG);
}
END_TEST

/* A (small) authenticator's ciphertext moved into an AP-REP under the same
 * session key: other AD, other usage. */
START_TEST(test_transplant_auth_into_ap_rep)
{
    uint8_t buf[4096], tkt[KRB_TICKET_MAX], c[512];
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_authenticator a;
    struct krb_ap_req r;
    struct krb_ap_rep_part app;
    struct krb_wr w;

    sample_auth(&a, 0);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ap_req_decode(buf, w.len, &r), KRB_OK);
    ck_assert_uint_le(r.ct_len - krb_seal_overhead(KRB_SUITE_XCHACHA20POLY1305), 84);
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REP);
    krb_wr_vec16(&w, r.ct, r.ct_len);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ap_rep_decode_open(c, w.len, &session_key, &app), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_transplant_ap_rep_into_ap_req)
{
    uint8_t rep[512], tkt[KRB_TICKET_MAX], c[4096];
    size_t nrep = encode_kind(K_AP_REP, rep, sizeof rep);
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_ap_req r;
    struct krb_authenticator a;
    struct krb_wr w;

    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REQ);
    krb_wr_u32(&w, 0);
    krb_wr_vec16(&w, tkt, tlen);
    krb_wr_bytes(&w, rep + 4, nrep - 4); /* the AP-REP's sealed field */
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ap_req_decode(c, w.len, &r), KRB_OK);
    ck_assert_int_eq(krb_ap_req_open(&r, &session_key, KRB_USAGE_AP_AUTH, &a), KRB_ERR_MODIFIED);
    ck_assert_int_eq(krb_ap_req_open(&r, &session_key, KRB_USAGE_AP_REP, &a), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_as_rep_ticket_swap)
{
    uint8_t buf[4096], other[KRB_TICKET_MAX], c[4096];
    size_t n = encode_kind(K_AS_REP, buf, sizeof buf);
    size_t olen = make_ticket(other, sizeof other, TGS); /* same clear fields, fresh nonce */
    struct krb_kdc_rep rep, rep2;
    struct krb_kdc_rep_part rp;
    struct krb_wr w;
    size_t before;

    ck_assert_int_eq(krb_kdc_rep_decode(buf, n, KRB_MSG_AS_REP, &rep), KRB_OK);
    ck_assert_uint_eq(olen, rep.ticket_len);
    before = (size_t)(rep.ticket - buf) - 2;
    krb_wr_init(&w, c, sizeof c);
    krb_wr_bytes(&w, buf, before);
    krb_wr_vec16(&w, other, olen);
    krb_wr_bytes(&w, rep.ticket + rep.ticket_len, n - (before + 2 + olen));
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_kdc_rep_decode(c, w.len, KRB_MSG_AS_REP, &rep2), KRB_OK);
    ck_assert_int_eq(krb_kdc_rep_open(&rep2, &client_key, &rp), KRB_ERR_MODIFIED);
}
END_TEST

/* An AP-REQ inside a TGS-REQ has its own AD: lifted out, it still opens. */
START_TEST(test_nested_ad_starts_at_own_header)
{
    uint8_t buf[4096];
    size_t n = encode_kind(K_TGS_REQ, buf, sizeof buf);
    struct krb_tgs_req r;
    struct krb_ap_req ap;
    struct krb_authenticator a;
    const uint8_t *inner;
    size_t inner_len;

    ck_assert_int_eq(krb_tgs_req_decode(buf, n, &r), KRB_OK);
    inner = r.body_bytes + r.body_len + 2;
    inner_len = n - (size_t)(inner - buf);
    ck_assert_ptr_eq(r.ap.msg, inner);
    ck_assert_int_eq(krb_ap_req_decode(inner, inner_len, &ap), KRB_OK);
    ck_assert_uint_eq(ap.ad_len, r.ap.ad_len);
    ck_assert_int_eq(krb_ap_req_open(&ap, &session_key, KRB_USAGE_TGS_AUTH, &a), KRB_OK);
}
END_TEST

/* ---------------- malformed clear fields: AS-REQ body ---------------- */

struct req_row {
    const char *what;
    const char *client, *server;
    uint32_t options;
    uint64_t till;
    uint8_t nsuites;
    uint16_t suites[KRB_SUITE_MAX_LIST + 2];
    uint8_t pa;
    krb_err want;
};

static const struct req_row req_rows[] = {
    { "good", CLIENT, TGS, 0, 0, 1, { 1 }, 0, KRB_OK },
    { "all known options", CLIENT, TGS, KRB_KDC_OPT_KNOWN, 0, 1, { 1 }, 0, KRB_OK },
    { "unknown suite listed", CLIENT, TGS, 0, 0, 2, { 99, 1 }, 0, KRB_OK },
    { "eight suites", CLIENT, TGS, 0, 0, 8, { 1, 2, 3, 4, 5, 6, 7, 8 }, 0, KRB_OK },
    { "max time", CLIENT, TGS, 0, INT64_MAX, 1, { 1 }, 0, KRB_OK },
    { "unknown option bit", CLIENT, TGS, 0x0004, 0, 1, { 1 }, 0, KRB_ERR_BADOPTION },
    { "high option bit", CLIENT, TGS, 0x80000000u, 0, 1, { 1 }, 0, KRB_ERR_BADOPTION },
    { "zero suites", CLIENT, TGS, 0, 0, 0, { 0 }, 0, KRB_ERR_MALFORMED },
    { "nine suites", CLIENT, TGS, 0, 0, 9, { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 0, KRB_ERR_TOO_BIG },
    { "255 suites", CLIENT, TGS, 0, 0, 255, { 1 }, 0, KRB_ERR_TOO_BIG },
    { "duplicate suites", CLIENT, TGS, 0, 0, 2, { 1, 1 }, 0, KRB_ERR_MALFORMED },
    { "duplicate apart", CLIENT, TGS, 0, 0, 3, { 1, 2, 1 }, 0, KRB_ERR_MALFORMED },
    { "non-canonical bool", CLIENT, TGS, 0, 0, 1, { 1 }, 2, KRB_ERR_MALFORMED },
    { "bool 0xff", CLIENT, TGS, 0, 0, 1, { 1 }, 0xff, KRB_ERR_MALFORMED },
    { "time over INT64_MAX", CLIENT, TGS, 0, (uint64_t)INT64_MAX + 1, 1, { 1 }, 0, KRB_ERR_MALFORMED },
    { "empty client", "", TGS, 0, 0, 1, { 1 }, 0, KRB_ERR_MALFORMED },
    { "client without realm", "alice", TGS, 0, 0, 1, { 1 }, 0, KRB_ERR_BAD_NAME },
    { "client bad escape", "a\\x@R", TGS, 0, 0, 1, { 1 }, 0, KRB_ERR_BAD_NAME },
    { "client NUL", "a\x01@R", TGS, 0, 0, 1, { 1 }, 0, KRB_ERR_BAD_NAME },
    { "server realm slash", CLIENT, "krbtgt/R@R/S", 0, 0, 1, { 1 }, 0, KRB_ERR_BAD_NAME },
    { "server empty component", CLIENT, "krbtgt//R@R", 0, 0, 1, { 1 }, 0, KRB_ERR_BAD_NAME },
};

static size_t build_as_req(const struct req_row *row, uint8_t *buf, size_t cap)
{
    struct krb_wr w;
    size_t listed = row->nsuites < KRB_SUITE_MAX_LIST + 2 ? row->nsuites : 1;

    krb_wr_init(&w, buf, cap);
    krb_wr_header(&w, KRB_MSG_AS_REQ);
    krb_wr_str8(&w, row->client); /* raw: no name check on the way out */
    krb_wr_str8(&w, row->server);
    krb_wr_u32(&w, 7);
    krb_wr_u32(&w, row->options);
    krb_wr_u64(&w, row->till);
    krb_wr_u64(&w, 0);
    krb_wr_u8(&w, row->nsuites);
    for (size_t i = 0; i < listed; i++) {
        krb_wr_u16(&w, row->suites[i]);
    }
    krb_wr_u8(&w, row->pa);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

START_TEST(test_as_req_table)
{
    uint8_t buf[1024];
    size_t n = build_as_req(&req_rows[_i], buf, sizeof buf);
    struct krb_as_req r;
    krb_err rc = krb_as_req_decode(buf, n, &r);

    ck_assert_msg(rc == req_rows[_i].want, "row '%s': got %s", req_rows[_i].what, krb_err_name(rc));
    /* Whatever happened, the suite count never exceeds the array
     * (regression: rd_body used to leave nsuites = 255 on failure). */
    ck_assert_uint_le(r.body.nsuites, KRB_SUITE_MAX_LIST);
}
END_TEST

/* The same body rules inside a TGS-REQ, plus the TGS-REQ framing. */
START_TEST(test_tgs_req_body_errors)
{
    uint8_t good[4096], c[4096], body[512];
    size_t n = encode_kind(K_TGS_REQ, good, sizeof good);
    struct krb_tgs_req r;
    struct krb_wr w;
    size_t blen = (size_t)good[4] << 8 | good[5];
    const uint8_t *ap = good + 6 + blen;
    size_t aplen = n - 6 - blen; /* vec16 prefix + AP-REQ */

    memcpy(body, good + 6, blen);
    /* Unknown option bit in the body. */
    body[1 + strlen(SERVER) + 4 + 3] |= 0x04;
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, blen);
    krb_wr_bytes(&w, ap, aplen);
    ck_assert_int_eq(krb_tgs_req_decode(c, w.len, &r), KRB_ERR_BADOPTION);
    /* A trailing byte inside the body field. */
    memcpy(body, good + 6, blen);
    body[blen] = 0;
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, blen + 1);
    krb_wr_bytes(&w, ap, aplen);
    ck_assert_int_eq(krb_tgs_req_decode(c, w.len, &r), KRB_ERR_TRAILING);
    /* Empty AP-REQ field. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, blen);
    krb_wr_u16(&w, 0);
    ck_assert_int_eq(krb_tgs_req_decode(c, w.len, &r), KRB_ERR_MALFORMED);
    /* Trailing byte inside the AP-REQ field. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, blen);
    krb_wr_u16(&w, (uint16_t)(aplen - 2 + 1));
    krb_wr_bytes(&w, ap + 2, aplen - 2);
    krb_wr_u8(&w, 0);
    ck_assert_int_eq(krb_tgs_req_decode(c, w.len, &r), KRB_ERR_TRAILING);
    /* AP-REQ with a nonzero unknown option. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REQ);
    krb_wr_vec16(&w, body, blen);
    krb_wr_bytes(&w, ap, aplen);
    c[w.len - aplen + 2 + 4 + 3] = 0x02;
    ck_assert_int_eq(krb_tgs_req_decode(c, w.len, &r), KRB_ERR_BADOPTION);
}
END_TEST

/* ---------------- oversized length fields ---------------- */

START_TEST(test_oversized_lengths)
{
    uint8_t buf[KRB_MSG_MAX + 16], c[KRB_MSG_MAX + 16];
    size_t n;
    struct krb_ticket t;
    struct krb_ap_req ar;
    struct krb_kdc_rep rep;
    struct krb_error_msg e;
    struct krb_as_req asr;
    struct krb_tgs_req tr;
    struct krb_wr w;
    uint8_t big[KRB_TICKET_MAX + 1];

    /* Ticket: name length past the end; sealed length past the end. */
    n = make_ticket(buf, sizeof buf, SERVER);
    buf[4] = 0xff;
    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_ERR_MALFORMED);
    n = make_ticket(buf, sizeof buf, SERVER);
    buf[4 + 1 + strlen(SERVER) + 6] = 0xff;
    ck_assert_int_eq(krb_ticket_decode(buf, n, &t), KRB_ERR_MALFORMED);
    /* Sealed field shorter than a tag. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_bytes(&w, buf, 4 + 1 + strlen(SERVER) + 6);
    krb_wr_vec16(&w, "0123456789abcde", 15);
    ck_assert_int_eq(krb_ticket_decode(c, w.len, &t), KRB_ERR_MALFORMED);
    /* Whole ticket over KRB_TICKET_MAX. */
    memset(big, 0, sizeof big);
    ck_assert_int_eq(krb_ticket_decode(big, sizeof big, &t), KRB_ERR_TOO_BIG);
    /* AP-REQ: ticket field of KRB_TICKET_MAX + 1 bytes. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REQ);
    krb_wr_u32(&w, 0);
    krb_wr_vec16(&w, big, sizeof big);
    krb_wr_vec16(&w, big, 40);
    ck_assert_int_eq(krb_ap_req_decode(c, w.len, &ar), KRB_ERR_TOO_BIG);
    /* AP-REQ: empty ticket field. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REQ);
    krb_wr_u32(&w, 0);
    krb_wr_u16(&w, 0);
    krb_wr_vec16(&w, big, 40);
    ck_assert_int_eq(krb_ap_req_decode(c, w.len, &ar), KRB_ERR_MALFORMED);
    /* AP-REQ whose ticket field is not a ticket. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_AP_REQ);
    krb_wr_u32(&w, 0);
    krb_wr_vec16(&w, big, 10);
    krb_wr_vec16(&w, big, 40);
    ck_assert_int_eq(krb_ap_req_decode(c, w.len, &ar), KRB_ERR_MALFORMED);
    /* KDC-REP: ticket field over the maximum. */
    krb_wr_init(&w, c, sizeof c);
    krb_wr_header(&w, KRB_MSG_TGS_REP);
    krb_wr_str8(&w, CLIENT);
    krb_wr_vec16(&w, big, sizeof big);
    krb_wr_u16(&w, 1);
    krb_wr_vec16(&w, big, 40);
    ck_assert_int_eq(krb_kdc_rep_decode(c, w.len, KRB_MSG_TGS_REP, &rep), KRB_ERR_TOO_BIG);
    /* ERROR: text and edata over their maxima; realm and text with NUL. */
    {
        static const struct {
            size_t realm, text, edata;
            int nul_realm, nul_text;
            krb_err want;
        } rows[] = {
            { 3, KRB_ERROR_TEXT_MAX + 1, 0, 0, 0, KRB_ERR_TOO_BIG },
            { 3, 0, KRB_ERROR_DATA_MAX + 1, 0, 0, KRB_ERR_TOO_BIG },
            { 3, 4, 0, 1, 0, KRB_ERR_MALFORMED },
            { 3, 4, 0, 0, 1, KRB_ERR_MALFORMED },
            { 255, KRB_ERROR_TEXT_MAX, KRB_ERROR_DATA_MAX, 0, 0, KRB_OK },
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            memset(big, 'a', sizeof big);
            krb_wr_init(&w, c, sizeof c);
            krb_wr_header(&w, KRB_MSG_ERROR);
            krb_wr_u32(&w, 1);
            krb_wr_u64(&w, 0);
            big[1] = rows[i].nul_realm ? 0 : 'a';
            krb_wr_vec8(&w, big, rows[i].realm);
            big[1] = rows[i].nul_text ? 0 : 'a';
            krb_wr_vec16(&w, big, rows[i].text);
            krb_wr_vec16(&w, big, rows[i].edata);
            ck_assert_int_eq(w.err, KRB_OK);
            ck_assert_msg(krb_error_decode(c, w.len, &e) == rows[i].want, "error row %zu", i);
        }
        /* On failure the output is cleared. */
        ck_assert_int_eq(krb_error_decode(c, w.len - 1, &e), KRB_ERR_MALFORMED);
        ck_assert_str_eq(e.realm, "");
        ck_assert_uint_eq(e.edata_len, 0);
    }
    /* Messages over KRB_MSG_MAX. */
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(krb_as_req_decode(buf, KRB_MSG_MAX + 1, &asr), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_tgs_req_decode(buf, KRB_MSG_MAX + 1, &tr), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_ap_req_decode(buf, KRB_MSG_MAX + 1, &ar), KRB_ERR_TOO_BIG);
    ck_assert_int_eq(krb_kdc_rep_decode(buf, KRB_MSG_MAX + 1, KRB_MSG_AS_REP, &rep), KRB_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_pa_hint_table)
{
    uint8_t buf[64];
    struct krb_pa_hint h;
    size_t n = encode_kind(K_PA_HINT, buf, sizeof buf);

    ck_assert_uint_eq(n, 30);
    ck_assert_int_eq(krb_pa_hint_decode(buf, n, &h), KRB_OK);
    ck_assert_uint_eq(h.ops, 2);
    ck_assert_uint_eq(h.memkib, 65536);
    ck_assert_int_eq(krb_pa_hint_decode(buf, 29, &h), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_pa_hint_decode(buf, 0, &h), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_pa_hint_decode(NULL, 0, &h), KRB_ERR_MALFORMED);
}
END_TEST

/* ---------------- malformed sealed parts (sealed validly) ---------------- */

enum part_mut {
    P_GOOD,
    P_KEY_SUITE0,
    P_KEY_SUITE9,
    P_BAD_NAME,
    P_EMPTY_NAME,
    P_TIME_HIGH,
    P_BOOL2,
    P_TRAILING,
    P_SHORT,
    P_AUTHZ_BIG
};

static const struct {
    const char *what;
    enum part_mut m;
} part_rows[] = {
    { "good", P_GOOD },
    { "key suite 0", P_KEY_SUITE0 },
    { "key suite 9", P_KEY_SUITE9 },
    { "bad principal name", P_BAD_NAME },
    { "empty principal name", P_EMPTY_NAME },
    { "time over INT64_MAX", P_TIME_HIGH },
    { "non-canonical bool", P_BOOL2 },
    { "trailing byte", P_TRAILING },
    { "truncated part", P_SHORT },
    { "authz over maximum", P_AUTHZ_BIG },
};

static void wr_key_m(struct krb_wr *w, const struct krb_key *k, enum part_mut m)
{
    krb_wr_u16(w, m == P_KEY_SUITE0 ? 0 : m == P_KEY_SUITE9 ? 9 : k->suite);
    krb_wr_bytes(w, k->k, KRB_KEY_BYTES);
}

static void wr_name_m(struct krb_wr *w, const char *name, enum part_mut m)
{
    krb_wr_str8(w, m == P_BAD_NAME ? "alice@EXAMPLE/ORG" : m == P_EMPTY_NAME ? "" : name);
}

static void wr_time_m(struct krb_wr *w, krb_time t, enum part_mut m)
{
    krb_wr_u64(w, m == P_TIME_HIGH ? (uint64_t)INT64_MAX + 1 : (uint64_t)t);
}

static void wr_end_m(struct krb_wr *w, enum part_mut m)
{
    if (m == P_TRAILING) {
        krb_wr_u8(w, 0);
    }
    if (m == P_SHORT) {
        w->len--;
    }
}

/* Expected errors per kind of part; a "-" row means the mutation does not
 * apply (no such field) and the part is expected to open. */
static krb_err part_want(enum part_mut m, int has_name, int has_bool, int has_authz)
{
    switch (m) {
    case P_GOOD:
        return KRB_OK;
    case P_KEY_SUITE0:
    case P_KEY_SUITE9:
        return KRB_ERR_ETYPE_NOSUPP;
    case P_BAD_NAME:
        return has_name ? KRB_ERR_BAD_NAME : KRB_OK;
    case P_EMPTY_NAME:
        return has_name ? KRB_ERR_MALFORMED : KRB_OK;
    case P_BOOL2:
        return has_bool ? KRB_ERR_MALFORMED : KRB_OK;
    case P_AUTHZ_BIG:
        return has_authz ? KRB_ERR_TOO_BIG : KRB_OK;
    case P_TRAILING:
        return KRB_ERR_TRAILING;
    case P_TIME_HIGH:
    case P_SHORT:
        return KRB_ERR_MALFORMED;
    }
    return KRB_ERR_INTERNAL;
}

START_TEST(test_ticket_part_table)
{
    enum part_mut m = part_rows[_i].m;
    uint8_t pt[2048], buf[KRB_TICKET_MAX], authz[KRB_AUTHZ_MAX + 1] = { 0 };
    struct krb_wr pw, w;
    struct krb_ticket t;
    struct krb_ticket_part tp;
    krb_err rc;

    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u32(&pw, 0);
    wr_key_m(&pw, &session_key, m);
    wr_name_m(&pw, CLIENT, m);
    wr_time_m(&pw, T0, m);
    wr_time_m(&pw, T0, P_GOOD);
    wr_time_m(&pw, T0, P_GOOD);
    wr_time_m(&pw, T0, P_GOOD);
    krb_wr_vec16(&pw, authz, m == P_AUTHZ_BIG ? KRB_AUTHZ_MAX + 1 : 2);
    wr_end_m(&pw, m);
    ck_assert_int_eq(pw.err, KRB_OK);
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_TICKET);
    krb_wr_str8(&w, SERVER);
    krb_wr_u32(&w, 1);
    krb_wr_u16(&w, server_key.suite);
    krb_wr_sealed(&w, &server_key, KRB_USAGE_TICKET, pt, pw.len);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ticket_decode(buf, w.len, &t), KRB_OK);
    rc = krb_ticket_open(&t, &server_key, &tp);
    ck_assert_msg(rc == part_want(m, 1, 0, 1), "row '%s': got %s", part_rows[_i].what, krb_err_name(rc));
    if (rc != KRB_OK) {
        ck_assert_uint_eq(tp.session.suite, 0);
        ck_assert_str_eq(tp.client, "");
    }
}
END_TEST

START_TEST(test_authenticator_table)
{
    enum part_mut m = part_rows[_i].m;
    uint8_t pt[1024], buf[4096], tkt[KRB_TICKET_MAX], zero[32] = { 0 };
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_wr pw, w;
    struct krb_ap_req r;
    struct krb_authenticator a;
    krb_err rc;

    krb_wr_init(&pw, pt, sizeof pt);
    wr_name_m(&pw, CLIENT, m);
    wr_time_m(&pw, T0, m);
    krb_wr_u8(&pw, 1);
    wr_key_m(&pw, &sub_key, m);
    krb_wr_u64(&pw, 5);
    krb_wr_u8(&pw, m == P_BOOL2 ? 2 : 1);
    krb_wr_bytes(&pw, zero, KRB_HASH_BYTES);
    krb_wr_u8(&pw, 0);
    krb_wr_u32(&pw, 0);
    wr_end_m(&pw, m);
    ck_assert_int_eq(pw.err, KRB_OK);
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_AP_REQ);
    krb_wr_u32(&w, 0);
    krb_wr_vec16(&w, tkt, tlen);
    krb_wr_sealed(&w, &session_key, KRB_USAGE_AP_AUTH, pt, pw.len);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_ap_req_decode(buf, w.len, &r), KRB_OK);
    rc = krb_ap_req_open(&r, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_msg(rc == part_want(m, 1, 1, 0), "row '%s': got %s", part_rows[_i].what, krb_err_name(rc));
    if (rc != KRB_OK) {
        ck_assert_uint_eq(a.subkey.suite, 0);
        ck_assert_str_eq(a.client, "");
    }
}
END_TEST

START_TEST(test_ap_rep_part_table)
{
    enum part_mut m = part_rows[_i].m;
    uint8_t pt[256], buf[512];
    struct krb_wr pw, w;
    struct krb_ap_rep_part p;
    krb_err rc;

    krb_wr_init(&pw, pt, sizeof pt);
    wr_time_m(&pw, T0, m);
    krb_wr_u8(&pw, 1);
    wr_key_m(&pw, &sub_key, m);
    krb_wr_u64(&pw, 5);
    krb_wr_u8(&pw, m == P_BOOL2 ? 2 : 0);
    wr_end_m(&pw, m);
    ck_assert_int_eq(pw.err, KRB_OK);
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_AP_REP);
    krb_wr_sealed(&w, &session_key, KRB_USAGE_AP_REP, pt, pw.len);
    ck_assert_int_eq(w.err, KRB_OK);
    rc = krb_ap_rep_decode_open(buf, w.len, &session_key, &p);
    ck_assert_msg(rc == part_want(m, 0, 1, 0), "row '%s': got %s", part_rows[_i].what, krb_err_name(rc));
    if (rc != KRB_OK) {
        ck_assert_uint_eq(p.subkey.suite, 0);
        ck_assert(p.ctime == 0);
    }
}
END_TEST

START_TEST(test_kdc_rep_part_table)
{
    enum part_mut m = part_rows[_i].m;
    uint8_t pt[1024], buf[4096], tkt[KRB_TICKET_MAX], h[KRB_HASH_BYTES] = { 0 };
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_wr pw, w;
    struct krb_kdc_rep rep;
    struct krb_kdc_rep_part p;
    krb_err rc;

    krb_wr_init(&pw, pt, sizeof pt);
    wr_key_m(&pw, &sub_key, m);
    krb_wr_u32(&pw, 1);
    krb_wr_u32(&pw, 0);
    wr_time_m(&pw, T0, m);
    wr_time_m(&pw, T0, P_GOOD);
    wr_time_m(&pw, T0, P_GOOD);
    wr_time_m(&pw, T0, P_GOOD);
    wr_name_m(&pw, SERVER, m);
    krb_wr_bytes(&pw, h, sizeof h);
    krb_wr_u64(&pw, 0);
    wr_end_m(&pw, m);
    ck_assert_int_eq(pw.err, KRB_OK);
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_header(&w, KRB_MSG_TGS_REP);
    krb_wr_str8(&w, CLIENT);
    krb_wr_vec16(&w, tkt, tlen);
    krb_wr_u16(&w, session_key.suite);
    krb_wr_sealed(&w, &session_key, KRB_USAGE_TGS_REP, pt, pw.len);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_kdc_rep_decode(buf, w.len, KRB_MSG_TGS_REP, &rep), KRB_OK);
    rc = krb_kdc_rep_open(&rep, &session_key, &p);
    ck_assert_msg(rc == part_want(m, 1, 0, 0), "row '%s': got %s", part_rows[_i].what, krb_err_name(rc));
    if (rc != KRB_OK) {
        ck_assert_uint_eq(p.session.suite, 0);
        ck_assert_str_eq(p.server, "");
    }
}
END_TEST

START_TEST(test_pa_timestamp_errors)
{
    uint8_t buf[1024], ts[9] = { 0 };
    struct krb_as_req r;
    struct krb_wr w;
    krb_time t;
    size_t at;

    /* A timestamp of 9 bytes: length check rejects it before decrypting. */
    krb_wr_init(&w, buf, sizeof buf);
    {
        struct krb_kdc_req_body b;
        sample_body(&b, 0);
        krb_as_req_encode(&w, &b, NULL, 0, 0);
    }
    ck_assert_int_eq(w.err, KRB_OK);
    at = w.len - 1;
    w.len = at;
    krb_wr_u8(&w, 1);
    krb_wr_u16(&w, client_key.suite);
    krb_wr_u32(&w, 1);
    krb_wr_sealed(&w, &client_key, KRB_USAGE_PA_TIMESTAMP, ts, sizeof ts);
    ck_assert_int_eq(w.err, KRB_OK);
    ck_assert_int_eq(krb_as_req_decode(buf, w.len, &r), KRB_OK);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &t), KRB_ERR_MALFORMED);
    /* A timestamp over INT64_MAX. */
    w.len = at;
    memset(ts, 0xff, 8);
    krb_wr_u8(&w, 1);
    krb_wr_u16(&w, client_key.suite);
    krb_wr_u32(&w, 1);
    krb_wr_sealed(&w, &client_key, KRB_USAGE_PA_TIMESTAMP, ts, 8);
    ck_assert_int_eq(krb_as_req_decode(buf, w.len, &r), KRB_OK);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &t), KRB_ERR_MALFORMED);
    ck_assert(t == 0);
    /* Sealed under another usage. */
    w.len = at;
    memset(ts, 0, 8);
    krb_wr_u8(&w, 1);
    krb_wr_u16(&w, client_key.suite);
    krb_wr_u32(&w, 1);
    krb_wr_sealed(&w, &client_key, KRB_USAGE_AP_AUTH, ts, 8);
    ck_assert_int_eq(krb_as_req_decode(buf, w.len, &r), KRB_OK);
    ck_assert_int_eq(krb_as_req_open_pa(&r, &client_key, &t), KRB_ERR_MODIFIED);
}
END_TEST

START_TEST(test_encode_errors)
{
    uint8_t buf[2048], tkt[KRB_TICKET_MAX];
    size_t tlen = make_ticket(tkt, sizeof tkt, SERVER);
    struct krb_kdc_req_body b;
    struct krb_authenticator a;
    struct krb_wr w;
    char longname[300];

    sample_body(&b, 0);
    b.nsuites = 0;
    krb_wr_init(&w, buf, sizeof buf);
    krb_as_req_encode(&w, &b, NULL, 0, 0);
    ck_assert_int_eq(w.err, KRB_ERR_INVALID_ARG);
    b.nsuites = KRB_SUITE_MAX_LIST + 1;
    krb_wr_init(&w, buf, sizeof buf);
    krb_as_req_encode(&w, &b, NULL, 0, 0);
    ck_assert_int_eq(w.err, KRB_ERR_INVALID_ARG);
    sample_body(&b, 0);
    b.client[0] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_as_req_encode(&w, &b, NULL, 0, 0);
    ck_assert_int_eq(w.err, KRB_ERR_BAD_NAME);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_name(&w, longname);
    ck_assert_int_eq(w.err, KRB_ERR_BAD_NAME);
    /* AP-REQ into a writer too small: error, and nothing claimed written. */
    sample_auth(&a, 1);
    krb_wr_init(&w, buf, tlen + 20);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_int_eq(w.err, KRB_ERR_TOO_BIG);
    ck_assert_uint_eq(w.len, 0);
    /* A sticky writer error propagates. */
    krb_wr_init(&w, buf, sizeof buf);
    krb_wr_fail(&w, KRB_ERR_NOMEM);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_int_eq(w.err, KRB_ERR_NOMEM);
    ck_assert_uint_eq(w.len, 0);
    a.client[0] = '\0';
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    ck_assert_int_eq(w.err, KRB_ERR_BAD_NAME);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;
    const int nparts = (int)(sizeof part_rows / sizeof part_rows[0]);

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_all_kinds_decode, 0, K_COUNT);
    tcase_add_test(tc, test_ticket_roundtrip);
    tcase_add_test(tc, test_ticket_max_authz);
    tcase_add_test(tc, test_as_req_roundtrip);
    tcase_add_test(tc, test_tgs_req_roundtrip);
    tcase_add_test(tc, test_kdc_rep_roundtrip);
    tcase_add_test(tc, test_kdc_rep_encode_errors);
    tcase_add_test(tc, test_ap_req_roundtrip);
    tcase_add_test(tc, test_ap_req_minimal_auth);
    tcase_add_test(tc, test_ap_rep_roundtrip);
    tcase_add_test(tc, test_error_roundtrip);
    tcase_add_test(tc, test_peek_type);
    tcase_add_loop_test(tc, test_truncated_everywhere, 0, K_COUNT);
    tcase_add_loop_test(tc, test_trailing_byte, 0, K_COUNT);
    tcase_add_loop_test(tc, test_header, 0, K_COUNT * (int)(sizeof header_rows / sizeof header_rows[0]));
    tcase_add_loop_test(tc, test_wrong_type, 0, K_COUNT);
    tcase_add_loop_test(tc, test_tamper_every_byte, 0, 7);
    tcase_add_test(tc, test_ticket_tamper_exact);
    tcase_add_test(tc, test_transplant_ticket_ct);
    tcase_add_test(tc, test_transplant_auth_into_ap_rep);
    tcase_add_test(tc, test_transplant_ap_rep_into_ap_req);
    tcase_add_test(tc, test_as_rep_ticket_swap);
    tcase_add_test(tc, test_nested_ad_starts_at_own_header);
    tcase_add_loop_test(tc, test_as_req_table, 0, sizeof req_rows / sizeof req_rows[0]);
    tcase_add_test(tc, test_tgs_req_body_errors);
    tcase_add_test(tc, test_oversized_lengths);
    tcase_add_test(tc, test_pa_hint_table);
    tcase_add_loop_test(tc, test_ticket_part_table, 0, nparts);
    tcase_add_loop_test(tc, test_authenticator_table, 0, nparts);
    tcase_add_loop_test(tc, test_ap_rep_part_table, 0, nparts);
    tcase_add_loop_test(tc, test_kdc_rep_part_table, 0, nparts);
    tcase_add_test(tc, test_pa_timestamp_errors);
    tcase_add_test(tc, test_encode_errors);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
