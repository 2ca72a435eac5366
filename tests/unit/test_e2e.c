/* test_e2e.c - the end-to-end test's parts: mailbox reading, OpenDKIM tables,
 * the SMTP client against a scripted server, sendmail runs, the key comparison
 * and verification of a delivered copy (DNS from a stub). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "check/e2e.h"
#include "dkim/dkim.h"
#include "dkim/key.h"
#include "util/buf.h"
#include "util/err.h"

#define RSA_KEY "tests/unit/data/dkim/rsa2048.pem"
#define ED_KEY  "tests/unit/data/dkim/ed25519.pem"

/* ---- mbox ------------------------------------------------------------------------- */

static const char mbox[] = "From someone@example.org Fri Nov 27 23:00:00 2026\n"
                           "Return-Path: <someone@example.org>\n"
                           "Message-ID: <tok.smtp2@example.org>\n"
                           "\n"
                           "first\n"
                           "\n"
                           "From dkimctl-test@example.org Fri Nov 27 23:00:01 2026\n"
                           "Delivered-To: dkimtest@localhost\n"
                           "message-id:   <tok.smtp@example.org>\n"
                           "Subject: x\n"
                           "\n"
                           "line one\n"
                           ">From the start of a line\n"
                           ">>From stays as it is (mboxo)\n"
                           "\n"
                           "From other@example.org Fri Nov 27 23:00:02 2026\n"
                           "Message-ID: <tok.sendmail@example.org>\n"
                           "\n"
                           "third\n";

static void mbox_finds_by_message_id(void **state)
{
    dk_buf b;
    dk_err e;

    (void)state;
    dk_buf_init(&b, 0);
    assert_int_equal(dk_e2e_mbox_find(mbox, strlen(mbox), "tok.smtp@example.org", &b, &e), 1);
    assert_int_equal(b.len, strlen("Delivered-To: dkimtest@localhost\n"
                                   "message-id:   <tok.smtp@example.org>\n"
                                   "Subject: x\n\nline one\nFrom the start of a line\n"
                                   ">>From stays as it is (mboxo)\n"));
    assert_memory_equal(b.data, "Delivered-To: dkimtest@localhost\n", 33);
    assert_non_null(strstr(b.data, "\nFrom the start of a line\n>>From stays as it is (mboxo)\n"));
    /* the last message, without a separator after it */
    assert_int_equal(dk_e2e_mbox_find(mbox, strlen(mbox), "tok.sendmail@example.org", &b, &e), 1);
    assert_memory_equal(b.data, "Message-ID: <tok.sendmail@example.org>\n\nthird\n", b.len);
    /* a prefix of another id is not that id; an id in a body is not a header */
    assert_int_equal(dk_e2e_mbox_find(mbox, strlen(mbox), "tok.smt", &b, &e), 0);
    assert_int_equal(dk_e2e_mbox_find(mbox, strlen(mbox), "none@example.org", &b, &e), 0);
    assert_int_equal(dk_e2e_mbox_find("", 0, "tok.smtp@example.org", &b, &e), 0);
    dk_buf_free(&b);
}

static void mbox_ignores_ids_in_bodies(void **state)
{
    static const char t[] = "From a@b Fri Nov 27 23:00:00 2026\n"
                            "Subject: y\n"
                            "\n"
                            "Message-ID: <tok.smtp@example.org>\n";
    dk_buf b;
    dk_err e;

    (void)state;
    dk_buf_init(&b, 0);
    assert_int_equal(dk_e2e_mbox_find(t, strlen(t), "tok.smtp@example.org", &b, &e), 0);
    dk_buf_free(&b);
}

/* ---- Maildir ----------------------------------------------------------------------- */

