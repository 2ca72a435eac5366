/* parse.c - queries in wire format out, answers in wire format in (ldns). */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_CNAME_HOPS 16

void dk_dns_answer_free(dk_dns_answer *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nrr; i++)
        free(a->rr[i].data);
    free(a->rr);
    free(a->name);
    a->rr = NULL;
    a->nrr = 0;
    a->name = NULL;
}

int dns_answer_copy(dk_dns_answer *dst, const dk_dns_answer *src, dk_err *e)
{
    *dst = *src;
    dst->rr = NULL;
    dst->nrr = 0;
    dst->name = NULL;
    if (src->name != NULL && (dst->name = dk_strdup(src->name, e)) == NULL)
        return -1;
    if (src->nrr == 0)
        return 0;
    dst->rr = dk_calloc(src->nrr, sizeof *dst->rr, e);
    if (dst->rr == NULL)
        goto fail;
    for (size_t i = 0; i < src->nrr; i++) {
        dst->rr[i] = src->rr[i];
        dst->rr[i].data = malloc(src->rr[i].len + 1);
        if (dst->rr[i].data == NULL) {
            dk_err_set(e, DK_ENOMEM, "out of memory copying a DNS answer");
            goto fail;
        }
        memcpy(dst->rr[i].data, src->rr[i].data, src->rr[i].len + 1);
        dst->nrr = i + 1;
    }
    return 0;
fail:
    dk_dns_answer_free(dst);
    return -1;
}

size_t dns_build_query(unsigned char *buf, size_t size, uint16_t id, const char *name,
                       enum dk_dns_type type, bool edns)
{
    size_t o = 12, nlen = strlen(name);

    if (nlen > 0 && name[nlen - 1] == '.')
        nlen--;
    /* header, labels (nlen + 2), type, class, OPT (11) */
    if (size < 12 + nlen + 2 + 4 + 11)
        return 0;
    memset(buf, 0, 12);
    buf[0] = (unsigned char)(id >> 8);
    buf[1] = (unsigned char)id;
    buf[2] = 0x01;          /* RD */
    buf[5] = 1;             /* QDCOUNT */
    buf[11] = edns ? 1 : 0; /* ARCOUNT: OPT */
    for (size_t i = 0; i < nlen;) {
        size_t j = i;

        while (j < nlen && name[j] != '.')
            j++;
        buf[o++] = (unsigned char)(j - i);
        memcpy(buf + o, name + i, j - i);
        o += j - i;
        i = j + 1;
    }
    buf[o++] = 0;
    buf[o++] = (unsigned char)((unsigned)type >> 8);
    buf[o++] = (unsigned char)type;
    buf[o++] = 0;
    buf[o++] = 1; /* IN */
    if (!edns)
        return o;
    /* OPT: root owner, type 41, class = UDP size, TTL 0, RDLEN 0 */
    buf[o++] = 0;
    buf[o++] = 0;
    buf[o++] = 41;
    buf[o++] = (unsigned char)(DNS_EDNS_UDP >> 8);
    buf[o++] = (unsigned char)(DNS_EDNS_UDP & 0xff);
    memset(buf + o, 0, 6);
    o += 6;
    return o;
}

/* A name in wire form (ldns dname rdf) as lower-case text without the
 * trailing dot; bytes outside [a-z0-9_-] escaped as \DDD. */
static char *dname_text(const ldns_rdf *d, size_t *lenp, dk_err *e)
{
    const uint8_t *p = ldns_rdf_data(d);
    size_t n = ldns_rdf_size(d), i = 0, o = 0;
    char *out;

    if (ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME || n == 0) {
        dk_err_set(e, DK_EINVAL, "malformed name in a DNS answer");
        return NULL;
    }
    out = malloc(n * 4 + 2);
    if (out == NULL) {
        dk_err_set(e, DK_ENOMEM, "out of memory decoding a DNS answer");
        return NULL;
    }
    while (i < n && p[i] != 0) {
        size_t l = p[i++];

        if (l > 63 || i + l > n)
            break;
        if (o > 0)
            out[o++] = '.';
        for (size_t k = 0; k < l; k++, i++) {
            unsigned char c = p[i];

            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                out[o++] = (char)c;
            } else {
                snprintf(out + o, 5, "\\%03u", c);
                o += 4;
            }
        }
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    if (lenp != NULL)
        *lenp = o;
    return out;
}

