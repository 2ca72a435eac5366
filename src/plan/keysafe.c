/* keysafe.c - OpenDKIM's RequireSafeKeys rules, walked without following symlinks. */
#include "plan/keysafe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"
#include "util/buf.h"

/* Does anybody but the OpenDKIM user and root belong to gid? (who names one) */
static bool group_shared(const dk_root *r, gid_t gid, const char *user, long uid, char *who,
                         size_t size)
{
    dk_buf b;
    char gname[DK_NAME_MAX];
    bool shared = false;
    size_t off = 0;

    /* primary group of another account */
    dk_buf_init(&b, 0);
    if (dk_root_read_file(r, DK_PASSWD_FILE, (size_t)4 << 20, &b, NULL, NULL) == 0) {
        while (off < b.len && !shared) {
            const char *s = b.data + off, *nl = memchr(s, '\n', b.len - off);
            size_t n = nl != NULL ? (size_t)(nl - s) : b.len - off;
            char line[1024], name[DK_NAME_MAX];
            long u, g;

            off += n + (nl != NULL ? 1 : 0);
            if (n >= sizeof line)
                continue;
            memcpy(line, s, n);
            line[n] = '\0';
            if (sscanf(line, "%32[^:]:%*[^:]:%ld:%ld", name, &u, &g) != 3)
                continue;
            if (g == (long)gid && u != uid && u != 0) {
                shared = true;
                (void)snprintf(who, size, "%s", name);
            }
        }
    }
    dk_buf_free(&b);
    if (shared)
        return true;
    /* members listed in the group */
    dk_account_group_name(r, gid, gname, sizeof gname);
    dk_buf_init(&b, 0);
    off = 0;
    if (dk_root_read_file(r, DK_GROUP_FILE, (size_t)4 << 20, &b, NULL, NULL) == 0) {
        while (off < b.len && !shared) {
            const char *s = b.data + off, *nl = memchr(s, '\n', b.len - off);
            size_t n = nl != NULL ? (size_t)(nl - s) : b.len - off;
            char line[4096], name[DK_NAME_MAX];
            char *mem, *tok, *save = NULL;
            int colons = 0;

            off += n + (nl != NULL ? 1 : 0);
            if (n >= sizeof line)
                continue;
            memcpy(line, s, n);
            line[n] = '\0';
            if (sscanf(line, "%32[^:]", name) != 1 || strcmp(name, gname) != 0)
                continue;
            mem = line;
            while (*mem != '\0' && colons < 3)
                if (*mem++ == ':')
                    colons++;
            for (tok = strtok_r(mem, ",\r", &save); tok != NULL; tok = strtok_r(NULL, ",\r", &save))
                if (strcmp(tok, user) != 0 && strcmp(tok, "root") != 0) {
                    shared = true;
                    (void)snprintf(who, size, "%s", tok);
                    break;
                }
        }
    }
    dk_buf_free(&b);
    return shared;
}

/* The owner to judge: recorded owner under --root, the invoking user as root. */
static long judged_uid(const dk_root *r, const char *sys, const struct stat *st)
{
    char owner[DK_NAME_MAX], group[DK_NAME_MAX];
    mode_t mode;

    if (dk_root_is_real(r))
        return (long)st->st_uid;
    if (dk_owners_lookup(r, sys, owner, group, &mode))
        return dk_account_uid(r, owner);
    if (st->st_uid == geteuid())
        return 0;
    return (long)st->st_uid;
}

