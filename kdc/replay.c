/*
 * replay.c — the KDC's replay cache for TGS authenticators: in memory,
 * bounded, sharded (one mutex per shard). An entry is the first 16 bytes of
 * the hash of an authenticator ciphertext and the time after which it may be
 * forgotten (the authenticator's time plus the skew window: later it fails
 * the skew check anyway).
 *
 * Each shard is an open-addressed table; a key may only live in the
 * KDC_RC_WINDOW slots that follow its home slot. A lookup scans the whole
 * window (no early stop, so no tombstones are needed); an insert takes the
 * first empty or expired slot in it. A window with no such slot fails
 * closed (KRB_ERR_RCACHE): the request is refused rather than left
 * unprotected.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kdc.h"

#define KDC_RC_SHARDS 64u
#define KDC_RC_WINDOW 32u
#define KDC_RC_KEY 16u

struct rc_entry {
    uint8_t key[KDC_RC_KEY];
    krb_time expires; /* 0: empty */
};

struct rc_shard {
    _Alignas(64) pthread_mutex_t mu; /* one cache line per shard */
    struct rc_entry *e;
    size_t mask;
};

struct kdc_replay {
    struct rc_shard shard[KDC_RC_SHARDS];
};

krb_err kdc_replay_new(uint64_t entries, struct kdc_replay **out)
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

krb_err kdc_replay_check(struct kdc_replay *rc, const uint8_t h[KRB_HASH_BYTES], krb_time expires, krb_time now)
{
    struct rc_shard *s = &rc->shard[h[0] % KDC_RC_SHARDS];
    size_t home = (size_t)krb_get_u64(h + 8), slot = SIZE_MAX;
    krb_err err = KRB_OK;

    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < KDC_RC_WINDOW; i++) {
        struct rc_entry *e = &s->e[(home + i) & s->mask];
        int live = e->expires != 0 && e->expires >= now;
        if (live && memcmp(e->key, h, KDC_RC_KEY) == 0) {
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
    memcpy(s->e[slot].key, h, KDC_RC_KEY);
    s->e[slot].expires = expires > 0 ? expires : 1;
out:
    pthread_mutex_unlock(&s->mu);
    return err;
}
