/* test_spf.c - SPF record syntax, macros and findings on one record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/spf.h"

/* Parse s; return 0 or -1; on -1 the message is kept in last_err. */
static dk_err last_err;

static int parse(const char *s)
{
    dk_spf_record r;
    int rc = dk_spf_parse(s, strlen(s), &r, &last_err);

    dk_spf_record_free(&r);
    return rc;
}

static void test_is_record(void **state)
{
    (void)state;
    assert_true(dk_spf_is_record("v=spf1", 6));
    assert_true(dk_spf_is_record("v=spf1 -all", 11));
    assert_true(dk_spf_is_record("V=SPF1 -all", 11));
    assert_true(dk_spf_is_record("v=Spf1 ip4:192.0.2.1", 20));
    assert_false(dk_spf_is_record("v=spf1a", 7));
    assert_false(dk_spf_is_record("v=spf1a -all", 12));
    assert_false(dk_spf_is_record("v=spf10 -all", 12));
    assert_false(dk_spf_is_record("v=spf2.0/pra -all", 17));
    assert_false(dk_spf_is_record(" v=spf1 -all", 12));
    assert_false(dk_spf_is_record("v=spf", 5));
    /* v=spf1a is not SPF: parsing it fails as "not an SPF record" */
    assert_int_equal(parse("v=spf1a -all"), -1);
    assert_non_null(strstr(last_err.msg, "not an SPF record"));
}

static void test_select(void **state)
{
    dk_dns_txt one[] = {{(char *)"google-site-verification=x", 27}, {(char *)"v=spf1 -all", 11}};
    dk_dns_txt two[] = {{(char *)"v=spf1 -all", 11}, {(char *)"V=SPF1 ~all", 11}};
    dk_dns_txt none[] = {{(char *)"v=spf1a -all", 12}, {(char *)"hello", 5}};
    size_t idx = 99;
    dk_err e;

    (void)state;
    assert_int_equal(dk_spf_select(one, 2, &idx, &e), 1);
    assert_int_equal(idx, 1);
    assert_int_equal(dk_spf_select(two, 2, &idx, &e), -1);
    assert_non_null(strstr(e.msg, "permerror"));
    assert_int_equal(dk_spf_select(none, 2, &idx, &e), 0);
    assert_int_equal(dk_spf_select(NULL, 0, &idx, &e), 0);
}

static void test_parse_terms(void **state)
{
    const char *s = "v=spf1 INCLUDE:_spf.Example.com Ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                    "-A:mail.example.com/24//64 ~mx ?ptr:example.org Exists:%{i}._spf.%{d} "
                    "a//64 mx/28 Redirect=_spf.example.net exp=explain.%{d} foo-bar=baz";
    dk_spf_record r;
    dk_err e;

    (void)state;
    assert_int_equal(dk_spf_parse(s, strlen(s), &r, &e), 0);
    assert_int_equal(r.nterms, 12);
    assert_int_equal(r.terms[0].kind, DK_SPF_INCLUDE);
    assert_string_equal(r.terms[0].spec, "_spf.Example.com");
    assert_int_equal(r.terms[0].col, 8);
    assert_int_equal(r.terms[1].kind, DK_SPF_IP4);
    assert_int_equal(r.terms[1].cidr4, 24);
    assert_int_equal(r.terms[1].net.b[0], 192);
    assert_int_equal(r.terms[2].kind, DK_SPF_IP6);
    assert_int_equal(r.terms[2].cidr6, 32);
    assert_int_equal(r.terms[3].kind, DK_SPF_A);
    assert_int_equal(r.terms[3].q, DK_Q_FAIL);
    assert_string_equal(r.terms[3].spec, "mail.example.com");
    assert_int_equal(r.terms[3].cidr4, 24);
    assert_int_equal(r.terms[3].cidr6, 64);
    assert_int_equal(r.terms[4].kind, DK_SPF_MX);
    assert_int_equal(r.terms[4].q, DK_Q_SOFTFAIL);
    assert_null(r.terms[4].spec);
    assert_int_equal(r.terms[5].kind, DK_SPF_PTR);
    assert_int_equal(r.terms[5].q, DK_Q_NEUTRAL);
    assert_int_equal(r.terms[6].kind, DK_SPF_EXISTS);
    assert_true(r.terms[6].has_macro);
    assert_int_equal(r.terms[7].cidr4, -1);
    assert_int_equal(r.terms[7].cidr6, 64);
    assert_int_equal(r.terms[8].cidr4, 28);
    assert_int_equal(r.terms[9].kind, DK_SPF_REDIRECT);
    assert_int_equal(r.redirect, 9);
    assert_int_equal(r.exp, 10);
    assert_int_equal(r.terms[11].kind, DK_SPF_UNKNOWN);
    assert_string_equal(r.terms[11].name, "foo-bar");
    assert_int_equal(r.all, -1);
    dk_spf_record_free(&r);

    /* empty record and extra spaces are fine */
    assert_int_equal(parse("v=spf1"), 0);
    assert_int_equal(parse("v=spf1   -all   "), 0);
}

