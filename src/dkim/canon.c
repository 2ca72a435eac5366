/* canon.c - header and body canonicalization, as a stream. */
#include "dkim/canon.h"
#include "internal.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                            "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

void dk_body_canon_init(dk_body_canon *c, enum dk_canon mode, EVP_MD_CTX *md, uint64_t limit)
{
    c->mode = mode;
    c->md = md;
    c->limit = limit;
    c->total = 0;
    c->hashed = 0;
    c->pending = 0;
    c->cr = false;
    c->wsp = false;
    c->failed = false;
    c->olen = 0;
}

/* Hand canonical bytes to the digest, honouring l=. */
static void sink(dk_body_canon *c, const unsigned char *p, size_t n)
{
    uint64_t room;

    c->total += n;
    if (c->hashed >= c->limit)
        return;
    room = c->limit - c->hashed;
    if ((uint64_t)n > room)
        n = (size_t)room;
    c->hashed += n;
    if (n > 0 && EVP_DigestUpdate(c->md, p, n) != 1)
        c->failed = true;
}

static void flush_stage(dk_body_canon *c)
{
    if (c->olen > 0) {
        sink(c, c->out, c->olen);
        c->olen = 0;
    }
}

static void stage(dk_body_canon *c, const void *p, size_t n)
{
    const unsigned char *q = p;

    while (n > 0) {
        size_t k = sizeof c->out - c->olen;

        if (k > n)
            k = n;
        memcpy(c->out + c->olen, q, k);
        c->olen += k;
        q += k;
        n -= k;
        if (c->olen == sizeof c->out)
            flush_stage(c);
    }
}

static void flush_pending(dk_body_canon *c)
{
    while (c->pending > 0) {
        uint64_t k = c->pending;

        if (k > (sizeof crlfs - 1) / 2)
            k = (sizeof crlfs - 1) / 2;
        stage(c, crlfs, (size_t)k * 2);
        c->pending -= k;
    }
}

/* Is there a LF in p[0..n) not preceded by CR?  p[0] is checked against
 * `prev_cr` (the byte before the region). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DK_HAVE_AVX2 1
/* 32 bytes at a time where the CPU has AVX2 (chosen at run time). */
__attribute__((target("avx2"))) static size_t bare_lf_avx2(const unsigned char *p, size_t n,
                                                           bool *found)
{
    const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
    size_t i = 1;

    *found = false;
    while (i + 128 <= n) {
        __m256i m = _mm256_setzero_si256();

        for (size_t k = 0; k < 128; k += 32) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + k));
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + k - 1));

            m = _mm256_or_si256(
                m, _mm256_andnot_si256(_mm256_cmpeq_epi8(b, cr), _mm256_cmpeq_epi8(a, lf)));
        }
        if (!_mm256_testz_si256(m, m)) {
            *found = true;
            return i;
        }
        i += 128;
    }
    return i;
}
#endif

#if defined(DK_HAVE_AVX2)
/* AVX-512BW: one load per 64 bytes; the CR mask shifted by one marks the
 * bytes that follow a CR. */
__attribute__((target("avx512f,avx512bw"))) static size_t bare_lf_avx512(const unsigned char *p,
                                                                         size_t n, bool *found)
{
    const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r');
    unsigned long long carry = 1; /* p[0] was checked by the caller */
    size_t i = 0;

    *found = false;
    while (i + 64 <= n) {
        __m512i v = _mm512_loadu_si512((const void *)(p + i));
        unsigned long long l = _mm512_cmpeq_epi8_mask(v, lf);
        unsigned long long c = _mm512_cmpeq_epi8_mask(v, cr);

        if ((l & ~((c << 1) | carry)) != 0) {
            *found = true;
            return i;
        }
        carry = c >> 63;
        i += 64;
    }
    /* the scalar tail looks at p[i - 1] itself */
    return i > 0 ? i : 1;
}
#endif

