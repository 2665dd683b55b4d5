"""Finding, loading and declaring the native library (``include/layer_identity.h``).

The only module that knows where the library lives. Places, in order:

1. ``LAYER_IDENTITY_LIB``: an explicit path (relative to the working directory unless
   absolute). When it is set, even to an empty value, it is the only place tried, so a typo
   cannot silently load a different library.
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
from ctypes import POINTER, c_bool, c_char_p, c_int, c_int64, c_size_t, c_uint16, c_uint32, c_void_p
from pathlib import Path
from typing import Any

__all__ = ["ABI_VERSION", "LibraryLoadError", "lib", "library_path"]

#: The ABI this package is written against (``LAYER_ABI_VERSION`` in the header).
ABI_VERSION = 3
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
#: ``LAYER_CLAIM_TEXT_COUNT``, ``LAYER_FIELD_COUNT``, ``LAYER_ATTRIBUTE_COUNT``: array sizes.
CLAIM_TEXT_COUNT = 9
FIELD_COUNT = 6
ATTRIBUTE_COUNT = 4
#: ``LAYER_VERIFY_INTO_BUFFER_BYTES``: a buffer this large always holds what
#: ``layer_verifier_verify_into`` writes; ``LAYER_VERIFY_INTO_HEADER_BYTES``: where its texts
#: begin (after ``iat``, ``exp`` and the texts' lengths); ``LAYER_CLAIM_ABSENT``: the length of
#: an absent text.
VERIFY_INTO_BUFFER_BYTES = 40960
VERIFY_INTO_HEADER_BYTES = 16 + 4 * CLAIM_TEXT_COUNT
CLAIM_ABSENT = 0xFFFF_FFFF
#: ``LAYER_ENDPOINT_MAX_BODY_BYTES``: the endpoint reads at most one byte more than this.
ENDPOINT_MAX_BODY_BYTES = 65536
#: ``LAYER_EXCHANGE_MAX_HEADERS``: the most headers an endpoint answer has.
EXCHANGE_MAX_HEADERS = 4

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
    if explicit is not None:  # set, even to "": the only place tried
        # A path, never a bare name: dlopen would search the loader's path for a bare name.
        path = os.path.abspath(explicit) if explicit else ""
        try:
            if not path:
                raise OSError("it is set but empty")
            return _open(path), path
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

_out = POINTER(c_void_p)  # char **, LayerSigner **, const char ** ...: read as addresses
_status = c_int  # LayerStatus (a C enum: int)
_lens = POINTER(c_size_t)
# A text in: pointer and length (bytes objects are passed without a copy; U+0000 and invalid
# UTF-8 reach the library, which refuses them by name). Keys and bodies cross the same way.
_TEXT = (c_char_p, c_size_t)
_TEXTS = (POINTER(c_char_p), _lens)  # an array of texts and one of their lengths
_OUTS = (_out, _out)  # the result and the error message

# The functions this package calls (ABI 3: every text as pointer and length, times as int64).
# Strings that the library allocates come back as addresses (c_void_p): a c_char_p would copy
# them and lose the pointer that layer_string_free needs.
_PROTOTYPES: dict[str, tuple[list[Any], Any]] = {
    "layer_sign_token_n": (
        [*_TEXT, *_TEXT, *_TEXT, *_TEXT, *_TEXT, c_int64, c_int64, _out, _out],
        _status,
    ),
    "layer_key_cache_clear": ([], None),
    "layer_signer_new_n": ([*_TEXT, *_TEXT, *_TEXT, *_TEXT, c_uint32, _out, _out], _status),
    "layer_signer_from_env": ([c_uint32, _out, _out], _status),
    "layer_signer_sign_n": (
        [c_void_p, *_TEXT, *_TEXT, c_int64, c_int64, *_TEXTS, *_TEXTS, *_TEXTS, c_size_t, *_OUTS],
        _status,
    ),
    "layer_signer_public_key_pem": ([c_void_p, _out, _out], _status),
    "layer_signer_free": ([c_void_p], None),
    "layer_token_type_flags": ([*_TEXT, POINTER(c_uint32), _out], _status),
    "layer_verifier_new_n": ([*_TEXT, *_TEXT, *_TEXT, c_uint32, _out, _out], _status),
    # The hot path of verifying: its out-parameters are given as plain addresses (c_void_p),
    # which ctypes converts for less than typed pointers (measured with bench.py).
    "layer_verifier_verify_into": (
        [c_void_p, *_TEXT, *_TEXT, c_int64, c_int64, c_void_p, c_size_t, c_void_p, c_void_p],
        _status,
    ),
    "layer_verifier_free": ([c_void_p], None),
    "layer_token_inspect_n": ([*_TEXT, _out, _out, _out], _status),
    "layer_generate_key_pair": ([c_uint32, _out, _out, _out], _status),
    # The endpoint's calls, once per request: out-parameters as plain addresses (c_void_p)
    # into the exchange's block of words (_exchange.py), which ctypes passes on as they are.
    "layer_exchange_new": ([*_TEXT, *_TEXT, *_TEXT, *_TEXT, c_void_p, c_void_p], _status),
    "layer_exchange_step": ([c_void_p], c_int),
    "layer_exchange_put_body": ([c_void_p, *_TEXT, c_void_p], _status),
    "layer_exchange_fields": ([c_void_p, c_void_p, c_void_p, c_size_t], None),
    "layer_exchange_demo_user_id": ([c_void_p, c_void_p, c_void_p, c_void_p], _status),
    "layer_exchange_finish": ([c_void_p, c_void_p, c_int, *_TEXT, c_void_p], _status),
    "layer_exchange_fail": ([c_void_p, *_TEXT, c_void_p], _status),
    "layer_exchange_status": ([c_void_p], c_uint16),
    "layer_exchange_headers": (
        [c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t],
        c_size_t,
    ),
    "layer_exchange_body": ([c_void_p, c_void_p], c_void_p),
    "layer_exchange_closes_connection": ([c_void_p], c_bool),
    "layer_exchange_log_message": ([c_void_p, c_void_p], c_void_p),
    "layer_exchange_free": ([c_void_p], None),
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
