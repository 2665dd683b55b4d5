"""sign.json: the inputs of every known-answer signing case, and their expected header, claims
and token."""

import base64
import json

from .common import (
    fail,
    GENERATOR,
    IAT,
    KEY_UUID,
    KID,
    MS_THRESHOLD,
    NON_UTF8_PASSPHRASE,
    NONCE,
    PASSPHRASE,
    PID,
    PROVIDER_UUID,
    TTL,
    USER,
    V1_KEY_UUID,
    V1_PROVIDER_UUID)
from .jsonfmt import hexarg, json_str
from .keys import same_key, tolerant_load_private
from .jws import expected_claims, expected_header, make_jws, prb
from .reference import (canonical_attributes, passphrase_bytes, reference_verify,
                        token_type_flags, valid_id)


LONG_USER = "".join("user%05d|" % i for i in range(456))[:4096]
LONG_NONCE = base64.b64encode(prb("long-nonce", 750)).decode("ascii")
assert len(LONG_USER) == 4096 and len(LONG_NONCE) == 1000


def sign_case_specs():
    """Inputs of every sign case. Expected values are computed from these."""
    P, K, U, N = PID, KID, USER, NONCE
    base = dict(passphrase=None, provider_id=P, key_id=K, user_id=U, nonce=N, issued_at=IAT,
                ttl_seconds=TTL, flags=[], attributes_json=None)
    specs = []

    def add(name, key_file, **kw):
        d = dict(base)
        d.update(kw)
        d["name"] = name
        d["private_key_file"] = key_file
        specs.append(d)

    pw = PASSPHRASE
    # Same key, same inputs, every key form: all must give the identical token.
    add("keyform-2048-pkcs8", "keys/rsa2048.pkcs8.pem")
    add("keyform-2048-pkcs1", "keys/rsa2048.pkcs1.pem")
    add("keyform-2048-pkcs8-encrypted", "keys/rsa2048.pkcs8.encrypted.pem", passphrase=pw)
    add("keyform-2048-pkcs8-der-b64", "keys/rsa2048.pkcs8.der.b64")
    add("keyform-2048-pkcs1-crlf", "keys/rsa2048.pkcs1.crlf.pem")
    add("keyform-2048-pkcs8-escaped-newlines", "keys/rsa2048.pkcs8.escaped.txt")
    add("keyform-2048-pkcs8-padded-whitespace", "keys/rsa2048.pkcs8.padded.pem")
    add("keyform-2048-pkcs8-oneline", "keys/rsa2048.pkcs8.oneline.pem")
    add("keyform-2048-pkcs8-spaces", "keys/rsa2048.pkcs8.spaces.pem")
    add("keyform-2048-pkcs1-oneline", "keys/rsa2048.pkcs1.oneline.pem")
    add("keyform-2048-pkcs8-encrypted-oneline", "keys/rsa2048.pkcs8.encrypted.oneline.pem",
        passphrase=pw)
    # ABI 3 takes the passphrase as bytes: these are not UTF-8 (Latin-1 "café à la crème").
    add("keyform-2048-pkcs8-encrypted-non-utf8-passphrase",
        "keys/rsa2048.pkcs8.encrypted-non-utf8.pem", passphrase=hexarg(NON_UTF8_PASSPHRASE),
        abi=3)
    add("ttl-0-means-600", "keys/rsa2048.pkcs8.pem", ttl_seconds=0)
    # Public exponents at both ends of the accepted range (3 and 2^32 - 1).
    add("exponent-3-pkcs8", "keys/rsa2048-e3.pkcs8.pem")
    add("exponent-4294967295-pkcs8", "keys/rsa2048-e-2pow32minus1.pkcs8.pem")
    # Key sizes (3072 and 4096 in three forms each; legacy 1024 only with the flag).
    for bits in (3072, 4096):
        add("keysize-%d-pkcs8" % bits, "keys/rsa%d.pkcs8.pem" % bits)
        add("keysize-%d-pkcs1" % bits, "keys/rsa%d.pkcs1.pem" % bits)
        add("keysize-%d-pkcs8-encrypted" % bits, "keys/rsa%d.pkcs8.encrypted.pem" % bits,
            passphrase=pw)
    add("keysize-1024-allow-flag", "keys/rsa1024.pkcs8.pem", flags=["ALLOW_1024_BIT_KEY"])
    add("keysize-1024-allow-flag-typ-jwt", "keys/rsa1024.pkcs8.pem",
        flags=["TYP_JWT", "ALLOW_1024_BIT_KEY"])
    # typ
    add("typ-jwt", "keys/rsa2048.pkcs8.pem", flags=["TYP_JWT"])
    add("typ-jwt-encrypted-key-with-attributes", "keys/rsa2048.pkcs8.encrypted.pem",
        passphrase=pw, flags=["TYP_JWT"],
        attributes_json='{"display_name":"Alice Liddell","first_name":"Alice"}')
    # The token type selected by name (layer_token_type_flags, ABI 3): "JWS" / "JWT" in any
    # ASCII letter case.
    for label, name in (("jwt", "JWT"), ("jwt-lowercase", "jwt"), ("jwt-mixed-case", "jWt"),
                        ("jws-mixed-case", "Jws")):
        add("token-type-name-" + label, "keys/rsa2048.pkcs8.pem", token_type=name, abi=3)
    # Attributes
    add("attr-first-name-only", "keys/rsa2048.pkcs8.pem", attributes_json='{"first_name":"Alice"}')
    add("attr-last-name-only", "keys/rsa2048.pkcs8.pem", attributes_json='{"last_name":"Liddell"}')
    add("attr-display-name-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"display_name":"Alice L."}')
    add("attr-avatar-url-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"avatar_url":"https://cdn.example.com/avatars/alice.png?s=128&v=2"}')
    add("attr-all-four", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"first_name":"Alice","last_name":"Liddell","display_name":"Alice L.",'
                        '"avatar_url":"https://cdn.example.com/avatars/alice.png"}')
    add("attr-all-four-scrambled-order", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"avatar_url":"https://cdn.example.com/avatars/alice.png",'
                        '"display_name":"Alice L.","last_name":"Liddell","first_name":"Alice"}')
    add("attr-two-reversed", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"last_name":"Liddell","first_name":"Alice"}')
    add("attr-values-needing-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({
            "first_name": 'Bob "The Builder"',
            "last_name": "O\\Brien/Smith\b\f\n\r\t",
            "display_name": "ctl\u0001\u001f del\u007f ls\u2028 end",
            "avatar_url": "https://example.com/a.png?x=\"1\"&y=\\2",
        }, ensure_ascii=True, separators=(",", ":")))
    add("attr-values-non-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({
            "first_name": "José",
            "last_name": "Łukasiewicz-Müller",
            "display_name": "山田太郎 😀 𝄞 مرحبا",
            "avatar_url": "https://example.com/avatars/ü/李.png",
        }, ensure_ascii=False, separators=(",", ":")))
    add("attr-input-pretty-printed-with-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json='{\n  "display_name" : "Jos\\u00e9 \\ud83d\\ude00",\n'
                        '  "avatar_url" : "https:\\/\\/example.com\\/a.png"\n}\n')
    add("attr-empty-object", "keys/rsa2048.pkcs8.pem", attributes_json="{}")
    # An attribute given as "" is the same as an absent one: not written (every ABI version).
    # An empty metadata value stays (meta-empty-string-value).
    add("attr-empty-string-omitted", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"first_name":"","display_name":"Alice"}')
    add("attr-all-four-empty-strings", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"first_name":"","last_name":"","display_name":"","avatar_url":""}')
    add("attr-empty-string-beside-metadata-empty-value", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"last_name":"","metadata":{"nickname":""}}')
    # Metadata: after the attributes, members sorted by name in code-point order (= UTF-8 byte
    # order, which is not UTF-16 order); {} and null mean no metadata claim at all.

    def meta(pairs, **top):
        doc = dict(top)
        doc["metadata"] = dict(pairs)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    add("meta-only", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"team":"blue","plan":"pro"}}')
    add("meta-with-all-four-attributes-scrambled", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"tier":"gold","account_id":"42"},'
                        '"avatar_url":"https://cdn.example.com/avatars/alice.png",'
                        '"display_name":"Alice L.","last_name":"Liddell","first_name":"Alice"}')
    add("meta-names-sorted-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("zeta", "1"), ("Zeta", "2"), ("alpha", "3"), ("Alpha", "4"),
                              ("_under", "5"), ("2", "6"), ("10", "7"), ("ab", "8"), ("a b", "9"),
                              ("a", "10"), ("a-b", "11"), ("A1", "12")]))
    add("meta-names-sorted-non-ascii", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("😀", "grin"), ("李", "li"), ("é", "e-acute"), ("z", "zed"),
                              ("É", "E-acute"), ("e", "e")]))
    add("meta-names-astral-sorts-after-bmp", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("😀", "U+1F600"), ("Ａ", "U+FF21"), ("𝄞", "U+1D11E"),
                              ("ﬁ", "U+FB01"), ("☃", "U+2603")]))
    add("meta-names-and-values-needing-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json=json.dumps({"metadata": {
            "x": 'say "hi"', "\\x": "C:\\path\\file", "/x": "https://example.com/a/b",
            '"x': "line1\nline2\ttab", "\nx": "ctl\u0001\u001f del\u007f", "\u0001x": "/"}},
            ensure_ascii=True, separators=(",", ":")))
    add("meta-input-with-json-escapes", "keys/rsa2048.pkcs8.pem",
        attributes_json='{ "metadata" : { "caf\\u00e9" : "na\\u00efve \\ud83d\\ude00",'
                        ' "\\u007a" : "z", "b" : "x\\/y", "\\u0041" : "A" } }')
    add("meta-names-shadow-claims-and-attributes", "keys/rsa2048.pkcs8.pem",
        attributes_json=meta([("prn", "not-the-user"), ("iss", "not-the-issuer"),
                              ("first_name", "Mallory")], first_name="Alice"))
    add("meta-empty-string-value", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{"nickname":""}}')
    add("meta-typ-jwt-encrypted-key", "keys/rsa2048.pkcs8.encrypted.pem", passphrase=pw,
        flags=["TYP_JWT"], attributes_json='{"display_name":"Alice L.","metadata":{"plan":"pro"}}')
    add("meta-empty-object", "keys/rsa2048.pkcs8.pem", attributes_json='{"metadata":{}}')
    add("meta-null", "keys/rsa2048.pkcs8.pem", attributes_json='{"metadata":null}')
    add("meta-empty-object-with-attribute", "keys/rsa2048.pkcs8.pem",
        attributes_json='{"metadata":{},"first_name":"Alice"}')
    # User IDs and nonces
    add("user-numeric-id", "keys/rsa2048.pkcs8.pem", user_id="1234567890")
    add("user-special-chars", "keys/rsa2048.pkcs8.pem", user_id='say "hi" \\ back/slash/')
    add("user-control-chars", "keys/rsa2048.pkcs8.pem",
        user_id="a\bb\fc\nd\re\tf\u0001g\u001fh\u007fi\u2028j")
    add("nonce-special-and-control-chars", "keys/rsa2048.pkcs8.pem",
        nonce='n"o\\n/ce\b\f\n\r\t\u0001\u001f\u007f\u2028')
    add("user-accents", "keys/rsa2048.pkcs8.pem", user_id="José Ñúñez-Gonçalves Ångström")
    add("user-cjk", "keys/rsa2048.pkcs8.pem", user_id="山田太郎@例え.jp")
    add("user-emoji-astral", "keys/rsa2048.pkcs8.pem",
        user_id="👩🏽\u200d💻 dev 𝄞 🏳️\u200d🌈")
    add("user-combining-marks", "keys/rsa2048.pkcs8.pem",
        user_id="Zoe\u0308 Jose\u0301 n\u0303 a\u030a")
    add("user-rtl", "keys/rsa2048.pkcs8.pem",
        user_id="مستخدم \u200fעברית\u202e txt.exe")
    add("nonce-non-ascii", "keys/rsa2048.pkcs8.pem", nonce="nonce-ü-李-🚀")
    add("nonce-standard-base64-with-padding", "keys/rsa2048.pkcs8.pem",
        nonce=base64.b64encode(prb("nonce-std", 37)).decode("ascii"))
    add("user-long-4096-chars", "keys/rsa2048.pkcs8.pem", user_id=LONG_USER)
    add("nonce-long-1000-chars", "keys/rsa2048.pkcs8.pem", nonce=LONG_NONCE)
    # ID forms
    add("ids-bare-uuid-lowercase", "keys/rsa2048.pkcs8.pem", provider_id=PROVIDER_UUID,
        key_id=KEY_UUID)
    add("ids-bare-uuid-uppercase", "keys/rsa2048.pkcs8.pem", provider_id=PROVIDER_UUID.upper(),
        key_id=KEY_UUID.upper())
    add("ids-uri-uppercase-uuid", "keys/rsa2048.pkcs8.pem",
        provider_id="layer:///providers/" + PROVIDER_UUID.upper(),
        key_id="layer:///keys/" + KEY_UUID.upper())
    add("ids-uri-provider-bare-key", "keys/rsa2048.pkcs8.pem", key_id=KEY_UUID)
    add("ids-time-based-v1-uuid", "keys/rsa2048.pkcs8.pem",
        provider_id="layer:///providers/" + V1_PROVIDER_UUID,
        key_id="layer:///keys/" + V1_KEY_UUID)
    # Time
    add("ttl-1", "keys/rsa2048.pkcs8.pem", ttl_seconds=1)
    add("ttl-3600", "keys/rsa2048.pkcs8.pem", ttl_seconds=3600)
    add("ttl-86400", "keys/rsa2048.pkcs8.pem", ttl_seconds=86400)
    add("iat-1", "keys/rsa2048.pkcs8.pem", issued_at=1)
    add("iat-2100-01-01", "keys/rsa2048.pkcs8.pem", issued_at=4102444800, ttl_seconds=86400)
    add("iat-largest-below-milliseconds-threshold", "keys/rsa2048.pkcs8.pem",
        issued_at=MS_THRESHOLD - 1)
    add("realistic-numeric-user-4096-key-jwt", "keys/rsa4096.pkcs8.pem", user_id="987654321",
        nonce=base64.urlsafe_b64encode(prb("nonce-r", 32)).decode("ascii").rstrip("="),
        flags=["TYP_JWT"], attributes_json='{"display_name":"Dana Q.","first_name":"Dana"}')
    return specs


