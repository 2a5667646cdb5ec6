#!/usr/bin/env bash
# Benchmark: time to first diagnosis of the home page's paste box in headless Chromium, the
# JavaScript matcher (old) side by side with the WebAssembly engine (new).
#
# Builds both sites into a temporary folder, opens index.html#q=<seed paste> RUNS times per
# version in a new browser context each time (the order alternating every round), and measures
# in the page the time from navigation start to the first `#results li.candidate`, the time
# RdpDoctor.ready takes to resolve (new only) and the median of warm RdpDoctor.diagnose(seed)
# calls (bench/paste-box.mjs). Then prints the size of the scripts each home page loads, raw
# and gzip -9, and of site/assets/engine.wasm.
#
# Usage: bench/paste-box.sh
# Environment:
#   RUNS=10      measured runs per version (one warm-up round before them is not counted)
#   WARMUP=1     warm-up rounds
#   CALLS=20     warm RdpDoctor.diagnose calls per run
#   OLD_BIN      the binary that builds the JavaScript matcher site
#                (default /work/base/target/debug/rdp-doctor); when missing, only NEW runs
#   NEW_BIN      the binary that builds the WebAssembly site (default target/debug/rdp-doctor)
#   SEED         the paste (default tests/fixtures/pastes/seed-0x904-0x7.txt)
#   CHROMIUM     the browser (default /usr/bin/chromium, Debian's chromium package)
#
# Prints Markdown to stdout, progress to stderr. Needs node and the playwright-core of
# tests/browser/node_modules (tests/browser/run.sh installs it); it never downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

die() { echo "paste-box.sh: $*" >&2; exit 1; }
log() { echo "$*" >&2; }

runs=${RUNS:-10}
warmup=${WARMUP:-1}
calls=${CALLS:-20}
for v in "$runs" "$calls"; do [[ $v =~ ^[1-9][0-9]*$ ]] || die "RUNS and CALLS must be positive whole numbers"; done
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP must be a whole number"
old_bin=${OLD_BIN:-/work/base/target/debug/rdp-doctor}
new_bin=${NEW_BIN:-$repo/target/debug/rdp-doctor}
seed=${SEED:-$repo/tests/fixtures/pastes/seed-0x904-0x7.txt}
chromium=${CHROMIUM:-/usr/bin/chromium}
wasm=$repo/site/assets/engine.wasm

[ -x "$chromium" ] || die "Chromium is missing at $chromium: install Debian's chromium package (apt-get install chromium) or set CHROMIUM"
command -v node >/dev/null || die "node is missing: install Debian's nodejs package"
[ -d tests/browser/node_modules/playwright-core ] ||
  die "tests/browser/node_modules/playwright-core is missing: run (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)"
command -v gzip >/dev/null || die "gzip is missing"
[ -f "$seed" ] || die "no seed paste at $seed"
[ -x "$new_bin" ] || die "no rdp-doctor binary at $new_bin: build it or set NEW_BIN"
with_old=1
if [ ! -x "$old_bin" ]; then
  with_old=0
  log "paste-box.sh: no old binary at $old_bin (OLD_BIN): measuring the new version only"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdp-doctor-paste-box.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/config" "$tmp/browser"

# Only the embedded knowledge: no rule folder from the environment or the user's configuration.
build() { # build BIN OUT
  log "building $2 with $1"
  env -u RDP_DOCTOR_RULES XDG_CONFIG_HOME="$tmp/config" "$1" site build --out "$2" >&2 ||
    die "$1 site build failed"
}
args=(--seed "$seed" --runs "$runs" --warmup "$warmup" --calls "$calls" --chromium "$chromium")
if [ "$with_old" = 1 ]; then
  build "$old_bin" "$tmp/old"
  [ -f "$tmp/old/assets/matcher.js" ] || die "$old_bin did not write assets/matcher.js: is it the old version?"
  args+=(--old "$tmp/old")
fi
build "$new_bin" "$tmp/new"
[ -f "$tmp/new/assets/engine-module.js" ] || die "$new_bin did not write assets/engine-module.js: is it the new version?"
args+=(--new "$tmp/new")

echo "## Time to first diagnosis ($(date -u +%Y-%m-%d), $(nproc) CPUs, $("$chromium" --version 2>/dev/null | head -n1))"
echo
# The browser's profile (a fresh user-data folder) goes to $TMPDIR, removed with $tmp.
# CPU time of the whole machine (/proc/stat, in clock ticks) and of this script's children
# (node and the browser), to tell how much other processes took while the pages ran.
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# `times` must run in this shell, not in a $(...) subshell, to count its children.
children_cpu() {
  times >"$tmp/times"
  awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } print t }' "$tmp/times"
}
ticks=$(getconf CLK_TCK)
busy_before=$(busy)
children_cpu >"$tmp/ours"
read -r ours_before <"$tmp/ours"
start=$(date +%s.%N)
TMPDIR="$tmp/browser" node bench/paste-box.mjs "${args[@]}"
wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
busy_after=$(busy)
children_cpu >"$tmp/ours"
read -r ours_after <"$tmp/ours"
awk -v b="$((busy_after - busy_before))" -v hz="$ticks" -v o="$ours_after" -v o0="$ours_before" \
  -v w="$wall" -v n="$(nproc)" 'BEGIN {
    printf "CPU time while the pages ran (%.1f s on %d CPUs): the browser and node %.1f s, other processes about %.1f s.\n",
      w, n, o - o0, b / hz - (o - o0)
  }'

size() { wc -c <"$1" | tr -d ' '; }
gzsize() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
row() { # row LABEL RAW GZ
  echo "| $1 | $2 ($(kib "$2") KiB) | $3 ($(kib "$3") KiB) |"
}
scripts() { # scripts VERSION SITE FILE...
  local version=$1 site=$2 raw=0 gz=0 r g f
  shift 2
  for f in "$@"; do
    [ -f "$site/assets/$f" ] || die "$site/assets/$f is missing"
    r=$(size "$site/assets/$f")
    g=$(gzsize "$site/assets/$f")
    row "$version: $f" "$r" "$g"
    raw=$((raw + r))
    gz=$((gz + g))
  done
  row "**$version: total**" "$raw" "$gz"
}

echo
echo "## Scripts the home page loads for the paste box"
echo
echo "| file | raw bytes | gzip -9 bytes |"
echo "| --- | ---: | ---: |"
if [ "$with_old" = 1 ]; then
  scripts old "$tmp/old" matcher.js matcher-index.js paste.js
fi
scripts new "$tmp/new" engine-module.js knowledge.js engine.js paste.js
if [ -f "$wasm" ]; then
  row "site/assets/engine.wasm" "$(size "$wasm")" "$(gzsize "$wasm")"
else
  log "paste-box.sh: no $wasm (run wasm/build.sh): its size is not reported"
fi
