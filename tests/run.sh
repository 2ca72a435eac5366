#!/bin/sh
# run.sh [--unit-only|--integration-only] BUILD [ASAN_BUILD]
# Runs the cmocka unit tests of each build directory given and the
# integration scripts (against BUILD's binary), reads their TAP output and
# ends with one line: "N passed, N failed, N skipped".
set -u

mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--integration-only) mode=integration; shift ;;
esac
[ $# -ge 1 ] || { echo "usage: $0 [--unit-only|--integration-only] BUILD [BUILD...]" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
pass=0 fail=0 skip=0
failed_names=

count() { # count NAME FILE RC
    # cmocka's skip() prints "not ok N # SKIP": a skip, not a failure
    p=$(grep -c '^ok ' "$2" | tr -d ' ')
    s=$(grep -c '^\(not \)\{0,1\}ok .*# [Ss][Kk][Ii][Pp]' "$2" | tr -d ' ')
    sp=$(grep -c '^ok .*# [Ss][Kk][Ii][Pp]' "$2" | tr -d ' ')
    f=$(grep -c '^not ok ' "$2" | tr -d ' ')
    p=$((p - sp))
    f=$((f - (s - sp)))
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or exited non-zero without saying why
        echo "not ok - $1 exited with status $3"
    fi
    pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
    [ "$f" -gt 0 ] && failed_names="$failed_names $1"
    grep '^\(not \)\{0,1\}ok .*# [Ss][Kk][Ii][Pp]' "$2" | sed "s|^|SKIP $1: |"
    return 0
}

if [ "$mode" != integration ]; then
    for b in "$@"; do
        for t in "$b"/tests/test_*; do
            [ -x "$t" ] || continue
            # *_live binaries need a server: their integration script runs them
            case "$t" in *_live) continue ;; esac
            name="$(basename "$b")/$(basename "$t")"
            echo "== $name"
            (cd "$top" && CMOCKA_MESSAGE_OUTPUT=TAP "$t") >"$log" 2>&1
            rc=$?
            grep -v '^ok ' "$log" | grep -v '^1\.\.' || true
            count "$name" "$log" $rc
        done
    done
fi

if [ "$mode" != unit ]; then
    # every integration script runs against the binary of each build given
    # (the ASan+UBSan build included: leaks and undefined behaviour fail it)
    for b in "$@"; do
        DKIMCTL="$top/$b/dkimctl"
        export DKIMCTL
        for t in "$top"/tests/integration/*.sh; do
            [ -f "$t" ] || continue
            name="$(basename "$b")/integration/$(basename "$t" .sh)"
            echo "== $name"
            (cd "$top" && sh "$t") >"$log" 2>&1
            rc=$?
            grep -v '^ok ' "$log" || true
            count "$name" "$log" $rc
        done
    done
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
