// Command backend is the sample Layer identity-token backend in Go: the layeridentity
// endpoint on net/http, with the demo authenticator.
//
// Configuration comes from the environment, read by the library: LAYER_PROVIDER_ID,
// LAYER_KEY_ID, LAYER_PRIVATE_KEY (the PEM text) or LAYER_PRIVATE_KEY_PATH,
// LAYER_PRIVATE_KEY_PASSPHRASE, LAYER_TOKEN_TYPE; PORT (8080) and HOST (127.0.0.1). It prints
// `listening on http://HOST:PORT` on stdout when ready (everything else goes to stderr),
// refuses to start with the library's message when the configuration is missing or invalid,
// and stops cleanly on SIGTERM or SIGINT: no new connections, the requests in flight
// finished, exit status 0.
//
// Start it with `scripts/run-backend go` at the repository root, which builds it first.
//
// The demo authenticator trusts the user_id of the request body. A real backend passes
// layeridentity.Handler its own session check instead.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("backend: ")
	os.Exit(run())
}

func run() int {
	host := getenv("HOST", "127.0.0.1")
	port := getenv("PORT", "8080")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		log.Printf("PORT must be a port number, not %q", port)
		return 2
	}

	signer, err := layeridentity.SignerFromEnv()
	if err != nil {
		log.Printf("configuration: %v", err)
		return 2
	}
	defer signer.Close()
	log.Print(layeridentity.DemoWarning)

	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Print(err)
		return 1
	}
	server := &http.Server{
		Handler:           logRequests(layeridentity.Handler(signer, layeridentity.TrustBodyUserID)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          log.Default(),
	}
	stop, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	_, actualPort, _ := net.SplitHostPort(listener.Addr().String())
	fmt.Printf("listening on http://%s\n", net.JoinHostPort(host, actualPort)) // os.Stdout is unbuffered

	select {
	case err := <-served:
		log.Print(err)
		return 1
	case <-stop.Done():
	}
	// Stop accepting at once, close idle keep-alive connections, finish the requests in
	// flight; give up on stragglers after 4 s.
	ctx, done := context.WithTimeout(context.Background(), 4*time.Second)
	defer done()
	if err := server.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v; closing the remaining connections", err)
		server.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
		return 1
	}
	return 0
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// logRequests writes one line per request to stderr: method, path, status, duration.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Printf("%s %s %d %v", r.Method, r.URL.EscapedPath(), rec.status, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
