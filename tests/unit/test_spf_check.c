/* test_spf_check.c - SPF through (stub) DNS: lookup accounting over nested
 * include and redirect, void lookups, MX names, loops, several records,
 * DNS failures, and check_host(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/policy_zone.h"
#include "policy/spf.h"

static size_t count_sev(const dk_findings *f, enum dk_severity s, const char *needle)
{
    size_t n = 0;

    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].sev == s && (needle == NULL || strstr(f->v[i].what, needle) != NULL))
            n++;
    }
    return n;
}

static void dump(const dk_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        print_message("  [%s] %s: %s\n", dk_severity_name(f->v[i].sev), f->v[i].where,
                      f->v[i].what);
}

/* Validate domain against z; returns the status. */
static enum dk_spf_status validate(pzone *z, const char *domain, dk_spf_report *rep, dk_findings *f)
{
    dk_spf_dns d;
    dk_err e;

    pzone_spf_dns(z, &d);
    dk_findings_init(f);
    if (dk_spf_validate(&d, domain, rep, f, &e) != 0)
        fail_msg("validate: %s", e.msg);
    return rep->status;
}

/* A chain: example.com includes s1 ... s<n-1>, each one include deeper,
 * the last one ends with ip4.  That is n DNS-querying terms. */
static void chain(pzone *z, int n)
{
    char name[64], rec[128];

    for (int i = 0; i < n; i++) {
        if (i == 0)
            snprintf(name, sizeof name, "example.com");
        else
            snprintf(name, sizeof name, "s%d.example.net", i);
        if (i + 1 < n)
            snprintf(rec, sizeof rec, "v=spf1 include:s%d.example.net -all", i + 1);
        else
            snprintf(rec, sizeof rec, "v=spf1 include:last.example.net -all");
        pzone_add(z, name, 'T', DK_DNS_OK, rec, NULL);
    }
    pzone_add(z, "last.example.net", 'T', DK_DNS_OK, "v=spf1 ip4:192.0.2.0/24 -all", NULL);
}

