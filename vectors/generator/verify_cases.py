"""verify.json: tokens crafted to exercise each verifier rule (accept, reject, attack and order
cases), checked against the reference verifier."""

import base64
import datetime
import hashlib
import hmac

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from .common import (
    ATTRIBUTE_ORDER,
    CTY,
    EXP,
    fail,
    GENERATOR,
    IAT,
    KEY_UUID,
    KID,
    MAX_TOKEN_BYTES,
    NONCE,
    NOW,
    OTHER_KID,
    OTHER_PID,
    PID,
    PROVIDER_UUID,
    RFC7515_A2_TOKEN,
    USER)
from .jsonfmt import obj, S
from .b64 import b64u, b64u_decode_strict, b64u_len
from .keys import DER, public_pem_of
from .jws import make_jws, prb, ps256_deterministic, rs256
from .reference import reference_verify


def hm(typ="JWS", kid=KID, alg="RS256", cty=CTY):
    return [("typ", S(typ)), ("alg", S(alg)), ("cty", S(cty)), ("kid", S(kid))]


def cm(iss=PID, prn=USER, iat=IAT, exp=EXP, nce=NONCE):
    return [("iss", S(iss)), ("prn", S(prn)), ("iat", str(iat)), ("exp", str(exp)), ("nce", S(nce))]


def replace(members, name, raw):
    return [(k, raw if k == name else v) for k, v in members]


def remove(members, name):
    return [(k, v) for k, v in members if k != name]


