#!/usr/bin/env python3
"""The seed's whole authentication flow, offline, against Layer's emulated calls:

    1. the client asks Layer for a nonce      POST {emulator}/nonces
    2. it sends the nonce to its backend      POST {backend}/identity-token
    3. the backend answers an identity token
    4. the client exchanges it for a session  POST {emulator}/sessions

for each sample backend (scripts/run-backend <name>) and `layer-identity serve`, each with a
fresh key pair that the emulator registers. Then the same nonce again must be refused with
eit_nonce_not_found. Needs only /usr/bin/python3 and a release build (make build).

    tests/flow/flow.py [BACKEND ...]     (default: go ruby java node python serve)
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(REPO, "target", "release", "layer-identity")
RUN_BACKEND = os.path.join(REPO, "scripts", "run-backend")
BACKENDS = ("go", "ruby", "java", "node", "python", "serve")
APP_ID = "layer:///apps/staging/" + str(uuid.uuid4())
# serve requires it when set; the sample backends ignore the header.
SERVICE_TOKEN = secrets.token_hex(32)
STARTUP_SECONDS = float(os.environ.get("FLOW_STARTUP_TIMEOUT", "300"))
CONFIG = ("LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
          "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE", "LAYER_PUBLIC_KEY_PATH",
          "LAYER_SERVICE_TOKEN", "HOST", "PORT")


class Failed(Exception):
    pass


class Process:
    """A server started in its own session; its first stdout line is `listening on URL`."""

    def __init__(self, argv, env):
        self.output = []
        self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._stdout, daemon=True).start()
        threading.Thread(target=self._stderr, daemon=True).start()

    def _stdout(self):
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            self.ready.set()
        self.ready.set()

    def _stderr(self):
        for raw in iter(self.process.stderr.readline, b""):
            self.output.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def url(self, timeout):
        self.ready.wait(timeout)
        if not self.lines or not self.lines[0].startswith("listening on http://"):
            tail = "\n".join("    | " + line for line in self.output[-15:])
            raise Failed(f"no 'listening on' line (stdout {self.lines[:3]!r}); stderr:\n{tail}")
        return self.lines[0][len("listening on "):]

    def stop(self):
        """SIGTERM, then (if it lingers) SIGKILL to the session this process leads."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url, body=None, headers=None):
    """(status, JSON body) of a POST with a JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def environment(**config):
    env = {name: value for name, value in os.environ.items() if name not in CONFIG}
    env.update(config)
    return env


def flow(backend, directory):
    private, public = (os.path.join(directory, name) for name in ("private.pem", "public.pem"))
    subprocess.run([CLI, "keygen", "--private-out", private, "--public-out", public],
                   check=True, capture_output=True)
    provider_id = f"layer:///providers/{uuid.uuid4()}"
    key_id = f"layer:///keys/{uuid.uuid4()}"
    emulator = Process([CLI, "emulate", "--provider-id", provider_id, "--key", f"{key_id}={public}",
                        "--app-id", APP_ID, "--port", "0"], environment())
    server = Process([RUN_BACKEND, backend], environment(
        LAYER_PROVIDER_ID=provider_id, LAYER_KEY_ID=key_id, LAYER_PRIVATE_KEY_PATH=private,
        LAYER_SERVICE_TOKEN=SERVICE_TOKEN, HOST="127.0.0.1", PORT=str(free_port())))
    try:
        layer = emulator.url(60)
        backend_url = server.url(STARTUP_SECONDS)
        # 1. The client SDK asks Layer for a nonce.
        status, answer = post(layer + "/nonces")
        if status != 201 or not isinstance(answer.get("nonce"), str):
            raise Failed(f"POST /nonces: {status} {answer}")
        nonce = answer["nonce"]
        # 2-3. The app sends it (and its logged-in user) to its backend, which signs.
        user = f"flow-{backend}@example.com"
        status, answer = post(backend_url + "/identity-token", {"user_id": user, "nonce": nonce},
                              {"Authorization": "Bearer " + SERVICE_TOKEN})
        if status != 200 or not isinstance(answer.get("identity_token"), str):
            raise Failed(f"POST {backend_url}/identity-token: {status} {answer}")
        token = answer["identity_token"]
        # 4. The SDK exchanges the token for a session.
        status, answer = post(layer + "/sessions", {"identity_token": token, "app_id": APP_ID})
        if status != 201 or not isinstance(answer.get("session_token"), str):
            raise Failed(f"POST /sessions: {status} {answer}")
        # A nonce is good for one session.
        status, answer = post(layer + "/sessions", {"identity_token": token, "app_id": APP_ID})
        message = (answer or {}).get("message", "")
        if status != 422 or answer.get("id") != "invalid_property" or \
                not message.startswith("eit_nonce_not_found: "):
            raise Failed(f"the nonce used again: {status} {answer}, expected 422 eit_nonce_not_found")
    finally:
        server.stop()
        emulator.stop()


def main(argv):
    backends = argv or list(BACKENDS)
    unknown = [name for name in backends if name not in BACKENDS]
    if unknown:
        print(f"flow: unknown backend {unknown}; the backends are {', '.join(BACKENDS)}",
              file=sys.stderr)
        return 2
    if not os.access(CLI, os.X_OK):
        print(f"flow: {CLI} is missing: run make build first", file=sys.stderr)
        return 2
    failed = []
    for backend in backends:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="layer-flow-") as directory:
            try:
                flow(backend, directory)
                print(f"flow ({backend}): nonce -> backend -> identity token -> session: ok "
                      f"({time.monotonic() - started:.1f} s)", flush=True)
            except (Failed, OSError, subprocess.CalledProcessError) as failure:
                failed.append(backend)
                print(f"flow ({backend}): FAILED: {failure}", flush=True)
    print(f"{len(backends) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
