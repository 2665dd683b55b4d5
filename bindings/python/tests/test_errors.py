"""Statuses and identifiers against the header, the exception table, argument errors."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable

import pytest

import layer_identity
from layer_identity import Eit, LayerIdentityError, Signer, Status, Verifier
from layer_identity._errors import ERROR_CLASSES, eit_name, status_name

from .conftest import HEADER, KEY_ID, PROVIDER_ID


def header_enum(name: str) -> dict[str, int]:
    """The members of `typedef enum { ... } name;` in include/layer_identity.h."""
    text = HEADER.read_text("utf-8")
    match = re.search(r"typedef enum \{([^}]*)\}\s*" + name + ";", text)
    assert match, f"no enum {name} in the header"
    body = re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.DOTALL)
    members = dict(re.findall(r"(\w+)\s*=\s*(\d+)", body))
    assert members, f"no members parsed from {name}"
    return {member: int(value) for member, value in members.items()}


def test_status_enum_is_the_headers() -> None:
    header = header_enum("LayerStatus")
    ours = {("LAYER_" if s is Status.OK else "LAYER_ERR_") + s.name: s.value for s in Status}
    assert ours == header


def test_eit_enum_is_the_headers() -> None:
    assert {"LAYER_EIT_" + e.name: e.value for e in Eit} == header_enum("LayerEit")


def test_flags_and_abi_version_are_the_headers() -> None:
    from layer_identity import _library

    defines = dict(re.findall(r"^#define (LAYER_\w+) (\d+)$", HEADER.read_text("utf-8"), re.M))
    assert {name: int(value) for name, value in defines.items()} == {
        "LAYER_FLAG_TYP_JWT": _library.FLAG_TYP_JWT,
        "LAYER_FLAG_ALLOW_1024_BIT_KEY": _library.FLAG_ALLOW_1024_BIT_KEY,
        "LAYER_ABI_VERSION": _library.ABI_VERSION,
        "LAYER_DEFAULT_TTL_SECONDS": _library.DEFAULT_TTL_SECONDS,
        "LAYER_DEFAULT_LEEWAY_SECONDS": _library.DEFAULT_LEEWAY_SECONDS,
        "LAYER_CLAIM_TEXT_COUNT": _library.CLAIM_TEXT_COUNT,
        "LAYER_FIELD_COUNT": _library.FIELD_COUNT,
        "LAYER_ENDPOINT_MAX_BODY_BYTES": _library.ENDPOINT_MAX_BODY_BYTES,
        "LAYER_EXCHANGE_MAX_HEADERS": _library.EXCHANGE_MAX_HEADERS,
        "LAYER_ATTRIBUTE_COUNT": _library.ATTRIBUTE_COUNT,
        "LAYER_VERIFY_INTO_BUFFER_BYTES": _library.VERIFY_INTO_BUFFER_BYTES,
    }
    # The two defined by an expression: the one the header writes, and the largest uint32_t.
    text = HEADER.read_text("utf-8")
    assert "#define LAYER_VERIFY_INTO_HEADER_BYTES (16 + (4 * LAYER_CLAIM_TEXT_COUNT))" in text
    assert _library.VERIFY_INTO_HEADER_BYTES == 16 + 4 * _library.CLAIM_TEXT_COUNT
    assert "#define LAYER_CLAIM_ABSENT UINT32_MAX" in text
    assert _library.CLAIM_ABSENT == 2**32 - 1
    for enum in ("LayerClaimText", "LayerField", "LayerAttribute"):
        assert (
            len(header_enum(enum))
            == {
                "LayerClaimText": _library.CLAIM_TEXT_COUNT,
                "LayerField": _library.FIELD_COUNT,
                "LayerAttribute": _library.ATTRIBUTE_COUNT,
            }[enum]
        )
    assert _library.lib.layer_abi_version() >= _library.ABI_VERSION


def test_every_error_status_has_its_exception_class() -> None:
    errors = {status for status in Status if status is not Status.OK}
    assert set(ERROR_CLASSES) == errors
    assert len(set(ERROR_CLASSES.values())) == len(errors), "one class per status"
    for status, cls in ERROR_CLASSES.items():
        assert issubclass(cls, LayerIdentityError)
        assert getattr(layer_identity, cls.__name__) is cls, "exported"
        assert status_name(status) == f"LAYER_ERR_{status.name}"


def test_verification_statuses_share_a_base() -> None:
    rejected = {
        s for s, cls in ERROR_CLASSES.items() if issubclass(cls, layer_identity.TokenRejectedError)
    }
    assert rejected == {
        Status.MALFORMED_TOKEN,
        Status.BAD_SIGNATURE,
        Status.EXPIRED,
        Status.NOT_YET_VALID,
        Status.CLAIM_MISMATCH,
    }


def test_eit_names_are_the_librarys() -> None:
    assert eit_name(Eit.NONE) is None
    for eit in Eit:
        if eit is not Eit.NONE:
            assert eit_name(eit) == "eit_" + eit.name.lower()
    assert eit_name(999) is None
    assert status_name(999) == "LAYER_STATUS_UNKNOWN"


def test_error_fields_and_pickling(signer: Signer, verifier: Verifier) -> None:
    token = signer.sign("alice", "nonce-1", issued_at=1_700_000_000)
    with pytest.raises(layer_identity.ExpiredError) as raised:
        verifier.verify(token)
    error = raised.value
    assert error.status is Status.EXPIRED
    assert error.status_name == "LAYER_ERR_EXPIRED"
    assert error.eit_code == "eit_expired"
    assert str(error) == error.message
    assert error.message.startswith("eit_expired: ")
    assert "eit_expired" in repr(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.message, copy.status, copy.status_name, copy.eit_code) == (
        error.message,
        error.status,
        error.status_name,
        error.eit_code,
    )


def test_non_token_failure_has_no_eit_code(private_pem: bytes) -> None:
    with pytest.raises(layer_identity.InvalidArgumentError) as raised:
        Signer(private_pem, "YOUR_PROVIDER_ID", KEY_ID)
    assert raised.value.eit_code is None
    assert "provider id" in raised.value.message.lower()


# Every argument of the wrong type is a TypeError naming it, raised before the C call.
GOOD_KEY = object()  # replaced by the real key in the test


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda key: Signer(42, PROVIDER_ID, KEY_ID), "private_key"),  # type: ignore[arg-type]
        (lambda key: Signer(None, PROVIDER_ID, KEY_ID), "private_key"),  # type: ignore[arg-type]
        (lambda key: Signer(key, None, KEY_ID), "provider_id"),  # type: ignore[arg-type]
        (lambda key: Signer(key, PROVIDER_ID, b"k"), "key_id"),  # type: ignore[arg-type]
        (lambda key: Signer(key, PROVIDER_ID, KEY_ID, passphrase=1), "passphrase"),  # type: ignore[arg-type]
        (lambda key: Signer(key, PROVIDER_ID, KEY_ID, token_type=None), "token_type"),  # type: ignore[arg-type]
        (lambda key: Signer(key, PROVIDER_ID, KEY_ID, allow_1024_bit_key=1), "allow_1024_bit_key"),  # type: ignore[arg-type]
        (lambda key: Signer.from_file(3.5, PROVIDER_ID, KEY_ID), "path"),  # type: ignore[arg-type]
        (lambda key: Verifier(["k"], PROVIDER_ID, KEY_ID), "public_key"),  # type: ignore[arg-type]
        (lambda key: Verifier(key, PROVIDER_ID, None), "key_id"),  # type: ignore[arg-type]
        (lambda key: layer_identity.sign_token(key, PROVIDER_ID, KEY_ID, 7.0, "n"), "user_id"),  # type: ignore[arg-type]
        (lambda key: layer_identity.generate_key_pair("2048"), "bits"),  # type: ignore[arg-type]
        (lambda key: layer_identity.generate_key_pair(True), "bits"),
        (lambda key: layer_identity.inspect_token(b"a.b.c"), "token"),  # type: ignore[arg-type]
    ],
)
def test_wrong_argument_types(call: object, name: str, private_pem: bytes) -> None:
    with pytest.raises(TypeError, match=name):
        call(private_pem)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"user_id": None}, "user_id"),
        ({"user_id": True}, "user_id"),
        ({"user_id": b"alice"}, "user_id"),
        ({"nonce": b"n"}, "nonce"),
        ({"issued_at": 1.5}, "issued_at"),
        ({"issued_at": True}, "issued_at"),
        ({"issued_at": "1700000000"}, "issued_at"),
        ({"ttl": 1.0}, "ttl"),
        ({"ttl": False}, "ttl"),
        ({"first_name": 1}, "first_name"),
        ({"last_name": ["x"]}, "last_name"),
        ({"display_name": b"x"}, "display_name"),
        ({"avatar_url": {}}, "avatar_url"),
        ({"metadata": "plan=pro"}, "metadata"),
        ({"metadata": {"plan": 1}}, "metadata\\['plan'\\]"),
        ({"metadata": {1: "x"}}, "metadata names"),
        ({"metadata": [("a", "b", "c")]}, "metadata entries"),
    ],
)
def test_sign_argument_types(options: dict[str, object], name: str, signer: Signer) -> None:
    arguments = {"user_id": "alice", "nonce": "n", **options}
    with pytest.raises(TypeError, match=name):
        signer.sign(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"token": None}, "token"),
        ({"nonce": 5}, "nonce"),
        ({"now": 1.5}, "now"),
        ({"leeway": "60"}, "leeway"),
    ],
)
def test_verify_argument_types(options: dict[str, object], name: str, verifier: Verifier) -> None:
    arguments = {"token": "a.b.c", **options}
    with pytest.raises(TypeError, match=name):
        verifier.verify(**arguments)  # type: ignore[arg-type]


def test_nul_is_the_librarys_refusal_naming_the_argument(
    signer: Signer, verifier: Verifier, private_pem: bytes
) -> None:
    calls: dict[str, Callable[[], object]] = {
        "user_id": lambda: signer.sign("ali\0ce", "n"),
        "nonce": lambda: signer.sign("alice", "\0"),
        "display_name": lambda: signer.sign("alice", "n", display_name="a\0"),
        "metadata": lambda: signer.sign("alice", "n", metadata={"plan": "p\0"}),
        "provider_id": lambda: Signer(private_pem, PROVIDER_ID + "\0", KEY_ID),
        "token": lambda: verifier.verify("a.b\0.c"),
    }
    for name, call in calls.items():
        with pytest.raises(LayerIdentityError) as raised:  # one except catches every refusal
            call()
        assert type(raised.value) is layer_identity.InvalidArgumentError, name
        assert isinstance(raised.value, ValueError)
        assert raised.value.status is Status.INVALID_ARGUMENT
        assert name in raised.value.message
        assert "U+0000" in raised.value.message


# The critical defect of round 2: lone surrogates were encoded with surrogateescape, so a str
# that is not valid Unicode became the UTF-8 of a different, valid text.
SMUGGLED = "alice\udcc3\udca9"  # surrogateescape's "é" (C3 A9)


def test_a_str_that_is_not_unicode_never_signs_as_another_text(signer: Signer) -> None:
    with pytest.raises(layer_identity.InvalidUtf8Error) as raised:
        signer.sign(SMUGGLED, "n", issued_at=1_700_000_000)
    assert raised.value.status_name == "LAYER_ERR_INVALID_UTF8"
    assert "user_id" in raised.value.message
    assert isinstance(raised.value, LayerIdentityError)
    assert isinstance(raised.value, ValueError)
    # ... and the text it stood for still signs, as itself.
    assert signer.sign("alicé", "n", issued_at=1_700_000_000)


def test_a_display_name_cannot_smuggle_a_right_to_left_override(
    signer: Signer, verifier: Verifier
) -> None:
    # E2 80 AE, the UTF-8 of U+202E, as the lone surrogates surrogateescape reads them as.
    override = "".join(chr(0xDC00 + byte) for byte in "\u202e".encode())
    assert override == "\udce2\udc80\udcae"
    assert override.encode("utf-8", "surrogateescape").decode() == "\u202e"  # the old bug
    with pytest.raises(layer_identity.InvalidUtf8Error, match="display_name"):
        signer.sign("alice", "n", display_name="evil" + override + "gpj.exe")
    claims = verifier.verify(signer.sign("alice", "n", display_name="plain"))
    assert "\u202e" not in claims.json


@pytest.mark.parametrize(
    "argument",
    ["user_id", "nonce", "first_name", "last_name", "display_name", "avatar_url", "metadata"],
)
def test_every_sign_argument_refuses_a_str_that_is_not_unicode(
    signer: Signer, argument: str
) -> None:
    options: dict[str, object] = {"user_id": "alice", "nonce": "n"}
    if argument == "metadata":
        options["metadata"] = {"plan": "pro\udcc3"}
    else:
        options[argument] = "x\ud800y"
    with pytest.raises(layer_identity.InvalidUtf8Error):
        signer.sign(**options)  # type: ignore[arg-type]


def test_every_other_argument_refuses_a_str_that_is_not_unicode(
    signer: Signer, verifier: Verifier, private_pem: bytes, public_pem: bytes
) -> None:
    token = signer.sign("alice", "nonce-é")
    calls: list[Callable[[], object]] = [
        lambda: verifier.verify(token, nonce="nonce-\udcc3\udca9"),  # not "nonce-é"
        lambda: verifier.verify(token + "\udc80"),
        lambda: Signer(private_pem, PROVIDER_ID + "\udc80", KEY_ID),
        lambda: Signer(private_pem, PROVIDER_ID, KEY_ID + "\ud800"),
        lambda: Verifier(public_pem, PROVIDER_ID + "\udc80", KEY_ID),
        lambda: layer_identity.sign_token(private_pem, PROVIDER_ID, KEY_ID, "a\udc80", "n"),
        lambda: layer_identity.inspect_token(token + "\udc80"),
        lambda: Signer(private_pem, PROVIDER_ID, KEY_ID, token_type="JW\udcd4"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(layer_identity.InvalidUtf8Error):
            call()
    assert verifier.verify(token, nonce="nonce-é").nonce == "nonce-é"


def test_token_type_and_ranges(private_pem: bytes) -> None:
    with pytest.raises(layer_identity.InvalidArgumentError, match="JWE"):
        Signer(private_pem, PROVIDER_ID, KEY_ID, token_type="JWE")  # type: ignore[arg-type]
    with pytest.raises(layer_identity.InvalidArgumentError, match="token_type"):
        Signer.from_env(token_type="JWS")  # type: ignore[arg-type]
    with pytest.raises(layer_identity.InvalidArgumentError, match="bits"):
        layer_identity.generate_key_pair(-1)


def test_tracebacks_name_the_public_module() -> None:
    public = [getattr(layer_identity, name) for name in layer_identity.__all__]
    classes = [item for item in public if isinstance(item, type)]
    assert len(classes) > 20
    for cls in classes:
        assert cls.__module__ == "layer_identity", cls
    assert repr(layer_identity.ExpiredError).startswith("<class 'layer_identity.ExpiredError'")


def test_the_invalid_argument_errors_are_value_errors() -> None:
    assert issubclass(layer_identity.InvalidArgumentError, ValueError)
    assert issubclass(layer_identity.InvalidUtf8Error, ValueError)
    assert not issubclass(layer_identity.ExpiredError, ValueError)


def test_no_message_contains_the_key_or_the_passphrase() -> None:
    from .conftest import key_file

    encrypted = key_file("keys/rsa2048.pkcs8.encrypted.pem")
    secret = "Tr0ub4dor&3-not-the-passphrase"
    with pytest.raises(layer_identity.WrongPassphraseError) as raised:
        Signer(encrypted, PROVIDER_ID, KEY_ID, passphrase=secret)
    body = b"".join(encrypted.splitlines()[1:-1]).decode()
    texts = [raised.value.message, repr(raised.value)]
    truncated = key_file("keys/rsa2048.pkcs8.pem")[:400]
    with pytest.raises(layer_identity.InvalidKeyError) as bad:
        Signer(truncated, PROVIDER_ID, KEY_ID)
    texts += [bad.value.message, repr(bad.value)]
    plain = b"".join(truncated.splitlines()[1:]).decode()
    for text in texts:
        assert secret not in text
        for start in range(0, len(body) - 16, 8):
            assert body[start : start + 16] not in text
        for start in range(0, len(plain) - 16, 8):
            assert plain[start : start + 16] not in text
