/*
 * key.h - DKIM key records (RFC 6376 3.6.1, RFC 8463) and private keys.
 */
#ifndef DK_DKIM_KEY_H
#define DK_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "model/keyalg.h"
#include "util/err.h"

enum dk_alg { DK_ALG_RSA_SHA256, DK_ALG_ED25519_SHA256 };

typedef struct dk_key_record {
    enum dk_keyalg type;
    bool revoked;       /* p= empty */
    bool testing;       /* t=y */
    bool strict;        /* t=s: i= must use d= exactly */
    bool sha256_ok;     /* h= absent or lists sha256 */
    unsigned bits;      /* RSA modulus size */
    EVP_PKEY *pkey;     /* NULL when revoked */
    EVP_PKEY_CTX *vctx; /* RSA: a verify context set up once (PKCS#1, SHA-256) */
    EVP_MD_CTX *edctx;  /* Ed25519: a one-shot verify context set up once */
} dk_key_record;

/* Parse a TXT record.  Returns 0, or -1 with a reason (a permerror). */
int dk_key_record_parse(dk_key_record *k, const char *txt, size_t len, char *why, size_t wlen);
void dk_key_record_free(dk_key_record *k);

/* Read a PEM private key (PKCS#1 RSA, PKCS#8 RSA or Ed25519) from path; the
 * file's bytes are wiped after parsing.  RSA keys under 1024 bits are
 * refused. */
EVP_PKEY *dk_private_key_load(const char *path, dk_err *e);
/* Same from memory. */
EVP_PKEY *dk_private_key_from_pem(const char *pem, size_t len, const char *what, dk_err *e);

const char *dk_alg_name(enum dk_alg a);
/* "rsa-sha256" or "ed25519-sha256"; -1 for anything else. */
int dk_alg_parse(const char *s, size_t len, enum dk_alg *a);

/* The public key record text "v=DKIM1; k=...; p=..." for a private key. */
int dk_key_record_text(EVP_PKEY *pkey, char *out, size_t size, dk_err *e);

#endif
