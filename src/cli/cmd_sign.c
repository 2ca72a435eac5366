/* cmd_sign.c - dkimctl sign: DKIM-sign messages (stdin, files, a batch). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "dkim/dkim.h"
#include "dkim/key.h"
#include "util/buf.h"

#define MAX_EXTRA 32

const char cmd_sign_args[] =
    "--domain D --selector S --key FILE [--algorithm rsa-sha256|ed25519-sha256]"
    " [--canon relaxed/simple] [--out DIR | --sigs FILE] [--stats] [FILE...]";
const char cmd_sign_help[] =
    "  --domain D         signing domain (d=)\n"
    "  --selector S       selector (s=)\n"
    "  --key FILE         PEM private key: PKCS#1 RSA, PKCS#8 RSA or Ed25519 (read once)\n"
    "  --algorithm A      rsa-sha256 (default) or ed25519-sha256\n"
    "  --canon H/B        canonicalization, default relaxed/simple\n"
    "  --out DIR          write each signed FILE to DIR/<base name>\n"
    "  --sigs FILE        write only each DKIM-Signature field: '# <base name>' then the field\n"
    "  --expire SECONDS   add x= this long after t=\n"
    "  --header NAME      sign this header field too when present (repeatable)\n"
    "  --oversign NAME    sign NAME once more than present (From and Content-Type always are)\n"
    "  --timestamp T      t= value instead of the current time\n"
    "  --stats            after the batch, one line 'sign: n= ok= fail= loop_s= msgs_per_s='\n"
    "                     (stdout; stderr when stdout carries the signed message)\n"
    "\nNo FILE: the message on stdin is written signed to stdout.  h= covers From, To, Cc,\n"
    "Subject, Date, Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding,\n"
    "Reply-To, In-Reply-To and References where present; l= is never used.\n"
    "Exit 0 when every message was signed, 1 when one could not be, 2 on usage or I/O errors.\n";

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');

    return s != NULL ? s + 1 : p;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *q = p;

    while (n > 0) {
        ssize_t w = write(fd, q, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The field with LF line ends when the message uses them. */
static int write_field(int fd, const dk_buf *f, bool lf_only)
{
    if (!lf_only)
        return write_all(fd, f->data, f->len);
    for (size_t k = 0; k < f->len; k++) {
        if (f->data[k] == '\r')
            continue;
        if (write_all(fd, f->data + k, 1) < 0)
            return -1;
    }
    return 0;
}

/* Copy the rest of `in` (from offset 0) to `out`. */
static int copy_fd(int in, int out)
{
    char buf[65536];
    ssize_t r;

    if (lseek(in, 0, SEEK_SET) < 0)
        return -1;
    for (;;) {
        r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (write_all(out, buf, (size_t)r) < 0)
            return -1;
    }
}

/* stdin may be a pipe: spool it to an unlinked temporary file. */
static int spool_stdin(void)
{
    char tmpl[] = "/tmp/dkimctl-sign.XXXXXX";
    int fd = mkstemp(tmpl);

    if (fd < 0)
        return -1;
    (void)unlink(tmpl);
    if (copy_fd(STDIN_FILENO, fd) < 0 && errno != ESPIPE) {
        close(fd);
        return -1;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Write DIR/<base> atomically: temporary file in DIR, then rename. */
static int write_signed(const char *dir, const char *name, int in, const dk_buf *f, bool lf_only,
                        dk_err *e)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp)
        return dk_err_set(e, DK_EINVAL, "%s/%s: path too long", dir, name);
    fd = mkstemp(tmp);
    if (fd < 0)
        return dk_err_errno(e, errno, "%s", tmp);
    if (fchmod(fd, 0644) < 0 || write_field(fd, f, lf_only) < 0 || copy_fd(in, fd) < 0 ||
        fsync(fd) < 0) {
        int err = errno;

        close(fd);
        (void)unlink(tmp);
        return dk_err_errno(e, err, "writing %s", path);
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int err = errno;

        (void)unlink(tmp);
        return dk_err_errno(e, err, "writing %s", path);
    }
    return 0;
}

