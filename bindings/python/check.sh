#!/usr/bin/env bash
# The Python wrapper's fast checks (`make check-python` runs it after `make build`): ruff,
# mypy --strict, and the unit tests against the source tree and the release library. No
# server is started and nothing is installed beyond the cached dev tools (dev-venv.sh); the
# tests marked `integration` (servers, the installed wheel) are test.sh's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=$("$here/dev-venv.sh")
cd "$here"
"$venv/bin/ruff" format --check --quiet .
"$venv/bin/ruff" check --quiet .
"$venv/bin/mypy" --cache-dir "${XDG_CACHE_HOME:-$HOME/.cache}/layer-identity/mypy" \
  src tests examples bench hatch_build.py
LAYER_IDENTITY_LIB=$repo/target/release/liblayer_identity.so PYTHONPATH=$here/src \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not integration" tests
