/*
 * yaml.c - the schema machinery: YAML (libyaml events) to a small tree with
 * bounded depth, the tree decoded against a section table, and the
 * canonical YAML text of a section.  Anchors, aliases, tags, directives,
 * NUL bytes, a second document and nesting deeper than the schema are
 * refused while the events are read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"
#include "model/name.h"
#include "util/mem.h"

#define MAXNODES ((size_t)200000)
#define PATHLEN  256

/* ---- the tree ------------------------------------------------------------ */

static void ynode_free(dk_ynode *n)
{
    /* Depth is bounded by the schema (a handful of levels). */
    for (size_t i = 0; i < n->n; i++)
        ynode_free(&n->kids[i]);
    free(n->kids);
    free(n->s);
    memset(n, 0, sizeof *n);
}

const dk_ynode *dk_ynode_get(const dk_ynode *map, const char *key)
{
    if (map == NULL || map->kind != DK_Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->kids[i].kind == DK_Y_SCALAR && strcmp(map->kids[i].s, key) == 0)
            return &map->kids[i + 1];
    return NULL;
}

int dk_err_at(dk_err *e, const char *file, const dk_ynode *n)
{
    if (e == NULL)
        return -1;
    (void)snprintf(e->file, sizeof e->file, "%s", file != NULL ? file : "");
    e->line = n != NULL ? n->line : 0;
    e->col = n != NULL ? n->col : 0;
    return -1;
}

typedef struct reader {
    const char *file;
    const char *text;
    size_t len;
    unsigned maxdepth;
    size_t nodes;
    const dk_section *sec;
} reader;

/* 1-based line and column (in characters) of byte offset off. */
static void offset_mark(const reader *r, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;

    if (off > r->len)
        off = r->len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)r->text[i];

        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static void key_list(const dk_section *sec, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sec->n; i++) {
        int k = snprintf(out + used, size - used, "%s%s", i > 0 ? ", " : "", sec->fields[i].key);

        if (k < 0 || (size_t)k >= size - used)
            return;
        used += (size_t)k;
    }
}

static int parser_error(const yaml_parser_t *p, const reader *r, dk_err *e)
{
    unsigned line, col;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return dk_err_setloc(e, DK_ENOMEM, r->file, 0, 0, "out of memory reading YAML");
    case YAML_READER_ERROR:
        offset_mark(r, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                                 "%s (byte 0x%02x); the file must be UTF-8 text without "
                                 "control characters",
                                 p->problem != NULL ? p->problem : "invalid input",
                                 (unsigned)p->problem_value & 0xffu);
        return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                             "%s; the file must be UTF-8 text without control characters",
                             p->problem != NULL ? p->problem : "invalid input");
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
        return dk_err_setloc(e, DK_EINVAL, r->file, (unsigned)p->problem_mark.line + 1,
                             (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s%s%s",
                             p->problem != NULL ? p->problem : "unknown problem",
                             p->context != NULL ? " " : "", p->context != NULL ? p->context : "");
    default:
        return dk_err_setloc(e, DK_EINVAL, r->file, 0, 0, "YAML error");
    }
}

static dk_ynode *new_node(reader *r, dk_ynode *parent, dk_ynode *root, bool *have_root,
                          const yaml_event_t *ev, enum dk_ykind kind, dk_err *e)
{
    dk_ynode *n;
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;

    if (++r->nodes > MAXNODES) {
        dk_err_setloc(e, DK_ENOMEM, r->file, line, col, "more than %zu values; refused", MAXNODES);
        return NULL;
    }
    if (parent == NULL) {
        if (*have_root) {
            dk_err_setloc(e, DK_EINVAL, r->file, line, col, "a second top-level value");
            return NULL;
        }
        *have_root = true;
        n = root;
    } else {
        if (parent->n == parent->cap) {
            size_t ncap = parent->cap == 0 ? 8 : parent->cap * 2;
            dk_ynode *k = dk_reallocarray(parent->kids, ncap, sizeof *k, e);

            if (k == NULL)
                return NULL;
            parent->kids = k;
            parent->cap = ncap;
        }
        n = &parent->kids[parent->n++];
    }
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->col = col;
    return n;
}

