#!/usr/bin/env bash
# Builds the engine as WebAssembly into site/assets/engine.wasm, the module the website's paste
# box runs, and records in site/assets/engine.wasm.sources the hash of the sources it was built
# from (tests/run fails when the sources change and the module was not rebuilt).
#
# rustup here has no wasm32 target, so this uses Debian's second Rust compiler, which builds
# the standard library from source (about two minutes on two cores the first time):
#   apt-get install -y rustc-web cargo-web rust-web-src lld-22   (or lld-19 where 22 is missing)
# Usage: wasm/build.sh            rebuild the module and the hash
#        wasm/build.sh --hash     print the hash of the sources, build nothing
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the module is built from: the modules of the engine that build without the `cli`
# feature (see engine/lib.rs), the build script, the wasm crate, the manifests and the lock
# file. Not the knowledge: the site hands it over. A module added to that part of the engine
# must be added here.
sources=(
    engine/lib.rs engine/model engine/limits.rs engine/literals.rs engine/rule_regex.rs engine/search.rs engine/untrusted.rs engine/yaml.rs
    engine/catalog engine/extract.rs engine/matcher.rs engine/redact.rs engine/related.rs engine/ranking.rs
    build.rs Cargo.toml Cargo.lock wasm/Cargo.toml wasm/lib.rs
)

hash_sources() {
    {
        git ls-files -- "${sources[@]}"
        git ls-files --others --exclude-standard -- "${sources[@]}"
    } | LC_ALL=C sort -u | while read -r file; do
        [ -f "$file" ] || continue
        printf '%s\n' "$file"
        sha256sum <"$file"
    done | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--hash" ]; then
    hash_sources
    exit 0
fi

for tool in /usr/bin/rustc /usr/bin/cargo; do
    if [ ! -x "$tool" ]; then
        echo "error: $tool is missing; install Debian's rustc-web cargo-web rust-web-src and an lld" >&2
        exit 1
    fi
done
# The WebAssembly linker: rust-lld where Debian ships it (lld-22), else lld's wasm-ld (lld-19).
linker=""
for candidate in /usr/bin/rust-lld /usr/bin/wasm-ld /usr/bin/wasm-ld-*; do
    if [ -x "$candidate" ]; then
        linker="$candidate"
        break
    fi
done
if [ -z "$linker" ]; then
    echo "error: no WebAssembly linker (rust-lld or wasm-ld); install Debian's lld-22 or lld-19" >&2
    exit 1
fi

target_dir="${CARGO_TARGET_DIR:-target}/wasm-build"
RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker" \
    CARGO_TARGET_DIR="$target_dir" \
    /usr/bin/cargo build --locked -p rdp-doctor-wasm --profile wasm \
    --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort

module="$target_dir/wasm32-unknown-unknown/wasm/rdp_doctor_wasm.wasm"
cp "$module" site/assets/engine.wasm
hash_sources >site/assets/engine.wasm.sources
raw=$(stat -c %s site/assets/engine.wasm)
gzipped=$(gzip -9 -c site/assets/engine.wasm | wc -c)
echo "site/assets/engine.wasm: $raw bytes, $gzipped gzipped; sources $(cat site/assets/engine.wasm.sources)"
