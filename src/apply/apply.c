/* apply.c - run a plan all-or-nothing; journal; rollback. */
#include "apply/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/exec.h"
#include "apply/write.h"
#include "plan/keysafe.h"
#include "util/buf.h"
#include "util/mem.h"

#include "apply/keygen.h"

#define OPENDKIM_BIN  "/usr/sbin/opendkim"
#define POSTFIX_BIN   "/usr/sbin/postfix"
#define GPASSWD_BIN   "/usr/bin/gpasswd"
#define SYSTEMCTL_BIN "/usr/bin/systemctl"
#define JOURNAL_MAGIC "dkimctl-journal 1\n"

/* ---- what was done, for undo ------------------------------------------------------- */

enum act_kind { ACT_WRITE, ACT_MKDIR, ACT_OWNER, ACT_GROUP, ACT_KEYGEN };

typedef struct act {
    enum act_kind kind;
    char path[DK_PATH_MAX];
    char backup[DK_PATH_MAX]; /* ACT_WRITE: "" when the file was created */
    long uid, gid;            /* ACT_OWNER: the old values (-1: unchanged) */
    unsigned mode;
    char user[DK_NAME_MAX], group[DK_NAME_MAX]; /* ACT_GROUP */
} act;

typedef struct acts {
    act *v;
    size_t n, cap;
} acts;

static act *push(acts *a, enum act_kind k, const char *path, dk_err *e)
{
    act *x;

    if (a->n == a->cap) {
        size_t ncap = a->cap == 0 ? 16 : a->cap * 2;
        act *v = dk_reallocarray(a->v, ncap, sizeof *v, e);

        if (v == NULL)
            return NULL;
        a->v = v;
        a->cap = ncap;
    }
    x = &a->v[a->n++];
    memset(x, 0, sizeof *x);
    x->kind = k;
    x->uid = x->gid = -1;
    if (path != NULL)
        (void)snprintf(x->path, sizeof x->path, "%s", path);
    return x;
}

/* Open an existing file or directory below the root without following links. */
static int open_node(const dk_root *r, const char *sys, dk_err *e)
{
    const char *base;
    int dfd = dk_root_open_parent(r, sys, false, 0, &base, e), fd;

    if (dfd < 0)
        return -1;
    fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        dk_err_errno(e, errno, "%s", sys);
    (void)close(dfd);
    return fd;
}

static int set_owner_mode(int fd, const char *sys, long uid, long gid, mode_t mode, dk_err *e)
{
    if ((uid >= 0 || gid >= 0) &&
        fchown(fd, uid >= 0 ? (uid_t)uid : (uid_t)-1, gid >= 0 ? (gid_t)gid : (gid_t)-1) < 0)
        return dk_err_errno(e, errno, "setting the owner of %s", sys);
    if (fchmod(fd, mode) < 0)
        return dk_err_errno(e, errno, "setting the mode of %s", sys);
    return 0;
}

static int run_prog(const char *const argv[], const char *what, dk_err *e)
{
    dk_buf out;
    int st;

    dk_buf_init(&out, 8192);
    if (dk_exec(argv, &out, &st, e) < 0) {
        dk_buf_free(&out);
        return -1;
    }
    if (st != 0) {
        while (out.len > 0 && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == '\r'))
            out.len--;
        dk_err_set(e, DK_EIO, "%s failed (exit status %d)%s%.*s", what, st, out.len > 0 ? ": " : "",
                   (int)(out.len > 300 ? 300 : out.len), out.data != NULL ? out.data : "");
        dk_buf_free(&out);
        return -1;
    }
    dk_buf_free(&out);
    return 0;
}

/* ---- undo ------------------------------------------------------------------------------- */

