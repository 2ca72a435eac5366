/* commands.c - the command table: one line per subcommand, one file each. */
#include "cli/cli.h"
#include "cli/commands.h"

const dk_command dk_commands[] = {
    {"version", "", "print the version", "", cmd_version},
    {NULL, NULL, NULL, NULL, NULL},
};
