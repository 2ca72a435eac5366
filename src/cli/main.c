/* main.c - global options and dispatch to the command table. */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "model/model.h"
#include "model/name.h"
#include "tui/tui.h"
#include "util/i18n.h"
#include "util/log.h"

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--root DIR] [--config FILE] [--resolver HOST[@PORT]] [--no-color]\n"
            "       %*s [--templates DIR] COMMAND [ARGS...]\n\n"
            "DKIM, SPF and DMARC for Postfix + OpenDKIM: set up, check and prove it works.\n"
            "Without a command, on a terminal: the interactive wizard (first run) or manager.\n\n"
            "Commands:\n",
            prog, (int)strlen(prog), "");
    for (const dk_command *c = dk_commands; c->name != NULL; c++)
        fprintf(out, "  %-9s %s\n", c->name, c->summary);
    fprintf(out,
            "\nGlobal options:\n"
            "  --root DIR          every system path is taken under DIR\n"
            "  --config FILE       model file (system path, default " DK_MODEL_PATH ")\n"
            "  --resolver H[@P]    DNS resolver to ask (default: the system's)\n"
            "  --templates DIR     templates directory (default " DK_DATADIR "/templates)\n"
            "  --no-color          no colours in the interface\n"
            "  -q, --quiet         only errors\n"
            "  --version, --help\n\n"
            "'%s COMMAND --help' describes a command.\n",
            prog);
}

void dk_cli_error(const dk_cli *cli, const dk_err *e)
{
    char buf[DK_ERR_MSG + DK_ERR_FILE + 64];

    fprintf(stderr, "%s: %s\n", cli->progname, dk_err_format(e, buf, sizeof buf));
}

int dk_cli_usage(const dk_cli *cli, const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s %s: ", cli->progname, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", cli->progname, cmd);
    return DK_EXIT_USAGE;
}

void dk_cli_print_findings(const dk_cli *cli, FILE *out, const dk_findings *f)
{
    (void)cli;
    for (size_t i = 0; i < f->n; i++) {
        const dk_finding *x = &f->v[i];

        fprintf(out, "%s: ", dk_severity_name(x->sev));
        if (x->where[0] != '\0')
            fprintf(out, "%s: ", x->where);
        fputs(x->what, out);
        if (x->fix[0] != '\0')
            fprintf(out, " (fix: %s)", x->fix);
        fputc('\n', out);
    }
}

bool dk_cli_opt_domain(const dk_cli *cli, const char *value, char *out, size_t size)
{
    dk_err e;

    if (dk_name_domain(value, "--domain", out, size, &e) == 0)
        return true;
    dk_cli_error(cli, &e);
    return false;
}

int dk_cli_load_model(const dk_cli *cli, dk_model *m)
{
    dk_err e;

    dk_err_clear(&e);
    /* dk_model_load initialises the model, also when it fails */
    if (dk_model_load(m, &cli->root, cli->config, &e) == 0)
        return DK_EXIT_OK;
    if (e.code == DK_ENOENT)
        dk_err_prefix(&e, "no model yet (run 'dkimctl init --domain DOMAIN' first): ");
    dk_cli_error(cli, &e);
    dk_model_free(m);
    return DK_EXIT_USAGE;
}

void dk_cli_command_help(const dk_cli *cli, const dk_command *c, FILE *out)
{
    fprintf(out, "usage: %s [global options] %s %s\n\n%s\n", cli->progname, c->name, c->args,
            c->summary);
    if (c->help != NULL && c->help[0] != '\0')
        fprintf(out, "\n%s", c->help);
}

static void log_to_stderr(void *ud, enum dk_loglevel lvl, const char *msg)
{
    const dk_cli *cli = ud;
    static const char *const names[] = {"debug", "info", "warning", "error"};

    fprintf(stderr, "%s: %s: %s\n", cli->progname, names[lvl], msg);
}

