#!/usr/bin/python3
"""Write tests/endpoint/cases.json, the shared HTTP cases of the identity-token endpoint.

Usage:
    /usr/bin/python3 tests/endpoint/generate_cases.py           # (re)write cases.json
    /usr/bin/python3 tests/endpoint/generate_cases.py --check   # exit 1 if cases.json differs

cases.json is data that every language's tests read; this script is where the cases are
written down (several bodies hold 2048-byte strings, which nobody should type by hand).
The format is described in tests/endpoint/README.md ("cases.json"). Deterministic: running
it twice gives identical files. Standard library only.
"""

import argparse
import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_PATH = os.path.join(HERE, "cases.json")

MAX_BODY_BYTES = 65536
MAX_FIELD_BYTES = 2048
ATTRIBUTES = ["first_name", "last_name", "display_name", "avatar_url"]

# A Layer nonce is base64 text, so it may hold "+", "/" and "=".
NONCE = "Zk3v+Qm/9tLwR2bN8cXy1A=="
USER = "alice@example.com"
OK_TOKEN = {"prn": USER, "nce": NONCE}

JSON = [["Content-Type", "application/json"]]
FORM = [["Content-Type", "application/x-www-form-urlencoded"]]
VALID = {"nonce": NONCE, "user_id": USER}
# VALID as exact bytes, for the cases whose own Content-Length depends on the body's length.
VALID_TEXT = '{"nonce":"%s","user_id":"%s"}' % (NONCE, USER)

# The authenticate functions a case can ask for: run each case against the endpoint mounted
# with its kind. Written into cases.json, so that every reader has the same list.
AUTHENTICATORS = {
    "demo": "The demo authenticator: the body's user_id under the field rules (400 missing_field / "
            "invalid_field when it fails them).",
    "demo_wrapped": "The application's own authenticate, which calls the demo authenticator and "
                    "returns its result (its refusal propagates as the language propagates "
                    "failures): the same answers as demo.",
    "reject": "Always refuses, by any means that the contract answers with 401 (returns nothing, "
              "or fails).",
    "none": "Returns nothing: nil / None / null or undefined / an empty Optional; Go: \"\" with a "
            "nil error.",
    "empty": "Returns the empty string \"\".",
    "throws": "Fails: raises / throws / returns an error (Go: a non-nil error) whose message is "
              "\"no session cookie\".",
    "integer": "Returns the integer 42 (Ruby, Python and Node only: Go and Java cannot express it).",
    "not_a_user_id": "Returns a value that is neither a user ID, nothing, nor an integer, chosen by "
                     "the body's user_id: \"boolean\" -> true, \"float\" -> 42.5, \"list\" -> "
                     "[\"alice\"] (Ruby, Python and Node only: Go and Java cannot express it).",
}

CASES = []


def add(name, description, method, path, headers, body, status, *, error_code=None,
        allow=None, token=None, json_body=None, message=None, message_contains=None,
        server_may_refuse=False, server_may_route=False, authenticator="demo"):
    """Appends one case; `body` is a body object of the format (or None: no body at all)."""
    if any(case["name"] == name for case in CASES):
        raise SystemExit(f"duplicate case name {name}")
    if authenticator not in AUTHENTICATORS:
        raise SystemExit(f"case {name}: unknown authenticator {authenticator}")
    expected = {"status": status, "error_code": error_code, "allow": allow, "token": token}
    if json_body is not None:
        expected["json"] = json_body
    if message is not None:
        expected["message"] = message
    if message_contains is not None:
        expected["message_contains"] = message_contains
    if server_may_refuse:
        expected["server_may_refuse"] = True
    if server_may_route:
        expected["server_may_route"] = True
    CASES.append({
        "name": name,
        "description": description,
        "authenticator": authenticator,
        "request": {"method": method, "path": path, "headers": headers, "body": body},
        "expected": expected,
    })


def text(value):
    return {"text": value}


def as_json(value):
    return {"json": value}


def raw(data):
    """Raw bytes (for bodies that are not UTF-8)."""
    return {"base64": base64.b64encode(data).decode("ascii")}


def form(*pairs):
    return {"form": [list(pair) for pair in pairs]}


def error(name, description, body, code, field=None, *, headers=JSON, method="POST",
          path="/identity-token", status=400, message_contains=None, **extra):
    """A POST /identity-token case that must fail with `code`; `field` must be named."""
    add(name, description, method, path, headers, body, status, error_code=code,
        message_contains=message_contains if message_contains is not None else field, **extra)


def token(name, description, body, claims=None, *, headers=JSON, path="/identity-token",
          authenticator="demo"):
    """A POST case that must succeed with a token carrying `claims` (and no other attribute)."""
    add(name, description, "POST", path, headers, body, 200, token=claims or dict(OK_TOKEN),
        authenticator=authenticator)


