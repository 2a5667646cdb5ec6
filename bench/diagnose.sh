#!/usr/bin/env bash
# Benchmark: `rdp-doctor diagnose` on the seed paste, side by side with
# `grep -E -i -c -f patterns.txt` over the same file and the same signatures.
# Usage: bench/diagnose.sh [RUNS] [PASTE]   (defaults: 200 runs, the seed paste)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
paste=${2:-tests/fixtures/pastes/seed-0x904-0x7.txt}
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/rdp-doctor rules patterns > "$work/patterns.txt"
echo "signatures exported: $(wc -l < "$work/patterns.txt") patterns; paste: $paste ($(wc -c < "$paste") bytes)"
exec python3 bench/side_by_side.py "$runs" \
  "rdp-doctor diagnose" "target/release/rdp-doctor diagnose --file $paste" \
  "grep -E -i -c -f" "grep -E -i -c -f $work/patterns.txt $paste"
