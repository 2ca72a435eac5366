/* test_keygen.c - key generation: modes, owners, refusals, public keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "apply/keygen.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/path.h"

#define KEYDIR "tests/unit/data/keys/"
#define DK_UID 105
#define DK_GID 108

typedef struct fixture {
    char dir[64];
    dk_root root;
} fixture;

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void hpath(const fixture *fx, const char *sys, char *out, size_t n)
{
    assert_true((size_t)snprintf(out, n, "%s%s", fx->dir, sys) < n);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char p[256];

    if (fx == NULL)
        return -1;
    strcpy(fx->dir, "/tmp/dk-keygen-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    (void)snprintf(p, sizeof p, "%s/etc", fx->dir);
    if (mkdir(p, 0755) < 0)
        return -1;
    (void)snprintf(p, sizeof p, "%s/etc/passwd", fx->dir);
    write_text(p, "root:x:0:0:root:/root:/bin/bash\n"
                  "opendkim:x:105:108::/run/opendkim:/usr/sbin/nologin\n"
                  "other::1234:1234::/:/bin/sh\n");
    if (dk_root_init(&fx->root, fx->dir, NULL) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;

    (void)nftw(fx->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static size_t b64_decoded_len(const char *b64)
{
    unsigned char out[1024];
    size_t n = strlen(b64);
    int r;

    assert_true(n % 4 == 0 && n / 4 * 3 <= sizeof out);
    r = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
    assert_true(r >= 0);
    if (n >= 1 && b64[n - 1] == '=')
        r--;
    if (n >= 2 && b64[n - 2] == '=')
        r--;
    return (size_t)r;
}

static char *read_text(const char *path)
{
    dk_buf b;
    dk_err e;

    dk_buf_init(&b, 0);
    assert_int_equal(dk_read_file(path, 1 << 20, &b, &e), 0);
    return dk_buf_steal(&b, NULL);
}

/* ---- sizes --------------------------------------------------------------------- */

static void test_bits(void **state)
{
    char warn[DK_ERR_MSG];
    unsigned bits;
    dk_err e;

    (void)state;
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 1023, &bits, warn, sizeof warn, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_non_null(strstr(e.msg, "1024..4096"));
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 4097, &bits, warn, sizeof warn, &e), -1);
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 512, &bits, warn, sizeof warn, &e), -1);
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 1024, &bits, warn, sizeof warn, &e), 0);
    assert_int_equal(bits, 1024);
    assert_non_null(strstr(warn, "weak"));
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 2048, &bits, warn, sizeof warn, &e), 0);
    assert_string_equal(warn, "");
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 0, &bits, warn, sizeof warn, &e), 0);
    assert_int_equal(bits, 2048);
    assert_int_equal(dk_keygen_check_bits(DK_KEY_RSA, 4096, &bits, warn, sizeof warn, &e), 0);
    assert_int_equal(dk_keygen_check_bits(DK_KEY_ED25519, 1, &bits, warn, sizeof warn, &e), 0);
    assert_int_equal(bits, 0);
}

static void test_1023_refused_nothing_written(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_RSA, 1023, false, NULL};
    dk_keygen_result res;
    struct stat st;
    char p[256];
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, &res, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    hpath(fx, "/etc/dkimkeys", p, sizeof p);
    assert_int_equal(lstat(p, &st), -1);
}

/* ---- creation ------------------------------------------------------------------- */

