#!/usr/bin/python3
"""HTTP conformance suite of the layer-identity identity-token endpoint.

Against a running server (the endpoint mounted with the demo authenticator):

    tests/endpoint/conformance.py --url http://127.0.0.1:PORT \\
        --public-key public.pem --provider-id layer:///providers/<uuid> --key-id layer:///keys/<uuid>

(--authenticator KIND for an endpoint mounted with another kind of authenticate function,
--pipelining and --chunked for the optional connection checks.)

End to end (key pair, start-up, every case, concurrency, connections, start-up refusals,
SIGTERM):

    tests/endpoint/conformance.py --backend go|ruby|java|node|python

The contract, the format of cases.json and what is checked are in tests/endpoint/README.md.
Python standard library plus Debian's python3-jwt and python3-cryptography.

As a module: load_cases(authenticator=KIND), authenticator_kinds() -> {kind: description},
request_parts(case) -> (method, path, headers, body bytes),
send(host, port, method, path, headers, body) -> Response, and
check_response(case, response, TokenChecker(...)) -> list of problems.
"""

import argparse
import base64
import concurrent.futures
import fnmatch
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import jwt
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
CASES_PATH = os.path.join(HERE, "cases.json")
RUN_BACKEND = os.path.join(REPO_ROOT, "scripts", "run-backend")
LANGUAGES = ("go", "ruby", "java", "node", "python", "serve")

TOKEN_LIFETIME_SECONDS = 600
IAT_TOLERANCE_SECONDS = 5
MAX_ECHO_CHARS = 64
SECRET_WINDOW = 16
REQUEST_TIMEOUT = 10.0
HEAD_BODY_WAIT = 1.0
# How long a request a server may refuse from its head waits for that answer before its body.
HOLD_BODY_WAIT = 1.0
CLOSE_SECONDS = 5.0
SHUTDOWN_SECONDS = 5.0
MAX_BODY_BYTES = 65536
CONFIG_VARIABLES = ("LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY",
                    "LAYER_PRIVATE_KEY_PATH", "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE",
                    "PORT", "HOST")
ATTRIBUTES = ("first_name", "last_name", "display_name", "avatar_url")


# ---------------------------------------------------------------------------------------------
# Cases and requests

def load_document(path=CASES_PATH):
    """cases.json as a whole: its cases, the authenticator kinds ({kind: description}), limits."""
    with open(path, encoding="utf-8") as stored:
        return json.load(stored)


def authenticator_kinds(path=CASES_PATH):
    """{kind: description} of the authenticate functions the cases are written for."""
    return load_document(path)["authenticators"]


def load_cases(path=CASES_PATH, authenticator=None):
    """The cases of cases.json, optionally only those for one authenticator kind ("demo",
    "reject", "none", ...: see authenticator_kinds())."""
    cases = load_document(path)["cases"]
    if authenticator is not None:
        cases = [case for case in cases if case.get("authenticator", "demo") == authenticator]
    return cases


def compact_json(value):
    """Compact JSON, non-ASCII as raw UTF-8 (what the `json` body form means)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def body_bytes(body):
    """The bytes of a case's body object; None means no body (and no Content-Length)."""
    if body is None:
        return None
    if len(body) != 1:
        raise ValueError(f"a body object has exactly one member, not {sorted(body)}")
    kind, value = next(iter(body.items()))
    if kind == "text":
        return value.encode("utf-8")
    if kind == "json":
        return compact_json(value)
    if kind == "form":
        return urllib.parse.urlencode([(name, text) for name, text in value]).encode("ascii")
    if kind == "base64":
        return base64.b64decode(value, validate=True)
    if kind == "repeat":
        text = value.get("prefix", "") + value["text"] * value["count"] + value.get("suffix", "")
        return text.encode("utf-8")
    raise ValueError(f"unknown body kind {kind!r}")


def request_parts(case):
    """(method, path, headers, body) of a case: headers as [(name, value)] in the case's order,
    plus Content-Length when there is a body and the case does not give one itself."""
    request = case["request"]
    headers = [(name, value) for name, value in request.get("headers", [])]
    body = body_bytes(request.get("body"))
    if body is not None and not has_header(headers, "Content-Length"):
        headers.append(("Content-Length", str(len(body))))
    return request["method"], request["path"], headers, body


def has_header(headers, name):
    return any(key.lower() == name.lower() for key, _ in headers)


