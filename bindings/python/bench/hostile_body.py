#!/usr/bin/env python3
"""The endpoint's cost on hostile request bodies: linear in their size.

Round 2's WSGI endpoint checked JSON depth with a regex that took quadratic time: one 64 KiB
body cost ~16 s of CPU with the GIL held (4 KiB 0.07 s, 16 KiB 1.08 s). The library's parser
reads each byte once. This times the WSGI application, called in-process, on bodies of 4, 16
and 64 KiB of each hostile shape, and prints the cost per KiB: flat when linear (the last
column, 64 KiB's cost per KiB over 4 KiB's, stays near 1; quadratic would make it 16).

    bench/hostile_body.py [--repeat N]

Needs the package importable (the installed wheel, or PYTHONPATH=src with LAYER_IDENTITY_LIB).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from layer_identity import Signer, generate_key_pair
from layer_identity.wsgi import demo_authenticate, identity_token_app

PROVIDER_ID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"

# Each shape fills `size` bytes (the endpoint reads at most 65,536).
SHAPES: dict[str, Callable[[int], bytes]] = {
    "unclosed nesting [[[[": lambda size: b"[" * size,
    'nesting in a member {"a":[[[': lambda size: b'{"a":' + b"[" * (size - 5),
    "many empty arrays [[],[],...]": lambda size: b"[" + b"[]," * ((size - 2) // 3) + b"[]]",
    "escaped quotes in a string": lambda size: b'{"nonce":"' + b'\\"' * ((size - 12) // 2) + b'"}',
    'brackets in strings ["[",...]': lambda size: b"[" + b'"[",' * ((size - 2) // 4) + b'""]',
    "form: percent escapes": lambda size: b"nonce=" + b"%5B" * ((size - 6) // 3),
}
SIZES = (4096, 16384, 65536)


def seconds_per_call(app: Any, body: bytes, content_type: str, repeat: int) -> float:
    def call() -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/identity-token",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        app(environ, lambda status, headers, *_: None)

    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(10):
            call()
        timings.append((time.perf_counter() - start) / 10)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="batches of 10 calls per body")
    args = parser.parse_args()
    with Signer(generate_key_pair().private_key_pem, PROVIDER_ID, KEY_ID) as signer:
        app = identity_token_app(signer, demo_authenticate)
        print(
            f"{'body':34} " + " ".join(f"{size // 1024:>4} KiB µs/KiB" for size in SIZES) + "  64/4"
        )
        for name, make in SHAPES.items():
            content_type = (
                "application/x-www-form-urlencoded" if "form" in name else "application/json"
            )
            per_kib = []
            for size in SIZES:
                body = make(size)[:size]
                per_kib.append(
                    seconds_per_call(app, body, content_type, args.repeat) / (size / 1024)
                )
            cells = " ".join(f"{value * 1e6:>15.2f}" for value in per_kib)
            print(f"{name:34} {cells}  {per_kib[-1] / per_kib[0]:4.2f}")


if __name__ == "__main__":
    main()