def with_fields(**fields):
    """VALID with fields replaced; a value of ... removes the field."""
    body = dict(VALID)
    for name, value in fields.items():
        if value is ...:
            body.pop(name)
        else:
            body[name] = value
    return body


def utf8_len(value):
    return len(value.encode("utf-8"))


def routing():
    add("healthz_get", "GET /healthz answers {\"status\":\"ok\"}.",
        "GET", "/healthz", [], None, 200, json_body={"status": "ok"})
    add("healthz_head", "HEAD /healthz answers 200 with the headers of GET and no body.",
        "HEAD", "/healthz", [], None, 200)
    add("healthz_query_string", "A query string is not part of the path: GET /healthz?probe=1 is /healthz.",
        "GET", "/healthz?probe=1", [], None, 200, json_body={"status": "ok"})
    for method in ["POST", "OPTIONS"]:
        add(f"healthz_{method.lower()}",
            f"{method} /healthz is a known path with the wrong method: 405, Allow: GET, HEAD.",
            method, "/healthz", JSON if method != "OPTIONS" else [],
            as_json(VALID) if method != "OPTIONS" else None, 405,
            error_code="method_not_allowed", allow="GET, HEAD")

    add("identity_token_get", "GET /identity-token: 405 with Allow: POST.",
        "GET", "/identity-token", [], None, 405, error_code="method_not_allowed", allow="POST")
    add("identity_token_head", "HEAD /identity-token: 405 with Allow: POST, and (HEAD) no body.",
        "HEAD", "/identity-token", [], None, 405, error_code="method_not_allowed", allow="POST")
    add("identity_token_put_valid_body",
        "PUT with a body that POST would accept is still 405: only POST mints tokens.",
        "PUT", "/identity-token", JSON, as_json(VALID), 405,
        error_code="method_not_allowed", allow="POST")
    add("identity_token_delete_bad_content_type",
        "The method is checked before the content type: DELETE with text/plain is 405, not 415.",
        "DELETE", "/identity-token", [["Content-Type", "text/plain"]], text("hello"), 405,
        error_code="method_not_allowed", allow="POST")
    add("identity_token_options",
        "OPTIONS is another method (the endpoint does no CORS): 405 with Allow: POST.",
        "OPTIONS", "/identity-token", [], None, 405, error_code="method_not_allowed", allow="POST")

    add("not_found_unknown_path_with_valid_body",
        "An unknown path is 404 whatever the method and body (the path is checked first).",
        "POST", "/token", JSON, as_json(VALID), 404, error_code="not_found")
    add("not_found_trailing_slash", "/identity-token/ is a different path: 404, not a token.",
        "POST", "/identity-token/", JSON, as_json(VALID), 404, error_code="not_found")
    add("not_found_healthz_trailing_slash", "/healthz/ is a different path: 404.",
        "GET", "/healthz/", [], None, 404, error_code="not_found")
    add("not_found_case_sensitive", "Paths are case-sensitive: /Identity-Token is 404.",
        "POST", "/Identity-Token", JSON, as_json(VALID), 404, error_code="not_found")
    add("not_found_head", "HEAD on an unknown path: 404 and (HEAD) no body.",
        "HEAD", "/nope", [], None, 404, error_code="not_found")
    add("not_found_double_slash",
        "//identity-token is an origin-form target with the path //identity-token (never an "
        "authority followed by an empty path): 404.",
        "POST", "//identity-token", JSON, as_json(VALID), 404, error_code="not_found",
        server_may_route=True)

    token("absolute_form_identity_token",
          "A target in absolute form (RFC 9112 section 3.2.2, what a client sends to a proxy) is "
          "routed by its path: POST http://127.0.0.1:8080/identity-token is /identity-token, whatever "
          "the authority.",
          as_json(VALID), path="http://127.0.0.1:8080/identity-token")
    token("absolute_form_query_string",
          "In absolute form too, the path ends at the first '?': http://127.0.0.1/identity-token?a=b "
          "is /identity-token.",
          as_json(VALID), path="http://127.0.0.1/identity-token?source=app")
    add("absolute_form_healthz", "GET http://localhost/healthz is GET /healthz.",
        "GET", "http://localhost/healthz", [], None, 200, json_body={"status": "ok"})
    add("absolute_form_unknown_path",
        "An absolute-form target whose path is unknown is 404 (the whole target is not a path "
        "either: neither is known).",
        "POST", "http://127.0.0.1/token", JSON, as_json(VALID), 404, error_code="not_found")

    token("query_string_ignored", "POST /identity-token?source=app is /identity-token.",
          as_json(VALID), path="/identity-token?source=app")
    error("query_parameters_are_not_fields",
          "Fields come only from the body: a nonce and user_id in the query string are not read "
          "(an empty form body is missing the nonce).",
          text(""), "missing_field", "nonce", headers=FORM,
          path="/identity-token?nonce=abc&user_id=alice")