static int refuse_anchor_tag(const reader *r, const yaml_event_t *ev, const yaml_char_t *anchor,
                             const yaml_char_t *tag, dk_err *e)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;

    if (anchor != NULL)
        return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                             "anchors and aliases (&%.40s) are not accepted; write each value "
                             "out",
                             (const char *)anchor);
    if (tag != NULL)
        return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                             "tags (%.60s) are not accepted; write the plain value",
                             (const char *)tag);
    return 0;
}

static int handle_event(reader *r, const yaml_event_t *ev, dk_ynode *root, bool *have_root,
                        dk_ynode **stack, unsigned *depth, unsigned *ndocs, dk_err *e)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    dk_ynode *parent = *depth > 0 ? stack[*depth - 1] : NULL;
    dk_ynode *n;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (*ndocs > 0)
            return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                                 "a second YAML document is not accepted; the file holds one "
                                 "mapping");
        if (ev->data.document_start.version_directive != NULL ||
            ev->data.document_start.tag_directives.start !=
                ev->data.document_start.tag_directives.end)
            return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                                 "directives (%%YAML, %%TAG) are not accepted");
        (*ndocs)++;
        return 0;
    case YAML_ALIAS_EVENT:
        return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                             "aliases (*%.40s) and anchors are not accepted; write each value "
                             "out",
                             (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        const char *nul;

        if (refuse_anchor_tag(r, ev, ev->data.scalar.anchor, ev->data.scalar.tag, e) < 0)
            return -1;
        nul = memchr(v, '\0', len);
        if (nul != NULL)
            return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                                 "a NUL byte (\\0) at character %zu of the value is not "
                                 "accepted",
                                 (size_t)(nul - v) + 1);
        n = new_node(r, parent, root, have_root, ev, DK_Y_SCALAR, e);
        if (n == NULL)
            return -1;
        n->s = dk_strndup(v, len, e);
        if (n->s == NULL)
            return -1;
        n->len = len;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;

        if (refuse_anchor_tag(
                r, ev, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
                seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag, e) < 0)
            return -1;
        if (*depth >= r->maxdepth)
            return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                                 "nesting deeper than the schema allows (at most %u levels of "
                                 "mappings and lists)",
                                 r->maxdepth);
        n = new_node(r, parent, root, have_root, ev, seq ? DK_Y_SEQ : DK_Y_MAP, e);
        if (n == NULL)
            return -1;
        stack[(*depth)++] = n;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (*depth > 0)
            (*depth)--;
        return 0;
    default:
        return 0;
    }
}

#define DEPTH_HARD 32

static int build(reader *r, dk_ynode *root, dk_err *e)
{
    yaml_parser_t p;
    dk_ynode *stack[DEPTH_HARD];
    unsigned depth = 0, ndocs = 0;
    bool have_root = false, done = false;
    const char *nul;
    int rc = 0;
    char keys[256];

    memset(root, 0, sizeof *root);
    nul = memchr(r->text, '\0', r->len);
    if (nul != NULL) {
        unsigned line, col;

        offset_mark(r, (size_t)(nul - r->text), &line, &col);
        return dk_err_setloc(e, DK_EINVAL, r->file, line, col,
                             "a NUL byte is not accepted; the file must be UTF-8 text");
    }
    if (r->maxdepth > DEPTH_HARD)
        r->maxdepth = DEPTH_HARD;
    if (!yaml_parser_initialize(&p))
        return dk_err_set(e, DK_ENOMEM, "out of memory starting the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)r->text, r->len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!done) {
        yaml_event_t ev;

        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_error(&p, r, e);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle_event(r, &ev, root, &have_root, stack, &depth, &ndocs, e);
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&p);
    if (rc == 0 && !have_root) {
        key_list(r->sec, keys, sizeof keys);
        rc = dk_err_setloc(e, DK_EINVAL, r->file, 1, 1,
                           "the file is empty; expected a mapping with the keys: %s", keys);
    }
    if (rc < 0)
        ynode_free(root);
    return rc;
}

