#!/usr/bin/env bash
# Tests `make install` (scripts/install.sh): installs into a fresh mktemp prefix and checks
#   files     the files, modes, symlinks and soname, and the exported symbols;
#   loader    the dynamic-loader step: the install into a prefix outside the loader's path
#             prints what to do, and (with the script sourced, a fake ld.so.conf, an injected
#             list of loader directories and a fake ldconfig) ldconfig runs exactly when
#             DESTDIR is empty, PREFIX/lib is in the loader's path and we are root;
#   pkgconfig both installed modules, layer_identity and layer_identity-static: their text,
#             prefix, libdir, version, flags;
#   shared    examples/c/backend.c built with `pkg-config --cflags --libs layer_identity`, run;
#   static    the same with `pkg-config --cflags --libs layer_identity-static`: no NEEDED
#             liblayer_identity (readelf, ldd), runs with the installed .so files removed,
#             libssl.so.3 and libcrypto.so.3 still NEEDED;
#   cgo       (when `go` is installed, unless LAYER_TEST_CGO=0) a Go program built with
#             `#cgo pkg-config: layer_identity-static`: cgo's flag checks admit the module, and
#             the program is static with respect to liblayer_identity;
#   staging   a reinstall over an existing install, a DESTDIR staged install, bad PREFIXes.
# One line per group; on a failure, what failed and the output that shows why.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lib=$prefix/lib
version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' Cargo.toml)
real=liblayer_identity.so.$version
provider=layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f
key_id=layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f
key=$repo/vectors/keys/rsa2048.pkcs8.pem
checks=0 group_checks=0

