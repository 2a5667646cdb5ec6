#!/usr/bin/env bash
# Benchmark: RDP probe rate of rdp-doctor (X.224 Connection Request with
# RDP_NEG_REQ, then a TLS handshake that reads the server certificate) side by
# side with nmap's `rdp-enum-encryption` NSE script, against real xrdp servers
# on 127.0.0.1 started from the shared lab (../shared/lab, see its README).
#
# Usage: bench/probes.sh            (as root: the lab's xrdp needs it)
# Environment:
#   SERVERS=4         xrdp servers to start, on ports BASE_PORT.. (127.0.0.1 only)
#   BASE_PORT=25890   first port (below the ephemeral port range)
#   COUNT=1000        rdp-doctor probes per row, round-robin over the servers
#   CONCURRENCY=16    rdp-doctor probes in flight (a second row always uses 1); xrdp
#                     listens with a backlog of 2, and from about 8 in flight per
#                     server a rare probe times out; the rate stops growing at ~4 in all
#   NMAP_RUNS=5       nmap runs; each one scans all SERVERS ports of 127.0.0.1
#   ALLOW_ERRORS=1    exit 0 even when some rdp-doctor probes failed
#   CARGO_TARGET_DIR  honoured; default /tmp/bench-target
#
# Prints a Markdown table (targets probed, seconds, targets per second, CPU,
# peak RSS) and the rate ratios. Exit 1 when a probe failed or nmap's output
# lacks the script's results for a port.
set -euo pipefail
cd "$(dirname "$0")/.."

servers=${SERVERS:-4}
base_port=${BASE_PORT:-25890}
count=${COUNT:-1000}
concurrency=${CONCURRENCY:-16}
nmap_runs=${NMAP_RUNS:-5}
lab=$(cd "$(dirname "$0")/../../shared/lab" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}

die() { echo "probes.sh: $*" >&2; exit 1; }
command -v nmap >/dev/null || die "nmap is not installed (apt-get install -y nmap)"
[ -x "$lab/start-xrdp.sh" ] || die "the RDP lab is missing: $lab/start-xrdp.sh"
[ "$(id -u)" = 0 ] || die "the lab's xrdp runs as root only; run this as root"
timer=""
[ -x /usr/bin/time ] && timer=/usr/bin/time

