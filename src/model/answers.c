/* answers.c - the answers of `dkimctl init` and the wizard, applied to the model. */
#include "model/answers.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "model/name.h"
#include "util/mem.h"

void dk_answers_init(dk_answers *a, time_t now)
{
    struct tm tm;

    memset(a, 0, sizeof *a);
    dk_section_defaults(&dk_answers_section, a);
    if (gmtime_r(&now, &tm) != NULL)
        (void)snprintf(a->selector, sizeof a->selector, "s%04d%02d", (tm.tm_year + 1900) % 10000,
                       tm.tm_mon + 1);
    else
        (void)snprintf(a->selector, sizeof a->selector, "default");
}

void dk_answers_free(dk_answers *a)
{
    if (a == NULL)
        return;
    dk_section_free(&dk_answers_section, a);
    memset(a, 0, sizeof *a);
}

int dk_answers_parse(dk_answers *a, const char *name, const char *text, size_t len, time_t now,
                     dk_err *e)
{
    dk_answers tmp;

    dk_answers_init(a, now);
    if (len > DK_MODEL_MAXSIZE)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0, "the file is larger than %zu bytes",
                             DK_MODEL_MAXSIZE);
    dk_answers_init(&tmp, now);
    if (dk_section_parse(&dk_answers_section, &tmp, name, text, len, e) < 0) {
        dk_answers_free(&tmp);
        return -1;
    }
    dk_answers_free(a);
    *a = tmp;
    return 0;
}

int dk_answers_set(dk_answers *a, const char *key, const char *value, const char *label, dk_err *e)
{
    return dk_section_set(&dk_answers_section, a, key, value, label, e);
}

/* Replace *dst (an spf or dmarc policy) with a deep copy of *src. */
static int replace(const dk_section *sec, void *dst, const void *src, size_t size, dk_err *e)
{
    union {
        dk_spf_policy spf;
        dk_dmarc_policy dmarc;
    } tmp;

    if (size > sizeof tmp)
        return dk_err_set(e, DK_EINTERNAL, "section too large to copy");
    memcpy(&tmp, src, size);
    if (dk_section_copy(sec, &tmp, src, e) < 0) {
        dk_section_free(sec, &tmp);
        return -1;
    }
    dk_section_free(sec, dst);
    memcpy(dst, &tmp, size);
    return 0;
}

static int apply_domain(const dk_answers *a, dk_model *m, const char *name, dk_err *e)
{
    char aname[DK_DOMAIN_MAX], sname[DK_SELECTOR_MAX];
    dk_domain *d;
    dk_selector *s;
    bool existed, active = false;
    unsigned bits = a->bits;

    if (dk_name_domain(name, "domains", aname, sizeof aname, e) < 0 ||
        dk_name_selector(a->selector, "selector", sname, sizeof sname, e) < 0 ||
        dk_selector_fix_bits(a->alg, &bits, NULL, NULL, "answers", e) < 0)
        return -1;
    existed = dk_model_find_domain(m, aname) != NULL;
    d = dk_model_add_domain(m, aname, e);
    if (d == NULL)
        return -1;
    if (!existed || a->has_subdomains)
        d->subdomains = a->subdomains;
    if ((!existed || a->has_spf) &&
        replace(&dk_spf_section, &d->spf, &a->spf, sizeof d->spf, e) < 0)
        return -1;
    if ((!existed || a->has_dmarc) &&
        replace(&dk_dmarc_section, &d->dmarc, &a->dmarc, sizeof d->dmarc, e) < 0)
        return -1;
    s = dk_domain_find_selector(d, sname);
    if (s != NULL) {
        if ((a->has_alg && s->alg != a->alg) || (a->has_bits && s->bits != bits))
            return dk_err_setloc(e, DK_EINVAL, "selector", 0, 0,
                                 "%s already has the selector %s (%s%s%.0u); a different key "
                                 "needs a new selector name",
                                 d->name, s->name, dk_keyalg_name(s->alg),
                                 s->alg == DK_KEY_RSA ? ", bits " : "", s->bits);
        return 0;
    }
    for (size_t i = 0; i < d->nsel; i++)
        if (d->sel[i].state == DK_SEL_ACTIVE)
            active = true;
    s = dk_domain_add_selector(m, d, sname, e);
    if (s == NULL)
        return -1;
    s->alg = a->alg;
    s->bits = bits;
    s->state = active ? DK_SEL_PENDING : DK_SEL_ACTIVE;
    return 0;
}

int dk_answers_apply(const dk_answers *a, dk_model *m, dk_err *e)
{
    if (a->domains.n == 0 && m->ndomains == 0)
        return dk_err_setloc(e, DK_EINVAL, "domains", 0, 0,
                             "no domain given; name at least one (--domain example.org or "
                             "domains: [example.org])");
    if (a->has_socket && dk_strlcpy(m->opendkim.socket, a->socket, sizeof m->opendkim.socket) < 0)
        return dk_err_setloc(e, DK_EINVAL, "socket", 0, 0, "socket: too long");
    for (size_t i = 0; i < a->domains.n; i++)
        if (apply_domain(a, m, a->domains.v[i], e) < 0)
            return -1;
    return 0;
}
