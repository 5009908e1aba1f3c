#!/usr/bin/env python3
"""Known-answer vectors for tests/unit/check_crypto.c, computed by a route
independent of libsodium: hashlib's BLAKE2b, the `cryptography` package's
ChaCha20-Poly1305 / AES-GCM / Argon2id, and an HChaCha20 written here.

    python3 tests/vectors/gen_vectors.py > tests/vectors/crypto.txt

XChaCha20-Poly1305 (IETF) = ChaCha20-Poly1305 (IETF, 12-byte nonce) under
the subkey HChaCha20(key, nonce[0:16]) with nonce 0^4 || nonce[16:24].
crypto_kdf_derive_from_key(len, id, ctx, key) = BLAKE2b(key=key, salt=LE64(id)
|| 0^8, person=ctx || 0^8, digest_size=len, message empty).
"""
import hashlib
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

CONTEXT = b"tessera1"
MASK = 0xFFFFFFFF


def kdf(key, usage):
    salt = struct.pack("<Q", usage) + bytes(8)
    person = CONTEXT + bytes(8)
    return hashlib.blake2b(b"", digest_size=32, key=key, salt=salt, person=person).digest()


def rotl(v, n):
    return ((v << n) & MASK) | (v >> (32 - n))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & MASK
    s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK
    s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK
    s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK
    s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, n16):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + list(
        struct.unpack("<4I", n16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12)
        quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14)
        quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15)
        quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13)
        quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce, pt, ad):
    sub = hchacha20(key, nonce[:16])
    return ChaCha20Poly1305(sub).encrypt(bytes(4) + nonce[16:], pt, ad)


KEY = bytes(range(32))
NONCE1 = bytes(range(0x40, 0x40 + 24))
NONCE2 = bytes(range(0x60, 0x60 + 12))
AD = b"tessera-ad"
PT = b"hello, tessera"
PW = b"correct horse"
SALT = b"0123456789abcdef"


def main():
    # Self-check of HChaCha20 against draft-irtf-cfrg-xchacha-03 section 2.2.1.
    k = bytes(range(32))
    n = bytes.fromhex("000000090000004a0000000031415927")
    assert hchacha20(k, n).hex() == "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"

    print("kdf_usage1", kdf(KEY, 1).hex())
    print("kdf_usage7", kdf(KEY, 7).hex())
    print("kdf_usage_max", kdf(KEY, 2**64 - 1).hex())
    print("seal1", (NONCE1 + xchacha_seal(kdf(KEY, 1), NONCE1, PT, AD)).hex())
    print("seal2", (NONCE2 + AESGCM(kdf(KEY, 1)).encrypt(NONCE2, PT, AD)).hex())
    print("seal1_empty", (NONCE1 + xchacha_seal(kdf(KEY, 6), NONCE1, b"", b"")).hex())
    print("hash_abc", hashlib.blake2b(b"abc", digest_size=32).hexdigest())
    print("hash_empty", hashlib.blake2b(b"", digest_size=32).hexdigest())
    print("mac_abc_usage10", hashlib.blake2b(b"abc", digest_size=32, key=kdf(KEY, 10)).hexdigest())
    a = Argon2id(salt=SALT, length=32, iterations=1, lanes=1, memory_cost=8192)
    print("pwkey_argon2id_1_8192", a.derive(PW).hex())


if __name__ == "__main__":
    main()
