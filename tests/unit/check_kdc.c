/*
 * check_kdc.c — the KDC's request handler driven in process: a realm in a
 * temporary directory, requests built with the codec (the test holds every
 * key), each failure asserting the exact error code of the ERROR reply.
 * Time travel through the context clock hook.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "context.h"
#include "kdb.h"
#include "kdc.h"
#include "name.h"
#include "recorder.h"

#define REALM "EXAMPLE.ORG"
#define TGS "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG"
#define ALICE "alice@EXAMPLE.ORG"
#define SVC "host/svc.example.org@EXAMPLE.ORG"
#define SEC ((krb_time)1000000)

static char tmpdir[256], cfgpath[300], dbdir[300], stash[300];
static krb_context *ctx;
static struct kdc *kdc;
static krb_time fake_now;
static uint8_t rep[KRB_MSG_MAX];
static size_t replen;
static struct kdc_log_entry lg;

static krb_time clock_fn(void *arg)
{
    (void)arg;
    return fake_now;
}

static void write_config(int hide)
{
    FILE *f = fopen(cfgpath, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "[libdefaults]\ndefault_realm = " REALM "\nclock_skew = 300s\n"
            "[kdc]\nrealm = " REALM "\nlisten = 127.0.0.1:1\ndatabase = %s\nstash = %s\n"
            "hide_unknown_principals = %s\nreplay_cache_size = 4096\n",
            dbdir, stash, hide ? "true" : "false");
    fclose(f);
}

static void mkprinc(struct kdb *db, const char *name, const char *pw, uint32_t flags, const char *policy)
{
    struct kdb_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.flags = flags;
    if (policy != NULL) {
        snprintf(p.policy, sizeof p.policy, "%s", policy);
    }
    ck_assert_int_eq(kdb_key_add(ctx, db, &p, pw, 0), KRB_OK);
    ck_assert_msg(kdb_put(ctx, db, &p, 1) == KRB_OK, "%s", krb_context_error(ctx));
}

static void setup(void)
{
    struct kdb *db;
    struct kdb_policy pol;
    struct kdb_principal p;

    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_kdc.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(cfgpath, sizeof cfgpath, "%s/tessera.conf", tmpdir);
    snprintf(dbdir, sizeof dbdir, "%s/db", tmpdir);
    snprintf(stash, sizeof stash, "%s/stash", tmpdir);
    write_config(1);
    ck_assert_int_eq(krb_context_new(cfgpath, &ctx), KRB_OK);
    fake_now = krb_system_time();
    krb_context_set_clock(ctx, clock_fn, NULL);

    ck_assert_msg(kdb_create(ctx, dbdir, stash, REALM, 0, &db) == KRB_OK, "%s", krb_context_error(ctx));
    ck_assert_int_eq(kdb_set_pwhash_params(ctx, db, 1, 8192), KRB_OK);
    memset(&pol, 0, sizeof pol);
    snprintf(pol.name, sizeof pol.name, "lock3");
    pol.history = 1;
    pol.max_failures = 3;
    pol.lockout_duration = 60 * SEC;
    ck_assert_int_eq(kdb_policy_put(ctx, db, &pol, 1), KRB_OK);
    mkprinc(db, TGS, NULL, 0, NULL);
    mkprinc(db, ALICE, "alice-pw", KDB_F_REQUIRES_PREAUTH, NULL);
    mkprinc(db, "bob@EXAMPLE.ORG", "bob-pw", KDB_F_REQUIRES_PREAUTH, NULL);
    mkprinc(db, "carol@EXAMPLE.ORG", "carol-pw", KDB_F_REQUIRES_PREAUTH, "lock3");
    mkprinc(db, "locked@EXAMPLE.ORG", "pw", KDB_F_LOCKED, NULL);
    mkprinc(db, "notgs@EXAMPLE.ORG", "pw", KDB_F_DISALLOW_TGT_BASED, NULL);
    mkprinc(db, SVC, NULL, 0, NULL);
    mkprinc(db, "nosvc@EXAMPLE.ORG", NULL, KDB_F_DISALLOW_SVR, NULL);
    mkprinc(db, "old@EXAMPLE.ORG", "pw", 0, NULL);
    ck_assert_int_eq(kdb_get(ctx, db, "old@EXAMPLE.ORG", &p), KRB_OK);
    p.expire = fake_now - SEC;
    ck_assert_int_eq(kdb_put(ctx, db, &p, 0), KRB_OK);
    mkprinc(db, "pwold@EXAMPLE.ORG", "pw", 0, NULL);
    ck_assert_int_eq(kdb_get(ctx, db, "pwold@EXAMPLE.ORG", &p), KRB_OK);
    p.pw_expire = fake_now - SEC;
    ck_assert_int_eq(kdb_put(ctx, db, &p, 0), KRB_OK);
    kdb_close(db);

    ck_assert_msg(kdc_new(ctx, cfgpath, &kdc) == KRB_OK, "%s", krb_context_error(ctx));
    ck_assert_int_eq(kdc_recorder_start(kdc->rec), KRB_OK); /* as the daemon does */
}

