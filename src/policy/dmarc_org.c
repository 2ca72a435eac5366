/* dmarc_org.c - organisational domain (libpsl), identifier alignment and
 * the RFC5322.From author domain. */
#include "policy/dmarc.h"

#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

struct dk_psl {
    psl_ctx_t *owned;     /* loaded here, freed with the object */
    const psl_ctx_t *ctx; /* what is used */
};

dk_psl *dk_psl_open(const char *file, dk_err *e)
{
    dk_psl *p = dk_calloc(1, sizeof *p, e);

    if (p == NULL)
        return NULL;
    p->owned = file != NULL ? psl_load_file(file) : psl_latest(NULL);
    p->ctx = p->owned != NULL ? p->owned : psl_builtin();
    if (p->ctx == NULL) {
        free(p);
        dk_err_set(e, DK_ENOENT,
                   "no Public Suffix List: %s could not be read and libpsl has no built-in "
                   "list (install the publicsuffix package)",
                   file != NULL ? file : "/usr/share/publicsuffix");
        return NULL;
    }
    return p;
}

void dk_psl_free(dk_psl *p)
{
    if (p == NULL)
        return;
    if (p->owned != NULL)
        psl_free(p->owned);
    free(p);
}

static const psl_ctx_t *ctx_of(const dk_psl *p)
{
    return p != NULL ? p->ctx : psl_builtin();
}

/* Lower case, no trailing dot, only letters, digits, '-', '_' and dots,
 * no empty label.  Returns false for anything else. */
static bool normalise(const char *in, char *out, size_t size)
{
    size_t n = strlen(in);

    if (n > 0 && in[n - 1] == '.')
        n--;
    if (n == 0 || n >= size || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!(isalnum(c) || c == '-' || c == '_' || c == '.'))
            return false;
        if (c == '.' && (i == 0 || in[i - 1] == '.'))
            return false;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return true;
}

bool dk_psl_is_suffix(const dk_psl *p, const char *domain)
{
    char d[256];
    const psl_ctx_t *c = ctx_of(p);

    if (c == NULL || !normalise(domain, d, sizeof d))
        return false;
    return psl_is_public_suffix(c, d) != 0;
}

int dk_org_domain(const dk_psl *p, const char *domain, char *out, size_t size, dk_err *e)
{
    char d[256];
    const psl_ctx_t *c = ctx_of(p);
    const char *reg;

    if (c == NULL)
        return dk_err_set(e, DK_ENOENT, "no Public Suffix List loaded");
    if (!normalise(domain, d, sizeof d))
        return dk_err_set(e, DK_EINVAL, "\"%.64s\" is not a domain name", domain);
    reg = psl_registrable_domain(c, d);
    if (reg == NULL)
        return dk_err_set(e, DK_EINVAL,
                          "%s is a public suffix (or below no registrable domain): it has no "
                          "organisational domain",
                          d);
    if (dk_strlcpy(out, reg, size) < 0)
        return dk_err_set(e, DK_EINTERNAL, "no room for the organisational domain");
    return 0;
}

bool dk_dmarc_aligned(const dk_psl *p, const char *from_domain, const char *auth_domain, char mode)
{
    char a[256], b[256];

    if (!normalise(from_domain, a, sizeof a) || !normalise(auth_domain, b, sizeof b))
        return false;
    if (mode == 's' || mode == 'S')
        return strcmp(a, b) == 0;
    if (dk_org_domain(p, a, a, sizeof a, NULL) < 0 || dk_org_domain(p, b, b, sizeof b, NULL) < 0)
        return false;
    return strcmp(a, b) == 0;
}

/* ---- From ---------------------------------------------------------------------------- */

#define FROM_MAX ((size_t)64 * 1024)

/* Skip a comment starting at s[i] == '('; returns the index after it or
 * (size_t)-1 when unterminated.  Nesting is bounded by the input. */
static size_t skip_comment(const char *s, size_t n, size_t i)
{
    size_t depth = 0;

    for (; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '(') {
            depth++;
        } else if (s[i] == ')') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return (size_t)-1;
}

