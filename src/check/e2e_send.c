/* e2e_send.c - the test message: made, submitted (SMTP, sendmail) and found again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "check/e2e.h"
#include "util/mem.h"

const char *dk_e2e_path_name(enum dk_e2e_path p)
{
    return p == DK_E2E_SMTP ? "smtp" : "sendmail";
}

int dk_e2e_token(char *out, size_t size, dk_err *e)
{
    unsigned char r[16];
    size_t got = 0;

    if (size < 2 * sizeof r + 1)
        return dk_err_set(e, DK_EINTERNAL, "token buffer too small");
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dk_err_errno(e, errno, "getrandom");
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof r; i++)
        (void)snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

int dk_e2e_message(const char *from, const char *rcpt, const char *msgid, const char *path,
                   dk_buf *out, dk_err *e)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL ||
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
        return dk_err_set(e, DK_EINTERNAL, "cannot format the date");
    return dk_buf_printf(out, e,
                         "From: dkimctl test <%s>\n"
                         "To: <%s>\n"
                         "Subject: dkimctl end-to-end test (%s)\n"
                         "Date: %s\n"
                         "Message-ID: <%s>\n"
                         "MIME-Version: 1.0\n"
                         "Content-Type: text/plain; charset=us-ascii\n"
                         "\n"
                         "This message was sent by `dkimctl test` through %s to prove that\n"
                         "outgoing mail is DKIM-signed. It can be deleted.\n",
                         from, rcpt, path, date, msgid, path);
}

/* ---- SMTP ---------------------------------------------------------------------- */

typedef struct smtp_conn {
    int fd;
    unsigned timeout_ms;
    char buf[4096];
    size_t len;
} smtp_conn;

static int wait_fd(int fd, short ev, unsigned timeout_ms, const char *what, dk_err *e)
{
    struct pollfd p = {.fd = fd, .events = ev};
    int n;

    do
        n = poll(&p, 1, (int)timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return dk_err_errno(e, errno, "poll");
    if (n == 0)
        return dk_err_set(e, DK_ETEMP, "no answer within %u ms while %s", timeout_ms, what);
    return 0;
}

static int smtp_write(smtp_conn *c, const char *p, size_t n, const char *what, dk_err *e)
{
    while (n > 0) {
        ssize_t w;

        if (wait_fd(c->fd, POLLOUT, c->timeout_ms, what, e) < 0)
            return -1;
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return dk_err_errno(e, errno, "%s", what);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one reply (all its lines); *code is its code, text its last line. */
static int smtp_reply(smtp_conn *c, int *code, char *text, size_t tsize, const char *what,
                      dk_err *e)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);

        if (nl != NULL) {
            size_t l = (size_t)(nl - c->buf) + 1;
            size_t tl = l;
            bool more;

            while (tl > 0 && (c->buf[tl - 1] == '\n' || c->buf[tl - 1] == '\r'))
                tl--;
            if (tl < 3 || c->buf[0] < '2' || c->buf[0] > '5' || c->buf[1] < '0' ||
                c->buf[1] > '9' || c->buf[2] < '0' || c->buf[2] > '9' ||
                (tl > 3 && c->buf[3] != ' ' && c->buf[3] != '-'))
                return dk_err_set(e, DK_EINVAL, "not an SMTP reply while %s: '%.*s'", what,
                                  (int)(tl > 80 ? 80 : tl), c->buf);
            more = tl > 3 && c->buf[3] == '-';
            *code = (c->buf[0] - '0') * 100 + (c->buf[1] - '0') * 10 + (c->buf[2] - '0');
            if (text != NULL && tsize > 0) {
                size_t k = tl < tsize - 1 ? tl : tsize - 1;
                for (size_t i = 0; i < k; i++)
                    text[i] = (c->buf[i] >= 0x20 && c->buf[i] < 0x7f) ? c->buf[i] : '?';
                text[k] = '\0';
            }
            memmove(c->buf, c->buf + l, c->len - l);
            c->len -= l;
            if (!more)
                return 0;
            continue;
        }
        if (c->len == sizeof c->buf)
            return dk_err_set(e, DK_EINVAL, "SMTP reply line too long while %s", what);
        if (wait_fd(c->fd, POLLIN, c->timeout_ms, what, e) < 0)
            return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return dk_err_errno(e, errno, "%s", what);
        }
        if (n == 0)
            return dk_err_set(e, DK_EIO, "the server closed the connection while %s", what);
        c->len += (size_t)n;
    }
}