static void teardown(void)
{
    char cmd[600];
    kdc_free(kdc);
    kdc = NULL;
    krb_context_free(ctx);
    ctx = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- helpers ---- */

static size_t last_reqlen; /* length of the last request handled */

static void handle(const uint8_t *req, size_t len)
{
    last_reqlen = len;
    ck_assert_int_eq(kdc_handle(kdc, req, len, rep, sizeof rep, &replen, &lg), KRB_OK);
}

/* Silence is the answer to a failed request exactly when its ERROR would
 * be more than 3x the request (no amplification). */
static int error_would_amplify(krb_err code)
{
    uint8_t tmp[512];
    return kdc_error_encode(kdc, code, tmp, sizeof tmp) > 3 * last_reqlen;
}

static void expect_error(krb_err code, struct krb_error_msg *out)
{
    struct krb_error_msg e;
    uint8_t type;

    ck_assert_msg(replen > 0, "no reply, expected %s", krb_err_name(code));
    ck_assert_int_eq(krb_msg_peek_type(rep, replen, &type), KRB_OK);
    ck_assert_msg(type == KRB_MSG_ERROR, "reply type %u, expected ERROR %s", type, krb_err_name(code));
    ck_assert_int_eq(krb_error_decode(rep, replen, &e), KRB_OK);
    ck_assert_msg(e.code == (uint32_t)code, "got %s (%s), expected %s", krb_err_name((krb_err)e.code), lg.detail,
                  krb_err_name(code));
    ck_assert_str_eq(e.realm, REALM);
    ck_assert_int_eq(lg.result, code);
    if (out != NULL) {
        *out = e;
    }
}

static void client_key(const char *name, uint32_t kvno, struct krb_key *k, uint32_t *kvno_out)
{
    struct kdb_principal p;
    ck_assert_int_eq(kdb_get(ctx, kdc->db, name, &p), KRB_OK);
    ck_assert_int_eq(kdb_key_get(ctx, kdc->db, &p, kvno, k, kvno_out), KRB_OK);
}

static void body_init(struct krb_kdc_req_body *b, const char *client, const char *server)
{
    memset(b, 0, sizeof *b);
    snprintf(b->client, sizeof b->client, "%s", client);
    snprintf(b->server, sizeof b->server, "%s", server);
    b->nonce = krb_random_u32();
    b->nsuites = (uint8_t)krb_suite_defaults(b->suites);
}

static size_t as_req(uint8_t *buf, size_t cap, const struct krb_kdc_req_body *b, const struct krb_key *k,
                     uint32_t kvno, krb_time ts)
{
    struct krb_wr w;
    krb_wr_init(&w, buf, cap);
    krb_as_req_encode(&w, b, k, kvno, ts);
    ck_assert_int_eq(w.err, KRB_OK);
    return w.len;
}

struct tgt {
    uint8_t ticket[KRB_TICKET_MAX];
    size_t len;
    struct krb_kdc_rep_part part;
};

/* AS exchange for client with the stored key; options and times as given. */
static void get_tgt(const char *client, uint32_t options, krb_time till, krb_time rtime, struct tgt *t)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    struct krb_kdc_rep r;
    uint8_t req[1024], h[KRB_HASH_BYTES];
    uint32_t kvno;
    size_t n;

    client_key(client, 0, &k, &kvno);
    body_init(&b, client, TGS);
    b.options = options;
    b.till = till;
    b.rtime = rtime;
    n = as_req(req, sizeof req, &b, &k, kvno, fake_now);
    handle(req, n);
    ck_assert_msg(lg.result == KRB_OK, "AS failed: %s %s", krb_err_name(lg.result), lg.detail);
    ck_assert_int_eq(krb_kdc_rep_decode(rep, replen, KRB_MSG_AS_REP, &r), KRB_OK);
    ck_assert_str_eq(r.client, client);
    ck_assert_int_eq(r.hint.kvno, kvno);
    ck_assert_int_eq(krb_kdc_rep_open(&r, &k, &t->part), KRB_OK);
    ck_assert_uint_eq(t->part.nonce, b.nonce);
    krb_hash(h, req, n);
    ck_assert_mem_eq(t->part.req_hash, h, KRB_HASH_BYTES);
    ck_assert_str_eq(t->part.server, TGS);
    ck_assert_uint_le(r.ticket_len, sizeof t->ticket);
    memcpy(t->ticket, r.ticket, r.ticket_len);
    t->len = r.ticket_len;
    krb_key_wipe(&k);
}

struct tgs_opts {
    const char *auth_client;          /* NULL: the TGT's client */
    const struct krb_key *session;    /* NULL: the TGT session key */
    krb_time ctime;                   /* 0: now */
    int subkey;
    uint32_t options;
    krb_time till, rtime;
    uint16_t suite_only;              /* non-zero: the only suite listed */
};

static size_t tgs_req(uint8_t *buf, size_t cap, const struct tgt *t, const char *client, const char *server,
                      const struct tgs_opts *o, struct krb_kdc_req_body *bout, struct krb_key *subkey)
{
    struct krb_kdc_req_body b;
    struct krb_authenticator a;
    struct krb_wr w;

    body_init(&b, "", server);
    b.client[0] = '\0';
    b.options = o->options;
    b.till = o->till;
    b.rtime = o->rtime;
    if (o->suite_only != 0) {
        b.nsuites = 1;
        b.suites[0] = o->suite_only;
    }
    memset(&a, 0, sizeof a);
    snprintf(a.client, sizeof a.client, "%s", o->auth_client != NULL ? o->auth_client : client);
    a.ctime = o->ctime != 0 ? o->ctime : fake_now;
    a.seq = krb_random_u64();
    if (o->subkey) {
        a.has_subkey = 1;
        ck_assert_int_eq(krb_key_random(&a.subkey, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
        if (subkey != NULL) {
            *subkey = a.subkey;
        }
    }
    krb_wr_init(&w, buf, cap);
    krb_tgs_req_encode(&w, &b, t->ticket, t->len, o->session != NULL ? o->session : &t->part.session, &a);
    ck_assert_int_eq(w.err, KRB_OK);
    if (bout != NULL) {
        *bout = b;
    }
    return w.len;
}

static void open_tgs_rep(const struct krb_key *reply_key, const uint8_t *req, size_t reqlen, uint32_t nonce,
                         const char *server, struct krb_kdc_rep_part *part, struct krb_ticket_part *tp)
{
    struct krb_kdc_rep r;
    struct krb_ticket t;
    uint8_t h[KRB_HASH_BYTES];

    ck_assert_msg(lg.result == KRB_OK, "TGS failed: %s %s", krb_err_name(lg.result), lg.detail);
    ck_assert_int_eq(krb_kdc_rep_decode(rep, replen, KRB_MSG_TGS_REP, &r), KRB_OK);
    ck_assert_int_eq(krb_kdc_rep_open(&r, reply_key, part), KRB_OK);
    ck_assert_uint_eq(part->nonce, nonce);
    krb_hash(h, req, reqlen);
    ck_assert_mem_eq(part->req_hash, h, KRB_HASH_BYTES);
    ck_assert_str_eq(part->server, server);
    if (tp != NULL) {
        struct krb_key sk;
        uint32_t kvno;
        ck_assert_int_eq(krb_ticket_decode(r.ticket, r.ticket_len, &t), KRB_OK);
        ck_assert_str_eq(t.server, server);
        client_key(server, 0, &sk, &kvno);
        ck_assert_uint_eq(t.kvno, kvno);
        ck_assert_int_eq(krb_ticket_open(&t, &sk, tp), KRB_OK);
        ck_assert_mem_eq(tp->session.k, part->session.k, KRB_KEY_BYTES);
        krb_key_wipe(&sk);
    }
}

/* ---- AS ---- */

START_TEST(test_as_preauth_required_hint)
{
    struct krb_kdc_req_body b;
    struct krb_error_msg e;
    struct krb_pa_hint h;
    struct kdb_principal p;
    uint8_t req[1024];

    body_init(&b, ALICE, TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, &e);
    ck_assert_int_eq(krb_pa_hint_decode(e.edata, e.edata_len, &h), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(h.kvno, 0); /* "the newest": a kvno would tell a changed password */
    ck_assert_uint_eq(h.suite, p.keys[0].suite);
    ck_assert_mem_eq(h.salt, p.keys[0].salt, KRB_SALT_BYTES);
    ck_assert_uint_eq(h.ops, 1);
    ck_assert_uint_eq(h.memkib, 8192);
    ck_assert_uint_eq(e.text[0], 0); /* no text on the wire */
}
END_TEST

START_TEST(test_as_unknown_hidden)
{
    struct krb_kdc_req_body b;
    struct krb_error_msg e1, e2, e3;
    struct krb_pa_hint h1, h2, h3;
    struct krb_key k;
    uint8_t req[1024];
    size_t known_len;

    /* same name length as alice@EXAMPLE.ORG: the replies must be the same size */
    body_init(&b, ALICE, TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    known_len = replen;
    body_init(&b, "zelda@EXAMPLE.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, &e1);
    ck_assert_uint_eq(replen, known_len);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, &e2);
    body_init(&b, "zorro@EXAMPLE.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, &e3);
    ck_assert_int_eq(krb_pa_hint_decode(e1.edata, e1.edata_len, &h1), KRB_OK);
    ck_assert_int_eq(krb_pa_hint_decode(e2.edata, e2.edata_len, &h2), KRB_OK);
    ck_assert_int_eq(krb_pa_hint_decode(e3.edata, e3.edata_len, &h3), KRB_OK);
    ck_assert_mem_eq(h1.salt, h2.salt, KRB_SALT_BYTES); /* stable */
    ck_assert_mem_ne(h1.salt, h3.salt, KRB_SALT_BYTES); /* per name */
    ck_assert_uint_eq(h1.kvno, 0);
    ck_assert_uint_eq(h1.suite, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_uint_eq(h1.ops, 1);
    ck_assert_uint_eq(h1.memkib, 8192);

    /* with PA: PREAUTH_FAILED, like a wrong password */
    ck_assert_int_eq(krb_password_key(&k, h1.suite, "guess", h1.salt, h1.ops, h1.memkib), KRB_OK);
    body_init(&b, "zelda@EXAMPLE.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, &k, h1.kvno, fake_now));
    expect_error(KRB_ERR_PREAUTH_FAILED, NULL);

    /* the fake salt survives a restart of the KDC */
    kdc_free(kdc);
    ck_assert_int_eq(kdc_new(ctx, cfgpath, &kdc), KRB_OK);
    ck_assert_int_eq(kdc_recorder_start(kdc->rec), KRB_OK);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, &e2);
    ck_assert_int_eq(krb_pa_hint_decode(e2.edata, e2.edata_len, &h2), KRB_OK);
    ck_assert_mem_eq(h1.salt, h2.salt, KRB_SALT_BYTES);
}
END_TEST

START_TEST(test_as_unknown_visible)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    uint8_t req[1024];
    char why[256];

    write_config(0);
    ck_assert_msg(kdc_reload(kdc, why, sizeof why) == KRB_OK, "%s", why);
    body_init(&b, "zelda@EXAMPLE.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_C_PRINCIPAL_UNKNOWN, NULL);
    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
    expect_error(KRB_ERR_C_PRINCIPAL_UNKNOWN, NULL);
}
END_TEST

START_TEST(test_as_wrong_key_and_skew)
{
    struct krb_kdc_req_body b;
    struct krb_key k, good;
    struct kdb_principal p;
    uint8_t req[1024];
    uint32_t kvno;

    client_key(ALICE, 0, &good, &kvno);
    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    body_init(&b, ALICE, TGS);
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    kdc_recorder_flush(kdc->rec); /* written behind the reply */
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 1);
    /* kvno that does not exist */
    handle(req, as_req(req, sizeof req, &b, &good, kvno + 7, fake_now));
    expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    /* right key, clock 301 s ahead / behind */
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now + 301 * SEC));
    expect_error(KRB_ERR_SKEW, NULL);
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now - 301 * SEC));
    expect_error(KRB_ERR_SKEW, NULL);
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now - 299 * SEC));
    ck_assert_int_eq(lg.result, KRB_OK);
    /* a success stamped before the last failure (a replay, or a slow
     * clock) is answered but does not reset the failure count */
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 1);
    /* a success stamped after it does */
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now + SEC));
    ck_assert_int_eq(lg.result, KRB_OK);
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 0);
    krb_key_wipe(&good);
}
END_TEST

