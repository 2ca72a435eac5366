/* keysafe.c - key-file safety as OpenDKIM judges it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check/keysafe.h"

static bool owner_ok(uid_t uid, const dk_key_owners *o)
{
    if (uid == 0)
        return true;
    for (size_t i = 0; i < o->n; i++)
        if (o->uid[i] == uid)
            return true;
    return false;
}

enum dk_keysafe dk_keysafe_dir(const struct stat *st, const char *shown, const dk_key_owners *o,
                               char *what, size_t wsize, char *fix, size_t fsize)
{
    if (!S_ISDIR(st->st_mode)) {
        (void)snprintf(what, wsize, "is not a directory");
        (void)snprintf(fix, fsize, "make %s a directory", shown);
        return DK_KS_NOTDIR;
    }
    if (!owner_ok(st->st_uid, o)) {
        (void)snprintf(what, wsize,
                       "is owned by uid %lu, neither root nor the OpenDKIM user; OpenDKIM "
                       "(RequireSafeKeys) refuses keys below it",
                       (unsigned long)st->st_uid);
        (void)snprintf(fix, fsize, "chown root %s", shown);
        return DK_KS_OWNER;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        (void)snprintf(what, wsize,
                       "is writable by group or others (mode %04o); OpenDKIM (RequireSafeKeys) "
                       "refuses keys below it",
                       (unsigned)(st->st_mode & 07777));
        (void)snprintf(fix, fsize, "chmod go-w %s", shown);
        return DK_KS_WRITABLE;
    }
    return DK_KS_OK;
}

enum dk_keysafe dk_keysafe_file(const struct stat *st, const char *shown, const dk_key_owners *o,
                                char *what, size_t wsize, char *fix, size_t fsize)
{
    if (!S_ISREG(st->st_mode)) {
        (void)snprintf(what, wsize, "is not a regular file");
        (void)snprintf(fix, fsize, "put the private key file at %s", shown);
        return DK_KS_NOTREG;
    }
    if (st->st_nlink > 1) {
        (void)snprintf(what, wsize, "has %lu hard links: another name can change the key",
                       (unsigned long)st->st_nlink);
        (void)snprintf(fix, fsize, "remove the other links to %s", shown);
        return DK_KS_LINKS;
    }
    if (!owner_ok(st->st_uid, o)) {
        (void)snprintf(what, wsize,
                       "is owned by uid %lu, neither root nor the OpenDKIM user; OpenDKIM "
                       "(RequireSafeKeys) refuses it",
                       (unsigned long)st->st_uid);
        (void)snprintf(fix, fsize, "chown opendkim %s", shown);
        return DK_KS_OWNER;
    }
    if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        (void)snprintf(what, wsize,
                       "is accessible by group or others (mode %04o); OpenDKIM (RequireSafeKeys) "
                       "refuses it and anyone able to read it can sign as the domain",
                       (unsigned)(st->st_mode & 07777));
        (void)snprintf(fix, fsize, "chmod 0600 %s", shown);
        return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 ? DK_KS_WRITABLE : DK_KS_READABLE;
    }
    return DK_KS_OK;
}

int dk_keysafe_check(const dk_root *r, const char *sys, const dk_key_owners *o, dk_findings *out,
                     dk_err *e)
{
    char comp[NAME_MAX + 1], shown[DK_PATH_MAX], what[512], fix[DK_PATH_MAX + 64];
    const char *slash;
    struct stat st;
    size_t i = 1, upto;
    int fd, bad = 0;

    (void)e;
    if (!dk_path_is_clean(sys) || strcmp(sys, "/") == 0)
        return dk_findings_add(out, DK_SEV_CRIT, sys, "set key_path to a clean absolute path",
                               "is not a clean absolute file path");
    slash = strrchr(sys, '/');
    upto = (size_t)(slash - sys);
    fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dk_findings_add(out, DK_SEV_CRIT, r->dir, NULL, "cannot open the root: %s",
                               strerror(errno));
    for (;;) {
        const char *name = i == 1 ? (dk_root_is_real(r) ? "/" : r->dir) : shown;

        if (fstat(fd, &st) < 0) {
            bad = dk_findings_add(out, DK_SEV_CRIT, name, NULL, "cannot be examined: %s",
                                  strerror(errno));
            goto done;
        }
        if (dk_keysafe_dir(&st, name, o, what, sizeof what, fix, sizeof fix) != DK_KS_OK) {
            if (dk_findings_add(out, DK_SEV_CRIT, name, fix, "%s", what) < 0)
                goto fail;
            bad = 1;
        }
        if (i >= upto)
            break;
        {
            size_t j = i, n;
            int next;

            while (j < upto && sys[j] != '/')
                j++;
            n = j - i;
            if (n >= sizeof comp) {
                bad = dk_findings_add(out, DK_SEV_CRIT, sys, NULL, "path component too long");
                goto done;
            }
            memcpy(comp, sys + i, n);
            comp[n] = '\0';
            (void)snprintf(shown, sizeof shown, "%.*s", (int)j, sys);
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0) {
                int err = errno;

                if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                    bad = dk_findings_add(out, DK_SEV_CRIT, shown,
                                          "replace the symbolic link with a real directory",
                                          "is a symbolic link: whoever controls its target "
                                          "controls the key");
                else
                    bad = dk_findings_add(out, DK_SEV_CRIT, shown,
                                          err == ENOENT ? "make the key: dkimctl keygen" : NULL,
                                          "cannot be opened: %s", strerror(err));
                goto done;
            }
            (void)close(fd);
            fd = next;
            i = j + 1;
        }
    }
    if (fstatat(fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        int err = errno;

        bad = dk_findings_add(
            out, DK_SEV_CRIT, sys, err == ENOENT ? "make the key: dkimctl keygen" : NULL,
            "the private key %s", err == ENOENT ? "does not exist" : strerror(err));
        goto done;
    }
    if (S_ISLNK(st.st_mode)) {
        bad = dk_findings_add(out, DK_SEV_CRIT, sys, "replace the symbolic link with the key file",
                              "is a symbolic link: whoever controls its target controls the key");
        goto done;
    }
    if (dk_keysafe_file(&st, sys, o, what, sizeof what, fix, sizeof fix) != DK_KS_OK) {
        if (dk_findings_add(out, DK_SEV_CRIT, sys, fix, "%s", what) < 0)
            goto fail;
        bad = 1;
    }
done:
    (void)close(fd);
    if (bad < 0)
        return -1;
    if (bad == 0)
        return dk_findings_add(out, DK_SEV_OK, sys, NULL,
                               "private key and its directories are safe (OpenDKIM "
                               "RequireSafeKeys)");
    return 0;
fail:
    (void)close(fd);
    return -1;
}

int dk_check_keys(const dk_root *r, const dk_model *m, const char *domain, const dk_key_owners *o,
                  dk_findings *out, dk_err *e)
{
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        if (domain != NULL && strcmp(d->name, domain) != 0)
            continue;
        for (size_t k = 0; k < d->nsel; k++) {
            if (d->sel[k].state == DK_SEL_REVOKED)
                continue;
            if (dk_keysafe_check(r, d->sel[k].key_path, o, out, e) < 0)
                return -1;
        }
    }
    return 0;
}
