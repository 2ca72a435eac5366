/* test_dns.c - query names, reverse names, the stub resolver, the cache and
 * the response parser on crafted packets. */
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
#include "util/mem.h"

/* ---- names ---------------------------------------------------------------- */

static void test_name_ok(void **state)
{
    char l63[64], l64[65], long254[260];

    (void)state;
    assert_true(dk_dns_name_ok("example.com"));
    assert_true(dk_dns_name_ok("example.com."));
    assert_true(dk_dns_name_ok("sel._domainkey.Example.COM"));
    assert_true(dk_dns_name_ok("_dmarc.example.com"));
    assert_true(dk_dns_name_ok("a-b.c"));
    assert_true(dk_dns_name_ok("1.2.0.192.in-addr.arpa"));
    assert_true(dk_dns_name_ok("localhost"));
    assert_false(dk_dns_name_ok(NULL));
    assert_false(dk_dns_name_ok(""));
    assert_false(dk_dns_name_ok("."));
    assert_false(dk_dns_name_ok("a..b"));
    assert_false(dk_dns_name_ok(".a.b"));
    assert_false(dk_dns_name_ok("a.b.."));
    assert_false(dk_dns_name_ok("-a.b"));
    assert_false(dk_dns_name_ok("a-.b"));
    assert_false(dk_dns_name_ok("a b.c"));
    assert_false(dk_dns_name_ok("a\tb.c"));
    assert_false(dk_dns_name_ok("a\nb.c"));
    assert_false(dk_dns_name_ok("a:b.c"));
    assert_false(dk_dns_name_ok("a%b.c"));
    assert_false(dk_dns_name_ok("a#b.c"));
    assert_false(dk_dns_name_ok("a/b.c"));
    assert_false(dk_dns_name_ok("a\\046b.c"));
    assert_false(dk_dns_name_ok("caf\xc3\xa9.example"));
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    assert_true(dk_dns_name_ok(l63));
    assert_false(dk_dns_name_ok(l64));
    /* 253 octets in all is the limit */
    memset(long254, 0, sizeof long254);
    for (size_t i = 0; i < 254; i++)
        long254[i] = (i % 2 == 1) ? '.' : 'a';
    long254[253] = '\0'; /* "a.a. ... a": 253 octets */
    assert_true(dk_dns_name_ok(long254));
    long254[253] = '.';
    assert_true(dk_dns_name_ok(long254)); /* plus a trailing dot */
    long254[253] = 'a';
    long254[254] = '\0';
    assert_false(dk_dns_name_ok(long254));
}