def build_sign(files, keys):
    cases = []
    for spec in sign_case_specs():
        key_text = files[spec["private_key_file"]]
        key = tolerant_load_private(key_text, passphrase_bytes(spec["passphrase"]))
        key_name = spec["private_key_file"].split("/")[1].split(".")[0]
        if not same_key(key, keys[key_name]):
            fail("%s: key form does not load to %s" % (spec["name"], key_name))
        if key.key_size == 1024 and "ALLOW_1024_BIT_KEY" not in spec["flags"]:
            fail("%s: 1024-bit key without the flag" % spec["name"])
        for s in (spec["provider_id"], spec["key_id"], spec["user_id"], spec["nonce"]):
            json_str(s)  # asserts the escaping claim, no U+0000
        if not valid_id(spec["provider_id"], "layer:///providers/") or not valid_id(
                spec["key_id"], "layer:///keys/"):
            fail("%s: invalid ID" % spec["name"])
        if not (0 < spec["issued_at"] < MS_THRESHOLD) or not spec["user_id"] or not spec["nonce"]:
            fail("%s: invalid inputs" % spec["name"])
        ttl = spec["ttl_seconds"] or 600
        attrs, metadata = canonical_attributes(spec["attributes_json"])
        for _, v in attrs:
            json_str(v)
        typ_jwt = "TYP_JWT" in spec["flags"]
        if "token_type" in spec:
            by_name = token_type_flags(spec["token_type"])
            if by_name is None or typ_jwt:
                fail("%s: a token type name that selects nothing, or beside TYP_JWT"
                     % spec["name"])
            typ_jwt = "TYP_JWT" in by_name
        if ("token_type" in spec or isinstance(spec["passphrase"], dict)) != (
                spec.get("abi") == 3):
            fail("%s: abi 3 exactly when the case needs ABI 3's entry points" % spec["name"])
        header = expected_header(spec["key_id"], typ_jwt)
        claims = expected_claims(spec["provider_id"], spec["user_id"], spec["issued_at"],
                                 spec["issued_at"] + ttl, spec["nonce"], attrs, metadata)
        token = make_jws(header, claims, key)
        verdict = reference_verify(token, key.public_key(), spec["provider_id"], spec["key_id"],
                                   spec["nonce"], spec["issued_at"], 0)
        if verdict != ("LAYER_OK", None, claims):
            fail("%s: the reference verifier does not accept the token: %r"
                 % (spec["name"], verdict))
        one_shot = (spec["passphrase"] is None and not spec["flags"]
                    and spec["attributes_json"] is None and "token_type" not in spec)
        case = {"name": spec["name"]}
        if "abi" in spec:
            case["abi"] = spec["abi"]
        case.update({
            "private_key_file": spec["private_key_file"],
            "passphrase": spec["passphrase"],
            "provider_id": spec["provider_id"],
            "key_id": spec["key_id"],
            "user_id": spec["user_id"],
            "nonce": spec["nonce"],
            "issued_at": spec["issued_at"],
            "ttl_seconds": spec["ttl_seconds"],
            "flags": spec["flags"],
        })
        if "token_type" in spec:
            case["token_type"] = spec["token_type"]
        case.update({
            "attributes_json": spec["attributes_json"],
            "one_shot": one_shot,
            "expected_header_json": header,
            "expected_claims_json": claims,
            "expected_token": token,
        })
        cases.append(case)
    return {
        "description": "Known-answer signing vectors: each case gives the signer inputs and the "
                       "exact header JSON, claims JSON and compact token (byte for byte) that "
                       "layer_signer_new + layer_signer_sign must produce (and layer_sign_token "
                       "too when one_shot is true). Cases with the same key and inputs in "
                       "different key forms have identical expected tokens. A case marked "
                       "abi 3 needs ABI 3's entry points (a token_type name, or a passphrase "
                       "given as bytes).",
        "generator": GENERATOR,
        "cases": cases,
    }
