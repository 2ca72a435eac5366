/*
 * schema.c - the one table that describes dkimctl.yaml (and the answers
 * file): keys, types, defaults, bounds, accepted values, checkers, help.
 * Loading, saving, defaults, freeing and the help text all read it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "model/answers.h"
#include "model/model.h"
#include "model/name.h"
#include "util/mem.h"

_Static_assert(sizeof(enum dk_keyalg) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dk_selstate) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dk_qualifier) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dk_dmarc_p) == sizeof(int), "enum size");
_Static_assert(sizeof(enum dk_tristate) == sizeof(int), "enum size");

/* ---- checkers ------------------------------------------------------------ */

static int copy_out(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    if (dk_strlcpy(out, in, size) < 0)
        return dk_err_set(e, DK_EINVAL, "%s: longer than %zu bytes", field, size - 1);
    return 0;
}

/* "/N" prefix length: digits, no leading zero, 0..max.  Returns -1 if bad. */
static int prefix_len(const char *p, unsigned max)
{
    unsigned v = 0;

    if (p[0] == '\0' || (p[0] == '0' && p[1] != '\0'))
        return -1;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return -1;
    }
    return (int)v;
}

static bool is_cidr(int af, const char *in)
{
    char addr[INET6_ADDRSTRLEN + 8];
    unsigned char bin[16];
    const char *slash = strchr(in, '/');
    size_t n = slash != NULL ? (size_t)(slash - in) : strlen(in);

    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, in, n);
    addr[n] = '\0';
    if (inet_pton(af, addr, bin) != 1)
        return false;
    return slash == NULL || prefix_len(slash + 1, af == AF_INET ? 32 : 128) >= 0;
}

static int check_ip4(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    if (!is_cidr(AF_INET, in))
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' is not an IPv4 address; accepted: 192.0.2.1 or "
                          "192.0.2.0/24 (prefix 0..32)",
                          field, in);
    return copy_out(in, out, size, field, e);
}

static int check_ip6(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    if (!is_cidr(AF_INET6, in))
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' is not an IPv6 address; accepted: 2001:db8::1 or "
                          "2001:db8::/32 (prefix 0..128)",
                          field, in);
    return copy_out(in, out, size, field, e);
}

static int check_domain(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    return dk_name_domain(in, field, out, size, e);
}

static int check_host(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    if (is_cidr(AF_INET, in) || is_cidr(AF_INET6, in))
        return copy_out(in, out, size, field, e);
    if (dk_name_domain(in, field, out, size, e) < 0)
        return dk_err_prefix(e, "not an IP address, CIDR block or host name: ");
    return 0;
}

/* mailto:LOCAL@DOMAIN[!SIZE[k|m|g|t]] (RFC 7489 6.2). */
static int check_mailto(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    char dom[DK_DOMAIN_MAX], dbuf[DK_DOMAIN_MAX], local[128], sizesuf[24] = "";
    const char *at, *bang, *d;
    size_t nlocal, ndom;

    if (strncasecmp(in, "mailto:", 7) != 0)
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' is not a mailto: URI; accepted: mailto:dmarc@example.org",
                          field, in);
    d = in + 7;
    at = strrchr(d, '@');
    if (at == NULL || at == d)
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' has no address; accepted: mailto:dmarc@example.org", field, in);
    nlocal = (size_t)(at - d);
    if (nlocal >= sizeof local)
        return dk_err_set(e, DK_EINVAL, "%s: local part too long", field);
    for (size_t i = 0; i < nlocal; i++) {
        unsigned char c = (unsigned char)d[i];

        if (c <= 0x20 || c >= 0x7f || c == ',' || c == '!' || c == ';' || c == '@' || c == '"' ||
            c == '\\')
            return dk_err_set(e, DK_EINVAL,
                              "%s: '%s': the character at position %zu is not accepted in "
                              "the address (no spaces, ',', '!', ';' or quotes)",
                              field, in, i + 8);
    }
    memcpy(local, d, nlocal);
    local[nlocal] = '\0';
    bang = strchr(at + 1, '!');
    ndom = bang != NULL ? (size_t)(bang - at - 1) : strlen(at + 1);
    if (ndom >= sizeof dbuf)
        return dk_err_set(e, DK_EINVAL, "%s: domain too long", field);
    memcpy(dbuf, at + 1, ndom);
    dbuf[ndom] = '\0';
    if (dk_name_domain(dbuf, field, dom, sizeof dom, e) < 0)
        return -1;
    if (bang != NULL) {
        const char *p = bang + 1;
        size_t nd = strspn(p, "0123456789");

        if (nd == 0 || nd > 15 ||
            (p[nd] != '\0' && (strchr("kmgt", p[nd]) == NULL || p[nd + 1] != '\0')))
            return dk_err_set(e, DK_EINVAL,
                              "%s: '%s': the size limit after '!' must be digits with an "
                              "optional k, m, g or t",
                              field, in);
        (void)snprintf(sizesuf, sizeof sizesuf, "!%s", p);
    }
    if (snprintf(out, size, "mailto:%s@%s%s", local, dom, sizesuf) >= (int)size)
        return dk_err_set(e, DK_EINVAL, "%s: too long", field);
    return 0;
}