static void test_ed25519_created_0600(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    dk_keygen_result res;
    enum dk_keyalg alg;
    unsigned bits = 99;
    struct stat st;
    char p[256];
    dk_buf pub;
    dk_err e;
    char *pem;

    assert_int_equal(
        dk_keygen_write(&fx->root, "/etc/dkimkeys/example.org/s1.private", &o, NULL, &res, &e), 0);
    assert_true(res.created);
    assert_false(res.replaced);
    hpath(fx, "/etc/dkimkeys/example.org/s1.private", p, sizeof p);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_nlink, 1);
    if (geteuid() == 0) {
        assert_true(res.chowned);
        assert_int_equal(st.st_uid, DK_UID);
        assert_int_equal(st.st_gid, DK_GID);
        assert_string_equal(res.warning, "");
    } else {
        assert_false(res.chowned);
        assert_int_equal(st.st_uid, geteuid());
        assert_non_null(strstr(res.warning, "not running as root"));
    }
    /* created directories: nobody but root/OpenDKIM may enter or write */
    hpath(fx, "/etc/dkimkeys/example.org", p, sizeof p);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 0027, 0);
    if (geteuid() == 0) {
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_gid, DK_GID);
    } else {
        assert_int_equal(st.st_mode & 07777, 0700);
    }

    hpath(fx, "/etc/dkimkeys/example.org/s1.private", p, sizeof p);
    pem = read_text(p);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----\n")); /* PKCS#8 */
    dk_wipe(pem, strlen(pem));
    free(pem);

    dk_buf_init(&pub, 0);
    assert_int_equal(dk_key_public_from_file(&fx->root, "/etc/dkimkeys/example.org/s1.private",
                                             &alg, &bits, &pub, &e),
                     0);
    assert_int_equal(alg, DK_KEY_ED25519);
    assert_int_equal(bits, 0);
    assert_int_equal(pub.len, 44); /* RFC 8463: raw 32-byte key */
    assert_int_equal(b64_decoded_len(pub.data), 32);
    dk_buf_free(&pub);
}

static void test_rsa1024_warned_spki(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_RSA, 1024, false, NULL};
    dk_keygen_result res;
    enum dk_keyalg alg;
    unsigned bits = 0;
    struct stat st;
    char p[256];
    dk_buf pub;
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/r.private", &o, NULL, &res, &e), 0);
    assert_non_null(strstr(res.warning, "1024-bit RSA is weak"));
    assert_int_equal(res.bits, 1024);
    hpath(fx, "/etc/dkimkeys/r.private", p, sizeof p);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    dk_buf_init(&pub, 0);
    assert_int_equal(
        dk_key_public_from_file(&fx->root, "/etc/dkimkeys/r.private", &alg, &bits, &pub, &e), 0);
    assert_int_equal(alg, DK_KEY_RSA);
    assert_int_equal(bits, 1024);
    /* SubjectPublicKeyInfo of a 1024-bit key: 162 bytes, "MIGf" */
    assert_int_equal(b64_decoded_len(pub.data), 162);
    assert_memory_equal(pub.data, "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ", 38);
    dk_buf_free(&pub);
}

static void test_rsa2048_default(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_RSA, 0, false, NULL};
    dk_keygen_result res;
    unsigned bits = 0;
    dk_buf pub;
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/d.private", &o, NULL, &res, &e), 0);
    assert_int_equal(res.bits, 2048);
    dk_buf_init(&pub, 0);
    assert_int_equal(
        dk_key_public_from_file(&fx->root, "/etc/dkimkeys/d.private", NULL, &bits, &pub, &e), 0);
    assert_int_equal(bits, 2048);
    assert_int_equal(pub.len, 392);
    dk_buf_free(&pub);
}

/* ---- refusals ----------------------------------------------------------------------- */

static void test_symlink_at_key_path_refused(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    char dir[256], link[256], target[256];
    struct stat st;
    dk_err e;
    char *t;

    hpath(fx, "/etc/dkimkeys", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    hpath(fx, "/victim", target, sizeof target);
    write_text(target, "precious\n");
    hpath(fx, "/etc/dkimkeys/k.private", link, sizeof link);
    assert_int_equal(symlink(target, link), 0);
    for (int force = 0; force <= 1; force++) {
        o.force = force != 0;
        assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e),
                         -1);
        assert_int_equal(e.code, DK_EPERM);
        assert_non_null(strstr(e.msg, "symbolic link"));
    }
    t = read_text(target);
    assert_string_equal(t, "precious\n");
    free(t);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* a dangling symlink is refused too and nothing appears at its target */
    assert_int_equal(unlink(link), 0);
    hpath(fx, "/nothing-here", target, sizeof target);
    assert_int_equal(symlink(target, link), 0);
    o.force = false;
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_int_equal(lstat(target, &st), -1);
}

