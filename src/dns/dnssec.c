/*
 * dnssec.c - is an answer secure, insecure or bogus?  A top-down walk
 * from a trust anchor with ldns: DNSKEY sets checked against DS sets,
 * DS sets and denials checked against the parent's keys, the final RRset
 * or its denial against the zone's keys.
 */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "internal.h"
#include "util/mem.h"

typedef struct vctx {
    ldns_resolver *res;
    ldns_rr_list *keys; /* trusted DNSKEYs of the current zone */
    bool optout;        /* an NSEC3 opt-out span covered a name on the way */
    char *why;
    size_t whysize;
} vctx;

const char *dk_dns_sec_name(enum dk_dns_sec s)
{
    switch (s) {
    case DK_DNS_SEC_SECURE:
        return "secure";
    case DK_DNS_SEC_INSECURE:
        return "insecure";
    case DK_DNS_SEC_BOGUS:
        return "bogus";
    case DK_DNS_SEC_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *dk_dns_sec_explain(enum dk_dns_sec s)
{
    switch (s) {
    case DK_DNS_SEC_SECURE:
        return "the records are signed with DNSSEC and the signatures check out up to the root: "
               "nobody can forge them on the way";
    case DK_DNS_SEC_INSECURE:
        return "the zone is not signed with DNSSEC: the records work, but a resolver cannot "
               "tell a forged answer from a real one (this says nothing about your DKIM key)";
    case DK_DNS_SEC_BOGUS:
        return "the zone is signed but a signature is missing, expired or wrong: validating "
               "resolvers will refuse these records, so mail checks against them fail";
    case DK_DNS_SEC_UNKNOWN:
        break;
    }
    return "the DNSSEC status could not be determined (no answer or a server failure)";
}

static enum dk_dns_sec say(vctx *v, enum dk_dns_sec s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum dk_dns_sec say(vctx *v, enum dk_dns_sec s, const char *fmt, ...)
{
    va_list ap;

    if (v->why != NULL && v->whysize > 0) {
        va_start(ap, fmt);
        vsnprintf(v->why, v->whysize, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Anchor file: DS or DNSKEY lines of one zone; comments and blanks skipped. */
static ldns_rr_list *read_anchors(const char *file, dk_err *e)
{
    FILE *f = fopen(file, "r");
    ldns_rr_list *l;
    char line[8192];
    unsigned lineno = 0;

    if (f == NULL) {
        dk_err_errno(e, errno, "reading the DNSSEC trust anchor %s", file);
        return NULL;
    }
    l = ldns_rr_list_new();
    while (l != NULL && fgets(line, sizeof line, f) != NULL) {
        ldns_rr *rr = NULL;
        char *p = line;

        lineno++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ';' || *p == '\n' || *p == '\0')
            continue;
        if (ldns_rr_new_frm_str(&rr, p, 0, NULL, NULL) != LDNS_STATUS_OK || rr == NULL ||
            (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS &&
             ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY) ||
            (ldns_rr_list_rr_count(l) > 0 &&
             ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(ldns_rr_list_rr(l, 0))) != 0)) {
            ldns_rr_free(rr);
            dk_err_setloc(e, DK_EINVAL, file, lineno, 0,
                          "expected a DS or DNSKEY record of the same zone as the lines before");
            ldns_rr_list_deep_free(l);
            fclose(f);
            return NULL;
        }
        ldns_rr_list_push_rr(l, rr);
    }
    fclose(f);
    if (l == NULL || ldns_rr_list_rr_count(l) == 0) {
        ldns_rr_list_deep_free(l);
        dk_err_setloc(e, DK_EINVAL, file, 0, 0, "no DS or DNSKEY record in the trust anchor file");
        return NULL;
    }
    return l;
}

static ldns_resolver *make_resolver(const dk_resolver *r, dk_err *e)
{
    ldns_resolver *res = ldns_resolver_new();
    struct timeval tv;
    uint16_t port = 53;

    if (res == NULL) {
        dk_err_set(e, DK_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < r->nserver; i++) {
        ldns_rdf *a = ldns_sockaddr_storage2rdf(&r->server[i], &port);

        if (a != NULL) {
            ldns_resolver_push_nameserver(res, a);
            ldns_rdf_deep_free(a);
        }
    }
    ldns_resolver_set_port(res, port);
    ldns_resolver_set_recursive(res, true);
    ldns_resolver_set_dnssec(res, true);
    ldns_resolver_set_dnssec_cd(res, true);
    ldns_resolver_set_edns_udp_size(res, DNS_EDNS_UDP);
    ldns_resolver_set_fallback(res, true);
    ldns_resolver_set_retry(res, 2);
    ldns_resolver_set_retrans(res, 1);
    tv.tv_sec = r->timeout_ms / 1000;
    tv.tv_usec = (suseconds_t)(r->timeout_ms % 1000) * 1000;
    ldns_resolver_set_timeout(res, tv);
    return res;
}

static char *rdf_text(const ldns_rdf *d)
{
    char *s = ldns_rdf2str(d);
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        s[n - 1] = '\0';
    return s;
}

/* Is the RRset (name, type) in section sec of pkt signed by keys? */
static bool rrset_signed(const ldns_pkt *pkt, const ldns_rdf *name, ldns_rr_type type,
                         ldns_pkt_section sec, ldns_rr_list *keys)
{
    ldns_rr_list *set = ldns_pkt_rr_list_by_name_and_type(pkt, name, type, sec);
    ldns_rr_list *sigs = ldns_dnssec_pkt_get_rrsigs_for_name_and_type(pkt, name, type);
    bool ok = false;

    if (set != NULL && sigs != NULL && ldns_rr_list_rr_count(set) > 0 &&
        ldns_rr_list_rr_count(sigs) > 0)
        ok = ldns_verify(set, sigs, keys, NULL) == LDNS_STATUS_OK;
    ldns_rr_list_deep_free(set);
    ldns_rr_list_deep_free(sigs);
    return ok;
}

/* The hashed form of name under the zone of an NSEC3 record. */
static ldns_rdf *nsec3_hashed(const ldns_rr *n3, const ldns_rdf *name)
{
    ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(n3, name);
    ldns_rdf *zone = ldns_dname_left_chop(ldns_rr_owner(n3));

    if (h == NULL || zone == NULL || ldns_dname_cat(h, zone) != LDNS_STATUS_OK) {
        ldns_rdf_deep_free(h);
        h = NULL;
    }
    ldns_rdf_deep_free(zone);
    return h;
}

/* NODATA with NSEC3 (RFC 5155 8.5, 8.6): an NSEC3 matching name whose
 * bitmap lacks type and CNAME; for DS, an opt-out NSEC3 covering name
 * will do (an unsigned delegation may hide there).  (Done here: ldns
 * 1.8.3 leaks in these cases of ldns_dnssec_verify_denial_nsec3.) */
static bool nsec3_nodata(vctx *v, const ldns_rr_list *nsec3, const ldns_rdf *name,
                         ldns_rr_type type, bool *cut)
{
    bool ok = false;

    for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3) && !ok; i++) {
        ldns_rr *n = ldns_rr_list_rr(nsec3, i);
        ldns_rdf *h = nsec3_hashed(n, name);
        const ldns_rdf *bm = ldns_nsec3_bitmap(n);

        if (h == NULL)
            continue;
        if (ldns_dname_compare(h, ldns_rr_owner(n)) == 0) {
            /* no bitmap: an empty non-terminal, no types at all */
            ok = bm == NULL || (!ldns_nsec_bitmap_covers_type(bm, type) &&
                                !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_CNAME));
            if (ok && bm != NULL && ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
                !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA))
                *cut = true;
        } else if (type == LDNS_RR_TYPE_DS && ldns_nsec3_optout(n) && ldns_nsec_covers_name(n, h)) {
            ok = true;
            v->optout = true;
        }
        ldns_rdf_deep_free(h);
    }
    return ok;
}

/* Is the absence of (name, type) proven by signed NSEC or NSEC3 records in
 * pkt's authority section?  *cut: name is a delegation without DS. */
static bool denial_proven(vctx *v, const ldns_pkt *pkt, const ldns_rdf *name, ldns_rr_type type,
                          bool *cut)
{
    ldns_rr_list *nsec = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
    ldns_rr_list *nsec3 = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
    ldns_rr_list *sigs = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_AUTHORITY);
    ldns_rr_list *use = nsec != NULL ? nsec : nsec3;
    ldns_rr *q = NULL;
    bool ok = false;

    *cut = false;
    if (use == NULL || sigs == NULL)
        goto out;
    /* every NSEC(3) record given must carry a valid signature of the zone */
    for (size_t i = 0; i < ldns_rr_list_rr_count(use); i++) {
        const ldns_rr *n = ldns_rr_list_rr(use, i);

        if (!rrset_signed(pkt, ldns_rr_owner(n), ldns_rr_get_type(n), LDNS_SECTION_AUTHORITY,
                          v->keys))
            goto out;
    }
    q = ldns_rr_new();
    if (q == NULL)
        goto out;
    ldns_rr_set_owner(q, ldns_rdf_clone(name));
    ldns_rr_set_type(q, type);
    ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
    if (use == nsec) {
        ok = ldns_dnssec_verify_denial(q, nsec, sigs) == LDNS_STATUS_OK;
        for (size_t i = 0; ok && i < ldns_rr_list_rr_count(nsec); i++) {
            const ldns_rr *n = ldns_rr_list_rr(nsec, i);
            const ldns_rdf *bm = ldns_rr_rdf(n, 1);

            if (ldns_dname_compare(ldns_rr_owner(n), name) == 0 && bm != NULL &&
                ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS) &&
                !ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA))
                *cut = true;
        }
    } else if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR) {
        ok = nsec3_nodata(v, nsec3, name, type, cut);
    } else {
        ok = ldns_dnssec_verify_denial_nsec3(q, nsec3, sigs, ldns_pkt_get_rcode(pkt), type,
                                             ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) == 0) ==
             LDNS_STATUS_OK;
    }
