/* keygen.c - DKIM key generation (RSA, Ed25519) and public-key extraction. */
#include "apply/keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "util/mem.h"

#define ED25519_RAW_LEN 32

/* Fill e with what OpenSSL said, after `what`; returns -1. */
static int ossl_err(dk_err *e, const char *what)
{
    char reason[256] = "";
    unsigned long code = ERR_get_error();

    if (code != 0)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    return dk_err_set(e, DK_ECRYPTO, "%s%s%s", what, reason[0] != '\0' ? ": " : "", reason);
}

int dk_keygen_check_bits(enum dk_keyalg alg, unsigned bits, unsigned *out_bits, char *warn,
                         size_t wsize, dk_err *e)
{
    if (warn != NULL && wsize > 0)
        warn[0] = '\0';
    if (alg == DK_KEY_ED25519) {
        if (out_bits != NULL)
            *out_bits = 0;
        return 0;
    }
    if (alg != DK_KEY_RSA)
        return dk_err_set(e, DK_EINVAL, "unknown key algorithm; accepted: rsa, ed25519");
    if (bits == 0)
        bits = DK_RSA_BITS_DEFAULT;
    if (bits < DK_RSA_BITS_MIN || bits > DK_RSA_BITS_MAX)
        return dk_err_setloc(e, DK_EINVAL, "bits", 0, 0,
                             "%u-bit RSA keys are refused for new keys; accepted: %d..%d "
                             "(%d recommended)",
                             bits, DK_RSA_BITS_MIN, DK_RSA_BITS_MAX, DK_RSA_BITS_DEFAULT);
    if (bits < DK_RSA_BITS_WEAK && warn != NULL && wsize > 0)
        (void)snprintf(warn, wsize,
                       "%u-bit RSA is weak (RFC 8301 asks verifiers to accept 1024 but signers "
                       "to use at least 2048); use %d or more",
                       bits, DK_RSA_BITS_WEAK);
    if (out_bits != NULL)
        *out_bits = bits;
    return 0;
}

/* ---- the OpenDKIM user ---------------------------------------------------------- */

/* A decimal id field of passwd; false when malformed. */
static bool parse_id(const char *s, size_t n, unsigned long limit, unsigned long *out)
{
    unsigned long v = 0;

    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v >= limit)
        return false;
    *out = v;
    return true;
}

/* Find `user` in passwd text (name:password:uid:gid:...); 1 found, 0 not
 * there, -1 malformed entry. */
static int passwd_find(const char *text, size_t len, const char *user, uid_t *uid, gid_t *gid)
{
    size_t ulen = strlen(user), pos = 0;

    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl != NULL ? (size_t)(nl - line) : len - pos;
        const char *f[5];
        size_t nf = 0, start = 0;
        unsigned long u, g;

        pos += llen + 1;
        if (!(llen > ulen && memcmp(line, user, ulen) == 0 && line[ulen] == ':'))
            continue;
        for (size_t i = 0; i <= llen && nf < 5; i++)
            if (i == llen || line[i] == ':') {
                f[nf++] = line + start;
                start = i + 1;
            }
        if (nf < 5)
            return -1;
        if (!parse_id(f[2], (size_t)(f[3] - f[2] - 1), (unsigned long)(uid_t)-1, &u) ||
            !parse_id(f[3], (size_t)(f[4] - f[3] - 1), (unsigned long)(gid_t)-1, &g))
            return -1;
        *uid = (uid_t)u;
        *gid = (gid_t)g;
        return 1;
    }
    return 0;
}

