"""The identity-token endpoint as a WSGI application (``tests/endpoint/README.md``).

``identity_token_app(signer, authenticate)`` answers ``POST /identity-token`` with
``{"identity_token": "..."}`` and ``GET /healthz`` with ``{"status": "ok"}``, and every other
request with the contract's error. Mount it in any WSGI server or framework; the paths are
those the application sees (``PATH_INFO``), so under Flask or Django mount it with a prefix
(``werkzeug.middleware.dispatcher.DispatcherMiddleware``, or a Django URL that delegates).

Who the user is, is the application's business: ``authenticate(request)`` gets an
``IdentityRequest`` (the WSGI ``environ``, with the headers and cookies, and the parsed body
fields) and returns the user ID, or ``None`` (or raises) when the request is not
authenticated. ``demo_authenticate`` trusts the body's ``user_id``: for demos only.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

from ._errors import InvalidArgumentError
from ._signer import Signer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "DEMO_WARNING",
    "MAX_BODY_BYTES",
    "MAX_FIELD_BYTES",
    "Authenticate",
    "FieldError",
    "IdentityRequest",
    "demo_authenticate",
    "identity_token_app",
]

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 65536
#: The largest field value accepted, in UTF-8 bytes.
MAX_FIELD_BYTES = 2048
#: Nesting deeper than this in a JSON body is refused (the top-level object is depth 1).
MAX_JSON_DEPTH = 64
#: The line a server using ``demo_authenticate`` prints at start-up (on stderr).
DEMO_WARNING = (
    "WARNING: demo authenticator: trusting user_id from the request body; replace it with "
    "your own session check"
)

_LOG = logging.getLogger("layer_identity.wsgi")
_ATTRIBUTES = ("first_name", "last_name", "display_name", "avatar_url")
_CHECKED = ("nonce", *_ATTRIBUTES)  # in the contract's order; user_id is authenticate's
_KNOWN = frozenset((*_CHECKED, "user_id"))
_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class FieldError(Exception):
    """A request field is missing or invalid: ``400`` with ``code`` (``missing_field`` or
    ``invalid_field``) and ``message``, which names the field. ``authenticate`` may raise it
    for a field of its own (the demo does, for ``user_id``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text_field(name: str, values: list[object], *, required: bool) -> str | None:
    """A field's value by the contract's rules, or ``None`` when an optional field is absent
    (or JSON ``null``)."""
    if not values:
        if required:
            raise FieldError("missing_field", f"{name} is required")
        return None
    if len(values) > 1:
        raise FieldError("invalid_field", f"{name} is given more than once")
    value = values[0]
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise FieldError("invalid_field", f"{name} must be a non-empty string")
    if "\0" in value:
        raise FieldError("invalid_field", f"{name} must not contain U+0000")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise FieldError("invalid_field", f"{name} must be valid Unicode") from None
    if size > MAX_FIELD_BYTES:
        raise FieldError("invalid_field", f"{name} must be at most {MAX_FIELD_BYTES} bytes")
    return value


@dataclass(frozen=True)
class IdentityRequest:
    """What ``authenticate`` gets.

    Attributes:
        environ: the WSGI environment (headers as ``HTTP_*``, ``REMOTE_ADDR``, ...).
        fields: the body's known fields (``nonce``, the four attributes, ``user_id``), each
            with the list of every value given (more than one only when a field is
            repeated): ``str`` from a form body; from a JSON body ``str``, ``None`` or
            ``bool``, and an opaque placeholder for a number, array or object. ``nonce`` and
            the attributes have passed the contract's checks; ``user_id`` has not:
            ``text_field("user_id")`` checks it by the same rules.
    """

    environ: Mapping[str, Any] = field(repr=False)
    fields: Mapping[str, list[object]]

    def header(self, name: str) -> str | None:
        """A request header by name (case-insensitive), or ``None``."""
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            value = self.environ.get(key)
        else:
            value = self.environ.get("HTTP_" + key)
        return value if isinstance(value, str) else None

    @property
    def cookies(self) -> dict[str, str]:
        """The request's cookies by name (empty when the header is absent or malformed)."""
        cookie = SimpleCookie()
        try:
            cookie.load(self.header("Cookie") or "")
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in cookie.items()}

    def text_field(self, name: str) -> str:
        """The body field ``name``, required, checked by the contract's rules (a non-empty
        string of at most 2048 UTF-8 bytes, without U+0000, given once); raises
        ``FieldError`` otherwise."""
        value = _text_field(name, list(self.fields.get(name, ())), required=True)
        assert value is not None  # required
        return value


