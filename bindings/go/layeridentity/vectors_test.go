package layeridentity

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/internal/exactjson"
)

// The shared vectors (vectors/README.md), through the typed Go API.

// flagOptions maps a case's flag names to the options that set them.
func flagOptions(t *testing.T, names []string) (signer []SignerOption, verifier []VerifierOption) {
	t.Helper()
	for _, name := range names {
		switch name {
		case "TYP_JWT":
			signer = append(signer, WithTokenType(JWT))
		case "ALLOW_1024_BIT_KEY":
			signer = append(signer, WithLegacy1024BitKey())
			verifier = append(verifier, WithLegacy1024BitKey())
		default:
			t.Fatalf("unknown flag name %q", name)
		}
	}
	return signer, verifier
}

// vectorTime is a vector's time in seconds as a time.Time: 0 is the zero time (now, the
// system clock). A case of ABI 3 gives a negative time as it is, for the library to refuse;
// in the other cases a negative time is the NUL-terminated functions' "now" too.
func vectorTime(seconds int64, abi int) time.Time {
	if seconds == 0 || (seconds < 0 && abi < 3) {
		return time.Time{}
	}
	return time.Unix(seconds, 0)
}

// leeway is a vector's leeway in seconds as VerifyOptions.Leeway: the ABI's 0 is no
// leeway (NoLeeway), since Go's zero Leeway is the default.
func leeway(seconds int64) time.Duration {
	if seconds == 0 {
		return NoLeeway
	}
	return time.Duration(seconds) * time.Second
}

type signCase struct {
	Name               string   `json:"name"`
	ABI                int      `json:"abi"`
	PrivateKeyFile     string   `json:"private_key_file"`
	Passphrase         *textArg `json:"passphrase"`
	TokenType          *string  `json:"token_type"`
	ProviderID         string   `json:"provider_id"`
	KeyID              string   `json:"key_id"`
	UserID             string   `json:"user_id"`
	Nonce              string   `json:"nonce"`
	IssuedAt           int64    `json:"issued_at"`
	TTLSeconds         int64    `json:"ttl_seconds"`
	Flags              []string
	AttributesJSON     *string `json:"attributes_json"`
	OneShot            bool    `json:"one_shot"`
	ExpectedHeaderJSON string  `json:"expected_header_json"`
	ExpectedClaimsJSON string  `json:"expected_claims_json"`
	ExpectedToken      string  `json:"expected_token"`
}

func TestSignVectors(t *testing.T) {
	cases := loadCases[signCase](t, "sign.json")
	independent, skippedIndependent := 0, 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			key := vectorFile(t, c.PrivateKeyFile)
			opts, _ := flagOptions(t, c.Flags)
			if c.Passphrase != nil && !c.Passphrase.null {
				opts = append(opts, WithPassphrase(c.Passphrase.value))
			}
			if c.TokenType != nil {
				typ, err := ParseTokenType(*c.TokenType)
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, WithTokenType(typ))
			}
			s, err := NewSigner(key, c.ProviderID, c.KeyID, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			o := SignOptions{IssuedAt: vectorTime(c.IssuedAt, c.ABI), TTL: time.Duration(c.TTLSeconds) * time.Second}
			if c.AttributesJSON != nil {
				attrs, why := signOptionsFromJSON([]byte(*c.AttributesJSON))
				if why != "" {
					t.Fatalf("a signing vector the typed API cannot express: %s", why)
				}
				attrs.IssuedAt, attrs.TTL = o.IssuedAt, o.TTL
				o = attrs
			}
			token, err := s.SignWith(c.UserID, c.Nonce, o)
			if err != nil {
				t.Fatal(err)
			}
			if token != c.ExpectedToken {
				t.Fatalf("token differs\n got: %s\nwant: %s", token, c.ExpectedToken)
			}
			parts := strings.Split(token, ".")
			for i, want := range []string{c.ExpectedHeaderJSON, c.ExpectedClaimsJSON} {
				got, err := base64.RawURLEncoding.DecodeString(parts[i])
				if err != nil || string(got) != want {
					t.Fatalf("segment %d is %q (%v), want %q", i, got, err, want)
				}
			}
			// Our own verifier accepts it, with these claims.
			public, err := s.PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			_, verifierOpts := flagOptions(t, c.Flags) // the token type is the signer's alone
			v, err := NewVerifier(public, c.ProviderID, c.KeyID, verifierOpts...)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			claims, err := v.Verify(token, VerifyOptions{Nonce: c.Nonce, Now: time.Unix(c.IssuedAt, 0), Leeway: NoLeeway})
			if err != nil {
				t.Fatalf("our verifier rejects the token: %v", err)
			}
			checkClaims(t, claims, c.ExpectedClaimsJSON)
			if c.OneShot {
				oneShot, err := SignToken(key, c.ProviderID, c.KeyID, c.UserID, c.Nonce, o.IssuedAt, o.TTL)
				if err != nil || oneShot != c.ExpectedToken {
					t.Fatalf("SignToken: %v, %q", err, oneShot)
				}
			}
			if err := independentVerify(token, public); err != nil {
				if _, goRefuses := goPublicKey(public); goRefuses == nil {
					t.Fatalf("crypto/rsa rejects the token: %v", err)
				}
				skippedIndependent++ // Go cannot load the key (e = 2^32 - 1)
				return
			}
			independent++
		})
	}
	t.Logf("%d signing vectors byte for byte; %d also verified by crypto/rsa, %d keys crypto/rsa cannot load",
		len(cases), independent, skippedIndependent)
}

