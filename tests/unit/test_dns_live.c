/*
 * test_dns_live.c - the real resolver against a real DNS server.
 *
 * Needs DK_TEST_DNS=HOST@PORT (a server loaded with the zone that
 * tests/integration/dns_live.sh writes) and DK_TEST_DNS_DEAD=HOST@PORT (a
 * port where nothing answers); tests/integration/dns_live.sh starts unbound
 * and runs this binary.  Without DK_TEST_DNS the binary reports one
 * skipped test as TAP ("ok 1 - ... # SKIP"; cmocka 1.1's own skip() prints
 * "not ok ... # SKIP", which runners count as failures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"

static const char *server(void)
{
    const char *s = getenv("DK_TEST_DNS");

    return s != NULL && *s != '\0' ? s : NULL;
}

static dk_resolver *res(unsigned timeout_ms)
{
    dk_err e;
    dk_resolver *r;

    if (server() == NULL)
        skip();
    r = dk_resolver_new(server(), timeout_ms, &e);
    if (r == NULL)
        fail_msg("dk_resolver_new(%s): %s", server(), e.msg);
    return r;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value dns_live.sh publishes at split.example.test. */
static void split_value(char *out, size_t size)
{
    size_t o = (size_t)snprintf(out, size, "v=DKIM1; k=rsa; p=");

    for (int i = 0; i < 600 && o + 1 < size; i++)
        out[o++] = (char)('0' + i % 10);
    out[o] = '\0';
}