/* ---- decoding -------------------------------------------------------------- */

static void *at_off(void *obj, size_t off)
{
    return (char *)obj + off;
}

static const void *cat_off(const void *obj, size_t off)
{
    return (const char *)obj + off;
}

static void *get_ptr(const void *obj, size_t off)
{
    void *p;

    memcpy(&p, cat_off(obj, off), sizeof p);
    return p;
}

static void set_ptr(void *obj, size_t off, void *p)
{
    memcpy(at_off(obj, off), &p, sizeof p);
}

static size_t get_count(const void *obj, size_t off)
{
    size_t n;

    memcpy(&n, cat_off(obj, off), sizeof n);
    return n;
}

static void set_count(void *obj, size_t off, size_t n)
{
    memcpy(at_off(obj, off), &n, sizeof n);
}

static const char *kind_name(const dk_ynode *n)
{
    switch (n->kind) {
    case DK_Y_MAP:
        return "a mapping";
    case DK_Y_SEQ:
        return "a list";
    case DK_Y_SCALAR:
        break;
    }
    return n->len == 0 && n->plain ? "an empty value" : "a string";
}

static const char *expected_name(const dk_field *f)
{
    switch (f->type) {
    case DK_F_UINT:
        return "an integer";
    case DK_F_BOOL:
        return "true or false";
    case DK_F_LIST:
        return "a list of strings";
    case DK_F_MAP:
        return "a mapping";
    case DK_F_SEQ:
        return "a list of mappings";
    default:
        return "a string";
    }
}

static const char *char_name(unsigned char c, char *buf, size_t size)
{
    switch (c) {
    case '\n':
        return "a newline";
    case '\r':
        return "a carriage return";
    case '\t':
        return "a tab";
    default:
        (void)snprintf(buf, size, "the control character 0x%02x", c);
        return buf;
    }
}

static int accepted_words(const dk_field *f, const char *path, const char *text, dk_err *e)
{
    char w[256];
    size_t used = 0;

    w[0] = '\0';
    for (size_t i = 0; i < f->nnames; i++) {
        int k;

        if (f->names[i] == NULL)
            continue;
        k = snprintf(w + used, sizeof w - used, "%s%s", used > 0 ? ", " : "", f->names[i]);
        if (k < 0 || (size_t)k >= sizeof w - used)
            break;
        used += (size_t)k;
    }
    return dk_err_set(e, DK_EINVAL, "%s: '%.80s' is not accepted; accepted: %s", path, text, w);
}

static int find_word(const dk_field *f, const char *text)
{
    for (size_t i = 0; i < f->nnames; i++)
        if (f->names[i] != NULL && strcmp(f->names[i], text) == 0)
            return (int)i;
    return -1;
}