int dk_keygen_lookup_user(const dk_root *r, const char *user, uid_t *uid, gid_t *gid, dk_err *e)
{
    if (user == NULL || user[0] == '\0')
        user = DK_OPENDKIM_USER;
    if (strchr(user, ':') != NULL || strchr(user, '\n') != NULL)
        return dk_err_setloc(e, DK_EINVAL, "opendkim.user", 0, 0, "'%s' is not a user name", user);
    if (dk_root_is_real(r)) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);

        if (rc != 0)
            return dk_err_errno(e, rc, "looking up user %s", user);
        if (res == NULL)
            return dk_err_set(e, DK_ENOENT,
                              "user '%s' does not exist; install OpenDKIM or set opendkim.user",
                              user);
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
        return 0;
    } else {
        dk_buf b;
        dk_err le;
        int rc;

        dk_buf_init(&b, 0);
        if (dk_root_read_file(r, "/etc/passwd", (size_t)4 * 1024 * 1024, &b, NULL, &le) < 0) {
            dk_buf_free(&b);
            if (e != NULL)
                *e = le;
            return dk_err_prefix(e, "looking up user %s under %s: ", user, r->dir);
        }
        rc = passwd_find(b.data != NULL ? b.data : "", b.len, user, uid, gid);
        dk_buf_free(&b);
        if (rc < 0)
            return dk_err_setloc(e, DK_EINVAL, "/etc/passwd", 0, 0,
                                 "the entry of user %s is malformed", user);
        if (rc == 0)
            return dk_err_set(e, DK_ENOENT,
                              "user '%s' does not exist in %s/etc/passwd; install OpenDKIM or "
                              "set opendkim.user",
                              user, r->dir);
        return 0;
    }
}

/* ---- safe directories ------------------------------------------------------------- */

typedef struct owners {
    uid_t me;
    bool have_dk; /* the OpenDKIM user is known */
    uid_t dk_uid;
    gid_t dk_gid;
} owners;

/* OpenDKIM's rule for a directory above a key: owned by root, OpenDKIM or us
 * (the user that will run it), and writable by nobody else. */
static int dir_safe(int fd, const char *shown, const owners *o, dk_err *e)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return dk_err_errno(e, errno, "%s", shown);
    if (!S_ISDIR(st.st_mode))
        return dk_err_setloc(e, DK_EINVAL, shown, 0, 0, "is not a directory");
    if (st.st_uid != 0 && st.st_uid != o->me && !(o->have_dk && st.st_uid == o->dk_uid))
        return dk_err_setloc(e, DK_EPERM, shown, 0, 0,
                             "is owned by uid %lu, neither root nor the OpenDKIM user; OpenDKIM "
                             "(RequireSafeKeys) refuses keys below it (fix: chown root %s)",
                             (unsigned long)st.st_uid, shown);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return dk_err_setloc(e, DK_EPERM, shown, 0, 0,
                             "is writable by group or others (mode %04o); OpenDKIM "
                             "(RequireSafeKeys) refuses keys below it (fix: chmod go-w %s)",
                             (unsigned)(st.st_mode & 07777), shown);
    return 0;
}

/*
 * Open the directory that will hold `sys`, component by component from the
 * root, never following a symlink, creating missing directories, and check
 * every one (the root included) as OpenDKIM would.  Must run under umask 077.
 */
static int open_key_dir(const dk_root *r, const char *sys, const owners *o, const char **base,
                        dk_err *e)
{
    char comp[NAME_MAX + 1], shown[DK_PATH_MAX];
    const char *slash;
    size_t i = 1, upto;
    int fd;

    if (!dk_path_is_clean(sys) || strcmp(sys, "/") == 0)
        return dk_err_setloc(e, DK_EINVAL, "key_path", 0, 0,
                             "'%s' is not a clean absolute file path", sys);
    slash = strrchr(sys, '/');
    *base = slash + 1;
    upto = (size_t)(slash - sys);
    fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dk_err_errno(e, errno, "opening root %s", r->dir);
    if (dir_safe(fd, dk_root_is_real(r) ? "/" : r->dir, o, e) < 0)
        goto fail;
    while (i < upto) {
        size_t j = i, n;
        bool made = false;
        int next;

        while (j < upto && sys[j] != '/')
            j++;
        n = j - i;
        if (n >= sizeof comp) {
            dk_err_set(e, DK_EINVAL, "path component too long in %s", sys);
            goto fail;
        }
        memcpy(comp, sys + i, n);
        comp[n] = '\0';
        (void)snprintf(shown, sizeof shown, "%.*s", (int)j, sys);
        next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(fd, comp, 0700) == 0)
                made = true;
            else if (errno != EEXIST) {
                dk_err_errno(e, errno, "creating directory %s", shown);
                goto fail;
            }
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int err = errno;
            struct stat st;

            if ((err == ELOOP || err == ENOTDIR) &&
                fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                dk_err_setloc(e, DK_EPERM, shown, 0, 0,
                              "is a symbolic link; refusing to follow it to a key directory");
            else if (err == ENOTDIR)
                dk_err_setloc(e, DK_EINVAL, shown, 0, 0, "is not a directory");
            else
                dk_err_errno(e, err, "opening directory %s", shown);
            goto fail;
        }
        (void)close(fd);
        fd = next;
        if (made) {
            /* root: root:opendkim 0750 so OpenDKIM can enter; else ours, 0700 */
            mode_t mode = 0700;

            if (o->me == 0 && o->have_dk) {
                if (fchown(fd, 0, o->dk_gid) < 0) {
                    dk_err_errno(e, errno, "setting the group of %s", shown);
                    goto fail;
                }
                mode = 0750;
            }
            if (fchmod(fd, mode) < 0) {
                dk_err_errno(e, errno, "setting the mode of %s", shown);
                goto fail;
            }
        }
        if (dir_safe(fd, shown, o, e) < 0)
            goto fail;
        i = j + 1;
    }
    return fd;