static int undo_one(const dk_root *r, const act *a, dk_err *e)
{
    switch (a->kind) {
    case ACT_WRITE:
        return dk_write_restore(r, a->path, a->backup[0] != '\0' ? a->backup : NULL, e);
    case ACT_KEYGEN:
        return dk_write_restore(r, a->path, NULL, e);
    case ACT_MKDIR: {
        const char *base;
        int dfd = dk_root_open_parent(r, a->path, false, 0, &base, e);

        if (dfd < 0)
            return -1;
        if (unlinkat(dfd, base, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            int err = errno;
            (void)close(dfd);
            return dk_err_errno(e, err, "removing directory %s", a->path);
        }
        (void)close(dfd);
        return 0;
    }
    case ACT_OWNER: {
        int fd = open_node(r, a->path, e), rc;

        if (fd < 0)
            return -1;
        rc = set_owner_mode(fd, a->path, a->uid, a->gid, (mode_t)a->mode, e);
        (void)close(fd);
        return rc;
    }
    case ACT_GROUP: {
        const char *argv[] = {GPASSWD_BIN, "-d", a->user, a->group, NULL};
        return run_prog(argv, "gpasswd -d", e);
    }
    }
    return 0;
}

/* Undo everything in reverse; the first failure is kept in e2 (reported). */
static size_t undo_all(const dk_root *r, const acts *a, char *note, size_t size)
{
    size_t undone = 0;

    for (size_t i = a->n; i-- > 0;) {
        dk_err e2;

        dk_err_clear(&e2);
        if (undo_one(r, &a->v[i], &e2) < 0) {
            size_t l = strlen(note);
            (void)snprintf(note + l, size - l, "%scould not undo %s: %s", l > 0 ? "; " : "",
                           a->v[i].path, e2.msg);
        } else {
            undone++;
        }
    }
    return undone;
}

/* ---- journal ------------------------------------------------------------------------------ */

static int journal_text(const acts *a, dk_buf *b, dk_err *e)
{
    static const char *const names[] = {"write", "mkdir", "owner", "group", "keygen"};

    if (dk_buf_puts(b, JOURNAL_MAGIC, e) < 0)
        return -1;
    for (size_t i = 0; i < a->n; i++) {
        const act *x = &a->v[i];

        if (dk_buf_printf(b, e, "%s\t%s\t%s\t%ld\t%ld\t%o\t%s\t%s\n", names[x->kind],
                          x->path[0] != '\0' ? x->path : "-",
                          x->backup[0] != '\0' ? x->backup : "-", x->uid, x->gid, x->mode,
                          x->user[0] != '\0' ? x->user : "-",
                          x->group[0] != '\0' ? x->group : "-") < 0)
            return -1;
    }
    return 0;
}

static int journal_parse(const char *t, size_t len, acts *a, dk_err *e)
{
    size_t off = strlen(JOURNAL_MAGIC);
    unsigned lineno = 1;

    if (len < off || memcmp(t, JOURNAL_MAGIC, off) != 0)
        return dk_err_setloc(e, DK_EINVAL, DK_JOURNAL_PATH, 1, 0, "not a dkimctl journal");
    while (off < len) {
        const char *s = t + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off;
        char line[2 * DK_PATH_MAX + 256], kind[16], path[DK_PATH_MAX], bak[DK_PATH_MAX];
        char user[DK_NAME_MAX], group[DK_NAME_MAX];
        long uid, gid;
        unsigned mode;
        act *x;
        enum act_kind k;

        lineno++;
        off += n + (nl != NULL ? 1 : 0);
        if (n == 0)
            continue;
        if (n >= sizeof line)
            return dk_err_setloc(e, DK_EINVAL, DK_JOURNAL_PATH, lineno, 0, "line too long");
        memcpy(line, s, n);
        line[n] = '\0';
        if (sscanf(line, "%15[^\t]\t%4095[^\t]\t%4095[^\t]\t%ld\t%ld\t%o\t%32[^\t]\t%32s", kind,
                   path, bak, &uid, &gid, &mode, user, group) != 8)
            return dk_err_setloc(e, DK_EINVAL, DK_JOURNAL_PATH, lineno, 0, "malformed entry");
        if (strcmp(kind, "write") == 0)
            k = ACT_WRITE;
        else if (strcmp(kind, "mkdir") == 0)
            k = ACT_MKDIR;
        else if (strcmp(kind, "owner") == 0)
            k = ACT_OWNER;
        else if (strcmp(kind, "group") == 0)
            k = ACT_GROUP;
        else if (strcmp(kind, "keygen") == 0)
            k = ACT_KEYGEN;
        else
            return dk_err_setloc(e, DK_EINVAL, DK_JOURNAL_PATH, lineno, 0, "unknown action '%s'",
                                 kind);
        if ((k != ACT_GROUP && !dk_path_is_clean(path)) ||
            (strcmp(bak, "-") != 0 && !dk_path_is_clean(bak)))
            return dk_err_setloc(e, DK_EINVAL, DK_JOURNAL_PATH, lineno, 0,
                                 "path is not clean and absolute");
        x = push(a, k, strcmp(path, "-") == 0 ? NULL : path, e);
        if (x == NULL)
            return -1;
        if (strcmp(bak, "-") != 0)
            (void)snprintf(x->backup, sizeof x->backup, "%s", bak);
        x->uid = uid;
        x->gid = gid;
        x->mode = mode & 07777;
        if (strcmp(user, "-") != 0)
            (void)snprintf(x->user, sizeof x->user, "%s", user);
        if (strcmp(group, "-") != 0)
            (void)snprintf(x->group, sizeof x->group, "%s", group);
    }
    return 0;
}

/* ---- owners recorded under --root ------------------------------------------------------------ */

typedef struct owners {
    dk_buf text; /* new records "PATH OWNER GROUP MODE\n" */
} owners;

static int record_owner(owners *ow, const char *path, const char *owner, const char *group,
                        mode_t mode, dk_err *e)
{
    return dk_buf_printf(&ow->text, e, "%s %s %s %04o\n", path, owner, group, (unsigned)mode);
}

/* Merge the new records into ROOT/var/lib/dkimctl/owners (a later record of
 * a path replaces the earlier one). */
static int write_owners(const dk_root *r, owners *ow, acts *a, dk_err *e)
{
    dk_buf cur, out;
    dk_write_opts o = dk_write_defaults();
    dk_write_result res;
    size_t off = 0;
    int rc = -1;

    if (ow->text.len == 0)
        return 0;
    dk_buf_init(&cur, 0);
    dk_buf_init(&out, 0);
    if (dk_root_read_file(r, DK_OWNERS_PATH, (size_t)4 << 20, &cur, NULL, e) < 0 &&
        e->code != DK_ENOENT)
        goto out;
    if (cur.len == 0 &&
        dk_buf_puts(&out, "# PATH OWNER GROUP MODE: owners dkimctl set under --root\n", e) < 0)
        goto out;
    while (off < cur.len) {
        const char *s = cur.data + off, *nl = memchr(s, '\n', cur.len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) + 1 : cur.len - off;
        const char *sp = memchr(s, ' ', n);
        bool replaced = false;

        if (sp != NULL && s[0] == '/') {
            size_t pl = (size_t)(sp - s), o2 = 0;

            while (o2 < ow->text.len) {
                const char *t = ow->text.data + o2, *tn = memchr(t, '\n', ow->text.len - o2);
                size_t tl = tn != NULL ? (size_t)(tn - t) + 1 : ow->text.len - o2;

                if (tl > pl && memcmp(t, s, pl) == 0 && t[pl] == ' ')
                    replaced = true;
                o2 += tl;
            }
        }
        if (!replaced && dk_buf_append(&out, s, n, e) < 0)
            goto out;
        off += n;
    }
    if (dk_buf_append(&out, ow->text.data, ow->text.len, e) < 0)
        goto out;
    o.create_dirs = true;
    o.dir_mode = 0755;
    if (dk_write_file(r, DK_OWNERS_PATH, out.data, out.len, &o, &res, e) < 0)
        goto out;
    if (res.changed) {
        act *x = push(a, ACT_WRITE, DK_OWNERS_PATH, e);

        if (x == NULL)
            goto out;
        (void)snprintf(x->backup, sizeof x->backup, "%s", res.backup);
    }
    rc = 0;
out:
    dk_buf_free(&cur);
    dk_buf_free(&out);
    return rc;
}

/* ---- operations ---------------------------------------------------------------------------- */

typedef struct ctx {
    const dk_root *r;
    const dk_model *m;
    bool real;
    acts done;
    owners ow;
} ctx;

static int ids(ctx *c, const dk_op *op, long *uid, long *gid, dk_err *e)
{
    *uid = *gid = -1;
    if (!c->real)
        return 0;
    if (op->owner[0] != '\0' && (*uid = dk_account_uid(c->r, op->owner)) < 0)
        return dk_err_set(e, DK_ENOENT, "user %s does not exist", op->owner);
    if (op->group[0] != '\0' && (*gid = dk_account_gid(c->r, op->group)) < 0)
        return dk_err_set(e, DK_ENOENT, "group %s does not exist", op->group);
    return 0;
}

static int op_mkdir(ctx *c, const dk_op *op, dk_err *e)
{
    const char *base;
    long uid, gid;
    int dfd, fd, rc;

    if (ids(c, op, &uid, &gid, e) < 0)
        return -1;
    dfd = dk_root_open_parent(c->r, op->path, false, 0, &base, e);
    if (dfd < 0)
        return -1;
    if (mkdirat(dfd, base, 0700) < 0) {
        int err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "creating directory %s", op->path);
    }
    if (push(&c->done, ACT_MKDIR, op->path, e) == NULL) {
        (void)close(dfd);
        return -1;
    }
    fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    (void)close(dfd);
    if (fd < 0)
        return dk_err_errno(e, errno, "opening %s", op->path);
    rc = set_owner_mode(fd, op->path, uid, gid, op->mode, e);
    (void)close(fd);
    if (rc == 0 && !c->real)
        rc = record_owner(&c->ow, op->path, op->owner, op->group, op->mode, e);
    return rc;
}

