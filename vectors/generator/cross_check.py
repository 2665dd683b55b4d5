"""Independent cross-checks of the expected tokens and keys: the openssl CLI (verify, byte-identical
re-signing, key reads) and PyJWT (a second JWS implementation)."""

import base64
import json
import os
import re
import subprocess
import tempfile

from cryptography.hazmat.primitives import serialization

from .common import fail, NON_UTF8_PASSPHRASE, PASSPHRASE, RFC7515_A2_TOKEN
from .b64 import b64u, b64u_decode_strict
from .keys import key_text_form, public_pem_of
from .env_cases import env_key_file
from .reference import passphrase_bytes


def openssl(args, **kw):
    return subprocess.run(["openssl"] + args, capture_output=True, **kw)


def cross_check(files, sign_doc, verify_doc, env_doc, errors_doc):
    import jwt  # PyJWT (python3-jwt); a second JWS implementation

    counts = {"openssl_verify": 0, "openssl_resign": 0, "pyjwt": 0, "openssl_keys": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in files.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)

        def check_token(name, token, key_file, passphrase=None):
            pub_pem = public_pem_of(files[key_file], passphrase)
            pub_path = os.path.join(tmp, "pub.pem")
            with open(pub_path, "wb") as f:
                f.write(pub_pem)
            signing_input, sig_b64 = token.rsplit(".", 1)
            with open(os.path.join(tmp, "input.bin"), "wb") as f:
                f.write(signing_input.encode("ascii"))
            with open(os.path.join(tmp, "sig.bin"), "wb") as f:
                f.write(b64u_decode_strict(sig_b64))
            r = openssl(["dgst", "-sha256", "-verify", pub_path, "-signature",
                         os.path.join(tmp, "sig.bin"), os.path.join(tmp, "input.bin")])
            if r.returncode != 0 or b"Verified OK" not in r.stdout:
                fail("openssl does not verify %s: %s %s" % (name, r.stdout, r.stderr))
            counts["openssl_verify"] += 1
            # verify_aud off too: one accept case carries an unknown "aud" claim, which the
            # Layer policy ignores (RFC 7519 section 4) but PyJWT would check by default.
            try:
                payload = jwt.decode(token, pub_pem, algorithms=["RS256"],
                                     options={"verify_exp": False, "verify_iat": False,
                                              "verify_nbf": False, "verify_aud": False})
            except jwt.PyJWTError as e:
                fail("PyJWT rejects %s: %r" % (name, e))
            expected = json.loads(b64u_decode_strict(token.split(".")[1]))
            if payload != expected:
                fail("PyJWT payload differs for " + name)
            counts["pyjwt"] += 1

        def passin(passphrase):
            """openssl's -passin for a passphrase (str or bytes, maybe not UTF-8): from a
            file, so that the bytes reach openssl as they are."""
            path = os.path.join(tmp, "passphrase.txt")
            with open(path, "wb") as f:
                f.write(passphrase_bytes(passphrase) + b"\n")
            return ["-passin", "file:" + path]

        def check_signed(name, token, key_rel, passphrase):
            """check_token, and openssl re-signs with the key file itself: the signature must
            be byte-identical. passphrase: None, a str, or {"hex": ...} bytes."""
            passphrase = passphrase_bytes(passphrase)
            check_token(name, token, key_rel, passphrase)
            key_path = os.path.join(tmp, key_rel)
            extra = []
            if key_rel.endswith(".der.b64"):
                key_path = os.path.join(tmp, "key.der")
                with open(key_path, "wb") as f:
                    f.write(base64.b64decode(files[key_rel]))
                extra = ["-keyform", "DER"]
            elif key_rel.endswith(".padded.pem"):
                # openssl's PEM reader needs "-----BEGIN" at the start of a line: it rejects this
                # form as stored, so the library must trim surrounding whitespace itself.
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(files[key_rel].strip() + b"\n")
            elif key_rel.endswith(".escaped.txt"):
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(files[key_rel].replace(b"\\n", b"\n"))
            elif key_rel.endswith((".oneline.pem", ".spaces.pem")):
                # openssl refuses flattened PEM as stored (checked below): give it the block
                # with its line breaks re-inserted.
                key_path = os.path.join(tmp, "key.pem")
                with open(key_path, "wb") as f:
                    f.write(key_text_form(files[key_rel])[1])
            if passphrase is not None:
                extra += passin(passphrase)
            r = openssl(["dgst", "-sha256", "-sign", key_path] + extra
                        + [os.path.join(tmp, "input.bin")])
            if r.returncode != 0:
                fail("openssl cannot sign with %s: %s" % (key_rel, r.stderr))
            if b64u(r.stdout) != token.rsplit(".", 1)[1]:
                fail("openssl signature differs for " + name)
            counts["openssl_resign"] += 1

        for c in sign_doc["cases"]:
            check_signed(c["name"], c["expected_token"], c["private_key_file"], c["passphrase"])
            if json.loads(c["expected_header_json"]) != jwt.get_unverified_header(
                    c["expected_token"]):
                fail("PyJWT header differs for " + c["name"])
        for c in env_doc["cases"]:
            if c["expected_status"] == "LAYER_OK":
                key_rel, passphrase = env_key_file(c["env"], files)
                check_signed(c["name"], c["expected_token"], key_rel, passphrase)
        for c in verify_doc["cases"]:
            if c["expected_status"] == "LAYER_OK":
                check_token(c["name"], c["token"], c["key_file"])
        # The valid token that errors.json's verifier_verify cases spoil one argument around.
        tokens = {c["args"]["token"] for c in errors_doc["cases"]
                  if c["call"] == "verifier_verify" and isinstance(c["args"]["token"], str)
                  and "\x00" not in c["args"]["token"]}
        if len(tokens) != 1:
            fail("verifier_verify error cases: expected one base token")
        check_token("errors.json verifier_verify", tokens.pop(),
                    "keys/rsa2048.public.pem")
        # The copied RFC 7515 A.2 key verifies the RFC's own token.
        check_token("rfc7515-a2", RFC7515_A2_TOKEN, "keys/rfc7515-a2.public.pem")
        # openssl reads the intended exponent from every exponent key, and finds the private
        # ones consistent (primes, d, CRT values).
        for rel in files:
            if not re.fullmatch(r"keys/rsa2048-e[^.]*\.(public|pkcs8)\.pem", rel):
                continue
            pub = rel.endswith(".public.pem")
            r = openssl(["rsa", "-noout", "-text", "-in", os.path.join(tmp, rel)]
                        + (["-pubin"] if pub else []))
            text = r.stdout.decode()
            m = re.search(r"^(?:publicE|E)xponent: *"
                          r"(?:(\d+) \(0x[0-9a-f]+\)|\n((?: +[0-9a-f:]+\n)+))", text, re.M)
            if r.returncode != 0 or not m:
                fail("openssl cannot read the exponent of " + rel)
            e = int(m.group(1)) if m.group(1) else int(re.sub(r"[\s:]", "", m.group(2)), 16)
            want = serialization.load_pem_public_key(public_pem_of(files[rel])).public_numbers().e
            if e != want:
                fail("openssl reads another exponent from " + rel)
            counts["openssl_keys"] += 1
            if not pub:
                r = openssl(["pkey", "-check", "-noout", "-in", os.path.join(tmp, rel)])
                if r.returncode != 0 or b"Key is valid" not in r.stdout:
                    fail("openssl finds %s inconsistent: %s" % (rel, r.stderr))
        # openssl refuses the flattened forms as stored, and reads them once re-wrapped.
        for rel in files:
            if rel.endswith((".oneline.pem", ".spaces.pem")):
                args = ["pkey", "-noout"] + (["-pubin"] if ".public." in rel else []) + (
                    ["-passin", "pass:" + PASSPHRASE] if ".encrypted." in rel else [])
                if openssl(args + ["-in", os.path.join(tmp, rel)]).returncode == 0:
                    fail("openssl reads the flattened %s as stored: README says it does not"
                         % rel)
                path = os.path.join(tmp, "rewrapped.pem")
                with open(path, "wb") as f:
                    f.write(key_text_form(files[rel])[1])
                if openssl(args + ["-in", path]).returncode != 0:
                    fail("openssl cannot read %s re-wrapped" % rel)
                counts["openssl_keys"] += 1
        # Encrypted keys open with the passphrase in openssl too.
        for rel in files:
            if rel.endswith(".encrypted.pem"):
                r = openssl(["pkey", "-in", os.path.join(tmp, rel), "-passin",
                             "pass:" + PASSPHRASE, "-noout"])
                if r.returncode != 0:
                    fail("openssl cannot decrypt " + rel)
        # The key whose passphrase is not UTF-8 opens with those bytes in openssl, and not with
        # the UTF-8 encoding of the same text.
        rel = "keys/rsa2048.pkcs8.encrypted-non-utf8.pem"
        for passphrase, ok in ((NON_UTF8_PASSPHRASE, True),
                               (NON_UTF8_PASSPHRASE.decode("latin-1"), False)):
            r = openssl(["pkey", "-in", os.path.join(tmp, rel), "-noout"] + passin(passphrase))
            if (r.returncode == 0) != ok:
                fail("openssl %s %s with %r" % ("cannot decrypt" if ok else "decrypts", rel,
                                                passphrase))
        counts["openssl_keys"] += 1
    return counts
