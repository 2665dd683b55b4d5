package layeridentity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The identity-token endpoint: the HTTP contract of tests/endpoint/README.md, which every
// layer-identity wrapper answers the same way.

const (
	// MaxBodyBytes is the largest request body the endpoint reads; a larger one is 413.
	MaxBodyBytes = 65536
	// MaxFieldBytes is the longest field value (in UTF-8 bytes) the endpoint accepts.
	MaxFieldBytes = 2048
	// maxJSONDepth is the deepest nesting a JSON body may have (the top-level object is 1).
	maxJSONDepth = 64
)

// The paths the endpoint serves.
const (
	IdentityTokenPath = "/identity-token"
	HealthzPath       = "/healthz"
)

// DemoWarning is what a program that mounts Handler with TrustBodyUserID should print at
// start-up (the sample backend prints it on stderr).
const DemoWarning = "WARNING: demo authenticator: trusting user_id from the request body; " +
	"replace it with your own session check"

// Handler returns the identity-token endpoint: POST /identity-token with the nonce the Layer
// client SDK obtained (JSON or form-encoded: "nonce", and optionally "first_name",
// "last_name", "display_name", "avatar_url") answers {"identity_token": "<token>"} signed by
// signer for the user that authenticate returns; GET /healthz answers {"status": "ok"}. Every
// other request gets the contract's error (404, 405, 413, 415, 400 with a code and a
// message).
//
// authenticate is the application's own session check: it gets the request (headers,
// cookies, context) after the body has been read and its fields checked, and returns the
// user ID. When it returns an error the answer is 401 "authentication required" and the error
// goes to the log, never to the client. The fields of the body are available to it through
// RequestField (TrustBodyUserID, for demos, takes the user ID from there).
//
// The handler serves the two paths itself (404 for any other); mount it at the root of a
// server or a mux, or under a prefix with http.StripPrefix. Failures are logged with
// log/slog's default logger. It panics when signer or authenticate is nil.
func Handler(signer *Signer, authenticate func(*http.Request) (userID string, err error)) http.Handler {
	if signer == nil {
		panic("layeridentity.Handler: nil *Signer")
	}
	if authenticate == nil {
		panic("layeridentity.Handler: nil authenticate function")
	}
	return &endpoint{signer: signer, authenticate: authenticate}
}

type endpoint struct {
	signer       *Signer
	authenticate func(*http.Request) (string, error)
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.EscapedPath() { // as received: no decoding, no cleaning
	case IdentityTokenPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			e.fail(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "use POST", true)
			return
		}
		e.identityToken(w, r)
	case HealthzPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			e.fail(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "use GET or HEAD", true)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"}, false)
	default:
		e.fail(w, r, http.StatusNotFound, "not_found", "not found", true)
	}
}

// The fields of a request body, in the order they are checked.
var checkedFields = [...]string{"nonce", "first_name", "last_name", "display_name", "avatar_url"}

// rawField is a known field as the body gave it.
type rawField struct {
	count int    // how many times it was given
	json  []byte // a JSON body: the value's JSON text (of the first occurrence)
	form  string // a form body: the decoded value
	isSet bool   // present in a form body
}

// requestBody holds a parsed body's known fields (user_id and the checked ones).
type requestBody struct {
	form   bool
	fields map[string]*rawField
}

type bodyKey struct{}

