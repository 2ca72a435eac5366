/* keys.c - key-file safety as OpenDKIM judges it, as findings (the rules
 * are plan/keysafe.h's, shared with plan and apply). */
#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "plan/keysafe.h"

/* The path a plan/keysafe sentence starts with, and a fix for it. */
static void fix_for(const char *why, const char *user, char *fix, size_t size)
{
    char path[DK_PATH_MAX];
    size_t n = strcspn(why, " :");

    (void)snprintf(path, sizeof path, "%.*s", (int)n, why);
    if (strstr(why, "symbolic link") != NULL)
        (void)snprintf(fix, size, "replace the symbolic link %s with the real directory or file",
                       path);
    else if (strstr(why, "not owned by") != NULL || strstr(why, "by its owner") != NULL)
        (void)snprintf(fix, size, "chown root %s (or %s for the key file)", path, user);
    else if (strstr(why, "writable") != NULL)
        (void)snprintf(fix, size, "chmod go-w %s", path);
    else if (strstr(why, "read or written") != NULL)
        (void)snprintf(fix, size, "chmod 0600 %s", path);
    else if (strstr(why, "cannot") != NULL)
        (void)snprintf(fix, size,
                       "let %s reach its key: chown %s the key (mode 0600), chmod o+x or group "
                       "%s on the directories above it",
                       user, user, user);
    else
        (void)snprintf(fix, size, "make %s safe for OpenDKIM (RequireSafeKeys)", path);
}

int dk_check_keys(const dk_root *r, const dk_model *m, const char *domain, dk_findings *out,
                  dk_err *e)
{
    const char *user = m->opendkim.user[0] != '\0' ? m->opendkim.user : "opendkim";

    (void)e;
    for (size_t i = 0; i < m->ndomains; i++) {
        const dk_domain *d = &m->domains[i];

        if (domain != NULL && strcmp(d->name, domain) != 0)
            continue;
        for (size_t k = 0; k < d->nsel; k++) {
            const char *key = d->sel[k].key_path;
            char why[DK_ERR_MSG + DK_PATH_MAX], fix[DK_PATH_MAX + 200];
            dk_err ke;
            int rc;

            if (d->sel[k].state == DK_SEL_REVOKED)
                continue;
            dk_err_clear(&ke);
            rc = dk_keysafe_check(r, key, user, why, sizeof why, &ke);
            if (rc == 1) {
                rc = dk_keysafe_readable(r, key, user, why, sizeof why, &ke);
                if (rc == 0) {
                    fix_for(why, user, fix, sizeof fix);
                    if (dk_findings_add(out, DK_SEV_CRIT, key, fix,
                                        "OpenDKIM (user %s) cannot load the key: %s", user,
                                        why) < 0)
                        return -1;
                    continue;
                }
            }
            if (rc < 0) {
                char msg[DK_ERR_MSG + 300];

                (void)dk_err_format(&ke, msg, sizeof msg);
                if (dk_findings_add(out, DK_SEV_CRIT, key,
                                    ke.code == DK_ENOENT && strstr(msg, "user") == NULL
                                        ? "make the key: dkimctl keygen"
                                        : "install OpenDKIM or set opendkim.user in the model",
                                    "key safety cannot be judged: %s", msg) < 0)
                    return -1;
            } else if (rc == 0) {
                fix_for(why, user, fix, sizeof fix);
                if (dk_findings_add(out, DK_SEV_CRIT, key, fix,
                                    "unsafe key (OpenDKIM RequireSafeKeys refuses it): %s",
                                    why) < 0)
                    return -1;
            } else if (dk_findings_add(out, DK_SEV_OK, key, NULL,
                                       "the key, and every directory above it, is safe as "
                                       "OpenDKIM (RequireSafeKeys) judges it and readable by %s",
                                       user) < 0) {
                return -1;
            }
        }
    }
    return 0;
}
