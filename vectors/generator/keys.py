"""The key files under vectors/keys: building (or reading back) every key and its derived forms,
the unusual-exponent keys and hand-encoded DER, and our own reading of the documented key-text
forms (PEM, flattened PEM, literal \\n escapes, base64 DER)."""

import base64
import datetime
import math
import os
import re
import secrets
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from .common import fail, HERE, NON_UTF8_PASSPHRASE, PASSPHRASE, RFC7515_A2_KEY_SOURCES


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

    def encrypted(rel, key, passphrase=PASSPHRASE.encode()):
        path = os.path.join(HERE, rel)
        data = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            try:
                k = serialization.load_pem_private_key(data, passphrase)
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
                                     serialization.BestAvailableEncryption(passphrase))
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
            # A passphrase is bytes (ABI 3): this one is Latin-1 text, not UTF-8.
            encrypted("keys/%s.pkcs8.encrypted-non-utf8.pem" % name, key, NON_UTF8_PASSPHRASE)
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
    """passphrase: None, a str (used as its UTF-8 bytes) or bytes (used as they are)."""
    label, data = key_text_form(text)
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
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
