/*
 * check_crypto.c — suites, KDF, AEAD seal/open, Argon2id, hash and MAC.
 *
 * The known answers were computed independently of libsodium by
 * tests/vectors/gen_vectors.py (hashlib BLAKE2b, the Python `cryptography`
 * package and a hand-written HChaCha20); the values are in
 * tests/vectors/crypto.txt.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define KAT_KDF_USAGE1 "b75a4e9237d7461c0a347b72829f946ebcce034747fad0ec97ee854e6e6ba02b"
#define KAT_KDF_USAGE7 "1840e5e34baa90faed52e3eecf385b8e6a345b6758447810d264e48bc69cc706"
#define KAT_KDF_USAGE_MAX "2a95346d20cc41291d5e7201d7c886e0661dcbcb013714b96573df23a25873c3"
#define KAT_SEAL1 \
    "404142434445464748494a4b4c4d4e4f5051525354555657" \
    "0349f1938483c54b5eb5699f23b456b1aba0d468ec94954681825991abb7"
#define KAT_SEAL2 "606162636465666768696a6b024e720a0c42ba5bc8729bf7a0ac046f1e1bbde30c27d1b68188e300df8f"
#define KAT_SEAL1_EMPTY "404142434445464748494a4b4c4d4e4f5051525354555657b76ceb191ff83363273a91d9a8cc70a4"
#define KAT_HASH_ABC "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
#define KAT_HASH_EMPTY "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
#define KAT_MAC_ABC_USAGE10 "86f4dc9b9be4c5f2a8dce5f51529ad3eced4b4d954e22e954a957b971cdf2290"
#define KAT_PWKEY "eb8cf0e32ea118d4865b51d32836a373be04224269089f805015c3b29cab1445"

static const char AD[] = "tessera-ad";
static const char PT[] = "hello, tessera";

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    char buf[512];

    ck_assert_uint_lt(2 * n, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        snprintf(buf + 2 * i, 3, "%02x", got[i]);
    }
    buf[2 * n] = '\0';
    ck_assert_str_eq(buf, want);
}

static void fixed_key(struct krb_key *k, uint16_t suite)
{
    k->suite = suite;
    for (size_t i = 0; i < KRB_KEY_BYTES; i++) {
        k->k[i] = (uint8_t)i;
    }
}

static void fixed_nonce(uint8_t *n, uint16_t suite)
{
    uint8_t base = suite == KRB_SUITE_AES256GCM ? 0x60 : 0x40;
    for (size_t i = 0; i < krb_suite_nonce_bytes(suite); i++) {
        n[i] = (uint8_t)(base + i);
    }
}

static void setup(void)
{
    ck_assert_int_eq(krb_crypto_init(), KRB_OK);
}

/* ---------------- known answers ---------------- */

