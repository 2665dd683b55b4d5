#!/usr/bin/env bash
# Starts the Ruby sample backend in the foreground (scripts/run-backend ruby runs this after
# `make build`): the gem from this checkout, with the library from target/release unless
# LAYER_IDENTITY_LIB names another. The environment passes through (LAYER_*, PORT, HOST).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v ruby >/dev/null; then
  echo "run-backend: ruby is not installed (apt-get install ruby; see bindings/ruby/deps.apt)" >&2
  exit 1
fi
export LAYER_IDENTITY_LIB=${LAYER_IDENTITY_LIB:-$root/target/release/liblayer_identity.so}
exec ruby -W:no-experimental -I"$here/lib" "$here/examples/backend.rb"