static int smtp_connect(const char *host, unsigned port, unsigned timeout_ms, dk_err *e)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
    struct addrinfo *ai = NULL;
    char ports[8];
    int rc, fd = -1, last = 0;

    (void)snprintf(ports, sizeof ports, "%u", port);
    rc = getaddrinfo(host, ports, &hints, &ai);
    if (rc != 0)
        return dk_err_set(e, DK_EINVAL, "cannot resolve %s: %s", host, gai_strerror(rc));
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;

        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS) {
            last = errno;
            (void)close(fd);
            fd = -1;
            continue;
        }
        if (wait_fd(fd, POLLOUT, timeout_ms, "connecting", e) < 0) {
            last = ETIMEDOUT;
            (void)close(fd);
            fd = -1;
            continue;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            soerr = errno;
        if (soerr == 0)
            break;
        last = soerr;
        (void)close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return dk_err_errno(e, last ? last : ECONNREFUSED, "connect to %s port %u", host, port);
    return fd;
}

static int smtp_cmd(smtp_conn *c, const char *cmd, int want, char *reply, size_t rsize,
                    const char *what, dk_err *e)
{
    int code;

    if (smtp_write(c, cmd, strlen(cmd), what, e) < 0 ||
        smtp_reply(c, &code, reply, rsize, what, e) < 0)
        return -1;
    return code / 100 == want ? 0 : 1;
}

int dk_e2e_smtp_send(const char *host, unsigned port, const char *helo, const char *from,
                     const char *rcpt, const char *msg, size_t len, unsigned timeout_ms,
                     char *local_addr, char *reply, size_t rsize, dk_err *e)
{
    smtp_conn c = {.fd = -1, .timeout_ms = timeout_ms ? timeout_ms : DK_E2E_TIMEOUT_MS};
    char line[1100];
    dk_buf data;
    int rc = -1, code;

    if (rsize > 0)
        reply[0] = '\0';
    if (strpbrk(from, "\r\n<> ") != NULL || strpbrk(rcpt, "\r\n<> ") != NULL ||
        strpbrk(helo, "\r\n ") != NULL || strlen(from) > 500 || strlen(rcpt) > 500 ||
        strlen(helo) > 255)
        return dk_err_set(e, DK_EINVAL, "sender, recipient or HELO name not usable in SMTP");
    c.fd = smtp_connect(host, port, c.timeout_ms, e);
    if (c.fd < 0)
        return -1;
    if (local_addr != NULL) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;

        local_addr[0] = '\0';
        if (getsockname(c.fd, (struct sockaddr *)&ss, &sl) == 0)
            (void)getnameinfo((struct sockaddr *)&ss, sl, local_addr, 46, NULL, 0, NI_NUMERICHOST);
    }
    dk_buf_init(&data, DK_E2E_MESSAGE_MAX * 2);
    if (smtp_reply(&c, &code, reply, rsize, "waiting for the greeting", e) < 0)
        goto out;
    if (code / 100 != 2) {
        rc = 1;
        goto out;
    }
    (void)snprintf(line, sizeof line, "EHLO %s\r\n", helo);
    if ((rc = smtp_cmd(&c, line, 2, reply, rsize, "sending EHLO", e)) != 0)
        goto out;
    rc = -1;
    (void)snprintf(line, sizeof line, "MAIL FROM:<%s>\r\n", from);
    if ((rc = smtp_cmd(&c, line, 2, reply, rsize, "sending MAIL FROM", e)) != 0)
        goto out;
    (void)snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", rcpt);
    if ((rc = smtp_cmd(&c, line, 2, reply, rsize, "sending RCPT TO", e)) != 0)
        goto out;
    if ((rc = smtp_cmd(&c, "DATA\r\n", 3, reply, rsize, "sending DATA", e)) != 0)
        goto out;
    rc = -1;
    /* CRLF line ends, dot-stuffed, ending in CRLF . CRLF */
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(msg + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (msg + i)) : len - i;
        size_t tl = l;

        if (tl > 0 && msg[i + tl - 1] == '\r')
            tl--;
        if ((tl > 0 && msg[i] == '.' && dk_buf_putc(&data, '.', e) < 0) ||
            dk_buf_append(&data, msg + i, tl, e) < 0 || dk_buf_append(&data, "\r\n", 2, e) < 0)
            goto out;
        i += l + (nl ? 1 : 0);
    }
    if (dk_buf_append(&data, ".\r\n", 3, e) < 0 ||
        smtp_write(&c, data.data, data.len, "sending the message", e) < 0 ||
        smtp_reply(&c, &code, reply, rsize, "waiting for the answer to the message", e) < 0)
        goto out;
    rc = code / 100 == 2 ? 0 : 1;
    {
        char bye[256];
        dk_err ignore;
        (void)smtp_cmd(&c, "QUIT\r\n", 2, bye, sizeof bye, "sending QUIT", &ignore);
    }