bool dk_has_bare_lf(const unsigned char *p, size_t n, bool prev_cr)
{
    size_t i = 1;

    if (n == 0)
        return false;
    if (p[0] == '\n' && !prev_cr)
        return true;
#if defined(DK_HAVE_AVX2)
    {
        static int avx512 = -1;

        if (avx512 < 0)
            avx512 = __builtin_cpu_supports("avx512bw") ? 1 : 0;
        if (avx512) {
            bool found;

            i = bare_lf_avx512(p, n, &found);
            if (found)
                return true;
            goto tail;
        }
    }
    {
        static int avx2 = -1;

        if (avx2 < 0)
            avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
        if (avx2) {
            bool found;

            i = bare_lf_avx2(p, n, &found);
            if (found)
                return true;
        }
    }
#endif
#if defined(__SSE2__)
    {
        const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');

        while (i + 64 <= n) {
            __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
            __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
            __m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 15));
            __m128i a2 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32));
            __m128i b2 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 31));
            __m128i a3 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48));
            __m128i b3 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 47));
            __m128i m = _mm_andnot_si128(_mm_cmpeq_epi8(b0, cr), _mm_cmpeq_epi8(a0, lf));

            m = _mm_or_si128(m, _mm_andnot_si128(_mm_cmpeq_epi8(b1, cr), _mm_cmpeq_epi8(a1, lf)));
            m = _mm_or_si128(m, _mm_andnot_si128(_mm_cmpeq_epi8(b2, cr), _mm_cmpeq_epi8(a2, lf)));
            m = _mm_or_si128(m, _mm_andnot_si128(_mm_cmpeq_epi8(b3, cr), _mm_cmpeq_epi8(a3, lf)));
            if (_mm_movemask_epi8(m) != 0)
                return true;
            i += 64;
        }
    }
#endif
#if defined(DK_HAVE_AVX2)
tail:
#endif
    for (; i < n; i++) {
        if (p[i] == '\n' && p[i - 1] != '\r')
            return true;
    }
    return false;
}

/* General path, byte by byte with runs copied: simple and relaxed, bare
 * LF, bare CR. */
static void slow_update(dk_body_canon *c, const unsigned char *p, size_t n)
{
    const bool relaxed = c->mode == DK_CANON_RELAXED;
    size_t i = 0;

    while (i < n) {
        unsigned char ch = p[i];

        if (ch == '\n') {
            /* CRLF or bare LF: a line end; held back, trailing WSP dropped */
            c->cr = false;
            c->wsp = false;
            c->pending++;
            i++;
            continue;
        }
        if (c->cr) {
            /* the CR before was content */
            c->cr = false;
            flush_pending(c);
            if (c->wsp) {
                stage(c, " ", 1);
                c->wsp = false;
            }
            stage(c, "\r", 1);
        }
        if (ch == '\r') {
            c->cr = true;
            i++;
            continue;
        }
        if (relaxed && (ch == ' ' || ch == '\t')) {
            c->wsp = true;
            i++;
            continue;
        }
        flush_pending(c);
        if (c->wsp) {
            stage(c, " ", 1);
            c->wsp = false;
        }
        {
            size_t j = i + 1;

            while (j < n && p[j] != '\n' && p[j] != '\r' &&
                   !(relaxed && (p[j] == ' ' || p[j] == '\t')))
                j++;
            stage(c, p + i, j - i);
            i = j;
        }
    }
}

int dk_body_canon_update(dk_body_canon *c, const unsigned char *p, size_t n)
{
    size_t end, k;

    if (n == 0)
        return c->failed ? -1 : 0;
    if (c->mode == DK_CANON_RELAXED) {
        slow_update(c, p, n);
        return c->failed ? -1 : 0;
    }
    /* simple: with CRLF line ends the canonical body is the input itself
     * minus the trailing empty lines, so hash runs straight from p. */
    if (c->cr) {
        if (p[0] == '\n') {
            c->cr = false;
            c->pending++;
            p++;
            n--;
        } else {
            slow_update(c, p, n); /* rare: take the general path */
            return c->failed ? -1 : 0;
        }
    }
    if (n == 0)
        return c->failed ? -1 : 0;
    end = n;
    if (p[end - 1] == '\r')
        end--; /* its meaning depends on the next chunk */
    if (dk_has_bare_lf(p, end, false)) {
        slow_update(c, p, n);
        return c->failed ? -1 : 0;
    }
    k = end;
    while (k >= 2 && p[k - 1] == '\n' && p[k - 2] == '\r')
        k -= 2;
    if (k > 0) {
        flush_pending(c);
        flush_stage(c);
        sink(c, p, k);
    }
    c->pending += (end - k) / 2;
    if (end < n)
        c->cr = true;
    return c->failed ? -1 : 0;
}