fail:
    (void)close(fd);
    return -1;
}

/* ---- generation ------------------------------------------------------------------- */

typedef struct gen_ctx {
    const dk_progress *p;
    unsigned long n;
    bool cancelled;
} gen_ctx;

static int gen_cb(EVP_PKEY_CTX *ctx)
{
    gen_ctx *g = EVP_PKEY_CTX_get_app_data(ctx);

    if (g == NULL)
        return 1;
    if (dk_progress_step(g->p, "generating key", ++g->n, 0)) {
        g->cancelled = true;
        return 0;
    }
    return 1;
}

static EVP_PKEY *generate(enum dk_keyalg alg, unsigned bits, const dk_progress *p, dk_err *e)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    gen_ctx g = {p, 0, false};

    ctx = EVP_PKEY_CTX_new_from_name(NULL, alg == DK_KEY_ED25519 ? "ED25519" : "RSA", NULL);
    if (ctx == NULL) {
        ossl_err(e, "creating the key generator");
        return NULL;
    }
    if (EVP_PKEY_keygen_init(ctx) <= 0) {
        ossl_err(e, "initialising key generation");
        goto out;
    }
    if (alg == DK_KEY_RSA) {
        BIGNUM *pub = BN_new();
        int ok = pub != NULL && BN_set_word(pub, RSA_F4) == 1 &&
                 EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0 &&
                 EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, pub) > 0;

        BN_free(pub);
        if (!ok) {
            ossl_err(e, "setting the RSA key size and exponent");
            goto out;
        }
        EVP_PKEY_CTX_set_app_data(ctx, &g);
        EVP_PKEY_CTX_set_cb(ctx, gen_cb);
    }
    if (EVP_PKEY_generate(ctx, &pkey) <= 0) {
        pkey = NULL;
        if (g.cancelled) {
            ERR_clear_error();
            dk_err_set(e, DK_ECANCEL, "key generation cancelled");
        } else {
            ossl_err(e, "generating the key");
        }
    }
