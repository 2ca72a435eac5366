/* e2e_diag.c - when the test fails, look for the cause: the daemon, the socket
 * and who may open it, main.cf's milter lists, the tables, the keys. */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e_internal.h"
#include "plan/maincf.h"
#include "plan/plan.h"
#include "render/opendkim.h"
#include "util/mem.h"

#define CONF_MAX  ((size_t)1 << 20)
#define TABLE_MAX ((size_t)16 << 20)

void e2e_ctx_free(e2e_ctx *c)
{
    free(c->conf);
    c->conf = NULL;
}

static void copy_param(const dk_maincf *cf, const char *key, const char *def, char *out,
                       size_t size)
{
    const char *v = cf != NULL ? dk_maincf_get(cf, key) : NULL;
    (void)snprintf(out, size, "%s", v != NULL ? v : def);
}

static int chroot_of(const dk_root *root, const char *cfdir, const char *cmd)
{
    char sys[DK_PATH_MAX];
    dk_buf b;
    dk_chroot_count cnt = {0};
    dk_err e;
    int rc = -1;

    if ((size_t)snprintf(sys, sizeof sys, "%s/master.cf", cfdir) >= sizeof sys)
        return -1;
    dk_buf_init(&b, CONF_MAX);
    if (dk_root_read_file(root, sys, CONF_MAX, &b, NULL, &e) == 0 &&
        dk_mastercf_chroot(sys, b.data, b.len, cmd, false, &cnt, NULL, &e) == 0 &&
        cnt.yes + cnt.no > 0)
        rc = cnt.yes > 0 ? 1 : 0;
    dk_buf_free(&b);
    return rc;
}

int e2e_learn(e2e_ctx *c, dk_err *e)
{
    dk_buf b;
    dk_err fe;
    dk_maincf cf;
    bool have_cf = false;

    (void)snprintf(c->conf_path, sizeof c->conf_path, "%s", c->m->opendkim.conf_path);
    dk_buf_init(&b, CONF_MAX);
    if (dk_root_read_file(c->root, c->conf_path, CONF_MAX, &b, NULL, &fe) == 0) {
        c->conf = dk_buf_steal(&b, &c->conf_len);
        if (c->conf == NULL)
            return dk_err_set(e, DK_ENOMEM, "out of memory");
        c->have_conf = true;
    } else {
        if (dk_findings_add(c->out, DK_SEV_CRIT, c->conf_path,
                            "run `dkimctl apply` to write it, then start opendkim",
                            "cannot read OpenDKIM's configuration: %s", fe.msg) < 0)
            goto nomem;
    }
    dk_buf_free(&b);

    if ((size_t)snprintf(c->maincf_path, sizeof c->maincf_path, "%s/main.cf",
                         c->m->postfix.config_dir) >= sizeof c->maincf_path)
        return dk_err_set(e, DK_EINVAL, "postfix.config_dir is too long");
    dk_buf_init(&b, CONF_MAX);
    if (dk_root_read_file(c->root, c->maincf_path, CONF_MAX, &b, NULL, &fe) == 0 &&
        dk_maincf_parse(&cf, c->maincf_path, b.data, b.len, NULL, &fe) == 0) {
        have_cf = true;
        c->have_maincf = true;
    }
    dk_buf_free(&b);
    copy_param(have_cf ? &cf : NULL, "smtpd_milters", "", c->smtpd_milters,
               sizeof c->smtpd_milters);
    copy_param(have_cf ? &cf : NULL, "non_smtpd_milters", "", c->non_smtpd_milters,
               sizeof c->non_smtpd_milters);
    copy_param(have_cf ? &cf : NULL, "queue_directory", "/var/spool/postfix", c->queue_dir,
               sizeof c->queue_dir);
    copy_param(have_cf ? &cf : NULL, "mail_owner", "postfix", c->mail_owner, sizeof c->mail_owner);
    copy_param(have_cf ? &cf : NULL, "mail_spool_directory", "/var/mail", c->spool_dir,
               sizeof c->spool_dir);
    copy_param(have_cf ? &cf : NULL, "home_mailbox", "", c->home_mailbox, sizeof c->home_mailbox);
    if (have_cf)
        dk_maincf_free(&cf);
    c->smtpd_chroot = chroot_of(c->root, c->m->postfix.config_dir, "smtpd");
    c->cleanup_chroot = chroot_of(c->root, c->m->postfix.config_dir, "cleanup");
    return 0;
nomem:
    dk_buf_free(&b);
    return dk_err_set(e, DK_ENOMEM, "out of memory");
}

