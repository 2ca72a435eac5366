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
dns_conf 'local-zone: "dead.nowhere." transparent'
dns_conf 'forward-zone:'
dns_conf '    name: "dead.nowhere."'
dns_conf "    forward-addr: 127.0.0.1@$dead"

# DNSSEC: test. (NSEC) signed, anchor = its KSK; sec.test. (NSEC3) signed
# with a DS in test.; ins.test. and ins2.sec.test. delegated without DS and
# unsigned; in
# sec.test. one record altered after signing and one whose RRSIG is removed.
anchor=
if command -v ldns-keygen >/dev/null 2>&1 && command -v ldns-signzone >/dev/null 2>&1; then
    (
        set -e
        cd "$SCRATCH"
        ksk=$(ldns-keygen -a ED25519 -k test)
        zsk=$(ldns-keygen -a ED25519 test)
        sk=$(ldns-keygen -a ED25519 -k sec.test)
        cat >sec.test.zone <<'Z'
$ORIGIN sec.test.
$TTL 300
@ IN SOA ns1.test. h.test. 1 3600 600 86400 60
@ IN NS ns1.test.
@ IN TXT "v=spf1 -all"
sel._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
bad IN TXT "good"
nosig IN TXT "unsigned"
ins2 IN NS ns1.test.
Z
        ldns-signzone -n sec.test.zone "$sk"
        sed -i -e 's/"good"/"evil"/' -e '/^nosig\.sec\.test\..*RRSIG/d' sec.test.zone.signed
        cat >test.zone <<Z
\$ORIGIN test.
\$TTL 300
@ IN SOA ns1.test. h.test. 1 3600 600 86400 60
@ IN NS ns1.test.
ns1 IN A 127.0.0.1
www IN TXT "hello"
sec IN NS ns1.test.
$(cat "$sk.ds")
ins IN NS ns1.test.
Z
        ldns-signzone test.zone "$ksk" "$zsk"
        cat >ins.test.zone <<'Z'
$ORIGIN ins.test.
$TTL 300
@ IN SOA ns1.test. h.test. 1 3600 600 86400 60
@ IN NS ns1.test.
x IN TXT "not signed"
Z
        sed 's/^\$ORIGIN ins\.test\./$ORIGIN ins2.sec.test./' ins.test.zone >ins2.sec.test.zone
        cp "$ksk.ds" anchor.ds
        # a DS for a key nobody uses: validation must fail
        other=$(ldns-keygen -a ED25519 -k test)
        cp "$other.ds" wrong.ds
    ) >"$SCRATCH/dnssec.log" 2>&1 && anchor=$SCRATCH/anchor.ds
    if [ -n "$anchor" ]; then
        dns_auth_zone test "$SCRATCH/test.zone.signed"
        dns_auth_zone sec.test "$SCRATCH/sec.test.zone.signed"
        dns_auth_zone ins.test "$SCRATCH/ins.test.zone"
        dns_auth_zone ins2.sec.test "$SCRATCH/ins2.sec.test.zone"
    else
        cat "$SCRATCH/dnssec.log"
    fi
fi

if ! dns_start; then
    notok "dns_live: unbound did not start"
    exit 1
fi
ok "unbound answers on $DNS_SPEC"

# an old server that answers FORMERR to EDNS0 (tests/bench/dns_delay.py)
old=$(dns_free_port)
/usr/bin/python3 tests/bench/dns_delay.py "$old" 0 60 noedns >"$SCRATCH/old.log" 2>&1 &
oldpid=$!
trap 'kill $oldpid 2>/dev/null; _dns_exit' EXIT
trap 'kill $oldpid 2>/dev/null; _dns_exit; exit 130' INT TERM
i=0
until grep -q ready "$SCRATCH/old.log" 2>/dev/null || [ $i -ge 50 ]; do
    sleep 0.1
    i=$((i + 1))
done

out="$SCRATCH/tap"
DK_TEST_DNS=$DNS_SPEC DK_TEST_DNS_DEAD="127.0.0.1@$dead" DK_TEST_DNSSEC_ANCHOR=$anchor \
    DK_TEST_DNS_OLD="127.0.0.1@$old" \
    CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0} "$bin" >"$out" 2>&1
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
kill $oldpid 2>/dev/null
wait $oldpid 2>/dev/null
dns_stop
exit 0
