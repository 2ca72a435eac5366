/*
 * cmd_check.c - dkimctl check: the published DKIM, SPF and DMARC records of
 * the model's domains (resolver and each authoritative server), DNSSEC,
 * and key-file safety.  Exit 0 ok, 1 warning, 2 critical.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply/keygen.h"
#include "check/check.h"
#include "cli/commands.h"
#include "model/model.h"
#include "model/name.h"
#include "policy/dmarc.h"

const char cmd_check_help[] =
    "  --domain D          only domain D of the model\n"
    "  --all               every domain of the model (the default)\n"
    "  --resolver H[@P]    resolver to ask (default: the global --resolver, else\n"
    "                      /etc/resolv.conf)\n"
    "  --format F          text (default) or yaml\n"
    "  --no-authoritative  do not ask the zone's authoritative servers directly\n"
    "  --auth-port N       port of the authoritative servers (default 53)\n"
    "  --no-dnssec         do not report the zones' DNSSEC status\n"
    "  --anchor FILE       DNSSEC trust anchor (default " DK_DNS_ROOT_ANCHOR ")\n"
    "  --timeout MS        per DNS query (default 2000)\n"
    "Each finding has a severity and a one-line fix.  A SERVFAIL or timeout is a\n"
    "warning (temperror), never a verdict on a record.\n"
    "Exit: 0 ok, 1 warnings, 2 critical findings or usage (monitoring-plugin\n"
    "convention; run it from cron, Nagios or Icinga).\n";

static void yaml_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void yaml_findings(FILE *out, const dk_findings *f, const char *indent)
{
    if (f->n == 0) {
        fprintf(out, "%sfindings: []\n", indent);
        return;
    }
    fprintf(out, "%sfindings:\n", indent);
    for (size_t i = 0; i < f->n; i++) {
        fprintf(out, "%s  - severity: %s\n%s    where: ", indent, dk_severity_name(f->v[i].sev),
                indent);
        yaml_str(out, f->v[i].where);
        fprintf(out, "\n%s    what: ", indent);
        yaml_str(out, f->v[i].what);
        fprintf(out, "\n%s    fix: ", indent);
        yaml_str(out, f->v[i].fix);
        fputc('\n', out);
    }
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* A progress line on stderr (a terminal only); Ctrl-C cancels. */
static bool on_progress(void *ud, const char *stage, unsigned long done, unsigned long total)
{
    const bool *show = ud;

    if (*show && strcmp(stage, "DNS") != 0) {
        fprintf(stderr, "\r%s: %lu/%lu   ", strcmp(stage, "check") == 0 ? "domains checked" : stage,
                done, total);
        fflush(stderr);
    }
    return interrupted != 0;
}

typedef struct res_spec {
    const char *spec;
    unsigned timeout;
} res_spec;

/* Another resolver like the configured one (DNSSEC threads). */
static dk_resolver *open_resolver(void *ud, dk_err *e)
{
    const res_spec *rs = ud;

    return dk_resolver_new(rs->spec, rs->timeout, e);
}

