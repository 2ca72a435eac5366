/* spf_check.c - walking a domain's SPF policy through DNS: the validator
 * (worst-case lookup accounting over every branch) and check_host(). */
#include "policy/spf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

#define MAX_DEPTH (DK_SPF_MAX_LOOKUPS + 2)

/* ---- small helpers ----------------------------------------------------------------- */

void dk_spf_names_free(dk_spf_names *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

void dk_spf_addrs_free(dk_spf_addrs *a)
{
    if (a == NULL)
        return;
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

static int resolver_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    return dk_dns_txt_lookup(ud, name, out, e);
}

static int resolver_addr(void *ud, const char *name, int family, dk_spf_addrs *out, dk_err *e)
{
    dk_dns_answer a;
    size_t want = family == 4 ? 4 : 16;

    memset(&a, 0, sizeof a);
    memset(out, 0, sizeof *out);
    if (dk_dns_lookup(ud, name, family == 4 ? DK_DNS_A : DK_DNS_AAAA, &a, e) < 0) {
        dk_dns_answer_free(&a);
        return -1;
    }
    out->rcode = a.rcode;
    if (a.rcode == DK_DNS_OK && a.nrr > 0) {
        out->v = dk_calloc(a.nrr, sizeof *out->v, e);
        if (out->v == NULL) {
            dk_dns_answer_free(&a);
            return -1;
        }
        for (size_t i = 0; i < a.nrr; i++) {
            if (a.rr[i].addrlen != want)
                continue;
            out->v[out->n].family = family;
            memcpy(out->v[out->n].b, a.rr[i].addr, want);
            out->n++;
        }
    }
    dk_dns_answer_free(&a);
    return 0;
}

static int names_answer(dk_resolver *r, const char *name, enum dk_dns_type type, dk_spf_names *out,
                        dk_err *e)
{
    dk_dns_answer a;

    memset(&a, 0, sizeof a);
    memset(out, 0, sizeof *out);
    if (dk_dns_lookup(r, name, type, &a, e) < 0) {
        dk_dns_answer_free(&a);
        return -1;
    }
    out->rcode = a.rcode;
    if (a.rcode == DK_DNS_OK && a.nrr > 0) {
        out->v = dk_calloc(a.nrr, sizeof *out->v, e);
        if (out->v == NULL) {
            dk_dns_answer_free(&a);
            return -1;
        }
        for (size_t i = 0; i < a.nrr; i++) {
            out->v[i] = a.rr[i].data; /* moved */
            a.rr[i].data = NULL;
            out->n++;
        }
    }
    dk_dns_answer_free(&a);
    return 0;
}

static int resolver_mx(void *ud, const char *name, dk_spf_names *out, dk_err *e)
{
    return names_answer(ud, name, DK_DNS_MX, out, e);
}

static int resolver_ptr(void *ud, const dk_spf_ip *ip, dk_spf_names *out, dk_err *e)
{
    char txt[64], rev[128];

    if (dk_dns_ptr_name(dk_spf_ip_format(ip, txt, sizeof txt), rev, sizeof rev, e) < 0)
        return -1;
    return names_answer(ud, rev, DK_DNS_PTR, out, e);
}

void dk_spf_dns_from_resolver(dk_spf_dns *d, dk_resolver *r)
{
    memset(d, 0, sizeof *d);
    d->ud = r;
    d->txt = resolver_txt;
    d->addr = resolver_addr;
    d->mx = resolver_mx;
    d->ptr = resolver_ptr;
}

const char *dk_spf_result_name(enum dk_spf_result r)
{
    static const char *const names[] = {"none",     "neutral",   "pass",     "fail",
                                        "softfail", "temperror", "permerror"};

    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

void dk_spf_report_free(dk_spf_report *rep)
{
    if (rep == NULL)
        return;
    free(rep->record);
    for (size_t i = 0; i < rep->nsteps; i++) {
        free(rep->steps[i].domain);
        free(rep->steps[i].term);
    }
    free(rep->steps);
    memset(rep, 0, sizeof *rep);
}

/* A name we may query: labels of 1-63 octets of letters, digits, '-' or '_',
 * 253 octets at most, no trailing dot. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s), lab = 0;

    if (n == 0 || n > DK_SPF_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (lab == 0)
                return false;
            lab = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (++lab > 63)
                return false;
        } else {
            return false;
        }
    }
    return lab > 0 && dk_dns_name_ok(s); /* what the resolver accepts ('-' not at the ends) */
}

/* Lower-case copy without a trailing dot. */
static void norm_name(const char *in, char *out, size_t size)
{
    size_t n;

    dk_strlcpy(out, in, size);
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    n = strlen(out);
    if (n > 0 && out[n - 1] == '.')
        out[n - 1] = '\0';
}

static bool is_void(enum dk_dns_rcode rc, size_t n)
{
    return rc == DK_DNS_NXDOMAIN || rc == DK_DNS_NODATA || (rc == DK_DNS_OK && n == 0);
}

static bool is_temp(enum dk_dns_rcode rc)
{
    return rc == DK_DNS_SERVFAIL || rc == DK_DNS_TIMEOUT;
}

static const char *rcode_name(enum dk_dns_rcode rc)
{
    switch (rc) {
    case DK_DNS_OK:
        return "an answer";
    case DK_DNS_NODATA:
        return "no data";
    case DK_DNS_NXDOMAIN:
        return "NXDOMAIN";
    case DK_DNS_SERVFAIL:
        return "SERVFAIL";
    default:
        return "a timeout";
    }
}

/* Fetch and pick the SPF record of `domain`.  Returns 1 with *rec (a copy)
 * when found, 0 when there is none, 2 on a temporary DNS failure, 3 when
 * there are several (permerror), -1 on a callback error.  *rcode gets the
 * DNS answer code. */
static int fetch_record(const dk_spf_dns *d, const char *domain, char **rec, size_t *len,
                        enum dk_dns_rcode *rcode, dk_err *e)
{
    dk_dns_txt_answer a;
    size_t idx = 0;
    int rc;

    *rec = NULL;
    *len = 0;
    if (!name_ok(domain)) {
        *rcode = DK_DNS_NXDOMAIN;
        return 0;
    }
    memset(&a, 0, sizeof a);
    if (d->txt == NULL)
        return dk_err_set(e, DK_EINTERNAL, "no TXT lookup function for SPF");
    if (d->txt(d->ud, domain, &a, e) < 0) {
        dk_dns_txt_answer_free(&a);
        return -1;
    }
    *rcode = a.rcode;
    if (is_temp(a.rcode)) {
        dk_dns_txt_answer_free(&a);
        return 2;
    }
    if (a.rcode != DK_DNS_OK) {
        dk_dns_txt_answer_free(&a);
        return 0;
    }
    rc = dk_spf_select(a.rr, a.nrr, &idx, NULL);
    if (rc == 1) {
        *rec = dk_strndup(a.rr[idx].data, a.rr[idx].len, e);
        *len = a.rr[idx].len;
        if (*rec == NULL)
            rc = -1;
    } else if (rc < 0) {
        rc = 3;
    }
    dk_dns_txt_answer_free(&a);
    return rc;
}

/* ---- the validator -------------------------------------------------------------------- */

struct walk {
    const dk_spf_dns *d;
    dk_spf_report *rep;
    dk_findings *out;
    dk_err *e;
    char stack[MAX_DEPTH][DK_SPF_DOMAIN_MAX + 1];
    unsigned depth;
    bool stop;      /* a permerror was found: the verdict is made */
    bool told_addr; /* said once that A/AAAA are not checked */
    bool told_mx;
};

static int permerror(struct walk *w, const char *where, const char *fix, const char *what)
{
    w->rep->status = DK_SPF_ST_PERMERROR;
    w->stop = true;
    return dk_findings_add(w->out, DK_SEV_CRIT, where, fix, "%s (SPF permerror)", what);
}

static int temperror(struct walk *w, const char *where, const char *what)
{
    if (w->rep->status == DK_SPF_ST_VALID)
        w->rep->status = DK_SPF_ST_TEMPERROR;
    return dk_findings_add(w->out, DK_SEV_WARN, where,
                           "check the domain's DNS servers, then run the check again",
                           "%s: the answer is temperror, not a verdict", what);
}

static int add_step(struct walk *w, const char *domain, const char *term)
{
    dk_spf_report *rep = w->rep;
    dk_spf_step *v = dk_reallocarray(rep->steps, rep->nsteps + 1, sizeof *v, w->e);
    dk_spf_step *s;

    if (v == NULL)
        return -1;
    rep->steps = v;
    s = &v[rep->nsteps];
    s->domain = dk_strdup(domain, w->e);
    s->term = dk_strdup(term, w->e);
    if (s->domain == NULL || s->term == NULL) {
        free(s->domain);
        free(s->term);
        return -1;
    }
    s->depth = w->depth - 1;
    s->lookups = rep->lookups;
    s->voids = rep->voids;
    rep->nsteps++;
    return 0;
}

static int count_void(struct walk *w, const char *domain, const dk_spf_term *t, const char *name)
{
    char what[1024];

    w->rep->voids++;
    if (w->rep->nsteps > 0)
        w->rep->steps[w->rep->nsteps - 1].voids = w->rep->voids;
    if (w->rep->voids > DK_SPF_MAX_VOIDS) {
        snprintf(what, sizeof what,
                 "\"%s\" is the %u. void lookup (%s has no records); at most %d are allowed",
                 t->text, w->rep->voids, name, DK_SPF_MAX_VOIDS);
        return permerror(w, domain, "remove terms that name hosts or domains without records",
                         what);
    }
    return dk_findings_add(w->out, DK_SEV_WARN, domain,
                           "remove the term or publish the missing records",
                           "\"%s\": %s has no records (a void lookup, %u of %d allowed)", t->text,
                           name, w->rep->voids, DK_SPF_MAX_VOIDS);
}

static int walk_domain(struct walk *w, const char *domain, bool top, const char *via,
                       bool included);

/* a, exists: does the name have addresses?  mx: names and their count. */
static int check_target(struct walk *w, const char *domain, const dk_spf_term *t, const char *name)
{
    const dk_spf_dns *d = w->d;
    char what[1024];

    if (t->kind == DK_SPF_MX) {
        dk_spf_names mx;

        if (d->mx == NULL) {
            if (!w->told_mx) {
                w->told_mx = true;
                return dk_findings_add(w->out, DK_SEV_INFO, domain, NULL,
                                       "MX names were not looked up; their count (at most 10) "
                                       "and void lookups were not checked");
            }
            return 0;
        }
        memset(&mx, 0, sizeof mx);
        if (!name_ok(name)) {
            mx.rcode = DK_DNS_NXDOMAIN;
        } else if (d->mx(d->ud, name, &mx, w->e) < 0) {
            dk_spf_names_free(&mx);
            return -1;
        }
        if (is_temp(mx.rcode)) {
            snprintf(what, sizeof what, "\"%s\": the MX lookup of %s got %s", t->text, name,
                     rcode_name(mx.rcode));
            dk_spf_names_free(&mx);
            return temperror(w, domain, what);
        }
        if (is_void(mx.rcode, mx.n)) {
            dk_spf_names_free(&mx);
            return count_void(w, domain, t, name);
        }
        if (mx.n > DK_SPF_MAX_NAMES) {
            snprintf(what, sizeof what, "\"%s\": %s has %zu MX names; at most %d are allowed",
                     t->text, name, mx.n, DK_SPF_MAX_NAMES);
            dk_spf_names_free(&mx);
            return permerror(w, domain, "list the sending hosts with ip4:/ip6: instead of mx",
                             what);
        }
        dk_spf_names_free(&mx);
        return 0;
    }
    /* a (both families) or exists (A only) */
    if (d->addr == NULL) {
        if (!w->told_addr) {
            w->told_addr = true;
            return dk_findings_add(w->out, DK_SEV_INFO, domain, NULL,
                                   "addresses were not looked up; void lookups of a/exists "
                                   "terms were not checked");
        }
        return 0;
    }
    {
        bool any = false, temp = false;
        int fams = t->kind == DK_SPF_EXISTS ? 1 : 2;

        for (int f = 0; f < fams; f++) {
            dk_spf_addrs a;

            memset(&a, 0, sizeof a);
            if (!name_ok(name)) {
                a.rcode = DK_DNS_NXDOMAIN;
            } else if (d->addr(d->ud, name, f == 0 ? 4 : 6, &a, w->e) < 0) {
                dk_spf_addrs_free(&a);
                return -1;
            }
            if (is_temp(a.rcode))
                temp = true;
            else if (!is_void(a.rcode, a.n))
                any = true;
            dk_spf_addrs_free(&a);
        }
        if (any)
            return 0;
        if (temp) {
            snprintf(what, sizeof what, "\"%s\": the address lookup of %s failed", t->text, name);
            return temperror(w, domain, what);
        }
        return count_void(w, domain, t, name);
    }
}

static int follow(struct walk *w, const char *domain, const dk_spf_term *t)
{
    char target[DK_SPF_DOMAIN_MAX + 2];
    char what[1024];

    if (t->has_macro) {
        return dk_findings_add(w->out, DK_SEV_INFO, domain, NULL,
                               "\"%s\" uses macros: its target depends on each message and "
                               "was not followed (its own lookups are not counted)",
                               t->text);
    }
    norm_name(t->spec, target, sizeof target);
    for (unsigned i = 0; i < w->depth; i++) {
        if (strcmp(w->stack[i], target) == 0) {
            snprintf(what, sizeof what, "\"%s\" loops back to %s", t->text, target);
            return permerror(w, domain, "remove the include or redirect that points back", what);
        }
    }
    return walk_domain(w, target, false, t->text, t->kind == DK_SPF_INCLUDE);
}

static int walk_terms(struct walk *w, const char *domain, const dk_spf_record *r)
{
    char what[1024];

    for (size_t i = 0; i < r->nterms && !w->stop; i++) {
        const dk_spf_term *t = &r->terms[i];
        bool redirect = t->kind == DK_SPF_REDIRECT && r->all < 0;
        const char *name;

        if (r->all >= 0 && i > (size_t)r->all)
            break; /* never evaluated */
        if (!(t->kind == DK_SPF_INCLUDE || t->kind == DK_SPF_A || t->kind == DK_SPF_MX ||
              t->kind == DK_SPF_PTR || t->kind == DK_SPF_EXISTS || redirect))
            continue;
        if (t->kind == DK_SPF_REDIRECT && (size_t)r->redirect != i)
            continue;
        w->rep->lookups++;
        if (add_step(w, domain, t->text) < 0)
            return -1;
        if (w->rep->lookups > DK_SPF_MAX_LOOKUPS) {
            snprintf(what, sizeof what,
                     "\"%s\" is the %u. DNS-querying term (include, a, mx, ptr, exists, "
                     "redirect, counted through every include); at most %d are allowed",
                     t->text, w->rep->lookups, DK_SPF_MAX_LOOKUPS);
            return permerror(w, domain,
                             "replace includes or a/mx terms with ip4:/ip6: ranges, or drop "
                             "services that no longer send",
                             what);
        }
        if (t->kind == DK_SPF_INCLUDE || t->kind == DK_SPF_REDIRECT) {
            if (follow(w, domain, t) < 0)
                return -1;
            continue;
        }
        if (t->kind == DK_SPF_PTR)
            continue;
        if (t->has_macro)
            continue; /* depends on the message */
        name = t->spec != NULL ? t->spec : domain;
        {
            char n[DK_SPF_DOMAIN_MAX + 2];
            norm_name(name, n, sizeof n);
            if (check_target(w, domain, t, n) < 0)
                return -1;
        }
    }
    return 0;
}

static int walk_domain(struct walk *w, const char *domain, bool top, const char *via, bool included)
{
    char *rec = NULL;
    size_t len = 0;
    enum dk_dns_rcode rcode = DK_DNS_OK;
    dk_spf_record r;
    dk_err pe;
    char what[1024];
    int rc;

    if (w->depth >= MAX_DEPTH)
        return permerror(w, domain, NULL, "includes nest too deep");
    rc = fetch_record(w->d, domain, &rec, &len, &rcode, w->e);
    if (rc < 0)
        return -1;
    if (rc == 2) {
        snprintf(what, sizeof what, "the TXT lookup of %s got %s", domain, rcode_name(rcode));
        return temperror(w, domain, what);
    }
    if (rc == 3) {
        return permerror(w, domain, "keep exactly one TXT record starting with v=spf1",
                         "several TXT records start with v=spf1");
    }
    if (rc == 0) {
        if (top) {
            w->rep->status = DK_SPF_ST_NONE;
            return dk_findings_add(w->out, DK_SEV_WARN, domain,
                                   "publish a TXT record \"v=spf1 ... -all\"", "no SPF record (%s)",
                                   rcode_name(rcode));
        }
        snprintf(what, sizeof what, "\"%s\": %s has no SPF record (%s)", via, domain,
                 rcode_name(rcode));
        return permerror(w, domain, "remove the term or fix the target's SPF record", what);
    }
    if (dk_spf_parse(rec, len, &r, &pe) < 0) {
        snprintf(what, sizeof what, "column %u: %s", pe.col, pe.msg);
        free(rec);
        return permerror(w, domain, "fix the record's syntax", what);
    }
    if (top) {
        w->rep->record = rec;
        rec = NULL;
        if (dk_spf_lint_length(len, domain, w->out) < 0)
            goto fail;
    }
    free(rec);
    if ((included ? dk_spf_lint_included(&r, domain, w->out) : dk_spf_lint(&r, domain, w->out)) < 0)
        goto fail;
    dk_strlcpy(w->stack[w->depth], domain, sizeof w->stack[0]);
    w->depth++;
    rc = walk_terms(w, domain, &r);
    w->depth--;
    dk_spf_record_free(&r);
    return rc;
fail:
    dk_spf_record_free(&r);
    return -1;
}

int dk_spf_validate(const dk_spf_dns *d, const char *domain, dk_spf_report *rep, dk_findings *out,
                    dk_err *e)
{
    struct walk *w;
    char name[DK_SPF_DOMAIN_MAX + 2];
    int rc;

    memset(rep, 0, sizeof *rep);
    rep->status = DK_SPF_ST_VALID;
    norm_name(domain, name, sizeof name);
    if (!name_ok(name))
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" is not a domain name", domain);
    w = dk_calloc(1, sizeof *w, e);
    if (w == NULL)
        return -1;
    w->d = d;
    w->rep = rep;
    w->out = out;
    w->e = e;
    rc = walk_domain(w, name, true, NULL, false);
    free(w);
    if (rc < 0)
        return -1;
    if (rep->status == DK_SPF_ST_VALID &&
        dk_findings_add(out, DK_SEV_OK, name, NULL,
                        "SPF record valid: %u of %d DNS-querying terms, %u of %d void lookups",
                        rep->lookups, DK_SPF_MAX_LOOKUPS, rep->voids, DK_SPF_MAX_VOIDS) < 0)
        return -1;
    return 0;
}

