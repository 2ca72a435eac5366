/* commands.c - the command table: one line per subcommand, one file each. */
#include "cli/cli.h"
#include "cli/commands.h"

const dk_command dk_commands[] = {
    {"init",
     "[--domain D]... [--selector S] [--algorithm rsa|ed25519] [--bits N] [--subdomains] [--socket "
     "S] [--answers FILE] [--print]",
     "create or update the model from flags or an answers file", cmd_init_help, cmd_init},
    {"version", "", "print the version", "", cmd_version},
    {"sign",
     "--domain D --selector S --key FILE [--algorithm rsa-sha256|ed25519-sha256] [--canon "
     "relaxed/simple] [--out DIR | --sigs FILE] [FILE...]",
     "DKIM-sign messages (stdin to stdout without FILE)",
     "  --domain D         signing domain (d=)\n  --selector S       selector (s=)\n  --key FILE   "
     "      PEM private key: PKCS#1 RSA, PKCS#8 RSA or Ed25519\n  --algorithm A      rsa-sha256 "
     "(default) or ed25519-sha256\n  --canon H/B        canonicalization, default relaxed/simple\n "
     " --out DIR          write each signed FILE to DIR/<base name>\n  --sigs FILE        write "
     "only the DKIM-Signature fields: '# <base name>' + field\n  --expire SECONDS   add x= "
     "(expiry) this long after t=\n  --header NAME      sign this header field too (repeatable)\n  "
     "--oversign NAME    sign NAME once more than present (From and Content-Type always are)\n  "
     "--timestamp T      t= value instead of the current time\n",
     cmd_sign},
    {"verify", "[--resolver HOST[@PORT]] [FILE...]",
     "verify DKIM signatures: one line per message ('-' is stdin)",
     "  --resolver H[@P]   DNS resolver for key lookups (default: the global --resolver, else the "
     "system's)\n\nOutput: <file>: dkim=<result> header.d=<d> header.s=<s> header.a=<a> "
     "(<reason>), signatures separated by '; '.\nExit 0 when every message has a passing "
     "signature, 1 when one has not, 2 on usage or I/O errors.\n",
     cmd_verify},
    {NULL, NULL, NULL, NULL, NULL},
};