/* Each of these is a permerror (RFC 7208 and the pyspf test suite). */
static void test_parse_permerrors(void **state)
{
    static const char *const bad[] = {
        "v=spf1 all:x",
        "v=spf1 all/24",
        "v=spf1 -all:example.com",
        "v=spf1 ip4:1.2.3.4/33",
        "v=spf1 ip4:1.2.3.4/032",
        "v=spf1 ip4:1.2.3.4/",
        "v=spf1 ip4:1.2.3.4//24",
        "v=spf1 ip6:::1/129",
        "v=spf1 ip6:::1/0128",
        "v=spf1 ip4:1.2.3.4:25",
        "v=spf1 ip4:1.2.3.4:8080/24",
        "v=spf1 ip4:01.2.3.4",
        "v=spf1 ip4:1.2.3",
        "v=spf1 ip4:256.1.1.1",
        "v=spf1 ip4:2001:db8::1",
        "v=spf1 ip6:1.2.3.4",
        "v=spf1 ip6:[2001:db8::1]:25",
        "v=spf1 ip4",
        "v=spf1 ip4:",
        "v=spf1 a/033",
        "v=spf1 a/33",
        "v=spf1 a//129",
        "v=spf1 a//064",
        "v=spf1 a/24/64",
        "v=spf1 a/",
        "v=spf1 mx:example.com/33",
        "v=spf1 a:",
        "v=spf1 include",
        "v=spf1 include:",
        "v=spf1 include:example.com/24",
        "v=spf1 exists",
        "v=spf1 exists:example.com/24",
        "v=spf1 ptr/24",
        "v=spf1 foo",
        "v=spf1 foo:bar.com",
        "v=spf1 +-all",
        "v=spf1 include:example.123",
        "v=spf1 include:localhost",
        "v=spf1 include:foo..example.com",
        "v=spf1 include:.example.com",
        "v=spf1 a:example.-com",
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 exp=a.example.com exp=b.example.com -all",
        "v=spf1 Redirect=a.example.com REDIRECT=a.example.com",
        "v=spf1 redirect=",
        "v=spf1 -all\tip4:1.2.3.4",
        "v=spf1 ip4:1.2.3.4\r\n",
        "v=spf1 include:ex\x01"
        "ample.com",
        "v=spf1 include:\xc3\xa9xample.com",
        "v=spf1 unknown=%",
        "v=spf1 -all.",
        "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
        "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all",
        "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
        "v=spf1 a:foo-bar -all",
        "v=spf1 a:example.com:8080",
        "v=spf1 a:111.222.33.44",
        "v=spf1 a:museum.",
        "v=spf1 a:example.com/24/64",
        "v=spf1 a:example.com/",
        "v=spf1 a:/24",
        "v=spf1 mx:example.com///64",
        "v=spf1 include +all",
        "v=spf1 ptr:",
    };
    char why[800];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(why, sizeof why, "%s", bad[i]);
        if (parse(bad[i]) != -1)
            fail_msg("accepted: %s", why);
        assert_int_equal(last_err.code, DK_EINVAL);
        assert_true(last_err.col >= 1);
    }
    /* a NUL byte inside the record */
    {
        dk_spf_record r;
        assert_int_equal(dk_spf_parse("v=spf1 a\0b -all", 15, &r, &last_err), -1);
        assert_int_equal(last_err.col, 9);
    }
    /* the column points at the bad term and the message names it */
    assert_int_equal(parse("v=spf1 ip4:192.0.2.1 ip4:1.2.3.4/33 -all"), -1);
    assert_int_equal(last_err.col, 22);
    assert_non_null(strstr(last_err.msg, "ip4:1.2.3.4/33"));
    assert_int_equal(parse("v=spf1 redirect=a.example.com redirect=b.example.com"), -1);
    assert_non_null(strstr(last_err.msg, "second redirect"));
    assert_int_equal(parse("v=spf1 exp=a.example.com exp=b.example.com"), -1);
    assert_non_null(strstr(last_err.msg, "second exp"));
}

