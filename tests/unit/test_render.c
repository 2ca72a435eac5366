/* test_render.c - template engine and the OpenDKIM renderers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "render/opendkim.h"
#include "render/template.h"
#include "util/buf.h"

static char *render_text(const char *tmpl, const dk_tctx *c, dk_err *e)
{
    dk_buf out;

    dk_buf_init(&out, 0);
    if (dk_template_render("t", tmpl, strlen(tmpl), c, &out, e) < 0) {
        dk_buf_free(&out);
        return NULL;
    }
    if (dk_buf_putc(&out, '\0', e) < 0)
        return NULL;
    return dk_buf_steal(&out, NULL);
}

static void test_template_basics(void **state)
{
    dk_tctx *c = dk_tctx_new(NULL), *it;
    dk_err e;
    char *s;

    (void)state;
    assert_non_null(c);
    assert_int_equal(dk_tctx_set(c, "a", "A", &e), 0);
    assert_int_equal(dk_tctx_set(c, "outer", "O", &e), 0);
    it = dk_tctx_add(c, "l", &e);
    assert_int_equal(dk_tctx_set(it, "x", "1", &e), 0);
    it = dk_tctx_add(c, "l", &e);
    assert_int_equal(dk_tctx_set(it, "x", "2", &e), 0);
    assert_int_equal(dk_tctx_flag(c, "no", false, &e), 0);
    assert_int_equal(dk_tctx_flag(c, "yes", true, &e), 0);

    s = render_text("v={{a}} {{ a }}{{! hidden }}.\n", c, &e);
    assert_string_equal(s, "v=A A.\n");
    free(s);
    /* standalone section lines disappear; inner lookups fall back outward */
    s = render_text("head\n  {{#l}}\n{{x}}{{outer}}\n  {{/l}}\ntail\n", c, &e);
    assert_string_equal(s, "head\n1O\n2O\ntail\n");
    free(s);
    s = render_text("{{#no}}N{{/no}}{{^no}}empty{{/no}}{{#yes}}Y{{/yes}}{{^yes}}x{{/yes}}", c, &e);
    assert_string_equal(s, "emptyY");
    free(s);
    s = render_text("inline {{#l}}[{{x}}]{{/l}} end", c, &e);
    assert_string_equal(s, "inline [1][2] end");
    free(s);
    s = render_text("single { brace } and no tags", c, &e);
    assert_string_equal(s, "single { brace } and no tags");
    free(s);
    dk_tctx_free(c);
}

static void test_template_errors(void **state)
{
    dk_tctx *c = dk_tctx_new(NULL);
    dk_err e;

    (void)state;
    assert_int_equal(dk_tctx_set(c, "a", "A", &e), 0);
    assert_int_equal(dk_tctx_flag(c, "l", true, &e), 0);
    assert_null(render_text("ok\n{{missing}}\n", c, &e));
    assert_string_equal(e.file, "t");
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.msg, "unknown variable 'missing'"));
    assert_null(render_text("{{#l}}never closed", c, &e));
    assert_non_null(strstr(e.msg, "never closed"));
    assert_null(render_text("{{#l}}x{{/a}}", c, &e));
    assert_null(render_text("{{/l}}", c, &e));
    assert_null(render_text("{{a", c, &e));
    assert_null(render_text("{{a b}}", c, &e));
    assert_null(render_text("{{#a}}x{{/a}}", c, &e)); /* a value used as a section */
    assert_null(render_text("{{l}}", c, &e));         /* a list used as a value */
    /* values can never inject lines */
    assert_int_equal(dk_tctx_set(c, "bad", "x\nKeyTable /tmp/evil", &e), -1);
    assert_int_equal(e.code, DK_EINVAL);
    assert_int_equal(dk_template_load("templates", "../etc/passwd", NULL, &e), -1);
    dk_tctx_free(c);
}

/* A model filled by hand: two domains, one with subdomains, a retired selector. */
static dk_selector sel_a[2], sel_b[1], sel_c[1];
static dk_domain doms[3];
static char from[] = "From", t1[] = "192.0.2.0/24", t2[] = "2001:db8::/32", t3[] = "localhost";
static char *over[] = {from};
static char *trusted[] = {t1, t2, t3};

