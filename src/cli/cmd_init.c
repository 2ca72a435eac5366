/* cmd_init.c - dkimctl init: create or update the model from flags or an answers file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apply/write.h"
#include "cli/commands.h"
#include "model/answers.h"
#include "model/model.h"
#include "util/buf.h"

const char cmd_init_help[] =
    "Creates the model (" DK_MODEL_PATH ", or --config) or adds to the\n"
    "existing one; nothing else on the system is touched.  An existing model that\n"
    "does not load is left alone (fix it first).  Re-running with the same answers\n"
    "changes nothing.  The file is replaced atomically, the old one kept as a backup.\n"
    "\n"
    "Options:\n"
    "  --domain D          a mail domain to sign (repeatable; IDNs become A-labels)\n"
    "  --selector S        selector of the key (default: s + the UTC year and month,\n"
    "                      such as s202611); a new selector on a domain that already\n"
    "                      has an active one is added as pending\n"
    "  --algorithm A       rsa (default) or ed25519\n"
    "  --bits N            RSA key size, 1024..4096 (default 2048)\n"
    "  --subdomains        also sign mail from subdomains of the domains\n"
    "  --socket S          OpenDKIM socket: local:/PATH or inet:PORT@HOST\n"
    "                      (default: derived from the Postfix chroot)\n"
    "  --answers FILE      read the answers from a YAML file (flags override it)\n"
    "  --print             print the resulting model instead of writing it\n"
    "\n"
    "Answers file (every key optional, same strictness as the model):\n"
    "  domains: [example.org]\n"
    "  selector: s202611\n"
    "  algorithm: rsa          # rsa | ed25519\n"
    "  bits: 2048\n"
    "  subdomains: false\n"
    "  spf: {mx: true, a: false, ip4: [192.0.2.1], ip6: [], include: [], all: softfail}\n"
    "  dmarc: {p: none, pct: 100, rua: [\"mailto:dmarc@example.org\"], adkim: r, aspf: r}\n"
    "  socket: \"local:/run/opendkim/opendkim.sock\"\n"
    "\n"
    "Exit status: 0 written (or unchanged), 1 not written (critical finding or\n"
    "write error), 2 bad flags, answers or existing model.\n";

static int fail(const dk_cli *cli, const dk_err *e, int code)
{
    dk_cli_error(cli, e);
    return code;
}

/* Read and apply flags; returns 0 or an exit code. */
static int read_args(dk_cli *cli, int argc, char **argv, dk_answers *a, bool *print, time_t now)
{
    enum { O_DOMAIN = 256, O_SELECTOR, O_ALG, O_BITS, O_SUB, O_SOCKET, O_ANSWERS, O_PRINT };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, O_DOMAIN},
        {"selector", required_argument, NULL, O_SELECTOR},
        {"algorithm", required_argument, NULL, O_ALG},
        {"bits", required_argument, NULL, O_BITS},
        {"subdomains", no_argument, NULL, O_SUB},
        {"socket", required_argument, NULL, O_SOCKET},
        {"answers", required_argument, NULL, O_ANSWERS},
        {"print", no_argument, NULL, O_PRINT},
        {NULL, 0, NULL, 0},
    };
    const char *answers = NULL;
    struct {
        const char *key, *value, *label;
    } set[64];
    size_t nset = 0;
    dk_err e;
    int c;

    dk_err_clear(&e);
    optind = 0; /* restart getopt (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        const char *key = NULL, *label = NULL, *value = optarg;

        switch (c) {
        case O_DOMAIN:
            key = "domains", label = "--domain";
            break;
        case O_SELECTOR:
            key = "selector", label = "--selector";
            break;
        case O_ALG:
            key = "algorithm", label = "--algorithm";
            break;
        case O_BITS:
            key = "bits", label = "--bits";
            break;
        case O_SUB:
            key = "subdomains", label = "--subdomains", value = "true";
            break;
        case O_SOCKET:
            key = "socket", label = "--socket";
            break;
        case O_ANSWERS:
            answers = optarg;
            break;
        case O_PRINT:
            *print = true;
            break;
        case ':':
            return dk_cli_usage(cli, "init", "%s needs a value", argv[optind - 1]);
        default:
            return dk_cli_usage(cli, "init", "unknown option '%s'", argv[optind - 1]);
        }
        if (key != NULL) {
            if (nset == sizeof set / sizeof set[0])
                return dk_cli_usage(cli, "init", "too many options");
            set[nset].key = key;
            set[nset].value = value;
            set[nset].label = label;
            nset++;
        }
    }
    if (optind < argc)
        return dk_cli_usage(cli, "init", "unexpected argument '%s'", argv[optind]);

    if (answers != NULL) {
        dk_buf b;
        int rc;

        dk_buf_init(&b, DK_MODEL_MAXSIZE + 1);
        rc = dk_read_file(answers, DK_MODEL_MAXSIZE, &b, &e);
        if (rc == 0)
            rc = dk_answers_parse(a, answers, b.data != NULL ? b.data : "", b.len, now, &e);
        dk_buf_free(&b);
        if (rc < 0)
            return fail(cli, &e, DK_EXIT_USAGE);
    }
    /* Flags after the file, so they override it (domains add up). */
    for (size_t i = 0; i < nset; i++)
        if (dk_answers_set(a, set[i].key, set[i].value, set[i].label, &e) < 0)
            return fail(cli, &e, DK_EXIT_USAGE);
    return 0;
}

