package layeridentity_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

const (
	providerID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
	keyID      = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
)

func Example() {
	// A key pair for the example; a backend reads the private key Layer knows the public
	// part of (or uses SignerFromEnv).
	privatePEM, publicPEM, err := layeridentity.GenerateKeyPair(2048)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := layeridentity.NewSigner(privatePEM, providerID, keyID)
	if err != nil {
		log.Fatal(err)
	}
	defer signer.Close()

	token, err := signer.SignWith("alice@example.com", "nonce-1", layeridentity.SignOptions{
		IssuedAt:    time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		TTL:         5 * time.Minute,
		DisplayName: "Alice L.",
	})
	if err != nil {
		log.Fatal(err)
	}

	verifier, err := layeridentity.NewVerifier(publicPEM, providerID, keyID)
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()
	at := time.Date(2024, 5, 1, 12, 1, 0, 0, time.UTC)
	claims, err := verifier.Verify(token, layeridentity.VerifyOptions{Nonce: "nonce-1", Now: at})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.UserID, claims.DisplayName, claims.ExpiresAt.Format(time.RFC3339))

	// Ten minutes later it has expired (with the default leeway of 60 s).
	_, err = verifier.Verify(token, layeridentity.VerifyOptions{Nonce: "nonce-1", Now: at.Add(10 * time.Minute)})
	var e *layeridentity.Error
	if errors.Is(err, layeridentity.ErrExpired) && errors.As(err, &e) {
		fmt.Println(e.Name, e.EitCode)
	}
	// Output:
	// alice@example.com Alice L. 2024-05-01T12:05:00Z
	// LAYER_ERR_EXPIRED eit_expired
}

func ExampleHandler() {
	privatePEM, _, err := layeridentity.GenerateKeyPair(2048)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := layeridentity.NewSigner(privatePEM, providerID, keyID)
	if err != nil {
		log.Fatal(err)
	}
	defer signer.Close()
	// The application's session check: the logged-in user, or "" for nobody (401).
	currentUser := func(r *http.Request, _ layeridentity.Fields) (string, error) {
		if r.Header.Get("Authorization") == "Bearer session-of-alice" {
			return "alice@example.com", nil
		}
		return "", nil
	}
	handler := layeridentity.Handler(signer, currentUser)

	for _, authorization := range []string{"Bearer session-of-alice", ""} {
		r := httptest.NewRequest("POST", "/identity-token", strings.NewReader(`{"nonce":"nonce-1"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", authorization)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.HasPrefix(w.Body.String(), `{"identity_token":"ey`))
	}
	// Output:
	// 200 true
	// 401 false
}
