package layeridentity

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	testProvider = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
	testKeyID    = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
	testNonce    = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE"
)

// repoRoot is the repository's top directory (the one with vectors/ and include/), found
// from the test's working directory.
var repoRoot = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "vectors", "sign.json")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("layeridentity tests: no vectors/sign.json above the working directory")
		}
		dir = parent
	}
})

func repoPath(parts ...string) string {
	return filepath.Join(append([]string{repoRoot()}, parts...)...)
}

// vectorFile reads a file under vectors/ as bytes, exactly as stored.
func vectorFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath("vectors", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadCases reads vectors/<file> and returns its "cases".
func loadCases[T any](t testing.TB, file string) []T {
	t.Helper()
	var doc struct {
		Cases []T `json:"cases"`
	}
	if err := json.Unmarshal(vectorFile(t, file), &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(doc.Cases) == 0 {
		t.Fatalf("%s: no cases", file)
	}
	return doc.Cases
}

func testKey(t testing.TB) []byte { return vectorFile(t, "keys/rsa2048.pkcs8.pem") }

func newTestSigner(t testing.TB, opts ...SignerOption) *Signer {
	t.Helper()
	s, err := NewSigner(testKey(t), testProvider, testKeyID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(vectorFile(t, "keys/rsa2048.public.pem"), testProvider, testKeyID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// asError returns err as an *Error, failing the test otherwise.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

// independentVerify checks an RS256 token's signature with Go's own crypto/rsa (not
// OpenSSL, not this library) against the public key of keyPEM, which may be a private key.
// It returns an error when Go cannot use the key (crypto/rsa refuses public exponents over
// 2^31-1).
func independentVerify(token string, keyPEM []byte) error {
	pub, err := goPublicKey(keyPEM)
	if err != nil {
		return err
	}
	dot := strings.LastIndexByte(token, '.')
	if dot < 0 {
		return errors.New("no signature segment")
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(token[:dot]))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
}

var goKeys sync.Map // string(keyPEM) -> *rsa.PublicKey

func goPublicKey(keyPEM []byte) (*rsa.PublicKey, error) {
	if k, ok := goKeys.Load(string(keyPEM)); ok {
		return k.(*rsa.PublicKey), nil
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("crypto/rsa check: not PEM")
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, _ = k.(*rsa.PublicKey)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		if rk, ok := k.(*rsa.PrivateKey); ok {
			pub = &rk.PublicKey
		}
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = &k.PublicKey
	}
	if pub == nil {
		return nil, errors.New("crypto/rsa check: not an RSA key of a kind the check reads: " + block.Type)
	}
	if pub.E > 1<<31-1 {
		return nil, errors.New("crypto/rsa check: crypto/rsa refuses public exponents over 2^31-1")
	}
	goKeys.Store(string(keyPEM), pub)
	return pub, nil
}

var osReadFile = os.ReadFile