START_TEST(test_as_lockout)
{
    struct krb_kdc_req_body b;
    struct krb_key k, good;
    uint8_t req[1024];
    uint32_t kvno;

    client_key("carol@EXAMPLE.ORG", 0, &good, &kvno);
    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    body_init(&b, "carol@EXAMPLE.ORG", TGS);
    for (int i = 0; i < 3; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    /* locked: even the right password is refused, without being tested */
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
    /* still asks for pre-auth first (no lock status leaks) */
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, NULL);
    /* after the lockout duration */
    fake_now += 61 * SEC;
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    ck_assert_msg(lg.result == KRB_OK, "%s %s", krb_err_name(lg.result), lg.detail);
    krb_key_wipe(&good);
}
END_TEST

START_TEST(test_as_principal_states)
{
    static const struct {
        const char *name;
        krb_err code;
    } rows[] = {
        { "locked@EXAMPLE.ORG", KRB_ERR_CLIENT_REVOKED },
        { "old@EXAMPLE.ORG", KRB_ERR_NAME_EXP },
        { "pwold@EXAMPLE.ORG", KRB_ERR_KEY_EXPIRED },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct krb_kdc_req_body b;
        struct krb_key k;
        uint8_t req[1024];
        uint32_t kvno;
        client_key(rows[i].name, 0, &k, &kvno);
        body_init(&b, rows[i].name, TGS);
        handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
        expect_error(rows[i].code, NULL);
        krb_key_wipe(&k);
    }
}
END_TEST

START_TEST(test_as_suites_and_server)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    uint8_t req[1024];
    uint32_t kvno;

    client_key(ALICE, 0, &k, &kvno);
    body_init(&b, ALICE, TGS);
    b.nsuites = 1;
    b.suites[0] = 99;
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_ETYPE_NOSUPP, NULL);
    body_init(&b, ALICE, SVC);
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_S_PRINCIPAL_UNKNOWN, NULL);
    body_init(&b, "alice@OTHER.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_WRONG_REALM, NULL);
    body_init(&b, ALICE, TGS);
    b.till = fake_now - SEC;
    handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
    expect_error(KRB_ERR_BADOPTION, NULL);
    krb_key_wipe(&k);
}
END_TEST

