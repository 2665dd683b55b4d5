package layeridentity

/*
#include <stdlib.h>
#include "layer_identity.h"

// layer_signer_sign_n with the four attributes as separate arguments and the metadata packed
// in one buffer: name 0, value 0, name 1, value 1, ... back to back, with their lengths in
// lens in the same order. The arrays the ABI takes are built here, in C memory: Go may not
// hand C an array that holds Go pointers.
static LayerStatus li_sign(const LayerSigner *signer, const char *user_id, size_t user_id_len,
		const char *nonce, size_t nonce_len, int64_t issued_at, int64_t ttl_seconds,
		const char *first, size_t first_len, const char *last, size_t last_len,
		const char *display, size_t display_len, const char *avatar, size_t avatar_len,
		const char *metadata, const size_t *lens, size_t count,
		char **out_token, char **out_error) {
	const char *attributes[LAYER_ATTRIBUTE_COUNT];
	size_t attribute_lens[LAYER_ATTRIBUTE_COUNT];
	attributes[LAYER_ATTRIBUTE_FIRST_NAME] = first;
	attribute_lens[LAYER_ATTRIBUTE_FIRST_NAME] = first_len;
	attributes[LAYER_ATTRIBUTE_LAST_NAME] = last;
	attribute_lens[LAYER_ATTRIBUTE_LAST_NAME] = last_len;
	attributes[LAYER_ATTRIBUTE_DISPLAY_NAME] = display;
	attribute_lens[LAYER_ATTRIBUTE_DISPLAY_NAME] = display_len;
	attributes[LAYER_ATTRIBUTE_AVATAR_URL] = avatar;
	attribute_lens[LAYER_ATTRIBUTE_AVATAR_URL] = avatar_len;
	if (count == 0) {
		return layer_signer_sign_n(signer, user_id, user_id_len, nonce, nonce_len, issued_at,
			ttl_seconds, attributes, attribute_lens, NULL, NULL, NULL, NULL, 0, out_token, out_error);
	}
	// names, values, name lengths, value lengths: one allocation
	void *block = malloc(2 * count * (sizeof(const char *) + sizeof(size_t)));
	if (block == NULL) {
		return LAYER_ERR_INTERNAL; // out of memory: Go reports it without the library's message
	}
	const char **names = block, **values = names + count;
	size_t *name_lens = (size_t *)(values + count), *value_lens = name_lens + count;
	const char *next = metadata;
	for (size_t i = 0; i < count; i++) {
		names[i] = next;
		name_lens[i] = lens[2 * i];
		next += name_lens[i];
		values[i] = next;
		value_lens[i] = lens[2 * i + 1];
		next += value_lens[i];
	}
	LayerStatus status = layer_signer_sign_n(signer, user_id, user_id_len, nonce, nonce_len,
		issued_at, ttl_seconds, attributes, attribute_lens, names, name_lens, values, value_lens,
		count, out_token, out_error);
	free(block);
	return status;
}
*/
import "C"

import (
	"fmt"
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
	passphrase    string
	hasPassphrase bool
	flags         C.uint32_t
	err           error
}

type verifierConfig struct {
	flags C.uint32_t
}

type passphraseOption string

func (p passphraseOption) applySigner(c *signerConfig) {
	c.passphrase, c.hasPassphrase = string(p), true
}

// WithPassphrase gives the passphrase of an encrypted private key (PKCS#8 "ENCRYPTED PRIVATE
// KEY"): its bytes, which need not be UTF-8. It is ignored for an unencrypted key;
// SignerFromEnv refuses it (the passphrase comes from LAYER_PRIVATE_KEY_PASSPHRASE there). No
// error message ever contains it.
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

