package layeridentity

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func decodeSegment(t *testing.T, token string, i int) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDefaults(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	before := time.Now().Unix()
	token, err := s.Sign("alice@example.com", "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Unix()
	if h := decodeSegment(t, token, 0); h != `{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"`+testKeyID+`"}` {
		t.Fatalf("header %s", h)
	}
	claims, err := v.Verify(token, VerifyOptions{Nonce: "nonce-1"})
	if err != nil {
		t.Fatal(err)
	}
	if iat := claims.IssuedAt.Unix(); iat < before || iat > after {
		t.Fatalf("iat %d not in [%d, %d]", iat, before, after)
	}
	if DefaultTTL != 600*time.Second || DefaultLeeway != 60*time.Second {
		t.Fatalf("defaults %v, %v", DefaultTTL, DefaultLeeway)
	}
	if ttl := claims.ExpiresAt.Sub(claims.IssuedAt); ttl != DefaultTTL {
		t.Fatalf("default lifetime %v", ttl)
	}
	if claims.ProviderID != testProvider || claims.UserID != "alice@example.com" || claims.Nonce != "nonce-1" ||
		claims.FirstName != "" || claims.Metadata != nil {
		t.Fatalf("claims %+v", claims)
	}
	if err := independentVerify(token, vectorFile(t, "keys/rsa2048.public.pem")); err != nil {
		t.Fatal(err)
	}

	jwt := newTestSigner(t, WithTokenType(JWT))
	token, err = jwt.Sign("alice", "n")
	if err != nil || !strings.HasPrefix(decodeSegment(t, token, 0), `{"typ":"JWT",`) {
		t.Fatalf("WithTokenType(JWT): %v %s", err, token)
	}
	if _, err := v.Verify(token, VerifyOptions{Nonce: "n"}); err != nil {
		t.Fatalf("the verifier takes typ JWT: %v", err)
	}
	jws := newTestSigner(t, WithTokenType(JWT), WithTokenType(JWS), nil)
	if token, _ = jws.Sign("alice", "n"); !strings.HasPrefix(decodeSegment(t, token, 0), `{"typ":"JWS",`) {
		t.Fatal("the last WithTokenType wins")
	}
}

func TestSignWithAttributesAndMetadata(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	iat := time.Date(2023, 11, 14, 22, 13, 20, 999_000_000, time.FixedZone("CET", 3600))
	o := SignOptions{
		IssuedAt: iat, TTL: time.Hour,
		FirstName: "Alice", LastName: "Liddell", DisplayName: "Alice L.", AvatarURL: "https://example.com/a.png",
		Metadata: map[string]string{"plan": "pro", "team": "blue", "empty": ""},
	}
	token, err := s.SignWith("alice", "n", o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"iss":"` + testProvider + `","prn":"alice","iat":1699996400,"exp":1700000000,"nce":"n",` +
		`"first_name":"Alice","last_name":"Liddell","display_name":"Alice L.","avatar_url":"https://example.com/a.png",` +
		`"metadata":{"empty":"","plan":"pro","team":"blue"}}`
	if got := decodeSegment(t, token, 1); got != want {
		t.Fatalf("claims\n got %s\nwant %s", got, want)
	}
	claims, err := v.Verify(token, VerifyOptions{Nonce: "n", Now: iat.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if claims.FirstName != "Alice" || claims.AvatarURL != o.AvatarURL || len(claims.Metadata) != 3 ||
		claims.Metadata["empty"] != "" || !claims.IssuedAt.Equal(iat.Truncate(time.Second)) {
		t.Fatalf("claims %+v", claims)
	}
	if claims.JSON != want {
		t.Fatalf("JSON %s", claims.JSON)
	}
	// The empty metadata map and nil give the same token.
	a, _ := s.SignWith("alice", "n", SignOptions{IssuedAt: iat, Metadata: map[string]string{}})
	b, _ := s.SignWith("alice", "n", SignOptions{IssuedAt: iat})
	if a != b || a == "" {
		t.Fatal("empty metadata is not left out")
	}
	if _, err := s.SignWith("alice", "n", SignOptions{Metadata: map[string]string{"": "x"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty metadata name: %v", err)
	}
}

// Values the library refuses reach it as they are, and come back as an *Error with its
// status and a message that names the argument as the library calls it: U+0000 inside a
// text, a negative time, an empty expected nonce. The few arguments Go cannot convert (a
// duration of a fraction of a second, a key size beyond uint32, contradictory options) are
// refused by the wrapper the same way, naming the Go argument.
func TestArgumentsRefused(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	key := testKey(t)
	token, err := s.Sign("alice", "n")
	if err != nil {
		t.Fatal(err)
	}
	sign := func(o SignOptions) func() error {
		return func() error { _, err := s.SignWith("alice", "n", o); return err }
	}
	verify := func(token string, o VerifyOptions) func() error {
		return func() error { _, err := v.Verify(token, o); return err }
	}
	cases := []struct {
		name, argument string
		call           func() error
	}{
		// The library's refusals.
		{"user ID with U+0000", "user_id", func() error { _, err := s.Sign("al\x00ice", "n"); return err }},
		{"nonce with U+0000", "nonce", func() error { _, err := s.Sign("alice", "n\x00"); return err }},
		{"first name with U+0000", "first_name", sign(SignOptions{FirstName: "\x00"})},
		{"avatar URL with U+0000", "avatar_url", sign(SignOptions{AvatarURL: "a\x00"})},
		{"metadata name with U+0000", "metadata_names", sign(SignOptions{Metadata: map[string]string{"a\x00": "x"}})},
		{"metadata value with U+0000", "metadata_values", sign(SignOptions{Metadata: map[string]string{"a": "x\x00"}})},
		{"negative TTL", "ttl_seconds", sign(SignOptions{TTL: -time.Second})},
		{"TTL over 2^32-1 s", "ttl_seconds", sign(SignOptions{TTL: 1 << 32 * time.Second})},
		{"issued before 1970", "issued_at", sign(SignOptions{IssuedAt: time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)})},
		{"issued half a second before 1970", "issued_at", sign(SignOptions{IssuedAt: time.Unix(0, 0).Add(-time.Second / 2)})},
		{"provider ID with U+0000", "provider_id", func() error { _, err := NewSigner(key, testProvider+"\x00", testKeyID); return err }},
		{"key ID with U+0000", "key_id", func() error { _, err := NewVerifier(key, testProvider, "\x00"+testKeyID); return err }},
		{"token with U+0000", "token", verify("a.b\x00.c", VerifyOptions{SkipNonceCheck: true})},
		{"expected nonce with U+0000", "expected_nonce", verify(token, VerifyOptions{Nonce: "\x00"})},
		{"empty expected nonce", "expected_nonce", verify(token, VerifyOptions{})},
		{"now before 1970", "now", verify(token, VerifyOptions{Nonce: "n", Now: time.Unix(-1, 0)})},
		{"negative leeway", "leeway_seconds", verify(token, VerifyOptions{Nonce: "n", Leeway: -time.Second})},
		{"SignToken TTL", "ttl_seconds", func() error {
			_, err := SignToken(key, testProvider, testKeyID, "a", "n", time.Time{}, -time.Second)
			return err
		}},
		{"SignToken user ID", "user_id", func() error {
			_, err := SignToken(key, testProvider, testKeyID, "\x00", "n", time.Time{}, 0)
			return err
		}},
		{"InspectToken with U+0000", "token", func() error { _, _, err := InspectToken("\x00"); return err }},
		{"token type", "token_type", func() error { _, err := ParseTokenType("JWE"); return err }},
		// The wrapper's: values Go cannot convert, options that contradict each other.
		{"TTL not whole seconds", "SignOptions.TTL", sign(SignOptions{TTL: 1500 * time.Millisecond})},
		{"leeway not whole seconds", "VerifyOptions.Leeway", verify(token, VerifyOptions{Nonce: "n", Leeway: time.Millisecond})},
		{"nonce and no nonce check", "VerifyOptions.SkipNonceCheck", verify(token, VerifyOptions{Nonce: "n", SkipNonceCheck: true})},
		{"undefined token type", "WithTokenType", func() error {
			_, err := NewSigner(key, testProvider, testKeyID, WithTokenType(TokenType(7)))
			return err
		}},
		{"passphrase option from the environment", "WithPassphrase", func() error {
			_, err := SignerFromEnv(WithPassphrase("x"))
			return err
		}},
		{"negative key size", "bits", func() error { _, _, err := GenerateKeyPair(-2048); return err }},
		{"key size over uint32", "bits", func() error { _, _, err := GenerateKeyPair(1 << 40); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			e := asError(t, err)
			if e.Status != StatusInvalidArgument || e.Name != "LAYER_ERR_INVALID_ARGUMENT" || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("%v: want StatusInvalidArgument", err)
			}
			if !strings.HasPrefix(e.Message, c.argument) {
				t.Fatalf("message %q does not name %s", e.Message, c.argument)
			}
		})
	}
}

// An empty expected nonce is an error, not "skip the check": a nonce that never arrived
// (a missing form field, an unset variable) cannot make a token for another session's nonce
// verify. (Before ABI 3 the wrapper passed NULL for "", and this token verified.)
func TestEmptyExpectedNonceIsRefused(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	token, err := s.Sign("alice", "the-nonce-of-another-session")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(token, VerifyOptions{Nonce: ""})
	if !errors.Is(err, ErrInvalidArgument) || claims != nil {
		t.Fatalf("an empty expected nonce: %v, %+v", err, claims)
	}
	if !strings.Contains(err.Error(), "expected_nonce") {
		t.Fatalf("the message does not name the argument: %v", err)
	}
	// Skipping the check is an explicit option.
	claims, err = v.Verify(token, VerifyOptions{SkipNonceCheck: true})
	if err != nil || claims.Nonce != "the-nonce-of-another-session" {
		t.Fatalf("SkipNonceCheck: %v %+v", err, claims)
	}
	if _, err := v.Verify(token, VerifyOptions{Nonce: "mine"}); !errors.Is(err, ErrClaimMismatch) {
		t.Fatalf("another nonce: %v", err)
	}
}

// The core's rules reach Go untouched: an empty attribute is left out of the token, like an
// absent one (the other wrappers used to write "first_name":""); a zero TTL is 600 s; the
// zero time is now.
func TestCoreRulesPassThrough(t *testing.T) {
	s := newTestSigner(t)
	iat := time.Unix(1_700_000_000, 0)
	empty, err := s.SignWith("alice", "n", SignOptions{IssuedAt: iat, FirstName: "", LastName: "L", DisplayName: ""})
	if err != nil {
		t.Fatal(err)
	}
	absent, err := s.SignWith("alice", "n", SignOptions{IssuedAt: iat, LastName: "L", TTL: DefaultTTL})
	if err != nil || empty != absent {
		t.Fatalf("an empty attribute is written (%v):\n%s\n%s", err, decodeSegment(t, empty, 1), decodeSegment(t, absent, 1))
	}
	if claims := decodeSegment(t, empty, 1); strings.Contains(claims, "first_name") || !strings.Contains(claims, `"exp":1700000600`) {
		t.Fatalf("claims %s", claims)
	}
}

func TestParseTokenType(t *testing.T) {
	for name, want := range map[string]TokenType{"JWS": JWS, "jwt": JWT, "Jwt": JWT, "jws": JWS} {
		if got, err := ParseTokenType(name); err != nil || got != want {
			t.Errorf("ParseTokenType(%q) = %v, %v", name, got, err)
		}
	}
	for _, name := range []string{"", "JWE", "JWT ", "jwt\x00"} {
		if _, err := ParseTokenType(name); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseTokenType(%q): %v", name, err)
		}
	}
}

// Invalid UTF-8 crosses to the library, which reports it in its own words.
func TestInvalidUTF8IsTheLibrarysError(t *testing.T) {
	s := newTestSigner(t)
	_, err := s.Sign("\xc3\x28", "n")
	if e := asError(t, err); e.Status != StatusInvalidUTF8 || !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("%v", err)
	}
	_, err = s.SignWith("alice", "n", SignOptions{Metadata: map[string]string{"k": "\xff"}})
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("metadata value: %v", err)
	}
}

func TestNilKeyIsTheLibrarysNullArgument(t *testing.T) {
	for name, call := range map[string]func() error{
		"NewSigner":   func() error { _, err := NewSigner(nil, testProvider, testKeyID); return err },
		"NewVerifier": func() error { _, err := NewVerifier(nil, testProvider, testKeyID); return err },
		"SignToken": func() error {
			_, err := SignToken(nil, testProvider, testKeyID, "a", "n", time.Time{}, 0)
			return err
		},
	} {
		if err := call(); !errors.Is(err, ErrNullArgument) {
			t.Errorf("%s(nil key): %v", name, err)
		}
	}
	// An empty, non-nil key is a key that does not load.
	if _, err := NewSigner([]byte{}, testProvider, testKeyID); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("empty key: %v", err)
	}
}

func TestLeeway(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	iat := time.Unix(1_700_000_000, 0)
	token, err := s.SignWith("alice", "n", SignOptions{IssuedAt: iat, TTL: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	exp := iat.Add(10 * time.Second)
	for _, c := range []struct {
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{exp.Add(-time.Second), NoLeeway, nil},
		{exp, NoLeeway, ErrExpired},
		{exp.Add(59 * time.Second), 0, nil}, // DefaultLeeway
		{exp.Add(60 * time.Second), 0, ErrExpired},
		{exp.Add(2 * time.Minute), 3 * time.Minute, nil},
		{iat.Add(-60 * time.Second), 0, nil},
		{iat.Add(-61 * time.Second), 0, ErrNotYetValid},
		{iat.Add(-time.Second), NoLeeway, ErrNotYetValid},
	} {
		_, err := v.Verify(token, VerifyOptions{Nonce: "n", Now: c.now, Leeway: c.leeway})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("now exp%+ds leeway %v: %v, want %v", c.now.Unix()-exp.Unix(), c.leeway, err, c.want)
		}
	}
	_, err = v.Verify(token, VerifyOptions{Nonce: "n", Now: exp.Add(time.Hour)})
	if e := asError(t, err); e.EitCode != EitExpired || !strings.HasPrefix(e.Message, "eit_expired") {
		t.Fatalf("%+v", e)
	}
	_, err = v.Verify(token, VerifyOptions{Now: iat, Nonce: "other"})
	if e := asError(t, err); e.EitCode != EitNonceNotFound || !errors.Is(err, ErrClaimMismatch) {
		t.Fatalf("%+v", e)
	}
}

func TestGenerateKeyPair(t *testing.T) {
	private, public, err := GenerateKeyPair(0)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(public)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("public key %q", public)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := k.(*rsa.PublicKey); !ok || pub.N.BitLen() != 2048 || pub.E != 65537 {
		t.Fatalf("public key %T", k)
	}
	if block, _ := pem.Decode(private); block == nil || block.Type != "PRIVATE KEY" {
		t.Fatal("private key is not PKCS#8 PEM")
	}
	s, err := NewSigner(private, testProvider, testKeyID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	derived, err := s.PublicKeyPEM()
	if err != nil || string(derived) != string(public) {
		t.Fatalf("PublicKeyPEM differs from the generated public key: %v", err)
	}
	token, err := s.Sign("alice", "n")
	if err != nil {
		t.Fatal(err)
	}
	if err := independentVerify(token, public); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GenerateKeyPair(1024); !errors.Is(err, ErrWeakKey) {
		t.Fatalf("1024 bits: %v", err)
	}
}

func TestSignTokenAndInspect(t *testing.T) {
	key := testKey(t)
	token, err := SignToken(key, testProvider, testKeyID, "alice", "n", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	header, claims, err := InspectToken(token)
	if err != nil || !strings.HasPrefix(header, `{"typ":"JWS"`) || !strings.Contains(claims, `"prn":"alice"`) {
		t.Fatalf("%v %s %s", err, header, claims)
	}
	ClearKeyCache()
	again, err := SignToken(key, testProvider, testKeyID, "alice", "n", time.Time{}, 0)
	if err != nil || len(again) != len(token) {
		t.Fatalf("after ClearKeyCache: %v", err)
	}
	if _, _, err := InspectToken("not a token"); !errors.Is(err, ErrMalformedToken) {
		t.Fatalf("%v", err)
	}
}

func TestErrorFormatting(t *testing.T) {
	_, err := NewSigner(testKey(t), "YOUR_PROVIDER_ID", testKeyID)
	e := asError(t, err)
	if !strings.HasPrefix(err.Error(), "layeridentity: ") || !strings.HasSuffix(err.Error(), "(LAYER_ERR_INVALID_ARGUMENT)") ||
		!strings.Contains(err.Error(), e.Message) {
		t.Fatalf("Error() = %q", err.Error())
	}
	if ErrExpired.Error() != "layeridentity: LAYER_ERR_EXPIRED" || errors.Is(err, ErrExpired) {
		t.Fatal("sentinels")
	}
	var target *Error
	if errors.As(ErrExpired, &target) {
		t.Fatal("a sentinel is not an *Error")
	}
}

// Keys cross as bytes: DER itself is a key, and a key with a NUL byte in it is a key that
// does not load (never quoted in the message).
func TestKeyBytes(t *testing.T) {
	block, _ := pem.Decode(testKey(t))
	s, err := NewSigner(block.Bytes, testProvider, testKeyID)
	if err != nil {
		t.Fatalf("DER: %v", err)
	}
	defer s.Close()
	derived, err := s.PublicKeyPEM()
	if err != nil || string(derived) != string(vectorFile(t, "keys/rsa2048.public.pem")) {
		t.Fatalf("the DER key's public key: %v", err)
	}
	key := testKey(t)
	withNUL := append(append(append([]byte{}, key[:100]...), 0), key[100:]...)
	_, err = NewSigner(withNUL, testProvider, testKeyID)
	if !errors.Is(err, ErrInvalidKey) || strings.Contains(err.Error(), string(key[40:56])) {
		t.Fatalf("a key with a NUL byte: %v", err)
	}
}

// Without cgo the package cannot work; the build says so in its first error, naming cgo
// and a C compiler (it said "undefined: Signer").
func TestBuildWithoutCgo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("the package built without cgo")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "requires_cgo") || !strings.Contains(lines[1], "CGO_ENABLED_1_and_a_C_compiler") {
		t.Fatalf("the build without cgo said:\n%s", out)
	}
}
