/*
 * buf.h — the one reader and the one writer for the wire format.
 *
 * Every byte from the network passes through struct krb_rd. The first
 * failure sticks: later reads return 0 / NULL and leave the error in place,
 * so a decoder is a straight list of reads with one check at the end
 * (krb_rd_end). Integers are big-endian. Variable fields carry a 1- or
 * 2-byte length prefix and a documented maximum checked before use; the
 * reader never allocates.
 *
 * The writer works in a caller-supplied buffer with the same sticky error
 * (KRB_ERR_TOO_BIG on overflow) and back-patches length prefixes.
 */
#ifndef TESSERA_BUF_H
#define TESSERA_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "krb.h"

struct krb_rd {
    const uint8_t *p;
    size_t left;
    krb_err err;
};

void krb_rd_init(struct krb_rd *r, const void *p, size_t n);
/* Set the error (if none is set yet) and empty the reader. */
void krb_rd_fail(struct krb_rd *r, krb_err e);

uint8_t krb_rd_u8(struct krb_rd *r);
uint16_t krb_rd_u16(struct krb_rd *r);
uint32_t krb_rd_u32(struct krb_rd *r);
uint64_t krb_rd_u64(struct krb_rd *r);
/* A boolean byte: 0 or 1; anything else is KRB_ERR_MALFORMED (canonical). */
int krb_rd_bool(struct krb_rd *r);
/* n raw bytes: a pointer into the input, NULL on overrun. */
const uint8_t *krb_rd_bytes(struct krb_rd *r, size_t n);
/* Length-prefixed bytes (u8 / u16 prefix); a length over max is
 * KRB_ERR_TOO_BIG, under min KRB_ERR_MALFORMED. *len is 0 on failure. */
const uint8_t *krb_rd_vec8(struct krb_rd *r, size_t min, size_t max, size_t *len);
const uint8_t *krb_rd_vec16(struct krb_rd *r, size_t min, size_t max, size_t *len);
/* A u16-prefixed field read as its own reader. */
void krb_rd_sub16(struct krb_rd *r, size_t max, struct krb_rd *sub);
/* All remaining bytes (possibly zero). */
const uint8_t *krb_rd_rest(struct krb_rd *r, size_t *len);
/* KRB_OK only if no error is set and no byte remains. */
krb_err krb_rd_end(const struct krb_rd *r);

struct krb_wr {
    uint8_t *buf;
    size_t cap;
    size_t len;
    krb_err err;
};

void krb_wr_init(struct krb_wr *w, void *buf, size_t cap);
void krb_wr_fail(struct krb_wr *w, krb_err e);
void krb_wr_u8(struct krb_wr *w, uint8_t v);
void krb_wr_u16(struct krb_wr *w, uint16_t v);
void krb_wr_u32(struct krb_wr *w, uint32_t v);
void krb_wr_u64(struct krb_wr *w, uint64_t v);
void krb_wr_bytes(struct krb_wr *w, const void *p, size_t n);
/* Reserve n bytes and return where to write them (NULL on overflow). */
uint8_t *krb_wr_reserve(struct krb_wr *w, size_t n);
/* Length-prefixed bytes; a length over 255 / 65535 is KRB_ERR_TOO_BIG. */
void krb_wr_vec8(struct krb_wr *w, const void *p, size_t n);
void krb_wr_vec16(struct krb_wr *w, const void *p, size_t n);
/* NUL-terminated string as vec8 (without the NUL). */
void krb_wr_str8(struct krb_wr *w, const char *s);
/* Open a u16 length prefix; returns its offset. Close it with krb_wr_close16,
 * which patches the length of everything written since. */
size_t krb_wr_open16(struct krb_wr *w);
void krb_wr_close16(struct krb_wr *w, size_t at);

/* Store / load big-endian integers (for fixed layouts outside a reader). */
void krb_put_u32(uint8_t *p, uint32_t v);
void krb_put_u64(uint8_t *p, uint64_t v);
uint32_t krb_get_u32(const uint8_t *p);
uint64_t krb_get_u64(const uint8_t *p);

#endif
