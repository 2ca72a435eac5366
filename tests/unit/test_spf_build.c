/* test_spf_build.c - the SPF builder: model + host facts -> record, with the
 * lookup count as it grows and the builder's warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static dk_spf_policy pol0(void)
{
    dk_spf_policy p;

    memset(&p, 0, sizeof p);
    p.publish = true;
    p.all = DK_Q_FAIL;
    return p;
}

static void test_build_model(void **state)
{
    char *ip4[] = {(char *)"192.0.2.0/24"};
    char *ip6[] = {(char *)"2001:db8::/32"};
    char *inc[] = {(char *)"_spf.example.net", (char *)"spf.example.org"};
    unsigned cost[] = {3, 0};
    dk_spf_policy p = pol0();
    dk_spf_facts f;
    dk_spf_built b;
    dk_findings fnd;
    dk_err e;

    (void)state;
    p.mx = true;
    p.a = true;
    p.ip4.v = ip4;
    p.ip4.n = 1;
    p.ip6.v = ip6;
    p.ip6.n = 1;
    p.include.v = inc;
    p.include.n = 2;
    memset(&f, 0, sizeof f);
    f.include_cost = cost;
    dk_findings_init(&fnd);
    assert_int_equal(dk_spf_build("example.com", &p, &f, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx "
                                  "include:_spf.example.net include:spf.example.org -all");
    assert_int_equal(b.nterms, 7);
    /* the count as it grows */
    assert_int_equal(b.terms[0].lookups, 0);
    assert_int_equal(b.terms[1].lookups, 0);
    assert_int_equal(b.terms[2].lookups, 1);
    assert_int_equal(b.terms[3].lookups, 2);
    assert_int_equal(b.terms[4].cost, 4);
    assert_int_equal(b.terms[4].lookups, 6);
    assert_int_equal(b.terms[5].lookups, 7);
    assert_int_equal(b.terms[6].lookups, 7);
    assert_int_equal(b.lookups, 7);
    assert_int_equal(dk_findings_worst(&fnd), DK_SEV_OK);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);
}

