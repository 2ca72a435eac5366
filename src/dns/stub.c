/* stub.c - the stub resolver used by unit tests. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

dk_resolver *dk_resolver_new_stub(const dk_dns_ops *ops, void *ud, dk_err *e)
{
    dk_resolver *r = dk_calloc(1, sizeof *r, e);

    if (r == NULL)
        return NULL;
    r->ops = *ops;
    r->ud = ud;
    r->real = false;
    dns_cache_init(&r->cache, 0); /* tests change answers between lookups */
    return r;
}

void dk_dns_txt_answer_free(dk_dns_txt_answer *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nrr; i++) {
        free(a->rr[i].data);
    }
    free(a->rr);
    a->rr = NULL;
    a->nrr = 0;
}