/* Decode one record's data into rr. */
static int decode_rr(const ldns_rr *r, enum dk_dns_type type, dk_dns_rr *rr, dk_err *e)
{
    size_t nrd = ldns_rr_rd_count(r);

    memset(rr, 0, sizeof *rr);
    rr->ttl = ldns_rr_ttl(r);
    switch (type) {
    case DK_DNS_A:
    case DK_DNS_AAAA: {
        size_t want = type == DK_DNS_A ? 4 : 16;
        char txt[INET6_ADDRSTRLEN];

        if (nrd != 1 || ldns_rdf_size(ldns_rr_rdf(r, 0)) != want)
            return dk_err_set(e, DK_EINVAL, "malformed %s record in a DNS answer",
                              dk_dns_type_name(type));
        memcpy(rr->addr, ldns_rdf_data(ldns_rr_rdf(r, 0)), want);
        rr->addrlen = want;
        if (inet_ntop(want == 4 ? AF_INET : AF_INET6, rr->addr, txt, sizeof txt) == NULL)
            return dk_err_set(e, DK_EINVAL, "malformed address in a DNS answer");
        rr->len = strlen(txt);
        rr->data = dk_strdup(txt, e);
        return rr->data != NULL ? 0 : -1;
    }
    case DK_DNS_NS:
    case DK_DNS_PTR:
    case DK_DNS_CNAME:
        if (nrd != 1)
            return dk_err_set(e, DK_EINVAL, "malformed %s record in a DNS answer",
                              dk_dns_type_name(type));
        rr->data = dname_text(ldns_rr_rdf(r, 0), &rr->len, e);
        return rr->data != NULL ? 0 : -1;
    case DK_DNS_MX:
        if (nrd != 2 || ldns_rdf_size(ldns_rr_rdf(r, 0)) != 2)
            return dk_err_set(e, DK_EINVAL, "malformed MX record in a DNS answer");
        rr->pref = ldns_rdf2native_int16(ldns_rr_rdf(r, 0));
        rr->data = dname_text(ldns_rr_rdf(r, 1), &rr->len, e);
        return rr->data != NULL ? 0 : -1;
    case DK_DNS_TXT: {
        dk_buf b;

        dk_buf_init(&b, 65536);
        for (size_t i = 0; i < nrd; i++) {
            const ldns_rdf *f = ldns_rr_rdf(r, i);
            const uint8_t *d = ldns_rdf_data(f);
            size_t sz = ldns_rdf_size(f);

            /* a character-string: one length octet, then that many bytes */
            if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || sz < 1 || (size_t)d[0] + 1 != sz) {
                dk_buf_free(&b);
                return dk_err_set(e, DK_EINVAL, "malformed TXT record in a DNS answer");
            }
            if (dk_buf_append(&b, d + 1, d[0], e) < 0) {
                dk_buf_free(&b);
                return -1;
            }
        }
        if (dk_buf_reserve(&b, 1, e) < 0) {
            dk_buf_free(&b);
            return -1;
        }
        rr->data = dk_buf_steal(&b, &rr->len);
        return 0;
    }
    case DK_DNS_SOA: {
        dk_buf b;

        dk_buf_init(&b, 4096);
        for (size_t i = 0; i < nrd; i++) {
            char *s = ldns_rdf2str(ldns_rr_rdf(r, i));

            if (s == NULL || (i > 0 && dk_buf_putc(&b, ' ', e) < 0) || dk_buf_puts(&b, s, e) < 0) {
                free(s);
                dk_buf_free(&b);
                return dk_err_set(e, DK_ENOMEM, "out of memory decoding an SOA record");
            }
            free(s);
        }
        if (dk_buf_reserve(&b, 1, e) < 0) {
            dk_buf_free(&b);
            return -1;
        }
        rr->data = dk_buf_steal(&b, &rr->len);
        return 0;
    }
    }
    return dk_err_set(e, DK_EINTERNAL, "record type %d cannot be decoded", (int)type);
}

/* TTL for a negative answer: min(SOA TTL, SOA minimum) from the authority
 * section (RFC 2308); 0 when there is none. */
static bool negative_ttl(const ldns_pkt *p, uint32_t *ttl)
{
    const ldns_rr_list *auth = ldns_pkt_authority(p);

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *r = ldns_rr_list_rr(auth, i);

        if (ldns_rr_get_type(r) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(r) == 7) {
            uint32_t t = ldns_rr_ttl(r);
            uint32_t m = ldns_rdf2native_int32(ldns_rr_rdf(r, 6));

            *ttl = t < m ? t : m;
            return true;
        }
    }
    *ttl = 0;
    return false;
}

static bool has_ns(const ldns_pkt *p)
{
    const ldns_rr_list *auth = ldns_pkt_authority(p);

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NS)
            return true;
    }
    return false;
}

int dk_dns_parse_response(const unsigned char *wire, size_t len, const char *name,
                          enum dk_dns_type type, dk_dns_answer *out, dk_err *e)
{
    ldns_pkt *p = NULL;
    ldns_rdf *qname = NULL;
    const ldns_rdf *cur;
    const ldns_rr_list *ans;
    const ldns_rr *q;
    ldns_pkt_rcode rc;
    uint32_t ttl = UINT32_MAX;
    size_t hops = 0, nmatch = 0, nans;
    bool found = false;
    int ret = -1;
    dk_dns_answer a;

