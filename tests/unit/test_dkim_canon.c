/* test_dkim_canon.c - canonicalization (SECURITY-CASES "Canonicalization"),
 * the tag parser and the message reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim/canon.h"
#include "dkim/dkim.h"
#include "dkim/msg.h"
#include "dkim/tags.h"
#include "helpers/canon_ref.h"

#define DATA "tests/unit/data/dkim/"

static EVP_MD_CTX *md;

/* Body hash of p[0..n) fed in chunks of `chunk` bytes (0 = one piece). */
static const char *bh_chunked(enum dk_canon mode, const char *p, size_t n, size_t chunk)
{
    static char out[64];
    dk_body_canon *c = malloc(sizeof *c);
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hl = 0;

    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    dk_body_canon_init(c, mode, md, UINT64_MAX);
    if (chunk == 0)
        chunk = n ? n : 1;
    for (size_t k = 0; k < n; k += chunk)
        assert_int_equal(
            dk_body_canon_update(c, (const unsigned char *)p + k, n - k < chunk ? n - k : chunk),
            0);
    assert_int_equal(dk_body_canon_final(c, h, &hl), 0);
    assert_int_equal(hl, 32);
    dk_b64_encode(h, 32, out);
    free(c);
    return out;
}

static const char *bh(enum dk_canon mode, const char *s)
{
    return bh_chunked(mode, s, strlen(s), 0);
}

