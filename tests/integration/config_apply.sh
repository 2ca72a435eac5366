#!/bin/sh
# config_apply.sh - plan, diff, apply, rollback on a scratch root: exit codes,
# diffs, all-or-nothing on a failure in the middle, the daemons' check
# failing, rollback restoring the starting state, --reload under --root.
. tests/lib.sh
mkscratch
T=templates

fresh() { # fresh DIR: the sandbox, a model and a key
    rm -rf "$1"
    mkdir -p "$1"
    cp -a tests/sandbox/. "$1/"
    find "$1" -name .keep -delete
    mkdir -p "$1/etc/dkimctl" "$1/var/spool/postfix"
    cat >"$1/etc/dkimctl/dkimctl.yaml" <<'EOF'
version: 1
domains:
  - name: example.org
    subdomains: false
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
  oversign: [From]
  socket: ""
  trusted_hosts: []
  user: opendkim
postfix:
  config_dir: /etc/postfix
  chroot: auto
  milter_default_action: accept
EOF
    (umask 077 && mkdir -p "$1/etc/dkimkeys/example.org" &&
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$1/etc/dkimkeys/example.org/s2026.private" 2>/dev/null)
    # as Debian's opendkim package has it: /etc/dkimkeys belongs to opendkim
    if is_root; then
        chown 105:108 "$1/etc/dkimkeys" "$1/etc/dkimkeys/example.org"
        chmod 700 "$1/etc/dkimkeys"
    fi
}
contents() { # path, type, mode and checksum of every file, no backups/state
    (cd "$1" && find . ! -name '*.dkimctl-*' ! -path './var/lib' ! -path './var/lib/dkimctl*' \
        ! -path './etc/dkimctl*' -printf '%y %m %p\n' | LC_ALL=C sort &&
        find . -type f ! -name '*.dkimctl-*' ! -path './var/lib/dkimctl*' -exec md5sum {} + |
        LC_ALL=C sort)
}
snapshot() { (cd "$1" && find . -printf '%p %i %T@ %m\n' | LC_ALL=C sort); }

R=$SCRATCH/r
fresh "$R"
D() { "$DKIMCTL" --root "$R" --templates "$T" "$@"; }

# plan and diff
D plan >"$SCRATCH/plan" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'operations:$' "$SCRATCH/plan"; then ok "plan lists operations, exit 0"; else notok "plan lists operations, exit 0" "rc=$rc $(cat "$SCRATCH/plan")"; fi
for k in mkdir write group edit owner; do
    check "plan has a $k operation" grep -q "^ *[0-9]*\. $k " "$SCRATCH/plan"
done
D plan --reload >"$SCRATCH/planr" 2>&1
check "plan --reload lists the reload" grep -q 'reload .*skipped under --root' "$SCRATCH/planr"
D diff >"$SCRATCH/diff" 2>&1
rc=$?
if [ $rc -eq 1 ]; then ok "diff exits 1 when there are differences"; else notok "diff exits 1 when there are differences" "rc=$rc"; fi
check "diff shows the main.cf edit" grep -q '^+smtpd_milters = local:/opendkim/opendkim.sock$' "$SCRATCH/diff"
check "diff shows new files against /dev/null" grep -q '^--- /dev/null$' "$SCRATCH/diff"
check "diff shows the KeyTable line" grep -q '^+s2026._domainkey.example.org example.org:s2026:/etc/dkimkeys/example.org/s2026.private$' "$SCRATCH/diff"
if grep -q 'PRIVATE KEY' "$SCRATCH/diff" "$SCRATCH/plan"; then notok "no key material in plan or diff"; else ok "no key material in plan or diff"; fi
# the diff is a real patch: applied to main.cf it gives what apply writes
awk '/^--- \/etc\/postfix\/main.cf$/ {p=1} p && /^--- / && !/main.cf/ {p=0} p' "$SCRATCH/diff" >"$SCRATCH/main.patch"
cp "$R/etc/postfix/main.cf" "$SCRATCH/main.cf.patched"
if patch -s "$SCRATCH/main.cf.patched" "$SCRATCH/main.patch"; then ok "the main.cf diff applies with patch(1)"; else notok "the main.cf diff applies with patch(1)"; fi

# a failure in the middle: main.cf's directory is read-only (the last write)
before=$(contents "$R")
if is_root && command -v unshare >/dev/null 2>&1; then
    unshare -m sh -c 'mount --bind -o ro "$1/etc/postfix" "$1/etc/postfix" 2>/dev/null ||
        { mount --bind "$1/etc/postfix" "$1/etc/postfix" && mount -o remount,ro,bind "$1/etc/postfix"; } || exit 90
        "$2" --root "$1" --templates "$3" apply' sh "$R" "$DKIMCTL" "$T" >"$SCRATCH/fail.out" 2>&1
    rc=$?
    if [ $rc -eq 1 ]; then ok "apply fails when main.cf cannot be written"; else notok "apply fails when main.cf cannot be written" "rc=$rc $(cat "$SCRATCH/fail.out")"; fi
    check "the error names the operation" grep -q 'apply failed at "edit /etc/postfix/main.cf' "$SCRATCH/fail.out"
    check "the error says why" grep -q 'Read-only file system' "$SCRATCH/fail.out"
    check "the error says the changes were rolled back" grep -Eq '[0-9]+ changes rolled back' "$SCRATCH/fail.out"
    after=$(contents "$R")
    if [ "$before" = "$after" ]; then ok "every change was rolled back"; else notok "every change was rolled back" "$(printf '%s\n' "$before" >"$SCRATCH/b1"; printf '%s\n' "$after" >"$SCRATCH/a1"; diff "$SCRATCH/b1" "$SCRATCH/a1")"; fi
    if [ -e "$R/var/lib/dkimctl/journal" ]; then notok "no journal after a failed apply"; else ok "no journal after a failed apply"; fi
else
    skip "apply fails in the middle and rolls back" "needs root for a read-only bind mount"
fi

# the daemons' check fails (--validate under --root: the generated files name
# the target's paths, which this host does not have) -> everything rolled back
if [ -x /usr/sbin/opendkim ] && [ ! -e /etc/opendkim/KeyTable ]; then
    D apply --validate >"$SCRATCH/val.out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -q 'apply failed in the validation: opendkim -n' "$SCRATCH/val.out" &&
        grep -Eq 'changes rolled back' "$SCRATCH/val.out"; then
        ok "a failing opendkim -n rolls everything back and says so"
    else
        notok "a failing opendkim -n rolls everything back and says so" "rc=$rc $(cat "$SCRATCH/val.out")"
    fi
    after=$(contents "$R")
    if [ "$before" = "$after" ]; then ok "tree unchanged after the failed validation"; else notok "tree unchanged after the failed validation"; fi
else
    skip "a failing opendkim -n rolls back" "opendkim missing, or this host has /etc/opendkim/KeyTable"
fi

# success, then rollback restores the starting contents
D apply --reload >"$SCRATCH/ok.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "apply --reload succeeds"; else notok "apply --reload succeeds" "$(cat "$SCRATCH/ok.out")"; fi
check "nothing is reloaded under --root" grep -q '^reload: nothing reloaded under --root' "$SCRATCH/ok.out"
check "apply says the daemon checks were skipped under --root" grep -q '^validation: daemon checks skipped under --root' "$SCRATCH/ok.out"
check "the journal exists" test -f "$R/var/lib/dkimctl/journal"
check "postfix joined group opendkim in ROOT/etc/group" grep -q '^opendkim:x:108:postfix$' "$R/etc/group"
check "owners are recorded" grep -q '^/var/spool/postfix/opendkim opendkim postfix 0750$' "$R/var/lib/dkimctl/owners"
check "a backup of main.cf is kept" sh -c "ls '$R/etc/postfix' | grep -q '^main.cf.dkimctl-'"
D diff >"$SCRATCH/diff2" 2>"$SCRATCH/diff2.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$SCRATCH/diff2" ]; then ok "diff after apply is empty, exit 0"; else notok "diff after apply is empty, exit 0" "rc=$rc $(cat "$SCRATCH/diff2")"; fi
D rollback >"$SCRATCH/rb.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '^rolled back [0-9]* changes' "$SCRATCH/rb.out"; then ok "rollback succeeds"; else notok "rollback succeeds" "rc=$rc $(cat "$SCRATCH/rb.out")"; fi
after=$(contents "$R")
if [ "$before" = "$after" ]; then ok "rollback restores the state before apply"; else notok "rollback restores the state before apply" "$(printf '%s\n' "$before" >"$SCRATCH/b2"; printf '%s\n' "$after" >"$SCRATCH/a2"; diff "$SCRATCH/b2" "$SCRATCH/a2")"; fi
D rollback >"$SCRATCH/rb2.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'no apply to roll back' "$SCRATCH/rb2.out"; then ok "a second rollback has nothing to do"; else notok "a second rollback has nothing to do" "rc=$rc"; fi

