package layeridentity

/*
#include "layer_identity.h"

// Metadata entries 0 .. count-1 of claims, names and values, in one call.
static void li_claims_metadata(const LayerClaims *c, size_t count, const char **names,
		size_t *name_lens, const char **values, size_t *value_lens) {
	for (size_t i = 0; i < count; i++) {
		names[i] = layer_claims_metadata_name(c, i, &name_lens[i]);
		values[i] = layer_claims_metadata_value(c, i, &value_lens[i]);
	}
}
*/
import "C"

import (
	"time"
	"unsafe"
)

// DefaultLeeway is the clock skew a Verifier allows for "exp" and "iat" unless
// VerifyOptions.Leeway says otherwise: 60 s, the core's LAYER_DEFAULT_LEEWAY_SECONDS.
const DefaultLeeway = C.LAYER_DEFAULT_LEEWAY_SECONDS * time.Second

// DefaultTTL is the lifetime of a token whose SignOptions.TTL is zero: 600 s (a Layer nonce
// lives 10 minutes), the core's LAYER_DEFAULT_TTL_SECONDS.
const DefaultTTL = C.LAYER_DEFAULT_TTL_SECONDS * time.Second

// NoLeeway, as VerifyOptions.Leeway, allows no clock skew at all (the zero Leeway means
// DefaultLeeway). It is a marker, not a duration: any other negative Leeway is refused.
const NoLeeway time.Duration = -1

// Verifier checks identity tokens with the rules of the Layer dashboard's identity token
// validation tool (RFC 8725: RS256 with the configured key only, the exact header, the
// configured key ID and provider ID, the times, the nonce). It is safe for concurrent use;
// copies of a Verifier share its key, and closing one closes them all. The zero Verifier is
// closed.
type Verifier struct {
	h *handle
}

func freeVerifier(p unsafe.Pointer) { C.layer_verifier_free((*C.LayerVerifier)(p)) }

// NewVerifier creates a verifier for tokens signed with the key of publicKeyPEM (SPKI
// "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY", PEM, base64 DER or DER, or an unencrypted private
// key to derive it from) that carry keyID in "kid" and providerID in "iss".
func NewVerifier(publicKeyPEM []byte, providerID, keyID string, opts ...VerifierOption) (*Verifier, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var cfg verifierConfig
	for _, o := range opts {
		if o != nil {
			o.applyVerifier(&cfg)
		}
	}
	key, keyLen := byteArg(publicKeyPEM)
	provider, providerLen := text(providerID)
	kid, kidLen := text(keyID)
	var out *C.LayerVerifier
	var message *C.char
	status := C.layer_verifier_new_n(key, keyLen, provider, providerLen, kid, kidLen, cfg.flags, &out, &message)
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return &Verifier{h: newHandle(unsafe.Pointer(out), freeVerifier)}, nil
}

// VerifyOptions are the inputs of Verifier.Verify besides the token.
type VerifyOptions struct {
	// Nonce is the nonce the token must answer ("nce"), the one the Layer client SDK
	// obtained. It is required: an empty Nonce is an error (ErrInvalidArgument), so that a
	// value that never arrived cannot switch the check off. See SkipNonceCheck.
	Nonce string
	// SkipNonceCheck verifies the token without comparing its nonce with anything (for
	// tools that inspect tokens; a service that accepts tokens checks the nonce). Nonce
	// must then be "".
	SkipNonceCheck bool
	// Now is the time to verify at; the zero time.Time means the system clock. A time before
	// 1970 is refused.
	Now time.Time
	// Leeway is the clock skew allowed for "exp" and "iat", whole seconds; zero means
	// DefaultLeeway (60 s), NoLeeway none. A negative Leeway is refused.
	Leeway time.Duration
}

// Claims are the claims of a verified token.
type Claims struct {
	ProviderID string    // "iss"
	UserID     string    // "prn": the app's user ID
	Nonce      string    // "nce"
	IssuedAt   time.Time // "iat", in UTC
	ExpiresAt  time.Time // "exp", in UTC

	// The identity attributes; "" when the token has none (absent or null).
	FirstName   string
	LastName    string
	DisplayName string
	AvatarURL   string

	// Metadata holds the "metadata" claim's values by name; nil when the token has none.
	Metadata map[string]string

	// JSON is the claims JSON exactly as signed, including claims this library does not
	// interpret.
	JSON string
}

