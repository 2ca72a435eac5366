/* name.c - domain and selector names: refuse the dangerous, convert IDNs to A-labels. */
#include "model/name.h"

#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "util/mem.h"

/* Describe the byte c for an error message. */
static const char *describe(unsigned char c, char *buf, size_t size)
{
    switch (c) {
    case ' ':
        return "a space";
    case '\t':
        return "a tab";
    case '\n':
        return "a newline";
    case '\r':
        return "a carriage return";
    case '\0':
        return "a NUL byte";
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f)
        (void)snprintf(buf, size, "the control character 0x%02x", c);
    else if (c >= 0x80)
        (void)snprintf(buf, size, "the byte 0x%02x", c);
    else
        (void)snprintf(buf, size, "'%c'", c);
    return buf;
}

/*
 * The characters refused before anything else, whatever the name: they have
 * a meaning in OpenDKIM tables (':', '#', '%', whitespace), in paths ('/',
 * "..") or in the files dkimctl writes (newline, NUL).
 */
static int precheck(const char *in, const char *what, const char *field, dk_err *e)
{
    char buf[48];

    if (in == NULL || in[0] == '\0')
        return dk_err_set(e, DK_EINVAL, "%s is empty; a %s is required", field, what);
    for (size_t i = 0; in[i] != '\0'; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c <= 0x20 || c == 0x7f || c == ':' || c == '#' || c == '%' || c == '/' || c == '\\')
            return dk_err_set(e, DK_EINVAL,
                              "%s: %s at position %zu is not accepted in a %s (letters, "
                              "digits, hyphens and dots only)",
                              field, describe(c, buf, sizeof buf), i + 1, what);
        if (c == '.' && in[i + 1] == '.')
            return dk_err_set(e, DK_EINVAL,
                              "%s: '..' at position %zu is not accepted in a %s (empty "
                              "label)",
                              field, i + 1, what);
    }
    return 0;
}

/* Check lower-case LDH labels in s; `maxlen` bounds the whole name. */
static int check_ldh(const char *s, const char *what, const char *field, size_t maxlen,
                     bool last_not_numeric, dk_err *e)
{
    size_t len = strlen(s), start = 0;
    char buf[48];

    if (len == 0)
        return dk_err_set(e, DK_EINVAL, "%s is empty; a %s is required", field, what);
    if (len > maxlen)
        return dk_err_set(e, DK_EINVAL, "%s: the %s is %zu octets long; at most %zu are accepted",
                          field, what, len, maxlen);
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.' || c == '\0') {
            size_t n = i - start;
            bool digits = true;

            if (n == 0)
                return dk_err_set(e, DK_EINVAL,
                                  "%s: empty label at position %zu (a %s cannot start "
                                  "with a dot or hold two dots in a row)",
                                  field, i + 1, what);
            if (n > 63)
                return dk_err_set(e, DK_EINVAL,
                                  "%s: the label '%.*s' is %zu octets long; at most 63 are "
                                  "accepted",
                                  field, (int)n, s + start, n);
            if (s[start] == '-' || s[i - 1] == '-')
                return dk_err_set(e, DK_EINVAL,
                                  "%s: the label '%.*s' starts or ends with a hyphen; "
                                  "labels are letters, digits and inner hyphens",
                                  field, (int)n, s + start);
            for (size_t k = start; k < i; k++)
                if (s[k] < '0' || s[k] > '9')
                    digits = false;
            if (c == '\0' && last_not_numeric && digits)
                return dk_err_set(e, DK_EINVAL,
                                  "%s: the last label '%.*s' is all digits; an IP address "
                                  "is not a domain name",
                                  field, (int)n, s + start);
            start = i + 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return dk_err_set(e, DK_EINVAL,
                              "%s: %s at position %zu is not accepted in a %s (letters, "
                              "digits, hyphens and dots only)",
                              field, describe(c, buf, sizeof buf), i + 1, what);
    }
    return 0;
}

/* Common path: pre-check, IDN conversion, lower-casing, LDH check. */
static int convert(const char *in, const char *what, const char *field, size_t maxlen, bool domain,
                   char *out, size_t size, dk_err *e)
{
    char tmp[1024];
    bool ascii = true;
    size_t len;

    if (field == NULL)
        field = what;
    if (precheck(in, what, field, e) < 0)
        return -1;
    len = strlen(in);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] >= 0x80)
            ascii = false;
    if (ascii) {
        if (len >= sizeof tmp)
            return dk_err_set(e, DK_EINVAL,
                              "%s: the %s is %zu octets long; at most %zu are accepted", field,
                              what, len, maxlen);
        for (size_t i = 0; i <= len; i++) {
            char c = in[i];

            tmp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    } else {
        uint8_t *res = NULL;
        int rc = idn2_lookup_u8((const uint8_t *)in, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

        if (rc != IDN2_OK)
            return dk_err_set(e, DK_EINVAL, "%s: not a valid internationalised %s: %s", field, what,
                              idn2_strerror(rc));
        if (dk_strlcpy(tmp, (const char *)res, sizeof tmp) < 0) {
            idn2_free(res);
            return dk_err_set(e, DK_EINVAL, "%s: the %s is too long", field, what);
        }
        idn2_free(res);
        for (char *p = tmp; *p != '\0'; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        /* The mapping may produce characters refused above (U+FF0F -> '/'). */
        if (precheck(tmp, what, field, e) < 0)
            return -1;
    }
    len = strlen(tmp);
    if (domain && len > 1 && tmp[len - 1] == '.')
        tmp[--len] = '\0'; /* one trailing dot: fully qualified form */
    if (check_ldh(tmp, what, field, maxlen, domain, e) < 0)
        return -1;
    if (dk_strlcpy(out, tmp, size) < 0)
        return dk_err_set(e, DK_EINVAL, "%s: the %s is too long", field, what);
    return 0;
}

int dk_name_domain(const char *in, const char *field, char *out, size_t size, dk_err *e)
{
    return convert(in, "domain name", field, DK_DOMAIN_MAX - 1, true, out, size, e);
}

int dk_name_selector(const char *in, const char *field, char *out, size_t size, dk_err *e)
{
    return convert(in, "selector", field, DK_SELECTOR_MAX - 1, false, out, size, e);
}

bool dk_name_is_ldh_domain(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) < DK_DOMAIN_MAX &&
           check_ldh(s, "domain name", "name", DK_DOMAIN_MAX - 1, true, NULL) == 0;
}