/* ---- the recipient's mailbox ---------------------------------------------------------- */

/* Home directory of user from ROOT/etc/passwd; false if unknown. */
static bool home_of(const dk_root *root, const char *user, char *out, size_t size)
{
    dk_buf b;
    dk_err e;
    bool found = false;
    size_t ul = strlen(user);

    dk_buf_init(&b, CONF_MAX);
    if (dk_root_read_file(root, "/etc/passwd", CONF_MAX, &b, NULL, &e) == 0) {
        for (size_t i = 0; i < b.len && !found;) {
            const char *nl = memchr(b.data + i, '\n', b.len - i);
            size_t end = nl ? (size_t)(nl - b.data) : b.len;
            const char *l = b.data + i;
            size_t ll = end - i;

            if (ll > ul && memcmp(l, user, ul) == 0 && l[ul] == ':') {
                /* name:pw:uid:gid:gecos:home:shell */
                const char *p = l;
                int field = 0;
                while (field < 5 && p < l + ll) {
                    if (*p++ == ':')
                        field++;
                }
                const char *q = memchr(p, ':', (size_t)(l + ll - p));
                size_t hl = q ? (size_t)(q - p) : (size_t)(l + ll - p);
                if (field == 5 && hl > 0 && hl < size) {
                    memcpy(out, p, hl);
                    out[hl] = '\0';
                    found = true;
                }
            }
            i = end + 1;
        }
    }
    dk_buf_free(&b);
    return found;
}

int e2e_mailbox_path(e2e_ctx *c, char *out, size_t size, dk_err *e)
{
    char user[256];
    const char *at = strrchr(c->rcpt, '@');
    size_t ul = at ? (size_t)(at - c->rcpt) : strlen(c->rcpt);
    char *plus;

    if (c->o->mailbox != NULL) {
        if (!dk_path_is_clean(c->o->mailbox))
            return dk_err_set(e, DK_EINVAL,
                              "--mailbox '%s': an absolute path without '.', '..' or '//' "
                              "components is accepted",
                              c->o->mailbox);
        (void)snprintf(out, size, "%s", c->o->mailbox);
        return 0;
    }
    if (ul == 0 || ul >= sizeof user)
        return dk_err_set(e, DK_EINVAL, "recipient '%s' has no usable local part", c->rcpt);
    memcpy(user, c->rcpt, ul);
    user[ul] = '\0';
    plus = strchr(user, '+');
    if (plus != NULL)
        *plus = '\0';
    for (char *p = user; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        if (*p == '/' || *p == '.')
            return dk_err_set(e, DK_EINVAL, "recipient '%s': give its mailbox with --mailbox",
                              c->rcpt);
    }
    if (c->home_mailbox[0] != '\0') {
        char home[DK_PATH_MAX];
        size_t l;

        if (!home_of(c->root, user, home, sizeof home))
            return dk_err_set(e, DK_ENOENT,
                              "user %s is not in /etc/passwd (main.cf home_mailbox = %s); give "
                              "the mailbox with --mailbox",
                              user, c->home_mailbox);
        if ((size_t)snprintf(out, size, "%s/%s", strcmp(home, "/") == 0 ? "" : home,
                             c->home_mailbox) >= size)
            return dk_err_set(e, DK_EINVAL, "mailbox path too long");
        l = strlen(out);
        if (l > 1 && out[l - 1] == '/')
            out[l - 1] = '\0';
    } else if ((size_t)snprintf(out, size, "%s/%s", c->spool_dir, user) >= size) {
        return dk_err_set(e, DK_EINVAL, "mailbox path too long");
    }
    if (!dk_path_is_clean(out))
        return dk_err_set(e, DK_EINVAL, "mailbox path '%s' is not usable; give --mailbox", out);
    return 0;
}

/* ---- opendkim, its socket, and who may open it --------------------------------------- */

typedef struct sockinfo {
    bool local;
    char path[DK_PATH_MAX]; /* local: system path */
    char host[256];         /* inet */
    unsigned port;
} sockinfo;

