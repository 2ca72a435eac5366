/* cmd_rollback.c - dkimctl rollback: undo the last apply. */
#include <stdio.h>

#include "apply/apply.h"
#include "cli/commands.h"

const char cmd_rollback_help[] =
    "Restores every file the last 'dkimctl apply' changed from its backup, removes\n"
    "the files and directories it created and undoes its group change, using the\n"
    "journal in /var/lib/dkimctl/journal.  Daemons are not reloaded.\n"
    "\n"
    "Exit status: 0 rolled back, 1 nothing to roll back or a step failed.\n";

int cmd_rollback(dk_cli *cli, int argc, char **argv)
{
    size_t n;
    dk_err e;

    (void)argv;
    if (argc > 1)
        return dk_cli_usage(cli, "rollback", "takes no arguments");
    dk_err_clear(&e);
    if (dk_rollback(&cli->root, &n, &e) < 0) {
        dk_cli_error(cli, &e);
        return DK_EXIT_FAIL;
    }
    printf("rolled back %zu change%s\n", n, n == 1 ? "" : "s");
    return DK_EXIT_OK;
}
