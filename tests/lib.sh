# lib.sh - TAP helpers for integration scripts (source it).
#   ok NAME | notok NAME [WHY] | skip NAME WHY | check NAME CMD... | is_root
: "${DKIMCTL:?DKIMCTL must name the dkimctl binary (tests/run.sh sets it)}"
_tap_n=0
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
notok() { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $1${2:+: $2}"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
check() {
    _name=$1
    shift
    if "$@"; then ok "$_name"; else notok "$_name" "command failed: $*"; fi
}
is_root() { [ "$(id -u)" -eq 0 ]; }
# mkscratch: sets SCRATCH to a new directory that is removed at exit.
mkscratch() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/dkimctl-test.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$SCRATCH'" EXIT
    trap 'exit 130' INT TERM
}
