"""The shared vectors (vectors/README.md) through the typed Python API.

Every case of sign.json, errors.json, verify.json and env.json is run. An errors.json case the
typed API cannot express at all is listed by name in NOT_EXPRESSIBLE with the reason, and a
test checks that list is exactly the cases that classify so: none is skipped silently.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import layer_identity
from layer_identity import Signer, Status, Verifier
from layer_identity._errors import ERROR_CLASSES

from .conftest import KEY_ID, PROVIDER_ID, VECTORS, key_file

SIGN = json.loads((VECTORS / "sign.json").read_text("utf-8"))["cases"]
ERRORS = json.loads((VECTORS / "errors.json").read_text("utf-8"))["cases"]
VERIFY = json.loads((VECTORS / "verify.json").read_text("utf-8"))["cases"]
ENV = json.loads((VECTORS / "env.json").read_text("utf-8"))["cases"]

ATTRIBUTES = ("first_name", "last_name", "display_name", "avatar_url")
UTC = dt.timezone.utc


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def signer_options(flags: list[str], token_type: str | None = None) -> dict[str, Any]:
    """Signer keywords for a vector's flag names, and its token type by name (ABI 3: never
    given with TYP_JWT, so the name alone decides)."""
    known = {"TYP_JWT", "ALLOW_1024_BIT_KEY"}
    assert set(flags) <= known, f"unknown flag names {set(flags) - known}"
    assert token_type is None or "TYP_JWT" not in flags
    return {
        "token_type": token_type or ("JWT" if "TYP_JWT" in flags else "JWS"),
        "allow_1024_bit_key": "ALLOW_1024_BIT_KEY" in flags,
    }


class JsonObject(list):  # type: ignore[type-arg]
    """A parsed JSON object as its (name, value) pairs, repeated names kept."""


def parse_object_pairs(text: str) -> Any:
    return json.loads(text, object_pairs_hook=JsonObject)


def typed_attributes(attributes_json: str | None) -> dict[str, Any]:
    """The keyword arguments of Signer.sign for a vector's attributes_json: each attribute by
    name, and metadata as (name, value) pairs (so a repeated name reaches the library)."""
    if attributes_json is None:
        return {}
    members = parse_object_pairs(attributes_json)
    assert isinstance(members, JsonObject), "attributes are JSON objects here"
    options: dict[str, Any] = {}
    for name, value in members:
        assert name not in options, f"{name} repeated"
        # A metadata object as (name, value) tuples, repeated names kept for the library.
        options[name] = [tuple(pair) for pair in value] if isinstance(value, JsonObject) else value
    return options


def expect_library_error(
    error: layer_identity.LayerIdentityError, status_name: str, fragment: str | None
) -> None:
    assert error.status_name == status_name, f"{error.status_name}: {error.message}"
    assert type(error) is ERROR_CLASSES[Status[status_name.removeprefix("LAYER_ERR_")]]
    assert error.status == Status[status_name.removeprefix("LAYER_ERR_")]
    if fragment is not None:
        assert fragment.lower() in error.message.lower(), error.message


# --- sign.json ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", SIGN, ids=ids(SIGN))
def test_sign_vector(case: dict[str, Any]) -> None:
    key = key_file(case["private_key_file"])
    attributes = typed_attributes(case["attributes_json"])
    with Signer(
        key,
        case["provider_id"],
        case["key_id"],
        passphrase=argument(case["passphrase"], key=True),  # bytes when not UTF-8 (ABI 3)
        **signer_options(case["flags"], case.get("token_type")),
    ) as signer:
        token = signer.sign(
            case["user_id"],
            case["nonce"],
            issued_at=case["issued_at"],
            ttl=case["ttl_seconds"],
            **attributes,
        )
        assert token == case["expected_token"]
        # The same token from Python's own time types.
        again = signer.sign(
            case["user_id"],
            case["nonce"],
            issued_at=dt.datetime.fromtimestamp(case["issued_at"], UTC),
            ttl=dt.timedelta(seconds=case["ttl_seconds"]),
            **attributes,
        )
        assert again == case["expected_token"]
    decoded = layer_identity.inspect_token(token)
    assert decoded.header_json == case["expected_header_json"]
    assert decoded.claims_json == case["expected_claims_json"]
    if case["one_shot"]:
        one_shot = layer_identity.sign_token(
            key,
            case["provider_id"],
            case["key_id"],
            case["user_id"],
            case["nonce"],
            issued_at=case["issued_at"],
            ttl=case["ttl_seconds"],
        )
        assert one_shot == case["expected_token"]


def test_sign_vector_with_key_as_str() -> None:
    case = SIGN[0]
    key = key_file(case["private_key_file"]).decode("ascii")
    with Signer(key, case["provider_id"], case["key_id"]) as signer:
        token = signer.sign(case["user_id"], case["nonce"], issued_at=case["issued_at"])
    assert token == case["expected_token"]


def test_sign_vector_from_file() -> None:
    case = next(c for c in SIGN if c["name"] == "keyform-2048-pkcs8-encrypted")
    with Signer.from_file(
        VECTORS / case["private_key_file"],
        case["provider_id"],
        case["key_id"],
        passphrase=case["passphrase"].encode(),
    ) as signer:
        token = signer.sign(case["user_id"], case["nonce"], issued_at=case["issued_at"])
    assert token == case["expected_token"]


# --- errors.json -------------------------------------------------------------------------

# Cases whose input the typed API cannot express at all, with the reason.
NOT_EXPRESSIBLE = {
    "signer-new-unknown-flag-bit": "flags are keyword booleans, one per defined flag: an "
    "undefined bit cannot be passed",
    "verifier-new-unknown-flag-bit": "flags are keyword booleans, one per defined flag",
    "signer-sign-attributes-not-object-array": "attributes are keyword arguments, not a JSON value",
    "signer-sign-attributes-not-object-string": "attributes are keyword arguments",
    "signer-sign-attributes-not-object-null-literal": "attributes are keyword arguments",
    "signer-sign-attributes-invalid-json-truncated": "no JSON text crosses the typed API",
    "signer-sign-attributes-invalid-json-trailing-garbage": "no JSON text crosses the typed API",
    "signer-sign-attributes-invalid-json-empty-string": "no JSON text crosses the typed API",
    "signer-sign-attributes-duplicate-member": "a keyword argument cannot be given twice",
    "signer-sign-attributes-duplicate-member-via-escape": "a keyword argument cannot be given "
    "twice",
    "signer-sign-attributes-duplicate-metadata-member": "metadata= cannot be given twice",
    "signer-sign-attributes-non-string-null": "None for an attribute means absent "
    "(layer_signer_sign_with's NULL); only attributes_json can say null",
    "signer-sign-attributes-null-attribute-beside-metadata": "None for an attribute means absent",
}

REQUIRED = {
    "sign_token": ("private_key", "provider_id", "key_id", "user_id", "nonce"),
    "signer_new": ("private_key", "provider_id", "key_id"),
    "signer_sign": ("user_id", "nonce"),
    "verifier_new": ("key", "provider_id", "key_id"),
    "generate_key_pair": ("bits",),
    "verifier_verify": ("token",),
    "token_type_flags": ("token_type",),
}


def argument(value: Any, *, key: bool = False) -> Any:
    """A vector's argument value: {"hex": ...} is raw bytes, given to a key or passphrase as
    bytes, and to a text argument as a str that is not valid Unicode: the bytes' lone
    surrogates when they encode some (ED A0 80 is U+D800's CESU-8 form; the wrapper passes
    them on as the same bytes), else surrogate escapes, as os.fsdecode makes (which the wrapper
    passes on as other bytes that are not UTF-8 either). Either way the library refuses the
    text as invalid UTF-8, naming the argument."""
    if isinstance(value, dict) and set(value) == {"hex"}:
        raw = bytes.fromhex(value["hex"])
        if key:
            return raw
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "surrogateescape")
    return value


def case_key(args: dict[str, Any], name: str) -> Any:
    if f"{name}_file" in args:
        return key_file(args[f"{name}_file"])
    return argument(args[name], key=True)


def classify(case: dict[str, Any]) -> tuple[str, Any]:
    """("not_expressible", reason), ("type_error", what the message names) or
    ("library", None): how the typed API meets the case."""
    if case["name"] in NOT_EXPRESSIBLE:
        return "not_expressible", NOT_EXPRESSIBLE[case["name"]]
    args = case["args"]
    for name in REQUIRED[case["call"]]:
        present = args.get(name, args.get(f"{name}_file"))
        if present is None:
            return "type_error", name
    if case["call"] == "signer_sign" and args.get("attributes_json") is not None:
        text = argument(args["attributes_json"])
        members = dict(parse_object_pairs(text))
        for name, value in members.items():
            if name not in (*ATTRIBUTES, "metadata"):
                return "type_error", name  # an unknown keyword argument
            if name in ATTRIBUTES and not isinstance(value, str):
                return "type_error", name
        metadata = members.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, JsonObject):
                return "type_error", "metadata"
            for entry, value in metadata:
                if not isinstance(value, str):
                    return "type_error", f"metadata[{entry!r}]"
    return "library", None


def run_error_case(case: dict[str, Any]) -> None:
    args = case["args"]
    call = case["call"]
    if call == "sign_token":
        layer_identity.sign_token(
            case_key(args, "private_key"),
            argument(args["provider_id"]),
            argument(args["key_id"]),
            argument(args["user_id"]),
            argument(args["nonce"]),
            issued_at=args["issued_at"],
            ttl=args["ttl_seconds"],
        )
    elif call == "signer_new":
        Signer(
            case_key(args, "private_key"),
            argument(args["provider_id"]),
            argument(args["key_id"]),
            passphrase=argument(args["passphrase"], key=True),
            **signer_options(args["flags"]),
        ).close()
    elif call == "signer_sign":
        config = args["signer"]
        with Signer(
            key_file(config["private_key_file"]),
            config["provider_id"],
            config["key_id"],
            passphrase=config["passphrase"],
            **signer_options(config["flags"]),
        ) as signer:
            if case.get("abi") == 3:  # the attributes and metadata as plain values
                options: dict[str, Any] = {
                    name: argument(value) for name, value in (args["attributes"] or {}).items()
                }
                if args["metadata"] is not None:
                    options["metadata"] = [
                        (argument(name), argument(value)) for name, value in args["metadata"]
                    ]
            else:
                attributes = args["attributes_json"]
                options = typed_attributes(None if attributes is None else argument(attributes))
            signer.sign(
                argument(args["user_id"]),
                argument(args["nonce"]),
                issued_at=args["issued_at"],
                ttl=args["ttl_seconds"],
                **options,
            )
    elif call == "verifier_new":
        Verifier(
            case_key(args, "key"),
            argument(args["provider_id"]),
            argument(args["key_id"]),
            allow_1024_bit_key="ALLOW_1024_BIT_KEY" in args["flags"],
        ).close()
    elif call == "generate_key_pair":
        layer_identity.generate_key_pair(args["bits"])
    elif call == "verifier_verify":
        config = args["verifier"]
        with Verifier(
            key_file(config["key_file"]),
            config["provider_id"],
            config["key_id"],
            allow_1024_bit_key="ALLOW_1024_BIT_KEY" in config["flags"],
        ) as verifier:
            verifier.verify(
                argument(args["token"]),
                nonce=argument(args["expected_nonce"]),
                now=args["now"],
                leeway=args["leeway_seconds"],
            )
    elif call == "token_type_flags":  # the signer's token type option, with a valid key
        Signer(
            key_file("keys/rsa2048.pkcs8.pem"),
            PROVIDER_ID,
            KEY_ID,
            token_type=argument(args["token_type"]),
        ).close()
    else:
        pytest.fail(f"unknown call {call}")


EXPRESSIBLE = [case for case in ERRORS if classify(case)[0] != "not_expressible"]


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=ids(EXPRESSIBLE))
def test_error_vector(case: dict[str, Any]) -> None:
    kind, detail = classify(case)
    if kind == "type_error":
        # NULL, an unknown attribute or a value of the wrong type: the language's error,
        # naming the argument, before anything crosses into C.
        with pytest.raises(TypeError) as caught:
            run_error_case(case)
        assert detail in str(caught.value), caught.value
    else:
        with pytest.raises(layer_identity.LayerIdentityError) as raised:
            run_error_case(case)
        status, fragment = case["expected_status"], case["message_contains"]
        if case.get("nul_terminated_only"):
            # The _n functions take keys as bytes (PEM or DER): bytes that are not UTF-8 are
            # not a key there, rather than a text in the wrong encoding (vectors/README.md).
            status, fragment = "LAYER_ERR_INVALID_KEY", None
        expect_library_error(raised.value, status, fragment)
        assert raised.value.eit_code is None


def test_every_abi_3_case_is_run() -> None:
    # This package calls the _n functions only: every case runs, none is skipped.
    abi3 = [case for case in ERRORS if case.get("abi") == 3]
    assert len(abi3) == len([case for case in EXPRESSIBLE if case.get("abi") == 3]) >= 55
    assert {case["call"] for case in abi3} >= {"verifier_verify", "token_type_flags"}
    assert len([case for case in SIGN if case.get("abi") == 3]) >= 5


def test_error_vectors_not_expressible_are_exactly_the_listed_ones() -> None:
    unexpressible = {case["name"] for case in ERRORS if classify(case)[0] == "not_expressible"}
    assert unexpressible == set(NOT_EXPRESSIBLE)
    assert set(NOT_EXPRESSIBLE) <= {case["name"] for case in ERRORS}, "stale names"
    kinds = [classify(case)[0] for case in ERRORS]
    counts = {kind: kinds.count(kind) for kind in ("library", "type_error", "not_expressible")}
    assert sum(counts.values()) == len(ERRORS)
    print(f"errors.json: {len(ERRORS)} cases: {counts}")


# --- verify.json -------------------------------------------------------------------------


@pytest.mark.parametrize("case", VERIFY, ids=ids(VERIFY))
def test_verify_vector(case: dict[str, Any]) -> None:
    with Verifier(
        key_file(case["key_file"]),
        case["provider_id"],
        case["key_id"],
        allow_1024_bit_key="ALLOW_1024_BIT_KEY" in case["flags"],
    ) as verifier:
        options = {
            "nonce": case["expected_nonce"],
            "now": case["now"],
            "leeway": case["leeway_seconds"],
        }
        if case["expected_status"] != "LAYER_OK":
            with pytest.raises(layer_identity.TokenRejectedError) as raised:
                verifier.verify(case["token"], **options)
            error = raised.value
            expect_library_error(error, case["expected_status"], None)
            assert error.eit_code == case["expected_eit"]
            assert error.message.startswith(case["expected_eit"] + ":"), error.message
            return
        claims = verifier.verify(case["token"], **options)
    expected = json.loads(case["expected_claims_json"])
    assert claims.json == case["expected_claims_json"]
    assert claims.provider_id == expected["iss"]
    assert claims.user_id == expected["prn"]
    assert claims.nonce == expected["nce"]
    assert claims.issued_at == expected["iat"]
    assert claims.expires_at == expected["exp"]
    for name in ATTRIBUTES:
        assert getattr(claims, name) == expected.get(name), name  # null is absent
    assert dict(claims.metadata) == (expected.get("metadata") or {})


# --- env.json ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ENV, ids=ids(ENV))
def test_env_vector(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LAYER_"):
            monkeypatch.delenv(name)
    for name, value in case["env"].items():
        if isinstance(value, dict) and "file_contents" in value:
            value = (VECTORS / value["file_contents"]).read_text("utf-8")
        elif isinstance(value, dict) and "path" in value:
            value = str(VECTORS / value["path"])
        monkeypatch.setenv(name, value)
    flags = case["flags"]

    def from_env() -> Signer:
        return Signer.from_env(
            token_type="JWT" if "TYP_JWT" in flags else None,
            allow_1024_bit_key="ALLOW_1024_BIT_KEY" in flags,
        )

    if case["expected_status"] != "LAYER_OK":
        with pytest.raises(layer_identity.LayerIdentityError) as raised:
            from_env()
        expect_library_error(raised.value, case["expected_status"], case["message_contains"])
        return
    sign = case["sign"]
    with from_env() as signer:
        token = signer.sign(
            sign["user_id"], sign["nonce"], issued_at=sign["issued_at"], ttl=sign["ttl_seconds"]
        )
    assert token == case["expected_token"]