#: ``authenticate``: the user ID of an authenticated request, else ``None`` (or raise).
Authenticate = Callable[[IdentityRequest], str | None]


def demo_authenticate(request: IdentityRequest) -> str:
    """Trusts the body's ``user_id`` (checked like the other fields): ANY client can get a
    token for ANY user. For demos and tests only; print ``DEMO_WARNING`` when you use it."""
    return request.text_field("user_id")


class _BodyError(Exception):
    """The body cannot be parsed: ``400 invalid_json``."""


class _Object(list):  # type: ignore[type-arg]
    """A JSON object as its (name, value) pairs, so repeated members stay visible."""


class _Number:
    """A JSON number, never converted (unknown members may hold any number, e.g. 1e400)."""

    __slots__ = ()

    def __init__(self, text: str) -> None:
        pass


def _reject_constant(name: str) -> object:
    raise _BodyError("the body is not valid JSON")  # NaN, Infinity, -Infinity


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _BodyError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
        else:
            depth -= 1


def _parse_json(body: bytes) -> list[tuple[str, object]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _BodyError("the body is not valid UTF-8") from None
    if text.startswith("\ufeff"):
        raise _BodyError("the body is not valid JSON (it starts with a byte order mark)")
    _check_depth(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_Object,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):  # RecursionError: cannot happen past _check_depth
        raise _BodyError("the body is not valid JSON") from None
    if not isinstance(value, _Object):
        raise _BodyError("the body must be a JSON object")
    return list(value)


def _form_text(raw: bytes) -> str:
    raw = raw.replace(b"+", b" ")
    if _BAD_PERCENT.search(raw):
        raise _BodyError("the body is not valid form data")
    try:
        return urllib.parse.unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _BodyError("the body is not valid UTF-8") from None


def _parse_form(body: bytes) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for piece in body.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((_form_text(name), _form_text(value)))
    return pairs


def _body_kind(content_type: str) -> str | None:
    """``"json"``, ``"form"``, or ``None`` for a Content-Type the endpoint does not take."""
    media, *parameters = content_type.split(";")
    media = media.strip().lower()
    if media not in _MEDIA_TYPES:
        return None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value.lower() != "utf-8":
                return None
    return "json" if media == "application/json" else "form"


class _HttpError(Exception):
    """Raised inside the application to answer with an error at once."""

    def __init__(self, status: str, code: str, message: str, *headers: tuple[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.document = {"error": {"code": code, "message": message}}
        self.headers = list(headers)


_NOT_FOUND = ("404 Not Found", "not_found", "not found")
_UNAUTHENTICATED = ("401 Unauthorized", "unauthenticated", "authentication required")
_SERVER_ERROR = ("500 Internal Server Error", "server_error", "could not create the identity token")


def _read_body(environ: WSGIEnvironment) -> bytes:
    """The request body, at most MAX_BODY_BYTES (a longer declared length is refused unread)."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH", "")
    if declared:
        if not declared.isdigit():
            raise _HttpError(
                "400 Bad Request", "invalid_json", "the Content-Length is not a number"
            )
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise _HttpError(
                "413 Content Too Large",
                "body_too_large",
                f"the body is larger than {MAX_BODY_BYTES} bytes",
            )
        body: bytes = stream.read(length) if length else b""
        return body
    if not environ.get("wsgi.input_terminated"):
        return b""  # WSGI: no Content-Length and no terminated input means no body
    body = stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise _HttpError(
            "413 Content Too Large",
            "body_too_large",
            f"the body is larger than {MAX_BODY_BYTES} bytes",
        )
    return body


def identity_token_app(signer: Signer, authenticate: Authenticate) -> WSGIApplication:
    """The identity-token endpoint as a WSGI application.

    Args:
        signer: signs every token (created once, at start-up; it is thread-safe).
        authenticate: the user ID of the request's user (the application's own session
            check), or ``None`` when the request is not authenticated; raising also answers
            ``401`` (logged), except ``FieldError``, which answers ``400``.
    """
    if not isinstance(signer, Signer):
        raise TypeError(f"signer must be a layer_identity.Signer, not {type(signer).__name__}")
    if not callable(authenticate):
        raise TypeError("authenticate must be callable (IdentityRequest -> user ID or None)")

    def token(environ: WSGIEnvironment) -> str:
        kind = _body_kind(environ.get("CONTENT_TYPE", ""))
        if kind is None:
            raise _HttpError(
                "415 Unsupported Media Type",
                "unsupported_media_type",
                "Content-Type must be application/json or application/x-www-form-urlencoded "
                "(charset utf-8)",
            )
        body = _read_body(environ)
        try:
            pairs = _parse_json(body) if kind == "json" else _parse_form(body)
        except _BodyError as failure:
            raise _HttpError("400 Bad Request", "invalid_json", str(failure)) from None
        fields: dict[str, list[object]] = {}
        for name, value in pairs:
            if name in _KNOWN:
                fields.setdefault(name, []).append(value)
        try:
            nonce, first, last, display, avatar = (
                _text_field(name, fields.get(name, []), required=name == "nonce")
                for name in _CHECKED
            )
        except FieldError as failure:
            raise _HttpError("400 Bad Request", failure.code, failure.message) from None
        try:
            user_id = authenticate(IdentityRequest(environ, fields))
        except FieldError as failure:
            raise _HttpError("400 Bad Request", failure.code, failure.message) from None
        except Exception:
            _LOG.warning("authenticate raised: the request is not authenticated", exc_info=True)
            raise _HttpError(*_UNAUTHENTICATED) from None
        if user_id is None:
            raise _HttpError(*_UNAUTHENTICATED)
        if not isinstance(user_id, str) or not user_id:
            _LOG.error("authenticate returned %r: a user ID must be a non-empty str", user_id)
            raise _HttpError(*_SERVER_ERROR)
        assert nonce is not None  # required
        try:
            return signer.sign(
                user_id,
                nonce,
                first_name=first,
                last_name=last,
                display_name=display,
                avatar_url=avatar,
            )
        except InvalidArgumentError as failure:
            # The library refuses the client's input (a token over 16 KiB, say).
            raise _HttpError("400 Bad Request", "invalid_field", failure.message) from None
        except Exception:
            _LOG.exception("could not create the identity token")
            raise _HttpError(*_SERVER_ERROR) from None

    def answer(environ: WSGIEnvironment) -> dict[str, str]:
        """The document of a 200 answer; raises _HttpError for any other."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path == "/identity-token":
            if method != "POST":
                raise _HttpError(
                    "405 Method Not Allowed", "method_not_allowed", "use POST", ("Allow", "POST")
                )
            return {"identity_token": token(environ)}
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                raise _HttpError(
                    "405 Method Not Allowed",
                    "method_not_allowed",
                    "use GET or HEAD",
                    ("Allow", "GET, HEAD"),
                )
            return {"status": "ok"}
        raise _HttpError(*_NOT_FOUND)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        status, headers = "200 OK", []
        document: object
        try:
            document = answer(environ)
        except _HttpError as error:
            status, document, headers = error.status, error.document, error.headers
        body = json.dumps(document, separators=(",", ":")).encode("ascii")
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Cache-Control", "no-store"),
                ("Content-Length", str(len(body))),
                *headers,
            ],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    return application
