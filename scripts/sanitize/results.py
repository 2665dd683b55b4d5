#!/usr/bin/env python3
"""Writes a section of bench/RESULTS.md: results.py FILE SECTION.md replaces what lies between
<!-- sanitize:begin --> and <!-- sanitize:end --> (the other sections belong to other commands),
appends the section when the markers are missing, and creates the file when it is."""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- sanitize:begin -->", "<!-- sanitize:end -->"


def main() -> int:
    target, section = Path(sys.argv[1]), Path(sys.argv[2]).read_text().strip("\n")
    block = f"{BEGIN}\n{section}\n{END}"
    text = target.read_text() if target.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if 0 <= start < end:
        text = text[:start] + block + text[end + len(END) :]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"sanitize: the table is in {target} (between {BEGIN} and {END})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
