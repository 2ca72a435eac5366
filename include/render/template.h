/*
 * template.h - a tiny template engine for the files dkimctl generates.
 *
 * Syntax (a small subset of Mustache, no escaping because the output is
 * configuration text, not HTML):
 *   {{name}}              the value of name (looked up in the current item,
 *                         then in the enclosing ones); unknown names are an
 *                         error, never an empty string
 *   {{#list}}...{{/list}} the inside once per item of list (zero times for an
 *                         empty or false list)
 *   {{^list}}...{{/list}} the inside once when list is empty or false
 *   {{! comment }}        nothing
 * A section tag alone on its line (only blanks around it) takes the whole
 * line with it, so templates can keep one tag per line.
 * Values may not contain control characters other than tab: a value can
 * never inject a line into a configuration file.
 */
#ifndef DK_RENDER_TEMPLATE_H
#define DK_RENDER_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct dk_tctx dk_tctx;

dk_tctx *dk_tctx_new(dk_err *e);
void dk_tctx_free(dk_tctx *c);
/* Set a value (copied); replaces an earlier value of the same name. */
int dk_tctx_set(dk_tctx *c, const char *name, const char *value, dk_err *e);
/* Append a new item to list `name` (created empty on first use) and return
 * it; the item belongs to c. */
dk_tctx *dk_tctx_add(dk_tctx *c, const char *name, dk_err *e);
/* A list with one empty item (on) or none (off): a condition. */
int dk_tctx_flag(dk_tctx *c, const char *name, bool on, dk_err *e);

/* Render template text; `name` (the template's file name) locates errors. */
int dk_template_render(const char *name, const char *text, size_t len, const dk_tctx *c,
                       dk_buf *out, dk_err *e);

/* Read template `file` (a plain file name, no '/') from directory dir. */
int dk_template_load(const char *dir, const char *file, dk_buf *out, dk_err *e);

/* Load and render in one step. */
int dk_template_render_file(const char *dir, const char *file, const dk_tctx *c, dk_buf *out,
                            dk_err *e);

#endif
