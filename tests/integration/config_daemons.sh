#!/bin/sh
# config_daemons.sh - the files dkimctl generates, judged by the real daemons.
#
# dkimctl applies a model to a scratch root (--root); the owners it records
# there are then set for real with the scratch root's own uids, as apply on
# the target would set them.  The daemons then run chrooted into the scratch
# root (a private mount namespace binds /usr and /dev into it), so the
# generated opendkim.conf and main.cf are used verbatim, with their own
# absolute paths, and nothing of the host's configuration is read or touched:
#   - opendkim -n accepts the generated opendkim.conf (and rejects a broken one);
#   - opendkim signs a message with the key through the generated KeyTable and
#     SigningTable, and python3-dkim verifies that signature against the key;
#   - opendkim started as a daemon listens on the socket main.cf names, with
#     the owner and mode Postfix needs;
#   - postfix check accepts the generated main.cf (and rejects a broken one).
. tests/lib.sh

if ! is_root; then
    skip "daemon checks" "needs root (chroot, mount namespace)"
    exit 0
fi
for b in /usr/sbin/opendkim /usr/sbin/postfix /usr/bin/unshare /usr/sbin/chroot /usr/bin/openssl; do
    if [ ! -x "$b" ]; then
        skip "daemon checks" "$b is not installed"
        exit 0
    fi
done
PY=/usr/bin/python3
mkscratch
R=$SCRATCH/root
mkdir -p "$R"
chmod 755 "$SCRATCH" "$R"
cp -a tests/sandbox/. "$R/"
find "$R" -name .keep -delete
mkdir -p "$R/etc/dkimctl" "$R/etc/dkimkeys/example.org"
cat >"$R/etc/dkimctl/dkimctl.yaml" <<'EOF'
version: 1
domains:
  - name: example.org
    subdomains: true
    selectors:
      - name: s2026
        algorithm: rsa
        bits: 2048
        key_path: /etc/dkimkeys/example.org/s2026.private
        state: active
opendkim:
  conf_path: /etc/opendkim.conf
  tables_dir: /etc/opendkim
  keys_dir: /etc/dkimkeys
  mode: s
  canonicalization: relaxed/simple
  oversign:
    - From
  socket: ""
  trusted_hosts: []
  user: opendkim
postfix:
  config_dir: /etc/postfix
  chroot: auto
  milter_default_action: accept
EOF
KEY=$R/etc/dkimkeys/example.org/s2026.private
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEY" 2>/dev/null)

if "$DKIMCTL" --root "$R" --templates templates apply >"$SCRATCH/apply.out" 2>&1; then
    ok "apply on the scratch root"
else
    notok "apply on the scratch root" "$(cat "$SCRATCH/apply.out")"
    exit 0
fi

