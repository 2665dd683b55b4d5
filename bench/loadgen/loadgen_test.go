package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testProvider = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
	testKeyID    = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
)

// The shared vectors: every RSA token without attributes verifies, and the checker tells
// each kind of tampering apart.
func TestCheckerOnVectors(t *testing.T) {
	raw, err := os.ReadFile("../../vectors/sign.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors struct {
		Cases []struct {
			Name               string  `json:"name"`
			PrivateKeyFile     string  `json:"private_key_file"`
			ProviderID         string  `json:"provider_id"`
			KeyID              string  `json:"key_id"`
			UserID             string  `json:"user_id"`
			Nonce              string  `json:"nonce"`
			ExpectedToken      string  `json:"expected_token"`
			ExpectedHeaderJSON string  `json:"expected_header_json"`
			IssuedAt           int64   `json:"issued_at"`
			TTLSeconds         int64   `json:"ttl_seconds"`
			AttributesJSON     *string `json:"attributes_json"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, v := range vectors.Cases {
		if v.ExpectedToken == "" || v.AttributesJSON != nil || v.TTLSeconds != tokenLifetime ||
			!strings.HasPrefix(v.PrivateKeyFile, "keys/rsa") ||
			// crypto/rsa refuses public exponents above 2^31 - 1 (these keys have 2^32 - 1 and more).
			strings.HasPrefix(v.PrivateKeyFile, "keys/rsa2048-e-") {
			continue
		}
		// The public key beside the private one: keys/rsa2048.pkcs1.pem -> keys/rsa2048.public.pem.
		base, _, _ := strings.Cut(v.PrivateKeyFile, ".")
		pemText, err := os.ReadFile(filepath.Join("../../vectors", base+".public.pem"))
		if err != nil {
			t.Fatal(err)
		}
		var header struct{ Typ string }
		json.Unmarshal([]byte(v.ExpectedHeaderJSON), &header)
		check, err := newChecker(pemText, v.ProviderID, v.KeyID, header.Typ)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if failed := check.check(v.ExpectedToken, v.Nonce, v.UserID, v.IssuedAt, v.IssuedAt); failed != nil {
			t.Errorf("%s: %v", v.Name, failed)
		}
		checked++
		parts := strings.Split(v.ExpectedToken, ".")
		signature, _ := base64.RawURLEncoding.DecodeString(parts[2])
		signature[len(signature)/2] ^= 1
		tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(signature)
		for _, bad := range []struct {
			kind, token, nonce, user string
			from, until              int64
		}{
			{"signature", tampered, v.Nonce, v.UserID, v.IssuedAt, v.IssuedAt},
			{"claims", v.ExpectedToken, v.Nonce + "x", v.UserID, v.IssuedAt, v.IssuedAt},
			{"claims", v.ExpectedToken, v.Nonce, v.UserID + "x", v.IssuedAt, v.IssuedAt},
			{"iat", v.ExpectedToken, v.Nonce, v.UserID, v.IssuedAt + 1, v.IssuedAt + 2},
			{"token_format", v.ExpectedToken + "=", v.Nonce, v.UserID, v.IssuedAt, v.IssuedAt},
			{"token_format", parts[0] + "." + parts[1], v.Nonce, v.UserID, v.IssuedAt, v.IssuedAt},
		} {
			if failed := check.check(bad.token, bad.nonce, bad.user, bad.from, bad.until); failed == nil || failed.kind != bad.kind {
				t.Errorf("%s: tampered (%s) gave %v", v.Name, bad.kind, failed)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d vectors checked", checked)
	}
}

// Every shape fills each size exactly, and every shape expected to pass is a valid request
// with the nonce and user last.
func TestShapes(t *testing.T) {
	for _, s := range shapes {
		for _, kib := range []int{1, 4, 16, 32, 64} {
			body := s.build(kib*1024, "n-1", "u-1")
			if len(body) != kib*1024 {
				t.Errorf("%s: %d KiB body is %d bytes", s.name, kib, len(body))
			}
			if s.expect != 200 {
				continue
			}
			if s.contentType == formType {
				values, err := url.ParseQuery(string(body))
				if err != nil || values.Get("nonce") != "n-1" || values.Get("user_id") != "u-1" {
					t.Errorf("%s: %d KiB: not a form with the nonce and user: %v", s.name, kib, err)
				}
				continue
			}
			var fields struct {
				Nonce  string
				UserID string `json:"user_id"`
			}
			if !json.Valid(body) || json.Unmarshal(body, &fields) != nil || fields.Nonce != "n-1" || fields.UserID != "u-1" {
				t.Errorf("%s: %d KiB: not a JSON request with the nonce and user: %.80q", s.name, kib, body)
			}
		}
	}
}

func TestTargetIsLoopbackOnly(t *testing.T) {
	for _, bad := range []string{"", "http://10.1.2.3:8080", "http://192.0.2.1/", "https://127.0.0.1:1", "http://127.0.0.1:1/?a=b"} {
		if _, err := parseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for raw, want := range map[string]target{
		"http://127.0.0.1:8080":        {"127.0.0.1:8080", "/identity-token"},
		"http://127.0.0.1:8080/":       {"127.0.0.1:8080", "/identity-token"},
		"http://[::1]:9/mounted/token": {"[::1]:9", "/mounted/token"},
		"http://localhost:7/x":         {"localhost:7", "/x"},
	} {
		if got, err := parseTarget(raw); err != nil || got != want {
			t.Errorf("%q: %+v, %v", raw, got, err)
		}
	}
}

// tokenServer is an identity-token endpoint written for these tests with crypto/rsa, whose
// answers misbehave as told.
type tokenServer struct {
	key     *rsa.PrivateKey
	pemPath string
	count   atomic.Int64
	// misbehave, given the request's number (from 1), may answer instead of the endpoint.
	misbehave func(n int64, w http.ResponseWriter, r *http.Request) bool
	// lifetime of the tokens minted
	lifetime int64
}

var testKey = func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
}()

func newTokenServer(t *testing.T) *tokenServer {
	der, err := x509.MarshalPKIXPublicKey(&testKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "public.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tokenServer{key: testKey, pemPath: path, lifetime: tokenLifetime}
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.count.Add(1)
	if s.misbehave != nil && s.misbehave(n, w, r) {
		return
	}
	var nonce, user string
	if r.Header.Get("Content-Type") == formType {
		r.ParseForm()
		nonce, user = r.PostForm.Get("nonce"), r.PostForm.Get("user_id")
	} else {
		var fields struct {
			Nonce  string
			UserID string `json:"user_id"`
		}
		json.NewDecoder(r.Body).Decode(&fields)
		nonce, user = fields.Nonce, fields.UserID
	}
	header := `{"typ":"JWS","alg":"RS256","cty":"layer-eit;v=1","kid":"` + testKeyID + `"}`
	iat := time.Now().Unix()
	claims := fmt.Sprintf(`{"iss":%q,"prn":%q,"iat":%d,"exp":%d,"nce":%q}`, testProvider, user, iat, iat+s.lifetime, nonce)
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	signature, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, digest[:])
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"identity_token":"%s.%s"}`, input, base64.RawURLEncoding.EncodeToString(signature))
}

// runLoadgen runs the command with args against server and returns its exit status and
// JSON report.
func runLoadgen(t *testing.T, server *httptest.Server, pemPath string, args ...string) (int, map[string]any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	all := append([]string{"--url", server.URL, "--public-key", pemPath, "--provider-id", testProvider,
		"--key-id", testKeyID, "--json", out, "--timeout", "5s"}, args...)
	var stdout, stderr bytes.Buffer
	status := run(all, &stdout, &stderr)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report (status %d): %s", status, stderr.String())
	}
	var report map[string]any
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "loadgen") {
		t.Errorf("the readable line is %q", stdout.String())
	}
	return status, report
}

