/*
 * log.h - logging through a sink the front end installs, and progress
 * reporting with cancellation for long work.
 *
 * The core calls dk_log(); nothing is written anywhere until src/cli or
 * src/tui installs a sink.  A sink must never receive key material: callers
 * log names and paths, never contents.
 */
#ifndef DK_UTIL_LOG_H
#define DK_UTIL_LOG_H

#include <stdbool.h>

enum dk_loglevel { DK_LOG_DEBUG, DK_LOG_INFO, DK_LOG_WARN, DK_LOG_ERROR };

typedef void (*dk_log_sink)(void *ud, enum dk_loglevel lvl, const char *msg);

/* Install a sink (NULL removes it) and the minimum level passed to it. */
void dk_log_set_sink(dk_log_sink sink, void *ud, enum dk_loglevel min);
void dk_log(enum dk_loglevel lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Progress: long operations call dk_progress_step() between units of work.
 * It forwards to the callback and returns true when the caller asked to
 * cancel; the operation then stops cleanly with DK_ECANCEL.
 */
typedef struct dk_progress {
    /* stage: short label; done/total: units (total 0 = unknown).
     * Return true to request cancellation. */
    bool (*fn)(void *ud, const char *stage, unsigned long done, unsigned long total);
    void *ud;
} dk_progress;

bool dk_progress_step(const dk_progress *p, const char *stage, unsigned long done,
                      unsigned long total);

#endif
