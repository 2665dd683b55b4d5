#!/usr/bin/env python3
"""Writes the fuzzing figures into a results file, between its fuzz markers.

    fuzz/results.py FILE "TARGET SECONDS EXECUTIONS EXEC_PER_S COV FT CORPUS COMMITTED" ...

fuzz/run.sh --results FILE calls it with one line of figures per target it ran. Only the part
of FILE between <!-- fuzz:begin --> and <!-- fuzz:end --> is rewritten (other tools write their
own sections of the same file); a target not run this time keeps its row. FILE and the section
are created when missing. Standard library only, so Debian's /usr/bin/python3 runs it.
"""

import datetime
import platform
import re
import sys
from pathlib import Path

BEGIN, END = "<!-- fuzz:begin -->", "<!-- fuzz:end -->"
COLUMNS = ["target", "seconds", "executions", "exec/s", "cov", "ft", "corpus files", "date (UTC)"]
ORDER = ["verify", "resigned", "keys", "env", "endpoint"]


def rows_of(section: str) -> dict:
    """The table's rows already in the section, by target."""
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0].strip("`") in ORDER:
            rows[cells[0].strip("`")] = cells
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1])
    text = path.read_text() if path.exists() else ""
    match = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), text, re.S)
    rows = rows_of(match.group(1)) if match else {}
    finished = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    for line in sys.argv[2:]:
        target, seconds, executions, per_second, cov, ft, corpus, committed = line.split()
        rows[target] = [f"`{target}`", seconds, f"{int(executions):,}", per_second, cov, ft,
                        f"{corpus} ({committed} committed)", finished]
    table = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    table += ["| " + " | ".join(rows[t]) + " |" for t in ORDER if t in rows]
    section = "\n".join([
        BEGIN,
        "## Fuzzing",
        "",
        "`make fuzz FUZZ_SECONDS=900` (fuzz/run.sh): cargo fuzz, libFuzzer with ASan and debug",
        "assertions, one process per target. cov and ft are libFuzzer's coverage counters (edges,",
        "features) at the end of the run; corpus is the inputs libFuzzer kept, then how many",
        "fuzz/corpus/<target> holds after `cargo fuzz cmin`. "
        f"Machine: {platform.machine()}, Linux {platform.release()}.",
        "",
        *table,
        END,
    ])
    if match:
        text = text[:match.start()] + section + text[match.end():]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"fuzz figures written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
