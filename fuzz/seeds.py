#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs from the shared vectors and the endpoint cases.

    fuzz/seeds.py OUT_DIR     # OUT_DIR/<target>/<name>, one file per seed

The committed corpus (fuzz/corpus/<target>) is these seeds and what fuzzing found, minimized
by `cargo fuzz cmin` (fuzz/run.sh --cmin); this script is how it started, and `fuzz/run.sh
--seeds` merges the seeds in again when the vectors or cases grow. Each input format is
described at the top of its target (fuzz/fuzz_targets/<target>.rs); this file writes them.
Standard library only, so Debian's /usr/bin/python3 runs it.
"""

import base64
import hashlib
import json
import struct
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "vectors"
VECTORS_NOW = 1_700_000_100


def short(data: bytes) -> bytes:
    assert len(data) < 256, len(data)
    return bytes([len(data)]) + data


def long(data: bytes) -> bytes:
    assert len(data) < 65536, len(data)
    return struct.pack("<H", len(data)) + data


def b64url_decode(text: str):
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None


def cases(name: str):
    return json.loads((VECTORS / f"{name}.json").read_text())["cases"]


def verify_seeds():
    """Every token of verify.json and sign.json, with its case's nonce, time and leeway."""
    for case in cases("verify"):
        nonce = (case["expected_nonce"] or "").encode()
        options = 1 if case["expected_nonce"] is not None else 0
        yield case["name"], (bytes([options]) + struct.pack("<II", case["now"], case["leeway_seconds"])
                             + short(nonce) + case["token"].encode())
    for case in cases("sign"):
        token = case.get("expected_token")
        if token:
            nonce = case["nonce"].encode()
            options, nonce = (1, nonce) if len(nonce) < 256 else (0, b"")
            yield "sign-" + case["name"], (bytes([options]) + struct.pack("<II", VECTORS_NOW, 60)
                                           + short(nonce) + token.encode())


def resigned_seeds():
    """The header and claims of every verification vector whose parts decode."""
    for case in cases("verify"):
        parts = case["token"].split(".")
        if len(parts) != 3:
            continue
        header, claims = b64url_decode(parts[0]), b64url_decode(parts[1])
        if header is None or claims is None or len(header) > 65535:
            continue
        offset = max(-2**31, min(2**31 - 1, case["now"] - VECTORS_NOW))
        yield case["name"], (bytes([2]) + struct.pack("<iH", offset, min(case["leeway_seconds"], 65535))
                             + short(b"") + long(header) + claims)


def keys_seeds():
    """Every vector key, with its passphrase where it has one, and the raw DER of one."""
    passphrase = b"correct horse battery staple"
    latin1 = bytes.fromhex("636166e920e0206c61206372e86d65")
    for path in sorted((VECTORS / "keys").iterdir()):
        key = path.read_bytes()
        flags = 2 if "1024" in path.name else 0
        given = latin1 if "non-utf8" in path.name else passphrase if "encrypted" in path.name else None
        options = 1 if given is not None else 0
        yield path.name, bytes([options]) + struct.pack("<I", flags) + short(given or b"") + key
    der = base64.b64decode((VECTORS / "keys/rsa2048.pkcs8.der.b64").read_text())
    yield "rsa2048.pkcs8.der", bytes([0]) + struct.pack("<I", 0) + short(b"") + der


ENV_VARS = ["LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
            "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE"]


def env_seeds():
    """Every configuration of env.json."""
    for case in cases("env"):
        env = case["env"]
        options = 0
        values = []
        for index, var in enumerate(ENV_VARS):
            value = env.get(var)
            if value is None:
                values.append(b"")
                continue
            options |= 1 << index
            if isinstance(value, str):
                data = value.encode()
                if var == "LAYER_PRIVATE_KEY_PATH" and data:
                    data = bytes([2]) + data  # a name inside the target's directory
            elif "hex" in value:
                data = bytes.fromhex(value["hex"])
            elif "file_contents" in value:
                data = (VECTORS / value["file_contents"]).read_bytes()
            else:
                data = bytes([1]) + value["path"].removeprefix("keys/").encode()  # vectors/keys/<name>
            values.append(data)
        flags = 0
        for flag in case.get("flags", []):
            flags |= {"TYP_JWT": 1, "ALLOW_1024_BIT_KEY": 2}[flag.removeprefix("LAYER_FLAG_")]
        yield case["name"], bytes([options, flags]) + b"".join(long(v) for v in values)


AUTHENTICATORS = ["demo", "demo_wrapped", "reject", "none", "empty", "throws", "integer", "not_a_user_id"]


def body_bytes(body):
    if body is None:
        return None
    if "text" in body:
        return body["text"].encode("utf-8", "surrogatepass")
    if "json" in body:
        try:
            return json.dumps(body["json"], separators=(",", ":"), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return json.dumps(body["json"], separators=(",", ":")).encode()
    if "form" in body:
        return urllib.parse.urlencode([tuple(pair) for pair in body["form"]]).encode()
    if "base64" in body:
        return base64.b64decode(body["base64"])
    repeat = body["repeat"]
    return (repeat.get("prefix", "") + repeat["text"] * repeat["count"] + repeat.get("suffix", "")).encode()


def endpoint_seeds():
    """Every case of tests/endpoint/cases.json."""
    for case in json.loads((ROOT / "tests/endpoint/cases.json").read_text())["cases"]:
        request = case["request"]
        headers = {name.lower(): value.encode() for name, value in request["headers"]}
        body = body_bytes(request["body"])
        content_type = long(headers["content-type"]) if "content-type" in headers else b"\xff\xff"
        if "content-length" in headers:
            content_length = long(headers["content-length"])
        elif body is not None:
            content_length = b"\xfe\xff"  # the body's own length
        else:
            content_length = b"\xff\xff"
        outcome = AUTHENTICATORS.index(case["authenticator"])
        yield case["name"], (bytes([0, outcome]) + short(request["method"].encode())
                             + long(request["path"].encode()) + content_type + content_length
                             + (body or b""))


TARGETS = {"verify": verify_seeds, "resigned": resigned_seeds, "keys": keys_seeds,
           "env": env_seeds, "endpoint": endpoint_seeds}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    for target, seeds in TARGETS.items():
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        count = 0
        for name, data in seeds():
            # libFuzzer names corpus files by their SHA-1; a seed keeps its case's name too.
            (directory / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)
            count += 1
        print(f"{target}: {count} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
