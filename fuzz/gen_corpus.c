/*
 * gen_corpus.c — writes the seed corpora in fuzz/corpus/<target>/ from real
 * encodings, sealed under the fixed keys the fuzz targets use:
 *   server / krbtgt key 0x11 x 32, session key 0x22 x 32, client key 0x33 x 32
 * (all suite 1). Seeds whose first byte is not 'T' are plaintexts of a
 * sealed part: the target seals them itself (see each fuzz_codec_*.c).
 *
 *   make fuzz-corpus        (rebuilds and rewrites the seeds)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"

static const char *root = "fuzz/corpus";
static struct krb_key server_key, session_key, client_key, sub_key;

static void put(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_wr(const char *target, const char *name, const struct krb_wr *w)
{
    if (w->err != KRB_OK) {
        fprintf(stderr, "gen_corpus: %s/%s: %s\n", target, name, krb_err_name(w->err));
        exit(1);
    }
    put(target, name, w->buf, w->len);
}

/* A plaintext-mode seed: selector byte, then the part. */
static void put_pt(const char *target, const char *name, uint8_t sel, const struct krb_wr *pw)
{
    uint8_t buf[4096];

    if (pw->err != KRB_OK || pw->len + 1 > sizeof buf) {
        fprintf(stderr, "gen_corpus: %s/%s: bad part\n", target, name);
        exit(1);
    }
    buf[0] = sel;
    memcpy(buf + 1, pw->buf, pw->len);
    put(target, name, buf, pw->len + 1);
}

static void fill(struct krb_key *k, uint8_t b)
{
    k->suite = KRB_SUITE_XCHACHA20POLY1305;
    memset(k->k, b, sizeof k->k);
}

static void ticket_part(struct krb_ticket_part *p, size_t authz)
{
    memset(p, 0, sizeof *p);
    p->flags = KRB_TKT_FLAG_INITIAL | KRB_TKT_FLAG_RENEWABLE;
    p->session = session_key;
    strcpy(p->client, "alice@EXAMPLE.ORG");
    p->authtime = 1700000000000000;
    p->starttime = 1700000000000000;
    p->endtime = 1700036000000000;
    p->renew_till = 1700600000000000;
    p->authz_len = (uint16_t)authz;
    memset(p->authz, 'z', authz);
}

static size_t make_ticket(uint8_t *buf, size_t cap, const char *server, size_t authz)
{
    struct krb_ticket_part p;
    struct krb_wr w;

    ticket_part(&p, authz);
    krb_wr_init(&w, buf, cap);
    krb_ticket_encode(&w, server, 1, &server_key, &p);
    if (w.err != KRB_OK) {
        exit(1);
    }
    return w.len;
}

static void body(struct krb_kdc_req_body *b, int tgs, int nsuites)
{
    memset(b, 0, sizeof *b);
    if (!tgs) {
        strcpy(b->client, "alice@EXAMPLE.ORG");
    }
    strcpy(b->server, tgs ? "host/web1.example.org@EXAMPLE.ORG" : "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG");
    b->nonce = 12345;
    b->options = nsuites > 1 ? KRB_KDC_OPT_RENEWABLE : 0;
    b->till = 1700036000000000;
    b->nsuites = (uint8_t)nsuites;
    for (int i = 0; i < nsuites; i++) {
        b->suites[i] = (uint16_t)(nsuites - i);
    }
}

static void auth(struct krb_authenticator *a, int full)
{
    memset(a, 0, sizeof *a);
    strcpy(a->client, "alice@EXAMPLE.ORG");
    a->ctime = 1700000001000000;
    a->seq = 42;
    a->ctx_flags = 0x3f;
    if (full) {
        a->has_subkey = 1;
        a->subkey = sub_key;
        a->has_cksum = 1;
        memset(a->cksum, 0xcc, sizeof a->cksum);
        a->has_dh = 1;
        memset(a->dh, 0xdd, sizeof a->dh);
    }
}

