/*
 * replay.c — the KDC's replay cache for TGS authenticators: in memory,
 * bounded, sharded (one mutex per shard). An entry is 8 bytes: a 32-bit tag
 * taken from the hash of an authenticator ciphertext and the second after
 * which it may be forgotten (the authenticator's time plus the skew window,
 * rounded up: later it fails the skew check anyway), counted from the
 * second before the cache was made, so 32 bits last 136 years of uptime.
 *
 * The shard (hash byte 0), the home slot (bytes 8..15) and the tag (bytes
 * 16..19) come from independent parts of the hash. A replay has the same
 * hash, so it always meets its own entry. A fresh authenticator is refused
 * by mistake only if its tag equals that of one of the at most
 * KDC_RC_WINDOW live entries it is compared with: at most 32 x 2^-32, or
 * once in 130 million requests with a full window, and the client's retry
 * carries a new authenticator. Only authenticators that decrypted under a
 * valid ticket get here, so nobody can aim at a victim's tag.
 *
 * Each shard is an open-addressed table; a key may only live in the
 * KDC_RC_WINDOW slots that follow its home slot. A lookup scans the whole
 * window (no early stop, so no tombstones are needed); an insert takes the
 * first empty or expired slot in it. A window with no such slot fails
 * closed (KRB_ERR_RCACHE): the request is refused rather than left
 * unprotected. The tables are calloc'ed, so the kernel maps their pages
 * only as entries land in them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kdc.h"

#define KDC_RC_SHARDS 64u
#define KDC_RC_WINDOW 32u
struct rc_entry {
    uint32_t tag;
    uint32_t expires; /* seconds since kdc_replay.base; 0: empty */
};

struct rc_shard {
    _Alignas(64) pthread_mutex_t mu; /* one cache line per shard */
    struct rc_entry *e;
    size_t mask;
};

struct kdc_replay {
    struct rc_shard shard[KDC_RC_SHARDS];
    long long base; /* seconds since 1970 */
};

krb_err kdc_replay_new(uint64_t entries, krb_time now, struct kdc_replay **out)
{
    struct kdc_replay *rc;
    size_t per = KDC_RC_WINDOW;
    krb_err err = KRB_OK;
    size_t i;

    *out = NULL;
    while (per * KDC_RC_SHARDS < entries && per < ((size_t)1 << 26)) {
        per <<= 1;
    }
    rc = aligned_alloc(64, sizeof *rc);
    if (rc == NULL) {
        return KRB_ERR_NOMEM;
    }
    memset(rc, 0, sizeof *rc);
    rc->base = now / 1000000 - 1;
    for (i = 0; i < KDC_RC_SHARDS; i++) {
        struct rc_shard *s = &rc->shard[i];
        s->e = calloc(per, sizeof *s->e);
        s->mask = per - 1;
        if (s->e == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
            free(s->e);
            s->e = NULL;
            err = KRB_ERR_NOMEM;
            break;
        }
    }
    if (err != KRB_OK) {
        while (i-- > 0) {
            pthread_mutex_destroy(&rc->shard[i].mu);
            free(rc->shard[i].e);
        }
        free(rc);
        return err;
    }
    *out = rc;
    return KRB_OK;
}

void kdc_replay_free(struct kdc_replay *rc)
{
    if (rc == NULL) {
        return;
    }
    for (size_t i = 0; i < KDC_RC_SHARDS; i++) {
        pthread_mutex_destroy(&rc->shard[i].mu);
        free(rc->shard[i].e);
    }
    free(rc);
}

/* Seconds since rc->base, rounded down (now) or up (expiry), clamped to
 * 1..UINT32_MAX (a clock set back makes entries live longer, never
 * shorter). */
static uint32_t rc_seconds(const struct kdc_replay *rc, krb_time t, int round_up)
{
    long long s = t / 1000000 + (round_up && t % 1000000 > 0 ? 1 : 0) - rc->base;

    if (s < 1) {
        return 1;
    }
    return s > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

krb_err kdc_replay_check(struct kdc_replay *rc, const uint8_t h[KRB_HASH_BYTES], krb_time expires, krb_time now)
{
    struct rc_shard *s = &rc->shard[h[0] % KDC_RC_SHARDS];
    size_t home = (size_t)krb_get_u64(h + 8), slot = SIZE_MAX;
    uint32_t tag = krb_get_u32(h + 16), exp = rc_seconds(rc, expires, 1), now_s = rc_seconds(rc, now, 0);
    krb_err err = KRB_OK;

    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < KDC_RC_WINDOW; i++) {
        struct rc_entry *e = &s->e[(home + i) & s->mask];
        int live = e->expires != 0 && e->expires >= now_s;
        if (live && e->tag == tag) {
            err = KRB_ERR_REPEAT;
            goto out;
        }
        if (!live && slot == SIZE_MAX) {
            slot = (home + i) & s->mask;
        }
    }
    if (slot == SIZE_MAX) {
        err = KRB_ERR_RCACHE;
        goto out;
    }
    s->e[slot].tag = tag;
    s->e[slot].expires = exp;
out:
    pthread_mutex_unlock(&s->mu);
    return err;
}
