"""base64url without padding, and its strict (canonical-only) decoder."""

import base64
import re


def b64u(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64U_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def b64u_decode_strict(seg):
    """Canonical unpadded base64url only; returns bytes or None."""
    if not _B64U_RE.fullmatch(seg) or len(seg) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except ValueError:  # binascii.Error
        return None
    if b64u(data) != seg:
        return None
    return data


def b64u_len(n):
    return (4 * n + 2) // 3