fail() { # fail MESSAGE [FILE...]: the message, then each FILE's contents
  local message=$1 file
  shift
  echo "tests/install: FAILED: $message" >&2
  for file in "$@"; do
    [ ! -s "$file" ] || sed "s|^|  $(basename "$file"): |" "$file" >&2
  done
  exit 1
}
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  "$@" >"$work/check.out" 2>&1 || fail "$what" "$work/check.out"
  checks=$((checks + 1))
}
is() { # is DESCRIPTION ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
  checks=$((checks + 1))
}
# has / lacks DESCRIPTION TEXT ERE: TEXT has (no) line matching ERE; TEXT is shown on failure.
has() {
  printf '%s\n' "$2" >"$work/text"
  grep -qE -- "$3" "$work/text" || fail "$1 (no line matches '$3')" "$work/text"
  checks=$((checks + 1))
}
lacks() {
  printf '%s\n' "$2" >"$work/text"
  ! grep -qE -- "$3" "$work/text" || fail "$1 (a line matches '$3')" "$work/text"
  checks=$((checks + 1))
}
passed() { # passed GROUP SUMMARY: the group's one line
  printf 'tests/install: %-9s ok (%2d checks) %s\n' "$1" $((checks - group_checks)) "$2"
  group_checks=$checks
}
not() { ! "$@"; }
mode_is() { [ "$(stat -c %a "$2")" = "$1" ]; }
link_is() { [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; }
listing() { (cd "$1" && find . \( -type f -o -type l \) | sort | tr '\n' ' '); }
# install_into LOG PREFIX [VAR=VALUE...]: scripts/install.sh with the environment given.
install_into() {
  local log=$1 target=$2
  shift 2
  env "$@" scripts/install.sh "$target" >"$log" 2>&1 || fail "install into $target ($*) failed" "$log"
}

# ------------------------------------------------------------------ files
# Through make, as users do; PKG_CONFIG_PATH does not name the prefix yet.
make --no-print-directory install PREFIX="$prefix" >"$work/install.log" 2>&1 ||
  fail "make install PREFIX=$prefix failed" "$work/install.log"
check "$real is a regular file" test -f "$lib/$real" -a ! -L "$lib/$real"
check "$real is 0755" mode_is 755 "$lib/$real"
check "liblayer_identity.so.0 -> $real" link_is "$real" "$lib/liblayer_identity.so.0"
check "liblayer_identity.so -> liblayer_identity.so.0" link_is liblayer_identity.so.0 "$lib/liblayer_identity.so"
check "the .so links resolve" cmp -s "$lib/liblayer_identity.so" target/release/liblayer_identity.so
check "liblayer_identity.a installed, 0644" mode_is 644 "$lib/liblayer_identity.a"
check "the .a is the built archive" cmp -s "$lib/liblayer_identity.a" target/release/liblayer_identity.a
check "layer_identity.h installed, 0644" mode_is 644 "$prefix/include/layer_identity.h"
check "the header is include/layer_identity.h" cmp -s "$prefix/include/layer_identity.h" include/layer_identity.h
for module in layer_identity layer_identity-static; do
  check "$module.pc installed, 0644" mode_is 644 "$lib/pkgconfig/$module.pc"
done
has "SONAME is liblayer_identity.so.0" "$(readelf -d "$lib/$real")" \
  'Library soname: \[liblayer_identity\.so\.0\]'
is "nothing else installed" "$(listing "$prefix")" "./include/layer_identity.h \
./lib/liblayer_identity.a ./lib/liblayer_identity.so ./lib/liblayer_identity.so.0 ./lib/$real \
./lib/pkgconfig/layer_identity-static.pc ./lib/pkgconfig/layer_identity.pc "

# Every function the header declares is exported by the .so and defined in the .a.
mapfile -t functions < <(grep -oE '\blayer_[a-z0-9_]+\(' include/layer_identity.h | tr -d '(' | sort -u)
[ "${#functions[@]}" -ge 14 ] || fail "found only ${#functions[@]} functions in the header"
nm -D --defined-only "$lib/$real" | awk '{ print $NF }' | sort -u >"$work/so-symbols"
nm --defined-only "$lib/liblayer_identity.a" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$work/a-symbols"
for function in "${functions[@]}"; do
  check "$function exported by the .so" grep -qx "$function" "$work/so-symbols"
  check "$function defined in the .a" grep -qx "$function" "$work/a-symbols"
done
passed files "(PREFIX=$prefix: .so, links, .a, header, 2 .pc; ${#functions[@]} functions)"

# ------------------------------------------------------------------ loader
# The real install: a mktemp prefix is not in the loader's path, so the script gave advice
# and did not run ldconfig.
log=$(cat "$work/install.log")
has "install: says the prefix is outside the loader's path" "$log" \
  "^$lib is not in the dynamic loader's search path"
has "install: advises an ld.so.conf.d file and ldconfig" "$log" \
  "echo '$lib' (> |\\| sudo tee )/etc/ld\.so\.conf\.d/layer-identity\.conf && (sudo )?ldconfig$"
has "install: advises -Wl,-rpath" "$log" "-Wl,-rpath,$lib "
has "install: advises LD_LIBRARY_PATH" "$log" "LD_LIBRARY_PATH=$lib$"
has "install: advises the static module" "$log" "layer_identity-static$"
lacks "install: did not run ldconfig" "$log" "ran ldconfig"
has "install: advises PKG_CONFIG_PATH" "$log" "PKG_CONFIG_PATH=$lib/pkgconfig$"

# The script's functions, sourced: nothing is installed and the real ldconfig never runs.
cat >"$work/fake-ldconfig" <<FAKE
#!/bin/sh
echo "ldconfig \$*" >>"$work/ldconfig.calls"
exit \${FAKE_LDCONFIG_STATUS:-0}
FAKE
chmod +x "$work/fake-ldconfig"
mkdir "$work/ld.so.conf.d"
ln -s "$lib" "$work/lib-alias" # the same directory under another name
printf '# a fake ld.so.conf\ninclude ld.so.conf.d/*.conf\n/opt/one /opt/two\nhwcap 0 nosegneg\n' \
  >"$work/ld.so.conf"
printf '/opt/three:%s # the prefix, by its alias\n' "$work/lib-alias" >"$work/ld.so.conf.d/a.conf"
# sourced LOADER_DIRS COMMAND...: runs COMMAND in a subshell that has sourced install.sh, with
# loader_dirs answering LOADER_DIRS (one a line) and find_ldconfig the fake ldconfig.
sourced() {
  local dirs=$1
  shift
  rm -f "$work/ldconfig.calls"
  (
    # shellcheck source=scripts/install.sh
    . scripts/install.sh
    loader_dirs() { printf '%s\n' "$dirs"; }
    find_ldconfig() { echo "$work/fake-ldconfig"; }
    "$@"
  )
}
calls() { cat "$work/ldconfig.calls" 2>/dev/null || true; }
conf_dirs=$(. scripts/install.sh && ld_so_conf_dirs "$work/ld.so.conf")
is "fake ld.so.conf: include, several dirs a line, comments, hwcap" \
  "$(echo $conf_dirs)" "/opt/three $work/lib-alias /opt/one /opt/two"
in_path_dirs=$(printf '/usr/lib\n%s' "$conf_dirs")
check "in_loader_path: the prefix's lib, listed by an alias" sourced "$in_path_dirs" in_loader_path "$lib"
check "in_loader_path: not the prefix itself" not sourced "$in_path_dirs" in_loader_path "$prefix"

out=$(sourced "$in_path_dirs" configure_loader "" "$prefix" 0)
is "in the path, root: ldconfig ran once, with no arguments" "$(calls)" "ldconfig "
has "in the path, root: says so" "$out" "^ran ldconfig"
out=$(sourced "$in_path_dirs" configure_loader "" "$prefix" 1000)
check "in the path, not root: ldconfig not run" test -z "$(calls)"
has "in the path, not root: says to run sudo ldconfig" "$out" '`sudo ldconfig`'
out=$(sourced "$in_path_dirs" configure_loader "$work/stage" "$prefix" 0)
check "in the path, DESTDIR, root: ldconfig not run" test -z "$(calls)"
has "DESTDIR: says ldconfig was not run" "$out" "^staged install \(DESTDIR\): ldconfig not run"
lacks "DESTDIR: no loader advice" "$out" "rpath|LD_LIBRARY_PATH"
out=$(sourced "/usr/lib" configure_loader "" "$prefix" 0)
check "not in the path, root: ldconfig not run" test -z "$(calls)"
has "not in the path, root: the ld.so.conf.d advice" "$out" \
  "^ +echo '$lib' > /etc/ld\.so\.conf\.d/layer-identity\.conf && ldconfig$"
out=$(sourced "/usr/lib" configure_loader "" "$prefix" 1000)
check "not in the path, not root: ldconfig not run" test -z "$(calls)"
has "not in the path, not root: the advice, with sudo" "$out" \
  "^ +echo '$lib' \\| sudo tee /etc/ld\.so\.conf\.d/layer-identity\.conf && sudo ldconfig$"
status=0
out=$(FAKE_LDCONFIG_STATUS=1 sourced "$in_path_dirs" configure_loader "" "$prefix" 0 2>&1) || status=$?
check "a failing ldconfig fails the install" test "$status" -ne 0
has "a failing ldconfig is reported" "$out" "ldconfig failed"

# The real loader_dirs (ldconfig -v -N -X, or /etc/ld.so.conf): libc's directory is in it,
# the mktemp prefix is not.
libc_dir=$(dirname "$(env -u LD_LIBRARY_PATH ldd /bin/sh | awk '$1 ~ /^libc\.so/ { print $3 }')")
check "real loader path: has libc's directory $libc_dir" \
  bash -c '. scripts/install.sh && in_loader_path "$1"' - "$libc_dir"
check "real loader path: not the mktemp prefix" \
  bash -c '. scripts/install.sh && ! in_loader_path "$1"' - "$lib"
passed loader "(advice for a prefix outside the path; ldconfig only when it should)"

# ------------------------------------------------------------------ pkgconfig
export PKG_CONFIG_PATH=$lib/pkgconfig
for module in layer_identity layer_identity-static; do
  pc=$(cat "$lib/pkgconfig/$module.pc")
  has "$module.pc: prefix line" "$pc" "^prefix=$prefix$"
  has "$module.pc: libdir line" "$pc" '^libdir=\$\{exec_prefix\}/lib$'
  has "$module.pc: version line" "$pc" "^Version: $version$"
  lacks "$module.pc: no placeholder left" "$pc" '@[A-Z_]+@'
  check "$module: pkg-config --validate" pkg-config --validate "$module"
  is "$module: --modversion is $version" "$(pkg-config --modversion "$module")" "$version"
  is "$module: prefix variable" "$(pkg-config --variable=prefix "$module")" "$prefix"
  is "$module: libdir variable" "$(pkg-config --variable=libdir "$module")" "$lib"
  is "$module: --cflags" "$(pkg-config --cflags "$module" | xargs)" "-I$prefix/include"
done
is "layer_identity: --libs" "$(pkg-config --libs layer_identity | xargs)" "-L$lib -llayer_identity"
static_libs=$(pkg-config --static --libs layer_identity)
for flag in -L"$lib" -llayer_identity -lssl -lcrypto -lpthread -ldl -lm; do
  check "layer_identity: --static --libs has $flag" grep -qw -- "$flag" <<<"$static_libs"
done
read -r -a static_module <<<"$(pkg-config --libs layer_identity-static)"
is "layer_identity-static: --libs starts with the archive's full path" \
  "${static_module[0]}" "$lib/liblayer_identity.a"
for flag in -lssl -lcrypto -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc; do
  check "layer_identity-static: --libs has $flag" grep -qx -- "$flag" <(printf '%s\n' "${static_module[@]}")
done
lacks "layer_identity-static: no -llayer_identity, -L or -Wl (cgo's safelist)" \
  "$(printf '%s\n' "${static_module[@]}")" '^-(llayer_identity|L|Wl)'
is "layer_identity-static: --static --libs is the same list" \
  "$(pkg-config --static --libs layer_identity-static | xargs -n1 | sort -u)" \
  "$(printf '%s\n' "${static_module[@]}" -pthread | sort -u)"
passed pkgconfig "(layer_identity-static: ${static_module[*]//$prefix/PREFIX})"

# ------------------------------------------------------------------ shared
cp examples/c/backend.c "$work/backend.c" # away from the repository's include/
cd "$work"
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic)
build() { # build OUTPUT MODULE
  # shellcheck disable=SC2046 # pkg-config output is meant to be word-split
  gcc "${cflags[@]}" backend.c $(pkg-config --cflags --libs "$2") -o "$1" >"$work/gcc.log" 2>&1 ||
    fail "gcc backend.c \$(pkg-config --cflags --libs $2) failed" "$work/gcc.log"
}
# run_backend LABEL LD_LIBRARY_PATH PROGRAM: a configured run with the committed test key, as
# examples/run.sh does it.
run_backend() {
  local label=$1 library_path=$2 program=$3 output
  env -u LD_LIBRARY_PATH ${library_path:+LD_LIBRARY_PATH="$library_path"} \
    LAYER_PROVIDER_ID="$provider" LAYER_KEY_ID="$key_id" LAYER_PRIVATE_KEY_PATH="$key" \
    "$program" installed-user n-1 >"$work/run.out" 2>&1 || fail "$label: exit status $?" "$work/run.out"
  output=$(cat "$work/run.out")
  has "$label prints the version" "$output" "^layer-identity $version$"
  has "$label mints a token" "$output" '^identity token: [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
  has "$label verifies it" "$output" '^verified claims: \{"iss":"'"$provider"'","prn":"installed-user",'\
'"iat":[0-9]+,"exp":[0-9]+,"nce":"n-1"\}$'
}
build backend-shared layer_identity
has "backend-shared needs liblayer_identity.so.0" "$(readelf -d backend-shared)" \
  'NEEDED.*\[liblayer_identity\.so\.0\]'
