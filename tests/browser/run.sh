#!/usr/bin/env bash
# Builds the website twice (the embedded knowledge, and with the rules of
# tests/fixtures/rules/xss) and runs the browser tests on it in Debian's headless Chromium.
# Usage: tests/browser/run.sh [extra node --test arguments]
# RDP_DOCTOR names the binary (default: debug/rdp-doctor under CARGO_TARGET_DIR or ./target);
# CHROMIUM the browser (default /usr/bin/chromium). Screenshots: target/browser-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "error: Chromium is missing at $chromium; install Debian's chromium package (apt-get install chromium)" >&2
  exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: node and npm are needed for the browser tests" >&2
  exit 1
fi

target="${CARGO_TARGET_DIR:-target}"
binary="${RDP_DOCTOR:-$target/debug/rdp-doctor}"
if [ ! -x "$binary" ]; then
  echo "error: no rdp-doctor binary at $binary; run cargo build or set RDP_DOCTOR" >&2
  exit 1
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

out=target/site-test
rm -rf "$out"
# Only the embedded knowledge and the fixture: not the reader's own rule folders.
unset RDP_DOCTOR_RULES
export XDG_CONFIG_HOME="$PWD/$out/config"
mkdir -p "$XDG_CONFIG_HOME"
"$binary" site build --out "$out/site"
"$binary" site build --rules tests/fixtures/rules/xss --out "$out/xss"

if [ ! -d tests/browser/node_modules ]; then
  # playwright-core drives the installed Chromium; it never downloads a browser.
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

mkdir -p target/browser-screenshots
export RDP_DOCTOR="$binary" CHROMIUM="$chromium" SITE_DIR="$out/site" XSS_SITE_DIR="$out/xss"
exec node --test "$@" tests/browser/