/* ---- check_host() --------------------------------------------------------------------- */

struct ev {
    const dk_spf_dns *d;
    dk_spf_eval *ev;
    const dk_spf_ip *ip;
    const char *sender;
    const char *helo;
    long long now;
    dk_err *e;
    int depth;
};

static enum dk_spf_result qual_result(enum dk_qualifier q)
{
    switch (q) {
    case DK_Q_FAIL:
        return DK_SPF_FAIL;
    case DK_Q_SOFTFAIL:
        return DK_SPF_SOFTFAIL;
    case DK_Q_NEUTRAL:
        return DK_SPF_NEUTRAL;
    default:
        return DK_SPF_PASS;
    }
}

/* Sets ev->why; returns the result given. */
static enum dk_spf_result why(struct ev *s, enum dk_spf_result r, const char *domain,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum dk_spf_result why(struct ev *s, enum dk_spf_result r, const char *domain,
                              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->ev->why, sizeof s->ev->why, fmt, ap);
    va_end(ap);
    dk_strlcpy(s->ev->domain, domain, sizeof s->ev->domain);
    return r;
}

#define EV_ERR ((enum dk_spf_result) - 1)

static enum dk_spf_result count_lookup(struct ev *s, const char *domain, const dk_spf_term *t)
{
    if (++s->ev->lookups > DK_SPF_MAX_LOOKUPS)
        return why(s, DK_SPF_PERMERROR, domain,
                   "\"%s\" goes past the limit of 10 DNS-querying terms", t->text);
    return DK_SPF_NONE;
}

