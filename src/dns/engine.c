/*
 * engine.c - many queries at once in one thread: a non-blocking UDP socket
 * per query (a fresh random source port and a random ID each), poll(),
 * retransmission to the next server, TCP when the answer is truncated,
 * CNAME targets asked again when the answer leaves them dangling.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

#define MAX_INFLIGHT 256
#define UDP_SENDS    3 /* transmissions per query over its timeout */
#define QBUF         (2 + 12 + 256 + 4 + 11)

enum job_state { ST_FREE, ST_UDP, ST_TCP_CONN, ST_TCP_WRITE, ST_TCP_READ };

typedef struct job {
    dk_dns_query *q;
    enum job_state st;
    char name[DNS_NAME_MAX]; /* the name asked now (a CNAME target after a chase) */
    unsigned chase;
    int fd;
    int family;
    uint16_t id;
    unsigned char qbuf[QBUF]; /* 2-byte TCP length, then the query */
    size_t qlen;
    size_t srv; /* server of the last transmission */
    unsigned sends;
    unsigned nfail; /* SERVFAIL/REFUSED answers seen */
    uint64_t start, deadline, resend;
    unsigned char *tbuf; /* TCP answer */
    size_t tlen, woff;
    bool bad_seen;
    bool no_edns; /* the server said FORMERR to EDNS0: ask without it */
    const char *why;
} job;

typedef struct engine {
    dk_resolver *r;
    uint64_t now;
    uint16_t ids[128];
    size_t nids;
    unsigned char rbuf[65536];
    size_t done;
} engine;

static uint16_t new_id(engine *g)
{
    if (g->nids == 0) {
        arc4random_buf(g->ids, sizeof g->ids); /* never fails (glibc >= 2.36) */
        g->nids = sizeof g->ids / sizeof g->ids[0];
    }
    return g->ids[--g->nids];
}

static void job_close(job *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    free(j->tbuf);
    j->tbuf = NULL;
}

static void job_finish(engine *g, job *j, dk_dns_answer *a)
{
    job_close(j);
    j->q->answer = *a;
    j->q->status = 0;
    if (!a->from_cache)
        dns_cache_put(&g->r->cache, j->q->name, j->q->type, a);
    memset(a, 0, sizeof *a);
    j->st = ST_FREE;
    g->done++;
}

static void job_fail(engine *g, job *j, enum dk_dns_rcode rc, const char *why)
{
    dk_dns_answer a;

    memset(&a, 0, sizeof a);
    a.type = j->q->type;
    a.rcode = rc;
    a.why = why;
    job_finish(g, j, &a);
}

static int is_server(const dk_resolver *r, const struct sockaddr_storage *from, socklen_t len)
{
    for (size_t i = 0; i < r->nserver; i++) {
        const struct sockaddr_storage *s = &r->server[i];

        if (s->ss_family != from->ss_family)
            continue;
        if (s->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *a = (const void *)s, *b = (const void *)from;

            if (a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr)
                return (int)i;
        } else if (s->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
            const struct sockaddr_in6 *a = (const void *)s, *b = (const void *)from;

            if (a->sin6_port == b->sin6_port &&
                memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0)
                return (int)i;
        }
    }
    return -1;
}

