// Package conformance runs the identity-token endpoint's contract (tests/endpoint/cases.json,
// with the checks tests/endpoint/README.md lists) against a server over real HTTP on
// loopback, for the tests of the layeridentity package and of the router modules (layerchi,
// layergin, layerecho). Every authenticator kind is mounted under a prefix of its own, so
// that the same run also checks that the endpoint answers relative to its mount point.
// Tokens are checked byte for byte and verified with crypto/rsa (not OpenSSL).
package conformance

import (
	"bufio"
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
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/internal/exactjson"
)

// The identity the tests' signers use, with the key vectors/keys/rsa2048.pkcs8.pem.
const (
	ProviderID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
	KeyID      = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
)

// Inexpressible are the authenticator kinds of cases.json that a Go authenticate function
// cannot express, with the reason: it returns (string, error).
var Inexpressible = map[string]string{
	"integer":       "authenticate returns (string, error): an integer is not a string (the compiler refuses it)",
	"not_a_user_id": "authenticate returns (string, error): a boolean, float or list is not a string (the compiler refuses it)",
}

// RepoRoot is the repository's top directory (the one with tests/endpoint and vectors),
// found above the working directory.
var RepoRoot = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tests", "endpoint", "cases.json")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("conformance: no tests/endpoint/cases.json above the working directory")
		}
		dir = parent
	}
})

func readRepoFile(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{RepoRoot()}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// PrivateKey is the tests' private key (PEM).
func PrivateKey(t testing.TB) []byte { return readRepoFile(t, "vectors", "keys", "rsa2048.pkcs8.pem") }

// PublicKey is its public key (PEM).
func PublicKey(t testing.TB) []byte { return readRepoFile(t, "vectors", "keys", "rsa2048.public.pem") }

// Case is one case of cases.json.
type Case struct {
	Name          string `json:"name"`
	Authenticator string `json:"authenticator"`
	Request       struct {
		Method  string          `json:"method"`
		Path    string          `json:"path"`
		Headers [][2]string     `json:"headers"`
		Body    json.RawMessage `json:"body"`
	} `json:"request"`
	Expected struct {
		Status          int               `json:"status"`
		ErrorCode       *string           `json:"error_code"`
		Allow           *string           `json:"allow"`
		Token           map[string]string `json:"token"`
		JSON            json.RawMessage   `json:"json"`
		Message         *string           `json:"message"`
		MessageContains *string           `json:"message_contains"`
		ServerMayRefuse bool              `json:"server_may_refuse"`
		ServerMayRoute  bool              `json:"server_may_route"`
	} `json:"expected"`
}

// Cases reads tests/endpoint/cases.json.
func Cases(t testing.TB) []Case {
	t.Helper()
	var doc struct {
		Authenticators map[string]string `json:"authenticators"`
		Cases          []Case            `json:"cases"`
	}
	if err := json.Unmarshal(readRepoFile(t, "tests", "endpoint", "cases.json"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("cases.json has no cases")
	}
	for kind := range Inexpressible {
		if _, ok := doc.Authenticators[kind]; !ok {
			t.Fatalf("Inexpressible lists %q, which cases.json does not have", kind)
		}
	}
	return doc.Cases
}

// Mounts says where a server mounts the endpoint for each authenticator kind: the path
// prefix ("" for the root) and the address.
type Mounts map[string]Mount

// Mount is one endpoint of a server.
type Mount struct {
	Addr   string // host:port
	Prefix string // e.g. "/demo"; "" at the root
}

// Run sends every case to the endpoint mounted for its authenticator kind and checks the
// answer. Every kind of cases.json must be mounted, or listed in Inexpressible.
func Run(t *testing.T, mounts Mounts) {
	t.Helper()
	public := PublicKey(t)
	counts := map[string]int{}
	for _, c := range Cases(t) {
		m, ok := mounts[c.Authenticator]
		if !ok {
			if _, skip := Inexpressible[c.Authenticator]; !skip {
				t.Fatalf("case %s: no endpoint mounted for the authenticator kind %q", c.Name, c.Authenticator)
			}
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			body := Body(t, c.Request.Body)
			resp := Send(t, m.Addr, c.Request.Method, Prefixed(c.Request.Path, m.Prefix), c.Request.Headers, body)
			for _, p := range Check(c, resp, body, public) {
				t.Error(p)
			}
		})
		counts[c.Authenticator]++
	}
	var kinds []string
	total := 0
	for kind, n := range counts {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, kind))
		total += n
	}
	slices.Sort(kinds)
	t.Logf("%d endpoint cases over HTTP on loopback (%s)", total, strings.Join(kinds, ", "))
}

