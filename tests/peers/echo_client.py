#!/usr/bin/env python3
"""Sends one message to an echo server and prints what came back.

Usage: echo_client.py KIND ADDRESS MESSAGE
  KIND     tcp, udp, unix or unix-dgram
  ADDRESS  HOST:PORT ([IPv6]:PORT) for tcp and udp, a socket path for unix and unix-dgram
"""
import os
import socket
import sys
import tempfile

TIMEOUT = 30


def split_host_port(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def stream(sock, address, message):
    sock.connect(address)
    sock.sendall(message)
    sock.shutdown(socket.SHUT_WR)
    chunks = []
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def datagram(sock, address, message):
    sock.sendto(message, address)
    return sock.recv(65536)


def main():
    kind, address, message = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    if kind in ("tcp", "udp"):
        host, port = split_host_port(address)
        sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
        with socket.socket(family_of(host), sock_type) as sock:
            sock.settimeout(TIMEOUT)
            exchange = stream if kind == "tcp" else datagram
            reply = exchange(sock, (host, port), message)
    elif kind == "unix":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            reply = stream(sock, address, message)
    elif kind == "unix-dgram":
        # The server replies to the sender's address, so the client binds a path of its own.
        with tempfile.TemporaryDirectory() as directory:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.settimeout(TIMEOUT)
                sock.bind(os.path.join(directory, "client.sock"))
                reply = datagram(sock, address, message)
    else:
        sys.exit("unknown kind: %s" % kind)
    sys.stdout.write(reply.decode())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