/* (Re)send the query over UDP to server j->srv. */
static void udp_send(engine *g, job *j)
{
    const struct sockaddr_storage *s = &g->r->server[j->srv];
    uint64_t interval = g->r->timeout_ms / UDP_SENDS;

    if (j->fd < 0 || j->family != s->ss_family) {
        job_close(j);
        j->fd = socket(s->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        j->family = s->ss_family;
    }
    if (j->fd >= 0 && sendto(j->fd, j->qbuf + 2, j->qlen, 0, (const struct sockaddr *)s,
                             g->r->server_len[j->srv]) == (ssize_t)j->qlen)
        g->r->sent++;
    j->sends++;
    j->resend = g->now + (interval > 0 ? interval : 1);
}

/* Begin asking j->name from scratch (first time or a CNAME target). */
static void job_ask(engine *g, job *j)
{
    size_t n;

    job_close(j);
    j->id = new_id(g);
    n = dns_build_query(j->qbuf + 2, sizeof j->qbuf - 2, j->id, j->name, j->q->type, !j->no_edns);
    if (n == 0) {
        job_fail(g, j, DK_DNS_SERVFAIL, "query name too long");
        return;
    }
    j->qlen = n;
    j->qbuf[0] = (unsigned char)(n >> 8);
    j->qbuf[1] = (unsigned char)n;
    j->st = ST_UDP;
    j->sends = 0;
    j->nfail = 0;
    j->srv = 0;
    j->bad_seen = false;
    j->why = NULL;
    j->deadline = g->now + g->r->timeout_ms;
    udp_send(g, j);
}

static void tcp_start(engine *g, job *j)
{
    const struct sockaddr_storage *s = &g->r->server[j->srv];

    job_close(j);
    j->fd = socket(s->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (j->fd < 0) {
        job_fail(g, j, DK_DNS_SERVFAIL, "truncated answer and no TCP socket");
        return;
    }
    j->family = s->ss_family;
    j->deadline = g->now + g->r->timeout_ms; /* TCP gets a timeout of its own */
    j->woff = 0;
    j->tlen = 0;
    if (connect(j->fd, (const struct sockaddr *)s, g->r->server_len[j->srv]) < 0 &&
        errno != EINPROGRESS) {
        job_fail(g, j, DK_DNS_SERVFAIL, "truncated answer and the TCP connection failed");
        return;
    }
    j->st = ST_TCP_CONN;
    g->r->sent++;
}

/* An answer arrived (UDP or TCP) from server srv. */
static void handle_reply(engine *g, job *j, const unsigned char *wire, size_t len, size_t srv)
{
    dk_dns_answer a;
    int rc;

    if (len < 12 || ((unsigned)wire[0] << 8 | wire[1]) != j->id || (wire[2] & 0x80) == 0) {
        if (j->st != ST_UDP)
            job_fail(g, j, DK_DNS_SERVFAIL, "malformed answer over TCP");
        return; /* UDP: not ours (late, spoofed): keep waiting */
    }
    if ((wire[3] & 0x0f) == 1 && !j->no_edns && j->st == ST_UDP) {
        /* FORMERR: an old server that does not know EDNS0 (RFC 6891 7) */
        j->no_edns = true;
        job_ask(g, j);
        return;
    }
    memset(&a, 0, sizeof a);
    rc = dk_dns_parse_response(wire, len, j->name, j->q->type, &a, NULL);
    switch (rc) {
    case 1: /* truncated */
        if (j->st != ST_UDP) {
            job_fail(g, j, DK_DNS_SERVFAIL, "truncated answer over TCP");
            return;
        }
        j->srv = srv;
        tcp_start(g, j);
        return;
    case 2: /* CNAME target outside the answer */
        if (j->chase >= DNS_MAX_CHASE || a.name == NULL || !dk_dns_name_ok(a.name)) {
            const char *why = j->chase >= DNS_MAX_CHASE ? "CNAME chain too long"
                                                        : "CNAME target is not a valid name";

            dk_dns_answer_free(&a);
            job_fail(g, j, DK_DNS_SERVFAIL, why);
            return;
        }
        dk_strlcpy(j->name, a.name, sizeof j->name);
        dk_dns_answer_free(&a);
        j->chase++;
        job_ask(g, j);
        return;
    case 0:
        if (a.rcode == DK_DNS_SERVFAIL && a.name == NULL && ++j->nfail < g->r->nserver) {
            /* this server failed or refused: ask the next one now */
            dk_dns_answer_free(&a);
            job_close(j);
            j->st = ST_UDP;
            j->srv = (srv + 1) % g->r->nserver;
            udp_send(g, j);
            return;
        }
        job_finish(g, j, &a);
        return;
    default: /* malformed or another question */
        dk_dns_answer_free(&a);
        if (j->st != ST_UDP) {
            job_fail(g, j, DK_DNS_SERVFAIL, "malformed answer over TCP");
            return;
        }
        j->bad_seen = true;
        return;
    }
}

static void udp_readable(engine *g, job *j)
{
    for (int k = 0; k < 8 && j->st == ST_UDP; k++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(j->fd, g->rbuf, sizeof g->rbuf, 0, (struct sockaddr *)&from, &flen);
        int srv;

        if (n < 0)
            return; /* EAGAIN, or an ICMP error: keep waiting for the timeout */
        srv = is_server(g->r, &from, flen);
        if (srv < 0)
            continue; /* not from a server we asked */
        handle_reply(g, j, g->rbuf, (size_t)n, (size_t)srv);
    }
}

static void tcp_event(engine *g, job *j, short rev)
{
    if (j->st == ST_TCP_CONN) {
        int err = 0;
        socklen_t el = sizeof err;

        if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
            job_fail(g, j, DK_DNS_SERVFAIL, "truncated answer and the TCP connection failed");
            return;
        }
        j->st = ST_TCP_WRITE;
    }
    if (j->st == ST_TCP_WRITE) {
        ssize_t n = send(j->fd, j->qbuf + j->woff, j->qlen + 2 - j->woff, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                job_fail(g, j, DK_DNS_SERVFAIL, "sending the query over TCP failed");
            return;
        }
        j->woff += (size_t)n;
        if (j->woff == j->qlen + 2) {
            j->st = ST_TCP_READ;
            j->tbuf = malloc(2 + 65535);
            if (j->tbuf == NULL)
                job_fail(g, j, DK_DNS_SERVFAIL, "out of memory for a TCP answer");
        }
        return;
    }
    if (j->st == ST_TCP_READ && (rev & (POLLIN | POLLHUP | POLLERR)) != 0) {
        size_t want = j->tlen < 2 ? 2 : 2 + ((size_t)j->tbuf[0] << 8 | j->tbuf[1]);
        ssize_t n = recv(j->fd, j->tbuf + j->tlen, want - j->tlen, 0);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            job_fail(g, j, DK_DNS_SERVFAIL, "the server closed the TCP connection");
            return;
        }
        j->tlen += (size_t)n;
        if (j->tlen == 2)
            return; /* length known; the answer follows */
        if (j->tlen == want && want > 2)
            handle_reply(g, j, j->tbuf + 2, want - 2, j->srv);
    }
}

