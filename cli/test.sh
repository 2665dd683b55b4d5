#!/usr/bin/env bash
# Everything about the `layer-identity` command beyond `cargo test` (which runs its Rust tests,
# serve and emulate over real loopback HTTP included): the endpoint contract end to end
# against `serve` (with the pipelining and chunked-body checks), the README's snippets for it
# (curl, PHP, the emulated flow), and the validation page in headless Chromium. Run after
# `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 tests/endpoint/conformance.py --backend serve --chunked
/usr/bin/python3 cli/tests/readme_snippets.py
cli/tests/browser/run.sh
