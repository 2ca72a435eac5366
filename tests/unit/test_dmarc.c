/* test_dmarc.c - DMARC records, organisational domain, alignment, the From
 * domain, external report destinations, discovery and the staged builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/policy_zone.h"
#include "policy/dmarc.h"

static dk_err last_err;

static int parse(const char *s, dk_dmarc_record *r, dk_findings *f)
{
    return dk_dmarc_parse(s, strlen(s), r, "_dmarc.example.com", f, &last_err);
}

static int parse_only(const char *s)
{
    dk_dmarc_record r;
    int rc = parse(s, &r, NULL);

    if (rc == 0)
        dk_dmarc_record_free(&r);
    return rc;
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

static void test_parse_full(void **state)
{
    dk_dmarc_record r;
    dk_findings f;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(parse("v=DMARC1; p=Reject; sp=quarantine; np=reject; pct=50; "
                           "rua=mailto:d@example.com!10m , mailto:x%2Cy%21z@Reports.Example.NET; "
                           "ruf=mailto:f@example.com!5k; adkim=s; aspf=r; fo=1:d : s; psd=n; "
                           "t=y; ri=3600; rf=afrf; future=1;",
                           &r, &f),
                     0);
    assert_int_equal(r.p, DK_DMARC_REJECT);
    assert_false(r.p_from_rua);
    assert_int_equal(r.sp, DK_DMARC_QUARANTINE);
    assert_int_equal(r.np, DK_DMARC_REJECT);
    assert_int_equal(r.pct, 50);
    assert_int_equal(r.adkim, 's');
    assert_int_equal(r.aspf, 'r');
    assert_int_equal(r.fo, DK_DMARC_FO_1 | DK_DMARC_FO_D | DK_DMARC_FO_S);
    assert_int_equal(r.psd, 'n');
    assert_int_equal(r.t, 'y');
    assert_int_equal(r.ri, 3600);
    assert_int_equal(r.nrua, 2);
    assert_string_equal(r.rua[0].uri, "mailto:d@example.com");
    assert_string_equal(r.rua[0].addr, "d@example.com");
    assert_true(r.rua[0].maxsize == 10ULL * 1024 * 1024);
    assert_string_equal(r.rua[1].addr, "x,y!z@Reports.Example.NET");
    assert_string_equal(r.rua[1].domain, "reports.example.net");
    assert_true(r.rua[1].maxsize == 0);
    assert_int_equal(r.nruf, 1);
    assert_true(r.ruf[0].maxsize == 5 * 1024);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "unknown tag \"future\""), 1);
    dk_dmarc_record_free(&r);
    dk_findings_free(&f);

    /* defaults */
    assert_int_equal(parse("v=DMARC1;p=none", &r, NULL), 0);
    assert_int_equal(r.pct, 100);
    assert_int_equal(r.adkim, 'r');
    assert_int_equal(r.aspf, 'r');
    assert_int_equal(r.fo, DK_DMARC_FO_0);
    assert_int_equal(r.sp, DK_DMARC_UNSET);
    assert_int_equal(r.np, DK_DMARC_UNSET);
    assert_int_equal(r.nrua, 0);
    dk_dmarc_record_free(&r);
    assert_int_equal(parse_only("v=DMARC1 ; p = quarantine ; pct=0"), 0);
    assert_int_equal(parse_only("v=DMARC1; p=none; pct=100; fo=0:1:d:s"), 0);
}

