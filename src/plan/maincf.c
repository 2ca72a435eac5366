/* maincf.c - main.cf editing with postconf -e semantics; master.cf chroot column. */
#include "plan/maincf.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define NO_DEF ((size_t)-1)

static bool is_sp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Append s[0..n) to b collapsing whitespace runs into one space. */
static int put_collapsed(dk_buf *b, const char *s, size_t n, dk_err *e)
{
    for (size_t i = 0; i < n; i++) {
        if (is_sp(s[i]) || s[i] == '\n') {
            if (b->len > 0 && b->data[b->len - 1] != ' ' && dk_buf_putc(b, ' ', e) < 0)
                return -1;
            continue;
        }
        if (dk_buf_putc(b, s[i], e) < 0)
            return -1;
    }
    return 0;
}

static char *finish_collapsed(dk_buf *b, dk_err *e)
{
    char *s;

    while (b->len > 0 && b->data[b->len - 1] == ' ')
        b->len--;
    if (b->data == NULL)
        return dk_strdup("", e);
    b->data[b->len] = '\0';
    s = dk_buf_steal(b, NULL);
    if (s == NULL)
        dk_err_set(e, DK_ENOMEM, "out of memory");
    return s;
}

char *dk_cf_normalize(const char *s, dk_err *e)
{
    dk_buf b;
    char *r;

    dk_buf_init(&b, 0);
    if (put_collapsed(&b, s, strlen(s), e) < 0) {
        dk_buf_free(&b);
        return NULL;
    }
    r = finish_collapsed(&b, e);
    dk_buf_free(&b);
    return r;
}

void dk_maincf_free(dk_maincf *cf)
{
    for (size_t i = 0; i < cf->ndefs; i++) {
        free(cf->defs[i].key);
        free(cf->defs[i].value);
    }
    for (size_t i = 0; i < cf->nedits; i++) {
        free(cf->edits[i].key);
        free(cf->edits[i].value);
    }
    free(cf->defs);
    free(cf->edits);
    free(cf->lines);
    free(cf->text);
    free(cf->name);
    memset(cf, 0, sizeof *cf);
}

static enum dk_cf_kind classify(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_sp(s[i]))
        i++;
    if (i == n || s[i] == '\n')
        return DK_CF_BLANK;
    if (s[i] == '#')
        return DK_CF_COMMENT;
    if (i > 0)
        return DK_CF_CONT;
    return DK_CF_DEF; /* checked further by the caller */
}

/* The value value of a definition: text after '=' on the first line plus
 * the continuation lines, collapsed. */
static int def_value(const dk_maincf *cf, size_t di, dk_buf *b, dk_err *e)
{
    const dk_cf_def *d = &cf->defs[di];
    const dk_cf_line *l = &cf->lines[d->line];
    const char *s = cf->text + l->off;
    const char *eq = memchr(s, '=', l->len);

    if (put_collapsed(b, eq + 1, l->len - (size_t)(eq + 1 - s), e) < 0)
        return -1;
    for (size_t i = d->line + 1; i < cf->nlines; i++) {
        const dk_cf_line *c = &cf->lines[i];

        if (c->kind == DK_CF_COMMENT || c->kind == DK_CF_BLANK)
            continue;
        if (c->kind != DK_CF_CONT || c->def != di)
            break;
        if (b->len > 0 && b->data[b->len - 1] != ' ' && dk_buf_putc(b, ' ', e) < 0)
            return -1;
        if (put_collapsed(b, cf->text + c->off, c->len, e) < 0)
            return -1;
    }
    /* drop the leading space left by "key = value" */
    if (b->len > 0 && b->data[0] == ' ') {
        memmove(b->data, b->data + 1, b->len - 1);
        b->len--;
    }
    return 0;
}

static int add_line(dk_maincf *cf, size_t *cap, size_t off, size_t len, enum dk_cf_kind kind,
                    size_t def, dk_err *e)
{
    if (cf->nlines == *cap) {
        size_t ncap = *cap == 0 ? 64 : *cap * 2;
        dk_cf_line *v = dk_reallocarray(cf->lines, ncap, sizeof *v, e);

        if (v == NULL)
            return -1;
        cf->lines = v;
        *cap = ncap;
    }
    cf->lines[cf->nlines].off = off;
    cf->lines[cf->nlines].len = len;
    cf->lines[cf->nlines].kind = kind;
    cf->lines[cf->nlines].def = def;
    cf->nlines++;
    return 0;
}

