#!/usr/bin/env bash
# Benchmark: `rdp-doctor site build` on N synthetic rules, side by side with Hugo and mdBook
# building the same pages from Markdown (bench/synthetic_rules.py writes all three inputs).
# Measures, per tool, the wall time of a clean build (median and minimum of RUNS runs, the
# tools alternating), CPU time, peak RSS, the size of the output and its file count; then the
# size of rdp-doctor's search and matcher indexes at N and with the embedded knowledge only.
#
# Usage: bench/site.sh [N]          (default 10000 rules)
# Environment:
#   RUNS=3            builds per tool; the order of the tools rotates every round
#   SLOW=600          a tool whose build took longer than SLOW seconds is not run again
#                     (mdBook's build time grows with the square of the page count: 20
#                     minutes or more for 10000 pages on 2 CPUs); the table gives the runs
#   TOOLS="rdp-doctor hugo hugo-minify mdbook"
#                     the rows to time: hugo is Hugo's default (no minification),
#                     hugo-minify the same with --minify
#   KEEP=DIR          keep the synthetic set and the outputs in DIR, a new or empty folder
#                     (the last output of each tool in DIR/out, the others in DIR/old)
#   MDBOOK=PATH       the mdbook binary; otherwise PATH, ../tools/mdbook/bin, or installed
#                     with `cargo install mdbook --locked` into $CARGO_TARGET_DIR/tools/mdbook
#   CARGO_TARGET_DIR  honoured; default target
#
# Prints a Markdown table and the time ratios to stdout, progress to stderr. hugo and GNU time
# are installed with apt-get when missing, as tests/run does for its packages.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
runs=${RUNS:-3}
read -r -a tools <<<"${TOOLS:-rdp-doctor hugo hugo-minify mdbook}"
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/rdp-doctor

die() { echo "site.sh: $*" >&2; exit 1; }
log() { echo "$*" >&2; }

# --- tools ------------------------------------------------------------------------------
wants() { [[ " ${tools[*]} " == *" $1 "* ]]; }
missing=()
if wants hugo || wants hugo-minify; then command -v hugo >/dev/null || missing+=(hugo); fi
[ -x /usr/bin/time ] || missing+=(time)
if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "installing ${missing[*]} ..."
    $sudo apt-get update -qq && $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

mdbook=${MDBOOK:-}
if [ -z "$mdbook" ] && wants mdbook; then
    for candidate in "$(command -v mdbook || true)" ../tools/mdbook/bin/mdbook "$target/tools/mdbook/bin/mdbook"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then mdbook=$candidate; break; fi
    done
fi
if [ -z "$mdbook" ] && wants mdbook; then
    log "installing mdbook into $target/tools/mdbook (takes a few minutes) ..."
    cargo install mdbook --locked --quiet --root "$target/tools/mdbook" --target-dir "$target/tools/mdbook-build"
    mdbook=$target/tools/mdbook/bin/mdbook
fi

log "building rdp-doctor (release) ..."
cargo build --release --quiet
"$bin" site build --help >/dev/null 2>&1 || die "$bin has no \`site build\` command"

if [ -n "${KEEP:-}" ] && [ -n "$(ls -A "$KEEP" 2>/dev/null)" ]; then
    die "KEEP=$KEEP is not empty: give a new or empty folder"
