/* test_dkim.c - signer and verifier against SECURITY-CASES: DKIM-Signature,
 * header selection and replay, key records, DNS answers.  Fixed keys
 * (tests/unit/data/dkim), a fixed clock, DNS from a stub table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "dkim/key.h"
#include "dns/dns.h"
#include "util/buf.h"
#include "dkim/tags.h"
#include "util/mem.h"
#include "util/path.h"

#define NOW  1700000000LL
#define DATA "tests/unit/data/dkim/"

/* ---- stub DNS --------------------------------------------------------------- */

struct rr {
    char name[256];
    enum dk_dns_rcode rcode;
    char txt[2][2048];
    size_t n;
};

static struct rr zone[32];
static size_t nzone;
static unsigned queries;

static void zone_reset(void)
{
    memset(zone, 0, sizeof zone);
    nzone = 0;
    queries = 0;
}

static void zone_add(const char *name, enum dk_dns_rcode rc, const char *t1, const char *t2)
{
    struct rr *r = &zone[nzone++];

    snprintf(r->name, sizeof r->name, "%s", name);
    r->rcode = rc;
    if (t1 != NULL)
        snprintf(r->txt[r->n++], sizeof r->txt[0], "%s", t1);
    if (t2 != NULL)
        snprintf(r->txt[r->n++], sizeof r->txt[0], "%s", t2);
}

static int stub_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    (void)ud;
    (void)e;
    queries++;
    for (size_t k = 0; k < nzone; k++) {
        if (strcmp(zone[k].name, name) != 0)
            continue;
        out->rcode = zone[k].rcode;
        out->nrr = zone[k].n;
        out->rr = calloc(zone[k].n + 1, sizeof *out->rr);
        for (size_t j = 0; j < zone[k].n; j++) {
            out->rr[j].len = strlen(zone[k].txt[j]);
            out->rr[j].data = strdup(zone[k].txt[j]);
        }
        return 0;
    }
    out->rcode = DK_DNS_NXDOMAIN;
    return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static const char base_msg[] = "From: Joe SixPack <joe@example.com>\r\n"
                               "To: Suzie Q <suzie@example.net>\r\n"
                               "Subject: Is dinner ready?\r\n"
                               "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
                               "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
                               "\r\n"
                               "Hi.\r\n"
                               "\r\n"
                               "We lost the game.  Are you hungry yet?\r\n"
                               "\r\n"
                               "Joe.\r\n";

static EVP_PKEY *load(const char *file)
{
    dk_err e;
    EVP_PKEY *k = dk_private_key_load(file, &e);

    if (k == NULL)
        fail_msg("%s: %s", file, e.msg);
    return k;
}

