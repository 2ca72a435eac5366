/* commands.h - entry points of the subcommands (src/cli/cmd_*.c). */
#ifndef DK_CLI_COMMANDS_H
#define DK_CLI_COMMANDS_H

#include "cli/cli.h"

int cmd_init(dk_cli *cli, int argc, char **argv);
extern const char cmd_init_help[];
int cmd_version(dk_cli *cli, int argc, char **argv);
int cmd_plan(dk_cli *cli, int argc, char **argv);
int cmd_diff(dk_cli *cli, int argc, char **argv);
int cmd_apply(dk_cli *cli, int argc, char **argv);
int cmd_rollback(dk_cli *cli, int argc, char **argv);
extern const char cmd_plan_help[], cmd_diff_help[], cmd_apply_help[], cmd_rollback_help[];

struct dk_model;
struct dk_plan;
/* Load and validate the model, build the plan (src/cli/cmd_plan.c). */
int cmd_plan_prepare(dk_cli *cli, struct dk_model *m, struct dk_plan *p, bool reload);
int cmd_keygen(dk_cli *cli, int argc, char **argv);
int cmd_records(dk_cli *cli, int argc, char **argv);
int cmd_sign(dk_cli *cli, int argc, char **argv);
extern const char cmd_sign_args[], cmd_sign_help[];
int cmd_verify(dk_cli *cli, int argc, char **argv);
extern const char cmd_verify_help[];
int cmd_test(dk_cli *cli, int argc, char **argv);
extern const char cmd_test_args[], cmd_test_help[];
int cmd_check(dk_cli *cli, int argc, char **argv);
extern const char cmd_check_help[];

#endif