/* Decode one scalar into the field (no location: the caller adds it). */
static int decode_scalar(const dk_field *f, void *obj, const char *text, bool plain,
                         const char *path, dk_err *e)
{
    void *dst = at_off(obj, f->off);
    char buf[40];
    int w;

    if (f->type != DK_F_DOMAIN && f->type != DK_F_SELECTOR)
        for (size_t i = 0; text[i] != '\0'; i++)
            if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
                return dk_err_set(e, DK_EINVAL, "%s: %s at position %zu is not accepted", path,
                                  char_name((unsigned char)text[i], buf, sizeof buf), i + 1);
    switch (f->type) {
    case DK_F_STR:
        if (f->names != NULL) {
            if (find_word(f, text) < 0)
                return accepted_words(f, path, text, e);
        } else if (f->check != NULL) {
            return f->check(text, dst, f->size, path, e);
        }
        if (dk_strlcpy(dst, text, f->size) < 0)
            return dk_err_set(e, DK_EINVAL, "%s: longer than %zu bytes", path, f->size - 1);
        return 0;
    case DK_F_DOMAIN:
        return dk_name_domain(text, path, dst, f->size, e);
    case DK_F_SELECTOR:
        return dk_name_selector(text, path, dst, f->size, e);
    case DK_F_PATH:
        if (!dk_path_is_clean(text) || strlen(text) >= f->size)
            return dk_err_set(e, DK_EINVAL,
                              "%s: '%.200s' is not accepted; a clean absolute path is required "
                              "(starts with '/', no '.', '..' or empty components, no trailing "
                              "'/')",
                              path, text);
        return dk_strlcpy(dst, text, f->size) < 0 ? -1 : 0;
    case DK_F_UINT: {
        size_t n = strlen(text);
        unsigned long v = 0;

        if (!plain || n == 0 || n > 10 || strspn(text, "0123456789") != n ||
            (text[0] == '0' && n > 1))
            return dk_err_set(e, DK_EINVAL, "%s: expected an integer (%s), found %s'%.80s'", path,
                              f->accepts, plain ? "" : "the quoted string ", text);
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (unsigned long)(text[i] - '0');
        if (v < f->min || v > f->max)
            return dk_err_set(e, DK_EINVAL, "%s: %lu is out of range; accepted: %s", path, v,
                              f->accepts);
        *(unsigned *)dst = (unsigned)v;
        return 0;
    }
    case DK_F_BOOL:
        if (plain && strcmp(text, "true") == 0)
            *(bool *)dst = true;
        else if (plain && strcmp(text, "false") == 0)
            *(bool *)dst = false;
        else
            return dk_err_set(e, DK_EINVAL, "%s: expected true or false, found %s'%.80s'", path,
                              plain ? "" : "the quoted string ", text);
        return 0;
    case DK_F_ENUM:
        w = find_word(f, text);
        if (w < 0)
            return accepted_words(f, path, text, e);
        memcpy(dst, &w, sizeof w);
        return 0;
    case DK_F_CHAR:
        w = find_word(f, text);
        if (w < 0)
            return accepted_words(f, path, text, e);
        *(char *)dst = f->names[w][0];
        return 0;
    default:
        return dk_err_set(e, DK_EINTERNAL, "%s: not a scalar field", path);
    }
}