class Response:
    def __init__(self, method, status, headers, body, after_head=b"", version=11):
        self.method = method
        self.status = status
        self.headers = headers  # [(name, value)] as received
        self.body = body
        self.after_head = after_head  # bytes that followed a HEAD response's headers
        self.version = version  # 10 for HTTP/1.0, 11 for HTTP/1.1

    def values(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def closes_connection(self):
        """Whether the response says the server closes the connection after it: Connection:
        close, or an HTTP/1.0 response without Connection: keep-alive."""
        tokens = {token.strip().lower() for value in self.values("Connection") for token in value.split(",")}
        return "close" in tokens or (self.version == 10 and "keep-alive" not in tokens)

    def describe(self, limit=300):
        interesting = [f"{key}: {value}" for key, value in self.headers
                       if key.lower() in ("content-type", "cache-control", "allow")]
        body = self.body.decode("utf-8", "replace")
        if len(body) > limit:
            body = body[:limit] + f"... ({len(self.body)} bytes)"
        return f"{self.status} [{'; '.join(interesting)}] {body!r}" if body else \
            f"{self.status} [{'; '.join(interesting)}] (no body)"


def send(host, port, method, path, headers, body, timeout=REQUEST_TIMEOUT, hold_body=False):
    """Sends one request exactly as given (header values as UTF-8), on a new connection. Adds
    Host (unless given; for an absolute-form target, its authority) and Connection: close (unless
    given), nothing else. Returns a Response; raises OSError or http.client.HTTPException when
    no response arrives.

    `hold_body`: send the head alone first, and the body only if no answer has come within
    HOLD_BODY_WAIT. For requests a server may refuse from the head (a malformed Content-Length):
    a server that answers and closes with the body unread in its socket makes the kernel reset
    the connection, which can destroy the answer before the client reads it."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_host=has_header(headers, "Host"),
                              skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value.encode("utf-8"))
        if not has_header(headers, "Connection"):
            connection.putheader("Connection", "close")
        sock = None
        try:
            if hold_body and body:
                connection.endheaders()
                answered, _, _ = select.select([connection.sock], [], [], HOLD_BODY_WAIT)
                if not answered:
                    connection.send(body)
            else:
                connection.endheaders(body)
            sock = connection.sock
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (413, 415) and close before it has read the whole body;
            # its response is read below all the same.
            sock = connection.sock
        response = connection.getresponse()
        after_head = b""
        if method == "HEAD":
            after_head = _bytes_after_head(response, sock)
        data = response.read()
        return Response(method, response.status, response.getheaders(), data, after_head,
                        response.version)
    finally:
        connection.close()


def _bytes_after_head(response, sock):
    """Whatever the server sent after a HEAD response's headers (it must send nothing)."""
    if response.fp is None or sock is None:
        return b""
    try:
        sock.settimeout(HEAD_BODY_WAIT)
        return response.fp.read1(65536)
    except (socket.timeout, OSError):
        return b""


# ---------------------------------------------------------------------------------------------
# Checking responses

def b64url_decode(segment):
    """Strict unpadded base64url; None when the segment is not its canonical form."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        return None
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != segment:
        return None
    return data


def _no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate member")
    return dict(pairs)


def load_public_key(pem):
    """A public key from SPKI PEM, or derived from an unencrypted private key PEM."""
    try:
        return serialization.load_pem_public_key(pem)
    except ValueError:
        return serialization.load_pem_private_key(pem, password=None).public_key()


class TokenChecker:
    """Checks a returned identity token: exact header and claims bytes, lifetime, freshness,
    and the RS256 signature (PyJWT) under the expected public key."""

    def __init__(self, public_key_pem, provider_id, key_id, token_type="JWS"):
        self.public_key = load_public_key(public_key_pem)
        self.provider_id = provider_id
        self.header = compact_json({"typ": token_type, "alg": "RS256", "cty": "layer-eit;v=1",
                                    "kid": key_id})

    def check(self, token, expected_claims):
        """Problems with `token`, which must carry exactly `expected_claims` ({"prn", "nce",
        attributes...}) besides iss, iat and exp."""
        now = time.time()
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3:
            return [f"identity_token is not three dot-separated parts: {_short(token)}"]
        header, claims_bytes, signature = (b64url_decode(part) for part in parts)
        if header is None or claims_bytes is None or signature is None:
            return ["identity_token has a part that is not canonical unpadded base64url"]
        problems = []
        if header != self.header:
            problems.append(f"token header {_short(header)}, expected {_short(self.header)}")
        try:
            claims = json.loads(claims_bytes.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except ValueError as failure:
            claims = failure
        if not isinstance(claims, dict):
            return problems + [f"token claims are not a JSON object without duplicates: "
                               f"{_short(claims_bytes)}"]
        iat, exp = claims.get("iat"), claims.get("exp")
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in (iat, exp)):
            return problems + [f"iat/exp are not integers: {_short(claims_bytes)}"]
        if exp - iat != TOKEN_LIFETIME_SECONDS:
            problems.append(f"exp - iat is {exp - iat}, expected {TOKEN_LIFETIME_SECONDS}")
        if abs(iat - now) > IAT_TOLERANCE_SECONDS:
            problems.append(f"iat {iat} is {iat - now:+.0f} s from now (allowed: "
                            f"{IAT_TOLERANCE_SECONDS} s)")
        expected = {"iss": self.provider_id, "prn": expected_claims["prn"], "iat": iat, "exp": exp,
                    "nce": expected_claims["nce"]}
        expected.update((name, expected_claims[name]) for name in ATTRIBUTES if name in expected_claims)
        unknown = set(expected_claims) - set(expected)
        if unknown:
            raise ValueError(f"a case's token names unknown claims {sorted(unknown)}")
        wanted = compact_json(expected)
        if claims_bytes != wanted:
            problems.append(f"token claims differ from the expected ones {_difference(claims_bytes, wanted)}")
        try:
            jwt.decode(token, self.public_key, algorithms=["RS256"], leeway=IAT_TOLERANCE_SECONDS,
                       options={"require": ["iat", "exp"], "verify_aud": False})
        except jwt.InvalidTokenError as failure:
            problems.append(f"PyJWT rejects the token: {type(failure).__name__}: {failure}")
        return problems


def _difference(got, wanted, context=40):
    """Where two byte strings first differ, with some context on each side."""
    at = next((i for i, (a, b) in enumerate(zip(got, wanted)) if a != b), min(len(got), len(wanted)))
    start = max(at - context, 0)
    return (f"at byte {at}: got {_short(got[start:at + context])}, expected "
            f"{_short(wanted[start:at + context])}")


def _short(value, limit=160):
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = repr(text)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from _strings_in(item)


def client_texts(path, body):
    """The texts a client sent, as the server may have decoded them (for the echo check)."""
    texts = [path]
    if body:
        raw = body.decode("utf-8", "replace")
        texts += [raw, urllib.parse.unquote_plus(raw, errors="replace")]
        try:
            texts += list(_strings_in(json.loads(raw)))
        except (ValueError, RecursionError):
            pass
    return texts


def echoed_input(message, texts):
    """A run of more than MAX_ECHO_CHARS characters of client input found in message, or None."""
    span = MAX_ECHO_CHARS + 1
    for start in range(len(message) - span + 1):
        window = message[start:start + span]
        if any(window in text for text in texts):
            return window
    return None


def secret_windows(key_pem):
    """Every SECRET_WINDOW-character run of a PEM key's base64 body (not of its public armor
    lines), with and without the line breaks, as a set."""
    lines = [line.strip() for line in key_pem.replace("\\n", "\n").splitlines()]
    body = [line for line in lines if line and not line.startswith("-----") and ":" not in line]
    windows = set()
    for text in ("".join(body), "\n".join(body), "\\n".join(body)):
        windows.update(text[i:i + SECRET_WINDOW] for i in range(len(text) - SECRET_WINDOW + 1))
    return windows


def leaked_secret(text, windows):
    """Whether `text` contains one of `windows` (a set of SECRET_WINDOW-character strings)."""
    return any(text[i:i + SECRET_WINDOW] in windows for i in range(len(text) - SECRET_WINDOW + 1))


def media_type(value):
    """(lower-case media type, {lower-case parameter: value}) of a Content-Type value."""
    kind, *parameters = value.split(";")
    params = {}
    for parameter in parameters:
        name, _, text = parameter.partition("=")
        params[name.strip().lower()] = text.strip().strip('"')
    return kind.strip().lower(), params


def is_json_object(data):
    try:
        return isinstance(json.loads(data.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def is_contract_error(data):
    """Whether a body is the contract's error shape, {"error": {"code": ..., ...}}: what the
    endpoint answers, as opposed to an HTTP server's own refusal (HTML, text, or its own JSON)."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]


