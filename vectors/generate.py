#!/usr/bin/python3
"""Generate the shared layer-identity test vectors, independently of layer-identity.

Usage:
    /usr/bin/python3 vectors/generate.py           # (re)write vectors/*.json and derived key files
    /usr/bin/python3 vectors/generate.py --check   # regenerate in memory; exit 1 if anything differs

Only the Python standard library and `cryptography` are used to produce expected values.
Every expected token (sign.json, env.json, and the accept cases of verify.json) is then
cross-checked with the `openssl` CLI (signature verification, and for sign.json and env.json
also byte-identical re-signing) and with PyJWT (a second, independent JWS implementation).

RSA/EC/Ed25519 keys (including the unusual-exponent ones, and the OpenSSH keys made with
ssh-keygen) are random: they are generated only when missing and then committed.
Everything else is deterministic (RSASSA-PKCS1-v1_5 is deterministic; the single PS256
signature uses a fixed salt computed here), so running this twice gives identical files.
"""

import argparse
import base64
import datetime
import difflib
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = "vectors/generate.py (Python cryptography, independent of layer-identity)"
PASSPHRASE = "correct horse battery staple"
CTY = "layer-eit;v=1"
MAX_TOKEN_BYTES = 16384
MS_THRESHOLD = 100_000_000_000
ATTRIBUTE_ORDER = ["first_name", "last_name", "display_name", "avatar_url"]
FLAG_BITS = {"TYP_JWT": 1, "ALLOW_1024_BIT_KEY": 2}

# ---------------------------------------------------------------------------------------------
# IDs used throughout (random-looking v4 UUIDs, plus a v1 one as issued by Layer in 2015).
PROVIDER_UUID = "5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_UUID = "a1b2c3d4-e5f6-4789-8abc-def012345678"
OTHER_PROVIDER_UUID = "0e8f7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
OTHER_KEY_UUID = "b7c6d5e4-f3a2-4190-8e7d-6c5b4a392817"
V1_PROVIDER_UUID = "8d0f3e4c-3e2b-11e5-a5e6-4e4e3c12a2b1"
V1_KEY_UUID = "f26a1b9e-3e2b-11e5-9c2a-f6ad5b0017e3"
PID = "layer:///providers/" + PROVIDER_UUID
KID = "layer:///keys/" + KEY_UUID
OTHER_PID = "layer:///providers/" + OTHER_PROVIDER_UUID
OTHER_KID = "layer:///keys/" + OTHER_KEY_UUID

USER = "alice@example.com"
NONCE = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE"
IAT = 1700000000
TTL = 600
EXP = IAT + TTL
NOW = 1700000100

# RFC 7515 Appendix A.2 example (public data; key copied from tests/data).
RFC7515_A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbd"
    "s9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZ"
    "RmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs"
    "98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
RFC7515_A2_KEY_SOURCES = [
    os.path.join(HERE, "..", "tests", "data", "rfc7515_a2_public_spki.pem"),
]


class VectorError(Exception):
    pass


def fail(msg):
    raise VectorError(msg)


# ---------------------------------------------------------------------------------------------
# JSON string encoding exactly as specified (what serde_json emits).

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


def _self_test_json_str():
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


# ---------------------------------------------------------------------------------------------
# base64url

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


# ---------------------------------------------------------------------------------------------
# Keys

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
PKCS8 = serialization.PrivateFormat.PKCS8
PKCS1 = serialization.PrivateFormat.TraditionalOpenSSL
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
NOENC = serialization.NoEncryption()

RSA_KEYS = [  # name, bits, which extra files
    ("rsa2048", 2048, "full"),
    ("rsa3072", 3072, "std"),
    ("rsa4096", 4096, "std"),
    ("rsa1024", 1024, "pub"),
    ("rsa512", 512, "none"),
    ("rsa2048-other", 2048, "pub"),
]


# Keys with unusual public exponents. The library accepts an odd e with 3 <= e <= 2^32 - 1 and
# e < n. cryptography only generates e = 3 or 65537, so the others are made here from primes we
# pick ourselves (e = 2^32 - 1 and a 300-bit prime e), or hand-encoded as DER where cryptography
# refuses the numbers (e = 1, e even, e >= n).
E_MAX = 2**32 - 1
EXPONENT_KEYS = [  # name, e (None: a random 300-bit prime)
    ("rsa2048-e3", 3),
    ("rsa2048-e-2pow32minus1", E_MAX),
    ("rsa2048-e-huge", None),
]
_PRIME_BASES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
                79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163]


def is_probable_prime(n):
    """Miller-Rabin with the fixed bases above (deterministic; the numbers are not adversarial)."""
    if n < 2:
        return False
    for b in _PRIME_BASES:
        if n % b == 0:
            return n == b
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in _PRIME_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits, ok=lambda p: True):
    while True:
        p = secrets.randbits(bits) | (3 << (bits - 2)) | 1  # top two bits set: p*q has 2*bits
        if ok(p) and is_probable_prime(p):
            return p


def carmichael(p, q):
    return (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)


def rsa_key_with_exponent(e, bits=2048):
    """A random RSA key with public exponent e: primes p, q with gcd(e, p-1) = gcd(e, q-1) = 1
    (so gcd(e, lambda(n)) = 1), d = e^-1 mod lambda(n), CRT values derived from them."""
    while True:
        p = random_prime(bits // 2, lambda p: math.gcd(e, p - 1) == 1)
        q = random_prime(bits // 2, lambda q: math.gcd(e, q - 1) == 1)
        if p != q:
            break
    p, q = max(p, q), min(p, q)
    d = pow(e, -1, carmichael(p, q))
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                 rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q)
                                 ).private_key()


def _der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _der_uint(v):
    return _der(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


RSA_ENCRYPTION_ALG_ID = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101"))
                             + b"\x05\x00")


def spki_der(n, e):
    """SubjectPublicKeyInfo for rsaEncryption (RFC 8017 A.1.1), encoded by hand: no checks."""
    return _der(0x30, RSA_ENCRYPTION_ALG_ID + _der(0x03, b"\x00" + _der(0x30, _der_uint(n)
                                                                           + _der_uint(e))))


def pem_armor(label, der):
    b64 = base64.b64encode(der)
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return (b"-----BEGIN " + label + b"-----\n" + b"\n".join(lines) + b"\n-----END " + label
            + b"-----\n")


def rsa_public_numbers(key):
    return key.public_key().public_numbers() if isinstance(key, rsa.RSAPrivateKey) \
        else key.public_numbers()


def exponent_ok(key):
    """The library's public-exponent rule: odd, at least 3, at most 2^32 - 1, less than n."""
    pn = rsa_public_numbers(key)
    return pn.e % 2 == 1 and 3 <= pn.e <= E_MAX and pn.e < pn.n


def same_key(a, b):
    if isinstance(a, rsa.RSAPrivateKey) and isinstance(b, rsa.RSAPrivateKey):
        return a.private_numbers() == b.private_numbers()
    pa = a.public_key().public_bytes(DER, SPKI)
    pb = b.public_key().public_bytes(DER, SPKI)
    return pa == pb and type(a) is type(b)


def escape_newlines(pem):
    return pem.replace(b"\n", b"\\n")


def build_keys(check):
    """Returns (files: rel -> bytes, keys: name -> private key object)."""
    files, keys = {}, {}

    def primary(rel, maker):
        path = os.path.join(HERE, rel)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
        else:
            if check:
                fail("missing key file vectors/%s (run generate.py without --check)" % rel)
            data = maker()
        files[rel] = data
        return serialization.load_pem_private_key(data, None)

    def encrypted(rel, key):
        path = os.path.join(HERE, rel)
        data = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            try:
                k = serialization.load_pem_private_key(data, PASSPHRASE.encode())
                ok = same_key(k, key) and data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            except Exception:  # noqa: BLE001
                ok = False
            if not ok:
                if check:
                    fail("vectors/%s does not decrypt to the matching key" % rel)
                data = None
        if data is None:
            if check:
                fail("missing key file vectors/%s" % rel)
            data = key.private_bytes(PEM, PKCS8,
                                     serialization.BestAvailableEncryption(PASSPHRASE.encode()))
        files[rel] = data

    for name, bits, extra in RSA_KEYS:
        key = primary("keys/%s.pkcs8.pem" % name,
                      lambda bits=bits: rsa.generate_private_key(65537, bits).private_bytes(
                          PEM, PKCS8, NOENC))
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != bits:
            fail("keys/%s.pkcs8.pem is not a %d-bit RSA key" % (name, bits))
        keys[name] = key
        pkcs8 = key.private_bytes(PEM, PKCS8, NOENC)
        if files["keys/%s.pkcs8.pem" % name] != pkcs8:
            fail("keys/%s.pkcs8.pem is not in canonical PKCS#8 PEM form" % name)
        if extra in ("full", "std", "pub"):
            files["keys/%s.public.pem" % name] = key.public_key().public_bytes(PEM, SPKI)
        if extra in ("full", "std"):
            files["keys/%s.pkcs1.pem" % name] = key.private_bytes(PEM, PKCS1, NOENC)
            encrypted("keys/%s.pkcs8.encrypted.pem" % name, key)
        if extra == "full":
            pkcs1 = files["keys/%s.pkcs1.pem" % name]
            files["keys/%s.pkcs8.der.b64" % name] = base64.b64encode(
                key.private_bytes(DER, PKCS8, NOENC))
            files["keys/%s.pkcs1.crlf.pem" % name] = pkcs1.replace(b"\n", b"\r\n")
            files["keys/%s.pkcs8.escaped.txt" % name] = escape_newlines(pkcs8)
            files["keys/%s.pkcs8.padded.pem" % name] = b"\n  \t\n   " + pkcs8 + b" \t\n\n  \n\t"
            # Flattened PEM, as pasted into an environment variable that lost its line breaks
            # (tr -d '\n'), or had them turned into spaces.
            public = files["keys/%s.public.pem" % name]
            flat = {
                "pkcs8.oneline.pem": (pkcs8.replace(b"\n", b""), pkcs8),
                "pkcs8.spaces.pem": (pkcs8.rstrip(b"\n").replace(b"\n", b" "), pkcs8),
                "pkcs1.oneline.pem": (pkcs1.replace(b"\n", b""), pkcs1),
                "pkcs8.encrypted.oneline.pem": (
                    files["keys/%s.pkcs8.encrypted.pem" % name].replace(b"\n", b""),
                    files["keys/%s.pkcs8.encrypted.pem" % name]),
                "public.oneline.pem": (public.replace(b"\n", b""), public),
            }
            for suffix, (text, original) in flat.items():
                if b"\n" in text or key_text_form(text)[1] != original:
                    fail("flattened %s does not read back as the original PEM" % suffix)
                files["keys/%s.%s" % (name, suffix)] = text
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                                "layer-identity vectors")]))
                    .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                               "layer-identity vectors")]))
                    .public_key(key.public_key()).serial_number(0x2048)
                    .not_valid_before(datetime.datetime(2023, 11, 14))
                    .not_valid_after(datetime.datetime(2033, 11, 14))
                    .sign(key, hashes.SHA256()))
            files["keys/%s.cert.pem" % name] = cert.public_bytes(PEM)

    for name, e in EXPONENT_KEYS:
        rel = "keys/%s.pkcs8.pem" % name
        if e == 3:
            maker = lambda: rsa.generate_private_key(3, 2048).private_bytes(PEM, PKCS8, NOENC)
        else:
            maker = lambda e=e: rsa_key_with_exponent(e or random_prime(300)).private_bytes(
                PEM, PKCS8, NOENC)
        key = primary(rel, maker)
        pn = key.private_numbers() if isinstance(key, rsa.RSAPrivateKey) else None
        if (pn is None or key.key_size != 2048 or files[rel] != key.private_bytes(PEM, PKCS8, NOENC)
                or (e is not None and pn.public_numbers.e != e)
                or (e is None and (pn.public_numbers.e.bit_length() != 300
                                   or not is_probable_prime(pn.public_numbers.e)))
                or not (is_probable_prime(pn.p) and is_probable_prime(pn.q))
                or pn.p * pn.q != pn.public_numbers.n
                or pn.d * pn.public_numbers.e % carmichael(pn.p, pn.q) != 1):
            fail("%s is not a consistent canonical 2048-bit RSA key with the intended e" % rel)
        if (e is None) == exponent_ok(key):
            fail("%s: exponent rule does not give the intended verdict" % rel)
        keys[name] = key
        files["keys/%s.public.pem" % name] = key.public_key().public_bytes(PEM, SPKI)
    # Public keys refused for their exponent, on the rsa2048 modulus (derived, deterministic).
    n2048 = keys["rsa2048"].public_key().public_numbers().n
    for name, e in (("rsa2048-e-2pow32plus1", 2**32 + 1), ("rsa2048-e-ge-n", n2048),
                    ("rsa2048-e1", 1), ("rsa2048-e-even", 65536)):
        pem = pem_armor(b"PUBLIC KEY", spki_der(n2048, e))
        loaded = serialization.load_pem_public_key(pem)
        if loaded.public_numbers() != rsa.RSAPublicNumbers(e, n2048) or exponent_ok(loaded):
            fail("keys/%s.public.pem: cryptography reads other numbers back" % name)
        if e == 2**32 + 1 and pem != rsa.RSAPublicNumbers(e, n2048).public_key().public_bytes(
                PEM, SPKI):
            fail("hand-made SPKI differs from cryptography's")
        files["keys/%s.public.pem" % name] = pem
        keys[name + "-public"] = loaded

    ec_key = primary("keys/ec-p256.pkcs8.pem",
                     lambda: ec.generate_private_key(ec.SECP256R1()).private_bytes(PEM, PKCS8, NOENC))
    if not isinstance(ec_key, ec.EllipticCurvePrivateKey):
        fail("keys/ec-p256.pkcs8.pem is not an EC key")
    keys["ec-p256"] = ec_key
    files["keys/ec-p256.public.pem"] = ec_key.public_key().public_bytes(PEM, SPKI)
    ed_key = primary("keys/ed25519.pkcs8.pem",
                     lambda: ed25519.Ed25519PrivateKey.generate().private_bytes(PEM, PKCS8, NOENC))
    if not isinstance(ed_key, ed25519.Ed25519PrivateKey):
        fail("keys/ed25519.pkcs8.pem is not an Ed25519 key")
    keys["ed25519"] = ed_key

    # OpenSSH-format private keys (made once with ssh-keygen, then kept): refused, and the
    # library's message must say "OpenSSH".
    for rel, keygen_args, kind in (
            ("keys/ed25519.openssh", ["-t", "ed25519"], ed25519.Ed25519PrivateKey),
            ("keys/rsa2048.openssh", ["-t", "rsa", "-b", "2048"], rsa.RSAPrivateKey)):
        path = os.path.join(HERE, rel)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
        else:
            if check:
                fail("missing key file vectors/%s (run generate.py without --check)" % rel)
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "key")
                r = subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", "", "-f", out]
                                   + keygen_args, capture_output=True)
                if r.returncode != 0:
                    fail("ssh-keygen failed: %s" % r.stderr)
                with open(out, "rb") as f:
                    data = f.read()
        k = serialization.load_ssh_private_key(data, None)
        if not data.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----\n") or not isinstance(
                k, kind) or (kind is rsa.RSAPrivateKey and k.key_size != 2048):
            fail("vectors/%s is not an unencrypted OpenSSH %s key" % (rel, kind.__name__))
        files[rel] = data

    # RFC 7515 A.2 public key: copied once from tests/data, then kept.
    rel = "keys/rfc7515-a2.public.pem"
    path = os.path.join(HERE, rel)
    data = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
    elif not check:
        for src in RFC7515_A2_KEY_SOURCES:
            if os.path.exists(src):
                with open(src, "rb") as f:
                    data = f.read()
                break
    if data is None:
        fail("missing vectors/%s (copy of tests/data/rfc7515_a2_public_spki.pem)" % rel)
    files[rel] = data
    keys["rfc7515-a2-public"] = serialization.load_pem_public_key(data)
    return files, keys


PRIVATE_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY")
# Exactly one PEM block: matching labels, a body of base64 and whitespace only, nothing after.
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----([A-Za-z0-9+/=\s]*)"
                        rb"-----END \1-----")


def key_text_form(text):
    """Our own reading of the documented key-text forms (independent of the library).

    Surrounding whitespace is trimmed; a text without a real newline has its literal \\n
    escapes turned into newlines; CRLF becomes LF. Then either base64 DER (no armor), returned
    as (None, der), or exactly one PEM block, returned as (label, canonical PEM): the body
    between the armor lines has all whitespace removed and is re-wrapped at 64 columns, which
    is how flattened PEM (line breaks lost or turned into spaces) is read. openssl and
    cryptography refuse flattened PEM as such, hence the re-wrapping."""
    t = text.strip()
    if b"\n" not in t and b"\\n" in t:
        t = t.replace(b"\\n", b"\n").strip()
    t = t.replace(b"\r\n", b"\n")
    if not t.startswith(b"-----BEGIN"):
        return None, base64.b64decode(t, validate=True)
    m = _PEM_BLOCK.fullmatch(t)
    if m is None:
        raise ValueError("not exactly one PEM block with matching BEGIN and END lines")
    der = base64.b64decode(re.sub(rb"\s+", b"", m.group(2)), validate=True)
    return m.group(1), pem_armor(m.group(1), der)