static EVP_PKEY *load_raw(const char *file)
{
    FILE *f = fopen(file, "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static void publish(const char *sel, EVP_PKEY *k, const char *extra)
{
    char txt[2048], name[256];
    dk_err e;

    assert_int_equal(dk_key_record_text(k, txt, sizeof txt, &e), 0);
    if (extra != NULL) {
        strcat(txt, "; ");
        strcat(txt, extra);
    }
    snprintf(name, sizeof name, "%s._domainkey.example.com", sel);
    zone_add(name, DK_DNS_OK, txt, NULL);
}

static void opts_for(dk_sign_opts *o, enum dk_alg alg, const char *sel)
{
    memset(o, 0, sizeof *o);
    o->domain = "example.com";
    o->selector = sel;
    o->alg = alg;
    o->hcanon = DK_CANON_RELAXED;
    o->bcanon = DK_CANON_SIMPLE;
    o->now = NOW;
}

/* Sign msg with an existing signer; returns signature field + msg (malloc). */
static char *sign_again(dk_signer *s, const char *msg)
{
    dk_buf out;
    dk_err e;
    char *r;

    dk_buf_init(&out, 0);
    if (dk_sign_mem(s, msg, strlen(msg), &out, &e) < 0)
        fail_msg("sign: %s", e.msg);
    r = malloc(out.len + strlen(msg) + 1);
    memcpy(r, out.data, out.len);
    strcpy(r + out.len, msg);
    dk_buf_free(&out);
    return r;
}

/* Sign msg with a signer of its own; returns signature field + msg (malloc). */
static char *sign_with(EVP_PKEY *k, enum dk_alg alg, const char *sel, const char *msg,
                       const char *const *over, size_t nover)
{
    dk_sign_opts o;
    dk_signer *s;
    dk_err e;
    char *r;

    opts_for(&o, alg, sel);
    o.over = over;
    o.nover = nover;
    s = dk_signer_new(&o, EVP_PKEY_dup(k), &e);
    if (s == NULL)
        fail_msg("signer: %s", e.msg);
    r = sign_again(s, msg);
    dk_signer_free(s);
    return r;
}

static EVP_PKEY *rsa_key, *ed_key;

static char *sign_rsa(const char *msg)
{
    return sign_with(rsa_key, DK_ALG_RSA_SHA256, "rsa", msg, NULL, 0);
}

static dk_verify_result verify_at(const char *msg, long long now)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    dk_err e;
    dk_resolver *r = dk_resolver_new_stub(&ops, NULL, &e);
    dk_verifier *v = dk_verifier_new(r, &e);
    dk_verify_result res;

    assert_non_null(v);
    dk_verifier_set_time(v, now);
    assert_int_equal(dk_verify_mem(v, msg, strlen(msg), &res, &e), 0);
    dk_verifier_free(v);
    dk_resolver_free(r);
    return res;
}

static dk_verify_result verify(const char *msg)
{
    return verify_at(msg, NOW + 60);
}

static void expect(const dk_verify_result *r, size_t k, enum dk_result want, const char *why)
{
    assert_true(r->nsig > k);
    if (r->sig[k].result != want || (why != NULL && strstr(r->sig[k].reason, why) == NULL))
        fail_msg("signature %zu: got %s (%s), want %s (%s)", k, dk_result_name(r->sig[k].result),
                 r->sig[k].reason, dk_result_name(want), why != NULL ? why : "");
}

static char *replace(const char *s, const char *old, const char *new)
{
    const char *p = strstr(s, old);
    char *r;

    if (p == NULL)
        fail_msg("'%s' not found", old);
    r = malloc(strlen(s) + strlen(new) + 1);
    memcpy(r, s, (size_t)(p - s));
    strcpy(r + (p - s), new);
    strcat(r, p + strlen(old));
    return r;
}

static char *concat(const char *a, const char *b)
{
    char *r = malloc(strlen(a) + strlen(b) + 1);

    strcpy(r, a);
    strcat(r, b);
    return r;
}

static int setup(void **state)
{
    (void)state;
    zone_reset();
    publish("rsa", rsa_key, NULL);
    publish("ed", ed_key, NULL);
    return 0;
}

/* A syntactically valid but forged signature: permerror cases differ from it
 * by one tag, and it itself gives "fail" (parsed, checked, rejected). */
#define BH   "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define BSIG "b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaXMgYmFzZTY0"

static void sig_case(const char *tags, enum dk_result want, const char *why)
{
    char *m = malloc(strlen(tags) + sizeof base_msg + 32);
    dk_verify_result r;

    sprintf(m, "DKIM-Signature: %s\r\n%s", tags, base_msg);
    r = verify(m);
    expect(&r, 0, want, why);
    free(m);
}

/* ---- round trips --------------------------------------------------------------- */

static void test_sign_verify_rsa_ed(void **state)
{
    char *m1 = sign_rsa(base_msg);
    char *m2 = sign_with(ed_key, DK_ALG_ED25519_SHA256, "ed", base_msg, NULL, 0);
    dk_verify_result r;

    (void)state;
    r = verify(m1);
    expect(&r, 0, DK_RES_PASS, "verified");
    assert_string_equal(r.sig[0].d, "example.com");
    assert_string_equal(r.sig[0].s, "rsa");
    assert_string_equal(r.sig[0].a, "rsa-sha256");
    r = verify(m2);
    expect(&r, 0, DK_RES_PASS, "verified");
    assert_string_equal(r.sig[0].a, "ed25519-sha256");
    /* tampered body and header fail */
    {
        char *t = replace(m1, "game.", "gamE.");

        r = verify(t);
        expect(&r, 0, DK_RES_FAIL, "body hash");
        free(t);
        t = replace(m2, "Subject: Is", "Subject: XIs");
        r = verify(t);
        expect(&r, 0, DK_RES_FAIL, "signature did not verify");
        free(t);
    }
    free(m1);
    free(m2);
}

static void test_signer_output_shape(void **state)
{
    char *m = sign_rsa(base_msg);
    char *end = strstr(m, "\r\nFrom:");
    const char *line = m;

    (void)state;
    assert_non_null(end);
    /* never l=, t= always, From oversigned, no rsa-sha1 */
    assert_null(strstr(m, " l="));
    assert_null(strstr(m, ";l="));
    assert_non_null(strstr(m, "t=1700000000;"));
    assert_non_null(strstr(m, "h=from:to:subject:date:message-id:from:content-type;"));
    assert_null(strstr(m, "rsa-sha1"));
    assert_null(strstr(m, " x="));
    /* folded: no line over 78 columns */
    while (line < end + 2) {
        const char *nl = strstr(line, "\r\n");

        assert_true(nl - line <= 78);
        line = nl + 2;
    }
    free(m);
    /* the algorithm parser refuses rsa-sha1: the signer cannot make it */
    {
        enum dk_alg a;

        assert_int_equal(dk_alg_parse("rsa-sha1", 8, &a), -1);
    }
}

static void test_sign_expire_and_keys(void **state)
{
    dk_sign_opts o;
    dk_signer *s;
    dk_buf out;
    dk_err e;
    EVP_PKEY *k;
    char *m;
    dk_verify_result r;

    (void)state;
    opts_for(&o, DK_ALG_RSA_SHA256, "rsa");
    o.expire = 3600;
    /* PKCS#8 RSA works the same as PKCS#1 */
    k = load(DATA "rsa2048.pkcs8.pem");
    s = dk_signer_new(&o, k, &e);
    assert_non_null(s);
    dk_buf_init(&out, 0);
    assert_int_equal(dk_sign_mem(s, base_msg, strlen(base_msg), &out, &e), 0);
    assert_non_null(strstr(out.data, "x=1700003600;"));
    m = concat(out.data, base_msg);
    r = verify(m);
    expect(&r, 0, DK_RES_PASS, NULL);
    r = verify_at(m, NOW + 7200);
    expect(&r, 0, DK_RES_FAIL, "expired");
    free(m);
    dk_buf_free(&out);
    dk_signer_free(s);
    /* an Ed25519 key for rsa-sha256 is refused; a 512-bit RSA key file too */
    k = load(DATA "ed25519.pem");
    assert_null(dk_signer_new(&o, k, &e));
    EVP_PKEY_free(k);
    assert_null(dk_private_key_load(DATA "rsa512.pem", &e));
    assert_non_null(strstr(e.msg, "too short"));
    assert_null(dk_private_key_load(DATA "rfc8463-test.txt", &e));
    /* a message without From cannot be signed */
    s = dk_signer_new(&o, load(DATA "rsa2048.pem"), &e);
    assert_non_null(s);
    assert_int_equal(dk_sign_mem(s, "To: x@y.z\r\n\r\nbody\r\n", 20, &out, &e), -1);
    dk_signer_free(s);
    dk_buf_free(&out);
}

/* ---- DKIM-Signature header ------------------------------------------------------ */

static void test_sig_forged_is_fail_not_permerror(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from:to; " BH "; " BSIG, DK_RES_FAIL,
             NULL);
    /* unknown tags are ignored */
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; zz=what; h=from:to; " BH "; " BSIG,
             DK_RES_FAIL, NULL);
}

