#!/bin/sh
# keys_records.sh - dkimctl keygen + records through the real binary, checked
# against independent tools: openssl (p= of the key file), ldns-read-zone (zone
# syntax and 255-byte strings), opendkim-testkey (OpenDKIM loads the PKCS#8 RSA
# key and it matches the record, served by libunbound from our zone text) and
# a real opendkim milter signing a message with each key (RequireSafeKeys on,
# running as the opendkim user), verified by dkimpy against our record.
. tests/lib.sh
mkscratch
PY=/usr/bin/python3

# A key path OpenDKIM can judge safe needs safe parents all the way up, which
# /tmp (mode 1777) is not: as root, work below /run instead.
base=
odpid=
cleanup() {
    if [ -n "$odpid" ]; then kill "$odpid" 2>/dev/null; wait "$odpid" 2>/dev/null; fi
    rm -rf "$SCRATCH"
    [ -n "$base" ] && rm -rf "$base"
}
trap cleanup EXIT INT TERM
if is_root && base=$(mktemp -d /run/dkimctl-keys.XXXXXX 2>/dev/null); then
    safe_parents=1
    chmod 0755 "$base"
else
    base=
    safe_parents=0
fi
ROOT=${base:-$SCRATCH}/root
mkdir -p "$ROOT" && cp -R tests/sandbox/. "$ROOT"/ && chmod 0755 "$ROOT"
# the root's OpenDKIM user is this host's, so the host's opendkim can read the keys
have_odk_user=0
if getent passwd opendkim >/dev/null 2>&1; then
    have_odk_user=1
    { grep -v '^opendkim:' "$ROOT/etc/passwd"; getent passwd opendkim; } >"$SCRATCH/p" &&
        cat "$SCRATCH/p" >"$ROOT/etc/passwd"
    { grep -v '^opendkim:' "$ROOT/etc/group"; getent group opendkim; } >"$SCRATCH/g" &&
        cat "$SCRATCH/g" >"$ROOT/etc/group"
fi
odk_uid=$(awk -F: '$1 == "opendkim" { print $3 }' "$ROOT/etc/passwd")
odk_gid=$(awk -F: '$1 == "opendkim" { print $4 }' "$ROOT/etc/passwd")
D() { "$DKIMCTL" --root "$ROOT" "$@"; }
KORG=$ROOT/etc/dkimkeys/example.org/s1.private
KNET=$ROOT/etc/dkimkeys/example.net/e1.private

check "init example.org (rsa)" D init --domain example.org --selector s1 >/dev/null 2>&1
check "init example.net (ed25519)" D init --domain example.net --selector e1 --algorithm ed25519 >/dev/null 2>&1

# ---- keygen ---------------------------------------------------------------------
D keygen >"$SCRATCH/kg.out" 2>"$SCRATCH/kg.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^created  *example.org s1 ' "$SCRATCH/kg.err" &&
    grep -q '^created  *example.net e1 ' "$SCRATCH/kg.err"; then
    ok "keygen creates the two missing keys"
else
    notok "keygen creates the two missing keys" "rc=$rc: $(cat "$SCRATCH/kg.err")"
fi
if grep -q '^s1\._domainkey\.example\.org\. 3600 IN TXT ( "v=DKIM1; k=rsa; "' "$SCRATCH/kg.out" &&
    grep -q '^e1\._domainkey\.example\.net\. 3600 IN TXT "v=DKIM1; k=ed25519; p=' "$SCRATCH/kg.out"; then
    ok "keygen prints the DKIM records of the new keys"
else
    notok "keygen prints the DKIM records of the new keys" "$(cat "$SCRATCH/kg.out")"
fi
for k in "$KORG" "$KNET"; do
    m=$(stat -c %a "$k" 2>/dev/null)
    [ "$m" = 600 ] && ok "key ${k#"$ROOT"} is 0600" || notok "key ${k#"$ROOT"} is 0600" "mode $m"
    head -1 "$k" | grep -qx -- '-----BEGIN PRIVATE KEY-----' &&
        ok "key ${k#"$ROOT"} is PKCS#8 PEM" || notok "key ${k#"$ROOT"} is PKCS#8 PEM"
    if is_root; then
        o=$(stat -c %u:%g "$k")
        [ "$o" = "$odk_uid:$odk_gid" ] && ok "key ${k#"$ROOT"} belongs to the OpenDKIM user" ||
            notok "key ${k#"$ROOT"} belongs to the OpenDKIM user" "owner $o, want $odk_uid:$odk_gid"
        d=$(stat -c %a:%u:%g "$(dirname "$k")")
        [ "$d" = "750:0:$odk_gid" ] && ok "key directory is 0750 root:opendkim" ||
            notok "key directory is 0750 root:opendkim" "$d"
    else
        skip "key owner" "not root"
        skip "key directory owner" "not root"
    fi
