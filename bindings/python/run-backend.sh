#!/usr/bin/env bash
# Starts the Python sample backend in the foreground: `scripts/run-backend python` execs this
# after building the release library. The package runs from the source tree (ctypes: no build
# step), against the library just built unless LAYER_IDENTITY_LIB names another; the server
# (uvicorn, examples/requirements.txt) comes from a virtual environment cached by interpreter
# and requirements, made on first use (its output goes to stderr).
# The environment passes through: LAYER_*, PORT (8080), HOST (127.0.0.1); PYTHON picks the
# interpreter (python3, 3.10 or later).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
library=${LAYER_IDENTITY_LIB:-$repo/target/release/liblayer_identity.so}
if [ ! -f "$library" ]; then
  echo "run-backend.sh: $library is missing: run 'make build' (scripts/run-backend does)" >&2
  exit 2
fi
requirements=$here/examples/requirements.txt
key=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.version.encode() + open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$requirements")
venv=${XDG_CACHE_HOME:-$HOME/.cache}/layer-identity/python-backend-$key
if [ ! -f "$venv/.complete" ]; then
  echo "run-backend.sh: installing the server into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/.complete"
fi
export LAYER_IDENTITY_LIB=$library
export PYTHONPATH=$here/src${PYTHONPATH:+:$PYTHONPATH}
exec "$venv/bin/python" "$here/examples/backend.py"