static int op_owner(ctx *c, const dk_op *op, dk_err *e)
{
    struct stat st;
    long uid, gid;
    act *x;
    int fd, rc;

    if (ids(c, op, &uid, &gid, e) < 0)
        return -1;
    fd = open_node(c->r, op->path, e);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        (void)close(fd);
        return dk_err_errno(e, errno, "%s", op->path);
    }
    x = push(&c->done, ACT_OWNER, op->path, e);
    if (x == NULL) {
        (void)close(fd);
        return -1;
    }
    if (c->real) {
        x->uid = (long)st.st_uid;
        x->gid = (long)st.st_gid;
    }
    x->mode = st.st_mode & 07777;
    rc = set_owner_mode(fd, op->path, uid, gid, op->mode, e);
    (void)close(fd);
    if (rc == 0 && !c->real)
        rc = record_owner(&c->ow, op->path, op->owner, op->group, op->mode, e);
    return rc;
}

static int op_write(ctx *c, const dk_op *op, dk_err *e)
{
    dk_write_opts o = dk_write_defaults();
    dk_write_result res;
    long uid, gid;

    if (ids(c, op, &uid, &gid, e) < 0)
        return -1;
    o.mode = op->mode;
    o.uid = uid >= 0 ? (uid_t)uid : DK_NO_OWNER;
    o.gid = gid >= 0 ? (gid_t)gid : DK_NO_GROUP;
    o.backup = true;
    if (dk_write_file(c->r, op->path, op->new_data, op->new_len, &o, &res, e) < 0)
        return -1;
    if (res.changed) {
        act *x = push(&c->done, ACT_WRITE, op->path, e);

        if (x == NULL)
            return -1;
        (void)snprintf(x->backup, sizeof x->backup, "%s", res.created ? "" : res.backup);
        if (!res.created && res.backup[0] == '\0')
            return dk_err_set(e, DK_EINTERNAL, "no backup was made of %s", op->path);
    }
    if (!c->real && op->owner[0] != '\0')
        return record_owner(&c->ow, op->path, op->owner, op->group, op->mode, e);
    return 0;
}

