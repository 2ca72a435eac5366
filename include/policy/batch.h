/*
 * batch.h - many SPF/DMARC checks at once, their DNS lookups done in
 * rounds of concurrent queries (dk_dns_batch).
 *
 * The SPF and DMARC code asks DNS one name at a time through a
 * dk_resolver, which is simple and easy to test but slow for thousands of
 * domains.  dk_policy_batch runs every job against a replay resolver that
 * answers from the answers gathered so far.  A job that asks for a name
 * not gathered yet gets SERVFAIL for it, and the name is queried with all
 * the other missing names in one dk_dns_batch round on the real resolver;
 * then the job runs again from the start.  The checks are pure functions
 * of the DNS answers, so a rerun sees the same answers plus the new ones.
 * Rounds end when no job misses a name: an SPF walk needs one round per
 * include level (plus one for its A/MX names), a DMARC discovery two.
 *
 * Example: validate the SPF policy of n domains.
 *
 *   static int spf_job(void *ud, size_t i, dk_resolver *r, dk_err *e)
 *   {
 *       struct ctx *c = ud;
 *       dk_spf_dns d;
 *
 *       dk_spf_report_free(&c->rep[i]);      // forget the previous attempt
 *       dk_findings_free(&c->fnd[i]);
 *       dk_spf_dns_from_resolver(&d, r);
 *       return dk_spf_validate(&d, c->domain[i], &c->rep[i], &c->fnd[i], e);
 *   }
 *   ...
 *   dk_policy_batch(resolver, n, spf_job, &ctx, progress, &err);
 */
#ifndef DK_POLICY_BATCH_H
#define DK_POLICY_BATCH_H

#include <stddef.h>

#include "dns/dns.h"
#include "util/err.h"
#include "util/log.h"

#define DK_POLICY_MAX_ROUNDS 40

/*
 * One job: run check i against r and store its results (in ud).  It is
 * called again for the same i until a run asks only for names already
 * gathered, so it must replace (free) whatever an earlier call stored.
 * Return 0, or -1 with e for errors outside DNS (then the batch stops).
 */
typedef int (*dk_policy_job)(void *ud, size_t i, dk_resolver *r, dk_err *e);

typedef struct dk_policy_batch_stats {
    unsigned rounds;       /* dk_dns_batch rounds on the real resolver */
    unsigned long queries; /* distinct (name, type) pairs asked */
    unsigned long runs;    /* job calls, reruns included */
} dk_policy_batch_stats;

/*
 * Run jobs 0..n-1 with their DNS lookups batched on `real`.  progress
 * (may be NULL) is passed to dk_dns_batch and may cancel (DK_ECANCEL).
 * If names are still missing after DK_POLICY_MAX_ROUNDS rounds, the last
 * run's results stand (those names answered SERVFAIL: temperror).
 * stats may be NULL.  Returns 0, or -1 with e.
 */
int dk_policy_batch(dk_resolver *real, size_t n, dk_policy_job job, void *ud,
                    const dk_progress *progress, dk_policy_batch_stats *stats, dk_err *e);

#endif