// textArg is a string argument of errors.json: a string, null, or {"hex": "..."} bytes.
type textArg struct {
	value string
	null  bool
}

func (a *textArg) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		a.null = true
		return nil
	}
	if len(b) > 0 && b[0] == '{' {
		var h struct{ Hex string }
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		raw, err := hex.DecodeString(strings.ReplaceAll(h.Hex, " ", ""))
		if err != nil {
			return err
		}
		a.value = string(raw)
		return nil
	}
	return json.Unmarshal(b, &a.value)
}

type errorCase struct {
	Name            string `json:"name"`
	Call            string `json:"call"`
	ABI             int    `json:"abi"`
	ExpectedStatus  string `json:"expected_status"`
	MessageContains string `json:"message_contains"`
	// NULTerminatedOnly marks a key given as text that is not UTF-8, refused as such only by
	// the NUL-terminated functions: the Go API passes keys as bytes to the _n functions,
	// which read the same bytes as a key that does not load (LAYER_ERR_INVALID_KEY).
	NULTerminatedOnly bool `json:"nul_terminated_only"`
	Args              struct {
		PrivateKeyFile *string  `json:"private_key_file"`
		KeyFile        *string  `json:"key_file"`
		PrivateKey     *textArg `json:"private_key"`
		Key            *textArg `json:"key"`
		Passphrase     *textArg `json:"passphrase"`
		ProviderID     textArg  `json:"provider_id"`
		KeyID          textArg  `json:"key_id"`
		UserID         textArg  `json:"user_id"`
		Nonce          textArg  `json:"nonce"`
		IssuedAt       int64    `json:"issued_at"`
		TTLSeconds     int64    `json:"ttl_seconds"`
		Flags          []string `json:"flags"`
		FlagsValue     *int64   `json:"flags_value"`
		AttributesJSON *textArg `json:"attributes_json"`
		Bits           int64    `json:"bits"`
		Signer         *struct {
			PrivateKeyFile string   `json:"private_key_file"`
			Passphrase     *string  `json:"passphrase"`
			ProviderID     string   `json:"provider_id"`
			KeyID          string   `json:"key_id"`
			Flags          []string `json:"flags"`
		} `json:"signer"`
		// ABI 3: the attributes and metadata of layer_signer_sign_n, the arguments of
		// layer_verifier_verify_n and of layer_token_type_flags.
		Attributes map[string]textArg `json:"attributes"`
		Metadata   [][]textArg        `json:"metadata"`
		Verifier   *struct {
			KeyFile    string   `json:"key_file"`
			ProviderID string   `json:"provider_id"`
			KeyID      string   `json:"key_id"`
			Flags      []string `json:"flags"`
		} `json:"verifier"`
		Token         textArg `json:"token"`
		ExpectedNonce textArg `json:"expected_nonce"`
		Now           int64   `json:"now"`
		LeewaySeconds int64   `json:"leeway_seconds"`
		TokenType     textArg `json:"token_type"`
	} `json:"args"`
}

