/*
 * check.c - DNS checks of the model's domains: DKIM key records, SPF,
 * DMARC, the zone's authoritative servers, DNSSEC.  Evaluated in rounds
 * over an answer table (internal.h): see check.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "internal.h"
#include "policy/spf.h"
#include "util/mem.h"

#define MAX_ROUNDS 40 /* then the remaining questions are asked one by one */
#define MAX_NS     16
#define MAX_LABELS 128

typedef struct sel_exp {
    const dk_selector *s;
    char *p; /* the key file's p=, or NULL (see code/why) */
    enum dk_errcode code;
    char why[DK_ERR_MSG];
} sel_exp;

typedef struct dom_ctx {
    const dk_domain *d;
    sel_exp *sel;
    size_t nsel;
    bool done;
    char zone[256];
} dom_ctx;

typedef struct ctx {
    ck_memo memo;
    dk_resolver *view; /* the table as a stub resolver (memo_ops) */
    const dk_check_opts *o;
    dk_err *e;
} ctx;

static const char TEMP_FIX[] = "check the domain's DNS servers, then run the check again";

/* ---- helpers ---------------------------------------------------------------------------- */

static bool is_temp(enum dk_dns_rcode rc)
{
    return rc == DK_DNS_SERVFAIL || rc == DK_DNS_TIMEOUT;
}

static const char *rc_words(enum dk_dns_rcode rc)
{
    switch (rc) {
    case DK_DNS_OK:
        return "an answer";
    case DK_DNS_NODATA:
        return "no record of that type (NODATA)";
    case DK_DNS_NXDOMAIN:
        return "the name does not exist (NXDOMAIN)";
    case DK_DNS_SERVFAIL:
        return "SERVFAIL";
    case DK_DNS_TIMEOUT:
        return "no answer in time (timeout)";
    }
    return "?";
}

static int temp_finding(dk_findings *f, const char *where, const char *what, const ck_ent *x)
{
    return dk_findings_add(f, DK_SEV_WARN, where, TEMP_FIX,
                           "%s: %s%s%s (temperror: a temporary DNS problem, not a verdict on the "
                           "record)",
                           what, rc_words(x->a.rcode), x->a.why != NULL ? ", " : "",
                           x->a.why != NULL ? x->a.why : "");
}

/* 1 answered (*x), 0 missing (asked in the next round), -1 error. */
static int get(ctx *c, unsigned srv, const char *name, enum dk_dns_type t, const ck_ent **x)
{
    return ck_memo_get(&c->memo, srv, name, t, x, c->e);
}

static enum dk_dns_rcode rcode_of(const ck_ent *x)
{
    return x->status < 0 ? DK_DNS_NXDOMAIN : x->a.rcode;
}

/* ---- the answer table as a resolver (for the policy code) ----------------------------- */

/* dk_dns_ops.lookup over the table: a question not gathered yet answers
 * SERVFAIL (this run's findings are thrown away and it runs again). */
static int memo_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                       dk_err *e)
{
    ctx *c = ud;
    const ck_ent *x;
    int rc = get(c, 0, name, type, &x);

    if (rc < 0)
        return -1;
    if (rc == 0) {
        out->rcode = DK_DNS_SERVFAIL;
        out->why = "not asked yet";
        return 0;
    }
    if (x->status < 0) {
        out->rcode = DK_DNS_NXDOMAIN;
        return 0;
    }
    out->rcode = x->a.rcode;
    out->ttl = x->a.ttl;
    out->authoritative = x->a.authoritative;
    out->why = x->a.why;
    if (x->a.name != NULL && (out->name = dk_strdup(x->a.name, e)) == NULL)
        return -1;
    if (x->a.nrr == 0)
        return 0;
    out->rr = dk_calloc(x->a.nrr, sizeof *out->rr, e);
    if (out->rr == NULL)
        return -1;
    for (size_t i = 0; i < x->a.nrr; i++) {
        dk_dns_rr *d = &out->rr[i];

        *d = x->a.rr[i];
        d->data = dk_calloc(x->a.rr[i].len + 1, 1, e);
        if (d->data == NULL)
            return -1;
        memcpy(d->data, x->a.rr[i].data, x->a.rr[i].len);
        out->nrr++;
    }
    return 0;
}

static const dk_dns_ops memo_ops = {NULL, memo_lookup};

/* ---- DKIM ----------------------------------------------------------------------------- */

static int dkim_fix(const dk_domain *d, const sel_exp *se, char *fix, size_t size)
{
    if (se->p != NULL || se->s->state == DK_SEL_REVOKED)
        (void)snprintf(fix, size,
                       "publish %s._domainkey.%s TXT as printed by 'dkimctl records --domain %s'",
                       se->s->name, d->name, d->name);
    else
        (void)snprintf(fix, size,
                       "make the key ('dkimctl keygen --domain %s'), then publish its "
                       "record ('dkimctl records --domain %s')",
                       d->name, d->name);
    return 0;
}

