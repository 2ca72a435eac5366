/* cmd_verify.c - dkimctl verify: one result line per message. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "dkim/dkim.h"
#include "dns/dns.h"

#define DNS_TIMEOUT_MS 5000

const char cmd_verify_help[] =
    "  --resolver H[@P]   DNS server for key lookups (default: the global --resolver, else\n"
    "                     the system's)\n"
    "  --stats            after the last line, one more: 'verify: n= ok= fail= loop_s=\n"
    "                     msgs_per_s=' (ok: messages with a passing signature)\n"
    "\nOne line per message ('-' is stdin; no FILE reads stdin):\n"
    "  <file>: dkim=<result> header.d=<d> header.s=<s> header.a=<a> (<reason>)\n"
    "with up to 8 signatures separated by '; '.  Results: pass, fail, neutral, policy,\n"
    "temperror, permerror, none.\n"
    "Exit 0 when every message has a passing signature, 1 when one has not, 2 on usage or\n"
    "I/O errors.\n";

/* Append s to the line (no printf: this runs once per message). */
static void put(char *line, size_t *o, size_t size, const char *s)
{
    size_t l = strlen(s);

    if (*o + l >= size)
        l = size - 1 - *o;
    memcpy(line + *o, s, l);
    *o += l;
}

static void print_result(FILE *out, const char *name, const dk_verify_result *r)
{
    char line[DK_VERIFY_MAX_SIGS * 1200 + 4096];
    size_t o = 0;

    put(line, &o, sizeof line, name);
    put(line, &o, sizeof line, ": ");
    if (r->nsig == 0)
        put(line, &o, sizeof line, "dkim=none (no signature)");
    for (size_t k = 0; k < r->nsig; k++) {
        const dk_sig_result *s = &r->sig[k];

        if (k > 0)
            put(line, &o, sizeof line, "; ");
        put(line, &o, sizeof line, "dkim=");
        put(line, &o, sizeof line, dk_result_name(s->result));
        put(line, &o, sizeof line, " header.d=");
        put(line, &o, sizeof line, s->d[0] ? s->d : "-");
        put(line, &o, sizeof line, " header.s=");
        put(line, &o, sizeof line, s->s[0] ? s->s : "-");
        put(line, &o, sizeof line, " header.a=");
        put(line, &o, sizeof line, s->a[0] ? s->a : "-");
        put(line, &o, sizeof line, " (");
        put(line, &o, sizeof line, s->reason);
        put(line, &o, sizeof line, ")");
    }
    line[o++] = '\n';
    (void)fwrite(line, 1, o, out);
}

int cmd_verify(dk_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"resolver", required_argument, NULL, 'r'},
        {"stats", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *resolver = cli->resolver;
    dk_resolver *res;
    dk_verifier *v;
    dk_err err;
    int c, rc = DK_EXIT_OK;
    static const char *const dash[] = {"-"};
    const char *const *files;
    int nfiles;
    bool stats = false;
    dk_cli_stats st;

    dk_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            resolver = optarg;
        else if (c == 's')
            stats = true;
        else
            return dk_cli_usage(cli, "verify", "unknown option");
    }
    res = dk_resolver_new(resolver, DNS_TIMEOUT_MS, &err);
    if (res == NULL) {
        dk_err_prefix(&err, "resolver: ");
        dk_cli_error(cli, &err);
        return DK_EXIT_USAGE;
    }
    v = dk_verifier_new(res, &err);
    if (v == NULL) {
        dk_cli_error(cli, &err);
        dk_resolver_free(res);
        return DK_EXIT_USAGE;
    }
    if (optind < argc) {
        files = (const char *const *)(argv + optind);
        nfiles = argc - optind;
    } else {
        files = dash;
        nfiles = 1;
    }
    dk_cli_stats_start(&st);
    for (int i = 0; i < nfiles; i++) {
        dk_verify_result r;
        bool std = strcmp(files[i], "-") == 0;
        int fd = std ? STDIN_FILENO : open(files[i], O_RDONLY | O_CLOEXEC);

        st.n++;
        if (fd < 0) {
            dk_err_errno(&err, errno, "%s", files[i]);
            dk_cli_error(cli, &err);
            rc = DK_EXIT_USAGE;
            continue;
        }
        if (dk_verify_fd(v, fd, &r, &err) < 0) {
            dk_err_prefix(&err, "%s: ", files[i]);
            dk_cli_error(cli, &err);
            rc = DK_EXIT_USAGE;
        } else {
            print_result(stdout, files[i], &r);
            if (dk_verify_passed(&r))
                st.ok++;
            else if (rc == DK_EXIT_OK)
                rc = DK_EXIT_FAIL;
        }
        if (!std)
            close(fd);
    }
    if (fflush(stdout) != 0)
        rc = DK_EXIT_USAGE;
    if (stats) {
        st.fail = st.n - st.ok;
        if (dk_cli_stats_print(&st, "verify", stdout) < 0)
            rc = DK_EXIT_USAGE;
    }
    dk_verifier_free(v);
    dk_resolver_free(res);
    return rc;
}
