/* diff.c - unified line diff (LCS over the part between the common head and tail). */
#include "plan/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define CONTEXT   3
#define LCS_CELLS ((size_t)16 * 1024 * 1024) /* beyond this: replace the middle wholesale */

typedef struct line {
    const char *s;
    size_t n; /* including the newline if any */
} line;

static int split(const char *t, size_t len, line **out, size_t *n, dk_err *e)
{
    size_t cap = 0, off = 0;

    *out = NULL;
    *n = 0;
    while (off < len) {
        const char *nl = memchr(t + off, '\n', len - off);
        size_t l = nl != NULL ? (size_t)(nl - (t + off)) + 1 : len - off;

        if (*n == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            line *v = dk_reallocarray(*out, ncap, sizeof *v, e);

            if (v == NULL)
                return -1;
            *out = v;
            cap = ncap;
        }
        (*out)[*n].s = t + off;
        (*out)[*n].n = l;
        (*n)++;
        off += l;
    }
    return 0;
}

static int eq(const line *a, const line *b)
{
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* An edit script: for each output step, 0 = both, '-' = a only, '+' = b only. */
typedef struct step {
    char op;
    size_t ai, bi; /* positions in a and b */
} step;

static int script(const line *a, size_t na, const line *b, size_t nb, step **out, size_t *ns,
                  dk_err *e)
{
    size_t pre = 0, suf = 0, ma, mb, i, j, k = 0;
    uint32_t *t = NULL;
    step *v;

    while (pre < na && pre < nb && eq(&a[pre], &b[pre]))
        pre++;
    while (suf < na - pre && suf < nb - pre && eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
        suf++;
    ma = na - pre - suf;
    mb = nb - pre - suf;
    v = dk_calloc(na + nb + 1, sizeof *v, e);
    if (v == NULL)
        return -1;
    for (i = 0; i < pre; i++)
        v[k++] = (step){0, i, i};
    if (ma > 0 && mb > 0 && (ma + 1) <= LCS_CELLS / (mb + 1)) {
        t = dk_calloc((ma + 1) * (mb + 1), sizeof *t, e);
        if (t == NULL) {
            free(v);
            return -1;
        }
        /* t[i][j] = LCS length of a[pre+i..] and b[pre+j..] */
        for (i = ma; i-- > 0;)
            for (j = mb; j-- > 0;)
                t[i * (mb + 1) + j] = eq(&a[pre + i], &b[pre + j])
                                          ? t[(i + 1) * (mb + 1) + j + 1] + 1
                                          : (t[(i + 1) * (mb + 1) + j] >= t[i * (mb + 1) + j + 1]
                                                 ? t[(i + 1) * (mb + 1) + j]
                                                 : t[i * (mb + 1) + j + 1]);
        i = j = 0;
        while (i < ma && j < mb) {
            if (eq(&a[pre + i], &b[pre + j])) {
                v[k++] = (step){0, pre + i, pre + j};
                i++;
                j++;
            } else if (t[(i + 1) * (mb + 1) + j] >= t[i * (mb + 1) + j + 1]) {
                v[k++] = (step){'-', pre + i, pre + j};
                i++;
            } else {
                v[k++] = (step){'+', pre + i, pre + j};
                j++;
            }
        }
        free(t);
    } else {
        i = j = 0;
    }
    for (; i < ma; i++)
        v[k++] = (step){'-', pre + i, pre + mb};
    for (; j < mb; j++)
        v[k++] = (step){'+', pre + ma, pre + j};
    for (i = 0; i < suf; i++)
        v[k++] = (step){0, na - suf + i, nb - suf + i};
    *out = v;
    *ns = k;
    return 0;
}

static int put_line(dk_buf *out, char tag, const line *l, dk_err *e)
{
    if (dk_buf_putc(out, tag, e) < 0 || dk_buf_append(out, l->s, l->n, e) < 0)
        return -1;
    if (l->n == 0 || l->s[l->n - 1] != '\n')
        return dk_buf_puts(out, "\n\\ No newline at end of file\n", e);
    return 0;
}

static void range(dk_buf *out, char c, size_t start, size_t count)
{
    /* diff -u: an empty range names the line before it */
    if (count == 1)
        (void)dk_buf_printf(out, NULL, "%c%zu", c, start + 1);
    else
        (void)dk_buf_printf(out, NULL, "%c%zu,%zu", c, count == 0 ? start : start + 1, count);
}

int dk_diff_unified(const char *a_name, const char *a, size_t alen, const char *b_name,
                    const char *b, size_t blen, dk_buf *out, dk_err *e)
{
    line *la = NULL, *lb = NULL;
    step *v = NULL;
    size_t na, nb, ns, k = 0;
    int rc = -1;

    if (split(a != NULL ? a : "", a != NULL ? alen : 0, &la, &na, e) < 0 ||
        split(b, blen, &lb, &nb, e) < 0 || script(la, na, lb, nb, &v, &ns, e) < 0)
        goto out;
    rc = 0;
    for (k = 0; k < ns && v[k].op == 0; k++)
        ;
    if (k == ns)
        goto out; /* equal */
    if (dk_buf_printf(out, e, "--- %s\n+++ %s\n", a != NULL ? a_name : "/dev/null", b_name) < 0)
        goto fail;
    k = 0;
    while (k < ns) {
        size_t first, last, h, as, bs, ac = 0, bc = 0;

        while (k < ns && v[k].op == 0)
            k++;
        if (k == ns)
            break;
        first = k >= CONTEXT ? k - CONTEXT : 0;
        /* extend the hunk while changes are within 2*CONTEXT lines */
        last = k;
        for (h = k; h < ns; h++) {
            if (v[h].op != 0)
                last = h;
            else if (h - last > 2 * CONTEXT)
                break;
        }
        h = last + CONTEXT + 1 < ns ? last + CONTEXT + 1 : ns;
        as = v[first].ai;
        bs = v[first].bi;
        for (size_t q = first; q < h; q++) {
            ac += v[q].op != '+';
            bc += v[q].op != '-';
        }
        if (dk_buf_puts(out, "@@ ", e) < 0)
            goto fail;
        range(out, '-', as, ac);
        (void)dk_buf_putc(out, ' ', e);
        range(out, '+', bs, bc);
        if (dk_buf_puts(out, " @@\n", e) < 0)
            goto fail;
        for (size_t q = first; q < h; q++) {
            const line *l = v[q].op == '+' ? &lb[v[q].bi] : &la[v[q].ai];
            if (put_line(out, v[q].op == 0 ? ' ' : v[q].op, l, e) < 0)
                goto fail;
        }
        k = h;
    }
    goto out;
fail:
    rc = -1;
out:
    free(la);
    free(lb);
    free(v);
    return rc;
}
