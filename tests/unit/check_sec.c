/*
 * check_sec.c — security contexts: establishment with and without mutual
 * authentication, wrap/unwrap and MIC, every per-message failure with its
 * exact error, misuse of the state machine, failure being final, and the
 * forward-secrecy fold.
 */
#include <sodium.h>

#include "ap_fixture.h"
#include "sec_context.h"

static krb_sec_context *ini, *acc;
static struct krb_creds fx_cr;
static krb_buf rep_copy; /* the last AP-REP, for the FS test */

static krb_err kt_keyfn(krb_context *c, void *arg, const char *server, uint32_t kvno, struct krb_key *key)
{
    return krb_ap_kt_key(c, (krb_keytab *)arg, server, kvno, key);
}

static void sec_setup(void)
{
    fx_setup();
    fx_creds(&fx_cr);
    ini = acc = NULL;
}

static void sec_teardown(void)
{
    krb_sec_free(ini);
    krb_sec_free(acc);
    krb_buf_free(&rep_copy);
    fx_teardown();
}

/* Run the exchange; returns the acceptor's result. */
static krb_err establish(uint32_t flags)
{
    krb_buf t1, t2, t3;
    krb_err rc;

    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, flags, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    rc = krb_sec_init(fx_c, ini, NULL, 0, &t1);
    ck_assert(rc == KRB_OK || rc == KRB_CONTINUE);
    ck_assert_uint_gt(t1.len, 0);
    if ((rc = krb_sec_accept(fx_c, acc, t1.data, t1.len, &t2)) != KRB_OK) {
        krb_buf_free(&t1);
        return rc;
    }
    krb_buf_free(&t1);
    if (flags & (KRB_SEC_MUTUAL | KRB_SEC_FS)) {
        ck_assert_uint_gt(t2.len, 0);
        krb_buf_free(&rep_copy);
        rep_copy.data = malloc(t2.len);
        memcpy(rep_copy.data, t2.data, t2.len);
        rep_copy.len = t2.len;
        rc = krb_sec_init(fx_c, ini, t2.data, t2.len, &t3);
        ck_assert_uint_eq(t3.len, 0);
    } else {
        ck_assert_uint_eq(t2.len, 0);
    }
    krb_buf_free(&t2);
    return rc;
}

#define ALL (KRB_SEC_MUTUAL | KRB_SEC_REPLAY | KRB_SEC_SEQUENCE | KRB_SEC_CONF)

static void roundtrip(krb_sec_context *from, krb_sec_context *to, int conf, const char *msg)
{
    krb_buf tok, out;
    int got_conf = -1;

    ck_assert_int_eq(krb_sec_wrap(fx_c, from, conf, (const uint8_t *)msg, strlen(msg), &tok), KRB_OK);
    ck_assert_uint_eq(tok.len, strlen(msg) + 29);
    if (conf && strlen(msg) > 4) {
        ck_assert_ptr_null(memmem(tok.data, tok.len, msg, strlen(msg)));
    }
    ck_assert_int_eq(krb_sec_unwrap(fx_c, to, tok.data, tok.len, &out, &got_conf), KRB_OK);
    ck_assert_int_eq(got_conf, conf != 0);
    ck_assert_uint_eq(out.len, strlen(msg));
    ck_assert(out.len == 0 || memcmp(out.data, msg, out.len) == 0);
    krb_buf_free(&tok);
    krb_buf_free(&out);
}

START_TEST(test_mutual)
{
    ck_assert_int_eq(establish(ALL), KRB_OK);
    ck_assert_str_eq(krb_sec_peer_name(acc), FX_CLIENT);
    ck_assert_str_eq(krb_sec_peer_name(ini), FX_SERVICE);
    ck_assert_int_eq(krb_sec_expiry(acc), fx_cr.endtime);
    ck_assert_int_eq(krb_sec_expiry(ini), fx_cr.endtime);
    ck_assert_uint_eq(krb_sec_flags(acc), krb_sec_flags(ini));
    ck_assert_uint_eq(krb_sec_flags(acc) & ALL, ALL);
    roundtrip(ini, acc, 1, "hello from alice");
    roundtrip(acc, ini, 1, "hello from web1");
    roundtrip(ini, acc, 0, "in clear, with integrity");
    roundtrip(acc, ini, 0, "");
    roundtrip(ini, acc, 1, "");
    for (int i = 0; i < 100; i++) {
        roundtrip(i % 2 ? ini : acc, i % 2 ? acc : ini, i % 3 != 0, "again");
    }
}
END_TEST

