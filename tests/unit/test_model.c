/* test_model.c - the model: defaults, canonical load/save, every refusal, validation, answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/answers.h"
#include "model/model.h"
#include "util/buf.h"
#include "util/mem.h"

#define FIXTURES "tests/unit/data/model/"

static char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    dk_buf b;
    dk_err e;

    (void)snprintf(path, sizeof path, FIXTURES "%s", name);
    dk_buf_init(&b, 0);
    if (dk_read_file(path, DK_MODEL_MAXSIZE, &b, &e) != 0)
        fail_msg("%s: %s (run from the repository top)", path, e.msg);
    return dk_buf_steal(&b, len);
}

static void save(const dk_model *m, dk_buf *out)
{
    dk_err e;

    dk_buf_init(out, 0);
    if (dk_model_save(m, out, &e) != 0)
        fail_msg("save: %s", e.msg);
}

static void parse_ok(dk_model *m, const char *text)
{
    dk_err e;

    dk_err_clear(&e);
    if (dk_model_parse(m, "t.yaml", text, strlen(text), &e) != 0)
        fail_msg("parse: %s:%u:%u: %s", e.file, e.line, e.col, e.msg);
}

/* The text is refused at line:col (0: not checked) with both substrings. */
static void expect_error_n(const char *text, size_t len, unsigned line, unsigned col,
                           const char *s1, const char *s2)
{
    dk_model m;
    dk_err e;

    dk_err_clear(&e);
    if (dk_model_parse(&m, "t.yaml", text, len, &e) != -1)
        fail_msg("accepted: %.200s", text);
    assert_int_equal(e.code == DK_EINVAL || e.code == DK_ENOMEM, 1);
    assert_string_equal(e.file, "t.yaml");
    if (line != 0 && (e.line != line || e.col != col))
        fail_msg("want %u:%u, got %u:%u: %s", line, col, e.line, e.col, e.msg);
    if (strstr(e.msg, s1) == NULL || (s2 != NULL && strstr(e.msg, s2) == NULL))
        fail_msg("message '%s' lacks '%s' / '%s'", e.msg, s1, s2 != NULL ? s2 : "");
    /* On failure the model is left at its defaults. */
    assert_int_equal(m.ndomains, 0);
    assert_string_equal(m.opendkim.user, "opendkim");
    dk_model_free(&m);
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *s1,
                         const char *s2)
{
    expect_error_n(text, strlen(text), line, col, s1, s2);
}

#define HEAD "version: 1\n"
#define DOM  HEAD "domains:\n  - name: example.org\n"

/* ---- defaults ------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    dk_model m;
    dk_domain *d;
    dk_selector *s;
    dk_err e;

    (void)state;
    dk_model_init(&m);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.ndomains, 0);
    assert_string_equal(m.opendkim.conf_path, "/etc/opendkim.conf");
    assert_string_equal(m.opendkim.tables_dir, "/etc/opendkim");
    assert_string_equal(m.opendkim.keys_dir, "/etc/dkimkeys");
    assert_string_equal(m.opendkim.mode, "s");
    assert_string_equal(m.opendkim.canon, "relaxed/simple");
    assert_int_equal(m.opendkim.oversign.n, 1);
    assert_string_equal(m.opendkim.oversign.v[0], "From");
    assert_string_equal(m.opendkim.socket, "");
    assert_string_equal(m.opendkim.user, "opendkim");
    assert_string_equal(m.postfix.config_dir, "/etc/postfix");
    assert_int_equal(m.postfix.chroot, DK_AUTO);
    assert_string_equal(m.postfix.milter_default_action, "accept");

    d = dk_model_add_domain(&m, "Example.org", &e);
    assert_non_null(d);
    assert_string_equal(d->name, "example.org");
    assert_ptr_equal(dk_model_add_domain(&m, "EXAMPLE.ORG.", &e), d); /* same domain */
    assert_int_equal(m.ndomains, 1);
    assert_false(d->subdomains);
    assert_true(d->spf.publish);
    assert_true(d->spf.mx);
    assert_false(d->spf.a);
    assert_int_equal(d->spf.all, DK_Q_SOFTFAIL);
    assert_true(d->dmarc.publish);
    assert_int_equal(d->dmarc.p, DK_DMARC_NONE);
    assert_int_equal(d->dmarc.sp, DK_DMARC_UNSET);
    assert_int_equal(d->dmarc.np, DK_DMARC_UNSET);
    assert_int_equal(d->dmarc.pct, 100);
    assert_int_equal(d->dmarc.adkim, 'r');
    assert_int_equal(d->dmarc.aspf, 'r');
    assert_string_equal(d->dmarc.fo, "0");

    s = dk_domain_add_selector(&m, d, "S1", &e);
    assert_non_null(s);
    assert_string_equal(s->name, "s1");
    assert_int_equal(s->alg, DK_KEY_RSA);
    assert_int_equal(s->bits, 2048);
    assert_int_equal(s->state, DK_SEL_ACTIVE);
    assert_string_equal(s->key_path, "/etc/dkimkeys/example.org/s1.private");
    assert_ptr_equal(dk_domain_find_selector(d, "s1"), s);
    assert_null(dk_domain_find_selector(d, "s2"));
    assert_null(dk_domain_add_selector(&m, d, "s 2", &e));
    assert_non_null(strstr(e.msg, "a space"));
    assert_null(dk_model_add_domain(&m, "a:b", &e));
    assert_non_null(strstr(e.msg, "':'"));
    assert_int_equal(m.ndomains, 1);
    assert_null(dk_model_find_domain(&m, "example.net"));

    assert_string_equal(dk_keyalg_name(DK_KEY_ED25519), "ed25519");
    assert_string_equal(dk_selstate_name(DK_SEL_REVOKED), "revoked");
    dk_model_free(&m);
    assert_null(m.domains);
}

