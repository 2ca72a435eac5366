/* model.c - the model: defaults, load, save, edits and cross-field validation. */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model/name.h"
#include "util/mem.h"

void dk_model_init(dk_model *m)
{
    memset(m, 0, sizeof *m);
    dk_section_defaults(&dk_model_section, m);
}

void dk_model_free(dk_model *m)
{
    if (m == NULL)
        return;
    dk_section_free(&dk_model_section, m);
    memset(m, 0, sizeof *m);
}

int dk_model_parse(dk_model *m, const char *name, const char *text, size_t len, dk_err *e)
{
    dk_model tmp;

    dk_model_init(m);
    if (len > DK_MODEL_MAXSIZE)
        return dk_err_setloc(e, DK_EINVAL, name, 0, 0, "the file is larger than %zu bytes",
                             DK_MODEL_MAXSIZE);
    dk_model_init(&tmp);
    if (dk_section_parse(&dk_model_section, &tmp, name, text, len, e) < 0) {
        dk_model_free(&tmp);
        return -1;
    }
    dk_model_free(m);
    *m = tmp;
    return 0;
}

int dk_model_load(dk_model *m, const dk_root *root, const char *path, dk_err *e)
{
    dk_buf b;
    int rc;

    dk_buf_init(&b, DK_MODEL_MAXSIZE + 1);
    if (path == NULL)
        path = DK_MODEL_PATH;
    rc = dk_root_read_file(root, path, DK_MODEL_MAXSIZE, &b, NULL, e);
    if (rc == 0)
        rc = dk_model_parse(m, path, b.data != NULL ? b.data : "", b.len, e);
    else
        dk_model_init(m);
    dk_buf_free(&b);
    return rc;
}

int dk_model_save(const dk_model *m, dk_buf *out, dk_err *e)
{
    if (dk_buf_puts(out,
                    "# dkimctl: the desired DKIM, SPF and DMARC set-up of this host.\n"
                    "# Written by 'dkimctl init'; comments are not kept.\n",
                    e) < 0)
        return -1;
    return dk_section_save(&dk_model_section, m, out, e);
}

/* ---- edits ------------------------------------------------------------------------- */

dk_domain *dk_model_find_domain(const dk_model *m, const char *aname)
{
    for (size_t i = 0; i < m->ndomains; i++)
        if (strcmp(m->domains[i].name, aname) == 0)
            return &m->domains[i];
    return NULL;
}

dk_domain *dk_model_add_domain(dk_model *m, const char *name, dk_err *e)
{
    char aname[DK_DOMAIN_MAX];
    dk_domain *d, *v;

    if (dk_name_domain(name, "domain", aname, sizeof aname, e) < 0)
        return NULL;
    d = dk_model_find_domain(m, aname);
    if (d != NULL)
        return d;
    v = dk_reallocarray(m->domains, m->ndomains + 1, sizeof *v, e);
    if (v == NULL)
        return NULL;
    m->domains = v;
    d = &v[m->ndomains++];
    memset(d, 0, sizeof *d);
    dk_section_defaults(&dk_domain_section, d);
    memcpy(d->name, aname, sizeof d->name);
    return d;
}

dk_selector *dk_domain_find_selector(const dk_domain *d, const char *name)
{
    for (size_t i = 0; i < d->nsel; i++)
        if (strcmp(d->sel[i].name, name) == 0)
            return &d->sel[i];
    return NULL;
}

static int derive_key(const dk_model *m, const dk_domain *d, dk_selector *s, dk_err *e)
{
    const char *dir = m->opendkim.keys_dir;
    int n = snprintf(s->key_path, sizeof s->key_path, "%s/%s/%s.private",
                     strcmp(dir, "/") == 0 ? "" : dir, d->name, s->name);

    if (n < 0 || (size_t)n >= sizeof s->key_path || !dk_path_is_clean(s->key_path)) {
        s->key_path[0] = '\0';
        return dk_err_set(e, DK_EINVAL,
                          "cannot derive the key path of selector %s of %s from keys_dir %s; "
                          "give key_path",
                          s->name, d->name, dir);
    }
    return 0;
}

dk_selector *dk_domain_add_selector(dk_model *m, dk_domain *d, const char *name, dk_err *e)
{
    char sname[DK_SELECTOR_MAX];
    dk_selector *s, *v;

    if (dk_name_selector(name, "selector", sname, sizeof sname, e) < 0)
        return NULL;
    s = dk_domain_find_selector(d, sname);
    if (s != NULL)
        return s;
    v = dk_reallocarray(d->sel, d->nsel + 1, sizeof *v, e);
    if (v == NULL)
        return NULL;
    d->sel = v;
    s = &v[d->nsel];
    memset(s, 0, sizeof *s);
    dk_section_defaults(&dk_selector_section, s);
    memcpy(s->name, sname, sizeof s->name);
    if (derive_key(m, d, s, e) < 0) {
        dk_section_free(&dk_selector_section, s);
        return NULL;
    }
    d->nsel++;
    return s;
}

