"""Reference rules, used only to self-check the crafted vectors against the written policy:
the verifier's rules in README order, the attributes_json rules, the error rules of the C
calls, and the conventions of ABI 3's length-taking entry points. None of this comes from
layer-identity."""

import json
import re
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .common import ATTRIBUTE_ORDER, CTY, fail, FLAG_BITS, MAX_TOKEN_BYTES, MS_THRESHOLD
from .jsonfmt import hex_bytes, reject_constant, strict_json
from .b64 import b64u_decode_strict
from .keys import exponent_ok, tolerant_load_private, tolerant_load_public


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def valid_id(value, prefix):
    if value.startswith(prefix):
        value = value[len(prefix):]
    return bool(UUID_RE.fullmatch(value))


def metadata_claim_ok(value):
    """The metadata claim: absent or null, or an object whose values are all strings."""
    return value is None or (isinstance(value, dict)
                             and all(isinstance(v, str) for v in value.values()))


def reference_verify(token, pub, provider_id, key_id, expected_nonce, now, leeway):
    """Returns (status, eit, claims_json_or_None), following the rules in README.md order."""
    mal = "LAYER_ERR_MALFORMED_TOKEN"
    if len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        return mal, "eit_malformed_json", None
    parts = token.split(".")
    if len(parts) != 3:
        return mal, "eit_wrong_jws_part_count", None
    raw = [b64u_decode_strict(p) for p in parts]
    if any(r is None for r in raw):
        return mal, "eit_malformed_base64url", None
    hdr = strict_json(raw[0])
    if not isinstance(hdr, dict):
        return mal, "eit_malformed_json", None
    # Rule 5 in three passes over the whole header (never member by member): first the
    # presence of all four members, then their types, then extra members and values.
    required = ["typ", "alg", "cty", "kid"]
    if any(k not in hdr for k in required):
        return mal, "eit_header_param_not_found", None
    if any(not isinstance(hdr[k], str) for k in required):
        return mal, "eit_header_param_wrong_type", None
    if set(hdr) != set(required):
        return mal, "eit_header_param_wrong_value", None
    if hdr["alg"] != "RS256" or hdr["typ"] not in ("JWS", "JWT") or hdr["cty"] != CTY:
        return mal, "eit_header_param_wrong_value", None
    # Rule 6.
    if hdr["kid"] != key_id:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_key_not_found", None
    try:
        pub.verify(raw[2], (parts[0] + "." + parts[1]).encode("ascii"), padding.PKCS1v15(),
                   hashes.SHA256())
    except InvalidSignature:
        return "LAYER_ERR_BAD_SIGNATURE", "eit_signature_verification_failed", None
    claims = strict_json(raw[1])
    if not isinstance(claims, dict):
        return mal, "eit_malformed_json", None
    if any(k not in claims for k in ["iss", "prn", "iat", "exp", "nce"]):
        return mal, "eit_claim_not_found", None
    wrong = (not isinstance(claims["iss"], str)
             or not isinstance(claims["prn"], str) or claims["prn"] == ""
             or not isinstance(claims["nce"], str) or claims["nce"] == ""
             or type(claims["iat"]) is not int or type(claims["exp"]) is not int
             or any(claims.get(a) is not None and not isinstance(claims[a], str)
                    for a in ATTRIBUTE_ORDER)
             or not metadata_claim_ok(claims.get("metadata")))
    if wrong or claims["iat"] >= claims["exp"]:
        return mal, "eit_claim_wrong_type", None
    if claims["iss"] != provider_id:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_provider_not_found", None
    if now <= 0:
        now = int(time.time())
    if claims["exp"] <= now - leeway:
        return "LAYER_ERR_EXPIRED", "eit_expired", None
    if claims["iat"] > now + leeway:
        return "LAYER_ERR_NOT_YET_VALID", "eit_not_before", None
    if expected_nonce is not None and claims["nce"] != expected_nonce:
        return "LAYER_ERR_CLAIM_MISMATCH", "eit_nonce_not_found", None
    return "LAYER_OK", None, raw[1].decode("utf-8")


class _Members(dict):
    """A parsed JSON object that remembers which of its member names were duplicated."""
    dups = ()


def _members_hook(pairs):
    obj_ = _Members(pairs)
    names = [k for k, _ in pairs]
    obj_.dups = {k for k in names if names.count(k) > 1}
    return obj_


def attributes_problem(attributes_json):
    """Our reading of the attributes_json rules: None when valid, else the lowercase fragment
    the error message is guaranteed to hold: "duplicate" for a duplicated metadata name (the
    JSON reader reports it, maybe without naming metadata), "metadata" for a metadata fault,
    "attributes" for everything else (invalid JSON, a duplicated top-level member, a member
    that is not an attribute, an attribute that is not a string, null included)."""
    try:
        parsed = json.loads(attributes_json, object_pairs_hook=_members_hook,
                            parse_constant=reject_constant)
    except ValueError:
        return "attributes"
    if not isinstance(parsed, dict) or parsed.dups:
        return "attributes"
    for k, v in parsed.items():
        if k == "metadata":
            if v is None:
                continue
            if not isinstance(v, dict):
                return "metadata"
            if v.dups:
                return "duplicate"
            if any(name == "" or not isinstance(value, str) for name, value in v.items()):
                return "metadata"
        elif k not in ATTRIBUTE_ORDER or not isinstance(v, str):
            return "attributes"
    return None


