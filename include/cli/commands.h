/* commands.h - entry points of the subcommands (src/cli/cmd_*.c). */
#ifndef DK_CLI_COMMANDS_H
#define DK_CLI_COMMANDS_H

#include "cli/cli.h"

int cmd_init(dk_cli *cli, int argc, char **argv);
extern const char cmd_init_help[];
int cmd_version(dk_cli *cli, int argc, char **argv);
int cmd_keygen(dk_cli *cli, int argc, char **argv);
int cmd_records(dk_cli *cli, int argc, char **argv);
int cmd_check(dk_cli *cli, int argc, char **argv);
extern const char cmd_check_help[];

#endif
