"""An independent implementation (PyJWT with cryptography) agrees with ours both ways."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import layer_identity
from layer_identity import Signer, Verifier

from .conftest import KEY_ID, PROVIDER_ID


def test_our_token_verified_by_pyjwt(signer: Signer, public_pem: bytes) -> None:
    token = signer.sign("alice@example.com", "nonce-ü", display_name="Alice", metadata={"a": "1"})
    header = jwt.get_unverified_header(token)
    assert header == {"typ": "JWS", "alg": "RS256", "cty": "layer-eit;v=1", "kid": KEY_ID}
    claims = jwt.decode(token, public_pem, algorithms=["RS256"])
    assert claims["iss"] == PROVIDER_ID
    assert claims["prn"] == "alice@example.com"
    assert claims["nce"] == "nonce-ü"
    assert claims["display_name"] == "Alice"
    assert claims["metadata"] == {"a": "1"}
    assert claims["exp"] - claims["iat"] == 600


def test_pyjwt_token_verified_by_ours() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": PROVIDER_ID,
            "prn": "bob",
            "iat": now,
            "exp": now + 600,
            "nce": "n-1",
            "first_name": "Bob",
        },
        key,
        algorithm="RS256",
        headers={"typ": "JWT", "cty": "layer-eit;v=1", "kid": KEY_ID},
    )
    public = key.public_key()
    from cryptography.hazmat.primitives import serialization

    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with Verifier(pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(token, nonce="n-1")
    assert (claims.user_id, claims.first_name, claims.issued_at) == ("bob", "Bob", now)
    # Signed by another key: rejected, with Layer's identifier.
    other = jwt.encode(
        {"iss": PROVIDER_ID, "prn": "bob", "iat": now, "exp": now + 600, "nce": "n-1"},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"typ": "JWT", "cty": "layer-eit;v=1", "kid": KEY_ID},
    )
    with (
        Verifier(pem, PROVIDER_ID, KEY_ID) as verifier,
        pytest.raises(layer_identity.BadSignatureError) as raised,
    ):
        verifier.verify(other)
    assert raised.value.eit_code == "eit_signature_verification_failed"
