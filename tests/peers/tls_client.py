#!/usr/bin/env python3
"""A TLS client for the tests: connects (TCP on 127.0.0.1 or a Unix socket), optionally speaks plaintext first
and sends STARTTLS, then sends one line over TLS and prints everything the server sends back until it closes.

Exit codes: 0 served; 2 the TLS handshake failed (the reason on stderr); 3 the connection failed after the handshake.
"""
import argparse
import socket
import ssl
import sys
import warnings

# TLS 1.1 is deprecated in Python: the tests offer it on purpose, to see the server refuse it.
warnings.filterwarnings("ignore", category=DeprecationWarning)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int)
    p.add_argument("--unix")
    p.add_argument("--line", required=True)
    p.add_argument("--sni")
    p.add_argument("--alpn", help="comma-separated")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--max-version", choices=["1.1", "1.2", "1.3"])
    p.add_argument("--min-version", choices=["1.0", "1.1", "1.2", "1.3"])
    p.add_argument("--starttls", action="store_true", help="send 'hello' and 'STARTTLS' in plaintext first")
    p.add_argument("--inject", action="store_true", help="send STARTTLS and a further plaintext line in one write")
    a = p.parse_args()

    versions = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if a.max_version:
        ctx.maximum_version = versions[a.max_version]
    if a.min_version:
        ctx.minimum_version = versions[a.min_version]
    if a.max_version in ("1.0", "1.1"):
        # Let OpenSSL itself offer the old protocol: the point is to see the server refuse it.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)

    if a.unix:
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(30)
        raw.connect(a.unix)
    else:
        raw = socket.create_connection(("127.0.0.1", a.port), timeout=30)

    if a.starttls or a.inject:
        plain = raw.makefile("rb")
        raw.sendall(b"hello\n")
        sys.stdout.write(plain.readline().decode())
        raw.sendall(b"STARTTLS\nINJECTED\n" if a.inject else b"STARTTLS\n")
        reply = plain.readline().decode()
        sys.stdout.write(reply)
        sys.stdout.flush()
        if a.inject:
            # The server must refuse to upgrade: it closes rather than take the injected line as if sent over TLS.
            sys.stdout.write(plain.read().decode(errors="replace"))
            return 0

    try:
        tls = ctx.wrap_socket(raw, server_hostname=a.sni)
    except (ssl.SSLError, OSError) as e:
        print(f"handshake failed: {e}", file=sys.stderr)
        return 2
    print(f"version={tls.version()} alpn={tls.selected_alpn_protocol()}", file=sys.stderr)
    try:
        tls.sendall(a.line.encode() + b"\n")
        while True:
            data = tls.recv(4096)
            if not data:
                break
            sys.stdout.write(data.decode())
    except (ssl.SSLError, OSError) as e:
        print(f"connection failed: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
