"""The adapters' common core, ``Exchange``, called directly: every value it reads back from the
library (fields, the demo user ID, status, headers, body, errors) is the library's, through the
exchange's block of out-parameter words, however often a call fails."""

from __future__ import annotations

import dataclasses
import json

import pytest

from layer_identity import InvalidArgumentError, NullArgumentError, Signer, Verifier
from layer_identity._exchange import AUTHENTICATE, READ_BODY, RESPOND, Exchange, Fields

JSON = b"application/json"


def _exchange(
    body: bytes, *, method: bytes = b"POST", target: bytes = b"/identity-token"
) -> Exchange:
    exchange = Exchange(method, target, JSON, str(len(body)).encode("ascii"))
    assert exchange.step == READ_BODY
    exchange.put_body(body)
    return exchange


def test_the_fields_are_the_bodys_texts() -> None:
    body = {
        "nonce": "n\u00e9-" + "x" * 2000,
        "user_id": "\U0001f600 alice",
        "first_name": "\u0410\u043d\u043d\u0430",
        "display_name": "\u202eevil",
        "avatar_url": "https://example.com/a.png",
    }
    with _exchange(json.dumps(body).encode("utf-8")) as exchange:
        assert exchange.step == AUTHENTICATE
        fields = exchange.fields()
        assert (fields.nonce, fields.first_name, fields.last_name) == (
            body["nonce"],
            body["first_name"],
            None,
        )
        assert (fields.display_name, fields.avatar_url, fields.user_id) == (
            body["display_name"],
            body["avatar_url"],
            body["user_id"],
        )
        assert exchange.demo_user_id() == body["user_id"]
        assert exchange.fields() == fields  # read again: the same texts


def test_fields_stay_a_frozen_dataclass() -> None:
    with _exchange(b'{"nonce": "n", "user_id": "u"}') as exchange:
        fields = exchange.fields()
    assert dataclasses.is_dataclass(fields)
    assert [field.name for field in dataclasses.fields(Fields)] == [
        "nonce",
        "first_name",
        "last_name",
        "display_name",
        "avatar_url",
        "user_id",
        "_exchange",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fields.nonce = "other"  # type: ignore[misc]
    assert repr(fields) == (
        "Fields(nonce='n', first_name=None, last_name=None, display_name=None, "
        "avatar_url=None, user_id='u')"
    )


def test_a_token_answer(signer: Signer, verifier: Verifier) -> None:
    with _exchange(b'{"nonce": "n-1", "user_id": "alice"}') as exchange:
        exchange.finish(signer, exchange.demo_user_id())
        assert exchange.step == RESPOND
        answer = exchange.answer()
    assert (answer.status, answer.closes_connection) == (200, False)
    assert answer.headers == [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    token = json.loads(answer.body)["identity_token"]
    assert verifier.verify(token, nonce="n-1").user_id == "alice"


def test_an_answer_with_every_kind_of_header() -> None:
    with Exchange(b"GET", b"/identity-token", None, None) as exchange:
        assert exchange.step == RESPOND
        answer = exchange.answer()
    assert answer.status == 405
    assert ("Allow", "POST") in answer.headers
    with Exchange(b"POST", b"/identity-token", b"text/plain", b"5") as exchange:
        answer = exchange.answer()  # the body is left unread: the connection closes
    assert (answer.status, answer.closes_connection) == (415, True)
    assert ("Connection", "close") in answer.headers
    assert json.loads(answer.body)["error"]["code"] == "unsupported_media_type"


def test_every_misuse_is_the_librarys_error_each_time(signer: Signer) -> None:
    with _exchange(b'{"nonce": "n"}') as exchange:  # no user_id: the demo refuses it
        for _ in range(3):
            with pytest.raises(InvalidArgumentError, match="user_id is required"):
                exchange.demo_user_id()
            with pytest.raises(InvalidArgumentError, match="put_body does not fit"):
                exchange.put_body(b"{}")
        exchange.failed(RuntimeError("refused"))  # the demo's refusal: its 400
        for _ in range(3):
            with pytest.raises(InvalidArgumentError, match="does not fit"):
                exchange.finish(signer, "alice")
            with pytest.raises(InvalidArgumentError, match="demo_user_id does not fit"):
                exchange.demo_user_id()
        answer = exchange.answer()
    assert answer.status == 400
    assert json.loads(answer.body)["error"]["code"] == "missing_field"


def test_the_adapters_own_failure_is_a_500_without_details() -> None:
    with _exchange(b'{"nonce": "n", "user_id": "u"}') as exchange:
        exchange.fail("the adapter broke: secret detail")
        answer = exchange.answer()
    assert answer.status == 500
    assert b"secret" not in answer.body
    assert json.loads(answer.body)["error"]["code"] == "server_error"


def test_close_is_idempotent_and_calls_after_it_are_errors() -> None:
    exchange = _exchange(b'{"nonce": "n", "user_id": "u"}')
    exchange.close()
    exchange.close()
    assert exchange.step == RESPOND  # the library's answer for no exchange
    with pytest.raises(NullArgumentError, match="exchange is NULL"):
        exchange.put_body(b"{}")
