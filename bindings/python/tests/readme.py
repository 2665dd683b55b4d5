"""The code blocks of the READMEs (the package's, and the Python section of the top-level
one), for the tests that run them.

    python readme.py install-commands README.md   # prints the sh block under "Install"
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple

BEGIN, END = "<!-- bindings:python -->", "<!-- /bindings:python -->"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^#+ (.*)$", re.MULTILINE)


class Block(NamedTuple):
    language: str
    code: str
    heading: str  # the nearest heading above it


def section(path: Path) -> str:
    """The Python part of a README: between the markers when it has them, else all of it."""
    text = path.read_text("utf-8")
    if BEGIN in text:
        start = text.index(BEGIN) + len(BEGIN)
        return text[start : text.index(END, start)]
    return text


def blocks(path: Path) -> list[Block]:
    text = section(path)
    found = []
    for match in _FENCE.finditer(text):
        headings = _HEADING.findall(text, 0, match.start())
        found.append(Block(match.group(1), match.group(2), headings[-1] if headings else ""))
    return found


def install_commands(path: Path) -> str:
    """The first sh block under a heading that starts with "Install"."""
    for block in blocks(path):
        if block.language == "sh" and block.heading.startswith("Install"):
            return block.code
    raise SystemExit(f"{path}: no ```sh block under an Install heading")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "install-commands":
        raise SystemExit("usage: readme.py install-commands README.md")
    sys.stdout.write(install_commands(Path(sys.argv[2])))
