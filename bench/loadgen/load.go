package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadReport is the JSON report of a load run. The benchmark reads tokens_per_s, p50_ms,
// p99_ms, requests and failed: keep those names.
type loadReport struct {
	URL             string         `json:"url"`
	Conns           int            `json:"conns"`
	Requests        int            `json:"requests"`
	Warmup          int            `json:"warmup"`
	Body            string         `json:"body"`
	Fresh           bool           `json:"fresh_connections"`
	PaceMs          float64        `json:"pace_ms"`
	Seconds         float64        `json:"seconds"`
	TokensPerS      float64        `json:"tokens_per_s"`
	P50Ms           float64        `json:"p50_ms"`
	P90Ms           float64        `json:"p90_ms"`
	P99Ms           float64        `json:"p99_ms"`
	MaxMs           float64        `json:"max_ms"`
	MeanMs          float64        `json:"mean_ms"`
	Answered        int            `json:"answered"`
	Failed          int            `json:"failed"`
	Failures        map[string]int `json:"failures"`
	FailureExamples []string       `json:"failure_examples"`
	Verify          bool           `json:"verify"` // every token checked (--public-key)
	Verified        int            `json:"verified"`
	Reconnects      int            `json:"reconnects"`
	Aborted         bool           `json:"aborted"`
	RSS             *rssReport     `json:"rss"`
	Slow            *slowReport    `json:"slow"`
}

