/*
 * recorder.c — pre-auth results queued by the AS path, written by one
 * thread (recorder.h says why and how).
 *
 * The queue is a ring of entries numbered by a sequence (seq 1, 2, ...;
 * ring[head] holds head_seq), under one mutex. The pending table maps a
 * keyed 128-bit hash of the name to what is queued for it: the seq of its
 * newest queued failure and success entries and the failures queued after
 * that success. Lock order: shard, then queue; the writer never holds both.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "context.h"
#include "error.h"
#include "kdc.h"
#include "recorder.h"

#define PEND_KEY_BYTES 16
#define PEND_NONE UINT32_MAX

struct rec_entry {
    uint64_t seq;
    krb_time t;            /* time of the (last) result */
    krb_time min_interval; /* successes */
    uint32_t nfail;        /* failures: how many (coalesced) */
    uint8_t success;
    char name[KRB_NAME_MAX + 1];
};

struct pend_node {
    uint8_t key[PEND_KEY_BYTES];
    uint32_t next;     /* bucket chain or free list */
    uint64_t fail_seq; /* newest queued failure entry, 0: none */
    uint64_t succ_seq; /* newest queued success entry, 0: none */
    uint32_t nfail;    /* failures queued after succ_seq */
    krb_time first_failed, last_failed;
    uint8_t busy;      /* a request is testing this name's password */
};

struct pend_shard {
    pthread_mutex_t mu;
    pthread_cond_t done; /* a busy node was released */
    uint32_t free;
    uint32_t bucket[KDC_REC_SHARD_NODES];
    struct pend_node node[KDC_REC_SHARD_NODES];
};

struct kdc_recorder {
    struct kdc *k;
    struct krb_context ctx; /* the writer's own context (details) */
    uint8_t hkey[crypto_generichash_KEYBYTES];

    pthread_mutex_t mu;
    pthread_cond_t work; /* entries queued, or stopping */
    pthread_cond_t idle; /* an entry was written */
    struct rec_entry *ring;
    size_t cap, head, count, reserved;
    uint64_t head_seq;  /* seq of ring[head] */
    uint64_t done_seq;  /* every entry below this seq is written */
    int running, stopping;
    int dozing; /* the writer sleeps until signalled (idle for KDC_REC_LINGER_MS) */
    pthread_t th;

    struct pend_shard *shard; /* KDC_REC_SHARDS */
};

/* ---- pending table ---- */

static struct pend_shard *pend_shard_of(struct kdc_recorder *rec, const char *name, uint8_t key[PEND_KEY_BYTES])
{
    crypto_generichash(key, PEND_KEY_BYTES, (const unsigned char *)name, strlen(name), rec->hkey,
                       sizeof rec->hkey);
    return &rec->shard[key[0] % KDC_REC_SHARDS];
}

static uint32_t pend_bucket(const uint8_t key[PEND_KEY_BYTES])
{
    return ((uint32_t)key[1] | (uint32_t)key[2] << 8 | (uint32_t)key[3] << 16) % KDC_REC_SHARD_NODES;
}

/* The node of key, or NULL; *prevp gets the link that points to it. */
static struct pend_node *pend_find(struct pend_shard *s, const uint8_t key[PEND_KEY_BYTES], uint32_t **prevp)
{
    uint32_t *link = &s->bucket[pend_bucket(key)];

    while (*link != PEND_NONE) {
        struct pend_node *n = &s->node[*link];
        if (memcmp(n->key, key, PEND_KEY_BYTES) == 0) {
            if (prevp != NULL) {
                *prevp = link;
            }
            return n;
        }
        link = &n->next;
    }
    return NULL;
}

/* Find or add; NULL when the shard is full (the result is still queued and
 * written, only the in-memory count misses it). */
static struct pend_node *pend_get(struct pend_shard *s, const uint8_t key[PEND_KEY_BYTES])
{
    struct pend_node *n = pend_find(s, key, NULL);
    uint32_t i, b;

