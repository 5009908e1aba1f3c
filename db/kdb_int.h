/*
 * kdb_int.h — internals shared by the files of db/ (never included outside
 * db/). LMDB types stay here and in kdb.c.
 */
#ifndef TESSERA_KDB_INT_H
#define TESSERA_KDB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "kdb.h"

#define KDB_RECORD_VERSION 2
#define KDB_RECORD_VERSION_V1 1 /* still read, never written */
#define KDB_POLICY_VERSION 1
/* Largest encoded principal record (documented limit for the decoder). */
#define KDB_RECORD_MAX 2048u
#define KDB_POLICY_RECORD_MAX 256u
#define KDB_SEALED_KEY_MAX (KRB_KEY_BYTES + KRB_SEAL_OVERHEAD_MAX)
#define KDB_FLAGS_KNOWN 0x001fu
#define KDB_MKEY_CHECK_TEXT "tessera master key check v1"

/* Policy records (record.c). */
KRB_WUR krb_err kdb_policy_encode(const struct kdb_policy *p, uint8_t *buf, size_t cap, size_t *len);
KRB_WUR krb_err kdb_policy_decode(const uint8_t *p, size_t n, struct kdb_policy *out);
/* 1 if s is a valid policy name ([A-Za-z0-9._-], 1..KDB_POLICY_NAME_MAX). */
int kdb_policy_name_ok(const char *s);
/* Associated data of a sealed key: name || kvno (u32 BE). Returns length. */
size_t kdb_key_ad(const char *name, uint32_t kvno, uint8_t *ad, size_t cap);

/* Master key stash (mkey.c). The key is returned in sodium_malloc memory,
 * read-only; free with krb_key_secure_free. */
KRB_WUR krb_err kdb_stash_read(krb_context *c, const char *path, struct krb_key **out);
/* Create a stash with a fresh random key (fails with KRB_ERR_EXISTS if the
 * file exists). */
KRB_WUR krb_err kdb_stash_create(krb_context *c, const char *path, struct krb_key **out);
/* Check value stored in meta: MAC of a constant under the master key. */
KRB_WUR krb_err kdb_mkey_check_value(const struct krb_key *mkey, uint8_t out[KRB_HASH_BYTES]);

/* Access to the master key of an open database (kdb.c). */
const struct krb_key *kdb_master_key(const struct kdb *db);

/* Bulk load in one write transaction (kdb.c, used by dump.c). Without
 * KDB_LOAD_UPDATE begin fails with KRB_ERR_EXISTS on a non-empty database.
 * Errors in entries are KRB_ERR_MALFORMED with a detail (no file/line:
 * the caller adds them). end(commit=0) abandons everything. */
struct kdb_loader;
KRB_WUR krb_err kdb_load_begin(krb_context *c, struct kdb *db, unsigned flags, struct kdb_loader **out);
KRB_WUR krb_err kdb_load_policy(krb_context *c, struct kdb_loader *l, const struct kdb_policy *p);
KRB_WUR krb_err kdb_load_principal(krb_context *c, struct kdb_loader *l, const struct kdb_principal *p);
KRB_WUR krb_err kdb_load_pwhash(krb_context *c, struct kdb_loader *l, uint32_t ops, uint32_t memkib);
KRB_WUR krb_err kdb_load_end(krb_context *c, struct kdb_loader *l, int commit);

/* Hex helpers (dump.c). */
void kdb_hex_encode(const uint8_t *p, size_t n, char *out);
int kdb_hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen);

#endif
