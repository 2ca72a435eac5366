/*
 * e2e.h - the end-to-end test: a real message through the live Postfix and
 * OpenDKIM, captured as delivered and verified against live DNS.
 *
 * dk_e2e_run sends one message over SMTP to the local smtpd (smtpd_milters)
 * and one through sendmail(1) (non_smtpd_milters), waits for each copy in
 * the recipient's mailbox (mbox or Maildir, found by its unique
 * Message-ID), verifies its DKIM signature with the built-in verifier,
 * evaluates SPF and DMARC for it, and for every failure looks for its
 * cause (the daemons, the socket, the tables, the keys) and adds a finding
 * naming the cause and its fix.  Nothing here prints; results arrive
 * through callbacks, findings in a dk_findings.
 *
 * The lower layers are exposed for unit tests: the SMTP client, the
 * sendmail runner, the mailbox reader and the table matchers.
 *
 * This header deliberately includes neither model/model.h nor dkim/dkim.h
 * (both define DK_KEY_RSA): the model is passed as a struct pointer.
 */
#ifndef DK_CHECK_E2E_H
#define DK_CHECK_E2E_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/path.h"

struct dk_model;

#define DK_E2E_SENDMAIL_PATH "/usr/sbin/sendmail"
#define DK_E2E_RCPT          "root@localhost"
#define DK_E2E_LOCALPART     "dkimctl-test"
#define DK_E2E_TIMEOUT_MS    30000u
#define DK_E2E_WAIT_MS       30000u
#define DK_E2E_MAILBOX_MAX   ((size_t)256 * 1024 * 1024) /* bytes of an mbox file read */
#define DK_E2E_MESSAGE_MAX   ((size_t)16 * 1024 * 1024)  /* bytes of one message */

typedef struct dk_e2e_opts {
    const char *domain;    /* the domain tested; NULL: the first with an active selector */
    const char *from;      /* From and MAIL FROM; NULL: dkimctl-test@DOMAIN */
    const char *rcpt;      /* recipient; NULL: DK_E2E_RCPT */
    const char *mailbox;   /* system path of the mbox file or Maildir; NULL: from main.cf */
    const char *smtp_host; /* NULL: 127.0.0.1 */
    unsigned smtp_port;    /* 0: 25 */
    const char *sendmail;  /* host path of sendmail(1); NULL: DK_E2E_SENDMAIL_PATH */
    const char *spf_ip;    /* address SPF is evaluated for; NULL: the SMTP client address */
    unsigned timeout_ms;   /* SMTP and sendmail; 0: DK_E2E_TIMEOUT_MS */
    unsigned wait_ms;      /* delivery; 0: DK_E2E_WAIT_MS */
    bool no_smtp;          /* skip the SMTP path */
    bool no_sendmail;      /* skip the sendmail path */
} dk_e2e_opts;

enum dk_e2e_path { DK_E2E_SMTP, DK_E2E_SENDMAIL };
const char *dk_e2e_path_name(enum dk_e2e_path p); /* "smtp", "sendmail" */

typedef struct dk_e2e_sig {
    char result[16]; /* "pass", "fail", ... */
    char d[254];
    char s[64];
    char a[32];
    char reason[256];
} dk_e2e_sig;

typedef struct dk_e2e_result {
    enum dk_e2e_path path;
    char message_id[400];
    char mailbox[DK_PATH_MAX];    /* system path looked in */
    bool sent;                    /* accepted by Postfix */
    char send_detail[DK_ERR_MSG]; /* the last SMTP reply, or sendmail's exit */
    bool delivered;               /* found in the mailbox */
    unsigned wait_ms;             /* how long delivery took */
    /* DKIM */
    size_t nsig;
    dk_e2e_sig sig[8];
    bool dkim_pass; /* a signature of the From domain passed */
    /* SPF and DMARC */
    char spf_ip[46];
    char spf_domain[254];
    char spf[16]; /* "pass", "fail", ... or "" when not evaluated */
    char spf_why[DK_ERR_MSG];
    char dmarc[16]; /* "pass", "fail", "none", or "" */
    char dmarc_domain[254];
    bool dmarc_spf_aligned, dmarc_dkim_aligned;
    char dmarc_policy[16];
    char dmarc_why[DK_ERR_MSG];
    bool ok; /* delivered with a passing, aligned DKIM signature */
} dk_e2e_result;

typedef struct dk_e2e_cb {
    void *ud;
    void (*step)(void *ud, const char *what);         /* progress; may be NULL */
    void (*result)(void *ud, const dk_e2e_result *r); /* one per path; may be NULL */
} dk_e2e_cb;

/*
 * Run the test.  Findings (with cause and fix) go to out.  Returns the
 * number of paths that passed (0..2) or -1 on errors outside the test
 * (no domain to test, bad options, allocation).
 */
