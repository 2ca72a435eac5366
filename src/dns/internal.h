/* internal.h - the resolver object and helpers private to src/dns. */
#ifndef DK_DNS_INTERNAL_H
#define DK_DNS_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns.h"

#define DNS_MAX_SERVERS     8
#define DNS_EDNS_UDP        4096 /* EDNS0 UDP payload size we advertise */
#define DNS_MAX_CHASE       8    /* CNAME re-queries per lookup */
#define DNS_NAME_MAX        254  /* 253 octets + NUL */
#define DNS_DEFAULT_TIMEOUT 5000

/* Cache of answers keyed by lower-case name and type. */
struct dns_cache_entry;
typedef struct dns_cache {
    struct dns_cache_entry **slot;
    size_t nslot;
    size_t count;
    unsigned max_ttl; /* 0 = off */
} dns_cache;

struct dk_resolver {
    dk_dns_ops ops; /* stub: answers come from here */
    void *ud;
    bool real; /* false for a stub */
    struct sockaddr_storage server[DNS_MAX_SERVERS];
    socklen_t server_len[DNS_MAX_SERVERS];
    size_t nserver;
    unsigned timeout_ms;
    unsigned long sent;
    dns_cache cache;
};

/* Monotonic clock in milliseconds. */
uint64_t dns_now_ms(void);

/* cache.c */
void dns_cache_init(dns_cache *c, unsigned max_ttl);
void dns_cache_clear(dns_cache *c);
/* 1 and a deep copy in *out on a fresh hit, 0 on a miss, -1 on allocation failure. */
int dns_cache_get(dns_cache *c, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                  dk_err *e);
/* Store a copy of a (only OK, NODATA, NXDOMAIN with a TTL). */
void dns_cache_put(dns_cache *c, const char *name, enum dk_dns_type type, const dk_dns_answer *a);

/* parse.c */
int dns_answer_copy(dk_dns_answer *dst, const dk_dns_answer *src, dk_err *e);
/* Query in wire format: header with id and RD, the question, an OPT RR
 * when edns.  Returns the length, or 0 when buf is too small. */
size_t dns_build_query(unsigned char *buf, size_t size, uint16_t id, const char *name,
                       enum dk_dns_type type, bool edns);

/* engine.c: the concurrent exchange for real resolvers. */
int dns_engine_run(dk_resolver *r, dk_dns_query *q, size_t n, const dk_progress *progress,
                   dk_err *e);

#endif
