#!/usr/bin/env python3
"""python_echo.py raw|files: ThreadingTCPServer (daemon threads) echoing with request.recv(65536)+sendall (raw) or
rfile.read1(65536)+wfile.write (files). Prints "listening on tcp://127.0.0.1:PORT"."""
import socketserver, sys
shape = sys.argv[1]
class Raw(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)
class Files(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            data = self.rfile.read1(65536)
            if not data:
                return
            self.wfile.write(data)
class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 4096
with Server(("127.0.0.1", 0), Raw if shape == "raw" else Files) as s:
    print("listening on tcp://127.0.0.1:%d" % s.server_address[1], flush=True)
    try:
        s.serve_forever()
    except KeyboardInterrupt:
        pass
