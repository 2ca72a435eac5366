/*
 * spf.h - SPF records (RFC 7208): parse, validate, count lookups, build,
 * evaluate.
 *
 * Nothing here prints or touches the system.  DNS is reached only through
 * the small callback table dk_spf_dns, which the caller wires to a real
 * resolver (dk_spf_dns_from_resolver gives TXT through include/dns/dns.h;
 * the check layer adds A/AAAA/MX/PTR) or, in unit tests, to a stub.
 *
 * Layers, bottom up:
 *   dk_spf_is_record / dk_spf_select   which TXT record is the SPF record
 *   dk_spf_parse                       syntax (a permerror is a parse error)
 *   dk_spf_lint                        findings on one parsed record
 *   dk_spf_expand                      macro expansion (RFC 7208 7)
 *   dk_spf_validate                    walk a domain's policy through DNS:
 *                                      lookup, void and MX-name limits,
 *                                      include/redirect loops
 *   dk_spf_check_host                  check_host() for an IP (RFC 7208 4)
 *   dk_spf_build                       propose a record from the model
 */
#ifndef DK_POLICY_SPF_H
#define DK_POLICY_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "model/model.h"
#include "util/err.h"
#include "util/finding.h"

#define DK_SPF_MAX_LOOKUPS   10   /* DNS-querying terms per check_host() (4.6.4) */
#define DK_SPF_MAX_VOIDS     2    /* void lookups (4.6.4) */
#define DK_SPF_MAX_NAMES     10   /* MX or PTR names per mechanism (4.6.4) */
#define DK_SPF_STRING_MAX    255  /* one TXT character-string */
#define DK_SPF_RECORD_ADVICE 450  /* keep the record under this (3.4) */
#define DK_SPF_DOMAIN_MAX    253  /* expanded domain names are cut to this (7.3) */
#define DK_SPF_EXPAND_MAX    4096 /* cap on any macro expansion (exp= text) */

/* ---- addresses ------------------------------------------------------------ */

typedef struct dk_spf_ip {
    int family; /* 4 or 6 */
    uint8_t b[16];
} dk_spf_ip;

/* Parse dotted-quad IPv4 (no leading zeros, no port) or IPv6 text.
 * Returns 0 or -1 (e says what is accepted). */
int dk_spf_ip_parse(const char *s, dk_spf_ip *ip, dk_err *e);
/* Text form of ip into out (at least 46 bytes). */
const char *dk_spf_ip_format(const dk_spf_ip *ip, char *out, size_t size);
/* Does ip fall in net/prefix (same family only)? */
bool dk_spf_ip_in(const dk_spf_ip *ip, const dk_spf_ip *net, unsigned prefix);

/* ---- parsed records ---------------------------------------------------------- */

enum dk_spf_kind {
    DK_SPF_ALL,
    DK_SPF_INCLUDE,
    DK_SPF_A,
    DK_SPF_MX,
    DK_SPF_PTR,
    DK_SPF_IP4,
    DK_SPF_IP6,
    DK_SPF_EXISTS,
    DK_SPF_REDIRECT, /* modifier */
    DK_SPF_EXP,      /* modifier */
    DK_SPF_UNKNOWN   /* unknown modifier name=value: ignored by evaluation */
};

typedef struct dk_spf_term {
    enum dk_spf_kind kind;
    enum dk_qualifier q; /* mechanisms only; "+" when not written */
    bool q_written;      /* a qualifier character was written */
    char *text;          /* the term as written */
    char *name;          /* unknown modifier: its name; else NULL */
    char *spec;          /* domain-spec (unexpanded) or modifier value; NULL if none */
    bool has_macro;      /* spec contains a macro expansion */
    dk_spf_ip net;       /* ip4/ip6 */
    int cidr4;           /* -1 when not written */
    int cidr6;           /* -1 when not written */
    unsigned col;        /* 1-based column of the term in the record */
} dk_spf_term;