done

# ---- p= against openssl ----------------------------------------------------------------
D records --format plain >"$SCRATCH/plain" 2>"$SCRATCH/plain.err"
rc=$?
[ $rc -eq 0 ] && ok "records --format plain" || notok "records --format plain" "rc=$rc $(cat "$SCRATCH/plain.err")"
pval() { awk -F '\t' -v n="$1" '$1 == n && $2 == "TXT" { print $3 }' "$SCRATCH/plain"; }
p_of() { pval "$1" | sed -n 's/.*; p=//p'; }
want=$(openssl pkey -in "$KORG" -pubout -outform DER | base64 -w0)
got=$(p_of s1._domainkey.example.org)
[ -n "$want" ] && [ "$got" = "$want" ] && ok "rsa p= equals openssl pkey -pubout DER (SPKI)" ||
    notok "rsa p= equals openssl pkey -pubout DER (SPKI)" "got '$got' want '$want'"
want=$(openssl pkey -in "$KNET" -pubout -outform DER | tail -c 32 | base64 -w0)
got=$(p_of e1._domainkey.example.net)
[ ${#want} -eq 44 ] && [ "$got" = "$want" ] && ok "ed25519 p= is the raw 32-byte key (RFC 8463)" ||
    notok "ed25519 p= is the raw 32-byte key (RFC 8463)" "got '$got' want '$want'"
[ "$(pval example.org)" = "v=spf1 mx ~all" ] && ok "SPF record" || notok "SPF record" "$(pval example.org)"
pval _dmarc.example.org | grep -q '^v=DMARC1; p=none' && ok "DMARC record" || notok "DMARC record"

# ---- zone text through a real parser ------------------------------------------------------
D records --format zone >"$SCRATCH/zone" 2>/dev/null
if ldns-read-zone "$SCRATCH/zone" >"$SCRATCH/zone.ldns" 2>"$SCRATCH/ldns.err"; then
    ok "ldns-read-zone parses the zone output"
else
    notok "ldns-read-zone parses the zone output" "$(cat "$SCRATCH/ldns.err")"
fi
joined=$(awk -F '\t' '$1 == "s1._domainkey.example.org." && $4 == "TXT" { print $5 }' "$SCRATCH/zone.ldns" |
    sed 's/^"//; s/"$//; s/" "//g')
nstr=$(awk -F '\t' '$1 == "s1._domainkey.example.org." && $4 == "TXT" { print $5 }' "$SCRATCH/zone.ldns" |
    grep -o '"[^"]*"' | wc -l)
[ "$joined" = "$(pval s1._domainkey.example.org)" ] && [ "$nstr" -ge 2 ] &&
    ok "zone strings ($nstr) concatenate to the plain value" ||
    notok "zone strings concatenate to the plain value" "$nstr strings: $joined"
D records --format nsupdate >"$SCRATCH/nsu" 2>/dev/null
[ "$(grep -c '^update add ' "$SCRATCH/nsu")" -eq 6 ] && [ "$(grep -c '^send$' "$SCRATCH/nsu")" -eq 2 ] &&
    ok "nsupdate: 6 update lines, one send per domain" || notok "nsupdate output" "$(cat "$SCRATCH/nsu")"

# ---- no replacement without --force --------------------------------------------------------------
sum1=$(sha256sum "$KORG" "$KNET")
D keygen >"$SCRATCH/kg2.out" 2>"$SCRATCH/kg2.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$SCRATCH/kg2.out" ] && [ "$(sha256sum "$KORG" "$KNET")" = "$sum1" ] &&
    ok "second keygen changes nothing" || notok "second keygen changes nothing" "rc=$rc"
D keygen --force >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(sha256sum "$KORG" "$KNET")" = "$sum1" ] &&
    ok "--force without --selector is refused" || notok "--force without --selector is refused" "rc=$rc"
old_p=$(p_of s1._domainkey.example.org)
D keygen --force --domain example.org --selector s1 >/dev/null 2>&1
rc=$?
new_p=$(D records --format plain --domain example.org 2>/dev/null | awk -F '\t' '$1 == "s1._domainkey.example.org" { print $3 }' | sed 's/.*; p=//')
want=$(openssl pkey -in "$KORG" -pubout -outform DER | base64 -w0)
[ $rc -eq 0 ] && [ "$new_p" != "$old_p" ] && [ "$new_p" = "$want" ] && [ "$(stat -c %a "$KORG")" = 600 ] &&
    ok "--force --selector replaces the key (new p= matches openssl, still 0600)" ||
    notok "--force --selector replaces the key" "rc=$rc"
[ "$(ls -A "$(dirname "$KORG")")" = s1.private ] && ok "no temporary file left behind" ||
    notok "no temporary file left behind" "$(ls -A "$(dirname "$KORG")")"

# ---- a symlink planted at a key path --------------------------------------------------------------
printf 'precious\n' >"$SCRATCH/victim"
rm -f "$KNET" && ln -s "$SCRATCH/victim" "$KNET"
D keygen >/dev/null 2>"$SCRATCH/sym.err"
rc=$?
[ $rc -ne 0 ] && [ "$(cat "$SCRATCH/victim")" = precious ] && [ -L "$KNET" ] &&
    ok "symlink at the key path refused, target untouched" ||
    notok "symlink at the key path refused, target untouched" "rc=$rc $(cat "$SCRATCH/sym.err")"
rm -f "$KNET"
D records --format plain >"$SCRATCH/miss" 2>"$SCRATCH/miss.err"
rc=$?
[ $rc -eq 1 ] && grep -q 'e1: no key file' "$SCRATCH/miss.err" && ! grep -q '^e1\.' "$SCRATCH/miss" &&
    ok "records: a missing key is reported and left out (exit 1)" ||
    notok "records: a missing key is reported and left out" "rc=$rc"
D keygen --domain example.net >/dev/null 2>&1 && [ -f "$KNET" ] && [ ! -L "$KNET" ] &&
    ok "keygen --domain remakes it" || notok "keygen --domain remakes it"
D records --format plain >"$SCRATCH/plain" 2>/dev/null
D records --format zone >"$SCRATCH/zone" 2>/dev/null
ldns-read-zone "$SCRATCH/zone" >"$SCRATCH/zone.ldns" 2>/dev/null

# ---- OpenDKIM reads the keys ------------------------------------------------------------------------
# files the opendkim user must read live where it can read them
W=${base:-$SCRATCH}/work
mkdir -p "$W" && chmod 0755 "$W"
# as the opendkim user when there is one and the parents are safe: then
# OpenDKIM's own key-safety check (dkimf_securefile) judges our files
as_odk=
[ "$safe_parents" -eq 1 ] && [ "$have_odk_user" -eq 1 ] && command -v runuser >/dev/null 2>&1 &&
    as_odk="runuser -u opendkim --"
# DNS for OpenDKIM: libunbound serving our zone text as local data
ubconf=$W/unbound.conf
{
    echo 'server:'
    echo '  local-zone: "example.org." static'
    echo '  local-zone: "example.net." static'
    while IFS= read -r l; do printf "  local-data: '%s'\n" "$l"; done <"$SCRATCH/zone.ldns"
} >"$ubconf"
chmod 0644 "$ubconf"
if command -v opendkim-testkey >/dev/null 2>&1; then
    printf 'ResolverConfiguration %s\n' "$ubconf" >"$W/testkey.conf"
    chmod 0644 "$W/testkey.conf"
    out=$($as_odk opendkim-testkey -x "$W/testkey.conf" -d example.org -s s1 -k "$KORG" -vvv 2>&1)
    rc=$?
    [ $rc -eq 0 ] && echo "$out" | grep -q 'key OK' && ok "opendkim-testkey: PKCS#8 RSA key matches the record" ||
        notok "opendkim-testkey: PKCS#8 RSA key matches the record" "rc=$rc $out"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/other.pem" 2>/dev/null
    chmod 0644 "$W/other.pem"
    out=$($as_odk opendkim-testkey -x "$W/testkey.conf" -d example.org -s s1 -k "$W/other.pem" 2>&1)
    rc=$?
    [ $rc -ne 0 ] && echo "$out" | grep -q 'do not match' && ok "opendkim-testkey: another key does not match" ||
        notok "opendkim-testkey: another key does not match" "rc=$rc $out"
else
    skip "opendkim-testkey" "opendkim-tools not installed"
    skip "opendkim-testkey negative" "opendkim-tools not installed"
fi

# A real opendkim signs a message with each key; dkimpy verifies it against our record.
signs=0
sign_with() { # sign_with DOMAIN SELECTOR KEY ALGORITHM TXTVALUE
    signs=$((signs + 1))
    port=$((20000 + ($$ % 5000) * 8 + signs))
    w=$W/od-$2
    mkdir -p "$w" && chmod 0755 "$w"
    printf '%s._domainkey.%s %s:%s:%s\n' "$2" "$1" "$1" "$2" "$3" >"$w/KeyTable"
    printf '*@%s %s._domainkey.%s\n' "$1" "$2" "$1" >"$w/SigningTable"
    {
        echo "Syslog no"
        echo "Mode s"
        echo "Canonicalization relaxed/simple"
        echo "SignatureAlgorithm $4"
        echo "KeyTable file:$w/KeyTable"
        echo "SigningTable refile:$w/SigningTable"
        echo "Socket inet:$port@127.0.0.1"
        echo "ResolverConfiguration $ubconf"
        if [ "$safe_parents" -eq 1 ] && [ "$have_odk_user" -eq 1 ]; then
            echo "UserID opendkim"
            echo "RequireSafeKeys yes"
        else
            echo "RequireSafeKeys no"
        fi
    } >"$w/opendkim.conf"
    chmod 0644 "$w"/*
    opendkim -f -x "$w/opendkim.conf" >"$w/log" 2>&1 &
    odpid=$!
    i=0
    while [ $i -lt 50 ] && ! ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port "; do
        sleep 0.1
        i=$((i + 1))
    done
    $PY tests/integration/keys_milter.py 127.0.0.1 "$port" "$1" "$2._domainkey.$1" "$5" >"$w/client" 2>&1
    src=$?
    kill "$odpid" 2>/dev/null
    wait "$odpid" 2>/dev/null
    odpid=
    cat "$w/client" "$w/log" | sed 's/^/# /'
    return $src
}
if command -v opendkim >/dev/null 2>&1 && $PY -c 'import dkim, nacl' 2>/dev/null; then
    [ "$safe_parents" -eq 1 ] && [ "$have_odk_user" -eq 1 ] && how="as user opendkim, RequireSafeKeys yes" ||
        how="RequireSafeKeys no: key path not under safe parents"
    if sign_with example.org s1 "$KORG" rsa-sha256 "$(pval s1._domainkey.example.org)"; then
        ok "opendkim signs with the RSA key ($how); dkimpy verifies with our record"
    else
        notok "opendkim signs with the RSA key ($how); dkimpy verifies with our record"
    fi
    if sign_with example.net e1 "$KNET" ed25519-sha256 "$(pval e1._domainkey.example.net)"; then
        ok "opendkim signs with the Ed25519 key ($how); dkimpy verifies with our record"
    else
        notok "opendkim signs with the Ed25519 key ($how); dkimpy verifies with our record"
    fi
    # OpenDKIM's own key-safety check is on: a key directory writable by others
    # makes it refuse the key (the same rule keygen applies)
    if [ "$safe_parents" -eq 1 ] && [ "$have_odk_user" -eq 1 ]; then
        chmod o+w "$(dirname "$KNET")"
        sign_with example.net e1 "$KNET" ed25519-sha256 "$(pval e1._domainkey.example.net)" >"$W/unsafe"
        rc=$?
        sum=$(sha256sum "$KNET")
        D keygen --force --domain example.net --selector e1 >/dev/null 2>"$W/unsafe.kg"
        krc=$?
        chmod o-w "$(dirname "$KNET")"
        cat "$W/unsafe"
        [ $rc -ne 0 ] && ! grep -q '^# signature:' "$W/unsafe" &&
            ok "RequireSafeKeys: opendkim refuses the key below an o+w directory" ||
            notok "RequireSafeKeys: opendkim refuses the key below an o+w directory" "rc=$rc"
        [ $krc -ne 0 ] && grep -q 'writable by group or others' "$W/unsafe.kg" &&
            [ "$(sha256sum "$KNET")" = "$sum" ] &&
            ok "keygen --force refuses the same directory, key untouched" ||
            notok "keygen --force refuses the same directory" "rc=$krc $(cat "$W/unsafe.kg")"
    else
        skip "RequireSafeKeys refusal" "not root or no opendkim user"
    fi
    # the check can fail: a record with another key does not verify
    other=$(openssl genpkey -algorithm ED25519 -outform DER 2>/dev/null | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | base64 -w0)
    sign_with example.net e1 "$KNET" ed25519-sha256 "v=DKIM1; k=ed25519; p=$other" >"$W/neg"
    rc=$?
    [ $rc -eq 1 ] && grep -q 'verify: fail' "$W/neg" && ok "a record with another Ed25519 key fails verification" ||
        notok "a record with another Ed25519 key fails verification" "rc=$rc $(cat "$W/neg")"
else
    skip "opendkim signing (rsa)" "opendkim or python3-dkim/nacl missing"
    skip "opendkim signing (ed25519)" "opendkim or python3-dkim/nacl missing"
    skip "opendkim signing (negative)" "opendkim or python3-dkim/nacl missing"
fi