START_TEST(test_as_success_times)
{
    struct tgt t;
    struct krb_ticket tk;
    struct krb_ticket_part tp;
    struct krb_key tk_key;
    uint32_t kvno;

    get_tgt(ALICE, 0, 0, 0, &t);
    ck_assert_uint_eq(t.part.flags, KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH);
    ck_assert_int_eq(t.part.authtime, fake_now);
    ck_assert_int_eq(t.part.starttime, fake_now);
    ck_assert_int_eq(t.part.endtime, fake_now + KDC_DEFAULT_MAX_LIFE);
    ck_assert_int_eq(t.part.renew_till, 0);
    /* the TGT opens under the krbtgt key and names alice */
    client_key(TGS, 0, &tk_key, &kvno);
    ck_assert_int_eq(krb_ticket_decode(t.ticket, t.len, &tk), KRB_OK);
    ck_assert_str_eq(tk.server, TGS);
    ck_assert_uint_eq(tk.kvno, kvno);
    ck_assert_int_eq(krb_ticket_open(&tk, &tk_key, &tp), KRB_OK);
    ck_assert_str_eq(tp.client, ALICE);
    ck_assert_mem_eq(tp.session.k, t.part.session.k, KRB_KEY_BYTES);
    krb_key_wipe(&tk_key);

    /* shorter life asked: granted; renewable for one day */
    get_tgt(ALICE, KRB_KDC_OPT_RENEWABLE, fake_now + 3600 * SEC, fake_now + 86400 * SEC, &t);
    ck_assert_uint_eq(t.part.flags, KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_PREAUTH | KRB_TKT_FLAG_RENEWABLE);
    ck_assert_int_eq(t.part.endtime, fake_now + 3600 * SEC);
    ck_assert_int_eq(t.part.renew_till, fake_now + 86400 * SEC);
    /* longer than allowed: capped */
    get_tgt(ALICE, KRB_KDC_OPT_RENEWABLE, fake_now + 100 * 3600 * SEC, fake_now + 30 * 86400 * SEC, &t);
    ck_assert_int_eq(t.part.endtime, fake_now + KDC_DEFAULT_MAX_LIFE);
    ck_assert_int_eq(t.part.renew_till, fake_now + KDC_DEFAULT_MAX_RENEW);
}
END_TEST

/* Mean handler time of n AS-REQs with a wrong pre-auth key for client. */
static double as_wrong_key_usec(const char *client, int n)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    uint8_t req[1024];
    size_t len;
    krb_time t0;

    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    body_init(&b, client, TGS);
    len = as_req(req, sizeof req, &b, &k, 1, fake_now);
    t0 = krb_system_time();
    for (int i = 0; i < n; i++) {
        handle(req, len);
    }
    ck_assert_int_eq(lg.result, KRB_ERR_PREAUTH_FAILED);
    return (double)(krb_system_time() - t0) / n;
}

/* Not an assertion (timing depends on the machine): the figures for the
 * record, unknown name vs wrong password, 1000 requests each. */
START_TEST(test_as_timing_report)
{
    double unknown, wrong;

    kdc->log_quiet = 1;
    (void)as_wrong_key_usec("zelda@EXAMPLE.ORG", 50); /* warm up */
    unknown = as_wrong_key_usec("zelda@EXAMPLE.ORG", 1000);
    wrong = as_wrong_key_usec(ALICE, 1000);
    fprintf(stderr, "check_kdc: AS with PA, mean over 1000: unknown %.1f us, wrong password %.1f us\n", unknown,
            wrong);
}
END_TEST

/* Unknown name vs wrong password vs service: byte for byte the same shape. */
START_TEST(test_as_unknown_same_shape)
{
    static const char *names[] = { "zelda@EXAMPLE.ORG", ALICE, SVC, "zelda/svc.example.org@EXAMPLE.ORG" };
    uint8_t first[KRB_MSG_MAX], req[1024];
    size_t first_len = 0;
    struct krb_kdc_req_body b;
    struct krb_error_msg e;
    struct krb_pa_hint h[4];
    struct krb_key k;

    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    /* with PA (kvno 0 and 1): the same ERROR, same bytes (fixed clock) */
    for (uint32_t kvno = 0; kvno < 2; kvno++) {
        for (size_t i = 0; i < 2; i++) {
            body_init(&b, names[i], TGS);
            handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
            expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
            if (i == 0) {
                memcpy(first, rep, replen);
                first_len = replen;
            } else {
                ck_assert_uint_eq(replen, first_len);
                ck_assert_mem_eq(rep, first, replen);
            }
        }
    }
    /* without PA: same length, hints differing only in the salt */
    for (size_t i = 0; i < 4; i++) {
        body_init(&b, names[i], TGS);
        handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
        expect_error(KRB_ERR_PREAUTH_REQUIRED, &e);
        ck_assert_int_eq(krb_pa_hint_decode(e.edata, e.edata_len, &h[i]), KRB_OK);
        if (i % 2 == 0) {
            first_len = replen;
        } else {
            ck_assert_uint_eq(replen, first_len); /* names of the same length */
        }
        ck_assert_uint_eq(h[i].kvno, 0);
        ck_assert_uint_eq(h[i].suite, KRB_SUITE_XCHACHA20POLY1305);
        ck_assert_uint_eq(h[i].ops, 1);
        ck_assert_uint_eq(h[i].memkib, 8192);
    }
    /* the service (random key) gets a stable, non-zero salt like anyone */
    {
        struct krb_pa_hint again;
        uint8_t zero[KRB_SALT_BYTES] = { 0 };
        body_init(&b, SVC, TGS);
        handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
        expect_error(KRB_ERR_PREAUTH_REQUIRED, &e);
        ck_assert_int_eq(krb_pa_hint_decode(e.edata, e.edata_len, &again), KRB_OK);
        ck_assert_mem_eq(again.salt, h[2].salt, KRB_SALT_BYTES);
        ck_assert_mem_ne(h[2].salt, zero, KRB_SALT_BYTES);
    }
    /* a password client answering the kvno-0 hint still logs in */
    {
        struct krb_key good;
        uint32_t kvno;
        client_key(ALICE, 0, &good, &kvno);
        body_init(&b, ALICE, TGS);
        handle(req, as_req(req, sizeof req, &b, &good, 0, fake_now));
        ck_assert_msg(lg.result == KRB_OK, "%s %s", krb_err_name(lg.result), lg.detail);
        krb_key_wipe(&good);
    }
}
END_TEST

