#!/usr/bin/env bash
# Points the Go wrapper at the repository's own build instead of an installed library:
#
#   make build                      # target/release/liblayer_identity.{so,a}
#   eval "$(bindings/go/env.sh)"    # then, in bindings/go: go test ./... , go build ./...
#
# It writes bindings/go/.build/pkgconfig/layer_identity.pc and layer_identity-static.pc, made
# from the repository's own templates (the same Libs and Requires as `make install` writes),
# with libdir = target/release and includedir = include/, and prints the exports that use
# them: PKG_CONFIG_PATH (cgo's `#cgo pkg-config:` finds the modules there) and
# LD_LIBRARY_PATH (a program linked with the shared library finds liblayer_identity.so.0 at
# run time; one built with -tags layer_identity_static needs nothing). test.sh and
# run-backend.sh use it the same way.
set -euo pipefail
go_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$go_dir/../.." && pwd)
pc_dir=$go_dir/.build/pkgconfig
lib_dir=$repo/target/release

if [[ $repo =~ [[:space:]] ]]; then
  echo "env.sh: the repository path '$repo' contains whitespace, which pkg-config cannot express" >&2
  exit 1
fi
for file in "$lib_dir/liblayer_identity.so" "$lib_dir/liblayer_identity.a"; do
  if [ ! -e "$file" ]; then
    echo "env.sh: $file is missing: run \`make build\` first" >&2
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

# Go: the one on PATH, or the usual /usr/local/go.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  printf 'export PATH=%q\n' "/usr/local/go/bin:$PATH"
fi
printf 'export PKG_CONFIG_PATH=%q\n' "$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
printf 'export LD_LIBRARY_PATH=%q\n' "$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