def content_types():
    for name, value, description in [
        ("ct_json_charset_utf8", "application/json; charset=utf-8", "A charset=utf-8 parameter is allowed."),
        ("ct_json_upper_case", "APPLICATION/JSON", "The media type is compared case-insensitively."),
        ("ct_json_mixed_case_quoted_charset", 'Application/Json;Charset="UTF-8"',
         "Parameter names and the charset value are case-insensitive; a quoted value is the same value."),
        ("ct_json_other_parameter_and_spaces", "application/json ; version=1",
         "Parameters other than charset are ignored; spaces around ';' are allowed."),
    ]:
        token(name, description, as_json(VALID), headers=[["Content-Type", value]])
    token("ct_form_charset_utf8", "Form bodies accept charset=utf-8 too.",
          form(*VALID.items()), headers=[["Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"]])

    for name, value, description in [
        ("ct_json_latin1", "application/json; charset=latin-1", "Any charset but utf-8 is 415."),
        ("ct_json_utf8_alias", "application/json; charset=utf8",
         "Only the name utf-8 is accepted (case-insensitively); aliases such as utf8 are 415."),
        ("ct_text_plain", "text/plain", "text/plain is 415 even when the body is valid JSON."),
        ("ct_multipart", "multipart/form-data; boundary=XyZ", "multipart/form-data is not supported: 415."),
        ("ct_json_patch", "application/json-patch+json",
         "The media type is compared whole, not by prefix: application/json-patch+json is 415."),
    ]:
        error(name, description, as_json(VALID), "unsupported_media_type",
              headers=[["Content-Type", value]], status=415)
    for name, value, description in [
        ("ct_json_parameter_without_value", "application/json; charset",
         "A parameter is name=value: charset without a value is 415, not a default charset."),
        ("ct_json_other_parameter_without_value", "application/json; version",
         "Every parameter is name=value, not only charset: a parameter without a value is 415."),
    ]:
        error(name, description, as_json(VALID), "unsupported_media_type",
              headers=[["Content-Type", value]], status=415)
    token("ct_json_empty_parameter",
          "An empty parameter (nothing after the ';') is allowed: application/json; is application/json.",
          as_json(VALID), headers=[["Content-Type", "application/json;"]])
    error("ct_missing", "No Content-Type header at all is 415, even with a valid JSON body.",
          as_json(VALID), "unsupported_media_type", headers=[], status=415)
    error("ct_form_with_json_body",
          "The declared type decides the parser, never sniffing: a JSON text sent as a form is one "
          "form name with no value, so the nonce is missing.",
          as_json(VALID), "missing_field", "nonce", headers=FORM)
    error("ct_checked_before_size",
          "The content type is checked before the size: 70000 bytes of text/plain are 415, not 413.",
          {"repeat": {"text": "a", "count": 70000}}, "unsupported_media_type",
          headers=[["Content-Type", "text/plain"]], status=415)


def sizes():
    prefix = '{"nonce":"%s","user_id":"%s","padding":"' % (NONCE, USER)
    suffix = '"}'
    fill = MAX_BODY_BYTES - len(prefix) - len(suffix)
    token("size_exactly_65536_bytes",
          "A body of exactly 65536 bytes is allowed (an unknown field pads it; unknown fields have "
          "no length limit).",
          {"repeat": {"text": "a", "count": fill, "prefix": prefix, "suffix": suffix}})
    error("size_65537_bytes", "One byte more than 65536 is 413.",
          {"repeat": {"text": "a", "count": fill + 1, "prefix": prefix, "suffix": suffix}},
          "body_too_large", status=413)
    error("size_70000_bytes_not_json",
          "The size is checked before parsing: 70000 bytes that are not JSON are 413, not 400.",
          {"repeat": {"text": "a", "count": 70000, "prefix": '{"nonce":"', "suffix": ""}},
          "body_too_large", status=413)
    error("size_declared_content_length",
          "Content-Length: 1000000 is refused from the header alone: the client sends only 2 bytes "
          "and waits, so a server that reads the body first never answers.",
          text("{}"), "body_too_large",
          headers=JSON + [["Content-Length", "1000000"]], status=413)
    for declared in [MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES]:
        error(f"size_declared_{declared}_no_body",
              f"Content-Length: {declared} with no body sent: 413 at once, from the header alone (a "
              "server that reads or drains the body before answering waits for bytes that never come).",
              None, "body_too_large", headers=JSON + [["Content-Length", str(declared)]], status=413)


