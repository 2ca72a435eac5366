/*
 * dns.h - DNS queries behind a small interface (ldns underneath).
 *
 * Callers get answers, never ldns types.  A resolver is either real
 * (ldns, HOST[@PORT] or the system's resolv.conf, timeouts, TCP retry on
 * truncation, a small cache) or a stub whose answers a unit test supplies
 * through dk_dns_ops.  Integration tests must use the real one.
 */
#ifndef DK_DNS_DNS_H
#define DK_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum dk_dns_rcode {
    DK_DNS_OK,       /* answer with records of the type asked */
    DK_DNS_NODATA,   /* name exists, no records of that type */
    DK_DNS_NXDOMAIN, /* name does not exist */
    DK_DNS_SERVFAIL, /* server failure or refused */
    DK_DNS_TIMEOUT   /* no answer in time */
};

/* One TXT record: its character-strings concatenated with no separator
 * (RFC 6376 3.6.2.2, RFC 7208 3.3).  data may hold any byte, NUL included;
 * it is also NUL-terminated at data[len] for convenience. */
typedef struct dk_dns_txt {
    char *data;
    size_t len;
} dk_dns_txt;

typedef struct dk_dns_txt_answer {
    enum dk_dns_rcode rcode;
    dk_dns_txt *rr;
    size_t nrr;
} dk_dns_txt_answer;

void dk_dns_txt_answer_free(dk_dns_txt_answer *a);

typedef struct dk_resolver dk_resolver;

/* Operations a stub resolver provides (unit tests). */
typedef struct dk_dns_ops {
    /* Fill *out for a TXT query of `name` (no trailing dot). Return -1 only
     * for errors that are not DNS answers. */
    int (*txt)(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e);
} dk_dns_ops;

/* Real resolver: spec "HOST", "HOST@PORT" or NULL for /etc/resolv.conf;
 * timeout_ms per query. */
dk_resolver *dk_resolver_new(const char *spec, unsigned timeout_ms, dk_err *e);
/* Stub resolver calling ops with ud. */
dk_resolver *dk_resolver_new_stub(const dk_dns_ops *ops, void *ud, dk_err *e);
void dk_resolver_free(dk_resolver *r);

/* TXT lookup.  `name` must be made of validated labels.  Returns 0 with
 * out->rcode set (a DNS failure is an answer, not an error); -1 on
 * errors outside DNS (bad name, allocation). */
int dk_dns_txt_lookup(dk_resolver *r, const char *name, dk_dns_txt_answer *out, dk_err *e);

#endif
