/* fuzz_header.c - the message header parser and the verifier on top of it
 * (DKIM-Signature parsing, header selection), with a fixed key in a stub
 * resolver. */
#include <stdio.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "dkim/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int txt(void *ud, const char *name, dk_dns_txt_answer *out, dk_err *e)
{
    static const char rsa[] =
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5q"
        "hdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4"
        "hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
    static const char ed[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const char *r = strncmp(name, "brisbane.", 9) == 0 ? ed : rsa;

    (void)ud;
    (void)e;
    out->rcode = DK_DNS_OK;
    out->rr = calloc(1, sizeof *out->rr);
    if (out->rr == NULL)
        return -1;
    out->rr[0].data = strdup(r);
    out->rr[0].len = strlen(r);
    out->nrr = out->rr[0].data != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dk_resolver *res;
    static dk_verifier *v;
    static const dk_dns_ops ops = {.txt = txt};
    static dk_verify_result r;
    dk_err e;
    char *copy;
    char buf[8192];

    if (v == NULL) {
        res = dk_resolver_new_stub(&ops, NULL, &e);
        v = dk_verifier_new(res, &e);
        if (v == NULL)
            abort();
        dk_verifier_set_time(v, 1528000000);
    }
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    if (dk_verify_mem(v, copy, size, &r, &e) == 0) {
        if (r.nsig > DK_VERIFY_MAX_SIGS)
            abort();
        (void)dk_auth_results(&r, "fuzz", buf, sizeof buf);
    }
    /* the stream reader must see the same message as the in-memory one */
    {
        static dk_verify_result r2;
        int fd = memfd_create("fuzz", 0);

        if (fd < 0)
            abort();
        if (size > 0 && write(fd, data, size) != (ssize_t)size)
            abort();
        (void)lseek(fd, 0, SEEK_SET);
        if (dk_verify_fd(v, fd, &r2, &e) == 0) {
            if (r2.nsig != r.nsig)
                abort();
            for (size_t k = 0; k < r.nsig; k++) {
                if (r2.sig[k].result != r.sig[k].result ||
                    strcmp(r2.sig[k].reason, r.sig[k].reason) != 0) {
                    fprintf(stderr, "mem: %s (%s)\nfd:  %s (%s)\n", dk_result_name(r.sig[k].result),
                            r.sig[k].reason, dk_result_name(r2.sig[k].result), r2.sig[k].reason);
                    abort();
                }
            }
        }
        close(fd);
    }
    free(copy);
    return 0;
}
