/* accounts.c - users and groups from ROOT/etc/passwd and ROOT/etc/group; recorded owners. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "util/buf.h"
#include "util/mem.h"

#define ACCOUNTS_MAX ((size_t)4 * 1024 * 1024)

/* Field i (0-based, ':'-separated) of line [s, s+n) into out. */
static bool field(const char *s, size_t n, unsigned i, char *out, size_t size)
{
    size_t st = 0, k = 0;

    for (unsigned f = 0; f < i; f++) {
        const char *c = memchr(s + st, ':', n - st);
        if (c == NULL)
            return false;
        st = (size_t)(c - s) + 1;
    }
    k = st;
    while (k < n && s[k] != ':')
        k++;
    if (k - st >= size)
        return false;
    memcpy(out, s + st, k - st);
    out[k - st] = '\0';
    return true;
}

typedef bool (*line_fn)(const char *s, size_t n, void *ud);

static void each_line(const dk_root *r, const char *sys, line_fn fn, void *ud)
{
    dk_buf b;
    size_t off = 0;

    dk_buf_init(&b, ACCOUNTS_MAX);
    if (dk_root_read_file(r, sys, ACCOUNTS_MAX, &b, NULL, NULL) < 0) {
        dk_buf_free(&b);
        return;
    }
    while (off < b.len) {
        const char *s = b.data + off, *nl = memchr(s, '\n', b.len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : b.len - off;

        off += n + (nl != NULL ? 1 : 0);
        if (n > 0 && s[0] != '#' && !fn(s, n, ud))
            break;
    }
    dk_buf_free(&b);
}

typedef struct lookup {
    const char *name; /* by name ... */
    long id;          /* ... or by id */
    unsigned idfield;
    long found;
    char foundname[DK_NAME_MAX];
} lookup;

static bool by_name(const char *s, size_t n, void *ud)
{
    lookup *l = ud;
    char name[DK_NAME_MAX], id[32];
    char *end;

    if (!field(s, n, 0, name, sizeof name) || strcmp(name, l->name) != 0)
        return true;
    if (!field(s, n, l->idfield, id, sizeof id))
        return true;
    l->found = strtol(id, &end, 10);
    if (*end != '\0' || id[0] == '\0')
        l->found = -1;
    return false;
}

static bool by_id(const char *s, size_t n, void *ud)
{
    lookup *l = ud;
    char name[DK_NAME_MAX], id[32];

    if (!field(s, n, 0, name, sizeof name) || !field(s, n, l->idfield, id, sizeof id))
        return true;
    if (strtol(id, NULL, 10) != l->id || id[0] == '\0')
        return true;
    (void)snprintf(l->foundname, sizeof l->foundname, "%s", name);
    return false;
}

long dk_account_uid(const dk_root *r, const char *user)
{
    lookup l = {user, 0, 2, -1, ""};

    each_line(r, DK_PASSWD_FILE, by_name, &l);
    return l.found;
}

long dk_account_gid(const dk_root *r, const char *group)
{
    lookup l = {group, 0, 2, -1, ""};

    each_line(r, DK_GROUP_FILE, by_name, &l);
    return l.found;
}

static long primary_gid(const dk_root *r, const char *user)
{
    lookup l = {user, 0, 3, -1, ""};

    each_line(r, DK_PASSWD_FILE, by_name, &l);
    return l.found;
}

void dk_account_user_name(const dk_root *r, uid_t uid, char *out, size_t size)
{
    lookup l = {NULL, (long)uid, 2, -1, ""};

    each_line(r, DK_PASSWD_FILE, by_id, &l);
    if (l.foundname[0] != '\0')
        (void)snprintf(out, size, "%s", l.foundname);
    else
        (void)snprintf(out, size, "#%lu", (unsigned long)uid);
}

void dk_account_group_name(const dk_root *r, gid_t gid, char *out, size_t size)
{
    lookup l = {NULL, (long)gid, 2, -1, ""};

    each_line(r, DK_GROUP_FILE, by_id, &l);
    if (l.foundname[0] != '\0')
        (void)snprintf(out, size, "%s", l.foundname);
    else
        (void)snprintf(out, size, "#%lu", (unsigned long)gid);
}

/* Is user in the comma list [s, s+n)? */
static bool in_list(const char *s, size_t n, const char *user)
{
    size_t ul = strlen(user), st = 0;

    for (size_t k = 0; k <= n; k++) {
        if (k == n || s[k] == ',') {
            if (k - st == ul && memcmp(s + st, user, ul) == 0)
                return true;
            st = k + 1;
        }
    }
    return false;
}

typedef struct member {
    const char *group, *user;
    bool found;
} member;

static bool member_fn(const char *s, size_t n, void *ud)
{
    member *m = ud;
    char name[DK_NAME_MAX];
    const char *c;

    if (!field(s, n, 0, name, sizeof name) || strcmp(name, m->group) != 0)
        return true;
    c = s;
    for (int i = 0; i < 3 && c != NULL; i++) {
        c = memchr(c, ':', n - (size_t)(c - s));
        if (c != NULL)
            c++;
    }
    if (c != NULL) {
        size_t rest = n - (size_t)(c - s);
        while (rest > 0 && (c[rest - 1] == '\r' || c[rest - 1] == ' '))
            rest--;
        m->found = in_list(c, rest, m->user);
    }
    return false;
}

bool dk_account_in_group(const dk_root *r, const char *user, const char *group)
{
    member m = {group, user, false};
    long gid = dk_account_gid(r, group);

    if (gid >= 0 && primary_gid(r, user) == gid)
        return true;
    each_line(r, DK_GROUP_FILE, member_fn, &m);
    return m.found;
}

static int group_edit(const char *text, size_t len, const char *group, const char *user, bool add,
                      char **out, size_t *outlen, dk_err *e)
{
    size_t off = 0, ul = strlen(user);
    dk_buf b;

    *out = NULL;
    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - off, end = n, ms, st;
        const char *c = s;
        char name[DK_NAME_MAX];
        bool first = true;

        if (!field(s, n, 0, name, sizeof name) || strcmp(name, group) != 0) {
            off += n + (nl != NULL ? 1 : 0);
            continue;
        }
        for (int i = 0; i < 3 && c != NULL; i++) {
            c = memchr(c, ':', n - (size_t)(c - s));
            if (c != NULL)
                c++;
        }
        if (c == NULL)
            return dk_err_setloc(e, DK_EINVAL, DK_GROUP_FILE, 0, 0,
                                 "the line of group %s has fewer than 4 fields", group);
        ms = (size_t)(c - s);
        while (end > ms && s[end - 1] == '\r')
            end--;
        dk_buf_init(&b, ACCOUNTS_MAX);
        if (dk_buf_append(&b, text, off + ms, e) < 0)
            goto fail;
        /* the member list without user, then user at the end when adding */
        for (size_t k = st = ms; k <= end; k++) {
            if (k < end && s[k] != ',')
                continue;
            if (k > st && !(k - st == ul && memcmp(s + st, user, ul) == 0)) {
                if ((!first && dk_buf_putc(&b, ',', e) < 0) ||
                    dk_buf_append(&b, s + st, k - st, e) < 0)
                    goto fail;
                first = false;
            }
            st = k + 1;
        }
        if (add && ((!first && dk_buf_putc(&b, ',', e) < 0) || dk_buf_puts(&b, user, e) < 0))
            goto fail;
        if (dk_buf_append(&b, text + off + end, len - off - end, e) < 0)
            goto fail;
        *outlen = b.len;
        *out = dk_buf_steal(&b, NULL);
        if (*out == NULL)
            *out = dk_strdup("", e);
        return *out != NULL ? 0 : -1;
    }
    return dk_err_setloc(e, DK_ENOENT, DK_GROUP_FILE, 0, 0, "group %s does not exist", group);
fail:
    dk_buf_free(&b);
    return -1;
}

