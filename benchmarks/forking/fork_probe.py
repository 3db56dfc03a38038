#!/usr/bin/env python3
"""How long one os.fork() + os._exit() in the child + os.waitpid() takes in this Python; prints JSON (milliseconds)."""

import json
import os
import statistics
import time

samples = []
for _ in range(50):
    start = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    samples.append((time.perf_counter_ns() - start) / 1e6)

print(json.dumps({"count": len(samples), "median_ms": statistics.median(samples), "max_ms": max(samples)}))
