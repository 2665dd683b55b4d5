#!/usr/bin/python3
"""Generate the shared layer-identity test vectors, independently of layer-identity.

Usage:
    /usr/bin/python3 vectors/generate.py           # (re)write vectors/*.json and derived key files
    /usr/bin/python3 vectors/generate.py --check   # regenerate in memory; exit 1 if anything differs

Only the Python standard library and `cryptography` are used to produce expected values.
Every expected token (sign.json, env.json, and the accept cases of verify.json) is then
cross-checked with the `openssl` CLI (signature verification, and for sign.json and env.json
also byte-identical re-signing) and with PyJWT (a second, independent JWS implementation).

RSA/EC/Ed25519 keys (including the unusual-exponent ones, and the OpenSSH keys made with
ssh-keygen) are random: they are generated only when missing and then committed.
Everything else is deterministic (RSASSA-PKCS1-v1_5 is deterministic; the single PS256
signature uses a fixed salt computed here), so running this twice gives identical files.

The generator itself is the package vectors/generator/, one module per subject:
    common        paths, IDs, limits, VectorError
    jsonfmt       the JSON string escaper, compact objects, strict parsing, the file dump
    b64           base64url
    keys          the key files and our reading of the key-text forms
    jws           RS256, PS256, the compact JWS, the expected header and claims
    reference     the reference verifier, attributes rules and error rules (self-checks)
    sign_cases    sign.json
    error_cases   errors.json
    verify_cases  verify.json
    env_cases     env.json
    cross_check   openssl CLI and PyJWT cross-checks
    cli           build_all() and the command line
It never imports or calls layer-identity.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generator.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
