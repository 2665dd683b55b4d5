"""One HTTP request through the identity-token endpoint, on the library's ``LayerExchange``.

The library implements the whole HTTP contract (``tests/endpoint/README.md``) without I/O:
routing, content type, size, JSON and form parsing, the field rules, what ``authenticate``'s
result means, signing, the answer. ``Exchange`` is its Python face, used by every adapter
(WSGI, ASGI, Django): the adapter gives it the request head and body as bytes, calls the
application's ``authenticate`` with the fields it hands out, and writes the answer it gets.
Nothing here parses or decides; ``outcome()`` only sorts a Python value into the four outcomes
of the contract (a user ID, nothing, a failure, something else).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import urllib.parse
from collections.abc import Awaitable, Callable
from ctypes import addressof, c_size_t, c_void_p, sizeof, string_at
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn

from ._args import encode
from ._errors import ClosedError, raise_error
from ._library import (
    ENDPOINT_MAX_BODY_BYTES,
    EXCHANGE_MAX_HEADERS,
    FIELD_COUNT,
    lib,
)
from ._signer import Signer

__all__ = [
    "DEMO_WARNING",
    "MAX_BODY_BYTES",
    "Answer",
    "AsyncAuthenticate",
    "Authenticate",
    "Exchange",
    "Fields",
    "demo_authenticate",
]

#: The most body bytes the endpoint takes; an adapter reads at most one byte more.
MAX_BODY_BYTES = ENDPOINT_MAX_BODY_BYTES
#: The line a server using ``demo_authenticate`` prints at start-up (on stderr).
DEMO_WARNING = (
    "WARNING: demo authenticator: trusting user_id from the request body; replace it with "
    "your own session check"
)

LOG = logging.getLogger("layer_identity")

# LayerExchangeStep, LayerAuthOutcome.
READ_BODY, AUTHENTICATE, RESPOND = 1, 2, 3
_USER, _NONE, _FAILED, _NOT_A_USER_ID = 1, 2, 3, 4


@dataclass(frozen=True, init=False)
class Fields:
    """The request body's fields, as the library validated them (the contract's rules:
    non-empty, at most 2048 bytes, no U+0000, valid Unicode, given once).

    Attributes:
        nonce: the nonce from the Layer client SDK.
        first_name, last_name, display_name, avatar_url: the identity attributes the token
            will carry, ``None`` when absent.
        user_id: the body's ``user_id`` when it passes the same rules, else ``None``. Only a
            demo trusts it (``demo_authenticate``): any client can write any user ID here.
    """

    nonce: str
    first_name: str | None
    last_name: str | None
    display_name: str | None
    avatar_url: str | None
    user_id: str | None
    _exchange: Exchange = field(repr=False, compare=False)

    def __init__(
        self,
        nonce: str,
        first_name: str | None,
        last_name: str | None,
        display_name: str | None,
        avatar_url: str | None,
        user_id: str | None,
        _exchange: Exchange,
    ) -> None:
        # Once per request: the generated __init__ of a frozen dataclass sets each attribute
        # through object.__setattr__, which costs twice as much (callgrind).
        self.__dict__.update(
            nonce=nonce,
            first_name=first_name,
            last_name=last_name,
            display_name=display_name,
            avatar_url=avatar_url,
            user_id=user_id,
            _exchange=_exchange,
        )


#: ``authenticate(request, fields)``: the user ID of the request's user (a non-empty ``str``,
#: or an ``int``), or ``None`` when the request is not authenticated. ``request`` is the
#: framework's own request object: the WSGI environ, the ASGI scope, Django's ``HttpRequest``.
Authenticate = Callable[[Any, Fields], object]
#: The same, for the ASGI app and the Django view: it may also be a coroutine function.
AsyncAuthenticate = Callable[[Any, Fields], object | Awaitable[object]]


def demo_authenticate(request: object, fields: Fields) -> str:
    """Trusts the body's ``user_id``, checked by the field rules: ANY client can get a token
    for ANY user. For demos and tests only; print ``DEMO_WARNING`` when you use it.

    Raises ``InvalidArgumentError`` when ``user_id`` is missing or breaks a rule; the endpoint
    then answers the contract's ``400 missing_field`` / ``invalid_field`` for it (also when
    an application's own ``authenticate`` calls this and lets the error through)."""
    return fields._exchange.demo_user_id()


