#!/usr/bin/env bash
# The Node bindings' edit-test loop (make check-node, after make build): lint and types
# (scripts/lint.sh: node --check, ESLint, tsc --strict), then the unit tests, which start no
# server and install nothing: the shared vectors, the API, async calls and handles, the
# OpenSSL linkage, the endpoint adapter in process, the Parse drop-in. The addon is rebuilt
# (one gcc command) when its sources are newer. Needs bindings/node/node_modules, which
# test.sh installs (npm ci); this script installs nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
if [ ! -d node_modules ]; then
  echo "check-node: bindings/node/node_modules is missing: run 'npm ci' there (or bindings/node/test.sh) once" >&2
  exit 1
fi
addon=prebuilds/$(node -p 'process.platform + "-" + process.arch')/layer_identity.glibc.node
if [ ! -f "$addon" ] || [ src/layer_identity_node.c -nt "$addon" ] ||
  [ "$root/target/release/liblayer_identity.a" -nt "$addon" ] || [ "$root/include/layer_identity.h" -nt "$addon" ]; then
  scripts/build-addon.sh
fi
scripts/lint.sh
node --test --test-concurrency=2 --test-reporter=dot \
  test/vectors.test.js test/api.test.js test/async.test.js test/openssl.test.js test/endpoint.test.js test/parse.test.js
echo "check-node: lint, types and unit tests passed"