def content_lengths():
    length = len(VALID_TEXT.encode("utf-8"))
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in str(length))
    refused = "A Content-Length that is not 1*DIGIT makes the request's framing unknown: 400 " \
              "invalid_request with Connection: close (or the HTTP server's own 400, RFC 9112 section 6.3). "
    for name, value, body, description in [
        ("content_length_plus_sign", f"+{length}", VALID_TEXT,
         f"'+{length}' has a sign (parsers such as Java's Long.parseLong read it as {length}, and "
         "the valid body would then be answered with a token)."),
        ("content_length_superscript_digit", "\u00b2", "{}",
         "'\u00b2' (SUPERSCRIPT TWO, sent as UTF-8) is a digit to Python's str.isdigit, but not an ASCII digit."),
        ("content_length_arabic_indic_digits", arabic_indic, VALID_TEXT,
         f"'{arabic_indic}' (ARABIC-INDIC DIGITs, sent as UTF-8) is {length} to Python's int and "
         "Java's Long.parseLong, but not ASCII digits."),
        ("content_length_list", f"{length},{length}", VALID_TEXT,
         "A list of equal values (which RFC 9110 section 8.6 lets a recipient collapse) is refused: "
         "one length, digits only."),
        ("content_length_empty", "", VALID_TEXT,
         "An empty Content-Length is not 0 and not absent."),
    ]:
        error(name, refused + description, text(body), "invalid_request",
              headers=JSON + [["Content-Length", value]], server_may_refuse=True)
    error("content_length_checked_after_content_type",
          "The Content-Length is checked with the size, after the content type: text/plain with "
          f"Content-Length: +{length} is 415 (or the HTTP server's own 400).",
          text(VALID_TEXT), "unsupported_media_type",
          headers=[["Content-Type", "text/plain"], ["Content-Length", f"+{length}"]], status=415,
          server_may_refuse=True)
    token("content_length_leading_zeros",
          f"1*DIGIT allows leading zeros: Content-Length: 00{length} is {length}.",
          text(VALID_TEXT), headers=JSON + [["Content-Length", f"00{length}"]])


def parsing():
    for name, body, description in [
        ("json_truncated", text('{"nonce":'), "Not JSON: 400 invalid_json."),
        ("json_empty_body", text(""), "An empty body is not JSON."),
        ("json_array", text('["%s"]' % NONCE), "A JSON array is not an object."),
        ("json_string", text('"%s"' % NONCE), "A JSON string is not an object."),
        ("json_number", text("42"), "A JSON number is not an object."),
        ("json_null", text("null"), "JSON null is not an object."),
        ("json_trailing_data", text('{"nonce":"%s","user_id":"%s"} {}' % (NONCE, USER)),
         "One JSON value and nothing but whitespace after it; a second value is invalid JSON "
         "(a streaming decoder that stops after the first value accepts it)."),
        ("json_nan_literal", text('{"nonce":"%s","user_id":"%s","score":NaN}' % (NONCE, USER)),
         "NaN, Infinity and -Infinity are not JSON (some parsers accept them by default)."),
        ("json_byte_order_mark", raw(b"\xef\xbb\xbf" + json.dumps(VALID).encode("ascii")),
         "A UTF-8 byte order mark is not JSON whitespace (RFC 8259 section 8.1): invalid_json."),
        ("json_invalid_utf8", raw(b'{"nonce":"abc\xff\xfe","user_id":"alice@example.com"}'),
         "Bytes that are not UTF-8 (here inside a string) are invalid_json, never replaced by U+FFFD."),
        ("json_unclosed_deep_nesting",
         {"repeat": {"text": "[", "count": 60000, "prefix": '{"nonce":"%s","user_id":"%s","deep":' % (NONCE, USER)}},
         "60000 unclosed brackets: invalid_json, answered (a recursive parser must not crash the "
         "request into a 500 or the process)."),
        ("json_depth_65", text('{"nonce":"%s","user_id":"%s","deep":%s%s}' % (NONCE, USER, "[" * 64, "]" * 64)),
         "Nesting deeper than 64 levels (the top-level object is level 1) is invalid_json, even in "
         "an unknown field."),
    ]:
        error(name, description, body, "invalid_json")
    token("json_depth_64",
          "Nesting of exactly 64 levels (the object and 63 arrays) is allowed.",
          text('{"nonce":"%s","user_id":"%s","deep":%s%s}' % (NONCE, USER, "[" * 63, "]" * 63)))
    token("json_big_numbers_in_unknown_fields",
          "Unknown fields may hold any valid JSON, including numbers no float or integer type can "
          "hold; they are ignored, not converted.",
          text('{"nonce":"%s","big":123456789012345678901234567890,"huge":1e400,"tiny":-1e-400,'
               '"user_id":"%s"}' % (NONCE, USER)))
    token("json_escaped_member_name",
          "Member names are compared after JSON unescaping: \"n\\u006fnce\" is nonce.",
          text('{"n\\u006fnce":"escaped-name","user_id":"%s"}' % USER),
          {"prn": USER, "nce": "escaped-name"})
    error("json_duplicate_nonce",
          "A known field given twice is invalid_field (parsers disagree about which copy wins).",
          text('{"nonce":"first","user_id":"%s","nonce":"second"}' % USER), "invalid_field", "nonce")
    error("json_nonce_lone_surrogate",
          "An escape for an unpaired UTF-16 surrogate (\\ud800) is not a Unicode string and has no "
          "UTF-8 form: invalid_field, never U+FFFD.",
          text('{"nonce":"abc\\ud800def","user_id":"%s"}' % USER), "invalid_field", "nonce")