static void test_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "p=none; v=DMARC1",
        "v=dmarc1; p=none",
        "v=DMARC2; p=none",
        "v=DMARC1p=none",
        " v=DMARC1; p=none",
        "v=DMARC1",
        "v=DMARC1; p=block",
        "v=DMARC1; p=",
        "v=DMARC1; p=none; pct=101",
        "v=DMARC1; p=none; pct=-1",
        "v=DMARC1; p=none; pct=abc",
        "v=DMARC1; p=none; pct=",
        "v=DMARC1; p=none; pct=99999999999999999999999",
        "v=DMARC1; p=none; sp=block",
        "v=DMARC1; p=none; np=maybe",
        "v=DMARC1; p=none; adkim=x",
        "v=DMARC1; p=none; aspf=relaxed",
        "v=DMARC1; p=none; fo=2",
        "v=DMARC1; p=none; fo=1:x",
        "v=DMARC1; p=none; fo=",
        "v=DMARC1; p=none; fo=1::d",
        "v=DMARC1; p=none; psd=x",
        "v=DMARC1; p=none; t=maybe",
        "v=DMARC1; p=none; ri=soon",
        "v=DMARC1; p=none; p=reject",
        "v=DMARC1; p=none; P=reject",
        "v=DMARC1; p=none; v=DMARC1",
        "v=DMARC1; p=none; rua=",
        "v=DMARC1; p=none; rua=d@example.com",
        "v=DMARC1; p=none; rua=mailto:",
        "v=DMARC1; p=none; rua=mailto:d@",
        "v=DMARC1; p=none; rua=mailto:@example.com",
        "v=DMARC1; p=none; rua=mailto:d@example",
        "v=DMARC1; p=none; rua=mailto:a!b@example.com",
        "v=DMARC1; p=none; rua=mailto:a,b@example.com",
        "v=DMARC1; p=none; rua=mailto:d@example.com!",
        "v=DMARC1; p=none; rua=mailto:d@example.com!10x",
        "v=DMARC1; p=none; rua=mailto:d@example.com!m",
        "v=DMARC1; p=none; rua=mailto:d@example.com!0",
        "v=DMARC1; p=none; rua=mailto:d@example.com!99999999999999999999999",
        "v=DMARC1; p=none; rua=mailto:d@example.com!99999999999t",
        "v=DMARC1; p=none; rua=mailto:d@example.com,",
        "v=DMARC1; p=none; rua=mailto:d%2@example.com",
        "v=DMARC1; p=none; rua=mailto:d%0a@example.com",
        "v=DMARC1; p=none; ruf=mailto:f@exa mple.com",
        "v=DMARC1; p=none; bad tag=1",
        "v=DMARC1; p=none; =1",
        "v=DMARC1; p=none; novalue",
        "v=DMARC1; p=none;\nrua=mailto:d@example.com",
        "v=DMARC1; p=none; rua=mailto:d@\xc3\xa9xample.com",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse_only(bad[i]) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(last_err.code, DK_EINVAL);
    }
    /* messages name the tag and what is accepted */
    assert_int_equal(parse_only("v=DMARC1; p=none; pct=101"), -1);
    assert_non_null(strstr(last_err.msg, "pct=101"));
    assert_non_null(strstr(last_err.msg, "0 to 100"));
    assert_int_equal(parse_only("v=DMARC1; p=none; rua=mailto:a!b@example.com"), -1);
    assert_non_null(strstr(last_err.msg, "%21"));
    assert_int_equal(parse_only("v=DMARC1; p=none; rua=mailto:a,b@example.com"), -1);
    assert_non_null(strstr(last_err.msg, "%2C"));
    assert_int_equal(parse_only("v=DMARC1"), -1);
    assert_non_null(strstr(last_err.msg, "p tag is missing"));
    assert_int_equal(parse_only("p=none; v=DMARC1"), -1);
    assert_non_null(strstr(last_err.msg, "v=DMARC1"));
    /* a NUL byte */
    {
        dk_dmarc_record r;
        assert_int_equal(dk_dmarc_parse("v=DMARC1; p=none\0x", 18, &r, NULL, NULL, &last_err), -1);
    }
}

/* RFC 7489 6.6.3: missing or invalid p with a valid rua -> p=none. */
static void test_p_from_rua(void **state)
{
    dk_dmarc_record r;
    dk_findings f;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(parse("v=DMARC1; p=block; rua=mailto:d@example.com", &r, &f), 0);
    assert_int_equal(r.p, DK_DMARC_NONE);
    assert_true(r.p_from_rua);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "p is invalid"), 1);
    dk_dmarc_record_free(&r);
    assert_int_equal(parse("v=DMARC1; rua=mailto:d@example.com", &r, &f), 0);
    assert_int_equal(r.p, DK_DMARC_NONE);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "p is missing"), 1);
    dk_dmarc_record_free(&r);
    /* the rua must itself be valid */
    assert_int_equal(parse("v=DMARC1; p=block; rua=mailto:d@", &r, &f), -1);
    dk_findings_free(&f);
}

