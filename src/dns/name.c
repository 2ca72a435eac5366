/* name.c - query-name checks, reverse names, type and rcode names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"
#include "internal.h"

uint64_t dns_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool dk_dns_name_ok(const char *name)
{
    size_t len, lab = 0;

    if (name == NULL)
        return false;
    len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--; /* one trailing dot: the root */
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)name[i] : '.';

        if (c == '.') {
            if (lab == 0 || lab > 63 || name[i - 1] == '-')
                return false;
            lab = 0;
        } else if (is_alnum(c) || c == '_' || (c == '-' && lab > 0)) {
            lab++;
        } else {
            return false;
        }
    }
    return true;
}

int dk_dns_ptr_name(const char *addr, char *out, size_t size, dk_err *e)
{
    unsigned char a[16];
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (addr != NULL && inet_pton(AF_INET, addr, a) == 1) {
        int n = snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);

        if (n < 0 || (size_t)n >= size)
            return dk_err_set(e, DK_ENOMEM, "reverse name of %s does not fit", addr);
        return 0;
    }
    if (addr == NULL || inet_pton(AF_INET6, addr, a) != 1)
        return dk_err_set(e, DK_EINVAL,
                          "\"%s\" is not an IPv4 or IPv6 address (expected e.g. 192.0.2.1 or "
                          "2001:db8::1)",
                          addr != NULL ? addr : "(null)");
    if (size < 16 * 4 + sizeof "ip6.arpa")
        return dk_err_set(e, DK_ENOMEM, "reverse name of %s does not fit", addr);
    for (int i = 15; i >= 0; i--) {
        out[o++] = hex[a[i] & 15];
        out[o++] = '.';
        out[o++] = hex[a[i] >> 4];
        out[o++] = '.';
    }
    memcpy(out + o, "ip6.arpa", sizeof "ip6.arpa");
    return 0;
}

const char *dk_dns_type_name(enum dk_dns_type t)
{
    switch (t) {
    case DK_DNS_A:
        return "A";
    case DK_DNS_NS:
        return "NS";
    case DK_DNS_CNAME:
        return "CNAME";
    case DK_DNS_SOA:
        return "SOA";
    case DK_DNS_PTR:
        return "PTR";
    case DK_DNS_MX:
        return "MX";
    case DK_DNS_TXT:
        return "TXT";
    case DK_DNS_AAAA:
        return "AAAA";
    }
    return "?";
}

const char *dk_dns_rcode_name(enum dk_dns_rcode rc)
{
    switch (rc) {
    case DK_DNS_OK:
        return "NOERROR";
    case DK_DNS_NODATA:
        return "NODATA";
    case DK_DNS_NXDOMAIN:
        return "NXDOMAIN";
    case DK_DNS_SERVFAIL:
        return "SERVFAIL";
    case DK_DNS_TIMEOUT:
        return "TIMEOUT";
    }
    return "?";
}