static void test_parse_valid_edges(void **state)
{
    static const char *const good[] = {
        "v=spf1 ip4:1.2.3.4/32 ip4:0.0.0.0/0 ip6:::1/128 ip6:::/0",
        "v=spf1 a/0 a//0 a/32//128",
        "v=spf1 ip6:::ffff:192.0.2.1",
        "v=spf1 include:example.com. -all",
        "v=spf1 include:_spf.example-1.com",
        "v=spf1 a:foo.1-2",
        "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 exists:%{d2147483648}.example.com",
        "v=spf1 -all moo=",
        "v=spf1 -all foo.bar=%{d}",
        "v=spf1 exp=%{d}",
        "v=spf1 a:%%.example.com a:%_x.example.com a:%-x.example.com",
        "v=spf1 mx:%{d}/24",
        "v=spf1 a:foo:bar/baz.example.com",
        "v=spf1 a:foo.example.xn--zckzah -all",
        "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
        "v=spf1 all -all",
    };

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (parse(good[i]) != 0)
            fail_msg("refused: %s: %s", good[i], last_err.msg);
    }
}

static void test_macro_syntax(void **state)
{
    dk_err e;

    (void)state;
    assert_int_equal(dk_spf_check_spec("%{x}.example.com", false, true, &e), -1);
    assert_non_null(strstr(e.msg, "macro letter"));
    assert_int_equal(dk_spf_check_spec("example.com%", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{d", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{d0}.example.com", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{d00}.example.com", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{d1rr}.example.com", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{d;}.example.com", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%a.example.com", false, true, &e), -1);
    /* c, r, t only in exp */
    assert_int_equal(dk_spf_check_spec("%{c}.example.com", false, true, &e), -1);
    assert_int_equal(dk_spf_check_spec("%{c} %{r} %{t}", true, false, &e), -1); /* space */
    assert_int_equal(dk_spf_check_spec("%{c}.%{r}.%{t}", true, false, &e), 0);
    assert_int_equal(dk_spf_check_spec("%{D2R.-+,/_=}", false, true, &e), 0);
    assert_int_equal(parse("v=spf1 a:%{x}.example.com"), -1);
    assert_int_equal(parse("v=spf1 include:example.com%"), -1);
    assert_int_equal(parse("v=spf1 exists:%{d0}.example.com"), -1);
}

static dk_spf_macro_ctx rfc_ctx(void)
{
    dk_spf_macro_ctx c;

    memset(&c, 0, sizeof c);
    c.sender = "strong-bad@email.example.com";
    c.domain = "email.example.com";
    c.helo = "mx.example.org";
    assert_int_equal(dk_spf_ip_parse("192.0.2.3", &c.ip, NULL), 0);
    c.now = 1700000000;
    return c;
}

static void expect(const char *spec, const dk_spf_macro_ctx *c, bool in_exp, bool domain,
                   const char *want)
{
    char out[1024];
    dk_err e;

    if (dk_spf_expand(spec, c, in_exp, domain, out, sizeof out, &e) != 0)
        fail_msg("%s: %s", spec, e.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", spec, out, want);
}

/* RFC 7208 7.4 examples. */
static void test_macro_rfc_examples(void **state)
{
    dk_spf_macro_ctx c = rfc_ctx();

    (void)state;
    expect("%{s}", &c, false, false, "strong-bad@email.example.com");
    expect("%{o}", &c, false, false, "email.example.com");
    expect("%{d}", &c, false, false, "email.example.com");
    expect("%{d4}", &c, false, false, "email.example.com");
    expect("%{d3}", &c, false, false, "email.example.com");
    expect("%{d2}", &c, false, false, "example.com");
    expect("%{d1}", &c, false, false, "com");
    expect("%{dr}", &c, false, false, "com.example.email");
    expect("%{d2r}", &c, false, false, "example.email");
    expect("%{l}", &c, false, false, "strong-bad");
    expect("%{l-}", &c, false, false, "strong.bad");
    expect("%{lr}", &c, false, false, "strong-bad");
    expect("%{lr-}", &c, false, false, "bad.strong");
    expect("%{l1r-}", &c, false, false, "strong");
    expect("%{ir}.%{v}._spf.%{d2}", &c, false, true, "3.2.0.192.in-addr._spf.example.com");
    expect("%{lr-}.lp._spf.%{d2}", &c, false, true, "bad.strong.lp._spf.example.com");
    expect("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", &c, false, true,
           "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    expect("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", &c, false, true,
           "3.2.0.192.in-addr.strong.lp._spf.example.com");
    expect("%{d2}.trusted-domains.example.net", &c, false, true,
           "example.com.trusted-domains.example.net");
    assert_int_equal(dk_spf_ip_parse("2001:db8::cb01", &c.ip, NULL), 0);
    expect("%{ir}.%{v}._spf.%{d2}", &c, false, true,
           "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
    expect("%{c}", &c, true, false, "2001:db8::cb01");
}

static void test_macro_other(void **state)
{
    dk_spf_macro_ctx c = rfc_ctx();
    char out[300];
    dk_err e;

    (void)state;
    /* upper case: URL-encoded */
    expect("%{S}", &c, false, false, "strong-bad%40email.example.com");
    expect("%%%_%-", &c, true, false, "% %20");
    expect("%{h}", &c, false, false, "mx.example.org");
    expect("%{p}", &c, false, false, "unknown");
    expect("%{t}", &c, true, false, "1700000000");
    expect("%{r}", &c, true, false, "unknown");
    /* huge digit transformer: every part kept, no overflow */
    expect("%{d2147483648}", &c, false, false, "email.example.com");
    expect("%{d99999999999999999999999999}", &c, false, false, "email.example.com");
    /* several delimiters */
    c.sender = "a+b-c@x.example.com";
    expect("%{l+-}", &c, false, false, "a.b.c");
    expect("%{l2r+-}", &c, false, false, "b.a");
    /* empty local-part -> postmaster */
    c.sender = "@x.example.com";
    expect("%{l}", &c, false, false, "postmaster");
    expect("%{s}", &c, false, false, "postmaster@x.example.com");
    /* invalid macros refused by expansion too */
    assert_int_equal(dk_spf_expand("%{x}", &c, false, false, out, sizeof out, &e), -1);
    assert_int_equal(dk_spf_expand("a%", &c, false, false, out, sizeof out, &e), -1);
    assert_int_equal(dk_spf_expand("%{d0}", &c, false, false, out, sizeof out, &e), -1);
    assert_int_equal(dk_spf_expand("%{t}.example.com", &c, false, true, out, sizeof out, &e), -1);
}

/* Expansion past 253 octets: labels cut from the left (RFC 7208 7.3);
 * URL-encoding that triples the size stays bounded (CVE-2021-20314). */
static void test_macro_truncation(void **state)
{
    dk_spf_macro_ctx c = rfc_ctx();
    char local[200], sender[300], out[300], big[DK_SPF_EXPAND_MAX + 1];
    dk_err e;
    size_t n;

    (void)state;
    /* local-part of 60 labels "abc." -> long name */
    local[0] = '\0';
    for (int i = 0; i < 40; i++)
        strcat(local, i == 0 ? "abcd" : ".abcd");
    snprintf(sender, sizeof sender, "%s@email.example.com", local);
    c.sender = sender;
    assert_int_equal(
        dk_spf_expand("%{l}.%{l}.%{ir}.%{v}._spf.%{d}", &c, false, true, out, sizeof out, &e), 0);
    n = strlen(out);
    assert_true(n <= 253);
    assert_true(n > 200);
    assert_non_null(strstr(out, "3.2.0.192.in-addr._spf.email.example.com"));
    assert_int_equal(strcmp(out + n - strlen("._spf.email.example.com"), "._spf.email.example.com"),
                     0);
    assert_true(out[0] != '.');
    /* a too small output buffer is an error, never an overflow */
    assert_int_equal(dk_spf_expand("%{l}.%{l}", &c, false, true, out, 10, &e), -1);
    /* a 398-octet first label is cut as a whole */
    memset(local, 'x', 199);
    local[199] = '\0';
    snprintf(sender, sizeof sender, "%s@e.example.com", local);
    c.sender = sender;
    assert_int_equal(dk_spf_expand("%{l}%{l}.example.com", &c, false, true, out, sizeof out, &e),
                     0);
    assert_string_equal(out, "example.com");
    /* a single label over 253 octets cannot be cut */
    assert_int_equal(dk_spf_expand("%{l}%{l}", &c, false, true, out, sizeof out, &e), -1);
    /* exp text: URL-encoded many times, capped */
    memset(local, '/', 199);
    snprintf(sender, sizeof sender, "%s@e.example.com", local);
    c.sender = sender;
    assert_int_equal(
        dk_spf_expand("%{L}%{L}%{L}%{L}%{L}%{L}%{L}%{L}", &c, true, false, big, sizeof big, &e), 0);
    assert_true(strlen(big) <= DK_SPF_EXPAND_MAX);
    assert_int_equal(strncmp(big, "%2F%2F", 6), 0);
}

static size_t count_sev(const dk_findings *f, enum dk_severity s, const char *needle)
{
    size_t n = 0;

    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].sev == s && (needle == NULL || strstr(f->v[i].what, needle) != NULL))
            n++;
    }
    return n;
}

