/* records.c - DKIM, SPF and DMARC TXT records as zone, plain or nsupdate text. */
#include "render/records.h"

#include "policy/dmarc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void dk_records_init(dk_records *rs)
{
    rs->v = NULL;
    rs->n = 0;
    rs->cap = 0;
}

void dk_records_free(dk_records *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->v[i].value);
    free(rs->v);
    dk_records_init(rs);
}

static int records_add(dk_records *rs, enum dk_rec_kind kind, const char *domain,
                       const char *prefix, dk_buf *value, dk_err *e)
{
    dk_record *r;
    int n;

    if (rs->n == rs->cap) {
        size_t ncap = rs->cap == 0 ? 8 : rs->cap * 2;
        dk_record *nv = dk_reallocarray(rs->v, ncap, sizeof *nv, e);

        if (nv == NULL)
            return -1;
        rs->v = nv;
        rs->cap = ncap;
    }
    r = &rs->v[rs->n];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    if (dk_strlcpy(r->domain, domain, sizeof r->domain) < 0)
        return dk_err_set(e, DK_EINVAL, "domain name '%s' is too long", domain);
    n = snprintf(r->name, sizeof r->name, "%s%s", prefix, domain);
    /* a DNS name holds at most 253 octets in text form without the final dot */
    if (n < 0 || (size_t)n >= sizeof r->name || n > 253)
        return dk_err_set(e, DK_EINVAL,
                          "record name %s%s is longer than 253 octets; use a shorter selector",
                          prefix, domain);
    r->value = dk_buf_steal(value, NULL);
    if (r->value == NULL)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    rs->n++;
    return 0;
}

/* ---- values ---------------------------------------------------------------- */

int dk_record_dkim_value(enum dk_keyalg alg, const char *p_b64, dk_buf *out, dk_err *e)
{
    const char *k = alg == DK_KEY_ED25519 ? "ed25519" : "rsa";

    for (const char *c = p_b64; *c != '\0'; c++) {
        bool b64 = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                   (*c >= '0' && *c <= '9') || *c == '+' || *c == '/' || *c == '=';
        if (!b64)
            return dk_err_set(e, DK_EINVAL, "public key is not base64 (byte 0x%02x)",
                              (unsigned char)*c);
    }
    return dk_buf_printf(out, e, "v=DKIM1; k=%s; p=%s", k, p_b64);
}

/* An SPF term value: printable ASCII, no space, quote or backslash. */
static int spf_term_ok(const char *v, const char *field, size_t i, dk_err *e)
{
    if (v[0] == '\0')
        return dk_err_setloc(e, DK_EINVAL, field, 0, 0, "entry %zu is empty", i + 1);
    for (const char *c = v; *c != '\0'; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '"' || *c == '\\')
            return dk_err_setloc(e, DK_EINVAL, field, 0, 0,
                                 "entry %zu ('%s') holds a space, quote, backslash or a byte "
                                 "outside printable ASCII",
                                 i + 1, v);
    return 0;
}

static int spf_list(dk_buf *out, const dk_strlist *l, const char *mech, const char *field,
                    dk_err *e)
{
    for (size_t i = 0; i < l->n; i++) {
        if (spf_term_ok(l->v[i], field, i, e) < 0)
            return -1;
        if (dk_buf_printf(out, e, " %s:%s", mech, l->v[i]) < 0)
            return -1;
    }
    return 0;
}

int dk_record_spf_value(const dk_domain *d, dk_buf *out, dk_err *e)
{
    const dk_spf_policy *s = &d->spf;
    static const char qual[] = {'+', '-', '~', '?'};
    char field[DK_DOMAIN_MAX + 64];

    if ((unsigned)s->all > DK_Q_NEUTRAL)
        return dk_err_setloc(e, DK_EINVAL, "spf.all", 0, 0,
                             "unknown qualifier; accepted: pass, fail, softfail, neutral");
    if (dk_buf_puts(out, "v=spf1", e) < 0)
        return -1;
    if (s->mx && dk_buf_puts(out, " mx", e) < 0)
        return -1;
    if (s->a && dk_buf_puts(out, " a", e) < 0)
        return -1;
    (void)snprintf(field, sizeof field, "%s: spf.ip4", d->name);
    if (spf_list(out, &s->ip4, "ip4", field, e) < 0)
        return -1;
    (void)snprintf(field, sizeof field, "%s: spf.ip6", d->name);
    if (spf_list(out, &s->ip6, "ip6", field, e) < 0)
        return -1;
    (void)snprintf(field, sizeof field, "%s: spf.include", d->name);
    if (spf_list(out, &s->include, "include", field, e) < 0)
        return -1;
    return dk_buf_printf(out, e, " %call", qual[s->all]);
}