int cmd_init(dk_cli *cli, int argc, char **argv)
{
    dk_answers a;
    dk_model m, check;
    dk_findings f;
    dk_buf out;
    dk_err e;
    bool print = false, fresh = false;
    time_t now = time(NULL);
    int rc;

    dk_err_clear(&e);
    dk_answers_init(&a, now);
    dk_model_init(&m);
    dk_model_init(&check);
    dk_findings_init(&f);
    dk_buf_init(&out, DK_MODEL_MAXSIZE);

    rc = read_args(cli, argc, argv, &a, &print, now);
    if (rc != 0)
        goto out;

    dk_model_free(&m);
    if (dk_model_load(&m, &cli->root, cli->config, &e) < 0) {
        if (e.code != DK_ENOENT) {
            rc = fail(cli, &e, DK_EXIT_USAGE);
            fprintf(stderr, "%s: init: the existing model was left as it is; fix it first\n",
                    cli->progname);
            goto out;
        }
        fresh = true;
        dk_err_clear(&e);
    }
    if (dk_answers_apply(&a, &m, &e) < 0) {
        rc = fail(cli, &e, DK_EXIT_USAGE);
        goto out;
    }
    /* What is written must load again exactly. */
    dk_model_free(&check);
    if (dk_model_save(&m, &out, &e) < 0 ||
        dk_model_parse(&check, cli->config, out.data, out.len, &e) < 0) {
        dk_err_prefix(&e, "internal: the new model does not load again: ");
        rc = fail(cli, &e, DK_EXIT_FAIL);
        goto out;
    }
    if (dk_model_validate(&check, &f) < 0) {
        dk_err_set(&e, DK_ENOMEM, "out of memory validating the model");
        rc = fail(cli, &e, DK_EXIT_FAIL);
        goto out;
    }
    for (size_t i = 0; i < f.n; i++)
        if (!cli->quiet || f.v[i].sev == DK_SEV_CRIT) {
            dk_findings one = {&f.v[i], 1, 1};

            dk_cli_print_findings(cli, stderr, &one);
        }
    if (dk_findings_worst(&f) == DK_SEV_CRIT) {
        fprintf(stderr, "%s: init: not written: fix the critical findings above\n", cli->progname);
        rc = DK_EXIT_FAIL;
        goto out;
    }
    if (print) {
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
            dk_err_set(&e, DK_EIO, "writing to standard output failed");
            rc = fail(cli, &e, DK_EXIT_FAIL);
            goto out;
        }
        rc = DK_EXIT_OK;
        goto out;
    }
    {
        dk_write_opts o = dk_write_defaults();
        dk_write_result res;

        o.mode = 0644;
        o.backup = true;
        o.create_dirs = true;
        o.dir_mode = 0755;
        memset(&res, 0, sizeof res);
        if (dk_write_file(&cli->root, cli->config, out.data, out.len, &o, &res, &e) < 0) {
            rc = fail(cli, &e, DK_EXIT_FAIL);
            goto out;
        }
        if (!cli->quiet) {
            const char *what = !res.changed           ? "unchanged"
                               : res.created || fresh ? "created"
                                                      : "updated";

            printf("%s %s", what, cli->config);
            if (!dk_root_is_real(&cli->root))
                printf(" (under %s)", cli->root.dir);
            if (res.backup[0] != '\0')
                printf("; previous version kept as %s", res.backup);
            printf("\n");
        }
    }
    rc = DK_EXIT_OK;
out:
    dk_buf_free(&out);
    dk_findings_free(&f);
    dk_model_free(&check);
    dk_model_free(&m);
    dk_answers_free(&a);
    return rc;
}
