#!/usr/bin/env python3
"""Reads what AddressSanitizer, LeakSanitizer, ThreadSanitizer or valgrind wrote while a test
suite ran (scripts/sanitize.sh), sorts every report into "ours" (the library, a wrapper's
native glue) or "the runtime's own", prints the ours in full and a count of the rest, and exits
1 when the run must fail.

    reports.py --tool asan|tsan|valgrind --label NAME [--summary FILE] [--expect-ours N] LOG...

What fails the run:
  - any AddressSanitizer error (an invalid access, a double free...), ours or not, and any
    report that the sanitizer itself broke down (CHECK failed, LeakSanitizer's fatal error);
  - any ThreadSanitizer report (only our C tests and the library run under it);
  - a leak that is ours: LeakSanitizer's records whose allocation was made by our code, that
    is, whose first frame outside the allocators (the sanitizer's interceptors, libc, the
    dynamic loader, OpenSSL's allocation functions, libstdc++'s operator new) is in one of our
    modules. Allocations a runtime makes for itself while our code calls it (Node's record of
    an external value, made inside napi_create_external) are the runtime's: at exit they are
    held by its garbage-collected heap, which LeakSanitizer does not scan;
  - valgrind: an error with any frame in one of our modules, or a definite leak made by our
    code (the same rule as LeakSanitizer's: the first frame outside the allocators). valgrind
    names a frame's module only when it has no debug information, which is how the release
    library, the stripped addon and the JNI glue are built (the valgrind canary checks it).
Everything else (the interpreters' and JVM's own leaks at exit, the compilers a test runs) is
counted and named by the module that made it, never fatal: a suppressions file cannot express
"not ours" (a suppression matches any frame of a stack, so suppressing the interpreter would
also hide our leaks under every call it makes into us), this rule can.

--summary appends one tab-separated line (label, tool, ours, runtime records, fatal) for the
table at the end of scripts/sanitize.sh. --expect-ours N turns the run around for a canary: it
succeeds only when exactly N reports are ours (and then nothing else counts as fatal).
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

# Our modules: the library, the Node addon and the JNI glue (both link the library statically),
# the Go test binary (its cgo glue), our C tests and canaries.
OURS = re.compile(
    r"liblayer_identity[^/]*\.so[.0-9]*$|layer_identity[^/]*\.node$|layeridentity\.test$"
    r"|/(test_\w+|canary)([.-](asan|tsan|plain))?$"
)
# Where allocations pass on their way to whoever asked for them.
ALLOCATORS = re.compile(
    r"libasan\.so|libtsan\.so|vgpreload_memcheck|/libc\.so|/ld-linux|libcrypto\.so|libssl\.so"
    r"|libstdc\+\+\.so"
)

# A frame as scripts/sanitize.sh asks the sanitizers to print it:
# stack_trace_format="    #%n %p in %f %S <%m>"
SANITIZER_FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (?P<where>.*) <(?P<module>[^<>]*)>\s*$")
# valgrind: "   at 0x4848899: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)"
VALGRIND_FRAME = re.compile(
    r"^==\d+==\s+(?:at|by) 0x[0-9A-F]+: (?P<where>.*?)(?: \(in (?P<module>[^)]*)\))?$"
)


def is_ours(module: str) -> bool:
    return bool(OURS.search(module))


def first_caller(frames: list[tuple[str, str]]) -> str:
    """The module of the first frame outside the allocators: who asked for the memory."""
    for _, module in frames:
        if module and not ALLOCATORS.search(module):
            return module
    return frames[0][1] if frames else "?"


class Result:
    def __init__(self) -> None:
        self.ours: list[str] = []  # the reports, in full
        self.runtime: collections.Counter[str] = collections.Counter()  # by module
        self.fatal: list[str] = []  # one line each: why the run fails regardless of origin


def sanitizer_reports(text: str) -> list[list[str]]:
    """Splits a sanitizer log into reports: an error, or one leak record, each with its lines."""
    reports: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        starts = (
            "ERROR: AddressSanitizer" in line
            or "WARNING: ThreadSanitizer" in line
            or re.match(r"^(Direct|Indirect) leak of ", line)
            or "CHECK failed" in line
            or "LeakSanitizer has encountered a fatal error" in line
        )
        if starts:
            current = [line]
            reports.append(current)
        elif current is not None:
            if re.match(r"^(SUMMARY: |=+$|==\d+==ERROR: LeakSanitizer: detected memory leaks)", line):
                current = None
            else:
                current.append(line)
    return reports


def read_sanitizer(path: Path, result: Result, tool: str) -> None:
    for report in sanitizer_reports(path.read_text(errors="replace")):
        head = report[0]
        frames = [(m["where"], m["module"]) for m in map(SANITIZER_FRAME.match, report) if m]
        text = f"{path.name}: " + "\n".join(report)
        if "CHECK failed" in head or "fatal error" in head:
            result.fatal.append(f"{path.name}: the sanitizer broke down: {head.strip()}")
        elif "leak of" in head:
            caller = first_caller(frames)
            if is_ours(caller):
                result.ours.append(text)
            else:
                result.runtime[Path(caller).name] += 1
        else:  # an AddressSanitizer error or a ThreadSanitizer warning: always fatal
            mine = any(is_ours(module) for _, module in frames)
            if mine:
                result.ours.append(text)
            result.fatal.append(f"{path.name}: {head.strip()}" + ("" if mine else " (not in our code)"))
            if not mine:
                result.runtime["errors outside our code"] += 1


def read_valgrind(path: Path, result: Result) -> None:
    text = path.read_text(errors="replace")
    # Records are separated by a line holding only the "==PID==" prefix.
    for record in re.split(r"\n==\d+== *\n", text):
        lines = record.splitlines()
        if not lines:
            continue
        head = re.sub(r"^==\d+== ", "", lines[0])
        frames = [(m["where"], m["module"] or "") for m in map(VALGRIND_FRAME.match, lines) if m]
        if not frames or head.startswith(("HEAP SUMMARY", "LEAK SUMMARY", "Memcheck", "Command")):
            continue
        if "loss record" in head and "definitely lost" not in head:
            continue
        leak = "definitely lost" in head
        # A leak is ours when our code asked for the memory (the sanitizers' rule); an error
        # when any frame is ours.
        if is_ours(first_caller(frames)) if leak else any(is_ours(module) for _, module in frames):
            result.ours.append(f"{path.name}: " + "\n".join(lines))
        else:
            kind = "definite leak" if leak else "error"
            result.runtime[f"{kind} in {Path(first_caller(frames)).name or frames[0][0]}"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", choices=["asan", "tsan", "valgrind"], required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--summary", type=Path)
    parser.add_argument("--expect-ours", type=int)
    parser.add_argument("logs", nargs="*", type=Path)
    args = parser.parse_args()

    result = Result()
    for path in args.logs:
        if args.tool == "valgrind":
            read_valgrind(path, result)
        else:
            read_sanitizer(path, result, args.tool)

    label = args.label
    for report in result.ours:
        if args.expect_ours is None:
            print(f"{label}: IN OUR CODE:\n{report}\n", file=sys.stderr)
        else:  # a canary's defect, expected: its first line is enough
            print(f"{label}: caught: {report.splitlines()[0]}")
    runtime = sum(result.runtime.values())
    named = ", ".join(f"{module} {count}" for module, count in result.runtime.most_common(4))
    more = len(result.runtime) - 4
    print(
        f"{label}: {len(args.logs)} log(s); in our code: {len(result.ours)}; the runtime's own: "
        f"{runtime}" + (f" ({named}{f', {more} more' if more > 0 else ''})" if runtime else "")
    )

    if args.expect_ours is not None:
        ok = len(result.ours) == args.expect_ours
        if not ok:
            print(
                f"{label}: expected {args.expect_ours} report(s) in our code, found {len(result.ours)}",
                file=sys.stderr,
            )
        fatal = 0 if ok else 1
    else:
        for line in result.fatal:
            print(f"{label}: FATAL: {line}", file=sys.stderr)
        fatal = len(result.ours) + len(result.fatal)
    if args.summary:
        with args.summary.open("a") as out:
            out.write(f"{label}\t{args.tool}\t{len(result.ours)}\t{runtime}\t{fatal}\n")
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