def check_response(case, response, checker, secrets=frozenset()):
    """Problems with `response` to `case` (an empty list when it conforms)."""
    expected = case["expected"]
    problems = []
    if expected.get("server_may_refuse") and response.status == 400 and not is_contract_error(response.body):
        # The HTTP server refused the request's framing before the endpoint saw it, as RFC 9112
        # section 6.3 has it do: 400, then close the connection.
        if not response.closes_connection():
            problems.append("the HTTP server's own 400 (its body is not the contract's error) does "
                            "not close the connection (RFC 9112 section 6.3: respond 400, then close)")
        return problems
    if expected.get("server_may_route") and response.status == 404 and not is_contract_error(response.body):
        # The HTTP server found no handler for a target it normalizes (the JDK's HttpServer
        # reads //identity-token as an empty path): its own 404, never the endpoint's 200.
        return problems
    if response.status != expected["status"]:
        return [f"status {response.status}, expected {expected['status']}"
                + (f" {expected['error_code']}" if expected.get("error_code") else "")]

    cache_control = response.values("Cache-Control")
    directives = {d.strip().lower() for value in cache_control for d in value.split(",")}
    if "no-store" not in directives:
        problems.append(f"Cache-Control {cache_control or 'missing'}, expected no-store")
    if expected.get("allow") is not None:
        allow = response.values("Allow")
        wanted = {m.strip() for m in expected["allow"].split(",")}
        if len(allow) != 1 or {m.strip() for m in allow[0].split(",")} != wanted:
            problems.append(f"Allow {allow or 'missing'}, expected {expected['allow']!r}")

    if expected.get("error_code") == "invalid_request" and not response.closes_connection():
        problems.append("400 without Connection: close to an invalid Content-Length (the request's "
                        "framing is unknown, so the connection cannot be reused)")

    if response.method == "HEAD":
        if response.body or response.after_head:
            problems.append("a response to HEAD carried a body")
        return problems

    content_type = response.values("Content-Type")
    if len(content_type) != 1:
        problems.append(f"Content-Type {content_type or 'missing'}, expected application/json")
    else:
        kind, params = media_type(content_type[0])
        if kind != "application/json" or any(
                name != "charset" or text.lower() != "utf-8" for name, text in params.items()):
            problems.append(f"Content-Type {content_type[0]!r}, expected application/json")
    try:
        document = json.loads(response.body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as failure:
        return problems + [f"the body is not one JSON object: {failure}: {_short(response.body)}"]
    body_text = response.body.decode("utf-8")
    if "PRIVATE KEY" in body_text or (secrets and leaked_secret(body_text, secrets)):
        problems.append("the response contains private key material")

    if expected.get("error_code") is not None:
        error = document.get("error") if isinstance(document, dict) else None
        if (not isinstance(document, dict) or set(document) != {"error"} or not isinstance(error, dict)
                or set(error) != {"code", "message"}
                or not all(isinstance(error[k], str) for k in ("code", "message"))):
            return problems + [f"expected {{\"error\":{{\"code\":...,\"message\":...}}}} and nothing "
                               f"else, got {_short(response.body)}"]
        if error["code"] != expected["error_code"]:
            problems.append(f"error code {error['code']!r}, expected {expected['error_code']!r}")
        message = error["message"]
        if not message:
            problems.append("the error message is empty")
        if "message" in expected and message != expected["message"]:
            problems.append(f"message {message!r}, expected exactly {expected['message']!r}")
        if "message_contains" in expected and expected["message_contains"] not in message:
            problems.append(f"message {_short(message)} does not contain "
                            f"{expected['message_contains']!r}")
        method, path, _, body = request_parts(case)
        echoed = echoed_input(message, client_texts(path, body))
        if echoed is not None:
            problems.append(f"the message echoes more than {MAX_ECHO_CHARS} characters of the "
                            f"request: {_short(echoed, 100)}")
    elif expected.get("token") is not None:
        if not isinstance(document, dict) or set(document) != {"identity_token"} \
                or not isinstance(document["identity_token"], str):
            return problems + [f"expected {{\"identity_token\": \"...\"}} and nothing else, got "
                               f"{_short(response.body)}"]
        problems += checker.check(document["identity_token"], expected["token"])
    elif "json" in expected and document != expected["json"]:
        problems.append(f"body {_short(response.body)}, expected {_short(compact_json(expected['json']))}")
    return problems


def expectation(case):
    expected = case["expected"]
    words = [str(expected["status"])]
    if expected.get("error_code"):
        words.append(expected["error_code"])
    if expected.get("allow"):
        words.append(f"Allow: {expected['allow']}")
    if expected.get("token"):
        words.append("token " + _short(compact_json(expected["token"]), 200))
    if expected.get("message"):
        words.append(f"message {expected['message']!r}")
    elif expected.get("message_contains"):
        words.append(f"message containing {expected['message_contains']!r}")
    if expected.get("server_may_refuse"):
        words.append("or the HTTP server's own 400")
    if expected.get("server_may_route"):
        words.append("or the HTTP server's own 404")
    return ", ".join(words)


# ---------------------------------------------------------------------------------------------
# Reporting

class Report:
    def __init__(self, label, verbose=False):
        self.label = label
        self.verbose = verbose
        self.passed = 0
        self.failed = []

    def result(self, name, problems, request=None, expected=None, got=None):
        if not problems:
            self.passed += 1
            if self.verbose:
                print(f"ok   {name}", flush=True)
            return
        self.failed.append(name)
        lines = [f"FAIL {name}"]
        if request:
            lines.append(f"  request:  {request}")
        if expected:
            lines.append(f"  expected: {expected}")
        if got:
            lines.append(f"  got:      {got}")
        lines += [f"  - {problem}" for problem in problems]
        print("\n".join(lines), flush=True)

    def check(self, name, function, *args):
        """Runs a driver check (a function returning problems) and records its result."""
        try:
            problems = function(*args)
        except Exception as failure:  # a crash of a check is its failure, reported as such
            problems = [f"{type(failure).__name__}: {failure}"]
        self.result(name, problems)

    def finish(self):
        total = self.passed + len(self.failed)
        if self.failed:
            names = ", ".join(self.failed[:10]) + (", ..." if len(self.failed) > 10 else "")
            print(f"endpoint conformance ({self.label}): {len(self.failed)} of {total} cases failed: "
                  f"{names}", flush=True)
            return 1
        print(f"endpoint conformance ({self.label}): {total} cases passed", flush=True)
        return 0


def run_case(host, port, case, checker, secrets=frozenset()):
    """(problems, the response's description) of one case."""
    method, path, headers, body = request_parts(case)
    try:
        response = send(host, port, method, path, headers, body,
                        hold_body=case["expected"].get("server_may_refuse", False))
    except (OSError, http.client.HTTPException) as failure:
        return [f"no response: {type(failure).__name__}: {failure}"], None
    return check_response(case, response, checker, secrets), response.describe()


def run_cases(report, host, port, cases, checker, secrets=frozenset(), exited=lambda wait: None):
    """Runs `cases` in order. `exited(wait)` tells whether the server has gone (a reason, or
    None), waiting up to `wait` seconds for it to finish exiting: the run stops at the first
    case after which it has."""
    for case in cases:
        problems, got = run_case(host, port, case, checker, secrets)
        method, path, _, body = request_parts(case)
        size = "" if body is None else f" ({len(body)} body bytes)"
        shown = path if len(path) <= 80 else path[:80] + "..."
        report.result(case["name"], problems, request=f"{method} {shown}{size}",
                      expected=expectation(case), got=got)
        gone = exited(1.0 if got is None else 0)
        if gone:
            report.result("server_stays_up", [f"the server exited during {case['name']}: {gone}"])
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Concurrency checks (against any server)

def token_case(name, nonce, user_id, headers=(("Content-Type", "application/json"),)):
    return {"name": name, "request": {"method": "POST", "path": "/identity-token",
                                      "headers": [list(h) for h in headers],
                                      "body": {"json": {"nonce": nonce, "user_id": user_id}}},
            "expected": {"status": 200, "error_code": None, "allow": None,
                         "token": {"prn": user_id, "nce": nonce}}}


def invalid_nonce_case(name, user_id):
    return {"name": name, "request": {"method": "POST", "path": "/identity-token",
                                      "headers": [["Content-Type", "application/json"]],
                                      "body": {"json": {"nonce": "", "user_id": user_id}}},
            "expected": {"status": 400, "error_code": "invalid_field", "allow": None, "token": None,
                         "message_contains": "nonce"}}


HEALTH_CASE = {"name": "healthz", "request": {"method": "GET", "path": "/healthz", "headers": []},
               "expected": {"status": 200, "error_code": None, "allow": None, "token": None,
                            "json": {"status": "ok"}}}


def parallel(host, port, cases, checker):
    """Sends `cases` at once (one thread each, released together); problems by case name."""
    barrier = threading.Barrier(len(cases))

    def one(case):
        barrier.wait(timeout=30)
        problems, got = run_case(host, port, case, checker)
        return [f"{case['name']}: {problem} (got {got})" for problem in problems]

    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        return [problem for problems in pool.map(one, cases) for problem in problems]


def check_parallel_tokens(host, port, checker, count=20):
    """`count` requests at once, each with its own nonce and user: each token is its own."""
    run = uuid.uuid4().hex[:8]
    cases = [token_case(f"request {i}", f"parallel-{run}-{i}", f"user-{i}@example.com")
             for i in range(count)]
    return parallel(host, port, cases, checker)


def check_parallel_mixed(host, port, checker, count=20):
    """Valid and invalid requests at once: each gets its own answer."""
    run = uuid.uuid4().hex[:8]
    cases = [token_case(f"request {i}", f"mixed-{run}-{i}", f"mixed-{i}") if i % 2 == 0
             else invalid_nonce_case(f"request {i}", f"mixed-{i}") for i in range(count)]
    return parallel(host, port, cases + [dict(HEALTH_CASE, name="healthz")], checker)


def partial_request(host, port, case, sent):
    """Opens a connection and sends the request of `case` but the last bytes of its body (all
    but `sent` of them stay unsent). Returns (socket, the rest of the body)."""
    method, path, headers, body = request_parts(case)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    sock = socket.create_connection((host, port), timeout=REQUEST_TIMEOUT)
    sock.sendall(head.encode("utf-8") + body[:sent])
    return sock, body[sent:]


def finish_partial_request(sock, rest, case, checker):
    """Sends the rest of a partial request and checks its response."""
    sock.sendall(rest)
    response = http.client.HTTPResponse(sock, method=case["request"]["method"])
    response.begin()
    data = response.read()
    answer = Response(case["request"]["method"], response.status, response.getheaders(), data,
                      version=response.version)
    return [f"{problem} (got {answer.describe()})" for problem in check_response(case, answer, checker)]


def check_stalled_client(host, port, checker):
    """A client that has sent only part of its body does not hold up other requests, and its
    request is answered when the rest arrives."""
    run = uuid.uuid4().hex[:8]
    stalled = token_case("stalled", f"stalled-{run}", "stalled@example.com")
    sock, rest = partial_request(host, port, stalled, 8)
    try:
        time.sleep(0.3)
        problems = []
        for case in (dict(HEALTH_CASE, name="healthz"), token_case("meanwhile", f"meanwhile-{run}", "bob")):
            method, path, headers, body = request_parts(case)
            try:
                response = send(host, port, method, path, headers, body, timeout=5.0)
            except (OSError, http.client.HTTPException) as failure:
                problems.append(f"while another client is stalled mid-body, {method} {path} got no "
                                f"response within 5 s ({type(failure).__name__}): requests must be "
                                "served concurrently")
                continue
            problems += [f"{case['name']}: {p}" for p in check_response(case, response, checker)]
        try:
            problems += [f"stalled request: {p}" for p in finish_partial_request(sock, rest, stalled, checker)]
        except (OSError, http.client.HTTPException) as failure:
            problems.append(f"the stalled request got no response once complete: {failure}")
        return problems
    finally:
        sock.close()


def concurrency_checks(report, host, port, checker):
    report.check("concurrency_20_parallel_tokens", check_parallel_tokens, host, port, checker)
    report.check("concurrency_20_parallel_mixed", check_parallel_mixed, host, port, checker)
    report.check("concurrency_stalled_client", check_stalled_client, host, port, checker)


# ---------------------------------------------------------------------------------------------
# Connection checks (against any server): requests that share a connection, bodies left
# unread, chunked bodies

class RawConnection:
    """One client connection: requests written as raw bytes, responses read one at a time from
    one buffer (so that pipelined responses are not lost between two readers)."""

    def __init__(self, host, port, timeout=REQUEST_TIMEOUT):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def head(self, method, target, headers=()):
        """A request head: the request line, Host, `headers` (values as UTF-8), the empty line."""
        return (f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n").encode("utf-8")

    def write(self, data):
        """Sends `data`; a server that answers and closes before reading it all may make this
        fail, which is not an error here: its response is read all the same."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def read_response(self, method):
        """The next response on the connection, read by its own framing (Content-Length,
        chunked, or up to the close). Raises ConnectionError when the server closes first."""
        while True:
            line = self.reader.readline(65537)
            if not line:
                raise ConnectionError("the server closed the connection without answering")
            match = re.fullmatch(rb"HTTP/1\.([01]) (\d{3})(?: [^\r\n]*)?\r?\n", line)
            if not match:
                raise ValueError(f"not an HTTP/1.x status line: {_short(line)}")
            version, status = 10 + int(match.group(1)), int(match.group(2))
            headers = []
            while True:
                field = self.reader.readline(65537)
                if field in (b"\r\n", b"\n", b""):
                    break
                name, _, value = field.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            if not 100 <= status < 200:
                break
        response = Response(method, status, headers, b"", version=version)
        if method == "HEAD" or status in (204, 304):
            return response
        if any("chunked" in value.lower() for value in response.values("Transfer-Encoding")):
            response.body = self._read_chunked()
        elif response.values("Content-Length"):
            length = int(response.values("Content-Length")[0])
            response.body = self.reader.read(length)
            if len(response.body) != length:
                raise ConnectionError(f"the server closed the connection {len(response.body)} bytes "
                                      f"into a body of {length}")
        else:
            response.body = self.reader.read()
        return response

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self.reader.readline(1024).split(b";")[0].strip() or b"x", 16)
            if size == 0:
                while self.reader.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.reader.read(size)
            self.reader.readline(1024)

    def wait_closed(self, seconds):
        """None when the server closes the connection within `seconds` (sending nothing more);
        otherwise what it did instead."""
        self.sock.settimeout(seconds)
        try:
            data = self.reader.read1(65536)
        except TimeoutError:
            return f"the connection is still open {seconds:.0f} s after the response"
        except ConnectionResetError:
            return None
        if data:
            return f"the server sent more after the response: {_short(data)}"
        return None

    def close(self):
        self.reader.close()
        self.sock.close()


def _expected_error(status, code, name, method="GET", path="/", headers=(), body=None):
    """A case-like dict for check_response."""
    return {"name": name, "request": {"method": method, "path": path, "headers": [list(h) for h in headers],
                                      "body": body},
            "expected": {"status": status, "error_code": code, "allow": None, "token": None}}


def _read_pipelined(connection, requests, checker):
    """Reads one response per (method, case) of `requests`, in order; problems."""
    problems = []
    for index, (method, case) in enumerate(requests, 1):
        what = f"response {index} of {len(requests)} ({method} {case['request']['path']})"
        try:
            response = connection.read_response(method)
        except (OSError, ValueError) as failure:
            return problems + [f"{what}: none ({type(failure).__name__}: {failure}); requests "
                               "written at once on one connection are each answered, in order "
                               "(RFC 9112 section 9.3.2)"]
        problems += [f"{what}: {p} (got {response.describe()})" for p in check_response(case, response, checker)]
        if index < len(requests) and response.closes_connection():
            return problems + [f"{what} closes the connection (Connection: close), so the requests "
                               "behind it go unanswered: a request without a body leaves nothing "
                               "to skip, so keep the connection"]
    return problems


def check_pipelined_healthz(host, port, checker):
    """Two GET /healthz written at once on one connection: two 200 answers, in order."""
    connection = RawConnection(host, port)
    try:
        connection.write(connection.head("GET", "/healthz") * 2)
        return _read_pipelined(connection, [("GET", HEALTH_CASE)] * 2, checker)
    finally:
        connection.close()


def check_404_keeps_connection(host, port, checker):
    """GET of an unknown path, then GET /healthz, written at once on one connection: the 404
    had no body to skip, so it keeps the connection and the health check is answered too."""
    connection = RawConnection(host, port)
    not_found = _expected_error(404, "not_found", "not found", path="/no-such-path")
    try:
        connection.write(connection.head("GET", "/no-such-path") + connection.head("GET", "/healthz"))
        return _read_pipelined(connection, [("GET", not_found), ("GET", HEALTH_CASE)], checker)
    finally:
        connection.close()


def check_unread_body_closes(host, port, checker, case):
    """A request with a body that the endpoint answers without reading it (the client asks
    for nothing about the connection): the answer says Connection: close, the server then
    closes the connection, and the unread body is never taken for another request."""
    method, path, headers, body = request_parts(case)
    connection = RawConnection(host, port)
    try:
        connection.write(connection.head(method, path, headers) + body)
        try:
            response = connection.read_response(method)
        except (OSError, ValueError) as failure:
            return [f"no response: {type(failure).__name__}: {failure}"]
        problems = [f"{p} (got {response.describe()})" for p in check_response(case, response, checker)]
        if not response.closes_connection():
            problems.append(f"{response.status} to a request whose body was not read, without "
                            "Connection: close (the body's bytes would be read as the next request)")
        closed = connection.wait_closed(CLOSE_SECONDS)
        if closed:
            problems.append(closed)
        return problems
    finally:
        connection.close()


def unread_body_cases():
    valid = {"nonce": "unread-" + uuid.uuid4().hex[:8], "user_id": "unread@example.com"}
    return [
        ("connection_unread_body_404_closes",
         _expected_error(404, "not_found", "POST to an unknown path", "POST", "/no-such-path",
                         [("Content-Type", "application/json")], {"json": valid})),
        ("connection_unread_body_415_closes",
         _expected_error(415, "unsupported_media_type", "POST text/plain", "POST", "/identity-token",
                         [("Content-Type", "text/plain")], {"json": valid})),
    ]


def chunked(body, size):
    """`body` in the chunked transfer coding, in chunks of `size` bytes."""
    pieces = [body[at:at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def check_chunked(host, port, checker, case, chunk_size):
    """`case`'s request with its body sent chunked (Transfer-Encoding: chunked, no
    Content-Length) in chunks of `chunk_size` bytes."""
    method, path, headers, body = request_parts(case)
    headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
    headers += [("Transfer-Encoding", "chunked"), ("Connection", "close")]
    connection = RawConnection(host, port)
    try:
        connection.write(connection.head(method, path, headers) + chunked(body, chunk_size))
        try:
            response = connection.read_response(method)
        except (OSError, ValueError) as failure:
            return [f"no response to a chunked request: {type(failure).__name__}: {failure}"]
        return [f"{p} (got {response.describe()})" for p in check_response(case, response, checker)]
    finally:
        connection.close()


def chunked_cases():
    """(name, case, chunk size): a valid body; exactly 65536 decoded bytes in 1000-byte chunks
    (more than 65536 bytes on the wire); 65537 decoded bytes."""
    run = uuid.uuid4().hex[:8]
    valid = token_case("chunked", f"chunked-{run}", "chunked@example.com")
    prefix = '{"nonce":"chunked-%s","user_id":"chunked@example.com","padding":"' % run
    fill = MAX_BODY_BYTES - len(prefix) - 2
    limit = token_case("chunked 65536", f"chunked-{run}", "chunked@example.com")
    limit["request"]["body"] = {"text": prefix + "a" * fill + '"}'}
    over = _expected_error(413, "body_too_large", "chunked 65537", "POST", "/identity-token",
                           [("Content-Type", "application/json")], {"text": prefix + "a" * (fill + 1) + '"}'})
    return [("chunked_valid_body", valid, 16), ("chunked_65536_decoded_bytes", limit, 1000),
            ("chunked_65537_decoded_bytes", over, 1000)]


def connection_checks(report, host, port, checker, pipelining, chunked_bodies):
    """The checks about connections rather than single responses: pipelining (when
    `pipelining`), unread bodies, chunked bodies (when `chunked_bodies`)."""
    if pipelining:
        report.check("connection_pipelined_healthz", check_pipelined_healthz, host, port, checker)
        report.check("connection_404_keeps_connection", check_404_keeps_connection, host, port, checker)
    for name, case in unread_body_cases():
        report.check(name, check_unread_body_closes, host, port, checker, case)
    if chunked_bodies:
        for name, case, size in chunked_cases():
            report.check(name, check_chunked, host, port, checker, case, size)


# ---------------------------------------------------------------------------------------------
# Sample backends: start-up, refusal, shutdown

class Backend:
    """scripts/run-backend <language>, in its own session, with stdout and stderr captured."""

    def __init__(self, language, env, verbose=False):
        self.verbose = verbose
        self.stdout = []
        self.stderr = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen([RUN_BACKEND, language], cwd=REPO_ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, start_new_session=True)
        self.readers = [
            threading.Thread(target=self._read, args=(stream, lines, name), daemon=True)
            for stream, lines, name in ((self.process.stdout, self.stdout, "stdout"),
                                        (self.process.stderr, self.stderr, "stderr"))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, lines, name):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if self.verbose:
                print(f"[backend {name}] {line}", file=sys.stderr, flush=True)
            with self.changed:
                lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for_stdout_line(self, timeout):
        """The first stdout line, or None when the process exits or the time runs out first."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not self.stdout:
                if self.process.poll() is not None and not self.readers[0].is_alive():
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(min(left, 0.2))
            return self.stdout[0]

    def wait_exit(self, timeout):
        """The exit status (negative: killed by that signal), or None if still running."""
        try:
            status = self.process.wait(timeout=max(timeout, 0))
        except subprocess.TimeoutExpired:
            return None
        for reader in self.readers:
            reader.join(timeout=2)
        return status

    def terminate(self):
        os.kill(self.process.pid, signal.SIGTERM)

    def kill(self):
        """Kills whatever is left of the session this Backend started (its leader may be gone
        while a child it did not exec is still running)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()

    def stderr_tail(self, lines=15):
        tail = self.stderr[-lines:]
        return "stderr was empty" if not tail else "stderr ends with:\n" + "\n".join(
            f"      | {line}" for line in tail)


def describe_status(status):
    if status is None:
        return "still running"
    if status == -signal.SIGTERM:
        return ("killed by SIGTERM (handle it and exit 0; scripts/run-backend must exec the "
                "backend so that the signal reaches it)")
    if status < 0:
        return f"killed by signal {signal.Signals(-status).name}"
    return f"exit status {status}"


def after_sigterm(status):
    """Problems with the exit status a backend had SHUTDOWN_SECONDS after SIGTERM."""
    if status == 0:
        return []
    if status is None:
        return [f"still running {SHUTDOWN_SECONDS:.0f} s after SIGTERM (idle keep-alive "
                "connections must not delay the exit)"]
    return [f"{describe_status(status)} after SIGTERM, expected exit status 0"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backend_environment(**config):
    """This process's environment without any configuration variable, plus `config`."""
    env = {name: value for name, value in os.environ.items() if name not in CONFIG_VARIABLES}
    env.update(config)
    return env


class Keys:
    """A fresh RSA key pair made with the openssl CLI, and an encrypted copy of the private key."""

    def __init__(self, directory):
        self.passphrase = "conformance passphrase " + uuid.uuid4().hex
        self.private_path = os.path.join(directory, "private.pem")
        self.public_path = os.path.join(directory, "public.pem")
        self.encrypted_path = os.path.join(directory, "private.encrypted.pem")
        env = dict(os.environ, LAYER_CONFORMANCE_PASSPHRASE=self.passphrase)
        for command in (
                ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", self.private_path],
                ["openssl", "pkey", "-in", self.private_path, "-pubout", "-out", self.public_path],
                ["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", self.private_path,
                 "-passout", "env:LAYER_CONFORMANCE_PASSPHRASE", "-out", self.encrypted_path]):
            subprocess.run(command, check=True, capture_output=True, env=env)
        with open(self.private_path, encoding="ascii") as pem:
            self.private_pem = pem.read()
        with open(self.public_path, "rb") as pem:
            self.public_pem = pem.read()
        with open(self.encrypted_path, encoding="ascii") as pem:
            self.encrypted_pem = pem.read()
        self.secrets = (secret_windows(self.private_pem) | secret_windows(self.encrypted_pem)
                        | secret_windows(self.passphrase))

    def malformed_pem(self):
        """The private key with most of its body cut out: PEM armor intact, DER truncated."""
        lines = self.private_pem.splitlines()
        return "\n".join(lines[:13] + lines[-1:]) + "\n"


LISTENING = "listening on http://127.0.0.1:{port}"


def start_backend(language, env, port, timeout, verbose):
    """(Backend, problems): started and listening, or the reasons it is not."""
    backend = Backend(language, env, verbose)
    line = backend.wait_for_stdout_line(timeout)
    expected = LISTENING.format(port=port)
    if line == expected:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT).close()
            return backend, []
        except OSError as failure:
            problems = [f"it printed {expected!r} but does not accept connections "
                        f"({failure}): print the line once the socket is listening"]
    if line is None:
        status = backend.process.poll()
        problems = [f"no '{expected}' line within {timeout:.0f} s ({describe_status(status)}); "
                    + backend.stderr_tail()]
    elif line != expected:
        problems = [f"the first stdout line is {line!r}, expected {expected!r} (stdout carries only "
                    "that line; build output and logs go to stderr)"]
    backend.kill()
    return None, problems