static enum dk_spf_result void_lookup(struct ev *s, const char *domain, const dk_spf_term *t)
{
    if (++s->ev->voids > DK_SPF_MAX_VOIDS)
        return why(s, DK_SPF_PERMERROR, domain, "\"%s\" goes past the limit of 2 void lookups",
                   t->text);
    return DK_SPF_NONE;
}

/* Addresses of name in the client's family; match against ip/cidr.
 * Returns 1 match, 0 no match, or a result (TEMPERROR...) via *res. */
static int addr_match(struct ev *s, const char *domain, const dk_spf_term *t, const char *name,
                      int family, bool count_void, enum dk_spf_result *res)
{
    dk_spf_addrs a;
    int cidr = family == 4 ? (t->cidr4 >= 0 ? t->cidr4 : 32) : (t->cidr6 >= 0 ? t->cidr6 : 128);
    int m = 0;

    *res = DK_SPF_NONE;
    if (s->d->addr == NULL) {
        *res =
            why(s, DK_SPF_TEMPERROR, domain, "\"%s\": address lookups are not available", t->text);
        return 0;
    }
    memset(&a, 0, sizeof a);
    if (!name_ok(name)) {
        a.rcode = DK_DNS_NXDOMAIN;
    } else if (s->d->addr(s->d->ud, name, family, &a, s->e) < 0) {
        dk_spf_addrs_free(&a);
        *res = EV_ERR;
        return 0;
    }
    if (is_temp(a.rcode)) {
        *res = why(s, DK_SPF_TEMPERROR, domain, "\"%s\": DNS failure", t->text);
    } else if (is_void(a.rcode, a.n)) {
        if (count_void)
            *res = void_lookup(s, domain, t);
    } else {
        for (size_t i = 0; i < a.n && m == 0; i++) {
            if (t->kind == DK_SPF_EXISTS || dk_spf_ip_in(s->ip, &a.v[i], (unsigned)cidr))
                m = 1;
        }
    }
    dk_spf_addrs_free(&a);
    return m;
}