/* A minimal file gets every default, and the key path is derived. */
static void test_minimal_file(void **state)
{
    dk_model m;

    (void)state;
    parse_ok(&m, DOM "    selectors:\n      - name: sel\n"
                     "opendkim:\n  keys_dir: /var/lib/keys\n");
    assert_int_equal(m.ndomains, 1);
    assert_int_equal(m.domains[0].nsel, 1);
    assert_int_equal(m.domains[0].sel[0].bits, 2048);
    assert_string_equal(m.domains[0].sel[0].key_path, "/var/lib/keys/example.org/sel.private");
    assert_true(m.domains[0].spf.mx);
    assert_int_equal(m.opendkim.oversign.n, 1);
    dk_model_free(&m);
}

/* ---- canonical text ------------------------------------------------------------- */

static void test_canonical_fixture(void **state)
{
    dk_model m;
    dk_buf out;
    size_t len;
    char *text = read_fixture("canonical.yaml", &len);
    dk_err e;

    (void)state;
    if (dk_model_parse(&m, "canonical.yaml", text, len, &e) != 0)
        fail_msg("%u:%u: %s", e.line, e.col, e.msg);
    assert_int_equal(m.ndomains, 2);
    assert_int_equal(m.domains[0].nsel, 3);
    assert_int_equal(m.domains[0].sel[2].alg, DK_KEY_ED25519);
    assert_int_equal(m.domains[0].sel[2].bits, 0);
    assert_string_equal(m.domains[0].sel[2].name, "ed.2026");
    assert_int_equal(m.domains[0].spf.all, DK_Q_FAIL);
    assert_int_equal(m.domains[0].dmarc.sp, DK_DMARC_REJECT);
    assert_int_equal(m.domains[0].dmarc.adkim, 's');
    assert_string_equal(m.domains[0].dmarc.rua.v[1], "mailto:agg@reports.example!10m");
    assert_string_equal(m.domains[1].sel[0].name, "2026");
    assert_int_equal(m.postfix.chroot, DK_YES);
    save(&m, &out);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, text, len);
    dk_buf_free(&out);
    dk_model_free(&m);
    free(text);
}