static int op_group(ctx *c, const dk_op *op, dk_err *e)
{
    if (c->real) {
        const char *argv[] = {GPASSWD_BIN, "-a", op->user, op->group, NULL};
        act *x;

        if (!dk_exec_available(GPASSWD_BIN))
            return dk_err_set(e, DK_ENOENT, "%s is not installed", GPASSWD_BIN);
        if (run_prog(argv, "gpasswd -a", e) < 0)
            return -1;
        x = push(&c->done, ACT_GROUP, NULL, e);
        if (x == NULL)
            return -1;
        (void)snprintf(x->user, sizeof x->user, "%s", op->user);
        (void)snprintf(x->group, sizeof x->group, "%s", op->group);
        return 0;
    }
    {
        dk_buf cur;
        struct stat st;
        char *out = NULL;
        size_t outlen = 0;
        dk_write_opts o = dk_write_defaults();
        dk_write_result res;
        int rc = -1;

        dk_buf_init(&cur, (size_t)4 << 20);
        if (dk_root_read_file(c->r, DK_GROUP_FILE, (size_t)4 << 20, &cur, &st, e) < 0 ||
            dk_group_add_member(cur.data != NULL ? cur.data : "", cur.len, op->group, op->user,
                                &out, &outlen, e) < 0)
            goto out;
        o.mode = st.st_mode & 07777;
        if (dk_write_file(c->r, DK_GROUP_FILE, out, outlen, &o, &res, e) < 0)
            goto out;
        if (res.changed) {
            act *x = push(&c->done, ACT_WRITE, DK_GROUP_FILE, e);

            if (x == NULL)
                goto out;
            (void)snprintf(x->backup, sizeof x->backup, "%s", res.backup);
        }
        rc = 0;
    out:
        free(out);
        dk_buf_free(&cur);
        return rc;
    }
}

