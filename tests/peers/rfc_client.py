#!/usr/bin/env python3
"""A client of the classic services, as a Python user would write one, printing what it got.

Usage: rfc_client.py PROTOCOL KIND ADDRESS
  PROTOCOL  daytime, time, chargen or discard
  KIND      tcp, udp, unix or unix-dgram
  ADDRESS   HOST:PORT ([IPv6]:PORT) for tcp and udp, a socket path for unix and unix-dgram

Prints:
  daytime   the line received, as it came (RFC 867)
  time      the 32-bit count received, as a decimal number (RFC 868: seconds since 1900)
  chargen   on a stream, the first 10000 bytes, after which it closes; on datagrams, the one reply (RFC 864)
  discard   on a stream, after sending 1 MiB and shutting down its side: "received N" for what came back (RFC 863)
"""
import os
import socket
import struct
import sys
import tempfile

TIMEOUT = 30
CHARGEN_BYTES = 10000


def split_host_port(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def read_to_end(sock):
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def stream(protocol, sock):
    if protocol == "chargen":
        data = b""
        while len(data) < CHARGEN_BYTES:
            chunk = sock.recv(CHARGEN_BYTES - len(data))
            if not chunk:
                break
            data += chunk
        return data
    if protocol == "discard":
        sock.sendall(b"x" * (1 << 20))
        sock.shutdown(socket.SHUT_WR)
        return b"received %d" % len(read_to_end(sock))
    # daytime and time speak as soon as the connection opens and then close it.
    sock.shutdown(socket.SHUT_WR)
    return read_to_end(sock)


def datagram(protocol, sock, address):
    # RFC 868 asks for an empty datagram; the others answer whatever comes.
    sock.sendto(b"" if protocol == "time" else b"\n", address)
    return sock.recv(65536)


def show(protocol, reply):
    if protocol == "time":
        (seconds,) = struct.unpack("!I", reply)
        return b"%d" % seconds
    return reply


def main():
    protocol, kind, address = sys.argv[1], sys.argv[2], sys.argv[3]
    client_path = None
    if kind in ("tcp", "udp"):
        host, port = split_host_port(address)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        target = (host, port)
    else:
        family = socket.AF_UNIX
        target = address
    sock_type = socket.SOCK_STREAM if kind in ("tcp", "unix") else socket.SOCK_DGRAM
    with socket.socket(family, sock_type) as sock:
        sock.settimeout(TIMEOUT)
        try:
            if kind == "unix-dgram":
                # A Unix datagram client needs a name of its own, or the server has nowhere to reply.
                client_path = os.path.join(tempfile.mkdtemp(), "client.sock")
                sock.bind(client_path)
            if sock_type == socket.SOCK_STREAM:
                sock.connect(target)
                reply = stream(protocol, sock)
            else:
                reply = datagram(protocol, sock, target)
        finally:
            if client_path:
                os.unlink(client_path)
                os.rmdir(os.path.dirname(client_path))
    sys.stdout.buffer.write(show(protocol, reply))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
