/* resolver.c - the resolver object: servers from a spec or resolv.conf,
 * lookups through the cache and the engine (real) or the ops (stub). */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

#define DEFAULT_MAX_TTL 300

static int add_server(dk_resolver *r, const struct sockaddr *sa, socklen_t len)
{
    if (r->nserver >= DNS_MAX_SERVERS || len > (socklen_t)sizeof r->server[0])
        return 0;
    memcpy(&r->server[r->nserver], sa, (size_t)len);
    r->server_len[r->nserver] = len;
    r->nserver++;
    return 0;
}

/* "HOST" or "HOST@PORT"; HOST an address literal or a name. */
static int servers_from_spec(dk_resolver *r, const char *spec, dk_err *e)
{
    char host[256], port[8] = "53";
    const char *at = strrchr(spec, '@');
    size_t hl = at != NULL ? (size_t)(at - spec) : strlen(spec);
    struct addrinfo hints, *res = NULL, *ai;
    int rc;

    if (hl == 0 || hl >= sizeof host)
        return dk_err_set(e, DK_EINVAL,
                          "resolver \"%s\": expected HOST or HOST@PORT (an IPv4 or IPv6 "
                          "address or a host name)",
                          spec);
    memcpy(host, spec, hl);
    host[hl] = '\0';
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)host[i];

        if (c <= ' ' || c >= 0x7f || c == '/' || c == '%' || c == '#')
            return dk_err_set(e, DK_EINVAL,
                              "resolver \"%s\": the host may hold only letters, digits, "
                              "'-', '.' and ':'",
                              spec);
    }
    if (at != NULL) {
        const char *p = at + 1;
        unsigned long v = 0;

        if (*p == '\0' || strlen(p) > 5)
            goto badport;
        for (; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                goto badport;
            v = v * 10 + (unsigned long)(*p - '0');
        }
        if (v == 0 || v > 65535)
            goto badport;
        snprintf(port, sizeof port, "%lu", v);
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') { /* [::1] */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return dk_err_set(e, rc == EAI_AGAIN ? DK_ETEMP : DK_EINVAL,
                          "resolver \"%s\": cannot find the address of %s: %s", spec, host,
                          gai_strerror(rc));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            add_server(r, ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    if (r->nserver == 0)
        return dk_err_set(e, DK_EINVAL, "resolver \"%s\": no IPv4 or IPv6 address", spec);
    return 0;
badport:
    return dk_err_set(e, DK_EINVAL, "resolver \"%s\": the port after '@' must be 1..65535", spec);
}

/* The nameservers of /etc/resolv.conf (read by ldns). */
static int servers_from_system(dk_resolver *r, dk_err *e)
{
    ldns_resolver *lr = NULL;
    ldns_status st = ldns_resolver_new_frm_file(&lr, NULL);

    if (st == LDNS_STATUS_OK && lr != NULL) {
        ldns_rdf **ns = ldns_resolver_nameservers(lr);

        for (size_t i = 0; i < ldns_resolver_nameserver_count(lr); i++) {
            size_t sz = 0;
            struct sockaddr_storage *ss = ldns_rdf2native_sockaddr_storage(ns[i], 53, &sz);

            if (ss != NULL)
                add_server(r, (const struct sockaddr *)ss, (socklen_t)sz);
            free(ss);
        }
        ldns_resolver_deep_free(lr);
    }
    if (r->nserver == 0) {
        /* no resolv.conf or no nameserver line: the C library's default */
        struct sockaddr_in sin;

        (void)e;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(53);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        add_server(r, (const struct sockaddr *)&sin, sizeof sin);
    }
    return 0;
}

dk_resolver *dk_resolver_new(const char *spec, unsigned timeout_ms, dk_err *e)
{
    dk_resolver *r = dk_calloc(1, sizeof *r, e);

    if (r == NULL)
        return NULL;
    r->real = true;
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : DNS_DEFAULT_TIMEOUT;
    dns_cache_init(&r->cache, DEFAULT_MAX_TTL);
    if ((spec != NULL ? servers_from_spec(r, spec, e) : servers_from_system(r, e)) < 0) {
        free(r);
        return NULL;
    }
    return r;
}

void dk_resolver_free(dk_resolver *r)
{
    if (r == NULL)
        return;
    dns_cache_clear(&r->cache);
    free(r);
}

void dk_resolver_set_cache(dk_resolver *r, unsigned max_ttl)
{
    if (max_ttl == 0)
        dns_cache_clear(&r->cache);
    r->cache.max_ttl = max_ttl;
}

unsigned long dk_resolver_queries_sent(const dk_resolver *r)
{
    return r->sent;
}

