/*
 * keyrec.c - a minimal DKIM key-record parser for the DNS check (RFC 6376
 * 3.2 tag lists, 3.6.1 key records; RFC 8463 Ed25519).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check/check.h"
#include "util/mem.h"

#define MAX_TAGS 32

void dk_keyrec_free(dk_keyrec *k)
{
    if (k == NULL)
        return;
    free(k->p);
    memset(k, 0, sizeof *k);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Base64 text (whitespace already removed) -> bytes; -1 if invalid. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t size)
{
    int len;

    if (n == 0 || n % 4 != 0 || n / 4 * 3 > size || n > 0x7fffffff)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!(isalnum((unsigned char)c) || c == '+' || c == '/' || (c == '=' && i >= n - 2)))
            return -1;
        if (c == '=' && i == n - 2 && s[n - 1] != '=')
            return -1;
    }
    len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    if (s[n - 1] == '=')
        len--;
    if (s[n - 2] == '=')
        len--;
    return len;
}

static int key_bits(dk_keyrec *k, dk_err *e)
{
    unsigned char der[4096];
    const unsigned char *pp = der;
    long n = b64_decode(k->p, strlen(k->p), der, sizeof der);
    EVP_PKEY *pk;

    if (n < 0)
        return dk_err_set(e, DK_EINVAL, "p= is not valid base64");
    if (k->alg == DK_KEY_ED25519) {
        if (n != 32)
            return dk_err_set(e, DK_EINVAL,
                              "p= holds %ld bytes; an Ed25519 key is the raw 32-byte public key "
                              "(RFC 8463)",
                              n);
        return 0;
    }
    pk = d2i_PUBKEY(NULL, &pp, n);
    if (pk == NULL || pp != der + n || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        return dk_err_set(e, DK_EINVAL, "p= is not an RSA public key (SubjectPublicKeyInfo DER)");
    }
    k->bits = (unsigned)EVP_PKEY_get_bits(pk);
    EVP_PKEY_free(pk);
    return 0;
}

int dk_keyrec_parse(const char *txt, size_t len, dk_keyrec *k, dk_err *e)
{
    char seen[MAX_TAGS][16];
    size_t nseen = 0, i = 0;
    bool have_p = false;

    memset(k, 0, sizeof *k);
    k->alg = DK_KEY_RSA;
    if (memchr(txt, '\0', len) != NULL)
        return dk_err_set(e, DK_EINVAL, "the record holds a NUL byte");
    while (i < len) {
        size_t ns, ne, vs, ve;
        char name[16];
        bool first = nseen == 0;

        while (i < len && is_ws(txt[i]))
            i++;
        if (i == len)
            break;
        ns = i;
        while (i < len && (isalnum((unsigned char)txt[i]) || txt[i] == '_'))
            i++;
        ne = i;
        while (i < len && is_ws(txt[i]))
            i++;
        if (ne == ns || i == len || txt[i] != '=' || !isalpha((unsigned char)txt[ns])) {
            dk_keyrec_free(k);
            return dk_err_set(e, DK_EINVAL,
                              "malformed tag at offset %zu: expected name=value separated by ';'",
                              ns);
        }
        i++;
        vs = i;
        while (i < len && txt[i] != ';')
            i++;
        ve = i;
        if (i < len)
            i++;
        while (vs < ve && is_ws(txt[vs]))
            vs++;
        while (ve > vs && is_ws(txt[ve - 1]))
            ve--;
        if (ne - ns >= sizeof name) {
            continue; /* an unknown long tag name: ignored */
        }
        memcpy(name, txt + ns, ne - ns);
        name[ne - ns] = '\0';
        for (size_t s = 0; s < nseen; s++) {
            if (strcmp(seen[s], name) == 0) {
                dk_keyrec_free(k);
                return dk_err_set(e, DK_EINVAL, "tag %s= appears twice", name);
            }
        }
        if (nseen < MAX_TAGS)
            memcpy(seen[nseen++], name, sizeof name);
        if (strcmp(name, "v") == 0) {
            if (!first || ve - vs != 5 || memcmp(txt + vs, "DKIM1", 5) != 0) {
                dk_keyrec_free(k);
                return dk_err_set(e, DK_EINVAL, "v= must be the first tag and exactly DKIM1");
            }
        } else if (strcmp(name, "k") == 0) {
            if (ve - vs == 3 && strncasecmp(txt + vs, "rsa", 3) == 0)
                k->alg = DK_KEY_RSA;
            else if (ve - vs == 7 && strncasecmp(txt + vs, "ed25519", 7) == 0)
                k->alg = DK_KEY_ED25519;
            else {
                dk_keyrec_free(k);
                return dk_err_set(e, DK_EINVAL, "k=%.*s: accepted are rsa and ed25519",
                                  (int)(ve - vs > 40 ? 40 : ve - vs), txt + vs);
            }
        } else if (strcmp(name, "t") == 0) {
            for (size_t p = vs; p < ve;) {
                size_t q = p;

                while (q < ve && txt[q] != ':')
                    q++;
                {
                    size_t a = p, b = q;

                    while (a < b && is_ws(txt[a]))
                        a++;
                    while (b > a && is_ws(txt[b - 1]))
                        b--;
                    if (b - a == 1 && txt[a] == 'y')
                        k->testing = true;
                    else if (b - a == 1 && txt[a] == 's')
                        k->strict = true;
                }
                p = q + 1;
            }
        } else if (strcmp(name, "p") == 0) {
            size_t o = 0;

            have_p = true;
            k->p = dk_calloc(ve - vs + 1, 1, e);
            if (k->p == NULL)
                return -1;
            for (size_t p = vs; p < ve; p++)
                if (!is_ws(txt[p]))
                    k->p[o++] = txt[p];
            k->p[o] = '\0';
        }
    }
    if (!have_p) {
        dk_keyrec_free(k);
        return dk_err_set(e, DK_EINVAL, "no p= tag: not a DKIM key record");
    }
    if (k->p[0] != '\0' && key_bits(k, e) < 0) {
        dk_keyrec_free(k);
        return -1;
    }
    return 0;
}
