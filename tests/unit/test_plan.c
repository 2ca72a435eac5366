/* test_plan.c - unified diff, /etc/group edits, key safety, plan findings on a scratch root. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "plan/diff.h"
#include "plan/keysafe.h"
#include "plan/plan.h"
#include "util/buf.h"
#include "util/path.h"

static void write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Apply a unified diff to a with patch(1) and return the result. */
static char *patched(const char *a, size_t alen, const char *patch, size_t plen, size_t *outlen)
{
    char dir[] = "/tmp/dkimctl-diff.XXXXXX", fa[128], fp[128], fo[128];
    dk_buf b;
    pid_t pid;
    int st;

    assert_non_null(mkdtemp(dir));
    (void)snprintf(fa, sizeof fa, "%s/a", dir);
    (void)snprintf(fp, sizeof fp, "%s/p", dir);
    (void)snprintf(fo, sizeof fo, "%s/o", dir);
    write_file(fa, a, alen);
    write_file(fp, patch, plen);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char a0[] = "patch", a1[] = "-s", a2[] = "-o", a4[] = "-i", env0[] = "PATH=/usr/bin:/bin";
        char *const argv[] = {a0, a1, a2, fo, a4, fp, fa, NULL};
        char *const envp[] = {env0, NULL};
        execve("/usr/bin/patch", argv, envp);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    dk_buf_init(&b, 0);
    assert_int_equal(dk_read_file(fo, 1 << 20, &b, NULL), 0);
    unlink(fa);
    unlink(fp);
    unlink(fo);
    rmdir(dir);
    *outlen = b.len;
    if (b.data == NULL)
        return calloc(1, 1);
    return dk_buf_steal(&b, NULL);
}

static void check_diff(const char *a, const char *b)
{
    dk_buf out;
    dk_err e;
    size_t n;
    char *r;

    dk_buf_init(&out, 0);
    assert_int_equal(dk_diff_unified("a", a, strlen(a), "b", b, strlen(b), &out, &e), 0);
    if (strcmp(a, b) == 0) {
        assert_int_equal(out.len, 0);
        dk_buf_free(&out);
        return;
    }
    assert_true(out.len > 0);
    r = patched(a, strlen(a), out.data, out.len, &n);
    assert_int_equal(n, strlen(b));
    assert_memory_equal(r, b, n);
    free(r);
    dk_buf_free(&out);
}

static void test_diff_roundtrip_with_patch(void **state)
{
    char a[4096], b[4096];
    unsigned seed = 12345;

    (void)state;
    if (access("/usr/bin/patch", X_OK) != 0) {
        skip();
        return;
    }
    check_diff("a\nb\nc\n", "a\nb\nc\n");
    check_diff("a\nb\nc\n", "a\nB\nc\n");
    check_diff("", "new\nfile\n");
    check_diff("x\n", "");
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
               "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nfourteen\n15\n16\n17\n");
    /* random edits of a 60-line text */
    for (int round = 0; round < 40; round++) {
        size_t la = 0, lb = 0;

        for (int i = 0; i < 60; i++) {
            seed = seed * 1103515245u + 12345u;
            la += (size_t)snprintf(a + la, sizeof a - la, "line %d\n", i);
            switch ((seed >> 16) % 7) {
            case 0: /* drop */
                break;
            case 1: /* change */
                lb += (size_t)snprintf(b + lb, sizeof b - lb, "changed %d\n", i);
                break;
            case 2: /* insert */
                lb += (size_t)snprintf(b + lb, sizeof b - lb, "line %d\nnew %d\n", i, i);
                break;
            default:
                lb += (size_t)snprintf(b + lb, sizeof b - lb, "line %d\n", i);
            }
        }
        check_diff(a, b);
    }
}

