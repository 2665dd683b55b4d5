"""Finding, loading and declaring the native library (``include/layer_identity.h``).

The only module that knows where the library lives. Places, in order:

1. ``LAYER_IDENTITY_LIB``: an explicit path. When it is set, it is the only place tried, so a
   typo cannot silently load a different library.
2. The copy inside this package (``layer_identity/liblayer_identity.so``), which the wheel
   carries.
3. The system: ``ctypes.util.find_library("layer_identity")`` (the loader's cache), then the
   soname ``liblayer_identity.so.0`` through the dynamic loader's own search path
   (``LD_LIBRARY_PATH``, ``/etc/ld.so.conf``), as ``make install`` leaves it.

A library is taken only if it answers ``layer_abi_version() >= ABI_VERSION``; when none does,
the ``ImportError`` names every place tried and why each failed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char, c_char_p, c_int, c_int64, c_size_t, c_uint32, c_void_p
from pathlib import Path
from typing import Any

__all__ = ["ABI_VERSION", "LibraryLoadError", "lib", "library_path"]

#: The ABI this package is written against (``LAYER_ABI_VERSION`` in the header).
ABI_VERSION = 2
#: The header's constants (a test compares them with it): ``LAYER_FLAG_TYP_JWT``,
#: ``LAYER_FLAG_ALLOW_1024_BIT_KEY``.
FLAG_TYP_JWT = 1
FLAG_ALLOW_1024_BIT_KEY = 2
#: ``LAYER_DEFAULT_TTL_SECONDS``: a token's lifetime unless told otherwise (a Layer nonce lives
#: ten minutes).
DEFAULT_TTL_SECONDS = 600
#: ``LAYER_DEFAULT_LEEWAY_SECONDS``: the clock skew the verifier tolerates unless told
#: otherwise.
DEFAULT_LEEWAY_SECONDS = 60

ENV_VARIABLE = "LAYER_IDENTITY_LIB"
PACKAGED_LIBRARY = Path(__file__).resolve().with_name("liblayer_identity.so")
SONAME = "liblayer_identity.so.0"


class LibraryLoadError(ImportError):
    """The native library could not be loaded (the message lists every place tried)."""


def _check_abi(library: ctypes.CDLL) -> None:
    """Raises ``OSError`` with the reason when ``library`` is too old for this package."""
    try:
        abi_version = library.layer_abi_version
    except AttributeError:
        raise OSError(
            "it has no layer_abi_version symbol: it predates ABI version 2, "
            f"and this package needs ABI version {ABI_VERSION} or later"
        ) from None
    abi_version.argtypes = []
    abi_version.restype = c_uint32
    found = abi_version()
    if found < ABI_VERSION:
        raise OSError(f"it has ABI version {found}, and this package needs {ABI_VERSION} or later")


def _open(path: str) -> ctypes.CDLL:
    library = ctypes.CDLL(path)
    _check_abi(library)
    return library


def _load() -> tuple[ctypes.CDLL, str]:
    explicit = os.environ.get(ENV_VARIABLE)
    if explicit:
        try:
            return _open(explicit), explicit
        except OSError as error:
            raise LibraryLoadError(
                f"layer_identity: cannot use the native library {ENV_VARIABLE}={explicit!r}: "
                f"{error}. {ENV_VARIABLE} is an explicit choice, so nothing else was tried: "
                "fix the path, or unset it to use the copy inside the package."
            ) from None

    tried = [f"{ENV_VARIABLE}: not set"]
    if PACKAGED_LIBRARY.is_file():
        try:
            return _open(str(PACKAGED_LIBRARY)), str(PACKAGED_LIBRARY)
        except OSError as error:
            tried.append(f"{PACKAGED_LIBRARY} (inside the package): {error}")
    else:
        tried.append(
            f"{PACKAGED_LIBRARY} (inside the package): no such file (a source checkout "
            "or an sdist install; the linux-x86_64 wheel carries it)"
        )

    found = ctypes.util.find_library("layer_identity")
    if found is None:
        tried.append('system: ctypes.util.find_library("layer_identity") found nothing')
    else:
        try:
            return _open(found), found
        except OSError as error:
            tried.append(f'system: find_library("layer_identity") gave {found}: {error}')
    if found != SONAME:
        try:
            return _open(SONAME), SONAME
        except OSError as error:
            tried.append(f"{SONAME} through the dynamic loader's search path: {error}")

    raise LibraryLoadError(
        "layer_identity: could not load the native library liblayer_identity. Tried:\n  - "
        + "\n  - ".join(tried)
        + f"\nInstall the linux-x86_64 wheel, set {ENV_VARIABLE} to the path of "
        "liblayer_identity.so, or install the C library (make install) where the loader finds it."
    )


lib, library_path = _load()

_out_ptr = POINTER(c_void_p)  # char **, LayerSigner **, ...
_status = c_int  # LayerStatus (a C enum: int)
# Text owned by a LayerClaims (never freed by the caller), read by its length: slicing a
# POINTER(c_char) copies exactly that many bytes (U+0000 included).
_borrowed = POINTER(c_char)

# Every function of include/layer_identity.h, declared. Strings that the library allocates are
# returned as c_void_p (a c_char_p would copy them and lose the pointer that must be freed);
# they are read with ctypes.string_at and freed with layer_string_free.
_PROTOTYPES: dict[str, tuple[list[Any], Any]] = {
    "layer_sign_token": (
        [c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_int64, c_uint32, _out_ptr, _out_ptr],
        _status,
    ),
    "layer_key_cache_clear": ([], None),
    "layer_signer_new": (
        [c_char_p, c_char_p, c_char_p, c_char_p, c_uint32, _out_ptr, _out_ptr],
        _status,
    ),
    "layer_signer_from_env": ([c_uint32, _out_ptr, _out_ptr], _status),
    "layer_signer_sign": (
        [c_void_p, c_char_p, c_char_p, c_int64, c_uint32, c_char_p, _out_ptr, _out_ptr],
        _status,
    ),
    "layer_signer_sign_with": (
        [
            c_void_p,
            c_char_p,
            c_char_p,
            c_int64,
            c_uint32,
            c_char_p,
            c_char_p,
            c_char_p,
            c_char_p,
            POINTER(c_char_p),
            POINTER(c_char_p),
            c_size_t,
            _out_ptr,
            _out_ptr,
        ],
        _status,
    ),
    "layer_signer_public_key_pem": ([c_void_p, _out_ptr, _out_ptr], _status),
    "layer_signer_free": ([c_void_p], None),
    "layer_verifier_new": (
        [c_char_p, c_char_p, c_char_p, c_uint32, _out_ptr, _out_ptr],
        _status,
    ),
    "layer_verifier_verify": (
        [c_void_p, c_char_p, c_char_p, c_int64, c_uint32, _out_ptr, _out_ptr],
        _status,
    ),
    "layer_verifier_verify_claims": (
        [c_void_p, c_char_p, c_char_p, c_int64, c_uint32, _out_ptr, POINTER(c_int), _out_ptr],
        _status,
    ),
    "layer_claims_provider_id": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_user_id": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_nonce": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_issued_at": ([c_void_p], c_int64),
    "layer_claims_expires_at": ([c_void_p], c_int64),
    "layer_claims_first_name": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_last_name": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_display_name": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_avatar_url": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_metadata_count": ([c_void_p], c_size_t),
    "layer_claims_metadata_name": ([c_void_p, c_size_t, POINTER(c_size_t)], _borrowed),
    "layer_claims_metadata_value": ([c_void_p, c_size_t, POINTER(c_size_t)], _borrowed),
    "layer_claims_json": ([c_void_p, POINTER(c_size_t)], _borrowed),
    "layer_claims_free": ([c_void_p], None),
    "layer_verifier_free": ([c_void_p], None),
    "layer_token_inspect": ([c_char_p, _out_ptr, _out_ptr, _out_ptr], _status),
    "layer_generate_key_pair": ([c_uint32, _out_ptr, _out_ptr, _out_ptr], _status),
    "layer_string_free": ([c_void_p], None),
    # Static strings: never freed, so c_char_p (a copy) is right here.
    "layer_status_name": ([c_int], c_char_p),
    "layer_eit_name": ([c_int], c_char_p),
    "layer_version": ([], c_char_p),
    "layer_abi_version": ([], c_uint32),
}

for _name, (_argtypes, _restype) in _PROTOTYPES.items():
    _function = getattr(lib, _name)
    _function.argtypes = _argtypes
    _function.restype = _restype
