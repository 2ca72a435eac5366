/* fuzz_canon.c - body canonicalization: the hash must not depend on how the
 * body is cut into chunks, and an LF-only copy hashes like the CRLF one;
 * relaxed header canonicalization equals a plain reference. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/canon.h"
/* the plain reference of relaxed header canonicalization */
#include "../unit/helpers/canon_ref.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hash(enum dk_canon mode, const uint8_t *p, size_t n, size_t chunk, unsigned char *out)
{
    static dk_body_canon c;
    static EVP_MD_CTX *md;
    unsigned l = 0;

    if (md == NULL)
        md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        abort();
    dk_body_canon_init(&c, mode, md, UINT64_MAX);
    for (size_t k = 0; k < n; k += chunk) {
        size_t m = n - k < chunk ? n - k : chunk;
        uint8_t *copy = malloc(m ? m : 1);

        if (copy == NULL)
            abort();
        memcpy(copy, p + k, m); /* exact size: ASan sees any over-read */
        if (dk_body_canon_update(&c, copy, m) < 0)
            abort();
        free(copy);
    }
    if (dk_body_canon_final(&c, out, &l) < 0 || l != 32)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    enum dk_canon mode;
    size_t chunk;

    if (size < 2)
        return 0;
    /* header: the fast relaxed canonicalization equals the reference */
    {
        static dk_buf b;
        char *want = malloc(size + 3);
        size_t n;

        if (want == NULL)
            abort();
        if (b.max == 0)
            dk_buf_init(&b, 0);
        n = canon_ref_relaxed((const char *)data, size, want);
        dk_buf_reset(&b);
        if (dk_header_canon(DK_CANON_RELAXED, (const char *)data, size, true, &b, NULL) < 0 ||
            b.len != n || memcmp(b.data, want, n) != 0)
            abort();
        free(want);
    }
    mode = (data[0] & 1) ? DK_CANON_RELAXED : DK_CANON_SIMPLE;
    chunk = (size_t)data[1] % 17 + 1;
    data += 2;
    size -= 2;
    hash(mode, data, size, size ? size : 1, a);
    hash(mode, data, size, chunk, b);
    if (memcmp(a, b, 32) != 0)
        abort();
    /* the same body with every CRLF turned into LF */
    {
        uint8_t *lf = malloc(size ? size : 1);
        size_t o = 0;

        if (lf == NULL)
            abort();
        for (size_t k = 0; k < size; k++) {
            if (data[k] == '\r' && k + 1 < size && data[k + 1] == '\n')
                continue;
            lf[o++] = data[k];
        }
        hash(mode, lf, o, chunk, b);
        free(lf);
        /* equal unless the removal made new CRLF pairs ("\r\r\n" -> "\r\n") */
        if (memmem(data, size, "\r\r", 2) == NULL && memcmp(a, b, 32) != 0)
            abort();
    }
    return 0;
}
