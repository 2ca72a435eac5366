/* test_records.c - DKIM/SPF/DMARC record text: values, splitting, quoting, formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/keygen.h"
#include "render/records.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define KEYDIR    "tests/unit/data/keys/"
#define GOLDENDIR "tests/golden/records/"

static char *read_text(const char *path)
{
    dk_buf b;
    dk_err e;

    dk_buf_init(&b, 0);
    if (dk_read_file(path, 1 << 20, &b, &e) < 0)
        fail_msg("%s: %s", path, e.msg);
    return dk_buf_steal(&b, NULL);
}

/* Fixture keys stand in for the key files: /etc/dkimkeys/NAME.pem -> KEYDIR/NAME.pem */
static int fixture_pubkey(void *ud, const dk_domain *d, const dk_selector *s, dk_buf *p_b64,
                          dk_err *e)
{
    const char *base = strrchr(s->key_path, '/') + 1;
    char path[256];
    dk_buf key;
    int rc;

    (void)ud;
    (void)d;
    (void)snprintf(path, sizeof path, KEYDIR "%s", base);
    dk_buf_init_secret(&key, 0);
    rc = dk_read_file(path, DK_KEY_FILE_MAX, &key, e);
    if (rc == 0)
        rc = dk_key_public_from_pem(path, key.data, key.len, NULL, NULL, p_b64, e);
    dk_buf_free(&key);
    return rc;
}

static char *strs[32];
static size_t nstrs;

static void list(dk_strlist *l, const char *a, const char *b)
{
    assert_true(nstrs + 2 <= sizeof strs / sizeof strs[0]);
    l->n = 0;
    l->v = strs + nstrs;
    if (a != NULL) {
        strs[nstrs++] = (char *)a;
        l->n++;
    }
    if (b != NULL) {
        strs[nstrs++] = (char *)b;
        l->n++;
    }
}

static dk_selector sa[5], sb[2];
static dk_domain doms[2];
static dk_model model;

static void sel(dk_selector *s, const char *name, enum dk_keyalg alg, const char *key,
                enum dk_selstate st)
{
    memset(s, 0, sizeof *s);
    strcpy(s->name, name);
    s->alg = alg;
    (void)snprintf(s->key_path, sizeof s->key_path, "/etc/dkimkeys/%s", key);
    s->state = st;
}

static void build_model(void)
{
    dk_domain *a = &doms[0], *b = &doms[1];

    nstrs = 0;
    memset(&model, 0, sizeof model);
    memset(doms, 0, sizeof doms);
    sel(&sa[0], "s2026", DK_KEY_RSA, "rsa2048.pem", DK_SEL_ACTIVE);
    sel(&sa[1], "ed2026", DK_KEY_ED25519, "ed25519.pem", DK_SEL_ACTIVE);
    sel(&sa[2], "big", DK_KEY_RSA, "rsa4096.pem", DK_SEL_PENDING);
    sel(&sa[3], "old", DK_KEY_RSA, "gone.pem", DK_SEL_REVOKED);
    sel(&sa[4], "nokey", DK_KEY_RSA, "missing.pem", DK_SEL_ACTIVE);
    strcpy(a->name, "example.org");
    a->sel = sa;
    a->nsel = 5;
    a->spf.publish = true;
    a->spf.mx = true;
    a->spf.a = true;
    list(&a->spf.ip4, "192.0.2.0/24", NULL);
    list(&a->spf.ip6, "2001:db8::/32", NULL);
    list(&a->spf.include, "_spf.example.net", NULL);
    a->spf.all = DK_Q_SOFTFAIL;
    a->dmarc.publish = true;
    a->dmarc.p = DK_DMARC_QUARANTINE;
    a->dmarc.sp = DK_DMARC_REJECT;
    a->dmarc.np = DK_DMARC_REJECT;
    a->dmarc.pct = 50;
    list(&a->dmarc.rua, "mailto:dmarc@example.org", NULL);
    list(&a->dmarc.ruf, "mailto:forensic@example.org", NULL);
    a->dmarc.adkim = 's';
    a->dmarc.aspf = 's';
    strcpy(a->dmarc.fo, "1");

    sel(&sb[0], "s1", DK_KEY_RSA, "rsa1024.pem", DK_SEL_RETIRED);
    sel(&sb[1], "s2", DK_KEY_RSA, "rsa2048-pkcs1.pem", DK_SEL_ACTIVE);
    strcpy(b->name, "example.net");
    b->sel = sb;
    b->nsel = 2;
    b->spf.publish = true;
    b->spf.mx = true;
    b->spf.all = DK_Q_FAIL;
    b->dmarc.publish = true;
    b->dmarc.p = DK_DMARC_NONE;
    b->dmarc.pct = 100;
    list(&b->dmarc.rua, "mailto:a,b@example.net!10m", "mailto:x;y z@example.org");
    b->dmarc.adkim = 'r';
    b->dmarc.aspf = 'r';
    strcpy(b->dmarc.fo, "0");
    model.domains = doms;
    model.ndomains = 2;
}