def canonical_attributes(attributes_json):
    """(attributes in token order, metadata members sorted by name) of a valid attributes_json.
    An attribute given as the empty string is the same as an absent one: it is not written (in
    every ABI version). An empty or null metadata object gives no members (no "metadata" claim);
    an empty metadata value is a value like any other."""
    if attributes_json is None:
        return [], []
    if attributes_problem(attributes_json) is not None:
        fail("invalid attributes_json in a sign case: %r" % attributes_json)
    parsed = json.loads(attributes_json)
    attrs = [(k, parsed[k]) for k in ATTRIBUTE_ORDER if parsed.get(k, "") != ""]
    metadata = sorted((parsed.get("metadata") or {}).items(), key=lambda kv: kv[0])
    # Code-point order (Python's str order) is UTF-8 byte order; it is not UTF-16 order.
    assert metadata == sorted(metadata, key=lambda kv: kv[0].encode("utf-8"))
    return attrs, metadata


def passphrase_bytes(value):
    """A vector's passphrase as bytes: None (NULL), a string (its UTF-8) or {"hex": ...}."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        return hex_bytes(value)
    return value.encode("utf-8")


def reference_call(call, args, files, abi=2):
    """Our reading of the error rules; returns the status the library must give (or LAYER_OK).
    abi 3: the passphrase is bytes (never a UTF-8 fault); see reference_call_n for the rest."""
    def text(v):
        if isinstance(v, dict):
            try:
                return bytes.fromhex(v["hex"].replace(" ", "")).decode("utf-8")
            except UnicodeDecodeError:
                return "\x00INVALID_UTF8"
        return v

    def key_arg(a, inline, filekey):
        if filekey in a:
            return files[a[filekey]].decode("utf-8")
        return text(a[inline])

    if call == "generate_key_pair":
        bits = args["bits"] or 2048
        if bits > 16384:
            return "LAYER_ERR_INVALID_ARGUMENT"
        return "LAYER_ERR_WEAK_KEY" if bits < 2048 else "LAYER_OK"
    if call == "signer_sign":
        s = args["signer"]
        if reference_call("signer_new", s, files, abi) != "LAYER_OK":
            fail("signer_sign case with an invalid signer: %r" % s)
        vals = [text(args["user_id"]), text(args["nonce"])]
        attrs = text(args["attributes_json"])
        if None in vals:
            return "LAYER_ERR_NULL_ARGUMENT"
        if "\x00INVALID_UTF8" in vals + [attrs]:
            return "LAYER_ERR_INVALID_UTF8"
        if "" in vals or args["issued_at"] >= MS_THRESHOLD:
            return "LAYER_ERR_INVALID_ARGUMENT"
        if attrs is not None and attributes_problem(attrs) is not None:
            return "LAYER_ERR_INVALID_ARGUMENT"
        return "LAYER_OK"
    if call == "verifier_new":
        key = key_arg(args, "key", "key_file")
        passphrase = None
    else:
        key = key_arg(args, "private_key", "private_key_file")
        passphrase = (passphrase_bytes(args.get("passphrase")) if abi >= 3
                      else text(args.get("passphrase")))
    ids = [text(args["provider_id"]), text(args["key_id"])]
    others = []
    if call == "sign_token":
        others = [text(args["user_id"]), text(args["nonce"])]
    if None in [key] + ids + others:
        return "LAYER_ERR_NULL_ARGUMENT"
    if "\x00INVALID_UTF8" in [key, passphrase] + ids + others:
        return "LAYER_ERR_INVALID_UTF8"
    if call == "sign_token":
        flags = 0
        if "" in others or args["issued_at"] >= MS_THRESHOLD:
            return "LAYER_ERR_INVALID_ARGUMENT"
    elif "flags_value" in args:
        flags = args["flags_value"]
    else:
        flags = sum(FLAG_BITS[f] for f in args["flags"])
    if flags & ~3:
        return "LAYER_ERR_INVALID_ARGUMENT"
    if not valid_id(ids[0], "layer:///providers/") or not valid_id(ids[1], "layer:///keys/"):
        return "LAYER_ERR_INVALID_ARGUMENT"
    kb = key.encode("utf-8")
    try:
        if call == "verifier_new" and b"PUBLIC KEY" in kb:
            k = tolerant_load_public(kb)
        else:
            if b"ENCRYPTED" in kb:
                try:
                    k = tolerant_load_private(kb, passphrase)
                except (ValueError, TypeError):
                    return "LAYER_ERR_WRONG_PASSPHRASE"
            else:
                k = tolerant_load_private(kb, None)
    except Exception:  # noqa: BLE001
        return "LAYER_ERR_INVALID_KEY"
    if not isinstance(k, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) or not exponent_ok(k):
        return "LAYER_ERR_INVALID_KEY"
    if k.key_size < 1024 or (k.key_size < 2048 and not flags & 2):
        return "LAYER_ERR_WEAK_KEY"
    return "LAYER_OK"


U32_MAX = 2**32 - 1
# The text arguments of each ABI 3 entry point, in parameter order, as the C header names them.
# signer_sign's attributes and metadata are added by reference_call_n.
ABI3_TEXT_ARGS = {
    "sign_token": ["provider_id", "key_id", "user_id", "nonce"],
    "signer_new": ["provider_id", "key_id"],
    "signer_sign": ["user_id", "nonce"],
    "verifier_new": ["provider_id", "key_id"],
    "verifier_verify": ["token", "expected_nonce"],
    "token_type_flags": ["token_type"],
}
NULLABLE_TEXT_ARGS = {"expected_nonce"}


def token_type_flags(name):
    """The token type selector: "JWS" or "JWT" in any ASCII letter case (so not "JWſ", whose
    Unicode upper case is "JWS"), anything else refused. Returns the flag names, or None."""
    if not name.isascii() or name.upper() not in ("JWS", "JWT"):
        return None
    return ["TYP_JWT"] if name.upper() == "JWT" else []


def reference_call_n(call, args, files):
    """Our reading of ABI 3's length-taking entry points (layer_sign_token_n, ..._n,
    layer_token_type_flags) for an errors.json case marked "abi": 3. Returns (status, fragment):
    fragment names the argument at fault when the argument conventions decide, else None.

    Conventions, argument by argument: NULL where a value is required -> NULL_ARGUMENT; not
    UTF-8 -> INVALID_UTF8; U+0000 inside -> INVALID_ARGUMENT; then issued_at < 0, ttl_seconds
    < 0 or > UINT32_MAX, now < 0, leeway_seconds < 0 or > UINT32_MAX, an empty expected nonce
    -> INVALID_ARGUMENT, each naming its argument. Past them, the rules of the NUL-terminated
    calls apply unchanged (reference_call), the passphrase being bytes."""
    ARG = "LAYER_ERR_INVALID_ARGUMENT"

    class Fault(Exception):
        pass

    def text(name, value):
        if value is None:
            if name in NULLABLE_TEXT_ARGS or name in ATTRIBUTE_ORDER:
                return None
            raise Fault("LAYER_ERR_NULL_ARGUMENT", name)
        if isinstance(value, dict):
            try:
                value = hex_bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise Fault("LAYER_ERR_INVALID_UTF8", name) from None
        if "\x00" in value:
            raise Fault(ARG, name)
        return value

    try:
        decoded = {name: text(name, args[name]) for name in ABI3_TEXT_ARGS[call]}
        if call == "signer_sign":
            attributes = {name: text(name, value)
                          for name, value in (args["attributes"] or {}).items()}
            metadata = [(text("metadata_names", name), text("metadata_values", value))
                        for name, value in args["metadata"] or []]
    except Fault as fault:
        return fault.args
    if call in ("sign_token", "signer_sign"):
        if args["issued_at"] < 0:
            return ARG, "issued_at"
        if not 0 <= args["ttl_seconds"] <= U32_MAX:
            return ARG, "ttl_seconds"
    if call == "verifier_verify":
        if args["now"] < 0:
            return ARG, "now"
        if not 0 <= args["leeway_seconds"] <= U32_MAX:
            return ARG, "leeway_seconds"
        if decoded["expected_nonce"] == "":
            return ARG, "expected_nonce"
    # Past the conventions: the rules of the NUL-terminated calls.
    if call == "token_type_flags":
        if token_type_flags(decoded["token_type"]) is None:
            return ARG, "token_type"
        return "LAYER_OK", None
    if call == "verifier_verify":
        v = args["verifier"]
        if reference_call("verifier_new", v, files) != "LAYER_OK":
            fail("verifier_verify case with an invalid verifier: %r" % v)
        key_text = files[v["key_file"]]
        pub = (tolerant_load_public(key_text) if b"PUBLIC KEY" in key_text
               else tolerant_load_private(key_text, None).public_key())
        status, _, _ = reference_verify(decoded["token"], pub, v["provider_id"], v["key_id"],
                                        decoded["expected_nonce"], args["now"],
                                        args["leeway_seconds"])
        return status, None
    plain = dict(args)
    plain.update(decoded)
    if call == "signer_sign":
        doc = {k: v for k, v in attributes.items() if v is not None}
        if metadata:
            doc["metadata"] = dict(metadata)
        plain["attributes_json"] = json.dumps(doc) if doc else None
    return reference_call(call, plain, files, abi=3), None
