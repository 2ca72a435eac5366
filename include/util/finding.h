/*
 * finding.h - findings: what validation, planning and checking found.
 *
 * A finding has a severity, an optional location (file:line:col or a field
 * such as "domains[0].selectors[1].bits"), what is wrong and a one-line fix.
 * The core collects findings; only the front ends show them.
 */
#ifndef DK_UTIL_FINDING_H
#define DK_UTIL_FINDING_H

#include <stddef.h>

#include "util/err.h"

enum dk_severity { DK_SEV_OK, DK_SEV_INFO, DK_SEV_WARN, DK_SEV_CRIT };

typedef struct dk_finding {
    enum dk_severity sev;
    char *where; /* "file:line:col", a field path, or a DNS name; may be "" */
    char *what;  /* what is wrong (or what is fine, for DK_SEV_OK) */
    char *fix;   /* one line: what to do; may be "" */
} dk_finding;

typedef struct dk_findings {
    dk_finding *v;
    size_t n, cap;
} dk_findings;

void dk_findings_init(dk_findings *f);
void dk_findings_free(dk_findings *f);
/* Append; fix may be NULL.  Returns -1 on allocation failure. */
int dk_findings_add(dk_findings *f, enum dk_severity sev, const char *where, const char *fix,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Highest severity present (DK_SEV_OK when empty). */
enum dk_severity dk_findings_worst(const dk_findings *f);
size_t dk_findings_count(const dk_findings *f, enum dk_severity sev);
const char *dk_severity_name(enum dk_severity sev);

#endif
