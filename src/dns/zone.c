/* zone.c - find the zone of a name and its authoritative servers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

#define MAX_LABELS 128
#define MAX_NS     16

void dk_dns_servers_free(dk_dns_servers *s)
{
    if (s == NULL)
        return;
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static bool same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

static void free_queries(dk_dns_query *q, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dk_dns_answer_free(&q[i].answer);
}

/* NS lookups of name and every parent but the root; the zone found. */
static int find_zone(dk_resolver *r, const char *name, dk_dns_servers *out, dk_dns_answer *ns,
                     dk_err *e)
{
    dk_dns_query q[MAX_LABELS];
    size_t n = 0;
    const char *p = name;

    memset(q, 0, sizeof q);
    while (*p != '\0' && *p != '.' && n < MAX_LABELS) {
        const char *dot = strchr(p, '.');

        q[n].name = p;
        q[n].type = DK_DNS_NS;
        n++;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    if (dk_dns_batch(r, q, n, NULL, e) < 0) {
        free_queries(q, n);
        return -1;
    }
    out->rcode = DK_DNS_NXDOMAIN;
    out->why = "no enclosing zone has NS records";
    for (size_t i = 0; i < n; i++) {
        dk_dns_answer *a = &q[i].answer;

        if (a->rcode == DK_DNS_SERVFAIL || a->rcode == DK_DNS_TIMEOUT) {
            out->rcode = a->rcode;
            out->why = a->why != NULL ? a->why : "NS lookup failed";
            break;
        }
        /* NS records at the name itself (not at a CNAME target) mark a zone */
        if (a->rcode == DK_DNS_OK && a->name != NULL && same_name(a->name, q[i].name)) {
            out->rcode = DK_DNS_OK;
            out->why = NULL;
            dk_strlcpy(out->zone, a->name, sizeof out->zone);
            *ns = *a;
            memset(a, 0, sizeof *a);
            break;
        }
    }
    free_queries(q, n);
    return 0;
}

int dk_dns_zone_servers(dk_resolver *r, const char *name, dk_dns_servers *out, dk_err *e)
{
    dk_dns_answer ns;
    dk_dns_query q[2 * MAX_NS];
    size_t nq = 0, total = 0;

    memset(out, 0, sizeof *out);
    memset(&ns, 0, sizeof ns);
    out->rcode = DK_DNS_SERVFAIL;
    if (!dk_dns_name_ok(name))
        return dk_err_set(e, DK_EINVAL,
                          "DNS name \"%.300s\" refused: expected labels of 1-63 letters, "
                          "digits, '-' or '_', 253 octets in all",
                          name != NULL ? name : "(null)");
    if (find_zone(r, name, out, &ns, e) < 0)
        return -1;
    if (out->rcode != DK_DNS_OK)
        return 0;
    memset(q, 0, sizeof q);
    for (size_t i = 0; i < ns.nrr && i < MAX_NS; i++) {
        q[nq].name = ns.rr[i].data;
        q[nq++].type = DK_DNS_A;
        q[nq].name = ns.rr[i].data;
        q[nq++].type = DK_DNS_AAAA;
    }
    /* names that fail dk_dns_name_ok only fail their own query */
    if (dk_dns_batch(r, q, nq, NULL, e) < 0)
        goto fail;
    total = nq / 2; /* room for hosts without an address */
    for (size_t i = 0; i < nq; i++)
        total += q[i].answer.nrr;
    out->v = dk_calloc(total > 0 ? total : 1, sizeof *out->v, e);
    if (out->v == NULL)
        goto fail;
    for (size_t i = 0; i < nq; i += 2) {
        size_t before = out->n;

        for (size_t k = i; k < i + 2; k++) {
            for (size_t m = 0; m < q[k].answer.nrr; m++) {
                dk_dns_server *s = &out->v[out->n++];

                dk_strlcpy(s->host, q[k].name, sizeof s->host);
                dk_strlcpy(s->addr, q[k].answer.rr[m].data, sizeof s->addr);
            }
        }
        if (out->n == before) { /* a server without an address: keep it, say so */
            dk_strlcpy(out->v[out->n].host, q[i].name, sizeof out->v[0].host);
            out->v[out->n++].addr[0] = '\0';
        }
    }
    free_queries(q, nq);
    dk_dns_answer_free(&ns);
    return 0;
fail:
    free_queries(q, nq);
    dk_dns_answer_free(&ns);
    dk_dns_servers_free(out);
    return -1;
}
