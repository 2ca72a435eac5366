/* cmd_plan.c - dkimctl plan: the operations apply would carry out. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "apply/apply.h"
#include "cli/commands.h"
#include "model/model.h"
#include "plan/plan.h"

const char cmd_plan_help[] =
    "Reads the model and the system (under --root) and lists what 'dkimctl apply'\n"
    "would do: create directories and keys, write OpenDKIM's files, edit main.cf,\n"
    "set owners, add postfix to the opendkim group.  Nothing is changed.\n"
    "\n"
    "Options:\n"
    "  --reload    include the reload of opendkim and postfix\n"
    "\n"
    "Exit status: 0 the plan can be applied (or there is nothing to do),\n"
    "1 a critical finding blocks it, 2 bad usage or an unreadable model.\n";

int cmd_plan_prepare(dk_cli *cli, dk_model *m, dk_plan *p, bool reload)
{
    dk_plan_opts o;
    dk_err e;

    dk_err_clear(&e);
    dk_plan_init(p);
    if (dk_cli_load_model(cli, m) != DK_EXIT_OK) {
        dk_model_init(m); /* the callers free it */
        return DK_EXIT_USAGE;
    }
    memset(&o, 0, sizeof o);
    o.templates = cli->templates;
    o.model_path = cli->config;
    o.reload = reload;
    if (dk_plan_build(p, m, &cli->root, &o, &e) < 0) {
        dk_cli_error(cli, &e);
        return DK_EXIT_FAIL;
    }
    return DK_EXIT_OK;
}

static bool parse_reload(dk_cli *cli, const char *name, int argc, char **argv, bool *reload)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reload") == 0) {
            *reload = true;
        } else {
            (void)dk_cli_usage(cli, name, "unknown argument '%s'", argv[i]);
            return false;
        }
    }
    return true;
}

int cmd_plan(dk_cli *cli, int argc, char **argv)
{
    dk_model m;
    dk_plan p;
    bool reload = false;
    int rc;

    if (!parse_reload(cli, "plan", argc, argv, &reload))
        return DK_EXIT_USAGE;
    rc = cmd_plan_prepare(cli, &m, &p, reload);
    if (rc != DK_EXIT_OK)
        goto out;
    dk_cli_print_findings(cli, stderr, &p.findings);
    if (p.n == 0)
        printf("nothing to do: the system matches the model\n");
    else
        printf("%zu operation%s:\n", p.n, p.n == 1 ? "" : "s");
    for (size_t i = 0; i < p.n; i++)
        printf("%3zu. %-6s %s\n", i + 1, dk_op_kind_name(p.ops[i].kind), p.ops[i].summary);
    if (dk_plan_blocked(&p)) {
        fprintf(stderr, "%s: a critical finding blocks apply; nothing would be changed\n",
                cli->progname);
        rc = DK_EXIT_FAIL;
    }
out:
    dk_plan_free(&p);
    dk_model_free(&m);
    return rc;
}
