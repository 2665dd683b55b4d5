//go:build !cgo

package layeridentity

// This package calls the layer-identity C library through cgo, which this build has
// switched off (CGO_ENABLED=0, or no C compiler found). The reference below does not
// compile, so the build fails with a message that says what to do, rather than with
// "undefined: Signer":
//
//	CGO_ENABLED=1 go build ...   with a C compiler (gcc or clang) on PATH and the library
//	                             installed where pkg-config finds layer_identity.
var _ = layeridentity_requires_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler
