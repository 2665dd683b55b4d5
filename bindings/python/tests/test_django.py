"""The Django view: every case of tests/endpoint/cases.json over HTTP under gunicorn (WSGI
Django) and uvicorn (ASGI Django), each kind of authenticate as a plain and as a coroutine
function; and the README's recipe, request.user by default, with Django's test clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import conformance
import pytest

from layer_identity import Verifier

from .conftest import KEY_ID, PROVIDER_ID
from .servers import CASES, PUBLIC_KEY, Server, case_ids, check_case, gunicorn, serve, uvicorn


@pytest.fixture(scope="module")
def checker() -> Any:
    return conformance.TokenChecker(PUBLIC_KEY.read_bytes(), PROVIDER_ID, KEY_ID)


@pytest.fixture(scope="module", params=["wsgi-gunicorn", "asgi-uvicorn"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "wsgi-gunicorn":
        with serve(gunicorn, "tests.django_project.wsgi:application") as running:
            yield running
    else:
        with serve(uvicorn, "tests.django_project.asgi:application") as running:
            yield running


# ASGI Django reads the whole request body before it calls any view
# (django/core/handlers/asgi.py, ASGIHandler.read_body), so a client that declares a body over
# 64 KiB and does not send it waits for an answer until it gives up: the view cannot answer 413
# before the body arrived, as the contract asks (README: put a size limit in front). Under
# ASGI Django these cases send the body they declare, and the answer is the 413 all the same.
READ_WHOLE_BODY_FIRST = {
    "size_declared_content_length",
    "size_declared_65537_no_body",
    "size_declared_262144_no_body",
}


def sent_in_full(case: dict[str, Any]) -> dict[str, Any]:
    declared = int(dict(case["request"]["headers"])["Content-Length"])
    request = {**case["request"], "body": {"repeat": {"text": "a", "count": declared}}}
    return {**case, "request": request}


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_contract_under_django(
    case: dict[str, Any], mode: str, server: Server, checker: Any
) -> None:
    if case["name"] in READ_WHOLE_BODY_FIRST and "uvicorn" in server.argv:
        case = sent_in_full(case)
    check_case(server, case, f"/{mode}-{case['authenticator']}", checker)


def test_the_cases_sent_in_full_exist() -> None:
    assert {case["name"] for case in CASES} >= READ_WHOLE_BODY_FIRST


# --- the README's recipe with Django's test clients ---------------------------------------


@pytest.mark.integration  # sets up Django in this process: only where the frameworks are installed
def test_request_user_under_wsgi_django(django_users: Any, public_pem: bytes) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # the view is CSRF-exempt

    def post() -> Any:
        return client.post(
            "/layer/identity-token", {"nonce": "n-1"}, content_type="application/json"
        )

    answer = post()
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    client.force_login(django_users)
    answer = post()
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "no-store"
    with Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(answer.json()["identity_token"], nonce="n-1")
    assert claims.user_id == str(django_users.pk)  # an int primary key, in decimal
    assert client.get("/layer/healthz").json() == {"status": "ok"}
    assert client.get("/layer/nope").status_code == 404


@pytest.mark.integration
def test_request_user_under_asgi_django(django_users: Any, public_pem: bytes) -> None:
    from django.test import AsyncClient

    async def run() -> tuple[int, int, bytes]:
        client = AsyncClient(enforce_csrf_checks=True)
        anonymous = await client.post(
            "/layer/identity-token", {"nonce": "n-2"}, content_type="application/json"
        )
        await client.aforce_login(django_users)
        answer = await client.post(
            "/layer/identity-token", {"nonce": "n-2"}, content_type="application/json"
        )
        return anonymous.status_code, answer.status_code, answer.content

    anonymous, status, body = asyncio.run(run())
    assert (anonymous, status) == (401, 200)
    with Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(json.loads(body)["identity_token"], nonce="n-2")
    assert claims.user_id == str(django_users.pk)
