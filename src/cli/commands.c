/* commands.c - the command table: one line per subcommand, one file each. */
#include "cli/cli.h"
#include "cli/commands.h"

const dk_command dk_commands[] = {
    {"init",
     "[--domain D]... [--selector S] [--algorithm rsa|ed25519] [--bits N] [--subdomains] [--socket "
     "S] [--answers FILE] [--print]",
     "create or update the model from flags or an answers file", cmd_init_help, cmd_init},
    {"version", "", "print the version", "", cmd_version},
    {"sign", cmd_sign_args, "DKIM-sign messages (stdin to stdout without FILE)", cmd_sign_help,
     cmd_sign},
    {"verify", "[--resolver HOST[@PORT]] [FILE...]", "verify DKIM signatures, one line per message",
     cmd_verify_help, cmd_verify},
    {NULL, NULL, NULL, NULL, NULL},
};
