/*
 * crypto.h — the crypto layer: suites, per-usage key derivation, AEAD seal
 * and open with associated data, Argon2id password keys, hashing.
 * Every primitive is libsodium's. See docs/PROTOCOL.md "Cryptography".
 */
#ifndef TESSERA_CRYPTO_H
#define TESSERA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "krb.h"

#define KRB_SUITE_XCHACHA20POLY1305 1 /* XChaCha20-Poly1305 (IETF), 24-byte nonce */
#define KRB_SUITE_AES256GCM 2         /* AES-256-GCM, 12-byte nonce; only where the CPU has AES-NI */
#define KRB_SUITE_MAX_LIST 8          /* suites a request may list */

#define KRB_KEY_BYTES 32
#define KRB_HASH_BYTES 32
#define KRB_SALT_BYTES 16
#define KRB_TAG_BYTES 16
#define KRB_NONCE_MAX 24
#define KRB_SEAL_OVERHEAD_MAX (KRB_NONCE_MAX + KRB_TAG_BYTES)
#define KRB_KDF_CONTEXT "tessera1" /* 8 bytes, crypto_kdf_CONTEXTBYTES */

/* Bounds on Argon2id parameters accepted from the wire or a database. */
#define KRB_PW_OPS_MIN 1u
#define KRB_PW_OPS_MAX 16u
#define KRB_PW_MEMKIB_MIN 8u           /* 8 KiB: libsodium's floor */
#define KRB_PW_MEMKIB_MAX (1024u * 1024u) /* 1 GiB */
#define KRB_PW_OPS_DEFAULT 2u
#define KRB_PW_MEMKIB_DEFAULT (64u * 1024u) /* 64 MiB, libsodium INTERACTIVE */

/* Key usages: every use of a key derives its own subkey. Never reuse a
 * number for another purpose; append only. */
enum krb_usage {
    KRB_USAGE_TICKET = 1,
    KRB_USAGE_AS_REP = 2,
    KRB_USAGE_TGS_REP = 3,
    KRB_USAGE_PA_TIMESTAMP = 4,
    KRB_USAGE_TGS_AUTH = 5,
    KRB_USAGE_AP_AUTH = 6,
    KRB_USAGE_AP_REP = 7,
    KRB_USAGE_WRAP_INITIATOR = 8,
    KRB_USAGE_WRAP_ACCEPTOR = 9,
    KRB_USAGE_MIC_INITIATOR = 10,
    KRB_USAGE_MIC_ACCEPTOR = 11,
    KRB_USAGE_DB_KEY = 12,
    KRB_USAGE_CONTEXT_FS = 13,
    KRB_USAGE_DB_CHECK = 14,
    KRB_USAGE_CHPW = 15,     /* CHPW_REQ: the new password, under the authenticator subkey */
    KRB_USAGE_CHPW_REP = 16, /* CHPW_REP: result code and text, under the same subkey */
};

/* A symmetric key tagged with its suite. Per-request keys live on the stack
 * and are wiped with krb_key_wipe; long-lived ones via krb_key_secure_new. */
struct krb_key {
    uint16_t suite;
    uint8_t k[KRB_KEY_BYTES];
};

/* Initialise libsodium (idempotent). KRB_ERR_CRYPTO if it cannot start. */
KRB_WUR krb_err krb_crypto_init(void);

/* 1 if this build and CPU can use suite, else 0. */
int krb_suite_supported(uint16_t suite);
/* Nonce length of a suite (0 if unknown). */
size_t krb_suite_nonce_bytes(uint16_t suite);
/* Bytes a seal adds to the plaintext (nonce + tag); 0 if unknown suite. */
size_t krb_seal_overhead(uint16_t suite);
/* Locally preferred suite order (strongest first); returns the count. */
size_t krb_suite_defaults(uint16_t out[KRB_SUITE_MAX_LIST]);
/*
 * Negotiation: the first suite in the client's list that is also in the
 * have list. Returns 0 when there is none.
 */
uint16_t krb_suite_pick(const uint16_t *client, size_t nclient, const uint16_t *have, size_t nhave);

/* Fill a key with fresh random bytes. KRB_ERR_ETYPE_NOSUPP on unknown suite. */
KRB_WUR krb_err krb_key_random(struct krb_key *k, uint16_t suite);
void krb_key_wipe(struct krb_key *k);
/* A key in sodium_malloc memory (guard pages); NULL on failure. */
struct krb_key *krb_key_secure_new(void);
void krb_key_secure_free(struct krb_key *k);

/* out = KDF(base, usage) via crypto_kdf_derive_from_key, context "tessera1". */
KRB_WUR krb_err krb_kdf(struct krb_key *out, const struct krb_key *base, uint64_t usage);

/*
 * Seal pt under KDF(k, usage) with associated data ad. out receives
 * nonce || ciphertext || tag: ptlen + krb_seal_overhead(k->suite) bytes, and
 * must not overlap pt. Errors: KRB_ERR_ETYPE_NOSUPP, KRB_ERR_TOO_BIG.
 */
KRB_WUR krb_err krb_seal(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen,
                         const uint8_t *pt, size_t ptlen, uint8_t *out, size_t outcap, size_t *outlen);
/* As krb_seal with a caller-chosen nonce: known-answer tests, and callers
 * that draw several nonces from the CSPRNG at once. Never reuse one. */
KRB_WUR krb_err krb_seal_with_nonce(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen,
                                    const uint8_t *pt, size_t ptlen, const uint8_t *nonce, uint8_t *out,
                                    size_t outcap, size_t *outlen);
/*
 * Open a sealed blob. pt must hold ctlen - overhead bytes. On any failure pt
 * is zeroed and KRB_ERR_MODIFIED (wrong key, tampering, wrong ad) or
 * KRB_ERR_MALFORMED (shorter than the overhead) is returned.
 */
KRB_WUR krb_err krb_open(const struct krb_key *k, uint64_t usage, const uint8_t *ad, size_t adlen,
                         const uint8_t *ct, size_t ctlen, uint8_t *pt, size_t ptcap, size_t *ptlen);

/*
 * Argon2id password key. Parameters outside the KRB_PW_* bounds are
 * KRB_ERR_INVALID_ARG (a hostile KDC cannot make a client burn a GiB).
 */
KRB_WUR krb_err krb_password_key(struct krb_key *out, uint16_t suite, const char *password,
                                 const uint8_t salt[KRB_SALT_BYTES], uint32_t ops, uint32_t memkib);

/* BLAKE2b-256 of data. */
void krb_hash(uint8_t out[KRB_HASH_BYTES], const void *data, size_t n);
/* Keyed BLAKE2b-256 under KDF(k, usage): a MAC. */
KRB_WUR krb_err krb_mac(uint8_t out[KRB_HASH_BYTES], const struct krb_key *k, uint64_t usage, const void *data,
                        size_t n);
/* Constant-time equality; 1 if equal. */
int krb_ct_equal(const void *a, const void *b, size_t n);
void krb_random_bytes(void *p, size_t n);
uint32_t krb_random_u32(void);
uint64_t krb_random_u64(void);
void krb_wipe(void *p, size_t n);

#endif