static const char *default_templates(void)
{
    const char *env = getenv("DKIMCTL_TEMPLATES");
    struct stat st;

    if (env != NULL && env[0] != '\0')
        return env;
    if (stat(DK_DATADIR "/templates", &st) == 0)
        return DK_DATADIR "/templates";
    return "templates";
}

int main(int argc, char **argv)
{
    enum { OPT_ROOT = 256, OPT_CONFIG, OPT_RESOLVER, OPT_NOCOLOR, OPT_TEMPLATES, OPT_VERSION };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"resolver", required_argument, NULL, OPT_RESOLVER},
        {"templates", required_argument, NULL, OPT_TEMPLATES},
        {"no-color", no_argument, NULL, OPT_NOCOLOR},
        {"quiet", no_argument, NULL, 'q'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    dk_cli cli;
    const char *rootdir = NULL;
    dk_err err;
    int c;

    (void)setlocale(LC_ALL, "");
    {
        const char *ld = getenv("DKIMCTL_LOCALEDIR");

        (void)bindtextdomain(DK_TEXTDOMAIN, ld != NULL && ld[0] != '\0' ? ld : DK_LOCALEDIR);
        (void)bind_textdomain_codeset(DK_TEXTDOMAIN, "UTF-8");
        (void)textdomain(DK_TEXTDOMAIN);
    }
    memset(&cli, 0, sizeof cli);
    cli.progname = "dkimctl";
    cli.config = DK_MODEL_PATH;
    cli.templates = default_templates();
    cli.color = getenv("NO_COLOR") == NULL;

    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            rootdir = optarg;
            break;
        case OPT_CONFIG:
            cli.config = optarg;
            break;
        case OPT_RESOLVER:
            cli.resolver = optarg;
            break;
        case OPT_TEMPLATES:
            cli.templates = optarg;
            break;
        case OPT_NOCOLOR:
            cli.color = false;
            break;
        case 'q':
            cli.quiet = true;
            break;
        case OPT_VERSION:
            printf("dkimctl %s\n", DK_VERSION);
            return DK_EXIT_OK;
        case 'h':
            usage(stdout, cli.progname);
            return DK_EXIT_OK;
        default:
            usage(stderr, cli.progname);
            return DK_EXIT_USAGE;
        }
    }
    dk_err_clear(&err);
    if (dk_root_init(&cli.root, rootdir, &err) < 0) {
        dk_cli_error(&cli, &err);
        return DK_EXIT_USAGE;
    }
    if (!dk_path_is_clean(cli.config)) {
        fprintf(stderr, "%s: --config: '%s' must be a clean absolute path\n", cli.progname,
                cli.config);
        return DK_EXIT_USAGE;
    }
    dk_log_set_sink(log_to_stderr, &cli, cli.quiet ? DK_LOG_ERROR : DK_LOG_INFO);

    if (optind >= argc) {
        dk_tui_opts to = {&cli.root, cli.config, cli.templates, cli.resolver, cli.color};

        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            usage(stderr, cli.progname);
            fprintf(stderr, "\n(the interactive interface needs a terminal)\n");
            return DK_EXIT_USAGE;
        }
        dk_log_set_sink(NULL, NULL, DK_LOG_ERROR); /* curses owns the screen */
        return dk_tui_run(&to);
    }
    for (const dk_command *cmd = dk_commands; cmd->name != NULL; cmd++) {
        if (strcmp(cmd->name, argv[optind]) != 0)
            continue;
        for (int i = optind + 1; i < argc; i++) {
            if (strcmp(argv[i], "--") == 0)
                break;
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                dk_cli_command_help(&cli, cmd, stdout);
                return DK_EXIT_OK;
            }
        }
        optind++;
        return cmd->run(&cli, argc - optind + 1, argv + optind - 1);
    }
    fprintf(stderr, "%s: unknown command '%s'\n", cli.progname, argv[optind]);
    usage(stderr, cli.progname);
    return DK_EXIT_USAGE;
}
