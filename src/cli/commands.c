/* commands.c - the command table: one line per subcommand, one file each. */
#include "cli/cli.h"
#include "cli/commands.h"

const dk_command dk_commands[] = {
    {"init",
     "[--domain D]... [--selector S] [--algorithm rsa|ed25519] [--bits N] [--subdomains] [--socket "
     "S] [--answers FILE] [--print]",
     "create or update the model from flags or an answers file", cmd_init_help, cmd_init},
    {"plan", "[--reload]", "list what apply would change", cmd_plan_help, cmd_plan},
    {"diff", "", "show unified diffs of what apply would change", cmd_diff_help, cmd_diff},
    {"apply", "[--reload] [--validate]", "carry out the plan, all or nothing", cmd_apply_help,
     cmd_apply},
    {"rollback", "", "undo the last apply", cmd_rollback_help, cmd_rollback},
    {"version", "", "print the version", "", cmd_version},
    {NULL, NULL, NULL, NULL, NULL},
};