static void test_sig_duplicate_tag(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; d=example.org; s=rsa; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "twice");
}

static void test_sig_missing_tags(void **state)
{
    static const char *const tags[] = {"v=1",           "a=rsa-sha256", BSIG,   BH,
                                       "d=example.com", "h=from:to",    "s=rsa"};
    static const char *const names[] = {"v=", "a=", "b=", "bh=", "d=", "h=", "s="};

    (void)state;
    for (size_t skip = 0; skip < 7; skip++) {
        char buf[1024] = "";
        char why[32];

        for (size_t k = 0; k < 7; k++) {
            if (k == skip)
                continue;
            strcat(buf, tags[k]);
            strcat(buf, "; ");
        }
        snprintf(why, sizeof why, "no %s tag", names[skip]);
        sig_case(buf, DK_RES_PERMERROR, why);
    }
}

static void test_sig_empty_and_bad_base64(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR, "d=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=; h=from; " BH "; " BSIG, DK_RES_PERMERROR, "s=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=; " BSIG, DK_RES_PERMERROR,
             "bh=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "; b=", DK_RES_PERMERROR, "b=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "; b=abc", DK_RES_PERMERROR,
             "b=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "; b=ab!d", DK_RES_PERMERROR,
             "b=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=2jUSOH9NhtVGCQWNr9Br; " BSIG,
             DK_RES_PERMERROR, "bh=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=a=bc; " BSIG, DK_RES_PERMERROR,
             "bh=");
}

static void test_sig_bad_versions_algorithms(void **state)
{
    (void)state;
    sig_case("v=2; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "version");
    sig_case("v=1; a=rsa-md5; d=example.com; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "algorithm");
    sig_case("v=1; a=rsa-sha0; d=example.com; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "algorithm");
    sig_case("v=1; a=rsa-sha256; c=future; d=example.com; s=rsa; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "canonicalization");
    sig_case("v=1; a=rsa-sha256; c=relaxed/future; d=example.com; s=rsa; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "canonicalization");
    sig_case("v=1; a=rsa-sha256; q=http; d=example.com; s=rsa; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "q=");
    sig_case("v=1; a=rsa-sha256; q=dns/foo; d=example.com; s=rsa; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "q=");
    sig_case("v=1; a=rsa-sha1; d=example.com; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "RFC 8301");
}

static void test_sig_h_list(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=to:subject; " BH "; " BSIG,
             DK_RES_PERMERROR, "From");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=; " BH "; " BSIG, DK_RES_PERMERROR, "h=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from::to; " BH "; " BSIG, DK_RES_PERMERROR,
             "h=");
}

static void test_sig_identity(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; i=joe@example.org; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "i=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; i=joe@badexample.com; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "i=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; i=joe; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "i=");
    /* a subdomain is fine ... */
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; i=@sub.example.com; h=from; " BH "; " BSIG,
             DK_RES_FAIL, NULL);
    /* ... unless the key says t=s */
    publish("strict", rsa_key, "t=s");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=strict; i=@sub.example.com; h=from; " BH
             "; " BSIG,
             DK_RES_FAIL, "t=s");
}

static void test_sig_t_future(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=1700090000; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "future");
    /* within the clock drift is fine */
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=1700000200; h=from; " BH "; " BSIG,
             DK_RES_FAIL, "did not verify");
}

static void test_sig_x_past(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=1690000000; x=1690000100; h=from; " BH
             "; " BSIG,
             DK_RES_FAIL, "expired");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=1690000000; x=1800000000; h=from; " BH
             "; " BSIG,
             DK_RES_FAIL, "did not verify");
}

