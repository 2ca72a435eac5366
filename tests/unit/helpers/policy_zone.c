/* policy_zone.c - an in-memory DNS zone for unit tests of SPF and DMARC (stub DNS). */
#include "policy_zone.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pzone_init(pzone *z)
{
    memset(z, 0, sizeof *z);
}

void pzone_free(pzone *z)
{
    for (size_t i = 0; i < z->n; i++) {
        for (size_t k = 0; k < z->rr[i].nvals; k++)
            free(z->rr[i].vals[k]);
    }
    memset(z, 0, sizeof *z);
}

static pzone_rr *pzone_new(pzone *z, const char *name, char type, enum dk_dns_rcode rcode)
{
    pzone_rr *r;

    if (z->n >= PZONE_MAX)
        abort();
    r = &z->rr[z->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->type = type;
    r->rcode = rcode;
    return r;
}

void pzone_add(pzone *z, const char *name, char type, enum dk_dns_rcode rcode, ...)
{
    pzone_rr *r = pzone_new(z, name, type, rcode);
    va_list ap;
    const char *v;

    va_start(ap, rcode);
    while ((v = va_arg(ap, const char *)) != NULL) {
        if (r->nvals >= 16)
            abort();
        r->vals[r->nvals++] = strdup(v);
    }
    va_end(ap);
}

void pzone_add_bin(pzone *z, const char *name, const char *data, size_t len)
{
    pzone_rr *r = pzone_new(z, name, 'T', DK_DNS_OK);

    r->vals[0] = malloc(len + 1);
    memcpy(r->vals[0], data, len);
    r->vals[0][len] = '\0';
    r->lens[0] = len;
    r->nvals = 1;
}

/* All values of type at name, collected over several entries; rcode of the answer. */
static enum dk_dns_rcode pzone_find(pzone *z, const char *name, char type, pzone_rr **hits,
                                    size_t *nhits)
{
    bool exists = false;

    *nhits = 0;
    z->queries[(unsigned char)type & 127]++;
    for (size_t i = 0; i < z->n; i++) {
        pzone_rr *r = &z->rr[i];
        if (strcasecmp(r->name, name) != 0)
            continue;
        exists = true;
        if (r->type != type)
            continue;
        if (r->rcode != DK_DNS_OK)
            return r->rcode;
        hits[(*nhits)++] = r;
    }
    if (*nhits > 0)
        return DK_DNS_OK;
    return exists ? DK_DNS_NODATA : DK_DNS_NXDOMAIN;
}

static int z_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    pzone_rr *hits[PZONE_MAX];
    size_t nh, k = 0;

    (void)e;
    memset(out, 0, sizeof *out);
    out->rcode = pzone_find(ud, name, 'T', hits, &nh);
    if (out->rcode != DK_DNS_OK)
        return 0;
    for (size_t i = 0; i < nh; i++)
        k += hits[i]->nvals;
    out->rr = calloc(k, sizeof *out->rr);
    for (size_t i = 0; i < nh; i++) {
        for (size_t j = 0; j < hits[i]->nvals; j++) {
            size_t len = hits[i]->lens[j] != 0 ? hits[i]->lens[j] : strlen(hits[i]->vals[j]);
            dk_dns_txt *t = &out->rr[out->nrr++];
            t->data = malloc(len + 1);
            memcpy(t->data, hits[i]->vals[j], len);
            t->data[len] = '\0';
            t->len = len;
        }
    }
    return 0;
}

/* Any type, for dk_resolver_new_stub (dns.h dk_dns_ops.lookup). */
static int z_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                    dk_err *e)
{
    pzone_rr *hits[PZONE_MAX];
    size_t nh, k = 0;
    char t;

    (void)e;
    switch (type) {
    case DK_DNS_TXT:
        t = 'T';
        break;
    case DK_DNS_A:
        t = 'A';
        break;
    case DK_DNS_AAAA:
        t = '6';
        break;
    case DK_DNS_MX:
        t = 'M';
        break;
    case DK_DNS_PTR:
        t = 'P';
        break;
    default:
        out->rcode = DK_DNS_NXDOMAIN;
        return 0;
    }
    out->rcode = pzone_find(ud, name, t, hits, &nh);
    if (out->rcode != DK_DNS_OK)
        return 0;
    for (size_t i = 0; i < nh; i++)
        k += hits[i]->nvals;
    out->rr = calloc(k, sizeof *out->rr);
    for (size_t i = 0; i < nh; i++) {
        for (size_t j = 0; j < hits[i]->nvals; j++) {
            dk_dns_rr *rr = &out->rr[out->nrr++];
            size_t len = hits[i]->lens[j] != 0 ? hits[i]->lens[j] : strlen(hits[i]->vals[j]);

            rr->data = malloc(len + 1);
            memcpy(rr->data, hits[i]->vals[j], len);
            rr->data[len] = '\0';
            rr->len = len;
            if (t == 'A' || t == '6') {
                dk_spf_ip ip;
                if (dk_spf_ip_parse(rr->data, &ip, NULL) == 0) {
                    rr->addrlen = ip.family == 4 ? 4 : 16;
                    memcpy(rr->addr, ip.b, rr->addrlen);
                }
            }
        }
    }
    return 0;
}

const dk_dns_ops pzone_ops = {z_txt, z_lookup};
const dk_dns_ops pzone_txt_ops = {z_txt, NULL};

static int z_addr(void *ud, const char *name, int family, dk_spf_addrs *out, dk_err *e)
{
    pzone_rr *hits[PZONE_MAX];
    size_t nh;

    memset(out, 0, sizeof *out);
    out->rcode = pzone_find(ud, name, family == 4 ? 'A' : '6', hits, &nh);
    if (out->rcode != DK_DNS_OK)
        return 0;
    out->v = calloc(16 * nh, sizeof *out->v);
    for (size_t i = 0; i < nh; i++) {
        for (size_t j = 0; j < hits[i]->nvals; j++) {
            if (dk_spf_ip_parse(hits[i]->vals[j], &out->v[out->n++], e) < 0)
                return -1;
        }
    }
    return 0;
}

static int names_of(pzone *z, const char *name, char type, dk_spf_names *out)
{
    pzone_rr *hits[PZONE_MAX];
    size_t nh;

    memset(out, 0, sizeof *out);
    out->rcode = pzone_find(z, name, type, hits, &nh);
    if (out->rcode != DK_DNS_OK)
        return 0;
    out->v = calloc(16 * nh, sizeof *out->v);
    for (size_t i = 0; i < nh; i++) {
        for (size_t j = 0; j < hits[i]->nvals; j++)
            out->v[out->n++] = strdup(hits[i]->vals[j]);
    }
    return 0;
}

static int z_mx(void *ud, const char *name, dk_spf_names *out, dk_err *e)
{
    (void)e;
    return names_of(ud, name, 'M', out);
}

static int z_ptr(void *ud, const dk_spf_ip *ip, dk_spf_names *out, dk_err *e)
{
    char txt[64];

    (void)e;
    return names_of(ud, dk_spf_ip_format(ip, txt, sizeof txt), 'P', out);
}

void pzone_spf_dns(pzone *z, dk_spf_dns *d)
{
    memset(d, 0, sizeof *d);
    d->ud = z;
    d->txt = z_txt;
    d->addr = z_addr;
    d->mx = z_mx;
    d->ptr = z_ptr;
}
