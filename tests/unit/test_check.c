/* test_check.c - the DNS check's finding logic with stub DNS: DKIM key
 * records (match, mismatch, revoked, testing, weak, malformed, several,
 * NXDOMAIN, SERVFAIL), SPF and DMARC through the check's own lookups,
 * report authorisation, authoritative servers (difference, lame, serials),
 * rounds that do not grow with the number of domains, the key-record
 * parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check/check.h"
#include "util/mem.h"

/* ---- an in-memory DNS with several servers ------------------------------------------ */

#define ZMAX 2048

typedef struct zrr {
    int srv; /* -1: every server; else only that one (0 = the resolver) */
    char name[300];
    enum dk_dns_type type;
    enum dk_dns_rcode rcode;
    char *vals[24];
    size_t nvals;
    bool lame;
} zrr;

typedef struct zonedata {
    zrr rr[ZMAX];
    size_t n;
    unsigned long asked[4]; /* per server */
    char last[300];
} zonedata;

typedef struct zview {
    zonedata *z;
    int srv;
} zview;

static zonedata Z;
static zview V[4];

static void zadd(int srv, const char *name, enum dk_dns_type type, enum dk_dns_rcode rc, ...)
{
    zrr *r = &Z.rr[Z.n++];
    va_list ap;
    const char *v;

    assert_true(Z.n < ZMAX);
    memset(r, 0, sizeof *r);
    r->srv = srv;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->type = type;
    r->rcode = rc;
    va_start(ap, rc);
    while ((v = va_arg(ap, const char *)) != NULL)
        r->vals[r->nvals++] = strdup(v);
    va_end(ap);
}

#define TXT(name, ...) zadd(-1, name, DK_DNS_TXT, DK_DNS_OK, __VA_ARGS__, NULL)

static void zfree(void)
{
    for (size_t i = 0; i < Z.n; i++)
        for (size_t k = 0; k < Z.rr[i].nvals; k++)
            free(Z.rr[i].vals[k]);
    memset(&Z, 0, sizeof Z);
}

static int z_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                    dk_err *e)
{
    zview *v = ud;
    bool exists = false, specific = false;
    zrr *hits[64];
    size_t nh = 0;

    (void)e;
    v->z->asked[v->srv]++;
    /* entries for this very server replace the shared ones */
    for (size_t i = 0; i < v->z->n; i++)
        if (v->z->rr[i].srv == v->srv && strcasecmp(v->z->rr[i].name, name) == 0 &&
            v->z->rr[i].type == type)
            specific = true;
    for (size_t i = 0; i < v->z->n; i++) {
        zrr *r = &v->z->rr[i];

        if (strcasecmp(r->name, name) != 0)
            continue;
        if (r->srv != -1 && r->srv != v->srv)
            continue;
        exists = true;
        if (r->type != type || (specific && r->srv != v->srv))
            continue;
        if (r->rcode != DK_DNS_OK) {
            out->rcode = r->rcode;
            return 0;
        }
        hits[nh++] = r;
    }
    out->authoritative = true;
    if (nh == 0) {
        out->rcode = exists ? DK_DNS_NODATA : DK_DNS_NXDOMAIN;
        return 0;
    }
    out->rcode = DK_DNS_OK;
    out->name = strdup(name);
    out->ttl = 300;
    for (size_t i = 0; i < nh; i++)
        out->nrr += hits[i]->nvals;
    out->rr = calloc(out->nrr, sizeof *out->rr);
    out->nrr = 0;
    for (size_t i = 0; i < nh; i++) {
        if (hits[i]->lame)
            out->authoritative = false;
        for (size_t k = 0; k < hits[i]->nvals; k++) {
            dk_dns_rr *rr = &out->rr[out->nrr++];

            rr->data = strdup(hits[i]->vals[k]);
            rr->len = strlen(rr->data);
            rr->ttl = 300;
            if (type == DK_DNS_A && inet_pton(AF_INET, rr->data, rr->addr) == 1)
                rr->addrlen = 4;
            if (type == DK_DNS_AAAA && inet_pton(AF_INET6, rr->data, rr->addr) == 1)
                rr->addrlen = 16;
        }
    }
    return 0;
}

static const dk_dns_ops zops = {NULL, z_lookup};