out:
    ldns_rr_free(q);
    ldns_rr_list_deep_free(nsec);
    ldns_rr_list_deep_free(nsec3);
    ldns_rr_list_deep_free(sigs);
    return ok;
}

static ldns_pkt *ask(vctx *v, const ldns_rdf *name, ldns_rr_type type)
{
    ldns_pkt *p = ldns_resolver_query(v->res, name, type, LDNS_RR_CLASS_IN, LDNS_RD);

    if (p != NULL && ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
        ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN) {
        ldns_pkt_free(p);
        return NULL;
    }
    return p;
}

/* Keys of `zone` trusted through `by` (DS or DNSKEY records), or NULL. */
static ldns_rr_list *zone_keys(vctx *v, const ldns_rdf *zone, const ldns_rr_list *by)
{
    return ldns_validate_domain_dnskey(v->res, zone, by);
}

static enum dk_dns_sec walk(vctx *v, const ldns_rdf *anchor_zone, const ldns_rr_list *anchors,
                            const ldns_rdf *qname, ldns_rr_type qtype)
{
    unsigned az = ldns_dname_label_count(anchor_zone), nq = ldns_dname_label_count(qname);
    ldns_pkt *p;
    char *txt;
    enum dk_dns_sec s;

    v->keys = zone_keys(v, anchor_zone, anchors);
    if (v->keys == NULL) {
        p = ask(v, anchor_zone, LDNS_RR_TYPE_DNSKEY);
        txt = rdf_text(anchor_zone);
        if (p == NULL)
            s = say(v, DK_DNS_SEC_UNKNOWN, "no answer for the DNSKEY records of %s", txt);
        else
            s = say(v, DK_DNS_SEC_BOGUS,
                    "the DNSKEY records of %s do not match the trust anchor or are not signed "
                    "by it",
                    txt);
        free(txt);
        ldns_pkt_free(p);
        return s;
    }
    /* down one label at a time: a DS (zone cut, signed) or a proof of none */
    for (unsigned k = az + 1; k <= nq; k++) {
        ldns_rdf *child = ldns_rdf_clone(qname);
        ldns_rr_list *ds;
        bool cut = false, nx;

        for (unsigned c = k; c < nq && child != NULL; c++) {
            ldns_rdf *up = ldns_dname_left_chop(child);

            ldns_rdf_deep_free(child);
            child = up;
        }
        if (child == NULL)
            return say(v, DK_DNS_SEC_UNKNOWN, "out of memory");
        txt = rdf_text(child);
        p = ask(v, child, LDNS_RR_TYPE_DS);
        if (p == NULL) {
            s = say(v, DK_DNS_SEC_UNKNOWN, "no answer (or a server failure) for the DS of %s", txt);
            goto stop;
        }
        ds = ldns_pkt_rr_list_by_name_and_type(p, child, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
        if (ds != NULL && ldns_rr_list_rr_count(ds) > 0) {
            ldns_rr_list *keys;

            if (!rrset_signed(p, child, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER, v->keys)) {
                ldns_rr_list_deep_free(ds);
                s = say(v, DK_DNS_SEC_BOGUS,
                        "the DS record of %s is not validly signed by its parent zone", txt);
                goto stop;
            }
            keys = zone_keys(v, child, ds);
            ldns_rr_list_deep_free(ds);
            if (keys == NULL) {
                s = say(v, DK_DNS_SEC_BOGUS,
                        "the DNSKEY records of %s do not match its DS record in the parent "
                        "zone, or are not signed",
                        txt);
                goto stop;
            }
            ldns_rr_list_deep_free(v->keys);
            v->keys = keys;
        } else {
            ldns_rr_list_deep_free(ds);
            nx = ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN;
            if (!denial_proven(v, p, child, LDNS_RR_TYPE_DS, &cut)) {
                s = say(v, DK_DNS_SEC_BOGUS,
                        "the zone above %s is signed but does not prove that %s has no DS "
                        "record",
                        txt, txt);
                goto stop;
            }
            if (cut) {
                s = say(v, DK_DNS_SEC_INSECURE,
                        "%s is delegated without a DS record: that zone is not signed", txt);
                goto stop;
            }
            if (nx) { /* nothing below exists either: check the final denial */
                ldns_pkt_free(p);
                free(txt);
                ldns_rdf_deep_free(child);
                break;
            }
        }
        ldns_pkt_free(p);
        free(txt);
        ldns_rdf_deep_free(child);
        continue;
    stop:
        ldns_pkt_free(p);
        free(txt);
        ldns_rdf_deep_free(child);
        return s;
    }

    /* the answer itself */
    txt = rdf_text(qname);
    p = ask(v, qname, qtype);
    if (p == NULL) {
        s = say(v, DK_DNS_SEC_UNKNOWN, "no answer (or a server failure) for %s", txt);
    } else {
        ldns_rr_list *set = ldns_pkt_rr_list_by_name_and_type(p, qname, qtype, LDNS_SECTION_ANSWER);
        ldns_rr_type t = qtype;
        bool cut;

        if (set == NULL || ldns_rr_list_rr_count(set) == 0) {
            ldns_rr_list_deep_free(set);
            t = LDNS_RR_TYPE_CNAME;
            set = ldns_pkt_rr_list_by_name_and_type(p, qname, t, LDNS_SECTION_ANSWER);
        }
        if (set != NULL && ldns_rr_list_rr_count(set) > 0) {
            if (rrset_signed(p, qname, t, LDNS_SECTION_ANSWER, v->keys))
                s = say(v, DK_DNS_SEC_SECURE, "the records of %s are signed and validate", txt);
            else if (v->optout)
                s = say(v, DK_DNS_SEC_INSECURE, "%s lies in an unsigned delegation (NSEC3 opt-out)",
                        txt);
            else
                s = say(v, DK_DNS_SEC_BOGUS,
                        "the records of %s lack a valid signature of their zone", txt);
        } else if (denial_proven(v, p, qname, qtype, &cut)) {
            s = say(v, DK_DNS_SEC_SECURE, "the absence of the records of %s is proven", txt);
        } else if (v->optout) {
            s = say(v, DK_DNS_SEC_INSECURE, "%s lies in an unsigned delegation (NSEC3 opt-out)",
                    txt);
        } else {
            s = say(v, DK_DNS_SEC_BOGUS,
                    "no records for %s and no signed proof that there are none", txt);
        }
        ldns_rr_list_deep_free(set);
    }
    ldns_pkt_free(p);
    free(txt);
    return s;
}

int dk_dns_dnssec_status(dk_resolver *r, const char *anchor_file, const char *name,
                         enum dk_dns_type type, enum dk_dns_sec *status, char *why, size_t whysize,
                         dk_err *e)
{
    vctx v;
    ldns_rr_list *anchors;
    ldns_rdf *qname, *azone;

    *status = DK_DNS_SEC_UNKNOWN;
    memset(&v, 0, sizeof v);
    v.why = why;
    v.whysize = whysize;
    if (why != NULL && whysize > 0)
        why[0] = '\0';
    if (!dk_dns_name_ok(name))
        return dk_err_set(e, DK_EINVAL,
                          "DNS name \"%.300s\" refused: expected labels of 1-63 letters, "
                          "digits, '-' or '_', 253 octets in all",
                          name != NULL ? name : "(null)");
    if (!r->real) {
        say(&v, DK_DNS_SEC_UNKNOWN, "a stub resolver cannot validate");
        return 0;
    }
    anchors = read_anchors(anchor_file != NULL ? anchor_file : DK_DNS_ROOT_ANCHOR, e);
    if (anchors == NULL)
        return -1;
    qname = ldns_dname_new_frm_str(name);
    azone = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(anchors, 0)));
    v.res = make_resolver(r, e);
    if (qname == NULL || azone == NULL || v.res == NULL) {
        ldns_rdf_deep_free(qname);
        ldns_rdf_deep_free(azone);
        ldns_rr_list_deep_free(anchors);
        if (v.res != NULL)
            ldns_resolver_deep_free(v.res);
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    }
    if (ldns_dname_compare(qname, azone) != 0 && !ldns_dname_is_subdomain(qname, azone)) {
        char *a = rdf_text(azone);

        *status = say(&v, DK_DNS_SEC_UNKNOWN, "%s is outside the trust anchor's zone %s", name,
                      a != NULL ? a : "?");
        free(a);
    } else {
        *status = walk(&v, azone, anchors, qname, (ldns_rr_type)type);
    }
    ldns_rr_list_deep_free(v.keys);
    ldns_resolver_deep_free(v.res);
    ldns_rdf_deep_free(qname);
    ldns_rdf_deep_free(azone);
    ldns_rr_list_deep_free(anchors);
    return 0;
}
