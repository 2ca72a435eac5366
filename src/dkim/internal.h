/* internal.h - shared by the signer and the verifier (private to src/dkim). */
#ifndef DK_DKIM_INTERNAL_H
#define DK_DKIM_INTERNAL_H

#include <openssl/evp.h>

#include "dkim/canon.h"
#include "dkim/msg.h"
#include "util/buf.h"

#define DK_H_MAX 128 /* names in h= */

/* Is there a LF in p[0..n) not preceded by CR (p[0] is checked against
 * prev_cr)?  SSE2 when available. */
bool dk_has_bare_lf(const unsigned char *p, size_t n, bool prev_cr);

/* Hash the fields named in the h= list hl[0..hlen) (bottom instance first,
 * a missing one contributes nothing), then sig[0..siglen) (the
 * DKIM-Signature field with its b= value deleted, no final CRLF), with
 * canonicalization hc, into out (32 bytes).  Returns 0, or -1 with why. */
int dk_hash_headers(dk_msg *m, const char *hl, size_t hlen, enum dk_canon hc, const char *sig,
                    size_t siglen, EVP_MD_CTX *md, const EVP_MD *sha, dk_buf *scratch,
                    unsigned char out[32], char *why, size_t wlen);

#endif
