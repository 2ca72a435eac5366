/* e2e_verify.c - the delivered copy's DKIM signatures, and the published key
 * compared with the private key.  (Kept apart from the model: dkim/key.h and
 * model/model.h both name DK_KEY_RSA.) */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "check/e2e.h"
#include "dkim/dkim.h"
#include "dkim/key.h"

/* Is d the from domain or one of its parents? */
static bool d_covers(const char *d, const char *from_domain)
{
    size_t dl = strlen(d), fl = strlen(from_domain);

    if (dl == 0 || dl > fl)
        return false;
    if (strcasecmp(d, from_domain) == 0)
        return true;
    return dl < fl && from_domain[fl - dl - 1] == '.' && strcasecmp(from_domain + fl - dl, d) == 0;
}

int dk_e2e_verify(dk_resolver *res, const char *msg, size_t len, const char *from_domain,
                  dk_e2e_result *r, const char **dkim_domains, size_t *ndkim, dk_err *e)
{
    dk_verifier *v = dk_verifier_new(res, e);
    dk_verify_result vr;
    size_t nd = 0;

    if (v == NULL)
        return -1;
    memset(&vr, 0, sizeof vr);
    if (dk_verify_mem(v, msg, len, &vr, e) < 0) {
        dk_verifier_free(v);
        return -1;
    }
    dk_verifier_free(v);
    r->nsig = 0;
    r->dkim_pass = false;
    for (size_t i = 0; i < vr.nsig && r->nsig < sizeof r->sig / sizeof r->sig[0]; i++) {
        dk_e2e_sig *s = &r->sig[r->nsig++];
        const dk_sig_result *g = &vr.sig[i];

        (void)snprintf(s->result, sizeof s->result, "%s", dk_result_name(g->result));
        (void)snprintf(s->d, sizeof s->d, "%s", g->d);
        (void)snprintf(s->s, sizeof s->s, "%s", g->s);
        (void)snprintf(s->a, sizeof s->a, "%s", g->a);
        (void)snprintf(s->reason, sizeof s->reason, "%s", g->reason);
        if (g->result == DK_RES_PASS) {
            if (d_covers(g->d, from_domain))
                r->dkim_pass = true;
            if (dkim_domains != NULL)
                dkim_domains[nd++] = s->d;
        }
    }
    if (ndkim != NULL)
        *ndkim = nd;
    return 0;
}

int dk_e2e_key_matches(dk_resolver *res, const char *domain, const char *selector,
                       const char *keyfile, char *why, size_t wsize, dk_err *e)
{
    char name[512];
    dk_dns_txt_answer a = {0};
    dk_key_record k;
    EVP_PKEY *priv;
    char kwhy[256];
    int rc = -1;

    if ((size_t)snprintf(name, sizeof name, "%s._domainkey.%s", selector, domain) >= sizeof name)
        return dk_err_set(e, DK_EINVAL, "selector name too long");
    priv = dk_private_key_load(keyfile, e);
    if (priv == NULL)
        return -1;
    if (dk_dns_txt_lookup(res, name, &a, e) < 0)
        goto out;
    if (a.rcode == DK_DNS_SERVFAIL || a.rcode == DK_DNS_TIMEOUT) {
        dk_err_set(e, DK_ETEMP, "%s TXT: %s", name, dk_dns_rcode_name(a.rcode));
        goto out;
    }
    if (a.rcode != DK_DNS_OK || a.nrr == 0) {
        (void)snprintf(why, wsize, "no key record at %s (%s)", name, dk_dns_rcode_name(a.rcode));
        rc = 0;
        goto out;
    }
    if (a.nrr > 1) {
        (void)snprintf(why, wsize, "%zu TXT records at %s (a key needs exactly one)", a.nrr, name);
        rc = 0;
        goto out;
    }
    memset(&k, 0, sizeof k);
    if (dk_key_record_parse(&k, a.rr[0].data, a.rr[0].len, kwhy, sizeof kwhy) < 0) {
        (void)snprintf(why, wsize, "the record at %s is not a valid key record: %s", name, kwhy);
        rc = 0;
        goto out;
    }
    if (k.revoked || k.pkey == NULL) {
        (void)snprintf(why, wsize, "the key at %s is revoked (empty p=)", name);
        rc = 0;
    } else if (EVP_PKEY_eq(k.pkey, priv) == 1) {
        (void)snprintf(why, wsize, "the key at %s is the public half of %s", name, keyfile);
        rc = 1;
    } else {
        (void)snprintf(why, wsize, "the key published at %s (%s) is not the public half of %s",
                       name, EVP_PKEY_get_base_id(k.pkey) == EVP_PKEY_ED25519 ? "ed25519" : "rsa",
                       keyfile);
        rc = 0;
    }
    dk_key_record_free(&k);
out:
    dk_dns_txt_answer_free(&a);
    EVP_PKEY_free(priv);
    return rc;
}

int dk_e2e_key_type(const char *keyfile, char *type, size_t size, dk_err *e)
{
    EVP_PKEY *k = dk_private_key_load(keyfile, e);

    if (k == NULL)
        return -1;
    (void)snprintf(type, size, "%s",
                   EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? "ed25519" : "rsa");
    EVP_PKEY_free(k);
    return 0;
}
