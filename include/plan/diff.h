/*
 * diff.h - unified diffs of two texts, line by line (LCS after trimming the
 * common head and tail), three lines of context, like `diff -u`.
 */
#ifndef DK_PLAN_DIFF_H
#define DK_PLAN_DIFF_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Append "--- a_name\n+++ b_name\n@@ ... @@\n..." to out; nothing when the
 * texts are equal.  a may be NULL (a new file: "--- /dev/null"). */
int dk_diff_unified(const char *a_name, const char *a, size_t alen, const char *b_name,
                    const char *b, size_t blen, dk_buf *out, dk_err *e);

#endif
