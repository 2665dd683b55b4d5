package layeridentity

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/layerhq/layer-identity/bindings/go/internal/conformance"
)

// The endpoint: every case of tests/endpoint/cases.json in process (no socket) and over
// HTTP on loopback, the authenticate rule, the 500 path, mounting, and the exchange's
// lifetime. Tests whose names start with TestHTTP listen on loopback (check.sh skips them).

// authenticators are the authenticate functions of cases.json's kinds that Go can express
// (conformance.Inexpressible says why the others cannot be).
var authenticators = map[string]func(*http.Request, Fields) (string, error){
	"demo":   TrustBodyUserID,
	"reject": func(*http.Request, Fields) (string, error) { return "", errors.New("no session cookie") },
	"none":   func(*http.Request, Fields) (string, error) { return "", nil },
	"empty":  func(*http.Request, Fields) (string, error) { return "", nil }, // Go's nothing is ""
	"throws": func(*http.Request, Fields) (string, error) { return "", errors.New("no session cookie") },
	"demo_wrapped": func(r *http.Request, f Fields) (string, error) {
		user, err := TrustBodyUserID(r, f)
		if err != nil {
			return "", err
		}
		return user, nil
	},
}

// quietDefaultLogger sends slog's default logger, where Handler logs, to nowhere for the
// rest of the test.
func quietDefaultLogger(t *testing.T) {
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(previous) })
}

// Every case, each kind on a server of its own at the root.
func TestHTTPEndpointCases(t *testing.T) {
	quietDefaultLogger(t)
	s := newTestSigner(t)
	mounts := conformance.Mounts{}
	for kind, authenticate := range authenticators {
		server := httptest.NewServer(Handler(s, authenticate))
		t.Cleanup(server.Close)
		mounts[kind] = conformance.Mount{Addr: server.Listener.Addr().String()}
	}
	conformance.Run(t, mounts)
	conformance.ConnectionChecks(t, mounts["demo"])
	if n := liveExchanges.Load(); n != 0 {
		t.Fatalf("%d exchanges not freed", n)
	}
}

// Every case without a socket: the request as net/http's server reads it
// (http.ReadRequest), answered into a ResponseRecorder. A request that ReadRequest refuses
// is one the server refuses before any handler sees it (server_may_refuse cases).
func TestEndpointCasesInProcess(t *testing.T) {
	quietDefaultLogger(t)
	s := newTestSigner(t)
	public := conformance.PublicKey(t)
	ran := 0
	for _, c := range conformance.Cases(t) {
		authenticate, ok := authenticators[c.Authenticator]
		if !ok {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			body := conformance.Body(t, c.Request.Body)
			var raw bytes.Buffer
			raw.WriteString(c.Request.Method + " " + c.Request.Path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n")
			hasLength := false
			for _, h := range c.Request.Headers {
				raw.WriteString(h[0] + ": " + h[1] + "\r\n")
				hasLength = hasLength || strings.EqualFold(h[0], "Content-Length")
			}
			if body != nil && !hasLength {
				raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
			}
			raw.WriteString("\r\n")
			raw.Write(body)
			r, err := http.ReadRequest(bufio.NewReader(&raw))
			if err != nil {
				if !c.Expected.ServerMayRefuse {
					t.Fatalf("net/http refuses the request: %v", err)
				}
				return
			}
			w := httptest.NewRecorder()
			Handler(s, authenticate).ServeHTTP(w, r)
			resp := &conformance.Response{Response: w.Result(), Body: w.Body.Bytes()}
			resp.Close = resp.Header.Get("Connection") == "close"
			for _, p := range conformance.Check(c, resp, body, public) {
				t.Error(p)
			}
		})
		ran++
	}
	t.Logf("%d endpoint cases in process", ran)
	if n := liveExchanges.Load(); n != 0 {
		t.Fatalf("%d exchanges not freed", n)
	}
}

