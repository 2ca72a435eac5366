/* policy_zone.h - an in-memory DNS zone for unit tests of SPF and DMARC (stub DNS). */
#ifndef DK_TEST_POLICY_ZONE_H
#define DK_TEST_POLICY_ZONE_H

#include <stddef.h>

#include "dns/dns.h"
#include "policy/spf.h"

#define PZONE_MAX 256

typedef struct pzone_rr {
    char name[256];
    char type; /* 'T' TXT, 'A' A, '6' AAAA, 'M' MX, 'P' PTR (name = reversed address text) */
    enum dk_dns_rcode rcode;
    char *vals[16];
    size_t lens[16]; /* 0: strlen(vals[i]) */
    size_t nvals;
} pzone_rr;

typedef struct pzone {
    pzone_rr rr[PZONE_MAX];
    size_t n;
    unsigned queries[128]; /* per type letter */
} pzone;

void pzone_init(pzone *z);
void pzone_free(pzone *z);
/* Add values (NULL-terminated) of a type at name; rcode DK_DNS_OK for data. */
void pzone_add(pzone *z, const char *name, char type, enum dk_dns_rcode rcode, ...);
/* The same with one value that may hold NUL bytes (TXT only). */
void pzone_add_bin(pzone *z, const char *name, const char *data, size_t len);
/* SPF callbacks over the pzone; txt through a stub dk_resolver when r is given. */
void pzone_spf_dns(pzone *z, dk_spf_dns *d);
/* dk_dns_ops for dk_resolver_new_stub: every type (PTR records are then
 * found under their reverse name), or TXT only. */
extern const dk_dns_ops pzone_ops;
extern const dk_dns_ops pzone_txt_ops;

#endif