func TestLoadVerifiesEveryToken(t *testing.T) {
	tokens := newTokenServer(t)
	server := httptest.NewServer(tokens)
	defer server.Close()
	for _, body := range []string{"json", "form"} {
		args := []string{"--conns", "4", "--requests", "200", "--warmup", "40", "--rss-pid", strconv.Itoa(os.Getpid()),
			"--rss-after", "100", "--rss-every", "60"}
		if body == "form" {
			args = append(args, "--form")
		}
		status, report := runLoadgen(t, server, tokens.pemPath, args...)
		if status != 0 || report["failed"] != 0.0 || report["requests"] != 200.0 || report["verified"] != 240.0 || report["body"] != body {
			t.Errorf("%s: status %d, report %v", body, status, report)
		}
		for _, field := range []string{"tokens_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms"} {
			if value, ok := report[field].(float64); !ok || value <= 0 {
				t.Errorf("%s: %s is %v", body, field, report[field])
			}
		}
		rss := report["rss"].(map[string]any)
		first, end := rss["first"].(map[string]any), rss["end"].(map[string]any)
		if first["kib"].(float64) <= 0 || end["kib"].(float64) <= 0 || first["after_requests"].(float64) < 100 ||
			rss["growth"] == nil || len(rss["samples"].([]any)) != 4 {
			t.Errorf("%s: rss %v", body, rss)
		}
	}
	if tokens.count.Load() != 480 {
		t.Errorf("the server answered %d requests, expected 480", tokens.count.Load())
	}
}

