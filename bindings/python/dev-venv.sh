#!/usr/bin/env bash
# Prints the path of the virtual environment with the pinned dev tools (requirements-dev.txt),
# making it first when it is missing: cached by interpreter and requirements, so test.sh and
# check.sh share it and it is made once (from pip's cache, quickly, after the first time).
# PYTHON picks the interpreter (python3: 3.10 or later). Installation output goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}
key=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.version.encode() + open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$here/requirements-dev.txt")
venv=${XDG_CACHE_HOME:-$HOME/.cache}/layer-identity/python-dev-$key
if [ ! -f "$venv/.complete" ]; then
  echo "python: dev tools into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv"