    if (n != NULL || s->free == PEND_NONE) {
        return n;
    }
    i = s->free;
    n = &s->node[i];
    s->free = n->next;
    memset(n, 0, sizeof *n);
    memcpy(n->key, key, PEND_KEY_BYTES);
    b = pend_bucket(key);
    n->next = s->bucket[b];
    s->bucket[b] = i;
    return n;
}

static void pend_drop_if_idle(struct pend_shard *s, const uint8_t key[PEND_KEY_BYTES])
{
    uint32_t *link = NULL, i;
    struct pend_node *n = pend_find(s, key, &link);

    if (n == NULL || n->nfail != 0 || n->succ_seq != 0 || n->fail_seq != 0 || n->busy) {
        return;
    }
    i = *link;
    *link = n->next;
    n->next = s->free;
    s->free = i;
}

/* ---- queue ---- */

/* The entry of seq if it is still on the ring (not taken by the writer). */
static struct rec_entry *ring_at(struct kdc_recorder *rec, uint64_t seq)
{
    if (seq == 0 || seq < rec->head_seq || seq - rec->head_seq >= rec->count) {
        return NULL;
    }
    return &rec->ring[(rec->head + (size_t)(seq - rec->head_seq)) % rec->cap];
}

/* Append (mu held, a reservation consumed); returns the new entry. */
static struct rec_entry *ring_push(struct kdc_recorder *rec, const char *name)
{
    struct rec_entry *e = &rec->ring[(rec->head + rec->count) % rec->cap];

    memset(e, 0, offsetof(struct rec_entry, name));
    e->seq = rec->head_seq + rec->count;
    snprintf(e->name, sizeof e->name, "%s", name);
    rec->count++;
    rec->reserved--;
    if (rec->dozing) {
        pthread_cond_signal(&rec->work); /* else the writer looks within 1 ms */
    }
    return e;
}

krb_err kdc_recorder_reserve(struct kdc_recorder *rec)
{
    krb_err rc = KRB_OK;

    pthread_mutex_lock(&rec->mu);
    if (rec->count + rec->reserved >= rec->cap) {
        rc = KRB_ERR_INTERNAL;
    } else {
        rec->reserved++;
    }
    pthread_mutex_unlock(&rec->mu);
    return rc;
}

void kdc_recorder_release(struct kdc_recorder *rec)
{
    pthread_mutex_lock(&rec->mu);
    rec->reserved--;
    pthread_mutex_unlock(&rec->mu);
}

void kdc_recorder_failure(struct kdc_recorder *rec, const char *name, krb_time now)
{
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s = pend_shard_of(rec, name, key);
    struct pend_node *n;
    struct rec_entry *e = NULL;

    pthread_mutex_lock(&s->mu);
    n = pend_get(s, key);
    pthread_mutex_lock(&rec->mu);
    if (n != NULL && n->fail_seq > n->succ_seq) {
        e = ring_at(rec, n->fail_seq); /* the name's newest entry, still waiting */
    }
    if (e != NULL) {
        rec->reserved--;
    } else {
        e = ring_push(rec, name);
        e->success = 0;
        if (n != NULL) {
            n->fail_seq = e->seq;
        }
    }
    e->nfail++;
    e->t = now;
    pthread_mutex_unlock(&rec->mu);
    if (n != NULL) {
        if (n->nfail == 0) {
            n->first_failed = now;
        }
        n->nfail++;
        n->last_failed = now;
    }
    pthread_mutex_unlock(&s->mu);
}

