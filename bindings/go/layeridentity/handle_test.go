package layeridentity

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// 64 goroutines x 200 tokens on one signer; every token is verified by the library's
// verifier (with its nonce), and every 8th also by crypto/rsa (which is slow under -race).
// The forced-GC build, which collects on every call, signs 20 each.
func TestConcurrentSigning(t *testing.T) {
	const goroutines = 64
	perGoroutine := 200
	if forcedGC {
		perGoroutine = 20
	}
	s := newTestSigner(t)
	v := newTestVerifier(t)
	public := vectorFile(t, "keys/rsa2048.public.pem")
	type minted struct{ user, nonce, token string }
	results := make([][]minted, goroutines)
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perGoroutine; i++ {
				user, nonce := fmt.Sprintf("user-%d-%d", g, i), fmt.Sprintf("nonce-%d-%d", g, i)
				token, err := s.SignWith(user, nonce, SignOptions{DisplayName: user, Metadata: map[string]string{"g": fmt.Sprint(g)}})
				if err != nil {
					errs <- err
					return
				}
				results[g] = append(results[g], minted{user, nonce, token})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen, independent := map[string]bool{}, 0
	for g, list := range results {
		if len(list) != perGoroutine {
			t.Fatalf("goroutine %d made %d tokens", g, len(list))
		}
		for i, m := range list {
			claims, err := v.Verify(m.token, VerifyOptions{Nonce: m.nonce})
			if err != nil {
				t.Fatal(err)
			}
			if claims.UserID != m.user || claims.DisplayName != m.user || claims.Metadata["g"] != fmt.Sprint(g) {
				t.Fatalf("token of %s carries %+v", m.user, claims)
			}
			if i%8 == g%8 {
				if err := independentVerify(m.token, public); err != nil {
					t.Fatalf("crypto/rsa: %v", err)
				}
				independent++
			}
			seen[m.token] = true
		}
	}
	if len(seen) != goroutines*perGoroutine {
		t.Fatalf("%d distinct tokens of %d", len(seen), goroutines*perGoroutine)
	}
	t.Logf("%d goroutines x %d tokens on one signer, all verified by the library, %d by crypto/rsa",
		goroutines, perGoroutine, independent)
}

func TestUseAfterClose(t *testing.T) {
	s := newTestSigner(t)
	v := newTestVerifier(t)
	token, err := s.Sign("alice", "n")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // idempotent
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var nilSigner *Signer
	var nilVerifier *Verifier
	if nilSigner.Close() != nil || nilVerifier.Close() != nil {
		t.Fatal("Close on nil")
	}
	calls := map[string]error{}
	_, calls["Sign"] = s.Sign("alice", "n")
	_, calls["SignWith"] = s.SignWith("alice", "n", SignOptions{FirstName: "A"})
	_, calls["PublicKeyPEM"] = s.PublicKeyPEM()
	_, calls["Verify"] = v.Verify(token, VerifyOptions{Nonce: "n"})
	_, calls["nil Sign"] = nilSigner.Sign("alice", "n")
	_, calls["nil PublicKeyPEM"] = nilSigner.PublicKeyPEM()
	_, calls["nil Verify"] = nilVerifier.Verify(token, VerifyOptions{Nonce: "n"})
	var zeroSigner Signer
	var zeroVerifier Verifier
	_, calls["zero Signer Sign"] = zeroSigner.Sign("alice", "n")
	_, calls["zero Verifier Verify"] = zeroVerifier.Verify(token, VerifyOptions{Nonce: "n"})
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// Close from several goroutines while others sign: each call either signs or reports
// ErrClosed, nothing crashes, and the handle is freed once.
func TestCloseRacesWithUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		s, err := NewSigner(testKey(t), testProvider, testKeyID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		failures := make(chan error, 64)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					if _, err := s.Sign("alice", "n"); err != nil && !errors.Is(err, ErrClosed) {
						failures <- err
					}
				}
			}()
		}
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(g) * 100 * time.Microsecond)
				s.Close()
			}()
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Fatal(err)
		}
		if _, err := s.Sign("alice", "n"); !errors.Is(err, ErrClosed) {
			t.Fatalf("after the race: %v", err)
		}
		if n := s.h.freed.Load(); n != 1 {
			t.Fatalf("round %d: the handle was freed %d times", round, n)
		}
	}
}

