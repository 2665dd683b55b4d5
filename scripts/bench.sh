#!/usr/bin/env bash
# Benchmarks the C ABI, and the Rust `jsonwebtoken` crate as the Rust peer, beside `openssl
# speed rsa2048`, measured in the same run, round after round, so drift on a shared machine
# hits every side alike: on one core (taskset -c 0) the C ABI's handle sign, one-shot sign
# (layer_sign_token, the PEM text each call), verify (layer_verifier_verify), verify_n (every
# claim read: the call the wrappers make) and verify_into; then on two cores two threads
# sharing one signer beside `openssl speed -multi 2`. openssl speed runs with -elapsed, so
# that both sides are rates per second of wall-clock time (by default it divides by its user
# CPU time, which flatters it whenever the machine is busy). Reports the median of the
# per-round ratios; --json FILE also writes every round's rates (bench/run.py reads it). Then
# runs `cargo bench` (criterion) unless --no-criterion. --build-only builds abi_bench and the
# Rust peer, and stops.
#
#   scripts/bench.sh [--rounds N] [--seconds S] [--json FILE] [--no-criterion] [--no-peers] [--build-only]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 seconds=3 criterion=1 json='' peers=1 build_only=0
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --no-criterion) criterion=0; shift ;;
    --no-peers) peers=0; shift ;;
    --build-only) build_only=1; shift ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--json FILE] [--no-criterion] [--no-peers] [--build-only]" >&2; exit 2 ;;
  esac
done

[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "$0: --seconds takes whole seconds (openssl speed's unit)" >&2; exit 2; }

make --no-print-directory build >/dev/null
bench=target/release/abi_bench
gcc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude benches/c/abi_bench.c \
  -Ltarget/release -llayer_identity -lpthread -o "$bench"
export LD_LIBRARY_PATH=$PWD/target/release
key=vectors/keys/rsa2048.pkcs8.pem
public_key=vectors/keys/rsa2048.public.pem
one_core=(taskset -c 0)
two_cores=(taskset -c 0-1)

# The Rust peer, one build per crypto backend (bench/rust-jwt is a crate of its own).
backends=()
if ((peers)); then
  backends=(aws-lc-rs rust-crypto)
  for backend in "${backends[@]}"; do
    (cd bench/rust-jwt && CARGO_TARGET_DIR=../../target/rust-jwt/$backend \
      cargo build --release --quiet --locked --features "$backend")
  done
fi
((build_only)) && exit 0

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
rate() { "$@" | awk '{ print $2 }'; }
quote() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "openssl: $(openssl version)   cpu: $cpu   rounds: $rounds x ${seconds}s"
declare -a r_sign r_oneshot r_verify r_verify_n r_threads r_openssl_threads round_json
for round in $(seq "$rounds"); do
  declare -A r=()
  read -r "r[openssl sign]" "r[openssl verify]" < <("${one_core[@]}" openssl speed -elapsed -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1), $NF }')
  for mode in sign oneshot verify verify-n verify-into; do
    r[C ${mode/-/_}]=$(rate "${one_core[@]}" "$bench" "$mode" "$seconds" "$key")
  done
  for backend in "${backends[@]}"; do
    for mode in sign sign-pem verify; do
      r[peer jsonwebtoken-$backend ${mode/-/ }]=$(rate "${one_core[@]}" "target/rust-jwt/$backend/release/rust-jwt-bench" \
        "$mode" "$seconds" "$key" "$public_key")
    done
  done
  r[C sign 2 threads]=$(rate "${two_cores[@]}" "$bench" sign-threads=2 "$seconds" "$key")
  r[openssl sign multi 2]=$("${two_cores[@]}" openssl speed -elapsed -multi 2 -seconds "$seconds" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { print $(NF-1) }')
  printf 'round %d: openssl sign %s/s verify %s/s (2 procs %s/s) | handle sign %s/s, one-shot %s/s, verify %s/s, verify_n %s/s, verify_into %s/s, 2 threads %s/s\n' \
    "$round" "${r[openssl sign]}" "${r[openssl verify]}" "${r[openssl sign multi 2]}" "${r[C sign]}" "${r[C oneshot]}" \
    "${r[C verify]}" "${r[C verify_n]}" "${r[C verify_into]}" "${r[C sign 2 threads]}"
  for backend in "${backends[@]}"; do
    printf '  jsonwebtoken crate (%s): sign %s/s, sign from PEM %s/s, verify %s/s\n' "$backend" \
      "${r[peer jsonwebtoken-$backend sign]}" "${r[peer jsonwebtoken-$backend sign pem]}" "${r[peer jsonwebtoken-$backend verify]}"
  done
  r_sign+=("$(ratio "${r[C sign]}" "${r[openssl sign]}")")
  r_oneshot+=("$(ratio "${r[C oneshot]}" "${r[openssl sign]}")")
  r_verify+=("$(ratio "${r[C verify]}" "${r[openssl verify]}")")
  r_verify_n+=("$(ratio "${r[C verify_n]}" "${r[openssl verify]}")")
  r_threads+=("$(ratio "${r[C sign 2 threads]}" "${r[C sign]}")")
  r_openssl_threads+=("$(ratio "${r[openssl sign multi 2]}" "${r[openssl sign]}")")
  fields=()
  for name in "${!r[@]}"; do fields+=("\"$name\": ${r[$name]}"); done
  round_json+=("{$(IFS=,; echo "${fields[*]}")}")
  unset r
done

report() { printf '%-44s %s (target %s)\n' "$1" "$(printf '%s\n' "${@:3}" | median)" "$2"; }
echo
echo "median of per-round ratios:"
report "handle sign / openssl sign (1 core)" ">= 0.97" "${r_sign[@]}"
report "one-shot sign / openssl sign (1 core)" ">= 0.90" "${r_oneshot[@]}"
report "verify / openssl verify (1 core)" ">= 0.90" "${r_verify[@]}"
report "verify_n / openssl verify (1 core)" "-" "${r_verify_n[@]}"
report "2 threads, one signer / 1 thread" ">= 1.90" "${r_threads[@]}"
report "reference: openssl -multi 2 / 1 process" "-" "${r_openssl_threads[@]}"

if [ -n "$json" ]; then
  printf '{"bench": "c", "seconds": %s, "environment": {"openssl": %s, "cpu": %s}, "rounds": [%s]}\n' \
    "$seconds" "$(quote "$(openssl version)")" "$(quote "$cpu")" "$(IFS=,; echo "${round_json[*]}")" >"$json"
fi

if ((criterion)); then
  echo
  cargo bench --bench tokens
fi
