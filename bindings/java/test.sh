#!/usr/bin/env bash
# The whole test run of the Java binding (make test-java runs it after make build):
#   1. lint: shellcheck on the scripts (when installed); javac -Xlint:all -Werror and
#      gcc -Wall -Wextra -Werror run inside the build;
#   2. mvn verify: the JNI library, the jar, every JUnit test (vectors, threads, handles,
#      loading, -Xcheck:jni, environment vectors in child JVMs, RSS soak, the endpoint
#      in-process, the README's code);
#   3. the jar carries the native library;
#   4. mvn install into a temporary local repository, then a consumer project outside the
#      repository built against it and run with java -cp (on JDK 17, and on Temurin 25 when
#      present), and the JMH benchmarks compiled against it;
#   5. the sample backend through scripts/run-backend java and tests/endpoint/conformance.py.
# Quiet on success (one line per step), loud on failure (the failing step's whole log).
#
# The temporary local repository: `mvn -Dmaven.repo.local=<empty dir>` alone would download
# every plugin again on every run. Instead a settings file puts the user's own
# ~/.m2/repository first among the remote repositories, as a file:// repository, ahead of
# Maven Central: what the build already fetched is copied from disk in a second, anything else
# comes from Central, and the temporary repository holds only what this install and the
# consumer need. The user's ~/.m2 is only read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/layer-identity-java.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MAVEN_OPTS="${MAVEN_OPTS:-} -Djava.awt.headless=true"
mvn_flags=(-B -ntp -Dstyle.color=never)

step() { # step NAME COMMAND...: runs quietly; on failure prints the log and exits
  local name=$1
  shift
  local log=$work/$name.log
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    echo "java: $name ok ($((SECONDS - t0)) s)"
  else
    echo "java: $name FAILED ($((SECONDS - t0)) s); its output:" >&2
    cat "$log" >&2
    exit 1
  fi
}

lint() {
  # deps.apt installs shellcheck; the Java and C lint is javac -Xlint:all -Werror and
  # gcc -Wall -Wextra -Werror, inside the build.
  shellcheck "$here/test.sh" "$here/build-native.sh" "$here/run-backend.sh"
}
step lint lint

rm -f target/test-report.txt
step "mvn-verify" mvn "${mvn_flags[@]}" verify
sed 's/^/  /' target/test-report.txt
python3 - "$here/target/surefire-reports" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET
t = f = e = s = 0
for path in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    r = ET.parse(path).getroot()
    t += int(r.get("tests")); f += int(r.get("failures")); e += int(r.get("errors")); s += int(r.get("skipped"))
print(f"java: {t - f - e - s} passed, {f + e} failed, {s} skipped (JUnit, mvn verify)")
EOF

jar=$here/target/layer-identity-0.1.0.jar
check_jar() {
  jar tf "$jar" | grep -qx 'native/linux-x86_64/liblayer_identity_jni.so'
}
step "jar-carries-native-library" check_jar

cat >"$work/settings.xml" <<EOF
<settings>
  <profiles>
    <profile>
      <id>user-cache</id>
      <repositories>
        <repository>
          <id>user-cache</id>
          <url>file://$HOME/.m2/repository</url>
          <releases><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository>
          <id>user-cache</id>
          <url>file://$HOME/.m2/repository</url>
          <releases><checksumPolicy>ignore</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>user-cache</activeProfile></activeProfiles>
</settings>
EOF
temp_mvn=(mvn "${mvn_flags[@]}" -s "$work/settings.xml" -Dmaven.repo.local="$work/repo")
step "mvn-install-to-temporary-repository" "${temp_mvn[@]}" install -DskipTests
installed=$work/repo/com/layer/layer-identity/0.1.0/layer-identity-0.1.0.jar

consumer() {
  cp -r "$here/consumer" "$work/consumer"
  rm -rf "$work/consumer/target"
  (cd "$work/consumer" && "${temp_mvn[@]}" -q compile)
  local out
  out=$(cd "$work" && java -cp "consumer/target/classes:$installed" example.Consumer)
  echo "$out"
  case $out in *"native library from the copy in the jar"*) ;; *) return 1 ;; esac
  local java25
  java25=$(find /usr/lib/jvm -maxdepth 3 -path '*temurin-25*/bin/java' 2>/dev/null | head -1)
  if [ -n "$java25" ]; then
    out=$(cd "$work" && "$java25" --enable-native-access=ALL-UNNAMED \
      -cp "consumer/target/classes:$installed" example.Consumer 2>"$work/java25.err")
    echo "Java 25: $out"
    if grep -q WARNING "$work/java25.err"; then
      cat "$work/java25.err"
      return 1
    fi
  fi
}
step "consumer-outside-the-repository" consumer
sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  /' "$work/consumer-outside-the-repository.log" |
  grep consumer

benchmarks() {
  cp -r "$here/benchmarks" "$work/benchmarks"
  rm -rf "$work/benchmarks/target"
  (cd "$work/benchmarks" && "${temp_mvn[@]}" -q package)
  test -f "$work/benchmarks/target/benchmarks.jar"
}
step "benchmarks-compile" benchmarks

step "conformance-sample-backend" /usr/bin/python3 "$root/tests/endpoint/conformance.py" \
  --backend java --startup-timeout 300
sed 's/^/  /' "$work/conformance-sample-backend.log" | tail -1

echo "java: all steps passed in $((SECONDS - start)) s"
