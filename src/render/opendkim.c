/* opendkim.c - opendkim.conf, KeyTable, SigningTable, TrustedHosts, /etc/default/opendkim. */
#include "render/opendkim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/template.h"
#include "util/mem.h"
#include "util/path.h"

int dk_render_table_path(const dk_model *m, const char *table, char *out, size_t size, dk_err *e)
{
    int n = snprintf(out, size, "%s/%s", m->opendkim.tables_dir, table);

    if (n < 0 || (size_t)n >= size || !dk_path_is_clean(out))
        return dk_err_setloc(e, DK_EINVAL, "opendkim.tables_dir", 0, 0,
                             "'%s' does not make a clean absolute path", m->opendkim.tables_dir);
    return 0;
}

int dk_render_key_name(const dk_domain *d, const dk_selector *s, char *out, size_t size, dk_err *e)
{
    int n = snprintf(out, size, "%s._domainkey.%s", s->name, d->name);

    if (n < 0 || (size_t)n >= size)
        return dk_err_set(e, DK_EINVAL, "key name for %s/%s is too long", d->name, s->name);
    return 0;
}

/* Start a context with what every template may name. */
static dk_tctx *base_ctx(const dk_render_env *env, dk_err *e)
{
    dk_tctx *c = dk_tctx_new(e);

    if (c == NULL)
        return NULL;
    if (dk_tctx_set(c, "mark", DK_RENDER_MARK, e) < 0 ||
        dk_tctx_set(c, "model", env->model_path != NULL ? env->model_path : DK_MODEL_PATH, e) < 0) {
        dk_tctx_free(c);
        return NULL;
    }
    return c;
}

static int finish(const dk_render_env *env, const char *file, dk_tctx *c, dk_buf *out, dk_err *e)
{
    int rc;

    if (c == NULL)
        return -1;
    rc = dk_template_render_file(env->templates, file, c, out, e);
    dk_tctx_free(c);
    return rc;
}

static bool sel_signs(const dk_selector *s)
{
    return s->state == DK_SEL_ACTIVE;
}

static bool multisig(const dk_model *m)
{
    for (size_t i = 0; i < m->ndomains; i++) {
        size_t n = 0;

        for (size_t j = 0; j < m->domains[i].nsel; j++)
            n += sel_signs(&m->domains[i].sel[j]);
        if (n > 1)
            return true;
    }
    return false;
}

int dk_render_opendkim_conf(const dk_model *m, const dk_render_env *env, dk_buf *out, dk_err *e)
{
    const dk_opendkim_conf *o = &m->opendkim;
    char kt[DK_PATH_MAX], st[DK_PATH_MAX], th[DK_PATH_MAX];
    dk_tctx *c = base_ctx(env, e);
    dk_buf hdrs;

    if (c == NULL)
        return -1;
    dk_buf_init(&hdrs, 4096);
    for (size_t i = 0; i < o->oversign.n; i++)
        if ((i > 0 && dk_buf_putc(&hdrs, ',', e) < 0) ||
            dk_buf_puts(&hdrs, o->oversign.v[i], e) < 0)
            goto fail;
    if (dk_render_table_path(m, "KeyTable", kt, sizeof kt, e) < 0 ||
        dk_render_table_path(m, "SigningTable", st, sizeof st, e) < 0 ||
        dk_render_table_path(m, "TrustedHosts", th, sizeof th, e) < 0)
        goto fail;
    if (dk_tctx_set(c, "user", o->user, e) < 0 || dk_tctx_set(c, "socket", env->socket, e) < 0 ||
        dk_tctx_set(c, "pidfile", DK_OPENDKIM_PIDFILE, e) < 0 ||
        dk_tctx_set(c, "mode", o->mode, e) < 0 || dk_tctx_set(c, "canon", o->canon, e) < 0 ||
        dk_tctx_set(c, "keytable", kt, e) < 0 || dk_tctx_set(c, "signingtable", st, e) < 0 ||
        dk_tctx_set(c, "trustedhosts", th, e) < 0 ||
        dk_tctx_flag(c, "multisig", multisig(m), e) < 0 ||
        dk_tctx_flag(c, "oversign", hdrs.len > 0, e) < 0 ||
        dk_tctx_set(c, "headers", hdrs.len > 0 ? hdrs.data : "", e) < 0)
        goto fail;
    dk_buf_free(&hdrs);
    return finish(env, "opendkim.conf", c, out, e);
fail:
    dk_buf_free(&hdrs);
    dk_tctx_free(c);
    return -1;
}