static int op_keygen(ctx *c, const dk_op *op, const dk_progress *pr, dk_err *e)
{
    dk_keygen_opts o;
    dk_keygen_result res;

    memset(&o, 0, sizeof o);
    o.alg = op->selector->alg;
    o.bits = op->selector->bits;
    o.force = false;
    o.user = c->m->opendkim.user;
    if (dk_keygen_write(c->r, op->path, &o, pr, &res, e) < 0)
        return -1;
    if (res.created && push(&c->done, ACT_KEYGEN, op->path, e) == NULL)
        return -1;
    if (!c->real)
        return record_owner(&c->ow, op->path, c->m->opendkim.user, c->m->opendkim.user, 0600, e);
    return 0;
}

/* ---- checks after the changes ---------------------------------------------------------------- */

static int check_keys(ctx *c, dk_err *e)
{
    for (size_t i = 0; i < c->m->ndomains; i++) {
        const dk_domain *d = &c->m->domains[i];

        for (size_t j = 0; j < d->nsel; j++) {
            char why[DK_PATH_MAX + 128];
            int rc;

            if (d->sel[j].state != DK_SEL_ACTIVE)
                continue;
            rc =
                dk_keysafe_check(c->r, d->sel[j].key_path, c->m->opendkim.user, why, sizeof why, e);
            if (rc < 0)
                return dk_err_prefix(e, "key of %s/%s: ", d->name, d->sel[j].name);
            if (rc == 0)
                return dk_err_set(e, DK_EPERM,
                                  "OpenDKIM (RequireSafeKeys) would refuse the key of %s/%s: %s",
                                  d->name, d->sel[j].name, why);
        }
    }
    return 0;
}

static int validate(ctx *c, dk_apply_result *res, dk_err *e)
{
    char conf[DK_PATH_MAX], pdir[DK_PATH_MAX];
    size_t l;

    if (dk_root_path(c->r, c->m->opendkim.conf_path, conf, sizeof conf, e) < 0 ||
        dk_root_path(c->r, c->m->postfix.config_dir, pdir, sizeof pdir, e) < 0)
        return -1;
    res->validated[0] = '\0';
    if (dk_exec_available(OPENDKIM_BIN)) {
        const char *argv[] = {OPENDKIM_BIN, "-n", "-x", conf, NULL};

        if (run_prog(argv, "opendkim -n (configuration check)", e) < 0)
            return -1;
        l = strlen(res->validated);
        (void)snprintf(res->validated + l, sizeof res->validated - l, "opendkim -n passed");
    }
    if (dk_exec_available(POSTFIX_BIN)) {
        const char *argv[] = {POSTFIX_BIN, "-c", pdir, "check", NULL};

        if (run_prog(argv, "postfix check (its reasons go to the mail log)", e) < 0)
            return -1;
        l = strlen(res->validated);
        (void)snprintf(res->validated + l, sizeof res->validated - l, "%spostfix check passed",
                       l > 0 ? ", " : "");
    }
    if (res->validated[0] == '\0')
        (void)snprintf(res->validated, sizeof res->validated,
                       "opendkim and postfix are not installed; no daemon checks ran");
    return 0;
}

