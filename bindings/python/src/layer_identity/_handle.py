"""Ownership of one native handle (``LayerSigner *``, ``LayerVerifier *``).

The handles are immutable and thread-safe in the library, so any number of threads may be
inside calls on one handle at once; the only hazard is freeing it while a call runs. ``Handle``
counts the calls in flight: ``acquire()`` refuses once ``close()`` has begun, and ``close()``
waits for the count to reach zero before it frees the handle, exactly once. A
``weakref.finalize`` frees a handle that was never closed, when its ``Handle`` is collected
(a call in flight holds a reference, so that cannot happen during a call).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import NoReturn, TypeVar

from ._errors import ClosedError

__all__ = ["Handle", "NativeObject"]

_T = TypeVar("_T", bound="NativeObject")


class Handle:
    __slots__ = ("__weakref__", "_calls", "_finalizer", "_idle", "_kind", "_lock", "_pointer")

    def __init__(self, pointer: int, free: Callable[[int], None], kind: str) -> None:
        self._pointer: int | None = pointer
        self._kind = kind
        self._calls = 0
        # A plain lock for the per-call bookkeeping (cheap), and a condition on the same lock
        # for close() to wait on.
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._finalizer = weakref.finalize(self, free, pointer)
        # Not at interpreter exit: a daemon thread may still be inside a call then, and the
        # process is about to release everything anyway.
        self._finalizer.atexit = False

    @property
    def closed(self) -> bool:
        return self._pointer is None

    def acquire(self) -> int:
        """The pointer, for one call; pair with ``release()`` in a ``finally``."""
        with self._lock:
            pointer = self._pointer
            if pointer is None:
                raise ClosedError(f"operation on a closed {self._kind}")
            self._calls += 1
            return pointer

    def release(self) -> None:
        with self._lock:
            self._calls -= 1
            if self._calls == 0 and self._pointer is None:
                self._idle.notify_all()

    def close(self) -> None:
        """Frees the handle once every call in flight has returned. Idempotent and safe to
        call from several threads (all return after the handle is freed)."""
        with self._lock:
            self._pointer = None
            while self._calls:
                self._idle.wait()
            self._finalizer()  # runs `free` at most once, however often it is called


class NativeObject:
    """What the public classes that own a ``Handle`` (``Signer``, ``Verifier``) share: closing,
    the context manager, and being one object however often it is copied (they are immutable)
    and never pickled (they hold a native key)."""

    __slots__ = ("__weakref__", "_handle")

    _handle: Handle

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has been called."""
        return self._handle.closed

    def close(self) -> None:
        """Frees the native object (a signer's key is zeroized). Idempotent and thread-safe:
        waits for calls in flight on other threads to finish first."""
        self._handle.close()

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __copy__(self: _T) -> _T:
        return self

    def __deepcopy__(self: _T, memo: object) -> _T:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} holds a native key and cannot be pickled")

    def __repr__(self) -> str:
        return f"<layer_identity.{type(self).__name__}{' (closed)' if self.closed else ''}>"
