#!/bin/sh
# check_dns.sh - dkimctl check against real DNS servers on loopback: unbound
# (tests/integration/dnsserver.sh) serving a zone this test generates from
# the model's own records (dkimctl records), with one domain per case:
# good records (a 2048-bit key split into several strings), a key mismatch,
# 11 SPF lookups through nested includes, a void-lookup chain, an include
# loop, two SPF records, an unauthorised and an authorised external rua,
# two DMARC records, a CNAMEd selector, a TXT RRset over 4 KB (TCP), a
# SERVFAIL (dead forwarder) and a timeout (nothing listening); a second
# authoritative server (unbound on 127.0.0.2) that has not been updated;
# key-file safety; the exit codes 0/1/2 and the YAML output.
. tests/lib.sh
. tests/integration/dnsserver.sh
PY=/usr/bin/python3

if [ ! -x "$DNS_UNBOUND" ] || ! command -v "$DNS_DRILL" >/dev/null 2>&1; then
    skip "check_dns" "unbound or drill (ldnsutils) not installed"
    exit 0
fi
mkscratch
ROOT=$SCRATCH/root
mkdir -p "$ROOT" && cp -R tests/sandbox/. "$ROOT"/ && chmod 0755 "$ROOT"
D() { "$DKIMCTL" --root "$ROOT" "$@"; }
Z=check.test
CASES="good mismatch spf11 voids loop twospf rua ruaok twodmarc cname big"
{
    echo "domains:"
    for c in $CASES; do echo "  - $c.$Z"; done
    echo "  - sf.test"
    echo "  - stale.test"
    cat <<'YAML'
selector: sel
algorithm: rsa
bits: 2048
spf:
  mx: false
  ip4: [192.0.2.10]
  all: fail
dmarc:
  p: reject
  rua: ["mailto:dmarc@check.test"]
YAML
} >"$SCRATCH/answers.yaml"
check "init: model with one domain per case" D init --answers "$SCRATCH/answers.yaml" >/dev/null 2>&1
check "keygen: their keys" D keygen >/dev/null 2>&1
D records --format plain >"$SCRATCH/records.txt" 2>/dev/null
# value NAME: the model's record value at NAME
value() {
    awk -F '\t' -v n="$1" '$1 == n { print $3 }' "$SCRATCH/records.txt"
}

# ---- the zones --------------------------------------------------------------------
dns_init "$SCRATCH/dns"
dead=$(dns_free_port)
dns_zone $Z
dns_rr "$Z. 300 IN NS ns1.$Z."
dns_rr "ns1.$Z. 300 IN A 127.0.0.1"
dns_zone stale.test
dns_rr "stale.test. 300 IN NS ns1.stale.test."
dns_rr "stale.test. 300 IN NS ns2.stale.test."
dns_rr "ns1.stale.test. 300 IN A 127.0.0.1"
dns_rr "ns2.stale.test. 300 IN A 127.0.0.2"
override=" sel._domainkey.mismatch.$Z spf11.$Z voids.$Z loop.$Z twospf.$Z _dmarc.rua.$Z _dmarc.ruaok.$Z _dmarc.twodmarc.$Z sel._domainkey.cname.$Z _dmarc.stale.test "
tab=$(printf '\t')
while IFS="$tab" read -r name _t val || [ -n "$name" ]; do
    case "$override" in *" $name "*) continue ;; esac
    case "$name" in *sf.test) continue ;; esac
    dns_txt "$name" "$val"
