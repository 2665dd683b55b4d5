#!/usr/bin/python3
"""Writes tests/endpoint/cases.json as one line per case for the C endpoint test
(test_endpoint.c), which has no JSON parser: tab-separated fields, each `-` when absent or `x`
followed by the bytes in hex:

    name method target content_type content_length body authenticator status error_code
    token_prn token_nce message

The body and the Content-Length are what the conformance driver sends (conformance.py's own
functions build them). Usage: endpoint_cases.py tests/endpoint/cases.json > cases.tsv
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "endpoint"))
import conformance  # noqa: E402  (the driver's request building, so both send the same bytes)


def field(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        value = value.encode("utf-8")
    return "x" + value.hex()


def header(headers, name):
    return next((value for key, value in headers if key.lower() == name.lower()), None)


def main(path):
    with open(path, encoding="utf-8") as stored:
        cases = json.load(stored)["cases"]
    for case in cases:
        method, target, headers, body = conformance.request_parts(case)
        expected = case["expected"]
        token = expected.get("token") or {}
        message = expected.get("message")
        row = [
            case["name"],
            method,
            field(target),
            field(header(headers, "Content-Type")),
            field(header(headers, "Content-Length")),
            field(body),
            case.get("authenticator", "demo"),
            str(expected["status"]),
            expected["error_code"] or "-",
            field(token.get("prn")),
            field(token.get("nce")),
            field(json.dumps(message, ensure_ascii=False) if message is not None else None),
        ]
        print("\t".join(row))


if __name__ == "__main__":
    main(sys.argv[1])