/* A header field name (RFC 5322 ftext). */
static int check_header(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    size_t n = strlen(in);

    if (n == 0 || n > 64)
        return dk_err_set(e, DK_EINVAL, "%s: a header field name of 1..64 characters is required",
                          field);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] <= 0x20 || (unsigned char)in[i] >= 0x7f || in[i] == ':' ||
            in[i] == ',')
            return dk_err_set(e, DK_EINVAL,
                              "%s: '%s' is not a header field name (printable ASCII, no "
                              "':', ',' or spaces)",
                              field, in);
    return copy_out(in, out, size, field, e);
}

/* "" | local:/clean/path | inet:PORT[@HOST] | inet6:PORT[@HOST] (OpenDKIM Socket). */
static int check_socket(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    static const char accepted[] = "accepted: \"\" (derived from the Postfix chroot), "
                                   "local:/run/opendkim/opendkim.sock, inet:8891@127.0.0.1";
    const char *rest = NULL;

    if (in[0] == '\0')
        return copy_out(in, out, size, field, e);
    if (strncmp(in, "local:", 6) == 0) {
        if (!dk_path_is_clean(in + 6) || strcmp(in + 6, "/") == 0)
            return dk_err_set(e, DK_EINVAL,
                              "%s: '%s': the socket path must be a clean absolute path; %s", field,
                              in, accepted);
        return copy_out(in, out, size, field, e);
    }
    if (strncmp(in, "inet:", 5) == 0)
        rest = in + 5;
    else if (strncmp(in, "inet6:", 6) == 0)
        rest = in + 6;
    if (rest != NULL) {
        const char *at = strchr(rest, '@');
        char port[8];
        size_t n = at != NULL ? (size_t)(at - rest) : strlen(rest);
        int p;

        if (n == 0 || n >= sizeof port)
            goto bad;
        memcpy(port, rest, n);
        port[n] = '\0';
        p = prefix_len(port, 65535);
        if (p <= 0)
            goto bad;
        if (at != NULL) {
            char host[DK_DOMAIN_MAX];

            if (!is_cidr(AF_INET, at + 1) && !is_cidr(AF_INET6, at + 1) &&
                dk_name_domain(at + 1, field, host, sizeof host, NULL) < 0)
                goto bad;
            if (strchr(at + 1, '/') != NULL)
                goto bad;
        }
        return copy_out(in, out, size, field, e);
    }
bad:
    return dk_err_set(e, DK_EINVAL, "%s: '%s' is not a milter socket; %s", field, in, accepted);
}

/* A system user name. */
static int check_user(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    size_t n = strlen(in);
    bool ok = n > 0 && n <= 32 && ((in[0] >= 'a' && in[0] <= 'z') || in[0] == '_');

    for (size_t i = 1; ok && i < n; i++)
        ok = (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= '0' && in[i] <= '9') || in[i] == '_' ||
             in[i] == '-';
    if (!ok)
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' is not a user name (1..32 of a-z, 0-9, '_', '-', "
                          "starting with a letter or '_')",
                          field, in);
    return copy_out(in, out, size, field, e);
}

