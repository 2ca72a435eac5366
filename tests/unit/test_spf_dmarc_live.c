/*
 * test_spf_dmarc_live.c - SPF and DMARC through the real resolver against a
 * real DNS server (unbound on loopback).
 *
 * Needs DK_TEST_DNS=HOST@PORT (a server loaded with the zone that
 * tests/integration/policy_live.sh writes) and DK_TEST_DNS_DEAD=HOST@PORT
 * (a port where nothing answers).  Without DK_TEST_DNS the binary reports
 * one skipped test as TAP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "policy/batch.h"
#include "policy/dmarc.h"
#include "policy/spf.h"

static const char *env(const char *name)
{
    const char *s = getenv(name);

    return s != NULL && *s != '\0' ? s : NULL;
}

static dk_resolver *res(const char *spec, unsigned timeout_ms)
{
    dk_err e;
    dk_resolver *r = dk_resolver_new(spec, timeout_ms, &e);

    if (r == NULL)
        fail_msg("dk_resolver_new(%s): %s", spec, e.msg);
    return r;
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

static enum dk_spf_status validate(dk_resolver *r, const char *domain, dk_spf_report *rep,
                                   dk_findings *f)
{
    dk_spf_dns d;
    dk_err e;

    dk_spf_dns_from_resolver(&d, r);
    dk_findings_init(f);
    if (dk_spf_validate(&d, domain, rep, f, &e) != 0)
        fail_msg("validate %s: %s", domain, e.msg);
    return rep->status;
}

static enum dk_spf_result host(dk_resolver *r, const char *ip, const char *domain)
{
    dk_spf_dns d;
    dk_spf_ip a;
    dk_spf_eval ev;
    dk_err e;

    dk_spf_dns_from_resolver(&d, r);
    assert_int_equal(dk_spf_ip_parse(ip, &a, NULL), 0);
    if (dk_spf_check_host(&d, &a, domain, "someone@policy.test", "helo.policy.test", 0, &ev, &e) !=
        0)
        fail_msg("check_host: %s", e.msg);
    return ev.result;
}

static void test_spf_good(void **state)
{
    dk_resolver *r = res(env("DK_TEST_DNS"), 2000);
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    assert_int_equal(validate(r, "policy.test", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 3);
    assert_int_equal(rep.voids, 0);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "ptr"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "198.51.100.3", "policy.test"), DK_SPF_PASS);
    assert_int_equal(host(r, "192.0.2.25", "policy.test"), DK_SPF_PASS);   /* mx */
    assert_int_equal(host(r, "2001:db8::25", "policy.test"), DK_SPF_PASS); /* mx, AAAA */
    assert_int_equal(host(r, "192.0.2.80", "policy.test"), DK_SPF_PASS);   /* a: */
    assert_int_equal(host(r, "192.0.2.7", "policy.test"), DK_SPF_PASS);    /* ptr */
    assert_int_equal(host(r, "203.0.113.9", "policy.test"), DK_SPF_FAIL);
    dk_resolver_free(r);
}

static void test_spf_limits(void **state)
{
    dk_resolver *r = res(env("DK_TEST_DNS"), 2000);
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    assert_int_equal(validate(r, "n1.policy.test", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.lookups, 10);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(validate(r, "n0.policy.test", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(rep.lookups, 11);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "11. DNS-querying term"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "192.0.2.1", "n1.policy.test"), DK_SPF_PASS);
    assert_int_equal(host(r, "192.0.2.1", "n0.policy.test"), DK_SPF_PERMERROR);

    assert_int_equal(validate(r, "void2.policy.test", &rep, &f), DK_SPF_ST_VALID);
    assert_int_equal(rep.voids, 2);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(validate(r, "void3.policy.test", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(rep.voids, 3);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "192.0.2.1", "void3.policy.test"), DK_SPF_PERMERROR);

    assert_int_equal(validate(r, "loop1.policy.test", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "loops back"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "192.0.2.1", "loop1.policy.test"), DK_SPF_PERMERROR);

    assert_int_equal(validate(r, "two.policy.test", &rep, &f), DK_SPF_ST_PERMERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, "several"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);

    /* several strings joined with no separator */
    assert_int_equal(validate(r, "long.policy.test", &rep, &f), DK_SPF_ST_VALID);
    assert_non_null(rep.record);
    assert_true(strlen(rep.record) > 255);
    assert_non_null(strstr(rep.record, " ip4:203.0.113.29 -all"));
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "at most 255"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "203.0.113.29", "long.policy.test"), DK_SPF_PASS);

    assert_int_equal(validate(r, "nothing.policy.test", &rep, &f), DK_SPF_ST_NONE);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    dk_resolver_free(r);
}

/* SERVFAIL and a timeout are temperror, never fail or permerror. */
static void test_spf_temperror(void **state)
{
    dk_resolver *r = res(env("DK_TEST_DNS"), 2000);
    dk_resolver *dead;
    dk_spf_report rep;
    dk_findings f;

    (void)state;
    assert_int_equal(validate(r, "sf.policy.test", &rep, &f), DK_SPF_ST_TEMPERROR);
    assert_int_equal(count_sev(&f, DK_SEV_CRIT, NULL), 0);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(r, "192.0.2.1", "sf.policy.test"), DK_SPF_TEMPERROR);
    dk_resolver_free(r);
    if (env("DK_TEST_DNS_DEAD") == NULL)
        return;
    dead = res(env("DK_TEST_DNS_DEAD"), 300);
    assert_int_equal(validate(dead, "policy.test", &rep, &f), DK_SPF_ST_TEMPERROR);
    assert_int_equal(count_sev(&f, DK_SEV_WARN, "timeout"), 1);
    dk_spf_report_free(&rep);
    dk_findings_free(&f);
    assert_int_equal(host(dead, "192.0.2.1", "policy.test"), DK_SPF_TEMPERROR);
    dk_resolver_free(dead);
}

