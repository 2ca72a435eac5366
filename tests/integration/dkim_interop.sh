#!/bin/sh
# dkim_interop.sh - dkimctl sign/verify against the real peers (dkimpy,
# Mail::DKIM, OpenDKIM) with the keys served by unbound on loopback.
#   1. messages signed by dkimctl (rsa-sha256, ed25519-sha256) verify with
#      dkimpy, Mail::DKIM (rsa only: it has no ed25519) and opendkim -t;
#   2. messages signed by dkimpy, Mail::DKIM and opendkim -t verify with
#      `dkimctl verify --resolver 127.0.0.1@PORT`;
#   3. tampered copies fail everywhere; unknown selectors are permerror.
# Keys are made with openssl in a scratch directory at test time.
. tests/lib.sh
. tests/integration/dnsserver.sh

PY=/usr/bin/python3
need() { command -v "$1" >/dev/null 2>&1; }
if ! need openssl || ! need opendkim || ! need perl || [ ! -x "$PY" ] || [ ! -x "$DNS_UNBOUND" ] ||
    ! "$PY" -c 'import dkim, dns.resolver' 2>/dev/null ||
    ! perl -MMail::DKIM::Verifier -MNet::DNS -e 1 2>/dev/null; then
    skip "dkim_interop" "needs openssl, opendkim, python3-dkim, python3-dnspython, libmail-dkim-perl, unbound"
    exit 0
fi

mkscratch
S=$SCRATCH
mkdir -p "$S/in" "$S/ours" "$S/peers" "$S/bad"

