/* spf_build.c - propose an SPF record from the model and what the host
 * really sends from; the lookup count grows term by term. */
#include "policy/spf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

void dk_spf_built_free(dk_spf_built *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nterms; i++) {
        free(b->terms[i].term);
        free(b->terms[i].why);
    }
    free(b->terms);
    free(b->record);
    memset(b, 0, sizeof *b);
}

struct net {
    dk_spf_ip ip;
    unsigned prefix;
};

struct bstate {
    dk_spf_built *out;
    dk_findings *fnd;
    const char *domain;
    dk_err *e;
    struct net nets[256]; /* ranges already in the record */
    size_t nnets;
    bool over; /* the lookup limit was already reported */
};

static int add_term(struct bstate *s, const char *term, unsigned cost, const char *why)
{
    dk_spf_built *b = s->out;
    dk_spf_built_term *v, *t;

    for (size_t i = 0; i < b->nterms; i++) {
        if (strcmp(b->terms[i].term, term) == 0)
            return 0; /* already there */
    }
    v = dk_reallocarray(b->terms, b->nterms + 1, sizeof *v, s->e);
    if (v == NULL)
        return -1;
    b->terms = v;
    t = &v[b->nterms];
    t->term = dk_strdup(term, s->e);
    t->why = dk_strdup(why, s->e);
    if (t->term == NULL || t->why == NULL) {
        free(t->term);
        free(t->why);
        return -1;
    }
    b->lookups += cost;
    t->cost = cost;
    t->lookups = b->lookups;
    b->nterms++;
    if (b->lookups > DK_SPF_MAX_LOOKUPS && !s->over) {
        s->over = true;
        if (dk_findings_add(s->fnd, DK_SEV_CRIT, s->domain,
                            "replace includes or a/mx terms with ip4:/ip6: ranges",
                            "with \"%s\" the record needs %u DNS-querying terms; more than %d "
                            "is a permerror and every message fails SPF",
                            term, b->lookups, DK_SPF_MAX_LOOKUPS) < 0)
            return -1;
    }
    return 0;
}

/* Parse "ADDR" or "ADDR/N" of the given family (0 = either). */
static int parse_net(const char *s, int family, struct net *n, dk_err *e)
{
    char a[64];
    const char *slash = strchr(s, '/');
    size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
    unsigned max;

    if (len == 0 || len >= sizeof a)
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" is not an address or CIDR range", s);
    memcpy(a, s, len);
    a[len] = '\0';
    if (dk_spf_ip_parse(a, &n->ip, e) < 0)
        return -1;
    if (family != 0 && n->ip.family != family)
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" is not an IPv%d address", s, family);
    max = n->ip.family == 4 ? 32 : 128;
    n->prefix = max;
    if (slash != NULL) {
        unsigned v = 0;
        const char *p = slash + 1;

        if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
            return dk_err_set(e, DK_EINVAL, "\"%.64s\": invalid prefix length", s);
        for (; *p != '\0'; p++) {
            if (*p < '0' || *p > '9' || v > max)
                return dk_err_set(e, DK_EINVAL, "\"%.64s\": invalid prefix length", s);
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > max)
            return dk_err_set(e, DK_EINVAL, "\"%.64s\": the prefix is at most /%u", s, max);
        n->prefix = v;
    }
    return 0;
}

static bool covered(const struct bstate *s, const dk_spf_ip *ip)
{
    for (size_t i = 0; i < s->nnets; i++) {
        if (dk_spf_ip_in(ip, &s->nets[i].ip, s->nets[i].prefix))
            return true;
    }
    return false;
}

/* Not reachable from the internet: loopback, private, link-local, CGNAT,
 * unspecified, documentation ranges are kept (tests use them). */
static bool not_public(const dk_spf_ip *ip)
{
    static const struct {
        const char *net;
        unsigned prefix;
    } ranges[] = {
        {"0.0.0.0", 8},      {"10.0.0.0", 8},    {"100.64.0.0", 10},  {"127.0.0.0", 8},
        {"169.254.0.0", 16}, {"172.16.0.0", 12}, {"192.168.0.0", 16}, {"::", 128},
        {"::1", 128},        {"fc00::", 7},      {"fe80::", 10},
    };

    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        dk_spf_ip n;
        if (dk_spf_ip_parse(ranges[i].net, &n, NULL) == 0 && dk_spf_ip_in(ip, &n, ranges[i].prefix))
            return true;
    }
    return false;
}