void kdc_recorder_success(struct kdc_recorder *rec, const char *name, krb_time now, krb_time min_interval)
{
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s = pend_shard_of(rec, name, key);
    struct pend_node *n;
    struct rec_entry *e = NULL;

    pthread_mutex_lock(&s->mu);
    n = pend_get(s, key);
    pthread_mutex_lock(&rec->mu);
    if (n != NULL && n->succ_seq > n->fail_seq) {
        e = ring_at(rec, n->succ_seq); /* a success still waiting, nothing after it */
    }
    if (e != NULL) {
        rec->reserved--;
    } else {
        e = ring_push(rec, name);
        e->success = 1;
        if (n != NULL) {
            n->succ_seq = e->seq;
            n->nfail = 0; /* failures before it no longer count */
        }
    }
    e->t = now;
    e->min_interval = min_interval;
    pthread_mutex_unlock(&rec->mu);
    pthread_mutex_unlock(&s->mu);
}

int kdc_recorder_begin_attempt(struct kdc_recorder *rec, const char *name)
{
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s = pend_shard_of(rec, name, key);
    struct pend_node *n;

    pthread_mutex_lock(&s->mu);
    /* re-looked up after every wait: the node may have been freed and reused */
    while ((n = pend_get(s, key)) != NULL && n->busy) {
        pthread_cond_wait(&s->done, &s->mu);
    }
    if (n != NULL) {
        n->busy = 1;
    }
    pthread_mutex_unlock(&s->mu);
    return n != NULL;
}

