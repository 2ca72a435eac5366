/* plan.c - model + system state (read only) -> operations and findings. */
#include "plan/plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plan/keysafe.h"
#include "plan/maincf.h"
#include "render/opendkim.h"
#include "util/buf.h"
#include "util/mem.h"

#define CONF_MAX ((size_t)4 * 1024 * 1024)

void dk_plan_init(dk_plan *p)
{
    memset(p, 0, sizeof *p);
    dk_findings_init(&p->findings);
}

void dk_plan_free(dk_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->ops[i].old_data);
        free(p->ops[i].new_data);
    }
    free(p->ops);
    dk_findings_free(&p->findings);
    dk_plan_init(p);
}

bool dk_plan_blocked(const dk_plan *p)
{
    return dk_findings_worst(&p->findings) >= DK_SEV_CRIT;
}

const char *dk_op_kind_name(enum dk_op_kind k)
{
    switch (k) {
    case DK_OP_MKDIR:
        return "mkdir";
    case DK_OP_KEYGEN:
        return "keygen";
    case DK_OP_WRITE:
        return "write";
    case DK_OP_EDIT:
        return "edit";
    case DK_OP_OWNER:
        return "owner";
    case DK_OP_GROUP:
        return "group";
    case DK_OP_RELOAD:
        return "reload";
    }
    return "?";
}

