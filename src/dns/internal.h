/* internal.h - the resolver object (private to src/dns). */
#ifndef DK_DNS_INTERNAL_H
#define DK_DNS_INTERNAL_H

#include "dns/dns.h"

struct dk_resolver {
    dk_dns_ops ops; /* stub: answers come from here */
    void *ud;
    void *impl; /* real resolver state (ldns), NULL for a stub */
};

#endif