int dk_model_derive_keys(dk_model *m, dk_err *e)
{
    for (size_t i = 0; i < m->ndomains; i++)
        for (size_t k = 0; k < m->domains[i].nsel; k++)
            if (m->domains[i].sel[k].key_path[0] == '\0' &&
                derive_key(m, &m->domains[i], &m->domains[i].sel[k], e) < 0)
                return -1;
    return 0;
}

int dk_strlist_add(dk_strlist *l, const char *s, dk_err *e)
{
    char **v, *c;

    c = dk_strdup(s, e);
    if (c == NULL)
        return -1;
    v = dk_reallocarray(l->v, l->n + 1, sizeof *v, e);
    if (v == NULL) {
        free(c);
        return -1;
    }
    l->v = v;
    l->v[l->n++] = c;
    return 0;
}

void dk_strlist_free(dk_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const char *dk_keyalg_name(enum dk_keyalg a)
{
    return a == DK_KEY_ED25519 ? "ed25519" : "rsa";
}

const char *dk_selstate_name(enum dk_selstate s)
{
    switch (s) {
    case DK_SEL_ACTIVE:
        return "active";
    case DK_SEL_PENDING:
        return "pending";
    case DK_SEL_RETIRED:
        return "retired";
    case DK_SEL_REVOKED:
        return "revoked";
    }
    return "?";
}

/* ---- validation ----------------------------------------------------------------------- */

#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (dk_findings_add(out, __VA_ARGS__) < 0)                                                 \
            return -1;                                                                             \
    } while (0)