static int list_item(const dk_field *f, dk_strlist *l, const char *text, const char *path,
                     dk_err *e)
{
    char *out;
    char buf[40];
    int rc;

    for (size_t i = 0; text[i] != '\0'; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return dk_err_set(e, DK_EINVAL, "%s: %s at position %zu is not accepted", path,
                              char_name((unsigned char)text[i], buf, sizeof buf), i + 1);
    if (f->check == NULL)
        return dk_strlist_add(l, text, e);
    out = dk_calloc(1, f->size, e);
    if (out == NULL)
        return -1;
    rc = f->check(text, out, f->size, path, e);
    if (rc == 0)
        rc = dk_strlist_add(l, out, e);
    free(out);
    return rc;
}

static int decode_map(const dk_section *sec, void *obj, const dk_ynode *map, const char *file,
                      const char *path, dk_err *e);

static void child_path(char *out, const char *path, const char *key)
{
    (void)snprintf(out, PATHLEN, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
}

static int decode_field(const dk_field *f, void *obj, const dk_ynode *val, const char *file,
                        const char *path, dk_err *e)
{
    if ((f->type == DK_F_LIST || f->type == DK_F_SEQ) && val->kind == DK_Y_SEQ && f->max != 0 &&
        val->n > f->max) {
        dk_err_set(e, DK_EINVAL, "%s: %zu entries; at most %u are accepted", path, val->n, f->max);
        return dk_err_at(e, file, val);
    }
    switch (f->type) {
    case DK_F_MAP:
        return decode_map(f->sub, at_off(obj, f->off), val, file, path, e);
    case DK_F_LIST: {
        dk_strlist *l = at_off(obj, f->off);
        char ipath[PATHLEN];

        if (val->kind != DK_Y_SEQ)
            goto wrong_type;
        dk_strlist_free(l);
        for (size_t i = 0; i < val->n; i++) {
            const dk_ynode *it = &val->kids[i];

            if (snprintf(ipath, sizeof ipath, "%s[%zu]", path, i) >= (int)sizeof ipath)
                return dk_err_set(e, DK_EINVAL, "%s: path too long", path);
            if (it->kind != DK_Y_SCALAR) {
                dk_err_set(e, DK_EINVAL,
                           "%s: expected a string, found %s (nesting deeper than the schema)",
                           ipath, kind_name(it));
                return dk_err_at(e, file, it);
            }
            if (list_item(f, l, it->s, ipath, e) < 0)
                return dk_err_at(e, file, it);
        }
        return 0;
    }
    case DK_F_SEQ: {
        char ipath[PATHLEN];
        void *arr;

        if (val->kind != DK_Y_SEQ)
            goto wrong_type;
        if (get_count(obj, f->count_off) != 0)
            return dk_err_set(e, DK_EINTERNAL, "%s: decoded twice", path);
        if (val->n == 0)
            return 0;
        arr = dk_calloc(val->n, f->size, e);
        if (arr == NULL)
            return dk_err_at(e, file, val);
        set_ptr(obj, f->off, arr);
        for (size_t i = 0; i < val->n; i++) {
            void *elem = (char *)arr + i * f->size;

            dk_section_defaults(f->sub, elem);
            set_count(obj, f->count_off, i + 1);
            if (snprintf(ipath, sizeof ipath, "%s[%zu]", path, i) >= (int)sizeof ipath)
                return dk_err_set(e, DK_EINVAL, "%s: path too long", path);
            if (decode_map(f->sub, elem, &val->kids[i], file, ipath, e) < 0)
                return -1;
        }
        return 0;
    }
    default:
        if (val->kind != DK_Y_SCALAR)
            goto wrong_type;
        if (decode_scalar(f, obj, val->s, val->plain, path, e) < 0)
            return dk_err_at(e, file, val);
        return 0;
    }
wrong_type:
    dk_err_set(e, DK_EINVAL, "%s: expected %s, found %s", path, expected_name(f), kind_name(val));
    return dk_err_at(e, file, val);
}

static int decode_map(const dk_section *sec, void *obj, const dk_ynode *map, const char *file,
                      const char *path, dk_err *e)
{
    size_t first[64];
    char keys[512], cpath[PATHLEN];
    const char *where = path[0] != '\0' ? path : "", *sep = path[0] != '\0' ? ": " : "";

    if (map->kind != DK_Y_MAP) {
        key_list(sec, keys, sizeof keys);
        dk_err_set(e, DK_EINVAL, "%s%sexpected a mapping with the keys: %s; found %s", where,
                   path[0] != '\0' ? ": " : "at the top level: ", keys, kind_name(map));
        return dk_err_at(e, file, map);
    }
    for (size_t i = 0; i < sec->n && i < 64; i++)
        first[i] = SIZE_MAX;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const dk_ynode *key = &map->kids[i], *val = &map->kids[i + 1];
        size_t fi;

        if (key->kind != DK_Y_SCALAR) {
            dk_err_set(e, DK_EINVAL, "%s%sa key must be a string, found %s", where, sep,
                       kind_name(key));
            return dk_err_at(e, file, key);
        }
        for (fi = 0; fi < sec->n; fi++)
            if (strcmp(sec->fields[fi].key, key->s) == 0)
                break;
        if (fi == sec->n) {
            key_list(sec, keys, sizeof keys);
            dk_err_set(e, DK_EINVAL, "%s%sunknown key '%.60s'; accepted keys: %s", where, sep,
                       key->s, keys);
            return dk_err_at(e, file, key);
        }
        if (first[fi] != SIZE_MAX) {
            const dk_ynode *prev = &map->kids[first[fi]];

            dk_err_set(e, DK_EINVAL, "%s%sduplicate key '%s' (first given at line %u, column %u)",
                       where, sep, key->s, prev->line, prev->col);
            return dk_err_at(e, file, key);
        }
        first[fi] = i;
        child_path(cpath, path, sec->fields[fi].key);
        if (decode_field(&sec->fields[fi], obj, val, file, cpath, e) < 0)
            return -1;
        if (sec->fields[fi].flags & DK_FF_SEEN)
            *(bool *)at_off(obj, sec->fields[fi].seen_off) = true;
    }
    for (size_t fi = 0; fi < sec->n; fi++)
        if ((sec->fields[fi].flags & DK_FF_REQUIRED) && first[fi] == SIZE_MAX) {
            dk_err_set(e, DK_EINVAL, "%s%sthe key '%s' is required (%s)", where, sep,
                       sec->fields[fi].key, sec->fields[fi].help);
            return dk_err_at(e, file, map);
        }
    if (sec->fixup != NULL)
        return sec->fixup(obj, map, file, path, e);
    return 0;
}

static unsigned section_depth(const dk_section *sec)
{
    unsigned d = 0;

    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];
        unsigned k = 0;

        if (f->type == DK_F_MAP)
            k = section_depth(f->sub);
        else if (f->type == DK_F_SEQ)
            k = 1 + section_depth(f->sub);
        else if (f->type == DK_F_LIST)
            k = 1;
        if (k > d)
            d = k;
    }
    return 1 + d;
}

