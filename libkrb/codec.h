/*
 * codec.h — every Tessera message, encoded and decoded in one canonical form.
 * The byte-level description is docs/PROTOCOL.md; this header is its C face.
 *
 * Rules shared by all messages:
 *  - header: magic 0x54 0x4B ("TK"), version 1, type (enum krb_msg_type);
 *  - integers big-endian; times are u64 microseconds (≤ INT64_MAX);
 *  - names are vec8 holding the canonical text (name.h), always checked;
 *  - booleans are one byte 0/1; optional fields follow a boolean;
 *  - a sealed field is vec16(krb_seal output) whose associated data is
 *    every byte of the enclosing message before the field's length prefix,
 *    so a ciphertext cannot be moved into another envelope;
 *  - decoders reject bad magic, unknown version, trailing bytes, lengths
 *    that overrun and fields over their documented maximum.
 *
 * Decoding is two-step for sealed messages: *_decode parses the clear part
 * and keeps pointers into the input (the input must outlive the struct),
 * *_open decrypts the sealed part with a key.
 */
#ifndef TESSERA_CODEC_H
#define TESSERA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "krb.h"

#define KRB_MAGIC0 0x54
#define KRB_MAGIC1 0x4B
#define KRB_PROTO_VERSION 1
#define KRB_HEADER_BYTES 4

#define KRB_MSG_MAX 65535u    /* largest KDC message (TCP frame payload) */
#define KRB_UDP_MAX 1400u     /* larger KDC replies go over TCP */
#define KRB_TICKET_MAX 4096u  /* an encoded ticket */
#define KRB_AUTHZ_MAX 1024u   /* authorization data in a ticket */
#define KRB_ERROR_TEXT_MAX 512u
#define KRB_ERROR_DATA_MAX 512u

enum krb_msg_type {
    KRB_MSG_AS_REQ = 1,
    KRB_MSG_AS_REP = 2,
    KRB_MSG_TGS_REQ = 3,
    KRB_MSG_TGS_REP = 4,
    KRB_MSG_ERROR = 5,
    KRB_MSG_AP_REQ = 6,
    KRB_MSG_AP_REP = 7,
    KRB_MSG_WRAP = 8,
    KRB_MSG_MIC = 9,
    KRB_MSG_TICKET = 10,
    KRB_MSG_CCACHE = 11, /* credential cache file */
    KRB_MSG_KEYTAB = 12, /* keytab file */
};

/* KDC request options */
#define KRB_KDC_OPT_RENEWABLE 0x0001u /* ask for a renewable ticket */
#define KRB_KDC_OPT_RENEW 0x0002u     /* TGS: renew the presented TGT */
#define KRB_KDC_OPT_KNOWN 0x0003u

/* AP options */
#define KRB_AP_OPT_MUTUAL_REQUIRED 0x0001u
#define KRB_AP_OPT_KNOWN 0x0001u

/* Write / check the 4-byte header. krb_rd_header fails the reader with
 * KRB_ERR_UNSUPPORTED on another version, KRB_ERR_MALFORMED otherwise. */
void krb_wr_header(struct krb_wr *w, uint8_t type);
void krb_rd_header(struct krb_rd *r, uint8_t type);
/* Type of a message after checking magic and version. */
KRB_WUR krb_err krb_msg_peek_type(const uint8_t *p, size_t n, uint8_t *type);

/* Field helpers shared by every decoder. */
void krb_rd_name(struct krb_rd *r, char out[KRB_NAME_MAX + 1]);
void krb_wr_name(struct krb_wr *w, const char *name);
krb_time krb_rd_time(struct krb_rd *r);
void krb_rd_key(struct krb_rd *r, struct krb_key *k); /* suite u16 + 32 bytes; suite must be supported */
void krb_wr_key(struct krb_wr *w, const struct krb_key *k);
/* Seal pt as a vec16 field at the writer's position: the AD is everything
 * written so far (w->buf[0 .. w->len)). */
void krb_wr_sealed(struct krb_wr *w, const struct krb_key *k, uint64_t usage, const uint8_t *pt, size_t ptlen);
/* As krb_wr_sealed with the nonce taken from nonce (krb_suite_nonce_bytes
 * of k's suite, fresh from the CSPRNG: the KDC draws every nonce and key of
 * a reply at once), or drawn here when nonce is NULL. */
