/* hhash.c - the header hash shared by the signer and the verifier. */
#include <stdio.h>
#include <string.h>

#include "dkim/tags.h"
#include "internal.h"

int dk_hash_headers(dk_msg *m, const char *hl, size_t hlen, enum dk_canon hc, const char *sig,
                    size_t siglen, EVP_MD_CTX *md, const EVP_MD *sha, dk_buf *scratch,
                    unsigned char out[32], char *why, size_t wlen)
{
    size_t pos = 0, count = 0, n;
    const char *name;
    unsigned outl = 0;
    dk_err e;

    dk_err_clear(&e);
    for (size_t k = 0; k < m->nf; k++)
        m->f[k].used = false;
    dk_buf_reset(scratch);
    if (EVP_DigestInit_ex(md, sha, NULL) != 1) {
        (void)snprintf(why, wlen, "SHA-256 init failed");
        return -1;
    }
    while (dk_colon_next(hl, hlen, &pos, &name, &n)) {
        if (n == 0) {
            (void)snprintf(why, wlen, "empty header name in h=");
            return -1;
        }
        if (++count > DK_H_MAX) {
            (void)snprintf(why, wlen, "more than %d names in h=", DK_H_MAX);
            return -1;
        }
        /* the bottom-most instance not used yet */
        for (size_t k = m->nf; k-- > 0;) {
            dk_field *f = &m->f[k];

            if (f->used || !dk_field_is(m, f, name, n))
                continue;
            f->used = true;
            if (dk_header_canon(hc, dk_field_ptr(m, f), f->len, true, scratch, &e) < 0) {
                (void)snprintf(why, wlen, "header hash: %s", e.msg);
                return -1;
            }
            break;
        }
    }
    if (dk_header_canon(hc, sig, siglen, false, scratch, &e) < 0 ||
        EVP_DigestUpdate(md, scratch->data, scratch->len) != 1 ||
        EVP_DigestFinal_ex(md, out, &outl) != 1 || outl != 32) {
        (void)snprintf(why, wlen, "header hash failed");
        return -1;
    }
    return 0;
}