out:
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* write(2) all of it. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* PEM (PKCS#8) of pkey written through fd from OpenSSL secure memory that is
 * wiped before release. */
static int write_pem(int fd, EVP_PKEY *pkey, const char *shown, dk_err *e)
{
    BIO *mem = BIO_new(BIO_s_secmem());
    BUF_MEM *bm = NULL;
    int rc = -1;

    if (mem == NULL)
        return ossl_err(e, "allocating key memory");
    if (PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        ossl_err(e, "encoding the private key");
        goto out;
    }
    BIO_get_mem_ptr(mem, &bm);
    if (bm == NULL || bm->length == 0) {
        dk_err_set(e, DK_ECRYPTO, "encoding the private key gave nothing");
        goto out;
    }
    if (write_all(fd, bm->data, bm->length) < 0) {
        dk_err_errno(e, errno, "writing %s", shown);
        goto out;
    }
    if (fsync(fd) < 0) {
        dk_err_errno(e, errno, "fsync %s", shown);
        goto out;
    }
    rc = 0;
out:
    if (bm != NULL && bm->data != NULL)
        OPENSSL_cleanse(bm->data, bm->max);
    BIO_free(mem);
    return rc;
}

/* Create name in dfd exclusively, hand it over, write the key. */
static int create_key_file(int dfd, const char *name, const char *shown, EVP_PKEY *pkey,
                           const owners *o, bool chown_it, dk_keygen_result *res, dk_err *e)
{
    struct stat st;
    int fd = openat(dfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);

    if (fd < 0) {
        if (errno == EEXIST)
            return dk_err_setloc(e, DK_EEXIST, shown, 0, 0,
                                 "appeared while the key was generated; nothing written");
        return dk_err_errno(e, errno, "creating %s", shown);
    }
    /* owner and mode first: no key byte exists before they are final */
    if (chown_it && fchown(fd, o->dk_uid, o->dk_gid) < 0) {
        dk_err_errno(e, errno, "handing %s to uid %lu", shown, (unsigned long)o->dk_uid);
        goto fail;
    }
    if (fchmod(fd, 0600) < 0) {
        dk_err_errno(e, errno, "setting the mode of %s", shown);
        goto fail;
    }
    if (fstat(fd, &st) < 0) {
        dk_err_errno(e, errno, "%s", shown);
        goto fail;
    }
    if ((st.st_mode & 077) != 0 || !S_ISREG(st.st_mode)) {
        dk_err_setloc(e, DK_EINTERNAL, shown, 0, 0, "was created with mode %04o",
                      (unsigned)(st.st_mode & 07777));
        goto fail;
    }
    if (write_pem(fd, pkey, shown, e) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        dk_err_errno(e, errno, "closing %s", shown);
        goto fail;
    }
    res->uid = st.st_uid;
    res->gid = st.st_gid;
    return 0;
fail:
    if (fd >= 0)
        (void)close(fd);
    (void)unlinkat(dfd, name, 0);
    return -1;
}

static int keygen_in_dir(const dk_root *r, const char *sys, const dk_keygen_opts *o,
                         const dk_progress *p, const owners *ow, bool chown_it, unsigned bits,
                         dk_keygen_result *res, dk_err *e)
{
    const char *base = NULL;
    struct stat st;
    bool exists = false;
    EVP_PKEY *pkey = NULL;
    int dfd, rc = -1;

    dfd = open_key_dir(r, sys, ow, &base, e);
    if (dfd < 0)
        return -1;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        exists = true;
        if (S_ISLNK(st.st_mode)) {
            dk_err_setloc(e, DK_EPERM, sys, 0, 0,
                          "is a symbolic link; refusing to write a key through it");
            goto out;
        }
        if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
            dk_err_setloc(e, DK_EPERM, sys, 0, 0,
                          "is not a regular file with a single link; refusing to replace it");
            goto out;
        }
        if (!o->force) {
            dk_err_setloc(e, DK_EEXIST, sys, 0, 0,
                          "a key already exists; it is not replaced (--force replaces it)");
            goto out;
        }
    } else if (errno != ENOENT) {
        dk_err_errno(e, errno, "%s", sys);
        goto out;
    }

    pkey = generate(o->alg, bits, p, e);
    if (pkey == NULL)
        goto out;

    if (!exists) {
        if (create_key_file(dfd, base, sys, pkey, ow, chown_it, res, e) < 0)
            goto out;
    } else {
        /* never truncate in place: a new file under a fresh name, then rename */
        char tmp[NAME_MAX + 1];
        unsigned char rnd[6];
        int n;

        if (RAND_bytes(rnd, sizeof rnd) != 1) {
            ossl_err(e, "random temporary name");
            goto out;
        }
        n = snprintf(tmp, sizeof tmp, ".%.200s.new-%02x%02x%02x%02x%02x%02x", base, rnd[0], rnd[1],
                     rnd[2], rnd[3], rnd[4], rnd[5]);
        if (n < 0 || (size_t)n >= sizeof tmp) {
            dk_err_set(e, DK_EINVAL, "key file name too long: %s", sys);
            goto out;
        }
        if (create_key_file(dfd, tmp, sys, pkey, ow, chown_it, res, e) < 0)
            goto out;
        if (renameat(dfd, tmp, dfd, base) < 0) {
            dk_err_errno(e, errno, "replacing %s", sys);
            (void)unlinkat(dfd, tmp, 0);
            goto out;
        }
        res->replaced = true;
    }
    if (fsync(dfd) < 0) {
        dk_err_errno(e, errno, "fsync of the directory of %s", sys);
        goto out;
    }
    res->created = true;
    rc = 0;
