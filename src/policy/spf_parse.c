/* spf_parse.c - SPF record syntax (RFC 7208 4.5, 4.6, 5, 6, 7, 12). */
#include "policy/spf.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

/* ---- addresses ------------------------------------------------------------ */

static int parse_ip4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t start = i;

        if (part > 0) {
            if (i >= n || s[i] != '.')
                return -1;
            start = ++i;
        }
        while (i < n && is_digit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255)
            return -1;
        if (i - start > 1 && s[start] == '0') /* leading zero */
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == n ? 0 : -1;
}

static int parse_ip_n(const char *s, size_t n, int family, dk_spf_ip *ip)
{
    char tmp[64];

    memset(ip, 0, sizeof *ip);
    if (family == 4) {
        ip->family = 4;
        return parse_ip4(s, n, ip->b);
    }
    if (n == 0 || n >= sizeof tmp)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
              c == '.'))
            return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    ip->family = 6;
    return inet_pton(AF_INET6, tmp, ip->b) == 1 ? 0 : -1;
}

int dk_spf_ip_parse(const char *s, dk_spf_ip *ip, dk_err *e)
{
    size_t n = strlen(s);

    if (strchr(s, ':') == NULL) {
        if (parse_ip_n(s, n, 4, ip) == 0)
            return 0;
        return dk_err_set(e, DK_EINVAL,
                          "\"%.64s\" is not an IPv4 address: four numbers 0-255 without "
                          "leading zeros, no port",
                          s);
    }
    if (parse_ip_n(s, n, 6, ip) == 0)
        return 0;
    return dk_err_set(e, DK_EINVAL, "\"%.64s\" is not an IPv6 address (RFC 4291 text form)", s);
}

const char *dk_spf_ip_format(const dk_spf_ip *ip, char *out, size_t size)
{
    if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->b, out, (socklen_t)size) == NULL) {
        if (size > 0)
            out[0] = '\0';
    }
    return out;
}

bool dk_spf_ip_in(const dk_spf_ip *ip, const dk_spf_ip *net, unsigned prefix)
{
    unsigned bits = ip->family == 4 ? 32 : 128;

    if (ip->family != net->family)
        return false;
    if (prefix > bits)
        prefix = bits;
    for (unsigned i = 0; i < prefix / 8; i++) {
        if (ip->b[i] != net->b[i])
            return false;
    }
    if (prefix % 8 != 0) {
        uint8_t mask = (uint8_t)(0xff << (8 - prefix % 8));
        if ((ip->b[prefix / 8] & mask) != (net->b[prefix / 8] & mask))
            return false;
    }
    return true;
}

/* ---- record selection ---------------------------------------------------------- */

bool dk_spf_is_record(const char *txt, size_t len)
{
    if (len < 6 || strncasecmp(txt, "v=spf1", 6) != 0)
        return false;
    return len == 6 || txt[6] == ' ';
}

int dk_spf_select(const dk_dns_txt *rr, size_t nrr, size_t *idx, dk_err *e)
{
    size_t found = 0;

    for (size_t i = 0; i < nrr; i++) {
        if (dk_spf_is_record(rr[i].data, rr[i].len)) {
            if (found++ == 0)
                *idx = i;
        }
    }
    if (found > 1)
        return dk_err_set(e, DK_EINVAL,
                          "%zu TXT records start with v=spf1; exactly one is allowed "
                          "(RFC 7208 4.5: permerror)",
                          found);
    return found == 1 ? 1 : 0;
}

/* ---- macro-string and domain-spec ----------------------------------------------------- */

static bool is_delim(int c)
{
    return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

static bool is_letter(int c, bool in_exp)
{
    c = c | 0x20;
    if (c != '\0' && strchr("slodiphv", c) != NULL)
        return true;
    return in_exp && (c == 'c' || c == 'r' || c == 't');
}

/* Is the literal tail [s, s+n) "." toplabel ["."]? */
static bool good_domain_end(const char *s, size_t n)
{
    size_t end = n, start;
    bool alpha = false, hyphen = false;

    if (end > 0 && s[end - 1] == '.')
        end--;
    start = end;
    while (start > 0 && s[start - 1] != '.')
        start--;
    if (start == 0 || start == end) /* no dot before the top label, or empty label */
        return false;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_alpha(c))
            alpha = true;
        else if (c == '-')
            hyphen = true;
        else if (!is_digit(c))
            return false;
    }
    if (s[start] == '-' || s[end - 1] == '-')
        return false;
    return alpha || hyphen;
}

