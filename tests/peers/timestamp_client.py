#!/usr/bin/env python3
"""Python 3 port of the seed's timestamp client.

For each line read from standard input: open a new TCP connection to HOST:PORT
(default localhost:10001), send the line followed by CRLF, read the reply and
print it stripped. Stops at an empty line or at end of input. The seed read the
reply with one recv(); this port reads until the server closes the connection
(the timestamp server closes it after one reply), so a reply split in two TCP
segments is still printed whole.
"""
import socket
import sys

BUFSIZE = 1024
TIMEOUT = 30


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 10001
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        data = sys.stdin.readline()
        data = data.rstrip("\r\n")
        if not data:
            break
        with socket.create_connection((host, port), timeout=TIMEOUT) as client:
            client.sendall(("%s\r\n" % data).encode())
            chunks = []
            while True:
                chunk = client.recv(BUFSIZE)
                if not chunk:
                    break
                chunks.append(chunk)
        reply = b"".join(chunks)
        if not reply:
            break
        print(reply.decode().strip(), flush=True)


if __name__ == "__main__":
    main()