void kdc_recorder_end_attempt(struct kdc_recorder *rec, const char *name)
{
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s = pend_shard_of(rec, name, key);
    struct pend_node *n;

    pthread_mutex_lock(&s->mu);
    n = pend_find(s, key, NULL);
    if (n != NULL && n->busy) {
        n->busy = 0;
        pend_drop_if_idle(s, key);
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
}

void kdc_recorder_view(struct kdc_recorder *rec, const char *name, struct kdc_rec_view *v)
{
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s = pend_shard_of(rec, name, key);
    const struct pend_node *n;

    memset(v, 0, sizeof *v);
    pthread_mutex_lock(&s->mu);
    n = pend_find(s, key, NULL);
    if (n != NULL) {
        v->nfail = n->nfail;
        v->reset = n->succ_seq != 0;
        v->first_failed = n->first_failed;
        v->last_failed = n->last_failed;
    }
    pthread_mutex_unlock(&s->mu);
}

int kdc_recorder_is_locked(krb_context *c, struct kdb *db, const struct kdb_principal *p,
                           const struct kdc_rec_view *v, krb_time now)
{
    struct kdb_policy pol;
    uint64_t count;
    krb_time last;

    if ((p->flags & KDB_F_LOCKED) != 0) {
        return 1;
    }
    if (!v->reset && kdb_is_locked(c, db, p, now)) {
        return 1;
    }
    if (v->nfail == 0 || p->policy[0] == '\0' || kdb_policy_get(c, db, p->policy, &pol) != KRB_OK ||
        pol.max_failures == 0) {
        return 0;
    }
    /* what kdb_record_auth will make of the stored count, then the queue */
    count = v->reset ? 0 : p->fail_count;
    last = p->last_failed;
    if (count > 0 && pol.failure_window > 0 && v->first_failed - last > pol.failure_window) {
        count = 0;
    }
    if (count >= pol.max_failures && pol.lockout_duration > 0 && v->first_failed >= last + pol.lockout_duration) {
        count = 0;
    }
    count += v->nfail;
    last = v->last_failed;
    if (count < pol.max_failures) {
        return 0;
    }
    return pol.lockout_duration == 0 || now < last + pol.lockout_duration;
}

/* ---- the writer ---- */

/* kdb_update callback: *arg more failures at the time of the last one. */
static krb_err add_failures(krb_context *c, struct kdb *db, struct kdb_principal *p, void *arg)
{
    uint32_t more = *(const uint32_t *)arg;

    (void)c;
    (void)db;
    p->fail_count = p->fail_count > UINT32_MAX - more ? UINT32_MAX : p->fail_count + more;
    return KRB_OK;
}

/* Write one queued entry: takes it off the ring (mu held on entry and on
 * return, dropped during the write). 0 when the ring is empty. */
static int write_one(struct kdc_recorder *rec)
{
    struct rec_entry e;
    uint8_t key[PEND_KEY_BYTES];
    struct pend_shard *s;
    struct pend_node *n;
    krb_err rc = KRB_OK;

    if (rec->count == 0) {
        return 0;
    }
    e = rec->ring[rec->head];
    rec->head = (rec->head + 1) % rec->cap;
    rec->head_seq++;
    rec->count--;
    pthread_mutex_unlock(&rec->mu);

    if (e.success) {
        rc = kdb_record_auth(&rec->ctx, rec->k->db, e.name, 1, e.t, e.min_interval);
    } else {
        /* kdb_record_auth applies the policy's resets and counts one; the
         * others happened at the same time, so they only add up */
        rc = kdb_record_auth(&rec->ctx, rec->k->db, e.name, 0, e.t, 0);
        if (rc == KRB_OK && e.nfail > 1) {
            uint32_t more = e.nfail - 1;
            rc = kdb_update(&rec->ctx, rec->k->db, e.name, add_failures, &more);
        }
    }
    if (rc != KRB_OK && rc != KRB_ERR_UNKNOWN_PRINCIPAL) {
        kdc_log_msg(rec->k, KDC_LOG_ERR, "cannot record pre-auth %s of %s: %s", e.success ? "success" : "failure",
                    e.name, krb_context_error(&rec->ctx));
    }

    s = pend_shard_of(rec, e.name, key);
    pthread_mutex_lock(&s->mu);
    n = pend_find(s, key, NULL);
    if (n != NULL) {
        if (e.success) {
            if (n->succ_seq == e.seq) {
                n->succ_seq = 0; /* the stored count is reset now */
            }
        } else {
            if (e.seq > n->succ_seq && n->nfail >= e.nfail) {
                n->nfail -= e.nfail;
            }
            if (n->fail_seq == e.seq) {
                n->fail_seq = 0;
            }
        }
        pend_drop_if_idle(s, key);
    }
    pthread_mutex_unlock(&s->mu);

    pthread_mutex_lock(&rec->mu);
    rec->done_seq = e.seq + 1;
    pthread_cond_broadcast(&rec->idle);
    return 1;
}

/*
 * The writer polls the queue every millisecond while there has been work in
 * the last KDC_REC_LINGER_MS, and only then sleeps until signalled. So a
 * request queues its result with two mutexes and, while the KDC is busy, no
 * wake-up: what a request pays does not depend on how long the previous
 * entries take to write (a known name's failure is a transaction with an
 * fsync, an unknown name's is one read), which would otherwise tell them
 * apart.
 */
#define KDC_REC_LINGER_MS 1000

static void *writer_main(void *arg)
{
    struct kdc_recorder *rec = arg;
    int64_t last_work = kdc_mono_ms();

    pthread_mutex_lock(&rec->mu);
    for (;;) {
        if (rec->count == 0 && !rec->stopping) {
            if (kdc_mono_ms() - last_work >= KDC_REC_LINGER_MS) {
                rec->dozing = 1;
                while (rec->count == 0 && !rec->stopping) {
                    pthread_cond_wait(&rec->work, &rec->mu);
                }
                rec->dozing = 0;
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_nsec += 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                (void)pthread_cond_timedwait(&rec->work, &rec->mu, &ts);
                continue;
            }
        }
        if (!write_one(rec)) {
            if (rec->stopping) {
                break; /* stopping and drained */
            }
            continue;
        }
        last_work = kdc_mono_ms();
    }
    pthread_mutex_unlock(&rec->mu);
    return NULL;
}

krb_err kdc_recorder_new(struct kdc *k, struct kdc_recorder **out)
{
    struct kdc_recorder *rec;

    *out = NULL;
    rec = calloc(1, sizeof *rec);
    if (rec == NULL) {
        return krb_set_error(k->ctx, KRB_ERR_NOMEM, "out of memory for the pre-auth recorder");
    }
    rec->ring = calloc(KDC_REC_QUEUE, sizeof *rec->ring);
    rec->shard = calloc(KDC_REC_SHARDS, sizeof *rec->shard);
    if (rec->ring == NULL || rec->shard == NULL) {
        free(rec->ring);
        free(rec->shard);
        free(rec);
        return krb_set_error(k->ctx, KRB_ERR_NOMEM, "out of memory for the pre-auth recorder queue");
    }
    rec->k = k;
    rec->ctx = *k->ctx;
    rec->ctx.detail[0] = '\0';
    rec->cap = KDC_REC_QUEUE;
    rec->head_seq = 1;
    rec->done_seq = 1;
    randombytes_buf(rec->hkey, sizeof rec->hkey);
    pthread_mutex_init(&rec->mu, NULL);
    {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* writer_main's timed wait */
        pthread_cond_init(&rec->work, &ca);
        pthread_condattr_destroy(&ca);
    }
    pthread_cond_init(&rec->idle, NULL);
    for (size_t i = 0; i < KDC_REC_SHARDS; i++) {
        struct pend_shard *s = &rec->shard[i];
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->done, NULL);
        for (uint32_t j = 0; j < KDC_REC_SHARD_NODES; j++) {
            s->bucket[j] = PEND_NONE;
            s->node[j].next = j + 1 < KDC_REC_SHARD_NODES ? j + 1 : PEND_NONE;
        }
        s->free = 0;
    }
    *out = rec;
    return KRB_OK;
}

