// Package readme builds and runs the Go code of the repository's README (its Go section):
// each ```go block is a program. The quickstart runs beside a key file and must print a
// token and the claims it verified; each server (net/http, chi, gin, echo) starts on a port
// of its own, with the configuration in the environment, and must answer a token request
// for the user of the session cookie, 401 without one, and its health check.
package readme

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/internal/conformance"

	// What the README's programs import: required here, so that go.mod and go.sum hold them.
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/labstack/echo/v4"
	_ "github.com/layerhq/layer-identity/bindings/go/layerchi"
	_ "github.com/layerhq/layer-identity/bindings/go/layerecho"
	_ "github.com/layerhq/layer-identity/bindings/go/layergin"
	_ "github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// The address every server of the README listens on; each run gets a free port instead.
const readmeAddr = "127.0.0.1:8080"

// goBlocks returns the ```go blocks between the <!-- bindings:go --> markers of README.md.
func goBlocks(t *testing.T) []string {
	readme, err := os.ReadFile(filepath.Join(conformance.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start, end := strings.Index(text, "<!-- bindings:go -->"), strings.Index(text, "<!-- /bindings:go -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no <!-- bindings:go --> section")
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n```go\n(.*?)\n```\n").FindAllStringSubmatch(text[start:end], -1) {
		blocks = append(blocks, m[1]+"\n")
	}
	return blocks
}

func goTool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestREADME(t *testing.T) {
	blocks := goBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("%d Go programs in the README's Go section, want the quickstart and four servers", len(blocks))
	}
	// The programs go in a directory of this module, so that its go.mod resolves their imports.
	dir, err := filepath.Abs("snippets")
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	t.Cleanup(func() { os.RemoveAll(dir) })
	addrs := map[int]string{}
	for i, code := range blocks {
		if strings.Contains(code, readmeAddr) {
			addrs[i] = freePort(t)
			code = strings.ReplaceAll(code, readmeAddr, addrs[i])
		}
		if err := os.MkdirAll(filepath.Join(dir, strconv.Itoa(i)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i), "main.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goTool(t, ".", "vet", "./snippets/...")
	goTool(t, ".", "build", "-o", filepath.Join(dir, "bin")+"/", "./snippets/...")

	servers := 0
	for i, code := range blocks {
		program := filepath.Join(dir, "bin", strconv.Itoa(i))
		name := fmt.Sprintf("block_%d", i+1)
		if addr, ok := addrs[i]; ok {
			t.Run(name+"_server", func(t *testing.T) { checkServer(t, program, addr) })
			servers++
		} else if strings.Contains(code, "layer-private.pem") {
			t.Run(name+"_quickstart", func(t *testing.T) { checkQuickstart(t, program) })
		} else {
			t.Errorf("block %d is neither the quickstart nor a server on %s", i+1, readmeAddr)
		}
	}
	if servers < 4 {
		t.Fatalf("%d servers in the README, want net/http, chi, gin and echo", servers)
	}
	t.Logf("%d README programs built and run (%d servers)", len(blocks), servers)
}

// checkQuickstart runs the quickstart in a directory with its key file.
func checkQuickstart(t *testing.T, program string) {
	run := t.TempDir()
	if err := os.WriteFile(filepath.Join(run, "layer-private.pem"), conformance.PrivateKey(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(program)
	cmd.Dir = run
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\nalice@example.com Alice L. pro 10m0s\n$`).Match(out) {
		t.Fatalf("the quickstart printed:\n%s", out)
	}
}

// checkServer starts a server program with the configuration in the environment and asks
// it for a token, with and without the session cookie.
func checkServer(t *testing.T, program, addr string) {
	cmd := exec.Command(program)
	cmd.Env = append(os.Environ(), "LAYER_PROVIDER_ID="+conformance.ProviderID, "LAYER_KEY_ID="+conformance.KeyID,
		"LAYER_PRIVATE_KEY_PATH="+filepath.Join(conformance.RepoRoot(), "vectors", "keys", "rsa2048.pkcs8.pem"))
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the server exited (%v):\n%s", err, output.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s:\n%s", addr, output.String())
		}
	}
	m := conformance.Mount{Addr: addr, Prefix: "/layer"}
	status, token := conformance.RequestToken(t, m, `{"nonce":"n-1","user_id":"mallory"}`, [2]string{"Cookie", "session=session-token-of-alice"})
	if problems := conformance.CheckToken(token, map[string]string{"prn": "alice@example.com", "nce": "n-1"}, conformance.PublicKey(t)); status != 200 || len(problems) > 0 {
		t.Fatalf("with the session cookie: %d %s %v\n%s", status, token, problems, output.String())
	}
	if status, body := conformance.RequestToken(t, m, `{"nonce":"n-1","user_id":"mallory"}`); status != 401 {
		t.Fatalf("without a session: %d %s", status, body)
	}
	resp := conformance.Send(t, addr, http.MethodGet, "/layer/healthz", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("health check: %d %s", resp.StatusCode, resp.Body)
	}
}