static void golden(const char *file, const dk_buf *got)
{
    char path[256];
    char *want;

    (void)snprintf(path, sizeof path, GOLDENDIR "%s", file);
    if (getenv("DK_UPDATE_GOLDEN") != NULL) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_int_equal(fwrite(got->data, 1, got->len, f), got->len);
        assert_int_equal(fclose(f), 0);
        fprintf(stderr, "# updated %s\n", path);
    }
    want = read_text(path);
    assert_string_equal(got->data, want);
    free(want);
}

static void render_golden(enum dk_rec_format fmt, const char *file)
{
    dk_records rs;
    dk_findings notes;
    dk_buf out;
    dk_err e;

    build_model();
    dk_records_init(&rs);
    dk_findings_init(&notes);
    dk_buf_init(&out, 0);
    if (dk_records_build(&model, NULL, fixture_pubkey, NULL, &rs, &notes, &e) < 0)
        fail_msg("%s", e.msg);
    assert_int_equal(rs.n, 4 + 2 + 2 + 2); /* nokey left out */
    assert_int_equal(notes.n, 1);
    assert_non_null(strstr(notes.v[0].what, "nokey"));
    assert_int_equal(dk_records_render(&rs, fmt, 0, &out, &e), 0);
    golden(file, &out);
    dk_buf_free(&out);
    dk_findings_free(&notes);
    dk_records_free(&rs);
}

static void test_golden_zone(void **state)
{
    (void)state;
    render_golden(DK_FMT_ZONE, "zone.txt");
}

static void test_golden_plain(void **state)
{
    (void)state;
    render_golden(DK_FMT_PLAIN, "plain.txt");
}

static void test_golden_nsupdate(void **state)
{
    (void)state;
    render_golden(DK_FMT_NSUPDATE, "nsupdate.txt");
}