static void reload(ctx *c, dk_apply_result *res)
{
    dk_err e2;
    bool systemd = access("/run/systemd/system", F_OK) == 0 && dk_exec_available(SYSTEMCTL_BIN);

    (void)c;
    if (systemd) {
        const char *a1[] = {SYSTEMCTL_BIN, "restart", "opendkim", NULL};
        const char *a2[] = {SYSTEMCTL_BIN, "reload", "postfix", NULL};

        if (run_prog(a1, "systemctl restart opendkim", &e2) < 0 ||
            run_prog(a2, "systemctl reload postfix", &e2) < 0)
            (void)snprintf(res->reloaded, sizeof res->reloaded, "reload failed: %.200s", e2.msg);
        else
            (void)snprintf(res->reloaded, sizeof res->reloaded,
                           "opendkim restarted and postfix reloaded (systemctl)");
        return;
    }
    {
        const char *a1[] = {"/etc/init.d/opendkim", "restart", NULL};
        const char *a2[] = {POSTFIX_BIN, "reload", NULL};

        if ((dk_exec_available(a1[0]) && run_prog(a1, "/etc/init.d/opendkim restart", &e2) < 0) ||
            (dk_exec_available(a2[0]) && run_prog(a2, "postfix reload", &e2) < 0))
            (void)snprintf(res->reloaded, sizeof res->reloaded, "reload failed: %.200s", e2.msg);
        else
            (void)snprintf(res->reloaded, sizeof res->reloaded,
                           "opendkim restarted (init script) and postfix reloaded");
    }
}

