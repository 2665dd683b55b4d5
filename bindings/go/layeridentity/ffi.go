package layeridentity

/*
#include <string.h>
#include "layer_identity.h"

#if !defined(LAYER_ABI_VERSION) || LAYER_ABI_VERSION < 3
#error "layeridentity needs layer_identity.h with LAYER_ABI_VERSION >= 3: install a newer layer-identity"
#endif
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// How values cross into C
//
// Every function this package calls takes its texts as pointer and length (the ABI's `_n`
// functions), and the library never keeps an input pointer after a call returns. So a Go
// string or byte slice is passed as it is: a pointer to its bytes and its length, with no
// copy, no terminator and no check of the wrapper's own. The library decides what it
// accepts: invalid UTF-8 is StatusInvalidUTF8, U+0000 inside a text StatusInvalidArgument,
// each with a message that names the argument. (cgo allows passing such pointers: the bytes
// hold no Go pointers, and the cgo call keeps its arguments alive until it returns.)
//
// NULL means "absent" to the library, so an empty string must not become NULL:
// unsafe.StringData may return nil for "", and text gives every empty text the address of
// one static byte instead.
//
// Every string the library returns is copied into Go memory and released with
// layer_string_free at once, so no C memory outlives the function that received it.

// emptyText is where an empty text points (the library reads none of its bytes).
var emptyText byte

// text is s as the pointer and length of an ABI text argument, never NULL.
func text(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return (*C.char)(unsafe.Pointer(&emptyText)), 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// optionalText is text, with NULL (absent) when present is false.
func optionalText(s string, present bool) (*C.char, C.size_t) {
	if !present {
		return nil, 0
	}
	return text(s)
}

// byteArg is p as an ABI bytes argument: NULL for a nil slice (the library then names the
// missing argument), otherwise a pointer that is never NULL, even for an empty slice.
func byteArg(p []byte) (*C.uint8_t, C.size_t) {
	if p == nil {
		return nil, 0
	}
	if len(p) == 0 {
		return (*C.uint8_t)(unsafe.Pointer(&emptyText)), 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(p))), C.size_t(len(p))
}

// goString copies n bytes of library-owned text (it may hold U+0000) into Go memory; NULL
// is "".
func goString(p *C.char, n C.size_t) string {
	if p == nil {
		return ""
	}
	return C.GoStringN(p, C.int(n))
}

// takeString copies a NUL-terminated string the library allocated and frees it
// (layer_string_free zeroizes it first).
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.layer_string_free(p)
	return s
}

// takeBytes is takeString into a byte slice (for key material the caller owns).
func takeBytes(p *C.char) []byte {
	if p == nil {
		return nil
	}
	b := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
	C.layer_string_free(p)
	return b
}

// Version is the version of the loaded layer-identity library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.layer_version())
}

// ABIVersion is the C ABI version of the loaded library; this package needs at least
// RequiredABIVersion.
func ABIVersion() int {
	return int(C.layer_abi_version())
}

// RequiredABIVersion is the C ABI version of the header this package was built against: the
// loaded library must report at least this much.
const RequiredABIVersion = C.LAYER_ABI_VERSION

var abiCheck = sync.OnceValue(func() error {
	if loaded := ABIVersion(); loaded < RequiredABIVersion {
		return fmt.Errorf("%w: the loaded liblayer_identity %s has C ABI version %d, but this package was "+
			"built against version %d: install a newer layer-identity or rebuild against the installed one",
			ErrIncompatibleLibrary, Version(), loaded, RequiredABIVersion)
	}
	return nil
})

// checkABI is called by every constructor and free function before its first C call.
func checkABI() error { return abiCheck() }
