// Package layeridentity mints and verifies Layer identity tokens (RS256 JWS) with the
// layer-identity C library, through cgo: a Signer signs tokens for the Layer client SDK's
// nonces, a Verifier checks them with the rules of Layer's validation tool, and Handler
// serves the identity-token HTTP endpoint on net/http (the layerchi, layergin and layerecho
// modules mount it on chi, gin and echo).
//
// Every rule (what a token holds, which values are refused, what the endpoint answers) is
// the library's, the same in every language that wraps it; this package converts Go values
// (strings, []byte, time.Time, time.Duration) and reports the library's failures as *Error.
// It needs cgo, a C compiler and the installed library (pkg-config layer_identity).
package layeridentity
