"""The READMEs' Python code runs, in order, as a reader would run it (the package README and
the Python section of the top-level README); the Flask and WSGI snippets then serve real
requests. test.sh runs the install commands."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

import layer_identity

from .conftest import KEY_ID, PROVIDER_ID, PYTHON_PACKAGE, REPOSITORY
from .readme import blocks, install_commands

READMES = [PYTHON_PACKAGE / "README.md", REPOSITORY / "README.md"]


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("LAYER_")]:
        monkeypatch.delenv(name)
    key = tmp_path / "layer-private.pem"
    key.write_text(layer_identity.generate_key_pair().private_key_pem)
    monkeypatch.setenv("LAYER_PROVIDER_ID", PROVIDER_ID)
    monkeypatch.setenv("LAYER_KEY_ID", KEY_ID)
    monkeypatch.setenv("LAYER_PRIVATE_KEY_PATH", str(key))
    monkeypatch.setenv("FLASK_SECRET_KEY", "test secret")


def run_python_blocks(readme: Path) -> tuple[dict[str, Any], str]:
    namespace: dict[str, Any] = {"__name__": "readme"}
    output = io.StringIO()
    python = [block for block in blocks(readme) if block.language == "python"]
    assert python, f"{readme} has no Python code"
    with contextlib.redirect_stdout(output):
        for block in python:
            exec(compile(block.code, f"{readme.name}: {block.heading}", "exec"), namespace)
    return namespace, output.getvalue()


@pytest.mark.parametrize("readme", READMES, ids=["package", "top-level"])
@pytest.mark.usefixtures("configured")
def test_python_blocks_run(readme: Path) -> None:
    namespace, output = run_python_blocks(readme)
    assert "alice@example.com Alice" in output
    assert "LAYER_ERR_CLAIM_MISMATCH eit_nonce_not_found" in output
    if "app" in namespace:  # the Flask snippet: a logged-in user gets a token, others 401
        flask_app = namespace["app"]
        client = flask_app.test_client()
        answer = client.post("/layer/identity-token", json={"nonce": "n-1"})
        assert answer.status_code == 401
        with client.session_transaction() as session:
            session["user_id"] = "bob@example.com"
        answer = client.post("/layer/identity-token", json={"nonce": "n-1"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        claims = namespace["verifier"].verify(answer.get_json()["identity_token"], nonce="n-1")
        assert claims.user_id == "bob@example.com"
        assert client.get("/layer/healthz").get_json() == {"status": "ok"}
    if "identity_app" in namespace:  # the plain WSGI snippet, with its session store
        client = Client(namespace["identity_app"])
        client.set_cookie("session", "8f14e45f")
        answer = client.post("/identity-token", data={"nonce": "n-2"})
        assert answer.status_code == 200
        claims = namespace["verifier"].verify(answer.get_json()["identity_token"], nonce="n-2")
        assert claims.user_id == "alice@example.com"
    namespace["signer"].close()


def test_install_commands_agree() -> None:
    package, top = (install_commands(readme) for readme in READMES)
    assert package == top
    wheel = f"layer_identity-{layer_identity.__version__}-py3-none-linux_x86_64.whl"
    assert wheel in package


def test_top_level_section_has_its_heading() -> None:
    text = (REPOSITORY / "README.md").read_text("utf-8")
    start = text.index("<!-- bindings:python -->")
    assert text[start:].split("\n", 2)[1] == "## Python"