static void test_values(void **state)
{
    dk_records rs;
    dk_err e;
    char *p;

    (void)state;
    build_model();
    dk_records_init(&rs);
    assert_int_equal(dk_records_build(&model, "example.org", fixture_pubkey, NULL, &rs, NULL, &e),
                     0);
    assert_int_equal(rs.n, 6);
    p = read_text(KEYDIR "rsa2048.p");
    assert_string_equal(rs.v[0].name, "s2026._domainkey.example.org");
    assert_memory_equal(rs.v[0].value, "v=DKIM1; k=rsa; p=", 18);
    assert_string_equal(rs.v[0].value + 18, p);
    free(p);
    p = read_text(KEYDIR "ed25519.p");
    assert_memory_equal(rs.v[1].value, "v=DKIM1; k=ed25519; p=", 22);
    assert_string_equal(rs.v[1].value + 22, p);
    assert_int_equal(strlen(p), 44);
    free(p);
    assert_string_equal(rs.v[3].name, "old._domainkey.example.org");
    assert_string_equal(rs.v[3].value, "v=DKIM1; k=rsa; p=");
    assert_string_equal(rs.v[4].name, "example.org");
    assert_string_equal(rs.v[4].value, "v=spf1 mx a ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                                       "include:_spf.example.net ~all");
    assert_string_equal(rs.v[5].name, "_dmarc.example.org");
    assert_string_equal(rs.v[5].value,
                        "v=DMARC1; p=quarantine; sp=reject; np=reject; pct=50; "
                        "rua=mailto:dmarc@example.org; ruf=mailto:forensic@example.org; "
                        "adkim=s; aspf=s; fo=1");
    dk_records_free(&rs);

    dk_records_init(&rs);
    assert_int_equal(dk_records_build(&model, "example.net", fixture_pubkey, NULL, &rs, NULL, &e),
                     0);
    assert_int_equal(rs.n, 4);
    assert_string_equal(rs.v[2].value, "v=spf1 mx -all");
    /* defaults left out; ',' ';' ' ' and a stray '!' encoded; "!10m" kept */
    assert_string_equal(rs.v[3].value, "v=DMARC1; p=none; rua=mailto:a%2Cb@example.net!10m,"
                                       "mailto:x%3By%20z@example.org");
    dk_records_free(&rs);

    dk_records_init(&rs);
    assert_int_equal(dk_records_build(&model, "nope.example", fixture_pubkey, NULL, &rs, NULL, &e),
                     -1);
    assert_int_equal(e.code, DK_ENOENT);
    dk_records_free(&rs);
}

static void test_bad_policy_refused(void **state)
{
    dk_buf v;
    dk_err e;

    (void)state;
    build_model();
    dk_buf_init(&v, 0);
    doms[0].dmarc.p = DK_DMARC_UNSET;
    assert_int_equal(dk_record_dmarc_value(&doms[0], &v, &e), -1);
    assert_non_null(strstr(e.msg, "none, quarantine, reject"));
    doms[0].dmarc.p = DK_DMARC_NONE;
    doms[0].dmarc.pct = 101;
    assert_int_equal(dk_record_dmarc_value(&doms[0], &v, &e), -1);
    doms[0].dmarc.pct = 100;
    strcpy(doms[0].dmarc.fo, "1:x");
    assert_int_equal(dk_record_dmarc_value(&doms[0], &v, &e), -1);
    strcpy(doms[0].dmarc.fo, "1:d:s");
    list(&doms[0].dmarc.rua, "https://x.example", NULL);
    assert_int_equal(dk_record_dmarc_value(&doms[0], &v, &e), -1);
    assert_non_null(strstr(e.msg, "mailto:"));
    list(&doms[0].dmarc.rua, "mailto:a\"b@x.example", NULL);
    assert_int_equal(dk_record_dmarc_value(&doms[0], &v, &e), -1);

    list(&doms[0].spf.ip4, "192.0.2.1 -all", NULL);
    assert_int_equal(dk_record_spf_value(&doms[0], &v, &e), -1);
    assert_non_null(strstr(e.file, "spf.ip4"));
    list(&doms[0].spf.ip4, "", NULL);
    assert_int_equal(dk_record_spf_value(&doms[0], &v, &e), -1);
    list(&doms[0].spf.ip4, NULL, NULL);
    list(&doms[0].spf.include, "x.example\n", NULL);
    assert_int_equal(dk_record_spf_value(&doms[0], &v, &e), -1);
    assert_int_equal(dk_record_dkim_value(DK_KEY_RSA, "abc\"; x=", &v, &e), -1);
    dk_buf_free(&v);
}

static void test_split_4096(void **state)
{
    dk_records rs;
    size_t lens[16], total = 0;
    char *p;
    dk_buf cat;
    long n;
    dk_err e;

    (void)state;
    build_model();
    dk_records_init(&rs);
    assert_int_equal(dk_records_build(&model, "example.org", fixture_pubkey, NULL, &rs, NULL, &e),
                     0);
    assert_string_equal(rs.v[2].name, "big._domainkey.example.org");
    n = dk_txt_split(rs.v[2].value, strlen(rs.v[2].value), 255, lens, 16);
    assert_true(n >= 4);
    dk_buf_init(&cat, 0);
    for (long i = 0; i < n; i++) {
        assert_true(lens[i] >= 1 && lens[i] <= 255);
        assert_int_equal(dk_buf_append(&cat, rs.v[2].value + total, lens[i], &e), 0);
        total += lens[i];
    }
    assert_int_equal(total, strlen(rs.v[2].value));
    /* the tags stay whole: the first string ends right after "k=rsa; " */
    assert_int_equal(lens[0], strlen("v=DKIM1; k=rsa; "));
    p = read_text(KEYDIR "rsa4096.p");
    assert_int_equal(strlen(p), 736);
    assert_string_equal(cat.data + strlen("v=DKIM1; k=rsa; p="), p);
    free(p);
    dk_buf_free(&cat);
    dk_records_free(&rs);
}

static void test_split_edges(void **state)
{
    char v[600];
    size_t lens[8];

    (void)state;
    memset(v, 'a', sizeof v);
    assert_int_equal(dk_txt_split(v, 255, 255, lens, 8), 1);
    assert_int_equal(lens[0], 255);
    assert_int_equal(dk_txt_split(v, 256, 255, lens, 8), 2);
    assert_int_equal(lens[0], 255);
    assert_int_equal(lens[1], 1);
    assert_int_equal(dk_txt_split(v, 600, 255, lens, 8), 3);
    assert_int_equal(lens[2], 90);
    assert_int_equal(dk_txt_split(v, 0, 255, lens, 8), 1);
    assert_int_equal(lens[0], 0);
    /* a space in the window: cut just after it */
    v[100] = ' ';
    assert_int_equal(dk_txt_split(v, 300, 255, lens, 8), 2);
    assert_int_equal(lens[0], 101);
    assert_int_equal(lens[1], 199);
    /* a space as the 255th byte: cut there, nothing lost */
    v[100] = 'a';
    v[254] = ' ';
    assert_int_equal(dk_txt_split(v, 300, 255, lens, 8), 2);
    assert_int_equal(lens[0], 255);
    /* bounds */
    assert_int_equal(dk_txt_split(v, 600, 256, lens, 8), -1);
    assert_int_equal(dk_txt_split(v, 600, 255, lens, 2), -1);
}

static void test_quote_escaping(void **state)
{
    dk_buf out;
    dk_err e;

    (void)state;
    dk_buf_init(&out, 0);
    assert_int_equal(dk_txt_quote("a\"b\\c", 5, &out, &e), 0);
    assert_string_equal(out.data, "\"a\\\"b\\\\c\"");
    dk_buf_reset(&out);
    assert_int_equal(dk_txt_quote("x\ny\x7f\xff;", 6, &out, &e), 0);
    assert_string_equal(out.data, "\"x\\010y\\127\\255;\"");
    dk_buf_reset(&out);
    assert_int_equal(dk_txt_quote("", 0, &out, &e), 0);
    assert_string_equal(out.data, "\"\"");
    dk_buf_free(&out);
}

static void test_render_escapes_and_splits(void **state)
{
    dk_records rs;
    dk_buf out;
    dk_err e;
    char big[400];

    (void)state;
    /* a value with quotes and backslashes, split across strings: the 255-byte
     * limit counts raw bytes, escapes never straddle a string boundary */
    memset(big, '\\', sizeof big);
    big[sizeof big - 1] = '\0';
    big[0] = '"';
    dk_records_init(&rs);
    rs.v = calloc(1, sizeof *rs.v);
    assert_non_null(rs.v);
    rs.n = rs.cap = 1;
    strcpy(rs.v[0].name, "t.example");
    strcpy(rs.v[0].domain, "example");
    rs.v[0].value = strdup(big);
    dk_buf_init(&out, 0);
    assert_int_equal(dk_records_render(&rs, DK_FMT_NSUPDATE, 60, &out, &e), 0);
    assert_memory_equal(out.data, "update add t.example. 60 IN TXT \"\\\"\\\\\\\\", 39);
    /* 255 raw bytes -> "\"" + 254 x "\\\\" + quotes; then the 144 left */
    {
        const char *second = strstr(out.data, "\" \"");

        assert_non_null(second);
        assert_int_equal(second - out.data, 32 + 1 + 2 + 254 * 2);
        assert_string_equal(out.data + strlen(out.data) - 9, "\\\\\"\nsend\n");
    }
    dk_buf_reset(&out);
    assert_int_equal(dk_records_render(&rs, DK_FMT_ZONE, 60, &out, &e), 0);
    assert_memory_equal(out.data, "t.example. 60 IN TXT ( \"", 24);
    assert_non_null(strstr(out.data, "\"\n\t\""));
    assert_string_equal(out.data + strlen(out.data) - 4, "\" )\n");
    dk_buf_free(&out);
    dk_records_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_zone),
        cmocka_unit_test(test_golden_plain),
        cmocka_unit_test(test_golden_nsupdate),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_bad_policy_refused),
        cmocka_unit_test(test_split_4096),
        cmocka_unit_test(test_split_edges),
        cmocka_unit_test(test_quote_escaping),
        cmocka_unit_test(test_render_escapes_and_splits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