static void test_build_facts(void **state)
{
    const char *addrs[] = {"192.0.2.10", "127.0.0.1",  "10.1.2.3", "2001:db8:5::25",
                           "fe80::1",    "192.0.2.10", "not-an-ip"};
    char *ip4[] = {(char *)"2001:db8:5::/48"};
    dk_spf_policy p = pol0();
    dk_spf_facts f;
    dk_spf_built b;
    dk_findings fnd;
    dk_err e;

    (void)state;
    p.all = DK_Q_SOFTFAIL;
    memset(&f, 0, sizeof f);
    f.addrs = addrs;
    f.naddrs = 7;
    dk_findings_init(&fnd);
    assert_int_equal(dk_spf_build("example.com", &p, &f, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 ip4:192.0.2.10 ip6:2001:db8:5::25 ~all");
    assert_int_equal(count_sev(&fnd, DK_SEV_INFO, "not a public address"), 3);
    assert_int_equal(count_sev(&fnd, DK_SEV_WARN, "not-an-ip"), 1);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* an address the model's range already covers is not repeated */
    ip4[0] = (char *)"192.0.2.0/28";
    p.ip4.v = ip4;
    p.ip4.n = 1;
    assert_int_equal(dk_spf_build("example.com", &p, &f, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 ip4:192.0.2.0/28 ip6:2001:db8:5::25 ~all");
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* the host is an MX but its addresses are not known: mx covers it */
    {
        dk_spf_facts mxf;

        memset(&mxf, 0, sizeof mxf);
        mxf.host_is_mx = true;
        assert_int_equal(dk_spf_build("example.com", &p, &mxf, &b, &fnd, &e), 0);
        assert_string_equal(b.record, "v=spf1 ip4:192.0.2.0/28 mx ~all");
        assert_int_equal(b.lookups, 1);
        dk_spf_built_free(&b);
        dk_findings_free(&fnd);
        /* with its address known, the cheaper ip term is used instead */
        mxf.addrs = addrs;
        mxf.naddrs = 1;
        p.ip4.n = 0;
        assert_int_equal(dk_spf_build("example.com", &p, &mxf, &b, &fnd, &e), 0);
        assert_string_equal(b.record, "v=spf1 ip4:192.0.2.10 ~all");
        dk_spf_built_free(&b);
        dk_findings_free(&fnd);
        p.ip4.n = 1;
    }

    /* smtp_bind_address: only that one */
    p.ip4.n = 0;
    f.smtp_bind_address = "198.51.100.7";
    assert_int_equal(dk_spf_build("example.com", &p, &f, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 ip4:198.51.100.7 ~all");
    assert_non_null(strstr(b.terms[0].why, "smtp_bind_address"));
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* relayhost: the relay's addresses, not the host's, and a warning */
    {
        const char *relay[] = {"203.0.113.5"};
        f.relayhost = "[smtp.provider.example]:587";
        f.relay_addrs = relay;
        f.nrelay_addrs = 1;
        assert_int_equal(dk_spf_build("example.com", &p, &f, &b, &fnd, &e), 0);
        assert_string_equal(b.record, "v=spf1 ip4:203.0.113.5 ~all");
        assert_int_equal(count_sev(&fnd, DK_SEV_WARN, "relayhost smtp.provider.example"), 1);
        dk_spf_built_free(&b);
        dk_findings_free(&fnd);
    }
}

static void test_build_warnings(void **state)
{
    char *inc[11];
    char names[11][32];
    char *ip4[40];
    char nets[40][32];
    dk_spf_policy p = pol0();
    dk_spf_built b;
    dk_findings fnd;
    dk_err e;

    (void)state;
    /* +all: critical */
    p.all = DK_Q_PASS;
    p.mx = true;
    dk_findings_init(&fnd);
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 mx +all");
    assert_int_equal(count_sev(&fnd, DK_SEV_CRIT, "+all"), 1);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* 11 includes: the 11th lookup is critical, reported once */
    p.all = DK_Q_FAIL;
    p.mx = false;
    for (int i = 0; i < 11; i++) {
        snprintf(names[i], sizeof names[i], "s%d.example.net", i);
        inc[i] = names[i];
    }
    p.include.v = inc;
    p.include.n = 10;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_int_equal(b.lookups, 10);
    assert_int_equal(count_sev(&fnd, DK_SEV_CRIT, NULL), 0);
    dk_spf_built_free(&b);
    p.include.n = 11;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_int_equal(b.lookups, 11);
    assert_int_equal(count_sev(&fnd, DK_SEV_CRIT, "11 DNS-querying terms"), 1);
    assert_int_equal(b.terms[10].lookups, 11);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* long records: over 255 and over 450 octets */
    p.include.n = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(nets[i], sizeof nets[i], "2001:db8:%x::/48", 0x1000 + i);
        ip4[i] = nets[i];
    }
    p.ip6.v = ip4;
    p.ip6.n = 12;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_true(strlen(b.record) > 255 && strlen(b.record) <= 450);
    assert_int_equal(count_sev(&fnd, DK_SEV_WARN, "one TXT string holds at most 255"), 1);
    assert_int_equal(count_sev(&fnd, DK_SEV_WARN, "advises"), 0);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);
    p.ip6.n = 40;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_true(strlen(b.record) > 450);
    assert_int_equal(count_sev(&fnd, DK_SEV_WARN, "advises"), 1);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);

    /* nothing may send */
    p.ip6.n = 0;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), 0);
    assert_string_equal(b.record, "v=spf1 -all");
    assert_int_equal(count_sev(&fnd, DK_SEV_INFO, "no host"), 1);
    dk_spf_built_free(&b);
    dk_findings_free(&fnd);
}

static void test_build_invalid_model(void **state)
{
    char *bad4[] = {(char *)"192.0.2.1/33"};
    char *bad6[] = {(char *)"192.0.2.1"};
    char *badinc[] = {(char *)"example.123"};
    dk_spf_policy p = pol0();
    dk_spf_built b;
    dk_findings fnd;
    dk_err e;

    (void)state;
    dk_findings_init(&fnd);
    p.ip4.v = bad4;
    p.ip4.n = 1;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), -1);
    assert_non_null(strstr(e.msg, "spf.ip4[0]"));
    assert_null(b.record);
    p.ip4.n = 0;
    p.ip6.v = bad6;
    p.ip6.n = 1;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), -1);
    assert_non_null(strstr(e.msg, "spf.ip6[0]"));
    p.ip6.n = 0;
    p.include.v = badinc;
    p.include.n = 1;
    assert_int_equal(dk_spf_build("example.com", &p, NULL, &b, &fnd, &e), -1);
    assert_non_null(strstr(e.msg, "spf.include[0]"));
    dk_findings_free(&fnd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_model),
        cmocka_unit_test(test_build_facts),
        cmocka_unit_test(test_build_warnings),
        cmocka_unit_test(test_build_invalid_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
