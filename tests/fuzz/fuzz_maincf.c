/* fuzz_maincf.c - libFuzzer harness: the main.cf editor, milter lists, the
 * /etc/default/opendkim SOCKET edit, /etc/group edits and the template engine.
 * Properties: after an edit every key set has exactly one effective
 * definition with the requested value; editing the result again changes
 * nothing; the SOCKET edit and the group edit are idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/maincf.h"
#include "plan/plan.h"
#include "render/opendkim.h"
#include "render/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {"milter_protocol", "smtpd_milters", "non_smtpd_milters"};

static int edit(const char *text, size_t len, dk_buf *out)
{
    dk_maincf cf;
    dk_err e;
    char *milters = NULL;
    bool added;

    if (dk_maincf_parse(&cf, "fuzz", text, len, NULL, &e) < 0)
        return -1;
    if (dk_milters_add(dk_maincf_get(&cf, "smtpd_milters"), "local:/opendkim/opendkim.sock",
                       &milters, &added, &e) < 0) {
        if (e.code != DK_EINVAL || strstr(e.msg, "unbalanced") == NULL)
            abort();
        dk_maincf_free(&cf);
        return -1;
    }
    if (dk_maincf_set(&cf, keys[1], milters, &e) < 0) {
        /* refused only for a control character in the existing list */
        bool ctl = false;

        for (const char *p = milters; *p != '\0'; p++)
            ctl |= ((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f;
        if (!ctl || e.code != DK_EINVAL)
            abort();
        free(milters);
        dk_maincf_free(&cf);
        return -1;
    }
    if (dk_maincf_set(&cf, keys[0], "6", &e) < 0 ||
        dk_maincf_set(&cf, keys[2], "local:/opendkim/opendkim.sock", &e) < 0 ||
        dk_maincf_render(&cf, out, &e) < 0)
        abort();
    if (!dk_milters_has(milters, "local:/opendkim/opendkim.sock"))
        abort();
    free(milters);
    dk_maincf_free(&cf);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    dk_buf o1, o2;
    dk_err e;

    dk_buf_init(&o1, 0);
    dk_buf_init(&o2, 0);
    if (edit(text, size, &o1) == 0) {
        dk_maincf cf;

        if (dk_maincf_parse(&cf, "fuzz", o1.data != NULL ? o1.data : "", o1.len, NULL, &e) < 0)
            abort();
        for (size_t i = 0; i < 3; i++)
            if (dk_maincf_count(&cf, keys[i]) != 1)
                abort(); /* exactly one effective definition */
        if (strcmp(dk_maincf_get(&cf, "milter_protocol"), "6") != 0)
            abort();
        dk_maincf_free(&cf);
        if (edit(o1.data != NULL ? o1.data : "", o1.len, &o2) < 0 || o1.len != o2.len ||
            (o1.len > 0 && memcmp(o1.data, o2.data, o1.len) != 0))
            abort(); /* a second run is byte-identical */
    }
    dk_buf_reset(&o1);
    dk_buf_reset(&o2);

    if (memchr(text, '\0', size) == NULL) {
        bool changed;
        char v[512];

        if (dk_render_default_socket(text, size, "local:/run/opendkim/opendkim.sock", &o1, &changed,
                                     &e) < 0)
            abort();
        if (dk_default_socket_value(o1.data != NULL ? o1.data : "", o1.len, v, sizeof v) < 0 ||
            strcmp(v, "local:/run/opendkim/opendkim.sock") != 0)
            abort();
        if (dk_render_default_socket(o1.data != NULL ? o1.data : "", o1.len,
                                     "local:/run/opendkim/opendkim.sock", &o2, &changed, &e) < 0 ||
            changed)
            abort();
        dk_buf_reset(&o1);
        {
            char *g = NULL, *g2 = NULL;
            size_t gl, gl2;

            if (dk_group_add_member(text, size, "opendkim", "postfix", &g, &gl, &e) == 0) {
                if (dk_group_add_member(g, gl, "opendkim", "postfix", &g2, &gl2, &e) < 0 ||
                    gl != gl2 || memcmp(g, g2, gl) != 0)
                    abort();
            }
            free(g);
            free(g2);
        }
        {
            dk_tctx *c = dk_tctx_new(&e);
            dk_tctx *it;

            if (c == NULL || dk_tctx_set(c, "a", "A", &e) < 0 ||
                (it = dk_tctx_add(c, "l", &e)) == NULL || dk_tctx_set(it, "x", "1", &e) < 0 ||
                dk_tctx_flag(c, "f", false, &e) < 0)
                abort();
            (void)dk_template_render("fuzz", text, size, c, &o1, &e);
            dk_tctx_free(c);
        }
    }
    dk_buf_free(&o1);
    dk_buf_free(&o2);
    return 0;
}
