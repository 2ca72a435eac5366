/* fuzz_dns_response.c - libFuzzer harness for the DNS response parser:
 * any bytes, decoded as the answer to a TXT, A, MX or CNAME question. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum dk_dns_type types[] = {DK_DNS_TXT,   DK_DNS_A,    DK_DNS_MX,
                                             DK_DNS_CNAME, DK_DNS_AAAA, DK_DNS_SOA};
    dk_dns_answer a;

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        memset(&a, 0, sizeof a);
        if (dk_dns_parse_response(data, size, "s._domainkey.example.com", types[i], &a, NULL) >= 0)
            dk_dns_answer_free(&a);
    }
    return 0;
}
