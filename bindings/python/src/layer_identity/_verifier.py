"""The verifier: the rules of Layer's identity token validation tool, and typed claims."""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import types
from collections.abc import Mapping
from ctypes import byref, c_char, c_int, c_size_t, c_void_p
from dataclasses import dataclass, field

from . import _args
from ._args import Duration, KeyText, Time
from ._errors import raise_error
from ._handle import Handle, NativeObject
from ._library import DEFAULT_LEEWAY_SECONDS, FLAG_ALLOW_1024_BIT_KEY, lib

__all__ = ["Claims", "Verifier"]


@dataclass(frozen=True)
class Claims:
    """The claims of a verified identity token.

    Attributes:
        provider_id: ``iss``.
        user_id: ``prn``, the app's user ID.
        nonce: ``nce``, the nonce the token answers.
        issued_at: ``iat``, Unix seconds (``issued_at_datetime`` as a ``datetime``).
        expires_at: ``exp``, Unix seconds (``expires_at_datetime``).
        first_name, last_name, display_name, avatar_url: identity attributes, ``None`` when
            the token has none.
        metadata: the ``metadata`` names and values (read-only; empty when none).
        json: the claims JSON exactly as signed, claims this library ignores included.
    """

    provider_id: str
    user_id: str
    nonce: str
    issued_at: int
    expires_at: int
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    metadata: Mapping[str, str] = field(
        default_factory=lambda: types.MappingProxyType({}), hash=False
    )
    json: str = field(default="", repr=False)

    @property
    def issued_at_datetime(self) -> dt.datetime:
        """``iat`` as an aware UTC ``datetime`` (``OverflowError`` beyond year 9999)."""
        return _utc(self.issued_at)

    @property
    def expires_at_datetime(self) -> dt.datetime:
        """``exp`` as an aware UTC ``datetime`` (``OverflowError`` beyond year 9999)."""
        return _utc(self.expires_at)


def _utc(seconds: int) -> dt.datetime:
    try:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)
    except OverflowError:
        raise OverflowError(f"{seconds} Unix seconds is outside datetime's range") from None


def _string(pointer: ctypes._Pointer[c_char], length: c_size_t) -> str | None:
    """A claim the getter returned, read by its length (a claim may hold U+0000); ``None``
    for a NULL pointer (an absent attribute)."""
    if not pointer:
        return None
    data: bytes = pointer[: length.value]  # type: ignore[assignment]  # c_char slices are bytes
    return data.decode("utf-8")


def _required(pointer: ctypes._Pointer[c_char], length: c_size_t) -> str:
    value = _string(pointer, length)
    assert value is not None  # present in every verified token
    return value


def _claims(claims: int) -> Claims:
    length = c_size_t()
    ref = byref(length)
    # Each getter writes the length, and _string reads it after the call returns.
    metadata = {}
    for index in range(lib.layer_claims_metadata_count(claims)):
        name = _required(lib.layer_claims_metadata_name(claims, index, ref), length)
        metadata[name] = _required(lib.layer_claims_metadata_value(claims, index, ref), length)
    # Claims(...) would pay the frozen dataclass's object.__setattr__ per field; filling the
    # instance dict directly makes the same object for a fraction of the cost.
    result: Claims = object.__new__(Claims)
    result.__dict__.update(
        provider_id=_required(lib.layer_claims_provider_id(claims, ref), length),
        user_id=_required(lib.layer_claims_user_id(claims, ref), length),
        nonce=_required(lib.layer_claims_nonce(claims, ref), length),
        issued_at=lib.layer_claims_issued_at(claims),
        expires_at=lib.layer_claims_expires_at(claims),
        first_name=_string(lib.layer_claims_first_name(claims, ref), length),
        last_name=_string(lib.layer_claims_last_name(claims, ref), length),
        display_name=_string(lib.layer_claims_display_name(claims, ref), length),
        avatar_url=_string(lib.layer_claims_avatar_url(claims, ref), length),
        metadata=types.MappingProxyType(metadata),
        json=_required(lib.layer_claims_json(claims, ref), length),
    )
    return result