// Prefixed is a case's request target below a mount prefix: "/healthz?x" becomes
// "/demo/healthz?x", "http://host/healthz" becomes "http://host/demo/healthz".
func Prefixed(target, prefix string) string {
	if prefix == "" {
		return target
	}
	if rest, ok := strings.CutPrefix(target, "http://"); ok {
		authority, path, _ := strings.Cut(rest, "/")
		return "http://" + authority + prefix + "/" + path
	}
	return prefix + target
}

// Body is the bytes of a case's body (nil: no body).
func Body(t testing.TB, raw json.RawMessage) []byte {
	t.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b struct {
		Text   *string         `json:"text"`
		JSON   json.RawMessage `json:"json"`
		Form   [][2]string     `json:"form"`
		Base64 *string         `json:"base64"`
		Repeat *struct {
			Text, Prefix, Suffix string
			Count                int
		} `json:"repeat"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	switch {
	case b.Text != nil:
		return []byte(*b.Text)
	case b.JSON != nil:
		// Compact JSON, non-ASCII as raw UTF-8 (what the cases' "json" bodies mean).
		var v any
		dec := json.NewDecoder(bytes.NewReader(b.JSON))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
	case b.Form != nil:
		pairs := make([]string, len(b.Form))
		for i, p := range b.Form {
			pairs[i] = url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1])
		}
		return []byte(strings.Join(pairs, "&"))
	case b.Base64 != nil:
		data, err := base64.StdEncoding.DecodeString(*b.Base64)
		if err != nil {
			t.Fatal(err)
		}
		return data
	case b.Repeat != nil:
		return []byte(b.Repeat.Prefix + strings.Repeat(b.Repeat.Text, b.Repeat.Count) + b.Repeat.Suffix)
	}
	t.Fatalf("unknown body %s", raw)
	return nil
}

// Response is a response as read off the connection.
type Response struct {
	*http.Response
	Body      []byte
	AfterHead []byte // what followed a response to HEAD (must be nothing)
}

// Send sends a request exactly as given (headers in order, plus Host, Content-Length when
// there is a body and none is given, and Connection: close) on a new connection.
func Send(t testing.TB, addr, method, target string, headers [][2]string, body []byte) *Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, addr)
	hasLength := false
	for _, h := range headers {
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], h[1])
		hasLength = hasLength || strings.EqualFold(h[0], "Content-Length")
	}
	if body != nil && !hasLength {
		fmt.Fprintf(&req, "Content-Length: %d\r\n", len(body))
	}
	req.WriteString("Connection: close\r\n\r\n")
	req.Write(body)
	// The server may answer and close before it has read everything (413, 415).
	if _, err := conn.Write(req.Bytes()); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("write: %v (reading the response all the same)", err)
	}
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	out := &Response{Response: resp}
	if out.Body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	if method == http.MethodHead {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		out.AfterHead, _ = io.ReadAll(reader)
	}
	return out
}

// Check returns the problems of a response to a case (none when it conforms).
func Check(c Case, resp *Response, body, publicKey []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := c.Expected
	if want.ServerMayRefuse && resp.StatusCode == http.StatusBadRequest && !isContractError(resp.Body) {
		if !resp.Close {
			add("the server refused the request (%q) without closing the connection", resp.Body)
		}
		return problems
	}
	if want.ServerMayRoute && resp.StatusCode == http.StatusNotFound && !isContractError(resp.Body) {
		return nil // the server's own 404 for a target it normalizes
	}
	if resp.StatusCode != want.Status {
		return []string{fmt.Sprintf("status %d, want %d (%s)", resp.StatusCode, want.Status, resp.Body)}
	}
	noStore := false
	for _, v := range resp.Header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			noStore = noStore || strings.EqualFold(strings.TrimSpace(d), "no-store")
		}
	}
	if !noStore {
		add("Cache-Control %q lacks no-store", resp.Header.Values("Cache-Control"))
	}
	if want.Allow != nil {
		set := func(s string) []string {
			var methods []string
			for _, x := range strings.Split(s, ",") {
				methods = append(methods, strings.TrimSpace(x))
			}
			slices.Sort(methods)
			return methods
		}
		allow := resp.Header.Values("Allow")
		if len(allow) != 1 || !slices.Equal(set(allow[0]), set(*want.Allow)) {
			add("Allow %q, want %q", allow, *want.Allow)
		}
	}
	if c.Request.Method == http.MethodHead {
		if len(resp.Body) > 0 || len(resp.AfterHead) > 0 {
			add("a response to HEAD carried a body")
		}
		return problems
	}
	ct := resp.Header.Values("Content-Type")
	if len(ct) != 1 {
		add("Content-Type %q", ct)
	} else if kind, params, err := mime.ParseMediaType(ct[0]); err != nil || kind != "application/json" ||
		len(params) > 1 || (len(params) == 1 && !strings.EqualFold(params["charset"], "utf-8")) {
		add("Content-Type %q", ct[0])
	}
	if bytes.Contains(resp.Body, []byte("PRIVATE KEY")) {
		add("the response contains key material")
	}
	doc, err := exactjson.Parse(resp.Body)
	if err != nil || doc.Kind != exactjson.Object {
		return append(problems, fmt.Sprintf("the body is not one JSON object: %v: %q", err, resp.Body))
	}
	members := func(v *exactjson.Value) map[string]*exactjson.Value {
		m := map[string]*exactjson.Value{}
		for _, x := range v.Members {
			if _, dup := m[x.Name]; dup {
				add("duplicate member %q", x.Name)
			}
			m[x.Name] = x.Value
		}
		return m
	}
	top := members(doc)
	switch {
	case want.ErrorCode != nil:
		e := top["error"]
		if len(top) != 1 || e == nil || e.Kind != exactjson.Object {
			return append(problems, fmt.Sprintf("want {\"error\":{...}} only, got %s", resp.Body))
		}
		fields := members(e)
		code, message := fields["code"], fields["message"]
		if len(fields) != 2 || code == nil || message == nil || code.Kind != exactjson.String || message.Kind != exactjson.String {
			return append(problems, fmt.Sprintf("want {\"error\":{\"code\":...,\"message\":...}} only, got %s", resp.Body))
		}
		if code.Str != *want.ErrorCode {
			add("code %q, want %q", code.Str, *want.ErrorCode)
		}
		if message.Str == "" {
			add("empty message")
		}
		if want.Message != nil && message.Str != *want.Message {
			add("message %q, want %q", message.Str, *want.Message)
		}
		if want.MessageContains != nil && !strings.Contains(message.Str, *want.MessageContains) {
			add("message %q lacks %q", message.Str, *want.MessageContains)
		}
		if echo := echoedInput(message.Str, c.Request.Path, body); echo != "" {
			add("the message echoes client input: %q", echo)
		}
		if code.Str == "invalid_request" && !resp.Close {
			add("400 invalid_request without Connection: close")
		}
	case want.Token != nil:
		tok := top["identity_token"]
		if len(top) != 1 || tok == nil || tok.Kind != exactjson.String {
			return append(problems, fmt.Sprintf("want {\"identity_token\":...} only, got %s", resp.Body))
		}
		problems = append(problems, CheckToken(tok.Str, want.Token, publicKey)...)
	case want.JSON != nil:
		var got, expected any
		json.Unmarshal(resp.Body, &got)
		json.Unmarshal(want.JSON, &expected)
		if fmt.Sprint(got) != fmt.Sprint(expected) {
			add("body %s, want %s", resp.Body, want.JSON)
		}
	}
	return problems
}

// isContractError reports whether b is the contract's error body, {"error":{"code":...}}.
func isContractError(b []byte) bool {
	v, err := exactjson.Parse(b)
	if err != nil || v.Kind != exactjson.Object {
		return false
	}
	for _, m := range v.Members {
		if m.Name == "error" && m.Value.Kind == exactjson.Object {
			for _, f := range m.Value.Members {
				if f.Name == "code" {
					return true
				}
			}
		}
	}
	return false
}

// echoedInput is a run of more than 64 characters of the client's path or body (raw, or
// form-decoded) found in message, or "".
func echoedInput(message, path string, body []byte) string {
	texts := []string{path, string(body)}
	if s, err := url.QueryUnescape(string(body)); err == nil {
		texts = append(texts, s)
	}
	if v, err := exactjson.Parse(body); err == nil {
		var walk func(*exactjson.Value)
		walk = func(v *exactjson.Value) {
			texts = append(texts, v.Str)
			for _, m := range v.Members {
				texts = append(texts, m.Name)
				walk(m.Value)
			}
			for _, item := range v.Items {
				walk(item)
			}
		}
		walk(v)
	}
	runes := []rune(message)
	for i := 0; i+65 <= len(runes); i++ {
		window := string(runes[i : i+65])
		for _, text := range texts {
			if strings.Contains(text, window) {
				return window
			}
		}
	}
	return ""
}

// CheckToken checks a token the endpoint returned: the exact header and claims (the
// expected attributes in the library's order, nothing else), a lifetime of 600 s, iat near
// now (within a minute: the test may run on a busy machine), and its signature with
// crypto/rsa.
func CheckToken(token string, want map[string]string, publicKey []byte) []string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return []string{"not three parts: " + token}
	}
	header, err1 := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	claims, err2 := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return []string{"a part is not canonical base64url"}
	}
	var problems []string
	if string(header) != `{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"`+KeyID+`"}` {
		problems = append(problems, "header "+string(header))
	}
	var parsed struct{ Iat, Exp int64 }
	if err := json.Unmarshal(claims, &parsed); err != nil {
		return append(problems, "claims: "+err.Error())
	}
	if parsed.Exp-parsed.Iat != 600 {
		problems = append(problems, fmt.Sprintf("lifetime %d", parsed.Exp-parsed.Iat))
	}
	if d := time.Now().Unix() - parsed.Iat; d > 60 || d < -60 {
		problems = append(problems, fmt.Sprintf("iat %d s from now", d))
	}
	quote := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	expected := `{"iss":` + quote(ProviderID) + `,"prn":` + quote(want["prn"]) + `,"iat":` +
		strconv.FormatInt(parsed.Iat, 10) + `,"exp":` + strconv.FormatInt(parsed.Exp, 10) + `,"nce":` + quote(want["nce"])
	for _, name := range []string{"first_name", "last_name", "display_name", "avatar_url"} {
		if v, ok := want[name]; ok {
			expected += `,"` + name + `":` + quote(v)
		}
	}
	expected += "}"
	// encoding/json writes U+2028, U+2029 and U+007F... as the library does not; compare
	// decoded claims when the bytes differ only in such escapes.
	if string(claims) != expected && !sameJSON(claims, []byte(expected)) {
		problems = append(problems, fmt.Sprintf("claims\n got %s\nwant %s", claims, expected))
	}
	if err := VerifySignature(token, publicKey); err != nil {
		problems = append(problems, "crypto/rsa: "+err.Error())
	}
	return problems
}

// sameJSON reports whether two JSON objects have the same members in the same order with
// the same values.
func sameJSON(a, b []byte) bool {
	va, err1 := exactjson.Parse(a)
	vb, err2 := exactjson.Parse(b)
	if err1 != nil || err2 != nil || len(va.Members) != len(vb.Members) {
		return false
	}
	for i := range va.Members {
		if va.Members[i].Name != vb.Members[i].Name || va.Members[i].Value.Str != vb.Members[i].Value.Str {
			return false
		}
	}
	return true
}

// VerifySignature checks an RS256 token's signature with Go's own crypto/rsa (not OpenSSL,
// not the library) against the SPKI public key publicKeyPEM.
func VerifySignature(token string, publicKeyPEM []byte) error {
	block, _ := pem.Decode(publicKeyPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		return errors.New("not an SPKI PEM public key")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return err
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("a %T, not an RSA key", key)
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

// ExpectServerError checks that a valid token request to the endpoint at m, whose signer
// fails (the tests close it), is answered 500 server_error with the contract's fixed
// message.
func ExpectServerError(t *testing.T, m Mount) {
	t.Helper()
	body := []byte(`{"nonce":"n-1","user_id":"alice"}`)
	resp := Send(t, m.Addr, http.MethodPost, Prefixed("/identity-token", m.Prefix),
		[][2]string{{"Content-Type", "application/json"}}, body)
	const want = `{"error":{"code":"server_error","message":"could not create the identity token"}}`
	if resp.StatusCode != http.StatusInternalServerError || !sameJSON(resp.Body, []byte(want)) {
		t.Fatalf("a failing signer: %d %s, want 500 %s", resp.StatusCode, resp.Body, want)
	}
}

// RequestToken posts a JSON body to the endpoint at m with extra headers and returns the
// status and the token (or the body, when there is no token).
func RequestToken(t testing.TB, m Mount, body string, headers ...[2]string) (int, string) {
	t.Helper()
	resp := Send(t, m.Addr, http.MethodPost, Prefixed("/identity-token", m.Prefix),
		append([][2]string{{"Content-Type", "application/json"}}, headers...), []byte(body))
	var doc struct {
		Token string `json:"identity_token"`
	}
	if json.Unmarshal(resp.Body, &doc) != nil || doc.Token == "" {
		return resp.StatusCode, string(resp.Body)
	}
	return resp.StatusCode, doc.Token
}

// ConnectionChecks are the driver's connection checks on one endpoint: two health checks
// written at once on one connection are both answered; a request whose body the endpoint
// does not read (an unknown path) is answered with Connection: close, and the server then
// closes the connection without taking the body for another request.
func ConnectionChecks(t *testing.T, m Mount) {
	t.Helper()
	t.Run("pipelined_healthz", func(t *testing.T) {
		conn, reader := dial(t, m.Addr)
		get := "GET " + m.Prefix + "/healthz HTTP/1.1\r\nHost: " + m.Addr + "\r\n\r\n"
		if _, err := conn.Write([]byte(get + get)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			resp, err := http.ReadResponse(reader, nil)
			if err != nil {
				t.Fatalf("response %d: %v", i+1, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !sameJSON(b, []byte(`{"status":"ok"}`)) {
				t.Fatalf("response %d: %d %s", i+1, resp.StatusCode, b)
			}
		}
	})
	t.Run("unread_body_closes", func(t *testing.T) {
		conn, reader := dial(t, m.Addr)
		// The body is itself a request: a server that kept the connection would answer it.
		smuggled := "GET " + m.Prefix + "/healthz HTTP/1.1\r\nHost: x\r\n\r\n"
		req := fmt.Sprintf("POST %s/nope HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			m.Prefix, m.Addr, len(smuggled), smuggled)
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(reader, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound || !resp.Close {
			t.Fatalf("%d, Connection %q: want 404 with Connection: close", resp.StatusCode, resp.Header.Get("Connection"))
		}
		if rest, err := io.ReadAll(reader); len(rest) > 0 {
			t.Fatalf("the server answered the body as a request (%v): %q", err, rest)
		}
	})
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	return conn, bufio.NewReader(conn)
}
