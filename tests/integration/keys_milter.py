#!/usr/bin/python3
"""keys_milter.py HOST PORT FROM_DOMAIN TXT_NAME TXT_VALUE

A minimal milter client (protocol version 6, the subset an MTA uses): sends
one message from postmaster@FROM_DOMAIN through the milter at HOST:PORT (a
real opendkim), applies the headers it inserts, and verifies every
DKIM-Signature with dkimpy against the one TXT record given (TXT_NAME ->
TXT_VALUE, the concatenated value dkimctl printed).  Prints the signature
tags and "verify: pass" or "verify: fail"; exits 0 on pass, 1 on fail, 2 when
no signature was added and 3 on a protocol or connection error.
"""
import socket
import struct
import sys

import dkim


def die(msg):
    print(msg)
    sys.exit(3)

SMFIP_HDR_LEADSPC = 0x100000
NO_FLAGS = {b"C": 0x1, b"H": 0x2, b"M": 0x4, b"R": 0x8, b"B": 0x10, b"L": 0x20, b"N": 0x40}
NR_FLAGS = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"L": 0x80,
            b"N": 0x40000, b"B": 0x80000}


def readn(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            die("milter closed the connection")
        data += chunk
    return data


def send(s, cmd, data=b""):
    s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def recv(s):
    n = struct.unpack("!I", readn(s, 4))[0]
    body = readn(s, n)
    return body[:1], body[1:]


def main():
    host, port, domain, txt_name, txt_value = sys.argv[1:6]
    headers = [
        ("From", "Postmaster <postmaster@%s>" % domain),
        ("To", "someone@example.com"),
        ("Subject", "dkimctl key test"),
        ("Date", "Fri, 27 Nov 2026 12:00:00 +0000"),
        ("Message-ID", "<keys-test@%s>" % domain),
    ]
    body = b"Hello.\r\n\r\nThis message was signed with a key dkimctl made.\r\n"

    try:
        s = socket.create_connection((host, int(port)), timeout=20)
    except OSError as e:
        die("cannot connect to the milter: %s" % e)
    # offer every action and every protocol step option except leading spaces
    send(s, b"O", struct.pack("!III", 6, 0x1FF, 0xFFFFF))
    cmd, data = recv(s)
    if cmd != b"O":
        die("negotiation failed: %r" % cmd)
    _, _, pflags = struct.unpack("!III", data[:12])

    def step(cmd, data=b""):
        if pflags & NO_FLAGS.get(cmd, 0):
            return
        send(s, cmd, data)
        if pflags & NR_FLAGS.get(cmd, 0):
            return
        r, rdata = recv(s)
        if r not in (b"c", b"a"):
            die("milter answered %r to %r: %r" % (r, cmd, rdata))

    send(s, b"D", b"C" + b"j\0mail.%s\0" % domain.encode() + b"{daemon_name}\0MTA\0")
    step(b"C", b"localhost\0" + b"4" + struct.pack("!H", 12345) + b"127.0.0.1\0")
    step(b"H", b"localhost\0")
    send(s, b"D", b"M" + b"i\0KEYSTEST1\0")
    step(b"M", b"<postmaster@%s>\0" % domain.encode())
    step(b"R", b"<someone@example.com>\0")
    for name, value in headers:
        step(b"L", name.encode() + b"\0" + value.encode() + b"\0")
    step(b"N")
    step(b"B", body)
    send(s, b"E")
    inserted = []
    while True:
        r, rdata = recv(s)
        if r in (b"h", b"i"):
            if r == b"i":
                rdata = rdata[4:]
            name, value = rdata.split(b"\0")[:2]
            inserted.append((name.decode(), value.decode()))
        elif r in (b"a", b"c"):
            break
        elif r in (b"m", b"p"):  # change header, progress: not expected here
            continue
        else:
            die("milter answered %r at end of message: %r" % (r, rdata))
    send(s, b"Q")
    s.close()

    sigs = [v for n, v in inserted if n.lower() == "dkim-signature"]
    if not sigs:
        print("no DKIM-Signature was added; headers added: %r" % inserted)
        return 2
    msg = b""
    for name, value in inserted:
        lead = "" if pflags & SMFIP_HDR_LEADSPC else " "
        msg += ("%s:%s%s\r\n" % (name, lead, value.replace("\r\n", "\n").replace("\n", "\r\n"))).encode()
    for name, value in headers:
        msg += ("%s: %s\r\n" % (name, value)).encode()
    msg += b"\r\n" + body
    for sig in sigs:
        print("signature: " + " ".join(sig.split()))

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        if name.rstrip(".") == txt_name.rstrip("."):
            return txt_value.encode()
        return None

    ok = dkim.verify(msg, dnsfunc=dnsfunc)
    print("verify: %s" % ("pass" if ok else "fail"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        rc = main()
    except OSError as e:
        print("milter connection: %s" % e)
        rc = 3
    sys.exit(rc)
