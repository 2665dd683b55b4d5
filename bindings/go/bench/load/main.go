// Command load measures an identity-token endpoint over HTTP/1.1 keep-alive: -conns
// connections, each sending one token request after another (each with a nonce of its own)
// for -duration after a -warmup, and prints one line of key=value results: the requests
// answered in the measured window, tokens per second, and the latency percentiles.
//
//	load -addr 127.0.0.1:8080 -conns 8 -duration 5s
//
// It checks every answer (200 with an identity_token) and exits 1 on the first one that
// is not; the run is bounded by -warmup + -duration (and -timeout per request).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the endpoint's host:port")
	path := flag.String("path", "/identity-token", "the token path")
	conns := flag.Int("conns", 1, "keep-alive connections, each a closed loop of requests")
	duration := flag.Duration("duration", 5*time.Second, "measured time")
	warmup := flag.Duration("warmup", time.Second, "time before measuring")
	timeout := flag.Duration("timeout", 10*time.Second, "the longest wait for one answer")
	flag.Parse()

	start := time.Now()
	from, until := start.Add(*warmup), start.Add(*warmup+*duration)
	results := make([][]time.Duration, *conns)
	errs := make(chan error, *conns)
	var wg sync.WaitGroup
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			latencies, err := run(*addr, *path, c, from, until, *timeout)
			results[c] = latencies
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", c, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	var all []time.Duration
	for _, l := range results {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fmt.Fprintln(os.Stderr, "load: no request finished in the measured window")
		os.Exit(1)
	}
	slices.Sort(all)
	percentile := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	fmt.Printf("conns=%d requests=%d tokens_per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n",
		*conns, len(all), float64(len(all))/duration.Seconds(), percentile(0.50), percentile(0.99))
}

// run is one connection's loop: requests until until, the latencies of those that started
// at from or later and ended by until.
func run(addr, path string, id int, from, until time.Time, timeout time.Duration) ([]time.Duration, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	reader := bufio.NewReader(conn)
	var latencies []time.Duration
	var req bytes.Buffer
	for i := 0; ; i++ {
		begin := time.Now()
		if !begin.Before(until) {
			return latencies, nil
		}
		body := `{"nonce":"load-` + strconv.Itoa(id) + "-" + strconv.Itoa(i) + `","user_id":"user-` + strconv.Itoa(id) + `"}`
		req.Reset()
		fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			path, addr, len(body), body)
		conn.SetDeadline(begin.Add(timeout))
		if _, err := conn.Write(req.Bytes()); err != nil {
			return latencies, err
		}
		resp, err := http.ReadResponse(reader, nil)
		if err != nil {
			return latencies, err
		}
		answer, err := io.ReadAll(resp.Body)
		if err != nil {
			return latencies, err
		}
		end := time.Now()
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(answer, []byte(`{"identity_token":"`)) || resp.Close {
			return latencies, fmt.Errorf("answer %d %q (Connection: %q)", resp.StatusCode, answer, resp.Header.Get("Connection"))
		}
		if !begin.Before(from) && !end.After(until) {
			latencies = append(latencies, end.Sub(begin))
		}
	}
}
