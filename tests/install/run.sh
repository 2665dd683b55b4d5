#!/usr/bin/env bash
# Tests `make install` (scripts/install.sh): installs into a fresh mktemp prefix, checks the
# files, modes, symlinks and soname, the exported symbols, the pkg-config file, then builds
# examples/c/backend.c with nothing but `pkg-config --cflags --libs layer_identity` and runs
# it, and links it statically against liblayer_identity.a (`pkg-config --static --libs`) and
# runs that without the shared library. Also: a DESTDIR staged install, a reinstall over an
# existing one, and the script's refusal of a bad PREFIX.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' Cargo.toml)
real=liblayer_identity.so.$version
provider=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f
key_id=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f
checks=0

fail() {
  echo "tests/install: $*" >&2
  exit 1
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  "$@" || fail "$what"
  checks=$((checks + 1))
}
mode_is() { [ "$(stat -c %a "$2")" = "$1" ]; }
link_is() { [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; }

# ------------------------------------------------------------------ install and its files
make --no-print-directory install PREFIX="$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "make install PREFIX=$prefix failed"; }
lib=$prefix/lib
check "$real is a regular file" test -f "$lib/$real" -a ! -L "$lib/$real"
check "$real is 0755" mode_is 755 "$lib/$real"
check "liblayer_identity.so.0 -> $real" link_is "$real" "$lib/liblayer_identity.so.0"
check "liblayer_identity.so -> liblayer_identity.so.0" link_is liblayer_identity.so.0 "$lib/liblayer_identity.so"
check "the .so links resolve" cmp -s "$lib/liblayer_identity.so" target/release/liblayer_identity.so
check "liblayer_identity.a installed, 0644" mode_is 644 "$lib/liblayer_identity.a"
check "the .a is the built archive" cmp -s "$lib/liblayer_identity.a" target/release/liblayer_identity.a
check "layer_identity.h installed, 0644" mode_is 644 "$prefix/include/layer_identity.h"
check "the header is include/layer_identity.h" cmp -s "$prefix/include/layer_identity.h" include/layer_identity.h
check "layer_identity.pc installed, 0644" mode_is 644 "$lib/pkgconfig/layer_identity.pc"
check "SONAME is liblayer_identity.so.0" \
  grep -q 'Library soname: \[liblayer_identity.so.0\]' <(readelf -d "$lib/$real")
listing() { (cd "$1" && find . \( -type f -o -type l \) | sort | tr '\n' ' '); }
check "nothing else installed" test "$(listing "$prefix")" = "./include/layer_identity.h \
./lib/liblayer_identity.a ./lib/liblayer_identity.so ./lib/liblayer_identity.so.0 ./lib/$real \
./lib/pkgconfig/layer_identity.pc "

# Every function the header declares is exported by the .so and defined in the .a.
mapfile -t functions < <(grep -oE '\blayer_[a-z0-9_]+\(' include/layer_identity.h | tr -d '(' | sort -u)
[ "${#functions[@]}" -ge 14 ] || fail "found only ${#functions[@]} functions in the header"
nm -D --defined-only "$lib/$real" | awk '{ print $NF }' | sort -u >"$work/so-symbols"
nm --defined-only "$lib/liblayer_identity.a" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$work/a-symbols"
for function in "${functions[@]}"; do
  check "$function exported by the .so" grep -qx "$function" "$work/so-symbols"
  check "$function defined in the .a" grep -qx "$function" "$work/a-symbols"
done

# ------------------------------------------------------------------ pkg-config
export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config --validate" pkg-config --validate layer_identity
check "pkg-config --modversion is $version" test "$(pkg-config --modversion layer_identity)" = "$version"
check "prefix variable" test "$(pkg-config --variable=prefix layer_identity)" = "$prefix"
check "--cflags" test "$(pkg-config --cflags layer_identity | xargs)" = "-I$prefix/include"
check "--libs" test "$(pkg-config --libs layer_identity | xargs)" = "-L$lib -llayer_identity"
static_libs=$(pkg-config --static --libs layer_identity)
for flag in -L"$lib" -llayer_identity -lssl -lcrypto -lpthread -ldl -lm; do
  check "--static --libs has $flag" grep -qw -- "$flag" <<<"$static_libs"
done

# ------------------------------------------------------------------ build and run the C example
cp examples/c/backend.c "$work/backend.c" # away from the repository's include/
cd "$work"
# shellcheck disable=SC2046 # pkg-config output is meant to be word-split
gcc -std=c99 -Wall -Wextra -Werror -pedantic backend.c $(pkg-config --cflags --libs layer_identity) \
  -o backend-shared
check "backend-shared needs liblayer_identity.so.0" \
  grep -q 'NEEDED.*\[liblayer_identity.so.0\]' <(readelf -d backend-shared)

# run_backend LABEL LD_LIBRARY_PATH PROGRAM: a configured run with the committed test key.
run_backend() {
  local label=$1 library_path=$2 program=$3 output
  output=$(env -u LD_LIBRARY_PATH ${library_path:+LD_LIBRARY_PATH="$library_path"} \
    LAYER_PROVIDER_ID="$provider" LAYER_KEY_ID="$key_id" \
    LAYER_PRIVATE_KEY_PATH="$repo/vectors/keys/rsa2048.pkcs8.pem" "$program" installed-user n-1) ||
    fail "$label: exit status $?"
  check "$label prints the version" grep -qx "layer-identity $version" <<<"$output"
  check "$label mints a token" \
    grep -qE '^identity token: [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$output"
  check "$label verifies it" grep -qE '^verified claims: \{"iss":"'"$provider"'","prn":"installed-user",'\
'"iat":[0-9]+,"exp":[0-9]+,"nce":"n-1"\}$' <<<"$output"
}
check "the installed library is the one loaded" \
  grep -q "liblayer_identity.so.0 => $lib/liblayer_identity.so.0" <(LD_LIBRARY_PATH=$lib ldd backend-shared)
run_backend "backend-shared" "$lib" ./backend-shared
demo=$(LD_LIBRARY_PATH=$lib ./backend-shared 2>&1) || fail "backend-shared (demo key pair) failed: $demo"
check "backend-shared demo mode" grep -q '^verified claims: ' <<<"$demo"

# Static: the linker prefers the .so when both are installed, so name the archive.
static_libs=${static_libs/-llayer_identity/-l:liblayer_identity.a}
# shellcheck disable=SC2046,SC2086
gcc -std=c99 -Wall -Wextra -Werror -pedantic backend.c $(pkg-config --cflags layer_identity) \
  $static_libs -o backend-static
check "backend-static does not need liblayer_identity.so" \
  test -z "$(readelf -d backend-static | grep 'NEEDED.*liblayer_identity' || true)"
check "backend-static contains the library" grep -qw layer_signer_new <(nm backend-static)
run_backend "backend-static" "" ./backend-static
cd "$repo"

# ------------------------------------------------------------------ reinstall, DESTDIR, bad PREFIX
make --no-print-directory install PREFIX="$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "installing over an existing install failed"; }
check "reinstall keeps the links" link_is "$real" "$lib/liblayer_identity.so.0"

stage=$work/stage
DESTDIR=$stage scripts/install.sh /opt/layer-identity/ >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "DESTDIR install failed"; }
staged=./opt/layer-identity
check "DESTDIR: files only under \$DESTDIR/opt/layer-identity" test "$(listing "$stage")" = \
  "$staged/include/layer_identity.h $staged/lib/liblayer_identity.a $staged/lib/liblayer_identity.so \
$staged/lib/liblayer_identity.so.0 $staged/lib/$real $staged/lib/pkgconfig/layer_identity.pc "
check "DESTDIR: the .pc names PREFIX, not DESTDIR" \
  grep -qx 'prefix=/opt/layer-identity' "$stage/opt/layer-identity/lib/pkgconfig/layer_identity.pc"
check "DESTDIR: relative links" link_is "$real" "$stage/opt/layer-identity/lib/liblayer_identity.so.0"

for bad in "" relative/prefix "/with space"; do
  status=0
  scripts/install.sh "$bad" >/dev/null 2>&1 || status=$?
  check "install.sh refuses PREFIX '$bad' (exit 2)" test "$status" -eq 2
done
status=0
scripts/install.sh >/dev/null 2>&1 || status=$?
check "install.sh without PREFIX exits 2" test "$status" -eq 2

echo "tests/install: all $checks checks passed (prefix, pkg-config, shared and static builds, DESTDIR)"
