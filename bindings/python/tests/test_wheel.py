"""The wheel test.sh built and installed: publish-ready. Its platform tag is the one auditwheel
(from PyPI) reads from the library inside, whose only libraries outside the manylinux policy are
the system's OpenSSL, and its metadata is complete. LAYER_TEST_WHEEL names the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import layer_identity

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def wheel() -> Path:
    return Path(os.environ["LAYER_TEST_WHEEL"])


def test_auditwheel_confirms_the_platform_tag(wheel: Path) -> None:
    platform = wheel.name.removesuffix(".whl").split("-")[-1]
    assert platform == "manylinux_2_34_x86_64"
    shown = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(shown.stdout)
    assert report["sym_tag"] == platform  # glibc symbol versions: exactly 2.34
    # The only libraries outside the policy: the system's OpenSSL, on purpose (never vendored).
    assert set(report["external_libs"]) == {"libssl.so.3", "libcrypto.so.3"}
    assert not report["unsupported_isa"]


def test_the_metadata_is_complete(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        name = f"layer_identity-{layer_identity.__version__}.dist-info"
        metadata = Parser().parsestr(archive.read(f"{name}/METADATA").decode())
        wheel_info = Parser().parsestr(archive.read(f"{name}/WHEEL").decode())
        files = set(archive.namelist())
    assert metadata["Name"] == "layer-identity"
    assert metadata["Version"] == layer_identity.__version__
    assert metadata["Summary"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "## Install" in metadata.get_payload()
    assert metadata.get_all("Requires-Dist") is None  # no dependencies
    classifiers = metadata.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Framework :: Django" in classifiers
    assert wheel_info["Root-Is-Purelib"] == "false"
    assert wheel_info["Tag"] == "py3-none-manylinux_2_34_x86_64"
    assert "layer_identity/liblayer_identity.so" in files
    assert "layer_identity/py.typed" in files
    assert not any(path.startswith("tests/") for path in files)