done <"$SCRATCH/records.txt"
# key mismatch: the good domain's key published for another domain
dns_txt "sel._domainkey.mismatch.$Z" "$(value "sel._domainkey.good.$Z")"
# 11 DNS-querying terms: 2 includes + 4 a: in one + 5 a: in the other
dns_txt "spf11.$Z" "v=spf1 include:i1.spf11.$Z include:i2.spf11.$Z -all"
dns_txt "i1.spf11.$Z" "v=spf1 a:h1.spf11.$Z a:h2.spf11.$Z a:h3.spf11.$Z a:h4.spf11.$Z ~all"
dns_txt "i2.spf11.$Z" "v=spf1 a:h1.spf11.$Z a:h2.spf11.$Z a:h3.spf11.$Z a:h4.spf11.$Z a:h5.spf11.$Z ~all"
for h in 1 2 3 4 5; do dns_rr "h$h.spf11.$Z. 300 IN A 192.0.2.$h"; done
# a void-lookup chain: two names without records inside an include, a third after it
dns_txt "voids.$Z" "v=spf1 include:vi.voids.$Z a:gone3.voids.$Z -all"
dns_txt "vi.voids.$Z" "v=spf1 a:gone1.voids.$Z mx:gone2.voids.$Z ~all"
# an include loop
dns_txt "loop.$Z" "v=spf1 include:l2.loop.$Z -all"
dns_txt "l2.loop.$Z" "v=spf1 include:loop.$Z -all"
# two SPF records
dns_txt "twospf.$Z" "v=spf1 ip4:192.0.2.10 -all"
dns_txt "twospf.$Z" "v=spf1 ip4:192.0.2.11 -all"
# external report destinations: one not authorised, one authorised
dns_txt "_dmarc.rua.$Z" "v=DMARC1; p=reject; rua=mailto:dmarc@check.test,mailto:agg@reports.other.test"
dns_zone other.test
dns_txt "_dmarc.ruaok.$Z" "v=DMARC1; p=reject; rua=mailto:agg@reports.other.test"
dns_txt "ruaok.$Z._report._dmarc.reports.other.test" "v=DMARC1"
# two DMARC records
dns_txt "_dmarc.twodmarc.$Z" "v=DMARC1; p=reject"
dns_txt "_dmarc.twodmarc.$Z" "v=DMARC1; p=none"
# a CNAMEd selector (the key hosted under another name)
dns_rr "sel._domainkey.cname.$Z. 300 IN CNAME cname-sel.keys.$Z."
dns_txt "cname-sel.keys.$Z" "$(value "sel._domainkey.cname.$Z")"
# a TXT RRset over 4 KB at the SPF name: 20 other TXT records of 240 octets
i=0
while [ $i -lt 20 ]; do
    dns_txt "big.$Z" "site-verification-$i=$(printf '%220s' '' | tr ' ' x)"
    i=$((i + 1))
done
# stale.test: the resolver and ns1 serve the new DMARC record, ns2 the old one
dns_txt "_dmarc.stale.test" "v=DMARC1; p=reject; rua=mailto:dmarc@stale.test"
# SERVFAIL: sf.test is forwarded to a server that does not exist
dns_conf 'local-zone: "sf.test." transparent'
dns_conf 'forward-zone:'
dns_conf '    name: "sf.test."'
dns_conf "    forward-addr: 127.0.0.1@$dead"
if dns_start; then
    ok "check_dns: unbound serves the zones on $DNS_SPEC"
else
    notok "check_dns: unbound did not start"
    exit 1
fi

# the second authoritative server of stale.test: unbound on 127.0.0.2, same
# port, with the old DMARC record
ns2=
ns2_dir=$SCRATCH/ns2
mkdir -p "$ns2_dir"
sed -e "s/interface: 127.0.0.1/interface: 127.0.0.2/" -e "s|$DNS_DIR|$ns2_dir|g" \
    "$DNS_DIR/unbound.conf" >"$ns2_dir/unbound.conf"
{
    printf 'local-zone: "stale.test." static\n'
    printf "local-data: 'stale.test. 3600 IN SOA ns1.stale.test. hostmaster.stale.test. 1 3600 600 86400 60'\n"
    grep "'stale.test\.\|[._]stale.test\." "$DNS_DIR/zone.conf" | grep -v '_dmarc\|SOA'
    printf "local-data: '_dmarc.stale.test. 300 IN TXT \"v=DMARC1; p=none\"'\n"
} >"$ns2_dir/zone.conf"
: >"$ns2_dir/extra.conf"
"$DNS_UNBOUND" -d -c "$ns2_dir/unbound.conf" >"$ns2_dir/log" 2>&1 &
ns2=$!
trap 'kill $ns2 2>/dev/null; wait $ns2 2>/dev/null; _dns_exit' EXIT
trap 'kill $ns2 2>/dev/null; wait $ns2 2>/dev/null; _dns_exit; exit 130' INT TERM
n=0
until "$DNS_DRILL" -Q -p "$DNS_PORT" @127.0.0.2 stale.test SOA >/dev/null 2>&1; do
    n=$((n + 1))
    [ $n -lt 50 ] || break
    sleep 0.1
done

# run CASE [ARGS]: check one domain; output in $out, exit code in $rc
run() {
    _d=$1
    shift
    out=$(D --resolver "$DNS_SPEC" check --domain "$_d" --auth-port "$DNS_PORT" --no-dnssec "$@" 2>&1)
    rc=$?
}
has() { printf '%s\n' "$out" | grep -q -- "$1"; }
expect() { # expect NAME RC PATTERN... : exit code and each pattern (grep) in the output
    _name=$1 _rc=$2
    shift 2
    _why=
    [ "$rc" -eq "$_rc" ] || _why="exit $rc, expected $_rc"
    for _p in "$@"; do
        has "$_p" || _why="$_why; no line matching '$_p'"
    done
    if [ -z "$_why" ]; then ok "$_name"; else notok "$_name" "$_why
$out"; fi
}

