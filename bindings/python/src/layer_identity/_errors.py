"""Statuses, Layer's ``eit_*`` identifiers and the exceptions that carry them.

``Status`` and ``Eit`` mirror the ``LayerStatus`` and ``LayerEit`` enums of
``include/layer_identity.h`` value for value; a test compares them with the header, so a
status the library gains cannot fall through unmapped.
"""

from __future__ import annotations

import ctypes
import enum
from typing import NoReturn

from ._library import lib

__all__ = [
    "BadSignatureError",
    "ClaimMismatchError",
    "ClosedError",
    "CryptoError",
    "Eit",
    "ExpiredError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "InvalidUtf8Error",
    "LayerIdentityError",
    "MalformedTokenError",
    "NotYetValidError",
    "NullArgumentError",
    "Status",
    "TokenRejectedError",
    "WeakKeyError",
    "WrongPassphraseError",
]


class Status(enum.IntEnum):
    """``LayerStatus``: the outcome of every fallible call (``LAYER_`` and ``ERR_`` dropped)."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_UTF8 = 2
    INVALID_ARGUMENT = 3
    INVALID_KEY = 4
    WEAK_KEY = 5
    WRONG_PASSPHRASE = 6
    MALFORMED_TOKEN = 7
    BAD_SIGNATURE = 8
    EXPIRED = 9
    NOT_YET_VALID = 10
    CLAIM_MISMATCH = 11
    CRYPTO = 12
    INTERNAL = 13


class Eit(enum.IntEnum):
    """``LayerEit``: the verifier rule a token broke (``LAYER_EIT_`` dropped)."""

    NONE = 0
    WRONG_JWS_PART_COUNT = 1
    MALFORMED_BASE64URL = 2
    MALFORMED_JSON = 3
    HEADER_PARAM_NOT_FOUND = 4
    HEADER_PARAM_WRONG_TYPE = 5
    HEADER_PARAM_WRONG_VALUE = 6
    CLAIM_NOT_FOUND = 7
    CLAIM_WRONG_TYPE = 8
    EXPIRED = 9
    NOT_BEFORE = 10
    KEY_NOT_FOUND = 11
    PROVIDER_NOT_FOUND = 12
    SIGNATURE_VERIFICATION_FAILED = 13
    NONCE_NOT_FOUND = 14


class LayerIdentityError(Exception):
    """A call into the library failed.

    Attributes:
        message: the library's message (never quotes a key or a passphrase).
        status: the ``LayerStatus`` value (a ``Status`` member for every status this package
            knows; a plain ``int`` for one that a newer library added).
        status_name: its name, e.g. ``"LAYER_ERR_EXPIRED"``.
        eit_code: for a rejected token, Layer's identifier of the rule it broke, e.g.
            ``"eit_expired"`` (the message starts with it); otherwise ``None``.
    """

    message: str
    status: int
    status_name: str
    eit_code: str | None

    def __init__(
        self, message: str, status: int, status_name: str, eit_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.status_name = status_name
        self.eit_code = eit_code

    def __reduce__(self) -> tuple[type[LayerIdentityError], tuple[str, int, str, str | None]]:
        return (type(self), (self.message, self.status, self.status_name, self.eit_code))

    def __repr__(self) -> str:
        eit = f", eit_code={self.eit_code!r}" if self.eit_code is not None else ""
        return f"{type(self).__name__}({self.status_name}: {self.message!r}{eit})"


class NullArgumentError(LayerIdentityError):
    """``LAYER_ERR_NULL_ARGUMENT``. The wrapper raises ``TypeError`` for ``None`` first, so
    seeing this one means a bug in the wrapper."""


class InvalidUtf8Error(LayerIdentityError, ValueError):
    """``LAYER_ERR_INVALID_UTF8``: a string was not valid UTF-8: a ``str`` that is not valid
    Unicode (lone surrogates), or key ``bytes`` that do not decode. Also a ``ValueError``."""


class InvalidArgumentError(LayerIdentityError, ValueError):
    """``LAYER_ERR_INVALID_ARGUMENT``: an ID, an empty user ID or nonce, U+0000 in a text, a
    negative time or one in milliseconds, metadata, a key size, or a ``LAYER_*`` variable.
    Also a ``ValueError``, Python's error for a bad argument value."""


