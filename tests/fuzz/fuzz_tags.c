/* fuzz_tags.c - the tag=value parser, base64 and the key record parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/key.h"
#include "dkim/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dk_tags t;
    dk_key_record k;
    char why[200];
    unsigned char out[1024];
    char *copy = malloc(size + 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size); /* exact size: ASan sees any over-read */
    if (dk_tags_parse(&t, copy, size, why, sizeof why) == 0) {
        for (size_t i = 0; i < t.n; i++) {
            /* views stay inside the input */
            if (t.v[i].val < copy || t.v[i].val + t.v[i].vlen > copy + size ||
                t.v[i].raw_end > size || t.v[i].raw_start > t.v[i].raw_end)
                abort();
            (void)dk_b64_decode(t.v[i].val, t.v[i].vlen, out, sizeof out);
        }
    }
    if (dk_key_record_parse(&k, copy, size, why, sizeof why) == 0)
        dk_key_record_free(&k);
    (void)dk_domain_ok(copy, size, why, sizeof why);
    free(copy);
    return 0;
}