out:
    dk_buf_free(&data);
    (void)close(c.fd);
    return rc;
}

/* ---- sendmail(1) ----------------------------------------------------------------- */

int dk_e2e_sendmail(const char *sendmail, const char *from, const char *rcpt, const char *msg,
                    size_t len, unsigned timeout_ms, char *detail, size_t dsize, dk_err *e)
{
    int in[2] = {-1, -1}, outp[2] = {-1, -1};
    char out[512];
    size_t olen = 0, off = 0;
    pid_t pid;
    int status = 0, rc = -1;
    struct timespec t0, t1;
    sigset_t pipeset, pending, oldmask;
    bool masked = false, had_pipe = false;

    if (dsize > 0)
        detail[0] = '\0';
    if (from[0] == '-' || rcpt[0] == '-')
        return dk_err_set(e, DK_EINVAL, "sender or recipient starts with '-'");
    if (timeout_ms == 0)
        timeout_ms = DK_E2E_TIMEOUT_MS;
    if (pipe2(in, O_CLOEXEC) < 0)
        return dk_err_errno(e, errno, "pipe");
    if (pipe2(outp, O_CLOEXEC) < 0) {
        (void)close(in[0]);
        (void)close(in[1]);
        return dk_err_errno(e, errno, "pipe");
    }
    /* sendmail may exit before reading all of stdin: a write to the pipe
     * must give EPIPE, not kill us.  SIGPIPE is blocked here and a pending
     * one taken away before the mask is restored. */
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    sigemptyset(&pending);
    (void)sigpending(&pending);
    had_pipe = sigismember(&pending, SIGPIPE) == 1;
    (void)pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);
    masked = true;
    pid = fork();
    if (pid < 0) {
        dk_err_errno(e, errno, "fork");
        goto out;
    }
    if (pid == 0) {
        char *const argv[] = {(char *)"sendmail", (char *)"-i", (char *)"-f", (char *)from,
                              (char *)"--",       (char *)rcpt, NULL};
        char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

        (void)pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
        if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(outp[1], 2) < 0)
            _exit(127);
        execve(sendmail, argv, envp);
        _exit(127);
    }
    (void)close(in[0]);
    in[0] = -1;
    (void)close(outp[1]);
    outp[1] = -1;
    (void)fcntl(in[1], F_SETFL, O_NONBLOCK);
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = in[1], .events = POLLOUT}};
        long spent;
        int n;

        (void)clock_gettime(CLOCK_MONOTONIC, &t1);
        spent = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
        if (spent >= (long)timeout_ms) {
            (void)kill(pid, SIGKILL);
            (void)waitpid(pid, NULL, 0);
            dk_err_set(e, DK_ETEMP, "%s did not finish within %u ms", sendmail, timeout_ms);
            goto out;
        }
        n = poll(p, in[1] >= 0 ? 2 : 1, (int)((long)timeout_ms - spent));
        if (n < 0 && errno != EINTR) {
            dk_err_errno(e, errno, "poll");
            (void)kill(pid, SIGKILL);
            (void)waitpid(pid, NULL, 0);
            goto out;
        }
        if (n <= 0)
            continue;
        if (in[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = off < len ? write(in[1], msg + off, len - off) : 0;
            if (w > 0)
                off += (size_t)w;
            if (off >= len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
                (void)close(in[1]);
                in[1] = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char tmp[512];
            ssize_t r = read(outp[0], tmp, sizeof tmp);
            if (r > 0) {
                size_t k = (size_t)r;
                if (k > sizeof out - 1 - olen)
                    k = sizeof out - 1 - olen;
                memcpy(out + olen, tmp, k);
                olen += k;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                break;
            }
        }
    }
    if (in[1] >= 0) {
        (void)close(in[1]);
        in[1] = -1;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            dk_err_errno(e, errno, "waitpid");
            goto out;
        }
    }
    out[olen] = '\0';
    {
        char *nl = strchr(out, '\n');
        if (nl != NULL)
            *nl = '\0';
        for (char *q = out; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                *q = '?';
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        (void)snprintf(detail, dsize, "%s exited 0", sendmail);
        rc = 0;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && olen == 0) {
        dk_err_set(e, DK_ENOENT, "cannot run %s", sendmail);
    } else {
        if (WIFEXITED(status))
            (void)snprintf(detail, dsize, "%s exited %d%s%s", sendmail, WEXITSTATUS(status),
                           olen ? ": " : "", out);
        else
            (void)snprintf(detail, dsize, "%s was killed by signal %d%s%s", sendmail,
                           WIFSIGNALED(status) ? WTERMSIG(status) : 0, olen ? ": " : "", out);
        rc = 1;
    }
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            (void)close(in[i]);
        if (outp[i] >= 0)
            (void)close(outp[i]);
    }
    if (masked) {
        const struct timespec zero = {0, 0};
        if (!had_pipe) {
            sigemptyset(&pending);
            if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
                (void)sigtimedwait(&pipeset, NULL, &zero);
        }
        (void)pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
    }
    return rc;
}

