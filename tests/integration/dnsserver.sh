# dnsserver.sh - a DNS server on loopback for integration tests (source it).
#
# unbound on 127.0.0.1 at a free high port, answering only from the zone
# data the test writes (local-zone/local-data lines); every other name is
# REFUSED, so nothing ever leaves the machine.  It is stopped at exit.
#
#   . tests/lib.sh
#   . tests/integration/dnsserver.sh
#   mkscratch
#   dns_init "$SCRATCH"                   # empty zone data in $DNS_DIR/zone.conf
#   dns_zone example.test                 # a static zone with an SOA: names not given are NXDOMAIN
#   dns_txt sel._domainkey.example.test "v=DKIM1; k=rsa; p=..."   # split at 255 octets
#   dns_rr 'www.example.test. 300 IN A 192.0.2.1'                  # any record
#   dns_conf 'local-zone: "refused.test." refuse'                  # any unbound server: line
#   dns_auth_zone signed.test "$SCRATCH/signed.test.zone.signed"   # a zone file, DNSSEC too
#   dns_start || { skip ...; exit 0; }    # sets DNS_PORT and DNS_SPEC=127.0.0.1@PORT
#   ... dkimctl --resolver "$DNS_SPEC" ...
#   dns_stop                              # optional: also done at exit
#
# dns_start registers its own EXIT trap that also removes $SCRATCH if set by
# mkscratch; a test with its own trap should call dns_stop itself.
# dns_free_port prints a loopback port free for UDP and TCP (for a "nothing
# answers here" server address).

DNS_UNBOUND=${DNS_UNBOUND:-/usr/sbin/unbound}
DNS_DRILL=${DNS_DRILL:-drill}
DNS_PY=${DNS_PY:-/usr/bin/python3}

dns_init() {
    DNS_DIR=$1
    mkdir -p "$DNS_DIR"
    : >"$DNS_DIR/zone.conf"
    : >"$DNS_DIR/extra.conf"
    DNS_PID=
}

# dns_zone ZONE: a static zone with an SOA (negative TTL 60, so NXDOMAIN and
# NODATA answers carry it and can be cached).
dns_zone() {
    printf 'local-zone: "%s." static\n' "$1" >>"$DNS_DIR/zone.conf"
    dns_rr "$1. 3600 IN SOA ns1.$1. hostmaster.$1. 1 3600 600 86400 60"
}

dns_rr() {
    printf "local-data: '%s'\n" "$1" >>"$DNS_DIR/zone.conf"
}