func (e *endpoint) identityToken(w http.ResponseWriter, r *http.Request) {
	form, ok := acceptedContentType(r.Header.Values("Content-Type"))
	if !ok {
		e.fail(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type must be application/json or application/x-www-form-urlencoded (charset utf-8)", true)
		return
	}
	if r.ContentLength > MaxBodyBytes {
		e.fail(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 65536 bytes", true)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		slog.Warn("layeridentity: identity-token: reading the request body", "error", err)
		e.fail(w, r, http.StatusBadRequest, "invalid_json", "the body could not be read", true)
		return
	}
	if len(raw) > MaxBodyBytes {
		e.fail(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 65536 bytes", true)
		return
	}
	body, problem := parseBody(raw, form)
	if problem != "" {
		e.fail(w, r, http.StatusBadRequest, "invalid_json", problem, false)
		return
	}
	var values [len(checkedFields)]string
	for i, name := range checkedFields {
		value, ferr := body.field(name, i == 0)
		if ferr != nil {
			e.fail(w, r, http.StatusBadRequest, ferr.code, ferr.message, false)
			return
		}
		values[i] = value
	}

	authenticated := r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
	userID, err := e.authenticate(authenticated)
	if err != nil {
		var ferr *fieldError
		if errors.As(err, &ferr) {
			e.fail(w, r, http.StatusBadRequest, ferr.code, ferr.message, false)
			return
		}
		slog.Info("layeridentity: identity-token: authentication failed", "error", err)
		e.fail(w, r, http.StatusUnauthorized, "unauthenticated", "authentication required", false)
		return
	}
	if userID == "" || strings.IndexByte(userID, 0) >= 0 {
		slog.Error("layeridentity: identity-token: authenticate returned a user ID that is empty or holds U+0000")
		e.serverError(w, r)
		return
	}

	token, err := e.signer.SignWith(userID, values[0], SignOptions{
		FirstName: values[1], LastName: values[2], DisplayName: values[3], AvatarURL: values[4],
	})
	if err != nil {
		var lerr *Error
		if errors.As(err, &lerr) && lerr.Status == StatusInvalidArgument {
			e.fail(w, r, http.StatusBadRequest, "invalid_field", lerr.Message, false)
			return
		}
		slog.Error("layeridentity: identity-token: signing failed", "error", err)
		e.serverError(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"identity_token": token}, false)
}

func (e *endpoint) serverError(w http.ResponseWriter, r *http.Request) {
	e.fail(w, r, http.StatusInternalServerError, "server_error", "could not create the identity token", false)
}

// fail answers an error. unread: the body was not read, so the connection is closed after the
// response instead of reading what the client may still send.
func (e *endpoint) fail(w http.ResponseWriter, r *http.Request, status int, code, message string, unread bool) {
	type errorBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, map[string]errorBody{"error": {code, message}}, unread)
}

func writeJSON(w http.ResponseWriter, status int, value any, closeConnection bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil { // strings only: cannot fail
		panic(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if closeConnection {
		h.Set("Connection", "close")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes()) // a HEAD request's body is dropped by the server
}

// acceptedContentType says whether the Content-Type is one the endpoint reads (exactly one
// header; application/json or application/x-www-form-urlencoded, case-insensitive; a charset
// parameter, if any, utf-8; other parameters ignored), and whether it is the form.
func acceptedContentType(values []string) (form, ok bool) {
	if len(values) != 1 {
		return false, false
	}
	kind, params, _ := strings.Cut(values[0], ";")
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "application/json":
	case "application/x-www-form-urlencoded":
		form = true
	default:
		return false, false
	}
	for _, param := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(param, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "charset") {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		if !strings.EqualFold(value, "utf-8") {
			return false, false
		}
	}
	return form, true
}

func isKnownField(name string) bool {
	if name == "user_id" {
		return true
	}
	for _, f := range checkedFields {
		if f == name {
			return true
		}
	}
	return false
}

// parseBody reads a JSON or form body; the problem is the message of a 400 invalid_json.
func parseBody(raw []byte, form bool) (*requestBody, string) {
	body := &requestBody{form: form, fields: map[string]*rawField{}}
	add := func(name string) *rawField {
		f := body.fields[name]
		if f == nil {
			f = &rawField{}
			body.fields[name] = f
		}
		f.count++
		return f
	}
	if form {
		for _, piece := range strings.Split(string(raw), "&") {
			if piece == "" {
				continue
			}
			rawName, rawValue, _ := strings.Cut(piece, "=")
			name, err1 := url.QueryUnescape(rawName)
			value, err2 := url.QueryUnescape(rawValue)
			if err1 != nil || err2 != nil {
				return nil, "the body is not valid form data"
			}
			if !utf8.ValidString(name) || !utf8.ValidString(value) {
				return nil, "the body is not valid UTF-8"
			}
			if isKnownField(name) {
				if f := add(name); f.count == 1 {
					f.form, f.isSet = value, true
				}
			}
		}
		return body, ""
	}

	switch {
	case !utf8.Valid(raw):
		return nil, "the body is not valid UTF-8"
	case !json.Valid(raw): // also a byte order mark, NaN, trailing data, an empty body
		return nil, "the body is not valid JSON"
	case jsonDepth(raw) > maxJSONDepth:
		return nil, "the body is nested more than 64 levels deep"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, "the body must be a JSON object"
	}
	for dec.More() {
		t, err := dec.Token()
		name, isName := t.(string)
		var value json.RawMessage
		if err != nil || !isName || dec.Decode(&value) != nil {
			return nil, "the body is not valid JSON" // not reached: the body is valid JSON
		}
		if isKnownField(name) {
			if f := add(name); f.count == 1 {
				f.json = value
			}
		}
	}
	return body, ""
}

// jsonDepth is the deepest nesting of arrays and objects in valid JSON text.
func jsonDepth(raw []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// fieldError is a field that breaks the contract's rules: a 400 with code and message.
type fieldError struct {
	code, message string
}

func (e *fieldError) Error() string { return e.message }

// field is the value of a field under the contract's rules; "" for an absent optional one.
func (b *requestBody) field(name string, required bool) (string, *fieldError) {
	invalid := func(rule string) (string, *fieldError) {
		return "", &fieldError{"invalid_field", name + " " + rule}
	}
	f := b.fields[name]
	if f == nil {
		if required {
			return "", &fieldError{"missing_field", name + " is required"}
		}
		return "", nil
	}
	if f.count > 1 {
		return invalid("is given more than once")
	}
	var value string
	if b.form {
		value = f.form
	} else {
		if string(f.json) == "null" && !required {
			return "", nil
		}
		var ok bool
		if value, ok = jsonString(f.json); !ok {
			if f.json[0] == '"' {
				return invalid("must be valid Unicode")
			}
			return invalid("must be a non-empty string")
		}
	}
	switch {
	case value == "":
		return invalid("must be a non-empty string")
	case len(value) > MaxFieldBytes:
		return invalid("must be at most 2048 bytes")
	case strings.IndexByte(value, 0) >= 0:
		return invalid("must not contain U+0000")
	}
	return value, nil
}

// jsonString decodes the text of a valid JSON string value exactly; false for another kind
// of value and for a string with an unpaired surrogate escape (which has no UTF-8 form:
// encoding/json would silently turn it into U+FFFD).
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	raw = raw[1 : len(raw)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			out = append(out, raw[i])
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
					return "", false
				}
				low := hex4(raw[i+3 : i+7])
				if low < 0xdc00 || low > 0xdfff {
					return "", false
				}
				r = utf16.DecodeRune(r, low)
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
	}
	return string(out), true
}

func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 32) // valid JSON: four hex digits
	return rune(n)
}

// RequestField returns a field of the request body that Handler has read, under the
// contract's field rules (a non-empty string of at most 2048 bytes, without U+0000, given
// once), for an authenticate function. Its error, returned by authenticate, answers 400
// missing_field or invalid_field instead of 401. Outside Handler it returns an error.
func RequestField(r *http.Request, name string) (string, error) {
	body, _ := r.Context().Value(bodyKey{}).(*requestBody)
	if body == nil {
		return "", errors.New("layeridentity.RequestField: the request was not passed by layeridentity.Handler")
	}
	if !isKnownField(name) {
		return "", errors.New("layeridentity.RequestField: " + strconv.Quote(name) + " is not a field of the endpoint")
	}
	value, err := body.field(name, true)
	if err != nil {
		return "", err
	}
	return value, nil
}

// TrustBodyUserID is a DEMO authenticate function for Handler: it takes the user ID from
// the body's "user_id" field and so trusts the client completely (anyone can obtain a token
// for any user). Use it only to try the endpoint out, print DemoWarning when you do, and
// replace it with your application's own session check.
func TrustBodyUserID(r *http.Request) (string, error) {
	return RequestField(r, "user_id")
}
