#!/usr/bin/env bash
# The Go wrapper's benchmark, one command (after `make build`):
#
#   bindings/go/bench/compare.sh [--rounds N] [--seconds S] [--only sign|endpoint] [--json FILE]
#
# sign: Signer.Sign, SignToken and Verifier.Verify beside golang-jwt/v5 (crypto/rsa), the C ABI
#   (benches/c/abi_bench.c: verify is layer_verifier_verify_n, the call the wrapper makes) and
#   `openssl speed -elapsed rsa2048`, on one core; two goroutines sharing one Signer beside two
#   C threads and `openssl speed -multi 2`, on two cores. With --json FILE, every round's rates
#   go to FILE too (bench/run.py, `make bench`, reads it). Verify is also
#   measured as a Go server runs it, one goroutine with GOMAXPROCS 2 on two cores (beside the C
#   ABI on the same two cores): a verification (~20-40 us) outlasts the Go scheduler's 20 us
#   sysmon tick, and with a single P the runtime hands that P to another thread during each
#   cgo call, a cost of Go's cgo (the same with a C loop that only spins), not of the wrapper.
# endpoint: the sample backend (examples/backend, net/http, the static library) over
#   HTTP/1.1 keep-alive, driven by the project's load generator (bench/loadgen, which verifies
#   every token) with 1 and with 8 connections: tokens/s and latency percentiles, beside `openssl speed -elapsed -multi 2 rsa2048` (both cores
#   signing). The load generator runs on the same two cores as the server.
# Everything is measured in the same run, alternating round by round (the machine may be
# shared: absolute rates drift, ratios much less); each ratio is the median of the
# per-round ratios, and wall-clock rates are compared with wall-clock rates.
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
go_dir=$(dirname "$bench_dir")
repo=$(cd "$go_dir/../.." && pwd)

rounds=5 seconds=3 only='' json=''
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--only sign|endpoint] [--json FILE]" >&2; exit 2 ;;
  esac
done
case $only in '' | sign | endpoint) ;; *) echo "--only sign or endpoint" >&2; exit 2 ;; esac

