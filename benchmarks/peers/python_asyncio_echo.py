#!/usr/bin/env python3
"""Python asyncio echo peer for the benchmark suite (TCP and UDP), with the standard event loop.

Usage: python_asyncio_echo.py TCP_PORT [UDP_PORT]
  0 picks a free port; without UDP_PORT there is no UDP listener. Prints "listening on tcp://127.0.0.1:PORT"
  (and "listening on udp://127.0.0.1:PORT") once bound, then serves until SIGINT or SIGTERM.
Protocols rather than streams: asyncio's fastest pure-Python path, as a Python user would write an echo server
that must be fast.
"""
import asyncio
import signal
import sys


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


class EchoDatagramProtocol(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def serve(tcp_port, udp_port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, lambda: stop.done() or stop.set_result(None))
    server = await loop.create_server(EchoProtocol, "127.0.0.1", tcp_port, backlog=4096)
    print("listening on tcp://127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    udp = None
    if udp_port is not None:
        udp, _ = await loop.create_datagram_endpoint(EchoDatagramProtocol, local_addr=("127.0.0.1", udp_port))
        print("listening on udp://127.0.0.1:%d" % udp.get_extra_info("sockname")[1], flush=True)
    await stop
    server.close()
    if udp is not None:
        udp.close()


def main():
    if not 2 <= len(sys.argv) <= 3:
        print("usage: python_asyncio_echo.py TCP_PORT [UDP_PORT]", file=sys.stderr)
        return 2
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) == 3 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
