#!/usr/bin/env bash
# Builds the Go sample backend (bindings/go/examples/backend) and runs it in the foreground
# (exec, so that it receives SIGTERM itself), with the environment passed through.
# scripts/run-backend go calls it after `make build`. The backend is linked with
# -tags layer_identity_static against target/release/liblayer_identity.a (through dev.sh's
# pkg-config modules), so it needs no liblayer_identity.so at run time; OpenSSL is the
# system's. Build output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"
./dev.sh go build -buildvcs=false -tags layer_identity_static -o .build/backend ./examples/backend >&2
exec .build/backend
