package layeridentity

/*
#include "layer_identity.h"

// The answer of an exchange at step LAYER_EXCHANGE_RESPOND, read in one cgo call. The
// pointers belong to the exchange and are valid until layer_exchange_free.
typedef struct {
	uint16_t status;
	size_t header_count;
	const char *names[LAYER_EXCHANGE_MAX_HEADERS];
	size_t name_lens[LAYER_EXCHANGE_MAX_HEADERS];
	const char *values[LAYER_EXCHANGE_MAX_HEADERS];
	size_t value_lens[LAYER_EXCHANGE_MAX_HEADERS];
	const uint8_t *body;
	size_t body_len;
	const char *log;
	size_t log_len;
} li_answer;

static void li_exchange_answer(const LayerExchange *exchange, li_answer *a) {
	a->status = layer_exchange_status(exchange);
	a->header_count = layer_exchange_headers(exchange, a->names, a->name_lens, a->values,
		a->value_lens, LAYER_EXCHANGE_MAX_HEADERS);
	a->body = layer_exchange_body(exchange, &a->body_len);
	a->log = layer_exchange_log_message(exchange, &a->log_len);
}
*/
import "C"

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The binding of the core's endpoint (LayerExchange): one exchange per HTTP request, which
// the core moves through its steps. handler.go drives it from net/http; nothing here knows
// about HTTP beyond the bytes it passes.

// MaxBodyBytes is the largest request body the endpoint reads (the core's
// LAYER_ENDPOINT_MAX_BODY_BYTES); a larger one is answered 413.
const MaxBodyBytes = C.LAYER_ENDPOINT_MAX_BODY_BYTES

// liveExchanges counts the exchanges created and not yet freed (for the tests).
var liveExchanges atomic.Int64

type exchangeStep int

const (
	stepReadBody     exchangeStep = C.LAYER_EXCHANGE_READ_BODY
	stepAuthenticate exchangeStep = C.LAYER_EXCHANGE_AUTHENTICATE
	stepRespond      exchangeStep = C.LAYER_EXCHANGE_RESPOND
)

// exchange is one request's LayerExchange. It is used by the goroutine serving the
// request, and by Fields.DemoUserID, possibly from a goroutine of authenticate's: mu
// serializes the two, and authenticating says whether DemoUserID may still use it.
type exchange struct {
	ptr            *C.LayerExchange
	mu             sync.Mutex
	authenticating bool
}

// newExchange starts an exchange with the request head: the method and the target (path
// below the mount point, and the query) as received, and the Content-Type and
// Content-Length header values when the request has them.
func newExchange(method, target, contentType string, hasContentType bool, contentLength string, hasContentLength bool) (*exchange, error) {
	m, mLen := text(method)
	t, tLen := text(target)
	ct, ctLen := optionalText(contentType, hasContentType)
	cl, clLen := optionalText(contentLength, hasContentLength)
	var ptr *C.LayerExchange
	var message *C.char
	if status := C.layer_exchange_new(m, mLen, t, tLen, ct, ctLen, cl, clLen, &ptr, &message); status != C.LAYER_OK {
		return nil, libraryError(status, message, C.LAYER_EIT_NONE)
	}
	liveExchanges.Add(1)
	return &exchange{ptr: ptr}, nil
}

func (x *exchange) free() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.authenticating = false
	C.layer_exchange_free(x.ptr)
	x.ptr = nil
	liveExchanges.Add(-1)
}

func (x *exchange) step() exchangeStep { return exchangeStep(C.layer_exchange_step(x.ptr)) }

