#!/usr/bin/env bash
# The command's fast checks: its unit and integration tests (serve and emulate on loopback,
# seconds when warm) and the page script's syntax. No installs, no browser.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --quiet -p layer-identity-cli
node --check cli/src/serve/page/tools.js
node --check cli/tests/browser/test.mjs
