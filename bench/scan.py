#!/usr/bin/env python3
"""Benchmark of `rdp-doctor scan` on whole logs, side by side in one run with ripgrep over
the same file and the same signatures (`rdp-doctor rules patterns`, as `rg -c -i -f`; the
patterns that hold a line end, which ripgrep refuses without --multiline, are left out).

The log mixes real FreeRDP 2 lines of the lab (tests/fixtures/pastes/lab/) with, at known
places, a repeated certificate warning and one connection-ending failure. For each size it
reports wall time, throughput and peak memory (from /usr/bin/time -v) of both tools, and the
ratio. It also times `rdp-doctor diagnose --file` on the same log (which reads a log over 1 MiB
as scan does) and says whether the line it names first is the planted failure.
Usage: bench/scan.py [SIZE_MB ...]   (default: 100 1000)
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "rdp-doctor")

NOISE = [
    "[09:56:59:762] [19938:19941] [INFO][com.freerdp.client.x11] - Authentication only. Don't connect to X.",
    "[09:56:59:073] [19938:19941] [INFO][com.freerdp.crypto] - creating directory $HOME/.config/freerdp",
    "[09:56:59:073] [19938:19941] [INFO][com.freerdp.crypto] - created directory [$HOME/.config/freerdp/server]",
    "[09:56:59:073] [19938:19941] [INFO][com.freerdp.crypto] - creating directory [$HOME/.config/freerdp/certs]",
]
WARNING = "[09:56:59:096] [19938:19941] [WARN][com.freerdp.crypto] - Certificate verification failure 'self-signed certificate (18)' at stack position 0"
FAILURE = "[09:56:59:097] [19938:19941] [ERROR][com.freerdp.core] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]"


def write_log(path, size_mb):
    """Writes about size_mb MB: noise, a warning every 1000 lines, the failure at 3/4."""
    block_lines = []
    for n in range(1, 1001):
        block_lines.append(WARNING if n == 1000 else NOISE[n % len(NOISE)])
    block = ("\n".join(block_lines) + "\n").encode()
    blocks = max(1, size_mb * 1024 * 1024 // len(block))
    failure_block = blocks * 3 // 4
    with open(path, "wb") as out:
        for b in range(blocks):
            out.write(block)
            if b == failure_block:
                out.write((FAILURE + "\n").encode())
    return (failure_block + 1) * 1000 + 1


def measure(command):
    """(seconds, peak RSS in MB, stdout) of one run; a run that fails stops the benchmark."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M"] + command, capture_output=True, text=True, check=False
    )
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr}")
    last = result.stderr.strip().splitlines()[-1]
    seconds, kilobytes = last.split()
    return float(seconds), int(kilobytes) / 1024, result.stdout


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [100, 1000]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as work:
        patterns = os.path.join(work, "patterns.txt")
        exported = subprocess.run(
            [BINARY, "rules", "patterns"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        kept = [p for p in exported if "\\n" not in p]
        with open(patterns, "w") as out:
            out.write("\n".join(kept) + "\n")
        print(f"signatures exported: {len(exported)} patterns, {len(kept)} without a line end")
        print("| log | tool | seconds | MB/s | peak RSS MB |")
        print("| --- | --- | --- | --- | --- |")
        for size in sizes:
            log = os.path.join(work, f"scan-{size}M.log")
            failure_line = write_log(log, size)
            megabytes = os.path.getsize(log) / 1024 / 1024
            scan_s, scan_mb, report = measure([BINARY, "scan", "--format", "json", log])
            rg_s, rg_mb, _ = measure(["rg", "-c", "-i", "-f", patterns, log])
            found = re.search(r'"line": (\d+)', report)
            print(f"| {megabytes:.0f} MB | rdp-doctor scan | {scan_s:.2f} | {megabytes / scan_s:.0f} | {scan_mb:.0f} |")
            print(f"| {megabytes:.0f} MB | rg -c -i -f | {rg_s:.2f} | {megabytes / rg_s:.0f} | {rg_mb:.0f} |")
            print(f"|  | ratio scan/rg | {scan_s / rg_s:.2f}x time | {rg_s / scan_s:.2f}x throughput | |")
            diagnose_s, diagnose_mb, diagnosed = measure(
                [BINARY, "diagnose", "--format", "json", "--file", log]
            )
            print(f"| {megabytes:.0f} MB | rdp-doctor diagnose --file | {diagnose_s:.2f} | {megabytes / diagnose_s:.0f} | {diagnose_mb:.0f} |")
            named = re.search(r"line (\d+) \(", diagnosed)
            print(f"<!-- diagnose --file names line {named.group(1) if named else 'none'} first -->")
            first = found.group(1) if found else "none"
            status = "found" if found and int(first) == failure_line else "NOT found"
            print(f"<!-- failure planted at line {failure_line}: first problem at line {first} ({status}) -->")
            os.remove(log)


if __name__ == "__main__":
    main()