int dk_maincf_parse(dk_maincf *cf, const char *name, const char *text, size_t len, dk_findings *f,
                    dk_err *e)
{
    size_t lcap = 0, dcap = 0, off = 0, cur = NO_DEF;
    bool in_logical = false;
    unsigned lineno = 0;

    memset(cf, 0, sizeof *cf);
    cf->name = dk_strdup(name, e);
    cf->text = dk_calloc(len + 1, 1, e);
    if (cf->name == NULL || cf->text == NULL)
        goto fail;
    if (len > 0)
        memcpy(cf->text, text, len);
    cf->len = len;
    if (memchr(text, '\0', len) != NULL) {
        dk_err_setloc(e, DK_EINVAL, name, 0, 0, "contains a NUL byte; not a Postfix main.cf");
        goto fail;
    }
    while (off < len) {
        const char *s = cf->text + off;
        const char *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) + 1 : len - off;
        enum dk_cf_kind k = classify(s, n);
        size_t def = NO_DEF;

        lineno++;
        if (k == DK_CF_DEF) {
            size_t i = 0, klen;

            while (i < n && is_key_char(s[i]))
                i++;
            klen = i;
            while (i < n && is_sp(s[i]))
                i++;
            in_logical = true;
            if (klen == 0 || i >= n || s[i] != '=') {
                k = DK_CF_BAD;
                cur = NO_DEF;
                if (f != NULL &&
                    dk_findings_add(f, DK_SEV_WARN, "", "fix or remove the line",
                                    "%s:%u: not a \"name = value\" line; Postfix rejects it", name,
                                    lineno) < 0)
                    goto nomem;
            } else {
                if (cf->ndefs == dcap) {
                    size_t ncap = dcap == 0 ? 32 : dcap * 2;
                    dk_cf_def *v = dk_reallocarray(cf->defs, ncap, sizeof *v, e);

                    if (v == NULL)
                        goto fail;
                    cf->defs = v;
                    dcap = ncap;
                }
                cf->defs[cf->ndefs].key = dk_strndup(s, klen, e);
                cf->defs[cf->ndefs].value = NULL;
                cf->defs[cf->ndefs].line = cf->nlines;
                if (cf->defs[cf->ndefs].key == NULL)
                    goto fail;
                cur = def = cf->ndefs++;
            }
        } else if (k == DK_CF_CONT) {
            if (!in_logical) {
                k = DK_CF_ORPHAN;
                if (f != NULL &&
                    dk_findings_add(f, DK_SEV_WARN, "", "remove the leading whitespace",
                                    "%s:%u: a line starting with whitespace continues nothing; "
                                    "Postfix warns about it",
                                    name, lineno) < 0)
                    goto nomem;
            } else {
                def = cur; /* NO_DEF when it continues a bad line */
            }
        }
        if (add_line(cf, &lcap, off, n, k, def, e) < 0)
            goto fail;
        off += n;
    }
    for (size_t i = 0; i < cf->ndefs; i++) {
        dk_buf b;

        dk_buf_init(&b, 0);
        if (def_value(cf, i, &b, e) < 0) {
            dk_buf_free(&b);
            goto fail;
        }
        cf->defs[i].value = finish_collapsed(&b, e);
        dk_buf_free(&b);
        if (cf->defs[i].value == NULL)
            goto fail;
    }
    /* earlier duplicates */
    for (size_t i = 0; f != NULL && i < cf->ndefs; i++) {
        for (size_t j = i + 1; j < cf->ndefs; j++) {
            if (strcmp(cf->defs[i].key, cf->defs[j].key) != 0)
                continue;
            if (dk_findings_add(f, DK_SEV_WARN, "",
                                "keep one definition (dkimctl comments out the earlier ones of "
                                "the keys it sets)",
                                "%s:%zu: '%s' is defined again at line %zu; the later definition "
                                "is the effective one",
                                name, cf->defs[i].line + 1, cf->defs[i].key,
                                cf->defs[j].line + 1) < 0)
                goto nomem;
            break;
        }
    }
    return 0;
nomem:
    dk_err_set(e, DK_ENOMEM, "out of memory");
fail:
    dk_maincf_free(cf);
    return -1;
}

static const dk_cf_def *last_def(const dk_maincf *cf, const char *key)
{
    for (size_t i = cf->ndefs; i-- > 0;)
        if (strcmp(cf->defs[i].key, key) == 0)
            return &cf->defs[i];
    return NULL;
}