static void test_sig_x_before_t(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=1700000000; x=1690000000; h=from; " BH
             "; " BSIG,
             DK_RES_PERMERROR, "x= is before t=");
}

static void test_sig_t_x_not_numeric(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=now; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "t=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; t=-5; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "t=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; x=17a; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "x=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; x=99999999999999; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "x=");
}

static void test_key_h_sha256_with_rsa_sha1(void **state)
{
    (void)state;
    publish("sha256only", rsa_key, "h=sha256");
    sig_case("v=1; a=rsa-sha1; d=example.com; s=sha256only; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "RFC 8301");
}

static void test_sig_syntax(void **state)
{
    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "; " BSIG "; x",
             DK_RES_PERMERROR, "no '='");
    sig_case("v=1; a=rsa-sha256; d=example.com; =x; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "empty tag name");
    sig_case("v=1; a=rsa-sha256; d=example.com;; s=rsa; h=from; " BH "; " BSIG, DK_RES_PERMERROR,
             "empty tag name");
}

static void test_sig_domain_lengths(void **state)
{
    char d[400], tags[1024];

    (void)state;
    memset(d, 0, sizeof d);
    for (int i = 0; i < 4; i++)
        strcat(d, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."); /* 63 */
    strcat(d, "com");                                                                 /* 255 */
    snprintf(tags, sizeof tags, "v=1; a=rsa-sha256; d=%s; s=rsa; h=from; " BH "; " BSIG, d);
    sig_case(tags, DK_RES_PERMERROR, "253");
    snprintf(tags, sizeof tags,
             "v=1; a=rsa-sha256; "
             "d=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com; s=rsa; "
             "h=from; " BH "; " BSIG);
    sig_case(tags, DK_RES_PERMERROR, "63");
}

static void test_sig_body_length(void **state)
{
    char big[200] = "l=";

    (void)state;
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; l=-1; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "l=");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; l=all; h=from; " BH "; " BSIG,
             DK_RES_PERMERROR, "l=");
    for (int i = 0; i < 77; i++)
        strcat(big, "9");
    {
        char tags[512];

        snprintf(tags, sizeof tags,
                 "v=1; a=rsa-sha256; d=example.com; s=rsa; %s; h=from; " BH "; " BSIG, big);
        sig_case(tags, DK_RES_PERMERROR, "l=");
    }
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; l=100000; h=from; " BH "; " BSIG,
             DK_RES_FAIL, "larger than the body");
    sig_case("v=1; a=rsa-sha256; d=example.com; s=rsa; l=99999999999999999999999999999; h=from; " BH
             "; " BSIG,
             DK_RES_FAIL, "larger than the body");
}

static void test_sig_garbage_no_crash(void **state)
{
    static const char *const bad[] = {
        "",         ";",
        "v",        "v=1;;;;",
        "\x01\x02", "v=1; a=rsa-sha256; b=\x80\xff",
        "====;",    "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=; b=;",
    };

    (void)state;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        sig_case(bad[k], DK_RES_PERMERROR, NULL);
    /* a NUL inside the field */
    {
        static const char m[] = "DKIM-Signature: v=1; a=rsa-sha256; d=exa\0mple.com\r\n"
                                "From: a@b.c\r\n\r\nx\r\n";
        static const dk_dns_ops ops = {.txt = stub_txt};
        dk_err e;
        dk_resolver *r = dk_resolver_new_stub(&ops, NULL, &e);
        dk_verifier *v = dk_verifier_new(r, &e);
        dk_verify_result res;

        assert_int_equal(dk_verify_mem(v, m, sizeof m - 1, &res, &e), 0);
        expect(&res, 0, DK_RES_PERMERROR, NULL);
        dk_verifier_free(v);
        dk_resolver_free(r);
    }
}

/* ---- header selection and replay ------------------------------------------------- */

static void test_second_from_fails(void **state)
{
    char *m = sign_rsa(base_msg), *t;
    dk_verify_result r;

    (void)state;
    t = replace(m, "From: Joe", "From: evil@attacker.example\r\nFrom: Joe");
    r = verify(t);
    expect(&r, 0, DK_RES_FAIL, "From");
    free(t);
    t = replace(m, "To: Suzie", "From: evil@attacker.example\r\nTo: Suzie");
    r = verify(t);
    expect(&r, 0, DK_RES_FAIL, "From");
    free(t);
    free(m);
}

