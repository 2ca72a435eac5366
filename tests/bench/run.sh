#!/bin/sh
# run.sh BENCH_DIR PROG - speed of dkimctl against the peers and the
# OpenSSL-only ceiling (limit.c), measured in one run of the shared harness
# (BENCH_DIR/run-baselines), with dkimctl as the candidate.  `make bench`
# calls it.  Prints for each of the four rows dkimctl / limit.c twice
# (dkimctl's whole process, and its own --stats loop time, which is how
# limit.c times itself), dkimctl / best peer, and dkimctl's peak RSS.
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
# --stats adds one line "ok=N ... loop_s=S": the harness checks the count
# and shows the loop time as in-loop msgs/s, as it does for the peers
export CANDIDATE_SIGN='"$DKIMCTL" sign --stats --domain {domain} --selector {selector} --key {key} --algorithm {algname} --sigs {sigs} {dir}/*.eml'
export CANDIDATE_VERIFY='"$DKIMCTL" verify --stats --resolver 127.0.0.1@{port} {dir}/*.eml'

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
print("\ndkimctl against limit.c (the ceiling: its own timed loop) and the best peer, same run,"
      " %d messages, median of %s run(s)." % (doc["corpus"]["n"], doc["runs"]))
print("process = dkimctl's whole process (exec, key load, bash and its glob included);"
      " in-loop = dkimctl's own --stats loop time, measured as limit.c measures itself.")
print("%-22s %9s %9s %9s %8s %8s %28s %6s %7s" % ("row", "process", "in-loop", "limit.c",
      "process", "in-loop", "best peer (process)", "ratio", "RSS MiB"))
worst = {"process": None, "in-loop": None}
def low(k, v):
    if v is not None:
        worst[k] = v if worst[k] is None else min(worst[k], v)
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
        cl = c.get("loop_msgs_per_s")
        best = max(p, key=lambda r: r["msgs_per_s"]) if p else None
        rp = c["msgs_per_s"] / lr if lr else None
        rl = cl / lr if lr and cl else None
        low("process", rp)
        low("in-loop", rl)
        print("%-22s %9.0f %9s %9s %8s %8s %28s %6s %7.1f%s" % (
            "%s %s" % (op, alg), c["msgs_per_s"], "%.0f" % cl if cl else "-",
            "%.0f" % lr if lr else "-",
            "%.2f" % rp if rp else "-", "%.2f" % rl if rl else "-",
            ("%s %.0f" % (best["peer"], best["msgs_per_s"]))[:28] if best else "-",
            "%.2f" % (c["msgs_per_s"] / best["msgs_per_s"]) if best else "-",
            c.get("maxrss_mib") or 0, "" if c.get("all_ok") else "  NOT OK"))
for k in ("process", "in-loop"):
    if worst[k] is not None:
        print("lowest %s ratio to limit.c: %.2f (target >= 0.90)" % (k, worst[k]))
PY
exit $rc