static dk_op *add_op(dk_plan *p, enum dk_op_kind kind, const char *path, dk_err *e)
{
    dk_op *op;

    if (p->n == p->cap) {
        size_t ncap = p->cap == 0 ? 16 : p->cap * 2;
        dk_op *v = dk_reallocarray(p->ops, ncap, sizeof *v, e);

        if (v == NULL)
            return NULL;
        p->ops = v;
        p->cap = ncap;
    }
    op = &p->ops[p->n++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    if (path != NULL)
        (void)snprintf(op->path, sizeof op->path, "%s", path);
    return op;
}

static void summ(dk_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void summ(dk_op *op, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(op->summary, sizeof op->summary, fmt, ap);
    va_end(ap);
}

#define FIND(p, sev, where, fix, ...)                                                              \
    do {                                                                                           \
        if (dk_findings_add(&(p)->findings, sev, where, fix, __VA_ARGS__) < 0)                     \
            return dk_err_set(e, DK_ENOMEM, "out of memory");                                      \
    } while (0)

/* Is the file's owner/group/mode what we want?  Under --root the owner is
 * the one recorded by an earlier apply. */
static bool owner_ok(const dk_root *r, const char *sys, const struct stat *st, const char *owner,
                     const char *group, mode_t mode)
{
    char o[DK_NAME_MAX], g[DK_NAME_MAX];
    mode_t m;

    if ((st->st_mode & 07777) != mode)
        return false;
    if (dk_root_is_real(r)) {
        long uid = dk_account_uid(r, owner), gid = dk_account_gid(r, group);

        return uid >= 0 && gid >= 0 && st->st_uid == (uid_t)uid && st->st_gid == (gid_t)gid;
    }
    return dk_owners_lookup(r, sys, o, g, &m) && strcmp(o, owner) == 0 && strcmp(g, group) == 0 &&
           m == mode;
}

/* Read a file under the root: 1 read, 0 absent, -1 error (finding added by caller). */
static int read_sys(const dk_root *r, const char *sys, dk_buf *b, struct stat *st, dk_err *e)
{
    dk_err_clear(e);
    if (dk_root_read_file(r, sys, CONF_MAX, b, st, e) == 0)
        return 1;
    if (e->code == DK_ENOENT)
        return 0;
    return -1;
}

static char *copy_bytes(const char *s, size_t n, dk_err *e)
{
    char *c = dk_calloc(n + 1, 1, e);

    if (c != NULL && n > 0)
        memcpy(c, s, n);
    return c;
}

/* Plan writing `sys` with content new[0..len) and owner/group/mode: a write
 * operation unless the file already matches. */
static int plan_file(dk_plan *p, const dk_root *r, const char *sys, const char *data, size_t len,
                     const char *owner, const char *group, mode_t mode, enum dk_op_kind kind,
                     const char *summary, dk_err *e)
{
    dk_buf cur;
    struct stat st;
    dk_op *op;
    int rc;
    char why[DK_ERR_MSG + DK_ERR_FILE + 8];

    dk_buf_init(&cur, CONF_MAX);
    rc = read_sys(r, sys, &cur, &st, e);
    if (rc < 0) {
        dk_buf_free(&cur);
        FIND(p, DK_SEV_CRIT, sys, "remove the symbolic link or fix the permissions",
             "cannot be replaced safely: %s", dk_err_format(e, why, sizeof why));
        return 0;
    }
    if (rc == 1 && st.st_nlink > 1) {
        dk_buf_free(&cur);
        FIND(p, DK_SEV_CRIT, sys, "break the hard link (cp FILE FILE.new && mv FILE.new FILE)",
             "has %lu hard links; dkimctl does not replace hard-linked files",
             (unsigned long)st.st_nlink);
        return 0;
    }
    if (rc == 1 && cur.len == len && (len == 0 || memcmp(cur.data, data, len) == 0) &&
        owner_ok(r, sys, &st, owner, group, mode)) {
        dk_buf_free(&cur);
        return 0;
    }
    op = add_op(p, kind, sys, e);
    if (op == NULL) {
        dk_buf_free(&cur);
        return -1;
    }
    if (rc == 1) {
        op->old_data = copy_bytes(cur.data != NULL ? cur.data : "", cur.len, e);
        op->old_len = cur.len;
    }
    dk_buf_free(&cur);
    op->new_data = copy_bytes(data, len, e);
    op->new_len = len;
    if (op->new_data == NULL || (rc == 1 && op->old_data == NULL))
        return -1;
    (void)snprintf(op->owner, sizeof op->owner, "%s", owner);
    (void)snprintf(op->group, sizeof op->group, "%s", group);
    op->mode = mode;
    if (rc == 0)
        summ(op, "create %s (%s:%s %04o): %s", sys, owner, group, (unsigned)mode, summary);
    else if (op->old_len == len && memcmp(op->old_data, data, len) == 0)
        summ(op, "set owner/mode of %s to %s:%s %04o", sys, owner, group, (unsigned)mode);
    else
        summ(op, "%s %s: %s", kind == DK_OP_EDIT ? "edit" : "replace", sys, summary);
    return 0;
}

/* ---- sockets --------------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* opendkim socket spec -> the milter name Postfix uses, seen from a chrooted
 * process or not.  false when a chrooted process cannot reach it. */
static bool milter_name(const char *sock, bool chrooted, char *out, size_t size)
{
    const char *path = NULL;

    if (starts_with(sock, "local:"))
        path = sock + 6;
    else if (starts_with(sock, "unix:"))
        path = sock + 5;
    else if (sock[0] == '/')
        path = sock;
    if (path != NULL) {
        size_t sl = strlen(DK_SPOOL_DIR);

        if (!chrooted) {
            (void)snprintf(out, size, "local:%s", path);
            return true;
        }
        if (strncmp(path, DK_SPOOL_DIR, sl) != 0 || path[sl] != '/')
            return false;
        (void)snprintf(out, size, "local:%s", path + sl);
        return true;
    }
    if (starts_with(sock, "inet:") || starts_with(sock, "inet6:")) {
        const char *spec = strchr(sock, ':') + 1, *at = strchr(spec, '@');
        const char *proto = starts_with(sock, "inet6:") ? "inet6" : "inet";

        if (at == NULL)
            (void)snprintf(out, size, "%s:localhost:%s", proto, spec);
        else
            (void)snprintf(out, size, "%s:%s:%.*s", proto, at + 1, (int)(at - spec), spec);
        return true;
    }
    return false;
}

static bool socket_spec_ok(const char *s)
{
    if (strlen(s) > DK_PATH_MAX)
        return false;
    for (const char *c = s; *c != '\0'; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == ',' || *c == '{' || *c == '}' ||
            *c == '#' || *c == '$')
            return false;
    if (starts_with(s, "local:") || starts_with(s, "unix:"))
        return dk_path_is_clean(strchr(s, ':') + 1);
    if (starts_with(s, "inet:") || starts_with(s, "inet6:"))
        return strchr(s, ':')[1] != '\0';
    return false;
}

/* ---- the system's names ------------------------------------------------------------- */

typedef struct names {
    char v[3][256];
    const char *ptr[3];
    size_t n;
} names;

static void add_name(names *nm, const char *s, size_t len)
{
    char h[256];
    size_t k = 0;

    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t' || s[len - 1] == '.'))
        len--;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (len == 0 || len >= sizeof h)
        return;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return; /* not a plain host name ($myhostname, a path ...): skip */
        h[k++] = c;
    }
    h[k] = '\0';
    for (size_t i = 0; i < nm->n; i++)
        if (strcmp(nm->v[i], h) == 0)
            return;
    if (nm->n < 3) {
        (void)snprintf(nm->v[nm->n], sizeof nm->v[0], "%s", h);
        nm->ptr[nm->n] = nm->v[nm->n];
        nm->n++;
    }
}

static void add_name_file(names *nm, const dk_root *r, const char *sys)
{
    dk_buf b;

    dk_buf_init(&b, 4096);
    if (dk_root_read_file(r, sys, 4096, &b, NULL, NULL) == 0 && b.len > 0) {
        const char *nl = memchr(b.data, '\n', b.len);
        add_name(nm, b.data, nl != NULL ? (size_t)(nl - b.data) : b.len);
    }
    dk_buf_free(&b);
}

/* ---- the systemd unit --------------------------------------------------------------- */

typedef struct unitscan {
    char exec[1024];
    char from[DK_PATH_MAX];
} unitscan;

static void scan_unit_text(unitscan *u, const char *sys, const char *t, size_t len)
{
    size_t off = 0;

    while (off < len) {
        const char *s = t + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off;

        off += n + (nl != NULL ? 1 : 0);
        if (n >= 10 && memcmp(s, "ExecStart=", 10) == 0) {
            (void)snprintf(u->exec, sizeof u->exec, "%.*s", (int)(n - 10), s + 10);
            (void)snprintf(u->from, sizeof u->from, "%s", sys);
        }
    }
}

static void scan_unit_file(unitscan *u, const dk_root *r, const char *sys)
{
    dk_buf b;

    dk_buf_init(&b, 1 << 20);
    if (dk_root_read_file(r, sys, 1 << 20, &b, NULL, NULL) == 0 && b.len > 0)
        scan_unit_text(u, sys, b.data, b.len);
    dk_buf_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ExecStart systemd would use: the unit, then its drop-ins in name order. */
static void scan_unit(unitscan *u, const dk_root *r)
{
    static const char *const units[] = {"/lib/systemd/system/opendkim.service",
                                        "/usr/lib/systemd/system/opendkim.service",
                                        "/etc/systemd/system/opendkim.service"};
    const char *dropdir = "/etc/systemd/system/opendkim.service.d";
    char *names_v[64];
    size_t nn = 0;
    int fd;
    DIR *d;

    memset(u, 0, sizeof *u);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        scan_unit_file(u, r, units[i]);
    fd = dk_root_open_dir(r, dropdir, NULL);
    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (d == NULL) {
        (void)close(fd);
        return;
    }
    for (struct dirent *de; (de = readdir(d)) != NULL && nn < 64;) {
        size_t l = strlen(de->d_name);

        if (l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0 && de->d_name[0] != '.')
            if ((names_v[nn] = dk_strdup(de->d_name, NULL)) != NULL)
                nn++;
    }
    (void)closedir(d);
    qsort(names_v, nn, sizeof names_v[0], cmp_str);
    for (size_t i = 0; i < nn; i++) {
        char sys[DK_PATH_MAX];

        if (snprintf(sys, sizeof sys, "%s/%s", dropdir, names_v[i]) < (int)sizeof sys &&
            dk_path_is_clean(sys))
            scan_unit_file(u, r, sys);
        free(names_v[i]);
    }
}

/* Value of "-p X" / "-pX" (or -x) in an ExecStart line. */
static bool exec_opt(const char *exec, char opt, char *out, size_t size)
{
    const char *s = exec;
    bool found = false;

    while (*s != '\0') {
        const char *w;
        size_t n;

        while (*s == ' ' || *s == '\t')
            s++;
        w = s;
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
        n = (size_t)(s - w);
        if (n >= 2 && w[0] == '-' && w[1] == opt) {
            if (n > 2) {
                (void)snprintf(out, size, "%.*s", (int)(n - 2), w + 2);
            } else {
                const char *v;

                while (*s == ' ' || *s == '\t')
                    s++;
                v = s;
                while (*s != '\0' && *s != ' ' && *s != '\t')
                    s++;
                (void)snprintf(out, size, "%.*s", (int)(s - v), v);
            }
            found = true;
        }
    }
    return found;
}

/* ---- the plan ------------------------------------------------------------------------- */

static int plan_keys(dk_plan *p, const dk_model *m, const dk_root *r, dk_err *e)
{
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];
        size_t signing = 0;

        for (size_t j = 0; j < d->nsel; j++) {
            const dk_selector *s = &d->sel[j];
            struct stat st;
            char where[DK_DOMAIN_MAX + DK_SELECTOR_MAX + 32], why[DK_PATH_MAX + 128];
            int rc;

            if (s->state == DK_SEL_ACTIVE)
                signing++;
            if (s->state != DK_SEL_ACTIVE && s->state != DK_SEL_PENDING)
                continue;
            (void)snprintf(where, sizeof where, "domain %s selector %s", d->name, s->name);
            if (!dk_path_is_clean(s->key_path)) {
                FIND(p, DK_SEV_CRIT, where, "set key_path to a clean absolute path",
                     "key path '%s' is not a clean absolute path", s->key_path);
                continue;
            }
            dk_err_clear(e);
            if (dk_root_lstat(r, s->key_path, &st, e) < 0) {
                dk_op *op;

                if (e->code != DK_ENOENT) {
                    FIND(p, DK_SEV_CRIT, where, "make the key's directories reachable",
                         "key %s cannot be examined: %s", s->key_path, e->msg);
                    continue;
                }
                if (s->state == DK_SEL_ACTIVE) {
                    /* a new key for a selector that signs now would sign
                     * with a key whose DNS record nobody has published */
                    FIND(p, DK_SEV_CRIT, where,
                         "restore the key file, or run 'dkimctl keygen', publish the record it "
                         "prints ('dkimctl records') and then apply",
                         "the key file %s of this active selector does not exist", s->key_path);
                    continue;
                }
                op = add_op(p, DK_OP_KEYGEN, s->key_path, e);
                if (op == NULL)
                    return -1;
                op->domain = d;
                op->selector = s;
                (void)snprintf(op->owner, sizeof op->owner, "%s", m->opendkim.user);
                op->mode = 0600;
                if (s->alg == DK_KEY_RSA)
                    summ(op, "generate the RSA %u key of %s/%s in %s", s->bits, d->name, s->name,
                         s->key_path);
                else
                    summ(op, "generate the %s key of %s/%s in %s", dk_keyalg_name(s->alg), d->name,
                         s->name, s->key_path);
                continue;
            }
            if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
                FIND(p, DK_SEV_CRIT, where, "replace it with the key file itself",
                     "key %s is %s; refused", s->key_path,
                     S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
                continue;
            }
            rc = dk_keysafe_check(r, s->key_path, m->opendkim.user, why, sizeof why, e);
            if (rc == 1) {
                char rwhy[DK_PATH_MAX + 128];
                size_t kl = strlen(s->key_path);
                int rr =
                    dk_keysafe_readable(r, s->key_path, m->opendkim.user, rwhy, sizeof rwhy, e);

                /* the key file itself is handed to the user below; its
                 * directories are the administrator's */
                if (rr == 0 && !(strncmp(rwhy, s->key_path, kl) == 0 && rwhy[kl] == ':'))
                    FIND(p, DK_SEV_WARN, where,
                         "let the OpenDKIM user enter the key's directories (Debian: "
                         "/etc/dkimkeys is opendkim:opendkim 0700)",
                         "OpenDKIM loads keys as user %s and could not reach %s: %s",
                         m->opendkim.user, s->key_path, rwhy);
                dk_err_clear(e);
            }
            if (rc == 1 &&
                !owner_ok(r, s->key_path, &st, m->opendkim.user, m->opendkim.user, 0600)) {
                /* safe, but OpenDKIM reads keys after dropping to its user */
                dk_op *op = add_op(p, DK_OP_OWNER, s->key_path, e);

                if (op == NULL)
                    return -1;
                (void)snprintf(op->owner, sizeof op->owner, "%s", m->opendkim.user);
                (void)snprintf(op->group, sizeof op->group, "%s", m->opendkim.user);
                op->mode = 0600;
                summ(op, "hand key %s to %s (%s:%s 0600): OpenDKIM reads it as that user",
                     s->key_path, op->owner, op->owner, op->group);
                continue;
            }
            if (rc < 0) {
                FIND(p, DK_SEV_CRIT, where, "", "cannot check key %s: %s", s->key_path, e->msg);
            } else if (rc == 0) {
                /* a key file with loose bits can be fixed; unsafe directories cannot */
                struct stat kst = st;
                bool file_fix = (kst.st_mode & 0077) != 0 && strstr(why, s->key_path) == why &&
                                strlen(why) > strlen(s->key_path) &&
                                why[strlen(s->key_path)] == ' ';

                if (file_fix) {
                    dk_op *op = add_op(p, DK_OP_OWNER, s->key_path, e);

                    if (op == NULL)
                        return -1;
                    (void)snprintf(op->owner, sizeof op->owner, "%s", m->opendkim.user);
                    (void)snprintf(op->group, sizeof op->group, "%s", m->opendkim.user);
                    op->mode = 0600;
                    summ(op, "make key %s safe for OpenDKIM (%s:%s 0600): %s", s->key_path,
                         op->owner, op->group, why);
                } else {
                    FIND(p, DK_SEV_CRIT, where,
                         "remove group/other write from the directories; keys belong in a "
                         "directory only root and opendkim can change",
                         "OpenDKIM (RequireSafeKeys) would refuse key %s: %s", s->key_path, why);
                }
            }
        }
        if (signing == 0)
            FIND(p, DK_SEV_CRIT, d->name,
                 "mark one selector active (or remove the domain from the model)",
                 "domain %s has no active selector: its SigningTable entry would name no "
                 "KeyTable entry",
                 d->name);
    }
    return 0;
}

