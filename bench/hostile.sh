#!/usr/bin/env bash
# Benchmark: hostile pastes against ordinary ones of the same size. A paste that repeats one
# piece of many phrases (`ERRCONNECT_` over and over) once cost 10 times the time and memory of
# a FreeRDP log as long; it must cost about the same.
# Usage: bench/hostile.sh [RUNS] [MEGABYTES]   (defaults: 5 runs, 33 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
megabytes=${2:-33}
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$megabytes" <<'PY'
import sys
work, size = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
line = "[21:24:44:353] [4551:4552] [INFO][com.freerdp.core] - freerdp_tcp_connect: resetting error state 0x0 on 10.10.99.147:3389\n"
open(f"{work}/log.txt", "w").write(line * (size // len(line)))
open(f"{work}/repeated.txt", "w").write("ERRCONNECT_" * (size // 11))
PY
echo "pastes: $(wc -c < "$work/repeated.txt") bytes of ERRCONNECT_ repeated, $(wc -c < "$work/log.txt") bytes of a FreeRDP log"
exec python3 bench/side_by_side.py "$runs" \
  "repeated ERRCONNECT_" "target/release/rdp-doctor diagnose --file $work/repeated.txt" \
  "FreeRDP log" "target/release/rdp-doctor diagnose --file $work/log.txt"
