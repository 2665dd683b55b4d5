package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// shape is a hostile body: head, then unit repeated, then pad bytes and tail, filling a
// given size exactly. Every shape but one is a valid request (its nonce and user come last, so
// the whole body is read and parsed before the answer); expect is the status it gets.
type shape struct {
	name        string
	contentType string
	head, unit  string
	pad         byte
	tail        string // with %[1]s for the nonce and %[2]s for the user
	expect      int
}

const jsonType, formType = "application/json", "application/x-www-form-urlencoded"

// idsTail ends a JSON object with the nonce and the user.
const idsTail = `"nonce":"%[1]s","user_id":"%[2]s"}`

var shapes = []shape{
	// Arrays 62 deep (the limit is 64 with the object and x), one after another.
	{name: "nesting: arrays 62 deep, repeated", contentType: jsonType, head: `{"x":[`,
		unit: strings.Repeat("[", 62) + strings.Repeat("]", 62) + ",", pad: ' ', tail: `0],` + idsTail, expect: 200},
	{name: "nesting: objects 60 deep, repeated", contentType: jsonType, head: `{"x":[`,
		unit: strings.Repeat(`{"a":`, 60) + "0" + strings.Repeat("}", 60) + ",", pad: ' ', tail: `0],` + idsTail, expect: 200},
	{name: "unclosed nesting [[[[ (refused at depth 65)", contentType: jsonType, head: "",
		unit: "[", pad: '[', tail: "", expect: 400},
	{name: "escapes in one string", contentType: jsonType, head: `{"x":"`,
		unit: `\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00`, pad: 'a', tail: `",` + idsTail, expect: 200},
	{name: "duplicate members", contentType: jsonType, head: `{`,
		unit: `"a":0,"\u0061":[],`, pad: ' ', tail: idsTail, expect: 200},
	{name: "one long string", contentType: jsonType, head: `{"x":"`,
		unit: "a", pad: 'a', tail: `",` + idsTail, expect: 200},
	{name: "mixed: nesting, escapes, duplicates, strings", contentType: jsonType, head: `{`,
		unit: `"d":` + strings.Repeat("[", 10) + `{"e":"\"\\\u00e9\ud83d\ude00"}` + strings.Repeat("]", 10) + `,"s":"` + strings.Repeat("x", 40) + `",`,
		pad:  ' ', tail: idsTail, expect: 200},
	{name: "form: escapes, duplicates, empty pieces", contentType: formType, head: "x=",
		unit: "%5B%22+&x=&&", pad: 'a', tail: "&nonce=%[1]s&user_id=%[2]s", expect: 200},
}

// build fills size bytes with the shape.
func (s shape) build(size int, nonce, user string) []byte {
	tail := s.tail
	if strings.Contains(tail, "%[") {
		tail = fmt.Sprintf(tail, nonce, user)
	}
	room := size - len(s.head) - len(tail)
	if room < 0 {
		room = 0
	}
	units := room / len(s.unit)
	var body strings.Builder
	body.Grow(size)
	body.WriteString(s.head)
	body.WriteString(strings.Repeat(s.unit, units))
	body.WriteString(strings.Repeat(string(s.pad), room-units*len(s.unit)))
	body.WriteString(tail)
	return []byte(body.String())
}

type hostileShape struct {
	Shape       string    `json:"shape"`
	Status      int       `json:"status"`
	SizesKiB    []int     `json:"sizes_kib"`
	MedianMs    []float64 `json:"median_ms"`
	PerKiBUs    float64   `json:"per_kib_us"` // marginal cost: (t(largest) - t(smallest)) / their KiB apart
	Ratio       float64   `json:"ratio"`      // t(largest) / t(a quarter of it, or the nearest smaller size)
	RatioOf     string    `json:"ratio_of"`
	Superlinear bool      `json:"superlinear"`
}

type hostileReport struct {
	URL             string         `json:"url"`
	Repeat          int            `json:"repeat"`
	MaxRatio        float64        `json:"max_ratio"`
	Shapes          []hostileShape `json:"shapes"`
	WorstPerKiBUs   float64        `json:"worst_per_kib_us"`
	WorstRatio      float64        `json:"worst_ratio"`
	Verify          bool           `json:"verify"` // the tokens of the 200 answers checked
	Failed          int            `json:"failed"`
	Failures        map[string]int `json:"failures"`
	FailureExamples []string       `json:"failure_examples"`
}

func (r *hostileReport) ok() bool {
	if r.Failed > 0 {
		return false
	}
	for _, s := range r.Shapes {
		if s.Superlinear {
			return false
		}
	}
	return true
}