// inexpressibleErrorCases are the errors.json cases whose one fault the Go API cannot
// express at all, by name, with the reason. The test checks this list against the cases
// themselves (a case listed here must be inexpressible, every other case is run), so a new
// vector cannot be skipped silently.
var inexpressibleErrorCases = map[string]string{
	"sign-token-null-provider-id":   "a Go string cannot be nil (NULL)",
	"sign-token-null-key-id":        "a Go string cannot be nil (NULL)",
	"sign-token-null-user-id":       "a Go string cannot be nil (NULL)",
	"sign-token-null-nonce":         "a Go string cannot be nil (NULL)",
	"signer-new-null-provider-id":   "a Go string cannot be nil (NULL)",
	"signer-new-null-key-id":        "a Go string cannot be nil (NULL)",
	"signer-sign-null-user-id":      "a Go string cannot be nil (NULL)",
	"signer-sign-null-nonce":        "a Go string cannot be nil (NULL)",
	"verifier-new-null-provider-id": "a Go string cannot be nil (NULL)",
	"verifier-new-null-key-id":      "a Go string cannot be nil (NULL)",
	"signer-new-unknown-flag-bit":   "options set only defined flags; no option sets an undefined bit",
	"verifier-new-unknown-flag-bit": "options set only defined flags; no option sets an undefined bit",

	"signer-sign-attributes-unknown-member":                  "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-unknown-member-camel-case":       "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-claim-override-iss":              "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-claim-override-prn":              "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-unknown-member-beside-metadata":  "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-unknown-member-encrypted-signer": "SignOptions has no such field (the compiler refuses it)",
	"signer-sign-attributes-non-string-number":               "an attribute is a Go string: no number, object, array or null",
	"signer-sign-attributes-non-string-null":                 "an attribute is a Go string: no number, object, array or null",
	"signer-sign-attributes-non-string-object":               "an attribute is a Go string: no number, object, array or null",
	"signer-sign-attributes-non-string-array":                "an attribute is a Go string: no number, object, array or null",
	"signer-sign-attributes-null-attribute-beside-metadata":  "an attribute is a Go string: no number, object, array or null",
	"signer-sign-attributes-not-object-array":                "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-not-object-string":               "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-not-object-null-literal":         "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-invalid-json-truncated":          "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-invalid-json-trailing-garbage":   "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-invalid-json-empty-string":       "SignOptions is a struct, not JSON text",
	"signer-sign-attributes-duplicate-member":                "a struct field is set once",
	"signer-sign-attributes-duplicate-member-via-escape":     "a struct field is set once",
	"signer-sign-attributes-duplicate-metadata-member":       "a struct field is set once",
	"signer-sign-metadata-not-object-string":                 "Metadata is a map[string]string",
	"signer-sign-metadata-not-object-array":                  "Metadata is a map[string]string",
	"signer-sign-metadata-not-object-number":                 "Metadata is a map[string]string",
	"signer-sign-metadata-not-object-true":                   "Metadata is a map[string]string",
	"signer-sign-metadata-not-object-false":                  "Metadata is a map[string]string",
	"signer-sign-metadata-value-number":                      "Metadata is a map[string]string",
	"signer-sign-metadata-value-null":                        "Metadata is a map[string]string",
	"signer-sign-metadata-value-object":                      "Metadata is a map[string]string",
	"signer-sign-metadata-value-array":                       "Metadata is a map[string]string",
	"signer-sign-metadata-value-boolean":                     "Metadata is a map[string]string",
	"signer-sign-metadata-duplicate-name":                    "a Go map holds each name once",
	"signer-sign-metadata-duplicate-name-via-escape":         "a Go map holds each name once",
}