static void test_ptr_name(void **state)
{
    char out[80], small[10];
    dk_err e;

    (void)state;
    assert_int_equal(dk_dns_ptr_name("192.0.2.1", out, sizeof out, &e), 0);
    assert_string_equal(out, "1.2.0.192.in-addr.arpa");
    assert_int_equal(dk_dns_ptr_name("2001:db8::1", out, sizeof out, &e), 0);
    assert_string_equal(out,
                        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_true(dk_dns_name_ok(out));
    assert_int_equal(dk_dns_ptr_name("192.0.2", out, sizeof out, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_int_equal(dk_dns_ptr_name("1.2.3.4:25", out, sizeof out, &e), -1);
    assert_int_equal(dk_dns_ptr_name("192.0.2.1", small, sizeof small, &e), -1);
    assert_int_equal(dk_dns_ptr_name("::1", small, sizeof small, &e), -1);
}

static void test_resolver_spec(void **state)
{
    dk_err e;
    dk_resolver *r;

    (void)state;
    r = dk_resolver_new("127.0.0.1", 100, &e);
    assert_non_null(r);
    dk_resolver_free(r);
    r = dk_resolver_new("127.0.0.1@5353", 100, &e);
    assert_non_null(r);
    dk_resolver_free(r);
    r = dk_resolver_new("::1@53", 100, &e);
    assert_non_null(r);
    dk_resolver_free(r);
    r = dk_resolver_new("[::1]@53", 100, &e);
    assert_non_null(r);
    dk_resolver_free(r);
    r = dk_resolver_new("localhost@53", 100, &e);
    assert_non_null(r);
    dk_resolver_free(r);
    r = dk_resolver_new(NULL, 100, &e); /* resolv.conf, or 127.0.0.1 */
    assert_non_null(r);
    dk_resolver_free(r);

    assert_null(dk_resolver_new("", 100, &e));
    assert_int_equal(e.code, DK_EINVAL);
    assert_null(dk_resolver_new("@53", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1@", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1@0", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1@65536", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1@53x", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1@-1", 100, &e));
    assert_null(dk_resolver_new("127.0.0.1 @53", 100, &e));
    assert_null(dk_resolver_new("a/b@53", 100, &e));
    assert_non_null(strstr(e.msg, "a/b@53"));
    assert_null(dk_resolver_new("@", 100, &e));
    assert_non_null(strstr(e.msg, "HOST"));
}

/* ---- the stub ------------------------------------------------------------- */

typedef struct stub_state {
    unsigned calls;
    const char *last;
    enum dk_dns_rcode rc;
    uint32_t ttl;
} stub_state;

static int stub_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    stub_state *s = ud;

    s->calls++;
    s->last = name;
    out->rcode = s->rc;
    if (s->rc != DK_DNS_OK)
        return 0;
    out->rr = dk_calloc(1, sizeof *out->rr, e);
    if (out->rr == NULL)
        return -1;
    out->rr[0].data = dk_strndup("k\0v", 3, e);
    out->rr[0].len = 3;
    out->nrr = 1;
    return 0;
}

static int stub_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                       dk_err *e)
{
    stub_state *s = ud;

    s->calls++;
    s->last = name;
    out->rcode = s->rc;
    out->ttl = s->ttl;
    if (s->rc != DK_DNS_OK)
        return 0;
    out->rr = dk_calloc(1, sizeof *out->rr, e);
    if (out->rr == NULL)
        return -1;
    out->rr[0].data = dk_strdup(type == DK_DNS_A ? "192.0.2.7" : "text", e);
    out->rr[0].len = strlen(out->rr[0].data);
    out->rr[0].ttl = s->ttl;
    out->nrr = 1;
    return 0;
}

static void test_stub_txt(void **state)
{
    stub_state s = {0, NULL, DK_DNS_OK, 0};
    dk_dns_ops ops = {.txt = stub_txt};
    dk_resolver *r;
    dk_dns_txt_answer a;
    dk_dns_answer g;
    dk_err e;

    (void)state;
    r = dk_resolver_new_stub(&ops, &s, &e);
    assert_non_null(r);
    assert_int_equal(dk_dns_txt_lookup(r, "s._domainkey.example.com", &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, 3);
    assert_memory_equal(a.rr[0].data, "k\0v", 3);
    assert_string_equal(s.last, "s._domainkey.example.com");
    dk_dns_txt_answer_free(&a);

    /* refused names never reach the ops */
    assert_int_equal(dk_dns_txt_lookup(r, "s._domainkey.exa mple.com", &a, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_int_equal(dk_dns_txt_lookup(r, "x\n.example.com", &a, &e), -1);
    assert_int_equal(dk_dns_txt_lookup(r, "../etc/passwd", &a, &e), -1);
    assert_int_equal(s.calls, 1);

    /* the generic lookup goes through txt for TXT; other types: NXDOMAIN */
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_TXT, &g, &e), 0);
    assert_int_equal(g.rcode, DK_DNS_OK);
    assert_int_equal(g.nrr, 1);
    assert_memory_equal(g.rr[0].data, "k\0v", 3);
    dk_dns_answer_free(&g);
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_MX, &g, &e), 0);
    assert_int_equal(g.rcode, DK_DNS_NXDOMAIN);
    dk_dns_answer_free(&g);

    /* failures are answers */
    s.rc = DK_DNS_TIMEOUT;
    assert_int_equal(dk_dns_txt_lookup(r, "example.com", &a, &e), 0);
    assert_int_equal(a.rcode, DK_DNS_TIMEOUT);
    assert_int_equal(a.nrr, 0);
    dk_dns_txt_answer_free(&a);
    dk_resolver_free(r);
}

static void test_stub_cache_and_batch(void **state)
{
    stub_state s = {0, NULL, DK_DNS_OK, 1};
    dk_dns_ops ops = {.lookup = stub_lookup};
    dk_resolver *r;
    dk_dns_answer g;
    dk_dns_query q[4];
    dk_err e;
    struct timespec ts = {1, 200000000};

    (void)state;
    r = dk_resolver_new_stub(&ops, &s, &e);
    assert_non_null(r);
    /* off by default for stubs */
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_A, &g, &e), 0);
    dk_dns_answer_free(&g);
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_A, &g, &e), 0);
    assert_false(g.from_cache);
    dk_dns_answer_free(&g);
    assert_int_equal(s.calls, 2);

    dk_resolver_set_cache(r, 60);
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_A, &g, &e), 0);
    dk_dns_answer_free(&g);
    assert_int_equal(dk_dns_lookup(r, "EXAMPLE.com.", DK_DNS_A, &g, &e), 0);
    assert_true(g.from_cache);
    assert_string_equal(g.rr[0].data, "192.0.2.7");
    dk_dns_answer_free(&g);
    assert_int_equal(s.calls, 3);
    /* the TXT txt operation (lookup here) is another key */
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_TXT, &g, &e), 0);
    assert_false(g.from_cache);
    dk_dns_answer_free(&g);
    assert_int_equal(s.calls, 4);
    /* SERVFAIL and TIMEOUT are never cached */
    s.rc = DK_DNS_SERVFAIL;
    assert_int_equal(dk_dns_lookup(r, "fail.example.com", DK_DNS_A, &g, &e), 0);
    dk_dns_answer_free(&g);
    assert_int_equal(dk_dns_lookup(r, "fail.example.com", DK_DNS_A, &g, &e), 0);
    assert_false(g.from_cache);
    dk_dns_answer_free(&g);
    assert_int_equal(s.calls, 6);
    /* the TTL (1 s) bounds the entry */
    s.rc = DK_DNS_OK;
    nanosleep(&ts, NULL);
    assert_int_equal(dk_dns_lookup(r, "example.com", DK_DNS_A, &g, &e), 0);
    assert_false(g.from_cache);
    dk_dns_answer_free(&g);
    assert_int_equal(s.calls, 7);

    /* batch over a stub: bad names fail alone */
    memset(q, 0, sizeof q);
    q[0].name = "a.example.com";
    q[0].type = DK_DNS_A;
    q[1].name = "bad name";
    q[1].type = DK_DNS_A;
    q[2].name = "example.com";
    q[2].type = DK_DNS_A; /* cached */
    q[3].name = "c.example.com";
    q[3].type = DK_DNS_TXT;
    assert_int_equal(dk_dns_batch(r, q, 4, NULL, &e), 0);
    assert_int_equal(q[0].status, 0);
    assert_int_equal(q[0].answer.rcode, DK_DNS_OK);
    assert_int_equal(q[1].status, -1);
    assert_true(q[2].answer.from_cache);
    assert_string_equal(q[3].answer.rr[0].data, "text");
    assert_int_equal(s.calls, 9);
    for (int i = 0; i < 4; i++)
        dk_dns_answer_free(&q[i].answer);
    dk_resolver_free(r);
}

