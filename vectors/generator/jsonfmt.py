"""JSON text: the string escaper that the token format specifies (what serde_json emits), compact
objects from ordered members, a strict parser (no duplicate member anywhere, no NaN), and the
ASCII dump of a vector file."""

import json
import re

from .common import fail


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t"}


def json_str(s):
    """Encode s as a JSON string: only ", \\ and U+0000..U+001F escaped; raw UTF-8 otherwise."""
    if "\x00" in s:
        fail("U+0000 must never appear in a vector string (C strings cannot carry it)")
    out = ['"']
    for ch in s:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            fail("lone surrogate in vector string")
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    enc = "".join(out)
    # The design's claim: Python's json.dumps(ensure_ascii=False) emits the same bytes.
    assert enc == json.dumps(s, ensure_ascii=False), (s, enc)
    return enc


def self_test_json_str():
    tricky = ('"\\/' + "".join(chr(c) for c in range(1, 0x20)) + "\x7f\u2028\u2029"
              + "é李😀e\u0301\u202e/")
    expected = ('"\\"\\\\/' + "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
                + "\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015"
                + "\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
                + "\x7f\u2028\u2029é李😀e\u0301\u202e/" + '"')
    assert json_str(tricky) == expected
    assert json.dumps(tricky, ensure_ascii=False) == expected
    assert json.dumps(tricky, ensure_ascii=False, separators=(",", ":")) == expected


def obj(members):
    """Compact JSON object from (name, raw JSON value text) pairs, in the given order."""
    return "{" + ",".join(json_str(k) + ":" + v for k, v in members) + "}"


def S(s):
    return json_str(s)


class DupError(Exception):
    pass


def _pairs_hook(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise DupError(k)
        seen.add(k)
    return dict(pairs)


def reject_constant(name):
    raise ValueError(name)


def strict_json(data):
    """Parse bytes as strict JSON: UTF-8, no duplicate member anywhere. None on failure."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, DupError):
        return None


def hexarg(data):
    """Raw bytes as a vector writes them: {"hex": "c3 28"} (lowercase pairs, single spaces)."""
    return {"hex": " ".join("%02x" % b for b in data)}


def hex_bytes(value):
    return bytes.fromhex(value["hex"].replace(" ", ""))


_HEX_NUL = re.compile(r'"hex": "([0-9a-f ]* )?00[ "]')


def _holds_u0000(value):
    return "\\u0000" in json.dumps(value, ensure_ascii=True).replace("\\\\", "")


def dump(doc):
    """The file's bytes: indented, pure ASCII JSON. A {"hex"} value never holds a 00 byte, and
    U+0000 appears only inside cases marked "abi": 3 (ABI 3's length-taking entry points carry
    it; the NUL-terminated ones cannot)."""
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    if _HEX_NUL.search(text):
        fail("NUL byte found in a {\"hex\"} vector argument")
    outside = {k: v for k, v in doc.items() if k != "cases"}
    if _holds_u0000(outside) or any(_holds_u0000(c) for c in doc["cases"]
                                    if c.get("abi", 2) < 3):
        fail("U+0000 found in a vector not marked \"abi\": 3 (C strings cannot carry it)")
    return text.encode("ascii")
