package layeridentity

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The endpoint against every case of tests/endpoint/cases.json, over real HTTP on loopback,
// with the checks tests/endpoint/README.md lists; tokens are verified with crypto/rsa.

type endpointCase struct {
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
	} `json:"expected"`
}

func loadEndpointCases(t *testing.T) []endpointCase {
	t.Helper()
	raw, err := readRepoFile("tests", "endpoint", "cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MaxBodyBytes  int            `json:"max_body_bytes"`
		MaxFieldBytes int            `json:"max_field_bytes"`
		Cases         []endpointCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MaxBodyBytes != MaxBodyBytes || doc.MaxFieldBytes != MaxFieldBytes || len(doc.Cases) == 0 {
		t.Fatalf("cases.json limits %d/%d, the handler's %d/%d", doc.MaxBodyBytes, doc.MaxFieldBytes, MaxBodyBytes, MaxFieldBytes)
	}
	return doc.Cases
}

// caseBody is the bytes of a case's body (nil: no body).
func caseBody(t *testing.T, raw json.RawMessage) []byte {
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

type rawResponse struct {
	*http.Response
	body      []byte
	afterHead []byte
}

// sendRaw sends a request exactly as given (headers in order, plus Host, Content-Length
// when there is a body and none is given, and Connection: close) on a new connection.
func sendRaw(t *testing.T, addr, method, path string, headers [][2]string, body []byte) *rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, addr)
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
	out := &rawResponse{Response: resp}
	if out.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	if method == http.MethodHead {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		out.afterHead, _ = io.ReadAll(reader)
	}
	return out
}