int dk_record_dmarc_value(const dk_domain *d, dk_buf *out, dk_err *e)
{
    if (dk_dmarc_record_text(&d->dmarc, d->dmarc.p, d->dmarc.pct, out, e) < 0)
        return dk_err_prefix(e, "%s: ", d->name);
    return 0;
}

/* ---- the model's records ------------------------------------------------------ */

int dk_records_add_dkim(dk_records *out, const dk_domain *d, const dk_selector *s,
                        const char *p_b64, dk_err *e)
{
    char prefix[DK_SELECTOR_MAX + 16];
    dk_buf v;
    int rc;

    dk_buf_init(&v, 0);
    (void)snprintf(prefix, sizeof prefix, "%s._domainkey.", s->name);
    rc = dk_record_dkim_value(s->alg, s->state == DK_SEL_REVOKED ? "" : p_b64, &v, e);
    if (rc == 0)
        rc = records_add(out, DK_REC_DKIM, d->name, prefix, &v, e);
    dk_buf_free(&v);
    return rc;
}

static int build_domain(const dk_domain *d, dk_pubkey_fn fn, void *ud, dk_records *out,
                        dk_findings *notes, dk_err *e)
{
    dk_buf v, key;
    int rc = -1;

    dk_buf_init(&v, 0);
    dk_buf_init(&key, 0);
    for (size_t i = 0; i < d->nsel; i++) {
        const dk_selector *s = &d->sel[i];

        dk_buf_reset(&key);
        dk_buf_reset(&v);
        if (s->state != DK_SEL_REVOKED) {
            if (fn == NULL) {
                dk_err_set(e, DK_EINTERNAL, "no public key source");
                goto out;
            }
            if (fn(ud, d, s, &key, e) < 0) {
                if (e == NULL || e->code != DK_ENOENT)
                    goto out;
                if (notes != NULL &&
                    dk_findings_add(notes, DK_SEV_WARN, d->name, "run 'dkimctl keygen'",
                                    "selector %s: no key file at %s; its DKIM record is left out",
                                    s->name, s->key_path) < 0) {
                    dk_err_set(e, DK_ENOMEM, "out of memory");
                    goto out;
                }
                continue;
            }
        }
        if (dk_records_add_dkim(out, d, s, key.data != NULL ? key.data : "", e) < 0)
            goto out;
    }
    if (d->spf.publish) {
        dk_buf_reset(&v);
        if (dk_record_spf_value(d, &v, e) < 0 ||
            records_add(out, DK_REC_SPF, d->name, "", &v, e) < 0)
            goto out;
    }
    if (d->dmarc.publish) {
        dk_buf_reset(&v);
        if (dk_record_dmarc_value(d, &v, e) < 0 ||
            records_add(out, DK_REC_DMARC, d->name, "_dmarc.", &v, e) < 0)
            goto out;
    }
    rc = 0;
out:
    dk_buf_free(&v);
    dk_buf_free(&key);
    return rc;
}

int dk_records_build(const dk_model *m, const char *domain, dk_pubkey_fn fn, void *ud,
                     dk_records *out, dk_findings *notes, dk_err *e)
{
    bool found = false;

    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        if (domain != NULL && strcmp(domain, d->name) != 0)
            continue;
        found = true;
        if (build_domain(d, fn, ud, out, notes, e) < 0)
            return -1;
    }
    if (domain != NULL && !found)
        return dk_err_setloc(e, DK_ENOENT, "--domain", 0, 0,
                             "%s is not in the model; 'dkimctl init --domain %s' adds it", domain,
                             domain);
    return 0;
}

/* ---- character-strings ------------------------------------------------------ */

long dk_txt_split(const char *value, size_t len, size_t max, size_t *lens, size_t nlens)
{
    size_t pos = 0, n = 0;

    if (max == 0 || max > DK_TXT_STRING_MAX)
        return -1;
    if (len == 0) {
        /* one empty string: a TXT record always has at least one */
        if (nlens == 0)
            return -1;
        lens[0] = 0;
        return 1;
    }
    while (pos < len) {
        size_t take = len - pos;

        if (take > max) {
            size_t cut = max;

            /* prefer cutting right after a space, if one is in the window */
            while (cut > 0 && value[pos + cut - 1] != ' ')
                cut--;
            take = cut > 0 ? cut : max;
        }
        if (n == nlens)
            return -1;
        lens[n++] = take;
        pos += take;
    }
    return (long)n;
}