// keyArg is the key argument of a case: a file's bytes, inline text, or nil for NULL.
func keyArg(t *testing.T, file *string, inline *textArg) (key []byte, null bool) {
	if file != nil {
		return vectorFile(t, *file), false
	}
	if inline == nil || inline.null {
		return nil, true
	}
	return []byte(inline.value), false
}

// runErrorCase runs one case through the Go API; it returns the reason when the Go API
// cannot express the case's fault.
func runErrorCase(t *testing.T, c errorCase) (err error, inexpressible string) {
	a := c.Args
	nullText := func(args ...textArg) bool {
		for _, x := range args {
			if x.null {
				return true
			}
		}
		return false
	}
	const noNull = "a Go string cannot be nil (NULL)"
	definedFlags := func() ([]SignerOption, []VerifierOption, string) {
		if a.FlagsValue != nil {
			var so []SignerOption
			var vo []VerifierOption
			for bit := int64(1); bit <= *a.FlagsValue; bit <<= 1 {
				if *a.FlagsValue&bit == 0 {
					continue
				}
				switch bit {
				case 1:
					so = append(so, WithTokenType(JWT))
				case 2:
					so, vo = append(so, WithLegacy1024BitKey()), append(vo, WithLegacy1024BitKey())
				default:
					return nil, nil, "options set only defined flags; no option sets an undefined bit"
				}
			}
			return so, vo, ""
		}
		so, vo := flagOptions(t, a.Flags)
		return so, vo, ""
	}

	switch c.Call {
	case "sign_token":
		key, _ := keyArg(t, a.PrivateKeyFile, a.PrivateKey)
		if nullText(a.ProviderID, a.KeyID, a.UserID, a.Nonce) {
			return nil, noNull
		}
		_, err = SignToken(key, a.ProviderID.value, a.KeyID.value, a.UserID.value, a.Nonce.value,
			vectorTime(a.IssuedAt, c.ABI), time.Duration(a.TTLSeconds)*time.Second)
	case "signer_new":
		key, _ := keyArg(t, a.PrivateKeyFile, a.PrivateKey)
		if nullText(a.ProviderID, a.KeyID) {
			return nil, noNull
		}
		opts, _, why := definedFlags()
		if why != "" {
			return nil, why
		}
		if a.Passphrase != nil && !a.Passphrase.null {
			opts = append(opts, WithPassphrase(a.Passphrase.value))
		}
		var s *Signer
		s, err = NewSigner(key, a.ProviderID.value, a.KeyID.value, opts...)
		s.Close()
	case "signer_sign":
		spec := a.Signer
		opts, _ := flagOptions(t, spec.Flags)
		if spec.Passphrase != nil {
			opts = append(opts, WithPassphrase(*spec.Passphrase))
		}
		s, serr := NewSigner(vectorFile(t, spec.PrivateKeyFile), spec.ProviderID, spec.KeyID, opts...)
		if serr != nil {
			t.Fatalf("the case's signer must load: %v", serr)
		}
		defer s.Close()
		if nullText(a.UserID, a.Nonce) {
			return nil, noNull
		}
		var o SignOptions
		if a.AttributesJSON != nil && !a.AttributesJSON.null {
			var why string
			if o, why = signOptionsFromJSON([]byte(a.AttributesJSON.value)); why != "" {
				return nil, why
			}
		}
		for name, value := range a.Attributes {
			field := map[string]*string{"first_name": &o.FirstName, "last_name": &o.LastName,
				"display_name": &o.DisplayName, "avatar_url": &o.AvatarURL}[name]
			if field == nil {
				t.Fatalf("unknown attribute %q", name)
			}
			*field = value.value
		}
		for _, pair := range a.Metadata {
			if o.Metadata == nil {
				o.Metadata = map[string]string{}
			}
			if _, dup := o.Metadata[pair[0].value]; dup {
				return nil, "a Go map holds each name once"
			}
			o.Metadata[pair[0].value] = pair[1].value
		}
		o.IssuedAt, o.TTL = vectorTime(a.IssuedAt, c.ABI), time.Duration(a.TTLSeconds)*time.Second
		_, err = s.SignWith(a.UserID.value, a.Nonce.value, o)
	case "verifier_new":
		key, _ := keyArg(t, a.KeyFile, a.Key)
		if nullText(a.ProviderID, a.KeyID) {
			return nil, noNull
		}
		_, opts, why := definedFlags()
		if why != "" {
			return nil, why
		}
		var v *Verifier
		v, err = NewVerifier(key, a.ProviderID.value, a.KeyID.value, opts...)
		v.Close()
	case "verifier_verify":
		spec := a.Verifier
		_, opts := flagOptions(t, spec.Flags)
		v, verr := NewVerifier(vectorFile(t, spec.KeyFile), spec.ProviderID, spec.KeyID, opts...)
		if verr != nil {
			t.Fatalf("the case's verifier must load: %v", verr)
		}
		defer v.Close()
		if a.Token.null {
			return nil, noNull
		}
		o := VerifyOptions{Nonce: a.ExpectedNonce.value, SkipNonceCheck: a.ExpectedNonce.null,
			Now: vectorTime(a.Now, c.ABI), Leeway: leeway(a.LeewaySeconds)}
		_, err = v.Verify(a.Token.value, o)
	case "token_type_flags":
		if a.TokenType.null {
			return nil, noNull
		}
		_, err = ParseTokenType(a.TokenType.value)
	case "generate_key_pair":
		_, _, err = GenerateKeyPair(int(a.Bits))
	default:
		t.Fatalf("unknown call %q", c.Call)
	}
	return err, ""
}