START_TEST(test_one_way)
{
    ck_assert_int_eq(establish(KRB_SEC_REPLAY | KRB_SEC_SEQUENCE), KRB_OK);
    ck_assert_uint_eq(krb_sec_flags(acc) & KRB_SEC_MUTUAL, 0);
    roundtrip(ini, acc, 1, "one way");
    roundtrip(acc, ini, 1, "and back");
}
END_TEST

START_TEST(test_fs)
{
    ck_assert_int_eq(establish(KRB_SEC_FS | KRB_SEC_SEQUENCE), KRB_OK);
    ck_assert_uint_ne(krb_sec_flags(acc) & KRB_SEC_MUTUAL, 0); /* FS implies mutual */
    ck_assert_uint_ne(krb_sec_flags(ini) & KRB_SEC_FS, 0);
    roundtrip(ini, acc, 1, "forward secret");
    roundtrip(acc, ini, 0, "forward secret, clear");
}
END_TEST

/*
 * The test knows the ticket's session key, so it can open the AP-REP and
 * compute the acceptor's sending key as it would be without FS:
 * KDF(acceptor subkey, WRAP_ACCEPTOR). Without FS the acceptor's token
 * verifies under it; with FS it must not.
 */
static int acceptor_token_verifies_without_fs(void)
{
    struct krb_ap_rep_part part;
    struct krb_key k;
    krb_buf tok;
    uint8_t nonce[KRB_NONCE_MAX] = { 0 };
    int r;

    ck_assert_int_eq(krb_ap_rep_decode_open(rep_copy.data, rep_copy.len, &fx_cr.session, &part), KRB_OK);
    ck_assert(part.has_subkey);
    ck_assert_int_eq(krb_kdf(&k, &part.subkey, KRB_USAGE_WRAP_ACCEPTOR), KRB_OK);
    ck_assert_int_eq(krb_sec_wrap(fx_c, acc, 0, (const uint8_t *)"x", 1, &tok), KRB_OK);
    memcpy(nonce, tok.data + 5, 8);
    static const uint8_t none[1];
    uint8_t sink[1];

    /* docs/PROTOCOL.md: suite 1 wraps with ChaCha20-Poly1305 IETF, nonce = seq || 0000 */
    r = crypto_aead_chacha20poly1305_ietf_decrypt_detached(sink, NULL, none, 0, tok.data + tok.len - 16, tok.data,
                                                           tok.len - 16, nonce, k.k);
    krb_buf_free(&tok);
    krb_key_wipe(&k);
    return r == 0;
}

START_TEST(test_fs_changes_keys)
{
    ck_assert_int_eq(establish(KRB_SEC_MUTUAL), KRB_OK);
    ck_assert_int_eq(acceptor_token_verifies_without_fs(), 1);
    krb_sec_free(ini);
    krb_sec_free(acc);
    fx_now += 1;
    ck_assert_int_eq(establish(KRB_SEC_MUTUAL | KRB_SEC_FS), KRB_OK);
    ck_assert_int_eq(acceptor_token_verifies_without_fs(), 0);
}
END_TEST

START_TEST(test_mic)
{
    krb_buf mic;

    ck_assert_int_eq(establish(ALL), KRB_OK);
    ck_assert_int_eq(krb_sec_get_mic(fx_c, ini, (const uint8_t *)"pay 10", 6, &mic), KRB_OK);
    ck_assert_uint_eq(mic.len, 13 + 32);
    ck_assert_int_eq(krb_sec_verify_mic(fx_c, acc, (const uint8_t *)"pay 10", 6, mic.data, mic.len), KRB_OK);
    krb_buf_free(&mic);
    ck_assert_int_eq(krb_sec_get_mic(fx_c, acc, (const uint8_t *)"ok", 2, &mic), KRB_OK);
    ck_assert_int_eq(krb_sec_verify_mic(fx_c, ini, (const uint8_t *)"ok", 2, mic.data, mic.len), KRB_OK);
    /* The same MIC again: replay. */
    ck_assert_int_eq(krb_sec_verify_mic(fx_c, ini, (const uint8_t *)"ok", 2, mic.data, mic.len), KRB_ERR_REPEAT);
    krb_buf_free(&mic);
}
END_TEST

