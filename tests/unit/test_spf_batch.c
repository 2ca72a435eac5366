/* test_spf_batch.c - many SPF and DMARC checks with their lookups batched
 * in rounds (policy/batch.h): the same results as one by one, each name
 * asked once, few rounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/policy_zone.h"
#include "policy/batch.h"
#include "policy/dmarc.h"
#include "policy/spf.h"

#define N 60

struct spf_ctx {
    char domain[N][64];
    dk_spf_report rep[N];
    dk_findings fnd[N];
};

static int spf_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
{
    struct spf_ctx *c = ud;
    dk_spf_dns d;

    dk_spf_report_free(&c->rep[i]);
    dk_findings_free(&c->fnd[i]);
    dk_spf_dns_from_resolver(&d, r);
    return dk_spf_validate(&d, c->domain[i], &c->rep[i], &c->fnd[i], e);
}

static void zone_many(pzone *z)
{
    char name[64], rec[160];

    pzone_init(z);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "d%d.example.com", i);
        if (i == 7) {
            pzone_add(z, name, 'T', DK_DNS_SERVFAIL, NULL);
            continue;
        }
        snprintf(rec, sizeof rec,
                 "v=spf1 include:shared.example.net include:own%d.example.net mx -all", i);
        pzone_add(z, name, 'T', DK_DNS_OK, rec, NULL);
        pzone_add(z, name, 'M', DK_DNS_OK, "mx.example.com", NULL);
        snprintf(name, sizeof name, "own%d.example.net", i);
        snprintf(rec, sizeof rec, "v=spf1 ip4:192.0.2.%d -all", i);
        pzone_add(z, name, 'T', DK_DNS_OK, rec, NULL);
    }
    pzone_add(z, "shared.example.net", 'T', DK_DNS_OK, "v=spf1 include:deep.example.net -all",
              NULL);
    pzone_add(z, "deep.example.net", 'T', DK_DNS_OK, "v=spf1 ip4:198.51.100.0/24 -all", NULL);
}

static void test_spf_many(void **state)
{
    pzone z;
    struct spf_ctx *c = calloc(1, sizeof *c);
    dk_resolver *r;
    dk_policy_batch_stats st;
    dk_err e;

    (void)state;
    zone_many(&z);
    r = dk_resolver_new_stub(&pzone_ops, &z, &e);
    for (int i = 0; i < N; i++)
        snprintf(c->domain[i], sizeof c->domain[i], "d%d.example.com", i);
    assert_int_equal(dk_policy_batch(r, N, spf_job, c, NULL, &st, &e), 0);
    /* rounds: the domains; their includes and MX; the nested include */
    assert_int_equal(st.rounds, 3);
    /* every name asked once on the real resolver */
    assert_int_equal(z.queries['T'], N + (N - 1) + 2);
    assert_int_equal(z.queries['M'], N - 1);
    assert_int_equal(st.queries, N + (N - 1) + 2 + (N - 1));
    /* the same results as one by one */
    for (int i = 0; i < N; i++) {
        dk_spf_report rep;
        dk_findings f;
        dk_spf_dns d;

        dk_findings_init(&f);
        dk_spf_dns_from_resolver(&d, r);
        assert_int_equal(dk_spf_validate(&d, c->domain[i], &rep, &f, &e), 0);
        assert_int_equal(c->rep[i].status, rep.status);
        assert_int_equal(c->rep[i].lookups, rep.lookups);
        assert_int_equal(c->rep[i].voids, rep.voids);
        assert_int_equal(c->rep[i].nsteps, rep.nsteps);
        assert_int_equal(c->fnd[i].n, f.n);
        assert_int_equal(c->fnd[i].n > 0 ? (int)c->fnd[i].v[0].sev : -1,
                         f.n > 0 ? (int)f.v[0].sev : -1);
        if (i == 7) {
            assert_int_equal(rep.status, DK_SPF_ST_TEMPERROR);
        } else {
            assert_int_equal(rep.status, DK_SPF_ST_VALID);
            assert_int_equal(rep.lookups, 4);
        }
        dk_spf_report_free(&rep);
        dk_findings_free(&f);
        dk_spf_report_free(&c->rep[i]);
        dk_findings_free(&c->fnd[i]);
    }
    dk_resolver_free(r);
    pzone_free(&z);
    free(c);
}

