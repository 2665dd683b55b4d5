"""Hatchling build hook: the wheel carries the native library.

It copies the release build of liblayer_identity (``make build`` at the repository root
leaves it in ``target/release/``; ``LAYER_IDENTITY_BUILD_LIB`` names another file) into the
package as ``layer_identity/liblayer_identity.so`` and tags the wheel
``py3-none-manylinux_2_34_x86_64``: any Python 3 (ctypes, no extension module, so no ABI tag)
on x86-64 Linux with glibc 2.34 or later, the newest symbol version the library uses (what
``auditwheel show`` reports as its symbol tag; the tests check it), and the system's OpenSSL 3
(``libssl.so.3``, ``libcrypto.so.3``). Those two are the only libraries outside the manylinux
policy, and deliberately so: OpenSSL stays the system's, updated by the system, never a copy in
the wheel. It is the tag ``auditwheel repair --exclude libssl.so.3 --exclude libcrypto.so.3``
gives, without rewriting the library.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TAG = "py3-none-manylinux_2_34_x86_64"
#: The platform part of TAG (the tests compare it with auditwheel's reading of the wheel).
PLATFORM = TAG.split("-")[2]
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
