#!/usr/bin/env python3
"""Signing and verifying through the Python package, beside PyJWT (with cryptography), the C
ABI (benches/c/abi_bench.c) and `openssl speed rsa2048`, measured in the same run.

    bench.py [--seconds S] [--rounds N] [--key FILE] [--json FILE]
    bench.py --memory LOOPS      # RSS across create/sign/verify/close loops
    bench.py --instructions N [--only verify|sign] [--json FILE]
                                 # instructions per call (callgrind), package vs bare C call

--json FILE also writes every round's rates, or the instruction counts, to FILE (bench/run.py,
`make bench`, reads it).

Each round measures every subject once, one after the other, pinned to CPU 0 (the two-thread
measurement to CPUs 0 and 1), so drift on a shared machine hits all of them alike; the report
gives the median of the per-round ratios. Needs the package importable (the installed wheel,
or PYTHONPATH=src with LAYER_IDENTITY_LIB), PyJWT and cryptography, gcc and openssl.

Subjects (2048-bit key, the same claims everywhere):
  package handle sign     Signer.sign
  package one-shot sign   sign_token with the PEM text on every call (the library caches it)
  package verify          Verifier.verify (typed claims)
  package 2 threads       two threads signing with one Signer (ctypes releases the GIL), beside
                          two C threads and `openssl speed -multi 2` on the same two cores
  PyJWT sign, loaded key  jwt.encode with a cryptography key object
  PyJWT sign, PEM text    jwt.encode with the PEM text (cryptography loads and checks it)
  PyJWT verify            jwt.decode with a loaded public key
  C ABI                   abi_bench sign / oneshot / verify (layer_verifier_verify), and
                          abi_calls.c verify-into: layer_verifier_verify_into writing
                          every claim into a buffer, the call the package makes (the 0.85
                          target is against it)
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import openssl_speed
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import layer_identity
from layer_identity import Signer, Verifier, _library

REPOSITORY = Path(__file__).resolve().parents[3]
PROVIDER_ID = "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_ID = "layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678"
ISSUED_AT = 1_700_000_000
ONE_CORE = {0}


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second of `operation`, called in batches for `seconds`."""
    operation()  # warm up
    count, start = 0, time.perf_counter()
    end = start + seconds
    while True:
        for _ in range(16):
            operation()
        count += 16
        now = time.perf_counter()
        if now >= end:
            return count / (now - start)


def threaded_rate(operation: Callable[[], object], threads: int, seconds: float) -> float:
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        barrier.wait()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _ in range(8):
                operation()
            counts[index] += 8

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - start)


def build_abi_bench(directory: Path, source: Path = REPOSITORY / "benches/c/abi_bench.c") -> Path:
    """benches/c/abi_bench.c (or ``source``), built as scripts/bench.sh builds it."""
    binary = directory / source.stem
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            f"-I{REPOSITORY / 'include'}",
            str(source),
            f"-L{REPOSITORY / 'target/release'}",
            f"-Wl,-rpath,{REPOSITORY / 'target/release'}",
            "-llayer_identity",
            "-lpthread",
            "-o",
            str(binary),
        ],
        check=True,
    )
    return binary


ABI_CALLS_SOURCE = Path(__file__).with_name("abi_calls.c")


