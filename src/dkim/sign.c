/* sign.c - the DKIM signer: rsa-sha256 and ed25519-sha256. */
#include "dkim/dkim.h"

#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/msg.h"
#include "dkim/tags.h"
#include "internal.h"
#include "util/mem.h"

#define FOLD_COLS 78

const char *const dk_sign_default_headers[] = {
    "from",         "to",           "cc",
    "subject",      "date",         "message-id",
    "mime-version", "content-type", "content-transfer-encoding",
    "reply-to",     "in-reply-to",  "references",
    NULL,
};

const char *const dk_sign_oversign_headers[] = {"from", "content-type", NULL};

/* lengths of dk_sign_default_headers (checked in dk_signer_new) */
static const size_t dk_sign_default_len[] = {4, 2, 2, 7, 4, 10, 12, 12, 25, 8, 11, 10};

/* a + b + c (+ the number n when n >= 0) into out; returns the length. */
static size_t cat3(char *out, const char *a, const char *b, const char *c, long long n)
{
    size_t o = 0, l;
    char num[24];
    int k = 0;

    l = strlen(a);
    memcpy(out + o, a, l);
    o += l;
    l = strlen(b);
    memcpy(out + o, b, l);
    o += l;
    if (n >= 0) {
        do {
            num[k++] = (char)('0' + n % 10);
            n /= 10;
        } while (n > 0);
        while (k > 0)
            out[o++] = num[--k];
    }
    l = strlen(c);
    memcpy(out + o, c, l);
    o += l;
    out[o] = '\0';
    return o;
}

struct dk_signer {
    char domain[254];
    char selector[254];
    enum dk_alg alg;
    enum dk_canon hc, bc;
    long long now, expire;
    char **extra;
    size_t nextra;
    char **over;
    size_t nover;
    EVP_PKEY *key;
    EVP_PKEY_CTX *sctx; /* RSA: set up once */
    EVP_MD_CTX *bmd, *hmd, *edmd;
    EVP_MD *sha;
    dk_msg msg;
    dk_buf scratch;
    dk_buf hdr;      /* the field being built */
    char head[1200]; /* "DKIM-Signature: v=1; a=..; c=..; d=..; s=..;" folded */
    size_t headlen, headcol;
    dk_body_canon bcanon;
};

void dk_signer_free(dk_signer *s)
{
    if (s == NULL)
        return;
    for (size_t k = 0; k < s->nextra; k++)
        free(s->extra[k]);
    free(s->extra);
    for (size_t k = 0; k < s->nover; k++)
        free(s->over[k]);
    free(s->over);
    EVP_PKEY_CTX_free(s->sctx);
    EVP_PKEY_free(s->key);
    EVP_MD_CTX_free(s->bmd);
    EVP_MD_CTX_free(s->hmd);
    EVP_MD_CTX_free(s->edmd);
    EVP_MD_free(s->sha);
    dk_msg_free(&s->msg);
    dk_buf_free(&s->scratch);
    dk_buf_free(&s->hdr);
    free(s);
}

static bool header_name_ok(const char *n)
{
    if (*n == '\0' || strlen(n) > 64)
        return false;
    for (; *n; n++) {
        if ((unsigned char)*n < 0x21 || (unsigned char)*n > 0x7e || *n == ':' || *n == ';')
            return false;
    }
    return true;
}

/* Fold builder: append piece, starting a new line first when it would pass
 * FOLD_COLS. */
static int put(dk_buf *b, size_t *col, const char *piece, size_t n, dk_err *e)
{
    if (*col + n > FOLD_COLS && *col > 1) {
        if (dk_buf_append(b, "\r\n\t", 3, e) < 0)
            return -1;
        *col = 1;
        if (n > 0 && piece[0] == ' ') {
            piece++;
            n--;
        }
    }
    if (dk_buf_append(b, piece, n, e) < 0)
        return -1;
    *col += n;
    return 0;
}

