// Command loadgen is the project's load generator for identity-token endpoints: every
// server's benchmark and the soak run (scripts/soak.py) drive the servers with it.
//
//	go run ./bench/loadgen --url http://127.0.0.1:8080 --conns 8 --requests 20000 --warmup 2000 \
//	    --public-key public.pem --provider-id layer:///providers/<uuid> --key-id layer:///keys/<uuid> \
//	    [--json results.json]
//
// Load: --conns workers, each with one HTTP/1.1 connection kept alive, send POST
// /identity-token one after another, each with a nonce and a user of its own (a JSON body,
// or a form body with --form); --warmup requests first, then --requests measured ones
// (or as many as --duration allows). Every token is verified independently of the library
// (Go's crypto/rsa, the exact header and claims bytes, exp - iat = 600, iat within the
// request's time) after the measured window, so that verifying takes no CPU from the server
// being measured. Every failure is counted by kind.
//
// --rss-pid PID samples the resident memory of PID and its descendants after the first
// --rss-after requests (5,000) and at the end. --fresh opens a connection per request;
// --pace makes each worker pause between requests.
// --slow N holds N slowloris connections open during the run (each sends a header line every
// --slow-interval and never finishes; a connection the server closes is opened again).
// --hostile measures, instead of a load, the time to answer hostile bodies of 4 to 64 KiB.
//
// Output: one JSON object (stdout, or the file --json names) with tokens_per_s, p50_ms,
// p90_ms, p99_ms, max_ms, requests, failed, failures (by kind) and more, and one readable
// line (stdout with --json, else stderr). Exit status 1 when any request failed, 2 on a
// usage error. Only loopback addresses are accepted; --max-time bounds the run.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	target       target
	conns        int
	requests     int
	warmup       int
	duration     time.Duration
	timeout      time.Duration
	maxTime      time.Duration
	form         bool
	fresh        bool
	pace         time.Duration
	publicKey    string
	providerID   string
	keyID        string
	tokenType    string
	jsonPath     string
	rssPID       int
	rssAfter     int
	rssEvery     int
	slow         int
	slowInterval time.Duration
	slowSettle   time.Duration
	hostile      bool
	sizes        []int
	repeat       int
	maxRatio     float64
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadgen:", err)
		}
		return 2
	}
	var check *checker
	if opts.publicKey != "" {
		pemText, err := os.ReadFile(opts.publicKey)
		if err == nil {
			check, err = newChecker(pemText, opts.providerID, opts.keyID, opts.tokenType)
		}
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
	}
	var report any
	var line string
	var ok bool
	if opts.hostile {
		result := hostileRun(opts, check)
		report, line, ok = result, result.summary(), result.ok()
	} else {
		result := loadRun(opts, check)
		report, line, ok = result, result.summary(), result.Failed == 0 && !result.Aborted
	}
	encoded, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	encoded = append(encoded, '\n')
	readable := stderr
	if opts.jsonPath != "" {
		if err := os.WriteFile(opts.jsonPath, encoded, 0o644); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
		readable = stdout
	} else {
		stdout.Write(encoded)
	}
	fmt.Fprintln(readable, line)
	if !ok {
		return 1
	}
	return 0
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var opts options
	var rawURL, sizes string
	flags := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&rawURL, "url", "", "the server, http://127.0.0.1:PORT (path /identity-token unless given)")
	flags.IntVar(&opts.conns, "conns", 1, "workers, each with one keep-alive connection")
	flags.IntVar(&opts.requests, "requests", 0, "measured requests (0: as many as --duration allows)")
	flags.IntVar(&opts.warmup, "warmup", 0, "requests before the measured ones")
	flags.DurationVar(&opts.duration, "duration", 0, "the longest measured time (0: until --requests are answered)")
	flags.DurationVar(&opts.timeout, "timeout", 10*time.Second, "the longest wait for one answer")
	flags.DurationVar(&opts.maxTime, "max-time", 30*time.Minute, "the longest the whole run may take")
	flags.BoolVar(&opts.form, "form", false, "send application/x-www-form-urlencoded bodies instead of JSON")
	flags.BoolVar(&opts.fresh, "fresh", false, "a new connection for every request")
	flags.DurationVar(&opts.pace, "pace", 0, "each worker's pause after each request (a steady trickle instead of a closed loop)")
	flags.StringVar(&opts.publicKey, "public-key", "", "PEM file of the server's public key (or its unencrypted private key): verify every token")
	flags.StringVar(&opts.providerID, "provider-id", "", "the server's LAYER_PROVIDER_ID (with --public-key)")
	flags.StringVar(&opts.keyID, "key-id", "", "the server's LAYER_KEY_ID (with --public-key)")
	flags.StringVar(&opts.tokenType, "token-type", "JWS", "the typ every token carries")
	flags.StringVar(&opts.jsonPath, "json", "", "write the JSON report to this file (default: stdout)")
	flags.IntVar(&opts.rssPID, "rss-pid", 0, "sample the resident memory of this process and its descendants")
	flags.IntVar(&opts.rssAfter, "rss-after", 5000, "take the first memory sample after this many requests")
	flags.IntVar(&opts.rssEvery, "rss-every", 0, "also sample the memory every this many requests (the report's rss.samples)")
	flags.IntVar(&opts.slow, "slow", 0, "slowloris connections held open during the run")
	flags.DurationVar(&opts.slowInterval, "slow-interval", 3*time.Second, "how often each slow connection sends a header line")
	flags.DurationVar(&opts.slowSettle, "slow-settle", 0, "wait after opening the slow connections (default: 2 x --slow-interval)")
	flags.BoolVar(&opts.hostile, "hostile", false, "measure the answers to hostile bodies instead of a load")
	flags.StringVar(&sizes, "sizes", "4,16,32,64", "(--hostile) body sizes in KiB")
	flags.IntVar(&opts.repeat, "repeat", 5, "(--hostile) measurements per shape and size (their median counts)")
	flags.Float64Var(&opts.maxRatio, "max-ratio", 6, "(--hostile) the largest size's time over the time of a quarter of it above which the cost is superlinear")
	if err := flags.Parse(args); err != nil {
		return opts, err
	}
	if flags.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	var err error
	if opts.target, err = parseTarget(rawURL); err != nil {
		return opts, err
	}
	switch {
	case opts.conns < 1:
		return opts, errors.New("--conns must be at least 1")
	case opts.requests < 0 || opts.warmup < 0:
		return opts, errors.New("--requests and --warmup cannot be negative")
	case !opts.hostile && opts.requests == 0 && opts.duration <= 0:
		return opts, errors.New("give --requests, --duration or both")
	case opts.timeout <= 0 || opts.maxTime <= 0 || opts.pace < 0:
		return opts, errors.New("--timeout and --max-time must be positive, --pace cannot be negative")
	case opts.publicKey != "" && (opts.providerID == "" || opts.keyID == ""):
		return opts, errors.New("--public-key needs --provider-id and --key-id")
	case opts.slow < 0 || opts.slowInterval <= 0:
		return opts, errors.New("--slow cannot be negative, --slow-interval must be positive")
	case opts.rssAfter < 1 || opts.rssEvery < 0:
		return opts, errors.New("--rss-after must be positive, --rss-every cannot be negative")
	case opts.repeat < 1:
		return opts, errors.New("--repeat must be at least 1")
	}
	if opts.slowSettle == 0 {
		opts.slowSettle = 2 * opts.slowInterval
	}
	for _, text := range strings.Split(sizes, ",") {
		kib, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil || kib < 1 || kib > 64 {
			return opts, fmt.Errorf("--sizes: %q is not a size from 1 to 64 (KiB)", text)
		}
		opts.sizes = append(opts.sizes, kib)
	}
	return opts, nil
}

// parseTarget accepts http://HOST:PORT[/path] where HOST is a loopback address: a load is
// never sent anywhere else.
func parseTarget(raw string) (target, error) {
	if raw == "" {
		return target{}, errors.New("--url is required")
	}
	parsed, err := url.Parse(raw)
	if err != nil || parsed.Scheme != "http" || parsed.Host == "" || parsed.User != nil || parsed.RawQuery != "" || parsed.Fragment != "" {
		return target{}, fmt.Errorf("--url %q: expected http://HOST:PORT[/path]", raw)
	}
	host, port := parsed.Hostname(), parsed.Port()
	if port == "" {
		port = "80"
	}
	addresses, err := net.LookupIP(host)
	if err != nil || len(addresses) == 0 {
		return target{}, fmt.Errorf("--url: cannot resolve %q", host)
	}
	for _, address := range addresses {
		if !address.IsLoopback() {
			return target{}, fmt.Errorf("--url: %s is not a loopback address: loadgen sends load only to this machine", host)
		}
	}
	path := parsed.EscapedPath()
	if path == "" || path == "/" {
		path = "/identity-token"
	}
	return target{addr: net.JoinHostPort(host, port), path: path}, nil
}