out:
    EVP_PKEY_free(pkey);
    (void)close(dfd);
    return rc;
}

int dk_keygen_write(const dk_root *r, const char *sys, const dk_keygen_opts *o,
                    const dk_progress *p, dk_keygen_result *res, dk_err *e)
{
    dk_keygen_result local;
    owners ow;
    unsigned bits;
    mode_t old;
    bool chown_it;
    int rc;

    if (res == NULL)
        res = &local;
    memset(res, 0, sizeof *res);
    if (dk_keygen_check_bits(o->alg, o->bits, &bits, res->warning, sizeof res->warning, e) < 0)
        return -1;
    res->bits = bits;

    memset(&ow, 0, sizeof ow);
    ow.me = geteuid();
    if (ow.me == 0) {
        /* root: the key goes to the OpenDKIM user, who must exist */
        if (dk_keygen_lookup_user(r, o->user, &ow.dk_uid, &ow.dk_gid, e) < 0)
            return -1;
        ow.have_dk = true;
    } else {
        dk_err ignored;

        ow.have_dk = dk_keygen_lookup_user(r, o->user, &ow.dk_uid, &ow.dk_gid, &ignored) == 0;
    }
    chown_it = ow.me == 0;

    old = umask(077);
    rc = keygen_in_dir(r, sys, o, p, &ow, chown_it, bits, res, e);
    (void)umask(old);
    if (rc < 0)
        return -1;
    res->chowned = chown_it;
    if (!chown_it) {
        size_t n = strlen(res->warning);

        (void)snprintf(res->warning + n, sizeof res->warning - n,
                       "%snot running as root: %s is left owned by uid %lu; OpenDKIM must run "
                       "as that user or the file must be given to user %s",
                       n > 0 ? "; " : "", sys, (unsigned long)res->uid,
                       o->user != NULL ? o->user : DK_OPENDKIM_USER);
    }
    return 0;
}

/* ---- public keys ------------------------------------------------------------------ */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* never prompt: encrypted keys are refused */
}

static int b64_append(dk_buf *out, const unsigned char *der, size_t len, dk_err *e)
{
    size_t need = 4 * ((len + 2) / 3);

    if (len > INT_MAX / 2)
        return dk_err_set(e, DK_EINVAL, "public key too large");
    if (dk_buf_reserve(out, need, e) < 0)
        return -1;
    if (EVP_EncodeBlock((unsigned char *)out->data + out->len, der, (int)len) != (int)need)
        return dk_err_set(e, DK_ECRYPTO, "base64 encoding failed");
    out->len += need;
    out->data[out->len] = '\0';
    return 0;
}

int dk_key_public_from_pem(const char *name, const void *data, size_t len, enum dk_keyalg *alg,
                           unsigned *bits, dk_buf *p_b64, dk_err *e)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio;
    int id, rc = -1;

    if (len == 0 || len > DK_KEY_FILE_MAX)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0,
                             "is not a private key (empty or over %zu bytes)", DK_KEY_FILE_MAX);
    if (len > INT_MAX)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0, "is too large");
    bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL)
        return ossl_err(e, "reading the key");
    if (len >= 5 && memcmp(data, "-----", 5) == 0)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    else
        pkey = d2i_PrivateKey_bio(bio, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        ERR_clear_error();
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0,
                             "is not an unencrypted PEM (PKCS#8 or PKCS#1) or DER private key");
    }
    id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_RSA) {
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(pkey, &der);

        if (n <= 0) {
            ossl_err(e, "encoding the public key");
            goto out;
        }
        rc = b64_append(p_b64, der, (size_t)n, e);
        OPENSSL_free(der);
        if (alg != NULL)
            *alg = DK_KEY_RSA;
        if (bits != NULL)
            *bits = (unsigned)EVP_PKEY_get_bits(pkey);
    } else if (id == EVP_PKEY_ED25519) {
        unsigned char raw[ED25519_RAW_LEN];
        size_t n = sizeof raw;

        if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != ED25519_RAW_LEN) {
            ossl_err(e, "reading the Ed25519 public key");
            goto out;
        }
        rc = b64_append(p_b64, raw, n, e);
        if (alg != NULL)
            *alg = DK_KEY_ED25519;
        if (bits != NULL)
            *bits = 0;
    } else {
        dk_err_setloc(e, DK_EINVAL, name, 0, 0,
                      "holds a %s key; DKIM keys are RSA (k=rsa) or Ed25519 (k=ed25519)",
                      OBJ_nid2sn(id));
    }
