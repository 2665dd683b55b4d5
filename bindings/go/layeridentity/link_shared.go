//go:build !layer_identity_static

package layeridentity

// Linked against the installed shared library, liblayer_identity.so.0, found by pkg-config
// (layer_identity.pc, written by `make install`). Build with -tags layer_identity_static to
// link liblayer_identity.a instead.

// #cgo pkg-config: layer_identity
import "C"
