#!/bin/sh
# init.sh - dkimctl init: create, re-run unchanged, update, answers file,
# refusals that leave the existing model byte-identical, symlinks refused.
. tests/lib.sh
mkscratch
R=$SCRATCH/root
mkdir -p "$R"
CONF=$R/etc/dkimctl/dkimctl.yaml
out=$SCRATCH/out
err=$SCRATCH/err

run() { "$DKIMCTL" --root "$R" "$@" >"$out" 2>"$err"; }
has() { grep -q -- "$1" "$2"; }

# 1. a fresh model
if run init --domain example.org --selector s2026 && [ -f "$CONF" ]; then
    ok "init creates the model"
else
    notok "init creates the model" "$(cat "$err")"
fi
check "the model names the domain" has "^  - name: example.org$" "$CONF"
check "the model names the selector" has "^      - name: s2026$" "$CONF"
check "default key path" has "key_path: /etc/dkimkeys/example.org/s2026.private" "$CONF"
check "RSA 2048 by default" has "bits: 2048" "$CONF"
mode=$(stat -c %a "$CONF")
if [ "$mode" = 644 ]; then ok "mode 0644"; else notok "mode 0644" "got $mode"; fi
check "reports creation" has "^created /etc/dkimctl/dkimctl.yaml" "$out"

# 2. the same again changes nothing, not even a backup
cp "$CONF" "$SCRATCH/v1"
if run init --domain example.org --selector s2026 && cmp -s "$CONF" "$SCRATCH/v1"; then
    ok "re-run is byte-identical"
else
    notok "re-run is byte-identical" "$(cat "$err")"
fi
check "re-run says unchanged" has "^unchanged" "$out"
n=$(ls "$R/etc/dkimctl" | wc -l)
if [ "$n" -eq 1 ]; then ok "re-run leaves no backup"; else notok "re-run leaves no backup" "$(ls "$R/etc/dkimctl")"; fi

# 3. adding a domain (IDN) updates the model, keeps the first, makes a backup
if run init --domain 'Bücher.example' --selector s2026 --algorithm ed25519; then
    ok "init adds a domain"
else
    notok "init adds a domain" "$(cat "$err")"
fi
check "the first domain is kept" has "^  - name: example.org$" "$CONF"
check "IDN stored as an A-label" has "^  - name: xn--bcher-kva.example$" "$CONF"
check "ed25519 selector" has "algorithm: ed25519" "$CONF"
check "a backup of the old model is kept" sh -c "ls '$R/etc/dkimctl' | grep -q 'dkimctl.yaml.dkimctl-'"
check "reports the update" has "^updated" "$out"

# 4. a new selector on a domain with an active one is pending
run init --domain example.org --selector s2027 --bits 3072
check "second selector added as pending" sh -c \
    "grep -A4 'name: s2027' '$CONF' | grep -q 'state: pending'"
check "second selector has 3072 bits" sh -c "grep -A2 'name: s2027' '$CONF' | grep -q 'bits: 3072'"

# 5. --print writes nothing
R2=$SCRATCH/root2
mkdir -p "$R2"
if "$DKIMCTL" --root "$R2" init --domain example.net --print >"$out" 2>"$err" &&
    [ ! -e "$R2/etc" ] && has "name: example.net" "$out"; then
    ok "--print prints and writes nothing"
else
    notok "--print prints and writes nothing" "$(cat "$err")"
fi

# 6. answers file
cat >"$SCRATCH/answers.yaml" <<'YAML'
domains: [example.com]
selector: mail2026
bits: 4096
subdomains: true
spf: {ip4: [192.0.2.25], all: fail}
dmarc: {p: quarantine, rua: ["mailto:dmarc@example.com"]}
socket: "inet:8891@127.0.0.1"
YAML
if run init --answers "$SCRATCH/answers.yaml"; then ok "init --answers"; else notok "init --answers" "$(cat "$err")"; fi
check "answers: domain" has "^  - name: example.com$" "$CONF"
check "answers: socket" has 'socket: "inet:8891@127.0.0.1"' "$CONF"
check "answers: dmarc p" has "p: quarantine" "$CONF"
check "answers: spf ip4" has "- 192.0.2.25" "$CONF"