START_TEST(test_mic_wrong_message)
{
    krb_buf mic;

    ck_assert_int_eq(establish(ALL), KRB_OK);
    ck_assert_int_eq(krb_sec_get_mic(fx_c, ini, (const uint8_t *)"pay 10", 6, &mic), KRB_OK);
    ck_assert_int_eq(krb_sec_verify_mic(fx_c, acc, (const uint8_t *)"pay 99", 6, mic.data, mic.len),
                     KRB_ERR_MODIFIED);
    ck_assert_int_eq(krb_sec_verify_mic(fx_c, acc, (const uint8_t *)"pay 10", 6, mic.data, mic.len),
                     KRB_ERR_BAD_STATE);
    krb_buf_free(&mic);
}
END_TEST

/* Two tokens from the initiator, for the per-message tests. */
static krb_buf tok0, tok1;

static void two_tokens(uint32_t flags)
{
    ck_assert_int_eq(establish(flags), KRB_OK);
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"first", 5, &tok0), KRB_OK);
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"second", 6, &tok1), KRB_OK);
}

static void free_tokens(void)
{
    krb_buf_free(&tok0);
    krb_buf_free(&tok1);
}

START_TEST(test_wrap_replayed)
{
    krb_buf out;

    two_tokens(ALL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_ERR_REPEAT);
    ck_assert_ptr_null(out.data);
    /* Failure is final. */
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_wrap(fx_c, acc, 1, (const uint8_t *)"x", 1, &out), KRB_ERR_BAD_STATE);
    ck_assert_str_eq(krb_sec_peer_name(acc), "");
    free_tokens();
}
END_TEST

START_TEST(test_wrap_replayed_replay_only)
{
    krb_buf out;

    /* REPLAY without SEQUENCE: out of order is fine, twice is not. */
    two_tokens(KRB_SEC_MUTUAL | KRB_SEC_REPLAY);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_OK);
    ck_assert_mem_eq(out.data, "first", 5);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_ERR_REPEAT);
    free_tokens();
}
END_TEST

START_TEST(test_wrap_no_replay_detection)
{
    krb_buf out;

    /* Neither flag: duplicates are delivered (the application asked for it). */
    two_tokens(KRB_SEC_MUTUAL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    free_tokens();
}
END_TEST

START_TEST(test_wrap_reordered)
{
    krb_buf out;

    two_tokens(ALL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_ERR_SEQ);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "gap"));
    free_tokens();
}
END_TEST

START_TEST(test_wrap_gap_after_progress)
{
    krb_buf out;

    two_tokens(ALL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_OK);
    krb_buf_free(&out);
    free_tokens();
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"2", 1, &tok0), KRB_OK);
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"3", 1, &tok1), KRB_OK);
    /* 2 lost, 3 delivered: a gap. */
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok1.data, tok1.len, &out, NULL), KRB_ERR_SEQ);
    free_tokens();
}
END_TEST

START_TEST(test_wrap_truncated)
{
    krb_buf out;

    two_tokens(ALL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len - 1, &out, NULL), KRB_ERR_MODIFIED);
    free_tokens();
    krb_sec_free(ini);
    krb_sec_free(acc);
    fx_now += 1;
    two_tokens(ALL);
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, 20, &out, NULL), KRB_ERR_MALFORMED);
    free_tokens();
}
END_TEST