static bool cancel_at_two(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    (void)ud;
    (void)stage;
    (void)total;
    return done >= 2;
}

static void test_stub_batch_cancel(void **state)
{
    stub_state s = {0, NULL, DK_DNS_OK, 0};
    dk_dns_ops ops = {.lookup = stub_lookup};
    dk_progress p = {cancel_at_two, NULL};
    dk_resolver *r;
    dk_dns_query q[4];
    dk_err e;

    (void)state;
    r = dk_resolver_new_stub(&ops, &s, &e);
    memset(q, 0, sizeof q);
    for (int i = 0; i < 4; i++) {
        q[i].name = "example.com";
        q[i].type = DK_DNS_A;
    }
    assert_int_equal(dk_dns_batch(r, q, 4, &p, &e), -1);
    assert_int_equal(e.code, DK_ECANCEL);
    assert_int_equal(s.calls, 2);
    for (int i = 0; i < 4; i++)
        dk_dns_answer_free(&q[i].answer);
    dk_resolver_free(r);
}

static int zone_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                       dk_err *e)
{
    const char *data = NULL;

    (void)ud;
    out->rcode = DK_DNS_NXDOMAIN;
    if (strcmp(name, "example.com") == 0 || strcmp(name, "mail.example.com") == 0)
        out->rcode = DK_DNS_NODATA;
    if (strcmp(name, "example.com") == 0 && type == DK_DNS_NS)
        data = "ns1.example.net";
    if (strcmp(name, "ns1.example.net") == 0 && type == DK_DNS_A)
        data = "192.0.2.53";
    if (strcmp(name, "ns1.example.net") == 0 && type == DK_DNS_AAAA)
        out->rcode = DK_DNS_NODATA;
    if (strcmp(name, "broken.test") == 0)
        out->rcode = DK_DNS_TIMEOUT;
    if (data == NULL)
        return 0;
    out->rcode = DK_DNS_OK;
    out->name = dk_strdup(name, e);
    out->rr = dk_calloc(1, sizeof *out->rr, e);
    if (out->name == NULL || out->rr == NULL)
        return -1;
    out->rr[0].data = dk_strdup(data, e);
    out->rr[0].len = strlen(data);
    out->nrr = 1;
    return out->rr[0].data != NULL ? 0 : -1;
}