# 7. bad answers: clear error with file:line:col, model byte-identical
cp "$CONF" "$SCRATCH/v2"
printf 'domains: [example.io]\nselector: s1\nbitz: 2048\n' >"$SCRATCH/bad.yaml"
run init --answers "$SCRATCH/bad.yaml"
rc=$?
if [ $rc -eq 2 ] && cmp -s "$CONF" "$SCRATCH/v2"; then
    ok "bad answers: exit 2, model unchanged"
else
    notok "bad answers: exit 2, model unchanged" "rc=$rc"
fi
check "bad answers: file:line:col and accepted keys" \
    has "bad.yaml:3:1: unknown key 'bitz'; accepted keys: domains, selector" "$err"

for args in "--domain a%b.org" "--domain example.io --bits 512" \
    "--domain example.io --algorithm dsa" "--domain example.io --selector s/1" \
    "--domain example.io --socket unix:/x" "--bogus"; do
    # shellcheck disable=SC2086
    run init $args
    rc=$?
    if [ $rc -eq 2 ] && cmp -s "$CONF" "$SCRATCH/v2"; then
        ok "refused: init $args"
    else
        notok "refused: init $args" "rc=$rc $(cat "$err")"
    fi
done
check "bad flag names the flag" sh -c "'$DKIMCTL' --root '$R' init --domain 'a b' 2>&1 | grep -q -- '--domain: a space'"

# 8. a bad existing model is not touched
printf 'version: 1\ndomains:\n  - name: example.org\n    selectors: [{name: s1, bits: 512}]\n' >"$CONF"
cp "$CONF" "$SCRATCH/bad-model"
run init --domain example.net
rc=$?
if [ $rc -eq 2 ] && cmp -s "$CONF" "$SCRATCH/bad-model"; then
    ok "bad existing model: exit 2, byte-identical"
else
    notok "bad existing model: exit 2, byte-identical" "rc=$rc"
fi
check "bad existing model: error names file:line:col" \
    has "/etc/dkimctl/dkimctl.yaml:4:34: .*512 bits are refused" "$err"
printf 'version: 1\nversion: 1\n' >"$CONF"
cp "$CONF" "$SCRATCH/bad-model"
run init --domain example.net
if cmp -s "$CONF" "$SCRATCH/bad-model" && has "2:1: .*duplicate key 'version'" "$err"; then
    ok "duplicate key in the model: refused, unchanged"
else
    notok "duplicate key in the model: refused, unchanged" "$(cat "$err")"
fi
printf 'version: 1\nopendkim: {user: op\377}\n' >"$CONF"
cp "$CONF" "$SCRATCH/bad-model"
run init --domain example.net
if cmp -s "$CONF" "$SCRATCH/bad-model" && has "UTF-8" "$err"; then
    ok "invalid UTF-8 in the model: refused, unchanged"
else
    notok "invalid UTF-8 in the model: refused, unchanged" "$(cat "$err")"
fi

# 9. a symlink planted at the model path is refused, its target untouched
rm -f "$CONF"
printf 'precious\n' >"$SCRATCH/target"
ln -s "$SCRATCH/target" "$CONF"
run init --domain example.org
rc=$?
if [ $rc -ne 0 ] && [ -L "$CONF" ] && [ "$(cat "$SCRATCH/target")" = precious ]; then
    ok "symlink at the model path refused"
else
    notok "symlink at the model path refused" "rc=$rc"
fi
check "symlink refusal says why" has "symbolic link" "$err"

# 10. a symlinked directory on the way is refused too
R3=$SCRATCH/root3
mkdir -p "$R3/etc" "$SCRATCH/elsewhere"
ln -s "$SCRATCH/elsewhere" "$R3/etc/dkimctl"
"$DKIMCTL" --root "$R3" init --domain example.org >"$out" 2>"$err"
rc=$?
if [ $rc -ne 0 ] && [ -z "$(ls "$SCRATCH/elsewhere")" ]; then
    ok "symlinked directory refused"
else
    notok "symlinked directory refused" "rc=$rc $(ls "$SCRATCH/elsewhere")"
fi

# 11. --config puts the model elsewhere (a system path under --root)
R4=$SCRATCH/root4
mkdir -p "$R4"
if "$DKIMCTL" --root "$R4" --config /srv/dk/model.yaml init --domain example.org \
    >"$out" 2>"$err" && [ -f "$R4/srv/dk/model.yaml" ]; then
    ok "--config"
else
    notok "--config" "$(cat "$err")"
fi

# 12. --help documents the answers file
check "init --help documents the answers file" sh -c \
    "'$DKIMCTL' init --help | grep -q 'Answers file'"