static void test_save_parse_save(void **state)
{
    dk_model m, m2;
    dk_domain *d;
    dk_selector *s;
    dk_buf a, b;
    dk_err e;

    (void)state;
    dk_model_init(&m);
    d = dk_model_add_domain(&m, "bücher.example", &e);
    assert_non_null(d);
    s = dk_domain_add_selector(&m, d, "2026", &e); /* needs quoting */
    assert_non_null(s);
    s = dk_domain_add_selector(&m, d, "ed", &e);
    assert_non_null(s);
    s->alg = DK_KEY_ED25519;
    s->bits = 0;
    s->state = DK_SEL_PENDING;
    assert_int_equal(dk_strlist_add(&d->spf.ip6, "2001:db8::1", &e), 0);
    assert_int_equal(dk_strlist_add(&d->dmarc.rua, "mailto:d@example.org", &e), 0);
    assert_int_equal(dk_strlist_add(&m.opendkim.trusted_hosts, "192.0.2.0/24", &e), 0);
    d->dmarc.np = DK_DMARC_REJECT;
    m.postfix.chroot = DK_NO;
    (void)dk_strlcpy(m.opendkim.socket, "inet:8891@127.0.0.1", sizeof m.opendkim.socket);
    save(&m, &a);
    parse_ok(&m2, a.data);
    save(&m2, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_non_null(strstr(a.data, "name: xn--bcher-kva.example\n"));
    assert_non_null(strstr(a.data, "name: \"2026\"\n"));
    assert_non_null(strstr(a.data, "chroot: no\n"));
    assert_string_equal(m2.domains[0].sel[1].name, "ed");
    assert_int_equal(m2.domains[0].sel[1].state, DK_SEL_PENDING);
    assert_int_equal(m2.postfix.chroot, DK_NO);
    assert_string_equal(m2.opendkim.socket, "inet:8891@127.0.0.1");
    dk_buf_free(&a);
    dk_buf_free(&b);
    dk_model_free(&m);
    dk_model_free(&m2);
}

/* Quoting, flow style and key order of a hand-written file do not matter. */
static void test_noncanonical_input(void **state)
{
    dk_model m;
    dk_buf out;

    (void)state;
    parse_ok(&m, "opendkim: {user: \"dkim\", oversign: [From, To]}\n"
                 "domains: [{name: 'Example.ORG', selectors: [{name: s1, bits: 4096}]}]\n"
                 "version: 1\n");
    assert_string_equal(m.domains[0].name, "example.org");
    assert_int_equal(m.domains[0].sel[0].bits, 4096);
    assert_string_equal(m.opendkim.user, "dkim");
    assert_int_equal(m.opendkim.oversign.n, 2);
    save(&m, &out);
    assert_non_null(strstr(out.data, "  oversign:\n    - From\n    - To\n"));
    assert_true(strncmp(strstr(out.data, "version: 1\n"), "version: 1\ndomains:", 19) == 0);
    dk_buf_free(&out);
    dk_model_free(&m);
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error(HEAD "foo: 1\n", 2, 1, "unknown key 'foo'",
                 "accepted keys: version, domains, opendkim, postfix");
    expect_error(DOM "    selectors:\n      - name: s\n        size: 2048\n", 6, 9,
                 "domains[0].selectors[0]: unknown key 'size'",
                 "accepted keys: name, algorithm, bits, key_path, state");
    expect_error(HEAD "postfix:\n  chroot: auto\n  Chroot: yes\n", 4, 3, "unknown key 'Chroot'",
                 "config_dir, chroot, milter_default_action");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_error(HEAD "version: 1\n", 2, 1, "duplicate key 'version'", "line 1, column 1");
    expect_error(DOM "    spf: {mx: true, mx: false}\n", 4, 21,
                 "domains[0].spf: duplicate key 'mx'", "column 11");
    expect_error(DOM "    name: example.net\n", 4, 5, "duplicate key 'name'", NULL);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error(HEAD "domains:\n  - name: {a: b}\n", 3, 11, "domains[0].name: expected a string",
                 "found a mapping");
    expect_error(HEAD "domains: example.org\n", 2, 10, "domains: expected a list of mappings",
                 "found a string");
    expect_error(HEAD "domains:\n  - example.org\n", 3, 5, "domains[0]: expected a mapping",
                 "name, subdomains, selectors, spf, dmarc");
    expect_error(DOM "    selectors: [{name: s, bits: abc}]\n", 4, 33,
                 "selectors[0].bits: expected an integer", "'abc'");
    expect_error(DOM "    selectors: [{name: s, bits: \"2048\"}]\n", 4, 33, "expected an integer",
                 "quoted string");
    expect_error(DOM "    selectors: [{name: s, bits: -1}]\n", 4, 33, "expected an integer", NULL);
    expect_error(DOM "    subdomains: yes\n", 4, 17, "expected true or false", "'yes'");
    expect_error(DOM "    subdomains: \"true\"\n", 4, 17, "expected true or false", "quoted");
    expect_error(DOM "    spf:\n      ip4: 192.0.2.1\n", 5, 12, "spf.ip4: expected a list", NULL);
    expect_error(HEAD "opendkim: [a]\n", 2, 11, "opendkim: expected a mapping", "found a list");
    expect_error(HEAD "version: 1\n", 2, 1, "duplicate", NULL);
    expect_error("version: [1]\n", 1, 10, "version: expected an integer", "found a list");
    expect_error("- version: 1\n", 1, 1, "at the top level: expected a mapping", "found a list");
    expect_error("{[a]: 1}\n", 1, 2, "a key must be a string", NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_error(DOM "    dmarc: {pct: 101}\n", 4, 18, "dmarc.pct: 101 is out of range",
                 "accepted: 0..100");
    expect_error(DOM "    selectors: [{name: s, bits: 8192}]\n", 4, 33, "8192 is out of range",
                 "1024..4096");
    expect_error(DOM "    selectors: [{name: s, bits: 512}]\n", 4, 33,
                 "RSA keys of 512 bits are refused", "accepted: 1024..4096");
    expect_error(DOM "    selectors: [{name: s, bits: 99999999999}]\n", 4, 33,
                 "expected an integer", NULL);
    expect_error("version: 2\n", 1, 10, "version: 2 is out of range", "accepted: 1");
    expect_error(DOM "    dmarc: {fo: \"1:1\"}\n", 4, 17, "not a DMARC fo value", "0, 1, d, s");
    expect_error(DOM "    spf: {ip4: [192.0.2.1/33]}\n", 4, 17, "spf.ip4[0]", "prefix 0..32");
    expect_error(DOM "    spf: {ip4: [192.0.2.0/024]}\n", 4, 17, "not an IPv4 address", NULL);
    expect_error(DOM "    spf: {ip6: [\"::1/129\"]}\n", 4, 17, "not an IPv6 address", NULL);
    expect_error(DOM "    spf: {include: [\"bad domain\"]}\n", 4, 21, "spf.include[0]", "a space");
    expect_error(DOM "    dmarc: {rua: [\"dmarc@example.org\"]}\n", 4, 19, "not a mailto: URI",
                 NULL);
    expect_error(DOM "    dmarc: {rua: [\"mailto:a,b@example.org\"]}\n", 4, 19, "dmarc.rua[0]",
                 NULL);
    expect_error(HEAD "opendkim: {socket: \"unix:/x\"}\n", 2, 20, "not a milter socket",
                 "local:/run/opendkim/opendkim.sock");
    expect_error(HEAD "opendkim: {socket: \"local:run/x\"}\n", 2, 20, "clean absolute path", NULL);
    expect_error(HEAD "opendkim: {user: \"root;x\"}\n", 2, 18, "not a user name", NULL);
    expect_error(HEAD "opendkim: {oversign: [\"From:\"]}\n", 2, 23, "not a header field name",
                 NULL);
}

static void test_bad_enums(void **state)
{
    (void)state;
    expect_error(DOM "    selectors: [{name: s, algorithm: dsa}]\n", 4, 38,
                 "algorithm: 'dsa' is not accepted", "accepted: rsa, ed25519");
    expect_error(DOM "    selectors: [{name: s, state: live}]\n", 4, 34, "'live'",
                 "active, pending, retired, revoked");
    expect_error(DOM "    dmarc: {p: monitor}\n", 4, 16, "dmarc.p: 'monitor' is not accepted",
                 "accepted: none, quarantine, reject");
    expect_error(DOM "    dmarc: {p: inherit}\n", 4, 16, "'inherit' is not accepted", NULL);
    expect_error(DOM "    dmarc: {sp: all}\n", 4, 17, "accepted: inherit, none, quarantine, reject",
                 NULL);
    expect_error(DOM "    dmarc: {adkim: x}\n", 4, 20, "accepted: r, s", NULL);
    expect_error(DOM "    spf: {all: \"~\"}\n", 4, 16, "accepted: pass, fail, softfail, neutral",
                 NULL);
    expect_error(HEAD "opendkim: {mode: v}\n", 2, 18, "accepted: s, sv", NULL);
    expect_error(HEAD "opendkim: {canonicalization: relaxed/none}\n", 2, 30,
                 "accepted: relaxed/simple", NULL);
    expect_error(HEAD "postfix: {chroot: maybe}\n", 2, 19, "accepted: auto, yes, no", NULL);
    expect_error(HEAD "postfix: {milter_default_action: drop}\n", 2, 34,
                 "accept, tempfail, reject, quarantine", NULL);
}

static void test_names_in_yaml(void **state)
{
    dk_model m;

    (void)state;
    expect_error(HEAD "domains:\n  - name: \"exa mple.org\"\n", 3, 11, "domains[0].name",
                 "a space");
    expect_error(HEAD "domains:\n  - name: \"a/b.org\"\n", 3, 11, "'/'", NULL);
    expect_error(HEAD "domains:\n  - name: \"a%b.org\"\n", 3, 11, "'%'", NULL);
    expect_error(HEAD "domains:\n  - name: \"../../etc\"\n", 3, 11, "'..'", NULL);
    expect_error(HEAD "domains:\n  - name: \"a\\nb.org\"\n", 3, 11, "a newline", NULL);
    expect_error(DOM "    selectors: [{name: \"s:1\"}]\n", 4, 24, "selectors[0].name", "':'");
    expect_error(DOM "    selectors: [{name: \"s#1\"}]\n", 4, 24, "'#'", NULL);
    expect_error(DOM "    selectors: [{name: s1, key_path: keys/s1.private}]\n", 4, 38, "key_path",
                 "clean absolute path");
    expect_error(DOM "    selectors: [{name: s1, key_path: /etc/dkimkeys/../shadow}]\n", 4, 38,
                 "clean absolute path", NULL);
    expect_error(DOM "    selectors: [{}]\n", 4, 17, "the key 'name' is required", NULL);
    expect_error(HEAD "domains:\n  - subdomains: true\n", 3, 5, "domains[0]: the key 'name'", NULL);
    expect_error("domains: []\n", 1, 1, "the key 'version' is required", NULL);
    expect_error(HEAD "opendkim:\n  user: \"op\\tendkim\"\n", 3, 9, "a tab at position 3", NULL);
    expect_error(HEAD "opendkim:\n  keys_dir: \"\"\n", 3, 13, "clean absolute path", NULL);

    parse_ok(&m, HEAD "domains:\n  - name: \"Bücher.example\"\n");
    assert_string_equal(m.domains[0].name, "xn--bcher-kva.example");
    dk_model_free(&m);
}

static void test_yaml_features_refused(void **state)
{
    (void)state;
    expect_error("version: &v 1\n", 1, 10, "anchors and aliases (&v)", NULL);
    expect_error(HEAD "opendkim: &o {user: x}\n", 2, 11, "anchors", NULL);
    expect_error("version: *v\n", 1, 10, "aliases (*v)", NULL);
    expect_error("version: !!int 1\n", 1, 10, "tags (tag:yaml.org,2002:int)", NULL);
    expect_error(HEAD "opendkim: !custom {user: x}\n", 2, 11, "tags", NULL);
    expect_error("%YAML 1.1\n---\nversion: 1\n", 1, 1, "directives", NULL);
    expect_error(HEAD "---\nversion: 1\n", 2, 1, "a second YAML document", NULL);
    expect_error(HEAD "...\n---\n", 3, 1, "a second YAML document", NULL);
    expect_error("", 1, 1, "the file is empty", "version, domains, opendkim, postfix");
    expect_error("# only a comment\n\n", 1, 1, "the file is empty", NULL);
    expect_error("---\n", 0, 0, "expected a mapping", "found an empty value");
    expect_error("version: 1\n  bad indent: x\n", 2, 13, "YAML syntax error", NULL);
    expect_error("version: \"unterminated\n", 0, 0, "YAML syntax error", NULL);
}

static void test_bytes_refused(void **state)
{
    (void)state;
    /* A raw NUL byte. */
    expect_error_n("version: 1\nfoo\0: 1\n", 19, 2, 4, "NUL byte", NULL);
    /* A NUL through an escape. */
    expect_error(HEAD "opendkim:\n  user: \"a\\0b\"\n", 3, 9, "NUL byte", NULL);
    expect_error(HEAD "domains:\n  - name: \"exa\\0mple.org\"\n", 3, 11, "NUL byte", NULL);
    expect_error(DOM "    selectors: [{name: \"s\\x00\"}]\n", 4, 24, "NUL byte", NULL);
    /* Invalid UTF-8: libyaml's reader refuses it; we report line and column. */
    expect_error(HEAD "opendkim:\n  user: op\xff\n", 3, 11, "invalid leading UTF-8 octet", "UTF-8");
    expect_error(HEAD "opendkim:\n  user: \xc3\x28\n", 3, 10, "UTF-8", NULL);
    /* Overlong encoding of '/'. */
    expect_error(HEAD "opendkim:\n  user: \xc0\xaf\n", 3, 9, "UTF-8", NULL);
    /* A raw control character. */
    expect_error(HEAD "opendkim:\n  user: a\x01\n", 3, 10, "control characters", NULL);
    /* UTF-16 with a byte-order mark is not UTF-8. */
    expect_error_n("\xff\xfev\0e\0r\0:\0 \0\x31\0", 14, 0, 0, "NUL byte", NULL);
}

static void test_nesting(void **state)
{
    enum { DEEP = 10000 };
    char *text = malloc(DEEP * 5 + 16), *p;

    (void)state;
    assert_non_null(text);
    /* Within the depth limit but deeper than the schema where it is used. */
    expect_error(DOM "    spf: {ip4: [[192.0.2.1]]}\n", 4, 17, "nesting deeper than the schema",
                 NULL);
    expect_error(DOM "    spf: {ip4: [[[192.0.2.1]]]}\n", 4, 17, "nesting deeper than the schema",
                 "at most 5 levels");
    /* 10,000 levels of flow sequences: a clean error, no stack overflow. */
    memset(text, '[', DEEP);
    memset(text + DEEP, ']', DEEP);
    text[2 * DEEP] = '\0';
    expect_error(text, 1, 6, "nesting deeper than the schema", NULL);
    /* 10,000 levels of flow mappings. */
    p = text;
    for (int i = 0; i < DEEP; i++) {
        memcpy(p, "{a: ", 4);
        p += 4;
    }
    *p++ = '1';
    memset(p, '}', DEEP);
    p[DEEP] = '\0';
    expect_error(text, 1, 21, "nesting deeper than the schema", NULL);
    /* 10,000 levels of block sequences. */
    p = text;
    for (int i = 0; i < DEEP; i++) {
        memcpy(p, "- ", 2);
        p += 2;
    }
    memcpy(p, "x\n", 3);
    expect_error(text, 1, 11, "nesting deeper than the schema", NULL);
    free(text);
}

static void test_too_many(void **state)
{
    dk_buf b;

    (void)state;
    dk_buf_init(&b, 0);
    assert_int_equal(dk_buf_puts(&b, DOM "    spf:\n      ip4:\n", NULL), 0);
    for (int i = 0; i < 257; i++)
        assert_int_equal(dk_buf_printf(&b, NULL, "        - 192.0.2.%d\n", i % 250), 0);
    expect_error(b.data, 6, 9, "spf.ip4: 257 entries; at most 256", NULL);
    dk_buf_reset(&b);
    assert_int_equal(dk_buf_puts(&b, DOM "    selectors:\n", NULL), 0);
    for (int i = 0; i < 65; i++)
        assert_int_equal(dk_buf_printf(&b, NULL, "      - name: s%d\n", i), 0);
    expect_error(b.data, 5, 7, "selectors: 65 entries; at most 64", NULL);
    dk_buf_free(&b);
}

static void test_too_large(void **state)
{
    size_t n = DK_MODEL_MAXSIZE + 1;
    char *text = malloc(n);
    dk_model m;
    dk_err e;

    (void)state;
    assert_non_null(text);
    memset(text, '#', n);
    assert_int_equal(dk_model_parse(&m, "big.yaml", text, n, &e), -1);
    assert_non_null(strstr(e.msg, "larger than"));
    dk_model_free(&m);
    free(text);
}

/* ---- load from a root ------------------------------------------------------------ */

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    if (fputs(text, f) < 0) {
        (void)fclose(f);
        return -1;
    }
    return fclose(f);
}

static void test_load(void **state)
{
    char dir[] = "/tmp/dkimctl-model-XXXXXX", path[256], other[256];
    dk_root root;
    dk_model m;
    dk_err e;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(dk_root_init(&root, dir, &e), 0);
    assert_int_equal(dk_model_load(&m, &root, DK_MODEL_PATH, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    assert_string_equal(m.opendkim.user, "opendkim");
    dk_model_free(&m);

    (void)snprintf(path, sizeof path, "%s/etc", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    (void)snprintf(path, sizeof path, "%s/etc/dkimctl", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    (void)snprintf(path, sizeof path, "%s/etc/dkimctl/dkimctl.yaml", dir);
    assert_int_equal(write_file(path, DOM "    selectors: [{name: s1}]\n"), 0);
    assert_int_equal(dk_model_load(&m, &root, DK_MODEL_PATH, &e), 0);
    assert_string_equal(m.domains[0].sel[0].name, "s1");
    dk_model_free(&m);

    /* Errors name the system path and the line. */
    assert_int_equal(write_file(path, HEAD "bogus: 1\n"), 0);
    assert_int_equal(dk_model_load(&m, &root, DK_MODEL_PATH, &e), -1);
    assert_string_equal(e.file, DK_MODEL_PATH);
    assert_int_equal(e.line, 2);
    dk_model_free(&m);

    /* A symlink planted at the model path is not followed. */
    (void)snprintf(other, sizeof other, "%s/elsewhere.yaml", dir);
    assert_int_equal(write_file(other, DOM), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(other, path), 0);
    assert_int_equal(dk_model_load(&m, &root, DK_MODEL_PATH, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "symbolic link"));
    assert_int_equal(m.ndomains, 0);
    dk_model_free(&m);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(other), 0);
    (void)snprintf(path, sizeof path, "%s/etc/dkimctl", dir);
    assert_int_equal(rmdir(path), 0);
    (void)snprintf(path, sizeof path, "%s/etc", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- validation ---------------------------------------------------------------------- */

/* Is there a finding of severity sev whose text contains s and that has a fix? */
static bool has_finding(const dk_findings *f, enum dk_severity sev, const char *where,
                        const char *s)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].sev == sev && strstr(f->v[i].what, s) != NULL &&
            strcmp(f->v[i].where, where) == 0 && f->v[i].fix[0] != '\0')
            return true;
    return false;
}

static void validate_text(const char *text, dk_findings *f)
{
    dk_model m;

    parse_ok(&m, text);
    dk_findings_init(f);
    assert_int_equal(dk_model_validate(&m, f), 0);
    dk_model_free(&m);
}

static void test_validate(void **state)
{
    dk_findings f;
    dk_model m;
    dk_domain *d;
    dk_err e;

    (void)state;
    validate_text(DOM "    selectors: [{name: s1}]\n    dmarc: {rua: [\"mailto:d@example.org\"], "
                      "p: reject}\n",
                  &f);
    assert_int_equal(f.n, 0); /* a good model has nothing to say */
    dk_findings_free(&f);

    validate_text(HEAD, &f);
    assert_true(has_finding(&f, DK_SEV_WARN, "domains", "no domains"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1}]\n  - name: EXAMPLE.org\n"
                      "    selectors: [{name: s2}]\n",
                  &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[1]", "listed twice"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1}, {name: S1, key_path: /k/x}]\n", &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0].selectors[1]", "listed twice"));
    assert_true(has_finding(&f, DK_SEV_WARN, "domains[0]", "2 active selectors"));
    assert_true(has_finding(&f, DK_SEV_INFO, "domains[0].selectors[1]", "outside keys_dir"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1, state: pending}, {name: s0, state: retired}]\n",
                  &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0]", "no active selector"));
    dk_findings_free(&f);

    validate_text(DOM, &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0]", "has no selector"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1, bits: 1024}]\n", &f);
    assert_true(has_finding(&f, DK_SEV_WARN, "domains[0].selectors[0]", "1024-bit RSA key"));
    assert_int_equal(dk_findings_worst(&f), DK_SEV_WARN);
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1, algorithm: ed25519}]\n", &f);
    assert_true(has_finding(&f, DK_SEV_WARN, "domains[0]", "Ed25519 only"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1}]\n  - name: example.net\n"
                      "    selectors: [{name: s1, key_path: /etc/dkimkeys/example.org/s1.private}]"
                      "\n",
                  &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[1].selectors[0]", "also used by"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1}]\n    spf: {all: pass}\n", &f);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0].spf", "+all"));
    dk_findings_free(&f);

    validate_text(DOM "    selectors: [{name: s1}]\n    spf: {mx: false}\n", &f);
    assert_true(has_finding(&f, DK_SEV_WARN, "domains[0].spf", "authorises no host"));
    assert_true(has_finding(&f, DK_SEV_INFO, "domains[0].dmarc", "p=none"));
    assert_true(has_finding(&f, DK_SEV_INFO, "domains[0].dmarc", "no aggregate reports"));
    dk_findings_free(&f);

    /* What the parser refuses can still be built in memory: validate catches it. */
    dk_model_init(&m);
    d = dk_model_add_domain(&m, "example.org", &e);
    assert_non_null(d);
    assert_non_null(dk_domain_add_selector(&m, d, "s1", &e));
    (void)dk_strlcpy(d->sel[0].key_path, "relative/key", sizeof d->sel[0].key_path);
    d->sel[0].bits = 512;
    dk_findings_init(&f);
    assert_int_equal(dk_model_validate(&m, &f), 0);
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0].selectors[0]", "not a clean absolute"));
    assert_true(has_finding(&f, DK_SEV_CRIT, "domains[0].selectors[0]", "512 of selector s1"));
    dk_findings_free(&f);
    dk_model_free(&m);
}