static void test_zone_servers_stub(void **state)
{
    dk_dns_ops ops = {.lookup = zone_lookup};
    dk_resolver *r;
    dk_dns_servers s;
    dk_err e;

    (void)state;
    r = dk_resolver_new_stub(&ops, NULL, &e);
    assert_int_equal(dk_dns_zone_servers(r, "sel._domainkey.mail.example.com", &s, &e), 0);
    assert_int_equal(s.rcode, DK_DNS_OK);
    assert_string_equal(s.zone, "example.com");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0].host, "ns1.example.net");
    assert_string_equal(s.v[0].addr, "192.0.2.53");
    dk_dns_servers_free(&s);
    /* a timeout on the way is not "no zone" */
    assert_int_equal(dk_dns_zone_servers(r, "a.broken.test", &s, &e), 0);
    assert_int_equal(s.rcode, DK_DNS_TIMEOUT);
    dk_dns_servers_free(&s);
    assert_int_equal(dk_dns_zone_servers(r, "nothing.here", &s, &e), 0);
    assert_int_equal(s.rcode, DK_DNS_NXDOMAIN);
    dk_dns_servers_free(&s);
    assert_int_equal(dk_dns_zone_servers(r, "bad..name", &s, &e), -1);
    dk_resolver_free(r);
}

static void test_dnssec_api(void **state)
{
    stub_state st = {0, NULL, DK_DNS_OK, 0};
    dk_dns_ops ops = {.lookup = stub_lookup};
    dk_resolver *r;
    enum dk_dns_sec s = DK_DNS_SEC_SECURE;
    char why[200], path[] = "/tmp/dk-anchor-XXXXXX";
    dk_err e;
    FILE *f;
    int fd;

    (void)state;
    assert_string_equal(dk_dns_sec_name(DK_DNS_SEC_INSECURE), "insecure");
    assert_non_null(strstr(dk_dns_sec_explain(DK_DNS_SEC_INSECURE), "not signed"));
    assert_non_null(strstr(dk_dns_sec_explain(DK_DNS_SEC_BOGUS), "refuse"));
    /* a stub cannot validate */
    r = dk_resolver_new_stub(&ops, &st, &e);
    assert_int_equal(
        dk_dns_dnssec_status(r, NULL, "example.com", DK_DNS_TXT, &s, why, sizeof why, &e), 0);
    assert_int_equal(s, DK_DNS_SEC_UNKNOWN);
    assert_int_equal(st.calls, 0);
    dk_resolver_free(r);

    /* anchors: a line that is not DS/DNSKEY is an error with its line */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "; comment\n\nexample. IN DS 1 15 2 "
               "fb557e6474c2ac3a6a8436c3ae0dbf13f741cb77ad1123fe076ba70e3443fd6b\n"
               "example. IN TXT \"no\"\n");
    fclose(f);
    r = dk_resolver_new("127.0.0.1@9", 100, &e);
    assert_non_null(r);
    assert_int_equal(
        dk_dns_dnssec_status(r, path, "www.example", DK_DNS_TXT, &s, why, sizeof why, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_int_equal(e.line, 4);
    /* an empty anchor file */
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(
        dk_dns_dnssec_status(r, path, "www.example", DK_DNS_TXT, &s, why, sizeof why, &e), -1);
    /* a name outside the anchor's zone: unknown, no query */
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "example. IN DS 1 15 2 "
               "fb557e6474c2ac3a6a8436c3ae0dbf13f741cb77ad1123fe076ba70e3443fd6b\n");
    fclose(f);
    assert_int_equal(
        dk_dns_dnssec_status(r, path, "www.example.org", DK_DNS_TXT, &s, why, sizeof why, &e), 0);
    assert_int_equal(s, DK_DNS_SEC_UNKNOWN);
    assert_non_null(strstr(why, "outside"));
    unlink(path);
    dk_resolver_free(r);
}

