/*
 * cli.h - the command line: global options, the command table, output.
 *
 * Exit codes (stable, documented in README.md):
 *   0  success (check: everything ok; verify: every message passed)
 *   1  the work was done and found problems (check: warnings; verify: a
 *      message without a passing signature) or an operation failed
 *   2  usage error, unreadable input, or (check) a critical finding
 */
#ifndef DK_CLI_CLI_H
#define DK_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"
#include "util/finding.h"
#include "util/path.h"

#define DK_EXIT_OK    0
#define DK_EXIT_FAIL  1
#define DK_EXIT_USAGE 2

typedef struct dk_cli {
    const char *progname;
    dk_root root;
    const char *config;    /* system path of the model (default DK_MODEL_PATH) */
    const char *resolver;  /* HOST[@PORT] or NULL for the system's */
    const char *templates; /* templates directory */
    bool color;
    bool quiet;
} dk_cli;

typedef struct dk_command {
    const char *name;
    const char *args;                               /* synopsis of the command's own options */
    const char *summary;                            /* one line */
    const char *help;                               /* full help text (options, one per line) */
    int (*run)(dk_cli *cli, int argc, char **argv); /* argv[0] is the command name */
} dk_command;

/* The table, terminated by an entry with name == NULL (src/cli/commands.c). */
extern const dk_command dk_commands[];

/* Print "dkimctl: <formatted error>" to stderr. */
void dk_cli_error(const dk_cli *cli, const dk_err *e);
/* Print a usage error for cmd and return DK_EXIT_USAGE. */
int dk_cli_usage(const dk_cli *cli, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print findings, one per line: "severity: where: what (fix: ...)". */
void dk_cli_print_findings(const dk_cli *cli, FILE *out, const dk_findings *f);
/* Load the model (cli->config under cli->root) into m.  On failure print
 * the reason (with a hint to run init when there is no model yet), leave m
 * freed and return DK_EXIT_USAGE; DK_EXIT_OK otherwise. */
struct dk_model;
int dk_cli_load_model(const dk_cli *cli, struct dk_model *m);

/* --domain VALUE: validated into out (A-label, DK_DOMAIN_MAX bytes).  On a
 * bad name print why and return false (the caller exits DK_EXIT_USAGE). */
bool dk_cli_opt_domain(const dk_cli *cli, const char *value, char *out, size_t size);

/* --stats of sign and verify: after the batch, one line
 *   "<cmd>: n=N ok=N fail=N loop_s=S msgs_per_s=R"
 * where loop_s is the monotonic time from just before the first message
 * is opened to just after the last result is written and flushed (key
 * lookups, reading, hashing, signing or verifying and output included;
 * start-up and option parsing not). */
typedef struct dk_cli_stats {
    double t0;
    unsigned long n, ok, fail;
} dk_cli_stats;
void dk_cli_stats_start(dk_cli_stats *st);
/* -1 when the line could not be written. */
int dk_cli_stats_print(const dk_cli_stats *st, const char *cmd, FILE *out);

/* --help for a command. */
void dk_cli_command_help(const dk_cli *cli, const dk_command *c, FILE *out);

#endif