out:
    EVP_PKEY_free(pkey);
    return rc;
}

int dk_key_public_from_file(const dk_root *r, const char *sys, enum dk_keyalg *alg, unsigned *bits,
                            dk_buf *p_b64, dk_err *e)
{
    dk_buf key;
    int rc;

    dk_buf_init_secret(&key, DK_KEY_FILE_MAX);
    rc = dk_root_read_file(r, sys, DK_KEY_FILE_MAX, &key, NULL, e);
    if (rc == 0)
        rc = dk_key_public_from_pem(sys, key.data, key.len, alg, bits, p_b64, e);
    dk_buf_free(&key);
    return rc;
}

int dk_keygen_pubkey_cb(void *ud, const dk_domain *d, const dk_selector *s, dk_buf *p_b64,
                        dk_err *e)
{
    const dk_root *r = ud;
    enum dk_keyalg alg;

    if (dk_key_public_from_file(r, s->key_path, &alg, NULL, p_b64, e) < 0)
        return -1;
    if (alg != s->alg)
        return dk_err_setloc(e, DK_EINVAL, s->key_path, 0, 0,
                             "holds an %s key but selector %s of %s is %s in the model",
                             alg == DK_KEY_RSA ? "RSA" : "Ed25519", s->name, d->name,
                             s->alg == DK_KEY_RSA ? "rsa" : "ed25519");
    return 0;
}

/* ---- the model's keys ---------------------------------------------------------------- */

void dk_keygen_report_init(dk_keygen_report *rep)
{
    rep->v = NULL;
    rep->n = 0;
    rep->cap = 0;
    dk_findings_init(&rep->notes);
}

void dk_keygen_report_free(dk_keygen_report *rep)
{
    free(rep->v);
    dk_findings_free(&rep->notes);
    dk_keygen_report_init(rep);
}

const char *dk_keygen_status_name(enum dk_keygen_status s)
{
    switch (s) {
    case DK_KG_CREATED:
        return "created";
    case DK_KG_REPLACED:
        return "replaced";
    case DK_KG_EXISTS:
        return "exists";
    case DK_KG_SKIPPED:
        return "skipped";
    }
    return "?";
}

static int report_add(dk_keygen_report *rep, const dk_domain *d, const dk_selector *s,
                      enum dk_keygen_status st, dk_err *e)
{
    if (rep->n == rep->cap) {
        size_t ncap = rep->cap == 0 ? 8 : rep->cap * 2;
        dk_keygen_item *nv = dk_reallocarray(rep->v, ncap, sizeof *nv, e);

        if (nv == NULL)
            return -1;
        rep->v = nv;
        rep->cap = ncap;
    }
    rep->v[rep->n].domain = d;
    rep->v[rep->n].sel = s;
    rep->v[rep->n].status = st;
    rep->n++;
    return 0;
}

static bool wanted(const dk_domain *d, const dk_selector *s, const char *domain,
                   const char *selector)
{
    return (domain == NULL || strcmp(domain, d->name) == 0) &&
           (selector == NULL || strcmp(selector, s->name) == 0);
}