/* DMARC fo: a colon list of 0, 1, d, s, each at most once. */
static int check_fo(const char *in, char *out, size_t size, const char *field, dk_err *e)
{
    char seen[4] = {0, 0, 0, 0};
    size_t n = strlen(in);
    bool ok = n > 0 && n % 2 == 1;

    for (size_t i = 0; ok && i < n; i++) {
        if (i % 2 == 1) {
            ok = in[i] == ':';
            continue;
        }
        const char *p = strchr("01ds", in[i]);

        ok = in[i] != '\0' && p != NULL && !seen[p - "01ds"];
        if (ok)
            seen[p - "01ds"] = 1;
    }
    if (!ok)
        return dk_err_set(e, DK_EINVAL,
                          "%s: '%s' is not a DMARC fo value; accepted: 0, 1, d, s or a "
                          "colon list of them such as 1:d",
                          field, in);
    return copy_out(in, out, size, field, e);
}

/* ---- words --------------------------------------------------------------- */

static const char *const w_alg[] = {"rsa", "ed25519"};
static const char *const w_state[] = {"active", "pending", "retired", "revoked"};
static const char *const w_qual[] = {"pass", "fail", "softfail", "neutral"};
static const char *const w_p[] = {NULL, "none", "quarantine", "reject"};
static const char *const w_sp[] = {"inherit", "none", "quarantine", "reject"};
static const char *const w_rs[] = {"r", "s"};
static const char *const w_mode[] = {"s", "sv"};
static const char *const w_canon[] = {"relaxed/simple", "relaxed/relaxed", "simple/simple",
                                      "simple/relaxed", "relaxed",         "simple"};
static const char *const w_tri[] = {"auto", "yes", "no"};
static const char *const w_action[] = {"accept", "tempfail", "reject", "quarantine"};

#define NF(w)       (sizeof(w) / sizeof((w)[0]))
#define NW(w)       (w), NF(w)
#define MSIZE(T, m) sizeof(((T *)0)->m)

#define F_STR(T, m, k, def, chk, acc, hlp)                                                         \
    {                                                                                              \
        .key = k, .type = DK_F_STR, .off = offsetof(T, m), .size = MSIZE(T, m), .check = chk,      \
        .defval = def, .type_name = "string", .accepts = acc, .help = hlp                          \
    }
#define F_WORD(T, m, k, def, w, hlp)                                                               \
    {                                                                                              \
        .key = k, .type = DK_F_STR, .off = offsetof(T, m), .size = MSIZE(T, m), .names = NW(w),    \
        .defval = def, .type_name = "enum", .help = hlp                                            \
    }
#define F_PATH(T, m, k, def, hlp)                                                                  \
    {                                                                                              \
        .key = k, .type = DK_F_PATH, .off = offsetof(T, m), .size = MSIZE(T, m), .defval = def,    \
        .type_name = "path", .accepts = "a clean absolute path", .help = hlp                       \
    }
#define F_UINT(T, m, k, def, lo, hi, acc, hlp)                                                     \
    {                                                                                              \
        .key = k, .type = DK_F_UINT, .off = offsetof(T, m), .min = lo, .max = hi, .defval = def,   \
        .type_name = "integer", .accepts = acc, .help = hlp                                        \
    }
#define F_BOOL(T, m, k, def, hlp)                                                                  \
    {                                                                                              \
        .key = k, .type = DK_F_BOOL, .off = offsetof(T, m), .defval = def, .type_name = "boolean", \
        .accepts = "true or false", .help = hlp                                                    \
    }
#define F_ENUM(T, m, k, def, w, hlp)                                                               \
    {                                                                                              \
        .key = k, .type = DK_F_ENUM, .off = offsetof(T, m), .names = NW(w), .defval = def,         \
        .type_name = "enum", .help = hlp                                                           \
    }
#define F_CHAR(T, m, k, def, w, hlp)                                                               \
    {                                                                                              \
        .key = k, .type = DK_F_CHAR, .off = offsetof(T, m), .names = NW(w), .defval = def,         \
        .type_name = "enum", .help = hlp                                                           \
    }
