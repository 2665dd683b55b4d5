package layeridentity

// #include "layer_identity.h"
import "C"

import (
	"errors"
	"strconv"
)

// Status is the library's status of a failed call (LayerStatus in the C header). Its values
// are stable; a newer library may add some.
type Status int

// Every LayerStatus of the C ABI.
const (
	StatusOK              Status = C.LAYER_OK
	StatusNullArgument    Status = C.LAYER_ERR_NULL_ARGUMENT
	StatusInvalidUTF8     Status = C.LAYER_ERR_INVALID_UTF8
	StatusInvalidArgument Status = C.LAYER_ERR_INVALID_ARGUMENT
	StatusInvalidKey      Status = C.LAYER_ERR_INVALID_KEY
	StatusWeakKey         Status = C.LAYER_ERR_WEAK_KEY
	StatusWrongPassphrase Status = C.LAYER_ERR_WRONG_PASSPHRASE
	StatusMalformedToken  Status = C.LAYER_ERR_MALFORMED_TOKEN
	StatusBadSignature    Status = C.LAYER_ERR_BAD_SIGNATURE
	StatusExpired         Status = C.LAYER_ERR_EXPIRED
	StatusNotYetValid     Status = C.LAYER_ERR_NOT_YET_VALID
	StatusClaimMismatch   Status = C.LAYER_ERR_CLAIM_MISMATCH
	StatusCrypto          Status = C.LAYER_ERR_CRYPTO
	StatusInternal        Status = C.LAYER_ERR_INTERNAL
)

// Sentinel errors, one per failure status, for errors.Is:
//
//	if errors.Is(err, layeridentity.ErrExpired) { ... }
//
// Every *Error matches the sentinel of its Status.
var (
	ErrNullArgument    error = &sentinel{StatusNullArgument}
	ErrInvalidUTF8     error = &sentinel{StatusInvalidUTF8}
	ErrInvalidArgument error = &sentinel{StatusInvalidArgument}
	ErrInvalidKey      error = &sentinel{StatusInvalidKey}
	ErrWeakKey         error = &sentinel{StatusWeakKey}
	ErrWrongPassphrase error = &sentinel{StatusWrongPassphrase}
	ErrMalformedToken  error = &sentinel{StatusMalformedToken}
	ErrBadSignature    error = &sentinel{StatusBadSignature}
	ErrExpired         error = &sentinel{StatusExpired}
	ErrNotYetValid     error = &sentinel{StatusNotYetValid}
	ErrClaimMismatch   error = &sentinel{StatusClaimMismatch}
	ErrCrypto          error = &sentinel{StatusCrypto}
	ErrInternal        error = &sentinel{StatusInternal}
)

// ErrClosed is matched (errors.Is) by the error of any call on a Signer or Verifier after
// its Close, or on a nil one.
var ErrClosed = errors.New("layeridentity: use of a closed handle")

// ErrIncompatibleLibrary is matched by the error every constructor returns when the loaded
// liblayer_identity is older than the header this package was built against.
var ErrIncompatibleLibrary = errors.New("layeridentity: incompatible liblayer_identity")

// statusTable maps every status to its C name and sentinel; a test compares it with the
// LayerStatus enum of include/layer_identity.h, so that no status can fall through.
var statusTable = [...]struct {
	name     string
	sentinel error
}{
	StatusOK:              {"LAYER_OK", nil},
	StatusNullArgument:    {"LAYER_ERR_NULL_ARGUMENT", ErrNullArgument},
	StatusInvalidUTF8:     {"LAYER_ERR_INVALID_UTF8", ErrInvalidUTF8},
	StatusInvalidArgument: {"LAYER_ERR_INVALID_ARGUMENT", ErrInvalidArgument},
	StatusInvalidKey:      {"LAYER_ERR_INVALID_KEY", ErrInvalidKey},
	StatusWeakKey:         {"LAYER_ERR_WEAK_KEY", ErrWeakKey},
	StatusWrongPassphrase: {"LAYER_ERR_WRONG_PASSPHRASE", ErrWrongPassphrase},
	StatusMalformedToken:  {"LAYER_ERR_MALFORMED_TOKEN", ErrMalformedToken},
	StatusBadSignature:    {"LAYER_ERR_BAD_SIGNATURE", ErrBadSignature},
	StatusExpired:         {"LAYER_ERR_EXPIRED", ErrExpired},
	StatusNotYetValid:     {"LAYER_ERR_NOT_YET_VALID", ErrNotYetValid},
	StatusClaimMismatch:   {"LAYER_ERR_CLAIM_MISMATCH", ErrClaimMismatch},
	StatusCrypto:          {"LAYER_ERR_CRYPTO", ErrCrypto},
	StatusInternal:        {"LAYER_ERR_INTERNAL", ErrInternal},
}

// String is the C name of the status, e.g. "LAYER_ERR_EXPIRED".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusTable) {
		return statusTable[s].name
	}
	return "LAYER_STATUS_UNKNOWN(" + strconv.Itoa(int(s)) + ")"
}