/* ---- schema ------------------------------------------------------------------------- */

static void test_schema(void **state)
{
    size_t n, i;
    const dk_schema_info *s = dk_model_schema(&n);
    bool bits = false, keys = false, all = false;

    (void)state;
    assert_true(n > 40);
    for (i = 0; i < n; i++) {
        assert_non_null(s[i].path);
        assert_non_null(s[i].help);
        assert_true(s[i].help[0] != '\0');
        if (strcmp(s[i].path, "domains[].selectors[].bits") == 0) {
            bits = true;
            assert_string_equal(s[i].defval, "2048");
            assert_string_equal(s[i].type, "integer");
        }
        if (strcmp(s[i].path, "opendkim.keys_dir") == 0) {
            keys = true;
            assert_string_equal(s[i].defval, "/etc/dkimkeys");
        }
        if (strcmp(s[i].path, "domains[].spf.all") == 0) {
            all = true;
            assert_string_equal(s[i].accepts, "pass | fail | softfail | neutral");
            assert_string_equal(s[i].defval, "softfail");
        }
    }
    assert_true(bits && keys && all);
    s = dk_answers_schema(&n);
    assert_true(n > 8);
    assert_string_equal(s[0].path, "domains");
}

/* ---- answers ---------------------------------------------------------------------------- */

