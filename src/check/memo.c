/* memo.c - answers by (server, name, type), asked in batches. */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/mem.h"

#define CK_FETCH_THREADS 32

int ck_memo_init(ck_memo *m, dk_resolver *r, dk_check_server_fn open_server, void *open_ud,
                 unsigned port, unsigned timeout_ms, dk_err *e)
{
    memset(m, 0, sizeof *m);
    m->r = r;
    m->open_server = open_server;
    m->open_ud = open_ud;
    m->port = port != 0 ? port : 53;
    m->timeout_ms = timeout_ms != 0 ? timeout_ms : 2000;
    m->tabsize = 1024;
    m->tab = dk_calloc(m->tabsize, sizeof *m->tab, e);
    if (m->tab == NULL)
        return -1;
    if (ck_memo_server(m, "", e) < 0) { /* server 0: the resolver */
        free(m->tab);
        return -1;
    }
    return 0;
}

void ck_memo_free(ck_memo *m)
{
    for (size_t i = 0; i < m->n; i++) {
        dk_dns_answer_free(&m->v[i]->a);
        free(m->v[i]->name);
        free(m->v[i]);
    }
    for (size_t i = 1; i < m->nsrv; i++)
        dk_resolver_free(m->srv[i].r);
    free(m->srv);
    free(m->v);
    free(m->tab);
    memset(m, 0, sizeof *m);
}

long ck_memo_server(ck_memo *m, const char *addr, dk_err *e)
{
    ck_srv *v;

    for (size_t i = 1; i < m->nsrv; i++)
        if (strcmp(m->srv[i].addr, addr) == 0)
            return (long)i;
    v = dk_reallocarray(m->srv, m->nsrv + 1, sizeof *v, e);
    if (v == NULL)
        return -1;
    m->srv = v;
    memset(&v[m->nsrv], 0, sizeof *v);
    dk_strlcpy(v[m->nsrv].addr, addr, sizeof v[0].addr);
    return (long)m->nsrv++;
}