START_TEST(test_kdf_kat)
{
    struct krb_key k, sub;

    fixed_key(&k, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(krb_kdf(&sub, &k, KRB_USAGE_TICKET), KRB_OK);
    ck_assert_uint_eq(sub.suite, KRB_SUITE_XCHACHA20POLY1305);
    assert_hex(sub.k, sizeof sub.k, KAT_KDF_USAGE1);
    ck_assert_int_eq(krb_kdf(&sub, &k, KRB_USAGE_AP_REP), KRB_OK);
    assert_hex(sub.k, sizeof sub.k, KAT_KDF_USAGE7);
    ck_assert_int_eq(krb_kdf(&sub, &k, UINT64_MAX), KRB_OK);
    assert_hex(sub.k, sizeof sub.k, KAT_KDF_USAGE_MAX);
    /* The suite does not enter the derivation, only the key bytes. */
    if (krb_suite_supported(KRB_SUITE_AES256GCM)) {
        fixed_key(&k, KRB_SUITE_AES256GCM);
        ck_assert_int_eq(krb_kdf(&sub, &k, KRB_USAGE_TICKET), KRB_OK);
        ck_assert_uint_eq(sub.suite, KRB_SUITE_AES256GCM);
        assert_hex(sub.k, sizeof sub.k, KAT_KDF_USAGE1);
    }
}
END_TEST

static void check_seal_kat(uint16_t suite, const char *want)
{
    struct krb_key k;
    uint8_t nonce[KRB_NONCE_MAX], out[128], pt[64];
    size_t n = 0, m = 0;

    fixed_key(&k, suite);
    fixed_nonce(nonce, suite);
    ck_assert_int_eq(krb_seal_with_nonce(&k, KRB_USAGE_TICKET, (const uint8_t *)AD, strlen(AD), (const uint8_t *)PT,
                                         strlen(PT), nonce, out, sizeof out, &n),
                     KRB_OK);
    ck_assert_uint_eq(n, strlen(PT) + krb_seal_overhead(suite));
    assert_hex(out, n, want);
    ck_assert_int_eq(krb_open(&k, KRB_USAGE_TICKET, (const uint8_t *)AD, strlen(AD), out, n, pt, sizeof pt, &m),
                     KRB_OK);
    ck_assert_uint_eq(m, strlen(PT));
    ck_assert(memcmp(pt, PT, m) == 0);
}

START_TEST(test_seal_kat_suite1)
{
    struct krb_key k;
    uint8_t nonce[KRB_NONCE_MAX], out[64];
    size_t n = 0;

    check_seal_kat(KRB_SUITE_XCHACHA20POLY1305, KAT_SEAL1);
    /* Empty plaintext, empty AD, another usage. */
    fixed_key(&k, KRB_SUITE_XCHACHA20POLY1305);
    fixed_nonce(nonce, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(krb_seal_with_nonce(&k, KRB_USAGE_AP_AUTH, NULL, 0, NULL, 0, nonce, out, sizeof out, &n), KRB_OK);
    assert_hex(out, n, KAT_SEAL1_EMPTY);
}
END_TEST

START_TEST(test_seal_kat_suite2)
{
    if (!krb_suite_supported(KRB_SUITE_AES256GCM)) {
        return; /* no AES-NI on this CPU: nothing to test */
    }
    check_seal_kat(KRB_SUITE_AES256GCM, KAT_SEAL2);
}
END_TEST

START_TEST(test_password_key_kat)
{
    struct krb_key k;
    const uint8_t salt[KRB_SALT_BYTES] = "0123456789abcdef";

    ck_assert_int_eq(krb_password_key(&k, KRB_SUITE_XCHACHA20POLY1305, "correct horse", salt, 1, 8192), KRB_OK);
    ck_assert_uint_eq(k.suite, KRB_SUITE_XCHACHA20POLY1305);
    assert_hex(k.k, sizeof k.k, KAT_PWKEY);
}
END_TEST

START_TEST(test_hash_mac_kat)
{
    uint8_t h[KRB_HASH_BYTES], h2[KRB_HASH_BYTES];
    struct krb_key k;

    krb_hash(h, "abc", 3);
    assert_hex(h, sizeof h, KAT_HASH_ABC);
    krb_hash(h, NULL, 0);
    assert_hex(h, sizeof h, KAT_HASH_EMPTY);
    fixed_key(&k, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(krb_mac(h, &k, KRB_USAGE_MIC_INITIATOR, "abc", 3), KRB_OK);
    assert_hex(h, sizeof h, KAT_MAC_ABC_USAGE10);
    ck_assert_int_eq(krb_mac(h2, &k, KRB_USAGE_MIC_ACCEPTOR, "abc", 3), KRB_OK);
    ck_assert(!krb_ct_equal(h, h2, sizeof h));
    k.suite = 77;
    ck_assert_int_eq(krb_mac(h, &k, KRB_USAGE_MIC_INITIATOR, "abc", 3), KRB_ERR_ETYPE_NOSUPP);
}
END_TEST

/* ---------------- negative tests ---------------- */

/* Seal the fixed message, apply one mutation, and check that open fails
 * with KRB_ERR_MODIFIED and leaves the plaintext buffer zeroed. */
enum mutation { MUT_KEY, MUT_NONCE, MUT_CT, MUT_TAG, MUT_AD, MUT_AD_LEN, MUT_USAGE, MUT_SWAP_SUITE };

static const struct {
    const char *what;
    enum mutation m;
} mutations[] = {
    { "wrong key", MUT_KEY },
    { "flipped nonce bit", MUT_NONCE },
    { "flipped ciphertext bit", MUT_CT },
    { "flipped tag bit", MUT_TAG },
    { "wrong AD", MUT_AD },
    { "truncated AD", MUT_AD_LEN },
    { "wrong usage", MUT_USAGE },
    { "other suite", MUT_SWAP_SUITE },
};

static void tamper(uint16_t suite, int row)
{
    struct krb_key k;
    uint8_t nonce[KRB_NONCE_MAX], ct[128], pt[64], ad[32];
    size_t n = 0, m = 99, nb = krb_suite_nonce_bytes(suite), adlen = strlen(AD);
    uint64_t usage = KRB_USAGE_TGS_REP;

    fixed_key(&k, suite);
    fixed_nonce(nonce, suite);
    memcpy(ad, AD, adlen);
    ck_assert_int_eq(
        krb_seal_with_nonce(&k, usage, ad, adlen, (const uint8_t *)PT, strlen(PT), nonce, ct, sizeof ct, &n), KRB_OK);
    switch (mutations[row].m) {
    case MUT_KEY:
        k.k[31] ^= 0x80;
        break;
    case MUT_NONCE:
        ct[nb - 1] ^= 0x01;
        break;
    case MUT_CT:
        ct[nb + 3] ^= 0x10;
        break;
    case MUT_TAG:
        ct[n - 1] ^= 0x01;
        break;
    case MUT_AD:
        ad[0] ^= 0x20;
        break;
    case MUT_AD_LEN:
        adlen--;
        break;
    case MUT_USAGE:
        usage = KRB_USAGE_AS_REP;
        break;
    case MUT_SWAP_SUITE:
        if (suite == KRB_SUITE_XCHACHA20POLY1305) {
            if (!krb_suite_supported(KRB_SUITE_AES256GCM)) {
                return;
            }
            k.suite = KRB_SUITE_AES256GCM;
        } else {
            k.suite = KRB_SUITE_XCHACHA20POLY1305;
        }
        break;
    }
    memset(pt, 0xaa, sizeof pt);
    ck_assert_msg(krb_open(&k, usage, ad, adlen, ct, n, pt, sizeof pt, &m) == KRB_ERR_MODIFIED, "row '%s'",
                  mutations[row].what);
    ck_assert_uint_eq(m, 0);
    /* Every byte the open could have written (the length the blob implies
     * under the key's suite) is zero. */
    for (size_t i = 0; i < n - krb_seal_overhead(k.suite); i++) {
        ck_assert_msg(pt[i] == 0, "row '%s': plaintext byte %zu not wiped", mutations[row].what, i);
    }
}

START_TEST(test_tamper_suite1)
{
    tamper(KRB_SUITE_XCHACHA20POLY1305, _i);
}
END_TEST

START_TEST(test_tamper_suite2)
{
    if (krb_suite_supported(KRB_SUITE_AES256GCM)) {
        tamper(KRB_SUITE_AES256GCM, _i);
    }
}
END_TEST

/* Every single-bit flip anywhere in the sealed blob is caught. */
START_TEST(test_every_bit_flip)
{
    struct krb_key k;
    uint8_t ct[128], pt[64];
    size_t n = 0, m;

    ck_assert_int_eq(krb_key_random(&k, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    ck_assert_int_eq(
        krb_seal(&k, KRB_USAGE_AP_AUTH, (const uint8_t *)AD, 4, (const uint8_t *)PT, strlen(PT), ct, sizeof ct, &n),
        KRB_OK);
    for (size_t bit = 0; bit < n * 8; bit++) {
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(krb_open(&k, KRB_USAGE_AP_AUTH, (const uint8_t *)AD, 4, ct, n, pt, sizeof pt, &m),
                         KRB_ERR_MODIFIED);
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ck_assert_int_eq(krb_open(&k, KRB_USAGE_AP_AUTH, (const uint8_t *)AD, 4, ct, n, pt, sizeof pt, &m), KRB_OK);
}
END_TEST

START_TEST(test_open_short_and_bounds)
{
    struct krb_key k;
    uint8_t ct[128], pt[64];
    size_t n = 0, m = 7, over = krb_seal_overhead(KRB_SUITE_XCHACHA20POLY1305);

    fixed_key(&k, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_uint_eq(over, 24 + 16);
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, strlen(PT), ct, sizeof ct, &n), KRB_OK);
    /* Shorter than nonce + tag: malformed, not "modified". */
    for (size_t len = 0; len < over; len++) {
        ck_assert_int_eq(krb_open(&k, 1, NULL, 0, ct, len, pt, sizeof pt, &m), KRB_ERR_MALFORMED);
        ck_assert_uint_eq(m, 0);
    }
    /* Exactly the overhead: an empty plaintext that fails authentication. */
    ck_assert_int_eq(krb_open(&k, 1, NULL, 0, ct, over, pt, sizeof pt, &m), KRB_ERR_MODIFIED);
    /* Truncated by one byte. */
    ck_assert_int_eq(krb_open(&k, 1, NULL, 0, ct, n - 1, pt, sizeof pt, &m), KRB_ERR_MODIFIED);
    /* Plaintext buffer too small. */
    ck_assert_int_eq(krb_open(&k, 1, NULL, 0, ct, n, pt, strlen(PT) - 1, &m), KRB_ERR_TOO_BIG);
    /* Output buffer too small when sealing. */
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, strlen(PT), ct, strlen(PT) + over - 1, &n),
                     KRB_ERR_TOO_BIG);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, 200, ct, 100, &n), KRB_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_unknown_suite)
{
    struct krb_key k, sub;
    uint8_t ct[128], pt[64], nonce[KRB_NONCE_MAX] = { 0 };
    const uint8_t salt[KRB_SALT_BYTES] = { 0 };
    size_t n = 5;

    fixed_key(&k, 0);
    ck_assert_int_eq(krb_kdf(&sub, &k, 1), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, 3, ct, sizeof ct, &n), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(krb_seal_with_nonce(&k, 1, NULL, 0, (const uint8_t *)PT, 3, nonce, ct, sizeof ct, &n),
                     KRB_ERR_ETYPE_NOSUPP);
    memset(ct, 0, sizeof ct);
    ck_assert_int_eq(krb_open(&k, 1, NULL, 0, ct, 64, pt, sizeof pt, &n), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_int_eq(krb_key_random(&k, 3), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_int_eq(krb_key_random(&k, 0xffff), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_int_eq(krb_password_key(&k, 9, "pw", salt, 1, 8), KRB_ERR_ETYPE_NOSUPP);
    ck_assert_uint_eq(krb_suite_nonce_bytes(0), 0);
    ck_assert_uint_eq(krb_suite_nonce_bytes(3), 0);
    ck_assert_uint_eq(krb_seal_overhead(3), 0);
    ck_assert_int_eq(krb_suite_supported(0), 0);
    ck_assert_int_eq(krb_suite_supported(3), 0);
    ck_assert_int_eq(krb_suite_supported(KRB_SUITE_XCHACHA20POLY1305), 1);
    ck_assert_uint_eq(krb_suite_nonce_bytes(KRB_SUITE_XCHACHA20POLY1305), 24);
    ck_assert_uint_eq(krb_suite_nonce_bytes(KRB_SUITE_AES256GCM), 12);
    ck_assert_uint_eq(krb_seal_overhead(KRB_SUITE_AES256GCM), 28);
}
END_TEST

/* Argon2id bounds: each row -> exact error. */
static const struct {
    const char *what;
    uint32_t ops, memkib;
    krb_err want;
} pw_bounds[] = {
    { "ops 0", 0, 8192, KRB_ERR_INVALID_ARG },
    { "ops over max", KRB_PW_OPS_MAX + 1, 8192, KRB_ERR_INVALID_ARG },
    { "ops UINT32_MAX", UINT32_MAX, 8192, KRB_ERR_INVALID_ARG },
    { "memkib 0", 1, 0, KRB_ERR_INVALID_ARG },
    { "memkib under min", 1, KRB_PW_MEMKIB_MIN - 1, KRB_ERR_INVALID_ARG },
    { "memkib over max", 1, KRB_PW_MEMKIB_MAX + 1, KRB_ERR_INVALID_ARG },
    { "memkib UINT32_MAX", 1, UINT32_MAX, KRB_ERR_INVALID_ARG },
    { "min ok", KRB_PW_OPS_MIN, KRB_PW_MEMKIB_MIN, KRB_OK },
};

START_TEST(test_password_bounds)
{
    struct krb_key k;
    const uint8_t salt[KRB_SALT_BYTES] = { 1 };
    krb_err rc = krb_password_key(&k, KRB_SUITE_XCHACHA20POLY1305, "pw", salt, pw_bounds[_i].ops, pw_bounds[_i].memkib);

    ck_assert_msg(rc == pw_bounds[_i].want, "row '%s': got %s", pw_bounds[_i].what, krb_err_name(rc));
}
END_TEST

START_TEST(test_password_key_separates)
{
    struct krb_key a, b;
    uint8_t salt[KRB_SALT_BYTES] = "0123456789abcdef";

    ck_assert_int_eq(krb_password_key(&a, KRB_SUITE_XCHACHA20POLY1305, "correct horse", salt, 1, 8192), KRB_OK);
    ck_assert_int_eq(krb_password_key(&b, KRB_SUITE_XCHACHA20POLY1305, "correct horsE", salt, 1, 8192), KRB_OK);
    ck_assert(!krb_ct_equal(a.k, b.k, KRB_KEY_BYTES));
    salt[15] ^= 1;
    ck_assert_int_eq(krb_password_key(&b, KRB_SUITE_XCHACHA20POLY1305, "correct horse", salt, 1, 8192), KRB_OK);
    ck_assert(!krb_ct_equal(a.k, b.k, KRB_KEY_BYTES));
    salt[15] ^= 1;
    ck_assert_int_eq(krb_password_key(&b, KRB_SUITE_XCHACHA20POLY1305, "correct horse", salt, 2, 8192), KRB_OK);
    ck_assert(!krb_ct_equal(a.k, b.k, KRB_KEY_BYTES));
}
END_TEST

/* Suite negotiation: client order wins; only suites both sides have and
 * this build supports. */
static const struct {
    const char *what;
    uint16_t client[4];
    size_t nclient;
    uint16_t have[4];
    size_t nhave;
    uint16_t want; /* 0xffff: suite 2 if supported, else 1 */
} picks[] = {
    { "single common", { 1 }, 1, { 1 }, 1, 1 },
    { "client order wins", { 2, 1 }, 2, { 1, 2 }, 2, 0xffff },
    { "client prefers 1", { 1, 2 }, 2, { 2, 1 }, 2, 1 },
    { "unknown first skipped", { 9, 1 }, 2, { 9, 1 }, 2, 1 },
    { "no overlap", { 1 }, 1, { 2 }, 1, 0 },
    { "empty client", { 0 }, 0, { 1 }, 1, 0 },
    { "empty have", { 1 }, 1, { 0 }, 0, 0 },
    { "zero suite never picked", { 0 }, 1, { 0 }, 1, 0 },
    { "only unknown", { 7, 8 }, 2, { 8, 7 }, 2, 0 },
};

START_TEST(test_suite_pick)
{
    uint16_t want = picks[_i].want;

    if (want == 0xffff) {
        want = krb_suite_supported(KRB_SUITE_AES256GCM) ? KRB_SUITE_AES256GCM : KRB_SUITE_XCHACHA20POLY1305;
    }
    ck_assert_msg(krb_suite_pick(picks[_i].client, picks[_i].nclient, picks[_i].have, picks[_i].nhave) == want,
                  "row '%s'", picks[_i].what);
}
END_TEST

START_TEST(test_suite_defaults)
{
    uint16_t s[KRB_SUITE_MAX_LIST];
    size_t n = krb_suite_defaults(s);

    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, KRB_SUITE_MAX_LIST);
    ck_assert_uint_eq(s[0], KRB_SUITE_XCHACHA20POLY1305);
    for (size_t i = 0; i < n; i++) {
        ck_assert(krb_suite_supported(s[i]));
    }
    ck_assert_uint_eq(n, krb_suite_supported(KRB_SUITE_AES256GCM) ? 2 : 1);
}
END_TEST

START_TEST(test_random_and_secure_keys)
{
    struct krb_key a, b, *s;
    uint8_t z[KRB_KEY_BYTES] = { 0 };

    ck_assert_int_eq(krb_key_random(&a, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    ck_assert_int_eq(krb_key_random(&b, KRB_SUITE_XCHACHA20POLY1305), KRB_OK);
    ck_assert(!krb_ct_equal(a.k, b.k, KRB_KEY_BYTES));
    krb_key_wipe(&a);
    ck_assert_uint_eq(a.suite, 0);
    ck_assert(krb_ct_equal(a.k, z, KRB_KEY_BYTES));
    s = krb_key_secure_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->suite, 0);
    ck_assert(krb_ct_equal(s->k, z, KRB_KEY_BYTES));
    *s = b;
    krb_key_secure_free(s);
    krb_key_secure_free(NULL);
    ck_assert_int_eq(krb_ct_equal("abc", "abd", 3), 0);
    ck_assert_int_eq(krb_ct_equal("abc", "abc", 3), 1);
}
END_TEST

START_TEST(test_seal_nonce_is_random)
{
    struct krb_key k;
    uint8_t a[64], b[64];
    size_t na, nb;

    fixed_key(&k, KRB_SUITE_XCHACHA20POLY1305);
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, 4, a, sizeof a, &na), KRB_OK);
    ck_assert_int_eq(krb_seal(&k, 1, NULL, 0, (const uint8_t *)PT, 4, b, sizeof b, &nb), KRB_OK);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, 24) != 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kdf_kat);
    tcase_add_test(tc, test_seal_kat_suite1);
    tcase_add_test(tc, test_seal_kat_suite2);
    tcase_add_test(tc, test_password_key_kat);
    tcase_add_test(tc, test_hash_mac_kat);
    tcase_add_loop_test(tc, test_tamper_suite1, 0, sizeof mutations / sizeof mutations[0]);
    tcase_add_loop_test(tc, test_tamper_suite2, 0, sizeof mutations / sizeof mutations[0]);
    tcase_add_test(tc, test_every_bit_flip);
    tcase_add_test(tc, test_open_short_and_bounds);
    tcase_add_test(tc, test_unknown_suite);
    tcase_add_loop_test(tc, test_password_bounds, 0, sizeof pw_bounds / sizeof pw_bounds[0]);
    tcase_add_test(tc, test_password_key_separates);
    tcase_add_loop_test(tc, test_suite_pick, 0, sizeof picks / sizeof picks[0]);
    tcase_add_test(tc, test_suite_defaults);
    tcase_add_test(tc, test_random_and_secure_keys);
    tcase_add_test(tc, test_seal_nonce_is_random);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
