#!/usr/bin/env bash
# The Go wrapper's whole test run (make test-go, after make build):
#   format     gofmt -l is empty (every module)
#   vet        go vet: the main module with each build tag, the router modules, the README
#              module, the benchmark module (compiled, not run)
#   unit       go test -race ./... : the shared vectors, every endpoint case in process and
#              over HTTP on loopback, 64 goroutines x 200 tokens, Close, copies, finalizers,
#              the build without cgo, the sample backend started by scripts/run-backend go
#   forced-gc  the package's tests again with -tags layer_identity_forcegc (a GC at every
#              native call: a handle freed under C would crash or fail them)
#   static     the vector tests linked with -tags layer_identity_static
#   routers    layerchi, layergin, layerecho against the real routers from the Go
#              proxy: every endpoint case over HTTP, each authenticator kind under a prefix
#   readme     the Go code of the repository README built and run (testdata/readme)
#   golang-jwt the benchmark module's test: golang-jwt/v5 and crypto/rsa make and accept the
#              wrapper's token
#   install    make install into a temporary prefix; a module outside the repository imports
#              the package through a replace line, is built against the prefix (shared and
#              static) and run
#   endpoint   tests/endpoint/conformance.py --backend go --chunked, and the backend binary
#              needs no liblayer_identity.so
# One line per step; on a failure, the step's output.
set -euo pipefail
go_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$go_dir/../.." && pwd)
cd "$go_dir"
started=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { # fail MESSAGE [LOG]
  echo "bindings/go: FAILED: $1" >&2
  [ -z "${2:-}" ] || sed 's/^/  | /' "$2" >&2
  exit 1
}
# step NAME SUMMARY-COMMAND COMMAND...: runs COMMAND with its output in a log; on success
# prints "go: NAME ok (Ns)" and what SUMMARY-COMMAND prints from the log.
step() {
  local name=$1 summary=$2 t0=$SECONDS log=$work/$1.log
  shift 2
  # In the background, not as an if condition, so that set -e holds inside the step's
  # functions (bash ignores it in anything an if tests).
  "$@" >"$log" 2>&1 &
  if ! wait $!; then
    fail "$name: $*" "$log"
  fi
  printf 'go: %-10s ok (%ds)%s\n' "$name" $((SECONDS - t0)) "$($summary "$log")"
}
none() { :; }
dev=("$go_dir/dev.sh")

if ! go_version=$("${dev[@]}" go env GOVERSION 2>/dev/null); then
  fail "no Go toolchain (Go 1.22 or later; looked on PATH and in /usr/local/go/bin)"
fi
case $go_version in go1.2[2-9]* | go1.[3-9][0-9]* | go[2-9]*) ;; *) fail "Go $go_version is older than 1.22" ;; esac
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

step format none bash -c '
  out=$("$0" gofmt -l .) && [ -z "$out" ] || { echo "gofmt -l lists:"; echo "$out"; exit 1; }' "${dev[@]}"

modules=(layerchi layergin layerecho testdata/readme bench)
vet() {
  "${dev[@]}" go vet ./... &&
    "${dev[@]}" go vet -tags layer_identity_static ./... &&
    "${dev[@]}" go vet -tags layer_identity_forcegc ./layeridentity/ || return
  local m
  for m in "${modules[@]}"; do
    (cd "$m" && "${dev[@]}" go vet ./...) || return
  done
}
step vet none vet

# Summaries of go test -v logs: the test counts and the tests' own count lines.
test_counts() {
  printf ': %d tests, %d subtests passed' "$(grep -c '^--- PASS' "$1" || true)" \
    "$(grep -c '^ \{4,\}--- PASS' "$1" || true)"
}
test_details() { # the counts, then the tests' own count lines
  test_counts "$1"
  awk '/^ +[a-z_]+_test\.go:[0-9]+: [0-9]+ / { sub(/^ +[a-z_]+_test\.go:[0-9]+: /, ""); printf "\n    %s", $0 }' "$1"
}
step unit test_details "${dev[@]}" go test -race -count=1 -v ./...
step forced-gc test_counts "${dev[@]}" go test -tags layer_identity_forcegc -count=1 -v ./layeridentity/
step static test_counts "${dev[@]}" go test -tags layer_identity_static -count=1 -v -run 'Vectors|Table' ./layeridentity/
routers() {
  local m
  for m in layerchi layergin layerecho; do
    (cd "$m" && "${dev[@]}" go test -count=1 -v .) || return
  done
}
step routers test_details routers
step readme test_details bash -c 'cd testdata/readme && "$0" go test -count=1 -v .' "${dev[@]}"
step golang-jwt test_counts bash -c 'cd bench && "$0" go test -count=1 -v .' "${dev[@]}"

# ------------------------------------------------------------------ install + consumer
install_and_consume() {
  local prefix=$work/prefix consumer=$work/consumer out
  (cd "$repo" && make --no-print-directory install PREFIX="$prefix")
  mkdir -p "$consumer"
  cp testdata/consumer/main.go "$consumer/main.go"
  (
    cd "$consumer"
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    go mod init example.com/consumer
    # As the README says, for a module that is not on a proxy:
    go mod edit -require=github.com/layerhq/layer-identity/bindings/go@v0.0.0 \
      -replace=github.com/layerhq/layer-identity/bindings/go="$go_dir"
    go vet ./...
    go build -o consumer-shared .
    go build -tags layer_identity_static -o consumer-static .
    readelf -d consumer-shared | grep -q 'NEEDED.*liblayer_identity.so.0' ||
      { echo "consumer-shared does not need liblayer_identity.so.0"; exit 1; }
    if readelf -d consumer-static | grep -q 'NEEDED.*liblayer_identity'; then
      echo "consumer-static needs liblayer_identity"; exit 1
    fi
    out=$(LD_LIBRARY_PATH=$prefix/lib ./consumer-shared)
    echo "shared: $out"
    [[ $out == "layer-identity "*": installed-user Installed verified" ]]
    out=$(env -u LD_LIBRARY_PATH ./consumer-static)
    echo "static: $out"
    [[ $out == "layer-identity "*": installed-user Installed verified" ]]
  )
}
installed() { printf ': %s' "$(grep -m1 '^shared:' "$1")"; }
step install installed install_and_consume

# ------------------------------------------------------------------ endpoint conformance
conformance() {
  (cd "$repo" && /usr/bin/python3 tests/endpoint/conformance.py --backend go --chunked \
    --startup-timeout 300)
  if readelf -d .build/backend | grep -q 'NEEDED.*liblayer_identity'; then
    echo "the sample backend needs liblayer_identity.so"
    return 1
  fi
}
passed_line() { printf ': %s' "$(grep -m1 'endpoint conformance' "$1")"; }
step endpoint passed_line conformance

echo "go: all steps passed in $((SECONDS - started))s"