has "the installed library is the one loaded" "$(LD_LIBRARY_PATH=$lib ldd backend-shared)" \
  "liblayer_identity\.so\.0 => $lib/liblayer_identity\.so\.0 "
run_backend "backend-shared" "$lib" ./backend-shared
demo=$(LD_LIBRARY_PATH=$lib ./backend-shared 2>&1) || fail "backend-shared (demo key pair) failed: $demo"
has "backend-shared demo mode" "$demo" '^verified claims: '
passed shared "(pkg-config --cflags --libs layer_identity, LD_LIBRARY_PATH=PREFIX/lib)"

# ------------------------------------------------------------------ static
build backend-static layer_identity-static
needed=$(readelf -d backend-static | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
lacks "backend-static: no NEEDED liblayer_identity" "$needed" 'liblayer_identity'
has "backend-static: NEEDED libssl.so.3 (OpenSSL stays shared)" "$needed" '^libssl\.so\.3$'
has "backend-static: NEEDED libcrypto.so.3" "$needed" '^libcrypto\.so\.3$'
ldd_out=$(LD_LIBRARY_PATH=$lib ldd backend-static)
lacks "backend-static: ldd shows no liblayer_identity, even with LD_LIBRARY_PATH" "$ldd_out" liblayer_identity
has "backend-static: ldd shows the system libssl" "$ldd_out" '^\s*libssl\.so\.3 => /'
has "backend-static contains the library" "$(nm backend-static)" ' T layer_signer_new$'
mkdir "$work/aside"
mv "$lib"/liblayer_identity.so* "$work/aside/"
run_backend "backend-static (installed .so files removed)" "$lib" ./backend-static
mv "$work/aside"/liblayer_identity.so* "$lib/"
run_backend "backend-static (LD_LIBRARY_PATH unset)" "" ./backend-static
passed static "(NEEDED: $(echo $needed))"

# ------------------------------------------------------------------ cgo
if [ "${LAYER_TEST_CGO:-1}" != 0 ] && command -v go >/dev/null 2>&1; then
  mkdir "$work/cgo"
  case $(go env GOCACHE 2>/dev/null || true) in "" | off) export GOCACHE=$work/gocache ;; esac
  cat >"$work/cgo/main.go" <<'GO'
