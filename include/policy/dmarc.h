/*
 * dmarc.h - DMARC records (RFC 7489, and the DMARCbis tags np, psd, t):
 * parse, validate, organisational domain, alignment, the From domain,
 * external report destinations, and a staged builder.
 *
 * Nothing here prints.  The only I/O is reading the Public Suffix List
 * (dk_psl_open) and, in dk_dmarc_fetch / dk_dmarc_check_report_auth, DNS
 * through include/dns/dns.h.
 */
#ifndef DK_POLICY_DMARC_H
#define DK_POLICY_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "model/model.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"

/* ---- the organisational domain (Public Suffix List, libpsl) ---------------------- */

typedef struct dk_psl dk_psl;

/*
 * Load the Public Suffix List: `file` (a .dat or .dafsa file) or, with
 * NULL, the newest of libpsl's built-in list and Debian's
 * /usr/share/publicsuffix data (psl_latest).  Falls back to the built-in
 * list when no file can be read.
 */
dk_psl *dk_psl_open(const char *file, dk_err *e);
void dk_psl_free(dk_psl *p);

/* Is `domain` itself a public suffix ("com", "co.uk", "github.io")? */
bool dk_psl_is_suffix(const dk_psl *p, const char *domain);

/*
 * Organisational domain of `domain` (A-labels, any case, optional trailing
 * dot): the public suffix plus one label ("mail.example.co.uk" ->
 * "example.co.uk").  A bare public suffix has none: -1 with e.  The
 * result is lower case without a trailing dot.
 */
int dk_org_domain(const dk_psl *p, const char *domain, char *out, size_t size, dk_err *e);

/* Identifier alignment (RFC 7489 3.1): mode 's' strict (the same name,
 * case-insensitive) or 'r' relaxed (the same organisational domain). */
bool dk_dmarc_aligned(const dk_psl *p, const char *from_domain, const char *auth_domain, char mode);

/* ---- the RFC5322.From domain ------------------------------------------------------- */

/*
 * The author domain from the From header field bodies of a message
 * (values[0..n-1], one per From field, as they appear, folded or not).
 * DMARC needs exactly one From field holding exactly one mailbox with a
 * domain: no From, two From fields, two mailboxes, an empty group, a
 * domain literal or a malformed address give -1 with the reason.  The
 * caller must then treat the message as failing DMARC, never as "no
 * policy" (CVE-2019-16378).  The domain is lower-cased.
 */
int dk_dmarc_from_domain(const char *const *values, size_t n, char *domain, size_t size, dk_err *e);

/* ---- records ------------------------------------------------------------------------- */

#define DK_DMARC_FO_0 1u /* report when all mechanisms fail */
#define DK_DMARC_FO_1 2u /* report when any mechanism fails */
#define DK_DMARC_FO_D 4u /* report DKIM failures */
#define DK_DMARC_FO_S 8u /* report SPF failures */

typedef struct dk_dmarc_uri {
    char *uri;                  /* as written, without the size suffix */
    char *addr;                 /* mailto: the mailbox, percent-decoded; else NULL */
    char *domain;               /* mailto: the mailbox's domain, lower case; else NULL */
    unsigned long long maxsize; /* "!10m" -> 10485760; 0 = no limit given */
} dk_dmarc_uri;

typedef struct dk_dmarc_record {
    enum dk_dmarc_p p;  /* never DK_DMARC_UNSET after a successful parse */
    bool p_from_rua;    /* p was missing or invalid, a valid rua made it "none" (6.6.3) */
    enum dk_dmarc_p sp; /* DK_DMARC_UNSET: as p */
    enum dk_dmarc_p np; /* DMARCbis; DK_DMARC_UNSET: as sp */
    unsigned pct;       /* 0..100, default 100 */
    bool pct_given;
    char adkim;       /* 'r' (default) or 's' */
    char aspf;        /* 'r' (default) or 's' */
    unsigned fo;      /* DK_DMARC_FO_* bits, default DK_DMARC_FO_0 */
    char psd;         /* DMARCbis: 'y', 'n', 'u' (default) */
    char t;           /* DMARCbis: 'y' testing, 'n' (default) */
    unsigned long ri; /* report interval, default 86400 */
    dk_dmarc_uri *rua;
    size_t nrua;
    dk_dmarc_uri *ruf;
    size_t nruf;
} dk_dmarc_record;

/* Does this TXT data start with "v=DMARC1" (then ';', space or end)? */
bool dk_dmarc_is_record(const char *txt, size_t len);

/* Pick the DMARC record from the TXT RRset at _dmarc.<domain>: 1 and *idx
 * when there is exactly one, 0 when none, -1 when several (then DMARC
 * does not apply at all, RFC 7489 6.6.3; e says so). */
int dk_dmarc_select(const dk_dns_txt *rr, size_t nrr, size_t *idx, dk_err *e);

/*
 * Parse a DMARC record.  v=DMARC1 must be the first tag.  p is required,
 * except that a missing or invalid p with a valid rua is taken as
 * p=none (a warning goes to `out`).  Invalid values of p (without rua),
 * sp, np, pct (0-100), adkim/aspf (r|s), fo (0|1|d|s, colon list), psd
 * (y|n|u), t (y|n), ri, and malformed rua/ruf URIs (a ',' or '!' that is
 * not percent-encoded breaks the URI), and a tag given twice, make the
 * record invalid: -1 with e naming the tag and what is accepted.
 * Unknown tags are ignored (info).  `out` may be NULL.
 */