fi
work=${KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/rdp-site-bench.XXXXXX")}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
syn=$work/synthetic
out=$work/out
mkdir -p "$out" "$work/old" "$work/config"

# rdp-doctor would also read RDP_DOCTOR_RULES and the user's configuration folder: an empty
# XDG_CONFIG_HOME and no RDP_DOCTOR_RULES leave the embedded knowledge and --rules only.
rdp_doctor=(env -u RDP_DOCTOR_RULES XDG_CONFIG_HOME="$work/config" "$bin")

# --- the synthetic set --------------------------------------------------------------------
"${rdp_doctor[@]}" catalog list --format json >"$work/catalog.json"
log "writing $n synthetic rules with their Hugo and mdBook pages into $syn ..."
t0=$(date +%s.%N)
python3 bench/synthetic_rules.py "$n" "$syn" --catalog "$work/catalog.json"
t1=$(date +%s.%N)
log "  $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; rules: $(du -sb "$syn/rules" | cut -f1) bytes of YAML"

# --- the builds ---------------------------------------------------------------------------
# CPU seconds the whole machine was busy (/proc/stat, in 1/100 s): minus what the builds used,
# that is the work of other processes (and of removing the previous outputs), which slows the
# builds down.
busy_seconds() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
busy_before=$(busy_seconds)
started=$(date +%s.%N)
ours=0
# Each tool: a name and the command that builds into $out/<name>; the output folder is removed
# before each run (outside the timing), so every run is a clean build.
command_of() { # name: sets cmd
    local dest=$out/$1
    case $1 in
        rdp-doctor) cmd=("${rdp_doctor[@]}" site build --rules "$syn" --out "$dest") ;;
        hugo) cmd=(hugo --source "$syn/hugo" --destination "$dest" --quiet) ;;
        hugo-minify) cmd=(hugo --source "$syn/hugo" --destination "$dest" --quiet --minify) ;;
        mdbook) cmd=("$mdbook" build "$syn/mdbook" -d "$dest") ;;
        *) die "unknown tool in TOOLS: $1" ;;
    esac
}
declare -A times cpu rss done_runs
for name in "${tools[@]}"; do times[$name]="" cpu[$name]="" rss[$name]=0 done_runs[$name]=0; done
slow=${SLOW:-600}
declare -A too_slow

for ((round = 0; round < runs; round++)); do
    for ((k = 0; k < ${#tools[@]}; k++)); do
        name=${tools[(k + round) % ${#tools[@]}]}
        [ -z "${too_slow[$name]:-}" ] || continue
        # The previous output is moved aside, not removed: ext4 without a journal passes over
        # inodes freed in the last minutes when it allocates new ones, and a build that follows
        # the removal of 10000 files spent several times its usual system time in that search.
        [ ! -e "$out/$name" ] || mv "$out/$name" "$work/old/$name-$round"
        log "round $((round + 1))/$runs: $name ..."
        command_of "$name"
        if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" "${cmd[@]}" >"$work/$name.log" 2>&1; then
            cat "$work/$name.log" >&2
            die "$name failed"
        fi
        read -r wall user sys kib <"$work/time"
        times[$name]+=" $wall"
        cpu[$name]+=" $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
        ours=$(awk -v a="$ours" -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", a + u + s }')
        ((kib > rss[$name])) && rss[$name]=$kib
        done_runs[$name]=$((done_runs[$name] + 1))
        log "  $wall s (CPU: $user s user, $sys s system), peak RSS $((kib / 1024)) MiB"
        if awk -v w="$wall" -v s="$slow" 'BEGIN { exit !(w > s) }'; then
            too_slow[$name]=1
            ((round + 1 == runs)) || log "  over SLOW=$slow s: $name is not run again"
        fi
    done
done

busy_after=$(busy_seconds)
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
others=$(awk -v a="$busy_before" -v b="$busy_after" -v o="$ours" 'BEGIN { x = b - a - o; printf "%.0f", x < 0 ? 0 : x }')

# rdp-doctor with the embedded knowledge only, once: the floor of its indexes.
rm -rf "$out/rdp-doctor-0"
/usr/bin/time -f '%e %M' -o "$work/time" "${rdp_doctor[@]}" site build --out "$out/rdp-doctor-0" >"$work/rdp-doctor-0.log" 2>&1 \
    || { cat "$work/rdp-doctor-0.log" >&2; die "rdp-doctor site build (no --rules) failed"; }
read -r wall0 kib0 <"$work/time"

# --- report -------------------------------------------------------------------------------
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | head -1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
html_pages() { find "$1" -type f -name '*.html' | wc -l; }
file_size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
bytes_text() { awk -v b="$1" 'BEGIN { if (b >= 10485760) printf "%.1f MiB", b / 1048576; else printf "%.0f KiB", b / 1024 }'; }
size_text() { # file: "412 KiB (61 KiB gzipped)" or "missing"
    if [ -f "$1" ]; then
        echo "$(bytes_text "$(file_size "$1")") ($(bytes_text "$(gzip -c "$1" | wc -c)") gzipped)"
    else
        echo "missing"
    fi
}
version() {
    case $1 in
        rdp-doctor) echo "$("$bin" --version | awk '{ print $2 }') ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo '+changes'))" ;;
        hugo | hugo-minify) hugo version | awk '{ print $2 }' ;;
        mdbook) "$mdbook" --version | awk '{ print $2 }' ;;
    esac
}
label() {
    case $1 in
        rdp-doctor) echo "rdp-doctor site build" ;;
        hugo) echo "hugo" ;;
        hugo-minify) echo "hugo --minify" ;;
        mdbook) echo "mdbook build" ;;
    esac
}