def forms():
    token("form_minimal", "The two fields form-encoded (the user ID's @ arrives as %40).",
          form(*VALID.items()), headers=FORM)
    special = "a+b c/d=e&f%g"
    token("form_percent_encoded_plus",
          "Standard form decoding: %2B is '+', %26 '&', %3D '=', %25 '%', + a space.",
          form(("nonce", special), ("user_id", USER)), {"prn": USER, "nce": special}, headers=FORM)
    token("form_plus_is_space", "An unencoded + in a form value is a space.",
          text("nonce=a+b+c&user_id=alice"), {"prn": "alice", "nce": "a b c"}, headers=FORM)
    attributes = {"first_name": "Zoë", "last_name": "Ñandú-山田", "display_name": "Zoë 🦊",
                  "avatar_url": "https://example.com/avatars/zoë.png?size=64&v=2"}
    token("form_all_attributes_non_ascii",
          "All six fields form-encoded, non-ASCII as percent-encoded UTF-8.",
          form(("nonce", NONCE), ("user_id", "zoë@例え.jp"), *attributes.items()),
          {"prn": "zoë@例え.jp", "nce": NONCE, **attributes}, headers=FORM)
    token("form_empty_pairs_skipped", "Empty pairs between '&'s are skipped.",
          text("&nonce=abc&&user_id=alice&"), {"prn": "alice", "nce": "abc"}, headers=FORM)
    token("form_duplicate_unknown_field", "Unknown fields are ignored, even when repeated.",
          text("utm=1&nonce=abc&utm=2&user_id=alice"), {"prn": "alice", "nce": "abc"}, headers=FORM)
    error("form_invalid_utf8_after_decoding",
          "%FF%FE decodes to bytes that are not UTF-8: invalid_json.",
          text("nonce=%FF%FE&user_id=alice"), "invalid_json", headers=FORM)
    error("form_malformed_percent_escape",
          "A % not followed by two hex digits is not form encoding: invalid_json.",
          text("nonce=abc%ZZ&user_id=alice"), "invalid_json", headers=FORM)
    error("form_duplicate_nonce", "A known field given twice in a form body is invalid_field.",
          text("nonce=first&nonce=second&user_id=alice"), "invalid_field", "nonce", headers=FORM)
    error("form_empty_value", "nonce= is an empty string: invalid_field, not missing_field.",
          text("nonce=&user_id=alice"), "invalid_field", "nonce", headers=FORM)
    error("form_name_without_equals", "A name without '=' has the empty value: invalid_field.",
          text("nonce&user_id=alice"), "invalid_field", "nonce", headers=FORM)
    error("form_missing_nonce", "A form body without nonce: missing_field.",
          text("user_id=alice"), "missing_field", "nonce", headers=FORM)
    error("form_missing_user_id", "The demo authenticator needs user_id from the form body too.",
          text("nonce=abc"), "missing_field", "user_id", headers=FORM)
    error("form_nonce_nul", "%00 decodes to U+0000: invalid_field.",
          text("nonce=ab%00cd&user_id=alice"), "invalid_field", "nonce", headers=FORM)
    control = "\u0001" * MAX_FIELD_BYTES
    error("form_token_too_large",
          "Every field at 2048 bytes of U+0001 (6 bytes each once JSON-escaped in the claims): the "
          "library refuses a token over 16384 bytes with LAYER_ERR_INVALID_ARGUMENT, which is the "
          "client's fault: 400 invalid_field with the library's message.",
          form(("nonce", control), ("user_id", control), *[(name, control) for name in ATTRIBUTES]),
          "invalid_field", headers=FORM, message_contains="16384")