int dk_e2e_run(const struct dk_model *m, const dk_root *root, dk_resolver *res,
               const dk_e2e_opts *o, const dk_e2e_cb *cb, dk_findings *out, dk_err *e);

/* ---- the message -------------------------------------------------------------- */

/* A fresh token (hex, from getrandom) into out (at least 33 bytes). */
int dk_e2e_token(char *out, size_t size, dk_err *e);

/* The test message: LF line ends, headers From, To, Subject, Date,
 * Message-ID <msgid>, MIME-Version, Content-Type; a short body. */
int dk_e2e_message(const char *from, const char *rcpt, const char *msgid, const char *path,
                   dk_buf *out, dk_err *e);

/* ---- submission ---------------------------------------------------------------- */

/*
 * Send msg (LF or CRLF line ends) over SMTP: EHLO, MAIL FROM, RCPT TO,
 * DATA, QUIT, every step within timeout_ms.  local_addr (46 bytes, may be
 * NULL) receives the client address used.  reply receives the last reply
 * (or the reason of a failure).  Returns 0 when the message was accepted,
 * 1 when the server refused it (reply says how), -1 when no conversation
 * was possible (e says why: connect refused, timeout ...).
 */
int dk_e2e_smtp_send(const char *host, unsigned port, const char *helo, const char *from,
                     const char *rcpt, const char *msg, size_t len, unsigned timeout_ms,
                     char *local_addr, char *reply, size_t rsize, dk_err *e);

/*
 * Run `sendmail -i -f from -- rcpt` (execve, no shell) with msg on stdin.
 * Returns 0 when it exited 0, 1 when it exited otherwise (detail says
 * how, with the first line of its output), -1 when it could not run.
 */
int dk_e2e_sendmail(const char *sendmail, const char *from, const char *rcpt, const char *msg,
                    size_t len, unsigned timeout_ms, char *detail, size_t dsize, dk_err *e);

/* ---- capture ------------------------------------------------------------------- */

/*
 * Find the message whose Message-ID is <msgid> in the mbox text: the
 * message without its "From " separator line and with mboxo quoting
 * (">From ") undone.  Returns 1 and fills out, 0 when absent, -1 on errors.
 */
int dk_e2e_mbox_find(const char *text, size_t len, const char *msgid, dk_buf *out, dk_err *e);

/* The same for a mailbox at system path `sys` under root: a regular file
 * is an mbox, a directory a Maildir (new/ and cur/ are searched). */
int dk_e2e_mailbox_find(const dk_root *root, const char *sys, const char *msgid, dk_buf *out,
                        dk_err *e);

/* ---- tables ------------------------------------------------------------------- */

/*
 * Does OpenDKIM's SigningTable text match address `addr`?  refile: true
 * when the table is a refile: (patterns with '*', as OpenDKIM's refile),
 * false for a plain table (exact address, then the domain, then
 * subdomains).  key (may be NULL) receives the key name of the first match.
 */
bool dk_e2e_signingtable_match(const char *text, size_t len, bool refile, const char *addr,
                               char *key, size_t ksize);

/*
 * Is ip (IPv4 or IPv6 text) or hostname (may be NULL) listed in an
 * OpenDKIM host list (InternalHosts, TrustedHosts): addresses, CIDR
 * blocks, host names; "!" entries exclude. */
bool dk_e2e_hostlist_match(const char *text, size_t len, const char *ip, const char *hostname);

/* ---- DKIM (src/check/e2e_verify.c) -------------------------------------------- */

/*
 * Verify msg with the built-in verifier against res; fill r->sig, r->nsig
 * and r->dkim_pass (a passing signature whose d= is from_domain or a
 * parent of it).  dkim_domains receives the d= of passing signatures
 * (pointers into r).  Returns 0, -1 when the message cannot be read.
 */
int dk_e2e_verify(dk_resolver *res, const char *msg, size_t len, const char *from_domain,
                  dk_e2e_result *r, const char **dkim_domains, size_t *ndkim, dk_err *e);

/*
 * Compare the key published at SELECTOR._domainkey.DOMAIN with the private
 * key at host path `keyfile`.  Returns 1 when they are the two halves of
 * one key, 0 when not (why says how: no record, different key, revoked),
 * -1 when the comparison was impossible (unreadable key, DNS failure: e).
 */
int dk_e2e_key_matches(dk_resolver *res, const char *domain, const char *selector,
                       const char *keyfile, char *why, size_t wsize, dk_err *e);

/* The type of the private key at host path keyfile: "rsa" or "ed25519". */
int dk_e2e_key_type(const char *keyfile, char *type, size_t size, dk_err *e);

#endif