int dk_spf_check_spec(const char *spec, bool in_exp, bool domain, dk_err *e)
{
    size_t n = strlen(spec), i = 0, lit_start = 0;
    bool ends_macro = false;

    if (n == 0)
        return dk_err_set(e, DK_EINVAL, "empty domain-spec");
    while (i < n) {
        unsigned char c = (unsigned char)spec[i];

        if (c == '%') {
            if (i + 1 >= n)
                return dk_err_set(e, DK_EINVAL,
                                  "a '%%' at the end: write %%%% for a literal '%%' "
                                  "(RFC 7208 7.1)");
            c = (unsigned char)spec[i + 1];
            if (c == '%' || c == '_' || c == '-') {
                i += 2;
            } else if (c == '{') {
                size_t j = i + 2;
                bool zero = true, digits = false;

                if (j >= n || !is_letter((unsigned char)spec[j], in_exp))
                    return dk_err_set(e, DK_EINVAL,
                                      "invalid macro letter in \"%.40s\": accepted are "
                                      "s l o d i p h v%s",
                                      spec + i, in_exp ? " c r t" : " (c r t only in exp)");
                j++;
                while (j < n && is_digit((unsigned char)spec[j])) {
                    digits = true;
                    if (spec[j] != '0')
                        zero = false;
                    j++;
                }
                if (digits && zero)
                    return dk_err_set(e, DK_EINVAL,
                                      "macro transformer 0 in \"%.40s\": the number of "
                                      "parts must be at least 1",
                                      spec + i);
                if (j < n && (spec[j] | 0x20) == 'r')
                    j++;
                while (j < n && is_delim((unsigned char)spec[j]))
                    j++;
                if (j >= n || spec[j] != '}')
                    return dk_err_set(e, DK_EINVAL,
                                      "unterminated or invalid macro \"%.40s\": "
                                      "%%{letter[digits][r][delimiters]}",
                                      spec + i);
                i = j + 1;
            } else {
                return dk_err_set(e, DK_EINVAL,
                                  "'%%' must be followed by {, %%, _ or - (RFC 7208 7.1)");
            }
            ends_macro = true;
            lit_start = i;
        } else if (c >= 0x21 && c <= 0x7e) {
            ends_macro = false;
            i++;
        } else {
            return dk_err_set(e, DK_EINVAL, "control or non-ASCII character 0x%02x", c);
        }
    }
    if (!domain || ends_macro)
        return 0;
    /* the literal tail: labels not empty, ends in "." toplabel */
    if (lit_start == 0 && spec[0] == '.')
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" starts with a dot", spec);
    if (strstr(spec + lit_start, "..") != NULL)
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" has an empty label", spec);
    if (!good_domain_end(spec + lit_start, n - lit_start))
        return dk_err_set(e, DK_EINVAL,
                          "\"%.64s\" does not end in a domain name (a dot and a top label "
                          "that is not all digits)",
                          spec);
    return 0;
}

/* ---- terms -------------------------------------------------------------------------- */

void dk_spf_record_free(dk_spf_record *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nterms; i++) {
        free(r->terms[i].text);
        free(r->terms[i].name);
        free(r->terms[i].spec);
    }
    free(r->terms);
    r->terms = NULL;
    r->nterms = 0;
    r->redirect = r->exp = r->all = -1;
}

