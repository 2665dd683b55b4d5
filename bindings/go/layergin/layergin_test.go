package layergin_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/layerhq/layer-identity/bindings/go/internal/conformance"
	"github.com/layerhq/layer-identity/bindings/go/layergin"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// The endpoint on a real gin engine over HTTP on loopback: every case of the contract, each
// authenticator kind in a route group of its own (Group("/kind").Any("/*path", ...)).

// session is the application's middleware: the user of the session cookie, with c.Set.
func session(c *gin.Context) {
	if v, err := c.Cookie("session"); err == nil && v == "s-alice" {
		c.Set("user", "alice@example.com")
	}
	c.Next()
}

func currentUser(c *gin.Context, _ layeridentity.Fields) (string, error) {
	return c.GetString("user"), nil
}

var authenticators = map[string]func(*gin.Context, layeridentity.Fields) (string, error){
	"demo":   layergin.TrustBodyUserID,
	"reject": func(*gin.Context, layeridentity.Fields) (string, error) { return "", errors.New("no session cookie") },
	"none":   func(*gin.Context, layeridentity.Fields) (string, error) { return "", nil },
	"empty":  func(*gin.Context, layeridentity.Fields) (string, error) { return "", nil },
	"throws": func(*gin.Context, layeridentity.Fields) (string, error) { return "", errors.New("no session cookie") },
	"demo_wrapped": func(c *gin.Context, f layeridentity.Fields) (string, error) {
		user, err := layergin.TrustBodyUserID(c, f)
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

func TestGin(t *testing.T) {
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(previous) })
	gin.SetMode(gin.ReleaseMode)

	signer := newSigner(t)
	broken := newSigner(t)
	broken.Close()
	r := gin.New()
	r.Use(session)
	for kind, authenticate := range authenticators {
		r.Group("/"+kind).Any("/*path", layergin.Handler(signer, authenticate))
	}
	r.Group("/layer").Any("/*path", layergin.Handler(signer, currentUser))
	r.Any("/api/:version/layer/*rest", layergin.Handler(signer, currentUser))
	r.Group("/broken").Any("/*path", layergin.Handler(broken, layergin.TrustBodyUserID))
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

	// authenticate reads what gin's middleware set with c.Set.
	for _, prefix := range []string{"/layer", "/api/v2/layer"} {
		m := conformance.Mount{Addr: addr, Prefix: prefix}
		status, token := conformance.RequestToken(t, m, `{"nonce":"n-1","user_id":"mallory"}`, [2]string{"Cookie", "session=s-alice"})
		if problems := conformance.CheckToken(token, map[string]string{"prn": "alice@example.com", "nce": "n-1"}, conformance.PublicKey(t)); status != 200 || len(problems) > 0 {
			t.Fatalf("%s: %d %s %v", prefix, status, token, problems)
		}
		if status, body := conformance.RequestToken(t, m, `{"nonce":"n-1"}`); status != 401 {
			t.Fatalf("%s without a session: %d %s", prefix, status, body)
		}
	}
	// gin matches the decoded path, whose tail would be /identity-token; the endpoint gets
	// the path as sent.
	for target, want := range map[string]int{"/layer/identity%2Dtoken": 404, "/l%61yer/healthz": 200, "/layer/%68ealthz": 404} {
		if resp := conformance.Send(t, addr, "GET", target, nil, nil); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", target, resp.StatusCode, want)
		}
	}
}
