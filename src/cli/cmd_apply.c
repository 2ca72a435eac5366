/* cmd_apply.c - dkimctl apply: carry out the plan, all or nothing. */
#include <stdio.h>
#include <string.h>

#include "apply/apply.h"
#include "cli/commands.h"
#include "model/model.h"
#include "plan/plan.h"

const char cmd_apply_help[] =
    "Carries out the plan ('dkimctl plan' shows it): backups first, owner and mode\n"
    "on every file, key files checked as OpenDKIM's RequireSafeKeys checks them,\n"
    "then 'opendkim -n' and 'postfix check' on the result (on the real root, or\n"
    "with --validate).  Any failure rolls back every change and says what failed.\n"
    "Running it again changes nothing.  'dkimctl rollback' undoes the last apply.\n"
    "\n"
    "Options:\n"
    "  --reload     then restart opendkim and reload postfix (systemctl where systemd\n"
    "               runs, the daemons' own commands otherwise; never under --root)\n"
    "  --validate   run the daemons' checks under --root too\n"
    "\n"
    "Exit status: 0 applied (or nothing to do), 1 refused or failed (nothing\n"
    "changed), 2 bad usage or an unreadable model.\n";

int cmd_apply(dk_cli *cli, int argc, char **argv)
{
    dk_apply_opts o;
    dk_apply_result res;
    dk_model m;
    dk_plan p;
    dk_err e;
    int rc;

    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reload") == 0)
            o.reload = true;
        else if (strcmp(argv[i], "--validate") == 0)
            o.validate = true;
        else
            return dk_cli_usage(cli, "apply", "unknown argument '%s'", argv[i]);
    }
    rc = cmd_plan_prepare(cli, &m, &p, o.reload);
    if (rc != DK_EXIT_OK)
        goto out;
    dk_cli_print_findings(cli, stderr, &p.findings);
    if (p.n == 0 && !dk_plan_blocked(&p)) {
        printf("nothing to do: the system matches the model\n");
        goto out;
    }
    dk_err_clear(&e);
    if (dk_apply(&p, &m, &cli->root, &o, &res, &e) < 0) {
        dk_cli_error(cli, &e);
        rc = DK_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < p.n; i++)
        if (!cli->quiet)
            printf("done: %s\n", p.ops[i].summary);
    if (res.validated[0] != '\0')
        printf("validation: %s\n", res.validated);
    if (res.reloaded[0] != '\0')
        printf("reload: %s\n", res.reloaded);
    printf("applied %zu operation%s; 'dkimctl rollback' undoes them\n", res.done,
           res.done == 1 ? "" : "s");
out:
    dk_plan_free(&p);
    dk_model_free(&m);
    return rc;
}
