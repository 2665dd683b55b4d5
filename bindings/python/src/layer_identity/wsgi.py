"""The identity-token endpoint as a WSGI application (``tests/endpoint/README.md``).

``identity_token_app(signer, authenticate)`` answers ``POST /identity-token`` with
``{"identity_token": "..."}``, ``GET /healthz`` with ``{"status": "ok"}``, and every other
request with the contract's error. The contract itself (routes, content types, sizes, JSON and
form bodies, the field rules, what ``authenticate``'s result means) is the native library's:
this adapter moves bytes between the WSGI server and the library and calls ``authenticate``.

Mount it in any WSGI server or framework. The path it routes is the one it sees below its mount
point, so under Flask mount it with ``werkzeug.middleware.dispatcher.DispatcherMiddleware``; for
Django use ``layer_identity.django``.

Who the user is, is the application's business: ``authenticate(environ, fields)`` gets the WSGI
environ (headers, cookies, whatever the framework's middleware put there) and the validated
body ``Fields``, and returns the user ID (a non-empty ``str``, or an ``int``), or ``None`` when
the request is not authenticated (401); raising also answers 401 (and is logged); returning
anything else is the application's bug (500). ``demo_authenticate`` trusts the body's
``user_id``: for demos only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._exchange import (
    AUTHENTICATE,
    DEMO_WARNING,
    MAX_BODY_BYTES,
    READ_BODY,
    Exchange,
    Fields,
    demo_authenticate,
    status_line,
    target_below_mount,
)
from ._signer import Signer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "DEMO_WARNING",
    "MAX_BODY_BYTES",
    "Authenticate",
    "Fields",
    "demo_authenticate",
    "identity_token_app",
]

#: ``authenticate(environ, fields)`` -> a user ID (``str`` or ``int``), or ``None``.
Authenticate = Callable[[dict[str, Any], Fields], object]


def _latin1(environ: WSGIEnvironment, name: str) -> bytes | None:
    """A CGI variable back to the bytes received (PEP 3333: str decoded as Latin-1); an empty
    value counts as absent, as PEP 3333 says of CONTENT_TYPE and CONTENT_LENGTH."""
    value = environ.get(name)
    return value.encode("latin-1") if isinstance(value, str) and value else None


def request_target(environ: WSGIEnvironment) -> bytes:
    """The request target below the mount point, as received when the server says what it
    received (``RAW_URI``: gunicorn, Werkzeug; ``REQUEST_URI``: uWSGI, Werkzeug), else rebuilt
    from ``PATH_INFO`` and ``QUERY_STRING``, which servers give percent-decoded."""
    return target_below_mount(
        _latin1(environ, "RAW_URI") or _latin1(environ, "REQUEST_URI"),
        _latin1(environ, "SCRIPT_NAME") or b"",
        _latin1(environ, "PATH_INFO") or b"",
        _latin1(environ, "QUERY_STRING"),
    )


def read_body(environ: WSGIEnvironment) -> bytes:
    """The body, up to one byte more than the endpoint takes. The library has already
    accepted ``CONTENT_LENGTH`` (ASCII digits); without one, the body is read to its end only
    when the server marks the input as terminated (a chunked body it decoded)."""
    stream = environ["wsgi.input"]
    limit = MAX_BODY_BYTES + 1
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        # lstrip: leading zeros are allowed, and int() refuses more than 4300 digits.
        limit = min(limit, int(declared.lstrip("0") or "0"))
    elif not environ.get("wsgi.input_terminated"):
        return b""  # PEP 3333: no length and no terminated input means no body
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def identity_token_app(signer: Signer, authenticate: Authenticate) -> WSGIApplication:
    """The identity-token endpoint as a WSGI application.

    Args:
        signer: signs every token (created once, at start-up; it is thread-safe).
        authenticate: ``authenticate(environ, fields)``: the user ID of the request's user (a
            non-empty ``str``, or an ``int``) for a token; ``None`` (or ``""``) when the
            request is not authenticated (401); raising also answers 401, and is logged;
            anything else is answered 500 (the application's bug), and logged.
    """
    if not isinstance(signer, Signer):
        raise TypeError(f"signer must be a layer_identity.Signer, not {type(signer).__name__}")
    if not callable(authenticate):
        raise TypeError("authenticate must be callable: (environ, fields) -> user ID or None")
    if inspect.iscoroutinefunction(authenticate):
        raise TypeError(
            "authenticate is a coroutine function, which a WSGI server cannot await: "
            "serve layer_identity.asgi.identity_token_app with an ASGI server instead"
        )

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        with Exchange(
            _latin1(environ, "REQUEST_METHOD") or b"",
            request_target(environ),
            _latin1(environ, "CONTENT_TYPE"),
            _latin1(environ, "CONTENT_LENGTH"),
        ) as exchange:
            try:
                if exchange.step == READ_BODY:
                    exchange.put_body(read_body(environ))
                if exchange.step == AUTHENTICATE:
                    fields = exchange.fields()
                    try:
                        user = authenticate(environ, fields)
                    except Exception as failure:
                        exchange.failed(failure)
                    else:
                        exchange.finish(signer, user)
            except Exception as failure:  # the adapter's own failure (a broken input stream)
                exchange.fail(f"{type(failure).__name__}: {failure}")
            answer = exchange.answer()
        # A WSGI application may not send hop-by-hop headers (PEP 3333): Connection and the
        # framing are the server's. A server that keeps the connection skips what is left of
        # the body.
        start_response(
            status_line(answer.status),
            [(name, value) for name, value in answer.headers if name != "Connection"],
        )
        return [answer.body] if answer.body else []

    return application
