#!/usr/bin/env bash
# Builds the release library and installs it under PREFIX (DESTDIR is honoured, for staging
# and packaging: files go to $DESTDIR$PREFIX, and the installed paths name PREFIX):
#   PREFIX/lib/liblayer_identity.so.<version>   the shared library (soname liblayer_identity.so.0)
#   PREFIX/lib/liblayer_identity.so.0           -> liblayer_identity.so.<version>
#   PREFIX/lib/liblayer_identity.so             -> liblayer_identity.so.0 (for -llayer_identity)
#   PREFIX/lib/liblayer_identity.a              the static library
#   PREFIX/include/layer_identity.h
#   PREFIX/lib/pkgconfig/layer_identity.pc      from layer_identity.pc.in
#
#   scripts/install.sh PREFIX        (or: make install PREFIX=/usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: [DESTDIR=/staging] $0 PREFIX   (an absolute path, e.g. /usr/local)" >&2
  exit 2
}
[ $# -eq 1 ] || usage
prefix=$1
case $prefix in
  /*) ;;
  *) echo "install: PREFIX must be an absolute path, not '$prefix'" >&2; usage ;;
esac
if [[ $prefix =~ [[:space:]] ]]; then
  echo "install: PREFIX must not contain whitespace (pkg-config cannot express it)" >&2
  exit 2
fi
# "/usr/local/" -> "/usr/local"; "/" -> "" (so that ${prefix}/lib is /lib).
while [ "${prefix%/}" != "$prefix" ]; do prefix=${prefix%/}; done
dest=${DESTDIR:-}$prefix

version=$(awk -F'"' '/^\[/ { package = ($0 == "[package]") }
  package && /^version *=/ { print $2; exit }' Cargo.toml)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || {
  echo "install: cannot read the package version from Cargo.toml" >&2
  exit 1
}

${CARGO:-cargo} build --release
shared=target/release/liblayer_identity.so
static=target/release/liblayer_identity.a
soname=$(readelf -d "$shared" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
real_name=liblayer_identity.so.$version
# The soname is fixed by build.rs (liblayer_identity.so.<ABI major>); the file name carries the
# full version, and the soname must be a prefix of it for ldconfig and the links below.
case $real_name in
  "$soname".*) ;;
  *)
    echo "install: the library's soname '${soname:-none}' does not match $real_name" >&2
    exit 1
    ;;
esac

install -d "$dest/lib/pkgconfig" "$dest/include"
install -m 0755 "$shared" "$dest/lib/$real_name"
ln -sfn "$real_name" "$dest/lib/$soname"
ln -sfn "$soname" "$dest/lib/liblayer_identity.so"
install -m 0644 "$static" "$dest/lib/liblayer_identity.a"
install -m 0644 include/layer_identity.h "$dest/include/layer_identity.h"

# sed replacement text: escape \, & and the | delimiter.
sed_escape() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }
pc=$dest/lib/pkgconfig/layer_identity.pc
sed -e "s|@PREFIX@|$(sed_escape "$prefix")|g" -e "s|@VERSION@|$(sed_escape "$version")|g" \
  layer_identity.pc.in >"$pc.tmp"
if grep -q '@[A-Z_]*@' "$pc.tmp"; then
  echo "install: unsubstituted placeholder in layer_identity.pc.in" >&2
  rm -f "$pc.tmp"
  exit 1
fi
chmod 0644 "$pc.tmp"
mv -f "$pc.tmp" "$pc"

echo "installed layer-identity $version into ${DESTDIR:+$DESTDIR (staged) }${prefix:-/}:"
echo "  $prefix/lib/$real_name ($soname, liblayer_identity.so)"
echo "  $prefix/lib/liblayer_identity.a"
echo "  $prefix/include/layer_identity.h"
echo "  $prefix/lib/pkgconfig/layer_identity.pc"
if [ -z "${DESTDIR:-}" ]; then
  echo "if $prefix/lib is not searched by the dynamic linker, run ldconfig or set LD_LIBRARY_PATH;"
  echo "if pkg-config does not find layer_identity, set PKG_CONFIG_PATH=$prefix/lib/pkgconfig"
fi
