/* key.c - key records and private keys. */
#include "dkim/key.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dkim/tags.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/path.h"

static int kfail(char *why, size_t wlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int kfail(char *why, size_t wlen, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL && wlen > 0) {
        va_start(ap, fmt);
        (void)vsnprintf(why, wlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void dk_key_record_free(dk_key_record *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_CTX_free(k->vctx);
    EVP_MD_CTX_free(k->edctx);
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof *k);
}

int dk_key_record_parse(dk_key_record *k, const char *txt, size_t len, char *why, size_t wlen)
{
    dk_tags t;
    const dk_tag *v, *kt, *h, *s, *fl, *p;
    unsigned char der[8192];
    long n;

    memset(k, 0, sizeof *k);
    if (memchr(txt, '\0', len) != NULL)
        return kfail(why, wlen, "key record holds a NUL byte");
    if (dk_tags_parse(&t, txt, len, why, wlen) < 0)
        return -1;
    v = dk_tags_get(&t, "v");
    if (v != NULL && (&t.v[0] != v || !dk_tag_is(v, "DKIM1")))
        return kfail(why, wlen, "key record: v= must be the first tag and be DKIM1");
    kt = dk_tags_get(&t, "k");
    if (kt == NULL || dk_tag_is(kt, "rsa"))
        k->type = DK_KEY_RSA;
    else if (dk_tag_is(kt, "ed25519"))
        k->type = DK_KEY_ED25519;
    else
        return kfail(why, wlen, "key record: unknown key type k=%.*s (rsa or ed25519)",
                     (int)(kt->vlen > 32 ? 32 : kt->vlen), kt->val);
    h = dk_tags_get(&t, "h");
    k->sha256_ok = h == NULL || dk_colon_list_has(h->val, h->vlen, "sha256", false);
    s = dk_tags_get(&t, "s");
    if (s != NULL && !dk_colon_list_has(s->val, s->vlen, "*", false) &&
        !dk_colon_list_has(s->val, s->vlen, "email", false))
        return kfail(why, wlen, "key record: service type s= does not include email");
    fl = dk_tags_get(&t, "t");
    if (fl != NULL) {
        k->testing = dk_colon_list_has(fl->val, fl->vlen, "y", false);
        k->strict = dk_colon_list_has(fl->val, fl->vlen, "s", false);
    }
    p = dk_tags_get(&t, "p");
    if (p == NULL)
        return kfail(why, wlen, "key record has no p= tag");
    if (p->vlen == 0) {
        k->revoked = true;
        return 0;
    }
    n = dk_b64_decode(p->val, p->vlen, der, sizeof der);
    if (n <= 0)
        return kfail(why, wlen, "key record: p= is not valid base64");
    if (k->type == DK_KEY_ED25519) {
        if (n != 32)
            return kfail(why, wlen, "key record: Ed25519 key of %ld bytes (a raw 32-byte key)", n);
        k->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, der, 32);
        if (k->pkey == NULL)
            return kfail(why, wlen, "key record: bad Ed25519 key");
        k->edctx = EVP_MD_CTX_new();
        if (k->edctx == NULL || EVP_DigestVerifyInit(k->edctx, NULL, NULL, NULL, k->pkey) != 1) {
            dk_key_record_free(k);
            return kfail(why, wlen, "key record: OpenSSL refused the Ed25519 key");
        }
        return 0;
    }
    {
        const unsigned char *q = der;

        k->pkey = d2i_PUBKEY(NULL, &q, n);
        if (k->pkey == NULL || q != der + n) {
            EVP_PKEY_free(k->pkey);
            q = der;
            k->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, n);
            if (k->pkey != NULL && q != der + n) {
                EVP_PKEY_free(k->pkey);
                k->pkey = NULL;
            }
        }
    }
    if (k->pkey == NULL || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
        dk_key_record_free(k);
        return kfail(why, wlen, "key record: p= is not an RSA public key (DER)");
    }
    k->bits = (unsigned)EVP_PKEY_get_bits(k->pkey);
    k->vctx = EVP_PKEY_CTX_new(k->pkey, NULL);
    if (k->vctx == NULL || EVP_PKEY_verify_init(k->vctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(k->vctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(k->vctx, EVP_sha256()) <= 0) {
        dk_key_record_free(k);
        return kfail(why, wlen, "key record: OpenSSL refused the RSA key");
    }
    return 0;
}

/* An Ed25519 PKCS#8 key is a fixed 48-byte DER: read the seed directly
 * (OpenSSL's decoder set-up costs more than a thousand signatures). */
static EVP_PKEY *ed25519_pkcs8(const char *pem, size_t len)
{
    static const char head[] = "-----BEGIN PRIVATE KEY-----";
    static const unsigned char prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                             0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
    unsigned char der[64];
    const char *b, *end;
    long n;
    EVP_PKEY *k;

    if (len < sizeof head || memcmp(pem, head, sizeof head - 1) != 0)
        return NULL;
    b = pem + sizeof head - 1;
    end = memmem(b, len - (size_t)(b - pem), "-----END PRIVATE KEY-----", 25);
    if (end == NULL || end - b > 200)
        return NULL;
    n = dk_b64_decode(b, (size_t)(end - b), der, sizeof der);
    if (n != 48 || memcmp(der, prefix, sizeof prefix) != 0) {
        dk_wipe(der, sizeof der);
        return NULL;
    }
    k = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, der + 16, 32);
    dk_wipe(der, sizeof der);
    return k;
}

EVP_PKEY *dk_private_key_from_pem(const char *pem, size_t len, const char *what, dk_err *e)
{
    BIO *bio;
    EVP_PKEY *k;
    int id;

    k = ed25519_pkcs8(pem, len);
    if (k != NULL)
        return k;

    if (len > INT32_MAX)
        return dk_err_set(e, DK_EINVAL, "%s: too large", what), NULL;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return dk_err_set(e, DK_ENOMEM, "out of memory"), NULL;
    k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (k == NULL) {
        dk_err_setloc(e, DK_EINVAL, what, 0, 0,
                      "not a PEM private key (PKCS#1 RSA, PKCS#8 RSA or Ed25519)");
        return NULL;
    }
    id = EVP_PKEY_get_base_id(k);
    if (id == EVP_PKEY_RSA) {
        if (EVP_PKEY_get_bits(k) < 1024) {
            dk_err_setloc(e, DK_EINVAL, what, 0, 0,
                          "RSA key of %d bits is too short (at least 1024; 2048 recommended)",
                          EVP_PKEY_get_bits(k));
            EVP_PKEY_free(k);
            return NULL;
        }
    } else if (id != EVP_PKEY_ED25519) {
        dk_err_setloc(e, DK_EINVAL, what, 0, 0, "key type is neither RSA nor Ed25519");
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

EVP_PKEY *dk_private_key_load(const char *path, dk_err *e)
{
    dk_buf b;
    EVP_PKEY *k;

    dk_buf_init_secret(&b, 256 * 1024);
    if (dk_read_file(path, 256 * 1024, &b, e) < 0) {
        dk_buf_free(&b);
        return NULL;
    }
    k = dk_private_key_from_pem(b.data, b.len, path, e);
    dk_buf_free(&b);
    return k;
}

const char *dk_alg_name(enum dk_alg a)
{
    return a == DK_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

int dk_alg_parse(const char *s, size_t len, enum dk_alg *a)
{
    if (len == 10 && memcmp(s, "rsa-sha256", 10) == 0)
        *a = DK_ALG_RSA_SHA256;
    else if (len == 14 && memcmp(s, "ed25519-sha256", 14) == 0)
        *a = DK_ALG_ED25519_SHA256;
    else
        return -1;
    return 0;
}

int dk_key_record_text(EVP_PKEY *pkey, char *out, size_t size, dk_err *e)
{
    unsigned char der[4096], *q = der;
    char b64[8192];
    size_t n;
    int len;

    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
        n = 32;
        if (EVP_PKEY_get_raw_public_key(pkey, der, &n) != 1 || n != 32)
            return dk_err_set(e, DK_ECRYPTO, "cannot get the Ed25519 public key");
        dk_b64_encode(der, n, b64);
        len = snprintf(out, size, "v=DKIM1; k=ed25519; p=%s", b64);
    } else {
        int l = i2d_PUBKEY(pkey, NULL);

        if (l <= 0 || (size_t)l > sizeof der || i2d_PUBKEY(pkey, &q) != l)
            return dk_err_set(e, DK_ECRYPTO, "cannot encode the RSA public key");
        dk_b64_encode(der, (size_t)l, b64);
        len = snprintf(out, size, "v=DKIM1; k=rsa; p=%s", b64);
    }
    if (len < 0 || (size_t)len >= size)
        return dk_err_set(e, DK_ENOMEM, "key record longer than %zu bytes", size);
    return 0;
}