int dk_keysafe_check(const dk_root *r, const char *key_sys, const char *user, char *why,
                     size_t whysize, dk_err *e)
{
    long uid = dk_account_uid(r, user);
    char partial[DK_PATH_MAX];
    size_t i = 0, len = strlen(key_sys);

    why[0] = '\0';
    if (uid < 0)
        return dk_err_setloc(e, DK_ENOENT, DK_PASSWD_FILE, 0, 0, "user %s does not exist", user);
    if (!dk_path_is_clean(key_sys))
        return dk_err_set(e, DK_EINVAL, "'%s' is not a clean absolute path", key_sys);
    /* "/" itself when it is the real root, then every component */
    for (;;) {
        struct stat st;
        long owner;
        char who[DK_NAME_MAX];
        bool last;

        if (i == 0) {
            if (!dk_root_is_real(r)) {
                i = 1;
                continue; /* the --root directory is trusted as given */
            }
            (void)snprintf(partial, sizeof partial, "/");
            if (stat("/", &st) < 0)
                return dk_err_errno(e, errno, "/");
            i = 1;
        } else {
            size_t j = i;

            while (j < len && key_sys[j] != '/')
                j++;
            (void)snprintf(partial, sizeof partial, "%.*s", (int)j, key_sys);
            if (dk_root_lstat(r, partial, &st, e) < 0)
                return -1;
            i = j + 1;
        }
        last = strcmp(partial, key_sys) == 0;
        if (S_ISLNK(st.st_mode)) {
            (void)snprintf(why, whysize, "%s is a symbolic link", partial);
            return 0;
        }
        owner = judged_uid(r, partial, &st);
        if (last) {
            if (!S_ISREG(st.st_mode)) {
                (void)snprintf(why, whysize, "%s is not a regular file", partial);
                return 0;
            }
            if (owner != 0 && owner != uid) {
                (void)snprintf(why, whysize, "%s is not owned by root or %s", partial, user);
                return 0;
            }
            if ((st.st_mode & (S_IRGRP | S_IWGRP)) != 0 &&
                group_shared(r, st.st_gid, user, uid, who, sizeof who)) {
                (void)snprintf(why, whysize,
                               "%s is readable by its group, which has other users (e.g. %s)",
                               partial, who);
                return 0;
            }
            if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
                (void)snprintf(why, whysize, "%s can be read or written by other users", partial);
                return 0;
            }
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            (void)snprintf(why, whysize, "%s is not a directory", partial);
            return 0;
        }
        if ((st.st_mode & S_IWOTH) != 0) {
            (void)snprintf(why, whysize, "%s is writable by other users", partial);
            return 0;
        }
        if ((st.st_mode & S_IWGRP) != 0 && group_shared(r, st.st_gid, user, uid, who, sizeof who)) {
            (void)snprintf(why, whysize,
                           "%s is writable by its group, which has other users (e.g. %s)", partial,
                           who);
            return 0;
        }
        if ((st.st_mode & S_IWUSR) != 0 && owner != 0 && owner != uid) {
            (void)snprintf(why, whysize, "%s is writable by its owner, who is not root or %s",
                           partial, user);
            return 0;
        }
    }
}

/* Is gid one of user's groups (primary, or listed as a member)? */
static bool user_in_gid(const dk_root *r, const char *user, gid_t gid)
{
    char gname[DK_NAME_MAX];

    dk_account_group_name(r, gid, gname, sizeof gname);
    return gname[0] != '#' && dk_account_in_group(r, user, gname);
}

int dk_keysafe_readable(const dk_root *r, const char *key_sys, const char *user, char *why,
                        size_t whysize, dk_err *e)
{
    long uid = dk_account_uid(r, user);
    size_t i = 1, len = strlen(key_sys);

    why[0] = '\0';
    if (uid < 0)
        return dk_err_setloc(e, DK_ENOENT, DK_PASSWD_FILE, 0, 0, "user %s does not exist", user);
    if (!dk_path_is_clean(key_sys))
        return dk_err_set(e, DK_EINVAL, "'%s' is not a clean absolute path", key_sys);
    while (i <= len) {
        char partial[DK_PATH_MAX];
        struct stat st;
        size_t j = i;
        bool last;
        mode_t u, g, o;

        while (j < len && key_sys[j] != '/')
            j++;
        (void)snprintf(partial, sizeof partial, "%.*s", (int)j, key_sys);
        i = j + 1;
        if (dk_root_lstat(r, partial, &st, e) < 0)
            return -1;
        last = j == len;
        u = last ? S_IRUSR : S_IXUSR;
        g = last ? S_IRGRP : S_IXGRP;
        o = last ? S_IROTH : S_IXOTH;
        if (uid == 0 || (judged_uid(r, partial, &st) == uid && (st.st_mode & u) != 0) ||
            ((st.st_mode & g) != 0 && user_in_gid(r, user, st.st_gid)) || (st.st_mode & o) != 0)
            continue;
        (void)snprintf(why, whysize, "%s: %s cannot %s it", partial, user, last ? "read" : "enter");
        return 0;
    }
    return 1;
}
