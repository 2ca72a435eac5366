/* msg.c - the header block in memory, the body as a stream. */
#include "dkim/msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim/tags.h"
#include "internal.h"
#include "util/mem.h"

int dk_msg_init(dk_msg *m, dk_err *e)
{
    memset(m, 0, sizeof *m);
    dk_buf_init(&m->hdr, DK_MSG_HEADER_MAX + 4);
    m->fd = -1;
    m->rcap = DK_MSG_CHUNK;
    m->rbuf = malloc(m->rcap);
    if (m->rbuf == NULL)
        return dk_err_set(e, DK_ENOMEM, "out of memory");
    return 0;
}

void dk_msg_free(dk_msg *m)
{
    dk_buf_free(&m->hdr);
    free(m->f);
    free(m->rbuf);
    memset(m, 0, sizeof *m);
    m->fd = -1;
}

/* A field at base + off (base is the header block, or the read buffer it
 * will be copied from byte for byte). */
static int add_field(dk_msg *m, const char *base, size_t off, size_t len, dk_err *e)
{
    const char *p = base + off;
    const char *colon = memchr(p, ':', len);
    dk_field *f;
    size_t nlen;

    if (colon == NULL) {
        m->nbad++;
        return 0;
    }
    nlen = (size_t)(colon - p);
    while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
        nlen--;
    if (nlen == 0) {
        m->nbad++;
        return 0;
    }
    if (m->nf == m->capf) {
        size_t nc = m->capf ? m->capf * 2 : 64;
        dk_field *nv;

        if (nc > DK_MSG_FIELDS_MAX)
            nc = DK_MSG_FIELDS_MAX;
        if (m->nf >= nc)
            return dk_err_set(e, DK_EINVAL, "more than %d header fields", DK_MSG_FIELDS_MAX);
        nv = dk_reallocarray(m->f, nc, sizeof *nv, e);
        if (nv == NULL)
            return -1;
        m->f = nv;
        m->capf = nc;
    }
    f = &m->f[m->nf++];
    f->off = off;
    f->len = len;
    f->nlen = nlen;
    f->voff = (size_t)(colon + 1 - base);
    f->vlen = len - 2 - (f->voff - off);
    f->used = false;
    return 0;
}

/* Split m->hdr (CRLF lines, each ending in CRLF) into fields. */
static int split_fields(dk_msg *m, dk_err *e)
{
    const char *h = m->hdr.data;
    size_t n = m->hdr.len, i = 0, start = 0;

    m->nf = 0;
    m->nbad = 0;
    while (i < n) {
        const char *lf = memchr(h + i, '\n', n - i);
        size_t next = lf != NULL ? (size_t)(lf - h) + 1 : n;

        if (next < n && (h[next] == ' ' || h[next] == '\t')) {
            i = next; /* folded: the field goes on */
            continue;
        }
        if (add_field(m, m->hdr.data, start, next - start, e) < 0)
            return -1;
        start = i = next;
    }
    return 0;
}

/* Append a header line (without its LF) normalised to CRLF. */
static int put_line(dk_msg *m, const char *p, size_t n, dk_err *e)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (dk_buf_append(&m->hdr, p, n, e) < 0 || dk_buf_append(&m->hdr, "\r\n", 2, e) < 0)
        return dk_err_set(e, DK_EINVAL, "header block larger than %d bytes", DK_MSG_HEADER_MAX);
    return 0;
}

