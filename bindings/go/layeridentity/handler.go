//go:build cgo

package layeridentity

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// The identity-token endpoint: an adapter between net/http and the core's implementation of
// the HTTP contract (exchange.go). It moves bytes and calls authenticate; the core routes,
// checks the content type and length, parses the body, checks the fields, signs and writes
// every answer.

// DemoWarning is what a program that mounts the endpoint with TrustBodyUserID should print
// at start-up (the sample backend prints it on stderr).
const DemoWarning = "WARNING: demo authenticator: trusting user_id from the request body; " +
	"replace it with your own session check"

// Fields are the fields of an identity-token request for authenticate, read from the body
// (JSON or form) and checked by the contract's rules before authenticate is called: each a
// non-empty string of at most 2048 bytes of valid UTF-8 without U+0000, given once. The
// optional ones are "" when absent.
type Fields struct {
	Nonce       string
	FirstName   string
	LastName    string
	DisplayName string
	AvatarURL   string

	x *exchange
}

// DemoUserID is the demo authenticator: the body's user_id under the field rules. It
// trusts the client completely (anyone can obtain a token for any user), so use it only to
// try the endpoint out. Its error, returned by authenticate, answers the field's 400
// (missing_field or invalid_field) instead of 401. It works only during the authenticate
// call that received f.
func (f Fields) DemoUserID() (string, error) {
	if f.x == nil {
		return "", errDemoOutsideAuthenticate
	}
	return f.x.demoUserID()
}

// TrustBodyUserID is a DEMO authenticate function for Handler: f.DemoUserID(), the user ID
// the client put in the body. Print DemoWarning when you mount it, and replace it with
// your application's own session check.
func TrustBodyUserID(_ *http.Request, f Fields) (string, error) { return f.DemoUserID() }

// Handler returns the identity-token endpoint as an http.Handler: POST /identity-token with
// the nonce the Layer client SDK obtained (JSON or form-encoded: "nonce", and optionally
// "first_name", "last_name", "display_name", "avatar_url") answers {"identity_token":
// "<token>"} signed by signer for the user that authenticate returns; GET /healthz answers
// {"status":"ok"}; every other request gets the contract's error (404, 405, 413, 415, 400
// with a code and a message).
//
// authenticate is the application's session check. It gets the request (headers, cookies,
// context: what middleware put there) and the body's fields, and returns the user ID: a
// non-empty string answers the token; "" with a nil error (nobody is logged in) answers 401;
// an error answers 401 and goes to the log, never to the client.
//
// The handler serves its two paths relative to where it is mounted: at the root of a server,
// or under a prefix with http.StripPrefix:
//
//	mux.Handle("/layer/", http.StripPrefix("/layer", layeridentity.Handler(signer, currentUser)))
//
// (The layerchi, layergin and layerecho modules mount it on those routers the way each
// mounts things.) Failures are logged with log/slog's default logger. Handler panics when
// signer or authenticate is nil.
func Handler(signer *Signer, authenticate func(r *http.Request, f Fields) (userID string, err error)) http.Handler {
	e := &Endpoint{Signer: signer}
	e.mustBeValid("layeridentity.Handler")
	if authenticate == nil {
		panic("layeridentity.Handler: nil authenticate function")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.Serve(w, r, "", func(f Fields) (string, error) { return authenticate(r, f) })
	})
}

// Endpoint is the identity-token endpoint for a router of any kind: Handler and the router
// modules (layerchi, layergin, layerecho) call its Serve.
type Endpoint struct {
	// Signer signs the tokens.
	Signer *Signer
	// Logger receives what the endpoint logs (why a request got 401 or 500); nil means
	// slog.Default().
	Logger *slog.Logger
}

func (e *Endpoint) mustBeValid(caller string) {
	if e.Signer == nil {
		panic(caller + ": nil *Signer")
	}
}

