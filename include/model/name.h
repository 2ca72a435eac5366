/*
 * name.h - domain and selector names.
 *
 * Every name is checked here before it can reach a table, a path or a DNS
 * query: letter-digit-hyphen labels of 1..63 octets, 253 octets in all, no
 * leading or trailing hyphen.  Internationalised names are accepted and
 * converted to lower-case A-labels (libidn2).  Whitespace, ':', '#', '%',
 * '/', "..", NUL and control characters are refused with a reason.
 */
#ifndef DK_MODEL_NAME_H
#define DK_MODEL_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Validate a domain, write its lower-case A-label form (no trailing dot)
 * into out (at least DK_DOMAIN_MAX bytes).  `field` names the input in errors. */
int dk_name_domain(const char *in, const char *field, char *out, size_t size, dk_err *e);

/* Validate a selector: one or more LDH labels (selectors may contain dots,
 * RFC 6376 3.1), 63 octets in all (DK_SELECTOR_MAX); internationalised
 * labels become A-labels; lower-cased into out. */
int dk_name_selector(const char *in, const char *field, char *out, size_t size, dk_err *e);

/* Is s already a valid lower-case LDH domain (as produced above)? */
bool dk_name_is_ldh_domain(const char *s);

#endif