static enum dk_spf_result eval_domain(struct ev *s, const char *domain);

static int mech_match(struct ev *s, const char *domain, const dk_spf_term *t,
                      enum dk_spf_result *res)
{
    char target[DK_SPF_DOMAIN_MAX + 2];
    dk_spf_macro_ctx mc;
    dk_err xe;

    *res = DK_SPF_NONE;
    memset(&mc, 0, sizeof mc);
    mc.sender = s->sender;
    mc.domain = domain;
    mc.helo = s->helo;
    mc.ip = *s->ip;
    mc.now = s->now;
    switch (t->kind) {
    case DK_SPF_ALL:
        return 1;
    case DK_SPF_IP4:
    case DK_SPF_IP6: {
        int c = t->kind == DK_SPF_IP4 ? (t->cidr4 >= 0 ? t->cidr4 : 32)
                                      : (t->cidr6 >= 0 ? t->cidr6 : 128);
        return dk_spf_ip_in(s->ip, &t->net, (unsigned)c) ? 1 : 0;
    }
    default:
        break;
    }
    *res = count_lookup(s, domain, t);
    if (*res != DK_SPF_NONE)
        return 0;
    if (t->spec != NULL) {
        if (dk_spf_expand(t->spec, &mc, false, true, target, sizeof target, &xe) < 0) {
            *res = why(s, DK_SPF_PERMERROR, domain, "%s", xe.msg);
            return 0;
        }
        norm_name(target, target, sizeof target);
    } else {
        dk_strlcpy(target, domain, sizeof target);
    }
    switch (t->kind) {
    case DK_SPF_INCLUDE: {
        enum dk_spf_result r;

        if (s->depth >= MAX_DEPTH) {
            *res = why(s, DK_SPF_PERMERROR, domain, "\"%s\": includes nest too deep", t->text);
            return 0;
        }
        s->depth++;
        r = eval_domain(s, target);
        s->depth--;
        if (r == EV_ERR || r == DK_SPF_TEMPERROR || r == DK_SPF_PERMERROR) {
            *res = r;
            return 0;
        }
        if (r == DK_SPF_NONE) {
            *res =
                why(s, DK_SPF_PERMERROR, domain, "\"%s\": the target has no SPF record", t->text);
            return 0;
        }
        return r == DK_SPF_PASS ? 1 : 0;
    }
    case DK_SPF_A:
        return addr_match(s, domain, t, target, s->ip->family, true, res);
    case DK_SPF_EXISTS:
        return addr_match(s, domain, t, target, 4, true, res);
    case DK_SPF_MX: {
        dk_spf_names mx;
        int m = 0;

        if (s->d->mx == NULL) {
            *res =
                why(s, DK_SPF_TEMPERROR, domain, "\"%s\": MX lookups are not available", t->text);
            return 0;
        }
        memset(&mx, 0, sizeof mx);
        if (!name_ok(target)) {
            mx.rcode = DK_DNS_NXDOMAIN;
        } else if (s->d->mx(s->d->ud, target, &mx, s->e) < 0) {
            dk_spf_names_free(&mx);
            *res = EV_ERR;
            return 0;
        }
        if (is_temp(mx.rcode)) {
            *res = why(s, DK_SPF_TEMPERROR, domain, "\"%s\": DNS failure", t->text);
        } else if (is_void(mx.rcode, mx.n)) {
            *res = void_lookup(s, domain, t);
        } else if (mx.n > DK_SPF_MAX_NAMES) {
            *res = why(s, DK_SPF_PERMERROR, domain, "\"%s\": more than 10 MX names", t->text);
        } else {
            for (size_t i = 0; i < mx.n && m == 0 && *res == DK_SPF_NONE; i++) {
                char n[DK_SPF_DOMAIN_MAX + 2];
                norm_name(mx.v[i], n, sizeof n);
                m = addr_match(s, domain, t, n, s->ip->family, false, res);
            }
        }
        dk_spf_names_free(&mx);
        return m;
    }
    case DK_SPF_PTR: {
        dk_spf_names p;
        int m = 0;
        size_t tl = strlen(target);

        if (s->d->ptr == NULL || s->d->addr == NULL)
            return 0; /* a PTR failure never matches */
        memset(&p, 0, sizeof p);
        if (s->d->ptr(s->d->ud, s->ip, &p, s->e) < 0) {
            dk_spf_names_free(&p);
            *res = EV_ERR;
            return 0;
        }
        if (p.rcode == DK_DNS_OK) {
            for (size_t i = 0; i < p.n && i < DK_SPF_MAX_NAMES && m == 0; i++) {
                char n[DK_SPF_DOMAIN_MAX + 2];
                size_t nl;
                enum dk_spf_result r2;
                dk_spf_term t2 = *t;

                norm_name(p.v[i], n, sizeof n);
                nl = strlen(n);
                if (!(nl == tl && strcmp(n, target) == 0) &&
                    !(nl > tl && n[nl - tl - 1] == '.' && strcmp(n + nl - tl, target) == 0))
                    continue;
                t2.cidr4 = t2.cidr6 = -1;
                if (addr_match(s, domain, &t2, n, s->ip->family, false, &r2) == 1)
                    m = 1;
                if (r2 == EV_ERR) {
                    *res = EV_ERR;
                    break;
                }
            }
        }
        dk_spf_names_free(&p);
        return m;
    }
    default:
        return 0;
    }
}