/* ---- capture --------------------------------------------------------------------- */

static const char *find_line_start(const char *text, size_t len, const char *from, size_t *pos)
{
    /* first line starting with `from` at or after *pos */
    size_t fl = strlen(from);
    for (size_t i = *pos; i + fl <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, from, fl) == 0) {
            *pos = i;
            return text + i;
        }
        const char *nl = memchr(text + i, '\n', len - i);
        if (nl == NULL)
            break;
        i = (size_t)(nl - text);
    }
    return NULL;
}

/* Does the header block of [p, p+n) carry Message-ID: <msgid>? */
static bool header_has_msgid(const char *p, size_t n, const char *msgid)
{
    char want[200];
    size_t wl;
    size_t i = 0;

    (void)snprintf(want, sizeof want, "<%s>", msgid);
    wl = strlen(want);
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t l = nl ? (size_t)(nl - (p + i)) : n - i;

        if (l == 0 || (l == 1 && p[i] == '\r'))
            return false; /* end of the header */
        if (l > 11 && strncasecmp(p + i, "Message-ID:", 11) == 0) {
            size_t j = i + 11;
            while (j < i + l && (p[j] == ' ' || p[j] == '\t'))
                j++;
            if (i + l - j >= wl && memcmp(p + j, want, wl) == 0)
                return true;
        }
        i += l + 1;
    }
    return false;
}

