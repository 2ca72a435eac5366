/* save.c - write the model file through the safe writer. */
#include "apply/save.h"

int dk_apply_save_model(const dk_root *r, const char *path, const dk_model *m, dk_write_result *res,
                        dk_err *e)
{
    dk_write_opts o = dk_write_defaults();
    dk_buf text;
    int rc;

    dk_buf_init(&text, DK_MODEL_MAXSIZE);
    if (dk_model_save(m, &text, e) < 0) {
        dk_buf_free(&text);
        return -1;
    }
    o.mode = 0644;
    o.create_dirs = true;
    o.dir_mode = 0755;
    rc = dk_write_file(r, path, text.data, text.len, &o, res, e);
    dk_buf_free(&text);
    return rc;
}