# The owners apply recorded, set with the scratch root's uids (as on the target).
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/group"; }
while read -r path owner group mode; do
    case $path in /*) ;; *) continue ;; esac
    chown "$(uid_of "$owner"):$(gid_of "$group")" "$R$path"
done <"$R/var/lib/dkimctl/owners"
# Debian's opendkim package makes /etc/dkimkeys opendkim:opendkim 0700.
chown "$(uid_of opendkim):$(gid_of opendkim)" "$R/etc/dkimkeys" "$R/etc/dkimkeys/example.org"
chmod 700 "$R/etc/dkimkeys" "$R/etc/dkimkeys/example.org"
mkdir -p "$R/run/opendkim" "$R/tmp" "$R/usr" "$R/dev" "$R/proc"
chown "$(uid_of opendkim):$(gid_of opendkim)" "$R/run/opendkim"
chmod 1777 "$R/tmp"
for l in bin sbin lib lib64; do [ -e "/$l" ] && ln -s "usr/$l" "$R/$l"; done
cp /etc/ld.so.cache "$R/etc/"
[ -f /etc/ssl/openssl.cnf ] && mkdir -p "$R/etc/ssl" && cp /etc/ssl/openssl.cnf "$R/etc/ssl/"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$R/etc/nsswitch.conf"
# Postfix's own package files (not the host's configuration: main.cf and
# master.cf stay the scratch root's).
for f in dynamicmaps.cf dynamicmaps.cf.d postfix-files postfix-files.d post-install postfix-script \
    makedefs.out; do
    [ -e "/etc/postfix/$f" ] || [ -L "/etc/postfix/$f" ] || continue
    cp -a "/etc/postfix/$f" "$R/etc/postfix/"
done
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
cat >"$R/tmp/msg.eml" <<'EOF'
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: signed by the generated configuration
Date: Fri, 27 Nov 2026 23:00:00 +0000
Message-ID: <config-daemons@example.org>

Hello Bob.
EOF
cp "$R/etc/opendkim.conf" "$SCRATCH/opendkim.conf.generated"
printf 'Syslog yes\nSocket\n' >"$R/tmp/broken.conf"

# Everything that needs the chroot runs in one private mount namespace.
cat >"$SCRATCH/inside.sh" <<'EOF'
set -u
R=$1
out=$2
mount --bind /usr "$R/usr" || exit 90
mount --bind /dev "$R/dev" || exit 91
mount -t proc proc "$R/proc" || exit 92
chroot "$R" /usr/sbin/opendkim -n -x /etc/opendkim.conf >"$out/n.out" 2>&1
echo $? >"$out/n.rc"
chroot "$R" /usr/sbin/opendkim -n -x /tmp/broken.conf >"$out/nbad.out" 2>&1
echo $? >"$out/nbad.rc"
# as the OpenDKIM user, as the daemon would be when it loads keys
chroot --userspec="$3" "$R" /usr/sbin/opendkim -x /etc/opendkim.conf -t /tmp/msg.eml -vvv >"$out/t.out" 2>&1
echo $? >"$out/t.rc"
# the daemon, in the foreground, on the configured socket
chroot "$R" /usr/sbin/opendkim -x /etc/opendkim.conf -f >"$out/d.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 50 ] && [ ! -S "$R/var/spool/postfix/opendkim/opendkim.sock" ]; do
    sleep 0.1
    i=$((i + 1))
done
stat -c '%F %a %u %g' "$R/var/spool/postfix/opendkim/opendkim.sock" >"$out/sock.stat" 2>&1
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
chroot "$R" /usr/sbin/postfix check >"$out/pf.out" 2>&1
echo $? >"$out/pf.rc"
cp "$R/etc/postfix/main.cf" "$out/main.cf.good"
printf 'inet_protocols = carrier-pigeon\n' >>"$R/etc/postfix/main.cf"
chroot "$R" /usr/sbin/postfix check >"$out/pfbad.out" 2>&1
echo $? >"$out/pfbad.rc"
cp "$out/main.cf.good" "$R/etc/postfix/main.cf"
EOF
unshare -m sh "$SCRATCH/inside.sh" "$R" "$SCRATCH" "$(uid_of opendkim):$(gid_of opendkim)"
urc=$?
if [ $urc -ne 0 ]; then
    notok "private mount namespace for the chroot" "exit $urc"
    exit 0
fi

if [ "$(cat "$SCRATCH/n.rc")" = 0 ]; then
    ok "opendkim -n accepts the generated opendkim.conf"
else
    notok "opendkim -n accepts the generated opendkim.conf" "$(cat "$SCRATCH/n.out")"
fi
if [ "$(cat "$SCRATCH/nbad.rc")" != 0 ]; then
    ok "opendkim -n rejects a broken configuration (the check can fail)"
else
    notok "opendkim -n rejects a broken configuration (the check can fail)"
fi
if [ "$(cat "$SCRATCH/t.rc")" = 0 ] && grep -q "hname='DKIM-Signature'" "$SCRATCH/t.out" &&
    grep -q 'd=example.org; s=s2026' "$SCRATCH/t.out"; then
    ok "opendkim signs with the generated KeyTable/SigningTable (d=example.org s=s2026)"
else
    notok "opendkim signs with the generated KeyTable/SigningTable" "$(cat "$SCRATCH/t.out")"
fi

# Verify the signature opendkim made, with python3-dkim and the key's public half.
if [ -x "$PY" ] && "$PY" -c 'import dkim' 2>/dev/null; then
    openssl pkey -in "$KEY" -pubout -outform DER 2>/dev/null | base64 -w0 >"$SCRATCH/pub.b64"
    if "$PY" - "$SCRATCH/t.out" "$R/tmp/msg.eml" "$SCRATCH/pub.b64" <<'EOF'; then
import re, sys, dkim
out = open(sys.argv[1]).read()
m = re.search(r"hname='DKIM-Signature' hvalue='(.*?)'$", out, re.S | re.M)
if not m:
    sys.exit("no signature in opendkim's output")
sig = m.group(1).replace("\r\n", "\n").replace("\n", "\r\n")
msg = open(sys.argv[2], "rb").read().replace(b"\n", b"\r\n")
signed = b"DKIM-Signature: " + sig.encode() + b"\r\n" + msg
pub = open(sys.argv[3]).read().strip()
txt = ("v=DKIM1; k=rsa; p=" + pub).encode()
def dns(name, timeout=5):
    return txt if name == b"s2026._domainkey.example.org." else None
ok = dkim.verify(signed, dnsfunc=dns)
tampered = signed.replace(b"Hello Bob.", b"Hello Eve.")
bad = dkim.verify(tampered, dnsfunc=dns)
sys.exit(0 if ok and not bad else "verify=%s tampered=%s" % (ok, bad))
EOF
        ok "python3-dkim verifies opendkim's signature (and rejects a tampered body)"
    else
        notok "python3-dkim verifies opendkim's signature"
    fi
else
    skip "python3-dkim verifies opendkim's signature" "python3-dkim is not installed"
fi

sock=$(cat "$SCRATCH/sock.stat")
if [ "$sock" = "socket 770 $(uid_of opendkim) $(gid_of opendkim)" ]; then
    ok "the daemon listens on the socket main.cf names (socket 770 opendkim:opendkim)"
else
    notok "the daemon listens on the socket main.cf names" "$sock; $(cat "$SCRATCH/d.out")"
fi
if grep -q '^smtpd_milters = local:/opendkim/opendkim.sock$' "$R/etc/postfix/main.cf"; then
    ok "main.cf names the socket relative to the chroot"
else
    notok "main.cf names the socket relative to the chroot" "$(grep milters "$R/etc/postfix/main.cf")"
fi
if [ "$(cat "$SCRATCH/pf.rc")" = 0 ]; then
    ok "postfix check accepts the generated main.cf"
else
    notok "postfix check accepts the generated main.cf" "$(cat "$SCRATCH/pf.out")"
fi
if [ "$(cat "$SCRATCH/pfbad.rc")" != 0 ]; then
    ok "postfix check rejects a broken main.cf (the check can fail)"
else
    notok "postfix check rejects a broken main.cf (the check can fail)"
fi
if cmp -s "$SCRATCH/opendkim.conf.generated" "$R/etc/opendkim.conf"; then
    ok "the daemons ran with the generated file, unmodified"
else
    notok "the daemons ran with the generated file, unmodified"
fi
