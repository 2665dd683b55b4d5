#!/usr/bin/env bash
# The Go wrapper's whole test run (make test-go, after make build):
#   format     gofmt -l is empty (the module, the benchmarks, the sample backend)
#   vet        go vet, with each build tag, and the benchmark module (compiled, not run)
#   unit       go test -race ./... : the shared vectors, the handler against every case of
#              tests/endpoint/cases.json over loopback, 64 goroutines x 200 tokens, Close,
#              finalizers, the sample backend started by scripts/run-backend go
#   forced-gc  the package's tests again with -tags layer_identity_forcegc (a GC at every
#              native call: a handle freed under C would crash or fail them)
#   static     the vector tests linked with -tags layer_identity_static
#   golang-jwt the benchmark module's test: golang-jwt/v5 and crypto/rsa make and accept the
#              wrapper's token
#   install    make install into a temporary prefix; a module outside the repository imports
#              the package through a replace line, is built against the prefix (shared and
#              static) and run; the Go code blocks of both READMEs are built there too and
#              the quickstart is run
#   endpoint   tests/endpoint/conformance.py --backend go, and the backend binary needs no
#              liblayer_identity.so
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
  if ! "$@" >"$log" 2>&1; then
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

vet() {
  "${dev[@]}" go vet ./... &&
    "${dev[@]}" go vet -tags layer_identity_static ./... &&
    "${dev[@]}" go vet -tags layer_identity_forcegc ./layeridentity/ &&
    (cd bench && "${dev[@]}" go vet ./...)
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
step golang-jwt test_counts bash -c 'cd bench && "$0" go test -count=1 -v .' "${dev[@]}"

# ------------------------------------------------------------------ install + consumer
# extract_go_blocks FILE NAME SECTION_ONLY: each ```go block of FILE (with SECTION_ONLY=1,
# only those between the bindings:go markers) as readme/NAME-N/main.go.
extract_go_blocks() {
  awk -v dir=readme -v name="$2" -v only="$3" '
    /^<!-- bindings:go -->/ { section = 1 }
    /^<!-- \/bindings:go -->/ { section = 0 }
    !only || section {
      if (!inside && $0 == "```go") {
        n++; d = dir "/" name "-" n; system("mkdir -p " d); out = d "/main.go"; inside = 1; next
      }
      if (inside && $0 == "```") { inside = 0; close(out); next }
      if (inside) print > out
    }' "$1"
}
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
    # The Go code blocks of the READMEs, each a program of its own.
    extract_go_blocks "$repo/README.md" top 1
    extract_go_blocks "$go_dir/README.md" package 0
    local blocks
    blocks=$(find readme -name main.go | wc -l)
    [ "$blocks" -ge 4 ] || { echo "only $blocks Go blocks in the READMEs"; exit 1; }
    echo "README programs: $blocks"
    go vet ./...
    go build -o consumer-shared .
    go build -tags layer_identity_static -o consumer-static .
    go build -o readme-bin/ ./readme/...
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
    # The README quickstart, in a directory with its key file.
    mkdir run && cp "$repo/vectors/keys/rsa2048.pkcs8.pem" run/layer-private.pem
    local program
    for program in readme-bin/*; do
      grep -q 'layer-private.pem' "readme/$(basename "$program")/main.go" || continue
      out=$(cd run && LD_LIBRARY_PATH=$prefix/lib "../$program")
      echo "$(basename "$program"): $out"
      [[ $out =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'\n'"alice@example.com Alice L. pro 10m0s"$ ]] ||
        { echo "unexpected output of $program"; exit 1; }
    done
  )
}
installed() { printf ': %s; %s built, the quickstarts run' "$(grep -m1 '^shared:' "$1")" "$(grep -m1 '^README programs' "$1")"; }
step install installed install_and_consume

# ------------------------------------------------------------------ endpoint conformance
conformance() {
  (cd "$repo" && /usr/bin/python3 tests/endpoint/conformance.py --backend go --startup-timeout 300)
  if readelf -d .build/backend | grep -q 'NEEDED.*liblayer_identity'; then
    echo "the sample backend needs liblayer_identity.so"
    return 1
  fi
}
passed_line() { printf ': %s' "$(grep -m1 'endpoint conformance' "$1")"; }
step endpoint passed_line conformance

echo "go: all steps passed in $((SECONDS - started))s"