static void test_symlinked_key_dir_refused(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    char real[256], link[256];
    DIR *d;
    struct dirent *de;
    int entries = 0;
    dk_err e;

    hpath(fx, "/elsewhere", real, sizeof real);
    assert_int_equal(mkdir(real, 0700), 0);
    hpath(fx, "/etc/dkimkeys", link, sizeof link);
    assert_int_equal(symlink(real, link), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "symbolic link"));
    d = opendir(real);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            entries++;
    closedir(d);
    assert_int_equal(entries, 0);
}

static void test_group_writable_dir_refused(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    char dir[256], key[256];
    struct stat st;
    dk_err e;

    hpath(fx, "/etc/dkimkeys", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "writable by group or others"));
    hpath(fx, "/etc/dkimkeys/k.private", key, sizeof key);
    assert_int_equal(lstat(key, &st), -1);
    /* a world-writable directory higher up is refused as well */
    assert_int_equal(chmod(dir, 0700), 0);
    hpath(fx, "/etc", dir, sizeof dir);
    assert_int_equal(chmod(dir, 0757), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_int_equal(lstat(key, &st), -1);
    assert_int_equal(chmod(dir, 0755), 0);
}

static void test_foreign_owner_dir_refused(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    char dir[256];
    dk_err e;

    if (geteuid() != 0) {
        skip();
        return;
    }
    hpath(fx, "/etc/dkimkeys", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chown(dir, 1234, 1234), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "owned by uid 1234"));
    /* owned by the OpenDKIM user is fine (Debian's /etc/dkimkeys) */
    assert_int_equal(chown(dir, DK_UID, DK_GID), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), 0);
}

static void test_missing_user_as_root(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, "nosuchuser"};
    char key[256];
    struct stat st;
    uid_t u;
    gid_t g;
    dk_err e;

    assert_int_equal(dk_keygen_lookup_user(&fx->root, "opendkim", &u, &g, &e), 0);
    assert_int_equal(u, DK_UID);
    assert_int_equal(g, DK_GID);
    assert_int_equal(dk_keygen_lookup_user(&fx->root, "other", &u, &g, &e), 0); /* empty pw */
    assert_int_equal(u, 1234);
    assert_int_equal(dk_keygen_lookup_user(&fx->root, "nosuchuser", &u, &g, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    assert_int_equal(dk_keygen_lookup_user(&fx->root, "open", &u, &g, &e),
                     -1); /* no prefix match */
    if (geteuid() != 0)
        return;
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    hpath(fx, "/etc/dkimkeys/k.private", key, sizeof key);
    assert_int_equal(lstat(key, &st), -1);
}

static void test_existing_not_replaced_without_force(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, false, NULL};
    char key[256], dir[256];
    char *before, *after, *again;
    struct stat st;
    dk_keygen_result res;
    DIR *d;
    struct dirent *de;
    int entries = 0;
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), 0);
    hpath(fx, "/etc/dkimkeys/k.private", key, sizeof key);
    before = read_text(key);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EEXIST);
    assert_non_null(strstr(e.msg, "--force"));
    after = read_text(key);
    assert_string_equal(before, after);

    o.force = true;
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, &res, &e), 0);
    assert_true(res.replaced);
    again = read_text(key);
    assert_string_not_equal(before, again);
    assert_int_equal(lstat(key, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    if (geteuid() == 0)
        assert_int_equal(st.st_uid, DK_UID);
    /* no temporary file is left behind */
    hpath(fx, "/etc/dkimkeys", dir, sizeof dir);
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            entries++;
    closedir(d);
    assert_int_equal(entries, 1);
    free(before);
    free(after);
    free(again);
}

static void test_hardlinked_key_refused_with_force(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_ED25519, 0, true, NULL};
    char key[256], other[256];
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), 0);
    hpath(fx, "/etc/dkimkeys/k.private", key, sizeof key);
    hpath(fx, "/etc/dkimkeys/copy", other, sizeof other);
    assert_int_equal(link(key, other), 0);
    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, NULL, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
}

static bool cancel_now(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    int *calls = ud;

    (void)stage;
    (void)done;
    (void)total;
    (*calls)++;
    return true;
}