static void fill_model(dk_model *m)
{
    memset(m, 0, sizeof *m);
    memset(doms, 0, sizeof doms);
    memset(sel_a, 0, sizeof sel_a);
    memset(sel_b, 0, sizeof sel_b);
    memset(sel_c, 0, sizeof sel_c);
    m->version = 1;
    strcpy(m->opendkim.conf_path, "/etc/opendkim.conf");
    strcpy(m->opendkim.tables_dir, "/etc/opendkim");
    strcpy(m->opendkim.keys_dir, "/etc/dkimkeys");
    strcpy(m->opendkim.mode, "s");
    strcpy(m->opendkim.canon, "relaxed/simple");
    strcpy(m->opendkim.user, "opendkim");
    m->opendkim.oversign.v = over;
    m->opendkim.oversign.n = 1;
    m->opendkim.trusted_hosts.v = trusted;
    m->opendkim.trusted_hosts.n = 3;
    strcpy(m->postfix.config_dir, "/etc/postfix");
    strcpy(m->postfix.milter_default_action, "accept");

    strcpy(doms[0].name, "example.org");
    doms[0].subdomains = true;
    doms[0].sel = sel_a;
    doms[0].nsel = 2;
    strcpy(sel_a[0].name, "old");
    strcpy(sel_a[0].key_path, "/etc/dkimkeys/example.org/old.private");
    sel_a[0].state = DK_SEL_RETIRED;
    strcpy(sel_a[1].name, "s2026");
    strcpy(sel_a[1].key_path, "/etc/dkimkeys/example.org/s2026.private");
    sel_a[1].state = DK_SEL_ACTIVE;
    sel_a[1].bits = 2048;

    strcpy(doms[1].name, "mail.example.org");
    doms[1].sel = sel_b;
    doms[1].nsel = 1;
    strcpy(sel_b[0].name, "m1");
    strcpy(sel_b[0].key_path, "/etc/dkimkeys/mail.example.org/m1.private");

    strcpy(doms[2].name, "example.net");
    doms[2].sel = sel_c;
    doms[2].nsel = 1;
    strcpy(sel_c[0].name, "k");
    strcpy(sel_c[0].key_path, "/etc/dkimkeys/example.net/k.private");
    m->domains = doms;
    m->ndomains = 3;
}

static const char *const hostnames[] = {"mail.example.org", "MAIL.example.org", "mail"};

static dk_render_env env_for(void)
{
    dk_render_env env;

    memset(&env, 0, sizeof env);
    env.templates = "templates";
    env.model_path = DK_MODEL_PATH;
    env.socket = "local:/var/spool/postfix/opendkim/opendkim.sock";
    env.hostnames = hostnames;
    env.nhostnames = 3;
    return env;
}

typedef int (*renderer)(const dk_model *, const dk_render_env *, dk_buf *, dk_err *);

static char *run(renderer fn, const dk_model *m)
{
    dk_render_env env = env_for();
    dk_buf out;
    dk_err e;

    dk_buf_init(&out, 0);
    if (fn(m, &env, &out, &e) < 0) {
        fprintf(stderr, "render: %s\n", e.msg);
        fail();
    }
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    return dk_buf_steal(&out, NULL);
}

/* The lines that are not comments. */
static char *body(const char *s)
{
    dk_buf b;

    dk_buf_init(&b, 0);
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) + 1 : strlen(s);

        if (s[0] != '#' && s[0] != '\n')
            assert_int_equal(dk_buf_append(&b, s, n, NULL), 0);
        s += n;
    }
    assert_int_equal(dk_buf_putc(&b, '\0', NULL), 0);
    return dk_buf_steal(&b, NULL);
}

static void test_keytable_signingtable(void **state)
{
    dk_model m;
    char *s, *b;

    (void)state;
    fill_model(&m);
    s = run(dk_render_keytable, &m);
    assert_non_null(strstr(s, DK_RENDER_MARK));
    b = body(s);
    /* only selectors that sign; retired "old" is absent */
    assert_string_equal(
        b,
        "s2026._domainkey.example.org example.org:s2026:/etc/dkimkeys/example.org/s2026.private\n"
        "m1._domainkey.mail.example.org "
        "mail.example.org:m1:/etc/dkimkeys/mail.example.org/m1.private\n"
        "k._domainkey.example.net example.net:k:/etc/dkimkeys/example.net/k.private\n");
    free(s);
    free(b);

    s = run(dk_render_signingtable, &m);
    b = body(s);
    /* most specific first: mail.example.org before the *@*.example.org wildcard */
    assert_string_equal(b, "*@mail.example.org m1._domainkey.mail.example.org\n"
                           "*@example.net k._domainkey.example.net\n"
                           "*@example.org s2026._domainkey.example.org\n"
                           "*@*.example.org s2026._domainkey.example.org\n");
    free(s);
    free(b);

    strcpy(sel_c[0].key_path, "/etc/dkimkeys/a b.private");
    {
        dk_render_env env = env_for();
        dk_buf out;
        dk_err e;

        dk_buf_init(&out, 0);
        assert_int_equal(dk_render_keytable(&m, &env, &out, &e), -1);
        assert_non_null(strstr(e.msg, "a b.private"));
        dk_buf_free(&out);
    }
}