int dk_section_parse(const dk_section *sec, void *obj, const char *file, const char *text,
                     size_t len, dk_err *e)
{
    reader r;
    dk_ynode root;
    int rc;

    memset(&r, 0, sizeof r);
    r.file = file != NULL ? file : "";
    r.text = text;
    r.len = len;
    r.maxdepth = section_depth(sec);
    r.sec = sec;
    if (build(&r, &root, e) < 0)
        return -1;
    rc = decode_map(sec, obj, &root, r.file, "", e);
    ynode_free(&root);
    return rc;
}

/* ---- defaults, free, copy ---------------------------------------------------------- */

void dk_section_defaults(const dk_section *sec, void *obj)
{
    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];

        switch (f->type) {
        case DK_F_MAP:
            dk_section_defaults(f->sub, at_off(obj, f->off));
            break;
        case DK_F_SEQ:
            set_ptr(obj, f->off, NULL);
            set_count(obj, f->count_off, 0);
            break;
        case DK_F_LIST: {
            dk_strlist *l = at_off(obj, f->off);

            l->v = NULL;
            l->n = 0;
            if (f->defval != NULL && f->defval[0] != '\0')
                (void)dk_strlist_add(l, f->defval, NULL);
            break;
        }
        default:
            if (f->defval != NULL)
                (void)decode_scalar(f, obj, f->defval, true, f->key, NULL);
            break;
        }
    }
}

void dk_section_free(const dk_section *sec, void *obj)
{
    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];

        switch (f->type) {
        case DK_F_MAP:
            dk_section_free(f->sub, at_off(obj, f->off));
            break;
        case DK_F_SEQ: {
            char *arr = get_ptr(obj, f->off);
            size_t n = get_count(obj, f->count_off);

            for (size_t k = 0; k < n; k++)
                dk_section_free(f->sub, arr + k * f->size);
            free(arr);
            set_ptr(obj, f->off, NULL);
            set_count(obj, f->count_off, 0);
            break;
        }
        case DK_F_LIST:
            dk_strlist_free(at_off(obj, f->off));
            break;
        default:
            break;
        }
    }
}

/* dst is a shallow copy of src: give it its own lists and arrays.  After a
 * failure the remaining ones are emptied, so dst never shares memory. */