def successes():
    token("json_minimal", "The two required fields as JSON: 200 with a token.", as_json(VALID))
    attributes = {"first_name": "Ada", "last_name": "Lovelace", "display_name": "Ada Lovelace",
                  "avatar_url": "https://example.com/avatars/ada.png"}
    token("json_all_attributes", "Every optional attribute is carried into the token.",
          as_json({**VALID, **attributes}), {**OK_TOKEN, **attributes})
    non_ascii = {"first_name": "Zoë", "last_name": "山田", "display_name": "Zoë 🦊 Ñandú",
                 "avatar_url": "https://例え.jp/ゾエ.png"}
    token("json_non_ascii",
          "Non-ASCII user ID and names (raw UTF-8 in the body, 2-, 3- and 4-byte characters) are "
          "passed through unchanged.",
          as_json({"nonce": NONCE, "user_id": "zoë@例え.jp 🦊", **non_ascii}),
          {"prn": "zoë@例え.jp 🦊", "nce": NONCE, **non_ascii})
    token("json_unicode_escapes",
          "\\u escapes, including a surrogate pair for one 4-byte character, decode to the same text.",
          text('{"nonce":"%s","user_id":"zo\\u00eb","first_name":"\\ud83e\\udd8a"}' % NONCE),
          {"prn": "zoë", "nce": NONCE, "first_name": "🦊"})
    special = ' quote" backslash\\ newline\n tab\t ctrl\u0001 del\u007f </script> '
    token("json_special_characters_preserved",
          "Quotes, backslashes, control characters, leading and trailing spaces: passed through "
          "unchanged (never trimmed) and escaped correctly in the token.",
          as_json({"nonce": special, "user_id": "  bob  "}), {"prn": "  bob  ", "nce": special})
    token("json_optional_null",
          "null for an optional attribute means absent: no attribute claim in the token.",
          as_json({**VALID, **{name: None for name in ATTRIBUTES}}))
    token("json_unknown_fields_ignored",
          "Unknown fields are ignored, whatever their type, even when repeated, and even when they "
          "are named like claims: the token's iss, iat, exp and typ are the endpoint's own.",
          text('{"nonce":"%s","user_id":"%s","iss":"layer:///providers/00000000-0000-4000-8000-000000000000",'
               '"prn":"mallory","nce":"other","iat":1,"exp":99999999999,"typ":"JWT",'
               '"extra":{"nested":[1,true,null,{"a":"b"}]},"extra":"again","prefs":[]}' % (NONCE, USER)))
    error("json_token_too_large",
          "A nonce of 2048 bytes of U+0001 (12288 bytes in the claims): the token would exceed "
          "16384 bytes; the library's LAYER_ERR_INVALID_ARGUMENT is 400 invalid_field with its message.",
          as_json(with_fields(nonce="\u0001" * MAX_FIELD_BYTES)), "invalid_field",
          message_contains="16384")


def field_rules():
    # (value at exactly 2048 bytes, value at 2049 bytes): several use multi-byte characters, so
    # counting characters or UTF-16 units instead of UTF-8 bytes fails.
    limits = {
        "nonce": ("é" * 1024, "é" * 1024 + "x"),
        "user_id": ("u" * 2048, "u" * 2049),
        "first_name": ("🦊" * 512, "🦊" * 512 + "a"),
        "last_name": ("€" * 682 + "ab", "€" * 683),
        "display_name": ("d" * 2048, "d" * 2049),
        "avatar_url": ("https://example.com/" + "a" * 2028, "https://example.com/" + "a" * 2029),
    }
    for ok, too_long in limits.values():
        assert utf8_len(ok) == MAX_FIELD_BYTES and utf8_len(too_long) == MAX_FIELD_BYTES + 1
    for first, second in [("nonce", "user_id"), ("first_name", "last_name"), ("display_name", "avatar_url")]:
        body = with_fields(**{first: limits[first][0], second: limits[second][0]})
        claims = {"prn": body["user_id"], "nce": body["nonce"]}
        claims.update({name: body[name] for name in ATTRIBUTES if name in body})
        token(f"field_{first}_and_{second}_2048_bytes",
              f"{first} and {second} of exactly 2048 UTF-8 bytes are allowed.", as_json(body), claims)

    non_strings = {
        "nonce": {"number": 0, "bool": False, "array": [NONCE], "object": {}},
        "user_id": {"number": 12345, "bool": True, "array": [], "object": {"id": USER}},
        "first_name": {"number": 42, "bool": True, "array": ["Ada"], "object": {"text": "Ada"}},
        "last_name": {"number": -1, "bool": False, "array": [], "object": {}},
        "display_name": {"number": 1.5, "bool": True, "array": ["Ada", "Lovelace"], "object": {"a": 1}},
        "avatar_url": {"number": 1000, "bool": False, "array": [None], "object": {"url": "https://example.com/a.png"}},
    }
    for field in ["nonce", "user_id"] + ATTRIBUTES:
        required = field in VALID
        if required:
            error(f"field_{field}_missing", f"{field} absent: missing_field.",
                  as_json(with_fields(**{field: ...})), "missing_field", field)
            error(f"field_{field}_null", f"{field} null: a required field must be a string: invalid_field.",
                  as_json(with_fields(**{field: None})), "invalid_field", field)
        for kind, value in non_strings[field].items():
            error(f"field_{field}_{kind}", f"{field} as a JSON {kind} ({json.dumps(value)}) is not a string: "
                  "invalid_field, never converted to text.",
                  as_json(with_fields(**{field: value})), "invalid_field", field)
        error(f"field_{field}_empty", f"{field} as the empty string: invalid_field.",
              as_json(with_fields(**{field: ""})), "invalid_field", field)
        too_long = limits[field][1]
        error(f"field_{field}_2049_bytes",
              f"{field} of 2049 UTF-8 bytes ({len(too_long)} characters): invalid_field.",
              as_json(with_fields(**{field: too_long})), "invalid_field", field)
        error(f"field_{field}_nul", f"{field} containing U+0000: invalid_field.",
              as_json(with_fields(**{field: "abc\u0000def"})), "invalid_field", field)


def order():
    error("order_nonce_before_attributes",
          "nonce is checked first: missing nonce and a bad first_name report the nonce.",
          text('{"first_name":42,"user_id":"%s"}' % USER), "missing_field", "nonce")
    error("order_attributes_before_user_id",
          "The attributes are checked before user_id (the demo authenticator runs last).",
          text('{"display_name":5,"nonce":"%s"}' % NONCE), "invalid_field", "display_name")
    error("order_attributes_in_contract_order",
          "Attributes are checked in the order first_name, last_name, display_name, avatar_url, "
          "whatever their order in the body: last_name is reported before avatar_url.",
          text('{"avatar_url":"","last_name":"","nonce":"%s","user_id":"%s"}' % (NONCE, USER)),
          "invalid_field", "last_name")


def rejecting_authenticator():
    fixed = "authentication required"
    add("reject_valid_request",
        "With an authenticate function that fails, a valid request is 401 with a fixed message.",
        "POST", "/identity-token", JSON, as_json(VALID), 401, error_code="unauthenticated",
        message=fixed, authenticator="reject")
    add("reject_without_user_id",
        "user_id is required only by the demo authenticator: without it, another authenticator "
        "decides (here: 401).",
        "POST", "/identity-token", JSON, as_json({"nonce": NONCE}), 401,
        error_code="unauthenticated", message=fixed, authenticator="reject")
    add("reject_fields_checked_first",
        "The fields are checked before authentication: a missing nonce is 400, not 401.",
        "POST", "/identity-token", JSON, as_json({"user_id": USER}), 400,
        error_code="missing_field", message_contains="nonce", authenticator="reject")


