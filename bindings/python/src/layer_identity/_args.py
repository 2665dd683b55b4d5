"""Argument checks and conversions: Python values to what the C ABI takes.

Nothing here decides anything about tokens. It checks types (``TypeError``, naming the
argument, before anything crosses into C) and converts values: text to UTF-8 bytes, times to
Unix seconds, durations to seconds. Every rule about the values themselves (U+0000, empty
strings, negative times, milliseconds, ...) is the library's, which refuses them by name.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

from ._errors import invalid_argument

__all__ = [
    "Duration",
    "KeyText",
    "Metadata",
    "Time",
    "duration_seconds",
    "flag",
    "key_bytes",
    "metadata_pairs",
    "optional_text",
    "text",
    "unix_seconds",
    "user_id_text",
]

#: A key as text or as the bytes of a key file.
KeyText: TypeAlias = str | bytes | bytearray | memoryview
#: A point in time: an aware ``datetime``, or Unix seconds.
Time: TypeAlias = dt.datetime | int
#: A length of time: a ``timedelta`` of whole seconds, or seconds.
Duration: TypeAlias = dt.timedelta | int
#: Metadata: a mapping of names to values, or (name, value) pairs.
Metadata: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str]]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SECOND = dt.timedelta(seconds=1)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT32_MAX = 2**32 - 1


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def encode(value: str) -> bytes:
    """``value`` as UTF-8. A ``str`` that is not valid Unicode (lone surrogates, as
    ``os.fsdecode`` or a bad ``\\ud800`` escape leave) becomes the bytes it stands for under
    ``surrogatepass``, which are not UTF-8, so the library refuses it with
    ``LAYER_ERR_INVALID_UTF8`` naming the argument. Never ``surrogateescape``: that would turn
    ``"\\udcc3\\udca9"`` into the valid UTF-8 of ``"é"``, a different text."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def text(value: object, name: str) -> bytes:
    """A required ``str`` argument as UTF-8 (on the path of every call: kept lean)."""
    if type(value) is str:  # the common case, first
        return encode(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {_type_name(value)}")
    return encode(value)


def optional_text(value: object, name: str) -> bytes | None:
    """An optional ``str`` argument (``None`` is absent) as UTF-8, or ``None``."""
    return None if value is None else text(value, name)


def user_id_text(value: object) -> bytes:
    """A user ID: a ``str``, or an ``int`` written in decimal (not a ``bool``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).encode("ascii")
    if not isinstance(value, str):
        raise TypeError(f"user_id must be str or int, not {_type_name(value)}")
    return encode(value)


def key_bytes(value: object, name: str) -> bytes:
    """Key text: ``str`` (as UTF-8) or the bytes of a key file, passed as they are."""
    if isinstance(value, str):
        return encode(value)
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be str or bytes, not {_type_name(value)}")


def passphrase_bytes(value: object) -> bytes | None:
    """The optional passphrase of an encrypted key."""
    return None if value is None else key_bytes(value, "passphrase")


def flag(value: object, name: str) -> bool:
    """A ``bool`` keyword (not any truthy object, so a misplaced argument is caught)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be bool, not {_type_name(value)}")
    return value


def _int(value: object, name: str, what: str) -> int:
    # bool is an int subclass, but True as a time or a size is always a mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be {what}, not {_type_name(value)}")
    return value


def int64(value: int, name: str) -> int:
    """``value`` if the C ABI's ``int64_t`` holds it; the library's invalid-argument error
    otherwise (it cannot cross the boundary for the library to refuse it)."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise invalid_argument(f"{name} is {value}, which does not fit in 64 bits")
    return value


def unix_seconds(value: object, name: str) -> int:
    """An aware ``datetime`` or ``int`` Unix seconds as int64 seconds (floored); ``None`` is
    0, which the library reads as now. Negative values (before 1970) go to the library, which
    refuses them."""
    if value is None:
        return 0
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value  # the common case, first
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise ValueError(
                f"{name} is a naive datetime (no tzinfo), which Python reads as local time: "
                "a token stamped with local time is off by the UTC offset (the bug of Layer's "
                "own Python sample). Use an aware datetime, e.g. "
                "datetime.now(timezone.utc), or int Unix seconds"
            )
        return int64((value - _EPOCH) // _SECOND, name)
    seconds = _int(
        value,
        name,
        "an aware datetime or int Unix seconds (for a float from time.time(), use int())",
    )
    return int64(seconds, name)


def duration_seconds(value: object, name: str) -> int:
    """A ``timedelta`` of whole seconds or ``int`` seconds as int64 seconds (the library
    refuses a negative one, and one beyond its limit)."""
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value  # the common case, first
    if isinstance(value, dt.timedelta):
        if value % _SECOND:
            raise ValueError(f"{name} must be a whole number of seconds, not {value}")
        return int64(value // _SECOND, name)
    return int64(_int(value, name, "a timedelta or int seconds"), name)


def uint32(value: object, name: str) -> int:
    """An ``int`` that the C ABI takes as ``uint32_t``."""
    number = _int(value, name, "int")
    if not 0 <= number <= _UINT32_MAX:
        raise invalid_argument(f"{name} must be between 0 and {_UINT32_MAX}, not {number}")
    return number


def metadata_pairs(value: object) -> list[tuple[bytes, bytes]]:
    """Metadata as (name, value) UTF-8 pairs, in the order given (the library sorts them and
    refuses an empty or repeated name)."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        items: Iterable[object] = value.items()
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        items = value
    else:
        raise TypeError(
            "metadata must be a mapping of str to str, or a sequence of (name, value) tuples, "
            f"not {_type_name(value)}"
        )
    pairs = []
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(
                f"metadata entries must be (name, value) tuples, not {_type_name(item)}"
            )
        key, entry = item
        if not isinstance(key, str):
            raise TypeError(f"metadata names must be str, not {_type_name(key)}")
        pairs.append((encode(key), text(entry, f"metadata[{key!r}]")))
    return pairs


def read_key_file(path: object) -> bytes:
    """The bytes of a key file, exactly as stored."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be str or os.PathLike, not {_type_name(path)}")
    with open(path, "rb") as file:
        return file.read()
