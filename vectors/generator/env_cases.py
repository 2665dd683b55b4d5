"""env.json: layer_signer_from_env and the LAYER_* variables, checked against a reference reading
of the variable rules."""

import os

from .common import (
    fail,
    GENERATOR,
    HERE,
    IAT,
    KEY_UUID,
    KID,
    NONCE,
    PASSPHRASE,
    PID,
    PROVIDER_UUID,
    TTL,
    USER)
from .keys import same_key, tolerant_load_private
from .jws import expected_claims, expected_header, make_jws
from .reference import reference_call, valid_id


ENV_VARS = ["LAYER_PROVIDER_ID", "LAYER_KEY_ID", "LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PATH",
            "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE"]
MISSING_KEY_FILE = "keys/does-not-exist.pem"


def env_key_file(env, files):
    """(key file, passphrase it needs) behind a successful case's key variable."""
    v = env.get("LAYER_PRIVATE_KEY") or env.get("LAYER_PRIVATE_KEY_PATH")
    rel = v.get("file_contents") or v["path"]
    encrypted = b"ENCRYPTED" in files[rel]
    return rel, (env.get("LAYER_PRIVATE_KEY_PASSPHRASE") or None) if encrypted else None


def reference_env(env, flags, files):
    """Our reading of the LAYER_* rules: returns (status, fragment, signer) where signer is
    (key text, passphrase, provider id, key id, typ JWT?) on success. An empty value is unset."""
    ARG = "LAYER_ERR_INVALID_ARGUMENT"

    def get(name):
        v = env.get(name)
        if isinstance(v, dict) and "file_contents" in v:
            data = files[v["file_contents"]]
            if b"\x00" in data:
                fail("file_contents %s holds a NUL byte" % v["file_contents"])
            return data.decode("utf-8")
        return v or None  # "" counts as unset; a {"path": ...} stays as it is

    provider_id, key_id = get("LAYER_PROVIDER_ID"), get("LAYER_KEY_ID")
    if provider_id is None or not valid_id(provider_id, "layer:///providers/"):
        return ARG, "layer_provider_id", None
    if key_id is None or not valid_id(key_id, "layer:///keys/"):
        return ARG, "layer_key_id", None
    token_type = get("LAYER_TOKEN_TYPE")
    if token_type is not None and not (token_type.isascii()
                                       and token_type.upper() in ("JWS", "JWT")):
        return ARG, "layer_token_type", None
    typ_jwt = "TYP_JWT" in flags or (token_type or "").upper() == "JWT"
    text, path = get("LAYER_PRIVATE_KEY"), get("LAYER_PRIVATE_KEY_PATH")
    if text is None and path is None:
        return ARG, "layer_private_key", None
    if text is not None and path is not None:
        return ARG, "layer_private_key_path", None
    var = "layer_private_key"
    if path is not None:
        var = "layer_private_key_path"
        if path["path"] not in files:
            if os.path.exists(os.path.join(HERE, path["path"])):
                fail("a path case names a file the generator does not know")
            return ARG, var, None
        text = files[path["path"]].decode("utf-8")
    passphrase = get("LAYER_PRIVATE_KEY_PASSPHRASE")
    if "ENCRYPTED" not in text:
        passphrase = None  # given for an unencrypted key: ignored
    # From here the key is read exactly as layer_signer_new reads its argument.
    status = reference_call("signer_new", {"private_key": text, "passphrase": passphrase,
                                           "provider_id": provider_id, "key_id": key_id,
                                           "flags": flags}, files)
    if status == "LAYER_ERR_WRONG_PASSPHRASE":
        return status, "layer_private_key_passphrase", None
    if status != "LAYER_OK":
        return status, var, None
    return "LAYER_OK", None, (text, passphrase, provider_id, key_id, typ_jwt)