# a blocked plan: plan exits 1, apply refuses, nothing changes
rm "$R/etc/dkimkeys/example.org/s2026.private"
snapshot "$R" >"$SCRATCH/s1"
D plan >"$SCRATCH/bp" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'blocks apply' "$SCRATCH/bp"; then ok "plan exits 1 on a critical finding"; else notok "plan exits 1 on a critical finding" "rc=$rc"; fi
D apply >"$SCRATCH/ba" 2>&1
rc=$?
snapshot "$R" >"$SCRATCH/s2"
if [ $rc -eq 1 ] && cmp -s "$SCRATCH/s1" "$SCRATCH/s2"; then ok "apply refuses a blocked plan and touches nothing"; else notok "apply refuses a blocked plan and touches nothing" "rc=$rc"; fi

# a planted symlink at a target is refused, not followed
fresh "$R"
mkdir -p "$R/etc/opendkim"
ln -s /etc/passwd "$R/etc/opendkim/KeyTable"
D apply >"$SCRATCH/sl" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'KeyTable' "$SCRATCH/sl" && [ -L "$R/etc/opendkim/KeyTable" ]; then
    ok "a symlink planted at KeyTable is refused"
else
    notok "a symlink planted at KeyTable is refused" "rc=$rc $(cat "$SCRATCH/sl")"
