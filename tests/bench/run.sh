#!/bin/sh
# run.sh BENCH_DIR PROG - speed of dkimctl against the peers and the
# OpenSSL-only ceiling (limit.c), measured in one run of the shared harness
# (BENCH_DIR/run-baselines), with dkimctl as the candidate.  `make bench`
# calls it.  Prints the four ratios dkimctl / limit.c (measured) and
# dkimctl / best peer, and dkimctl's peak RSS.
#
# Environment:
#   BENCH_WORK  work directory (default build/bench-work; keep it short: the
#               DNS control socket path must fit in 107 bytes)
#   N           corpus size (default 2000, the harness default)
#   RUNS        runs per row (default 3, median reported)
#   ONLY        row regex passed to --only (default: every row, so the best
#               peer comes from the same run); e.g. ONLY='candidate|limit'
#   SPEED=1     also run `openssl speed` (30 s) for the computed bound
#   CROSS=0     skip the cross-verification matrix
set -eu

[ $# -eq 2 ] || { echo "usage: $0 BENCH_DIR PROG" >&2; exit 2; }
bench=$(cd "$1" && pwd) || { echo "bench: no harness at $1" >&2; exit 2; }
[ -x "$bench/run-baselines" ] || { echo "bench: $bench/run-baselines missing" >&2; exit 2; }
[ -x "$2" ] || { echo "bench: $2 is not a built program (make first)" >&2; exit 2; }
DKIMCTL=$(realpath "$2")
top=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_WORK=$(realpath -m "${BENCH_WORK:-$top/build/bench-work}")
export BENCH_WORK DKIMCTL

n=${N:-2000}
"$bench/mkcorpus" -n "$n" >/dev/null

export CANDIDATE_NAME=dkimctl
export CANDIDATE_ALGS='rsa ed'
export CANDIDATE_SIGN='"$DKIMCTL" sign --domain {domain} --selector {selector} --key {key} --algorithm {algname} --sigs {sigs} {dir}/*.eml'
export CANDIDATE_VERIFY='"$DKIMCTL" verify --resolver 127.0.0.1@{port} {dir}/*.eml'

set -- --runs "${RUNS:-3}"
[ -n "${ONLY:-}" ] && set -- "$@" --only "$ONLY"
[ "${SPEED:-0}" = 1 ] || set -- "$@" --no-speed
[ "${CROSS:-1}" = 1 ] || set -- "$@" --no-crosscheck
echo "bench: $bench/run-baselines $* (BENCH_WORK=$BENCH_WORK, N=$n; other load on the machine skews the figures)"
rc=0
"$bench/run-baselines" "$@" || rc=$?

/usr/bin/python3 - "$BENCH_WORK/out/results.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["results"] if r.get("msgs_per_s")]
def get(op, alg, pred):
    return [r for r in rows if r["op"] == op and r["alg"] == alg and pred(r)]
print("\ndkimctl ratios (same run, %d messages, median of %s run(s)):" % (doc["corpus"]["n"], doc["runs"]))
print("%-22s %10s %10s %7s %28s %7s %8s" % ("row", "dkimctl", "limit.c", "ratio", "best peer", "ratio", "RSS MiB"))
worst = None
for op in ("sign", "verify"):
    for alg in ("rsa-sha256", "ed25519-sha256"):
        c = get(op, alg, lambda r: r["id"].startswith("candidate."))
        l = get(op, alg, lambda r: r["id"].startswith("limit."))
        p = get(op, alg, lambda r: not r["id"].startswith(("candidate.", "limit.")) and r.get("all_ok"))
        if not c:
            print("%-22s (no dkimctl row)" % ("%s %s" % (op, alg)))
            continue
        c = c[0]
        lr = l[0]["msgs_per_s"] if l else None
        best = max(p, key=lambda r: r["msgs_per_s"]) if p else None
        ratio = c["msgs_per_s"] / lr if lr else None
        if ratio is not None:
            worst = ratio if worst is None else min(worst, ratio)
        print("%-22s %10.0f %10s %7s %28s %7s %8.1f%s" % (
            "%s %s" % (op, alg), c["msgs_per_s"],
            "%.0f" % lr if lr else "-",
            "%.2f" % ratio if ratio else "-",
            ("%s %.0f" % (best["peer"], best["msgs_per_s"]))[:28] if best else "-",
            "%.2f" % (c["msgs_per_s"] / best["msgs_per_s"]) if best else "-",
            c.get("maxrss_mib") or 0, "" if c.get("all_ok") else "  NOT OK"))
if worst is not None:
    print("lowest ratio to limit.c: %.2f (target >= 0.90)" % worst)
PY
exit $rc