static void wr_auth_pt(struct krb_wr *pw, const struct krb_authenticator *a)
{
    krb_wr_name(pw, a->client);
    krb_wr_u64(pw, (uint64_t)a->ctime);
    krb_wr_u8(pw, a->has_subkey != 0);
    if (a->has_subkey) {
        krb_wr_key(pw, &a->subkey);
    }
    krb_wr_u64(pw, a->seq);
    krb_wr_u8(pw, a->has_cksum != 0);
    if (a->has_cksum) {
        krb_wr_bytes(pw, a->cksum, KRB_HASH_BYTES);
    }
    krb_wr_u8(pw, a->has_dh != 0);
    if (a->has_dh) {
        krb_wr_bytes(pw, a->dh, sizeof a->dh);
    }
    krb_wr_u32(pw, a->ctx_flags);
}

int main(int argc, char **argv)
{
    uint8_t buf[8192], pt[4096], tkt[KRB_TICKET_MAX], tgt[KRB_TICKET_MAX];
    size_t tlen, tgtlen;
    struct krb_wr w, pw;
    struct krb_kdc_req_body b;
    struct krb_authenticator a;
    struct krb_kdc_rep_part rp;
    struct krb_pa_hint hint = { KRB_SUITE_XCHACHA20POLY1305, 3, "0123456789abcdef", 2, 65536 };
    struct krb_ap_rep_part app;
    struct krb_error_msg e;
    struct krb_ticket_part tp;

    if (argc > 1) {
        root = argv[1];
    }
    if (krb_crypto_init() != KRB_OK) {
        return 1;
    }
    fill(&server_key, 0x11);
    fill(&session_key, 0x22);
    fill(&client_key, 0x33);
    fill(&sub_key, 0x44);

    /* Tickets: whole messages and part plaintexts. */
    tlen = make_ticket(tkt, sizeof tkt, "host/web1.example.org@EXAMPLE.ORG", 0);
    put("fuzz_codec_ticket", "ticket", tkt, tlen);
    tlen = make_ticket(buf, sizeof buf, "a\\/b/c\\@d@R", 40);
    put("fuzz_codec_ticket", "ticket_authz", buf, tlen);
    ticket_part(&tp, 8);
    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u32(&pw, tp.flags);
    krb_wr_key(&pw, &tp.session);
    krb_wr_name(&pw, tp.client);
    krb_wr_u64(&pw, (uint64_t)tp.authtime);
    krb_wr_u64(&pw, (uint64_t)tp.starttime);
    krb_wr_u64(&pw, (uint64_t)tp.endtime);
    krb_wr_u64(&pw, (uint64_t)tp.renew_till);
    krb_wr_vec16(&pw, tp.authz, tp.authz_len);
    put_pt("fuzz_codec_ticket", "part", 0, &pw);

    /* AS-REQ without and with pre-authentication. */
    body(&b, 0, 1);
    krb_wr_init(&w, buf, sizeof buf);
    krb_as_req_encode(&w, &b, NULL, 0, 0);
    put_wr("fuzz_codec_as_req", "as_req", &w);
    body(&b, 0, 3);
    krb_wr_init(&w, buf, sizeof buf);
    krb_as_req_encode(&w, &b, &client_key, 3, 1700000002000000);
    put_wr("fuzz_codec_as_req", "as_req_pa", &w);

    /* TGS-REQ with a TGT under the krbtgt key. */
    tgtlen = make_ticket(tgt, sizeof tgt, "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG", 0);
    body(&b, 1, 2);
    auth(&a, 0);
    krb_wr_init(&w, buf, sizeof buf);
    krb_tgs_req_encode(&w, &b, tgt, tgtlen, &session_key, &a);
    put_wr("fuzz_codec_tgs_req", "tgs_req", &w);
    auth(&a, 1);
    b.options = KRB_KDC_OPT_RENEW | KRB_KDC_OPT_RENEWABLE;
    krb_wr_init(&w, buf, sizeof buf);
    krb_tgs_req_encode(&w, &b, tgt, tgtlen, &session_key, &a);
    put_wr("fuzz_codec_tgs_req", "tgs_req_subkey", &w);

    /* AS-REP (client key) and TGS-REP (session key), and their parts. */
    memset(&rp, 0, sizeof rp);
    rp.session = sub_key;
    rp.nonce = 12345;
    rp.authtime = rp.starttime = 1700000000000000;
    rp.endtime = 1700036000000000;
    strcpy(rp.server, "krbtgt/EXAMPLE.ORG@EXAMPLE.ORG");
    memset(rp.req_hash, 0x5a, sizeof rp.req_hash);
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_AS_REP, "alice@EXAMPLE.ORG", tgt, tgtlen, &hint, &client_key, &rp);
    put_wr("fuzz_codec_kdc_rep", "as_rep", &w);
    strcpy(rp.server, "host/web1.example.org@EXAMPLE.ORG");
    krb_wr_init(&w, buf, sizeof buf);
    krb_kdc_rep_encode(&w, KRB_MSG_TGS_REP, "alice@EXAMPLE.ORG", tkt, tlen, NULL, &session_key, &rp);
    put_wr("fuzz_codec_kdc_rep", "tgs_rep", &w);
    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_key(&pw, &rp.session);
    krb_wr_u32(&pw, rp.nonce);
    krb_wr_u32(&pw, rp.flags);
    krb_wr_u64(&pw, (uint64_t)rp.authtime);
    krb_wr_u64(&pw, (uint64_t)rp.starttime);
    krb_wr_u64(&pw, (uint64_t)rp.endtime);
    krb_wr_u64(&pw, (uint64_t)rp.renew_till);
    krb_wr_name(&pw, rp.server);
    krb_wr_bytes(&pw, rp.req_hash, KRB_HASH_BYTES);
    krb_wr_u64(&pw, (uint64_t)rp.key_expiration);
    put_pt("fuzz_codec_kdc_rep", "part_as", 1, &pw);
    put_pt("fuzz_codec_kdc_rep", "part_tgs", 0, &pw);

    /* AP-REQ, and authenticator plaintexts. */
    tlen = make_ticket(tkt, sizeof tkt, "host/web1.example.org@EXAMPLE.ORG", 0);
    auth(&a, 1);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_req_encode(&w, KRB_AP_OPT_MUTUAL_REQUIRED, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    put_wr("fuzz_codec_ap_req", "ap_req_full", &w);
    auth(&a, 0);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_req_encode(&w, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
    put_wr("fuzz_codec_ap_req", "ap_req_min", &w);
    krb_wr_init(&pw, pt, sizeof pt);
    wr_auth_pt(&pw, &a);
    put_pt("fuzz_codec_ap_req", "auth_min", 0, &pw);
    auth(&a, 1);
    krb_wr_init(&pw, pt, sizeof pt);
    wr_auth_pt(&pw, &a);
    put_pt("fuzz_codec_ap_req", "auth_full", 0, &pw);

    /* AP-REP and its part. */
    memset(&app, 0, sizeof app);
    app.ctime = 1700000001000000;
    app.seq = 7;
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_rep_encode(&w, &session_key, &app);
    put_wr("fuzz_codec_ap_rep", "ap_rep_min", &w);
    app.has_subkey = 1;
    app.subkey = sub_key;
    app.has_dh = 1;
    memset(app.dh, 0xee, sizeof app.dh);
    krb_wr_init(&w, buf, sizeof buf);
    krb_ap_rep_encode(&w, &session_key, &app);
    put_wr("fuzz_codec_ap_rep", "ap_rep_full", &w);
    krb_wr_init(&pw, pt, sizeof pt);
    krb_wr_u64(&pw, (uint64_t)app.ctime);
    krb_wr_u8(&pw, 1);
    krb_wr_key(&pw, &app.subkey);
    krb_wr_u64(&pw, app.seq);
    krb_wr_u8(&pw, 1);
    krb_wr_bytes(&pw, app.dh, sizeof app.dh);
    put_pt("fuzz_codec_ap_rep", "part", 0, &pw);

    /* ERROR with a pre-auth hint, and a bare one; the hint alone. */
    memset(&e, 0, sizeof e);
    e.code = KRB_ERR_PREAUTH_REQUIRED;
    e.stime = 1700000000000000;
    strcpy(e.realm, "EXAMPLE.ORG");
    strcpy(e.text, "pre-authentication required");
    krb_wr_init(&pw, e.edata, sizeof e.edata);
    krb_pa_hint_encode(&pw, &hint);
    e.edata_len = (uint16_t)pw.len;
    put_wr("fuzz_codec_pa_hint", "hint", &pw);
    krb_wr_init(&w, buf, sizeof buf);
    krb_error_encode(&w, &e);
    put_wr("fuzz_codec_error", "preauth_required", &w);
    memset(&e, 0, sizeof e);
    e.code = KRB_ERR_RESPONSE_TOO_BIG;
    krb_wr_init(&w, buf, sizeof buf);
    krb_error_encode(&w, &e);
    put_wr("fuzz_codec_error", "too_big", &w);

    /* fuzz_ap_verify: a whole AP-REQ that verifies at the target's clock
     * (mode 0, with and without the service check), then patch-list
     * seeds (modes 1, 2 and 5, 6 with the service check). */
    {
        static const uint8_t p0[] = { 1 };                                     /* valid, unpatched */
        static const uint8_t p1[] = { 2 };                                     /* twice: REPEAT */
        static const uint8_t p2[] = { 5, 0x00, 0x03, 0x01 };                   /* header type byte */
        static const uint8_t p3[] = { 6, 0x00, 0x09, 0x01, 0x00, 0x40, 0x80 }; /* options, ticket */
        static const uint8_t p4[] = { 1, 0x01, 0x00, 0xff };                   /* authenticator */
        const krb_time t0 = (krb_time)1800000000 * 1000000;
        uint8_t apreq[8192];

        ticket_part(&tp, 0);
        tp.authtime = tp.starttime = t0 - 1000000;
        tp.endtime = t0 + (krb_time)3600 * 1000000;
        tp.renew_till = 0;
        krb_wr_init(&w, tkt, sizeof tkt);
        krb_ticket_encode(&w, "host/fuzz.example.org@EXAMPLE.ORG", 1, &server_key, &tp);
        if (w.err != KRB_OK) {
            return 1;
        }
        tlen = w.len;
        auth(&a, 0);
        a.ctime = t0;
        krb_wr_init(&w, apreq + 1, sizeof apreq - 1);
        krb_ap_req_encode(&w, KRB_AP_OPT_MUTUAL_REQUIRED, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
        if (w.err != KRB_OK) {
            return 1;
        }
        apreq[0] = 0;
        put("fuzz_ap_verify", "ap_req", apreq, w.len + 1);
        apreq[0] = 4;
        put("fuzz_ap_verify", "ap_req_service", apreq, w.len + 1);
        put("fuzz_ap_verify", "patch0", p0, sizeof p0);
        put("fuzz_ap_verify", "patch1", p1, sizeof p1);
        put("fuzz_ap_verify", "patch2", p2, sizeof p2);
        put("fuzz_ap_verify", "patch3", p3, sizeof p3);
        put("fuzz_ap_verify", "patch4", p4, sizeof p4);
    }

    /* fuzz_chpw: a whole CHPW_REQ (an AP-REQ for kadmin/changepw, then the
     * new password sealed under the subkey 0x44), and plaintext-mode seeds
     * (first byte not 'T': the rest is the password the target seals). */
    {
        static const char *pws[] = { "new-password", "p", "pass\tword with spaces", "p\xc3\xa4ssw\xc3\xb6rd" };
        uint8_t p2[KRB_CHPW_PASSWORD_MAX + 2];
        char nm[16];

        tlen = make_ticket(tkt, sizeof tkt, "kadmin/changepw@EXAMPLE.ORG", 0);
        auth(&a, 1);
        krb_wr_init(&pw, pt, sizeof pt);
        krb_ap_req_encode(&pw, 0, tkt, tlen, &session_key, KRB_USAGE_AP_AUTH, &a);
        if (pw.err != KRB_OK) {
            return 1;
        }
        krb_wr_init(&w, buf, sizeof buf);
        krb_chpw_req_encode(&w, pt, pw.len, &sub_key, "new-password", 12);
        put_wr("fuzz_chpw", "chpw_req", &w);
        for (size_t i = 0; i < sizeof pws / sizeof pws[0]; i++) {
            p2[0] = 0;
            memcpy(p2 + 1, pws[i], strlen(pws[i]));
            snprintf(nm, sizeof nm, "pw%zu", i);
            put("fuzz_chpw", nm, p2, strlen(pws[i]) + 1);
        }
        memset(p2 + 1, 'x', KRB_CHPW_PASSWORD_MAX + 1);
        put("fuzz_chpw", "pw_max", p2, KRB_CHPW_PASSWORD_MAX + 1);
        put("fuzz_chpw", "pw_too_long", p2, KRB_CHPW_PASSWORD_MAX + 2);
        memcpy(p2 + 1, "a\0b", 3);
        put("fuzz_chpw", "pw_nul", p2, 4);
        put("fuzz_chpw", "pw_empty", p2, 1);
    }

    /* fuzz_wrap: byte 0 = mode (bits 0-1), conf (bit 2), FS (bit 3). */
    {
        static const uint8_t w1[] = { 0x01, 'h', 'e', 'l', 'l', 'o' };
        static const uint8_t w2[] = { 0x05, 's', 'e', 'a', 'l', 'e', 'd' };
        static const uint8_t w3[] = { 0x0d, 'f', 's' };
        static const uint8_t w4[] = { 0x02, 0x00, 0x03, 0x01, 0x00, 0x10, 0x80 };
        static const uint8_t w5[] = { 0x06, 0x00, 0x20, 0xff };
        static const uint8_t w6[] = { 0x00, 'T', 'K', 0x01, 0x08, 0x00, 0x00 };
        static const uint8_t w7[] = { 0x03, 'T', 'K', 0x01, 0x09, 0x00, 0x00 };
        put("fuzz_wrap", "wrap_integ", w1, sizeof w1);
        put("fuzz_wrap", "wrap_conf", w2, sizeof w2);
        put("fuzz_wrap", "wrap_conf_fs", w3, sizeof w3);
        put("fuzz_wrap", "patch", w4, sizeof w4);
        put("fuzz_wrap", "patch_conf", w5, sizeof w5);
        put("fuzz_wrap", "token", w6, sizeof w6);
        put("fuzz_wrap", "mic", w7, sizeof w7);
    }

    /* Names, config, reader programs. */
    {
        static const char *names[] = { "alice@EXAMPLE.ORG", "host/web1.example.org@EXAMPLE.ORG",
                                       "a\\/b@R",           "a\\@b@R",
                                       "a\\\\b@R",          "bob",
                                       "krbtgt/R@R",        "1/2/3/4/5/6/7/8@R" };
        static const char conf[] = "[libdefaults]\n"
                                   "default_realm = EXAMPLE.ORG\n"
                                   "clock_skew = 5m\n"
                                   "[realm EXAMPLE.ORG]\n"
                                   "kdc = 127.0.0.1:7088\n"
                                   "kdc = [::1]:7089\n"
                                   "[kdc]\n"
                                   "listen = 0.0.0.0\n"
                                   "map_size = 64M\n"
                                   "workers = 4\n"
                                   "hide_unknown_principals = yes\n";
        static const uint8_t prog1[] = { 0, 1, 1, 0, 2, 2, 0, 0, 0, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 4, 1 };
        static const uint8_t prog2[] = { 0x26, 3, 'a', 'b', 'c', 7, 0, 2, 'x', 'y', 8, 0, 6, 1, 2, 3, 4, 5, 6, 10 };
        char nm[16];
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(nm, sizeof nm, "name%zu", i);
            put("fuzz_name", nm, names[i], strlen(names[i]));
        }
        put("fuzz_config", "tessera.conf", conf, sizeof conf - 1);
        put("fuzz_buf", "prog1", prog1, sizeof prog1);
        put("fuzz_buf", "prog2", prog2, sizeof prog2);
    }
    return 0;
}
