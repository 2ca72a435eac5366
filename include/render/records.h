/*
 * records.h - the DNS records a model implies, as text.
 *
 * For each domain: a DKIM TXT record per selector at
 * <selector>._domainkey.<domain>, the SPF TXT record at the domain and the
 * DMARC TXT record at _dmarc.<domain>.  A record's value is one string; it
 * is split into DNS character-strings of at most 255 bytes only when it is
 * rendered (a resolver concatenates them with no separator, RFC 6376 3.6.2.2,
 * RFC 7208 3.3).  Splits prefer the byte after a space, so tags and terms stay
 * whole where they fit.
 *
 * Nothing here touches the system: public keys come from a callback (the
 * CLI passes dk_keygen_pubkey_cb from apply/keygen.h).
 */
#ifndef DK_RENDER_RECORDS_H
#define DK_RENDER_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"

#define DK_TXT_STRING_MAX 255
#define DK_RECORD_TTL     3600

enum dk_rec_kind { DK_REC_DKIM, DK_REC_SPF, DK_REC_DMARC };

enum dk_rec_format {
    DK_FMT_ZONE,    /* BIND zone-file lines, long records in parentheses */
    DK_FMT_PLAIN,   /* NAME <tab> TXT <tab> the whole value, for web DNS panels */
    DK_FMT_NSUPDATE /* "update add" lines and one "send" per domain */
};

typedef struct dk_record {
    enum dk_rec_kind kind;
    char name[DK_DOMAIN_MAX + DK_SELECTOR_MAX + 16]; /* owner name, no trailing dot */
    char domain[DK_DOMAIN_MAX];                      /* the model domain it belongs to */
    char *value;                                     /* the whole TXT value */
} dk_record;

typedef struct dk_records {
    dk_record *v;
    size_t n, cap;
} dk_records;

void dk_records_init(dk_records *rs);
void dk_records_free(dk_records *rs);

/*
 * Public key provider: append the p= text of selector s of domain d to p_b64.
 * Return 0, or -1 with e set; DK_ENOENT means "no key file yet" (the record
 * is skipped with a warning), any other error stops the rendering.
 */
typedef int (*dk_pubkey_fn)(void *ud, const dk_domain *d, const dk_selector *s, dk_buf *p_b64,
                            dk_err *e);

/* The DKIM record value: "v=DKIM1; k=rsa; p=<p_b64>" (p_b64 "" = revoked). */
int dk_record_dkim_value(enum dk_keyalg alg, const char *p_b64, dk_buf *out, dk_err *e);
/* The SPF value from the domain's policy: "v=spf1 [mx] [a] [ip4:..] [ip6:..]
 * [include:..] <q>all".  Terms with whitespace, quotes or control bytes are
 * refused with the field named. */
int dk_record_spf_value(const dk_domain *d, dk_buf *out, dk_err *e);
/* The DMARC value: "v=DMARC1; p=..; ..." with only the tags that differ from
 * the defaults (pct 100, adkim/aspf r, fo 0).  ',' ';' and spaces inside
 * report URIs are percent-encoded; a "!size" suffix is kept. */
int dk_record_dmarc_value(const dk_domain *d, dk_buf *out, dk_err *e);

/* Append the DKIM record of selector s of d with public key p_b64 ("" for a
 * revoked selector). */
int dk_records_add_dkim(dk_records *out, const dk_domain *d, const dk_selector *s,
                        const char *p_b64, dk_err *e);

/*
 * Records of the model (all domains, or only `domain` when not NULL; a named
 * domain absent from the model gives DK_ENOENT).  Per domain: DKIM records
 * of its active, pending and retired selectors (with the key from `fn`) and
 * of its revoked selectors (p= empty, no key needed), then SPF and DMARC
 * when published.  Selectors whose key is missing are reported in `notes`
 * (may be NULL) and skipped.
 */
int dk_records_build(const dk_model *m, const char *domain, dk_pubkey_fn fn, void *ud,
                     dk_records *out, dk_findings *notes, dk_err *e);

/* Split a value into character-strings of at most `max` bytes (1..255),
 * preferring to cut after a space.  lens receives each string's length;
 * returns the count, or -1 when more than nlens would be needed. */
long dk_txt_split(const char *value, size_t len, size_t max, size_t *lens, size_t nlens);

/* Append one character-string in zone-file syntax: quoted, '"' and '\' escaped
 * with a backslash, bytes outside printable ASCII as \DDD. */
int dk_txt_quote(const char *s, size_t len, dk_buf *out, dk_err *e);

/* Render records in a format; ttl 0 means DK_RECORD_TTL. */
int dk_records_render(const dk_records *rs, enum dk_rec_format fmt, unsigned ttl, dk_buf *out,
                      dk_err *e);

/* "zone", "plain", "nsupdate" -> format; -1 for anything else. */
int dk_rec_format_parse(const char *s, enum dk_rec_format *fmt);

#endif
