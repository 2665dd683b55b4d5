#!/usr/bin/env bash
# Starts the Node sample backend (bindings/node/examples/backend.js) in the foreground, as
# `scripts/run-backend node` does after building the library: (re)builds the addon when it is
# missing or older than its sources, quietly and to stderr, then execs node with the
# environment passed through.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
addon=$here/prebuilds/$(node -p 'process.platform + "-" + process.arch')/layer_identity.glibc.node
if [ ! -f "$addon" ] || [ "$here/src/layer_identity_node.c" -nt "$addon" ] ||
  [ "$root/target/release/liblayer_identity.a" -nt "$addon" ] || [ "$root/include/layer_identity.h" -nt "$addon" ]; then
  "$here/scripts/build-addon.sh" >&2
fi
# A young generation of fixed size: V8 grows it under load otherwise, and the resident memory
# then climbed 17% over the first 30,000 requests before it levelled off (make soak).
exec node --min-semi-space-size=16 --max-semi-space-size=16 "$here/examples/backend.js"
