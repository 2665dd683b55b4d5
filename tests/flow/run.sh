#!/usr/bin/env bash
# The whole authentication flow (nonce from the emulated Layer -> backend -> identity token ->
# session) for every sample backend and `layer-identity serve`; see tests/flow/flow.py.
#
#   tests/flow/run.sh [go|ruby|java|node|python|serve ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory build >/dev/null
exec /usr/bin/python3 tests/flow/flow.py "$@"
