"""Layer identity tokens: the RS256-signed JWS a backend returns to the Layer client SDK.

A thin binding (``ctypes``, no dependencies) of the layer-identity native library, which the
wheel carries::

    from layer_identity import Signer

    signer = Signer.from_env()          # LAYER_PROVIDER_ID, LAYER_KEY_ID, LAYER_PRIVATE_KEY...
    token = signer.sign(user_id, nonce)  # per request: the nonce from the client SDK

``identity_token_app(signer, authenticate)`` is a ready WSGI endpoint;
``layer_identity.asgi`` has the ASGI one (FastAPI, Starlette), ``layer_identity.django`` the
Django view. ``await signer.sign_async(...)`` signs without holding up an event loop.
"""

from __future__ import annotations

from ._errors import (
    BadSignatureError,
    ClaimMismatchError,
    ClosedError,
    CryptoError,
    Eit,
    ExpiredError,
    InternalError,
    InvalidArgumentError,
    InvalidKeyError,
    InvalidUtf8Error,
    LayerIdentityError,
    MalformedTokenError,
    NotYetValidError,
    NullArgumentError,
    Status,
    TokenRejectedError,
    WeakKeyError,
    WrongPassphraseError,
)
from ._exchange import Fields, demo_authenticate
from ._keys import InspectedToken, KeyPair, generate_key_pair, inspect_token
from ._library import (
    ABI_VERSION,
    DEFAULT_LEEWAY_SECONDS,
    DEFAULT_TTL_SECONDS,
    LibraryLoadError,
    library_path,
)
from ._library import lib as _lib
from ._signer import Signer, clear_key_cache, sign_token
from ._verifier import Claims, Verifier
from ._version import __version__
from .wsgi import identity_token_app

__all__ = [
    "ABI_VERSION",
    "DEFAULT_LEEWAY_SECONDS",
    "DEFAULT_TTL_SECONDS",
    "BadSignatureError",
    "ClaimMismatchError",
    "Claims",
    "ClosedError",
    "CryptoError",
    "Eit",
    "ExpiredError",
    "Fields",
    "InspectedToken",
    "InternalError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "InvalidUtf8Error",
    "KeyPair",
    "LayerIdentityError",
    "LibraryLoadError",
    "MalformedTokenError",
    "NotYetValidError",
    "NullArgumentError",
    "Signer",
    "Status",
    "TokenRejectedError",
    "Verifier",
    "WeakKeyError",
    "WrongPassphraseError",
    "__version__",
    "clear_key_cache",
    "demo_authenticate",
    "generate_key_pair",
    "identity_token_app",
    "inspect_token",
    "library_path",
    "library_version",
    "sign_token",
]


# Tracebacks and reprs name the public classes where users import them from
# (layer_identity.ExpiredError), not the private module that defines them.
for _name in __all__:
    _public = globals().get(_name)
    if isinstance(_public, type):
        _public.__module__ = __name__


def library_version() -> str:
    """The version of the loaded native library, e.g. ``"0.1.0"``."""
    version: bytes = _lib.layer_version()
    return version.decode("ascii")