static void test_cancel_rsa_generation(void **state)
{
    fixture *fx = *state;
    dk_keygen_opts o = {DK_KEY_RSA, 4096, false, NULL};
    int calls = 0;
    dk_progress p = {cancel_now, &calls};
    char key[256];
    struct stat st;
    dk_err e;

    assert_int_equal(dk_keygen_write(&fx->root, "/etc/dkimkeys/k.private", &o, &p, NULL, &e), -1);
    assert_int_equal(e.code, DK_ECANCEL);
    assert_true(calls >= 1);
    hpath(fx, "/etc/dkimkeys/k.private", key, sizeof key);
    assert_int_equal(lstat(key, &st), -1);
}

/* ---- public keys of the fixtures (oracle: openssl pkey -pubout) ---------------------- */

static void check_fixture(const char *name, enum dk_keyalg want_alg, unsigned want_bits)
{
    char pem_path[256], p_path[256];
    enum dk_keyalg alg;
    unsigned bits;
    char *pem, *want;
    dk_buf pub;
    dk_err e;

    (void)snprintf(pem_path, sizeof pem_path, KEYDIR "%s.pem", name);
    (void)snprintf(p_path, sizeof p_path, KEYDIR "%s.p", name);
    pem = read_text(pem_path);
    want = read_text(p_path);
    dk_buf_init(&pub, 0);
    assert_int_equal(dk_key_public_from_pem(pem_path, pem, strlen(pem), &alg, &bits, &pub, &e), 0);
    assert_int_equal(alg, want_alg);
    assert_int_equal(bits, want_bits);
    assert_string_equal(pub.data, want);
    dk_buf_free(&pub);
    free(pem);
    free(want);
}

static void test_fixture_public_keys(void **state)
{
    (void)state;
    check_fixture("rsa1024", DK_KEY_RSA, 1024);
    check_fixture("rsa2048", DK_KEY_RSA, 2048);
    check_fixture("rsa2048-pkcs1", DK_KEY_RSA, 2048);
    check_fixture("rsa4096", DK_KEY_RSA, 4096);
    check_fixture("ed25519", DK_KEY_ED25519, 0);
}

