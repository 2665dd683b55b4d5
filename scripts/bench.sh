#!/usr/bin/env bash
# Benchmarks the C ABI beside `openssl speed rsa2048`, measured in the same run on the same
# core, round after round, so drift on a shared machine hits both sides alike. openssl speed
# runs with -elapsed, so that both sides are rates per second of wall-clock time (by default
# it divides by its user CPU time, which flatters it whenever the machine is busy). Reports the
# median of the per-round ratios. Then runs `cargo bench` (criterion) unless --no-criterion.
#
#   scripts/bench.sh [--rounds N] [--seconds S] [--no-criterion]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 seconds=3 criterion=1
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --no-criterion) criterion=0; shift ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--no-criterion]" >&2; exit 2 ;;
  esac
done

make --no-print-directory build >/dev/null
bench=target/release/abi_bench
gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude benches/c/abi_bench.c \
  -Ltarget/release -llayer_identity -lpthread -o "$bench"
export LD_LIBRARY_PATH=$PWD/target/release
key=vectors/keys/rsa2048.pkcs8.pem
one_core=(taskset -c 0)
two_cores=(taskset -c 0-1)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
rate() { "$@" | awk '{ print $2 }'; }

echo "openssl: $(openssl version)   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)   rounds: $rounds x ${seconds}s"
declare -a r_sign r_oneshot r_verify r_threads r_openssl_threads
for round in $(seq "$rounds"); do
  read -r ossl_sign ossl_verify < <("${one_core[@]}" openssl speed -elapsed -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1), $NF }')
  sign=$(rate "${one_core[@]}" "$bench" sign "$seconds" "$key")
  oneshot=$(rate "${one_core[@]}" "$bench" oneshot "$seconds" "$key")
  verify=$(rate "${one_core[@]}" "$bench" verify "$seconds" "$key")
  two=$(rate "${two_cores[@]}" "$bench" sign-threads=2 "$seconds" "$key")
  ossl_two=$("${two_cores[@]}" openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1) }')
  printf 'round %d: openssl sign %s/s verify %s/s (2 procs %s/s) | handle sign %s/s, one-shot %s/s, verify %s/s, 2 threads %s/s\n' \
    "$round" "$ossl_sign" "$ossl_verify" "$ossl_two" "$sign" "$oneshot" "$verify" "$two"
  r_sign+=("$(ratio "$sign" "$ossl_sign")")
  r_oneshot+=("$(ratio "$oneshot" "$ossl_sign")")
  r_verify+=("$(ratio "$verify" "$ossl_verify")")
  r_threads+=("$(ratio "$two" "$sign")")
  r_openssl_threads+=("$(ratio "$ossl_two" "$ossl_sign")")
done

report() { printf '%-44s %s (target %s)\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "$2"; }
echo
echo "median of per-round ratios:"
report "handle sign / openssl sign (1 core)" ">= 0.97" "${r_sign[@]}"
report "one-shot sign / openssl sign (1 core)" ">= 0.90" "${r_oneshot[@]}"
report "verify / openssl verify (1 core)" ">= 0.90" "${r_verify[@]}"
report "2 threads, one signer / 1 thread" ">= 1.90" "${r_threads[@]}"
report "reference: openssl -multi 2 / 1 process" "-" "${r_openssl_threads[@]}"

if ((criterion)); then
  echo
  cargo bench --bench tokens
fi