static void test_select(void **state)
{
    dk_dns_txt two[] = {{(char *)"v=DMARC1; p=none", 16}, {(char *)"v=DMARC1; p=reject", 18}};
    dk_dns_txt one[] = {{(char *)"v=spf1 -all", 11}, {(char *)"v=DMARC1; p=reject", 18}};
    dk_dns_txt zero[] = {{(char *)"v=DMARC10; p=none", 17}, {(char *)"v=dmarc1; p=none", 16}};
    size_t idx = 9;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dmarc_select(two, 2, &idx, &e), -1);
    assert_non_null(strstr(e.msg, "does not apply"));
    assert_int_equal(dk_dmarc_select(one, 2, &idx, &e), 1);
    assert_int_equal(idx, 1);
    assert_int_equal(dk_dmarc_select(zero, 2, &idx, &e), 0);
    assert_true(dk_dmarc_is_record("v=DMARC1", 8));
    assert_true(dk_dmarc_is_record("v=DMARC1;p=none", 15));
    assert_false(dk_dmarc_is_record("v=DMARC1x", 9));
}

/* ---- PSL, alignment ------------------------------------------------------------------ */

static void org_cases(const dk_psl *psl)
{
    char out[256];

    assert_int_equal(dk_org_domain(psl, "mail.example.com", out, sizeof out, NULL), 0);
    assert_string_equal(out, "example.com");
    assert_int_equal(dk_org_domain(psl, "A.B.Example.CO.UK.", out, sizeof out, NULL), 0);
    assert_string_equal(out, "example.co.uk");
    assert_int_equal(dk_org_domain(psl, "example.com", out, sizeof out, NULL), 0);
    assert_string_equal(out, "example.com");
    /* a bare public suffix is never an organisational domain */
    assert_int_equal(dk_org_domain(psl, "co.uk", out, sizeof out, &last_err), -1);
    assert_non_null(strstr(last_err.msg, "public suffix"));
    assert_int_equal(dk_org_domain(psl, "com", out, sizeof out, NULL), -1);
    assert_int_equal(dk_org_domain(psl, "uk", out, sizeof out, NULL), -1);
    assert_int_equal(dk_org_domain(psl, "exa mple.com", out, sizeof out, NULL), -1);
    assert_int_equal(dk_org_domain(psl, "a..example.com", out, sizeof out, NULL), -1);
    assert_int_equal(dk_org_domain(psl, "", out, sizeof out, NULL), -1);
    assert_true(dk_psl_is_suffix(psl, "co.uk"));
    assert_true(dk_psl_is_suffix(psl, "COM"));
    assert_false(dk_psl_is_suffix(psl, "example.co.uk"));

    /* alignment */
    assert_false(dk_dmarc_aligned(psl, "example.com", "mail.example.com", 's'));
    assert_true(dk_dmarc_aligned(psl, "example.com", "mail.example.com", 'r'));
    assert_true(dk_dmarc_aligned(psl, "Example.COM", "example.com.", 's'));
    assert_true(dk_dmarc_aligned(psl, "news.example.co.uk", "mail.example.co.uk", 'r'));
    assert_false(dk_dmarc_aligned(psl, "news.example.co.uk", "mail.example.co.uk", 's'));
    assert_false(dk_dmarc_aligned(psl, "example.co.uk", "other.co.uk", 'r'));
    assert_false(dk_dmarc_aligned(psl, "example.co.uk", "co.uk", 'r'));
    assert_false(dk_dmarc_aligned(psl, "co.uk", "co.uk", 'r'));
    assert_false(dk_dmarc_aligned(psl, "example.com", "example.net", 'r'));
    assert_false(dk_dmarc_aligned(psl, "example.com", "", 'r'));
}

static void test_org_domain(void **state)
{
    dk_psl *psl;
    dk_err e;

    (void)state;
    org_cases(NULL);             /* libpsl's built-in list */
    psl = dk_psl_open(NULL, &e); /* the newest of built-in and Debian's publicsuffix */
    assert_non_null(psl);
    org_cases(psl);
    dk_psl_free(psl);
    /* an unreadable file falls back to the built-in list */
    psl = dk_psl_open("/nonexistent/psl.dat", &e);
    assert_non_null(psl);
    org_cases(psl);
    dk_psl_free(psl);
}

/* ---- From ---------------------------------------------------------------------------- */

static int from1(const char *v, char *out)
{
    const char *vals[1] = {v};

    return dk_dmarc_from_domain(vals, 1, out, 256, &last_err);
}