int dk_dmarc_parse(const char *txt, size_t len, dk_dmarc_record *r, const char *where,
                   dk_findings *out, dk_err *e);
void dk_dmarc_record_free(dk_dmarc_record *r);

const char *dk_dmarc_p_name(enum dk_dmarc_p p); /* "none", "quarantine", "reject", "" */

/*
 * Findings on a parsed record of `domain`: p=none (monitoring only),
 * pct < 100 or t=y (partial), no rua, ruf present, sp/np weaker than p,
 * and each report destination outside the domain's organisational domain
 * (info naming the record it must publish; dk_dmarc_check_report_auth
 * checks it).  Returns -1 only on allocation failure.
 */
int dk_dmarc_lint(const dk_dmarc_record *r, const char *domain, const dk_psl *psl,
                  dk_findings *out);

/* ---- external report destinations (RFC 7489 7.1) ----------------------------------- */

/* Does a report address at `dest` for `domain` need the destination's
 * authorisation (their organisational domains differ)? */
bool dk_dmarc_needs_auth(const dk_psl *psl, const char *domain, const char *dest);

/* The name to query, "<domain>._report._dmarc.<dest>", and the TXT record
 * the destination must publish there ("v=DMARC1"). */
int dk_dmarc_report_auth(const char *domain, const char *dest, char *name, size_t namesize,
                         char *record, size_t recsize, dk_err *e);

/*
 * Ask DNS whether `dest` authorises reports for `domain`: *ok is true when
 * a TXT record at the name above starts with v=DMARC1.  Returns 0 with
 * *rcode set (SERVFAIL/timeout: *ok false, not a verdict), -1 on errors
 * outside DNS.
 */
int dk_dmarc_check_report_auth(dk_resolver *r, const char *domain, const char *dest, bool *ok,
                               enum dk_dns_rcode *rcode, dk_err *e);

/*
 * Policy discovery (RFC 7489 6.6.3): _dmarc.<from_domain>, then
 * _dmarc.<organisational domain>.  Returns 1 with *rec parsed and
 * `found_at` (the domain whose record applies), 0 when no record applies
 * (none, or several records at the first name that has any), 2 on a
 * temporary DNS failure, -1 on errors (an invalid record: e says why).
 */
int dk_dmarc_fetch(dk_resolver *res, const dk_psl *psl, const char *from_domain,
                   dk_dmarc_record *rec, char *found_at, size_t size, dk_err *e);

/* ---- evaluation (RFC 7489 6.6) ------------------------------------------------------ */

enum dk_dmarc_result {
    DK_DMARC_RES_NONE, /* no policy applies (no record, or several records) */
    DK_DMARC_RES_PASS, /* SPF or DKIM passed and is aligned */
    DK_DMARC_RES_FAIL  /* neither is aligned, or the From header is unusable */
};

const char *dk_dmarc_result_name(enum dk_dmarc_result r); /* "none", "pass", "fail" */

typedef struct dk_dmarc_eval {
    enum dk_dmarc_result result;
    bool spf_aligned;       /* SPF passed for an aligned MAIL FROM domain */
    bool dkim_aligned;      /* a passing DKIM signature has an aligned d= */
    enum dk_dmarc_p policy; /* what the receiver applies on fail: p, or sp below the
                             * record's domain; DK_DMARC_UNSET when unknown */
    bool sampled_out;       /* pct < 100: the policy may be applied one step less */
    char why[DK_ERR_MSG];
} dk_dmarc_eval;

/*
 * The DMARC result of one message.  from_domain is what
 * dk_dmarc_from_domain gave, or NULL when it failed: the result is then
 * "fail", never "none" (CVE-2019-16378).  rec is the record that applies
 * (dk_dmarc_fetch) and rec_domain the domain it was found at, or rec NULL
 * when none applies.  spf_domain is the MAIL FROM (or HELO) domain with
 * spf_pass its SPF verdict; dkim_domains the d= of each signature that
 * verified.  np is not applied (it needs to know whether the From domain
 * exists).  Never fails.
 */
void dk_dmarc_evaluate(const dk_psl *psl, const char *from_domain, const dk_dmarc_record *rec,
                       const char *rec_domain, const char *spf_domain, bool spf_pass,
                       const char *const *dkim_domains, size_t ndkim, dk_dmarc_eval *ev);

/* ---- builder ------------------------------------------------------------------------- */

/* The record text for the model's policy, with p and pct overridden
 * (pct 100 is not written). */
int dk_dmarc_record_text(const dk_dmarc_policy *pol, enum dk_dmarc_p p, unsigned pct, dk_buf *out,
                         dk_err *e);

typedef struct dk_dmarc_stage {
    enum dk_dmarc_p p;
    unsigned pct;
    char *record; /* "v=DMARC1; p=none; rua=mailto:..." */
    char *reason; /* why this stage, and when to move on */
} dk_dmarc_stage;

/*
 * The staged path to the model's target policy: p=none with rua
 * (monitor), then quarantine (with pct 25, 50 first when `ramp`), then
 * reject, stopping at the target p.  Without any rua in the model, the
 * stages use mailto:dmarc-reports@<domain> and a finding says so.
 * *stages is an array of *n entries; free with dk_dmarc_stages_free.
 */
int dk_dmarc_build(const char *domain, const dk_dmarc_policy *pol, bool ramp,
                   dk_dmarc_stage **stages, size_t *n, dk_findings *out, dk_err *e);
void dk_dmarc_stages_free(dk_dmarc_stage *stages, size_t n);

#endif
