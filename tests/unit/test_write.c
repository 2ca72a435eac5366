/* test_write.c - the atomic safe writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/write.h"
#include "util/buf.h"

typedef struct fixture {
    char dir[64];
    dk_root root;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/dk-write-XXXXXX");
    if (mkdtemp(f->dir) == NULL || dk_root_init(&f->root, f->dir, NULL) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void host(const fixture *f, const char *sys, char *out, size_t size)
{
    snprintf(out, size, "%s%s", f->dir, sys);
}

static char *slurp(const fixture *f, const char *sys)
{
    dk_buf b;

    dk_buf_init(&b, 0);
    if (dk_root_read_file(&f->root, sys, 1 << 20, &b, NULL, NULL) < 0) {
        dk_buf_free(&b);
        return NULL;
    }
    return dk_buf_steal(&b, NULL);
}

/* Number of entries in a directory whose name contains `needle`. */
static int count_entries(const fixture *f, const char *sysdir, const char *needle)
{
    char p[256];
    DIR *d;
    struct dirent *de;
    int n = 0;

    host(f, sysdir, p, sizeof p);
    d = opendir(p);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, needle) != NULL)
            n++;
    closedir(d);
    return n;
}

static void test_create_and_replace_with_backup(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    dk_write_result res;
    dk_err e;
    struct stat st;
    char p[256], *s;

    o.create_dirs = true;
    o.mode = 0640;
    assert_int_equal(dk_write_file(&f->root, "/etc/x/a.conf", "one\n", 4, &o, &res, &e), 0);
    assert_true(res.created);
    assert_true(res.changed);
    assert_string_equal(res.backup, "");
    host(f, "/etc/x/a.conf", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    assert_int_equal(dk_write_file(&f->root, "/etc/x/a.conf", "two\n", 4, &o, &res, &e), 0);
    assert_false(res.created);
    assert_true(res.changed);
    assert_non_null(strstr(res.backup, "/etc/x/a.conf.dkimctl-"));
    s = slurp(f, res.backup);
    assert_string_equal(s, "one\n");
    free(s);
    s = slurp(f, "/etc/x/a.conf");
    assert_string_equal(s, "two\n");
    free(s);
    assert_int_equal(count_entries(f, "/etc/x", "dkimctl-tmp"), 0);

    /* restore puts the old bytes back */
    assert_int_equal(dk_write_restore(&f->root, "/etc/x/a.conf", res.backup, &e), 0);
    s = slurp(f, "/etc/x/a.conf");
    assert_string_equal(s, "one\n");
    free(s);
    /* undo of a creation removes the file */
    assert_int_equal(dk_write_restore(&f->root, "/etc/x/a.conf", NULL, &e), 0);
    assert_int_equal(stat(p, &st), -1);
}

static void test_unchanged_keeps_mtime(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    dk_write_result res;
    struct stat a, b;
    struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
    char p[256];

    o.create_dirs = true;
    assert_int_equal(dk_write_file(&f->root, "/etc/same", "x", 1, &o, &res, NULL), 0);
    host(f, "/etc/same", p, sizeof p);
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    assert_int_equal(stat(p, &a), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/same", "x", 1, &o, &res, NULL), 0);
    assert_false(res.changed);
    assert_int_equal(stat(p, &b), 0);
    assert_int_equal(a.st_mtime, b.st_mtime);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(count_entries(f, "/etc", "same.dkimctl-"), 0);
    /* a mode change alone is a change */
    o.mode = 0600;
    assert_int_equal(dk_write_file(&f->root, "/etc/same", "x", 1, &o, &res, NULL), 0);
    assert_true(res.changed);
    assert_int_equal(stat(p, &b), 0);
    assert_int_equal(b.st_mode & 07777, 0600);
}

static void test_symlink_target_refused(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    dk_err e;
    char p[256], victim[256], *s;

    o.create_dirs = true;
    assert_int_equal(dk_write_file(&f->root, "/victim", "precious", 8, &o, NULL, &e), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/keep", "k", 1, &o, NULL, &e), 0);
    host(f, "/victim", victim, sizeof victim);
    host(f, "/etc/link", p, sizeof p);
    assert_int_equal(symlink(victim, p), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/link", "evil", 4, &o, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "symbolic link"));
    s = slurp(f, "/victim");
    assert_string_equal(s, "precious");
    free(s);
    /* a symlinked directory on the way */
    host(f, "/etc/dirlink", p, sizeof p);
    assert_int_equal(symlink("/tmp", p), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/dirlink/x", "evil", 4, &o, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
}

static void test_hardlink_refused(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    dk_err e;
    char a[256], b[256], *s;

    o.create_dirs = true;
    assert_int_equal(dk_write_file(&f->root, "/etc/orig", "orig", 4, &o, NULL, &e), 0);
    host(f, "/etc/orig", a, sizeof a);
    host(f, "/etc/hard", b, sizeof b);
    assert_int_equal(link(a, b), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/hard", "evil", 4, &o, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "hard link"));
    s = slurp(f, "/etc/orig");
    assert_string_equal(s, "orig");
    free(s);
}

static void test_exclusive(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    dk_err e;

    o.create_dirs = true;
    o.exclusive = true;
    assert_int_equal(dk_write_file(&f->root, "/etc/once", "1", 1, &o, NULL, &e), 0);
    assert_int_equal(dk_write_file(&f->root, "/etc/once", "2", 1, &o, NULL, &e), -1);
    assert_int_equal(e.code, DK_EEXIST);
}

static void test_failure_leaves_old_file(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    struct rlimit old, small;
    char big[4096], *s;
    dk_err e;
    int rc;

    o.create_dirs = true;
    assert_int_equal(dk_write_file(&f->root, "/etc/big", "old\n", 4, &o, NULL, &e), 0);
    memset(big, 'x', sizeof big);
    /* the write fails with EFBIG after 16 bytes */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_cur = 16; /* only the soft limit: raising it back needs no privilege */
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = dk_write_file(&f->root, "/etc/big", big, sizeof big, &o, NULL, &e);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "writing /etc/big"));
    s = slurp(f, "/etc/big");
    assert_string_equal(s, "old\n");
    free(s);
    assert_int_equal(count_entries(f, "/etc", "dkimctl-tmp"), 0);
    assert_int_equal(count_entries(f, "/etc", "big.dkimctl-"), 0);
}

static void test_owner_set_as_root(void **state)
{
    fixture *f = *state;
    dk_write_opts o = dk_write_defaults();
    struct stat st;
    char p[256];

    if (geteuid() != 0) {
        print_message("SKIP: owner change needs root\n");
        skip();
    }
    o.create_dirs = true;
    o.uid = 1; /* daemon */
    o.gid = 1;
    o.mode = 0600;
    assert_int_equal(dk_write_file(&f->root, "/etc/owned", "s", 1, &o, NULL, NULL), 0);
    host(f, "/etc/owned", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, 1);
    assert_int_equal(st.st_gid, 1);
    assert_int_equal(st.st_mode & 07777, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_replace_with_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unchanged_keeps_mtime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_target_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_set_as_root, setup, teardown),
    };
    return cmocka_run_group_tests_name("write", tests, NULL, NULL);
}
