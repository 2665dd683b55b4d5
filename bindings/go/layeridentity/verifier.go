package layeridentity

/*
#include "layer_identity.h"

// The typed claims of one verified token, read with one cgo call instead of one per getter.
// The pointers belong to the LayerClaims and are valid until layer_claims_free.
enum {
	LI_PROVIDER_ID, LI_USER_ID, LI_NONCE, LI_FIRST_NAME, LI_LAST_NAME, LI_DISPLAY_NAME,
	LI_AVATAR_URL, LI_JSON, LI_FIELDS
};

typedef struct {
	const char *text[LI_FIELDS];
	size_t len[LI_FIELDS];
	int64_t issued_at, expires_at;
	size_t metadata_count;
} li_claims_view;

static void li_claims_read(const LayerClaims *c, li_claims_view *v) {
	v->text[LI_PROVIDER_ID] = layer_claims_provider_id(c, &v->len[LI_PROVIDER_ID]);
	v->text[LI_USER_ID] = layer_claims_user_id(c, &v->len[LI_USER_ID]);
	v->text[LI_NONCE] = layer_claims_nonce(c, &v->len[LI_NONCE]);
	v->text[LI_FIRST_NAME] = layer_claims_first_name(c, &v->len[LI_FIRST_NAME]);
	v->text[LI_LAST_NAME] = layer_claims_last_name(c, &v->len[LI_LAST_NAME]);
	v->text[LI_DISPLAY_NAME] = layer_claims_display_name(c, &v->len[LI_DISPLAY_NAME]);
	v->text[LI_AVATAR_URL] = layer_claims_avatar_url(c, &v->len[LI_AVATAR_URL]);
	v->text[LI_JSON] = layer_claims_json(c, &v->len[LI_JSON]);
	v->issued_at = layer_claims_issued_at(c);
	v->expires_at = layer_claims_expires_at(c);
	v->metadata_count = layer_claims_metadata_count(c);
}

// Verifies and, on success, reads the claims' view in the same cgo call.
static LayerStatus li_verify(const LayerVerifier *verifier, const char *token,
		const char *expected_nonce, int64_t now, uint32_t leeway_seconds,
		LayerClaims **out_claims, li_claims_view *view, LayerEit *out_eit, char **out_error) {
	LayerStatus status = layer_verifier_verify_claims(verifier, token, expected_nonce, now,
		leeway_seconds, out_claims, out_eit, out_error);
	if (status == LAYER_OK) li_claims_read(*out_claims, view);
	return status;
}

// Metadata entry i of claims, name and value, in one call.
static void li_claims_metadata(const LayerClaims *c, size_t i, const char **name,
		size_t *name_len, const char **value, size_t *value_len) {
	*name = layer_claims_metadata_name(c, i, name_len);
	*value = layer_claims_metadata_value(c, i, value_len);
}
*/
import "C"

import (
	"runtime"
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
// DefaultLeeway).
const NoLeeway time.Duration = -1

// Verifier checks identity tokens with the rules of the Layer dashboard's identity token
// validation tool (RFC 8725: RS256 with the configured key only, the exact header, the
// configured key ID and provider ID, the times, the nonce). It is safe for concurrent use.
type Verifier struct {
	h handle
}

// NewVerifier creates a verifier for tokens signed with the key of publicKeyPEM (SPKI
// "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY", PEM or base64 DER, or an unencrypted private key
// to derive it from) that carry keyID in "kid" and providerID in "iss".
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
	if err := checkBytes("publicKeyPEM", publicKeyPEM); err != nil {
		return nil, err
	}
	if err := checkText("providerID", providerID); err != nil {
		return nil, err
	}
	if err := checkText("keyID", keyID); err != nil {
		return nil, err
	}
	a := newCArgs(len(publicKeyPEM) + len(providerID) + len(keyID) + 3)
	a.secret = true // it may be a private key
	key, provider, kid := a.bytes(publicKeyPEM), a.str(providerID), a.str(keyID)
	var out *C.LayerVerifier
	var message *C.char
	status := C.layer_verifier_new(a.ptr(key), a.ptr(provider), a.ptr(kid), cfg.flags, &out, &message)
	a.free()
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	v := &Verifier{h: newHandle(unsafe.Pointer(out))}
	runtime.SetFinalizer(v, (*Verifier).Close)
	return v, nil
}