/* ---- crafted responses ---------------------------------------------------- */

typedef struct pkt {
    unsigned char b[70000];
    size_t n;
} pkt;

static void put8(pkt *p, unsigned v)
{
    p->b[p->n++] = (unsigned char)v;
}

static void put16(pkt *p, unsigned v)
{
    put8(p, v >> 8);
    put8(p, v & 0xff);
}

static void put32(pkt *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p, v & 0xffff);
}

static void putname(pkt *p, const char *name)
{
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

        put8(p, (unsigned)l);
        memcpy(p->b + p->n, name, l);
        p->n += l;
        name += l;
        if (*name == '.')
            name++;
    }
    put8(p, 0);
}

/* Header (QR, RD, RA, rcode, flags extra) and the question; counts an/ns. */
static void begin(pkt *p, unsigned flags, unsigned rcode, const char *qname, unsigned qtype,
                  unsigned an, unsigned ns)
{
    p->n = 0;
    put16(p, 0x1234);
    put16(p, 0x8180 | flags | rcode);
    put16(p, 1);
    put16(p, an);
    put16(p, ns);
    put16(p, 0);
    putname(p, qname);
    put16(p, qtype);
    put16(p, 1);
}

/* A record header with owner as a pointer to the question name (offset 12). */
static void rr_hdr_q(pkt *p, unsigned type, uint32_t ttl, unsigned rdlen)
{
    put16(p, 0xc00c);
    put16(p, type);
    put16(p, 1);
    put32(p, ttl);
    put16(p, rdlen);
}

static void rr_hdr(pkt *p, const char *owner, unsigned type, uint32_t ttl, unsigned rdlen)
{
    putname(p, owner);
    put16(p, type);
    put16(p, 1);
    put32(p, ttl);
    put16(p, rdlen);
}

static void txt_rr_q(pkt *p, uint32_t ttl, const char *a, size_t al, const char *b, size_t bl)
{
    rr_hdr_q(p, 16, ttl, (unsigned)(1 + al + (b != NULL ? 1 + bl : 0)));
    put8(p, (unsigned)al);
    memcpy(p->b + p->n, a, al);
    p->n += al;
    if (b != NULL) {
        put8(p, (unsigned)bl);
        memcpy(p->b + p->n, b, bl);
        p->n += bl;
    }
}

static void soa_rr(pkt *p, const char *zone, uint32_t ttl, uint32_t minimum)
{
    size_t at;

    rr_hdr(p, zone, 6, ttl, 0);
    at = p->n - 2;
    putname(p, "ns.example.com");
    putname(p, "h.example.com");
    put32(p, 1);
    put32(p, 3600);
    put32(p, 600);
    put32(p, 86400);
    put32(p, minimum);
    p->b[at] = (unsigned char)((p->n - at - 2) >> 8);
    p->b[at + 1] = (unsigned char)(p->n - at - 2);
}

static pkt P;

static int parse(const char *name, enum dk_dns_type type, dk_dns_answer *a)
{
    dk_err e;

    memset(a, 0, sizeof *a);
    return dk_dns_parse_response(P.b, P.n, name, type, a, &e);
}