static dk_resolver *open_server(void *ud, const char *addr, unsigned port, unsigned tmo, dk_err *e)
{
    int srv = strcmp(addr, "192.0.2.53") == 0 ? 1 : strcmp(addr, "192.0.2.54") == 0 ? 2 : 3;

    (void)ud;
    (void)port;
    (void)tmo;
    V[srv].z = &Z;
    V[srv].srv = srv;
    return dk_resolver_new_stub(&zops, &V[srv], e);
}

/* ---- keys --------------------------------------------------------------------------- */

static char *slurp_p(const char *file)
{
    char path[256], buf[2048];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "tests/unit/data/keys/%s", file);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return strdup(buf);
}

static char *P2048, *P1024, *P4096, *PED;
static const char *WEAK; /* the key file of selector "weak" */

/* a fresh RSA key of `bits` as p= text */
static char *rsa_p(unsigned bits)
{
    EVP_PKEY *k = EVP_RSA_gen(bits);
    unsigned char *der = NULL, b64[2048];
    int n;

    assert_non_null(k);
    n = i2d_PUBKEY(k, &der);
    assert_true(n > 0);
    EVP_EncodeBlock(b64, der, n);
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    return strdup((char *)b64);
}

/* The key file of each selector: "<p>" from this table by selector name. */
static int pubkey(void *ud, const dk_domain *d, const dk_selector *s, dk_buf *p, dk_err *e)
{
    (void)ud;
    (void)d;
    if (strcmp(s->name, "nokey") == 0)
        return dk_err_set(e, DK_ENOENT, "no such file");
    if (strcmp(s->name, "ed") == 0)
        return dk_buf_puts(p, PED, e);
    if (strcmp(s->name, "weak") == 0)
        return dk_buf_puts(p, WEAK, e);
    return dk_buf_puts(p, P2048, e);
}

/* ---- fixtures ----------------------------------------------------------------------- */

static dk_psl *PSL;

static int setup(void **state)
{
    dk_err e;

    (void)state;
    PSL = dk_psl_open(NULL, &e);
    P2048 = slurp_p("rsa2048.p");
    P1024 = slurp_p("rsa1024.p");
    P4096 = slurp_p("rsa4096.p");
    PED = slurp_p("ed25519.p");
    return PSL == NULL;
}

static int teardown(void **state)
{
    (void)state;
    dk_psl_free(PSL);
    free(P2048);
    free(P1024);
    free(P4096);
    free(PED);
    return 0;
}

static void zone_servers(const char *zone, bool two);
static bool AUTO_ZONE = true; /* add_domain also makes the domain a zone with one server */

/* A domain with one selector "sel" (rsa), SPF "v=spf1 ip4:192.0.2.10 -all", DMARC
 * p=reject rua=mailto:dmarc@DOMAIN. */
static dk_domain *add_domain(dk_model *m, const char *name, const char *sel)
{
    dk_err e;
    dk_domain *d = dk_model_add_domain(m, name, &e);
    char rua[300];

    assert_non_null(d);
    if (sel != NULL)
        assert_non_null(dk_domain_add_selector(m, d, sel, &e));
    d->spf.publish = true;
    d->spf.mx = false;
    d->spf.a = false;
    assert_int_equal(dk_strlist_add(&d->spf.ip4, "192.0.2.10", &e), 0);
    d->spf.all = DK_Q_FAIL;
    d->dmarc.publish = true;
    d->dmarc.p = DK_DMARC_REJECT;
    snprintf(rua, sizeof rua, "mailto:dmarc@%s", name);
    assert_int_equal(dk_strlist_add(&d->dmarc.rua, rua, &e), 0);
    if (AUTO_ZONE)
        zone_servers(name, false);
    return d;
}

/* Publish the good records of a domain in Z, with its zone and one server. */
static void publish_good(const char *name)
{
    char n[300], v[1200];

    snprintf(n, sizeof n, "sel._domainkey.%s", name);
    snprintf(v, sizeof v, "v=DKIM1; k=rsa; p=%s", P2048);
    TXT(n, v);
    TXT(name, "v=spf1 ip4:192.0.2.10 -all");
    snprintf(n, sizeof n, "_dmarc.%s", name);
    snprintf(v, sizeof v, "v=DMARC1; p=reject; rua=mailto:dmarc@%s", name);
    TXT(n, v);
}

