/* fuzz_spf.c - libFuzzer harness: SPF record parser, findings, macro
 * expansion of every domain-spec, and the DNS walk over a fixed stub where
 * every name answers with the fuzzed record. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *cur;
static size_t cur_len;

static int fz_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    (void)ud;
    (void)e;
    memset(out, 0, sizeof *out);
    if (strncmp(name, "nx.", 3) == 0) {
        out->rcode = DK_DNS_NXDOMAIN;
        return 0;
    }
    out->rcode = DK_DNS_OK;
    out->rr = calloc(1, sizeof *out->rr);
    if (out->rr == NULL)
        return -1;
    out->rr[0].data = malloc(cur_len + 1);
    if (out->rr[0].data == NULL)
        return -1;
    memcpy(out->rr[0].data, cur, cur_len);
    out->rr[0].data[cur_len] = '\0';
    out->rr[0].len = cur_len;
    out->nrr = 1;
    return 0;
}

static int fz_addr(void *ud, const char *name, int family, dk_spf_addrs *out, dk_err *e)
{
    (void)ud;
    (void)e;
    memset(out, 0, sizeof *out);
    out->rcode = name[0] == 'v' ? DK_DNS_NXDOMAIN : DK_DNS_OK;
    if (out->rcode != DK_DNS_OK)
        return 0;
    out->v = calloc(1, sizeof *out->v);
    if (out->v == NULL)
        return -1;
    out->n = 1;
    return dk_spf_ip_parse(family == 4 ? "192.0.2.1" : "2001:db8::1", &out->v[0], NULL);
}

static int fz_mx(void *ud, const char *name, dk_spf_names *out, dk_err *e)
{
    (void)ud;
    (void)name;
    (void)e;
    memset(out, 0, sizeof *out);
    out->rcode = DK_DNS_OK;
    out->v = calloc(1, sizeof *out->v);
    if (out->v == NULL)
        return -1;
    out->v[0] = strdup("mx.example.com");
    out->n = out->v[0] != NULL ? 1 : 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dk_spf_record r;
    dk_findings f;
    dk_err e;
    dk_spf_dns d;
    dk_spf_report rep;
    dk_spf_eval ev;
    dk_spf_ip ip;
    dk_spf_macro_ctx mc;
    char out[DK_SPF_EXPAND_MAX + 1];

    if (size > 4096)
        return 0;
    cur = data;
    cur_len = size;
    dk_findings_init(&f);
    if (dk_spf_parse((const char *)data, size, &r, &e) == 0) {
        dk_spf_lint(&r, "example.com", &f);
        memset(&mc, 0, sizeof mc);
        mc.sender = "user.name+tag@mail.example.com";
        mc.domain = "example.com";
        mc.helo = "helo.example.org";
        dk_spf_ip_parse("2001:db8::cb01", &mc.ip, NULL);
        for (size_t i = 0; i < r.nterms; i++) {
            if (r.terms[i].spec != NULL) {
                dk_spf_expand(r.terms[i].spec, &mc, false, true, out, sizeof out, &e);
                dk_spf_expand(r.terms[i].spec, &mc, true, false, out, sizeof out, &e);
            }
        }
        dk_spf_record_free(&r);
    }
    /* the raw input as a macro-string too */
    {
        char *s = malloc(size + 1);
        if (s != NULL) {
            memcpy(s, data, size);
            s[size] = '\0';
            memset(&mc, 0, sizeof mc);
            mc.sender = "a@b.example";
            mc.domain = "b.example";
            dk_spf_expand(s, &mc, true, false, out, sizeof out, &e);
            dk_spf_expand(s, &mc, false, true, out, sizeof out, &e);
            free(s);
        }
    }
    memset(&d, 0, sizeof d);
    d.txt = fz_txt;
    d.addr = fz_addr;
    d.mx = fz_mx;
    if (dk_spf_validate(&d, "example.com", &rep, &f, &e) == 0)
        dk_spf_report_free(&rep);
    dk_spf_ip_parse("192.0.2.1", &ip, NULL);
    dk_spf_check_host(&d, &ip, "example.com", "a@example.com", "h.example.com", 0, &ev, &e);
    dk_findings_free(&f);
    return 0;
}
