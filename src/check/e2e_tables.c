/* e2e_tables.c - OpenDKIM's SigningTable and host lists, read as OpenDKIM reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "check/e2e.h"

/* Glob with '*' only (OpenDKIM's refile patterns), case-insensitive. */
static bool glob_match(const char *p, size_t pl, const char *s, size_t sl)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

    while (si < sl) {
        if (pi < pl && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pl && (p[pi] | 0x20) == (s[si] | 0x20)) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pl && p[pi] == '*')
        pi++;
    return pi == pl;
}

/* Walk the lines of a table: first two words of each non-comment line. */
typedef bool (*line_fn)(void *ud, const char *w1, size_t l1, const char *w2, size_t l2);

static bool walk(const char *text, size_t len, line_fn fn, void *ud)
{
    size_t i = 0;

    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t a = i, b, c, d;

        while (a < end && (text[a] == ' ' || text[a] == '\t'))
            a++;
        if (a < end && text[a] != '#') {
            b = a;
            while (b < end && text[b] != ' ' && text[b] != '\t' && text[b] != '\r' &&
                   text[b] != '#')
                b++;
            c = b;
            while (c < end && (text[c] == ' ' || text[c] == '\t'))
                c++;
            d = c;
            while (d < end && text[d] != ' ' && text[d] != '\t' && text[d] != '\r' &&
                   text[d] != '#')
                d++;
            if (b > a && fn(ud, text + a, b - a, text + c, d - c))
                return true;
        }
        i = end + 1;
    }
    return false;
}

typedef struct st_ctx {
    bool refile;
    const char *want; /* address or domain being looked up */
    char *key;
    size_t ksize;
} st_ctx;

static bool st_line(void *ud, const char *w1, size_t l1, const char *w2, size_t l2)
{
    st_ctx *c = ud;
    bool m = c->refile ? glob_match(w1, l1, c->want, strlen(c->want))
                       : (l1 == strlen(c->want) && strncasecmp(w1, c->want, l1) == 0);

    if (m && c->key != NULL && c->ksize > 0)
        (void)snprintf(c->key, c->ksize, "%.*s", (int)l2, w2);
    return m;
}

bool dk_e2e_signingtable_match(const char *text, size_t len, bool refile, const char *addr,
                               char *key, size_t ksize)
{
    st_ctx c = {.refile = refile, .want = addr, .key = key, .ksize = ksize};
    const char *at = strrchr(addr, '@');

    if (key != NULL && ksize > 0)
        key[0] = '\0';
    if (walk(text, len, st_line, &c))
        return true;
    if (refile || at == NULL)
        return false;
    /* a plain table is also looked up by the domain and its parents */
    for (const char *d = at + 1; d != NULL && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
        c.want = d;
        if (walk(text, len, st_line, &c))
            return true;
    }
    return false;
}

typedef struct hl_ctx {
    const char *ip;
    const char *host;
    unsigned char a[16];
    int fam;     /* AF_INET, AF_INET6 or 0 */
    int verdict; /* 1 listed, -1 excluded, 0 not seen */
} hl_ctx;

static bool entry_match(hl_ctx *c, const char *w, size_t l)
{
    char buf[300];
    char *slash;
    unsigned char net[16];
    unsigned bits, max;

    if (l == 0 || l >= sizeof buf)
        return false;
    memcpy(buf, w, l);
    buf[l] = '\0';
    if (buf[0] == '[' && l > 2 && buf[l - 1] == ']') {
        memmove(buf, buf + 1, l - 2);
        buf[l - 2] = '\0';
    }
    slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    if (c->fam != 0 && inet_pton(c->fam, buf, net) == 1) {
        max = c->fam == AF_INET ? 32 : 128;
        bits = max;
        if (slash != NULL) {
            char *end;
            unsigned long b = strtoul(slash + 1, &end, 10);
            if (*end != '\0' || b > max)
                return false;
            bits = (unsigned)b;
        }
        for (unsigned i = 0; i < bits; i++) {
            unsigned char m = (unsigned char)(0x80u >> (i % 8));
            if ((net[i / 8] & m) != (c->a[i / 8] & m))
                return false;
        }
        return true;
    }
    if (slash == NULL && c->host != NULL && strcasecmp(buf, c->host) == 0)
        return true;
    if (slash == NULL && c->host != NULL && buf[0] == '.') {
        size_t hl = strlen(c->host), bl = strlen(buf);
        return hl > bl && strcasecmp(c->host + hl - bl, buf) == 0;
    }
    return false;
}

static bool hl_line(void *ud, const char *w1, size_t l1, const char *w2, size_t l2)
{
    hl_ctx *c = ud;

    (void)w2;
    (void)l2;
    if (l1 > 0 && w1[0] == '!') {
        if (entry_match(c, w1 + 1, l1 - 1))
            c->verdict = -1;
    } else if (c->verdict == 0 && entry_match(c, w1, l1)) {
        c->verdict = 1;
    }
    return false;
}

bool dk_e2e_hostlist_match(const char *text, size_t len, const char *ip, const char *hostname)
{
    hl_ctx c = {.ip = ip, .host = hostname};

    if (ip != NULL && inet_pton(AF_INET, ip, c.a) == 1)
        c.fam = AF_INET;
    else if (ip != NULL && inet_pton(AF_INET6, ip, c.a) == 1)
        c.fam = AF_INET6;
    (void)walk(text, len, hl_line, &c);
    return c.verdict == 1;
}