/* An existing key: note when it does not match the model. */
static int check_existing(const dk_root *r, const dk_domain *d, const dk_selector *s,
                          dk_keygen_report *rep, dk_err *e)
{
    dk_buf pub;
    dk_err le;
    enum dk_keyalg alg;
    unsigned bits;
    int rc = 0;

    dk_buf_init(&pub, 0);
    if (dk_key_public_from_file(r, s->key_path, &alg, &bits, &pub, &le) < 0)
        rc = dk_findings_add(&rep->notes, DK_SEV_WARN, s->key_path,
                             "check the file or replace it with --force", "%s", le.msg);
    else if (alg != s->alg)
        rc = dk_findings_add(&rep->notes, DK_SEV_WARN, s->key_path,
                             "fix the model or replace the key with --force",
                             "holds an %s key but selector %s of %s is %s in the model",
                             alg == DK_KEY_RSA ? "RSA" : "Ed25519", s->name, d->name,
                             s->alg == DK_KEY_RSA ? "rsa" : "ed25519");
    else if (alg == DK_KEY_RSA && bits < DK_RSA_BITS_WEAK)
        rc = dk_findings_add(&rep->notes, DK_SEV_WARN, s->key_path,
                             "rotate to a new selector with a 2048-bit key",
                             "existing key is %u-bit RSA", bits);
    dk_buf_free(&pub);
    if (rc < 0)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    return 0;
}

int dk_keygen_model(const dk_root *r, const dk_model *m, const char *domain, const char *selector,
                    bool force, const dk_progress *p, dk_keygen_report *rep, dk_err *e)
{
    unsigned long total = 0, done = 0;
    bool dom_found = domain == NULL, sel_found = selector == NULL;

    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        if (domain != NULL && strcmp(domain, d->name) == 0)
            dom_found = true;
        for (size_t j = 0; j < d->nsel; j++)
            if (wanted(d, &d->sel[j], domain, selector)) {
                sel_found = true;
                total++;
            }
    }
    if (!dom_found)
        return dk_err_setloc(e, DK_ENOENT, "--domain", 0, 0, "%s is not in the model", domain);
    if (!sel_found)
        return dk_err_setloc(e, DK_ENOENT, "--selector", 0, 0, "%s is not in the model%s%s",
                             selector, domain != NULL ? " for " : "", domain != NULL ? domain : "");

    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        for (size_t j = 0; j < d->nsel; j++) {
            const dk_selector *s = &d->sel[j];
            dk_keygen_opts o;
            dk_keygen_result res;
            struct stat st;
            dk_err le;
            bool exists;

            if (!wanted(d, s, domain, selector))
                continue;
            if (dk_progress_step(p, "keygen", done, total))
                return dk_err_set(e, DK_ECANCEL, "key generation cancelled");
            done++;
            if (s->state == DK_SEL_REVOKED || s->state == DK_SEL_RETIRED) {
                if (report_add(rep, d, s, DK_KG_SKIPPED, e) < 0)
                    return -1;
                continue;
            }
            if (dk_root_lstat(r, s->key_path, &st, &le) == 0)
                exists = true;
            else if (le.code == DK_ENOENT)
                exists = false;
            else {
                if (e != NULL)
                    *e = le;
                return -1;
            }
            if (exists && !force) {
                if (!S_ISREG(st.st_mode))
                    return dk_err_setloc(e, DK_EPERM, s->key_path, 0, 0,
                                         "is not a regular file (a symbolic link?); refused");
                if (check_existing(r, d, s, rep, e) < 0 ||
                    report_add(rep, d, s, DK_KG_EXISTS, e) < 0)
                    return -1;
                continue;
            }
            memset(&o, 0, sizeof o);
            o.alg = s->alg;
            o.bits = s->alg == DK_KEY_RSA ? s->bits : 0;
            o.force = force;
            o.user = m->opendkim.user[0] != '\0' ? m->opendkim.user : NULL;
            if (dk_keygen_write(r, s->key_path, &o, p, &res, e) < 0) {
                char where[DK_DOMAIN_MAX + DK_SELECTOR_MAX + 16];

                (void)snprintf(where, sizeof where, "%s selector %s: ", d->name, s->name);
                return dk_err_prefix(e, "%s", where);
            }
            if (res.warning[0] != '\0' &&
                dk_findings_add(&rep->notes, DK_SEV_WARN, s->key_path, NULL, "%s", res.warning) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            if (report_add(rep, d, s, res.replaced ? DK_KG_REPLACED : DK_KG_CREATED, e) < 0)
                return -1;
        }
    }
    (void)dk_progress_step(p, "keygen", done, total);
    return 0;
}
