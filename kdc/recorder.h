/*
 * recorder.h — pre-authentication results written behind the reply.
 *
 * kdb_record_auth is an LMDB write transaction (an fsync): done inline it
 * made a wrong password ~100x slower to answer than an unknown name, which
 * told anyone which names exist. The AS path instead queues the result and
 * answers at once; one recorder thread writes the queue in order.
 *
 * - Bounded queue (KDC_REC_QUEUE entries). Room is reserved by every AS-REQ
 *   that carries pre-authentication, before the client is looked up, so a
 *   full queue refuses all of them alike (KRB_ERR_INTERNAL on the wire) and
 *   never tells a known name from an unknown one. Nothing queued is dropped.
 * - Unknown names: an AS-REQ with pre-authentication for a name that does
 *   not exist queues a failure too (when hide_unknown_principals is on),
 *   so that it pays the same hand-off as a wrong password; the writer
 *   drops it after one read, without taking the writer lock.
 * - Coalescing: a failure of a name whose last queued entry is a failure
 *   still waiting is added to it; a success of a name whose success is still
 *   waiting (with no failure after it) is not queued again.
 * - Lockout stays exact within the process: a sharded, bounded table keeps,
 *   per name, the failures queued but not yet written (and whether a queued
 *   success will reset the count); kdc_recorder_is_locked adds them to the
 *   record read from the database.
 * - One mechanism: entries are always queued. kdc_recorder_start runs the
 *   writer thread (the daemon); kdc_recorder_flush waits until everything
 *   queued so far is written, and writes it itself when no thread runs
 *   (tests, fuzzing); kdc_recorder_stop and kdc_recorder_free drain the
 *   queue before returning, so SIGTERM loses no failure.
 */
#ifndef TESSERA_KDC_RECORDER_H
#define TESSERA_KDC_RECORDER_H

#include <stdint.h>

#include "kdb.h"
#include "krb.h"

#define KDC_REC_QUEUE 8192u      /* queued results (distinct names, after coalescing) */
#define KDC_REC_SHARDS 16u       /* locks of the pending-failure table */
#define KDC_REC_SHARD_NODES 2048u /* names with pending failures per shard (4x the mean when full) */

struct kdc;
struct kdc_recorder;

/* What is queued for one name and not yet in the database. */
struct kdc_rec_view {
    uint32_t nfail;        /* failures queued after the last queued success */
    int reset;             /* a queued success will reset the stored count */
    krb_time first_failed; /* time of the first of those failures */
    krb_time last_failed;  /* and of the last */
};

/* A recorder writing through k->db (errors go to k's log). */
KRB_WUR krb_err kdc_recorder_new(struct kdc *k, struct kdc_recorder **out);
/* Stop the thread if running, write everything still queued, free. */
void kdc_recorder_free(struct kdc_recorder *rec);
/* Start the writer thread (call with the daemon's signals blocked). */
KRB_WUR krb_err kdc_recorder_start(struct kdc_recorder *rec);
/* Write what is queued, stop and join the thread. Idempotent. */
void kdc_recorder_stop(struct kdc_recorder *rec);
/* Return once every result queued before the call is in the database. */
void kdc_recorder_flush(struct kdc_recorder *rec);

/* Reserve room for one result: KRB_OK, or KRB_ERR_INTERNAL when the queue
 * is full. A reservation is consumed by kdc_recorder_failure/_success or
 * given back with kdc_recorder_release. */
KRB_WUR krb_err kdc_recorder_reserve(struct kdc_recorder *rec);
void kdc_recorder_release(struct kdc_recorder *rec);
/* Queue a pre-auth failure / success of name at now (consumes a
 * reservation). A success is written only when kdb_record_auth's
 * min_interval rule says so. */
void kdc_recorder_failure(struct kdc_recorder *rec, const char *name, krb_time now);
void kdc_recorder_success(struct kdc_recorder *rec, const char *name, krb_time now, krb_time min_interval);

/*
 * One password test per name at a time: wait until no other request is
 * testing name's password, then hold it (returns 1; 0 when the pending table
 * is full and nothing is held). Call before kdc_recorder_view and, when it
 * returned 1, kdc_recorder_end_attempt after the result is queued (or the
 * request ends without one). Without this, N workers could each pass the
 * lockout check before any of their failures was counted and test N
 * guesses past max_failures.
 */
int kdc_recorder_begin_attempt(struct kdc_recorder *rec, const char *name);
void kdc_recorder_end_attempt(struct kdc_recorder *rec, const char *name);

/* What is pending for name (all zero when nothing). Read it before the
 * record (kdb_get): a write that lands in between is then counted twice
 * for a moment (fails closed) rather than not at all. */
void kdc_recorder_view(struct kdc_recorder *rec, const char *name, struct kdc_rec_view *v);
/* kdb_is_locked on p with the pending failures v added. */
int kdc_recorder_is_locked(krb_context *c, struct kdb *db, const struct kdb_principal *p,
                           const struct kdc_rec_view *v, krb_time now);

#endif
