"""Hatchling build hook: the wheel carries the native library.

It copies the release build of liblayer_identity (``make build`` at the repository root
leaves it in ``target/release/``; ``LAYER_IDENTITY_BUILD_LIB`` names another file) into the
package as ``layer_identity/liblayer_identity.so`` and tags the wheel
``py3-none-linux_x86_64``: any Python 3 (ctypes, no extension module, so no ABI tag), on
x86-64 Linux with the system's OpenSSL 3 (libssl3). Not ``manylinux``: auditwheel would have
to vendor libssl/libcrypto into the wheel, and OpenSSL stays the system's.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TAG = "py3-none-linux_x86_64"
REPOSITORY = Path(__file__).resolve().parents[2]


class NativeLibraryHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if not (sys.platform.startswith("linux") and platform.machine() == "x86_64"):
            raise RuntimeError(
                f"the wheel is tagged {TAG}: build it on x86-64 Linux "
                f"(this is {sys.platform} {platform.machine()})"
            )
        library = Path(
            os.environ.get("LAYER_IDENTITY_BUILD_LIB")
            or REPOSITORY / "target" / "release" / "liblayer_identity.so"
        )
        if not library.is_file():
            raise RuntimeError(
                f"{library} does not exist: run `make build` at the repository root first "
                "(or set LAYER_IDENTITY_BUILD_LIB to a built liblayer_identity.so)"
            )
        build_data["pure_python"] = False
        build_data["tag"] = TAG
        build_data["force_include"][str(library)] = "layer_identity/liblayer_identity.so"
