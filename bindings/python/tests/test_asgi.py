"""The ASGI adapter: every case of tests/endpoint/cases.json over HTTP under uvicorn, each kind
of authenticate, as a plain and as a coroutine function, mounted in a Starlette app (FastAPI's
way); and, driven directly by the ASGI protocol, what the cases cannot show."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import conformance
import pytest

from layer_identity import Fields, Signer, Verifier, demo_authenticate
from layer_identity.asgi import identity_token_app

from .conftest import KEY_ID, PROVIDER_ID
from .servers import CASES, PUBLIC_KEY, Server, case_ids, check_case, serve, uvicorn


@pytest.fixture(scope="module")
def checker() -> Any:
    return conformance.TokenChecker(PUBLIC_KEY.read_bytes(), PROVIDER_ID, KEY_ID)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(uvicorn, "tests.apps:asgi") as running:
        yield running


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_contract_under_uvicorn(
    case: dict[str, Any], mode: str, server: Server, checker: Any
) -> None:
    check_case(server, case, f"/{mode}-{case['authenticator']}", checker)


# --- driven directly ---------------------------------------------------------------------


def call(
    app: Any,
    body: object = None,
    *,
    method: str = "POST",
    path: str = "/identity-token",
    chunks: list[bytes] | None = None,
    scope: dict[str, Any] | None = None,
) -> tuple[int, dict[bytes, bytes], bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    parts = chunks if chunks is not None else [data]
    messages = [
        {"type": "http.request", "body": part, "more_body": index < len(parts) - 1}
        for index, part in enumerate(parts)
    ]
    headers = [(b"content-type", b"application/json")]
    if chunks is None:
        headers.append((b"content-length", str(len(data)).encode()))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    full = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        **(scope or {}),
    }
    asyncio.run(app(full, receive, send))
    start, end = sent
    return start["status"], dict(start["headers"]), end["body"]


def test_the_signing_failure_is_500_without_details(
    private_pem: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    signer = Signer(private_pem, PROVIDER_ID, KEY_ID)
    app = identity_token_app(signer, demo_authenticate)
    signer.close()
    with caplog.at_level(logging.ERROR, logger="layer_identity"):
        status, _, body = call(app, {"nonce": "n", "user_id": "alice"})
    assert status == 500
    assert json.loads(body)["error"] == {
        "code": "server_error",
        "message": "could not create the identity token",
    }
    assert "closed Signer" in caplog.text


def test_authenticate_reads_the_scope(signer: Signer, verifier: Verifier) -> None:
    async def from_session(scope: Any, fields: Fields) -> object:
        await asyncio.sleep(0)
        return scope["session"].get("user_id")

    app = identity_token_app(signer, from_session)
    status, headers, body = call(app, {"nonce": "n-1"}, scope={"session": {"user_id": 7}})
    assert status == 200
    assert verifier.verify(json.loads(body)["identity_token"], nonce="n-1").user_id == "7"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert call(app, {"nonce": "n-1"}, scope={"session": {}})[0] == 401


def test_a_plain_function_may_return_an_awaitable(signer: Signer) -> None:
    async def later() -> str:
        return "alice"

    assert call(identity_token_app(signer, lambda scope, fields: later()), {"nonce": "n"})[0] == 200


def test_a_chunked_body_is_read_to_its_end_or_one_byte_past_the_limit(signer: Signer) -> None:
    app = identity_token_app(signer, demo_authenticate)
    body = json.dumps({"nonce": "n", "user_id": "alice"}).encode()
    assert call(app, chunks=[body[:5], body[5:9], body[9:]])[0] == 200
    pieces = [b"x" * 1000] * 66  # 66,000 bytes: refused after 65,537, the rest never read
    status, headers, _ = call(app, chunks=pieces)
    assert status == 413
    assert headers[b"connection"] == b"close"


def test_the_mount_point_is_not_part_of_the_path(signer: Signer) -> None:
    app = identity_token_app(signer, demo_authenticate)
    scope = {"root_path": "/layer", "raw_path": b"/layer/healthz", "path": "/layer/healthz"}
    assert call(app, method="GET", scope=scope)[0] == 200
    scope = {"root_path": "/layer", "raw_path": b"/layer//healthz", "path": "/layer//healthz"}
    assert call(app, method="GET", scope=scope)[0] == 404


def test_lifespan_and_other_scopes(signer: Signer) -> None:
    app = identity_token_app(signer, demo_authenticate)
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    async def run(scope: dict[str, Any]) -> None:
        await app(scope, receive, send)

    asyncio.run(run({"type": "lifespan"}))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(ValueError, match="websocket"):
        asyncio.run(run({"type": "websocket"}))


@pytest.mark.parametrize("offload", [True, False])
def test_where_a_plain_authenticate_runs(signer: Signer, offload: bool) -> None:
    threads: list[int] = []

    def record(scope: Any, fields: Fields) -> str:
        threads.append(threading.get_ident())
        return "alice"

    app = identity_token_app(signer, record, offload=offload)
    assert call(app, {"nonce": "n"})[0] == 200
    # Off the loop's thread by default; on it when the server asks (a process per core).
    assert (threads == [threading.get_ident()]) is not offload


def test_arguments_are_checked(signer: Signer) -> None:
    with pytest.raises(TypeError, match="signer"):
        identity_token_app(None, demo_authenticate)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="authenticate"):
        identity_token_app(signer, None)  # type: ignore[arg-type]