const char *dk_maincf_get(const dk_maincf *cf, const char *key)
{
    const dk_cf_def *d = last_def(cf, key);

    return d != NULL ? d->value : NULL;
}

size_t dk_maincf_count(const dk_maincf *cf, const char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < cf->ndefs; i++)
        if (strcmp(cf->defs[i].key, key) == 0)
            n++;
    return n;
}

int dk_maincf_set(dk_maincf *cf, const char *key, const char *value, dk_err *e)
{
    dk_cf_edit *v;
    char *k, *val;
    size_t i;

    if (key[0] == '\0')
        return dk_err_set(e, DK_EINVAL, "empty main.cf parameter name");
    for (i = 0; key[i] != '\0'; i++)
        if (!is_key_char(key[i]))
            return dk_err_set(e, DK_EINVAL,
                              "main.cf parameter name '%s' has a character other than letters, "
                              "digits, '_', '.' and '-'",
                              key);
    for (i = 0; value[i] != '\0'; i++)
        if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
            return dk_err_set(e, DK_EINVAL,
                              "value for main.cf parameter '%s' contains a newline or another "
                              "control character; postconf -e refuses multi-line input and so "
                              "does dkimctl",
                              key);
    val = dk_cf_normalize(value, e);
    if (val == NULL)
        return -1;
    for (i = 0; i < cf->nedits; i++) {
        if (strcmp(cf->edits[i].key, key) == 0) {
            free(cf->edits[i].value);
            cf->edits[i].value = val;
            return 0;
        }
    }
    k = dk_strdup(key, e);
    v = k != NULL ? dk_reallocarray(cf->edits, cf->nedits + 1, sizeof *v, e) : NULL;
    if (v == NULL) {
        free(k);
        free(val);
        return -1;
    }
    cf->edits = v;
    cf->edits[cf->nedits].key = k;
    cf->edits[cf->nedits].value = val;
    cf->nedits++;
    return 0;
}

static const dk_cf_edit *find_edit(const dk_maincf *cf, const char *key)
{
    for (size_t i = 0; i < cf->nedits; i++)
        if (strcmp(cf->edits[i].key, key) == 0)
            return &cf->edits[i];
    return NULL;
}

static int put_def(dk_buf *out, const char *key, const char *value, dk_err *e)
{
    return dk_buf_printf(out, e, "%s = %s\n", key, value);
}

int dk_maincf_render(const dk_maincf *cf, dk_buf *out, dk_err *e)
{
    for (size_t i = 0; i < cf->nlines; i++) {
        const dk_cf_line *l = &cf->lines[i];
        const char *s = cf->text + l->off;
        const dk_cf_def *d;
        const dk_cf_edit *ed;

        if ((l->kind != DK_CF_DEF && l->kind != DK_CF_CONT) || l->def == NO_DEF) {
            if (dk_buf_append(out, s, l->len, e) < 0)
                return -1;
            continue;
        }
        d = &cf->defs[l->def];
        ed = find_edit(cf, d->key);
        if (ed == NULL) {
            if (dk_buf_append(out, s, l->len, e) < 0)
                return -1;
            continue;
        }
        if (d != last_def(cf, d->key)) {
            /* an earlier duplicate: comment it out like postconf -# */
            if (dk_buf_putc(out, '#', e) < 0 || dk_buf_append(out, s, l->len, e) < 0)
                return -1;
            if (s[l->len - 1] != '\n' && dk_buf_putc(out, '\n', e) < 0)
                return -1;
            continue;
        }
        if (strcmp(d->value, ed->value) == 0) {
            if (dk_buf_append(out, s, l->len, e) < 0)
                return -1;
            continue;
        }
        /* the effective definition: replace it, drop its continuation lines */
        if (l->kind == DK_CF_DEF && put_def(out, d->key, ed->value, e) < 0)
            return -1;
    }
    for (size_t i = 0; i < cf->nedits; i++) {
        if (last_def(cf, cf->edits[i].key) != NULL)
            continue;
        if (out->len > 0 && out->data[out->len - 1] != '\n' && dk_buf_putc(out, '\n', e) < 0)
            return -1;
        if (put_def(out, cf->edits[i].key, cf->edits[i].value, e) < 0)
            return -1;
    }
    return 0;
}

/* ---- milter lists ---------------------------------------------------------- */

static bool is_list_sep(char c)
{
    return c == ',' || is_sp(c) || c == '\n';
}

