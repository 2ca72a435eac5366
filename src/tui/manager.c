/* manager.c - every run after the first: the domains and selectors of the
 * model, and what can be done with them. */
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "ui.h"
#include "util/i18n.h"

typedef struct manager {
    dk_model m;
    char text[8192];
} manager;

static void draw_manager(ui *u, void *p)
{
    const manager *g = p;

    if (ui_frame(u, _("dkimctl - manager"), _("q: quit")))
        ui_text(u, 2, 2, COLS - 4, UI_NORMAL, true, g->text);
}

int ui_manager(ui *u)
{
    manager g;
    dk_err e;
    size_t off = 0;
    int rc = 0;

    dk_model_init(&g.m);
    if (dk_model_load(&g.m, u->opts->root, u->opts->config, &e) < 0) {
        char msg[DK_ERR_MSG + DK_ERR_FILE + 32];
        snprintf(g.text, sizeof g.text,
                 _("The model cannot be loaded:\n\n%s\n\nFix the file (or move it away to start "
                   "the wizard again); nothing has been changed."),
                 dk_err_format(&e, msg, sizeof msg));
        rc = 1;
    } else {
        off += (size_t)snprintf(g.text, sizeof g.text, _("Model: %s\n\n"), u->opts->config);
        for (size_t i = 0; i < g.m.ndomains && off < sizeof g.text; i++) {
            const dk_domain *d = &g.m.domains[i];
            off += (size_t)snprintf(g.text + off, sizeof g.text - off, "%s%s\n", d->name,
                                    d->subdomains ? _(" (and subdomains)") : "");
            for (size_t j = 0; j < d->nsel && off < sizeof g.text; j++) {
                const dk_selector *s = &d->sel[j];
                off += (size_t)snprintf(
                    g.text + off, sizeof g.text - off, "  selector %-20s %-8s %5u  %s\n", s->name,
                    dk_keyalg_name(s->alg), s->bits, dk_selstate_name(s->state));
            }
        }
    }
    for (;;) {
        wint_t wc;
        int k;

        draw_manager(u, &g);
        k = ui_key(u, &wc);
        if (k == OK && (wc == L'q' || wc == L'Q' || wc == 3 || wc == 27))
            break;
    }
    dk_model_free(&g.m);
    return rc;
}