/* N failures faster than the recorder writes: the in-memory count locks. */
START_TEST(test_recorder_lockout_before_write)
{
    struct krb_kdc_req_body b;
    struct krb_key k, good;
    struct kdb_principal p;
    uint8_t req[1024];
    uint32_t kvno;

    kdc_recorder_stop(kdc->rec); /* nothing is written until the flush */
    client_key("carol@EXAMPLE.ORG", 0, &good, &kvno);
    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    body_init(&b, "carol@EXAMPLE.ORG", TGS);
    /* two failures, a success (resets), then three failures */
    for (int i = 0; i < 2; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    ck_assert_msg(lg.result == KRB_OK, "%s %s", krb_err_name(lg.result), lg.detail);
    for (int i = 0; i < 3; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    ck_assert_int_eq(kdb_get(ctx, kdc->db, "carol@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 0); /* nothing written yet */
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
    /* written in order: 2 failures, the success, 3 failures (coalesced) */
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, "carol@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 3);
    ck_assert_int_eq(p.last_success, fake_now);
    ck_assert_int_eq(p.last_failed, fake_now);
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
    /* after the lockout: a success resets the stored count */
    fake_now += 61 * SEC;
    handle(req, as_req(req, sizeof req, &b, &good, kvno, fake_now));
    ck_assert_msg(lg.result == KRB_OK, "%s %s", krb_err_name(lg.result), lg.detail);
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, "carol@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 0);
    ck_assert_int_eq(p.last_success, fake_now);
    krb_key_wipe(&good);
}
END_TEST

/* Successes update last_success (rate-limited), through the thread. */
START_TEST(test_recorder_success)
{
    struct tgt t;
    struct kdb_principal p;
    krb_time t0 = fake_now;

    get_tgt(ALICE, 0, 0, 0, &t);
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_int_eq(p.last_success, t0);
    fake_now += 10 * SEC; /* within last_success_interval: not written */
    get_tgt(ALICE, 0, 0, 0, &t);
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_int_eq(p.last_success, t0);
    fake_now += 60 * SEC;
    get_tgt(ALICE, 0, 0, 0, &t);
    kdc_recorder_flush(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_int_eq(p.last_success, fake_now);
}
END_TEST

/* Stopping (SIGTERM) and freeing write everything still queued. */
START_TEST(test_recorder_drain_on_stop)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    struct kdb_principal p;
    uint8_t req[1024];

    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    /* thread running: stop drains */
    body_init(&b, "bob@EXAMPLE.ORG", TGS);
    for (int i = 0; i < 5; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    kdc_recorder_stop(kdc->rec);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, "bob@EXAMPLE.ORG", &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 5);
    /* no thread: queued until kdc_free, which writes them */
    body_init(&b, ALICE, TGS);
    for (int i = 0; i < 4; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 0);
    kdc_free(kdc);
    ck_assert_int_eq(kdc_new(ctx, cfgpath, &kdc), KRB_OK);
    ck_assert_int_eq(kdb_get(ctx, kdc->db, ALICE, &p), KRB_OK);
    ck_assert_uint_eq(p.fail_count, 4);
}
END_TEST

/* A full queue refuses every AS-REQ with pre-auth alike. */
START_TEST(test_recorder_full_fails_closed)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    uint8_t req[1024], first[KRB_MSG_MAX];
    size_t first_len;

    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    for (unsigned i = 0; i < KDC_REC_QUEUE; i++) {
        ck_assert_int_eq(kdc_recorder_reserve(kdc->rec), KRB_OK);
    }
    ck_assert_int_eq(kdc_recorder_reserve(kdc->rec), KRB_ERR_INTERNAL);
    body_init(&b, "zelda@EXAMPLE.ORG", TGS);
    handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
    expect_error(KRB_ERR_INTERNAL, NULL);
    memcpy(first, rep, replen);
    first_len = replen;
    body_init(&b, ALICE, TGS);
    handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
    expect_error(KRB_ERR_INTERNAL, NULL);
    ck_assert_uint_eq(replen, first_len);
    ck_assert_mem_eq(rep, first, replen);
    /* the first step (no PA) needs no room */
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, NULL);
    for (unsigned i = 0; i < KDC_REC_QUEUE; i++) {
        kdc_recorder_release(kdc->rec);
    }
    handle(req, as_req(req, sizeof req, &b, &k, 1, fake_now));
    expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
}
END_TEST

/* ---- TGS ---- */

START_TEST(test_tgs_success)
{
    struct tgt t;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    struct krb_kdc_rep_part part;
    struct krb_ticket_part tp;
    struct krb_key sub;
    uint8_t req[4096];
    size_t n;

    get_tgt(ALICE, 0, 0, 0, &t);
    fake_now += 10 * SEC;
    memset(&o, 0, sizeof o);
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t.part.session, req, n, b.nonce, SVC, &part, &tp);
    ck_assert_str_eq(tp.client, ALICE);
    ck_assert_int_eq(tp.authtime, t.part.authtime);
    ck_assert_int_eq(tp.starttime, fake_now);
    ck_assert_int_eq(tp.endtime, t.part.endtime);
    ck_assert_uint_eq(tp.flags, KRB_TKT_FLAG_PREAUTH);

    /* with a subkey the reply is sealed under it */
    o.subkey = 1;
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, &sub);
    handle(req, n);
    open_tgs_rep(&sub, req, n, b.nonce, SVC, &part, NULL);
    krb_key_wipe(&sub);
}
END_TEST

START_TEST(test_tgs_tampered_and_mismatched)
{
    struct tgt t, t2;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    uint8_t req[4096];
    size_t n;

    get_tgt(ALICE, 0, 0, 0, &t);
    memset(&o, 0, sizeof o);

    /* body changed after the authenticator was made: the nonce */
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, NULL);
    req[KRB_HEADER_BYTES + 2 + 1 + strlen(SVC)] ^= 0x01;
    handle(req, n);
    expect_error(KRB_ERR_REQ_MODIFIED, NULL);

    /* authenticator sealed under another session key */
    get_tgt("bob@EXAMPLE.ORG", 0, 0, 0, &t2);
    o.session = &t2.part.session;
    handle(req, tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_MODIFIED, NULL);
    o.session = NULL;

    /* authenticator names another client */
    o.auth_client = "bob@EXAMPLE.ORG";
    handle(req, tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_BADMATCH, NULL);
    o.auth_client = NULL;

    /* authenticator time out of the window */
    o.ctime = fake_now - 301 * SEC;
    handle(req, tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_SKEW, NULL);
    o.ctime = 0;

    /* the ticket itself altered */
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL);
    {
        /* TGS-REQ: header, vec16 body, vec16 AP-REQ(header, u32 options, vec16 ticket...) */
        size_t body_len = krb_get_u32(req + 2) >> 16;
        size_t ap = KRB_HEADER_BYTES + 2 + body_len + 2;
        size_t tkt = ap + KRB_HEADER_BYTES + 4 + 2;
        req[tkt + 40] ^= 0x80; /* inside the sealed part */
    }
    handle(req, n);
    expect_error(KRB_ERR_MODIFIED, NULL);
}
END_TEST