void krb_wr_sealed_nonce(struct krb_wr *w, const struct krb_key *k, uint64_t usage, const uint8_t *pt, size_t ptlen,
                         const uint8_t *nonce);
/* Read a vec16 sealed field; *ad_len receives the offset of its prefix. */
const uint8_t *krb_rd_sealed(struct krb_rd *r, const uint8_t *msg_start, size_t *ct_len, size_t *ad_len);

/* ---------------- Tickets ---------------- */

/* The sealed part of a ticket. */
struct krb_ticket_part {
    uint32_t flags; /* KRB_TKT_FLAG_* */
    struct krb_key session;
    char client[KRB_NAME_MAX + 1];
    krb_time authtime, starttime, endtime, renew_till;
    uint16_t authz_len;
    uint8_t authz[KRB_AUTHZ_MAX];
};

struct krb_ticket {
    char server[KRB_NAME_MAX + 1];
    uint32_t kvno;  /* version of the server key */
    uint16_t suite; /* suite of the server key */
    const uint8_t *ct;
    size_t ct_len, ad_len;
    const uint8_t *msg;
};

/* Seal part under the server key (kvno given) and write the whole ticket. */
void krb_ticket_encode(struct krb_wr *w, const char *server, uint32_t kvno, const struct krb_key *server_key,
                       const struct krb_ticket_part *part);
/* The same with a caller-drawn nonce (see krb_wr_sealed_nonce). */
void krb_ticket_encode_nonce(struct krb_wr *w, const char *server, uint32_t kvno, const struct krb_key *server_key,
                             const struct krb_ticket_part *part, const uint8_t *nonce);
KRB_WUR krb_err krb_ticket_decode(const uint8_t *p, size_t n, struct krb_ticket *t);
/* Errors: KRB_ERR_MODIFIED (wrong key or tampered), KRB_ERR_MALFORMED... */
KRB_WUR krb_err krb_ticket_open(const struct krb_ticket *t, const struct krb_key *server_key,
                                struct krb_ticket_part *out);

/* ---------------- AS-REQ / TGS-REQ ---------------- */

struct krb_kdc_req_body {
    char client[KRB_NAME_MAX + 1]; /* AS-REQ only; empty in a TGS-REQ */
    char server[KRB_NAME_MAX + 1];
    uint32_t nonce;
    uint32_t options; /* KRB_KDC_OPT_* */
    krb_time till;    /* requested end time (0: KDC default) */
    krb_time rtime;   /* requested renew-till (0: none) */
    uint8_t nsuites;  /* 1..KRB_SUITE_MAX_LIST */
    uint16_t suites[KRB_SUITE_MAX_LIST];
};

struct krb_as_req {
    struct krb_kdc_req_body body;
    int has_pa;        /* encrypted-timestamp pre-authentication present */
    uint16_t pa_suite; /* suite and kvno of the client key used */
    uint32_t pa_kvno;
    const uint8_t *pa_ct;
    size_t pa_ct_len, pa_ad_len;
    const uint8_t *msg;
    size_t msg_len;
};

/* Encode an AS-REQ; with client_key non-NULL add the encrypted timestamp
 * (now) sealed under it (usage PA_TIMESTAMP), bound to the request. */
void krb_as_req_encode(struct krb_wr *w, const struct krb_kdc_req_body *body, const struct krb_key *client_key,
                       uint32_t client_kvno, krb_time now);
KRB_WUR krb_err krb_as_req_decode(const uint8_t *p, size_t n, struct krb_as_req *out);
/* Decrypt the timestamp. KRB_ERR_MODIFIED on the wrong key (wrong password). */
KRB_WUR krb_err krb_as_req_open_pa(const struct krb_as_req *req, const struct krb_key *client_key, krb_time *ts);

