/* log.c - logging through a sink, progress with cancellation. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static dk_log_sink log_sink;
static void *log_ud;
static enum dk_loglevel log_min = DK_LOG_INFO;

void dk_log_set_sink(dk_log_sink sink, void *ud, enum dk_loglevel min)
{
    log_sink = sink;
    log_ud = ud;
    log_min = min;
}

void dk_log(enum dk_loglevel lvl, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (log_sink == NULL || lvl < log_min)
        return;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    log_sink(log_ud, lvl, msg);
}

bool dk_progress_step(const dk_progress *p, const char *stage, unsigned long done,
                      unsigned long total)
{
    if (p == NULL || p->fn == NULL)
        return false;
    return p->fn(p->ud, stage, done, total);
}