static void test_lookups_ten_ok(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    chain(&z, 10);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 10);
    assert_int_equal(rep.nsteps, 10);
    /* the count grows step by step, through nested includes, by real lookups */
    for (size_t i = 0; i < rep.nsteps; i++) {
        assert_int_equal(rep.steps[i].lookups, i + 1);
        assert_int_equal(rep.steps[i].depth, i);
    }
    assert_string_equal(rep.steps[9].domain, "s9.example.net");
    assert_int_equal(z.queries['T'], 11); /* example.com + 9 + last */
    assert_string_equal(rep.record, "v=spf1 include:s1.example.net -all");
    assert_int_equal(count_sev(&f, DK_SEV_OK, "10 of 10"), 1);
    assert_int_equal(dk_findings_worst(&f), DK_SEV_OK);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_lookups_eleven(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    chain(&z, 11);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(rep.lookups, 11);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "11. DNS-querying term"), 1);
    assert_int_equal(dk_findings_worst(&f), DK_SEV_CRIT);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* 11 across siblings and a redirect: a mx ptr exists + 2 includes of 3 each */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 a mx ptr exists:x.example.com include:i1.example.net "
              "redirect=r.example.net",
              NULL);
    pzone_add(&z, "example.com", 'A', DK_DNS_OK, "192.0.2.1", NULL);
    pzone_add(&z, "example.com", 'M', DK_DNS_OK, "mx.example.com", NULL);
    pzone_add(&z, "x.example.com", 'A', DK_DNS_OK, "127.0.0.2", NULL);
    pzone_add(&z, "i1.example.net", 'T', DK_DNS_OK, "v=spf1 a:h.example.net a:h.example.net -all",
              NULL);
    pzone_add(&z, "h.example.net", 'A', DK_DNS_OK, "192.0.2.9", NULL);
    pzone_add(&z, "r.example.net", 'T', DK_DNS_OK,
              "v=spf1 include:i1.example.net include:i1.example.net", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    /* a mx ptr exists (4) + include (5) + 2 a (7) + redirect (8) + include (9)
     * + 2 a (11) */
    assert_int_equal(rep.lookups, 11);
    assert_string_equal(rep.steps[10].term, "a:h.example.net");
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_mx_names(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 mx -all", NULL);
    pzone_add(&z, "example.com", 'M', DK_DNS_OK, "m1.example.com", "m2.example.com",
              "m3.example.com", "m4.example.com", "m5.example.com", "m6.example.com",
              "m7.example.com", "m8.example.com", "m9.example.com", "m10.example.com", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_add(&z, "example.com", 'M', DK_DNS_OK, "m11.example.com", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "11 MX names"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_void_lookups(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    /* two void lookups: allowed, each warned */
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 a:gone1.example.com mx:gone2.example.com ip4:192.0.2.1 -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.voids, 2);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "void lookup"), 2);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* three through a chain of includes: permerror */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 a:gone1.example.com include:v.example.net -all", NULL);
    pzone_add(&z, "v.example.net", 'T', DK_DNS_OK,
              "v=spf1 exists:gone2.example.net a:nodata.example.net -all", NULL);
    pzone_add(&z, "nodata.example.net", 'T', DK_DNS_OK, "hello", NULL); /* exists, no A */
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(rep.voids, 3);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "3. void lookup"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_loops(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 include:a.example.net -all", NULL);
    pzone_add(&z, "a.example.net", 'T', DK_DNS_OK, "v=spf1 include:b.example.net -all", NULL);
    pzone_add(&z, "b.example.net", 'T', DK_DNS_OK, "v=spf1 include:EXAMPLE.com. -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "loops back to example.com"), 1);
    assert_true(rep.lookups <= 3);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* redirect to itself */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 redirect=example.com", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "loops back"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* the same domain included twice side by side is no loop */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 include:a.example.net include:a.example.net -all", NULL);
    pzone_add(&z, "a.example.net", 'T', DK_DNS_OK, "v=spf1 ip4:192.0.2.1 -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 2);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_records(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    /* two v=spf1 records */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 -all", "v=spf1 mx -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "several"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* two at an include target */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 include:x.example.net -all", NULL);
    pzone_add(&z, "x.example.net", 'T', DK_DNS_OK, "v=spf1 -all", "v=spf1 ~all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* v=spf1a and other TXT records only: none */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1a -all", "site-verification=1", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_NONE);
    assert_null(rep.record);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* include of a domain without SPF: permerror */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 include:nospf.example.net -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "has no SPF record"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* a syntax error deeper down, with its column */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 include:x.example.net -all", NULL);
    pzone_add(&z, "x.example.net", 'T', DK_DNS_OK, "v=spf1 ip4:1.2.3.4/33 -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "column 8"), 1);
    assert_string_equal(f.v[f.n - 1].where, "x.example.net");
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    /* several strings concatenated with no separator (RFC 7208 3.3) */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 0);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_dns_failures(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_SERVFAIL, NULL);
    pzone_add(&z, "t.example.com", 'T', DK_DNS_TIMEOUT, NULL);
    pzone_add(&z, "i.example.com", 'T', DK_DNS_OK, "v=spf1 include:t.example.com -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_TEMPERROR);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "temperror"), 1);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, NULL), 0);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(validate(&z, "i.example.com", &rep, &f), DK_SPF_ST_TEMPERROR);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "timeout"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(validate(&z, "nx.example.com", &rep, &f), DK_SPF_ST_NONE);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "NXDOMAIN"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

static void test_macro_terms_not_followed(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 exists:%{i}._spf.%{d} include:%{d2}.x.example.net -all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 2);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "uses macros"), 1);
    assert_int_equal(z.queries['T'], 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

/* Through a dk_resolver stub (include/dns/dns.h): every lookup goes
 * through dk_dns_txt_lookup / dk_dns_lookup. */
static void test_through_resolver(void **state)
{
    pzone z;
    dk_resolver *r;
    dk_spf_dns d;
    dk_spf_report rep;
    dk_spf_eval ev;
    dk_spf_ip ip;
    dk_findings f;
    dk_err e;

    (void)state;
    pzone_init(&z);
    chain(&z, 11);
    r = dk_resolver_new_stub(&pzone_ops, &z, &e);
    assert_non_null(r);
    dk_spf_dns_from_resolver(&d, r);
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "example.com", &rep, &f, &e), 0);
    assert_int_equal(rep.status, DK_SPF_ST_PERMERROR);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);

    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 a mx ptr:example.org -all", NULL);
    pzone_add(&z, "example.com", 'A', DK_DNS_OK, "192.0.2.1", NULL);
    pzone_add(&z, "example.com", 'M', DK_DNS_OK, "mx.example.com", NULL);
    pzone_add(&z, "mx.example.com", '6', DK_DNS_OK, "2001:db8::25", NULL);
    pzone_add(&z, "7.2.0.192.in-addr.arpa", 'P', DK_DNS_OK, "host.example.org", NULL);
    pzone_add(&z, "host.example.org", 'A', DK_DNS_OK, "192.0.2.7", NULL);
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "example.com", &rep, &f, &e), 0);
    assert_int_equal(rep.status, DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 3);
    assert_int_equal(rep.voids, 0);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "not looked up"), 0);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(dk_spf_ip_parse("2001:db8::25", &ip, NULL), 0);
    assert_int_equal(dk_spf_check_host(&d, &ip, "example.com", NULL, "h.example", 0, &ev, &e), 0);
    assert_int_equal(ev.result, DK_SPF_PASS);
    assert_int_equal(dk_spf_ip_parse("192.0.2.7", &ip, NULL), 0);
    assert_int_equal(dk_spf_check_host(&d, &ip, "example.com", NULL, "h.example", 0, &ev, &e), 0);
    assert_int_equal(ev.result, DK_SPF_PASS);
    assert_non_null(strstr(ev.why, "ptr:example.org"));
    assert_int_equal(dk_spf_ip_parse("192.0.2.8", &ip, NULL), 0);
    assert_int_equal(dk_spf_check_host(&d, &ip, "example.com", NULL, "h.example", 0, &ev, &e), 0);
    assert_int_equal(ev.result, DK_SPF_FAIL);
    dk_resolver_free(r);

    /* a resolver that only answers TXT: a and mx are void lookups */
    r = dk_resolver_new_stub(&pzone_txt_ops, &z, &e);
    dk_spf_dns_from_resolver(&d, r);
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "example.com", &rep, &f, &e), 0);
    assert_int_equal(rep.voids, 2);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    dk_resolver_free(r);

    /* callbacks left out: counted, not resolved, and said so */
    pzone_spf_dns(&z, &d);
    d.addr = NULL;
    d.mx = NULL;
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "example.com", &rep, &f, &e), 0);
    assert_int_equal(rep.status, DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 3);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "not looked up"), 2);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);

    /* a name the resolver would refuse ('-' at a label's end) is a void
     * lookup, never an error */
    pzone_add(&z, "dash.example.com", 'T', DK_DNS_OK, "v=spf1 a:x-.example.com -all", NULL);
    r = dk_resolver_new_stub(&pzone_ops, &z, &e);
    dk_spf_dns_from_resolver(&d, r);
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "dash.example.com", &rep, &f, &e), 0);
    assert_int_equal(rep.status, DK_SPF_ST_VALID);
    assert_int_equal(rep.voids, 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(dk_spf_ip_parse("192.0.2.7", &ip, NULL), 0);
    assert_int_equal(dk_spf_check_host(&d, &ip, "dash.example.com", NULL, "h.example", 0, &ev, &e),
                     0);
    assert_int_equal(ev.result, DK_SPF_FAIL);
    dk_resolver_free(r);
    pzone_free(&z);

    /* a bad name is refused before any query */
    dk_findings_init(&f);
    assert_int_equal(dk_spf_validate(&d, "exa mple.com", &rep, &f, &e), -1);
    dk_findings_free(&f);
}

