/* tags.c - the strict tag=value parser, base64, domain name checks. */
#include "dkim/tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int fail(char *why, size_t wlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t wlen, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL && wlen > 0) {
        va_start(ap, fmt);
        (void)vsnprintf(why, wlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Skip FWS at *i: WSP, or CRLF followed by WSP.  -1 on a CR or LF that is
 * not part of a fold. */
static int skip_fws(const char *s, size_t len, size_t *i)
{
    while (*i < len) {
        char c = s[*i];

        if (is_wsp(c)) {
            (*i)++;
        } else if (c == '\r') {
            if (*i + 2 >= len || s[*i + 1] != '\n' || !is_wsp(s[*i + 2]))
                return -1;
            *i += 3;
        } else if (c == '\n') {
            return -1;
        } else {
            break;
        }
    }
    return 0;
}

/* The end of a run of VALCHAR (%x21-3A / %x3C-7E: printable, not ';')
 * starting at i: 16 bytes at a time where SSE2 is there (a b= value is a
 * few hundred of them). */
static size_t valchar_run(const char *s, size_t i, size_t len)
{
#if defined(__SSE2__)
    const __m128i lo = _mm_set1_epi8(0x21), top = _mm_set1_epi8((char)(0x5e ^ 0x80)),
                  flip = _mm_set1_epi8((char)0x80), semi = _mm_set1_epi8(';');

    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* (v - 0x21) < 0x5e unsigned, as a signed compare */
        __m128i in = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, lo), flip), top);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(v, semi), in));

        if (m != 0xffffu)
            return i + (size_t)__builtin_ctz(~m);
        i += 16;
    }
#endif
    while (i < len && (unsigned char)(s[i] - 0x21) < 0x5e && s[i] != ';')
        i++;
    return i;
}

static const char *show(char *out, size_t outlen, const char *s, size_t n)
{
    size_t j = 0;

    for (size_t k = 0; k < n && j + 5 < outlen && k < 24; k++) {
        unsigned char c = (unsigned char)s[k];

        if (c >= 0x21 && c < 0x7f && c != '\\')
            out[j++] = (char)c;
        else
            j += (size_t)snprintf(out + j, outlen - j, "\\x%02x", c);
    }
    out[j < outlen ? j : outlen - 1] = '\0';
    return out;
}

int dk_tags_parse(dk_tags *t, const char *s, size_t len, char *why, size_t wlen)
{
    size_t i = 0;
    char nm[128];

    t->n = 0;
    if (len > DK_TAGS_INPUT_MAX)
        return fail(why, wlen, "tag list of %zu bytes is too long (at most %d)", len,
                    DK_TAGS_INPUT_MAX);
    for (;;) {
        dk_tag tag;
        size_t last;

        if (skip_fws(s, len, &i) < 0)
            return fail(why, wlen, "CR or LF outside a folded line at byte %zu", i + 1);
        if (i == len) {
            if (t->n == 0 && len > 0 && i > 0)
                return 0;
            return 0;
        }
        if (!is_alpha(s[i])) {
            if (s[i] == ';' || s[i] == '=')
                return fail(why, wlen, "empty tag name at byte %zu", i + 1);
            show(nm, sizeof nm, s + i, 1);
            return fail(why, wlen, "bad character '%s' at the start of a tag name (byte %zu)", nm,
                        i + 1);
        }
        tag.name = s + i;
        while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_'))
            i++;
        tag.nlen = (size_t)(s + i - tag.name);
        /* the name for messages is made only when one is needed */
        if (skip_fws(s, len, &i) < 0)
            return fail(why, wlen, "CR or LF outside a folded line in tag '%s'",
                        show(nm, sizeof nm, tag.name, tag.nlen));
        if (i == len || s[i] != '=')
            return fail(why, wlen, "tag '%s' has no '='", show(nm, sizeof nm, tag.name, tag.nlen));
        i++;
        tag.raw_start = i;
        if (skip_fws(s, len, &i) < 0)
            return fail(why, wlen, "CR or LF outside a folded line in tag '%s'",
                        show(nm, sizeof nm, tag.name, tag.nlen));
        tag.val = s + i;
        last = i;
        while (i < len && s[i] != ';') {
            unsigned char c = (unsigned char)s[i];

            if (c >= 0x21 && c <= 0x7e) {
                /* a run of VALCHAR */
                i = valchar_run(s, i + 1, len);
                last = i;
            } else if (is_wsp((char)c) || c == '\r' || c == '\n') {
                if (skip_fws(s, len, &i) < 0)
                    return fail(why, wlen, "CR or LF outside a folded line in tag '%s'",
                                show(nm, sizeof nm, tag.name, tag.nlen));
            } else {
                return fail(why, wlen, "byte 0x%02x not allowed in the value of tag '%s'", c,
                            show(nm, sizeof nm, tag.name, tag.nlen));
            }
        }
        tag.vlen = (size_t)(s + last - tag.val);
        tag.raw_end = i;
        if (tag.vlen > DK_TAG_VALUE_MAX)
            return fail(why, wlen, "value of tag '%s' is %zu bytes (at most %d)",
                        show(nm, sizeof nm, tag.name, tag.nlen), tag.vlen, DK_TAG_VALUE_MAX);
        for (size_t k = 0; k < t->n; k++) {
            if (t->v[k].nlen == tag.nlen && memcmp(t->v[k].name, tag.name, tag.nlen) == 0)
                return fail(why, wlen, "tag '%s' appears twice",
                            show(nm, sizeof nm, tag.name, tag.nlen));
        }
        if (t->n == DK_TAGS_MAX)
            return fail(why, wlen, "more than %d tags", DK_TAGS_MAX);
        t->v[t->n++] = tag;
        if (i == len)
            return 0;
        i++; /* ';' */
    }
}

