#!/usr/bin/env bash
# C ABI tests. Builds the C99 test programs in tests/c/ against
# target/release/liblayer_identity.so:
#   test_tokens     signing, verifying, keys and key generation through the NUL-terminated
#                   functions: arguments, errors, tokens, every status
#   test_env_claims layer_signer_from_env, layer_signer_sign_with, layer_verifier_verify_claims
#                   and the LayerClaims getters, layer_eit_name
#   test_lengths    the pointer-and-length (_n) functions: U+0000 and invalid UTF-8 refused by
#                   name, bytes keys (raw DER), int64 times, verify_n reading every claim,
#                   layer_token_type_flags, no secret echoed from an ID
#   test_endpoint   LayerExchange: every case of tests/endpoint/cases.json, each step, misuse,
#                   hostile 64 KiB bodies
#   test_threads  4 threads x 50 tokens on one shared signer and one shared verifier; 4 threads
#                 reading typed claims from one verifier, and one LayerClaims, at once
#   test_vectors  the known-answer signing vectors of vectors/sign.json, byte for byte
# and runs each of them
#   1. under valgrind: memory errors and definite leaks are fatal (OpenSSL's and Rust's
#      "still reachable" globals, and the one-shot key cache, are fine);
#   2. natively, built with -fsanitize=address,undefined (ASan, LeakSanitizer, UBSan), against
#      the library in LAYER_TEST_ASAN_LIB_DIR when that is set (scripts/sanitize.sh: the library
#      itself built with AddressSanitizer), target/release's otherwise;
# then verifies every token the programs minted with the openssl CLI
# (`openssl dgst -sha256 -verify`) and with PyJWT, independently of the library.
#
#   tests/c/run.sh [case-name-filter]     (the filter is passed to test_tokens)
set -euo pipefail
cd "$(dirname "$0")/../.."

make --no-print-directory build >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -g)
# -lcrypto: the tests check that the library leaves OpenSSL's error queue empty.
libs=(-Ltarget/release -llayer_identity -lcrypto -pthread)
asan_lib_dir=${LAYER_TEST_ASAN_LIB_DIR:-$PWD/target/release}
asan_libs=(-L"$asan_lib_dir" -llayer_identity -lcrypto -pthread)
programs=(test_tokens test_env_claims test_lengths test_endpoint test_threads test_vectors)
# shellcheck disable=SC2054 # the commas belong to -fsanitize=address,undefined
sanitize=(-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)

for program in "${programs[@]}"; do
  gcc "${cflags[@]}" "tests/c/$program.c" tests/c/test_support.c "${libs[@]}" -o "$out/$program"
  gcc "${cflags[@]}" "${sanitize[@]}" "tests/c/$program.c" tests/c/test_support.c "${asan_libs[@]}" \
    -o "$out/$program.asan"
done

export LD_LIBRARY_PATH=$PWD/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LAYER_TEST_KEYS=$PWD/vectors/keys
LAYER_EXPECTED_VERSION=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' Cargo.toml)
export LAYER_EXPECTED_VERSION
# Key forms the vectors do not hold, made from the test key by the openssl CLI.
export LAYER_TEST_EXTRA_KEYS=$out/keys
mkdir "$LAYER_TEST_EXTRA_KEYS"
openssl rsa -in vectors/keys/rsa2048.pkcs1.pem -RSAPublicKey_out \
  -out "$LAYER_TEST_EXTRA_KEYS/rsa2048.pkcs1.public.pem" 2>/dev/null
openssl rsa -in vectors/keys/rsa2048.pkcs1.pem -aes256 -traditional \
  -passout pass:'correct horse battery staple' \
  -out "$LAYER_TEST_EXTRA_KEYS/rsa2048.legacy-encrypted.pem" 2>/dev/null
openssl pkey -in vectors/keys/rsa2048.pkcs8.pem -outform DER \
  -out "$LAYER_TEST_EXTRA_KEYS/rsa2048.pkcs8.der" 2>/dev/null
