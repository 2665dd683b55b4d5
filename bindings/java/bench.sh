#!/usr/bin/env bash
# The Java binding's benchmark, one command, ratios measured in one run (so drift on a shared
# machine hits both sides of each ratio alike):
#   - sign: the JMH benchmarks (benchmarks/, SignBenchmark: layer-identity, jjwt and java-jwt
#     on the JDK's RSA, making the same token) on one core, and two threads sharing one
#     LayerSigner on two cores, beside the C ABI (abi_bench: handle sign, one-shot, verify_n,
#     two threads) and `openssl speed rsa2048` (one process, and -multi 2), round after round;
#     the ratios are medians of the per-round ratios;
#   - endpoint: the sample backend (JDK HttpServer, TCP_NODELAY) over HTTP/1.1 keep-alive
#     (HttpLoad): one connection (p50, p99) and 8 connections (tokens/s) beside `openssl speed
#     -multi 2`.
# Targets: sign >= 0.95 and verify >= 0.85 of the C ABI; 8 connections >= 0.6 of openssl
# -multi 2; one connection's median <= 1 ms. Figures from a busy machine are rough: say so.
#
#   bindings/java/bench.sh [--rounds N] [--seconds S] [--only sign|endpoint] [--json FILE]
#
# (defaults 3 rounds x 3 s). --json FILE also writes every round's rates of the sign part to
# FILE (bench/run.py, `make bench`, reads it). It installs the binding into ~/.m2 (mvn
# install) to build benchmarks/ against it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=3 seconds=3 only='' json=''
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--only sign|endpoint] [--json FILE]" >&2; exit 2 ;;
  esac
done
case $only in '' | sign | endpoint) ;; *) echo "--only sign or endpoint" >&2; exit 2 ;; esac

make -C "$root" --no-print-directory build >/dev/null
(cd "$here" && mvn -B -q -ntp -Dstyle.color=never install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true)
(cd "$here/benchmarks" && mvn -B -q -ntp -Dstyle.color=never package)
jar=$here/benchmarks/target/benchmarks.jar
bench=$root/target/release/abi_bench
gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -I"$root/include" "$root/benches/c/abi_bench.c" \
  -L"$root/target/release" -llayer_identity -lpthread -o "$bench"
