/*
 * check.h - prove that what the model says is published: DKIM key records,
 * SPF and DMARC, asked of the configured resolver and of every
 * authoritative server of each domain's zone; DNSSEC status; key-file
 * safety as OpenDKIM judges it (dk_check_keys).
 *
 * Nothing here prints.  Every result is a finding (util/finding.h) with a
 * severity and a one-line fix; the front end turns the worst one into the
 * monitoring-plugin exit code (0 ok, 1 warning, 2 critical).
 *
 * Speed: the checks of all domains are evaluated together, in rounds.  A
 * round runs every unfinished domain's checks against the answers known
 * so far; each name a check still needs is collected, and all of them are
 * then asked at once with dk_dns_batch (one batch per server).  Nested SPF
 * includes, report authorisations and authoritative servers simply take
 * another round.  A domain whose checks needed nothing new is finished;
 * its findings are final.  So the time grows with the depth of the
 * longest chain, not with the number of domains.  The zone and its
 * servers are found the way dk_dns_zone_servers finds them (NS lookups of
 * the name and each parent, the longest name with NS records of its own;
 * then the servers' A and AAAA), but inside the same rounds, so 1,000
 * domains cost two batches instead of 1,000 calls of two round trips.
 * The batches of different servers in one round run one after another.
 * DNSSEC (sequential per zone inside ldns) runs per distinct zone, in
 * threads when o->open_resolver is given.
 *
 * A temporary DNS failure (SERVFAIL, timeout, refused) is a warning that
 * says "temperror, not a verdict": never a critical finding about the
 * record's content.
 */
#ifndef DK_CHECK_CHECK_H
#define DK_CHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "model/model.h"
#include "policy/dmarc.h"
#include "render/records.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/log.h"

/* Opens a resolver that asks one authoritative server (addr is an IP
 * literal).  The default is dk_resolver_new("ADDR@port", timeout_ms);
 * unit tests give a stub per address. */
typedef dk_resolver *(*dk_check_server_fn)(void *ud, const char *addr, unsigned port,
                                           unsigned timeout_ms, dk_err *e);

#define DK_CHECK_DNSSEC_THREADS 32

typedef struct dk_check_opts {
    const char *domain;      /* only this model domain (A-label); NULL = all */
    bool authoritative;      /* also ask each authoritative server directly */
    unsigned auth_port;      /* port of the authoritative servers (0 = 53) */
    unsigned timeout_ms;     /* per query to an authoritative server (0 = 2000) */
    bool dnssec;             /* report the DNSSEC status of each zone */
    const char *anchor_file; /* DNSSEC trust anchor (NULL = DK_DNS_ROOT_ANCHOR) */
    dk_pubkey_fn pubkey;     /* the p= of a selector's private key file (may be NULL) */
    void *pubkey_ud;
    const dk_psl *psl;              /* organisational domains (required) */
    const dk_progress *progress;    /* may be NULL; may cancel */
    dk_check_server_fn open_server; /* NULL = the real resolver to ADDR@port */
    void *open_server_ud;
    /* DNSSEC validation is sequential per zone (dk_dns_dnssec_status), so
     * many zones are validated by up to DK_CHECK_DNSSEC_THREADS threads,
     * each with a resolver like r made by this function (NULL: one zone
     * after the other through r). */
    dk_resolver *(*open_resolver)(void *ud, dk_err *e);
    void *open_resolver_ud;
} dk_check_opts;

typedef struct dk_check_domain {
    char name[DK_DOMAIN_MAX];
    char zone[256];      /* the zone found (NS lookup), "" when unknown */
    enum dk_dns_sec sec; /* DNSSEC status of the zone (UNKNOWN when not asked) */
    dk_findings f;
} dk_check_domain;

typedef struct dk_check_report {
    dk_check_domain *v;
    size_t n;
    unsigned rounds;       /* evaluation rounds (batches) needed */
    unsigned long queries; /* distinct questions asked */
    size_t nservers;       /* authoritative server addresses asked */
} dk_check_report;

void dk_check_report_free(dk_check_report *rep);
/* Worst severity over every domain. */
enum dk_severity dk_check_report_worst(const dk_check_report *rep);

/*
 * Check the model's domains (or o->domain) through resolver r (real or
 * stub).  Returns -1 only on
 * errors outside DNS (allocation, cancel, a domain named but absent from
 * the model: DK_ENOENT).  Authoritative servers are opened with
 * o->open_server.
 */
int dk_check_dns(dk_resolver *r, const dk_model *m, const dk_check_opts *o, dk_check_report *rep,
                 dk_err *e);

/* ---- key files ------------------------------------------------------------------------ */

/*
 * Key-file safety of every active, pending and retired selector of the
 * model (or of `domain`), as OpenDKIM (RequireSafeKeys) judges it
 * (plan/keysafe.h: the key and every directory above it), and whether the
 * OpenDKIM user can read it.  One finding per key: OK, or critical with
 * the reason and a fix.  Returns -1 only on allocation failure.
 */
int dk_check_keys(const dk_root *r, const dk_model *m, const char *domain, dk_findings *out,
                  dk_err *e);

/* ---- DKIM key records (RFC 6376 3.6.1), parsed minimally ---------------------------- */

typedef struct dk_keyrec {
    enum dk_keyalg alg; /* k= (rsa when absent) */
    char *p;            /* p= with whitespace removed; "" = revoked */
    bool testing;       /* t=y */
    bool strict;        /* t=s */
    unsigned bits;      /* RSA modulus of p (0 when revoked or Ed25519) */
} dk_keyrec;

/* Parse a key record (tag=value list; v= first if present and "DKIM1";
 * k= rsa|ed25519; p= required, valid base64 holding an RSA
 * SubjectPublicKeyInfo or 32 Ed25519 bytes; no tag twice).  -1 with e
 * saying what is wrong (a verifier's permerror). */
int dk_keyrec_parse(const char *txt, size_t len, dk_keyrec *k, dk_err *e);
void dk_keyrec_free(dk_keyrec *k);

#endif
