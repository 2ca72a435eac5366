/*
 * msg.h - reading a message: the header block into memory (capped), the
 * body streamed in chunks to whoever hashes it.
 *
 * The header block is kept with CRLF line ends (a bare LF becomes CRLF), so
 * simple canonicalization sees the wire form.  Fields are views into it.
 */
#ifndef DK_DKIM_MSG_H
#define DK_DKIM_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define DK_MSG_HEADER_MAX (1024 * 1024) /* bytes of header block */
#define DK_MSG_FIELDS_MAX 4096
#define DK_MSG_CHUNK      (64 * 1024)

typedef struct dk_field {
    size_t off;  /* offset of the field in the header block */
    size_t len;  /* with its final CRLF */
    size_t nlen; /* name length, WSP before the colon excluded */
    size_t voff; /* offset of the value (just after the colon) */
    size_t vlen; /* value up to, not including, the final CRLF */
    bool used;   /* taken by the current signature's h= walk */
} dk_field;

typedef struct dk_msg {
    dk_buf hdr;  /* the header block, CRLF line ends */
    dk_field *f; /* fields in message order */
    size_t nf, capf;
    size_t nbad;  /* header lines without a colon (ignored) */
    bool lf_only; /* the first line ended in a bare LF */
    /* reader */
    int fd;
    unsigned char *rbuf;
    size_t rcap, rpos, rlen;
    bool eof;
} dk_msg;

int dk_msg_init(dk_msg *m, dk_err *e);
void dk_msg_free(dk_msg *m);

/* Start on fd: read and split the header block.  Body bytes already read
 * stay in the reader for dk_msg_body_next(). */
int dk_msg_read_header(dk_msg *m, int fd, dk_err *e);

/* Same from memory (tests, fuzzing): the whole message in one buffer. */
int dk_msg_parse_mem(dk_msg *m, const char *p, size_t n, size_t *body_off, dk_err *e);

/* Next body chunk: *p and *n, n == 0 at the end.  -1 on a read error. */
int dk_msg_body_next(dk_msg *m, const unsigned char **p, size_t *n, dk_err *e);

/* Field helpers. */
const char *dk_field_ptr(const dk_msg *m, const dk_field *f);
bool dk_field_is(const dk_msg *m, const dk_field *f, const char *name, size_t nlen);
/* Count fields called name (case-insensitive). */
size_t dk_msg_count(const dk_msg *m, const char *name);

#endif