#define F_LIST(T, m, k, def, chk, acc, hlp)                                                        \
    {                                                                                              \
        .key = k, .type = DK_F_LIST, .off = offsetof(T, m), .size = DK_PATH_MAX, .check = chk,     \
        .max = DK_LIST_MAX, .defval = def, .type_name = "list", .accepts = acc, .help = hlp        \
    }
#define F_MAP(T, m, k, s, hlp)                                                                     \
    {                                                                                              \
        .key = k, .type = DK_F_MAP, .off = offsetof(T, m), .sub = &(s), .type_name = "mapping",    \
        .help = hlp                                                                                \
    }

/* ---- SPF and DMARC (shared by the model and the answers file) ------------ */

static const dk_field spf_fields[] = {
    F_BOOL(dk_spf_policy, publish, "publish", "true", "Publish an SPF record for the domain."),
    F_BOOL(dk_spf_policy, mx, "mx", "true", "Hosts named in the domain's MX records may send."),
    F_BOOL(dk_spf_policy, a, "a", "false", "Hosts the domain's A/AAAA records name may send."),
    F_LIST(dk_spf_policy, ip4, "ip4", NULL, check_ip4, "IPv4 addresses or CIDR blocks",
           "IPv4 addresses allowed to send."),
    F_LIST(dk_spf_policy, ip6, "ip6", NULL, check_ip6, "IPv6 addresses or CIDR blocks",
           "IPv6 addresses allowed to send."),
    F_LIST(dk_spf_policy, include, "include", NULL, check_domain, "domain names",
           "Domains whose SPF policy is included (a mail provider's)."),
    F_ENUM(dk_spf_policy, all, "all", "softfail", w_qual,
           "What happens to mail from anyone else: softfail (~all) is the safe start."),
};
const dk_section dk_spf_section = {"spf", spf_fields, NF(spf_fields), NULL};

static const dk_field dmarc_fields[] = {
    F_BOOL(dk_dmarc_policy, publish, "publish", "true", "Publish a DMARC record (_dmarc)."),
    F_ENUM(dk_dmarc_policy, p, "p", "none", w_p,
           "Policy for mail that fails DMARC: start with none, then quarantine, then reject."),
    F_ENUM(dk_dmarc_policy, sp, "sp", "inherit", w_sp,
           "Policy for subdomains; inherit: the sp tag is not published."),
    F_ENUM(dk_dmarc_policy, np, "np", "inherit", w_sp,
           "Policy for non-existent subdomains (DMARCbis); inherit: not published."),
    F_UINT(dk_dmarc_policy, pct, "pct", "100", 0, 100, "0..100",
           "Percentage of failing mail the policy applies to."),
    F_LIST(dk_dmarc_policy, rua, "rua", NULL, check_mailto, "mailto: URIs",
           "Where aggregate reports are sent."),
    F_LIST(dk_dmarc_policy, ruf, "ruf", NULL, check_mailto, "mailto: URIs",
           "Where failure reports are sent."),
    F_CHAR(dk_dmarc_policy, adkim, "adkim", "r", w_rs, "DKIM alignment: r relaxed, s strict."),
    F_CHAR(dk_dmarc_policy, aspf, "aspf", "r", w_rs, "SPF alignment: r relaxed, s strict."),
    F_STR(dk_dmarc_policy, fo, "fo", "0", check_fo, "0, 1, d, s or a colon list such as 1:d",
          "When failure reports are generated."),
};
const dk_section dk_dmarc_section = {"dmarc", dmarc_fields, NF(dmarc_fields), NULL};

/* ---- the model ---------------------------------------------------------------- */