static bool parse_socket(const char *spec, sockinfo *s)
{
    memset(s, 0, sizeof *s);
    if (strncmp(spec, "local:", 6) == 0 || strncmp(spec, "unix:", 5) == 0) {
        s->local = true;
        (void)snprintf(s->path, sizeof s->path, "%s", strchr(spec, ':') + 1);
        return s->path[0] == '/';
    }
    if (spec[0] == '/') {
        s->local = true;
        (void)snprintf(s->path, sizeof s->path, "%s", spec);
        return true;
    }
    if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
        const char *p = strchr(spec, ':') + 1;
        const char *at = strchr(p, '@');
        char *end;
        unsigned long port = strtoul(p, &end, 10);

        if (end == p || port == 0 || port > 65535)
            return false;
        s->port = (unsigned)port;
        (void)snprintf(s->host, sizeof s->host, "%s", at ? at + 1 : "127.0.0.1");
        if (s->host[0] == '[') {
            memmove(s->host, s->host + 1, strlen(s->host));
            char *b = strchr(s->host, ']');
            if (b)
                *b = '\0';
        }
        return true;
    }
    return false;
}

/* Can anything be connected to at the socket?  0 yes, else errno. */
static int try_connect(const dk_root *root, const sockinfo *s)
{
    if (s->local) {
        char host[DK_PATH_MAX];
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        dk_err e;
        int fd, rc = 0;

        if (dk_root_path(root, s->path, host, sizeof host, &e) < 0)
            return EINVAL;
        if (strlen(host) >= sizeof sa.sun_path)
            return ENAMETOOLONG;
        memcpy(sa.sun_path, host, strlen(host) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
            rc = errno;
        (void)close(fd);
        return rc;
    } else {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        struct addrinfo *ai = NULL;
        char port[8];
        int rc = ECONNREFUSED;

        (void)snprintf(port, sizeof port, "%u", s->port);
        if (getaddrinfo(s->host, port, &hints, &ai) != 0)
            return EHOSTUNREACH;
        for (struct addrinfo *a = ai; a != NULL && rc != 0; a = a->ai_next) {
            int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd < 0)
                continue;
            rc = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
            (void)close(fd);
        }
        freeaddrinfo(ai);
        return rc;
    }
}

/* The pid in the PidFile, and whether that process exists: 1 running, 0 not, -1 no pid file. */
static int pid_status(e2e_ctx *c, char *pidfile, size_t psize, long *pid)
{
    dk_buf b;
    dk_err e;
    int rc = -1;

    if (!dk_opendkim_conf_get(c->conf, c->conf_len, "PidFile", pidfile, psize))
        return -1;
    *pid = 0;
    rc = 0; /* named, but missing or empty until read */
    dk_buf_init(&b, 64);
    if (dk_root_read_file(c->root, pidfile, 64, &b, NULL, &e) == 0 && b.len > 0) {
        char tmp[64];
        char *end;
        (void)snprintf(tmp, sizeof tmp, "%.*s", (int)b.len, b.data);
        *pid = strtol(tmp, &end, 10);
        if (*pid > 1 && (*end == '\0' || *end == '\n'))
            rc = (kill((pid_t)*pid, 0) == 0 || errno == EPERM) ? 1 : 0;
        else
            rc = 0;
    }
    dk_buf_free(&b);
    return rc;
}

int e2e_diag_opendkim_down(e2e_ctx *c, bool *down, dk_err *e)
{
    char spec[DK_PATH_MAX], pidfile[DK_PATH_MAX];
    sockinfo s;
    long pid = 0;
    int ps, cr;
    struct stat st;
    dk_err le;

    *down = false;
    if (!c->have_conf)
        return 0;
    if (!dk_opendkim_conf_get(c->conf, c->conf_len, "Socket", spec, sizeof spec) ||
        !parse_socket(spec, &s)) {
        *down = true;
        return dk_findings_add(c->out, DK_SEV_CRIT, c->conf_path,
                               "run `dkimctl apply`, then restart opendkim",
                               "opendkim.conf has no usable Socket line") < 0
                   ? dk_err_set(e, DK_ENOMEM, "out of memory")
                   : 0;
    }
    ps = pid_status(c, pidfile, sizeof pidfile, &pid);
    cr = try_connect(c->root, &s);
    if (cr == 0)
        return 0;
    *down = true;
    if (ps == 0 || ps == -1) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, ps == 0 ? pidfile : c->conf_path,
                            "start opendkim (systemctl start opendkim); if it stops again, its "
                            "log (journalctl -u opendkim, or syslog) says why",
                            "opendkim is not running: %s, and nothing accepts connections on %s "
                            "(%s)",
                            ps == -1  ? "opendkim.conf names no PidFile"
                            : pid > 1 ? "the process in its pid file is gone"
                                      : "its pid file is missing or empty",
                            spec, strerror(cr)) < 0)
            return dk_err_set(e, DK_ENOMEM, "out of memory");
        return 0;
    }
    if (s.local && dk_root_lstat(c->root, s.path, &st, &le) < 0) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, s.path,
                            "compare Socket in opendkim.conf with SOCKET in /etc/default/opendkim "
                            "and the systemd unit (`dkimctl apply` makes them agree), then "
                            "restart opendkim",
                            "opendkim runs (pid %ld) but there is no socket at %s: it listens "
                            "elsewhere",
                            pid, s.path) < 0)
            return dk_err_set(e, DK_ENOMEM, "out of memory");
        return 0;
    }
    if (dk_findings_add(c->out, DK_SEV_CRIT, spec, "restart opendkim",
                        "opendkim runs (pid %ld) but does not accept connections on %s (%s)", pid,
                        spec, strerror(cr)) < 0)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    return 0;
}