static void lint(const char *s, dk_findings *f)
{
    dk_spf_record r;
    dk_err e;

    dk_findings_init(f);
    if (dk_spf_parse(s, strlen(s), &r, &e) != 0)
        fail_msg("%s: %s", s, e.msg);
    assert_int_equal(dk_spf_lint(&r, "example.com", f), 0);
    dk_spf_record_free(&r);
}

static void test_lint(void **state)
{
    dk_findings f;

    (void)state;
    lint("v=spf1 mx -all", &f);
    assert_int_equal(f.n, 0);
    dk_findings_free(&f);

    lint("v=spf1 +all", &f);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "+all"), 1);
    dk_findings_free(&f);
    lint("v=spf1 mx all", &f); /* no qualifier is + */
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "every host"), 1);
    dk_findings_free(&f);

    lint("v=spf1 ptr -all", &f);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "ptr"), 1);
    assert_int_equal(dk_findings_worst(&f), DK_SEV_WARN);
    dk_findings_free(&f);

    lint("v=spf1 -all mx ip4:192.0.2.1", &f);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "after \"all\""), 2);
    dk_findings_free(&f);

    lint("v=spf1 mx -all redirect=_spf.example.net", &f);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "redirect=_spf.example.net\" is ignored"), 1);
    dk_findings_free(&f);

    lint("v=spf1 mx", &f);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "no \"all\""), 1);
    dk_findings_free(&f);
    lint("v=spf1 mx redirect=_spf.example.net", &f);
    assert_int_equal(f.n, 0);
    dk_findings_free(&f);

    lint("v=spf1 mx ?all x-tool=1", &f);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, NULL), 2);
    dk_findings_free(&f);
}