static enum dk_spf_result eval_domain(struct ev *s, const char *domain)
{
    char *rec = NULL;
    size_t len = 0;
    enum dk_dns_rcode rcode;
    dk_spf_record r;
    dk_err pe;
    enum dk_spf_result res = DK_SPF_NEUTRAL;
    int rc = fetch_record(s->d, domain, &rec, &len, &rcode, s->e);
    bool matched = false;

    if (rc < 0)
        return EV_ERR;
    if (rc == 2)
        return why(s, DK_SPF_TEMPERROR, domain, "the TXT lookup of %s failed", domain);
    if (rc == 3)
        return why(s, DK_SPF_PERMERROR, domain, "%s has several SPF records", domain);
    if (rc == 0)
        return why(s, DK_SPF_NONE, domain, "%s has no SPF record", domain);
    if (dk_spf_parse(rec, len, &r, &pe) < 0) {
        free(rec);
        return why(s, DK_SPF_PERMERROR, domain, "%s", pe.msg);
    }
    free(rec);
    for (size_t i = 0; i < r.nterms; i++) {
        const dk_spf_term *t = &r.terms[i];
        enum dk_spf_result x;
        int m;

        if (t->kind > DK_SPF_EXISTS)
            continue;
        m = mech_match(s, domain, t, &x);
        if (x != DK_SPF_NONE) {
            res = x;
            matched = true;
            break;
        }
        if (m == 1 && t->kind == DK_SPF_INCLUDE) {
            char inner[sizeof s->ev->why];

            dk_strlcpy(inner, s->ev->why, sizeof inner);
            res = why(s, qual_result(t->q), domain, "matched \"%s\" (%.300s in %s)", t->text, inner,
                      s->ev->domain);
            matched = true;
            break;
        }
        if (m == 1) {
            res = why(s, qual_result(t->q), domain, "matched \"%s\"", t->text);
            matched = true;
            break;
        }
    }
    if (!matched && r.redirect >= 0 && r.all < 0) {
        const dk_spf_term *t = &r.terms[r.redirect];
        char target[DK_SPF_DOMAIN_MAX + 2];
        dk_spf_macro_ctx mc;

        memset(&mc, 0, sizeof mc);
        mc.sender = s->sender;
        mc.domain = domain;
        mc.helo = s->helo;
        mc.ip = *s->ip;
        mc.now = s->now;
        res = count_lookup(s, domain, t);
        if (res == DK_SPF_NONE) {
            if (dk_spf_expand(t->spec, &mc, false, true, target, sizeof target, &pe) < 0) {
                res = why(s, DK_SPF_PERMERROR, domain, "%s", pe.msg);
            } else if (s->depth >= MAX_DEPTH) {
                res = why(s, DK_SPF_PERMERROR, domain, "%s: redirects nest too deep", t->text);
            } else {
                norm_name(target, target, sizeof target);
                s->depth++;
                res = eval_domain(s, target);
                s->depth--;
                if (res == DK_SPF_NONE)
                    res = why(s, DK_SPF_PERMERROR, domain, "\"%s\": the target has no SPF record",
                              t->text);
            }
        }
    } else if (!matched) {
        res = why(s, DK_SPF_NEUTRAL, domain, "%s", "no mechanism matched (default neutral)");
    }
    dk_spf_record_free(&r);
    return res;
}