/* Groups of user (primary and supplementary) from ROOT/etc/group: may the
 * user open a file of owner uid, group gid with mode `mode` for `want`
 * (2 write, 1 search)? */
static bool may(const dk_root *root, const char *user, uid_t uid, gid_t gid, mode_t mode,
                unsigned want)
{
    long u = dk_account_uid(root, user);
    char gname[64];

    if (u == 0)
        return true;
    if (u >= 0 && (uid_t)u == uid)
        return ((mode >> 6) & want) == want;
    dk_account_group_name(root, gid, gname, sizeof gname);
    if (gname[0] != '#' && dk_account_in_group(root, user, gname))
        return ((mode >> 3) & want) == want;
    return (mode & want) == want;
}

/* Who may open the socket: user `user`.  Adds a finding and returns true when not. */
static int check_socket_access(e2e_ctx *c, const char *sockpath, const char *user, bool *denied,
                               dk_err *e)
{
    char path[DK_PATH_MAX];
    struct stat st;
    dk_err le;

    *denied = false;
    (void)snprintf(path, sizeof path, "%s", sockpath);
    for (;;) {
        bool is_sock = strcmp(path, sockpath) == 0;
        char *slash;

        if (dk_root_lstat(c->root, path, &st, &le) == 0 &&
            !may(c->root, user, st.st_uid, st.st_gid, st.st_mode, is_sock ? 2u : 1u)) {
            char on[64], gn[64];
            const char *how;

            dk_account_user_name(c->root, st.st_uid, on, sizeof on);
            dk_account_group_name(c->root, st.st_gid, gn, sizeof gn);
            how = dk_account_in_group(c->root, user, gn)
                      ? "is in that group, but the mode gives the group no access"
                      : "is not a member of that group";
            *denied = true;
            if (dk_findings_add(
                    c->out, DK_SEV_CRIT, path,
                    is_sock ? "opendkim.conf needs UMask 007 and the user in the socket's group "
                              "(`dkimctl apply` sets both: adduser postfix opendkim), then restart "
                              "opendkim and postfix"
                            : "the directory must be searchable by the socket's group "
                              "(chmod 750 and group opendkim), then restart postfix",
                    "permission denied: user %s (Postfix's mail_owner) cannot %s %s: mode %04o, "
                    "owner %s:%s; %s %s",
                    user, is_sock ? "connect to the socket" : "enter the directory", path,
                    (unsigned)(st.st_mode & 07777), on, gn, user, how) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            return 0;
        }
        slash = strrchr(path, '/');
        if (slash == NULL || slash == path)
            break;
        *slash = '\0';
    }
    return 0;
}

/* Does the milter list name the socket as the service (chrooted or not) sees it? */
static int check_milter_list(e2e_ctx *c, const char *param, const char *list, int chrooted,
                             const char *service, const sockinfo *s, const char *spec, dk_err *e)
{
    char item[DK_PATH_MAX];
    const char *p = list;
    bool any = false;

    while (*p) {
        size_t l;

        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '{')
            p++;
        l = strcspn(p, " ,\t}");
        if (l == 0) {
            if (*p)
                p++;
            continue;
        }
        (void)snprintf(item, sizeof item, "%.*s", (int)l, p);
        p += l;
        any = true;
        if (s->local && (strncmp(item, "local:", 6) == 0 || strncmp(item, "unix:", 5) == 0)) {
            const char *mp = strchr(item, ':') + 1;
            char seen[DK_PATH_MAX];

            if (chrooted == 1) {
                if ((size_t)snprintf(seen, sizeof seen, "%s%s%s", c->queue_dir,
                                     mp[0] == '/' ? "" : "/", mp) >= sizeof seen)
                    continue;
            } else
                (void)snprintf(seen, sizeof seen, "%s", mp);
            if (strcmp(seen, s->path) == 0)
                return 0;
            if (chrooted == 1 && strcmp(mp, s->path) == 0) {
                return dk_findings_add(
                           c->out, DK_SEV_CRIT, c->maincf_path,
                           "name the socket relative to the chroot (`dkimctl apply` does), then "
                           "postfix reload",
                           "%s = %s: %s runs chrooted in %s, so it opens %s, but opendkim "
                           "listens on %s",
                           param, list, service, c->queue_dir, seen, s->path) < 0
                           ? dk_err_set(e, DK_ENOMEM, "out of memory")
                           : 0;
            }
        } else if (!s->local && strncmp(item, "inet:", 5) == 0) {
            return 0; /* an inet milter: the connection test above covers it */
        }
    }
    (void)spec;
    return dk_findings_add(
               c->out, DK_SEV_CRIT, c->maincf_path, "run `dkimctl apply`, then postfix reload",
               "%s = %s does not name opendkim's socket %s%s", param, any ? list : "(empty)",
               s->local ? "local:" : "", s->local ? s->path : spec) < 0
               ? dk_err_set(e, DK_ENOMEM, "out of memory")
               : 0;
}

