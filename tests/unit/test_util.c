/* test_util.c - buffers, errors, findings, paths under a root. */
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
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/mem.h"
#include "util/path.h"

static void test_buf_cap(void **state)
{
    dk_buf b;
    dk_err e;

    (void)state;
    dk_buf_init(&b, 8);
    assert_int_equal(dk_buf_append(&b, "12345678", 8, &e), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(dk_buf_putc(&b, 'x', &e), -1);
    assert_int_equal(e.code, DK_ENOMEM);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    dk_buf_free(&b);
}

static void test_buf_printf_and_nul(void **state)
{
    dk_buf b;

    (void)state;
    dk_buf_init(&b, 0);
    assert_int_equal(dk_buf_append(&b, "a\0b", 3, NULL), 0);
    assert_int_equal(dk_buf_printf(&b, NULL, "%d-%s", 42, "x"), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "a\0b42-x", 7);
    dk_buf_free(&b);
}

static void test_err_format(void **state)
{
    dk_err e;
    char buf[600];

    (void)state;
    assert_int_equal(dk_err_setloc(&e, DK_EINVAL, "f.yaml", 3, 7, "bad %s", "thing"), -1);
    assert_string_equal(dk_err_format(&e, buf, sizeof buf), "f.yaml:3:7: bad thing");
    dk_err_prefix(&e, "loading: ");
    assert_string_equal(e.msg, "loading: bad thing");
    dk_err_set(&e, DK_EIO, "plain");
    assert_string_equal(dk_err_format(&e, buf, sizeof buf), "plain");
    assert_int_equal(dk_err_set(NULL, DK_EIO, "ignored"), -1);
}

static void test_findings(void **state)
{
    dk_findings f;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(dk_findings_worst(&f), DK_SEV_OK);
    assert_int_equal(dk_findings_add(&f, DK_SEV_WARN, "x", "do y", "n=%d", 1), 0);
    assert_int_equal(dk_findings_add(&f, DK_SEV_CRIT, NULL, NULL, "bad"), 0);
    assert_int_equal(dk_findings_worst(&f), DK_SEV_CRIT);
    assert_int_equal(dk_findings_count(&f, DK_SEV_WARN), 1);
    assert_string_equal(f.v[0].what, "n=1");
    assert_string_equal(f.v[1].where, "");
    dk_findings_free(&f);
}

static void test_path_clean(void **state)
{
    (void)state;
    assert_true(dk_path_is_clean("/etc/opendkim.conf"));
    assert_true(dk_path_is_clean("/"));
    assert_false(dk_path_is_clean("etc/x"));
    assert_false(dk_path_is_clean("/etc/../x"));
    assert_false(dk_path_is_clean("/etc/./x"));
    assert_false(dk_path_is_clean("/etc//x"));
    assert_false(dk_path_is_clean("/etc/x/"));
    assert_false(dk_path_is_clean("/etc/x\ny"));
    assert_false(dk_path_is_clean(""));
}

static void test_root_symlink_refused(void **state)
{
    char dir[] = "/tmp/dk-util-XXXXXX";
    char p[512];
    dk_root r;
    dk_err e;
    dk_buf b;
    const char *base;
    int fd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(dk_root_init(&r, dir, &e), 0);
    /* create /etc/real/file and a symlink /etc/link -> real */
    fd = dk_root_open_parent(&r, "/etc/real/file", true, 0755, &base, &e);
    assert_true(fd >= 0);
    assert_string_equal(base, "file");
    close(fd);
    snprintf(p, sizeof p, "%s/etc/real/file", dir);
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);
    snprintf(p, sizeof p, "%s/etc/link", dir);
    assert_int_equal(symlink("real", p), 0);
    snprintf(p, sizeof p, "%s/etc/real/flink", dir);
    assert_int_equal(symlink("file", p), 0);

    dk_buf_init(&b, 0);
    assert_int_equal(dk_root_read_file(&r, "/etc/real/file", 100, &b, NULL, &e), 0);
    assert_string_equal(b.data, "hello");
    dk_buf_reset(&b);
    /* symlinked directory */
    assert_int_equal(dk_root_read_file(&r, "/etc/link/file", 100, &b, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    assert_non_null(strstr(e.msg, "symbolic link"));
    /* symlinked file */
    assert_int_equal(dk_root_read_file(&r, "/etc/real/flink", 100, &b, NULL, &e), -1);
    assert_int_equal(e.code, DK_EPERM);
    /* size cap */
    assert_int_equal(dk_root_read_file(&r, "/etc/real/file", 4, &b, NULL, &e), -1);
    assert_int_equal(e.code, DK_ENOMEM);
    /* missing */
    assert_int_equal(dk_root_read_file(&r, "/etc/real/none", 4, &b, NULL, &e), -1);
    assert_int_equal(e.code, DK_ENOENT);
    dk_buf_free(&b);
    assert_int_equal(dk_root_path(&r, "/etc/x", p, sizeof p, &e), 0);
    assert_non_null(strstr(p, "/etc/x"));
    assert_int_equal(strncmp(p, dir, strlen(dir)), 0);
    assert_int_equal(dk_root_path(&r, "/etc/../x", p, sizeof p, &e), -1);

    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    assert_int_equal(system(p), 0);
}

static void test_strlcpy_wipe(void **state)
{
    char s[4];
    char secret[8] = "secret!";

    (void)state;
    assert_int_equal(dk_strlcpy(s, "abc", sizeof s), 0);
    assert_int_equal(dk_strlcpy(s, "abcd", sizeof s), -1);
    assert_string_equal(s, "abc");
    dk_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        assert_int_equal(secret[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),      cmocka_unit_test(test_buf_printf_and_nul),
        cmocka_unit_test(test_err_format),   cmocka_unit_test(test_findings),
        cmocka_unit_test(test_path_clean),   cmocka_unit_test(test_root_symlink_refused),
        cmocka_unit_test(test_strlcpy_wipe),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
