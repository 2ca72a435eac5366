/*
 * tags.h - the DKIM tag=value list (RFC 6376 3.2), base64 and name checks.
 *
 * The parser is strict: a duplicate tag, an empty tag name, a tag without
 * '=', a byte outside VALCHAR/FWS (NUL, 8-bit, bare CR or LF) or an over-long
 * value is an error with a reason.  Values are views into the input, never
 * copies, so the input must outlive the list.
 */
#ifndef DK_DKIM_TAGS_H
#define DK_DKIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define DK_TAGS_MAX       64   /* tags in one list */
#define DK_TAG_VALUE_MAX  8192 /* bytes in one value */
#define DK_TAGS_INPUT_MAX 65536

typedef struct dk_tag {
    const char *name;
    size_t nlen;
    const char *val; /* value without leading and trailing FWS */
    size_t vlen;
    size_t raw_start; /* offset just after '=' in the input */
    size_t raw_end;   /* offset of the ';' ending the tag, or the input length */
} dk_tag;

typedef struct dk_tags {
    dk_tag v[DK_TAGS_MAX];
    size_t n;
} dk_tags;

/* Parse s[0..len).  Returns 0, or -1 with a reason in why (size wlen). */
int dk_tags_parse(dk_tags *t, const char *s, size_t len, char *why, size_t wlen);

/* The tag called name (case-sensitive, as RFC 6376 says), or NULL. */
const dk_tag *dk_tags_get(const dk_tags *t, const char *name);

/* Is the value exactly str? */
bool dk_tag_is(const dk_tag *t, const char *str);

/* Decode base64 that may contain FWS (SP, TAB, CRLF).  Strict: only the
 * base64 alphabet, '=' padding at the end only, whole quanta.  Returns the
 * decoded length, or -1 (bad character, truncated, or over max). */
long dk_b64_decode(const char *s, size_t len, unsigned char *out, size_t max);

/* Encode n bytes; out must hold 4*((n+2)/3)+1.  Returns the length. */
size_t dk_b64_encode(const unsigned char *in, size_t n, char *out);

/* Is s[0..len) a domain name dkimctl will query: labels of letters, digits,
 * '-' and '_' (not starting or ending with '-'), 1..63 bytes each, at most
 * 253 in all, no trailing dot?  why gets the reason when not. */
bool dk_domain_ok(const char *s, size_t len, char *why, size_t wlen);

/* Case-insensitive ASCII comparison of two byte strings. */
/* Walk the colon-separated list s[0..len) (h=, t=, s=, q=...): each call
 * gives the next item from *pos, trimmed of folding white space (possibly
 * empty: "a::b" and a trailing ':' have empty items); false after the
 * last.  Start with *pos = 0. */
bool dk_colon_next(const char *s, size_t len, size_t *pos, const char **item, size_t *ilen);

/* Does the colon-separated list s[0..len) hold item?  nocase compares ASCII
 * case-insensitively. */
bool dk_colon_list_has(const char *s, size_t len, const char *item, bool nocase);

bool dk_eqi(const char *a, size_t alen, const char *b, size_t blen);

#endif