// checkEndpointResponse returns the problems of a response (none when it conforms).
func checkEndpointResponse(t *testing.T, c endpointCase, resp *rawResponse, body []byte, public []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := c.Expected
	if resp.StatusCode != want.Status {
		return []string{fmt.Sprintf("status %d, want %d (%s)", resp.StatusCode, want.Status, resp.body)}
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
		set := func(s string) map[string]bool {
			m := map[string]bool{}
			for _, x := range strings.Split(s, ",") {
				m[strings.TrimSpace(x)] = true
			}
			return m
		}
		allow := resp.Header.Values("Allow")
		if len(allow) != 1 || fmt.Sprint(set(allow[0])) != fmt.Sprint(set(*want.Allow)) {
			add("Allow %q, want %q", allow, *want.Allow)
		}
	}
	if c.Request.Method == http.MethodHead {
		if len(resp.body) > 0 || len(resp.afterHead) > 0 {
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
	if bytes.Contains(resp.body, []byte("PRIVATE KEY")) {
		add("the response contains key material")
	}
	doc, err := parseJSON(resp.body)
	if err != nil || doc.kind != jsonObject {
		return append(problems, fmt.Sprintf("the body is not one JSON object: %v: %q", err, resp.body))
	}
	members := func(v *jsonValue) map[string]*jsonValue {
		m := map[string]*jsonValue{}
		for _, x := range v.members {
			if _, dup := m[x.name]; dup {
				add("duplicate member %q", x.name)
			}
			m[x.name] = x.value
		}
		return m
	}
	top := members(doc)
	switch {
	case want.ErrorCode != nil:
		e := top["error"]
		if len(top) != 1 || e == nil || e.kind != jsonObject {
			return append(problems, fmt.Sprintf("want {\"error\":{...}} only, got %s", resp.body))
		}
		fields := members(e)
		code, message := fields["code"], fields["message"]
		if len(fields) != 2 || code == nil || message == nil || code.kind != jsonStr || message.kind != jsonStr {
			return append(problems, fmt.Sprintf("want {\"error\":{\"code\":...,\"message\":...}} only, got %s", resp.body))
		}
		if code.str != *want.ErrorCode {
			add("code %q, want %q", code.str, *want.ErrorCode)
		}
		if message.str == "" {
			add("empty message")
		}
		if want.Message != nil && message.str != *want.Message {
			add("message %q, want %q", message.str, *want.Message)
		}
		if want.MessageContains != nil && !strings.Contains(message.str, *want.MessageContains) {
			add("message %q lacks %q", message.str, *want.MessageContains)
		}
		if echo := echoedInput(message.str, c.Request.Path, body); echo != "" {
			add("the message echoes client input: %q", echo)
		}
	case want.Token != nil:
		tok := top["identity_token"]
		if len(top) != 1 || tok == nil || tok.kind != jsonStr {
			return append(problems, fmt.Sprintf("want {\"identity_token\":...} only, got %s", resp.body))
		}
		problems = append(problems, checkEndpointToken(tok.str, want.Token, public)...)
	case want.JSON != nil:
		var got, expected any
		json.Unmarshal(resp.body, &got)
		json.Unmarshal(want.JSON, &expected)
		if fmt.Sprint(got) != fmt.Sprint(expected) {
			add("body %s, want %s", resp.body, want.JSON)
		}
	}
	return problems
}

// echoedInput is a run of more than 64 characters of the client's path or body (raw, or
// form-decoded) found in message, or "".
func echoedInput(message, path string, body []byte) string {
	texts := []string{path, string(body)}
	if s, err := url.QueryUnescape(string(body)); err == nil {
		texts = append(texts, s)
	}
	if v, err := parseJSON(body); err == nil {
		var walk func(*jsonValue)
		walk = func(v *jsonValue) {
			texts = append(texts, v.str)
			for _, m := range v.members {
				texts = append(texts, m.name)
				walk(m.value)
			}
			for _, item := range v.items {
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

// checkEndpointToken checks a token the endpoint returned: the exact header and claims (the
// expected attributes in the library's order, nothing else), a lifetime of 600 s, iat within
// 5 s of now, and its signature (crypto/rsa).
func checkEndpointToken(token string, want map[string]string, public []byte) []string {
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
	if string(header) != `{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"`+testKeyID+`"}` {
		problems = append(problems, "header "+string(header))
	}
	var parsed struct{ Iat, Exp int64 }
	if err := json.Unmarshal(claims, &parsed); err != nil {
		return append(problems, "claims: "+err.Error())
	}
	if parsed.Exp-parsed.Iat != 600 {
		problems = append(problems, fmt.Sprintf("lifetime %d", parsed.Exp-parsed.Iat))
	}
	if d := time.Now().Unix() - parsed.Iat; d > 5 || d < -5 {
		problems = append(problems, fmt.Sprintf("iat %d s from now", d))
	}
	quote := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	expected := `{"iss":` + quote(testProvider) + `,"prn":` + quote(want["prn"]) + `,"iat":` +
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
	if err := independentVerify(token, public); err != nil {
		problems = append(problems, "crypto/rsa: "+err.Error())
	}
	return problems
}

// sameJSON reports whether two JSON objects have the same members in the same order with
// the same values, and a holds nothing escaped that the library would not escape.
func sameJSON(a, b []byte) bool {
	va, err1 := parseJSON(a)
	vb, err2 := parseJSON(b)
	if err1 != nil || err2 != nil || len(va.members) != len(vb.members) {
		return false
	}
	for i := range va.members {
		if va.members[i].name != vb.members[i].name || va.members[i].value.str != vb.members[i].value.str {
			return false
		}
	}
	return true
}

func readRepoFile(parts ...string) ([]byte, error) {
	return osReadFile(repoPath(parts...))
}

// endpointServer serves Handler on loopback with the test key.
func endpointServer(t *testing.T, authenticate func(*http.Request) (string, error)) (*httptest.Server, *Signer) {
	t.Helper()
	s := newTestSigner(t)
	server := httptest.NewServer(Handler(s, authenticate))
	t.Cleanup(server.Close)
	return server, s
}

func rejectAll(*http.Request) (string, error) { return "", errors.New("no session cookie") }

func TestEndpointCases(t *testing.T) {
	cases := loadEndpointCases(t)
	public := vectorFile(t, "keys/rsa2048.public.pem")
	servers := map[string]*httptest.Server{}
	servers["demo"], _ = endpointServer(t, TrustBodyUserID)
	servers["reject"], _ = endpointServer(t, rejectAll)
	counts := map[string]int{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			server := servers[c.Authenticator]
			if server == nil {
				t.Fatalf("unknown authenticator %q", c.Authenticator)
			}
			body := caseBody(t, c.Request.Body)
			resp := sendRaw(t, server.Listener.Addr().String(), c.Request.Method, c.Request.Path, c.Request.Headers, body)
			for _, p := range checkEndpointResponse(t, c, resp, body, public) {
				t.Error(p)
			}
			counts[c.Authenticator]++
		})
	}
	t.Logf("%d endpoint cases over HTTP on loopback (%d demo, %d reject)", len(cases), counts["demo"], counts["reject"])
}

func postJSON(t *testing.T, server *httptest.Server, path, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, doc
}

func errorOf(doc map[string]any) (code, message string) {
	e, _ := doc["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// A signing failure other than a client's bad argument is 500 with the fixed message; the
// details stay in the server's log.
func TestEndpointServerError(t *testing.T) {
	server, s := endpointServer(t, TrustBodyUserID)
	s.Close() // every signature now fails
	status, doc := postJSON(t, server, "/identity-token", `{"nonce":"n","user_id":"alice"}`, nil)
	if code, message := errorOf(doc); status != 500 || code != "server_error" || message != "could not create the identity token" {
		t.Fatalf("%d %v", status, doc)
	}
}

// The application's authenticate: what it returns is the user, its errors are 401 with the
// fixed message, an empty user ID is the application's bug (500).
func TestEndpointAuthenticate(t *testing.T) {
	v := newTestVerifier(t)
	server, _ := endpointServer(t, func(r *http.Request) (string, error) {
		switch r.Header.Get("X-Session") {
		case "alice":
			return "alice@example.com", nil
		case "empty":
			return "", nil
		case "nul":
			return "a\x00b", nil
		case "field":
			return RequestField(r, "display_name")
		}
		return "", errors.New("secret reason: session expired")
	})
	status, doc := postJSON(t, server, "/identity-token", `{"nonce":"n-1","user_id":"mallory"}`, http.Header{"X-Session": {"alice"}})
	token, _ := doc["identity_token"].(string)
	claims, err := v.Verify(token, VerifyOptions{Nonce: "n-1"})
	if status != 200 || err != nil || claims.UserID != "alice@example.com" {
		t.Fatalf("%d %v %v", status, doc, err)
	}
	status, doc = postJSON(t, server, "/identity-token", `{"nonce":"n"}`, nil)
	if code, message := errorOf(doc); status != 401 || code != "unauthenticated" || message != "authentication required" {
		t.Fatalf("%d %v", status, doc)
	}
	for _, session := range []string{"empty", "nul"} {
		status, doc = postJSON(t, server, "/identity-token", `{"nonce":"n"}`, http.Header{"X-Session": {session}})
		if code, _ := errorOf(doc); status != 500 || code != "server_error" {
			t.Fatalf("%s: %d %v", session, status, doc)
		}
	}
	// RequestField's errors are the field's 400, not 401.
	status, doc = postJSON(t, server, "/identity-token", `{"nonce":"n","display_name":7}`, http.Header{"X-Session": {"field"}})
	if code, message := errorOf(doc); status != 400 || code != "invalid_field" || message != "display_name must be a non-empty string" {
		t.Fatalf("%d %v", status, doc)
	}
	if _, err := RequestField(httptest.NewRequest("GET", "/", nil), "user_id"); err == nil {
		t.Fatal("RequestField outside Handler")
	}
}

// Mounted under a prefix with http.StripPrefix, on a mux.
func TestEndpointUnderPrefix(t *testing.T) {
	s := newTestSigner(t)
	mux := http.NewServeMux()
	mux.Handle("/layer/", http.StripPrefix("/layer", Handler(s, TrustBodyUserID)))
	server := httptest.NewServer(mux)
	defer server.Close()
	status, doc := postJSON(t, server, "/layer/identity-token", `{"nonce":"n","user_id":"alice"}`, nil)
	if _, ok := doc["identity_token"].(string); status != 200 || !ok {
		t.Fatalf("%d %v", status, doc)
	}
	resp, err := server.Client().Get(server.URL + "/layer/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
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
