#!/bin/sh
# dns_live.sh - the resolver against unbound on loopback: split TXT strings,
# NUL in TXT, two records, a TXT RRset over 4 KB (TCP), NXDOMAIN, NODATA,
# CNAME chains and loops, REFUSED and a dead forwarder (SERVFAIL), a port
# where nothing answers (TIMEOUT), A/AAAA/MX/NS/PTR, the cache and batches.
# Runs build/tests/test_dns_live (cmocka) and passes its TAP lines on.
. tests/lib.sh
. tests/integration/dnsserver.sh

bin=$(dirname "$DKIMCTL")/tests/test_dns_live
if [ ! -x "$bin" ]; then
    notok "dns_live: $bin not built (make tests)"
    exit 1
fi
if [ ! -x "$DNS_UNBOUND" ] || ! command -v "$DNS_DRILL" >/dev/null 2>&1; then
    skip "dns_live" "unbound or drill (ldnsutils) not installed"
    exit 0
fi

rep() { # rep CHAR COUNT
    printf "%${2}s" "" | tr ' ' "$1"
}

mkscratch
dns_init "$SCRATCH"
dead=$(dns_free_port)
dns_zone example.test
dns_rr 'example.test. 300 IN MX 10 mail.example.test.'
dns_rr 'example.test. 300 IN NS ns1.example.test.'
dns_rr 'example.test. 300 IN NS ns2.example.test.'
dns_rr 'ns1.example.test. 300 IN A 127.0.0.1'
dns_rr 'ns2.example.test. 300 IN A 127.0.0.2'
dns_rr 'ns2.example.test. 300 IN AAAA ::1'
dns_rr 'www.example.test. 300 IN A 192.0.2.10'
dns_rr 'www.example.test. 300 IN AAAA 2001:db8::10'
dns_zone 2.0.192.in-addr.arpa
dns_rr '10.2.0.192.in-addr.arpa. 300 IN PTR mail.example.test.'
# 618 octets: three strings of 255, 255 and 108
dns_txt split.example.test "v=DKIM1; k=rsa; p=$(i=0; while [ $i -lt 60 ]; do printf 0123456789; i=$((i + 1)); done)"
dns_rr 'nul.example.test. 300 IN TXT "v=a\000b" ";c"'
dns_rr 'two.example.test. 300 IN TXT "first"'
dns_rr 'two.example.test. 300 IN TXT "second"'
i=0
while [ $i -lt 20 ]; do
    n=$(printf '%02d' $i)
    dns_rr "big.example.test. 300 IN TXT \"rec$n-$(rep b 244)\""
    i=$((i + 1))
done
dns_txt sel._domainkey.example.test 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='
dns_rr 'cn._domainkey.example.test. 300 IN CNAME sel._domainkey.example.test.'
dns_rr 'cnx.example.test. 300 IN CNAME nothere.example.test.'
dns_rr 'loop1.example.test. 300 IN CNAME loop2.example.test.'
dns_rr 'loop2.example.test. 300 IN CNAME loop1.example.test.'
i=0
while [ $i -lt 100 ]; do
    dns_rr "h$i.bulk.example.test. 300 IN TXT \"host $i\""
    i=$((i + 1))
done
dns_conf 'local-zone: "refused.test." refuse'
dns_conf 'local-zone: "dead.test." transparent'
dns_conf 'forward-zone:'
dns_conf '    name: "dead.test."'
dns_conf "    forward-addr: 127.0.0.1@$dead"

if ! dns_start; then
    notok "dns_live: unbound did not start"
    exit 1
fi
ok "unbound answers on $DNS_SPEC"

out="$SCRATCH/tap"
DK_TEST_DNS=$DNS_SPEC DK_TEST_DNS_DEAD="127.0.0.1@$dead" CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$out" 2>&1
rc=$?
# re-emit the binary's results as this script's TAP lines
while IFS= read -r line; do
    case "$line" in
    "ok "*"# SKIP"* | "not ok "*"# SKIP"*) skip "dns_live: ${line##*# SKIP }" "skipped by the test" ;;
    "ok "*) ok "dns_live: ${line#ok * - }" ;;
    "not ok "*) notok "dns_live: ${line#not ok * - }" ;;
    *) echo "# $line" ;;
    esac
done <"$out"
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
    notok "dns_live: test_dns_live exited with status $rc"
fi
dns_stop
exit 0
