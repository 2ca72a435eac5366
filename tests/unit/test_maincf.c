/* test_maincf.c - main.cf editor (postconf -e semantics), milter lists, master.cf chroot. */
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

#include "plan/maincf.h"
#include "util/buf.h"
#include "util/finding.h"
#include "util/path.h"

/* Edit `in` with pairs of key/value (NULL-terminated); return the new text. */
static char *edit(const char *in, dk_findings *f, ...)
{
    dk_maincf cf;
    dk_buf out;
    dk_err e;
    va_list ap;
    const char *k;

    assert_int_equal(dk_maincf_parse(&cf, "main.cf", in, strlen(in), f, &e), 0);
    va_start(ap, f);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        assert_int_equal(dk_maincf_set(&cf, k, v, &e), 0);
    }
    va_end(ap);
    dk_buf_init(&out, 0);
    assert_int_equal(dk_maincf_render(&cf, &out, &e), 0);
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    dk_maincf_free(&cf);
    return dk_buf_steal(&out, NULL);
}

static void test_untouched_lines_identical(void **state)
{
    const char *in = "# comment\n\nsmtpd_banner = $myhostname ESMTP\nbiff=no\n"
                     "alias_maps = hash:/etc/aliases,\n   hash:/etc/more\n#milter_protocol = 2\n";
    char *out;

    (void)state;
    out = edit(in, NULL, "milter_protocol", "6", NULL);
    assert_string_equal(out, "# comment\n\nsmtpd_banner = $myhostname ESMTP\nbiff=no\n"
                             "alias_maps = hash:/etc/aliases,\n   hash:/etc/more\n"
                             "#milter_protocol = 2\nmilter_protocol = 6\n");
    free(out);
}

static void test_replace_in_place_with_continuation(void **state)
{
    const char *in = "a = 1\nsmtpd_milters = inet:localhost:11332,\n"
                     "   # interleaved comment\n\n   local:/x\nb = 2\n";
    char *out;

    (void)state;
    out = edit(in, NULL, "smtpd_milters", "inet:localhost:11332, local:/y", NULL);
    /* like postconf -e: continuation lines go, comments/blank lines inside stay */
    assert_string_equal(out, "a = 1\nsmtpd_milters = inet:localhost:11332, local:/y\n"
                             "   # interleaved comment\n\nb = 2\n");
    free(out);
}

static void test_duplicates_commented_last_wins(void **state)
{
    const char *in = "mydomain = x\n   continued\nfoo = 1\nmydomain = second\n";
    dk_findings f;
    dk_maincf cf;
    dk_err e;
    char *out;

    (void)state;
    dk_findings_init(&f);
    assert_int_equal(dk_maincf_parse(&cf, "main.cf", in, strlen(in), &f, &e), 0);
    assert_string_equal(dk_maincf_get(&cf, "mydomain"), "second");
    assert_int_equal(dk_maincf_count(&cf, "mydomain"), 2);
    assert_int_equal(f.n, 1);
    assert_non_null(strstr(f.v[0].what, "main.cf:1: 'mydomain' is defined again at line 4"));
    dk_maincf_free(&cf);
    dk_findings_free(&f);

    out = edit(in, NULL, "mydomain", "new", NULL);
    assert_string_equal(out, "#mydomain = x\n#   continued\nfoo = 1\nmydomain = new\n");
    free(out);
    /* same value as the effective one: only the duplicate goes */
    out = edit(in, NULL, "mydomain", "second", NULL);
    assert_string_equal(out, "#mydomain = x\n#   continued\nfoo = 1\nmydomain = second\n");
    free(out);
}

static void test_idempotent(void **state)
{
    const char *in = "x=1\nmilter_protocol=6\nmilter_default_action =   accept\n";
    char *out, *out2;

    (void)state;
    out = edit(in, NULL, "milter_protocol", "6", "milter_default_action", "accept", NULL);
    assert_string_equal(out, in); /* same values, spacing kept */
    out2 = edit(in, NULL, "milter_protocol", "6", "new_key", "v", NULL);
    free(out);
    out = edit(out2, NULL, "milter_protocol", "6", "new_key", "v", NULL);
    assert_string_equal(out, out2);
    free(out);
    free(out2);
}

