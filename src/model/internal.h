/*
 * internal.h - the schema machinery shared by the model and the answers file.
 *
 * A section is a table of fields (after tmux options-table.c): each field
 * names its YAML key, its type, where it lives in the C struct, its default
 * (as text, decoded by the same code as the file), its bounds or accepted
 * values, an optional checker, and its help text.  The same tables drive
 * defaults, loading, saving, freeing and dk_model_schema().
 */
#ifndef DK_MODEL_INTERNAL_H
#define DK_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "util/buf.h"
#include "util/err.h"

enum dk_ftype {
    DK_F_STR,      /* char[size]; names: the accepted values, or check */
    DK_F_DOMAIN,   /* char[size]: dk_name_domain, stored as an A-label */
    DK_F_SELECTOR, /* char[size]: dk_name_selector */
    DK_F_PATH,     /* char[size]: clean absolute system path */
    DK_F_UINT,     /* unsigned, min..max */
    DK_F_BOOL,     /* bool: true | false */
    DK_F_ENUM,     /* C enum (int sized); names[value], NULL = not accepted */
    DK_F_CHAR,     /* char; names are one-character strings */
    DK_F_LIST,     /* dk_strlist; check validates and normalises each item */
    DK_F_MAP,      /* nested struct at off, described by sub */
    DK_F_SEQ       /* array of structs: pointer at off, count at count_off */
};

/* Bounds on repeated entries (a model is written by hand or by dkimctl). */
#define DK_DOMAINS_MAX   5000
#define DK_SELECTORS_MAX 64
#define DK_LIST_MAX      256

#define DK_FF_REQUIRED 1u /* the key must be present */
#define DK_FF_SEEN     2u /* set the bool at seen_off when the key is present */

/* Check and normalise one value: in -> out (size bytes). `field` names it. */
typedef int (*dk_check_fn)(const char *in, char *out, size_t size, const char *field, dk_err *e);

struct dk_section;
struct dk_ynode;

typedef struct dk_field {
    const char *key;
    enum dk_ftype type;
    size_t off;
    size_t size;      /* char arrays: their size; SEQ: element size */
    size_t count_off; /* SEQ: offset of the size_t count */
    const struct dk_section *sub;
    const char *const *names; /* ENUM, CHAR, STR: accepted words */
    size_t nnames;
    unsigned min, max; /* UINT: bounds; LIST, SEQ: most entries (0: no limit) */
    dk_check_fn check;
    const char *defval; /* default as text; NULL: none (empty / zero) */
    unsigned flags;
    size_t seen_off;
    const char *type_name; /* for help: "string", "integer" ... */
    const char *accepts;   /* in words */
    const char *help;
} dk_field;

/* Called after a mapping was decoded into obj (cross-key rules). */
typedef int (*dk_fixup_fn)(void *obj, const struct dk_ynode *map, const char *file,
                           const char *path, dk_err *e);

typedef struct dk_section {
    const char *name;
    const dk_field *fields;
    size_t n;
    dk_fixup_fn fixup;
} dk_section;

/* Parsed YAML (no anchors, aliases or tags: they are refused). */
enum dk_ykind { DK_Y_SCALAR, DK_Y_MAP, DK_Y_SEQ };

typedef struct dk_ynode {
    enum dk_ykind kind;
    unsigned line, col; /* 1-based */
    char *s;            /* scalar text (NUL-terminated; NUL bytes refused) */
    size_t len;
    bool plain;            /* plain (unquoted) scalar */
    struct dk_ynode *kids; /* map: key, value, key, value ...; seq: items */
    size_t n, cap;
} dk_ynode;

/* The tables (schema.c). */
extern const dk_section dk_model_section;
extern const dk_section dk_domain_section;
extern const dk_section dk_selector_section;
extern const dk_section dk_answers_section;
extern const dk_section dk_spf_section;
extern const dk_section dk_dmarc_section;

/* Generic operations on a section (yaml.c). */
void dk_section_defaults(const dk_section *sec, void *obj);
void dk_section_free(const dk_section *sec, void *obj);
int dk_section_parse(const dk_section *sec, void *obj, const char *file, const char *text,
                     size_t len, dk_err *e);
int dk_section_save(const dk_section *sec, const void *obj, dk_buf *out, dk_err *e);
/* Copy src to dst (dst holds no allocations): lists and arrays duplicated. */
int dk_section_copy(const dk_section *sec, void *dst, const void *src, dk_err *e);
/* Set the field `key` from text as if it were a plain YAML scalar (a list
 * gets the value appended); `label` names it in errors (a flag name). */
int dk_section_set(const dk_section *sec, void *obj, const char *key, const char *value,
                   const char *label, dk_err *e);
/* The value node of `key` in a mapping node, or NULL. */
const dk_ynode *dk_ynode_get(const dk_ynode *map, const char *key);
/* Point e at node n of file (keeps the message). */
int dk_err_at(dk_err *e, const char *file, const dk_ynode *n);

/* Shared rules. */
int dk_selector_fix_bits(enum dk_keyalg alg, unsigned *bits, const dk_ynode *map, const char *file,
                         const char *path, dk_err *e);
int dk_model_derive_keys(dk_model *m, dk_err *e);

#endif