static void test_bad_keys_refused(void **state)
{
    static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    char *pem;
    dk_buf pub;
    dk_err e;

    (void)state;
    dk_buf_init(&pub, 0);
    /* encrypted: refused, never prompted for */
    pem = read_text(KEYDIR "rsa1024-encrypted.pem");
    assert_int_equal(dk_key_public_from_pem("enc", pem, strlen(pem), NULL, NULL, &pub, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    free(pem);
    assert_int_equal(dk_key_public_from_pem("junk", junk, sizeof junk - 1, NULL, NULL, &pub, &e),
                     -1);
    assert_int_equal(dk_key_public_from_pem("empty", "", 0, NULL, NULL, &pub, &e), -1);
    assert_int_equal(dk_key_public_from_pem("der", "\x30\x03\x02\x01", 4, NULL, NULL, &pub, &e),
                     -1);
    assert_int_equal(pub.len, 0);
    dk_buf_free(&pub);
}

/* ---- the model loop ---------------------------------------------------------------- */

static bool count_steps(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    unsigned long *v = ud;

    (void)done;
    if (strcmp(stage, "keygen") == 0) {
        v[0]++;
        v[1] = total;
    }
    return v[2] != 0 && v[0] >= v[2];
}

static void test_model_missing_keys(void **state)
{
    fixture *fx = *state;
    dk_selector sa[3], sb[1];
    dk_domain d[2];
    dk_model m;
    dk_keygen_report rep;
    unsigned long v[3] = {0, 0, 0};
    dk_progress p = {count_steps, v};
    char key[256];
    struct stat st;
    dk_err e;

    memset(&m, 0, sizeof m);
    memset(d, 0, sizeof d);
    memset(sa, 0, sizeof sa);
    memset(sb, 0, sizeof sb);
    strcpy(m.opendkim.user, "opendkim");
    strcpy(d[0].name, "example.org");
    d[0].sel = sa;
    d[0].nsel = 3;
    strcpy(sa[0].name, "s1");
    sa[0].alg = DK_KEY_ED25519;
    strcpy(sa[0].key_path, "/etc/dkimkeys/example.org/s1.private");
    strcpy(sa[1].name, "old");
    sa[1].alg = DK_KEY_RSA;
    sa[1].state = DK_SEL_REVOKED;
    strcpy(sa[1].key_path, "/etc/dkimkeys/example.org/old.private");
    strcpy(sa[2].name, "next");
    sa[2].alg = DK_KEY_RSA;
    sa[2].bits = 1024;
    sa[2].state = DK_SEL_PENDING;
    strcpy(sa[2].key_path, "/etc/dkimkeys/example.org/next.private");
    strcpy(d[1].name, "example.net");
    d[1].sel = sb;
    d[1].nsel = 1;
    strcpy(sb[0].name, "s1");
    sb[0].alg = DK_KEY_ED25519;
    strcpy(sb[0].key_path, "/etc/dkimkeys/example.net/s1.private");
    m.domains = d;
    m.ndomains = 2;

    /* one domain only */
    dk_keygen_report_init(&rep);
    assert_int_equal(dk_keygen_model(&fx->root, &m, "example.net", NULL, false, &p, &rep, &e), 0);
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.v[0].status, DK_KG_CREATED);
    hpath(fx, "/etc/dkimkeys/example.org", key, sizeof key);
    assert_int_equal(lstat(key, &st), -1);
    dk_keygen_report_free(&rep);

    /* everything: example.net exists now, the revoked one is skipped */
    v[0] = 0;
    dk_keygen_report_init(&rep);
    assert_int_equal(dk_keygen_model(&fx->root, &m, NULL, NULL, false, &p, &rep, &e), 0);
    assert_int_equal(rep.n, 4);
    assert_int_equal(rep.v[0].status, DK_KG_CREATED);
    assert_int_equal(rep.v[1].status, DK_KG_SKIPPED);
    assert_int_equal(rep.v[2].status, DK_KG_CREATED);
    assert_int_equal(rep.v[3].status, DK_KG_EXISTS);
    assert_int_equal(v[1], 4);
    assert_true(v[0] >= 4);
    assert_int_equal(dk_findings_count(&rep.notes, DK_SEV_WARN), geteuid() == 0 ? 1 : 2);
    hpath(fx, "/etc/dkimkeys/example.org/old.private", key, sizeof key);
    assert_int_equal(lstat(key, &st), -1);
    dk_keygen_report_free(&rep);

    /* unknown names */
    dk_keygen_report_init(&rep);
    assert_int_equal(dk_keygen_model(&fx->root, &m, "nope.example", NULL, false, NULL, &rep, &e),
                     -1);
    assert_int_equal(e.code, DK_ENOENT);
    assert_int_equal(dk_keygen_model(&fx->root, &m, NULL, "zz", false, NULL, &rep, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    dk_keygen_report_free(&rep);

    /* cancel before the second key: the first is made, nothing else */
    hpath(fx, "/etc/dkimkeys/example.org/s1.private", key, sizeof key);
    assert_int_equal(unlink(key), 0);
    hpath(fx, "/etc/dkimkeys/example.net/s1.private", key, sizeof key);
    assert_int_equal(unlink(key), 0);
    v[0] = 0;
    v[2] = 2;
    dk_keygen_report_init(&rep);
    assert_int_equal(dk_keygen_model(&fx->root, &m, NULL, "s1", false, &p, &rep, &e), -1);
    assert_int_equal(e.code, DK_ECANCEL);
    assert_int_equal(rep.n, 1);
    assert_int_equal(lstat(key, &st), -1);
    dk_keygen_report_free(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits),
        cmocka_unit_test_setup_teardown(test_1023_refused_nothing_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ed25519_created_0600, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsa1024_warned_spki, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsa2048_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_at_key_path_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinked_key_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_writable_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_owner_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_user_as_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_not_replaced_without_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardlinked_key_refused_with_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_rsa_generation, setup, teardown),
        cmocka_unit_test(test_fixture_public_keys),
        cmocka_unit_test(test_bad_keys_refused),
        cmocka_unit_test_setup_teardown(test_model_missing_keys, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