static int plan_opendkim_conf(dk_plan *p, const dk_model *m, const dk_root *r, const dk_buf *conf,
                              dk_err *e)
{
    const char *sys = m->opendkim.conf_path;
    dk_buf cur;
    struct stat st;
    int rc;

    dk_buf_init(&cur, CONF_MAX);
    rc = read_sys(r, sys, &cur, &st, e);
    if (rc == 1 && !(cur.len == conf->len && memcmp(cur.data, conf->data, conf->len) == 0)) {
        dk_odconf_check c;
        char oldsock[512];

        dk_opendkim_conf_check(cur.data != NULL ? cur.data : "", cur.len, &c);
        if (c.bad_line > 0) {
            dk_buf_free(&cur);
            FIND(p, DK_SEV_CRIT, sys,
                 "fix the line or move the file away; dkimctl then writes a new one",
                 "line %u: %s; this file was edited by hand and OpenDKIM would reject it, so "
                 "dkimctl will not silently replace it",
                 c.bad_line, c.bad_why);
            return 1; /* do not plan the write */
        }
        if (!c.ours)
            FIND(p, DK_SEV_INFO, sys, "",
                 "not written by dkimctl; apply replaces it and keeps the old file as a backup");
        if (dk_opendkim_conf_get(cur.data, cur.len, "Socket", oldsock, sizeof oldsock) &&
            strcmp(oldsock, p->socket) != 0)
            FIND(p, DK_SEV_INFO, sys, "", "the socket moves from %s to %s", oldsock, p->socket);
    }
    dk_buf_free(&cur);
    if (rc < 0)
        dk_err_clear(e); /* plan_file reports it */
    return 0;
}

