"""The WSGI endpoint against every case of tests/endpoint/cases.json, over real HTTP on
loopback, served by the sample backend's threaded wsgiref server and by Werkzeug's."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import conformance
import pytest
from werkzeug.serving import make_server

import layer_identity
from layer_identity import Signer
from layer_identity.wsgi import (
    DEMO_WARNING,
    FieldError,
    IdentityRequest,
    demo_authenticate,
    identity_token_app,
)

from .conftest import KEY_ID, PROVIDER_ID, PYTHON_PACKAGE

_spec = importlib.util.spec_from_file_location(
    "backend", PYTHON_PACKAGE / "examples" / "backend.py"
)
assert _spec is not None
assert _spec.loader is not None
backend = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(backend)

DEMO = conformance.load_cases(authenticator="demo")
REJECT = conformance.load_cases(authenticator="reject")
Authenticate = Callable[[IdentityRequest], "str | None"]


class Served:
    """An application served on an ephemeral loopback port in a background thread."""

    def __init__(self, app: Any, server_kind: str) -> None:
        if server_kind == "wsgiref":
            self.server = backend.Server(("127.0.0.1", 0))
            self.server.set_app(app)
            self.port = self.server.server_port
        else:
            self.server = make_server("127.0.0.1", 0, app, threaded=True)
            self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def send(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> Any:
        return conformance.send("127.0.0.1", self.port, method, path, headers, body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def always_reject(request: IdentityRequest) -> str | None:
    raise PermissionError("no session")


@pytest.fixture(scope="module")
def module_signer(private_pem: bytes) -> Iterator[Signer]:
    with Signer(private_pem, PROVIDER_ID, KEY_ID) as signer:
        yield signer


@pytest.fixture(scope="module")
def checker(public_pem: bytes) -> Any:
    return conformance.TokenChecker(public_pem, PROVIDER_ID, KEY_ID)


@pytest.fixture(scope="module", params=["wsgiref", "werkzeug"])
def servers(request: pytest.FixtureRequest, module_signer: Signer) -> Iterator[dict[str, Served]]:
    served = {
        "demo": Served(identity_token_app(module_signer, demo_authenticate), request.param),
        "reject": Served(identity_token_app(module_signer, always_reject), request.param),
    }
    yield served
    for one in served.values():
        one.close()


@pytest.mark.parametrize("case", DEMO + REJECT, ids=[c["name"] for c in DEMO + REJECT])
def test_contract_case(case: dict[str, Any], servers: dict[str, Served], checker: Any) -> None:
    method, path, headers, body = conformance.request_parts(case)
    response = servers[case["authenticator"]].send(method, path, headers, body)
    problems = conformance.check_response(case, response, checker)
    assert problems == [], f"{case['description']}: got {response.describe()}"


def test_every_case_is_run() -> None:
    assert len(DEMO) + len(REJECT) == len(conformance.load_cases())
    assert len(REJECT) == 3


# --- what cases.json cannot inject: the application's own authenticate and failures ---------


def post(
    app: Any, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    served = Served(app, "wsgiref")
    try:
        data = json.dumps(body).encode()
        pairs = [("Content-Type", "application/json"), *(headers or {}).items()]
        pairs.append(("Content-Length", str(len(data))))
        response = served.send("POST", "/identity-token", pairs, data)
        return response.status, json.loads(response.body)
    finally:
        served.close()


def test_signing_failure_is_500_without_details(
    private_pem: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    app = identity_token_app(signer, demo_authenticate)
    signer.close()  # every signature now fails
    with caplog.at_level(logging.ERROR, logger="layer_identity.wsgi"):
        status, body = post(app, {"nonce": "n", "user_id": "alice"})
    assert status == 500
    assert body == {
        "error": {"code": "server_error", "message": "could not create the identity token"}
    }
    assert "closed Signer" in caplog.text  # the details go to the log


@pytest.mark.parametrize("returned", [42, "", b"alice"])
def test_a_user_id_that_is_not_a_non_empty_str_is_500(
    module_signer: Signer, returned: object
) -> None:
    app = identity_token_app(module_signer, lambda request: returned)  # type: ignore[arg-type, return-value]
    status, body = post(app, {"nonce": "n"})
    assert (status, body["error"]["code"]) == (500, "server_error")


def test_a_user_id_with_nul_is_500(module_signer: Signer) -> None:
    app = identity_token_app(module_signer, lambda request: "ali\0ce")
    assert post(app, {"nonce": "n"})[0] == 500


def test_none_or_raising_is_401(module_signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    for authenticate in (lambda request: None, always_reject):
        app = identity_token_app(module_signer, authenticate)
        with caplog.at_level(logging.WARNING, logger="layer_identity.wsgi"):
            status, body = post(app, {"nonce": "n", "user_id": "alice"})
        assert status == 401
        assert body == {"error": {"code": "unauthenticated", "message": "authentication required"}}
    assert "no session" in caplog.text


def test_authenticate_sees_headers_cookies_and_fields(
    module_signer: Signer, public_pem: bytes
) -> None:
    seen: list[IdentityRequest] = []

    def from_session(request: IdentityRequest) -> str | None:
        seen.append(request)
        sessions = {"s3cr3t": "user-7"}
        return sessions.get(request.cookies.get("session", ""))

    app = identity_token_app(module_signer, from_session)
    status, body = post(
        app,
        {"nonce": "n-1", "first_name": "Ann", "user_id": "ignored", "extra": 1},
        {"Cookie": "theme=dark; session=s3cr3t", "X-Request-Id": "r-1"},
    )
    assert status == 200
    with layer_identity.Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(body["identity_token"], nonce="n-1")
    assert (claims.user_id, claims.first_name) == ("user-7", "Ann")
    request = seen[0]
    assert request.header("x-request-id") == "r-1"
    assert request.header("Content-Type") == "application/json"
    assert request.cookies == {"theme": "dark", "session": "s3cr3t"}
    assert request.fields == {"nonce": ["n-1"], "first_name": ["Ann"], "user_id": ["ignored"]}
    assert request.text_field("user_id") == "ignored"
    with pytest.raises(FieldError, match="display_name is required"):
        request.text_field("display_name")
    assert post(app, {"nonce": "n-1"}, {"Cookie": "session=wrong"})[0] == 401


def test_authenticate_may_answer_400(module_signer: Signer) -> None:
    def needs_tenant(request: IdentityRequest) -> str:
        request.text_field("tenant")
        return "alice"

    status, body = post(identity_token_app(module_signer, needs_tenant), {"nonce": "n"})
    assert status == 400
    assert body["error"] == {"code": "missing_field", "message": "tenant is required"}


def test_arguments_are_checked(module_signer: Signer) -> None:
    with pytest.raises(TypeError, match="signer"):
        identity_token_app("signer", demo_authenticate)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="authenticate"):
        identity_token_app(module_signer, "alice")  # type: ignore[arg-type]
    assert "WARNING" in DEMO_WARNING
    assert "user_id" in DEMO_WARNING
