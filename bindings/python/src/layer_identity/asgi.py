"""The identity-token endpoint as an ASGI application: uvicorn, hypercorn, FastAPI, Starlette.

The same contract as ``layer_identity.wsgi`` (``tests/endpoint/README.md``), implemented by
the native library: this adapter moves bytes between the ASGI server and the library and calls
``authenticate``. Nothing blocks the event loop: signing, and an ``authenticate`` that is a
plain function, run in the loop's default executor (a thread pool; the library releases the
GIL), and an ``authenticate`` that is a coroutine function is awaited on the loop.

Mount it, e.g. ``app.mount("/layer", identity_token_app(signer, authenticate))`` in FastAPI
or Starlette; it routes the path below its mount point (``root_path``).

``authenticate(scope, fields)`` gets the ASGI scope (headers, and whatever middleware put there:
``scope["session"]`` with Starlette's ``SessionMiddleware``, ``scope["user"]`` with its
``AuthenticationMiddleware``; ``starlette.requests.Request(scope)`` reads them) and the
validated body ``Fields``, and returns the user ID (a non-empty ``str``, or an ``int``), or
``None`` (401); raising also answers 401, and is logged; anything else is answered 500.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._exchange import (
    AUTHENTICATE,
    DEMO_WARNING,
    MAX_BODY_BYTES,
    READ_BODY,
    Exchange,
    Fields,
    demo_authenticate,
    in_executor,
    target_below_mount,
)
from ._signer import Signer

__all__ = [
    "DEMO_WARNING",
    "ASGIApp",
    "Authenticate",
    "Fields",
    "demo_authenticate",
    "identity_token_app",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: An ASGI 3 application.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: ``authenticate(scope, fields)`` -> a user ID (``str`` or ``int``) or ``None``, or an
#: awaitable of one (a coroutine function is awaited on the event loop).
Authenticate = Callable[[Scope, Fields], object]


class _ClientGoneError(Exception):
    """The client went away before its body arrived: nothing to answer."""


def _is_async(function: object) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004  (an object with async __call__)
    )


def _head(scope: Scope) -> tuple[bytes, bytes, bytes | None, bytes | None]:
    """(method, target below the mount point, Content-Type, Content-Length) as received.
    A header given more than once is joined with ", ", as HTTP combines field lines (the
    library then refuses such a Content-Type or Content-Length)."""
    content_type: bytes | None = None
    content_length: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value if content_type is None else content_type + b", " + value
        elif name == b"content-length":
            content_length = value if content_length is None else content_length + b", " + value
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):  # ASGI's path includes root_path (Starlette >= 0.33)
        path = path[len(root) :]
    raw_path = scope.get("raw_path")
    query = scope.get("query_string") or None
    raw = None if raw_path is None else raw_path + (b"?" + query if query else b"")
    target = target_below_mount(raw, root.encode("utf-8"), path.encode("utf-8"), query)
    return scope["method"].encode("ascii"), target, content_type, content_length


async def _read_body(receive: Receive) -> bytes:
    """The body, up to one byte more than the endpoint takes."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGoneError
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)[: MAX_BODY_BYTES + 1]


def _authenticate_and_finish(
    exchange: Exchange, signer: Signer, authenticate: Authenticate, scope: Scope, fields: Fields
) -> object:
    """A plain ``authenticate``, then the signature (in an executor thread, or on the loop
    with ``offload=False``). Returns an awaitable that ``authenticate`` returned, for the
    loop to await, else ``None``."""
    try:
        user = authenticate(scope, fields)
    except Exception as failure:
        exchange.failed(failure)
        return None
    # The usual results first: inspect.isawaitable is an ABC check, dearer than the signature's
    # hand-over on a busy loop.
    if not isinstance(user, (str, int, type(None))) and inspect.isawaitable(user):
        return user
    exchange.finish(signer, user)
    return None


def identity_token_app(
    signer: Signer, authenticate: Authenticate, *, offload: bool = True
) -> ASGIApp:
    """The identity-token endpoint as an ASGI 3 application.

    Args:
        signer: signs every token (created once, at start-up; it is thread-safe).
        authenticate: ``authenticate(scope, fields)``, a plain or a coroutine function: the
            user ID of the request's user (a non-empty ``str``, or an ``int``) for a token;
            ``None`` (or ``""``) when the request is not authenticated (401); raising also
            answers 401, and is logged; anything else is answered 500, and logged.
        offload: run the signature, and a plain ``authenticate``, in the loop's default
            executor (the default), so that the event loop never waits for them. ``False``
            runs them on the loop's own thread, which saves the hand-over to a thread and back
            per request: only for a server with one process per core whose loop serves
            nothing but this endpoint, like the sample backend.
    """
    if not isinstance(signer, Signer):
        raise TypeError(f"signer must be a layer_identity.Signer, not {type(signer).__name__}")
    if not callable(authenticate):
        raise TypeError("authenticate must be callable: (scope, fields) -> user ID or None")
    awaited = _is_async(authenticate)

    async def run(exchange: Exchange, scope: Scope, receive: Receive) -> None:
        """Takes the exchange to its answer. The exchange is used by one thread at a time:
        this coroutine, or the executor job it awaits."""
        if exchange.step == READ_BODY:
            exchange.put_body(await _read_body(receive))
        if exchange.step != AUTHENTICATE:
            return
        fields = exchange.fields()
        user: object
        if awaited:
            coroutine: Awaitable[object] = authenticate(scope, fields)  # type: ignore[assignment]
        else:
            if offload:
                job = functools.partial(
                    _authenticate_and_finish, exchange, signer, authenticate, scope, fields
                )
                pending = await in_executor(job, exchange)
            else:
                pending = _authenticate_and_finish(exchange, signer, authenticate, scope, fields)
            if pending is None:
                return
            coroutine = pending  # type: ignore[assignment]
        try:
            user = await coroutine
        except Exception as failure:
            exchange.failed(failure)
            return
        if offload:
            await in_executor(functools.partial(exchange.finish, signer, user), exchange)
        else:
            exchange.finish(signer, user)

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"the identity-token endpoint serves HTTP, not {scope['type']!r}")
        exchange = Exchange(*_head(scope))
        try:
            try:
                await run(exchange, scope, receive)
            except _ClientGoneError:
                return
            except Exception as failure:  # the adapter's own failure
                exchange.fail(f"{type(failure).__name__}: {failure}")
            answer = exchange.answer()
        except BaseException:
            if not exchange.in_thread:
                exchange.close()
            raise
        exchange.close()
        headers = [
            (name.lower().encode("ascii"), value.encode("ascii")) for name, value in answer.headers
        ]
        if scope["method"] != "HEAD":
            headers.append((b"content-length", str(len(answer.body)).encode("ascii")))
        # Connection: close is the library's when the body was left unread; ASGI servers
        # (uvicorn, hypercorn) close the connection after an answer that says so.
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    return application


async def _lifespan(receive: Receive, send: Send) -> None:
    """Served on its own (``uvicorn module:app``), the app has nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
