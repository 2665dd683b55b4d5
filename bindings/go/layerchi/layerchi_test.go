package layerchi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/layerhq/layer-identity/bindings/go/internal/conformance"
	"github.com/layerhq/layer-identity/bindings/go/layerchi"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// The endpoint on a real chi router over HTTP on loopback: every case of the contract,
// each authenticator kind mounted with r.Mount under a prefix of its own.

type userKey struct{}

// session is the application's middleware: the user of the session cookie, in the
// request's context.
func session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && c.Value == "s-alice" {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, "alice@example.com"))
		}
		next.ServeHTTP(w, r)
	})
}

func currentUser(r *http.Request, _ layeridentity.Fields) (string, error) {
	user, _ := r.Context().Value(userKey{}).(string)
	return user, nil
}

var authenticators = map[string]func(*http.Request, layeridentity.Fields) (string, error){
	"demo":   layeridentity.TrustBodyUserID,
	"reject": func(*http.Request, layeridentity.Fields) (string, error) { return "", errors.New("no session cookie") },
	"none":   func(*http.Request, layeridentity.Fields) (string, error) { return "", nil },
	"empty":  func(*http.Request, layeridentity.Fields) (string, error) { return "", nil },
	"throws": func(*http.Request, layeridentity.Fields) (string, error) { return "", errors.New("no session cookie") },
	"demo_wrapped": func(r *http.Request, f layeridentity.Fields) (string, error) {
		user, err := layeridentity.TrustBodyUserID(r, f)
		if err != nil {
			return "", err
		}
		return user, nil
	},
}

func newSigner(t *testing.T) *layeridentity.Signer {
	s, err := layeridentity.NewSigner(conformance.PrivateKey(t), conformance.ProviderID, conformance.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestChi(t *testing.T) {
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(previous) })

	signer := newSigner(t)
	broken := newSigner(t)
	broken.Close()
	r := chi.NewRouter()
	r.Use(session)
	for kind, authenticate := range authenticators {
		r.Mount("/"+kind, layerchi.Handler(signer, authenticate))
	}
	r.Mount("/layer", layerchi.Handler(signer, currentUser))
	r.Route("/api/v1", func(r chi.Router) { r.Mount("/layer", layerchi.Handler(signer, currentUser)) })
	r.Mount("/broken", layerchi.Handler(broken, layeridentity.TrustBodyUserID))
	server := httptest.NewServer(r)
	defer server.Close()
	addr := server.Listener.Addr().String()

	mounts := conformance.Mounts{}
	for kind := range authenticators {
		mounts[kind] = conformance.Mount{Addr: addr, Prefix: "/" + kind}
	}
	t.Run("cases", func(t *testing.T) { conformance.Run(t, mounts) })
	t.Run("connection", func(t *testing.T) { conformance.ConnectionChecks(t, mounts["demo"]) })
	t.Run("server_error", func(t *testing.T) { conformance.ExpectServerError(t, conformance.Mount{Addr: addr, Prefix: "/broken"}) })

	// authenticate reads what chi's middleware put in the request's context.
	for _, prefix := range []string{"/layer", "/api/v1/layer"} {
		m := conformance.Mount{Addr: addr, Prefix: prefix}
		status, token := conformance.RequestToken(t, m, `{"nonce":"n-1","user_id":"mallory"}`, [2]string{"Cookie", "session=s-alice"})
		if problems := conformance.CheckToken(token, map[string]string{"prn": "alice@example.com", "nce": "n-1"}, conformance.PublicKey(t)); status != 200 || len(problems) > 0 {
			t.Fatalf("%s: %d %s %v", prefix, status, token, problems)
		}
		if status, body := conformance.RequestToken(t, m, `{"nonce":"n-1"}`); status != 401 {
			t.Fatalf("%s without a session: %d %s", prefix, status, body)
		}
	}
	// The path as sent: chi matched /layer/identity%2Dtoken, the endpoint knows no such path.
	if resp := conformance.Send(t, addr, "GET", "/layer/identity%2Dtoken", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("an escaped path: %d", resp.StatusCode)
	}
}
