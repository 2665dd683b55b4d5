#!/usr/bin/env python3
"""The sample backend over HTTP keep-alive, beside `openssl speed -multi 2` in the same run.

Starts `scripts/run-backend python` (uvicorn) with a fresh 2048-bit key, then, round after
round: `openssl speed -elapsed -multi 2 rsa2048` (signatures/s on both cores), and `wrk` with
a fresh nonce per request at 1 connection and at 8 keep-alive connections (tokens/s, p50 and
p99 latency). The load generator runs on the same two cores as the server, as the other
languages' benchmarks do. Prints each round and the medians, with the goals: tokens/s at 8
connections >= 0.6 of openssl's -multi 2 rate, and a median latency <= 1 ms for one client.

    bench/http_bench.py [--seconds S] [--rounds N]

Needs wrk and openssl (Debian's packages), and a built library (make build).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import openssl_speed

REPOSITORY = Path(__file__).resolve().parents[3]
PROVIDER_ID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
# A POST /identity-token with a JSON body and a nonce of its own, for every request.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
local thread_id = math.random(1, 1000000000)
request = function()
  counter = counter + 1
  local body = string.format('{"user_id":"bench@example.com","nonce":"n-%d-%d"}',
                             thread_id, counter)
  return wrk.format(nil, "/identity-token", nil, body)
end
"""


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, script: Path, connections: int, seconds: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of `connections` keep-alive connections."""
    threads = min(connections, 2)
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"the backend failed requests:\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rate and p50 and p99):
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    return float(rate.group(1)), _milliseconds(p50.group(1)), _milliseconds(p99.group(1))


def start_backend(directory: Path, port: int) -> subprocess.Popen[str]:
    key = directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            str(key),
        ],
        check=True,
        capture_output=True,
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("LAYER_")}
    env.update(
        LAYER_PROVIDER_ID=PROVIDER_ID,
        LAYER_KEY_ID=KEY_ID,
        LAYER_PRIVATE_KEY_PATH=str(key),
        PORT=str(port),
        HOST="127.0.0.1",
    )
    backend = subprocess.Popen(
        [str(REPOSITORY / "scripts" / "run-backend"), "python"],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert backend.stdout is not None
    line = backend.stdout.readline()
    if not line.startswith("listening on http://"):
        backend.kill()
        raise SystemExit(f"the backend did not start: {line!r}")
    return backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        script = directory / "post.lua"
        script.write_text(WRK_SCRIPT)
        backend = start_backend(directory, args.port)
        url = f"http://127.0.0.1:{args.port}"
        try:
            wrk(url, script, 8, 1)  # warm up
            ratios, p50s, rates = [], [], []
            for round_number in range(1, args.rounds + 1):
                openssl = openssl_speed.multi(args.seconds)
                one = wrk(url, script, 1, args.seconds)
                eight = wrk(url, script, 8, args.seconds)
                print(
                    f"round {round_number}: openssl -multi 2 {openssl:.0f} sign/s | "
                    f"1 connection {one[0]:.0f} tokens/s p50 {one[1]:.2f} ms p99 {one[2]:.2f} ms | "
                    f"8 connections {eight[0]:.0f} tokens/s p50 {eight[1]:.2f} ms "
                    f"p99 {eight[2]:.2f} ms",
                    flush=True,
                )
                ratios.append(eight[0] / openssl)
                p50s.append(one[1])
                rates.append(eight[0])
        finally:
            backend.send_signal(signal.SIGTERM)
            status = backend.wait(10)
        ratio, p50, rate = (statistics.median(values) for values in (ratios, p50s, rates))
        print("\nmedians:")
        print(f"  tokens/s at 8 connections / openssl -multi 2 sign/s  {ratio:.3f} (goal >= 0.6)")
        print(f"  p50 latency, 1 connection                          {p50:.2f} ms (goal <= 1 ms)")
        print(f"  tokens/s at 8 connections                          {rate:.0f}")
        if status != 0:
            sys.exit(f"the backend exited with status {status} after SIGTERM")


if __name__ == "__main__":
    main()