static void test_two_subjects(void **state)
{
    char *m = sign_rsa(base_msg), *t;
    dk_verify_result r;

    (void)state;
    /* added above the signed one: the bottom one is signed, the extra reported */
    t = replace(m, "From: Joe", "Subject: Free money\r\nFrom: Joe");
    r = verify(t);
    expect(&r, 0, DK_RES_PASS, "unsigned extra Subject field");
    free(t);
    /* added below: the bottom one is not the signed one */
    t = replace(m, "Message-ID:", "Subject: Free money\r\nMessage-ID:");
    r = verify(t);
    expect(&r, 0, DK_RES_FAIL, NULL);
    free(t);
    free(m);
}

static void test_injected_content_type_fails(void **state)
{
    static const char *const over[] = {"subject"};
    char *m = sign_rsa(base_msg), *t;
    dk_verify_result r;

    (void)state;
    t = replace(m, "From: Joe", "Content-Type: text/html\r\nFrom: Joe");
    r = verify(t);
    expect(&r, 0, DK_RES_FAIL, "did not verify");
    free(t);
    free(m);
    /* more oversigned names by option: an added Subject then fails too */
    m = sign_with(rsa_key, DK_ALG_RSA_SHA256, "rsa", base_msg, over, 1);
    assert_non_null(strstr(m, ":subject;"));
    t = replace(m, "From: Joe", "Subject: Free money\r\nFrom: Joe");
    r = verify(t);
    expect(&r, 0, DK_RES_FAIL, "did not verify");
    free(t);
    free(m);
}