/* Next item of a list starting at *p: [*start, *end); name = first word. */
static bool next_item(const char **p, const char **start, const char **end, const char **nstart,
                      size_t *nlen)
{
    const char *s = *p;

    while (*s != '\0' && is_list_sep(*s))
        s++;
    if (*s == '\0')
        return false;
    *start = s;
    if (*s == '{') {
        int depth = 0;
        const char *n = s + 1;

        while (*n != '\0' && is_list_sep(*n))
            n++;
        *nstart = n;
        while (*n != '\0' && !is_list_sep(*n) && *n != '}')
            n++;
        *nlen = (size_t)(n - *nstart);
        for (; *s != '\0'; s++) {
            if (*s == '{')
                depth++;
            else if (*s == '}' && --depth == 0) {
                s++;
                break;
            }
        }
    } else {
        while (*s != '\0' && !is_list_sep(*s))
            s++;
        *nstart = *start;
        *nlen = (size_t)(s - *start);
    }
    *end = s;
    *p = s;
    return true;
}

bool dk_milters_has(const char *list, const char *milter)
{
    const char *p = list != NULL ? list : "", *st, *en, *ns;
    size_t nl, ml = strlen(milter);

    while (next_item(&p, &st, &en, &ns, &nl))
        if (nl == ml && memcmp(ns, milter, ml) == 0)
            return true;
    return false;
}

int dk_milters_add(const char *list, const char *milter, char **out, bool *added, dk_err *e)
{
    char *norm;
    dk_buf b;

    *out = NULL;
    *added = false;
    norm = dk_cf_normalize(list != NULL ? list : "", e);
    if (norm == NULL)
        return -1;
    {
        int depth = 0;

        for (const char *p = norm; *p != '\0' && depth >= 0; p++)
            depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
        if (depth != 0) {
            free(norm);
            return dk_err_set(e, DK_EINVAL,
                              "unbalanced '{' and '}' in the milter list '%.200s'; Postfix "
                              "rejects it too",
                              list);
        }
    }
    if (dk_milters_has(norm, milter)) {
        *out = norm;
        return 0;
    }
    dk_buf_init(&b, 0);
    if ((norm[0] != '\0' && dk_buf_printf(&b, e, "%s, ", norm) < 0) ||
        dk_buf_puts(&b, milter, e) < 0) {
        free(norm);
        dk_buf_free(&b);
        return -1;
    }
    free(norm);
    *out = dk_buf_steal(&b, NULL);
    if (*out == NULL)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    *added = true;
    return 0;
}

/* ---- master.cf ----------------------------------------------------------------- */

int dk_mastercf_chroot(const char *name, const char *text, size_t len, const char *command,
                       bool dash_is_chroot, dk_chroot_count *out, dk_findings *f, dk_err *e)
{
    size_t off = 0;
    unsigned lineno = 0;

    memset(out, 0, sizeof *out);
    if (memchr(text, '\0', len) != NULL)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0, "contains a NUL byte");
    while (off < len) {
        const char *s = text + off;
        const char *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off;
        char field[8][128];
        size_t nf = 0, i = 0;

        lineno++;
        off += n + (nl != NULL ? 1 : 0);
        if (n == 0 || is_sp(s[0]) || s[0] == '#')
            continue;
        while (nf < 8) {
            size_t st;

            while (i < n && is_sp(s[i]))
                i++;
            if (i >= n)
                break;
            st = i;
            while (i < n && !is_sp(s[i]))
                i++;
            if (i - st >= sizeof field[0])
                break;
            memcpy(field[nf], s + st, i - st);
            field[nf][i - st] = '\0';
            nf++;
        }
        if (nf < 8) {
            if (f != NULL &&
                dk_findings_add(f, DK_SEV_WARN, "", "see master(5)",
                                "%s:%u: service line with fewer than 8 fields", name, lineno) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            continue;
        }
        if (strcmp(field[7], command) != 0)
            continue;
        if (out->first_line == 0)
            out->first_line = lineno;
        if (strcmp(field[4], "y") == 0 || (strcmp(field[4], "-") == 0 && dash_is_chroot))
            out->yes++;
        else if (strcmp(field[4], "n") == 0 || strcmp(field[4], "-") == 0)
            out->no++;
        else if (f != NULL && dk_findings_add(f, DK_SEV_WARN, "", "use y, n or -",
                                              "%s:%u: chroot column of service %s is '%s'", name,
                                              lineno, field[0], field[4]) < 0)
            return dk_err_set(e, DK_ENOMEM, "out of memory");
    }
    return 0;
}
