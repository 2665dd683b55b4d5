"""The identity-token endpoint as a Django view, under WSGI and ASGI Django alike.

In ``urls.py``::

    from django.urls import include, path
    from layer_identity.django import identity_token_urls

    urlpatterns = [
        path("layer/", include(identity_token_urls(signer))),  # POST /layer/identity-token
    ]

The view answers every path below its mount point by the endpoint's contract (so
``GET /layer/healthz`` is the health check, and ``/layer/anything-else`` the contract's JSON
404), implemented by the native library: the view moves bytes and calls ``authenticate``.

- It is **CSRF-exempt**: the Layer client SDK's app posts the nonce as JSON without Django's
  CSRF token. That is safe because the token is minted for the user ``authenticate`` names,
  and a cross-site form cannot read the answer; if you authenticate by session cookie, keep
  ``SESSION_COOKIE_SAMESITE`` at ``"Lax"`` (Django's default) or stricter.
- By default ``authenticate`` is ``django_user``: ``request.user``'s primary key when the user is
  authenticated (an ``int`` primary key is written in decimal), else ``None`` (401). It needs
  ``django.contrib.auth``'s ``AuthenticationMiddleware``. Pass your own ``authenticate(request,
  fields)``, a plain function (run with ``sync_to_async``, so the ORM works) or a coroutine
  function, to return another user ID (``request.user.email``, say).
- It is an ``async`` view: under ASGI it never blocks the event loop (signing runs in the
  loop's executor); under WSGI Django runs it to completion on the request's thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt

from ._exchange import (
    AUTHENTICATE,
    DEMO_WARNING,
    MAX_BODY_BYTES,
    READ_BODY,
    Exchange,
    Fields,
    demo_authenticate,
    in_executor,
)
from ._signer import Signer

__all__ = [
    "DEMO_WARNING",
    "Authenticate",
    "Fields",
    "demo_authenticate",
    "django_user",
    "identity_token_urls",
    "identity_token_view",
]

#: ``authenticate(request, fields)`` -> a user ID (``str`` or ``int``) or ``None``, or an
#: awaitable of one.
Authenticate = Callable[[HttpRequest, Fields], object]


async def django_user(request: HttpRequest, fields: Fields) -> object:
    """``request.user``'s primary key when the user is authenticated, else ``None``."""
    user = await request.auser()  # AuthenticationMiddleware's
    return user.pk if user.is_authenticated else None


def _header(request: HttpRequest, name: str) -> bytes | None:
    """A CGI variable of ``request.META`` back to its bytes; absent or empty is ``None``."""
    value = request.META.get(name)
    return value.encode("latin-1") if isinstance(value, str) and value else None


def identity_token_view(
    signer: Signer, authenticate: Authenticate = django_user
) -> Callable[..., Any]:
    """The endpoint as one async, CSRF-exempt Django view. Route every path below a prefix to
    it with a ``path`` argument holding the rest of the path (``identity_token_urls`` does)."""
    if not isinstance(signer, Signer):
        raise TypeError(f"signer must be a layer_identity.Signer, not {type(signer).__name__}")
    if not callable(authenticate):
        raise TypeError("authenticate must be callable: (request, fields) -> user ID or None")
    call = (
        authenticate
        if inspect.iscoroutinefunction(authenticate)
        else sync_to_async(authenticate, thread_sensitive=True)
    )

    async def run(exchange: Exchange, request: HttpRequest) -> None:
        if exchange.step == READ_BODY:
            exchange.put_body(request.read(MAX_BODY_BYTES + 1))
        if exchange.step != AUTHENTICATE:
            return
        fields = exchange.fields()
        try:
            user = await call(request, fields)
        except Exception as failure:
            exchange.failed(failure)
            return
        await in_executor(lambda: exchange.finish(signer, user), exchange)

    async def view(request: HttpRequest, path: str = "") -> HttpResponse:
        query = _header(request, "QUERY_STRING")
        exchange = Exchange(
            (request.method or "").encode("ascii"),
            b"/" + path.encode("utf-8") + (b"?" + query if query else b""),
            _header(request, "CONTENT_TYPE"),
            _header(request, "CONTENT_LENGTH"),
        )
        try:
            try:
                await run(exchange, request)
            except Exception as failure:  # the view's own failure
                exchange.fail(f"{type(failure).__name__}: {failure}")
            answer = exchange.answer()
        finally:
            if not exchange.in_thread:
                exchange.close()
        response = HttpResponse(answer.body, status=answer.status, content_type=None)
        for name, value in answer.headers:
            # Under WSGI, Connection is the server's (PEP 3333 forbids it to applications);
            # ASGI servers close the connection after an answer that says so.
            if name != "Connection" or hasattr(request, "scope"):
                response[name] = value
        return response

    exempt: Callable[..., Any] = csrf_exempt(view)
    return exempt


def identity_token_urls(
    signer: Signer, authenticate: Authenticate = django_user
) -> list[URLPattern]:
    """URL patterns for ``include()``: every path below the prefix goes to the endpoint."""
    return [re_path(r"^(?P<path>.*)\Z", identity_token_view(signer, authenticate))]
