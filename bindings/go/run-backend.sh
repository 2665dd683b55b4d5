#!/usr/bin/env bash
# Builds the Go sample backend (bindings/go/examples/backend) and runs it in the foreground
# (exec, so that it receives SIGTERM itself), with the environment passed through.
# scripts/run-backend go calls it after `make build`. The backend is linked with
# -tags layer_identity_static against target/release/liblayer_identity.a (through
# env.sh's pkg-config modules), so it needs no liblayer_identity.so at run time; OpenSSL is
# the system's. Build output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"
exports=$(./env.sh)
eval "$exports"
if ! command -v go >/dev/null 2>&1; then
  echo "run-backend.sh: go is not installed (Go 1.22 or later; /usr/local/go/bin/go is looked for too)" >&2
  exit 1
fi
go build -tags layer_identity_static -o .build/backend ./examples/backend >&2
exec .build/backend
