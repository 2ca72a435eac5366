/* template.c - {{var}} substitution with repeated and conditional sections. */
#include "render/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/path.h"

#define TEMPLATE_MAX  ((size_t)256 * 1024)
#define TEMPLATE_NEST 16

typedef struct dk_tvar {
    char *name;
    char *value;     /* NULL for a list */
    dk_tctx **items; /* list items */
    size_t nitems;
    bool is_list;
} dk_tvar;

struct dk_tctx {
    dk_tvar *v;
    size_t n;
    const dk_tctx *parent;
};

dk_tctx *dk_tctx_new(dk_err *e)
{
    return dk_calloc(1, sizeof(dk_tctx), e);
}

void dk_tctx_free(dk_tctx *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].value);
        for (size_t j = 0; j < c->v[i].nitems; j++)
            dk_tctx_free(c->v[i].items[j]);
        free(c->v[i].items);
    }
    free(c->v);
    free(c);
}

static dk_tvar *find_local(const dk_tctx *c, const char *name, size_t nlen)
{
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->v[i].name) == nlen && memcmp(c->v[i].name, name, nlen) == 0)
            return &c->v[i];
    return NULL;
}

static const dk_tvar *find(const dk_tctx *c, const char *name, size_t nlen)
{
    for (; c != NULL; c = c->parent) {
        const dk_tvar *v = find_local(c, name, nlen);

        if (v != NULL)
            return v;
    }
    return NULL;
}

static dk_tvar *get_or_add(dk_tctx *c, const char *name, dk_err *e)
{
    dk_tvar *v = find_local(c, name, strlen(name));

    if (v != NULL)
        return v;
    v = dk_reallocarray(c->v, c->n + 1, sizeof *v, e);
    if (v == NULL)
        return NULL;
    c->v = v;
    v = &c->v[c->n];
    memset(v, 0, sizeof *v);
    v->name = dk_strdup(name, e);
    if (v->name == NULL)
        return NULL;
    c->n++;
    return v;
}

int dk_tctx_set(dk_tctx *c, const char *name, const char *value, dk_err *e)
{
    dk_tvar *v;
    char *copy;

    for (const char *p = value; *p != '\0'; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return dk_err_setloc(e, DK_EINVAL, name, 0, 0,
                                 "value contains a newline or another control character");
    copy = dk_strdup(value, e);
    if (copy == NULL)
        return -1;
    v = get_or_add(c, name, e);
    if (v == NULL) {
        free(copy);
        return -1;
    }
    if (v->is_list) {
        free(copy);
        return dk_err_set(e, DK_EINTERNAL, "template variable %s is already a list", name);
    }
    free(v->value);
    v->value = copy;
    return 0;
}

dk_tctx *dk_tctx_add(dk_tctx *c, const char *name, dk_err *e)
{
    dk_tvar *v = get_or_add(c, name, e);
    dk_tctx **items, *item;

    if (v == NULL)
        return NULL;
    if (v->value != NULL) {
        dk_err_set(e, DK_EINTERNAL, "template variable %s is already a value", name);
        return NULL;
    }
    v->is_list = true;
    items = dk_reallocarray(v->items, v->nitems + 1, sizeof *items, e);
    if (items == NULL)
        return NULL;
    v->items = items;
    item = dk_tctx_new(e);
    if (item == NULL)
        return NULL;
    item->parent = c;
    v->items[v->nitems++] = item;
    return item;
}

int dk_tctx_flag(dk_tctx *c, const char *name, bool on, dk_err *e)
{
    dk_tvar *v = get_or_add(c, name, e);

    if (v == NULL)
        return -1;
    v->is_list = true;
    if (on && v->nitems == 0)
        return dk_tctx_add(c, name, e) != NULL ? 0 : -1;
    return 0;
}

/* ---- rendering ---------------------------------------------------------------- */

typedef struct tstate {
    const char *name;
    const char *start; /* whole template, for line numbers */
} tstate;

static unsigned line_of(const tstate *t, const char *p)
{
    unsigned n = 1;

    for (const char *q = t->start; q < p; q++)
        if (*q == '\n')
            n++;
    return n;
}

typedef struct tag {
    const char *open;  /* "{{" */
    const char *close; /* just after "}}" */
    char kind;         /* 0 for a value, '#', '^', '/', '!' */
    const char *id;
    size_t idlen;
    const char *lstart; /* for standalone section tags: start of the line */
    const char *lend;   /* ... and just after its newline */
    bool standalone;
} tag;

static int next_tag(const tstate *t, const char *p, const char *end, tag *g, dk_err *e)
{
    const char *o = p, *c;

    for (;;) {
        o = memchr(o, '{', (size_t)(end - o));
        if (o == NULL || o + 1 >= end)
            return 0;
        if (o[1] == '{')
            break;
        o++;
    }
    c = o + 2;
    while (c + 1 < end && !(c[0] == '}' && c[1] == '}'))
        c++;
    if (c + 1 >= end)
        return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, o), 0, "'{{' without '}}'");
    memset(g, 0, sizeof *g);
    g->open = o;
    g->close = c + 2;
    g->id = o + 2;
    if (*g->id == '#' || *g->id == '^' || *g->id == '/' || *g->id == '!')
        g->kind = *g->id++;
    while (g->id < c && (*g->id == ' ' || *g->id == '\t'))
        g->id++;
    g->idlen = (size_t)(c - g->id);
    while (g->idlen > 0 && (g->id[g->idlen - 1] == ' ' || g->id[g->idlen - 1] == '\t'))
        g->idlen--;
    if (g->kind != '!') {
        if (g->idlen == 0)
            return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, o), 0, "empty tag '{{}}'");
        for (size_t i = 0; i < g->idlen; i++) {
            char ch = g->id[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_'))
                return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, o), 0,
                                     "tag names are letters, digits and '_': '%.*s'", (int)g->idlen,
                                     g->id);
        }
    }
    if (g->kind != 0) {
        const char *ls = o, *le = g->close;

        while (ls > t->start && (ls[-1] == ' ' || ls[-1] == '\t'))
            ls--;
        while (le < end && (*le == ' ' || *le == '\t'))
            le++;
        if ((ls == t->start || ls[-1] == '\n') && (le == end || *le == '\n')) {
            g->standalone = true;
            g->lstart = ls;
            g->lend = le < end ? le + 1 : le;
        }
    }
    return 1;
}

