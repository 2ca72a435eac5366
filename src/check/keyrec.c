/* keyrec.c - a published DKIM key record as the check needs it: validated
 * by the DKIM verifier's own parser (src/dkim, the rules a verifier
 * applies), plus p= as text to compare with the private key file. */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "dkim/key.h"
#include "dkim/tags.h"
#include "util/mem.h"

void dk_keyrec_free(dk_keyrec *k)
{
    free(k->p);
    k->p = NULL;
}

int dk_keyrec_parse(const char *txt, size_t len, dk_keyrec *k, dk_err *e)
{
    dk_key_record kr;
    dk_tags tags;
    const dk_tag *p;
    char why[256];

    memset(k, 0, sizeof *k);
    memset(&kr, 0, sizeof kr);
    if (dk_key_record_parse(&kr, txt, len, why, sizeof why) < 0) {
        dk_key_record_free(&kr);
        return dk_err_set(e, DK_EINVAL, "%s", why);
    }
    k->alg = kr.type;
    k->testing = kr.testing;
    k->strict = kr.strict;
    k->bits = kr.type == DK_KEY_RSA && !kr.revoked ? kr.bits : 0;
    dk_key_record_free(&kr);
    /* the record parsed, so its tag list does too */
    if (dk_tags_parse(&tags, txt, len, why, sizeof why) < 0 ||
        (p = dk_tags_get(&tags, "p")) == NULL)
        return dk_err_set(e, DK_EINTERNAL, "key record: p= vanished on the second reading");
    k->p = dk_calloc(p->vlen + 1, 1, e);
    if (k->p == NULL)
        return -1;
    for (size_t i = 0, n = 0; i < p->vlen; i++) /* p= without folding white space */
        if (p->val[i] != ' ' && p->val[i] != '\t' && p->val[i] != '\r' && p->val[i] != '\n')
            k->p[n++] = p->val[i];
    return 0;
}
