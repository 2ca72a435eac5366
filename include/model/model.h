/*
 * model.h - the desired state: ROOT/etc/dkimctl/dkimctl.yaml.
 *
 * One schema table (src/model/schema.c) drives loading, saving, defaults,
 * validation, help text and the TUI forms.  Names held here are already
 * validated: domains in lower-case A-label form, selectors as DNS labels.
 * The model does no I/O except reading its own file; saving produces text
 * that src/apply writes.
 */
#ifndef DK_MODEL_MODEL_H
#define DK_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "model/keyalg.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/path.h"

#define DK_MODEL_PATH    "/etc/dkimctl/dkimctl.yaml"
#define DK_MODEL_VERSION 1
#define DK_DOMAIN_MAX    254 /* 253 octets + NUL */
#define DK_SELECTOR_MAX  64  /* one label: 63 octets + NUL */
#define DK_MODEL_MAXSIZE ((size_t)1024 * 1024)

typedef struct dk_strlist {
    char **v;
    size_t n;
} dk_strlist;

/* Life of a selector (src/rotate moves selectors through these). */
enum dk_selstate {
    DK_SEL_ACTIVE,  /* signs mail; record published */
    DK_SEL_PENDING, /* key made and published, not yet signing */
    DK_SEL_RETIRED, /* no longer signs; record kept for mail in flight */
    DK_SEL_REVOKED  /* record published with empty p= */
};

enum dk_qualifier { DK_Q_PASS, DK_Q_FAIL, DK_Q_SOFTFAIL, DK_Q_NEUTRAL }; /* + - ~ ? */
enum dk_dmarc_p { DK_DMARC_UNSET, DK_DMARC_NONE, DK_DMARC_QUARANTINE, DK_DMARC_REJECT };
enum dk_tristate { DK_AUTO, DK_YES, DK_NO };

typedef struct dk_selector {
    char name[DK_SELECTOR_MAX];
    enum dk_keyalg alg;
    unsigned bits;              /* RSA modulus size; 0 for Ed25519 */
    char key_path[DK_PATH_MAX]; /* system path; default KEYS_DIR/DOMAIN/SELECTOR.private */
    enum dk_selstate state;
} dk_selector;

typedef struct dk_spf_policy {
    bool publish;
    bool mx;        /* "mx" mechanism */
    bool a;         /* "a" mechanism */
    dk_strlist ip4; /* addresses or CIDR blocks */
    dk_strlist ip6;
    dk_strlist include; /* domains */
    enum dk_qualifier all;
} dk_spf_policy;

typedef struct dk_dmarc_policy {
    bool publish;
    enum dk_dmarc_p p;
    enum dk_dmarc_p sp; /* DK_DMARC_UNSET: not emitted */
    enum dk_dmarc_p np; /* DMARCbis; DK_DMARC_UNSET: not emitted */
    unsigned pct;       /* 0..100 */
    dk_strlist rua;     /* mailto: URIs */
    dk_strlist ruf;
    char adkim; /* 'r' or 's' */
    char aspf;  /* 'r' or 's' */
    char fo[8]; /* "0", "1", "d", "s" or a colon list */
} dk_dmarc_policy;

typedef struct dk_domain {
    char name[DK_DOMAIN_MAX];
    bool subdomains; /* also sign *@*.domain */
    dk_selector *sel;
    size_t nsel;
    dk_spf_policy spf;
    dk_dmarc_policy dmarc;
} dk_domain;

typedef struct dk_opendkim_conf {
    char conf_path[DK_PATH_MAX];  /* /etc/opendkim.conf */
    char tables_dir[DK_PATH_MAX]; /* /etc/opendkim */
    char keys_dir[DK_PATH_MAX];   /* /etc/dkimkeys */
    char mode[4];                 /* "s" or "sv" */
    char canon[32];               /* "relaxed/simple" */
    dk_strlist oversign;          /* "From" */
    char socket[DK_PATH_MAX];     /* "" = derived from the Postfix chroot */
    dk_strlist trusted_hosts;     /* beyond 127.0.0.1, ::1, localhost */
    char user[33];                /* "opendkim" */
} dk_opendkim_conf;

typedef struct dk_postfix_conf {
    char config_dir[DK_PATH_MAX];   /* /etc/postfix */
    enum dk_tristate chroot;        /* auto: read master.cf */
    char milter_default_action[16]; /* accept | tempfail | reject | quarantine */
} dk_postfix_conf;

typedef struct dk_model {
    unsigned version;
    dk_domain *domains;
    size_t ndomains;
    dk_opendkim_conf opendkim;
    dk_postfix_conf postfix;
} dk_model;

/* Defaults for everything (no domains). */
void dk_model_init(dk_model *m);
void dk_model_free(dk_model *m);

/*
 * Parse YAML text.  `name` is used in error locations (the file name).
 * Unknown keys, duplicate keys, wrong types, out-of-range values,
 * anchors/aliases, tags, invalid UTF-8, NUL bytes and nesting deeper than
 * the schema are refused with file:line:col and what is accepted.
 * On failure *m is left initialised to defaults.  *m need not be
 * initialised; it must not hold a model (dk_model_free it first).  The same
 * holds for dk_model_load.  Keys left out take their defaults; a selector
 * without key_path gets KEYS_DIR/DOMAIN/SELECTOR.private.
 */
int dk_model_parse(dk_model *m, const char *name, const char *text, size_t len, dk_err *e);

/* Read ROOT/path (normally DK_MODEL_PATH) and parse it; DK_ENOENT if absent. */
int dk_model_load(dk_model *m, const dk_root *root, const char *path, dk_err *e);

/* Canonical YAML text of the model; parse(save(m)) == m and
 * save(parse(save(m))) == save(m) byte for byte. */
int dk_model_save(const dk_model *m, dk_buf *out, dk_err *e);

/* Cross-field checks (bounds are already checked by the parser):
 * duplicate domains/selectors, no active selector, weak keys ...
 * Adds findings; returns -1 only on allocation failure. */
int dk_model_validate(const dk_model *m, dk_findings *out);

/* Add a domain (name validated and converted to an A-label) with defaults;
 * returns it, or NULL with e set.  Adding an existing domain returns it. */
dk_domain *dk_model_add_domain(dk_model *m, const char *name, dk_err *e);
dk_domain *dk_model_find_domain(const dk_model *m, const char *aname);

/* Add a selector with defaults (RSA 2048, key path under keys_dir). */
dk_selector *dk_domain_add_selector(dk_model *m, dk_domain *d, const char *name, dk_err *e);
dk_selector *dk_domain_find_selector(const dk_domain *d, const char *name);

/* String lists. */
int dk_strlist_add(dk_strlist *l, const char *s, dk_err *e);
void dk_strlist_free(dk_strlist *l);

const char *dk_keyalg_name(enum dk_keyalg a);     /* "rsa", "ed25519" */
const char *dk_selstate_name(enum dk_selstate s); /* "active", ... */

/* The schema, for help text and forms. */
typedef struct dk_schema_info {
    const char *path;    /* "domains[].selectors[].bits" */
    const char *type;    /* "string", "integer", "boolean", "enum", "list" */
    const char *defval;  /* default as text, or "" */
    const char *accepts; /* what is accepted, in words */
    const char *help;    /* one sentence */
} dk_schema_info;
const dk_schema_info *dk_model_schema(size_t *n);

#endif