static const char *tag_before(const tag *g)
{
    return g->standalone ? g->lstart : g->open;
}

static const char *tag_after(const tag *g)
{
    return g->standalone ? g->lend : g->close;
}

static int render(const tstate *t, const char *p, const char *end, const dk_tctx *c, int depth,
                  dk_buf *out, dk_err *e)
{
    tag g;
    int r;

    if (depth > TEMPLATE_NEST)
        return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, p), 0,
                             "sections nested deeper than %d", TEMPLATE_NEST);
    while ((r = next_tag(t, p, end, &g, e)) == 1) {
        if (dk_buf_append(out, p, (size_t)(tag_before(&g) - p), e) < 0)
            return -1;
        p = tag_after(&g);
        if (g.kind == '!')
            continue;
        if (g.kind == 0) {
            const dk_tvar *v = find(c, g.id, g.idlen);

            if (v == NULL || v->is_list)
                return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, g.open), 0, "%s '%.*s'",
                                     v == NULL ? "unknown variable" : "list used as a value",
                                     (int)g.idlen, g.id);
            if (dk_buf_puts(out, v->value, e) < 0)
                return -1;
            continue;
        }
        if (g.kind == '/')
            return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, g.open), 0,
                                 "'{{/%.*s}}' closes no section", (int)g.idlen, g.id);
        {
            /* find the matching close tag */
            const char *q = p, *inner = p;
            int level = 1;
            tag h;
            const dk_tvar *v = find(c, g.id, g.idlen);

            for (;;) {
                r = next_tag(t, q, end, &h, e);
                if (r < 0)
                    return -1;
                if (r == 0)
                    return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, g.open), 0,
                                         "section '%.*s' is never closed", (int)g.idlen, g.id);
                q = tag_after(&h);
                if (h.kind == '#' || h.kind == '^')
                    level++;
                else if (h.kind == '/' && --level == 0)
                    break;
            }
            if (h.idlen != g.idlen || memcmp(h.id, g.id, g.idlen) != 0)
                return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, h.open), 0,
                                     "'{{/%.*s}}' closes section '%.*s'", (int)h.idlen, h.id,
                                     (int)g.idlen, g.id);
            if (v != NULL && !v->is_list)
                return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, g.open), 0,
                                     "value '%.*s' used as a section", (int)g.idlen, g.id);
            if (v == NULL)
                return dk_err_setloc(e, DK_EINVAL, t->name, line_of(t, g.open), 0,
                                     "unknown section '%.*s'", (int)g.idlen, g.id);
            if (g.kind == '#') {
                for (size_t i = 0; i < v->nitems; i++)
                    if (render(t, inner, tag_before(&h), v->items[i], depth + 1, out, e) < 0)
                        return -1;
            } else if (v->nitems == 0) {
                if (render(t, inner, tag_before(&h), c, depth + 1, out, e) < 0)
                    return -1;
            }
            p = q;
        }
    }
    if (r < 0)
        return -1;
    return dk_buf_append(out, p, (size_t)(end - p), e);
}

int dk_template_render(const char *name, const char *text, size_t len, const dk_tctx *c,
                       dk_buf *out, dk_err *e)
{
    tstate t = {name, text};

    if (memchr(text, '\0', len) != NULL)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0, "template contains a NUL byte");
    return render(&t, text, text + len, c, 0, out, e);
}

int dk_template_load(const char *dir, const char *file, dk_buf *out, dk_err *e)
{
    char path[DK_PATH_MAX];
    int n;

    if (file[0] == '\0' || strchr(file, '/') != NULL || file[0] == '.')
        return dk_err_set(e, DK_EINVAL, "template name '%s' must be a plain file name", file);
    n = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= sizeof path)
        return dk_err_set(e, DK_EINVAL, "templates directory path is too long");
    if (dk_read_file(path, TEMPLATE_MAX, out, e) < 0)
        return dk_err_prefix(e, "template %s: ", file);
    return 0;
}

int dk_template_render_file(const char *dir, const char *file, const dk_tctx *c, dk_buf *out,
                            dk_err *e)
{
    dk_buf t;
    int rc;

    dk_buf_init(&t, 0);
    rc = dk_template_load(dir, file, &t, e);
    if (rc == 0)
        rc = dk_template_render(file, t.data != NULL ? t.data : "", t.len, c, out, e);
    dk_buf_free(&t);
    return rc;
}
