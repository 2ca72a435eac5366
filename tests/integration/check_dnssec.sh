#!/bin/sh
# check_dnssec.sh - dkimctl check reports DNSSEC in plain words, against
# zones signed with ldns-signzone and served by unbound on loopback:
# test. signed (the trust anchor is its KSK), sec.test. signed with a DS in
# test. (secure), ins.test. delegated without a DS and unsigned (insecure:
# "not signed", and never a problem with the key), and the same zones
# judged against a DS nobody uses (bogus: critical).
. tests/lib.sh
. tests/integration/dnsserver.sh

if [ ! -x "$DNS_UNBOUND" ] || ! command -v ldns-signzone >/dev/null 2>&1 ||
    ! command -v ldns-keygen >/dev/null 2>&1; then
    skip "check_dnssec" "unbound or ldns-signzone/ldns-keygen (ldnsutils) not installed"
    exit 0
fi
mkscratch
ROOT=$SCRATCH/root
mkdir -p "$ROOT" && cp -R tests/sandbox/. "$ROOT"/ && chmod 0755 "$ROOT"
D() { "$DKIMCTL" --root "$ROOT" "$@"; }
cat >"$SCRATCH/answers.yaml" <<'YAML'
domains: [sec.test, ins.test]
selector: sel
algorithm: ed25519
spf:
  mx: false
  ip4: [192.0.2.10]
  all: fail
dmarc:
  p: reject
YAML
D init --answers "$SCRATCH/answers.yaml" >/dev/null 2>&1 && D keygen >/dev/null 2>&1 ||
    { notok "check_dnssec: init and keygen"; exit 1; }
D records --format zone --ttl 300 >"$SCRATCH/records.zone" 2>/dev/null
recs() { # recs DOMAIN: the model's records of DOMAIN, as zone lines (DMARC with its own rua)
    grep -i "^\([a-z_]*\.\)*$1\. " "$SCRATCH/records.zone" | sed "s/p=reject\"/p=reject; rua=mailto:d@$1\"/"
}

(
    set -e
    cd "$SCRATCH"
    ksk=$(ldns-keygen -a ED25519 -k test)
    zsk=$(ldns-keygen -a ED25519 test)
    sk=$(ldns-keygen -a ED25519 -k sec.test)
    {
        printf '$ORIGIN sec.test.\n$TTL 300\n@ IN SOA ns1.test. h.test. 1 3600 600 86400 60\n@ IN NS ns1.test.\n'
        recs sec.test
    } >sec.test.zone
    ldns-signzone -n sec.test.zone "$sk"
    {
        printf '$ORIGIN ins.test.\n$TTL 300\n@ IN SOA ns1.test. h.test. 1 3600 600 86400 60\n@ IN NS ns1.test.\n'
        recs ins.test
    } >ins.test.zone
    cat >test.zone <<Z
\$ORIGIN test.
\$TTL 300
@ IN SOA ns1.test. h.test. 1 3600 600 86400 60
@ IN NS ns1.test.
ns1 IN A 127.0.0.1
sec IN NS ns1.test.
$(cat "$sk.ds")
ins IN NS ns1.test.
Z
    ldns-signzone test.zone "$ksk" "$zsk"
    cp "$ksk.ds" anchor.ds
    other=$(ldns-keygen -a ED25519 -k test)
    cp "$other.ds" wrong.ds
) >"$SCRATCH/sign.log" 2>&1 || { notok "check_dnssec: signing the zones" "$(cat "$SCRATCH/sign.log")"; exit 1; }
dns_init "$SCRATCH/dns"
dns_auth_zone test "$SCRATCH/test.zone.signed"
dns_auth_zone sec.test "$SCRATCH/sec.test.zone.signed"
dns_auth_zone ins.test "$SCRATCH/ins.test.zone"
if ! dns_start; then
    notok "check_dnssec: unbound did not start"
    exit 1
fi

run() { # run DOMAIN ANCHOR
    out=$(D --resolver "$DNS_SPEC" check --domain "$1" --auth-port "$DNS_PORT" --anchor "$2" 2>&1)
    rc=$?
}
has() { printf '%s\n' "$out" | grep -q -- "$1"; }

run sec.test "$SCRATCH/anchor.ds"
if [ $rc -eq 0 ] && has "^ok: sec.test: DNSSEC secure: the records are signed with DNSSEC" &&
    has "^ok: sel._domainkey.sec.test: DKIM key record published and matching" &&
    has "^== sec.test (zone sec.test, DNSSEC secure)"; then
    ok "signed zone with a DS chain to the anchor: DNSSEC secure, exit 0"
else
    notok "signed zone: DNSSEC secure" "rc=$rc
$out"
fi

run ins.test "$SCRATCH/anchor.ds"
if [ $rc -eq 0 ] && has "^info: ins.test: DNSSEC insecure: the zone is not signed with DNSSEC" &&
    has "this says nothing about your DKIM key" &&
    has "^ok: sel._domainkey.ins.test: DKIM key record published and matching"; then
    ok "unsigned zone under a signed parent: DNSSEC insecure explained as 'not signed', key ok, exit 0"
else
    notok "unsigned zone: DNSSEC insecure" "rc=$rc
$out"
fi

run sec.test "$SCRATCH/wrong.ds"
if [ $rc -eq 2 ] && has "^critical: sec.test: DNSSEC bogus: " &&
    has "fix: fix the zone's signatures or its DS record at the parent" &&
    has "^ok: sel._domainkey.sec.test: DKIM key record published and matching"; then
    ok "a trust anchor that matches no key: DNSSEC bogus, critical with a fix"
else
    notok "wrong anchor: DNSSEC bogus" "rc=$rc
$out"
fi