static size_t skip_quoted(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return (size_t)-1;
}

/* The addr-spec text of one mailbox (s[0..n)), comments and the display
 * name removed, into out.  Returns 0, or -1 when it is not a mailbox. */
static int mailbox_addr(const char *s, size_t n, char *out, size_t size)
{
    size_t i = 0, o = 0, lt = (size_t)-1, gt = (size_t)-1;

    /* find a top-level <...> */
    while (i < n) {
        if (s[i] == '(') {
            i = skip_comment(s, n, i);
        } else if (s[i] == '"') {
            i = skip_quoted(s, n, i);
        } else if (s[i] == '<') {
            if (lt != (size_t)-1)
                return -1;
            lt = i;
            while (i < n && s[i] != '>')
                i++;
            if (i >= n)
                return -1;
            gt = i++;
        } else {
            i++;
        }
        if (i == (size_t)-1)
            return -1;
    }
    if (lt != (size_t)-1) {
        s += lt + 1;
        n = gt - lt - 1;
    }
    /* copy without comments and surrounding whitespace; quoted strings
     * kept; whitespace inside the address is refused */
    bool gap = false;
    for (i = 0; i < n;) {
        if (gap && o > 0 && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' &&
            s[i] != '(')
            return -1;
        if (s[i] == '(') {
            i = skip_comment(s, n, i);
            if (i == (size_t)-1)
                return -1;
        } else if (s[i] == '"') {
            size_t j = skip_quoted(s, n, i);
            if (j == (size_t)-1 || o + (j - i) >= size)
                return -1;
            memcpy(out + o, s + i, j - i);
            o += j - i;
            i = j;
            gap = false;
        } else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
            gap = true;
            i++;
        } else {
            if (o + 1 >= size)
                return -1;
            out[o++] = s[i++];
            gap = false;
        }
    }
    out[o] = '\0';
    return o > 0 ? 0 : -1;
}

int dk_dmarc_from_domain(const char *const *values, size_t n, char *domain, size_t size, dk_err *e)
{
    const char *s;
    size_t len, i = 0, start = 0, count = 0;
    char addr[1024], got[1024] = "";
    const char *at;

    if (n == 0)
        return dk_err_set(e, DK_EINVAL, "the message has no From header: DMARC fails");
    if (n > 1)
        return dk_err_set(e, DK_EINVAL,
                          "the message has %zu From headers: DMARC fails (a second From "
                          "could show another author than the one checked)",
                          n);
    s = values[0];
    len = strlen(s);
    if (len > FROM_MAX)
        return dk_err_set(e, DK_EINVAL, "the From header is longer than %zu bytes", FROM_MAX);
    /* a group "name: a, b;" holds its mailboxes between ':' and ';' */
    while (i <= len) {
        if (i < len && s[i] == '(') {
            i = skip_comment(s, len, i);
        } else if (i < len && s[i] == '"') {
            i = skip_quoted(s, len, i);
        } else if (i < len && s[i] == '<') {
            while (i < len && s[i] != '>')
                i++;
            i = i < len ? i + 1 : (size_t)-1;
        } else if (i < len && s[i] == ':') {
            start = ++i; /* group name ends */
        } else if (i == len || s[i] == ',' || s[i] == ';') {
            size_t a = start, b = i;
            while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n'))
                a++;
            if (a < b) {
                if (mailbox_addr(s + a, b - a, addr, sizeof addr) < 0)
                    return dk_err_set(e, DK_EINVAL,
                                      "the From header holds something that is not a "
                                      "mailbox: DMARC fails");
                if (++count > 1)
                    return dk_err_set(e, DK_EINVAL,
                                      "the From header holds more than one address: DMARC "
                                      "fails");
                dk_strlcpy(got, addr, sizeof got);
            }
            start = ++i;
        } else {
            i++;
        }
        if (i == (size_t)-1)
            return dk_err_set(e, DK_EINVAL,
                              "the From header has an unterminated comment, quoted string or "
                              "<address>: DMARC fails");
    }
    if (count == 0)
        return dk_err_set(e, DK_EINVAL, "the From header holds no address: DMARC fails");
    /* the '@' outside a quoted local-part */
    at = NULL;
    for (size_t k = 0; got[k] != '\0'; k++) {
        if (got[k] == '"') {
            size_t j = skip_quoted(got, strlen(got), k);
            if (j == (size_t)-1)
                break;
            k = j - 1;
        } else if (got[k] == '@') {
            at = got + k;
        }
    }
    if (at == NULL || at == got || at[1] == '\0')
        return dk_err_set(e, DK_EINVAL,
                          "the From address \"%.64s\" has no local@domain form: DMARC fails", got);
    {
        const char *d = at + 1;
        char *alabel = NULL;
        bool ok;

        for (const char *p = d; *p != '\0'; p++) {
            if ((unsigned char)*p >= 0x80) {
                /* an internationalised (UTF-8) domain: its A-label form */
                if (idn2_to_ascii_8z(d, &alabel, IDN2_NONTRANSITIONAL) != IDN2_OK)
                    alabel = NULL;
                if (alabel == NULL)
                    return dk_err_set(e, DK_EINVAL,
                                      "the From domain is not a valid internationalised domain "
                                      "name: DMARC fails");
                d = alabel;
                break;
            }
        }
        ok = d[0] != '[' && normalise(d, domain, size) && strchr(domain, '.') != NULL;
        idn2_free(alabel);
        if (!ok)
            return dk_err_set(e, DK_EINVAL,
                              "the From domain \"%.64s\" is not a domain name: DMARC fails",
                              at + 1);
    }
    return 0;
}

