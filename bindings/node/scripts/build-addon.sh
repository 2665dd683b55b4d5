#!/usr/bin/env bash
# Builds the Node-API addon: bindings/node/prebuilds/<platform>-<arch>/layer_identity.glibc.node.
#
#   bindings/node/scripts/build-addon.sh      (npm run build; npm pack runs it too)
#
# This is our equivalent of `node-gyp rebuild --nodedir=/usr`, with nothing downloaded: one gcc
# command against the headers installed with Node (node_api.h in /usr/include/node, or
# NODE_INCLUDE_DIR), Node-API version 8 (so one build serves Node 18 and later), linking the
# Rust core statically (target/release/liblayer_identity.a, from `make build` at the top of
# the repository). OpenSSL stays the system's shared libssl.so.3 / libcrypto.so.3.
#
# -Wl,--exclude-libs,ALL keeps every symbol of the Rust archive local to the addon, and a
# version script exports only the Node-API entry points, so nothing of ours can clash with
# the symbols of the node executable (which exports its own bundled OpenSSL). Which OpenSSL our
# calls reach is decided at load time: lib/native.js loads the addon with RTLD_DEEPBIND, so
# they bind to libcrypto.so.3 instead of Node's copy (see the README, "OpenSSL").
#
# For an instrumented build (scripts/sanitize.sh: the addon under AddressSanitizer):
# LAYER_IDENTITY_LIB_DIR links the liblayer_identity.a found there instead of target/release's,
# ADDON_CFLAGS adds compiler flags, and ADDON_OUT writes the addon to that path instead of
# prebuilds/, with its symbols kept (a sanitizer's report needs the functions' names).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)

node_include=${NODE_INCLUDE_DIR:-}
if [ -z "$node_include" ]; then
  for dir in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node" /usr/include/node /usr/local/include/node; do
    if [ -f "$dir/node_api.h" ]; then node_include=$dir; break; fi
  done
fi
if [ -z "$node_include" ] || [ ! -f "$node_include/node_api.h" ]; then
  echo "build-addon: node_api.h not found (looked in the node installation, /usr/include/node," >&2
  echo "  /usr/local/include/node); set NODE_INCLUDE_DIR to the directory that holds it" >&2
  exit 1
fi

archive=${LAYER_IDENTITY_LIB_DIR:-$root/target/release}/liblayer_identity.a
if [ ! -f "$archive" ]; then
  echo "build-addon: $archive is missing: run 'make build' at the top of the repository (or set LAYER_IDENTITY_LIB_DIR to the build to link)" >&2
  exit 1
fi

platform=$(node -p 'process.platform + "-" + process.arch')
final=${ADDON_OUT:-$here/prebuilds/$platform/layer_identity.glibc.node}
build_dir=$here/build
mkdir -p "$(dirname "$final")" "$build_dir"
# The packaged addon is stripped; one written elsewhere keeps its symbols.
strip=("-Wl,--strip-all")
[ -z "${ADDON_OUT:-}" ] || strip=()
read -r -a extra_cflags <<<"${ADDON_CFLAGS:-}"

cat >"$build_dir/exports.map" <<'EOF'
{
  global: napi_register_module_v1; node_api_module_get_api_version_v1;
  local: *;
};
EOF

cc=${CC:-gcc}
out=$build_dir/layer_identity.node
"$cc" -std=c11 -O2 -g0 -fPIC -shared -fvisibility=hidden \
  -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
  -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
  -DNAPI_VERSION=8 -I"$node_include" -I"$root/include" "${extra_cflags[@]}" \
  "$here/src/layer_identity_node.c" \
  "$archive" -lssl -lcrypto -lpthread -ldl -lm -lrt -lutil -lgcc_s \
  -Wl,--exclude-libs,ALL -Wl,--version-script="$build_dir/exports.map" \
  -Wl,--gc-sections -Wl,--as-needed -Wl,-z,relro,-z,now -Wl,-z,noexecstack "${strip[@]}" \
  -o "$out"
# Replace atomically, so a running process never maps a half-written file.
tmp=$(dirname "$final")/.$(basename "$final").tmp
cp "$out" "$tmp"
mv -f "$tmp" "$final"
echo "build-addon: $(realpath --relative-to="$PWD" "$final") ($(stat -c %s "$final") bytes, node_api.h from $node_include)" >&2
