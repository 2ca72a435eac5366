/* commands.c - the command table: one line per subcommand, one file each. */
#include "cli/cli.h"
#include "cli/commands.h"

const dk_command dk_commands[] = {
    /* in the order of a first set-up */
    {"init",
     "[--domain D]... [--selector S] [--algorithm rsa|ed25519] [--bits N] [--subdomains] [--socket "
     "S] [--answers FILE] [--print]",
     "create or update the model from flags or an answers file", cmd_init_help, cmd_init},
    {"keygen", "[--domain D] [--selector S] [--force] [--format zone|plain|nsupdate]",
     "make the model's missing keys and print their DKIM records",
     "  --domain D      only the keys of domain D\n  --selector S    only selector S (with "
     "--domain: of that domain)\n  --force         replace the named existing key (needs "
     "--selector)\n  --format F      record format: zone (default), plain, nsupdate\nKeys are "
     "PKCS#8 PEM, mode 0600, owned by the OpenDKIM user when run as root.\nExit: 0 done (or "
     "nothing missing), 1 a key could not be made, 2 usage.\n",
     cmd_keygen},
    {"records", "[--format zone|plain|nsupdate] [--domain D] [--ttl N]",
     "print the DKIM, SPF and DMARC records of the model",
     "  --format F      zone (BIND zone file, default), plain (NAME TXT VALUE for a\n              "
     "    web DNS panel), nsupdate (update add lines)\n  --domain D      only domain D\n  --ttl N  "
     "       TTL of the records (default 3600)\nExit: 0 all printed, 1 a selector's key file is "
     "missing (its record is left\nout) or a key is unreadable, 2 usage or no model.\n",
     cmd_records},
    {"plan", "[--reload]", "list what apply would change", cmd_plan_help, cmd_plan},
    {"diff", "", "show unified diffs of what apply would change", cmd_diff_help, cmd_diff},
    {"apply", "[--reload] [--validate]", "carry out the plan, all or nothing", cmd_apply_help,
     cmd_apply},
    {"rollback", "", "undo the last apply", cmd_rollback_help, cmd_rollback},
    {"check", "[--domain D | --all] [--resolver H[@P]] [--format text|yaml] [--no-authoritative]",
     "check the published DNS records, DNSSEC and key-file safety (exit 0 ok, 1 warning, 2 "
     "critical)",
     cmd_check_help, cmd_check},
    {"test", cmd_test_args, "send a message through the live Postfix and OpenDKIM and verify it",
     cmd_test_help, cmd_test},
    {"sign", cmd_sign_args, "DKIM-sign messages (stdin to stdout without FILE)", cmd_sign_help,
     cmd_sign},
    {"verify", "[--resolver HOST[@PORT]] [--stats] [FILE...]",
     "verify DKIM signatures, one line per message", cmd_verify_help, cmd_verify},
    {"version", "", "print the version", "", cmd_version},
    {NULL, NULL, NULL, NULL, NULL},
};
