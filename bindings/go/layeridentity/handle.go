package layeridentity

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// liveHandles counts the native handles created and not yet freed (the tests check that
// each is freed exactly once, by Close or by the finalizer).
var liveHandles atomic.Int64

// handle owns one native handle (a LayerSigner or a LayerVerifier) for a Go value.
//
// Calls hold the read lock for as long as C uses the pointer, so any number of goroutines can
// use the handle at once; close takes the write lock, so it waits for calls in flight and
// frees the pointer exactly once. A call after close finds nil and returns an error instead
// of passing a dangling pointer to C. The owner also sets a finalizer that calls close, in
// case the program forgets to; the owner's methods end with runtime.KeepAlive so that the
// finalizer cannot run while C still uses the pointer.
type handle struct {
	mu  sync.RWMutex
	ptr unsafe.Pointer // nil once closed
}

func newHandle(p unsafe.Pointer) handle {
	liveHandles.Add(1)
	return handle{ptr: p}
}

// acquire returns the pointer with the read lock held (release it with h.mu.RUnlock), or
// ErrClosed without it.
func (h *handle) acquire(op string) (unsafe.Pointer, error) {
	h.mu.RLock()
	p := h.ptr
	if p == nil {
		h.mu.RUnlock()
		return nil, &closedError{op}
	}
	maybeGC() // the forced-GC build collects here: a missing KeepAlive would show up as a crash
	return p, nil
}

// take clears the pointer, after the calls in flight, and returns it (nil if already closed).
func (h *handle) take() unsafe.Pointer {
	h.mu.Lock()
	p := h.ptr
	h.ptr = nil
	h.mu.Unlock()
	if p != nil {
		liveHandles.Add(-1)
	}
	return p
}
