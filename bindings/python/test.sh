#!/usr/bin/env bash
# The Python wrapper's whole test run (`make test-python` runs it after `make build`):
#   1. the release library (make build, incremental)
#   2. a cached virtual environment with the pinned dev tools (requirements-dev.txt,
#      dev-venv.sh; shared with check.sh)
#   3. ruff format --check, ruff check, mypy --strict
#   4. the README's install commands, run as written in a fresh virtual environment outside
#      the repository: they build the wheel and install it; then a script run from outside
#      the repository signs and verifies with it
#   5. pytest against that installed wheel: auditwheel and the metadata, vectors, errors,
#      handles, threads, fork, async, PyJWT, library lookup, every endpoint case over HTTP
#      under gunicorn (WSGI), uvicorn (ASGI) and Django (both), the READMEs' code with Flask,
#      FastAPI and Django
#   6. the sample backend through scripts/run-backend python and tests/endpoint/conformance.py
#   7. the benchmarks, briefly, so that they keep working (figures: the lead's idle machine)
# Quiet on success (one line per step), the whole output of a failing step otherwise.
# PYTHON picks the interpreter for the tools and tests (python3: 3.10 or later).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/layer-identity-python.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/step.log

step() { # step NAME COMMAND...: runs COMMAND quietly, says how long it took, or why it failed
  local name=$1 start=$SECONDS status=0
  shift
  # In the background, not in a || list, so that set -e holds inside the step's functions
  # (bash ignores it in anything a || or an if tests).
  "$@" >"$log" 2>&1 &
  wait $! || status=$?
  if [ "$status" -ne 0 ]; then
    echo "python: FAILED: $name (exit status $status):" >&2
    cat "$log" >&2
    exit "$status"
  fi
  echo "python: $name ($((SECONDS - start)) s)"
}
unset LAYER_IDENTITY_LIB

step "release library" make -C "$repo" --no-print-directory build

# The dev tools, in a virtual environment cached by interpreter and pinned requirements.
step "dev tools" "$here/dev-venv.sh"
venv=$("$here/dev-venv.sh")

lint() {
  cd "$here"
  "$venv/bin/ruff" format --check .
  "$venv/bin/ruff" check .
  "$venv/bin/mypy" src tests examples bench hatch_build.py
}
step "ruff format, ruff check, mypy --strict" lint

# The README's install commands (the ```sh block after "Install"), verbatim, at the
# repository root, with python3 the fresh environment's.
readme_install() {
  rm -rf "$here/dist"
  "$python" -m venv "$work/venv"
  "$venv/bin/python" "$here/tests/readme.py" install-commands "$here/README.md" >"$work/install.sh"
  (cd "$repo" && PATH="$work/venv/bin:$PATH" bash -euxo pipefail "$work/install.sh")
  mkdir "$work/elsewhere"
  cp "$here/tests/wheel_smoke.py" "$work/elsewhere/"
  cd "$work/elsewhere"
  "$work/venv/bin/python" wheel_smoke.py "$repo/vectors"
}
step "README install: wheel built, installed in a fresh venv, run from outside the repository" readme_install
wheel=$(ls "$here"/dist/layer_identity-*-py3-none-manylinux_2_34_x86_64.whl)

pytests() {
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$wheel"
  cd "$here"
  LAYER_TEST_WHEEL=$wheel "$venv/bin/python" -m pytest -q -p no:cacheprovider tests
}
step "pytest against the installed wheel (auditwheel, every adapter over HTTP, READMEs)" pytests
echo "python: pytest: $(tail -n 1 "$log")"

step "sample backend: conformance suite" /usr/bin/python3 "$repo/tests/endpoint/conformance.py" --backend python --chunked
echo "python: $(tail -n 1 "$log")"

benchmarks() {
  "$venv/bin/python" "$here/bench/bench.py" --seconds 0.2 --rounds 1
  "$venv/bin/python" "$here/bench/hostile_body.py" --repeat 1
  "$venv/bin/python" "$here/bench/http_bench.py" --seconds 1 --rounds 1
}
step "benchmarks (short runs, to prove they work)" benchmarks
echo "python: all tests passed"