// Layer's identifiers for the verifier rule a token broke (Error.EitCode), as the Layer
// dashboard's identity token validation tool reports them.
const (
	EitWrongJWSPartCount           = "eit_wrong_jws_part_count"
	EitMalformedBase64URL          = "eit_malformed_base64url"
	EitMalformedJSON               = "eit_malformed_json"
	EitHeaderParamNotFound         = "eit_header_param_not_found"
	EitHeaderParamWrongType        = "eit_header_param_wrong_type"
	EitHeaderParamWrongValue       = "eit_header_param_wrong_value"
	EitClaimNotFound               = "eit_claim_not_found"
	EitClaimWrongType              = "eit_claim_wrong_type"
	EitExpired                     = "eit_expired"
	EitNotBefore                   = "eit_not_before"
	EitKeyNotFound                 = "eit_key_not_found"
	EitProviderNotFound            = "eit_provider_not_found"
	EitSignatureVerificationFailed = "eit_signature_verification_failed"
	EitNonceNotFound               = "eit_nonce_not_found"
)

// eitTable maps every LayerEit value to its identifier; a test compares it with the header's
// LayerEit enum and with layer_eit_name.
var eitTable = [...]string{
	C.LAYER_EIT_NONE:                          "",
	C.LAYER_EIT_WRONG_JWS_PART_COUNT:          EitWrongJWSPartCount,
	C.LAYER_EIT_MALFORMED_BASE64URL:           EitMalformedBase64URL,
	C.LAYER_EIT_MALFORMED_JSON:                EitMalformedJSON,
	C.LAYER_EIT_HEADER_PARAM_NOT_FOUND:        EitHeaderParamNotFound,
	C.LAYER_EIT_HEADER_PARAM_WRONG_TYPE:       EitHeaderParamWrongType,
	C.LAYER_EIT_HEADER_PARAM_WRONG_VALUE:      EitHeaderParamWrongValue,
	C.LAYER_EIT_CLAIM_NOT_FOUND:               EitClaimNotFound,
	C.LAYER_EIT_CLAIM_WRONG_TYPE:              EitClaimWrongType,
	C.LAYER_EIT_EXPIRED:                       EitExpired,
	C.LAYER_EIT_NOT_BEFORE:                    EitNotBefore,
	C.LAYER_EIT_KEY_NOT_FOUND:                 EitKeyNotFound,
	C.LAYER_EIT_PROVIDER_NOT_FOUND:            EitProviderNotFound,
	C.LAYER_EIT_SIGNATURE_VERIFICATION_FAILED: EitSignatureVerificationFailed,
	C.LAYER_EIT_NONCE_NOT_FOUND:               EitNonceNotFound,
}

// Error is a failure reported by the library (or an argument the wrapper refused before
// calling it: a string holding U+0000, a negative duration).
//
// Use errors.Is with the sentinels (ErrExpired, ...) to test for a status, or errors.As to
// read the fields:
//
//	var e *layeridentity.Error
//	if errors.As(err, &e) && e.EitCode == layeridentity.EitNonceNotFound { ... }
type Error struct {
	Status  Status // e.g. StatusExpired
	Name    string // the status's C name, e.g. "LAYER_ERR_EXPIRED"
	Message string // the library's message; a verifier's starts with EitCode
	// EitCode is Layer's identifier for the verifier rule a token broke (EitExpired, ...),
	// or "" when the failure is not about the token.
	EitCode string
}

func (e *Error) Error() string {
	return "layeridentity: " + e.Message + " (" + e.Name + ")"
}

// Is reports whether target is the sentinel of e's status.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.status == e.Status
}

type sentinel struct{ status Status }

func (s *sentinel) Error() string { return "layeridentity: " + s.status.String() }

// libraryError builds the *Error of a failed call and frees its message.
func libraryError(status C.LayerStatus, message *C.char, eit C.LayerEit) *Error {
	e := &Error{
		Status:  Status(status),
		Name:    libraryStatusName(int(status)),
		Message: takeString(message),
		EitCode: libraryEitName(int(eit)),
	}
	if e.Message == "" {
		e.Message = "(the library gave no message)"
	}
	return e
}

// libraryStatusName is layer_status_name: the library's own name for a status value.
func libraryStatusName(v int) string { return C.GoString(C.layer_status_name(C.LayerStatus(v))) }

// libraryEitName is layer_eit_name: the library's identifier for a LayerEit value.
func libraryEitName(v int) string { return C.GoString(C.layer_eit_name(C.LayerEit(v))) }

// argError is the error for an argument the wrapper refuses before calling the library.
func argError(name, problem string) *Error {
	return &Error{
		Status:  StatusInvalidArgument,
		Name:    StatusInvalidArgument.String(),
		Message: name + " " + problem,
	}
}

// closedError is the error of a call on a closed (or nil) handle.
type closedError struct{ op string }

func (e *closedError) Error() string { return "layeridentity: " + e.op + " on a closed or nil handle" }

func (e *closedError) Is(target error) bool { return target == ErrClosed }