def check_stdout_and_warning(backend, port):
    problems = []
    expected = LISTENING.format(port=port)
    if backend.stdout != [expected]:
        problems.append(f"stdout was {backend.stdout[:5]!r}, expected exactly one line {expected!r}")
    if not any("WARNING" in line and "user_id" in line for line in backend.stderr):
        problems.append("no start-up warning on stderr that the demo authenticator trusts the "
                        "body's user_id (a line with 'WARNING' and 'user_id')")
    return problems


def check_sigterm(backend, host, port, checker):
    """SIGTERM while a request is in flight: new connections are not served, the request is
    finished, and the process exits with status 0 within 5 s."""
    run = uuid.uuid4().hex[:8]
    in_flight = token_case("in-flight", f"in-flight-{run}", "in-flight@example.com")
    sock, rest = partial_request(host, port, in_flight, 8)
    problems = []
    try:
        time.sleep(0.5)
        signalled = time.monotonic()
        backend.terminate()
        time.sleep(0.5)
        try:
            probe = send(host, port, "GET", "/healthz", [], None, timeout=1.0)
            problems.append(f"a new request 0.5 s after SIGTERM was answered ({probe.status}): stop "
                            "accepting connections first")
        except (OSError, http.client.HTTPException):
            pass
        try:
            problems += [f"in-flight request: {p}" for p in finish_partial_request(sock, rest, in_flight, checker)]
        except (OSError, http.client.HTTPException) as failure:
            problems.append(f"the request in flight at SIGTERM was not finished: "
                            f"{type(failure).__name__}: {failure}")
        # The connection stays open (HTTP/1.1 keep-alive, idle): it must not delay the exit.
        status = backend.wait_exit(signalled + SHUTDOWN_SECONDS - time.monotonic())
    finally:
        sock.close()
    return problems + after_sigterm(status)