int dk_selector_fix_bits(enum dk_keyalg alg, unsigned *bits, const dk_ynode *map, const char *file,
                         const char *path, dk_err *e)
{
    if (alg == DK_KEY_ED25519) {
        *bits = 0; /* Ed25519 keys have one size */
        return 0;
    }
    if (*bits < 1024 || *bits > 4096) {
        const dk_ynode *at = map != NULL ? dk_ynode_get(map, "bits") : NULL;

        dk_err_setloc(e, DK_EINVAL, NULL, 0, 0,
                      "%s.bits: RSA keys of %u bits are refused; accepted: 1024..4096 (2048 or "
                      "more recommended; fewer than 1024 bits is broken)",
                      path, *bits);
        if (map != NULL)
            return dk_err_at(e, file, at != NULL ? at : map);
        return -1;
    }
    return 0;
}

static int selector_fixup(void *obj, const dk_ynode *map, const char *file, const char *path,
                          dk_err *e)
{
    dk_selector *s = obj;

    return dk_selector_fix_bits(s->alg, &s->bits, map, file, path, e);
}

static const dk_field selector_fields[] = {
    {.key = "name",
     .type = DK_F_SELECTOR,
     .off = offsetof(dk_selector, name),
     .size = MSIZE(dk_selector, name),
     .flags = DK_FF_REQUIRED,
     .type_name = "string",
     .accepts = "DNS labels (letters, digits, inner hyphens), dots allowed, 63 octets",
     .help = "The selector: the key is published at SELECTOR._domainkey.DOMAIN."},
    F_ENUM(dk_selector, alg, "algorithm", "rsa", w_alg,
           "Key type: rsa (every verifier) or ed25519 (RFC 8463, not yet everywhere)."),
    F_UINT(dk_selector, bits, "bits", "2048", 0, 4096,
           "1024..4096 for RSA (2048 or more recommended); ignored (0) for Ed25519",
           "RSA key size in bits."),
    F_PATH(dk_selector, key_path, "key_path", NULL,
           "Private key file; default KEYS_DIR/DOMAIN/SELECTOR.private."),
    F_ENUM(dk_selector, state, "state", "active", w_state,
           "active signs mail; pending is published but not yet signing; retired and revoked "
           "are on their way out."),
};
const dk_section dk_selector_section = {"selector", selector_fields, NF(selector_fields),
                                        selector_fixup};

static const dk_field domain_fields[] = {
    {.key = "name",
     .type = DK_F_DOMAIN,
     .off = offsetof(dk_domain, name),
     .size = MSIZE(dk_domain, name),
     .flags = DK_FF_REQUIRED,
     .type_name = "string",
     .accepts = "a domain name; internationalised names are stored as A-labels",
     .help = "The mail domain (the part after @)."},
    F_BOOL(dk_domain, subdomains, "subdomains", "false",
           "Also sign mail from every subdomain (*@*.DOMAIN)."),
    {.key = "selectors",
     .type = DK_F_SEQ,
     .max = DK_SELECTORS_MAX,
     .off = offsetof(dk_domain, sel),
     .size = sizeof(dk_selector),
     .count_off = offsetof(dk_domain, nsel),
     .sub = &dk_selector_section,
     .type_name = "list of mappings",
     .help = "The domain's DKIM keys."},
    F_MAP(dk_domain, spf, "spf", dk_spf_section, "The SPF record to publish."),
    F_MAP(dk_domain, dmarc, "dmarc", dk_dmarc_section, "The DMARC record to publish."),
};
const dk_section dk_domain_section = {"domain", domain_fields, NF(domain_fields), NULL};

static const dk_field opendkim_fields[] = {
    F_PATH(dk_opendkim_conf, conf_path, "conf_path", "/etc/opendkim.conf",
           "OpenDKIM's configuration file."),
    F_PATH(dk_opendkim_conf, tables_dir, "tables_dir", "/etc/opendkim",
           "Directory of KeyTable, SigningTable and TrustedHosts."),
    F_PATH(dk_opendkim_conf, keys_dir, "keys_dir", "/etc/dkimkeys",
           "Directory of the private keys (one subdirectory per domain)."),
    F_WORD(dk_opendkim_conf, mode, "mode", "s", w_mode, "s: sign only; sv: sign and verify."),
    F_WORD(dk_opendkim_conf, canon, "canonicalization", "relaxed/simple", w_canon,
           "Header/body canonicalization of the signatures."),
    F_LIST(dk_opendkim_conf, oversign, "oversign", "From", check_header, "header field names",
           "Headers signed once more than present, so none can be added."),
    F_STR(dk_opendkim_conf, socket, "socket", "", check_socket,
          "\"\" (derived from the Postfix chroot), local:/PATH, inet:PORT@HOST",
          "Where OpenDKIM listens for Postfix."),
    F_LIST(dk_opendkim_conf, trusted_hosts, "trusted_hosts", NULL, check_host,
           "IP addresses, CIDR blocks or host names",
           "Hosts whose mail is signed, beyond 127.0.0.1, ::1 and localhost."),
    F_STR(dk_opendkim_conf, user, "user", "opendkim", check_user, "a system user name",
          "The user OpenDKIM runs as and owns the keys."),
};
static const dk_section opendkim_section = {"opendkim", opendkim_fields, NF(opendkim_fields), NULL};