int cmd_sign(dk_cli *cli, int argc, char **argv)
{
    enum {
        O_DOMAIN = 256,
        O_SELECTOR,
        O_KEY,
        O_ALG,
        O_CANON,
        O_OUT,
        O_SIGS,
        O_EXPIRE,
        O_HEADER,
        O_TIME,
        O_OVER,
        O_STATS
    };
    static const struct option opts[] = {
        {"domain", required_argument, NULL, O_DOMAIN},
        {"selector", required_argument, NULL, O_SELECTOR},
        {"key", required_argument, NULL, O_KEY},
        {"algorithm", required_argument, NULL, O_ALG},
        {"canon", required_argument, NULL, O_CANON},
        {"out", required_argument, NULL, O_OUT},
        {"sigs", required_argument, NULL, O_SIGS},
        {"expire", required_argument, NULL, O_EXPIRE},
        {"header", required_argument, NULL, O_HEADER},
        {"timestamp", required_argument, NULL, O_TIME},
        {"oversign", required_argument, NULL, O_OVER},
        {"stats", no_argument, NULL, O_STATS},
        {NULL, 0, NULL, 0},
    };
    dk_sign_opts o;
    const char *keyfile = NULL, *outdir = NULL, *sigs = NULL, *extra[MAX_EXTRA], *over[MAX_EXTRA];
    EVP_PKEY *key;
    dk_signer *s;
    dk_err err;
    dk_buf field;
    static char sigsbuf[64 * 1024];
    FILE *sf = NULL;
    int c, rc = DK_EXIT_OK;
    bool stats = false;
    dk_cli_stats sum;

    memset(&o, 0, sizeof o);
    o.alg = DK_ALG_RSA_SHA256;
    o.hcanon = DK_CANON_RELAXED;
    o.bcanon = DK_CANON_SIMPLE;
    o.extra = extra;
    o.over = over;
    dk_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;

        switch (c) {
        case O_DOMAIN:
            o.domain = optarg;
            break;
        case O_SELECTOR:
            o.selector = optarg;
            break;
        case O_KEY:
            keyfile = optarg;
            break;
        case O_ALG:
            if (dk_alg_parse(optarg, strlen(optarg), &o.alg) < 0)
                return dk_cli_usage(cli, "sign", "--algorithm: '%s' (rsa-sha256 or ed25519-sha256)",
                                    optarg);
            break;
        case O_CANON:
            if (dk_canon_parse(optarg, strlen(optarg), &o.hcanon, &o.bcanon) < 0)
                return dk_cli_usage(cli, "sign", "--canon: '%s' (relaxed|simple[/relaxed|simple])",
                                    optarg);
            break;
        case O_OUT:
            outdir = optarg;
            break;
        case O_SIGS:
            sigs = optarg;
            break;
        case O_EXPIRE:
            errno = 0;
            o.expire = strtoll(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || o.expire <= 0 || o.expire > 100LL * 366 * 86400)
                return dk_cli_usage(cli, "sign", "--expire: '%s' (seconds, > 0)", optarg);
            break;
        case O_TIME:
            errno = 0;
            o.now = strtoll(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || o.now <= 0)
                return dk_cli_usage(cli, "sign", "--timestamp: '%s' (seconds since 1970)", optarg);
            break;
        case O_STATS:
            stats = true;
            break;
        case O_OVER:
            if (o.nover == MAX_EXTRA)
                return dk_cli_usage(cli, "sign", "--oversign: at most %d", MAX_EXTRA);
            over[o.nover++] = optarg;
            break;
        case O_HEADER:
            if (o.nextra == MAX_EXTRA)
                return dk_cli_usage(cli, "sign", "--header: at most %d", MAX_EXTRA);
            extra[o.nextra++] = optarg;
            break;
        default:
            return dk_cli_usage(cli, "sign", "unknown option");
        }
    }
    if (o.domain == NULL || o.selector == NULL || keyfile == NULL)
        return dk_cli_usage(cli, "sign", "--domain, --selector and --key are required");
    if (outdir != NULL && sigs != NULL)
        return dk_cli_usage(cli, "sign", "--out and --sigs exclude each other");
    if (outdir != NULL && optind >= argc)
        return dk_cli_usage(cli, "sign", "--out needs FILE arguments");
    if (outdir != NULL) {
        struct stat st;

        if (stat(outdir, &st) < 0 || !S_ISDIR(st.st_mode))
            return dk_cli_usage(cli, "sign", "--out: '%s' is not a directory", outdir);
    }
    key = dk_private_key_load(keyfile, &err);
    if (key == NULL) {
        dk_cli_error(cli, &err);
        return DK_EXIT_USAGE;
    }
    s = dk_signer_new(&o, key, &err);
    if (s == NULL) {
        EVP_PKEY_free(key);
        dk_cli_error(cli, &err);
        return DK_EXIT_USAGE;
    }
    dk_buf_init(&field, 64 * 1024);
    if (sigs != NULL) {
        sf = strcmp(sigs, "-") == 0 ? stdout : fopen(sigs, "w");
        /* a batch writes a field per message: a larger buffer, fewer
         * writes (glibc ignores the size unless given the buffer) */
        if (sf != NULL && sf != stdout)
            (void)setvbuf(sf, sigsbuf, _IOFBF, sizeof sigsbuf);
        if (sf == NULL) {
            dk_err_errno(&err, errno, "--sigs %s", sigs);
            dk_cli_error(cli, &err);
            dk_signer_free(s);
            return DK_EXIT_USAGE;
        }
    }
    dk_cli_stats_start(&sum);
    if (optind >= argc) {
        /* stdin */
        bool lf = false, good = false;
        int fd = spool_stdin();

        sum.n++;
        if (fd < 0) {
            dk_err_errno(&err, errno, "reading standard input");
            dk_cli_error(cli, &err);
            rc = DK_EXIT_USAGE;
        } else if (dk_sign_fd(s, fd, &field, &lf, &err) < 0) {
            dk_cli_error(cli, &err);
            rc = err.code == DK_EIO ? DK_EXIT_USAGE : DK_EXIT_FAIL;
        } else if (sf != NULL) {
            if (fprintf(sf, "# -\n") < 0 || fwrite(field.data, 1, field.len, sf) != field.len)
                rc = DK_EXIT_USAGE;
            else
                good = true;
        } else if (write_field(STDOUT_FILENO, &field, lf) < 0 || copy_fd(fd, STDOUT_FILENO) < 0) {
            dk_err_errno(&err, errno, "writing standard output");
            dk_cli_error(cli, &err);
            rc = DK_EXIT_USAGE;
        } else {
            good = true;
        }
        sum.ok += good;
        if (fd >= 0)
            close(fd);
    }
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        bool lf = false;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        sum.n++;
        if (fd < 0) {
            dk_err_errno(&err, errno, "%s", path);
            dk_cli_error(cli, &err);
            rc = DK_EXIT_USAGE;
            continue;
        }
        if (dk_sign_fd(s, fd, &field, &lf, &err) < 0) {
            dk_err_prefix(&err, "%s: ", path);
            dk_cli_error(cli, &err);
            if (rc == DK_EXIT_OK)
                rc = DK_EXIT_FAIL;
            close(fd);
            continue;
        }
        if (sf != NULL) {
            if (fprintf(sf, "# %s\n", base_name(path)) < 0 ||
                fwrite(field.data, 1, field.len, sf) != field.len) {
                dk_err_errno(&err, errno, "writing %s", sigs);
                dk_cli_error(cli, &err);
                rc = DK_EXIT_USAGE;
                close(fd);
                break;
            }
            sum.ok++;
        } else if (outdir != NULL) {
            if (write_signed(outdir, base_name(path), fd, &field, lf, &err) < 0) {
                dk_cli_error(cli, &err);
                rc = DK_EXIT_USAGE;
            } else {
                sum.ok++;
            }
        } else {
            fflush(stdout);
            if (write_field(STDOUT_FILENO, &field, lf) < 0 || copy_fd(fd, STDOUT_FILENO) < 0) {
                dk_err_errno(&err, errno, "writing standard output");
                dk_cli_error(cli, &err);
                rc = DK_EXIT_USAGE;
            } else {
                sum.ok++;
            }
        }
        close(fd);
    }
    if (sf != NULL && sf != stdout && fclose(sf) != 0) {
        dk_err_errno(&err, errno, "writing %s", sigs);
        dk_cli_error(cli, &err);
        rc = DK_EXIT_USAGE;
        sum.ok = 0; /* the file may hold none of them */
    } else if (sf == stdout && fflush(stdout) != 0) {
        rc = DK_EXIT_USAGE;
        sum.ok = 0;
    }
    if (stats) {
        /* a message on stdout, or the fields on it: the line goes to stderr */
        bool msgs_on_stdout = sf == stdout || (sf == NULL && outdir == NULL);

        sum.fail = sum.n - sum.ok;
        if (dk_cli_stats_print(&sum, "sign", msgs_on_stdout ? stderr : stdout) < 0)
            rc = DK_EXIT_USAGE;
    }
    dk_buf_free(&field);
    dk_signer_free(s);
    return rc;
}
