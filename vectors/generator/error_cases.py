"""errors.json: bad input to the constructor and signing calls, each case with exactly one
fault, checked against the reference error rules."""

from .common import (
    ATTRIBUTE_ORDER,
    fail,
    GENERATOR,
    IAT,
    KEY_UUID,
    KID,
    MS_THRESHOLD,
    NON_UTF8_PASSPHRASE,
    NONCE,
    NOW,
    OTHER_PROVIDER_UUID,
    PASSPHRASE,
    PID,
    PROVIDER_UUID,
    TTL,
    USER)
from .jsonfmt import hexarg
from .jws import expected_claims, expected_header, make_jws
from .reference import attributes_problem, reference_call, reference_call_n, U32_MAX
from .sign_cases import sign_case_specs


def build_errors(files, keys):
    P, K = PID, KID
    cases = []
    okey = "keys/rsa2048.pkcs8.pem"
    signer = {"private_key_file": okey, "passphrase": None, "provider_id": P, "key_id": K,
              "flags": []}
    pem = files[okey].decode("ascii")
    truncated_pem = pem[: len(pem) // 2]
    pub_pem = files["keys/rsa2048.public.pem"].decode("ascii")
    bad_armor = "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n"
    bad_uuid_provider = [
        ("short-uuid", "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5"),
        ("non-hex-uuid", "layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4ezz"),
        ("misplaced-hyphens", "layer:///providers/5d3c4e1a7-b2f-4c8d-9e6a-0f1b2c3d4e5f"),
        ("trailing-garbage", PID + "/extra"),
        ("two-slashes-scheme", "layer://providers/" + PROVIDER_UUID),
    ]

    def add(name, call, args, status, frag):
        cases.append({"name": name, "call": call, "args": args, "expected_status": status,
                      "message_contains": frag})

    def st(**over):
        a = {"private_key_file": okey, "provider_id": P, "key_id": K, "user_id": USER,
             "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL}
        for k, v in over.items():
            if k in ("private_key", "private_key_file"):
                a.pop("private_key_file", None)
                a.pop("private_key", None)
            a[k] = v
        return a

    def sn(**over):
        a = {"private_key_file": okey, "passphrase": None, "provider_id": P, "key_id": K,
             "flags": []}
        for k, v in over.items():
            if k in ("private_key", "private_key_file"):
                a.pop("private_key_file", None)
                a.pop("private_key", None)
            if k == "flags_value":
                a.pop("flags", None)
            a[k] = v
        return a

    def ss(signer_over=None, **over):
        s = dict(signer)
        s.update(signer_over or {})
        a = {"signer": s, "user_id": USER, "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL,
             "attributes_json": None}
        a.update(over)
        return a

    def vn(**over):
        a = {"key_file": "keys/rsa2048.public.pem", "provider_id": P, "key_id": K, "flags": []}
        for k, v in over.items():
            if k in ("key", "key_file"):
                a.pop("key_file", None)
                a.pop("key", None)
            if k == "flags_value":
                a.pop("flags", None)
            a[k] = v
        return a

    NULL, UTF8, ARG = "LAYER_ERR_NULL_ARGUMENT", "LAYER_ERR_INVALID_UTF8", "LAYER_ERR_INVALID_ARGUMENT"
    KEY, WEAK, PASS = "LAYER_ERR_INVALID_KEY", "LAYER_ERR_WEAK_KEY", "LAYER_ERR_WRONG_PASSPHRASE"

    # ---- sign_token
    for arg in ("private_key", "provider_id", "key_id", "user_id", "nonce"):
        add("sign-token-null-%s" % arg.replace("_", "-"), "sign_token", st(**{arg: None}), NULL,
            "null")
    add("sign-token-invalid-utf8-user-id", "sign_token", st(user_id=hexarg(b"al\xc3\x28ce")), UTF8,
        "utf")
    add("sign-token-invalid-utf8-nonce", "sign_token", st(nonce=hexarg(b"\xff\xfe")), UTF8, "utf")
    add("sign-token-invalid-utf8-private-key", "sign_token",
        st(private_key=hexarg(b"-----BEGIN PRIVATE KEY-----\n\x80\x81\n")), UTF8, "utf")
    cases[-1]["nul_terminated_only"] = True
    add("sign-token-provider-id-empty", "sign_token", st(provider_id=""), ARG, "provider id")
    add("sign-token-provider-id-placeholder-your-provider-id", "sign_token",
        st(provider_id="YOUR_PROVIDER_ID"), ARG, "provider id")
    add("sign-token-provider-id-placeholder-uuid-literal", "sign_token",
        st(provider_id="layer:///providers/<uuid>"), ARG, "provider id")
    add("sign-token-provider-id-placeholder-your-provider-id-uri", "sign_token",
        st(provider_id="layer:///providers/your-provider-id"), ARG, "provider id")
    for suffix, value in bad_uuid_provider:
        add("sign-token-provider-id-" + suffix, "sign_token", st(provider_id=value), ARG,
            "provider id")
    add("sign-token-provider-id-leading-space", "sign_token", st(provider_id=" " + P), ARG,
        "provider id")
    add("sign-token-provider-id-trailing-newline", "sign_token", st(provider_id=P + "\n"), ARG,
        "provider id")
    add("sign-token-key-id-in-provider-slot", "sign_token", st(provider_id=K), ARG, "provider id")
    add("sign-token-provider-id-in-key-slot", "sign_token", st(key_id=P), ARG, "key id")
    add("sign-token-key-id-empty", "sign_token", st(key_id=""), ARG, "key id")
    add("sign-token-key-id-placeholder-uuid-literal", "sign_token",
        st(key_id="layer:///keys/<uuid>"), ARG, "key id")
    add("sign-token-key-id-trailing-space", "sign_token", st(key_id=K + " "), ARG, "key id")
    add("sign-token-user-id-empty", "sign_token", st(user_id=""), ARG, "user id")
    add("sign-token-nonce-empty", "sign_token", st(nonce=""), ARG, "nonce")
    add("sign-token-issued-at-milliseconds", "sign_token", st(issued_at=1700000000000), ARG,
        "milliseconds")
    add("sign-token-issued-at-milliseconds-threshold", "sign_token", st(issued_at=MS_THRESHOLD),
        ARG, "milliseconds")
    add("sign-token-key-garbage", "sign_token", st(private_key="this is not a key"), KEY, "key")
    add("sign-token-key-empty", "sign_token", st(private_key=""), KEY, "key")
    add("sign-token-key-public-key", "sign_token", st(private_key_file="keys/rsa2048.public.pem"),
        KEY, "key")
    add("sign-token-key-truncated-pem", "sign_token", st(private_key=truncated_pem), KEY, "key")
    add("sign-token-key-bad-base64-inside-armor", "sign_token", st(private_key=bad_armor), KEY,
        "key")
    add("sign-token-key-ec-p256", "sign_token", st(private_key_file="keys/ec-p256.pkcs8.pem"),
        KEY, "rsa")
    add("sign-token-key-ed25519", "sign_token", st(private_key_file="keys/ed25519.pkcs8.pem"),
        KEY, "rsa")
    add("sign-token-key-1024-bit", "sign_token", st(private_key_file="keys/rsa1024.pkcs8.pem"),
        WEAK, "1024")
    add("sign-token-key-512-bit", "sign_token", st(private_key_file="keys/rsa512.pkcs8.pem"),
        WEAK, "512")
    add("sign-token-key-exponent-huge", "sign_token",
        st(private_key_file="keys/rsa2048-e-huge.pkcs8.pem"), KEY, "exponent")
    add("sign-token-key-encrypted-no-passphrase", "sign_token",
        st(private_key_file="keys/rsa2048.pkcs8.encrypted.pem"), PASS, "passphrase")

    # ---- signer_new
    for arg in ("private_key", "provider_id", "key_id"):
        add("signer-new-null-%s" % arg.replace("_", "-"), "signer_new", sn(**{arg: None}), NULL,
            "null")
    add("signer-new-invalid-utf8-provider-id", "signer_new",
        sn(provider_id=hexarg(b"layer:///providers/\xe2\x82")), UTF8, "utf")
    add("signer-new-invalid-utf8-key-id", "signer_new", sn(key_id=hexarg(b"\xc0\xaf")), UTF8, "utf")
    add("signer-new-unknown-flag-bit", "signer_new", sn(flags_value=4), ARG, "flag")
    add("signer-new-provider-id-placeholder", "signer_new", sn(provider_id="YOUR_PROVIDER_ID"),
        ARG, "provider id")
    add("signer-new-key-id-placeholder-your-key-id-uri", "signer_new",
        sn(key_id="layer:///keys/your-key-id"), ARG, "key id")
    add("signer-new-key-id-in-provider-slot", "signer_new",
        sn(provider_id="layer:///keys/" + PROVIDER_UUID), ARG, "provider id")
    add("signer-new-encrypted-wrong-passphrase", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted.pem", passphrase="Tr0ub4dor&3"), PASS,
        "passphrase")
    add("signer-new-encrypted-null-passphrase", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted.pem", passphrase=None), PASS,
        "passphrase")
    add("signer-new-encrypted-empty-passphrase", "signer_new",
        sn(private_key_file="keys/rsa3072.pkcs8.encrypted.pem", passphrase=""), PASS, "passphrase")
    add("signer-new-non-utf8-passphrase-given-as-its-utf8-text", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted-non-utf8.pem",
           passphrase=NON_UTF8_PASSPHRASE.decode("latin-1")), PASS, "passphrase")
    add("signer-new-encrypted-4096-wrong-passphrase", "signer_new",
        sn(private_key_file="keys/rsa4096.pkcs8.encrypted.pem",
           passphrase=PASSPHRASE.upper()), PASS, "passphrase")
    add("signer-new-key-1024-without-flag", "signer_new",
        sn(private_key_file="keys/rsa1024.pkcs8.pem"), WEAK, "1024")
    add("signer-new-key-1024-with-only-typ-jwt-flag", "signer_new",
        sn(private_key_file="keys/rsa1024.pkcs8.pem", flags=["TYP_JWT"]), WEAK, "1024")
    add("signer-new-key-512-even-with-allow-1024-flag", "signer_new",
        sn(private_key_file="keys/rsa512.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), WEAK, "512")
    add("signer-new-key-public-key", "signer_new", sn(private_key=pub_pem), KEY, "key")
    add("signer-new-key-ec-p256", "signer_new", sn(private_key_file="keys/ec-p256.pkcs8.pem"), KEY,
        "rsa")
    add("signer-new-key-ed25519", "signer_new", sn(private_key_file="keys/ed25519.pkcs8.pem"), KEY,
        "rsa")
    add("signer-new-key-garbage-base64", "signer_new", sn(private_key="AAAAAAAA"), KEY, "key")
    oneline = files["keys/rsa2048.pkcs8.oneline.pem"].decode("ascii")
    body = "".join(pem.splitlines()[1:-1])
    other_pem = files["keys/rsa2048-other.pkcs8.pem"].decode("ascii")
    malformed = [
        ("oneline-truncated", oneline[: len(oneline) // 2], "key"),
        ("oneline-body-truncated-armor-intact",
         "-----BEGIN PRIVATE KEY-----" + body[: len(body) // 8 * 4] + "-----END PRIVATE KEY-----",
         "key"),
        ("oneline-doubled", oneline + oneline, "key"),
        ("doubled-pem", pem + pem, "key"),
        ("two-keys-concatenated", pem + other_pem, "key"),
        ("mismatched-armor-labels",
         pem.replace("-----END PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"), "key"),
        ("end-line-missing", pem.replace("-----END PRIVATE KEY-----\n", ""), "key"),
        ("invalid-base64-inside-armor",
         "-----BEGIN PRIVATE KEY-----\nMIIE!!not*base64#garbage\n-----END PRIVATE KEY-----\n",
         "key"),
    ]
    for suffix, text, frag in malformed:
        add("signer-new-key-" + suffix, "signer_new", sn(private_key=text), KEY, frag)
    add("signer-new-key-certificate", "signer_new", sn(private_key_file="keys/rsa2048.cert.pem"),
        KEY, "key")
    add("signer-new-key-openssh-ed25519", "signer_new",
        sn(private_key_file="keys/ed25519.openssh"), KEY, "openssh")
    add("signer-new-key-openssh-rsa", "signer_new", sn(private_key_file="keys/rsa2048.openssh"),
        KEY, "openssh")
    add("signer-new-key-exponent-huge", "signer_new",
        sn(private_key_file="keys/rsa2048-e-huge.pkcs8.pem"), KEY, "exponent")
    add("signer-new-key-exponent-huge-with-allow-1024-flag", "signer_new",
        sn(private_key_file="keys/rsa2048-e-huge.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), KEY,
        "exponent")
    add("signer-new-key-whitespace-only", "signer_new", sn(private_key=" \n\t\n"), KEY, "key")

    # ---- signer_sign
    add("signer-sign-null-user-id", "signer_sign", ss(user_id=None), NULL, "null")
    add("signer-sign-null-nonce", "signer_sign", ss(nonce=None), NULL, "null")
    add("signer-sign-invalid-utf8-user-id", "signer_sign", ss(user_id=hexarg(b"\xed\xa0\x80")),
        UTF8, "utf")
    add("signer-sign-invalid-utf8-attributes", "signer_sign",
        ss(attributes_json=hexarg(b'{"first_name":"\xc3"}')), UTF8, "utf")
    add("signer-sign-user-id-empty", "signer_sign", ss(user_id=""), ARG, "user id")
    add("signer-sign-nonce-empty", "signer_sign", ss(nonce=""), ARG, "nonce")
    add("signer-sign-issued-at-milliseconds", "signer_sign", ss(issued_at=1700000000123), ARG,
        "milliseconds")
    add("signer-sign-issued-at-milliseconds-1024-signer", "signer_sign",
        ss({"private_key_file": "keys/rsa1024.pkcs8.pem", "flags": ["ALLOW_1024_BIT_KEY"]},
           issued_at=1700000000000), ARG, "milliseconds")
    bad_attrs = [
        ("unknown-member", '{"email":"alice@example.com"}'),
        ("unknown-member-camel-case", '{"firstName":"Alice"}'),
        ("claim-override-iss", '{"iss":"layer:///providers/' + OTHER_PROVIDER_UUID + '"}'),
        ("claim-override-prn", '{"first_name":"Alice","prn":"admin"}'),
        ("non-string-number", '{"first_name":1}'),
        ("non-string-null", '{"last_name":null}'),
        ("non-string-object", '{"display_name":{"text":"Alice"}}'),
        ("non-string-array", '{"avatar_url":["https://example.com/a.png"]}'),
        ("not-object-array", '["first_name","Alice"]'),
        ("not-object-string", '"Alice"'),
        ("not-object-null-literal", "null"),
        ("invalid-json-truncated", '{"first_name":"Alice"'),
        ("invalid-json-trailing-garbage", '{"first_name":"Alice"} x'),
        ("invalid-json-empty-string", ""),
        ("duplicate-member", '{"first_name":"Alice","first_name":"Mallory"}'),
        ("duplicate-member-via-escape", '{"first_name":"Alice","first\\u005fname":"Mallory"}'),
        ("duplicate-metadata-member", '{"metadata":{"a":"1"},"metadata":{"b":"2"}}'),
        ("unknown-member-beside-metadata", '{"metadata":{"plan":"pro"},"plan":"pro"}'),
        ("null-attribute-beside-metadata", '{"metadata":{"plan":"pro"},"first_name":null}'),
    ]
    for suffix, value in bad_attrs:
        add("signer-sign-attributes-" + suffix, "signer_sign", ss(attributes_json=value), ARG,
            "attributes")
    bad_metadata = [
        ("not-object-string", '{"metadata":"plan=pro"}', "metadata"),
        ("not-object-array", '{"metadata":[["plan","pro"]]}', "metadata"),
        ("not-object-number", '{"metadata":1}', "metadata"),
        ("not-object-true", '{"metadata":true}', "metadata"),
        ("not-object-false", '{"first_name":"Alice","metadata":false}', "metadata"),
        ("value-number", '{"metadata":{"plan":"pro","seats":5}}', "metadata"),
        ("value-null", '{"metadata":{"plan":null}}', "metadata"),
        ("value-object", '{"metadata":{"plan":{"name":"pro"}}}', "metadata"),
        ("value-array", '{"metadata":{"plan":["pro"]}}', "metadata"),
        ("value-boolean", '{"metadata":{"beta":true}}', "metadata"),
        ("empty-name", '{"metadata":{"":"x"}}', "metadata"),
        ("empty-name-among-others", '{"metadata":{"a":"1","":"2"}}', "metadata"),
        ("duplicate-name", '{"metadata":{"plan":"pro","plan":"free"}}', "duplicate"),
        ("duplicate-name-via-escape", '{"metadata":{"plan":"pro","pl\\u0061n":"free"}}',
         "duplicate"),
    ]
    for suffix, value, frag in bad_metadata:
        add("signer-sign-metadata-" + suffix, "signer_sign", ss(attributes_json=value), ARG, frag)
    add("signer-sign-attributes-unknown-member-encrypted-signer", "signer_sign",
        ss({"private_key_file": "keys/rsa2048.pkcs8.encrypted.pem", "passphrase": PASSPHRASE,
            "flags": ["TYP_JWT"]}, attributes_json='{"role":"admin"}'), ARG, "attributes")

    # ---- verifier_new
    for arg in ("key", "provider_id", "key_id"):
        add("verifier-new-null-%s" % arg.replace("_", "-"), "verifier_new", vn(**{arg: None}),
            NULL, "null")
    add("verifier-new-invalid-utf8-key", "verifier_new",
        vn(key=hexarg(b"-----BEGIN PUBLIC KEY-----\n\xf0\x28\x8c\x28\n")), UTF8, "utf")
    cases[-1]["nul_terminated_only"] = True
    add("verifier-new-invalid-utf8-provider-id", "verifier_new", vn(provider_id=hexarg(b"\x80")),
        UTF8, "utf")
    add("verifier-new-unknown-flag-bit", "verifier_new", vn(flags_value=4), ARG, "flag")
    add("verifier-new-provider-id-empty", "verifier_new", vn(provider_id=""), ARG, "provider id")
    add("verifier-new-provider-id-placeholder-uuid-literal", "verifier_new",
        vn(provider_id="layer:///providers/<uuid>"), ARG, "provider id")
    add("verifier-new-key-id-in-provider-slot", "verifier_new",
        vn(provider_id="layer:///keys/" + PROVIDER_UUID), ARG, "provider id")
    add("verifier-new-provider-id-in-key-slot", "verifier_new",
        vn(key_id="layer:///providers/" + KEY_UUID), ARG, "key id")
    add("verifier-new-key-id-malformed-uuid", "verifier_new",
        vn(key_id="layer:///keys/a1b2c3d4-e5f6-4789-8abc-def01234567g"), ARG, "key id")
    add("verifier-new-key-garbage", "verifier_new", vn(key="-----BEGIN PUBLIC KEY-----\n"), KEY,
        "key")
    add("verifier-new-key-empty", "verifier_new", vn(key=""), KEY, "key")
    add("verifier-new-key-truncated-public-pem", "verifier_new", vn(key=pub_pem[: len(pub_pem) // 2]),
        KEY, "key")
    add("verifier-new-key-doubled-public-pem", "verifier_new", vn(key=pub_pem + pub_pem), KEY,
        "key")
    pub_oneline = files["keys/rsa2048.public.oneline.pem"].decode("ascii")
    add("verifier-new-key-public-oneline-truncated", "verifier_new",
        vn(key=pub_oneline[: len(pub_oneline) // 2]), KEY, "key")
    add("verifier-new-key-ec-p256-public", "verifier_new", vn(key_file="keys/ec-p256.public.pem"),
        KEY, "rsa")
    add("verifier-new-key-ed25519-private", "verifier_new", vn(key_file="keys/ed25519.pkcs8.pem"),
        KEY, "rsa")
    for label, rel in (("huge", "keys/rsa2048-e-huge.public.pem"),
                       ("huge-private", "keys/rsa2048-e-huge.pkcs8.pem"),
                       ("2pow32plus1", "keys/rsa2048-e-2pow32plus1.public.pem"),
                       ("equals-n", "keys/rsa2048-e-ge-n.public.pem"),
                       ("1", "keys/rsa2048-e1.public.pem"),
                       ("even", "keys/rsa2048-e-even.public.pem")):
        add("verifier-new-key-exponent-" + label, "verifier_new", vn(key_file=rel), KEY,
            "exponent")
    add("verifier-new-key-1024-public-without-flag", "verifier_new",
        vn(key_file="keys/rsa1024.public.pem"), WEAK, "1024")
    add("verifier-new-key-512-private-even-with-flag", "verifier_new",
        vn(key_file="keys/rsa512.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"]), WEAK, "512")

    # ---- generate_key_pair
    add("generate-key-pair-1024-bits", "generate_key_pair", {"bits": 1024}, WEAK, "1024")
    add("generate-key-pair-512-bits", "generate_key_pair", {"bits": 512}, WEAK, "512")
    add("generate-key-pair-100000-bits", "generate_key_pair", {"bits": 100000}, ARG, "bits")
    add("generate-key-pair-u32-max-bits", "generate_key_pair", {"bits": 4294967295}, ARG, "bits")

    cases += abi3_error_cases(files, keys)
    check_errors(cases, files, keys)
    return {
        "description": "Bad input -> expected LayerStatus for the constructor/signing calls, "
                       "the verifier's arguments and the token type selector. Each case has "
                       "exactly one fault; message_contains is a lowercase fragment that the "
                       "error message must contain (compare case-insensitively). A case marked "
                       "abi 3 is for ABI 3's length-taking entry points (and every wrapper): "
                       "the NUL-terminated C functions cannot express it.",
        "generator": GENERATOR,
        "cases": cases,
    }


def abi3_error_cases(files, keys):
    """The cases of ABI 3's argument conventions (see reference_call_n), marked "abi": 3. Each
    names the argument at fault as the C header does. A value that ends in U+0000 after a valid
    value (an ID, the token) is what a NUL-terminated reading would silently accept."""
    cases = []
    okey = "keys/rsa2048.pkcs8.pem"
    signer = {"private_key_file": okey, "passphrase": None, "provider_id": PID, "key_id": KID,
              "flags": []}
    verifier = {"key_file": "keys/rsa2048.public.pem", "provider_id": PID, "key_id": KID,
                "flags": []}
    token = make_jws(expected_header(KID, False),
                     expected_claims(PID, USER, IAT, IAT + TTL, NONCE, []), keys["rsa2048"])
    ARG, UTF8 = "LAYER_ERR_INVALID_ARGUMENT", "LAYER_ERR_INVALID_UTF8"

    def add(name, call, args, status, fragment):
        cases.append({"name": name, "call": call, "abi": 3, "args": args,
                      "expected_status": status, "message_contains": fragment})

    def st(**over):
        a = {"private_key_file": okey, "provider_id": PID, "key_id": KID, "user_id": USER,
             "nonce": NONCE, "issued_at": IAT, "ttl_seconds": TTL}
        a.update(over)
        return a

    def sn(**over):
        a = {"private_key_file": okey, "passphrase": None, "provider_id": PID, "key_id": KID,
             "flags": []}
        a.update(over)
        return a

    def ss(**over):
        a = {"signer": dict(signer), "user_id": USER, "nonce": NONCE, "issued_at": IAT,
             "ttl_seconds": TTL, "attributes": None, "metadata": None}
        a.update(over)
        return a

    def vn(**over):
        a = dict(verifier)
        a.update(over)
        return a

    def vv(**over):
        a = {"verifier": dict(verifier), "token": token, "expected_nonce": NONCE, "now": NOW,
             "leeway_seconds": 0}
        a.update(over)
        return a

    def tt(name):
        return {"token_type": name}

    # (case name prefix, call, the text arguments with one value holding U+0000 and one that
    # is not UTF-8 each, and how to make the call's arguments)
    pid_bad_utf8 = hexarg(b"layer:///providers/" + PROVIDER_UUID.encode() + b"\xe2\x82")
    kid_bad_utf8 = hexarg(b"layer:///keys/\xc0\xaf" + KEY_UUID.encode())
    texts = [
        ("sign-token", "sign_token", st, [
            ("provider_id", PID + "\u0000", pid_bad_utf8),
            ("key_id", "\u0000" + KID, kid_bad_utf8),
            ("user_id", USER + "\u0000admin", hexarg(b"al\xc3\x28ce")),
            ("nonce", NONCE + "\u0000", hexarg(b"\xff\xfe" + NONCE.encode())),
        ]),
        ("signer-new", "signer_new", sn, [
            ("provider_id", "layer:///providers/\u0000" + PROVIDER_UUID, pid_bad_utf8),
            ("key_id", KID + "\u0000", kid_bad_utf8),
        ]),
        ("signer-sign", "signer_sign", ss, [
            ("user_id", "alice\u0000", hexarg(b"\xed\xa0\x80alice")),
            ("nonce", NONCE[:10] + "\u0000" + NONCE[10:], hexarg(NONCE.encode() + b"\x80")),
        ]),
        ("verifier-new", "verifier_new", vn, [
            ("provider_id", PID + "\u0000", hexarg(b"\x80")),
            ("key_id", KID + "\u0000" + KID, kid_bad_utf8),
        ]),
        ("verifier-verify", "verifier_verify", vv, [
            ("token", token + "\u0000", hexarg(token.encode() + b"\xff")),
            ("expected_nonce", NONCE + "\u0000", hexarg(NONCE.encode() + b"\xc3")),
        ]),
    ]
    for prefix, call, make, args in texts:
        for arg, with_nul, not_utf8 in args:
            label = arg.replace("_", "-")
            add("%s-%s-u0000" % (prefix, label), call, make(**{arg: with_nul}), ARG, arg)
            add("%s-%s-invalid-utf8" % (prefix, label), call, make(**{arg: not_utf8}), UTF8, arg)
    # signer_sign's attributes (each by its LayerAttribute name) and metadata.
    attribute_values = {
        "first_name": ("Alice\u0000", hexarg(b"Al\xc3ice")),
        "last_name": ("\u0000Liddell", hexarg(b"Liddell\xf0\x9f\x98")),
        "display_name": ("Alice\u0000L.", hexarg(b"Alice \xc0\xa0L.")),
        "avatar_url": ("https://cdn.example.com/a.png\u0000.exe",
                       hexarg(b"https://cdn.example.com/\xfe.png")),
    }
    for arg in ATTRIBUTE_ORDER:
        with_nul, not_utf8 = attribute_values[arg]
        label = arg.replace("_", "-")
        add("signer-sign-%s-u0000" % label, "signer_sign", ss(attributes={arg: with_nul}), ARG,
            arg)
        add("signer-sign-%s-invalid-utf8" % label, "signer_sign",
            ss(attributes={arg: not_utf8}), UTF8, arg)
    add("signer-sign-metadata-name-u0000", "signer_sign",
        ss(metadata=[["plan", "pro"], ["tier\u0000", "gold"]]), ARG, "metadata_names")
    add("signer-sign-metadata-name-invalid-utf8", "signer_sign",
        ss(metadata=[[hexarg(b"pl\xe4n"), "pro"]]), UTF8, "metadata_names")
    add("signer-sign-metadata-value-u0000", "signer_sign",
        ss(metadata=[["plan", "pro\u0000"]]), ARG, "metadata_values")
    add("signer-sign-metadata-value-invalid-utf8", "signer_sign",
        ss(metadata=[["plan", "pro"], ["tier", hexarg(b"g\xf6ld")]]), UTF8, "metadata_values")
    # Times: negative, or beyond uint32 where the old functions took a uint32_t.
    add("sign-token-issued-at-negative", "sign_token", st(issued_at=-1), ARG, "issued_at")
    add("sign-token-ttl-seconds-negative", "sign_token", st(ttl_seconds=-1), ARG, "ttl_seconds")
    add("sign-token-ttl-seconds-above-u32-max", "sign_token", st(ttl_seconds=U32_MAX + 1), ARG,
        "ttl_seconds")
    add("signer-sign-issued-at-negative", "signer_sign", ss(issued_at=-1), ARG, "issued_at")
    add("signer-sign-ttl-seconds-negative", "signer_sign", ss(ttl_seconds=-600), ARG,
        "ttl_seconds")
    add("signer-sign-ttl-seconds-above-u32-max", "signer_sign", ss(ttl_seconds=U32_MAX + 1), ARG,
        "ttl_seconds")
    add("verifier-verify-now-negative", "verifier_verify", vv(now=-1), ARG, "now")
    add("verifier-verify-leeway-seconds-negative", "verifier_verify", vv(leeway_seconds=-1), ARG,
        "leeway_seconds")
    add("verifier-verify-leeway-seconds-above-u32-max", "verifier_verify",
        vv(leeway_seconds=U32_MAX + 1), ARG, "leeway_seconds")
    # An empty expected nonce is a mistake, not "any nonce": to skip the check give none.
    add("verifier-verify-expected-nonce-empty", "verifier_verify", vv(expected_nonce=""), ARG,
        "expected_nonce")
    # A passphrase is bytes: bytes that are not UTF-8 are a passphrase like any other (here the
    # wrong one: WRONG_PASSPHRASE, never INVALID_UTF8).
    add("signer-new-passphrase-not-utf8-wrong", "signer_new",
        sn(private_key_file="keys/rsa2048.pkcs8.encrypted.pem", passphrase=hexarg(b"\xff\xfe")),
        "LAYER_ERR_WRONG_PASSPHRASE", "passphrase")
    # layer_token_type_flags: "JWS" / "JWT" in any ASCII letter case, nothing else.
    # "JW\u017f": U+017F LATIN SMALL LETTER LONG S upper-cases to "S" in Unicode, not in ASCII.
    for label, name in (("jose", "JOSE"), ("empty", ""), ("trailing-space", "JWT "),
                        ("jwe", "JWE"), ("long-s", "JW\u017f"),
                        ("fullwidth", "\uff2a\uff37\uff34")):
        add("token-type-flags-" + label, "token_type_flags", tt(name), ARG, "token_type")
    add("token-type-flags-u0000", "token_type_flags", tt("JWT\u0000"), ARG, "token_type")
    add("token-type-flags-invalid-utf8", "token_type_flags", tt(hexarg(b"JW\xd4")), UTF8,
        "token_type")
    # Each case has exactly one fault: without it, the call succeeds (the token verifies).
    for call, base in (("sign_token", st()), ("signer_new", sn()), ("signer_sign", ss()),
                       ("verifier_new", vn()), ("verifier_verify", vv()),
                       ("token_type_flags", tt("JWT"))):
        if reference_call_n(call, base, files) != ("LAYER_OK", None):
            fail("the faultless %s arguments of the abi 3 cases fail" % call)
    return cases


def check_errors(cases, files, keys):
    names = set()
    required = {
        "sign_token": {"provider_id", "key_id", "user_id", "nonce", "issued_at", "ttl_seconds"},
        "signer_new": {"passphrase", "provider_id", "key_id"},
        "signer_sign": {"signer", "user_id", "nonce", "issued_at", "ttl_seconds",
                        "attributes_json"},
        "verifier_new": {"provider_id", "key_id"},
        "generate_key_pair": {"bits"},
    }
    required_n = dict(required)
    required_n.update({
        "signer_sign": {"signer", "user_id", "nonce", "issued_at", "ttl_seconds", "attributes",
                        "metadata"},
        "verifier_verify": {"verifier", "token", "expected_nonce", "now", "leeway_seconds"},
        "token_type_flags": {"token_type"},
    })
    for c in cases:
        if c["name"] in names:
            fail("duplicate error case name " + c["name"])
        names.add(c["name"])
        a = c["args"]
        abi = c.get("abi", 2)
        if abi not in (2, 3) or ("abi" in c and abi != 3):
            fail("%s: abi is 3 or absent" % c["name"])
        if c.get("nul_terminated_only") and (abi == 3 or not any(
                isinstance(a.get(k), dict) for k in ("private_key", "key"))):
            fail("%s: nul_terminated_only marks a key given as text that is not UTF-8" % c["name"])
        missing = (required_n if abi == 3 else required)[c["call"]] - set(a)
        if missing:
            fail("%s: missing args %s" % (c["name"], missing))
        if c["message_contains"] != c["message_contains"].lower():
            fail("%s: message_contains must be lowercase" % c["name"])
        if abi == 3:
            got, fragment = reference_call_n(c["call"], a, files)
            if got != c["expected_status"]:
                fail("%s: reference gives %s, case says %s"
                     % (c["name"], got, c["expected_status"]))
            if fragment is not None and fragment != c["message_contains"]:
                fail("%s: the reference names %r, case says %r"
                     % (c["name"], fragment, c["message_contains"]))
            continue
        got = reference_call(c["call"], a, files)
        if got != c["expected_status"]:
            fail("%s: reference gives %s, case says %s" % (c["name"], got, c["expected_status"]))
        if (c["call"] == "signer_sign" and c["expected_status"] == "LAYER_ERR_INVALID_ARGUMENT"
                and isinstance(a["attributes_json"], str)
                and "" not in (a["user_id"], a["nonce"]) and a["issued_at"] < MS_THRESHOLD):
            reason = attributes_problem(a["attributes_json"])
            if reason != c["message_contains"]:
                fail("%s: the reference attributes rules give fragment %r, case says %r"
                     % (c["name"], reason, c["message_contains"]))
    # Every positive sign case must pass the same reference rules (sanity of the reference).
    for spec in sign_case_specs():
        abi = spec.get("abi", 2)
        signer = {k: spec[k] for k in ("private_key_file", "passphrase", "provider_id", "key_id",
                                       "flags")}
        call = {"signer": signer, "user_id": spec["user_id"], "nonce": spec["nonce"],
                "issued_at": spec["issued_at"], "ttl_seconds": spec["ttl_seconds"],
                "attributes_json": spec["attributes_json"]}
        if reference_call("signer_sign", call, files, abi) != "LAYER_OK":
            fail("sign case %s fails the reference error rules" % spec["name"])
        if "token_type" in spec and reference_call_n(
                "token_type_flags", {"token_type": spec["token_type"]}, files) != ("LAYER_OK",
                                                                                   None):
            fail("sign case %s: its token type name is refused" % spec["name"])
        if spec["passphrase"] is None and not spec["flags"]:
            one = {k: call[k] for k in ("user_id", "nonce", "issued_at", "ttl_seconds")}
            one.update(private_key_file=spec["private_key_file"], provider_id=spec["provider_id"],
                       key_id=spec["key_id"])
            if reference_call("sign_token", one, files) != "LAYER_OK":
                fail("sign case %s fails the reference sign_token rules" % spec["name"])
    return True