/* Stub: one query through the ops. */
static int stub_lookup(dk_resolver *r, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                       dk_err *e)
{
    if (r->ops.lookup != NULL) {
        if (r->ops.lookup(r->ud, name, type, out, e) < 0) {
            dk_dns_answer_free(out);
            return -1;
        }
        out->type = type;
        return 0;
    }
    if (type == DK_DNS_TXT && r->ops.txt != NULL) {
        dk_dns_txt_answer t = {DK_DNS_SERVFAIL, NULL, 0};

        if (r->ops.txt(r->ud, name, &t, e) < 0) {
            dk_dns_txt_answer_free(&t);
            return -1;
        }
        out->rcode = t.rcode;
        if (t.nrr > 0) {
            out->rr = dk_calloc(t.nrr, sizeof *out->rr, e);
            if (out->rr == NULL) {
                dk_dns_txt_answer_free(&t);
                return -1;
            }
            for (size_t i = 0; i < t.nrr; i++) {
                out->rr[i].data = t.rr[i].data; /* moved */
                out->rr[i].len = t.rr[i].len;
                t.rr[i].data = NULL;
            }
            out->nrr = t.nrr;
        }
        dk_dns_txt_answer_free(&t);
        return 0;
    }
    out->rcode = DK_DNS_NXDOMAIN;
    return 0;
}

int dk_dns_batch(dk_resolver *r, dk_dns_query *q, size_t n, const dk_progress *progress, dk_err *e)
{
    if (r->real)
        return dns_engine_run(r, q, n, progress, e);
    for (size_t i = 0; i < n; i++) {
        dk_dns_answer *a = &q[i].answer;

        memset(a, 0, sizeof *a);
        a->type = q[i].type;
        q[i].status = 0;
        if (!dk_dns_name_ok(q[i].name)) {
            q[i].status = -1;
            a->rcode = DK_DNS_SERVFAIL;
            a->why = "query name refused: not made of LDH labels";
            continue;
        }
        if (dns_cache_get(&r->cache, q[i].name, q[i].type, a, e) != 0) {
            if (a->from_cache)
                continue;
            return -1;
        }
        if (stub_lookup(r, q[i].name, q[i].type, a, e) < 0)
            return -1;
        dns_cache_put(&r->cache, q[i].name, q[i].type, a);
        if (progress != NULL &&
            dk_progress_step(progress, "DNS", (unsigned long)(i + 1), (unsigned long)n))
            return dk_err_set(e, DK_ECANCEL, "DNS lookups cancelled");
    }
    return 0;
}

int dk_dns_lookup(dk_resolver *r, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                  dk_err *e)
{
    dk_dns_query q;

    memset(out, 0, sizeof *out);
    out->type = type;
    out->rcode = DK_DNS_SERVFAIL;
    if (!dk_dns_name_ok(name))
        return dk_err_set(e, DK_EINVAL,
                          "DNS query name \"%.300s\" refused: expected labels of 1-63 letters, "
                          "digits, '-' or '_', 253 octets in all",
                          name != NULL ? name : "(null)");
    memset(&q, 0, sizeof q);
    q.name = name;
    q.type = type;
    if (dk_dns_batch(r, &q, 1, NULL, e) < 0) {
        dk_dns_answer_free(&q.answer);
        return -1;
    }
    *out = q.answer;
    return 0;
}

int dk_dns_txt_lookup(dk_resolver *r, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    dk_dns_answer a;

    out->rcode = DK_DNS_SERVFAIL;
    out->rr = NULL;
    out->nrr = 0;
    if (!r->real && r->ops.lookup == NULL) {
        if (!dk_dns_name_ok(name))
            return dk_err_set(e, DK_EINVAL,
                              "DNS query name \"%.300s\" refused: expected labels of 1-63 "
                              "letters, digits, '-' or '_', 253 octets in all",
                              name != NULL ? name : "(null)");
        if (r->ops.txt == NULL)
            return dk_err_set(e, DK_EINTERNAL, "resolver has no TXT operation");
        return r->ops.txt(r->ud, name, out, e);
    }
    if (dk_dns_lookup(r, name, DK_DNS_TXT, &a, e) < 0)
        return -1;
    out->rcode = a.rcode;
    if (a.nrr > 0) {
        out->rr = dk_calloc(a.nrr, sizeof *out->rr, e);
        if (out->rr == NULL) {
            dk_dns_answer_free(&a);
            return -1;
        }
        for (size_t i = 0; i < a.nrr; i++) {
            out->rr[i].data = a.rr[i].data; /* moved */
            out->rr[i].len = a.rr[i].len;
            a.rr[i].data = NULL;
        }
        out->nrr = a.nrr;
    }
    dk_dns_answer_free(&a);
    return 0;
}