func TestErrorVectors(t *testing.T) {
	cases := loadCases[errorCase](t, "errors.json")
	ran, inexpressible, keyBytes := 0, map[string]string{}, 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			err, why := runErrorCase(t, c)
			if why != "" {
				inexpressible[c.Name] = why
				if _, listed := inexpressibleErrorCases[c.Name]; !listed {
					t.Fatalf("not expressible in Go (%s), and not listed in inexpressibleErrorCases", why)
				}
				return
			}
			if _, listed := inexpressibleErrorCases[c.Name]; listed {
				t.Fatalf("listed as inexpressible, but the Go API expresses it")
			}
			ran++
			if c.NULTerminatedOnly {
				if e := asError(t, err); e.Status != StatusInvalidKey {
					t.Fatalf("a key as bytes: %v, want LAYER_ERR_INVALID_KEY", err)
				}
				keyBytes++
				return
			}
			if err == nil {
				t.Fatalf("succeeded; want %s", c.ExpectedStatus)
			}
			e := asError(t, err)
			if e.Name != c.ExpectedStatus || e.Status.String() != c.ExpectedStatus {
				t.Fatalf("status %s (%v), want %s: %v", e.Name, e.Status, c.ExpectedStatus, err)
			}
			if !errors.Is(err, statusTable[e.Status].sentinel) {
				t.Fatalf("errors.Is(err, sentinel of %s) is false", e.Name)
			}
			if !strings.Contains(strings.ToLower(e.Message), c.MessageContains) {
				t.Fatalf("message %q lacks %q", e.Message, c.MessageContains)
			}
			if e.EitCode != "" {
				t.Fatalf("EitCode %q outside verification", e.EitCode)
			}
			if p := c.Args.Passphrase; p != nil && p.value != "" && strings.Contains(err.Error(), p.value) {
				t.Fatalf("the message quotes the passphrase: %v", err)
			}
		})
	}
	if len(inexpressible) != len(inexpressibleErrorCases) {
		for name := range inexpressibleErrorCases {
			if _, ok := inexpressible[name]; !ok {
				t.Errorf("inexpressibleErrorCases lists %q, which errors.json does not have (or the Go API now expresses)", name)
			}
		}
	}
	t.Logf("%d error vectors: %d run with their exact status and message fragment (%d nul_terminated_only: a key "+
		"read as bytes, refused as a key), "+
		"%d listed as inexpressible in Go", len(cases), ran, keyBytes, len(inexpressible))
}