type rssReport struct {
	PID    int        `json:"pid"`
	First  *rssSample `json:"first"`
	End    *rssSample `json:"end"`
	Growth *float64   `json:"growth"` // end / first - 1
	// Samples, with --rss-every: the curve between first and end (a leak grows with the
	// requests; a runtime warming up levels off).
	Samples []rssSample `json:"samples,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// sent is one answered request whose token is verified after the measured window.
type sent struct {
	worker, seq int
	token       string
	body        []byte // the answer, when it is not yet read
	from, until int64  // Unix seconds at the request's start and end
}

type worker struct {
	id        int
	conn      *conn
	latencies []time.Duration
	sent      []sent
	failures  map[string]int
	examples  []string
	failed    int
	// measuredFailed counts the failures of the measured window (failed, of the whole run).
	measuredFailed int
	seq            int
}

// loader is one load run's state.
type loader struct {
	opts      options
	runID     string
	workers   []*worker
	completed atomic.Int64 // requests answered or failed, warm-up included
	rss       *rssReport
	rssMu     sync.Mutex // for rss.Samples
	deadline  time.Time
	aborted   atomic.Bool
}

func newRunID() string {
	random := make([]byte, 6)
	rand.Read(random)
	return hex.EncodeToString(random)
}

// nonceAndUser are request seq's of a worker: fresh for every request of every run.
func (r *loader) nonceAndUser(worker, seq int) (string, string) {
	suffix := r.runID + "-" + strconv.Itoa(worker) + "-" + strconv.Itoa(seq)
	return "nonce-" + suffix, "user-" + suffix
}

func (r *loader) body(worker, seq int) (string, []byte) {
	nonce, user := r.nonceAndUser(worker, seq)
	if r.opts.form {
		return "application/x-www-form-urlencoded", []byte("nonce=" + nonce + "&user_id=" + user)
	}
	return "application/json", []byte(`{"nonce":"` + nonce + `","user_id":"` + user + `"}`)
}

func loadRun(opts options, check *checker) *loadReport {
	r := &loader{opts: opts, runID: newRunID(), deadline: time.Now().Add(opts.maxTime)}
	report := &loadReport{
		URL: "http://" + opts.target.addr + opts.target.path, Conns: opts.conns, Warmup: opts.warmup,
		Body: "json", Fresh: opts.fresh, PaceMs: float64(opts.pace.Microseconds()) / 1000, Failures: map[string]int{}, FailureExamples: []string{},
	}
	if opts.form {
		report.Body = "form"
	}
	if opts.rssPID != 0 {
		r.rss = &rssReport{PID: opts.rssPID}
		report.RSS = r.rss
	}
	for id := 0; id < opts.conns; id++ {
		r.workers = append(r.workers, &worker{
			id: id, failures: map[string]int{},
			conn: &conn{target: opts.target},
		})
	}
	var slow *slowPool
	if opts.slow > 0 {
		slow = startSlow(opts)
		slow.settle(opts.slowSettle, r.deadline)
	}

	// Warm-up, then the measured window, on the same connections.
	r.phase(opts.warmup, time.Time{}, false)
	if slow != nil {
		slow.measuring()
	}
	start := time.Now()
	var until time.Time
	if opts.duration > 0 {
		until = start.Add(opts.duration)
	}
	r.phase(opts.requests, until, true)
	elapsed := time.Since(start)

	if slow != nil {
		report.Slow = slow.stop()
	}
	for _, w := range r.workers {
		w.conn.close()
	}
	if r.rss != nil {
		r.sampleRSS(func(sample *rssSample) { r.rss.End = sample })
		if r.rss.First != nil && r.rss.End != nil {
			growth := round(float64(r.rss.End.KiB)/float64(r.rss.First.KiB)-1, 4)
			r.rss.Growth = &growth
		}
	}

	var latencies []time.Duration
	var records []sent
	for _, w := range r.workers {
		latencies = append(latencies, w.latencies...)
		records = append(records, w.sent...)
		report.Failed += w.failed
		report.Reconnects += w.conn.reconnects
		for kind, count := range w.failures {
			report.Failures[kind] += count
		}
		report.FailureExamples = appendExamples(report.FailureExamples, w.examples...)
	}
	for _, w := range r.workers {
		report.Requests += w.measured()
	}
	report.Answered = len(latencies)
	report.Aborted = r.aborted.Load()
	report.Seconds = elapsed.Seconds()

	// Verification, outside the measured window: the answers kept during the run.
	verified, failures := verifyAll(r, records, check)
	report.Verify, report.Verified = check != nil, verified
	for _, f := range failures {
		report.Failed++
		report.Failures[f.kind]++
		report.FailureExamples = appendExamples(report.FailureExamples, f.Error())
	}
	if report.Seconds > 0 {
		report.TokensPerS = round(float64(len(latencies))/report.Seconds, 1)
	}
	report.Seconds = round(report.Seconds, 3)
	slices.Sort(latencies)
	report.P50Ms = percentile(latencies, 0.50)
	report.P90Ms = percentile(latencies, 0.90)
	report.P99Ms = percentile(latencies, 0.99)
	report.MaxMs = percentile(latencies, 1)
	if len(latencies) > 0 {
		var total time.Duration
		for _, l := range latencies {
			total += l
		}
		report.MeanMs = round(float64(total.Microseconds())/1000/float64(len(latencies)), 3)
	}
	return report
}

// measured is the number of requests a worker sent in the measured window.
func (w *worker) measured() int { return len(w.latencies) + w.measuredFailed }

// phase runs count requests (0 with until: as many as time allows) over every worker.
func (r *loader) phase(count int, until time.Time, measured bool) {
	if count == 0 && until.IsZero() {
		return
	}
	var issued atomic.Int64
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for {
				now := time.Now()
				if !until.IsZero() && !now.Before(until) {
					return
				}
				if now.After(r.deadline) {
					r.aborted.Store(true)
					return
				}
				if count > 0 && issued.Add(1) > int64(count) {
					return
				}
				r.one(w, measured)
				if r.opts.pace > 0 {
					time.Sleep(r.opts.pace)
				}
			}
		}(w)
	}
	wg.Wait()
}

// one sends a worker's next request and records its outcome.
func (r *loader) one(w *worker, measured bool) {
	seq := w.seq
	w.seq++
	contentType, body := r.body(w.id, seq)
	begin := time.Now()
	deadline := begin.Add(r.opts.timeout)
	if r.opts.fresh {
		w.conn.close()
	}
	got, failed := w.conn.post(contentType, body, deadline)
	end := time.Now()
	if failed == nil && got.status != 200 {
		failed = statusFailure(got)
	}
	if r.opts.fresh {
		w.conn.close()
	}
	if failed != nil {
		w.failed++
		if measured {
			w.measuredFailed++
		}
		w.failures[failed.kind]++
		w.examples = appendExamples(w.examples, failed.Error())
	} else {
		if measured {
			w.latencies = append(w.latencies, end.Sub(begin))
		}
		w.sent = append(w.sent, sent{worker: w.id, seq: seq, body: got.body, from: begin.Unix(), until: end.Unix() + 1})
	}
	// The first memory sample, taken by the worker that completes request --rss-after (the
	// others go on meanwhile).
	if r.rss != nil {
		completed := r.completed.Add(1)
		if completed == int64(r.opts.rssAfter) {
			r.sampleRSS(func(sample *rssSample) { r.rss.First = sample })
		}
		if r.opts.rssEvery > 0 && completed%int64(r.opts.rssEvery) == 0 {
			r.sampleRSS(func(sample *rssSample) {
				r.rssMu.Lock()
				r.rss.Samples = append(r.rss.Samples, *sample)
				r.rssMu.Unlock()
			})
		}
	}
}

func (r *loader) sampleRSS(store func(*rssSample)) {
	sample, err := treeRSS(r.opts.rssPID)
	if err != nil {
		r.rss.Error = err.Error()
		return
	}
	sample.Requests = r.completed.Load()
	store(&sample)
}

// verifyAll checks every kept answer (body shape; with a checker, the token) on every core.
func verifyAll(r *loader, records []sent, check *checker) (int, []*failure) {
	var mu sync.Mutex
	var failures []*failure
	var verified atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(records) {
					return
				}
				record := &records[i]
				token, failed := answer(record.body)
				if failed == nil && check != nil {
					nonce, user := r.nonceAndUser(record.worker, record.seq)
					if failed = check.check(token, nonce, user, record.from, record.until); failed == nil {
						verified.Add(1)
					}
				}
				record.body = nil
				if failed != nil {
					mu.Lock()
					failures = append(failures, failed)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return int(verified.Load()), failures
}

// appendExamples keeps the first few failure descriptions, for the report.
func appendExamples(examples []string, more ...string) []string {
	for _, example := range more {
		if len(examples) >= 5 {
			break
		}
		examples = append(examples, example)
	}
	return examples
}

// percentile is the nearest-rank percentile of sorted latencies, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	rank = max(0, min(len(sorted)-1, rank))
	return round(float64(sorted[rank].Nanoseconds())/1e6, 3)
}

func round(value float64, digits int) float64 {
	scale := math.Pow(10, float64(digits))
	return math.Round(value*scale) / scale
}

func (report *loadReport) summary() string {
	var line strings.Builder
	fmt.Fprintf(&line, "loadgen: %s, %d conns%s, %d requests (+%d warm-up, %s bodies): %.1f tokens/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; ",
		report.URL, report.Conns, map[bool]string{true: " (a new connection per request)"}[report.Fresh],
		report.Requests, report.Warmup, report.Body, report.TokensPerS, report.P50Ms, report.P90Ms, report.P99Ms, report.MaxMs)
	if report.Failed == 0 {
		line.WriteString("0 failed")
	} else {
		kinds := make([]string, 0, len(report.Failures))
		for kind, count := range report.Failures {
			kinds = append(kinds, fmt.Sprintf("%s %d", kind, count))
		}
		sort.Strings(kinds)
		fmt.Fprintf(&line, "%d FAILED (%s; first: %s)", report.Failed, strings.Join(kinds, ", "), report.FailureExamples[0])
	}
	if report.Verify {
		fmt.Fprintf(&line, ", %d tokens verified", report.Verified)
	} else {
		line.WriteString(", tokens not verified (no --public-key)")
	}
	if report.Reconnects > 0 {
		fmt.Fprintf(&line, ", %d reconnections", report.Reconnects)
	}
	if rss := report.RSS; rss != nil {
		switch {
		case rss.Growth != nil:
			fmt.Fprintf(&line, "; RSS %.1f MiB after %d requests, %.1f MiB at the end (%+.1f%%, %d processes)",
				float64(rss.First.KiB)/1024, rss.First.Requests, float64(rss.End.KiB)/1024, *rss.Growth*100, rss.End.Processes)
		case rss.Error != "":
			fmt.Fprintf(&line, "; RSS: %s", rss.Error)
		case rss.End != nil:
			fmt.Fprintf(&line, "; RSS %.1f MiB at the end", float64(rss.End.KiB)/1024)
		}
	}
	if slow := report.Slow; slow != nil {
		fmt.Fprintf(&line, "; %d slow connections: %d open at the start of the measured window, %d at its end, %d closed by the server, %d failed to connect",
			slow.Clients, slow.OpenAtStart, slow.OpenAtEnd, slow.Dropped, slow.ConnectFailures)
	}
	if report.Aborted {
		line.WriteString("; ABORTED at --max-time")
	}
	return line.String()
}