for name in "${tools[@]}"; do
    pages=$(html_pages "$out/$name")
    ((pages >= n)) || die "$name wrote $pages HTML pages for $n rules"
done

echo
echo "Static site build, $n synthetic rules, up to $runs clean builds per tool, alternating ($(nproc) CPUs)"
echo
echo "| tool | version | pages | runs | median s | min s | CPU s (median) | peak RSS MiB | output MiB | files |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in "${tools[@]}"; do
    echo "| $(label "$name") | $(version "$name") | $(html_pages "$out/$name") | ${done_runs[$name]} | $(median "${times[$name]}") | $(minimum "${times[$name]}") | $(median "${cpu[$name]}") | $(mib $((rss[$name] * 1024))) | $(mib "$(du -sb "$out/$name" | cut -f1)") | $(find "$out/$name" -type f | wc -l) |"
done
echo
ratio() { # name: the line for rdp-doctor / name, when both were timed
    [ -n "${times[rdp-doctor]:-}" ] && [ -n "${times[$1]:-}" ] || return 0
    awk -v a="$(median "${times[rdp-doctor]}")" -v b="$(median "${times[$1]}")" -v name="$(label "$1")" \
        'BEGIN { printf "- time ratio rdp-doctor / %s (medians): %.2f\n", name, a / b }'
}
for name in "${tools[@]}"; do [ "$name" = rdp-doctor ] || ratio "$name"; done
echo "- rdp-doctor search index (assets/search-index.js): $(size_text "$out/rdp-doctor/assets/search-index.js") at N=$n;" \
    "$(size_text "$out/rdp-doctor-0/assets/search-index.js") with the embedded knowledge only"
echo "- rdp-doctor paste box knowledge (assets/knowledge.js): $(size_text "$out/rdp-doctor/assets/knowledge.js") at N=$n;" \
    "$(size_text "$out/rdp-doctor-0/assets/knowledge.js") with the embedded knowledge only"
echo "- rdp-doctor with the embedded knowledge only (no --rules): $wall0 s, peak RSS $(mib $((kib0 * 1024))) MiB," \
    "$(html_pages "$out/rdp-doctor-0") pages, $(mib "$(du -sb "$out/rdp-doctor-0" | cut -f1)") MiB"
if wants hugo; then echo "- for comparison: Hugo's JSON index (index.json) $(size_text "$out/hugo/index.json")"; fi
if wants mdbook; then
    echo "- for comparison: mdBook's search index $(size_text "$(find "$out/mdbook" -maxdepth 1 -name 'searchindex*.js' | head -1)")"
fi
echo "- pages = HTML files written. rdp-doctor also writes the embedded rules and a page per"
echo "  catalog code and category; Hugo a page per rule, per category and per code used"
echo "  (taxonomies); mdBook a page per rule and per category, plus print.html (every page in one)."
echo "- each run builds into an empty folder; wall, CPU (user+sys) and peak RSS from GNU time."
echo "- other processes used $others CPU s while the timed builds ran ($elapsed s on $(nproc) CPUs);"
echo "  compare runs made with little other work."