// Verify checks token and returns its claims. A rejection is an *Error whose EitCode names
// the rule the token broke (its Message starts with it); match the status with errors.Is
// (ErrExpired, ErrBadSignature, ErrClaimMismatch, ErrMalformedToken, ...).
func (v *Verifier) Verify(token string, o VerifyOptions) (*Claims, error) {
	var leeway C.int64_t
	switch o.Leeway {
	case 0:
		leeway = C.LAYER_DEFAULT_LEEWAY_SECONDS
	case NoLeeway:
		leeway = 0
	default:
		var err error
		if leeway, err = seconds("VerifyOptions.Leeway", o.Leeway); err != nil {
			return nil, err
		}
	}
	if o.SkipNonceCheck && o.Nonce != "" {
		return nil, argError("VerifyOptions.SkipNonceCheck", "is set together with VerifyOptions.Nonce: give one of them")
	}
	t, tLen := text(token)
	nonce, nonceLen := optionalText(o.Nonce, !o.SkipNonceCheck)

	p, err := v.handle().acquire("Verifier.Verify")
	if err != nil {
		return nil, err
	}
	var claims *C.LayerClaims
	var texts [C.LAYER_CLAIM_TEXT_COUNT]*C.char
	var lens [C.LAYER_CLAIM_TEXT_COUNT]C.size_t
	var times [2]C.int64_t
	var eit C.LayerEit
	var message *C.char
	status := C.layer_verifier_verify_n((*C.LayerVerifier)(p), t, tLen, nonce, nonceLen, unixTime(o.Now), leeway,
		&claims, &texts[0], &lens[0], C.LAYER_CLAIM_TEXT_COUNT, &times[0], &eit, &message)
	v.h.release()
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, eit)
	}
	defer C.layer_claims_free(claims)
	claim := func(i C.LayerClaimText) string { return goString(texts[i], lens[i]) }
	c := &Claims{
		ProviderID:  claim(C.LAYER_CLAIM_PROVIDER_ID),
		UserID:      claim(C.LAYER_CLAIM_USER_ID),
		Nonce:       claim(C.LAYER_CLAIM_NONCE),
		IssuedAt:    time.Unix(int64(times[0]), 0).UTC(),
		ExpiresAt:   time.Unix(int64(times[1]), 0).UTC(),
		FirstName:   claim(C.LAYER_CLAIM_FIRST_NAME),
		LastName:    claim(C.LAYER_CLAIM_LAST_NAME),
		DisplayName: claim(C.LAYER_CLAIM_DISPLAY_NAME),
		AvatarURL:   claim(C.LAYER_CLAIM_AVATAR_URL),
		JSON:        claim(C.LAYER_CLAIM_JSON),
	}
	if texts[C.LAYER_CLAIM_METADATA_JSON] != nil {
		if n := C.layer_claims_metadata_count(claims); n > 0 {
			names, values := make([]*C.char, n), make([]*C.char, n)
			nameLens, valueLens := make([]C.size_t, n), make([]C.size_t, n)
			C.li_claims_metadata(claims, n, &names[0], &nameLens[0], &values[0], &valueLens[0])
			c.Metadata = make(map[string]string, n)
			for i := range names {
				c.Metadata[goString(names[i], nameLens[i])] = goString(values[i], valueLens[i])
			}
		}
	}
	return c, nil
}

// Close releases the verifier, for every copy of it. It never blocks: verifications in
// flight finish, and the last of them releases the key. It may be called any number of
// times from any goroutine and always returns nil; afterwards Verify returns an error
// matching ErrClosed.
func (v *Verifier) Close() error {
	v.handle().close()
	return nil
}

// handle is the verifier's handle; nil for a nil *Verifier, which is closed.
func (v *Verifier) handle() *handle {
	if v == nil {
		return nil
	}
	return v.h
}
