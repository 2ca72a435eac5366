#!/bin/sh
# check_scale.sh [BUILD] [N] [DELAY_MS] - how long `dkimctl check --all` takes
# for N domains (default 1000), each with a DKIM selector, SPF and DMARC,
# when every DNS answer is delayed by DELAY_MS (default 20).
#
# The model and keys are made by dkimctl itself (init + keygen, Ed25519 so
# that making 1000 keys is quick); the zone is what `dkimctl records`
# prints, plus NS and A records, served by unbound on loopback
# (tests/integration/dnsserver.sh).  In front of it a small delaying proxy
# holds every answer until DELAY_MS after its question arrived; both the
# resolver and the zone's authoritative server (ns1, 127.0.0.1) are that
# proxy, so the authoritative comparison is delayed too.
#
# A benchmark, not a test: it prints the figures; it fails only when the
# check does not come out clean (exit 0) or a domain is missing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
n=${2:-1000}
delay=${3:-20}
PY=/usr/bin/python3
DKIMCTL=$top/$build/dkimctl
export DKIMCTL
[ -x "$DKIMCTL" ] || { echo "check_scale: run make first ($DKIMCTL)" >&2; exit 2; }
. tests/lib.sh
. tests/integration/dnsserver.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/dkimctl-bench.XXXXXX")
proxy=
cleanup() {
    if [ -n "$proxy" ]; then kill "$proxy" 2>/dev/null || :; wait "$proxy" 2>/dev/null || :; fi
    dns_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

ROOT=$work/root
mkdir -p "$ROOT"
cp -R tests/sandbox/. "$ROOT"/
chmod 0755 "$ROOT"
D() { "$DKIMCTL" --root "$ROOT" "$@"; }

t0=$(date +%s.%N)
{
    echo "domains:"
    i=1
    while [ $i -le "$n" ]; do
        echo "  - d$i.bench.test"
        i=$((i + 1))
    done
    cat <<'YAML'
selector: sel
algorithm: ed25519
spf:
  mx: false
  ip4: [192.0.2.10]
  all: fail
dmarc:
  p: reject
  rua: ["mailto:dmarc@bench.test"]
YAML
} >"$work/answers.yaml"
D init --answers "$work/answers.yaml" >/dev/null 2>&1
D keygen >/dev/null 2>"$work/keygen.err" || { cat "$work/keygen.err" >&2; exit 2; }
D records --format plain >"$work/records.txt"

# zone LAYOUT: "one" = every domain in zone bench.test; "own" = each domain its own zone
zone() {
    dns_init "$work/dns"
    dns_zone bench.test
    dns_rr "bench.test. 300 IN NS ns1.bench.test."
    dns_rr "ns1.bench.test. 300 IN A 127.0.0.1"
    if [ "$1" = own ]; then
        i=1
        while [ $i -le "$n" ]; do
            printf 'local-zone: "d%s.bench.test." static\n' $i
            printf "local-data: 'd%s.bench.test. 3600 IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 86400 60'\n" $i
            printf "local-data: 'd%s.bench.test. 300 IN NS ns1.bench.test.'\n" $i
            i=$((i + 1))
        done >>"$DNS_DIR/zone.conf"
    fi
    tab=$(printf '\t')
    while IFS="$tab" read -r name _type value || [ -n "$name" ]; do
        printf "local-data: '%s. 300 IN TXT \"%s\"'\n" "$name" "$value"
    done <"$work/records.txt" >>"$DNS_DIR/zone.conf"
    dns_start || { echo "check_scale: unbound did not start" >&2; exit 2; }
}
zone one
t1=$(date +%s.%N)

# the delaying proxy (UDP; answers here are small)
start_proxy() {
port=$(dns_free_port)
"$PY" - "$port" "$DNS_PORT" "$delay" >"$work/proxy.log" 2>&1 <<'PY' &
import heapq, select, socket, sys, time
port, up, delay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
front.bind(("127.0.0.1", port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
back.connect(("127.0.0.1", up))
front.setblocking(False)
back.setblocking(False)
inflight, pending, nid, seq = {}, [], 0, 0
end = time.monotonic() + 600
print("ready", flush=True)
while time.monotonic() < end:
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        _, _, addr, resp = heapq.heappop(pending)
        try:
            front.sendto(resp, addr)
        except OSError:
            pass
    wait = 0.5 if not pending else max(0.0, pending[0][0] - now)
    r, _, _ = select.select([front, back], [], [], wait)
    for s in r:
        for _ in range(512):
            try:
                data, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if len(data) < 12:
                continue
            if s is front:
                nid = (nid + 1) & 0xFFFF
                inflight[nid] = (addr, data[:2], time.monotonic())
                back.send(nid.to_bytes(2, "big") + data[2:])
            else:
                q = inflight.pop(int.from_bytes(data[:2], "big"), None)
                if q is None:
                    continue
                addr, oid, t = q
                seq += 1
                heapq.heappush(pending, (max(time.monotonic(), t + delay), seq, addr, oid + data[2:]))
PY
proxy=$!
i=0
until grep -q ready "$work/proxy.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 50 ] || { echo "check_scale: proxy did not start" >&2; cat "$work/proxy.log" >&2; exit 2; }
    sleep 0.1
done
}
start_proxy
# the delay is there: one lookup through the proxy
ts=$(date +%s%N)
drill -p "$port" @127.0.0.1 d1.bench.test TXT >/dev/null
te=$(date +%s%N)
echo "setup: $n domains, keys and zone in $(echo "$t1 - $t0" | bc) s; one lookup through the proxy: $(( (te - ts) / 1000000 )) ms (delay $delay ms)"

run() { # run LABEL ARGS...
    label=$1
    shift
    s=$(date +%s%N)
    set +e
    D --resolver "127.0.0.1@$port" check --all --auth-port "$port" "$@" >"$work/out.txt" 2>&1
    rc=$?
    set -e
    e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 ))
    doms=$(grep -c '^== d[0-9]*\.bench\.test ' "$work/out.txt" || :)
    summary=$(tail -n 1 "$work/out.txt")
    echo "check --all $label: $ms ms wall, exit $rc, $doms domains -- $summary"
    if [ "$rc" -ne 0 ] || [ "$doms" -ne "$n" ]; then
        echo "check_scale: expected exit 0 and $n domains" >&2
        grep -v '^ok: \|^info: \|^== ' "$work/out.txt" | head -20 >&2
        exit 1
    fi
}
run "(resolver + authoritative server + DNSSEC)"
run "(resolver only, --no-authoritative --no-dnssec)" --no-authoritative --no-dnssec

# the same domains, each its own zone: N zones, each validated for DNSSEC (in threads)
kill "$proxy" 2>/dev/null || :
wait "$proxy" 2>/dev/null || :
proxy=
dns_stop
zone own
start_proxy
run "($n zones: resolver + authoritative server + DNSSEC)"