static void zone_servers(const char *zone, bool two)
{
    char ns1[300], ns2[300];

    snprintf(ns1, sizeof ns1, "ns1.%s", zone);
    snprintf(ns2, sizeof ns2, "ns2.%s", zone);
    if (two)
        zadd(-1, zone, DK_DNS_NS, DK_DNS_OK, ns1, ns2, NULL);
    else
        zadd(-1, zone, DK_DNS_NS, DK_DNS_OK, ns1, NULL);
    zadd(-1, ns1, DK_DNS_A, DK_DNS_OK, "192.0.2.53", NULL);
    zadd(-1, ns2, DK_DNS_A, DK_DNS_OK, "192.0.2.54", NULL);
    zadd(-1, zone, DK_DNS_SOA, DK_DNS_OK, "ns1 host 7 3600 600 86400 60", NULL);
}

/* Run the check; returns the worst severity (info counts as ok); rep kept in *rep. */
static enum dk_severity run(const dk_model *m, const char *domain, bool auth, dk_check_report *rep)
{
    dk_check_opts o;
    dk_resolver *r;
    dk_err e;

    V[0].z = &Z;
    V[0].srv = 0;
    r = dk_resolver_new_stub(&zops, &V[0], &e);
    assert_non_null(r);
    memset(&o, 0, sizeof o);
    o.domain = domain;
    o.authoritative = auth;
    o.pubkey = pubkey;
    o.psl = PSL;
    o.open_server = open_server;
    if (dk_check_dns(r, m, &o, rep, &e) != 0)
        fail_msg("dk_check_dns: %s", e.msg);
    dk_resolver_free(r);
    /* the exit code's view: info is ok */
    return dk_check_report_worst(rep) == DK_SEV_INFO ? DK_SEV_OK : dk_check_report_worst(rep);
}

static size_t count(const dk_check_report *rep, enum dk_severity s, const char *needle)
{
    size_t n = 0;

    for (size_t d = 0; d < rep->n; d++)
        for (size_t i = 0; i < rep->v[d].f.n; i++) {
            const dk_finding *x = &rep->v[d].f.v[i];

            if (x->sev == s && (needle == NULL || strstr(x->what, needle) != NULL ||
                                strstr(x->fix, needle) != NULL))
                n++;
        }
    return n;
}

static void dump(const dk_check_report *rep)
{
    for (size_t d = 0; d < rep->n; d++)
        for (size_t i = 0; i < rep->v[d].f.n; i++)
            print_message("  [%s] %s: %s (fix: %s)\n", dk_severity_name(rep->v[d].f.v[i].sev),
                          rep->v[d].f.v[i].where, rep->v[d].f.v[i].what, rep->v[d].f.v[i].fix);
}

