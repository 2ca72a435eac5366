/* cmd_diff.c - dkimctl diff: unified diffs of what apply would change. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "model/model.h"
#include "plan/diff.h"
#include "plan/plan.h"

const char cmd_diff_help[] =
    "Shows what 'dkimctl apply' would change: a unified diff for every file it\n"
    "writes or edits (old file on the --- side, /dev/null for a new file), and one\n"
    "line for every other operation.  Private keys are never shown.\n"
    "\n"
    "Exit status: 0 no differences, 1 differences (like diff(1)) or a critical\n"
    "finding, 2 bad usage or an unreadable model.\n";

int cmd_diff(dk_cli *cli, int argc, char **argv)
{
    dk_model m;
    dk_plan p;
    dk_buf out;
    dk_err e;
    int rc;

    (void)argv;
    if (argc > 1)
        return dk_cli_usage(cli, "diff", "takes no arguments");
    rc = cmd_plan_prepare(cli, &m, &p, false);
    if (rc != DK_EXIT_OK)
        goto done;
    dk_cli_print_findings(cli, stderr, &p.findings);
    dk_buf_init(&out, 0);
    for (size_t i = 0; i < p.n; i++) {
        const dk_op *op = &p.ops[i];

        if (op->kind != DK_OP_WRITE && op->kind != DK_OP_EDIT) {
            printf("# %s: %s\n", dk_op_kind_name(op->kind), op->summary);
            continue;
        }
        dk_buf_reset(&out);
        dk_err_clear(&e);
        if (dk_diff_unified(op->path, op->old_data, op->old_len, op->path, op->new_data,
                            op->new_len, &out, &e) < 0) {
            dk_cli_error(cli, &e);
            rc = DK_EXIT_FAIL;
            break;
        }
        if (out.len == 0)
            printf("# %s: %s\n", dk_op_kind_name(op->kind), op->summary);
        else
            fwrite(out.data, 1, out.len, stdout);
    }
    dk_buf_free(&out);
    if (rc == DK_EXIT_OK && (p.n > 0 || dk_plan_blocked(&p)))
        rc = DK_EXIT_FAIL;
done:
    dk_plan_free(&p);
    dk_model_free(&m);
    return rc;
}