static int read_table(e2e_ctx *c, const char *keyword, char *path, size_t psize, bool *refile,
                      dk_buf *b, dk_err *e)
{
    char v[DK_PATH_MAX];
    const char *p = v;

    *refile = false;
    if (!dk_opendkim_conf_get(c->conf, c->conf_len, keyword, v, sizeof v))
        return 0;
    if (strncmp(v, "refile:", 7) == 0) {
        *refile = true;
        p = v + 7;
    } else if (strncmp(v, "file:", 5) == 0) {
        p = v + 5;
    }
    (void)snprintf(path, psize, "%s", p);
    if (!dk_path_is_clean(path))
        return 0;
    return dk_root_read_file(c->root, path, TABLE_MAX, b, NULL, e) == 0 ? 1 : -1;
}

/* The key the SigningTable selects for the From address: in the KeyTable,
 * readable, and of the type SignatureAlgorithm signs with. */
static int diag_key(e2e_ctx *c, const char *key, dk_err *e)
{
    char kpath[DK_PATH_MAX], entry[DK_PATH_MAX + 600], alg[64], host[DK_PATH_MAX], type[16];
    bool kre;
    dk_buf kb;
    dk_err te;
    const char *file;
    int rc = 0;

    dk_buf_init(&kb, TABLE_MAX);
    if (read_table(c, "KeyTable", kpath, sizeof kpath, &kre, &kb, &te) != 1)
        goto out;
    if (!dk_e2e_signingtable_match(kb.data, kb.len, false, key, entry, sizeof entry)) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, kpath,
                            "run `dkimctl apply`, then restart opendkim",
                            "the SigningTable selects key %s for %s, but the KeyTable has no "
                            "line for it",
                            key, c->from) < 0)
            rc = dk_err_set(e, DK_ENOMEM, "out of memory");
        goto out;
    }
    /* domain:selector:keypath */
    file = strchr(entry, ':');
    file = file ? strchr(file + 1, ':') : NULL;
    if (file == NULL || file[1] != '/' || !dk_path_is_clean(file + 1))
        goto out;
    file++;
    if (dk_root_path(c->root, file, host, sizeof host, &te) < 0)
        goto out;
    if (dk_e2e_key_type(host, type, sizeof type, &te) < 0) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, file,
                            "`dkimctl keygen` makes a missing key; `dkimctl check` shows "
                            "ownership and mode problems",
                            "the key %s for %s cannot be loaded: %s", key, c->from, te.msg) < 0)
            rc = dk_err_set(e, DK_ENOMEM, "out of memory");
        goto out;
    }
    if (!dk_opendkim_conf_get(c->conf, c->conf_len, "SignatureAlgorithm", alg, sizeof alg))
        (void)snprintf(alg, sizeof alg, "%s", "rsa-sha256");
    if (strncasecmp(alg, type, strlen(type)) != 0 &&
        dk_findings_add(c->out, DK_SEV_CRIT, c->conf_path,
                        "OpenDKIM signs with one algorithm for every key: give the domain an "
                        "RSA selector (or use SignatureAlgorithm ed25519-sha256 only when every "
                        "key is Ed25519), then restart opendkim",
                        "opendkim.conf has SignatureAlgorithm %s, but the key selected for %s "
                        "(%s) is an %s key: opendkim cannot sign with it and refuses the "
                        "message (tempfail)",
                        alg, c->from, file, strcmp(type, "rsa") == 0 ? "RSA" : "Ed25519") < 0)
        rc = dk_err_set(e, DK_ENOMEM, "out of memory");