type verifyCase struct {
	Name               string   `json:"name"`
	Token              string   `json:"token"`
	KeyFile            string   `json:"key_file"`
	ProviderID         string   `json:"provider_id"`
	KeyID              string   `json:"key_id"`
	Flags              []string `json:"flags"`
	ExpectedNonce      *string  `json:"expected_nonce"`
	Now                int64    `json:"now"`
	LeewaySeconds      int64    `json:"leeway_seconds"`
	ExpectedStatus     string   `json:"expected_status"`
	ExpectedEit        *string  `json:"expected_eit"`
	ExpectedClaimsJSON *string  `json:"expected_claims_json"`
}

func TestVerifyVectors(t *testing.T) {
	cases := loadCases[verifyCase](t, "verify.json")
	verifiers := map[string]*Verifier{}
	defer func() {
		for _, v := range verifiers {
			v.Close()
		}
	}()
	accepted := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			config := strings.Join(append([]string{c.KeyFile, c.ProviderID, c.KeyID}, c.Flags...), "\x00")
			v := verifiers[config]
			if v == nil {
				_, opts := flagOptions(t, c.Flags)
				var err error
				if v, err = NewVerifier(vectorFile(t, c.KeyFile), c.ProviderID, c.KeyID, opts...); err != nil {
					t.Fatal(err)
				}
				verifiers[config] = v
			}
			o := VerifyOptions{Now: vectorTime(c.Now, 0), Leeway: leeway(c.LeewaySeconds)}
			if c.ExpectedNonce != nil {
				o.Nonce = *c.ExpectedNonce
			} else {
				o.SkipNonceCheck = true
			}
			claims, err := v.Verify(c.Token, o)
			if c.ExpectedStatus == "LAYER_OK" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				checkClaims(t, claims, *c.ExpectedClaimsJSON)
				accepted++
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %s / %s", c.ExpectedStatus, *c.ExpectedEit)
			}
			e := asError(t, err)
			if e.Name != c.ExpectedStatus || e.EitCode != *c.ExpectedEit {
				t.Fatalf("got %s / %s, want %s / %s: %v", e.Name, e.EitCode, c.ExpectedStatus, *c.ExpectedEit, err)
			}
			if !strings.HasPrefix(e.Message, e.EitCode) {
				t.Fatalf("message %q does not start with %s", e.Message, e.EitCode)
			}
			if !errors.Is(err, statusTable[e.Status].sentinel) {
				t.Fatalf("errors.Is(err, sentinel of %s) is false", e.Name)
			}
		})
	}
	t.Logf("%d verification vectors with their exact status and eit_* identifier (%d accepted, claims compared)",
		len(cases), accepted)
}

