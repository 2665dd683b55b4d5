"""The verifier: the rules of Layer's identity token validation tool, and typed claims."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import struct
import types
from collections.abc import Mapping
from ctypes import addressof, byref, c_int, c_size_t, c_void_p, create_string_buffer
from dataclasses import dataclass, field

from . import _args
from ._args import Duration, KeyText, Time
from ._errors import raise_error
from ._handle import Handle, NativeObject
from ._library import (
    CLAIM_ABSENT,
    CLAIM_TEXT_COUNT,
    DEFAULT_LEEWAY_SECONDS,
    FLAG_ALLOW_1024_BIT_KEY,
    VERIFY_INTO_BUFFER_BYTES,
    VERIFY_INTO_HEADER_BYTES,
    lib,
)

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


_EMPTY_METADATA: Mapping[str, str] = types.MappingProxyType({})
# What layer_verifier_verify_into writes first: iat and exp, then the length of each text in
# LayerClaimText order (CLAIM_ABSENT for an absent one); the texts follow, one after another.
_HEADER = struct.Struct(f"=2q{CLAIM_TEXT_COUNT}I")
assert _HEADER.size == VERIFY_INTO_HEADER_BYTES
_BUFFER_BYTES = c_size_t(VERIFY_INTO_BUFFER_BYTES)
_INT64 = range(-(2**63), 2**63)


class _Buffer:
    """Where one call of layer_verifier_verify_into writes: the claims, the LayerEit, the
    error message; with the addresses, as c_void_p objects that ctypes passes on without
    converting them."""

    __slots__ = ("all",)

    def __init__(self) -> None:
        memory = create_string_buffer(VERIFY_INTO_BUFFER_BYTES)
        eit, error = c_int(), c_void_p()
        self.all = (
            memoryview(memory).cast("B"),
            eit,
            error,
            c_void_p(addressof(memory)),
            c_void_p(addressof(eit)),
            c_void_p(addressof(error)),
            memory,  # kept alive with the view's addresses
        )


# Buffers not in use. A call takes one (or makes one, when every buffer is in use) and gives
# it back once the claims are read: list.pop and list.append are atomic, so no two calls
# share a buffer, whatever runs between them: other threads, or a signal handler verifying
# on this thread. (Making a buffer on every call would cost more than reading the claims.)
_FREE: list[_Buffer] = []


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

    __slots__ = ("_provider_id",)

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
        status = lib.layer_verifier_new_n(
            key,
            len(key),
            provider,
            len(provider),
            key_ref,
            len(key_ref),
            flags,
            byref(verifier),
            byref(error),
        )
        if status:
            raise_error(status, error)
        pointer = verifier.value
        assert pointer is not None  # written on success
        self._handle = Handle(pointer, lib.layer_verifier_free, "Verifier")
        # Every token this verifier accepts carries exactly this iss (as UTF-8, byte for
        # byte), so verify() gives this str rather than decoding the same text again.
        self._provider_id = str(provider_id)

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
            nonce: the nonce the token must answer; ``None`` skips that check (an empty one
                is refused by the library, so that a missing value cannot skip it).
            now: the time to judge ``iat``/``exp`` by, an aware ``datetime`` or Unix seconds;
                ``None`` (or 0) for the system clock.
            leeway: the clock skew allowed, a ``timedelta`` or seconds (60 by default).

        Raises:
            TokenRejectedError: the token broke a rule; the subclass gives the status and
                ``eit_code`` Layer's identifier (``MalformedTokenError``,
                ``BadSignatureError``, ``ExpiredError``, ``NotYetValidError``,
                ``ClaimMismatchError``).
            LayerIdentityError: the library refused an argument (``InvalidArgumentError``:
                a negative time, an empty nonce; ``InvalidUtf8Error``).
        """
        # The common cases inline (this is the hot path); _args has the general ones.
        try:
            token_text = token.encode() if type(token) is str else _args.text(token, "token")
            expected = (
                None
                if nonce is None
                else nonce.encode()
                if type(nonce) is str
                else _args.text(nonce, "nonce")
            )
        except UnicodeEncodeError:
            token_text = _args.text(token, "token")
            expected = None if nonce is None else _args.text(nonce, "nonce")
        at = 0 if now is None else _args.unix_seconds(now, "now")
        skew = (
            leeway
            if type(leeway) is int and leeway in _INT64
            else _args.duration_seconds(leeway, "leeway")
        )
        try:
            buffer = _FREE.pop()
        except IndexError:
            buffer = _Buffer()
        try:
            memory, out_eit, out_error, address, eit_address, error_address, _ = buffer.all
            handle = self._handle
            pointer = handle.acquire()
            try:
                status = lib.layer_verifier_verify_into(
                    pointer,
                    token_text,
                    len(token_text),
                    expected,
                    0 if expected is None else len(expected),
                    at,
                    skew,
                    address,
                    _BUFFER_BYTES,
                    eit_address,
                    error_address,
                )
            finally:
                handle.release()
            if status:
                raise_error(status, out_error, out_eit.value)
            # The texts, read by their lengths (a claim may hold U+0000). The provider ID, the
            # nonce (when one is expected) and the claims JSON are always there.
            iat, exp, iss_n, prn_n, nce_n, first_n, last_n, display_n, avatar_n, json_n, meta_n = (
                _HEADER.unpack_from(memory)
            )
            start = VERIFY_INTO_HEADER_BYTES + iss_n
            user_id = str(memory[start : start + prn_n], "utf-8")
            start += prn_n
            # An expected nonce was checked equal, byte for byte: the same text.
            nce = str(memory[start : start + nce_n], "utf-8") if nonce is None else str(nonce)
            start += nce_n
            first = last = display = avatar = None
            if first_n != CLAIM_ABSENT:
                first = str(memory[start : start + first_n], "utf-8")
                start += first_n
            if last_n != CLAIM_ABSENT:
                last = str(memory[start : start + last_n], "utf-8")
                start += last_n
            if display_n != CLAIM_ABSENT:
                display = str(memory[start : start + display_n], "utf-8")
                start += display_n
            if avatar_n != CLAIM_ABSENT:
                avatar = str(memory[start : start + avatar_n], "utf-8")
                start += avatar_n
            signed = str(memory[start : start + json_n], "utf-8")
            start += json_n
            metadata = (
                _EMPTY_METADATA
                if meta_n == CLAIM_ABSENT
                else types.MappingProxyType(
                    json.loads(str(memory[start : start + meta_n], "utf-8"))
                )
            )
        finally:
            _FREE.append(buffer)
        # Claims(...) would pay the frozen dataclass's object.__setattr__ per field; filling
        # the instance dict directly makes the same object for less.
        result: Claims = object.__new__(Claims)
        result.__dict__.update(
            provider_id=self._provider_id,
            user_id=user_id,
            nonce=nce,
            issued_at=iat,
            expires_at=exp,
            first_name=first,
            last_name=last,
            display_name=display,
            avatar_url=avatar,
            metadata=metadata,
            json=signed,
        )
        return result

    async def verify_async(
        self,
        token: str,
        *,
        nonce: str | None = None,
        now: Time | None = None,
        leeway: Duration = DEFAULT_LEEWAY_SECONDS,
    ) -> Claims:
        """``verify()`` for ``async`` code: the RSA work runs in the event loop's default
        executor, so the loop keeps serving other tasks. Same arguments, result and errors."""
        call = functools.partial(self.verify, token, nonce=nonce, now=now, leeway=leeway)
        return await asyncio.get_running_loop().run_in_executor(None, call)
