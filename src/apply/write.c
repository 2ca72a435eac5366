/* write.c - atomic, backed-up replacement of one file (see apply/write.h). */
#include "apply/write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"

dk_write_opts dk_write_defaults(void)
{
    dk_write_opts o;

    memset(&o, 0, sizeof o);
    o.mode = 0644;
    o.uid = DK_NO_OWNER;
    o.gid = DK_NO_GROUP;
    o.backup = true;
    o.create_dirs = false;
    o.dir_mode = 0755;
    o.exclusive = false;
    return o;
}

/* Does the open file hold exactly data[0..len)? */
static int same_content(int fd, const void *data, size_t len, bool *same, const char *sys,
                        dk_err *e)
{
    const unsigned char *p = data;
    size_t off = 0;

    *same = false;
    for (;;) {
        unsigned char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dk_err_errno(e, errno, "reading %s", sys);
        }
        if (n == 0)
            break;
        if ((size_t)n > len - off || memcmp(chunk, p + off, (size_t)n) != 0)
            return 0;
        off += (size_t)n;
    }
    *same = off == len;
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int temp_name(char *out, size_t size, const char *base)
{
    unsigned char rnd[6];
    static const char hex[] = "0123456789abcdef";
    char tag[13];

    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;
    for (size_t i = 0; i < sizeof rnd; i++) {
        tag[2 * i] = hex[rnd[i] >> 4];
        tag[2 * i + 1] = hex[rnd[i] & 15];
    }
    tag[12] = '\0';
    if (snprintf(out, size, ".%s.dkimctl-tmp-%s", base, tag) >= (int)size)
        return -1;
    return 0;
}

/* Hard-link the current file to NAME.dkimctl-STAMP[-N]; name into bak. */
static int make_backup(int dfd, const char *base, const char *sys, char *bak, size_t size,
                       dk_err *e)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        return dk_err_set(e, DK_EINTERNAL, "cannot format the backup time stamp");
    for (unsigned n = 0; n < 100; n++) {
        int w = n == 0 ? snprintf(bak, size, "%s.dkimctl-%s", base, stamp)
                       : snprintf(bak, size, "%s.dkimctl-%s-%u", base, stamp, n);

        if (w < 0 || (size_t)w >= size)
            return dk_err_set(e, DK_EINVAL, "backup name for %s is too long", sys);
        if (linkat(dfd, base, dfd, bak, 0) == 0)
            return 0;
        if (errno != EEXIST)
            return dk_err_errno(e, errno, "making a backup of %s", sys);
    }
    return dk_err_set(e, DK_EEXIST, "too many backups of %s in one second", sys);
}

static void sys_sibling(const char *sys, const char *name, char *out, size_t size)
{
    const char *slash = strrchr(sys, '/');
    int dirlen = (int)(slash - sys);

    (void)snprintf(out, size, "%.*s/%s", dirlen, sys, name);
}

