package layeridentity

// #include "layer_identity.h"
import "C"

import (
	"fmt"
	"math"
)

// GenerateKeyPair generates an RSA key pair (public exponent 65537) of bits bits, 0 meaning
// 2048: privatePEM is PKCS#8 ("BEGIN PRIVATE KEY"), publicPEM SPKI ("BEGIN PUBLIC KEY", the
// part uploaded to Layer). Fewer than 2048 bits is ErrWeakKey, more than 16384
// ErrInvalidArgument. The library's copies are zeroized; privatePEM is the caller's to protect.
func GenerateKeyPair(bits int) (privatePEM, publicPEM []byte, err error) {
	if err := checkABI(); err != nil {
		return nil, nil, err
	}
	if bits < 0 || bits > math.MaxUint32 {
		return nil, nil, argError("bits", fmt.Sprintf("is %d, not a key size (0 for 2048, or 2048 to 16384)", bits))
	}
	var private, public, message *C.char
	status := C.layer_generate_key_pair(C.uint32_t(bits), &private, &public, &message)
	if status != C.LAYER_OK {
		return nil, nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeBytes(private), takeBytes(public), nil
}

// InspectToken decodes a token WITHOUT verifying it, for debugging: nothing in the result is
// trustworthy. It returns the header and claims JSON text; a token that is not three
// base64url parts of UTF-8 text is ErrMalformedToken.
func InspectToken(token string) (headerJSON, claimsJSON string, err error) {
	if err := checkABI(); err != nil {
		return "", "", err
	}
	t, tLen := text(token)
	var header, claims, message *C.char
	status := C.layer_token_inspect_n(t, tLen, &header, &claims, &message)
	if status != C.LAYER_OK {
		return "", "", libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeString(header), takeString(claims), nil
}
