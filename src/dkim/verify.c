/* verify.c - the DKIM verifier, its key cache and Authentication-Results. */
#include "dkim/dkim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/msg.h"
#include "dkim/tags.h"
#include "internal.h"
#include "util/mem.h"

#define CACHE_SIZE 32
_Static_assert(CACHE_SIZE > DK_VERIFY_MAX_SIGS, "a message's keys must fit the cache");

/* the tags a verifier looks at, found in one pass */
enum { T_V, T_A, T_B, T_BH, T_D, T_H, T_S, T_C, T_Q, T_I, T_L, T_T, T_X, T_N };

struct vsig {
    dk_tags tags;
    const dk_tag *tg[T_N];
    size_t field;
    enum dk_alg alg;
    enum dk_canon hc, bc;
    uint64_t l;
    const dk_tag *h, *b;
    const char *idom; /* domain of i=, or NULL */
    size_t idlen;
    unsigned char bhv[64];
    long bhl;
    unsigned char bv[1024];
    long bl;
    const dk_key_record *key;
    int canon;
    bool active;
};

struct cache_ent {
    char name[256];
    bool used;
    enum dk_result res; /* PASS when the record parsed */
    char reason[200];
    dk_key_record rec;
};

struct dk_verifier {
    dk_resolver *r;
    long long now;
    dk_msg msg;
    dk_buf scratch, sigbuf;
    EVP_MD_CTX *md[DK_VERIFY_MAX_SIGS];
    EVP_MD_CTX *hmd;
    EVP_MD *sha;
    dk_body_canon canon[DK_VERIFY_MAX_SIGS];
    uint64_t climit[DK_VERIFY_MAX_SIGS];
    size_t ncanon;
    struct vsig vs[DK_VERIFY_MAX_SIGS];
    struct cache_ent cache[CACHE_SIZE];
    size_t cnext;
};

dk_verifier *dk_verifier_new(dk_resolver *r, dk_err *e)
{
    dk_verifier *v = dk_calloc(1, sizeof *v, e);

    if (v == NULL)
        return NULL;
    v->r = r;
    dk_buf_init(&v->scratch, DK_MSG_HEADER_MAX * 2);
    dk_buf_init(&v->sigbuf, DK_MSG_HEADER_MAX);
    if (dk_msg_init(&v->msg, e) < 0) {
        free(v);
        return NULL;
    }
    for (size_t k = 0; k < DK_VERIFY_MAX_SIGS; k++) {
        v->md[k] = EVP_MD_CTX_new();
        if (v->md[k] == NULL)
            goto fail;
    }
    v->hmd = EVP_MD_CTX_new();
    v->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (v->hmd == NULL || v->sha == NULL)
        goto fail;
    return v;
fail:
    dk_err_set(e, DK_ECRYPTO, "OpenSSL: cannot set up SHA-256");
    dk_verifier_free(v);
    return NULL;
}

void dk_verifier_free(dk_verifier *v)
{
    if (v == NULL)
        return;
    for (size_t k = 0; k < DK_VERIFY_MAX_SIGS; k++)
        EVP_MD_CTX_free(v->md[k]);
    EVP_MD_CTX_free(v->hmd);
    EVP_MD_free(v->sha);
    for (size_t k = 0; k < CACHE_SIZE; k++)
        dk_key_record_free(&v->cache[k].rec);
    dk_msg_free(&v->msg);
    dk_buf_free(&v->scratch);
    dk_buf_free(&v->sigbuf);
    free(v);
}

void dk_verifier_set_time(dk_verifier *v, long long now)
{
    v->now = now;
}

