#!/usr/bin/python3
"""dns_delay.py - a tiny authoritative DNS responder on loopback that answers
every UDP query after a fixed delay (benchmarks of concurrent lookups).

    dns_delay.py PORT [DELAY_MS] [LIFETIME_S] [noedns]

Listens on 127.0.0.1:PORT only, stops by itself after LIFETIME_S (default
120).  With "noedns" it plays an old server: FORMERR to any query that
carries an OPT record (EDNS0).  Answers, for any name under any zone:
    sel._domainkey.NAME TXT  "v=DKIM1; k=ed25519; p=<NAME's key>"
    _dmarc.NAME         TXT  "v=DMARC1; p=none"
    NAME                TXT  "v=spf1 -all"
    NAME                A    127.0.0.1
other types: NODATA.  Standard library only.
"""
import heapq
import select
import socket
import struct
import sys
import time


def parse_question(q):
    """(id, flags, qname labels bytes, qname text, qtype, end offset) or None."""
    if len(q) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    if flags & 0x8000 or qd != 1:
        return None
    i, labels = 12, []
    while True:
        if i >= len(q):
            return None
        n = q[i]
        if n == 0:
            i += 1
            break
        if n > 63 or i + 1 + n > len(q):
            return None
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    if i + 4 > len(q):
        return None
    qtype, qclass = struct.unpack("!HH", q[i:i + 4])
    return qid, flags, q[12:i + 4], ".".join(labels), qtype, qclass


def answer(q, noedns=False):
    p = parse_question(q)
    if p is None:
        return None
    qid, flags, question, name, qtype, qclass = p
    rd = flags & 0x0100
    if noedns and struct.unpack("!H", q[10:12])[0] > 0:
        return struct.pack("!HHHHHH", qid, 0x8001 | rd, 1, 0, 0, 0) + question
    rdata = None
    if qtype == 16:
        if name.startswith("sel._domainkey."):
            txt = b"v=DKIM1; k=ed25519; p=" + name[15:].encode() + b"="
        elif name.startswith("_dmarc."):
            txt = b"v=DMARC1; p=none"
        else:
            txt = b"v=spf1 -all"
        rdata = bytes([len(txt)]) + txt
        rtype = 16
    elif qtype == 1:
        rdata = bytes([127, 0, 0, 1])
        rtype = 1
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 1 if rdata else 0, 0, 0)
    out = hdr + question
    if rdata:
        out += struct.pack("!HHHIH", 0xC00C, rtype, 1, 300, len(rdata)) + rdata
    return out


def main():
    port = int(sys.argv[1])
    delay = (int(sys.argv[2]) if len(sys.argv) > 2 else 20) / 1000.0
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    noedns = len(sys.argv) > 4 and sys.argv[4] == "noedns"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    s.setblocking(False)
    end = time.monotonic() + lifetime
    pending = []  # (due, seq, addr, response)
    seq = 0
    print("ready", flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, addr, resp = heapq.heappop(pending)
            try:
                s.sendto(resp, addr)
            except OSError:
                pass
        wait = 0.5 if not pending else max(0.0, pending[0][0] - now)
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        for _ in range(256):
            try:
                q, addr = s.recvfrom(4096)
            except BlockingIOError:
                break
            resp = answer(q, noedns)
            if resp is not None:
                seq += 1
                heapq.heappush(pending, (time.monotonic() + delay, seq, addr, resp))


if __name__ == "__main__":
    main()
