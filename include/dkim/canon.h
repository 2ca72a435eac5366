/*
 * canon.h - DKIM canonicalization (RFC 6376 3.4), header and body.
 *
 * The body canonicalizer is a stream: feed it chunks of any size (a CRLF
 * may be split between two chunks) and it hashes as it goes, in constant
 * memory and linear time: runs of empty lines are counted, never stored.
 * Line ends: CRLF, and a bare LF is read as CRLF (files on disk often use
 * LF).  A bare CR is message content, as OpenDKIM and dkimpy read it.
 */
#ifndef DK_DKIM_CANON_H
#define DK_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/buf.h"
#include "util/err.h"

enum dk_canon { DK_CANON_SIMPLE, DK_CANON_RELAXED };

#define DK_CANON_STAGE 8192

typedef struct dk_body_canon {
    enum dk_canon mode;
    EVP_MD_CTX *md;   /* receives the canonical bytes (initialised by the caller) */
    uint64_t limit;   /* l=: hash at most this many bytes; UINT64_MAX for all */
    uint64_t total;   /* canonical bytes produced so far */
    uint64_t hashed;  /* of which hashed (<= limit) */
    uint64_t pending; /* line ends held back (trailing empty lines) */
    bool cr;          /* the last byte seen was a CR whose meaning is not known yet */
    bool wsp;         /* relaxed: whitespace held back */
    bool failed;      /* the digest refused data */
    size_t olen;
    unsigned char out[DK_CANON_STAGE];
} dk_body_canon;

void dk_body_canon_init(dk_body_canon *c, enum dk_canon mode, EVP_MD_CTX *md, uint64_t limit);
/* Feed n bytes of the body.  Returns 0, -1 when the digest failed. */
int dk_body_canon_update(dk_body_canon *c, const unsigned char *p, size_t n);
/* End of body: flush and finish the digest into out (EVP_MAX_MD_SIZE). */
int dk_body_canon_final(dk_body_canon *c, unsigned char *out, unsigned *outlen);

/* Canonicalize one header field (name, ':' and value, with its folds; with
 * or without the final CRLF) and append it to b.  `crlf` says whether to
 * end the result with CRLF. */
int dk_header_canon(enum dk_canon mode, const char *field, size_t len, bool crlf, dk_buf *b,
                    dk_err *e);

/* Parse "simple", "relaxed", "simple/relaxed" ... (c= tag). */
int dk_canon_parse(const char *s, size_t len, enum dk_canon *hdr, enum dk_canon *body);
const char *dk_canon_name(enum dk_canon c);

#endif