static void job_start(engine *g, job *j, dk_dns_query *q)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->q = q;
    memset(&q->answer, 0, sizeof q->answer);
    q->answer.type = q->type;
    q->status = 0;
    j->start = g->now;
    if (!dk_dns_name_ok(q->name)) {
        q->status = -1;
        q->answer.rcode = DK_DNS_SERVFAIL;
        q->answer.why = "query name refused: not made of LDH labels";
        g->done++;
        return;
    }
    {
        dk_dns_answer a;

        memset(&a, 0, sizeof a);
        if (dns_cache_get(&g->r->cache, q->name, q->type, &a, NULL) == 1) {
            q->answer = a;
            g->done++;
            return;
        }
    }
    dk_strlcpy(j->name, q->name, sizeof j->name);
    job_ask(g, j);
}

static void job_timeout(engine *g, job *j)
{
    if (j->bad_seen)
        job_fail(g, j, DK_DNS_SERVFAIL, "only malformed answers arrived");
    else if (j->st == ST_UDP)
        job_fail(g, j, DK_DNS_TIMEOUT, "no answer in time");
    else
        job_fail(g, j, DK_DNS_TIMEOUT, "no answer in time over TCP after a truncated answer");
}

static size_t window_size(size_t n)
{
    struct rlimit rl;
    size_t w = MAX_INFLIGHT;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        size_t room = rl.rlim_cur > 64 ? (size_t)(rl.rlim_cur - 64) / 2 : 1;

        if (room < w)
            w = room > 0 ? room : 1;
    }
    return w < n ? w : n;
}