/* Every warning and critical finding has a fix. */
static void all_have_fix(const dk_check_report *rep)
{
    for (size_t d = 0; d < rep->n; d++)
        for (size_t i = 0; i < rep->v[d].f.n; i++)
            if (rep->v[d].f.v[i].sev >= DK_SEV_WARN && rep->v[d].f.v[i].fix[0] == '\0') {
                dump(rep);
                fail_msg("no fix: %s", rep->v[d].f.v[i].what);
            }
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_good(void **state)
{
    dk_model m;
    dk_check_report rep;

    (void)state;
    AUTO_ZONE = false;
    dk_model_init(&m);
    add_domain(&m, "example.test", "sel");
    publish_good("example.test");
    zone_servers("example.test", true);
    if (run(&m, NULL, true, &rep) != DK_SEV_OK) {
        dump(&rep);
        fail_msg("good records are not ok");
    }
    assert_int_equal(count(&rep, DK_SEV_OK, "DKIM key record published and matching"), 1);
    assert_int_equal(count(&rep, DK_SEV_OK, "SPF record valid"), 1);
    assert_int_equal(count(&rep, DK_SEV_OK, "DMARC record published: p=reject"), 1);
    assert_int_equal(count(&rep, DK_SEV_OK, "ns1.example.test (192.0.2.53) serves the same 3"), 1);
    assert_int_equal(count(&rep, DK_SEV_OK, "ns2.example.test (192.0.2.54) serves the same 3"), 1);
    assert_string_equal(rep.v[0].zone, "example.test");
    assert_true(Z.asked[1] > 0 && Z.asked[2] > 0);
    dk_check_report_free(&rep);
    dk_model_free(&m);
    zfree();
    AUTO_ZONE = true;
}

static void test_dkim_findings(void **state)
{
    static const struct {
        const char *sel;
        const char *rec; /* NULL: no record; "SERVFAIL"/"TIMEOUT"/"NXDOMAIN" */
        enum dk_severity sev;
        const char *needle;
    } cases[] = {
        {"mis", "v=DKIM1; k=rsa; p=%4096", DK_SEV_CRIT, "does not match the private key"},
        {"rev", "v=DKIM1; k=rsa; p=", DK_SEV_CRIT, "revoked (p= empty)"},
        {"tst", "v=DKIM1; k=rsa; t=y; p=%2048", DK_SEV_WARN, "t=y"},
        {"split", "v=DKIM1; k=rsa;\r\n p=%2048", DK_SEV_OK, "matching"},
        {"nop", "v=DKIM1; k=rsa", DK_SEV_CRIT, "no p= tag"},
        {"badb64", "v=DKIM1; p=!!!!", DK_SEV_CRIT, "not valid base64"},
        {"badk", "v=DKIM1; k=dsa; p=%2048", DK_SEV_CRIT, "k=dsa"},
        {"vlate", "k=rsa; v=DKIM1; p=%2048", DK_SEV_CRIT, "v= must be the first tag"},
        {"v0", "v=DKIM0; p=%2048", DK_SEV_CRIT, "be DKIM1"},
        {"dup", "v=DKIM1; p=%2048; p=%2048", DK_SEV_CRIT, "appears twice"},
        {"alg", "v=DKIM1; k=ed25519; p=%ed", DK_SEV_CRIT, "k=ed25519 but selector alg"},
        {"edlen", "v=DKIM1; k=ed25519; p=%2048", DK_SEV_CRIT, "32-byte"},
        {"none", "NXDOMAIN", DK_SEV_CRIT, "no DKIM key record"},
        {"nodata", NULL, DK_SEV_CRIT, "no DKIM key record"},
        {"sf", "SERVFAIL", DK_SEV_WARN, "temperror"},
        {"to", "TIMEOUT", DK_SEV_WARN, "temperror"},
        {"two", "v=DKIM1; p=%2048|v=DKIM1; p=%2048", DK_SEV_CRIT, "2 TXT records"},
        {"nokey", "v=DKIM1; p=%2048", DK_SEV_WARN, "cannot be compared"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dk_model m;
        dk_check_report rep;
        char name[300], rec[3000], *bar;
        const char *src = cases[i].rec;
        size_t o = 0;

        dk_model_init(&m);
        add_domain(&m, "example.test", cases[i].sel);
        if (strcmp(cases[i].sel, "alg") == 0)
            m.domains[0].sel[0].alg = DK_KEY_RSA;
        TXT("example.test", "v=spf1 ip4:192.0.2.10 -all");
        TXT("_dmarc.example.test", "v=DMARC1; p=reject; rua=mailto:dmarc@example.test");
        snprintf(name, sizeof name, "%s._domainkey.example.test", cases[i].sel);
        if (src == NULL) {
            zadd(-1, name, DK_DNS_A, DK_DNS_OK, "192.0.2.1", NULL); /* NODATA for TXT */
        } else if (strcmp(src, "SERVFAIL") == 0 || strcmp(src, "TIMEOUT") == 0 ||
                   strcmp(src, "NXDOMAIN") == 0) {
            zadd(-1, name, DK_DNS_TXT,
                 src[0] == 'S'   ? DK_DNS_SERVFAIL
                 : src[0] == 'T' ? DK_DNS_TIMEOUT
                                 : DK_DNS_NXDOMAIN,
                 NULL);
        } else {
            /* expand %2048 %4096 %ed */
            for (const char *p = src; *p != '\0';) {
                const char *k = NULL;

                if (strncmp(p, "%2048", 5) == 0)
                    k = P2048;
                else if (strncmp(p, "%4096", 5) == 0)
                    k = P4096;
                else if (strncmp(p, "%ed", 3) == 0)
                    k = PED;
                if (k != NULL) {
                    o += (size_t)snprintf(rec + o, sizeof rec - o, "%s", k);
                    p += k == PED ? 3 : 5;
                } else {
                    rec[o++] = *p++;
                }
            }
            rec[o] = '\0';
            bar = strchr(rec, '|');
            if (bar != NULL) {
                *bar = '\0';
                TXT(name, rec, bar + 1);
            } else {
                TXT(name, rec);
            }
        }
        if (run(&m, NULL, false, &rep) != cases[i].sev ||
            count(&rep, cases[i].sev, cases[i].needle) == 0) {
            dump(&rep);
            fail_msg("case %s: expected %s with '%s'", cases[i].sel, dk_severity_name(cases[i].sev),
                     cases[i].needle);
        }
        all_have_fix(&rep);
        /* a DNS failure is never a verdict */
        if (src != NULL && (src[0] == 'S' || src[0] == 'T'))
            assert_int_equal(count(&rep, DK_SEV_CRIT, NULL), 0);
        dk_check_report_free(&rep);
        dk_model_free(&m);
        zfree();
    }
}

static void test_weak_keys(void **state)
{
    static const unsigned bits[] = {512, 1024};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        dk_model m;
        dk_check_report rep;
        char v[1200];
        char *p = bits[i] == 1024 ? P1024 : rsa_p(bits[i]);

        WEAK = p; /* the key file holds the weak key too */
        dk_model_init(&m);
        add_domain(&m, "example.test", "weak");
        snprintf(v, sizeof v, "v=DKIM1; k=rsa; p=%s", p);
        TXT("weak._domainkey.example.test", v);
        TXT("example.test", "v=spf1 ip4:192.0.2.10 -all");
        TXT("_dmarc.example.test", "v=DMARC1; p=reject; rua=mailto:dmarc@example.test");
        assert_int_equal(run(&m, NULL, false, &rep), bits[i] < 1024 ? DK_SEV_CRIT : DK_SEV_WARN);
        assert_int_equal(
            count(&rep, bits[i] < 1024 ? DK_SEV_CRIT : DK_SEV_WARN,
                  bits[i] < 1024 ? "refuse keys under 1024" : "2048 is the recommended"),
            1);
        dk_check_report_free(&rep);
        dk_model_free(&m);
        zfree();
        if (p != P1024)
            free(p);
    }
}

static void test_revoked_selector(void **state)
{
    dk_model m;
    dk_check_report rep;

    (void)state;
    dk_model_init(&m);
    add_domain(&m, "example.test", "sel");
    assert_non_null(dk_domain_add_selector(&m, &m.domains[0], "old", NULL));
    m.domains[0].sel[1].state = DK_SEL_REVOKED;
    publish_good("example.test");
    TXT("old._domainkey.example.test", "v=DKIM1; k=rsa; p=");
    assert_int_equal(run(&m, NULL, false, &rep), DK_SEV_OK);
    assert_int_equal(count(&rep, DK_SEV_OK, "revoked (p= empty), as the model says"), 1);
    dk_check_report_free(&rep);
    zfree();
    /* still published with a key: warning */
    publish_good("example.test");
    zone_servers("example.test", false);
    {
        char v[1200];

        snprintf(v, sizeof v, "v=DKIM1; k=rsa; p=%s", P2048);
        TXT("old._domainkey.example.test", v);
    }
    assert_int_equal(run(&m, NULL, false, &rep), DK_SEV_WARN);
    assert_int_equal(
        count(&rep, DK_SEV_WARN, "revoked in the model but its key is still published"), 1);
    dk_check_report_free(&rep);
    dk_model_free(&m);
    zfree();
}

/* SPF through the check's own lookups: nested includes, MX names, voids, +all, ptr */
static void test_spf(void **state)
{
    dk_model m;
    dk_check_report rep;
    char n[64], v[64];

    (void)state;
    dk_model_init(&m);
    add_domain(&m, "ten.test", NULL);
    add_domain(&m, "eleven.test", NULL);
    add_domain(&m, "mx11.test", NULL);
    add_domain(&m, "mx10.test", NULL);
    add_domain(&m, "plusall.test", NULL);
    add_domain(&m, "ptr.test", NULL);
    add_domain(&m, "sfail.test", NULL);
    add_domain(&m, "long.test", NULL);
    /* ten: an include chain of depth 10 (each one round more) -> exactly 10: fine */
    TXT("ten.test", "v=spf1 include:c1.ten.test -all");
    for (int i = 1; i <= 9; i++) {
        snprintf(n, sizeof n, "c%d.ten.test", i);
        snprintf(v, sizeof v, "v=spf1 include:c%d.ten.test", i + 1);
        TXT(n, v);
    }
    TXT("c10.ten.test", "v=spf1 ip4:192.0.2.1");
    /* eleven: the same plus one a: at the end, which exists */
    TXT("eleven.test", "v=spf1 include:c1.ten.test a:h.eleven.test -all");
    zadd(-1, "h.eleven.test", DK_DNS_A, DK_DNS_OK, "192.0.2.7", NULL);
    TXT("mx11.test", "v=spf1 mx -all");
    zadd(-1, "mx11.test", DK_DNS_MX, DK_DNS_OK, "m1.test", "m2.test", "m3.test", "m4.test",
         "m5.test", "m6.test", "m7.test", "m8.test", "m9.test", "m10.test", "m11.test", NULL);
    TXT("mx10.test", "v=spf1 mx -all");
    zadd(-1, "mx10.test", DK_DNS_MX, DK_DNS_OK, "m1.test", "m2.test", "m3.test", "m4.test",
         "m5.test", "m6.test", "m7.test", "m8.test", "m9.test", "m10.test", NULL);
    TXT("plusall.test", "v=spf1 +all");
    TXT("ptr.test", "v=spf1 ptr -all");
    TXT("sfail.test", "v=spf1 include:broken.test -all");
    zadd(-1, "broken.test", DK_DNS_TXT, DK_DNS_SERVFAIL, NULL);
    {
        char rec[600] = "v=spf1";

        for (int i = 0; i < 30; i++) /* 30 x 17 octets: over 450 */
            snprintf(rec + strlen(rec), sizeof rec - strlen(rec), " ip4:192.0.2.%d/32", 100 + i);
        strcat(rec, " -all");
        TXT("long.test", rec);
    }
    run(&m, NULL, false, &rep);
    assert_int_equal(rep.n, 8);
#define DOM(i) (&rep.v[i].f)
    assert_int_equal(dk_findings_count(DOM(0), DK_SEV_CRIT), 0);
    assert_int_equal(count(&rep, DK_SEV_OK, "SPF record valid: 10 of 10"), 1);
    assert_int_equal(dk_findings_count(DOM(1), DK_SEV_CRIT), 1);
    assert_int_equal(count(&rep, DK_SEV_CRIT, "is the 11. DNS-querying term"), 1);
    assert_int_equal(dk_findings_count(DOM(2), DK_SEV_CRIT), 1);
    assert_int_equal(count(&rep, DK_SEV_CRIT, "has 11 MX names"), 1);
    assert_int_equal(dk_findings_count(DOM(3), DK_SEV_CRIT), 0);
    assert_int_equal(dk_findings_count(DOM(4), DK_SEV_CRIT), 1);
    assert_true(dk_findings_count(DOM(5), DK_SEV_WARN) >= 1);
    assert_int_equal(dk_findings_count(DOM(5), DK_SEV_CRIT), 0);
    assert_int_equal(dk_findings_count(DOM(6), DK_SEV_CRIT), 0);
    assert_int_equal(count(&rep, DK_SEV_WARN, "temperror"), 1);
    assert_int_equal(dk_findings_count(DOM(7), DK_SEV_CRIT), 0);
    assert_true(count(&rep, DK_SEV_WARN, "450") >= 1);
    /* the chain of 10 takes about 10 rounds, not 10 rounds per domain */
    assert_true(rep.rounds >= 10 && rep.rounds <= 14);
    all_have_fix(&rep);
    dk_check_report_free(&rep);
    dk_model_free(&m);
    zfree();
}

static void test_dmarc(void **state)
{
    dk_model m;
    dk_check_report rep;

    (void)state;
    dk_model_init(&m);
    add_domain(&m, "none.test", NULL);
    add_domain(&m, "ext.test", NULL);
    add_domain(&m, "extok.test", NULL);
    add_domain(&m, "bad.test", NULL);
    add_domain(&m, "two.test", NULL);
    add_domain(&m, "sub.org.test", NULL);
    add_domain(&m, "sf.test", NULL);
    add_domain(&m, "prua.test", NULL);
    for (size_t i = 0; i < m.ndomains; i++)
        TXT(m.domains[i].name, "v=spf1 ip4:192.0.2.10 -all");
    TXT("_dmarc.ext.test", "v=DMARC1; p=reject; rua=mailto:a@rep.example.net,mailto:b@ext.test");
    TXT("_dmarc.extok.test", "v=DMARC1; p=reject; rua=mailto:a@rep.example.net");
    TXT("extok.test._report._dmarc.rep.example.net", "v=DMARC1");
    TXT("_dmarc.bad.test", "v=DMARC1; p=reject; pct=101");
    TXT("_dmarc.two.test", "v=DMARC1; p=reject", "v=DMARC1; p=none");
    TXT("_dmarc.org.test", "v=DMARC1; p=reject");
    zadd(-1, "_dmarc.sf.test", DK_DNS_TXT, DK_DNS_TIMEOUT, NULL);
    TXT("_dmarc.prua.test", "v=DMARC1; p=bogus; rua=mailto:d@prua.test");
    run(&m, NULL, false, &rep);
    /* none: warning whose fix is the model's record */
    assert_int_equal(count(&rep, DK_SEV_WARN,
                           "publish: _dmarc.none.test. TXT \"v=DMARC1; p=reject; "
                           "rua=mailto:dmarc@none.test\""),
                     1);
    /* ext: one external destination, not authorised: the record it must publish */
    assert_int_equal(count(&rep, DK_SEV_WARN,
                           "the destination must publish: "
                           "ext.test._report._dmarc.rep.example.net. TXT \"v=DMARC1\""),
                     1);
    assert_int_equal(
        count(&rep, DK_SEV_OK, "rep.example.net authorises DMARC reports for extok.test"), 1);
    assert_int_equal(dk_findings_count(&rep.v[2].f, DK_SEV_WARN), 0);
    assert_int_equal(count(&rep, DK_SEV_CRIT, "the DMARC record is invalid"), 1);
    assert_int_equal(count(&rep, DK_SEV_CRIT, "DMARC does not apply at all"), 1);
    assert_int_equal(
        count(&rep, DK_SEV_WARN, "organisational domain's record at _dmarc.org.test applies"), 1);
    assert_int_equal(dk_findings_count(&rep.v[6].f, DK_SEV_CRIT), 0);
    assert_int_equal(count(&rep, DK_SEV_WARN, "DMARC lookup: no answer in time"), 1);
    /* an invalid p with a valid rua is p=none (RFC 7489 6.6.3), not invalid */
    assert_int_equal(dk_findings_count(&rep.v[7].f, DK_SEV_CRIT), 0);
    assert_int_equal(count(&rep, DK_SEV_OK, "DMARC record published: p=none"), 1);
    all_have_fix(&rep);
    dk_check_report_free(&rep);
    dk_model_free(&m);
    zfree();
}

static void test_servers(void **state)
{
    dk_model m;
    dk_check_report rep;

    (void)state;
    AUTO_ZONE = false;
    dk_model_init(&m);
    add_domain(&m, "example.test", "sel");
    publish_good("example.test");
    zone_servers("example.test", true);
    /* ns2 has the old DMARC record and an older serial */
    zadd(2, "_dmarc.example.test", DK_DNS_TXT, DK_DNS_OK, "v=DMARC1; p=none", NULL);
    zadd(2, "example.test", DK_DNS_SOA, DK_DNS_OK, "ns1 host 6 3600 600 86400 60", NULL);
    assert_int_equal(run(&m, NULL, true, &rep), DK_SEV_WARN);
    assert_int_equal(
        count(&rep, DK_SEV_WARN, "ns2.example.test (192.0.2.54) serves \"v=DMARC1; p=none\""), 1);
    assert_int_equal(
        count(&rep, DK_SEV_WARN, "SOA serials differ: ns1.example.test 7, ns2.example.test 6"), 1);
    assert_int_equal(count(&rep, DK_SEV_OK, "ns1.example.test (192.0.2.53) serves the same"), 1);
    all_have_fix(&rep);
    dk_check_report_free(&rep);
    /* without asking the servers: ok, and they were not asked */
    Z.asked[1] = Z.asked[2] = 0;
    assert_int_equal(run(&m, NULL, false, &rep), DK_SEV_OK);
    assert_int_equal(Z.asked[1] + Z.asked[2], 0);
    dk_check_report_free(&rep);
    zfree();
    /* a lame server and one that fails */
    publish_good("example.test");
    zone_servers("example.test", true);
    zadd(1, "sel._domainkey.example.test", DK_DNS_TXT, DK_DNS_SERVFAIL, NULL);
    zadd(2, "example.test", DK_DNS_TXT, DK_DNS_OK, "v=spf1 ip4:192.0.2.10 -all", NULL);
    Z.rr[Z.n - 1].lame = true;
    assert_int_equal(run(&m, NULL, true, &rep), DK_SEV_WARN);
    assert_int_equal(count(&rep, DK_SEV_WARN,
                           "authoritative server ns1.example.test (192.0.2.53), TXT "
                           "sel._domainkey.example.test: SERVFAIL"),
                     1);
    assert_int_equal(count(&rep, DK_SEV_WARN, "without authority"), 1);
    assert_int_equal(count(&rep, DK_SEV_CRIT, NULL), 0);
    dk_check_report_free(&rep);
    dk_model_free(&m);
    zfree();
    AUTO_ZONE = true;
}

static void test_scale_rounds(void **state)
{
    dk_model m;
    dk_check_report rep;
    char name[64];
    unsigned long before;

    (void)state;
    AUTO_ZONE = false;
    dk_model_init(&m);
    zone_servers("many.test", false);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "d%d.many.test", i);
        add_domain(&m, name, "sel");
        publish_good(name);
    }
    before = Z.asked[0];
    assert_int_equal(run(&m, NULL, true, &rep), DK_SEV_OK);
    assert_int_equal(rep.n, 300);
    /* rounds do not grow with the number of domains */
    assert_true(rep.rounds <= 4);
    /* every question asked once: 3 TXT + NS of the domain per domain, then the shared ones */
    assert_true(Z.asked[0] - before <= 300 * 4 + 10);
    dk_check_report_free(&rep);
    /* --domain: only that one */
    assert_int_equal(run(&m, "d7.many.test", true, &rep), DK_SEV_OK);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.v[0].name, "d7.many.test");
    dk_check_report_free(&rep);
    {
        dk_check_opts o;
        dk_err e;
        dk_resolver *r = dk_resolver_new_stub(&zops, &V[0], &e);

        memset(&o, 0, sizeof o);
        o.psl = PSL;
        o.domain = "absent.test";
        assert_int_equal(dk_check_dns(r, &m, &o, &rep, &e), -1);
        assert_int_equal(e.code, DK_ENOENT);
        dk_resolver_free(r);
    }
    dk_model_free(&m);
    zfree();
    AUTO_ZONE = true;
}