static int add_net(struct bstate *s, const struct net *n, const char *why)
{
    char txt[64], term[80];
    unsigned max = n->ip.family == 4 ? 32 : 128;

    dk_spf_ip_format(&n->ip, txt, sizeof txt);
    if (n->prefix == max)
        snprintf(term, sizeof term, "ip%d:%s", n->ip.family, txt);
    else
        snprintf(term, sizeof term, "ip%d:%s/%u", n->ip.family, txt, n->prefix);
    if (s->nnets < sizeof s->nets / sizeof s->nets[0])
        s->nets[s->nnets++] = *n;
    return add_term(s, term, 0, why);
}

/* An address the host sends from: added unless covered or not public. */
static int add_fact(struct bstate *s, const char *addr, const char *why)
{
    struct net n;
    dk_err pe;

    if (addr == NULL || addr[0] == '\0')
        return 0;
    if (parse_net(addr, 0, &n, &pe) < 0 || n.prefix != (n.ip.family == 4 ? 32u : 128u))
        return dk_findings_add(s->fnd, DK_SEV_WARN, s->domain, NULL,
                               "\"%s\" (%s) is not an address; left out", addr, why);
    if (not_public(&n.ip))
        return dk_findings_add(s->fnd, DK_SEV_INFO, s->domain, NULL,
                               "%s is not a public address (%s); left out", addr, why);
    if (covered(s, &n.ip))
        return 0;
    return add_net(s, &n, why);
}

