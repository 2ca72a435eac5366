/* fuzz_model.c - libFuzzer harness: the model and answers parsers, the canonical
 * round trip (save(parse(save(m))) == save(m)) and the name checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/answers.h"
#include "model/model.h"
#include "model/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dk_model m, m2;
    dk_answers a;
    dk_err e;
    char out[DK_DOMAIN_MAX], *s;

    if (dk_model_parse(&m, "fuzz", (const char *)data, size, &e) == 0) {
        dk_buf b1, b2;

        dk_buf_init(&b1, 0);
        dk_buf_init(&b2, 0);
        if (dk_model_save(&m, &b1, &e) != 0)
            abort();
        if (dk_model_parse(&m2, "fuzz", b1.data, b1.len, &e) != 0)
            abort(); /* what we write must load */
        if (dk_model_save(&m2, &b2, &e) != 0 || b1.len != b2.len ||
            memcmp(b1.data, b2.data, b1.len) != 0)
            abort(); /* and be canonical */
        dk_model_free(&m2);
        dk_buf_free(&b1);
        dk_buf_free(&b2);
    }
    dk_model_free(&m);
    if (dk_answers_parse(&a, "fuzz", (const char *)data, size, 0, &e) == 0) {
        dk_model_init(&m);
        (void)dk_answers_apply(&a, &m, &e);
        dk_model_free(&m);
    }
    dk_answers_free(&a);
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (dk_name_domain(s, "fuzz", out, sizeof out, &e) == 0 && !dk_name_is_ldh_domain(out))
        abort();
    (void)dk_name_selector(s, "fuzz", out, sizeof out, &e);
    free(s);
    return 0;
}