static time_t nov2026(void)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 10;
    tm.tm_mday = 27;
    return timegm(&tm);
}

static void test_answers_file(void **state)
{
    dk_answers a;
    dk_model m;
    size_t len;
    char *text = read_fixture("answers.yaml", &len);
    dk_err e;

    (void)state;
    if (dk_answers_parse(&a, "answers.yaml", text, len, nov2026(), &e) != 0)
        fail_msg("%u:%u: %s", e.line, e.col, e.msg);
    assert_int_equal(a.domains.n, 2);
    assert_string_equal(a.domains.v[1], "xn--bcher-kva.example");
    assert_true(a.has_selector && a.has_bits && a.has_spf && a.has_dmarc && a.has_socket);
    assert_int_equal(a.bits, 3072);
    dk_model_init(&m);
    assert_int_equal(dk_answers_apply(&a, &m, &e), 0);
    assert_int_equal(m.ndomains, 2);
    assert_string_equal(m.domains[1].sel[0].name, "s2026");
    assert_int_equal(m.domains[1].sel[0].bits, 3072);
    assert_true(m.domains[1].subdomains);
    assert_int_equal(m.domains[0].spf.all, DK_Q_FAIL);
    assert_true(m.domains[0].spf.mx); /* default kept */
    assert_string_equal(m.domains[0].spf.ip4.v[0], "192.0.2.10");
    assert_int_equal(m.domains[1].dmarc.p, DK_DMARC_QUARANTINE);
    assert_string_equal(m.opendkim.socket, "inet:8891@127.0.0.1");
    /* The lists were copied, not shared: freeing both is safe (ASan checks). */
    dk_answers_free(&a);
    dk_model_free(&m);
    free(text);
}