// Handles the program forgets to close are freed by their finalizers, once each.
func TestFinalizersFreeForgottenHandles(t *testing.T) {
	runtime.GC()
	before := liveHandles.Load()
	key, public := testKey(t), vectorFile(t, "keys/rsa2048.public.pem")
	func() {
		for i := 0; i < 25; i++ {
			if _, err := NewSigner(key, testProvider, testKeyID); err != nil {
				t.Fatal(err)
			}
			if _, err := NewVerifier(public, testProvider, testKeyID); err != nil {
				t.Fatal(err)
			}
		}
	}()
	if got := liveHandles.Load(); got != before+50 {
		t.Fatalf("live handles %d, want %d", got, before+50)
	}
	deadline := time.Now().Add(10 * time.Second)
	for liveHandles.Load() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := liveHandles.Load(); got != before {
		t.Fatalf("live handles %d after GC, want %d", got, before)
	}
}

// A handle used only as the receiver of one call: without runtime.KeepAlive the collector
// could finalize it (and free the C object) while C still signs with it. The forced-GC
// build collects right after the pointer is read, so this test would crash there.
func TestTemporaryHandles(t *testing.T) {
	before := liveHandles.Load()
	key, public := testKey(t), vectorFile(t, "keys/rsa2048.public.pem")
	signer := func() *Signer {
		s, err := NewSigner(key, testProvider, testKeyID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	verifier := func() *Verifier {
		v, err := NewVerifier(public, testProvider, testKeyID)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i := 0; i < 30; i++ {
		token, err := signer().SignWith("alice", "n", SignOptions{Metadata: map[string]string{"i": fmt.Sprint(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signer().PublicKeyPEM(); err != nil {
			t.Fatal(err)
		}
		claims, err := verifier().Verify(token, VerifyOptions{Nonce: "n"})
		if err != nil || claims.Metadata["i"] != fmt.Sprint(i) {
			t.Fatalf("%v %+v", err, claims)
		}
	}
	// Leave no handle for a later test's finalizers to free (they count live handles).
	deadline := time.Now().Add(10 * time.Second)
	for liveHandles.Load() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := liveHandles.Load(); got != before {
		t.Fatalf("live handles %d after GC, want %d", got, before)
	}
}

// Copies of a Signer or Verifier share its handle and its closed state: closing one closes
// every copy, a copy's calls then report ErrClosed, and the handle is freed once. (When a
// Signer held the raw pointer, s2 := *s; s.Close(); s2.Sign(...) used freed memory, and
// s2.Close() freed it again.)
func TestCopiesShareTheHandle(t *testing.T) {
	s, err := NewSigner(testKey(t), testProvider, testKeyID)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(vectorFile(t, "keys/rsa2048.public.pem"), testProvider, testKeyID)
	if err != nil {
		t.Fatal(err)
	}
	s2, v2 := *s, *v
	token, err := s2.Sign("alice", "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(token, VerifyOptions{Nonce: "n"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	v.Close()
	if _, err := s2.Sign("alice", "n"); !errors.Is(err, ErrClosed) {
		t.Fatalf("a copy after Close: %v", err)
	}
	if _, err := v2.Verify(token, VerifyOptions{Nonce: "n"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("a copy after Close: %v", err)
	}
	s2.Close()
	v2.Close()
	if n, m := s.h.freed.Load(), v.h.freed.Load(); n != 1 || m != 1 {
		t.Fatalf("the signer was freed %d times, the verifier %d times", n, m)
	}
	// The copy keeps the handle alive: collecting the original frees nothing.
	s, _ = NewSigner(testKey(t), testProvider, testKeyID)
	kept := *s
	s = nil
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	if _, err := kept.Sign("alice", "n"); err != nil {
		t.Fatalf("a copy after the original was collected: %v", err)
	}
	kept.Close()
}

// Close never waits: with a call in flight it returns at once, later calls get ErrClosed,
// and the call in flight, the last user, frees the handle when it ends. (With a lock that
// Close took for writing, this test deadlocked.)
func TestCloseNeverBlocks(t *testing.T) {
	s, err := NewSigner(testKey(t), testProvider, testKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.acquire("a call in flight"); err != nil { // what every method does first
		t.Fatal(err)
	}
	s.Close() // returns: nothing here waits for the call
	s.Close()
	if _, err := s.Sign("alice", "n"); !errors.Is(err, ErrClosed) {
		t.Fatalf("a call after Close: %v", err)
	}
	if n := s.h.freed.Load(); n != 0 {
		t.Fatal("the handle was freed while a call was in flight")
	}
	s.h.release() // the call in flight ends
	if n := s.h.freed.Load(); n != 1 {
		t.Fatalf("the last call freed the handle %d times, want once", n)
	}
}
