"""Constants shared by every part of the generator: paths, the IDs and inputs the cases use,
the limits the library enforces, and the generator's own error type."""

import os


# The vectors/ directory (this package lives in vectors/generator/).
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = "vectors/generate.py (Python cryptography, independent of layer-identity)"
PASSPHRASE = "correct horse battery staple"
# The passphrase of keys/rsa2048.pkcs8.encrypted-non-utf8.pem: "café à la crème" in Latin-1,
# bytes that are not UTF-8 (ABI 3 takes a passphrase as bytes).
NON_UTF8_PASSPHRASE = "caf\u00e9 \u00e0 la cr\u00e8me".encode("latin-1")
CTY = "layer-eit;v=1"
MAX_TOKEN_BYTES = 16384
MS_THRESHOLD = 100_000_000_000
ATTRIBUTE_ORDER = ["first_name", "last_name", "display_name", "avatar_url"]
FLAG_BITS = {"TYP_JWT": 1, "ALLOW_1024_BIT_KEY": 2}

# ---------------------------------------------------------------------------------------------
# IDs used throughout (random-looking v4 UUIDs, plus a v1 one as issued by Layer in 2015).
PROVIDER_UUID = "5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f"
KEY_UUID = "a1b2c3d4-e5f6-4789-8abc-def012345678"
OTHER_PROVIDER_UUID = "0e8f7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
OTHER_KEY_UUID = "b7c6d5e4-f3a2-4190-8e7d-6c5b4a392817"
V1_PROVIDER_UUID = "8d0f3e4c-3e2b-11e5-a5e6-4e4e3c12a2b1"
V1_KEY_UUID = "f26a1b9e-3e2b-11e5-9c2a-f6ad5b0017e3"
PID = "layer:///providers/" + PROVIDER_UUID
KID = "layer:///keys/" + KEY_UUID
OTHER_PID = "layer:///providers/" + OTHER_PROVIDER_UUID
OTHER_KID = "layer:///keys/" + OTHER_KEY_UUID

USER = "alice@example.com"
NONCE = "c2VjcmV0LW5vbmNlLWZyb20tbGF5ZXItc2RrLTAwMDE"
IAT = 1700000000
TTL = 600
EXP = IAT + TTL
NOW = 1700000100

# RFC 7515 Appendix A.2 example (public data; key copied from tests/data).
RFC7515_A2_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbd"
    "s9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZ"
    "RmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs"
    "98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
RFC7515_A2_KEY_SOURCES = [
    os.path.join(HERE, "..", "tests", "data", "rfc7515_a2_public_spki.pem"),
]


class VectorError(Exception):
    pass


def fail(msg):
    raise VectorError(msg)