def tolerant_load_private(text, passphrase):
    label, data = key_text_form(text)
    pw = passphrase.encode() if passphrase is not None else None
    if label is None:
        return serialization.load_der_private_key(data, pw)
    if label not in PRIVATE_LABELS:
        raise ValueError("a %s block is not a private key" % label.decode())
    return serialization.load_pem_private_key(data, pw)


def tolerant_load_public(text):
    label, data = key_text_form(text)
    if label != b"PUBLIC KEY":
        raise ValueError("not a PUBLIC KEY block")
    return serialization.load_pem_public_key(data)


def public_pem_of(key_text, passphrase=None):
    """Public SPKI PEM for a key file that holds either a public or a private key."""
    if b"PUBLIC KEY" in key_text:
        return tolerant_load_public(key_text).public_bytes(PEM, SPKI)
    return tolerant_load_private(key_text, passphrase).public_key().public_bytes(PEM, SPKI)


# ---------------------------------------------------------------------------------------------
# Signing primitives

def rs256(key, data):
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def mgf1_sha256(seed, length):
    out, counter = b"", 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def prb(label, n):
    """Deterministic pseudo-random bytes."""
    return mgf1_sha256(label.encode(), n)


def ps256_deterministic(key, msg, salt):
    """RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) with a fixed salt, via raw RSA."""
    pn = key.private_numbers()
    n, d = pn.public_numbers.n, pn.d
    mod_bits = n.bit_length()
    em_bits = mod_bits - 1
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.sha256(msg).digest()
    h = hashlib.sha256(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - 32 - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1_sha256(h, em_len - 32 - 1)))
    masked = bytes([masked[0] & (0xFF >> (8 * em_len - em_bits))]) + masked[1:]
    em = masked + h + b"\xbc"
    sig = pow(int.from_bytes(em, "big"), d, n).to_bytes((mod_bits + 7) // 8, "big")
    key.public_key().verify(sig, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                            hashes.SHA256())
    return sig


def make_jws(header, claims, key=None, sig=None):
    signing_input = b64u(header) + "." + b64u(claims)
    if sig is None:
        sig = rs256(key, signing_input.encode("ascii"))
    return signing_input + "." + b64u(sig)


# ---------------------------------------------------------------------------------------------
# Reference rules (used only to self-check the crafted vectors against the written policy)

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def valid_id(value, prefix):
    if value.startswith(prefix):
        value = value[len(prefix):]
    return bool(UUID_RE.fullmatch(value))


class DupError(Exception):
    pass


def _pairs_hook(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise DupError(k)
        seen.add(k)
    return dict(pairs)


def _reject_constant(name):
    raise ValueError(name)


def strict_json(data):
    """Parse bytes as strict JSON: UTF-8, no duplicate member anywhere. None on failure."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, DupError):
        return None


def metadata_claim_ok(value):
    """The metadata claim: absent or null, or an object whose values are all strings."""
    return value is None or (isinstance(value, dict)
                             and all(isinstance(v, str) for v in value.values()))


def reference_verify(token, pub, provider_id, key_id, expected_nonce, now, leeway):
    """Returns (status, eit, claims_json_or_None), following the rules in README.md order."""
    mal = "LAYER_ERR_MALFORMED_TOKEN"
    if len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        return mal, "eit_malformed_json", None
    parts = token.split(".")
    if len(parts) != 3:
        return mal, "eit_wrong_jws_part_count", None
    raw = [b64u_decode_strict(p) for p in parts]
    if any(r is None for r in raw):
        return mal, "eit_malformed_base64url", None
    hdr = strict_json(raw[0])
    if not isinstance(hdr, dict):
        return mal, "eit_malformed_json", None
    # Rule 5 in three passes over the whole header (never member by member): first the
    # presence of all four members, then their types, then extra members and values.
    required = ["typ", "alg", "cty", "kid"]
    if any(k not in hdr for k in required):
        return mal, "eit_header_param_not_found", None
    if any(not isinstance(hdr[k], str) for k in required):
        return mal, "eit_header_param_wrong_type", None
    if set(hdr) != set(required):
        return mal, "eit_header_param_wrong_value", None
    if hdr["alg"] != "RS256" or hdr["typ"] not in ("JWS", "JWT") or hdr["cty"] != CTY:
        return mal, "eit_header_param_wrong_value", None
    # Rule 6.
    if hdr["kid"] != key_id:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_key_not_found", None
    try:
        pub.verify(raw[2], (parts[0] + "." + parts[1]).encode("ascii"), padding.PKCS1v15(),
                   hashes.SHA256())
    except InvalidSignature:
        return "LAYER_ERR_BAD_SIGNATURE", "eit_signature_verification_failed", None
    claims = strict_json(raw[1])
    if not isinstance(claims, dict):
        return mal, "eit_malformed_json", None
    if any(k not in claims for k in ["iss", "prn", "iat", "exp", "nce"]):
        return mal, "eit_claim_not_found", None
    wrong = (not isinstance(claims["iss"], str)
             or not isinstance(claims["prn"], str) or claims["prn"] == ""
             or not isinstance(claims["nce"], str) or claims["nce"] == ""
             or type(claims["iat"]) is not int or type(claims["exp"]) is not int
             or any(claims.get(a) is not None and not isinstance(claims[a], str)
                    for a in ATTRIBUTE_ORDER)
             or not metadata_claim_ok(claims.get("metadata")))
    if wrong or claims["iat"] >= claims["exp"]:
        return mal, "eit_claim_wrong_type", None
    if claims["iss"] != provider_id:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_provider_not_found", None
    if now <= 0:
        now = int(time.time())
    if claims["exp"] <= now - leeway:
        return "LAYER_ERR_EXPIRED", "eit_expired", None
    if claims["iat"] > now + leeway:
        return "LAYER_ERR_NOT_YET_VALID", "eit_not_before", None
    if expected_nonce is not None and claims["nce"] != expected_nonce:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_nonce_not_found", None
    return "LAYER_OK", None, raw[1].decode("utf-8")


# ---------------------------------------------------------------------------------------------
# sign.json

class _Members(dict):
    """A parsed JSON object that remembers which of its member names were duplicated."""
    dups = ()


def _members_hook(pairs):
    obj_ = _Members(pairs)
    names = [k for k, _ in pairs]
    obj_.dups = {k for k in names if names.count(k) > 1}
    return obj_


def attributes_problem(attributes_json):
    """Our reading of the attributes_json rules: None when valid, else the lowercase fragment
    the error message is guaranteed to hold: "duplicate" for a duplicated metadata name (the
    JSON reader reports it, maybe without naming metadata), "metadata" for a metadata fault,
    "attributes" for everything else (invalid JSON, a duplicated top-level member, a member
    that is not an attribute, an attribute that is not a string, null included)."""
    try:
        parsed = json.loads(attributes_json, object_pairs_hook=_members_hook,
                            parse_constant=_reject_constant)
    except ValueError:
        return "attributes"
    if not isinstance(parsed, dict) or parsed.dups:
        return "attributes"
    for k, v in parsed.items():
        if k == "metadata":
            if v is None:
                continue
            if not isinstance(v, dict):
                return "metadata"
            if v.dups:
                return "duplicate"
            if any(name == "" or not isinstance(value, str) for name, value in v.items()):
                return "metadata"
        elif k not in ATTRIBUTE_ORDER or not isinstance(v, str):
            return "attributes"
    return None


def canonical_attributes(attributes_json):
    """(attributes in token order, metadata members sorted by name) of a valid attributes_json.
    An empty or null metadata object gives no members (no "metadata" claim)."""
    if attributes_json is None:
        return [], []
    if attributes_problem(attributes_json) is not None:
        fail("invalid attributes_json in a sign case: %r" % attributes_json)
    parsed = json.loads(attributes_json)
    attrs = [(k, parsed[k]) for k in ATTRIBUTE_ORDER if k in parsed]
    metadata = sorted((parsed.get("metadata") or {}).items(), key=lambda kv: kv[0])
    # Code-point order (Python's str order) is UTF-8 byte order; it is not UTF-16 order.
    assert metadata == sorted(metadata, key=lambda kv: kv[0].encode("utf-8"))
    return attrs, metadata


def expected_header(key_id, typ_jwt):
    return obj([("typ", S("JWT" if typ_jwt else "JWS")), ("alg", S("RS256")), ("cty", S(CTY)),
                ("kid", S(key_id))])


def expected_claims(provider_id, user_id, iat, exp, nonce, attrs, metadata=()):
    members = [("iss", S(provider_id)), ("prn", S(user_id)), ("iat", str(iat)), ("exp", str(exp)),
               ("nce", S(nonce))]
    members += [(k, S(v)) for k, v in attrs]
    if metadata:
        members.append(("metadata", obj([(k, S(v)) for k, v in metadata])))
    return obj(members)


LONG_USER = "".join("user%05d|" % i for i in range(456))[:4096]
LONG_NONCE = base64.b64encode(prb("long-nonce", 750)).decode("ascii")
assert len(LONG_USER) == 4096 and len(LONG_NONCE) == 1000


def sign_case_specs():
    """Inputs of every sign case. Expected values are computed from these."""
    P, K, U, N = PID, KID, USER, NONCE
    base = dict(passphrase=None, provider_id=P, key_id=K, user_id=U, nonce=N, issued_at=IAT,
                ttl_seconds=TTL, flags=[], attributes_json=None)
    specs = []

    def add(name, key_file, **kw):
        d = dict(base)
        d.update(kw)
        d["name"] = name
        d["private_key_file"] = key_file
        specs.append(d)

    pw = PASSPHRASE
    # Same key, same inputs, every key form: all must give the identical token.
    add("keyform-2048-pkcs8", "keys/rsa2048.pkcs8.pem")
    add("keyform-2048-pkcs1", "keys/rsa2048.pkcs1.pem")
    add("keyform-2048-pkcs8-encrypted", "keys/rsa2048.pkcs8.encrypted.pem", passphrase=pw)
    add("keyform-2048-pkcs8-der-b64", "keys/rsa2048.pkcs8.der.b64")
    add("keyform-2048-pkcs1-crlf", "keys/rsa2048.pkcs1.crlf.pem")
    add("keyform-2048-pkcs8-escaped-newlines", "keys/rsa2048.pkcs8.escaped.txt")
    add("keyform-2048-pkcs8-padded-whitespace", "keys/rsa2048.pkcs8.padded.pem")
    add("keyform-2048-pkcs8-oneline", "keys/rsa2048.pkcs8.oneline.pem")
    add("keyform-2048-pkcs8-spaces", "keys/rsa2048.pkcs8.spaces.pem")
    add("keyform-2048-pkcs1-oneline", "keys/rsa2048.pkcs1.oneline.pem")
    add("keyform-2048-pkcs8-encrypted-oneline", "keys/rsa2048.pkcs8.encrypted.oneline.pem",
        passphrase=pw)
    add("ttl-0-means-600", "keys/rsa2048.pkcs8.pem", ttl_seconds=0)
    # Public exponents at both ends of the accepted range (3 and 2^32 - 1).
    add("exponent-3-pkcs8", "keys/rsa2048-e3.pkcs8.pem")
    add("exponent-4294967295-pkcs8", "keys/rsa2048-e-2pow32minus1.pkcs8.pem")
    # Key sizes (3072 and 4096 in three forms each; legacy 1024 only with the flag).
    for bits in (3072, 4096):
        add("keysize-%d-pkcs8" % bits, "keys/rsa%d.pkcs8.pem" % bits)
        add("keysize-%d-pkcs1" % bits, "keys/rsa%d.pkcs1.pem" % bits)
        add("keysize-%d-pkcs8-encrypted" % bits, "keys/rsa%d.pkcs8.encrypted.pem" % bits,
            passphrase=pw)
    add("keysize-1024-allow-flag", "keys/rsa1024.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"])
    add("keysize-1024-allow-flag-typ-jwt", "keys/rsa1024.pkcs8.pem",
        flags=["TYP_JWT", "ALLOW_1024_BIT_KEY"])
    # typ
    add("typ-jwt", "keys/rsa2048.pkcs8.pem", flags=["TYP_JWT"])
    add("typ-jwt-encrypted-key-with-attributes", "keys/rsa2048.pkcs8.encrypted.pem",
        passphrase=pw, flags=["TYP_JWT"],
        attributes_json='{"display_name":"Alice Liddell","first_name":"Alice"}')
    # Attributes
    add("attr-first-name-only", "keys/rsa2048.pkcs8.pem", attributes_json='{"first_name":"Alice"}')
    add("attr-last-name-only", "keys/rsa2048.pkcs8.pem", attributes_json='{"last_name":"Liddell"}')
    add("attr-display-name-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"display_name":"Alice L."}')
    add("attr-avatar-url-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"avatar_url":"https://cdn.example.com/avatars/alice.png?s=128&v=2"}')
    add("attr-all-four", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"first_name":"Alice","last_name":"Liddell","display_name":"Alice L.",'
                        '"avatar_url":"https://cdn.example.com/avatars/alice.png"}')
    add("attr-all-four-scrambled-order", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"avatar_url":"https://cdn.example.com/avatars/alice.png",'
                        '"display_name":"Alice L.","last_name":"Liddell","first_name":"Alice"}')
    add("attr-two-reversed", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"last_name":"Liddell","first_name":"Alice"}')
    add("attr-values-needing-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({
            "first_name": 'Bob "The Builder"',
            "last_name": "O\\Brien/Smith\b\f\n\r\t",
            "display_name": "ctl\u0001\u001f del\u007f ls\u2028 end",
            "avatar_url": "https://example.com/a.png?x=\"1\"&y=\\2",
        }, ensure_ascii=True, separators=(",", ":")))
    add("attr-values-non-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({
            "first_name": "José",
            "last_name": "Łukasiewicz-Müller",
            "display_name": "山田太郎 😀 𝄞 مرحبا",
            "avatar_url": "https://example.com/avatars/ü/李.png",
        }, ensure_ascii=False, separators=(",", ":")))
    add("attr-input-pretty-printed-with-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json='{\n  "display_name" : "Jos\\u00e9 \\ud83d\\ude00",\n'
                        '  "avatar_url" : "https:\\/\\/example.com\\/a.png"\n}\n')
    add("attr-empty-object", "keys/rsa2048.pkcs8.pem", attributes_json="{}")
    # Metadata: after the attributes, members sorted by name in code-point order (= UTF-8 byte
    # order, which is not UTF-16 order); {} and null mean no metadata claim at all.

    def meta(pairs, **top):
        doc = dict(top)
        doc["metadata"] = dict(pairs)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    add("meta-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"team":"blue","plan":"pro"}}')
    add("meta-with-all-four-attributes-scrambled", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"tier":"gold","account_id":"42"},'
                        '"avatar_url":"https://cdn.example.com/avatars/alice.png",'
                        '"display_name":"Alice L.","last_name":"Liddell","first_name":"Alice"}')
    add("meta-names-sorted-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("zeta", "1"), ("Zeta", "2"), ("alpha", "3"), ("Alpha", "4"),
                              ("_under", "5"), ("2", "6"), ("10", "7"), ("ab", "8"), ("a b", "9"),
                              ("a", "10"), ("a-b", "11"), ("A1", "12")]))
    add("meta-names-sorted-non-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("😀", "grin"), ("李", "li"), ("é", "e-acute"), ("z", "zed"),
                              ("É", "E-acute"), ("e", "e")]))
    add("meta-names-astral-sorts-after-bmp", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("😀", "U+1F600"), ("Ａ", "U+FF21"), ("𝄞", "U+1D11E"),
                              ("ﬁ", "U+FB01"), ("☃", "U+2603")]))
    add("meta-names-and-values-needing-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({"metadata": {
            "x": 'say "hi"', "\\x": "C:\\path\\file", "/x": "https://example.com/a/b",
            '"x': "line1\nline2\ttab", "\nx": "ctl\u0001\u001f del\u007f", "\u0001x": "/"}},
            ensure_ascii=True, separators=(",", ":")))
    add("meta-input-with-json-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json='{ "metadata" : { "caf\\u00e9" : "na\\u00efve \\ud83d\\ude00",'
                        ' "\\u007a" : "z", "b" : "x\\/y", "\\u0041" : "A" } }')
    add("meta-names-shadow-claims-and-attributes", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("prn", "not-the-user"), ("iss", "not-the-issuer"),
                              ("first_name", "Mallory")], first_name="Alice"))
    add("meta-empty-string-value", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"nickname":""}}')
    add("meta-typ-jwt-encrypted-key", "keys/rsa2048.pkcs8.encrypted.pem", passphrase=pw,
        flags=["TYP_JWT"], attributes_json='{"display_name":"Alice L.","metadata":{"plan":"pro"}}')
    add("meta-empty-object", "keys/rsa2048.pkcs8.pem", attributes_json='{"metadata":{}}')
    add("meta-null", "keys/rsa2048.pkcs8.pem", attributes_json='{"metadata":null}')
    add("meta-empty-object-with-attribute", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{},"first_name":"Alice"}')
    # User IDs and nonces
    add("user-numeric-id", "keys/rsa2048.pkcs8.pem", user_id="1234567890")
    add("user-special-chars", "keys/rsa2048.pkcs8.pem", user_id='say "hi" \\ back/slash/')
    add("user-control-chars", "keys/rsa2048.pkcs8.pem",
        user_id="a\bb\fc\nd\re\tf\u0001g\u001fh\u007fi\u2028j")
    add("nonce-special-and-control-chars", "keys/rsa2048.pkcs8.pem",
        nonce='n"o\\n/ce\b\f\n\r\t\u0001\u001f\u007f\u2028')
    add("user-accents", "keys/rsa2048.pkcs8.pem", user_id="José Ñúñez-Gonçalves Ångström")
    add("user-cjk", "keys/rsa2048.pkcs8.pem", user_id="山田太郎@例え.jp")
    add("user-emoji-astral", "keys/rsa2048.pkcs8.pem",
        user_id="👩🏽\u200d💻 dev 𝄞 🏳️\u200d🌈")
    add("user-combining-marks", "keys/rsa2048.pkcs8.pem",
        user_id="Zoe\u0308 Jose\u0301 n\u0303 a\u030a")
    add("user-rtl", "keys/rsa2048.pkcs8.pem",
        user_id="مستخدم \u200fעברית\u202e txt.exe")
    add("nonce-non-ascii", "keys/rsa2048.pkcs8.pem", nonce="nonce-ü-李-🚀")
    add("nonce-standard-base64-with-padding", "keys/rsa2048.pkcs8.pem",
        nonce=base64.b64encode(prb("nonce-std", 37)).decode("ascii"))
    add("user-long-4096-chars", "keys/rsa2048.pkcs8.pem", user_id=LONG_USER)
    add("nonce-long-1000-chars", "keys/rsa2048.pkcs8.pem", nonce=LONG_NONCE)
    # ID forms
    add("ids-bare-uuid-lowercase", "keys/rsa2048.pkcs8.pem", provider_id=PROVIDER_UUID,
        key_id=KEY_UUID)
    add("ids-bare-uuid-uppercase", "keys/rsa2048.pkcs8.pem", provider_id=PROVIDER_UUID.upper(),
        key_id=KEY_UUID.upper())
    add("ids-uri-uppercase-uuid", "keys/rsa2048.pkcs8.pem",
        provider_id="layer:///providers/" + PROVIDER_UUID.upper(),
        key_id="layer:///keys/" + KEY_UUID.upper())
    add("ids-uri-provider-bare-key", "keys/rsa2048.pkcs8.pem", key_id=KEY_UUID)
    add("ids-time-based-v1-uuid", "keys/rsa2048.pkcs8.pem",
        provider_id="layer:///providers/" + V1_PROVIDER_UUID,
        key_id="layer:///keys/" + V1_KEY_UUID)
    # Time
    add("ttl-1", "keys/rsa2048.pkcs8.pem", ttl_seconds=1)
    add("ttl-3600", "keys/rsa2048.pkcs8.pem", ttl_seconds=3600)
    add("ttl-86400", "keys/rsa2048.pkcs8.pem", ttl_seconds=86400)
    add("iat-1", "keys/rsa2048.pkcs8.pem", issued_at=1)
    add("iat-2100-01-01", "keys/rsa2048.pkcs8.pem", issued_at=4102444800, ttl_seconds=86400)
    add("iat-largest-below-milliseconds-threshold", "keys/rsa2048.pkcs8.pem",
        issued_at=MS_THRESHOLD - 1)
    add("realistic-numeric-user-4096-key-jwt", "keys/rsa4096.pkcs8.pem", user_id="987654321",
        nonce=base64.urlsafe_b64encode(prb("nonce-r", 32)).decode("ascii").rstrip("="),
        flags=["TYP_JWT"], attributes_json='{"display_name":"Dana Q.","first_name":"Dana"}')
    return specs


def build_sign(files, keys):
    cases = []
    for spec in sign_case_specs():
        key_text = files[spec["private_key_file"]]
        key = tolerant_load_private(key_text, spec["passphrase"])
        key_name = spec["private_key_file"].split("/")[1].split(".")[0]
        if not same_key(key, keys[key_name]):
            fail("%s: key form does not load to %s" % (spec["name"], key_name))
        if key.key_size == 1024 and "ALLOW_1024_BIT_KEY" not in spec["flags"]:
            fail("%s: 1024-bit key without the flag" % spec["name"])
        for s in (spec["provider_id"], spec["key_id"], spec["user_id"], spec["nonce"]):
            json_str(s)  # asserts the escaping claim, no U+0000
        if not valid_id(spec["provider_id"], "layer:///providers/") or not valid_id(
                spec["key_id"], "layer:///keys/"):
            fail("%s: invalid ID" % spec["name"])
        if not (0 < spec["issued_at"] < MS_THRESHOLD) or not spec["user_id"] or not spec["nonce"]:
            fail("%s: invalid inputs" % spec["name"])
        ttl = spec["ttl_seconds"] or 600
        attrs, metadata = canonical_attributes(spec["attributes_json"])
        for _, v in attrs:
            json_str(v)
        header = expected_header(spec["key_id"], "TYP_JWT" in spec["flags"])
        claims = expected_claims(spec["provider_id"], spec["user_id"], spec["issued_at"],
                                 spec["issued_at"] + ttl, spec["nonce"], attrs, metadata)
        token = make_jws(header, claims, key)
        verdict = reference_verify(token, key.public_key(), spec["provider_id"], spec["key_id"],
                                   spec["nonce"], spec["issued_at"], 0)
        if verdict != ("LAYER_OK", None, claims):
            fail("%s: the reference verifier does not accept the token: %r"
                 % (spec["name"], verdict))
        one_shot = (spec["passphrase"] is None and not spec["flags"]
                    and spec["attributes_json"] is None)
        cases.append({
            "name": spec["name"],
            "private_key_file": spec["private_key_file"],
            "passphrase": spec["passphrase"],
            "provider_id": spec["provider_id"],
            "key_id": spec["key_id"],
            "user_id": spec["user_id"],
            "nonce": spec["nonce"],
            "issued_at": spec["issued_at"],
            "ttl_seconds": spec["ttl_seconds"],
            "flags": spec["flags"],
            "attributes_json": spec["attributes_json"],
            "one_shot": one_shot,
            "expected_header_json": header,
            "expected_claims_json": claims,
            "expected_token": token,
        })
    return {
        "description": "Known-answer signing vectors: each case gives the signer inputs and the "
                       "exact header JSON, claims JSON and compact token (byte for byte) that "
                       "layer_signer_new + layer_signer_sign must produce (and layer_sign_token "
                       "too when one_shot is true). Cases with the same key and inputs in "
                       "different key forms have identical expected tokens.",
        "generator": GENERATOR,
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# errors.json

def hexarg(data):
    return {"hex": " ".join("%02x" % b for b in data)}


def build_errors(files, keys):
    P, K = PID, KID
    cases = []
    okey = "keys/rsa2048.pkcs8.pem"
    signer = {"private_key_file": okey, "passphrase": None, "provider_id": P, "key_id": K,
              "flags": []}
    pem = files[okey].decode("ascii")
    truncated_pem = pem[: len(pem) // 2]
    pub_pem = files["keys/rsa2048.public.pem"].decode("ascii")
    bad_armor = "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n"
    bad_uuid_provider = [
        ("short-uuid", "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5"),
        ("non-hex-uuid", "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4ezz"),
        ("misplaced-hyphens", "layer:///providers/5d3c4e1a7-b2f-4c8d-9e6a-0f1b2c3d4e5f"),
        ("trailing-garbage", PID + "/extra"),
        ("two-slashes-scheme", "layer://providers/" + PROVIDER_UUID),
    ]

    def add(name, call, args, status, frag):
        cases.append({"name": name, "call": call, "args": args, "expected_status": status,
                      "message_contains": frag})

    def st(**over):
        a = {"private_key_file": okey, "provider_id": P, "key_id": K, "user_id": USER,
             "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL}
        for k, v in over.items():
            if k in ("private_key", "private_key_file"):
                a.pop("private_key_file", None)
                a.pop("private_key", None)
            a[k] = v
        return a

    def sn(**over):
        a = {"private_key_file": okey, "passphrase": None, "provider_id": P, "key_id": K,
             "flags": []}
        for k, v in over.items():
            if k in ("private_key", "private_key_file"):
                a.pop("private_key_file", None)
                a.pop("private_key", None)
            if k == "flags_value":
                a.pop("flags", None)
            a[k] = v
        return a

    def ss(signer_over=None, **over):
        s = dict(signer)
        s.update(signer_over or {})
        a = {"signer": s, "user_id": USER, "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL,
             "attributes_json": None}
        a.update(over)
        return a

    def vn(**over):
        a = {"key_file": "keys/rsa2048.public.pem", "provider_id": P, "key_id": K, "flags": []}
        for k, v in over.items():
            if k in ("key", "key_file"):
                a.pop("key_file", None)
                a.pop("key", None)
            if k == "flags_value":
                a.pop("flags", None)
            a[k] = v
        return a

    NULL, UTF8, ARG = "LAYER_ERR_NULL_ARGUMENT", "LAYER_ERR_INVALID_UTF8", "LAYER_ERR_INVALID_ARGUMENT"
    KEY, WEAK, PASS = "LAYER_ERR_INVALID_KEY", "LAYER_ERR_WEAK_KEY", "LAYER_ERR_WRONG_PASSPHRASE"

    # ---- sign_token
    for arg in ("private_key", "provider_id", "key_id", "user_id", "nonce"):
        add("sign-token-null-%s" % arg.replace("_", "-"), "sign_token", st(**{arg: None}), NULL,
            "null")
    add("sign-token-invalid-utf8-user-id", "sign_token", st(user_id=hexarg(b"al\xc3\x28ce")), UTF8,
        "utf")
    add("sign-token-invalid-utf8-nonce", "sign_token", st(nonce=hexarg(b"\xff\xfe")), UTF8, "utf")
    add("sign-token-invalid-utf8-private-key", "sign_token",
        st(private_key=hexarg(b"-----BEGIN PRIVATE KEY-----\n\x80\x81\n")), UTF8, "utf")
    add("sign-token-provider-id-empty", "sign_token", st(provider_id=""), ARG, "provider id")
    add("sign-token-provider-id-placeholder-your-provider-id", "sign_token",
        st(provider_id="YOUR_PROVIDER_ID"), ARG, "provider id")
    add("sign-token-provider-id-placeholder-uuid-literal", "sign_token",
        st(provider_id="layer:///providers/<uuid>"), ARG, "provider id")
    add("sign-token-provider-id-placeholder-your-provider-id-uri", "sign_token",
        st(provider_id="layer:///providers/your-provider-id"), ARG, "provider id")
    for suffix, value in bad_uuid_provider:
        add("sign-token-provider-id-" + suffix, "sign_token", st(provider_id=value), ARG,
            "provider id")
    add("sign-token-provider-id-leading-space", "sign_token", st(provider_id=" " + P), ARG,
        "provider id")
    add("sign-token-provider-id-trailing-newline", "sign_token", st(provider_id=P + "\n"), ARG,
        "provider id")
    add("sign-token-key-id-in-provider-slot", "sign_token", st(provider_id=K), ARG, "provider id")
    add("sign-token-provider-id-in-key-slot", "sign_token", st(key_id=P), ARG, "key id")
    add("sign-token-key-id-empty", "sign_token", st(key_id=""), ARG, "key id")
    add("sign-token-key-id-placeholder-uuid-literal", "sign_token",
        st(key_id="layer:///keys/<uuid>"), ARG, "key id")
    add("sign-token-key-id-trailing-space", "sign_token", st(key_id=K + " "), ARG, "key id")
    add("sign-token-user-id-empty", "sign_token", st(user_id=""), ARG, "user id")
    add("sign-token-nonce-empty", "sign_token", st(nonce=""), ARG, "nonce")
    add("sign-token-issued-at-milliseconds", "sign_token", st(issued_at=1700000000000), ARG,
        "milliseconds")
    add("sign-token-issued-at-milliseconds-threshold", "sign_token", st(issued_at=MS_THRESHOLD),
        ARG, "milliseconds")
    add("sign-token-key-garbage", "sign_token", st(private_key="this is not a key"), KEY, "key")
    add("sign-token-key-empty", "sign_token", st(private_key=""), KEY, "key")
    add("sign-token-key-public-key", "sign_token", st(private_key_file="keys/rsa2048.public.pem"),
        KEY, "key")
    add("sign-token-key-truncated-pem", "sign_token", st(private_key=truncated_pem), KEY, "key")
    add("sign-token-key-bad-base64-inside-armor", "sign_token", st(private_key=bad_armor), KEY,
        "key")
    add("sign-token-key-ec-p256", "sign_token", st(private_key_file="keys/ec-p256.pkcs8.pem"),
        KEY, "rsa")
    add("sign-token-key-ed25519", "sign_token", st(private_key_file="keys/ed25519.pkcs8.pem"),
        KEY, "rsa")
    add("sign-token-key-1024-bit", "sign_token", st(private_key_file="keys/rsa1024.pkcs8.pem"),
        WEAK, "1024")
    add("sign-token-key-512-bit", "sign_token", st(private_key_file="keys/rsa512.pkcs8.pem"),
        WEAK, "512")
    add("sign-token-key-exponent-huge", "sign_token",
        st(private_key_file="keys/rsa2048-e-huge.pkcs8.pem"), KEY, "exponent")
    add("sign-token-key-encrypted-no-passphrase", "sign_token",
        st(private_key_file="keys/rsa2048.pkcs8.encrypted.pem"), PASS, "passphrase")

    # ---- signer_new
    for arg in ("private_key", "provider_id", "key_id"):
        add("signer-new-null-%s" % arg.replace("_", "-"), "signer_new", sn(**{arg: None}), NULL,
            "null")
    add("signer-new-invalid-utf8-provider-id", "signer_new",
        sn(provider_id=hexarg(b"layer:///providers/\xe2\x82")), UTF8, "utf")
    add("signer-new-invalid-utf8-key-id", "signer_new", sn(key_id=hexarg(b"\xc0\xaf")), UTF8, "utf")
    add("signer-new-unknown-flag-bit", "signer_new", sn(flags_value=4), ARG, "flag")
    add("signer-new-provider-id-placeholder", "signer_new", sn(provider_id="YOUR_PROVIDER_ID"),
        ARG, "provider id")
    add("signer-new-key-id-placeholder-your-key-id-uri", "signer_new",
        sn(key_id="layer:///keys/your-key-id"), ARG, "key id")
    add("signer-new-key-id-in-provider-slot", "signer_new",
        sn(provider_id="layer:///keys/" + PROVIDER_UUID), ARG, "provider id")
    add("signer-new-encrypted-wrong-passphrase", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted.pem", passphrase="Tr0ub4dor&3"), PASS,
        "passphrase")
    add("signer-new-encrypted-null-passphrase", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted.pem", passphrase=None), PASS,
        "passphrase")
    add("signer-new-encrypted-empty-passphrase", "signer_new",
        sn(private_key_file="keys/rsa3072.pkcs8.encrypted.pem", passphrase=""), PASS, "passphrase")
    add("signer-new-encrypted-4096-wrong-passphrase", "signer_new",
        sn(private_key_file="keys/rsa4096.pkcs8.encrypted.pem",
           passphrase=PASSPHRASE.upper()), PASS, "passphrase")
    add("signer-new-key-1024-without-flag", "signer_new",
        sn(private_key_file="keys/rsa1024.pkcs8.pem"), WEAK, "1024")
    add("signer-new-key-1024-with-only-typ-jwt-flag", "signer_new",
        sn(private_key_file="keys/rsa1024.pkcs8.pem", flags=["TYP_JWT"]), WEAK, "1024")
    add("signer-new-key-512-even-with-allow-1024-flag", "signer_new",
        sn(private_key_file="keys/rsa512.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), WEAK, "512")
    add("signer-new-key-public-key", "signer_new", sn(private_key=pub_pem), KEY, "key")
    add("signer-new-key-ec-p256", "signer_new", sn(private_key_file="keys/ec-p256.pkcs8.pem"), KEY,
        "rsa")
    add("signer-new-key-ed25519", "signer_new", sn(private_key_file="keys/ed25519.pkcs8.pem"), KEY,
        "rsa")
    add("signer-new-key-garbage-base64", "signer_new", sn(private_key="AAAAAAAA"), KEY, "key")
    oneline = files["keys/rsa2048.pkcs8.oneline.pem"].decode("ascii")
    body = "".join(pem.splitlines()[1:-1])
    other_pem = files["keys/rsa2048-other.pkcs8.pem"].decode("ascii")
    malformed = [
        ("oneline-truncated", oneline[: len(oneline) // 2], "key"),
        ("oneline-body-truncated-armor-intact",
         "-----BEGIN PRIVATE KEY-----" + body[: len(body) // 8 * 4] + "-----END PRIVATE KEY-----",
         "key"),
        ("oneline-doubled", oneline + oneline, "key"),
        ("doubled-pem", pem + pem, "key"),
        ("two-keys-concatenated", pem + other_pem, "key"),
        ("mismatched-armor-labels",
         pem.replace("-----END PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"), "key"),
        ("end-line-missing", pem.replace("-----END PRIVATE KEY-----\n", ""), "key"),
        ("invalid-base64-inside-armor",
         "-----BEGIN PRIVATE KEY-----\nMIIE!!not*base64#garbage\n-----END PRIVATE KEY-----\n",
         "key"),
    ]
    for suffix, text, frag in malformed:
        add("signer-new-key-" + suffix, "signer_new", sn(private_key=text), KEY, frag)
    add("signer-new-key-certificate", "signer_new", sn(private_key_file="keys/rsa2048.cert.pem"),
        KEY, "key")
    add("signer-new-key-openssh-ed25519", "signer_new",
        sn(private_key_file="keys/ed25519.openssh"), KEY, "openssh")
    add("signer-new-key-openssh-rsa", "signer_new", sn(private_key_file="keys/rsa2048.openssh"),
        KEY, "openssh")
    add("signer-new-key-exponent-huge", "signer_new",
        sn(private_key_file="keys/rsa2048-e-huge.pkcs8.pem"), KEY, "exponent")
    add("signer-new-key-exponent-huge-with-allow-1024-flag", "signer_new",
        sn(private_key_file="keys/rsa2048-e-huge.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), KEY,
        "exponent")
    add("signer-new-key-whitespace-only", "signer_new", sn(private_key=" \n\t\n"), KEY, "key")

    # ---- signer_sign
    add("signer-sign-null-user-id", "signer_sign", ss(user_id=None), NULL, "null")
    add("signer-sign-null-nonce", "signer_sign", ss(nonce=None), NULL, "null")
    add("signer-sign-invalid-utf8-user-id", "signer_sign", ss(user_id=hexarg(b"\xed\xa0\x80")),
        UTF8, "utf")
    add("signer-sign-invalid-utf8-attributes", "signer_sign",
        ss(attributes_json=hexarg(b'{"first_name":"\xc3"}')), UTF8, "utf")
    add("signer-sign-user-id-empty", "signer_sign", ss(user_id=""), ARG, "user id")
    add("signer-sign-nonce-empty", "signer_sign", ss(nonce=""), ARG, "nonce")
    add("signer-sign-issued-at-milliseconds", "signer_sign", ss(issued_at=1700000000123), ARG,
        "milliseconds")
    add("signer-sign-issued-at-milliseconds-1024-signer", "signer_sign",
        ss({"private_key_file": "keys/rsa1024.pkcs8.pem", "flags": ["ALLOW_1024_BIT_KEY"]},
           issued_at=1700000000000), ARG, "milliseconds")
    bad_attrs = [
        ("unknown-member", '{"email":"alice@example.com"}'),
        ("unknown-member-camel-case", '{"firstName":"Alice"}'),
        ("claim-override-iss", '{"iss":"layer:///providers/' + OTHER_PROVIDER_UUID + '"}'),
        ("claim-override-prn", '{"first_name":"Alice","prn":"admin"}'),
        ("non-string-number", '{"first_name":1}'),
        ("non-string-null", '{"last_name":null}'),
        ("non-string-object", '{"display_name":{"text":"Alice"}}'),
        ("non-string-array", '{"avatar_url":["https://example.com/a.png"]}'),
        ("not-object-array", '["first_name","Alice"]'),
        ("not-object-string", '"Alice"'),
        ("not-object-null-literal", "null"),
        ("invalid-json-truncated", '{"first_name":"Alice"'),
        ("invalid-json-trailing-garbage", '{"first_name":"Alice"} x'),
        ("invalid-json-empty-string", ""),
        ("duplicate-member", '{"first_name":"Alice","first_name":"Mallory"}'),
        ("duplicate-member-via-escape", '{"first_name":"Alice","first\\u005fname":"Mallory"}'),
        ("duplicate-metadata-member", '{"metadata":{"a":"1"},"metadata":{"b":"2"}}'),
        ("unknown-member-beside-metadata", '{"metadata":{"plan":"pro"},"plan":"pro"}'),
        ("null-attribute-beside-metadata", '{"metadata":{"plan":"pro"},"first_name":null}'),
    ]
    for suffix, value in bad_attrs:
        add("signer-sign-attributes-" + suffix, "signer_sign", ss(attributes_json=value), ARG,
            "attributes")
    bad_metadata = [
        ("not-object-string", '{"metadata":"plan=pro"}', "metadata"),
        ("not-object-array", '{"metadata":[["plan","pro"]]}', "metadata"),
        ("not-object-number", '{"metadata":1}', "metadata"),
        ("not-object-true", '{"metadata":true}', "metadata"),
        ("not-object-false", '{"first_name":"Alice","metadata":false}', "metadata"),
        ("value-number", '{"metadata":{"plan":"pro","seats":5}}', "metadata"),
        ("value-null", '{"metadata":{"plan":null}}', "metadata"),
        ("value-object", '{"metadata":{"plan":{"name":"pro"}}}', "metadata"),
        ("value-array", '{"metadata":{"plan":["pro"]}}', "metadata"),
        ("value-boolean", '{"metadata":{"beta":true}}', "metadata"),
        ("empty-name", '{"metadata":{"":"x"}}', "metadata"),
        ("empty-name-among-others", '{"metadata":{"a":"1","":"2"}}', "metadata"),
        ("duplicate-name", '{"metadata":{"plan":"pro","plan":"free"}}', "duplicate"),
        ("duplicate-name-via-escape", '{"metadata":{"plan":"pro","pl\\u0061n":"free"}}',
         "duplicate"),
    ]
    for suffix, value, frag in bad_metadata:
        add("signer-sign-metadata-" + suffix, "signer_sign", ss(attributes_json=value), ARG, frag)
    add("signer-sign-attributes-unknown-member-encrypted-signer", "signer_sign",
        ss({"private_key_file": "keys/rsa2048.pkcs8.encrypted.pem", "passphrase": PASSPHRASE,
            "flags": ["TYP_JWT"]}, attributes_json='{"role":"admin"}'), ARG, "attributes")

    # ---- verifier_new
    for arg in ("key", "provider_id", "key_id"):
        add("verifier-new-null-%s" % arg.replace("_", "-"), "verifier_new", vn(**{arg: None}),
            NULL, "null")
    add("verifier-new-invalid-utf8-key", "verifier_new",
        vn(key=hexarg(b"-----BEGIN PUBLIC KEY-----\n\xf0\x28\x8c\x28\n")), UTF8, "utf")
    add("verifier-new-invalid-utf8-provider-id", "verifier_new", vn(provider_id=hexarg(b"\x80")),
        UTF8, "utf")
    add("verifier-new-unknown-flag-bit", "verifier_new", vn(flags_value=4), ARG, "flag")
    add("verifier-new-provider-id-empty", "verifier_new", vn(provider_id=""), ARG, "provider id")
    add("verifier-new-provider-id-placeholder-uuid-literal", "verifier_new",
        vn(provider_id="layer:///providers/<uuid>"), ARG, "provider id")
    add("verifier-new-key-id-in-provider-slot", "verifier_new",
        vn(provider_id="layer:///keys/" + PROVIDER_UUID), ARG, "provider id")
    add("verifier-new-provider-id-in-key-slot", "verifier_new",
        vn(key_id="layer:///providers/" + KEY_UUID), ARG, "key id")
    add("verifier-new-key-id-malformed-uuid", "verifier_new",
        vn(key_id="layer:///keys/a1b2c3d4-e5f6-4789-8abc-def01234567g"), ARG, "key id")
    add("verifier-new-key-garbage", "verifier_new", vn(key="-----BEGIN PUBLIC KEY-----\n"), KEY,
        "key")
    add("verifier-new-key-empty", "verifier_new", vn(key=""), KEY, "key")
    add("verifier-new-key-truncated-public-pem", "verifier_new", vn(key=pub_pem[: len(pub_pem) // 2]),
        KEY, "key")
    add("verifier-new-key-doubled-public-pem", "verifier_new", vn(key=pub_pem + pub_pem), KEY,
        "key")
    pub_oneline = files["keys/rsa2048.public.oneline.pem"].decode("ascii")
    add("verifier-new-key-public-oneline-truncated", "verifier_new",
        vn(key=pub_oneline[: len(pub_oneline) // 2]), KEY, "key")
    add("verifier-new-key-ec-p256-public", "verifier_new", vn(key_file="keys/ec-p256.public.pem"),
        KEY, "rsa")
    add("verifier-new-key-ed25519-private", "verifier_new", vn(key_file="keys/ed25519.pkcs8.pem"),
        KEY, "rsa")
    for label, rel in (("huge", "keys/rsa2048-e-huge.public.pem"),
                       ("huge-private", "keys/rsa2048-e-huge.pkcs8.pem"),
                       ("2pow32plus1", "keys/rsa2048-e-2pow32plus1.public.pem"),
                       ("equals-n", "keys/rsa2048-e-ge-n.public.pem"),
                       ("1", "keys/rsa2048-e1.public.pem"),
                       ("even", "keys/rsa2048-e-even.public.pem")):
        add("verifier-new-key-exponent-" + label, "verifier_new", vn(key_file=rel), KEY,
            "exponent")
    add("verifier-new-key-1024-public-without-flag", "verifier_new",
        vn(key_file="keys/rsa1024.public.pem"), WEAK, "1024")
    add("verifier-new-key-512-private-even-with-flag", "verifier_new",
        vn(key_file="keys/rsa512.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), WEAK, "512")

    # ---- generate_key_pair
    add("generate-key-pair-1024-bits", "generate_key_pair", {"bits": 1024}, WEAK, "1024")
    add("generate-key-pair-512-bits", "generate_key_pair", {"bits": 512}, WEAK, "512")
    add("generate-key-pair-100000-bits", "generate_key_pair", {"bits": 100000}, ARG, "bits")
    add("generate-key-pair-u32-max-bits", "generate_key_pair", {"bits": 4294967295}, ARG, "bits")

    check_errors(cases, files, keys)
    return {
        "description": "Bad input -> expected LayerStatus for the five constructor/signing calls. "
                       "Each case has exactly one fault; message_contains is a lowercase fragment "
                       "that the error message must contain (compare case-insensitively).",
        "generator": GENERATOR,
        "cases": cases,
    }


def reference_call(call, args, files):
    """Our reading of the error rules; returns the status the library must give (or LAYER_OK)."""
    def text(v):
        if isinstance(v, dict):
            try:
                return bytes.fromhex(v["hex"].replace(" ", "")).decode("utf-8")
            except UnicodeDecodeError:
                return "\x00INVALID_UTF8"
        return v

    def key_arg(a, inline, filekey):
        if filekey in a:
            return files[a[filekey]].decode("utf-8")
        return text(a[inline])

    if call == "generate_key_pair":
        bits = args["bits"] or 2048
        if bits > 16384:
            return "LAYER_ERR_INVALID_ARGUMENT"
        return "LAYER_ERR_WEAK_KEY" if bits < 2048 else "LAYER_OK"
    if call == "signer_sign":
        s = args["signer"]
        if reference_call("signer_new", s, files) != "LAYER_OK":
            fail("signer_sign case with an invalid signer: %r" % s)
        vals = [text(args["user_id"]), text(args["nonce"])]
        attrs = text(args["attributes_json"])
        if None in vals:
            return "LAYER_ERR_NULL_ARGUMENT"
        if "\x00INVALID_UTF8" in vals + [attrs]:
            return "LAYER_ERR_INVALID_UTF8"
        if "" in vals or args["issued_at"] >= MS_THRESHOLD:
            return "LAYER_ERR_INVALID_ARGUMENT"
        if attrs is not None and attributes_problem(attrs) is not None:
            return "LAYER_ERR_INVALID_ARGUMENT"
        return "LAYER_OK"
    if call == "verifier_new":
        key = key_arg(args, "key", "key_file")
        passphrase = None
    else:
        key = key_arg(args, "private_key", "private_key_file")
        passphrase = text(args.get("passphrase"))
    ids = [text(args["provider_id"]), text(args["key_id"])]
    others = []
    if call == "sign_token":
        others = [text(args["user_id"]), text(args["nonce"])]
    if None in [key] + ids + others:
        return "LAYER_ERR_NULL_ARGUMENT"
    if "\x00INVALID_UTF8" in [key, passphrase] + ids + others:
        return "LAYER_ERR_INVALID_UTF8"
    if call == "sign_token":
        flags = 0
        if "" in others or args["issued_at"] >= MS_THRESHOLD:
            return "LAYER_ERR_INVALID_ARGUMENT"
    elif "flags_value" in args:
        flags = args["flags_value"]
    else:
        flags = sum(FLAG_BITS[f] for f in args["flags"])
    if flags & ~3:
        return "LAYER_ERR_INVALID_ARGUMENT"
    if not valid_id(ids[0], "layer:///providers/") or not valid_id(ids[1], "layer:///keys/"):
        return "LAYER_ERR_INVALID_ARGUMENT"
    kb = key.encode("utf-8")
    try:
        if call == "verifier_new" and b"PUBLIC KEY" in kb:
            k = tolerant_load_public(kb)
        else:
            if b"ENCRYPTED" in kb:
                try:
                    k = tolerant_load_private(kb, passphrase)
                except (ValueError, TypeError):
                    return "LAYER_ERR_WRONG_PASSPHRASE"
            else:
                k = tolerant_load_private(kb, None)
    except Exception:  # noqa: BLE001
        return "LAYER_ERR_INVALID_KEY"
    if not isinstance(k, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) or not exponent_ok(k):
        return "LAYER_ERR_INVALID_KEY"
    if k.key_size < 1024 or (k.key_size < 2048 and not flags & 2):
        return "LAYER_ERR_WEAK_KEY"
    return "LAYER_OK"


def check_errors(cases, files, keys):
    names = set()
    required = {
        "sign_token": {"provider_id", "key_id", "user_id", "nonce", "issued_at", "ttl_seconds"},
        "signer_new": {"passphrase", "provider_id", "key_id"},
        "signer_sign": {"signer", "user_id", "nonce", "issued_at", "ttl_seconds",
                        "attributes_json"},
        "verifier_new": {"provider_id", "key_id"},
        "generate_key_pair": {"bits"},
    }
    for c in cases:
        if c["name"] in names:
            fail("duplicate error case name " + c["name"])
        names.add(c["name"])
        a = c["args"]
        missing = required[c["call"]] - set(a)
        if missing:
            fail("%s: missing args %s" % (c["name"], missing))
        got = reference_call(c["call"], a, files)
        if got != c["expected_status"]:
            fail("%s: reference gives %s, case says %s" % (c["name"], got, c["expected_status"]))
        if c["message_contains"] != c["message_contains"].lower():
            fail("%s: message_contains must be lowercase" % c["name"])
        if (c["call"] == "signer_sign" and c["expected_status"] == "LAYER_ERR_INVALID_ARGUMENT"
                and isinstance(a["attributes_json"], str)
                and "" not in (a["user_id"], a["nonce"]) and a["issued_at"] < MS_THRESHOLD):
            reason = attributes_problem(a["attributes_json"])
            if reason != c["message_contains"]:
                fail("%s: the reference attributes rules give fragment %r, case says %r"
                     % (c["name"], reason, c["message_contains"]))
    # Every positive sign case must pass the same reference rules (sanity of the reference).
    for spec in sign_case_specs():
        signer = {k: spec[k] for k in ("private_key_file", "passphrase", "provider_id", "key_id",
                                       "flags")}
        call = {"signer": signer, "user_id": spec["user_id"], "nonce": spec["nonce"],
                "issued_at": spec["issued_at"], "ttl_seconds": spec["ttl_seconds"],
                "attributes_json": spec["attributes_json"]}
        if reference_call("signer_sign", call, files) != "LAYER_OK":
            fail("sign case %s fails the reference error rules" % spec["name"])
        if spec["passphrase"] is None and not spec["flags"]:
            one = {k: call[k] for k in ("user_id", "nonce", "issued_at", "ttl_seconds")}
            one.update(private_key_file=spec["private_key_file"], provider_id=spec["provider_id"],
                       key_id=spec["key_id"])
            if reference_call("sign_token", one, files) != "LAYER_OK":
                fail("sign case %s fails the reference sign_token rules" % spec["name"])
    return True


# ---------------------------------------------------------------------------------------------
# verify.json

def hm(typ="JWS", kid=KID, alg="RS256", cty=CTY):
    return [("typ", S(typ)), ("alg", S(alg)), ("cty", S(cty)), ("kid", S(kid))]


def cm(iss=PID, prn=USER, iat=IAT, exp=EXP, nce=NONCE):
    return [("iss", S(iss)), ("prn", S(prn)), ("iat", str(iat)), ("exp", str(exp)), ("nce", S(nce))]


def replace(members, name, raw):
    return [(k, raw if k == name else v) for k, v in members]


def remove(members, name):
    return [(k, v) for k, v in members if k != name]


def build_verify(files, keys):
    k2048, other = keys["rsa2048"], keys["rsa2048-other"]
    cases = []
    H, C = obj(hm()), obj(cm())
    good = make_jws(H, C, k2048)
    good_parts = good.split(".")
    good_sig = b64u_decode_strict(good_parts[2])

    def add(name, description, token, status, eit=None, key_file="keys/rsa2048.public.pem",
            provider_id=PID, key_id=KID, flags=None, expected_nonce=NONCE, now=NOW, leeway=0,
            claims=None):
        if status == "LAYER_OK" and claims is None:
            fail(name + ": accept case needs claims")
        cases.append({
            "name": name, "description": description, "token": token, "key_file": key_file,
            "provider_id": provider_id, "key_id": key_id, "flags": flags or [],
            "expected_nonce": expected_nonce, "now": now, "leeway_seconds": leeway,
            "expected_status": status, "expected_eit": eit,
            "expected_claims_json": claims if status == "LAYER_OK" else None,
        })

    def accept(name, description, header, claims, key=k2048, **kw):
        add(name, description, make_jws(header, claims, key), "LAYER_OK", claims=claims, **kw)

    MAL = "LAYER_ERR_MALFORMED_TOKEN"

    def reject_h(name, description, header_members_or_text, eit, claims=C, status=MAL, **kw):
        header = header_members_or_text if isinstance(header_members_or_text, (str, bytes)) \
            else obj(header_members_or_text)
        add(name, description, make_jws(header, claims, k2048), status, eit, **kw)

    def reject_c(name, description, claims_members_or_text, eit, status=MAL, header=H, **kw):
        claims = claims_members_or_text if isinstance(claims_members_or_text, (str, bytes)) \
            else obj(claims_members_or_text)
        add(name, description, make_jws(header, claims, k2048), status, eit, **kw)

    # ---------------- accept
    accept("accept-basic-typ-jws", "valid token as signed by default (typ JWS)", H, C)
    accept("accept-typ-jwt", "typ JWT is accepted as well as JWS", obj(hm(typ="JWT")), C)
    all_attrs = obj(cm() + [("first_name", S("Alice")), ("last_name", S("Liddell")),
                            ("display_name", S("Alice L.")),
                            ("avatar_url", S("https://cdn.example.com/avatars/alice.png"))])
    accept("accept-with-all-attributes", "identity attributes present as strings", H, all_attrs)
    accept("accept-with-non-ascii-attribute-and-user",
           "non-ASCII user id and attribute are returned as raw UTF-8 claims",
           H, obj(cm(prn="山田太郎 😀") + [("display_name", S("José \"Pepe\" Ñúñez\n"))]))
    accept("accept-bare-uuid-ids", "bare UUID provider and key IDs compared exactly",
           obj(hm(kid=KEY_UUID)), obj(cm(iss=PROVIDER_UUID)), provider_id=PROVIDER_UUID,
           key_id=KEY_UUID)
    accept("accept-uppercase-uuid-ids", "uppercase UUID IDs configured and present identically",
           obj(hm(kid=KEY_UUID.upper())), obj(cm(iss=PROVIDER_UUID.upper())),
           provider_id=PROVIDER_UUID.upper(), key_id=KEY_UUID.upper())
    accept("accept-rsa3072", "3072-bit key", H, C, key=keys["rsa3072"],
           key_file="keys/rsa3072.public.pem")
    accept("accept-rsa4096", "4096-bit key", H, C, key=keys["rsa4096"],
           key_file="keys/rsa4096.public.pem")
    accept("accept-verifier-key-is-private-pkcs8",
           "verifier configured with the private key (PKCS#8) derives the public key", H, C,
           key_file="keys/rsa2048.pkcs8.pem")
    accept("accept-verifier-key-is-private-pkcs1",
           "verifier configured with the private key (PKCS#1) derives the public key", H, C,
           key_file="keys/rsa2048.pkcs1.pem")
    accept("accept-exponent-3", "public exponent 3 (the smallest accepted)", H, C,
           key=keys["rsa2048-e3"], key_file="keys/rsa2048-e3.public.pem")
    accept("accept-exponent-4294967295", "public exponent 2^32 - 1 (the largest accepted)", H, C,
           key=keys["rsa2048-e-2pow32minus1"], key_file="keys/rsa2048-e-2pow32minus1.public.pem")
    accept("accept-exponent-3-verifier-key-is-private",
           "verifier configured with the e = 3 private key derives the public key", H, C,
           key=keys["rsa2048-e3"], key_file="keys/rsa2048-e3.pkcs8.pem")
    accept("accept-verifier-key-public-oneline",
           "verifier configured with the SPKI PEM flattened to one line (no line breaks)", H, C,
           key_file="keys/rsa2048.public.oneline.pem")
    accept("accept-verifier-key-private-pkcs8-spaces",
           "verifier configured with the PKCS#8 PEM whose line breaks became spaces", H, C,
           key_file="keys/rsa2048.pkcs8.spaces.pem")
    accept("accept-rsa1024-with-allow-flag", "legacy 1024-bit key admitted by ALLOW_1024_BIT_KEY",
           H, C, key=keys["rsa1024"], key_file="keys/rsa1024.public.pem",
           flags=["ALLOW_1024_BIT_KEY"])
    accept("accept-exp-one-second-after-now", "boundary: exp == now - leeway + 1 (leeway 0)",
           H, obj(cm(iat=NOW + 1 - 600, exp=NOW + 1)))
    accept("accept-iat-equals-now", "boundary: iat == now + leeway (leeway 0)",
           H, obj(cm(iat=NOW, exp=NOW + 600)))
    accept("accept-exp-boundary-with-leeway", "boundary: exp == now - leeway + 1 (leeway 60)",
           H, obj(cm(iat=NOW - 600, exp=NOW - 59)), leeway=60)
    accept("accept-iat-boundary-with-leeway", "boundary: iat == now + leeway (leeway 60)",
           H, obj(cm(iat=NOW + 60, exp=NOW + 660)), leeway=60)
    accept("accept-leeway-rescues-expired", "exp 30 s in the past is rescued by leeway 60",
           H, obj(cm(iat=NOW - 630, exp=NOW - 30)), leeway=60)
    accept("accept-expected-nonce-null", "no expected nonce: any non-empty nce accepted",
           H, obj(cm(nce="some-other-nonce")), expected_nonce=None)
    accept("accept-unknown-extra-claims-ignored", "unknown claims are ignored (RFC 7519 section 4)",
           H, obj(cm() + [("aud", S("layer")), ("x-custom", '{"nested":[1,2.5,null,true]}')]))
    accept("accept-header-members-other-order", "header members in any order",
           obj([("kid", S(KID)), ("cty", S(CTY)), ("alg", S("RS256")), ("typ", S("JWS"))]), C)
    accept("accept-claims-members-other-order", "claims members in any order",
           H, obj(list(reversed(cm()))))
    accept("accept-claims-not-compact",
           "non-compact (but valid) claims JSON is accepted and returned byte for byte",
           H, '{ "iss" : "%s",\r\n "prn": "%s", "iat": %d, "exp": %d, "nce": "%s" }\n'
           % (PID, USER, IAT, EXP, NONCE))
    accept("accept-claims-with-json-escapes",
           "escaped claim values are compared after decoding (nce \\u0063... equals expected)",
           H, obj(cm()).replace(S(NONCE), '"\\u0063' + NONCE[1:] + '"').replace(
               S(USER), '"alice\\u0040example.com\\/x"'))
    accept("accept-attribute-last-name-null",
           "an identity attribute that is null is treated as absent (the Ruby gem "
           "layer-identity_token wrote nil as null)", H, obj(cm() + [("last_name", "null")]))
    accept("accept-attributes-all-null", "all four identity attributes null: all absent", H,
           obj(cm() + [(a, "null") for a in ATTRIBUTE_ORDER]))
    accept("accept-attributes-null-among-strings", "null attributes next to string ones", H,
           obj(cm() + [("first_name", S("Alice")), ("last_name", "null"),
                       ("display_name", S("Alice")), ("avatar_url", "null")]))
    meta_claims = obj(cm() + [("first_name", S("Alice")),
                              ("metadata", obj([("account_id", S("42")), ("tier", S("gold"))]))])
    accept("accept-metadata-object", "metadata object of strings, as the signer emits it", H,
           meta_claims)
    accept("accept-metadata-null", "metadata null is treated as absent", H,
           obj(cm() + [("metadata", "null")]))
    accept("accept-metadata-empty-object", "metadata {} is accepted", H,
           obj(cm() + [("metadata", "{}")]))
    accept("accept-metadata-members-unsorted",
           "the verifier does not require sorted metadata names (only the signer sorts)", H,
           obj(cm() + [("metadata", obj([("zeta", S("1")), ("Alpha", S("2")), ("😀", S("3")),
                                         ("é", S("4"))]))]))
    accept("accept-metadata-escapes-and-empty-values",
           "metadata names and values with JSON escapes, an empty value, and a name that is "
           "also a claim's name",
           H, obj(cm())[:-1] + ',"metadata":{"caf\\u00e9":"na\\u00efve\\n","iss":"",'
           '"\\"q\\"":"x\\/y \\ud83d\\ude00"}}')
    accept("accept-iat-negative-zero",
           "iat written -0 is a JSON integer (value 0); exp still in the future", H,
           obj(replace(cm(exp=NOW + 500), "iat", "-0")))
    accept("accept-now-zero-uses-system-clock",
           "now <= 0 means the system clock; exp is 2100-01-01", H,
           obj(cm(exp=4102444800)), now=0)

    # Long tokens: the largest valid token <= 16384 bytes and one just over.
    def total_len(hdr, n, **kw):
        return (len(b64u(hdr)) + 1 + b64u_len(len(obj(cm(prn="x" * n, **kw)).encode())) + 1
                + len(good_parts[2]))

    def long_prn(n):
        return "".join("user%05d@example.com;" % i for i in range(n // 20 + 2))[:n]

    # (base64url never yields a segment of length 1 mod 4, so 16385 bytes exactly is reachable
    # with the bare-UUID header but not with the URI one; 16384 exactly with the URI one.)
    n_under = max(n for n in range(11000, 12500) if total_len(H, n) <= MAX_TOKEN_BYTES)
    long_ok = obj(cm(prn=long_prn(n_under)))
    tok_under = make_jws(H, long_ok, k2048)
    add("accept-long-token-%d-bytes" % len(tok_under),
        "largest valid token <= 16384 bytes (long user id) is accepted", tok_under, "LAYER_OK",
        claims=long_ok)
    H_bare = obj(hm(kid=KEY_UUID))
    n_over = min(n for n in range(11000, 12500)
                 if total_len(H_bare, n, iss=PROVIDER_UUID) == MAX_TOKEN_BYTES + 1)
    tok_over = make_jws(H_bare, obj(cm(iss=PROVIDER_UUID, prn=long_prn(n_over))), k2048)
    assert len(tok_over) == MAX_TOKEN_BYTES + 1

    # ---------------- rule 1: size
    add("reject-oversized-16385-bytes", "validly signed token of 16385 bytes exceeds 16 KiB",
        tok_over, MAL, "eit_malformed_json", provider_id=PROVIDER_UUID, key_id=KEY_UUID)
    long_two = b64u(H) + "." + b64u(obj(cm(prn=long_prn(n_over + 600))))
    assert len(long_two) > MAX_TOKEN_BYTES

    # ---------------- rule 2: part count
    add("reject-two-parts", "header.claims without signature part", ".".join(good_parts[:2]), MAL,
        "eit_wrong_jws_part_count")
    add("reject-four-parts", "an extra fourth segment", good + "." + good_parts[2], MAL,
        "eit_wrong_jws_part_count")
    add("reject-trailing-dot", "trailing dot makes four parts", good + ".", MAL,
        "eit_wrong_jws_part_count")
    add("reject-one-part", "no dot at all", good_parts[1], MAL, "eit_wrong_jws_part_count")
    jwe_hdr = obj([("alg", S("RSA-OAEP")), ("enc", S("A256GCM")), ("kid", S(KID))])
    jwe = ".".join([b64u(jwe_hdr), b64u(prb("jwe-cek", 256)), b64u(prb("jwe-iv", 12)),
                    b64u(prb("jwe-ct", 120)), b64u(prb("jwe-tag", 16))])
    add("reject-five-parts-jwe", "JWE compact serialization (5 parts) is not a JWS", jwe, MAL,
        "eit_wrong_jws_part_count")

    # ---------------- rule 3: base64url
    B64 = "eit_malformed_base64url"
    sig_std = base64.b64encode(good_sig).decode().rstrip("=")
    assert "+" in sig_std or "/" in sig_std
    add("reject-signature-standard-base64-alphabet", "signature uses + and / instead of - and _",
        ".".join(good_parts[:2] + [sig_std]), MAL, B64)
    add("reject-padding-on-signature", "signature segment carries = padding",
        good + "=" * (-len(good_parts[2]) % 4), MAL, B64)
    padded_claims_c = obj(cm(nce=NONCE + "x"))
    for _ in range(3):
        if len(padded_claims_c.encode()) % 3:
            break
        padded_claims_c = padded_claims_c.replace('"}', 'x"}')
    seg_c = b64u(padded_claims_c)
    pad_si = b64u(H) + "." + seg_c + "=" * (-len(seg_c) % 4)
    add("reject-padding-on-claims", "claims segment carries = padding (signature made over it)",
        pad_si + "." + b64u(rs256(k2048, pad_si.encode())), MAL, B64)
    # Non-canonical trailing bits: last char changed so lenient decoders give the same bytes.

    def noncanonical(seg):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        unused = {2: 4, 3: 2}[len(seg) % 4]
        idx = alphabet.index(seg[-1])
        assert idx & ((1 << unused) - 1) == 0
        out = seg[:-1] + alphabet[idx | 1]
        assert base64.urlsafe_b64decode(out + "=" * (-len(out) % 4)) == \
            base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
        return out
    add("reject-signature-noncanonical-trailing-bits",
        "last signature char has non-zero unused bits (same bytes when decoded leniently)",
        ".".join(good_parts[:2] + [noncanonical(good_parts[2])]), MAL, B64)
    nc_claims = padded_claims_c
    nc_seg = noncanonical(b64u(nc_claims))
    nc_si = b64u(H) + "." + nc_seg
    add("reject-claims-noncanonical-trailing-bits",
        "last claims char has non-zero unused bits; signature made over the altered text",
        nc_si + "." + b64u(rs256(k2048, nc_si.encode())), MAL, B64)
    add("reject-signature-length-1-mod-4", "signature truncated by one character (impossible length)",
        good[:-1] if len(good_parts[2][:-1]) % 4 == 1 else fail("length"), MAL, B64)
    sp_h = b64u(H)
    sp_h = sp_h[:10] + " " + sp_h[10:]
    sp_si = sp_h + "." + good_parts[1]
    add("reject-space-in-header", "a space inside the header segment",
        sp_si + "." + b64u(rs256(k2048, sp_si.encode())), MAL, B64)
    add("reject-trailing-newline", "token followed by a newline", good + "\n", MAL, B64)
    add("reject-invalid-character", "'*' inside the signature segment",
        good[:-5] + "*" + good[-4:], MAL, B64)
    add("reject-empty-header-segment", "header segment is empty",
        "." + good_parts[1] + "." + b64u(rs256(k2048, ("." + good_parts[1]).encode())), MAL, B64)
    add("reject-empty-claims-segment", "claims segment is empty",
        good_parts[0] + ".." + b64u(rs256(k2048, (good_parts[0] + ".").encode())), MAL, B64)
    add("reject-empty-signature-segment", "signature segment is empty (alg RS256)",
        ".".join(good_parts[:2]) + ".", MAL, B64)
    add("reject-all-segments-empty", "'..'", "..", MAL, B64)
    none_hdr = obj(hm(alg="none"))
    add("attack-alg-none-empty-signature",
        "alg none with empty signature: the empty segment is caught first (rule 3)",
        b64u(none_hdr) + "." + good_parts[1] + ".", MAL, B64)

    # ---------------- rule 4: header JSON
    JS = "eit_malformed_json"
    reject_h("reject-header-json-array", "header is a JSON array", '["JWS","RS256"]', JS)
    reject_h("reject-header-json-string", "header is a JSON string", '"RS256"', JS)
    reject_h("reject-header-json-null", "header is JSON null", "null", JS)
    reject_h("reject-header-invalid-json", "header JSON is truncated", H[:-1], JS)
    reject_h("reject-header-trailing-garbage", "header object followed by garbage", H + "x", JS)
    reject_h("reject-header-invalid-utf8", "header kid contains invalid UTF-8 bytes",
             H.encode().replace(KEY_UUID.encode(), KEY_UUID.encode() + b"\xc3\x28"), JS)
    reject_h("attack-duplicate-alg-member",
             "duplicate alg member: first RS256, second none",
             obj(hm() + [("alg", S("none"))]), JS)
    reject_h("reject-header-duplicate-typ-same-value", "duplicate typ with the same value",
             obj([("typ", S("JWS"))] + hm()), JS)
    reject_h("attack-duplicate-alg-via-unicode-escape",
             "duplicate alg spelled \\u0061lg: duplicates are detected after unescaping",
             H[:-1] + ',"\\u0061lg":"none"}', JS)

    # ---------------- rule 5: header parameters
    NF, WT, WV = "eit_header_param_not_found", "eit_header_param_wrong_type", \
        "eit_header_param_wrong_value"
    for name in ("typ", "alg", "cty", "kid"):
        reject_h("reject-header-missing-" + name, "header lacks " + name, remove(hm(), name), NF)
    reject_h("reject-header-empty-object", "header is {}", "{}", NF)
    reject_h("reject-header-typ-number", "typ is a number", replace(hm(), "typ", "1"), WT)
    reject_h("reject-header-alg-null", "alg is null", replace(hm(), "alg", "null"), WT)
    reject_h("reject-header-cty-array", "cty is an array", replace(hm(), "cty", '["%s"]' % CTY), WT)
    reject_h("reject-header-kid-object", "kid is an object",
             replace(hm(), "kid", '{"id":"%s"}' % KID), WT)
    attacker_pub = other.public_key().public_numbers()
    jwk = obj([("kty", S("RSA")),
               ("n", S(b64u(attacker_pub.n.to_bytes(256, "big")))),
               ("e", S(b64u(attacker_pub.e.to_bytes(3, "big"))))])
    add("attack-embedded-jwk", "header embeds the attacker's jwk, signed by the attacker key: stops at rule 5 (extra member)",
        make_jws(obj(hm() + [("jwk", jwk)]), C, other), MAL, WV)
    reject_h("attack-jku", "header has jku pointing at an attacker JWK set",
             hm() + [("jku", S("https://attacker.example/.well-known/jwks.json"))], WV)
    reject_h("attack-x5u", "header has x5u", hm() + [("x5u", S("https://attacker.example/c.pem"))],
             WV)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")]))
            .public_key(other.public_key()).serial_number(0x1A7E5)
            .not_valid_before(datetime.datetime(2023, 11, 14))
            .not_valid_after(datetime.datetime(2033, 11, 14))
            .sign(other, hashes.SHA256()))
    reject_h("attack-x5c", "header has x5c with an attacker self-signed certificate",
             hm() + [("x5c", "[" + S(base64.b64encode(cert.public_bytes(DER)).decode()) + "]")],
             WV)
    reject_h("attack-crit", "header has crit", hm() + [("crit", '["exp"]')], WV)
    reject_h("reject-header-extra-zip", "header has zip", hm() + [("zip", S("DEF"))], WV)
    reject_h("reject-header-extra-b64-false", "header has b64:false (RFC 7797)",
             hm() + [("b64", "false")], WV)
    reject_h("reject-header-extra-custom", "any unknown header member is rejected",
             hm() + [("x-layer", S("1"))], WV)
    hs_hdr = obj(hm(alg="HS256"))
    hs_si = b64u(hs_hdr) + "." + good_parts[1]
    hs_sig = hmac.new(files["keys/rsa2048.public.pem"], hs_si.encode(), hashlib.sha256).digest()
    add("attack-hs256-public-key-as-hmac-secret",
        "alg HS256, HMAC keyed with the public key PEM (key confusion): stops at rule 5 (alg)", hs_si + "." + b64u(hs_sig),
        MAL, WV)
    add("attack-alg-none-original-signature", "alg none with the original RS256 signature kept (signature no longer matches): stops at rule 5",
        b64u(none_hdr) + "." + good_parts[1] + "." + good_parts[2], MAL, WV)
    reject_h("reject-alg-none-resigned", "alg none (signed with the right key)", hm(alg="none"), WV)
    rs384_hdr = obj(hm(alg="RS384"))
    rs384_si = b64u(rs384_hdr) + "." + good_parts[1]
    add("reject-alg-rs384", "alg RS384 with a genuine RS384 signature",
        rs384_si + "." + b64u(k2048.sign(rs384_si.encode(), padding.PKCS1v15(), hashes.SHA384())),
        MAL, WV)
    ps_hdr = obj(hm(alg="PS256"))
    ps_si = b64u(ps_hdr) + "." + good_parts[1]
    salt = hashlib.sha256(b"layer-identity vectors PS256 salt").digest()
    add("reject-alg-ps256", "alg PS256 with a genuine PS256 signature",
        ps_si + "." + b64u(ps256_deterministic(k2048, ps_si.encode(), salt)), MAL, WV)
    reject_h("reject-alg-lowercase-rs256", "alg rs256 (case matters)", hm(alg="rs256"), WV)
    reject_h("reject-alg-rs256-trailing-space", "alg 'RS256 '", hm(alg="RS256 "), WV)
    for t in ("jwt", "JOSE", ""):
        label = {"jwt": "lowercase-jwt", "JOSE": "jose", "": "empty"}[t]
        reject_h("reject-typ-" + label, "typ %r is neither JWS nor JWT" % t,
                 hm(typ=t), WV)
    for label, c in (("v2", "layer-eit;v=2"), ("uppercase", "Layer-EIT;v=1"),
                     ("space", "layer-eit; v=1"), ("jwt", "JWT"), ("empty", "")):
        reject_h("reject-cty-" + label, "cty %r is not exactly %s" % (c, CTY), hm(cty=c), WV)

    # Many distinct short members just under 16 KiB: the worst case for the duplicate-member
    # check (rules 4 and 8 must look at every member before rule 5 or 9 may report anything).
    def members_filling(base, other_segment, dup_last):
        room = MAX_TOKEN_BYTES - len(other_segment) - len(good_parts[2]) - 2
        size = len(obj(base).encode())  # grows by len(',"<name>":0') per extra member
        extra = []
        while True:
            name = str(len(extra))
            grown = size + len(S(name)) + 3
            last = (len(S("0")) + 3) if dup_last else 0
            if b64u_len(grown + last) > room:
                break
            extra.append((name, "0"))
            size = grown
        if dup_last:
            extra.append((extra[0][0], "1"))
        members = base + extra
        assert b64u_len(len(obj(members).encode())) <= room
        return members

    many_h = members_filling(hm(), good_parts[1], False)
    reject_h("reject-header-%d-distinct-members" % len(many_h),
             "%d distinct header members (the four, then extra ones \"0\", \"1\", ...), token "
             "under 16 KiB and signed by the right key: stops at the first extra member"
             % len(many_h), many_h, WV)
    many_h_dup = members_filling(hm(), good_parts[1], True)
    reject_h("reject-header-%d-members-last-duplicate" % len(many_h_dup),
             "%d header members whose last one repeats the fifth: duplicate (rule 4) before "
             "the extra members (rule 5)" % len(many_h_dup), many_h_dup, JS)
    many_c = members_filling(cm(), good_parts[0], False)
    accept("accept-claims-%d-distinct-members" % len(many_c),
           "%d distinct claims (unknown ones ignored), token under 16 KiB" % len(many_c),
           H, obj(many_c))
    many_c_dup = members_filling(cm(), good_parts[0], True)
    reject_c("reject-claims-%d-members-last-duplicate" % len(many_c_dup),
             "%d claims whose last one repeats the sixth: duplicate member (rule 8)"
             % len(many_c_dup), many_c_dup, JS)

    # ---------------- rule 6: kid
    CM = "LAYER_ERR_CLAIM_MISMATCH"
    KNF = "eit_key_not_found"
    reject_h("reject-kid-other-key", "kid names another key", hm(kid=OTHER_KID), KNF, status=CM)
    reject_h("reject-kid-bare-uuid-vs-uri", "kid is the bare UUID, configured key ID is the URI",
             hm(kid=KEY_UUID), KNF, status=CM)
    reject_h("reject-kid-uppercase-vs-lowercase", "kid differs from the configured one in case only",
             hm(kid="layer:///keys/" + KEY_UUID.upper()), KNF, status=CM)
    reject_h("reject-kid-is-provider-id", "kid holds the provider ID", hm(kid=PID), KNF, status=CM)

    # ---------------- rule 7: signature
    BS, SVF = "LAYER_ERR_BAD_SIGNATURE", "eit_signature_verification_failed"
    add("reject-signed-by-other-key", "signed by a different 2048-bit key",
        make_jws(H, C, other), BS, SVF)
    tampered_c = obj(cm(prn="mallory@example.com"))
    add("reject-tampered-payload", "prn changed after signing, original signature kept",
        good_parts[0] + "." + b64u(tampered_c) + "." + good_parts[2], BS, SVF)
    add("reject-tampered-header", "typ changed JWS->JWT after signing",
        b64u(obj(hm(typ="JWT"))) + "." + good_parts[1] + "." + good_parts[2], BS, SVF)
    add("reject-signature-truncated", "signature missing its last byte (canonical encoding)",
        ".".join(good_parts[:2] + [b64u(good_sig[:-1])]), BS, SVF)
    add("reject-signature-extra-zero-byte", "signature with a trailing 0x00 byte (257 bytes)",
        ".".join(good_parts[:2] + [b64u(good_sig + b"\x00")]), BS, SVF)
    add("reject-signature-from-4096-key", "512-byte signature from the 4096-bit key",
        make_jws(H, C, keys["rsa4096"]), BS, SVF)
    add("reject-signature-all-zero", "256 zero bytes", ".".join(good_parts[:2] + [b64u(b"\0" * 256)]),
        BS, SVF)
    add("reject-signature-bit-flip", "one bit of the signature flipped",
        ".".join(good_parts[:2] + [b64u(good_sig[:100] + bytes([good_sig[100] ^ 1])
                                        + good_sig[101:])]), BS, SVF)
    hmac_rs_sig = hmac.new(files["keys/rsa2048.public.pem"], good.rsplit(".", 1)[0].encode(),
                           hashlib.sha256).digest()
    add("attack-hmac-signature-under-rs256-header",
        "HS256 key confusion with alg set back to RS256: HMAC(public key PEM) as signature",
        ".".join(good_parts[:2] + [b64u(hmac_rs_sig)]), BS, SVF)
    add("reject-ps256-signature-under-rs256-header",
        "a genuine PS256 signature with alg RS256 in the header",
        ".".join(good_parts[:2] + [b64u(ps256_deterministic(
            k2048, good.rsplit(".", 1)[0].encode(), salt))]), BS, SVF)
    add("reject-signature-of-other-token", "valid RS256 signature of a different token",
        ".".join(good_parts[:2] + [make_jws(H, obj(cm(nce="other")), k2048).split(".")[2]]),
        BS, SVF)

    # ---------------- rule 8: claims JSON
    reject_c("reject-claims-json-array", "claims is a JSON array", "[1,2]", JS)
    reject_c("reject-claims-json-string", "claims is a JSON string", '"alice"', JS)
    reject_c("reject-claims-invalid-json", "claims JSON truncated", C[:-1], JS)
    reject_c("reject-claims-invalid-utf8", "claims prn contains invalid UTF-8",
             C.encode().replace(b"alice", b"al\xffice"), JS)
    reject_c("attack-duplicate-prn-claim", "two prn members (alice, then admin)",
             obj(cm() + [("prn", S("admin"))]), JS)
    reject_c("reject-claims-duplicate-iss-via-escape", "iss and \\u0069ss both present",
             C[:-1] + ',"\\u0069ss":"%s"}' % OTHER_PID, JS)
    reject_c("reject-claims-duplicate-in-unknown-nested-claim",
             "duplicate member inside an otherwise ignored unknown claim",
             obj(cm() + [("ext", '{"a":1,"a":2}')]), JS)
    reject_c("reject-claims-metadata-duplicate-member",
             "duplicate member inside metadata (rule 8, not rule 9)",
             obj(cm() + [("metadata", '{"plan":"pro","plan":"free"}')]), JS)
    reject_c("reject-claims-metadata-duplicate-via-escape",
             "metadata has plan and pl\\u0061n (duplicates are detected after unescaping)",
             obj(cm() + [("metadata", '{"plan":"pro","pl\\u0061n":"free"}')]), JS)
    reject_c("reject-claims-duplicate-metadata-claim", "two metadata claims",
             obj(cm() + [("metadata", '{"a":"1"}'), ("metadata", '{"b":"2"}')]), JS)
    reject_c("reject-claims-nan", "claims contain NaN (not JSON)",
             obj(cm() + [("score", "NaN")]), JS)

    # ---------------- rule 9: claims presence and types
    CNF, CWT = "eit_claim_not_found", "eit_claim_wrong_type"
    for name in ("iss", "prn", "iat", "exp", "nce"):
        reject_c("reject-claims-missing-" + name, "claims lack " + name, remove(cm(), name), CNF)
    reject_c("reject-claims-empty-object", "claims is {}", "{}", CNF)
    wrong = [
        ("iss-number", "iss", "42"), ("prn-number", "prn", "12345"), ("prn-null", "prn", "null"),
        ("nce-array", "nce", '["%s"]' % NONCE), ("prn-empty", "prn", '""'),
        ("nce-empty", "nce", '""'), ("iat-float", "iat", "1700000000.0"),
        ("iat-exponent", "iat", "1.7e9"), ("iat-string", "iat", '"1700000000"'),
        ("exp-true", "exp", "true"), ("exp-null", "exp", "null"),
        ("exp-float-fraction", "exp", "1700000600.5"),
    ]
    for label, name, raw in wrong:
        reject_c("reject-claims-" + label, "%s is %s" % (name, raw), replace(cm(), name, raw), CWT)
    for attr, raw in (("first_name", "1"), ("last_name", "false"), ("display_name", '{"a":"b"}'),
                      ("avatar_url", '["https://example.com/a.png"]')):
        reject_c("reject-claims-attribute-%s-not-string" % attr.replace("_", "-"),
                 "identity attribute %s is %s" % (attr, raw), cm() + [(attr, raw)], CWT)
    for label, raw in (("string", S("plan=pro")), ("array", '[["plan","pro"]]'), ("number", "1"),
                       ("true", "true"), ("value-number", '{"plan":"pro","seats":5}'),
                       ("value-null", '{"plan":null}'), ("value-object", '{"plan":{"a":"b"}}'),
                       ("value-array", '{"plan":["pro"]}'), ("value-boolean", '{"beta":false}')):
        reject_c("reject-claims-metadata-" + label, "metadata is %s" % raw,
                 cm() + [("metadata", raw)], CWT)
    reject_c("reject-claims-iat-negative-zero-float", "iat -0.0 is not a JSON integer",
             replace(cm(), "iat", "-0.0"), CWT)
    reject_c("reject-claims-iat-equals-exp", "iat == exp", cm(iat=IAT, exp=IAT), CWT)
    reject_c("reject-claims-iat-after-exp", "iat > exp", cm(iat=EXP, exp=IAT), CWT)

    # ---------------- rule 10: iss
    PNF = "eit_provider_not_found"
    reject_c("reject-iss-other-provider", "iss names another provider", cm(iss=OTHER_PID), PNF,
             status=CM)
    reject_c("reject-iss-bare-uuid-vs-uri", "iss is the bare UUID, configured provider is the URI",
             cm(iss=PROVIDER_UUID), PNF, status=CM)
    reject_c("reject-iss-is-key-id", "iss holds the key ID", cm(iss=KID), PNF, status=CM)
    reject_c("reject-iss-empty-string", "iss is an empty string (a string, so rule 10 applies)",
             cm(iss=""), PNF, status=CM)

    # ---------------- rule 11: exp
    EXPD = "LAYER_ERR_EXPIRED"
    reject_c("reject-expired-exp-equals-now", "exp == now (leeway 0)", cm(iat=NOW - 600, exp=NOW),
             "eit_expired", status=EXPD)
    reject_c("reject-expired-one-second-ago", "exp == now - 1", cm(iat=NOW - 601, exp=NOW - 1),
             "eit_expired", status=EXPD)
    reject_c("reject-expired-exp-equals-now-minus-leeway", "exp == now - leeway (leeway 60)",
             cm(iat=NOW - 660, exp=NOW - 60), "eit_expired", status=EXPD, leeway=60)
    reject_c("reject-expired-exp-negative-zero",
             "exp written -0 is the integer 0, long past; iat -600 < exp, so only rule 11 fails",
             replace(cm(iat=-600), "exp", "-0"), "eit_expired", status=EXPD)
    reject_c("reject-expired-long-ago", "token from 2020",
             cm(iat=1577836800, exp=1577837400), "eit_expired", status=EXPD)
    reject_c("reject-expired-now-zero-system-clock",
             "now <= 0 means the system clock; exp 2023-11-14 is in the past", C, "eit_expired",
             status=EXPD, now=-1)

    # ---------------- rule 12: iat
    NYV = "LAYER_ERR_NOT_YET_VALID"
    reject_c("reject-not-yet-valid-iat-now-plus-1", "iat == now + 1 (leeway 0)",
             cm(iat=NOW + 1, exp=NOW + 601), "eit_not_before", status=NYV)
    reject_c("reject-not-yet-valid-beyond-leeway", "iat == now + leeway + 1 (leeway 60)",
             cm(iat=NOW + 61, exp=NOW + 661), "eit_not_before", status=NYV, leeway=60)
    reject_c("reject-not-yet-valid-far-future", "iat in 2100",
             cm(iat=4102444800, exp=4102445400), "eit_not_before", status=NYV)

    # ---------------- rule 13: nonce
    NNF = "eit_nonce_not_found"
    reject_c("reject-nonce-different", "nce differs from the expected nonce",
             cm(nce="bm90LXRoZS1leHBlY3RlZC1ub25jZQ"), NNF, status=CM)
    reject_c("reject-nonce-case-differs", "nce differs only in case", cm(nce=NONCE.lower()), NNF,
             status=CM)
    reject_c("reject-nonce-prefix", "nce is a prefix of the expected nonce", cm(nce=NONCE[:-1]),
             NNF, status=CM)
    reject_c("reject-nonce-trailing-space", "nce has a trailing space", cm(nce=NONCE + " "), NNF,
             status=CM)

    # ---------------- RFC 7515 A.2
    add("reject-rfc7515-a2-example",
        "RFC 7515 A.2 token (valid RS256 signature) lacks typ, cty and kid", RFC7515_A2_TOKEN, MAL,
        NF, key_file="keys/rfc7515-a2.public.pem")

    # ---------------- order (several faults; the earliest rule in the list wins)
    add("order-oversized-beats-part-count", "over 16 KiB and only 2 parts: rule 1 wins",
        long_two, MAL, "eit_malformed_json")
    # Rule 5 is three passes over the whole header: presence, then types, then extra members
    # and values; kid (rule 6) after all of them.
    reject_h("order-header-missing-kid-beats-typ-type",
             "typ is a number and kid is missing: presence (not_found) before types",
             remove(replace(hm(), "typ", "1"), "kid"), NF)
    reject_h("order-header-missing-cty-beats-typ-null",
             "typ null and cty missing: not_found, although typ comes first",
             remove(replace(hm(), "typ", "null"), "cty"), NF)
    reject_h("order-header-missing-beats-extra-member",
             "an extra member before a missing alg: not_found",
             [("x-layer", S("1"))] + remove(hm(), "alg"), NF)
    reject_h("order-header-alg-type-beats-extra-member",
             "an extra member (written first) and alg a number: wrong_type",
             [("x-layer", S("1"))] + replace(hm(), "alg", "256"), WT)
    reject_h("order-header-kid-type-beats-alg-value",
             "alg none and kid a number: types before values (wrong_type)",
             replace(hm(alg="none"), "kid", "42"), WT)
    reject_h("order-header-extra-member-beats-kid",
             "an extra member and a kid mismatch: wrong_value (rule 5) before key_not_found",
             hm(kid=OTHER_KID) + [("zip", S("DEF"))], WV)
    reject_h("order-header-typ-value-beats-kid", "typ JOSE and a kid mismatch: wrong_value",
             hm(typ="JOSE", kid=OTHER_KID), WV)
    add("order-kid-beats-signature", "kid mismatch and signed by another key: rule 6 wins",
        make_jws(obj(hm(kid=OTHER_KID)), C, other), CM, KNF)
    add("order-signature-beats-claims-json",
        "claims invalid JSON and signed by another key: signature checked first (rule 7)",
        make_jws(H, C[:-1], other), BS, SVF)
    add("order-signature-beats-expired", "expired and signed by another key: rule 7 wins",
        make_jws(H, obj(cm(iat=1577836800, exp=1577837400)), other), BS, SVF)
    reject_c("order-claim-type-beats-iss", "iat float and wrong iss: rule 9 wins",
             replace(cm(iss=OTHER_PID), "iat", "1700000000.0"), CWT)
    reject_c("order-iat-ge-exp-beats-expired-negative-zero",
             "iat 0 and exp -0 (also 0): iat >= exp is rule 9, before expired (rule 11)",
             replace(cm(iat=0), "exp", "-0"), CWT)
    reject_c("order-metadata-type-beats-iss", "metadata a string and wrong iss: rule 9 wins",
             cm(iss=OTHER_PID) + [("metadata", S("pro"))], CWT)
    reject_c("order-iss-beats-expired", "wrong iss and expired: rule 10 wins",
             cm(iss=OTHER_PID, iat=1577836800, exp=1577837400), PNF, status=CM)
    reject_c("order-expired-beats-nonce", "expired and wrong nonce: rule 11 wins",
             cm(iat=NOW - 601, exp=NOW - 1, nce="other"), "eit_expired", status=EXPD)
    reject_c("order-not-before-beats-nonce", "not yet valid and wrong nonce: rule 12 wins",
             cm(iat=NOW + 1, exp=NOW + 601, nce="other"), "eit_not_before", status=NYV)

    check_verify(cases, files, keys)
    return {
        "description": "Verifier vectors: tokens crafted by the generator; layer_verifier_new(key, "
                       "provider_id, key_id, flags) then layer_verifier_verify(token, "
                       "expected_nonce, now, leeway_seconds) must give expected_status, an error "
                       "message starting with expected_eit, and on LAYER_OK exactly "
                       "expected_claims_json. Rules are checked in the order given in README.md; "
                       "each reject-/attack- case violates one rule (see its description), "
                       "order- cases violate several.",
        "generator": GENERATOR,
        "cases": cases,
    }


def check_verify(cases, files, keys):
    names = set()
    for c in cases:
        if c["name"] in names:
            fail("duplicate verify case name " + c["name"])
        names.add(c["name"])
        pub = serialization.load_pem_public_key(public_pem_of(files[c["key_file"]]))
        if pub.key_size < 2048 and "ALLOW_1024_BIT_KEY" not in c["flags"]:
            fail(c["name"] + ": weak key without flag")
        status, eit, claims = reference_verify(c["token"], pub, c["provider_id"], c["key_id"],
                                               c["expected_nonce"], c["now"], c["leeway_seconds"])
        if (status, eit, claims) != (c["expected_status"], c["expected_eit"],
                                     c["expected_claims_json"]):
            fail("%s: reference verifier gives %s/%s, case says %s/%s"
                 % (c["name"], status, eit, c["expected_status"], c["expected_eit"]))


# ---------------------------------------------------------------------------------------------
# env.json: layer_signer_from_env

ENV_VARS = ["LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
            "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE"]
MISSING_KEY_FILE = "keys/does-not-exist.pem"


def env_key_file(env, files):
    """(key file, passphrase it needs) behind a successful case's key variable."""
    v = env.get("LAYER_PRIVATE_KEY") or env.get("LAYER_PRIVATE_KEY_PATH")
    rel = v.get("file_contents") or v["path"]
    encrypted = b"ENCRYPTED" in files[rel]
    return rel, (env.get("LAYER_PRIVATE_KEY_PASSPHRASE") or None) if encrypted else None


def reference_env(env, flags, files):
    """Our reading of the LAYER_* rules: returns (status, fragment, signer) where signer is
    (key text, passphrase, provider id, key id, typ JWT?) on success. An empty value is unset."""
    ARG = "LAYER_ERR_INVALID_ARGUMENT"

    def get(name):
        v = env.get(name)
        if isinstance(v, dict) and "file_contents" in v:
            data = files[v["file_contents"]]
            if b"\x00" in data:
                fail("file_contents %s holds a NUL byte" % v["file_contents"])
            return data.decode("utf-8")
        return v or None  # "" counts as unset; a {"path": ...} stays as it is

    provider_id, key_id = get("LAYER_PROVIDER_ID"), get("LAYER_KEY_ID")
    if provider_id is None or not valid_id(provider_id, "layer:///providers/"):
        return ARG, "layer_provider_id", None
    if key_id is None or not valid_id(key_id, "layer:///keys/"):
        return ARG, "layer_key_id", None
    token_type = get("LAYER_TOKEN_TYPE")
    if token_type is not None and not (token_type.isascii()
                                       and token_type.upper() in ("JWS", "JWT")):
        return ARG, "layer_token_type", None
    typ_jwt = "TYP_JWT" in flags or (token_type or "").upper() == "JWT"
    text, path = get("LAYER_PRIVATE_KEY"), get("LAYER_PRIVATE_KEY_PATH")
    if text is None and path is None:
        return ARG, "layer_private_key", None
    if text is not None and path is not None:
        return ARG, "layer_private_key_path", None
    var = "layer_private_key"
    if path is not None:
        var = "layer_private_key_path"
        if path["path"] not in files:
            if os.path.exists(os.path.join(HERE, path["path"])):
                fail("a path case names a file the generator does not know")
            return ARG, var, None
        text = files[path["path"]].decode("utf-8")
    passphrase = get("LAYER_PRIVATE_KEY_PASSPHRASE")
    if "ENCRYPTED" not in text:
        passphrase = None  # given for an unencrypted key: ignored
    # From here the key is read exactly as layer_signer_new reads its argument.
    status = reference_call("signer_new", {"private_key": text, "passphrase": passphrase,
                                           "provider_id": provider_id, "key_id": key_id,
                                           "flags": flags}, files)
    if status == "LAYER_ERR_WRONG_PASSPHRASE":
        return status, "layer_private_key_passphrase", None
    if status != "LAYER_OK":
        return status, var, None
    return "LAYER_OK", None, (text, passphrase, provider_id, key_id, typ_jwt)


def build_env(files, keys):
    P, K, pw = PID, KID, PASSPHRASE
    cases = []

    def fc(rel):
        return {"file_contents": rel}

    def path(rel):
        return {"path": rel}

    sign = {"user_id": USER, "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL}

    def add(name, description, status, frag=None, flags=(), **env):
        full = {"LAYER_PROVIDER_ID": P, "LAYER_KEY_ID": K,
                "LAYER_PRIVATE_KEY": fc("keys/rsa2048.pkcs8.pem")}
        for k, v in env.items():
            full[k] = v
        full = {k: v for k, v in full.items() if v is not None}  # None: unset
        if set(full) - set(ENV_VARS):
            fail("%s: unknown variable" % name)
        got, got_frag, signer = reference_env(full, list(flags), files)
        if (got, got_frag) != (status, frag):
            fail("%s: reference gives %s/%s, case says %s/%s" % (name, got, got_frag, status,
                                                                   frag))
        token = None
        if signer is not None:
            text, passphrase, provider_id, key_id, typ_jwt = signer
            key = tolerant_load_private(text.encode("utf-8"), passphrase)
            key_rel, _ = env_key_file(full, files)
            if not same_key(key, tolerant_load_private(files[key_rel], passphrase)):
                fail(name + ": the key variable does not hold its file's key")
            header = expected_header(key_id, typ_jwt)
            claims = expected_claims(provider_id, sign["user_id"], sign["issued_at"],
                                     sign["issued_at"] + (sign["ttl_seconds"] or 600),
                                     sign["nonce"], [])
            token = make_jws(header, claims, key)
        cases.append({
            "name": name, "description": description, "env": full, "flags": list(flags),
            "expected_status": status, "message_contains": frag,
            "sign": dict(sign) if token else None, "expected_token": token,
        })

    OK, ARG = "LAYER_OK", "LAYER_ERR_INVALID_ARGUMENT"
    KEY, WEAK, PASS = "LAYER_ERR_INVALID_KEY", "LAYER_ERR_WEAK_KEY", "LAYER_ERR_WRONG_PASSPHRASE"
    enc = "keys/rsa2048.pkcs8.encrypted.pem"

    # ---- success: every way of giving the key
    add("ok-key-text-real-newlines", "LAYER_PRIVATE_KEY holds the PKCS#8 PEM with real newlines",
        OK)
    add("ok-key-text-pkcs1-crlf", "LAYER_PRIVATE_KEY holds the PKCS#1 PEM with CRLF line endings",
        OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs1.crlf.pem"))
    add("ok-key-text-literal-backslash-n", "LAYER_PRIVATE_KEY holds the PEM on one line with "
        "literal \\n escapes instead of newlines", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.escaped.txt"))
    add("ok-key-text-flattened-oneline", "LAYER_PRIVATE_KEY holds the PEM with its line breaks "
        "removed", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.oneline.pem"))
    add("ok-key-text-flattened-spaces", "LAYER_PRIVATE_KEY holds the PEM with its line breaks "
        "turned into spaces", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.spaces.pem"))
    add("ok-key-text-pkcs1-flattened", "LAYER_PRIVATE_KEY holds the PKCS#1 PEM flattened", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs1.oneline.pem"))
    add("ok-key-text-base64-der", "LAYER_PRIVATE_KEY holds base64 of the PKCS#8 DER (no armor)",
        OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.der.b64"))
    add("ok-key-text-padded-whitespace", "LAYER_PRIVATE_KEY holds the PEM with whitespace and "
        "blank lines around it", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.padded.pem"))
    add("ok-key-path", "LAYER_PRIVATE_KEY_PATH names the PKCS#8 PEM file", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("ok-key-path-pkcs1", "LAYER_PRIVATE_KEY_PATH names the PKCS#1 PEM file", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs1.pem"))
    add("ok-key-path-4096", "LAYER_PRIVATE_KEY_PATH names a 4096-bit key", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa4096.pkcs8.pem"))
    add("ok-key-text-empty-path-set", "LAYER_PRIVATE_KEY empty counts as unset: the key comes "
        "from LAYER_PRIVATE_KEY_PATH", OK, LAYER_PRIVATE_KEY="",
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("ok-key-path-empty-text-set", "LAYER_PRIVATE_KEY_PATH empty counts as unset: the key "
        "comes from LAYER_PRIVATE_KEY", OK, LAYER_PRIVATE_KEY_PATH="")
    add("ok-encrypted-key-text-with-passphrase", "encrypted PKCS#8 in LAYER_PRIVATE_KEY with "
        "LAYER_PRIVATE_KEY_PASSPHRASE", OK, LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-encrypted-key-flattened-with-passphrase", "flattened encrypted PKCS#8 in "
        "LAYER_PRIVATE_KEY with its passphrase", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.encrypted.oneline.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-encrypted-key-path-with-passphrase", "LAYER_PRIVATE_KEY_PATH names an encrypted "
        "3072-bit key, LAYER_PRIVATE_KEY_PASSPHRASE opens it", OK, LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa3072.pkcs8.encrypted.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-passphrase-ignored-for-unencrypted-key", "a passphrase given for an unencrypted key "
        "is ignored", OK, LAYER_PRIVATE_KEY_PASSPHRASE="unused passphrase")
    # ---- success: typ, IDs, flags
    add("ok-token-type-jwt", "LAYER_TOKEN_TYPE=JWT selects typ JWT", OK, LAYER_TOKEN_TYPE="JWT")
    add("ok-token-type-jwt-lowercase", "LAYER_TOKEN_TYPE=jwt (any letter case) selects typ JWT",
        OK, LAYER_TOKEN_TYPE="jwt")
    add("ok-token-type-jwt-mixed-case", "LAYER_TOKEN_TYPE=jWt selects typ JWT", OK,
        LAYER_TOKEN_TYPE="jWt")
    add("ok-token-type-jws", "LAYER_TOKEN_TYPE=JWS: typ JWS", OK, LAYER_TOKEN_TYPE="JWS")
    add("ok-token-type-jws-lowercase", "LAYER_TOKEN_TYPE=jws: typ JWS", OK, LAYER_TOKEN_TYPE="jws")
    add("ok-token-type-empty-means-jws", "LAYER_TOKEN_TYPE empty counts as unset: typ JWS", OK,
        LAYER_TOKEN_TYPE="")
    add("ok-flag-typ-jwt", "the TYP_JWT flag selects typ JWT without LAYER_TOKEN_TYPE", OK,
        flags=["TYP_JWT"])
    add("ok-flag-typ-jwt-overrides-token-type-jws", "flag TYP_JWT and LAYER_TOKEN_TYPE=JWS: "
        "the flag is OR-ed in, typ JWT", OK, flags=["TYP_JWT"], LAYER_TOKEN_TYPE="JWS")
    add("ok-bare-uuid-ids", "bare UUIDs in LAYER_PROVIDER_ID and LAYER_KEY_ID, emitted as given",
        OK, LAYER_PROVIDER_ID=PROVIDER_UUID, LAYER_KEY_ID=KEY_UUID.upper())
    add("ok-1024-bit-key-with-flag", "the legacy 1024-bit key with ALLOW_1024_BIT_KEY", OK,
        flags=["ALLOW_1024_BIT_KEY"], LAYER_PRIVATE_KEY=fc("keys/rsa1024.pkcs8.pem"))
    add("ok-everything-at-once", "path, encrypted key, passphrase, token type jwt and the "
        "1024-bit flag (unused by this 2048-bit key)", OK, flags=["ALLOW_1024_BIT_KEY"],
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path(enc), LAYER_PRIVATE_KEY_PASSPHRASE=pw,
        LAYER_TOKEN_TYPE="jwt")

    # ---- IDs
    add("provider-id-unset", "LAYER_PROVIDER_ID not set", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=None)
    add("provider-id-empty", "LAYER_PROVIDER_ID set to the empty string", ARG,
        "layer_provider_id", LAYER_PROVIDER_ID="")
    add("provider-id-placeholder", "LAYER_PROVIDER_ID=YOUR_PROVIDER_ID", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID="YOUR_PROVIDER_ID")
    add("provider-id-is-key-id", "LAYER_PROVIDER_ID holds the key ID", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=K)
    add("provider-id-trailing-newline", "LAYER_PROVIDER_ID ends with a newline: values are not "
        "trimmed (the provider_id argument's rule)", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=P + "\n")
    add("key-id-unset", "LAYER_KEY_ID not set", ARG, "layer_key_id", LAYER_KEY_ID=None)
    add("key-id-empty", "LAYER_KEY_ID set to the empty string", ARG, "layer_key_id",
        LAYER_KEY_ID="")
    add("key-id-placeholder", "LAYER_KEY_ID=layer:///keys/<uuid>", ARG, "layer_key_id",
        LAYER_KEY_ID="layer:///keys/<uuid>")
    add("key-id-is-provider-id", "LAYER_KEY_ID holds the provider ID", ARG, "layer_key_id",
        LAYER_KEY_ID=P)
    # ---- token type
    for label, value in (("jose", "JOSE"), ("jwe", "JWE"), ("trailing-space", "JWT "),
                         ("none", "none")):
        add("token-type-" + label, "LAYER_TOKEN_TYPE=%r is neither JWS nor JWT" % value, ARG,
            "layer_token_type", LAYER_TOKEN_TYPE=value)
    # ---- key source
    add("private-key-neither-set", "neither LAYER_PRIVATE_KEY nor LAYER_PRIVATE_KEY_PATH", ARG,
        "layer_private_key", LAYER_PRIVATE_KEY=None)
    add("private-key-both-empty", "LAYER_PRIVATE_KEY and LAYER_PRIVATE_KEY_PATH both empty "
        "(unset)", ARG, "layer_private_key", LAYER_PRIVATE_KEY="", LAYER_PRIVATE_KEY_PATH="")
    add("private-key-passphrase-only", "only LAYER_PRIVATE_KEY_PASSPHRASE, no key", ARG,
        "layer_private_key", LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("private-key-and-path-both-set", "LAYER_PRIVATE_KEY and LAYER_PRIVATE_KEY_PATH both set "
        "(even to the same key)", ARG, "layer_private_key_path",
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("private-key-path-missing-file", "LAYER_PRIVATE_KEY_PATH names a file that does not "
        "exist", ARG, "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path(MISSING_KEY_FILE))
    # ---- keys that do not load
    add("private-key-garbage", "LAYER_PRIVATE_KEY is not a key", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY="this is not a key")
    add("private-key-public-key", "LAYER_PRIVATE_KEY holds the public key", KEY,
        "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa2048.public.pem"))
    add("private-key-truncated-flattened", "LAYER_PRIVATE_KEY holds a flattened PEM cut in the "
        "middle", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY=files["keys/rsa2048.pkcs8.oneline.pem"].decode()[:900])
    add("private-key-ec", "LAYER_PRIVATE_KEY holds an EC key", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY=fc("keys/ec-p256.pkcs8.pem"))
    add("private-key-exponent-huge", "LAYER_PRIVATE_KEY holds a key with a 300-bit exponent",
        KEY, "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa2048-e-huge.pkcs8.pem"))
    add("private-key-path-public-key", "LAYER_PRIVATE_KEY_PATH names a public key file", KEY,
        "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.public.pem"))
    add("private-key-path-openssh", "LAYER_PRIVATE_KEY_PATH names an OpenSSH private key", KEY,
        "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/ed25519.openssh"))
    add("private-key-1024-bit-without-flag", "the 1024-bit key without ALLOW_1024_BIT_KEY", WEAK,
        "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa1024.pkcs8.pem"))
    add("private-key-path-1024-bit-without-flag", "LAYER_PRIVATE_KEY_PATH names the 1024-bit "
        "key, no flag", WEAK, "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa1024.pkcs8.pem"))
    add("private-key-512-bit-even-with-flag", "the 512-bit key, even with ALLOW_1024_BIT_KEY",
        WEAK, "layer_private_key", flags=["ALLOW_1024_BIT_KEY"],
        LAYER_PRIVATE_KEY=fc("keys/rsa512.pkcs8.pem"))
    # ---- passphrase
    add("passphrase-missing-for-encrypted-key", "encrypted key in LAYER_PRIVATE_KEY, no "
        "LAYER_PRIVATE_KEY_PASSPHRASE", PASS, "layer_private_key_passphrase",
        LAYER_PRIVATE_KEY=fc(enc))
    add("passphrase-empty-for-encrypted-key", "encrypted key, LAYER_PRIVATE_KEY_PASSPHRASE empty",
        PASS, "layer_private_key_passphrase", LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE="")
    add("passphrase-wrong", "encrypted key, wrong LAYER_PRIVATE_KEY_PASSPHRASE", PASS,
        "layer_private_key_passphrase", LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE="Tr0ub4dor&3")
    add("passphrase-missing-for-encrypted-key-path", "LAYER_PRIVATE_KEY_PATH names an encrypted "
        "key, no passphrase", PASS, "layer_private_key_passphrase", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path(enc))
    add("passphrase-wrong-for-flattened-encrypted-key", "flattened encrypted key, wrong "
        "passphrase", PASS, "layer_private_key_passphrase",
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.encrypted.oneline.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw.upper())

    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        fail("duplicate env case name")
    if os.path.exists(os.path.join(HERE, MISSING_KEY_FILE)):
        fail("vectors/%s must not exist" % MISSING_KEY_FILE)
    return {
        "description": "layer_signer_from_env(flags) vectors: set exactly the variables in env "
                       "(unset every other LAYER_* variable; a {\"file_contents\": f} value is "
                       "the bytes of vectors/f, a {\"path\": f} value the absolute path of "
                       "vectors/f), call it with flags, and expect expected_status and a message "
                       "containing message_contains (case-insensitively). On LAYER_OK sign with "
                       "sign's inputs (no attributes): the token must equal expected_token.",
        "generator": GENERATOR,
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# Independent cross-checks: openssl CLI and PyJWT

def openssl(args, **kw):
    return subprocess.run(["openssl"] + args, capture_output=True, **kw)


def cross_check(files, sign_doc, verify_doc, env_doc):
    import jwt  # PyJWT (python3-jwt); a second JWS implementation

    counts = {"openssl_verify": 0, "openssl_resign": 0, "pyjwt": 0, "openssl_keys": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in files.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)

        def check_token(name, token, key_file, passphrase=None):
            pub_pem = public_pem_of(files[key_file], passphrase)
            pub_path = os.path.join(tmp, "pub.pem")
            with open(pub_path, "wb") as f:
                f.write(pub_pem)
            signing_input, sig_b64 = token.rsplit(".", 1)
            with open(os.path.join(tmp, "input.bin"), "wb") as f:
                f.write(signing_input.encode("ascii"))
            with open(os.path.join(tmp, "sig.bin"), "wb") as f:
                f.write(b64u_decode_strict(sig_b64))
            r = openssl(["dgst", "-sha256", "-verify", pub_path, "-signature",
                         os.path.join(tmp, "sig.bin"), os.path.join(tmp, "input.bin")])
            if r.returncode != 0 or b"Verified OK" not in r.stdout:
                fail("openssl does not verify %s: %s %s" % (name, r.stdout, r.stderr))
            counts["openssl_verify"] += 1
            # verify_aud off too: one accept case carries an unknown "aud" claim, which the
            # Layer policy ignores (RFC 7519 section 4) but PyJWT would check by default.
            try:
                payload = jwt.decode(token, pub_pem, algorithms=["RS256"],
                                     options={"verify_exp": False, "verify_iat": False,
                                              "verify_nbf": False, "verify_aud": False})
            except jwt.PyJWTError as e:
                fail("PyJWT rejects %s: %r" % (name, e))
            expected = json.loads(b64u_decode_strict(token.split(".")[1]))
            if payload != expected:
                fail("PyJWT payload differs for " + name)
            counts["pyjwt"] += 1

        def check_signed(name, token, key_rel, passphrase):
            """check_token, and openssl re-signs with the key file itself: the signature must
            be byte-identical."""
            check_token(name, token, key_rel, passphrase)
            key_path = os.path.join(tmp, key_rel)
            extra = []
            if key_rel.endswith(".der.b64"):
                key_path = os.path.join(tmp, "key.der")
                with open(key_path, "wb") as f:
                    f.write(base64.b64decode(files[key_rel]))
                extra = ["-keyform", "DER"]
            elif key_rel.endswith(".padded.pem"):
                # openssl's PEM reader needs "-----BEGIN" at the start of a line: it rejects this
                # form as stored, so the library must trim surrounding whitespace itself.
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(files[key_rel].strip() + b"\n")
            elif key_rel.endswith(".escaped.txt"):
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(files[key_rel].replace(b"\\n", b"\n"))
            elif key_rel.endswith((".oneline.pem", ".spaces.pem")):
                # openssl refuses flattened PEM as stored (checked below): give it the block
                # with its line breaks re-inserted.
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(key_text_form(files[key_rel])[1])
            if passphrase is not None:
                extra += ["-passin", "pass:" + passphrase]
            r = openssl(["dgst", "-sha256", "-sign", key_path] + extra
                        + [os.path.join(tmp, "input.bin")])
            if r.returncode != 0:
                fail("openssl cannot sign with %s: %s" % (key_rel, r.stderr))
            if b64u(r.stdout) != token.rsplit(".", 1)[1]:
                fail("openssl signature differs for " + name)
            counts["openssl_resign"] += 1

        for c in sign_doc["cases"]:
            check_signed(c["name"], c["expected_token"], c["private_key_file"], c["passphrase"])
            if json.loads(c["expected_header_json"]) != jwt.get_unverified_header(
                    c["expected_token"]):
                fail("PyJWT header differs for " + c["name"])
        for c in env_doc["cases"]:
            if c["expected_status"] == "LAYER_OK":
                key_rel, passphrase = env_key_file(c["env"], files)
                check_signed(c["name"], c["expected_token"], key_rel, passphrase)
        for c in verify_doc["cases"]:
            if c["expected_status"] == "LAYER_OK":
                check_token(c["name"], c["token"], c["key_file"])
        # The copied RFC 7515 A.2 key verifies the RFC's own token.
        check_token("rfc7515-a2", RFC7515_A2_TOKEN, "keys/rfc7515-a2.public.pem")
        # openssl reads the intended exponent from every exponent key, and finds the private
        # ones consistent (primes, d, CRT values).
        for rel in files:
            if not re.fullmatch(r"keys/rsa2048-e[^.]*\.(public|pkcs8)\.pem", rel):
                continue
            pub = rel.endswith(".public.pem")
            r = openssl(["rsa", "-noout", "-text", "-in", os.path.join(tmp, rel)]
                        + (["-pubin"] if pub else []))
            text = r.stdout.decode()
            m = re.search(r"^(?:publicE|E)xponent: *"
                          r"(?:(\d+) \(0x[0-9a-f]+\)|\n((?: +[0-9a-f:]+\n)+))", text, re.M)
            if r.returncode != 0 or not m:
                fail("openssl cannot read the exponent of " + rel)
            e = int(m.group(1)) if m.group(1) else int(re.sub(r"[\s:]", "", m.group(2)), 16)
            want = serialization.load_pem_public_key(public_pem_of(files[rel])).public_numbers().e
            if e != want:
                fail("openssl reads another exponent from " + rel)
            counts["openssl_keys"] += 1
            if not pub:
                r = openssl(["pkey", "-check", "-noout", "-in", os.path.join(tmp, rel)])
                if r.returncode != 0 or b"Key is valid" not in r.stdout:
                    fail("openssl finds %s inconsistent: %s" % (rel, r.stderr))
        # openssl refuses the flattened forms as stored, and reads them once re-wrapped.
        for rel in files:
            if rel.endswith((".oneline.pem", ".spaces.pem")):
                args = ["pkey", "-noout"] + (["-pubin"] if ".public." in rel else []) + (
                    ["-passin", "pass:" + PASSPHRASE] if ".encrypted." in rel else [])
                if openssl(args + ["-in", os.path.join(tmp, rel)]).returncode == 0:
                    fail("openssl reads the flattened %s as stored: README says it does not"
                         % rel)
                path = os.path.join(tmp, "rewrapped.pem")
                with open(path, "wb") as f:
                    f.write(key_text_form(files[rel])[1])
                if openssl(args + ["-in", path]).returncode != 0:
                    fail("openssl cannot read %s re-wrapped" % rel)
                counts["openssl_keys"] += 1
        # Encrypted keys open with the passphrase in openssl too.
        for rel in files:
            if rel.endswith(".encrypted.pem"):
                r = openssl(["pkey", "-in", os.path.join(tmp, rel), "-passin",
                             "pass:" + PASSPHRASE, "-noout"])
                if r.returncode != 0:
                    fail("openssl cannot decrypt " + rel)
    return counts


# ---------------------------------------------------------------------------------------------

def dump(doc):
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    if "\\u0000" in text.replace("\\\\", "") or re.search(r'"hex": "([0-9a-f ]* )?00[ "]', text):
        fail("U+0000 / NUL byte found in a vector (C strings cannot carry it)")
    return text.encode("ascii")


def build_all(check):
    _self_test_json_str()
    files, keys = build_keys(check)
    sign_doc = build_sign(files, keys)
    errors_doc = build_errors(files, keys)
    verify_doc = build_verify(files, keys)
    env_doc = build_env(files, keys)
    counts = cross_check(files, sign_doc, verify_doc, env_doc)
    out = dict(files)
    out["sign.json"] = dump(sign_doc)
    out["errors.json"] = dump(errors_doc)
    out["verify.json"] = dump(verify_doc)
    out["env.json"] = dump(env_doc)
    summary = {"sign": len(sign_doc["cases"]), "errors": len(errors_doc["cases"]),
               "verify": len(verify_doc["cases"]), "env": len(env_doc["cases"]),
               "verify_accept": sum(c["expected_status"] == "LAYER_OK"
                                    for c in verify_doc["cases"])}
    return out, summary, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory and fail if any committed vector file differs")
    args = ap.parse_args()
    try:
        out, summary, counts = build_all(args.check)
    except VectorError as e:
        print("generate.py: FAILED: %s" % e, file=sys.stderr)
        return 1
    print("cases: sign=%(sign)d errors=%(errors)d verify=%(verify)d (accept %(verify_accept)d) "
          "env=%(env)d" % summary)
    print("cross-checks passed: openssl verify=%(openssl_verify)d, openssl re-sign identical="
          "%(openssl_resign)d, PyJWT decode=%(pyjwt)d, openssl key reads=%(openssl_keys)d"
          % counts)
    if args.check:
        bad = 0
        for rel, data in sorted(out.items()):
            path = os.path.join(HERE, rel)
            if not os.path.exists(path):
                print("MISSING  vectors/%s" % rel)
                bad += 1
                continue
            with open(path, "rb") as f:
                old = f.read()
            if old != data:
                bad += 1
                print("DIFFERS  vectors/%s" % rel)
                diff = list(difflib.unified_diff(
                    old.decode("utf-8", "replace").splitlines(),
                    data.decode("utf-8", "replace").splitlines(),
                    "committed/" + rel, "regenerated/" + rel, lineterm="", n=1))
                for line in diff[:20]:
                    print("    " + line[:200])
                if len(diff) > 20:
                    print("    ... (%d more diff lines)" % (len(diff) - 20))
        if bad:
            print("generate.py --check: %d file(s) differ; run /usr/bin/python3 "
                  "vectors/generate.py and commit" % bad, file=sys.stderr)
            return 1
        print("generate.py --check: all %d vector files are up to date" % len(out))
        return 0
    for rel, data in sorted(out.items()):
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != data:
            with open(path, "wb") as f:
                f.write(data)
            print("wrote vectors/%s" % rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
