#!/usr/bin/env bash
# Starts the Python sample backend in the foreground: `scripts/run-backend python` execs this
# after building the release library. The package runs from the source tree (it needs no
# build step: ctypes), against the library just built unless LAYER_IDENTITY_LIB names another.
# The environment passes through: LAYER_*, PORT (8080), HOST (127.0.0.1); PYTHON picks the
# interpreter (python3, 3.10 or later).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
library=${LAYER_IDENTITY_LIB:-$repo/target/release/liblayer_identity.so}
if [ ! -f "$library" ]; then
  echo "run-backend.sh: $library is missing: run 'make build' (scripts/run-backend does)" >&2
  exit 2
fi
export LAYER_IDENTITY_LIB=$library
export PYTHONPATH=$here/src${PYTHONPATH:+:$PYTHONPATH}
exec "${PYTHON:-python3}" "$here/examples/backend.py"
