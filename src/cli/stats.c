/* stats.c - the --stats summary line of sign and verify. */
#include <time.h>

#include "cli/cli.h"

static double now_s(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dk_cli_stats_start(dk_cli_stats *st)
{
    st->n = st->ok = st->fail = 0;
    st->t0 = now_s();
}

int dk_cli_stats_print(const dk_cli_stats *st, const char *cmd, FILE *out)
{
    double t = now_s() - st->t0;

    if (t <= 0)
        t = 1e-9;
    if (fprintf(out, "%s: n=%lu ok=%lu fail=%lu loop_s=%.4f msgs_per_s=%.1f\n", cmd, st->n, st->ok,
                st->fail, t, (double)st->n / t) < 0 ||
        fflush(out) != 0)
        return -1;
    return 0;
}
