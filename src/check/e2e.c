/* e2e.c - dkimctl test: send, capture, verify, explain. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "e2e_internal.h"
#include "policy/dmarc.h"
#include "policy/spf.h"
#include "util/mem.h"

#define POLL_MS 200

static void step(const dk_e2e_cb *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(const dk_e2e_cb *cb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (cb == NULL || cb->step == NULL)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cb->step(cb->ud, buf);
}

static long now_ms(void)
{
    struct timespec t;
    (void)clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* ---- SPF lookups through the resolver ----------------------------------------------- */

/* SPF for (ip, MAIL FROM) into every result. */
static void eval_spf(e2e_ctx *c, const char *ip, dk_e2e_result *r, size_t nr, bool *pass)
{
    dk_spf_dns d;
    dk_spf_ip sip;
    dk_spf_eval ev;
    dk_err e;
    const char *res = "", *why = "";
    char whybuf[DK_ERR_MSG];

    *pass = false;
    dk_spf_dns_from_resolver(&d, c->res);
    memset(&ev, 0, sizeof ev);
    if (dk_spf_ip_parse(ip, &sip, &e) < 0) {
        res = "none";
        (void)snprintf(whybuf, sizeof whybuf, "no usable address: %.400s", e.msg);
        why = whybuf;
    } else if (dk_spf_check_host(&d, &sip, c->from_domain, c->from, NULL, (long long)time(NULL),
                                 &ev, &e) < 0) {
        res = "temperror";
        (void)snprintf(whybuf, sizeof whybuf, "%.400s", e.msg);
        why = whybuf;
    } else {
        res = dk_spf_result_name(ev.result);
        why = ev.why;
        *pass = ev.result == DK_SPF_PASS;
    }
    for (size_t i = 0; i < nr; i++) {
        (void)snprintf(r[i].spf_ip, sizeof r[i].spf_ip, "%s", ip);
        (void)snprintf(r[i].spf_domain, sizeof r[i].spf_domain, "%s", c->from_domain);
        (void)snprintf(r[i].spf, sizeof r[i].spf, "%s", res);
        (void)snprintf(r[i].spf_why, sizeof r[i].spf_why, "%.400s", why);
    }
}

static void eval_dmarc(e2e_ctx *c, const dk_psl *psl, bool spf_pass, const char *const *dkim,
                       size_t ndkim, dk_e2e_result *r)
{
    dk_dmarc_record rec;
    char found[254] = "";
    dk_dmarc_eval ev;
    dk_err e;
    int rc;

    memset(&rec, 0, sizeof rec);
    memset(&ev, 0, sizeof ev);
    if (psl == NULL) {
        (void)snprintf(r->dmarc, sizeof r->dmarc, "%s", "temperror");
        (void)snprintf(r->dmarc_why, sizeof r->dmarc_why, "%s", "no Public Suffix List");
        return;
    }
    rc = dk_dmarc_fetch(c->res, psl, c->from_domain, &rec, found, sizeof found, &e);
    if (rc == 2 || rc < 0) {
        (void)snprintf(r->dmarc, sizeof r->dmarc, "%s", rc == 2 ? "temperror" : "permerror");
        (void)snprintf(r->dmarc_why, sizeof r->dmarc_why, "%.400s",
                       rc == 2 ? "DNS did not answer for _dmarc" : e.msg);
        return;
    }
    dk_dmarc_evaluate(psl, c->from_domain, rc == 1 ? &rec : NULL, rc == 1 ? found : NULL,
                      c->from_domain, spf_pass, dkim, ndkim, &ev);
    (void)snprintf(r->dmarc, sizeof r->dmarc, "%s", dk_dmarc_result_name(ev.result));
    (void)snprintf(r->dmarc_domain, sizeof r->dmarc_domain, "%s", found);
    (void)snprintf(r->dmarc_why, sizeof r->dmarc_why, "%.400s", ev.why);
    (void)snprintf(r->dmarc_policy, sizeof r->dmarc_policy, "%s",
                   ev.policy == DK_DMARC_UNSET ? "" : dk_dmarc_p_name(ev.policy));
    r->dmarc_spf_aligned = ev.spf_aligned;
    r->dmarc_dkim_aligned = ev.dkim_aligned;
    if (rc == 1)
        dk_dmarc_record_free(&rec);
}

