#!/usr/bin/env python3
"""`make bench`: every benchmark of the project in one run, then bench/RESULTS.md and
bench/chart.svg (bench/report.py).

    bench/run.py [--quick] [--rounds N] [--seconds S] [--server-seconds S] [--only PART,...]
                 [--servers NAME,...] [--loadgen BINARY]

Parts, in this order (each a benchmark that already exists, asked for --json output):
  c             scripts/bench.sh: `openssl speed rsa2048` (1 process and -multi 2), the C ABI
                (handle sign, one-shot, verify, verify_n, verify_into, 2 threads) and the Rust
                `jsonwebtoken` crate (bench/rust-jwt, two crypto backends)
  go            bindings/go/bench/compare.sh --only sign (golang-jwt)
  ruby          bindings/ruby/bench/bench.rb (ruby-jwt)
  java          bindings/java/bench.sh --only sign (JMH: jjwt, java-jwt)
  node          npm run bench in bindings/node (jsonwebtoken, jose)
  python        bindings/python/bench/bench.py (PyJWT)
  servers       the five sample backends (scripts/run-backend LANGUAGE, started as
                tests/endpoint/conformance.py starts them) and `layer-identity serve`, over HTTP
                keep-alive at 1, 8 and 64 connections for --server-seconds each, driven by
                bench/loadgen (every token verified), beside `openssl speed -multi 2` measured
                before each round
  instructions  instructions per call under callgrind (valgrind): OpenSSL's EVP_PKEY_sign and
                EVP_PKEY_verify (what `openssl speed` times), the C ABI, and the Go, Ruby and
                Python wrappers (Node and Java: JIT-compiled, see RESULTS.md)

Every wrapper benchmark measures `openssl speed` and the C ABI itself in each of its rounds, so
each ratio is taken against a reference measured seconds, not minutes, apart; the report gives
the median of the per-round ratios. One-core figures run pinned to CPU 0 (taskset), two-core
ones on CPUs 0-1. Raw figures go to bench/results.json, logs to target/bench/. A part that fails
is reported as failed (with its log) and the others still run; the exit status is then 1.

Defaults: 3 rounds, 2 s per library measurement, 3 s per server measurement (about 20 minutes
on 2 cores). --quick (1 round, 1 s, fewer callgrind calls) is for development: rough figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "target" / "bench"
KEY = ROOT / "vectors/keys/rsa2048.pkcs8.pem"
PUBLIC_KEY = ROOT / "vectors/keys/rsa2048.public.pem"
PROVIDER_ID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
KEY_ID = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
LIBRARY = ROOT / "target/release/liblayer_identity.so"

PARTS = ["c", "go", "ruby", "java", "node", "python", "servers", "instructions"]
SERVERS = ["serve", "go", "ruby", "java", "node", "python"]
CONNECTIONS = [1, 8, 64]

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests/endpoint"))
import conformance  # type: ignore[import-not-found]  # noqa: E402  (tests/endpoint: backends' start-up)
import report  # noqa: E402  (bench/report.py, beside this file)


class PartFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_logged(command: list[str], log_file: Path, *, cwd: Path = ROOT, env: dict[str, str] | None = None,
               timeout: float = 3600) -> None:
    """Runs `command` with its output appended to `log_file`; PartFailed (with the log's tail)
    when it fails or outlives `timeout`."""
    with log_file.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        try:
            status = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            status = None
    if status != 0:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-25:])
        what = "timed out" if status is None else f"exit status {status}"
        raise PartFailed(f"`{' '.join(command)}` {what}; {log_file.relative_to(ROOT)} ends with:\n{tail}")


def go_command() -> str:
    found = shutil.which("go") or "/usr/local/go/bin/go"
    if not os.path.exists(found):
        raise PartFailed("go is not installed (Go 1.22 or later: /usr/local/go/bin or PATH)")
    return found


def read_json(path: Path) -> Any:
    if not path.exists():
        raise PartFailed(f"the benchmark wrote no {path.relative_to(ROOT)}")
    return json.loads(path.read_text())


# ----------------------------------------------------------------------------------------------
# Library benchmarks: each part runs a wrapper's own benchmark with --json.

def part_c(options: argparse.Namespace, log_file: Path) -> Any:
    out = WORK / "c.json"
    run_logged(["scripts/bench.sh", "--rounds", str(options.rounds), "--seconds", str(options.seconds),
                "--json", str(out), "--no-criterion"], log_file)
    return read_json(out)


def part_go(options: argparse.Namespace, log_file: Path) -> Any:
    out = WORK / "go.json"
    run_logged(["bindings/go/bench/compare.sh", "--only", "sign", "--rounds", str(options.rounds),
                "--seconds", str(options.seconds), "--json", str(out)], log_file)
    return read_json(out)


def part_ruby(options: argparse.Namespace, log_file: Path) -> Any:
    out = WORK / "ruby.json"
    env = dict(os.environ, LAYER_IDENTITY_LIB=str(LIBRARY))
    run_logged(["ruby", "-Ilib", "bench/bench.rb", "--rounds", str(options.rounds), "--seconds",
                str(options.seconds), "--json", str(out)], log_file, cwd=ROOT / "bindings/ruby", env=env)
    return read_json(out)


def part_java(options: argparse.Namespace, log_file: Path) -> Any:
    out = WORK / "java.json"
    run_logged(["bindings/java/bench.sh", "--only", "sign", "--rounds", str(options.rounds), "--seconds",
                str(options.seconds), "--json", str(out)], log_file)
    return read_json(out)


def part_node(options: argparse.Namespace, log_file: Path) -> Any:
    node = ROOT / "bindings/node"
    # Its dev dependencies (the peers) as its lock file pins them, and the addon, as its test.sh
    # makes them.
    installed = node / "node_modules/.package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (node / "package-lock.json").stat().st_mtime:
        run_logged(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], log_file, cwd=node)
    run_logged(["scripts/build-addon.sh"], log_file, cwd=node)
    out = WORK / "node.json"
    run_logged(["npm", "run", "--silent", "bench", "--", "--rounds", str(options.rounds), "--seconds",
                str(options.seconds), "--json", str(out)], log_file, cwd=node)
    return read_json(out)


def python_dev_env(log_file: Path) -> tuple[str, dict[str, str]]:
    """The Python wrapper's dev virtual environment (PyJWT, cryptography) and the environment
    that imports the package from its source against the release library."""
    python = ROOT / "bindings/python"
    with log_file.open("a") as out:
        venv = subprocess.run([str(python / "dev-venv.sh")], stdout=subprocess.PIPE, stderr=out, text=True,
                              check=False)
    if venv.returncode != 0:
        raise PartFailed(f"bindings/python/dev-venv.sh failed; see {log_file.relative_to(ROOT)}")
    env = dict(os.environ, PYTHONPATH=str(python / "src"), LAYER_IDENTITY_LIB=str(LIBRARY))
    return f"{venv.stdout.strip()}/bin/python", env


def part_python(options: argparse.Namespace, log_file: Path) -> Any:
    interpreter, env = python_dev_env(log_file)
    out = WORK / "python.json"
    run_logged([interpreter, "bindings/python/bench/bench.py", "--rounds", str(options.rounds), "--seconds",
                str(options.seconds), "--json", str(out)], log_file, env=env)
    return read_json(out)


# ----------------------------------------------------------------------------------------------
# Servers over HTTP keep-alive

def loadgen_binary(options: argparse.Namespace, log_file: Path) -> Path:
    """bench/loadgen (a package of the repository's Go module), built once."""
    if options.loadgen:
        return Path(options.loadgen).resolve()
    binary = WORK / "loadgen"
    run_logged([go_command(), "build", "-o", str(binary), "./bench/loadgen"], log_file)
    return binary


class Server:
    """scripts/run-backend LANGUAGE, started as tests/endpoint/conformance.py --backend starts it
    (its own session, a free port, the LAYER_* environment), with the vectors' key."""

    def __init__(self, language: str, timeout: float) -> None:
        self.language = language
        self.port = conformance.free_port()
        env = conformance.backend_environment(
            LAYER_PROVIDER_ID=PROVIDER_ID, LAYER_KEY_ID=KEY_ID, LAYER_PRIVATE_KEY_PATH=str(KEY),
            HOST="127.0.0.1", PORT=str(self.port))
        self.backend, problems = conformance.start_backend(language, env, self.port, timeout, False)
        if self.backend is None:
            raise PartFailed(f"scripts/run-backend {language} did not start: {'; '.join(problems)}")
        self.url = f"http://127.0.0.1:{self.port}/identity-token"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to whatever is left of its session."""
        self.backend.terminate()
        self.backend.wait_exit(conformance.SHUTDOWN_SECONDS)
        self.backend.kill()


def openssl_multi(seconds: int) -> float:
    output = subprocess.run(["taskset", "-c", "0-1", "openssl", "speed", "-elapsed", "-multi", "2", "-seconds",
                             str(seconds), "rsa2048"], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("rsa 2048 bits"):
            return float(line.split()[-2])
    raise PartFailed(f"openssl speed -multi 2 printed no rsa 2048 line:\n{output}")


def load(loadgen: Path, url: str, conns: int, seconds: int, out: Path, log_file: Path) -> Any:
    """One bench/loadgen run: `seconds` of keep-alive requests from `conns` workers after a
    warm-up, every token verified. Its JSON report also when some requests failed (exit status
    1): the report counts them."""
    out.unlink(missing_ok=True)
    command = ["taskset", "-c", "0-1", str(loadgen), "--url", url, "--conns", str(conns), "--duration",
               f"{seconds}s", "--warmup", str(max(200, 20 * conns)), "--public-key", str(PUBLIC_KEY),
               "--provider-id", PROVIDER_ID, "--key-id", KEY_ID, "--json", str(out)]
    with log_file.open("a") as log_out:
        log_out.write(f"$ {' '.join(command)}\n")
        log_out.flush()
        status = subprocess.run(command, cwd=ROOT, stdout=log_out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=seconds + 600, check=False).returncode
    if status not in (0, 1) or not out.exists():
        raise PartFailed(f"bench/loadgen exited with status {status}; see {log_file.relative_to(ROOT)}")
    result = read_json(out)
    for field in ("tokens_per_s", "p50_ms", "p99_ms", "requests", "failed"):
        if field not in result:
            raise PartFailed(f"bench/loadgen's JSON has no {field}: {result}")
    return result


def part_servers(options: argparse.Namespace, log_file: Path) -> Any:
    loadgen = loadgen_binary(options, log_file)
    results: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for language in options.servers:
        log(f"  server {language}: starting (scripts/run-backend {language})")
        try:
            # The first start of some backends builds them (Java, Node: minutes).
            server = Server(language, timeout=1200)
        except PartFailed as failure:
            failures[language] = str(failure)
            log(f"  server {language}: FAILED: {failure}")
            continue
        try:
            rounds = []
            for number in range(options.rounds):
                multi = openssl_multi(options.seconds)
                entry: dict[str, Any] = {"openssl sign multi 2": multi, "connections": {}}
                for conns in CONNECTIONS:
                    out = WORK / f"load-{language}-{conns}.json"
                    entry["connections"][str(conns)] = load(loadgen, server.url, conns, options.server_seconds,
                                                            out, log_file)
                rounds.append(entry)
                figures = ", ".join(f"{c}: {r['tokens_per_s']:.0f}/s p50 {r['p50_ms']:.2f} ms"
                                    + (f" ({r['failed']} failed)" if r["failed"] else "")
                                    for c, r in entry["connections"].items())
                log(f"  server {language} round {number + 1}: -multi 2 {multi:.0f}/s | {figures}")
            results[language] = {"rounds": rounds}
            failed = sum(int(c["failed"]) for r in rounds for c in r["connections"].values())
            if failed:
                failures[language] = f"{failed} requests failed (see {log_file.relative_to(ROOT)})"
        except PartFailed as failure:
            failures[language] = str(failure)
            log(f"  server {language}: FAILED: {failure}")
        finally:
            server.stop()
    if failures and not results:
        raise PartFailed("; ".join(f"{name}: {message}" for name, message in failures.items()))
    return {"servers": results, "failed": failures}


# ----------------------------------------------------------------------------------------------
# Instruction counts (callgrind)

def callgrind_total(command: list[str], log_file: Path, *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> int:
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=1800, check=False)
    marker = "Collected : "
    for line in result.stderr.splitlines():
        if marker in line and result.returncode == 0:
            return int(line.split(marker)[1])
    with log_file.open("a") as out:
        out.write(f"$ valgrind --tool=callgrind {' '.join(command)}\n{result.stdout}{result.stderr}")
    raise PartFailed(f"callgrind {' '.join(command)} failed (exit status {result.returncode}); "
                     f"see {log_file.relative_to(ROOT)}")


def per_call(command: Callable[[int], list[str]], calls: int, log_file: Path, **kwargs: Any) -> int:
    """Instructions of one call: two runs `calls` calls apart, so that start-up cancels out."""
    base = 5
    return (callgrind_total(command(calls + base), log_file, **kwargs)
            - callgrind_total(command(base), log_file, **kwargs)) // calls


def part_instructions(options: argparse.Namespace, log_file: Path) -> Any:
    sign_calls, verify_calls = options.instruction_calls, options.instruction_calls * 10
    run_logged(["scripts/bench.sh", "--build-only", "--no-peers"], log_file)
    abi_bench = str(ROOT / "target/release/abi_bench")
    openssl_ops = str(WORK / "openssl_ops")
    run_logged(["gcc", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "benches/c/openssl_ops.c",
                "-lcrypto", "-o", openssl_ops], log_file)
    env = dict(os.environ, LD_LIBRARY_PATH=str(ROOT / "target/release"))
    counts: dict[str, dict[str, int]] = {}
    failures: dict[str, str] = {}
    counts["openssl"] = {
        "sign": per_call(lambda n: [openssl_ops, "sign", str(n), str(KEY)], sign_calls, log_file),
        "verify": per_call(lambda n: [openssl_ops, "verify", str(n), str(KEY)], verify_calls, log_file),
    }

    def abi_count(mode: str) -> Callable[[int], list[str]]:
        return lambda n: [abi_bench, "--count", mode, str(n), str(KEY)]

    counts["c"] = {
        mode: per_call(abi_count(mode), sign_calls if "sign" in mode or mode == "oneshot" else verify_calls,
                       log_file, env=env)
        for mode in ("sign", "sign-n", "oneshot", "verify", "verify-n", "verify-into")
    }
    log(f"  instructions: OpenSSL {counts['openssl']}, C ABI {counts['c']}")

    def go() -> dict[str, int]:
        bench_dir = ROOT / "bindings/go/bench"
        binary = str(WORK / "go-bench.test")
        run_logged(["../dev.sh", "go", "test", "-c", "-o", binary, "."], log_file, cwd=bench_dir)
        # Go's asynchronous preemption (SIGURG) trips callgrind's signal handling.
        go_env = dict(env, GODEBUG="asyncpreemptoff=1")

        def command(pattern: str) -> Callable[[int], list[str]]:
            return lambda n: [binary, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", f"{n}x",
                              "-test.cpu", "1"]

        return {"sign": per_call(command("^BenchmarkSign/layeridentity$"), sign_calls, log_file, cwd=bench_dir,
                                 env=go_env),
                "verify": per_call(command("^BenchmarkVerify/layeridentity$"), verify_calls, log_file,
                                   cwd=bench_dir, env=go_env)}

    def ruby() -> dict[str, int]:
        out = WORK / "ruby-instructions.json"
        run_logged(["ruby", "-Ilib", "bench/bench.rb", "--instructions", str(sign_calls), "--json", str(out)],
                   log_file, cwd=ROOT / "bindings/ruby", env=dict(os.environ, LAYER_IDENTITY_LIB=str(LIBRARY)))
        return dict(read_json(out)["instructions"])

    def python() -> dict[str, int]:
        interpreter, python_env = python_dev_env(log_file)
        out = WORK / "python-instructions.json"
        run_logged([interpreter, "bindings/python/bench/bench.py", "--instructions", str(sign_calls), "--json",
                    str(out)], log_file, env=python_env)
        return dict(read_json(out)["instructions"])

    for name, measure in (("go", go), ("ruby", ruby), ("python", python)):
        try:
            counts[name] = measure()
            log(f"  instructions: {name} {counts[name]}")
        except PartFailed as failure:
            failures[name] = str(failure)
            log(f"  instructions: {name} FAILED: {failure}")
    return {"counts": counts, "calls": {"sign": sign_calls, "verify": verify_calls}, "failed": failures}


# ----------------------------------------------------------------------------------------------

def command_output(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_mib": memory, "kernel": platform.release(),
        "os": command_output(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "load_average_before": list(os.getloadavg()),
        "versions": {
            "openssl": command_output(["openssl", "version"]), "rustc": command_output(["rustc", "--version"]),
            "go": command_output([go_command_or("go"), "version"]), "ruby": command_output(["ruby", "--version"]),
            "java": command_output(["java", "-version"]), "node": command_output(["node", "--version"]),
            "python": command_output(["python3", "--version"]),
        },
    }


def go_command_or(fallback: str) -> str:
    try:
        return go_command()
    except PartFailed:
        return fallback


def commit() -> dict[str, Any]:
    head = command_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip() != ""
    return {"commit": head, "dirty": dirty}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 round x 1 s, fewer requests and calls")
    parser.add_argument("--rounds", type=int, help="rounds of every measurement (default 3; --quick 1)")
    parser.add_argument("--seconds", type=int, help="seconds per library measurement (default 2; --quick 1)")
    parser.add_argument("--server-seconds", type=int,
                        help="seconds per server measurement (default 3; --quick 1)")
    parser.add_argument("--only", help=f"comma-separated parts to run, among {','.join(PARTS)}")
    parser.add_argument("--servers", help=f"comma-separated servers to run, among {','.join(SERVERS)}")
    parser.add_argument("--loadgen", help="a built bench/loadgen binary instead of building bench/loadgen")
    parser.add_argument("--results", type=Path, default=ROOT / "bench",
                        help="where results.json, RESULTS.md and chart.svg go (bench/)")
    options = parser.parse_args()
    options.rounds = options.rounds or (1 if options.quick else 3)
    options.seconds = options.seconds or (1 if options.quick else 2)
    options.server_seconds = options.server_seconds or (1 if options.quick else 3)
    options.instruction_calls = 10 if options.quick else 20
    parts = options.only.split(",") if options.only else PARTS
    options.servers = options.servers.split(",") if options.servers else SERVERS
    for name in parts:
        if name not in PARTS:
            parser.error(f"unknown part {name} (parts: {', '.join(PARTS)})")
    for name in options.servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name} (servers: {', '.join(SERVERS)})")
    parts = [part for part in PARTS if part in parts]

    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **commit(), "machine": machine(), "quick": options.quick, "rounds": options.rounds,
        "seconds": options.seconds, "server_seconds": options.server_seconds, "parts": parts,
    }
    log(f"make bench: {', '.join(parts)}; {options.rounds} round(s) x {options.seconds} s; logs in "
        f"{WORK.relative_to(ROOT)}/")
    log("building the library (make build)")
    build_log = WORK / "build.log"
    build_log.write_text("")
    run_logged(["make", "--no-print-directory", "build"], build_log)

    functions = {"c": part_c, "go": part_go, "ruby": part_ruby, "java": part_java, "node": part_node,
                 "python": part_python, "servers": part_servers, "instructions": part_instructions}
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for part in parts:
        log_file = WORK / f"{part}.log"
        log_file.write_text("")
        begin = time.monotonic()
        log(f"{part}: running (log: {log_file.relative_to(ROOT)})")
        try:
            results[part] = functions[part](options, log_file)
            log(f"{part}: done in {time.monotonic() - begin:.0f} s")
        except PartFailed as failure:
            failed[part] = str(failure)
            log(f"{part}: FAILED after {time.monotonic() - begin:.0f} s: {failure}")
    meta["duration_s"] = round(time.monotonic() - started)
    meta["machine"]["load_average_after"] = list(os.getloadavg())
    data = {"meta": meta, "results": results, "failed": failed}
    options.results.mkdir(parents=True, exist_ok=True)
    (options.results / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    report.write(data, options.results)
    log(f"wrote {options.results.relative_to(ROOT) if options.results.is_relative_to(ROOT) else options.results}"
        f"/RESULTS.md, chart.svg and results.json in {meta['duration_s'] // 60} min {meta['duration_s'] % 60} s")
    for part, message in failed.items():
        print(f"make bench: {part} failed: {message.splitlines()[0]}", file=sys.stderr)
    return 1 if failed or any(r.get("failed") for r in results.values() if isinstance(r, dict)) else 0


if __name__ == "__main__":
    sys.exit(main())