static const dk_field postfix_fields[] = {
    F_PATH(dk_postfix_conf, config_dir, "config_dir", "/etc/postfix",
           "Postfix configuration directory (main.cf, master.cf)."),
    F_ENUM(dk_postfix_conf, chroot, "chroot", "auto", w_tri,
           "Does smtpd run chrooted? auto reads master.cf."),
    F_WORD(dk_postfix_conf, milter_default_action, "milter_default_action", "accept", w_action,
           "What Postfix does with mail when OpenDKIM is unavailable."),
};
static const dk_section postfix_section = {"postfix", postfix_fields, NF(postfix_fields), NULL};

static int model_fixup(void *obj, const dk_ynode *map, const char *file, const char *path,
                       dk_err *e)
{
    (void)path;
    if (dk_model_derive_keys(obj, e) < 0)
        return dk_err_at(e, file, map);
    return 0;
}

static const dk_field model_fields[] = {
    {.key = "version",
     .type = DK_F_UINT,
     .off = offsetof(dk_model, version),
     .min = DK_MODEL_VERSION,
     .max = DK_MODEL_VERSION,
     .defval = "1",
     .flags = DK_FF_REQUIRED,
     .type_name = "integer",
     .accepts = "1",
     .help = "Format version of this file."},
    {.key = "domains",
     .type = DK_F_SEQ,
     .max = DK_DOMAINS_MAX,
     .off = offsetof(dk_model, domains),
     .size = sizeof(dk_domain),
     .count_off = offsetof(dk_model, ndomains),
     .sub = &dk_domain_section,
     .type_name = "list of mappings",
     .help = "The mail domains to sign and publish records for."},
    F_MAP(dk_model, opendkim, "opendkim", opendkim_section, "OpenDKIM settings."),
    F_MAP(dk_model, postfix, "postfix", postfix_section, "Postfix settings."),
};
const dk_section dk_model_section = {"model", model_fields, NF(model_fields), model_fixup};

/* ---- the answers file (model/answers.h) ------------------------------------------ */

static int answers_fixup(void *obj, const dk_ynode *map, const char *file, const char *path,
                         dk_err *e)
{
    dk_answers *a = obj;

    (void)path;
    return dk_selector_fix_bits(a->alg, &a->bits, map, file, "answers", e);
}

#define SEEN(T, m) .flags = DK_FF_SEEN, .seen_off = offsetof(T, m)