typedef struct dk_spf_record {
    dk_spf_term *terms;
    size_t nterms;
    int redirect; /* index of the redirect modifier, or -1 */
    int exp;      /* index of the exp modifier, or -1 */
    int all;      /* index of the first "all", or -1 */
} dk_spf_record;

/* Is this TXT data an SPF record: "v=spf1" (any case) followed by a space
 * or the end?  "v=spf1a" and "v=spf10" are not. */
bool dk_spf_is_record(const char *txt, size_t len);

/* Pick the SPF record from a TXT RRset.  Returns 1 and sets *idx when
 * there is exactly one, 0 when there is none (result "none"), -1 when
 * there are several (permerror, RFC 7208 4.5; e says so). */
int dk_spf_select(const dk_dns_txt *rr, size_t nrr, size_t *idx, dk_err *e);

/* Parse one SPF record.  Any syntax error is a permerror: returns -1 with
 * e (code DK_EINVAL, col = 1-based column of the bad term, msg naming the
 * term and what is accepted).  r is empty on failure. */
int dk_spf_parse(const char *txt, size_t len, dk_spf_record *r, dk_err *e);
void dk_spf_record_free(dk_spf_record *r);

/* Is `spec` (a domain-spec, possibly with macros) syntactically valid?
 * Checks macro syntax (letters, transformers, delimiters, "%%" "%_" "%-")
 * and, without macros, the domain-end rule (a non-numeric top label).
 * `in_exp` allows the c, r and t letters. */
int dk_spf_check_spec(const char *spec, bool in_exp, bool domain, dk_err *e);

/* Findings on one parsed record (where = the DNS name or field):
 * +all (critical), ptr (warning), terms after "all" (warning, ignored),
 * redirect with "all" (warning, redirect ignored), no "all" and no
 * redirect (info: the default is neutral), ?all (info), unknown
 * modifiers (info).  Returns -1 only on allocation failure. */
int dk_spf_lint(const dk_spf_record *r, const char *where, dk_findings *out);
/* The same for a record reached through include:, where a missing "all"
 * is normal (no match simply returns to the including record). */
int dk_spf_lint_included(const dk_spf_record *r, const char *where, dk_findings *out);

/* Length findings for the record text as it will be published:
 * over 255 octets (must be split into several strings; warning),
 * over 450 octets (warning, RFC 7208 3.4). */
int dk_spf_lint_length(size_t len, const char *where, dk_findings *out);

/* ---- macros ---------------------------------------------------------------------- */

typedef struct dk_spf_macro_ctx {
    const char *sender;   /* <sender> (local@domain); "postmaster@" + helo when empty */
    const char *domain;   /* <domain> being evaluated (%{d}) */
    const char *helo;     /* %{h} */
    dk_spf_ip ip;         /* %{i} %{c} %{v} */
    const char *ptr;      /* %{p}: validated name, or NULL for "unknown" */
    const char *receiver; /* %{r}: or NULL for "unknown" */
    long long now;        /* %{t} */
} dk_spf_macro_ctx;

/* Expand a macro-string.  With `domain` the result is a domain name:
 * cut from the left label by label to at most 253 octets (RFC 7208 7.3)
 * and with any trailing dot removed.  Otherwise (exp= text) the result
 * is capped at DK_SPF_EXPAND_MAX.  `in_exp` allows c, r, t.  Invalid
 * macros (bad letter, trailing '%', a 0 transformer) give -1 (permerror).
 * Digit transformers of any size are safe: a count above the number of
 * parts keeps them all. */
int dk_spf_expand(const char *spec, const dk_spf_macro_ctx *ctx, bool in_exp, bool domain,
                  char *out, size_t size, dk_err *e);

/* ---- DNS through callbacks -------------------------------------------------------- */

typedef struct dk_spf_names {
    enum dk_dns_rcode rcode;
    char **v; /* malloc'd names (no trailing dot) */
    size_t n;
} dk_spf_names;

