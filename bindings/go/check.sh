#!/usr/bin/env bash
# The Go wrapper's quick check (make check-go, after make build): gofmt over every module,
# go vet of the main module (each build tag), and the layeridentity package's tests that need
# no socket (every vector, every endpoint case in process, handles and Close, the build
# without cgo). Nothing is downloaded (GOPROXY=off: the main module has no dependencies) and
# no server is started; test.sh runs the rest.
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false" GOPROXY=off
dev=./dev.sh

unformatted=$($dev gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "bindings/go: gofmt -l lists:" >&2
  echo "$unformatted" >&2
  exit 1
fi
$dev go vet ./...
$dev go vet -tags layer_identity_static ./layeridentity/
$dev go vet -tags layer_identity_forcegc ./layeridentity/
$dev go test -count=1 -skip "^TestHTTP" ./layeridentity/