int dk_render_keytable(const dk_model *m, const dk_render_env *env, dk_buf *out, dk_err *e)
{
    dk_tctx *c = base_ctx(env, e);

    if (c == NULL)
        return -1;
    if (dk_tctx_flag(c, "keys", false, e) < 0)
        goto fail;
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        for (size_t j = 0; j < d->nsel; j++) {
            const dk_selector *s = &d->sel[j];
            char name[DK_DOMAIN_MAX + DK_SELECTOR_MAX + 16];
            dk_tctx *it;

            if (!sel_signs(s))
                continue;
            if (!dk_path_is_clean(s->key_path) || strpbrk(s->key_path, " \t:%#") != NULL) {
                dk_err_setloc(e, DK_EINVAL, "domains[].selectors[].key_path", 0, 0,
                              "key path '%s' of %s/%s is not a clean absolute path without "
                              "blanks, ':', '%%' or '#' (OpenDKIM's KeyTable cannot hold them)",
                              s->key_path, d->name, s->name);
                goto fail;
            }
            it = dk_tctx_add(c, "keys", e);
            if (it == NULL || dk_render_key_name(d, s, name, sizeof name, e) < 0 ||
                dk_tctx_set(it, "name", name, e) < 0 || dk_tctx_set(it, "domain", d->name, e) < 0 ||
                dk_tctx_set(it, "selector", s->name, e) < 0 ||
                dk_tctx_set(it, "path", s->key_path, e) < 0)
                goto fail;
        }
    }
    return finish(env, "KeyTable", c, out, e);
fail:
    dk_tctx_free(c);
    return -1;
}

static size_t labels(const char *d)
{
    size_t n = 1;

    for (; *d != '\0'; d++)
        n += *d == '.';
    return n;
}