package main

// #cgo pkg-config: layer_identity-static
// #include <stdlib.h>
// #include "layer_identity.h"
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	pem, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := []*C.char{C.CString(string(pem)), C.CString(os.Args[2]), C.CString(os.Args[3]),
		C.CString("go-user"), C.CString("n-go")}
	defer func() {
		for _, arg := range args {
			C.free(unsafe.Pointer(arg))
		}
	}()
	var token, message *C.char
	status := C.layer_sign_token(args[0], args[1], args[2], args[3], args[4], 0, 0, &token, &message)
	if status != C.LAYER_OK {
		fmt.Fprintln(os.Stderr, C.GoString(C.layer_status_name(status)), C.GoString(message))
		C.layer_string_free(message)
		os.Exit(1)
	}
	fmt.Println("layer-identity", C.GoString(C.layer_version()))
	fmt.Println("identity token:", C.GoString(token))
	C.layer_string_free(token)
}
GO
  (cd "$work/cgo" && env GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=1 go build -o backend-go main.go) \
    >"$work/go.log" 2>&1 || fail "go build with #cgo pkg-config: layer_identity-static failed" "$work/go.log"
  needed=$(readelf -d "$work/cgo/backend-go" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  lacks "backend-go: no NEEDED liblayer_identity" "$needed" 'liblayer_identity'
  has "backend-go: NEEDED libssl.so.3" "$needed" '^libssl\.so\.3$'
  env -u LD_LIBRARY_PATH "$work/cgo/backend-go" "$key" "$provider" "$key_id" >"$work/run.out" 2>&1 ||
    fail "backend-go failed" "$work/run.out"
  output=$(cat "$work/run.out")
  has "backend-go prints the version" "$output" "^layer-identity $version$"
  has "backend-go mints a token" "$output" '^identity token: [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
  passed cgo "($(go env GOVERSION): go build through cgo's flag checks, static)"
else
  echo "tests/install: cgo       skipped (no go, or LAYER_TEST_CGO=0)"
fi
cd "$repo"

# ------------------------------------------------------------------ staging
install_into "$work/install.log" "$prefix"
check "reinstall keeps the links" link_is "$real" "$lib/liblayer_identity.so.0"
check "reinstall keeps layer_identity-static.pc" cmp -s "$lib/pkgconfig/layer_identity-static.pc" \
  <(sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" layer_identity-static.pc.in)

stage=$work/stage
install_into "$work/install.log" /opt/layer-identity/ DESTDIR="$stage"
staged=./opt/layer-identity
is "DESTDIR: files only under \$DESTDIR/opt/layer-identity" "$(listing "$stage")" \
  "$staged/include/layer_identity.h $staged/lib/liblayer_identity.a $staged/lib/liblayer_identity.so \
$staged/lib/liblayer_identity.so.0 $staged/lib/$real $staged/lib/pkgconfig/layer_identity-static.pc \
$staged/lib/pkgconfig/layer_identity.pc "
for module in layer_identity layer_identity-static; do
  check "DESTDIR: $module.pc names PREFIX, not DESTDIR" \
    grep -qx 'prefix=/opt/layer-identity' "$stage/opt/layer-identity/lib/pkgconfig/$module.pc"
done
check "DESTDIR: the static module's archive is under PREFIX" \
  test "$(PKG_CONFIG_PATH=$stage/opt/layer-identity/lib/pkgconfig pkg-config --libs layer_identity-static |
    awk '{ print $1 }')" = /opt/layer-identity/lib/liblayer_identity.a
check "DESTDIR: relative links" link_is "$real" "$stage/opt/layer-identity/lib/liblayer_identity.so.0"
log=$(cat "$work/install.log")
has "DESTDIR: says ldconfig was not run" "$log" "^staged install \(DESTDIR\): ldconfig not run"
lacks "DESTDIR: no loader or pkg-config advice" "$log" "ld\.so\.conf|rpath|PKG_CONFIG_PATH"

for bad in "" relative/prefix "/with space"; do
  status=0
  scripts/install.sh "$bad" >/dev/null 2>&1 || status=$?
  check "install.sh refuses PREFIX '$bad' (exit 2)" test "$status" -eq 2
done
status=0
scripts/install.sh >/dev/null 2>&1 || status=$?
check "install.sh without PREFIX exits 2" test "$status" -eq 2
passed staging "(reinstall; DESTDIR install of /opt/layer-identity; bad PREFIXes refused)"

echo "tests/install: all $checks checks passed"
