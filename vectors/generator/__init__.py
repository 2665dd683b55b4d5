"""The independent generator of the shared test vectors (see vectors/generate.py, the entry
point, and vectors/README.md). Only the Python standard library, `cryptography`, PyJWT and the
openssl CLI: never layer-identity itself."""