/* ---- the run ---------------------------------------------------------------------- */

static const dk_domain *pick_domain(const dk_model *m, const char *want)
{
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];
        if (want != NULL) {
            if (strcasecmp(d->name, want) == 0)
                return d;
            continue;
        }
        for (size_t j = 0; j < d->nsel; j++)
            if (d->sel[j].state == DK_SEL_ACTIVE)
                return d;
    }
    return NULL;
}

static bool has_sig_of(const dk_e2e_result *r, const char *from_domain)
{
    size_t fl = strlen(from_domain);

    for (size_t i = 0; i < r->nsig; i++) {
        size_t dl = strlen(r->sig[i].d);
        if (strcasecmp(r->sig[i].d, from_domain) == 0 ||
            (dl < fl && from_domain[fl - dl - 1] == '.' &&
             strcasecmp(from_domain + fl - dl, r->sig[i].d) == 0))
            return true;
    }
    return false;
}

/* Drop findings identical (severity, where, what) to an earlier one since `from`. */
static void dedupe(dk_findings *f, size_t from)
{
    size_t w = from;

    for (size_t i = from; i < f->n; i++) {
        bool dup = false;
        for (size_t j = from; j < w && !dup; j++)
            dup = f->v[j].sev == f->v[i].sev && strcmp(f->v[j].what, f->v[i].what) == 0 &&
                  strcmp(f->v[j].where, f->v[i].where) == 0;
        if (dup) {
            free(f->v[i].where);
            free(f->v[i].what);
            free(f->v[i].fix);
        } else {
            f->v[w++] = f->v[i];
        }
    }
    f->n = w;
}

