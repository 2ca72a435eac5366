/* e2e_internal.h - what the end-to-end test learns about the host, shared by its files. */
#ifndef DK_CHECK_E2E_INTERNAL_H
#define DK_CHECK_E2E_INTERNAL_H

#include "check/e2e.h"
#include "model/model.h"

typedef struct e2e_ctx {
    const dk_model *m;
    const dk_root *root;
    dk_resolver *res;
    const dk_e2e_opts *o;
    dk_findings *out;
    const char *domain; /* tested domain */
    char from[320];
    char from_domain[254];
    char rcpt[320];
    /* opendkim.conf */
    bool have_conf;
    char conf_path[DK_PATH_MAX];
    char *conf;
    size_t conf_len;
    /* main.cf */
    bool have_maincf;
    char maincf_path[DK_PATH_MAX];
    char smtpd_milters[1024];
    char non_smtpd_milters[1024];
    char queue_dir[DK_PATH_MAX];
    char mail_owner[64];
    char spool_dir[DK_PATH_MAX];
    char home_mailbox[DK_PATH_MAX];
    int smtpd_chroot;   /* 1 chrooted, 0 not, -1 unknown */
    int cleanup_chroot; /* same for cleanup (non_smtpd_milters) */
} e2e_ctx;

/* Read opendkim.conf, main.cf and master.cf (missing files are findings). */
int e2e_learn(e2e_ctx *c, dk_err *e);
void e2e_ctx_free(e2e_ctx *c);

/* The mailbox of the recipient (system path), from main.cf and passwd. */
int e2e_mailbox_path(e2e_ctx *c, char *out, size_t size, dk_err *e);

/* Why did the copy of `path` arrive unsigned?  Adds findings. */
int e2e_diag_unsigned(e2e_ctx *c, const dk_e2e_result *r, dk_err *e);
/* Does the SigningTable select a key for the From address, and can
 * opendkim sign with it?  Adds findings. */
int e2e_diag_signer(e2e_ctx *c, dk_err *e);
/* Why did a signature of the From domain not verify?  Adds findings. */
int e2e_diag_failed(e2e_ctx *c, const dk_e2e_result *r, dk_err *e);
/* Why did the message not arrive (or not get sent)?  Adds findings. */
int e2e_diag_opendkim_down(e2e_ctx *c, bool *down, dk_err *e);

#endif
