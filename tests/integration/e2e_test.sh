#!/bin/sh
# e2e_test.sh - `dkimctl test` against a real Postfix, OpenDKIM and DNS server.
#
# dkimctl (init, keygen, apply) writes the whole configuration into a scratch
# root.  A private mount namespace (unshare -m, kept alive by a holder
# process) binds the host's /usr (read-only), /dev and /proc into it; opendkim
# and postfix then run chrooted into the scratch root, so they read the
# generated files verbatim at their own absolute paths, and nothing of the
# host's configuration (/etc/postfix, /etc/opendkim.conf, /var/spool/postfix)
# is read or touched.  smtpd listens on 127.0.0.1 at a free high port;
# unbound on loopback serves the records `dkimctl records` prints.
#
# dkimctl test (run chrooted too, as it would run on the host) must pass for
# an RSA and an Ed25519 selector, then diagnose, one at a time: opendkim
# stopped, the socket's permissions wrong, another key in DNS, the From
# domain missing from the SigningTable.
. tests/lib.sh
. tests/integration/dnsserver.sh

if ! is_root; then
    skip "end-to-end test through postfix and opendkim" "needs root (chroot, mount namespace)"
    exit 0
fi
for b in /usr/sbin/opendkim /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/sendmail \
    /usr/bin/unshare /usr/bin/nsenter /usr/sbin/chroot /usr/bin/openssl "$DNS_UNBOUND"; do
    if [ ! -x "$b" ]; then
        skip "end-to-end test through postfix and opendkim" "$b is not installed"
        exit 0
    fi
done

