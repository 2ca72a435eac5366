/* cmd_keygen.c - dkimctl keygen: make the model's missing keys, print their records. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply/keygen.h"
#include "cli/commands.h"
#include "model/model.h"
#include "model/name.h"
#include "render/records.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct progress_state {
    bool show; /* stderr is a terminal and not --quiet */
    unsigned long done, total;
} progress_state;

static bool on_progress(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    progress_state *ps = ud;
    static const char spin[] = "|/-\\";

    if (strcmp(stage, "keygen") == 0) {
        ps->done = done;
        ps->total = total;
    }
    if (ps->show) {
        if (strcmp(stage, "keygen") == 0)
            fprintf(stderr, "\rkeygen: %lu/%lu  ", done, total);
        else
            fprintf(stderr, "\rkeygen: %lu/%lu %c", ps->done, ps->total, spin[done % 4]);
        fflush(stderr);
    }
    return interrupted != 0;
}

int cmd_keygen(dk_cli *cli, int argc, char **argv)
{
    enum { OPT_DOMAIN = 256, OPT_SELECTOR, OPT_FORCE, OPT_FORMAT };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"force", no_argument, NULL, OPT_FORCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {NULL, 0, NULL, 0},
    };
    char domain[DK_DOMAIN_MAX], selector[DK_PATH_MAX];
    const char *dom = NULL, *selp = NULL;
    enum dk_rec_format fmt = DK_FMT_ZONE;
    bool force = false;
    progress_state ps = {false, 0, 0};
    dk_progress prog = {on_progress, &ps};
    struct sigaction sa, old_sa;
    dk_model m;
    dk_keygen_report rep;
    dk_records rs;
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
        case OPT_SELECTOR:
            if (dk_name_selector(optarg, "--selector", selector, sizeof selector, &err) < 0) {
                dk_cli_error(cli, &err);
                return DK_EXIT_USAGE;
            }
            selp = selector;
            break;
        case OPT_FORCE:
            force = true;
            break;
        case OPT_FORMAT:
            if (dk_rec_format_parse(optarg, &fmt) < 0)
                return dk_cli_usage(cli, "keygen",
                                    "--format: '%s'; accepted: zone, plain, nsupdate", optarg);
            break;
        default:
            return dk_cli_usage(cli, "keygen", "unknown option");
        }
    }
    if (optind < argc)
        return dk_cli_usage(cli, "keygen", "unexpected argument '%s'", argv[optind]);
    if (force && selp == NULL)
        return dk_cli_usage(cli, "keygen",
                            "--force replaces keys that may be in use; name the key with "
                            "--selector (and --domain)");

    if (dk_cli_load_model(cli, &m) != DK_EXIT_OK)
        return DK_EXIT_USAGE;

    dk_keygen_report_init(&rep);
    dk_records_init(&rs);
    dk_buf_init(&out, 0);
    ps.show = !cli->quiet && isatty(STDERR_FILENO);
    interrupted = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &old_sa);
    c = dk_keygen_model(&cli->root, &m, dom, selp, force, &prog, &rep, &err);
    (void)sigaction(SIGINT, &old_sa, NULL);
    if (ps.show)
        fputs("\r\033[K", stderr);

    /* what was done, even when it stopped half-way */
    for (size_t i = 0; i < rep.n; i++) {
        const dk_keygen_item *it = &rep.v[i];

        if (!cli->quiet || it->status == DK_KG_CREATED || it->status == DK_KG_REPLACED) {
            if (it->sel->alg == DK_KEY_ED25519)
                fprintf(stderr, "%-8s %s %s %s (ed25519)\n", dk_keygen_status_name(it->status),
                        it->domain->name, it->sel->name, it->sel->key_path);
            else
                fprintf(stderr, "%-8s %s %s %s (rsa %u)\n", dk_keygen_status_name(it->status),
                        it->domain->name, it->sel->name, it->sel->key_path,
                        it->sel->bits != 0 ? it->sel->bits : DK_RSA_BITS_DEFAULT);
        }
        if (it->status != DK_KG_CREATED && it->status != DK_KG_REPLACED)
            continue;
        {
            dk_buf pub;
            dk_err le;

            dk_buf_init(&pub, 0);
            if (dk_key_public_from_file(&cli->root, it->sel->key_path, NULL, NULL, &pub, &le) < 0 ||
                dk_records_add_dkim(&rs, it->domain, it->sel, pub.data, &le) < 0) {
                dk_cli_error(cli, &le);
                dk_buf_free(&pub);
                goto out;
            }
            dk_buf_free(&pub);
        }
    }
    dk_cli_print_findings(cli, stderr, &rep.notes);
    /* the records of the keys made, even when a later one failed */
    if (rs.n > 0) {
        dk_err re;

        if (dk_records_render(&rs, fmt, 0, &out, &re) < 0) {
            dk_cli_error(cli, &re);
            goto out;
        }
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
            perror("dkimctl: stdout");
            goto out;
        }
    }
    if (c < 0) {
        dk_cli_error(cli, &err);
        goto out;
    }
    if (rs.n == 0 && !cli->quiet)
        fprintf(stderr, "%s: no key was missing; nothing generated\n", cli->progname);
    rc = DK_EXIT_OK;
out:
    dk_buf_free(&out);
    dk_records_free(&rs);
    dk_keygen_report_free(&rep);
    dk_model_free(&m);
    return rc;
}