static void test_parse_txt(void **state)
{
    dk_dns_answer a;
    const char *q = "s._domainkey.example.com";

    (void)state;
    /* one record of two strings: concatenated with nothing between */
    begin(&P, 0, 0, q, 16, 1, 0);
    txt_rr_q(&P, 300, "v=DKIM1; p=AB", 13, "CD", 2);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, 15);
    assert_string_equal(a.rr[0].data, "v=DKIM1; p=ABCD");
    assert_int_equal(a.ttl, 300);
    assert_string_equal(a.name, q);
    dk_dns_answer_free(&a);

    /* NUL bytes survive */
    begin(&P, 0, 0, q, 16, 1, 0);
    txt_rr_q(&P, 300, "a\0b", 3, "\0", 1);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, 4);
    assert_memory_equal(a.rr[0].data, "a\0b\0", 5);
    dk_dns_answer_free(&a);

    /* two records stay two; TTL is the smallest */
    begin(&P, 0, 0, q, 16, 2, 0);
    txt_rr_q(&P, 300, "one", 3, NULL, 0);
    txt_rr_q(&P, 20, "two", 3, NULL, 0);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.nrr, 2);
    assert_string_equal(a.rr[0].data, "one");
    assert_string_equal(a.rr[1].data, "two");
    assert_int_equal(a.ttl, 20);
    dk_dns_answer_free(&a);

    /* an empty string */
    begin(&P, 0, 0, q, 16, 1, 0);
    txt_rr_q(&P, 300, "", 0, NULL, 0);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.nrr, 1);
    assert_int_equal(a.rr[0].len, 0);
    dk_dns_answer_free(&a);

    /* records of other names (injected) are ignored; owner match ignores case */
    begin(&P, 0, 0, q, 16, 2, 0);
    rr_hdr(&P, "evil.example.com", 16, 300, 5);
    put8(&P, 4);
    memcpy(P.b + P.n, "evil", 4);
    P.n += 4;
    rr_hdr(&P, "S._DomainKey.EXAMPLE.com", 16, 300, 3);
    put8(&P, 2);
    memcpy(P.b + P.n, "ok", 2);
    P.n += 2;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.nrr, 1);
    assert_string_equal(a.rr[0].data, "ok");
    dk_dns_answer_free(&a);

    /* a 64 KB-ish record of many strings */
    begin(&P, 0, 0, q, 16, 1, 0);
    {
        size_t at;

        rr_hdr_q(&P, 16, 60, 0);
        at = P.n - 2;
        for (int i = 0; i < 200; i++) {
            put8(&P, 255);
            memset(P.b + P.n, 'a' + i % 26, 255);
            P.n += 255;
        }
        P.b[at] = (unsigned char)((P.n - at - 2) >> 8);
        P.b[at + 1] = (unsigned char)(P.n - at - 2);
    }
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rr[0].len, 200 * 255);
    assert_int_equal(a.rr[0].data[255], 'b');
    dk_dns_answer_free(&a);
}

static void test_parse_rcodes(void **state)
{
    dk_dns_answer a;
    const char *q = "x.example.com";

    (void)state;
    begin(&P, 0, 3, q, 16, 0, 1); /* NXDOMAIN with an SOA */
    soa_rr(&P, "example.com", 3600, 120);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NXDOMAIN);
    assert_int_equal(a.ttl, 120);
    dk_dns_answer_free(&a);

    begin(&P, 0, 0, q, 16, 0, 1); /* NODATA */
    soa_rr(&P, "example.com", 30, 120);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    assert_int_equal(a.ttl, 30);
    dk_dns_answer_free(&a);

    begin(&P, 0, 0, q, 16, 0, 0); /* NODATA without SOA: not cacheable */
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    assert_int_equal(a.ttl, 0);
    dk_dns_answer_free(&a);

    for (unsigned rc = 1; rc <= 5; rc++) {
        if (rc == 3)
            continue;
        begin(&P, 0, rc, q, 16, 0, 0); /* FORMERR, SERVFAIL, NOTIMP, REFUSED */
        assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
        assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
        assert_non_null(a.why);
        dk_dns_answer_free(&a);
    }

    /* a referral: no answer, no SOA, NS in the authority section, not AA */
    begin(&P, 0, 0, q, 16, 0, 1);
    P.b[3] &= 0x7f; /* RA off, as an authoritative server sends it */
    rr_hdr(&P, "example.com", 2, 3600, 16);
    putname(&P, "ns1.example.com");
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
    assert_false(a.authoritative);
    assert_non_null(strstr(a.why, "referral"));
    dk_dns_answer_free(&a);
    /* the same with AA set is an authoritative NODATA */
    P.b[2] |= 0x04;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    assert_true(a.authoritative);
    dk_dns_answer_free(&a);

    /* TC: retry over TCP */
    begin(&P, 0x0200, 0, q, 16, 0, 0);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 1);
    assert_null(a.rr);
}