static void test_dmarc(void **state)
{
    dk_resolver *r = res(env("DK_TEST_DNS"), 2000);
    dk_dmarc_record rec;
    dk_findings f;
    char at[256];
    bool ok = false;
    enum dk_dns_rcode rc;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dmarc_fetch(r, NULL, "policy.test", &rec, at, sizeof at, &e), 1);
    assert_string_equal(at, "policy.test");
    assert_int_equal(rec.p, DK_DMARC_REJECT);
    assert_int_equal(rec.nrua, 2);
    dk_findings_init(&f);
    assert_int_equal(dk_dmarc_lint(&rec, "policy.test", NULL, &f), 0);
    assert_int_equal(count_sev(&f, DK_SEV_INFO, "policy.test._report._dmarc.third.test"), 1);
    dk_findings_free(&f);
    dk_dmarc_record_free(&rec);
    /* the authorised destination publishes v=DMARC1, the other does not */
    assert_int_equal(dk_dmarc_check_report_auth(r, "policy.test", "third.test", &ok, &rc, &e), 0);
    assert_true(ok);
    assert_int_equal(
        dk_dmarc_check_report_auth(r, "unauth.policy.test", "other.test", &ok, &rc, &e), 0);
    assert_false(ok);
    assert_int_equal(rc, DK_DNS_NXDOMAIN);
    /* no record at a subdomain: the organisational domain's applies */
    assert_int_equal(dk_dmarc_fetch(r, NULL, "a.b.policy.test", &rec, at, sizeof at, &e), 1);
    assert_string_equal(at, "policy.test");
    assert_int_equal(rec.sp, DK_DMARC_QUARANTINE);
    dk_dmarc_record_free(&rec);
    /* two records: DMARC does not apply */
    assert_int_equal(dk_dmarc_fetch(r, NULL, "two.policy.test", &rec, at, sizeof at, &e), 0);
    /* an invalid record is an error naming the tag */
    assert_int_equal(dk_dmarc_fetch(r, NULL, "bad.policy.test", &rec, at, sizeof at, &e), -1);
    assert_non_null(strstr(e.msg, "pct=150"));
    /* a refused zone: temporary */
    assert_int_equal(dk_dmarc_fetch(r, NULL, "x.refused.test", &rec, at, sizeof at, &e), 2);
    dk_resolver_free(r);
}

/* The same checks batched in rounds give the same verdicts. */
static const char *const live_domains[] = {
    "policy.test",       "n0.policy.test",      "n1.policy.test",  "void2.policy.test",
    "void3.policy.test", "loop1.policy.test",   "two.policy.test", "long.policy.test",
    "sf.policy.test",    "nothing.policy.test",
};
#define NLIVE (sizeof live_domains / sizeof live_domains[0])

struct live_ctx {
    dk_spf_report rep[NLIVE];
    dk_findings fnd[NLIVE];
};

static int live_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
{
    struct live_ctx *c = ud;
    dk_spf_dns d;

    dk_spf_report_free(&c->rep[i]);
    dk_findings_free(&c->fnd[i]);
    dk_spf_dns_from_resolver(&d, r);
    return dk_spf_validate(&d, live_domains[i], &c->rep[i], &c->fnd[i], e);
}

static void test_batch(void **state)
{
    dk_resolver *r = res(env("DK_TEST_DNS"), 2000);
    struct live_ctx c;
    dk_policy_batch_stats st;
    dk_err e;

    (void)state;
    memset(&c, 0, sizeof c);
    assert_int_equal(dk_policy_batch(r, NLIVE, live_job, &c, NULL, &st, &e), 0);
    assert_true(st.rounds >= 3 && st.rounds <= 12);
    for (size_t i = 0; i < NLIVE; i++) {
        dk_spf_report rep;
        dk_findings f;

        assert_int_equal(validate(r, live_domains[i], &rep, &f), c.rep[i].status);
        assert_int_equal(rep.lookups, c.rep[i].lookups);
        assert_int_equal(rep.voids, c.rep[i].voids);
        assert_int_equal(f.n, c.fnd[i].n);
        dk_spf_report_free(&rep);
        dk_findings_free(&f);
        dk_spf_report_free(&c.rep[i]);
        dk_findings_free(&c.fnd[i]);
    }
    dk_resolver_free(r);
}

int main(void)
{
    if (env("DK_TEST_DNS") == NULL) {
        printf("1..1\nok 1 - test_spf_dmarc_live # SKIP DK_TEST_DNS is not set "
               "(tests/integration/policy_live.sh runs it against unbound)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_good),      cmocka_unit_test(test_spf_limits),
        cmocka_unit_test(test_spf_temperror), cmocka_unit_test(test_dmarc),
        cmocka_unit_test(test_batch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