static void maildir_finds_in_new_and_cur(void **state)
{
    char dir[] = "/tmp/dkimctl-e2e.XXXXXX";
    char path[512];
    dk_root root;
    dk_buf b;
    dk_err e;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    (void)snprintf(path, sizeof path, "%s/home", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    (void)snprintf(path, sizeof path, "%s/home/Maildir", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    (void)snprintf(path, sizeof path, "%s/home/Maildir/new", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    (void)snprintf(path, sizeof path, "%s/home/Maildir/cur", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    (void)snprintf(path, sizeof path, "%s/home/Maildir/new/1.a.host", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    (void)fputs("Message-ID: <other@example.org>\n\nx\n", f);
    (void)fclose(f);
    (void)snprintf(path, sizeof path, "%s/home/Maildir/cur/2.b.host:2,S", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    (void)fputs("Subject: s\nMessage-Id: <tok.sendmail@example.org>\n\nbody\n", f);
    (void)fclose(f);
    assert_int_equal(dk_root_init(&root, dir, &e), 0);
    dk_buf_init(&b, 0);
    assert_int_equal(
        dk_e2e_mailbox_find(&root, "/home/Maildir", "tok.sendmail@example.org", &b, &e), 1);
    assert_memory_equal(b.data, "Subject: s\n", 11);
    assert_int_equal(dk_e2e_mailbox_find(&root, "/home/Maildir", "other@example.org", &b, &e), 1);
    assert_int_equal(dk_e2e_mailbox_find(&root, "/home/Maildir", "none@example.org", &b, &e), 0);
    /* a missing mailbox is "not yet delivered", not an error */
    assert_int_equal(dk_e2e_mailbox_find(&root, "/home/nobody", "x@example.org", &b, &e), 0);
    dk_buf_free(&b);
    {
        static const char *const gone[] = {"home/Maildir/new/1.a.host",
                                           "home/Maildir/cur/2.b.host:2,S",
                                           "home/Maildir/new",
                                           "home/Maildir/cur",
                                           "home/Maildir",
                                           "home",
                                           ""};
        for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
            (void)snprintf(path, sizeof path, "%s/%s", dir, gone[i]);
            assert_int_equal(remove(path), 0);
        }
    }
}

/* ---- tables ------------------------------------------------------------------------ */

static void signingtable_refile(void **state)
{
    static const char t[] = "# generated\n"
                            "*@example.org   s1._domainkey.example.org\n"
                            "*@*.example.org s1._domainkey.example.org\n"
                            "*@example.net e1._domainkey.example.net # comment\n";
    char key[128];

    (void)state;
    assert_true(dk_e2e_signingtable_match(t, strlen(t), true, "a@example.org", key, sizeof key));
    assert_string_equal(key, "s1._domainkey.example.org");
    assert_true(
        dk_e2e_signingtable_match(t, strlen(t), true, "a@Mail.Example.ORG", key, sizeof key));
    assert_true(dk_e2e_signingtable_match(t, strlen(t), true, "x@example.net", key, sizeof key));
    assert_string_equal(key, "e1._domainkey.example.net");
    assert_false(dk_e2e_signingtable_match(t, strlen(t), true, "a@example.com", key, sizeof key));
    assert_string_equal(key, "");
    assert_false(
        dk_e2e_signingtable_match(t, strlen(t), true, "a@notexample.org", key, sizeof key));
    assert_false(dk_e2e_signingtable_match("", 0, true, "a@example.org", key, sizeof key));
}

static void signingtable_plain(void **state)
{
    static const char t[] = "boss@example.org bosskey\nexample.org orgkey\n";
    char key[128];

    (void)state;
    assert_true(
        dk_e2e_signingtable_match(t, strlen(t), false, "boss@example.org", key, sizeof key));
    assert_string_equal(key, "bosskey");
    assert_true(dk_e2e_signingtable_match(t, strlen(t), false, "x@example.org", key, sizeof key));
    assert_string_equal(key, "orgkey");
    assert_true(dk_e2e_signingtable_match(t, strlen(t), false, "x@a.example.org", key, sizeof key));
    assert_false(dk_e2e_signingtable_match(t, strlen(t), false, "x@example.net", key, sizeof key));
}

static void hostlist(void **state)
{
    static const char gen[] = "127.0.0.1\n::1\nlocalhost\n";
    static const char net[] = "# hosts\n192.0.2.0/24\n!192.0.2.5\n2001:db8::/32\n.example.org\n";

    (void)state;
    assert_true(dk_e2e_hostlist_match(gen, strlen(gen), "127.0.0.1", NULL));
    assert_true(dk_e2e_hostlist_match(gen, strlen(gen), "::1", NULL));
    assert_true(dk_e2e_hostlist_match(gen, strlen(gen), "10.1.1.1", "localhost"));
    assert_false(dk_e2e_hostlist_match(gen, strlen(gen), "127.0.0.2", "other"));
    assert_true(dk_e2e_hostlist_match(net, strlen(net), "192.0.2.77", NULL));
    assert_false(dk_e2e_hostlist_match(net, strlen(net), "192.0.2.5", NULL));
    assert_false(dk_e2e_hostlist_match(net, strlen(net), "192.0.3.1", NULL));
    assert_true(dk_e2e_hostlist_match(net, strlen(net), "2001:db8:1::9", NULL));
    assert_true(dk_e2e_hostlist_match(net, strlen(net), "10.0.0.1", "mx.example.org"));
    assert_false(dk_e2e_hostlist_match(net, strlen(net), "10.0.0.1", "example.org.evil"));
    assert_false(dk_e2e_hostlist_match("", 0, "127.0.0.1", "localhost"));
}

/* ---- SMTP against a scripted server ---------------------------------------------------- */

/* A one-connection SMTP server in a child: greets, answers each command,
 * refuses RCPT when `refuse_rcpt`, writes what it received to `log`. */
static pid_t smtp_server(unsigned *port, bool refuse_rcpt, int *logfd)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int ls = socket(AF_INET, SOCK_STREAM, 0), p[2];
    pid_t pid;

    assert_true(ls >= 0);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(ls, 1), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char buf[65536];
        size_t len = 0;
        bool data = false;
        int c = accept(ls, NULL, NULL);

        (void)close(p[0]);
        if (c < 0)
            _exit(1);
        (void)!write(c, "220 test ESMTP\r\n", 16);
        for (;;) {
            ssize_t n = read(c, buf + len, sizeof buf - 1 - len);
            char *nl;

            if (n <= 0)
                break;
            len += (size_t)n;
            buf[len] = '\0';
            while ((nl = strstr(buf, "\r\n")) != NULL) {
                size_t l = (size_t)(nl - buf) + 2;
                (void)!write(p[1], buf, l);
                if (data) {
                    if (l == 3 && buf[0] == '.') {
                        data = false;
                        (void)!write(c, "250 2.0.0 queued as TEST\r\n", 26);
                    }
                } else if (strncmp(buf, "EHLO", 4) == 0) {
                    (void)!write(c, "250-test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 40);
                } else if (strncmp(buf, "RCPT", 4) == 0 && refuse_rcpt) {
                    (void)!write(c, "550 5.1.1 no such user\r\n", 24);
                } else if (strncmp(buf, "DATA", 4) == 0) {
                    data = true;
                    (void)!write(c, "354 go ahead\r\n", 14);
                } else if (strncmp(buf, "QUIT", 4) == 0) {
                    (void)!write(c, "221 bye\r\n", 9);
                    _exit(0);
                } else {
                    (void)!write(c, "250 ok\r\n", 8);
                }
                memmove(buf, buf + l, len - l + 1);
                len -= l;
            }
        }
        _exit(0);
    }
    (void)close(ls);
    (void)close(p[1]);
    *logfd = p[0];
    return pid;
}

static void read_all(int fd, dk_buf *b)
{
    char tmp[4096];
    ssize_t n;
    dk_err e;

    while ((n = read(fd, tmp, sizeof tmp)) > 0)
        assert_int_equal(dk_buf_append(b, tmp, (size_t)n, &e), 0);
    (void)close(fd);
}

static void smtp_conversation(void **state)
{
    static const char msg[] = "From: a@example.org\nSubject: t\n\n.leading dot\nbody\n";
    unsigned port;
    int logfd, st;
    pid_t pid = smtp_server(&port, false, &logfd);
    char reply[256], local[46];
    dk_buf log;
    dk_err e;

    (void)state;
    assert_int_equal(dk_e2e_smtp_send("127.0.0.1", port, "localhost", "a@example.org",
                                      "b@localhost", msg, strlen(msg), 5000, local, reply,
                                      sizeof reply, &e),
                     0);
    assert_string_equal(reply, "250 2.0.0 queued as TEST");
    assert_string_equal(local, "127.0.0.1");
    dk_buf_init(&log, 0);
    read_all(logfd, &log);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(dk_buf_putc(&log, '\0', &e), 0);
    assert_string_equal(log.data, "EHLO localhost\r\n"
                                  "MAIL FROM:<a@example.org>\r\n"
                                  "RCPT TO:<b@localhost>\r\n"
                                  "DATA\r\n"
                                  "From: a@example.org\r\nSubject: t\r\n\r\n"
                                  "..leading dot\r\nbody\r\n.\r\n"
                                  "QUIT\r\n");
    dk_buf_free(&log);
}

static void smtp_refusal_and_no_server(void **state)
{
    unsigned port;
    int logfd, st;
    pid_t pid = smtp_server(&port, true, &logfd);
    char reply[256];
    dk_buf log;
    dk_err e;

    (void)state;
    assert_int_equal(dk_e2e_smtp_send("127.0.0.1", port, "localhost", "a@example.org",
                                      "nobody@localhost", "x\n", 2, 5000, NULL, reply, sizeof reply,
                                      &e),
                     1);
    assert_string_equal(reply, "550 5.1.1 no such user");
    dk_buf_init(&log, 0);
    read_all(logfd, &log);
    (void)kill(pid, SIGKILL);
    (void)waitpid(pid, &st, 0);
    dk_buf_free(&log);
    /* the port is closed now */
    assert_int_equal(dk_e2e_smtp_send("127.0.0.1", port, "localhost", "a@example.org",
                                      "b@localhost", "x\n", 2, 2000, NULL, reply, sizeof reply, &e),
                     -1);
    assert_non_null(strstr(e.msg, "connect to 127.0.0.1 port"));
    /* addresses that would inject SMTP commands are refused before connecting */
    assert_int_equal(dk_e2e_smtp_send("127.0.0.1", port, "localhost", "a@x\r\nRSET", "b@localhost",
                                      "x\n", 2, 2000, NULL, reply, sizeof reply, &e),
                     -1);
    assert_int_equal(e.code, DK_EINVAL);
}

/* ---- sendmail ---------------------------------------------------------------------- */

static void sendmail_runs(void **state)
{
    char detail[256];
    dk_err e;

    (void)state;
    assert_int_equal(dk_e2e_sendmail("/bin/true", "a@example.org", "b@localhost", "x\n", 2, 5000,
                                     detail, sizeof detail, &e),
                     0);
    /* a program that exits without reading a large message: EPIPE, not SIGPIPE */
    {
        size_t big = 4u << 20;
        char *m = malloc(big);
        assert_non_null(m);
        memset(m, 'x', big);
        assert_int_equal(dk_e2e_sendmail("/bin/true", "a@example.org", "b@localhost", m, big, 5000,
                                         detail, sizeof detail, &e),
                         0);
        free(m);
    }
    /* cat(1) does not know -f: it fails and says so */
    assert_int_equal(dk_e2e_sendmail("/bin/cat", "a@example.org", "b@localhost", "x\n", 2, 5000,
                                     detail, sizeof detail, &e),
                     1);
    assert_non_null(strstr(detail, "/bin/cat exited 1"));
    assert_int_equal(dk_e2e_sendmail("/nonexistent/sendmail", "a@example.org", "b@localhost", "x\n",
                                     2, 5000, detail, sizeof detail, &e),
                     -1);
    assert_int_equal(dk_e2e_sendmail("/bin/true", "-oi@example.org", "b@localhost", "x\n", 2, 5000,
                                     detail, sizeof detail, &e),
                     -1);
}

/* ---- keys and verification (DNS from a stub) ---------------------------------------- */

static char stub_record[2048];

static int stub_txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    (void)ud;
    (void)e;
    if (strcmp(name, "s1._domainkey.example.org") != 0 || stub_record[0] == '\0') {
        out->rcode = DK_DNS_NXDOMAIN;
        return 0;
    }
    out->rcode = DK_DNS_OK;
    out->nrr = 1;
    out->rr = calloc(1, sizeof *out->rr);
    out->rr[0].data = strdup(stub_record);
    out->rr[0].len = strlen(stub_record);
    return 0;
}

static void publish(const char *keyfile)
{
    dk_err e;
    EVP_PKEY *k;

    if (keyfile == NULL) {
        stub_record[0] = '\0';
        return;
    }
    k = dk_private_key_load(keyfile, &e);
    assert_non_null(k);
    assert_int_equal(dk_key_record_text(k, stub_record, sizeof stub_record, &e), 0);
    EVP_PKEY_free(k);
}

static void key_comparison(void **state)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    dk_err e;
    dk_resolver *r = dk_resolver_new_stub(&ops, NULL, &e);
    char why[512], type[16];

    (void)state;
    assert_non_null(r);
    publish(RSA_KEY);
    assert_int_equal(dk_e2e_key_matches(r, "example.org", "s1", RSA_KEY, why, sizeof why, &e), 1);
    publish(ED_KEY);
    assert_int_equal(dk_e2e_key_matches(r, "example.org", "s1", RSA_KEY, why, sizeof why, &e), 0);
    assert_non_null(strstr(why, "(ed25519) is not the public half of " RSA_KEY));
    publish(NULL);
    assert_int_equal(dk_e2e_key_matches(r, "example.org", "s1", RSA_KEY, why, sizeof why, &e), 0);
    assert_non_null(strstr(why, "no key record at s1._domainkey.example.org (NXDOMAIN)"));
    assert_int_equal(
        dk_e2e_key_matches(r, "example.org", "s1", "/nonexistent.pem", why, sizeof why, &e), -1);
    assert_int_equal(dk_e2e_key_type(ED_KEY, type, sizeof type, &e), 0);
    assert_string_equal(type, "ed25519");
    assert_int_equal(dk_e2e_key_type(RSA_KEY, type, sizeof type, &e), 0);
    assert_string_equal(type, "rsa");
    dk_resolver_free(r);
}

static void verify_delivered_copy(void **state)
{
    static const dk_dns_ops ops = {.txt = stub_txt};
    static const char msg[] = "From: t <dkimctl-test@example.org>\r\nTo: <b@localhost>\r\n"
                              "Subject: s\r\nMessage-ID: <m@example.org>\r\n\r\nbody\r\n";
    dk_sign_opts so = {.domain = "example.org",
                       .selector = "s1",
                       .alg = DK_ALG_RSA_SHA256,
                       .hcanon = DK_CANON_RELAXED,
                       .bcanon = DK_CANON_SIMPLE};
    dk_err e;
    dk_resolver *r = dk_resolver_new_stub(&ops, NULL, &e);
    EVP_PKEY *k = dk_private_key_load(RSA_KEY, &e);
    dk_signer *s;
    dk_buf sig, full;
    dk_e2e_result res;
    const char *doms[8];
    size_t nd = 0;
    char *p;

    (void)state;
    assert_non_null(r);
    assert_non_null(k);
    publish(RSA_KEY);
    s = dk_signer_new(&so, k, &e);
    assert_non_null(s);
    dk_buf_init(&sig, 0);
    dk_buf_init(&full, 0);
    assert_int_equal(dk_sign_mem(s, msg, strlen(msg), &sig, &e), 0);
    /* as delivered: the local delivery agent adds fields on top */
    assert_int_equal(dk_buf_puts(&full, "Return-Path: <x@example.org>\r\n", &e), 0);
    assert_int_equal(dk_buf_append(&full, sig.data, sig.len, &e), 0);
    assert_int_equal(dk_buf_puts(&full, msg, &e), 0);
    memset(&res, 0, sizeof res);
    assert_int_equal(dk_e2e_verify(r, full.data, full.len, "example.org", &res, doms, &nd, &e), 0);
    assert_true(res.dkim_pass);
    assert_int_equal(res.nsig, 1);
    assert_string_equal(res.sig[0].result, "pass");
    assert_int_equal(nd, 1);
    assert_string_equal(doms[0], "example.org");
    /* a passing signature of another domain does not count for this From */
    memset(&res, 0, sizeof res);
    assert_int_equal(dk_e2e_verify(r, full.data, full.len, "example.net", &res, doms, &nd, &e), 0);
    assert_false(res.dkim_pass);
    /* the body changed in transit */
    p = strstr(full.data, "\r\nbody\r\n");
    assert_non_null(p);
    p[2] = 'B';
    memset(&res, 0, sizeof res);
    assert_int_equal(dk_e2e_verify(r, full.data, full.len, "example.org", &res, doms, &nd, &e), 0);
    assert_false(res.dkim_pass);
    assert_string_equal(res.sig[0].result, "fail");
    assert_non_null(strstr(res.sig[0].reason, "body hash"));
    dk_buf_free(&sig);
    dk_buf_free(&full);
    dk_signer_free(s);
    dk_resolver_free(r);
}

static void message_text(void **state)
{
    dk_buf b;
    dk_err e;
    char tok[40], tok2[40];

    (void)state;
    assert_int_equal(dk_e2e_token(tok, sizeof tok, &e), 0);
    assert_int_equal(dk_e2e_token(tok2, sizeof tok2, &e), 0);
    assert_int_equal(strlen(tok), 32);
    assert_string_not_equal(tok, tok2);
    assert_int_equal(dk_e2e_token(tok, 8, &e), -1);
    dk_buf_init(&b, 0);
    assert_int_equal(
        dk_e2e_message("a@example.org", "b@localhost", "id@example.org", "smtp", &b, &e), 0);
    assert_int_equal(dk_buf_putc(&b, '\0', &e), 0);
    assert_memory_equal(b.data, "From: dkimctl test <a@example.org>\nTo: <b@localhost>\n", 52);
    assert_non_null(strstr(b.data, "\nMessage-ID: <id@example.org>\n"));
    assert_non_null(strstr(b.data, "\n\nThis message was sent by"));
    dk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mbox_finds_by_message_id),
        cmocka_unit_test(mbox_ignores_ids_in_bodies),
        cmocka_unit_test(maildir_finds_in_new_and_cur),
        cmocka_unit_test(signingtable_refile),
        cmocka_unit_test(signingtable_plain),
        cmocka_unit_test(hostlist),
        cmocka_unit_test(smtp_conversation),
        cmocka_unit_test(smtp_refusal_and_no_server),
        cmocka_unit_test(sendmail_runs),
        cmocka_unit_test(key_comparison),
        cmocka_unit_test(verify_delivered_copy),
        cmocka_unit_test(message_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
