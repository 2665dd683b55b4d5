#!/usr/bin/env bash
# The Go wrapper's rates beside golang-jwt/v5 (crypto/rsa), the C ABI (benches/c/abi_bench.c)
# and `openssl speed -elapsed rsa2048` (wall-clock rates, like the rest), measured in the same
# run, alternating round by round on the same core (the machine may be shared: absolute rates
# drift, ratios much less). Reports the median of the per-round ratios.
#
#   bindings/go/bench/compare.sh [--rounds N] [--seconds S]     (after `make build`)
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
go_dir=$(dirname "$bench_dir")
repo=$(cd "$go_dir/../.." && pwd)

rounds=5 seconds=3
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S]" >&2; exit 2 ;;
  esac
done

build=$go_dir/.build
mkdir -p "$build"
key=$repo/vectors/keys/rsa2048.pkcs8.pem
gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -I"$repo/include" "$repo/benches/c/abi_bench.c" \
  -L"$repo/target/release" -llayer_identity -lpthread -o "$build/abi_bench"
(cd "$bench_dir" && "$go_dir/dev.sh" go test -c -o "$build/bench.test" .)
export LD_LIBRARY_PATH=$repo/target/release
one_core=(taskset -c 0)
two_cores=(taskset -c 0-1)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
c_rate() { "$@" | awk '{ print $2 }'; }
# go_rates CPU PATTERN: "name ops/s" per benchmark line of the Go test binary (run in bench_dir,
# where the key path is relative).
go_rates() {
  local cpus=$1 pattern=$2
  (cd "$bench_dir" && "$build/bench.test" -test.run '^$' -test.bench "$pattern" \
    -test.benchtime "${seconds}s" -test.cpu "$cpus") |
    awk '/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); printf "%s %.1f\n", name, 1e9 / $3 }'
}
pick() { awk -v n="$1" '$1 == n { print $2 }'; }

echo "openssl: $(openssl version)   go: $("$go_dir/dev.sh" go version | cut -d' ' -f3)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)   rounds: $rounds x ${seconds}s"
declare -a r_openssl r_c r_jwt_openssl r_vs_jwt r_threads r_verify_c r_verify_jwt r_oneshot
for round in $(seq "$rounds"); do
  read -r ossl_sign ossl_verify < <("${one_core[@]}" openssl speed -elapsed -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1), $NF }')
  c_sign=$(c_rate "${one_core[@]}" "$build/abi_bench" sign "$seconds" "$key")
  c_verify=$(c_rate "${one_core[@]}" "$build/abi_bench" verify "$seconds" "$key")
  one=$("${one_core[@]}" bash -c "$(declare -f go_rates); bench_dir='$bench_dir' build='$build' seconds='$seconds' go_rates 1 'Sign|Verify'")
  two=$("${two_cores[@]}" bash -c "$(declare -f go_rates); bench_dir='$bench_dir' build='$build' seconds='$seconds' go_rates 2 'Sign/layeridentity$'")
  go_sign=$(pick BenchmarkSign/layeridentity <<<"$one")
  go_oneshot=$(pick BenchmarkSign/layeridentity-SignToken <<<"$one")
  jwt_sign=$(pick BenchmarkSign/golang-jwt <<<"$one")
  go_verify=$(pick BenchmarkVerify/layeridentity <<<"$one")
  jwt_verify=$(pick BenchmarkVerify/golang-jwt <<<"$one")
  go_two=$(pick BenchmarkSign/layeridentity <<<"$two")
  printf 'round %d: openssl sign %s/s verify %s/s | C handle sign %s/s verify %s/s | Go sign %s/s (SignToken %s/s, 2 goroutines %s/s) verify %s/s | golang-jwt sign %s/s verify %s/s\n' \
    "$round" "$ossl_sign" "$ossl_verify" "$c_sign" "$c_verify" "$go_sign" "$go_oneshot" "$go_two" "$go_verify" "$jwt_sign" "$jwt_verify"
  r_openssl+=("$(ratio "$go_sign" "$ossl_sign")")
  r_c+=("$(ratio "$go_sign" "$c_sign")")
  r_oneshot+=("$(ratio "$go_oneshot" "$c_sign")")
  r_jwt_openssl+=("$(ratio "$jwt_sign" "$ossl_sign")")
  r_vs_jwt+=("$(ratio "$go_sign" "$jwt_sign")")
  r_threads+=("$(ratio "$go_two" "$go_sign")")
  r_verify_c+=("$(ratio "$go_verify" "$c_verify")")
  r_verify_jwt+=("$(ratio "$go_verify" "$jwt_verify")")
done

report() { printf '%-52s %s%s\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "${2:+ (target $2)}"; }
echo
echo "median of per-round ratios:"
report "Go Signer.Sign / C ABI handle sign (1 core)" ">= 0.95" "${r_c[@]}"
report "Go Signer.Sign / openssl speed sign (1 core)" "" "${r_openssl[@]}"
report "Go SignToken (cached key) / C ABI handle sign" "" "${r_oneshot[@]}"
report "golang-jwt sign / openssl speed sign (1 core)" "" "${r_jwt_openssl[@]}"
report "Go Signer.Sign / golang-jwt sign" "about 4" "${r_vs_jwt[@]}"
report "Go 2 goroutines, one Signer / 1 goroutine" ">= 1.90" "${r_threads[@]}"
report "Go Verify / C ABI verify (1 core)" "" "${r_verify_c[@]}"
report "Go Verify / golang-jwt verify" "" "${r_verify_jwt[@]}"
