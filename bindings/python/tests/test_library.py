"""Finding the native library: LAYER_IDENTITY_LIB, the package's copy, the system; the ABI."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import layer_identity

PACKAGE = Path(layer_identity.__file__).parent
LIBRARY = Path(layer_identity.library_path)
PROBE = "import layer_identity; print(layer_identity.library_path)"


def package_copy(directory: Path, *, with_library: bool) -> Path:
    """This package's sources under `directory`, with or without the native library."""
    target = directory / "layer_identity"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    if with_library:
        shutil.copy(LIBRARY, target / "liblayer_identity.so")
    return target


def run(directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("LAYER_IDENTITY_LIB", "LD_LIBRARY_PATH", "PYTHONPATH")
    }
    environment.update(PYTHONPATH=str(directory), **env)  # env may set LD_LIBRARY_PATH again
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_library(directory: Path, source: str) -> Path:
    c_file = directory / "fake.c"
    c_file.write_text(source)
    library = directory / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", library, c_file], check=True)
    return library


def test_the_packaged_copy_is_found(tmp_path: Path) -> None:
    target = package_copy(tmp_path, with_library=True)
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target / "liblayer_identity.so")


def test_layer_identity_lib_comes_first(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=True)
    explicit = tmp_path / "elsewhere" / "liblayer_identity.so"
    explicit.parent.mkdir()
    shutil.copy(LIBRARY, explicit)
    result = run(tmp_path, LAYER_IDENTITY_LIB=str(explicit))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(explicit)


def test_a_wrong_layer_identity_lib_is_not_silently_replaced(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=True)
    result = run(tmp_path, LAYER_IDENTITY_LIB=str(tmp_path / "missing.so"))
    assert result.returncode != 0
    assert "LibraryLoadError" in result.stderr
    assert "missing.so" in result.stderr
    assert "nothing else was tried" in result.stderr


def test_a_library_without_abi_version_is_too_old(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=False)
    old = fake_library(tmp_path, "int layer_version(void) { return 0; }\n")
    result = run(tmp_path, LAYER_IDENTITY_LIB=str(old))
    assert result.returncode != 0
    assert "no layer_abi_version symbol" in result.stderr
    assert "needs ABI version 3 or later" in result.stderr


def test_a_library_with_an_older_abi_is_refused(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=False)
    old = fake_library(tmp_path, "unsigned layer_abi_version(void) { return 2; }\n")
    result = run(tmp_path, LAYER_IDENTITY_LIB=str(old))
    assert result.returncode != 0
    assert "it has ABI version 2, and this package needs 3 or later" in result.stderr


def test_an_empty_layer_identity_lib_is_still_the_only_place(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=True)  # a library that would load
    result = run(tmp_path, LAYER_IDENTITY_LIB="")
    assert result.returncode != 0
    assert "set but empty" in result.stderr
    assert "nothing else was tried" in result.stderr


def test_a_bare_name_in_layer_identity_lib_is_a_path_never_a_search(tmp_path: Path) -> None:
    package_copy(tmp_path, with_library=True)
    directory = tmp_path / "here"
    directory.mkdir()
    shutil.copy(LIBRARY, directory / "liblayer_identity.so")
    # Relative to the working directory, like any path; the loader's search path is not used.
    found = run(tmp_path, LAYER_IDENTITY_LIB="here/liblayer_identity.so")
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(directory / "liblayer_identity.so")
    missing = run(
        tmp_path, LAYER_IDENTITY_LIB="liblayer_identity.so", LD_LIBRARY_PATH=str(directory)
    )
    assert missing.returncode != 0
    assert str(tmp_path / "liblayer_identity.so") in missing.stderr


def test_nothing_found_names_every_place(tmp_path: Path) -> None:
    if ctypes.util.find_library("layer_identity"):
        pytest.skip("liblayer_identity is installed on this system, so the system lookup succeeds")
    target = package_copy(tmp_path, with_library=False)
    result = run(tmp_path)
    assert result.returncode != 0
    message = result.stderr
    assert "could not load the native library" in message
    assert "LAYER_IDENTITY_LIB: not set" in message
    assert f"{target / 'liblayer_identity.so'} (inside the package): no such file" in message
    assert 'find_library("layer_identity") found nothing' in message
    assert "liblayer_identity.so.0 through the dynamic loader's search path" in message


@pytest.mark.integration
def test_the_wheel_copy_is_in_use() -> None:
    # test.sh runs these tests against the installed wheel: its own copy is the one loaded.
    assert "LAYER_IDENTITY_LIB" not in os.environ
    assert LIBRARY == PACKAGE / "liblayer_identity.so"
