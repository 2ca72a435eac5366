/* dmarc_build.c - DMARC record text from the model, and the staged path
 * p=none -> quarantine -> reject. */
#include "policy/dmarc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Is s (from here to the end) a DMARC size limit "!" 1*DIGIT [k|m|g|t]? */
static bool is_size_suffix(const char *s)
{
    size_t n = 0;

    if (*s++ != '!')
        return false;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0)
        return false;
    if (s[n] == 'k' || s[n] == 'm' || s[n] == 'g' || s[n] == 't')
        n++;
    return s[n] == '\0';
}

/* One report URI with ',' ';' '!' (unless a size suffix) and spaces
 * percent-encoded (RFC 7489 6.2). */
static int put_uri(dk_buf *out, const char *u, size_t idx, const char *field, dk_err *e)
{
    if (strncmp(u, "mailto:", 7) != 0 || u[7] == '\0')
        return dk_err_setloc(e, DK_EINVAL, field, 0, 0, "entry %zu ('%s') is not a mailto: URI",
                             idx, u);
    for (const char *c = u; *c != '\0'; c++) {
        unsigned char ch = (unsigned char)*c;
        int rc;

        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            return dk_err_setloc(e, DK_EINVAL, field, 0, 0,
                                 "entry %zu holds a quote, backslash or a byte outside printable "
                                 "ASCII",
                                 idx);
        if (ch == '!' && is_size_suffix(c))
            return dk_buf_puts(out, c, e);
        if (ch == ',' || ch == ';' || ch == ' ' || ch == '!')
            rc = dk_buf_printf(out, e, "%%%02X", ch);
        else
            rc = dk_buf_putc(out, (char)ch, e);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int put_uris(dk_buf *out, const char *tag, const dk_strlist *l, dk_err *e)
{
    char field[16];

    if (l->n == 0)
        return 0;
    (void)snprintf(field, sizeof field, "dmarc.%s", tag);
    if (dk_buf_printf(out, e, "; %s=", tag) < 0)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        if ((i > 0 && dk_buf_putc(out, ',', e) < 0) || put_uri(out, l->v[i], i + 1, field, e) < 0)
            return -1;
    return 0;
}

/* "0", "1", "d", "s" or a colon-separated list of them */
static bool fo_ok(const char *fo)
{
    if (fo[0] == '\0')
        return false;
    for (const char *c = fo;; c += 2) {
        if (c[0] != '0' && c[0] != '1' && c[0] != 'd' && c[0] != 's')
            return false;
        if (c[1] == '\0')
            return true;
        if (c[1] != ':')
            return false;
    }
}

int dk_dmarc_record_text(const dk_dmarc_policy *pol, enum dk_dmarc_p p, unsigned pct, dk_buf *out,
                         dk_err *e)
{
    if (p == DK_DMARC_UNSET)
        return dk_err_setloc(e, DK_EINVAL, "dmarc.p", 0, 0,
                             "DMARC policy is unset; accepted: none, quarantine, reject");
    if (pct > 100)
        return dk_err_setloc(e, DK_EINVAL, "dmarc.pct", 0, 0, "%u is outside 0..100", pct);
    if (pol->fo[0] != '\0' && !fo_ok(pol->fo))
        return dk_err_setloc(e, DK_EINVAL, "dmarc.fo", 0, 0,
                             "'%s' is not accepted; use 0, 1, d, s or a colon list of them",
                             pol->fo);
    if (dk_buf_printf(out, e, "v=DMARC1; p=%s", dk_dmarc_p_name(p)) < 0)
        return -1;
    if (pol->sp != DK_DMARC_UNSET && dk_buf_printf(out, e, "; sp=%s", dk_dmarc_p_name(pol->sp)) < 0)
        return -1;
    if (pol->np != DK_DMARC_UNSET && dk_buf_printf(out, e, "; np=%s", dk_dmarc_p_name(pol->np)) < 0)
        return -1;
    if (pct != 100 && dk_buf_printf(out, e, "; pct=%u", pct) < 0)
        return -1;
    if (put_uris(out, "rua", &pol->rua, e) < 0 || put_uris(out, "ruf", &pol->ruf, e) < 0)
        return -1;
    if (pol->adkim == 's' && dk_buf_puts(out, "; adkim=s", e) < 0)
        return -1;
    if (pol->aspf == 's' && dk_buf_puts(out, "; aspf=s", e) < 0)
        return -1;
    if (pol->fo[0] != '\0' && strcmp(pol->fo, "0") != 0 &&
        dk_buf_printf(out, e, "; fo=%s", pol->fo) < 0)
        return -1;
    return 0;
}

void dk_dmarc_stages_free(dk_dmarc_stage *stages, size_t n)
{
    if (stages == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(stages[i].record);
        free(stages[i].reason);
    }
    free(stages);
}

static int add_stage(const dk_dmarc_policy *pol, enum dk_dmarc_p p, unsigned pct,
                     const char *reason, dk_dmarc_stage *v, size_t *n, dk_err *e)
{
    dk_buf b;
    dk_dmarc_stage *s = &v[*n];
    dk_dmarc_record check;

    dk_buf_init(&b, 4096);
    if (dk_dmarc_record_text(pol, p, pct, &b, e) < 0) {
        dk_buf_free(&b);
        return -1;
    }
    /* what we propose must parse */
    if (dk_dmarc_parse(b.data, b.len, &check, NULL, NULL, e) < 0) {
        dk_err_prefix(e, "the model's DMARC settings give an invalid record: ");
        dk_buf_free(&b);
        return -1;
    }
    dk_dmarc_record_free(&check);
    s->p = p;
    s->pct = pct;
    s->record = dk_buf_steal(&b, NULL);
    s->reason = dk_strdup(reason, e);
    if (s->record == NULL || s->reason == NULL) {
        free(s->record);
        free(s->reason);
        return -1;
    }
    (*n)++;
    return 0;
}

int dk_dmarc_build(const char *domain, const dk_dmarc_policy *pol, bool ramp,
                   dk_dmarc_stage **stages, size_t *n, dk_findings *out, dk_err *e)
{
    dk_dmarc_policy p = *pol;
    dk_strlist rua = {NULL, 0};
    char *def = NULL;
    dk_dmarc_stage *v;
    enum dk_dmarc_p target = pol->p == DK_DMARC_UNSET ? DK_DMARC_REJECT : pol->p;

    *stages = NULL;
    *n = 0;
    if (pol->rua.n == 0) {
        size_t len = strlen(domain) + sizeof "mailto:dmarc-reports@";
        def = dk_calloc(len, 1, e);
        if (def == NULL)
            return -1;
        memcpy(def, "mailto:dmarc-reports@", sizeof "mailto:dmarc-reports@" - 1);
        memcpy(def + sizeof "mailto:dmarc-reports@" - 1, domain, strlen(domain));
        rua.v = &def;
        rua.n = 1;
        p.rua = rua;
        if (out != NULL &&
            dk_findings_add(out, DK_SEV_WARN, domain,
                            "set dmarc.rua to the mailbox that should receive the reports",
                            "no rua in the model: the stages use %s; without reports you "
                            "cannot tell when it is safe to tighten the policy",
                            def) < 0)
            goto fail;
    }
    v = dk_calloc(6, sizeof *v, e);
    if (v == NULL)
        goto fail;
    *stages = v;
    if (add_stage(&p, DK_DMARC_NONE, 100,
                  "monitor: receivers send daily aggregate reports and deliver failing mail as "
                  "before; stay here (2-4 weeks) until the reports show every legitimate "
                  "sender passing SPF or DKIM aligned with the From domain",
                  v, n, e) < 0)
        goto fail;
    if (target >= DK_DMARC_QUARANTINE) {
        if (ramp) {
            if (add_stage(&p, DK_DMARC_QUARANTINE, 25,
                          "quarantine a quarter of the failing mail: a problem you missed "
                          "hurts only a few messages (pct is replaced by t= in DMARCbis; "
                          "receivers that ignore pct apply the full policy)",
                          v, n, e) < 0 ||
                add_stage(&p, DK_DMARC_QUARANTINE, 50,
                          "quarantine half of the failing mail once the reports stay clean", v, n,
                          e) < 0)
                goto fail;
        }
        if (add_stage(&p, DK_DMARC_QUARANTINE, 100,
                      "quarantine: mail that fails DMARC goes to the spam folder; move on "
                      "when the reports show no legitimate mail failing for some weeks",
                      v, n, e) < 0)
            goto fail;
    }
    if (target == DK_DMARC_REJECT &&
        add_stage(&p, DK_DMARC_REJECT, 100,
                  "reject: receivers refuse mail that fails DMARC, which stops spoofing of "
                  "the domain; keep reading the reports",
                  v, n, e) < 0)
        goto fail;
    if (out != NULL && target == DK_DMARC_NONE &&
        dk_findings_add(out, DK_SEV_INFO, domain,
                        "set dmarc.p to quarantine or reject when the reports are clean",
                        "the model's target is p=none: monitoring only") < 0)
        goto fail;
    free(def);
    return 0;
fail:
    free(def);
    dk_dmarc_stages_free(*stages, *n);
    *stages = NULL;
    *n = 0;
    return -1;
}
