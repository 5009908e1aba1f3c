/* crypto.c — libsodium-backed suites; see crypto.h. */
#include <sodium.h>
#include <string.h>

#include "crypto.h"

krb_err krb_crypto_init(void)
{
    return sodium_init() < 0 ? KRB_ERR_CRYPTO : KRB_OK;
}

int krb_suite_supported(uint16_t suite)
{
    switch (suite) {
    case KRB_SUITE_XCHACHA20POLY1305:
        return 1;
    case KRB_SUITE_AES256GCM:
        return crypto_aead_aes256gcm_is_available() ? 1 : 0;
    default:
        return 0;
    }
}

size_t krb_suite_nonce_bytes(uint16_t suite)
{
    switch (suite) {
    case KRB_SUITE_XCHACHA20POLY1305:
        return crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    case KRB_SUITE_AES256GCM:
        return crypto_aead_aes256gcm_NPUBBYTES;
    default:
        return 0;
    }
}

size_t krb_seal_overhead(uint16_t suite)
{
    size_t n = krb_suite_nonce_bytes(suite);
    return n == 0 ? 0 : n + KRB_TAG_BYTES;
}

size_t krb_suite_defaults(uint16_t out[KRB_SUITE_MAX_LIST])
{
    size_t n = 0;

    out[n++] = KRB_SUITE_XCHACHA20POLY1305;
    if (krb_suite_supported(KRB_SUITE_AES256GCM)) {
        out[n++] = KRB_SUITE_AES256GCM;
    }
    return n;
}

uint16_t krb_suite_pick(const uint16_t *client, size_t nclient, const uint16_t *have, size_t nhave)
{
    for (size_t i = 0; i < nclient; i++) {
        for (size_t j = 0; j < nhave; j++) {
            if (client[i] == have[j] && krb_suite_supported(client[i])) {
                return client[i];
            }
        }
    }
    return 0;
}

krb_err krb_key_random(struct krb_key *k, uint16_t suite)
{
    if (!krb_suite_supported(suite)) {
        return KRB_ERR_ETYPE_NOSUPP;
    }
    k->suite = suite;
    randombytes_buf(k->k, sizeof k->k);
    return KRB_OK;
}

void krb_key_wipe(struct krb_key *k)
{
    sodium_memzero(k, sizeof *k);
}

struct krb_key *krb_key_secure_new(void)
{
    struct krb_key *k = sodium_malloc(sizeof *k);
    if (k != NULL) {
        sodium_memzero(k, sizeof *k);
    }
    return k;
}

void krb_key_secure_free(struct krb_key *k)
{
    if (k != NULL) {
        sodium_mprotect_readwrite(k);
        sodium_free(k); /* sodium_free wipes before unmapping */
    }
}

krb_err krb_kdf(struct krb_key *out, const struct krb_key *base, uint64_t usage)
{
    if (!krb_suite_supported(base->suite)) {
        return KRB_ERR_ETYPE_NOSUPP;
    }
    out->suite = base->suite;
    if (crypto_kdf_derive_from_key(out->k, sizeof out->k, usage, KRB_KDF_CONTEXT, base->k) != 0) {
        sodium_memzero(out, sizeof *out);
        return KRB_ERR_CRYPTO;
    }
    return KRB_OK;
}

krb_err krb_seal_with_nonce(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen,
                            const uint8_t *pt, size_t ptlen, const uint8_t *nonce, uint8_t *out, size_t outcap,
                            size_t *outlen)
{
    struct krb_key sub;
    size_t nb = krb_suite_nonce_bytes(k->suite);
    unsigned long long clen = 0;
    krb_err rc;
    int r;

    *outlen = 0;
    if ((rc = krb_kdf(&sub, k, usage)) != KRB_OK) {
        goto out;
    }
    if (ptlen > outcap || outcap - ptlen < nb + KRB_TAG_BYTES) {
        rc = KRB_ERR_TOO_BIG;
        goto out;
    }
    memcpy(out, nonce, nb);
    if (k->suite == KRB_SUITE_AES256GCM) {
        r = crypto_aead_aes256gcm_encrypt(out + nb, &clen, pt, ptlen, ad, adlen, NULL, out, sub.k);
    } else {
        r = crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, &clen, pt, ptlen, ad, adlen, NULL, out, sub.k);
    }
    if (r != 0) {
        rc = KRB_ERR_CRYPTO;
        goto out;
    }
    *outlen = nb + (size_t)clen;
    rc = KRB_OK;
