"""The token itself, as the independent implementation writes it: RS256 (and a deterministic
PS256 for one attack case), the compact JWS, and the exact header and claims JSON texts."""

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .common import CTY
from .jsonfmt import obj, S
from .b64 import b64u


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
