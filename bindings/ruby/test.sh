#!/usr/bin/env bash
# The Ruby wrapper's whole test run (`make test-ruby`, part of `make test`): lint (ruby -wc,
# RuboCop, rbs validate), the minitest suite (vectors, API, handles under GC.stress and
# valgrind, threads, loading, every kind of authenticate over HTTP on WEBrick, the README's
# Rack, Rails and Sinatra apps on Puma, the READMEs' scripts, the platform gem installed into
# an empty GEM_HOME and run from outside the repository), the well-typed tests with every call
# checked against sig/, the create/sign/close memory check, and the shared conformance suite
# against the sample backend started by scripts/run-backend ruby (with chunked bodies). One
# line per step on success; the step's output on failure.
#
#   bindings/ruby/test.sh            MEMCHECK_COUNT=N for a longer memory check (default 2000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
started=$SECONDS
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Runs a step quietly: its output goes to a log, shown only when it fails.
step() {
  local name=$1
  shift
  local log="$logs/$name.log" begun=$SECONDS
  # In the background, not as an if condition, so that set -e holds inside the step's
  # functions (bash ignores it in anything an if tests).
  "$@" >"$log" 2>&1 &
  if wait $!; then
    printf 'ruby: %-11s ok (%d s)\n' "$name" $((SECONDS - begun))
  else
    echo "ruby: $name FAILED; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
}

if ! command -v ruby >/dev/null || ! command -v rake >/dev/null || ! command -v rubocop >/dev/null ||
  ! command -v puma >/dev/null || ! command -v valgrind >/dev/null ||
  ! ruby -rjwt -rrack -rminitest -rwebrick -rsinatra/base -raction_controller/railtie -e 1 2>/dev/null; then
  echo "ruby: installing the Debian packages of bindings/ruby/deps.apt" >&2
  "$root/scripts/install-deps.sh" >&2
fi
if [ ! -f "$root/target/release/liblayer_identity.so" ]; then
  make -C "$root" --no-print-directory build >&2
fi
export LAYER_IDENTITY_LIB="$root/target/release/liblayer_identity.so"
rm -rf "$here/pkg" "$here/tmp"

echo "ruby: $(ruby --version)"
step lint rake lint

step tests rake test TESTOPTS="--verbose"
grep -E '^[0-9]+ runs, |^(vectors/|tests/endpoint/)' "$logs/tests.log" | sed 's/^/ruby:   /'

step types rake test_rbs
grep -E '^[0-9]+ runs, ' "$logs/types.log" | awk '{ runs += $1 } END { printf "ruby:   %d runs with every call checked against sig/\n", runs }'

step memcheck ruby -Ilib script/memory_check.rb "${MEMCHECK_COUNT:-2000}"
sed 's/^/ruby:   /' "$logs/memcheck.log"

step conformance /usr/bin/python3 "$root/tests/endpoint/conformance.py" --backend ruby --chunked --startup-timeout 300
sed 's/^/ruby:   /' "$logs/conformance.log" | tail -1

echo "ruby: all tests passed in $((SECONDS - started)) s"