static const dk_field answers_fields[] = {
    {.key = "domains",
     .type = DK_F_LIST,
     .max = DK_DOMAINS_MAX,
     .off = offsetof(dk_answers, domains),
     .size = DK_DOMAIN_MAX,
     .check = check_domain,
     .type_name = "list",
     .accepts = "domain names",
     .help = "Domains to add (or update) in the model."},
    {.key = "selector",
     .type = DK_F_SELECTOR,
     .off = offsetof(dk_answers, selector),
     .size = MSIZE(dk_answers, selector),
     SEEN(dk_answers, has_selector),
     .type_name = "string",
     .accepts = "DNS labels, dots allowed, 63 octets",
     .help = "Selector of the new key; default s + the year and month (s202611)."},
    {.key = "algorithm",
     .type = DK_F_ENUM,
     .off = offsetof(dk_answers, alg),
     .names = NW(w_alg),
     .defval = "rsa",
     SEEN(dk_answers, has_alg),
     .type_name = "enum",
     .help = "Key type of the new selector."},
    {.key = "bits",
     .type = DK_F_UINT,
     .off = offsetof(dk_answers, bits),
     .min = 0,
     .max = 4096,
     .defval = "2048",
     SEEN(dk_answers, has_bits),
     .type_name = "integer",
     .accepts = "1024..4096 for RSA; ignored for Ed25519",
     .help = "RSA key size."},
    {.key = "subdomains",
     .type = DK_F_BOOL,
     .off = offsetof(dk_answers, subdomains),
     .defval = "false",
     SEEN(dk_answers, has_subdomains),
     .type_name = "boolean",
     .accepts = "true or false",
     .help = "Also sign mail from subdomains."},
    {.key = "spf",
     .type = DK_F_MAP,
     .off = offsetof(dk_answers, spf),
     .sub = &dk_spf_section,
     SEEN(dk_answers, has_spf),
     .type_name = "mapping",
     .help = "SPF record of the domains (keys as in the model)."},
    {.key = "dmarc",
     .type = DK_F_MAP,
     .off = offsetof(dk_answers, dmarc),
     .sub = &dk_dmarc_section,
     SEEN(dk_answers, has_dmarc),
     .type_name = "mapping",
     .help = "DMARC record of the domains (keys as in the model)."},
    {.key = "socket",
     .type = DK_F_STR,
     .off = offsetof(dk_answers, socket),
     .size = MSIZE(dk_answers, socket),
     .check = check_socket,
     SEEN(dk_answers, has_socket),
     .type_name = "string",
     .accepts = "\"\", local:/PATH, inet:PORT@HOST",
     .help = "Where OpenDKIM listens for Postfix."},
};
const dk_section dk_answers_section = {"answers", answers_fields, NF(answers_fields),
                                       answers_fixup};

/* ---- help text ---------------------------------------------------------------------- */

#define INFO_MAX 96

typedef struct info_table {
    dk_schema_info v[INFO_MAX];
    char paths[INFO_MAX][80];
    char accepts[INFO_MAX][160];
    size_t n;
} info_table;

static void words(const dk_field *f, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < f->nnames; i++) {
        int k;

        if (f->names[i] == NULL)
            continue;
        k = snprintf(out + used, size - used, "%s%s", used > 0 ? " | " : "", f->names[i]);
        if (k < 0 || (size_t)k >= size - used)
            return;
        used += (size_t)k;
    }
}

static void collect(info_table *t, const dk_section *sec, const char *prefix)
{
    for (size_t i = 0; i < sec->n && t->n < INFO_MAX; i++) {
        const dk_field *f = &sec->fields[i];
        size_t k = t->n++;
        dk_schema_info *x = &t->v[k];

        (void)snprintf(t->paths[k], sizeof t->paths[k], "%s%s%s", prefix,
                       prefix[0] != '\0' ? "." : "", f->key);
        x->path = t->paths[k];
        x->type = f->type_name;
        x->defval = f->defval != NULL ? f->defval : "";
        if (f->names != NULL) {
            words(f, t->accepts[k], sizeof t->accepts[k]);
            x->accepts = t->accepts[k];
        } else {
            x->accepts = f->accepts != NULL ? f->accepts : "";
        }
        x->help = f->help;
        if (f->type == DK_F_MAP || f->type == DK_F_SEQ) {
            char sub[96];

            (void)snprintf(sub, sizeof sub, "%s%s", t->paths[k], f->type == DK_F_SEQ ? "[]" : "");
            collect(t, f->sub, sub);
        }
    }
}

const dk_schema_info *dk_model_schema(size_t *n)
{
    static info_table t;

    if (t.n == 0)
        collect(&t, &dk_model_section, "");
    if (n != NULL)
        *n = t.n;
    return t.v;
}

const dk_schema_info *dk_answers_schema(size_t *n)
{
    static info_table t;

    if (t.n == 0)
        collect(&t, &dk_answers_section, "");
    if (n != NULL)
        *n = t.n;
    return t.v;
}
