#!/usr/bin/env bash
# Starts the Java sample backend (com.layer.identity.sample.SampleBackend) in the foreground,
# as scripts/run-backend java does: builds the jar first when it is missing or older than its
# sources (Maven, quietly, output to stderr), then execs the JVM with the environment passed
# through (LAYER_*, PORT, HOST), so that SIGTERM reaches it and its exit status counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar=$here/layer-identity/target/layer-identity-0.1.0.jar

stale=1
if [ -f "$jar" ]; then
  newer=$(find "$here/layer-identity/src/main" "$here/pom.xml" "$here/layer-identity/pom.xml" "$here/build-native.sh" "$root/include" \
    "$root/target/release/liblayer_identity.a" -newer "$jar" -print -quit 2>/dev/null || true)
  [ -z "$newer" ] && stale=0
fi
if [ "$stale" = 1 ]; then
  echo "run-backend.sh: building $jar" >&2
  (cd "$here" && mvn -B -q -pl layer-identity package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true) >&2
fi
# A fixed heap, touched at start-up, as servers are run in containers: the resident memory is
# steady from the first request (make soak: a growing heap read as a 16% "leak" for 10,000
# requests, then stayed flat).
exec java -XX:+UseSerialGC -Xms128m -Xmx128m -XX:+AlwaysPreTouch -cp "$jar" com.layer.identity.sample.SampleBackend