static void test_from(void **state)
{
    char d[256];
    const char *two[2] = {"a@example.com", "b@example.org"};
    static const char *const bad[] = {
        "a@example.com, b@example.org",
        "Alice <a@example.com>, Bob <b@example.com>",
        "a@example.com, a@example.com",
        "undisclosed-recipients:;",
        "",
        "   ",
        "Alice",
        "<@example.com>",
        "a@",
        "@example.com",
        "a@[192.0.2.1]",
        "a@localhost",
        "\"unterminated <a@example.com>",
        "(unterminated a@example.com",
        "Alice <a@example.com",
        "a@exa mple.com",
        "a@example..com",
        "Alice <a@example.com> <b@example.org>",
        "g: a@example.com, b@example.org;",
    };

    (void)state;
    assert_int_equal(from1("Alice <alice@Example.COM>", d), 0);
    assert_string_equal(d, "example.com");
    assert_int_equal(from1("alice@example.com", d), 0);
    assert_string_equal(d, "example.com");
    assert_int_equal(from1("\"Bob, the <boss>\" <bob@example.org>", d), 0);
    assert_string_equal(d, "example.org");
    assert_int_equal(from1("(comment, with comma) bob@example.org (x)", d), 0);
    assert_string_equal(d, "example.org");
    assert_int_equal(from1("\"a@b\"@example.net", d), 0);
    assert_string_equal(d, "example.net");
    assert_int_equal(from1("bob@evil.example <alice@good.example>", d), 0);
    assert_string_equal(d, "good.example");
    assert_int_equal(from1("Team: alice@example.com;", d), 0);
    assert_string_equal(d, "example.com");
    assert_int_equal(from1("=?utf-8?q?J=C3=B6rg?=\r\n <j@example.de.>", d), 0);
    assert_string_equal(d, "example.de");
    /* an internationalised domain becomes its A-label */
    assert_int_equal(from1("j@b\xc3\xbc"
                           "cher.example",
                           d),
                     0);
    assert_string_equal(d, "xn--bcher-kva.example");
    assert_int_equal(from1("j@\xff\xfe.example", d), -1);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (from1(bad[i], d) != -1)
            fail_msg("accepted From: %s", bad[i]);
        assert_non_null(strstr(last_err.msg, "DMARC fails"));
    }
    /* two From headers, or none: DMARC fails (CVE-2019-16378) */
    assert_int_equal(dk_dmarc_from_domain(two, 2, d, sizeof d, &last_err), -1);
    assert_non_null(strstr(last_err.msg, "2 From headers"));
    assert_int_equal(dk_dmarc_from_domain(NULL, 0, d, sizeof d, &last_err), -1);
    assert_non_null(strstr(last_err.msg, "no From header"));
}

/* ---- external destinations, discovery ------------------------------------------------ */

static void test_report_auth(void **state)
{
    char name[300], rec[16];
    dk_dmarc_record r;
    dk_findings f;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dmarc_report_auth("Example.com", "third.example", name, sizeof name, rec,
                                          sizeof rec, &e),
                     0);
    assert_string_equal(name, "example.com._report._dmarc.third.example");
    assert_string_equal(rec, "v=DMARC1");
    assert_int_equal(
        dk_dmarc_report_auth("example.com", "thi rd", name, sizeof name, rec, sizeof rec, &e), -1);
    assert_false(dk_dmarc_needs_auth(NULL, "example.com", "mail.example.com"));
    assert_false(dk_dmarc_needs_auth(NULL, "sub.example.co.uk", "example.co.uk"));
    assert_true(dk_dmarc_needs_auth(NULL, "example.com", "third.example"));
    assert_true(dk_dmarc_needs_auth(NULL, "example.co.uk", "other.co.uk"));

    dk_findings_init(&f);
    assert_int_equal(parse("v=DMARC1; p=reject; rua=mailto:d@example.com,"
                           "mailto:x@third.example; ruf=https://r.example.net/dmarc",
                           &r, NULL),
                     0);
    assert_int_equal(dk_dmarc_lint(&r, "example.com", NULL, &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "example.com._report._dmarc.third.example"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "_report._dmarc"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "mailto:"), 1);
    dk_dmarc_record_free(&r);
    dk_findings_free(&f);
}