START_TEST(test_wrap_forged)
{
    krb_buf out;
    static const size_t where[] = { 4, 8, 13, 15, 30 }; /* flags (sealed bit), seq, payload, tag */

    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        fx_now += 1;
        two_tokens(ALL);
        ck_assert_uint_lt(where[i], tok0.len);
        tok0.data[where[i]] ^= (uint8_t)(where[i] == 4 ? KRB_TOK_FLAG_SEALED : 0x01);
        ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_ERR_MODIFIED);
        free_tokens();
        krb_sec_free(ini);
        krb_sec_free(acc);
        ini = acc = NULL;
    }
    /* Unknown flag bits and wrong message types are malformed / refused. */
    fx_now += 1;
    two_tokens(ALL);
    tok0.data[4] |= 0x80;
    ck_assert_int_eq(krb_sec_unwrap(fx_c, acc, tok0.data, tok0.len, &out, NULL), KRB_ERR_MALFORMED);
    free_tokens();
}
END_TEST

START_TEST(test_wrap_wrong_direction)
{
    krb_buf out;

    two_tokens(ALL);
    /* The initiator is handed back its own token (reflection). */
    ck_assert_int_eq(krb_sec_unwrap(fx_c, ini, tok0.data, tok0.len, &out, NULL), KRB_ERR_MODIFIED);
    ck_assert_ptr_nonnull(strstr(krb_context_error(fx_c), "reflected"));
    free_tokens();
    /* Flipping the direction bit does not help: the keys differ. */
    krb_sec_free(ini);
    krb_sec_free(acc);
    fx_now += 1;
    two_tokens(ALL);
    tok0.data[4] ^= KRB_TOK_FLAG_ACCEPTOR;
    ck_assert_int_eq(krb_sec_unwrap(fx_c, ini, tok0.data, tok0.len, &out, NULL), KRB_ERR_MODIFIED);
    free_tokens();
}
END_TEST

START_TEST(test_state_misuse)
{
    krb_buf out, t1;

    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    /* Wrap before establishment. */
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"x", 1, &out), KRB_ERR_BAD_STATE);
    ck_assert_ptr_null(out.data);
    /* ...is final: the context cannot be used any more. */
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &out), KRB_ERR_BAD_STATE);
    krb_sec_free(ini);

    /* Accept on an initiator; init on an acceptor. */
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &t1), KRB_CONTINUE);
    ck_assert_int_eq(krb_sec_accept(fx_c, ini, t1.data, t1.len, &out), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_init(fx_c, acc, NULL, 0, &out), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_ERR_BAD_STATE);
    krb_sec_free(ini);
    krb_sec_free(acc);

    /* An initiator awaiting the AP-REP is handed an AP-REQ. */
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &out), KRB_CONTINUE);
    krb_buf_free(&out);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, t1.data, t1.len, &out), KRB_ERR_BAD_STATE);
    krb_sec_free(ini);

    /* A first init with an input token; an acceptor given garbage. */
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, t1.data, t1.len, &out), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, (const uint8_t *)"junk", 4, &out), KRB_ERR_MALFORMED);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_ERR_BAD_STATE);
    krb_buf_free(&t1);
    krb_sec_free(ini);
    krb_sec_free(acc);
    ini = acc = NULL;

    /* Established: another init / accept, and late channel bindings. */
    ck_assert_int_eq(establish(ALL), KRB_OK);
    ck_assert_int_eq(krb_sec_set_channel_bindings(acc, "cb", 2), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_wrap(fx_c, acc, 1, (const uint8_t *)"x", 1, &out), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &out), KRB_ERR_BAD_STATE);
    ck_assert_int_eq(krb_sec_wrap(fx_c, ini, 1, (const uint8_t *)"x", 1, &out), KRB_ERR_BAD_STATE);
}
END_TEST

START_TEST(test_acceptor_errors_are_final)
{
    krb_buf t1, out;

    /* A replayed AP-REQ: the second acceptor refuses it and is dead. */
    ck_assert_int_eq(establish(ALL), KRB_OK);
    krb_sec_free(ini);
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &t1), KRB_CONTINUE);
    krb_sec_free(acc);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_OK);
    krb_buf_free(&out);
    krb_sec_free(acc);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_ERR_REPEAT);
    ck_assert_ptr_null(out.data);
    ck_assert_int_eq(krb_sec_wrap(fx_c, acc, 1, (const uint8_t *)"x", 1, &out), KRB_ERR_BAD_STATE);
    krb_buf_free(&t1);
}
END_TEST

