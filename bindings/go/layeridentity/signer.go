package layeridentity

/*
#include <stdlib.h>
#include "layer_identity.h"
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"time"
	"unsafe"
)

// TokenType is the header's "typ" of the tokens a Signer makes.
type TokenType int

const (
	// JWS is "typ":"JWS", the default (Layer's original authentication guide).
	JWS TokenType = iota
	// JWT is "typ":"JWT", which Layer's later documentation asked for.
	JWT
)

func (t TokenType) String() string {
	switch t {
	case JWS:
		return "JWS"
	case JWT:
		return "JWT"
	}
	return fmt.Sprintf("TokenType(%d)", int(t))
}

// SignerOption configures NewSigner and SignerFromEnv.
type SignerOption interface{ applySigner(*signerConfig) }

// VerifierOption configures NewVerifier.
type VerifierOption interface{ applyVerifier(*verifierConfig) }

// KeyOption configures both signers and verifiers.
type KeyOption interface {
	SignerOption
	VerifierOption
}

type signerConfig struct {
	passphrase *string
	flags      C.uint32_t
	err        error
}

type verifierConfig struct {
	flags C.uint32_t
}

type passphraseOption string

func (p passphraseOption) applySigner(c *signerConfig) {
	s := string(p)
	c.passphrase = &s
}

// WithPassphrase gives the passphrase of an encrypted private key (PKCS#8 "ENCRYPTED PRIVATE
// KEY"). It is ignored for an unencrypted key; SignerFromEnv refuses it (the passphrase comes
// from LAYER_PRIVATE_KEY_PASSPHRASE there). No error message ever contains it.
func WithPassphrase(passphrase string) SignerOption { return passphraseOption(passphrase) }

type tokenTypeOption TokenType

func (t tokenTypeOption) applySigner(c *signerConfig) {
	switch TokenType(t) {
	case JWS:
		c.flags &^= C.LAYER_FLAG_TYP_JWT
	case JWT:
		c.flags |= C.LAYER_FLAG_TYP_JWT
	default:
		c.err = argError("WithTokenType", fmt.Sprintf("got %v: use layeridentity.JWS or layeridentity.JWT", TokenType(t)))
	}
}

// WithTokenType selects the header's "typ": JWS (the default) or JWT.
func WithTokenType(t TokenType) SignerOption { return tokenTypeOption(t) }

type legacyKeyOption struct{}

func (legacyKeyOption) applySigner(c *signerConfig)     { c.flags |= C.LAYER_FLAG_ALLOW_1024_BIT_KEY }
func (legacyKeyOption) applyVerifier(c *verifierConfig) { c.flags |= C.LAYER_FLAG_ALLOW_1024_BIT_KEY }

// WithLegacy1024BitKey admits the 1024-bit RSA keys that early Layer accounts were issued
// (never the default: RS256 needs 2048 bits). Smaller keys are always refused.
func WithLegacy1024BitKey() KeyOption { return legacyKeyOption{} }

// Signer mints identity tokens with one private key, provider ID and key ID. It is safe for
// concurrent use by any number of goroutines; create one at start-up and share it.
//
// Close releases the key (its bytes are zeroized); a finalizer does it if the program does not.
type Signer struct {
	h handle
}

func newSigner(p *C.LayerSigner) *Signer {
	s := &Signer{h: newHandle(unsafe.Pointer(p))}
	runtime.SetFinalizer(s, (*Signer).Close)
	return s
}

// NewSigner loads and checks an RSA private key once, for any number of tokens.
//
// privateKeyPEM is PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY", encrypted PKCS#8 with
// WithPassphrase) or base64 DER; CRLF, surrounding whitespace, literal \n escapes and lost
// line breaks are tolerated. It must be RSA, at least 2048 bits (see WithLegacy1024BitKey).
// providerID is "layer:///providers/<uuid>" or the bare UUID, keyID "layer:///keys/<uuid>"
// or the bare UUID. A nil privateKeyPEM is ErrNullArgument.
//
// The wrapper's copy of the key text is zeroized as soon as the library has read it.
func NewSigner(privateKeyPEM []byte, providerID, keyID string, opts ...SignerOption) (*Signer, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var cfg signerConfig
	for _, o := range opts {
		if o != nil {
			o.applySigner(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if err := checkBytes("privateKeyPEM", privateKeyPEM); err != nil {
		return nil, err
	}
	if err := checkText("providerID", providerID); err != nil {
		return nil, err
	}
	if err := checkText("keyID", keyID); err != nil {
		return nil, err
	}
	size := len(privateKeyPEM) + len(providerID) + len(keyID) + 3
	if cfg.passphrase != nil {
		if err := checkBytes("passphrase (WithPassphrase)", []byte(*cfg.passphrase)); err != nil {
			return nil, err
		}
		size += len(*cfg.passphrase) + 1
	}
	a := newCArgs(size)
	a.secret = true
	key := a.bytes(privateKeyPEM)
	provider := a.str(providerID)
	kid := a.str(keyID)
	passphrase := nullArg
	if cfg.passphrase != nil {
		passphrase = a.str(*cfg.passphrase)
	}
	var out *C.LayerSigner
	var message *C.char
	status := C.layer_signer_new(a.ptr(key), a.ptr(passphrase), a.ptr(provider), a.ptr(kid), cfg.flags, &out, &message)
	a.free()
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return newSigner(out), nil
}

// SignerFromEnv creates a signer from the environment, as every layer-identity wrapper and
// the CLI do: LAYER_PROVIDER_ID, LAYER_KEY_ID, the key as LAYER_PRIVATE_KEY (the PEM text) or
// LAYER_PRIVATE_KEY_PATH (its file), LAYER_PRIVATE_KEY_PASSPHRASE for an encrypted key, and
// LAYER_TOKEN_TYPE (JWS or JWT). The library reads the variables itself, so a missing or
// malformed one is reported with the same words in every language, naming it.
//
// opts may select WithTokenType(JWT) (OR-ed with LAYER_TOKEN_TYPE) and WithLegacy1024BitKey;
// WithPassphrase is refused. Call it while no other goroutine changes the environment.
func SignerFromEnv(opts ...SignerOption) (*Signer, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var cfg signerConfig
	for _, o := range opts {
		if o != nil {
			o.applySigner(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.passphrase != nil {
		return nil, argError("WithPassphrase", "is not an option of SignerFromEnv: set LAYER_PRIVATE_KEY_PASSPHRASE")
	}
	var out *C.LayerSigner
	var message *C.char
	status := C.layer_signer_from_env(cfg.flags, &out, &message)
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return newSigner(out), nil
}

// SignOptions are the optional inputs of Signer.SignWith. The zero value gives the defaults.
type SignOptions struct {
	// IssuedAt is the token's "iat", floored to a second; the zero time.Time means now.
	IssuedAt time.Time
	// TTL is the token's lifetime ("exp" - "iat"), a whole number of seconds; zero means 600 s
	// (DefaultTTL; a Layer nonce lives 10 minutes).
	TTL time.Duration

	// The optional identity attributes; "" leaves one out of the token.
	FirstName   string
	LastName    string
	DisplayName string
	AvatarURL   string

	// Metadata are string values by name, carried in the token's "metadata" claim sorted by
	// name; nil or empty leaves the claim out. Names must not be empty.
	Metadata map[string]string
}

// Sign mints a token for userID answering nonce (the one the Layer client SDK obtained),
// issued now, valid for 600 s.
func (s *Signer) Sign(userID, nonce string) (string, error) {
	return s.SignWith(userID, nonce, SignOptions{})
}

// SignWith mints a token like Sign, with the time, lifetime, identity attributes and
// metadata of o.
func (s *Signer) SignWith(userID, nonce string, o SignOptions) (string, error) {
	issuedAt, err := unixSeconds("SignOptions.IssuedAt", o.IssuedAt)
	if err != nil {
		return "", err
	}
	ttl, err := wholeSeconds("SignOptions.TTL", o.TTL)
	if err != nil {
		return "", err
	}
	texts := [...]struct{ name, value string }{
		{"userID", userID}, {"nonce", nonce},
		{"SignOptions.FirstName", o.FirstName}, {"SignOptions.LastName", o.LastName},
		{"SignOptions.DisplayName", o.DisplayName}, {"SignOptions.AvatarURL", o.AvatarURL},
	}
	size := 0
	for _, t := range texts {
		if err := checkText(t.name, t.value); err != nil {
			return "", err
		}
		size += len(t.value) + 1
	}
	meta, err := newCMetadata(o.Metadata)
	if err != nil {
		return "", err
	}
	defer meta.free()

	a := newCArgs(size)
	user, n := a.str(userID), a.str(nonce)
	optional := func(v string) arg {
		if v == "" {
			return nullArg
		}
		return a.str(v)
	}
	first, last, display, avatar := optional(o.FirstName), optional(o.LastName), optional(o.DisplayName), optional(o.AvatarURL)

	p, err := s.acquire("Signer.SignWith")
	if err != nil {
		return "", err
	}
	defer s.h.mu.RUnlock()
	var token, message *C.char
	status := C.layer_signer_sign_with((*C.LayerSigner)(p), a.ptr(user), a.ptr(n), issuedAt, ttl,
		a.ptr(first), a.ptr(last), a.ptr(display), a.ptr(avatar),
		meta.names, meta.values, meta.count, &token, &message)
	runtime.KeepAlive(s)
	a.free()
	if status != C.LAYER_OK {
		return "", libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeString(token), nil
}

// PublicKeyPEM is the signer's public key as SPKI PEM ("BEGIN PUBLIC KEY"): the text to
// upload to Layer for this key ID, or to give NewVerifier.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	p, err := s.acquire("Signer.PublicKeyPEM")
	if err != nil {
		return nil, err
	}
	defer s.h.mu.RUnlock()
	var pem, message *C.char
	status := C.layer_signer_public_key_pem((*C.LayerSigner)(p), &pem, &message)
	runtime.KeepAlive(s)
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeBytes(pem), nil
}

// Close releases the signer and zeroizes its key. It waits for signatures in flight, may be
// called any number of times from any goroutine, and always returns nil; afterwards every
// method returns an error matching ErrClosed.
func (s *Signer) Close() error {
	if s == nil {
		return nil
	}
	if p := s.h.take(); p != nil {
		runtime.SetFinalizer(s, nil)
		C.layer_signer_free((*C.LayerSigner)(p))
	}
	return nil
}

func (s *Signer) acquire(op string) (unsafe.Pointer, error) {
	if s == nil {
		return nil, &closedError{op}
	}
	return s.h.acquire(op)
}

// SignToken mints one token with the default options ("typ":"JWS", no attributes) from the
// key text itself, without a Signer: the library keeps up to 8 decoded keys in a process-wide
// cache (keyed by a SHA-256 digest of the text), so repeated calls cost one signature. Prefer
// NewSigner for a long-lived key; ClearKeyCache forgets the cached keys. The key must not be
// encrypted. issuedAt and ttl are as in SignOptions (zero: now, 600 s).
func SignToken(privateKeyPEM []byte, providerID, keyID, userID, nonce string, issuedAt time.Time, ttl time.Duration) (string, error) {
	if err := checkABI(); err != nil {
		return "", err
	}
	iat, err := unixSeconds("issuedAt", issuedAt)
	if err != nil {
		return "", err
	}
	seconds, err := wholeSeconds("ttl", ttl)
	if err != nil {
		return "", err
	}
	if err := checkBytes("privateKeyPEM", privateKeyPEM); err != nil {
		return "", err
	}
	for _, t := range [...]struct{ name, value string }{
		{"providerID", providerID}, {"keyID", keyID}, {"userID", userID}, {"nonce", nonce},
	} {
		if err := checkText(t.name, t.value); err != nil {
			return "", err
		}
	}
	a := newCArgs(len(privateKeyPEM) + len(providerID) + len(keyID) + len(userID) + len(nonce) + 5)
	a.secret = true
	key := a.bytes(privateKeyPEM)
	provider, kid, user, n := a.str(providerID), a.str(keyID), a.str(userID), a.str(nonce)
	var token, message *C.char
	status := C.layer_sign_token(a.ptr(key), a.ptr(provider), a.ptr(kid), a.ptr(user), a.ptr(n), iat, seconds, &token, &message)
	a.free()
	if status != C.LAYER_OK {
		return "", libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeString(token), nil
}

// ClearKeyCache empties SignToken's cache of decoded keys (after rotating a key out, say).
// Signers are not affected.
func ClearKeyCache() {
	C.layer_key_cache_clear()
}

// unixSeconds converts a time to the ABI's Unix seconds: 0 (now) for the zero time, an error
// for a time not after the epoch (which the ABI would also read as "now").
func unixSeconds(name string, t time.Time) (C.int64_t, error) {
	if t.IsZero() {
		return 0, nil
	}
	u := t.Unix()
	if u <= 0 {
		return 0, argError(name, fmt.Sprintf("is %s, not after 1970-01-01T00:00:00Z (use the zero time.Time for now)",
			t.UTC().Format(time.RFC3339)))
	}
	return C.int64_t(u), nil
}

// wholeSeconds converts a non-negative duration of whole seconds to the ABI's uint32 seconds.
func wholeSeconds(name string, d time.Duration) (C.uint32_t, error) {
	switch {
	case d < 0:
		return 0, argError(name, fmt.Sprintf("is negative (%v)", d))
	case d%time.Second != 0:
		return 0, argError(name, fmt.Sprintf("is %v, not a whole number of seconds", d))
	case d/time.Second > math.MaxUint32:
		return 0, argError(name, fmt.Sprintf("is %v, over 2^32-1 seconds", d))
	}
	return C.uint32_t(d / time.Second), nil
}

// cMetadata holds metadata names and values as C strings, with the two pointer arrays that
// layer_signer_sign_with takes, in one C allocation (C may not receive arrays of Go pointers).
type cMetadata struct {
	block         unsafe.Pointer
	names, values **C.char
	count         C.size_t
}

func newCMetadata(m map[string]string) (cMetadata, error) {
	if len(m) == 0 {
		return cMetadata{}, nil
	}
	text := 0
	for name, value := range m {
		if err := checkText(fmt.Sprintf("SignOptions.Metadata name %q", name), name); err != nil {
			return cMetadata{}, err
		}
		if err := checkText(fmt.Sprintf("SignOptions.Metadata[%q]", name), value); err != nil {
			return cMetadata{}, err
		}
		text += len(name) + len(value) + 2
	}
	n := len(m)
	pointers := 2 * n * int(unsafe.Sizeof((*C.char)(nil)))
	block := C.malloc(C.size_t(pointers + text))
	if block == nil {
		panic("layeridentity: out of memory")
	}
	ptrs := unsafe.Slice((**C.char)(block), 2*n)
	buf := unsafe.Slice((*byte)(unsafe.Add(block, pointers)), text)
	off, i := 0, 0
	put := func(s string) *C.char {
		p := (*C.char)(unsafe.Pointer(&buf[off]))
		off += copy(buf[off:], s)
		buf[off] = 0
		off++
		return p
	}
	for name, value := range m {
		ptrs[i] = put(name)
		ptrs[n+i] = put(value)
		i++
	}
	return cMetadata{block: block, names: &ptrs[0], values: &ptrs[n], count: C.size_t(n)}, nil
}

func (m cMetadata) free() {
	if m.block != nil {
		C.free(m.block)
	}
}