// Each kind of failure is counted as what it is, and the run goes on after it.
func TestLoadCountsFailures(t *testing.T) {
	for _, test := range []struct {
		name      string
		misbehave func(n int64, w http.ResponseWriter, r *http.Request) bool
		lifetime  int64
		kind      string
		count     float64
	}{
		{"status", func(n int64, w http.ResponseWriter, r *http.Request) bool {
			if n%10 == 0 {
				http.Error(w, `{"error":{}}`, 500)
				return true
			}
			return false
		}, tokenLifetime, "status_500", 10},
		{"lifetime", nil, 3600, "lifetime", 100},
		{"body", func(n int64, w http.ResponseWriter, r *http.Request) bool {
			if n%25 == 0 {
				fmt.Fprint(w, `{"identity_token":"a.b.c","more":1}`)
				return true
			}
			return false
		}, tokenLifetime, "body", 4},
		{"closed", func(n int64, w http.ResponseWriter, r *http.Request) bool {
			if n%20 == 0 {
				connection, _, _ := w.(http.Hijacker).Hijack()
				connection.Close()
				return true
			}
			return false
		}, tokenLifetime, "closed", 5},
	} {
		tokens := newTokenServer(t)
		tokens.misbehave, tokens.lifetime = test.misbehave, test.lifetime
		server := httptest.NewServer(tokens)
		status, report := runLoadgen(t, server, tokens.pemPath, "--conns", "1", "--requests", "100")
		server.Close()
		failures := report["failures"].(map[string]any)
		if status != 1 || report["failed"] != test.count || failures[test.kind] != test.count || len(failures) != 1 {
			t.Errorf("%s: status %d, failed %v, failures %v", test.name, status, report["failed"], failures)
		}
		// A token's failures are found after the run, among the answered requests.
		answered := report["answered"].(float64)
		if afterwards := test.kind == "lifetime" || test.kind == "body"; afterwards && answered != 100 ||
			!afterwards && answered+report["failed"].(float64) != 100 {
			t.Errorf("%s: %v answered", test.name, answered)
		}
	}
}

// A 200 with Connection: close is a token, not a failure: the next request reconnects.
func TestLoadReconnectsAfterClose(t *testing.T) {
	tokens := newTokenServer(t)
	tokens.misbehave = func(n int64, w http.ResponseWriter, r *http.Request) bool {
		if n%10 == 0 {
			w.Header().Set("Connection", "close")
		}
		return false
	}
	server := httptest.NewServer(tokens)
	defer server.Close()
	status, report := runLoadgen(t, server, tokens.pemPath, "--conns", "1", "--requests", "100")
	// The tenth answer of ten closes: nine reconnections.
	if status != 0 || report["reconnects"] != 9.0 || report["verified"] != 100.0 {
		t.Errorf("status %d, report %v", status, report)
	}
}

func TestDurationAndFresh(t *testing.T) {
	tokens := newTokenServer(t)
	server := httptest.NewServer(tokens)
	defer server.Close()
	status, report := runLoadgen(t, server, tokens.pemPath, "--conns", "2", "--duration", "300ms", "--fresh")
	requests := report["requests"].(float64)
	if status != 0 || requests < 2 || report["verified"] != requests || report["reconnects"] != requests-2 {
		t.Errorf("status %d, report %v", status, report)
	}
	// Paced: 1 s at most for 10 requests 100 ms apart, whatever the machine's speed.
	status, report = runLoadgen(t, server, tokens.pemPath, "--requests", "50", "--duration", "1s", "--pace", "100ms")
	if requests := report["requests"].(float64); status != 0 || requests > 10 || report["pace_ms"] != 100.0 {
		t.Errorf("paced: status %d, report %v", status, report)
	}
}

// Slow clients stay open on a server without a header timeout, and are counted as dropped
// and opened again on a server with one.
func TestSlowClients(t *testing.T) {
	for _, headerTimeout := range []time.Duration{0, 150 * time.Millisecond} {
		tokens := newTokenServer(t)
		server := httptest.NewUnstartedServer(tokens)
		server.Config.ReadHeaderTimeout = headerTimeout
		server.Start()
		status, report := runLoadgen(t, server, tokens.pemPath, "--slow", "20", "--slow-interval", "50ms",
			"--slow-settle", "400ms", "--fresh", "--requests", "20")
		server.Close()
		slow := report["slow"].(map[string]any)
		if status != 0 || report["verified"] != 20.0 || slow["clients"] != 20.0 {
			t.Errorf("header timeout %v: status %d, report %v", headerTimeout, status, report)
		}
		if headerTimeout == 0 && (slow["open_at_start"] != 20.0 || slow["dropped"] != 0.0) {
			t.Errorf("no header timeout: %v", slow)
		}
		if headerTimeout > 0 && slow["dropped"].(float64) < 20 {
			t.Errorf("header timeout %v: %v", headerTimeout, slow)
		}
	}
}