def build_verify(files, keys):
    k2048, other = keys["rsa2048"], keys["rsa2048-other"]
    cases = []
    H, C = obj(hm()), obj(cm())
    good = make_jws(H, C, k2048)
    good_parts = good.split(".")
    good_sig = b64u_decode_strict(good_parts[2])

    def add(name, description, token, status, eit=None, key_file="keys/rsa2048.public.pem",
            provider_id=PID, key_id=KID, flags=None, expected_nonce=NONCE, now=NOW, leeway=0,
            claims=None):
        if status == "LAYER_OK" and claims is None:
            fail(name + ": accept case needs claims")
        cases.append({
            "name": name, "description": description, "token": token, "key_file": key_file,
            "provider_id": provider_id, "key_id": key_id, "flags": flags or [],
            "expected_nonce": expected_nonce, "now": now, "leeway_seconds": leeway,
            "expected_status": status, "expected_eit": eit,
            "expected_claims_json": claims if status == "LAYER_OK" else None,
        })

    def accept(name, description, header, claims, key=k2048, **kw):
        add(name, description, make_jws(header, claims, key), "LAYER_OK", claims=claims, **kw)

    MAL = "LAYER_ERR_MALFORMED_TOKEN"

    def reject_h(name, description, header_members_or_text, eit, claims=C, status=MAL, **kw):
        header = header_members_or_text if isinstance(header_members_or_text, (str, bytes)) \
            else obj(header_members_or_text)
        add(name, description, make_jws(header, claims, k2048), status, eit, **kw)

    def reject_c(name, description, claims_members_or_text, eit, status=MAL, header=H, **kw):
        claims = claims_members_or_text if isinstance(claims_members_or_text, (str, bytes)) \
            else obj(claims_members_or_text)
        add(name, description, make_jws(header, claims, k2048), status, eit, **kw)

    # ---------------- accept
    accept("accept-basic-typ-jws", "valid token as signed by default (typ JWS)", H, C)
    accept("accept-typ-jwt", "typ JWT is accepted as well as JWS", obj(hm(typ="JWT")), C)
    all_attrs = obj(cm() + [("first_name", S("Alice")), ("last_name", S("Liddell")),
                            ("display_name", S("Alice L.")),
                            ("avatar_url", S("https://cdn.example.com/avatars/alice.png"))])
    accept("accept-with-all-attributes", "identity attributes present as strings", H, all_attrs)
    accept("accept-with-non-ascii-attribute-and-user",
           "non-ASCII user id and attribute are returned as raw UTF-8 claims",
           H, obj(cm(prn="山田太郎 😀") + [("display_name", S("José \"Pepe\" Ñúñez\n"))]))
    accept("accept-bare-uuid-ids", "bare UUID provider and key IDs compared exactly",
           obj(hm(kid=KEY_UUID)), obj(cm(iss=PROVIDER_UUID)), provider_id=PROVIDER_UUID,
           key_id=KEY_UUID)
    accept("accept-uppercase-uuid-ids", "uppercase UUID IDs configured and present identically",
           obj(hm(kid=KEY_UUID.upper())), obj(cm(iss=PROVIDER_UUID.upper())),
           provider_id=PROVIDER_UUID.upper(), key_id=KEY_UUID.upper())
    accept("accept-rsa3072", "3072-bit key", H, C, key=keys["rsa3072"],
           key_file="keys/rsa3072.public.pem")
    accept("accept-rsa4096", "4096-bit key", H, C, key=keys["rsa4096"],
           key_file="keys/rsa4096.public.pem")
    accept("accept-verifier-key-is-private-pkcs8",
           "verifier configured with the private key (PKCS#8) derives the public key", H, C,
           key_file="keys/rsa2048.pkcs8.pem")
    accept("accept-verifier-key-is-private-pkcs1",
           "verifier configured with the private key (PKCS#1) derives the public key", H, C,
           key_file="keys/rsa2048.pkcs1.pem")
    accept("accept-exponent-3", "public exponent 3 (the smallest accepted)", H, C,
           key=keys["rsa2048-e3"], key_file="keys/rsa2048-e3.public.pem")
    accept("accept-exponent-4294967295", "public exponent 2^32 - 1 (the largest accepted)", H, C,
           key=keys["rsa2048-e-2pow32minus1"], key_file="keys/rsa2048-e-2pow32minus1.public.pem")
    accept("accept-exponent-3-verifier-key-is-private",
           "verifier configured with the e = 3 private key derives the public key", H, C,
           key=keys["rsa2048-e3"], key_file="keys/rsa2048-e3.pkcs8.pem")
    accept("accept-verifier-key-public-oneline",
           "verifier configured with the SPKI PEM flattened to one line (no line breaks)", H, C,
           key_file="keys/rsa2048.public.oneline.pem")
    accept("accept-verifier-key-private-pkcs8-spaces",
           "verifier configured with the PKCS#8 PEM whose line breaks became spaces", H, C,
           key_file="keys/rsa2048.pkcs8.spaces.pem")
    accept("accept-rsa1024-with-allow-flag", "legacy 1024-bit key admitted by ALLOW_1024_BIT_KEY",
           H, C, key=keys["rsa1024"], key_file="keys/rsa1024.public.pem",
           flags=["ALLOW_1024_BIT_KEY"])
    accept("accept-exp-one-second-after-now", "boundary: exp == now - leeway + 1 (leeway 0)",
           H, obj(cm(iat=NOW + 1 - 600, exp=NOW + 1)))
    accept("accept-iat-equals-now", "boundary: iat == now + leeway (leeway 0)",
           H, obj(cm(iat=NOW, exp=NOW + 600)))
    accept("accept-exp-boundary-with-leeway", "boundary: exp == now - leeway + 1 (leeway 60)",
           H, obj(cm(iat=NOW - 600, exp=NOW - 59)), leeway=60)
    accept("accept-iat-boundary-with-leeway", "boundary: iat == now + leeway (leeway 60)",
           H, obj(cm(iat=NOW + 60, exp=NOW + 660)), leeway=60)
    accept("accept-leeway-rescues-expired", "exp 30 s in the past is rescued by leeway 60",
           H, obj(cm(iat=NOW - 630, exp=NOW - 30)), leeway=60)
    accept("accept-expected-nonce-null", "no expected nonce: any non-empty nce accepted",
           H, obj(cm(nce="some-other-nonce")), expected_nonce=None)
    accept("accept-unknown-extra-claims-ignored", "unknown claims are ignored (RFC 7519 section 4)",
           H, obj(cm() + [("aud", S("layer")), ("x-custom", '{"nested":[1,2.5,null,true]}')]))
    accept("accept-header-members-other-order", "header members in any order",
           obj([("kid", S(KID)), ("cty", S(CTY)), ("alg", S("RS256")), ("typ", S("JWS"))]), C)
    accept("accept-claims-members-other-order", "claims members in any order",
           H, obj(list(reversed(cm()))))
    accept("accept-claims-not-compact",
           "non-compact (but valid) claims JSON is accepted and returned byte for byte",
           H, '{ "iss" : "%s",\r\n "prn": "%s", "iat": %d, "exp": %d, "nce": "%s" }\n'
           % (PID, USER, IAT, EXP, NONCE))
    accept("accept-claims-with-json-escapes",
           "escaped claim values are compared after decoding (nce \\u0063... equals expected)",
           H, obj(cm()).replace(S(NONCE), '"\\u0063' + NONCE[1:] + '"').replace(
               S(USER), '"alice\\u0040example.com\\/x"'))
    accept("accept-attribute-last-name-null",
           "an identity attribute that is null is treated as absent (the Ruby gem "
           "layer-identity_token wrote nil as null)", H, obj(cm() + [("last_name", "null")]))
    accept("accept-attributes-all-null", "all four identity attributes null: all absent", H,
           obj(cm() + [(a, "null") for a in ATTRIBUTE_ORDER]))
    accept("accept-attributes-null-among-strings", "null attributes next to string ones", H,
           obj(cm() + [("first_name", S("Alice")), ("last_name", "null"),
                       ("display_name", S("Alice")), ("avatar_url", "null")]))
    meta_claims = obj(cm() + [("first_name", S("Alice")),
                              ("metadata", obj([("account_id", S("42")), ("tier", S("gold"))]))])
    accept("accept-metadata-object", "metadata object of strings, as the signer emits it", H,
           meta_claims)
    accept("accept-metadata-null", "metadata null is treated as absent", H,
           obj(cm() + [("metadata", "null")]))
    accept("accept-metadata-empty-object", "metadata {} is accepted", H,
           obj(cm() + [("metadata", "{}")]))
    accept("accept-metadata-members-unsorted",
           "the verifier does not require sorted metadata names (only the signer sorts)", H,
           obj(cm() + [("metadata", obj([("zeta", S("1")), ("Alpha", S("2")), ("😀", S("3")),
                                         ("é", S("4"))]))]))
    accept("accept-metadata-escapes-and-empty-values",
           "metadata names and values with JSON escapes, an empty value, and a name that is "
           "also a claim's name",
           H, obj(cm())[:-1] + ',"metadata":{"caf\\u00e9":"na\\u00efve\\n","iss":"",'
           '"\\"q\\"":"x\\/y \\ud83d\\ude00"}}')
    accept("accept-iat-negative-zero",
           "iat written -0 is a JSON integer (value 0); exp still in the future", H,
           obj(replace(cm(exp=NOW + 500), "iat", "-0")))
    accept("accept-now-zero-uses-system-clock",
           "now 0 means the system clock; exp is 2100-01-01", H,
           obj(cm(exp=4102444800)), now=0)

    # Long tokens: the largest valid token <= 16384 bytes and one just over.
    def total_len(hdr, n, **kw):
        return (len(b64u(hdr)) + 1 + b64u_len(len(obj(cm(prn="x" * n, **kw)).encode())) + 1
                + len(good_parts[2]))

    def long_prn(n):
        return "".join("user%05d@example.com;" % i for i in range(n // 20 + 2))[:n]

    # (base64url never yields a segment of length 1 mod 4, so 16385 bytes exactly is reachable
    # with the bare-UUID header but not with the URI one; 16384 exactly with the URI one.)
    n_under = max(n for n in range(11000, 12500) if total_len(H, n) <= MAX_TOKEN_BYTES)
    long_ok = obj(cm(prn=long_prn(n_under)))
    tok_under = make_jws(H, long_ok, k2048)
    add("accept-long-token-%d-bytes" % len(tok_under),
        "largest valid token <= 16384 bytes (long user id) is accepted", tok_under, "LAYER_OK",
        claims=long_ok)
    H_bare = obj(hm(kid=KEY_UUID))
    n_over = min(n for n in range(11000, 12500)
                 if total_len(H_bare, n, iss=PROVIDER_UUID) == MAX_TOKEN_BYTES + 1)
    tok_over = make_jws(H_bare, obj(cm(iss=PROVIDER_UUID, prn=long_prn(n_over))), k2048)
    assert len(tok_over) == MAX_TOKEN_BYTES + 1

    # ---------------- rule 1: size
    add("reject-oversized-16385-bytes", "validly signed token of 16385 bytes exceeds 16 KiB",
        tok_over, MAL, "eit_malformed_json", provider_id=PROVIDER_UUID, key_id=KEY_UUID)
    long_two = b64u(H) + "." + b64u(obj(cm(prn=long_prn(n_over + 600))))
    assert len(long_two) > MAX_TOKEN_BYTES

    # ---------------- rule 2: part count
    add("reject-two-parts", "header.claims without signature part", ".".join(good_parts[:2]), MAL,
        "eit_wrong_jws_part_count")
    add("reject-four-parts", "an extra fourth segment", good + "." + good_parts[2], MAL,
        "eit_wrong_jws_part_count")
    add("reject-trailing-dot", "trailing dot makes four parts", good + ".", MAL,
        "eit_wrong_jws_part_count")
    add("reject-one-part", "no dot at all", good_parts[1], MAL, "eit_wrong_jws_part_count")
    jwe_hdr = obj([("alg", S("RSA-OAEP")), ("enc", S("A256GCM")), ("kid", S(KID))])
    jwe = ".".join([b64u(jwe_hdr), b64u(prb("jwe-cek", 256)), b64u(prb("jwe-iv", 12)),
                    b64u(prb("jwe-ct", 120)), b64u(prb("jwe-tag", 16))])
    add("reject-five-parts-jwe", "JWE compact serialization (5 parts) is not a JWS", jwe, MAL,
        "eit_wrong_jws_part_count")

    # ---------------- rule 3: base64url
    B64 = "eit_malformed_base64url"
    sig_std = base64.b64encode(good_sig).decode().rstrip("=")
    assert "+" in sig_std or "/" in sig_std
    add("reject-signature-standard-base64-alphabet", "signature uses + and / instead of - and _",
        ".".join(good_parts[:2] + [sig_std]), MAL, B64)
    add("reject-padding-on-signature", "signature segment carries = padding",
        good + "=" * (-len(good_parts[2]) % 4), MAL, B64)
    padded_claims_c = obj(cm(nce=NONCE + "x"))
    for _ in range(3):
        if len(padded_claims_c.encode()) % 3:
            break
        padded_claims_c = padded_claims_c.replace('"}', 'x"}')
    seg_c = b64u(padded_claims_c)
    pad_si = b64u(H) + "." + seg_c + "=" * (-len(seg_c) % 4)
    add("reject-padding-on-claims", "claims segment carries = padding (signature made over it)",
        pad_si + "." + b64u(rs256(k2048, pad_si.encode())), MAL, B64)
    # Non-canonical trailing bits: last char changed so lenient decoders give the same bytes.

    def noncanonical(seg):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        unused = {2: 4, 3: 2}[len(seg) % 4]
        idx = alphabet.index(seg[-1])
        assert idx & ((1 << unused) - 1) == 0
        out = seg[:-1] + alphabet[idx | 1]
        assert base64.urlsafe_b64decode(out + "=" * (-len(out) % 4)) == \
            base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
        return out
    add("reject-signature-noncanonical-trailing-bits",
        "last signature char has non-zero unused bits (same bytes when decoded leniently)",
        ".".join(good_parts[:2] + [noncanonical(good_parts[2])]), MAL, B64)
    nc_claims = padded_claims_c
    nc_seg = noncanonical(b64u(nc_claims))
    nc_si = b64u(H) + "." + nc_seg
    add("reject-claims-noncanonical-trailing-bits",
        "last claims char has non-zero unused bits; signature made over the altered text",
        nc_si + "." + b64u(rs256(k2048, nc_si.encode())), MAL, B64)
    add("reject-signature-length-1-mod-4", "signature truncated by one character (impossible length)",
        good[:-1] if len(good_parts[2][:-1]) % 4 == 1 else fail("length"), MAL, B64)
    sp_h = b64u(H)
    sp_h = sp_h[:10] + " " + sp_h[10:]
    sp_si = sp_h + "." + good_parts[1]
    add("reject-space-in-header", "a space inside the header segment",
        sp_si + "." + b64u(rs256(k2048, sp_si.encode())), MAL, B64)
    add("reject-trailing-newline", "token followed by a newline", good + "\n", MAL, B64)
    add("reject-invalid-character", "'*' inside the signature segment",
        good[:-5] + "*" + good[-4:], MAL, B64)
    add("reject-empty-header-segment", "header segment is empty",
        "." + good_parts[1] + "." + b64u(rs256(k2048, ("." + good_parts[1]).encode())), MAL, B64)
    add("reject-empty-claims-segment", "claims segment is empty",
        good_parts[0] + ".." + b64u(rs256(k2048, (good_parts[0] + ".").encode())), MAL, B64)
    add("reject-empty-signature-segment", "signature segment is empty (alg RS256)",
        ".".join(good_parts[:2]) + ".", MAL, B64)
    add("reject-all-segments-empty", "'..'", "..", MAL, B64)
    none_hdr = obj(hm(alg="none"))
    add("attack-alg-none-empty-signature",
        "alg none with empty signature: the empty segment is caught first (rule 3)",
        b64u(none_hdr) + "." + good_parts[1] + ".", MAL, B64)

    # ---------------- rule 4: header JSON
    JS = "eit_malformed_json"
    reject_h("reject-header-json-array", "header is a JSON array", '["JWS","RS256"]', JS)
    reject_h("reject-header-json-string", "header is a JSON string", '"RS256"', JS)
    reject_h("reject-header-json-null", "header is JSON null", "null", JS)
    reject_h("reject-header-invalid-json", "header JSON is truncated", H[:-1], JS)
    reject_h("reject-header-trailing-garbage", "header object followed by garbage", H + "x", JS)
    reject_h("reject-header-invalid-utf8", "header kid contains invalid UTF-8 bytes",
             H.encode().replace(KEY_UUID.encode(), KEY_UUID.encode() + b"\xc3\x28"), JS)
    reject_h("attack-duplicate-alg-member",
             "duplicate alg member: first RS256, second none",
             obj(hm() + [("alg", S("none"))]), JS)
    reject_h("reject-header-duplicate-typ-same-value", "duplicate typ with the same value",
             obj([("typ", S("JWS"))] + hm()), JS)
    reject_h("attack-duplicate-alg-via-unicode-escape",
             "duplicate alg spelled \\u0061lg: duplicates are detected after unescaping",
             H[:-1] + ',"\\u0061lg":"none"}', JS)

    # ---------------- rule 5: header parameters
    NF, WT, WV = "eit_header_param_not_found", "eit_header_param_wrong_type", \
        "eit_header_param_wrong_value"
    for name in ("typ", "alg", "cty", "kid"):
        reject_h("reject-header-missing-" + name, "header lacks " + name, remove(hm(), name), NF)
    reject_h("reject-header-empty-object", "header is {}", "{}", NF)
    reject_h("reject-header-typ-number", "typ is a number", replace(hm(), "typ", "1"), WT)
    reject_h("reject-header-alg-null", "alg is null", replace(hm(), "alg", "null"), WT)
    reject_h("reject-header-cty-array", "cty is an array", replace(hm(), "cty", '["%s"]' % CTY), WT)
    reject_h("reject-header-kid-object", "kid is an object",
             replace(hm(), "kid", '{"id":"%s"}' % KID), WT)
    attacker_pub = other.public_key().public_numbers()
    jwk = obj([("kty", S("RSA")),
               ("n", S(b64u(attacker_pub.n.to_bytes(256, "big")))),
               ("e", S(b64u(attacker_pub.e.to_bytes(3, "big"))))])
    add("attack-embedded-jwk", "header embeds the attacker's jwk, signed by the attacker key: stops at rule 5 (extra member)",
        make_jws(obj(hm() + [("jwk", jwk)]), C, other), MAL, WV)
    reject_h("attack-jku", "header has jku pointing at an attacker JWK set",
             hm() + [("jku", S("https://attacker.example/.well-known/jwks.json"))], WV)
    reject_h("attack-x5u", "header has x5u", hm() + [("x5u", S("https://attacker.example/c.pem"))],
             WV)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")]))
            .public_key(other.public_key()).serial_number(0x1A7E5)
            .not_valid_before(datetime.datetime(2023, 11, 14))
            .not_valid_after(datetime.datetime(2033, 11, 14))
            .sign(other, hashes.SHA256()))
    reject_h("attack-x5c", "header has x5c with an attacker self-signed certificate",
             hm() + [("x5c", "[" + S(base64.b64encode(cert.public_bytes(DER)).decode()) + "]")],
             WV)
    reject_h("attack-crit", "header has crit", hm() + [("crit", '["exp"]')], WV)
    reject_h("reject-header-extra-zip", "header has zip", hm() + [("zip", S("DEF"))], WV)
    reject_h("reject-header-extra-b64-false", "header has b64:false (RFC 7797)",
             hm() + [("b64", "false")], WV)
    reject_h("reject-header-extra-custom", "any unknown header member is rejected",
             hm() + [("x-layer", S("1"))], WV)
    hs_hdr = obj(hm(alg="HS256"))
    hs_si = b64u(hs_hdr) + "." + good_parts[1]
    hs_sig = hmac.new(files["keys/rsa2048.public.pem"], hs_si.encode(), hashlib.sha256).digest()
    add("attack-hs256-public-key-as-hmac-secret",
        "alg HS256, HMAC keyed with the public key PEM (key confusion): stops at rule 5 (alg)", hs_si + "." + b64u(hs_sig),
        MAL, WV)
    add("attack-alg-none-original-signature", "alg none with the original RS256 signature kept (signature no longer matches): stops at rule 5",
        b64u(none_hdr) + "." + good_parts[1] + "." + good_parts[2], MAL, WV)
    reject_h("reject-alg-none-resigned", "alg none (signed with the right key)", hm(alg="none"), WV)
    rs384_hdr = obj(hm(alg="RS384"))
    rs384_si = b64u(rs384_hdr) + "." + good_parts[1]
    add("reject-alg-rs384", "alg RS384 with a genuine RS384 signature",
        rs384_si + "." + b64u(k2048.sign(rs384_si.encode(), padding.PKCS1v15(), hashes.SHA384())),
        MAL, WV)
    ps_hdr = obj(hm(alg="PS256"))
    ps_si = b64u(ps_hdr) + "." + good_parts[1]
    salt = hashlib.sha256(b"layer-identity vectors PS256 salt").digest()
    add("reject-alg-ps256", "alg PS256 with a genuine PS256 signature",
        ps_si + "." + b64u(ps256_deterministic(k2048, ps_si.encode(), salt)), MAL, WV)
    reject_h("reject-alg-lowercase-rs256", "alg rs256 (case matters)", hm(alg="rs256"), WV)
    reject_h("reject-alg-rs256-trailing-space", "alg 'RS256 '", hm(alg="RS256 "), WV)
    for t in ("jwt", "JOSE", ""):
        label = {"jwt": "lowercase-jwt", "JOSE": "jose", "": "empty"}[t]
        reject_h("reject-typ-" + label, "typ %r is neither JWS nor JWT" % t,
                 hm(typ=t), WV)
    for label, c in (("v2", "layer-eit;v=2"), ("uppercase", "Layer-EIT;v=1"),
                     ("space", "layer-eit; v=1"), ("jwt", "JWT"), ("empty", "")):
        reject_h("reject-cty-" + label, "cty %r is not exactly %s" % (c, CTY), hm(cty=c), WV)

    # Many distinct short members just under 16 KiB: the worst case for the duplicate-member
    # check (rules 4 and 8 must look at every member before rule 5 or 9 may report anything).
    def members_filling(base, other_segment, dup_last):
        room = MAX_TOKEN_BYTES - len(other_segment) - len(good_parts[2]) - 2
        size = len(obj(base).encode())  # grows by len(',"<name>":0') per extra member
        extra = []
        while True:
            name = str(len(extra))
            grown = size + len(S(name)) + 3
            last = (len(S("0")) + 3) if dup_last else 0
            if b64u_len(grown + last) > room:
                break
            extra.append((name, "0"))
            size = grown
        if dup_last:
            extra.append((extra[0][0], "1"))
        members = base + extra
        assert b64u_len(len(obj(members).encode())) <= room
        return members

    many_h = members_filling(hm(), good_parts[1], False)
    reject_h("reject-header-%d-distinct-members" % len(many_h),
             "%d distinct header members (the four, then extra ones \"0\", \"1\", ...), token "
             "under 16 KiB and signed by the right key: stops at the first extra member"
             % len(many_h), many_h, WV)
    many_h_dup = members_filling(hm(), good_parts[1], True)
    reject_h("reject-header-%d-members-last-duplicate" % len(many_h_dup),
             "%d header members whose last one repeats the fifth: duplicate (rule 4) before "
             "the extra members (rule 5)" % len(many_h_dup), many_h_dup, JS)
    many_c = members_filling(cm(), good_parts[0], False)
    accept("accept-claims-%d-distinct-members" % len(many_c),
           "%d distinct claims (unknown ones ignored), token under 16 KiB" % len(many_c),
           H, obj(many_c))
    many_c_dup = members_filling(cm(), good_parts[0], True)
    reject_c("reject-claims-%d-members-last-duplicate" % len(many_c_dup),
             "%d claims whose last one repeats the sixth: duplicate member (rule 8)"
             % len(many_c_dup), many_c_dup, JS)

    # ---------------- rule 6: kid
    CM = "LAYER_ERR_CLAIM_MISMATCH"
    KNF = "eit_key_not_found"
    reject_h("reject-kid-other-key", "kid names another key", hm(kid=OTHER_KID), KNF, status=CM)
    reject_h("reject-kid-bare-uuid-vs-uri", "kid is the bare UUID, configured key ID is the URI",
             hm(kid=KEY_UUID), KNF, status=CM)
    reject_h("reject-kid-uppercase-vs-lowercase", "kid differs from the configured one in case only",
             hm(kid="layer:///keys/" + KEY_UUID.upper()), KNF, status=CM)
    reject_h("reject-kid-is-provider-id", "kid holds the provider ID", hm(kid=PID), KNF, status=CM)

    # ---------------- rule 7: signature
    BS, SVF = "LAYER_ERR_BAD_SIGNATURE", "eit_signature_verification_failed"
    add("reject-signed-by-other-key", "signed by a different 2048-bit key",
        make_jws(H, C, other), BS, SVF)
    tampered_c = obj(cm(prn="mallory@example.com"))
    add("reject-tampered-payload", "prn changed after signing, original signature kept",
        good_parts[0] + "." + b64u(tampered_c) + "." + good_parts[2], BS, SVF)
    add("reject-tampered-header", "typ changed JWS->JWT after signing",
        b64u(obj(hm(typ="JWT"))) + "." + good_parts[1] + "." + good_parts[2], BS, SVF)
    add("reject-signature-truncated", "signature missing its last byte (canonical encoding)",
        ".".join(good_parts[:2] + [b64u(good_sig[:-1])]), BS, SVF)
    add("reject-signature-extra-zero-byte", "signature with a trailing 0x00 byte (257 bytes)",
        ".".join(good_parts[:2] + [b64u(good_sig + b"\x00")]), BS, SVF)
    add("reject-signature-from-4096-key", "512-byte signature from the 4096-bit key",
        make_jws(H, C, keys["rsa4096"]), BS, SVF)
    add("reject-signature-all-zero", "256 zero bytes", ".".join(good_parts[:2] + [b64u(b"\0" * 256)]),
        BS, SVF)
    add("reject-signature-bit-flip", "one bit of the signature flipped",
        ".".join(good_parts[:2] + [b64u(good_sig[:100] + bytes([good_sig[100] ^ 1])
                                        + good_sig[101:])]), BS, SVF)
    hmac_rs_sig = hmac.new(files["keys/rsa2048.public.pem"], good.rsplit(".", 1)[0].encode(),
                           hashlib.sha256).digest()
    add("attack-hmac-signature-under-rs256-header",
        "HS256 key confusion with alg set back to RS256: HMAC(public key PEM) as signature",
        ".".join(good_parts[:2] + [b64u(hmac_rs_sig)]), BS, SVF)
    add("reject-ps256-signature-under-rs256-header",
        "a genuine PS256 signature with alg RS256 in the header",
        ".".join(good_parts[:2] + [b64u(ps256_deterministic(
            k2048, good.rsplit(".", 1)[0].encode(), salt))]), BS, SVF)
    add("reject-signature-of-other-token", "valid RS256 signature of a different token",
        ".".join(good_parts[:2] + [make_jws(H, obj(cm(nce="other")), k2048).split(".")[2]]),
        BS, SVF)

    # ---------------- rule 8: claims JSON
    reject_c("reject-claims-json-array", "claims is a JSON array", "[1,2]", JS)
    reject_c("reject-claims-json-string", "claims is a JSON string", '"alice"', JS)
    reject_c("reject-claims-invalid-json", "claims JSON truncated", C[:-1], JS)
    reject_c("reject-claims-invalid-utf8", "claims prn contains invalid UTF-8",
             C.encode().replace(b"alice", b"al\xffice"), JS)
    reject_c("attack-duplicate-prn-claim", "two prn members (alice, then admin)",
             obj(cm() + [("prn", S("admin"))]), JS)
    reject_c("reject-claims-duplicate-iss-via-escape", "iss and \\u0069ss both present",
             C[:-1] + ',"\\u0069ss":"%s"}' % OTHER_PID, JS)
    reject_c("reject-claims-duplicate-in-unknown-nested-claim",
             "duplicate member inside an otherwise ignored unknown claim",
             obj(cm() + [("ext", '{"a":1,"a":2}')]), JS)
    reject_c("reject-claims-metadata-duplicate-member",
             "duplicate member inside metadata (rule 8, not rule 9)",
             obj(cm() + [("metadata", '{"plan":"pro","plan":"free"}')]), JS)
    reject_c("reject-claims-metadata-duplicate-via-escape",
             "metadata has plan and pl\\u0061n (duplicates are detected after unescaping)",
             obj(cm() + [("metadata", '{"plan":"pro","pl\\u0061n":"free"}')]), JS)
    reject_c("reject-claims-duplicate-metadata-claim", "two metadata claims",
             obj(cm() + [("metadata", '{"a":"1"}'), ("metadata", '{"b":"2"}')]), JS)
    reject_c("reject-claims-nan", "claims contain NaN (not JSON)",
             obj(cm() + [("score", "NaN")]), JS)

    # ---------------- rule 9: claims presence and types
    CNF, CWT = "eit_claim_not_found", "eit_claim_wrong_type"
    for name in ("iss", "prn", "iat", "exp", "nce"):
        reject_c("reject-claims-missing-" + name, "claims lack " + name, remove(cm(), name), CNF)
    reject_c("reject-claims-empty-object", "claims is {}", "{}", CNF)
    wrong = [
        ("iss-number", "iss", "42"), ("prn-number", "prn", "12345"), ("prn-null", "prn", "null"),
        ("nce-array", "nce", '["%s"]' % NONCE), ("prn-empty", "prn", '""'),
        ("nce-empty", "nce", '""'), ("iat-float", "iat", "1700000000.0"),
        ("iat-exponent", "iat", "1.7e9"), ("iat-string", "iat", '"1700000000"'),
        ("exp-true", "exp", "true"), ("exp-null", "exp", "null"),
        ("exp-float-fraction", "exp", "1700000600.5"),
    ]
    for label, name, raw in wrong:
        reject_c("reject-claims-" + label, "%s is %s" % (name, raw), replace(cm(), name, raw), CWT)
    for attr, raw in (("first_name", "1"), ("last_name", "false"), ("display_name", '{"a":"b"}'),
                      ("avatar_url", '["https://example.com/a.png"]')):
        reject_c("reject-claims-attribute-%s-not-string" % attr.replace("_", "-"),
                 "identity attribute %s is %s" % (attr, raw), cm() + [(attr, raw)], CWT)
    for label, raw in (("string", S("plan=pro")), ("array", '[["plan","pro"]]'), ("number", "1"),
                       ("true", "true"), ("value-number", '{"plan":"pro","seats":5}'),
                       ("value-null", '{"plan":null}'), ("value-object", '{"plan":{"a":"b"}}'),
                       ("value-array", '{"plan":["pro"]}'), ("value-boolean", '{"beta":false}')):
        reject_c("reject-claims-metadata-" + label, "metadata is %s" % raw,
                 cm() + [("metadata", raw)], CWT)
    reject_c("reject-claims-iat-negative-zero-float", "iat -0.0 is not a JSON integer",
             replace(cm(), "iat", "-0.0"), CWT)
    reject_c("reject-claims-iat-equals-exp", "iat == exp", cm(iat=IAT, exp=IAT), CWT)
    reject_c("reject-claims-iat-after-exp", "iat > exp", cm(iat=EXP, exp=IAT), CWT)

    # ---------------- rule 10: iss
    PNF = "eit_provider_not_found"
    reject_c("reject-iss-other-provider", "iss names another provider", cm(iss=OTHER_PID), PNF,
             status=CM)
    reject_c("reject-iss-bare-uuid-vs-uri", "iss is the bare UUID, configured provider is the URI",
             cm(iss=PROVIDER_UUID), PNF, status=CM)
    reject_c("reject-iss-is-key-id", "iss holds the key ID", cm(iss=KID), PNF, status=CM)
    reject_c("reject-iss-empty-string", "iss is an empty string (a string, so rule 10 applies)",
             cm(iss=""), PNF, status=CM)

    # ---------------- rule 11: exp
    EXPD = "LAYER_ERR_EXPIRED"
    reject_c("reject-expired-exp-equals-now", "exp == now (leeway 0)", cm(iat=NOW - 600, exp=NOW),
             "eit_expired", status=EXPD)
    reject_c("reject-expired-one-second-ago", "exp == now - 1", cm(iat=NOW - 601, exp=NOW - 1),
             "eit_expired", status=EXPD)
    reject_c("reject-expired-exp-equals-now-minus-leeway", "exp == now - leeway (leeway 60)",
             cm(iat=NOW - 660, exp=NOW - 60), "eit_expired", status=EXPD, leeway=60)
    reject_c("reject-expired-exp-negative-zero",
             "exp written -0 is the integer 0, long past; iat -600 < exp, so only rule 11 fails",
             replace(cm(iat=-600), "exp", "-0"), "eit_expired", status=EXPD)
    reject_c("reject-expired-long-ago", "token from 2020",
             cm(iat=1577836800, exp=1577837400), "eit_expired", status=EXPD)
    reject_c("reject-expired-now-zero-system-clock",
             "now 0 means the system clock; exp 2023-11-14 is in the past", C, "eit_expired",
             status=EXPD, now=0)

    # ---------------- rule 12: iat
    NYV = "LAYER_ERR_NOT_YET_VALID"
    reject_c("reject-not-yet-valid-iat-now-plus-1", "iat == now + 1 (leeway 0)",
             cm(iat=NOW + 1, exp=NOW + 601), "eit_not_before", status=NYV)
    reject_c("reject-not-yet-valid-beyond-leeway", "iat == now + leeway + 1 (leeway 60)",
             cm(iat=NOW + 61, exp=NOW + 661), "eit_not_before", status=NYV, leeway=60)
    reject_c("reject-not-yet-valid-far-future", "iat in 2100",
             cm(iat=4102444800, exp=4102445400), "eit_not_before", status=NYV)

    # ---------------- rule 13: nonce
    NNF = "eit_nonce_not_found"
    reject_c("reject-nonce-different", "nce differs from the expected nonce",
             cm(nce="bm90LXRoZS1leHBlY3RlZC1ub25jZQ"), NNF, status=CM)
    reject_c("reject-nonce-case-differs", "nce differs only in case", cm(nce=NONCE.lower()), NNF,
             status=CM)
    reject_c("reject-nonce-prefix", "nce is a prefix of the expected nonce", cm(nce=NONCE[:-1]),
             NNF, status=CM)
    reject_c("reject-nonce-trailing-space", "nce has a trailing space", cm(nce=NONCE + " "), NNF,
             status=CM)

    # ---------------- RFC 7515 A.2
    add("reject-rfc7515-a2-example",
        "RFC 7515 A.2 token (valid RS256 signature) lacks typ, cty and kid", RFC7515_A2_TOKEN, MAL,
        NF, key_file="keys/rfc7515-a2.public.pem")

    # ---------------- order (several faults; the earliest rule in the list wins)
    add("order-oversized-beats-part-count", "over 16 KiB and only 2 parts: rule 1 wins",
        long_two, MAL, "eit_malformed_json")
    # Rule 5 is three passes over the whole header: presence, then types, then extra members
    # and values; kid (rule 6) after all of them.
    reject_h("order-header-missing-kid-beats-typ-type",
             "typ is a number and kid is missing: presence (not_found) before types",
             remove(replace(hm(), "typ", "1"), "kid"), NF)
    reject_h("order-header-missing-cty-beats-typ-null",
             "typ null and cty missing: not_found, although typ comes first",
             remove(replace(hm(), "typ", "null"), "cty"), NF)
    reject_h("order-header-missing-beats-extra-member",
             "an extra member before a missing alg: not_found",
             [("x-layer", S("1"))] + remove(hm(), "alg"), NF)
    reject_h("order-header-alg-type-beats-extra-member",
             "an extra member (written first) and alg a number: wrong_type",
             [("x-layer", S("1"))] + replace(hm(), "alg", "256"), WT)
    reject_h("order-header-kid-type-beats-alg-value",
             "alg none and kid a number: types before values (wrong_type)",
             replace(hm(alg="none"), "kid", "42"), WT)
    reject_h("order-header-extra-member-beats-kid",
             "an extra member and a kid mismatch: wrong_value (rule 5) before key_not_found",
             hm(kid=OTHER_KID) + [("zip", S("DEF"))], WV)
    reject_h("order-header-typ-value-beats-kid", "typ JOSE and a kid mismatch: wrong_value",
             hm(typ="JOSE", kid=OTHER_KID), WV)
    add("order-kid-beats-signature", "kid mismatch and signed by another key: rule 6 wins",
        make_jws(obj(hm(kid=OTHER_KID)), C, other), CM, KNF)
    add("order-signature-beats-claims-json",
        "claims invalid JSON and signed by another key: signature checked first (rule 7)",
        make_jws(H, C[:-1], other), BS, SVF)
    add("order-signature-beats-expired", "expired and signed by another key: rule 7 wins",
        make_jws(H, obj(cm(iat=1577836800, exp=1577837400)), other), BS, SVF)
    reject_c("order-claim-type-beats-iss", "iat float and wrong iss: rule 9 wins",
             replace(cm(iss=OTHER_PID), "iat", "1700000000.0"), CWT)
    reject_c("order-iat-ge-exp-beats-expired-negative-zero",
             "iat 0 and exp -0 (also 0): iat >= exp is rule 9, before expired (rule 11)",
             replace(cm(iat=0), "exp", "-0"), CWT)
    reject_c("order-metadata-type-beats-iss", "metadata a string and wrong iss: rule 9 wins",
             cm(iss=OTHER_PID) + [("metadata", S("pro"))], CWT)
    reject_c("order-iss-beats-expired", "wrong iss and expired: rule 10 wins",
             cm(iss=OTHER_PID, iat=1577836800, exp=1577837400), PNF, status=CM)
    reject_c("order-expired-beats-nonce", "expired and wrong nonce: rule 11 wins",
             cm(iat=NOW - 601, exp=NOW - 1, nce="other"), "eit_expired", status=EXPD)
    reject_c("order-not-before-beats-nonce", "not yet valid and wrong nonce: rule 12 wins",
             cm(iat=NOW + 1, exp=NOW + 601, nce="other"), "eit_not_before", status=NYV)

    check_verify(cases, files, keys)
    return {
        "description": "Verifier vectors: tokens crafted by the generator; layer_verifier_new(key, "
                       "provider_id, key_id, flags) then layer_verifier_verify(token, "
                       "expected_nonce, now, leeway_seconds) must give expected_status, an error "
                       "message starting with expected_eit, and on LAYER_OK exactly "
                       "expected_claims_json. Rules are checked in the order given in README.md; "
                       "each reject-/attack- case violates one rule (see its description), "
                       "order- cases violate several.",
        "generator": GENERATOR,
        "cases": cases,
    }


def check_verify(cases, files, keys):
    names = set()
    for c in cases:
        if c["name"] in names:
            fail("duplicate verify case name " + c["name"])
        names.add(c["name"])
        pub = serialization.load_pem_public_key(public_pem_of(files[c["key_file"]]))
        if pub.key_size < 2048 and "ALLOW_1024_BIT_KEY" not in c["flags"]:
            fail(c["name"] + ": weak key without flag")
        status, eit, claims = reference_verify(c["token"], pub, c["provider_id"], c["key_id"],
                                               c["expected_nonce"], c["now"], c["leeway_seconds"])
        if (status, eit, claims) != (c["expected_status"], c["expected_eit"],
                                     c["expected_claims_json"]):
            fail("%s: reference verifier gives %s/%s, case says %s/%s"
                 % (c["name"], status, eit, c["expected_status"], c["expected_eit"]))