static int plan_opendkim(dk_plan *p, const dk_model *m, const dk_root *r, const dk_plan_opts *o,
                         const names *nm, dk_err *e)
{
    dk_render_env env;
    dk_buf b;
    char path[DK_PATH_MAX];
    static const char *const tables[] = {"KeyTable", "SigningTable", "TrustedHosts"};
    int (*const fns[])(const dk_model *, const dk_render_env *, dk_buf *, dk_err *) = {
        dk_render_keytable, dk_render_signingtable, dk_render_trustedhosts};
    static const char *const what[] = {"OpenDKIM's keys", "which key signs which sender",
                                       "hosts whose mail is signed"};
    struct stat st;

    memset(&env, 0, sizeof env);
    env.templates = o->templates;
    env.model_path = o->model_path;
    env.socket = p->socket;
    env.hostnames = nm->ptr;
    env.nhostnames = nm->n;

    /* the tables directory */
    if (!dk_path_is_clean(m->opendkim.tables_dir) || !dk_path_is_clean(m->opendkim.conf_path)) {
        FIND(p, DK_SEV_CRIT, "opendkim", "use clean absolute paths",
             "tables_dir '%s' or conf_path '%s' is not a clean absolute path",
             m->opendkim.tables_dir, m->opendkim.conf_path);
        return 0;
    }
    dk_err_clear(e);
    if (dk_root_lstat(r, m->opendkim.tables_dir, &st, e) < 0) {
        dk_op *op;

        if (e->code != DK_ENOENT) {
            FIND(p, DK_SEV_CRIT, m->opendkim.tables_dir, "", "%s", e->msg);
            return 0;
        }
        op = add_op(p, DK_OP_MKDIR, m->opendkim.tables_dir, e);
        if (op == NULL)
            return -1;
        (void)snprintf(op->owner, sizeof op->owner, "root");
        (void)snprintf(op->group, sizeof op->group, "root");
        op->mode = 0755;
        summ(op, "create directory %s (root:root 0755)", op->path);
    } else if (!S_ISDIR(st.st_mode)) {
        FIND(p, DK_SEV_CRIT, m->opendkim.tables_dir, "", "is not a directory");
        return 0;
    }
    for (size_t i = 0; i < 3; i++) {
        dk_buf_init(&b, CONF_MAX);
        if (fns[i](m, &env, &b, e) < 0 ||
            dk_render_table_path(m, tables[i], path, sizeof path, e) < 0 ||
            plan_file(p, r, path, b.data != NULL ? b.data : "", b.len, "root", "root", 0644,
                      DK_OP_WRITE, what[i], e) < 0) {
            dk_buf_free(&b);
            return -1;
        }
        dk_buf_free(&b);
    }
    dk_buf_init(&b, CONF_MAX);
    if (dk_render_opendkim_conf(m, &env, &b, e) < 0) {
        dk_buf_free(&b);
        return -1;
    }
    {
        int rc = plan_opendkim_conf(p, m, r, &b, e);

        if (rc == 0)
            rc = plan_file(p, r, m->opendkim.conf_path, b.data, b.len, "root", "root", 0644,
                           DK_OP_WRITE, "OpenDKIM's configuration", e);
        dk_buf_free(&b);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int plan_default_and_unit(dk_plan *p, const dk_model *m, const dk_root *r, dk_err *e)
{
    dk_buf cur, out;
    struct stat st;
    bool changed = false;
    unitscan u;
    char v[DK_PATH_MAX];
    int rc;

    dk_buf_init(&cur, CONF_MAX);
    dk_buf_init(&out, CONF_MAX);
    rc = read_sys(r, DK_DEFAULT_FILE, &cur, &st, e);
    if (rc < 0) {
        FIND(p, DK_SEV_WARN, DK_DEFAULT_FILE, "", "cannot be read: %s", e->msg);
    } else if (rc == 1) {
        char owner[DK_NAME_MAX], group[DK_NAME_MAX];

        if (dk_render_default_socket(cur.data != NULL ? cur.data : "", cur.len, p->socket, &out,
                                     &changed, e) < 0) {
            dk_buf_free(&cur);
            dk_buf_free(&out);
            return -1;
        }
        if (changed) {
            dk_account_user_name(r, st.st_uid, owner, sizeof owner);
            dk_account_group_name(r, st.st_gid, group, sizeof group);
            if (!dk_root_is_real(r)) {
                (void)snprintf(owner, sizeof owner, "root");
                (void)snprintf(group, sizeof group, "root");
            }
            if (plan_file(p, r, DK_DEFAULT_FILE, out.data, out.len, owner, group,
                          st.st_mode & 07777, DK_OP_EDIT,
                          "SOCKET= as in opendkim.conf (the legacy unit generator reads it)",
                          e) < 0) {
                dk_buf_free(&cur);
                dk_buf_free(&out);
                return -1;
            }
            /* plan_file may see an owner mismatch only; keep it a content edit */
        }
    }
    dk_buf_free(&cur);
    dk_buf_free(&out);

    scan_unit(&u, r);
    if (u.exec[0] != '\0') {
        if (exec_opt(u.exec, 'p', v, sizeof v) && strcmp(v, p->socket) != 0)
            FIND(p, DK_SEV_WARN, u.from,
                 "after apply run /lib/opendkim/opendkim.service.generate (it reads "
                 "/etc/default/opendkim, which apply updates) and 'systemctl daemon-reload', or "
                 "remove the override",
                 "systemd starts opendkim with -p %s, which overrides Socket %s in opendkim.conf; "
                 "Postfix would find no OpenDKIM on its socket",
                 v, p->socket);
        if (exec_opt(u.exec, 'x', v, sizeof v) && strcmp(v, m->opendkim.conf_path) != 0)
            FIND(p, DK_SEV_WARN, u.from, "make the unit and the model name the same file",
                 "systemd starts opendkim with -x %s, not the configuration dkimctl writes (%s)", v,
                 m->opendkim.conf_path);
    }
    return 0;
}

static int plan_spool(dk_plan *p, const dk_model *m, const dk_root *r, dk_err *e)
{
    char dir[DK_PATH_MAX];
    const char *slash;
    struct stat st;
    dk_op *op;

    if (!starts_with(p->socket, "local:"))
        return 0;
    (void)snprintf(dir, sizeof dir, "%s", p->socket + 6);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    dir[slash - dir] = '\0';
    if (strncmp(dir, DK_SPOOL_DIR "/", strlen(DK_SPOOL_DIR) + 1) != 0)
        return 0; /* /run/opendkim: made by systemd-tmpfiles from the package */
    dk_err_clear(e);
    if (dk_root_lstat(r, DK_SPOOL_DIR, &st, e) < 0 || !S_ISDIR(st.st_mode)) {
        FIND(p, DK_SEV_CRIT, DK_SPOOL_DIR, "install postfix",
             "the Postfix queue directory is missing; the chrooted socket cannot be placed");
        return 0;
    }
    dk_err_clear(e);
    if (dk_root_lstat(r, dir, &st, e) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            FIND(p, DK_SEV_CRIT, dir, "remove it", "exists and is not a directory");
            return 0;
        }
        if (owner_ok(r, dir, &st, m->opendkim.user, "postfix", 0750))
            return 0;
        op = add_op(p, DK_OP_OWNER, dir, e);
    } else if (e->code == DK_ENOENT) {
        op = add_op(p, DK_OP_MKDIR, dir, e);
    } else {
        FIND(p, DK_SEV_CRIT, dir, "", "%s", e->msg);
        return 0;
    }
    if (op == NULL)
        return -1;
    (void)snprintf(op->owner, sizeof op->owner, "%s", m->opendkim.user);
    (void)snprintf(op->group, sizeof op->group, "postfix");
    op->mode = 0750;
    summ(op, "%s %s (%s:postfix 0750) for OpenDKIM's socket inside Postfix's chroot",
         op->kind == DK_OP_MKDIR ? "create directory" : "set owner/mode of", dir, m->opendkim.user);
    return 0;
}

static int plan_group(dk_plan *p, const dk_model *m, const dk_root *r, dk_err *e)
{
    const char *grp = m->opendkim.user;
    dk_op *op;

    if (dk_account_gid(r, grp) < 0) {
        FIND(p, DK_SEV_CRIT, DK_GROUP_FILE, "install opendkim (apt install opendkim)",
             "group %s does not exist", grp);
        return 0;
    }
    if (dk_account_uid(r, "postfix") < 0) {
        FIND(p, DK_SEV_CRIT, DK_PASSWD_FILE, "install postfix", "user postfix does not exist");
        return 0;
    }
    if (dk_account_uid(r, m->opendkim.user) < 0) {
        FIND(p, DK_SEV_CRIT, DK_PASSWD_FILE, "install opendkim", "user %s does not exist",
             m->opendkim.user);
        return 0;
    }
    if (dk_account_in_group(r, "postfix", grp))
        return 0;
    op = add_op(p, DK_OP_GROUP, DK_GROUP_FILE, e);
    if (op == NULL)
        return -1;
    (void)snprintf(op->user, sizeof op->user, "postfix");
    (void)snprintf(op->group, sizeof op->group, "%s", grp);
    summ(op, "add user postfix to group %s (to reach OpenDKIM's socket)", grp);
    return 0;
}

static int plan_maincf(dk_plan *p, const dk_model *m, const dk_root *r, const dk_buf *text,
                       const struct stat *st, const char *sys, dk_err *e)
{
    dk_maincf cf;
    dk_buf out;
    char *smtpd = NULL, *non = NULL, changed[256] = "";
    bool added;
    const char *nonv;
    int rc = -1;

    if (dk_maincf_parse(&cf, sys, text->data != NULL ? text->data : "", text->len, &p->findings,
                        e) < 0) {
        FIND(p, DK_SEV_CRIT, sys, "", "%s", e->msg);
        return 0;
    }
    dk_buf_init(&out, CONF_MAX);
    if (dk_milters_add(dk_maincf_get(&cf, "smtpd_milters"), p->smtpd_milter, &smtpd, &added, e) < 0)
        goto bad_list;
    nonv = dk_maincf_get(&cf, "non_smtpd_milters");
    if (nonv != NULL && strcmp(p->smtpd_milter, p->cleanup_milter) == 0 &&
        (dk_milters_has(nonv, "$smtpd_milters") || dk_milters_has(nonv, "${smtpd_milters}") ||
         dk_milters_has(nonv, "$(smtpd_milters)"))) {
        non = dk_cf_normalize(nonv, e); /* it follows smtpd_milters */
        if (non == NULL)
            goto out;
    } else if (dk_milters_add(nonv, p->cleanup_milter, &non, &added, e) < 0) {
        goto bad_list;
    }
    {
        const char *keys[] = {"milter_protocol", "milter_default_action", "smtpd_milters",
                              "non_smtpd_milters"};
        const char *vals[] = {"6", m->postfix.milter_default_action, smtpd, non};

        for (size_t i = 0; i < 4; i++) {
            const char *cur = dk_maincf_get(&cf, keys[i]);

            if (dk_maincf_set(&cf, keys[i], vals[i], e) < 0) {
                char why[DK_ERR_MSG];

                (void)snprintf(why, sizeof why, "%s", e->msg);
                dk_err_clear(e);
                if (dk_findings_add(&p->findings, DK_SEV_CRIT, sys,
                                    "remove the control characters from the line", "%s", why) < 0)
                    goto out;
                rc = 0; /* reported; no edit planned */
                goto out;
            }
            if (cur == NULL || strcmp(cur, vals[i]) != 0 || dk_maincf_count(&cf, keys[i]) > 1) {
                size_t l = strlen(changed);
                (void)snprintf(changed + l, sizeof changed - l, "%s%s", l > 0 ? ", " : "", keys[i]);
            }
        }
    }
    /* an older OpenDKIM socket left in a list */
    for (size_t i = 0; i < 2; i++) {
        const char *lst = i == 0 ? smtpd : non, *q = lst;

        while (q != NULL && (q = strstr(q, "opendkim")) != NULL) {
            const char *st0 = q, *en = q;

            while (st0 > lst && st0[-1] != ',' && st0[-1] != ' ')
                st0--;
            while (*en != '\0' && *en != ',' && *en != ' ')
                en++;
            if ((size_t)(en - st0) != strlen(i == 0 ? p->smtpd_milter : p->cleanup_milter) ||
                strncmp(st0, i == 0 ? p->smtpd_milter : p->cleanup_milter, (size_t)(en - st0)) != 0)
                FIND(p, DK_SEV_WARN, sys, "remove it from the list if nothing listens there",
                     "%s also names %.*s, which looks like another OpenDKIM socket",
                     i == 0 ? "smtpd_milters" : "non_smtpd_milters", (int)(en - st0), st0);
            q = en;
        }
    }
    if (dk_maincf_render(&cf, &out, e) < 0)
        goto out;
    if (out.len != text->len || memcmp(out.data, text->data, out.len) != 0) {
        char owner[DK_NAME_MAX], group[DK_NAME_MAX], sum[300];

        (void)snprintf(sum, sizeof sum, "set %s", changed);
        if (dk_root_is_real(r)) {
            dk_account_user_name(r, st->st_uid, owner, sizeof owner);
            dk_account_group_name(r, st->st_gid, group, sizeof group);
        } else {
            (void)snprintf(owner, sizeof owner, "root");
            (void)snprintf(group, sizeof group, "root");
        }
        /* main.cf keeps its owner and mode; only the text changes */
        {
            dk_op *op = add_op(p, DK_OP_EDIT, sys, e);

            if (op == NULL)
                goto out;
            op->old_data = copy_bytes(text->data != NULL ? text->data : "", text->len, e);
            op->old_len = text->len;
            op->new_data = copy_bytes(out.data, out.len, e);
            op->new_len = out.len;
            if (op->old_data == NULL || op->new_data == NULL)
                goto out;
            (void)snprintf(op->owner, sizeof op->owner, "%s", owner);
            (void)snprintf(op->group, sizeof op->group, "%s", group);
            op->mode = st->st_mode & 07777;
            summ(op, "edit %s: %s", sys, sum);
        }
    }
    rc = 0;
    goto out;
bad_list:
    if (e->code == DK_EINVAL) {
        char why[DK_ERR_MSG];

        (void)snprintf(why, sizeof why, "%s", e->msg);
        dk_err_clear(e);
        if (dk_findings_add(&p->findings, DK_SEV_CRIT, sys, "fix the list", "%s", why) == 0)
            rc = 0; /* reported; no edit planned */
    }
out:
    free(smtpd);
    free(non);
    dk_buf_free(&out);
    dk_maincf_free(&cf);
    return rc;
}

/* The model's own validation, warnings and worse, as plan findings. */
static int merge_model_findings(dk_plan *p, const dk_model *m, dk_err *e)
{
    dk_findings mf;
    int rc = 0;

    dk_findings_init(&mf);
    if (dk_model_validate(m, &mf) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < mf.n; i++)
        if (mf.v[i].sev >= DK_SEV_WARN && dk_findings_add(&p->findings, mf.v[i].sev, mf.v[i].where,
                                                          mf.v[i].fix, "%s", mf.v[i].what) < 0)
            rc = -1;
    dk_findings_free(&mf);
    return rc < 0 ? dk_err_set(e, DK_ENOMEM, "out of memory validating the model") : 0;
}

int dk_plan_build(dk_plan *p, const dk_model *m, const dk_root *r, const dk_plan_opts *o, dk_err *e)
{
    char maincf[DK_PATH_MAX], mastercf[DK_PATH_MAX];
    dk_buf mc, ms;
    struct stat mst;
    bool have_main = false;
    names nm;
    int rc = -1, k;

    if (merge_model_findings(p, m, e) < 0)
        return -1;
    memset(&nm, 0, sizeof nm);
    dk_buf_init(&mc, CONF_MAX);
    dk_buf_init(&ms, CONF_MAX);
    if (m->ndomains == 0)
        FIND(p, DK_SEV_WARN, "domains", "add a domain (dkimctl init --domain D)",
             "the model has no domains; OpenDKIM would sign nothing");

    /* Postfix: main.cf and master.cf */
    if (snprintf(maincf, sizeof maincf, "%s/main.cf", m->postfix.config_dir) >=
            (int)sizeof maincf ||
        snprintf(mastercf, sizeof mastercf, "%s/master.cf", m->postfix.config_dir) >=
            (int)sizeof mastercf ||
        !dk_path_is_clean(maincf)) {
        FIND(p, DK_SEV_CRIT, "postfix.config_dir", "use a clean absolute path",
             "'%s' is not a clean absolute path", m->postfix.config_dir);
        goto done;
    }
    k = read_sys(r, maincf, &mc, &mst, e);
    if (k == 1 && mst.st_nlink > 1)
        FIND(p, DK_SEV_CRIT, maincf, "break the hard link",
             "has %lu hard links; dkimctl does not replace hard-linked files",
             (unsigned long)mst.st_nlink);
    else if (k == 1)
        have_main = true;
    else if (k == 0)
        FIND(p, DK_SEV_CRIT, maincf, "install postfix or set postfix.config_dir", "does not exist");
    else
        FIND(p, DK_SEV_CRIT, maincf,
             e->code == DK_EPERM ? "replace the symbolic link with the file itself"
                                 : "make it a readable regular file",
             "cannot be read: %s", e->msg);

    if (m->postfix.chroot == DK_AUTO) {
        dk_chroot_count c1, c2;

        k = read_sys(r, mastercf, &ms, NULL, e);
        if (k != 1) {
            FIND(p, DK_SEV_CRIT, mastercf, "set postfix.chroot (yes or no) in the model",
                 "cannot be read (%s), so whether smtpd runs chrooted is unknown",
                 k == 0 ? "missing" : e->msg);
            goto done;
        }
        if (dk_mastercf_chroot(mastercf, ms.data, ms.len, "smtpd", false, &c1, &p->findings, e) <
                0 ||
            dk_mastercf_chroot(mastercf, ms.data, ms.len, "cleanup", false, &c2, &p->findings, e) <
                0) {
            FIND(p, DK_SEV_CRIT, mastercf, "", "%s", e->msg);
            goto done;
        }
        p->smtpd_chroot = c1.yes > 0;
        p->cleanup_chroot = c2.yes > 0;
        if (c1.yes > 0 && c1.no > 0)
            FIND(p, DK_SEV_WARN, mastercf, "run every smtpd service with the same chroot setting",
                 "some smtpd services run chrooted and some do not; smtpd_milters names the "
                 "socket as the chrooted ones see it");
    } else {
        p->smtpd_chroot = p->cleanup_chroot = m->postfix.chroot == DK_YES;
    }

    /* the socket */
    if (m->opendkim.socket[0] != '\0') {
        if (!socket_spec_ok(m->opendkim.socket)) {
            FIND(p, DK_SEV_CRIT, "opendkim.socket", "use local:/ABSOLUTE/PATH or inet:PORT@HOST",
                 "'%s' is not a socket dkimctl can configure", m->opendkim.socket);
            goto done;
        }
        (void)snprintf(p->socket, sizeof p->socket, "%s", m->opendkim.socket);
    } else {
        (void)snprintf(p->socket, sizeof p->socket, "local:%s",
                       p->smtpd_chroot || p->cleanup_chroot ? DK_CHROOT_SOCKET : DK_RUN_SOCKET);
    }
    if (!milter_name(p->socket, p->smtpd_chroot, p->smtpd_milter, sizeof p->smtpd_milter) ||
        !milter_name(p->socket, p->cleanup_chroot, p->cleanup_milter, sizeof p->cleanup_milter)) {
        FIND(p, DK_SEV_CRIT, "opendkim.socket",
             "put the socket under " DK_SPOOL_DIR " or use an inet: socket",
             "chrooted Postfix processes cannot reach %s", p->socket);
        goto done;
    }

    /* the host's names for TrustedHosts */
    add_name_file(&nm, r, "/etc/mailname");
    add_name_file(&nm, r, "/etc/hostname");
    if (have_main) {
        dk_maincf cf;

        if (dk_maincf_parse(&cf, maincf, mc.data != NULL ? mc.data : "", mc.len, NULL, NULL) == 0) {
            const char *h = dk_maincf_get(&cf, "myhostname");

            if (h != NULL)
                add_name(&nm, h, strlen(h));
            dk_maincf_free(&cf);
        }
    }

    if (plan_keys(p, m, r, e) < 0 || plan_opendkim(p, m, r, o, &nm, e) < 0 ||
        plan_default_and_unit(p, m, r, e) < 0 || plan_spool(p, m, r, e) < 0 ||
        plan_group(p, m, r, e) < 0)
        goto done;
    if (have_main && plan_maincf(p, m, r, &mc, &mst, maincf, e) < 0)
        goto done;
    if (o->reload && p->n > 0) {
        dk_op *op = add_op(p, DK_OP_RELOAD, NULL, e);

        if (op == NULL)
            goto done;
        summ(op, dk_root_is_real(r) ? "reload opendkim and postfix"
                                    : "reload opendkim and postfix (skipped under --root)");
    }
    rc = 0;
done:
    dk_buf_free(&mc);
    dk_buf_free(&ms);
    return rc;
}