out:
    dk_buf_free(&kb);
    return rc;
}

int e2e_diag_signer(e2e_ctx *c, dk_err *e)
{
    char tpath[DK_PATH_MAX], key[512];
    bool refile = false;
    dk_buf b;
    dk_err te;
    int rc;

    if (!c->have_conf)
        return 0;
    dk_buf_init(&b, TABLE_MAX);
    rc = read_table(c, "SigningTable", tpath, sizeof tpath, &refile, &b, &te);
    if (rc < 0) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, tpath, "run `dkimctl apply`",
                            "cannot read the SigningTable: %s", te.msg) < 0)
            goto nomem;
    } else if (rc == 0) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, c->conf_path,
                            "run `dkimctl apply` (it writes SigningTable and names it)",
                            "opendkim.conf names no SigningTable: nothing is signed") < 0)
            goto nomem;
    } else if (!dk_e2e_signingtable_match(b.data, b.len, refile, c->from, key, sizeof key)) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, tpath,
                            "add the domain to the model (dkimctl init --domain D) and run "
                            "`dkimctl apply`, then restart opendkim",
                            "the From address %s matches no line of the SigningTable: opendkim "
                            "does not sign mail from %s",
                            c->from, c->from_domain) < 0)
            goto nomem;
    } else if (diag_key(c, key, e) < 0) {
        dk_buf_free(&b);
        return -1;
    }
    dk_buf_free(&b);
    return 0;
nomem:
    dk_buf_free(&b);
    return dk_err_set(e, DK_ENOMEM, "out of memory");
}

int e2e_diag_unsigned(e2e_ctx *c, const dk_e2e_result *r, dk_err *e)
{
    char spec[DK_PATH_MAX], tpath[DK_PATH_MAX], mode[16];
    sockinfo s;
    bool down = false, denied = false, refile = false;
    size_t before = c->out->n;
    dk_buf b;
    dk_err te;
    int rc;

    if (!c->have_conf)
        return 0;
    if (e2e_diag_opendkim_down(c, &down, e) < 0)
        return -1;
    if (dk_opendkim_conf_get(c->conf, c->conf_len, "Socket", spec, sizeof spec) &&
        parse_socket(spec, &s)) {
        bool smtp = r->path == DK_E2E_SMTP;
        if (check_milter_list(c, smtp ? "smtpd_milters" : "non_smtpd_milters",
                              smtp ? c->smtpd_milters : c->non_smtpd_milters,
                              smtp ? c->smtpd_chroot : c->cleanup_chroot,
                              smtp ? "smtpd" : "cleanup", &s, spec, e) < 0)
            return -1;
        if (s.local && !down && check_socket_access(c, s.path, c->mail_owner, &denied, e) < 0)
            return -1;
    }
    if (dk_opendkim_conf_get(c->conf, c->conf_len, "Mode", mode, sizeof mode) &&
        strchr(mode, 's') == NULL &&
        dk_findings_add(c->out, DK_SEV_CRIT, c->conf_path, "set Mode s (or sv)",
                        "opendkim.conf has Mode %s: opendkim does not sign", mode) < 0)
        return dk_err_set(e, DK_ENOMEM, "out of memory");

    if (e2e_diag_signer(c, e) < 0)
        return -1;
    dk_buf_init(&b, TABLE_MAX);
    /* InternalHosts: is the client one whose mail is signed? */
    rc = read_table(c, "InternalHosts", tpath, sizeof tpath, &refile, &b, &te);
    if (rc == 1 && !dk_e2e_hostlist_match(b.data, b.len, "127.0.0.1", "localhost")) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, tpath,
                            "list 127.0.0.1 and ::1 in it (`dkimctl apply` does), then restart "
                            "opendkim",
                            "the client 127.0.0.1 is not in InternalHosts: opendkim verifies "
                            "its mail instead of signing it") < 0)
            goto nomem;
    } else if (rc < 0) {
        if (dk_findings_add(c->out, DK_SEV_CRIT, tpath, "run `dkimctl apply`",
                            "cannot read InternalHosts: %s", te.msg) < 0)
            goto nomem;
    }
    dk_buf_free(&b);
    if (c->out->n == before &&
        dk_findings_add(c->out, DK_SEV_WARN, c->conf_path,
                        "opendkim's log (journalctl -u opendkim, or syslog, with LogWhy yes) says "
                        "why it did not sign",
                        "the %s copy arrived unsigned, and opendkim, its socket and its tables "
                        "look right",
                        dk_e2e_path_name(r->path)) < 0)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    return 0;
