#!/usr/bin/env python3
"""Python's socketserver.ThreadingTCPServer echo peer for the benchmark suite.

Usage: python_threading_echo.py PORT [recv|rfile]
  0 picks a free port; prints "listening on tcp://127.0.0.1:PORT". Echoes every byte of each connection until the
  client closes it, with one of the two handler shapes a Python user writes:
  recv (the default): a BaseRequestHandler calling self.request.recv(65536) and sendall;
  rfile: a StreamRequestHandler reading self.rfile (buffered, 8 KiB) with read1 and writing self.wfile (unbuffered,
  so each write is a sendall), the shape of `socketserver serve echo` (EchoStreamHandler: RFile.Read of 8 KiB, then
  WFile.Write).
"""
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class StreamEchoHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            # read1: what is buffered, or else one receive of up to 8 KiB, as RFile.Read(buffer of 8 KiB) does
            data = self.rfile.read1(8192)
            if not data:
                return
            self.wfile.write(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 drops connection attempts when many clients connect at once (the suite's
    # idle case opens 1,000), and the retried SYNs would measure the backlog, not the server. The other servers
    # listen with a backlog of 4096 or SOMAXCONN.
    request_queue_size = 4096


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    shape = sys.argv[2] if len(sys.argv) > 2 else "recv"
    if shape not in ("recv", "rfile"):
        print("usage: python_threading_echo.py PORT [recv|rfile]", file=sys.stderr)
        sys.exit(2)
    handler = StreamEchoHandler if shape == "rfile" else EchoHandler
    with Server(("127.0.0.1", port), handler) as server:
        print("listening on tcp://127.0.0.1:%d" % server.server_address[1], flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
