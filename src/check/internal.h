/* internal.h - the check module's answer table (private to src/check). */
#ifndef DK_CHECK_INTERNAL_H
#define DK_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "check/check.h"
#include "dns/dns.h"
#include "util/err.h"
#include "util/log.h"

/*
 * Answers by (server, name, type).  Server 0 is the configured resolver;
 * the others are authoritative server addresses, each asked with its own
 * dk_resolver.  A question not yet answered is a miss: it is recorded
 * (pending) and the caller learns the check must run again after
 * ck_memo_fetch.  In live mode a miss is asked at once instead.
 */
typedef struct ck_ent {
    char *name; /* lower case, no trailing dot */
    enum dk_dns_type type;
    unsigned srv;
    bool done;
    int status; /* 0 answered, -1 not asked (bad name) */
    dk_dns_answer a;
} ck_ent;

typedef struct ck_srv {
    char addr[64];
    dk_resolver *r; /* created at the first fetch; NULL for server 0 (uses memo.r) */
    bool failed;    /* could not create it: every answer SERVFAIL */
    dk_err err;     /* why */
} ck_srv;

typedef struct ck_memo {
    dk_resolver *r;                 /* the configured resolver (server 0) */
    dk_check_server_fn open_server; /* NULL: dk_resolver_new("ADDR@port") */
    void *open_ud;
    unsigned port;
    unsigned timeout_ms;
    ck_ent **v;
    size_t n, cap;
    size_t *tab; /* open addressing: index+1 into v, 0 empty */
    size_t tabsize;
    size_t npending;
    unsigned long misses; /* misses since the counter was reset */
    bool live;
    ck_srv *srv;
    size_t nsrv;
    unsigned long asked;
} ck_memo;

int ck_memo_init(ck_memo *m, dk_resolver *r, dk_check_server_fn open_server, void *open_ud,
                 unsigned port, unsigned timeout_ms, dk_err *e);
void ck_memo_free(ck_memo *m);
/* Server index for an address (added when new); -1 on allocation failure. */
long ck_memo_server(ck_memo *m, const char *addr, dk_err *e);
/* The answer for (srv, name, type): 1 and *a when known, 0 on a miss
 * (recorded), -1 on errors outside DNS.  *a stays valid until
 * ck_memo_free. (*a)->status -1 means the name was refused (bad name). */
int ck_memo_get(ck_memo *m, unsigned srv, const char *name, enum dk_dns_type type, const ck_ent **a,
                dk_err *e);
/* Ask every pending question (one dk_dns_batch per server). */
int ck_memo_fetch(ck_memo *m, const dk_progress *p, dk_err *e);

#endif
