#!/usr/bin/env python3
"""Python's socketserver.ThreadingTCPServer echo peer for the benchmark suite.

Usage: python_threading_echo.py PORT   (0 picks a free port; prints "listening on tcp://127.0.0.1:PORT")
Echoes every byte of each connection until the client closes it.
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


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 drops connection attempts when many clients connect at once (the suite's
    # idle case opens 1,000), and the retried SYNs would measure the backlog, not the server. The other servers
    # listen with a backlog of 4096 or SOMAXCONN.
    request_queue_size = 4096


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with Server(("127.0.0.1", port), EchoHandler) as server:
        print("listening on tcp://127.0.0.1:%d" % server.server_address[1], flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
