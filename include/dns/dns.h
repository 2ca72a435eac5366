/*
 * dns.h - DNS queries behind a small interface (ldns underneath).
 *
 * Callers get answers, never ldns types.  A resolver is either real
 * (ldns, HOST[@PORT] or the system's resolv.conf, timeouts, TCP retry on
 * truncation, a small cache) or a stub whose answers a unit test supplies
 * through dk_dns_ops.  Integration tests must use the real one.
 *
 * Answers follow CNAME chains: a CNAMEd selector yields the target's
 * records, and `name` in the answer says where they were found.
 *
 * Rcode mapping: NOERROR with records of the type asked = DK_DNS_OK,
 * NOERROR without = DK_DNS_NODATA, NXDOMAIN = DK_DNS_NXDOMAIN, SERVFAIL,
 * REFUSED and every other failure (malformed answer, TCP refused) =
 * DK_DNS_SERVFAIL, nothing in time = DK_DNS_TIMEOUT.  A referral (a
 * server asked directly that is not authoritative for the name) is
 * DK_DNS_SERVFAIL too, never NODATA.  SERVFAIL and TIMEOUT
 * are transient (temperror); NXDOMAIN and NODATA are answers.
 *
 * A resolver (and its cache) belongs to one thread at a time; concurrency
 * comes from dk_dns_batch, not from threads.
 */
#ifndef DK_DNS_DNS_H
#define DK_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/log.h"

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

/* ---- generic lookups (A, AAAA, MX, NS, PTR, TXT, CNAME) ----------------- */

/* Record types (their IANA numbers). */
enum dk_dns_type {
    DK_DNS_A = 1,
    DK_DNS_NS = 2,
    DK_DNS_CNAME = 5,
    DK_DNS_SOA = 6,
    DK_DNS_PTR = 12,
    DK_DNS_MX = 15,
    DK_DNS_TXT = 16,
    DK_DNS_AAAA = 28
};

/*
 * One record of the type asked, decoded:
 *   A, AAAA      data = address text ("192.0.2.1", "2001:db8::1"),
 *                addr/addrlen = the 4 or 16 address bytes
 *   NS, PTR,     data = the target host name, lower case, no trailing dot
 *   CNAME          (names with bytes outside LDH and '_' are escaped as
 *                \DDD, so they never pass dk_dns_name_ok)
 *   MX           data = exchange host name as above, pref = preference
 *   TXT          data = the character-strings concatenated by their lengths
 *                (may hold NUL bytes: len is the truth)
 *   SOA          data = "mname rname serial refresh retry expire minimum"
 * data is always NUL-terminated at data[len].
 */
typedef struct dk_dns_rr {
    char *data;
    size_t len;
    uint32_t ttl;
    uint16_t pref;
    unsigned char addr[16];
    size_t addrlen;
} dk_dns_rr;

typedef struct dk_dns_answer {
    enum dk_dns_rcode rcode;
    enum dk_dns_type type;
    char *name;    /* owner of the records after CNAMEs (lower case), NULL if none */
    dk_dns_rr *rr; /* records of `type` owned by `name` */
    size_t nrr;
    uint32_t ttl;       /* how long the answer may be cached (min TTL, or SOA for negative) */
    bool from_cache;    /* served from the resolver's cache */
    bool authoritative; /* the AA bit: the server asked is authoritative for the name */
    const char *why; /* static text for SERVFAIL/TIMEOUT ("truncated and TCP failed"...), or NULL */
} dk_dns_answer;

void dk_dns_answer_free(dk_dns_answer *a);
/* Short name of a type ("TXT") and of an rcode ("NXDOMAIN"). */
const char *dk_dns_type_name(enum dk_dns_type t);
const char *dk_dns_rcode_name(enum dk_dns_rcode rc);

typedef struct dk_resolver dk_resolver;

/* Operations a stub resolver provides (unit tests). */
typedef struct dk_dns_ops {
    /* Fill *out for a TXT query of `name` (no trailing dot). Return -1 only
     * for errors that are not DNS answers. */
    int (*txt)(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e);
    /* Optional: any type.  out arrives zeroed with out->type = type; fill
     * rcode and records (allocated with malloc; freed by
     * dk_dns_answer_free).  When NULL, TXT lookups go through txt and other
     * types answer NXDOMAIN. */
    int (*lookup)(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out, dk_err *e);
} dk_dns_ops;

/* Real resolver: spec "HOST", "HOST@PORT" or NULL for /etc/resolv.conf;
 * timeout_ms per query.  HOST is an IPv4 or IPv6 literal or a host name
 * (resolved once, here, through the system; every address is used). */
dk_resolver *dk_resolver_new(const char *spec, unsigned timeout_ms, dk_err *e);
/* Stub resolver calling ops with ud. */
dk_resolver *dk_resolver_new_stub(const dk_dns_ops *ops, void *ud, dk_err *e);
void dk_resolver_free(dk_resolver *r);

/* Cache of answers (positive and negative, keyed by name and type, kept
 * for the answer's TTL but at most max_ttl seconds; SERVFAIL and TIMEOUT
 * are never cached).  On by default with max_ttl 300 for real resolvers,
 * off for stubs (tests change their answers).  max_ttl 0 turns it off and
 * empties it. */
void dk_resolver_set_cache(dk_resolver *r, unsigned max_ttl);
/* How many queries were sent on the network (tests, statistics). */
unsigned long dk_resolver_queries_sent(const dk_resolver *r);

/* Is `name` acceptable as a query name: labels of 1..63 octets of letters,
 * digits, '-' (not first or last) and '_' (service labels such as
 * _domainkey, _dmarc), 253 octets in all, one optional trailing dot. */