# dns_txt NAME VALUE [TTL]: one TXT record, VALUE split into strings of 255
# octets (VALUE must not hold '"', '\' or "'").
dns_txt() {
    _v=$2 _s=
    while [ ${#_v} -gt 255 ]; do
        _head=$(printf '%s' "$_v" | cut -c1-255)
        _s="$_s \"$_head\""
        _v=$(printf '%s' "$_v" | cut -c256-)
    done
    _s="$_s \"$_v\""
    dns_rr "$1. ${3:-300} IN TXT$_s"
}

# dns_auth_zone ZONE FILE: serve a zone file authoritatively (unbound
# auth-zone; DNSSEC-signed files are answered with RRSIG and NSEC/NSEC3
# proofs, DS queries at a child apex come from the parent's file).
dns_auth_zone() {
    printf 'server:\n    local-zone: "%s." transparent\nauth-zone:\n    name: "%s."\n    zonefile: "%s"\n    for-downstream: yes\n    for-upstream: no\n    fallback-enabled: no\n' \
        "$1" "$1" "$2" >>"$DNS_DIR/extra.conf"
}

dns_conf() {
    printf '%s\n' "$1" >>"$DNS_DIR/extra.conf"
}

dns_free_port() {
    "$DNS_PY" - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", p))
        u.close(); t.close()
        print(p)
        break
    except OSError:
        pass
PY
}

dns_stop() {
    if [ -n "${DNS_PID:-}" ]; then
        kill "$DNS_PID" 2>/dev/null
        wait "$DNS_PID" 2>/dev/null
        DNS_PID=
    fi
}

_dns_exit() {
    dns_stop
    [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}

dns_start() {
    [ -x "$DNS_UNBOUND" ] || { echo "# unbound not installed" >&2; return 1; }
    for _try in 1 2 3 4 5; do
        DNS_PORT=$(dns_free_port)
        [ -n "$DNS_PORT" ] || return 1
        cat >"$DNS_DIR/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $DNS_PORT
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$DNS_DIR"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-daemonize: no
    num-threads: 1
    module-config: "iterator"
    trust-anchor-file: ""
    auto-trust-anchor-file: ""
    qname-minimisation: no
    harden-glue: yes
    local-zone: "." refuse
    include: "$DNS_DIR/zone.conf"
    include: "$DNS_DIR/extra.conf"
remote-control:
    control-enable: no
CONF
        "$DNS_UNBOUND" -d -c "$DNS_DIR/unbound.conf" >"$DNS_DIR/unbound.log" 2>&1 &
        DNS_PID=$!
        trap _dns_exit EXIT
        trap '_dns_exit; exit 130' INT TERM
        # wait until it answers (up to 5 s)
        _n=0
        while [ $_n -lt 50 ]; do
            if ! kill -0 "$DNS_PID" 2>/dev/null; then
                break
            fi
            if "$DNS_DRILL" -Q -p "$DNS_PORT" @127.0.0.1 dnsserver-probe. TXT >/dev/null 2>&1; then
                DNS_SPEC="127.0.0.1@$DNS_PORT"
                export DNS_PORT DNS_SPEC
                return 0
            fi
            sleep 0.1
            _n=$((_n + 1))
        done
        dns_stop
        if ! grep -q 'bind' "$DNS_DIR/unbound.log"; then
            cat "$DNS_DIR/unbound.log" >&2
            return 1
        fi
    done
    return 1
}

# Run directly (tests/run.sh does), this file tests itself: a zone with a
# split TXT record is served, answered over UDP and TCP, and the server is
# gone after dns_stop.
case "$0" in
*dnsserver.sh)
    . tests/lib.sh
    mkscratch
    dns_init "$SCRATCH"
    if [ ! -x "$DNS_UNBOUND" ] || ! command -v "$DNS_DRILL" >/dev/null 2>&1; then
        skip "dnsserver" "unbound or drill (ldnsutils) not installed"
        exit 0
    fi
    dns_zone self.test
    _long=$(printf '%300s' '' | tr ' ' k)
    dns_txt key.self.test "v=DKIM1; p=$_long"
    if dns_start; then
        ok "dnsserver: unbound started on $DNS_SPEC"
    else
        notok "dnsserver: unbound did not start"
        exit 1
    fi
    _ans=$("$DNS_DRILL" -p "$DNS_PORT" @127.0.0.1 key.self.test TXT 2>&1)
    case "$_ans" in
    *"\"v=DKIM1; p=$(printf '%244s' '' | tr ' ' k)\" \"$(printf '%56s' '' | tr ' ' k)\""*)
        ok "dnsserver: TXT split into strings of 255 octets" ;;
    *) notok "dnsserver: TXT split into strings of 255 octets" "$_ans" ;;
    esac
    _ans=$("$DNS_DRILL" -t -p "$DNS_PORT" @127.0.0.1 none.self.test TXT 2>&1)
    case "$_ans" in
    *"rcode: NXDOMAIN"*) ok "dnsserver: NXDOMAIN over TCP for a name not given" ;;
    *) notok "dnsserver: NXDOMAIN over TCP for a name not given" "$_ans" ;;
    esac
    _ans=$("$DNS_DRILL" -p "$DNS_PORT" @127.0.0.1 www.example.com A 2>&1)
    case "$_ans" in
    *"rcode: REFUSED"*) ok "dnsserver: names outside the zones are refused" ;;
    *) notok "dnsserver: names outside the zones are refused" "$_ans" ;;
    esac
    _pid=$DNS_PID
    dns_stop
    if kill -0 "$_pid" 2>/dev/null; then
        notok "dnsserver: unbound stopped"
    else
        ok "dnsserver: unbound stopped"
    fi
    ;;
esac
