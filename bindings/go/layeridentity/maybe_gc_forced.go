//go:build cgo && layer_identity_forcegc

package layeridentity

import "runtime"

// maybeGC runs a full garbage collection every time a native handle is read for a C call
// (the idea of wasmtime-go's maybe_gc_actual.go). Built with -tags layer_identity_forcegc,
// the tests then collect, and run finalizers, at the worst moment for every call: a handle
// that C could still be using while Go considers it dead would be freed under C and crash.
func maybeGC() {
	runtime.GC()
}

// forcedGC tells the tests that this build collects on every call.
const forcedGC = true