static void test_check_report_auth(void **state)
{
    pzone z;
    dk_resolver *res;
    bool ok = true;
    enum dk_dns_rcode rc;
    dk_err e;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com._report._dmarc.third.example", 'T', DK_DNS_OK, "v=DMARC1", NULL);
    pzone_add(&z, "example.org._report._dmarc.third.example", 'T', DK_DNS_OK, "v=DMARC2", NULL);
    pzone_add(&z, "example.net._report._dmarc.third.example", 'T', DK_DNS_SERVFAIL, NULL);
    res = dk_resolver_new_stub(&pzone_ops, &z, &e);
    assert_non_null(res);
    assert_int_equal(dk_dmarc_check_report_auth(res, "example.com", "third.example", &ok, &rc, &e),
                     0);
    assert_true(ok);
    assert_int_equal(rc, DK_DNS_OK);
    assert_int_equal(dk_dmarc_check_report_auth(res, "example.org", "third.example", &ok, &rc, &e),
                     0);
    assert_false(ok);
    assert_int_equal(dk_dmarc_check_report_auth(res, "example.net", "third.example", &ok, &rc, &e),
                     0);
    assert_false(ok);
    assert_int_equal(rc, DK_DNS_SERVFAIL);
    assert_int_equal(dk_dmarc_check_report_auth(res, "example.biz", "third.example", &ok, &rc, &e),
                     0);
    assert_false(ok);
    assert_int_equal(rc, DK_DNS_NXDOMAIN);
    dk_resolver_free(res);
    pzone_free(&z);
}

static void test_fetch(void **state)
{
    pzone z;
    dk_resolver *res;
    dk_dmarc_record r;
    char at[256];
    dk_err e;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "_dmarc.example.com", 'T', DK_DNS_OK, "v=DMARC1; p=reject; sp=none", NULL);
    pzone_add(&z, "_dmarc.sub.example.com", 'T', DK_DNS_OK, "v=DMARC1; p=quarantine", NULL);
    pzone_add(&z, "_dmarc.two.example", 'T', DK_DNS_OK, "v=DMARC1; p=none", "v=DMARC1; p=reject",
              NULL);
    pzone_add(&z, "_dmarc.fail.example", 'T', DK_DNS_SERVFAIL, NULL);
    pzone_add(&z, "_dmarc.bad.example", 'T', DK_DNS_OK, "v=DMARC1; p=none; pct=200", NULL);
    res = dk_resolver_new_stub(&pzone_ops, &z, &e);

    assert_int_equal(dk_dmarc_fetch(res, NULL, "example.com", &r, at, sizeof at, &e), 1);
    assert_string_equal(at, "example.com");
    assert_int_equal(r.p, DK_DMARC_REJECT);
    dk_dmarc_record_free(&r);
    assert_int_equal(dk_dmarc_fetch(res, NULL, "sub.example.com", &r, at, sizeof at, &e), 1);
    assert_string_equal(at, "sub.example.com");
    assert_int_equal(r.p, DK_DMARC_QUARANTINE);
    dk_dmarc_record_free(&r);
    /* no record at the name: the organisational domain's applies */
    assert_int_equal(dk_dmarc_fetch(res, NULL, "a.b.example.com", &r, at, sizeof at, &e), 1);
    assert_string_equal(at, "example.com");
    assert_int_equal(r.sp, DK_DMARC_NONE);
    dk_dmarc_record_free(&r);
    /* two records: DMARC does not apply */
    assert_int_equal(dk_dmarc_fetch(res, NULL, "two.example", &r, at, sizeof at, &e), 0);
    assert_int_equal(dk_dmarc_fetch(res, NULL, "fail.example", &r, at, sizeof at, &e), 2);
    assert_int_equal(dk_dmarc_fetch(res, NULL, "bad.example", &r, at, sizeof at, &e), -1);
    assert_non_null(strstr(e.msg, "pct=200"));
    assert_int_equal(dk_dmarc_fetch(res, NULL, "none.example.org", &r, at, sizeof at, &e), 0);
    dk_resolver_free(res);
    pzone_free(&z);
}