krb_err kdc_recorder_start(struct kdc_recorder *rec)
{
    int e;

    pthread_mutex_lock(&rec->mu);
    if (rec->running) {
        pthread_mutex_unlock(&rec->mu);
        return KRB_OK;
    }
    rec->stopping = 0;
    e = pthread_create(&rec->th, NULL, writer_main, rec);
    if (e == 0) {
        rec->running = 1;
    }
    pthread_mutex_unlock(&rec->mu);
    if (e != 0) {
        return krb_set_error(rec->k->ctx, KRB_ERR_INTERNAL, "cannot start the pre-auth recorder thread: %s",
                             strerror(e));
    }
    return KRB_OK;
}

void kdc_recorder_stop(struct kdc_recorder *rec)
{
    int joined;

    if (rec == NULL) {
        return;
    }
    pthread_mutex_lock(&rec->mu);
    joined = rec->running;
    rec->stopping = 1;
    pthread_cond_signal(&rec->work);
    pthread_mutex_unlock(&rec->mu);
    if (joined) {
        pthread_join(rec->th, NULL);
    }
    pthread_mutex_lock(&rec->mu);
    rec->running = 0;
    while (write_one(rec)) {
        /* no thread (tests): written here */
    }
    pthread_mutex_unlock(&rec->mu);
}

void kdc_recorder_flush(struct kdc_recorder *rec)
{
    uint64_t until;

    pthread_mutex_lock(&rec->mu);
    until = rec->head_seq + rec->count; /* first seq not to wait for */
    while (rec->done_seq < until) {
        /* without the thread the caller writes; else (or while another
         * caller writes the last entry) wait for the writer */
        if (rec->running || !write_one(rec)) {
            pthread_cond_wait(&rec->idle, &rec->mu);
        }
    }
    pthread_mutex_unlock(&rec->mu);
}

void kdc_recorder_free(struct kdc_recorder *rec)
{
    if (rec == NULL) {
        return;
    }
    kdc_recorder_stop(rec);
    for (size_t i = 0; i < KDC_REC_SHARDS; i++) {
        pthread_mutex_destroy(&rec->shard[i].mu);
        pthread_cond_destroy(&rec->shard[i].done);
    }
    pthread_cond_destroy(&rec->idle);
    pthread_cond_destroy(&rec->work);
    pthread_mutex_destroy(&rec->mu);
    sodium_memzero(rec->hkey, sizeof rec->hkey);
    sodium_memzero(rec->ring, KDC_REC_QUEUE * sizeof *rec->ring);
    free(rec->ring);
    free(rec->shard);
    free(rec);
}
