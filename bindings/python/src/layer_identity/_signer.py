"""The signer: a private key bound to a provider ID and key ID, for any number of tokens."""

from __future__ import annotations

import asyncio
import functools
import os
from ctypes import byref, c_char_p, c_size_t, c_uint32, c_void_p
from typing import Literal

from . import _args
from ._args import Duration, KeyText, Metadata, Time
from ._errors import invalid_argument, raise_error, take_string
from ._handle import Handle, NativeObject
from ._library import ATTRIBUTE_COUNT, FLAG_ALLOW_1024_BIT_KEY, FLAG_TYP_JWT, lib

__all__ = ["Signer", "clear_key_cache", "sign_token"]


def _flags(token_type: object, allow_1024_bit_key: object) -> int:
    """The flags of a token type name (``"JWS"``/``"JWT"`` in any letter case: the library's
    rule) and the 1024-bit switch."""
    name = _args.text(token_type, "token_type")
    flags, error = c_uint32(), c_void_p()
    status = lib.layer_token_type_flags(name, len(name), byref(flags), byref(error))
    if status:
        raise_error(status, error)
    if _args.flag(allow_1024_bit_key, "allow_1024_bit_key"):
        return flags.value | FLAG_ALLOW_1024_BIT_KEY
    return flags.value


class Signer(NativeObject):
    """Signs Layer identity tokens with one private key.

    Create one at start-up and share it: it is immutable and thread-safe, and the key is
    decoded and checked once. ``close()`` (or a ``with`` block) frees the native key at once,
    zeroized; a finalizer frees it otherwise. After ``close()`` every method raises
    ``ClosedError`` (a ``ValueError``).

    Args:
        private_key: the RSA private key: PEM (PKCS#1, PKCS#8, encrypted PKCS#8) or base64
            DER, as ``str`` or as the ``bytes`` of a key file. CRLF, surrounding whitespace,
            literal ``\\n`` escapes and lost line breaks are fine.
        provider_id: ``layer:///providers/<uuid>`` (or the bare UUID).
        key_id: ``layer:///keys/<uuid>`` (or the bare UUID) of the uploaded public key.
        passphrase: for an encrypted key.
        token_type: the header's ``typ``: ``"JWS"`` (the default) or ``"JWT"`` (in any
            letter case).
        allow_1024_bit_key: admit the 1024-bit keys of early Layer accounts.

    Raises:
        LayerIdentityError: the key or an ID is not acceptable (the subclass says which:
            ``InvalidKeyError``, ``WeakKeyError``, ``WrongPassphraseError``,
            ``InvalidArgumentError``).
        TypeError: an argument has the wrong type.
    """

    __slots__ = ()

    def __init__(
        self,
        private_key: KeyText,
        provider_id: str,
        key_id: str,
        *,
        passphrase: str | bytes | None = None,
        token_type: Literal["JWS", "JWT"] = "JWS",
        allow_1024_bit_key: bool = False,
    ) -> None:
        key = _args.key_bytes(private_key, "private_key")
        secret = _args.passphrase_bytes(passphrase)
        provider = _args.text(provider_id, "provider_id")
        key_ref = _args.text(key_id, "key_id")
        flags = _flags(token_type, allow_1024_bit_key)
        signer, error = c_void_p(), c_void_p()
        status = lib.layer_signer_new_n(
            key,
            len(key),
            secret,
            0 if secret is None else len(secret),
            provider,
            len(provider),
            key_ref,
            len(key_ref),
            flags,
            byref(signer),
            byref(error),
        )
        if status:
            raise_error(status, error)
        self._handle = _new_handle(signer)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        provider_id: str,
        key_id: str,
        *,
        passphrase: str | bytes | None = None,
        token_type: Literal["JWS", "JWT"] = "JWS",
        allow_1024_bit_key: bool = False,
    ) -> Signer:
        """A signer for the key in the file at ``path`` (read as bytes, exactly)."""
        return cls(
            _args.read_key_file(path),
            provider_id,
            key_id,
            passphrase=passphrase,
            token_type=token_type,
            allow_1024_bit_key=allow_1024_bit_key,
        )

    @classmethod
    def from_env(
        cls,
        *,
        token_type: Literal["JWT"] | None = None,
        allow_1024_bit_key: bool = False,
    ) -> Signer:
        """A signer configured by the environment, read by the library itself:
        ``LAYER_PROVIDER_ID``, ``LAYER_KEY_ID``, ``LAYER_PRIVATE_KEY`` (the PEM text) or
        ``LAYER_PRIVATE_KEY_PATH`` (its file), ``LAYER_PRIVATE_KEY_PASSPHRASE`` and
        ``LAYER_TOKEN_TYPE`` (``JWS`` or ``JWT``). A missing or malformed variable raises a
        ``LayerIdentityError`` whose message names it.

        ``token_type="JWT"`` selects ``typ`` JWT whatever ``LAYER_TOKEN_TYPE`` says; ``None``
        leaves it to the variable (``"JWS"`` cannot overrule it, and is refused). Changes
        made through ``os.environ`` are seen; do not change the environment from another
        thread during the call.
        """
        flags = _flags("JWS" if token_type is None else token_type, allow_1024_bit_key)
        if token_type is not None and not flags & FLAG_TYP_JWT:
            raise invalid_argument(
                'token_type must be "JWT" or None (then LAYER_TOKEN_TYPE decides, JWS by '
                f"default), not {token_type!r}"
            )
        signer, error = c_void_p(), c_void_p()
        status = lib.layer_signer_from_env(flags, byref(signer), byref(error))
        if status:
            raise_error(status, error)
        self = cls.__new__(cls)
        self._handle = _new_handle(signer)
        return self

    def sign(
        self,
        user_id: str | int,
        nonce: str,
        *,
        issued_at: Time | None = None,
        ttl: Duration | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
        avatar_url: str | None = None,
        metadata: Metadata | None = None,
    ) -> str:
        """Signs an identity token for ``user_id`` answering the client SDK's ``nonce``.

        Args:
            user_id: the app's user ID (``prn``): a non-empty ``str``, or an ``int`` (a
                database key), written in decimal.
            nonce: the nonce from the Layer client SDK (``nce``), non-empty.
            issued_at: an aware ``datetime`` or Unix seconds; ``None`` (or 0) for now. A
                naive ``datetime`` is refused (``ValueError``): it would be read as local
                time. A time before 1970 is refused by the library.
            ttl: the lifetime, a ``timedelta`` or seconds; ``None`` (or 0) for 600 s.
            first_name, last_name, display_name, avatar_url: identity attributes, emitted
                in that order when given (an empty one counts as absent).
            metadata: names to string values (a mapping, or (name, value) tuples); emitted
                sorted by name.

        Returns:
            The compact JWS.

        Raises:
            LayerIdentityError: the library refused a value (``InvalidArgumentError``, also a
                ``ValueError``: U+0000, an empty user ID or nonce, a negative time, a time
                in milliseconds, ...; ``InvalidUtf8Error`` for a ``str`` that is not valid
                Unicode).
            TypeError: an argument has the wrong type.
            ClosedError: the signer is closed.
        """
        user = _args.user_id_text(user_id)
        nonce_text = _args.text(nonce, "nonce")
        iat = _args.unix_seconds(issued_at, "issued_at")
        lifetime = 0 if ttl is None else _args.duration_seconds(ttl, "ttl")
        attributes = attribute_lens = None
        if (
            first_name is not None
            or last_name is not None
            or display_name is not None
            or (avatar_url is not None)
        ):
            texts = [
                _args.optional_text(first_name, "first_name"),
                _args.optional_text(last_name, "last_name"),
                _args.optional_text(display_name, "display_name"),
                _args.optional_text(avatar_url, "avatar_url"),
            ]
            attributes = _TEXTS_4(*texts)
            attribute_lens = _LENS_4(*(0 if t is None else len(t) for t in texts))
        names = name_lens = values = value_lens = None
        count = 0
        if metadata is not None:
            pairs = _args.metadata_pairs(metadata)
            count = len(pairs)
            if count:
                names = (c_char_p * count)(*(name for name, _ in pairs))
                name_lens = (c_size_t * count)(*(len(name) for name, _ in pairs))
                values = (c_char_p * count)(*(value for _, value in pairs))
                value_lens = (c_size_t * count)(*(len(value) for _, value in pairs))
        token, error = c_void_p(), c_void_p()
        handle = self._handle
        pointer = handle.acquire()
        try:
            status = lib.layer_signer_sign_n(
                pointer,
                user,
                len(user),
                nonce_text,
                len(nonce_text),
                iat,
                lifetime,
                attributes,
                attribute_lens,
                names,
                name_lens,
                values,
                value_lens,
                count,
                byref(token),
                byref(error),
            )
        finally:
            handle.release()
        if status:
            raise_error(status, error)
        return take_string(token.value)

    async def sign_async(
        self,
        user_id: str | int,
        nonce: str,
        *,
        issued_at: Time | None = None,
        ttl: Duration | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
        avatar_url: str | None = None,
        metadata: Metadata | None = None,
    ) -> str:
        """``sign()`` for ``async`` code: the RSA work runs in the event loop's default
        executor (a thread pool; the library releases the GIL), so the loop keeps serving
        other tasks meanwhile. Same arguments, result and errors as ``sign()``."""
        call = functools.partial(
            self.sign,
            user_id,
            nonce,
            issued_at=issued_at,
            ttl=ttl,
            first_name=first_name,
            last_name=last_name,
            display_name=display_name,
            avatar_url=avatar_url,
            metadata=metadata,
        )
        return await asyncio.get_running_loop().run_in_executor(None, call)

    @property
    def public_key_pem(self) -> str:
        """The SPKI public key PEM (``-----BEGIN PUBLIC KEY-----``): what to upload to Layer
        for this key ID, or to give a ``Verifier``."""
        pem, error = c_void_p(), c_void_p()
        handle = self._handle
        pointer = handle.acquire()
        try:
            status = lib.layer_signer_public_key_pem(pointer, byref(pem), byref(error))
        finally:
            handle.release()
        if status:
            raise_error(status, error)
        return take_string(pem.value)