static bool under_dir(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int validate_selectors(const dk_model *m, size_t di, dk_findings *out)
{
    const dk_domain *d = &m->domains[di];
    size_t nactive = 0, nrsa_active = 0;
    char where[96], fix[DK_PATH_MAX + 512];

    for (size_t k = 0; k < d->nsel; k++) {
        const dk_selector *s = &d->sel[k];

        (void)snprintf(where, sizeof where, "domains[%zu].selectors[%zu]", di, k);
        if (s->state == DK_SEL_ACTIVE) {
            nactive++;
            if (s->alg == DK_KEY_RSA)
                nrsa_active++;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(d->sel[j].name, s->name) == 0)
                ADD(DK_SEV_CRIT, where, "remove one of them or rename it",
                    "selector %s of %s is listed twice (selectors[%zu] and [%zu])", s->name,
                    d->name, j, k);
        if (s->name[0] == '\0' || strlen(s->name) + strlen("._domainkey.") + strlen(d->name) > 253)
            ADD(DK_SEV_CRIT, where, "choose a shorter selector",
                "the record name %s._domainkey.%s is empty or longer than 253 octets", s->name,
                d->name);
        if (s->alg == DK_KEY_RSA) {
            if (s->bits < 1024 || s->bits > 4096) {
                ADD(DK_SEV_CRIT, where, "use 2048 bits (bits: 2048)",
                    "RSA key size %u of selector %s is refused (1024..4096 accepted)", s->bits,
                    s->name);
            } else if (s->bits < 2048) {
                (void)snprintf(fix, sizeof fix,
                               "add a 2048-bit selector and rotate to it: dkimctl init --domain "
                               "%s --selector NEW --bits 2048",
                               d->name);
                ADD(DK_SEV_WARN, where, fix,
                    "selector %s of %s uses a %u-bit RSA key; fewer than 2048 bits is weak and "
                    "some verifiers refuse it",
                    s->name, d->name, s->bits);
            }
        }
        if (!dk_path_is_clean(s->key_path)) {
            (void)snprintf(fix, sizeof fix, "use an absolute path such as %s/%s/%s.private",
                           m->opendkim.keys_dir, d->name, s->name);
            ADD(DK_SEV_CRIT, where, fix,
                "key path '%s' of selector %s is not a clean absolute path", s->key_path, s->name);
        } else if (!under_dir(s->key_path, m->opendkim.keys_dir)) {
            ADD(DK_SEV_INFO, where, "keep keys under opendkim.keys_dir",
                "key %s of selector %s is outside keys_dir %s", s->key_path, s->name,
                m->opendkim.keys_dir);
        }
        for (size_t dj = 0; dj <= di; dj++) {
            size_t nj = dj < di ? m->domains[dj].nsel : k;

            for (size_t j = 0; j < nj; j++)
                if (strcmp(m->domains[dj].sel[j].key_path, s->key_path) == 0)
                    ADD(DK_SEV_CRIT, where, "give each selector its own key file",
                        "key file %s is also used by domains[%zu].selectors[%zu]", s->key_path, dj,
                        j);
        }
    }
    (void)snprintf(where, sizeof where, "domains[%zu]", di);
    if (d->nsel == 0) {
        (void)snprintf(fix, sizeof fix, "add one: dkimctl init --domain %s --selector NAME",
                       d->name);
        ADD(DK_SEV_CRIT, where, fix, "%s has no selector: its mail is not signed", d->name);
    } else if (nactive == 0) {
        ADD(DK_SEV_CRIT, where, "set state: active on the selector that should sign",
            "%s has no active selector: its mail is not signed", d->name);
    } else if (nactive > 1) {
        ADD(DK_SEV_WARN, where, "keep one active selector (state: retired for the old one)",
            "%s has %zu active selectors; mail is signed with one only", d->name, nactive);
    }
    if (nactive > 0 && nrsa_active == 0)
        ADD(DK_SEV_WARN, where,
            "sign with RSA 2048 unless every receiver that matters verifies Ed25519 (OpenDKIM "
            "signs with one algorithm, so both at once is not possible)",
            "%s signs with Ed25519 only; many verifiers do not check Ed25519 signatures yet",
            d->name);
    return 0;
}

static int validate_policies(const dk_domain *d, size_t di, dk_findings *out)
{
    char where[64];

    (void)snprintf(where, sizeof where, "domains[%zu].spf", di);
    if (d->spf.publish) {
        if (d->spf.all == DK_Q_PASS)
            ADD(DK_SEV_CRIT, where, "use all: softfail (or fail)",
                "SPF of %s ends in +all: anyone may send mail as %s", d->name, d->name);
        if (!d->spf.mx && !d->spf.a && d->spf.ip4.n == 0 && d->spf.ip6.n == 0 &&
            d->spf.include.n == 0)
            ADD(DK_SEV_WARN, where, "allow the sending hosts (mx: true, ip4, ip6 or include)",
                "SPF of %s authorises no host: all its mail fails SPF", d->name);
    }
    (void)snprintf(where, sizeof where, "domains[%zu].dmarc", di);
    if (d->dmarc.publish) {
        if (d->dmarc.pct > 100)
            ADD(DK_SEV_CRIT, where, "use 0..100", "DMARC pct %u of %s is out of range",
                d->dmarc.pct, d->name);
        if ((d->dmarc.adkim != 'r' && d->dmarc.adkim != 's') ||
            (d->dmarc.aspf != 'r' && d->dmarc.aspf != 's'))
            ADD(DK_SEV_CRIT, where, "use r or s", "DMARC alignment of %s is neither r nor s",
                d->name);
        if (d->dmarc.p == DK_DMARC_NONE)
            ADD(DK_SEV_INFO, where,
                "once the reports show your mail passes, move to p: quarantine, then reject",
                "DMARC of %s is p=none: failures are reported, not acted on", d->name);
        if (d->dmarc.rua.n == 0)
            ADD(DK_SEV_INFO, where, "add rua: [\"mailto:dmarc@DOMAIN\"]",
                "DMARC of %s asks for no aggregate reports", d->name);
    }
    return 0;
}

int dk_model_validate(const dk_model *m, dk_findings *out)
{
    struct {
        const char *where, *path;
    } paths[] = {
        {"opendkim.conf_path", m->opendkim.conf_path},
        {"opendkim.tables_dir", m->opendkim.tables_dir},
        {"opendkim.keys_dir", m->opendkim.keys_dir},
        {"postfix.config_dir", m->postfix.config_dir},
    };
    char where[64];

    if (m->ndomains == 0)
        ADD(DK_SEV_WARN, "domains", "add one: dkimctl init --domain example.org",
            "no domains are configured: nothing is signed");
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        (void)snprintf(where, sizeof where, "domains[%zu]", i);
        if (!dk_name_is_ldh_domain(d->name))
            ADD(DK_SEV_CRIT, where, "use a domain name such as example.org",
                "'%s' is not a valid domain name", d->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->domains[j].name, d->name) == 0)
                ADD(DK_SEV_CRIT, where, "remove one of them",
                    "domain %s is listed twice (domains[%zu] and domains[%zu])", d->name, j, i);
        if (validate_selectors(m, i, out) < 0 || validate_policies(d, i, out) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!dk_path_is_clean(paths[i].path))
            ADD(DK_SEV_CRIT, paths[i].where, "use a clean absolute path",
                "'%s' is not a clean absolute path", paths[i].path);
    return 0;
}
