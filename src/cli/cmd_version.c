/* cmd_version.c - dkimctl version */
#include <stdio.h>

#include "cli/commands.h"

int cmd_version(dk_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argv;
    if (argc > 1)
        return dk_cli_usage(cli, "version", "takes no arguments");
    printf("dkimctl %s\n", DK_VERSION);
    return DK_EXIT_OK;
}