int dk_apply(const dk_plan *p, const dk_model *m, const dk_root *r, const dk_apply_opts *o,
             dk_apply_result *res, dk_err *e)
{
    ctx c;
    dk_buf j;
    size_t i;
    const dk_op *failed = NULL;
    const char *stage = NULL;

    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    if (dk_plan_blocked(p))
        return dk_err_set(e, DK_EINVAL,
                          "the plan has critical findings; nothing was changed (see 'dkimctl "
                          "plan')");
    c.r = r;
    c.m = m;
    c.real = dk_root_is_real(r);
    dk_buf_init(&c.ow.text, 0);
    dk_buf_init(&j, 0);

    for (i = 0; i < p->n; i++) {
        const dk_op *op = &p->ops[i];
        int rc = 0;

        if (o->progress != NULL &&
            dk_progress_step(o->progress, op->summary, (unsigned long)i, (unsigned long)p->n)) {
            dk_err_set(e, DK_ECANCEL, "cancelled");
            failed = op;
            break;
        }
        switch (op->kind) {
        case DK_OP_MKDIR:
            rc = op_mkdir(&c, op, e);
            break;
        case DK_OP_KEYGEN:
            rc = op_keygen(&c, op, o->progress, e);
            break;
        case DK_OP_WRITE:
        case DK_OP_EDIT:
            rc = op_write(&c, op, e);
            break;
        case DK_OP_OWNER:
            rc = op_owner(&c, op, e);
            break;
        case DK_OP_GROUP:
            rc = op_group(&c, op, e);
            break;
        case DK_OP_RELOAD:
            break; /* after validation */
        }
        if (rc < 0) {
            failed = op;
            break;
        }
        res->done++;
    }
    if (failed == NULL && !c.real && write_owners(r, &c.ow, &c.done, e) < 0)
        stage = "recording owners";
    if (failed == NULL && stage == NULL && p->n > 0 && check_keys(&c, e) < 0)
        stage = "key safety check";
    if (failed == NULL && stage == NULL && p->n > 0) {
        if (c.real || o->validate) {
            if (validate(&c, res, e) < 0)
                stage = "validation";
        } else {
            (void)snprintf(res->validated, sizeof res->validated,
                           "daemon checks skipped under --root (the files name paths of the "
                           "target system; use --validate to run them anyway)");
        }
    }
    if (failed == NULL && stage == NULL && c.done.n > 0) {
        dk_write_opts wo = dk_write_defaults();

        wo.mode = 0600;
        wo.create_dirs = true;
        wo.dir_mode = 0755;
        wo.backup = false;
        if (journal_text(&c.done, &j, e) < 0 ||
            dk_write_file(r, DK_JOURNAL_PATH, j.data, j.len, &wo, NULL, e) < 0)
            stage = "writing the journal";
    }
    if (failed != NULL || stage != NULL) {
        char why[DK_ERR_MSG + DK_ERR_FILE + 8], note[1024] = "";
        size_t undone = undo_all(r, &c.done, note, sizeof note);

        (void)dk_err_format(e, why, sizeof why);
        res->rolled_back = true;
        if (failed != NULL)
            dk_err_set(e, e->code == DK_OK ? DK_EIO : e->code,
                       "apply failed at \"%s\": %s; %zu change%s rolled back%s%s", failed->summary,
                       why, undone, undone == 1 ? "" : "s", note[0] != '\0' ? "; " : "", note);
        else
            dk_err_set(e, e->code == DK_OK ? DK_EIO : e->code,
                       "apply failed in the %s: %s; %zu change%s rolled back%s%s", stage, why,
                       undone, undone == 1 ? "" : "s", note[0] != '\0' ? "; " : "", note);
        free(c.done.v);
        dk_buf_free(&c.ow.text);
        dk_buf_free(&j);
        return -1;
    }
    if (o->reload && p->n > 0) {
        if (c.real)
            reload(&c, res);
        else
            (void)snprintf(res->reloaded, sizeof res->reloaded, "nothing reloaded under --root");
    }
    free(c.done.v);
    dk_buf_free(&c.ow.text);
    dk_buf_free(&j);
    return 0;
}

int dk_rollback(const dk_root *r, size_t *undone, dk_err *e)
{
    dk_buf j;
    acts a;
    char note[1024] = "";
    const char *base;
    int dfd;

    *undone = 0;
    memset(&a, 0, sizeof a);
    dk_buf_init(&j, (size_t)4 << 20);
    if (dk_root_read_file(r, DK_JOURNAL_PATH, (size_t)4 << 20, &j, NULL, e) < 0) {
        dk_buf_free(&j);
        if (e->code == DK_ENOENT)
            return dk_err_set(e, DK_ENOENT, "there is no apply to roll back (no %s)",
                              DK_JOURNAL_PATH);
        return -1;
    }
    if (journal_parse(j.data != NULL ? j.data : "", j.len, &a, e) < 0) {
        dk_buf_free(&j);
        free(a.v);
        return -1;
    }
    dk_buf_free(&j);
    if (!dk_root_is_real(r))
        for (size_t i = 0; i < a.n; i++)
            if (a.v[i].kind == ACT_GROUP) {
                free(a.v);
                return dk_err_set(e, DK_EINVAL,
                                  "the journal names a group change made on the real root; "
                                  "roll it back without --root");
            }
    *undone = undo_all(r, &a, note, sizeof note);
    free(a.v);
    if (note[0] != '\0')
        return dk_err_set(e, DK_EIO, "rollback incomplete: %s", note);
    dfd = dk_root_open_parent(r, DK_JOURNAL_PATH, false, 0, &base, e);
    if (dfd < 0)
        return -1;
    if (unlinkat(dfd, base, 0) < 0) {
        int err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "removing %s", DK_JOURNAL_PATH);
    }
    (void)close(dfd);
    return 0;
}