/* Parse "/N" with N in 0..max, no leading zero. Returns chars used or -1. */
static int parse_cidr(const char *s, size_t n, unsigned max, int *out)
{
    size_t i = 1;
    unsigned v = 0;

    if (n < 2 || s[0] != '/' || !is_digit((unsigned char)s[1]))
        return -1;
    while (i < n && is_digit((unsigned char)s[i]) && i <= 4)
        v = v * 10 + (unsigned)(s[i++] - '0');
    if (i < n && is_digit((unsigned char)s[i]))
        return -1;
    if (i > 2 && s[1] == '0')
        return -1;
    if (v > max)
        return -1;
    *out = (int)v;
    return (int)i;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
static int parse_dual_cidr(const char *s, size_t n, int *c4, int *c6)
{
    size_t i = 0;
    int k;

    if (n == 0)
        return 0;
    if (n >= 2 && s[0] == '/' && s[1] != '/') {
        k = parse_cidr(s, n, 32, c4);
        if (k < 0)
            return -1;
        i = (size_t)k;
    }
    if (i < n) {
        if (n - i < 3 || s[i] != '/' || s[i + 1] != '/')
            return -1;
        k = parse_cidr(s + i + 1, n - i - 1, 128, c6);
        if (k < 0)
            return -1;
        i += 1 + (size_t)k;
    }
    return i == n ? 0 : -1;
}

/* Where a dual-cidr-length suffix ("/N", "//N", "/N//N") at the end of a
 * domain-spec starts, or n.  A '/' elsewhere belongs to the domain-spec
 * (RFC 7208 7.1 allows it: "a:foo:bar/baz.example.com" is valid). */
static size_t cidr_suffix(const char *s, size_t n)
{
    size_t i = n, j = n;

    while (j > 0 && is_digit((unsigned char)s[j - 1]))
        j--;
    if (j < i && j >= 2 && s[j - 1] == '/' && s[j - 2] == '/') {
        i = j - 2;
        j = i;
        while (j > 0 && is_digit((unsigned char)s[j - 1]))
            j--;
    }
    if (j < i && j >= 1 && s[j - 1] == '/' && !(j >= 2 && s[j - 2] == '/'))
        i = j - 1;
    return i;
}

static const struct {
    const char *name;
    enum dk_spf_kind kind;
} mechs[] = {
    {"all", DK_SPF_ALL}, {"include", DK_SPF_INCLUDE}, {"a", DK_SPF_A},
    {"mx", DK_SPF_MX},   {"ptr", DK_SPF_PTR},         {"ip4", DK_SPF_IP4},
    {"ip6", DK_SPF_IP6}, {"exists", DK_SPF_EXISTS},
};

static int term_err(dk_err *e, unsigned col, const char *t, size_t n, const char *why)
{
    return dk_err_setloc(e, DK_EINVAL, NULL, 0, col, "SPF term \"%.*s\": %s (permerror)",
                         (int)(n > 80 ? 80 : n), t, why);
}

static int spec_err(dk_err *e, unsigned col, const char *t, size_t n)
{
    char why[DK_ERR_MSG];

    dk_strlcpy(why, e != NULL ? e->msg : "invalid domain-spec", sizeof why);
    return term_err(e, col, t, n, why);
}

static int parse_modifier(const char *t, size_t n, size_t eq, dk_spf_term *x, dk_spf_record *r,
                          size_t idx, dk_err *e)
{
    char *name = dk_strndup(t, eq, e);
    char *val = dk_strndup(t + eq + 1, n - eq - 1, e);

    if (name == NULL || val == NULL) {
        free(name);
        free(val);
        return -1;
    }
    x->spec = val;
    if (strcasecmp(name, "redirect") == 0 || strcasecmp(name, "exp") == 0) {
        bool redir = (name[0] | 0x20) == 'r';
        int *slot = redir ? &r->redirect : &r->exp;

        free(name);
        x->kind = redir ? DK_SPF_REDIRECT : DK_SPF_EXP;
        if (*slot >= 0)
            return term_err(e, x->col, t, n,
                            redir ? "a second redirect= modifier; at most one is allowed"
                                  : "a second exp= modifier; at most one is allowed");
        *slot = (int)idx;
        if (dk_spf_check_spec(val, false, true, e) < 0)
            return spec_err(e, x->col, t, n);
    } else {
        x->kind = DK_SPF_UNKNOWN;
        x->name = name;
        if (val[0] != '\0' && dk_spf_check_spec(val, false, false, e) < 0)
            return spec_err(e, x->col, t, n);
    }
    x->has_macro = strchr(val, '%') != NULL;
    return 0;
}

static int parse_term(const char *t, size_t n, dk_spf_term *x, dk_spf_record *r, size_t idx,
                      dk_err *e)
{
    size_t i = 0, nl, rest, slash;
    const char *p;

    x->cidr4 = x->cidr6 = -1;
    x->q = DK_Q_PASS;
    x->text = dk_strndup(t, n, e);
    if (x->text == NULL)
        return -1;
    /* modifier: name "=" ... with name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
    if (is_alpha((unsigned char)t[0])) {
        size_t j = 1;
        while (j < n &&
               (is_alnum((unsigned char)t[j]) || t[j] == '-' || t[j] == '_' || t[j] == '.'))
            j++;
        if (j < n && t[j] == '=')
            return parse_modifier(t, n, j, x, r, idx, e);
    }
    switch (t[0]) {
    case '+':
        x->q = DK_Q_PASS;
        i = 1;
        break;
    case '-':
        x->q = DK_Q_FAIL;
        i = 1;
        break;
    case '~':
        x->q = DK_Q_SOFTFAIL;
        i = 1;
        break;
    case '?':
        x->q = DK_Q_NEUTRAL;
        i = 1;
        break;
    default:
        break;
    }
    x->q_written = i == 1;
    nl = i;
    while (nl < n && t[nl] != ':' && t[nl] != '/')
        nl++;
    {
        bool found = false;
        for (size_t k = 0; k < sizeof mechs / sizeof mechs[0]; k++) {
            if (strlen(mechs[k].name) == nl - i && strncasecmp(t + i, mechs[k].name, nl - i) == 0) {
                x->kind = mechs[k].kind;
                found = true;
                break;
            }
        }
        if (!found)
            return term_err(e, x->col, t, n,
                            "unknown mechanism; accepted: all include a mx ptr ip4 ip6 exists, "
                            "or a modifier name=value");
    }
    p = t + nl;
    rest = n - nl;
    switch (x->kind) {
    case DK_SPF_ALL:
        if (rest != 0)
            return term_err(e, x->col, t, n, "\"all\" takes no argument and no CIDR length");
        return 0;
    case DK_SPF_INCLUDE:
    case DK_SPF_EXISTS:
    case DK_SPF_PTR:
        if (rest == 0) {
            if (x->kind == DK_SPF_PTR)
                return 0;
            return term_err(e, x->col, t, n, "needs \":domain\"");
        }
        if (p[0] != ':')
            return term_err(e, x->col, t, n, "takes no CIDR length");
        if (rest == 1)
            return term_err(e, x->col, t, n, "empty domain after ':'");
        x->spec = dk_strndup(p + 1, rest - 1, e);
        if (x->spec == NULL)
            return -1;
        if (dk_spf_check_spec(x->spec, false, true, e) < 0)
            return spec_err(e, x->col, t, n);
        x->has_macro = strchr(x->spec, '%') != NULL;
        return 0;
    case DK_SPF_A:
    case DK_SPF_MX:
        slash = 0;
        if (rest > 0 && p[0] == ':') {
            slash = 1 + cidr_suffix(p + 1, rest - 1);
            if (slash == 1)
                return term_err(e, x->col, t, n, "empty domain after ':'");
            x->spec = dk_strndup(p + 1, slash - 1, e);
            if (x->spec == NULL)
                return -1;
            if (dk_spf_check_spec(x->spec, false, true, e) < 0)
                return spec_err(e, x->col, t, n);
            x->has_macro = strchr(x->spec, '%') != NULL;
        }
        if (parse_dual_cidr(p + slash, rest - slash, &x->cidr4, &x->cidr6) < 0)
            return term_err(e, x->col, t, n,
                            "invalid CIDR length: /0-32 for IPv4 and //0-128 for IPv6, "
                            "no leading zeros");
        return 0;
    case DK_SPF_IP4:
    case DK_SPF_IP6: {
        bool v4 = x->kind == DK_SPF_IP4;

        if (rest < 2 || p[0] != ':')
            return term_err(e, x->col, t, n, v4 ? "needs \":address\"" : "needs \":address\"");
        slash = 1;
        while (slash < rest && p[slash] != '/')
            slash++;
        if (parse_ip_n(p + 1, slash - 1, v4 ? 4 : 6, &x->net) < 0)
            return term_err(e, x->col, t, n,
                            v4 ? "not an IPv4 address (four numbers 0-255, no leading zeros, "
                                 "no port)"
                               : "not an IPv6 address (RFC 4291 text form, no port)");
        if (slash < rest) {
            int *c = v4 ? &x->cidr4 : &x->cidr6;
            int k = parse_cidr(p + slash, rest - slash, v4 ? 32 : 128, c);
            if (k < 0 || (size_t)k != rest - slash)
                return term_err(e, x->col, t, n,
                                v4 ? "invalid CIDR length: /0 to /32, no leading zeros"
                                   : "invalid CIDR length: /0 to /128, no leading zeros");
        }
        return 0;
    }
    default:
        return term_err(e, x->col, t, n, "internal: unexpected term");
    }
}

int dk_spf_parse(const char *txt, size_t len, dk_spf_record *r, dk_err *e)
{
    size_t i, cap = 0;

    memset(r, 0, sizeof *r);
    r->redirect = r->exp = r->all = -1;
    if (!dk_spf_is_record(txt, len))
        return dk_err_setloc(e, DK_EINVAL, NULL, 0, 1,
                             "not an SPF record: it must start with \"v=spf1\" followed by a "
                             "space or the end");
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)txt[i];
        if (c < 0x20 || c > 0x7e) {
            dk_err_setloc(e, DK_EINVAL, NULL, 0, (unsigned)(i + 1),
                          "control or non-ASCII character 0x%02x in the SPF record at "
                          "column %zu; only printable ASCII and spaces are allowed (permerror)",
                          c, i + 1);
            return -1;
        }
    }
    i = 6;
    while (i < len) {
        size_t start, n;
        dk_spf_term *x;

        while (i < len && txt[i] == ' ')
            i++;
        if (i >= len)
            break;
        start = i;
        while (i < len && txt[i] != ' ')
            i++;
        n = i - start;
        if (r->nterms == cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            dk_spf_term *v = dk_reallocarray(r->terms, ncap, sizeof *v, e);
            if (v == NULL) {
                dk_spf_record_free(r);
                return -1;
            }
            r->terms = v;
            cap = ncap;
        }
        x = &r->terms[r->nterms++];
        memset(x, 0, sizeof *x);
        x->col = (unsigned)(start + 1);
        if (parse_term(txt + start, n, x, r, r->nterms - 1, e) < 0) {
            dk_spf_record_free(r);
            return -1;
        }
        if (x->kind == DK_SPF_ALL && r->all < 0)
            r->all = (int)(r->nterms - 1);
    }
    return 0;
}

/* ---- findings on a parsed record ------------------------------------------------------ */

static int lint(const dk_spf_record *r, const char *where, bool included, dk_findings *out)
{
    for (size_t i = 0; i < r->nterms; i++) {
        const dk_spf_term *x = &r->terms[i];

        if (r->all >= 0 && i > (size_t)r->all && x->kind <= DK_SPF_EXISTS) {
            if (dk_findings_add(out, DK_SEV_WARN, where,
                                "move the term before \"all\" or remove it",
                                "\"%s\" comes after \"all\" and is never evaluated", x->text) < 0)
                return -1;
        }
        switch (x->kind) {
        case DK_SPF_ALL:
            if (x->q == DK_Q_PASS && (size_t)r->all == i) {
                if (dk_findings_add(out, DK_SEV_CRIT, where, "end the record with -all or ~all",
                                    "\"%s\" lets every host on the internet pass SPF for this "
                                    "domain",
                                    x->text) < 0)
                    return -1;
            } else if (x->q == DK_Q_NEUTRAL && (size_t)r->all == i) {
                if (dk_findings_add(out, DK_SEV_INFO, where, "end the record with -all or ~all",
                                    "?all (neutral) tells receivers nothing about other "
                                    "senders") < 0)
                    return -1;
            }
            break;
        case DK_SPF_PTR:
            if (dk_findings_add(out, DK_SEV_WARN, where,
                                "replace ptr with ip4:/ip6: or a: terms for the sending hosts",
                                "\"%s\": the ptr mechanism is slow and unreliable; RFC 7208 "
                                "5.5 says do not use it",
                                x->text) < 0)
                return -1;
            break;
        case DK_SPF_REDIRECT:
            if (r->all >= 0 &&
                dk_findings_add(out, DK_SEV_WARN, where, "remove either \"all\" or the redirect",
                                "\"%s\" is ignored because the record has an "
                                "\"all\" mechanism (RFC 7208 6.1)",
                                x->text) < 0)
                return -1;
            break;
        case DK_SPF_UNKNOWN:
            if (dk_findings_add(out, DK_SEV_INFO, where, "remove it unless a tool needs it",
                                "unknown modifier \"%s\" is ignored", x->text) < 0)
                return -1;
            break;
        default:
            break;
        }
    }
    if (!included && r->all < 0 && r->redirect < 0) {
        if (dk_findings_add(out, DK_SEV_WARN, where, "end the record with -all or ~all",
                            "the record has no \"all\" and no redirect: other senders get "
                            "neutral") < 0)
            return -1;
    }
    return 0;
}

int dk_spf_lint(const dk_spf_record *r, const char *where, dk_findings *out)
{
    return lint(r, where, false, out);
}

int dk_spf_lint_included(const dk_spf_record *r, const char *where, dk_findings *out)
{
    return lint(r, where, true, out);
}

int dk_spf_lint_length(size_t len, const char *where, dk_findings *out)
{
    if (len > DK_SPF_RECORD_ADVICE) {
        if (dk_findings_add(out, DK_SEV_WARN, where,
                            "shorten the record: merge ip4/ip6 ranges or use fewer includes",
                            "the SPF record is %zu octets, over the %d RFC 7208 3.4 advises "
                            "(the answer may not fit in 512-byte UDP)",
                            len, DK_SPF_RECORD_ADVICE) < 0)
            return -1;
    }
    if (len > DK_SPF_STRING_MAX) {
        if (dk_findings_add(out, DK_SEV_WARN, where,
                            "publish it as several quoted strings of at most 255 octets in "
                            "one TXT record",
                            "the SPF record is %zu octets: one TXT string holds at most 255",
                            len) < 0)
            return -1;
    }
    return 0;
}
