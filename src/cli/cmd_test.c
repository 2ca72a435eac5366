/* cmd_test.c - dkimctl test: a real message through the live Postfix and OpenDKIM. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/e2e.h"
#include "cli/commands.h"
#include "dns/dns.h"
#include "model/model.h"

#define DNS_TIMEOUT_MS 5000

const char cmd_test_args[] =
    "[--domain D] [--from ADDR] [--to ADDR] [--mailbox PATH] [--smtp HOST[:PORT]] "
    "[--sendmail PATH] [--spf-ip ADDR] [--wait SEC] [--timeout SEC] [--no-smtp] [--no-sendmail]";

const char cmd_test_help[] =
    "  --domain D        the domain to test (default: the first with an active selector)\n"
    "  --from ADDR       sender and From address (default: dkimctl-test@DOMAIN)\n"
    "  --to ADDR         a local recipient (default: root@localhost)\n"
    "  --mailbox PATH    the recipient's mailbox, an mbox file or a Maildir (default: from\n"
    "                    main.cf home_mailbox / mail_spool_directory and /etc/passwd)\n"
    "  --smtp H[:P]      the smtpd to submit to (default: 127.0.0.1:25; [IPV6]:PORT)\n"
    "  --sendmail PATH   sendmail(1) to run (default: /usr/sbin/sendmail)\n"
    "  --spf-ip ADDR     the address SPF is evaluated for (default: the SMTP client address;\n"
    "                    give the host's public address to see what receivers will see)\n"
    "  --wait SEC        how long to wait for delivery (default 30)\n"
    "  --timeout SEC     SMTP and sendmail timeout (default 30)\n"
    "  --no-smtp, --no-sendmail   leave out one path\n"
    "One message goes over SMTP (smtpd_milters), one through sendmail (non_smtpd_milters);\n"
    "each copy is read back from the mailbox, its DKIM signature verified against live DNS\n"
    "(--resolver), and SPF and DMARC shown.  Every failure is listed with its cause and fix.\n"
    "Exit: 0 both copies signed and verified, 1 a copy failed, 2 usage or no model.\n";

static void on_step(void *ud, const char *what)
{
    const dk_cli *cli = ud;
    if (!cli->quiet)
        (void)fprintf(stderr, "... %s\n", what);
}

static void on_result(void *ud, const dk_e2e_result *r)
{
    (void)ud;
    (void)printf("%s: ", dk_e2e_path_name(r->path));
    if (!r->sent) {
        (void)printf("not sent (%s)\n", r->send_detail);
        return;
    }
    if (!r->delivered) {
        (void)printf("sent (%s), not delivered to %s\n", r->send_detail, r->mailbox);
        return;
    }
    (void)printf("delivered <%s> to %s in %.1f s\n", r->message_id, r->mailbox,
                 r->wait_ms / 1000.0);
    if (r->nsig == 0)
        (void)printf("  dkim=none (no DKIM-Signature)\n");
    for (size_t i = 0; i < r->nsig; i++)
        (void)printf("  dkim=%s header.d=%s header.s=%s header.a=%s (%s)\n", r->sig[i].result,
                     r->sig[i].d, r->sig[i].s, r->sig[i].a, r->sig[i].reason);
    (void)printf("  spf=%s smtp.mailfrom=%s client-ip=%s (%s)\n", r->spf, r->spf_domain, r->spf_ip,
                 r->spf_why);
    (void)printf("  dmarc=%s%s%s dkim-aligned=%s spf-aligned=%s%s%s (%s)\n", r->dmarc,
                 r->dmarc_domain[0] ? " record=_dmarc." : "", r->dmarc_domain,
                 r->dmarc_dkim_aligned ? "yes" : "no", r->dmarc_spf_aligned ? "yes" : "no",
                 r->dmarc_policy[0] ? " policy=" : "", r->dmarc_policy, r->dmarc_why);
    (void)printf("  result: %s\n", r->ok ? "PASS" : "FAIL");
}

static int seconds(const dk_cli *cli, const char *opt, const char *v, unsigned *ms)
{
    char *end;
    unsigned long s;

    errno = 0;
    s = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || v[0] < '0' || v[0] > '9' || s < 1 || s > 3600)
        return dk_cli_usage(cli, "test", "%s: '%s'; accepted: 1..3600 seconds", opt, v);
    *ms = (unsigned)s * 1000u;
    return 0;
}

int cmd_test(dk_cli *cli, int argc, char **argv)
{
    enum {
        OPT_DOMAIN = 256,
        OPT_FROM,
        OPT_TO,
        OPT_MAILBOX,
        OPT_SMTP,
        OPT_SENDMAIL,
        OPT_SPFIP,
        OPT_WAIT,
        OPT_TIMEOUT,
        OPT_NOSMTP,
        OPT_NOSENDMAIL
    };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"mailbox", required_argument, NULL, OPT_MAILBOX},
        {"smtp", required_argument, NULL, OPT_SMTP},
        {"sendmail", required_argument, NULL, OPT_SENDMAIL},
        {"spf-ip", required_argument, NULL, OPT_SPFIP},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"no-smtp", no_argument, NULL, OPT_NOSMTP},
        {"no-sendmail", no_argument, NULL, OPT_NOSENDMAIL},
        {NULL, 0, NULL, 0},
    };
    dk_e2e_opts o;
    dk_e2e_cb cb = {.ud = cli, .step = on_step, .result = on_result};
    char host[256];
    dk_model m;
    dk_resolver *res;
    dk_findings f;
    dk_err err;
    int c, n, rc;

    memset(&o, 0, sizeof o);
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DOMAIN:
            o.domain = optarg;
            break;
        case OPT_FROM:
            o.from = optarg;
            break;
        case OPT_TO:
            o.rcpt = optarg;
            break;
        case OPT_MAILBOX:
            o.mailbox = optarg;
            break;
        case OPT_SMTP: {
            /* HOST, HOST:PORT, [IPV6] or [IPV6]:PORT; a bare IPv6 literal has no port */
            const char *h = optarg, *port = NULL;
            size_t hl;

            if (optarg[0] == '[') {
                const char *rb = strchr(optarg, ']');
                if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
                    return dk_cli_usage(cli, "test",
                                        "--smtp: '%s'; accepted: HOST, HOST:PORT, [IPV6]:PORT",
                                        optarg);
                h = optarg + 1;
                hl = (size_t)(rb - h);
                port = rb[1] == ':' ? rb + 2 : NULL;
            } else {
                const char *colon = strchr(optarg, ':');
                bool one = colon != NULL && strchr(colon + 1, ':') == NULL;
                hl = one ? (size_t)(colon - optarg) : strlen(optarg);
                port = one ? colon + 1 : NULL;
            }
            if (hl == 0 || hl >= sizeof host)
                return dk_cli_usage(cli, "test",
                                    "--smtp: '%s'; accepted: HOST, HOST:PORT, [IPV6]:PORT", optarg);
            memcpy(host, h, hl);
            host[hl] = '\0';
            o.smtp_host = host;
            if (port != NULL) {
                char *end;
                unsigned long p;
                errno = 0;
                p = strtoul(port, &end, 10);
                if (errno != 0 || *end != '\0' || p < 1 || p > 65535 || port[0] < '0' ||
                    port[0] > '9')
                    return dk_cli_usage(cli, "test", "--smtp: port '%s'; accepted: 1..65535", port);
                o.smtp_port = (unsigned)p;
            }
            break;
        }
        case OPT_SENDMAIL:
            if (optarg[0] != '/')
                return dk_cli_usage(cli, "test", "--sendmail: '%s'; an absolute path is accepted",
                                    optarg);
            o.sendmail = optarg;
            break;
        case OPT_SPFIP:
            o.spf_ip = optarg;
            break;
        case OPT_WAIT:
            if (seconds(cli, "--wait", optarg, &o.wait_ms) != 0)
                return DK_EXIT_USAGE;
            break;
        case OPT_TIMEOUT:
            if (seconds(cli, "--timeout", optarg, &o.timeout_ms) != 0)
                return DK_EXIT_USAGE;
            break;
        case OPT_NOSMTP:
            o.no_smtp = true;
            break;
        case OPT_NOSENDMAIL:
            o.no_sendmail = true;
            break;
        default:
            return dk_cli_usage(cli, "test", "unknown option");
        }
    }
    if (optind < argc)
        return dk_cli_usage(cli, "test", "unexpected argument '%s'", argv[optind]);

    if (dk_cli_load_model(cli, &m) != DK_EXIT_OK)
        return DK_EXIT_USAGE;
    res = dk_resolver_new(cli->resolver, DNS_TIMEOUT_MS, &err);
    if (res == NULL) {
        dk_err_prefix(&err, "resolver: ");
        dk_cli_error(cli, &err);
        dk_model_free(&m);
        return DK_EXIT_USAGE;
    }
    dk_findings_init(&f);
    n = dk_e2e_run(&m, &cli->root, res, &o, &cb, &f, &err);
    if (n < 0) {
        dk_cli_error(cli, &err);
        rc = err.code == DK_EINVAL || err.code == DK_ENOENT ? DK_EXIT_USAGE : DK_EXIT_FAIL;
    } else {
        unsigned want = (o.no_smtp ? 0u : 1u) + (o.no_sendmail ? 0u : 1u);

        if (f.n > 0)
            dk_cli_print_findings(cli, stdout, &f);
        (void)printf("test: %d of %u copies signed and verified\n", n, want);
        rc = (unsigned)n == want ? DK_EXIT_OK : DK_EXIT_FAIL;
    }
    dk_findings_free(&f);
    dk_resolver_free(res);
    dk_model_free(&m);
    return rc;
}