def build_env(files, keys):
    P, K, pw = PID, KID, PASSPHRASE
    cases = []

    def fc(rel):
        return {"file_contents": rel}

    def path(rel):
        return {"path": rel}

    sign = {"user_id": USER, "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL}

    def add(name, description, status, frag=None, flags=(), **env):
        full = {"LAYER_PROVIDER_ID": P, "LAYER_KEY_ID": K,
                "LAYER_PRIVATE_KEY": fc("keys/rsa2048.pkcs8.pem")}
        for k, v in env.items():
            full[k] = v
        full = {k: v for k, v in full.items() if v is not None}  # None: unset
        if set(full) - set(ENV_VARS):
            fail("%s: unknown variable" % name)
        got, got_frag, signer = reference_env(full, list(flags), files)
        if (got, got_frag) != (status, frag):
            fail("%s: reference gives %s/%s, case says %s/%s" % (name, got, got_frag, status,
                                                                   frag))
        token = None
        if signer is not None:
            text, passphrase, provider_id, key_id, typ_jwt = signer
            key = tolerant_load_private(text.encode("utf-8"), passphrase)
            key_rel, _ = env_key_file(full, files)
            if not same_key(key, tolerant_load_private(files[key_rel], passphrase)):
                fail(name + ": the key variable does not hold its file's key")
            header = expected_header(key_id, typ_jwt)
            claims = expected_claims(provider_id, sign["user_id"], sign["issued_at"],
                                     sign["issued_at"] + (sign["ttl_seconds"] or 600),
                                     sign["nonce"], [])
            token = make_jws(header, claims, key)
        cases.append({
            "name": name, "description": description, "env": full, "flags": list(flags),
            "expected_status": status, "message_contains": frag,
            "sign": dict(sign) if token else None, "expected_token": token,
        })

    OK, ARG = "LAYER_OK", "LAYER_ERR_INVALID_ARGUMENT"
    KEY, WEAK, PASS = "LAYER_ERR_INVALID_KEY", "LAYER_ERR_WEAK_KEY", "LAYER_ERR_WRONG_PASSPHRASE"
    enc = "keys/rsa2048.pkcs8.encrypted.pem"

    # ---- success: every way of giving the key
    add("ok-key-text-real-newlines", "LAYER_PRIVATE_KEY holds the PKCS#8 PEM with real newlines",
        OK)
    add("ok-key-text-pkcs1-crlf", "LAYER_PRIVATE_KEY holds the PKCS#1 PEM with CRLF line endings",
        OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs1.crlf.pem"))
    add("ok-key-text-literal-backslash-n", "LAYER_PRIVATE_KEY holds the PEM on one line with "
        "literal \\n escapes instead of newlines", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.escaped.txt"))
    add("ok-key-text-flattened-oneline", "LAYER_PRIVATE_KEY holds the PEM with its line breaks "
        "removed", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.oneline.pem"))
    add("ok-key-text-flattened-spaces", "LAYER_PRIVATE_KEY holds the PEM with its line breaks "
        "turned into spaces", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.spaces.pem"))
    add("ok-key-text-pkcs1-flattened", "LAYER_PRIVATE_KEY holds the PKCS#1 PEM flattened", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs1.oneline.pem"))
    add("ok-key-text-base64-der", "LAYER_PRIVATE_KEY holds base64 of the PKCS#8 DER (no armor)",
        OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.der.b64"))
    add("ok-key-text-padded-whitespace", "LAYER_PRIVATE_KEY holds the PEM with whitespace and "
        "blank lines around it", OK, LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.padded.pem"))
    add("ok-key-path", "LAYER_PRIVATE_KEY_PATH names the PKCS#8 PEM file", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("ok-key-path-pkcs1", "LAYER_PRIVATE_KEY_PATH names the PKCS#1 PEM file", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs1.pem"))
    add("ok-key-path-4096", "LAYER_PRIVATE_KEY_PATH names a 4096-bit key", OK,
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path("keys/rsa4096.pkcs8.pem"))
    add("ok-key-text-empty-path-set", "LAYER_PRIVATE_KEY empty counts as unset: the key comes "
        "from LAYER_PRIVATE_KEY_PATH", OK, LAYER_PRIVATE_KEY="",
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("ok-key-path-empty-text-set", "LAYER_PRIVATE_KEY_PATH empty counts as unset: the key "
        "comes from LAYER_PRIVATE_KEY", OK, LAYER_PRIVATE_KEY_PATH="")
    add("ok-encrypted-key-text-with-passphrase", "encrypted PKCS#8 in LAYER_PRIVATE_KEY with "
        "LAYER_PRIVATE_KEY_PASSPHRASE", OK, LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-encrypted-key-flattened-with-passphrase", "flattened encrypted PKCS#8 in "
        "LAYER_PRIVATE_KEY with its passphrase", OK,
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.encrypted.oneline.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-encrypted-key-path-with-passphrase", "LAYER_PRIVATE_KEY_PATH names an encrypted "
        "3072-bit key, LAYER_PRIVATE_KEY_PASSPHRASE opens it", OK, LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa3072.pkcs8.encrypted.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("ok-passphrase-ignored-for-unencrypted-key", "a passphrase given for an unencrypted key "
        "is ignored", OK, LAYER_PRIVATE_KEY_PASSPHRASE="unused passphrase")
    # ---- success: typ, IDs, flags
    add("ok-token-type-jwt", "LAYER_TOKEN_TYPE=JWT selects typ JWT", OK, LAYER_TOKEN_TYPE="JWT")
    add("ok-token-type-jwt-lowercase", "LAYER_TOKEN_TYPE=jwt (any letter case) selects typ JWT",
        OK, LAYER_TOKEN_TYPE="jwt")
    add("ok-token-type-jwt-mixed-case", "LAYER_TOKEN_TYPE=jWt selects typ JWT", OK,
        LAYER_TOKEN_TYPE="jWt")
    add("ok-token-type-jws", "LAYER_TOKEN_TYPE=JWS: typ JWS", OK, LAYER_TOKEN_TYPE="JWS")
    add("ok-token-type-jws-lowercase", "LAYER_TOKEN_TYPE=jws: typ JWS", OK, LAYER_TOKEN_TYPE="jws")
    add("ok-token-type-empty-means-jws", "LAYER_TOKEN_TYPE empty counts as unset: typ JWS", OK,
        LAYER_TOKEN_TYPE="")
    add("ok-flag-typ-jwt", "the TYP_JWT flag selects typ JWT without LAYER_TOKEN_TYPE", OK,
        flags=["TYP_JWT"])
    add("ok-flag-typ-jwt-overrides-token-type-jws", "flag TYP_JWT and LAYER_TOKEN_TYPE=JWS: "
        "the flag is OR-ed in, typ JWT", OK, flags=["TYP_JWT"], LAYER_TOKEN_TYPE="JWS")
    add("ok-bare-uuid-ids", "bare UUIDs in LAYER_PROVIDER_ID and LAYER_KEY_ID, emitted as given",
        OK, LAYER_PROVIDER_ID=PROVIDER_UUID, LAYER_KEY_ID=KEY_UUID.upper())
    add("ok-1024-bit-key-with-flag", "the legacy 1024-bit key with ALLOW_1024_BIT_KEY", OK,
        flags=["ALLOW_1024_BIT_KEY"], LAYER_PRIVATE_KEY=fc("keys/rsa1024.pkcs8.pem"))
    add("ok-everything-at-once", "path, encrypted key, passphrase, token type jwt and the "
        "1024-bit flag (unused by this 2048-bit key)", OK, flags=["ALLOW_1024_BIT_KEY"],
        LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PATH=path(enc), LAYER_PRIVATE_KEY_PASSPHRASE=pw,
        LAYER_TOKEN_TYPE="jwt")

    # ---- IDs
    add("provider-id-unset", "LAYER_PROVIDER_ID not set", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=None)
    add("provider-id-empty", "LAYER_PROVIDER_ID set to the empty string", ARG,
        "layer_provider_id", LAYER_PROVIDER_ID="")
    add("provider-id-placeholder", "LAYER_PROVIDER_ID=YOUR_PROVIDER_ID", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID="YOUR_PROVIDER_ID")
    add("provider-id-is-key-id", "LAYER_PROVIDER_ID holds the key ID", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=K)
    add("provider-id-trailing-newline", "LAYER_PROVIDER_ID ends with a newline: values are not "
        "trimmed (the provider_id argument's rule)", ARG, "layer_provider_id",
        LAYER_PROVIDER_ID=P + "\n")
    add("key-id-unset", "LAYER_KEY_ID not set", ARG, "layer_key_id", LAYER_KEY_ID=None)
    add("key-id-empty", "LAYER_KEY_ID set to the empty string", ARG, "layer_key_id",
        LAYER_KEY_ID="")
    add("key-id-placeholder", "LAYER_KEY_ID=layer:///keys/<uuid>", ARG, "layer_key_id",
        LAYER_KEY_ID="layer:///keys/<uuid>")
    add("key-id-is-provider-id", "LAYER_KEY_ID holds the provider ID", ARG, "layer_key_id",
        LAYER_KEY_ID=P)
    # ---- token type
    for label, value in (("jose", "JOSE"), ("jwe", "JWE"), ("trailing-space", "JWT "),
                         ("none", "none")):
        add("token-type-" + label, "LAYER_TOKEN_TYPE=%r is neither JWS nor JWT" % value, ARG,
            "layer_token_type", LAYER_TOKEN_TYPE=value)
    # ---- key source
    add("private-key-neither-set", "neither LAYER_PRIVATE_KEY nor LAYER_PRIVATE_KEY_PATH", ARG,
        "layer_private_key", LAYER_PRIVATE_KEY=None)
    add("private-key-both-empty", "LAYER_PRIVATE_KEY and LAYER_PRIVATE_KEY_PATH both empty "
        "(unset)", ARG, "layer_private_key", LAYER_PRIVATE_KEY="", LAYER_PRIVATE_KEY_PATH="")
    add("private-key-passphrase-only", "only LAYER_PRIVATE_KEY_PASSPHRASE, no key", ARG,
        "layer_private_key", LAYER_PRIVATE_KEY=None, LAYER_PRIVATE_KEY_PASSPHRASE=pw)
    add("private-key-and-path-both-set", "LAYER_PRIVATE_KEY and LAYER_PRIVATE_KEY_PATH both set "
        "(even to the same key)", ARG, "layer_private_key_path",
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.pkcs8.pem"))
    add("private-key-path-missing-file", "LAYER_PRIVATE_KEY_PATH names a file that does not "
        "exist", ARG, "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path(MISSING_KEY_FILE))
    # ---- keys that do not load
    add("private-key-garbage", "LAYER_PRIVATE_KEY is not a key", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY="this is not a key")
    add("private-key-public-key", "LAYER_PRIVATE_KEY holds the public key", KEY,
        "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa2048.public.pem"))
    add("private-key-truncated-flattened", "LAYER_PRIVATE_KEY holds a flattened PEM cut in the "
        "middle", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY=files["keys/rsa2048.pkcs8.oneline.pem"].decode()[:900])
    add("private-key-ec", "LAYER_PRIVATE_KEY holds an EC key", KEY, "layer_private_key",
        LAYER_PRIVATE_KEY=fc("keys/ec-p256.pkcs8.pem"))
    add("private-key-exponent-huge", "LAYER_PRIVATE_KEY holds a key with a 300-bit exponent",
        KEY, "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa2048-e-huge.pkcs8.pem"))
    add("private-key-path-public-key", "LAYER_PRIVATE_KEY_PATH names a public key file", KEY,
        "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa2048.public.pem"))
    add("private-key-path-openssh", "LAYER_PRIVATE_KEY_PATH names an OpenSSH private key", KEY,
        "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/ed25519.openssh"))
    add("private-key-1024-bit-without-flag", "the 1024-bit key without ALLOW_1024_BIT_KEY", WEAK,
        "layer_private_key", LAYER_PRIVATE_KEY=fc("keys/rsa1024.pkcs8.pem"))
    add("private-key-path-1024-bit-without-flag", "LAYER_PRIVATE_KEY_PATH names the 1024-bit "
        "key, no flag", WEAK, "layer_private_key_path", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path("keys/rsa1024.pkcs8.pem"))
    add("private-key-512-bit-even-with-flag", "the 512-bit key, even with ALLOW_1024_BIT_KEY",
        WEAK, "layer_private_key", flags=["ALLOW_1024_BIT_KEY"],
        LAYER_PRIVATE_KEY=fc("keys/rsa512.pkcs8.pem"))
    # ---- passphrase
    add("passphrase-missing-for-encrypted-key", "encrypted key in LAYER_PRIVATE_KEY, no "
        "LAYER_PRIVATE_KEY_PASSPHRASE", PASS, "layer_private_key_passphrase",
        LAYER_PRIVATE_KEY=fc(enc))
    add("passphrase-empty-for-encrypted-key", "encrypted key, LAYER_PRIVATE_KEY_PASSPHRASE empty",
        PASS, "layer_private_key_passphrase", LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE="")
    add("passphrase-wrong", "encrypted key, wrong LAYER_PRIVATE_KEY_PASSPHRASE", PASS,
        "layer_private_key_passphrase", LAYER_PRIVATE_KEY=fc(enc),
        LAYER_PRIVATE_KEY_PASSPHRASE="Tr0ub4dor&3")
    add("passphrase-missing-for-encrypted-key-path", "LAYER_PRIVATE_KEY_PATH names an encrypted "
        "key, no passphrase", PASS, "layer_private_key_passphrase", LAYER_PRIVATE_KEY=None,
        LAYER_PRIVATE_KEY_PATH=path(enc))
    add("passphrase-wrong-for-flattened-encrypted-key", "flattened encrypted key, wrong "
        "passphrase", PASS, "layer_private_key_passphrase",
        LAYER_PRIVATE_KEY=fc("keys/rsa2048.pkcs8.encrypted.oneline.pem"),
        LAYER_PRIVATE_KEY_PASSPHRASE=pw.upper())

    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        fail("duplicate env case name")
    if os.path.exists(os.path.join(HERE, MISSING_KEY_FILE)):
        fail("vectors/%s must not exist" % MISSING_KEY_FILE)
    return {
        "description": "layer_signer_from_env(flags) vectors: set exactly the variables in env "
                       "(unset every other LAYER_* variable; a {\"file_contents\": f} value is "
                       "the bytes of vectors/f, a {\"path\": f} value the absolute path of "
                       "vectors/f), call it with flags, and expect expected_status and a message "
                       "containing message_contains (case-insensitively). On LAYER_OK sign with "
                       "sign's inputs (no attributes): the token must equal expected_token.",
        "generator": GENERATOR,
        "cases": cases,
    }