fi

# no model: a clear usage error
rm -rf "$SCRATCH/empty" && mkdir -p "$SCRATCH/empty"
"$DKIMCTL" --root "$SCRATCH/empty" --templates "$T" plan >"$SCRATCH/nm" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'dkimctl init' "$SCRATCH/nm"; then ok "plan without a model says to run init"; else notok "plan without a model says to run init" "rc=$rc $(cat "$SCRATCH/nm")"; fi

# the systemd unit would listen elsewhere: a drop-in made by Debian's
# opendkim.service.generate from an old /etc/default/opendkim
fresh "$R"
mkdir -p "$R/etc/systemd/system/opendkim.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/sbin/opendkim -P /run/opendkim/opendkim.pid -p inet:8891@localhost\n' \
    >"$R/etc/systemd/system/opendkim.service.d/override.conf"
D plan >"$SCRATCH/unit" 2>&1
if grep -q 'warning: /etc/systemd/system/opendkim.service.d/override.conf: systemd starts opendkim with -p inet:8891@localhost, which overrides Socket local:/var/spool/postfix/opendkim/opendkim.sock' "$SCRATCH/unit"; then
    ok "a systemd drop-in with another socket is reported"
else
    notok "a systemd drop-in with another socket is reported" "$(cat "$SCRATCH/unit")"
fi
printf '[Service]\nExecStart=\nExecStart=/usr/sbin/opendkim -P /run/opendkim/opendkim.pid -p local:/var/spool/postfix/opendkim/opendkim.sock\n' \
    >"$R/etc/systemd/system/opendkim.service.d/override.conf"
D plan >"$SCRATCH/unit2" 2>&1
if grep -q 'systemd starts opendkim' "$SCRATCH/unit2"; then
    notok "a drop-in with the same socket is not reported" "$(cat "$SCRATCH/unit2")"
else
    ok "a drop-in with the same socket is not reported"
fi

# a pending selector's key is generated by apply, and removed again by rollback
fresh "$R"
awk '{ print } /state: active/ && !done { print "      - name: s2027\n        algorithm: ed25519\n        bits: 0\n        key_path: /etc/dkimkeys/example.org/s2027.private\n        state: pending"; done = 1 }' \
    "$R/etc/dkimctl/dkimctl.yaml" >"$R/etc/dkimctl/dkimctl.yaml.new"
mv "$R/etc/dkimctl/dkimctl.yaml.new" "$R/etc/dkimctl/dkimctl.yaml"
D apply >"$SCRATCH/kg" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '^done: generate the ed25519 key of example.org/s2027' "$SCRATCH/kg" &&
    [ "$(stat -c %a "$R/etc/dkimkeys/example.org/s2027.private" 2>/dev/null)" = 600 ] &&
    grep -q 'BEGIN PRIVATE KEY' "$R/etc/dkimkeys/example.org/s2027.private"; then
    ok "apply generates the pending selector's key (0600)"
else
    notok "apply generates the pending selector's key (0600)" "rc=$rc $(cat "$SCRATCH/kg")"
fi
if grep -q 's2027' "$R/etc/opendkim/KeyTable"; then notok "a pending key does not sign yet"; else ok "a pending key does not sign yet"; fi
D rollback >/dev/null 2>&1
if [ ! -e "$R/etc/dkimkeys/example.org/s2027.private" ] && [ -e "$R/etc/dkimkeys/example.org/s2026.private" ]; then
    ok "rollback removes the generated key and keeps the existing one"
else
    notok "rollback removes the generated key and keeps the existing one"
fi
