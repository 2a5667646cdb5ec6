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
#                (no default: build it from a commit before the WebAssembly engine, e.g. acb3d8d);
#                when neither OLD_BIN nor OLD_SITE is given, only NEW runs
#   NEW_BIN      the binary that builds the WebAssembly site (default target/debug/rdp-doctor)
#   OLD_SITE     instead of OLD_BIN, a site the old binary built already (`site build --out`,
#                with only the embedded knowledge); NEW_SITE the same for the new version
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
old_bin=${OLD_BIN:-}
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
old_site=${OLD_SITE:-}
new_site=${NEW_SITE:-}
[ -z "$old_site" ] || [ -f "$old_site/index.html" ] || die "OLD_SITE=$old_site has no index.html"
[ -z "$new_site" ] || [ -f "$new_site/index.html" ] || die "NEW_SITE=$new_site has no index.html"
[ -n "$new_site" ] || [ -x "$new_bin" ] || die "no rdp-doctor binary at $new_bin: build it or set NEW_BIN"
with_old=1
if [ -z "$old_site" ] && [ ! -x "$old_bin" ]; then
  with_old=0
  log "paste-box.sh: no old version given (OLD_BIN or OLD_SITE, or not executable: ${old_bin:-none}): measuring the new version only"
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
  if [ -n "$old_site" ]; then
    log "using the old site in $old_site"
    cp -R "$old_site" "$tmp/old"
  else
    build "$old_bin" "$tmp/old"
  fi
  [ -f "$tmp/old/assets/matcher.js" ] || die "the old site has no assets/matcher.js: is it the old version?"
  args+=(--old "$tmp/old")
fi
if [ -n "$new_site" ]; then
  log "using the new site in $new_site"
  cp -R "$new_site" "$tmp/new"
else
  build "$new_bin" "$tmp/new"
fi
# The module's size as it is now, not after the pages ran (a rebuild may replace it meanwhile).
[ -f "$wasm" ] && cp "$wasm" "$tmp/engine.wasm"
[ -f "$tmp/new/assets/engine-module.js" ] || die "the new site has no assets/engine-module.js: is it the new version?"
args+=(--new "$tmp/new")

echo "## Time to first diagnosis ($(date -u +%Y-%m-%d), $(nproc) CPUs, $("$chromium" --version 2>/dev/null | head -n1))"
echo
# How busy the machine is without the browser: other processes slow the pages down.
busy_percent() { # busy_percent SECONDS: the CPU time used, in % of one CPU, over SECONDS
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
  sleep "$1"
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
  awk -v d="$((b - a))" -v hz="$(getconf CLK_TCK)" -v s="$1" 'BEGIN { printf "%.0f", 100 * d / hz / s }'
}
log "measuring the load of other processes for 3 s"
load_before=$(busy_percent 3)
# The browser's profile (a fresh user-data folder) goes to $TMPDIR, removed with $tmp.
TMPDIR="$tmp/browser" node bench/paste-box.mjs "${args[@]}"
log "measuring the load of other processes for 3 s"
load_after=$(busy_percent 3)
echo "Other processes used ${load_before}% of one CPU (of $(nproc)00%) in the 3 s before the pages ran and ${load_after}% in the 3 s after."

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
if [ -f "$tmp/engine.wasm" ]; then
  row "site/assets/engine.wasm" "$(size "$tmp/engine.wasm")" "$(gzsize "$tmp/engine.wasm")"
else
  log "paste-box.sh: no $wasm (run wasm/build.sh): its size is not reported"
fi
