// Package bench measures the Go wrapper beside github.com/golang-jwt/jwt/v5 with crypto/rsa
// (Go's own RSA, not OpenSSL) on the same token, and checks first that both make and accept
// that token. It is a module of its own so that the wrapper depends on nothing.
//
//	cd bindings/go/bench && ../dev.sh go test -bench . -cpu 1,2
//
// (or compare.sh, which sets the rates beside `openssl speed rsa2048` and the C ABI's
// abi_bench in the same run).
package bench

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// The inputs of benches/c/abi_bench.c, so that the rates compare.
const (
	providerID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
	keyID      = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
	userID     = "user-42"
	issuedAt   = 1700000000
	keyFile    = "../../../vectors/keys/rsa2048.pkcs8.pem"
)

var iat = time.Unix(issuedAt, 0)

type fixture struct {
	pem      []byte
	signer   *layeridentity.Signer
	verifier *layeridentity.Verifier
	rsaKey   *rsa.PrivateKey
	token    string // the wrapper's token for nonce "nonce"
	goToken  string // golang-jwt's token with the same claims
}

func setup(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{}
	var err error
	if f.pem, err = os.ReadFile(keyFile); err != nil {
		tb.Fatal(err)
	}
	if f.signer, err = layeridentity.NewSigner(f.pem, providerID, keyID); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.signer.Close() })
	if f.verifier, err = layeridentity.NewVerifier(f.pem, providerID, keyID); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.verifier.Close() })
	block, _ := pem.Decode(f.pem)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	f.rsaKey = key.(*rsa.PrivateKey)
	if f.token, err = f.signer.SignWith(userID, "nonce", layeridentity.SignOptions{IssuedAt: iat}); err != nil {
		tb.Fatal(err)
	}
	if f.goToken, err = goSign(f.rsaKey, "nonce"); err != nil {
		tb.Fatal(err)
	}
	return f
}

// goSign makes the token with golang-jwt as a Go program would: the same header members and
// claims (golang-jwt writes them in its own order, so the bytes differ from the wrapper's).
func goSign(key *rsa.PrivateKey, nonce string) (string, error) {
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": providerID, "prn": userID, "iat": issuedAt, "exp": issuedAt + 600, "nce": nonce,
	})
	token.Header["typ"] = "JWS"
	token.Header["cty"] = "layer-eit;v=1"
	token.Header["kid"] = keyID
	return token.SignedString(key)
}

func goVerify(token string, key *rsa.PublicKey) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(providerID), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return iat.Add(time.Second) }))
	if err != nil {
		return nil, err
	}
	if claims["nce"] != "nonce" {
		return nil, fmt.Errorf("nce %v", claims["nce"])
	}
	return claims, nil
}

// Both libraries make and accept the same token: golang-jwt's RS256 over the wrapper's
// signing input gives the wrapper's signature byte for byte, golang-jwt verifies the
// wrapper's token, and the wrapper's verifier accepts golang-jwt's.
func TestSameToken(t *testing.T) {
	f := setup(t)
	dot := strings.LastIndexByte(f.token, '.')
	signature, err := jwt.SigningMethodRS256.Sign(f.token[:dot], f.rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(signature); got != f.token[dot+1:] {
		t.Fatalf("golang-jwt's signature %s differs from the wrapper's %s", got, f.token[dot+1:])
	}
	if claims, err := goVerify(f.token, &f.rsaKey.PublicKey); err != nil || claims["prn"] != userID {
		t.Fatalf("golang-jwt rejects the wrapper's token: %v", err)
	}
	claims, err := f.verifier.Verify(f.goToken, layeridentity.VerifyOptions{Nonce: "nonce", Now: iat.Add(time.Second)})
	if err != nil || claims.UserID != userID || claims.ExpiresAt.Unix() != issuedAt+600 {
		t.Fatalf("the wrapper rejects golang-jwt's token: %v", err)
	}
}

// BenchmarkSign: one token per op, a distinct nonce each; with -cpu 1,2 the goroutines of
// RunParallel share one Signer (one rsa.PrivateKey for golang-jwt).
func BenchmarkSign(b *testing.B) {
	f := setup(b)
	var n atomic.Int64
	b.Run("layeridentity", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				nonce := fmt.Sprintf("nonce-%d", n.Add(1))
				if _, err := f.signer.SignWith(userID, nonce, layeridentity.SignOptions{IssuedAt: iat}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("layeridentity-SignToken", func(b *testing.B) { // the key text on every call (cached)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := layeridentity.SignToken(f.pem, providerID, keyID, userID, "nonce", iat, 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("golang-jwt", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := goSign(f.rsaKey, fmt.Sprintf("nonce-%d", n.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkVerify: the same token checked over and over, signature, times and nonce.
func BenchmarkVerify(b *testing.B) {
	f := setup(b)
	o := layeridentity.VerifyOptions{Nonce: "nonce", Now: iat.Add(time.Second), Leeway: layeridentity.NoLeeway}
	b.Run("layeridentity", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.verifier.Verify(f.token, o); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("golang-jwt", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := goVerify(f.token, &f.rsaKey.PublicKey); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkVerifySerial is one goroutine verifying, whatever GOMAXPROCS is: with -cpu 2 the
// Go runtime has a spare P, as in a server whose other goroutines wait, and does not hand
// the verifying goroutine's P to another thread during each cgo call (with a single P it
// does, for calls longer than its 20 µs sysmon tick, which costs a thread switch per call).
func BenchmarkVerifySerial(b *testing.B) {
	f := setup(b)
	o := layeridentity.VerifyOptions{Nonce: "nonce", Now: iat.Add(time.Second), Leeway: layeridentity.NoLeeway}
	for i := 0; i < b.N; i++ {
		if _, err := f.verifier.Verify(f.token, o); err != nil {
			b.Fatal(err)
		}
	}
}