// ParseTokenType reads a token type by name, by the library's rule for every language (and
// for LAYER_TOKEN_TYPE): "JWS" or "JWT" in any letter case. Anything else is an *Error with
// StatusInvalidArgument.
func ParseTokenType(name string) (TokenType, error) {
	if err := checkABI(); err != nil {
		return JWS, err
	}
	var flags C.uint32_t
	var message *C.char
	p, n := text(name)
	if status := C.layer_token_type_flags(p, n, &flags, &message); status != C.LAYER_OK {
		return JWS, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	if flags&C.LAYER_FLAG_TYP_JWT != 0 {
		return JWT, nil
	}
	return JWS, nil
}

type legacyKeyOption struct{}

func (legacyKeyOption) applySigner(c *signerConfig)     { c.flags |= C.LAYER_FLAG_ALLOW_1024_BIT_KEY }
func (legacyKeyOption) applyVerifier(c *verifierConfig) { c.flags |= C.LAYER_FLAG_ALLOW_1024_BIT_KEY }

// WithLegacy1024BitKey admits the 1024-bit RSA keys that early Layer accounts were issued
// (never the default: RS256 needs 2048 bits). Smaller keys are always refused.
func WithLegacy1024BitKey() KeyOption { return legacyKeyOption{} }

// Signer mints identity tokens with one private key, provider ID and key ID. It is safe for
// concurrent use by any number of goroutines; create one at start-up and share it. Copies of
// a Signer share its key: closing one closes them all.
//
// Close releases the key (its bytes are zeroized); a finalizer does it if the program does
// not. The zero Signer is closed.
type Signer struct {
	h *handle
}

func newSigner(p *C.LayerSigner) *Signer {
	return &Signer{h: newHandle(unsafe.Pointer(p), freeSigner)}
}

func freeSigner(p unsafe.Pointer) { C.layer_signer_free((*C.LayerSigner)(p)) }

// NewSigner loads and checks an RSA private key once, for any number of tokens.
//
// privateKeyPEM is PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY", encrypted PKCS#8 with
// WithPassphrase), base64 DER or DER itself; CRLF, surrounding whitespace, literal \n escapes
// and lost line breaks are tolerated. It must be RSA, at least 2048 bits (see
// WithLegacy1024BitKey). providerID is "layer:///providers/<uuid>" or the bare UUID, keyID
// "layer:///keys/<uuid>" or the bare UUID. A nil privateKeyPEM is ErrNullArgument.
//
// The library reads privateKeyPEM during the call and keeps its own copy, which it zeroizes
// when the signer is closed; the slice stays the caller's.
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
	key, keyLen := byteArg(privateKeyPEM)
	var passphrase *C.uint8_t
	var passphraseLen C.size_t
	if cfg.hasPassphrase {
		p, n := text(cfg.passphrase)
		passphrase, passphraseLen = (*C.uint8_t)(unsafe.Pointer(p)), n
	}
	provider, providerLen := text(providerID)
	kid, kidLen := text(keyID)
	var out *C.LayerSigner
	var message *C.char
	status := C.layer_signer_new_n(key, keyLen, passphrase, passphraseLen, provider, providerLen,
		kid, kidLen, cfg.flags, &out, &message)
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
	if cfg.hasPassphrase {
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
	// IssuedAt is the token's "iat", floored to a second; the zero time.Time means now. A
	// time before 1970 is refused.
	IssuedAt time.Time
	// TTL is the token's lifetime ("exp" - "iat"), a whole number of seconds; zero means 600 s
	// (DefaultTTL; a Layer nonce lives 10 minutes). A negative TTL is refused.
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
	ttl, err := seconds("SignOptions.TTL", o.TTL)
	if err != nil {
		return "", err
	}
	// The metadata as li_sign takes it: name, value, name, value, ... in one buffer.
	var metadata []byte
	var lens []C.size_t
	if len(o.Metadata) > 0 {
		size := 0
		for name, value := range o.Metadata {
			size += len(name) + len(value)
		}
		metadata = make([]byte, 0, max(size, 1)) // never nil: a pointer to pass
		lens = make([]C.size_t, 0, 2*len(o.Metadata))
		for name, value := range o.Metadata {
			metadata = append(append(metadata, name...), value...)
			lens = append(lens, C.size_t(len(name)), C.size_t(len(value)))
		}
	}
	user, userLen := text(userID)
	n, nLen := text(nonce)
	first, firstLen := text(o.FirstName)
	last, lastLen := text(o.LastName)
	display, displayLen := text(o.DisplayName)
	avatar, avatarLen := text(o.AvatarURL)
	var meta *C.char
	var metaLens *C.size_t
	if lens != nil {
		meta, metaLens = (*C.char)(unsafe.Pointer(unsafe.SliceData(metadata))), &lens[0]
	}

	p, err := s.handle().acquire("Signer.SignWith")
	if err != nil {
		return "", err
	}
	var token, message *C.char
	status := C.li_sign((*C.LayerSigner)(p), user, userLen, n, nLen, unixTime(o.IssuedAt), ttl,
		first, firstLen, last, lastLen, display, displayLen, avatar, avatarLen,
		meta, metaLens, C.size_t(len(lens)/2), &token, &message)
	s.h.release()
	if status != C.LAYER_OK {
		return "", libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeString(token), nil
}

// PublicKeyPEM is the signer's public key as SPKI PEM ("BEGIN PUBLIC KEY"): the text to
// upload to Layer for this key ID, or to give NewVerifier.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	p, err := s.handle().acquire("Signer.PublicKeyPEM")
	if err != nil {
		return nil, err
	}
	var pem, message *C.char
	status := C.layer_signer_public_key_pem((*C.LayerSigner)(p), &pem, &message)
	s.h.release()
	if status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return takeBytes(pem), nil
}

// Close releases the signer and zeroizes its key, for every copy of it. It never blocks:
// signatures in flight finish, and the last of them releases the key. It may be called any
// number of times from any goroutine and always returns nil; afterwards every method returns
// an error matching ErrClosed.
func (s *Signer) Close() error {
	s.handle().close()
	return nil
}

// handle is the signer's handle; nil for a nil *Signer, which is closed.
func (s *Signer) handle() *handle {
	if s == nil {
		return nil
	}
	return s.h
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
	ttlSeconds, err := seconds("ttl", ttl)
	if err != nil {
		return "", err
	}
	key, keyLen := byteArg(privateKeyPEM)
	provider, providerLen := text(providerID)
	kid, kidLen := text(keyID)
	user, userLen := text(userID)
	n, nLen := text(nonce)
	var token, message *C.char
	status := C.layer_sign_token_n(key, keyLen, provider, providerLen, kid, kidLen, user, userLen,
		n, nLen, unixTime(issuedAt), ttlSeconds, &token, &message)
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

// unixTime is t as the ABI's Unix seconds (floored): 0, which the library reads as now or
// the system clock, for the zero time.Time; negative before 1970, which the library refuses.
func unixTime(t time.Time) C.int64_t {
	if t.IsZero() {
		return 0
	}
	return C.int64_t(t.Unix())
}

// seconds is d as the ABI's whole seconds; the library decides which values it accepts (a
// negative one is refused). A duration that is not a whole number of seconds has no such
// value: an *Error naming the argument, rather than a silently rounded lifetime.
func seconds(name string, d time.Duration) (C.int64_t, error) {
	if d%time.Second != 0 {
		return 0, argError(name, fmt.Sprintf("is %v, not a whole number of seconds", d))
	}
	return C.int64_t(d / time.Second), nil
}
