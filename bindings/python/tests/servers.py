"""Real servers for the adapters' tests: gunicorn and uvicorn started as processes on a free
loopback port, and the contract's cases sent to them over HTTP by tests/endpoint/conformance.py
(each case to the mount point of its kind of authenticate)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import conformance

from .conftest import PYTHON_PACKAGE, VECTORS, configuration

PUBLIC_KEY = VECTORS / "keys" / "rsa2048.public.pem"
CASES = conformance.load_cases()


def environment(**extra: str) -> dict[str, str]:
    """The tests' environment, configured for the test key, with this package's tests
    importable (``tests.apps``), and without another LAYER_* configuration."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LAYER_")}
    if "LAYER_IDENTITY_LIB" in os.environ:  # a run from the source tree
        env["LAYER_IDENTITY_LIB"] = os.environ["LAYER_IDENTITY_LIB"]
    paths = [str(PYTHON_PACKAGE), env.get("PYTHONPATH", "")]
    env.update(configuration(PYTHONPATH=os.pathsep.join(path for path in paths if path), **extra))
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def gunicorn(app: str, port: int) -> list[str]:
    """gunicorn with threads (gthread), as a WSGI application is deployed."""
    return [
        *(sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "8"),
        *("--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", app),
    ]


def uvicorn(app: str, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "warning", app),
    ]


class Server:
    """A server process on 127.0.0.1:``port``, its output kept for a failure's message."""

    def __init__(self, argv: list[str], port: int, process: subprocess.Popen[bytes], log: Any):
        self.argv, self.port, self.process, self._log = argv, port, process, log

    def output(self) -> str:
        self._log.seek(0)
        text: str = self._log.read().decode("utf-8", "replace")
        return text


@contextmanager
def serve(command: Callable[[str, int], list[str]], app: str, **env: str) -> Iterator[Server]:
    port = free_port()
    argv = command(app, port)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            argv, cwd=PYTHON_PACKAGE, env=environment(**env), stdout=log, stderr=log
        )
        server = Server(argv, port, process, log)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"{argv} exited:\n{server.output()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"{argv} is not listening:\n{server.output()}"
                        ) from None
                    time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def mounted(target: str, prefix: str) -> str:
    """A case's request target below ``prefix``: origin form or absolute form."""
    if target.startswith("/"):
        return prefix + target
    scheme, rest = target.split("://", 1)
    authority, _, path = rest.partition("/")
    return f"{scheme}://{authority}{prefix}/{path}"


def send_case(port: int, case: dict[str, Any], prefix: str) -> Any:
    method, path, headers, body = conformance.request_parts(case)
    return conformance.send("127.0.0.1", port, method, mounted(path, prefix), headers, body)


def check_case(server: Server, case: dict[str, Any], prefix: str, checker: Any) -> None:
    response = send_case(server.port, case, prefix)
    problems = conformance.check_response(case, response, checker)
    assert problems == [], (
        f"{case['name']} at {prefix}: {case['description']}\n"
        f"got {response.describe()}\n{problems}\n{server.output()[-3000:]}"
    )


def case_ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


__all__ = [
    "CASES",
    "PUBLIC_KEY",
    "Server",
    "case_ids",
    "check_case",
    "gunicorn",
    "mounted",
    "send_case",
    "serve",
    "uvicorn",
]