key=$root/vectors/keys/rsa2048.pkcs8.pem
export LD_LIBRARY_PATH=$root/target/release
rate() { "$@" | awk '{ print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
openssl_multi() {
  taskset -c 0-1 openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $(NF-1) }'
}
work=$(mktemp -d)
backend=
cleanup() {
  if [ -n "$backend" ]; then kill "$backend" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "openssl: $(openssl version)   java: $(java -version 2>&1 | head -1)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)   load: $(cut -d' ' -f1-3 /proc/loadavg)"

# jmh CPUS THREADS PATTERN: "name ops/s" for each benchmark JMH ran (one fork each: two warm-up
# iterations of 1 s, for the JIT to compile RSA's BigInteger code of the JDK's peers, then one
# measured iteration of $seconds), read from JMH's JSON results.
jmh() {
  taskset -c "$1" java -jar "$jar" -f 1 -wi 2 -w 1s -i 1 -r "${seconds}s" -t "$2" -foe true \
    -rf json -rff "$work/jmh.json" "$3" >"$work/jmh.log" 2>&1 || { cat "$work/jmh.log" >&2; return 1; }
  python3 -c 'import json, sys
for b in json.load(open(sys.argv[1])): print(b["benchmark"].rsplit(".", 1)[1], b["primaryMetric"]["score"])' "$work/jmh.json"
}

sign_and_verify() {
  local -a round_json r_sign r_oneshot r_verify r_threads
  local round ossl_sign ossl_verify ossl_multi c_sign c_oneshot c_verify c_threads one two
  pick() { awk -v n="$1" '$1 == n { print $2 }' <<<"$2"; }
  for round in $(seq "$rounds"); do
    read -r ossl_sign ossl_verify < <(taskset -c 0 openssl speed -elapsed -seconds "$seconds" rsa2048 2>/dev/null |
      awk '/^rsa 2048 bits/ { print $(NF-1), $NF }')
    c_sign=$(rate taskset -c 0 "$bench" sign "$seconds" "$key")
    c_oneshot=$(rate taskset -c 0 "$bench" oneshot "$seconds" "$key")
    c_verify=$(rate taskset -c 0 "$bench" verify-n "$seconds" "$key")
    one=$(jmh 0 1 'SignBenchmark\.(sign|verify)')
    c_threads=$(rate taskset -c 0-1 "$bench" sign-threads=2 "$seconds" "$key")
    two=$(jmh 0-1 2 'SignBenchmark\.signLayerIdentity$')
    ossl_multi=$(openssl_multi)
    printf 'round %d: openssl sign %s/s verify %s/s (-multi 2 %s/s) | C sign %s/s, one-shot %s/s, verify_n %s/s, 2 threads %s/s\n' \
      "$round" "$ossl_sign" "$ossl_verify" "$ossl_multi" "$c_sign" "$c_oneshot" "$c_verify" "$c_threads"
    echo "  JMH, one core (ops/s): $(tr '\n' ' ' <<<"$one")| 2 threads: $(tr '\n' ' ' <<<"$two")"
    r_sign+=("$(ratio "$(pick signLayerIdentity "$one")" "$c_sign")")
    r_oneshot+=("$(ratio "$(pick signPemLayerIdentity "$one")" "$c_oneshot")")
    r_verify+=("$(ratio "$(pick verifyLayerIdentity "$one")" "$c_verify")")
    r_threads+=("$(ratio "$(pick signLayerIdentity "$two")" "$c_threads")")
    round_json+=("$(printf '{"openssl sign": %s, "openssl verify": %s, "openssl sign multi 2": %s, "C sign": %s, "C oneshot": %s, "C verify_n": %s, "C sign 2 threads": %s, "sign": %s, "oneshot": %s, "verify": %s, "sign 2 threads": %s, "peer jjwt sign": %s, "peer jjwt sign pem": %s, "peer jjwt verify": %s, "peer java-jwt sign": %s, "peer java-jwt sign pem": %s, "peer java-jwt verify": %s}' \
      "$ossl_sign" "$ossl_verify" "$ossl_multi" "$c_sign" "$c_oneshot" "$c_verify" "$c_threads" \
      "$(pick signLayerIdentity "$one")" "$(pick signPemLayerIdentity "$one")" "$(pick verifyLayerIdentity "$one")" \
      "$(pick signLayerIdentity "$two")" "$(pick signJjwt "$one")" "$(pick signPemJjwt "$one")" "$(pick verifyJjwt "$one")" \
      "$(pick signJavaJwt "$one")" "$(pick signPemJavaJwt "$one")" "$(pick verifyJavaJwt "$one")")")
  done
  report() { printf '%-46s %s%s\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "${2:+ (target $2)}"; }
  echo
  echo "sign and verify, median of per-round ratios:"
  report "Java sign / C ABI handle sign (1 core)" ">= 0.95" "${r_sign[@]}"
  report "Java signToken, PEM each call / C ABI one-shot" "" "${r_oneshot[@]}"
  report "Java verify / C ABI verify_n (1 core)" ">= 0.85" "${r_verify[@]}"
  report "Java 2 threads / C ABI 2 threads (2 cores)" "" "${r_threads[@]}"
  if [ -n "$json" ]; then
    printf '{"bench": "java", "seconds": %s, "environment": {"java": "%s"}, "rounds": [%s]}\n' "$seconds" \
      "$(java -version 2>&1 | head -1 | tr -d '"')" "$(IFS=,; echo "${round_json[*]}")" >"$json"
  fi
}

endpoint() {
  local port log one eight ossl_multi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log=$work/backend.log
  LAYER_PROVIDER_ID=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f \
    LAYER_KEY_ID=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f \
    LAYER_PRIVATE_KEY_PATH=$key PORT=$port HOST=127.0.0.1 \
    "$here/run-backend.sh" >"$log" 2>&1 &
  backend=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$log" && break
    sleep 0.1
  done
  grep -q "listening on" "$log" || { cat "$log" >&2; exit 1; }
  ossl_multi=$(openssl_multi)
  one=$(java -cp "$jar" com.layer.identity.bench.HttpLoad 127.0.0.1 "$port" 1 "$seconds")
  eight=$(java -cp "$jar" com.layer.identity.bench.HttpLoad 127.0.0.1 "$port" 8 "$seconds")
  field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$1"; }
  echo
  echo "HTTP keep-alive, sample backend (JDK HttpServer), fresh nonce per request:"
  printf '  1 connection:  %s tokens/s, p50 %s ms (target <= 1), p99 %s ms\n' \
    "$(field "$one" tokens/s)" "$(field "$one" p50_ms)" "$(field "$one" p99_ms)"
  printf '  8 connections: %s tokens/s, p50 %s ms, p99 %s ms = %s of openssl speed -multi 2 (%s signs/s) (target >= 0.6)\n' \
    "$(field "$eight" tokens/s)" "$(field "$eight" p50_ms)" "$(field "$eight" p99_ms)" \
    "$(ratio "$(field "$eight" tokens/s)" "$ossl_multi")" "$ossl_multi"
}

[ "$only" = endpoint ] || sign_and_verify
[ "$only" = sign ] || endpoint
