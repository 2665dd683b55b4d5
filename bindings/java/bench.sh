#!/usr/bin/env bash
# The Java binding's benchmark, one command, ratios measured in one run (so drift on a shared
# machine hits both sides of each ratio alike):
#   - sign and verify through the Java API (NativeRate) beside the C ABI (abi_bench), one core;
#   - the sample backend (JDK HttpServer, TCP_NODELAY) over HTTP/1.1 keep-alive (HttpLoad): one
#     connection (p50, p99) and 8 connections (tokens/s) beside `openssl speed -multi 2`.
# Targets: verify >= 0.85 of the C ABI; 8 connections >= 0.6 of openssl -multi 2; one
# connection's median <= 1 ms. Figures from a busy machine are rough: say so with them.
#
#   bindings/java/bench.sh [--seconds S]     (default 5 per measurement)
#
# It installs the binding into ~/.m2 (mvn install) to build benchmarks/ against it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=5
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds S]" >&2; exit 2 ;;
  esac
done

make -C "$root" --no-print-directory build >/dev/null
(cd "$here" && mvn -B -q -ntp -Dstyle.color=never install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true)
(cd "$here/benchmarks" && mvn -B -q -ntp -Dstyle.color=never package)
jar=$here/benchmarks/target/benchmarks.jar
bench=$root/target/release/abi_bench
gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -I"$root/include" "$root/benches/c/abi_bench.c" \
  -L"$root/target/release" -llayer_identity -lpthread -o "$bench"
key=$root/vectors/keys/rsa2048.pkcs8.pem
rate() { "$@" | awk '{ print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "openssl: $(openssl version)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)   load: $(cut -d' ' -f1-3 /proc/loadavg)"
c_sign=$(LD_LIBRARY_PATH=$root/target/release rate taskset -c 0 "$bench" sign "$seconds" "$key")
c_verify=$(LD_LIBRARY_PATH=$root/target/release rate taskset -c 0 "$bench" verify "$seconds" "$key")
java_sign=$(rate taskset -c 0 java -cp "$jar" com.layer.identity.bench.NativeRate sign "$seconds" "$key")
java_verify=$(rate taskset -c 0 java -cp "$jar" com.layer.identity.bench.NativeRate verify "$seconds" "$key")
ossl_multi=$(openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null |
  awk '/^rsa 2048 bits/ { print $(NF-1) }')

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
LAYER_PROVIDER_ID=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f \
  LAYER_KEY_ID=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f \
  LAYER_PRIVATE_KEY_PATH=$key PORT=$port HOST=127.0.0.1 \
  "$here/run-backend.sh" >"$log" 2>&1 &
backend=$!
trap 'kill "$backend" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 600); do
  grep -q "listening on" "$log" && break
  sleep 0.1
done
grep -q "listening on" "$log" || { cat "$log" >&2; exit 1; }
one=$(java -cp "$jar" com.layer.identity.bench.HttpLoad 127.0.0.1 "$port" 1 "$seconds")
eight=$(java -cp "$jar" com.layer.identity.bench.HttpLoad 127.0.0.1 "$port" 8 "$seconds")
field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$1"; }

echo
printf '%-46s %10s %10s %s\n' "" "Java" "C ABI" "ratio (target)"
printf '%-46s %10s %10s %s\n' "sign, one core (ops/s)" "$java_sign" "$c_sign" "$(ratio "$java_sign" "$c_sign")"
printf '%-46s %10s %10s %s\n' "verify, one core (ops/s)" "$java_verify" "$c_verify" "$(ratio "$java_verify" "$c_verify") (>= 0.85)"
echo
echo "HTTP keep-alive, sample backend (JDK HttpServer), fresh nonce per request:"
printf '  1 connection:  %s tokens/s, p50 %s ms (target <= 1), p99 %s ms\n' \
  "$(field "$one" tokens/s)" "$(field "$one" p50_ms)" "$(field "$one" p99_ms)"
printf '  8 connections: %s tokens/s, p50 %s ms, p99 %s ms = %s of openssl speed -multi 2 (%s signs/s) (target >= 0.6)\n' \
  "$(field "$eight" tokens/s)" "$(field "$eight" p50_ms)" "$(field "$eight" p99_ms)" \
  "$(ratio "$(field "$eight" tokens/s)" "$ossl_multi")" "$ossl_multi"