static void test_parse_cname(void **state)
{
    dk_dns_answer a;
    const char *q = "sel._domainkey.example.com";

    (void)state;
    /* q -> c1 -> target with the TXT, the chain in any order */
    begin(&P, 0, 0, q, 16, 3, 0);
    rr_hdr(&P, "c1.example.net", 5, 100, 0);
    P.b[P.n - 1] = 20;
    putname(&P, "target.example.org"); /* 20 octets */
    rr_hdr(&P, "target.example.org", 16, 200, 4);
    put8(&P, 3);
    memcpy(P.b + P.n, "key", 3);
    P.n += 3;
    rr_hdr_q(&P, 5, 50, 16);
    putname(&P, "c1.example.net");
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_string_equal(a.name, "target.example.org");
    assert_string_equal(a.rr[0].data, "key");
    assert_int_equal(a.ttl, 50);
    dk_dns_answer_free(&a);

    /* the CNAME itself when CNAME is asked */
    P.b[12 + strlen(q) + 2 + 1] = 5; /* question type CNAME */
    assert_int_equal(parse(q, DK_DNS_CNAME, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_OK);
    assert_string_equal(a.rr[0].data, "c1.example.net");
    dk_dns_answer_free(&a);

    /* dangling: ask the target next */
    begin(&P, 0, 0, q, 16, 1, 0);
    rr_hdr_q(&P, 5, 50, 16);
    putname(&P, "c1.example.net");
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 2);
    assert_string_equal(a.name, "c1.example.net");
    dk_dns_answer_free(&a);

    /* dangling with an SOA: the target has no TXT */
    begin(&P, 0, 0, q, 16, 1, 1);
    rr_hdr_q(&P, 5, 50, 16);
    putname(&P, "c1.example.net");
    soa_rr(&P, "example.net", 60, 60);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NODATA);
    dk_dns_answer_free(&a);

    /* NXDOMAIN at the end of the chain */
    begin(&P, 0, 3, q, 16, 1, 0);
    rr_hdr_q(&P, 5, 50, 16);
    putname(&P, "c1.example.net");
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_NXDOMAIN);
    assert_string_equal(a.name, "c1.example.net");
    dk_dns_answer_free(&a);

    /* a loop: q -> c1 -> q */
    begin(&P, 0, 0, q, 16, 2, 0);
    rr_hdr_q(&P, 5, 50, 16);
    putname(&P, "c1.example.net");
    rr_hdr(&P, "c1.example.net", 5, 50, 2);
    put16(&P, 0xc00c);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    assert_int_equal(a.rcode, DK_DNS_SERVFAIL);
    dk_dns_answer_free(&a);
}

static void test_parse_types(void **state)
{
    dk_dns_answer a;

    (void)state;
    begin(&P, 0, 0, "example.com", 1, 1, 0);
    rr_hdr_q(&P, 1, 60, 4);
    put32(&P, 0xc0000201);
    assert_int_equal(parse("example.com", DK_DNS_A, &a), 0);
    assert_string_equal(a.rr[0].data, "192.0.2.1");
    assert_int_equal(a.rr[0].addrlen, 4);
    dk_dns_answer_free(&a);

    begin(&P, 0, 0, "example.com", 1, 1, 0); /* A with 3 octets */
    rr_hdr_q(&P, 1, 60, 3);
    put16(&P, 0xc000);
    put8(&P, 2);
    assert_int_equal(parse("example.com", DK_DNS_A, &a), -1);

    begin(&P, 0, 0, "example.com", 28, 1, 0);
    rr_hdr_q(&P, 28, 60, 16);
    put32(&P, 0x20010db8);
    put32(&P, 0);
    put32(&P, 0);
    put32(&P, 1);
    assert_int_equal(parse("example.com", DK_DNS_AAAA, &a), 0);
    assert_string_equal(a.rr[0].data, "2001:db8::1");
    dk_dns_answer_free(&a);

    begin(&P, 0, 0, "example.com", 15, 2, 0);
    rr_hdr_q(&P, 15, 60, 4);
    put16(&P, 10);
    put16(&P, 0xc00c); /* exchange = example.com by compression */
    rr_hdr_q(&P, 15, 60, 2 + 17);
    put16(&P, 20);
    putname(&P, "MX2.Example.COM");
    assert_int_equal(parse("example.com", DK_DNS_MX, &a), 0);
    assert_int_equal(a.nrr, 2);
    assert_int_equal(a.rr[0].pref, 10);
    assert_string_equal(a.rr[0].data, "example.com");
    assert_int_equal(a.rr[1].pref, 20);
    assert_string_equal(a.rr[1].data, "mx2.example.com");
    dk_dns_answer_free(&a);

    /* a host name with bytes outside LDH comes back escaped, never valid */
    begin(&P, 0, 0, "example.com", 2, 1, 0);
    rr_hdr_q(&P, 2, 60, 9);
    put8(&P, 3);
    memcpy(P.b + P.n, "a\0.", 3);
    P.n += 3;
    put8(&P, 3);
    memcpy(P.b + P.n, "com", 3);
    P.n += 3;
    put8(&P, 0);
    assert_int_equal(parse("example.com", DK_DNS_NS, &a), 0);
    assert_string_equal(a.rr[0].data, "a\\000\\046.com");
    assert_false(dk_dns_name_ok(a.rr[0].data));
    dk_dns_answer_free(&a);
}

