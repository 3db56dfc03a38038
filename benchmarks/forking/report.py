#!/usr/bin/env python3
"""Turns benchmarks/forking/run's results (JSON lines) into the markdown section of docs/benchmarks.md."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import report_sections  # noqa: E402  (benchmarks/report_sections.py)

CASES = [
    # name, description, RequestsPerChild, SpareWorkers
    ("jit-fresh", ".NET JIT, fresh process per request", "1", "0"),
    ("jit-warm", ".NET JIT, warm workers", "0", "1"),
    ("jit-fresh-spares", ".NET JIT, fresh process per request, 2 spares", "1", "2"),
    ("aot-fresh", ".NET Native AOT, fresh process per request", "1", "0"),
    ("aot-warm", ".NET Native AOT, warm workers", "0", "1"),
    ("aot-fresh-spares", ".NET Native AOT, fresh process per request, 2 spares", "1", "2"),
    ("python-fork", "Python `socketserver.ForkingTCPServer` (fork per request)", "–", "–"),
]
PAUSED_CASES = [
    ("jit-fresh-paused", ".NET JIT, fresh process per request", "1", "0"),
    ("jit-fresh-spares-paused", ".NET JIT, fresh process per request, 2 spares", "1", "2"),
    ("aot-fresh-paused", ".NET Native AOT, fresh process per request", "1", "0"),
    ("aot-fresh-spares-paused", ".NET Native AOT, fresh process per request, 2 spares", "1", "2"),
]


def command_output(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def fmt(value):
    return "–" if value is None else f"{value:.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--aot-warnings", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--fork-probe", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--paused-requests", type=int, required=True)
    parser.add_argument("--repetitions", type=int, required=True)
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--pause-ms", type=float, required=True)
    parser.add_argument("--pinned", required=True)
    args = parser.parse_args()

    runs = {}
    with open(args.results, encoding="utf-8") as results:
        for line in results:
            if line.strip():
                run = json.loads(line)
                runs.setdefault(run["label"], []).append(run)

    def medians(name):
        rows = runs.get(name, [])
        pick = lambda key: statistics.median(r[key] for r in rows) if rows and all(r[key] is not None for r in rows) else None
        return {key: pick(key) for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms")}, rows

    python_p50 = medians("python-fork")[0]["p50_ms"]

    def table(cases):
        lines = [
            "| case | RequestsPerChild | SpareWorkers | p50 ms | p90 ms | p99 ms | max ms | p50 ÷ Python p50 | requests per run |",
            "|---|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for name, description, per_child, spares in cases:
            m, rows = medians(name)
            ratio = "–"
            if m["p50_ms"] is not None and python_p50:
                value = m["p50_ms"] / python_p50
                ratio = f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"
            counts = ", ".join(str(r["count"]) for r in rows) or "–"
            lines.append(
                f"| {description} | {per_child} | {spares} | {fmt(m['p50_ms'])} | {fmt(m['p90_ms'])} | "
                f"{fmt(m['p99_ms'])} | {fmt(m['max_ms'])} | {ratio} | {counts} |"
            )
        return "\n".join(lines)

    def all_runs():
        lines = ["| case | repetition | count | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, *_ in CASES + PAUSED_CASES:
            for r in runs.get(name, []):
                lines.append(
                    f"| {name} | {r['rep']} | {r['count']} | {fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | "
                    f"{fmt(r['p99_ms'])} | {fmt(r['max_ms'])} |"
                )
        return "\n".join(lines)

    with open(args.aot_warnings, encoding="utf-8") as warnings_file:
        aot_warnings = [w.strip() for w in warnings_file if w.strip()]

    machine = "\n".join([
        f"- `nproc`: {command_output('nproc')}; CPU: {cpu_model()}",
        f"- kernel: {platform.release()} ({platform.machine()})",
        f"- .NET SDK {command_output('dotnet', '--version')}, runtime "
        + ", ".join(l.split(" [")[0] for l in command_output("dotnet", "--list-runtimes").splitlines() if "NETCore" in l),
        f"- Python {platform.python_version()} (`{sys.executable}`)",
        f"- pinned with `taskset`: {args.pinned} (server and its workers on CPU 0, client on CPU 1)",
    ])

    with open(args.fork_probe, encoding="utf-8") as probe_file:
        fork_probe = json.load(probe_file)

    template_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report-template.md")
    with open(template_path, encoding="utf-8") as template_file:
        template = template_file.read()

    text = template.format(
        machine=machine,
        requests=args.requests,
        paused_requests=args.paused_requests,
        fork_ms=f"{fork_probe['median_ms']:.1f}",
        fork_count=fork_probe["count"],
        repetitions=args.repetitions,
        time_limit=int(args.time_limit),
        pause_ms=int(args.pause_ms),
        table=table(CASES),
        paused_table=table(PAUSED_CASES),
        all_runs=all_runs(),
        aot_warnings="none" if not aot_warnings else "\n".join(f"- `{w}`" for w in aot_warnings),
    )
    # Only this runner's section of the file changes; the suite's section (benchmarks/run) stays as it is.
    report_sections.replace_section(args.output, "forking", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
