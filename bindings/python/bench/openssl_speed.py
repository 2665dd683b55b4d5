"""`openssl speed rsa2048`: the reference every rate of these benchmarks is a ratio to."""

from __future__ import annotations

import re
import subprocess


def rsa2048(seconds: float, cpus: str, *options: str) -> tuple[float, float]:
    """(sign/s, verify/s) of `openssl speed -elapsed [options] rsa2048` on `cpus`, by
    wall-clock time like every other rate here (`openssl speed` divides by user CPU time
    unless -elapsed, which on a busy machine overstates its rate)."""
    output = subprocess.run(
        [
            *("taskset", "-c", cpus, "openssl", "speed", "-elapsed", *options),
            *("-seconds", str(max(1, round(seconds))), "rsa2048"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^rsa 2048 bits .*?([\d.]+)\s+([\d.]+)\s*$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"cannot read `openssl speed {' '.join(options)}` output:\n{output}")
    return float(match.group(1)), float(match.group(2))


def multi(seconds: float) -> float:
    """Signatures per second of `openssl speed -multi 2 rsa2048` on CPUs 0 and 1."""
    return rsa2048(seconds, "0-1", "-multi", "2")[0]