static void test_no_trailing_newline(void **state)
{
    char *out;

    (void)state;
    out = edit("a = 1", NULL, "b", "2", NULL);
    assert_string_equal(out, "a = 1\nb = 2\n");
    free(out);
    out = edit("a = 1", NULL, "a", "2", NULL);
    assert_string_equal(out, "a = 2\n");
    free(out);
    out = edit("", NULL, "a", "2", NULL);
    assert_string_equal(out, "a = 2\n");
    free(out);
}

static void test_refusals(void **state)
{
    dk_maincf cf;
    dk_err e;
    dk_findings f;
    const char *bad = "  orphan = 1\nnot a definition\na = 1\n";

    (void)state;
    assert_int_equal(dk_maincf_parse(&cf, "main.cf", "a = 1\n", 6, NULL, &e), 0);
    assert_int_equal(dk_maincf_set(&cf, "a", "x\ny", &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_non_null(strstr(e.msg, "newline"));
    assert_int_equal(dk_maincf_set(&cf, "a", "x\ry", &e), -1);
    assert_int_equal(dk_maincf_set(&cf, "a b", "x", &e), -1);
    assert_int_equal(dk_maincf_set(&cf, "", "x", &e), -1);
    dk_maincf_free(&cf);
    assert_int_equal(dk_maincf_parse(&cf, "main.cf", "a\0b", 3, NULL, &e), -1);

    dk_findings_init(&f);
    assert_int_equal(dk_maincf_parse(&cf, "main.cf", bad, strlen(bad), &f, &e), 0);
    assert_int_equal(f.n, 2);
    assert_non_null(strstr(f.v[0].what, "main.cf:1:"));
    assert_non_null(strstr(f.v[1].what, "main.cf:2:"));
    assert_null(dk_maincf_get(&cf, "orphan"));
    dk_maincf_free(&cf);
    dk_findings_free(&f);
}

static void test_milters(void **state)
{
    char *out;
    bool added;
    dk_err e;

    (void)state;
    assert_int_equal(
        dk_milters_add("inet:localhost:11332", "local:/opendkim/opendkim.sock", &out, &added, &e),
        0);
    assert_true(added);
    assert_string_equal(out, "inet:localhost:11332, local:/opendkim/opendkim.sock");
    free(out);
    assert_int_equal(dk_milters_add("inet:localhost:11332,local:/opendkim/opendkim.sock  "
                                    "inet:localhost:8893",
                                    "local:/opendkim/opendkim.sock", &out, &added, &e),
                     0);
    assert_false(added);
    free(out);
    assert_true(dk_milters_has("{ inet:localhost:11332, default_action=accept }, local:/a",
                               "inet:localhost:11332"));
    assert_false(
        dk_milters_has("{ inet:localhost:11332, default_action=accept }", "default_action=accept"));
    assert_false(
        dk_milters_has("local:/opendkim/opendkim.sock.old", "local:/opendkim/opendkim.sock"));
    assert_int_equal(dk_milters_add("", "local:/a", &out, &added, &e), 0);
    assert_string_equal(out, "local:/a");
    free(out);
    /* an unclosed group would swallow the new milter: refused */
    assert_int_equal(dk_milters_add("{ inet:localhost:11332, default_action=accept", "local:/a",
                                    &out, &added, &e),
                     -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_non_null(strstr(e.msg, "unbalanced"));
    assert_int_equal(dk_milters_add("inet:a:1 }", "local:/a", &out, &added, &e), -1);
    assert_int_equal(dk_milters_add(NULL, "local:/a", &out, &added, &e), 0);
    assert_true(added);
    free(out);
}

static void test_mastercf(void **state)
{
    dk_buf b;
    dk_err e;
    dk_chroot_count c;
    const char *custom = "# x\nsmtp inet n - n - - smtpd\nsubmission inet n - - - - smtpd\n"
                         "  -o smtpd_tls_security_level=encrypt\n"
                         "cleanup unix n - y - 0 cleanup\n";

    (void)state;
    dk_buf_init(&b, 0);
    /* Debian 12's master.cf (the sandbox copy) chroots smtpd, cleanup, pickup */
    assert_int_equal(dk_read_file("tests/sandbox/etc/postfix/master.cf", 1 << 20, &b, &e), 0);
    assert_int_equal(dk_mastercf_chroot("master.cf", b.data, b.len, "smtpd", false, &c, NULL, &e),
                     0);
    assert_int_equal(c.yes, 1);
    assert_int_equal(c.no, 0);
    assert_int_equal(dk_mastercf_chroot("master.cf", b.data, b.len, "cleanup", false, &c, NULL, &e),
                     0);
    assert_int_equal(c.yes, 1);
    dk_buf_free(&b);

    assert_int_equal(
        dk_mastercf_chroot("master.cf", custom, strlen(custom), "smtpd", false, &c, NULL, &e), 0);
    assert_int_equal(c.yes, 0);
    assert_int_equal(c.no, 2);
    assert_int_equal(c.first_line, 2);
    assert_int_equal(
        dk_mastercf_chroot("master.cf", custom, strlen(custom), "smtpd", true, &c, NULL, &e), 0);
    assert_int_equal(c.yes, 1);
    assert_int_equal(c.no, 1);
    assert_int_equal(
        dk_mastercf_chroot("master.cf", custom, strlen(custom), "pickup", false, &c, NULL, &e), 0);
    assert_int_equal(c.yes + c.no, 0);
}

/* Compare with the real postconf -e where the semantics agree (no duplicates). */
static void test_against_postconf(void **state)
{
    const char *in = "# See main.cf.dist\nbiff = no\nsmtpd_milters = inet:localhost:11332,\n"
                     "    local:/old\n\n#milter_protocol = 2\nmyhostname=mail.example.org\n";
    char dir[] = "/tmp/dkimctl-maincf.XXXXXX", path[256], mpath[256];
    char *out;
    dk_buf b;
    dk_err e;
    pid_t pid;
    int fd, st;

    (void)state;
    if (access("/usr/sbin/postconf", X_OK) != 0) {
        skip();
        return;
    }
    assert_non_null(mkdtemp(dir));
    (void)snprintf(path, sizeof path, "%s/main.cf", dir);
    (void)snprintf(mpath, sizeof mpath, "%s/master.cf", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, strlen(in)), (ssize_t)strlen(in));
    close(fd);
    fd = open(mpath, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char a0[] = "postconf", a1[] = "-c", a3[] = "-e",
             a4[] = "smtpd_milters = inet:localhost:11332, local:/old, local:/new",
             a5[] = "milter_protocol=6", a6[] = "myhostname = mail.example.org",
             env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char *const argv[] = {a0, a1, dir, a3, a4, a5, a6, NULL};
        char *const envp[] = {env0, NULL};
        int dn = open("/dev/null", O_WRONLY);
        (void)dup2(dn, 2);
        execve("/usr/sbin/postconf", argv, envp);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    dk_buf_init(&b, 0);
    assert_int_equal(dk_read_file(path, 1 << 20, &b, &e), 0);
    assert_int_equal(dk_buf_putc(&b, '\0', &e), 0);
    out = edit(in, NULL, "smtpd_milters", "inet:localhost:11332, local:/old, local:/new",
               "milter_protocol", "6", NULL);
    /* postconf rewrites myhostname=... as "myhostname = ..." even when unchanged;
     * dkimctl leaves an unchanged line alone.  Everything else is identical. */
    assert_non_null(strstr(b.data, "myhostname = mail.example.org\n"));
    assert_non_null(strstr(out, "myhostname=mail.example.org\n"));
    {
        char *p = strstr(b.data, "myhostname = mail.example.org\n");
        char *q = strstr(out, "myhostname=mail.example.org\n");
        assert_int_equal(p - b.data, q - out);
        assert_memory_equal(b.data, out, (size_t)(p - b.data));
        assert_string_equal(p + strlen("myhostname = mail.example.org\n"),
                            q + strlen("myhostname=mail.example.org\n"));
    }
    free(out);
    dk_buf_free(&b);
    unlink(path);
    unlink(mpath);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untouched_lines_identical),
        cmocka_unit_test(test_replace_in_place_with_continuation),
        cmocka_unit_test(test_duplicates_commented_last_wins),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_milters),
        cmocka_unit_test(test_mastercf),
        cmocka_unit_test(test_against_postconf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