int dk_group_add_member(const char *text, size_t len, const char *group, const char *user,
                        char **out, size_t *outlen, dk_err *e)
{
    return group_edit(text, len, group, user, true, out, outlen, e);
}

int dk_group_del_member(const char *text, size_t len, const char *group, const char *user,
                        char **out, size_t *outlen, dk_err *e)
{
    return group_edit(text, len, group, user, false, out, outlen, e);
}

typedef struct owners_q {
    const char *path;
    char *owner, *group;
    mode_t *mode;
    bool found;
} owners_q;

static bool owners_fn(const char *s, size_t n, void *ud)
{
    owners_q *q = ud;
    char line[DK_PATH_MAX + 128], path[DK_PATH_MAX], owner[DK_NAME_MAX], group[DK_NAME_MAX];
    unsigned mode;

    if (n >= sizeof line)
        return true;
    memcpy(line, s, n);
    line[n] = '\0';
    if (sscanf(line, "%4095s %32s %32s %o", path, owner, group, &mode) != 4)
        return true;
    if (strcmp(path, q->path) == 0) { /* the last record wins: keep reading */
        q->found = true;
        (void)snprintf(q->owner, DK_NAME_MAX, "%s", owner);
        (void)snprintf(q->group, DK_NAME_MAX, "%s", group);
        *q->mode = (mode_t)mode;
    }
    return true;
}

bool dk_owners_lookup(const dk_root *r, const char *path, char *owner, char *group, mode_t *mode)
{
    owners_q q = {path, owner, group, mode, false};

    if (dk_root_is_real(r))
        return false;
    each_line(r, DK_OWNERS_PATH, owners_fn, &q);
    return q.found;
}