static int check_selector(ctx *c, const dk_domain *d, const sel_exp *se, dk_findings *f)
{
    const dk_selector *s = se->s;
    char name[DK_SELECTOR_MAX + DK_DOMAIN_MAX + 16], fix[1024];
    const ck_ent *x;
    dk_keyrec k;
    dk_err pe;
    bool active = s->state == DK_SEL_ACTIVE || s->state == DK_SEL_PENDING;
    int rc;

    (void)snprintf(name, sizeof name, "%s._domainkey.%s", s->name, d->name);
    rc = get(c, 0, name, DK_DNS_TXT, &x);
    if (rc <= 0)
        return rc;
    dkim_fix(d, se, fix, sizeof fix);
    if (is_temp(rcode_of(x)))
        return temp_finding(f, name, "DKIM key lookup", x);
    if (rcode_of(x) != DK_DNS_OK || x->a.nrr == 0) {
        if (s->state == DK_SEL_REVOKED)
            return dk_findings_add(f, DK_SEV_INFO, name, NULL,
                                   "selector %s is revoked and its record is gone (%s)", s->name,
                                   rc_words(rcode_of(x)));
        return dk_findings_add(f, active ? DK_SEV_CRIT : DK_SEV_WARN, name, fix,
                               "no DKIM key record for %s selector %s: %s; %s",
                               dk_selstate_name(s->state), s->name, rc_words(rcode_of(x)),
                               active ? "verifiers fail every signature made with it (permerror)"
                                      : "mail still in flight signed with it will fail");
    }
    if (x->a.name != NULL && strcmp(x->a.name, name) != 0 &&
        dk_findings_add(f, DK_SEV_INFO, name, NULL,
                        "is a CNAME; the key record was found at %s (followed, as verifiers do)",
                        x->a.name) < 0)
        return -1;
    if (x->a.nrr > 1)
        return dk_findings_add(f, DK_SEV_CRIT, name, "delete all but one TXT record at the name",
                               "%zu TXT records: a verifier needs exactly one key record "
                               "(permerror)",
                               x->a.nrr);
    if (dk_keyrec_parse(x->a.rr[0].data, x->a.rr[0].len, &k, &pe) < 0)
        return dk_findings_add(f, DK_SEV_CRIT, name, fix,
                               "the TXT record is not a valid DKIM key record: %s (permerror)",
                               pe.msg);
    rc = 0;
    if (k.p[0] == '\0') {
        if (s->state == DK_SEL_REVOKED)
            rc = dk_findings_add(f, DK_SEV_OK, name, NULL,
                                 "selector %s is revoked (p= empty), as "
                                 "the model says",
                                 s->name);
        else
            rc = dk_findings_add(f, active ? DK_SEV_CRIT : DK_SEV_WARN, name, fix,
                                 "the key is revoked (p= empty) but selector %s is %s in the "
                                 "model: its signatures fail",
                                 s->name, dk_selstate_name(s->state));
        goto out;
    }
    if (s->state == DK_SEL_REVOKED) {
        rc = dk_findings_add(f, DK_SEV_WARN, name, fix,
                             "selector %s is revoked in the model but its key is still published",
                             s->name);
        goto out;
    }
    if (k.alg != s->alg) {
        rc = dk_findings_add(f, DK_SEV_CRIT, name, fix,
                             "the record is k=%s but selector %s is %s in the model",
                             dk_keyalg_name(k.alg), s->name, dk_keyalg_name(s->alg));
        goto out;
    }
    if (se->p == NULL) {
        rc = dk_findings_add(f, DK_SEV_WARN, s->key_path,
                             se->code == DK_ENOENT ? "make the key: dkimctl keygen" : NULL,
                             "the published key of selector %s cannot be compared: %s", s->name,
                             se->why);
    } else if (strcmp(se->p, k.p) != 0) {
        rc = dk_findings_add(f, DK_SEV_CRIT, name, fix,
                             "the published key does not match the private key %s: every "
                             "signature made with it fails",
                             s->key_path);
        goto out;
    }
    if (rc < 0)
        goto out;
    if (k.alg == DK_KEY_RSA && k.bits < 1024)
        rc = dk_findings_add(f, DK_SEV_CRIT, name, "make a 2048-bit key and rotate to it",
                             "RSA key of %u bits: verifiers must refuse keys under 1024 bits "
                             "(RFC 8301)",
                             k.bits);
    else if (k.alg == DK_KEY_RSA && k.bits < 2048)
        rc = dk_findings_add(f, DK_SEV_WARN, name, "make a 2048-bit key and rotate to it",
                             "RSA key of %u bits: 2048 is the recommended size", k.bits);
    if (rc == 0 && k.testing)
        rc = dk_findings_add(f, active ? DK_SEV_WARN : DK_SEV_INFO, name,
                             "remove t=y from the record once signing is proven",
                             "t=y: the domain is testing DKIM; verifiers treat failed signatures "
                             "as if the mail were unsigned");
    if (rc == 0 && se->p != NULL)
        rc = dk_findings_add(
            f, DK_SEV_OK, name, NULL, "DKIM key record published and matching %s (%s%s%.0u%s)",
            s->key_path, dk_keyalg_name(k.alg), k.bits ? " " : "", k.bits, k.bits ? " bits" : "");
out:
    dk_keyrec_free(&k);
    return rc;
}