static int deepen(const dk_section *sec, void *dst, bool *failed, dk_err *e)
{
    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];

        switch (f->type) {
        case DK_F_MAP:
            (void)deepen(f->sub, at_off(dst, f->off), failed, e);
            break;
        case DK_F_SEQ: {
            const char *old = get_ptr(dst, f->off);
            size_t n = get_count(dst, f->count_off);
            char *arr = NULL;

            if (!*failed && n > 0) {
                arr = dk_calloc(n, f->size, e);
                if (arr == NULL)
                    *failed = true;
            }
            if (arr == NULL) {
                set_ptr(dst, f->off, NULL);
                set_count(dst, f->count_off, 0);
                break;
            }
            memcpy(arr, old, n * f->size);
            set_ptr(dst, f->off, arr);
            for (size_t k = 0; k < n; k++)
                (void)deepen(f->sub, arr + k * f->size, failed, e);
            break;
        }
        case DK_F_LIST: {
            dk_strlist *l = at_off(dst, f->off), old = *l;

            l->v = NULL;
            l->n = 0;
            for (size_t k = 0; !*failed && k < old.n; k++)
                if (dk_strlist_add(l, old.v[k], e) < 0)
                    *failed = true;
            break;
        }
        default:
            break;
        }
    }
    return *failed ? -1 : 0;
}

int dk_section_copy(const dk_section *sec, void *dst, const void *src, dk_err *e)
{
    bool failed = false;

    (void)src; /* dst already holds the shallow copy */
    return deepen(sec, dst, &failed, e);
}

/* ---- saving ---------------------------------------------------------------------- */

static bool needs_quotes(const char *s)
{
    static const char *const special[] = {"y",  "n",   "yes",  "no",   "true", "false",
                                          "on", "off", "null", "none", "~"};

    size_t dots = 0;

    if (s[0] == '\0')
        return true;
    for (const char *p = s; *p != '\0'; p++)
        dots += *p == '.';
    /* A leading digit could be read as a number (2026, 1.5, 1e5, 0x1f) unless
     * there are two dots or more (192.0.2.1 is never a number). */
    if (s[0] >= '0' && s[0] <= '9' && dots < 2)
        return true;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '/' ||
          (s[0] >= '0' && s[0] <= '9')))
        return true; /* indicators, '.', '-' ... */
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._/@+=-", *p) != NULL))
            return true;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (strcasecmp(s, special[i]) == 0)
            return true;
    return false;
}