static void test_keyrec(void **state)
{
    dk_keyrec k;
    dk_err e;
    char rec[1200];

    (void)state;
    snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", PED);
    assert_int_equal(dk_keyrec_parse(rec, strlen(rec), &k, &e), 0);
    assert_int_equal(k.alg, DK_KEY_ED25519);
    assert_int_equal(k.bits, 0);
    dk_keyrec_free(&k);
    snprintf(rec, sizeof rec, "p=%s", P4096);
    assert_int_equal(dk_keyrec_parse(rec, strlen(rec), &k, &e), 0);
    assert_int_equal(k.alg, DK_KEY_RSA); /* no k= -> rsa */
    assert_int_equal(k.bits, 4096);
    dk_keyrec_free(&k);
    assert_int_equal(dk_keyrec_parse("v=DKIM1; p=", 11, &k, &e), 0);
    assert_string_equal(k.p, "");
    dk_keyrec_free(&k);
    assert_int_equal(dk_keyrec_parse("v=DKIM1; p=\0x", 14, &k, &e), -1);
    assert_int_equal(dk_keyrec_parse("v=DKIM1: p=abc", 14, &k, &e), -1);
    assert_int_equal(dk_keyrec_parse("v=DKIM1; k=ed25519-sha256; p=", 30, &k, &e), -1);
    assert_int_equal(dk_keyrec_parse("v=DKIM1; p=AAAA", 15, &k, &e), -1); /* corrupt DER */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),      cmocka_unit_test(test_dkim_findings),
        cmocka_unit_test(test_weak_keys), cmocka_unit_test(test_revoked_selector),
        cmocka_unit_test(test_spf),       cmocka_unit_test(test_dmarc),
        cmocka_unit_test(test_servers),   cmocka_unit_test(test_scale_rounds),
        cmocka_unit_test(test_keyrec),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