static int check_dkim(ctx *c, const dom_ctx *dc, dk_findings *f)
{
    for (size_t i = 0; i < dc->nsel; i++)
        if (check_selector(c, dc->d, &dc->sel[i], f) < 0)
            return -1;
    return 0;
}

/* ---- SPF ------------------------------------------------------------------------------ */

static int check_spf(ctx *c, const dom_ctx *dc, dk_findings *f)
{
    const dk_domain *d = dc->d;
    dk_spf_dns dns;
    dk_spf_report rep;
    dk_buf want;
    int rc = 0;

    dk_spf_dns_from_resolver(&dns, c->view);
    if (dk_spf_validate(&dns, d->name, &rep, f, c->e) < 0) {
        dk_spf_report_free(&rep);
        return -1;
    }
    dk_buf_init(&want, 0);
    if (d->spf.publish && dk_record_spf_value(d, &want, NULL) == 0 && want.data != NULL) {
        if (rep.status == DK_SPF_ST_NONE)
            rc = dk_findings_add(f, DK_SEV_INFO, d->name, NULL,
                                 "the model's SPF record to publish: %s TXT \"%s\"", d->name,
                                 want.data);
        else if (rep.record != NULL && strcmp(rep.record, want.data) != 0)
            rc = dk_findings_add(f, DK_SEV_INFO, d->name,
                                 "publish the model's record, or change the model to match",
                                 "the published SPF record \"%.300s\" differs from the model's "
                                 "\"%.300s\"",
                                 rep.record, want.data);
    }
    dk_buf_free(&want);
    dk_spf_report_free(&rep);
    return rc;
}

/* ---- DMARC ---------------------------------------------------------------------------- */

static int check_report_dest(ctx *c, const dk_domain *d, const char *dest, const char *uri,
                             dk_findings *f)
{
    char qname[600], rec[64], fix[800];
    unsigned long before;
    enum dk_dns_rcode rcode;
    bool ok = false;
    dk_err pe;

    if (!dk_dmarc_needs_auth(c->o->psl, d->name, dest))
        return 0;
    if (dk_dmarc_report_auth(d->name, dest, qname, sizeof qname, rec, sizeof rec, &pe) < 0)
        return dk_findings_add(f, DK_SEV_WARN, uri, "fix the report URI in the DMARC record",
                               "report destination %s: %s", dest, pe.msg);
    before = c->memo.misses;
    if (dk_dmarc_check_report_auth(c->view, d->name, dest, &ok, &rcode, c->e) < 0)
        return -1;
    if (c->memo.misses != before)
        return 0; /* asked in the next round */
    if (is_temp(rcode)) {
        ck_ent x;

        memset(&x, 0, sizeof x);
        x.a.rcode = rcode;
        return temp_finding(f, qname, "report authorisation lookup", &x);
    }
    if (ok)
        return dk_findings_add(f, DK_SEV_OK, qname, NULL, "%s authorises DMARC reports for %s (%s)",
                               dest, d->name, uri);
    (void)snprintf(fix, sizeof fix, "the destination must publish: %s. TXT \"%s\"", qname, rec);
    return dk_findings_add(f, DK_SEV_WARN, qname, fix,
                           "external report destination %s (%s) has not authorised reports for "
                           "%s: receivers will not send them",
                           dest, uri, d->name);
}

/* dk_dmarc_select over an answer's records. */
static int dmarc_select(const ck_ent *x, size_t *idx)
{
    dk_dns_txt t[64];
    size_t n = 0;

    if (rcode_of(x) != DK_DNS_OK)
        return 0;
    for (size_t i = 0; i < x->a.nrr && n < 64; i++) {
        t[n].data = x->a.rr[i].data;
        t[n++].len = x->a.rr[i].len;
    }
    return dk_dmarc_select(t, n, idx, NULL);
}

