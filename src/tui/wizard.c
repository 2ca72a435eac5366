/* wizard.c - first run: ask the questions `dkimctl init` takes as flags,
 * show the resulting model, save it through the core. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apply/save.h"
#include "model/answers.h"
#include "model/model.h"
#include "model/name.h"
#include "ui.h"
#include "util/i18n.h"

#define HELP_FIELD N_("Enter: next   Esc: back   Ctrl-C: quit")
#define HELP_MENU  N_("Up/Down: choose   Enter: next   Esc: back   Ctrl-C: quit")

typedef struct wizard {
    char domain[DK_DOMAIN_MAX * 4];
    char selector[DK_SELECTOR_MAX];
    size_t alg;  /* index into algs */
    size_t subd; /* 0 no, 1 yes */
    const char *title;
    const char *question;
    const char *explain;
} wizard;

static const struct {
    const char *label;
    enum dk_keyalg alg;
    unsigned bits;
} algs[] = {
    {N_("RSA 2048 bits - understood by every verifier (recommended)"), DK_KEY_RSA, 2048},
    {N_("RSA 3072 bits - stronger, TXT record split into more strings"), DK_KEY_RSA, 3072},
    {N_("Ed25519 (RFC 8463) - small and fast; not yet verified everywhere"), DK_KEY_ED25519, 0},
};

static void draw_question(ui *u, void *p)
{
    const wizard *w = p;

    if (!ui_frame(u, w->title, w->question[0] == '\0' ? _(HELP_MENU) : _(HELP_FIELD)))
        return;
    ui_text(u, 2, 2, COLS - 4, UI_NORMAL, true, w->explain);
    if (w->question[0] != '\0') /* the field itself is drawn on row 6 from column 14 */
        ui_text(u, 6, 2, 11, UI_NORMAL, false, w->question);
}

static const char *check_domain(void *ctx, const char *value, char *msg, size_t size)
{
    char out[DK_DOMAIN_MAX];
    dk_err e;

    (void)ctx;
    if (dk_name_domain(value, "domain", out, sizeof out, &e) < 0) {
        snprintf(msg, size, "%s", e.msg);
        return msg;
    }
    return NULL;
}

static const char *check_selector(void *ctx, const char *value, char *msg, size_t size)
{
    char out[DK_SELECTOR_MAX];
    dk_err e;

    (void)ctx;
    if (dk_name_selector(value, "selector", out, sizeof out, &e) < 0) {
        snprintf(msg, size, "%s", e.msg);
        return msg;
    }
    return NULL;
}

/* The same answers `dkimctl init` takes, applied by the same core code. */
static int build_model(const wizard *w, dk_model *m, dk_err *e)
{
    char bits[16];
    dk_answers a;
    int rc;

    dk_model_init(m);
    dk_answers_init(&a, time(NULL));
    snprintf(bits, sizeof bits, "%u", algs[w->alg].bits);
    rc = dk_answers_set(&a, "domains", w->domain, _("Domain"), e) < 0 ||
                 dk_answers_set(&a, "selector", w->selector, _("Selector"), e) < 0 ||
                 dk_answers_set(&a, "algorithm", dk_keyalg_name(algs[w->alg].alg), _("Key"), e) <
                     0 ||
                 (algs[w->alg].alg == DK_KEY_RSA &&
                  dk_answers_set(&a, "bits", bits, _("Key"), e) < 0) ||
                 dk_answers_set(&a, "subdomains", w->subd == 1 ? "true" : "false", _("Subdomains"),
                                e) < 0 ||
                 dk_answers_apply(&a, m, e) < 0
             ? -1
             : 0;
    dk_answers_free(&a);
    return rc;
}

/* Review and save: -1 failed or quit, 0 back to the questions, 1 saved and
 * on to the manager, 2 saved and leave. */
