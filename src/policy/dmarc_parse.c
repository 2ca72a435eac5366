/* dmarc_parse.c - DMARC records (RFC 7489 6.3, 6.4; DMARCbis np, psd, t):
 * parsing, findings, report destinations, policy discovery. */
#include "policy/dmarc.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static bool is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

const char *dk_dmarc_p_name(enum dk_dmarc_p p)
{
    switch (p) {
    case DK_DMARC_NONE:
        return "none";
    case DK_DMARC_QUARANTINE:
        return "quarantine";
    case DK_DMARC_REJECT:
        return "reject";
    default:
        return "";
    }
}

bool dk_dmarc_is_record(const char *txt, size_t len)
{
    if (len < 8 || memcmp(txt, "v=DMARC1", 8) != 0)
        return false;
    return len == 8 || txt[8] == ';' || is_wsp((unsigned char)txt[8]);
}

int dk_dmarc_select(const dk_dns_txt *rr, size_t nrr, size_t *idx, dk_err *e)
{
    size_t found = 0;

    for (size_t i = 0; i < nrr; i++) {
        if (dk_dmarc_is_record(rr[i].data, rr[i].len) && found++ == 0)
            *idx = i;
    }
    if (found > 1)
        return dk_err_set(e, DK_EINVAL,
                          "%zu TXT records start with v=DMARC1; with more than one, DMARC does "
                          "not apply at all (RFC 7489 6.6.3)",
                          found);
    return found == 1 ? 1 : 0;
}

void dk_dmarc_record_free(dk_dmarc_record *r)
{
    dk_dmarc_uri *lists[2] = {r->rua, r->ruf};
    size_t ns[2] = {r->nrua, r->nruf};

    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ns[k]; i++) {
            free(lists[k][i].uri);
            free(lists[k][i].addr);
            free(lists[k][i].domain);
        }
        free(lists[k]);
    }
    memset(r, 0, sizeof *r);
}

/* ---- values ---------------------------------------------------------------------------- */

static int parse_p(const char *v, enum dk_dmarc_p *p)
{
    if (strcasecmp(v, "none") == 0)
        *p = DK_DMARC_NONE;
    else if (strcasecmp(v, "quarantine") == 0)
        *p = DK_DMARC_QUARANTINE;
    else if (strcasecmp(v, "reject") == 0)
        *p = DK_DMARC_REJECT;
    else
        return -1;
    return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    unsigned long x = 0;

    if (*v == '\0')
        return -1;
    for (; *v != '\0'; v++) {
        if (!isdigit((unsigned char)*v))
            return -1;
        if (x > (max - (unsigned long)(*v - '0')) / 10)
            return -1;
        x = x * 10 + (unsigned long)(*v - '0');
    }
    *out = x;
    return 0;
}

/* A domain name: labels of letters, digits, '-' (not at the ends), at
 * least two labels, 253 octets at most. */
static bool domain_ok(const char *s)
{
    size_t n = strlen(s), lab = 0, labels = 1;

    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (lab == 0 || s[i - 1] == '-')
                return false;
            lab = 0;
            labels++;
        } else if (isalnum(c) || (c == '-' && lab > 0)) {
            if (++lab > 63)
                return false;
        } else {
            return false;
        }
    }
    return lab > 0 && s[n - 1] != '-' && labels >= 2;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One dmarc-uri: URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] */