int dns_engine_run(dk_resolver *r, dk_dns_query *q, size_t n, const dk_progress *progress,
                   dk_err *e)
{
    size_t w = window_size(n), next = 0, last_done = 0;
    job *jobs, *j;
    struct pollfd *pf;
    size_t *idx;
    engine *g;
    int ret = 0;

    if (n == 0)
        return 0;
    if (r->nserver == 0)
        return dk_err_set(e, DK_EINTERNAL, "resolver has no server");
    g = dk_calloc(1, sizeof *g, e);
    jobs = dk_calloc(w, sizeof *jobs, e);
    pf = dk_calloc(w, sizeof *pf, e);
    idx = dk_calloc(w, sizeof *idx, e);
    if (g == NULL || jobs == NULL || pf == NULL || idx == NULL) {
        free(g);
        free(jobs);
        free(pf);
        free(idx);
        return -1;
    }
    g->r = r;
    for (size_t i = 0; i < w; i++)
        jobs[i].fd = -1;
    g->now = dns_now_ms();
    while (g->done < n) {
        size_t np = 0;
        uint64_t wake = UINT64_MAX;
        int tmo, pr;

        /* fill free slots with queries not started yet */
        for (size_t i = 0; i < w && next < n; i++) {
            if (jobs[i].st == ST_FREE)
                job_start(g, &jobs[i], &q[next++]);
        }
        for (size_t i = 0; i < w; i++) {
            j = &jobs[i];
            if (j->st == ST_FREE)
                continue;
            pf[np].fd = j->fd;
            pf[np].events = (j->st == ST_UDP || j->st == ST_TCP_READ) ? POLLIN : POLLOUT;
            pf[np].revents = 0;
            idx[np++] = i;
            if (j->deadline < wake)
                wake = j->deadline;
            if (j->st == ST_UDP && j->sends < UDP_SENDS && j->resend < wake)
                wake = j->resend;
        }
        if (np == 0) {
            if (g->done < n && next < n)
                continue;
            break;
        }
        tmo = wake <= g->now ? 0 : (wake - g->now > 60000 ? 60000 : (int)(wake - g->now));
        pr = poll(pf, np, tmo);
        if (pr < 0 && errno != EINTR) {
            ret = dk_err_errno(e, errno, "waiting for DNS answers");
            break;
        }
        g->now = dns_now_ms();
        for (size_t k = 0; k < np && pr > 0; k++) {
            j = &jobs[idx[k]];
            if (pf[k].revents == 0 || j->st == ST_FREE)
                continue;
            if (j->st == ST_UDP)
                udp_readable(g, j);
            else
                tcp_event(g, j, pf[k].revents);
        }
        for (size_t k = 0; k < np; k++) {
            j = &jobs[idx[k]];
            if (j->st == ST_FREE)
                continue;
            if (g->now >= j->deadline) {
                job_timeout(g, j);
            } else if (j->st == ST_UDP && j->sends < UDP_SENDS && g->now >= j->resend) {
                j->srv = (j->srv + 1) % r->nserver;
                udp_send(g, j);
            }
        }
        if (progress != NULL && g->done != last_done) {
            last_done = g->done;
            if (dk_progress_step(progress, "DNS", (unsigned long)g->done, (unsigned long)n)) {
                ret = dk_err_set(e, DK_ECANCEL, "DNS lookups cancelled");
                break;
            }
        }
    }
    /* cancelled or failed: whatever is left answers TIMEOUT */
    for (size_t i = 0; i < w; i++) {
        if (jobs[i].st != ST_FREE)
            job_fail(g, &jobs[i], DK_DNS_TIMEOUT, "cancelled");
        job_close(&jobs[i]);
    }
    for (; next < n; next++) {
        memset(&q[next].answer, 0, sizeof q[next].answer);
        q[next].answer.type = q[next].type;
        q[next].answer.rcode = DK_DNS_TIMEOUT;
        q[next].answer.why = "cancelled";
        q[next].status = 0;
    }
    free(g);
    free(jobs);
    free(pf);
    free(idx);
    return ret;
}
