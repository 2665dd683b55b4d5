#!/usr/bin/env bash
# Builds the C, C++ and Objective-C example backends against target/release and runs each one
#   - in every configuration mode (demo key pair; LAYER_PRIVATE_KEY_PATH; LAYER_PRIVATE_KEY as
#     multi-line PEM and as one line with literal \n), checking what it prints: the version,
#     a token whose header and claims are exactly right for the user and nonce given, and
#     verified claims equal to the token's own; the tokens made with the committed test key
#     are verified once more with the openssl CLI;
#   - with an encrypted key and LAYER_PRIVATE_KEY_PASSPHRASE, right and wrong (each example
#     configures itself with layer_signer_from_env);
#   - with bad configuration and with inputs the library rejects (exit 2 and 1, a message);
#   - for C, which reads the verified claims typed: the typed claims it prints;
#   - under valgrind (memory errors and definite leaks fatal), on success and failure paths;
# and runs the Rust quickstart (`cargo run --release --example quickstart`).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory build >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export LD_LIBRARY_PATH=$PWD/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
unset LAYER_PROVIDER_ID LAYER_KEY_ID LAYER_PRIVATE_KEY LAYER_PRIVATE_KEY_PATH \
  LAYER_PRIVATE_KEY_PASSPHRASE LAYER_TOKEN_TYPE

gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude examples/c/backend.c \
  -Ltarget/release -llayer_identity -o "$out/c"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude examples/cpp/backend.cpp \
  -Ltarget/release -llayer_identity -o "$out/cpp"
gcc -x objective-c -Wall -Wextra -Werror -Iinclude examples/objc/backend.m \
  -Ltarget/release -llayer_identity -lobjc -o "$out/objc"

provider=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f
key_id=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f
keys=vectors/keys
version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' Cargo.toml)
default_user='"alice@example.com"'
default_nonce='"nonce-from-the-layer-client-sdk"'
# Arguments that need JSON escaping, and how the claims must carry them.
user=$'Zo\xc3\xab "Z" O\\Brien'
user_json=$'"Zo\xc3\xab \\"Z\\" O\\\\Brien"'
nonce='n0nce/+=='
nonce_json='"n0nce/+=="'

fail() {
  echo "examples: $*" >&2
  [ ! -s "$out/stdout" ] || sed 's/^/  stdout: /' "$out/stdout" >&2
  [ ! -s "$out/stderr" ] || sed 's/^/  stderr: /' "$out/stderr" >&2
  exit 1
}

# expect STATUS LABEL COMMAND...: runs COMMAND, keeping its output, and requires STATUS.
expect() {
  local want=$1 label=$2 got=0
  shift 2
  "$@" >"$out/stdout" 2>"$out/stderr" || got=$?
  [ "$got" -eq "$want" ] || fail "$label: exit status $got, expected $want"
}

# shellcheck source=scripts/jws.sh
. scripts/jws.sh

