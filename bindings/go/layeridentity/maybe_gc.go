//go:build cgo && !layer_identity_forcegc

package layeridentity

// maybeGC does nothing in a normal build; see maybe_gc_forced.go.
func maybeGC() {}

// forcedGC tells the tests that this build does not collect on every call.
const forcedGC = false