class Answer(NamedTuple):
    """What to send: the status, the headers (``Content-Type``, ``Cache-Control``, and
    ``Allow`` / ``Connection`` where they apply; the server adds its own framing), the JSON
    body (empty for ``HEAD``), and whether to close the connection afterwards."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    closes_connection: bool


# The out-parameters of one exchange's calls, in one block of words (size_t, as wide as a
# pointer) allocated with the exchange and passed as plain addresses: ctypes objects for each
# out-parameter, byref() and indexing ctypes arrays made up a sixth of the adapter's own work
# per request (callgrind: 215,000 -> 183,000 instructions on the 401 path, with Fields' own
# __init__). Each call that can fail has an error word of its own.
_EXCHANGE, _NEW_ERROR, _BODY_ERROR, _DEMO_ERROR, _FINISH_ERROR, _FAIL_ERROR = range(6)
_FIELDS = 6  # FIELD_COUNT text addresses, then their lengths
_USER_ID = _FIELDS + 2 * FIELD_COUNT  # the demo user ID's address and length
_HEADERS = _USER_ID + 2  # names, name lengths, values, value lengths: a row of each
_LENGTH = _HEADERS + 4 * EXCHANGE_MAX_HEADERS  # the body's or the log message's length
_Words = c_size_t * (_LENGTH + 1)
_WORD = sizeof(c_size_t)
assert sizeof(c_void_p) == _WORD
_FIELD_WORDS = struct.Struct(f"{2 * FIELD_COUNT}N")
_HEADER_WORDS = struct.Struct(f"{4 * EXCHANGE_MAX_HEADERS}N")
_TWO_WORDS = struct.Struct("2N")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def status_line(status: int) -> str:
    """``"404 Not Found"``: the status as WSGI's ``start_response`` takes it."""
    return f"{status} {_REASONS.get(status, 'Unknown')}"


def _describe(value: object) -> str:
    """What authenticate returned, for the log: its type, never its value."""
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


class Exchange:
    """One request's ``LayerExchange``. Owned by one handler, used from one thread at a time
    (an ASGI handler may hand it to an executor thread and back); freed by ``close()``."""

    __slots__ = ("_address", "_demo_refused", "_pointer", "_words", "in_thread")

    def __init__(
        self,
        method: bytes,
        target: bytes,
        content_type: bytes | None,
        content_length: bytes | None,
    ) -> None:
        self._pointer: int | None = None
        self._words = words = _Words()
        self._address = address = addressof(words)
        status = lib.layer_exchange_new(
            method,
            len(method),
            target,
            len(target),
            content_type,
            0 if content_type is None else len(content_type),
            content_length,
            0 if content_length is None else len(content_length),
            address,
            address + _NEW_ERROR * _WORD,
        )
        if status:
            self._raise(status, _NEW_ERROR)
        self._pointer = words[_EXCHANGE]
        self._demo_refused = False
        #: An executor thread is using it (asgi: then that thread's end frees it).
        self.in_thread = False

    def _raise(self, status: int, error_word: int) -> NoReturn:
        """Raises the error of a failed call, whose message is at ``error_word``."""
        error = c_void_p(self._words[error_word])
        self._words[error_word] = 0  # taken (and freed) below
        raise_error(status, error)

    def close(self) -> None:
        """Frees the exchange; idempotent."""
        pointer, self._pointer = self._pointer, None
        lib.layer_exchange_free(pointer)

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def step(self) -> int:
        """``READ_BODY``, ``AUTHENTICATE`` or ``RESPOND``."""
        step: int = lib.layer_exchange_step(self._pointer)
        return step

    def put_body(self, body: bytes) -> None:
        """The body as read: all of it, or the first ``MAX_BODY_BYTES + 1`` bytes."""
        status = lib.layer_exchange_put_body(
            self._pointer, body, len(body), self._address + _BODY_ERROR * _WORD
        )
        if status:
            self._raise(status, _BODY_ERROR)

    def fields(self) -> Fields:
        lib.layer_exchange_fields(
            self._pointer,
            self._address + _FIELDS * _WORD,
            self._address + (_FIELDS + FIELD_COUNT) * _WORD,
            FIELD_COUNT,
        )
        words = _FIELD_WORDS.unpack_from(self._words, _FIELDS * _WORD)
        nonce, first, last, display, avatar, user = [
            string_at(address, length).decode("utf-8") if address else None
            for address, length in zip(words[:FIELD_COUNT], words[FIELD_COUNT:], strict=True)
        ]
        assert nonce is not None  # required: the library answered 400 otherwise
        return Fields(nonce, first, last, display, avatar, user, self)

    def demo_user_id(self) -> str:
        address = self._address
        status = lib.layer_exchange_demo_user_id(
            self._pointer,
            address + _USER_ID * _WORD,
            address + (_USER_ID + 1) * _WORD,
            address + _DEMO_ERROR * _WORD,
        )
        if status:
            self._demo_refused = True
            self._raise(status, _DEMO_ERROR)
        user_id, length = _TWO_WORDS.unpack_from(self._words, _USER_ID * _WORD)
        return string_at(user_id, length).decode("utf-8")

    def finish(self, signer: Signer, result: object) -> None:
        """Gives what ``authenticate`` returned (``result``) and signs when it is a user."""
        if result is None:
            self._finish(None, _NONE, None)
        elif isinstance(result, str):
            self._finish(signer, _USER, encode(result))  # "" is nothing: the library's rule
        elif isinstance(result, int) and not isinstance(result, bool):
            self._finish(signer, _USER, str(result).encode("ascii"))
        else:
            self._finish(None, _NOT_A_USER_ID, _describe(result).encode("ascii"))

    def failed(self, failure: BaseException) -> None:
        """``authenticate`` raised ``failure``: logged here, answered 401 (or the demo
        authenticator's 400) by the library."""
        if self._demo_refused:  # the client's fault: the library answers the field's 400
            LOG.info("the demo authenticator refused the request: %s", failure)
        else:
            LOG.warning("authenticate raised: answering 401", exc_info=failure)
        self._finish(None, _FAILED, None)

    def _finish(self, signer: Signer | None, outcome: int, user_id: bytes | None) -> None:
        user_id_len = 0 if user_id is None else len(user_id)
        error = self._address + _FINISH_ERROR * _WORD
        if signer is None:
            status = lib.layer_exchange_finish(
                self._pointer, None, outcome, user_id, user_id_len, error
            )
        else:
            handle = signer._handle
            try:
                pointer = handle.acquire()
            except ClosedError as closed:
                self.fail(f"cannot sign: {closed}")
                return
            try:
                status = lib.layer_exchange_finish(
                    self._pointer, pointer, outcome, user_id, user_id_len, error
                )
            finally:
                handle.release()
        if status:
            self._raise(status, _FINISH_ERROR)

    def fail(self, log_message: str) -> None:
        """The adapter's own failure: 500 ``server_error``; ``log_message`` is logged only."""
        message = encode(log_message)
        status = lib.layer_exchange_fail(
            self._pointer, message, len(message), self._address + _FAIL_ERROR * _WORD
        )
        if status:
            self._raise(status, _FAIL_ERROR)

    def answer(self) -> Answer:
        """The answer (step ``RESPOND``), after logging what the library says to log."""
        pointer, address = self._pointer, self._address
        status: int = lib.layer_exchange_status(pointer)
        row = EXCHANGE_MAX_HEADERS * _WORD
        headers_at = address + _HEADERS * _WORD
        count = lib.layer_exchange_headers(
            pointer,
            headers_at,
            headers_at + row,
            headers_at + 2 * row,
            headers_at + 3 * row,
            EXCHANGE_MAX_HEADERS,
        )
        words = _HEADER_WORDS.unpack_from(self._words, _HEADERS * _WORD)
        names = words[:EXCHANGE_MAX_HEADERS]
        name_lens = words[EXCHANGE_MAX_HEADERS : 2 * EXCHANGE_MAX_HEADERS]
        values = words[2 * EXCHANGE_MAX_HEADERS : 3 * EXCHANGE_MAX_HEADERS]
        value_lens = words[3 * EXCHANGE_MAX_HEADERS :]
        headers = [
            (
                string_at(names[index], name_lens[index]).decode("ascii"),
                string_at(values[index], value_lens[index]).decode("ascii"),
            )
            for index in range(min(count, EXCHANGE_MAX_HEADERS))
        ]
        length_at = address + _LENGTH * _WORD
        body_address = lib.layer_exchange_body(pointer, length_at)
        body = string_at(body_address, self._words[_LENGTH]) if body_address else b""
        closes: bool = lib.layer_exchange_closes_connection(pointer)
        log = lib.layer_exchange_log_message(pointer, length_at)
        if log:
            message = string_at(log, self._words[_LENGTH]).decode("utf-8", "replace")
            LOG.log(logging.ERROR if status >= 500 else logging.INFO, "%d: %s", status, message)
        return Answer(status, headers, body, closes)