// hostileRun sends every shape at every size, --repeat times after one discarded round,
// interleaved (a round goes over every shape and size) so that a slow moment of a busy
// machine falls on every size alike; each on a connection of its own, timed from the first
// byte written to the last byte of the answer.
func hostileRun(opts options, check *checker) *hostileReport {
	report := &hostileReport{
		URL: "http://" + opts.target.addr + opts.target.path, Repeat: opts.repeat, MaxRatio: opts.maxRatio,
		Verify: check != nil, Failures: map[string]int{}, FailureExamples: []string{},
	}
	runID := newRunID()
	timings := make([][][]time.Duration, len(shapes))
	statuses := make([]int, len(shapes))
	for i := range shapes {
		timings[i] = make([][]time.Duration, len(opts.sizes))
	}
	deadline := time.Now().Add(opts.maxTime)
	for round := 0; round <= opts.repeat && time.Now().Before(deadline); round++ {
		for i, s := range shapes {
			for j, kib := range opts.sizes {
				suffix := fmt.Sprintf("%s-%d-%d-%d", runID, round, i, j)
				nonce, user := "hostile-"+suffix, "user-"+suffix
				from := time.Now().Unix()
				elapsed, got, failed := timedPost(opts, s.contentType, s.build(kib*1024, nonce, user))
				if failed == nil && got.status != s.expect {
					failed = fail("status_"+fmt.Sprint(got.status), "%d KiB: expected %d, got %d %.160q",
						kib, s.expect, got.status, got.body)
				}
				if failed == nil && got.status == 200 {
					var token string
					if token, failed = answer(got.body); failed == nil && check != nil {
						failed = check.check(token, nonce, user, from, time.Now().Unix()+1)
					}
				}
				if failed != nil {
					report.Failed++
					report.Failures[failed.kind]++
					report.FailureExamples = appendExamples(report.FailureExamples, s.name+": "+failed.Error())
					continue
				}
				statuses[i] = got.status
				if round > 0 {
					timings[i][j] = append(timings[i][j], elapsed)
				}
			}
		}
	}
	for i, s := range shapes {
		result := hostileShape{Shape: s.name, Status: statuses[i], SizesKiB: opts.sizes}
		for j := range opts.sizes {
			result.MedianMs = append(result.MedianMs, median(timings[i][j]))
		}
		last := len(opts.sizes) - 1
		if last > 0 {
			result.PerKiBUs = round(1000*(result.MedianMs[last]-result.MedianMs[0])/float64(opts.sizes[last]-opts.sizes[0]), 3)
			// The size nearest a quarter of the largest, among the smaller ones.
			quarter := 0
			for j := range last {
				if abs(opts.sizes[j]*4-opts.sizes[last]) < abs(opts.sizes[quarter]*4-opts.sizes[last]) {
					quarter = j
				}
			}
			expected := float64(opts.sizes[last]) / float64(opts.sizes[quarter])
			if result.MedianMs[quarter] > 0 {
				result.Ratio = round(result.MedianMs[last]/result.MedianMs[quarter], 3)
			}
			result.RatioOf = fmt.Sprintf("%d KiB / %d KiB (linear: at most %.0f)", opts.sizes[last], opts.sizes[quarter], expected)
			// A linear cost makes the ratio at most the sizes' ratio; the limit scales with it.
			result.Superlinear = result.Ratio > opts.maxRatio*expected/4
		}
		report.WorstPerKiBUs = max(report.WorstPerKiBUs, result.PerKiBUs)
		report.WorstRatio = max(report.WorstRatio, result.Ratio)
		report.Shapes = append(report.Shapes, result)
	}
	return report
}

// timedPost sends one body on a new connection: the time from writing its first byte to
// reading its answer's last.
func timedPost(opts options, contentType string, body []byte) (time.Duration, exchange, *failure) {
	c := &conn{target: opts.target}
	defer c.close()
	// Connected first: the time is the exchange's alone.
	if failed := c.dial(time.Now().Add(opts.timeout)); failed != nil {
		return 0, exchange{}, failed
	}
	begin := time.Now()
	got, failed := c.post(contentType, body, begin.Add(opts.timeout))
	return time.Since(begin), got, failed
}

func median(values []time.Duration) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	middle := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		middle = (sorted[len(sorted)/2-1] + middle) / 2
	}
	return round(float64(middle.Nanoseconds())/1e6, 3)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (r *hostileReport) summary() string {
	var out strings.Builder
	fmt.Fprintf(&out, "loadgen --hostile: %s, median of %d per shape and size (ms):\n", r.URL, r.Repeat)
	for _, s := range r.Shapes {
		cells := make([]string, len(s.SizesKiB))
		for j, kib := range s.SizesKiB {
			cells[j] = fmt.Sprintf("%d KiB %7.3f", kib, s.MedianMs[j])
		}
		verdict := "linear"
		if s.Superlinear {
			verdict = "SUPERLINEAR"
		}
		fmt.Fprintf(&out, "  %-46s %s | %3d | %7.3f us/KiB | %s %.2f: %s\n",
			s.Shape, strings.Join(cells, "  "), s.Status, s.PerKiBUs, s.RatioOf, s.Ratio, verdict)
	}
	if r.Failed > 0 {
		fmt.Fprintf(&out, "  %d requests FAILED (first: %s)", r.Failed, r.FailureExamples[0])
	} else {
		fmt.Fprintf(&out, "  every answer as expected; worst marginal cost %.3f us/KiB, worst ratio %.2f", r.WorstPerKiBUs, r.WorstRatio)
	}
	return out.String()
}