static void test_three_signatures(void **state)
{
    char *good = sign_rsa(base_msg);
    char *bad, *three;
    dk_verify_result r;
    char *aut = malloc(4096);

    (void)state;
    /* fail: a valid-looking ed25519 signature over other content */
    bad = sign_with(ed_key, DK_ALG_ED25519_SHA256, "ed", "From: x@example.com\r\n\r\nother\r\n",
                    NULL, 0);
    *strstr(bad, "From: x@") = '\0';
    three = malloc(strlen(good) + strlen(bad) + 200);
    sprintf(three, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com\r\n%s%s", bad, good);
    r = verify(three);
    assert_int_equal(r.nsig, 3);
    expect(&r, 0, DK_RES_PERMERROR, NULL);
    expect(&r, 1, DK_RES_FAIL, "body hash");
    expect(&r, 2, DK_RES_PASS, NULL);
    assert_true(dk_verify_passed(&r));
    assert_int_equal(dk_auth_results(&r, "mx.example.net", aut, 4096), 0);
    assert_non_null(strstr(aut, "mx.example.net;\r\n\tdkim=permerror ("));
    assert_non_null(strstr(aut, "dkim=fail (body hash did not verify) header.d=example.com "
                                "header.s=ed header.a=ed25519-sha256 header.b="));
    assert_non_null(strstr(aut, "dkim=pass (signature verified"));
    free(aut);
    free(three);
    free(bad);
    free(good);
}

static void test_nine_signatures_capped(void **state)
{
    char *good = sign_rsa(base_msg);
    char *m = malloc(strlen(good) + 9 * 64);
    dk_verify_result r;

    (void)state;
    m[0] = '\0';
    for (int i = 0; i < 9; i++)
        strcat(m, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com\r\n");
    strcat(m, good);
    r = verify(m);
    assert_int_equal(r.nsig, 8);
    assert_int_equal(r.ignored, 2);
    assert_false(dk_verify_passed(&r));
    free(m);
    free(good);
}

static void test_auth_results_none(void **state)
{
    dk_verify_result r;
    char buf[256];

    (void)state;
    r = verify(base_msg);
    assert_int_equal(r.nsig, 0);
    assert_int_equal(dk_auth_results(&r, "mx", buf, sizeof buf), 0);
    assert_string_equal(buf, "mx; dkim=none");
    assert_int_equal(dk_auth_results(&r, "mx", buf, 4), -1);
}

/* ---- key records -------------------------------------------------------------------- */

static void key_case(const char *txt, enum dk_result want, const char *why)
{
    char *m = sign_rsa(base_msg);
    dk_verify_result r;

    zone_reset();
    if (txt != NULL)
        zone_add("rsa._domainkey.example.com", DK_DNS_OK, txt, NULL);
    r = verify(m);
    expect(&r, 0, want, why);
    free(m);
}

static char *rsa_p(void)
{
    static char txt[2048];
    dk_err e;

    assert_int_equal(dk_key_record_text(rsa_key, txt, sizeof txt, &e), 0);
    return strstr(txt, "p=") + 2;
}

static void test_key_records(void **state)
{
    char rec[2400];
    const char *p = rsa_p();

    (void)state;
    snprintf(rec, sizeof rec, "v=DKIM1; p=%s", p);
    key_case(rec, DK_RES_PASS, NULL); /* no k= means rsa */
    snprintf(rec, sizeof rec, "p=%s", p);
    key_case(rec, DK_RES_PASS, NULL); /* no v= is fine */
    key_case("v=DKIM1; k=rsa; p=", DK_RES_PERMERROR, "revoked");
    key_case("v=DKIM1; k=rsa", DK_RES_PERMERROR, "no p=");
    snprintf(rec, sizeof rec, "v=DKIM0; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "v=");
    snprintf(rec, sizeof rec, "v=DKIM1: g=*; k=rsa; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "v=");
    snprintf(rec, sizeof rec, "k=rsa; v=DKIM1; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "first");
    snprintf(rec, sizeof rec, "v=DKIM1; k=xxx; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "k=");
    snprintf(rec, sizeof rec, "v=DKIM1; g=*; k=ed25519-sha256; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "k=");
    snprintf(rec, sizeof rec, "v=DKIM1; h=sha0; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "h=");
    snprintf(rec, sizeof rec, "v=DKIM1; h=sha1:sha256; p=%s", p);
    key_case(rec, DK_RES_PASS, NULL);
    snprintf(rec, sizeof rec, "v=DKIM1; s=other; p=%s", p);
    key_case(rec, DK_RES_PERMERROR, "s=");
    snprintf(rec, sizeof rec, "v=DKIM1; t=y; p=%s", p);
    key_case(rec, DK_RES_PASS, "test mode");
    key_case("v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5q",
             DK_RES_PERMERROR, NULL); /* corrupt DER */
    key_case("v=DKIM1; p=AAAA", DK_RES_PERMERROR, "RSA");
    key_case("v=DKIM1; p=!!!", DK_RES_PERMERROR, "base64");
    key_case("v=DKIM1; p=YWJj\x01", DK_RES_PERMERROR, NULL);
    /* an ed25519 key for an rsa signature */
    key_case("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", DK_RES_PERMERROR,
             "a=");
}

static void test_key_record_nul(void **state)
{
    dk_key_record k;
    char why[200];
    static const char rec[] = "v=DKIM1; p=\0abc";

    (void)state;
    assert_int_equal(dk_key_record_parse(&k, rec, sizeof rec - 1, why, sizeof why), -1);
    assert_non_null(strstr(why, "NUL"));
}

static void ed_case(const char *p, enum dk_result want, const char *why)
{
    char *m = sign_with(ed_key, DK_ALG_ED25519_SHA256, "ed", base_msg, NULL, 0);
    char rec[512];
    dk_verify_result r;

    zone_reset();
    snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", p);
    zone_add("ed._domainkey.example.com", DK_DNS_OK, rec, NULL);
    r = verify(m);
    expect(&r, 0, want, why);
    free(m);
}

static void test_ed25519_key_forms(void **state)
{
    char txt[512];
    unsigned char spki[64];
    int n;
    unsigned char *q = spki;
    char b64[128];
    dk_err e;

    (void)state;
    assert_int_equal(dk_key_record_text(ed_key, txt, sizeof txt, &e), 0);
    ed_case(strstr(txt, "p=") + 2, DK_RES_PASS, NULL);
    /* wrong length */
    ed_case("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcH", DK_RES_PERMERROR, "32");
    /* SPKI-wrapped (RFC 8463 says raw) */
    n = i2d_PUBKEY(ed_key, &q);
    assert_int_equal(n, 44);
    dk_b64_encode(spki, (size_t)n, b64);
    ed_case(b64, DK_RES_PERMERROR, "32");
    /* someone else's key */
    ed_case("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", DK_RES_FAIL, "did not verify");
}

static void test_rsa_512_fails(void **state)
{
    EVP_PKEY *k512 = load_raw(DATA "rsa512.pem");
    char *m;
    dk_verify_result r;

    (void)state;
    zone_reset();
    publish("weak", k512, NULL);
    m = sign_with(k512, DK_ALG_RSA_SHA256, "weak", base_msg, NULL, 0);
    r = verify(m);
    expect(&r, 0, DK_RES_FAIL, "512 bits");
    free(m);
    EVP_PKEY_free(k512);
}

static void test_txt_records(void **state)
{
    char *m = sign_rsa(base_msg);
    char rec[2400];
    dk_verify_result r;

    (void)state;
    snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", rsa_p());
    zone_reset();
    zone_add("rsa._domainkey.example.com", DK_DNS_OK, rec, "v=DKIM1; p=");
    r = verify(m);
    expect(&r, 0, DK_RES_PERMERROR, "2 TXT records");
    zone_reset();
    zone_add("rsa._domainkey.example.com", DK_DNS_NXDOMAIN, NULL, NULL);
    r = verify(m);
    expect(&r, 0, DK_RES_PERMERROR, "NXDOMAIN");
    zone_reset();
    zone_add("rsa._domainkey.example.com", DK_DNS_NODATA, NULL, NULL);
    r = verify(m);
    expect(&r, 0, DK_RES_PERMERROR, "no key record");
    zone_reset();
    zone_add("rsa._domainkey.example.com", DK_DNS_SERVFAIL, NULL, NULL);
    r = verify(m);
    expect(&r, 0, DK_RES_TEMPERROR, "SERVFAIL");
    zone_reset();
    zone_add("rsa._domainkey.example.com", DK_DNS_TIMEOUT, NULL, NULL);
    r = verify(m);
    expect(&r, 0, DK_RES_TEMPERROR, "timeout");
    free(m);
}

static void test_key_cache(void **state)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    char *m = sign_rsa(base_msg);
    dk_err e;
    dk_resolver *res = dk_resolver_new_stub(&ops, NULL, &e);
    dk_verifier *v = dk_verifier_new(res, &e);
    dk_verify_result r;

    (void)state;
    dk_verifier_set_time(v, NOW);
    queries = 0;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(dk_verify_mem(v, m, strlen(m), &r, &e), 0);
        expect(&r, 0, DK_RES_PASS, NULL);
    }
    assert_int_equal(queries, 1);
    dk_verifier_free(v);
    dk_resolver_free(res);
    free(m);
}

/* Ed25519 signing and verifying contexts are set up once (signer, cached
 * key) and reused for every message: a second use must give the same
 * bytes as a fresh one, and a failed check must not spoil the next. */
static void test_reused_contexts(void **state)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    char *other = replace(base_msg, "Is dinner ready?", "Lunch?");
    char *fresh = sign_with(ed_key, DK_ALG_ED25519_SHA256, "ed", base_msg, NULL, 0);
    char *a1, *b, *a2, *bad;
    dk_sign_opts o;
    dk_signer *s;
    dk_err e;
    dk_resolver *res;
    dk_verifier *v;
    dk_verify_result r;

    (void)state;
    opts_for(&o, DK_ALG_ED25519_SHA256, "ed");
    s = dk_signer_new(&o, EVP_PKEY_dup(ed_key), &e);
    assert_non_null(s);
    a1 = sign_again(s, base_msg);
    b = sign_again(s, other);
    a2 = sign_again(s, base_msg);
    dk_signer_free(s);
    /* Ed25519 is deterministic: the same message gives the same b= */
    assert_string_equal(a1, fresh);
    assert_string_equal(a2, fresh);
    assert_string_not_equal(a1, b);

    res = dk_resolver_new_stub(&ops, NULL, &e);
    v = dk_verifier_new(res, &e);
    assert_non_null(v);
    dk_verifier_set_time(v, NOW);
    queries = 0;
    bad = replace(b, "Subject: Lunch?", "Subject: Dinner?");
    assert_int_equal(dk_verify_mem(v, a1, strlen(a1), &r, &e), 0);
    expect(&r, 0, DK_RES_PASS, "verified");
    assert_int_equal(dk_verify_mem(v, bad, strlen(bad), &r, &e), 0);
    expect(&r, 0, DK_RES_FAIL, "signature did not verify");
    assert_int_equal(dk_verify_mem(v, b, strlen(b), &r, &e), 0);
    expect(&r, 0, DK_RES_PASS, "verified");
    assert_int_equal(dk_verify_mem(v, a2, strlen(a2), &r, &e), 0);
    expect(&r, 0, DK_RES_PASS, "verified");
    assert_int_equal(queries, 1); /* one cached key did all four */
    dk_verifier_free(v);
    dk_resolver_free(res);
    free(other);
    free(fresh);
    free(a1);
    free(b);
    free(a2);
    free(bad);
}

/* A full key cache: the second signature's new key must not take the slot
 * of the key the first signature (a cache hit) is still to be checked
 * with.  Both algorithms: Ed25519 keys carry their own verify context. */
static void evict_case(EVP_PKEY *k, enum dk_alg alg, const char *sel)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    dk_err e;
    dk_resolver *res = dk_resolver_new_stub(&ops, NULL, &e);
    dk_verifier *v = dk_verifier_new(res, &e);
    dk_verify_result r;
    char *first = sign_with(k, alg, sel, base_msg, NULL, 0);
    char *inner = sign_with(k, alg, "fresh", base_msg, NULL, 0);
    char *two = sign_with(k, alg, sel, inner, NULL, 0);

    assert_non_null(v);
    dk_verifier_set_time(v, NOW);
    /* sel takes the first slot, 31 unknown selectors the others */
    assert_int_equal(dk_verify_mem(v, first, strlen(first), &r, &e), 0);
    expect(&r, 0, DK_RES_PASS, NULL);
    for (int i = 0; i < 31; i++) {
        char name[16], *m;

        snprintf(name, sizeof name, "gone%d", i);
        m = sign_with(k, alg, name, base_msg, NULL, 0);
        assert_int_equal(dk_verify_mem(v, m, strlen(m), &r, &e), 0);
        expect(&r, 0, DK_RES_PERMERROR, "no key record");
        free(m);
    }
    /* sel (a hit) first, then "fresh" (a miss that needs a slot) */
    queries = 0;
    assert_int_equal(dk_verify_mem(v, two, strlen(two), &r, &e), 0);
    assert_int_equal(r.nsig, 2);
    expect(&r, 0, DK_RES_PASS, "verified");
    expect(&r, 1, DK_RES_PERMERROR, "no key record");
    assert_int_equal(queries, 1);
    dk_verifier_free(v);
    dk_resolver_free(res);
    free(first);
    free(inner);
    free(two);
}

static void test_key_cache_full(void **state)
{
    (void)state;
    evict_case(ed_key, DK_ALG_ED25519_SHA256, "ed");
    evict_case(rsa_key, DK_ALG_RSA_SHA256, "rsa");
}

/* ---- RFC 8463 Appendix A --------------------------------------------------------------- */

static void test_rfc8463_appendix_a(void **state)
{
    dk_buf msg, k1, k2;
    dk_err e;
    dk_verify_result r;
    char *t;

    (void)state;
    dk_buf_init(&msg, 0);
    dk_buf_init(&k1, 0);
    dk_buf_init(&k2, 0);
    assert_int_equal(dk_read_file(DATA "rfc8463-appendix-a.eml", 1 << 20, &msg, &e), 0);
    assert_int_equal(dk_read_file(DATA "rfc8463-brisbane.txt", 4096, &k1, &e), 0);
    assert_int_equal(dk_read_file(DATA "rfc8463-test.txt", 4096, &k2, &e), 0);
    zone_reset();
    zone_add("brisbane._domainkey.football.example.com", DK_DNS_OK, k1.data, NULL);
    zone_add("test._domainkey.football.example.com", DK_DNS_OK, k2.data, NULL);
    r = verify_at(msg.data, 1528000000);
    assert_int_equal(r.nsig, 2);
    expect(&r, 0, DK_RES_PASS, NULL);
    expect(&r, 1, DK_RES_PASS, NULL);
    assert_string_equal(r.sig[0].a, "ed25519-sha256");
    assert_string_equal(r.sig[1].a, "rsa-sha256");
    /* the same message with LF line ends verifies too */
    {
        char *lf = malloc(msg.len + 1);
        size_t o = 0;

        for (size_t k = 0; k < msg.len; k++) {
            if (msg.data[k] != '\r')
                lf[o++] = msg.data[k];
        }
        lf[o] = '\0';
        r = verify_at(lf, 1528000000);
        expect(&r, 0, DK_RES_PASS, NULL);
        expect(&r, 1, DK_RES_PASS, NULL);
        free(lf);
    }
    t = replace(msg.data, "hungry", "Hungry");
    r = verify_at(t, 1528000000);
    expect(&r, 0, DK_RES_FAIL, "body hash");
    expect(&r, 1, DK_RES_FAIL, "body hash");
    free(t);
    dk_buf_free(&msg);
    dk_buf_free(&k1);
    dk_buf_free(&k2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sign_verify_rsa_ed, setup),
        cmocka_unit_test_setup(test_signer_output_shape, setup),
        cmocka_unit_test_setup(test_sign_expire_and_keys, setup),
        cmocka_unit_test_setup(test_sig_forged_is_fail_not_permerror, setup),
        cmocka_unit_test_setup(test_sig_duplicate_tag, setup),
        cmocka_unit_test_setup(test_sig_missing_tags, setup),
        cmocka_unit_test_setup(test_sig_empty_and_bad_base64, setup),
        cmocka_unit_test_setup(test_sig_bad_versions_algorithms, setup),
        cmocka_unit_test_setup(test_sig_h_list, setup),
        cmocka_unit_test_setup(test_sig_identity, setup),
        cmocka_unit_test_setup(test_sig_t_future, setup),
        cmocka_unit_test_setup(test_sig_x_past, setup),
        cmocka_unit_test_setup(test_sig_x_before_t, setup),
        cmocka_unit_test_setup(test_sig_t_x_not_numeric, setup),
        cmocka_unit_test_setup(test_key_h_sha256_with_rsa_sha1, setup),
        cmocka_unit_test_setup(test_sig_syntax, setup),
        cmocka_unit_test_setup(test_sig_domain_lengths, setup),
        cmocka_unit_test_setup(test_sig_body_length, setup),
        cmocka_unit_test_setup(test_sig_garbage_no_crash, setup),
        cmocka_unit_test_setup(test_second_from_fails, setup),
        cmocka_unit_test_setup(test_two_subjects, setup),
        cmocka_unit_test_setup(test_injected_content_type_fails, setup),
        cmocka_unit_test_setup(test_three_signatures, setup),
        cmocka_unit_test_setup(test_nine_signatures_capped, setup),
        cmocka_unit_test_setup(test_auth_results_none, setup),
        cmocka_unit_test_setup(test_key_records, setup),
        cmocka_unit_test_setup(test_key_record_nul, setup),
        cmocka_unit_test_setup(test_ed25519_key_forms, setup),
        cmocka_unit_test_setup(test_rsa_512_fails, setup),
        cmocka_unit_test_setup(test_txt_records, setup),
        cmocka_unit_test_setup(test_reused_contexts, setup),
        cmocka_unit_test_setup(test_key_cache_full, setup),
        cmocka_unit_test_setup(test_key_cache, setup),
        cmocka_unit_test_setup(test_rfc8463_appendix_a, setup),
    };
    int rc;

    rsa_key = load(DATA "rsa2048.pem");
    ed_key = load(DATA "ed25519.pem");
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ed_key);
    return rc;
}