START_TEST(test_tgs_ticket_checks)
{
    struct tgt t, bad;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    struct krb_kdc_rep_part part;
    struct krb_ticket_part tp;
    struct krb_key tk_key;
    struct krb_wr w;
    uint8_t req[4096];
    uint32_t kvno;
    size_t n;

    get_tgt(ALICE, 0, 0, 0, &t);
    memset(&o, 0, sizeof o);

    /* a service ticket presented as a TGT */
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t.part.session, req, n, b.nonce, SVC, &part, &tp);
    {
        struct krb_kdc_rep r;
        ck_assert_int_eq(krb_kdc_rep_decode(rep, replen, KRB_MSG_TGS_REP, &r), KRB_OK);
        memcpy(bad.ticket, r.ticket, r.ticket_len);
        bad.len = r.ticket_len;
        bad.part = part;
    }
    handle(req, tgs_req(req, sizeof req, &bad, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_WRONG_PRINC, NULL);

    /* a TGT of a kvno the KDC does not have */
    client_key(TGS, 0, &tk_key, &kvno);
    memset(&tp, 0, sizeof tp);
    tp.flags = KRB_TKT_FLAG_INITIAL;
    tp.session = t.part.session;
    snprintf(tp.client, sizeof tp.client, ALICE);
    tp.authtime = tp.starttime = fake_now;
    tp.endtime = fake_now + 3600 * SEC;
    krb_wr_init(&w, bad.ticket, sizeof bad.ticket);
    krb_ticket_encode(&w, TGS, kvno + 5, &tk_key, &tp);
    ck_assert_int_eq(w.err, KRB_OK);
    bad.len = w.len;
    bad.part = t.part;
    handle(req, tgs_req(req, sizeof req, &bad, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_BADKEYVER, NULL);

    /* a TGT starting in the future */
    tp.starttime = fake_now + 400 * SEC;
    krb_wr_init(&w, bad.ticket, sizeof bad.ticket);
    krb_ticket_encode(&w, TGS, kvno, &tk_key, &tp);
    bad.len = w.len;
    handle(req, tgs_req(req, sizeof req, &bad, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_TKT_NYV, NULL);
    krb_key_wipe(&tk_key);

    /* expired TGT */
    fake_now += KDC_DEFAULT_MAX_LIFE + SEC;
    handle(req, tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_TKT_EXPIRED, NULL);
}
END_TEST

START_TEST(test_tgs_replay)
{
    struct tgt t;
    struct tgs_opts o;
    uint8_t req[4096];
    size_t n;

    get_tgt(ALICE, 0, 0, 0, &t);
    memset(&o, 0, sizeof o);
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL);
    handle(req, n);
    ck_assert_int_eq(lg.result, KRB_OK);
    handle(req, n);
    expect_error(KRB_ERR_REPEAT, NULL);
    fake_now += 2 * SEC;
    handle(req, n);
    expect_error(KRB_ERR_REPEAT, NULL);
}
END_TEST

START_TEST(test_tgs_servers_and_clients)
{
    struct tgt t;
    struct tgs_opts o;
    uint8_t req[4096];

    get_tgt(ALICE, 0, 0, 0, &t);
    memset(&o, 0, sizeof o);
    handle(req, tgs_req(req, sizeof req, &t, ALICE, "nobody/x@EXAMPLE.ORG", &o, NULL, NULL));
    expect_error(KRB_ERR_S_PRINCIPAL_UNKNOWN, NULL);
    handle(req, tgs_req(req, sizeof req, &t, ALICE, "nosvc@EXAMPLE.ORG", &o, NULL, NULL));
    expect_error(KRB_ERR_POLICY, NULL);
    handle(req, tgs_req(req, sizeof req, &t, ALICE, "host/x@OTHER.ORG", &o, NULL, NULL));
    expect_error(KRB_ERR_S_PRINCIPAL_UNKNOWN, NULL);
    o.suite_only = 99;
    handle(req, tgs_req(req, sizeof req, &t, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_ETYPE_NOSUPP, NULL);
    o.suite_only = 0;

    get_tgt("notgs@EXAMPLE.ORG", 0, 0, 0, &t);
    handle(req, tgs_req(req, sizeof req, &t, "notgs@EXAMPLE.ORG", SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_POLICY, NULL);

    /* a client locked after getting its TGT */
    get_tgt("bob@EXAMPLE.ORG", 0, 0, 0, &t);
    {
        struct kdb_principal p;
        ck_assert_int_eq(kdb_get(ctx, kdc->db, "bob@EXAMPLE.ORG", &p), KRB_OK);
        p.flags |= KDB_F_LOCKED;
        ck_assert_int_eq(kdb_put(ctx, kdc->db, &p, 0), KRB_OK);
    }
    handle(req, tgs_req(req, sizeof req, &t, "bob@EXAMPLE.ORG", SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
}
END_TEST

/* Failures still in the recorder's queue lock the TGS path too. */
START_TEST(test_tgs_locked_by_pending_failures)
{
    struct krb_kdc_req_body b;
    struct krb_key k;
    struct tgt t;
    struct tgs_opts o;
    uint8_t req[4096];
    uint32_t kvno;

    get_tgt("carol@EXAMPLE.ORG", 0, 0, 0, &t);
    kdc_recorder_flush(kdc->rec);
    kdc_recorder_stop(kdc->rec); /* nothing is written until the flush */
    client_key("carol@EXAMPLE.ORG", 0, &k, &kvno);
    k.k[0] ^= 1; /* a wrong key */
    body_init(&b, "carol@EXAMPLE.ORG", TGS);
    for (int i = 0; i < 3; i++) {
        handle(req, as_req(req, sizeof req, &b, &k, kvno, fake_now));
        expect_error(KRB_ERR_PREAUTH_FAILED, NULL);
    }
    memset(&o, 0, sizeof o);
    handle(req, tgs_req(req, sizeof req, &t, "carol@EXAMPLE.ORG", SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_CLIENT_REVOKED, NULL);
    kdc_recorder_flush(kdc->rec);
    krb_key_wipe(&k);
}
END_TEST

START_TEST(test_tgs_renew)
{
    struct tgt t, t2;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    struct krb_kdc_rep_part part;
    struct krb_ticket_part tp;
    krb_time t0 = fake_now;
    uint8_t req[4096];
    size_t n;

    get_tgt(ALICE, KRB_KDC_OPT_RENEWABLE, 0, fake_now + 86400 * SEC, &t);
    memset(&o, 0, sizeof o);
    o.options = KRB_KDC_OPT_RENEW;

    /* the TGT has expired but is within its renewable life */
    fake_now = t0 + KDC_DEFAULT_MAX_LIFE + 60 * SEC;
    n = tgs_req(req, sizeof req, &t, ALICE, TGS, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t.part.session, req, n, b.nonce, TGS, &part, &tp);
    ck_assert_int_eq(part.authtime, t0);
    ck_assert_int_eq(part.starttime, fake_now);
    ck_assert_int_eq(part.endtime, fake_now + KDC_DEFAULT_MAX_LIFE);
    ck_assert_int_eq(part.renew_till, t0 + 86400 * SEC);
    ck_assert(part.flags & KRB_TKT_FLAG_RENEWABLE);
    ck_assert_mem_ne(part.session.k, t.part.session.k, KRB_KEY_BYTES);

    /* renewal near renew_till ends at renew_till */
    {
        struct krb_kdc_rep r;
        ck_assert_int_eq(krb_kdc_rep_decode(rep, replen, KRB_MSG_TGS_REP, &r), KRB_OK);
        memcpy(t2.ticket, r.ticket, r.ticket_len);
        t2.len = r.ticket_len;
        t2.part = part;
    }
    fake_now = t0 + 86400 * SEC - 3600 * SEC;
    n = tgs_req(req, sizeof req, &t2, ALICE, TGS, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t2.part.session, req, n, b.nonce, TGS, &part, NULL);
    ck_assert_int_eq(part.endtime, t0 + 86400 * SEC);

    /* RENEW for a service: refused */
    handle(req, tgs_req(req, sizeof req, &t2, ALICE, SVC, &o, NULL, NULL));
    expect_error(KRB_ERR_BADOPTION, NULL);

    /* after renew_till */
    fake_now = t0 + 86400 * SEC + SEC;
    handle(req, tgs_req(req, sizeof req, &t2, ALICE, TGS, &o, NULL, NULL));
    expect_error(KRB_ERR_TKT_EXPIRED, NULL);

    /* a non-renewable TGT */
    get_tgt(ALICE, 0, 0, 0, &t);
    handle(req, tgs_req(req, sizeof req, &t, ALICE, TGS, &o, NULL, NULL));
    expect_error(KRB_ERR_NOT_RENEWABLE, NULL);
}
END_TEST

START_TEST(test_tgs_service_renewable)
{
    struct tgt t;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    struct krb_kdc_rep_part part;
    uint8_t req[4096];
    size_t n;

    get_tgt(ALICE, KRB_KDC_OPT_RENEWABLE, 0, fake_now + 86400 * SEC, &t);
    memset(&o, 0, sizeof o);
    o.options = KRB_KDC_OPT_RENEWABLE;
    o.till = fake_now + 3600 * SEC;
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t.part.session, req, n, b.nonce, SVC, &part, NULL);
    ck_assert_int_eq(part.endtime, fake_now + 3600 * SEC);
    ck_assert(part.flags & KRB_TKT_FLAG_RENEWABLE);
    ck_assert_int_eq(part.renew_till, t.part.renew_till);
    /* not asked: not renewable */
    o.options = 0;
    n = tgs_req(req, sizeof req, &t, ALICE, SVC, &o, &b, NULL);
    handle(req, n);
    open_tgs_rep(&t.part.session, req, n, b.nonce, SVC, &part, NULL);
    ck_assert_int_eq(part.renew_till, 0);
    ck_assert(!(part.flags & KRB_TKT_FLAG_RENEWABLE));
}
END_TEST

/* ---- hostile input ---- */

static void expect_silence_or_small_error(void)
{
    if (replen == 0) {
        return;
    }
    uint8_t type;
    ck_assert_int_eq(krb_msg_peek_type(rep, replen, &type), KRB_OK);
    if (type == KRB_MSG_ERROR) {
        struct krb_error_msg e;
        ck_assert_int_eq(krb_error_decode(rep, replen, &e), KRB_OK);
        ck_assert_uint_ne(e.code, KRB_OK);
        ck_assert_uint_le(replen, 100);
        ck_assert_uint_le(replen, 3 * last_reqlen); /* no amplification */
    }
}

START_TEST(test_garbage_table)
{
    static const struct {
        const char *bytes;
        size_t len;
        krb_err code; /* KRB_OK: silence */
    } rows[] = {
        { "", 0, KRB_OK },
        { "T", 1, KRB_OK },
        { "TK", 2, KRB_OK },
        { "TK\x01", 3, KRB_OK },
        { "GET / HTTP/1.0\r\n\r\n", 18, KRB_OK },
        { "\x00\x00\x00\x00", 4, KRB_OK },
        { "TK\x01\x02", 4, KRB_OK },          /* AS-REP: never answered */
        { "TK\x01\x04", 4, KRB_OK },          /* TGS-REP */
        { "TK\x01\x05", 4, KRB_OK },          /* ERROR */
        { "TK\x01\x07", 4, KRB_OK },          /* AP-REP */
        { "TK\x01\x01", 4, KRB_ERR_MALFORMED },
        { "TK\x01\x03", 4, KRB_ERR_MALFORMED },
        { "TK\x01\x06xx", 6, KRB_ERR_MALFORMED },
        { "TK\x01\xff", 4, KRB_ERR_MALFORMED },
        { "TK\x02\x01", 4, KRB_ERR_UNSUPPORTED },
        { "TK\x02\x05", 4, KRB_OK },
        { "TK\x01\x01\x00", 5, KRB_ERR_MALFORMED },
        { "TK\x01\x01\x05" "a@B.C", 10, KRB_ERR_MALFORMED },
        { "TK\x01\x01\x03" "a@@", 8, KRB_ERR_BAD_NAME },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        handle((const uint8_t *)rows[i].bytes, rows[i].len);
        if (rows[i].code == KRB_OK) {
            ck_assert_msg(replen == 0, "row %zu: expected silence", i);
        } else if (error_would_amplify(rows[i].code)) {
            ck_assert_msg(replen == 0, "row %zu: a %zu-byte reply to %zu bytes", i, replen, rows[i].len);
            ck_assert_msg(lg.result == rows[i].code, "row %zu: logged %s", i, krb_err_name(lg.result));
        } else {
            expect_error(rows[i].code, NULL);
        }
        expect_silence_or_small_error();
    }
    /* reply buffer too small */
    ck_assert_int_eq(kdc_handle(kdc, (const uint8_t *)"TK\x01\x01", 4, rep, 16, &replen, &lg),
                     KRB_ERR_INVALID_ARG);
    /* NULL input */
    ck_assert_int_eq(kdc_handle(kdc, NULL, 0, rep, sizeof rep, &replen, &lg), KRB_OK);
    ck_assert_uint_eq(replen, 0);
    /* oversized */
    {
        static uint8_t big[KRB_MSG_MAX + 10];
        memcpy(big, "TK\x01\x01", 4);
        handle(big, sizeof big);
        expect_error(KRB_ERR_TOO_BIG, NULL);
    }
}
END_TEST

START_TEST(test_truncations_and_flips)
{
    struct tgt t;
    struct tgs_opts o;
    struct krb_kdc_req_body b;
    struct krb_key k;
    uint8_t asr[1024], tgsr[4096], tmp[4096];
    size_t na, nt;
    uint32_t kvno;

    get_tgt(ALICE, 0, 0, 0, &t);
    client_key(ALICE, 0, &k, &kvno);
    body_init(&b, ALICE, TGS);
    na = as_req(asr, sizeof asr, &b, &k, kvno, fake_now);
    memset(&o, 0, sizeof o);
    nt = tgs_req(tgsr, sizeof tgsr, &t, ALICE, SVC, &o, NULL, NULL);

    for (size_t n = 0; n < na; n++) {
        handle(asr, n);
        ck_assert_msg(n < 4 || replen > 0 || error_would_amplify(lg.result), "truncated AS-REQ at %zu: silence", n);
        expect_silence_or_small_error();
        ck_assert_int_ne(lg.result, KRB_OK);
    }
    for (size_t n = 0; n < nt; n++) {
        handle(tgsr, n);
        expect_silence_or_small_error();
        ck_assert_int_ne(lg.result, KRB_OK);
    }
    /* every single-bit flip of the TGS-REQ (a fresh authenticator each
     * time would not matter: a flip anywhere must be refused) */
    for (size_t i = 4; i < nt; i++) {
        memcpy(tmp, tgsr, nt);
        tmp[i] ^= (uint8_t)(1u << (i % 8));
        handle(tmp, nt);
        expect_silence_or_small_error();
        ck_assert_msg(lg.result != KRB_OK, "flip at %zu accepted", i);
    }
    for (size_t i = 4; i < na; i++) {
        memcpy(tmp, asr, na);
        tmp[i] ^= (uint8_t)(1u << (i % 8));
        handle(tmp, na);
        expect_silence_or_small_error();
        ck_assert_msg(lg.result != KRB_OK, "AS flip at %zu accepted", i);
    }
    /* random inputs with a valid header */
    for (int i = 0; i < 2000; i++) {
        size_t n = 4 + krb_random_u32() % 600;
        krb_random_bytes(tmp, n);
        memcpy(tmp, "TK\x01", 3);
        tmp[3] = (uint8_t)(1 + krb_random_u32() % 3);
        handle(tmp, n);
        expect_silence_or_small_error();
    }
    krb_key_wipe(&k);
}
END_TEST

/* ---- replay cache and reload ---- */

START_TEST(test_replay_cache_bounds)
{
    struct kdc_replay *rc;
    uint8_t h[KRB_HASH_BYTES];
    krb_time now = 1000 * SEC;
    int full = 0;
    unsigned i;

    ck_assert_int_eq(kdc_replay_new(1024, now, &rc), KRB_OK);
    memset(h, 0x11, sizeof h);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 10 * SEC, now), KRB_OK);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 10 * SEC, now), KRB_ERR_REPEAT);
    /* fill: eventually fails closed */
    for (i = 0; i < 100000 && !full; i++) {
        krb_hash(h, &i, sizeof i);
        krb_err e = kdc_replay_check(rc, h, now + 10 * SEC, now);
        ck_assert(e == KRB_OK || e == KRB_ERR_RCACHE);
        full = e == KRB_ERR_RCACHE;
    }
    ck_assert(full);
    /* once the entries expire there is room again, and the old one is gone */
    now += 11 * SEC;
    krb_hash(h, &i, sizeof i);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 10 * SEC, now), KRB_OK);
    memset(h, 0x11, sizeof h);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 10 * SEC, now), KRB_OK);
    /* expiry is kept in whole seconds, rounded up: never forgotten early */
    memset(h, 0x22, sizeof h);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 5 * SEC + SEC / 2, now), KRB_OK);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 5 * SEC + SEC / 2, now + 5 * SEC + SEC / 2 - 1), KRB_ERR_REPEAT);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 5 * SEC + SEC / 2, now + 6 * SEC), KRB_ERR_REPEAT);
    ck_assert_int_eq(kdc_replay_check(rc, h, now + 5 * SEC + SEC / 2, now + 7 * SEC), KRB_OK);
    /* a clock set back before the cache was made keeps entries, never drops them */
    memset(h, 0x33, sizeof h);
    ck_assert_int_eq(kdc_replay_check(rc, h, 5 * SEC, 2 * SEC), KRB_OK);
    ck_assert_int_eq(kdc_replay_check(rc, h, 5 * SEC, 4 * SEC), KRB_ERR_REPEAT);
    kdc_replay_free(rc);
}
END_TEST

