"""Shared fixtures: the repository's vectors and keys, a signer and a verifier."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import layer_identity

REPOSITORY = Path(__file__).resolve().parents[3]
VECTORS = REPOSITORY / "vectors"
ENDPOINT = REPOSITORY / "tests" / "endpoint"
HEADER = REPOSITORY / "include" / "layer_identity.h"
PYTHON_PACKAGE = REPOSITORY / "bindings" / "python"

PROVIDER_ID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"

# The conformance driver is importable as a module (tests/endpoint/README.md).
sys.path.insert(0, str(ENDPOINT))


def key_file(name: str) -> bytes:
    """A key file under vectors/, as its exact bytes."""
    return (VECTORS / name).read_bytes()


@pytest.fixture(scope="session")
def private_pem() -> bytes:
    return key_file("keys/rsa2048.pkcs8.pem")


@pytest.fixture(scope="session")
def public_pem() -> bytes:
    return key_file("keys/rsa2048.public.pem")


@pytest.fixture
def signer(private_pem: bytes) -> Iterator[layer_identity.Signer]:
    with layer_identity.Signer(private_pem, PROVIDER_ID, KEY_ID) as signer:
        yield signer


@pytest.fixture
def verifier(public_pem: bytes) -> Iterator[layer_identity.Verifier]:
    with layer_identity.Verifier(public_pem, PROVIDER_ID, KEY_ID) as verifier:
        yield verifier


def configuration(**extra: str) -> dict[str, str]:
    """The LAYER_* variables for the test key, and ``extra``."""
    return {
        "LAYER_PROVIDER_ID": PROVIDER_ID,
        "LAYER_KEY_ID": KEY_ID,
        "LAYER_PRIVATE_KEY_PATH": str(VECTORS / "keys" / "rsa2048.pkcs8.pem"),
        **extra,
    }


@pytest.fixture(scope="session")
def django_users(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Django set up in this process (tests/django_project), its database migrated, with one
    user. Once per session: Django is set up once per process."""
    database = tmp_path_factory.mktemp("django") / "db.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in configuration(LAYER_TEST_DJANGO_DB=str(database)).items():
            if name.startswith("LAYER_"):
                patch.setenv(name, value)
        patch.setenv("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
        import django
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        user = get_user_model().objects.create_user("alice", "alice@example.com", "pw")
        yield user