static int parse_uri(const char *s, size_t n, dk_dmarc_uri *u, const char *tag, dk_err *e)
{
    const char *bang = memchr(s, '!', n);
    size_t ulen = bang != NULL ? (size_t)(bang - s) : n;
    size_t i = 0;

    memset(u, 0, sizeof *u);
    if (bang != NULL) {
        const char *d = bang + 1, *end = s + n;
        unsigned long long v = 0, mult = 1;

        if (d >= end || !isdigit((unsigned char)*d))
            return dk_err_set(e, DK_EINVAL,
                              "%s: \"%.*s\": after '!' comes a size such as 10m; a '!' inside "
                              "the address must be written %%21",
                              tag, (int)(n > 80 ? 80 : n), s);
        for (; d < end && isdigit((unsigned char)*d); d++) {
            if (v > (ULLONG_MAX - 9) / 10)
                return dk_err_set(e, DK_EINVAL, "%s: the size limit is too large", tag);
            v = v * 10 + (unsigned long long)(*d - '0');
        }
        if (d < end) {
            switch (*d | 0x20) {
            case 'k':
                mult = 1024ULL;
                break;
            case 'm':
                mult = 1024ULL * 1024;
                break;
            case 'g':
                mult = 1024ULL * 1024 * 1024;
                break;
            case 't':
                mult = 1024ULL * 1024 * 1024 * 1024;
                break;
            default:
                mult = 0;
                break;
            }
            if (mult == 0 || d + 1 != end)
                return dk_err_set(e, DK_EINVAL,
                                  "%s: \"%.*s\": the size unit is k, m, g or t; a '!' inside "
                                  "the address must be written %%21",
                                  tag, (int)(n > 80 ? 80 : n), s);
        }
        if (v > ULLONG_MAX / mult)
            return dk_err_set(e, DK_EINVAL, "%s: the size limit is too large", tag);
        u->maxsize = v * mult;
        if (u->maxsize == 0)
            return dk_err_set(e, DK_EINVAL, "%s: a size limit of 0 is not allowed", tag);
    }
    /* scheme ":" ... */
    if (ulen == 0 || !isalpha((unsigned char)s[0]))
        return dk_err_set(e, DK_EINVAL,
                          "%s: \"%.*s\" is not a URI (write mailto:address; a ',' inside an "
                          "address must be written %%2C)",
                          tag, (int)(n > 80 ? 80 : n), s);
    while (i < ulen && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= ulen || s[i] != ':' || i + 1 == ulen)
        return dk_err_set(e, DK_EINVAL,
                          "%s: \"%.*s\" is not a URI (write mailto:address; a ',' inside an "
                          "address must be written %%2C)",
                          tag, (int)(n > 80 ? 80 : n), s);
    for (size_t k = 0; k < ulen; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c <= 0x20 || c >= 0x7f)
            return dk_err_set(e, DK_EINVAL, "%s: control, space or non-ASCII character in a URI",
                              tag);
        if (c == '%' && (k + 2 >= ulen || hexval(s[k + 1]) < 0 || hexval(s[k + 2]) < 0))
            return dk_err_set(e, DK_EINVAL, "%s: a '%%' in a URI must start %%XX (hex)", tag);
    }
    u->uri = dk_strndup(s, ulen, e);
    if (u->uri == NULL)
        return -1;
    if (i == 6 && strncasecmp(s, "mailto", 6) == 0) {
        const char *a = s + 7, *q = memchr(a, '?', ulen - 7);
        size_t alen = q != NULL ? (size_t)(q - a) : ulen - 7, k = 0, o = 0;
        char *addr = dk_calloc(alen + 1, 1, e);
        char *at;

        if (addr == NULL)
            return -1;
        while (k < alen) {
            if (a[k] == '%') {
                int c = hexval(a[k + 1]) * 16 + hexval(a[k + 2]);
                if (c < 0x21 || c > 0x7e) {
                    free(addr);
                    return dk_err_set(e, DK_EINVAL, "%s: an encoded control character in \"%s\"",
                                      tag, u->uri);
                }
                addr[o++] = (char)c;
                k += 3;
            } else {
                addr[o++] = a[k++];
            }
        }
        at = strrchr(addr, '@');
        if (at == NULL || at == addr || !domain_ok(at + 1)) {
            free(addr);
            return dk_err_set(e, DK_EINVAL,
                              "%s: \"%s\" is not a mailto: address of the form local@domain (a ',' "
                              "or '!' inside an address must be written %%2C or %%21)",
                              tag, u->uri);
        }
        u->addr = addr;
        u->domain = dk_strdup(at + 1, e);
        if (u->domain == NULL)
            return -1;
        for (char *p = u->domain; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    return 0;
}

static void uri_free(dk_dmarc_uri *u)
{
    free(u->uri);
    free(u->addr);
    free(u->domain);
}

static int parse_uris(const char *v, dk_dmarc_uri **out, size_t *nout, const char *tag, dk_err *e)
{
    size_t n = strlen(v), i = 0;

    if (n == 0)
        return dk_err_set(e, DK_EINVAL, "%s is empty: give at least one mailto: URI", tag);
    while (i <= n) {
        size_t j = i, a, b;
        dk_dmarc_uri u, *nv;

        while (j < n && v[j] != ',')
            j++;
        a = i;
        b = j;
        while (a < b && is_wsp((unsigned char)v[a]))
            a++;
        while (b > a && is_wsp((unsigned char)v[b - 1]))
            b--;
        if (a == b)
            return dk_err_set(e, DK_EINVAL, "%s: an empty URI in the list", tag);
        if (parse_uri(v + a, b - a, &u, tag, e) < 0) {
            uri_free(&u);
            return -1;
        }
        nv = dk_reallocarray(*out, *nout + 1, sizeof *nv, e);
        if (nv == NULL) {
            uri_free(&u);
            return -1;
        }
        *out = nv;
        nv[(*nout)++] = u;
        i = j + 1;
    }
    return 0;
}

/* ---- the tag list ----------------------------------------------------------------------- */

enum { T_V, T_P, T_SP, T_NP, T_PCT, T_ADKIM, T_ASPF, T_FO, T_RUA, T_RUF, T_RF, T_RI, T_PSD, T_T };

static const char *const tagnames[] = {"v",  "p",   "sp",  "np", "pct", "adkim", "aspf",
                                       "fo", "rua", "ruf", "rf", "ri",  "psd",   "t"};

static int bad(dk_err *e, const char *tag, const char *v, const char *accepted)
{
    return dk_err_set(e, DK_EINVAL, "%s=%.64s is invalid: %s", tag, v, accepted);
}

int dk_dmarc_parse(const char *txt, size_t len, dk_dmarc_record *r, const char *where,
                   dk_findings *out, dk_err *e)
{
    unsigned seen = 0;
    size_t i = 0, ntag = 0;
    bool p_ok = false;
    char pval[65] = "";
    char *buf;

    memset(r, 0, sizeof *r);
    r->pct = 100;
    r->adkim = r->aspf = 'r';
    r->fo = DK_DMARC_FO_0;
    r->psd = 'u';
    r->t = 'n';
    r->ri = 86400;
    if (where == NULL)
        where = "";
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)txt[k];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return dk_err_set(e, DK_EINVAL,
                              "control or non-ASCII character 0x%02x at column %zu of the DMARC "
                              "record",
                              c, k + 1);
    }
    if (!dk_dmarc_is_record(txt, len))
        return dk_err_set(e, DK_EINVAL,
                          "not a DMARC record: it must start with \"v=DMARC1\" (the first tag, "
                          "upper case)");
    buf = dk_strndup(txt, len, e);
    if (buf == NULL)
        return -1;
    while (i <= len) {
        size_t j = i, a, b, eq;
        char *name, *val;
        int tag = -1;

        while (j < len && buf[j] != ';')
            j++;
        a = i;
        b = j;
        i = j + 1;
        while (a < b && is_wsp((unsigned char)buf[a]))
            a++;
        while (b > a && is_wsp((unsigned char)buf[b - 1]))
            b--;
        if (a == b)
            continue;
        buf[b] = '\0';
        eq = a;
        while (eq < b && buf[eq] != '=')
            eq++;
        if (eq == b) {
            dk_err_set(e, DK_EINVAL, "\"%.40s\" has no '=': every tag is name=value", buf + a);
            goto fail;
        }
        name = buf + a;
        val = buf + eq + 1;
        while (eq > a && is_wsp((unsigned char)buf[eq - 1]))
            eq--;
        buf[eq] = '\0';
        while (is_wsp((unsigned char)*val))
            val++;
        if (*name == '\0') {
            dk_err_set(e, DK_EINVAL, "a tag with an empty name");
            goto fail;
        }
        for (char *p = name; *p != '\0'; p++) {
            if (!isalnum((unsigned char)*p) && *p != '_') {
                dk_err_set(e, DK_EINVAL, "\"%.40s\" is not a tag name", name);
                goto fail;
            }
        }
        for (int k = 0; k < (int)(sizeof tagnames / sizeof tagnames[0]); k++) {
            if (strcasecmp(name, tagnames[k]) == 0)
                tag = k;
        }
        if (ntag++ == 0 && tag != T_V) {
            dk_err_set(e, DK_EINVAL, "v=DMARC1 must be the first tag");
            goto fail;
        }
        if (tag < 0) {
            if (out != NULL && dk_findings_add(out, DK_SEV_INFO, where, "remove the tag",
                                               "unknown tag \"%s\" is ignored", name) < 0)
                goto oom;
            continue;
        }
        if (seen & (1u << tag)) {
            dk_err_set(e, DK_EINVAL, "the tag %s appears twice", tagnames[tag]);
            goto fail;
        }
        seen |= 1u << tag;
        switch (tag) {
        case T_V:
            if (ntag != 1 || strcmp(val, "DMARC1") != 0) {
                bad(e, "v", val, "v=DMARC1 and only as the first tag");
                goto fail;
            }
            break;
        case T_P:
            p_ok = parse_p(val, &r->p) == 0;
            dk_strlcpy(pval, val, sizeof pval);
            break;
        case T_SP:
        case T_NP:
            if (parse_p(val, tag == T_SP ? &r->sp : &r->np) < 0) {
                bad(e, tagnames[tag], val, "none, quarantine or reject");
                goto fail;
            }
            break;
        case T_PCT: {
            unsigned long x;
            if (parse_uint(val, 100, &x) < 0) {
                bad(e, "pct", val, "a whole number from 0 to 100");
                goto fail;
            }
            r->pct = (unsigned)x;
            r->pct_given = true;
            break;
        }
        case T_ADKIM:
        case T_ASPF:
            if (!((val[0] | 0x20) == 'r' || (val[0] | 0x20) == 's') || val[1] != '\0') {
                bad(e, tagnames[tag], val, "r (relaxed) or s (strict)");
                goto fail;
            }
            *(tag == T_ADKIM ? &r->adkim : &r->aspf) = (char)(val[0] | 0x20);
            break;
        case T_FO: {
            char *p = val;
            r->fo = 0;
            for (;;) {
                char *c = strchr(p, ':'), *s = p, *t;
                if (c != NULL)
                    *c = '\0';
                while (is_wsp((unsigned char)*s))
                    s++;
                t = s + strlen(s);
                while (t > s && is_wsp((unsigned char)t[-1]))
                    *--t = '\0';
                if (strlen(s) != 1 || strchr("01dsDS", s[0]) == NULL) {
                    bad(e, "fo", s, "0, 1, d or s, or a colon-separated list of them");
                    goto fail;
                }
                r->fo |= s[0] == '0'            ? DK_DMARC_FO_0
                         : s[0] == '1'          ? DK_DMARC_FO_1
                         : (s[0] | 0x20) == 'd' ? DK_DMARC_FO_D
                                                : DK_DMARC_FO_S;
                if (c == NULL)
                    break;
                p = c + 1;
            }
            break;
        }
        case T_RUA:
            if (parse_uris(val, &r->rua, &r->nrua, "rua", e) < 0)
                goto fail;
            break;
        case T_RUF:
            if (parse_uris(val, &r->ruf, &r->nruf, "ruf", e) < 0)
                goto fail;
            break;
        case T_RF:
            if (*val == '\0') {
                bad(e, "rf", val, "afrf");
                goto fail;
            }
            break;
        case T_RI: {
            unsigned long x;
            if (parse_uint(val, 4294967295UL, &x) < 0) {
                bad(e, "ri", val, "a number of seconds");
                goto fail;
            }
            r->ri = x;
            break;
        }
        case T_PSD:
        case T_T:
            if (strlen(val) != 1 || strchr(tag == T_PSD ? "ynuYNU" : "ynYN", val[0]) == NULL) {
                bad(e, tagnames[tag], val, tag == T_PSD ? "y, n or u" : "y or n");
                goto fail;
            }
            *(tag == T_PSD ? &r->psd : &r->t) = (char)(val[0] | 0x20);
            break;
        default:
            break;
        }
    }
    if (!p_ok) {
        if (r->nrua == 0) {
            if (seen & (1u << T_P))
                bad(e, "p", pval, "none, quarantine or reject");
            else
                dk_err_set(e, DK_EINVAL, "the p tag is missing: p=none, quarantine or reject");
            goto fail;
        }
        r->p = DK_DMARC_NONE;
        r->p_from_rua = true;
        if (out != NULL &&
            dk_findings_add(out, DK_SEV_WARN, where, "write p=none, p=quarantine or p=reject",
                            "p is %s; with a valid rua receivers treat the record as p=none "
                            "(RFC 7489 6.6.3)",
                            (seen & (1u << T_P)) ? "invalid" : "missing") < 0)
            goto oom;
    }
    free(buf);
    return 0;