dk_signer *dk_signer_new(const dk_sign_opts *o, EVP_PKEY *key, dk_err *e)
{
    dk_signer *s;
    char why[160];
    int id = EVP_PKEY_get_base_id(key);

    if (!dk_domain_ok(o->domain, strlen(o->domain), why, sizeof why)) {
        dk_err_setloc(e, DK_EINVAL, "--domain", 0, 0, "'%s': %s", o->domain, why);
        return NULL;
    }
    if (!dk_domain_ok(o->selector, strlen(o->selector), why, sizeof why)) {
        dk_err_setloc(e, DK_EINVAL, "--selector", 0, 0, "'%s': %s", o->selector, why);
        return NULL;
    }
    if (strlen(o->selector) + strlen(o->domain) + 12 > 253) {
        dk_err_set(e, DK_EINVAL, "selector._domainkey.domain is longer than 253 bytes");
        return NULL;
    }
    if ((o->alg == DK_ALG_RSA_SHA256) != (id == EVP_PKEY_RSA) ||
        (o->alg == DK_ALG_ED25519_SHA256) != (id == EVP_PKEY_ED25519)) {
        dk_err_setloc(e, DK_EINVAL, "--key", 0, 0, "the key is not a %s key",
                      o->alg == DK_ALG_RSA_SHA256 ? "RSA" : "Ed25519");
        return NULL;
    }
    s = dk_calloc(1, sizeof *s, e);
    if (s == NULL)
        return NULL;
    dk_buf_init(&s->scratch, DK_MSG_HEADER_MAX * 2);
    dk_buf_init(&s->hdr, 64 * 1024);
    if (dk_msg_init(&s->msg, e) < 0) {
        free(s);
        return NULL;
    }
    (void)dk_strlcpy(s->domain, o->domain, sizeof s->domain);
    (void)dk_strlcpy(s->selector, o->selector, sizeof s->selector);
    s->alg = o->alg;
    s->hc = o->hcanon;
    s->bc = o->bcanon;
    s->now = o->now;
    s->expire = o->expire;
    {
        dk_buf hb;
        char tmp[600];
        size_t col = 15, n;
        int bad = 0;

        for (size_t k = 0; dk_sign_default_headers[k] != NULL; k++)
            bad |= strlen(dk_sign_default_headers[k]) != dk_sign_default_len[k];
        dk_buf_init(&hb, sizeof s->head - 1);
        bad |= dk_buf_puts(&hb, "DKIM-Signature:", e);
        n = cat3(tmp, " v=1; a=", dk_alg_name(s->alg), ";", -1);
        bad |= put(&hb, &col, tmp, n, e);
        n = cat3(tmp, " c=", dk_canon_name(s->hc), "/", -1);
        n += cat3(tmp + n, dk_canon_name(s->bc), ";", "", -1);
        bad |= put(&hb, &col, tmp, n, e);
        n = cat3(tmp, " d=", s->domain, ";", -1);
        bad |= put(&hb, &col, tmp, n, e);
        n = cat3(tmp, " s=", s->selector, ";", -1);
        bad |= put(&hb, &col, tmp, n, e);
        if (bad != 0) {
            dk_buf_free(&hb);
            dk_err_set(e, DK_EINTERNAL, "signature head");
            goto fail;
        }
        memcpy(s->head, hb.data, hb.len);
        s->headlen = hb.len;
        s->headcol = col;
        dk_buf_free(&hb);
    }
    if (o->nextra > 0) {
        s->extra = dk_calloc(o->nextra, sizeof *s->extra, e);
        if (s->extra == NULL)
            goto fail;
        for (size_t k = 0; k < o->nextra; k++) {
            if (!header_name_ok(o->extra[k])) {
                dk_err_set(e, DK_EINVAL, "'%s' is not a header field name", o->extra[k]);
                goto fail;
            }
            s->extra[k] = dk_strdup(o->extra[k], e);
            if (s->extra[k] == NULL)
                goto fail;
            s->nextra++;
        }
    }
    if (o->nover > 0) {
        s->over = dk_calloc(o->nover, sizeof *s->over, e);
        if (s->over == NULL)
            goto fail;
        for (size_t k = 0; k < o->nover; k++) {
            if (!header_name_ok(o->over[k])) {
                dk_err_set(e, DK_EINVAL, "'%s' is not a header field name", o->over[k]);
                goto fail;
            }
            s->over[k] = dk_strdup(o->over[k], e);
            if (s->over[k] == NULL)
                goto fail;
            s->nover++;
        }
    }
    s->bmd = EVP_MD_CTX_new();
    s->hmd = EVP_MD_CTX_new();
    s->edmd = EVP_MD_CTX_new();
    s->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (s->bmd == NULL || s->hmd == NULL || s->edmd == NULL || s->sha == NULL) {
        dk_err_set(e, DK_ECRYPTO, "OpenSSL: cannot set up SHA-256");
        goto fail;
    }
    s->key = key;
    if (id == EVP_PKEY_RSA) {
        s->sctx = EVP_PKEY_CTX_new(key, NULL);
        if (s->sctx == NULL || EVP_PKEY_sign_init(s->sctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(s->sctx, RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(s->sctx, s->sha) <= 0) {
            s->key = NULL;
            dk_err_set(e, DK_ECRYPTO, "OpenSSL refused the RSA key for signing");
            goto fail;
        }
    } else if (EVP_DigestSignInit(s->edmd, NULL, NULL, NULL, key) <= 0) {
        /* Ed25519: one-shot signing context, set up once and reused */
        s->key = NULL;
        dk_err_set(e, DK_ECRYPTO, "OpenSSL refused the Ed25519 key for signing");
        goto fail;
    }
    return s;
fail:
    s->key = NULL; /* the caller still owns it on failure */
    dk_signer_free(s);
    return NULL;
}

static int sign_common(dk_signer *s, dk_buf *out, dk_err *e, const char *mem, size_t memlen)
{
    dk_msg *m = &s->msg;
    unsigned char bh[EVP_MAX_MD_SIZE], hh[32], sig[1024];
    unsigned bhl = 0;
    char tmp[400], b64[1400], why[200];
    size_t col = 0, siglen = sizeof sig;
    long long t = s->now > 0 ? s->now : (long long)time(NULL);
    dk_buf *h = &s->hdr;
    int n;

    /* body hash, streamed */
    if (EVP_DigestInit_ex(s->bmd, s->sha, NULL) != 1)
        return dk_err_set(e, DK_ECRYPTO, "SHA-256 init failed");
    dk_body_canon_init(&s->bcanon, s->bc, s->bmd, UINT64_MAX);
    if (mem != NULL) {
        if (dk_body_canon_update(&s->bcanon, (const unsigned char *)mem, memlen) < 0)
            return dk_err_set(e, DK_ECRYPTO, "SHA-256 failed");
    } else {
        for (;;) {
            const unsigned char *p;
            size_t k;

            if (dk_msg_body_next(m, &p, &k, e) < 0)
                return -1;
            if (k == 0)
                break;
            if (dk_body_canon_update(&s->bcanon, p, k) < 0)
                return dk_err_set(e, DK_ECRYPTO, "SHA-256 failed");
        }
    }
    if (dk_body_canon_final(&s->bcanon, bh, &bhl) < 0 || bhl != 32)
        return dk_err_set(e, DK_ECRYPTO, "SHA-256 failed");

    /* the field, b= empty: the constant head was folded once in
     * dk_signer_new; then t=, x=, h=, bh= */
    dk_buf_reset(h);
    if (dk_buf_append(h, s->head, s->headlen, e) < 0)
        return -1;
    col = s->headcol;
    n = (int)cat3(tmp, " t=", "", ";", t);
    if (put(h, &col, tmp, (size_t)n, e) < 0)
        return -1;
    if (s->expire > 0) {
        n = (int)cat3(tmp, " x=", "", ";", t + s->expire);
        if (put(h, &col, tmp, (size_t)n, e) < 0)
            return -1;
    }
    /* h=: every instance of each listed field present, then the oversigned
     * names once more (From always; Content-Type too [Composition Kills
     * 8.1]; more by option), so that an added field breaks the signature */
    {
        const char *names[DK_H_MAX];
        size_t nn = 0, cnt[16] = {0};

        /* one pass over the fields counts the default names */
        for (size_t k = 0; k < m->nf; k++) {
            const dk_field *f = &m->f[k];
            char c0 = dk_field_ptr(m, f)[0] | 0x20;

            for (size_t j = 0; dk_sign_default_headers[j] != NULL; j++) {
                if (dk_sign_default_len[j] == f->nlen && dk_sign_default_headers[j][0] == c0 &&
                    dk_field_is(m, f, dk_sign_default_headers[j], f->nlen)) {
                    cnt[j]++;
                    break;
                }
            }
        }
        if (cnt[0] == 0)
            return dk_err_set(e, DK_EINVAL, "the message has no From field; it cannot be signed");
        for (size_t k = 0; dk_sign_default_headers[k] != NULL; k++) {
            for (size_t j = 0; j < cnt[k] && nn < DK_H_MAX - 8; j++)
                names[nn++] = dk_sign_default_headers[k];
        }
        for (size_t k = 0; k < s->nextra; k++) {
            size_t c = dk_msg_count(m, s->extra[k]);

            for (size_t j = 0; j < c && nn < DK_H_MAX - 8; j++)
                names[nn++] = s->extra[k];
        }
        for (size_t k = 0; dk_sign_oversign_headers[k] != NULL && nn < DK_H_MAX; k++)
            names[nn++] = dk_sign_oversign_headers[k];
        for (size_t k = 0; k < s->nover && nn < DK_H_MAX; k++)
            names[nn++] = s->over[k];
        for (size_t k = 0; k < nn; k++) {
            bool last = k + 1 == nn;

            n = (int)cat3(tmp, k == 0 ? " h=" : ":", names[k], last ? ";" : "", -1);
            if (k > 0 && col + (size_t)n > FOLD_COLS) {
                if (dk_buf_puts(h, ":\r\n\t", e) < 0)
                    return -1;
                col = 1;
                n = (int)cat3(tmp, "", names[k], last ? ";" : "", -1);
            }
            if (put(h, &col, tmp, (size_t)n, e) < 0)
                return -1;
        }
    }
    memcpy(tmp, " bh=", 4);
    dk_b64_encode(bh, 32, tmp + 4);
    strcat(tmp, ";");
    if (put(h, &col, tmp, strlen(tmp), e) < 0)
        return -1;
    if (put(h, &col, " b=", 3, e) < 0)
        return -1;

    /* header hash */
    {
        const char *hv = NULL;
        size_t hl = 0;
        /* find the h= list we just wrote: between " h=" and the next ';' */
        const char *p = strstr(h->data, " h=");

        if (p == NULL)
            p = strstr(h->data, "\th=");
        if (p == NULL)
            return dk_err_set(e, DK_EINTERNAL, "h= missing");
        hv = p + 3;
        hl = (size_t)(strchr(hv, ';') - hv);
        if (dk_hash_headers(m, hv, hl, s->hc, h->data, h->len, s->hmd, s->sha, &s->scratch, hh, why,
                            sizeof why) < 0)
            return dk_err_set(e, DK_EINVAL, "%s", why);
    }
    if (s->alg == DK_ALG_RSA_SHA256) {
        if (EVP_PKEY_sign(s->sctx, sig, &siglen, hh, 32) <= 0)
            return dk_err_set(e, DK_ECRYPTO, "RSA signing failed");
    } else {
        /* the context set up in dk_signer_new signs again and again
         * (one-shot Ed25519 keeps no state between calls); should a
         * library refuse a second use, it is set up afresh */
        if (EVP_DigestSign(s->edmd, sig, &siglen, hh, 32) <= 0) {
            siglen = sizeof sig;
            if (EVP_DigestSignInit(s->edmd, NULL, NULL, NULL, s->key) <= 0 ||
                EVP_DigestSign(s->edmd, sig, &siglen, hh, 32) <= 0)
                return dk_err_set(e, DK_ECRYPTO, "Ed25519 signing failed");
        }
    }
    {
        size_t bl = dk_b64_encode(sig, siglen, b64), k = 0;

        while (k < bl) {
            size_t room = col < FOLD_COLS ? FOLD_COLS - col : 0;

            if (room == 0) {
                if (dk_buf_append(h, "\r\n\t", 3, e) < 0)
                    return -1;
                col = 1;
                continue;
            }
            if (room > bl - k)
                room = bl - k;
            if (dk_buf_append(h, b64 + k, room, e) < 0)
                return -1;
            col += room;
            k += room;
        }
    }
    if (dk_buf_append(h, "\r\n", 2, e) < 0)
        return -1;
    dk_buf_reset(out);
    return dk_buf_append(out, h->data, h->len, e);
}

int dk_sign_fd(dk_signer *s, int fd, dk_buf *out, bool *lf_only, dk_err *e)
{
    if (dk_msg_read_header(&s->msg, fd, e) < 0)
        return -1;
    if (lf_only != NULL)
        *lf_only = s->msg.lf_only;
    return sign_common(s, out, e, NULL, 0);
}

int dk_sign_mem(dk_signer *s, const char *msg, size_t len, dk_buf *out, dk_err *e)
{
    size_t off;

    if (dk_msg_parse_mem(&s->msg, msg, len, &off, e) < 0)
        return -1;
    return sign_common(s, out, e, msg + off, len - off);
}