# ---- keys and zone ------------------------------------------------------------
openssl genrsa -out "$S/rsa.pem" 2048 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$S/ed.pem" 2>/dev/null
chmod 600 "$S/rsa.pem" "$S/ed.pem"
rsa_p=$(openssl pkey -in "$S/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
# Ed25519: the raw 32-byte key is the end of the 44-byte SPKI; seed for dkimpy
ed_p=$(openssl pkey -in "$S/ed.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
ed_seed=$(openssl pkey -in "$S/ed.pem" -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
dns_init "$S/dns"
dns_zone example.test
dns_txt rsa._domainkey.example.test "v=DKIM1; k=rsa; p=$rsa_p"
dns_txt ed._domainkey.example.test "v=DKIM1; k=ed25519; p=$ed_p"
if ! dns_start; then
    notok "dkim_interop: unbound did not start"
    exit 1
fi
ok "unbound serving the keys on $DNS_SPEC (rsa record split into 255-octet strings)"

# ---- messages: realistic shapes, CRLF --------------------------------------------
crlf() { sed 's/$/\r/'; }
crlf >"$S/in/plain.eml" <<'M'
Return-Path: <joe@example.test>
Received: from mail.example.test (mail.example.test [192.0.2.1])
	by mx.example.net with ESMTPS; Fri, 27 Nov 2026 10:00:00 +0000
From: Joe SixPack <joe@example.test>
To: Suzie Q <suzie@example.net>,
 Bob <bob@example.net>
Subject: =?UTF-8?Q?Is_dinner_ready=3F?=
Date: Fri, 27 Nov 2026 10:00:00 +0000
Message-ID: <plain.1@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hi.

We lost the game.  Are you hungry yet?   
Trailing tabs		
Ünïcödé line

Joe.


M
crlf >"$S/in/multi.eml" <<'M'
From: joe@example.test
To: suzie@example.net
Cc: team@example.net
Subject: A rather long subject line that goes on and on so that it is folded
 onto a second line by the sender
Date: Fri, 27 Nov 2026 10:01:00 +0000
Message-ID: <multi.2@example.test>
References: <a@example.test> <b@example.test>
 <c@example.test>
In-Reply-To: <c@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

Body part one.
--b1
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4
OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx
--b1--
M
printf 'From: joe@example.test\r\nTo: x@example.net\r\nSubject: no final newline\r\n\r\nlast line without CRLF' >"$S/in/nonl.eml"
printf 'From: joe@example.test\r\nTo: x@example.net\r\nSubject: empty body\r\n\r\n' >"$S/in/empty.eml"
msgs="plain multi nonl empty"
# A body without a final CRLF (nonl) is a file-only case (SMTP always ends
# in CRLF).  RFC 6376 3.4.3/3.4.4 add the CRLF, as dkimpy and dkimctl do;
# Mail::DKIM drops the unterminated line and `opendkim -t` reads it
# differently, so the peers other than dkimpy get the other messages.
pmsgs="plain multi empty"

# ---- 1. dkimctl signs; the peers verify ---------------------------------------------
for alg in rsa ed; do
    a=rsa-sha256
    [ $alg = ed ] && a=ed25519-sha256
    mkdir -p "$S/ours/$alg"
    for canon in relaxed/simple simple/simple relaxed/relaxed simple/relaxed; do
        c=$(echo "$canon" | tr / -)
        mkdir -p "$S/ours/$alg/$c"
        if ! "$DKIMCTL" sign --domain example.test --selector $alg --key "$S/$alg.pem" \
            --algorithm $a --canon "$canon" --out "$S/ours/$alg/$c" \
            $(for m in $msgs; do echo "$S/in/$m.eml"; done) 2>"$S/err"; then
            notok "dkimctl sign $a $canon" "$(cat "$S/err")"
        fi
    done
done
[ "$(ls "$S"/ours/*/*/*.eml | wc -l)" -eq 32 ] && ok "dkimctl signed 4 messages x 2 algorithms x 4 canonicalizations" ||
    notok "dkimctl signed 4 messages x 2 algorithms x 4 canonicalizations" "$(ls -R "$S/ours")"

cat >"$S/pyverify.py" <<'P'
import sys, dkim, dns.resolver
res = dns.resolver.Resolver(configure=False)
res.nameservers = ["127.0.0.1"]
res.port = int(sys.argv[1])
def dnsfunc(name, timeout=5):
    try:
        a = res.resolve(name.decode().rstrip("."), "TXT", lifetime=timeout)
    except Exception:
        return None
    return b"".join(b"".join(r.strings) for r in a)
bad = 0
for f in sys.argv[2:]:
    ok = dkim.verify(open(f, "rb").read(), dnsfunc=dnsfunc)
    print(f, ok)
    bad += not ok
sys.exit(1 if bad else 0)
P
cat >"$S/plverify.pl" <<'P'
use strict; use warnings;
use Mail::DKIM::Verifier; use Net::DNS;
my $port = shift;
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(nameservers => ['127.0.0.1'], port => $port,
    recurse => 1, udp_timeout => 5, tcp_timeout => 5));
my $bad = 0;
for my $f (@ARGV) {
    my $v = Mail::DKIM::Verifier->new;
    open my $fh, '<', $f or die "$f: $!";
    binmode $fh;
    while (<$fh>) { s/\r?\n\z/\r\n/; $v->PRINT($_); }
    $v->CLOSE;
    print "$f: ", $v->result_detail, "\n";
    $bad++ unless $v->result eq 'pass';
}
exit($bad ? 1 : 0);
P
# opendkim through libunbound (it never asks 127.0.0.1 unless told)
cat >"$S/ub.conf" <<U
server:
    do-ip6: no
    do-not-query-localhost: no
    local-zone: "test." nodefault
forward-zone:
    name: "example.test."
    forward-addr: 127.0.0.1@$DNS_PORT
U
printf 'Mode v\nSyslog no\nResolverConfiguration %s\n' "$S/ub.conf" >"$S/odkim-v.conf"
odkim_verify() { # DIR: the $pmsgs messages there must verify
    _list=$(for m in $pmsgs; do printf '%s.eml\n' $m; done | paste -sd, -)
    (cd "$1" && opendkim -x "$S/odkim-v.conf" -t "$_list") >"$S/odkim.out" 2>&1
    [ "$(grep -c ': verification (.*) succeeded$' "$S/odkim.out")" -eq 3 ]
}

for alg in rsa ed; do
    for d in "$S"/ours/$alg/*; do
        c=$(basename "$d")
        if "$PY" "$S/pyverify.py" "$DNS_PORT" "$d"/*.eml >"$S/out" 2>&1; then
            ok "dkimpy verifies dkimctl $alg $c"
        else
            notok "dkimpy verifies dkimctl $alg $c" "$(cat "$S/out")"
        fi
        if odkim_verify "$d"; then
            ok "opendkim -t verifies dkimctl $alg $c"
        else
            notok "opendkim -t verifies dkimctl $alg $c" "$(cat "$S/odkim.out")"
        fi
        if [ $alg = rsa ]; then
            if perl "$S/plverify.pl" "$DNS_PORT" $(for m in $pmsgs; do echo "$d/$m.eml"; done) >"$S/out" 2>&1; then
                ok "Mail::DKIM verifies dkimctl $alg $c"
            else
                notok "Mail::DKIM verifies dkimctl $alg $c" "$(cat "$S/out")"
            fi
        fi
        if "$DKIMCTL" verify --resolver "$DNS_SPEC" "$d"/*.eml >"$S/out" 2>&1; then
            ok "dkimctl verifies its own $alg $c"
        else
            notok "dkimctl verifies its own $alg $c" "$(cat "$S/out")"
        fi
    done
done

# the global --resolver is honoured too; stdin is '-'
if "$DKIMCTL" --resolver "$DNS_SPEC" verify - <"$S/ours/ed/relaxed-simple/plain.eml" >"$S/out" 2>&1 &&
    grep -q '^-: dkim=pass header.d=example.test header.s=ed header.a=ed25519-sha256 (' "$S/out"; then
    ok "verify reads stdin with the global --resolver"
else
    notok "verify reads stdin with the global --resolver" "$(cat "$S/out")"
fi
# stdin to stdout signing
if "$DKIMCTL" sign --domain example.test --selector rsa --key "$S/rsa.pem" <"$S/in/plain.eml" >"$S/stdin.eml" &&
    "$PY" "$S/pyverify.py" "$DNS_PORT" "$S/stdin.eml" >"$S/out" 2>&1; then
    ok "sign from stdin to stdout verifies with dkimpy"
else
    notok "sign from stdin to stdout verifies with dkimpy" "$(cat "$S/out")"
fi

# names that could reach a path, a table or a query are refused up front
for bad in 'a b.test' 'a:b.test' 'a#b.test' 'a%b.test' 'a/b.test' 'a..test' "$(printf 'a\nb.test')"; do
    "$DKIMCTL" sign --domain "$bad" --selector rsa --key "$S/rsa.pem" "$S/in/plain.eml" >"$S/out" 2>&1
    rc=$?
    "$DKIMCTL" sign --domain example.test --selector "$bad" --key "$S/rsa.pem" "$S/in/plain.eml" >>"$S/out" 2>&1
    rc2=$?
    if [ $rc -ne 2 ] || [ $rc2 -ne 2 ] || grep -q '^DKIM-Signature' "$S/out"; then
        notok "sign refuses domain/selector '$bad'" "rc=$rc/$rc2 $(cat "$S/out")"
    fi
done
ok "sign refuses domains and selectors with space, ':', '#', '%', '/', '..' or newline (exit 2)"
# an LF-only file: the signed copy keeps LF line ends and verifies
tr -d '\r' <"$S/in/plain.eml" >"$S/lf.eml"
mkdir -p "$S/lfout"
if "$DKIMCTL" sign --domain example.test --selector ed --key "$S/ed.pem" --algorithm ed25519-sha256 \
    --out "$S/lfout" "$S/lf.eml" && ! grep -q "$(printf '\r')" "$S/lfout/lf.eml" &&
    "$DKIMCTL" verify --resolver "$DNS_SPEC" "$S/lfout/lf.eml" >"$S/out" 2>&1; then
    ok "an LF-only message is signed with LF line ends and verifies"
else
    notok "an LF-only message is signed with LF line ends and verifies" "$(cat "$S/out")"
fi

# ---- 2. the peers sign; dkimctl verifies ----------------------------------------------
cat >"$S/pysign.py" <<'P'
import sys, dkim
alg, sel, keyfile, out = sys.argv[1:5]
key = open(keyfile, "rb").read().strip()
for f in sys.argv[5:]:
    m = open(f, "rb").read()
    sig = dkim.sign(m, sel.encode(), b"example.test", key,
                    canonicalize=(b"relaxed", b"simple"),
                    signature_algorithm=b"ed25519-sha256" if alg == "ed" else b"rsa-sha256",
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    open(out + "/" + f.rsplit("/", 1)[1], "wb").write(sig + m)
P
cat >"$S/plsign.pl" <<'P'
use strict; use warnings;
use Mail::DKIM::Signer;
my ($key, $out, @files) = @ARGV;
for my $f (@files) {
    my $s = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => 'relaxed/simple',
        Domain => 'example.test', Selector => 'rsa', KeyFile => $key);
    open my $fh, '<', $f or die; binmode $fh;
    my $m = do { local $/; <$fh> };
    for my $l (split /(?<=\n)/, $m) { $s->PRINT($l); }
    $s->CLOSE;
    (my $b = $f) =~ s{.*/}{};
    open my $o, '>', "$out/$b" or die; binmode $o;
    print $o $s->signature->as_string, "\r\n", $m;
}
P
mkdir -p "$S/peers/dkimpy-rsa" "$S/peers/dkimpy-ed" "$S/peers/maildkim-rsa" "$S/peers/opendkim-rsa" "$S/peers/opendkim-ed"
set -- $(for m in $msgs; do echo "$S/in/$m.eml"; done)
printf '%s' "$ed_seed" >"$S/ed.seed"
"$PY" "$S/pysign.py" rsa rsa "$S/rsa.pem" "$S/peers/dkimpy-rsa" "$@" &&
    "$PY" "$S/pysign.py" ed ed "$S/ed.seed" "$S/peers/dkimpy-ed" "$@" ||
    notok "dkimpy signs"