/* "[smtp.example.net]:587" -> "smtp.example.net" */
static void relay_host(const char *in, char *out, size_t size)
{
    const char *p = in;
    size_t n;

    if (strncmp(p, "inet:", 5) == 0)
        p += 5;
    if (*p == '[') {
        const char *q = strchr(p + 1, ']');
        n = q != NULL ? (size_t)(q - p - 1) : strlen(p + 1);
        p++;
    } else {
        const char *q = strrchr(p, ':');
        n = q != NULL ? (size_t)(q - p) : strlen(p);
    }
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

int dk_spf_build(const char *domain, const dk_spf_policy *p, const dk_spf_facts *facts,
                 dk_spf_built *out, dk_findings *fnd, dk_err *e)
{
    struct bstate *s;
    dk_spf_facts none;
    dk_buf rec;
    char why[512];
    int rc = -1;
    bool relay;

    memset(out, 0, sizeof *out);
    if (facts == NULL) {
        memset(&none, 0, sizeof none);
        facts = &none;
    }
    s = dk_calloc(1, sizeof *s, e);
    if (s == NULL)
        return -1;
    s->out = out;
    s->fnd = fnd;
    s->domain = domain;
    s->e = e;
    dk_buf_init(&rec, 8192);

    /* 1. the model's ranges: free */
    for (size_t i = 0; i < p->ip4.n + p->ip6.n; i++) {
        bool v4 = i < p->ip4.n;
        const char *a = v4 ? p->ip4.v[i] : p->ip6.v[i - p->ip4.n];
        struct net n;

        if (parse_net(a, v4 ? 4 : 6, &n, e) < 0) {
            dk_err_prefix(e, "spf.%s[%zu]: ", v4 ? "ip4" : "ip6", v4 ? i : i - p->ip4.n);
            goto out;
        }
        if (add_net(s, &n, "listed in the model") < 0)
            goto out;
    }
    /* 2. what the host sends from */
    relay = facts->relayhost != NULL && facts->relayhost[0] != '\0';
    if (relay) {
        char host[256];

        relay_host(facts->relayhost, host, sizeof host);
        snprintf(why, sizeof why, "the relayhost %s delivers the mail", host);
        for (size_t i = 0; i < facts->nrelay_addrs; i++) {
            if (add_fact(s, facts->relay_addrs[i], why) < 0)
                goto out;
        }
        if (dk_findings_add(fnd, DK_SEV_WARN, domain,
                            "add the include the relay's provider documents (include:...) to "
                            "spf.include",
                            "Postfix sends through relayhost %s: receivers see the relay's "
                            "addresses, not this host's; the relay must be covered by SPF",
                            host) < 0)
            goto out;
    } else if (facts->smtp_bind_address != NULL && facts->smtp_bind_address[0] != '\0') {
        if (add_fact(s, facts->smtp_bind_address,
                     "Postfix smtp_bind_address: mail leaves from it") < 0 ||
            add_fact(s, facts->smtp_bind_address6,
                     "Postfix smtp_bind_address6: mail leaves from it") < 0)
            goto out;
    } else {
        for (size_t i = 0; i < facts->naddrs; i++) {
            if (add_fact(s, facts->addrs[i], "an address of this host, which sends the mail") < 0)
                goto out;
        }
        if (facts->smtp_bind_address6 != NULL &&
            add_fact(s, facts->smtp_bind_address6,
                     "Postfix smtp_bind_address6: mail leaves from it") < 0)
            goto out;
    }
    /* 3. terms that cost lookups */
    if (p->a && add_term(s, "a", 1, "the domain's own A/AAAA addresses may send") < 0)
        goto out;
    if (p->mx && add_term(s, "mx", 1, "the domain's MX hosts may send (at most 10 MX names)") < 0)
        goto out;
    /* the host sends and is an MX, but its own addresses are not known:
     * "mx" covers it */
    if (!p->mx && !relay && facts->host_is_mx && s->out->nterms == p->ip4.n + p->ip6.n &&
        add_term(s, "mx", 1, "this host is an MX of the domain and sends its mail") < 0)
        goto out;
    for (size_t i = 0; i < p->include.n; i++) {
        const char *d = p->include.v[i];
        char term[300];
        unsigned inner = facts->include_cost != NULL ? facts->include_cost[i] : 0;

        if (strlen(d) > 253 || dk_spf_check_spec(d, false, true, e) < 0) {
            dk_err_prefix(e, "spf.include[%zu]: ", i);
            goto out;
        }
        snprintf(term, sizeof term, "include:%s", d);
        if (facts->include_cost != NULL)
            snprintf(why, sizeof why, "a service that sends for the domain (%u lookups inside)",
                     inner);
        else
            snprintf(why, sizeof why,
                     "a service that sends for the domain (lookups inside "
                     "not known: counted as none)");
        if (add_term(s, term, 1 + inner, why) < 0)
            goto out;
    }
    /* 4. the end */
    {
        static const char *const quals[] = {"+all", "-all", "~all", "?all"};
        static const char *const whys[] = {
            "every host may send (never do this)", "everything else fails SPF",
            "everything else soft-fails (accepted, marked)", "everything else is neutral"};
        unsigned q = (unsigned)p->all < 4 ? (unsigned)p->all : (unsigned)DK_Q_FAIL;

        if (add_term(s, quals[q], 0, whys[q]) < 0)
            goto out;
    }
    if (out->nterms == 1 &&
        dk_findings_add(fnd, DK_SEV_INFO, domain, "add the hosts that send mail for the domain",
                        "the record lets no host send mail for %s", domain) < 0)
        goto out;

    if (dk_buf_puts(&rec, "v=spf1", e) < 0)
        goto out;
    for (size_t i = 0; i < out->nterms; i++) {
        if (dk_buf_printf(&rec, e, " %s", out->terms[i].term) < 0)
            goto out;
    }
    /* what we propose must parse; the record's own findings (+all ...) */
    {
        dk_spf_record r;
        if (dk_spf_parse(rec.data, rec.len, &r, e) < 0) {
            dk_err_prefix(e, "the proposed SPF record is invalid: ");
            goto out;
        }
        rc = dk_spf_lint(&r, domain, fnd);
        dk_spf_record_free(&r);
        if (rc < 0 || dk_spf_lint_length(rec.len, domain, fnd) < 0) {
            rc = -1;
            dk_err_set(e, DK_ENOMEM, "out of memory");
            goto out;
        }
    }
    out->record = dk_buf_steal(&rec, NULL);
    rc = out->record != NULL ? 0 : -1;
out:
    dk_buf_free(&rec);
    free(s);
    if (rc < 0)
        dk_spf_built_free(out);
    return rc;
}
