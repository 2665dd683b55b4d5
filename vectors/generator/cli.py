"""Generate the shared layer-identity test vectors, independently of layer-identity.

build_all() makes every file in memory (running every self-check and cross-check); main() is the
command line of vectors/generate.py: write the files, or with --check compare them."""

import argparse
import difflib
import os
import sys

from .common import HERE, VectorError
from .jsonfmt import self_test_json_str, dump
from .keys import build_keys
from .sign_cases import build_sign
from .error_cases import build_errors
from .verify_cases import build_verify
from .env_cases import build_env
from .cross_check import cross_check


def build_all(check):
    self_test_json_str()
    files, keys = build_keys(check)
    sign_doc = build_sign(files, keys)
    errors_doc = build_errors(files, keys)
    verify_doc = build_verify(files, keys)
    env_doc = build_env(files, keys)
    counts = cross_check(files, sign_doc, verify_doc, env_doc, errors_doc)
    out = dict(files)
    out["sign.json"] = dump(sign_doc)
    out["errors.json"] = dump(errors_doc)
    out["verify.json"] = dump(verify_doc)
    out["env.json"] = dump(env_doc)
    summary = {"sign": len(sign_doc["cases"]), "errors": len(errors_doc["cases"]),
               "verify": len(verify_doc["cases"]), "env": len(env_doc["cases"]),
               "verify_accept": sum(c["expected_status"] == "LAYER_OK"
                                    for c in verify_doc["cases"])}
    return out, summary, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory and fail if any committed vector file differs")
    args = ap.parse_args()
    try:
        out, summary, counts = build_all(args.check)
    except VectorError as e:
        print("generate.py: FAILED: %s" % e, file=sys.stderr)
        return 1
    print("cases: sign=%(sign)d errors=%(errors)d verify=%(verify)d (accept %(verify_accept)d) "
          "env=%(env)d" % summary)
    print("cross-checks passed: openssl verify=%(openssl_verify)d, openssl re-sign identical="
          "%(openssl_resign)d, PyJWT decode=%(pyjwt)d, openssl key reads=%(openssl_keys)d"
          % counts)
    if args.check:
        bad = 0
        for rel, data in sorted(out.items()):
            path = os.path.join(HERE, rel)
            if not os.path.exists(path):
                print("MISSING  vectors/%s" % rel)
                bad += 1
                continue
            with open(path, "rb") as f:
                old = f.read()
            if old != data:
                bad += 1
                print("DIFFERS  vectors/%s" % rel)
                diff = list(difflib.unified_diff(
                    old.decode("utf-8", "replace").splitlines(),
                    data.decode("utf-8", "replace").splitlines(),
                    "committed/" + rel, "regenerated/" + rel, lineterm="", n=1))
                for line in diff[:20]:
                    print("    " + line[:200])
                if len(diff) > 20:
                    print("    ... (%d more diff lines)" % (len(diff) - 20))
        if bad:
            print("generate.py --check: %d file(s) differ; run /usr/bin/python3 "
                  "vectors/generate.py and commit" % bad, file=sys.stderr)
            return 1
        print("generate.py --check: all %d vector files are up to date" % len(out))
        return 0
    for rel, data in sorted(out.items()):
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != data:
            with open(path, "wb") as f:
                f.write(data)
            print("wrote vectors/%s" % rel)
    return 0