START_TEST(test_reload_bad_config_keeps_old)
{
    struct kdc_conf *before, *after;
    FILE *f;
    char why[256];
    struct krb_kdc_req_body b;
    uint8_t req[1024];

    static const struct {
        const char *text, *key;
    } bad[] = {
        { "[kdc]\nmax_life = forever\n", "max_life" },
        { "[kdc]\nsteer_by_cpu = maybe\n", "steer_by_cpu" },
    };

    before = kdc_conf_acquire(kdc);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(cfgpath, "w");
        ck_assert_ptr_nonnull(f);
        fputs(bad[i].text, f);
        fclose(f);
        ck_assert_int_eq(kdc_reload(kdc, why, sizeof why), KRB_ERR_CONFIG);
        ck_assert_msg(strstr(why, bad[i].key) != NULL, "%s: %s", bad[i].key, why);
    }
    after = kdc_conf_acquire(kdc);
    ck_assert_ptr_eq(before, after);
    kdc_conf_release(after);
    kdc_conf_release(before);
    body_init(&b, ALICE, TGS);
    handle(req, as_req(req, sizeof req, &b, NULL, 0, 0));
    expect_error(KRB_ERR_PREAUTH_REQUIRED, NULL);

    /* a good reload swaps the snapshot; a borrowed old one stays valid */
    write_config(1);
    f = fopen(cfgpath, "a");
    fputs("max_life = 1h\nsteer_by_cpu = false\n", f);
    fclose(f);
    before = kdc_conf_acquire(kdc);
    ck_assert_int_eq(before->steer_cpu, 1); /* the default */
    ck_assert_msg(kdc_reload(kdc, why, sizeof why) == KRB_OK, "%s", why);
    after = kdc_conf_acquire(kdc);
    ck_assert_ptr_ne(before, after);
    ck_assert_int_eq(after->max_life, 3600 * SEC);
    ck_assert_int_eq(after->steer_cpu, 1); /* needs a restart: kept */
    ck_assert_int_eq(before->max_life, KDC_DEFAULT_MAX_LIFE);
    ck_assert_uint_ge(before->ntgt, 1);
    kdc_conf_release(before);
    kdc_conf_release(after);
    {
        struct tgt t;
        get_tgt(ALICE, 0, 0, 0, &t);
        ck_assert_int_eq(t.part.endtime, fake_now + 3600 * SEC);
    }
}
END_TEST