class Verifier(NativeObject):
    """Verifies identity tokens as Layer's identity token validation tool does (RFC 8725):
    the header exactly as Layer's signers write it, RS256 with the configured key checked
    before any claim is read, ``kid`` and ``iss`` equal to the configured IDs, integer
    ``iat < exp`` within the leeway, the nonce when one is expected.

    Immutable and thread-safe; ``close()`` or a ``with`` block frees it, a finalizer
    otherwise. After ``close()`` ``verify`` raises ``ClosedError`` (a ``ValueError``).

    Args:
        public_key: the RSA public key (SPKI ``PUBLIC KEY`` or PKCS#1 ``RSA PUBLIC KEY``, PEM
            or base64 DER), or an unencrypted private key to derive it from; ``str`` or
            ``bytes``.
        provider_id: the ``iss`` tokens must carry.
        key_id: the ``kid`` tokens must carry.
        allow_1024_bit_key: admit a legacy 1024-bit key.
    """

    __slots__ = ()

    def __init__(
        self,
        public_key: KeyText,
        provider_id: str,
        key_id: str,
        *,
        allow_1024_bit_key: bool = False,
    ) -> None:
        key = _args.key_bytes(public_key, "public_key")
        provider = _args.text(provider_id, "provider_id")
        key_ref = _args.text(key_id, "key_id")
        flags = (
            FLAG_ALLOW_1024_BIT_KEY if _args.flag(allow_1024_bit_key, "allow_1024_bit_key") else 0
        )
        verifier, error = c_void_p(), c_void_p()
        status = lib.layer_verifier_new(
            key, provider, key_ref, flags, byref(verifier), byref(error)
        )
        if status:
            raise_error(status, error)
        pointer = verifier.value
        assert pointer is not None  # written on success
        self._handle = Handle(pointer, lib.layer_verifier_free, "Verifier")

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        provider_id: str,
        key_id: str,
        *,
        allow_1024_bit_key: bool = False,
    ) -> Verifier:
        """A verifier for the key in the file at ``path`` (read as bytes, exactly)."""
        return cls(
            _args.read_key_file(path),
            provider_id,
            key_id,
            allow_1024_bit_key=allow_1024_bit_key,
        )

    def verify(
        self,
        token: str,
        *,
        nonce: str | None = None,
        now: Time | None = None,
        leeway: Duration = DEFAULT_LEEWAY_SECONDS,
    ) -> Claims:
        """Verifies ``token`` and returns its claims.

        Args:
            token: the compact JWS.
            nonce: the nonce the token must answer; ``None`` skips that check.
            now: the time to judge ``iat``/``exp`` by, an aware ``datetime`` or Unix seconds;
                ``None`` for the system clock.
            leeway: the clock skew allowed, a ``timedelta`` or seconds (60 by default).

        Raises:
            TokenRejectedError: the token broke a rule; the subclass gives the status and
                ``eit_code`` Layer's identifier (``MalformedTokenError``,
                ``BadSignatureError``, ``ExpiredError``, ``NotYetValidError``,
                ``ClaimMismatchError``).
        """
        token_text = _args.text(token, "token")
        expected = _args.optional_text(nonce, "nonce")
        at = _args.unix_seconds(now, "now")
        skew = _args.duration_seconds(leeway, "leeway")
        claims, eit, error = c_void_p(), c_int(), c_void_p()
        handle = self._handle
        pointer = handle.acquire()
        try:
            status = lib.layer_verifier_verify_claims(
                pointer, token_text, expected, at, skew, byref(claims), byref(eit), byref(error)
            )
        finally:
            handle.release()
        if status:
            raise_error(status, error, eit.value)
        claims_pointer = claims.value
        assert claims_pointer is not None  # written on success
        try:
            return _claims(claims_pointer)
        finally:
            lib.layer_claims_free(claims_pointer)
