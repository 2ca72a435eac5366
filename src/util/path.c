/* path.c - system paths under --root, opened without following symlinks. */
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"

int dk_root_init(dk_root *r, const char *dir, dk_err *e)
{
    struct stat st;
    size_t n;

    if (dir == NULL || dir[0] == '\0')
        dir = "/";
    if (dk_strlcpy(r->dir, dir, sizeof r->dir) < 0)
        return dk_err_setloc(e, DK_EINVAL, "--root", 0, 0, "path is longer than %d bytes",
                             DK_PATH_MAX - 1);
    n = strlen(r->dir);
    while (n > 1 && r->dir[n - 1] == '/')
        r->dir[--n] = '\0';
    if (stat(r->dir, &st) < 0)
        return dk_err_errno(e, errno, "--root %s", r->dir);
    if (!S_ISDIR(st.st_mode))
        return dk_err_setloc(e, DK_EINVAL, "--root", 0, 0, "%s is not a directory", r->dir);
    return 0;
}

bool dk_root_is_real(const dk_root *r)
{
    return strcmp(r->dir, "/") == 0;
}

bool dk_path_is_clean(const char *sys)
{
    const char *p, *comp;
    size_t len;

    if (sys == NULL || sys[0] != '/')
        return false;
    len = strlen(sys);
    if (len >= DK_PATH_MAX)
        return false;
    for (p = sys; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    comp = sys + 1;
    if (*comp == '\0')
        return true; /* "/" itself */
    for (;;) {
        const char *end = strchr(comp, '/');
        size_t n = end != NULL ? (size_t)(end - comp) : strlen(comp);

        if (n == 0 && end != NULL)
            return false; /* "//" */
        if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
            return false;
        if (end == NULL)
            return n > 0; /* no trailing slash */
        comp = end + 1;
        if (*comp == '\0')
            return false;
    }
}

int dk_root_path(const dk_root *r, const char *sys, char *out, size_t size, dk_err *e)
{
    int n;

    if (!dk_path_is_clean(sys))
        return dk_err_set(e, DK_EINVAL,
                          "'%s' is not a clean absolute path (no '.', '..', '//' or control "
                          "characters)",
                          sys);
    if (dk_root_is_real(r))
        n = snprintf(out, size, "%s", sys);
    else
        n = snprintf(out, size, "%s%s", r->dir, sys);
    if (n < 0 || (size_t)n >= size)
        return dk_err_set(e, DK_EINVAL, "path %s%s is too long", r->dir, sys);
    return 0;
}

static int open_dir_at(int dirfd, const char *name, const char *shown, bool create, mode_t dirmode,
                       dk_err *e)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(dirfd, name, dirmode) < 0 && errno != EEXIST)
            return dk_err_errno(e, errno, "creating directory %s", shown);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
            struct stat st;

            if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return dk_err_set(e, DK_EPERM, "%s is a symbolic link; refusing to follow it",
                                  shown);
            return dk_err_set(e, DK_EINVAL, "%s is not a directory", shown);
        }
        return dk_err_errno(e, errno, "opening directory %s", shown);
    }
    return fd;
}

/* Walk the components of sys[0..upto) starting at the root directory. */
static int walk(const dk_root *r, const char *sys, size_t upto, bool create, mode_t dirmode,
                dk_err *e)
{
    char comp[256], shown[DK_PATH_MAX];
    size_t i = 1;
    int fd;

    fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dk_err_errno(e, errno, "opening root %s", r->dir);
    while (i < upto) {
        size_t j = i, n;
        int next;

        while (j < upto && sys[j] != '/')
            j++;
        n = j - i;
        if (n >= sizeof comp) {
            (void)close(fd);
            return dk_err_set(e, DK_EINVAL, "path component too long in %s", sys);
        }
        memcpy(comp, sys + i, n);
        comp[n] = '\0';
        (void)snprintf(shown, sizeof shown, "%.*s", (int)j, sys);
        next = open_dir_at(fd, comp, shown, create, dirmode, e);
        (void)close(fd);
        if (next < 0)
            return -1;
        fd = next;
        i = j + 1;
    }
    return fd;
}

int dk_root_open_parent(const dk_root *r, const char *sys, bool create, mode_t dirmode,
                        const char **base, dk_err *e)
{
    const char *slash;

    if (!dk_path_is_clean(sys) || strcmp(sys, "/") == 0)
        return dk_err_set(e, DK_EINVAL, "'%s' is not a clean absolute file path", sys);
    slash = strrchr(sys, '/');
    *base = slash + 1;
    return walk(r, sys, (size_t)(slash - sys), create, dirmode, e);
}

int dk_root_open_dir(const dk_root *r, const char *sys, dk_err *e)
{
    if (!dk_path_is_clean(sys))
        return dk_err_set(e, DK_EINVAL, "'%s' is not a clean absolute path", sys);
    return walk(r, sys, strlen(sys), false, 0, e);
}

static int read_fd(int fd, const char *shown, size_t max, dk_buf *b, struct stat *st, dk_err *e)
{
    struct stat sb;

    if (fstat(fd, &sb) < 0)
        return dk_err_errno(e, errno, "%s", shown);
    if (!S_ISREG(sb.st_mode))
        return dk_err_setloc(e, DK_EINVAL, shown, 0, 0, "not a regular file");
    if ((size_t)sb.st_size > max)
        return dk_err_setloc(e, DK_ENOMEM, shown, 0, 0, "file is larger than %zu bytes", max);
    if (st != NULL)
        *st = sb;
    for (;;) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dk_err_errno(e, errno, "reading %s", shown);
        }
        if (n == 0)
            break;
        if (b->len + (size_t)n > max)
            return dk_err_setloc(e, DK_ENOMEM, shown, 0, 0, "file is larger than %zu bytes", max);
        if (dk_buf_append(b, chunk, (size_t)n, e) < 0)
            return -1;
    }
    return 0;
}

int dk_root_read_file(const dk_root *r, const char *sys, size_t max, dk_buf *b, struct stat *st,
                      dk_err *e)
{
    const char *base;
    int dfd, fd, rc;

    dfd = dk_root_open_parent(r, sys, false, 0, &base, e);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        (void)close(dfd);
        if (err == ELOOP)
            return dk_err_setloc(e, DK_EPERM, sys, 0, 0,
                                 "is a symbolic link; refusing to follow it");
        return dk_err_errno(e, err, "%s", sys);
    }
    (void)close(dfd);
    rc = read_fd(fd, sys, max, b, st, e);
    (void)close(fd);
    return rc;
}

int dk_root_lstat(const dk_root *r, const char *sys, struct stat *st, dk_err *e)
{
    const char *base;
    int dfd = dk_root_open_parent(r, sys, false, 0, &base, e);

    if (dfd < 0)
        return -1;
    if (fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) < 0) {
        int err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "%s", sys);
    }
    (void)close(dfd);
    return 0;
}

int dk_read_file(const char *path, size_t max, dk_buf *b, dk_err *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return dk_err_errno(e, errno, "%s", path);
    rc = read_fd(fd, path, max, b, NULL, e);
    (void)close(fd);
    return rc;
}
