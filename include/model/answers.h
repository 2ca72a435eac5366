/*
 * answers.h - the questions `dkimctl init` (and the wizard) ask, and how the
 * answers change the model.
 *
 * An answers file is a small YAML map, read with the same schema machinery
 * and the same strictness as the model (unknown or duplicate keys, wrong
 * types, anchors, tags ... are refused with file:line:col):
 *
 *   domains: [example.org, example.net]   # required unless the model has domains
 *   selector: s202611          # default: "s" + current UTC year and month
 *   algorithm: rsa             # rsa | ed25519
 *   bits: 2048                 # RSA only: 1024..4096
 *   subdomains: false
 *   spf: {mx: true, a: false, ip4: [192.0.2.1], all: softfail}
 *   dmarc: {p: none, rua: ["mailto:dmarc@example.org"]}
 *   socket: "local:/run/opendkim/opendkim.sock"
 *
 * spf and dmarc take the keys of the model's spf/dmarc maps; keys left out
 * keep their defaults.  Only the answers given change an existing domain.
 */
#ifndef DK_MODEL_ANSWERS_H
#define DK_MODEL_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/model.h"

typedef struct dk_answers {
    dk_strlist domains; /* A-labels */
    char selector[DK_SELECTOR_MAX];
    enum dk_keyalg alg;
    unsigned bits; /* 0 for Ed25519 */
    bool subdomains;
    dk_spf_policy spf;
    dk_dmarc_policy dmarc;
    char socket[DK_PATH_MAX];
    /* Which answers were given; the others leave an existing domain alone. */
    bool has_selector, has_alg, has_bits, has_subdomains, has_spf, has_dmarc, has_socket;
} dk_answers;

/* Defaults; the default selector is "s" + YYYYMM of `now` (UTC). */
void dk_answers_init(dk_answers *a, time_t now);
void dk_answers_free(dk_answers *a);

/* Parse an answers file (on failure *a is left initialised to defaults). */
int dk_answers_parse(dk_answers *a, const char *name, const char *text, size_t len, time_t now,
                     dk_err *e);

/* Set one answer from text, checked as in the file: key is a top-level
 * key of the answers file ("domains" appends); label names it in errors
 * ("--domain").  Marks the answer as given. */
int dk_answers_set(dk_answers *a, const char *key, const char *value, const char *label, dk_err *e);

/*
 * Apply the answers to the model: each domain is added (or found), given
 * the selector (added if missing: "active" when the domain has no active
 * selector, "pending" otherwise) and, for a new domain or when given, the
 * subdomains/spf/dmarc answers; socket sets opendkim.socket.  An existing
 * selector of the same name with another algorithm or size is refused.
 * On failure the model may be partly changed: apply to a copy.
 */
int dk_answers_apply(const dk_answers *a, dk_model *m, dk_err *e);

/* The answers schema, for help text. */
const dk_schema_info *dk_answers_schema(size_t *n);

#endif
