#!/usr/bin/python3
"""Independent check of tokens minted by layer-identity, with PyJWT (and Python cryptography).

Reads JSON lines {"token": ..., "public_key_pem": ...} on stdin and prints one JSON line per
token: {"ok": true, "header": {...}, "claims": {...}} or {"ok": false, "error": "..."}.
Only the signature and the JWS structure are checked here (times are fixed in the tests, so
exp and iat checks are off); the Rust test compares the decoded header and claims.
"""
import json
import sys

import jwt

for line in sys.stdin:
    request = json.loads(line)
    try:
        claims = jwt.decode(
            request["token"],
            request["public_key_pem"],
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
        header = jwt.get_unverified_header(request["token"])
        print(json.dumps({"ok": True, "header": header, "claims": claims}, ensure_ascii=False))
    except Exception as error:  # any rejection is reported back, not raised
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))
    sys.stdout.flush()
