/* batch.c - many policy checks with their DNS lookups batched in rounds:
 * a replay resolver answers from the answers gathered so far and records
 * the names it is missing. */
#include "policy/batch.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

struct entry {
    char *name; /* lower case; NULL = free slot */
    enum dk_dns_type type;
    bool ready; /* answer holds the real answer; else it was asked for */
    dk_dns_answer answer;
};

struct replay {
    struct entry *v;
    size_t cap, n;  /* slots (power of two), used */
    size_t *wanted; /* indexes of entries not asked yet */
    size_t nwanted, capwanted;
    unsigned long misses;
    bool failed; /* allocation failed inside a lookup */
};

static uint64_t hash(const char *s, enum dk_dns_type t)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)t;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)tolower((unsigned char)*s);
        h *= 1099511628211ULL;
    }
    return h;
}

static bool same(const struct entry *x, const char *name, enum dk_dns_type t)
{
    return x->type == t && strcasecmp(x->name, name) == 0;
}

static int grow(struct replay *rp, dk_err *e)
{
    size_t ncap = rp->cap == 0 ? 1024 : rp->cap * 2;
    struct entry *nv = dk_calloc(ncap, sizeof *nv, e);

    if (nv == NULL)
        return -1;
    for (size_t i = 0; i < rp->cap; i++) {
        struct entry *x = &rp->v[i];
        size_t k;

        if (x->name == NULL)
            continue;
        k = (size_t)hash(x->name, x->type) & (ncap - 1);
        while (nv[k].name != NULL)
            k = (k + 1) & (ncap - 1);
        nv[k] = *x;
    }
    /* wanted holds slot indexes: remap them */
    for (size_t w = 0; w < rp->nwanted; w++) {
        const struct entry *old = &rp->v[rp->wanted[w]];
        size_t k = (size_t)hash(old->name, old->type) & (ncap - 1);

        while (nv[k].name != old->name)
            k = (k + 1) & (ncap - 1);
        rp->wanted[w] = k;
    }
    free(rp->v);
    rp->v = nv;
    rp->cap = ncap;
    return 0;
}

/* Find (name, type); with `add`, insert an entry that is not ready.
 * Returns the slot or (size_t)-1. */
