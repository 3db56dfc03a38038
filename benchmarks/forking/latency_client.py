#!/usr/bin/env python3
"""Per-request latency of a line-echo server: each request is a new TCP connection, one at a time.

Usage: latency_client.py PORT [--host 127.0.0.1] [--requests 200] [--warmup 10] [--time-limit 60] [--pause-ms 0] [--label NAME]

For each request: connect, send one line, read until the line comes back (or EOF), close. The round trip is
timed from just before connect() to just after close(). Warm-up requests are not counted. The run stops after
--requests counted requests or --time-limit seconds, whichever comes first. --pause-ms waits that long between requests (not timed), to
give a server time to do work between requests. Prints one JSON object.
"""

import argparse
import json
import math
import socket
import sys
import time


def percentile(sorted_ms, p):
    # Nearest-rank percentile.
    if not sorted_ms:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


def one_request(host, port, payload, timeout):
    start = time.perf_counter_ns()
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(payload)
        received = b""
        while not received.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            received += chunk
    elapsed = time.perf_counter_ns() - start
    if received != payload:
        raise RuntimeError(f"unexpected reply {received!r}")
    return elapsed / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds, warm-up included")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per socket operation")
    parser.add_argument("--pause-ms", type=float, default=0.0, help="idle time between requests, not timed")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("this client only talks to the loopback interface")

    deadline = time.monotonic() + args.time_limit
    payload = b"hello forking server\n"
    for _ in range(args.warmup):
        if time.monotonic() >= deadline:
            break
        one_request(args.host, args.port, payload, args.timeout)

    samples = []
    while len(samples) < args.requests and time.monotonic() < deadline:
        if args.pause_ms > 0:
            time.sleep(args.pause_ms / 1000)
        samples.append(one_request(args.host, args.port, payload, args.timeout))

    ordered = sorted(samples)
    result = {
        "label": args.label,
        "count": len(ordered),
        "requested": args.requests,
        "timed_out": len(ordered) < args.requests,
        "p50_ms": percentile(ordered, 50),
        "p90_ms": percentile(ordered, 90),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1] if ordered else None,
        "mean_ms": sum(ordered) / len(ordered) if ordered else None,
        "pause_ms": args.pause_ms,
    }
    print(json.dumps(result))
    return 0 if ordered else 1


if __name__ == "__main__":
    sys.exit(main())