static void setres(dk_sig_result *r, enum dk_result res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setres(dk_sig_result *r, enum dk_result res, const char *fmt, ...)
{
    va_list ap;

    r->result = res;
    va_start(ap, fmt);
    (void)vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    /* the reason goes into a comment: no parentheses or backslashes */
    for (char *p = r->reason; *p; p++) {
        if (*p == '(' || *p == ')' || *p == '\\' || (unsigned char)*p < 0x20 ||
            (unsigned char)*p > 0x7e)
            *p = '_';
    }
}

/* Copy a tag value for display: printable ASCII only. */
static void showval(char *dst, size_t size, const dk_tag *t)
{
    size_t j = 0;

    if (t == NULL) {
        dst[0] = '\0';
        return;
    }
    for (size_t k = 0; k < t->vlen && j + 1 < size; k++) {
        unsigned char c = (unsigned char)t->val[k];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        dst[j++] = (c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != ';') ? (char)c : '?';
    }
    dst[j] = '\0';
}

static bool all_digits(const dk_tag *t, size_t maxd)
{
    if (t->vlen == 0 || t->vlen > maxd)
        return false;
    for (size_t k = 0; k < t->vlen; k++) {
        if (t->val[k] < '0' || t->val[k] > '9')
            return false;
    }
    return true;
}

static uint64_t num(const dk_tag *t)
{
    uint64_t n = 0;

    for (size_t k = 0; k < t->vlen; k++) {
        unsigned d = (unsigned)(t->val[k] - '0');

        if (n > (UINT64_MAX - d) / 10)
            return UINT64_MAX;
        n = n * 10 + d;
    }
    return n;
}

/* Every name in the h= list non-empty and without inner FWS; *from says
 * whether From is one of them.  One pass. */
static bool hlist_ok(const char *s, size_t len, bool *from)
{
    size_t pos = 0, n;
    const char *it;

    *from = false;
    while (dk_colon_next(s, len, &pos, &it, &n)) {
        if (n == 0)
            return false;
        if (n == 4 && dk_eqi(it, 4, "from", 4))
            *from = true;
        else if (memchr(it, ' ', n) != NULL || memchr(it, '\t', n) != NULL ||
                 memchr(it, '\n', n) != NULL)
            return false;
    }
    return true;
}

static const char *const required[] = {"v", "a", "b", "bh", "d", "h", "s", NULL};
static const int required_id[] = {T_V, T_A, T_B, T_BH, T_D, T_H, T_S};

/* Parse and check one signature; false = a final result is set. */
static bool parse_sig(dk_verifier *v, struct vsig *g, dk_sig_result *r, long long now)
{
    const dk_msg *m = &v->msg;
    const dk_field *f = &m->f[g->field];
    const char *val = m->hdr.data + f->voff;
    const dk_tag *t, *d, *s;
    char why[200];
    bool hfrom = false;

    memset(r, 0, sizeof *r);
    g->active = false;
    g->key = NULL;
    g->idom = NULL;
    g->l = UINT64_MAX;
    if (dk_tags_parse(&g->tags, val, f->vlen, why, sizeof why) < 0) {
        setres(r, DK_RES_PERMERROR, "bad DKIM-Signature: %s", why);
        return false;
    }
    memset(g->tg, 0, sizeof g->tg);
    for (size_t k = 0; k < g->tags.n; k++) {
        const dk_tag *x = &g->tags.v[k];
        int id = -1;

        if (x->nlen == 1) {
            switch (x->name[0]) {
            case 'v':
                id = T_V;
                break;
            case 'a':
                id = T_A;
                break;
            case 'b':
                id = T_B;
                break;
            case 'd':
                id = T_D;
                break;
            case 'h':
                id = T_H;
                break;
            case 's':
                id = T_S;
                break;
            case 'c':
                id = T_C;
                break;
            case 'q':
                id = T_Q;
                break;
            case 'i':
                id = T_I;
                break;
            case 'l':
                id = T_L;
                break;
            case 't':
                id = T_T;
                break;
            case 'x':
                id = T_X;
                break;
            default:
                break;
            }
        } else if (x->nlen == 2 && x->name[0] == 'b' && x->name[1] == 'h') {
            id = T_BH;
        }
        if (id >= 0)
            g->tg[id] = x;
    }
    d = g->tg[T_D];
    s = g->tg[T_S];
    showval(r->d, sizeof r->d, d);
    showval(r->s, sizeof r->s, s);
    showval(r->a, sizeof r->a, g->tg[T_A]);
    showval(r->i, sizeof r->i, g->tg[T_I]);
    showval(r->b, 9, g->tg[T_B]);
    for (size_t k = 0; required[k] != NULL; k++) {
        if (g->tg[required_id[k]] == NULL) {
            setres(r, DK_RES_PERMERROR, "DKIM-Signature has no %s= tag", required[k]);
            return false;
        }
    }
    if (!dk_tag_is(g->tg[T_V], "1")) {
        setres(r, DK_RES_PERMERROR, "unsupported version v=%.16s (only 1)", g->tg[T_V]->val);
        return false;
    }
    t = g->tg[T_A];
    if (dk_tag_is(t, "rsa-sha1")) {
        setres(r, DK_RES_PERMERROR, "rsa-sha1 is not accepted (RFC 8301)");
        return false;
    }
    if (dk_alg_parse(t->val, t->vlen, &g->alg) < 0) {
        setres(r, DK_RES_PERMERROR, "unknown algorithm a=%s (rsa-sha256 or ed25519-sha256)", r->a);
        return false;
    }
    t = g->tg[T_C];
    g->hc = g->bc = DK_CANON_SIMPLE;
    if (t != NULL && dk_canon_parse(t->val, t->vlen, &g->hc, &g->bc) < 0) {
        setres(r, DK_RES_PERMERROR, "unknown canonicalization c=%.32s", t->val);
        return false;
    }
    t = g->tg[T_Q];
    if (t != NULL && !dk_colon_list_has(t->val, t->vlen, "dns/txt", true)) {
        setres(r, DK_RES_PERMERROR, "query method q= is not dns/txt");
        return false;
    }
    if (!dk_domain_ok(d->val, d->vlen, why, sizeof why)) {
        setres(r, DK_RES_PERMERROR, "d=: %s", why);
        return false;
    }
    if (!dk_domain_ok(s->val, s->vlen, why, sizeof why)) {
        setres(r, DK_RES_PERMERROR, "s=: %s", why);
        return false;
    }
    if (s->vlen + d->vlen + 12 > 253) {
        setres(r, DK_RES_PERMERROR, "s=._domainkey.d= is longer than 253 bytes");
        return false;
    }
    g->h = g->tg[T_H];
    if (g->h->vlen == 0 || !hlist_ok(g->h->val, g->h->vlen, &hfrom)) {
        setres(r, DK_RES_PERMERROR, "h= is empty or holds an empty name");
        return false;
    }
    if (!hfrom) {
        setres(r, DK_RES_PERMERROR, "h= does not include From (RFC 6376 5.4)");
        return false;
    }
    t = g->tg[T_I];
    if (t != NULL) {
        const char *at = NULL;

        for (size_t k = t->vlen; k-- > 0;) {
            if (t->val[k] == '@') {
                at = t->val + k;
                break;
            }
        }
        if (at == NULL) {
            setres(r, DK_RES_PERMERROR, "i= has no '@'");
            return false;
        }
        g->idom = at + 1;
        g->idlen = (size_t)(t->val + t->vlen - g->idom);
        if (!(dk_eqi(g->idom, g->idlen, d->val, d->vlen) ||
              (g->idlen > d->vlen + 1 && g->idom[g->idlen - d->vlen - 1] == '.' &&
               dk_eqi(g->idom + g->idlen - d->vlen, d->vlen, d->val, d->vlen)))) {
            setres(r, DK_RES_PERMERROR, "i= domain is not d= or a subdomain of it");
            return false;
        }
    }
    t = g->tg[T_L];
    if (t != NULL) {
        if (!all_digits(t, 76)) {
            setres(r, DK_RES_PERMERROR, "l= is not a number of at most 76 digits");
            return false;
        }
        g->l = num(t);
        if (g->l == UINT64_MAX)
            g->l = UINT64_MAX - 1; /* saturated: larger than any body */
    }
    {
        const dk_tag *tt = g->tg[T_T], *xt = g->tg[T_X];
        uint64_t tv = 0, xv = 0;

        if (tt != NULL) {
            if (!all_digits(tt, 12)) {
                setres(r, DK_RES_PERMERROR, "t= is not a timestamp");
                return false;
            }
            tv = num(tt);
            if (tv > (uint64_t)now + DK_DRIFT_SECONDS) {
                setres(r, DK_RES_PERMERROR, "t= is in the future");
                return false;
            }
        }
        if (xt != NULL) {
            if (!all_digits(xt, 12)) {
                setres(r, DK_RES_PERMERROR, "x= is not a timestamp");
                return false;
            }
            xv = num(xt);
            if (tt != NULL && xv < tv) {
                setres(r, DK_RES_PERMERROR, "x= is before t=");
                return false;
            }
            if (xv < (uint64_t)now) {
                setres(r, DK_RES_FAIL, "signature expired");
                return false;
            }
        }
    }
    t = g->tg[T_BH];
    g->bhl = dk_b64_decode(t->val, t->vlen, g->bhv, sizeof g->bhv);
    if (t->vlen == 0 || g->bhl < 0) {
        setres(r, DK_RES_PERMERROR, "bh= is empty or not valid base64");
        return false;
    }
    if (g->bhl != 32) {
        setres(r, DK_RES_PERMERROR, "bh= is %ld bytes (a SHA-256 hash is 32)", g->bhl);
        return false;
    }
    g->b = g->tg[T_B];
    g->bl = dk_b64_decode(g->b->val, g->b->vlen, g->bv, sizeof g->bv);
    if (g->b->vlen == 0 || g->bl <= 0) {
        setres(r, DK_RES_PERMERROR, "b= is empty, too long or not valid base64");
        return false;
    }
    g->active = true;
    return true;
}

/* Does one of the message's signatures before `upto` hold this entry's key? */
static bool key_in_use(const dk_verifier *v, const struct cache_ent *c, size_t upto)
{
    for (size_t j = 0; j < upto; j++) {
        if (v->vs[j].key == &c->rec)
            return true;
    }
    return false;
}

/* The key record for name, from the cache or DNS.  A new entry takes the
 * oldest slot that no earlier signature of this message (vs[0..upto))
 * still uses: with CACHE_SIZE > DK_VERIFY_MAX_SIGS there always is one. */
static const struct cache_ent *get_key(dk_verifier *v, const char *name, size_t upto)
{
    struct cache_ent *c;
    dk_dns_txt_answer a;
    dk_err e;

    for (size_t k = 0; k < CACHE_SIZE; k++) {
        if (v->cache[k].used && strcmp(v->cache[k].name, name) == 0)
            return &v->cache[k];
    }
    while (key_in_use(v, &v->cache[v->cnext], upto))
        v->cnext = (v->cnext + 1) % CACHE_SIZE;
    c = &v->cache[v->cnext];
    v->cnext = (v->cnext + 1) % CACHE_SIZE;
    dk_key_record_free(&c->rec);
    memset(c, 0, sizeof *c);
    (void)dk_strlcpy(c->name, name, sizeof c->name);
    c->used = true;
    c->res = DK_RES_PASS;
    memset(&a, 0, sizeof a);
    dk_err_clear(&e);
    if (v->r == NULL) {
        c->res = DK_RES_TEMPERROR;
        (void)snprintf(c->reason, sizeof c->reason, "no resolver");
        return c;
    }
    if (dk_dns_txt_lookup(v->r, name, &a, &e) < 0) {
        c->res = DK_RES_TEMPERROR;
        (void)snprintf(c->reason, sizeof c->reason, "key lookup failed: %.150s", e.msg);
        dk_dns_txt_answer_free(&a);
        return c;
    }
    switch (a.rcode) {
    case DK_DNS_OK:
        if (a.nrr == 0) {
            c->res = DK_RES_PERMERROR;
            (void)snprintf(c->reason, sizeof c->reason, "no key record");
        } else if (a.nrr > 1) {
            c->res = DK_RES_PERMERROR;
            (void)snprintf(c->reason, sizeof c->reason, "%zu TXT records for the key (one)", a.nrr);
        } else {
            char why[160];

            if (dk_key_record_parse(&c->rec, a.rr[0].data, a.rr[0].len, why, sizeof why) < 0) {
                c->res = DK_RES_PERMERROR;
                (void)snprintf(c->reason, sizeof c->reason, "%s", why);
            }
        }
        break;
    case DK_DNS_NODATA:
        c->res = DK_RES_PERMERROR;
        (void)snprintf(c->reason, sizeof c->reason, "no key record (no TXT at the name)");
        break;
    case DK_DNS_NXDOMAIN:
        c->res = DK_RES_PERMERROR;
        (void)snprintf(c->reason, sizeof c->reason, "no key record (NXDOMAIN)");
        break;
    case DK_DNS_SERVFAIL:
        c->res = DK_RES_TEMPERROR;
        (void)snprintf(c->reason, sizeof c->reason, "key lookup: SERVFAIL");
        break;
    default:
        c->res = DK_RES_TEMPERROR;
        (void)snprintf(c->reason, sizeof c->reason, "key lookup: timeout");
        break;
    }
    dk_dns_txt_answer_free(&a);
    return c;
}

/* Key lookup and the checks that need the key; g is v->vs[idx]. */
static void key_checks(dk_verifier *v, size_t idx, dk_sig_result *r)
{
    struct vsig *g = &v->vs[idx];
    char name[300];
    const dk_tag *d = g->tg[T_D], *s = g->tg[T_S];
    const struct cache_ent *c;
    size_t n = 0;

    for (size_t k = 0; k < s->vlen; k++)
        name[n++] = (char)((s->val[k] >= 'A' && s->val[k] <= 'Z') ? s->val[k] + 32 : s->val[k]);
    memcpy(name + n, "._domainkey.", 12);
    n += 12;
    for (size_t k = 0; k < d->vlen; k++)
        name[n++] = (char)((d->val[k] >= 'A' && d->val[k] <= 'Z') ? d->val[k] + 32 : d->val[k]);
    name[n] = '\0';
    c = get_key(v, name, idx);
    if (c->res != DK_RES_PASS) {
        setres(r, c->res, "%s", c->reason);
        g->active = false;
        return;
    }
    g->key = &c->rec;
    r->testing = c->rec.testing;
    if (c->rec.revoked) {
        setres(r, DK_RES_PERMERROR, "key revoked (empty p=)");
    } else if (!c->rec.sha256_ok) {
        setres(r, DK_RES_PERMERROR, "key h= does not allow sha256");
    } else if ((g->alg == DK_ALG_RSA_SHA256) != (c->rec.type == DK_KEY_RSA)) {
        setres(r, DK_RES_PERMERROR, "key type k= does not match a=%s", r->a);
    } else if (c->rec.strict && g->idom != NULL && !dk_eqi(g->idom, g->idlen, d->val, d->vlen)) {
        setres(r, DK_RES_FAIL, "key has t=s but i= is a subdomain of d=");
    } else if (c->rec.type == DK_KEY_RSA && c->rec.bits < 1024) {
        setres(r, DK_RES_FAIL, "RSA key of %u bits is too short (RFC 8301: at least 1024)",
               c->rec.bits);
    } else {
        return;
    }
    g->active = false;
}

static int canon_for(dk_verifier *v, enum dk_canon bc, uint64_t l)
{
    for (size_t k = 0; k < v->ncanon; k++) {
        if (v->canon[k].mode == bc && v->climit[k] == l)
            return (int)k;
    }
    if (EVP_DigestInit_ex(v->md[v->ncanon], v->sha, NULL) != 1)
        return -1;
    dk_body_canon_init(&v->canon[v->ncanon], bc, v->md[v->ncanon], l);
    v->climit[v->ncanon] = l;
    return (int)v->ncanon++;
}

static void finish_sig(dk_verifier *v, struct vsig *g, dk_sig_result *r, const unsigned char *bh,
                       uint64_t total)
{
    dk_msg *m = &v->msg;
    const dk_field *f = &m->f[g->field];
    const char *fp = dk_field_ptr(m, f);
    size_t vo = f->voff - f->off;
    unsigned char hh[32];
    char why[200], extra[120] = "";
    int ok;

    if (g->l != UINT64_MAX && total < g->l) {
        setres(r, DK_RES_FAIL, "l= is larger than the body");
        return;
    }
    if (memcmp(bh, g->bhv, 32) != 0) {
        setres(r, DK_RES_FAIL, "body hash did not verify");
        return;
    }
    /* the field with the b= value deleted, without its CRLF */
    dk_buf_reset(&v->sigbuf);
    if (dk_buf_append(&v->sigbuf, fp, vo + g->b->raw_start, NULL) < 0 ||
        dk_buf_append(&v->sigbuf, fp + vo + g->b->raw_end, f->len - 2 - vo - g->b->raw_end, NULL) <
            0) {
        setres(r, DK_RES_TEMPERROR, "out of memory");
        return;
    }
    if (dk_hash_headers(m, g->h->val, g->h->vlen, g->hc, v->sigbuf.data, v->sigbuf.len, v->hmd,
                        v->sha, &v->scratch, hh, why, sizeof why) < 0) {
        setres(r, DK_RES_PERMERROR, "%s", why);
        return;
    }
    /* report fields of a signed name that the signature does not cover */
    {
        size_t used[DK_H_MAX], nu = 0;

        for (size_t k = 0; k < m->nf && nu < DK_H_MAX; k++) {
            if (m->f[k].used)
                used[nu++] = k;
        }
        for (size_t k = 0; k < m->nf && extra[0] == '\0'; k++) {
            const dk_field *x = &m->f[k];

            if (x->used)
                continue;
            for (size_t j = 0; j < nu; j++) {
                const dk_field *y = &m->f[used[j]];

                if (y->nlen == x->nlen &&
                    dk_eqi(dk_field_ptr(m, x), x->nlen, dk_field_ptr(m, y), y->nlen)) {
                    (void)snprintf(extra, sizeof extra, "; unsigned extra %.*s field",
                                   (int)(x->nlen > 60 ? 60 : x->nlen), dk_field_ptr(m, x));
                    break;
                }
            }
        }
    }
    if (g->alg == DK_ALG_RSA_SHA256) {
        ok = EVP_PKEY_verify(g->key->vctx, g->bv, (size_t)g->bl, hh, 32) == 1;
    } else {
        /* the key's own context, set up when the record was parsed: a
         * cached key verifies batch after batch without a new set-up */
        int rv = EVP_DigestVerify(g->key->edctx, g->bv, (size_t)g->bl, hh, 32);

        if (rv < 0) {
            /* an error, not a mismatch: set the context up afresh once */
            rv = EVP_DigestVerifyInit(g->key->edctx, NULL, NULL, NULL, g->key->pkey) == 1
                     ? EVP_DigestVerify(g->key->edctx, g->bv, (size_t)g->bl, hh, 32)
                     : 0;
        }
        ok = rv == 1;
    }
    if (ok && !r->testing && extra[0] == '\0') {
        r->result = DK_RES_PASS;
        memcpy(r->reason, "signature verified", sizeof "signature verified");
    } else if (ok)
        setres(r, DK_RES_PASS, "signature verified%s%s", r->testing ? "; key in test mode" : "",
               extra);
    else
        setres(r, DK_RES_FAIL, "signature did not verify%s", extra);
}

static int verify_common(dk_verifier *v, dk_verify_result *res, const char *mem, size_t memlen,
                         dk_err *e)
{
    dk_msg *m = &v->msg;
    long long now = v->now > 0 ? v->now : (long long)time(NULL);
    size_t nfrom, nact = 0;
    unsigned char bh[DK_VERIFY_MAX_SIGS][EVP_MAX_MD_SIZE];

    res->nsig = 0;
    res->ignored = 0;
    res->note[0] = '\0';
    v->ncanon = 0;
    for (size_t k = 0; k < m->nf; k++) {
        if (!dk_field_is(m, &m->f[k], "dkim-signature", 14))
            continue;
        if (res->nsig == DK_VERIFY_MAX_SIGS) {
            res->ignored++;
            continue;
        }
        v->vs[res->nsig].field = k;
        (void)parse_sig(v, &v->vs[res->nsig], &res->sig[res->nsig], now);
        res->nsig++;
    }
    if (res->ignored > 0)
        (void)snprintf(res->note, sizeof res->note, "%zu more signatures not evaluated",
                       res->ignored);
    nfrom = dk_msg_count(m, "from");
    for (size_t k = 0; k < res->nsig; k++) {
        struct vsig *g = &v->vs[k];

        if (!g->active)
            continue;
        if (nfrom != 1) {
            setres(&res->sig[k], DK_RES_FAIL, "the message has %zu From fields (one)", nfrom);
            g->active = false;
            continue;
        }
        key_checks(v, k, &res->sig[k]);
        if (!g->active)
            continue;
        g->canon = canon_for(v, g->bc, g->l);
        if (g->canon < 0) {
            setres(&res->sig[k], DK_RES_TEMPERROR, "SHA-256 failed");
            g->active = false;
            continue;
        }
        nact++;
    }
    if (nact > 0) {
        if (mem != NULL) {
            for (size_t c = 0; c < v->ncanon; c++)
                (void)dk_body_canon_update(&v->canon[c], (const unsigned char *)mem, memlen);
        } else {
            for (;;) {
                const unsigned char *p;
                size_t n;

                if (dk_msg_body_next(m, &p, &n, e) < 0)
                    return -1;
                if (n == 0)
                    break;
                for (size_t c = 0; c < v->ncanon; c++)
                    (void)dk_body_canon_update(&v->canon[c], p, n);
            }
        }
        for (size_t c = 0; c < v->ncanon; c++) {
            unsigned l = 0;

            if (dk_body_canon_final(&v->canon[c], bh[c], &l) < 0 || l != 32)
                memset(bh[c], 0, sizeof bh[c]);
        }
        for (size_t k = 0; k < res->nsig; k++) {
            struct vsig *g = &v->vs[k];

            if (g->active)
                finish_sig(v, g, &res->sig[k], bh[g->canon], v->canon[g->canon].total);
        }
    }
    return 0;
}

int dk_verify_fd(dk_verifier *v, int fd, dk_verify_result *res, dk_err *e)
{
    if (dk_msg_read_header(&v->msg, fd, e) < 0) {
        if (e != NULL && e->code == DK_EINVAL) {
            /* a message we refuse to parse: a result, not an I/O error */
            memset(res, 0, sizeof *res);
            res->nsig = 1;
            setres(&res->sig[0], DK_RES_PERMERROR, "%s", e->msg);
            return 0;
        }
        return -1;
    }
    return verify_common(v, res, NULL, 0, e);
}

int dk_verify_mem(dk_verifier *v, const char *msg, size_t len, dk_verify_result *res, dk_err *e)
{
    size_t off;

    if (dk_msg_parse_mem(&v->msg, msg, len, &off, e) < 0) {
        memset(res, 0, sizeof *res);
        res->nsig = 1;
        setres(&res->sig[0], DK_RES_PERMERROR, "%s", e != NULL ? e->msg : "bad message");
        return 0;
    }
    return verify_common(v, res, msg + off, len - off, e);
}

bool dk_verify_passed(const dk_verify_result *res)
{
    for (size_t k = 0; k < res->nsig; k++) {
        if (res->sig[k].result == DK_RES_PASS)
            return true;
    }
    return false;
}

const char *dk_result_name(enum dk_result r)
{
    static const char *const names[] = {"none",   "pass",      "fail",     "neutral",
                                        "policy", "temperror", "permerror"};

    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "permerror";
}

/* Append to out[*o..size); false when it does not fit. */
static bool __attribute__((format(printf, 4, 5)))
put(char *out, size_t size, size_t *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out + *o, size - *o, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *o)
        return false;
    *o += (size_t)n;
    return true;
}

int dk_auth_results(const dk_verify_result *res, const char *authserv, char *out, size_t size)
{
    size_t o = 0;

    if (!put(out, size, &o, "%s", authserv))
        return -1;
    if (res->nsig == 0)
        return put(out, size, &o, "; dkim=none") ? 0 : -1;
    for (size_t k = 0; k < res->nsig; k++) {
        const dk_sig_result *r = &res->sig[k];
        const struct {
            const char *tag, *val;
        } props[] = {{"d", r->d}, {"i", r->i}, {"s", r->s}, {"a", r->a}, {"b", r->b}};

        if (!put(out, size, &o, ";\r\n\tdkim=%s (%s)", dk_result_name(r->result), r->reason))
            return -1;
        for (size_t j = 0; j < sizeof props / sizeof props[0]; j++)
            if (props[j].val[0] != '\0' &&
                !put(out, size, &o, " header.%s=%s", props[j].tag, props[j].val))
                return -1;
    }
    return 0;
}
