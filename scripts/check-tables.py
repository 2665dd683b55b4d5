#!/usr/bin/python3
"""Checks that every wrapper maps exactly the statuses and eit identifiers the header declares.

include/layer_identity.h is generated from the core (src/status.rs), so it is the one source:
each wrapper's table of LayerStatus (name -> number) and LayerEit (number -> "eit_*") must hold
every value the header has, with the same number, and nothing else. A status appended to the
core without a wrapper learning it fails here, in `make test` and `make check`.

Usage: /usr/bin/python3 scripts/check-tables.py   (exit 1 and a list of differences on failure)
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "layer_identity.h"


def header_enum(name):
    """{member: value} of the C enum typedef'd as `name` in the header."""
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    match = re.search(r"typedef enum \{([^{}]*)\}\s*" + name + r";", text)
    if not match:
        sys.exit(f"check-tables: no enum {name} in {HEADER}")
    return {m: int(v) for m, v in re.findall(r"(\w+)\s*=\s*(\d+)", match.group(1))}


def expected():
    statuses = header_enum("LayerStatus")
    eits = {}
    for member, value in header_enum("LayerEit").items():
        if member != "LAYER_EIT_NONE":
            eits["eit_" + member[len("LAYER_EIT_"):].lower()] = value
    return statuses, eits


def read(relative):
    path = ROOT / relative
    if not path.exists():
        raise LookupError(f"{relative} does not exist")
    return path.read_text()


def section(text, start, end):
    """The part of `text` from the first match of regex `start` to the next match of `end`."""
    begin = re.search(start, text)
    if not begin:
        raise LookupError(f"no {start!r}")
    finish = re.compile(end).search(text, begin.end())
    return text[begin.end():finish.start() if finish else len(text)]


# Each reader returns (statuses {name: number}, eits {"eit_*": number}) as the wrapper has them.

def go():
    text = read("bindings/go/layeridentity/errors.go")
    # cgo takes the numbers from the header itself; the names must all be there.
    statuses = {name: STATUSES.get(name, -1) for name in re.findall(r"Status\s*=\s*C\.(LAYER_\w+)", text)}
    named = dict(re.findall(r"(Eit\w+)\s*=\s*\"(eit_\w+)\"", text))
    eits = {}
    for member, constant in re.findall(r"C\.(LAYER_EIT_\w+):\s*(\w+|\"\")", text):
        if member != "LAYER_EIT_NONE":
            eits[named.get(constant, constant)] = HEADER_EITS.get(member, -1)
    return statuses, eits


def ruby():
    text = read("bindings/ruby/lib/layer_identity/errors.rb")
    statuses = {name: int(value) for value, name in re.findall(r"(\d+)\s*=>\s*\"(LAYER_\w+)\"", text)}
    eits = {name: int(value) for value, name in re.findall(r"(\d+)\s*=>\s*\"(eit_\w+)\"", text)}
    return statuses, eits


def java():
    base = "bindings/java/layer-identity/src/main/java/com/layer/identity/"
    statuses = {}
    for name, value in re.findall(r"^\s*([A-Z][A-Z0-9_]*)\((\d+)\)[,;]", read(base + "LayerStatus.java"), re.M):
        statuses["LAYER_OK" if name == "OK" else "LAYER_ERR_" + name] = int(value)
    eits = {}
    for name, value in re.findall(r"^\s*([A-Z][A-Z0-9_]*)\((\d+)\)[,;]", read(base + "LayerEit.java"), re.M):
        if name != "NONE":
            eits["eit_" + name.lower()] = int(value)
    return statuses, eits


def node():
    text = read("bindings/node/lib/errors.js")
    statuses = {name: int(value) for name, value in re.findall(r"\b(LAYER_\w+):\s*(\d+)", text)}
    eits = {name: int(value) for name, value in re.findall(r"\b(eit_\w+):\s*(\d+)", text)}
    # The TypeScript unions must name the same values.
    types = read("bindings/node/index.d.ts")
    typed_statuses = set(re.findall(r"'(LAYER_(?:OK|ERR_\w+))'", types))
    typed_eits = set(re.findall(r"'(eit_\w+)'", types))
    if typed_statuses != set(statuses) or typed_eits != set(eits):
        raise LookupError("index.d.ts names other statuses or identifiers than lib/errors.js: "
                          f"{sorted(typed_statuses ^ set(statuses)) + sorted(typed_eits ^ set(eits))}")
    return statuses, eits


def python():
    text = read("bindings/python/src/layer_identity/_errors.py")
    def members(cls):
        return re.findall(r"^\s+([A-Z][A-Z0-9_]*)\s*=\s*(\d+)\s*$", section(text, rf"class {cls}\(enum\.IntEnum\):", r"\nclass "), re.M)
    statuses = {("LAYER_OK" if n == "OK" else "LAYER_ERR_" + n): int(v) for n, v in members("Status")}
    eits = {"eit_" + n.lower(): int(v) for n, v in members("Eit") if n != "NONE"}
    return statuses, eits


STATUSES, EITS = expected()
HEADER_EITS = {"LAYER_EIT_" + name[4:].upper(): value for name, value in EITS.items()}


def differences(label, have, want):
    problems = []
    for name in sorted(set(want) - set(have)):
        problems.append(f"{label} {name} ({want[name]}) is missing")
    for name in sorted(set(have) - set(want)):
        problems.append(f"{label} {name} is not in the header")
    for name in sorted(set(have) & set(want)):
        if have[name] != want[name]:
            problems.append(f"{label} {name} is {have[name]}, the header says {want[name]}")
    return problems


def main():
    failed = False
    for language, reader in [("go", go), ("ruby", ruby), ("java", java), ("node", node), ("python", python)]:
        try:
            statuses, eits = reader()
            problems = differences("status", statuses, STATUSES) + differences("identifier", eits, EITS)
        except LookupError as missing:
            problems = [f"cannot read its tables: {missing}"]
        if problems:
            failed = True
            print(f"check-tables: {language}: " + "; ".join(problems), file=sys.stderr)
        else:
            print(f"check-tables: {language} maps all {len(statuses)} statuses and {len(eits)} identifiers")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