/* ---- evaluation ------------------------------------------------------------------------ */

const char *dk_dmarc_result_name(enum dk_dmarc_result r)
{
    switch (r) {
    case DK_DMARC_RES_PASS:
        return "pass";
    case DK_DMARC_RES_FAIL:
        return "fail";
    default:
        return "none";
    }
}

void dk_dmarc_evaluate(const dk_psl *psl, const char *from_domain, const dk_dmarc_record *rec,
                       const char *rec_domain, const char *spf_domain, bool spf_pass,
                       const char *const *dkim_domains, size_t ndkim, dk_dmarc_eval *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->policy = DK_DMARC_UNSET;
    if (from_domain == NULL) {
        ev->result = DK_DMARC_RES_FAIL;
        snprintf(ev->why, sizeof ev->why,
                 "the From header does not name exactly one author domain");
        return;
    }
    if (rec == NULL) {
        ev->result = DK_DMARC_RES_NONE;
        snprintf(ev->why, sizeof ev->why, "no DMARC policy applies to %.253s", from_domain);
        return;
    }
    ev->policy = rec->p;
    if (rec_domain != NULL && strcasecmp(rec_domain, from_domain) != 0 && rec->sp != DK_DMARC_UNSET)
        ev->policy = rec->sp;
    ev->sampled_out = rec->pct < 100 || rec->t == 'y';
    ev->spf_aligned =
        spf_pass && spf_domain != NULL && dk_dmarc_aligned(psl, from_domain, spf_domain, rec->aspf);
    for (size_t i = 0; i < ndkim && !ev->dkim_aligned; i++) {
        if (dkim_domains[i] != NULL &&
            dk_dmarc_aligned(psl, from_domain, dkim_domains[i], rec->adkim))
            ev->dkim_aligned = true;
    }
    if (ev->spf_aligned || ev->dkim_aligned) {
        ev->result = DK_DMARC_RES_PASS;
        snprintf(ev->why, sizeof ev->why, "%s%s%s aligned with %.253s",
                 ev->dkim_aligned ? "DKIM" : "", ev->dkim_aligned && ev->spf_aligned ? " and " : "",
                 ev->spf_aligned ? "SPF" : "", from_domain);
    } else {
        ev->result = DK_DMARC_RES_FAIL;
        snprintf(ev->why, sizeof ev->why,
                 "neither SPF nor DKIM passed aligned with %.253s (adkim=%c, aspf=%c)", from_domain,
                 rec->adkim, rec->aspf);
    }
}