_TEXTS_4 = c_char_p * ATTRIBUTE_COUNT  # indexed by LayerAttribute
_LENS_4 = c_size_t * ATTRIBUTE_COUNT


def _new_handle(signer: c_void_p) -> Handle:
    pointer = signer.value
    assert pointer is not None  # written on success
    return Handle(pointer, lib.layer_signer_free, "Signer")


def sign_token(
    private_key: KeyText,
    provider_id: str,
    key_id: str,
    user_id: str | int,
    nonce: str,
    *,
    issued_at: Time | None = None,
    ttl: Duration | None = None,
) -> str:
    """Signs one token in one call (``typ`` JWS, no attributes, an unencrypted key of at least
    2048 bits). The library caches decoded keys (at most 8), so repeated calls with the same
    key cost one signature each; still, prefer a ``Signer`` for a long-lived key."""
    key = _args.key_bytes(private_key, "private_key")
    provider = _args.text(provider_id, "provider_id")
    key_ref = _args.text(key_id, "key_id")
    user = _args.user_id_text(user_id)
    nonce_text = _args.text(nonce, "nonce")
    iat = _args.unix_seconds(issued_at, "issued_at")
    lifetime = 0 if ttl is None else _args.duration_seconds(ttl, "ttl")
    token, error = c_void_p(), c_void_p()
    status = lib.layer_sign_token_n(
        key,
        len(key),
        provider,
        len(provider),
        key_ref,
        len(key_ref),
        user,
        len(user),
        nonce_text,
        len(nonce_text),
        iat,
        lifetime,
        byref(token),
        byref(error),
    )
    if status:
        raise_error(status, error)
    return take_string(token.value)


def clear_key_cache() -> None:
    """Empties the key cache of ``sign_token`` (after rotating a key out, say)."""
    lib.layer_key_cache_clear()
