/*
 * dns_batch.c - how long DNS checks of many domains take: for N domains,
 * the DKIM key (sel._domainkey.D), SPF (D) and DMARC (_dmarc.D) TXT
 * records, all through one dk_dns_batch call.  Every answer is checked.
 *
 *   dns_batch HOST@PORT [N] [TIMEOUT_MS]
 *
 * Built and run by tests/bench/dns_batch.sh against a responder that
 * delays each answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    unsigned tmo = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 2000;
    dk_resolver *r;
    dk_dns_query *q;
    char (*names)[80];
    dk_dns_answer one;
    dk_err e;
    double t0, t1, single;
    size_t good = 0, bad = 0;

    if (argc < 2 || n == 0 || n > 100000) {
        fprintf(stderr, "usage: dns_batch HOST@PORT [N] [TIMEOUT_MS]\n");
        return 2;
    }
    r = dk_resolver_new(argv[1], tmo, &e);
    if (r == NULL) {
        fprintf(stderr, "dns_batch: %s\n", e.msg);
        return 2;
    }
    dk_resolver_set_cache(r, 0);
    /* the latency of one lookup: proves the delay is there */
    t0 = now_s();
    if (dk_dns_lookup(r, "probe.bench.test", DK_DNS_TXT, &one, &e) < 0 || one.rcode != DK_DNS_OK) {
        fprintf(stderr, "dns_batch: the responder does not answer\n");
        return 1;
    }
    single = now_s() - t0;
    dk_dns_answer_free(&one);

    q = calloc(3 * n, sizeof *q);
    names = calloc(3 * n, sizeof *names);
    if (q == NULL || names == NULL)
        return 2;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[3 * i], sizeof names[0], "sel._domainkey.d%zu.bench.test", i);
        snprintf(names[3 * i + 1], sizeof names[0], "d%zu.bench.test", i);
        snprintf(names[3 * i + 2], sizeof names[0], "_dmarc.d%zu.bench.test", i);
        for (size_t k = 0; k < 3; k++) {
            q[3 * i + k].name = names[3 * i + k];
            q[3 * i + k].type = DK_DNS_TXT;
        }
    }
    t0 = now_s();
    if (dk_dns_batch(r, q, 3 * n, NULL, &e) < 0) {
        fprintf(stderr, "dns_batch: %s\n", e.msg);
        return 1;
    }
    t1 = now_s();
    for (size_t i = 0; i < 3 * n; i++) {
        const dk_dns_answer *a = &q[i].answer;
        char want[120];

        switch (i % 3) {
        case 0:
            snprintf(want, sizeof want, "v=DKIM1; k=ed25519; p=d%zu.bench.test=", i / 3);
            break;
        case 1:
            snprintf(want, sizeof want, "v=spf1 -all");
            break;
        default:
            snprintf(want, sizeof want, "v=DMARC1; p=none");
            break;
        }
        if (q[i].status == 0 && a->rcode == DK_DNS_OK && a->nrr == 1 &&
            a->rr[0].len == strlen(want) && memcmp(a->rr[0].data, want, a->rr[0].len) == 0)
            good++;
        else
            bad++;
        dk_dns_answer_free(&q[i].answer);
    }
    printf("one lookup: %.1f ms\n", single * 1000);
    printf("%zu domains x 3 TXT lookups = %zu queries: %.3f s (%.0f queries/s), %zu correct, "
           "%zu wrong or missing, %lu packets sent\n",
           n, 3 * n, t1 - t0, (double)(3 * n) / (t1 - t0), good, bad,
           dk_resolver_queries_sent(r) - 1);
    free(q);
    free(names);
    dk_resolver_free(r);
    return bad == 0 ? 0 : 1;
}