static int check_dmarc(ctx *c, const dom_ctx *dc, dk_findings *f)
{
    const dk_domain *d = dc->d;
    char name[DK_DOMAIN_MAX + 8], fix[700];
    const ck_ent *x;
    dk_dmarc_record rec;
    dk_buf want;
    dk_err pe;
    size_t idx = 0;
    long sel;
    int rc;

    (void)snprintf(name, sizeof name, "_dmarc.%s", d->name);
    rc = get(c, 0, name, DK_DNS_TXT, &x);
    if (rc <= 0)
        return rc;
    if (is_temp(rcode_of(x)))
        return temp_finding(f, name, "DMARC lookup", x);
    dk_buf_init(&want, 0);
    if (d->dmarc.publish && dk_record_dmarc_value(d, &want, NULL) == 0 && want.data != NULL)
        (void)snprintf(fix, sizeof fix, "publish: %s. TXT \"%s\"", name, want.data);
    else
        (void)snprintf(fix, sizeof fix,
                       "publish: %s. TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\"", name,
                       d->name);
    sel = dmarc_select(x, &idx);
    if (sel == 0) {
        char org[DK_DOMAIN_MAX];

        if (dk_org_domain(c->o->psl, d->name, org, sizeof org, NULL) == 0 &&
            strcmp(org, d->name) != 0) {
            char oname[DK_DOMAIN_MAX + 8];
            const ck_ent *y;
            size_t oi;

            (void)snprintf(oname, sizeof oname, "_dmarc.%s", org);
            rc = get(c, 0, oname, DK_DNS_TXT, &y);
            if (rc <= 0)
                goto out;
            if (dmarc_select(y, &oi) == 1) {
                rc = dk_findings_add(f, d->dmarc.publish ? DK_SEV_WARN : DK_SEV_INFO, name,
                                     d->dmarc.publish ? fix : NULL,
                                     "no DMARC record here; the organisational domain's record "
                                     "at %s applies",
                                     oname);
                goto out;
            }
        }
        rc = dk_findings_add(f, DK_SEV_WARN, name, fix,
                             "no DMARC record (%s): receivers apply no policy to mail from %s",
                             rcode_of(x) == DK_DNS_OK ? "TXT records, none starts with v=DMARC1"
                                                      : rc_words(rcode_of(x)),
                             d->name);
        goto out;
    }
    if (sel < 0) {
        rc = dk_findings_add(f, DK_SEV_CRIT, name,
                             "keep exactly one TXT record starting with "
                             "v=DMARC1",
                             "several DMARC records: DMARC does not apply at all (RFC 7489 "
                             "6.6.3)");
        goto out;
    }
    if (dk_dmarc_parse(x->a.rr[idx].data, x->a.rr[idx].len, &rec, name, f, &pe) < 0) {
        rc = dk_findings_add(f, DK_SEV_CRIT, name, fix, "the DMARC record is invalid: %s", pe.msg);
        goto out;
    }
    rc = dk_dmarc_lint(&rec, d->name, c->o->psl, f);
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        const dk_dmarc_uri *u = pass == 0 ? rec.rua : rec.ruf;
        size_t n = pass == 0 ? rec.nrua : rec.nruf;

        for (size_t i = 0; i < n && rc == 0; i++) {
            bool seen = false;

            if (u[i].domain == NULL)
                continue;
            for (size_t j = 0; j < i; j++)
                seen = seen || (u[j].domain != NULL && strcmp(u[j].domain, u[i].domain) == 0);
            for (size_t j = 0; pass == 1 && j < rec.nrua; j++)
                seen = seen ||
                       (rec.rua[j].domain != NULL && strcmp(rec.rua[j].domain, u[i].domain) == 0);
            if (!seen)
                rc = check_report_dest(c, d, u[i].domain, u[i].uri, f);
        }
    }
    if (rc == 0 && want.data != NULL &&
        (x->a.rr[idx].len != want.len || memcmp(x->a.rr[idx].data, want.data, want.len) != 0))
        rc = dk_findings_add(f, DK_SEV_INFO, name,
                             "publish the model's record, or change the model to match",
                             "the published DMARC record \"%.300s\" differs from the model's "
                             "\"%.300s\"",
                             x->a.rr[idx].data, want.data);
    if (rc == 0)
        rc = dk_findings_add(f, DK_SEV_OK, name, NULL, "DMARC record published: p=%s",
                             dk_dmarc_p_name(rec.p));
    dk_dmarc_record_free(&rec);
out:
    dk_buf_free(&want);
    return rc;
}

/* ---- the zone and its authoritative servers ------------------------------------------- */

static bool same_set(const ck_ent *a, const ck_ent *b)
{
    enum dk_dns_rcode ra = rcode_of(a), rb = rcode_of(b);
    bool none_a = ra != DK_DNS_OK || a->a.nrr == 0, none_b = rb != DK_DNS_OK || b->a.nrr == 0;

    if (none_a || none_b)
        return none_a == none_b;
    if (a->a.nrr != b->a.nrr)
        return false;
    for (size_t i = 0; i < a->a.nrr; i++) {
        bool found = false;

        for (size_t j = 0; j < b->a.nrr && !found; j++)
            found = a->a.rr[i].len == b->a.rr[j].len &&
                    memcmp(a->a.rr[i].data, b->a.rr[j].data, a->a.rr[i].len) == 0;
        if (!found)
            return false;
    }
    return true;
}

static void summary(const ck_ent *x, char *out, size_t size)
{
    size_t o = 0;

    if (rcode_of(x) != DK_DNS_OK || x->a.nrr == 0) {
        (void)snprintf(out, size, "no record (%s)", dk_dns_rcode_name(rcode_of(x)));
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < x->a.nrr && o + 4 < size; i++) {
        int n = snprintf(out + o, size - o, "%s\"%.60s%s\"", i > 0 ? " " : "", x->a.rr[i].data,
                         x->a.rr[i].len > 60 ? "..." : "");

        if (n < 0)
            break;
        o += (size_t)n < size - o ? (size_t)n : size - o - 1;
    }
}

typedef struct server {
    const char *host;
    const char *addr;
    long srv;
} server;

