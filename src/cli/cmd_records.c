/* cmd_records.c - dkimctl records: print the DKIM, SPF and DMARC records of the model. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "apply/keygen.h"
#include "cli/commands.h"
#include "model/model.h"
#include "model/name.h"
#include "render/records.h"

int cmd_records(dk_cli *cli, int argc, char **argv)
{
    enum { OPT_DOMAIN = 256, OPT_FORMAT, OPT_TTL };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"ttl", required_argument, NULL, OPT_TTL},
        {NULL, 0, NULL, 0},
    };
    char domain[DK_DOMAIN_MAX];
    const char *dom = NULL;
    enum dk_rec_format fmt = DK_FMT_ZONE;
    unsigned ttl = DK_RECORD_TTL;
    dk_model m;
    dk_records rs;
    dk_findings notes;
    dk_buf out;
    dk_err err;
    int c, rc = DK_EXIT_FAIL;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DOMAIN:
            if (!dk_cli_opt_domain(cli, optarg, domain, sizeof domain))
                return DK_EXIT_USAGE;
            dom = domain;
            break;
        case OPT_FORMAT:
            if (dk_rec_format_parse(optarg, &fmt) < 0)
                return dk_cli_usage(cli, "records",
                                    "--format: '%s'; accepted: zone, plain, nsupdate", optarg);
            break;
        case OPT_TTL: {
            char *end;
            unsigned long v;

            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || v < 1 ||
                v > 2147483647UL)
                return dk_cli_usage(cli, "records", "--ttl: '%s'; accepted: 1..2147483647", optarg);
            ttl = (unsigned)v;
            break;
        }
        default:
            return dk_cli_usage(cli, "records", "unknown option");
        }
    }
    if (optind < argc)
        return dk_cli_usage(cli, "records", "unexpected argument '%s'", argv[optind]);

    if (dk_cli_load_model(cli, &m) != DK_EXIT_OK)
        return DK_EXIT_USAGE;
    dk_records_init(&rs);
    dk_findings_init(&notes);
    dk_buf_init(&out, 0);
    if (dk_records_build(&m, dom, dk_keygen_pubkey_cb, &cli->root, &rs, &notes, &err) < 0 ||
        dk_records_render(&rs, fmt, ttl, &out, &err) < 0) {
        dk_cli_error(cli, &err);
        rc = err.code == DK_ENOENT ? DK_EXIT_USAGE : DK_EXIT_FAIL;
        goto out;
    }
    if (fwrite(out.data != NULL ? out.data : "", 1, out.len, stdout) != out.len ||
        fflush(stdout) != 0) {
        perror("dkimctl: stdout");
        goto out;
    }
    dk_cli_print_findings(cli, stderr, &notes);
    /* a selector without its key: the output is incomplete */
    rc = notes.n > 0 ? DK_EXIT_FAIL : DK_EXIT_OK;
out:
    dk_buf_free(&out);
    dk_findings_free(&notes);
    dk_records_free(&rs);
    dk_model_free(&m);
    return rc;
}
