/* finding.c - lists of findings. */
#include "util/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/mem.h"

void dk_findings_init(dk_findings *f)
{
    f->v = NULL;
    f->n = 0;
    f->cap = 0;
}

void dk_findings_free(dk_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].where);
        free(f->v[i].what);
        free(f->v[i].fix);
    }
    free(f->v);
    dk_findings_init(f);
}

int dk_findings_add(dk_findings *f, enum dk_severity sev, const char *where, const char *fix,
                    const char *fmt, ...)
{
    dk_finding *x;
    dk_buf what;
    va_list ap;
    int rc;

    if (f->n == f->cap) {
        size_t ncap = f->cap == 0 ? 8 : f->cap * 2;
        dk_finding *v = dk_reallocarray(f->v, ncap, sizeof *v, NULL);

        if (v == NULL)
            return -1;
        f->v = v;
        f->cap = ncap;
    }
    dk_buf_init(&what, 4096);
    va_start(ap, fmt);
    rc = dk_buf_vprintf(&what, NULL, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        dk_buf_free(&what);
        return -1;
    }
    x = &f->v[f->n];
    x->sev = sev;
    x->what = dk_buf_steal(&what, NULL);
    x->where = dk_strdup(where != NULL ? where : "", NULL);
    x->fix = dk_strdup(fix != NULL ? fix : "", NULL);
    if (x->what == NULL || x->where == NULL || x->fix == NULL) {
        free(x->what);
        free(x->where);
        free(x->fix);
        return -1;
    }
    f->n++;
    return 0;
}

enum dk_severity dk_findings_worst(const dk_findings *f)
{
    enum dk_severity w = DK_SEV_OK;

    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].sev > w)
            w = f->v[i].sev;
    return w;
}

size_t dk_findings_count(const dk_findings *f, enum dk_severity sev)
{
    size_t c = 0;

    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].sev == sev)
            c++;
    return c;
}

const char *dk_severity_name(enum dk_severity sev)
{
    switch (sev) {
    case DK_SEV_OK:
        return "ok";
    case DK_SEV_INFO:
        return "info";
    case DK_SEV_WARN:
        return "warning";
    case DK_SEV_CRIT:
        return "critical";
    }
    return "?";
}