/* ---- check_host() ---------------------------------------------------------------------- */

static enum dk_spf_result host(pzone *z, const char *ip, const char *domain, const char *sender,
                               dk_spf_eval *ev)
{
    dk_spf_dns d;
    dk_spf_ip a;
    dk_err e;

    pzone_spf_dns(z, &d);
    assert_int_equal(dk_spf_ip_parse(ip, &a, NULL), 0);
    if (dk_spf_check_host(&d, &a, domain, sender, "helo.example.org", 0, ev, &e) != 0)
        fail_msg("check_host: %s", e.msg);
    return ev->result;
}

static void eval_zone(pzone *z)
{
    pzone_init(z);
    pzone_add(z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 ip4:192.0.2.0/28 a:web.example.com/30 mx//64 include:_spf.example.net "
              "exists:%{ir}.%{l1r+}._ok.example.com ~all",
              NULL);
    pzone_add(z, "web.example.com", 'A', DK_DNS_OK, "198.51.100.8", NULL);
    pzone_add(z, "example.com", 'M', DK_DNS_OK, "mx1.example.com", NULL);
    pzone_add(z, "mx1.example.com", '6', DK_DNS_OK, "2001:db8:1::25", NULL);
    pzone_add(z, "mx1.example.com", 'A', DK_DNS_OK, "203.0.113.25", NULL);
    pzone_add(z, "_spf.example.net", 'T', DK_DNS_OK, "v=spf1 ip6:2001:db8:ff::/48 -all", NULL);
    pzone_add(z, "7.113.0.203.alice._ok.example.com", 'A', DK_DNS_OK, "127.0.0.2", NULL);
    pzone_add(z, "strict.example.org", 'T', DK_DNS_OK, "v=spf1 -all", NULL);
    pzone_add(z, "redir.example.org", 'T', DK_DNS_OK, "v=spf1 redirect=example.com", NULL);
    pzone_add(z, "redirnone.example.org", 'T', DK_DNS_OK, "v=spf1 redirect=nothing.example.org",
              NULL);
    pzone_add(z, "incnone.example.org", 'T', DK_DNS_OK, "v=spf1 include:nothing.example.org -all",
              NULL);
    pzone_add(z, "fail.example.org", 'T', DK_DNS_SERVFAIL, NULL);
    pzone_add(z, "incfail.example.org", 'T', DK_DNS_OK, "v=spf1 include:fail.example.org -all",
              NULL);
    pzone_add(z, "two.example.org", 'T', DK_DNS_OK, "v=spf1 -all", "v=spf1 +all", NULL);
    pzone_add(z, "bad.example.org", 'T', DK_DNS_OK, "v=spf1 ip4:1.2.3.4/33 -all", NULL);
    pzone_add(z, "neutral.example.org", 'T', DK_DNS_OK, "v=spf1 ip4:192.0.2.1", NULL);
    pzone_add(z, "ptr.example.org", 'T', DK_DNS_OK, "v=spf1 ptr -all", NULL);
    pzone_add(z, "192.0.2.200", 'P', DK_DNS_OK, "host.ptr.example.org", NULL);
    pzone_add(z, "host.ptr.example.org", 'A', DK_DNS_OK, "192.0.2.200", NULL);
    pzone_add(z, "192.0.2.201", 'P', DK_DNS_OK, "forged.ptr.example.org", NULL);
    pzone_add(z, "forged.ptr.example.org", 'A', DK_DNS_OK, "192.0.2.99", NULL);
    pzone_add(z, "voids.example.org", 'T', DK_DNS_OK,
              "v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org -all", NULL);
}

