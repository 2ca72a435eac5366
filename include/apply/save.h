/*
 * save.h - write the model file through the safe writer.
 */
#ifndef DK_APPLY_SAVE_H
#define DK_APPLY_SAVE_H

#include "apply/write.h"
#include "model/model.h"

/* Serialise m and replace ROOT/path atomically (0644, backup kept,
 * directories created 0755).  Nothing is written if serialising fails. */
int dk_apply_save_model(const dk_root *r, const char *path, const dk_model *m, dk_write_result *res,
                        dk_err *e);

#endif