static enum dk_severity worst2(enum dk_severity a, enum dk_severity b)
{
    return a > b ? a : b;
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cmd_check(dk_cli *cli, int argc, char **argv)
{
    enum {
        OPT_DOMAIN = 256,
        OPT_ALL,
        OPT_RESOLVER,
        OPT_FORMAT,
        OPT_NOAUTH,
        OPT_AUTHPORT,
        OPT_NODNSSEC,
        OPT_ANCHOR,
        OPT_TIMEOUT
    };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"all", no_argument, NULL, OPT_ALL},
        {"resolver", required_argument, NULL, OPT_RESOLVER},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"no-authoritative", no_argument, NULL, OPT_NOAUTH},
        {"auth-port", required_argument, NULL, OPT_AUTHPORT},
        {"no-dnssec", no_argument, NULL, OPT_NODNSSEC},
        {"anchor", required_argument, NULL, OPT_ANCHOR},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    char domain[DK_DOMAIN_MAX];
    const char *resolver = cli->resolver;
    bool yaml = false, all = false;
    unsigned timeout = 2000;
    dk_check_opts o;
    res_spec rs;
    bool show = false;
    dk_progress prog = {on_progress, &show};
    struct sigaction sa, old_sa;
    dk_check_report rep;
    dk_findings keys;
    dk_model m;
    dk_resolver *r = NULL;
    dk_psl *psl = NULL;
    dk_err err;
    enum dk_severity worst;
    struct timespec t0, t1;
    int c, rc = DK_EXIT_USAGE;

    memset(&o, 0, sizeof o);
    o.authoritative = true;
    o.dnssec = true;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DOMAIN:
            if (!dk_cli_opt_domain(cli, optarg, domain, sizeof domain))
                return DK_EXIT_USAGE;
            o.domain = domain;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_RESOLVER:
            resolver = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "yaml") == 0)
                yaml = true;
            else if (strcmp(optarg, "text") != 0)
                return dk_cli_usage(cli, "check", "--format: '%s'; accepted: text, yaml", optarg);
            break;
        case OPT_NOAUTH:
            o.authoritative = false;
            break;
        case OPT_AUTHPORT:
            if (parse_uint(optarg, 65535, &o.auth_port) < 0)
                return dk_cli_usage(cli, "check", "--auth-port: '%s'; accepted: 1..65535", optarg);
            break;
        case OPT_NODNSSEC:
            o.dnssec = false;
            break;
        case OPT_ANCHOR:
            o.anchor_file = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_uint(optarg, 60000, &timeout) < 0)
                return dk_cli_usage(cli, "check", "--timeout: '%s'; accepted: 1..60000 (ms)",
                                    optarg);
            break;
        default:
            return dk_cli_usage(cli, "check", "unknown option");
        }
    }
    if (optind < argc)
        return dk_cli_usage(cli, "check", "unexpected argument '%s'", argv[optind]);
    if (all && o.domain != NULL)
        return dk_cli_usage(cli, "check", "--domain and --all exclude each other");
    o.timeout_ms = timeout;
    rs.spec = resolver;
    rs.timeout = timeout;
    o.open_resolver = open_resolver;
    o.open_resolver_ud = &rs;

    if (dk_cli_load_model(cli, &m) != DK_EXIT_OK)
        return DK_EXIT_USAGE;
    if (o.domain != NULL && dk_model_find_domain(&m, o.domain) == NULL) {
        dk_model_free(&m);
        return dk_cli_usage(cli, "check", "domain %s is not in the model", o.domain);
    }
    dk_findings_init(&keys);
    memset(&rep, 0, sizeof rep);
    psl = dk_psl_open(NULL, &err);
    r = psl != NULL ? dk_resolver_new(resolver, timeout, &err) : NULL;
    if (r == NULL) {
        dk_cli_error(cli, &err);
        goto out;
    }
    if (dk_check_keys(&cli->root, &m, o.domain, &keys, &err) < 0)
        goto fail;
    o.pubkey = dk_keygen_pubkey_cb;
    o.pubkey_ud = &cli->root;
    o.psl = psl;
    show = !cli->quiet && isatty(STDERR_FILENO);
    o.progress = &prog;
    interrupted = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &old_sa);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c = dk_check_dns(r, &m, &o, &rep, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    (void)sigaction(SIGINT, &old_sa, NULL);
    if (show)
        fputs("\r\033[K", stderr);
    if (c < 0)
        goto fail;
    worst = worst2(dk_check_report_worst(&rep), dk_findings_worst(&keys));
    if (yaml) {
        printf("resolver: ");
        yaml_str(stdout, resolver != NULL ? resolver : "system (/etc/resolv.conf)");
        printf("\nauthoritative: %s\nstatus: %s\ndomains:\n", o.authoritative ? "true" : "false",
               dk_severity_name(worst));
        for (size_t i = 0; i < rep.n; i++) {
            printf("  - domain: %s\n    zone: ", rep.v[i].name);
            yaml_str(stdout, rep.v[i].zone);
            printf("\n    dnssec: %s\n", dk_dns_sec_name(rep.v[i].sec));
            yaml_findings(stdout, &rep.v[i].f, "    ");
        }
        printf("keys:\n");
        yaml_findings(stdout, &keys, "  ");
    } else {
        printf("resolver: %s; authoritative servers: %s\n",
               resolver != NULL ? resolver : "system (/etc/resolv.conf)",
               o.authoritative ? "asked" : "not asked");
        for (size_t i = 0; i < rep.n; i++) {
            printf("== %s (zone %s, DNSSEC %s)\n", rep.v[i].name,
                   rep.v[i].zone[0] != '\0' ? rep.v[i].zone : "unknown",
                   dk_dns_sec_name(rep.v[i].sec));
            dk_cli_print_findings(cli, stdout, &rep.v[i].f);
        }
        printf("== key files\n");
        dk_cli_print_findings(cli, stdout, &keys);
        {
            size_t crit = dk_findings_count(&keys, DK_SEV_CRIT),
                   warn = dk_findings_count(&keys, DK_SEV_WARN);

            for (size_t i = 0; i < rep.n; i++) {
                crit += dk_findings_count(&rep.v[i].f, DK_SEV_CRIT);
                warn += dk_findings_count(&rep.v[i].f, DK_SEV_WARN);
            }
            printf("%s: %zu domain%s, %zu critical, %zu warning%s; %lu DNS questions in %u "
                   "round%s, %.2f s\n",
                   worst == DK_SEV_CRIT   ? "CRITICAL"
                   : worst == DK_SEV_WARN ? "WARNING"
                                          : "OK",
                   rep.n, rep.n == 1 ? "" : "s", crit, warn, warn == 1 ? "" : "s", rep.queries,
                   rep.rounds, rep.rounds == 1 ? "" : "s",
                   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        }
    }
    if (fflush(stdout) != 0) {
        perror("dkimctl: stdout");
        rc = DK_EXIT_USAGE;
        goto out;
    }
    rc = worst == DK_SEV_CRIT ? 2 : worst == DK_SEV_WARN ? 1 : 0;
    goto out;
fail:
    dk_cli_error(cli, &err);
    rc = DK_EXIT_USAGE;
out:
    dk_check_report_free(&rep);
    dk_findings_free(&keys);
    dk_resolver_free(r);
    dk_psl_free(psl);
    dk_model_free(&m);
    return rc;
}