static int send_one(e2e_ctx *c, dk_e2e_result *r, const char *msg, size_t len, char *client,
                    const dk_e2e_cb *cb, dk_err *e)
{
    const dk_e2e_opts *o = c->o;
    dk_err se;
    int rc;

    if (r->path == DK_E2E_SMTP) {
        const char *host = o->smtp_host ? o->smtp_host : "127.0.0.1";
        unsigned port = o->smtp_port ? o->smtp_port : 25;

        step(cb, "submitting %s over SMTP to %s port %u", r->message_id, host, port);
        rc = dk_e2e_smtp_send(host, port, "localhost", c->from, c->rcpt, msg, len, o->timeout_ms,
                              client, r->send_detail, sizeof r->send_detail, &se);
        if (rc < 0) {
            (void)snprintf(r->send_detail, sizeof r->send_detail, "%.400s", se.msg);
            if (dk_findings_add(c->out, DK_SEV_CRIT, "smtp",
                                "start postfix (systemctl start postfix); main.cf inet_interfaces "
                                "and master.cf's smtp service say where smtpd listens (--smtp "
                                "HOST:PORT)",
                                "cannot submit over SMTP: %s", se.msg) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            return 0;
        }
        if (rc == 1) {
            bool down = false;
            if (dk_findings_add(c->out, DK_SEV_CRIT, "smtp",
                                "the reply says why; with milter_default_action tempfail a "
                                "milter that cannot be reached refuses every message",
                                "Postfix refused the message over SMTP: %s", r->send_detail) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            if (e2e_diag_opendkim_down(c, &down, e) < 0)
                return -1;
            return down ? 0 : e2e_diag_signer(c, e);
        }
    } else {
        const char *sm = o->sendmail ? o->sendmail : DK_E2E_SENDMAIL_PATH;

        step(cb, "submitting %s through %s", r->message_id, sm);
        rc = dk_e2e_sendmail(sm, c->from, c->rcpt, msg, len, o->timeout_ms, r->send_detail,
                             sizeof r->send_detail, &se);
        if (rc != 0) {
            if (rc < 0)
                (void)snprintf(r->send_detail, sizeof r->send_detail, "%.400s", se.msg);
            if (dk_findings_add(c->out, DK_SEV_CRIT, sm,
                                "postfix must be installed and running (postdrop and pickup); "
                                "--sendmail names another program",
                                "sendmail(1) did not take the message: %s", r->send_detail) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            return 0;
        }
    }
    r->sent = true;
    return 0;
}

int dk_e2e_run(const struct dk_model *m, const dk_root *root, dk_resolver *res,
               const dk_e2e_opts *o, const dk_e2e_cb *cb, dk_findings *out, dk_err *e)
{
    e2e_ctx c;
    const dk_domain *d;
    dk_e2e_result r[2];
    dk_buf msg[2];
    size_t np = 0, first = out->n;
    char token[40], client[46] = "", mailbox[DK_PATH_MAX];
    const char *at;
    long t0, deadline;
    unsigned wait_ms = o->wait_ms ? o->wait_ms : DK_E2E_WAIT_MS;
    dk_psl *psl;
    dk_err pe;
    bool spf_pass = false;
    int passed = 0, rc = -1;

    memset(&c, 0, sizeof c);
    c.m = m;
    c.root = root;
    c.res = res;
    c.o = o;
    c.out = out;
    d = pick_domain(m, o->domain);
    if (d == NULL)
        return o->domain != NULL
                   ? dk_err_set(e, DK_EINVAL, "--domain %s: not a domain of the model", o->domain)
                   : dk_err_set(e, DK_ENOENT,
                                "the model has no domain with an active selector to test");
    c.domain = d->name;
    if ((size_t)snprintf(c.from, sizeof c.from, "%s", o->from ? o->from : "") >= sizeof c.from)
        return dk_err_set(e, DK_EINVAL, "--from is too long");
    if (o->from == NULL)
        (void)snprintf(c.from, sizeof c.from, "%s@%s", DK_E2E_LOCALPART, d->name);
    at = strrchr(c.from, '@');
    if (at == NULL || at == c.from || at[1] == '\0' || strpbrk(c.from, " <>\r\n\t\"") != NULL ||
        c.from[0] == '-' || !dk_dns_name_ok(at + 1))
        return dk_err_set(e, DK_EINVAL,
                          "--from '%s': an address local@domain without spaces, quotes or "
                          "angle brackets is accepted",
                          c.from);
    (void)snprintf(c.from_domain, sizeof c.from_domain, "%s", at + 1);
    for (char *p = c.from_domain; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    (void)snprintf(c.rcpt, sizeof c.rcpt, "%s", o->rcpt ? o->rcpt : DK_E2E_RCPT);
    at = strrchr(c.rcpt, '@');
    if (at == NULL || at == c.rcpt || strpbrk(c.rcpt, " <>\r\n\t\"") != NULL || c.rcpt[0] == '-')
        return dk_err_set(e, DK_EINVAL,
                          "--to '%s': an address local@domain without spaces, quotes or angle "
                          "brackets is accepted",
                          c.rcpt);
    if (o->no_smtp && o->no_sendmail)
        return dk_err_set(e, DK_EINVAL, "nothing to test: both paths are turned off");
    if (e2e_learn(&c, e) < 0)
        goto out0;
    if (e2e_mailbox_path(&c, mailbox, sizeof mailbox, e) < 0)
        goto out0;
    if (dk_e2e_token(token, sizeof token, e) < 0)
        goto out0;

    memset(r, 0, sizeof r);
    dk_buf_init(&msg[0], DK_E2E_MESSAGE_MAX);
    dk_buf_init(&msg[1], DK_E2E_MESSAGE_MAX);
    for (int p = 0; p < 2; p++) {
        if ((p == 0 && o->no_smtp) || (p == 1 && o->no_sendmail))
            continue;
        r[np].path = p == 0 ? DK_E2E_SMTP : DK_E2E_SENDMAIL;
        (void)snprintf(r[np].message_id, sizeof r[np].message_id, "%s.%s.%s@%s", DK_E2E_LOCALPART,
                       token, dk_e2e_path_name(r[np].path), c.from_domain);
        (void)snprintf(r[np].mailbox, sizeof r[np].mailbox, "%s", mailbox);
        if (dk_e2e_message(c.from, c.rcpt, r[np].message_id, dk_e2e_path_name(r[np].path), &msg[np],
                           e) < 0)
            goto out;
        np++;
    }
    for (size_t i = 0; i < np; i++)
        if (send_one(&c, &r[i], msg[i].data, msg[i].len, client, cb, e) < 0)
            goto out;

    /* wait for the copies */
    step(cb, "waiting up to %u s for delivery to %s", (wait_ms + 999) / 1000, mailbox);
    t0 = now_ms();
    deadline = t0 + (long)wait_ms;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < np; i++) {
            int f;

            if (!r[i].sent || r[i].delivered)
                continue;
            f = dk_e2e_mailbox_find(root, mailbox, r[i].message_id, &msg[i], &pe);
            if (f < 0) {
                if (dk_findings_add(out, DK_SEV_CRIT, mailbox,
                                    "give the recipient's mailbox with --mailbox (an mbox file "
                                    "or a Maildir)",
                                    "cannot read the mailbox: %s", pe.msg) < 0) {
                    dk_err_set(e, DK_ENOMEM, "out of memory");
                    goto out;
                }
                deadline = 0;
            } else if (f == 1) {
                r[i].delivered = true;
                r[i].wait_ms = (unsigned)(now_ms() - t0);
                continue;
            }
            all = false;
        }
        if (all || now_ms() >= deadline)
            break;
        (void)usleep(POLL_MS * 1000);
    }

    /* verify and explain */
    {
        const char *ip = o->spf_ip ? o->spf_ip : client[0] ? client : "127.0.0.1";
        eval_spf(&c, ip, r, np, &spf_pass);
    }
    psl = dk_psl_open(NULL, &pe);
    for (size_t i = 0; i < np; i++) {
        const char *dkim[8];
        size_t nd = 0;

        if (!r[i].sent) {
            r[i].spf[0] = '\0';
        } else if (!r[i].delivered) {
            r[i].spf[0] = '\0';
            if (dk_findings_add(out, DK_SEV_CRIT, mailbox,
                                "mailq and the mail log (journalctl -u postfix) say where it is; "
                                "check --to, mydestination and --mailbox",
                                "the %s copy <%s> did not arrive in %s within %u s",
                                dk_e2e_path_name(r[i].path), r[i].message_id, mailbox,
                                (wait_ms + 999) / 1000) < 0) {
                dk_err_set(e, DK_ENOMEM, "out of memory");
                goto outp;
            }
            {
                /* a milter tempfail keeps it in the queue: look at opendkim */
                bool down = false;
                if (e2e_diag_opendkim_down(&c, &down, e) < 0 ||
                    (!down && e2e_diag_signer(&c, e) < 0))
                    goto outp;
            }
        } else {
            step(cb, "verifying the %s copy", dk_e2e_path_name(r[i].path));
            if (dk_e2e_verify(res, msg[i].data, msg[i].len, c.from_domain, &r[i], dkim, &nd, e) < 0)
                goto outp;
            eval_dmarc(&c, psl, spf_pass, dkim, nd, &r[i]);
            r[i].ok = r[i].dkim_pass;
            if (r[i].ok) {
                passed++;
            } else if (!has_sig_of(&r[i], c.from_domain)) {
                if (e2e_diag_unsigned(&c, &r[i], e) < 0)
                    goto outp;
                if (r[i].nsig > 0 &&
                    dk_findings_add(out, DK_SEV_INFO, r[i].message_id, NULL,
                                    "the %s copy carries signatures, none by %s",
                                    dk_e2e_path_name(r[i].path), c.from_domain) < 0) {
                    dk_err_set(e, DK_ENOMEM, "out of memory");
                    goto outp;
                }
            } else if (e2e_diag_failed(&c, &r[i], e) < 0) {
                goto outp;
            }
        }
        if (cb != NULL && cb->result != NULL)
            cb->result(cb->ud, &r[i]);
    }
    dedupe(out, first);
    rc = passed;
outp:
    dk_psl_free(psl);
out:
    for (int p = 0; p < 2; p++)
        dk_buf_free(&msg[p]);
out0:
    e2e_ctx_free(&c);
    return rc;
}
