#!/usr/bin/env bash
# Benchmarks `layer-identity serve` over HTTP keep-alive beside `openssl speed -multi 2
# rsa2048`, measured in the same run, round after round, on the same machine (the load
# generator shares its cores, as the target assumes). Reports the medians of the per-round
# figures:
#   tokens/s at 8 keep-alive connections / openssl -multi 2 signs/s   (target >= 0.8)
#   p50 latency at 1 connection                                      (target <= 0.5 ms)
#
#   scripts/bench-serve.sh [--rounds N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 seconds=3
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S]" >&2; exit 2 ;;
  esac
done

make --no-print-directory build >/dev/null
cargo build --release --quiet -p layer-identity-cli --example loadgen
loadgen=target/release/examples/loadgen

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# The service as deployed: logging on (to a file, as a log collector would read it).
env -u LAYER_PRIVATE_KEY -u LAYER_SERVICE_TOKEN \
  LAYER_PROVIDER_ID=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f \
  LAYER_KEY_ID=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f \
  LAYER_PRIVATE_KEY_PATH=vectors/keys/rsa2048.pkcs8.pem HOST=127.0.0.1 PORT=0 \
  target/release/layer-identity serve >"$work/stdout" 2>"$work/log" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on' "$work/stdout" && break
  sleep 0.1
done
addr=$(sed -n 's|^listening on http://||p' "$work/stdout")
[ -n "$addr" ] || { echo "bench-serve: the service did not start" >&2; cat "$work/log" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo "openssl: $(openssl version)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)   rounds: $rounds x ${seconds}s"
declare -a r_ratio r_p50 r_p99 r_p50_8
for round in $(seq "$rounds"); do
  ossl=$(openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1) }')
  eight=$("$loadgen" "$addr" 8 "$seconds")
  one=$("$loadgen" "$addr" 1 "$seconds")
  rps8=$(echo "$eight" | field rps)
  printf 'round %d: openssl -multi 2 sign %s/s | serve 8 conns %s tokens/s (p50 %s ms, p99 %s ms) | 1 conn p50 %s ms, p99 %s ms\n' \
    "$round" "$ossl" "$rps8" "$(echo "$eight" | field p50_ms)" "$(echo "$eight" | field p99_ms)" \
    "$(echo "$one" | field p50_ms)" "$(echo "$one" | field p99_ms)"
  [ "$(echo "$eight" | field errors)" = 0 ] || { echo "bench-serve: requests failed" >&2; exit 1; }
  r_ratio+=("$(awk -v a="$rps8" -v b="$ossl" 'BEGIN { printf "%.4f\n", a / b }')")
  r_p50+=("$(echo "$one" | field p50_ms)")
  r_p99+=("$(echo "$one" | field p99_ms)")
  r_p50_8+=("$(echo "$eight" | field p50_ms)")
done

report() { printf '%-52s %s (target %s)\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "$2"; }
echo
echo "median of per-round figures:"
report "8 keep-alive connections / openssl -multi 2 (ratio)" ">= 0.8" "${r_ratio[@]}"
report "1 connection, p50 latency (ms)" "<= 0.5" "${r_p50[@]}"
report "1 connection, p99 latency (ms)" "-" "${r_p99[@]}"
report "8 connections, p50 latency (ms)" "-" "${r_p50_8[@]}"