static void test_lint_length(void **state)
{
    dk_findings f;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(dk_spf_lint_length(255, "x", &f), 0);
    assert_int_equal(f.n, 0);
    assert_int_equal(dk_spf_lint_length(256, "x", &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "255"), 1);
    dk_findings_free(&f);
    assert_int_equal(dk_spf_lint_length(451, "x", &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "advises"), 1);
    assert_int_equal(f.n, 2);
    dk_findings_free(&f);
    assert_int_equal(dk_spf_lint_length(450, "x", &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "advises"), 0);
    dk_findings_free(&f);
}

static void test_ip(void **state)
{
    dk_spf_ip a, n;
    char txt[64];

    (void)state;
    assert_int_equal(dk_spf_ip_parse("192.0.2.130", &a, NULL), 0);
    assert_int_equal(dk_spf_ip_parse("192.0.2.128", &n, NULL), 0);
    assert_true(dk_spf_ip_in(&a, &n, 25));
    assert_true(dk_spf_ip_in(&a, &n, 30));
    assert_false(dk_spf_ip_in(&a, &n, 31));
    assert_true(dk_spf_ip_in(&a, &n, 0));
    assert_string_equal(dk_spf_ip_format(&a, txt, sizeof txt), "192.0.2.130");
    assert_int_equal(dk_spf_ip_parse("2001:db8::1", &n, NULL), 0);
    assert_false(dk_spf_ip_in(&a, &n, 0)); /* other family */
    assert_int_equal(dk_spf_ip_parse("192.0.2.1:25", &a, NULL), -1);
    assert_int_equal(dk_spf_ip_parse("192.0.02.1", &a, NULL), -1);
    assert_int_equal(dk_spf_ip_parse("::1%eth0", &a, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_record),          cmocka_unit_test(test_select),
        cmocka_unit_test(test_parse_terms),        cmocka_unit_test(test_parse_permerrors),
        cmocka_unit_test(test_parse_valid_edges),  cmocka_unit_test(test_macro_syntax),
        cmocka_unit_test(test_macro_rfc_examples), cmocka_unit_test(test_macro_other),
        cmocka_unit_test(test_macro_truncation),   cmocka_unit_test(test_lint),
        cmocka_unit_test(test_lint_length),        cmocka_unit_test(test_ip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