// Serve answers one request. path is the part of the request's path below the mount point
// as the router matched it (r.URL.Path's or r.URL.RawPath's tail, such as "/identity-token"),
// or "" when the endpoint is mounted at the root or below http.StripPrefix; Serve gives the
// core that part of the path as the client sent it, with the query. authenticate is called
// with the request's fields once they pass the contract's checks.
func (e *Endpoint) Serve(w http.ResponseWriter, r *http.Request, path string, authenticate func(Fields) (userID string, err error)) {
	contentType, hasContentType := headerValue(r.Header, "Content-Type")
	contentLength, hasContentLength := headerValue(r.Header, "Content-Length")
	x, err := newExchange(r.Method, requestTarget(r, path), contentType, hasContentType, contentLength, hasContentLength)
	if err != nil { // only for a NULL argument, which text never passes
		e.logger().Error("layeridentity: identity-token: "+err.Error(), "method", r.Method)
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	defer x.free()

	if x.step() == stepReadBody {
		if body, err := readBody(r.Body); err != nil {
			x.fail("reading the request body: " + err.Error())
		} else {
			err = x.putBody(body.bytes)
			body.release()
			if err != nil {
				x.fail(err.Error())
			}
		}
	}
	var authErr error
	if x.step() == stepAuthenticate {
		var userID string
		func() {
			defer x.authenticated() // also when authenticate panics
			userID, authErr = authenticate(x.fields())
		}()
		if err := x.finish(e.Signer, userID, authErr); err != nil {
			x.fail("signing: " + err.Error())
		}
	}

	// The answer as given. When the core says to close the connection, its headers hold
	// Connection: close, which net/http honors by closing after the response.
	a := x.answer()
	h := w.Header()
	for _, header := range a.headers {
		h.Set(header[0], header[1])
	}
	w.WriteHeader(a.status)
	if len(a.body) > 0 {
		w.Write(a.body) // a failed write is the client's problem: it left
	}
	if a.log != "" {
		e.log(r, a, authErr)
	}
}

func (e *Endpoint) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// log writes why a request was answered as it was: a 5xx as an error; a failure of
// authenticate (401) as information, with its error; nobody logged in (401) for debugging.
func (e *Endpoint) log(r *http.Request, a answer, authErr error) {
	level := slog.LevelDebug
	attrs := []any{"status", a.status, "method", r.Method}
	switch {
	case a.status >= 500:
		level = slog.LevelError
	case authErr != nil:
		level = slog.LevelInfo
	}
	if authErr != nil {
		attrs = append(attrs, "error", authErr.Error())
	}
	e.logger().Log(r.Context(), level, "layeridentity: identity-token: "+a.log, attrs...)
}

// headerValue is the request's header as the client sent it: its value, or its lines
// joined by ", " (RFC 9110's list form) when it came more than once; false when absent.
func headerValue(h http.Header, canonicalName string) (string, bool) {
	switch values := h[canonicalName]; len(values) {
	case 0:
		return "", false
	case 1:
		return values[0], true
	default:
		return strings.Join(values, ", "), true
	}
}

// requestTarget is the target to give the core: the path below the mount point as the
// client sent it, and the query.
func requestTarget(r *http.Request, routedPath string) string {
	path := rawPath(r.URL.EscapedPath(), r.URL.Path, r.URL.RawPath, routedPath)
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		return path + "?" + r.URL.RawQuery
	}
	return path
}

// rawPath maps routed, the tail of the request's path that a router matched below its
// mount point, to the same tail of escaped, the path as the client sent it. Routers match
// either the decoded path (whose tail would take "/identity%2Dtoken" for "/identity-token")
// or the raw one; "" stands for the whole path.
func rawPath(escaped, decoded, raw, routed string) string {
	switch {
	case routed == "":
		return escaped
	case raw != "" && strings.HasSuffix(raw, routed):
		return routed
	case strings.HasSuffix(decoded, routed):
		// Skip as many decoded bytes of escaped as the router's prefix took: "%XX" is one.
		skip, i := len(decoded)-len(routed), 0
		for ; skip > 0 && i < len(escaped); skip-- {
			if escaped[i] == '%' {
				i += 2
			}
			i++
		}
		return escaped[min(i, len(escaped)):]
	default:
		return routed
	}
}

// body is a request body read into a pooled buffer.
type body struct {
	bytes  []byte
	buffer *[]byte
}

var bodyBuffers = sync.Pool{New: func() any {
	b := make([]byte, MaxBodyBytes+1)
	return &b
}}

// readBody reads the body until it ends or more than MaxBodyBytes bytes have arrived (at
// most one more, as the core asks).
func readBody(r io.Reader) (body, error) {
	buffer := bodyBuffers.Get().(*[]byte)
	b := *buffer
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bodyBuffers.Put(buffer)
			return body{}, err
		}
	}
	return body{bytes: b[:n], buffer: buffer}, nil
}

func (b body) release() { bodyBuffers.Put(b.buffer) }