static void test_answers_defaults_and_update(void **state)
{
    dk_answers a;
    dk_model m;
    dk_err e;

    (void)state;
    dk_answers_init(&a, nov2026());
    assert_string_equal(a.selector, "s202611");
    assert_int_equal(a.alg, DK_KEY_RSA);
    assert_int_equal(a.bits, 2048);
    assert_int_equal(dk_answers_set(&a, "domains", "example.org", "--domain", &e), 0);
    dk_model_init(&m);
    assert_int_equal(dk_answers_apply(&a, &m, &e), 0);
    assert_int_equal(m.domains[0].sel[0].state, DK_SEL_ACTIVE);
    assert_string_equal(m.domains[0].sel[0].key_path, "/etc/dkimkeys/example.org/s202611.private");
    /* Same answers again: nothing changes. */
    assert_int_equal(dk_answers_apply(&a, &m, &e), 0);
    assert_int_equal(m.ndomains, 1);
    assert_int_equal(m.domains[0].nsel, 1);
    /* A second selector on a domain that has an active one is pending. */
    assert_int_equal(dk_answers_set(&a, "selector", "s2027", "--selector", &e), 0);
    assert_int_equal(dk_answers_set(&a, "algorithm", "ed25519", "--algorithm", &e), 0);
    m.domains[0].spf.a = true; /* not given: kept */
    assert_int_equal(dk_answers_apply(&a, &m, &e), 0);
    assert_int_equal(m.domains[0].nsel, 2);
    assert_int_equal(m.domains[0].sel[1].state, DK_SEL_PENDING);
    assert_int_equal(m.domains[0].sel[1].alg, DK_KEY_ED25519);
    assert_int_equal(m.domains[0].sel[1].bits, 0);
    assert_true(m.domains[0].spf.a);
    /* The same selector name with another key is refused. */
    assert_int_equal(dk_answers_set(&a, "algorithm", "rsa", "--algorithm", &e), 0);
    assert_int_equal(dk_answers_apply(&a, &m, &e), -1);
    assert_non_null(strstr(e.msg, "already has the selector s2027"));
    /* Flags are checked like the file, and named in the message. */
    assert_int_equal(dk_answers_set(&a, "bits", "512", "--bits", &e), 0);
    assert_int_equal(dk_answers_set(&a, "selector", "s2028", "--selector", &e), 0);
    assert_int_equal(dk_answers_apply(&a, &m, &e), -1);
    assert_non_null(strstr(e.msg, "512 bits are refused"));
    assert_int_equal(dk_answers_set(&a, "bits", "lots", "--bits", &e), -1);
    assert_non_null(strstr(e.msg, "--bits: expected an integer"));
    assert_int_equal(dk_answers_set(&a, "algorithm", "dsa", "--algorithm", &e), -1);
    assert_non_null(strstr(e.msg, "--algorithm: 'dsa' is not accepted; accepted: rsa, ed25519"));
    assert_int_equal(dk_answers_set(&a, "domains", "a b", "--domain", &e), -1);
    assert_non_null(strstr(e.msg, "--domain"));
    assert_non_null(strstr(e.msg, "a space"));
    assert_int_equal(dk_answers_set(&a, "socket", "tcp:1", "--socket", &e), -1);
    assert_non_null(strstr(e.msg, "--socket"));
    dk_answers_free(&a);
    dk_model_free(&m);

    /* No domain anywhere. */
    dk_answers_init(&a, nov2026());
    dk_model_init(&m);
    assert_int_equal(dk_answers_apply(&a, &m, &e), -1);
    assert_non_null(strstr(e.msg, "no domain given"));
    dk_answers_free(&a);
    dk_model_free(&m);
}