def check_refusal(language, env, names, keys, timeout, verbose):
    """The backend refuses to start with `env`: non-zero exit, no listening line, stderr names
    each of `names` (regular expressions) and holds no piece of the private key."""
    backend = Backend(language, env, verbose)
    try:
        status = backend.wait_exit(timeout)
    finally:
        backend.kill()
    problems = []
    if status is None or status == 0:
        problems.append(f"{describe_status(status)}, expected a non-zero exit before listening")
    if any("listening on" in line for line in backend.stdout):
        problems.append("it printed 'listening on'")
    stderr = "\n".join(backend.stderr)
    for name in names:
        if not re.search(name, stderr):
            problems.append(f"stderr does not name {name.split('(')[0]}; " + backend.stderr_tail())
    output = stderr + "\n".join(backend.stdout)
    if leaked_secret(output, keys.secrets):
        problems.append(f"the output contains {SECRET_WINDOW} or more characters of the private key's body")
    return problems


def check_inline_encrypted_key(language, keys, provider_id, key_id, timeout, verbose):
    """LAYER_PRIVATE_KEY with literal \\n escapes, an encrypted key with its passphrase, and
    LAYER_TOKEN_TYPE=JWT: the backend starts and signs with typ JWT."""
    port = free_port()
    env = backend_environment(LAYER_PROVIDER_ID=provider_id, LAYER_KEY_ID=key_id,
                              LAYER_PRIVATE_KEY=keys.encrypted_pem.strip().replace("\n", "\\n"),
                              LAYER_PRIVATE_KEY_PASSPHRASE=keys.passphrase,
                              LAYER_TOKEN_TYPE="JWT", PORT=str(port), HOST="127.0.0.1")
    backend, problems = start_backend(language, env, port, timeout, verbose)
    if backend is None:
        return problems
    try:
        checker = TokenChecker(keys.public_pem, provider_id, key_id, token_type="JWT")
        case = token_case("typ JWT", "jwt-" + uuid.uuid4().hex[:8], "jwt@example.com")
        problems, got = run_case("127.0.0.1", port, case, checker, keys.secrets)
        problems = [f"{p} (got {got})" for p in problems]
        backend.terminate()
        return problems + after_sigterm(backend.wait_exit(SHUTDOWN_SECONDS))
    finally:
        backend.kill()


