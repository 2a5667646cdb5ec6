#!/usr/bin/env python3
"""Runs two commands alternately many times; prints median wall time, ratio and peak RSS.

Usage: side_by_side.py RUNS NAME_A COMMAND_A NAME_B COMMAND_B
Wall times are measured around a plain spawn of each command. Peak RSS is read in separate
runs by GNU time (/usr/bin/time -f %M) around the process alone, so neither the harness's
memory nor GNU time's own start-up counts. The order alternates every run so that neither
command profits from the other's warm caches more often.
"""
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def peak_rss(argv, rss_file):
    """Peak RSS in KiB of one run of argv, measured by GNU time."""
    subprocess.run(
        ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(rss_file) as f:
        return int(f.read().split()[-1])


def main():
    runs = int(sys.argv[1])
    name_a, argv_a = sys.argv[2], shlex.split(sys.argv[3])
    name_b, argv_b = sys.argv[4], shlex.split(sys.argv[5])
    rss_file = tempfile.mktemp(prefix="rss-")
    for argv in (argv_a, argv_b):  # warm-up
        run_once(argv)
    times = {name_a: [], name_b: []}
    rss = {name_a: 0, name_b: 0}
    codes = {name_a: set(), name_b: set()}
    ratios = []
    for i in range(runs):
        pair = [(name_a, argv_a), (name_b, argv_b)]
        if i % 2:
            pair.reverse()
        this = {}
        for name, argv in pair:
            elapsed, code = run_once(argv)
            times[name].append(elapsed)
            codes[name].add(code)
            this[name] = elapsed
        ratios.append(this[name_a] / this[name_b])
    for name, argv in ((name_a, argv_a), (name_b, argv_b)):
        rss[name] = max(peak_rss(argv, rss_file) for _ in range(5))
    os.unlink(rss_file)
    print(f"{runs} runs each, alternating")
    for name in (name_a, name_b):
        t = times[name]
        print(
            f"  {name:<22} median {statistics.median(t) * 1000:8.2f} ms"
            f"  (p10 {sorted(t)[len(t) // 10] * 1000:.2f}, p90 {sorted(t)[len(t) * 9 // 10] * 1000:.2f})"
            f"  peak RSS {rss[name] / 1024:6.1f} MiB  exit {sorted(codes[name])}"
        )
    median_ratio = statistics.median(times[name_a]) / statistics.median(times[name_b])
    print(f"  ratio of medians ({name_a} / {name_b}): {median_ratio:.2f}")
    print(f"  median of per-run ratios: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