typedef struct dk_spf_addrs {
    enum dk_dns_rcode rcode;
    dk_spf_ip *v; /* malloc'd */
    size_t n;
} dk_spf_addrs;

void dk_spf_names_free(dk_spf_names *a);
void dk_spf_addrs_free(dk_spf_addrs *a);

/*
 * The lookups SPF needs.  Each returns 0 with out->rcode set (a DNS
 * failure is an answer), or -1 for errors that are not DNS answers.  The
 * answer is released by the SPF code with dk_dns_txt_answer_free,
 * dk_spf_names_free or dk_spf_addrs_free, so allocate with malloc.
 * A NULL callback means "not available": dk_spf_validate then counts the
 * term without resolving it (and says so in an info finding);
 * dk_spf_check_host returns temperror for a term that needs it.
 */
typedef struct dk_spf_dns {
    void *ud;
    int (*txt)(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e);
    /* family 4: A records, 6: AAAA records */
    int (*addr)(void *ud, const char *name, int family, dk_spf_addrs *out, dk_err *e);
    /* exchange names of the MX records */
    int (*mx)(void *ud, const char *name, dk_spf_names *out, dk_err *e);
    /* names of the PTR records of ip */
    int (*ptr)(void *ud, const dk_spf_ip *ip, dk_spf_names *out, dk_err *e);
} dk_spf_dns;

/* Every lookup through a dk_resolver (include/dns/dns.h: TXT with
 * dk_dns_txt_lookup, A/AAAA/MX/PTR with dk_dns_lookup).  A resolver
 * belongs to one thread at a time, and so does this table. */
void dk_spf_dns_from_resolver(dk_spf_dns *d, dk_resolver *r);

/* ---- validation: a domain's whole policy ------------------------------------------- */

enum dk_spf_status {
    DK_SPF_ST_VALID,     /* a record exists and stays within every limit */
    DK_SPF_ST_NONE,      /* no SPF record */
    DK_SPF_ST_PERMERROR, /* syntax, limits, loops, several records ... */
    DK_SPF_ST_TEMPERROR  /* DNS failed (SERVFAIL, timeout): not a verdict */
};

/* One DNS-querying term met on the walk, with the count after it. */
typedef struct dk_spf_step {
    char *domain;     /* the domain whose record holds the term */
    char *term;       /* the term as written */
    unsigned depth;   /* 0 = the domain checked, 1 = an include/redirect of it ... */
    unsigned lookups; /* cumulative DNS-querying terms after this one */
    unsigned voids;   /* cumulative void lookups after this one */
} dk_spf_step;

typedef struct dk_spf_report {
    enum dk_spf_status status;
    char *record;     /* the top-level record text, or NULL */
    unsigned lookups; /* DNS-querying terms, all branches followed (worst case) */
    unsigned voids;   /* void lookups met */
    dk_spf_step *steps;
    size_t nsteps;
} dk_spf_report;

void dk_spf_report_free(dk_spf_report *rep);

/*
 * Fetch and check the SPF policy of `domain` (an A-label name): select
 * the record, parse it, lint it, then follow every include and redirect
 * through d, counting the DNS-querying terms (include, a, mx, ptr,
 * exists, redirect) the way a receiver must, but over all branches (a
 * receiver stops at the first match; the count reported is the worst
 * case, the one that matters for "fail").  Limits: 10 terms, 2 void
 * lookups, 10 MX names per mx; include/redirect loops; include of a
 * domain without SPF; several records anywhere.  Terms whose target uses
 * macros are counted but not followed (they depend on the message).
 * Findings go to out (where = the DNS name).  Returns -1 only for errors
 * outside SPF (allocation, a callback failing); the verdict is in
 * rep->status.
 */
int dk_spf_validate(const dk_spf_dns *d, const char *domain, dk_spf_report *rep, dk_findings *out,
                    dk_err *e);

/* ---- evaluation: check_host() ------------------------------------------------------ */