# The endpoint's contract cases as the C test reads them (no JSON parser in C).
export LAYER_TEST_ENDPOINT_CASES=$out/endpoint-cases.tsv
/usr/bin/python3 tests/c/endpoint_cases.py tests/endpoint/cases.json >"$LAYER_TEST_ENDPOINT_CASES"
# Tokens the library cannot mint (a U+0000 in prn, null attributes, metadata out of order, a
# missing or mistyped claim), signed by the openssl CLI alone with the test key; test_env_claims
# reads them from LAYER_TEST_CRAFTED_<NAME>. The IDs are those of tests/c/test_support.h.
b64url_encode() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
crafted_header='{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1",'\
'"kid":"layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"}'
# craft NAME CLAIMS_JSON: exports LAYER_TEST_CRAFTED_NAME, the signed token.
craft() {
  local input signature
  input=$(printf '%s' "$crafted_header" | b64url_encode).$(printf '%s' "$2" | b64url_encode)
  signature=$(printf '%s' "$input" | openssl dgst -sha256 -sign vectors/keys/rsa2048.pkcs8.pem |
    b64url_encode)
  [ -n "$signature" ] || { echo "cannot sign the crafted token $1" >&2; exit 1; }
  export "LAYER_TEST_CRAFTED_$1=$input.$signature"
}
iss='{"iss":"layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"'
claims_head=$iss',"prn":"user-42","iat":1700000000,"exp":1700000600,"nce":"nonce-abc"'
craft NUL_PRN "$iss"',"prn":"a\u0000b","iat":1700000000,"exp":1700000600,"nce":"nonce-abc"}'
craft ATTRIBUTES "$claims_head"',"first_name":"Al","last_name":null,"display_name":null,'\
'"metadata":{"zeta":"1","Alpha":"x\u0000y","mid":""},"extra":[1,{"n":null}]}'
craft NULL_METADATA "$claims_head"',"metadata":null}'
craft DUPLICATE_METADATA "$claims_head"',"metadata":{"a":"1","a":"2"}}'
craft DUPLICATE_METADATA_ESCAPED "$claims_head"',"metadata":{"a":"1","\u0061":"2"}}'
craft METADATA_NUMBER "$claims_head"',"metadata":{"a":1}}'
craft LAST_NAME_NUMBER "$claims_head"',"last_name":42}'
craft NO_NCE "$iss"',"prn":"user-42","iat":1700000000,"exp":1700000600}'
craft IAT_STRING "$iss"',"prn":"user-42","iat":"1700000000","exp":1700000600,"nce":"nonce-abc"}'
craft IAT_IS_EXP "$iss"',"prn":"user-42","iat":1700000000,"exp":1700000000,"nce":"nonce-abc"}'
export LAYER_TEST_TOKEN_LOG=$out/tokens.tsv
export LAYER_TEST_SIGN_VECTORS=$out/sign-vectors.tsv
/usr/bin/python3 tests/c/sign_vectors.py vectors/sign.json >"$LAYER_TEST_SIGN_VECTORS"
: >"$LAYER_TEST_TOKEN_LOG"

filter_for() { if [ "$1" = test_tokens ] && [ $# -gt 1 ]; then printf '%s' "$2"; fi; }

# run LABEL COMMAND...: runs a test program, shows its summary line, and all of its output
# when it fails.
run() {
  local label=$1
  shift
  if "$@" >"$out/stdout" 2>"$out/stderr"; then
    printf '%-22s %s\n' "$label" "$(tail -n 1 "$out/stdout")"
    # Each program runs twice (valgrind, sanitizers); count its assertions once.
    if [[ $label == *valgrind* ]]; then tail -n 1 "$out/stdout" >>"$out/summaries"; fi
  else
    local status=$?
    printf '%-22s FAILED (exit %d)\n' "$label" "$status" >&2
    cat "$out/stdout" "$out/stderr" >&2
    exit 1
  fi
}

for program in "${programs[@]}"; do
  filter=$(filter_for "$program" "$@")
  run "$program (valgrind)" valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --log-file="$out/valgrind.log" \
    "$out/$program" ${filter:+"$filter"}
  # The two summary lines that matter, e.g. for the report.
  grep -E 'ERROR SUMMARY|definitely lost' "$out/valgrind.log" | sed 's/^==[0-9]*== /    valgrind: /'
done

for program in "${programs[@]}"; do
  filter=$(filter_for "$program" "$@")
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LD_LIBRARY_PATH=$asan_lib_dir:$LD_LIBRARY_PATH \
    run "$program (ASan+UBSan)" "$out/$program.asan" ${filter:+"$filter"}
done

# Every token minted above, checked by OpenSSL alone: signing input and signature go to files.
# shellcheck source=scripts/jws.sh
. scripts/jws.sh

sort -u "$LAYER_TEST_TOKEN_LOG" >"$out/unique.tsv"
checked=0
while IFS=$'\t' read -r token pem; do
  IFS=. read -r header _ <<<"$token"
  printf '%s' "$pem" | tr '|' '\n' >"$out/public.pem"
  if ! openssl_verifies "$token" "$out/public.pem" "$out"; then
    echo "openssl rejects a token minted by the C tests: $token" >&2
    exit 1
  fi
  b64url_decode "$header" | grep -q '^{"typ":"JW[ST]","alg":"RS256","cty":"layer-eit;v=1","kid":' || {
    echo "unexpected header in $token" >&2
    exit 1
  }
  checked=$((checked + 1))
done <"$out/unique.tsv"
# The thread test mints 221 distinct tokens, test_tokens about 20 more and test_env_claims about 15
# (most of their tokens are the same fixed inputs again, on purpose) and the vectors about 30;
# fewer means tokens went unchecked.
if [ $# -eq 0 ] && [ "$checked" -lt 280 ]; then
  echo "only $checked distinct tokens were logged for the openssl check" >&2
  exit 1
fi
echo "openssl dgst -sha256 -verify: $checked distinct tokens minted by the C tests verified"
# ... and by PyJWT, a second independent implementation.
/usr/bin/python3 tests/support/pyjwt_verify.py --tsv "$out/unique.tsv"
# The README states the number of assertions ("about N assertions", to the hundred); keep it
# true.
if [ $# -eq 0 ]; then
  total=$(grep -ho '[0-9]* assertions' "$out"/summaries | awk '{ n += $1 } END { print n }')
  claimed=$(tr '\n' ' ' <README.md | grep -o 'about [0-9][0-9 ]* assertions' | head -n 1 | tr -dc '0-9')
  rounded=$(( (total + 50) / 100 * 100 ))
  if [ "$claimed" != "$rounded" ]; then
    echo "README.md says about $claimed C assertions; the programs ran $total (about $rounded)" >&2
    exit 1
  fi
  echo "README: about $claimed assertions, as run ($total)"
fi
echo "tests/c: all passed"
