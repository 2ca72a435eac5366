/* resolver.c - dispatch; the real ldns resolver is not written yet. */
#include "dns/dns.h"
#include "internal.h"

#include <stdlib.h>

dk_resolver *dk_resolver_new(const char *spec, unsigned timeout_ms, dk_err *e)
{
    (void)spec;
    (void)timeout_ms;
    dk_err_set(e, DK_EINTERNAL, "the ldns resolver is not implemented yet");
    return NULL;
}

void dk_resolver_free(dk_resolver *r)
{
    free(r);
}

int dk_dns_txt_lookup(dk_resolver *r, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    out->rcode = DK_DNS_SERVFAIL;
    out->rr = NULL;
    out->nrr = 0;
    if (r->ops.txt == NULL)
        return dk_err_set(e, DK_EINTERNAL, "resolver has no TXT operation");
    return r->ops.txt(r->ud, name, out, e);
}