/* The authenticator (sealed inside an AP-REQ). */
struct krb_authenticator {
    char client[KRB_NAME_MAX + 1];
    krb_time ctime; /* client time, microseconds */
    int has_subkey;
    struct krb_key subkey;
    uint64_t seq;       /* initial sequence number */
    int has_cksum;      /* TGS: hash of the request body; AP: channel-binding hash */
    uint8_t cksum[KRB_HASH_BYTES];
    int has_dh;         /* X25519 public key for forward secrecy */
    uint8_t dh[32];
    uint32_t ctx_flags; /* security-context request flags */
};

struct krb_ap_req {
    uint32_t options; /* KRB_AP_OPT_* */
    struct krb_ticket ticket;
    const uint8_t *ticket_bytes;
    size_t ticket_len;
    const uint8_t *ct;
    size_t ct_len, ad_len;
    const uint8_t *msg;
};

/* Write an AP-REQ: ticket bytes as given, authenticator sealed under the
 * session key with usage (KRB_USAGE_AP_AUTH or KRB_USAGE_TGS_AUTH). */
void krb_ap_req_encode(struct krb_wr *w, uint32_t options, const uint8_t *ticket, size_t ticket_len,
                       const struct krb_key *session, uint64_t usage, const struct krb_authenticator *a);
KRB_WUR krb_err krb_ap_req_decode(const uint8_t *p, size_t n, struct krb_ap_req *out);
KRB_WUR krb_err krb_ap_req_open(const struct krb_ap_req *req, const struct krb_key *session, uint64_t usage,
                                struct krb_authenticator *out);

struct krb_tgs_req {
    struct krb_kdc_req_body body;
    const uint8_t *body_bytes; /* the vec16 body content: hashed into the authenticator */
    size_t body_len;
    struct krb_ap_req ap;
    const uint8_t *msg;
    size_t msg_len;
};

/* Encode a TGS-REQ: the authenticator's cksum is set to the hash of the
 * encoded body (a->has_cksum/cksum are overwritten). */
void krb_tgs_req_encode(struct krb_wr *w, const struct krb_kdc_req_body *body, const uint8_t *tgt,
                        size_t tgt_len, const struct krb_key *tgt_session, struct krb_authenticator *a);
KRB_WUR krb_err krb_tgs_req_decode(const uint8_t *p, size_t n, struct krb_tgs_req *out);

/* Pre-authentication hint carried in a PREAUTH_REQUIRED error's edata. */
struct krb_pa_hint {
    uint16_t suite;
    uint32_t kvno;
    uint8_t salt[KRB_SALT_BYTES];
    uint32_t ops, memkib;
};

/* ---------------- AS-REP / TGS-REP ---------------- */

struct krb_kdc_rep_part {
    struct krb_key session;
    uint32_t nonce;
    uint32_t flags;
    krb_time authtime, starttime, endtime, renew_till;
    char server[KRB_NAME_MAX + 1];
    uint8_t req_hash[KRB_HASH_BYTES]; /* BLAKE2b-256 of the whole request message */
    krb_time key_expiration;          /* password expiry (0: none) */
};

struct krb_kdc_rep {
    uint8_t type; /* KRB_MSG_AS_REP or KRB_MSG_TGS_REP */
    char client[KRB_NAME_MAX + 1];
    const uint8_t *ticket;
    size_t ticket_len;
    struct krb_pa_hint hint; /* AS-REP: suite, kvno, salt, cost of the client key; TGS-REP: suite only */
    const uint8_t *ct;
    size_t ct_len, ad_len;
    const uint8_t *msg;
};

/* Seal part under reply_key (usage AS_REP or TGS_REP by type). hint is
 * required for AS-REP (it tells the client how its key was derived) and
 * ignored for TGS-REP. */
void krb_kdc_rep_encode(struct krb_wr *w, uint8_t type, const char *client, const uint8_t *ticket,
                        size_t ticket_len, const struct krb_pa_hint *hint, const struct krb_key *reply_key,
                        const struct krb_kdc_rep_part *part);
/* The same with a caller-drawn nonce (see krb_wr_sealed_nonce). */
void krb_kdc_rep_encode_nonce(struct krb_wr *w, uint8_t type, const char *client, const uint8_t *ticket,
                              size_t ticket_len, const struct krb_pa_hint *hint, const struct krb_key *reply_key,
                              const struct krb_kdc_rep_part *part, const uint8_t *nonce);