    memset(&a, 0, sizeof a);
    a.type = type;
    if (!dk_dns_name_ok(name))
        return dk_err_set(e, DK_EINVAL, "query name refused: not made of LDH labels");
    if (wire == NULL || len < 12 || len > 65535)
        return dk_err_set(e, DK_EINVAL, "DNS answer of %zu bytes is malformed", len);
    if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK || p == NULL)
        return dk_err_set(e, DK_EINVAL, "DNS answer is malformed");
    qname = ldns_dname_new_frm_str(name);
    if (qname == NULL) {
        dk_err_set(e, DK_ENOMEM, "out of memory");
        goto out;
    }
    if (!ldns_pkt_qr(p) || ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1) {
        dk_err_set(e, DK_EINVAL, "DNS answer is not a response to one question");
        goto out;
    }
    q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    if (ldns_dname_compare(ldns_rr_owner(q), qname) != 0 ||
        (unsigned)ldns_rr_get_type(q) != (unsigned)type ||
        ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
        dk_err_set(e, DK_EINVAL, "DNS answer is for another question");
        goto out;
    }
    if (ldns_pkt_tc(p)) {
        ret = 1;
        goto out;
    }
    rc = ldns_pkt_get_rcode(p);
    a.authoritative = ldns_pkt_aa(p);
    if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
        a.rcode = DK_DNS_SERVFAIL;
        a.why = rc == LDNS_RCODE_REFUSED ? "the server refused the query" : "server failure";
        ret = 0;
        goto done;
    }

    /* Follow the CNAME chain from the question name through the answer. */
    ans = ldns_pkt_answer(p);
    nans = ldns_rr_list_rr_count(ans);
    cur = qname;
    for (;;) {
        const ldns_rdf *next = NULL;

        for (size_t i = 0; i < nans; i++) {
            const ldns_rr *r = ldns_rr_list_rr(ans, i);

            if (ldns_rr_get_class(r) != LDNS_RR_CLASS_IN ||
                ldns_dname_compare(ldns_rr_owner(r), cur) != 0)
                continue;
            if ((unsigned)ldns_rr_get_type(r) == (unsigned)type) {
                nmatch++;
            } else if (ldns_rr_get_type(r) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(r) == 1 &&
                       next == NULL) {
                next = ldns_rr_rdf(r, 0);
                if (ldns_rr_ttl(r) < ttl)
                    ttl = ldns_rr_ttl(r);
            }
        }
        if (nmatch > 0 || next == NULL)
            break;
        if (++hops > MAX_CNAME_HOPS) {
            a.rcode = DK_DNS_SERVFAIL;
            a.why = "CNAME chain too long or looping";
            ret = 0;
            goto done;
        }
        cur = next;
    }
    a.name = dname_text(cur, NULL, e);
    if (a.name == NULL)
        goto out;
    if (nmatch > 0) {
        a.rr = dk_calloc(nmatch, sizeof *a.rr, e);
        if (a.rr == NULL)
            goto out;
        for (size_t i = 0; i < nans; i++) {
            const ldns_rr *r = ldns_rr_list_rr(ans, i);

            if (ldns_rr_get_class(r) != LDNS_RR_CLASS_IN ||
                (unsigned)ldns_rr_get_type(r) != (unsigned)type ||
                ldns_dname_compare(ldns_rr_owner(r), cur) != 0)
                continue;
            if (decode_rr(r, type, &a.rr[a.nrr], e) < 0)
                goto out;
            if (a.rr[a.nrr].ttl < ttl)
                ttl = a.rr[a.nrr].ttl;
            a.nrr++;
        }
        a.rcode = DK_DNS_OK;
        a.ttl = ttl;
        found = true;
    }
    if (!found) {
        uint32_t nttl;
        bool soa = negative_ttl(p, &nttl);

        a.rcode = rc == LDNS_RCODE_NXDOMAIN ? DK_DNS_NXDOMAIN : DK_DNS_NODATA;
        a.ttl = nttl < ttl ? nttl : ttl;
        if (hops > 0 && rc == LDNS_RCODE_NOERROR && !soa) {
            /* the chain leaves the answer: ask for the target */
            ret = 2;
            *out = a;
            memset(&a, 0, sizeof a);
            goto out;
        }
        if (rc == LDNS_RCODE_NOERROR && !soa && !ldns_pkt_aa(p) && has_ns(p)) {
            /* a referral: this server does not hold the name */
            a.rcode = DK_DNS_SERVFAIL;
            a.why = "referral: the server is not authoritative for the name";
            a.ttl = 0;
        }
    }
    ret = 0;
done:
    *out = a;
    memset(&a, 0, sizeof a);
out:
    dk_dns_answer_free(&a);
    ldns_rdf_deep_free(qname);
    ldns_pkt_free(p);
    return ret;
}