static uint64_t hash(unsigned srv, const char *name, enum dk_dns_type type)
{
    uint64_t h = 1469598103934665603ULL;

    h = (h ^ srv) * 1099511628211ULL;
    h = (h ^ (unsigned)type) * 1099511628211ULL;
    for (const char *p = name; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static int grow(ck_memo *m, dk_err *e)
{
    size_t ns = m->tabsize * 2;
    size_t *t = dk_calloc(ns, sizeof *t, e);

    if (t == NULL)
        return -1;
    for (size_t i = 0; i < m->n; i++) {
        size_t k = (size_t)(hash(m->v[i]->srv, m->v[i]->name, m->v[i]->type) & (ns - 1));

        while (t[k] != 0)
            k = (k + 1) & (ns - 1);
        t[k] = i + 1;
    }
    free(m->tab);
    m->tab = t;
    m->tabsize = ns;
    return 0;
}

static void norm(const char *in, char *out, size_t size)
{
    size_t n = 0;

    for (; in[n] != '\0' && n + 1 < size; n++)
        out[n] = (char)tolower((unsigned char)in[n]);
    if (n > 0 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
}

static void fill_failed(ck_ent *x, const char *why)
{
    memset(&x->a, 0, sizeof x->a);
    x->a.rcode = DK_DNS_SERVFAIL;
    x->a.type = x->type;
    x->a.why = why;
    x->status = 0;
    x->done = true;
}

static int ask_one(ck_memo *m, ck_ent *x, dk_err *e);

int ck_memo_get(ck_memo *m, unsigned srv, const char *name, enum dk_dns_type type, const ck_ent **a,
                dk_err *e)
{
    char key[300];
    size_t k;
    ck_ent *x;

    norm(name, key, sizeof key);
    k = (size_t)(hash(srv, key, type) & (m->tabsize - 1));
    while (m->tab[k] != 0) {
        x = m->v[m->tab[k] - 1];
        if (x->srv == srv && x->type == type && strcmp(x->name, key) == 0) {
            if (!x->done) {
                m->misses++;
                return 0;
            }
            *a = x;
            return 1;
        }
        k = (k + 1) & (m->tabsize - 1);
    }
    if (m->n == m->cap) {
        size_t nc = m->cap == 0 ? 256 : m->cap * 2;
        ck_ent **v = dk_reallocarray(m->v, nc, sizeof *v, e);

        if (v == NULL)
            return -1;
        m->v = v;
        m->cap = nc;
    }
    x = dk_calloc(1, sizeof *x, e);
    if (x == NULL)
        return -1;
    x->name = dk_strdup(key, e);
    if (x->name == NULL) {
        free(x);
        return -1;
    }
    x->type = type;
    x->srv = srv;
    m->v[m->n++] = x;
    m->tab[k] = m->n;
    if (m->n * 2 > m->tabsize && grow(m, e) < 0)
        return -1;
    if (m->live) {
        if (ask_one(m, x, e) < 0)
            return -1;
        *a = x;
        return 1;
    }
    m->npending++;
    m->misses++;
    return 0;
}

static dk_resolver *server_resolver(ck_memo *m, unsigned srv)
{
    ck_srv *s = &m->srv[srv];

    if (srv == 0)
        return m->r;
    if (s->r == NULL && !s->failed) {
        if (m->open_server != NULL) {
            s->r = m->open_server(m->open_ud, s->addr, m->port, m->timeout_ms, &s->err);
        } else {
            char spec[96];

            (void)snprintf(spec, sizeof spec, "%s@%u", s->addr, m->port);
            s->r = dk_resolver_new(spec, m->timeout_ms, &s->err);
        }
        if (s->r == NULL)
            s->failed = true;
        else
            dk_resolver_set_cache(s->r, 0); /* ask the server, every time */
    }
    return s->r;
}

static int ask_one(ck_memo *m, ck_ent *x, dk_err *e)
{
    dk_resolver *r = server_resolver(m, x->srv);
    dk_dns_query q;

    if (r == NULL) {
        fill_failed(x, "the server could not be set up");
        return 0;
    }
    memset(&q, 0, sizeof q);
    q.name = x->name;
    q.type = x->type;
    if (dk_dns_batch(r, &q, 1, NULL, e) < 0) {
        dk_dns_answer_free(&q.answer);
        return -1;
    }
    x->a = q.answer;
    x->status = q.status;
    x->done = true;
    m->asked++;
    return 0;
}

/* The pending questions of one server, asked with one dk_dns_batch. */
typedef struct job {
    ck_memo *m;
    unsigned srv;
    ck_ent **who;
    size_t n;
    int rc;
    dk_err e;
} job;

typedef struct pool {
    pthread_mutex_t mu;
    job *jobs;
    size_t n, next;
} pool;

/* Touches only server j->srv and its own entries: safe beside other jobs. */
static void run_job(job *j, const dk_progress *p)
{
    dk_resolver *r = server_resolver(j->m, j->srv);
    dk_dns_query *q;

    j->rc = 0;
    if (r == NULL) {
        for (size_t i = 0; i < j->n; i++)
            fill_failed(j->who[i], "the server could not be set up");
        return;
    }
    q = dk_calloc(j->n, sizeof *q, &j->e);
    if (q == NULL) {
        j->rc = -1;
        return;
    }
    for (size_t i = 0; i < j->n; i++) {
        q[i].name = j->who[i]->name;
        q[i].type = j->who[i]->type;
    }
    if (dk_dns_batch(r, q, j->n, p, &j->e) < 0) {
        for (size_t i = 0; i < j->n; i++)
            dk_dns_answer_free(&q[i].answer);
        free(q);
        j->rc = -1;
        return;
    }
    for (size_t i = 0; i < j->n; i++) {
        j->who[i]->a = q[i].answer;
        j->who[i]->status = q[i].status;
        j->who[i]->done = true;
    }
    free(q);
}

static void *pool_worker(void *arg)
{
    pool *pl = arg;

    for (;;) {
        size_t i;

        pthread_mutex_lock(&pl->mu);
        i = pl->next < pl->n ? pl->next++ : pl->n;
        pthread_mutex_unlock(&pl->mu);
        if (i >= pl->n)
            return NULL;
        run_job(&pl->jobs[i], NULL);
    }
}

/*
 * One batch per server with pending questions.  The resolver's batch runs
 * here (with progress, which may cancel); the authoritative servers' batches
 * run at the same time in up to CK_FETCH_THREADS threads, each server's
 * resolver used by one thread only.
 */
int ck_memo_fetch(ck_memo *m, const dk_progress *p, dk_err *e)
{
    size_t *count = NULL, *fill = NULL, nj = 0;
    ck_ent **all = NULL;
    job *jobs = NULL, *j0 = NULL;
    pool pl;
    pthread_t th[CK_FETCH_THREADS];
    size_t nth = 0;
    int rc = -1;

    if (m->npending == 0)
        return 0;
    count = dk_calloc(m->nsrv, sizeof *count, e);
    fill = dk_calloc(m->nsrv, sizeof *fill, e);
    all = dk_calloc(m->npending, sizeof *all, e);
    jobs = dk_calloc(m->nsrv, sizeof *jobs, e);
    if (count == NULL || fill == NULL || all == NULL || jobs == NULL)
        goto out;
    for (size_t i = 0; i < m->n; i++)
        if (!m->v[i]->done)
            count[m->v[i]->srv]++;
    for (size_t s = 0, off = 0; s < m->nsrv; s++) {
        if (count[s] == 0)
            continue;
        jobs[nj].m = m;
        jobs[nj].srv = (unsigned)s;
        jobs[nj].who = all + off;
        fill[s] = nj++;
        off += count[s];
    }
    for (size_t i = 0; i < m->n; i++) {
        ck_ent *x = m->v[i];

        if (!x->done) {
            job *j = &jobs[fill[x->srv]];

            j->who[j->n++] = x;
        }
    }
    if (jobs[0].srv == 0 && jobs[0].n > 0)
        j0 = &jobs[0];
    memset(&pl, 0, sizeof pl);
    pl.jobs = jobs + (j0 != NULL ? 1 : 0);
    pl.n = nj - (j0 != NULL ? 1 : 0);
    if (pthread_mutex_init(&pl.mu, NULL) != 0) {
        dk_err_set(e, DK_EINTERNAL, "cannot make a mutex");
        goto out;
    }
    for (; pl.n > 1 && nth < pl.n && nth < CK_FETCH_THREADS; nth++)
        if (pthread_create(&th[nth], NULL, pool_worker, &pl) != 0)
            break;
    if (j0 != NULL)
        run_job(j0, p);
    if (nth == 0)
        (void)pool_worker(&pl); /* one server, or no threads: here */
    for (size_t i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&pl.mu);
    for (size_t i = 0; i < nj; i++) {
        if (jobs[i].rc < 0) {
            if (e != NULL)
                *e = jobs[i].e;
            goto out;
        }
        m->npending -= jobs[i].n;
        m->asked += jobs[i].n;
    }
    rc = 0;
out:
    free(count);
    free(fill);
    free(all);
    free(jobs);
    return rc;
}
