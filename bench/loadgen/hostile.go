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
	Shape    string    `json:"shape"`
	Status   int       `json:"status"`
	SizesKiB []int     `json:"sizes_kib"`
	Samples  int       `json:"samples"` // measurements per size (more when a verdict was checked again)
	MedianMs []float64 `json:"median_ms"`
	MinMs    []float64 `json:"min_ms"`
	// The verdict's figures come from the fastest answer at each size: a busy machine only
	// ever adds time, so the minimum is the cost with the least noise.
	PerKiBUs    float64 `json:"per_kib_us"` // marginal cost: (t(largest) - t(smallest)) / their KiB apart
	Ratio       float64 `json:"ratio"`      // t(largest) / t(a quarter of it, or the nearest smaller size)
	RatioOf     string  `json:"ratio_of"`
	Superlinear bool    `json:"superlinear"`
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

// hostile is a --hostile run's state: the timings per shape and size.
type hostile struct {
	opts     options
	check    *checker
	report   *hostileReport
	runID    string
	timings  [][][]time.Duration
	statuses []int
	rounds   int
	deadline time.Time
}

// hostileRun sends every shape at every size, --repeat times after one discarded round,
// interleaved (a round goes over every shape and size) so that a slow moment of a busy
// machine falls on every size alike; each on a connection of its own, timed from the first
// byte written to the last byte of the answer. A shape that looks superlinear is measured
// again, twice at most: a superlinear cost shows every time, a busy moment does not.
func hostileRun(opts options, check *checker) *hostileReport {
	h := &hostile{
		opts: opts, check: check, runID: newRunID(), deadline: time.Now().Add(opts.maxTime),
		report: &hostileReport{
			URL: "http://" + opts.target.addr + opts.target.path, Repeat: opts.repeat, MaxRatio: opts.maxRatio,
			Verify: check != nil, Failures: map[string]int{}, FailureExamples: []string{},
		},
		timings: make([][][]time.Duration, len(shapes)), statuses: make([]int, len(shapes)),
	}
	all := make([]int, len(shapes))
	for i := range shapes {
		all[i] = i
		h.timings[i] = make([][]time.Duration, len(opts.sizes))
	}
	h.measure(all, 1, false)
	h.measure(all, opts.repeat, true)
	for i := range shapes {
		result := h.result(i)
		for again := 0; result.Superlinear && again < 2 && time.Now().Before(h.deadline); again++ {
			h.measure([]int{i}, opts.repeat, true)
			result = h.result(i)
		}
		h.report.WorstPerKiBUs = max(h.report.WorstPerKiBUs, result.PerKiBUs)
		h.report.WorstRatio = max(h.report.WorstRatio, result.Ratio)
		h.report.Shapes = append(h.report.Shapes, result)
	}
	return h.report
}

// measure sends rounds rounds of the shapes at every size, keeping the timings when keep.
func (h *hostile) measure(indices []int, rounds int, keep bool) {
	for range rounds {
		if !time.Now().Before(h.deadline) {
			return
		}
		h.rounds++
		for _, i := range indices {
			s := shapes[i]
			for j, kib := range h.opts.sizes {
				suffix := fmt.Sprintf("%s-%d-%d-%d", h.runID, h.rounds, i, j)
				nonce, user := "hostile-"+suffix, "user-"+suffix
				from := time.Now().Unix()
				elapsed, got, failed := timedPost(h.opts, s.contentType, s.build(kib*1024, nonce, user))
				if failed == nil && got.status != s.expect {
					failed = fail("status_"+fmt.Sprint(got.status), "%d KiB: expected %d, got %d %.160q",
						kib, s.expect, got.status, got.body)
				}
				if failed == nil && got.status == 200 {
					var token string
					if token, failed = answer(got.body); failed == nil && h.check != nil {
						failed = h.check.check(token, nonce, user, from, time.Now().Unix()+1)
					}
				}
				if failed != nil {
					h.report.Failed++
					h.report.Failures[failed.kind]++
					h.report.FailureExamples = appendExamples(h.report.FailureExamples, s.name+": "+failed.Error())
					continue
				}
				h.statuses[i] = got.status
				if keep {
					h.timings[i][j] = append(h.timings[i][j], elapsed)
				}
			}
		}
	}
}

// result is shape i's figures and verdict from its timings so far.
func (h *hostile) result(i int) hostileShape {
	sizes := h.opts.sizes
	result := hostileShape{Shape: shapes[i].name, Status: h.statuses[i], SizesKiB: sizes}
	for j := range sizes {
		result.MedianMs = append(result.MedianMs, median(h.timings[i][j]))
		result.MinMs = append(result.MinMs, minimum(h.timings[i][j]))
		result.Samples = max(result.Samples, len(h.timings[i][j]))
	}
	last := len(sizes) - 1
	if last == 0 {
		return result
	}
	result.PerKiBUs = round(1000*(result.MinMs[last]-result.MinMs[0])/float64(sizes[last]-sizes[0]), 3)
	// The size nearest a quarter of the largest, among the smaller ones.
	quarter := 0
	for j := range last {
		if abs(sizes[j]*4-sizes[last]) < abs(sizes[quarter]*4-sizes[last]) {
			quarter = j
		}
	}
	expected := float64(sizes[last]) / float64(sizes[quarter])
	if result.MinMs[quarter] > 0 {
		result.Ratio = round(result.MinMs[last]/result.MinMs[quarter], 3)
	}
	result.RatioOf = fmt.Sprintf("%d KiB / %d KiB (linear: at most %.0f)", sizes[last], sizes[quarter], expected)
	// A linear cost makes the ratio at most the sizes' ratio; the limit scales with it.
	result.Superlinear = result.Ratio > h.opts.maxRatio*expected/4
	return result
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

func minimum(values []time.Duration) float64 {
	if len(values) == 0 {
		return 0
	}
	return round(float64(slices.Min(values).Nanoseconds())/1e6, 3)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (r *hostileReport) summary() string {
	var out strings.Builder
	fmt.Fprintf(&out, "loadgen --hostile: %s, fastest of %d or more per shape and size (ms):\n", r.URL, r.Repeat)
	for _, s := range r.Shapes {
		cells := make([]string, len(s.SizesKiB))
		for j, kib := range s.SizesKiB {
			cells[j] = fmt.Sprintf("%d KiB %7.3f", kib, s.MinMs[j])
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