mkscratch
R=$SCRATCH/root
NSPID=
SYSLOGPID=
PY=/usr/bin/python3
cleanup() {
    if [ -n "$NSPID" ]; then
        inns /usr/sbin/postfix stop >/dev/null 2>&1
        odk_stop
        # anything still running inside the scratch root was started here
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -9 "${p#/proc/}" 2>/dev/null
        done
        [ -n "$SYSLOGPID" ] && kill "$SYSLOGPID" 2>/dev/null
        kill "$NSPID" 2>/dev/null
        wait "$NSPID" 2>/dev/null
        NSPID=
    fi
    dns_stop
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# dns_start installs its own EXIT trap: put ours back after it.
dns_up() {
    dns_start || return 1
    trap cleanup EXIT
    trap 'cleanup; exit 130' INT TERM
}
inns() { nsenter -t "$NSPID" -m -- chroot "$R" "$@"; }
D() { "$DKIMCTL" --root "$R" --templates templates "$@"; }

mkdir -p "$R"
chmod 755 "$SCRATCH" "$R"
cp -a tests/sandbox/. "$R/"
find "$R" -name .keep -delete
mkdir -p "$R/etc/dkimctl"

# ---- the configuration, all of it by dkimctl ------------------------------------
if D init --domain example.org --selector s1 >"$SCRATCH/init.out" 2>&1 &&
    D init --domain example.net --selector e1 --algorithm ed25519 >>"$SCRATCH/init.out" 2>&1 &&
    D keygen >"$SCRATCH/keygen.out" 2>&1 &&
    D apply >"$SCRATCH/apply.out" 2>&1; then
    ok "init, keygen and apply on a scratch root (example.org rsa, example.net ed25519)"
else
    notok "init, keygen and apply on a scratch root" \
        "$(cat "$SCRATCH/init.out" "$SCRATCH/keygen.out" "$SCRATCH/apply.out" 2>/dev/null)"
    exit 0
fi

# The owners apply recorded, set with the scratch root's uids (as on the target).
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/group"; }
while read -r path owner group mode; do
    case $path in /*) ;; *) continue ;; esac
    chown "$(uid_of "$owner"):$(gid_of "$group")" "$R$path"
done <"$R/var/lib/dkimctl/owners"
ODK="$(uid_of opendkim):$(gid_of opendkim)"
chown -R "$ODK" "$R/etc/dkimkeys"
chmod 700 "$R/etc/dkimkeys" "$R/etc/dkimkeys/example.org" "$R/etc/dkimkeys/example.net"

# ---- what a Debian host has besides the configuration ------------------------------
mkdir -p "$R/run/opendkim" "$R/tmp" "$R/usr" "$R/dev" "$R/proc" "$R/var/lib/postfix" \
    "$R/var/mail" "$R/var/log" "$R/home/dkimtest" "$R/var/spool/postfix/etc" "$R/opt"
chown "$ODK" "$R/run/opendkim"
chown "$(uid_of postfix):$(gid_of postfix)" "$R/var/lib/postfix"
chmod 1777 "$R/tmp"
chown root:"$(gid_of mail)" "$R/var/mail"
chmod 2775 "$R/var/mail"
for l in bin sbin lib lib64; do [ -e "/$l" ] && ln -s "usr/$l" "$R/$l"; done
cp /etc/ld.so.cache "$R/etc/"
[ -f /etc/ssl/openssl.cnf ] && mkdir -p "$R/etc/ssl" && cp /etc/ssl/openssl.cnf "$R/etc/ssl/"
[ -f /etc/services ] && cp /etc/services "$R/etc/"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost mail.example.org\n' >"$R/etc/hosts"
printf 'nameserver 127.0.0.1\n' >"$R/etc/resolv.conf"
for f in hosts nsswitch.conf services resolv.conf; do
    [ -f "$R/etc/$f" ] && cp "$R/etc/$f" "$R/var/spool/postfix/etc/"
done
# the recipient
printf 'dkimtest:x:5000:5000::/home/dkimtest:/usr/sbin/nologin\n' >>"$R/etc/passwd"
printf 'dkimtest:x:5000:\n' >>"$R/etc/group"
chown 5000:5000 "$R/home/dkimtest"
# Postfix's own package files (not the host's configuration).
for f in dynamicmaps.cf dynamicmaps.cf.d postfix-files postfix-files.d post-install postfix-script \
    makedefs.out; do
    [ -e "/etc/postfix/$f" ] || [ -L "/etc/postfix/$f" ] || continue
    cp -a "/etc/postfix/$f" "$R/etc/postfix/"
done
cp "$DKIMCTL" "$R/opt/dkimctl"

SMTP_PORT=$(dns_free_port)
sed -i "s/^smtp      inet/127.0.0.1:$SMTP_PORT inet/" "$R/etc/postfix/master.cf"

# ---- the private mount namespace ----------------------------------------------------
unshare -m sh -c '
    mount --make-rprivate / &&
    mount --bind /usr "$1/usr" && mount -o remount,bind,ro "$1/usr" &&
    mount -t tmpfs -o mode=755 tmpfs "$1/dev" && mount -t proc proc "$1/proc" &&
    mknod -m 666 "$1/dev/null" c 1 3 && mknod -m 666 "$1/dev/zero" c 1 5 &&
    mknod -m 666 "$1/dev/random" c 1 8 && mknod -m 666 "$1/dev/urandom" c 1 9 || exit 1
    : >"$2/ns.ready"
    exec sleep 100000' ns "$R" "$SCRATCH" >"$SCRATCH/ns.out" 2>&1 &
NSPID=$!
i=0
while [ $i -lt 50 ] && [ ! -f "$SCRATCH/ns.ready" ] && kill -0 "$NSPID" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
if [ ! -f "$SCRATCH/ns.ready" ]; then
    notok "private mount namespace for the chroot" "$(cat "$SCRATCH/ns.out")"
    NSPID=
    exit 0
fi

# The daemons' syslog, read from the scratch root's /dev/log.
nsenter -t "$NSPID" -m -- "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(8192).decode(errors="replace").rstrip("\n") + "\n")
        out.flush()
' "$R/dev/log" "$SCRATCH/syslog" >/dev/null 2>&1 &
SYSLOGPID=$!

# The test's own Postfix settings, on the scratch copy only.
inns /usr/sbin/postconf -e inet_interfaces=127.0.0.1 inet_protocols=ipv4 \
    mydestination=localhost alias_maps= alias_database= myorigin=example.org \
    maillog_file=/var/log/mail.log smtpd_tls_security_level=none \
    smtp_tls_security_level=none relayhost= >"$SCRATCH/postconf.out" 2>&1 ||
    notok "postconf in the scratch root" "$(cat "$SCRATCH/postconf.out")"

odk_pid() { cat "$R/run/opendkim/opendkim.pid" 2>/dev/null; }
odk_start() {
    inns /usr/sbin/opendkim -x /etc/opendkim.conf >"$SCRATCH/odk.out" 2>&1 || return 1
    i=0
    while [ $i -lt 50 ] && [ ! -S "$R/var/spool/postfix/opendkim/opendkim.sock" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -S "$R/var/spool/postfix/opendkim/opendkim.sock" ]
}
odk_stop() {
    p=$(odk_pid)
    [ -n "$p" ] || return 0
    kill "$p" 2>/dev/null
    i=0
    while [ $i -lt 50 ] && kill -0 "$p" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$p" 2>/dev/null
    rm -f "$R/run/opendkim/opendkim.pid"
}

if odk_start; then
    ok "opendkim runs with the generated opendkim.conf"
else
    notok "opendkim runs with the generated opendkim.conf" "$(cat "$SCRATCH/odk.out")"
    exit 0
fi
if inns /usr/sbin/postfix start >"$SCRATCH/pf.out" 2>&1; then
    ok "postfix runs with the generated main.cf (smtpd on 127.0.0.1:$SMTP_PORT)"
else
    notok "postfix runs with the generated main.cf" "$(cat "$SCRATCH/pf.out" "$R/var/log/mail.log" 2>&1)"
    exit 0
fi

# ---- DNS: what dkimctl records prints ----------------------------------------------
dns_init "$SCRATCH/dns"
zone_from_records() { # the records of the model, plus MX/A for SPF's "mx"
    dns_zone example.org
    dns_zone example.net
    for z in example.org example.net; do
        dns_rr "$z. 300 IN MX 10 mail.example.org."
    done
    dns_rr "mail.example.org. 300 IN A 127.0.0.1"
    D records --format plain >"$SCRATCH/records" 2>"$SCRATCH/records.err" || return 1
    tab=$(printf '\t')
    while IFS="$tab" read -r name type value; do
        [ "$type" = TXT ] || continue
        if [ -n "${1:-}" ] && [ "$name" = "$1" ]; then
            value=$2
        fi
        dns_txt "$name" "$value"
    done <"$SCRATCH/records"
}
if zone_from_records && dns_up; then
    ok "unbound serves the records dkimctl prints ($(grep -c 'TXT' "$SCRATCH/records") TXT)"
else
    notok "unbound serves the records dkimctl prints" "$(cat "$SCRATCH/records.err" "$SCRATCH/records" 2>/dev/null)"
    exit 0
fi

T() { # T NAME ARGS...: run dkimctl test chrooted, output in $SCRATCH/NAME.out
    _n=$1
    shift
    inns /opt/dkimctl --resolver "$DNS_SPEC" test --to dkimtest@localhost \
        --smtp "127.0.0.1:$SMTP_PORT" --wait 15 "$@" >"$SCRATCH/$_n.out" 2>&1
    echo $? >"$SCRATCH/$_n.rc"
}
has() { grep -q -- "$2" "$SCRATCH/$1.out"; }
show() { printf '%s' "rc=$(cat "$SCRATCH/$1.rc"); $(cat "$SCRATCH/$1.out"); syslog: $(tail -5 "$SCRATCH/syslog" 2>/dev/null)"; }

# ---- it works: RSA ----------------------------------------------------------------------
pass_case() { # pass_case DOMAIN SELECTOR ALGORITHM
    T "pass-$2" --domain "$1"
    if [ "$(cat "$SCRATCH/pass-$2.rc")" = 0 ] &&
        [ "$(grep -c "dkim=pass header.d=$1 header.s=$2 header.a=$3" "$SCRATCH/pass-$2.out")" = 2 ] &&
        has "pass-$2" '^smtp: delivered' && has "pass-$2" '^sendmail: delivered' &&
        has "pass-$2" "2 of 2 copies signed and verified"; then
        ok "dkimctl test passes for $1 ($3) over SMTP and through sendmail"
    else
        notok "dkimctl test passes for $1 ($3)" "$(show "pass-$2")"
    fi
    if [ "$(grep -c "spf=pass smtp.mailfrom=$1" "$SCRATCH/pass-$2.out")" = 2 ] &&
        [ "$(grep -c "dmarc=pass record=_dmarc.$1 dkim-aligned=yes spf-aligned=yes" "$SCRATCH/pass-$2.out")" = 2 ]; then
        ok "SPF pass and DMARC pass (DKIM and SPF aligned) are shown for $1"
    else
        notok "SPF and DMARC are shown for $1" "$(show "pass-$2")"
    fi
}
pass_case example.org s1 rsa-sha256

# The copies really are in the mbox, signed by opendkim, and an independent
# verifier (python3-dkim) agrees with dkimctl's.
if [ -x "$PY" ] && "$PY" -c 'import dkim' 2>/dev/null; then
    if "$PY" - "$R/var/mail/dkimtest" "$SCRATCH/records" <<'EOF' >"$SCRATCH/py.out" 2>&1; then
import mailbox, sys, dkim
recs = {}
for line in open(sys.argv[2]):
    name, typ, val = line.rstrip("\n").split("\t", 2)
    if typ == "TXT":
        recs[name.encode() + b"."] = val.encode()
def dns(name, timeout=5):
    return recs.get(name)
n = 0
for m in mailbox.mbox(sys.argv[1]):
    if "dkimctl-test" not in m.get("Message-ID", ""):
        continue
    raw = m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not dkim.verify(raw, dnsfunc=dns):
        sys.exit("python3-dkim rejects " + m["Message-ID"])
    n += 1
sys.exit(0 if n == 2 else "found %d copies, want 2" % n)
EOF
        ok "python3-dkim verifies the 2 delivered copies too"
    else
        notok "python3-dkim verifies the 2 delivered copies" "$(cat "$SCRATCH/py.out")"
    fi
else
    skip "python3-dkim verifies the delivered copies" "python3-dkim is not installed"
fi

# ---- Ed25519 with the generated opendkim.conf -----------------------------------------
# OpenDKIM signs with one SignatureAlgorithm for every key, and the generated
# opendkim.conf says rsa-sha256: opendkim refuses (tempfail) mail it should
# sign with the Ed25519 key.  dkimctl test must say so.
T ed-generated --domain example.net --wait 5
if [ "$(cat "$SCRATCH/ed-generated.rc")" = 1 ] &&
    has ed-generated 'SignatureAlgorithm rsa-sha256, but the key selected for dkimctl-test@example.net (/etc/dkimkeys/example.net/e1.private) is an Ed25519 key'; then
    ok "Ed25519 key under SignatureAlgorithm rsa-sha256: diagnosed from opendkim.conf and the key"
else
    notok "Ed25519 key under SignatureAlgorithm rsa-sha256 is diagnosed" "$(show ed-generated)"
fi
# the queued sendmail copy is not wanted any more
inns /usr/sbin/postsuper -d ALL >/dev/null 2>&1

# ---- broken: opendkim stopped -------------------------------------------------------
odk_stop
T stopped --domain example.org
if [ "$(cat "$SCRATCH/stopped.rc")" = 1 ] && has stopped 'dkim=none' &&
    has stopped 'opendkim is not running' && has stopped 'fix: start opendkim'; then
    ok "opendkim stopped: unsigned copies, diagnosed as 'opendkim is not running' with the fix"
else
    notok "opendkim stopped is diagnosed" "$(show stopped)"
fi

# ---- broken: the socket's permissions ------------------------------------------------
odk_start || notok "opendkim restarts" "$(cat "$SCRATCH/odk.out")"
chmod 0700 "$R/var/spool/postfix/opendkim/opendkim.sock"
T perm --domain example.org
if [ "$(cat "$SCRATCH/perm.rc")" = 1 ] && has perm 'dkim=none' &&
    has perm 'permission denied: user postfix' && has perm 'connect to the socket' &&
    has perm 'mode 0700, owner opendkim:opendkim; postfix is in that group, but the mode gives the group no access' &&
    ! has perm 'opendkim is not running'; then
    ok "socket mode 0700: diagnosed as permission denied for user postfix, with the fix"
else
    notok "wrong socket permissions are diagnosed" "$(show perm)"
fi
odk_stop
odk_start || notok "opendkim restarts" "$(cat "$SCRATCH/odk.out")"

# ---- broken: another key in DNS ------------------------------------------------------
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$SCRATCH/other.key" 2>/dev/null)
other="v=DKIM1; k=rsa; p=$(openssl pkey -in "$SCRATCH/other.key" -pubout -outform DER 2>/dev/null | base64 -w0)"
dns_stop
dns_init "$SCRATCH/dns2"
if zone_from_records s1._domainkey.example.org "$other" && dns_up; then
    T wrongkey --domain example.org
    if [ "$(cat "$SCRATCH/wrongkey.rc")" = 1 ] && has wrongkey 'dkim=fail header.d=example.org header.s=s1' &&
        has wrongkey 'is not the public half of /etc/dkimkeys/example.org/s1.private' &&
        has wrongkey 'fix: publish the record that .dkimctl records --domain example.org. prints for selector s1' &&
        [ "$(grep -c 'is not the public half' "$SCRATCH/wrongkey.out")" = 1 ]; then
        ok "another key in DNS: diagnosed as 'not the public half' of the key file, with the fix"
    else
        notok "another key in DNS is diagnosed" "$(show wrongkey)"
    fi
else
    notok "unbound restarts with another key"
fi
dns_stop
dns_init "$SCRATCH/dns3"
zone_from_records && dns_up || notok "unbound restarts"

# ---- broken: the From domain not in the SigningTable ----------------------------------
ST=$R/etc/opendkim/SigningTable
cp -p "$ST" "$SCRATCH/SigningTable.good"
grep -v 'example\.org' "$SCRATCH/SigningTable.good" >"$ST"
odk_stop
odk_start || notok "opendkim restarts" "$(cat "$SCRATCH/odk.out")"
T unsigned --domain example.org
if [ "$(cat "$SCRATCH/unsigned.rc")" = 1 ] && has unsigned 'dkim=none' &&
    has unsigned 'matches no line of the SigningTable' && has unsigned '/etc/opendkim/SigningTable' &&
    ! has unsigned 'opendkim is not running' && ! has unsigned 'permission denied'; then
    ok "From domain not signed: diagnosed from the SigningTable, with the fix"
else
    notok "From domain not in the SigningTable is diagnosed" "$(show unsigned)"
fi
cp -p "$SCRATCH/SigningTable.good" "$ST"

# ---- broken: the client not in InternalHosts -------------------------------------------
TH=$R/etc/opendkim/TrustedHosts
cp -p "$TH" "$SCRATCH/TrustedHosts.good"
{ grep '^#' "$SCRATCH/TrustedHosts.good"; echo 192.0.2.0/24; } >"$TH"
odk_stop
odk_start || notok "opendkim restarts" "$(cat "$SCRATCH/odk.out")"
T internal --domain example.org
if [ "$(cat "$SCRATCH/internal.rc")" = 1 ] && has internal 'dkim=none' &&
    has internal 'the client 127.0.0.1 is not in InternalHosts' &&
    ! has internal 'SigningTable' && ! has internal 'opendkim is not running'; then
    ok "client not in InternalHosts: diagnosed from the generated host list, with the fix"
else
    notok "client not in InternalHosts is diagnosed" "$(show internal)"
fi
cp -p "$SCRATCH/TrustedHosts.good" "$TH"

# ---- broken: main.cf names the socket as seen outside smtpd's chroot ----------------------
cp -p "$R/etc/postfix/main.cf" "$SCRATCH/main.cf.good"
inns /usr/sbin/postconf -e smtpd_milters=local:/var/spool/postfix/opendkim/opendkim.sock &&
    inns /usr/sbin/postfix reload >/dev/null 2>&1
sleep 1
T chroot --domain example.org --no-sendmail
if [ "$(cat "$SCRATCH/chroot.rc")" = 1 ] && has chroot 'dkim=none' &&
    has chroot 'smtpd runs chrooted in /var/spool/postfix, so it opens /var/spool/postfix/var/spool/postfix/opendkim/opendkim.sock, but opendkim listens on /var/spool/postfix/opendkim/opendkim.sock' &&
    ! has chroot 'SigningTable' && ! has chroot 'permission denied'; then
    ok "socket named outside the chroot in smtpd_milters: diagnosed from main.cf and master.cf"
else
    notok "socket named outside the chroot is diagnosed" "$(show chroot)"
fi
cp -p "$SCRATCH/main.cf.good" "$R/etc/postfix/main.cf"
inns /usr/sbin/postfix reload >/dev/null 2>&1

odk_stop

# ---- it works: Ed25519 --------------------------------------------------------------------
# With SignatureAlgorithm ed25519-sha256 (the one line the test changes in the
# scratch opendkim.conf) opendkim signs with the Ed25519 key.
sed -i 's/^SignatureAlgorithm.*/SignatureAlgorithm\ted25519-sha256/' "$R/etc/opendkim.conf"
odk_start || notok "opendkim restarts" "$(cat "$SCRATCH/odk.out")"
pass_case example.net e1 ed25519-sha256

# ---- the host was left alone -------------------------------------------------------
if [ "$(readlink /proc/self/root)" = / ] && ! grep -q "$SCRATCH" /proc/self/mountinfo; then
    ok "no mount of the test is visible outside its namespace"
else
    notok "no mount of the test is visible outside its namespace"
fi