static int step_summary(ui *u, wizard *w)
{
    dk_model m;
    dk_buf text;
    dk_err e;
    char body[8192];
    enum ui_result r;

    dk_buf_init(&text, 64 * 1024);
    if (build_model(w, &m, &e) < 0 || dk_model_save(&m, &text, &e) < 0) {
        snprintf(body, sizeof body, _("The answers cannot be used:\n\n%s"), e.msg);
        dk_model_free(&m);
        dk_buf_free(&text);
        return ui_message(u, _("dkimctl - error"), body, _("Esc: back   q: quit")) == UI_QUIT ? -1
                                                                                              : 0;
    }
    snprintf(body, sizeof body,
             _("This model will be saved to %s (under %s):\n\n%s\n"
               "Nothing else is changed yet: keys, OpenDKIM and Postfix files are made by the "
               "next steps (keygen, plan, apply), each shown before it is done."),
             u->opts->config, u->opts->root->dir, text.data);
    dk_buf_free(&text);
    r = ui_message(u, _("dkimctl setup - 5/5 review"), body,
                   _("Enter: save   Esc: back   q: quit"));
    if (r != UI_OK) {
        dk_model_free(&m);
        return r == UI_BACK ? 0 : -1;
    }
    if (dk_apply_save_model(u->opts->root, u->opts->config, &m, NULL, &e) < 0) {
        char msg[DK_ERR_MSG + DK_ERR_FILE + 32];
        snprintf(body, sizeof body, _("Saving failed; nothing was changed.\n\n%s"),
                 dk_err_format(&e, msg, sizeof msg));
        dk_model_free(&m);
        (void)ui_message(u, _("dkimctl - error"), body, _("Enter/q: quit"));
        return -1;
    }
    dk_model_free(&m);
    if (ui_message(u, _("dkimctl setup - saved"),
                   _("The model is saved.\n\nThe manager comes next; in this order:\n"
                     "  1. Make missing keys\n"
                     "  2. Show the DNS records to publish, and publish them\n"
                     "  3. Review what apply would change, then apply it\n"
                     "  4. Send a test message through Postfix: the proof that mail leaves "
                     "signed\n"),
                   _("Enter: continue   q: quit")) == UI_QUIT)
        return 2; /* saved; the user leaves here */
    return 1;
}

int ui_wizard(ui *u)
{
    wizard w;
    int step = 0;
    time_t now = time(NULL);
    struct tm tm;

    memset(&w, 0, sizeof w);
    if (localtime_r(&now, &tm) != NULL)
        (void)strftime(w.selector, sizeof w.selector, "s%Y%m", &tm);
    for (;;) {
        enum ui_result r = UI_OK;
        const char *const yesno[] = {_("No - only addresses @domain"),
                                     _("Yes - also @any.sub.domain")};

        switch (step) {
        case 0:
            r = ui_message(u, _("dkimctl setup"),
                           _("No configuration yet: this wizard asks a few questions and writes "
                             "the dkimctl model. Nothing on the system changes until you apply "
                             "the plan, and every change is shown first.\n\n"
                             "You will need: the mail domain, and access to its DNS zone."),
                           _("Enter: start   q: quit"));
            break;
        case 1:
            w.title = _("dkimctl setup - 1/5 domain");
            w.explain = _("Which domain does this host send mail for? (the part after @ in From)");
            w.question = _("Domain:");
            r = ui_input(u, 6, 14, 60, w.domain, sizeof w.domain, check_domain, draw_question, &w);
            break;
        case 2:
            w.title = _("dkimctl setup - 2/5 selector");
            w.explain = _("The selector names the key in DNS (SELECTOR._domainkey.DOMAIN). A date "
                          "makes rotation easy: the next key gets the next date.");
            w.question = _("Selector:");
            r = ui_input(u, 6, 14, 40, w.selector, sizeof w.selector, check_selector, draw_question,
                         &w);
            break;
        case 3:
            w.title = _("dkimctl setup - 3/5 key");
            w.explain = _("Which key? RSA 1024 is not offered: it is too weak (RFC 8301).");
            w.question = "";
            r = ui_menu(u, 5, 4,
                        (const char *const[]){_(algs[0].label), _(algs[1].label), _(algs[2].label)},
                        3, &w.alg, draw_question, &w);
            break;
        case 4:
            w.title = _("dkimctl setup - 4/5 subdomains");
            w.explain = _("Sign mail from subdomains (user@lists.DOMAIN) with the same key?");
            w.question = "";
            r = ui_menu(u, 5, 4, yesno, 2, &w.subd, draw_question, &w);
            break;
        default: {
            int s = step_summary(u, &w);
            if (s < 0)
                return 1;
            if (s == 2)
                return 0;
            if (s > 0)
                return ui_manager(u); /* the model exists now: manage it */
            r = UI_BACK;
        }
        }
        if (r == UI_QUIT)
            return 1;
        if (r == UI_BACK)
            step = step > 0 ? step - 1 : 0;
        else
            step++;
    }
}