bool dk_dns_name_ok(const char *name);

/* TXT lookup.  `name` must be made of validated labels.  Returns 0 with
 * out->rcode set (a DNS failure is an answer, not an error); -1 on
 * errors outside DNS (bad name, allocation). */
int dk_dns_txt_lookup(dk_resolver *r, const char *name, dk_dns_txt_answer *out, dk_err *e);

/* Lookup of any type above; same contract as dk_dns_txt_lookup.  out is
 * overwritten (free it with dk_dns_answer_free). */
int dk_dns_lookup(dk_resolver *r, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                  dk_err *e);

/* The reverse name for an address literal ("192.0.2.1" ->
 * "1.2.0.192.in-addr.arpa", IPv6 -> nibbles under ip6.arpa). */
int dk_dns_ptr_name(const char *addr, char *out, size_t size, dk_err *e);

/* ---- where to ask: a zone's authoritative servers ----------------------- */

typedef struct dk_dns_server {
    char host[256]; /* the NS host name (lower case, no trailing dot) */
    char addr[46];  /* one of its addresses as text, "" when it has none */
} dk_dns_server;

typedef struct dk_dns_servers {
    enum dk_dns_rcode rcode; /* DK_DNS_OK, or why no zone was found */
    const char *why;         /* static text when rcode is not OK */
    char zone[256];          /* the closest enclosing name with NS records */
    dk_dns_server *v;        /* one entry per (host, address) */
    size_t n;
} dk_dns_servers;

/*
 * The zone holding `name` (NS lookups of name and each parent, concurrent;
 * the longest one with NS records wins, a SERVFAIL or timeout on the way
 * ends the search with that rcode) and its servers' A and AAAA addresses
 * (concurrent).  Each address can then be asked directly with
 * dk_resolver_new(addr, ...).  Returns -1 only for errors outside DNS.
 */
int dk_dns_zone_servers(dk_resolver *r, const char *name, dk_dns_servers *out, dk_err *e);
void dk_dns_servers_free(dk_dns_servers *s);

/* ---- DNSSEC ----------------------------------------------------------------- */

enum dk_dns_sec {
    DK_DNS_SEC_UNKNOWN,  /* could not be decided (no answer, SERVFAIL, stub) */
    DK_DNS_SEC_SECURE,   /* signed, and the signatures chain up to the trust anchor */
    DK_DNS_SEC_INSECURE, /* the zone is not signed (proven by its signed parent) */
    DK_DNS_SEC_BOGUS     /* signed, but a signature or a proof is missing or wrong */
};

#define DK_DNS_ROOT_ANCHOR "/usr/share/dns/root.key" /* Debian's dns-root-data */

/*
 * Validate the answer for (name, type) from a trust anchor down, with
 * ldns: the anchor zone's DNSKEY set must match the anchor, every zone cut
 * on the way needs a signed DS that matches the child's DNSKEY set, or a
 * signed NSEC/NSEC3 proof that there is no DS (insecure delegation), and
 * the final RRset (or the proof that it does not exist) must be signed by
 * the zone's keys.  Queries go to r's servers with RD, DO and CD set
 * (a validating upstream then hands over bogus data instead of SERVFAIL);
 * they are sequential (about two per label), so ask once per zone, not
 * per record, in large batches.
 *
 * anchor_file: DS or DNSKEY records of one zone in presentation format
 * (NULL = DK_DNS_ROOT_ANCHOR).  why receives one sentence for the user.
 * Returns -1 only when the anchor cannot be read or on errors outside DNS.
 */
int dk_dns_dnssec_status(dk_resolver *r, const char *anchor_file, const char *name,
                         enum dk_dns_type type, enum dk_dns_sec *status, char *why, size_t whysize,
                         dk_err *e);
/* "secure", "insecure", "bogus", "unknown". */
const char *dk_dns_sec_name(enum dk_dns_sec s);
/* What the status means, in plain words (for the check report). */
const char *dk_dns_sec_explain(enum dk_dns_sec s);

/* ---- many queries at once ------------------------------------------------ */

typedef struct dk_dns_query {
    const char *name;      /* in: query name (checked like dk_dns_lookup) */
    enum dk_dns_type type; /* in */
    int status;            /* out: 0 = answer is filled, -1 = not asked (bad name) */
    dk_dns_answer answer;  /* out (free with dk_dns_answer_free) */
} dk_dns_query;

/*
 * Resolve n queries concurrently (one thread: non-blocking sockets and
 * poll(), up to a few hundred in flight, each with its own timeout,
 * retransmissions and TCP retry).  Answers from the cache are used and new
 * ones stored.  progress (may be NULL) is called as answers arrive and may
 * cancel: then -1 with DK_ECANCEL, and the queries not finished answer
 * DK_DNS_TIMEOUT.  Returns -1 also on errors outside DNS (no sockets);
 * a bad name only fails its own query (status -1).
 */
int dk_dns_batch(dk_resolver *r, dk_dns_query *q, size_t n, const dk_progress *progress, dk_err *e);

/*
 * Decode a DNS response (wire format) to the question (name, type):
 * checks that it is a response to that question, follows CNAMEs within
 * the answer section (at most 16) and fills out.  Returns 0 on success,
 * 1 when the TC bit is set (retry over TCP; out untouched), 2 when the
 * answer ends at a CNAME whose target has no records in it (out->name is
 * the target to ask next; out->rcode is NODATA), -1 when the packet is
 * malformed or answers another question.  Exposed for tests and fuzzing.
 */
int dk_dns_parse_response(const unsigned char *wire, size_t len, const char *name,
                          enum dk_dns_type type, dk_dns_answer *out, dk_err *e);

#endif