static size_t find(struct replay *rp, const char *name, enum dk_dns_type t, bool add, dk_err *e)
{
    size_t k;

    if (add && (rp->n + 1) * 2 > rp->cap && grow(rp, e) < 0)
        return (size_t)-1;
    if (rp->cap == 0)
        return (size_t)-1;
    k = (size_t)hash(name, t) & (rp->cap - 1);
    while (rp->v[k].name != NULL) {
        if (same(&rp->v[k], name, t))
            return k;
        k = (k + 1) & (rp->cap - 1);
    }
    if (!add)
        return (size_t)-1;
    rp->v[k].name = dk_strdup(name, e);
    if (rp->v[k].name == NULL)
        return (size_t)-1;
    for (char *p = rp->v[k].name; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    rp->v[k].type = t;
    rp->v[k].ready = false;
    rp->n++;
    if (rp->nwanted == rp->capwanted) {
        size_t nc = rp->capwanted == 0 ? 256 : rp->capwanted * 2;
        size_t *nw = dk_reallocarray(rp->wanted, nc, sizeof *nw, e);

        if (nw == NULL)
            return (size_t)-1;
        rp->wanted = nw;
        rp->capwanted = nc;
    }
    rp->wanted[rp->nwanted++] = k;
    return k;
}

static int copy_answer(dk_dns_answer *dst, const dk_dns_answer *src, dk_err *e)
{
    dst->rcode = src->rcode;
    dst->ttl = src->ttl;
    dst->authoritative = src->authoritative;
    dst->why = src->why;
    dst->from_cache = true;
    if (src->name != NULL && (dst->name = dk_strdup(src->name, e)) == NULL)
        return -1;
    if (src->nrr == 0)
        return 0;
    dst->rr = dk_calloc(src->nrr, sizeof *dst->rr, e);
    if (dst->rr == NULL)
        return -1;
    for (size_t i = 0; i < src->nrr; i++) {
        dst->rr[i] = src->rr[i];
        dst->rr[i].data = dk_strndup(src->rr[i].data, src->rr[i].len, e);
        if (dst->rr[i].data == NULL)
            return -1;
        dst->nrr++;
    }
    return 0;
}

/* dk_dns_ops.lookup of the replay resolver. */
static int replay_lookup(void *ud, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                         dk_err *e)
{
    struct replay *rp = ud;
    size_t k = find(rp, name, type, true, e);

    if (k == (size_t)-1) {
        rp->failed = true;
        return -1;
    }
    if (!rp->v[k].ready) {
        rp->misses++;
        out->rcode = DK_DNS_SERVFAIL;
        out->why = "not gathered yet";
        return 0;
    }
    return copy_answer(out, &rp->v[k].answer, e);
}

static void replay_free(struct replay *rp)
{
    for (size_t i = 0; i < rp->cap; i++) {
        if (rp->v[i].name != NULL) {
            free(rp->v[i].name);
            dk_dns_answer_free(&rp->v[i].answer);
        }
    }
    free(rp->v);
    free(rp->wanted);
}

/* Ask every wanted name on the real resolver, concurrently. */
static int gather(struct replay *rp, dk_resolver *real, const dk_progress *progress,
                  dk_policy_batch_stats *st, dk_err *e)
{
    dk_dns_query *q = dk_calloc(rp->nwanted, sizeof *q, e);
    size_t n = rp->nwanted;
    int rc;

    if (q == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        q[i].name = rp->v[rp->wanted[i]].name;
        q[i].type = rp->v[rp->wanted[i]].type;
    }
    rc = dk_dns_batch(real, q, n, progress, e);
    for (size_t i = 0; i < n; i++) {
        struct entry *x = &rp->v[rp->wanted[i]];

        if (rc == 0) {
            x->answer = q[i].answer; /* moved */
            if (q[i].status < 0) {
                x->answer.rcode = DK_DNS_SERVFAIL;
                x->answer.why = "query name refused";
            }
            x->ready = true;
        } else {
            dk_dns_answer_free(&q[i].answer);
        }
    }
    free(q);
    rp->nwanted = 0;
    st->rounds++;
    st->queries += n;
    return rc;
}

int dk_policy_batch(dk_resolver *real, size_t n, dk_policy_job job, void *ud,
                    const dk_progress *progress, dk_policy_batch_stats *stats, dk_err *e)
{
    static const dk_dns_ops ops = {NULL, replay_lookup};
    struct replay rp;
    dk_policy_batch_stats st = {0, 0, 0};
    dk_resolver *stub;
    size_t *pending, npending = n;
    int rc = -1;

    memset(&rp, 0, sizeof rp);
    pending = dk_calloc(n, sizeof *pending, e);
    if (pending == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        pending[i] = i;
    stub = dk_resolver_new_stub(&ops, &rp, e);
    if (stub == NULL)
        goto out;
    for (unsigned round = 0;; round++) {
        size_t keep = 0;
        bool last = round >= DK_POLICY_MAX_ROUNDS;

        for (size_t p = 0; p < npending; p++) {
            unsigned long before = rp.misses;
            int jr = job(ud, pending[p], stub, e);

            st.runs++;
            if (rp.failed)
                goto out;
            if (rp.misses != before && !last)
                pending[keep++] = pending[p]; /* run again with more answers */
            else if (jr < 0)
                goto out;
        }
        npending = keep;
        if (npending == 0 || rp.nwanted == 0)
            break;
        if (gather(&rp, real, progress, &st, e) < 0)
            goto out;
    }
    rc = 0;
out:
    if (stats != NULL)
        *stats = st;
    dk_resolver_free(stub);
    replay_free(&rp);
    free(pending);
    return rc;
}