def run_backend(args):
    language = args.backend
    if not os.access(RUN_BACKEND, os.X_OK):
        print(f"conformance: {RUN_BACKEND} is missing or not executable (it starts the sample "
              "backends: see tests/endpoint/README.md)", file=sys.stderr)
        return 2
    report = Report(language, args.verbose)
    cases = select_cases(args, "demo")
    host = "127.0.0.1"
    with tempfile.TemporaryDirectory(prefix="layer-endpoint-") as directory:
        keys = Keys(directory)
        provider_id = f"layer:///providers/{uuid.uuid4()}"
        key_id = f"layer:///keys/{uuid.uuid4()}"
        port = free_port()
        env = backend_environment(LAYER_PROVIDER_ID=provider_id, LAYER_KEY_ID=key_id,
                                  LAYER_PRIVATE_KEY_PATH=keys.private_path, PORT=str(port), HOST=host)
        backend, problems = start_backend(language, env, port, args.startup_timeout, args.verbose)
        report.result("backend_starts", problems)
        if backend is None:
            return report.finish()
        try:
            checker = TokenChecker(keys.public_pem, provider_id, key_id)

            def exited(wait):
                status = backend.wait_exit(wait)
                return None if status is None else f"{describe_status(status)}; {backend.stderr_tail()}"

            if not run_cases(report, host, port, cases, checker, keys.secrets, exited):
                return report.finish()
            if not args.case:
                concurrency_checks(report, host, port, checker)
                # A sample backend keeps connections alive: pipelining is always checked.
                connection_checks(report, host, port, checker, True, args.chunked)
                report.check("backend_sigterm", check_sigterm, backend, host, port, checker)
        finally:
            backend.kill()
        if args.case:
            return report.finish()
        report.check("backend_stdout_and_warning", check_stdout_and_warning, backend, port)

        timeout = args.startup_timeout
        without_provider = dict(env)
        del without_provider["LAYER_PROVIDER_ID"]
        report.check("backend_refuses_without_provider_id", check_refusal, language,
                     without_provider, [r"LAYER_PROVIDER_ID"], keys, timeout, args.verbose)
        malformed = dict(env, LAYER_PRIVATE_KEY=keys.malformed_pem())
        del malformed["LAYER_PRIVATE_KEY_PATH"]
        report.check("backend_refuses_malformed_key", check_refusal, language, malformed,
                     [r"LAYER_PRIVATE_KEY(?!_)"], keys, timeout, args.verbose)
        both = dict(env, LAYER_PRIVATE_KEY=keys.private_pem)
        report.check("backend_refuses_both_key_variables", check_refusal, language, both,
                     [r"LAYER_PRIVATE_KEY(?!_)", r"LAYER_PRIVATE_KEY_PATH"], keys, timeout, args.verbose)
        report.check("backend_inline_encrypted_key_typ_jwt", check_inline_encrypted_key, language,
                     keys, provider_id, key_id, timeout, args.verbose)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# Command line

