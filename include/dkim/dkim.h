/*
 * dkim.h - the DKIM signer and verifier (RFC 6376, RFC 8463, RFC 8301) and
 * Authentication-Results text (RFC 8601).
 *
 * Both read a message from a file descriptor as a stream: the header block
 * is kept (capped at DK_MSG_HEADER_MAX), the body is hashed chunk by chunk.
 * A signer or verifier is made once and used for a whole batch: keys are
 * parsed once, digest contexts reused, key records cached.
 */
#ifndef DK_DKIM_DKIM_H
#define DK_DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "dkim/canon.h"
#include "dkim/key.h"
#include "dns/dns.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- signer ---------------------------------------------------------------- */

typedef struct dk_sign_opts {
    const char *domain;
    const char *selector;
    enum dk_alg alg;
    enum dk_canon hcanon, bcanon; /* default relaxed/simple */
    long long now;                /* t=; 0 means the current time */
    long long expire;             /* > 0: x = t + expire */
    const char *const *extra;     /* more header names to sign (when present) */
    size_t nextra;
    const char *const *over; /* more header names to oversign */
    size_t nover;
} dk_sign_opts;

typedef struct dk_signer dk_signer;

/* key is taken over (freed with the signer); its type must match o->alg. */
dk_signer *dk_signer_new(const dk_sign_opts *o, EVP_PKEY *key, dk_err *e);
void dk_signer_free(dk_signer *s);

/* Sign the message read from fd.  out receives the DKIM-Signature field:
 * CRLF line ends, folded at 78 columns, ending in CRLF.  *lf_only (may be
 * NULL) says whether the message used bare LF line ends. */
int dk_sign_fd(dk_signer *s, int fd, dk_buf *out, bool *lf_only, dk_err *e);
int dk_sign_mem(dk_signer *s, const char *msg, size_t len, dk_buf *out, dk_err *e);

/* The header names signed by default (each instance present), in order,
 * and those always signed once more than present (oversigned: From and
 * Content-Type), so that an added instance breaks the signature. */
extern const char *const dk_sign_default_headers[];
extern const char *const dk_sign_oversign_headers[];

/* ---- verifier -------------------------------------------------------------- */

enum dk_result {
    DK_RES_NONE,
    DK_RES_PASS,
    DK_RES_FAIL,
    DK_RES_NEUTRAL,
    DK_RES_POLICY,
    DK_RES_TEMPERROR,
    DK_RES_PERMERROR
};

#define DK_VERIFY_MAX_SIGS 8
#define DK_DRIFT_SECONDS   300

typedef struct dk_sig_result {
    enum dk_result result;
    char d[254];
    char s[254];
    char a[32];
    char i[256];
    char b[16]; /* the first 8 characters of b=, for header.b */
    char reason[256];
    bool testing; /* key t=y */
} dk_sig_result;

typedef struct dk_verify_result {
    dk_sig_result sig[DK_VERIFY_MAX_SIGS];
    size_t nsig;    /* signatures evaluated */
    size_t ignored; /* signatures past DK_VERIFY_MAX_SIGS, not evaluated */
    char note[256]; /* message-level remark ("" if none) */
} dk_verify_result;

typedef struct dk_verifier dk_verifier;

/* resolver is borrowed (must outlive the verifier). */
dk_verifier *dk_verifier_new(dk_resolver *r, dk_err *e);
void dk_verifier_free(dk_verifier *v);
/* Fixed clock (tests); 0 = the current time. */
void dk_verifier_set_time(dk_verifier *v, long long now);

/* Verify every DKIM-Signature (up to 8) of the message on fd.  Returns 0
 * with res filled (DNS problems are results, not errors); -1 only when the
 * message cannot be read. */
int dk_verify_fd(dk_verifier *v, int fd, dk_verify_result *res, dk_err *e);
int dk_verify_mem(dk_verifier *v, const char *msg, size_t len, dk_verify_result *res, dk_err *e);

/* Did some signature pass? */
bool dk_verify_passed(const dk_verify_result *res);

const char *dk_result_name(enum dk_result r);

/* Authentication-Results field value (RFC 8601) for res, without the field
 * name: "authserv; dkim=pass (reason) header.d=... header.s=... header.a=...
 * header.b=...; dkim=...".  Returns 0, -1 when out is too small. */
int dk_auth_results(const dk_verify_result *res, const char *authserv, char *out, size_t size);

#endif