static int fill(dk_msg *m, dk_err *e)
{
    ssize_t r;

    m->rpos = 0;
    m->rlen = 0;
    if (m->eof)
        return 0;
    do {
        r = read(m->fd, m->rbuf, m->rcap);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return dk_err_errno(e, errno, "read");
    if (r == 0)
        m->eof = true;
    m->rlen = (size_t)r;
    return 0;
}

int dk_msg_read_header(dk_msg *m, int fd, dk_err *e)
{
    size_t linestart; /* offset in hdr of a partial line carried between reads */
    bool partial = false, first = true;

    dk_buf_reset(&m->hdr);
    m->fd = fd;
    m->eof = false;
    m->rpos = m->rlen = 0;
    m->lf_only = false;
    linestart = 0;
    /* fast path: the first read holds the whole header block, CRLF only;
     * fields are found in the same pass */
    if (fill(m, e) < 0)
        return -1;
    {
        const unsigned char *p = m->rbuf;
        size_t n = m->rlen, i = 0, start = 0;

        m->nf = 0;
        m->nbad = 0;
        if (n > 0 && (p[0] == '\r' || p[0] == '\n'))
            n = 0; /* an empty first line: the slow path knows */
        while (i < n) {
            const unsigned char *lf = memchr(p + i, '\n', n - i);
            size_t j;

            if (lf == NULL)
                break;
            j = (size_t)(lf - p);
            if (j + 1 < n && (p[j + 1] == ' ' || p[j + 1] == '\t')) {
                i = j + 1; /* folded */
                continue;
            }
            if (add_field(m, (const char *)p, start, j + 1 - start, e) < 0)
                return -1;
            start = j + 1;
            if (j + 2 < n && p[j + 1] == '\r' && p[j + 2] == '\n') {
                if (dk_has_bare_lf(p, j + 1, false))
                    break;
                if (dk_buf_append(&m->hdr, p, j + 1, e) < 0)
                    return -1;
                m->rpos = j + 3;
                return 0;
            }
            if (j + 1 < n && p[j + 1] == '\n')
                break;
            i = j + 1;
        }
        m->nf = 0;
        m->nbad = 0;
    }
    for (;;) {
        const unsigned char *p, *lf;
        size_t avail;

        if (m->rpos == m->rlen) {
            if (fill(m, e) < 0)
                return -1;
            if (m->rlen == 0) {
                /* end of input inside the header block */
                if (partial && m->hdr.len > linestart) {
                    if (m->hdr.data[m->hdr.len - 1] == '\r')
                        m->hdr.len--; /* as put_line() does */
                    if (dk_buf_append(&m->hdr, "\r\n", 2, e) < 0)
                        return -1;
                }
                break;
            }
        }
        p = m->rbuf + m->rpos;
        avail = m->rlen - m->rpos;
        lf = memchr(p, '\n', avail);
        if (lf == NULL) {
            if (!partial)
                linestart = m->hdr.len;
            partial = true;
            if (dk_buf_append(&m->hdr, p, avail, e) < 0)
                return dk_err_set(e, DK_EINVAL, "header block larger than %d bytes",
                                  DK_MSG_HEADER_MAX);
            m->rpos = m->rlen;
            continue;
        }
        {
            size_t n = (size_t)(lf - p);

            if (!partial)
                linestart = m->hdr.len;
            if (first) {
                m->lf_only =
                    !(n > 0 && p[n - 1] == '\r') &&
                    !(n == 0 && partial && m->hdr.len > 0 && m->hdr.data[m->hdr.len - 1] == '\r');
                first = false;
            }
            if (partial) {
                /* a CR may be the last byte of the carried part */
                if (n == 0 && m->hdr.len > linestart && m->hdr.data[m->hdr.len - 1] == '\r')
                    m->hdr.len--;
                if (put_line(m, (const char *)p, n, e) < 0)
                    return -1;
            } else if (put_line(m, (const char *)p, n, e) < 0) {
                return -1;
            }
            partial = false;
            m->rpos += n + 1;
            if (m->hdr.len - linestart == 2) {
                m->hdr.len -= 2; /* the empty line ends the header block */
                m->hdr.data[m->hdr.len] = '\0';
                break;
            }
        }
    }
    return split_fields(m, e);
}

int dk_msg_parse_mem(dk_msg *m, const char *p, size_t n, size_t *body_off, dk_err *e)
{
    size_t i = 0;

    dk_buf_reset(&m->hdr);
    m->fd = -1;
    m->eof = true;
    m->rpos = m->rlen = 0;
    m->lf_only = false;
    *body_off = n;
    while (i < n) {
        const char *lf = memchr(p + i, '\n', n - i);
        size_t len = lf != NULL ? (size_t)(lf - (p + i)) : n - i;

        if (i == 0)
            m->lf_only = lf != NULL && !(len > 0 && p[len - 1] == '\r');
        if (len == 0 || (len == 1 && p[i] == '\r')) {
            if (lf != NULL) {
                *body_off = i + len + 1;
                break;
            }
        }
        if (put_line(m, p + i, len, e) < 0)
            return -1;
        if (lf == NULL) {
            *body_off = n;
            break;
        }
        i += len + 1;
    }
    return split_fields(m, e);
}

int dk_msg_body_next(dk_msg *m, const unsigned char **p, size_t *n, dk_err *e)
{
    if (m->rpos == m->rlen) {
        if (m->fd < 0 || m->eof) {
            *p = m->rbuf;
            *n = 0;
            return 0;
        }
        if (fill(m, e) < 0)
            return -1;
    }
    *p = m->rbuf + m->rpos;
    *n = m->rlen - m->rpos;
    m->rpos = m->rlen;
    return 0;
}

const char *dk_field_ptr(const dk_msg *m, const dk_field *f)
{
    return m->hdr.data + f->off;
}

bool dk_field_is(const dk_msg *m, const dk_field *f, const char *name, size_t nlen)
{
    return f->nlen == nlen && dk_eqi(m->hdr.data + f->off, f->nlen, name, nlen);
}

size_t dk_msg_count(const dk_msg *m, const char *name)
{
    size_t n = 0, l = strlen(name);

    for (size_t k = 0; k < m->nf; k++)
        n += dk_field_is(m, &m->f[k], name, l);
    return n;
}
