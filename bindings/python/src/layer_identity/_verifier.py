"""The verifier: the rules of Layer's identity token validation tool, and typed claims."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import sys
import threading
import types
from collections.abc import Mapping
from ctypes import Array, addressof, byref, c_char, c_int, c_int64, c_size_t, c_void_p, string_at
from dataclasses import dataclass, field

from . import _args
from ._args import Duration, KeyText, Time
from ._errors import raise_error
from ._handle import Handle, NativeObject
from ._library import CLAIM_TEXT_COUNT, DEFAULT_LEEWAY_SECONDS, FLAG_ALLOW_1024_BIT_KEY, lib

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
# The process's memory as one buffer, to read the claims' texts at the addresses and lengths
# the library gave: a slice of it decodes without a ctypes call, where string_at() makes one
# foreign call per text (verify reads four or more, and that cost decided whether verifying
# through this package keeps up with the C ABI). Only exact (address, length) pairs from the
# library are ever read, as string_at would.
_MEMORY = memoryview((c_char * sys.maxsize).from_address(0)).cast("B")


_AllBuffers = tuple[
    c_void_p,
    "Array[c_void_p]",
    "Array[c_size_t]",
    "Array[c_int64]",
    c_int,
    c_void_p,
    c_void_p,
    c_void_p,
    c_void_p,
    c_void_p,
    c_void_p,
    c_void_p,
]
_TEXT_COUNT = c_size_t(CLAIM_TEXT_COUNT)
_INT64 = range(-(2**63), 2**63)


class _Buffers(threading.local):
    """The out-parameters of layer_verifier_verify_n, made once per thread: allocating them
    on every call would cost more than reading the claims."""

    def __init__(self) -> None:
        self.claims = c_void_p()
        self.texts = (c_void_p * CLAIM_TEXT_COUNT)()
        self.lens = (c_size_t * CLAIM_TEXT_COUNT)()
        self.times = (c_int64 * 2)()
        self.eit = c_int()
        self.error = c_void_p()
        outs = (self.claims, self.texts, self.lens, self.times, self.eit, self.error)
        # Everything verify() needs from this thread's buffers, in one attribute read; the
        # addresses as c_void_p objects, which ctypes passes on without converting them.
        addresses = [c_void_p(addressof(out)) for out in outs]
        self.all: _AllBuffers = (*outs, *addresses)  # type: ignore[assignment]


_buffers = _Buffers()


def _metadata(claims: int) -> Mapping[str, str]:
    length = c_size_t()
    ref = byref(length)
    entries = {}
    for index in range(lib.layer_claims_metadata_count(claims)):
        name = string_at(lib.layer_claims_metadata_name(claims, index, ref), length.value)
        value = string_at(lib.layer_claims_metadata_value(claims, index, ref), length.value)
        entries[name.decode("utf-8")] = value.decode("utf-8")
    return types.MappingProxyType(entries)


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
        (
            out_claims,
            texts,
            lens,
            times,
            out_eit,
            out_error,
            claims_address,
            texts_address,
            lens_address,
            times_address,
            eit_address,
            error_address,
        ) = _buffers.all
        handle = self._handle
        pointer = handle.acquire()
        try:
            status = lib.layer_verifier_verify_n(
                pointer,
                token_text,
                len(token_text),
                expected,
                0 if expected is None else len(expected),
                at,
                skew,
                claims_address,
                texts_address,
                lens_address,
                _TEXT_COUNT,
                times_address,
                eit_address,
                error_address,
            )
        finally:
            handle.release()
        if status:
            raise_error(status, out_error, out_eit.value)
        claims = out_claims.value
        assert claims is not None  # written on success
        try:
            # Texts by LayerClaimText index, read by their length (a claim may hold U+0000);
            # an absent one has no address.
            _, prn, nce, first, last, display, avatar, signed, metadata = texts[:]
            _, prn_n, nce_n, first_n, last_n, display_n, avatar_n, signed_n, _ = lens[:]
            # Always there in a verified token.
            assert prn is not None
            assert nce is not None
            assert signed is not None
            memory = _MEMORY
            # Claims(...) would pay the frozen dataclass's object.__setattr__ per field;
            # filling the instance dict directly makes the same object for less.
            result: Claims = object.__new__(Claims)
            result.__dict__.update(
                provider_id=self._provider_id,
                user_id=str(memory[prn : prn + prn_n], "utf-8"),
                # An expected nonce was checked equal, byte for byte: the same text.
                nonce=str(memory[nce : nce + nce_n], "utf-8") if nonce is None else str(nonce),
                issued_at=times[0],
                expires_at=times[1],
                first_name=None if first is None else str(memory[first : first + first_n], "utf-8"),
                last_name=None if last is None else str(memory[last : last + last_n], "utf-8"),
                display_name=(
                    None if display is None else str(memory[display : display + display_n], "utf-8")
                ),
                avatar_url=None
                if avatar is None
                else str(memory[avatar : avatar + avatar_n], "utf-8"),
                metadata=_EMPTY_METADATA if metadata is None else _metadata(claims),
                json=str(memory[signed : signed + signed_n], "utf-8"),
            )
            return result
        finally:
            lib.layer_claims_free(claims)

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