/* Most specific first: more labels first, then by name for a stable order. */
static int cmp_domain(const void *a, const void *b)
{
    const dk_domain *x = *(const dk_domain *const *)a, *y = *(const dk_domain *const *)b;
    size_t lx = labels(x->name), ly = labels(y->name);

    if (lx != ly)
        return lx > ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int add_entry(dk_tctx *c, const char *pattern, const char *key, dk_err *e)
{
    dk_tctx *it = dk_tctx_add(c, "entries", e);

    if (it == NULL || dk_tctx_set(it, "pattern", pattern, e) < 0 ||
        dk_tctx_set(it, "key", key, e) < 0)
        return -1;
    return 0;
}

int dk_render_signingtable(const dk_model *m, const dk_render_env *env, dk_buf *out, dk_err *e)
{
    dk_tctx *c = base_ctx(env, e);
    const dk_domain **order = NULL;

    if (c == NULL)
        return -1;
    order = dk_calloc(m->ndomains + 1, sizeof *order, e);
    if (order == NULL || dk_tctx_flag(c, "entries", false, e) < 0)
        goto fail;
    for (size_t i = 0; i < m->ndomains; i++)
        order[i] = &m->domains[i];
    qsort(order, m->ndomains, sizeof *order, cmp_domain);
    /* Exact domains first (in specificity order), then the subdomain
     * wildcards, so that *@*.example.com never shadows a listed
     * sub.example.com and *@example.com comes before *@*.example.com. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->ndomains; i++) {
            const dk_domain *d = order[i];
            char pat[DK_DOMAIN_MAX + 8];

            if (pass == 1 && !d->subdomains)
                continue;
            (void)snprintf(pat, sizeof pat, pass == 0 ? "*@%s" : "*@*.%s", d->name);
            for (size_t j = 0; j < d->nsel; j++) {
                char name[DK_DOMAIN_MAX + DK_SELECTOR_MAX + 16];

                if (!sel_signs(&d->sel[j]))
                    continue;
                if (dk_render_key_name(d, &d->sel[j], name, sizeof name, e) < 0 ||
                    add_entry(c, pat, name, e) < 0)
                    goto fail;
            }
        }
    }
    free(order);
    return finish(env, "SigningTable", c, out, e);
fail:
    free(order);
    dk_tctx_free(c);
    return -1;
}

static bool host_ok(const char *h)
{
    if (h[0] == '\0' || strlen(h) > 253)
        return false;
    for (const char *p = h; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == ':' || ch == '/' || ch == '_'))
            return false;
    }
    return true;
}

static int add_host(dk_tctx *c, dk_strlist *seen, const char *h, const char *field, dk_err *e)
{
    static const char *const fixed[] = {"127.0.0.1", "::1", "localhost"};
    dk_tctx *it;
    char **v;

    if (!host_ok(h))
        return dk_err_setloc(e, DK_EINVAL, field, 0, 0,
                             "'%s' is not a host name, address or network (letters, digits, "
                             "'.', '-', ':', '/')",
                             h);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcasecmp(h, fixed[i]) == 0)
            return 0;
    for (size_t i = 0; i < seen->n; i++)
        if (strcasecmp(h, seen->v[i]) == 0)
            return 0;
    v = dk_reallocarray(seen->v, seen->n + 1, sizeof *v, e);
    if (v == NULL)
        return -1;
    seen->v = v;
    seen->v[seen->n] = (char *)h;
    seen->n++;
    it = dk_tctx_add(c, "hosts", e);
    if (it == NULL || dk_tctx_set(it, "host", h, e) < 0)
        return -1;
    return 0;
}

int dk_render_trustedhosts(const dk_model *m, const dk_render_env *env, dk_buf *out, dk_err *e)
{
    dk_tctx *c = base_ctx(env, e);
    dk_strlist seen = {NULL, 0};

    if (c == NULL)
        return -1;
    if (dk_tctx_flag(c, "hosts", false, e) < 0)
        goto fail;
    for (size_t i = 0; i < env->nhostnames; i++)
        if (add_host(c, &seen, env->hostnames[i], "host name", e) < 0)
            goto fail;
    for (size_t i = 0; i < m->opendkim.trusted_hosts.n; i++)
        if (add_host(c, &seen, m->opendkim.trusted_hosts.v[i], "opendkim.trusted_hosts", e) < 0)
            goto fail;
    free(seen.v); /* the strings belong to the caller */
    return finish(env, "TrustedHosts", c, out, e);
fail:
    free(seen.v);
    dk_tctx_free(c);
    return -1;
}

/* ---- /etc/default/opendkim -------------------------------------------------------- */

typedef struct shvar {
    char name[64];
    char value[512];
} shvar;

/* Expand $NAME and ${NAME} from vars; strip one level of quotes. */
static void sh_expand(const char *s, size_t n, const shvar *vars, size_t nv, char *out, size_t size)
{
    size_t o = 0;

    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s++;
        n -= 2;
    }
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        if (s[i] == '$' && i + 1 < n) {
            size_t st = i + 1, en;
            bool brace = s[st] == '{';

            if (brace)
                st++;
            en = st;
            while (en < n && (s[en] == '_' || (s[en] >= 'A' && s[en] <= 'Z') ||
                              (s[en] >= 'a' && s[en] <= 'z') || (s[en] >= '0' && s[en] <= '9')))
                en++;
            if (en > st && (!brace || (en < n && s[en] == '}'))) {
                for (size_t k = nv; k-- > 0;) {
                    if (strlen(vars[k].name) == en - st &&
                        memcmp(vars[k].name, s + st, en - st) == 0) {
                        for (const char *p = vars[k].value; *p != '\0' && o + 1 < size; p++)
                            out[o++] = *p;
                        break;
                    }
                }
                i = brace ? en : en - 1;
                continue;
            }
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
}

/* Walk assignments; returns the offset of the last SOCKET= line or -1. */
static long scan_default(const char *text, size_t len, char *sock, size_t size)
{
    shvar vars[32];
    size_t nv = 0, off = 0;
    long last = -1;

    sock[0] = '\0';
    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off, k = 0;

        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k < n && s[k] != '#') {
            size_t ns = k;
            while (k < n && (s[k] == '_' || (s[k] >= 'A' && s[k] <= 'Z') ||
                             (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9')))
                k++;
            if (k > ns && k < n && s[k] == '=' && k - ns < sizeof vars[0].name) {
                size_t vs = k + 1, ve = n;
                shvar *v = nv < sizeof vars / sizeof vars[0] ? &vars[nv++] : &vars[nv - 1];

                while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t' || s[ve - 1] == '\r'))
                    ve--;
                memcpy(v->name, s + ns, k - ns);
                v->name[k - ns] = '\0';
                sh_expand(s + vs, ve - vs, vars, nv - 1, v->value, sizeof v->value);
                if (strcmp(v->name, "SOCKET") == 0) {
                    last = (long)off;
                    (void)snprintf(sock, size, "%s", v->value);
                }
            }
        }
        off += n + (nl != NULL ? 1 : 0);
    }
    return last;
}

int dk_default_socket_value(const char *text, size_t len, char *out, size_t size)
{
    return scan_default(text, len, out, size) < 0 ? -1 : 0;
}

int dk_render_default_socket(const char *text, size_t len, const char *socket, dk_buf *out,
                             bool *changed, dk_err *e)
{
    char cur[512];
    long at = scan_default(text, len, cur, sizeof cur);

    *changed = false;
    for (const char *p = socket; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || strchr("\"'`$\\;&|<>()", *p) != NULL)
            return dk_err_set(e, DK_EINVAL,
                              "socket '%s' has a character that is not safe in a shell "
                              "assignment",
                              socket);
    if (at >= 0 && strcmp(cur, socket) == 0)
        return dk_buf_append(out, text, len, e);
    *changed = true;
    if (at < 0) {
        if (dk_buf_append(out, text, len, e) < 0)
            return -1;
        if (len > 0 && text[len - 1] != '\n' && dk_buf_putc(out, '\n', e) < 0)
            return -1;
        return dk_buf_printf(out, e, "SOCKET=%s\n", socket);
    } else {
        const char *nl = memchr(text + at, '\n', len - (size_t)at);
        size_t rest = nl != NULL ? (size_t)(nl - text) : len;

        if (dk_buf_append(out, text, (size_t)at, e) < 0 ||
            dk_buf_printf(out, e, "SOCKET=%s", socket) < 0 ||
            dk_buf_append(out, text + rest, len - rest, e) < 0)
            return -1;
    }
    return 0;
}

/* ---- opendkim.conf on disk -------------------------------------------------------------- */

void dk_opendkim_conf_check(const char *text, size_t len, dk_odconf_check *out)
{
    size_t off = 0;
    unsigned lineno = 0;

    memset(out, 0, sizeof *out);
    if (memmem(text, len, DK_RENDER_MARK, strlen(DK_RENDER_MARK)) != NULL)
        out->ours = true;
    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off, k = 0, ks, kend;

        lineno++;
        off += n + (nl != NULL ? 1 : 0);
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
            k++;
        if (k == n || s[k] == '#')
            continue;
        if (memchr(s, '\0', n) != NULL) {
            out->bad_line = lineno;
            (void)snprintf(out->bad_why, sizeof out->bad_why, "NUL byte");
            return;
        }
        ks = k;
        while (k < n && ((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') ||
                         (s[k] >= '0' && s[k] <= '9')))
            k++;
        kend = k;
        if (k == ks || (k < n && s[k] != ' ' && s[k] != '\t' && s[k] != '\r')) {
            out->bad_line = lineno;
            (void)snprintf(out->bad_why, sizeof out->bad_why,
                           "not \"Keyword value\" (a keyword is letters and digits)");
            return;
        }
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
            k++;
        if (k == n || s[k] == '#') {
            out->bad_line = lineno;
            (void)snprintf(out->bad_why, sizeof out->bad_why, "%.*s has no value", (int)(kend - ks),
                           s + ks);
            return;
        }
    }
}

bool dk_opendkim_conf_get(const char *text, size_t len, const char *keyword, char *out, size_t size)
{
    size_t off = 0, kl = strlen(keyword);
    bool found = false;

    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off, k = 0;

        off += n + (nl != NULL ? 1 : 0);
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (n - k > kl && strncasecmp(s + k, keyword, kl) == 0 &&
            (s[k + kl] == ' ' || s[k + kl] == '\t')) {
            size_t vs = k + kl, ve = n;

            while (vs < n && (s[vs] == ' ' || s[vs] == '\t'))
                vs++;
            while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t' || s[ve - 1] == '\r'))
                ve--;
            /* a '#' starts a comment in opendkim.conf values */
            for (size_t h = vs; h < ve; h++)
                if (s[h] == '#') {
                    ve = h;
                    while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
                        ve--;
                    break;
                }
            (void)snprintf(out, size, "%.*s", (int)(ve - vs), s + vs);
            found = true;
        }
    }
    return found;
}
