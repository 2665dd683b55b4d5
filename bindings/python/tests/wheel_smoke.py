"""Run by test.sh with the Python of a fresh virtual environment, from a directory outside
the repository, after the wheel was installed there (nothing else is): the package, its own
copy of the native library, signing and verifying.

    python wheel_smoke.py VECTORS_DIR
"""

from __future__ import annotations

import json
import sys
import sysconfig
from pathlib import Path
from typing import Any

import layer_identity
from layer_identity import Signer, Verifier, generate_key_pair, identity_token_app


def main(vectors: Path) -> None:
    site = Path(sysconfig.get_paths()["platlib"]).resolve()
    library = Path(layer_identity.library_path)
    assert library == site / "layer_identity" / "liblayer_identity.so", library
    assert Path(layer_identity.__file__).resolve().is_relative_to(site)
    assert (site / "layer_identity" / "py.typed").is_file()
    assert layer_identity.library_version() == layer_identity.__version__

    # A signing vector, byte for byte.
    case = json.loads((vectors / "sign.json").read_text("utf-8"))["cases"][0]
    key = (vectors / case["private_key_file"]).read_bytes()
    with Signer(key, case["provider_id"], case["key_id"]) as signer:
        token = signer.sign(case["user_id"], case["nonce"], issued_at=case["issued_at"])
    assert token == case["expected_token"], token

    # A fresh key pair: sign, verify, and the endpoint's health check.
    pair = generate_key_pair()
    provider, key_id = case["provider_id"], case["key_id"]
    with Signer(pair.private_key_pem, provider, key_id) as signer:
        token = signer.sign("alice@example.com", "nonce-1", first_name="Alice")
        with Verifier(pair.public_key_pem, provider, key_id) as verifier:
            claims = verifier.verify(token, nonce="nonce-1")
        assert (claims.user_id, claims.first_name) == ("alice@example.com", "Alice")
        app = identity_token_app(signer, lambda environ, fields: "alice")
        answers: list[str] = []
        environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz"}
        body = app(
            environ,
            lambda status, headers, *_: answers.append(status),  # type: ignore[arg-type]
        )
        assert answers == ["200 OK"]
        assert b"".join(body) == b'{"status":"ok"}'
    print(f"wheel smoke test: layer_identity {layer_identity.__version__} from {library}: ok")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
