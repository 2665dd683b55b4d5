#!/usr/bin/env bash
# Runs a command with the Go toolchain pointed at the repository's own build instead of an
# installed library:
#
#   make build                             # target/release/liblayer_identity.{so,a}
#   bindings/go/dev.sh go test ./...        # (in bindings/go) any go command, or any program
#
# It writes bindings/go/.build/pkgconfig/layer_identity.pc and layer_identity-static.pc, made
# from the repository's own templates (the same Libs and Requires as `make install` writes)
# with libdir = target/release and includedir = include/, and runs the command with
# PKG_CONFIG_PATH pointing there (cgo's `#cgo pkg-config:` finds the modules), LD_LIBRARY_PATH
# with target/release (a program linked with the shared library finds liblayer_identity.so.0;
# one built with -tags layer_identity_static needs nothing), and /usr/local/go/bin on PATH if
# `go` is not on it. Without a command it prints those exports, for `eval "$(bindings/go/dev.sh)"`;
# but then do not run cargo or make in that shell: openssl-sys rebuilds itself (and the whole
# crate) whenever PKG_CONFIG_PATH changes. test.sh and run-backend.sh use this script.
# LAYER_IDENTITY_LIB_DIR points it at another build of the library instead of target/release
# (scripts/sanitize.sh: the AddressSanitizer one); its pkg-config files then go beside that build.
set -euo pipefail
go_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$go_dir/../.." && pwd)
pc_dir=$go_dir/.build/pkgconfig
lib_dir=$repo/target/release
if [ -n "${LAYER_IDENTITY_LIB_DIR:-}" ]; then
  lib_dir=$(cd "$LAYER_IDENTITY_LIB_DIR" && pwd)
  pc_dir=$lib_dir/pkgconfig
fi

if [[ $repo =~ [[:space:]] ]]; then
  echo "dev.sh: the repository path '$repo' contains whitespace, which pkg-config cannot express" >&2
  exit 1
fi
for file in "$lib_dir/liblayer_identity.so" "$lib_dir/liblayer_identity.a"; do
  if [ ! -e "$file" ]; then
    echo "dev.sh: $file is missing: run \`make build\` first" >&2
    exit 1
  fi
done
version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' "$repo/Cargo.toml")

mkdir -p "$pc_dir"
for module in layer_identity layer_identity-static; do
  sed -e "s|^prefix=.*|prefix=$repo|" -e "s|^libdir=.*|libdir=$lib_dir|" \
    -e "s|^includedir=.*|includedir=$repo/include|" -e "s|@VERSION@|$version|g" \
    "$repo/$module.pc.in" >"$pc_dir/$module.pc.tmp"
  mv -f "$pc_dir/$module.pc.tmp" "$pc_dir/$module.pc"
done

exports=()
# Go: the one on PATH, or the usual /usr/local/go.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  exports+=("PATH=/usr/local/go/bin:$PATH")
fi
exports+=("PKG_CONFIG_PATH=$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}")
exports+=("LD_LIBRARY_PATH=$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
if [ $# -eq 0 ]; then
  printf 'export %q\n' "${exports[@]}"
else
  exec env "${exports[@]}" "$@"
fi