static void test_parse_malformed(void **state)
{
    dk_dns_answer a;
    const char *q = "example.com";
    pkt good;

    (void)state;
    begin(&P, 0, 0, q, 16, 1, 0);
    txt_rr_q(&P, 300, "hello", 5, NULL, 0);
    good = P;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), 0);
    dk_dns_answer_free(&a);

    /* every truncation of a good packet is refused or parsed, never a crash */
    for (size_t n = 0; n < good.n; n++) {
        P.n = n;
        assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);
    }
    P = good;

    /* not a response; another question; another type */
    P.b[2] &= 0x7f;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);
    P = good;
    assert_int_equal(parse("example.org", DK_DNS_TXT, &a), -1);
    assert_int_equal(parse(q, DK_DNS_A, &a), -1);
    assert_int_equal(parse("bad name", DK_DNS_TXT, &a), -1);

    /* a string length past the record */
    P = good;
    P.b[P.n - 6] = 9;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* rdlength past the packet */
    P = good;
    P.b[P.n - 7] = 200;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* compression loop: the owner points at itself */
    begin(&P, 0, 0, q, 16, 1, 0);
    {
        size_t at = P.n;

        put16(&P, 0xc000 | (unsigned)at);
        put16(&P, 16);
        put16(&P, 1);
        put32(&P, 1);
        put16(&P, 2);
        put8(&P, 1);
        put8(&P, 'x');
    }
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* two pointers pointing at each other */
    begin(&P, 0, 0, q, 16, 1, 0);
    {
        size_t at = P.n;

        put16(&P, 0xc000 | (unsigned)(at + 2));
        put16(&P, 0xc000 | (unsigned)at);
        put16(&P, 16);
        put16(&P, 1);
        put32(&P, 1);
        put16(&P, 2);
        put8(&P, 1);
        put8(&P, 'x');
    }
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* a name over 255 octets through forward-chained labels */
    begin(&P, 0, 0, q, 16, 1, 0);
    for (int i = 0; i < 5; i++) {
        put8(&P, 63);
        memset(P.b + P.n, 'a', 63);
        P.n += 63;
    }
    put8(&P, 0);
    put16(&P, 16);
    put16(&P, 1);
    put32(&P, 1);
    put16(&P, 2);
    put8(&P, 1);
    put8(&P, 'x');
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* a pointer past the end */
    begin(&P, 0, 0, q, 16, 1, 0);
    put16(&P, 0xc000 | 0x3fff);
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* counts larger than the records present */
    P = good;
    P.b[7] = 5;
    assert_int_equal(parse(q, DK_DNS_TXT, &a), -1);

    /* random bytes: refused or parsed, never a crash */
    srand(7);
    for (int k = 0; k < 2000; k++) {
        P = good;
        for (int m = 0; m < 4; m++)
            P.b[12 + (size_t)rand() % (good.n - 12)] = (unsigned char)rand();
        if (parse(q, DK_DNS_TXT, &a) >= 0)
            dk_dns_answer_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_ok),
        cmocka_unit_test(test_ptr_name),
        cmocka_unit_test(test_resolver_spec),
        cmocka_unit_test(test_stub_txt),
        cmocka_unit_test(test_stub_cache_and_batch),
        cmocka_unit_test(test_stub_batch_cancel),
        cmocka_unit_test(test_zone_servers_stub),
        cmocka_unit_test(test_dnssec_api),
        cmocka_unit_test(test_parse_txt),
        cmocka_unit_test(test_parse_rcodes),
        cmocka_unit_test(test_parse_cname),
        cmocka_unit_test(test_parse_types),
        cmocka_unit_test(test_parse_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
