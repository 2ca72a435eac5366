/*
 * plan.h - what `dkimctl apply` would do: the model and the system state
 * (read under --root, never written) turned into a list of operations.
 *
 * Operations, in the order apply runs them:
 *   mkdir      a directory with owner, group and mode
 *   keygen     a private key that does not exist yet
 *   write      a whole file (OpenDKIM's files, /etc/default/opendkim)
 *   edit       main.cf keys (the new text is computed here, postconf -e style)
 *   owner      owner/group/mode of an existing file or directory
 *   group      add a user to a group (postfix to opendkim)
 *   reload     reload OpenDKIM and Postfix (only when asked)
 * A plan with a critical finding is blocked: apply refuses it and nothing
 * on disk changes.  An empty plan means the system already matches.
 */
#ifndef DK_PLAN_PLAN_H
#define DK_PLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model/model.h"
#include "util/err.h"
#include "util/finding.h"
#include "util/path.h"

#define DK_NAME_MAX 33 /* user and group names */

/* Where dkimctl keeps its own state under the root. */
#define DK_STATE_DIR     "/var/lib/dkimctl"
#define DK_JOURNAL_PATH  "/var/lib/dkimctl/journal"
#define DK_OWNERS_PATH   "/var/lib/dkimctl/owners"
#define DK_SPOOL_DIR     "/var/spool/postfix"
#define DK_CHROOT_SOCKET "/var/spool/postfix/opendkim/opendkim.sock"
#define DK_RUN_SOCKET    "/run/opendkim/opendkim.sock"
#define DK_DEFAULT_FILE  "/etc/default/opendkim"
#define DK_GROUP_FILE    "/etc/group"
#define DK_PASSWD_FILE   "/etc/passwd"

enum dk_op_kind {
    DK_OP_MKDIR,
    DK_OP_KEYGEN,
    DK_OP_WRITE,
    DK_OP_EDIT,
    DK_OP_OWNER,
    DK_OP_GROUP,
    DK_OP_RELOAD
};

typedef struct dk_op {
    enum dk_op_kind kind;
    char path[DK_PATH_MAX]; /* system path (not for group/reload) */
    char summary[512];      /* one line: what and why */
    /* write / edit */
    char *old_data; /* current content, NULL when the file does not exist */
    size_t old_len;
    char *new_data;
    size_t new_len;
    /* mkdir / write / edit / owner: wanted owner, group and mode */
    char owner[DK_NAME_MAX];
    char group[DK_NAME_MAX];
    mode_t mode;
    /* group: user joins group */
    char user[DK_NAME_MAX];
    /* keygen */
    const dk_domain *domain;
    const dk_selector *selector;
} dk_op;

typedef struct dk_plan_opts {
    const char *templates;  /* templates directory */
    const char *model_path; /* system path of the model */
    bool reload;            /* add the reload operation */
} dk_plan_opts;

typedef struct dk_plan {
    dk_op *ops;
    size_t n, cap;
    dk_findings findings;
    /* what the plan derived from the system */
    bool smtpd_chroot, cleanup_chroot;
    char socket[DK_PATH_MAX + 16];         /* opendkim.conf Socket */
    char smtpd_milter[DK_PATH_MAX + 16];   /* name in smtpd_milters */
    char cleanup_milter[DK_PATH_MAX + 16]; /* name in non_smtpd_milters */
} dk_plan;

void dk_plan_init(dk_plan *p);
void dk_plan_free(dk_plan *p);

/* Build the plan.  Problems with the model or the system become findings
 * (the model's own validation findings of warning level and above are
 * included); -1 only for failures to compute anything (allocation,
 * templates). */
int dk_plan_build(dk_plan *p, const dk_model *m, const dk_root *root, const dk_plan_opts *o,
                  dk_err *e);

/* Does the plan have a critical finding (apply must refuse)? */
bool dk_plan_blocked(const dk_plan *p);

const char *dk_op_kind_name(enum dk_op_kind k);

/* ---- accounts, read from ROOT/etc/passwd and ROOT/etc/group ---------------------- */

/* uid of user / gid of group; -1 when absent (or the file is unreadable). */
long dk_account_uid(const dk_root *r, const char *user);
long dk_account_gid(const dk_root *r, const char *group);
/* Name of uid/gid into out ("#N" when unknown). */
void dk_account_user_name(const dk_root *r, uid_t uid, char *out, size_t size);
void dk_account_group_name(const dk_root *r, gid_t gid, char *out, size_t size);
/* Is user a member of group (listed in the group line, or its primary group)? */
bool dk_account_in_group(const dk_root *r, const char *user, const char *group);
/* /etc/group text with user added to group's member list; every other byte
 * identical.  -1 with DK_ENOENT when the group is not there. */
int dk_group_add_member(const char *text, size_t len, const char *group, const char *user,
                        char **out, size_t *outlen, dk_err *e);
int dk_group_del_member(const char *text, size_t len, const char *group, const char *user,
                        char **out, size_t *outlen, dk_err *e);

/* Owners recorded under --root (ROOT/var/lib/dkimctl/owners): "PATH OWNER GROUP MODE".
 * Looks up path; false if not recorded. */
bool dk_owners_lookup(const dk_root *r, const char *path, char *owner, char *group, mode_t *mode);

#endif