def abi_rate(binary: Path, mode: str, seconds: float, key: Path, cpus: str = "0") -> float:
    env = dict(os.environ, LD_LIBRARY_PATH=str(REPOSITORY / "target/release"))
    command = [str(binary), mode, str(seconds), str(key)]
    if binary.name == "abi_calls":
        command.insert(1, "rate")
    output = subprocess.run(
        ["taskset", "-c", cpus, *command],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return float(output.split()[1])


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def memory(pem: bytes, loops: int) -> None:
    """RSS across create/sign/verify/close loops: it must level off, not grow with `loops`."""
    samples = []
    for loop in range(1, loops + 1):
        with Signer(pem, PROVIDER_ID, KEY_ID) as signer:
            token = signer.sign("user-42", "nonce", first_name="A", metadata={"k": "v"})
            with Verifier(signer.public_key_pem, PROVIDER_ID, KEY_ID) as verifier:
                verifier.verify(token, nonce="nonce")
        layer_identity.sign_token(pem, PROVIDER_ID, KEY_ID, "user-42", "nonce")
        if loop % (loops // 10) == 0:
            samples.append(rss_kib())
    print(f"RSS over {loops} create/sign/verify/close loops, KiB at each tenth: {samples}")
    print(f"growth over the last 90%: {samples[-1] - samples[0]} KiB")


def loop(mode: str, count: int, pem: bytes) -> None:
    """`count` calls of one operation (run under callgrind by `instructions`)."""
    signer = Signer(pem, PROVIDER_ID, KEY_ID)
    verifier = Verifier(signer.public_key_pem, PROVIDER_ID, KEY_ID)
    token = signer.sign("user-42", "nonce", issued_at=ISSUED_AT)
    lib = _library.lib
    signer_pointer = signer._handle.acquire()
    verifier_pointer = verifier._handle.acquire()
    token_bytes = token.encode()

    def bare_sign() -> None:  # the C call alone, through ctypes, nothing else
        out, error = ctypes.c_void_p(), ctypes.c_void_p()
        lib.layer_signer_sign_n(
            signer_pointer,
            *(b"user-42", 7, b"nonce", 5, ISSUED_AT, 0),
            *(None,) * 6,
            0,
            ctypes.byref(out),
            ctypes.byref(error),
        )
        lib.layer_string_free(out.value)

    buffer = ctypes.create_string_buffer(_library.VERIFY_INTO_BUFFER_BYTES)
    eit, error = ctypes.c_int(), ctypes.c_void_p()
    addresses = [ctypes.addressof(out) for out in (buffer, eit, error)]

    def bare_verify() -> None:
        lib.layer_verifier_verify_into(
            verifier_pointer,
            *(token_bytes, len(token_bytes), b"nonce", 5, ISSUED_AT + 1, 60),
            addresses[0],
            len(buffer),
            *addresses[1:],
        )

    operations: dict[str, Callable[[], object]] = {
        "bare-sign": bare_sign,
        "sign": lambda: signer.sign("user-42", "nonce", issued_at=ISSUED_AT),
        "bare-verify": bare_verify,
        "verify": lambda: verifier.verify(token, nonce="nonce", now=ISSUED_AT + 1),
    }
    operation = operations[mode]
    for _ in range(count):
        operation()


def instructions(count: int, key: Path, only: str | None, json_file: Path | None) -> None:
    """Instructions per call (callgrind: repeatable on a busy machine, unlike time) of the
    package's sign and verify, of the bare C call made through ctypes, and of the C ABI itself
    (abi_calls.c: the same ABI 3 calls, without Python)."""

    def collected(command: list[str]) -> int:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
            capture_output=True,
            text=True,
            check=True,
        )
        match = re.search(r"Collected : (\d+)", result.stderr)
        assert match, result.stderr
        return int(match.group(1))

    def per_call(command: Callable[[int], list[str]], calls: int) -> int:
        # Two runs, `calls` calls apart: start-up costs cancel out.
        return (collected(command(calls + 20)) - collected(command(20))) // calls

    def python_loop(mode: str) -> Callable[[int], list[str]]:
        def command(calls: int) -> list[str]:
            return [sys.executable, __file__, "--key", str(key), "--loop", mode, str(calls)]

        return command

    def c_loop(binary: Path, mode: str) -> Callable[[int], list[str]]:
        def command(calls: int) -> list[str]:
            return [str(binary), "count", mode, str(calls), str(key)]

        return command

    names = (only,) if only else ("sign", "verify")
    per = {}
    with tempfile.TemporaryDirectory() as directory:
        binary = build_abi_bench(Path(directory), ABI_CALLS_SOURCE)
        for name in names:
            # A verification costs a twentieth of a signature: ten times the calls, as make
            # bench gives every other language, so that the interpreter's one-off work (a
            # collection, a resized dict) in one run and not the other stays small per call
            # (20 verifications: 0.81 to 0.99 of the C ABI from run to run; 200: 0.896 to 0.898).
            calls = count * (10 if name == "verify" else 1)
            for mode in ("bare-" + name, name):
                per[mode] = per_call(python_loop(mode), calls)
            c_mode = {"sign": "sign-n"}.get(name, "verify-into")
            per["C " + name] = per_call(c_loop(binary, c_mode), calls)
    for mode, value in per.items():
        print(f"{mode:12} {value:>10,} instructions per call")
    for name in names:
        target = {"sign": 0.95, "verify": 0.85}[name]
        print(f"C ABI / package {name}: {per['C ' + name] / per[name]:.4f} (target >= {target})")
        print(f"bare ctypes call / package {name}: {per['bare-' + name] / per[name]:.4f}")
    if json_file:
        # The C call the package makes, by the name the C ABI's benchmark gives it.
        if "C verify" in per:
            per["C verify_into"] = per.pop("C verify")
        json_file.write_text(json.dumps({"bench": "python", "instructions": per}))


# The names bench/run.py reads, for the rates of one round.
JSON_NAMES = {
    "openssl sign": "openssl sign",
    "openssl verify": "openssl verify",
    "openssl sign multi 2": "openssl sign multi 2",
    "C ABI sign": "C sign",
    "C ABI oneshot": "C oneshot",
    "C ABI verify": "C verify",
    "C ABI verify_into": "C verify_into",
    "C ABI sign 2 threads": "C sign 2 threads",
    "package handle sign": "sign",
    "package one-shot sign": "oneshot",
    "package verify": "verify",
    "package 1 thread (2 cores)": "sign 1 thread 2 cores",
    "package 2 threads (2 cores)": "sign 2 threads",
    "PyJWT sign, loaded key": "peer PyJWT sign",
    "PyJWT sign, PEM text": "peer PyJWT sign pem",
    "PyJWT verify": "peer PyJWT verify",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per subject and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--key", type=Path, default=REPOSITORY / "vectors/keys/rsa2048.pkcs8.pem")
    parser.add_argument(
        "--memory", type=int, metavar="LOOPS", help="measure RSS over LOOPS handle loops instead"
    )
    parser.add_argument(
        "--instructions", type=int, metavar="CALLS", help="count instructions per call instead"
    )
    parser.add_argument(
        "--only", choices=("sign", "verify"), help="with --instructions: count one operation"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--loop", nargs=2, metavar=("MODE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        memory(args.key.read_bytes(), args.memory)
        return
    if args.instructions:
        instructions(args.instructions, args.key, args.only, args.json)
        return
    if args.loop:
        loop(args.loop[0], int(args.loop[1]), args.key.read_bytes())
        return

    pem_bytes = args.key.read_bytes()
    pem_text = pem_bytes.decode("ascii")
    signer = Signer(pem_bytes, PROVIDER_ID, KEY_ID)
    public_pem = signer.public_key_pem
    verifier = Verifier(public_pem, PROVIDER_ID, KEY_ID)
    token = signer.sign("user-42", "nonce", issued_at=ISSUED_AT, ttl=600)
    private_key = serialization.load_pem_private_key(pem_bytes, password=None)
    public_key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert isinstance(public_key, rsa.RSAPublicKey)
    payload = {
        "iss": PROVIDER_ID,
        "prn": "user-42",
        "iat": ISSUED_AT,
        "exp": ISSUED_AT + 600,
        "nce": "nonce",
    }
    headers = {"typ": "JWS", "cty": "layer-eit;v=1", "kid": KEY_ID}
    # Same work on both sides: PyJWT's token (members sorted) passes our verifier, ours PyJWT.
    verifier.verify(
        jwt.encode(payload, private_key, algorithm="RS256", headers=headers),
        nonce="nonce",
        now=ISSUED_AT + 1,
    )
    assert jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_exp": False})

    subjects: dict[str, Callable[[], object]] = {
        "package handle sign": lambda: signer.sign("user-42", "nonce", issued_at=ISSUED_AT),
        "package one-shot sign": lambda: layer_identity.sign_token(
            pem_text, PROVIDER_ID, KEY_ID, "user-42", "nonce", issued_at=ISSUED_AT
        ),
        "package verify": lambda: verifier.verify(token, nonce="nonce", now=ISSUED_AT + 1),
        "PyJWT sign, loaded key": lambda: jwt.encode(
            payload, private_key, algorithm="RS256", headers=headers
        ),
        "PyJWT sign, PEM text": lambda: jwt.encode(
            payload, pem_text, algorithm="RS256", headers=headers
        ),
        "PyJWT verify": lambda: jwt.decode(
            token, public_key, algorithms=["RS256"], options={"verify_exp": False}
        ),
    }
    pyjwt_pem_seconds = min(args.seconds, 1.0)  # ~30/s: a short run is plenty

    with tempfile.TemporaryDirectory() as directory:
        abi_bench = build_abi_bench(Path(directory))
        abi_calls_bench = build_abi_bench(Path(directory), ABI_CALLS_SOURCE)
        print(f"layer_identity {layer_identity.__version__}, library {layer_identity.library_path}")
        openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True)
        print(
            f"{openssl.stdout.strip()}, Python {sys.version.split()[0]}, PyJWT {jwt.__version__}; "
            f"{args.rounds} rounds x {args.seconds} s"
        )
        ratios: dict[str, list[float]] = {}
        all_rates: list[dict[str, float]] = []

        def ratio(name: str, value: float) -> None:
            ratios.setdefault(name, []).append(value)

        for round_number in range(1, args.rounds + 1):
            rates: dict[str, float] = {}
            ossl_sign, ossl_verify = openssl_speed.rsa2048(args.seconds, "0")
            for mode in ("sign", "oneshot", "verify"):
                rates[f"C ABI {mode}"] = abi_rate(abi_bench, mode, args.seconds, args.key)
            rates["C ABI verify_into"] = abi_rate(
                abi_calls_bench, "verify-into", args.seconds, args.key
            )
            os.sched_setaffinity(0, ONE_CORE)
            for name, operation in subjects.items():
                seconds = pyjwt_pem_seconds if name == "PyJWT sign, PEM text" else args.seconds
                rates[name] = rate(operation, seconds)
            os.sched_setaffinity(0, {0, 1})
            sign = subjects["package handle sign"]
            rates["package 1 thread (2 cores)"] = threaded_rate(sign, 1, args.seconds)
            rates["package 2 threads (2 cores)"] = threaded_rate(sign, 2, args.seconds)
            rates["C ABI sign 2 threads"] = abi_rate(
                abi_bench, "sign-threads=2", args.seconds, args.key, "0-1"
            )
            rates["openssl sign multi 2"] = openssl_speed.multi(args.seconds)
            all_rates.append(
                {
                    JSON_NAMES[name]: value
                    for name, value in {
                        **rates,
                        "openssl sign": ossl_sign,
                        "openssl verify": ossl_verify,
                    }.items()
                    if name in JSON_NAMES
                }
            )
            print(
                f"round {round_number}: openssl sign {ossl_sign:.0f}/s "
                f"verify {ossl_verify:.0f}/s | "
                + ", ".join(f"{name} {value:.0f}/s" for name, value in rates.items())
            )

            ratio(
                "package handle sign / C ABI handle sign (>= 0.95)",
                rates["package handle sign"] / rates["C ABI sign"],
            )
            ratio("package handle sign / openssl sign", rates["package handle sign"] / ossl_sign)
            ratio(
                "package one-shot sign / openssl sign (>= 0.90)",
                rates["package one-shot sign"] / ossl_sign,
            )
            ratio(
                "package one-shot sign / C ABI one-shot",
                rates["package one-shot sign"] / rates["C ABI oneshot"],
            )
            ratio(
                "package verify / C ABI verify_into (>= 0.85)",
                rates["package verify"] / rates["C ABI verify_into"],
            )
            ratio("package verify / C ABI verify", rates["package verify"] / rates["C ABI verify"])
            ratio("package verify / openssl verify", rates["package verify"] / ossl_verify)
            ratio(
                "package 2 threads / 1 thread (>= 1.8)",
                rates["package 2 threads (2 cores)"] / rates["package 1 thread (2 cores)"],
            )
            ratio(
                "PyJWT sign, loaded key / openssl sign", rates["PyJWT sign, loaded key"] / ossl_sign
            )
            ratio("PyJWT sign, PEM text / openssl sign", rates["PyJWT sign, PEM text"] / ossl_sign)
            ratio("PyJWT verify / openssl verify", rates["PyJWT verify"] / ossl_verify)
            ratio(
                "package handle sign / PyJWT sign, loaded key",
                rates["package handle sign"] / rates["PyJWT sign, loaded key"],
            )
            ratio(
                "package one-shot / PyJWT sign, PEM text",
                rates["package one-shot sign"] / rates["PyJWT sign, PEM text"],
            )
            ratio("package verify / PyJWT verify", rates["package verify"] / rates["PyJWT verify"])

    if args.json:
        environment = {"python": sys.version.split()[0], "pyjwt": jwt.__version__}
        args.json.write_text(
            json.dumps(
                {
                    "bench": "python",
                    "seconds": args.seconds,
                    "environment": environment,
                    "rounds": all_rates,
                }
            )
        )
    print("\nmedian of per-round ratios:")
    for name, values in ratios.items():
        print(f"  {name:55} {statistics.median(values):8.3f}")
    signer.close()
    verifier.close()


if __name__ == "__main__":
    main()
