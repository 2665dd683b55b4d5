"""The READMEs' Python code runs, in order, as a reader would run it (the package README and
the Python section of the top-level README), and each framework recipe then serves real
requests: with Flask's, FastAPI's and Django's test clients, and once each under a real
server (gunicorn for the WSGI and Flask apps, uvicorn for FastAPI). test.sh runs the install
commands."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

import layer_identity

from .conftest import KEY_ID, PROVIDER_ID, PYTHON_PACKAGE, REPOSITORY, configuration
from .readme import install_commands
from .readme_apps import run
from .servers import gunicorn, serve, uvicorn

READMES = [PYTHON_PACKAGE / "README.md", REPOSITORY / "README.md"]


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in readme_environment().items():
        monkeypatch.setenv(name, value)


def readme_environment() -> dict[str, str]:
    return configuration(FLASK_SECRET_KEY="test secret", SESSION_SECRET="test secret too")


@pytest.fixture(params=READMES, ids=["package", "top-level"])
def readme(request: pytest.FixtureRequest, configured: None) -> Iterator[dict[str, Any]]:
    namespace, output = run(request.param)
    assert "alice@example.com Alice" in output
    assert "LAYER_ERR_CLAIM_MISMATCH eit_nonce_not_found" in output
    yield namespace
    namespace["signer"].close()


def verified(namespace: dict[str, Any], token: str, nonce: str) -> layer_identity.Claims:
    claims: layer_identity.Claims = namespace["verifier"].verify(token, nonce=nonce)
    return claims


def test_the_flask_recipe(readme: dict[str, Any]) -> None:
    client = readme["app"].test_client()
    answer = client.post("/layer/identity-token", json={"nonce": "n-1"})
    assert answer.status_code == 401
    with client.session_transaction() as session:
        session["user_id"] = "bob@example.com"
    answer = client.post("/layer/identity-token", json={"nonce": "n-1"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert verified(readme, answer.get_json()["identity_token"], "n-1").user_id == "bob@example.com"
    assert client.get("/layer/healthz").get_json() == {"status": "ok"}


def test_the_wsgi_recipe(readme: dict[str, Any]) -> None:
    client = Client(readme["identity_app"])
    assert client.post("/identity-token", data={"nonce": "n-2"}).status_code == 401
    client.set_cookie("session", "8f14e45f")
    answer = client.post("/identity-token", data={"nonce": "n-2"})
    assert answer.status_code == 200
    assert (
        verified(readme, answer.get_json()["identity_token"], "n-2").user_id == "alice@example.com"
    )


def test_the_fastapi_recipe(readme: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    with TestClient(readme["api"]) as client:
        assert client.post("/layer/identity-token", json={"nonce": "n-3"}).status_code == 401
        assert client.post("/login").status_code == 200
        answer = client.post("/layer/identity-token", json={"nonce": "n-3"})
        assert answer.status_code == 200, answer.text
        token = answer.json()["identity_token"]
        assert client.get("/layer/healthz").json() == {"status": "ok"}
    assert verified(readme, token, "n-3").user_id == "bob@example.com"


@pytest.mark.integration  # sets up Django in this process
def test_the_django_recipe(readme: dict[str, Any], django_users: Any) -> None:
    from django.test import Client as DjangoClient
    from django.test import override_settings

    urls = types.ModuleType("readme_urls")
    urls.urlpatterns = readme["urlpatterns"]  # type: ignore[attr-defined]
    with override_settings(ROOT_URLCONF=urls):
        client = DjangoClient(enforce_csrf_checks=True)
        post = {"path": "/layer/identity-token", "data": {"nonce": "n-4"}}
        assert client.post(**post, content_type="application/json").status_code == 401
        client.force_login(django_users)
        answer = client.post(**post, content_type="application/json")
        assert answer.status_code == 200, answer.content
    claims = verified(readme, answer.json()["identity_token"], "n-4")
    assert claims.user_id == str(django_users.pk)


@pytest.mark.integration
@pytest.mark.parametrize("readme_path", READMES, ids=["package", "top-level"])
def test_the_flask_and_wsgi_recipes_under_gunicorn(
    readme_path: Path, public_pem: bytes, configured: None
) -> None:
    env = {**readme_environment(), "LAYER_TEST_README": str(readme_path)}
    env["LAYER_TEST_README_SERVE"] = "1"
    namespace, _ = run(readme_path)  # the same app here, to sign a session cookie as Flask does
    flask_app = namespace["app"]
    serializer = flask_app.session_interface.get_signing_serializer(flask_app)
    logged_in = {"session": serializer.dumps({"user_id": "carol@example.com"})}
    namespace["signer"].close()
    with serve(gunicorn, "tests.readme_apps:app", **env) as server:
        base = f"http://127.0.0.1:{server.port}"
        answer = httpx.post(f"{base}/layer/identity-token", json={"nonce": "n-5"})
        assert answer.status_code == 401
        assert httpx.get(f"{base}/layer/healthz").json() == {"status": "ok"}
        answer = httpx.post(
            f"{base}/layer/identity-token", json={"nonce": "n-5"}, cookies=logged_in
        )
        assert answer.status_code == 200, answer.text
    with layer_identity.Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(answer.json()["identity_token"], nonce="n-5")
    assert claims.user_id == "carol@example.com"
    with serve(gunicorn, "tests.readme_apps:identity_app", **env) as server:
        answer = httpx.post(
            f"http://127.0.0.1:{server.port}/identity-token",
            data={"nonce": "n-6"},
            cookies={"session": "8f14e45f"},
        )
        assert answer.status_code == 200, answer.text
    with layer_identity.Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(answer.json()["identity_token"], nonce="n-6")
    assert claims.user_id == "alice@example.com"


@pytest.mark.integration
@pytest.mark.parametrize("readme_path", READMES, ids=["package", "top-level"])
def test_the_fastapi_recipe_under_uvicorn(readme_path: Path, public_pem: bytes) -> None:
    env = {**readme_environment(), "LAYER_TEST_README": str(readme_path)}
    env["LAYER_TEST_README_SERVE"] = "1"
    with (
        serve(uvicorn, "tests.readme_apps:api", **env) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as client,
    ):
        assert client.post("/layer/identity-token", json={"nonce": "n-7"}).status_code == 401
        assert client.post("/login").status_code == 200  # the session cookie, kept
        answer = client.post("/layer/identity-token", json={"nonce": "n-7"})
        assert answer.status_code == 200, answer.text
    with layer_identity.Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        claims = verifier.verify(answer.json()["identity_token"], nonce="n-7")
    assert claims.user_id == "bob@example.com"


def test_install_commands_agree() -> None:
    package, top = (install_commands(readme) for readme in READMES)
    assert package == top
    wheel = f"layer_identity-{layer_identity.__version__}-py3-none-manylinux_2_34_x86_64.whl"
    assert wheel in package


def test_top_level_section_has_its_heading() -> None:
    text = (REPOSITORY / "README.md").read_text("utf-8")
    start = text.index("<!-- bindings:python -->")
    assert text[start:].split("\n", 2)[1] == "## Python"
