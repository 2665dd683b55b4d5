package main

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// tokenLifetime is exp - iat of every identity token an endpoint mints (ttl 0 = 600 s).
const tokenLifetime = 600

// checker verifies identity tokens independently of the library: Go's crypto/rsa for the
// RS256 signature, and the exact bytes of the header and of the claims.
type checker struct {
	key        *rsa.PublicKey
	header     []byte // the exact header JSON every token carries
	providerID string
}

// newChecker reads an SPKI public key (or derives it from an unencrypted private key) from PEM.
func newChecker(pemText []byte, providerID, keyID, tokenType string) (*checker, error) {
	key, err := publicKey(pemText)
	if err != nil {
		return nil, err
	}
	header := compactJSON([][2]any{
		{"typ", tokenType}, {"alg", "RS256"}, {"cty", "layer-eit;v=1"}, {"kid", keyID},
	})
	return &checker{key: key, header: header, providerID: providerID}, nil
}

func publicKey(pemText []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("the public key file holds no PEM block")
	}
	var parsed any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		parsed, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		parsed, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "PRIVATE KEY":
		var private any
		if private, err = x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			if rsaKey, ok := private.(*rsa.PrivateKey); ok {
				parsed = &rsaKey.PublicKey
			}
		}
	case "RSA PRIVATE KEY":
		var private *rsa.PrivateKey
		if private, err = x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
			parsed = &private.PublicKey
		}
	default:
		return nil, fmt.Errorf("the public key file holds a %q PEM block, not PUBLIC KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the public key file: %w", err)
	}
	key, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the public key file holds a key that is not RSA")
	}
	return key, nil
}

// compactJSON writes members in order as compact JSON: strings with only '"', '\\' and the
// control characters escaped (\b \f \n \r \t, else \u00XX), everything else as raw UTF-8,
// the bytes the core writes (Go's encoding/json would also escape U+2028 and U+2029).
func compactJSON(members [][2]any) []byte {
	var out bytes.Buffer
	out.WriteByte('{')
	for i, member := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		for j, value := range member {
			if j == 1 {
				out.WriteByte(':')
			}
			switch value := value.(type) {
			case string:
				writeString(&out, value)
			case int64:
				out.WriteString(strconv.FormatInt(value, 10))
			default:
				panic(fmt.Sprintf("compactJSON: %T", value))
			}
		}
	}
	out.WriteByte('}')
	return out.Bytes()
}

func writeString(out *bytes.Buffer, text string) {
	const hex = "0123456789abcdef"
	out.WriteByte('"')
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '\b':
			out.WriteString(`\b`)
		case c == '\f':
			out.WriteString(`\f`)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\r':
			out.WriteString(`\r`)
		case c == '\t':
			out.WriteString(`\t`)
		case c < 0x20:
			out.WriteString(`\u00`)
			out.WriteByte(hex[c>>4])
			out.WriteByte(hex[c&15])
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('"')
}

// failure is a request's failure kind (a key of the report's "failures" object) and detail.
type failure struct {
	kind   string
	detail string
}

func (f *failure) Error() string { return f.kind + ": " + f.detail }

func fail(kind, format string, args ...any) *failure {
	return &failure{kind: kind, detail: fmt.Sprintf(format, args...)}
}

var strictBase64 = base64.RawURLEncoding.Strict()

// answer reads a 200 answer's body: exactly one JSON object with one member,
// identity_token, a string.
func answer(body []byte) (string, *failure) {
	var members map[string]json.RawMessage
	decoder := json.NewDecoder(bytes.NewReader(body))
	if err := decoder.Decode(&members); err != nil || decoder.More() {
		return "", fail("body", "the answer is not one JSON object: %.120q", body)
	}
	raw, ok := members["identity_token"]
	var token string
	if !ok || len(members) != 1 || json.Unmarshal(raw, &token) != nil {
		return "", fail("body", "the answer is not {\"identity_token\":\"...\"}: %.120q", body)
	}
	return token, nil
}

// check verifies one token minted for nonce and user between the Unix seconds from and until
// (the request's start and end): the header bytes, the claims bytes (iss, prn, iat, exp, nce
// in the core's order, nothing else), exp - iat = 600, iat within [from, until], and the RS256
// signature.
func (c *checker) check(token, nonce, user string, from, until int64) *failure {
	parts := bytes.Split([]byte(token), []byte("."))
	if len(parts) != 3 {
		return fail("token_format", "not three dot-separated parts: %.80q", token)
	}
	var decoded [3][]byte
	for i, part := range parts {
		var err error
		if decoded[i], err = strictBase64.DecodeString(string(part)); err != nil {
			return fail("token_format", "part %d is not canonical unpadded base64url", i+1)
		}
	}
	header, claims, signature := decoded[0], decoded[1], decoded[2]
	if !bytes.Equal(header, c.header) {
		return fail("header", "%q, expected %q", header, c.header)
	}
	var times struct{ Iat, Exp json.Number }
	decoder := json.NewDecoder(bytes.NewReader(claims))
	decoder.UseNumber()
	if err := decoder.Decode(&times); err != nil {
		return fail("claims", "not a JSON object: %.200q", claims)
	}
	iat, errIat := strconv.ParseInt(string(times.Iat), 10, 64)
	exp, errExp := strconv.ParseInt(string(times.Exp), 10, 64)
	if errIat != nil || errExp != nil {
		return fail("claims", "iat/exp are not integers: %.200q", claims)
	}
	if exp-iat != tokenLifetime {
		return fail("lifetime", "exp - iat = %d, expected %d", exp-iat, tokenLifetime)
	}
	if iat < from || iat > until {
		return fail("iat", "iat %d is outside the request's time [%d, %d]", iat, from, until)
	}
	wanted := compactJSON([][2]any{
		{"iss", c.providerID}, {"prn", user}, {"iat", iat}, {"exp", exp}, {"nce", nonce},
	})
	if !bytes.Equal(claims, wanted) {
		return fail("claims", "%.200q, expected %.200q", claims, wanted)
	}
	digest := sha256.Sum256([]byte(token[:len(parts[0])+1+len(parts[1])]))
	if err := rsa.VerifyPKCS1v15(c.key, crypto.SHA256, digest[:], signature); err != nil {
		return fail("signature", "RS256 signature does not verify: %v", err)
	}
	return nil
}