work=$(mktemp -d "${TMPDIR:-/tmp}/rdp-probe-bench.XXXXXX")
started=()
cleanup() {
    for dir in "${started[@]}"; do
        "$lab/stop-xrdp.sh" "$dir" --purge >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- lab servers: xrdp, security_layer=negotiate, self-signed certificate ----
ports=()
for ((i = 0; i < servers; i++)); do
    port=$((base_port + i))
    started+=("$work/xrdp-$port")
    "$lab/start-xrdp.sh" valid-cert "$port" "$work/xrdp-$port" >/dev/null 2>"$work/start-$port.log" \
        || { cat "$work/start-$port.log" >&2; die "xrdp did not start on 127.0.0.1:$port"; }
    ports+=("$port")
done
port_list=$(IFS=,; echo "${ports[*]}")
targets=$(printf '127.0.0.1:%s,' "${ports[@]}")
targets=${targets%,}
echo "xrdp $(dpkg-query -W -f '${Version}' xrdp 2>/dev/null || echo '?') on 127.0.0.1:$port_list; $(nproc) CPUs" >&2

# Reads "key":value from a one-line JSON object.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }
# Reads a /usr/bin/time -v line ("Maximum resident set size (kbytes): 5804").
time_field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
per_target_ms() { # cpu_seconds targets
    awk -v c="$1" -v n="$2" 'BEGIN { if (c == "n/a") print "n/a"; else printf "%.2f", 1000 * c / n }'
}
cpu_seconds() { # user + system seconds of a /usr/bin/time -v report
    awk -v u="$(time_field 'User time (seconds)' "$1")" -v s="$(time_field 'System time (seconds)' "$1")" \
        'BEGIN { printf "%.2f", u + s }'
}

# --- rdp-doctor ---------------------------------------------------------------
echo "building the probe_rate bench (release) ..." >&2
cargo bench --bench probe_rate --no-run --quiet
# cargo runs the bench binary through the target runner, so /usr/bin/time
# measures the bench process, not cargo.
runner_var=CARGO_TARGET_$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z.-' 'A-Z__')_RUNNER
rows=()
failed=0
run_rdp_doctor() { # concurrency
    local c=$1 out="$work/rd-$1.json" tv="$work/rd-$1.time" json cpu rss
    echo "rdp-doctor: $count probes over $servers servers, concurrency $c ..." >&2
    if [ -n "$timer" ]; then
        env "$runner_var=$timer -v -o $tv" cargo bench --quiet --bench probe_rate -- \
            --targets "$targets" --count "$count" --concurrency "$c" >"$out"
    else
        cargo bench --quiet --bench probe_rate -- \
            --targets "$targets" --count "$count" --concurrency "$c" >"$out"
    fi
    json=$(grep '^{"tool":"rdp-doctor"' "$out") || die "the bench printed no result line"
    echo "  $json" >&2
    cpu=n/a
    [ -n "$timer" ] && cpu=$(cpu_seconds "$tv")
    rss=$(field peak_rss_kib "$json")
    [ "$(field errors "$json")" = 0 ] || failed=1
    rows+=("| rdp-doctor | $c | $(field probes "$json") | $(field ok "$json") | $(field errors "$json") | 1 / 1 | $(field seconds "$json") | $(field probes_per_second "$json") | $cpu | $(mib "$rss") |")
    rates[$c]=$(awk -v n="$(field probes "$json")" -v s="$(field seconds "$json")" 'BEGIN { printf "%.4f", n / s }')
    cpu_ms[$c]=$(per_target_ms "$cpu" "$(field probes "$json")")
}
declare -A rates cpu_ms
run_rdp_doctor "$concurrency"
[ "$concurrency" = 1 ] || run_rdp_doctor 1

# --- nmap rdp-enum-encryption ---------------------------------------------------
# The script's portrule wants port 3389 or a detected ms-wbt-server; "+" runs it
# on these ports without the extra cost of service detection (-sV).
echo "nmap: $nmap_runs runs x $servers ports ..." >&2
nmap_seconds=0 nmap_cpu=0 nmap_rss=0 nmap_ok=0
for ((r = 1; r <= nmap_runs; r++)); do
    out="$work/nmap-$r.txt" tv="$work/nmap-$r.time"
    t0=$(date +%s.%N)
    if [ -n "$timer" ]; then
        "$timer" -v -o "$tv" nmap -Pn -n -p "$port_list" --script +rdp-enum-encryption 127.0.0.1 >"$out"
    else
        nmap -Pn -n -p "$port_list" --script +rdp-enum-encryption 127.0.0.1 >"$out"
    fi
    t1=$(date +%s.%N)
    nmap_seconds=$(awk -v a="$nmap_seconds" -v b="$t0" -v c="$t1" 'BEGIN { printf "%.3f", a + c - b }')
    if [ -n "$timer" ]; then
        nmap_cpu=$(awk -v a="$nmap_cpu" -v b="$(cpu_seconds "$tv")" 'BEGIN { printf "%.2f", a + b }')
        rss=$(time_field 'Maximum resident set size (kbytes)' "$tv")
        [ "$rss" -gt "$nmap_rss" ] && nmap_rss=$rss
    fi
    # Each port must show the script's results: "Security layer" and "SSL: SUCCESS".
    for port in "${ports[@]}"; do
        if awk -v p="$port/tcp" '
            $1 ~ /^[0-9]+\/tcp$/ { here = ($1 == p) }
            here && /Security layer/ { layer = 1 }
            here && /SSL: SUCCESS/ { ssl = 1 }
            END { exit !(layer && ssl) }' "$out"; then
            nmap_ok=$((nmap_ok + 1))
        else
            cat "$out" >&2
            die "nmap run $r: no rdp-enum-encryption result (Security layer / SSL: SUCCESS) for port $port"
        fi
    done
done
nmap_targets=$((servers * nmap_runs))
nmap_rate=$(awk -v n="$nmap_targets" -v s="$nmap_seconds" 'BEGIN { printf "%.4f", n / s }')
[ -n "$timer" ] || nmap_cpu=n/a
nmap_rss_text=n/a
[ -n "$timer" ] && nmap_rss_text=$(mib "$nmap_rss")
echo "nmap sample output (last run, port ${ports[0]}):" >&2
awk -v p="${ports[0]}/tcp" '$1 ~ /^[0-9]+\/tcp$/ { here = ($1 == p) } here' "$work/nmap-$nmap_runs.txt" >&2

# --- report ---------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo
echo "RDP probe rate, $servers xrdp servers on 127.0.0.1 ($(nproc) CPUs)"
echo
echo "| tool | concurrency | targets probed | ok | errors | TCP connections / TLS handshakes per target | seconds | targets/s | client CPU s (user+sys) | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for row in "${rows[@]}"; do echo "$row"; done
echo "| nmap rdp-enum-encryption | $servers (the ports of one scan) | $nmap_targets ($nmap_runs runs x $servers) | $nmap_ok | 0 | 9 / 1 | $nmap_seconds | $(awk -v r="$nmap_rate" 'BEGIN { printf "%.2f", r }') | $nmap_cpu | $nmap_rss_text |"
echo
echo "- rate ratio rdp-doctor (concurrency $concurrency) / nmap: $(ratio "${rates[$concurrency]}" "$nmap_rate")x"
[ "$concurrency" = 1 ] || echo "- rate ratio rdp-doctor (concurrency 1) / nmap: $(ratio "${rates[1]}" "$nmap_rate")x"
echo "- client CPU per target: rdp-doctor ${cpu_ms[$concurrency]} ms (concurrency $concurrency), nmap $(per_target_ms "$nmap_cpu" "$nmap_targets") ms"
echo "- rdp-doctor: one X.224 negotiation + one TLS handshake per target, a probe counts as ok only"
echo "  when the server certificate was read; seconds = the probe loop, peak RSS = VmHWM of the bench."
echo "- nmap: \`nmap -Pn -n -p $port_list --script +rdp-enum-encryption 127.0.0.1\`; its script makes"
echo "  several connections per target (one per security protocol, 5, of which one does a TLS"
echo "  handshake, then one per RDP cipher, 4) with a 0.2 s pause before each, runs the ports of"
echo "  one scan in parallel, and reports security layers and ciphers, not the certificate (nmap's"
echo "  ssl-cert has no RDP support). Seconds = wall clock of the $nmap_runs nmap processes, start-up"
echo "  included; CPU and RSS from /usr/bin/time -v."
echo "- The xrdp servers share the CPUs with both clients, and xrdp forks per connection: past a"
echo "  few probes in flight the rate is xrdp's, not the client's. xrdp listens with a backlog of 2,"
echo "  so too many probes in flight per server end in timeouts (the errors column)."

if [ "$failed" = 1 ]; then
    echo >&2
    echo "probes.sh: WARNING: some rdp-doctor probes failed (errors column); try a lower CONCURRENCY" >&2
    [ "${ALLOW_ERRORS:-0}" = 1 ] || exit 1
fi
