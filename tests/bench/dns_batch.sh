#!/bin/sh
# dns_batch.sh [BUILD] [N] [DELAY_MS] - time dk_dns_batch on N domains x 3
# TXT lookups (DKIM key, SPF, DMARC) against a loopback responder that
# delays every answer by DELAY_MS (default 1000 domains, 20 ms).
# A benchmark, not a test: it prints the figure; it fails only when an
# answer is wrong or missing.  Needs build/libdkimctl.a (make).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
n=${2:-1000}
delay=${3:-20}
py=/usr/bin/python3
[ -f "$build/libdkimctl.a" ] || { echo "dns_batch: run make first ($build/libdkimctl.a)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dkimctl-bench.XXXXXX")
srv=
cleanup() {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# shellcheck disable=SC2046
${CC:-cc} -std=c17 -O2 -Iinclude -D_GNU_SOURCE -o "$work/dns_batch" tests/bench/dns_batch.c \
    "$build/libdkimctl.a" $(pkg-config --libs ldns openssl yaml-0.1 libidn2 libpsl) -lcrypto

port=$("$py" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" tests/bench/dns_delay.py "$port" "$delay" 120 >"$work/srv.log" 2>&1 &
srv=$!
i=0
until grep -q ready "$work/srv.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 50 ] || { echo "dns_batch: responder did not start" >&2; cat "$work/srv.log" >&2; exit 2; }
    sleep 0.1
done
echo "responder: 127.0.0.1@$port, every answer delayed by $delay ms"
"$work/dns_batch" "127.0.0.1@$port" "$n" 2000