# check_minted LABEL USER_JSON NONCE_JSON STARTED [PUBLIC_KEY]: the output of a successful run.
check_minted() {
  local label=$1 user_json=$2 nonce_json=$3 started=$4 public_key=${5:-}
  local token claims header payload iat expected
  grep -qx "layer-identity $version" "$out/stdout" || fail "$label: no 'layer-identity $version' line"
  token=$(sed -n 's/^identity token: //p' "$out/stdout")
  claims=$(sed -n 's/^verified claims: //p' "$out/stdout")
  [[ $token =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "$label: no token printed"
  IFS=. read -r header payload _ <<<"$token"
  [ "$(b64url_decode "$header")" = "{\"typ\":\"JWS\",\"alg\":\"RS256\",\"cty\":\"layer-eit;v=1\",\"kid\":\"$key_id\"}" ] ||
    fail "$label: unexpected header $(b64url_decode "$header")"
  [ "$(b64url_decode "$payload")" = "$claims" ] || fail "$label: the verified claims are not the token's"
  iat=$(sed -n 's/.*"iat":\([0-9]*\),.*/\1/p' <<<"$claims")
  if [ -z "$iat" ] || [ "$iat" -lt "$started" ] || [ "$iat" -gt "$(date +%s)" ]; then
    fail "$label: iat ${iat:-missing} is not the time of the run"
  fi
  expected="{\"iss\":\"$provider\",\"prn\":$user_json,\"iat\":$iat,\"exp\":$((iat + 600)),\"nce\":$nonce_json}"
  [ "$claims" = "$expected" ] || fail "$label: claims $claims, expected $expected"
  if [ -n "$public_key" ]; then
    openssl_verifies "$token" "$public_key" "$out" || fail "$label: openssl does not verify the token"
  fi
}

# check_typed_claims LABEL USER: what the C example prints from layer_verifier_verify_claims
# after a successful run: prn (the user, unescaped), iat and exp as in the claims JSON, and the
# eit name of the rejection at exp. Nothing for the other languages.
check_typed_claims() {
  local label=$1 user=$2 iat
  [ "$lang" = c ] || return 0
  iat=$(sed -n 's/^verified claims: .*"iat":\([0-9]*\),.*/\1/p' "$out/stdout")
  grep -qxF "  prn: $user" "$out/stdout" || fail "$label: typed prn is not $user"
  grep -qx "  iat: $iat" "$out/stdout" || fail "$label: typed iat is not $iat"
  grep -qx "  exp: $((iat + 600))" "$out/stdout" || fail "$label: typed exp is not iat + 600"
  grep -qx "at exp Layer rejects it: eit_expired" "$out/stdout" ||
    fail "$label: no eit_expired rejection at exp"
}

configured() { env LAYER_PROVIDER_ID="$provider" LAYER_KEY_ID="$key_id" "$@"; }

valgrind_summary() { grep -h 'ERROR SUMMARY' "$out/valgrind.log" | sed 's/^==[0-9]*== //'; }

valgrind_for() {
  local args=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --log-file="$out/valgrind.log")
  # libobjc leaks its class tables at load time (see examples/objc/libobjc.supp).
  [ "$1" != objc ] || args+=(--suppressions=examples/objc/libobjc.supp)
  printf '%s\n' "${args[@]}"
}

for lang in c cpp objc; do
  program=$out/$lang

  started=$(date +%s)
  expect 0 "$lang demo" "$program"
  check_minted "$lang demo" "$default_user" "$default_nonce" "$started"
  check_typed_claims "$lang demo" alice@example.com
  grep -q "demo key pair" "$out/stderr" || fail "$lang demo: does not say it uses a demo key pair"

  started=$(date +%s)
  expect 0 "$lang LAYER_PRIVATE_KEY_PATH" \
    configured LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.pem" "$program" "$user" "$nonce"
  check_minted "$lang LAYER_PRIVATE_KEY_PATH" "$user_json" "$nonce_json" "$started" \
    "$keys/rsa2048.public.pem"
  check_typed_claims "$lang LAYER_PRIVATE_KEY_PATH" "$user"
  [ ! -s "$out/stderr" ] || fail "$lang LAYER_PRIVATE_KEY_PATH: unexpected output on stderr"

  for form in rsa2048.pkcs1.pem rsa2048.pkcs8.escaped.txt; do
    started=$(date +%s)
    expect 0 "$lang LAYER_PRIVATE_KEY ($form)" \
      configured LAYER_PRIVATE_KEY="$(cat "$keys/$form")" "$program" "$user"
    check_minted "$lang LAYER_PRIVATE_KEY ($form)" "$user_json" "$default_nonce" "$started" \
      "$keys/rsa2048.public.pem"
    check_typed_claims "$lang LAYER_PRIVATE_KEY ($form)" "$user"
  done
  # layer_signer_from_env also takes an encrypted key and its passphrase.
  started=$(date +%s)
  expect 0 "$lang encrypted key" configured LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.encrypted.pem" \
    LAYER_PRIVATE_KEY_PASSPHRASE='correct horse battery staple' "$program" "$user"
  check_minted "$lang encrypted key" "$user_json" "$default_nonce" "$started" "$keys/rsa2048.public.pem"
  check_typed_claims "$lang encrypted key" "$user"
  expect 2 "$lang wrong passphrase" configured LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.encrypted.pem" \
    LAYER_PRIVATE_KEY_PASSPHRASE=not-the-passphrase-8f3a "$program"
  grep -q "LAYER_ERR_WRONG_PASSPHRASE: .*LAYER_PRIVATE_KEY_PASSPHRASE" "$out/stderr" ||
    fail "$lang wrong passphrase: the message does not name LAYER_PRIVATE_KEY_PASSPHRASE"
  ! grep -q "8f3a" "$out/stdout" "$out/stderr" || fail "$lang wrong passphrase: the output quotes the passphrase"

  # Configuration errors: exit 2 and say what to set.
  expect 2 "$lang incomplete configuration" env LAYER_PROVIDER_ID="$provider" "$program"
  grep -q "LAYER_KEY_ID" "$out/stderr" || fail "$lang: the configuration error does not name LAYER_KEY_ID"
  expect 2 "$lang both key variables" configured LAYER_PRIVATE_KEY=x \
    LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.pem" "$program"
  expect 2 "$lang unreadable key file" configured LAYER_PRIVATE_KEY_PATH="$out/missing.pem" "$program"
  expect 2 "$lang too many arguments" "$program" a b c

  # The library's rejections: the status name and the library's message. At start-up,
  # layer_signer_from_env reads the configuration and a value it rejects is a configuration
  # error (exit 2), named by its variable; a rejected request exits 1.
  expect 2 "$lang swapped IDs" env LAYER_PROVIDER_ID="$key_id" LAYER_KEY_ID="$key_id" \
    LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.pem" "$program"
  grep -q "LAYER_ERR_INVALID_ARGUMENT: .*provider ID \"$key_id\" is a key ID" "$out/stderr" ||
    fail "$lang swapped IDs: the message does not explain the rejection"
  grep -q "LAYER_PROVIDER_ID" "$out/stderr" ||
    fail "$lang swapped IDs: the message does not name LAYER_PROVIDER_ID"
  expect 2 "$lang weak key" configured LAYER_PRIVATE_KEY_PATH="$keys/rsa1024.pkcs8.pem" "$program"
  grep -q "LAYER_ERR_WEAK_KEY: .*the RSA key has 1024 bits" "$out/stderr" || fail "$lang weak key: wrong message"
  expect 1 "$lang empty nonce" configured LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.pem" \
    "$program" "$user" ""
  grep -q "LAYER_ERR_INVALID_ARGUMENT: nonce is empty" "$out/stderr" || fail "$lang empty nonce: wrong message"

  # Under valgrind: the demo (key generation), a configured run, and a failure path.
  mapfile -t vg < <(valgrind_for "$lang")
  started=$(date +%s)
  expect 0 "$lang demo under valgrind" "${vg[@]}" "$program"
  check_minted "$lang demo under valgrind" "$default_user" "$default_nonce" "$started"
  check_typed_claims "$lang demo under valgrind" alice@example.com
  summary=$(valgrind_summary)
  started=$(date +%s)
  expect 0 "$lang configured under valgrind" \
    configured LAYER_PRIVATE_KEY_PATH="$keys/rsa2048.pkcs8.pem" "${vg[@]}" "$program" "$user" "$nonce"
  check_minted "$lang configured under valgrind" "$user_json" "$nonce_json" "$started" \
    "$keys/rsa2048.public.pem"
  check_typed_claims "$lang configured under valgrind" "$user"
  summary+=" | $(valgrind_summary)"
  expect 2 "$lang weak key under valgrind" \
    configured LAYER_PRIVATE_KEY_PATH="$keys/rsa1024.pkcs8.pem" "${vg[@]}" "$program"
  summary+=" | $(valgrind_summary)"
  extra=
  [ "$lang" != c ] || extra=", typed claims"
  echo "examples/$lang: ok (demo, key path, key PEM x2, encrypted key, 5 configuration errors, 3 library errors$extra)"
  echo "  valgrind (demo | configured | weak key): $summary"
done

expect 0 "Rust quickstart" cargo run --release --quiet --example quickstart
[ -s "$out/stdout" ] || fail "Rust quickstart: printed nothing"
echo "examples/quickstart.rs: ok"
echo "examples: all passed"