def other_authenticators():
    """What authenticate returns decides the answer, once the fields have passed."""
    unauthenticated = {"error_code": "unauthenticated", "message": "authentication required"}
    for kind, what in [("none", "returns nothing"), ("empty", "returns the empty string"),
                       ("throws", "fails")]:
        add(f"{kind}_valid_request",
            f"authenticate {what}: 401 unauthenticated with exactly the fixed message"
            + (" (never the failure's own words)" if kind == "throws" else "")
            + (" (the empty string is not a user ID; never passed on to the signer, which would "
               "refuse it as the client's fault: 400)" if kind == "empty" else "") + ".",
            "POST", "/identity-token", JSON, as_json(VALID), 401, authenticator=kind,
            **unauthenticated)
        add(f"{kind}_without_user_id",
            f"authenticate {what}: 401, also without user_id (only the demo authenticator requires it).",
            "POST", "/identity-token", FORM, form(("nonce", NONCE)), 401, authenticator=kind,
            **unauthenticated)
        add(f"{kind}_invalid_nonce",
            f"authenticate {what}, but the fields are checked first: an empty nonce is 400 invalid_field.",
            "POST", "/identity-token", JSON, as_json(with_fields(nonce="")), 400, authenticator=kind,
            error_code="invalid_field", message_contains="nonce")
    add("none_user_id_not_a_string",
        "Only the demo authenticator reads user_id: for another authenticate a user_id that is a "
        "number is an ignored field (here authenticate returns nothing: 401, not 400).",
        "POST", "/identity-token", JSON, as_json(with_fields(user_id=12345)), 401,
        authenticator="none", **unauthenticated)

    integer = {"prn": "42", "nce": NONCE}
    token("integer_valid_request",
          "authenticate returns the integer 42: the token's prn is its decimal text \"42\", not the "
          "body's user_id.", as_json(VALID), integer, authenticator="integer")
    token("integer_without_user_id", "authenticate returns 42: no user_id needed in the body.",
          form(("nonce", NONCE)), integer, headers=FORM, authenticator="integer")
    add("integer_invalid_nonce",
        "authenticate returns 42, but the fields are checked first: a nonce that is a number is "
        "400 invalid_field.",
        "POST", "/identity-token", JSON, as_json(with_fields(nonce=42)), 400, authenticator="integer",
        error_code="invalid_field", message_contains="nonce")

    server_error = {"error_code": "server_error", "message": "could not create the identity token"}
    for choice, value in [("boolean", "true (not an integer, even where the language's booleans are "
                                      "integers, as in Python)"),
                          ("float", "42.5"), ("list", "[\"alice\"]")]:
        add(f"not_a_user_id_{choice}",
            f"authenticate returns {value}: neither a user ID, nothing, nor an integer, which is the "
            "application's bug: 500 server_error with exactly the fixed message (never a text made "
            "from the value).",
            "POST", "/identity-token", JSON, as_json(with_fields(user_id=choice)), 500,
            authenticator="not_a_user_id", **server_error)
    add("not_a_user_id_invalid_nonce",
        "authenticate would return a boolean, but the fields are checked first: a missing nonce is "
        "400 missing_field.",
        "POST", "/identity-token", JSON, as_json({"user_id": "boolean"}), 400,
        authenticator="not_a_user_id", error_code="missing_field", message_contains="nonce")

    wrapped = "The application's authenticate calls the demo authenticator: "
    token("demo_wrapped_valid_request", wrapped + "a token for the body's user_id.", as_json(VALID),
          authenticator="demo_wrapped")
    for name, body, code, description in [
        ("user_id_missing", with_fields(user_id=...), "missing_field",
         "user_id absent is the demo's 400 missing_field, not 401"),
        ("user_id_null", with_fields(user_id=None), "invalid_field", "user_id null is 400 invalid_field"),
        ("user_id_number", with_fields(user_id=12345), "invalid_field",
         "user_id as a number is 400 invalid_field, not 401 and not converted"),
        ("user_id_empty", with_fields(user_id=""), "invalid_field",
         "user_id empty is 400 invalid_field, not 401"),
        ("user_id_2049_bytes", with_fields(user_id="u" * (MAX_FIELD_BYTES + 1)), "invalid_field",
         "user_id of 2049 bytes is 400 invalid_field"),
    ]:
        error(f"demo_wrapped_{name}", wrapped + description + ", as with the demo authenticator mounted "
              "directly.", as_json(body), code, "user_id", authenticator="demo_wrapped")
    error("demo_wrapped_form_missing_user_id",
          wrapped + "a form body without user_id is 400 missing_field, as with demo.",
          form(("nonce", NONCE)), "missing_field", "user_id", headers=FORM,
          authenticator="demo_wrapped")


def build():
    del CASES[:]
    for group in [routing, content_types, sizes, content_lengths, parsing, forms, successes,
                  field_rules, order, rejecting_authenticator, other_authenticators]:
        group()
    document = {
        "description": "Shared HTTP cases of the layer-identity identity-token endpoint; the format "
                       "is described in tests/endpoint/README.md. Generated by "
                       "tests/endpoint/generate_cases.py: edit that, not this file.",
        "max_body_bytes": MAX_BODY_BYTES,
        "max_field_bytes": MAX_FIELD_BYTES,
        "token_lifetime_seconds": 600,
        "authenticators": AUTHENTICATORS,
        "cases": CASES,
    }
    return json.dumps(document, indent=1, ensure_ascii=True) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if cases.json is not up to date")
    args = parser.parse_args(argv)
    text_out = build()
    if args.check:
        try:
            with open(CASES_PATH, encoding="utf-8") as stored:
                current = stored.read()
        except FileNotFoundError:
            current = None
        if current != text_out:
            print("tests/endpoint/cases.json is not what generate_cases.py writes; run it", file=sys.stderr)
            return 1
        print(f"tests/endpoint/cases.json: {len(CASES)} cases, up to date")
        return 0
    with open(CASES_PATH, "w", encoding="utf-8") as out:
        out.write(text_out)
    print(f"wrote tests/endpoint/cases.json: {len(CASES)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