func TestHostile(t *testing.T) {
	tokens := newTokenServer(t)
	tokens.misbehave = func(n int64, w http.ResponseWriter, r *http.Request) bool {
		body := new(bytes.Buffer)
		body.ReadFrom(r.Body)
		if bytes.HasPrefix(body.Bytes(), []byte("[[[[")) {
			http.Error(w, `{"error":{}}`, 400)
			return true
		}
		r.Body = readCloser{body}
		return false
	}
	server := httptest.NewServer(tokens)
	defer server.Close()
	status, report := runLoadgen(t, server, tokens.pemPath, "--hostile", "--repeat", "1", "--sizes", "4,16",
		"--max-ratio", "1e9") // the verdict on timings is not this test's: a busy machine could flip it
	if status != 0 || report["failed"] != 0.0 || len(report["shapes"].([]any)) != len(shapes) {
		t.Errorf("status %d, report %v", status, report)
	}
	if tokens.count.Load() != int64(2*2*len(shapes)) {
		t.Errorf("%d requests", tokens.count.Load())
	}
}

type readCloser struct{ *bytes.Buffer }

func (readCloser) Close() error { return nil }

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--url", "http://127.0.0.1:1"},
		{"--url", "http://127.0.0.1:1", "--requests", "1", "--conns", "0"},
		{"--url", "http://127.0.0.1:1", "--requests", "1", "--public-key", "x.pem"},
		{"--url", "http://127.0.0.1:1", "--hostile", "--sizes", "4,65"},
		{"--url", "http://127.0.0.1:1", "--requests", "1", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if status := run(args, &stdout, &stderr); status != 2 || stderr.Len() == 0 {
			t.Errorf("%q: status %d, stderr %q", args, status, stderr.String())
		}
	}
	// Nothing listens: every request fails to connect, quickly, and the run says so.
	listener, _ := net.Listen("tcp", "127.0.0.1:0")
	address := listener.Addr().String()
	listener.Close()
	var stdout, stderr bytes.Buffer
	status := run([]string{"--url", "http://" + address, "--requests", "3"}, &stdout, &stderr)
	if status != 1 || !strings.Contains(stderr.String(), "3 FAILED (connect 3") || !strings.Contains(stdout.String(), `"failed": 3`) {
		t.Errorf("status %d, stdout %s, stderr %s", status, stdout.String(), stderr.String())
	}
}

// The verdict on hostile timings, from the fastest answer at each size: linear costs with a
// fixed part pass, a quadratic cost does not, and slow outliers do not make one.
func TestHostileVerdict(t *testing.T) {
	ms := func(values ...float64) []time.Duration {
		durations := make([]time.Duration, len(values))
		for i, value := range values {
			durations[i] = time.Duration(value * float64(time.Millisecond))
		}
		return durations
	}
	for _, test := range []struct {
		name        string
		timings     [][]time.Duration // per size: 4, 16, 32, 64 KiB
		superlinear bool
		ratio       float64
	}{
		{"linear with a fixed cost", [][]time.Duration{ms(1.4, 1.5), ms(2.6, 2.7), ms(4.2, 4.4), ms(7.4, 7.5)}, false, 2.846},
		{"purely linear", [][]time.Duration{ms(4), ms(16), ms(32), ms(64)}, false, 4},
		{"linear, busy moments", [][]time.Duration{ms(1, 9), ms(2, 2.1), ms(3, 30), ms(5, 50, 60)}, false, 2.5},
		{"quadratic", [][]time.Duration{ms(70, 71), ms(1080, 1100), ms(4300), ms(16000, 16500)}, true, 14.815},
		{"just above 6", [][]time.Duration{ms(1), ms(2), ms(6), ms(12.2)}, true, 6.1},
	} {
		h := &hostile{opts: options{sizes: []int{4, 16, 32, 64}, maxRatio: 6}, timings: [][][]time.Duration{test.timings}, statuses: []int{200}}
		result := h.result(0)
		if result.Superlinear != test.superlinear || result.Ratio != test.ratio {
			t.Errorf("%s: superlinear %v, ratio %v (%s)", test.name, result.Superlinear, result.Ratio, result.RatioOf)
		}
	}
	// Sizes 16 and 32: the limit scales with their ratio (2 for linear: 3 with --max-ratio 6).
	h := &hostile{opts: options{sizes: []int{16, 32}, maxRatio: 6}, timings: [][][]time.Duration{{ms(10), ms(31)}}, statuses: []int{200}}
	if result := h.result(0); !result.Superlinear || result.RatioOf != "32 KiB / 16 KiB (linear: at most 2)" {
		t.Errorf("16/32: %+v", result)
	}
}