int dk_body_canon_final(dk_body_canon *c, unsigned char *out, unsigned *outlen)
{
    if (c->cr) {
        /* a final bare CR is content */
        c->cr = false;
        flush_pending(c);
        if (c->wsp)
            stage(c, " ", 1);
        c->wsp = false;
        stage(c, "\r", 1);
    }
    /* Every body that has content ends with exactly one CRLF; an empty
     * body is CRLF in simple and nothing in relaxed. */
    if (c->total + c->olen > 0 || c->mode == DK_CANON_SIMPLE)
        stage(c, "\r\n", 2);
    flush_stage(c);
    c->pending = 0;
    if (c->failed || EVP_DigestFinal_ex(c->md, out, outlen) != 1)
        return -1;
    return 0;
}

int dk_header_canon(enum dk_canon mode, const char *f, size_t len, bool crlf, dk_buf *b, dk_err *e)
{
    size_t i, colon, start;
    bool wsp = false, any = false;

    if (len >= 2 && f[len - 2] == '\r' && f[len - 1] == '\n')
        len -= 2;
    if (mode == DK_CANON_SIMPLE) {
        if (dk_buf_append(b, f, len, e) < 0)
            return -1;
        return crlf ? dk_buf_append(b, "\r\n", 2, e) : 0;
    }
    if (dk_buf_reserve(b, len + 3 + 16, e) < 0)
        return -1;
    colon = len;
    {
        const char *q = memchr(f, ':', len);

        if (q != NULL)
            colon = (size_t)(q - f);
    }
    /* name: lower case, WSP before the colon removed */
    start = b->len;
    for (i = 0; i < colon; i++) {
        char ch = f[i];

        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch + 32);
        b->data[b->len++] = ch;
    }
    while (b->len > start && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
        b->len--;
    if (colon < len) {
        char *o = b->data + b->len;

        *o++ = ':';
        i = colon + 1;
        while (i < len) {
            unsigned char ch = (unsigned char)f[i];

            if (ch == ' ' || ch == '\t') {
                wsp = true;
                i++;
                continue;
            }
            if (ch == '\r' || ch == '\n') {
                i++; /* unfold */
                continue;
            }
            if (wsp && any)
                *o++ = ' ';
            wsp = false;
            any = true;
            /* a run: bytes above SP, other control bytes, and single
             * spaces between them, copied as they are */
            for (;;) {
#if defined(__SSE2__)
                const __m128i k21 = _mm_set1_epi8(0x21);

                while (i + 16 <= len) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(f + i));
                    unsigned m =
                        ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, k21), v)) &
                        0xffffu;

                    _mm_storeu_si128((__m128i *)(void *)o, v);
                    if (m == 0) {
                        o += 16;
                        i += 16;
                        continue;
                    }
                    o += __builtin_ctz(m);
                    i += (size_t)__builtin_ctz(m);
                    break;
                }
#endif
                while (i < len && (unsigned char)f[i] > ' ')
                    *o++ = f[i++];
                if (i >= len)
                    break;
                ch = (unsigned char)f[i];
                if (ch == ' ' && i + 1 < len && (unsigned char)f[i + 1] > ' ') {
                    *o++ = ' ';
                    i++;
                    continue;
                }
                if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                    *o++ = (char)ch;
                    i++;
                    continue;
                }
                break;
            }
        }
        b->len = (size_t)(o - b->data);
    }
    if (crlf) {
        b->data[b->len++] = '\r';
        b->data[b->len++] = '\n';
    }
    b->data[b->len] = '\0';
    return 0;
}

int dk_canon_parse(const char *s, size_t len, enum dk_canon *hdr, enum dk_canon *body)
{
    const char *slash = memchr(s, '/', len);
    size_t hl = slash != NULL ? (size_t)(slash - s) : len;

    *hdr = DK_CANON_SIMPLE;
    *body = DK_CANON_SIMPLE;
    if (hl == 6 && memcmp(s, "simple", 6) == 0)
        *hdr = DK_CANON_SIMPLE;
    else if (hl == 7 && memcmp(s, "relaxed", 7) == 0)
        *hdr = DK_CANON_RELAXED;
    else
        return -1;
    if (slash == NULL)
        return 0;
    s = slash + 1;
    len -= hl + 1;
    if (len == 6 && memcmp(s, "simple", 6) == 0)
        *body = DK_CANON_SIMPLE;
    else if (len == 7 && memcmp(s, "relaxed", 7) == 0)
        *body = DK_CANON_RELAXED;
    else
        return -1;
    return 0;
}

const char *dk_canon_name(enum dk_canon c)
{
    return c == DK_CANON_RELAXED ? "relaxed" : "simple";
}