static void test_rfc6376_345_example(void **state)
{
    dk_buf b;
    dk_err e;

    (void)state;
    dk_buf_init(&b, 0);
    assert_int_equal(dk_header_canon(DK_CANON_RELAXED, "A: X\r\n", 6, true, &b, &e), 0);
    assert_int_equal(dk_header_canon(DK_CANON_RELAXED, "B : Y\t\r\n\tZ  \r\n", 14, true, &b, &e),
                     0);
    assert_string_equal(b.data, "a:X\r\nb:Y Z\r\n");
    dk_buf_reset(&b);
    assert_int_equal(dk_header_canon(DK_CANON_SIMPLE, "B : Y\t\r\n\tZ  \r\n", 14, true, &b, &e), 0);
    assert_string_equal(b.data, "B : Y\t\r\n\tZ  \r\n");
    dk_buf_free(&b);
    assert_string_equal(bh(DK_CANON_RELAXED, " C \r\nD \t E\r\n\r\n\r\n"),
                        "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=");
    assert_string_equal(bh(DK_CANON_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n"),
                        "NOeivbQlDH9TmNKJUw7D53wZfsk8YMZ/hTuVVwTgi8s=");
}

/* The fast relaxed header canonicalization against the plain reference,
 * on pseudo-random fields rich in whitespace, folds, controls and 8-bit. */
static void test_header_canon_differential(void **state)
{
    static const char alphabet[] = "ab  \t\t\r\n:Z\x01\x7f\xe9 .-";
    unsigned x = 12345;
    char f[300], want[310];
    dk_buf b;
    dk_err e;

    (void)state;
    dk_buf_init(&b, 0);
    for (int round = 0; round < 20000; round++) {
        size_t len = 0, n;

        x = x * 1103515245u + 12345u;
        n = (x >> 16) % 280;
        memcpy(f, "Subject:", 8);
        len = 8;
        for (size_t k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            f[len++] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        /* long ordinary runs too, for the vector path */
        if (round % 3 == 0)
            for (size_t k = 0; k < 40 && len < sizeof f - 2; k++)
                f[len++] = (char)('a' + k % 26);
        memcpy(f + len, "\r\n", 2);
        len += 2;
        n = canon_ref_relaxed(f, len, want);
        dk_buf_reset(&b);
        assert_int_equal(dk_header_canon(DK_CANON_RELAXED, f, len, true, &b, &e), 0);
        assert_int_equal(b.len, n);
        assert_memory_equal(b.data, want, n);
    }
    dk_buf_free(&b);
}

static void test_empty_body(void **state)
{
    (void)state;
    assert_string_equal(bh(DK_CANON_SIMPLE, ""), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    assert_string_equal(bh(DK_CANON_RELAXED, ""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    /* only empty lines (and whitespace, relaxed) is the empty body too */
    assert_string_equal(bh(DK_CANON_SIMPLE, "\r\n\r\n\r\n"),
                        "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    assert_string_equal(bh(DK_CANON_RELAXED, " \r\n\t\r\n"),
                        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

static void test_rfc_bodies(void **state)
{
    (void)state;
    assert_string_equal(
        bh(DK_CANON_SIMPLE, "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"),
        "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
    assert_string_equal(
        bh(DK_CANON_SIMPLE, "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n"),
        "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
    /* relaxed folds the two spaces into one: the A.1 hash */
    assert_string_equal(
        bh(DK_CANON_RELAXED, "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n"),
        bh(DK_CANON_SIMPLE, "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"));
}

static void test_no_final_crlf(void **state)
{
    char a[64];

    (void)state;
    strcpy(a, bh(DK_CANON_SIMPLE, "abc\r\ndef"));
    assert_string_equal(a, bh(DK_CANON_SIMPLE, "abc\r\ndef\r\n"));
    strcpy(a, bh(DK_CANON_RELAXED, "abc\r\ndef  "));
    assert_string_equal(a, bh(DK_CANON_RELAXED, "abc\r\ndef\r\n"));
}

static void test_line_ends_and_chunks(void **state)
{
    static const char crlf[] = "Hi.\r\n\r\nWe  lost \t the game.\r\n \r\n\r\nJoe.\r\n\r\n\r\n";
    static const char lf[] = "Hi.\n\nWe  lost \t the game.\n \n\nJoe.\n\n\n";
    char want[2][64];

    (void)state;
    for (int m = 0; m < 2; m++) {
        enum dk_canon mode = m ? DK_CANON_RELAXED : DK_CANON_SIMPLE;

        strcpy(want[m], bh(mode, crlf));
        assert_string_equal(bh(mode, lf), want[m]);
        /* every chunk size, so CRLF is split at every position */
        for (size_t c = 1; c < sizeof crlf; c++) {
            assert_string_equal(bh_chunked(mode, crlf, strlen(crlf), c), want[m]);
            assert_string_equal(bh_chunked(mode, lf, strlen(lf), c), want[m]);
        }
    }
    /* mixed: some lines LF, some CRLF */
    assert_string_equal(bh(DK_CANON_SIMPLE, "Hi.\n\r\nWe  lost \t the game.\r\n \n\nJoe.\n\r\n\n"),
                        want[0]);
}

/* A single bare LF anywhere in a long body (across the 32- and 64-byte
 * blocks of the vector scans) is read as CRLF. */
static void test_bare_lf_every_position(void **state)
{
    char lf[400], crlf[401], want[64];

    (void)state;
    for (size_t k = 1; k < 390; k++) {
        for (size_t i = 0; i < sizeof lf; i++)
            lf[i] = (char)('a' + i % 26);
        lf[k] = '\n';
        memcpy(crlf, lf, k);
        crlf[k] = '\r';
        memcpy(crlf + k + 1, lf + k, sizeof lf - k);
        strcpy(want, bh_chunked(DK_CANON_SIMPLE, crlf, sizeof crlf, 0));
        assert_string_equal(bh_chunked(DK_CANON_SIMPLE, lf, sizeof lf, 0), want);
        /* and a CRLF there is not a bare LF: the hash is of the bytes as they are */
        {
            unsigned char h[32];
            unsigned hl;
            char raw[64];

            memcpy(crlf + sizeof crlf - 2, "\r\n", 2);
            EVP_Digest(crlf, sizeof crlf, h, &hl, EVP_sha256(), NULL);
            dk_b64_encode(h, 32, raw);
            if (crlf[k - 1] != '\r')
                assert_string_equal(bh_chunked(DK_CANON_SIMPLE, crlf, sizeof crlf, 0), raw);
        }
    }
}

static void test_bare_cr_is_content(void **state)
{
    unsigned char h[32];
    char want[64];
    unsigned hl;

    (void)state;
    /* documented: a bare CR is a content byte, kept as is */
    EVP_Digest("a\rb\r\n", 5, h, &hl, EVP_sha256(), NULL);
    dk_b64_encode(h, 32, want);
    assert_string_equal(bh(DK_CANON_SIMPLE, "a\rb\r\n"), want);
    assert_string_equal(bh(DK_CANON_SIMPLE, "a\rb"), want);
    for (size_t c = 1; c < 5; c++)
        assert_string_equal(bh_chunked(DK_CANON_SIMPLE, "a\rb\r\n", 5, c), want);
    assert_string_equal(bh(DK_CANON_RELAXED, "a\rb  \r\n"), want);
    /* two CRs split between chunks (found by fuzz_canon) */
    {
        static const char s2[] = "x\r\rc\r\n\r\r\n\r\n";
        char one[2][64];

        strcpy(one[0], bh(DK_CANON_SIMPLE, s2));
        strcpy(one[1], bh(DK_CANON_RELAXED, s2));
        for (size_t c = 1; c < sizeof s2; c++) {
            assert_string_equal(bh_chunked(DK_CANON_SIMPLE, s2, strlen(s2), c), one[0]);
            assert_string_equal(bh_chunked(DK_CANON_RELAXED, s2, strlen(s2), c), one[1]);
        }
        EVP_Digest("x\r\rc\r\n\r\r\n", 9, h, &hl, EVP_sha256(), NULL);
        dk_b64_encode(h, 32, want);
        assert_string_equal(one[0], want);
    }
    /* a final bare CR */
    EVP_Digest("a\r\r\n", 4, h, &hl, EVP_sha256(), NULL);
    dk_b64_encode(h, 32, want);
    assert_string_equal(bh(DK_CANON_SIMPLE, "a\r"), want);
}

static void test_many_blank_lines_and_long_line(void **state)
{
    const size_t nl = 100000, big = 10 * 1024 * 1024;
    char *p = malloc(big + 16);
    unsigned char h[32];
    char want[64];
    unsigned hl;

    (void)state;
    /* 100,000 blank lines then text: kept; at the end: dropped */
    for (size_t k = 0; k < nl; k++)
        memcpy(p + 2 * k, "\r\n", 2);
    memcpy(p + 2 * nl, "x\r\n", 3);
    EVP_Digest(p, 2 * nl + 3, h, &hl, EVP_sha256(), NULL);
    dk_b64_encode(h, 32, want);
    assert_string_equal(bh_chunked(DK_CANON_SIMPLE, p, 2 * nl + 3, 65536), want);
    assert_string_equal(bh_chunked(DK_CANON_RELAXED, p, 2 * nl + 3, 65536), want);
    memcpy(p, "x\r\n", 3);
    for (size_t k = 0; k < nl; k++)
        memcpy(p + 3 + 2 * k, "\r\n", 2);
    EVP_Digest("x\r\n", 3, h, &hl, EVP_sha256(), NULL);
    dk_b64_encode(h, 32, want);
    assert_string_equal(bh_chunked(DK_CANON_SIMPLE, p, 3 + 2 * nl, 4096), want);
    assert_string_equal(bh_chunked(DK_CANON_RELAXED, p, 3 + 2 * nl, 4096), want);
    /* a 10 MB line */
    memset(p, 'a', big);
    memcpy(p + big, "\r\n", 2);
    EVP_Digest(p, big + 2, h, &hl, EVP_sha256(), NULL);
    dk_b64_encode(h, 32, want);
    assert_string_equal(bh_chunked(DK_CANON_SIMPLE, p, big + 2, 65536), want);
    assert_string_equal(bh_chunked(DK_CANON_RELAXED, p, big + 2, 65536), want);
    free(p);
}

static void test_canon_parse(void **state)
{
    enum dk_canon h, b;

    (void)state;
    assert_int_equal(dk_canon_parse("relaxed", 7, &h, &b), 0);
    assert_true(h == DK_CANON_RELAXED && b == DK_CANON_SIMPLE);
    assert_int_equal(dk_canon_parse("simple/relaxed", 14, &h, &b), 0);
    assert_true(h == DK_CANON_SIMPLE && b == DK_CANON_RELAXED);
    assert_int_equal(dk_canon_parse("relaxed/", 8, &h, &b), -1);
    assert_int_equal(dk_canon_parse("Relaxed", 7, &h, &b), -1);
    assert_int_equal(dk_canon_parse("relaxed/simple/x", 16, &h, &b), -1);
}

static void test_tags(void **state)
{
    dk_tags t;
    char why[200];
    static const char ok[] = "v=1; a=rsa-sha256;\r\n\th=from :\r\n to; b=ab cd\r\n ef;";

    (void)state;
    assert_int_equal(dk_tags_parse(&t, ok, strlen(ok), why, sizeof why), 0);
    assert_int_equal(t.n, 4);
    assert_true(dk_tag_is(dk_tags_get(&t, "a"), "rsa-sha256"));
    assert_int_equal(dk_tags_get(&t, "b")->vlen, 10);
    assert_null(dk_tags_get(&t, "B")); /* tag names are case-sensitive */
    assert_int_equal(dk_tags_parse(&t, "a=1; a=2", 8, why, sizeof why), -1);
    assert_non_null(strstr(why, "twice"));
    assert_int_equal(dk_tags_parse(&t, "a=1; b", 6, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "a=1;=2", 6, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "a=1\r\nb=2", 8, why, sizeof why), -1); /* bare fold */
    assert_int_equal(dk_tags_parse(&t, "a=1\nb", 5, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "a=\x01", 3, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "a=\xc3\xa9", 4, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "a=b\0c", 5, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "1a=b", 4, why, sizeof why), -1);
    assert_int_equal(dk_tags_parse(&t, "", 0, why, sizeof why), 0);
    assert_int_equal(t.n, 0);
    {
        char *big = malloc(DK_TAG_VALUE_MAX + 8);

        memcpy(big, "a=", 2);
        memset(big + 2, 'x', DK_TAG_VALUE_MAX + 1);
        assert_int_equal(dk_tags_parse(&t, big, DK_TAG_VALUE_MAX + 3, why, sizeof why), -1);
        assert_non_null(strstr(why, "bytes"));
        free(big);
    }
    {
        char many[1024] = "";

        for (int i = 0; i < DK_TAGS_MAX + 1; i++)
            sprintf(many + strlen(many), "t%d=x;", i);
        assert_int_equal(dk_tags_parse(&t, many, strlen(many), why, sizeof why), -1);
    }
}

static void test_base64(void **state)
{
    unsigned char out[16];

    (void)state;
    assert_int_equal(dk_b64_decode("YWJj", 4, out, sizeof out), 3);
    assert_int_equal(dk_b64_decode("YW\r\n Jj", 7, out, sizeof out), 3);
    assert_int_equal(dk_b64_decode("YWI=", 4, out, sizeof out), 2);
    assert_int_equal(dk_b64_decode("YQ==", 4, out, sizeof out), 1);
    assert_int_equal(dk_b64_decode("YWJ", 3, out, sizeof out), -1);
    assert_int_equal(dk_b64_decode("Y===", 4, out, sizeof out), -1);
    assert_int_equal(dk_b64_decode("YQ==YQ==", 8, out, sizeof out), -1);
    assert_int_equal(dk_b64_decode("YW-j", 4, out, sizeof out), -1);
    assert_int_equal(dk_b64_decode("YWJjYWJjYWJjYWJjYWJjYWJj", 24, out, sizeof out), -1);
    /* folds inside and between quanta: the same bytes as unfolded */
    {
        static const char plain[] =
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v";
        unsigned char a[64], b[64];
        char folded[256];
        size_t o = 0;

        for (size_t k = 0; plain[k] != '\0'; k++) {
            folded[o++] = plain[k];
            if (k % 7 == 6) {
                memcpy(folded + o, k % 14 == 6 ? "\r\n\t" : " ", k % 14 == 6 ? 3 : 1);
                o += k % 14 == 6 ? 3 : 1;
            }
        }
        assert_int_equal(dk_b64_decode(plain, strlen(plain), a, sizeof a), 48);
        assert_int_equal(dk_b64_decode(folded, o, b, sizeof b), 48);
        assert_memory_equal(a, b, 48);
        for (int k = 0; k < 48; k++)
            assert_int_equal(a[k], k);
        assert_int_equal(dk_b64_decode("YW Jj YQ =\r\n =", 14, a, sizeof a), 4);
        assert_memory_equal(a, "abca", 4);
    }
}

static void test_colon_list(void **state)
{
    static const char h[] = " From : to ::\r\n\tsubject:";
    const char *want[] = {"From", "to", "", "subject", ""};
    size_t pos = 0, n, k = 0;
    const char *it;

    (void)state;
    while (dk_colon_next(h, strlen(h), &pos, &it, &n)) {
        assert_true(k < 5);
        assert_int_equal(n, strlen(want[k]));
        assert_memory_equal(it, want[k], n);
        k++;
    }
    assert_int_equal(k, 5);
    pos = 0;
    assert_true(dk_colon_next("", 0, &pos, &it, &n) && n == 0);
    assert_false(dk_colon_next("", 0, &pos, &it, &n));
    assert_true(dk_colon_list_has(h, strlen(h), "from", true));
    assert_false(dk_colon_list_has(h, strlen(h), "from", false));
    assert_true(dk_colon_list_has(h, strlen(h), "subject", false));
    assert_false(dk_colon_list_has(h, strlen(h), "subj", true));
    assert_true(dk_colon_list_has("y:s", 3, "s", false));
    assert_false(dk_colon_list_has("ys", 2, "s", false));
}

static void test_domain_ok(void **state)
{
    char why[100];

    (void)state;
    assert_true(dk_domain_ok("mail.example.com", 16, why, sizeof why));
    assert_true(dk_domain_ok("s_1", 3, why, sizeof why));
    assert_false(dk_domain_ok("a..b", 4, why, sizeof why));
    assert_false(dk_domain_ok("a.b.", 4, why, sizeof why));
    assert_false(dk_domain_ok("-a.b", 4, why, sizeof why));
    assert_false(dk_domain_ok("a b", 3, why, sizeof why));
    assert_false(dk_domain_ok("a/b", 3, why, sizeof why));
    assert_false(dk_domain_ok("a%b", 3, why, sizeof why));
    assert_false(dk_domain_ok("", 0, why, sizeof why));
}

/* The reader: LF files, headers bigger than one read, fields. */
static void test_msg_reader(void **state)
{
    char path[] = "/tmp/dkimctl-test-msg.XXXXXX";
    int fd = mkstemp(path);
    dk_msg m;
    dk_err e;
    const unsigned char *p;
    size_t n, total = 0;
    char *big = malloc(200000);

    (void)state;
    assert_true(fd >= 0);
    unlink(path);
    /* a 150 KB folded header in LF form, then a body */
    strcpy(big, "From: a@example.com\nX-Long: start");
    for (int i = 0; i < 15000; i++)
        strcat(big + strlen(big) - 10, "\n\tmore 123");
    strcat(big, "\nSubject : hi\n\nbody line\n");
    assert_int_equal(write(fd, big, strlen(big)), (ssize_t)strlen(big));
    lseek(fd, 0, SEEK_SET);
    assert_int_equal(dk_msg_init(&m, &e), 0);
    assert_int_equal(dk_msg_read_header(&m, fd, &e), 0);
    assert_true(m.lf_only);
    assert_int_equal(m.nf, 3);
    assert_true(dk_field_is(&m, &m.f[2], "subject", 7));
    assert_int_equal(m.f[2].nlen, 7);
    assert_null(memchr(m.hdr.data, '\n', 5) == NULL ? NULL : strstr(m.hdr.data, "m\n"));
    assert_non_null(strstr(m.hdr.data, "\r\n\tmore 123\r\n"));
    while (dk_msg_body_next(&m, &p, &n, &e) == 0 && n > 0)
        total += n;
    assert_int_equal(total, 10);
    /* header block over the cap is refused */
    lseek(fd, 0, SEEK_SET);
    assert_int_equal(ftruncate(fd, 0), 0);
    memset(big, 'x', 199999);
    for (int i = 0; i < 8; i++)
        assert_int_equal(write(fd, big, 199999), 199999);
    lseek(fd, 0, SEEK_SET);
    assert_int_equal(dk_msg_read_header(&m, fd, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    dk_msg_free(&m);
    close(fd);
    free(big);
}

/* Messages without a header block, or with an empty first line. */
static void test_msg_edge_cases(void **state)
{
    static const char *const in[] = {"\r\nbody\r\n\r\nmore\r\n",
                                     "\nbody\n\nmore\n",
                                     "",
                                     "Subject: x",
                                     "Subject: x\r\n",
                                     "a: b\r\n\r\n",
                                     "Subject: x\r"};
    static const size_t nf[] = {0, 0, 0, 1, 1, 1, 1};
    static const size_t body[] = {14, 11, 0, 0, 0, 0, 0};
    char path[] = "/tmp/dkimctl-test-edge.XXXXXX";
    int fd = mkstemp(path);
    dk_msg m;
    dk_err e;

    (void)state;
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(dk_msg_init(&m, &e), 0);
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++) {
        const unsigned char *p;
        size_t n, total = 0;

        assert_int_equal(ftruncate(fd, 0), 0);
        lseek(fd, 0, SEEK_SET);
        assert_int_equal(write(fd, in[k], strlen(in[k])), (ssize_t)strlen(in[k]));
        lseek(fd, 0, SEEK_SET);
        assert_int_equal(dk_msg_read_header(&m, fd, &e), 0);
        assert_int_equal(m.nf, nf[k]);
        if (nf[k] == 1) /* the field always ends in exactly one CRLF (found by fuzz_header) */
            assert_int_equal(m.f[0].vlen, 2); /* " x", " b": no CR left */
        while (dk_msg_body_next(&m, &p, &n, &e) == 0 && n > 0)
            total += n;
        assert_int_equal(total, body[k]);
    }
    dk_msg_free(&m);
    close(fd);
}

/* Signing from a file with LF line ends gives the same signature as the
 * CRLF message in memory (body larger than one read). */
static void test_sign_fd_matches_mem(void **state)
{
    dk_err e;
    EVP_PKEY *k = dk_private_key_load(DATA "ed25519.pem", &e);
    dk_sign_opts o;
    dk_signer *s;
    dk_buf a, b;
    char path[] = "/tmp/dkimctl-test-sign.XXXXXX";
    int fd = mkstemp(path);
    size_t n = 300000;
    char *crlf = malloc(2 * n + 200), *lf = malloc(2 * n + 200);
    size_t cl = 0, ll = 0;
    bool lfo = false;

    (void)state;
    assert_non_null(k);
    unlink(path);
    memset(&o, 0, sizeof o);
    o.domain = "example.com";
    o.selector = "ed";
    o.alg = DK_ALG_ED25519_SHA256;
    o.hcanon = DK_CANON_RELAXED;
    o.now = 1700000000;
    s = dk_signer_new(&o, k, &e);
    assert_non_null(s);
    cl = (size_t)sprintf(crlf, "From: a@example.com\r\nSubject: x\r\n\r\n");
    ll = (size_t)sprintf(lf, "From: a@example.com\nSubject: x\n\n");
    for (size_t i = 0; i < n / 10; i++) {
        memcpy(crlf + cl, "line  xx\r\n", 10);
        cl += 10;
        memcpy(lf + ll, "line  xx\n", 9);
        ll += 9;
    }
    assert_int_equal(write(fd, lf, ll), (ssize_t)ll);
    lseek(fd, 0, SEEK_SET);
    dk_buf_init(&a, 0);
    dk_buf_init(&b, 0);
    assert_int_equal(dk_sign_fd(s, fd, &a, &lfo, &e), 0);
    assert_true(lfo);
    assert_int_equal(dk_sign_mem(s, crlf, cl, &b, &e), 0);
    assert_string_equal(a.data, b.data);
    dk_buf_free(&a);
    dk_buf_free(&b);
    dk_signer_free(s);
    close(fd);
    free(crlf);
    free(lf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6376_345_example),
        cmocka_unit_test(test_header_canon_differential),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_rfc_bodies),
        cmocka_unit_test(test_no_final_crlf),
        cmocka_unit_test(test_line_ends_and_chunks),
        cmocka_unit_test(test_bare_lf_every_position),
        cmocka_unit_test(test_bare_cr_is_content),
        cmocka_unit_test(test_many_blank_lines_and_long_line),
        cmocka_unit_test(test_canon_parse),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_domain_ok),
        cmocka_unit_test(test_colon_list),
        cmocka_unit_test(test_msg_reader),
        cmocka_unit_test(test_msg_edge_cases),
        cmocka_unit_test(test_sign_fd_matches_mem),
    };
    int rc;

    md = EVP_MD_CTX_new();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_MD_CTX_free(md);
    return rc;
}