oom:
    dk_err_set(e, DK_ENOMEM, "out of memory");
fail:
    free(buf);
    dk_dmarc_record_free(r);
    return -1;
}

/* ---- findings -------------------------------------------------------------------------- */

static int strength(enum dk_dmarc_p p)
{
    return p == DK_DMARC_REJECT ? 3 : p == DK_DMARC_QUARANTINE ? 2 : 1;
}

static int lint_dest(const dk_dmarc_uri *u, const char *domain, const dk_psl *psl,
                     const char *where, dk_findings *out)
{
    char name[600], rec[16];

    if (u->domain == NULL)
        return dk_findings_add(out, DK_SEV_WARN, where, "use a mailto: URI",
                               "\"%s\": receivers are only required to send reports to mailto: "
                               "URIs",
                               u->uri);
    if (!dk_dmarc_needs_auth(psl, domain, u->domain))
        return 0;
    if (dk_dmarc_report_auth(domain, u->domain, name, sizeof name, rec, sizeof rec, NULL) < 0)
        return 0;
    return dk_findings_add(
        out, DK_SEV_INFO, where, "the destination must publish it, or receivers drop the reports",
        "reports go to %s, outside %s: it needs TXT %s \"%s\"", u->domain, domain, name, rec);
}

int dk_dmarc_lint(const dk_dmarc_record *r, const char *domain, const dk_psl *psl, dk_findings *out)
{
    const char *w = domain;

    if (r->p == DK_DMARC_NONE &&
        dk_findings_add(out, DK_SEV_INFO, w,
                        "move to p=quarantine once the reports show all your mail aligned",
                        "p=none: monitoring only, failing mail is delivered as usual") < 0)
        return -1;
    if (r->pct < 100 &&
        dk_findings_add(out, DK_SEV_INFO, w, "raise pct to 100 when the reports are clean",
                        "pct=%u: the policy applies to %u%% of failing mail", r->pct, r->pct) < 0)
        return -1;
    if (r->t == 'y' && dk_findings_add(out, DK_SEV_INFO, w, "remove t=y when ready",
                                       "t=y: testing mode, receivers apply one step less") < 0)
        return -1;
    if (r->nrua == 0 &&
        dk_findings_add(out, DK_SEV_WARN, w, "add rua=mailto:dmarc-reports@<your domain>",
                        "no rua: you get no aggregate reports and cannot see who sends as "
                        "this domain") < 0)
        return -1;
    if (r->nruf > 0 &&
        dk_findings_add(out, DK_SEV_INFO, w, NULL,
                        "ruf: failure reports carry message data and few receivers send "
                        "them") < 0)
        return -1;
    if (r->sp != DK_DMARC_UNSET && strength(r->sp) < strength(r->p) &&
        dk_findings_add(out, DK_SEV_INFO, w, NULL, "sp=%s is weaker than p=%s for subdomains",
                        dk_dmarc_p_name(r->sp), dk_dmarc_p_name(r->p)) < 0)
        return -1;
    if (r->np != DK_DMARC_UNSET && strength(r->np) < strength(r->p) &&
        dk_findings_add(out, DK_SEV_INFO, w, NULL,
                        "np=%s is weaker than p=%s for non-existent subdomains",
                        dk_dmarc_p_name(r->np), dk_dmarc_p_name(r->p)) < 0)
        return -1;
    for (size_t i = 0; i < r->nrua; i++) {
        if (lint_dest(&r->rua[i], domain, psl, w, out) < 0)
            return -1;
    }
    for (size_t i = 0; i < r->nruf; i++) {
        if (lint_dest(&r->ruf[i], domain, psl, w, out) < 0)
            return -1;
    }
    return 0;
}

