"""A README's Python code as a module, for real servers to import: ``tests.readme_apps:app``
(the Flask recipe), ``:api`` (FastAPI), ``:identity_app`` (plain WSGI). The README is
``LAYER_TEST_README`` (the package's by default); the code runs as a reader would run it, in
order, with the LAYER_* configuration of the environment."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

from .readme import blocks

README = Path(os.environ.get("LAYER_TEST_README", Path(__file__).parents[1] / "README.md"))


def run(readme: Path) -> tuple[dict[str, Any], str]:
    """Runs every ```python block of ``readme`` in one namespace; returns it and the output."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    output = io.StringIO()
    python = [block for block in blocks(readme) if block.language == "python"]
    assert python, f"{readme} has no Python code"
    with contextlib.redirect_stdout(output):
        for block in python:
            exec(compile(block.code, f"{readme.name}: {block.heading}", "exec"), namespace)
    return namespace, output.getvalue()


if __name__ != "__main__" and os.environ.get("LAYER_TEST_README_SERVE"):
    _namespace, _ = run(README)
    app = _namespace["app"]
    api = _namespace["api"]
    identity_app = _namespace["identity_app"]