static int compare_server(ctx *c, const dom_ctx *dc, const server *sv, const char *const *names,
                          size_t nnames, dk_findings *f)
{
    size_t good = 0;
    char label[400];

    (void)snprintf(label, sizeof label, "%s (%s)", sv->host, sv->addr);
    for (size_t i = 0; i < nnames; i++) {
        const ck_ent *r0, *x;
        char a[700], b[300], fix[800];

        if (get(c, 0, names[i], DK_DNS_TXT, &r0) != 1 ||
            get(c, (unsigned)sv->srv, names[i], DK_DNS_TXT, &x) != 1)
            return dk_err_set(c->e, DK_EINTERNAL, "answer for %s missing", names[i]);
        if (is_temp(rcode_of(x))) {
            (void)snprintf(a, sizeof a, "authoritative server %s, TXT %s", label, names[i]);
            if (temp_finding(f, names[i], a, x) < 0)
                return -1;
            continue;
        }
        if (!x->a.authoritative) {
            (void)snprintf(fix, sizeof fix,
                           "make %s serve zone %s, or remove it from the NS "
                           "records",
                           sv->host, dc->zone);
            if (dk_findings_add(f, DK_SEV_WARN, names[i], fix,
                                "authoritative server %s answers without authority for %s (a "
                                "lame delegation)",
                                label, names[i]) < 0)
                return -1;
            continue;
        }
        if (is_temp(rcode_of(r0)))
            continue; /* nothing to compare with; the resolver's failure is reported */
        if (!same_set(r0, x)) {
            summary(x, a, sizeof a);
            summary(r0, b, sizeof b);
            (void)snprintf(fix, sizeof fix,
                           "bring %s up to date (zone transfer, serial), then wait for the TTL "
                           "(%u s) to pass in caches",
                           sv->host, r0->a.ttl);
            if (dk_findings_add(f, DK_SEV_WARN, names[i], fix,
                                "authoritative server %s serves %s, the resolver %s", label, a,
                                b) < 0)
                return -1;
            continue;
        }
        good++;
    }
    if (good == nnames)
        return dk_findings_add(f, DK_SEV_OK, dc->zone, NULL,
                               "authoritative server %s serves the same %zu record set%s as the "
                               "resolver",
                               label, nnames, nnames == 1 ? "" : "s");
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_zone(ctx *c, dom_ctx *dc, dk_findings *f)
{
    const char *qn[MAX_LABELS];
    const ck_ent *ns = NULL, *x;
    size_t n = 0, nserv = 0;
    server sv[2 * MAX_NS];
    const char *hosts[MAX_NS];
    size_t nhosts = 0;
    const char *names[DK_SELECTOR_MAX + 2];
    char *owned[DK_SELECTOR_MAX + 2];
    size_t nnames = 0;
    bool miss = false;
    char list[1200];
    size_t lo = 0;
    int rc = 0;

    dc->zone[0] = '\0';
    for (const char *p = dc->d->name; *p != '\0' && n < MAX_LABELS;) {
        const char *dot = strchr(p, '.');

        qn[n++] = p;
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    for (size_t i = 0; i < n; i++) {
        rc = get(c, 0, qn[i], DK_DNS_NS, &x);
        if (rc < 0)
            return -1;
        miss = miss || rc == 0;
    }
    if (miss)
        return 0;
    for (size_t i = 0; i < n; i++) {
        get(c, 0, qn[i], DK_DNS_NS, &x);
        if (is_temp(rcode_of(x)))
            return temp_finding(f, qn[i], "NS lookup (finding the zone's servers)", x);
        if (rcode_of(x) == DK_DNS_OK && x->a.nrr > 0 && x->a.name != NULL &&
            strcmp(x->a.name, qn[i]) == 0) {
            ns = x;
            dk_strlcpy(dc->zone, qn[i], sizeof dc->zone);
            break;
        }
    }
    if (ns == NULL)
        return dk_findings_add(f, DK_SEV_WARN, dc->d->name, "delegate the domain (NS records)",
                               "no enclosing zone has NS records: the authoritative servers are "
                               "unknown");
    for (size_t i = 0; i < ns->a.nrr && i < MAX_NS; i++) {
        for (int t = 0; t < 2; t++) {
            rc = get(c, 0, ns->a.rr[i].data, t == 0 ? DK_DNS_A : DK_DNS_AAAA, &x);
            if (rc < 0)
                return -1;
            miss = miss || rc == 0;
        }
    }
    if (miss)
        return 0;
    for (size_t i = 0; i < ns->a.nrr && i < MAX_NS; i++)
        hosts[nhosts++] = ns->a.rr[i].data;
    qsort(hosts, nhosts, sizeof hosts[0], cmp_str);
    for (size_t i = 0; i < nhosts; i++) {
        size_t before = nserv;

        for (int t = 0; t < 2; t++) {
            get(c, 0, hosts[i], t == 0 ? DK_DNS_A : DK_DNS_AAAA, &x);
            for (size_t k = 0;
                 rcode_of(x) == DK_DNS_OK && k < x->a.nrr && k < 1 && nserv < 2 * MAX_NS; k++) {
                sv[nserv].host = hosts[i];
                sv[nserv].addr = x->a.rr[k].data;
                sv[nserv++].srv = -1;
            }
        }
        {
            int w = snprintf(list + lo, sizeof list - lo, "%s%s", lo > 0 ? ", " : "", hosts[i]);

            if (w > 0 && (size_t)w < sizeof list - lo)
                lo += (size_t)w;
        }
        for (size_t k = before; k < nserv; k++) {
            int w =
                snprintf(list + lo, sizeof list - lo, "%s%s", k == before ? " " : "/", sv[k].addr);

            if (w > 0 && (size_t)w < sizeof list - lo)
                lo += (size_t)w;
        }
        if (nserv == before &&
            dk_findings_add(f, DK_SEV_WARN, hosts[i],
                            "give the name server an A or AAAA record, or remove it from NS",
                            "name server of zone %s has no address", dc->zone) < 0)
            return -1;
    }
    list[lo] = '\0';
    if (dk_findings_add(f, DK_SEV_INFO, dc->zone, NULL, "zone %s; authoritative servers: %s",
                        dc->zone, list) < 0)
        return -1;
    if (!c->o->authoritative)
        return 0;
    /* the names this domain's checks ask, asked of each server */
    memset(owned, 0, sizeof owned);
    for (size_t i = 0; i < dc->nsel && nnames < DK_SELECTOR_MAX; i++) {
        size_t len = strlen(dc->sel[i].s->name) + strlen(dc->d->name) + 13;

        owned[nnames] = dk_calloc(len, 1, c->e);
        if (owned[nnames] == NULL)
            goto fail;
        (void)snprintf(owned[nnames], len, "%s._domainkey.%s", dc->sel[i].s->name, dc->d->name);
        names[nnames] = owned[nnames];
        nnames++;
    }
    names[nnames++] = dc->d->name;
    owned[nnames] = dk_calloc(strlen(dc->d->name) + 8, 1, c->e);
    if (owned[nnames] == NULL)
        goto fail;
    (void)snprintf(owned[nnames], strlen(dc->d->name) + 8, "_dmarc.%s", dc->d->name);
    names[nnames] = owned[nnames];
    nnames++;
    for (size_t k = 0; k < nserv; k++) {
        sv[k].srv = ck_memo_server(&c->memo, sv[k].addr, c->e);
        if (sv[k].srv < 0)
            goto fail;
        for (size_t i = 0; i < nnames; i++) {
            rc = get(c, (unsigned)sv[k].srv, names[i], DK_DNS_TXT, &x);
            if (rc < 0 || (rc = get(c, 0, names[i], DK_DNS_TXT, &x)) < 0)
                goto fail;
            miss = miss || rc == 0;
        }
        rc = get(c, (unsigned)sv[k].srv, dc->zone, DK_DNS_SOA, &x);
        if (rc < 0)
            goto fail;
        miss = miss || rc == 0;
    }
    if (miss)
        goto done;
    rc = 0;
    {
        char serials[800];
        size_t so = 0;
        unsigned long first = 0;
        bool differ = false, have = false, pending = false;

        for (size_t k = 0; k < nserv; k++) {
            unsigned long serial;
            int w;

            if (get(c, (unsigned)sv[k].srv, dc->zone, DK_DNS_SOA, &x) != 1) {
                pending = true;
                continue;
            }
            if (rcode_of(x) != DK_DNS_OK || x->a.nrr == 0 ||
                sscanf(x->a.rr[0].data, "%*s %*s %lu", &serial) != 1)
                continue;
            if (have && serial != first)
                differ = true;
            if (!have)
                first = serial;
            have = true;
            w = snprintf(serials + so, sizeof serials - so, "%s%s %lu", so > 0 ? ", " : "",
                         sv[k].host, serial);
            if (w > 0 && (size_t)w < sizeof serials - so)
                so += (size_t)w;
        }
        if (pending)
            goto done;
        for (size_t k = 0; k < nserv; k++)
            if (compare_server(c, dc, &sv[k], names, nnames, f) < 0)
                goto fail;
        if (differ && dk_findings_add(f, DK_SEV_WARN, dc->zone,
                                      "a server has not loaded the latest zone: check zone "
                                      "transfers (NOTIFY, AXFR/IXFR)",
                                      "the servers' SOA serials differ: %s", serials) < 0)
            goto fail;
    }
done:
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    return 0;
fail:
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    return -1;
}

/* ---- one domain, all domains ----------------------------------------------------------- */

static int check_domain(ctx *c, dom_ctx *dc, dk_findings *f)
{
    if (check_dkim(c, dc, f) < 0 || check_spf(c, dc, f) < 0 || check_dmarc(c, dc, f) < 0 ||
        check_zone(c, dc, f) < 0)
        return -1;
    return 0;
}

static int expect_keys(const dk_check_opts *o, dom_ctx *dc, dk_err *e)
{
    const dk_domain *d = dc->d;

    dc->sel = dk_calloc(d->nsel > 0 ? d->nsel : 1, sizeof *dc->sel, e);
    if (dc->sel == NULL)
        return -1;
    for (size_t i = 0; i < d->nsel; i++) {
        sel_exp *se = &dc->sel[dc->nsel++];
        dk_buf p;
        dk_err ke;

        se->s = &d->sel[i];
        if (se->s->state == DK_SEL_REVOKED)
            continue;
        if (o->pubkey == NULL) {
            se->code = DK_ENOENT;
            dk_strlcpy(se->why, "no key reader given", sizeof se->why);
            continue;
        }
        dk_buf_init(&p, 0);
        dk_err_clear(&ke);
        if (o->pubkey(o->pubkey_ud, d, se->s, &p, &ke) < 0) {
            se->code = ke.code;
            (void)dk_err_format(&ke, se->why, sizeof se->why);
        } else {
            se->p = dk_buf_steal(&p, NULL);
            if (se->p == NULL)
                se->p = dk_strdup("", e);
            if (se->p == NULL) {
                dk_buf_free(&p);
                return -1;
            }
        }
        dk_buf_free(&p);
    }
    return 0;
}

static void free_doms(dom_ctx *dc, size_t n)
{
    for (size_t i = 0; i < n && dc != NULL; i++) {
        for (size_t k = 0; k < dc[i].nsel; k++)
            free(dc[i].sel[k].p);
        free(dc[i].sel);
    }
    free(dc);
}

void dk_check_report_free(dk_check_report *rep)
{
    for (size_t i = 0; i < rep->n; i++)
        dk_findings_free(&rep->v[i].f);
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}

enum dk_severity dk_check_report_worst(const dk_check_report *rep)
{
    enum dk_severity w = DK_SEV_OK;

    for (size_t i = 0; i < rep->n; i++) {
        enum dk_severity s = dk_findings_worst(&rep->v[i].f);

        if (s > w)
            w = s;
    }
    return w;
}

typedef struct zsec {
    const char *zone;
    enum dk_dns_sec st;
    int rc; /* 0, or -1 with err */
    dk_err err;
    char why[400];
} zsec;

typedef struct sec_pool {
    pthread_mutex_t mu;
    zsec *z;
    size_t n, next;
    const dk_check_opts *o;
} sec_pool;

static void sec_one(dk_resolver *r, const dk_check_opts *o, zsec *z)
{
    z->rc = dk_dns_dnssec_status(r, o->anchor_file, z->zone, DK_DNS_SOA, &z->st, z->why,
                                 sizeof z->why, &z->err);
}

static void *sec_worker(void *arg)
{
    sec_pool *p = arg;
    dk_err e;
    dk_resolver *r = p->o->open_resolver(p->o->open_resolver_ud, &e);

    for (;;) {
        size_t i;

        pthread_mutex_lock(&p->mu);
        i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->n)
            break;
        if (r == NULL) {
            p->z[i].rc = -1;
            p->z[i].err = e;
            continue;
        }
        sec_one(r, p->o, &p->z[i]);
    }
    dk_resolver_free(r);
    return NULL;
}

/* The DNSSEC status of every distinct zone: in threads when the caller
 * can open resolvers, else one after the other. */
static int dnssec_zones(ctx *c, zsec *z, size_t n, dk_err *e)
{
    const dk_check_opts *o = c->o;
    pthread_t th[DK_CHECK_DNSSEC_THREADS];
    size_t nth = 0, want = n < DK_CHECK_DNSSEC_THREADS ? n : DK_CHECK_DNSSEC_THREADS;
    sec_pool p;

    if (o->open_resolver == NULL || n < 2) {
        for (size_t i = 0; i < n; i++) {
            sec_one(c->memo.r, o, &z[i]);
            if (dk_progress_step(o->progress, "dnssec", i + 1, n))
                return dk_err_set(e, DK_ECANCEL, "cancelled");
        }
        return 0;
    }
    memset(&p, 0, sizeof p);
    if (pthread_mutex_init(&p.mu, NULL) != 0)
        return dk_err_set(e, DK_EINTERNAL, "cannot make a mutex");
    p.z = z;
    p.n = n;
    p.o = o;
    for (; nth < want; nth++)
        if (pthread_create(&th[nth], NULL, sec_worker, &p) != 0)
            break;
    if (nth == 0)
        sec_worker(&p); /* no thread: do it here */
    for (size_t i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
    return 0;
}

static int dnssec(ctx *c, dk_check_report *rep, dk_err *e)
{
    zsec *z = dk_calloc(rep->n + 1, sizeof *z, e);
    size_t nz = 0;
    int rc = -1;

    if (z == NULL)
        return -1;
    for (size_t i = 0; i < rep->n; i++) {
        const char *zone = rep->v[i].zone[0] != '\0' ? rep->v[i].zone : rep->v[i].name;
        bool seen = false;

        for (size_t k = 0; k < nz && !seen; k++)
            seen = strcmp(z[k].zone, zone) == 0;
        if (!seen)
            z[nz++].zone = zone;
    }
    if (dnssec_zones(c, z, nz, e) < 0)
        goto out;
    for (size_t i = 0; i < rep->n; i++) {
        dk_check_domain *cd = &rep->v[i];
        const char *zone = cd->zone[0] != '\0' ? cd->zone : cd->name;
        const zsec *s = NULL;
        enum dk_severity sev;
        char msg[DK_ERR_MSG];

        for (size_t k = 0; k < nz && s == NULL; k++)
            if (strcmp(z[k].zone, zone) == 0)
                s = &z[k];
        if (s == NULL)
            continue;
        if (s->rc < 0) {
            if (dk_findings_add(&cd->f, DK_SEV_INFO, zone, NULL, "DNSSEC not checked: %s",
                                dk_err_format(&s->err, msg, sizeof msg)) < 0)
                goto out;
            continue;
        }
        cd->sec = s->st;
        sev = s->st == DK_DNS_SEC_SECURE  ? DK_SEV_OK
              : s->st == DK_DNS_SEC_BOGUS ? DK_SEV_CRIT
                                          : DK_SEV_INFO;
        if (dk_findings_add(&cd->f, sev, zone,
                            s->st == DK_DNS_SEC_BOGUS
                                ? "fix the zone's signatures or its DS record at the parent"
                                : NULL,
                            "DNSSEC %s: %s%s%s", dk_dns_sec_name(s->st), dk_dns_sec_explain(s->st),
                            s->why[0] != '\0' ? " -- " : "", s->why) < 0)
            goto out;
    }
    rc = 0;
out:
    free(z);
    return rc;
}

int dk_check_dns(dk_resolver *r, const dk_model *m, const dk_check_opts *o, dk_check_report *rep,
                 dk_err *e)
{
    ctx c;
    dom_ctx *dc = NULL;
    size_t n = 0, left;
    int rc = -1;

    memset(rep, 0, sizeof *rep);
    memset(&c, 0, sizeof c);
    c.o = o;
    c.e = e;
    if (o->domain != NULL && dk_model_find_domain(m, o->domain) == NULL)
        return dk_err_set(e, DK_ENOENT, "domain %s is not in the model", o->domain);
    if (o->psl == NULL)
        return dk_err_set(e, DK_EINTERNAL, "dk_check_dns needs the Public Suffix List");
    dc = dk_calloc(m->ndomains + 1, sizeof *dc, e);
    rep->v = dk_calloc(m->ndomains + 1, sizeof *rep->v, e);
    if (dc == NULL || rep->v == NULL)
        goto out;
    for (size_t i = 0; i < m->ndomains; i++) {
        if (o->domain != NULL && strcmp(m->domains[i].name, o->domain) != 0)
            continue;
        dc[n].d = &m->domains[i];
        dk_strlcpy(rep->v[n].name, m->domains[i].name, sizeof rep->v[n].name);
        dk_findings_init(&rep->v[n].f);
        rep->n = ++n;
        if (expect_keys(o, &dc[n - 1], e) < 0)
            goto out;
    }
    if (ck_memo_init(&c.memo, r, o->open_server, o->open_server_ud, o->auth_port, o->timeout_ms,
                     e) < 0)
        goto out;
    c.view = dk_resolver_new_stub(&memo_ops, &c, e);
    if (c.view == NULL) {
        ck_memo_free(&c.memo);
        goto out;
    }
    left = n;
    for (unsigned round = 0; left > 0; round++) {
        for (size_t i = 0; i < n; i++) {
            dk_findings f;
            unsigned long before = c.memo.misses;

            if (dc[i].done)
                continue;
            dk_findings_init(&f);
            if (check_domain(&c, &dc[i], &f) < 0) {
                dk_findings_free(&f);
                goto out_memo;
            }
            if (c.memo.misses == before) {
                rep->v[i].f = f;
                dk_strlcpy(rep->v[i].zone, dc[i].zone, sizeof rep->v[i].zone);
                dc[i].done = true;
                left--;
            } else {
                dk_findings_free(&f);
            }
        }
        if (left == 0)
            break;
        rep->rounds++;
        if (c.memo.npending == 0 && !c.memo.live) {
            c.memo.live = true; /* should not happen: ask what is missing directly */
            continue;
        }
        if (ck_memo_fetch(&c.memo, o->progress, e) < 0)
            goto out_memo;
        if (round + 1 >= MAX_ROUNDS)
            c.memo.live = true;
        if (round > MAX_ROUNDS + 2) { /* live answers finish every check: a bug */
            dk_err_set(e, DK_EINTERNAL, "the DNS checks did not finish");
            goto out_memo;
        }
        if (dk_progress_step(o->progress, "check", n - left, n)) {
            dk_err_set(e, DK_ECANCEL, "cancelled");
            goto out_memo;
        }
    }
    rep->queries = c.memo.asked;
    rep->nservers = c.memo.nsrv - 1;
    if (o->dnssec && dnssec(&c, rep, e) < 0)
        goto out_memo;
    rc = 0;
out_memo:
    dk_resolver_free(c.view);
    ck_memo_free(&c.memo);
out:
    free_doms(dc, n);
    if (rc < 0)
        dk_check_report_free(rep);
    return rc;
}
