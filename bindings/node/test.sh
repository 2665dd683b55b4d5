#!/usr/bin/env bash
# The whole test run of the Node bindings (make test and make test-node run it after
# `make build`): dependencies (npm ci), lint and types, the addon build and its linkage, the
# node --test suites (vectors, API, async and the thread pool, OpenSSL, the endpoint in
# process and over HTTP with node:http, Express, Fastify and Hono, the sample backend, Parse
# drop-in, README code, the tarball published dry and installed into an empty project), then
# the sample backend through the shared conformance suite. Quiet on success (a line per step),
# the full log of a failing step. No test depends on the machine's speed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
logs=$(mktemp -d "${TMPDIR:-/tmp}/layer-identity-node-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT
started=$SECONDS

step() { # step NAME COMMAND...: run quietly; on failure print its log and stop
  local name=$1 log=$logs/$1.log t0=$SECONDS
  shift
  # In the background, not as an if condition, so that set -e holds inside the step's
  # functions (bash ignores it in anything an if tests).
  "$@" >"$log" 2>&1 &
  if wait $!; then
    printf 'node: %-12s ok (%ds)\n' "$name" $((SECONDS - t0))
  else
    echo "node: $name FAILED; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
}

need() { command -v "$1" >/dev/null || { echo "node: $1 is required ($2)" >&2; exit 1; }; }
need node "Node.js 18 or later"
need npm "npm, with Node.js"
need gcc "to build the addon"
need readelf "binutils, for the linkage tests"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
  { echo "node: Node.js 18 or later is required, this is $(node --version)" >&2; exit 1; }
[ -f /usr/include/node/node_api.h ] || [ -n "${NODE_INCLUDE_DIR:-}" ] ||
  [ -f "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node/node_api.h" ] ||
  { echo "node: node_api.h not found: install Node's headers or set NODE_INCLUDE_DIR" >&2; exit 1; }

if [ ! -f "$root/target/release/liblayer_identity.a" ]; then
  step library make -C "$root" --no-print-directory build
fi
step npm-ci npm ci --no-audit --no-fund --loglevel=error
rm -rf build prebuilds ./*.tgz
step build scripts/build-addon.sh
step lint scripts/lint.sh
tail -1 "$logs/lint.log" | sed 's/^lint: /node:   /'

run_tests() {
  node --test --test-concurrency=2 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$logs/tap" test/*.test.js
}
step node-test run_tests
pass=$(grep -E '^# pass ' "$logs/tap" | awk '{print $3}')
fail=$(grep -E '^# fail ' "$logs/tap" | awk '{print $3}')
# The figures the tests report (vector mappings, RSS, the event loop, the driver, the tarball).
grep -E '^\s*# (errors\.json:|anonymous RSS|pool held|node:http demo|fastify demo|hono demo|[0-9]+ of [0-9]+ cases in process|installed|publish)' "$logs/tap" |
  sed -E 's/^\s*# /node:   /' || true
echo "node-test: ${pass:-0} passed, ${fail:-0} failed"

step conformance /usr/bin/python3 "$root/tests/endpoint/conformance.py" --backend node --chunked --startup-timeout 300
tail -1 "$logs/conformance.log" | sed 's/^/node:   /'
echo "node: all tests passed in $((SECONDS - started)) s"
