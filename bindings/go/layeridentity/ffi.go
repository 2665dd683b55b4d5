package layeridentity

/*
#include <stdlib.h>
#include <string.h>
#include "layer_identity.h"

#if !defined(LAYER_ABI_VERSION) || LAYER_ABI_VERSION < 2
#error "layeridentity needs layer_identity.h with LAYER_ABI_VERSION >= 2: install a newer layer-identity"
#endif
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// How strings cross into C
//
// The library never keeps a pointer to an input string after a call returns (the header's
// contract), so the wrapper does not copy inputs into C memory with C.CString: it packs the
// arguments of one call, each followed by a NUL byte, into one Go byte slice and passes
// pointers into it. cgo allows that (the slice holds no Go pointers, and the garbage
// collector does not move heap memory), and it saves a malloc and a free per argument. Key
// text and passphrases are overwritten with zeros as soon as the call returns.
//
// Go strings may hold U+0000, which a C string cannot: such an argument is refused before
// any call, with an *Error whose Status is StatusInvalidArgument and whose message names the
// argument (see argError). Invalid UTF-8 is passed through: the library answers it with
// StatusInvalidUTF8, in its own words, as it does for every language.
//
// Every string the library returns is copied into Go memory and released with
// layer_string_free at once, so no C memory outlives the function that received it.

// cArgs holds the NUL-terminated copies of the string arguments of one C call.
type cArgs struct {
	buf    []byte
	secret bool // zeroize buf in free: it holds a key or a passphrase
}

// arg is one argument inside a cArgs: its offset, or -1 for NULL.
type arg int

const nullArg arg = -1

// newCArgs reserves room for size bytes of argument text (NUL bytes included).
func newCArgs(size int) *cArgs {
	return &cArgs{buf: make([]byte, 0, size)}
}

// str appends s (checked for NUL by the caller) and its terminating NUL.
func (a *cArgs) str(s string) arg {
	off := len(a.buf)
	a.buf = append(a.buf, s...)
	a.buf = append(a.buf, 0)
	return arg(off)
}

// bytes appends p and a NUL; a nil p is NULL (so the library reports the missing value).
func (a *cArgs) bytes(p []byte) arg {
	if p == nil {
		return nullArg
	}
	off := len(a.buf)
	a.buf = append(a.buf, p...)
	a.buf = append(a.buf, 0)
	return arg(off)
}

// ptr is the C view of an argument. Call it only after the last str/bytes of this cArgs
// (an append may move the buffer).
func (a *cArgs) ptr(x arg) *C.char {
	if x == nullArg {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&a.buf[x]))
}

// free zeroizes the buffer when it holds a secret; call it once the C call has returned.
func (a *cArgs) free() {
	if a.secret {
		clear(a.buf[:cap(a.buf)])
	}
	runtime.KeepAlive(a.buf)
}

// checkText refuses a Go string that cannot cross as a C string.
func checkText(name, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return argError(name, fmt.Sprintf("contains U+0000 (a NUL byte, at byte %d), which cannot cross the C ABI", i))
	}
	return nil
}

// checkBytes is checkText for key material: it never quotes the bytes.
func checkBytes(name string, p []byte) error {
	for i, b := range p {
		if b == 0 {
			return argError(name, fmt.Sprintf("contains a NUL byte (at byte %d), which cannot cross the C ABI", i))
		}
	}
	return nil
}

// goString copies a library-owned string of n bytes (it may hold U+0000) into Go memory;
// NULL is "".
func goString(p *C.char, n C.size_t) string {
	if p == nil {
		return ""
	}
	return C.GoStringN(p, C.int(n))
}

// takeString copies a string the library allocated and frees it (layer_string_free zeroizes
// it first).
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