build=$go_dir/.build
mkdir -p "$build"
key=$repo/vectors/keys/rsa2048.pkcs8.pem
export LD_LIBRARY_PATH=$repo/target/release
one_core=(taskset -c 0)
two_cores=(taskset -c 0-1)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
report() { printf '%-58s %s%s\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "${2:+ (target $2)}"; }
# openssl_sign ARGS...: openssl speed's RSA-2048 signatures per second (wall clock).
openssl_sign() { openssl speed -elapsed -seconds "$seconds" "$@" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $(NF-1) }'; }

echo "openssl: $(openssl version)   go: $("$go_dir/dev.sh" go version | cut -d' ' -f3)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)   rounds: $rounds x ${seconds}s"

sign_and_verify() {
  gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -I"$repo/include" "$repo/benches/c/abi_bench.c" \
    -L"$repo/target/release" -llayer_identity -lpthread -o "$build/abi_bench"
  (cd "$bench_dir" && "$go_dir/dev.sh" go test -c -o "$build/bench.test" .)
  c_rate() { "$@" | awk '{ print $2 }'; }
  # go_rates CPUS PATTERN: "name ops/s" per benchmark line of the Go test binary (run in
  # bench_dir, where the key path is relative).
  go_rates() {
    local cpus=$1 pattern=$2
    (cd "$bench_dir" && "$build/bench.test" -test.run '^$' -test.bench "$pattern" \
      -test.benchtime "${seconds}s" -test.cpu "$cpus") |
      awk '/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); printf "%s %.1f\n", name, 1e9 / $3 }'
  }
  pick() { awk -v n="$1" '$1 == n { print $2 }'; }

  local -a r_openssl r_c r_jwt_openssl r_vs_jwt r_threads r_verify_c r_verify_serial r_verify_jwt r_oneshot round_json
  local round ossl_sign ossl_verify ossl_multi c_sign c_oneshot c_verify c_verify_two c_threads serial one two
  for round in $(seq "$rounds"); do
    read -r ossl_sign ossl_verify < <("${one_core[@]}" openssl speed -elapsed -seconds "$seconds" rsa2048 2>/dev/null |
      awk '/^rsa 2048 bits/ { print $(NF-1), $NF }')
    c_sign=$(c_rate "${one_core[@]}" "$build/abi_bench" sign "$seconds" "$key")
    c_oneshot=$(c_rate "${one_core[@]}" "$build/abi_bench" oneshot "$seconds" "$key")
    c_verify=$(c_rate "${one_core[@]}" "$build/abi_bench" verify-n "$seconds" "$key")
    c_verify_two=$(c_rate "${two_cores[@]}" "$build/abi_bench" verify-n "$seconds" "$key")
    c_threads=$(c_rate "${two_cores[@]}" "$build/abi_bench" sign-threads=2 "$seconds" "$key")
    ossl_multi=$("${two_cores[@]}" openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null |
      awk '/^rsa 2048 bits/ { print $(NF-1) }')
    serial=$("${two_cores[@]}" bash -c "$(declare -f go_rates); bench_dir='$bench_dir' build='$build' seconds='$seconds' go_rates 2 'VerifySerial'")
    one=$("${one_core[@]}" bash -c "$(declare -f go_rates); bench_dir='$bench_dir' build='$build' seconds='$seconds' go_rates 1 'Sign|Verify'")
    two=$("${two_cores[@]}" bash -c "$(declare -f go_rates); bench_dir='$bench_dir' build='$build' seconds='$seconds' go_rates 2 'Sign/layeridentity$'")
    local go_sign go_oneshot jwt_sign go_verify jwt_verify go_two go_serial
    go_sign=$(pick BenchmarkSign/layeridentity <<<"$one")
    go_oneshot=$(pick BenchmarkSign/layeridentity-SignToken <<<"$one")
    jwt_sign=$(pick BenchmarkSign/golang-jwt <<<"$one")
    go_verify=$(pick BenchmarkVerify/layeridentity <<<"$one")
    jwt_verify=$(pick BenchmarkVerify/golang-jwt <<<"$one")
    go_two=$(pick BenchmarkSign/layeridentity <<<"$two")
    go_serial=$(pick BenchmarkVerifySerial <<<"$serial")
    printf 'round %d: openssl sign %s/s verify %s/s (-multi 2 %s/s) | C handle sign %s/s (one-shot %s/s, 2 threads %s/s) verify_n %s/s (%s/s unpinned) | Go sign %s/s (SignToken %s/s, 2 goroutines %s/s) verify %s/s (%s/s GOMAXPROCS 2) | golang-jwt sign %s/s verify %s/s\n' \
      "$round" "$ossl_sign" "$ossl_verify" "$ossl_multi" "$c_sign" "$c_oneshot" "$c_threads" "$c_verify" "$c_verify_two" \
      "$go_sign" "$go_oneshot" "$go_two" "$go_verify" "$go_serial" "$jwt_sign" "$jwt_verify"
    r_openssl+=("$(ratio "$go_sign" "$ossl_sign")")
    r_c+=("$(ratio "$go_sign" "$c_sign")")
    r_oneshot+=("$(ratio "$go_oneshot" "$c_oneshot")")
    r_jwt_openssl+=("$(ratio "$jwt_sign" "$ossl_sign")")
    r_vs_jwt+=("$(ratio "$go_sign" "$jwt_sign")")
    r_threads+=("$(ratio "$go_two" "$go_sign")")
    r_verify_c+=("$(ratio "$go_verify" "$c_verify")")
    r_verify_serial+=("$(ratio "$go_serial" "$c_verify_two")")
    r_verify_jwt+=("$(ratio "$go_verify" "$jwt_verify")")
    round_json+=("$(printf '{"openssl sign": %s, "openssl verify": %s, "openssl sign multi 2": %s, "C sign": %s, "C oneshot": %s, "C verify_n": %s, "C verify_n 2 cores": %s, "C sign 2 threads": %s, "sign": %s, "oneshot": %s, "verify": %s, "verify 2 cores": %s, "sign 2 threads": %s, "peer golang-jwt sign": %s, "peer golang-jwt verify": %s}' \
      "$ossl_sign" "$ossl_verify" "$ossl_multi" "$c_sign" "$c_oneshot" "$c_verify" "$c_verify_two" "$c_threads" \
      "$go_sign" "$go_oneshot" "$go_verify" "$go_serial" "$go_two" "$jwt_sign" "$jwt_verify")")
  done
  if [ -n "$json" ]; then
    printf '{"bench": "go", "seconds": %s, "environment": {"go": "%s"}, "rounds": [%s]}\n' \
      "$seconds" "$("$go_dir/dev.sh" go version | cut -d' ' -f3)" "$(IFS=,; echo "${round_json[*]}")" >"$json"
  fi
  echo
  echo "sign and verify, median of per-round ratios:"
  report "Go Signer.Sign / C ABI handle sign (1 core)" ">= 0.95" "${r_c[@]}"
  report "Go Signer.Sign / openssl speed sign (1 core)" "" "${r_openssl[@]}"
  report "Go SignToken (cached key) / C ABI one-shot" "" "${r_oneshot[@]}"
  report "golang-jwt sign / openssl speed sign (1 core)" "" "${r_jwt_openssl[@]}"
  report "Go Signer.Sign / golang-jwt sign" "about 4" "${r_vs_jwt[@]}"
  report "Go 2 goroutines, one Signer / 1 goroutine" ">= 1.90" "${r_threads[@]}"
  report "Go Verify / C ABI verify_n (one goroutine, GOMAXPROCS 2)" ">= 0.85" "${r_verify_serial[@]}"
  report "Go Verify / C ABI verify_n (GOMAXPROCS 1, pinned to 1 core)" "" "${r_verify_c[@]}"
  report "Go Verify / golang-jwt verify" "" "${r_verify_jwt[@]}"
}

endpoint() {
  (cd "$go_dir" && ./dev.sh go build -tags layer_identity_static -o "$build/backend" ./examples/backend)
  (cd "$repo" && go build -o "$build/loadgen" ./bench/loadgen)
  local out=$build/backend.out
  local provider=layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f
  local key_id=layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678
  LAYER_PROVIDER_ID=$provider LAYER_KEY_ID=$key_id LAYER_PRIVATE_KEY_PATH=$key \
    HOST=127.0.0.1 PORT=0 "$build/backend" >"$out" 2>/dev/null &
  local backend=$!
  trap 'kill "$backend" 2>/dev/null || true' EXIT
  local addr=''
  for _ in $(seq 100); do
    addr=$(sed -n 's|^listening on http://||p' "$out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "the backend did not start" >&2; exit 1; }
  # load CONNS: run the load generator for one round, its JSON report in $build/load-CONNS.json
  # (it exits non-zero when any request fails or any token does not verify).
  load() {
    "$build/loadgen" --url "http://$addr" --conns "$1" --duration "${seconds}s" --warmup $((100 * $1)) \
      --public-key "$repo/vectors/keys/rsa2048.public.pem" --provider-id "$provider" --key-id "$key_id" \
      --json "$build/load-$1.json" >/dev/null
  }
  # field NAME CONNS: a number from the last report of load CONNS.
  field() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$build/load-$2.json" "$1"; }
  # line CONNS: that report's figures, for the round's line.
  line() { printf 'requests=%s tokens_per_s=%s p50_ms=%s p99_ms=%s' "$(field requests "$1")" "$(field tokens_per_s "$1")" "$(field p50_ms "$1")" "$(field p99_ms "$1")"; }
  local -a r_eight r_one r_p50_one r_p99_one r_p50_eight r_p99_eight
  local round multi single
  for round in $(seq "$rounds"); do
    multi=$(openssl_sign -multi 2)
    single=$(openssl_sign)
    load 1
    load 8
    printf 'round %d: openssl sign %s/s, -multi 2 %s/s | 1 connection: %s | 8 connections: %s\n' \
      "$round" "$single" "$multi" "$(line 1)" "$(line 8)"
    r_eight+=("$(ratio "$(field tokens_per_s 8)" "$multi")")
    r_one+=("$(ratio "$(field tokens_per_s 1)" "$single")")
    r_p50_one+=("$(field p50_ms 1)")
    r_p99_one+=("$(field p99_ms 1)")
    r_p50_eight+=("$(field p50_ms 8)")
    r_p99_eight+=("$(field p99_ms 8)")
  done
  kill "$backend"
  wait "$backend" || true
  trap - EXIT
  echo
  echo "endpoint over HTTP keep-alive (net/http, sample backend), median of rounds:"
  report "tokens/s, 8 connections / openssl speed -multi 2 sign" ">= 0.7" "${r_eight[@]}"
  report "tokens/s, 1 connection / openssl speed sign (1 core)" "" "${r_one[@]}"
  report "latency p50, 1 connection (ms)" "<= 1" "${r_p50_one[@]}"
  report "latency p99, 1 connection (ms)" "" "${r_p99_one[@]}"
  report "latency p50, 8 connections (ms)" "" "${r_p50_eight[@]}"
  report "latency p99, 8 connections (ms)" "" "${r_p99_eight[@]}"
}

[ "$only" = endpoint ] || sign_and_verify
[ "$only" = sign ] || endpoint