set -- $(for m in $pmsgs; do echo "$S/in/$m.eml"; done)
perl "$S/plsign.pl" "$S/rsa.pem" "$S/peers/maildkim-rsa" "$@" || notok "Mail::DKIM signs"
for alg in rsa ed; do
    a=rsa-sha256
    [ $alg = ed ] && a=ed25519-sha256
    printf 'Mode s\nSyslog no\nDomain example.test\nSelector %s\nKeyFile %s\nRequireSafeKeys no\nCanonicalization relaxed/simple\nSignatureAlgorithm %s\nOversignHeaders From\n' \
        $alg "$S/$alg.pem" $a >"$S/odkim-s-$alg.conf"
    for m in $pmsgs; do
        # test mode prints the field (line ends as in the input); put it in
        # front of the message
        (cd "$S/in" && opendkim -x "$S/odkim-s-$alg.conf" -t "$m.eml") >"$S/osig" 2>&1
        sed -n '/^DKIM-Signature:/,$p' "$S/osig" | sed 's/\r*$/\r/' >"$S/peers/opendkim-$alg/$m.eml"
        cat "$S/in/$m.eml" >>"$S/peers/opendkim-$alg/$m.eml"
    done
done
for d in "$S"/peers/*; do
    name=$(basename "$d")
    n=$(ls "$d"/*.eml 2>/dev/null | wc -l)
    if [ "$n" -ge 3 ] && "$DKIMCTL" verify --resolver "$DNS_SPEC" "$d"/*.eml >"$S/out" 2>&1 &&
        [ "$(grep -c ': dkim=pass header.d=example.test ' "$S/out")" -eq "$n" ]; then
        ok "dkimctl verifies $n messages signed by $name"
    else
        notok "dkimctl verifies messages signed by $name" "$(cat "$S/out")"
    fi
done

# ---- 3. tampered copies fail ----------------------------------------------------------
for f in "$S"/peers/*/plain.eml "$S"/ours/*/relaxed-simple/plain.eml; do
    t="$S/bad/$(basename "$(dirname "$f")")-$(basename "$(dirname "$(dirname "$f")")").eml"
    sed 's/hungry/Hungry/' "$f" >"$t"
done
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$S"/bad/*.eml >"$S/out" 2>&1
rc=$?
nbad=$(ls "$S"/bad/*.eml | wc -l)
if [ $rc -eq 1 ] && [ "$(grep -c ': dkim=fail .*(body hash did not verify)' "$S/out")" -eq "$nbad" ]; then
    ok "dkimctl rejects $nbad tampered copies (exit 1)"
else
    notok "dkimctl rejects $nbad tampered copies (exit 1)" "rc=$rc $(cat "$S/out")"
fi
if "$PY" "$S/pyverify.py" "$DNS_PORT" "$S"/bad/*.eml >"$S/out" 2>&1; then
    notok "dkimpy rejects the tampered copies" "$(cat "$S/out")"
else
    [ "$(grep -c ' True$' "$S/out")" -eq 0 ] && ok "dkimpy rejects the tampered copies" ||
        notok "dkimpy rejects the tampered copies" "$(cat "$S/out")"
fi
# header tampering: an extra From above the signed one
sed '1,/^From:/s/^From:/From: evil@attacker.example\r\nFrom:/' "$S/ours/rsa/relaxed-simple/plain.eml" >"$S/bad2.eml"
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$S/bad2.eml" >"$S/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'dkim=fail' "$S/out" && ok "an added From fails" ||
    notok "an added From fails" "rc=$rc $(cat "$S/out")"
# unknown selector: NXDOMAIN from the real server is permerror
sed 's/s=rsa;/s=nokey;/' "$S/ours/rsa/relaxed-simple/plain.eml" >"$S/nokey.eml"
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$S/nokey.eml" >"$S/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'dkim=permerror header.d=example.test header.s=nokey' "$S/out" &&
    ok "a selector without a key is permerror" || notok "a selector without a key is permerror" "rc=$rc $(cat "$S/out")"
# no signature: none, exit 1; unreadable file: exit 2
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$S/in/plain.eml" >"$S/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q ': dkim=none (no signature)$' "$S/out" && ok "an unsigned message is dkim=none, exit 1" ||
    notok "an unsigned message is dkim=none, exit 1" "rc=$rc $(cat "$S/out")"
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$S/missing.eml" >"$S/out" 2>&1
rc=$?
[ $rc -eq 2 ] && ok "a missing file is exit 2" || notok "a missing file is exit 2" "rc=$rc"
# a dead resolver is temperror
dead=$(dns_free_port)
"$DKIMCTL" verify --resolver "127.0.0.1@$dead" "$S/ours/ed/relaxed-simple/plain.eml" >"$S/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'dkim=temperror' "$S/out" && ok "no DNS answer is temperror" ||
    notok "no DNS answer is temperror" "rc=$rc $(cat "$S/out")"
# --stats: one summary line whose counts match the results
good="$S/ours/rsa/relaxed-simple/plain.eml"
"$DKIMCTL" verify --stats --resolver "$DNS_SPEC" "$good" "$S/bad2.eml" "$S/in/plain.eml" "$S/missing.eml" \
    >"$S/out" 2>"$S/err"
rc=$?
last=$(tail -n 1 "$S/out")
if [ $rc -eq 2 ] && [ "$(wc -l <"$S/out")" -eq 4 ] &&
    echo "$last" | grep -Eq '^verify: n=4 ok=1 fail=3 loop_s=[0-9]+\.[0-9]{4} msgs_per_s=[0-9.]+$'; then
    ok "verify --stats counts 4 messages, 1 passing, after the result lines"
else
    notok "verify --stats counts 4 messages, 1 passing" "rc=$rc $(cat "$S/out" "$S/err")"
fi
"$DKIMCTL" verify --resolver "$DNS_SPEC" "$good" >"$S/out" 2>&1
[ "$(wc -l <"$S/out")" -eq 1 ] && ! grep -q 'loop_s=' "$S/out" && ok "verify without --stats prints no summary" ||
    notok "verify without --stats prints no summary" "$(cat "$S/out")"
printf 'Subject: no From\r\n\r\nbody\r\n' >"$S/nofrom.eml"
"$DKIMCTL" sign --stats --domain example.test --selector rsa --key "$S/rsa.pem" --sigs "$S/sigs.txt" \
    "$S/in/plain.eml" "$S/nofrom.eml" "$S/in/plain.eml" >"$S/out" 2>"$S/err"
rc=$?
if [ $rc -eq 1 ] && grep -Eq '^sign: n=3 ok=2 fail=1 loop_s=[0-9.]+ msgs_per_s=[0-9.]+$' "$S/out" &&
    [ "$(grep -c '^# plain.eml$' "$S/sigs.txt")" -eq 2 ]; then
    ok "sign --stats --sigs: n=3 ok=2 fail=1 on stdout"
else
    notok "sign --stats --sigs: n=3 ok=2 fail=1 on stdout" "rc=$rc $(cat "$S/out" "$S/err")"
fi
"$DKIMCTL" sign --stats --domain example.test --selector rsa --key "$S/rsa.pem" <"$S/in/plain.eml" \
    >"$S/stdin2.eml" 2>"$S/err"
if grep -Eq '^sign: n=1 ok=1 fail=0 ' "$S/err" && ! grep -q 'loop_s=' "$S/stdin2.eml" &&
    "$PY" "$S/pyverify.py" "$DNS_PORT" "$S/stdin2.eml" >"$S/out" 2>&1; then
    ok "sign --stats to stdout: the summary goes to stderr, the message stays intact"
else
    notok "sign --stats to stdout: the summary goes to stderr" "$(cat "$S/err" "$S/out")"
fi
dns_stop
