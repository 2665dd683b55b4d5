// The repository's own Go tools: bench/loadgen (the standard library only), run from the
// repository root as `go run ./bench/loadgen`. The Go wrapper is its own module
// (bindings/go/go.mod).
module github.com/layerhq/layer-identity

go 1.22