// putBody gives the body: every byte read, at most MaxBodyBytes + 1.
func (x *exchange) putBody(body []byte) error {
	p, n := byteArg(body)
	var message *C.char
	if status := C.layer_exchange_put_body(x.ptr, p, n, &message); status != C.LAYER_OK {
		return libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return nil
}

// fields copies the validated fields into Go strings, for authenticate, and lets
// Fields.DemoUserID use the exchange until authenticated is called.
func (x *exchange) fields() Fields {
	var values [C.LAYER_FIELD_COUNT]*C.char
	var lens [C.LAYER_FIELD_COUNT]C.size_t
	C.layer_exchange_fields(x.ptr, &values[0], &lens[0], C.LAYER_FIELD_COUNT)
	field := func(i C.LayerField) string { return goString(values[i], lens[i]) }
	x.mu.Lock()
	x.authenticating = true
	x.mu.Unlock()
	return Fields{
		Nonce:       field(C.LAYER_FIELD_NONCE),
		FirstName:   field(C.LAYER_FIELD_FIRST_NAME),
		LastName:    field(C.LAYER_FIELD_LAST_NAME),
		DisplayName: field(C.LAYER_FIELD_DISPLAY_NAME),
		AvatarURL:   field(C.LAYER_FIELD_AVATAR_URL),
		x:           x,
	}
}

// authenticated ends what Fields.DemoUserID may do.
func (x *exchange) authenticated() {
	x.mu.Lock()
	x.authenticating = false
	x.mu.Unlock()
}

var errDemoOutsideAuthenticate = errors.New("layeridentity: Fields.DemoUserID called outside the authenticate call that received the fields")

// demoUserID is the demo authenticator's rule (layer_exchange_demo_user_id): the body's
// user_id, or the field's refusal, which the exchange remembers.
func (x *exchange) demoUserID() (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.authenticating {
		return "", errDemoOutsideAuthenticate
	}
	var p *C.char
	var n C.size_t
	var message *C.char
	if status := C.layer_exchange_demo_user_id(x.ptr, &p, &n, &message); status != C.LAYER_OK {
		return "", libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return goString(p, n), nil
}

// finish gives authenticate's outcome: a user ID, nothing (""), or its error.
func (x *exchange) finish(signer *Signer, userID string, authErr error) error {
	outcome := C.LayerAuthOutcome(C.LAYER_AUTH_USER)
	switch {
	case authErr != nil:
		outcome = C.LAYER_AUTH_FAILED
	case userID == "":
		outcome = C.LAYER_AUTH_NONE
	}
	var s *C.LayerSigner
	if outcome == C.LAYER_AUTH_USER {
		p, err := signer.handle().acquire("the endpoint's Signer")
		if err != nil {
			return err
		}
		defer signer.h.release()
		s = (*C.LayerSigner)(p)
	}
	u, uLen := optionalText(userID, outcome == C.LAYER_AUTH_USER)
	var message *C.char
	if status := C.layer_exchange_finish(x.ptr, s, outcome, u, uLen, &message); status != C.LAYER_OK {
		return libraryError(status, message, C.LAYER_EIT_NONE)
	}
	return nil
}

// fail answers 500 for the adapter's own failure; why goes to the log only.
func (x *exchange) fail(why string) {
	p, n := text(why)
	C.layer_exchange_fail(x.ptr, p, n, nil) // fails only for a NULL exchange
}

// answer is the exchange's answer; its texts and body point into the exchange (valid until
// free).
type answer struct {
	status  int
	headers [][2]string
	body    []byte
	log     string
}

func (x *exchange) answer() answer {
	var a C.li_answer
	C.li_exchange_answer(x.ptr, &a)
	out := answer{status: int(a.status), log: goString(a.log, a.log_len)}
	n := min(int(a.header_count), C.LAYER_EXCHANGE_MAX_HEADERS)
	out.headers = make([][2]string, n)
	for i := range out.headers {
		out.headers[i] = [2]string{
			headerText(a.names[i], a.name_lens[i]),
			headerText(a.values[i], a.value_lens[i]),
		}
	}
	if a.body != nil {
		out.body = unsafe.Slice((*byte)(a.body), a.body_len)
	}
	return out
}

// commonHeaderTexts are the names and values the core answers with, kept as Go constants
// so that answering allocates none of them.
var commonHeaderTexts = map[string]string{}

func init() {
	for _, s := range []string{"Content-Type", "Cache-Control", "Allow", "Connection",
		"application/json", "no-store", "POST", "GET, HEAD", "close"} {
		commonHeaderTexts[s] = s
	}
}

// headerText copies a header name or value of the answer, or returns the same text from
// commonHeaderTexts.
func headerText(p *C.char, n C.size_t) string {
	view := unsafe.String((*byte)(unsafe.Pointer(p)), int(n))
	if s, ok := commonHeaderTexts[view]; ok {
		return s
	}
	return strings.Clone(view)
}