static void test_check_host(void **state)
{
    pzone z;
    dk_spf_eval ev;

    (void)state;
    eval_zone(&z);
    assert_int_equal(host(&z, "192.0.2.15", "example.com", "bob@example.com", &ev), DK_SPF_PASS);
    assert_non_null(strstr(ev.why, "ip4:192.0.2.0/28"));
    assert_int_equal(ev.lookups, 0);
    assert_int_equal(host(&z, "192.0.2.16", "example.com", "bob@example.com", &ev),
                     DK_SPF_SOFTFAIL);
    assert_int_equal(host(&z, "198.51.100.11", "example.com", "bob@example.com", &ev), DK_SPF_PASS);
    assert_non_null(strstr(ev.why, "a:web.example.com/30"));
    assert_int_equal(host(&z, "198.51.100.12", "example.com", "bob@example.com", &ev),
                     DK_SPF_SOFTFAIL);
    /* mx//64: the IPv6 prefix applies; the IPv4 address must match exactly */
    assert_int_equal(host(&z, "2001:db8:1::ffff", "example.com", "bob@example.com", &ev),
                     DK_SPF_PASS);
    assert_int_equal(host(&z, "203.0.113.25", "example.com", "bob@example.com", &ev), DK_SPF_PASS);
    assert_int_equal(host(&z, "203.0.113.26", "example.com", "bob@example.com", &ev),
                     DK_SPF_SOFTFAIL);
    /* include: pass inside is a match */
    assert_int_equal(host(&z, "2001:db8:ff::1", "example.com", "bob@example.com", &ev),
                     DK_SPF_PASS);
    assert_non_null(strstr(ev.why, "ip6:2001:db8:ff::/48"));
    /* exists with macros built from the sender and the IP */
    assert_int_equal(host(&z, "203.0.113.7", "example.com", "alice+tag@example.com", &ev),
                     DK_SPF_PASS);
    assert_non_null(strstr(ev.why, "exists:"));
    assert_int_equal(host(&z, "203.0.113.7", "example.com", "mallory@example.com", &ev),
                     DK_SPF_SOFTFAIL);
    /* IPv4-mapped IPv6 is the IPv4 address */
    assert_int_equal(host(&z, "::ffff:192.0.2.1", "example.com", "bob@example.com", &ev),
                     DK_SPF_PASS);
    assert_int_equal(host(&z, "192.0.2.1", "strict.example.org", "bob@strict.example.org", &ev),
                     DK_SPF_FAIL);
    assert_int_equal(host(&z, "192.0.2.1", "redir.example.org", "", &ev), DK_SPF_PASS);
    assert_int_equal(host(&z, "192.0.2.1", "redirnone.example.org", NULL, &ev), DK_SPF_PERMERROR);
    assert_int_equal(host(&z, "192.0.2.1", "incnone.example.org", NULL, &ev), DK_SPF_PERMERROR);
    assert_int_equal(host(&z, "192.0.2.1", "fail.example.org", NULL, &ev), DK_SPF_TEMPERROR);
    assert_int_equal(host(&z, "192.0.2.1", "incfail.example.org", NULL, &ev), DK_SPF_TEMPERROR);
    assert_int_equal(host(&z, "192.0.2.1", "two.example.org", NULL, &ev), DK_SPF_PERMERROR);
    assert_int_equal(host(&z, "192.0.2.1", "bad.example.org", NULL, &ev), DK_SPF_PERMERROR);
    assert_int_equal(host(&z, "192.0.2.2", "neutral.example.org", NULL, &ev), DK_SPF_NEUTRAL);
    assert_int_equal(host(&z, "192.0.2.1", "nothing.example.org", NULL, &ev), DK_SPF_NONE);
    assert_int_equal(host(&z, "192.0.2.1", "localhost", NULL, &ev), DK_SPF_NONE);
    /* ptr: validated name within the domain passes; a forged PTR does not */
    assert_int_equal(host(&z, "192.0.2.200", "ptr.example.org", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(host(&z, "192.0.2.201", "ptr.example.org", NULL, &ev), DK_SPF_FAIL);
    /* the third void lookup is a permerror */
    assert_int_equal(host(&z, "192.0.2.1", "voids.example.org", NULL, &ev), DK_SPF_PERMERROR);
    assert_non_null(strstr(ev.why, "void"));
    pzone_free(&z);
}

static void test_check_host_limits(void **state)
{
    pzone z;
    dk_spf_eval ev;

    (void)state;
    pzone_init(&z);
    chain(&z, 11);
    assert_int_equal(host(&z, "192.0.2.1", "example.com", NULL, &ev), DK_SPF_PERMERROR);
    assert_non_null(strstr(ev.why, "limit of 10"));
    pzone_free(&z);
    pzone_init(&z);
    chain(&z, 10);
    assert_int_equal(host(&z, "192.0.2.1", "example.com", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(ev.lookups, 10);
    assert_int_equal(host(&z, "198.51.100.1", "example.com", NULL, &ev), DK_SPF_FAIL);
    pzone_free(&z);
    /* a loop ends in permerror through the limit, never recursion without end */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 include:example.com -all", NULL);
    assert_int_equal(host(&z, "192.0.2.1", "example.com", NULL, &ev), DK_SPF_PERMERROR);
    pzone_free(&z);
    /* 11 MX names */
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK, "v=spf1 mx -all", NULL);
    pzone_add(&z, "example.com", 'M', DK_DNS_OK, "m1.example.com", "m2.example.com",
              "m3.example.com", "m4.example.com", "m5.example.com", "m6.example.com",
              "m7.example.com", "m8.example.com", "m9.example.com", "m10.example.com",
              "m11.example.com", NULL);
    assert_int_equal(host(&z, "192.0.2.1", "example.com", NULL, &ev), DK_SPF_PERMERROR);
    pzone_free(&z);
}

/* Findings on included records: a missing "all" is normal there, +all is not. */
static void test_included_findings(void **state)
{
    pzone z;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.com", 'T', DK_DNS_OK,
              "v=spf1 include:a.example.net include:b.example.net -all", NULL);
    pzone_add(&z, "a.example.net", 'T', DK_DNS_OK, "v=spf1 ip4:192.0.2.0/24", NULL);
    pzone_add(&z, "b.example.net", 'T', DK_DNS_OK, "v=spf1 +all", NULL);
    assert_int_equal(validate(&z, "example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "no \"all\""), 0);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "every host"), 1);
    assert_string_equal(f.v[0].where, "b.example.net");
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    /* the same record as a redirect target is the policy: warned */
    pzone_add(&z, "r.example.com", 'T', DK_DNS_OK, "v=spf1 redirect=a.example.net", NULL);
    assert_int_equal(validate(&z, "r.example.com", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "no \"all\""), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    pzone_free(&z);
}

/* At most 10 PTR names are looked at; lookups a callback cannot do are
 * temperror, never fail. */
static void test_check_host_ptr_and_missing(void **state)
{
    pzone z;
    dk_spf_eval ev;
    dk_spf_dns d;
    dk_spf_ip ip;
    dk_err e;

    (void)state;
    pzone_init(&z);
    pzone_add(&z, "example.org", 'T', DK_DNS_OK, "v=spf1 ptr -all", NULL);
    pzone_add(&z, "192.0.2.7", 'P', DK_DNS_OK, "p1.other.example", "p2.other.example",
              "p3.other.example", "p4.other.example", "p5.other.example", "p6.other.example",
              "p7.other.example", "p8.other.example", "p9.other.example", "p10.other.example",
              "mail.example.org", NULL);
    pzone_add(&z, "mail.example.org", 'A', DK_DNS_OK, "192.0.2.7", NULL);
    assert_int_equal(host(&z, "192.0.2.7", "example.org", NULL, &ev), DK_SPF_FAIL);
    assert_int_equal(z.queries['A'], 0); /* the 11th name was never looked up */
    pzone_add(&z, "192.0.2.8", 'P', DK_DNS_OK, "mail.example.org", NULL);
    pzone_add(&z, "192.0.2.9", 'P', DK_DNS_OK, "mail.example.org", NULL);
    assert_int_equal(host(&z, "192.0.2.8", "example.org", NULL, &ev), DK_SPF_FAIL);
    pzone_add(&z, "mail.example.org", 'A', DK_DNS_OK, "192.0.2.9", NULL);
    assert_int_equal(host(&z, "192.0.2.9", "example.org", NULL, &ev), DK_SPF_PASS);

    pzone_add(&z, "a.example.org", 'T', DK_DNS_OK, "v=spf1 a -all", NULL);
    pzone_spf_dns(&z, &d);
    d.addr = NULL;
    assert_int_equal(dk_spf_ip_parse("192.0.2.1", &ip, NULL), 0);
    assert_int_equal(dk_spf_check_host(&d, &ip, "a.example.org", NULL, NULL, 0, &ev, &e), 0);
    assert_int_equal(ev.result, DK_SPF_TEMPERROR);
    pzone_free(&z);
}

/* Semantics that implementations have got wrong (cases modelled on the
 * openspf RFC 7208 test suite, with our own zone). */
static void test_check_host_semantics(void **state)
{
    pzone z;
    dk_spf_eval ev;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    pzone_init(&z);
    /* exactly 10 terms then a match; the 11th is never reached */
    pzone_add(&z, "t1.example.com", 'T', DK_DNS_OK,
              "v=spf1 a mx a mx a mx a mx a ptr ip4:192.0.2.4 -all", NULL);
    pzone_add(&z, "t1.example.com", 'A', DK_DNS_OK, "192.0.2.8", NULL);
    pzone_add(&z, "t1.example.com", 'M', DK_DNS_OK, "t1.example.com", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t1.example.com", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(ev.lookups, 10);
    pzone_add(&z, "t2.example.com", 'T', DK_DNS_OK,
              "v=spf1 a mx a mx a mx a mx a ptr a ip4:192.0.2.4 -all", NULL);
    pzone_add(&z, "t2.example.com", 'A', DK_DNS_OK, "192.0.2.20", NULL);
    pzone_add(&z, "t2.example.com", 'M', DK_DNS_OK, "t2.example.com", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t2.example.com", NULL, &ev), DK_SPF_PERMERROR);

    /* the receiver stops at the match; the validator counts the worst case */
    pzone_add(&z, "t3.example.com", 'T', DK_DNS_OK,
              "v=spf1 a include:inc.example.com ip4:192.0.2.4 mx -all", NULL);
    pzone_add(&z, "t3.example.com", 'A', DK_DNS_OK, "192.0.2.99", NULL);
    pzone_add(&z, "t3.example.com", 'M', DK_DNS_OK, "t3.example.com", NULL);
    pzone_add(&z, "inc.example.com", 'T', DK_DNS_OK, "v=spf1 a a a a a a a a", NULL);
    pzone_add(&z, "inc.example.com", 'A', DK_DNS_OK, "192.0.2.10", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t3.example.com", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(validate(&z, "t3.example.com", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(rep.lookups, 11);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);

    /* a/0 matches any IPv4 address of the name, never an IPv6 client;
     * a//0 the other way round */
    pzone_add(&z, "t4.example.com", 'T', DK_DNS_OK, "v=spf1 a/0 -all", NULL);
    pzone_add(&z, "t4.example.com", 'A', DK_DNS_OK, "198.51.100.1", NULL);
    pzone_add(&z, "t4.example.com", '6', DK_DNS_OK, "2001:db8::2", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t4.example.com", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(host(&z, "2001:db8:77::1", "t4.example.com", NULL, &ev), DK_SPF_FAIL);
    pzone_add(&z, "t5.example.com", 'T', DK_DNS_OK, "v=spf1 a//0 -all", NULL);
    pzone_add(&z, "t5.example.com", '6', DK_DNS_OK, "2001:db8::1", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t5.example.com", NULL, &ev), DK_SPF_FAIL);
    assert_int_equal(host(&z, "::ffff:192.0.2.4", "t5.example.com", NULL, &ev), DK_SPF_FAIL);
    assert_int_equal(host(&z, "2001:db8:77::1", "t5.example.com", NULL, &ev), DK_SPF_PASS);

    /* a null MX ("") matches nothing and is no error */
    pzone_add(&z, "t6.example.com", 'T', DK_DNS_OK, "v=spf1 mx", NULL);
    pzone_add(&z, "t6.example.com", 'M', DK_DNS_OK, "", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t6.example.com", NULL, &ev), DK_SPF_NEUTRAL);
    /* no MX: the name is not its own MX */
    pzone_add(&z, "t7.example.com", 'T', DK_DNS_OK, "v=spf1 mx", NULL);
    pzone_add(&z, "t7.example.com", 'A', DK_DNS_OK, "192.0.2.4", NULL);
    assert_int_equal(host(&z, "192.0.2.4", "t7.example.com", NULL, &ev), DK_SPF_NEUTRAL);

    /* redirect changes the domain a bare "a" refers to */
    pzone_add(&z, "t8.example.com", 'T', DK_DNS_OK, "v=spf1 redirect=t8r.example.com", NULL);
    pzone_add(&z, "t8.example.com", 'A', DK_DNS_OK, "192.0.2.1", NULL);
    pzone_add(&z, "t8r.example.com", 'T', DK_DNS_OK, "v=spf1 a -all", NULL);
    pzone_add(&z, "t8r.example.com", 'A', DK_DNS_OK, "192.0.2.2", NULL);
    assert_int_equal(host(&z, "192.0.2.2", "t8.example.com", NULL, &ev), DK_SPF_PASS);
    assert_int_equal(host(&z, "192.0.2.1", "t8.example.com", NULL, &ev), DK_SPF_FAIL);

    /* exists looks up A even for an IPv6 client; trailing dots are ignored */
    pzone_add(&z, "t9.example.com", 'T', DK_DNS_OK, "v=spf1 exists:%{l2r-}.user.example.com. -all",
              NULL);
    pzone_add(&z, "gladstone.philip.user.example.com", 'A', DK_DNS_OK, "127.0.0.2", NULL);
    assert_int_equal(
        host(&z, "2001:db8::9", "t9.example.com", "philip-gladstone-test@x.example", &ev),
        DK_SPF_PASS);
    assert_int_equal(host(&z, "2001:db8::9", "t9.example.com", "someone-else@x.example", &ev),
                     DK_SPF_FAIL);

    /* a HELO that is no domain name gives no match, not an error */
    pzone_add(&z, "t10.example.com", 'T', DK_DNS_OK, "v=spf1 a:%{H} -all", NULL);
    {
        dk_spf_dns d;
        dk_spf_ip ip;
        dk_err e;

        pzone_spf_dns(&z, &d);
        assert_int_equal(dk_spf_ip_parse("192.0.2.4", &ip, NULL), 0);
        assert_int_equal(dk_spf_check_host(&d, &ip, "t10.example.com", "a@t10.example.com",
                                           "JUMPIN' JUPITER", 0, &ev, &e),
                         0);
        assert_int_equal(ev.result, DK_SPF_FAIL);
        assert_int_equal(dk_spf_check_host(&d, &ip, "t10.example.com", "a@t10.example.com",
                                           "[192.0.2.4]", 0, &ev, &e),
                         0);
        assert_int_equal(ev.result, DK_SPF_FAIL);
    }
    /* initial domain with an over-long label or an empty label: none */
    assert_int_equal(host(&z, "192.0.2.4",
                          "a1234567890123456789012345678901234567890123456789012345678901234"
                          ".example.com",
                          NULL, &ev),
                     DK_SPF_NONE);
    assert_int_equal(host(&z, "192.0.2.4", "a...example.com", NULL, &ev), DK_SPF_NONE);
    pzone_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_ten_ok),
        cmocka_unit_test(test_lookups_eleven),
        cmocka_unit_test(test_mx_names),
        cmocka_unit_test(test_void_lookups),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_dns_failures),
        cmocka_unit_test(test_macro_terms_not_followed),
        cmocka_unit_test(test_through_resolver),
        cmocka_unit_test(test_check_host),
        cmocka_unit_test(test_check_host_limits),
        cmocka_unit_test(test_included_findings),
        cmocka_unit_test(test_check_host_ptr_and_missing),
        cmocka_unit_test(test_check_host_semantics),
    };

    (void)dump;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
