#!/usr/bin/env bash
# Lint and unit tests of the Java binding, fast and without servers (make check-java): every
# module compiled with javac -Xlint:all -Werror (main and test code; the JNI glue with gcc
# -Wall -Wextra -Werror), then the core module's tests that start no server, no child
# program and no soak: the shared vectors, the header's tables, handles and threads, UTF-8 at
# the boundary, the loader's messages and -Xcheck:jni (both in a child JVM, no server). Offline
# (mvn -o) when the dependencies are already in ~/.m2, online otherwise. The full run, with
# every server, is test.sh.
set -euo pipefail
cd "$(dirname "$0")"
flags=(-B -ntp -q -Dstyle.color=never)
tests='HeaderTablesTest,LayerExchangeTest,SignVectorsTest,VerifyVectorsTest,ErrorVectorsTest,HandlesTest,Utf8BoundaryTest,ConcurrencyTest,NativeLibraryTest,JniHygieneTest'
run() {
  mvn "${flags[@]}" "$@" test-compile &&
    mvn "${flags[@]}" "$@" -pl layer-identity surefire:test -Dtest="$tests" \
      -Dsurefire.failIfNoSpecifiedTests=false
}
rm -rf layer-identity/target/surefire-reports # count this run's tests only
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! run -o >"$log" 2>&1; then
  if grep -q "offline mode" "$log"; then # a dependency is not in ~/.m2 yet
    run >"$log" 2>&1 || { cat "$log"; exit 1; }
  else
    cat "$log"
    exit 1
  fi
fi
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
t = f = e = s = 0
for path in glob.glob("layer-identity/target/surefire-reports/TEST-*.xml"):
    r = ET.parse(path).getroot()
    t += int(r.get("tests")); f += int(r.get("failures")); e += int(r.get("errors")); s += int(r.get("skipped"))
print(f"java check: {t - f - e - s} passed, {f + e} failed, {s} skipped")
PY