static Suite *kdc_suite(void)
{
    Suite *s = suite_create("kdc");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_as_preauth_required_hint);
    tcase_add_test(tc, test_as_unknown_hidden);
    tcase_add_test(tc, test_as_unknown_visible);
    tcase_add_test(tc, test_as_wrong_key_and_skew);
    tcase_add_test(tc, test_as_lockout);
    tcase_add_test(tc, test_as_principal_states);
    tcase_add_test(tc, test_as_suites_and_server);
    tcase_add_test(tc, test_as_success_times);
    tcase_add_test(tc, test_as_timing_report);
    tcase_add_test(tc, test_as_unknown_same_shape);
    tcase_add_test(tc, test_recorder_lockout_before_write);
    tcase_add_test(tc, test_recorder_success);
    tcase_add_test(tc, test_recorder_drain_on_stop);
    tcase_add_test(tc, test_recorder_full_fails_closed);
    tcase_add_test(tc, test_tgs_locked_by_pending_failures);
    tcase_add_test(tc, test_tgs_success);
    tcase_add_test(tc, test_tgs_tampered_and_mismatched);
    tcase_add_test(tc, test_tgs_ticket_checks);
    tcase_add_test(tc, test_tgs_replay);
    tcase_add_test(tc, test_tgs_servers_and_clients);
    tcase_add_test(tc, test_tgs_renew);
    tcase_add_test(tc, test_tgs_service_renewable);
    tcase_add_test(tc, test_garbage_table);
    tcase_add_test(tc, test_truncations_and_flips);
    tcase_add_test(tc, test_replay_cache_bounds);
    tcase_add_test(tc, test_reload_bad_config_keeps_old);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kdc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