class InvalidKeyError(LayerIdentityError):
    """``LAYER_ERR_INVALID_KEY``: the key cannot be read, is not RSA, or is the wrong kind."""


class WeakKeyError(LayerIdentityError):
    """``LAYER_ERR_WEAK_KEY``: the RSA key is smaller than allowed."""


class WrongPassphraseError(LayerIdentityError):
    """``LAYER_ERR_WRONG_PASSPHRASE``: the key is encrypted and the passphrase is missing or
    wrong."""


class TokenRejectedError(LayerIdentityError):
    """The verifier rejected the token; ``eit_code`` names the rule. Base of the five
    verification statuses, so ``except TokenRejectedError`` catches every rejection."""


class MalformedTokenError(TokenRejectedError):
    """``LAYER_ERR_MALFORMED_TOKEN``: not a well-formed Layer identity token."""


class BadSignatureError(TokenRejectedError):
    """``LAYER_ERR_BAD_SIGNATURE``: the signature does not verify with the configured key."""


class ExpiredError(TokenRejectedError):
    """``LAYER_ERR_EXPIRED``: the token has expired."""


class NotYetValidError(TokenRejectedError):
    """``LAYER_ERR_NOT_YET_VALID``: the token is issued in the future."""


class ClaimMismatchError(TokenRejectedError):
    """``LAYER_ERR_CLAIM_MISMATCH``: ``kid``, ``iss`` or ``nce`` differs from the expected
    value."""


class CryptoError(LayerIdentityError):
    """``LAYER_ERR_CRYPTO``: OpenSSL failed in an operation that should not fail."""


class InternalError(LayerIdentityError):
    """``LAYER_ERR_INTERNAL``: a bug in the library; the message says where."""


class ClosedError(ValueError):
    """A ``Signer`` or ``Verifier`` was used after ``close()``.

    A ``ValueError``, as Python raises for an operation on a closed file; not a
    ``LayerIdentityError``, since the library was never called.
    """


#: The exception class of every error status. A test checks it covers the header's enum.
ERROR_CLASSES: dict[Status, type[LayerIdentityError]] = {
    Status.NULL_ARGUMENT: NullArgumentError,
    Status.INVALID_UTF8: InvalidUtf8Error,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.INVALID_KEY: InvalidKeyError,
    Status.WEAK_KEY: WeakKeyError,
    Status.WRONG_PASSPHRASE: WrongPassphraseError,
    Status.MALFORMED_TOKEN: MalformedTokenError,
    Status.BAD_SIGNATURE: BadSignatureError,
    Status.EXPIRED: ExpiredError,
    Status.NOT_YET_VALID: NotYetValidError,
    Status.CLAIM_MISMATCH: ClaimMismatchError,
    Status.CRYPTO: CryptoError,
    Status.INTERNAL: InternalError,
}

_STATUS_VALUES = {status.value: status for status in Status}


def status_name(status: int) -> str:
    """The library's name of a status value, e.g. ``"LAYER_ERR_EXPIRED"``."""
    name: bytes = lib.layer_status_name(status)
    return name.decode("ascii")


def eit_name(eit: int) -> str | None:
    """The library's ``eit_*`` identifier of a ``LayerEit`` value; ``None`` for none."""
    name: bytes = lib.layer_eit_name(eit)
    return name.decode("ascii") or None


def take_string(pointer: int | None) -> str:
    """Reads a string the library allocated and frees it (``layer_string_free``)."""
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        lib.layer_string_free(pointer)


def invalid_argument(message: str) -> InvalidArgumentError:
    """The library's invalid-argument error, for a value that cannot even cross the C ABI (an
    integer beyond its 64 bits): the same class and status as the library's own refusals."""
    status = Status.INVALID_ARGUMENT
    return InvalidArgumentError(message, status, status_name(status))


def raise_error(status: int, error: ctypes.c_void_p, eit: int = 0) -> NoReturn:
    """Raises the exception for a failed call, taking (and freeing) its message."""
    message = take_string(error.value) or "(the library gave no message)"
    known = _STATUS_VALUES.get(status)
    cls = ERROR_CLASSES.get(known, LayerIdentityError) if known is not None else LayerIdentityError
    raise cls(message, known if known is not None else status, status_name(status), eit_name(eit))
