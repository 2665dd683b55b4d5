package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// The sample backend, started the way the README says: scripts/run-backend go (which builds it).

const (
	providerID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
	keyID      = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "run-backend")); err != nil {
		t.Fatalf("no scripts/run-backend at %s", root)
	}
	return root
}

// backendEnv is this process's environment without any configuration variable, plus extra.
// It also takes out what bindings/go/dev.sh added to PKG_CONFIG_PATH and LD_LIBRARY_PATH:
// scripts/run-backend runs `make build`, and cargo rebuilds openssl-sys (and the crate)
// whenever PKG_CONFIG_PATH differs from the last build's.
func backendEnv(extra ...string) []string {
	goDir, _ := filepath.Abs("../..")
	added := map[string]string{
		"PKG_CONFIG_PATH": filepath.Join(goDir, ".build", "pkgconfig"),
		"LD_LIBRARY_PATH": filepath.Join(goDir, "..", "..", "target", "release"),
	}
	var env []string
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LAYER_") || name == "PORT" || name == "HOST" {
			continue
		}
		if ours, ok := added[name]; ok {
			var kept []string
			for _, dir := range filepath.SplitList(value) {
				if filepath.Clean(dir) != filepath.Clean(ours) {
					kept = append(kept, dir)
				}
			}
			if len(kept) == 0 {
				continue
			}
			kv = name + "=" + strings.Join(kept, string(filepath.ListSeparator))
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

type backend struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	lines  chan string
	done   chan error
}

func startBackend(t *testing.T, env []string) *backend {
	t.Helper()
	root := repoRoot(t)
	b := &backend{lines: make(chan string, 16), done: make(chan error, 1)}
	b.cmd = exec.Command(filepath.Join(root, "scripts", "run-backend"), "go")
	b.cmd.Dir = root
	b.cmd.Env = env
	b.cmd.Stderr = &b.stderr
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			b.lines <- scanner.Text()
		}
		close(b.lines)
		b.done <- b.cmd.Wait()
	}()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
		}
	})
	return b
}

func TestBackend(t *testing.T) {
	root := repoRoot(t)
	b := startBackend(t, backendEnv(
		"LAYER_PROVIDER_ID="+providerID, "LAYER_KEY_ID="+keyID,
		"LAYER_PRIVATE_KEY_PATH="+filepath.Join(root, "vectors", "keys", "rsa2048.pkcs8.pem"),
		"HOST=127.0.0.1", "PORT=0"))
	var url string
	select {
	case line, ok := <-b.lines:
		if !ok || !strings.HasPrefix(line, "listening on http://127.0.0.1:") {
			t.Fatalf("first stdout line %q (exited: %v); stderr:\n%s", line, !ok, b.stderr.String())
		}
		url = strings.TrimPrefix(line, "listening on ")
	case <-time.After(5 * time.Minute):
		t.Fatalf("no listening line; stderr:\n%s", b.stderr.String())
	}

	resp, err := http.Post(url+"/identity-token", "application/json",
		strings.NewReader(`{"nonce":"n-1","user_id":"alice@example.com","first_name":"Alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		IdentityToken string `json:"identity_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	public, err := os.ReadFile(filepath.Join(root, "vectors", "keys", "rsa2048.public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := layeridentity.NewVerifier(public, providerID, keyID)
	if err != nil {
		t.Fatal(err)
	}
	defer verifier.Close()
	claims, err := verifier.Verify(doc.IdentityToken, layeridentity.VerifyOptions{Nonce: "n-1"})
	if err != nil || claims.UserID != "alice@example.com" || claims.FirstName != "Alice" {
		t.Fatalf("%v %+v", err, claims)
	}
	if resp, err := http.Get(url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}

	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-b.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, b.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGTERM")
	}
	for line := range b.lines {
		t.Errorf("more on stdout: %q", line)
	}
	if stderr := b.stderr.String(); !strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "user_id") {
		t.Errorf("no demo warning on stderr:\n%s", stderr)
	}
}

func TestBackendRefusesBadConfiguration(t *testing.T) {
	root := repoRoot(t)
	b := startBackend(t, backendEnv("LAYER_KEY_ID="+keyID,
		"LAYER_PRIVATE_KEY_PATH="+filepath.Join(root, "vectors", "keys", "rsa2048.pkcs8.pem"), "PORT=0"))
	select {
	case err := <-b.done:
		if err == nil {
			t.Fatal("started without LAYER_PROVIDER_ID")
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("still running")
	}
	for line := range b.lines {
		t.Errorf("stdout: %q", line)
	}
	if stderr := b.stderr.String(); !strings.Contains(stderr, "LAYER_PROVIDER_ID") {
		t.Fatalf("stderr does not name LAYER_PROVIDER_ID:\n%s", stderr)
	}
}
