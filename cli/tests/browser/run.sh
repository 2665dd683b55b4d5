#!/usr/bin/env bash
# The validation page in headless Chromium (cli/tests/browser/test.mjs). Installs
# playwright-core from npm (package-lock.json) on first use; needs Debian's chromium
# (cli/deps.apt, installed by scripts/install-deps.sh) and a release build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser test: $chromium is missing; run scripts/install-deps.sh (cli/deps.apt)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ] ||
  [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  # --ignore-scripts: playwright's browser download is not wanted (Debian's Chromium is used).
  (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
fi
exec node "$here/test.mjs" "$@"
