#!/usr/bin/env python3
"""Python's socketserver.ForkingTCPServer with a line-echo handler, the peer of benchmarks/ForkingLatency.

Usage: python_forking_server.py <port>   (0 picks a free port; the address is printed as "listening on 127.0.0.1:PORT")
SIGTERM or SIGINT stops it; server_close() then waits for the children, as Python's block_on_close does.
"""

import signal
import socketserver
import sys


class LineEchoHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline())


def main():
    if len(sys.argv) != 2:
        print("usage: python_forking_server.py <port>", file=sys.stderr)
        return 2

    server = socketserver.ForkingTCPServer(("127.0.0.1", int(sys.argv[1])), LineEchoHandler)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