const dk_tag *dk_tags_get(const dk_tags *t, const char *name)
{
    size_t n = name[0] == '\0' ? 0 : name[1] == '\0' ? 1 : strlen(name);

    for (size_t k = 0; k < t->n; k++) {
        if (t->v[k].nlen == n && t->v[k].name[0] == name[0] && memcmp(t->v[k].name, name, n) == 0)
            return &t->v[k];
    }
    return NULL;
}

bool dk_tag_is(const dk_tag *t, const char *str)
{
    size_t n = strlen(str);

    return t != NULL && t->vlen == n && memcmp(t->val, str, n) == 0;
}

bool dk_eqi(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t k = 0; k < alen; k++) {
        unsigned char x = (unsigned char)a[k], y = (unsigned char)b[k];

        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

static const signed char b64val[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* One pass: whole quanta of alphabet characters four at a time, and
 * byte by byte where FWS (a folded b=) or padding interrupts them. */
long dk_b64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
    unsigned acc = 0;
    size_t q = 0, o = 0, pad = 0, k = 0;

    while (k < len) {
        unsigned char c;

        if (q == 0 && pad == 0) {
            while (k + 4 <= len && o + 3 <= max) {
                int a = b64val[(unsigned char)s[k]], b = b64val[(unsigned char)s[k + 1]],
                    cc = b64val[(unsigned char)s[k + 2]], d = b64val[(unsigned char)s[k + 3]];
                unsigned v;

                if (a == 0 || b == 0 || cc == 0 || d == 0)
                    break;
                v = (unsigned)(a - 1) << 18 | (unsigned)(b - 1) << 12 | (unsigned)(cc - 1) << 6 |
                    (unsigned)(d - 1);
                out[o++] = (unsigned char)(v >> 16);
                out[o++] = (unsigned char)(v >> 8);
                out[o++] = (unsigned char)v;
                k += 4;
            }
            if (k == len)
                break;
        }
        c = (unsigned char)s[k++];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            if (pad > 2 || q < 2)
                return -1;
            acc <<= 6;
            q++;
            if (q == 4) {
                if (pad == 1) {
                    if (o + 2 > max)
                        return -1;
                    out[o++] = (unsigned char)(acc >> 16);
                    out[o++] = (unsigned char)(acc >> 8);
                } else {
                    if (o + 1 > max)
                        return -1;
                    out[o++] = (unsigned char)(acc >> 16);
                }
                q = 0;
                acc = 0;
            }
            continue;
        }
        if (pad > 0 || b64val[c] == 0)
            return -1;
        acc = (acc << 6) | (unsigned)(b64val[c] - 1);
        if (++q == 4) {
            if (o + 3 > max)
                return -1;
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            q = 0;
            acc = 0;
        }
    }
    if (q != 0)
        return -1; /* truncated */
    if (pad > 0 && o == 0)
        return -1;
    return (long)o;
}

size_t dk_b64_encode(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, k = 0;

    for (; k + 3 <= n; k += 3) {
        unsigned v = (unsigned)in[k] << 16 | (unsigned)in[k + 1] << 8 | in[k + 2];

        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - k == 1) {
        unsigned v = (unsigned)in[k] << 16;

        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - k == 2) {
        unsigned v = (unsigned)in[k] << 16 | (unsigned)in[k + 1] << 8;

        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

bool dk_domain_ok(const char *s, size_t len, char *why, size_t wlen)
{
    size_t lab = 0;

    if (len == 0)
        return fail(why, wlen, "empty domain name") == 0;
    if (len > 253)
        return fail(why, wlen, "domain name of %zu bytes (at most 253)", len) == 0;
    for (size_t k = 0; k <= len; k++) {
        if (k == len || s[k] == '.') {
            if (lab == 0)
                return fail(why, wlen, "empty label in domain name") == 0;
            if (lab > 63)
                return fail(why, wlen, "label of %zu bytes in domain name (at most 63)", lab) == 0;
            if (s[k - 1] == '-' || s[k - lab] == '-')
                return fail(why, wlen, "label starts or ends with '-'") == 0;
            lab = 0;
            continue;
        }
        if (!is_alpha(s[k]) && !is_digit(s[k]) && s[k] != '-' && s[k] != '_')
            return fail(why, wlen, "byte 0x%02x not allowed in a domain name",
                        (unsigned char)s[k]) == 0;
        lab++;
    }
    return true;
}

static bool fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool dk_colon_next(const char *s, size_t len, size_t *pos, const char **item, size_t *ilen)
{
    size_t a = *pos, b = *pos;

    if (*pos > len)
        return false;
    while (b < len && s[b] != ':')
        b++;
    *pos = b + 1;
    while (a < b && fws(s[a]))
        a++;
    while (b > a && fws(s[b - 1]))
        b--;
    *item = s + a;
    *ilen = b - a;
    return true;
}

bool dk_colon_list_has(const char *s, size_t len, const char *item, bool nocase)
{
    size_t il = strlen(item), pos = 0, n;
    const char *it;

    while (dk_colon_next(s, len, &pos, &it, &n)) {
        if (nocase ? dk_eqi(it, n, item, il) : n == il && memcmp(it, item, il) == 0)
            return true;
    }
    return false;
}
