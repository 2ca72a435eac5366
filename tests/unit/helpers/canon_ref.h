/* canon_ref.h - a plain reference of relaxed header canonicalization
 * (RFC 6376 3.4.2), for differential tests of the fast one. */
#ifndef DK_TEST_CANON_REF_H
#define DK_TEST_CANON_REF_H

#include <stddef.h>

/* out must hold len + 3 bytes; returns the length written (with CRLF). */
size_t canon_ref_relaxed(const char *f, size_t len, char *out);

#endif