int dk_e2e_mbox_find(const char *text, size_t len, const char *msgid, dk_buf *out, dk_err *e)
{
    size_t pos = 0;

    while (find_line_start(text, len, "From ", &pos) != NULL) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t start, end;

        if (nl == NULL)
            return 0;
        start = (size_t)(nl - text) + 1;
        end = start;
        if (find_line_start(text, len, "From ", &end) == NULL)
            end = len;
        if (header_has_msgid(text + start, end - start, msgid)) {
            dk_buf_reset(out);
            /* undo mboxo quoting: ">From " at the start of a line */
            for (size_t i = start; i < end;) {
                const char *l = memchr(text + i, '\n', end - i);
                size_t ll = l ? (size_t)(l - (text + i)) + 1 : end - i;
                size_t skip = (ll >= 6 && memcmp(text + i, ">From ", 6) == 0) ? 1 : 0;
                if (dk_buf_append(out, text + i + skip, ll - skip, e) < 0)
                    return -1;
                i += ll;
            }
            /* the mbox writer adds an empty line after each message */
            if (out->len >= 2 && out->data[out->len - 1] == '\n' && out->data[out->len - 2] == '\n')
                out->len--;
            return 1;
        }
        pos = end;
    }
    return 0;
}

static int maildir_scan(const dk_root *root, const char *sys, const char *sub, const char *msgid,
                        dk_buf *out, dk_err *e)
{
    char dsys[DK_PATH_MAX];
    int dfd;
    DIR *d;
    struct dirent *de;
    int found = 0;

    if ((size_t)snprintf(dsys, sizeof dsys, "%s/%s", sys, sub) >= sizeof dsys)
        return dk_err_set(e, DK_EINVAL, "mailbox path too long");
    dfd = dk_root_open_dir(root, dsys, e);
    if (dfd < 0)
        return e->code == DK_ENOENT ? 0 : -1;
    d = fdopendir(dfd);
    if (d == NULL) {
        (void)close(dfd);
        return dk_err_errno(e, errno, "%s", dsys);
    }
    while (found == 0 && (de = readdir(d)) != NULL) {
        char fsys[DK_PATH_MAX];
        dk_buf b;
        dk_err fe;

        if (de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(fsys, sizeof fsys, "%s/%s", dsys, de->d_name) >= sizeof fsys ||
            !dk_path_is_clean(fsys))
            continue;
        dk_buf_init(&b, 0);
        if (dk_root_read_file(root, fsys, DK_E2E_MESSAGE_MAX, &b, NULL, &fe) == 0 &&
            header_has_msgid(b.data, b.len, msgid)) {
            dk_buf_reset(out);
            if (dk_buf_append(out, b.data, b.len, e) < 0)
                found = -1;
            else
                found = 1;
        }
        dk_buf_free(&b);
    }
    (void)closedir(d);
    return found;
}

int dk_e2e_mailbox_find(const dk_root *root, const char *sys, const char *msgid, dk_buf *out,
                        dk_err *e)
{
    struct stat st;
    dk_buf b;
    int rc;

    if (dk_root_lstat(root, sys, &st, e) < 0)
        return e->code == DK_ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        rc = maildir_scan(root, sys, "new", msgid, out, e);
        if (rc == 0)
            rc = maildir_scan(root, sys, "cur", msgid, out, e);
        return rc;
    }
    dk_buf_init(&b, DK_E2E_MAILBOX_MAX);
    if (dk_root_read_file(root, sys, DK_E2E_MAILBOX_MAX, &b, NULL, e) < 0) {
        dk_buf_free(&b);
        return e->code == DK_ENOENT ? 0 : -1;
    }
    rc = dk_e2e_mbox_find(b.data, b.len, msgid, out, e);
    dk_buf_free(&b);
    return rc;
}