// VerifyOptions are the inputs of Verifier.Verify besides the token. The zero value checks
// no nonce, at the system clock's time, with DefaultLeeway.
type VerifyOptions struct {
	// Nonce is the nonce the token must answer ("nce"); "" skips that check.
	Nonce string
	// Now is the time to verify at; the zero time.Time means the system clock.
	Now time.Time
	// Leeway is the clock skew allowed for "exp" and "iat", whole seconds; zero means
	// DefaultLeeway (60 s) and a negative value (NoLeeway) none.
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
	now, err := unixSeconds("VerifyOptions.Now", o.Now)
	if err != nil {
		return nil, err
	}
	var leeway C.uint32_t
	switch {
	case o.Leeway == 0:
		leeway = C.uint32_t(DefaultLeeway / time.Second)
	case o.Leeway > 0:
		if leeway, err = wholeSeconds("VerifyOptions.Leeway", o.Leeway); err != nil {
			return nil, err
		}
	}
	if err := checkText("token", token); err != nil {
		return nil, err
	}
	if err := checkText("VerifyOptions.Nonce", o.Nonce); err != nil {
		return nil, err
	}
	a := newCArgs(len(token) + len(o.Nonce) + 2)
	t := a.str(token)
	nonce := nullArg
	if o.Nonce != "" {
		nonce = a.str(o.Nonce)
	}

	p, err := v.acquire("Verifier.Verify")
	if err != nil {
		return nil, err
	}
	defer v.h.mu.RUnlock()
	var claims *C.LayerClaims
	var view C.li_claims_view
	var eit C.LayerEit
	var message *C.char
	status := C.li_verify((*C.LayerVerifier)(p), a.ptr(t), a.ptr(nonce), now, leeway, &claims, &view, &eit, &message)
	runtime.KeepAlive(v)
	a.free()
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, eit)
	}
	defer C.layer_claims_free(claims)
	text := func(i int) string { return goString(view.text[i], view.len[i]) }
	c := &Claims{
		ProviderID:  text(C.LI_PROVIDER_ID),
		UserID:      text(C.LI_USER_ID),
		Nonce:       text(C.LI_NONCE),
		IssuedAt:    time.Unix(int64(view.issued_at), 0).UTC(),
		ExpiresAt:   time.Unix(int64(view.expires_at), 0).UTC(),
		FirstName:   text(C.LI_FIRST_NAME),
		LastName:    text(C.LI_LAST_NAME),
		DisplayName: text(C.LI_DISPLAY_NAME),
		AvatarURL:   text(C.LI_AVATAR_URL),
		JSON:        text(C.LI_JSON),
	}
	if n := int(view.metadata_count); n > 0 {
		c.Metadata = make(map[string]string, n)
		for i := 0; i < n; i++ {
			var name, value *C.char
			var nameLen, valueLen C.size_t
			C.li_claims_metadata(claims, C.size_t(i), &name, &nameLen, &value, &valueLen)
			c.Metadata[goString(name, nameLen)] = goString(value, valueLen)
		}
	}
	return c, nil
}

// Close releases the verifier. It waits for verifications in flight, may be called any
// number of times from any goroutine, and always returns nil; afterwards Verify returns an
// error matching ErrClosed.
func (v *Verifier) Close() error {
	if v == nil {
		return nil
	}
	if p := v.h.take(); p != nil {
		runtime.SetFinalizer(v, nil)
		C.layer_verifier_free((*C.LayerVerifier)(p))
	}
	return nil
}

func (v *Verifier) acquire(op string) (unsafe.Pointer, error) {
	if v == nil {
		return nil, &closedError{op}
	}
	return v.h.acquire(op)
}
