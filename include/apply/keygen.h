/*
 * keygen.h - DKIM key generation and public-key extraction (OpenSSL 3 EVP).
 *
 * A private key is written as an unencrypted PKCS#8 PEM file ("BEGIN
 * PRIVATE KEY"), which OpenDKIM reads for RSA and Ed25519 alike.  The file
 * is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, under umask 077, in
 * a directory reached without following any symlink.  When running as root
 * it is handed to the OpenDKIM user with fchown() on the open descriptor
 * before a single key byte is written, so it is never readable by group or
 * others, nor by the wrong owner, at any instant.  Key bytes live only in
 * memory that is wiped before it is released.
 *
 * Directory rules follow OpenDKIM's RequireSafeKeys (dkimf_securefile):
 * the key's directory and every directory above it, up to and including
 * the root, must be owned by root, the OpenDKIM user or the invoking user,
 * and writable by nobody else (no group or other write bit).  Missing
 * directories are created: 0750 owned by root with the OpenDKIM user's group
 * when running as root (OpenDKIM can enter them, nobody else can), 0700
 * owned by the invoking user otherwise.
 *
 * The umask is process-wide: key creation sets it to 077 and restores it,
 * so it must not run concurrently with other file creation in the process.
 */
#ifndef DK_APPLY_KEYGEN_H
#define DK_APPLY_KEYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model/model.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/log.h"
#include "util/path.h"

#define DK_RSA_BITS_DEFAULT 2048
#define DK_RSA_BITS_MIN     1024 /* below: refused for new keys */
#define DK_RSA_BITS_WEAK    2048 /* below: accepted with a warning */
#define DK_RSA_BITS_MAX     4096
#define DK_KEY_FILE_MAX     ((size_t)64 * 1024)
#define DK_OPENDKIM_USER    "opendkim"

/*
 * Check the size of a NEW key.  Ed25519 ignores bits.  RSA: 0 means the
 * default (2048); 1024..2047 are accepted and a warning sentence is written
 * into warn (warn[0] == '\0' otherwise); below 1024 or above 4096 -> -1
 * with DK_EINVAL.  *out_bits receives the size to use (may be NULL).
 */
int dk_keygen_check_bits(enum dk_keyalg alg, unsigned bits, unsigned *out_bits, char *warn,
                         size_t wsize, dk_err *e);

typedef struct dk_keygen_opts {
    enum dk_keyalg alg;
    unsigned bits;    /* RSA modulus; 0 = DK_RSA_BITS_DEFAULT */
    bool force;       /* replace an existing key (new temp file, then rename) */
    const char *user; /* OpenDKIM user; NULL = DK_OPENDKIM_USER */
} dk_keygen_opts;

typedef struct dk_keygen_result {
    bool created;  /* a key file was written */
    bool replaced; /* ... and it replaced an existing key (force) */
    bool chowned;  /* owned by the OpenDKIM user (running as root) */
    uid_t uid;     /* owner of the new file */
    gid_t gid;
    unsigned bits;            /* RSA modulus written; 0 for Ed25519 */
    char warning[DK_ERR_MSG]; /* "" or a sentence for the user (weak size, owner) */
} dk_keygen_result;

/*
 * Generate a key and write it to system path `sys` under root r.  An
 * existing file gives DK_EEXIST unless o->force; a symbolic link, a
 * non-regular file or a file with several hard links at `sys` is refused
 * with DK_EPERM even with force.  Unsafe directories give DK_EPERM and
 * nothing is written.  `p` (may be NULL) is polled while an RSA key is
 * generated; cancelling gives DK_ECANCEL and leaves nothing behind.
 */
int dk_keygen_write(const dk_root *r, const char *sys, const dk_keygen_opts *o,
                    const dk_progress *p, dk_keygen_result *res, dk_err *e);

/*
 * Look up the OpenDKIM user: in ROOT/etc/passwd under --root, with
 * getpwnam() on the real root.  DK_ENOENT when there is no such user.
 */
int dk_keygen_lookup_user(const dk_root *r, const char *user, uid_t *uid, gid_t *gid, dk_err *e);

/*
 * The DKIM p= value of a private key given as PEM (PKCS#8 or PKCS#1) or DER:
 * RSA -> base64 of the SubjectPublicKeyInfo DER; Ed25519 -> base64 of the
 * raw 32-byte public key (RFC 8463).  p_b64 receives the text (appended).
 * alg and bits (RSA modulus, 0 for Ed25519) may be NULL.  `name` is used in
 * errors.  Encrypted keys are refused, never prompted for.
 */
int dk_key_public_from_pem(const char *name, const void *data, size_t len, enum dk_keyalg *alg,
                           unsigned *bits, dk_buf *p_b64, dk_err *e);

/* The same for the key file at system path `sys` under root r (read without
 * following symlinks, into wiped memory).  A missing file gives DK_ENOENT. */
int dk_key_public_from_file(const dk_root *r, const char *sys, enum dk_keyalg *alg, unsigned *bits,
                            dk_buf *p_b64, dk_err *e);

/* What dk_keygen_model did with one selector. */
enum dk_keygen_status {
    DK_KG_CREATED,  /* new key written */
    DK_KG_REPLACED, /* existing key replaced (force) */
    DK_KG_EXISTS,   /* key file present, left alone */
    DK_KG_SKIPPED   /* revoked or retired selector: no key needed */
};

typedef struct dk_keygen_item {
    const dk_domain *domain;
    const dk_selector *sel;
    enum dk_keygen_status status;
} dk_keygen_item;

typedef struct dk_keygen_report {
    dk_keygen_item *v;
    size_t n, cap;
    dk_findings notes; /* warnings: weak sizes, ownership left, algorithm mismatch */
} dk_keygen_report;

void dk_keygen_report_init(dk_keygen_report *rep);
void dk_keygen_report_free(dk_keygen_report *rep);
const char *dk_keygen_status_name(enum dk_keygen_status s);

/*
 * Make the missing keys of the model: every active or pending selector of
 * every domain (or only domain `domain`, and only selector `selector`, when
 * not NULL) whose key file does not exist.  With force, the matching keys
 * are regenerated even when present.  Progress is reported as "keygen"
 * steps over the selectors and can cancel (DK_ECANCEL) between and during
 * keys.  A domain or selector named but absent from the model gives
 * DK_ENOENT.  Stops at the first failure; what was done so far is in rep.
 */
int dk_keygen_model(const dk_root *r, const dk_model *m, const char *domain, const char *selector,
                    bool force, const dk_progress *p, dk_keygen_report *rep, dk_err *e);

/* A dk_pubkey_fn (render/records.h) reading the selector's key file under
 * the dk_root passed as ud. */
int dk_keygen_pubkey_cb(void *ud, const dk_domain *d, const dk_selector *s, dk_buf *p_b64,
                        dk_err *e);

#endif
