#!/bin/sh
# policy_live.sh - SPF and DMARC through the real resolver against unbound on
# loopback: good records, 11 lookups through nested includes, a void-lookup
# chain, an include loop, two SPF records, a record split into several
# strings, SERVFAIL and a timeout (temperror, never fail), DMARC discovery
# with the organisational-domain fallback, two DMARC records, an authorised
# and an unauthorised external report destination.
# Runs build/tests/test_spf_dmarc_live (cmocka) and passes its TAP lines on.
. tests/lib.sh
. tests/integration/dnsserver.sh

bin=$(dirname "$DKIMCTL")/tests/test_spf_dmarc_live
if [ ! -x "$bin" ]; then
    notok "policy_live: $bin not built (make tests)"
    exit 1
fi
if [ ! -x "$DNS_UNBOUND" ]; then
    skip "policy_live" "unbound not installed"
    exit 0
fi

mkscratch
dns_init "$SCRATCH"
dead=$(dns_free_port)
dns_zone policy.test
dns_zone 2.0.192.in-addr.arpa
# a good domain
dns_txt policy.test "v=spf1 ip4:198.51.100.0/28 mx a:www.policy.test ptr:policy.test -all"
dns_rr 'policy.test. 300 IN MX 10 mail.policy.test.'
dns_rr 'mail.policy.test. 300 IN A 192.0.2.25'
dns_rr 'mail.policy.test. 300 IN AAAA 2001:db8::25'
dns_rr 'www.policy.test. 300 IN A 192.0.2.80'
dns_rr 'h7.policy.test. 300 IN A 192.0.2.7'
dns_rr '7.2.0.192.in-addr.arpa. 300 IN PTR h7.policy.test.'
# 11 DNS-querying terms through nested includes; 10 is fine
i=0
while [ $i -le 10 ]; do
    next=$((i + 1))
    dns_txt "n$i.policy.test" "v=spf1 include:n$next.policy.test -all"
    i=$next
done
dns_txt n11.policy.test "v=spf1 ip4:192.0.2.0/24 -all"
# void lookups: two allowed, the third a permerror
dns_txt void2.policy.test "v=spf1 a:nx1.policy.test mx:nx2.policy.test ip4:192.0.2.1 -all"
dns_txt void3.policy.test "v=spf1 a:nx1.policy.test include:void3b.policy.test -all"
dns_txt void3b.policy.test "v=spf1 exists:nx2.policy.test a:nx3.policy.test -all"
# an include loop
dns_txt loop1.policy.test "v=spf1 include:loop2.policy.test -all"
dns_txt loop2.policy.test "v=spf1 include:loop1.policy.test -all"
# two SPF records
dns_rr 'two.policy.test. 300 IN TXT "v=spf1 -all"'
dns_rr 'two.policy.test. 300 IN TXT "v=spf1 mx -all"'
# a long record: several strings (dns_txt splits at 255 octets)
long="v=spf1"
i=0
while [ $i -lt 30 ]; do
    long="$long ip4:203.0.113.$i"
    i=$((i + 1))
done
dns_txt long.policy.test "$long -all"
# SERVFAIL (a refused zone) and a timeout (a forwarder where nothing answers)
dns_conf 'local-zone: "refused.test." refuse'
dns_txt sf.policy.test "v=spf1 include:spf.refused.test -all"
dns_conf 'local-zone: "dead.nowhere." transparent'
dns_conf 'forward-zone:'
dns_conf '    name: "dead.nowhere."'
dns_conf "    forward-addr: 127.0.0.1@$dead"
# DMARC
dns_txt _dmarc.policy.test "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@policy.test,mailto:x@third.test"
dns_zone third.test
dns_txt policy.test._report._dmarc.third.test "v=DMARC1"
dns_txt _dmarc.unauth.policy.test "v=DMARC1; p=none; rua=mailto:x@other.test"
dns_zone other.test
dns_rr '_dmarc.two.policy.test. 300 IN TXT "v=DMARC1; p=none"'
dns_rr '_dmarc.two.policy.test. 300 IN TXT "v=DMARC1; p=reject"'
dns_txt _dmarc.bad.policy.test "v=DMARC1; p=none; pct=150"

if ! dns_start; then
    notok "policy_live: unbound did not start"
    exit 1
fi
ok "unbound answers on $DNS_SPEC"
out="$SCRATCH/tap"
DK_TEST_DNS=$DNS_SPEC DK_TEST_DNS_DEAD="127.0.0.1@$dead" CMOCKA_MESSAGE_OUTPUT=TAP \
    ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0} "$bin" >"$out" 2>&1
rc=$?
while IFS= read -r line; do
    case "$line" in
    "ok "*"# SKIP"* | "not ok "*"# SKIP"*) skip "policy_live: ${line##*# SKIP }" "skipped by the test" ;;
    "ok "*) ok "policy_live: ${line#ok * - }" ;;
    "not ok "*) notok "policy_live: ${line#not ok * - }" ;;
    *) echo "# $line" ;;
    esac
done <"$out"
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
    notok "policy_live: test_spf_dmarc_live exited with status $rc"
fi
dns_stop
exit 0
