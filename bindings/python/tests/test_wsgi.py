"""The WSGI adapter: every case of tests/endpoint/cases.json over HTTP under gunicorn (gthread),
each kind of authenticate mounted under Werkzeug's DispatcherMiddleware; and, called directly,
what the cases cannot show: the application's own authenticate, its failures, the 500 path."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import conformance
import pytest

from layer_identity import Fields, Signer, demo_authenticate
from layer_identity.wsgi import identity_token_app, request_target

from .conftest import KEY_ID, PROVIDER_ID
from .servers import CASES, PUBLIC_KEY, Server, case_ids, check_case, gunicorn, serve


@pytest.fixture(scope="module")
def checker() -> Any:
    return conformance.TokenChecker(PUBLIC_KEY.read_bytes(), PROVIDER_ID, KEY_ID)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(gunicorn, "tests.apps:wsgi") as running:
        yield running


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_contract_under_gunicorn(case: dict[str, Any], server: Server, checker: Any) -> None:
    check_case(server, case, f"/{case['authenticator']}", checker)


# --- called directly ---------------------------------------------------------------------


def call(
    app: Any,
    method: str = "POST",
    path: str = "/identity-token",
    body: object = None,
    **environ: Any,
) -> tuple[str, list[tuple[str, str]], bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        **environ,
    }
    answers: list[tuple[str, list[tuple[str, str]]]] = []
    chunks = app(env, lambda status, headers, *_: answers.append((status, headers)))
    return answers[0][0], answers[0][1], b"".join(chunks)


def test_the_signing_failure_is_500_without_details(
    private_pem: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    app = identity_token_app(signer, demo_authenticate)
    signer.close()  # every signature now fails
    with caplog.at_level(logging.ERROR, logger="layer_identity"):
        status, _, body = call(app, body={"nonce": "n", "user_id": "alice"})
    assert status == "500 Internal Server Error"
    assert json.loads(body) == {
        "error": {"code": "server_error", "message": "could not create the identity token"}
    }
    assert "closed Signer" in caplog.text  # the details go to the log


def test_authenticate_gets_the_environ_and_the_fields(signer: Signer, verifier: Any) -> None:
    seen: list[tuple[dict[str, Any], Fields]] = []

    def from_session(environ: dict[str, Any], fields: Fields) -> object:
        seen.append((environ, fields))
        return {"session=s3cr3t": "user-7"}.get(environ.get("HTTP_COOKIE", ""))

    app = identity_token_app(signer, from_session)
    status, headers, body = call(
        app,
        body={"nonce": "n-1", "first_name": "Ann", "user_id": "ignored"},
        HTTP_COOKIE="session=s3cr3t",
    )
    assert status == "200 OK"
    claims = verifier.verify(json.loads(body)["identity_token"], nonce="n-1")
    assert (claims.user_id, claims.first_name) == ("user-7", "Ann")
    environ, fields = seen[0]
    assert environ["HTTP_COOKIE"] == "session=s3cr3t"
    assert (fields.nonce, fields.first_name, fields.last_name) == ("n-1", "Ann", None)
    assert fields.user_id == "ignored"  # the body's, for a demo only
    assert ("Cache-Control", "no-store") in headers
    assert call(app, body={"nonce": "n-1"}, HTTP_COOKIE="session=wrong")[0].startswith("401")


def test_an_integer_user_id_is_written_in_decimal_and_a_bool_is_refused(
    signer: Signer, verifier: Any
) -> None:
    def large(environ: object, fields: Fields) -> object:
        return 2**70

    status, _, body = call(identity_token_app(signer, large), body={"nonce": "n"})
    assert status == "200 OK"
    assert verifier.verify(json.loads(body)["identity_token"]).user_id == str(2**70)
    for value in (True, 4.2, b"alice", ["alice"], object()):

        def returns(environ: object, fields: Fields, value: object = value) -> object:
            return value

        status, _, body = call(identity_token_app(signer, returns), body={"nonce": "n"})
        assert status.startswith("500"), value
        assert json.loads(body)["error"]["code"] == "server_error"


def test_a_user_id_that_is_not_unicode_is_500_never_another_user(signer: Signer) -> None:
    for user in ("alice\udcc3\udca9", "ali\0ce"):

        def returns(environ: object, fields: Fields, user: str = user) -> object:
            return user

        app = identity_token_app(signer, returns)
        assert call(app, body={"nonce": "n"})[0].startswith("500"), repr(user)


def test_a_connection_header_is_left_to_the_server(signer: Signer) -> None:
    # PEP 3333 forbids hop-by-hop headers to applications (wsgiref asserts it).
    status, headers, _ = call(identity_token_app(signer, demo_authenticate), path="/nope")
    assert status == "404 Not Found"
    assert [name for name, _ in headers] == ["Content-Type", "Cache-Control"]


def test_a_broken_input_stream_is_the_adapters_500(
    signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise ConnectionResetError("the client went away")

    app = identity_token_app(signer, demo_authenticate)
    with caplog.at_level(logging.ERROR, logger="layer_identity"):
        status, _, _ = call(app, body={"nonce": "n"}, **{"wsgi.input": Broken()})  # type: ignore[arg-type]
    assert status.startswith("500")
    assert "the client went away" in caplog.text


@pytest.mark.parametrize(
    ("environ", "target"),
    [
        (
            {"RAW_URI": "//identity-token?a=b", "PATH_INFO": "/identity-token"},
            b"//identity-token?a=b",
        ),
        ({"REQUEST_URI": "/x/identity-token", "SCRIPT_NAME": "/x"}, b"/identity-token"),
        ({"RAW_URI": "/l%61yer/identity%2Dtoken", "SCRIPT_NAME": "/layer"}, b"/identity%2Dtoken"),
        ({"PATH_INFO": "/identity-token", "QUERY_STRING": "q=1"}, b"/identity-token?q=1"),
        ({"PATH_INFO": "/a?b c", "SCRIPT_NAME": "/m"}, b"/a%3Fb%20c"),
        ({"PATH_INFO": "/caf\xc3\xa9"}, b"/caf%C3%A9"),
    ],
)
def test_the_target_below_the_mount_point(environ: dict[str, str], target: bytes) -> None:
    assert request_target(environ) == target


def test_arguments_are_checked(signer: Signer) -> None:
    async def asynchronous(environ: object, fields: Fields) -> str:
        return "alice"

    with pytest.raises(TypeError, match="signer"):
        identity_token_app("signer", demo_authenticate)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="authenticate"):
        identity_token_app(signer, "alice")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"layer_identity\.asgi"):
        identity_token_app(signer, asynchronous)