static int emit_string(dk_buf *b, const char *s, dk_err *e)
{
    if (!needs_quotes(s))
        return dk_buf_puts(b, s, e);
    if (dk_buf_putc(b, '"', e) < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        int rc;

        if (*p == '"' || *p == '\\')
            rc = dk_buf_printf(b, e, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            rc = dk_buf_printf(b, e, "\\x%02x", *p);
        else
            rc = dk_buf_putc(b, (char)*p, e);
        if (rc < 0)
            return -1;
    }
    return dk_buf_putc(b, '"', e);
}

static int emit_scalar(dk_buf *b, const dk_field *f, const void *obj, dk_err *e)
{
    const void *src = cat_off(obj, f->off);
    int v;

    switch (f->type) {
    case DK_F_UINT:
        return dk_buf_printf(b, e, "%u", *(const unsigned *)src);
    case DK_F_BOOL:
        return dk_buf_puts(b, *(const bool *)src ? "true" : "false", e);
    case DK_F_ENUM:
        memcpy(&v, src, sizeof v);
        if (v < 0 || (size_t)v >= f->nnames || f->names[v] == NULL)
            return dk_err_setloc(e, DK_EINVAL, f->key, 0, 0, "%s: value %d cannot be written",
                                 f->key, v);
        return dk_buf_puts(b, f->names[v], e);
    case DK_F_CHAR: {
        char c = *(const char *)src;

        for (size_t i = 0; i < f->nnames; i++)
            if (f->names[i][0] == c)
                return dk_buf_puts(b, f->names[i], e);
        return dk_err_setloc(e, DK_EINVAL, f->key, 0, 0, "%s: value '%c' cannot be written", f->key,
                             c);
    }
    default:
        if (f->names != NULL && find_word(f, src) >= 0)
            return dk_buf_puts(b, src, e);
        return emit_string(b, src, e);
    }
}

static int indent_to(dk_buf *b, unsigned n, dk_err *e)
{
    for (unsigned i = 0; i < n; i++)
        if (dk_buf_putc(b, ' ', e) < 0)
            return -1;
    return 0;
}

static int emit_section(dk_buf *b, const dk_section *sec, const void *obj, unsigned indent,
                        bool after_dash, dk_err *e)
{
    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];

        if (!(i == 0 && after_dash) && indent_to(b, indent, e) < 0)
            return -1;
        if (dk_buf_printf(b, e, "%s:", f->key) < 0)
            return -1;
        switch (f->type) {
        case DK_F_MAP:
            if (dk_buf_putc(b, '\n', e) < 0 ||
                emit_section(b, f->sub, cat_off(obj, f->off), indent + 2, false, e) < 0)
                return -1;
            break;
        case DK_F_LIST: {
            const dk_strlist *l = cat_off(obj, f->off);

            if (l->n == 0) {
                if (dk_buf_puts(b, " []\n", e) < 0)
                    return -1;
                break;
            }
            if (dk_buf_putc(b, '\n', e) < 0)
                return -1;
            for (size_t k = 0; k < l->n; k++)
                if (indent_to(b, indent + 2, e) < 0 || dk_buf_puts(b, "- ", e) < 0 ||
                    emit_string(b, l->v[k], e) < 0 || dk_buf_putc(b, '\n', e) < 0)
                    return -1;
            break;
        }
        case DK_F_SEQ: {
            const char *arr = get_ptr(obj, f->off);
            size_t n = get_count(obj, f->count_off);

            if (n == 0) {
                if (dk_buf_puts(b, " []\n", e) < 0)
                    return -1;
                break;
            }
            if (dk_buf_putc(b, '\n', e) < 0)
                return -1;
            for (size_t k = 0; k < n; k++)
                if (indent_to(b, indent + 2, e) < 0 || dk_buf_puts(b, "- ", e) < 0 ||
                    emit_section(b, f->sub, arr + k * f->size, indent + 4, true, e) < 0)
                    return -1;
            break;
        }
        default:
            if (dk_buf_putc(b, ' ', e) < 0 || emit_scalar(b, f, obj, e) < 0 ||
                dk_buf_putc(b, '\n', e) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

int dk_section_save(const dk_section *sec, const void *obj, dk_buf *out, dk_err *e)
{
    return emit_section(out, sec, obj, 0, false, e);
}

/* ---- one value from text (command-line flags) ------------------------------------ */

int dk_section_set(const dk_section *sec, void *obj, const char *key, const char *value,
                   const char *label, dk_err *e)
{
    for (size_t i = 0; i < sec->n; i++) {
        const dk_field *f = &sec->fields[i];
        int rc;

        if (strcmp(f->key, key) != 0)
            continue;
        if (label == NULL)
            label = key;
        if (f->type == DK_F_LIST && f->max != 0 &&
            ((const dk_strlist *)at_off(obj, f->off))->n >= f->max)
            rc = dk_err_set(e, DK_EINVAL, "%s: at most %u are accepted", label, f->max);
        else if (f->type == DK_F_LIST)
            rc = list_item(f, at_off(obj, f->off), value, label, e);
        else if (f->type == DK_F_MAP || f->type == DK_F_SEQ)
            rc = dk_err_set(e, DK_EINTERNAL, "%s: not a single value", label);
        else
            rc = decode_scalar(f, obj, value, true, label, e);
        if (rc < 0)
            return -1;
        if (f->flags & DK_FF_SEEN)
            *(bool *)at_off(obj, f->seen_off) = true;
        return 0;
    }
    return dk_err_set(e, DK_EINTERNAL, "no such key '%s'", key);
}