int dk_write_file(const dk_root *r, const char *sys, const void *data, size_t len,
                  const dk_write_opts *o, dk_write_result *res, dk_err *e)
{
    dk_write_result local;
    struct stat st;
    const char *base;
    char tmp[300], bak[300];
    bool exists, have_bak = false;
    int dfd, fd = -1, err;

    if (res == NULL)
        res = &local;
    memset(res, 0, sizeof *res);
    dfd = dk_root_open_parent(r, sys, o->create_dirs, o->dir_mode, &base, e);
    if (dfd < 0)
        return -1;

    exists = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) {
        err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "%s", sys);
    }
    if (exists) {
        bool same = false;

        if (S_ISLNK(st.st_mode)) {
            (void)close(dfd);
            return dk_err_setloc(e, DK_EPERM, sys, 0, 0,
                                 "is a symbolic link; refusing to write through it");
        }
        if (!S_ISREG(st.st_mode)) {
            (void)close(dfd);
            return dk_err_setloc(e, DK_EPERM, sys, 0, 0, "is not a regular file");
        }
        if (st.st_nlink > 1) {
            (void)close(dfd);
            return dk_err_setloc(e, DK_EPERM, sys, 0, 0,
                                 "has %lu hard links; refusing to replace a hard-linked file",
                                 (unsigned long)st.st_nlink);
        }
        if (o->exclusive) {
            (void)close(dfd);
            return dk_err_setloc(e, DK_EEXIST, sys, 0, 0, "already exists");
        }
        fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || same_content(fd, data, len, &same, sys, e) < 0) {
            if (fd < 0)
                dk_err_errno(e, errno, "%s", sys);
            else
                (void)close(fd);
            (void)close(dfd);
            return -1;
        }
        (void)close(fd);
        fd = -1;
        if (same && (st.st_mode & 07777) == o->mode &&
            (o->uid == DK_NO_OWNER || st.st_uid == o->uid) &&
            (o->gid == DK_NO_GROUP || st.st_gid == o->gid)) {
            (void)close(dfd);
            return 0; /* nothing to do: not even the mtime changes */
        }
    }
    res->created = !exists;
    res->changed = true;

    if (temp_name(tmp, sizeof tmp, base) < 0) {
        (void)close(dfd);
        return dk_err_set(e, DK_EINTERNAL, "cannot make a temporary name for %s", sys);
    }
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "creating a temporary file next to %s", sys);
    }
    if ((o->uid != DK_NO_OWNER || o->gid != DK_NO_GROUP) && fchown(fd, o->uid, o->gid) < 0) {
        dk_err_errno(e, errno, "setting the owner of %s", sys);
        goto fail;
    }
    if (fchmod(fd, o->mode) < 0) {
        dk_err_errno(e, errno, "setting the mode of %s", sys);
        goto fail;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        dk_err_errno(e, errno, "writing %s", sys);
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        dk_err_errno(e, errno, "writing %s", sys);
        goto fail;
    }
    fd = -1;
    if (exists && o->backup) {
        if (make_backup(dfd, base, sys, bak, sizeof bak, e) < 0)
            goto fail;
        have_bak = true;
    }
    if (renameat(dfd, tmp, dfd, base) < 0) {
        dk_err_errno(e, errno, "replacing %s", sys);
        goto fail;
    }
    if (fsync(dfd) < 0) {
        /* the new file is in place; report, but it is not a half-written file */
        err = errno;
        (void)close(dfd);
        return dk_err_errno(e, err, "syncing the directory of %s", sys);
    }
    (void)close(dfd);
    if (have_bak)
        sys_sibling(sys, bak, res->backup, sizeof res->backup);
    return 0;

fail:
    if (fd >= 0)
        (void)close(fd);
    (void)unlinkat(dfd, tmp, 0);
    if (have_bak)
        (void)unlinkat(dfd, bak, 0);
    (void)close(dfd);
    res->changed = false;
    res->created = false;
    return -1;
}

int dk_write_restore(const dk_root *r, const char *sys, const char *backup_sys, dk_err *e)
{
    dk_write_opts o = dk_write_defaults();
    struct stat st;
    dk_buf b;
    int rc;

    if (backup_sys == NULL) {
        const char *base;
        int dfd = dk_root_open_parent(r, sys, false, 0, &base, e);

        if (dfd < 0)
            return -1;
        if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) {
            int err = errno;
            (void)close(dfd);
            return dk_err_errno(e, err, "removing %s", sys);
        }
        rc = fsync(dfd);
        (void)close(dfd);
        return rc < 0 ? dk_err_errno(e, errno, "syncing the directory of %s", sys) : 0;
    }
    dk_buf_init_secret(&b, 0); /* a backup may be a key */
    if (dk_root_read_file(r, backup_sys, DK_BUF_DEFAULT_MAX, &b, &st, e) < 0) {
        dk_buf_free(&b);
        return dk_err_prefix(e, "restoring %s: ", sys);
    }
    o.mode = st.st_mode & 07777;
    o.uid = st.st_uid;
    o.gid = st.st_gid;
    o.backup = false;
    rc = dk_write_file(r, sys, b.data, b.len, &o, NULL, e);
    dk_buf_free(&b);
    return rc;
}