# The characters a path keeps unescaped (RFC 3986 pchar and "/"), for rebuilding a target from
# a decoded path when the server gives no raw one.
_PATH_SAFE = "/:@!$&'()*+,;=~"


def target_below_mount(raw: bytes | None, mount: bytes, path: bytes, query: bytes | None) -> bytes:
    """The request target as the endpoint below its mount point sees it: the raw target the
    server received (``raw``: WSGI's ``RAW_URI``, ASGI's ``raw_path`` plus the query) without
    the part that decodes to the mount point (``SCRIPT_NAME``, ``root_path``); when there is
    no raw target, or no such part, ``path`` (the decoded path below the mount point)
    re-escaped, and the query."""
    if raw is not None:
        if not mount:
            return raw
        end = _mount_end(raw, mount)
        if end is not None:
            return raw[end:]
    escaped = urllib.parse.quote(path, safe=_PATH_SAFE).encode("ascii")
    return escaped + (b"?" + query if query else b"")


def _mount_end(raw: bytes, mount: bytes) -> int | None:
    """Where the part of ``raw`` that decodes to ``mount`` ends (``None``: nowhere)."""
    if raw.startswith(mount) and raw[len(mount) : len(mount) + 1] in (b"", b"/", b"?"):
        return len(mount)  # the usual case: a prefix without escapes
    for end, byte in enumerate(raw):
        if byte in b"/?" and end and urllib.parse.unquote_to_bytes(raw[:end]) == mount:
            return end
    return None


async def in_executor(job: Callable[[], object], exchange: Exchange) -> object:
    """Runs ``job`` (which uses ``exchange``) in the default executor. If this task is
    cancelled meanwhile (the server shuts down, the client left), the job still runs to its
    end in its thread; the exchange is then freed when it ends, never under its feet."""
    future = asyncio.get_running_loop().run_in_executor(None, job)
    exchange.in_thread = True
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(lambda _: exchange.close())
        raise
    finally:
        if future.done():
            exchange.in_thread = False