int dk_spf_check_host(const dk_spf_dns *d, const dk_spf_ip *ip, const char *domain,
                      const char *sender, const char *helo, long long now, dk_spf_eval *ev,
                      dk_err *e)
{
    struct ev s;
    dk_spf_ip cip = *ip;
    char name[DK_SPF_DOMAIN_MAX + 2];
    char snd[600];
    enum dk_spf_result r;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memset(ev, 0, sizeof *ev);
    if (cip.family == 6 && memcmp(cip.b, mapped, 12) == 0) {
        cip.family = 4;
        memmove(cip.b, cip.b + 12, 4);
        memset(cip.b + 4, 0, 12);
    }
    if (sender == NULL || sender[0] == '\0')
        snprintf(snd, sizeof snd, "postmaster@%s", helo != NULL ? helo : "");
    else if (strchr(sender, '@') == NULL)
        snprintf(snd, sizeof snd, "postmaster@%s", sender);
    else
        dk_strlcpy(snd, sender, sizeof snd);
    norm_name(domain, name, sizeof name);
    if (!name_ok(name) || strchr(name, '.') == NULL) {
        ev->result = DK_SPF_NONE;
        snprintf(ev->why, sizeof ev->why, "\"%.64s\" is not a usable domain name", domain);
        return 0;
    }
    memset(&s, 0, sizeof s);
    s.d = d;
    s.ev = ev;
    s.ip = &cip;
    s.sender = snd;
    s.helo = helo;
    s.now = now;
    s.e = e;
    r = eval_domain(&s, name);
    if (r == EV_ERR)
        return -1;
    ev->result = r;
    return 0;
}