static void answers_error(const char *text, unsigned line, unsigned col, const char *s)
{
    dk_answers a;
    dk_err e;

    if (dk_answers_parse(&a, "a.yaml", text, strlen(text), nov2026(), &e) != -1)
        fail_msg("accepted: %s", text);
    if (e.line != line || e.col != col || strstr(e.msg, s) == NULL)
        fail_msg("%u:%u: %s (want %u:%u '%s')", e.line, e.col, e.msg, line, col, s);
    assert_int_equal(a.domains.n, 0);
    assert_false(a.has_selector);
    dk_answers_free(&a);
}

static void test_answers_refused(void **state)
{
    (void)state;
    answers_error("domain: example.org\n", 1, 1, "unknown key 'domain'; accepted keys: domains");
    answers_error("selector: a\nselector: b\n", 2, 1, "duplicate key 'selector'");
    answers_error("domains: example.org\n", 1, 10, "expected a list of strings");
    answers_error("bits: 100000\n", 1, 7, "out of range");
    answers_error("bits: 768\n", 1, 7, "768 bits are refused");
    answers_error("algorithm: rsa-sha1\n", 1, 12, "accepted: rsa, ed25519");
    answers_error("spf: {all: maybe}\n", 1, 12, "spf.all");
    answers_error("spf: {foo: 1}\n", 1, 7, "spf: unknown key 'foo'");
    answers_error("dmarc: {p: &x none}\n", 1, 12, "anchors");
    answers_error("domains: [[a]]\n", 1, 11, "nesting deeper than the schema");
    answers_error("spf: {ip4: [[a]]}\n", 1, 13, "nesting deeper than the schema");
    answers_error("", 1, 1, "the file is empty");
    answers_error("domains: [\"ex ample.org\"]\n", 1, 11, "domains[0]");
}

static void test_answers_ed25519_bits_ignored(void **state)
{
    dk_answers a;
    dk_err e;
    const char *text = "algorithm: ed25519\nbits: 4096\n";

    (void)state;
    assert_int_equal(dk_answers_parse(&a, "a.yaml", text, strlen(text), nov2026(), &e), 0);
    assert_int_equal(a.bits, 0);
    dk_answers_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_minimal_file),
        cmocka_unit_test(test_canonical_fixture),
        cmocka_unit_test(test_save_parse_save),
        cmocka_unit_test(test_noncanonical_input),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_bad_enums),
        cmocka_unit_test(test_names_in_yaml),
        cmocka_unit_test(test_yaml_features_refused),
        cmocka_unit_test(test_bytes_refused),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_answers_file),
        cmocka_unit_test(test_answers_defaults_and_update),
        cmocka_unit_test(test_answers_refused),
        cmocka_unit_test(test_answers_ed25519_bits_ignored),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
