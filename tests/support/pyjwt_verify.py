#!/usr/bin/python3
"""Independent check of tokens minted by layer-identity, with PyJWT (and Python cryptography).

Default mode (the Rust tests): reads JSON lines {"token": ..., "public_key_pem": ...} on stdin
and prints one JSON line per token: {"ok": true, "header": {...}, "claims": {...}} or
{"ok": false, "error": "..."}; the caller compares the decoded header and claims.

--tsv FILE (the C tests): reads lines "token<TAB>public key PEM with '|' for newlines", prints
a one-line summary, and exits 1 if PyJWT rejects any token.

Only the signature and the JWS structure are checked (the tests use fixed times, so exp and
iat checks are off).
"""
import json
import sys

import jwt

OPTIONS = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False}


def check(token, public_key_pem):
    try:
        claims = jwt.decode(token, public_key_pem, algorithms=["RS256"], options=OPTIONS)
        return {"ok": True, "header": jwt.get_unverified_header(token), "claims": claims}
    except Exception as error:  # any rejection is reported back, not raised
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def main(argv):
    if len(argv) == 3 and argv[1] == "--tsv":
        checked = 0
        with open(argv[2], encoding="utf-8") as lines:
            for line in lines:
                token, pem = line.rstrip("\n").split("\t")
                answer = check(token, pem.replace("|", "\n"))
                if not answer["ok"]:
                    print(f"PyJWT rejects {token}: {answer['error']}", file=sys.stderr)
                    return 1
                checked += 1
        print(f"PyJWT: {checked} tokens verified")
        return 0
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(check(request["token"], request["public_key_pem"]), ensure_ascii=False))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