static void test_trustedhosts_and_conf(void **state)
{
    dk_model m;
    char *s, *b;

    (void)state;
    fill_model(&m);
    s = run(dk_render_trustedhosts, &m);
    b = body(s);
    assert_string_equal(b, "127.0.0.1\n::1\nlocalhost\nmail.example.org\nmail\n192.0.2.0/24\n"
                           "2001:db8::/32\n");
    free(s);
    free(b);

    s = run(dk_render_opendkim_conf, &m);
    assert_non_null(strstr(s, "\nUMask\t\t\t007\n"));
    assert_non_null(strstr(s, "\nUserID\t\t\topendkim\n"));
    assert_non_null(strstr(s, "\nSocket\t\t\tlocal:/var/spool/postfix/opendkim/opendkim.sock\n"));
    assert_non_null(strstr(s, "\nKeyTable\t\t/etc/opendkim/KeyTable\n"));
    assert_non_null(strstr(s, "\nSigningTable\t\trefile:/etc/opendkim/SigningTable\n"));
    assert_non_null(strstr(s, "\nInternalHosts\t\t/etc/opendkim/TrustedHosts\n"));
    assert_non_null(strstr(s, "\nOversignHeaders\t\tFrom\n"));
    assert_non_null(strstr(s, "\nCanonicalization\trelaxed/simple\n"));
    assert_non_null(strstr(s, "\nMode\t\t\ts\n"));
    assert_null(strstr(s, "MultipleSignatures"));
    {
        dk_odconf_check c;
        char v[256];

        dk_opendkim_conf_check(s, strlen(s), &c);
        assert_int_equal(c.bad_line, 0);
        assert_true(c.ours);
        assert_true(dk_opendkim_conf_get(s, strlen(s), "socket", v, sizeof v));
        assert_string_equal(v, "local:/var/spool/postfix/opendkim/opendkim.sock");
    }
    free(s);

    /* two signing selectors for one domain: MultipleSignatures */
    sel_a[0].state = DK_SEL_ACTIVE;
    s = run(dk_render_opendkim_conf, &m);
    assert_non_null(strstr(s, "\nMultipleSignatures\tyes\n"));
    free(s);
}

static void test_default_socket(void **state)
{
    const char *deb = "# comment\n#SOCKET=inet:12345@localhost\nRUNDIR=/run/opendkim\n"
                      "SOCKET=local:$RUNDIR/opendkim.sock\nUSER=opendkim\n";
    char v[256];
    dk_buf out;
    bool changed;
    dk_err e;

    (void)state;
    assert_int_equal(dk_default_socket_value(deb, strlen(deb), v, sizeof v), 0);
    assert_string_equal(v, "local:/run/opendkim/opendkim.sock");
    dk_buf_init(&out, 0);
    assert_int_equal(dk_render_default_socket(deb, strlen(deb), "local:/run/opendkim/opendkim.sock",
                                              &out, &changed, &e),
                     0);
    assert_false(changed);
    assert_int_equal(out.len, strlen(deb));
    dk_buf_reset(&out);
    assert_int_equal(dk_render_default_socket(deb, strlen(deb),
                                              "local:/var/spool/postfix/opendkim/opendkim.sock",
                                              &out, &changed, &e),
                     0);
    assert_true(changed);
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    assert_string_equal(out.data, "# comment\n#SOCKET=inet:12345@localhost\nRUNDIR=/run/opendkim\n"
                                  "SOCKET=local:/var/spool/postfix/opendkim/opendkim.sock\n"
                                  "USER=opendkim\n");
    dk_buf_reset(&out);
    assert_int_equal(
        dk_render_default_socket("USER=x", 6, "inet:8891@localhost", &out, &changed, &e), 0);
    assert_int_equal(dk_buf_putc(&out, '\0', &e), 0);
    assert_string_equal(out.data, "USER=x\nSOCKET=inet:8891@localhost\n");
    dk_buf_reset(&out);
    assert_int_equal(dk_render_default_socket("", 0, "local:/x;rm -rf /", &out, &changed, &e), -1);
    dk_buf_free(&out);
}

static void test_conf_check_broken(void **state)
{
    const char *broken = "# hand-made\nSyslog yes\nSocket\nMode s\n";
    const char *broken2 = "Syslog yes\nKey-Table /x\n";
    dk_odconf_check c;

    (void)state;
    dk_opendkim_conf_check(broken, strlen(broken), &c);
    assert_int_equal(c.bad_line, 3);
    assert_false(c.ours);
    assert_non_null(strstr(c.bad_why, "Socket has no value"));
    dk_opendkim_conf_check(broken2, strlen(broken2), &c);
    assert_int_equal(c.bad_line, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_basics),       cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_keytable_signingtable), cmocka_unit_test(test_trustedhosts_and_conf),
        cmocka_unit_test(test_default_socket),        cmocka_unit_test(test_conf_check_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