int dk_txt_quote(const char *s, size_t len, dk_buf *out, dk_err *e)
{
    if (dk_buf_putc(out, '"', e) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;

        if (c == '"' || c == '\\')
            rc = dk_buf_printf(out, e, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            rc = dk_buf_printf(out, e, "\\%03u", c);
        else
            rc = dk_buf_putc(out, (char)c, e);
        if (rc < 0)
            return -1;
    }
    return dk_buf_putc(out, '"', e);
}

/* Append the value's strings, quoted, separated by `sep`. */
static int put_strings(const dk_record *r, const char *sep, dk_buf *out, dk_err *e)
{
    size_t len = strlen(r->value);
    /* every string holds at least one byte, so len + 1 slots always suffice */
    size_t nmax = len + 1;
    size_t *lens, pos = 0;
    long n;
    int rc = -1;

    lens = dk_calloc(nmax, sizeof *lens, e);
    if (lens == NULL)
        return -1;
    n = dk_txt_split(r->value, len, DK_TXT_STRING_MAX, lens, nmax);
    if (n < 0) {
        dk_err_set(e, DK_EINTERNAL, "cannot split the value of %s", r->name);
        goto out;
    }
    for (long i = 0; i < n; i++) {
        if (i > 0 && dk_buf_puts(out, sep, e) < 0)
            goto out;
        if (dk_txt_quote(r->value + pos, lens[i], out, e) < 0)
            goto out;
        pos += lens[i];
    }
    rc = (int)n;
out:
    free(lens);
    return rc;
}

static int render_zone(const dk_record *r, unsigned ttl, dk_buf *out, dk_err *e)
{
    size_t len = strlen(r->value);

    if (dk_buf_printf(out, e, "%s. %u IN TXT ", r->name, ttl) < 0)
        return -1;
    if (len <= DK_TXT_STRING_MAX) {
        if (put_strings(r, " ", out, e) < 0)
            return -1;
        return dk_buf_putc(out, '\n', e);
    }
    if (dk_buf_puts(out, "( ", e) < 0 || put_strings(r, "\n\t", out, e) < 0)
        return -1;
    return dk_buf_puts(out, " )\n", e);
}

static int render_plain(const dk_record *r, dk_buf *out, dk_err *e)
{
    for (const char *c = r->value; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return dk_err_set(e, DK_EINVAL, "the value of %s holds a control byte", r->name);
    return dk_buf_printf(out, e, "%s\tTXT\t%s\n", r->name, r->value);
}

static int render_nsupdate(const dk_record *r, unsigned ttl, dk_buf *out, dk_err *e)
{
    if (dk_buf_printf(out, e, "update add %s. %u IN TXT ", r->name, ttl) < 0)
        return -1;
    if (put_strings(r, " ", out, e) < 0)
        return -1;
    return dk_buf_putc(out, '\n', e);
}

int dk_records_render(const dk_records *rs, enum dk_rec_format fmt, unsigned ttl, dk_buf *out,
                      dk_err *e)
{
    if (ttl == 0)
        ttl = DK_RECORD_TTL;
    for (size_t i = 0; i < rs->n; i++) {
        const dk_record *r = &rs->v[i];
        bool last_of_domain = i + 1 == rs->n || strcmp(rs->v[i + 1].domain, r->domain) != 0;
        int rc;

        switch (fmt) {
        case DK_FMT_ZONE:
            rc = render_zone(r, ttl, out, e);
            break;
        case DK_FMT_PLAIN:
            rc = render_plain(r, out, e);
            break;
        case DK_FMT_NSUPDATE:
            rc = render_nsupdate(r, ttl, out, e);
            if (rc == 0 && last_of_domain)
                rc = dk_buf_puts(out, "send\n", e);
            break;
        default:
            return dk_err_set(e, DK_EINVAL, "unknown record format");
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int dk_rec_format_parse(const char *s, enum dk_rec_format *fmt)
{
    if (strcmp(s, "zone") == 0)
        *fmt = DK_FMT_ZONE;
    else if (strcmp(s, "plain") == 0)
        *fmt = DK_FMT_PLAIN;
    else if (strcmp(s, "nsupdate") == 0)
        *fmt = DK_FMT_NSUPDATE;
    else
        return -1;
    return 0;
}