// checkClaims compares typed claims with the expected claims JSON: the exact text, and
// every field (null attributes are absent; -0 is the integer 0).
func checkClaims(t *testing.T, got *Claims, expectedJSON string) {
	t.Helper()
	if got.JSON != expectedJSON {
		t.Fatalf("claims JSON %q, want %q", got.JSON, expectedJSON)
	}
	want, err := exactjson.Parse([]byte(expectedJSON))
	if err != nil || want.Kind != exactjson.Object {
		t.Fatalf("expected claims: %v", err)
	}
	fields := map[string]*exactjson.Value{}
	for _, m := range want.Members {
		fields[m.Name] = m.Value
	}
	str := func(name string) string {
		if v := fields[name]; v != nil && v.Kind == exactjson.String {
			return v.Str
		}
		return ""
	}
	unix := func(name string) time.Time {
		n, err := strconv.ParseInt(fields[name].Str, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return time.Unix(n, 0).UTC()
	}
	for _, f := range []struct{ name, got string }{
		{"iss", got.ProviderID}, {"prn", got.UserID}, {"nce", got.Nonce},
		{"first_name", got.FirstName}, {"last_name", got.LastName},
		{"display_name", got.DisplayName}, {"avatar_url", got.AvatarURL},
	} {
		if f.got != str(f.name) {
			t.Errorf("%s = %q, want %q", f.name, f.got, str(f.name))
		}
	}
	if !got.IssuedAt.Equal(unix("iat")) || !got.ExpiresAt.Equal(unix("exp")) {
		t.Errorf("iat, exp = %v, %v; want %v, %v", got.IssuedAt, got.ExpiresAt, unix("iat"), unix("exp"))
	}
	if got.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt is not in UTC")
	}
	wantMeta := map[string]string{}
	if m := fields["metadata"]; m != nil && m.Kind == exactjson.Object {
		for _, entry := range m.Members {
			wantMeta[entry.Name] = entry.Value.Str
		}
	}
	if len(got.Metadata) != len(wantMeta) {
		t.Fatalf("metadata %v, want %v", got.Metadata, wantMeta)
	}
	for name, value := range wantMeta {
		if got.Metadata[name] != value {
			t.Errorf("metadata[%q] = %q, want %q", name, got.Metadata[name], value)
		}
	}
}

type envCase struct {
	Name            string                     `json:"name"`
	Env             map[string]json.RawMessage `json:"env"`
	Flags           []string                   `json:"flags"`
	ExpectedStatus  string                     `json:"expected_status"`
	MessageContains *string                    `json:"message_contains"`
	Sign            *struct {
		UserID     string `json:"user_id"`
		Nonce      string `json:"nonce"`
		IssuedAt   int64  `json:"issued_at"`
		TTLSeconds int64  `json:"ttl_seconds"`
	} `json:"sign"`
	ExpectedToken *string `json:"expected_token"`
}

// clearLayerEnv unsets every LAYER_* variable for the rest of the test.
func clearLayerEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "LAYER_") {
			t.Setenv(name, value) // registers the restore
			os.Unsetenv(name)
		}
	}
}

func TestEnvVectors(t *testing.T) {
	cases := loadCases[envCase](t, "env.json")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			clearLayerEnv(t)
			names := make([]string, 0, len(c.Env))
			for name := range c.Env {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				raw := c.Env[name]
				var value string
				var ref struct {
					FileContents *string `json:"file_contents"`
					Path         *string `json:"path"`
				}
				if err := json.Unmarshal(raw, &value); err != nil {
					if err := json.Unmarshal(raw, &ref); err != nil {
						t.Fatal(err)
					}
					switch {
					case ref.FileContents != nil:
						value = string(vectorFile(t, *ref.FileContents))
					case ref.Path != nil:
						value = repoPath("vectors", *ref.Path)
					default:
						t.Fatalf("%s: unknown value %s", name, raw)
					}
				}
				t.Setenv(name, value)
			}
			opts, _ := flagOptions(t, c.Flags)
			s, err := SignerFromEnv(opts...)
			if c.ExpectedStatus != "LAYER_OK" {
				if err == nil {
					s.Close()
					t.Fatalf("succeeded; want %s", c.ExpectedStatus)
				}
				e := asError(t, err)
				if e.Name != c.ExpectedStatus || !strings.Contains(strings.ToLower(e.Message), *c.MessageContains) {
					t.Fatalf("got %s %q, want %s containing %q", e.Name, e.Message, c.ExpectedStatus, *c.MessageContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			token, err := s.SignWith(c.Sign.UserID, c.Sign.Nonce, SignOptions{
				IssuedAt: vectorTime(c.Sign.IssuedAt, 0), TTL: time.Duration(c.Sign.TTLSeconds) * time.Second,
			})
			if err != nil || token != *c.ExpectedToken {
				t.Fatalf("token %q (%v), want %q", token, err, *c.ExpectedToken)
			}
		})
	}
	t.Logf("%d environment vectors through SignerFromEnv", len(cases))
}
