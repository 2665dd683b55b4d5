"""Key-pair generation and token inspection."""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import NamedTuple

from . import _args
from ._errors import raise_error, take_string
from ._library import lib

__all__ = ["InspectedToken", "KeyPair", "generate_key_pair", "inspect_token"]


class KeyPair(NamedTuple):
    """A new RSA key pair: upload ``public_key_pem`` to Layer, keep ``private_key_pem``."""

    private_key_pem: str
    """PKCS#8 ``-----BEGIN PRIVATE KEY-----``."""
    public_key_pem: str
    """SPKI ``-----BEGIN PUBLIC KEY-----``."""

    def __repr__(self) -> str:  # never show the private key
        return "KeyPair(private_key_pem=<hidden>, public_key_pem=...)"


class InspectedToken(NamedTuple):
    """A token's decoded header and claims JSON: NOT verified, nothing here is trustworthy."""

    header_json: str
    claims_json: str


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """Generates an RSA key pair (public exponent 65537) of ``bits`` bits (2048 to 16384;
    0 means 2048).

    The library zeroizes its copy of the private key; the returned ``str`` is Python's, and
    Python cannot zeroize it.
    """
    size = _args.uint32(bits, "bits")
    private, public, error = c_void_p(), c_void_p(), c_void_p()
    status = lib.layer_generate_key_pair(size, byref(private), byref(public), byref(error))
    if status:
        raise_error(status, error)
    return KeyPair(take_string(private.value), take_string(public.value))


def inspect_token(token: str) -> InspectedToken:
    """Decodes ``token`` WITHOUT verifying it, for debugging."""
    text = _args.text(token, "token")
    header, claims, error = c_void_p(), c_void_p(), c_void_p()
    status = lib.layer_token_inspect_n(text, len(text), byref(header), byref(claims), byref(error))
    if status:
        raise_error(status, error)
    return InspectedToken(take_string(header.value), take_string(claims.value))
