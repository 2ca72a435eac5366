/* cache.c - answers kept for their TTL, keyed by lower-case name and type. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

#define CACHE_MAX_ENTRIES 100000
#define CACHE_SLOTS       16384

struct dns_cache_entry {
    struct dns_cache_entry *next;
    uint64_t expires_ms;
    enum dk_dns_type type;
    dk_dns_answer answer;
    char key[DNS_NAME_MAX];
};

static void key_of(const char *name, char *key)
{
    size_t n = strlen(name);

    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n >= DNS_NAME_MAX)
        n = DNS_NAME_MAX - 1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    key[n] = '\0';
}

static size_t hash_of(const char *key, enum dk_dns_type type, size_t nslot)
{
    uint64_t h = 1469598103934665603u ^ (uint64_t)type; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211u;
    }
    return (size_t)(h % nslot);
}

static void entry_free(struct dns_cache_entry *en)
{
    dk_dns_answer_free(&en->answer);
    free(en);
}

void dns_cache_init(dns_cache *c, unsigned max_ttl)
{
    memset(c, 0, sizeof *c);
    c->max_ttl = max_ttl;
}

void dns_cache_clear(dns_cache *c)
{
    for (size_t i = 0; i < c->nslot; i++) {
        struct dns_cache_entry *en = c->slot[i], *nx;

        for (; en != NULL; en = nx) {
            nx = en->next;
            entry_free(en);
        }
    }
    free(c->slot);
    c->slot = NULL;
    c->nslot = 0;
    c->count = 0;
}

int dns_cache_get(dns_cache *c, const char *name, enum dk_dns_type type, dk_dns_answer *out,
                  dk_err *e)
{
    char key[DNS_NAME_MAX];
    struct dns_cache_entry **pp;
    uint64_t now;

    if (c->max_ttl == 0 || c->nslot == 0)
        return 0;
    key_of(name, key);
    now = dns_now_ms();
    for (pp = &c->slot[hash_of(key, type, c->nslot)]; *pp != NULL;) {
        struct dns_cache_entry *en = *pp;

        if (en->expires_ms <= now) { /* expired: drop it on the way */
            *pp = en->next;
            entry_free(en);
            c->count--;
            continue;
        }
        if (en->type == type && strcmp(en->key, key) == 0) {
            if (dns_answer_copy(out, &en->answer, e) < 0)
                return -1;
            out->from_cache = true;
            return 1;
        }
        pp = &en->next;
    }
    return 0;
}

void dns_cache_put(dns_cache *c, const char *name, enum dk_dns_type type, const dk_dns_answer *a)
{
    struct dns_cache_entry *en, **pp;
    uint32_t ttl = a->ttl;
    size_t h;

    if (c->max_ttl == 0 || ttl == 0 ||
        (a->rcode != DK_DNS_OK && a->rcode != DK_DNS_NODATA && a->rcode != DK_DNS_NXDOMAIN))
        return;
    if (ttl > c->max_ttl)
        ttl = c->max_ttl;
    if (c->count >= CACHE_MAX_ENTRIES)
        dns_cache_clear(c); /* bounded: start again rather than grow */
    if (c->nslot == 0) {
        c->slot = calloc(CACHE_SLOTS, sizeof *c->slot);
        if (c->slot == NULL)
            return; /* a cache is an optimisation: no memory, no caching */
        c->nslot = CACHE_SLOTS;
    }
    en = calloc(1, sizeof *en);
    if (en == NULL)
        return;
    key_of(name, en->key);
    en->type = type;
    en->expires_ms = dns_now_ms() + (uint64_t)ttl * 1000u;
    if (dns_answer_copy(&en->answer, a, NULL) < 0) {
        free(en);
        return;
    }
    en->answer.from_cache = false;
    h = hash_of(en->key, type, c->nslot);
    /* replace an older entry for the same key */
    for (pp = &c->slot[h]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->type == type && strcmp((*pp)->key, en->key) == 0) {
            struct dns_cache_entry *old = *pp;

            en->next = old->next;
            *pp = en;
            entry_free(old);
            return;
        }
    }
    en->next = c->slot[h];
    c->slot[h] = en;
    c->count++;
}