/* ---- report destinations ------------------------------------------------------------- */

bool dk_dmarc_needs_auth(const dk_psl *psl, const char *domain, const char *dest)
{
    char a[256], b[256];

    if (dk_org_domain(psl, domain, a, sizeof a, NULL) < 0 ||
        dk_org_domain(psl, dest, b, sizeof b, NULL) < 0)
        return strcasecmp(domain, dest) != 0;
    return strcmp(a, b) != 0;
}

int dk_dmarc_report_auth(const char *domain, const char *dest, char *name, size_t namesize,
                         char *record, size_t recsize, dk_err *e)
{
    char d1[256], d2[256];
    size_t n;
    int k;

    dk_strlcpy(d1, domain, sizeof d1);
    dk_strlcpy(d2, dest, sizeof d2);
    for (char *p = d1; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    for (char *p = d2; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    n = strlen(d1);
    if (n > 0 && d1[n - 1] == '.')
        d1[n - 1] = '\0';
    n = strlen(d2);
    if (n > 0 && d2[n - 1] == '.')
        d2[n - 1] = '\0';
    if (!domain_ok(d1) || !domain_ok(d2))
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" or \"%.64s\" is not a domain name", domain,
                          dest);
    k = snprintf(name, namesize, "%s._report._dmarc.%s", d1, d2);
    if (k < 0 || (size_t)k >= namesize || (size_t)k > 253)
        return dk_err_set(e, DK_EINVAL, "%s._report._dmarc.%s is longer than 253 octets", d1, d2);
    if (dk_strlcpy(record, "v=DMARC1", recsize) < 0)
        return dk_err_set(e, DK_EINTERNAL, "no room for the record");
    return 0;
}

int dk_dmarc_check_report_auth(dk_resolver *r, const char *domain, const char *dest, bool *ok,
                               enum dk_dns_rcode *rcode, dk_err *e)
{
    char name[600], rec[16];
    dk_dns_txt_answer a;

    *ok = false;
    if (dk_dmarc_report_auth(domain, dest, name, sizeof name, rec, sizeof rec, e) < 0)
        return -1;
    memset(&a, 0, sizeof a);
    if (dk_dns_txt_lookup(r, name, &a, e) < 0) {
        dk_dns_txt_answer_free(&a);
        return -1;
    }
    *rcode = a.rcode;
    for (size_t i = 0; a.rcode == DK_DNS_OK && i < a.nrr; i++) {
        if (dk_dmarc_is_record(a.rr[i].data, a.rr[i].len))
            *ok = true;
    }
    dk_dns_txt_answer_free(&a);
    return 0;
}

/* One name: 1 found (parsed), 0 none, 3 several, 2 temporary, -1 error. */
static int fetch_one(dk_resolver *res, const char *domain, dk_dmarc_record *rec, dk_err *e)
{
    char name[300];
    dk_dns_txt_answer a;
    size_t idx = 0;
    int rc, k;

    k = snprintf(name, sizeof name, "_dmarc.%s", domain);
    if (k < 0 || (size_t)k >= sizeof name)
        return dk_err_set(e, DK_EINVAL, "_dmarc.%.64s... is too long", domain);
    memset(&a, 0, sizeof a);
    if (dk_dns_txt_lookup(res, name, &a, e) < 0) {
        dk_dns_txt_answer_free(&a);
        return -1;
    }
    if (a.rcode == DK_DNS_SERVFAIL || a.rcode == DK_DNS_TIMEOUT) {
        dk_dns_txt_answer_free(&a);
        return 2;
    }
    if (a.rcode != DK_DNS_OK) {
        dk_dns_txt_answer_free(&a);
        return 0;
    }
    rc = dk_dmarc_select(a.rr, a.nrr, &idx, NULL);
    if (rc == 1) {
        if (dk_dmarc_parse(a.rr[idx].data, a.rr[idx].len, rec, name, NULL, e) < 0) {
            dk_err_prefix(e, "%s: ", name);
            rc = -1;
        }
    } else if (rc < 0) {
        rc = 3;
    }
    dk_dns_txt_answer_free(&a);
    return rc;
}

int dk_dmarc_fetch(dk_resolver *res, const dk_psl *psl, const char *from_domain,
                   dk_dmarc_record *rec, char *found_at, size_t size, dk_err *e)
{
    char org[256];
    int rc;

    memset(rec, 0, sizeof *rec);
    rc = fetch_one(res, from_domain, rec, e);
    if (rc == 1)
        dk_strlcpy(found_at, from_domain, size);
    if (rc != 0)
        return rc == 3 ? 0 : rc;
    if (dk_org_domain(psl, from_domain, org, sizeof org, NULL) < 0 ||
        strcasecmp(org, from_domain) == 0)
        return 0;
    rc = fetch_one(res, org, rec, e);
    if (rc == 1)
        dk_strlcpy(found_at, org, size);
    return rc == 3 ? 0 : rc;
}