enum dk_spf_result {
    DK_SPF_NONE,
    DK_SPF_NEUTRAL,
    DK_SPF_PASS,
    DK_SPF_FAIL,
    DK_SPF_SOFTFAIL,
    DK_SPF_TEMPERROR,
    DK_SPF_PERMERROR
};

const char *dk_spf_result_name(enum dk_spf_result r); /* "pass", "permerror" ... */

typedef struct dk_spf_eval {
    enum dk_spf_result result;
    char why[DK_ERR_MSG];               /* the matching term, or the reason for an error */
    char domain[DK_SPF_DOMAIN_MAX + 1]; /* domain whose record decided */
    unsigned lookups;
    unsigned voids;
} dk_spf_eval;

/*
 * check_host(ip, domain, sender) with RFC 7208 semantics: mechanisms in
 * order, include results mapped as 5.2, redirect, the limits of 4.6.4
 * (exceeding one is permerror), macros expanded with the sender, helo
 * and ip.  An empty sender is "postmaster@<helo>".  IPv4-mapped IPv6
 * clients are treated as IPv4.  helo may be NULL.  `now` is %{t}.
 * Not done: the exp= explanation is not fetched (ev->why says which term
 * decided), %{p} expands to "unknown", and a target name holding bytes
 * other than letters, digits, '-', '_' and dots is not queried (it is
 * treated as non-existent, a void lookup).
 * Returns -1 only on errors outside SPF.
 */
int dk_spf_check_host(const dk_spf_dns *d, const dk_spf_ip *ip, const char *domain,
                      const char *sender, const char *helo, long long now, dk_spf_eval *ev,
                      dk_err *e);

/* ---- builder ------------------------------------------------------------------------- */

/* What the host really sends from; all optional. */
typedef struct dk_spf_facts {
    const char *const *addrs; /* the host's addresses (text) */
    size_t naddrs;
    const char *smtp_bind_address;  /* Postfix smtp_bind_address, NULL/"" if unset */
    const char *smtp_bind_address6; /* Postfix smtp_bind_address6 */
    const char *relayhost;          /* Postfix relayhost, NULL/"" if unset */
    const char *const *relay_addrs; /* the relay's addresses, if resolved */
    size_t nrelay_addrs;
    bool host_is_mx;              /* the host is an MX of the domain: "mx" is proposed
                                   * when none of its addresses is known */
    const unsigned *include_cost; /* per model include: lookups inside it (known from
                                   * dk_spf_validate), or NULL (unknown: counted as 1) */
} dk_spf_facts;

typedef struct dk_spf_built_term {
    char *term;       /* "ip4:192.0.2.1", "mx", "include:_spf.example.net", "-all" */
    char *why;        /* why it is there */
    unsigned cost;    /* DNS-querying terms it adds (include: 1 + inside) */
    unsigned lookups; /* cumulative count after it */
} dk_spf_built_term;

typedef struct dk_spf_built {
    char *record; /* "v=spf1 ... -all" */
    dk_spf_built_term *terms;
    size_t nterms;
    unsigned lookups;
} dk_spf_built;

void dk_spf_built_free(dk_spf_built *b);

/*
 * Propose a record for `domain` from the model's policy and the facts:
 * ip4/ip6 first (free), then a, mx, includes (each adds lookups), then
 * the all qualifier.  Facts add the host's public addresses (or the
 * smtp_bind_address ones, which Postfix sends from) unless a model entry
 * covers them; loopback, private and link-local addresses are skipped.
 * With a relayhost the relay sends the mail: its addresses (if given) are
 * added and a finding says the relay's own SPF include is needed.
 * Findings: lookup limit reached, +all, ptr, length over 255/450.
 * Pure function; -1 only on allocation failure or an invalid model entry.
 */
int dk_spf_build(const char *domain, const dk_spf_policy *p, const dk_spf_facts *facts,
                 dk_spf_built *out, dk_findings *fnd, dk_err *e);

#endif
