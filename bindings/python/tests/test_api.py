"""The API beyond the vectors: times, claims, key pairs, inspection, the environment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from pathlib import Path

import jwt
import pytest

import layer_identity
from layer_identity import Claims, Signer, Verifier

from .conftest import KEY_ID, PROVIDER_ID, VECTORS

UTC = dt.timezone.utc


def claims_of(token: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(layer_identity.inspect_token(token).claims_json)
    return parsed


def test_defaults(signer: Signer, verifier: Verifier) -> None:
    before = int(time.time())
    token = signer.sign("alice", "n")
    claims = verifier.verify(token, nonce="n")
    assert before <= claims.issued_at <= int(time.time())
    assert claims.expires_at - claims.issued_at == layer_identity.DEFAULT_TTL_SECONDS == 600
    assert layer_identity.DEFAULT_LEEWAY_SECONDS == 60
    assert json.loads(layer_identity.inspect_token(token).header_json)["typ"] == "JWS"
    assert claims.issued_at_datetime == dt.datetime.fromtimestamp(claims.issued_at, UTC)
    assert claims.expires_at_datetime.tzinfo is UTC


def test_times_in_pythons_own_types(signer: Signer) -> None:
    moment = dt.datetime(2023, 11, 14, 22, 13, 20, 999_999, tzinfo=UTC)  # floored
    token = signer.sign("a", "n", issued_at=moment, ttl=dt.timedelta(minutes=5))
    assert claims_of(token)["iat"] == 1_700_000_000
    assert claims_of(token)["exp"] == 1_700_000_300
    elsewhere = moment.astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert signer.sign("a", "n", issued_at=elsewhere, ttl=300) == token
    before_epoch = dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    assert layer_identity._args.unix_seconds(before_epoch, "x") == -1  # floored, not truncated


def test_naive_datetime_is_refused(signer: Signer, verifier: Verifier) -> None:
    with pytest.raises(ValueError, match=r"naive datetime.*local time") as raised:
        signer.sign("a", "n", issued_at=dt.datetime.now())
    assert "datetime.now(timezone.utc)" in str(raised.value)
    with pytest.raises(ValueError, match="naive"):
        verifier.verify("a.b.c", now=dt.datetime(2024, 1, 1))


def test_durations(signer: Signer) -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        signer.sign("a", "n", ttl=dt.timedelta(milliseconds=1500))
    # Negative and oversized lifetimes are the library's to refuse, by name.
    for ttl in (-1, dt.timedelta(seconds=-60), 2**32, 2**63):
        with pytest.raises(layer_identity.InvalidArgumentError, match="ttl"):
            signer.sign("a", "n", ttl=ttl)
    assert (
        claims_of(signer.sign("a", "n", ttl=0))["exp"]
        == claims_of(  # 0 is the default
            signer.sign("a", "n", ttl=600)
        )["exp"]
    )


@pytest.mark.parametrize(
    "issued_at",
    [-1, -(2**63), dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), 2**64],
)
def test_times_before_1970_are_refused_never_now(signer: Signer, issued_at: object) -> None:
    # A bug (an unset field, a date before 1970) must not silently mean "now".
    with pytest.raises(layer_identity.InvalidArgumentError, match="issued_at") as raised:
        signer.sign("a", "n", issued_at=issued_at)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)


def test_zero_means_now(signer: Signer, verifier: Verifier) -> None:
    before = int(time.time())
    assert verifier.verify(signer.sign("a", "n", issued_at=0), now=0).issued_at >= before


@pytest.mark.parametrize(
    ("now", "leeway"), [(-1, 60), (0, -1), (dt.datetime(1960, 1, 1, tzinfo=UTC), 0)]
)
def test_verify_refuses_negative_times(
    signer: Signer, verifier: Verifier, now: object, leeway: int
) -> None:
    token = signer.sign("a", "n")
    with pytest.raises(layer_identity.InvalidArgumentError):
        verifier.verify(token, now=now, leeway=leeway)  # type: ignore[arg-type]


def test_milliseconds_are_the_librarys_error(signer: Signer) -> None:
    with pytest.raises(layer_identity.InvalidArgumentError, match="milliseconds"):
        signer.sign("a", "n", issued_at=int(time.time() * 1000))


def test_verify_now_and_leeway(signer: Signer, verifier: Verifier) -> None:
    token = signer.sign("a", "n", issued_at=1_700_000_000, ttl=600)
    at = dt.datetime.fromtimestamp(1_700_000_600, UTC)
    with pytest.raises(layer_identity.ExpiredError):
        verifier.verify(token, now=at, leeway=0)
    assert verifier.verify(token, now=at, leeway=dt.timedelta(seconds=1)).user_id == "a"
    assert verifier.verify(token, now=1_700_000_659).user_id == "a"  # default leeway 60
    with pytest.raises(layer_identity.ExpiredError):
        verifier.verify(token, now=1_700_000_660)
    with pytest.raises(layer_identity.NotYetValidError):
        verifier.verify(token, now=1_699_999_939)


def test_attributes_metadata_and_nul_in_claims(signer: Signer, verifier: Verifier) -> None:
    token = signer.sign(
        "zoë 例え",
        "n",
        first_name="Zoë",
        last_name="O'Brien",
        display_name="Zoë 🙂",
        avatar_url="https://example.com/z.png",
        metadata=[("plan", "pro"), ("beta", "")],
    )
    claims = verifier.verify(token, nonce="n")
    assert claims.user_id == "zoë 例え"
    assert (claims.first_name, claims.last_name) == ("Zoë", "O'Brien")
    assert claims.display_name == "Zoë 🙂"
    assert claims.avatar_url == "https://example.com/z.png"
    assert list(claims.metadata.items()) == [("beta", ""), ("plan", "pro")]
    with pytest.raises(TypeError):
        claims.metadata["x"] = "y"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        claims.user_id = "mallory"  # type: ignore[misc]
    assert hash(claims) == hash(verifier.verify(token, nonce="n"))
    assert json.loads(claims.json)["metadata"] == {"beta": "", "plan": "pro"}
    # A claim may hold U+0000 (\u0000 in the JSON): read by length, never cut short.
    assert isinstance(claims, Claims)


def test_claims_with_nul_from_another_signer(private_pem: bytes, public_pem: bytes) -> None:
    token = jwt.encode(
        {
            "iss": PROVIDER_ID,
            "prn": "ali\0ce",
            "iat": 1_700_000_000,
            "exp": 1_700_000_600,
            "nce": "n\0",
            "first_name": "\0",
        },
        private_pem,
        algorithm="RS256",
        headers={"typ": "JWS", "cty": "layer-eit;v=1", "kid": KEY_ID},
    )
    with Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(token, now=1_700_000_100)
    assert claims.user_id == "ali\0ce"
    assert claims.nonce == "n\0"
    assert claims.first_name == "\0"


@pytest.mark.parametrize("name", ["JWT", "jwt", "Jwt"])
def test_token_type_jwt(private_pem: bytes, verifier: Verifier, name: str) -> None:
    # Any letter case: the library's rule (layer_token_type_flags).
    with Signer(private_pem, PROVIDER_ID, KEY_ID, token_type=name) as signer:  # type: ignore[arg-type]
        token = signer.sign("a", "n")
    assert json.loads(layer_identity.inspect_token(token).header_json)["typ"] == "JWT"
    assert verifier.verify(token).user_id == "a"


def test_an_integer_user_id_is_written_in_decimal(signer: Signer, verifier: Verifier) -> None:
    assert verifier.verify(signer.sign(42, "n")).user_id == "42"
    assert verifier.verify(signer.sign(-7, "n")).user_id == "-7"
    assert signer.sign(2**80, "n", issued_at=1) == signer.sign(str(2**80), "n", issued_at=1)
    with pytest.raises(TypeError, match="user_id"):
        signer.sign(True, "n")  # a bool is never a user ID


def test_generate_key_pair() -> None:
    pair = layer_identity.generate_key_pair()
    assert pair.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert "BEGIN PRIVATE KEY" not in repr(pair)
    private, public = pair
    with Signer(private, PROVIDER_ID, KEY_ID) as signer:
        assert signer.public_key_pem == public
        token = signer.sign("a", "n")
    with Verifier(public, PROVIDER_ID, KEY_ID) as verifier:
        assert verifier.verify(token).user_id == "a"
    with pytest.raises(layer_identity.WeakKeyError, match="1024"):
        layer_identity.generate_key_pair(1024)


def test_inspect_token(signer: Signer) -> None:
    token = signer.sign("alice", "n")
    header, claims = layer_identity.inspect_token(token)
    assert json.loads(header)["kid"] == KEY_ID
    assert json.loads(claims)["prn"] == "alice"
    with pytest.raises(layer_identity.MalformedTokenError):
        layer_identity.inspect_token("not a token")


def test_one_shot_and_cache(private_pem: bytes, signer: Signer) -> None:
    args = (PROVIDER_ID, KEY_ID, "alice", "n")
    first = layer_identity.sign_token(private_pem, *args, issued_at=1_700_000_000)
    layer_identity.clear_key_cache()
    again = layer_identity.sign_token(private_pem.decode(), *args, issued_at=1_700_000_000)
    assert first == again == signer.sign("alice", "n", issued_at=1_700_000_000)


def test_from_env(monkeypatch: pytest.MonkeyPatch, verifier: Verifier) -> None:
    for name in [n for n in os.environ if n.startswith("LAYER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LAYER_PROVIDER_ID", PROVIDER_ID)
    monkeypatch.setenv("LAYER_KEY_ID", KEY_ID)
    monkeypatch.setenv("LAYER_PRIVATE_KEY_PATH", str(VECTORS / "keys/rsa2048.pkcs8.pem"))
    with Signer.from_env() as signer:
        token = signer.sign("a", "n")
    assert verifier.verify(token).user_id == "a"
    with Signer.from_env(token_type="JWT") as signer:
        header = layer_identity.inspect_token(signer.sign("a", "n")).header_json
    assert '"typ":"JWT"' in header
    monkeypatch.delenv("LAYER_KEY_ID")
    with pytest.raises(layer_identity.InvalidArgumentError, match="LAYER_KEY_ID"):
        Signer.from_env()


def test_key_file_bytes_are_passed_exactly(tmp_path: Path, private_pem: bytes) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(b"\r\n  " + private_pem.replace(b"\n", b"\r\n") + b"  \r\n")
    with (
        Signer.from_file(path, PROVIDER_ID, KEY_ID) as a,
        Signer(private_pem, PROVIDER_ID, KEY_ID) as b,
    ):
        assert a.sign("x", "y", issued_at=1) == b.sign("x", "y", issued_at=1)
    with pytest.raises(FileNotFoundError):
        Signer.from_file(tmp_path / "missing.pem", PROVIDER_ID, KEY_ID)


def test_versions() -> None:
    assert layer_identity.library_version() == layer_identity.__version__
    assert layer_identity.ABI_VERSION == 3
    cargo = (VECTORS.parent / "Cargo.toml").read_text("utf-8")
    assert f'\nversion = "{layer_identity.__version__}"\n' in cargo
