"""errors.json: bad input to the constructor and signing calls, each case with exactly one
fault, checked against the reference error rules."""

from .common import (
    fail,
    GENERATOR,
    IAT,
    KEY_UUID,
    KID,
    MS_THRESHOLD,
    NONCE,
    OTHER_PROVIDER_UUID,
    PASSPHRASE,
    PID,
    PROVIDER_UUID,
    TTL,
    USER)
from .reference import attributes_problem, reference_call
from .sign_cases import sign_case_specs


def hexarg(data):
    return {"hex": " ".join("%02x" % b for b in data)}


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

    check_errors(cases, files, keys)
    return {
        "description": "Bad input -> expected LayerStatus for the five constructor/signing calls. "
                       "Each case has exactly one fault; message_contains is a lowercase fragment "
                       "that the error message must contain (compare case-insensitively).",
        "generator": GENERATOR,
        "cases": cases,
    }


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
    for c in cases:
        if c["name"] in names:
            fail("duplicate error case name " + c["name"])
        names.add(c["name"])
        a = c["args"]
        missing = required[c["call"]] - set(a)
        if missing:
            fail("%s: missing args %s" % (c["name"], missing))
        got = reference_call(c["call"], a, files)
        if got != c["expected_status"]:
            fail("%s: reference gives %s, case says %s" % (c["name"], got, c["expected_status"]))
        if c["message_contains"] != c["message_contains"].lower():
            fail("%s: message_contains must be lowercase" % c["name"])
        if (c["call"] == "signer_sign" and c["expected_status"] == "LAYER_ERR_INVALID_ARGUMENT"
                and isinstance(a["attributes_json"], str)
                and "" not in (a["user_id"], a["nonce"]) and a["issued_at"] < MS_THRESHOLD):
            reason = attributes_problem(a["attributes_json"])
            if reason != c["message_contains"]:
                fail("%s: the reference attributes rules give fragment %r, case says %r"
                     % (c["name"], reason, c["message_contains"]))
    # Every positive sign case must pass the same reference rules (sanity of the reference).
    for spec in sign_case_specs():
        signer = {k: spec[k] for k in ("private_key_file", "passphrase", "provider_id", "key_id",
                                       "flags")}
        call = {"signer": signer, "user_id": spec["user_id"], "nonce": spec["nonce"],
                "issued_at": spec["issued_at"], "ttl_seconds": spec["ttl_seconds"],
                "attributes_json": spec["attributes_json"]}
        if reference_call("signer_sign", call, files) != "LAYER_OK":
            fail("sign case %s fails the reference error rules" % spec["name"])
        if spec["passphrase"] is None and not spec["flags"]:
            one = {k: call[k] for k in ("user_id", "nonce", "issued_at", "ttl_seconds")}
            one.update(private_key_file=spec["private_key_file"], provider_id=spec["provider_id"],
                       key_id=spec["key_id"])
            if reference_call("sign_token", one, files) != "LAYER_OK":
                fail("sign case %s fails the reference sign_token rules" % spec["name"])
    return True