static void test_diff_format(void **state)
{
    dk_buf out;
    dk_err e;

    (void)state;
    dk_buf_init(&out, 0);
    assert_int_equal(dk_diff_unified("/etc/x", NULL, 0, "/etc/x", "a\n", 2, &out, &e), 0);
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    assert_string_equal(out.data, "--- /dev/null\n+++ /etc/x\n@@ -0,0 +1 @@\n+a\n");
    dk_buf_reset(&out);
    assert_int_equal(dk_diff_unified("f", "a\nb", 3, "f", "a\nc", 3, &out, &e), 0);
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    assert_string_equal(out.data, "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of "
                                  "file\n+c\n\\ No newline at end of file\n");
    dk_buf_free(&out);
}

static void test_group_edit(void **state)
{
    const char *g = "root:x:0:\nopendkim:x:108:\nmail:x:8:a,b\n";
    char *out;
    size_t n;
    dk_err e;

    (void)state;
    assert_int_equal(dk_group_add_member(g, strlen(g), "opendkim", "postfix", &out, &n, &e), 0);
    assert_string_equal(out, "root:x:0:\nopendkim:x:108:postfix\nmail:x:8:a,b\n");
    free(out);
    assert_int_equal(dk_group_add_member(g, strlen(g), "mail", "postfix", &out, &n, &e), 0);
    assert_string_equal(out, "root:x:0:\nopendkim:x:108:\nmail:x:8:a,b,postfix\n");
    free(out);
    assert_int_equal(dk_group_del_member(g, strlen(g), "mail", "a", &out, &n, &e), 0);
    assert_string_equal(out, "root:x:0:\nopendkim:x:108:\nmail:x:8:b\n");
    free(out);
    assert_int_equal(dk_group_add_member(g, strlen(g), "nope", "postfix", &out, &n, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    /* a group name that is a prefix of another is not confused with it */
    assert_int_equal(dk_group_add_member("opendkimx:x:1:\nopendkim:x:2:\n", 29, "opendkim",
                                         "postfix", &out, &n, &e),
                     0);
    assert_string_equal(out, "opendkimx:x:1:\nopendkim:x:2:postfix\n");
    free(out);
}

/* A scratch root with accounts and a key, for key safety. */
static char root_dir[64];

static void mk(const char *rel, mode_t mode)
{
    char p[256];

    (void)snprintf(p, sizeof p, "%s%s", root_dir, rel);
    assert_int_equal(mkdir(p, mode), 0);
    assert_int_equal(chmod(p, mode), 0);
}

static void put(const char *rel, const char *data, mode_t mode)
{
    char p[256];

    (void)snprintf(p, sizeof p, "%s%s", root_dir, rel);
    write_file(p, data, strlen(data));
    assert_int_equal(chmod(p, mode), 0);
}

static int setup_root(void **state)
{
    (void)state;
    (void)snprintf(root_dir, sizeof root_dir, "/tmp/dkimctl-plan.XXXXXX");
    if (mkdtemp(root_dir) == NULL)
        return -1;
    mk("/etc", 0755);
    mk("/etc/dkimkeys", 0700);
    put("/etc/passwd",
        "root:x:0:0::/root:/bin/sh\npostfix:x:104:106::/:/x\nopendkim:x:105:108::/:/x\n"
        "eve:x:1000:108::/:/x\n",
        0644);
    put("/etc/group", "root:x:0:\npostfix:x:106:\nopendkim:x:108:\nkeys:x:300:opendkim,eve\n",
        0644);
    put("/etc/dkimkeys/k.private", "not really a key\n", 0600);
    return 0;
}

static int teardown_root(void **state)
{
    char cmd[128];
    pid_t pid;

    (void)state;
    (void)snprintf(cmd, sizeof cmd, "%s", root_dir);
    pid = fork();
    if (pid == 0) {
        char a0[] = "rm", a1[] = "-rf";
        char *const argv[] = {a0, a1, cmd, NULL};
        char *const envp[] = {NULL};
        execve("/bin/rm", argv, envp);
        _exit(127);
    }
    (void)waitpid(pid, NULL, 0);
    return 0;
}

static void test_keysafe(void **state)
{
    dk_root r;
    dk_err e;
    char why[512], p[256];

    (void)state;
    assert_int_equal(dk_root_init(&r, root_dir, &e), 0);
    assert_int_equal(
        dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 1);
    /* readable by other users */
    (void)snprintf(p, sizeof p, "%s/etc/dkimkeys/k.private", root_dir);
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(
        dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 0);
    assert_non_null(strstr(why, "read or written by other users"));
    /* group-readable, and the group has another user as primary group (eve) */
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(chown(p, (uid_t)-1, 108), 0);
    assert_int_equal(
        dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 0);
    assert_non_null(strstr(why, "eve"));
    assert_int_equal(chmod(p, 0600), 0);
    /* a directory on the way writable by others */
    (void)snprintf(p, sizeof p, "%s/etc", root_dir);
    assert_int_equal(chmod(p, 0757), 0);
    assert_int_equal(
        dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 0);
    assert_non_null(strstr(why, "/etc is writable by other users"));
    assert_int_equal(chmod(p, 0755), 0);
    /* a symlink on the way */
    (void)snprintf(p, sizeof p, "%s/etc/keys", root_dir);
    assert_int_equal(symlink("dkimkeys", p), 0);
    assert_int_equal(dk_keysafe_check(&r, "/etc/keys/k.private", "opendkim", why, sizeof why, &e),
                     0);
    assert_non_null(strstr(why, "/etc/keys is a symbolic link"));
    assert_int_equal(unlink(p), 0);
    /* unknown user */
    assert_int_equal(dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "nobody", why, sizeof why, &e),
                     -1);
}

static void test_key_readable(void **state)
{
    dk_root r;
    dk_err e;
    char why[512], p[256];

    (void)state;
    assert_int_equal(dk_root_init(&r, root_dir, &e), 0);
    (void)snprintf(p, sizeof p, "%s/etc/dkimkeys", root_dir);
    if (geteuid() != 0) {
        skip(); /* needs chown */
        return;
    }
    /* root-owned 0700 directory: the OpenDKIM user cannot enter it */
    assert_int_equal(chown(p, 0, 0), 0);
    assert_int_equal(
        dk_keysafe_readable(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 0);
    assert_string_equal(why, "/etc/dkimkeys: opendkim cannot enter it");
    /* Debian's way: the directory belongs to opendkim */
    assert_int_equal(chown(p, 105, 108), 0);
    assert_int_equal(
        dk_keysafe_readable(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e),
        0); /* the key itself is root's 0600 */
    assert_string_equal(why, "/etc/dkimkeys/k.private: opendkim cannot read it");
    (void)snprintf(p, sizeof p, "%s/etc/dkimkeys/k.private", root_dir);
    assert_int_equal(chown(p, 105, 108), 0);
    assert_int_equal(
        dk_keysafe_readable(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 1);
    /* still safe for RequireSafeKeys: owned by the OpenDKIM user */
    assert_int_equal(
        dk_keysafe_check(&r, "/etc/dkimkeys/k.private", "opendkim", why, sizeof why, &e), 1);
}

static void test_accounts(void **state)
{
    dk_root r;
    dk_err e;
    char n[64];

    (void)state;
    assert_int_equal(dk_root_init(&r, root_dir, &e), 0);
    assert_int_equal(dk_account_uid(&r, "opendkim"), 105);
    assert_int_equal(dk_account_gid(&r, "opendkim"), 108);
    assert_int_equal(dk_account_uid(&r, "opendkimx"), -1);
    assert_true(dk_account_in_group(&r, "opendkim", "keys"));
    assert_false(dk_account_in_group(&r, "postfix", "opendkim"));
    assert_true(dk_account_in_group(&r, "eve", "opendkim")); /* primary group */
    dk_account_user_name(&r, 104, n, sizeof n);
    assert_string_equal(n, "postfix");
    dk_account_group_name(&r, 4242, n, sizeof n);
    assert_string_equal(n, "#4242");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_roundtrip_with_patch),
        cmocka_unit_test(test_diff_format),
        cmocka_unit_test(test_group_edit),
        cmocka_unit_test_setup_teardown(test_keysafe, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_key_readable, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_accounts, setup_root, teardown_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
