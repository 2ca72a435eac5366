/* test_name.c - domain and selector names: LDH rules, IDN A-labels, refused characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "model/name.h"

static void domain_ok(const char *in, const char *want)
{
    char out[DK_DOMAIN_MAX];
    dk_err e;

    dk_err_clear(&e);
    if (dk_name_domain(in, "--domain", out, sizeof out, &e) != 0)
        fail_msg("'%s' refused: %s", in, e.msg);
    assert_string_equal(out, want);
    assert_true(dk_name_is_ldh_domain(out));
}

/* Refused, the message names the field and contains `why`. */
static void domain_bad(const char *in, const char *why)
{
    char out[DK_DOMAIN_MAX] = "untouched";
    dk_err e;

    dk_err_clear(&e);
    assert_int_equal(dk_name_domain(in, "--domain", out, sizeof out, &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    if (strstr(e.msg, "--domain") == NULL || strstr(e.msg, why) == NULL)
        fail_msg("'%s': message '%s' lacks '--domain' or '%s'", in, e.msg, why);
    assert_string_equal(out, "untouched");
}

static void selector_ok(const char *in, const char *want)
{
    char out[DK_SELECTOR_MAX];
    dk_err e;

    dk_err_clear(&e);
    if (dk_name_selector(in, "--selector", out, sizeof out, &e) != 0)
        fail_msg("'%s' refused: %s", in, e.msg);
    assert_string_equal(out, want);
}

static void selector_bad(const char *in, const char *why)
{
    char out[DK_SELECTOR_MAX];
    dk_err e;

    dk_err_clear(&e);
    assert_int_equal(dk_name_selector(in, "--selector", out, sizeof out, &e), -1);
    if (strstr(e.msg, "--selector") == NULL || strstr(e.msg, why) == NULL)
        fail_msg("'%s': message '%s' lacks '--selector' or '%s'", in, e.msg, why);
}

static void test_domain_plain(void **state)
{
    (void)state;
    domain_ok("example.org", "example.org");
    domain_ok("Example.ORG", "example.org");
    domain_ok("example.org.", "example.org"); /* fully qualified */
    domain_ok("mail-1.sub.example.co.uk", "mail-1.sub.example.co.uk");
    domain_ok("localhost", "localhost");
    domain_ok("1e100.net", "1e100.net");
}

static void test_domain_idn(void **state)
{
    (void)state;
    domain_ok("bücher.example", "xn--bcher-kva.example");
    domain_ok("BÜCHER.Example", "xn--bcher-kva.example");
    /* Non-transitional (IDNA2008/UTS#46): sharp s is kept, not mapped to "ss". */
    domain_ok("faß.de", "xn--fa-hia.de");
    domain_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
    /* Full-width solidus maps to '/', which is refused after the mapping. */
    domain_bad("a\xef\xbc\x8f"
               "b.example",
               "'/'");
    /* Invalid UTF-8 is refused by libidn2. */
    domain_bad("b\xfc"
               "cher.example",
               "internationalised");
}

static void test_domain_refused_chars(void **state)
{
    (void)state;
    domain_bad("exa mple.org", "a space at position 4");
    domain_bad("example.org\n", "a newline");
    domain_bad("exam\tple.org", "a tab");
    domain_bad("example.org\r", "carriage return");
    domain_bad("example.org:25", "':' at position 12");
    domain_bad("ex#ample.org", "'#'");
    domain_bad("%{d}.example.org", "'%'");
    domain_bad("../etc/passwd", "'..'");
    domain_bad("a/b.example.org", "'/'");
    domain_bad("a\\b.example.org", "'\\'");
    domain_bad("a..b.example", "'..' at position 2");
    domain_bad("exa\x01mple.org", "control character 0x01");
    domain_bad("exa\x7fmple.org", "control character 0x7f");
    domain_bad("", "empty");
    domain_bad(NULL, "empty");
}

static void test_domain_ldh(void **state)
{
    char l63[64], l64[65], long253[300], long254[300];

    (void)state;
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    domain_ok(l63, l63);
    domain_bad(l64, "at most 63");
    /* 253 octets: 3 labels of 63 + 1 of 61 + 3 dots */
    (void)snprintf(long253, sizeof long253, "%s.%s.%s.%.61s", l63, l63, l63, l63);
    assert_int_equal(strlen(long253), 253);
    domain_ok(long253, long253);
    (void)snprintf(long254, sizeof long254, "%s.%s.%s.%.62s", l63, l63, l63, l63);
    domain_bad(long254, "at most 253");
    domain_bad("-example.org", "hyphen");
    domain_bad("example-.org", "hyphen");
    domain_bad("example.org-", "hyphen");
    domain_bad(".example.org", "empty label");
    domain_bad("_dmarc.example.org", "'_'");
    domain_bad("exa*mple.org", "'*'");
    domain_bad("192.0.2.1", "IP address");
    domain_bad(".", "empty label");
}

static void test_selector(void **state)
{
    char l63[64], l64[65];

    (void)state;
    selector_ok("s2026", "s2026");
    selector_ok("S202611", "s202611");
    selector_ok("2026", "2026");         /* all digits is fine for a selector */
    selector_ok("mail.sub", "mail.sub"); /* RFC 6376 3.1: dots allowed */
    selector_ok("bücher", "xn--bcher-kva");
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    selector_ok(l63, l63);
    selector_bad(l64, "at most 63");
    selector_bad("s 1", "a space");
    selector_bad("s:1", "':'");
    selector_bad("s#1", "'#'");
    selector_bad("s%1", "'%'");
    selector_bad("s/1", "'/'");
    selector_bad("..", "'..'");
    selector_bad("a..b", "'..'");
    selector_bad("s1\n", "a newline");
    selector_bad("s-", "hyphen");
    selector_bad("a.-b", "hyphen");
    selector_bad("s_1", "'_'");
    selector_bad("", "empty");
    selector_bad(".s", "empty label");
}

static void test_is_ldh(void **state)
{
    (void)state;
    assert_true(dk_name_is_ldh_domain("example.org"));
    assert_true(dk_name_is_ldh_domain("xn--bcher-kva.example"));
    assert_false(dk_name_is_ldh_domain("Example.org"));
    assert_false(dk_name_is_ldh_domain("a..b"));
    assert_false(dk_name_is_ldh_domain(""));
    assert_false(dk_name_is_ldh_domain(NULL));
    assert_false(dk_name_is_ldh_domain("bücher.example"));
    assert_false(dk_name_is_ldh_domain("a b"));
}

static void test_null_error_ok(void **state)
{
    char out[DK_DOMAIN_MAX];

    (void)state;
    assert_int_equal(dk_name_domain("a b", NULL, out, sizeof out, NULL), -1);
    assert_int_equal(dk_name_domain("example.org", NULL, out, sizeof out, NULL), 0);
    /* A too-small output buffer fails instead of truncating. */
    assert_int_equal(dk_name_domain("example.org", "d", out, 5, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_plain),
        cmocka_unit_test(test_domain_idn),
        cmocka_unit_test(test_domain_refused_chars),
        cmocka_unit_test(test_domain_ldh),
        cmocka_unit_test(test_selector),
        cmocka_unit_test(test_is_ldh),
        cmocka_unit_test(test_null_error_ok),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
