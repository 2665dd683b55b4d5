#!/usr/bin/env python3
"""The README's snippets for the token service, run for real: the curl call and the PHP code
of "Token service" against `layer-identity serve` with a service token (the PHP one also with
a wrong token, which must raise), and the shell flow of "Layer's authentication calls,
emulated" in a directory with a fresh key pair. Needs curl, jq, php-cli (cli/deps.apt) and a
release build. Prints `readme snippets: N passed, M failed`."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(REPO, "target", "release", "layer-identity")
PROVIDER_ID = f"layer:///providers/{uuid.uuid4()}"
KEY_ID = f"layer:///keys/{uuid.uuid4()}"
SECRET = secrets.token_hex(32)
CONFIG = ("LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
          "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE", "LAYER_PUBLIC_KEY_PATH",
          "LAYER_SERVICE_TOKEN", "HOST", "PORT")


def section(title):
    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 4)
    return text[start:end if end >= 0 else len(text)]


def blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env(**extra):
    base = {k: v for k, v in os.environ.items() if k not in CONFIG}
    base.update(extra)
    return base


def verify(token, public, nonce):
    result = subprocess.run([CLI, "verify", "--provider-id", PROVIDER_ID, "--key-id", KEY_ID,
                             "--public-key", public, "--nonce", nonce, token],
                            capture_output=True, text=True)
    return result.returncode == 0, result.stderr


def main():
    passed, failed = 0, []

    def check(name, problem):
        nonlocal passed
        if problem:
            failed.append(name)
            print(f"FAILED {name}: {problem}")
        else:
            passed += 1
            print(f"ok {name}")

    with tempfile.TemporaryDirectory(prefix="layer-readme-") as work:
        private, public = os.path.join(work, "layer-private.pem"), os.path.join(work, "layer-public.pem")
        subprocess.run([CLI, "keygen", "--private-out", private, "--public-out", public], check=True,
                       capture_output=True)
        port = free_port()
        server = subprocess.Popen([CLI, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env=env(LAYER_PROVIDER_ID=PROVIDER_ID, LAYER_KEY_ID=KEY_ID,
                                          LAYER_PRIVATE_KEY_PATH=private, LAYER_SERVICE_TOKEN=SECRET,
                                          PORT=str(port)))
        try:
            line = server.stdout.readline().decode()
            assert line.startswith("listening on"), line
            url = f"http://127.0.0.1:{port}"
            service = section("Token service")

            curl = [b for b in blocks(service, "sh") if "curl" in b][0].replace("http://127.0.0.1:8080", url)
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", curl], capture_output=True, text=True,
                                    env=env(LAYER_SERVICE_TOKEN=SECRET, NONCE="nonce-curl"))
            try:
                token = json.loads(result.stdout)["identity_token"]
                ok, why = verify(token, public, "nonce-curl")
                check("curl", None if ok else why)
            except (ValueError, KeyError) as failure:
                check("curl", f"{failure}: {result.stdout!r} {result.stderr!r}")

            php = blocks(service, "php")[0]
            program = os.path.join(work, "call.php")
            with open(program, "w", encoding="utf-8") as file:
                file.write("<?php\n$userId = 42;\n$nonce = getenv('NONCE');\n" + php + "\necho $identityToken;\n")
            result = subprocess.run(["php", program], capture_output=True, text=True,
                                    env=env(LAYER_SERVICE_TOKEN=SECRET, LAYER_TOKEN_SERVICE=url, NONCE="nonce-php"))
            ok, why = verify(result.stdout.strip(), public, "nonce-php") if result.returncode == 0 else (False, result.stderr)
            check("php", None if ok else why)
            result = subprocess.run(["php", program], capture_output=True, text=True,
                                    env=env(LAYER_SERVICE_TOKEN="wrong-" + SECRET, LAYER_TOKEN_SERVICE=url,
                                            NONCE="nonce-php"))
            check("php with a wrong service token raises",
                  None if result.returncode != 0 and "token service: authentication required" in
                  (result.stdout + result.stderr) else f"{result.returncode}: {result.stdout} {result.stderr}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

        flow = blocks(section("Layer's authentication calls, emulated"), "sh")[0]
        layer_port, service_port = free_port(), free_port()
        flow = flow.replace("9090", str(layer_port)).replace("8080", str(service_port))
        # The snippet starts both servers in the background; wait for their ports, and stop
        # exactly those two processes afterwards.
        lines = flow.splitlines()
        last_background = max(i for i, l in enumerate(lines) if l.rstrip().endswith("&"))
        wait = (f"for p in {layer_port} {service_port}; do for _ in $(seq 600); do "
                "(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done")
        script = "\n".join(["pids=()"] + [
            line + ("\npids+=($!)" if line.rstrip().endswith("&") else "")
            for line in lines[:last_background + 1]] + [wait] + lines[last_background + 1:] +
            ['status=$?', 'kill "${pids[@]}"', 'wait "${pids[@]}" 2>/dev/null || true', 'exit $status'])
        shell = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=work, start_new_session=True,
                                 env=env(LAYER_PROVIDER_ID=PROVIDER_ID, LAYER_KEY_ID=KEY_ID,
                                         LAYER_PRIVATE_KEY_PATH=private,
                                         PATH=os.path.dirname(CLI) + os.pathsep + os.environ["PATH"]))
        try:
            stdout, stderr = shell.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)  # the session this script started, nothing else
            stdout, stderr = shell.communicate()
        try:
            answer = json.loads(stdout.strip().splitlines()[-1])
            check("the emulated flow", None if isinstance(answer.get("session_token"), str)
                  else f"{answer} {stderr[-500:]}")
        except (ValueError, IndexError) as failure:
            check("the emulated flow", f"{failure}: {stdout!r} {stderr[-800:]!r}")

    print(f"readme snippets: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