START_TEST(test_mut_fail)
{
    krb_buf t1, t2, out;
    struct krb_ap_rep_part part;
    uint8_t rep[KRB_AP_REP_MAX];
    struct krb_wr w;

    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &t1), KRB_CONTINUE);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &t2), KRB_OK);
    /* An impostor who knows the session key but echoes the wrong time. */
    ck_assert_int_eq(krb_ap_rep_decode_open(t2.data, t2.len, &fx_cr.session, &part), KRB_OK);
    part.ctime -= 1;
    krb_wr_init(&w, rep, sizeof rep);
    krb_ap_rep_encode(&w, &fx_cr.session, &part);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, rep, w.len, &out), KRB_ERR_MUT_FAIL);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, t2.data, t2.len, &out), KRB_ERR_BAD_STATE);
    krb_buf_free(&t1);
    krb_buf_free(&t2);
}
END_TEST

START_TEST(test_channel_binding_mismatch)
{
    krb_buf t1, out;

    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_set_channel_bindings(ini, "channel-A", 9), KRB_OK);
    ck_assert_int_eq(krb_sec_set_channel_bindings(acc, "channel-B", 9), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &t1), KRB_CONTINUE);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_ERR_CHANNEL_BINDING);
    krb_buf_free(&t1);
    krb_sec_free(ini);
    krb_sec_free(acc);
    /* Same bindings: fine. */
    fx_now += 1;
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, ALL, &ini), KRB_OK);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, fx_rc, FX_SERVICE, &acc), KRB_OK);
    ck_assert_int_eq(krb_sec_set_channel_bindings(ini, "channel-A", 9), KRB_OK);
    ck_assert_int_eq(krb_sec_set_channel_bindings(acc, "channel-A", 9), KRB_OK);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, NULL, 0, &t1), KRB_CONTINUE);
    ck_assert_int_eq(krb_sec_accept(fx_c, acc, t1.data, t1.len, &out), KRB_OK);
    krb_buf_free(&t1);
    ck_assert_int_eq(krb_sec_init(fx_c, ini, out.data, out.len, &t1), KRB_OK);
    ck_assert_uint_eq(t1.len, 0);
    krb_buf_free(&out);
}
END_TEST

START_TEST(test_bad_args)
{
    ck_assert_int_eq(krb_sec_new_initiator_creds(fx_c, &fx_cr, 0x4000, &ini), KRB_ERR_INVALID_ARG);
    ck_assert_ptr_null(ini);
    ck_assert_int_eq(krb_sec_new_acceptor(fx_c, fx_kt, NULL, FX_SERVICE, &acc), KRB_ERR_INVALID_ARG);
    ck_assert_int_eq(krb_sec_new_acceptor_keyfn(fx_c, kt_keyfn, fx_kt, fx_rc, "bad@@name", &acc), KRB_ERR_BAD_NAME);
    krb_sec_free(NULL);
}
END_TEST

static Suite *sec_suite(void)
{
    Suite *s = suite_create("sec_context");
    TCase *tc = tcase_create("sec");

    tcase_add_checked_fixture(tc, sec_setup, sec_teardown);
    tcase_add_test(tc, test_mutual);
    tcase_add_test(tc, test_one_way);
    tcase_add_test(tc, test_fs);
    tcase_add_test(tc, test_fs_changes_keys);
    tcase_add_test(tc, test_mic);
    tcase_add_test(tc, test_mic_wrong_message);
    tcase_add_test(tc, test_wrap_replayed);
    tcase_add_test(tc, test_wrap_replayed_replay_only);
    tcase_add_test(tc, test_wrap_no_replay_detection);
    tcase_add_test(tc, test_wrap_reordered);
    tcase_add_test(tc, test_wrap_gap_after_progress);
    tcase_add_test(tc, test_wrap_truncated);
    tcase_add_test(tc, test_wrap_forged);
    tcase_add_test(tc, test_wrap_wrong_direction);
    tcase_add_test(tc, test_state_misuse);
    tcase_add_test(tc, test_acceptor_errors_are_final);
    tcase_add_test(tc, test_mut_fail);
    tcase_add_test(tc, test_channel_binding_mismatch);
    tcase_add_test(tc, test_bad_args);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sec_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