# ---- cases ---------------------------------------------------------------------------
long=$("$DNS_DRILL" -p "$DNS_PORT" @127.0.0.1 "sel._domainkey.good.$Z" TXT | grep -c '" "')
run good.$Z
expect "good records: exit 0 (the 2048-bit key is served as several strings: $long)" 0 \
    "^ok: sel._domainkey.good.$Z: DKIM key record published and matching .*rsa 2048 bits" \
    "^ok: good.$Z: SPF record valid" "^ok: _dmarc.good.$Z: DMARC record published: p=reject" \
    "authoritative server ns1.$Z (127.0.0.1) serves the same 3 record sets" \
    "^ok: /etc/dkimkeys/good.$Z/sel.private: the key, and every directory above it, is safe as OpenDKIM (RequireSafeKeys) judges it" "^OK: 1 domain"
[ "$long" -ge 1 ] && ok "the good key record is split into strings of 255 octets" ||
    notok "the good key record is split into strings of 255 octets"
if has '^critical\|^warning'; then notok "good records: no warning or critical line" "$out"; else
    ok "good records: no warning or critical line"; fi

run mismatch.$Z
expect "key mismatch: critical, exit 2" 2 \
    "^critical: sel._domainkey.mismatch.$Z: the published key does not match the private key /etc/dkimkeys/mismatch.$Z/sel.private" \
    "fix: publish sel._domainkey.mismatch.$Z TXT"

run spf11.$Z
expect "SPF: 11 lookups through nested includes: permerror, critical" 2 \
    "^critical: i2.spf11.$Z: \"a:h5.spf11.$Z\" is the 11. DNS-querying term.*(SPF permerror)"

run voids.$Z
expect "SPF: a void-lookup chain (3 voids through an include): permerror" 2 \
    "^warning: vi.voids.$Z: \"a:gone1.voids.$Z\": gone1.voids.$Z has no records (a void lookup, 1 of 2" \
    "^critical: voids.$Z: \"a:gone3.voids.$Z\" is the 3. void lookup"

run loop.$Z
expect "SPF: include loop: permerror" 2 "^critical: l2.loop.$Z: \"include:loop.$Z\" loops back to loop.$Z"

run twospf.$Z
expect "SPF: two v=spf1 records: permerror" 2 "^critical: twospf.$Z: several TXT records start with v=spf1"

run rua.$Z
expect "DMARC: unauthorised external rua: warning with the record to publish, exit 1" 1 \
    "^warning: rua.$Z._report._dmarc.reports.other.test: external report destination reports.other.test" \
    "fix: the destination must publish: rua.$Z._report._dmarc.reports.other.test. TXT \"v=DMARC1\""

run ruaok.$Z
expect "DMARC: authorised external rua: ok" 0 \
    "^ok: ruaok.$Z._report._dmarc.reports.other.test: reports.other.test authorises DMARC reports for ruaok.$Z"

run twodmarc.$Z
expect "DMARC: two records: DMARC does not apply, critical" 2 \
    "^critical: _dmarc.twodmarc.$Z: several DMARC records: DMARC does not apply at all"

run cname.$Z
expect "DKIM: CNAMEd selector followed: ok" 0 \
    "^info: sel._domainkey.cname.$Z: is a CNAME; the key record was found at cname-sel.keys.$Z" \
    "^ok: sel._domainkey.cname.$Z: DKIM key record published and matching"

