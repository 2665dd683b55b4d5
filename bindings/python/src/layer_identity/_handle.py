"""Ownership of one native handle (``LayerSigner *``, ``LayerVerifier *``).

The handles are immutable and thread-safe in the library, so any number of threads may be
inside calls on one handle at once; the only hazard is freeing it while a call runs. ``Handle``
counts the calls in flight: ``acquire()`` refuses once ``close()`` has been called, and the
handle is freed, exactly once, by whichever comes last: ``close()`` itself when no call is in
flight, else the ``release()`` of the last call. So ``close()`` never blocks. A
``weakref.finalize`` frees a handle that was never closed, when its ``Handle`` is collected (a
call in flight holds a reference, so that cannot happen during a call).

The calls in flight are the entries of a ``deque``, whose ``append`` and ``pop`` are atomic:
no lock on the path of every call (a lock pair cost more than the rest of the bookkeeping).
Ordering makes it safe: ``acquire`` appends *before* it reads ``closed``, and ``close`` sets
``closed`` *before* it counts the entries, so a call that saw ``closed`` false is counted by
every later check, and the handle is freed only once ``closed`` is set and no entry is left.
Freeing twice cannot happen: the finalizer runs its function at most once.

After ``fork()`` only the forking thread exists in the child: calls that other threads had in
flight will never return there. The child therefore starts every handle with no call in flight
(``os.register_at_fork``), and frees at once one that was closed while they ran.
"""

from __future__ import annotations

import collections
import os
import weakref
from collections.abc import Callable
from typing import NoReturn, TypeVar

from ._errors import ClosedError

__all__ = ["Handle", "NativeObject"]

_T = TypeVar("_T", bound="NativeObject")


class Handle:
    __slots__ = ("__weakref__", "_calls", "_closed", "_finalizer", "_kind", "_pointer")

    def __init__(self, pointer: int, free: Callable[[int], None], kind: str) -> None:
        self._pointer = pointer
        self._kind = kind
        self._calls: collections.deque[None] = collections.deque()
        self._closed = False
        self._finalizer = weakref.finalize(self, free, pointer)
        # Not at interpreter exit: a daemon thread may still be inside a call then, and the
        # process is about to release everything anyway.
        self._finalizer.atexit = False
        _LIVE.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def acquire(self) -> int:
        """The pointer, for one call; pair with ``release()`` in a ``finally``."""
        self._calls.append(None)
        if self._closed:
            self.release()
            raise ClosedError(f"operation on a closed {self._kind}")
        return self._pointer

    def release(self) -> None:
        calls = self._calls
        calls.pop()
        if self._closed and not calls:
            self._finalizer()  # runs `free` at most once, however often it is called

    def close(self) -> None:
        """Refuses new calls at once, and frees the handle now or when the last call in flight
        returns. Idempotent, thread-safe, never blocks."""
        self._closed = True
        if not self._calls:
            self._finalizer()

    def _after_fork_in_child(self) -> None:
        self._calls.clear()
        if self._closed:
            self._finalizer()  # closed while other threads' calls were in flight


_LIVE: weakref.WeakSet[Handle] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for handle in list(_LIVE):
        handle._after_fork_in_child()


os.register_at_fork(after_in_child=_reset_after_fork)


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
        """Frees the native object (a signer's key is zeroized). Idempotent, thread-safe and
        never blocks: calls in flight on other threads finish first, and the last one frees
        it; calls made after ``close()`` raise ``ClosedError``."""
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
