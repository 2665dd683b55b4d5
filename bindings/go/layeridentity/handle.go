//go:build cgo

package layeridentity

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// liveHandles counts the native handles created and not yet freed (the tests check that
// each is freed exactly once, by Close or by the finalizer).
var liveHandles atomic.Int64

// handle owns one native handle (a LayerSigner or a LayerVerifier). A Signer or Verifier
// holds a pointer to it, so every copy of the Go value shares it, and with it the closed
// state: closing one copy closes them all, and no copy can free the handle twice.
//
// Close never blocks: it marks the handle closed, and whoever finishes last frees it, Close
// itself when no call is in flight, else the last call in flight. Calls that start after
// Close get ErrClosed. The state is one atomic word: the number of calls in flight times 2,
// plus 1 once closed; the native handle is freed by whoever moves it to exactly 1 (closed,
// nothing in flight), which happens once.
//
// A finalizer closes a handle that the program forgot to close. Methods keep the handle
// reachable until their C call has returned (they call release afterwards), so the
// finalizer cannot run while C still uses the pointer.
type handle struct {
	state atomic.Uint64
	ptr   unsafe.Pointer
	free  func(unsafe.Pointer)
	freed atomic.Int32 // how many times the native handle was freed (the tests check: once)
}

const (
	handleClosed = 1
	handleCall   = 2
)

func newHandle(p unsafe.Pointer, free func(unsafe.Pointer)) *handle {
	h := &handle{ptr: p, free: free}
	liveHandles.Add(1)
	runtime.SetFinalizer(h, (*handle).close)
	return h
}

// acquire returns the native pointer for one call, which must call release when C is done
// with it; or ErrClosed (the handle is closed, or nil: the zero Signer or Verifier).
func (h *handle) acquire(op string) (unsafe.Pointer, error) {
	if h == nil {
		return nil, &closedError{op}
	}
	for {
		s := h.state.Load()
		if s&handleClosed != 0 {
			return nil, &closedError{op}
		}
		if h.state.CompareAndSwap(s, s+handleCall) {
			maybeGC() // the forced-GC build collects here: a handle left unreachable would show up as a crash
			return h.ptr, nil
		}
	}
}

// release ends a call; the last call after close frees the native handle.
func (h *handle) release() {
	if h.state.Add(^uint64(handleCall-1)) == handleClosed { // subtracts handleCall
		h.destroy()
	}
}

// close marks the handle closed (once; later calls do nothing) and frees the native handle
// unless calls are in flight, in which case the last of them frees it.
func (h *handle) close() {
	if h == nil {
		return
	}
	for {
		s := h.state.Load()
		if s&handleClosed != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|handleClosed) {
			if s == 0 {
				h.destroy()
			}
			return
		}
	}
}

func (h *handle) destroy() {
	runtime.SetFinalizer(h, nil)
	h.free(h.ptr)
	h.freed.Add(1)
	liveHandles.Add(-1)
}