KRB_WUR krb_err krb_kdc_rep_decode(const uint8_t *p, size_t n, uint8_t type, struct krb_kdc_rep *out);
KRB_WUR krb_err krb_kdc_rep_open(const struct krb_kdc_rep *rep, const struct krb_key *reply_key,
                                 struct krb_kdc_rep_part *out);

/* ---------------- AP-REP ---------------- */

struct krb_ap_rep_part {
    krb_time ctime; /* the authenticator's time, echoed */
    int has_subkey;
    struct krb_key subkey;
    uint64_t seq;
    int has_dh;
    uint8_t dh[32];
};

void krb_ap_rep_encode(struct krb_wr *w, const struct krb_key *session, const struct krb_ap_rep_part *part);
KRB_WUR krb_err krb_ap_rep_decode_open(const uint8_t *p, size_t n, const struct krb_key *session,
                                       struct krb_ap_rep_part *out);

/* ---------------- ERROR ---------------- */

struct krb_error_msg {
    uint32_t code; /* krb_err value */
    krb_time stime;
    char realm[KRB_NAME_MAX + 1];
    char text[KRB_ERROR_TEXT_MAX + 1];
    uint16_t edata_len;
    uint8_t edata[KRB_ERROR_DATA_MAX];
};

void krb_error_encode(struct krb_wr *w, const struct krb_error_msg *e);
KRB_WUR krb_err krb_error_decode(const uint8_t *p, size_t n, struct krb_error_msg *out);

void krb_pa_hint_encode(struct krb_wr *w, const struct krb_pa_hint *h);
KRB_WUR krb_err krb_pa_hint_decode(const uint8_t *p, size_t n, struct krb_pa_hint *out);

/* ---------------- CHPW_REQ / CHPW_REP (password change) ---------------- */

#define KRB_MSG_CHPW_REQ 13
#define KRB_MSG_CHPW_REP 14
#define KRB_CHPW_PASSWORD_MAX ((size_t)KRB_PASSWORD_MAX) /* bytes of the new password (krb.h) */
#define KRB_CHPW_TEXT_MAX 512u     /* result text in a CHPW_REP */

/* CHPW_REQ: header, vec16 AP-REQ (ticket for kadmin/changepw, authenticator
 * with a subkey), sealed field (the new password) under the subkey with
 * usage KRB_USAGE_CHPW. *_decode keeps pointers into the input. */
struct krb_chpw_req {
    const uint8_t *ap_req;
    size_t ap_req_len;
    const uint8_t *ct;
    size_t ct_len, ad_len;
    const uint8_t *msg;
};

void krb_chpw_req_encode(struct krb_wr *w, const uint8_t *ap_req, size_t ap_req_len, const struct krb_key *subkey,
                         const char *password, size_t pwlen);
/* Errors: KRB_ERR_MALFORMED, KRB_ERR_TOO_BIG, KRB_ERR_TRAILING, KRB_ERR_UNSUPPORTED. */
KRB_WUR krb_err krb_chpw_req_decode(const uint8_t *p, size_t n, struct krb_chpw_req *out);
/* Open the new password into pw (NUL-terminated, cap >= KRB_CHPW_PASSWORD_MAX + 1;
 * wiped on failure). KRB_ERR_MODIFIED on the wrong key; KRB_ERR_MALFORMED for
 * an empty password, one over KRB_CHPW_PASSWORD_MAX or one holding a NUL. */
KRB_WUR krb_err krb_chpw_req_open(const struct krb_chpw_req *req, const struct krb_key *subkey, char *pw,
                                  size_t cap, size_t *pwlen);

/* CHPW_REP: header, sealed field (u32 result code, vec16 text) under the
 * subkey with usage KRB_USAGE_CHPW_REP. */
struct krb_chpw_rep {
    uint32_t code; /* krb_err: KRB_OK when the password was changed */
    char text[KRB_CHPW_TEXT_MAX + 1];
};

void krb_chpw_rep_encode(struct krb_wr *w, const struct krb_key *subkey, const struct krb_chpw_rep *rep);
KRB_WUR krb_err krb_chpw_rep_decode_open(const uint8_t *p, size_t n, const struct krb_key *subkey,
                                         struct krb_chpw_rep *out);

#endif