size=$("$DNS_DRILL" -t -p "$DNS_PORT" @127.0.0.1 "big.$Z" TXT | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
run big.$Z
expect "a TXT RRset of $size octets (over 4 KB, TCP): SPF found among 21 records, ok" 0 \
    "^ok: big.$Z: SPF record valid"
[ "${size:-0}" -gt 4096 ] && ok "the big RRset really is over 4 KB ($size octets)" ||
    notok "the big RRset really is over 4 KB" "size ${size:-?}"

run sf.test --timeout 500
expect "SERVFAIL: temperror warnings, exit 1 (not 2)" 1 \
    "^warning: sel._domainkey.sf.test: DKIM key lookup: SERVFAIL.*temperror" \
    "^warning: _dmarc.sf.test: DMARC lookup: SERVFAIL.*temperror" \
    "^warning: sf.test: .*temperror"
if has '^critical\|permerror\|does not match'; then notok "SERVFAIL: never a verdict on the records" "$out"; else
    ok "SERVFAIL: never a verdict on the records"; fi

out=$(D --resolver "127.0.0.1@$dead" check --domain good.$Z --no-dnssec --timeout 300 2>&1)
rc=$?
expect "timeout: temperror warnings, exit 1 (not 2)" 1 \
    "^warning: sel._domainkey.good.$Z: DKIM key lookup: no answer in time (timeout).*temperror" \
    "^warning: good.$Z: .*temperror"
if has '^critical\|permerror\|does not match'; then notok "timeout: never a verdict on the records" "$out"; else
    ok "timeout: never a verdict on the records"; fi

run stale.test
expect "two authoritative servers, one not updated: warning naming it, exit 1" 1 \
    "^ok: stale.test: authoritative server ns1.stale.test (127.0.0.1) serves the same 3 record sets" \
    "^warning: _dmarc.stale.test: authoritative server ns2.stale.test (127.0.0.2) serves \"v=DMARC1; p=none\", the resolver \"v=DMARC1; p=reject; rua=mailto:dmarc@stale.test\"" \
    "fix: bring ns2.stale.test up to date"
run stale.test --no-authoritative
expect "--no-authoritative: servers listed (sorted), not asked" 0 \
    "^info: stale.test: zone stale.test; authoritative servers: ns1.stale.test 127.0.0.1, ns2.stale.test 127.0.0.2$"
if has "serves the same\|serves \""; then notok "--no-authoritative: no server asked" "$out"; else
    ok "--no-authoritative: no server asked"; fi

# ---- DNSSEC in plain words, YAML, all domains ------------------------------------------
out=$(D --resolver "$DNS_SPEC" check --domain good.$Z --auth-port "$DNS_PORT" 2>&1)
rc=$?
expect "DNSSEC status reported in plain words" 0 "^info: $Z: DNSSEC unknown: "
out=$(D --resolver "$DNS_SPEC" check --all --auth-port "$DNS_PORT" --timeout 500 --format yaml 2>/dev/null)
rc=$?
if printf '%s\n' "$out" | "$PY" -c '
import sys, yaml
d = yaml.safe_load(sys.stdin)
assert d["status"] == "critical", d["status"]
names = [x["domain"] for x in d["domains"]]
assert len(names) == 13, names
sev = {x["domain"]: [f["severity"] for f in x["findings"]] for x in d["domains"]}
assert "critical" in sev["mismatch.check.test"] and "critical" not in sev["good.check.test"]
assert all(f["fix"] for x in d["domains"] for f in x["findings"] if f["severity"] in ("warning", "critical"))
# DNSSEC asked once per zone (in threads): every domain has its status line
assert all(any(f["what"].startswith("DNSSEC ") for f in x["findings"]) for x in d["domains"])
' && [ $rc -eq 2 ]; then
    ok "--all --format yaml: 13 domains, valid YAML, a fix on every warning and critical, DNSSEC per domain, exit 2"
else
    notok "--all --format yaml" "rc=$rc"
fi

# ---- key-file safety --------------------------------------------------------------------
K=$ROOT/etc/dkimkeys/good.$Z/sel.private
chmod 0644 "$K"
run good.$Z
expect "key file readable by others: critical" 2 \
    "^critical: /etc/dkimkeys/good.$Z/sel.private: unsafe key (OpenDKIM RequireSafeKeys refuses it): /etc/dkimkeys/good.$Z/sel.private can be read or written by other users (fix: chmod 0600 /etc/dkimkeys/good.$Z/sel.private)"
chmod 0600 "$K"
chmod 0757 "$ROOT/etc/dkimkeys"
run good.$Z
expect "key directory writable by others: critical" 2 \
    "^critical: /etc/dkimkeys/good.$Z/sel.private: unsafe key .*: /etc/dkimkeys is writable by other users (fix: chmod go-w /etc/dkimkeys)"
chmod 0700 "$ROOT/etc/dkimkeys"
run good.$Z
expect "key directory OpenDKIM cannot enter: critical" 2 \
    "^critical: /etc/dkimkeys/good.$Z/sel.private: OpenDKIM (user opendkim) cannot load the key: /etc/dkimkeys: opendkim cannot enter it"
chmod 0750 "$ROOT/etc/dkimkeys"
mv "$ROOT/etc/dkimkeys/good.$Z" "$ROOT/etc/dkimkeys/moved" && ln -s moved "$ROOT/etc/dkimkeys/good.$Z"
run good.$Z
expect "a symlink in the key path: critical, not followed" 2 \
    "^critical: /etc/dkimkeys/good.$Z/sel.private: unsafe key .*: /etc/dkimkeys/good.$Z is a symbolic link"
rm "$ROOT/etc/dkimkeys/good.$Z" && mv "$ROOT/etc/dkimkeys/moved" "$ROOT/etc/dkimkeys/good.$Z"

# ---- usage -------------------------------------------------------------------------------
out=$(D check --domain nosuch.test 2>&1)
rc=$?
expect "a domain not in the model: usage error" 2 "not in the model"
out=$(D check --format xml 2>&1)
rc=$?
expect "--format xml: usage error" 2 "accepted: text, yaml"
