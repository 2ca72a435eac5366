/* fuzz_dmarc.c - libFuzzer harness: DMARC record parser and findings, and
 * the From header parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dk_dmarc_record r;
    dk_findings f;
    dk_err e;
    char *s;
    char dom[256];

    if (size > 8192)
        return 0;
    dk_findings_init(&f);
    if (dk_dmarc_parse((const char *)data, size, &r, "_dmarc.example.com", &f, &e) == 0) {
        dk_dmarc_lint(&r, "example.com", NULL, &f);
        dk_dmarc_record_free(&r);
    }
    dk_findings_free(&f);
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    {
        const char *vals[1] = {s};
        dk_dmarc_from_domain(vals, 1, dom, sizeof dom, &e);
    }
    dk_org_domain(NULL, s, dom, sizeof dom, &e);
    free(s);
    return 0;
}