def select_cases(args, authenticator):
    cases = load_cases(authenticator=authenticator)
    if args.case:
        cases = [case for case in cases if any(fnmatch.fnmatchcase(case["name"], p) for p in args.case)]
        if not cases:
            raise SystemExit(f"conformance: no case matches {args.case}")
    return cases


def run_url(args):
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise SystemExit("conformance: --url is http://HOST:PORT (no path: the contract's paths "
                         "are /identity-token and /healthz)")
    missing = [flag for flag, value in (("--public-key", args.public_key), ("--provider-id", args.provider_id),
                                        ("--key-id", args.key_id)) if not value]
    if missing:
        raise SystemExit(f"conformance: --url needs {', '.join(missing)} to check the tokens")
    with open(args.public_key, "rb") as pem:
        checker = TokenChecker(pem.read(), args.provider_id, args.key_id, args.token_type)
    host, port = parts.hostname, parts.port or 80
    report = Report(args.url, args.verbose)
    run_cases(report, host, port, select_cases(args, args.authenticator), checker)
    if not args.case and args.authenticator == "demo":
        concurrency_checks(report, host, port, checker)
        connection_checks(report, host, port, checker, args.pipelining, args.chunked)
    return report.finish()


def main(argv):
    parser = argparse.ArgumentParser(description="HTTP conformance suite of the layer-identity "
                                     "endpoint (tests/endpoint/README.md).")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running server, http://HOST:PORT")
    target.add_argument("--backend", choices=LANGUAGES,
                        help="start scripts/run-backend LANGUAGE and test it end to end")
    target.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--public-key",
                        help="(--url) PEM public key (or unencrypted private key) of the server's signer")
    parser.add_argument("--provider-id", help="(--url) the server's LAYER_PROVIDER_ID")
    parser.add_argument("--key-id", help="(--url) the server's LAYER_KEY_ID")
    parser.add_argument("--token-type", choices=("JWS", "JWT"), default="JWS",
                        help="(--url) the typ the server signs with (default JWS)")
    kinds = authenticator_kinds()
    parser.add_argument("--authenticator", choices=sorted(kinds), default="demo",
                        metavar="KIND",
                        help="(--url) the kind of authenticate function the server is mounted with, "
                             "which selects the cases to run: " + ", ".join(kinds)
                             + " (default demo; --list describes them)")
    parser.add_argument("--pipelining", action="store_true",
                        help="(--url, demo) also check pipelined requests on one connection (always "
                             "on with --backend; a correct server that closes every connection after "
                             "one response fails them)")
    parser.add_argument("--chunked", action="store_true",
                        help="(demo) also send chunked request bodies (off by default: not every "
                             "stock server decodes them)")
    parser.add_argument("--startup-timeout", type=float, default=120.0,
                        help="(--backend) seconds to wait for start-up, which may build first "
                             "(default 120)")
    parser.add_argument("--case", action="append", metavar="PATTERN",
                        help="run only the cases whose name matches this glob (repeatable); skips "
                             "the concurrency and process checks")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every passing case and the backend's output")
    args = parser.parse_args(argv)
    if args.list:
        cases = load_cases()
        for case in cases:
            print(f"{case['name']:48} {case.get('authenticator', 'demo'):13} {expectation(case)[:70]}")
        print("\nauthenticator kinds (--authenticator KIND runs that kind's cases):")
        for kind, description in kinds.items():
            count = sum(1 for case in cases if case.get("authenticator", "demo") == kind)
            print(f"  {kind:13} {count:3} cases  {description}")
        return 0
    if args.url:
        return run_url(args)
    if args.authenticator != "demo":
        raise SystemExit("conformance: the sample backends use the demo authenticator; "
                         "--authenticator is for --url")
    return run_backend(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
