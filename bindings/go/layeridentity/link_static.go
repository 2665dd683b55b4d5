//go:build layer_identity_static

package layeridentity

// Linked against the installed static library, liblayer_identity.a, through the
// layer_identity-static pkg-config module: the program needs no liblayer_identity.so at run
// time (OpenSSL 3 stays the system's shared libssl.so.3 and libcrypto.so.3).

// #cgo pkg-config: layer_identity-static
import "C"
