/* manager.c - every run after the first: the domains and selectors of the
 * model, and what can be done with them.  Each action is a core call; the
 * result is shown in a scrollable view. */
#include <stdio.h>
#include <string.h>

#include "apply/apply.h"
#include "apply/keygen.h"
#include "model/model.h"
#include "plan/diff.h"
#include "plan/plan.h"
#include "render/records.h"
#include "ui.h"
#include "util/i18n.h"

#define HELP_MANAGER N_("Up/Down: choose   Enter: run   q: quit")

typedef struct manager {
    dk_model m;
    dk_buf text; /* the overview */
} manager;

static void draw_manager(ui *u, void *p)
{
    const manager *g = p;

    if (ui_frame(u, _("dkimctl - manager"), _(HELP_MANAGER)))
        ui_text(u, 2, 2, COLS - 4, UI_NORMAL, true, g->text.data != NULL ? g->text.data : "");
}

static int overview(manager *g, const dk_tui_opts *o, dk_err *e)
{
    dk_buf_reset(&g->text);
    if (dk_buf_printf(&g->text, e, _("Model: %s\n\n"), o->config) < 0)
        return -1;
    for (size_t i = 0; i < g->m.ndomains; i++) {
        const dk_domain *d = &g->m.domains[i];

        if (dk_buf_printf(&g->text, e, "%s%s\n", d->name,
                          d->subdomains ? _(" (and subdomains)") : "") < 0)
            return -1;
        for (size_t j = 0; j < d->nsel; j++) {
            const dk_selector *s = &d->sel[j];
            char size[16] = "";

            if (s->alg == DK_KEY_RSA)
                snprintf(size, sizeof size, "%u", s->bits);
            if (dk_buf_printf(&g->text, e, "  %-20s %-8s %5s  %s\n", s->name,
                              dk_keyalg_name(s->alg), size, dk_selstate_name(s->state)) < 0)
                return -1;
        }
    }
    return 0;
}

static void show_error(ui *u, const char *what, const dk_err *e)
{
    char msg[DK_ERR_MSG + DK_ERR_FILE + 32], body[DK_ERR_MSG * 2 + 256];

    snprintf(body, sizeof body, "%s\n\n%s", what, dk_err_format(e, msg, sizeof msg));
    (void)ui_view(u, _("dkimctl - error"), body);
}

static void action_records(ui *u, manager *g)
{
    dk_records rs;
    dk_findings notes;
    dk_buf out;
    dk_err e;

    dk_records_init(&rs);
    dk_findings_init(&notes);
    dk_buf_init(&out, 0);
    if (dk_records_build(&g->m, NULL, dk_keygen_pubkey_cb, (void *)u->opts->root, &rs, &notes, &e) <
            0 ||
        dk_records_render(&rs, DK_FMT_ZONE, DK_RECORD_TTL, &out, &e) < 0) {
        show_error(u, _("The DNS records cannot be built."), &e);
    } else {
        for (size_t i = 0; i < notes.n; i++)
            (void)dk_buf_printf(&out, NULL, "\n; %s: %s", dk_severity_name(notes.v[i].sev),
                                notes.v[i].what);
        (void)ui_view(u, _("DNS records to publish (zone file format)"), out.data);
    }
    dk_buf_free(&out);
    dk_findings_free(&notes);
    dk_records_free(&rs);
}

static bool keygen_progress(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    ui *u = ud;
    char line[256];

    if (!ui_frame(u, _("Making keys"), _("please wait")))
        return false;
    snprintf(line, sizeof line, "%s (%lu/%lu)", stage, done, total);
    ui_text(u, 2, 2, COLS - 4, UI_NORMAL, false, line);
    (void)refresh();
    return false;
}

static void action_keygen(ui *u, manager *g)
{
    dk_keygen_report rep;
    dk_progress p = {keygen_progress, u};
    dk_buf out;
    dk_err e;
    int rc;

    dk_keygen_report_init(&rep);
    dk_buf_init(&out, 0);
    rc = dk_keygen_model(u->opts->root, &g->m, NULL, NULL, false, &p, &rep, &e);
    for (size_t i = 0; i < rep.n; i++)
        (void)dk_buf_printf(&out, NULL, "%s._domainkey.%s: %s\n", rep.v[i].sel->name,
                            rep.v[i].domain->name, dk_keygen_status_name(rep.v[i].status));
    for (size_t i = 0; i < rep.notes.n; i++)
        (void)dk_buf_printf(&out, NULL, "%s: %s\n", dk_severity_name(rep.notes.v[i].sev),
                            rep.notes.v[i].what);
    if (rc < 0) {
        char msg[DK_ERR_MSG + DK_ERR_FILE + 32];
        (void)dk_buf_printf(&out, NULL, "\n%s %s\n", _("Stopped:"),
                            dk_err_format(&e, msg, sizeof msg));
    }
    (void)ui_view(u, _("Keys"), out.data != NULL ? out.data : "");
    dk_buf_free(&out);
    dk_keygen_report_free(&rep);
}

static int build_plan(ui *u, manager *g, dk_plan *p, dk_err *e)
{
    dk_plan_opts o;

    memset(&o, 0, sizeof o);
    o.templates = u->opts->templates;
    o.model_path = u->opts->config;
    dk_plan_init(p);
    return dk_plan_build(p, &g->m, u->opts->root, &o, e);
}

/* Findings, operations and the unified diffs of a plan, as text. */
static int describe_plan(const dk_plan *p, bool diffs, dk_buf *out, dk_err *e)
{
    for (size_t i = 0; i < p->findings.n; i++) {
        const dk_finding *f = &p->findings.v[i];

        if (dk_buf_printf(out, e, "%s: %s%s%s%s%s\n", dk_severity_name(f->sev), f->where,
                          f->where[0] != '\0' ? ": " : "", f->what,
                          f->fix[0] != '\0' ? _(" -- fix: ") : "", f->fix) < 0)
            return -1;
    }
    if (p->n == 0 && dk_buf_puts(out, _("Nothing to do: the system matches the model.\n"), e) < 0)
        return -1;
    for (size_t i = 0; i < p->n; i++)
        if (dk_buf_printf(out, e, "%3zu. %-6s %s\n", i + 1, dk_op_kind_name(p->ops[i].kind),
                          p->ops[i].summary) < 0)
            return -1;
    for (size_t i = 0; diffs && i < p->n; i++) {
        const dk_op *op = &p->ops[i];

        if (op->kind != DK_OP_WRITE && op->kind != DK_OP_EDIT)
            continue;
        if (dk_buf_putc(out, '\n', e) < 0 ||
            dk_diff_unified(op->path, op->old_data, op->old_len, op->path, op->new_data,
                            op->new_len, out, e) < 0)
            return -1;
    }
    return 0;
}

static void action_plan(ui *u, manager *g)
{
    dk_plan p;
    dk_buf out;
    dk_err e;

    dk_buf_init(&out, 0);
    if (build_plan(u, g, &p, &e) < 0 || describe_plan(&p, true, &out, &e) < 0)
        show_error(u, _("The plan cannot be made."), &e);
    else
        (void)ui_view(u, _("What apply would change"), out.data);
    dk_plan_free(&p);
    dk_buf_free(&out);
}

static void action_apply(ui *u, manager *g)
{
    dk_plan p;
    dk_buf out;
    dk_err e;
    dk_apply_opts o;
    dk_apply_result res;

    memset(&o, 0, sizeof o);
    dk_buf_init(&out, 0);
    if (build_plan(u, g, &p, &e) < 0 || describe_plan(&p, false, &out, &e) < 0) {
        show_error(u, _("The plan cannot be made."), &e);
        goto out;
    }
    if (p.n == 0 || dk_plan_blocked(&p)) {
        (void)dk_buf_puts(&out,
                          dk_plan_blocked(&p)
                              ? _("\nA critical finding blocks apply; nothing is changed.\n")
                              : "",
                          NULL);
        (void)ui_view(u, _("Apply"), out.data);
        goto out;
    }
    (void)dk_buf_puts(&out, _("\nEvery file is backed up first; 'dkimctl rollback' undoes it."),
                      NULL);
    if (ui_message(u, _("Apply these changes?"), out.data, _("Enter: apply   Esc: back")) != UI_OK)
        goto out;
    dk_buf_reset(&out);
    if (dk_apply(&p, &g->m, u->opts->root, &o, &res, &e) < 0) {
        show_error(u, _("Apply failed; every change was rolled back."), &e);
        goto out;
    }
    (void)dk_buf_printf(&out, NULL, _("Applied %zu operations.\n"), res.done);
    if (res.validated[0] != '\0')
        (void)dk_buf_printf(&out, NULL, _("Validation: %s\n"), res.validated);
    if (res.warnings[0] != '\0')
        (void)dk_buf_printf(&out, NULL, _("Notes: %s\n"), res.warnings);
    (void)ui_view(u, _("Applied"), out.data);
out:
    dk_plan_free(&p);
    dk_buf_free(&out);
}

int ui_manager(ui *u)
{
    const char *const items[] = {_("Show the DNS records to publish"), _("Make missing keys"),
                                 _("Review what apply would change"), _("Apply the changes"),
                                 _("Quit")};
    manager g;
    dk_err e;
    size_t sel = 0;
    int rc = 0;

    dk_buf_init(&g.text, 0);
    /* dk_model_load initialises the model, also when it fails */
    if (dk_model_load(&g.m, u->opts->root, u->opts->config, &e) < 0) {
        char msg[DK_ERR_MSG + DK_ERR_FILE + 32], body[DK_ERR_MSG * 2 + 512];

        snprintf(body, sizeof body,
                 _("The model cannot be loaded:\n\n%s\n\nFix the file (or move it away to start "
                   "the wizard again); nothing has been changed."),
                 dk_err_format(&e, msg, sizeof msg));
        (void)ui_view(u, _("dkimctl - error"), body);
        dk_model_free(&g.m);
        dk_buf_free(&g.text);
        return 1;
    }
    for (;;) {
        enum ui_result r;

        if (overview(&g, u->opts, &e) < 0) {
            rc = 1;
            break;
        }
        r = ui_menu(u, LINES - 7, 2, items, 5, &sel, draw_manager, &g);
        if (r == UI_QUIT || r == UI_BACK || sel == 4)
            break;
        if (sel == 0)
            action_records(u, &g);
        else if (sel == 1)
            action_keygen(u, &g);
        else if (sel == 2)
            action_plan(u, &g);
        else
            action_apply(u, &g);
    }
    dk_model_free(&g.m);
    dk_buf_free(&g.text);
    return rc;
}