struct dmarc_ctx {
    const char *domain[3];
    int rc[3];
    char at[3][256];
    dk_dmarc_record rec[3];
};

static int dmarc_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
{
    struct dmarc_ctx *c = ud;

    dk_dmarc_record_free(&c->rec[i]);
    c->rc[i] = dk_dmarc_fetch(r, NULL, c->domain[i], &c->rec[i], c->at[i], sizeof c->at[i], e);
    if (c->rc[i] != 1)
        memset(&c->rec[i], 0, sizeof c->rec[i]);
    return c->rc[i] < 0 && e->code != DK_EINVAL ? -1 : 0;
}

static void test_dmarc_many(void **state)
{
    pzone z;
    struct dmarc_ctx c;
    dk_resolver *r;
    dk_policy_batch_stats st;
    dk_err e;

    (void)state;
    memset(&c, 0, sizeof c);
    pzone_init(&z);
    pzone_add(&z, "_dmarc.example.com", 'T', DK_DNS_OK, "v=DMARC1; p=reject", NULL);
    pzone_add(&z, "_dmarc.example.net", 'T', DK_DNS_OK, "v=DMARC1; p=quarantine", NULL);
    pzone_add(&z, "_dmarc.example.org", 'T', DK_DNS_OK, "v=DMARC1; p=none", "v=DMARC1; p=reject",
              NULL);
    c.domain[0] = "example.com";
    c.domain[1] = "a.b.example.net";
    c.domain[2] = "example.org";
    r = dk_resolver_new_stub(&pzone_ops, &z, &e);
    assert_int_equal(dk_policy_batch(r, 3, dmarc_job, &c, NULL, &st, &e), 0);
    assert_int_equal(st.rounds, 2);
    assert_int_equal(c.rc[0], 1);
    assert_string_equal(c.at[0], "example.com");
    assert_int_equal(c.rc[1], 1);
    assert_string_equal(c.at[1], "example.net");
    assert_int_equal(c.rec[1].p, DK_DMARC_QUARANTINE);
    assert_int_equal(c.rc[2], 0); /* two records: no policy */
    assert_int_equal(z.queries['T'], 4);
    for (int i = 0; i < 3; i++)
        dk_dmarc_record_free(&c.rec[i]);
    dk_resolver_free(r);
    pzone_free(&z);
}

/* A job that always wants one more name stops after the round limit; a
 * job error stops the batch. */
static int greedy_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
{
    unsigned *runs = ud;
    char name[64];
    dk_dns_txt_answer a;

    (void)i;
    for (unsigned k = 0; k <= *runs; k++) {
        snprintf(name, sizeof name, "n%u.example.com", k);
        if (dk_dns_txt_lookup(r, name, &a, e) < 0)
            return -1;
        dk_dns_txt_answer_free(&a);
    }
    (*runs)++;
    return 0;
}

static int failing_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
{
    (void)ud;
    (void)r;
    return i == 1 ? dk_err_set(e, DK_EIO, "job %zu broke", i) : 0;
}

static void test_limits(void **state)
{
    pzone z;
    dk_resolver *r;
    dk_policy_batch_stats st;
    unsigned runs = 0;
    dk_err e;

    (void)state;
    pzone_init(&z);
    r = dk_resolver_new_stub(&pzone_ops, &z, &e);
    assert_int_equal(dk_policy_batch(r, 1, greedy_job, &runs, NULL, &st, &e), 0);
    assert_int_equal(st.rounds, DK_POLICY_MAX_ROUNDS);
    assert_int_equal(runs, DK_POLICY_MAX_ROUNDS + 1);
    assert_int_equal(dk_policy_batch(r, 3, failing_job, NULL, NULL, &st, &e), -1);
    assert_non_null(strstr(e.msg, "job 1 broke"));
    assert_int_equal(dk_policy_batch(r, 0, failing_job, NULL, NULL, &st, &e), 0);
    dk_resolver_free(r);
    pzone_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_many),
        cmocka_unit_test(test_dmarc_many),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
