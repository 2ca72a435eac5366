/*
 * maincf.h - Postfix main.cf editing with `postconf -e` semantics, and a
 * master.cf reader for the chroot column.
 *
 * The editor computes new text; it never touches the disk (src/apply writes
 * what src/plan computed).  Rules, checked against Postfix 3.7's postconf:
 *   - a logical line starts with a non-blank character; a line that starts
 *     with whitespace continues it; comment lines (first non-blank '#') and
 *     blank lines inside a continuation are skipped and stay where they are;
 *   - the last definition of a key is the effective one;
 *   - every line the editor does not own stays byte-identical;
 *   - setting a key replaces its effective definition in place (with its
 *     continuation lines) as "key = value"; new keys are appended at the end;
 *   - unlike `postconf -e`, which rewrites every definition of the key and so
 *     leaves duplicates behind, earlier definitions of a key that is set are
 *     commented out the way `postconf -#` does it ('#' before each of their
 *     lines), so exactly one effective definition remains;
 *   - setting a key to the value it already has (whitespace-insensitive) and
 *     without earlier duplicates changes nothing: a second run is a no-op;
 *   - values containing a newline, carriage return or other control
 *     character are refused.
 */
#ifndef DK_PLAN_MAINCF_H
#define DK_PLAN_MAINCF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"

enum dk_cf_kind {
    DK_CF_DEF,     /* "key = value" starting a logical line */
    DK_CF_CONT,    /* continuation of the preceding logical line */
    DK_CF_COMMENT, /* first non-blank character is '#' */
    DK_CF_BLANK,   /* only whitespace */
    DK_CF_BAD,     /* a logical line without "key =" (Postfix rejects it) */
    DK_CF_ORPHAN   /* whitespace-led line before any logical line */
};

typedef struct dk_cf_line {
    size_t off, len; /* bytes in the text, including the newline if any */
    enum dk_cf_kind kind;
    size_t def; /* index into defs for DK_CF_DEF and DK_CF_CONT; else (size_t)-1 */
} dk_cf_line;

typedef struct dk_cf_def {
    char *key;
    char *value; /* joined continuation lines, whitespace runs collapsed, trimmed */
    size_t line; /* index of the DK_CF_DEF line */
} dk_cf_def;

typedef struct dk_cf_edit {
    char *key;
    char *value;
} dk_cf_edit;

typedef struct dk_maincf {
    char *name; /* shown in findings ("/etc/postfix/main.cf") */
    char *text;
    size_t len;
    dk_cf_line *lines;
    size_t nlines;
    dk_cf_def *defs;
    size_t ndefs;
    dk_cf_edit *edits;
    size_t nedits;
} dk_maincf;

/* Parse main.cf text (copied).  Duplicate definitions, lines without '='
 * and stray continuation lines are reported in f (may be NULL). */
int dk_maincf_parse(dk_maincf *cf, const char *name, const char *text, size_t len, dk_findings *f,
                    dk_err *e);
void dk_maincf_free(dk_maincf *cf);

/* Effective (last) value of key in the parsed text, or NULL. */
const char *dk_maincf_get(const dk_maincf *cf, const char *key);
/* Number of definitions of key in the parsed text. */
size_t dk_maincf_count(const dk_maincf *cf, const char *key);

/* Request "key = value".  Keys are [A-Za-z0-9_.-]+; the value is trimmed
 * and may not contain control characters other than tab.  Setting the same
 * key twice keeps the last request. */
int dk_maincf_set(dk_maincf *cf, const char *key, const char *value, dk_err *e);

/* The text after the requested edits. */
int dk_maincf_render(const dk_maincf *cf, dk_buf *out, dk_err *e);

/* Collapse whitespace runs to one space and trim: the comparison form. */
char *dk_cf_normalize(const char *s, dk_err *e);

/*
 * Milter lists (smtpd_milters, non_smtpd_milters): items are separated by
 * commas and whitespace; "{ name, attr=value ... }" groups are one item
 * whose name is the first word inside the braces.
 * dk_milters_has: is a milter with this name in the list?
 * dk_milters_add: the list with `milter` appended unless already present
 * (every existing item stays in its place); *added tells which.
 */
bool dk_milters_has(const char *list, const char *milter);
int dk_milters_add(const char *list, const char *milter, char **out, bool *added, dk_err *e);

/*
 * master.cf: how many services running `command` (e.g. "smtpd", "cleanup",
 * "pickup") are chrooted and how many are not.  The chroot column is y, n
 * or '-'; '-' means the built-in default, which is n since Postfix 3.0
 * (dash_is_chroot = false) and y before (true).
 */
typedef struct dk_chroot_count {
    unsigned yes, no;
    unsigned first_line; /* line of the first matching service, 0 if none */
} dk_chroot_count;

int dk_mastercf_chroot(const char *name, const char *text, size_t len, const char *command,
                       bool dash_is_chroot, dk_chroot_count *out, dk_findings *f, dk_err *e);

#endif