// serve answers one request with Endpoint.Serve and a logger of the test's.
func serve(t *testing.T, e *Endpoint, method, target, contentType, body string, authenticate func(Fields) (string, error)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	e.Serve(w, r, "", authenticate)
	return w
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testEndpoint(t *testing.T) (*Endpoint, *logBuffer) {
	logs := &logBuffer{}
	return &Endpoint{Signer: newTestSigner(t), Logger: slog.New(slog.NewTextHandler(logs, nil))}, logs
}

const (
	unauthenticated = `{"error":{"code":"unauthenticated","message":"authentication required"}}`
	serverError     = `{"error":{"code":"server_error","message":"could not create the identity token"}}`
)

// authenticate's (string, error): a user ID is the token's user; "" with a nil error is
// nobody (401); an error is 401 too, and goes to the log, never to the client.
func TestEndpointAuthenticate(t *testing.T) {
	e, logs := testEndpoint(t)
	v := newTestVerifier(t)
	post := func(authenticate func(Fields) (string, error)) *httptest.ResponseRecorder {
		return serve(t, e, "POST", "/identity-token", "application/json",
			`{"nonce":"n-1","user_id":"mallory","display_name":"Alice"}`, authenticate)
	}

	w := post(func(f Fields) (string, error) {
		if f.Nonce != "n-1" || f.DisplayName != "Alice" || f.FirstName != "" {
			t.Errorf("fields %+v", f)
		}
		return "alice@example.com", nil
	})
	token := strings.TrimSuffix(strings.TrimPrefix(w.Body.String(), `{"identity_token":"`), `"}`)
	claims, err := v.Verify(token, VerifyOptions{Nonce: "n-1"})
	if w.Code != 200 || err != nil || claims.UserID != "alice@example.com" || claims.DisplayName != "Alice" {
		t.Fatalf("%d %s %v", w.Code, w.Body, err)
	}

	w = post(func(Fields) (string, error) { return "", nil })
	if w.Code != 401 || w.Body.String() != unauthenticated {
		t.Fatalf("nobody: %d %s", w.Code, w.Body)
	}
	w = post(func(Fields) (string, error) { return "", errors.New("session expired for mallory") })
	if w.Code != 401 || w.Body.String() != unauthenticated {
		t.Fatalf("an error: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "session expired for mallory") || !strings.Contains(logs.String(), "status=401") {
		t.Fatalf("the error is not in the log:\n%s", logs)
	}
	// An error with a user ID is still an error.
	if w = post(func(Fields) (string, error) { return "alice", errors.New("half-done") }); w.Code != 401 {
		t.Fatalf("a user ID with an error: %d %s", w.Code, w.Body)
	}
	// The core refuses a user ID it cannot sign for: the application's bug, 500.
	if w = post(func(Fields) (string, error) { return "a\x00b", nil }); w.Code != 500 || w.Body.String() != serverError {
		t.Fatalf("U+0000 in the user ID: %d %s", w.Code, w.Body)
	}
	if w = post(func(Fields) (string, error) { return "\xff", nil }); w.Code != 500 {
		t.Fatalf("invalid UTF-8 in the user ID: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("no error logged for the 500s:\n%s", logs)
	}
	// authenticate is not called for a request the contract refuses first.
	called := false
	w = serve(t, e, "POST", "/identity-token", "application/json", `{"nonce":""}`, func(Fields) (string, error) {
		called = true
		return "alice", nil
	})
	if called || w.Code != 400 {
		t.Fatalf("authenticate called for an empty nonce (%d)", w.Code)
	}
}

// A signer that fails (closed) is a 500 with the fixed message, over HTTP too.
func TestHTTPEndpointServerError(t *testing.T) {
	quietDefaultLogger(t)
	s := newTestSigner(t)
	server := httptest.NewServer(Handler(s, TrustBodyUserID))
	defer server.Close()
	s.Close()
	conformance.ExpectServerError(t, conformance.Mount{Addr: server.Listener.Addr().String()})
}

func TestEndpointWithoutSigner(t *testing.T) {
	w := serve(t, &Endpoint{}, "POST", "/identity-token", "application/json", `{"nonce":"n","user_id":"a"}`,
		func(f Fields) (string, error) { return f.DemoUserID() })
	if w.Code != 500 || w.Body.String() != serverError {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// The demo authenticator's refusal is the field's 400, mounted directly or wrapped; its
// user ID is the body's. DemoUserID works only within the authenticate call.
func TestDemoUserID(t *testing.T) {
	e, _ := testEndpoint(t)
	var kept Fields
	w := serve(t, e, "POST", "/identity-token", "application/x-www-form-urlencoded", "nonce=n&user_id=bob",
		func(f Fields) (string, error) {
			kept = f
			return f.DemoUserID()
		})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if _, err := kept.DemoUserID(); !errors.Is(err, errDemoOutsideAuthenticate) {
		t.Fatalf("after authenticate returned: %v", err)
	}
	if _, err := (Fields{}).DemoUserID(); !errors.Is(err, errDemoOutsideAuthenticate) {
		t.Fatalf("zero Fields: %v", err)
	}
	w = serve(t, e, "POST", "/identity-token", "application/json", `{"nonce":"n","user_id":7}`,
		func(f Fields) (string, error) {
			_, err := f.DemoUserID()
			if err == nil || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("DemoUserID for a number: %v", err)
			}
			return "", err
		})
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"code":"invalid_field"`) || !strings.Contains(w.Body.String(), "user_id") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// A panic in authenticate is net/http's to handle (it closes the connection); the exchange
// is freed all the same.
func TestHTTPAuthenticatePanics(t *testing.T) {
	s := newTestSigner(t)
	server := httptest.NewUnstartedServer(Handler(s, func(*http.Request, Fields) (string, error) {
		panic("the application's bug")
	}))
	server.Config.ErrorLog = log.New(io.Discard, "", 0) // net/http logs the panic
	server.Start()
	defer server.Close()
	before := liveExchanges.Load()
	resp, err := server.Client().Post(server.URL+"/identity-token", "application/json", strings.NewReader(`{"nonce":"n"}`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a response (%d) after a panic", resp.StatusCode)
	}
	server.Close() // waits for the handler
	if after := liveExchanges.Load(); after != before {
		t.Fatalf("live exchanges %d -> %d", before, after)
	}
}

// Under a prefix with http.StripPrefix, the net/http way; the query and the body pass.
func TestHTTPEndpointUnderStripPrefix(t *testing.T) {
	s := newTestSigner(t)
	mux := http.NewServeMux()
	mux.Handle("/layer/", http.StripPrefix("/layer", Handler(s, TrustBodyUserID)))
	server := httptest.NewServer(mux)
	defer server.Close()
	m := conformance.Mount{Addr: server.Listener.Addr().String(), Prefix: "/layer"}
	status, token := conformance.RequestToken(t, m, `{"nonce":"n","user_id":"alice"}`)
	if problems := conformance.CheckToken(token, map[string]string{"prn": "alice", "nce": "n"}, conformance.PublicKey(t)); status != 200 || len(problems) > 0 {
		t.Fatalf("%d %s %v", status, token, problems)
	}
	for target, want := range map[string]int{
		"/layer/healthz?probe=1": 200, "/layer/identity%2Dtoken": 404, "/healthz": 404,
	} {
		resp := conformance.Send(t, m.Addr, "GET", target, nil, nil)
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", target, resp.StatusCode, want)
		}
	}
}

// rawPath maps the tail a router matched, decoded or raw, to the tail as sent.
func TestRawPath(t *testing.T) {
	for _, c := range []struct{ escaped, decoded, raw, routed, want string }{
		{"/layer/identity-token", "/layer/identity-token", "", "", "/layer/identity-token"},
		{"/layer/identity-token", "/layer/identity-token", "", "/identity-token", "/identity-token"},
		{"/layer/identity%2Dtoken", "/layer/identity-token", "/layer/identity%2Dtoken", "/identity-token", "/identity%2Dtoken"},
		{"/layer/identity%2Dtoken", "/layer/identity-token", "/layer/identity%2Dtoken", "/identity%2Dtoken", "/identity%2Dtoken"},
		{"/l%61yer/identity-token", "/layer/identity-token", "/l%61yer/identity-token", "/identity-token", "/identity-token"},
		{"/l%61yer/%69d", "/layer/id", "/l%61yer/%69d", "/id", "/%69d"},
		{"/layer//identity-token", "/layer//identity-token", "", "//identity-token", "//identity-token"},
		{"/a%20b/healthz", "/a b/healthz", "", "/healthz", "/healthz"},
		{"/x", "/x", "", "/elsewhere", "/elsewhere"},
	} {
		if got := rawPath(c.escaped, c.decoded, c.raw, c.routed); got != c.want {
			t.Errorf("rawPath(%q, %q, %q, %q) = %q, want %q", c.escaped, c.decoded, c.raw, c.routed, got, c.want)
		}
	}
}

func TestHandlerPanicsOnNil(t *testing.T) {
	s := newTestSigner(t)
	for name, f := range map[string]func(){
		"signer":       func() { Handler(nil, TrustBodyUserID) },
		"authenticate": func() { Handler(s, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler with a nil %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// The body is read at most MaxBodyBytes + 1 bytes far: a client that sends more is answered
// 413 without the endpoint reading the rest.
func TestBodyReadLimit(t *testing.T) {
	e, _ := testEndpoint(t)
	src := &countingReader{}
	r := httptest.NewRequest("POST", "/identity-token", src)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Del("Content-Length")
	r.ContentLength = -1
	w := httptest.NewRecorder()
	e.Serve(w, r, "", func(Fields) (string, error) { return "alice", nil })
	if w.Code != 413 || src.n != MaxBodyBytes+1 {
		t.Fatalf("%d after reading %d bytes", w.Code, src.n)
	}
}

// countingReader is an endless body of spaces.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.n += len(p)
	return len(p), nil
}

// A body that cannot be read is the adapter's failure: 500, logged.
func TestBodyReadError(t *testing.T) {
	e, logs := testEndpoint(t)
	r := httptest.NewRequest("POST", "/identity-token", io.MultiReader(strings.NewReader(`{"nonce":`), failingReader{}))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.Serve(w, r, "", func(Fields) (string, error) { return "alice", nil })
	if w.Code != 500 || w.Body.String() != serverError || !strings.Contains(logs.String(), "connection reset by a test") {
		t.Fatalf("%d %s\n%s", w.Code, w.Body, logs)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by a test") }
