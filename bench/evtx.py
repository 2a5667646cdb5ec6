#!/usr/bin/env python3
"""Benchmark of `rdp-doctor scan` on Windows event logs (.evtx), side by side in one run with
`evtx_dump` (the `evtx` crate's own tool, `cargo install evtx`) on the same files.

evtx_dump renders every record as JSON lines and stops there; `scan` renders every record,
reads it, and diagnoses the events the catalog knows or that are warnings and errors, then
groups them into connection attempts. Both use every core. Each tool reads the whole set of
files `--repeat` times (evtx_dump once per file, as it takes one file; `scan` in one run, as
it takes many), five rounds, and the fastest round counts. Records are counted from each
tool's own output. Peak RSS is the largest of any process.

Usage: bench/evtx.py [--repeat N] [FILE.evtx ...]
  (default: tests/fixtures/events/*.evtx; the evtx crate's samples/ make a larger set)
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "rdp-doctor")
ROUNDS = 5
# evtx_dump reports a broken record through anyhow, which captures a backtrace when this is set:
# it would be timed too.
os.environ["RUST_BACKTRACE"] = "0"
os.environ.pop("RUST_LIB_BACKTRACE", None)


def evtx_dump():
    """The evtx_dump binary: on PATH, or installed from crates.io into target/bench-tools."""
    found = shutil.which("evtx_dump")
    if found:
        return found
    root = os.path.join(ROOT, "target", "bench-tools")
    path = os.path.join(root, "bin", "evtx_dump")
    if not os.path.exists(path):
        subprocess.run(
            ["cargo", "install", "--locked", "--quiet", "evtx", "--root", root], check=True
        )
    return path


def timed(command, stdout=subprocess.DEVNULL):
    """(seconds, peak RSS in MB, exit code) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    args = sys.argv[1:]
    repeat = 10
    if args[:1] == ["--repeat"]:
        repeat, args = int(args[1]), args[2:]
    files = args or sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "events", "*.evtx")))
    if not files:
        sys.exit("no .evtx files")
    dump = evtx_dump()

    # Records each tool reads from each file, from its own output.
    dumped = 0
    for path in files:
        out = subprocess.run([dump, "-o", "jsonl", path], capture_output=True, check=False)
        dumped += out.stdout.count(b"\n")
    report = json.loads(
        subprocess.run([BINARY, "scan", "--format", "json", *files], capture_output=True).stdout
    )
    scanned = sum(i["events"] for i in report["inputs"])
    diagnosed = report["diagnosed_lines"]

    def dump_round():
        total, peak = 0.0, 0.0
        for _ in range(repeat):
            for path in files:
                seconds, rss, _ = timed([dump, "-o", "jsonl", path])
                total, peak = total + seconds, max(peak, rss)
        return total, peak

    def scan_round():
        seconds, rss, code = timed([BINARY, "scan", "--format", "json", *(files * repeat)])
        if code not in (0, 1):
            sys.exit(f"rdp-doctor scan failed ({code})")
        return seconds, rss

    dump_runs, scan_runs = [], []
    for _ in range(ROUNDS):
        dump_runs.append(dump_round())
        scan_runs.append(scan_round())
    dump_best = min(dump_runs)
    scan_best = min(scan_runs)
    size = sum(os.path.getsize(f) for f in files) / 1e6
    print(f"{len(files)} files, {size:.1f} MB, read {repeat} times; best of {ROUNDS} rounds")
    print()
    print("| tool | records | seconds | records/s | peak RSS MB |")
    print("| --- | --- | --- | --- | --- |")
    for name, records, (seconds, rss) in [
        ("evtx_dump -o jsonl", dumped * repeat, dump_best),
        ("rdp-doctor scan --format json", scanned * repeat, scan_best),
    ]:
        print(f"| {name} | {records} | {seconds:.2f} | {records / seconds:,.0f} | {rss:.0f} |")
    ratio = (scanned / scan_best[0]) / (dumped / dump_best[0])
    print()
    print(f"scan reads {ratio:.2f}x evtx_dump's records per second, and diagnoses "
          f"{diagnosed} of its {scanned} events per pass on top")


if __name__ == "__main__":
    main()