out:
    krb_key_wipe(&sub);
    return rc;
}

krb_err krb_seal(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen, const uint8_t *pt,
                 size_t ptlen, uint8_t *out, size_t outcap, size_t *outlen)
{
    uint8_t nonce[KRB_NONCE_MAX];
    size_t nb = krb_suite_nonce_bytes(k->suite);

    if (nb == 0 || !krb_suite_supported(k->suite)) {
        *outlen = 0;
        return KRB_ERR_ETYPE_NOSUPP;
    }
    randombytes_buf(nonce, nb);
    return krb_seal_with_nonce(k, usage, ad, adlen, pt, ptlen, nonce, out, outcap, outlen);
}

krb_err krb_open(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen, const uint8_t *ct,
                 size_t ctlen, uint8_t *pt, size_t ptcap, size_t *ptlen)
{
    struct krb_key sub;
    size_t nb = krb_suite_nonce_bytes(k->suite);
    unsigned long long mlen = 0;
    krb_err rc;
    int r;

    *ptlen = 0;
    if ((rc = krb_kdf(&sub, k, usage)) != KRB_OK) {
        goto out;
    }
    if (ctlen < nb + KRB_TAG_BYTES) {
        rc = KRB_ERR_MALFORMED;
        goto out;
    }
    if (ptcap < ctlen - nb - KRB_TAG_BYTES) {
        rc = KRB_ERR_TOO_BIG;
        goto out;
    }
    if (k->suite == KRB_SUITE_AES256GCM) {
        r = crypto_aead_aes256gcm_decrypt(pt, &mlen, NULL, ct + nb, ctlen - nb, ad, adlen, ct, sub.k);
    } else {
        r = crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL, ct + nb, ctlen - nb, ad, adlen, ct, sub.k);
    }
    if (r != 0) {
        sodium_memzero(pt, ctlen - nb - KRB_TAG_BYTES);
        rc = KRB_ERR_MODIFIED;
        goto out;
    }
    *ptlen = (size_t)mlen;
    rc = KRB_OK;
out:
    krb_key_wipe(&sub);
    return rc;
}

krb_err krb_password_key(struct krb_key *out, uint16_t suite, const char *password,
                         const uint8_t salt[KRB_SALT_BYTES], uint32_t ops, uint32_t memkib)
{
    if (!krb_suite_supported(suite)) {
        return KRB_ERR_ETYPE_NOSUPP;
    }
    if (ops < KRB_PW_OPS_MIN || ops > KRB_PW_OPS_MAX || memkib < KRB_PW_MEMKIB_MIN || memkib > KRB_PW_MEMKIB_MAX) {
        return KRB_ERR_INVALID_ARG;
    }
    out->suite = suite;
    if (crypto_pwhash(out->k, sizeof out->k, password, strlen(password), salt, ops, (size_t)memkib * 1024u,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_memzero(out, sizeof *out);
        return KRB_ERR_NOMEM;
    }
    return KRB_OK;
}

void krb_hash(uint8_t out[KRB_HASH_BYTES], const void *data, size_t n)
{
    crypto_generichash(out, KRB_HASH_BYTES, data, n, NULL, 0);
}

krb_err krb_mac(uint8_t out[KRB_HASH_BYTES], const struct krb_key *k, uint64_t usage, const void *data, size_t n)
{
    struct krb_key sub;
    krb_err rc;

    if ((rc = krb_kdf(&sub, k, usage)) != KRB_OK) {
        return rc;
    }
    crypto_generichash(out, KRB_HASH_BYTES, data, n, sub.k, sizeof sub.k);
    krb_key_wipe(&sub);
    return KRB_OK;
}

int krb_ct_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void krb_random_bytes(void *p, size_t n)
{
    randombytes_buf(p, n);
}

uint32_t krb_random_u32(void)
{
    return randombytes_random();
}

uint64_t krb_random_u64(void)
{
    uint64_t v;
    randombytes_buf(&v, sizeof v);
    return v;
}

void krb_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}