static void test_txt_split(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_txt_answer a;
    dk_err e;
    char want[700];

    (void)state;
    split_value(want, sizeof want);
    assert_int_equal(dk_dns_txt_lookup(r, "split.example.test", &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, strlen(want));
    assert_memory_equal(a.rr[0].data, want, strlen(want));
    dk_dns_txt_answer_free(&a);
    dk_resolver_free(r);
}

static void test_txt_nul_and_two(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_txt_answer a;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dns_txt_lookup(r, "nul.example.test", &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, 7);
    assert_memory_equal(a.rr[0].data, "v=a\0b;c", 7);
    dk_dns_txt_answer_free(&a);

    assert_int_equal(dk_dns_txt_lookup(r, "two.example.test", &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 2);
    assert_true((strcmp(a.rr[0].data, "first") == 0 && strcmp(a.rr[1].data, "second") == 0) ||
                (strcmp(a.rr[0].data, "second") == 0 && strcmp(a.rr[1].data, "first") == 0));
    dk_dns_txt_answer_free(&a);
    dk_resolver_free(r);
}

/* 20 records of 250 octets: over 4 KB, so the UDP answer is truncated and
 * only TCP brings it all. */
static void test_txt_over_4k_tcp(void **state)
{
    dk_resolver *r = res(3000);
    dk_dns_answer a;
    dk_err e;
    size_t total = 0;
    unsigned seen = 0;

    (void)state;
    assert_int_equal(dk_dns_lookup(r, "big.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 20);
    for (size_t i = 0; i < a.nrr; i++) {
        unsigned k;

        assert_int_equal(a.rr[i].len, 250);
        assert_int_equal(sscanf(a.rr[i].data, "rec%02u-", &k), 1);
        assert_true(k < 20);
        seen |= 1u << k;
        total += a.rr[i].len;
    }
    assert_int_equal(seen, (1u << 20) - 1);
    assert_true(total > 4096);
    /* one UDP query, then one over TCP */
    assert_int_equal(dk_resolver_queries_sent(r), 2);
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_rcodes(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_answer a;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dns_lookup(r, "missing.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_NXDOMAIN);
    assert_int_equal(a.nrr, 0);
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_lookup(r, "www.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_lookup(r, "x.refused.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_servfail_dead_forwarder(void **state)
{
    dk_resolver *r = res(8000);
    dk_dns_answer a;
    dk_err e;

    (void)state;
    /* unbound forwards dead.nowhere to a port where nothing answers and
     * gives up with SERVFAIL */
    assert_int_equal(dk_dns_lookup(r, "x.dead.nowhere", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_timeout(void **state)
{
    const char *dead = getenv("DK_TEST_DNS_DEAD");
    dk_resolver *r;
    dk_dns_answer a;
    dk_err e;
    double t0;

    (void)state;
    if (dead == NULL || *dead == '\0')
        skip();
    r = dk_resolver_new(dead, 300, &e);
    assert_non_null(r);
    t0 = now_s();
    assert_int_equal(dk_dns_lookup(r, "split.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_TIMEOUT);
    assert_true(now_s() - t0 >= 0.29);
    assert_true(now_s() - t0 < 1.5);
    assert_int_equal(dk_resolver_queries_sent(r), 3); /* retransmitted */
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

/* An old server answers FORMERR to EDNS0: asked again without it. */
static void test_no_edns(void **state)
{
    const char *old = getenv("DK_TEST_DNS_OLD");
    dk_resolver *r;
    dk_dns_answer a;
    dk_err e;

    (void)state;
    if (old == NULL || *old == '\0')
        skip();
    r = dk_resolver_new(old, 2000, &e);
    assert_non_null(r);
    assert_int_equal(dk_dns_lookup(r, "old.example", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_string_equal(a.rr[0].data, "v=spf1 -all");
    assert_int_equal(dk_resolver_queries_sent(r), 2);
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_cname(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_answer a;
    dk_dns_txt_answer t;
    dk_err e;

    (void)state;
    /* a CNAMEd selector: the server answers with the CNAME only, the
     * resolver asks for the target */
    assert_int_equal(dk_dns_lookup(r, "cn._domainkey.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_string_equal(a.name, "sel._domainkey.example.test");
    assert_int_equal(a.nrr, 1);
    assert_string_equal(a.rr[0].data,
                        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_txt_lookup(r, "CN._DomainKey.Example.Test.", &t, &e), 0);
    assert_int_equal(t.rcode, DK_DNS_OK);
    assert_int_equal(t.nrr, 1);
    dk_dns_txt_answer_free(&t);

    /* CNAME to a name that does not exist */
    assert_int_equal(dk_dns_lookup(r, "cnx.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_NXDOMAIN);
    assert_string_equal(a.name, "nothere.example.test");
    dk_dns_answer_free(&a);

    /* a CNAME loop ends as SERVFAIL, never as an endless chase */
    assert_int_equal(dk_dns_lookup(r, "loop1.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_other_types(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_answer a;
    dk_err e;
    char rev[80];

    (void)state;
    assert_int_equal(dk_dns_lookup(r, "www.example.test", DK_DNS_A, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_string_equal(a.rr[0].data, "192.0.2.10");
    assert_int_equal(a.rr[0].addrlen, 4);
    assert_memory_equal(a.rr[0].addr, "\xc0\x00\x02\x0a", 4);
    assert_int_equal(a.rr[0].ttl, 300);
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_lookup(r, "www.example.test", DK_DNS_AAAA, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_string_equal(a.rr[0].data, "2001:db8::10");
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_lookup(r, "example.test", DK_DNS_MX, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].pref, 10);
    assert_string_equal(a.rr[0].data, "mail.example.test");
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_lookup(r, "example.test", DK_DNS_NS, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 2);
    assert_true(strcmp(a.rr[0].data, "ns1.example.test") == 0 ||
                strcmp(a.rr[1].data, "ns1.example.test") == 0);
    dk_dns_answer_free(&a);

    assert_int_equal(dk_dns_ptr_name("192.0.2.10", rev, sizeof rev, &e), 0);
    assert_int_equal(dk_dns_lookup(r, rev, DK_DNS_PTR, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_string_equal(a.rr[0].data, "mail.example.test");
    dk_dns_answer_free(&a);
    dk_resolver_free(r);
}

static void test_zone_servers(void **state)
{
    dk_resolver *r = res(2000), *auth;
    dk_dns_servers s;
    dk_dns_answer a;
    dk_err e;
    bool seen1 = false, seen2 = false, seen3 = false;
    char spec[80];

    (void)state;
    assert_int_equal(dk_dns_zone_servers(r, "sel._domainkey.example.test", &s, &e), 0);
    assert_int_equal(s.rcode, DK_DNS_OK);
    assert_string_equal(s.zone, "example.test");
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(s.v[i].host, "ns1.example.test") == 0 && strcmp(s.v[i].addr, "127.0.0.1") == 0)
            seen1 = true;
        if (strcmp(s.v[i].host, "ns2.example.test") == 0 && strcmp(s.v[i].addr, "::1") == 0)
            seen2 = true;
        if (strcmp(s.v[i].host, "ns2.example.test") == 0 && strcmp(s.v[i].addr, "127.0.0.2") == 0)
            seen3 = true;
    }
    assert_true(seen1 && seen2 && seen3);
    dk_dns_servers_free(&s);

    /* a name in no zone served here: NS lookups are refused (SERVFAIL) */
    assert_int_equal(dk_dns_zone_servers(r, "www.elsewhere.nowhere", &s, &e), 0);
    assert_int_equal(s.rcode, DK_DNS_SERVFAIL);
    assert_int_equal(s.n, 0);
    dk_dns_servers_free(&s);

    /* ask the server found directly, at the test port: authoritative answer */
    snprintf(spec, sizeof spec, "127.0.0.1%s", strchr(server(), '@'));
    auth = dk_resolver_new(spec, 2000, &e);
    assert_non_null(auth);
    assert_int_equal(dk_dns_lookup(auth, "sel._domainkey.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_true(a.authoritative);
    dk_dns_answer_free(&a);
    dk_resolver_free(auth);
    dk_resolver_free(r);
}

static void sec_is(dk_resolver *r, const char *anchor, const char *name, enum dk_dns_sec want)
{
    enum dk_dns_sec got;
    char why[300];
    dk_err e;

    assert_int_equal(dk_dns_dnssec_status(r, anchor, name, DK_DNS_TXT, &got, why, sizeof why, &e),
                     0);
    if (got != want)
        fail_msg("%s: %s, expected %s (%s)", name, dk_dns_sec_name(got), dk_dns_sec_name(want),
                 why);
    assert_true(why[0] != '\0');
}

static void test_dnssec(void **state)
{
    const char *anchor = getenv("DK_TEST_DNSSEC_ANCHOR");
    dk_resolver *r = res(2000);
    char wrong[4096], *slash;
    enum dk_dns_sec got;
    dk_err e;

    (void)state;
    if (anchor == NULL || *anchor == '\0') {
        dk_resolver_free(r);
        skip();
    }
    sec_is(r, anchor, "www.test", DK_DNS_SEC_SECURE);
    sec_is(r, anchor, "sel._domainkey.sec.test", DK_DNS_SEC_SECURE);
    sec_is(r, anchor, "sec.test", DK_DNS_SEC_SECURE);
    sec_is(r, anchor, "missing.sec.test", DK_DNS_SEC_SECURE);  /* NSEC3 proof */
    sec_is(r, anchor, "missing.test", DK_DNS_SEC_SECURE);      /* NSEC proof */
    sec_is(r, anchor, "x.ins.test", DK_DNS_SEC_INSECURE);      /* NSEC: no DS */
    sec_is(r, anchor, "x.ins2.sec.test", DK_DNS_SEC_INSECURE); /* NSEC3: no DS */
    sec_is(r, anchor, "bad.sec.test", DK_DNS_SEC_BOGUS);
    sec_is(r, anchor, "nosig.sec.test", DK_DNS_SEC_BOGUS);
    sec_is(r, anchor, "www.example.com", DK_DNS_SEC_UNKNOWN); /* outside the anchor */

    /* a trust anchor that matches no key: everything under it is bogus */
    snprintf(wrong, sizeof wrong, "%s", anchor);
    slash = strrchr(wrong, '/');
    assert_non_null(slash);
    snprintf(slash + 1, sizeof wrong - (size_t)(slash + 1 - wrong), "wrong.ds");
    sec_is(r, wrong, "www.test", DK_DNS_SEC_BOGUS);

    /* the root anchor of dns-root-data: the server refuses the root */
    if (access(DK_DNS_ROOT_ANCHOR, R_OK) == 0)
        sec_is(r, NULL, "www.test", DK_DNS_SEC_UNKNOWN);
    /* an unreadable anchor is an error, not a status */
    assert_int_equal(
        dk_dns_dnssec_status(r, "/nonexistent/anchor", "www.test", DK_DNS_TXT, &got, NULL, 0, &e),
        -1);
    assert_int_equal(dk_dns_dnssec_status(r, anchor, "bad name", DK_DNS_TXT, &got, NULL, 0, &e),
                     -1);
    dk_resolver_free(r);
}

static void test_cache(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_answer a;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dns_lookup(r, "split.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_false(a.from_cache);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_dns_lookup(r, "missing.example.test", DK_DNS_TXT, &a, &e), 0);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_resolver_queries_sent(r), 2);
    assert_int_equal(dk_dns_lookup(r, "SPLIT.example.test.", DK_DNS_TXT, &a, &e), 0);
    assert_true(a.from_cache);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.rr[0].len, 618);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_dns_lookup(r, "missing.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_true(a.from_cache); /* negative answers are cached too */
    assert_int_equal(a.rcode, DK_DNS_NXDOMAIN);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_resolver_queries_sent(r), 2);
    /* another type is another key */
    assert_int_equal(dk_dns_lookup(r, "split.example.test", DK_DNS_A, &a, &e), 0);
    assert_false(a.from_cache);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_resolver_queries_sent(r), 3);
    /* off: asks again */
    dk_resolver_set_cache(r, 0);
    assert_int_equal(dk_dns_lookup(r, "split.example.test", DK_DNS_TXT, &a, &e), 0);
    assert_false(a.from_cache);
    dk_dns_answer_free(&a);
    assert_int_equal(dk_resolver_queries_sent(r), 4);
    dk_resolver_free(r);
}

static void test_batch(void **state)
{
    dk_resolver *r = res(3000);
    enum { N = 600 };
    dk_dns_query *q = calloc(N, sizeof *q);
    char(*names)[64] = calloc(N, sizeof *names);
    dk_err e;

    (void)state;
    assert_non_null(q);
    assert_non_null(names);
    for (int i = 0; i < N; i++) {
        switch (i % 4) {
        case 0:
            snprintf(names[i], sizeof names[i], "h%d.bulk.example.test", i / 4 % 100);
            q[i].type = DK_DNS_TXT;
            break;
        case 1:
            snprintf(names[i], sizeof names[i], "nx%d.example.test", i);
            q[i].type = DK_DNS_TXT;
            break;
        case 2:
            snprintf(names[i], sizeof names[i], "big.example.test");
            q[i].type = i < 50 ? DK_DNS_TXT : DK_DNS_A;
            break;
        default:
            snprintf(names[i], sizeof names[i],
                     i == 3 ? "bad name.example.test" : "www.example.test");
            q[i].type = DK_DNS_A;
            break;
        }
        q[i].name = names[i];
    }
    dk_resolver_set_cache(r, 0);
    assert_int_equal(dk_dns_batch(r, q, N, NULL, &e), 0);
    for (int i = 0; i < N; i++) {
        dk_dns_answer *a = &q[i].answer;
        char want[64];

        switch (i % 4) {
        case 0:
            assert_int_equal(q[i].status, 0);
            assert_int_equal(a->rcode, DK_DNS_OK);
            snprintf(want, sizeof want, "host %d", i / 4 % 100);
            assert_string_equal(a->rr[0].data, want);
            break;
        case 1:
            assert_int_equal(a->rcode, DK_DNS_NXDOMAIN);
            break;
        case 2:
            assert_int_equal(a->rcode, q[i].type == DK_DNS_TXT ? DK_DNS_OK : DK_DNS_NODATA);
            if (q[i].type == DK_DNS_TXT)
                assert_int_equal(a->nrr, 20);
            break;
        default:
            if (i == 3) {
                assert_int_equal(q[i].status, -1);
            } else {
                assert_int_equal(a->rcode, DK_DNS_OK);
                assert_string_equal(a->rr[0].data, "192.0.2.10");
            }
            break;
        }
        dk_dns_answer_free(a);
    }
    free(q);
    free(names);
    dk_resolver_free(r);
}

static void test_refuses_bad_names(void **state)
{
    dk_resolver *r = res(2000);
    dk_dns_txt_answer a;
    dk_err e;

    (void)state;
    assert_int_equal(dk_dns_txt_lookup(r, "a b.example.test", &a, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_int_equal(dk_dns_txt_lookup(r, "a..example.test", &a, &e), -1);
    assert_int_equal(dk_resolver_queries_sent(r), 0);
    dk_resolver_free(r);
}

int main(void)
{
    if (server() == NULL) {
        printf("1..1\nok 1 - test_dns_live # SKIP DK_TEST_DNS is not set "
               "(tests/integration/dns_live.sh runs it against unbound)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txt_split),
        cmocka_unit_test(test_txt_nul_and_two),
        cmocka_unit_test(test_txt_over_4k_tcp),
        cmocka_unit_test(test_rcodes),
        cmocka_unit_test(test_servfail_dead_forwarder),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_no_edns),
        cmocka_unit_test(test_cname),
        cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_zone_servers),
        cmocka_unit_test(test_dnssec),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_refuses_bad_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
