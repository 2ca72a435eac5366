#!/bin/sh
# config_golden.sh - golden cases for plan/apply under --root.
#
# Each tests/golden/CASE/ holds:
#   model.yaml   the model (copied to ROOT/etc/dkimctl/dkimctl.yaml)
#   before/      the starting tree
#   after/       the expected tree after 'dkimctl apply' (backups, keys, the
#                journal and the model itself are not compared)
#   after.tree   "TYPE MODE PATH" of every path after apply (same exclusions)
#   keys         optional: system paths of private keys to create first
#   status       optional: expected exit status of apply (default 0); when
#                it is not 0 the tree must be exactly the starting tree
#   expect       optional: lines that must appear in apply's output
# After a successful apply, a second apply must change nothing (not even an
# mtime or an inode) and 'plan' must be empty.
# UPDATE_GOLDEN=1 rewrites after/ and after.tree from the results.
. tests/lib.sh
mkscratch

snapshot() { # every path with inode, mtime, mode, owner
    (cd "$1" && find . -printf '%p %i %T@ %m %u %g\n' | sort)
}
tree() {
    (cd "$1" && find . ! -name '*.dkimctl-*' ! -name '*.private' ! -path './var/lib/dkimctl/journal' \
        ! -path './etc/dkimctl' ! -path './etc/dkimctl/*' -printf '%y %m %p\n' | LC_ALL=C sort)
}
same_tree() { # same_tree EXPECTED ACTUAL
    diff -r --no-dereference -x '*.dkimctl-*' -x '*.private' -x journal -x dkimctl.yaml \
        -x dkimctl "$1" "$2"
}

for dir in tests/golden/*/; do
    # cases of this runner have a model and a starting tree
    [ -f "$dir/model.yaml" ] && [ -d "$dir/before" ] || continue
    case=$(basename "$dir")
    R=$SCRATCH/$case
    mkdir -p "$R"
    cp -a "$dir/before/." "$R/"
    find "$R" -name .keep -delete
    mkdir -p "$R/etc/dkimctl"
    cp "$dir/model.yaml" "$R/etc/dkimctl/dkimctl.yaml"
    if [ -f "$dir/keys" ]; then
        while read -r k; do
            [ -n "$k" ] || continue
            (umask 077 && mkdir -p "$(dirname "$R$k")" &&
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$R$k" 2>/dev/null)
        done <"$dir/keys"
    fi
    want=0
    [ -f "$dir/status" ] && want=$(cat "$dir/status")
    snapshot "$R" >"$SCRATCH/$case.snap0"
    "$DKIMCTL" --root "$R" --templates templates apply >"$SCRATCH/$case.out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok "$case: apply exits $want"
    else
        notok "$case: apply exits $want" "got $rc: $(cat "$SCRATCH/$case.out")"
    fi
    if [ -f "$dir/expect" ]; then
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            if grep -qF -- "$line" "$SCRATCH/$case.out"; then
                ok "$case: output says '$line'"
            else
                notok "$case: output says '$line'" "$(cat "$SCRATCH/$case.out")"
            fi
        done <"$dir/expect"
    fi
    if [ "$want" -ne 0 ]; then
        snapshot "$R" >"$SCRATCH/$case.snap1"
        if cmp -s "$SCRATCH/$case.snap0" "$SCRATCH/$case.snap1"; then
            ok "$case: refused apply changes nothing on disk"
        else
            notok "$case: refused apply changes nothing on disk" \
                "$(diff "$SCRATCH/$case.snap0" "$SCRATCH/$case.snap1")"
        fi
        continue
    fi
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        rm -rf "$dir/after"
        mkdir -p "$dir/after"
        cp -a "$R/." "$dir/after/"
        find "$dir/after" \( -name '*.dkimctl-*' -o -name '*.private' -o -name journal \
            -o -name dkimctl.yaml \) -delete
        rmdir "$dir/after/etc/dkimctl" 2>/dev/null
        find "$dir/after" -type d -empty -exec touch {}/.keep \;
        tree "$R" >"$dir/after.tree"
    fi
    if out=$(same_tree "$dir/after" "$R" 2>&1 | grep -v '^Only in .*: \.keep$'); [ -z "$out" ]; then
        ok "$case: tree matches after/"
    else
        notok "$case: tree matches after/" "$out"
    fi
    tree "$R" >"$SCRATCH/$case.tree"
    if diff "$dir/after.tree" "$SCRATCH/$case.tree" >"$SCRATCH/$case.treediff"; then
        ok "$case: paths, types and modes match after.tree"
    else
        notok "$case: paths, types and modes match after.tree" "$(cat "$SCRATCH/$case.treediff")"
    fi
    # idempotence: the second apply touches nothing
    snapshot "$R" >"$SCRATCH/$case.snap1"
    sleep 1
    "$DKIMCTL" --root "$R" --templates templates apply >"$SCRATCH/$case.out2" 2>&1
    rc=$?
    snapshot "$R" >"$SCRATCH/$case.snap2"
    if [ $rc -eq 0 ] && grep -q '^nothing to do' "$SCRATCH/$case.out2" &&
        cmp -s "$SCRATCH/$case.snap1" "$SCRATCH/$case.snap2"; then
        ok "$case: second apply changes nothing, not even an mtime"
    else
        notok "$case: second apply changes nothing, not even an mtime" \
            "rc=$rc $(cat "$SCRATCH/$case.out2") $(diff "$SCRATCH/$case.snap1" "$SCRATCH/$case.snap2")"
    fi
    if "$DKIMCTL" --root "$R" --templates templates plan >"$SCRATCH/$case.plan" 2>&1 &&
        grep -q '^nothing to do' "$SCRATCH/$case.plan"; then
        ok "$case: plan after apply is empty"
    else
        notok "$case: plan after apply is empty" "$(cat "$SCRATCH/$case.plan")"
    fi
done