static void test_lint(void **state)
{
    dk_dmarc_record r;
    dk_findings f;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(parse("v=DMARC1; p=none", &r, NULL), 0);
    assert_int_equal(dk_dmarc_lint(&r, "example.com", NULL, &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "monitoring only"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "no rua"), 1);
    dk_dmarc_record_free(&r);
    dk_findings_free(&f);
    assert_int_equal(parse("v=DMARC1; p=reject; sp=none; pct=20; t=y; "
                           "rua=mailto:d@example.com; ruf=mailto:f@example.com",
                           &r, NULL),
                     0);
    assert_int_equal(dk_dmarc_lint(&r, "example.com", NULL, &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "pct=20"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "t=y"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "sp=none is weaker"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "ruf"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, NULL), 0);
    dk_dmarc_record_free(&r);
    dk_findings_free(&f);
}

/* ---- builder ---------------------------------------------------------------------------- */

static dk_dmarc_policy policy(char **rua, size_t nrua, enum dk_dmarc_p p)
{
    dk_dmarc_policy pol;

    memset(&pol, 0, sizeof pol);
    pol.publish = true;
    pol.p = p;
    pol.pct = 100;
    pol.rua.v = rua;
    pol.rua.n = nrua;
    pol.adkim = 'r';
    pol.aspf = 'r';
    strcpy(pol.fo, "0");
    return pol;
}

