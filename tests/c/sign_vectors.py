"""Writes vectors/sign.json as lines that test_vectors.c reads without a JSON parser.

First line: the number of cases. Then one line per case, tab-separated:
  name, key file (relative to vectors/), passphrase, provider_id, key_id, user_id, nonce,
  issued_at, ttl_seconds, flags (names joined by "|"), attributes_json, one_shot (0/1),
  expected_header_json, expected_claims_json, expected_token
Every string field is hex-encoded UTF-8 (so tabs, newlines and control characters survive);
"-" stands for JSON null. Cases marked "abi": 3 (a passphrase that is not UTF-8, a token type
by name) need the pointer-and-length functions, which tests/vectors.rs and test_lengths.c
cover; they are left out here, and the count of those left out goes to stderr.
Usage: python3 tests/c/sign_vectors.py vectors/sign.json > out.tsv
"""
import json
import sys


def text(value):
    return "-" if value is None else value.encode("utf-8").hex()


def main(path):
    every = json.load(open(path, encoding="utf-8"))["cases"]
    cases = [case for case in every if case.get("abi") != 3]
    print(f"sign_vectors.py: {len(every) - len(cases)} ABI 3 cases left to the _n tests",
          file=sys.stderr)
    print(len(cases))
    for case in cases:
        fields = [
            case["name"],
            case["private_key_file"],
            text(case["passphrase"]),
            text(case["provider_id"]),
            text(case["key_id"]),
            text(case["user_id"]),
            text(case["nonce"]),
            str(case["issued_at"]),
            str(case["ttl_seconds"]),
            "|".join(case["flags"]),
            text(case["attributes_json"]),
            "1" if case["one_shot"] else "0",
            text(case["expected_header_json"]),
            text(case["expected_claims_json"]),
            text(case["expected_token"]),
        ]
        print("\t".join(fields))


if __name__ == "__main__":
    main(sys.argv[1])