nomem:
    dk_buf_free(&b);
    return dk_err_set(e, DK_ENOMEM, "out of memory");
}

int e2e_diag_failed(e2e_ctx *c, const dk_e2e_result *r, dk_err *e)
{
    for (size_t i = 0; i < r->nsig; i++) {
        const dk_e2e_sig *g = &r->sig[i];
        const dk_domain *d;
        const dk_selector *sel = NULL;
        char where[600];
        char why[600];
        char host[DK_PATH_MAX];
        dk_err ke;
        int m;

        if (strcmp(g->result, "pass") == 0)
            continue;
        (void)snprintf(where, sizeof where, "%s._domainkey.%s", g->s, g->d);
        if (strstr(g->reason, "body hash") != NULL) {
            if (dk_findings_add(c->out, DK_SEV_CRIT, where,
                                "find what rewrites messages after opendkim signs them (a "
                                "content_filter, another milter after opendkim, a disclaimer or "
                                "footer tool) and let it run before signing",
                                "%s copy: the body changed in transit after it was signed (%s)",
                                dk_e2e_path_name(r->path), g->reason) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            continue;
        }
        d = dk_model_find_domain(c->m, g->d);
        if (d != NULL)
            sel = dk_domain_find_selector(d, g->s);
        if (sel == NULL) {
            if (dk_findings_add(c->out, DK_SEV_CRIT, where,
                                "add the selector to the model, or fix the KeyTable, with "
                                "`dkimctl apply`",
                                "%s copy: signed with d=%s s=%s, which the model does not know; "
                                "the signature is %s (%s)",
                                dk_e2e_path_name(r->path), g->d, g->s, g->result, g->reason) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
            continue;
        }
        if (dk_root_path(c->root, sel->key_path, host, sizeof host, &ke) < 0)
            return dk_err_set(e, ke.code, "%s", ke.msg);
        m = dk_e2e_key_matches(c->res, g->d, g->s, host, why, sizeof why, &ke);
        if (m == 0) {
            char fix[600];

            (void)snprintf(fix, sizeof fix,
                           "publish the record that `dkimctl records --domain %s` prints for "
                           "selector %s, then wait for the old record's TTL",
                           g->d, g->s);
            /* the same for both copies: said once (no path in the text) */
            if (dk_findings_add(c->out, DK_SEV_CRIT, where, fix,
                                "the signature d=%s s=%s is %s (%s): %s", g->d, g->s, g->result,
                                g->reason, why) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
        } else if (m < 0) {
            if (dk_findings_add(c->out, DK_SEV_CRIT, where,
                                ke.code == DK_ETEMP ? "check that the resolver answers (--resolver)"
                                                    : "check the key file",
                                "%s copy: the signature is %s (%s); the published key could "
                                "not be compared with %s: %s",
                                dk_e2e_path_name(r->path), g->result, g->reason, sel->key_path,
                                ke.msg) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
        } else {
            if (dk_findings_add(c->out, DK_SEV_CRIT, where,
                                "find what rewrites the message's signed header fields after "
                                "signing",
                                "%s copy: the signature is %s (%s), though the published key "
                                "matches the private key: the message changed after signing",
                                dk_e2e_path_name(r->path), g->result, g->reason) < 0)
                return dk_err_set(e, DK_ENOMEM, "out of memory");
        }
    }
    return 0;
}