static void test_build(void **state)
{
    char *rua[] = {(char *)"mailto:dmarc@example.com"};
    dk_dmarc_policy pol = policy(rua, 1, DK_DMARC_REJECT);
    dk_dmarc_stage *st;
    size_t n;
    dk_findings f;
    dk_err e;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(dk_dmarc_build("example.com", &pol, false, &st, &n, &f, &e), 0);
    assert_int_equal(n, 3);
    assert_string_equal(st[0].record, "v=DMARC1; p=none; rua=mailto:dmarc@example.com");
    assert_string_equal(st[1].record, "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com");
    assert_string_equal(st[2].record, "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
    assert_int_equal(st[0].p, DK_DMARC_NONE);
    assert_int_equal(st[2].p, DK_DMARC_REJECT);
    for (size_t i = 0; i < n; i++)
        assert_true(strlen(st[i].reason) > 20);
    assert_non_null(strstr(st[0].reason, "reports"));
    assert_int_equal(f.n, 0);
    dk_dmarc_stages_free(st, n);

    /* pct ramp */
    assert_int_equal(dk_dmarc_build("example.com", &pol, true, &st, &n, &f, &e), 0);
    assert_int_equal(n, 5);
    assert_string_equal(st[1].record,
                        "v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc@example.com");
    assert_int_equal(st[2].pct, 50);
    assert_int_equal(st[3].pct, 100);
    assert_int_equal(st[4].p, DK_DMARC_REJECT);
    dk_dmarc_stages_free(st, n);

    /* target quarantine stops there; sp, np, adkim, aspf, fo, ruf carried */
    pol.p = DK_DMARC_QUARANTINE;
    pol.sp = DK_DMARC_REJECT;
    pol.np = DK_DMARC_REJECT;
    pol.adkim = 's';
    pol.aspf = 's';
    strcpy(pol.fo, "1:d");
    assert_int_equal(dk_dmarc_build("example.com", &pol, false, &st, &n, &f, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(st[1].record, "v=DMARC1; p=quarantine; sp=reject; np=reject; "
                                      "rua=mailto:dmarc@example.com; adkim=s; aspf=s; fo=1:d");
    dk_dmarc_stages_free(st, n);
    dk_findings_free(&f);
}

static void test_build_defaults(void **state)
{
    char *rua[] = {(char *)"mailto:a,b@example.com!10m"};
    dk_dmarc_policy pol = policy(NULL, 0, DK_DMARC_NONE);
    dk_dmarc_stage *st;
    size_t n;
    dk_findings f;
    dk_dmarc_record r;
    dk_buf b;
    dk_err e;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(dk_dmarc_build("example.com", &pol, true, &st, &n, &f, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(st[0].record, "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com");
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "no rua"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "p=none"), 1);
    dk_dmarc_stages_free(st, n);
    dk_findings_free(&f);

    /* a ',' in the address is percent-encoded, the size suffix kept */
    pol = policy(rua, 1, DK_DMARC_REJECT);
    dk_buf_init(&b, 0);
    assert_int_equal(dk_dmarc_record_text(&pol, DK_DMARC_REJECT, 100, &b, &e), 0);
    assert_string_equal(b.data, "v=DMARC1; p=reject; rua=mailto:a%2Cb@example.com!10m");
    assert_int_equal(dk_dmarc_parse(b.data, b.len, &r, NULL, NULL, &e), 0);
    assert_int_equal(r.nrua, 1);
    assert_string_equal(r.rua[0].addr, "a,b@example.com");
    dk_dmarc_record_free(&r);
    dk_buf_free(&b);

    /* an invalid model entry is refused with the reason */
    rua[0] = (char *)"dmarc@example.com";
    pol = policy(rua, 1, DK_DMARC_REJECT);
    assert_int_equal(dk_dmarc_build("example.com", &pol, false, &st, &n, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not a mailto: URI"));
    assert_null(st);
    assert_int_equal(n, 0);
}

/* DMARC result of a message: alignment, sp below the record's domain, and
 * an unusable From is "fail", never "none" (CVE-2019-16378). */
static void test_evaluate(void **state)
{
    dk_dmarc_record r;
    dk_dmarc_eval ev;
    const char *d_sub[] = {"mail.example.com"};
    const char *d_other[] = {"example.net", "mail.example.com"};
    const char *two[] = {"a@example.com", "b@evil.example"};
    char from[256];

    (void)state;
    assert_int_equal(parse("v=DMARC1; p=reject; sp=quarantine; adkim=s", &r, NULL), 0);
    /* adkim=s: d=mail.example.com does not align with example.com */
    dk_dmarc_evaluate(NULL, "example.com", &r, "example.com", NULL, false, d_sub, 1, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);
    assert_false(ev.dkim_aligned);
    assert_int_equal(ev.policy, DK_DMARC_REJECT);
    assert_non_null(strstr(ev.why, "adkim=s"));
    /* relaxed SPF aligns the subdomain MAIL FROM */
    dk_dmarc_evaluate(NULL, "example.com", &r, "example.com", "bounce.example.com", true, d_sub, 1,
                      &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_PASS);
    assert_true(ev.spf_aligned);
    /* SPF must have passed */
    dk_dmarc_evaluate(NULL, "example.com", &r, "example.com", "example.com", false, NULL, 0, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);
    /* a subdomain From under the organisational record gets sp */
    dk_dmarc_evaluate(NULL, "mail.example.com", &r, "example.com", NULL, false, d_other, 2, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_PASS);
    assert_true(ev.dkim_aligned);
    dk_dmarc_evaluate(NULL, "news.example.com", &r, "example.com", NULL, false, d_other, 1, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);
    assert_int_equal(ev.policy, DK_DMARC_QUARANTINE);
    dk_dmarc_record_free(&r);

    /* relaxed across example.co.uk */
    assert_int_equal(parse("v=DMARC1; p=reject; pct=50", &r, NULL), 0);
    d_sub[0] = "mail.example.co.uk";
    dk_dmarc_evaluate(NULL, "news.example.co.uk", &r, "example.co.uk", NULL, false, d_sub, 1, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_PASS);
    assert_true(ev.sampled_out);
    d_sub[0] = "other.co.uk";
    dk_dmarc_evaluate(NULL, "example.co.uk", &r, "example.co.uk", "co.uk", true, d_sub, 1, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);

    /* From with two addresses: fail even though a signature aligns */
    assert_int_equal(dk_dmarc_from_domain(two, 2, from, sizeof from, NULL), -1);
    dk_dmarc_evaluate(NULL, NULL, &r, "example.com", "example.com", true, two, 1, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);
    assert_string_equal(dk_dmarc_result_name(ev.result), "fail");
    /* also when no record was found */
    dk_dmarc_evaluate(NULL, NULL, NULL, NULL, NULL, false, NULL, 0, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_FAIL);
    dk_dmarc_evaluate(NULL, "example.org", NULL, NULL, NULL, false, NULL, 0, &ev);
    assert_int_equal(ev.result, DK_DMARC_RES_NONE);
    dk_dmarc_record_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),  cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_p_from_rua),  cmocka_unit_test(test_select),
        cmocka_unit_test(test_org_domain),  cmocka_unit_test(test_from),
        cmocka_unit_test(test_report_auth), cmocka_unit_test(test_check_report_auth),
        cmocka_unit_test(test_fetch),       cmocka_unit_test(test_lint),
        cmocka_unit_test(test_build),       cmocka_unit_test(test_build_defaults),
        cmocka_unit_test(test_evaluate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
